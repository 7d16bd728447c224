"""The owner's review queue: show uncertain pairs side by side, record same/different answers.

    python -m warehouse.resolution.review                          # list the queue
    python -m warehouse.resolution.review --answer LEFT RIGHT same # or: different

Answers go to `decisions.csv` in the inbox, which every later run applies.
"""
from __future__ import annotations

import argparse
import csv
import sys
import textwrap
from pathlib import Path

import duckdb

from connectors.textfile import neutralize_csv_cell
from warehouse.config import inbox_from_environment, published_warehouse_from_environment

DECISIONS_HEADER = ["left_key", "right_key", "decision"]
ANSWERS = ("same", "different")
COLUMN_WIDTH = 48


def warehouse_path() -> Path:
    return published_warehouse_from_environment()


def decisions_path() -> Path:
    return inbox_from_environment() / "decisions.csv"


def load_queue(path: Path) -> list[dict]:
    connection = duckdb.connect(str(path), read_only=True)
    try:
        frame = connection.execute("SELECT * FROM match_review ORDER BY probability DESC, left_key, right_key").df()
    finally:
        connection.close()
    return frame.to_dict("records")


def _side_by_side(left: str, right: str) -> list[str]:
    left_lines = [line for part in left.split(" | ") for line in textwrap.wrap(part, COLUMN_WIDTH)] or [""]
    right_lines = [line for part in right.split(" | ") for line in textwrap.wrap(part, COLUMN_WIDTH)] or [""]
    height = max(len(left_lines), len(right_lines))
    left_lines += [""] * (height - len(left_lines))
    right_lines += [""] * (height - len(right_lines))
    return [f"    {a:<{COLUMN_WIDTH}}  {b}" for a, b in zip(left_lines, right_lines)]


def format_queue(rows: list[dict]) -> str:
    if not rows:
        return "No pairs waiting for review."
    out = [f"{len(rows)} pair(s) waiting for review (answer with --answer LEFT RIGHT same|different):", ""]
    for number, row in enumerate(rows, start=1):
        out.append(f"{number}. probability {float(row['probability']):.2f}")
        out.append(f"    {row['left_key']:<{COLUMN_WIDTH}}  {row['right_key']}")
        if row.get("left_summary") is not None or row.get("right_summary") is not None:
            out.extend(_side_by_side(str(row.get("left_summary") or ""), str(row.get("right_summary") or "")))
        out.append("")
    return "\n".join(out)


def record_answer(path: Path, left_key: str, right_key: str, decision: str) -> None:
    """Append one decision, creating the file with its header when it does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new_file = not path.exists() or path.stat().st_size == 0
    if not new_file and not path.read_bytes().endswith(b"\n"):
        with path.open("a", encoding="utf-8") as handle:
            handle.write("\n")
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        if new_file:
            writer.writerow(DECISIONS_HEADER)
        # Keys begin with their source name, so this never alters one; it keeps the promise that
        # no CSV the project writes can be read as a formula by a spreadsheet.
        writer.writerow([neutralize_csv_cell(cell) for cell in (left_key, right_key, decision)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warehouse.resolution.review", description=__doc__.splitlines()[0])
    parser.add_argument("--answer", nargs=3, metavar=("LEFT", "RIGHT", "DECISION"),
                        help="record that LEFT and RIGHT are the same person or different people")
    args = parser.parse_args(argv)
    if args.answer:
        left_key, right_key, decision = args.answer
        decision = decision.strip().lower()
        if decision not in ANSWERS:
            print(f"The decision must be 'same' or 'different', not {decision!r}.", file=sys.stderr)
            return 2
        path = decisions_path()
        record_answer(path, left_key, right_key, decision)
        print(f"Recorded: {decision}. Saved to {path}; the next run applies it.")
        return 0
    path = warehouse_path()
    if not path.exists():
        print(f"No warehouse at {path}: run `make run` first, or set STRONGTIES_WAREHOUSE.", file=sys.stderr)
        return 1
    try:
        rows = load_queue(path)
    except duckdb.CatalogException:
        print(f"The warehouse at {path} has no match_review table yet: run `make run` first.", file=sys.stderr)
        return 1
    print(format_queue(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
