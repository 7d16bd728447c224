-- One row per skill endorsement given or received on LinkedIn.
-- group: ingest
select
    coalesce(profile_url, 'name:' || strip_accents(lower(trim(concat_ws(' ', first_name, last_name))))) as source_key,
    profile_url,
    trim(concat_ws(' ', first_name, last_name)) as full_name,
    first_name, last_name, skill,
    case when direction = 'given' then 'outbound' else 'inbound' end as direction,
    endorsed_at, source_file, position
from raw_linkedin_endorsements
where coalesce(profile_url, first_name, last_name) is not null
    and coalesce(upper(status), 'ACCEPTED') = 'ACCEPTED'
qualify row_number() over (partition by source_key, direction, skill order by endorsed_at, source_file, position) = 1
