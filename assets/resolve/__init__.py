"""Resolve: the same person across sources becomes one golden record with a stable person_id."""

import dagster as dg
import pandas as pd

from assets.checks import SqlCheck
from assets.sql_models import OWNERS, sql_models_asset
from warehouse.resolution import resolve_people
from warehouse.resource import StrongtiesWarehouse

RECORD_COLUMNS = ("record_key, source, full_name, given_name, family_name, emails, phones, linkedin_url, "
                  "company, title, birthday, city, address, postcode, last_seen::varchar AS last_seen, is_owner")


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
    ],
    name="resolve_people",
)
def resolve_people_asset(warehouse: StrongtiesWarehouse):
    """Blocks, compares and clusters source records (rapidfuzz, Fellegi-Sunter), applying the owner's decisions."""
    with warehouse.connect() as connection:
        records = connection.execute(f"SELECT {RECORD_COLUMNS} FROM int_source_records ORDER BY record_key").fetch_df()
        decisions = connection.execute("SELECT left_key, right_key, decision FROM stg_decisions").fetch_df()
        region = connection.execute("SELECT max(default_region) FROM stg_owner").fetchone()[0]
        resolution = resolve_people(
            records, decisions, default_region=region,
            owner_keys=set(records.loc[records["is_owner"], "record_key"]))
        outputs = {
            "int_person_clusters": resolution.assignments,
            "int_golden_records": resolution.golden,
            "int_match_review": resolution.review,
            "int_match_pairs": resolution.pairs,
        }
        for table, frame in outputs.items():
            frame = pd.DataFrame(frame)  # noqa: F841 (read by DuckDB below)
            connection.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM frame")
    for table, frame in outputs.items():
        yield dg.MaterializeResult(asset_key=table, metadata={"dagster/row_count": len(frame)})


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
