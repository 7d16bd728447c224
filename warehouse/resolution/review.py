"""decisions.csv as the review writes it: one answer a line, with what the two records were.

The command that asks the questions is `pipelines/review.py` (`make review`); this module keeps
the file's format, which the decisions connector reads back.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path

from connectors.textfile import neutralize_csv_cell

DECISIONS_HEADER = ["left_key", "right_key", "decision", "left_about", "right_about"]
ANSWERS = ("same", "different")
OWNER_ONLY = 0o600  # the owner's answers name people: nobody else on the machine reads them


def _write_rows(path: Path, rows: list[list[str]], mode: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC), OWNER_ONLY)
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for row in rows:
            # No CSV the project writes can be read as a formula by a spreadsheet.
            writer.writerow([neutralize_csv_cell(cell) for cell in row])


def _read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]


def record_answer(path: Path, left_key: str, right_key: str, decision: str,
                  left_about: str = "", right_about: str = "") -> None:
    """Append one answer, creating the file (owner-only) with its header when it does not exist.

    A file in the format before issue 13 (no `left_about`, `right_about`) is rewritten once with
    the new header, its answers kept; their records' descriptions stay empty.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    row = [left_key, right_key, decision, left_about, right_about]
    if not path.exists() or path.stat().st_size == 0:
        _write_rows(path, [DECISIONS_HEADER, row], "w")
        path.chmod(OWNER_ONLY)
        return
    existing = _read_rows(path)
    header = [cell.strip().lower() for cell in existing[0]] if existing else []
    if header[:len(DECISIONS_HEADER)] != DECISIONS_HEADER:
        position = {name: index for index, name in enumerate(header)}
        kept = [[cells[position[name]] if name in position and position[name] < len(cells) else ""
                 for name in DECISIONS_HEADER] for cells in existing[1:]]
        rewritten = path.with_name(f".{path.name}.rewriting")
        rewritten.unlink(missing_ok=True)
        _write_rows(rewritten, [DECISIONS_HEADER, *kept, row], "w")
        os.replace(rewritten, path)
        return
    if not path.read_bytes().endswith(b"\n"):
        with path.open("a", encoding="utf-8") as handle:
            handle.write("\n")
    _write_rows(path, [row], "a")


def main(argv: list[str] | None = None) -> int:
    """`python -m warehouse.resolution.review`, as the Makefile called it: the review command."""
    from pipelines.review import main as review_main

    return review_main(argv)


if __name__ == "__main__":
    import sys

    sys.exit(main())
