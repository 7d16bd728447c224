-- One row per person invited to a calendar occurrence (organizer included), rooms excluded.
-- group: ingest
select
    a.occurrence_id,
    a.email,
    nullif(trim(a.name), '') as name,
    upper(coalesce(a.partstat, 'NEEDS-ACTION')) as partstat,
    a.role,
    a.is_organizer,
    a.source_file
from raw_calendar_attendees as a
where a.email is not null
qualify row_number() over (
    partition by a.occurrence_id, a.email
    order by a.is_organizer desc, (upper(a.partstat) = 'ACCEPTED') desc, a.source_file) = 1
