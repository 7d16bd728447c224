-- Per month, meeting hours with strong ties against weak or new ones, so over-networking shows:
-- a month full of meetings with people outside the top 20% is time not spent on the few.
-- A meeting's hours are shared among the people in it: the part of strong ties (top 20% by
-- tie strength), of new ones (first met within the previous 90 days) and of the rest (weak).
-- group: metrics
with strong as (
    select person_id from tie_strength where top_20_percent
),
first_contact as (
    select person_id, min(occurred_at) as first_contact_at from interaction group by person_id
),
attendees as (
    select
        i.detail_id,
        i.occurred_at,
        i.minutes / 60.0 as hours,
        case
            when i.person_id in (select person_id from strong) then 'strong'
            when i.occurred_at - f.first_contact_at < interval 90 days then 'new'
            else 'weak'
        end as tie
    from interaction as i
    join first_contact as f using (person_id)
    where i.channel = 'meeting'
),
meetings as (
    select
        detail_id,
        date_trunc('month', min(occurred_at))::date as month,
        max(hours) as hours,
        count(*) filter (where tie = 'strong') / count(*) as strong_part,
        count(*) filter (where tie = 'new') / count(*) as new_part,
        count(*) filter (where tie = 'weak') / count(*) as weak_part
    from attendees
    group by detail_id
)
select
    month,
    count(*) as meetings,
    round(sum(hours), 2) as meeting_hours,
    round(sum(hours * strong_part), 2) as hours_with_strong_ties,
    round(sum(hours * weak_part), 2) as hours_with_weak_ties,
    round(sum(hours * new_part), 2) as hours_with_new_ties,
    round(sum(hours * (weak_part + new_part)) / nullif(sum(hours), 0), 3) as weak_or_new_share
from meetings
group by month
order by month
