-- Each row of cadence.csv and the person it names, found the way the referral log names
-- people: an email or LinkedIn URL on any of their records, else their name. A row naming
-- nobody, several people or the owner is reported in `quarantine` and not used.
-- group: resolve
-- stage: resolve
with records as (
    select ids.person_id, ids.is_owner, strip_accents(lower(r.full_name)) as folded_name, r.emails, r.linkedin_url
    from int_source_records as r
    join int_person_ids as ids using (record_key)
),
matches as (
    select c.source_file, c.position, c.location, c.every_days, r.person_id, r.is_owner
    from stg_cadence as c
    left join records as r
        on (c.person_email is not null and list_contains(r.emails, c.person_email))
        or (c.person_linkedin_url is not null and r.linkedin_url = c.person_linkedin_url)
        or (c.folded_name is not null and r.folded_name = c.folded_name)
),
per_row as (
    select
        source_file, position, location, every_days,
        count(distinct person_id) filter (where not is_owner) as people,
        min(person_id) filter (where not is_owner) as person_id,
        coalesce(bool_or(is_owner), false) as names_owner
    from matches
    group by all
)
select
    source_file,
    position,
    location,
    if(people = 1, person_id, null) as person_id,
    every_days,
    case
        when people = 0 and names_owner then 'person is you (the owner): a rhythm is for the people you keep in touch with'
        when people = 0 then 'person matches nobody in your contacts: give their email or LinkedIn URL as another source has it'
        when people > 1 then 'person matches ' || people || ' people: give their email or LinkedIn URL instead of a name'
    end as problem,
    -- A later row for the same person replaces an earlier one, as the owner's latest word.
    if(people = 1, row_number() over (partition by if(people = 1, person_id, null)
        order by source_file desc, position desc) = 1, false) as in_effect
from per_row
order by source_file, position
