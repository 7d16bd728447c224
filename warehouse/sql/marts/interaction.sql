-- One row per contact between the owner and a person: meeting, message, invitation,
-- recommendation, endorsement or referral. A contact seen under two of the person's
-- identities (two emails invited to one meeting) counts once; so does one meeting in two
-- calendars, but two referrals logged on the same day are two. `shared_minutes` is a meeting's
-- time shared among the others present (Onnela et al. 2007). `occurred_on` is its day, cast
-- once here: the models that count days read it rather than each casting a time zone-aware time.
-- group: metrics
select
    p.person_id,
    i.occurred_at,
    i.occurred_at::date as occurred_on,
    i.channel,
    i.direction,
    i.minutes,
    i.minutes / greatest(i.group_size - 1, 1) as shared_minutes,
    i.group_size,
    i.kind,
    i.value,
    i.detail_id,
    i.source_file,
    i.record_key
from int_interactions as i
join int_person_ids as p using (record_key)
where not p.is_owner
qualify row_number() over (
    partition by p.person_id, i.channel, i.occurred_at, i.direction, coalesce(i.kind, ''),
        case when i.channel = 'referral' then i.detail_id end
    order by i.record_key) = 1
