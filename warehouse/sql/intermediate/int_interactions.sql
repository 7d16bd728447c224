-- Every past contact between the owner and someone else, per source record: meetings attended,
-- LinkedIn messages, invitations, recommendations, endorsements, logged referrals and mail (channel email).
-- `detail_id` names the meeting occurrence, the conversation or the referral log row.
-- `direction` is seen from the owner: outbound (the owner organised, wrote, invited, gave),
-- inbound (the other person did), neutral (a third person organised the meeting).
-- group: metrics
with cutoff as (
    select (getvariable('as_of')::date + interval 1 day)::timestamptz as run_end
),
meetings as (
    select
        'calendar:' || email as record_key,
        starts_at as occurred_at,
        'meeting' as channel,
        case
            when organised_by_owner then 'outbound'
            when is_organizer then 'inbound'
            else 'neutral'
        end as direction,
        duration_minutes as minutes,
        greatest(coalesce(attendee_count, 2), 2) as group_size,
        null::varchar as kind,
        null::integer as value,
        occurrence_id as detail_id,
        source_file
    from int_meeting_attendance
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
mail as (
    select 'mail:' || source_key, sent_at, 'email', direction, null::double, group_size,
        null::varchar, null::integer, message_key, source_file
    from stg_mail_people
),
referrals as (
    select
        'referrals:' || source_key, occurred_on::timestamptz, 'referral',
        case when direction = 'received' then 'inbound' else 'outbound' end,
        null::double, 2, kind, value, source_file || '#' || position, source_file
    from stg_referrals
)
select all_contacts.*
from (
    select * from meetings
    union all select * from linkedin
    union all select * from referrals
    union all select * from mail
) as all_contacts
cross join cutoff
where all_contacts.occurred_at < cutoff.run_end
