-- Input that could not be used: the file, the place in it and the reason, so it can be fixed.
-- Answers in decisions.csv that identity resolution could not apply are listed here too, and
-- rows of cadence.csv naming nobody (or several people).
-- group: ingest
-- stage: resolve
select source_file, location, reason, scope
from raw_quarantine
union all
select source_file, location, reason, scope
from int_decision_problems
union all
select source_file, location, problem, 'item'
from int_cadence
where problem is not null
order by source_file, location
