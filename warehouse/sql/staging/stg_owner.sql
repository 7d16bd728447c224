-- The owner: whose ties are measured, and who is never one of them. Always exactly one row.
-- From owner.yaml when there is one; otherwise inferred (`inferred_from` says from what): the
-- name and profile from a LinkedIn export's Profile.csv, the address from the calendars, as
-- the one on the most meetings (a calendar is its owner's: they are on nearly every event),
-- organising the most on a tie. A run with an inferred owner says how to confirm it.
-- `timezone` is owner.yaml's (an IANA name), null when it gives none.
-- The addresses mail in the Sent label or folder was sent from are the owner's too, declared or not.
-- group: ingest
with sent_from as (
    select coalesce(list(distinct a.email order by a.email), []::varchar[]) as emails
    from raw_mail_addresses as a
    join raw_mail_messages as m using (source_file, position)
    where a.role = 'from' and m.in_sent
),
declared as (
    select
        name,
        strip_accents(lower(name)) as folded_name,
        list_concat(coalesce(emails, []), list_filter((select emails from sent_from),
            lambda address: not list_contains(coalesce(emails, []), address))) as emails,
        linkedin_url,
        coalesce(phones, []) as phones,
        default_region,
        null::varchar as inferred_from,
        timezone
    from raw_owner
    order by source_file
    limit 1
),
profile as (
    select full_name, profile_url
    from stg_linkedin_profile
    order by profile_url is null, source_file, full_name
    limit 1
),
presence as (
    select email, count(distinct occurrence_id) as meetings, count(distinct occurrence_id) filter (where is_organizer) as organised
    from stg_calendar_attendees
    group by email
),
calendar_owner as (
    -- On at least half of all meetings: otherwise no address stands out as the calendar's own.
    select p.email
    from presence as p
    where p.meetings * 2 >= (select count(distinct occurrence_id) from stg_calendar_attendees)
    order by p.meetings desc, p.organised desc, p.email
    limit 1
),
calendar_name as (
    select first(a.name order by a.name) as name
    from stg_calendar_attendees as a
    join calendar_owner using (email)
    where a.name is not null and a.name <> a.email and a.name not like '%@%'
),
inferred as (
    select
        coalesce((select full_name from profile), (select name from calendar_name)) as name,
        list_distinct(list_concat(coalesce((select [email] from calendar_owner), []::varchar[]),
            (select emails from sent_from))) as emails,
        (select profile_url from profile) as linkedin_url,
        concat_ws(' and ',
            if(exists (select 1 from profile), 'the LinkedIn export''s Profile.csv', null),
            if(exists (select 1 from calendar_owner), 'the calendar''s own address', null),
            if(len((select emails from sent_from)) > 0, 'the From of sent mail', null)) as inferred_from
)
select * from declared
union all
select name, strip_accents(lower(name)), emails, linkedin_url, []::varchar[], null, nullif(inferred_from, ''), null
from inferred
where not exists (select 1 from declared)
