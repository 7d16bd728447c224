-- One row per resolved person (the golden record), the owner left out.
-- group: resolve
with ids as (
    select distinct cluster_key, person_id, is_owner from int_person_ids
),
seen as (
    select
        i.cluster_key,
        min(r.first_seen) as first_seen,
        max(r.last_seen) as last_seen,
        list(distinct r.source order by r.source) as sources,
        count(*) as source_records
    from int_person_ids as i
    join int_source_records as r using (record_key)
    group by i.cluster_key
)
select
    ids.person_id,
    g.display_name,
    g.given_name,
    g.family_name,
    g.emails,
    g.phones,
    g.linkedin_url,
    g.company,
    g.title,
    g.birthday,
    seen.first_seen,
    seen.last_seen,
    seen.sources,
    seen.source_records
from int_golden_records as g
join ids using (cluster_key)
join seen using (cluster_key)
where not ids.is_owner
