"""Conformance over the shared corpus of real vCard exports (skipped where ../shared is absent)."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from connectors.vcard import TABLE, card_blocks, parse_vcards
from tests.vcard_support import assert_paths_agree

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
VCARD_FILES = sorted((CORPUS / "vcard").glob("*.vcf")) if (CORPUS / "vcard").is_dir() else []

pytestmark = pytest.mark.skipif(not VCARD_FILES, reason="../shared/corpus/vcard is not here")


def _malformed() -> set[str]:
    """Corpus files the manifest marks MALFORMED (in any spelling: MALFORMED/edge, -ish...)."""
    with open(CORPUS / "MANIFEST.tsv", newline="", encoding="utf-8") as manifest:
        return {
            row["file"].removeprefix("vcard/")
            for row in csv.DictReader(manifest, delimiter="\t")
            if row["file"].startswith("vcard/") and "MALFORMED" in row["producer/quirk notes"]
        }


MALFORMED = _malformed() if VCARD_FILES else set()


def _read(path: Path):
    with open(path, "rb") as stream:
        return parse_vcards(stream, path.name)


@pytest.mark.parametrize("path", [p for p in VCARD_FILES if p.name not in MALFORMED], ids=lambda p: p.name)
def test_valid_export_yields_every_card_as_a_row(path):
    result = _read(path)
    assert result.quarantined == 0
    assert result.items >= 1
    assert len(result.rows[TABLE]) == result.items
    # what was dropped inside a card (a TEL "BusinessPhone", a repeated N) is told, never quoted
    assert all(entry.scope == "property" and entry.location.startswith("card ") for entry in result.quarantine)


@pytest.mark.parametrize("path", [p for p in VCARD_FILES if p.name in MALFORMED], ids=lambda p: p.name)
def test_malformed_export_yields_what_it_can_and_quarantines_the_rest_with_reasons(path):
    result = _read(path)
    assert result.items == len(result.rows.get(TABLE, [])) + result.quarantined
    assert result.items >= 1
    for entry in result.quarantine:
        assert entry.location.startswith("card ") and "(line " in entry.location
        assert entry.reason


def test_manifest_marks_some_files_malformed_and_the_truncated_one_is_quarantined():
    assert len(MALFORMED) >= 5
    result = _read(CORPUS / "vcard" / "khard_unparsable.vcf")
    assert [entry.location for entry in result.quarantine] == ["card 1 (line 1)"]


def test_fast_path_equals_vobject_on_every_corpus_card_both_can_read():
    compared = 0
    for path in VCARD_FILES:
        with open(path, "rb") as stream:
            compared += assert_paths_agree(list(card_blocks(stream)), path.name)
    assert compared >= 30


def test_exports_vobject_alone_rejects_are_read_whole():
    """Outlook, Android and iPhone exports that vobject gives up on (PARSER_BASELINE.tsv)."""
    for name, expected_cards in [
        ("ezvcard_John_Doe_MS_OUTLOOK.vcf", 1),
        ("ezvcard_outlook-2003.vcf", 1),
        ("ezvcard_outlook-2007.vcf", 1),
        ("ezvcard_John_Doe_ANDROID.vcf", 6),
        ("ezvcard_John_Doe_IPHONE.vcf", 1),
        ("aosp_v30_ios_613_multiline.vcf", 1),
        ("aosp_v21_multiple_entry.vcf", 3),
        ("ezvcard_John_Doe_LOTUS_NOTES.vcf", 1),
    ]:
        result = _read(CORPUS / "vcard" / name)
        assert result.quarantined == 0, name
        assert len(result.rows[TABLE]) == expected_cards, name
        assert any(row["full_name"] or row["family_name"] or row["emails"] or row["phones"] for row in result.rows[TABLE]), name


def test_outlook_quoted_printable_label_does_not_spill_into_other_fields():
    (row,) = _read(CORPUS / "vcard" / "ezvcard_John_Doe_MS_OUTLOOK.vcf").rows[TABLE]
    assert row["emails"] == ["john.doe@ibm.cm"]
    assert row["birthday"] == "1980-03-22"
    assert row["org"] == "IBM, Accounting"
