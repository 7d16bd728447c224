"""The working database across upgrades: raw tables whose columns changed are rebuilt."""
from __future__ import annotations

from datetime import datetime, timezone

import duckdb

from tests.conftest import TINY_INBOX, copy_of_tiny_inbox
from warehouse.ingest import ingest_inbox

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
