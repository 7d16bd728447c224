-- Input that could not be used: the file, the place in it and the reason, so it can be fixed.
-- group: ingest
select source_file, location, reason, scope
from raw_quarantine
order by source_file, location
