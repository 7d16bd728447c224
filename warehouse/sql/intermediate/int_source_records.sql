-- One row per distinct identity seen in an input, in the shape identity resolution compares:
-- a vCard, a LinkedIn member, a calendar attendee or organizer, a person named in the referral log,
-- an address on personal mail.
-- group: resolve
-- stage: ingest
with owner as (
    select emails, linkedin_url from stg_owner
),
vcard as (
    select
        'vcard' as source, source_key, full_name, given_name, family_name, emails, phones,
        linkedin_url, company, title, birthday,
        cities[1] as city,
        -- The street, for the resolver's address comparison: the ADR line without its town and
        -- postcode (compared on their own) and short pieces such as a state code. The whole
        -- line made two cards in one town look like neighbours (fake_1000 through `make run`:
        -- F1 0.92 against 0.95 for the same fields given to the resolver directly).
        nullif(array_to_string(list_filter(string_split(addresses[1], ', '),
            lambda piece: piece <> coalesce(cities[1], '') and piece <> coalesce(postcodes[1], '')
                and length(piece) > 3), ', '), '') as address,
        postcodes[1] as postcode,
        try_cast(left(revision, 10) as date) as last_seen,
        null::date as first_seen,
        source_file
    from stg_vcard_cards
),
linkedin_mentions as (
    select source_key, full_name, profile_url, email, company, title, connected_on as seen_on, 1 as authority, source_file
    from stg_linkedin_connections
    union all
    select source_key, full_name, profile_url, null, null, null, sent_at::date, 2, source_file from stg_linkedin_messages
    union all
    select source_key, full_name, profile_url, null, null, null, sent_at::date, 3, source_file from stg_linkedin_invitations
    union all
    select source_key, full_name, null, null, company, title, created_at::date, 4, source_file from stg_linkedin_recommendations
    union all
    select source_key, full_name, profile_url, null, null, null, endorsed_at::date, 5, source_file from stg_linkedin_endorsements
),
linkedin as (
    -- The connection row is the authority on name, company and title; messages fill gaps.
    -- Ties (two messages, two spellings) go to the alphabetically first, so runs agree.
    select
        'linkedin' as source,
        source_key,
        first(full_name order by authority, full_name) filter (where full_name is not null) as full_name,
        null::varchar as given_name,
        null::varchar as family_name,
        list_sort(list_distinct(list(email) filter (where email is not null))) as emails,
        []::varchar[] as phones,
        max(profile_url) as linkedin_url,
        first(company order by authority, company) filter (where company is not null) as company,
        first(title order by authority, title) filter (where title is not null) as title,
        null::varchar as birthday,
        null::varchar as city,
        max(seen_on) as last_seen,
        min(seen_on) as first_seen,
        first(source_file order by authority, source_file) as source_file
    from linkedin_mentions
    group by source_key
),
attendee_names as (
    -- The name an address is written with most often ("Rodríguez, William" from Outlook,
    -- "William Rodríguez" elsewhere); a tie goes to the alphabetically first, so runs agree.
    select email, first(name order by uses desc, name) as name
    from (
        select email, name, count(*) as uses
        from stg_calendar_attendees
        where name is not null and name <> email
        group by email, name
    )
    group by email
),
calendar as (
    select
        'calendar' as source,
        a.email as source_key,
        coalesce(
            min(n.name),
            -- Invitations often carry no display name; an address such as susan.thompson@,
            -- susan_thompson@ or susan.thompson42@ still spells one out (the digits that
            -- tell namesakes' addresses apart are no part of the name).
            case when regexp_full_match(split_part(a.email, '@', 1), '[a-z]{2,}[._][a-z]{2,}[0-9]*')
                then list_aggregate(list_transform(
                        regexp_split_to_array(rtrim(split_part(a.email, '@', 1), '0123456789'), '[._]'),
                        lambda part: upper(part[1]) || part[2:]), 'string_agg', ' ')
            end
        ) as full_name,
        [a.email] as emails,
        max(m.starts_at)::date as last_seen,
        min(m.starts_at)::date as first_seen,
        min(a.source_file) as source_file
    from stg_calendar_attendees as a
    join stg_calendar_meetings as m using (occurrence_id)
    left join attendee_names as n on n.email = a.email
    group by a.email
),
mail_names as (
    -- The name an address is written with most often; a tie goes to the alphabetically first.
    select email, first(name order by uses desc, name) as name
    from (select email, name, count(*) as uses from stg_mail_people where name is not null group by email, name)
    group by email
),
mail as (
    select
        'mail' as source,
        p.email as source_key,
        min(n.name) as full_name,
        [p.email] as emails,
        max(p.sent_at)::date as last_seen,
        min(p.sent_at)::date as first_seen,
        min(p.source_file) as source_file
    from stg_mail_people as p
    left join mail_names as n using (email)
    group by p.email
),
referrals as (
    select
        'referrals' as source,
        source_key,
        max(person_name) as full_name,
        list_sort(list_distinct(list(person_email) filter (where person_email is not null))) as emails,
        max(person_linkedin_url) as linkedin_url,
        max(occurred_on) as last_seen,
        min(occurred_on) as first_seen,
        min(source_file) as source_file
    from stg_referrals
    group by source_key
),
records as (
    select * from vcard
    union all by name select * from linkedin
    union all by name select * from calendar
    union all by name select * from referrals
    union all by name select * from mail
)
select
    records.source || ':' || records.source_key as record_key,
    records.source, records.source_key, records.full_name, records.given_name, records.family_name,
    coalesce(records.emails, []) as emails, coalesce(records.phones, []) as phones,
    records.linkedin_url, records.company, records.title, records.birthday, records.city,
    records.address, records.postcode,
    records.first_seen, records.last_seen, records.source_file,
    coalesce(len(list_intersect(records.emails, owner.emails)) > 0
        or records.linkedin_url = owner.linkedin_url, false) as is_owner
from records
cross join owner
