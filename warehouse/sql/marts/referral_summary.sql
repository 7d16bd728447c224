-- One row per person in the referral log: referrals received and given, counted and valued by
-- kind, and the give/take balance. `gave_far_more` marks people who have given the owner far
-- more than they received: the ties to thank and to help next.
-- group: metrics
with per_person as (
    select
        person_id,
        count(*) filter (where direction = 'received') as referrals_received,
        coalesce(sum(value) filter (where direction = 'received'), 0)::integer as value_received,
        count(*) filter (where direction = 'given') as referrals_given,
        coalesce(sum(value) filter (where direction = 'given'), 0)::integer as value_given,
        count(*) filter (where direction = 'received' and high_impact) as high_impact_received,
        max(occurred_on) as last_referral_on
    from referral
    group by person_id
),
by_kind as (
    select
        person_id,
        string_agg(kind_count, ', ' order by kind_value desc, kind_count) as received_by_kind
    from (
        select person_id, sum(value) as kind_value,
            replace(kind, '_', ' ') || ' ×' || count(*) || ' (value ' || sum(value) || ')' as kind_count
        from referral
        where direction = 'received'
        group by person_id, kind
    )
    group by person_id
)
select
    p.person_id,
    person.display_name,
    p.referrals_received,
    p.value_received,
    p.referrals_given,
    p.value_given,
    p.value_given - p.value_received as give_take_balance,
    p.high_impact_received,
    coalesce(k.received_by_kind, '') as received_by_kind,
    -- "Far more": at least twice as much, and by at least one high-impact referral.
    p.value_received >= 2 * p.value_given
        and p.value_received - p.value_given >= getvariable('high_impact_value') as gave_far_more,
    p.last_referral_on
from per_person as p
join person using (person_id)
left join by_kind as k using (person_id)
order by p.value_received desc, p.person_id
