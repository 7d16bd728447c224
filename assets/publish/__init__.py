"""Publish: the core list and dormant ties, then the warehouse file readers query, swapped in atomically."""

import dagster as dg

from assets.checks import SqlCheck
from assets.metrics.previews import PREVIEWS
from assets.resource import StrongtiesWarehouse
from assets.sql_models import OWNERS, sql_models_asset
from warehouse.models import mart_names
from warehouse.reminders import publish_reconnect_reminders
from warehouse.publish import (
    CORE_LIST_ANONYMOUS_PREVIEW_QUERY,
    CORE_LIST_PREVIEW_QUERY,
    publish_address_book,
    publish_tables,
)


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
        # The run history keeps this preview: names only when the owner asked for them. The
        # core_list asset's own page carries its table and chart.
        preview_query = CORE_LIST_PREVIEW_QUERY if warehouse.names_in_ui else CORE_LIST_ANONYMOUS_PREVIEW_QUERY
        preview = connection.execute(preview_query).fetch_df()
    context.log.info(f"published {len(counts)} tables to the warehouse file")
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(warehouse.published_path),
        "tables": dg.MetadataValue.json(counts),
        "core_list": dg.MetadataValue.md(preview.to_markdown(index=False)),
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


@dg.asset(
    name="reconnect_reminders",
    group_name="publish",
    deps=["reconnect"],
    kinds={"python"},
    owners=OWNERS,
    description="The reconnect list as calendar reminders, next to the warehouse (strongties.reconnect.ics): "
                "one event per person over the next two weeks' working days, with an alarm; UIDs stay the same "
                "from run to run, so importing again updates them.",
)
def reconnect_reminders(warehouse: StrongtiesWarehouse) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        target, events = publish_reconnect_reminders(connection, warehouse.published_path, warehouse.as_of_date)
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(target)), "events": events,
                                          "dagster/row_count": events})


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

defs = dg.Definitions(assets=[sql_models_asset("publish", checks, PREVIEWS), published_warehouse, address_book,
                             reconnect_reminders])
