"""The one code location: merges each stage's definitions and sets the executor and resources."""
import dagster as dg

from assets import ingest, metrics, publish, resolve
from pipelines.home import owner_only_files
from pipelines.jobs import refresh_warehouse
from pipelines.schedules import daily_refresh
from pipelines.sensors import inbox_changed
from assets.resource import StrongtiesWarehouse

# `dagster dev`'s code server and every run it launches load this module: from here on what
# they write (warehouse, WAL, address book, run history) is readable by the owner alone.
owner_only_files()

defs = dg.Definitions.merge(
    ingest.defs,
    resolve.defs,
    metrics.defs,
    publish.defs,
    dg.Definitions(
        jobs=[refresh_warehouse],
        schedules=[daily_refresh],
        sensors=[inbox_changed],
        # Steps share one process: a subprocess per step would cost seconds of imports each.
        executor=dg.in_process_executor,
        # Its settings come from STRONGTIES_* through dg.EnvVar, read when a run starts.
        resources={"warehouse": StrongtiesWarehouse.from_env_vars()},
    ),
)
