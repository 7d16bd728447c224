-- Each tie's movement: its score now and `trend_months` ago, the trend in one word, and its
-- peak of the last `fading_peak_months`, read from the scores at past month-ends.
-- group: metrics
with now as (
    select * from int_tie_history where as_of_date = getvariable('as_of')::date
),
earlier as (
    select
        *,
        -- Where the tie stood then: within the 50 (Dunbar's close and active layers), the rest
        -- of the 150, or beyond.
        case when rank <= 50 then 50 when rank <= getvariable('personal_network_size') then 150 else 0 end as layer_then
    from int_tie_history
    where month = date_trunc('month', getvariable('as_of')::date)::date - to_months(getvariable('trend_months'))
),
-- Scores are scaled within the network, and the network drifts as its history grows: a long
-- tie gains longevity while one-off contacts age. Strong and weak ties drift apart (on the
-- generated inboxes of 2,000 people the top 50 gained a median 0.03 over six months while all
-- ties lost 0.04), so a tie's movement is measured against the median movement of the ties
-- that stood in the same layer six months ago.
drift as (
    select earlier.layer_then, median(now.score - earlier.score) as network_drift
    from now
    join earlier using (person_id)
    group by earlier.layer_then
),
-- The top of the network is counted among at most `personal_network_size` ties: thousands of
-- LinkedIn connections do not make a fifth of them strong.
recent as (
    select
        person_id,
        max(score) as peak_score,
        first(month order by score desc, month) as peak_month,
        min(rank / ranked_ties) as best_rank_share,
        first(month order by rank / ranked_ties, month) as best_rank_month,
        max(month) filter (where rank <= ceil(getvariable('fading_peak_top_share')
            * least(ranked_ties, getvariable('personal_network_size')))) as last_month_in_top_share
    from int_tie_history
    where month > date_trunc('month', getvariable('as_of')::date)::date - to_months(getvariable('fading_peak_months'))
    group by person_id
),
moves as (
    select
        now.person_id,
        now.score,
        earlier.score as earlier_score,
        earlier.rank / earlier.ranked_ties as rank_share_6_months_ago,
        now.score - earlier.score - coalesce(drift.network_drift, 0) as change_against_network,
        -- A tie rises only into the top fifth of the personal network: a first LinkedIn
        -- invitation, or one meeting with an acquaintance, is not a rise.
        now.rank <= ceil(0.2 * least(now.ranked_ties, getvariable('personal_network_size'))) as now_in_top_fifth
    from now
    left join earlier using (person_id)
    left join drift using (layer_then)
)
select
    m.person_id,
    coalesce(m.earlier_score, 0) as strength_6_months_ago,
    m.rank_share_6_months_ago,
    case
        when m.earlier_score is null then
            if(m.score >= getvariable('rising_margin') and m.now_in_top_fifth, 'rising', 'steady')
        when m.change_against_network >= getvariable('rising_margin') and m.now_in_top_fifth then 'rising'
        when m.change_against_network <= -getvariable('fading_margin') then 'fading'
        else 'steady'
    end as trend,
    round(m.change_against_network, 6) as change_against_network,
    recent.peak_score,
    recent.peak_month,
    recent.best_rank_share,
    recent.best_rank_month,
    recent.last_month_in_top_share
from moves as m
left join recent using (person_id)
