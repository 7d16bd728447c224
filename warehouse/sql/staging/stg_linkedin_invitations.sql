-- One row per LinkedIn invitation with the other person and who invited whom.
-- group: ingest
select
    case when upper(direction) = 'OUTGOING'
        then coalesce(invitee_url, invitee_urn, 'name:' || strip_accents(lower(trim(to_name))))
        else coalesce(inviter_url, inviter_urn, 'name:' || strip_accents(lower(trim(from_name)))) end as source_key,
    case when upper(direction) = 'OUTGOING' then invitee_url else inviter_url end as profile_url,
    case when upper(direction) = 'OUTGOING' then to_name else from_name end as full_name,
    case when upper(direction) = 'OUTGOING' then 'outbound' else 'inbound' end as direction,
    source_file, position, sent_at, has_message
from raw_linkedin_invitations
where upper(direction) in ('OUTGOING', 'INCOMING')
qualify row_number() over (partition by source_key, sent_at order by source_file, position) = 1
