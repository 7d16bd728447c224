"""The `strongties` command: run, show, review, import, init, export and ui, each with --help.

Exit codes, for scripts: 0 done; 1 the run failed; 2 a setting or an argument cannot be used
(the message names it); 3 nothing matched (`show` found no one, or several people; `import`
left a file it did not recognise); 141 the output's reader left early (`| head`), as for
any command SIGPIPE ends. Every error is one line on stderr saying what to do.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import zipfile
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NO_MATCH = 0, 1, 2, 3
EXIT_READER_LEFT = 128 + 13  # 128 + SIGPIPE: what a shell reports for a reader that left early
# The UI listens on this machine only: the warehouse holds names and addresses.
UI_HOST, UI_PORT = "127.0.0.1", 3000
# How far back `show` draws a person's contact, month by month.
TIMELINE_MONTHS = 24
# Where `import` puts each kind of export inside the inbox (the inbox reads any layout).
IMPORT_FOLDERS = {"linkedin": "linkedin", "takeout": "google", "vcard": "contacts", "calendar": "calendars",
                  "mail": "mail", "inbox_file": ""}
# Files the owner writes themselves, recognised by name and copied to the inbox's top.
OWNER_FILES = ("referrals.csv", "owner.yaml", "decisions.csv", "cadence.csv")


class CommandError(Exception):
    """A one-line message for the user, with the exit code to leave with."""

    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code


def main(argv: list[str] | None = None) -> int:
    from pipelines.home import owner_only_files

    # Whatever a command writes (owner.yaml, decisions.csv, copied exports) is the owner's alone.
    owner_only_files()
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["review"]:
        # Its options (--list, --answer LEFT RIGHT same) and --help are review's own.
        from pipelines.review import main as review_main

        return review_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.handler(args)
    except CommandError as error:
        print(f"strongties {args.command}: {error}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="strongties", description="The few relationships that carry your working life, from your contact exports.",
        epilog="Settings: STRONGTIES_INBOX (the exports folder), STRONGTIES_WAREHOUSE (the DuckDB file), DAGSTER_HOME.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    command("run", run_command, "Read the inbox, resolve people, score ties, publish the warehouse and print the core list.")
    command("export", export_command, "Run, then say where the merged address book (vCard 4.0) and reminders are.")
    ui = command("ui", ui_command, f"Open the Dagster UI on http://{UI_HOST}:{UI_PORT} (lineage, runs, checks, charts).")
    ui.add_argument("--port", type=int, default=UI_PORT, help=f"port to listen on (default {UI_PORT})")
    review = command("review", review_command, "Answer whether uncertain pairs of records are the same person.")
    review.add_argument("review_args", nargs=argparse.REMAINDER, help="passed on: --list, --answer LEFT RIGHT same|different")
    init = command("init", init_command, "Create the inbox folder and write owner.yaml from what the inbox shows.")
    init.add_argument("--yes", action="store_true", help="write without asking (never replaces an owner.yaml)")
    take = command("import", import_command,
                   "Copy exports into the inbox, recognised by name and content (LinkedIn zip, Google Takeout zip, "
                   ".vcf, .ics, mail); point it at ~/Downloads.")
    take.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to look through")
    show = command("show", show_command, "One person: score, rank, features, why, referrals and a timeline of contact.")
    show.add_argument("name", nargs="?", help="part of a name, or a person_id")
    show.add_argument("--quarantine", action="store_true", help="list the items that could not be read, and why")
    return parser


# run, export, ui, review -------------------------------------------------------------------------

def run_command(_args) -> int:
    from pipelines.run import main as run_main

    return run_main()


def export_command(args) -> int:
    code = run_command(args)
    if code != EXIT_OK:
        return code
    warehouse = _settings().warehouse
    print(f"Merged address book (vCard 4.0): {warehouse.with_suffix('.vcf')}")
    reminders = warehouse.with_name(f"{warehouse.stem}.reconnect.ics")
    if reminders.exists():
        print(f"Keep-in-touch reminders (iCalendar): {reminders}")
    return EXIT_OK


def ui_command(args) -> int:
    from pipelines.home import HomeError, ensure_dagster_home
    from warehouse.config import REPO_ROOT

    _settings()  # a bad setting is named here in one line, not in the UI's code location error
    try:
        home = ensure_dagster_home()
    except HomeError as error:
        raise CommandError(str(error)) from None
    # `dg dev`, as Dagster 1.13 recommends over `dagster dev`: it finds the project by the
    # [tool.dg] table of pyproject.toml in the folder it starts in.
    dg_command = Path(sys.executable).with_name("dg")
    if not dg_command.exists():
        raise CommandError(f"no dg command next to {sys.executable}: reinstall with `make run`.", EXIT_FAILED)
    print(f"Dagster UI on http://{UI_HOST}:{args.port} (DAGSTER_HOME={home}); Ctrl-C stops it.", flush=True)
    # dg warns, twice, when the project's .venv is not the active environment; this process
    # runs in the environment it was installed in, which is what dg should use.
    os.environ["VIRTUAL_ENV"] = sys.prefix
    os.chdir(REPO_ROOT)
    os.execv(dg_command, [str(dg_command), "dev", "--host", UI_HOST, "--port", str(args.port)])


def review_command(args) -> int:
    from pipelines.review import main as review_main

    return review_main(args.review_args)


def _settings():
    from warehouse.config import SettingsError, settings_into_environment

    try:
        return settings_into_environment()
    except SettingsError as error:
        raise CommandError(str(error)) from None


def _published(path: Path):
    import duckdb

    if not path.exists():
        raise CommandError(f"no warehouse at {path} yet: run `strongties run` first.", EXIT_FAILED)
    return duckdb.connect(str(path), read_only=True)


# init ---------------------------------------------------------------------------------------------

def init_command(args, ask=input) -> int:
    from warehouse.config import inbox_from_environment

    inbox = inbox_from_environment()
    if not inbox.exists():
        inbox.mkdir(parents=True, mode=0o700)
        print(f"Created the inbox: {inbox}")
    target = inbox / "owner.yaml"
    owner = inferred_owner(inbox)
    if owner is None:
        print(f"Nothing in {inbox} says who you are yet. Add your exports (strongties import PATH...), "
              "then run `strongties init` again, or write owner.yaml yourself (name, emails, linkedin).")
        return EXIT_OK
    text = owner_yaml(owner)
    print(f"From your exports:\n\n{text}")
    if target.exists():
        if args.yes or not _confirm(ask, f"{target} exists. Replace it? [y/N] "):
            print(f"Kept {target} as it is.")
            return EXIT_OK
    elif not args.yes and not _confirm(ask, f"Write this to {target}? [Y/n] ", default=True):
        print("Nothing written.")
        return EXIT_OK
    staging = target.with_name(f".owner.yaml.{os.getpid()}")
    staging.write_text(text, encoding="utf-8")
    os.replace(staging, target)
    print(f"Wrote {target}.")
    return EXIT_OK


def _confirm(ask, question: str, default: bool = False) -> bool:
    if not sys.stdin.isatty() and ask is input:
        return False  # never write on a guess when nobody is there to confirm
    try:
        reply = ask(question).strip().lower()
    except EOFError:
        return False
    return default if not reply else reply in ("y", "yes")


def inferred_owner(inbox: Path) -> dict | None:
    """Who the inbox's exports belong to, as the pipeline infers it (stg_owner): the name on a
    LinkedIn Profile.csv and the calendars' own address. Reads the inbox only (a working
    database of its own in a temporary folder), never the published warehouse."""
    import tempfile

    import duckdb

    from warehouse.ingest import ingest_inbox
    from warehouse.models import build_model, load_models, models_in_order
    from assets.resource import StrongtiesWarehouse, working_path_for

    with tempfile.TemporaryDirectory(prefix="strongties-init-") as folder:
        published = Path(folder) / "init.duckdb"
        warehouse = StrongtiesWarehouse(database=str(working_path_for(published)), inbox=str(inbox),
                                        published_path=str(published))
        staging = [model for model in load_models() if model.layer == "staging"]
        with warehouse.connect() as connection:
            ingest_inbox(connection, str(inbox), warehouse.calendar_window(), [])
            for model in models_in_order(staging):
                try:
                    build_model(connection, model)
                except duckdb.Error:
                    continue  # a staging model of a source this inbox lacks; stg_owner copes
            found = connection.execute("SELECT name, emails, linkedin_url FROM stg_owner").fetchone()
    if found is None or not (found[0] or found[1] or found[2]):
        return None
    name, emails, linkedin = found
    return {"name": name, "emails": list(emails or []), "linkedin": linkedin}


def owner_yaml(owner: dict) -> str:
    import yaml

    kept = {key: value for key, value in owner.items() if value}
    return "# Who you are: strongties never counts you among your own ties.\n" + yaml.safe_dump(
        kept, allow_unicode=True, sort_keys=False)


# import -------------------------------------------------------------------------------------------

def import_command(args) -> int:
    from warehouse.config import inbox_from_environment

    inbox = inbox_from_environment()
    inbox.mkdir(parents=True, exist_ok=True, mode=0o700)
    taken, left = [], []
    for given in args.paths:
        path = Path(given).expanduser()
        if not path.exists():
            left.append((path, "no such file or folder"))
            continue
        candidates = [path] if path.is_file() or export_kind(path) else sorted(path.iterdir())
        for candidate in candidates:
            if candidate.resolve() == inbox.resolve() or inbox.resolve() in candidate.resolve().parents:
                continue  # already in the inbox
            kind = export_kind(candidate)
            if kind is None:
                left.append((candidate, "not an export strongties reads"))
                continue
            target = copy_into(candidate, inbox / IMPORT_FOLDERS[kind.split(":")[0]])
            taken.append((candidate, kind.split(":")[-1], target))
    for source, description, target in taken:
        print(f"took  {source}  ({description}) -> {target}")
    for source, why in left:
        print(f"left  {source}  ({why})")
    print(f"{len(taken)} taken into {inbox}, {len(left)} left where they are."
          + (" Next: strongties run" if taken else ""))
    return EXIT_OK if not left else EXIT_NO_MATCH


def export_kind(path: Path) -> str | None:
    """'folder:description' for an export strongties reads, None for anything else."""
    from connectors.sources import ARCHIVE, HEAD_BYTES, NOT_USED, OWN_OUTPUT, SOURCES, is_linkedin_export, recognise

    if path.is_dir():
        names = [entry.name for entry in path.iterdir()]
        if {"cur", "new"} <= set(names):
            return "mail:a Maildir folder"
        if path.suffix.lower() == ".mbox":
            return "mail:an Apple Mail mailbox"
        if is_linkedin_export(names):
            return "linkedin:a LinkedIn export folder"
        return None
    if path.name.lower() in OWNER_FILES:
        return f"inbox_file:your {path.name}"
    try:
        with open(path, "rb") as stream:
            head = stream.read(HEAD_BYTES)
    except OSError:
        return None
    kind = recognise(path.name, head, in_linkedin_export=False)
    if kind == ARCHIVE:
        try:
            with zipfile.ZipFile(path) as archive:
                members = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            return None
        if is_linkedin_export(members):
            return "linkedin:a LinkedIn export"
        if any(member.startswith("Takeout/") for member in members):
            return "takeout:a Google Takeout archive"
        return None
    if kind in (NOT_USED, OWN_OUTPUT) or kind not in SOURCES:
        return None
    if kind == "vcard":
        return "vcard:contacts (vCard)"
    if kind == "calendar":
        return "calendar:a calendar (iCalendar)"
    if kind == "mail":
        return "mail:mail"
    if kind.startswith("linkedin"):
        return f"linkedin:LinkedIn {path.name}"
    return None  # referrals, owner and decisions files are taken by name only


def copy_into(source: Path, folder: Path) -> Path:
    """Copies `source` into `folder`, never over another file: an identical copy there is
    reused, a different file of the same name gets a numbered name."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / source.name
    number = 2
    while target.exists():
        if source.is_file() and target.is_file() and _same_content(source, target):
            return target
        target = folder / f"{source.stem} ({number}){source.suffix}"
        number += 1
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copyfile(source, target)
    return target


