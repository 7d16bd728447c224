"""Ingest: raw tables rebuilt across upgrades, removed files dropped, the owner recognised in
their own LinkedIn messages, and strongties' own outputs never read back."""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from tests.conftest import TINY_INBOX, copy_of_tiny_inbox
import warehouse.ingest as ingest_module
from warehouse.ingest import ingest_inbox, own_output_paths
from warehouse.models import load_models, models_in_order
from warehouse.resolution.export import write_vcard4
from assets.resource import working_path_for

WINDOW = (datetime(2016, 1, 1, tzinfo=timezone.utc), datetime(2028, 1, 1, tzinfo=timezone.utc))


def test_raw_table_of_an_older_shape_is_rebuilt_and_every_file_parsed_again(tmp_path):
    connection = duckdb.connect(str(tmp_path / "work.duckdb"))
    first = ingest_inbox(connection, str(TINY_INBOX), WINDOW)
    assert first.files_parsed == 6
    # An older release wrote vCard rows without the `cities` column.
    connection.execute("ALTER TABLE raw_vcard_cards DROP COLUMN cities")
    again = ingest_inbox(connection, str(TINY_INBOX), WINDOW)
    assert again.files_parsed == 6 and again.files_reused == 0
    assert connection.execute("SELECT count(*) FROM raw_vcard_cards WHERE cities IS NOT NULL").fetchone()[0] == 4
    unchanged = ingest_inbox(connection, str(TINY_INBOX), WINDOW)
    assert unchanged.files_parsed == 0 and unchanged.files_reused == 6


def test_rows_of_a_removed_file_are_dropped_and_the_others_kept(tmp_path):
    inbox = copy_of_tiny_inbox(tmp_path)
    connection = duckdb.connect(str(tmp_path / "work.duckdb"))
    ingest_inbox(connection, str(inbox), WINDOW)
    assert connection.execute("SELECT count(*) FROM raw_referrals").fetchone()[0] == 3
    (inbox / "referrals.csv").unlink()
    again = ingest_inbox(connection, str(inbox), WINDOW)
    assert again.files_parsed == 0 and again.files_reused == 5
    assert connection.execute("SELECT count(*) FROM raw_referrals").fetchone()[0] == 0
    assert connection.execute("SELECT count(*) FROM raw_vcard_cards").fetchone()[0] == 4
    assert connection.execute("SELECT count(*) FROM raw_quarantine WHERE source_file = 'referrals.csv'").fetchone()[0] == 0


INBOX_FIXTURES = Path(__file__).parent / "fixtures" / "inbox"


def staged_messages(inbox: Path) -> dict[str, list[str]]:
    """Ingests `inbox` and builds the staging models the LinkedIn messages need; returns each
    counterpart's source key with the directions of their rows."""
    connection = duckdb.connect()
    ingest_inbox(connection, str(inbox), WINDOW)
    models = {model.name: model for model in load_models()}
    needed, pending = set(), ["stg_linkedin_messages"]
    while pending:  # the model and every model it reads, directly or not
        name = pending.pop()
        if name in models and name not in needed:
            needed.add(name)
            pending.extend(models[name].reads)
    for model in models_in_order([models[name] for name in sorted(needed)]):
        connection.execute(f"CREATE TABLE {model.name} AS {model.sql}")
    directions: dict[str, list[str]] = {}
    for key, direction in connection.execute(
            "SELECT source_key, direction FROM stg_linkedin_messages ORDER BY sent_at").fetchall():
        directions.setdefault(key, []).append(direction)
    return directions


def test_owner_named_otherwise_than_owner_yaml_is_the_person_in_every_conversation():
    directions = staged_messages(INBOX_FIXTURES / "renamed_owner")
    assert "https://www.linkedin.com/in/amorganli-example" not in directions
    assert directions == {
        "https://www.linkedin.com/in/tomas-rey-example": ["inbound", "outbound"],
        "https://www.linkedin.com/in/ines-vale-example": ["outbound"],
        "https://www.linkedin.com/in/olu-bada-example": ["inbound"],
    }


