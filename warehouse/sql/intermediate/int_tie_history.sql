-- Each person's score and rank at the as-of date and at the end of each of the 23 months
-- before it (int_tie_features), kept: the monthly history, trends and fading ties read it.
-- Only what those read is kept; the features themselves are tie_strength's, at the as-of date.
-- group: metrics
select as_of_date, month, person_id, score, rank, ranked_ties, evidence, days_since_last_contact
from int_tie_features
