"""Ingest: reads every export in the inbox into raw tables, then stages each source in SQL."""

import dagster as dg

from assets.checks import SqlCheck, selected_checks
from assets.sql_models import OWNERS, sql_models_asset
from warehouse.ingest import ingest_inbox
from warehouse.raw_tables import RAW_TABLES, raw_name
from warehouse.resource import StrongtiesWarehouse

RAW_TABLE_DESCRIPTIONS = {
    "vcard_cards": "One row per vCard read from the inbox's .vcf files.",
    "linkedin_connections": "Connections.csv rows from LinkedIn exports, zipped or unpacked, every era.",
    "linkedin_messages": "messages.csv rows (content left out: only who, when and which way).",
    "linkedin_invitations": "Invitations.csv rows: who invited whom, when.",
    "linkedin_recommendations": "Recommendations given and received.",
    "linkedin_endorsements": "Skill endorsements given and received.",
    "calendar_events": "One row per VEVENT read (not quarantined): how many meetings it gave, or why none.",
    "calendar_meetings": "One row per occurrence of every calendar event, recurrences expanded.",
    "calendar_attendees": "People invited to each occurrence, with their answer; rooms left out.",
    "referrals": "The owner's referral log, referrals.csv.",
    "owner": "Who the owner is, from owner.yaml.",
    "decisions": "The owner's answers on uncertain matches, decisions.csv.",
    "inbox_files": "Every file and archive member found in the inbox, with its hash and item counts.",
    "quarantine": "Input that could not be used: file, place and reason.",
}


# Each kind's table with one row per item read (for calendars, per VEVENT): conservation holds row for row.
ONE_ROW_PER_ITEM = {
    "vcard": "raw_vcard_cards",
    "calendar": "raw_calendar_events",
    "linkedin_connections": "raw_linkedin_connections",
    "linkedin_messages": "raw_linkedin_messages",
    "linkedin_invitations": "raw_linkedin_invitations",
    "linkedin_recommendations_received": "raw_linkedin_recommendations",
    "linkedin_recommendations_given": "raw_linkedin_recommendations",
    "linkedin_endorsements_received": "raw_linkedin_endorsements",
    "linkedin_endorsements_given": "raw_linkedin_endorsements",
    "referrals": "raw_referrals",
    "decisions": "raw_decisions",
}
_conservation_sql = " UNION ALL ".join(
    f"SELECT f.source_file, f.items, f.quarantined, (SELECT count(*) FROM {table} AS r WHERE r.source_file = f.source_file) AS rows "
    f"FROM raw_inbox_files AS f WHERE f.kind = '{kind}' AND f.duplicate_of IS NULL"
    for kind, table in ONE_ROW_PER_ITEM.items()
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
        dg.AssetSpec(raw_name(table), group_name="ingest", description=RAW_TABLE_DESCRIPTIONS[table],
                     kinds={"duckdb", "python"}, owners=OWNERS, tags={"layer": "raw"})
        for table in RAW_TABLES
    ],
    name="read_inbox",
    check_specs=[CONSERVATION.spec()],
)
def read_inbox(context: dg.AssetExecutionContext, warehouse: StrongtiesWarehouse):
    """Parses new or changed inbox files with the connectors; unchanged files keep their rows."""
    with warehouse.connect() as connection:
        summary = ingest_inbox(connection, warehouse.inbox, warehouse.calendar_window())
        counts = {table: connection.execute(f"SELECT count(*) FROM {raw_name(table)}").fetchone()[0] for table in RAW_TABLES}
        reasons = connection.execute(
            "SELECT regexp_replace(reason, '\\d+', 'N', 'g') AS reason, count(*) AS rows FROM raw_quarantine "
            "GROUP BY 1 ORDER BY 2 DESC LIMIT 20").fetch_df()
        check_results = [check.evaluate(connection) for check in selected_checks(context, [CONSERVATION])]
    context.log.info(
        f"read {summary.files_seen} files ({summary.files_parsed} parsed, {summary.files_reused} unchanged): "
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
