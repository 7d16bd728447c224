-- Strong ties losing strength before they go quiet: in the top `fading_peak_top_share` of the
-- personal network (of at most `personal_network_size` ties) at some month-end of the last 12
-- months, down by at least `fading_margin` over six months against the ties that stood where
-- they stood, and still in contact within `dormant_silence_days` (dormant_ties holds the ties
-- already silent).
-- Ranked by what is at stake: peak strength and the referral value they brought.
-- group: publish
with candidates as (
    select
        t.person_id,
        t.display_name,
        t.score,
        t.last_contact,
        t.days_since_last_contact,
        t.referral_value_received,
        t.referral_kinds_received,
        trends.strength_6_months_ago,
        trends.peak_score,
        trends.peak_month,
        trends.best_rank_share,
        trends.best_rank_month,
        trends.last_month_in_top_share
    from tie_strength as t
    join int_tie_trends as trends using (person_id)
    where trends.trend = 'fading'
        and trends.last_month_in_top_share is not null
        and t.days_since_last_contact < getvariable('dormant_silence_days')
),
prioritised as (
    select
        *,
        peak_score / max(peak_score) over ()
            + referral_value_received / greatest(max(referral_value_received) over (), 1) as at_stake
    from candidates
)
select
    row_number() over (order by at_stake desc, person_id) as rank,
    person_id,
    display_name,
    concat_ws('; ',
        'among your strongest ' || greatest(1, ceil(100 * best_rank_share))::int || '% in '
            || strftime(best_rank_month, '%b %Y'),
        'strength ' || round(score, 2) || ', down from ' || round(strength_6_months_ago, 2) || ' six months ago',
        'last contact ' || case
            when days_since_last_contact = 0 then 'today'
            when days_since_last_contact < 70 then days_since_last_contact || ' day' || if(days_since_last_contact = 1, '', 's') || ' ago'
            else round(days_since_last_contact / 30.44)::int || ' months ago' end,
        if(referral_value_received > 0,
            'referred you before (' || array_to_string(referral_kinds_received, ', ') || ')', null)
    ) as why,
    round(score, 6) as score,
    round(strength_6_months_ago, 6) as strength_6_months_ago,
    round(peak_score, 6) as peak_score,
    peak_month,
    last_contact,
    days_since_last_contact,
    referral_value_received
from prioritised
order by rank
