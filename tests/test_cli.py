"""The `strongties` command as a user meets it: show, import, init, help, errors and exit codes, and the run's report."""
from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from pipelines import cli
from pipelines.run import print_report
from tests.conftest import FIXTURES, TINY_INBOX

COMMANDS = ("run", "export", "ui", "review", "init", "import", "show")
VCARD = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Noor Haddad\r\nEMAIL:noor@example.org\r\nEND:VCARD\r\n"
CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hand made//EN\r\nEND:VCALENDAR\r\n"
MAIL = b"From: Noor <noor@example.org>\r\nTo: me@example.com\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@x>\r\n\r\nhi\r\n"


@pytest.fixture(autouse=True)
def environment_kept():
    """Commands write the checked settings back into os.environ (for Dagster's EnvVar): undone after each test."""
    before = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(before)


@pytest.fixture
def settings_for(monkeypatch):
    def point_at(warehouse: Path, inbox: Path = TINY_INBOX) -> None:
        monkeypatch.setenv("STRONGTIES_INBOX", str(inbox))
        monkeypatch.setenv("STRONGTIES_WAREHOUSE", str(warehouse))
    return point_at


def test_every_command_answers_help_and_exits_0(capsys):
    for command in COMMANDS:
        with pytest.raises(SystemExit) as leaving:
            cli.main([command, "--help"])
        assert leaving.value.code == 0
        assert f"strongties {command}" in capsys.readouterr().out


