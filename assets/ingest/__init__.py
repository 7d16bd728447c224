"""Ingest: reads every export in the inbox into raw tables, then stages each source in SQL."""

import os

import dagster as dg

from assets.checks import SqlCheck, selected_checks
from assets.sql_models import OWNERS, sql_models_asset
from connectors.sources import SOURCES, table_description
from warehouse.config import REPO_ROOT
from warehouse.ingest import ingest_inbox, own_output_paths
from warehouse.raw_tables import BOOKKEEPING_TABLES, RAW_TABLES, raw_name
from assets.resource import StrongtiesWarehouse


def raw_table_description(table: str) -> str:
    return BOOKKEEPING_TABLES.get(table) or table_description(table)


# Each source's table with one row per item read (for calendars, per VEVENT): conservation holds
# row for row. `quarantined` counts whole-file and item rows only, never property notes on
# items that were kept.
_conservation_sql = " UNION ALL ".join(
    f"SELECT f.source_file, f.items, f.quarantined, (SELECT count(*) FROM {raw_name(source.item_table)} AS r "
    f"WHERE r.source_file = f.source_file) AS rows "
    f"FROM raw_inbox_files AS f WHERE f.kind = '{kind}' AND f.duplicate_of IS NULL"
    for kind, source in SOURCES.items()
)

CONSERVATION = SqlCheck(
    "raw_inbox_files", "every_item_is_a_row_or_quarantined",
    "Conservation: for every file, the items read equal the rows kept plus the items quarantined; "
    "nothing read is silently dropped.",
    f"SELECT * FROM ({_conservation_sql}) WHERE items <> rows + quarantined "
    "UNION ALL SELECT source_file, items, quarantined, NULL FROM raw_inbox_files WHERE quarantined > items",
)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(raw_name(table), group_name="ingest", description=raw_table_description(table),
                     kinds={"duckdb", "python"}, owners=OWNERS, tags={"layer": "raw"})
        for table in RAW_TABLES
    ],
    name="read_inbox",
    check_specs=[CONSERVATION.spec()],
)
def read_inbox(context: dg.AssetExecutionContext, warehouse: StrongtiesWarehouse):
    """Parses new or changed inbox files with the connectors; unchanged files keep their rows."""
    with warehouse.connect() as connection:
        own_outputs = own_output_paths(warehouse.published_path, str(warehouse.working_path),
                                       os.environ.get("DAGSTER_HOME") or REPO_ROOT / ".dagster_home")
        summary = ingest_inbox(connection, warehouse.inbox, warehouse.calendar_window(), own_outputs)
        counts = {table: connection.execute(f"SELECT count(*) FROM {raw_name(table)}").fetchone()[0] for table in RAW_TABLES}
        reasons = connection.execute(
            "SELECT regexp_replace(reason, '\\d+', 'N', 'g') AS reason, count(*) AS rows FROM raw_quarantine "
            "GROUP BY 1 ORDER BY 2 DESC LIMIT 20").fetch_df()
        check_results = [check.evaluate(connection) for check in selected_checks(context, [CONSERVATION])]
    context.log.info(
        f"read {summary.files_seen} files ({summary.files_parsed} parsed, {summary.files_reused} unchanged, "
        f"{summary.files_failed} failed whole): "
        f"{summary.items} items, {summary.quarantined} quarantined")
    for table in RAW_TABLES:
        metadata = {"dagster/row_count": counts[table]}
        if table == "inbox_files":
            metadata.update(files_parsed=summary.files_parsed, files_unchanged=summary.files_reused,
                            parse_seconds_by_kind=dg.MetadataValue.json(summary.seconds_by_kind))
        if table == "quarantine" and len(reasons):
            metadata["by_reason"] = dg.MetadataValue.md(reasons.to_markdown(index=False))
        yield dg.MaterializeResult(asset_key=raw_name(table), metadata=metadata)
    yield from check_results


defs = dg.Definitions(assets=[read_inbox, sql_models_asset("ingest")])
