-- The owner's answers on uncertain matches; the latest answer on a pair wins.
-- group: ingest
select left_key, right_key, decision, source_file, position
from raw_decisions
qualify row_number() over (
    partition by least(left_key, right_key), greatest(left_key, right_key)
    order by source_file desc, position desc) = 1
