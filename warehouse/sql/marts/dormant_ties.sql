-- Strong ties gone quiet: people whose strength at its peak (any 12-month window) was in the
-- top share of the owner's network and who have been silent for a year or more, ranked by
-- past strength and referral value. Reviving one is cheaper than building a new tie.
-- "Top share" is judged against the ties active in that same window (a close colleague of
-- 2021 was top of the network of 2021, even if today's ties have since grown stronger), and
-- against all-time peaks where too few ties were active then to judge.
-- group: publish
with monthly as (
    select
        person_id,
        date_diff('month', date '2000-01-01', occurred_on) as month_index,
        count(distinct occurred_on) as contact_days,
        coalesce(sum(shared_minutes) filter (where channel = 'meeting'), 0) / 60.0 as hours_together
    from interaction
    group by all
),
-- Every month from a person's first contact to eleven months after their last: the windows
-- in which they count as an active tie.
grid as (
    select person_id, unnest(range(min(month_index), max(month_index) + 12)) as month_index
    from monthly
    group by person_id
),
-- Strength in each 12-month window: days with contact plus hours of shared meeting time.
windows as (
    select
        g.person_id,
        g.month_index,
        sum(coalesce(m.contact_days, 0) + coalesce(m.hours_together, 0)) over (
            partition by g.person_id order by g.month_index rows between 11 preceding and current row) as window_strength
    from grid as g
    left join monthly as m using (person_id, month_index)
),
-- How each tie ranked among the ties active in the same window.
ranked_windows as (
    select
        *,
        percent_rank() over (partition by month_index order by window_strength) as percentile_then,
        count(*) over (partition by month_index) as active_ties
    from windows
    where window_strength > 0
),
peaks as (
    select
        person_id,
        max(window_strength) as peak_strength,
        -- On a tie, the earliest window: the year that ends with the last contact in it.
        first(month_index order by window_strength desc, month_index) as peak_month_index,
        max(percentile_then) filter (where active_ties >= getvariable('dormant_min_active_ties')) as peak_percentile_then
    from ranked_windows
    group by person_id
),
ranked_peaks as (
    select
        *,
        greatest(coalesce(peak_percentile_then, 0), percent_rank() over (order by peak_strength)) as peak_percentile
    from peaks
),
candidates as (
    select
        t.person_id,
        t.display_name,
        t.last_contact,
        t.days_since_last_contact,
        t.years_known,
        t.referral_value_received,
        t.referral_kinds_received,
        p.peak_strength,
        p.peak_percentile,
        date '2000-01-01' + to_months(p.peak_month_index) as peak_month
    from tie_strength as t
    join ranked_peaks as p using (person_id)
    where p.peak_percentile >= 1 - getvariable('dormant_peak_top_share')
        and t.days_since_last_contact >= getvariable('dormant_silence_days')
),
-- Past strength and referral value, each against the largest among the candidates.
prioritised as (
    select
        *,
        peak_strength / max(peak_strength) over ()
            + referral_value_received / greatest(max(referral_value_received) over (), 1) as revival_value
    from candidates
)
select
    row_number() over (order by revival_value desc, person_id) as rank,
    person_id,
    display_name,
    last_contact,
    concat_ws('; ',
        'among your strongest ' || greatest(1, ceil(100 * (1 - peak_percentile)))::int || '% of ties in the year to '
            || strftime(peak_month, '%b %Y'),
        'silent ' || round(days_since_last_contact / 30.44)::int || ' months since ' || strftime(last_contact, '%d %b %Y'),
        if(referral_value_received > 0,
            'referred you before (' || array_to_string(referral_kinds_received, ', ') || ')', null),
        if(years_known >= 1, 'known ' || floor(years_known)::int || ' years', null)
    ) as why,
    round(peak_strength, 2) as peak_strength,
    peak_month,
    days_since_last_contact,
    referral_value_received
from prioritised
order by rank
