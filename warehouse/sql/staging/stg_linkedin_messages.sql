-- One row per LinkedIn message and the person on the other side of it, with its direction
-- seen from the owner. A message the owner sent to three people is three rows; drafts are left out.
-- group: ingest
with owner as (
    select linkedin_url, folded_name from stg_owner
),
messages as (
    select
        m.*,
        coalesce(
            upper(m.direction) in ('OUTGOING', 'SENT'),
            m.sender_url = owner.linkedin_url,
            strip_accents(lower(trim(m.sender_name))) = owner.folded_name,
            false
        ) as sent_by_owner
    from raw_linkedin_messages as m
    left join owner on true
    where not coalesce(m.is_draft, false)
),
-- The same message can arrive in two overlapping exports: keep one.
distinct_messages as (
    select * from messages
    qualify row_number() over (
        partition by coalesce(conversation_id, ''), sent_at, coalesce(sender_url, sender_name, '')
        order by source_file, position) = 1
),
outgoing as (
    select
        source_file, position, conversation_id, sent_at, 'outbound' as direction,
        unnest(recipient_urls) as counterpart_url,
        unnest(recipient_names) as counterpart_name,
        len(recipient_urls) + 1 as group_size
    from distinct_messages
    where sent_by_owner and len(coalesce(recipient_urls, [])) >= len(coalesce(recipient_names, []))
        and len(coalesce(recipient_urls, [])) > 0
    union all
    -- 2018 exports name recipients without URLs.
    select
        source_file, position, conversation_id, sent_at, 'outbound',
        null, unnest(recipient_names), len(recipient_names) + 1
    from distinct_messages
    where sent_by_owner and len(coalesce(recipient_urls, [])) = 0
),
incoming as (
    select
        source_file, position, conversation_id, sent_at, 'inbound' as direction,
        sender_url as counterpart_url, sender_name as counterpart_name,
        greatest(len(coalesce(recipient_names, [])), len(coalesce(recipient_urls, []))) + 1 as group_size
    from distinct_messages
    where not sent_by_owner
)
select
    coalesce(counterpart_url, 'name:' || strip_accents(lower(trim(counterpart_name)))) as source_key,
    counterpart_url as profile_url,
    nullif(trim(counterpart_name), '') as full_name,
    source_file, position, conversation_id, sent_at, direction, group_size
from (select * from outgoing union all select * from incoming)
where coalesce(counterpart_url, nullif(trim(counterpart_name), '')) is not null
    and coalesce(counterpart_url, '') <> coalesce((select linkedin_url from owner), '#')
