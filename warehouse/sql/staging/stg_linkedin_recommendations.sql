-- One row per recommendation given or received on LinkedIn; these name people without a URL.
-- group: ingest
select
    'name:' || strip_accents(lower(trim(concat_ws(' ', first_name, last_name)))) as source_key,
    trim(concat_ws(' ', first_name, last_name)) as full_name,
    first_name, last_name,
    nullif(trim(company), '') as company,
    nullif(trim(job_title), '') as title,
    case when direction = 'given' then 'outbound' else 'inbound' end as direction,
    created_at, status, source_file, position
from raw_linkedin_recommendations
where coalesce(first_name, last_name) is not null
    and coalesce(upper(status), 'VISIBLE') not in ('HIDDEN', 'REJECTED', 'PENDING')
qualify row_number() over (partition by source_key, direction, created_at order by source_file, position) = 1
