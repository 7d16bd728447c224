-- Strong ties gone quiet: people whose strength at its peak (any 12-month window) was in the
-- top share of the owner's network and who have been silent for a year or more, ranked by
-- past strength and referral value. Reviving one is cheaper than building a new tie.
-- group: publish
with params as (
    select getvariable('as_of')::date as as_of
),
monthly as (
    select
        person_id,
        date_diff('month', date '2000-01-01', occurred_at::date) as month_index,
        count(distinct occurred_at::date) as contact_days,
        coalesce(sum(minutes / greatest(group_size - 1, 1)) filter (where channel = 'meeting'), 0) / 60.0 as hours_together,
        coalesce(sum(value) filter (where channel = 'referral' and direction = 'inbound'), 0) as referral_value
    from interaction
    group by all
),
-- Strength in each 12-month window: days with contact plus hours of shared meeting time.
windows as (
    select
        person_id,
        month_index,
        sum(contact_days + hours_together) over (
            partition by person_id order by month_index range between 11 preceding and current row) as window_strength
    from monthly
),
peaks as (
    select
        person_id,
        max(window_strength) as peak_strength,
        arg_max(month_index, window_strength) as peak_month_index
    from windows
    group by person_id
),
ranked_peaks as (
    select *, percent_rank() over (order by peak_strength) as peak_percentile
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
