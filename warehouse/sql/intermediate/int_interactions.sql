-- Every past contact between the owner and someone else, per source record: meetings attended,
-- LinkedIn messages, invitations, recommendations, endorsements and logged referrals.
-- `direction` is seen from the owner: outbound (the owner organised, wrote, invited, gave),
-- inbound (the other person did), neutral (a third person organised the meeting).
-- group: metrics
with owner as (
    select emails from stg_owner
),
cutoff as (
    select (getvariable('as_of')::date + interval 1 day)::timestamptz as run_end
),
-- A calendar in the inbox is the owner's own: its meetings count unless cancelled or the
-- owner declined them; people who declined did not meet the owner.
owner_declined as (
    select distinct a.occurrence_id
    from stg_calendar_attendees as a, owner
    where list_contains(owner.emails, a.email) and a.partstat = 'DECLINED'
),
meetings as (
    select
        'calendar:' || a.email as record_key,
        m.starts_at as occurred_at,
        'meeting' as channel,
        case
            when list_contains(owner.emails, m.organizer_email) then 'outbound'
            when a.is_organizer then 'inbound'
            else 'neutral'
        end as direction,
        m.duration_minutes as minutes,
        greatest(coalesce(m.attendee_count, 2), 2) as group_size,
        null::varchar as kind,
        null::integer as value,
        m.occurrence_id as detail_id,
        m.source_file
    from stg_calendar_meetings as m
    join stg_calendar_attendees as a using (occurrence_id)
    cross join owner
    where m.status <> 'CANCELLED'
        and a.partstat <> 'DECLINED'
        and not list_contains(owner.emails, a.email)
        and m.occurrence_id not in (select occurrence_id from owner_declined)
),
linkedin as (
    select 'linkedin:' || source_key, sent_at, 'message', direction, null::double, group_size,
        null::varchar, null::integer, conversation_id, source_file
    from stg_linkedin_messages
    union all
    select 'linkedin:' || source_key, sent_at, 'invitation', direction, null, 2, null, null, null, source_file
    from stg_linkedin_invitations
    union all
    select 'linkedin:' || source_key, created_at, 'recommendation', direction, null, 2, null, null, null, source_file
    from stg_linkedin_recommendations
    union all
    select 'linkedin:' || source_key, endorsed_at, 'endorsement', direction, null, 2, skill, null, null, source_file
    from stg_linkedin_endorsements
),
referrals as (
    select
        'referrals:' || source_key, occurred_on::timestamptz, 'referral',
        case when direction = 'received' then 'inbound' else 'outbound' end,
        null::double, 2, kind, value, null, source_file
    from stg_referrals
)
select all_contacts.*
from (
    select * from meetings
    union all select * from linkedin
    union all select * from referrals
) as all_contacts
cross join cutoff
where all_contacts.occurred_at < cutoff.run_end
