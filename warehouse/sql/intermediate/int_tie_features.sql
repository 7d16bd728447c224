-- Tie strength at many as-of dates in one pass: the as-of date itself and the end of each of
-- the `history_months` - 1 months before it, each person's features and score as tie_strength
-- computes them (the same formula and weights, read from the same variables) with the as-of
-- date moved: only contact up to that date counts, half-lives and scales are those of that
-- date. The row at the as-of date equals tie_strength (tests/test_time.py holds them equal).
-- group: metrics
with as_of_dates as (
    select getvariable('as_of')::date as as_of_date, date_trunc('month', getvariable('as_of')::date)::date as month
    union all
    select
        last_day(date_trunc('month', getvariable('as_of')::date) - to_months(months_back))::date,
        (date_trunc('month', getvariable('as_of')::date) - to_months(months_back))::date
    from range(1, getvariable('history_months')) as steps(months_back)
),
first_contact as (
    select min(occurred_at::date) as first_day from interaction
),
params as (
    select
        d.as_of_date,
        d.month,
        greatest(d.as_of_date - f.first_day, 1) as history_days,
        ln(2) / least(getvariable('recency_half_life_days'),
            getvariable('half_life_max_share_of_history') * greatest(d.as_of_date - f.first_day, 1)) as recency_rate,
        ln(2) / least(getvariable('frequency_half_life_days'),
            getvariable('half_life_max_share_of_history') * greatest(d.as_of_date - f.first_day, 1)) as frequency_rate,
        ln(2) / least(getvariable('time_together_half_life_days'),
            getvariable('half_life_max_share_of_history') * greatest(d.as_of_date - f.first_day, 1)) as time_rate
    from as_of_dates as d, first_contact as f
    where d.as_of_date >= f.first_day
),
-- Each person's contacts summed per day once; every as-of date then reads the days up to it
-- (the same sums as over the contacts themselves: contacts of one day share their age).
daily as (
    select
        person_id,
        occurred_at::date as contact_day,
        count(*) as contacts,
        count(*) filter (where direction = 'outbound') as initiated_by_owner,
        count(*) filter (where direction = 'inbound') as initiated_by_them,
        coalesce(sum(shared_minutes) filter (where channel = 'meeting'), 0) as minutes_together
    from interaction
    group by person_id, occurred_at::date
),
per_person as (
    select
        params.as_of_date,
        d.person_id,
        max(d.contact_day) as last_contact,
        min(d.contact_day) as first_contact,
        count(*) as contact_days,
        sum(d.contacts) as contact_count,
        sum(d.contacts * exp(-params.frequency_rate * (params.as_of_date - d.contact_day))) as decayed_contacts,
        sum(exp(-params.frequency_rate * (params.as_of_date - d.contact_day))) as decayed_contact_days,
        sum(d.initiated_by_owner) as initiated_by_owner,
        sum(d.initiated_by_them) as initiated_by_them,
        sum(d.minutes_together) as minutes_together,
        sum(d.minutes_together * exp(-params.time_rate * (params.as_of_date - d.contact_day))) as decayed_minutes_together
    from daily as d
    join params on d.contact_day <= params.as_of_date
    group by params.as_of_date, d.person_id
),
-- The channels used by an as-of date: those whose first contact came by then.
channels as (
    select params.as_of_date, firsts.person_id, count(*) as channel_count
    from (select person_id, channel, min(occurred_at::date) as first_day from interaction group by all) as firsts
    join params on firsts.first_day <= params.as_of_date
    group by params.as_of_date, firsts.person_id
),
-- People met in small meetings with this person, each from the first such meeting on: at an
-- as-of date, those met together by then.
shared_meetings as (
    select distinct person_id, detail_id, occurred_at::date as meeting_day
    from interaction
    where channel = 'meeting' and group_size between 3 and getvariable('shared_context_max_group_size')
),
shared_pairs as (
    select a.person_id, b.person_id as other_id, min(a.meeting_day) as first_shared_day
    from shared_meetings as a
    join shared_meetings as b on a.detail_id = b.detail_id and a.person_id <> b.person_id
    group by a.person_id, b.person_id
),
shared_context as (
    select params.as_of_date, pairs.person_id, count(*) as shared_contacts
    from shared_pairs as pairs
    join params on pairs.first_shared_day <= params.as_of_date
    group by params.as_of_date, pairs.person_id
),
raw_features as (
    select
        pp.*,
        params.month,
        params.history_days,
        len(p.sources) as source_count,
        least(pp.first_contact, p.first_seen) as known_since,
        (params.as_of_date - pp.last_contact) as days_since_last_contact,
        exp(-params.recency_rate * (params.as_of_date - pp.last_contact)) as recency,
        (params.as_of_date - least(pp.first_contact, p.first_seen)) / 365.25 as years_known,
        ch.channel_count + len(p.sources) as channel_and_source_count,
        coalesce(sc.shared_contacts, 0) as shared_contacts,
        case when pp.initiated_by_owner + pp.initiated_by_them = 0 then 0.0
            else (1 - abs(pp.initiated_by_owner - pp.initiated_by_them) / (pp.initiated_by_owner + pp.initiated_by_them))
                * ((pp.initiated_by_owner + pp.initiated_by_them) / (pp.initiated_by_owner + pp.initiated_by_them + 2.0))
        end as reciprocity
    from per_person as pp
    join person as p using (person_id)
    join channels as ch using (as_of_date, person_id)
    join params using (as_of_date)
    left join shared_context as sc using (as_of_date, person_id)
),
features as (
    select
        *,
        ln(1 + decayed_contact_days) / nullif(ln(1 + max(decayed_contact_days) over at_date), 0) as frequency,
        ln(1 + decayed_contacts) / nullif(ln(1 + max(decayed_contacts) over at_date), 0) as volume,
        ln(1 + decayed_minutes_together) / nullif(ln(1 + max(decayed_minutes_together) over at_date), 0) as time_together,
        ln(1 + greatest(years_known, 0)) / nullif(ln(1 + greatest(max(greatest(years_known, 0)) over at_date,
            getvariable('longevity_full_scale_years'))), 0) as longevity,
        (channel_and_source_count - 2.0) / nullif(max(channel_and_source_count) over at_date - 2.0, 0) as multiplexity,
        ln(1 + shared_contacts) / nullif(ln(1 + max(shared_contacts) over at_date), 0) as shared_context
    from raw_features
    window at_date as (partition by as_of_date)
),
scored as (
    select
        * replace (
            coalesce(frequency, 0) as frequency,
            coalesce(volume, 0) as volume,
            coalesce(time_together, 0) as time_together,
            coalesce(longevity, 0) as longevity,
            greatest(coalesce(multiplexity, 0), 0) as multiplexity,
            coalesce(shared_context, 0) as shared_context
        )
    from features
),
final as (
    select
        *,
        least(1.0, greatest(0.0,
            getvariable('weight_recency') * recency
            + getvariable('weight_frequency') * frequency
            + getvariable('weight_volume') * volume
            + getvariable('weight_time_together') * time_together
            + getvariable('weight_reciprocity') * reciprocity
            + getvariable('weight_longevity') * longevity
            + getvariable('weight_multiplexity') * multiplexity
            + getvariable('weight_shared_context') * shared_context)) as score,
        case when contact_days < getvariable('min_days_for_evidence') then 'unknown' else 'measured' end as evidence
    from scored
)
select
    as_of_date,
    month,
    person_id,
    round(score, 6) as score,
    row_number() over (partition by as_of_date order by score desc, person_id) as rank,
    count(*) over (partition by as_of_date) as ranked_ties,
    evidence,
    round(recency, 6) as recency,
    round(frequency, 6) as frequency,
    round(volume, 6) as volume,
    round(time_together, 6) as time_together,
    round(reciprocity, 6) as reciprocity,
    round(longevity, 6) as longevity,
    round(multiplexity, 6) as multiplexity,
    round(shared_context, 6) as shared_context,
    last_contact,
    days_since_last_contact,
    contact_days,
    contact_count
from final
