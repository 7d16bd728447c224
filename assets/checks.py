"""Asset checks written as SQL: a query returning the offending rows, which must return none."""

import dagster as dg

from warehouse.resource import StrongtiesWarehouse

SAMPLE_ROWS_SHOWN = 5


def sql_check(asset: str, name: str, description: str, failing_rows_sql: str, blocking: bool = True) -> dg.AssetChecksDefinition:
    """Passes when `failing_rows_sql` returns no row; otherwise shows how many and a few of them.

    Blocking by default: a failed check stops the run before the warehouse is published.
    """

    @dg.asset_check(asset=asset, name=name, description=description, blocking=blocking)
    def _check(warehouse: StrongtiesWarehouse) -> dg.AssetCheckResult:
        with warehouse.connect() as connection:
            failing = connection.execute(f"SELECT count(*) FROM ({failing_rows_sql})").fetchone()[0]
            sample = connection.execute(f"SELECT * FROM ({failing_rows_sql}) LIMIT {SAMPLE_ROWS_SHOWN}").fetch_df()
        metadata = {"failing_rows": failing}
        if failing:
            metadata["sample"] = dg.MetadataValue.md(sample.to_markdown(index=False))
        return dg.AssetCheckResult(passed=failing == 0, metadata=metadata)

    return _check