def test_review_takes_its_own_options_and_refuses_before_any_run_in_one_line(tmp_path, settings_for, capsys):
    settings_for(tmp_path / "none.duckdb")
    assert cli.main(["review", "--list"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No warehouse" in err


def test_no_command_prints_the_commands_and_exits_2(capsys):
    assert cli.main([]) == cli.EXIT_USAGE
    out = capsys.readouterr().out
    assert all(command in out for command in COMMANDS)


def test_show_prints_score_rank_features_referrals_and_a_timeline(tiny_warehouse, settings_for, capsys):
    settings_for(tiny_warehouse)
    assert cli.main(["show", "priya shah"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "Priya Shah" in out and "rank 1" in out and "core list rank 1" in out
    assert "Why:" in out and "recency" in out and "days_since_last_contact" in out
    assert "Referrals" in out and "to you" in out
    assert "Contact by month, last 24 months" in out and "2026-11" in out and "meeting" in out


def test_show_with_a_name_matching_several_people_lists_them_and_exits_3(tiny_warehouse, settings_for, capsys):
    settings_for(tiny_warehouse)
    assert cli.main(["show", "da"]) == cli.EXIT_NO_MATCH
    out = capsys.readouterr().out
    assert "people match 'da'" in out and "Dana Lee" in out and "Omar Haddad" in out


def test_show_with_a_name_matching_nobody_says_so_in_one_line_and_exits_3(tiny_warehouse, settings_for, capsys):
    settings_for(tiny_warehouse)
    assert cli.main(["show", "Nobody Atall"]) == cli.EXIT_NO_MATCH
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no one in the warehouse matches" in err


def test_show_quarantine_lists_what_could_not_be_read_by_file_and_place(tiny_warehouse, settings_for, capsys):
    settings_for(tiny_warehouse)
    assert cli.main(["show", "--quarantine"]) == cli.EXIT_OK
    assert "1 item(s) could not be read" in capsys.readouterr().out


def test_show_before_any_run_names_the_command_to_run(tmp_path, settings_for, capsys):
    settings_for(tmp_path / "none.duckdb")
    assert cli.main(["show", "Priya"]) == cli.EXIT_FAILED
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "strongties run" in err


def test_a_bad_setting_is_named_in_one_line_with_exit_2(tmp_path, settings_for, capsys):
    settings_for(tmp_path / "w.duckdb", inbox=tmp_path / "missing")
    assert cli.main(["show", "Priya"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "STRONGTIES_INBOX=" in err


def downloads_folder(root: Path) -> Path:
    downloads = root / "Downloads"
    downloads.mkdir()
    with zipfile.ZipFile(downloads / "Basic_LinkedInDataExport_01-02-2026.zip", "w") as export:
        export.write(FIXTURES / "linkedin" / "connections_2024.csv", "Connections.csv")
    with zipfile.ZipFile(downloads / "takeout-20261101T000000Z-001.zip", "w") as takeout:
        takeout.writestr("Takeout/Contacts/My Contacts/My Contacts.vcf", VCARD)
    with zipfile.ZipFile(downloads / "holiday photos.zip", "w") as photos:
        photos.writestr("beach.jpg", b"\xff\xd8\xff\xe0 not really a photo")
    (downloads / "phone.vcf").write_bytes(VCARD)
    (downloads / "work.ics").write_bytes(CALENDAR)
    (downloads / "hello.eml").write_bytes(MAIL)
    (downloads / "notes.txt").write_text("shopping: milk\n")
    (downloads / "referrals.csv").write_text("date,person,direction,kind,value,note\n")
    return downloads


def test_import_takes_exports_by_name_and_content_and_leaves_the_rest_where_they_are(tmp_path, settings_for, capsys):
    downloads, inbox = downloads_folder(tmp_path), tmp_path / "inbox"
    settings_for(tmp_path / "w.duckdb", inbox=inbox)
    before = sorted(path.name for path in downloads.iterdir())
    assert cli.main(["import", str(downloads)]) == cli.EXIT_NO_MATCH  # something was left
    out = capsys.readouterr().out
    taken = sorted(path.relative_to(inbox).as_posix() for path in inbox.rglob("*") if path.is_file())
    assert taken == ["calendars/work.ics", "contacts/phone.vcf", "google/takeout-20261101T000000Z-001.zip",
                     "linkedin/Basic_LinkedInDataExport_01-02-2026.zip", "mail/hello.eml", "referrals.csv"]
    assert "left" in out and "notes.txt" in out and "holiday photos.zip" in out
    assert "6 taken" in out and "2 left where they are" in out
    assert sorted(path.name for path in downloads.iterdir()) == before  # copied, never moved


def test_import_never_replaces_a_different_file_of_the_same_name_and_skips_an_identical_one(tmp_path, settings_for):
    inbox = tmp_path / "inbox"
    settings_for(tmp_path / "w.duckdb", inbox=inbox)
    (inbox / "contacts").mkdir(parents=True)
    (inbox / "contacts" / "phone.vcf").write_bytes(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Other\r\nEND:VCARD\r\n")
    given = tmp_path / "phone.vcf"
    given.write_bytes(VCARD)
    assert cli.main(["import", str(given)]) == cli.EXIT_OK
    assert cli.main(["import", str(given)]) == cli.EXIT_OK  # the same file again: nothing new
    assert sorted(path.name for path in (inbox / "contacts").iterdir()) == ["phone (2).vcf", "phone.vcf"]
    assert (inbox / "contacts" / "phone (2).vcf").read_bytes() == VCARD


def test_import_of_a_missing_path_says_so_and_exits_3(tmp_path, settings_for, capsys):
    settings_for(tmp_path / "w.duckdb", inbox=tmp_path / "inbox")
    assert cli.main(["import", str(tmp_path / "gone.vcf")]) == cli.EXIT_NO_MATCH
    assert "no such file or folder" in capsys.readouterr().out


def inbox_without_owner(root: Path) -> Path:
    inbox = root / "inbox"
    shutil.copytree(TINY_INBOX, inbox)
    (inbox / "owner.yaml").unlink()
    return inbox


def test_init_writes_owner_yaml_from_the_calendars_own_address_once_confirmed(tmp_path, settings_for, monkeypatch):
    inbox = inbox_without_owner(tmp_path)
    settings_for(tmp_path / "w.duckdb", inbox=inbox)
    questions = []
    monkeypatch.setattr(cli, "_confirm", lambda ask, question, default=False: questions.append(question) or True)
    assert cli.main(["init"]) == cli.EXIT_OK
    written = (inbox / "owner.yaml").read_text()
    assert "name: Alex Morgan" in written and "alex@example.com" in written
    assert len(questions) == 1 and "Write this" in questions[0]


def test_init_never_replaces_an_existing_owner_yaml_without_asking(tmp_path, settings_for, monkeypatch):
    inbox = inbox_without_owner(tmp_path)
    settings_for(tmp_path / "w.duckdb", inbox=inbox)
    (inbox / "owner.yaml").write_text("name: Mine\n")
    monkeypatch.setattr(cli, "_confirm", lambda ask, question, default=False: False)
    assert cli.main(["init"]) == cli.EXIT_OK
    assert cli.main(["init", "--yes"]) == cli.EXIT_OK  # --yes writes a new file only, never over one
    assert (inbox / "owner.yaml").read_text() == "name: Mine\n"


def test_init_creates_a_missing_inbox_and_says_what_to_add(tmp_path, settings_for, capsys):
    inbox = tmp_path / "new inbox"
    settings_for(tmp_path / "w.duckdb", inbox=inbox)
    assert cli.main(["init"]) == cli.EXIT_OK
    assert inbox.is_dir() and not (inbox / "owner.yaml").exists()
    assert "strongties import" in capsys.readouterr().out


def test_report_lists_core_list_by_the_score_it_is_sorted_by_then_quiet_ties_then_what_needs_the_user(tiny_warehouse):
    buffer = io.StringIO()
    with duckdb.connect(str(tiny_warehouse), read_only=True) as connection:
        core_scores = [round(score, 3) for (score,) in connection.execute(
            "SELECT core_score FROM core_list ORDER BY rank").fetchall()]
        print_report(connection, Console(file=buffer, width=100, highlight=False))
    text = buffer.getvalue()
    assert (text.index("Your core list") < text.index("Strong ties gone quiet") < text.index("Fading:")
            < text.index("Overdue for a word") < text.index("could not be read"))
    assert "1 item could not be read: strongties show --quarantine" in text
    assert "wait for your review" not in text  # the tiny inbox has no uncertain pair
    assert core_scores == sorted(core_scores, reverse=True)
    first_row = next(line for line in text.splitlines() if "Priya Shah" in line)
    assert f"{core_scores[0]:.3f}" in first_row
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 100  # `why` wraps to the width


def test_review_before_any_run_names_the_strongties_command_not_make(tmp_path, settings_for, capsys):
    settings_for(tmp_path / "none.duckdb")
    assert cli.main(["review"]) == 1
    err = capsys.readouterr().err
    assert "strongties run" in err and "make" not in err


def test_no_message_of_the_commands_sends_the_user_to_make():
    """Only installing is make's job (a missing dg command says to reinstall with `make run`)."""
    import ast

    sent_to_make = []
    for source in sorted((Path(cli.__file__).parent).glob("*.py")):
        tree = ast.parse(source.read_text())
        docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                if ("`make " in node.value or "make run" in node.value) and "install" not in node.value:
                    sent_to_make.append(f"{source.name}:{node.lineno}")
    assert sent_to_make == []


# Progress while a run goes ------------------------------------------------------------------------

def test_every_step_of_the_run_has_a_phase_line_and_a_spinner_text():
    from pipelines.definitions import defs
    from pipelines.run import PHASES, RUNNING

    steps = {node.name for node in defs.resolve_job_def("refresh_warehouse").nodes_in_topological_order}
    assert steps - PHASES.keys() == set()
    assert steps - RUNNING.keys() == set()


def test_reading_the_inbox_counts_the_files_read_of_the_total_and_a_second_read_counts_none(tmp_path):
    from datetime import datetime, timezone

    from warehouse.ingest import ingest_inbox
    from warehouse.progress import listening

    heard = []
    window = (datetime(2016, 1, 1, tzinfo=timezone.utc), datetime(2028, 1, 1, tzinfo=timezone.utc))
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection, listening(heard.append):
        summary = ingest_inbox(connection, str(TINY_INBOX), window)
        first = list(heard)
        heard.clear()
        ingest_inbox(connection, str(TINY_INBOX), window)  # nothing changed: nothing to read
    assert summary.files_parsed >= 3
    assert [(report.step, report.done, report.total) for report in first] == [
        ("read_inbox", done, summary.files_parsed) for done in range(summary.files_parsed)]
    assert heard == []


def test_resolution_says_how_many_records_it_resolves(tiny_warehouse, tmp_path):
    from assets.resource import working_path_for
    from warehouse.progress import listening
    from warehouse.resolution.store import STATE_TABLE, resolve_in_warehouse

    working = tmp_path / "work.duckdb"
    shutil.copy(working_path_for(tiny_warehouse), working)
    heard = []
    with duckdb.connect(str(working)) as connection, listening(heard.append):
        connection.execute(f"DROP TABLE IF EXISTS {STATE_TABLE}")  # so that it resolves again
        resolve_in_warehouse(connection)
        records = connection.execute("SELECT count(*) FROM int_source_records").fetchone()[0]
    assert [(report.step, report.done, report.total, report.unit) for report in heard] == [
        ("resolve_people", None, records, "records")]


def test_live_counts_show_on_the_spinner_line_of_a_terminal_and_nowhere_when_piped():
    from pipelines.run import PhaseReporter
    from warehouse.progress import Progress

    piped = io.StringIO()
    quiet = PhaseReporter(Console(file=piped, force_terminal=False))
    quiet.progress(Progress("read_inbox", 3, 12, "files"))
    quiet.finish()
    assert piped.getvalue() == ""

    terminal = PhaseReporter(Console(file=io.StringIO(), force_terminal=True, width=100))
    try:
        terminal.progress(Progress("read_inbox", 3, 12, "files"))
        assert str(terminal.status.status) == "Reading the inbox… 3 of 12 files"
        terminal.progress(Progress("read_inbox", 4, 12, "files"))  # too soon after the last: not redrawn
        assert str(terminal.status.status) == "Reading the inbox… 3 of 12 files"
        terminal.progress(Progress("resolve_people", None, 1234, "records"))  # another step's first count shows at once
        assert str(terminal.status.status) == "Resolving people across sources… 1,234 records"
    finally:
        terminal.finish()


def test_the_spinner_keeps_going_when_dagster_reconfigures_logging_as_a_run_starts():
    import logging.config

    from pipelines.run import PhaseReporter

    reporter = PhaseReporter(Console(file=io.StringIO(), force_terminal=True, width=100))
    try:
        # What DagsterInstance.get_handlers does: dictConfig closes every handler that exists.
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
        assert reporter.status._live.is_started
    finally:
        reporter.finish()
    assert not reporter.status._live.is_started


def test_output_piped_into_a_reader_that_leaves_early_ends_quietly_with_the_sigpipe_code(tiny_warehouse):
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    environment = {**os.environ, "STRONGTIES_INBOX": str(TINY_INBOX), "STRONGTIES_WAREHOUSE": str(tiny_warehouse)}
    process = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "show", "priya shah"], cwd=REPO_ROOT,
                               env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # as `| head -0` does, before a line is written
    stderr = process.communicate(timeout=120)[1].decode()
    assert "Traceback" not in stderr and "Broken pipe" not in stderr
    assert process.returncode == cli.EXIT_READER_LEFT
