"""Bad input in the inbox: each problem becomes a quarantine row naming file, place and reason,
and everything else in the inbox is still read."""
from __future__ import annotations

import io
import os
import zipfile
from datetime import datetime, timezone

import duckdb
import pytest

from tests.conftest import copy_of_tiny_inbox
from warehouse.ingest import ingest_inbox

WINDOW = (datetime(2016, 1, 1, tzinfo=timezone.utc), datetime(2028, 1, 1, tzinfo=timezone.utc))
GARBAGE = os.urandom(4096).replace(b"BEGIN", b"xxxxx")


@pytest.fixture
def ingested(tmp_path):
    inbox = copy_of_tiny_inbox(tmp_path)
    (inbox / "garbage.vcf").write_bytes(GARBAGE)
    (inbox / "garbage.ics").write_bytes(GARBAGE)
    (inbox / "latin1.vcf").write_bytes("BEGIN:VCARD\nVERSION:3.0\nFN:Zoë Ångström\nEMAIL:zoe@example.org\nEND:VCARD\n".encode("latin-1"))
    linkedin = inbox / "broken_export"
    linkedin.mkdir()
    (linkedin / "Connections.csv").write_text("First Name,Last Name,URL\nAna,Diaz,https://www.linkedin.com/in/ana\n")
    (linkedin / "messages.csv").write_bytes(GARBAGE)
    with zipfile.ZipFile(inbox / "Basic_LinkedInDataExport_01-01-2026.zip", "w") as archive:
        archive.writestr("../../escape/Connections.csv", "First Name,Last Name\n")
        archive.writestr("Invitations.csv", "From,To,Sent At,Message,Direction\n=HYPERLINK(\"x\"),Alex Morgan,1/2/26 9:00 AM,,INCOMING\n")
        archive.writestr("messages.csv", "CONVERSATION ID,FROM,TO,DATE\nc1,Ana,Alex,2026-01-02 10:00:00 UTC\n")
    connection = duckdb.connect()
    ingest_inbox(connection, str(inbox), WINDOW)
    return connection


def quarantine_of(connection, path: str) -> list[tuple[str, str]]:
    return connection.execute("SELECT location, reason FROM raw_quarantine WHERE source_file = ? ORDER BY location", [path]).fetchall()


def test_binary_garbage_named_as_a_vcard_or_calendar_is_quarantined(ingested):
    for path in ("garbage.vcf", "garbage.ics"):
        rows = quarantine_of(ingested, path)
        assert len(rows) == 1, path
        assert rows[0][1], path


def test_latin1_vcard_is_read_not_refused(ingested):
    names = ingested.execute("SELECT full_name FROM raw_vcard_cards WHERE source_file = 'latin1.vcf'").fetchall()
    assert names == [("Zoë Ångström",)]


def test_missing_required_columns_are_named(ingested):
    rows = quarantine_of(ingested, "broken_export/Connections.csv")
    assert rows and "Connected On" in rows[0][1]


def test_zip_slip_member_is_refused_and_the_rest_of_the_archive_read(ingested):
    rows = quarantine_of(ingested, "Basic_LinkedInDataExport_01-01-2026.zip")
    assert [location for location, _ in rows] == ["member ../../escape/Connections.csv"]
    assert "zip slip" in rows[0][1]
    invitations = ingested.execute("SELECT from_name FROM raw_linkedin_invitations").fetchall()
    assert invitations == [('=HYPERLINK("x")',)]  # a formula-looking cell is kept as text


def test_every_file_is_listed_and_conserved(ingested):
    files = ingested.execute("SELECT source_file, items, quarantined FROM raw_inbox_files").fetchall()
    paths = {path for path, _, _ in files}
    assert {"garbage.vcf", "garbage.ics", "latin1.vcf", "broken_export/messages.csv", "contacts.vcf"} <= paths
    for path, items, quarantined in files:
        assert 0 <= quarantined <= items, path