def _same_content(left: Path, right: Path) -> bool:
    import filecmp

    return filecmp.cmp(left, right, shallow=False)


# show ---------------------------------------------------------------------------------------------

def show_command(args) -> int:
    from pipelines.run import console

    settings = _settings()
    output = console()
    with _published(settings.warehouse) as connection:
        if args.quarantine:
            return show_quarantine(connection, output)
        if not args.name:
            raise CommandError("name someone (part of a name is enough), or use --quarantine.")
        return show_person(connection, output, args.name)


def show_quarantine(connection, output) -> int:
    from rich.table import Table

    rows = connection.execute("SELECT source_file, location, reason FROM quarantine WHERE scope IN ('file', 'item') "
                              "ORDER BY source_file, location").fetchall()
    notes = connection.execute("SELECT count(*) FROM quarantine WHERE scope = 'property'").fetchone()[0]
    if not rows:
        output.print("Every file and item was read.", markup=False)
    else:
        table = Table(title=f"{len(rows)} item(s) could not be read", title_justify="left", box=None,
                      header_style="bold")
        for header in ("file", "where", "why"):
            table.add_column(header, overflow="fold")
        for row in rows:
            table.add_row(*(str(value) for value in row))
        output.print(table)
    if notes:
        output.print(f"{notes} note(s) on items that were read with a property dropped or repaired: "
                     "SELECT * FROM quarantine WHERE scope = 'property'", markup=False, soft_wrap=True)
    return EXIT_OK


