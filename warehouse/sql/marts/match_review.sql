-- Pairs of people (clusters) the resolver is unsure about, one row per pair, both summaries side
-- by side; `left_key` and `right_key` are the two people's cluster keys, and an answer on them
-- (`make review`, or a line in decisions.csv) settles every record pair between the two.
-- `left_about` / `right_about` are what the two key records are today; the review stores them
-- with the answer, so an answer whose keys come to name other records is not applied.
-- group: resolve
select
    r.left_key,
    r.right_key,
    round(r.probability, 4) as probability,
    r.left_summary,
    r.right_summary,
    r.left_records,
    r.right_records,
    left_person.person_id as left_person_id,
    right_person.person_id as right_person_id,
    r.left_about,
    r.right_about
from int_match_review as r
left join int_person_clusters as left_person on left_person.record_key = r.left_key
left join int_person_clusters as right_person on right_person.record_key = r.right_key
order by probability desc, left_key, right_key
