"""The whole graph, materialized on a tiny hand-made inbox whose right answers are known."""
from __future__ import annotations

import stat

import dagster as dg

from tests.conftest import SAMPLE_AS_OF, TINY_INBOX, copy_of_tiny_inbox, materialize_all, query, rows

AS_OF = SAMPLE_AS_OF
CONTRACT_COLUMNS = {
    "input_file": {"path", "kind", "sha256", "items", "quarantined"},
    "source_record": {"source", "source_key", "person_id", "source_file"},
    "quarantine": {"source_file", "location", "reason"},
    "person": {"person_id", "display_name", "emails", "phones", "linkedin_url", "company", "title"},
    "interaction": {"person_id", "occurred_at", "channel", "direction"},
    "referral": {"person_id", "occurred_on", "direction", "kind", "value"},
    "match_review": {"left_key", "right_key", "probability"},
    "tie_strength": {"person_id", "score", "rank", "explanation", "recency", "frequency", "time_together",
                     "reciprocity", "longevity", "multiplexity", "shared_context"},
    "core_list": {"rank", "person_id", "display_name", "score", "why"},
    "dormant_ties": {"rank", "person_id", "display_name", "last_contact", "why"},
}


def person_id_of(warehouse, email: str) -> str:
    rows = query(warehouse, "SELECT person_id FROM person WHERE list_contains(emails, ?)", [email])
    assert len(rows) == 1, f"expected one person with {email}"
    return rows["person_id"][0]


def test_definitions_load():
    from pipelines.definitions import defs

    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("refresh_warehouse") is not None


def test_every_contract_table_is_published_with_its_columns(tiny_warehouse):
    for table, columns in CONTRACT_COLUMNS.items():
        published = set(query(tiny_warehouse, f"SELECT * FROM {table} LIMIT 0").columns)
        assert columns <= published, f"{table} lacks {columns - published}"


def test_published_warehouse_is_owner_only(tiny_warehouse):
    assert stat.S_IMODE(tiny_warehouse.stat().st_mode) == 0o600


def test_input_file_lists_every_file_with_its_counts(tiny_warehouse):
    files = query(tiny_warehouse, "SELECT path, kind, items, quarantined FROM input_file ORDER BY path")
    assert list(files["path"]) == ["calendar.ics", "contacts.vcf", "linkedin/Connections.csv",
                                   "linkedin/messages.csv", "owner.yaml", "referrals.csv"]
    by_path = files.set_index("path")
    assert by_path.loc["contacts.vcf", "items"] == 4
    assert by_path.loc["calendar.ics", "items"] == 5
    assert by_path.loc["referrals.csv", "items"] == 4
    assert by_path.loc["referrals.csv", "quarantined"] == 1


def test_impossible_referral_date_is_quarantined_with_its_place(tiny_warehouse):
    rows = query(tiny_warehouse, "SELECT * FROM quarantine")
    assert list(rows["source_file"]) == ["referrals.csv"]
    assert rows["location"][0] == "row 4 (line 5)"
    assert "2026-13-40" in rows["reason"][0]


def test_owner_is_absent_from_person_and_core_list(tiny_warehouse):
    assert len(query(tiny_warehouse, "SELECT * FROM person WHERE list_contains(emails, 'alex@example.com')")) == 0
    owner_ids = query(tiny_warehouse, "SELECT DISTINCT person_id FROM source_record WHERE is_owner")
    assert len(owner_ids) == 1
    core = query(tiny_warehouse, "SELECT person_id FROM core_list")
    assert owner_ids["person_id"][0] not in set(core["person_id"])


def test_same_email_across_sources_is_one_person(tiny_warehouse):
    priya = person_id_of(tiny_warehouse, "priya.shah@example.com")
    sources = query(tiny_warehouse, "SELECT DISTINCT source FROM source_record WHERE person_id = ?", [priya])
    assert set(sources["source"]) == {"vcard", "linkedin", "calendar", "referrals"}


def test_weekly_one_on_one_tops_the_core_list_with_its_reasons(tiny_warehouse):
    core = query(tiny_warehouse, "SELECT * FROM core_list ORDER BY rank")
    assert core["display_name"][0] == "Priya Shah"
    why = core["why"][0]
    assert "one-on-ones in the last 90 days, you organised" in why
    assert "referred you once (job offer)" in why
    assert list(core["rank"]) == list(range(1, len(core) + 1))


