"""Publish: the core list and dormant ties, then the warehouse file readers query, swapped in atomically."""

import base64

import dagster as dg

from assets.checks import SqlCheck
from assets.sql_models import OWNERS, sql_models_asset
from warehouse.charts import score_distribution_svg
from warehouse.models import mart_names
from warehouse.publish import (
    CORE_LIST_ANONYMOUS_PREVIEW_QUERY,
    CORE_LIST_PREVIEW_QUERY,
    publish_address_book,
    publish_tables,
)
from assets.resource import StrongtiesWarehouse

@dg.asset(
    name="published_warehouse",
    group_name="publish",
    deps=mart_names(),
    kinds={"duckdb"},
    owners=OWNERS,
    description="The DuckDB file users query (STRONGTIES_WAREHOUSE): every mart table, replaced atomically.",
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse: StrongtiesWarehouse) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        counts = publish_tables(connection, warehouse.published_path, mart_names())
        # The run history keeps this preview: names only when the owner asked for them.
        preview_query = CORE_LIST_PREVIEW_QUERY if warehouse.names_in_ui else CORE_LIST_ANONYMOUS_PREVIEW_QUERY
        preview = connection.execute(preview_query).fetch_df()
        scores = [score for (score,) in connection.execute("SELECT score FROM tie_strength ORDER BY rank").fetchall()]
    chart = base64.b64encode(score_distribution_svg(scores).encode()).decode()
    context.log.info(f"published {len(counts)} tables to the warehouse file")
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(warehouse.published_path),
        "tables": dg.MetadataValue.json(counts),
        "core_list": dg.MetadataValue.md(preview.to_markdown(index=False)),
        "score_distribution": dg.MetadataValue.md(f"![tie strength with Dunbar layers](data:image/svg+xml;base64,{chart})"),
        "dagster/row_count": counts.get("core_list", 0),
    })


@dg.asset(
    name="address_book",
    group_name="publish",
    deps=["person", "int_person_ids"],
    kinds={"python"},
    owners=OWNERS,
    description="The merged address book: one clean vCard 4.0 card per person, next to the warehouse "
                "(strongties.vcf), for importing back into a phone or mail client.",
)
def address_book(warehouse: StrongtiesWarehouse) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        target, cards = publish_address_book(connection, warehouse.published_path)
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(target)), "cards": cards,
                                          "dagster/row_count": cards})


checks = [
    SqlCheck("core_list", "core_list_people_exist",
              "Every person on the core list exists in person.",
              "SELECT * FROM core_list WHERE person_id NOT IN (SELECT person_id FROM person)"),
    SqlCheck("core_list", "core_list_ranks_dense",
              "Ranks run 1, 2, 3 ... without gaps or repeats.",
              "SELECT * FROM (SELECT rank, row_number() OVER (ORDER BY rank) AS expected FROM core_list) WHERE rank <> expected"),
    SqlCheck("core_list", "owner_absent_from_core_list",
              "The owner is never on their own core list.",
              "SELECT c.* FROM core_list AS c JOIN int_person_ids AS i USING (person_id) WHERE i.is_owner"),
    SqlCheck("dormant_ties", "dormant_ties_silent_a_year",
              "Every dormant tie has been silent for the configured time.",
              "SELECT * FROM dormant_ties WHERE days_since_last_contact < getvariable('dormant_silence_days')"),
]

defs = dg.Definitions(assets=[sql_models_asset("publish", checks), published_warehouse, address_book])
