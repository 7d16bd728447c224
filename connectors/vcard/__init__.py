"""Reads vCard files (2.1, 3.0, 4.0, as real exporters write them) into one row per contact card.

A file is streamed in 1 MiB chunks (never read whole) and split into cards at line level, so that one broken card never costs the others, and so that photos, logos, sounds and
keys are dropped before any parser sees them (a 200 MB export full of photos reads in
bounded memory). Each card then goes to the fast path (`connectors.vcard.fast`), which reads
well-formed cards straight from their lines, or, when the fast path declines, to vobject
after the line-level repairs that let it take what Outlook, Android and iPhone really write
(quoted-printable soft breaks, raw Shift_JIS, comment lines, backslash line continuations).
Both paths yield the same (name, value) list and the same row builder turns it into a row,
so they cannot drift apart silently; a differential test holds them equal. Runs of well-formed
cards go through a fused form of the fast path (`fast_rows`: one regex pass per run, rows
built straight from the lines), held equal to reading them card by card by further tests.

The layers, each a module, each using only those above it:
- `lines`: the stream as blocks of whole physical lines (line ends, BOM, UTF-16, overlong lines);
- `fast`: the line-level fast path for one card, and the checks a run of cards needs;
- `blocks`: card blocks (one card's lines, photos left out) and runs of simple cards;
- `rows`: the `vcard_cards` row from a card's (NAME, value) list;
- `fused`: the fused fast path (`fast_rows`), rows of a whole run from one regex pass;
- `vobject_path`: the repairs that let vobject read what the fast path declines, and vobject;
- `reader`: `parse_vcards`, which sends each card down the first path that reads it.
"""
from __future__ import annotations

from connectors.vcard.blocks import CardBlock, CardRun, card_blocks, card_runs
from connectors.vcard.fused import fast_rows
from connectors.vcard.reader import KIND, PARSER_VERSION, TABLE, parse_vcards, read_card
from connectors.vcard.rows import birthday_iso, card_row, email_key
from connectors.vcard.vobject_path import CardError, vobject_properties

__all__ = [
    "KIND", "PARSER_VERSION", "TABLE", "CardBlock", "CardError", "CardRun", "birthday_iso", "card_blocks",
    "card_row", "card_runs", "email_key", "fast_rows", "parse_vcards", "read_card", "vobject_properties",
]
