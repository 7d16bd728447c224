"""What a card stands for (vCard 4.0 KIND, Apple's 3.0 equivalents): read by the connector, and
group and location cards kept out of the people staging builds."""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from connectors.vcard import TABLE, parse_vcards
from tests.test_identity_trust import staged

KINDS = Path(__file__).resolve().parent / "fixtures" / "wild" / "kinds.vcf"


def kinds_by_name(use_fast_path: bool) -> dict[str, str | None]:
    with open(KINDS, "rb") as stream:
        result = parse_vcards(stream, KINDS.name, use_fast_path=use_fast_path)
    assert result.quarantined == 0
    return {row["full_name"]: row["kind"] for row in result.rows[TABLE]}


@pytest.mark.parametrize("use_fast_path", [True, False])
def test_kind_is_read_in_lower_case_and_apples_group_and_company_markers_count_as_kinds(use_fast_path):
    assert kinds_by_name(use_fast_path) == {
        "Odile Marchetti": "individual",
        "The Marchetti Family": "group",
        "Larchwood Joinery": "org",
        "Conference room Solway": "location",
        "Book club": "group",  # X-ADDRESSBOOKSERVER-KIND, iCloud's groups in vCard 3.0
        "Harrow & Finch": "org",  # X-ABShowAs:COMPANY, Apple Contacts' company cards
        "Bertil Quist": None,
    }


def test_a_second_different_kind_is_noted_and_the_first_kept():
    card = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Lene Aas\r\nKIND:individual\r\nKIND:group\r\nEND:VCARD\r\n"
    result = parse_vcards(io.BytesIO(card.encode()), "inline.vcf")
    assert result.rows[TABLE][0]["kind"] == "individual"
    assert [entry.reason for entry in result.quarantine] == [
        "KIND is given more than once with different values; the first is kept"]


def test_group_and_location_cards_are_not_people_but_org_cards_stay_as_businesses(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(KINDS, inbox / "contacts.vcf")
    with staged(inbox) as connection:
        staged_cards = dict(connection.execute(
            "SELECT coalesce(full_name, company), kind FROM stg_vcard_cards").fetchall())
        vcard_records = connection.execute(
            "SELECT count(*) FROM int_source_records WHERE source = 'vcard'").fetchone()[0]
        emails = {email for (email,) in connection.execute(
            "SELECT unnest(emails) FROM stg_vcard_cards").fetchall()}
    assert staged_cards == {
        "Odile Marchetti": "individual",
        "Larchwood Joinery": "org",
        "Harrow & Finch": "org",
        "Bertil Quist": None,
    }
    assert vcard_records == 4
    # The family's shared address and the room's booking address name nobody.
    assert "family@marchetti.example.org" not in emails and "room.solway@example.org" not in emails