def test_declined_meeting_does_not_count(tiny_warehouse):
    sam = person_id_of(tiny_warehouse, "sam@example.net")
    meetings = query(tiny_warehouse, "SELECT strftime(occurred_at::date, '%Y-%m-%d') AS day FROM interaction WHERE person_id = ? AND channel = 'meeting'", [sam])
    assert [str(day) for day in meetings["day"]] == ["2026-10-01"]


def test_upcoming_meetings_are_not_interactions(tiny_warehouse):
    late = query(tiny_warehouse, "SELECT * FROM interaction WHERE occurred_at >= TIMESTAMPTZ '2026-11-21'")
    assert len(late) == 0


def test_rerun_on_same_inbox_changes_nothing(tiny_warehouse, tmp_path):
    again = tmp_path / "again.duckdb"
    assert materialize_all(TINY_INBOX, again, AS_OF).success
    for table in ("person", "tie_strength", "core_list", "source_record"):
        first = rows(tiny_warehouse, f"SELECT * FROM {table} ORDER BY ALL")
        assert first == rows(again, f"SELECT * FROM {table} ORDER BY ALL"), table


def test_merged_address_book_is_one_vcard4_per_person(tiny_warehouse):
    import vobject

    address_book = tiny_warehouse.with_suffix(".vcf")
    cards = list(vobject.readComponents(address_book.read_text(encoding="utf-8")))
    people = query(tiny_warehouse, "SELECT display_name FROM person")
    assert len(cards) == len(people)
    assert {card.fn.value for card in cards} == set(people["display_name"])
    assert all(card.version.value == "4.0" for card in cards)
    assert stat.S_IMODE(address_book.stat().st_mode) == 0o600


def test_owner_decisions_split_and_join_records_on_the_next_run(tmp_path):
    inbox = copy_of_tiny_inbox(tmp_path)
    (inbox / "decisions.csv").write_text(
        "left_key,right_key,decision\n"
        "vcard:tiny-priya,linkedin:https://www.linkedin.com/in/priya-shah-example,different\n"
        "vcard:tiny-sam,calendar:omar@example.com,same\n")
    warehouse = tmp_path / "w.duckdb"
    assert materialize_all(inbox, warehouse, AS_OF).success
    person_of = dict(rows(warehouse, "SELECT record_key, person_id FROM source_record"))
    assert person_of["vcard:tiny-priya"] != person_of["linkedin:https://www.linkedin.com/in/priya-shah-example"]
    assert person_of["vcard:tiny-sam"] == person_of["calendar:omar@example.com"]


def test_attendee_without_a_display_name_is_matched_by_the_name_in_the_address(tmp_path):
    inbox = copy_of_tiny_inbox(tmp_path)
    (inbox / "noor.vcf").write_bytes(b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:noor\r\nFN:Noor Haddad\r\n"
                                     b"EMAIL:noor.h@mail.example.net\r\nEND:VCARD\r\n")
    (inbox / "lunch.ics").write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:lunch@example.com\r\n"
        b"DTSTAMP:20260101T000000Z\r\nDTSTART:20261101T120000Z\r\nDTEND:20261101T130000Z\r\n"
        b"ORGANIZER:mailto:alex@example.com\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:noor.haddad@work.example.org\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    warehouse = tmp_path / "w.duckdb"
    assert materialize_all(inbox, warehouse, AS_OF).success
    person_of = dict(rows(warehouse, "SELECT record_key, person_id FROM source_record"))
    assert person_of["vcard:noor"] == person_of["calendar:noor.haddad@work.example.org"]


def test_inbox_without_owner_yaml_still_runs_and_ranks(tmp_path):
    inbox = copy_of_tiny_inbox(tmp_path)
    (inbox / "owner.yaml").unlink()
    warehouse = tmp_path / "w.duckdb"
    assert materialize_all(inbox, warehouse, AS_OF).success
    assert rows(warehouse, "SELECT count(*) FROM core_list")[0][0] == 10
    assert rows(warehouse, "SELECT display_name FROM core_list WHERE rank = 1")[0][0] == "Priya Shah"