def test_owner_of_a_single_conversation_is_recognised_from_the_exports_profile_csv():
    directions = staged_messages(INBOX_FIXTURES / "one_conversation")
    assert directions == {"https://www.linkedin.com/in/tomas-rey-example": ["inbound", "outbound"]}


def test_profile_csv_keeps_only_the_owners_name(tmp_path):
    connection = duckdb.connect()
    ingest_inbox(connection, str(INBOX_FIXTURES / "one_conversation"), WINDOW)
    profile = connection.execute("SELECT * FROM raw_linkedin_profile").fetch_df()
    assert list(profile["full_name"]) == ["Alexandra Morgan-Li"]
    stored = " ".join(str(value) for value in profile.iloc[0].to_list())
    assert "Leeds" not in stored and "1990" not in stored


def test_the_warehouse_and_its_files_inside_the_inbox_are_listed_as_own_output_and_not_read(tmp_path):
    inbox = copy_of_tiny_inbox(tmp_path)
    published = inbox / "strongties.duckdb"
    duckdb.connect(str(published)).close()
    shutil.copy(inbox / "contacts.vcf", published.with_suffix(".vcf"))
    dagster_home = inbox / ".dagster_home"
    dagster_home.mkdir()
    (dagster_home / "runs.vcf").write_bytes((inbox / "contacts.vcf").read_bytes())
    connection = duckdb.connect()
    ingest_inbox(connection, str(inbox), WINDOW,
                 own_output_paths(published, working_path_for(published), dagster_home))
    kinds = dict(connection.execute("SELECT source_file, kind FROM raw_inbox_files").fetchall())
    assert kinds["strongties.duckdb"] == kinds["strongties.vcf"] == kinds[".dagster_home"] == "own_output"
    assert not any(path.startswith(".dagster_home/") for path in kinds)
    sources = connection.execute("SELECT DISTINCT source_file FROM raw_vcard_cards").fetchall()
    assert sources == [("contacts.vcf",)]


def test_a_copy_of_our_address_book_elsewhere_in_the_inbox_is_recognised_by_its_prodid(tmp_path):
    inbox = copy_of_tiny_inbox(tmp_path)
    golden = pd.DataFrame([{"cluster_key": "vcard:1", "display_name": "Priya Shah", "given_name": "Priya",
                            "family_name": "Shah", "emails": ["priya.shah@example.com"]}])
    write_vcard4(golden, inbox / "backup" / "my contacts.vcf")
    connection = duckdb.connect()
    ingest_inbox(connection, str(inbox), WINDOW)
    kinds = dict(connection.execute("SELECT source_file, kind FROM raw_inbox_files").fetchall())
    assert kinds["backup/my contacts.vcf"] == "own_output"
    assert connection.execute("SELECT count(*) FROM raw_vcard_cards WHERE source_file LIKE 'backup/%'").fetchone()[0] == 0


def test_a_file_removed_between_scan_and_read_is_quarantined_and_the_rest_ingested(tmp_path, monkeypatch):
    inbox = copy_of_tiny_inbox(tmp_path)
    real_scan = ingest_module.scan_inbox

    def scan_then_remove(*args, **kwargs):
        scanned = real_scan(*args, **kwargs)
        (inbox / "referrals.csv").unlink()
        return scanned

    monkeypatch.setattr(ingest_module, "scan_inbox", scan_then_remove)
    connection = duckdb.connect()
    ingest_inbox(connection, str(inbox), WINDOW)
    [(location, reason, scope)] = connection.execute(
        "SELECT location, reason, scope FROM raw_quarantine WHERE source_file = 'referrals.csv'").fetchall()
    assert (location, scope) == ("whole file", "file") and "No such file" in reason
    assert connection.execute("SELECT count(*) FROM raw_vcard_cards").fetchone()[0] == 4


