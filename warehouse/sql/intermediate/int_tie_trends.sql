-- Each tie's movement: its score now and `trend_months` ago, the trend in one word, and its
-- peak of the last `fading_peak_months`, read from the scores at past month-ends.
-- group: metrics
with now as (
    select * from int_tie_features where as_of_date = getvariable('as_of')::date
),
earlier as (
    select *
    from int_tie_features
    where month = date_trunc('month', getvariable('as_of')::date)::date - to_months(getvariable('trend_months'))
),
-- Scores are scaled within the network, and the whole network drifts as its history grows
-- (longer half-lives allowed, longevity scaled further): a tie's movement is measured against
-- the median movement of the ties scored at both dates.
drift as (
    select coalesce(median(now.score - earlier.score), 0) as network_drift
    from now
    join earlier using (person_id)
),
recent as (
    select
        person_id,
        max(score) as peak_score,
        first(month order by score desc, month) as peak_month,
        min(rank / ranked_ties) as best_rank_share,
        first(month order by rank / ranked_ties, month) as best_rank_month,
        max(month) filter (where rank <= ceil(getvariable('fading_peak_top_share') * ranked_ties)) as last_month_in_top_share
    from int_tie_features
    where month > date_trunc('month', getvariable('as_of')::date)::date - to_months(getvariable('fading_peak_months'))
    group by person_id
)
select
    now.person_id,
    coalesce(earlier.score, 0) as strength_6_months_ago,
    earlier.rank / earlier.ranked_ties as rank_share_6_months_ago,
    case
        -- A tie new since then rises only into the top fifth: a first LinkedIn invitation is not a rise.
        when earlier.score is null then
            if(now.score >= getvariable('trend_margin') and now.rank <= ceil(0.2 * now.ranked_ties), 'rising', 'steady')
        when now.score - earlier.score - drift.network_drift >= getvariable('trend_margin') then 'rising'
        when now.score - earlier.score - drift.network_drift <= -getvariable('trend_margin') then 'fading'
        else 'steady'
    end as trend,
    round(now.score - earlier.score - drift.network_drift, 6) as change_against_network,
    recent.peak_score,
    recent.peak_month,
    recent.best_rank_share,
    recent.best_rank_month,
    recent.last_month_in_top_share
from now
left join earlier using (person_id)
left join recent using (person_id)
cross join drift
