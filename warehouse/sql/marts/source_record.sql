-- One row per distinct identity seen in an input (a vCard, a LinkedIn member, a calendar
-- attendee or organizer, a person named in the referral log) and the person it resolved to.
-- group: resolve
select
    r.source,
    r.source_key,
    p.person_id,
    r.source_file,
    r.record_key,
    r.full_name,
    r.emails,
    r.phones,
    r.linkedin_url,
    r.company,
    r.title,
    r.first_seen,
    r.last_seen,
    p.match_probability,
    p.is_owner
from int_source_records as r
join int_person_ids as p using (record_key)
