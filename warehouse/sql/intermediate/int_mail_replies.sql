-- One row per mail between the owner and one person that asks that person (or the owner) for
-- an answer: the owner's mail with them on its To line, or theirs to the owner, among at most
-- `reply_max_people` people, that opens a conversation (is no answer itself); when the other
-- side first answered it (In-Reply-To naming it) and how many hours later. Feeds reciprocity
-- and the reply figures of tie_strength.
-- group: metrics
with cutoff as (
    select (getvariable('as_of')::date + interval 1 day)::timestamptz as run_end
),
-- In a larger To line the answer may well come from someone else: such mail asks no one in
-- particular, and its silence says nothing about this tie.
mails as (
    select ids.person_id, m.message_key, msg.message_id_hash, m.sent_at, m.direction
    from stg_mail_people as m
    join stg_mail_messages as msg using (source_file, position)
    join int_person_ids as ids on ids.record_key = 'mail:' || m.source_key
    cross join cutoff
    where not ids.is_owner
        and m.sent_at < cutoff.run_end
        and m.group_size <= getvariable('reply_max_people')
        -- An answer closes as often as it asks: counted, the last word of every thread would
        -- read as a mail left unanswered by the side that did not write it.
        and not msg.is_reply
        and ((m.direction = 'outbound' and m.role = 'to') or (m.direction = 'inbound' and m.role = 'from'))
    -- Two addresses of one person on one mail: one mail to them.
    qualify row_number() over (partition by ids.person_id, m.message_key order by m.source_key) = 1
),
answers as (
    select answer.replies_to_hash, answer.sent_at, answer.sent_by_owner, ids.person_id as sender_person_id
    from stg_mail_messages as answer
    left join int_person_ids as ids on ids.record_key = 'mail:' || answer.sender_email
    cross join cutoff
    where answer.replies_to_hash is not null and answer.sent_at < cutoff.run_end
)
select
    mails.person_id,
    mails.message_key,
    mails.sent_at,
    mails.direction,
    -- The days, cast once here: every as-of date of int_tie_features compares them.
    mails.sent_at::date as sent_day,
    min(answers.sent_at) as answered_at,
    min(answers.sent_at)::date as answered_day,
    epoch(min(answers.sent_at) - mails.sent_at) / 3600.0 as reply_hours
from mails
left join answers
    on answers.replies_to_hash = mails.message_id_hash
    and answers.sent_at >= mails.sent_at
    -- The other side's answer: theirs to the owner's mail, the owner's to theirs.
    and if(mails.direction = 'outbound', answers.sender_person_id = mails.person_id, answers.sent_by_owner)
group by mails.person_id, mails.message_key, mails.sent_at, mails.direction
