"""Identity a user can trust, through a whole run (issue 13): review by people and once, answers
that cannot drift or mix inboxes, person_id that stays, the owner never among their ties."""
from __future__ import annotations

import shutil
import stat
from pathlib import Path

import duckdb
import pytest

from pipelines import review
from tests.test_identity_trust import FIXTURES, STAGES, staged
from warehouse.resolution.review import DECISIONS_HEADER, record_answer
from warehouse.resolution.store import owner_warning

RESOLUTION_FIXTURES = FIXTURES.parent


def inbox_with(folder: Path, *extras: str) -> Path:
    """The iPhone-style inbox (cards without UIDs, a Google calendar, no owner.yaml) plus extras."""
    inbox = folder / "inbox"
    shutil.copytree(FIXTURES, inbox, dirs_exist_ok=True)
    for extra in extras:
        source = RESOLUTION_FIXTURES / extra
        if source.is_dir():
            shutil.copytree(source, inbox / extra, dirs_exist_ok=True)
        else:
            shutil.copy(source, inbox / extra)
    return inbox


def build(inbox: Path, warehouse: Path) -> Path:
    """A whole run of `inbox` into the warehouse file (kept between runs, like the working one)."""
    with duckdb.connect(str(warehouse)) as connection:
        staged(inbox, connection, STAGES)
    return warehouse


def values(warehouse: Path, sql: str, params: list | None = None) -> list:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


def wei_keys(warehouse: Path) -> list[str]:
    return [key for (key,) in values(warehouse, "SELECT record_key FROM source_record WHERE source = 'vcard' "
                                                "AND full_name = 'Wei Zhang' ORDER BY company")]


def copy_of_run(run: tuple[Path, Path], folder: Path) -> tuple[Path, Path]:
    """The run's inbox and warehouse copied, the copy recorded as built from the copied inbox."""
    inbox = Path(shutil.copytree(run[0], folder / "inbox"))
    warehouse = Path(shutil.copy(run[1], folder / "strongties.duckdb"))
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("UPDATE warehouse_build SET inbox = ?", [str(inbox.resolve())])
    return inbox, warehouse


def use(monkeypatch, inbox: Path, warehouse: Path) -> None:
    monkeypatch.setenv("STRONGTIES_INBOX", str(inbox))
    monkeypatch.setenv("STRONGTIES_WAREHOUSE", str(warehouse))


@pytest.fixture(scope="module")
def wei_run(tmp_path_factory):
    """The inbox with Wei Zhang also on LinkedIn and in a calendar invitation, run once."""
    folder = tmp_path_factory.mktemp("wei")
    inbox = inbox_with(folder, "linkedin_wei", "wei_invite.ics")
    return inbox, build(inbox, folder / "strongties.duckdb")


# --- 4. review by people, once --------------------------------------------------------------

def test_match_review_asks_once_per_pair_of_people_with_both_summaries(wei_run):
    _, warehouse = wei_run
    harbor, lumen = wei_keys(warehouse)
    rows = values(warehouse, "SELECT left_key, right_key, left_summary, right_summary, left_records, right_records "
                             "FROM match_review WHERE left_summary LIKE 'Wei Zhang%' OR right_summary LIKE 'Wei Zhang%'")
    assert len(rows) == 1  # not three (card/card, LinkedIn/card, calendar/card)
    left_key, right_key, left_summary, right_summary, left_records, right_records = rows[0]
    people = {values(warehouse, "SELECT person_id FROM source_record WHERE record_key = ?", [key])[0][0]
              for key in (left_key, right_key)}
    assert people == {values(warehouse, "SELECT person_id FROM source_record WHERE record_key = ?", [key])[0][0]
                      for key in (harbor, lumen)}
    assert sorted([left_records, right_records]) == [1, 3]  # the Harbor Wei: card, LinkedIn, invitation
    assert {"Harbor Analytics" in left_summary, "Harbor Analytics" in right_summary} == {True, False}


def test_one_different_answer_settles_every_record_pair_between_two_people(wei_run, tmp_path):
    inbox, warehouse = copy_of_run(wei_run, tmp_path)
    row = values(warehouse, "SELECT left_key, right_key, left_about, right_about FROM match_review "
                            "WHERE left_summary LIKE 'Wei Zhang%'")[0]
    record_answer(inbox / "decisions.csv", row[0], row[1], "different", row[2], row[3])
    build(inbox, Path(warehouse))
    assert values(warehouse, "SELECT count(*) FROM match_review WHERE left_summary LIKE 'Wei Zhang%' "
                             "OR right_summary LIKE 'Wei Zhang%'") == [(0,)]
    assert values(warehouse, "SELECT count(DISTINCT person_id) FROM person WHERE display_name = 'Wei Zhang'") == [(2,)]
    assert values(warehouse, "SELECT count(*) FROM quarantine WHERE source_file = 'decisions.csv'") == [(0,)]


