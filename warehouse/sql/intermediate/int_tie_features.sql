-- Tie strength at many as-of dates in one pass: the as-of date itself and the end of each of
-- the `history_months` - 1 months before it, each person's features and score as tie_strength
-- computes them (the same formula and weights, read from the same variables) with the as-of
-- date moved: only contact up to that date counts, half-lives and scales are those of that
-- date. tie_strength reads the as-of date's rows, int_tie_history the score and rank at every
-- date: there is one formula (tests/test_time.py holds a past month-end equal to a run on that
-- date). A view, so that each reader computes only the dates and columns it reads.
-- group: metrics
-- materialized: view
with as_of_dates as (
    select getvariable('as_of')::date as as_of_date, date_trunc('month', getvariable('as_of')::date)::date as month
    union all
    select
        last_day(date_trunc('month', getvariable('as_of')::date) - to_months(months_back))::date,
        (date_trunc('month', getvariable('as_of')::date) - to_months(months_back))::date
    from range(1, getvariable('history_months')) as steps(months_back)
),
-- People by a number in the order of their ids, with what the features read of them: grouping,
-- joining and ranking on an integer cost a fraction of the same on the id, and ties in rank
-- still break by id.
keyed as (
    select person_id, row_number() over (order by person_id) as person_key, len(p.sources) as source_count, p.first_seen,
        -- The first contact is the same at every as-of date a person is scored at.
        i.first_contact
    from (select person_id, min(occurred_on) as first_contact from interaction group by person_id) as i
    join person as p using (person_id)
),
dated as (
    select
        k.person_key,
        i.occurred_on as contact_day,
        i.channel,
        i.direction,
        i.shared_minutes,
        i.group_size,
        i.detail_id,
        -- A conversation is a run of contacts with this person at most `conversation_gap_minutes`
        -- apart, whatever the channel (texts and a call back, a mail and its answers). Ordered
        -- once over everyone rather than within each person: one sort instead of thousands.
        lag(k.person_key) over by_time is distinct from k.person_key
            or i.occurred_at - lag(i.occurred_at) over by_time > to_minutes(getvariable('conversation_gap_minutes'))
            as starts_conversation
    from interaction as i
    join keyed as k using (person_id)
    window by_time as (order by k.person_key, i.occurred_at)
),
history_start as (
    select min(contact_day) as first_day from dated
),
-- Materialized: its rates are read for every contact day at every date.
params as materialized (
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
    from as_of_dates as d, history_start as f
    where d.as_of_date >= f.first_day
),
-- The day each person's contact on a channel began: multiplexity at an as-of date counts the
-- channels begun by then.
channel_firsts as (
    select person_key, first_day as contact_day, count(*) as new_channels
    from (select person_key, channel, min(contact_day) as first_day from dated group by all)
    group by all
),
-- People met in small meetings with this person, each from the first such meeting on: at an
-- as-of date, those met together by then.
shared_meetings as (
    select distinct person_key, detail_id, contact_day as meeting_day
    from dated
    where channel = 'meeting' and group_size between 3 and getvariable('shared_context_max_group_size')
),
shared_firsts as (
    select person_key, first_shared_day as contact_day, count(*) as new_shared_contacts
    from (
        select a.person_key, min(a.meeting_day) as first_shared_day
        from shared_meetings as a
        join shared_meetings as b on a.detail_id = b.detail_id and a.person_key <> b.person_key
        group by a.person_key, b.person_key
    )
    group by all
),
-- Each person's contacts summed per day once; every as-of date then reads the days up to it
-- (the same sums as over the contacts themselves: contacts of one day share their age). The
-- first days of a channel and of a shared contact are contact days of this person, so they
-- ride along and every feature comes out of one grouping.
daily as (
    select
        contacts.*,
        coalesce(channel_firsts.new_channels, 0) as new_channels,
        coalesce(shared_firsts.new_shared_contacts, 0) as new_shared_contacts
    from (
        select
            person_key,
            contact_day,
            count(*) as contacts,
            count(*) filter (where direction = 'outbound') as initiated_by_owner,
            count(*) filter (where direction = 'inbound') as initiated_by_them,
            coalesce(sum(shared_minutes) filter (where channel = 'meeting'), 0) as minutes_together,
            count(*) filter (where starts_conversation) as conversations
        from dated
        group by person_key, contact_day
    ) as contacts
    left join channel_firsts using (person_key, contact_day)
    left join shared_firsts using (person_key, contact_day)
),
per_person as (
    select
        params.as_of_date,
        d.person_key,
        max(d.contact_day) as last_contact,
        count(*) as contact_days,
        sum(d.contacts)::bigint as contact_count,
        sum(d.contacts * exp(-params.frequency_rate * (params.as_of_date - d.contact_day))) as decayed_contacts,
        sum(exp(-params.frequency_rate * (params.as_of_date - d.contact_day))) as decayed_contact_days,
        sum(d.initiated_by_owner)::bigint as initiated_by_owner,
        sum(d.initiated_by_them)::bigint as initiated_by_them,
        sum(d.initiated_by_them * exp(-params.frequency_rate * (params.as_of_date - d.contact_day))) as decayed_initiated_by_them,
        sum(d.minutes_together) as minutes_together,
        sum(d.minutes_together * exp(-params.time_rate * (params.as_of_date - d.contact_day))) as decayed_minutes_together,
        sum(d.new_channels)::bigint as channel_count,
        sum(d.new_shared_contacts)::bigint as shared_contacts,
        sum(d.contacts) filter (where d.contact_day > params.as_of_date - getvariable('intensity_window_days'))
            / sum(d.conversations) filter (where d.contact_day > params.as_of_date - getvariable('intensity_window_days'))
            as contacts_per_conversation
    from daily as d
    join params on d.contact_day <= params.as_of_date
    group by params.as_of_date, d.person_key
),
-- The mail of the last `reply_window_days` before each as-of date that asked for an answer,
-- and how much of it the other side answered by that date (int_mail_replies).
replies as (
    select
        params.as_of_date,
        k.person_key,
        count(*) as reply_mails,
        count(*) filter (where r.answered_day <= params.as_of_date) as answered_mails
    from int_mail_replies as r
    join keyed as k using (person_id)
    join params on r.sent_day <= params.as_of_date
        and r.sent_day > params.as_of_date - getvariable('reply_window_days')
    group by params.as_of_date, k.person_key
),
raw_features as (
    select
        pp.*,
        k.person_id,
        params.month,
        params.history_days,
        k.source_count,
        least(k.first_contact, k.first_seen) as known_since,
        (params.as_of_date - pp.last_contact) as days_since_last_contact,
        exp(-params.recency_rate * (params.as_of_date - pp.last_contact)) as recency,
        (params.as_of_date - least(k.first_contact, k.first_seen)) / 365.25 as years_known,
        pp.channel_count + k.source_count as channel_and_source_count,
        -- Balance of initiative, shrunk towards 0 when there is little to judge it by.
        case when pp.initiated_by_owner + pp.initiated_by_them = 0 then 0.0
            else (1 - abs(pp.initiated_by_owner - pp.initiated_by_them) / (pp.initiated_by_owner + pp.initiated_by_them))
                * ((pp.initiated_by_owner + pp.initiated_by_them) / (pp.initiated_by_owner + pp.initiated_by_them + 2.0))
        end as initiative_balance,
        coalesce(rp.reply_mails, 0) as reply_mails,
        coalesce(rp.answered_mails, 0) as answered_mails
    from per_person as pp
    join keyed as k using (person_key)
    join params using (as_of_date)
    left join replies as rp using (as_of_date, person_key)
),
-- Each date's scales: the strongest in the network by then (one row per date, joined back,
-- rather than a window over every row: the same maxima at a fraction of the time).
scales as (
    select
        as_of_date,
        ln(1 + max(decayed_contact_days)) as frequency_scale,
        ln(1 + max(decayed_contacts)) as volume_scale,
        ln(1 + max(decayed_minutes_together)) as time_scale,
        ln(1 + greatest(max(greatest(years_known, 0)), getvariable('longevity_full_scale_years'))) as longevity_scale,
        max(channel_and_source_count) - 2.0 as multiplexity_scale,
        ln(1 + max(shared_contacts)) as shared_context_scale,
        ln(1 + max(contacts_per_conversation)) as intensity_scale,
        ln(1 + max(decayed_initiated_by_them)) as their_initiative_scale,
        count(*) as ranked_ties
    from raw_features
    group by as_of_date
),
-- Heavy-tailed counts are scaled by log against the strongest in the owner's own network.
features as (
    select
        raw_features.*,
        scales.ranked_ties,
        coalesce(ln(1 + decayed_contact_days) / nullif(frequency_scale, 0), 0) as frequency,
        coalesce(ln(1 + decayed_contacts) / nullif(volume_scale, 0), 0) as volume,
        coalesce(ln(1 + decayed_minutes_together) / nullif(time_scale, 0), 0) as time_together,
        -- Scaled against at least `longevity_full_scale_years`: in a short history everyone was
        -- first seen within days of each other, and that says nothing of how long they go back.
        coalesce(ln(1 + greatest(years_known, 0)) / nullif(longevity_scale, 0), 0) as longevity,
        greatest(coalesce((channel_and_source_count - 2.0) / nullif(multiplexity_scale, 0), 0), 0) as multiplexity,
        coalesce(ln(1 + shared_contacts) / nullif(shared_context_scale, 0), 0) as shared_context,
        coalesce(ln(1 + contacts_per_conversation) / nullif(intensity_scale, 0), 0) as intensity,
        coalesce(ln(1 + decayed_initiated_by_them) / nullif(their_initiative_scale, 0), 0) as their_initiative,
        -- Replies are the best evidence of reciprocity (they answer you, you answer them): with
        -- at least `reply_min_mails` mails asking for an answer, reciprocity is the mean of the
        -- balance of initiative and the share of those mails answered, shrunk like the balance.
        if(reply_mails >= getvariable('reply_min_mails'),
            (initiative_balance + answered_mails / reply_mails * (reply_mails / (reply_mails + 2.0))) / 2,
            initiative_balance) as reciprocity
    from raw_features
    join scales using (as_of_date)
),
final as (
    select
        *,
        -- A feature weighted 0 is left out of the sum rather than added times 0: DuckDB then never
        -- computes it for a reader of the score alone (int_tie_history at every month-end).
        round(least(1.0, greatest(0.0,
            if(getvariable('weight_recency') = 0, 0, getvariable('weight_recency') * recency)
            + if(getvariable('weight_frequency') = 0, 0, getvariable('weight_frequency') * frequency)
            + if(getvariable('weight_volume') = 0, 0, getvariable('weight_volume') * volume)
            + if(getvariable('weight_time_together') = 0, 0, getvariable('weight_time_together') * time_together)
            + if(getvariable('weight_reciprocity') = 0, 0, getvariable('weight_reciprocity') * reciprocity)
            + if(getvariable('weight_longevity') = 0, 0, getvariable('weight_longevity') * longevity)
            + if(getvariable('weight_multiplexity') = 0, 0, getvariable('weight_multiplexity') * multiplexity)
            + if(getvariable('weight_shared_context') = 0, 0, getvariable('weight_shared_context') * shared_context)
            + if(getvariable('weight_intensity') = 0, 0, getvariable('weight_intensity') * intensity)
            + if(getvariable('weight_their_initiative') = 0, 0, getvariable('weight_their_initiative') * their_initiative))), 6) as score,
        case when contact_days < getvariable('min_days_for_evidence') then 'unknown' else 'measured' end as evidence
    from features
)
select
    as_of_date,
    month,
    person_id,
    score,
    -- Ranked here rather than in a CTE joined back: a reader's filter on the date then reaches
    -- per_person (tie_strength computes the as-of date alone) and a reader of a few columns
    -- computes only what those need (int_tie_history). Ranked on the score as published
    -- (rounded): sums added in another order differ in their last bits, and equal scores must
    -- rank alike, by id, whichever reader computed them.
    row_number() over (partition by as_of_date order by score desc, person_key) as rank,
    ranked_ties,
    evidence,
    round(recency, 6) as recency,
    round(frequency, 6) as frequency,
    round(volume, 6) as volume,
    round(time_together, 6) as time_together,
    round(reciprocity, 6) as reciprocity,
    round(longevity, 6) as longevity,
    round(multiplexity, 6) as multiplexity,
    round(shared_context, 6) as shared_context,
    round(intensity, 6) as intensity,
    round(their_initiative, 6) as their_initiative,
    last_contact,
    known_since,
    days_since_last_contact,
    years_known,
    history_days,
    contact_days,
    contact_count,
    decayed_contact_days,
    decayed_contacts,
    minutes_together,
    initiated_by_owner,
    initiated_by_them,
    source_count,
    shared_contacts,
    contacts_per_conversation
from final
