-- Per month, meeting hours with strong ties against weak or new ones, so over-networking shows:
-- a month full of meetings with people outside the top 20% is time not spent on the few.
-- A meeting counts as "strong" when a strong tie was in it, "new" when everyone in it was
-- first met within the previous 90 days, else "weak".
-- group: metrics
with strong as (
    select person_id from tie_strength
    where rank <= ceil(0.2 * (select count(*) from tie_strength))
),
first_contact as (
    select person_id, min(occurred_at) as first_contact_at from interaction group by person_id
),
meetings as (
    select
        i.detail_id,
        date_trunc('month', min(i.occurred_at))::date as month,
        max(i.minutes) / 60.0 as hours,
        bool_or(i.person_id in (select person_id from strong)) as with_strong_tie,
        bool_and(i.occurred_at - f.first_contact_at < interval 90 days) as all_new
    from interaction as i
    join first_contact as f using (person_id)
    where i.channel = 'meeting'
    group by i.detail_id
)
select
    month,
    count(*) as meetings,
    round(sum(hours), 2) as meeting_hours,
    round(coalesce(sum(hours) filter (where with_strong_tie), 0), 2) as hours_with_strong_ties,
    round(coalesce(sum(hours) filter (where not with_strong_tie and not all_new), 0), 2) as hours_with_weak_ties,
    round(coalesce(sum(hours) filter (where not with_strong_tie and all_new), 0), 2) as hours_with_new_ties,
    round(coalesce(sum(hours) filter (where not with_strong_tie), 0) / nullif(sum(hours), 0), 3) as weak_or_new_share
from meetings
group by month
order by month
