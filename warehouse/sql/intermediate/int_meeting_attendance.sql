-- One row per calendar occurrence and person other than the owner who attends it, past or
-- upcoming. A calendar in the inbox is the owner's own: its meetings count unless cancelled or
-- the owner declined them; people who declined do not meet the owner.
-- group: metrics
with owner as (
    select emails from stg_owner
),
owner_declined as (
    select distinct a.occurrence_id
    from stg_calendar_attendees as a, owner
    where list_contains(owner.emails, a.email) and a.partstat = 'DECLINED'
)
select
    m.occurrence_id,
    m.starts_at,
    m.duration_minutes,
    m.attendee_count,
    m.summary,
    m.source_file,
    list_contains(owner.emails, m.organizer_email) as organised_by_owner,
    a.email,
    a.is_organizer,
    a.partstat
from stg_calendar_meetings as m
join stg_calendar_attendees as a using (occurrence_id)
cross join owner
where m.status <> 'CANCELLED'
    and a.partstat <> 'DECLINED'
    and not list_contains(owner.emails, a.email)
    and m.occurrence_id not in (select occurrence_id from owner_declined)
