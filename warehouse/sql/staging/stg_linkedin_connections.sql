-- One row per LinkedIn connection, keyed by profile URL; exports from 2018 have no URL, so
-- those are keyed by the folded name, the only identity that era gives.
-- group: ingest
select
    coalesce(profile_url, 'name:' || strip_accents(lower(trim(concat_ws(' ', first_name, last_name))))) as source_key,
    source_file,
    position,
    trim(concat_ws(' ', first_name, last_name)) as full_name,
    first_name,
    last_name,
    profile_url,
    email,
    nullif(trim(company), '') as company,
    nullif(trim(position_title), '') as title,
    connected_on
from raw_linkedin_connections
where coalesce(profile_url, first_name, last_name) is not null
qualify row_number() over (partition by source_key order by connected_on desc nulls last, source_file, position) = 1
