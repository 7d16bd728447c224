-- One row per logged referral up to the as-of date, with the person it came from or went to.
-- group: metrics
select
    p.person_id,
    r.occurred_on,
    r.direction,
    r.kind,
    r.value,
    r.value >= getvariable('high_impact_value') as high_impact,
    year(r.occurred_on) || '-Q' || quarter(r.occurred_on) as quarter,
    r.note,
    r.person as logged_as,
    r.source_file,
    r.position
from stg_referrals as r
join int_person_ids as p on p.record_key = 'referrals:' || r.source_key
where not p.is_owner
    and r.occurred_on <= getvariable('as_of')::date
