-- For each upcoming meeting in the calendars (the `meeting_prep_days_ahead` days after the
-- as-of date, 14 by default), who will be there, how strong each tie is, when you last spoke
-- and what you share, to prepare. `starts_local` is the start in the owner's own time zone
-- (owner.yaml `timezone`; else the X-WR-TIMEZONE most of the calendars give; else UTC), named
-- in `timezone`.
-- group: metrics
with calendar_zone as (
    -- A calendar app writes its owner's zone in every export; with several calendars (work and
    -- home, or an old export) the zone most of them name wins, ties broken by name.
    select calendar_timezone as timezone
    from stg_calendar_meetings
    where calendar_timezone is not null
    group by calendar_timezone
    order by count(distinct source_file) desc, calendar_timezone
    limit 1
),
owner_zone as (
    select coalesce((select max(timezone) from stg_owner), (select timezone from calendar_zone), 'UTC') as timezone
),
attendees as (
    select starts_at, summary, duration_minutes, attendee_count, email, partstat
    from int_meeting_attendance
    where starts_at >= getvariable('as_of')::date + interval 1 day
        and starts_at < getvariable('as_of')::date + interval 1 day + to_days(getvariable('meeting_prep_days_ahead'))
),
history as (
    select
        person_id,
        count(*) filter (where channel = 'meeting') as past_meetings,
        count(*) filter (where channel = 'message') as past_messages,
        count(*) filter (where channel = 'referral') as past_referrals
    from interaction
    group by person_id
)
select
    a.starts_at,
    a.summary,
    a.duration_minutes,
    a.attendee_count,
    ids.person_id,
    coalesce(t.display_name, p.display_name, a.email) as attendee,
    t.score,
    t.rank,
    t.last_contact,
    case
        when ids.person_id is null or t.person_id is null then 'no history with you yet'
        else concat_ws('; ',
            coalesce(h.past_meetings, 0) || ' past meeting' || if(coalesce(h.past_meetings, 0) = 1, '', 's'),
            if(coalesce(h.past_messages, 0) > 0, h.past_messages || ' message' || if(h.past_messages = 1, '', 's'), null),
            if(coalesce(h.past_referrals, 0) > 0,
                h.past_referrals || ' referral' || if(h.past_referrals = 1, '', 's') || ' between you', null),
            'last contact ' || strftime(t.last_contact, '%d %b %Y'))
    end as shared_history,
    a.partstat as response,
    timezone(z.timezone, a.starts_at) as starts_local,
    z.timezone
from attendees as a
cross join owner_zone as z
left join int_person_ids as ids on ids.record_key = 'calendar:' || a.email
left join person as p using (person_id)
left join tie_strength as t using (person_id)
left join history as h using (person_id)
where ids.person_id is null or not ids.is_owner
order by a.starts_at, t.rank nulls last, attendee
