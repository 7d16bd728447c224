"""The fused fast path: rows of a run of well-formed cards straight from one regex pass over
its lines, with no per-card text or property list."""
from __future__ import annotations

import re

from connectors.vcard.blocks import CardRun
from connectors.vcard.fast import ESCAPE, PROPERTY_LINE, RUN_PROPERTY_LINE, Declined, run_text, split_structured, unescape_pair, unfold
from connectors.vcard.rows import (
    ADDRESS, BIRTHDAY, EMAIL_ADDRESS, FIRST_STRUCTURED, NOT_A_PHONE, NOT_A_REVISION, NOTE, ONCE_ONLY, PHONE,
    REVISION, ROLE_COUNT, ROLES, SINGLE, WEB, add_place, address_line, birthday_iso, build_row, email_key, phone_value,
    repeated, revision_value, url_value,
)

_BEGIN, _END, _SKIP = range(ROLE_COUNT, ROLE_COUNT + 3)
# card_row's roles for the fused path, which also meets the BEGIN and END lines of the cards.
_RUN_ROLES = {**ROLES, "BEGIN": _BEGIN, "END": _END}
# The roles whose value is text to unescape (all of them but VERSION's), as fast_properties
# gives it; N, ORG and ADR are split and unescaped by component instead.
_UNESCAPED_TEXT = frozenset({SINGLE, EMAIL_ADDRESS, PHONE, WEB, NOTE, BIRTHDAY, REVISION})
# The fused path reads a run's lines this many characters at a time: all of a 1 MiB run at
# once makes every line's strings at once, no longer in cache, and the benchmark file then
# read about 10% slower than card by card; 8 to 32 kB windows measured best.
WINDOW_CHARS = 16 * 1024


def fast_rows(run: CardRun, source_file: str, first_position: int,
              notices: list[tuple[int, str]] | None = None) -> list[dict] | None:
    """The rows of a run of cards, the first at `first_position`, each what `card_row` builds
    from `fast_properties`; None when the fast path declines any card of it (then read the
    run's cards one by one). What card_row would tell in its notices is added to `notices` as
    (position of the card, notice), only when the rows are returned.

    `fast_properties` and `card_row` fused: one regex pass over the run finds every line, and
    each goes straight into its card's fields, with no per-card text or property list; the
    row is made by card_row's own `build_row` (differential tests hold the rows equal).
    """
    found: list[tuple[int, str]] = []
    try:
        text = run_text(run.data, True)
        folded = "\n " in text or "\n\t" in text
        rows = _run_rows(text, RUN_PROPERTY_LINE, folded, run.lines, source_file, first_position, found)
        if rows is None and folded:
            # Folding inside a name or its parameters, which RUN_PROPERTY_LINE does not take
            # in: unfold the whole run first, as fast_properties unfolds each card.
            text = text.replace("\n ", "").replace("\n\t", "")
            found.clear()
            rows = _run_rows(text, PROPERTY_LINE, False, run.lines, source_file, first_position, found)
        if rows is not None and notices is not None:
            notices.extend(found)
        return rows
    except Declined:
        return None
    except Exception:  # a bug of ours: the cards are then read one by one, each on its own guard
        return None


