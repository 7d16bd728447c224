"""Asset checks written as SQL: a query returning the offending rows, which must return none.

Checks run inside the step that builds their asset (a separate step per check would cost
Dagster's per-step overhead for a query of milliseconds). They are blocking: a failed check
stops the run before the warehouse is published.
"""
from dataclasses import dataclass

import dagster as dg
import duckdb

SAMPLE_ROWS_SHOWN = 5
# The sample is kept in the run history (DAGSTER_HOME) for good: only columns that name no
# one (no names, addresses, keys built from them or free text) are shown.
SAMPLE_COLUMNS = ("person_id", "rank", "score", "channel", "direction", "occurred_at", "days_since_last_contact")


@dataclass(frozen=True)
class SqlCheck:
    asset: str
    name: str
    description: str
    failing_rows_sql: str

    @property
    def key(self) -> dg.AssetCheckKey:
        return dg.AssetCheckKey(dg.AssetKey(self.asset), self.name)

    def spec(self) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(self.name, asset=self.asset, description=self.description, blocking=True)

    def evaluate(self, connection: duckdb.DuckDBPyConnection) -> dg.AssetCheckResult:
        failing = connection.execute(f"SELECT count(*) FROM ({self.failing_rows_sql})").fetchone()[0]
        metadata = {"failing_rows": failing}
        if failing:
            sample = connection.execute(f"SELECT * FROM ({self.failing_rows_sql}) LIMIT {SAMPLE_ROWS_SHOWN}").fetch_df()
            shown = [column for column in sample.columns if column in SAMPLE_COLUMNS]
            if shown:
                metadata["sample"] = dg.MetadataValue.md(sample[shown].to_markdown(index=False))
        return dg.AssetCheckResult(asset_key=self.asset, check_name=self.name, passed=failing == 0, metadata=metadata)


def selected_checks(context: dg.AssetExecutionContext, checks: list[SqlCheck]) -> list[SqlCheck]:
    selected = context.selected_asset_check_keys
    return [check for check in checks if check.key in selected]
