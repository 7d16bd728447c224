-- Each person's tie strength at the end of each of the last 24 months (the current month at
-- the as-of date), as tie_strength scores it with the as-of date moved: one pass over
-- `interaction` (int_tie_features, kept in int_tie_history), not a run per month. The current
-- month's row is tie_strength. A view of int_tie_history in the working database (written once
-- there, copied when published).
-- group: metrics
-- materialized: view
select
    person_id,
    month,
    as_of_date,
    score,
    rank,
    ranked_ties,
    -- The share of the network at or above this tie that month: 0.05 is the top 5%.
    round(rank / ranked_ties, 4) as rank_share,
    rank <= ceil(0.2 * ranked_ties) as top_20_percent,
    evidence,
    days_since_last_contact
from int_tie_history
order by person_id, month