def test_a_value_duckdb_refuses_fails_its_file_and_the_rest_is_ingested(tmp_path, monkeypatch):
    """A connector bug that emits a date which does not exist would abort the run's transaction
    at INSERT; rehearsed first, it costs only its own file."""
    import connectors.referrals as referrals

    real_parse = referrals.parse_referrals

    def parse_with_an_impossible_date(stream, source_file, **kwargs):
        result = real_parse(stream, source_file, **kwargs)
        result.rows["referrals"][0]["occurred_on"] = "2024-02-30"
        return result

    monkeypatch.setattr(referrals, "parse_referrals", parse_with_an_impossible_date)
    inbox = copy_of_tiny_inbox(tmp_path)
    connection = duckdb.connect()
    summary = ingest_inbox(connection, str(inbox), WINDOW)
    assert summary.files_failed == 1
    [(location, scope)] = connection.execute(
        "SELECT location, scope FROM raw_quarantine WHERE source_file = 'referrals.csv'").fetchall()
    assert (location, scope) == ("whole file", "file")
    assert connection.execute("SELECT count(*) FROM raw_referrals").fetchone()[0] == 0
    assert connection.execute("SELECT count(*) FROM raw_vcard_cards").fetchone()[0] == 4


def batches_then_failure(stream, source_file):
    """A stand-in batch reader that hands over one batch of rows, then fails half-way through."""
    yield {"decisions": [{"source_file": source_file, "position": 1, "left_key": "vcard:a", "right_key": "vcard:b",
                          "decision": "same"}]}
    raise ValueError("the reader broke after its first batch")


def mail_in_batches_of_two(stream, source_file):
    from connectors.mail import parse_mail_batches
    return (yield from parse_mail_batches(stream, source_file, batch_messages=2))


MAILBOX = b"".join(
    b"From x@y Mon Mar  2 09:00:00 2026\nFrom: P%d <p%d@example.org>\nTo: owner@example.com\n"
    b"Date: Mon, 2 Mar 2026 09:00:00 +0000\nMessage-ID: <%d@example.org>\n\nhi\n" % (n, n, n) for n in range(5))


def test_a_file_failing_after_its_first_batch_leaves_none_of_its_rows(tmp_path, monkeypatch):
    from dataclasses import replace

    from connectors.sources import SOURCES
    monkeypatch.setitem(SOURCES, "decisions", replace(SOURCES["decisions"], module=__name__, batches="batches_then_failure"))
    inbox = copy_of_tiny_inbox(tmp_path)
    (inbox / "decisions.csv").write_text("left_key,right_key,decision\n")
    connection = duckdb.connect()
    summary = ingest_inbox(connection, str(inbox), WINDOW)
    assert summary.files_failed == 1
    assert connection.execute("SELECT count(*) FROM raw_decisions").fetchone()[0] == 0
    [(location, reason)] = connection.execute(
        "SELECT location, reason FROM raw_quarantine WHERE source_file = 'decisions.csv'").fetchall()
    assert location == "whole file" and "ValueError" in reason
    assert connection.execute("SELECT count(*) FROM raw_vcard_cards").fetchone()[0] == 4


def test_a_mailbox_read_in_batches_stores_every_message_once(tmp_path, monkeypatch):
    from dataclasses import replace

    from connectors.sources import SOURCES
    monkeypatch.setitem(SOURCES, "mail", replace(SOURCES["mail"], module=__name__, batches="mail_in_batches_of_two"))
    (tmp_path / "box.mbox").write_bytes(MAILBOX)
    connection = duckdb.connect()
    summary = ingest_inbox(connection, str(tmp_path), WINDOW)
    assert summary.items == 5 and summary.files_failed == 0
    assert connection.execute("SELECT list(position ORDER BY position) FROM raw_mail_messages").fetchone()[0] == [1, 2, 3, 4, 5]
    assert connection.execute("SELECT count(*) FROM raw_mail_addresses WHERE role = 'from'").fetchone()[0] == 5


def test_the_memory_limit_set_for_the_ingest_is_given_back(tmp_path):
    connection = duckdb.connect()
    connection.execute("SET memory_limit = '3GiB'")
    before = connection.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    ingest_inbox(connection, str(TINY_INBOX), WINDOW)
    assert connection.execute("SELECT current_setting('memory_limit')").fetchone()[0] == before
