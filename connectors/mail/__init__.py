"""Reads mail (mbox, .eml, Maildir files) into who wrote to whom and when, from headers only.

What it produces for each file (see `parse_mail`):

- `mail_messages`: one row per message read: when it was sent, its outcome (`personal`, or
  why it is skipped: spam, trash, draft, mailing list, newsletter, automated, no-reply),
  whether it was in the Sent label or folder, how many recipients it had, and its Message-ID
  and the message it answers as hashes (never the IDs themselves).
- `mail_addresses`: for personal messages only, one row per address on them and its role
  (`from`, `sender`, `to`, `cc`, `bcc`, `reply_to`), with the display name when there is one.

Subjects and bodies are never read into anything: bodies are skipped by byte search
(connectors.mail.split), and only the fields in `headers.WANTED_FIELDS` are decoded.

Conservation: `items` counts messages; each is either one `mail_messages` row or one
item-scope quarantine row (`message N (byte B)` and the reason). Skipped outcomes are rows,
and each file says how many of each it skipped in one note, so nothing is dropped unseen.
A file that holds no mail at all (a non-mail file named .mbox or .eml) is one item, quarantined
at `file` scope.

A mailbox can be larger than memory: `parse_mail_batches` hands its rows over every
`BATCH_MESSAGES` messages, which the ingest stores as they come; `parse_mail` collects them all
(for tests and small files).
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_tz
from typing import BinaryIO, Generator, Iterator

from connectors.mail.addresses import Address, parse_addresses
from connectors.mail.classify import OUTCOME_WORDS, PERSONAL, folder_outcome, in_sent_folder, labels, outcome
from connectors.mail.headers import ADDRESS_FIELDS, raw_fields, to_text
from connectors.mail.split import RawMessage, iter_mbox, read_single
from connectors.records import FileResult, Quarantine

# Bump when this connector's rows change, so that files read by an older version are read again.
PARSER_VERSION = 2
MESSAGES, ADDRESSES = "mail_messages", "mail_addresses"
# Dates outside these years are damage (a year 0, a clock reset to 1970 or set far ahead),
# not when a message was sent; such a message falls back to its From_ line's date.
EARLIEST_YEAR, LATEST_YEAR = 1980, 2100
# Names a file of one message can have; anything else is read as an mbox.
SINGLE_MESSAGE_SUFFIXES = (".eml", ".msg822")
# Messages whose rows are handed over together: about 5 MB of row dicts (a message row and
# three or four address rows each), so that a batch, its DataFrames and DuckDB's copy stay a
# small part of the 300 MB the whole run may take, and a 200,000-message mailbox costs only
# forty inserts per table.
BATCH_MESSAGES = 5_000
RowBatch = dict[str, list[dict]]
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_FROM_LINE_DATES = ("%a %b %d %H:%M:%S %Y", "%a %b %d %H:%M:%S %z %Y")


def message_id_hash(message_id: str) -> str:
    """A Message-ID as a hash: enough to tie a reply to what it answers, naming no one."""
    return hashlib.sha256(message_id.encode("utf-8", errors="surrogateescape")).hexdigest()[:32]


def _ids(text: str | None) -> list[str]:
    if not text:
        return []
    found = _MESSAGE_ID.findall(text)
    if not found and "@" in text and len(text.split()) == 1:
        found = [text.strip()]  # an ID written without its angle brackets
    return found


# Forms some mailers write that RFC 5322 parsers refuse: fractional seconds (`22:23:35.882`) and
# a zone without its sign (`0000`), as in a Squeak list archive kept in Apache mime4j's tests.
_FRACTIONAL_SECONDS = re.compile(r"(\d:\d\d)[.,]\d+")
_UNSIGNED_ZONE = re.compile(r"(\d:\d\d)\s+(\d{4})\s*$")


def _date_parts(text: str):
    try:
        return parsedate_tz(text)
    except (ValueError, IndexError, TypeError, OverflowError):
        return None


def parse_date(text: str | None) -> datetime | None:
    """An RFC 5322 date (or the forms real mailers write) in UTC; a date without a zone is UTC."""
    if not text:
        return None
    parts = _date_parts(text)
    if not parts:
        repaired = _UNSIGNED_ZONE.sub(r"\1 +\2", _FRACTIONAL_SECONDS.sub(r"\1", text))
        parts = _date_parts(repaired) if repaired != text else None
    if not parts:
        return None
    try:
        moment = datetime(*parts[:6], tzinfo=timezone.utc) - timedelta(seconds=parts[9] or 0)
    except (ValueError, OverflowError):
        return None
    return moment if EARLIEST_YEAR <= moment.year <= LATEST_YEAR else None


def from_line_date(from_line: bytes) -> datetime | None:
    """The date an mbox From_ line carries after its sender (`From sender Thu Jan  5 10:20:30 2023`,
    Takeout adds `+0000` before the year)."""
    words = from_line.decode("ascii", errors="replace").split()[1:]
    text = " ".join(words)
    for pattern in _FROM_LINE_DATES:
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        moment = moment.replace(tzinfo=moment.tzinfo or timezone.utc).astimezone(timezone.utc)
        return moment if EARLIEST_YEAR <= moment.year <= LATEST_YEAR else None
    return parse_date(text)


def message_fields(header: bytes) -> tuple[dict[str, str], dict[str, list[Address]]]:
    """The first value of each wanted field as text, and the addresses of each address field
    (all of its occurrences: a repeated To adds recipients)."""
    fields: dict[str, str] = {}
    addresses: dict[str, list[Address]] = {}
    for name, raw in raw_fields(header):
        text = to_text(raw)
        if name in ADDRESS_FIELDS:
            addresses.setdefault(name, []).extend(parse_addresses(text))
        fields.setdefault(name, text)
    return fields, addresses


def _location(position: int, offset: int) -> str:
    return f"message {position} (byte {offset})"


def _messages(stream: BinaryIO, source_file: str, result: FileResult) -> Iterator[RawMessage]:
    if source_file.lower().endswith(SINGLE_MESSAGE_SUFFIXES) or _is_maildir(source_file):
        yield read_single(stream)
        return
    for found in iter_mbox(stream):
        if isinstance(found, int):
            result.note("whole file", f"{found} bytes before the first message are not mail (no 'From ' line starts them); skipped")
            continue
        yield found


def _is_maildir(source_file: str) -> bool:
    parts = source_file.replace("!", "/").split("/")
    return len(parts) >= 2 and parts[-2] in ("cur", "new")


def parse_mail(stream: BinaryIO, source_file: str) -> FileResult:
    """Every message of one mail file: a `mail_messages` row or a quarantine row each."""
    batches = parse_mail_batches(stream, source_file)
    rows: RowBatch = {}
    while True:
        try:
            batch = next(batches)
        except StopIteration as finished:
            result = finished.value
            break
        for table, table_rows in batch.items():
            rows.setdefault(table, []).extend(table_rows)
    result.rows = rows
    return result


def parse_mail_batches(stream: BinaryIO, source_file: str,
                       batch_messages: int = BATCH_MESSAGES) -> Generator[RowBatch, None, FileResult]:
    """Like `parse_mail`, but the rows are yielded every `batch_messages` messages (and once at
    the end); the FileResult returned at the end holds the counts and quarantine, not the rows."""
    result = FileResult(source_file, "mail")
    folder = folder_outcome(source_file)
    sent_folder = in_sent_folder(source_file)
    skipped: dict[str, int] = {}
    usable = rows_handed_over = 0
    for raw in _messages(stream, source_file, result):
        if result.items and result.items % batch_messages == 0 and result.rows:
            rows_handed_over += sum(len(table_rows) for table_rows in result.rows.values())
            yield result.rows
            result.rows = {}
        result.items += 1
        position = result.items
        location = _location(position, raw.offset)
        if raw.problem:
            result.reject(location, raw.problem)
            continue
        fields, addresses = message_fields(raw.header)
        if not fields:
            result.reject(location, "no mail header (From, To, Date, Message-ID, ...) in its header block; not mail")
            continue
        usable += 1
        senders = addresses.get("from") or addresses.get("sender") or []
        if not senders:
            result.reject(location, "no readable sender address (From and Sender missing or not addresses)")
            continue
        sent_at = parse_date(fields.get("date"))
        if sent_at is None:
            sent_at = from_line_date(raw.from_line) if raw.from_line else None
            problem = "no Date header" if "date" not in fields else "the Date header is not a date"
            if sent_at is None:
                result.reject(location, f"{problem}, and no date on its From_ line: when it was sent is unknown")
                continue
            result.note(location, f"{problem}; the date of its From_ line is used")
        message_labels = labels(fields.get("x-gmail-labels"))
        kind = outcome(fields, message_labels, folder, senders[0].email)
        recipients = {address.email for role in ("to", "cc", "bcc") for address in addresses.get(role, [])}
        replies_to = (_ids(fields.get("in-reply-to")) or _ids(fields.get("references"))[-1:] or [None])[0]
        own_id = (_ids(fields.get("message-id")) or [None])[0]
        result.add(MESSAGES, {
            "source_file": source_file, "position": position, "byte_offset": raw.offset, "sent_at": sent_at,
            "outcome": kind, "in_sent": sent_folder or "sent" in message_labels,
            "recipient_count": len(recipients - {senders[0].email}),
            "message_id_hash": message_id_hash(own_id) if own_id else None,
            "replies_to_hash": message_id_hash(replies_to) if replies_to else None,
        })
        if kind != PERSONAL:
            skipped[kind] = skipped.get(kind, 0) + 1
            continue
        for role in ADDRESS_FIELDS:
            seen: set[str] = set()
            for address in addresses.get(role, []):
                if address.email in seen:
                    continue
                seen.add(address.email)
                result.add(ADDRESSES, {"source_file": source_file, "position": position,
                                       "role": role.replace("-", "_"), "email": address.email, "name": address.name})
    if result.items == 1 and not usable and result.quarantined == 1 and not (result.rows or rows_handed_over):
        # A single unreadable "message" is a file that is not mail: said of the whole file.
        reason = next(entry.reason for entry in result.quarantine if entry.scope == "item")
        result.quarantine = [Quarantine(source_file, "whole file", f"not a mail file: {reason}", scope="file")]
    elif not result.items and result.quarantine:
        # Bytes but no message at all: a file that is not an mbox, counted as one item.
        result.items = 1
        result.quarantine = [Quarantine(source_file, "whole file", "not a mail file: no line starting with "
                                        "'From ' begins a message, as one must in an mbox", scope="file")]
    for kind, count in sorted(skipped.items()):
        result.note("whole file", f"{count} message{'s' if count != 1 else ''} skipped as {OUTCOME_WORDS[kind]}; "
                                  "kept out of people and interactions")
    if result.rows:
        yield result.rows
        result.rows = {}
    return result
