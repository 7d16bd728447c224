"""`strongties review` (and `make review`): the owner answers whether two people are one, one pair at a time.

    strongties review                          # numbered pairs, answer y / n / skip (q to stop)
    strongties review --list                   # print the queue and stop
    strongties review --answer LEFT RIGHT same # or: different; keys as match_review shows them

Each answer goes to `decisions.csv` in the inbox at once, with what the two records were, and
every later run applies it. The warehouse must be the one this inbox built: its keys are
the ones the answers name.
"""
from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import duckdb

from warehouse.config import inbox_from_environment, published_warehouse_from_environment
from warehouse.resolution.decisions import describe
from warehouse.resolution.review import ANSWERS, record_answer

COLUMN_WIDTH = 48
REPLIES = {"y": "same", "yes": "same", "n": "different", "no": "different", "s": None, "skip": None, "": None}


class ReviewRefused(Exception):
    """Review cannot go on; the message says why and what to do."""


def warehouse_path() -> Path:
    return published_warehouse_from_environment()


def decisions_path() -> Path:
    return inbox_from_environment() / "decisions.csv"


def open_checked_warehouse(path: Path, inbox: Path) -> duckdb.DuckDBPyConnection:
    """The published warehouse, read-only, once it is known to be this inbox's."""
    if not path.exists():
        raise ReviewRefused(f"No warehouse at {path}: run `strongties run` first, or set STRONGTIES_WAREHOUSE.")
    connection = duckdb.connect(str(path), read_only=True)
    tables = {name for (name,) in connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if not {"match_review", "warehouse_build", "source_record"} <= tables:
        connection.close()
        raise ReviewRefused(f"The warehouse at {path} was built by an older strongties or not finished: "
                            "run `strongties run` on this inbox first.")
    built_from = connection.execute("SELECT inbox FROM warehouse_build").fetchone()
    if built_from is None or Path(built_from[0]).resolve() != inbox.resolve():
        connection.close()
        other = built_from[0] if built_from else "an unknown inbox"
        raise ReviewRefused(f"The warehouse at {path} was built from {other}, not from this inbox ({inbox}): "
                            "run `strongties run` with this STRONGTIES_INBOX first, or point STRONGTIES_WAREHOUSE "
                            "at the warehouse this inbox built.")
    return connection


def load_queue(connection: duckdb.DuckDBPyConnection) -> list[dict]:
    return connection.execute("SELECT * FROM match_review ORDER BY probability DESC, left_key, right_key").df().to_dict("records")


def record_description(connection: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """What a record is today ("name | emails | phones"); None when the warehouse has no such key."""
    found = connection.execute(
        "SELECT full_name, emails, phones FROM source_record WHERE record_key = ?", [key]).fetchone()
    return describe(*found) if found else None


def _side_by_side(left: str, right: str) -> list[str]:
    left_lines = [line for part in left.split(" | ") for line in textwrap.wrap(part, COLUMN_WIDTH)] or [""]
    right_lines = [line for part in right.split(" | ") for line in textwrap.wrap(part, COLUMN_WIDTH)] or [""]
    height = max(len(left_lines), len(right_lines))
    left_lines += [""] * (height - len(left_lines))
    right_lines += [""] * (height - len(right_lines))
    return [f"    {a:<{COLUMN_WIDTH}}  {b}" for a, b in zip(left_lines, right_lines)]


def _records(count) -> str:
    count = int(count or 1)
    return f"{count} record{'s' if count != 1 else ''}"


def format_pair(number: int, row: dict) -> str:
    lines = [f"{number}. probability {float(row['probability']):.2f}",
             f"    {_records(row.get('left_records')):<{COLUMN_WIDTH}}  {_records(row.get('right_records'))}"]
    lines.extend(_side_by_side(str(row.get("left_summary") or ""), str(row.get("right_summary") or "")))
    lines.append(f"    {row['left_key']:<{COLUMN_WIDTH}}  {row['right_key']}")
    return "\n".join(lines)


def format_queue(rows: list[dict]) -> str:
    if not rows:
        return "No pairs waiting for review."
    header = f"{len(rows)} pair(s) of people waiting for review (answer with `strongties review`, or --answer LEFT RIGHT same|different):"
    return "\n\n".join([header, *(format_pair(number, row) for number, row in enumerate(rows, start=1))]) + "\n"


def ask(rows: list[dict], path: Path, read: Callable[[str], str] = input) -> tuple[int, int]:
    """Each pair in turn: y (same person), n (different people), s (skip), q (stop). Each answer
    is saved before the next question. Returns (answered, skipped)."""
    answered = skipped = 0
    for number, row in enumerate(rows, start=1):
        print(format_pair(number, row))
        while True:
            try:
                reply = read(f"  {number}/{len(rows)} Same person? [y]es / [n]o / [s]kip / [q]uit: ").strip().lower()
            except EOFError:
                reply = "q"
            if reply in ("q", "quit") or reply in REPLIES:
                break
            print("  Please answer y, n, s or q.")
        if reply in ("q", "quit"):
            break
        decision = REPLIES[reply]
        if decision is None:
            skipped += 1
            continue
        record_answer(path, row["left_key"], row["right_key"], decision,
                      str(row.get("left_about") or ""), str(row.get("right_about") or ""))
        answered += 1
        print(f"  Saved: {decision}.")
    return answered, skipped


def main(argv: list[str] | None = None, read: Callable[[str], str] = input) -> int:
    parser = argparse.ArgumentParser(prog="strongties review", description=__doc__.splitlines()[0])
    parser.add_argument("--answer", nargs=3, metavar=("LEFT", "RIGHT", "DECISION"),
                        help="record that LEFT and RIGHT are the same person or different people")
    parser.add_argument("--list", action="store_true", help="print the queue without asking")
    args = parser.parse_args(argv)
    inbox, path = inbox_from_environment(), warehouse_path()
    try:
        connection = open_checked_warehouse(path, inbox)
    except ReviewRefused as refusal:
        print(refusal, file=sys.stderr)
        return 1
    with connection:
        if args.answer:
            left_key, right_key, decision = (value.strip() for value in args.answer)
            decision = decision.lower()
            if decision not in ANSWERS:
                print(f"The decision must be 'same' or 'different', not {decision!r}.", file=sys.stderr)
                return 2
            abouts = [record_description(connection, key) for key in (left_key, right_key)]
            unknown = [key for key, about in zip((left_key, right_key), abouts) if about is None]
            if unknown:
                print(f"Not a record of this warehouse: {', '.join(unknown)}. Use the keys `strongties review --list` "
                      "shows (source:source_key).", file=sys.stderr)
                return 2
            record_answer(decisions_path(), left_key, right_key, decision, *abouts)
            print(f"Recorded: {decision}. Saved to {decisions_path()}; the next run applies it.")
            return 0
        rows = load_queue(connection)
    if args.list or not rows or not sys.stdin.isatty() and read is input:
        print(format_queue(rows))
        return 0
    answered, skipped = ask(rows, decisions_path(), read)
    print(f"\n{answered} answer(s) saved to {decisions_path()}, {skipped} skipped; `strongties run` applies them.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
