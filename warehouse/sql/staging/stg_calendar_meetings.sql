-- One row per calendar occurrence (a recurring event gives one per date), counted once even
-- when the same calendar was exported to two files. `calendar_timezone` is the zone the
-- calendar says its owner lives in (X-WR-TIMEZONE), when it says one.
-- group: ingest
select
    occurrence_id, uid, source_file, event_position, starts_at, ends_at, all_day,
    duration_minutes, upper(coalesce(status, 'CONFIRMED')) as status, summary,
    organizer_email, organizer_name, is_recurring, attendee_count, resource_count,
    calendar_timezone
from raw_calendar_meetings
qualify row_number() over (partition by occurrence_id order by source_file, event_position) = 1
