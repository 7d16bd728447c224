"""parse_vcards: every card of a vCard file as a row or a quarantine entry, each card read by
the fused fast path, the per-card fast path or vobject, whichever first can."""
from __future__ import annotations

import gc
from typing import BinaryIO

from connectors.records import FileResult
from connectors.vcard.blocks import CardBlock, CardRun, card_runs
from connectors.vcard.fast import Declined, fast_properties
from connectors.vcard.fused import fast_rows
from connectors.vcard.rows import card_row
from connectors.vcard.vobject_path import CardError, vobject_properties

# Bump when this connector's rows change, so that files read by an older version are read again.
PARSER_VERSION = 3

TABLE = "vcard_cards"
KIND = "vcard"


def read_card(block: CardBlock, source_file: str, position: int, use_fast_path: bool = True) -> dict:
    """One card's row; raises CardError when neither path can read it."""
    if use_fast_path:
        try:
            properties = fast_properties(block.data, block.markers_absent)
            return card_row(source_file, position, block.line, properties, "fast")
        except Declined:
            pass
    properties = vobject_properties(block)
    return card_row(source_file, position, block.line, properties, "vobject")


def parse_vcards(stream: BinaryIO, source_file: str, *, use_fast_path: bool = True) -> FileResult:
    """Every top-level card of a vCard file as a `vcard_cards` row or a quarantine entry.

    `use_fast_path=False` sends every card to vobject (for the benchmark and the tests).
    """
    result = FileResult(source_file, kind=KIND)
    rows = result.rows.setdefault(TABLE, [])
    # The rows are kept until the file is done, so the cyclic collector would only rescan a
    # growing heap of live dicts (a third of the time on large files); rows hold no cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for item in card_runs(stream):
            if not isinstance(item, CardRun):
                _read_block(item, result, rows, source_file, use_fast_path)
                continue
            fused = fast_rows(item, source_file, result.items + 1) if use_fast_path else None
            if fused is not None:
                rows.extend(fused)
                result.items += len(fused)
                continue
            # A run taken whole that the fused path declines: its cards found one by one, and
            # the runs among them tried again.
            for part in item.parts() if item.cards is None else (item,):
                if part is not item and isinstance(part, CardRun):
                    fused = fast_rows(part, source_file, result.items + 1) if use_fast_path else None
                    if fused is not None:
                        rows.extend(fused)
                        result.items += len(fused)
                        continue
                for block in part.blocks() if isinstance(part, CardRun) else (part,):
                    _read_block(block, result, rows, source_file, use_fast_path)
    finally:
        if collecting:
            gc.enable()
    if not rows:
        del result.rows[TABLE]
    if result.items == 0:
        # A file with no card at all still counts as one unreadable item, so that the
        # warehouse shows it and items = rows + quarantined holds for it too.
        result.items = 1
        result.reject("line 1", "not a vCard: no BEGIN:VCARD line")
    return result


def _read_block(block: CardBlock, result: FileResult, rows: list[dict], source_file: str, use_fast_path: bool) -> None:
    """One card of `parse_vcards` as a row or a quarantine entry."""
    result.items += 1
    if block.problem:
        result.reject(f"card {result.items} (line {block.line})", block.problem)
        return
    try:
        rows.append(read_card(block, source_file, result.items, use_fast_path))
    except CardError as error:
        result.reject(f"card {result.items} (line {block.line})", str(error))
    except Exception as error:  # a bug of ours must not cost the other cards of the file
        result.reject(
            f"card {result.items} (line {block.line})",
            f"unexpected error while reading the card ({type(error).__name__})",
        )