def test_interactive_review_saves_each_answer_at_once_owner_only(wei_run, tmp_path, monkeypatch, capsys):
    inbox, warehouse = copy_of_run(wei_run, tmp_path)
    use(monkeypatch, inbox, warehouse)
    queue = values(warehouse, "SELECT left_key, right_key FROM match_review ORDER BY probability DESC, left_key, right_key")
    assert len(queue) >= 2
    replies = iter(["maybe", "n", "q"])
    seen_on_second_question = []

    def read(prompt: str) -> str:
        if "2/" in prompt:
            seen_on_second_question.append((inbox / "decisions.csv").read_text(encoding="utf-8"))
        return next(replies)

    assert review.main([], read=read) == 0
    assert "Please answer y, n, s or q." in capsys.readouterr().out
    lines = (inbox / "decisions.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(DECISIONS_HEADER)
    assert lines[1].startswith(f"{queue[0][0]},{queue[0][1]},different,")
    assert seen_on_second_question and "different" in seen_on_second_question[0]  # written before the next question
    assert stat.S_IMODE((inbox / "decisions.csv").stat().st_mode) == 0o600


def test_review_answer_refuses_keys_the_warehouse_does_not_know(wei_run, tmp_path, monkeypatch, capsys):
    inbox, warehouse = copy_of_run(wei_run, tmp_path)
    use(monkeypatch, inbox, warehouse)
    harbor, lumen = wei_keys(warehouse)
    assert review.main(["--answer", harbor, "vcard:card-0000000000000000", "same"]) == 2
    assert "vcard:card-0000000000000000" in capsys.readouterr().err
    assert not (inbox / "decisions.csv").exists()
    assert review.main(["--answer", harbor, lumen, "different"]) == 0
    written = (inbox / "decisions.csv").read_text(encoding="utf-8").splitlines()[1]
    assert "Wei Zhang | wei.zhang@harboranalytics.example" in written


def test_answers_are_written_through_the_formula_guard(tmp_path):
    record_answer(tmp_path / "decisions.csv", "vcard:=1+1", "vcard:b", "same", "=HYPERLINK(1)", "b")
    assert "'=HYPERLINK(1)" in (tmp_path / "decisions.csv").read_text(encoding="utf-8")


def test_an_old_three_column_decisions_file_gets_the_new_header_and_keeps_its_answers(tmp_path):
    path = tmp_path / "decisions.csv"
    path.write_text("left_key,right_key,decision\nvcard:a,vcard:b,same\n", encoding="utf-8")
    record_answer(path, "vcard:c", "vcard:d", "different", "C | c@x.example | ", "D |  | ")
    assert path.read_text(encoding="utf-8").splitlines() == [
        ",".join(DECISIONS_HEADER), "vcard:a,vcard:b,same,,", "vcard:c,vcard:d,different,C | c@x.example | ,D |  | "]


# --- 7. review never mixes inboxes ------------------------------------------------------------

def test_review_refuses_a_warehouse_another_inbox_built_and_says_which(wei_run, tmp_path, monkeypatch, capsys):
    inbox, warehouse = wei_run
    other = tmp_path / "other inbox"
    other.mkdir()
    use(monkeypatch, other, warehouse)
    assert review.main(["--list"]) == 1
    message = capsys.readouterr().err
    assert str(inbox.resolve()) in message and str(other.resolve()) in message
    assert review.main(["--answer", *wei_keys(warehouse), "different"]) == 1
    assert not (other / "decisions.csv").exists()


def test_review_lists_the_queue_of_this_inboxs_warehouse(wei_run, monkeypatch, capsys):
    inbox, warehouse = wei_run
    use(monkeypatch, inbox, warehouse)
    assert review.main(["--list"]) == 0
    shown = capsys.readouterr().out
    assert "Wei Zhang" in shown and "3 records" in shown


def test_review_without_a_warehouse_says_what_to_do(tmp_path, monkeypatch, capsys):
    use(monkeypatch, tmp_path, tmp_path / "missing.duckdb")
    assert review.main([]) == 1
    assert "strongties run" in capsys.readouterr().err


# --- 1. answers that cannot drift, and bad decisions.csv rows ---------------------------------

def test_an_answer_whose_keys_now_name_other_records_is_quarantined_and_asked_again(wei_run, tmp_path):
    inbox, warehouse = copy_of_run(wei_run, tmp_path)
    harbor, lumen = wei_keys(warehouse)
    # Given when these keys named a friend and the dentist (keys by position, before issue 13).
    record_answer(inbox / "decisions.csv", harbor, lumen, "same",
                  "Mara Voss | mara.voss@gmail.com | ", "Dr. Ruth Mendel |  | (415) 555-0199")
    build(inbox, warehouse)
    assert values(warehouse, "SELECT count(DISTINCT person_id) FROM person WHERE display_name = 'Wei Zhang'") == [(2,)]
    [(location, reason)] = values(warehouse, "SELECT location, reason FROM quarantine WHERE source_file = 'decisions.csv'")
    assert location == "row 1 (line 2)"
    assert "different record" in reason and "Mara" not in reason and "Mendel" not in reason
    assert values(warehouse, "SELECT count(*) FROM match_review WHERE left_summary LIKE 'Wei Zhang%'") == [(1,)]


def test_unknown_repeated_and_contradicted_answers_are_quarantined_by_line_without_stopping_the_run(wei_run, tmp_path):
    inbox, warehouse = copy_of_run(wei_run, tmp_path)
    harbor, lumen = wei_keys(warehouse)
    (inbox / "decisions.csv").write_text(
        "left_key,right_key,decision\n"
        "vcard:card-gone,vcard:card-gone-too,same\n"
        f"{harbor},{lumen},same\n"
        f"{lumen},{harbor},different\n"
        f"{harbor},{lumen},different\n", encoding="utf-8")
    build(inbox, warehouse)
    problems = dict(values(warehouse, "SELECT location, reason FROM quarantine WHERE source_file = 'decisions.csv'"))
    assert set(problems) == {"row 1 (line 2)", "row 2 (line 3)", "row 3 (line 4)"}
    assert "not a record of this inbox" in problems["row 1 (line 2)"]
    assert "contradicted by a later answer" in problems["row 2 (line 3)"]
    assert "repeats a later answer" in problems["row 3 (line 4)"]
    assert values(warehouse, "SELECT count(DISTINCT person_id) FROM person WHERE display_name = 'Wei Zhang'") == [(2,)]


# --- 5. stable person_id ----------------------------------------------------------------------

def test_person_id_stays_when_a_source_joins_and_when_the_first_one_leaves(tmp_path):
    inbox = inbox_with(tmp_path)
    warehouse = tmp_path / "strongties.duckdb"
    liz_id = "SELECT DISTINCT person_id FROM source_record WHERE full_name = 'Liz Chen'"
    build(inbox, warehouse)
    [(before,)] = values(warehouse, liz_id)
    # A second address on her card, and an invitation to it: a record with a smaller key joins.
    cards = inbox / "iCloud vCard.vcf"
    cards.write_bytes(cards.read_bytes().replace(
        b"EMAIL;type=INTERNET;type=HOME;type=pref:lizchen.sf@gmail.com\r\n",
        b"EMAIL;type=INTERNET;type=HOME;type=pref:lizchen.sf@gmail.com\r\nEMAIL;type=WORK:liz@brightwork.example\r\n"))
    (inbox / "work.ics").write_text((inbox / "google_calendar.ics").read_text(encoding="utf-8").replace(
        "lizchen.sf@gmail.com", "liz@brightwork.example").replace("UID:", "UID:work-"), encoding="utf-8")
    build(inbox, warehouse)
    assert values(warehouse, "SELECT min(record_key) FROM source_record WHERE person_id = ?", [before]) == [
        ("calendar:liz@brightwork.example",)]
    assert values(warehouse, liz_id) == [(before,)]
    (inbox / "google_calendar.ics").unlink()  # the record that named her person at first leaves
    build(inbox, warehouse)
    assert values(warehouse, liz_id) == [(before,)]


# --- 6. the owner is never a contact ---------------------------------------------------------

def test_without_owner_yaml_the_calendars_own_address_is_the_owner_and_never_a_tie(wei_run):
    _, warehouse = wei_run
    owner = "jordan.reyes@gmail.com"
    assert values(warehouse, "SELECT emails, inferred_from FROM stg_owner") == [([owner], "the calendar's own address")]
    for table in ("person", "tie_strength", "core_list"):
        assert values(warehouse, f"SELECT count(*) FROM {table} JOIN source_record USING (person_id) "
                                 "WHERE source_record.is_owner") == [(0,)]
    assert values(warehouse, "SELECT count(*) FROM person WHERE list_contains(emails, ?)", [owner]) == [(0,)]


def test_an_inferred_owner_is_announced_in_one_line_with_how_to_confirm(wei_run):
    _, warehouse = wei_run
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        warning = owner_warning(connection)
    assert "\n" not in warning and "jordan.reyes@gmail.com" in warning and "owner.yaml" in warning


def test_owner_yaml_silences_the_owner_warning(tmp_path):
    inbox = inbox_with(tmp_path)
    (inbox / "owner.yaml").write_text("name: Jordan Reyes\nemails: [jordan.reyes@gmail.com]\n", encoding="utf-8")
    with staged(inbox) as connection:
        assert owner_warning(connection) is None


def test_without_owner_yaml_a_linkedin_profile_names_the_owner(tmp_path):
    inbox = inbox_with(tmp_path)
    (inbox / "linkedin").mkdir()
    (inbox / "linkedin" / "Profile.csv").write_text(
        "First Name,Last Name,Maiden Name,Address,Birth Date,Headline,Summary,Industry,Zip Code,Geo Location\n"
        "Jordan,Reyes,,,,Product lead,,Software,,\n", encoding="utf-8")
    (inbox / "linkedin" / "Connections.csv").write_text(
        (RESOLUTION_FIXTURES / "linkedin_wei" / "Connections.csv").read_text(encoding="utf-8"), encoding="utf-8")
    with staged(inbox) as connection:
        assert connection.execute("SELECT name, emails, inferred_from FROM stg_owner").fetchall() == [
            ("Jordan Reyes", ["jordan.reyes@gmail.com"],
             "the LinkedIn export's Profile.csv and the calendar's own address")]
        assert "Jordan Reyes" in owner_warning(connection)
