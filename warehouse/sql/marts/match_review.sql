-- Uncertain pairs waiting for the owner's decision, both records side by side; answer with
-- `make review` (or a line in decisions.csv) and the next run applies it.
-- group: resolve
select
    left_key,
    right_key,
    round(probability, 4) as probability,
    left_summary,
    right_summary
from int_match_review
order by probability desc, left_key, right_key