def find_people(connection, name: str) -> list[tuple]:
    """(person_id, display_name, rank) of everyone whose name holds `name` (accents and case
    ignored), or whose person_id it is; an exact name match alone wins over partial ones."""
    rows = connection.execute(
        "SELECT p.person_id, p.display_name, t.rank FROM person AS p LEFT JOIN tie_strength AS t USING (person_id) "
        "WHERE p.person_id = $name OR strip_accents(lower(p.display_name)) "
        "LIKE '%' || strip_accents(lower($name)) || '%' ORDER BY t.rank NULLS LAST, p.display_name",
        {"name": name.strip()}).fetchall()
    exact = [row for row in rows if row[0] == name.strip() or row[1].casefold() == name.strip().casefold()]
    return exact if len(exact) == 1 else rows


def show_person(connection, output, name: str) -> int:
    from rich.table import Table

    people = find_people(connection, name)
    if not people:
        raise CommandError(f"no one in the warehouse matches {name!r}: try part of the name.", EXIT_NO_MATCH)
    if len(people) > 1:
        output.print(f"{len(people)} people match {name!r}; say which (a fuller name, or the person_id):",
                     markup=False)
        for person_id, display_name, rank in people:
            output.print(f"  {display_name}  ({person_id}{f', rank {rank}' if rank else ''})", markup=False)
        return EXIT_NO_MATCH
    person_id, display_name, _rank = people[0]
    tie = connection.execute("SELECT * FROM tie_strength WHERE person_id = ?", [person_id]).fetchdf()
    core = connection.execute("SELECT rank, core_score FROM core_list WHERE person_id = ?", [person_id]).fetchone()
    output.print(f"[bold]{display_name}[/]  ({person_id})", markup=True)
    if tie.empty:
        output.print("No logged contact yet, so no score.", markup=False)
    else:
        row = tie.iloc[0]
        standing = f"tie strength {row['score']:.3f}, rank {int(row['rank'])}"
        if core:
            standing += f"; core list rank {core[0]} (score {core[1]:.3f})"
        output.print(standing, markup=False)
        output.print(f"Why: {row['explanation']}", markup=False)
        output.print(feature_table(row))
    referrals = connection.execute(
        "SELECT occurred_on, direction, kind, value FROM referral WHERE person_id = ? ORDER BY occurred_on",
        [person_id]).fetchall()
    if referrals:
        table = Table(title="Referrals", title_justify="left", box=None, header_style="bold")
        for header in ("date", "direction", "kind", "value"):
            table.add_column(header)
        for occurred_on, direction, kind, value in referrals:
            table.add_row(str(occurred_on), "to you" if direction == "received" else "from you", str(kind), str(value))
        output.print(table)
    else:
        output.print("Referrals: none logged either way.", markup=False)
    output.print(timeline_table(connection, person_id))
    return EXIT_OK


