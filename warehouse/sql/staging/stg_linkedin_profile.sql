-- The LinkedIn exports' own profiles (Profile.csv): the owner as LinkedIn names them, one row
-- per distinct name and profile URL. Used to recognise the owner in their own messages, and
-- as the owner's name when there is no owner.yaml.
-- group: ingest
select
    full_name,
    strip_accents(lower(trim(full_name))) as folded_name,
    first_name,
    last_name,
    maiden_name,
    profile_url,
    source_file
from raw_linkedin_profile
where full_name is not null
qualify row_number() over (
    partition by strip_accents(lower(trim(full_name))), coalesce(profile_url, '')
    order by source_file, position) = 1