def _run_rows(text: str, pattern: re.Pattern, folded: bool, card_lines: list[int], source_file: str,
              first_position: int, notices: list[tuple[int, str]]) -> list[dict] | None:
    """fast_rows on the run's text, its lines found by `pattern`; `folded` says values may hold
    continuation lines; `card_lines` is the BEGIN line number of each card of the run."""
    card_count = len(card_lines)
    rows: list[dict] = []
    roles = dict(_RUN_ROLES)  # names met that no row needs are added as _SKIP
    unescape = ESCAPE.sub
    findall = pattern.findall
    first: dict[str, object] = {}
    emails: list[str] = []
    phones: list[str] = []
    addresses: list[str] = []
    cities: list[str] = []
    postcodes: list[str] = []
    urls: list[str] = []
    notes: list[str] = []
    begun = pos = 0
    size = len(text) - 1  # the last line end, which starts no line
    while pos < size:
        # A window ends at a line start that is no continuation, so that no value is cut.
        end = text.find("\n", pos + WINDOW_CHARS)
        while 0 <= end < size and text[end + 1] in " \t":
            end = text.find("\n", end + 1)
        if end < 0 or end > size:
            end = size
        lines = findall(text, pos, end)
        # Every line start that is no continuation must start a match (as in fast_properties):
        # checked window by window, so that a run with a stray line is given up early.
        starts = text.count("\n", pos, end)
        if folded:
            starts -= text.count("\n ", pos, end) + text.count("\n\t", pos, end)
        if len(lines) != starts:
            return None
        pos = end
        for name, value in lines:
            role = roles.get(name)
            if role is None:
                upper_name = name.upper()
                if upper_name != name:
                    role = roles.get(upper_name)
                if role is None:
                    if "_" in name and upper_name.replace("_", "-") in ROLES:
                        return None  # fast_properties declines it
                    roles[name] = _SKIP
                    continue
                name = upper_name
            if role == _SKIP:
                continue
            if folded and "\n" in value:
                value = unfold(value)
            if "\\" in value and role in _UNESCAPED_TEXT and name != "VERSION":  # VERSION is kept as written
                value = unescape(unescape_pair, value)
            if role == SINGLE:
                again = name in first
                if again and name not in ONCE_ONLY:
                    continue
                value = value.strip()
                if not again:
                    if value:
                        first[name] = value
                elif value and value != first[name]:
                    notices.append((first_position + len(rows), repeated(name)))
            elif role == _BEGIN or role == _END:
                if value != "VCARD" and value.rstrip(" \t").upper() != "VCARD":
                    continue  # an ordinary property that happens to be called BEGIN or END
                if role == _BEGIN:
                    if begun != len(rows) or begun == card_count:
                        return None  # not the BEGIN line of a card of the run
                    begun += 1
                    first = {}
                    emails, phones, addresses, cities, postcodes, urls, notes = [], [], [], [], [], [], []
                else:
                    index = len(rows)
                    if begun != index + 1:
                        return None
                    rows.append(build_row(source_file, first_position + index, card_lines[index], first, emails, phones,
                                     addresses, cities, postcodes, urls, notes, "fast"))
            elif role == EMAIL_ADDRESS:
                email = email_key(value)
                if email and email not in emails:
                    emails.append(email)
            elif role == PHONE:
                phone = phone_value(value)
                if phone is None:
                    if value.strip():
                        notices.append((first_position + len(rows), NOT_A_PHONE))
                elif phone not in phones:
                    phones.append(phone)
            elif role == FIRST_STRUCTURED:
                if name not in first:
                    if "\\" in value:
                        value = split_structured(value)
                        if "".join(map("".join, value)).strip():
                            first[name] = value
                    # Without escapes the components hold the value's characters but ; and ,
                    elif value.replace(";", "").replace(",", "").strip():
                        if "," in value:
                            first[name] = [part.split(",") for part in value.split(";")]
                        else:
                            first[name] = [[part] for part in value.split(";")]
                elif name in ONCE_ONLY:
                    value = split_structured(value)
                    if "".join(map("".join, value)).strip() and value != first[name]:
                        notices.append((first_position + len(rows), repeated(name)))
            elif role == WEB:
                url = url_value(value)
                if url and url not in urls:
                    urls.append(url)
            elif role == ADDRESS:
                value = split_structured(value)
                address = address_line(value)
                if address and address not in addresses:
                    addresses.append(address)
                add_place(value, cities, postcodes)
            elif role == NOTE:
                note = value.strip()
                if note:
                    notes.append(note)
            elif role == BIRTHDAY:
                birthday = birthday_iso(value)
                if birthday:
                    if "BDAY" not in first:
                        first["BDAY"] = birthday
                    elif birthday != first["BDAY"]:
                        notices.append((first_position + len(rows), repeated("BDAY")))
            else:
                revision = revision_value(value)
                if revision is None:
                    if value.strip():
                        notices.append((first_position + len(rows), NOT_A_REVISION))
                elif "REV" not in first:
                    first["REV"] = revision
                elif revision != first["REV"]:
                    notices.append((first_position + len(rows), repeated("REV")))
    if len(rows) != card_count or begun != card_count:
        return None  # BEGIN and END lines did not pair up as the run's cards
    return rows
