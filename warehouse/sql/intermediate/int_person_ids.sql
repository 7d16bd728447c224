-- Each source record's person_id: a short hash of its cluster's smallest record key, so the id
-- stays the same across runs on the same inputs and when an unrelated file is added.
-- `is_owner` marks every record of the owner's own cluster.
-- group: resolve
with clusters as (
    select
        c.record_key,
        c.cluster_key,
        c.match_probability,
        'p_' || left(sha256(c.cluster_key), 12) as person_id,
        r.is_owner as record_is_owner
    from int_person_clusters as c
    join int_source_records as r using (record_key)
)
select
    record_key, cluster_key, person_id, match_probability,
    bool_or(record_is_owner) over (partition by cluster_key) as is_owner
from clusters
