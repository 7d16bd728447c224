-- One row per personal mail message and each person on it other than the owner, with the
-- direction seen from the owner: outbound (the owner wrote), inbound (this person wrote),
-- neutral (someone else wrote and both were on it), and how many people the message had.
-- group: ingest
with owner as (
    select emails from stg_owner
),
people_on_message as (
    select source_file, position, count(distinct email) as people
    from raw_mail_addresses
    where role in ('from', 'to', 'cc', 'bcc')
    group by source_file, position
)
select
    a.email as source_key,
    a.email,
    a.name,
    a.role,
    m.source_file, m.position, m.message_key, m.sent_at,
    case
        when m.sent_by_owner then 'outbound'
        when a.role = 'from' then 'inbound'
        else 'neutral'
    end as direction,
    greatest(p.people, 2) as group_size,
    m.is_reply
from stg_mail_messages as m
join raw_mail_addresses as a using (source_file, position)
join people_on_message as p using (source_file, position)
cross join owner
where a.role in ('from', 'to', 'cc', 'bcc')
    and not coalesce(list_contains(owner.emails, a.email), false)
    -- On the owner's own mail the sender is the owner; on others' mail every address counts.
    and not (m.sent_by_owner and a.role = 'from')
