-- The owner, from owner.yaml: whose ties are measured, and who is never one of them.
-- group: ingest
select
    name,
    strip_accents(lower(name)) as folded_name,
    coalesce(emails, []) as emails,
    linkedin_url,
    coalesce(phones, []) as phones,
    default_region
from raw_owner
order by source_file
limit 1
