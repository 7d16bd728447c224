-- One row per distinct vCard: keyed by its UID, else by a stable hash of file and position.
-- When the same UID is exported twice, the most recently revised card is kept.
-- group: ingest
select
    coalesce(nullif(trim(uid), ''), 'card-' || left(sha256(source_file || '#' || position::varchar), 16)) as source_key,
    source_file,
    position,
    line,
    nullif(trim(full_name), '') as full_name,
    given_name,
    family_name,
    additional_names,
    honorific_prefix,
    honorific_suffix,
    nickname,
    coalesce(emails, []) as emails,
    coalesce(phones, []) as phones,
    nullif(trim(org), '') as company,
    nullif(trim(title), '') as title,
    birthday,
    coalesce(addresses, []) as addresses,
    coalesce(cities, []) as cities,
    coalesce(postcodes, []) as postcodes,
    linkedin_url,
    revision,
    parser
from raw_vcard_cards
qualify row_number() over (partition by source_key order by revision desc nulls last, source_file, position) = 1
