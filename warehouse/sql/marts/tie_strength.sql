-- One row per person with logged contact: the features of tie strength, each in [0, 1]
-- within the owner's own network, the weighted score, its rank and an explanation in words.
-- docs/scoring.md states the formula and the research behind every feature and weight.
-- group: metrics
-- The span of history the inbox holds: no half-life may exceed a share of it, so that four
-- weeks of texts are not decayed as if they were years (every contact would weigh the same).
with history as (
    select greatest(getvariable('as_of')::date - min(occurred_at::date), 1) as history_days
    from interaction
),
params as (
    select
        getvariable('as_of')::date as as_of,
        history.history_days,
        ln(2) / least(getvariable('recency_half_life_days'),
            getvariable('half_life_max_share_of_history') * history.history_days) as recency_rate,
        ln(2) / least(getvariable('frequency_half_life_days'),
            getvariable('half_life_max_share_of_history') * history.history_days) as frequency_rate,
        ln(2) / least(getvariable('time_together_half_life_days'),
            getvariable('half_life_max_share_of_history') * history.history_days) as time_rate
    from history
),
contacts as (
    select i.*, i.occurred_at::date as contact_day, params.as_of - i.occurred_at::date as age_days
    from interaction as i, params
),
per_person as (
    select
        person_id,
        max(contact_day) as last_contact,
        min(contact_day) as first_contact,
        count(distinct contact_day) as contact_days,
        count(*) as contact_count,
        -- Every contact, not only its day: over weeks, counts carry signal days miss.
        sum(exp(-params.frequency_rate * age_days)) as decayed_contacts,
        count(*) filter (where direction = 'outbound') as initiated_by_owner,
        count(*) filter (where direction = 'inbound') as initiated_by_them,
        list(distinct channel order by channel) as channels,
        count(*) filter (where channel = 'meeting' and group_size = 2 and age_days < 90) as one_on_ones_90d,
        count(*) filter (where channel = 'meeting' and group_size = 2 and age_days < 90 and direction = 'outbound') as organised_90d,
        count(*) filter (where channel = 'meeting' and age_days < 365) as meetings_365d,
        count(*) filter (where channel = 'meeting') as meetings_all,
        max(contact_day) filter (where channel = 'meeting') as last_meeting,
        count(*) filter (where channel = 'meeting' and group_size = 2 and age_days < 365) as one_on_ones_365d,
        count(*) filter (where channel = 'message' and age_days < 365) as messages_365d,
        count(*) filter (where channel = 'message' and age_days < 365 and direction = 'inbound') as messages_from_them_365d,
        -- Minutes together, shared among the others present (Onnela et al. 2007).
        coalesce(sum(shared_minutes) filter (where channel = 'meeting'), 0) as minutes_together,
        coalesce(sum(shared_minutes * exp(-params.time_rate * age_days))
            filter (where channel = 'meeting'), 0) as decayed_minutes_together,
        count(*) filter (where channel = 'referral' and direction = 'inbound') as referrals_received,
        count(*) filter (where channel = 'referral' and direction = 'outbound') as referrals_given,
        coalesce(sum(value) filter (where channel = 'referral' and direction = 'inbound'), 0)::integer as referral_value_received,
        coalesce(sum(value) filter (where channel = 'referral' and direction = 'outbound'), 0)::integer as referral_value_given,
        list(distinct replace(kind, '_', ' ') order by replace(kind, '_', ' '))
            filter (where channel = 'referral' and direction = 'inbound') as referral_kinds_received
    from contacts, params
    group by person_id
),
-- Days with contact, not raw counts (Ureña-Carrion et al. 2020), each decayed by its age.
contact_days as (
    select days.person_id, sum(exp(-params.frequency_rate * (params.as_of - days.contact_day))) as decayed_contact_days
    from (select distinct person_id, contact_day from contacts) as days, params
    group by days.person_id
),
-- People met in small meetings with this person: a shared working context.
shared_meetings as (
    select distinct person_id, detail_id
    from interaction
    where channel = 'meeting' and group_size between 3 and getvariable('shared_context_max_group_size')
),
shared_context as (
    select a.person_id, count(distinct b.person_id) as shared_contacts
    from shared_meetings as a
    join shared_meetings as b on a.detail_id = b.detail_id and a.person_id <> b.person_id
    group by a.person_id
),
raw_features as (
    select
        pp.*,
        p.display_name,
        params.history_days,
        len(p.sources) as source_count,
        least(pp.first_contact, p.first_seen) as known_since,
        (params.as_of - pp.last_contact) as days_since_last_contact,
        exp(-params.recency_rate * (params.as_of - pp.last_contact)) as recency,
        cd.decayed_contact_days,
        (params.as_of - least(pp.first_contact, p.first_seen)) / 365.25 as years_known,
        len(pp.channels) + len(p.sources) as channel_and_source_count,
        coalesce(sc.shared_contacts, 0) as shared_contacts,
        -- Balance of initiative, shrunk towards 0 when there is little to judge it by.
        case when pp.initiated_by_owner + pp.initiated_by_them = 0 then 0.0
            else (1 - abs(pp.initiated_by_owner - pp.initiated_by_them) / (pp.initiated_by_owner + pp.initiated_by_them))
                * ((pp.initiated_by_owner + pp.initiated_by_them) / (pp.initiated_by_owner + pp.initiated_by_them + 2.0))
        end as reciprocity
    from per_person as pp
    join person as p using (person_id)
    join contact_days as cd using (person_id)
    left join shared_context as sc using (person_id)
    cross join params
),
-- Heavy-tailed counts are scaled by log against the strongest in the owner's own network.
features as (
    select
        *,
        ln(1 + decayed_contact_days) / nullif(ln(1 + max(decayed_contact_days) over ()), 0) as frequency,
        ln(1 + decayed_contacts) / nullif(ln(1 + max(decayed_contacts) over ()), 0) as volume,
        ln(1 + decayed_minutes_together) / nullif(ln(1 + max(decayed_minutes_together) over ()), 0) as time_together,
        -- Scaled against at least `longevity_full_scale_years`: in a short history everyone was
        -- first seen within days of each other, and that says nothing of how long they go back.
        ln(1 + greatest(years_known, 0)) / nullif(ln(1 + greatest(max(greatest(years_known, 0)) over (),
            getvariable('longevity_full_scale_years'))), 0) as longevity,
        (channel_and_source_count - 2.0) / nullif(max(channel_and_source_count) over () - 2.0, 0) as multiplexity,
        ln(1 + shared_contacts) / nullif(ln(1 + max(shared_contacts) over ()), 0) as shared_context
    from raw_features
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
    person_id,
    display_name,
    round(score, 6) as score,
    row_number() over (order by score desc, person_id) as rank,
    -- The fifth of the network that, by the 80/20 rule, should carry most of the opportunities.
    rank <= ceil(0.2 * count(*) over ()) as top_20_percent,
    evidence,
    round(recency, 6) as recency,
    round(frequency, 6) as frequency,
    round(volume, 6) as volume,
    round(time_together, 6) as time_together,
    round(reciprocity, 6) as reciprocity,
    round(longevity, 6) as longevity,
    round(multiplexity, 6) as multiplexity,
    round(shared_context, 6) as shared_context,
    concat_ws('; ',
        case
            when one_on_ones_90d > 0 then
                one_on_ones_90d || ' one-on-one' || if(one_on_ones_90d = 1, '', 's') || ' in the last 90 days'
                || if(organised_90d > 0, ', you organised ' || organised_90d, '')
            when meetings_365d > 0 then
                meetings_365d || ' meeting' || if(meetings_365d = 1, '', 's') || ' in the last year'
                || if(one_on_ones_365d > 0, ' (' || one_on_ones_365d || ' one-on-one)', '')
            when meetings_all > 0 then
                meetings_all || ' meeting' || if(meetings_all = 1, '', 's') || ' in all, the last in '
                || strftime(last_meeting, '%b %Y')
        end,
        case when messages_365d > 0 then
            messages_365d || ' message' || if(messages_365d = 1, '', 's') || ' in the last year, '
            || messages_from_them_365d || ' from them'
        end,
        case when referrals_received > 0 then
            'referred you ' || case referrals_received when 1 then 'once' when 2 then 'twice' else referrals_received || ' times' end
            || ' (' || array_to_string(referral_kinds_received, ', ') || ')'
        end,
        case when referrals_given > 0 then
            'you referred them ' || case referrals_given when 1 then 'once' when 2 then 'twice' else referrals_given || ' times' end
        end,
        case
            when years_known >= 1 then 'known ' || floor(years_known)::int || ' year' || if(floor(years_known) = 1, '', 's')
            when years_known >= 0 then 'known ' || greatest(1, floor(years_known * 12))::int || ' month'
                || if(floor(years_known * 12) <= 1, '', 's')
        end,
        'last contact ' || case
            when days_since_last_contact = 0 then 'today'
            when days_since_last_contact <= 90 then
                days_since_last_contact || ' day' || if(days_since_last_contact = 1, '', 's') || ' ago'
            else strftime(last_contact, '%b %Y') end,
        if(evidence = 'unknown', 'little logged contact: strength unknown rather than weak', null),
        -- The trend from the monthly history (int_tie_trends), when there is one.
        case trends.trend
            when 'fading' then if(trends.rank_share_6_months_ago <= 0.5,
                'down from your top ' || greatest(1, ceil(100 * trends.rank_share_6_months_ago))::int || '% six months ago',
                'down from ' || round(trends.strength_6_months_ago, 2) || ' six months ago')
            when 'rising' then if(trends.rank_share_6_months_ago is null, 'new in the last six months',
                'up from ' || round(trends.strength_6_months_ago, 2) || ' six months ago')
        end
    ) as explanation,
    coalesce(trends.trend, 'steady') as trend,
    round(coalesce(trends.strength_6_months_ago, 0), 6) as strength_6_months_ago,
    last_contact,
    days_since_last_contact,
    known_since,
    round(years_known, 2) as years_known,
    contact_days,
    round(decayed_contact_days, 4) as decayed_contact_days,
    contact_count,
    round(decayed_contacts, 4) as decayed_contacts,
    history_days,
    round(minutes_together, 1) as minutes_together,
    initiated_by_owner,
    initiated_by_them,
    channels,
    source_count,
    shared_contacts,
    referrals_received,
    referrals_given,
    referral_value_received,
    referral_value_given,
    referral_kinds_received
from final
left join int_tie_trends as trends using (person_id)
