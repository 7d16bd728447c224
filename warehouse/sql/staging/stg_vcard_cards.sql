-- One row per distinct vCard: keyed by its UID, else by a key from the card's own content (its
-- folded name and first email or phone), so that reordering the cards, renaming the file or
-- exporting it again keeps every key, and a changed card keeps its key while those still match.
-- Cards alike in name and first identifier are told apart by a counter, numbered in the order
-- of their whole content, so only exact duplicates are numbered by where they stand.
-- When the same UID is exported twice, the most recently revised card is kept.
-- A card that stands for a group ("The Doe Family", an iCloud contact group) or a place (KIND
-- group or location) is no person and is left out; an org card is a business, kept and named
-- by its ORG as any card without a personal name.
-- group: ingest
with cards as (
    select
        *,
        -- The name a person is known by: FN, else N's parts, else (a business card) the ORG.
        regexp_replace(lower(strip_accents(coalesce(
            nullif(trim(full_name), ''),
            nullif(trim(concat_ws(' ', given_name, family_name)), ''),
            nullif(trim(org), ''),
            ''))), '\s+', ' ', 'g') as folded_name,
        coalesce(
            nullif(lower(trim(emails[1])), ''),
            nullif(regexp_replace(coalesce(phones[1], ''), '[^0-9]', '', 'g'), ''),
            '') as first_identifier
    from raw_vcard_cards
    where kind is null or kind not in ('group', 'location')
),
keyed as (
    select
        *,
        'card-' || left(sha256(folded_name || '|' || first_identifier), 16) as content_key,
        sha256(concat_ws('|', full_name, given_name, family_name, additional_names, honorific_prefix,
            honorific_suffix, nickname, emails::varchar, phones::varchar, org, title, birthday,
            addresses::varchar, note, urls::varchar, linkedin_url, revision)) as content_digest
    from cards
),
numbered as (
    select
        *,
        row_number() over (partition by content_key order by content_digest, source_file, position) as copy_number
    from keyed
    where nullif(trim(uid), '') is null
)
select
    coalesce(nullif(trim(k.uid), ''),
        n.content_key || if(n.copy_number > 1, '-' || n.copy_number, '')) as source_key,
    k.source_file,
    k.position,
    k.line,
    nullif(trim(k.full_name), '') as full_name,
    k.given_name,
    k.family_name,
    k.additional_names,
    k.honorific_prefix,
    k.honorific_suffix,
    k.nickname,
    coalesce(k.emails, []) as emails,
    coalesce(k.phones, []) as phones,
    nullif(trim(k.org), '') as company,
    nullif(trim(k.title), '') as title,
    k.birthday,
    coalesce(k.addresses, []) as addresses,
    coalesce(k.cities, []) as cities,
    coalesce(k.postcodes, []) as postcodes,
    k.linkedin_url,
    k.revision,
    k.kind,
    k.parser
from keyed as k
left join numbered as n using (source_file, position)
qualify row_number() over (partition by source_key order by k.revision desc nulls last, k.source_file, k.position) = 1
