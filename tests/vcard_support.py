"""The differential check shared by the vCard tests: fast path and vobject give the same row."""
from __future__ import annotations

from connectors.vcard import read_card
from connectors.vcard.fast import Declined, fast_properties


def without_parser(row: dict) -> dict:
    return {key: value for key, value in row.items() if key != "parser"}


def assert_paths_agree(blocks, label: str) -> int:
    """Every card the fast path takes gives the same row through vobject; returns how many."""
    compared = 0
    for position, block in enumerate(blocks, 1):
        if block.problem:
            continue
        try:
            fast_properties(block.data)
        except Declined:
            continue
        fast_notices: list[str] = []
        slow_notices: list[str] = []
        fast = read_card(block, label, position, use_fast_path=True, notices=fast_notices)
        slow = read_card(block, label, position, use_fast_path=False, notices=slow_notices)
        assert without_parser(fast) == without_parser(slow), f"{label} card {position}"
        assert fast_notices == slow_notices, f"{label} card {position}"
        compared += 1
    return compared
