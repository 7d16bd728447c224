-- One row per keep-in-touch rhythm the owner set in cadence.csv, with the key that names the
-- person the way the referral log does (an email, a LinkedIn URL, else the folded name).
-- group: ingest
select
    coalesce(person_email, person_linkedin_url, 'name:' || strip_accents(lower(person_name))) as source_key,
    person_email,
    person_linkedin_url,
    person_name,
    strip_accents(lower(person_name)) as folded_name,
    every_days,
    source_file,
    position,
    'row ' || position || coalesce(' (line ' || line || ')', '') as location
from raw_cadence
order by source_file, position
