-- One row per LinkedIn message and the person on the other side of it, with its direction
-- seen from the owner. A message the owner sent to three people is three rows; drafts are left out.
-- group: ingest
with owner as (
    select linkedin_url, folded_name from stg_owner
),
-- Who the owner is, as far as the messages go: owner.yaml, the exports' own Profile.csv, and
-- in each messages file the one person taking part in every conversation (when it holds at
-- least two). An export holds only its owner's conversations, so that person is the owner
-- even when LinkedIn spells their name otherwise than owner.yaml does.
owner_names as (
    select folded_name from owner where folded_name is not null
    union
    select folded_name from stg_linkedin_profile
),
owner_urls as (
    select linkedin_url from owner where linkedin_url is not null
    union
    select profile_url from stg_linkedin_profile where profile_url is not null
),
message_people as (
    select
        source_file,
        conversation_id,
        list_distinct(list_filter(
            list_transform(list_prepend(sender_name, coalesce(recipient_names, [])),
                           lambda name: nullif(strip_accents(lower(trim(name))), '')),
            lambda name: name is not null)) as people
    from raw_linkedin_messages
),
-- 2018 exports have no conversation id: the set of people taking part stands for it.
conversation_people as (
    select
        source_file,
        coalesce(conversation_id, array_to_string(list_sort(people), '|')) as conversation,
        unnest(people) as folded_name
    from message_people
),
conversations_per_file as (
    select source_file, count(distinct conversation) as conversations
    from conversation_people
    group by source_file
),
present_in_every_conversation as (
    select p.source_file, p.folded_name
    from conversation_people as p
    join conversations_per_file as c using (source_file)
    where c.conversations >= 2
    group by p.source_file, p.folded_name, c.conversations
    having count(distinct p.conversation) = c.conversations
),
inferred_owner as (
    select source_file, any_value(folded_name) as folded_name
    from present_in_every_conversation
    group by source_file
    having count(*) = 1
),
messages as (
    select
        m.*,
        i.folded_name as inferred_owner_name,
        case
            -- 2018 exports say the direction themselves.
            when upper(m.direction) in ('OUTGOING', 'SENT') then true
            when upper(m.direction) in ('INCOMING', 'RECEIVED') then false
            else coalesce(
                m.sender_url in (select linkedin_url from owner_urls)
                or strip_accents(lower(trim(m.sender_name))) in (select folded_name from owner_names)
                or strip_accents(lower(trim(m.sender_name))) = i.folded_name,
                false)
        end as sent_by_owner
    from raw_linkedin_messages as m
    left join inferred_owner as i using (source_file)
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
        len(recipient_urls) + 1 as group_size,
        inferred_owner_name
    from distinct_messages
    where sent_by_owner and len(coalesce(recipient_urls, [])) >= len(coalesce(recipient_names, []))
        and len(coalesce(recipient_urls, [])) > 0
    union all
    -- 2018 exports name recipients without URLs.
    select
        source_file, position, conversation_id, sent_at, 'outbound',
        null, unnest(recipient_names), len(recipient_names) + 1, inferred_owner_name
    from distinct_messages
    where sent_by_owner and len(coalesce(recipient_urls, [])) = 0
),
incoming as (
    select
        source_file, position, conversation_id, sent_at, 'inbound' as direction,
        sender_url as counterpart_url, sender_name as counterpart_name,
        greatest(len(coalesce(recipient_names, [])), len(coalesce(recipient_urls, []))) + 1 as group_size,
        inferred_owner_name
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
    and coalesce(counterpart_url, '') not in (select linkedin_url from owner_urls)
    -- Without a URL only the name tells: the owner is never their own counterpart.
    and not (counterpart_url is null and coalesce(
        strip_accents(lower(trim(counterpart_name))) in (select folded_name from owner_names)
        or strip_accents(lower(trim(counterpart_name))) = inferred_owner_name, false))
