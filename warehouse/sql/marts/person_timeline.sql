-- Each person's contact month by month and channel: how many contacts, on how many days and
-- how many hours of meetings, for a per-person timeline (`strongties show NAME`). Months
-- without contact have no row.
-- group: metrics
select
    person_id,
    date_trunc('month', occurred_at)::date as month,
    channel,
    count(*) as contacts,
    count(distinct occurred_on) as contact_days,
    round(coalesce(sum(minutes) filter (where channel = 'meeting'), 0) / 60.0, 2) as meeting_hours
from interaction
group by all
order by person_id, month, channel
