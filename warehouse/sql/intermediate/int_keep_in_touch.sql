-- Each tie's keep-in-touch rhythm: the owner's own from cadence.csv, else their usual gap
-- between contact days (the median over the last two years, when there are enough gaps),
-- else the default of their Dunbar layer (top 5, 15, 50, 150 by tie strength; none beyond).
-- Contact that keeps a tie: meetings up to `shared_context_max_group_size` people, messages,
-- mail, referrals and recommendations; not LinkedIn endorsements or invitations.
-- group: metrics
with personal as (
    select
        person_id,
        occurred_on as contact_day,
        -- What the last contact was, in words; the most personal kind first on a shared day.
        case
            when channel = 'meeting' and group_size = 2 then 'one-on-one'
            when channel = 'meeting' then 'meeting'
            when channel = 'email' then 'email'
            when channel = 'message' then 'message'
            else channel
        end as contact_kind,
        case when channel = 'meeting' and group_size = 2 then 1 when channel = 'meeting' then 2
            when channel = 'email' then 3 when channel = 'message' then 4 else 5 end as kind_order
    from interaction
    where channel not in ('endorsement', 'invitation')
        and (channel <> 'meeting' or group_size <= getvariable('shared_context_max_group_size'))
),
last_contacts as (
    select
        person_id,
        max(contact_day) as last_contact,
        arg_min(contact_kind, kind_order) filter (where contact_day = last_day_seen) as last_contact_kind
    from (select *, max(contact_day) over (partition by person_id) as last_day_seen from personal)
    group by person_id
),
gaps as (
    select person_id, contact_day - lag(contact_day) over (partition by person_id order by contact_day) as gap_days
    from (select distinct person_id, contact_day from personal
          where contact_day > getvariable('as_of')::date - getvariable('rhythm_window_days'))
),
usual as (
    select person_id, count(*) as gaps, median(gap_days) as median_gap_days
    from gaps
    where gap_days is not null
    group by person_id
),
owner_set as (
    select person_id, every_days from int_cadence where in_effect
),
rhythms as (
    select
        t.person_id,
        t.rank as tie_rank,
        t.score,
        u.gaps,
        u.median_gap_days,
        case
            when t.rank <= 5 then getvariable('cadence_layer_5_days')
            when t.rank <= 15 then getvariable('cadence_layer_15_days')
            when t.rank <= 50 then getvariable('cadence_layer_50_days')
            when t.rank <= 150 then getvariable('cadence_layer_150_days')
        end as layer_days,
        case when t.rank <= 5 then 5 when t.rank <= 15 then 15 when t.rank <= 50 then 50 when t.rank <= 150 then 150 end as layer,
        o.every_days as owner_days
    from tie_strength as t
    left join usual as u using (person_id)
    left join owner_set as o using (person_id)
)
select
    r.person_id,
    r.tie_rank,
    r.score,
    r.layer,
    case
        when r.owner_days is not null then r.owner_days
        when r.gaps >= getvariable('rhythm_min_gaps') then greatest(round(r.median_gap_days)::integer, getvariable('rhythm_floor_days'))
        else r.layer_days
    end as every_days,
    case
        when r.owner_days is not null then 'yours'
        when r.gaps >= getvariable('rhythm_min_gaps') then 'usual'
        when r.layer_days is not null then 'layer'
    end as rhythm_source,
    coalesce(r.gaps, 0) as gaps,
    r.median_gap_days,
    l.last_contact,
    l.last_contact_kind,
    getvariable('as_of')::date - l.last_contact as days_since_last_contact
from rhythms as r
left join last_contacts as l using (person_id)
