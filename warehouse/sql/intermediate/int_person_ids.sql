-- Each source record's person_id, which identity resolution keeps stable: a person keeps their
-- id when records join or leave while any earlier record remains (warehouse/resolution/person_ids.py).
-- `is_owner` marks every record of the owner's own cluster.
-- group: resolve
with clusters as (
    select
        c.record_key,
        c.cluster_key,
        c.match_probability,
        c.person_id,
        r.is_owner as record_is_owner
    from int_person_clusters as c
    join int_source_records as r using (record_key)
)
select
    record_key, cluster_key, person_id, match_probability,
    bool_or(record_is_owner) over (partition by cluster_key) as is_owner
from clusters
