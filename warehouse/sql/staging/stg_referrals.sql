-- One row per referral in the owner's log, with the key that ties it to a person.
-- group: ingest
select
    coalesce(person_email, person_linkedin_url, 'name:' || strip_accents(lower(person_name))) as source_key,
    person_email, person_linkedin_url, person_name, person,
    occurred_on, direction, kind, known_kind, value, note, source_file, position
from raw_referrals