# Each feature of tie strength and the raw figures behind it, as the README's tie_strength columns say.
FEATURE_FIGURES = {
    "recency": ("last_contact", "days_since_last_contact"),
    "frequency": ("contact_days", "decayed_contact_days"),
    "volume": ("contact_count", "decayed_contacts"),
    "time_together": ("minutes_together",),
    "reciprocity": ("initiated_by_owner", "initiated_by_them"),
    "longevity": ("known_since", "years_known"),
    "multiplexity": ("channels", "source_count"),
    "shared_context": ("shared_contacts",),
}


def feature_table(row):
    from rich.table import Table

    table = Table(title="Features (0-1) and the figures behind them", title_justify="left", box=None,
                  header_style="bold")
    table.add_column("feature")
    table.add_column("value", justify="right")
    table.add_column("figures", overflow="fold")
    for feature, figures in FEATURE_FIGURES.items():
        if feature not in row:
            continue
        shown = ", ".join(f"{figure} {_figure(row[figure])}" for figure in figures if figure in row)
        table.add_row(feature, _figure(row[feature]), shown)
    return table


def _figure(value) -> str:
    if value is None:
        return "-"
    if hasattr(value, "tolist") and not isinstance(value, (int, float)):
        value = value.tolist()
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "-"
    if isinstance(value, float):
        return "-" if value != value else f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)[:10] if hasattr(value, "isoformat") else str(value)


