-- The people overdue by their own keep-in-touch rhythm (int_keep_in_touch), most at stake
-- first: tie strength times how overdue they are, with why in words; strong ties with a
-- birthday in the next two weeks are flagged (and listed even when not overdue). Ties silent
-- past `dormant_silence_days` are left to dormant_ties unless the owner set their rhythm.
-- `reconnect.ics` beside the warehouse holds one reminder per row.
-- group: publish
with birthdays as (
    select
        person_id,
        -- vCard BDAY as the address book holds it: YYYY-MM-DD, or --MM-DD without a year.
        try_cast(right(birthday, 2) as integer) as birth_day,
        try_cast(substr(right(birthday, 5), 1, 2) as integer) as birth_month
    from person
    where birthday is not null
),
next_birthdays as (
    select
        person_id,
        -- This year's, else next year's; 29 February is kept on the 28th in other years.
        min(coalesce(try_cast(printf('%04d-%02d-%02d', year, birth_month, birth_day) as date),
                     try_cast(printf('%04d-%02d-%02d', year, birth_month, birth_day - 1) as date))) as upcoming_birthday
    from birthdays,
        (select unnest([year(getvariable('as_of')::date), year(getvariable('as_of')::date) + 1]) as year)
    where coalesce(try_cast(printf('%04d-%02d-%02d', year, birth_month, birth_day) as date),
                   try_cast(printf('%04d-%02d-%02d', year, birth_month, birth_day - 1) as date))
        between getvariable('as_of')::date and getvariable('as_of')::date + getvariable('birthday_days_ahead')
    group by person_id
),
candidates as (
    select
        k.*,
        t.display_name,
        trends.trend,
        b.upcoming_birthday,
        k.days_since_last_contact > k.every_days * (1 + getvariable('overdue_grace_share')) as overdue,
        k.days_since_last_contact / k.every_days as overdue_ratio
    from int_keep_in_touch as k
    join tie_strength as t using (person_id)
    left join int_tie_trends as trends using (person_id)
    left join next_birthdays as b
        on b.person_id = k.person_id and k.tie_rank <= getvariable('birthday_max_rank')
    where k.every_days is not null
        and (k.rhythm_source = 'yours' or k.layer is not null)
        and (k.rhythm_source = 'yours' or k.days_since_last_contact < getvariable('dormant_silence_days'))
        and (k.days_since_last_contact > k.every_days * (1 + getvariable('overdue_grace_share'))
            or b.upcoming_birthday is not null)
),
-- Spans in words, for the rhythm and the silence: days under two weeks, weeks under ten,
-- months under a year, then years.
worded as (
    select
        *,
        list_transform([every_days, days_since_last_contact], lambda days:
            case
                when days < 14 then {'count': days, 'unit': 'day'}
                when days < 70 then {'count': round(days / 7)::integer, 'unit': 'week'}
                when days < 350 then {'count': round(days / 30.44)::integer, 'unit': 'month'}
                else {'count': round(days / 365.25)::integer, 'unit': 'year'}
            end) as spans
    from candidates
)
select
    row_number() over (order by score * greatest(overdue_ratio, 1) desc, person_id) as rank,
    person_id,
    display_name,
    every_days,
    days_since_last_contact,
    concat_ws('; ',
        case rhythm_source
            when 'yours' then 'you asked for every '
            when 'usual' then 'usually every '
            else 'one of your closest ' || layer || ': every '
        end
            || if(spans[1].count = 1, spans[1].unit, spans[1].count || ' ' || spans[1].unit || 's')
            || if(rhythm_source = 'layer', ' by default', ''),
        if(overdue, spans[2].count || ' ' || spans[2].unit || if(spans[2].count = 1, '', 's')
            || ' since your last ' || coalesce(last_contact_kind, 'contact'), null),
        case
            when upcoming_birthday = getvariable('as_of')::date then 'birthday today'
            when upcoming_birthday = getvariable('as_of')::date + 1 then 'birthday tomorrow'
            when upcoming_birthday is not null then 'birthday on ' || strftime(upcoming_birthday, '%-d %b')
        end,
        if(trend = 'fading', 'fading over the last six months', null)
    ) as why,
    rhythm_source,
    round(score, 6) as score,
    round(overdue_ratio, 2) as overdue_ratio,
    last_contact,
    last_contact_kind,
    last_contact + every_days as due_on,
    upcoming_birthday,
    trend
from worded
qualify rank <= getvariable('reconnect_list_size')
order by rank
