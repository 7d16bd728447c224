-- One row per personal mail message (spam, trash, drafts, lists, newsletters and robots left out),
-- once even when it sits in two mailboxes, with its sender, whether the owner sent it, and
-- whether it answers a message of the other side (a reply: the owner's to them or theirs to
-- the owner) and how long after.
-- group: ingest
with owner as (
    select emails from stg_owner
),
senders as (
    select source_file, position, min(email) as sender_email
    from raw_mail_addresses
    where role = 'from'
    group by source_file, position
),
messages as (
    select m.source_file, m.position, m.sent_at, m.in_sent, m.recipient_count,
        m.message_id_hash, m.replies_to_hash, s.sender_email,
        coalesce(list_contains(owner.emails, s.sender_email), false) as sent_by_owner
    from raw_mail_messages as m
    join senders as s using (source_file, position)
    cross join owner
    where m.outcome = 'personal'
    -- The same message in a Takeout mbox and a Thunderbird folder counts once.
    qualify row_number() over (
        partition by coalesce(m.message_id_hash, m.source_file || '#' || m.position)
        order by m.source_file, m.position) = 1
)
select
    m.source_file, m.position, coalesce(m.message_id_hash, m.source_file || '#' || m.position) as message_key,
    m.message_id_hash, m.replies_to_hash, m.sent_at, m.sender_email, m.sent_by_owner, m.recipient_count,
    answered.message_id_hash is not null as is_reply,
    epoch(m.sent_at - answered.sent_at) as reply_seconds
from messages as m
left join messages as answered
    on answered.message_id_hash = m.replies_to_hash
    and answered.sent_by_owner <> m.sent_by_owner
    and answered.sent_at <= m.sent_at