def timeline_table(connection, person_id: str):
    """Contact by channel, month by month, for the TIMELINE_MONTHS months up to the warehouse's as-of date."""
    from rich.table import Table

    rows = connection.execute(
        f"""WITH as_of AS (
                SELECT date_trunc('month', coalesce((SELECT max(as_of) FROM warehouse_build), current_date)) AS last),
            months AS (
                SELECT unnest(generate_series(last - INTERVAL {TIMELINE_MONTHS - 1} MONTH, last, INTERVAL 1 MONTH))::date
                    AS month FROM as_of),
            contact AS (
                SELECT date_trunc('month', occurred_at)::date AS month, channel, count(*) AS contacts
                FROM interaction WHERE person_id = ? GROUP BY ALL)
            SELECT strftime(m.month, '%Y-%m'), c.channel, c.contacts
            FROM months AS m LEFT JOIN contact AS c USING (month) ORDER BY m.month, c.channel""",
        [person_id]).fetchall()
    channels = sorted({channel for _month, channel, _count in rows if channel})
    by_month: dict[str, dict[str, int]] = {}
    for month, channel, contacts in rows:
        by_month.setdefault(month, {})
        if channel:
            by_month[month][channel] = contacts
    table = Table(title=f"Contact by month, last {TIMELINE_MONTHS} months", title_justify="left", box=None,
                  header_style="bold")
    table.add_column("month")
    for channel in channels:
        table.add_column(channel, justify="right")
    for month, counts in by_month.items():
        table.add_row(month, *(str(counts.get(channel, "")) for channel in channels))
    return table


def main_and_exit() -> None:
    """The console entry point: leaves without tearing down Dagster's and pandas' modules one by one."""
    from pipelines.run import exit_now

    try:
        code = main()
    except BrokenPipeError:
        # The reader left early (`strongties show NAME | head`): not an error to report. What
        # is still buffered goes nowhere, and the code is a shell's for a process SIGPIPE ended.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_READER_LEFT
    exit_now(code)


if __name__ == "__main__":
    main_and_exit()
