-- One row per calendar occurrence (a recurring event gives one per date), counted once even
-- when the same calendar was exported to two files.
-- group: ingest
select
    occurrence_id, uid, source_file, event_position, starts_at, ends_at, all_day,
    duration_minutes, upper(coalesce(status, 'CONFIRMED')) as status, summary,
    organizer_email, organizer_name, is_recurring, attendee_count, resource_count
from raw_calendar_meetings
qualify row_number() over (partition by occurrence_id order by source_file, event_position) = 1
