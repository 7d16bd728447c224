"""Address lists (From, To, Cc, ...) read into (display name, address) pairs.

RFC 5322 syntax as mail clients really write it: quoted names with commas in them, comments,
groups (`undisclosed-recipients:;`), bare addresses, old `addr (Name)` forms, and Outlook's
unquoted `Last, First <addr>`, which a strict reader takes for two people (one of them without
an address): here a piece with neither an address nor an @ joins the next piece's name.
Names are decoded (RFC 2047) after the list is split, because decoded text may hold commas.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from connectors.mail.headers import clean_text, decode_words
from connectors.normalize import normalize_email

_TOKEN = re.compile(r"""
    (?P<quoted>"(?:[^"\\]|\\.)*"?)
  | (?P<comment>\((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*\)?)
  | (?P<angle><[^>]*>?)
  | (?P<separator>[,;:])
  | (?P<blank>\s+)
  | (?P<word>[^",;:<>()\s]+|[()>])
""", re.VERBOSE)
_QUOTED_PAIR = re.compile(r"\\(.)")
# Quotes people put around names by hand ('Jane Doe', “Jane”), beside the syntactic ones.
_STRAY_QUOTES = "'\"“”‘’`"


class Address(NamedTuple):
    email: str
    name: str | None


class _Piece:
    """One comma-separated piece of the list, as tokens seen so far."""

    def __init__(self) -> None:
        self.phrase: list[str] = []  # words and quoted strings before an angle address
        self.angle: str | None = None
        self.comments: list[str] = []
        self.words: list[str] = []  # every word outside quotes and angles (a bare address)
        self.ends_group = False  # closed by a group's `;`: what it holds is no one's name

    def empty(self) -> bool:
        return not (self.phrase or self.angle or self.comments)


def _unquote(quoted: str) -> str:
    inner = quoted[1:-1] if len(quoted) >= 2 and quoted.endswith('"') else quoted[1:]
    return _QUOTED_PAIR.sub(r"\1", inner)


def _pieces(text: str) -> list[_Piece]:
    pieces = [_Piece()]
    for match in _TOKEN.finditer(text):
        kind, token = match.lastgroup, match.group()
        piece = pieces[-1]
        if kind == "blank":
            continue
        if kind == "separator":
            if token == ":" and piece.angle is None:
                pieces[-1] = _Piece()  # a group's name is nobody: `Team: a@x, b@y;`
            elif piece.angle is not None or not piece.empty() or token != ":":
                piece.ends_group = token == ";"
                pieces.append(_Piece())
            continue
        if kind == "comment":
            piece.comments.append(token[1:-1] if token.endswith(")") else token[1:])
        elif kind == "angle":
            if piece.angle is None:
                piece.angle = token[1:].rstrip(">")
        elif kind == "quoted":
            if piece.angle is None:
                piece.phrase.append(_unquote(token))
        else:
            if piece.angle is None:
                piece.phrase.append(token)
                piece.words.append(token)
    return [piece for piece in pieces if not piece.empty()]


def _name(text: str | None, email: str) -> str | None:
    """A display name, or None when it is no name: empty, an address (its own or another), or only quotes."""
    if not text:
        return None
    name = clean_text(decode_words(text)).strip(_STRAY_QUOTES).strip()
    if not name or "@" in name or name.casefold() == email:
        return None
    return name


def _address(piece: _Piece) -> str | None:
    if piece.angle is not None:
        # A source route (<@relay:user@host>) is obsolete syntax; the mailbox follows the colon.
        return normalize_email(piece.angle.rsplit(":", 1)[-1])
    return normalize_email("".join(piece.words)) if piece.words else None


# Address lists repeat (the owner's own, the people written to most): each distinct text is
# parsed once while it is among the most recent. On a generated 200,000-message mailbox 4,096
# entries parse as fast as 32,768 and hold about 4 MB instead of 35.
ADDRESS_CACHE_SIZE = 4 * 1024


@lru_cache(maxsize=ADDRESS_CACHE_SIZE)
def parse_addresses(text: str) -> tuple[Address, ...]:
    """The (address, name) pairs of an address list; pieces without a usable address are dropped
    (an undisclosed-recipients group, a name alone)."""
    found: list[Address] = []
    pending_name: list[str] = []  # pieces without an address that may be the start of a name
    for piece in _pieces(text):
        email = _address(piece)
        if piece.angle is None and "@" not in "".join(piece.words):
            if piece.ends_group:
                # `list: (withheld);, <addr>`: a comment in an empty group names no one after it.
                pending_name = []
                continue
            # `Last, First <addr>`: the part before the comma is a name, kept for the next piece.
            pending_name.append(" ".join(piece.phrase + piece.comments))
            continue
        if piece.angle is None and sum("@" in word for word in piece.words) > 1:
            # `a@x.org b@y.org`: bare addresses without commas between them are several people
            # (a Subversion hook's mail in the Ruby mail gem's tests).
            found.extend(Address(address, None) for address in map(normalize_email, piece.words) if address)
            pending_name = []
            continue
        if email is None:
            pending_name = []
            continue
        if piece.angle is not None:
            phrase = " ".join(piece.phrase) or " ".join(piece.comments)
            if pending_name:
                phrase = ", ".join(pending_name + ([phrase] if phrase else []))
        else:
            phrase = " ".join(piece.comments)  # `jane@example.com (Jane Doe)`
        pending_name = []
        found.append(Address(email, _name(phrase, email)))
    return tuple(found)
