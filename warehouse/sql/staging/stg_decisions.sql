-- The owner's answers on uncertain matches, every row in file order with the place it came from;
-- identity resolution applies the latest answer on a pair and reports the others (repeated,
-- contradicted, about unknown records or records that changed) in `quarantine`.
-- group: ingest
select
    left_key,
    right_key,
    decision,
    left_about,
    right_about,
    source_file,
    position,
    'row ' || position || coalesce(' (line ' || line || ')', '') as location
from raw_decisions
order by source_file, position
