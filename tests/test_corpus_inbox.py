"""Conformance over ../shared/corpus as an inbox: every file listed, valid ones read whole,
broken ones read as far as they go with every unusable part quarantined with a reason."""
from __future__ import annotations

import csv
import os
from datetime import datetime, timezone

import duckdb
import pytest

from tests.conftest import shared_path
from warehouse.ingest import ingest_inbox

WINDOW = (datetime(1990, 1, 1, tzinfo=timezone.utc), datetime(2040, 1, 1, tzinfo=timezone.utc))
LINKEDIN_NAMES = ("Connections.csv", "messages.csv", "Invitations.csv", "Recommendations_Received.csv",
                  "Recommendations_Given.csv", "Endorsement_Received_Info.csv", "Endorsement_Given_Info.csv",
                  "Profile.csv")


def corpus_as_inbox(corpus, inbox) -> dict[str, str]:
    """Links the corpus into an inbox laid out as a user's would be: vCards and calendars as
    they are, each producer's LinkedIn files in a folder of their own under their real names.
    Returns the inbox path of each corpus file."""
    placed = {}
    for folder in ("vcard", "ics"):
        for path in sorted((corpus / folder).iterdir()):
            target = inbox / folder / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(path, target)
            placed[f"{folder}/{path.name}"] = f"{folder}/{path.name}"
    for path in sorted((corpus / "linkedin").iterdir()):
        producer, _, name = path.name.partition("_")
        real_name = next((known for known in LINKEDIN_NAMES if known.lower() == name.lower()), name)
        target = inbox / f"linkedin_{producer}" / real_name
        if target.exists():  # a second file of one kind (a guide's copy): its own folder
            target = inbox / f"linkedin_{producer}_{name}" / real_name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(path, target)
        placed[f"linkedin/{path.name}"] = target.relative_to(inbox).as_posix()
    return placed


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    corpus = shared_path("corpus")
    inbox = tmp_path_factory.mktemp("corpus_inbox")
    placed = corpus_as_inbox(corpus, inbox)
    with open(corpus / "MANIFEST.tsv", newline="") as handle:
        notes = {row["file"]: row["producer/quirk notes"] for row in csv.DictReader(handle, delimiter="\t")}
    connection = duckdb.connect()
    ingest_inbox(connection, str(inbox), WINDOW)
    files = {row[0]: row for row in connection.execute(
        "SELECT source_file, kind, items, quarantined FROM raw_inbox_files").fetchall()}
    # Property notes describe items that were kept: only file and item rows are quarantined items.
    reasons = connection.execute(
        "SELECT source_file, location, reason FROM raw_quarantine WHERE scope <> 'property'").fetchall()
    return placed, notes, files, reasons


def test_every_corpus_file_is_listed(ingested):
    placed, _, files, _ = ingested
    missing = [name for name, path in placed.items() if path not in files]
    assert missing == []


def test_valid_files_are_read_whole(ingested):
    placed, notes, files, _ = ingested
    for name, path in placed.items():
        if "MALFORMED" in notes.get(name, "") or files[path][1] == "not_used":
            continue
        _, kind, items, quarantined = files[path]
        assert quarantined == 0, f"{name} ({kind}) is valid but {quarantined} of {items} items were quarantined"


def test_linkedin_files_are_recognised_under_their_real_names(ingested):
    placed, _, files, _ = ingested
    kinds = {files[path][1] for name, path in placed.items() if name.startswith("linkedin/")}
    assert {"linkedin_connections", "linkedin_messages", "linkedin_invitations",
            "linkedin_recommendations_received", "linkedin_endorsements_received", "linkedin_profile"} <= kinds


def test_linkedin_files_no_connector_reads_are_listed_as_not_used(ingested):
    placed, _, files, _ = ingested
    unused = {name for name, path in placed.items() if files[path][1] == "not_used"}
    assert {"linkedin/silkyrich_Email_Addresses.csv", "linkedin/silkyrich_PhoneNumbers.csv"} <= unused


def test_malformed_files_keep_what_they_can_and_say_why_for_the_rest(ingested):
    placed, notes, files, reasons = ingested
    by_file = {}
    for source_file, location, reason in reasons:
        by_file.setdefault(source_file, []).append((location, reason))
    malformed = [name for name in placed if "MALFORMED" in notes.get(name, "")]
    assert len(malformed) >= 15
    for name in malformed:
        _, _, items, quarantined = files[placed[name]]
        assert items >= quarantined
        assert len(by_file.get(placed[name], [])) == quarantined
        for location, reason in by_file.get(placed[name], []):
            assert location and len(reason) > 10, (name, location, reason)
