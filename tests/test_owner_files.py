"""The owner's own files: the referral log, owner.yaml and decisions.csv."""
from __future__ import annotations

import io

from connectors.decisions import parse_decisions
from connectors.owner import parse_owner
from connectors.referrals import parse_referrals


def referrals(text: str, encoding: str = "utf-8"):
    return parse_referrals(io.BytesIO(text.encode(encoding)), "referrals.csv")


def test_referral_person_is_recognised_as_email_url_or_name():
    result = referrals(
        "date,person,direction,kind,value,note\n"
        "2026-01-05,Ana.Diaz@Example.com,received,job_offer,5,\n"
        "2026-02-05,https://www.linkedin.com/in/Bo-Chen/,given,intro,2,\n"
        "2026-03-05,  Carla   Mendes ,received,client,4,big one\n")
    assert result.items == 3 and result.quarantine == []
    first, second, third = result.rows["referrals"]
    assert first["person_email"] == "ana.diaz@example.com"
    assert second["person_linkedin_url"] == "https://www.linkedin.com/in/bo-chen"
    assert third["person_name"] == "Carla Mendes" and third["note"] == "big one"


def test_unknown_referral_kind_is_kept_as_given():
    result = referrals("date,person,direction,kind,value,note\n2026-01-05,Ana,received,Board Seat,3,\n")
    row = result.rows["referrals"][0]
    assert row["kind"] == "board_seat" and row["known_kind"] is False


def test_bad_referral_rows_are_quarantined_and_the_rest_kept():
    result = referrals(
        "date,person,direction,kind,value,note\n"
        "2026-01-05,Ana,sideways,intro,3,\n"
        "2026-01-05,Ana,received,intro,9,\n"
        "not a date,Ana,received,intro,3,\n"
        "2026-01-05,,received,intro,3,\n"
        "2026-01-06,Ana,received,intro,3,\n")
    assert result.items == 5
    assert len(result.rows["referrals"]) == 1
    reasons = [q.reason for q in result.quarantine]
    assert "neither 'received' nor 'given'" in reasons[0]
    assert "1 to 5" in reasons[1]
    assert reasons[2] == "date is not a date: write it as YYYY-MM-DD"
    assert "person is empty" in reasons[3]
    assert [q.location for q in result.quarantine][0] == "row 1 (line 2)"


def test_referral_log_missing_a_column_names_it():
    result = referrals("date,person,kind,value\n2026-01-05,Ana,intro,3\n")
    assert result.items == 1
    assert "missing required column(s): direction" in result.quarantine[0].reason


def test_referral_log_saved_by_excel_in_cp1252_is_read():
    result = referrals("date,person,direction,kind,value,note\n2026-01-05,José Núñez,received,intro,3,\n", "cp1252")
    assert result.rows["referrals"][0]["person_name"] == "José Núñez"


def test_binary_garbage_named_referrals_csv_is_quarantined():
    result = parse_referrals(io.BytesIO(b"\x00\x01\x02garbage"), "referrals.csv")
    assert result.items == 1 and "binary" in result.quarantine[0].reason


def test_owner_yaml_gives_normalised_identity():
    result = parse_owner(io.BytesIO(
        b"name: Alex  Morgan\nemails: [Alex@Example.com, 'mailto:alex@morgan.example.org']\n"
        b"linkedin: linkedin.com/in/Alex-Morgan/\n"), "owner.yaml")
    owner = result.rows["owner"][0]
    assert owner["name"] == "Alex Morgan"
    assert owner["emails"] == ["alex@example.com", "alex@morgan.example.org"]
    assert owner["linkedin_url"] == "https://www.linkedin.com/in/alex-morgan"


def test_owner_yaml_that_is_not_yaml_is_quarantined():
    result = parse_owner(io.BytesIO(b"name: [unclosed\n"), "owner.yaml")
    assert result.items == 1 and result.quarantine[0].location == "whole file"


def test_decisions_accept_same_and_different_only():
    result = parse_decisions(io.BytesIO(
        b"left_key,right_key,decision\nvcard:a,linkedin:https://www.linkedin.com/in/b,same\n"
        b"vcard:a,calendar:c@example.com,maybe\nnot-a-key,vcard:x,different\n"), "decisions.csv")
    assert result.items == 3 and len(result.rows["decisions"]) == 1
    assert "neither 'same' nor 'different'" in result.quarantine[0].reason
    assert "source:source_key" in result.quarantine[1].reason


def test_referral_value_too_large_for_a_number_is_quarantined_and_the_rest_kept():
    result = referrals(
        "date,person,direction,kind,value,note\n"
        "2026-01-05,Ana,received,intro,inf,\n"
        "2026-01-05,Ana,received,intro,1e400,\n"
        "2026-01-05,Ana,received,intro,nan,\n"
        "2026-01-06,Ana,received,intro,3,\n")
    assert result.items == 4 and [row["value"] for row in result.rows["referrals"]] == [3]
    # Text that is no plain number is not quoted back: the cell could hold anything.
    assert [q.reason for q in result.quarantine] == ["value is not a whole number from 1 to 5"] * 3


def test_owner_yaml_with_a_number_for_emails_notes_it_and_reads_a_single_address():
    result = parse_owner(io.BytesIO(b"name: Alex Morgan\nemails: 5\nemail: Alex@Example.com\nphones: 5\n"), "owner.yaml")
    assert [(q.location, q.reason, q.scope) for q in result.quarantine] == [
        ("key emails", "emails item 1 is not an email address; left out", "property")]
    owner = result.rows["owner"][0]
    assert owner["emails"] == ["alex@example.com"] and owner["phones"] == ["5"]
