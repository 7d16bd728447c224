"""Resolve: the same person across sources becomes one golden record with a stable person_id."""

import dagster as dg

from assets.checks import SqlCheck
from assets.sql_models import OWNERS, sql_models_asset
from warehouse.resolution.store import resolve_in_warehouse
from assets.resource import StrongtiesWarehouse


@dg.multi_asset(
    specs=[
        dg.AssetSpec("int_person_clusters", group_name="resolve", deps=["int_source_records", "stg_decisions", "stg_owner"],
                     description="Which cluster (person) each source record belongs to, and with what probability.",
                     kinds={"duckdb", "pandas"}, owners=OWNERS, tags={"layer": "intermediate"}),
        dg.AssetSpec("int_golden_records", group_name="resolve", deps=["int_source_records"],
                     description="One golden record per cluster: best name, all emails and phones, current job.",
                     kinds={"duckdb", "pandas"}, owners=OWNERS, tags={"layer": "intermediate"}),
        dg.AssetSpec("int_match_review", group_name="resolve", deps=["int_source_records"],
                     description="Uncertain pairs between the merge and reject thresholds, not yet decided by the owner.",
                     kinds={"duckdb", "pandas"}, owners=OWNERS, tags={"layer": "intermediate"}),
        dg.AssetSpec("int_match_pairs", group_name="resolve", deps=["int_source_records"],
                     description="Every candidate pair compared, with its match weight and probability.",
                     kinds={"duckdb", "pandas"}, owners=OWNERS, tags={"layer": "intermediate"}),
        dg.AssetSpec("int_decision_problems", group_name="resolve", deps=["stg_decisions"],
                     description="The owner's answers that could not apply (unknown keys, repeated, contradicted, "
                                 "or about records that changed), with the line and why; shown in quarantine.",
                     kinds={"duckdb", "pandas"}, owners=OWNERS, tags={"layer": "intermediate"}),
    ],
    name="resolve_people",
)
def resolve_people_asset(context: dg.AssetExecutionContext, warehouse: StrongtiesWarehouse):
    """Blocks, compares and clusters source records (rapidfuzz, Fellegi-Sunter), applying the owner's
    decisions; last run's tables are kept when the records, decisions and resolver are unchanged."""
    with warehouse.connect() as connection:
        stored = resolve_in_warehouse(connection)
    if stored.owner_warning:
        context.log.warning(stored.owner_warning)
    for table, rows in stored.row_counts.items():
        yield dg.MaterializeResult(asset_key=table, metadata={"dagster/row_count": rows, "reused": stored.reused})


checks = [
    SqlCheck("source_record", "source_record_keys_unique",
              "Each (source, source_key) appears once: a distinct identity is one source record.",
              "SELECT source, source_key, count(*) AS n FROM source_record GROUP BY ALL HAVING n > 1"),
    SqlCheck("source_record", "every_source_record_has_a_person",
              "Every source record was resolved to a person (or is the owner).",
              "SELECT * FROM source_record WHERE person_id IS NULL OR "
              "(NOT is_owner AND person_id NOT IN (SELECT person_id FROM person))"),
    SqlCheck("person", "owner_absent_from_person",
              "The owner never appears among their own ties.",
              "SELECT p.* FROM person AS p JOIN source_record AS s USING (person_id) WHERE s.is_owner"),
]

defs = dg.Definitions(assets=[resolve_people_asset, sql_models_asset("resolve", checks)])
