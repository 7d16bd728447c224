"""Reads the CSV files of a LinkedIn data export, every era since 2018, into raw rows with provenance."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import BinaryIO, Callable

from connectors.normalize import normalize_email, normalize_linkedin_url
from connectors.records import FileResult
from connectors.sources import header_key
from connectors.textfile import MAX_LINE_CHARS, CsvFile, CsvRecord, RowRefused, unexpected

# Bump when this connector's rows change, so that files read by an older version are read again.
# 2: rows naming nobody are quarantined; bad bytes are repaired (with a note) instead of
# quarantining their row; unusable URLs and emails are noted.
PARSER_VERSION = 2

__all__ = ["FILE_SPECS", "MAX_LINE_CHARS", "PARSER_VERSION", "parse_linkedin_datetime", "parse_linkedin_file"]

# The header is looked for among this many non-blank rows: exports put at most a 3-line
# preamble before it; the margin covers a few lines a person typed above it.
MAX_ROWS_BEFORE_HEADER = 10
# A row holding at least this many of a file's known column names is its header; no preamble
# line of any era holds two.
MIN_HEADER_MATCHES = 2
# LinkedIn was founded in 2003, so every two-digit year an export writes (`1/8/18`) is 20yy.
TWO_DIGIT_YEAR_BASE = 2000


# ---------------------------------------------------------------------------------------------
# Dates and times as LinkedIn writes them
# ---------------------------------------------------------------------------------------------

_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_TIME = r"(?:,?\s*(?:T|\s)\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([AaPp]\.?[Mm]\.?)?)?"
_ZONE = r"\s*(UTC|GMT|Z|[+-]\d{2}:?\d{2})?"
# 2024-12-16 18:24:37 UTC (messages), 2024/12/07 14:51:07 UTC (endorsements), ISO 8601.
_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + _ZONE, re.IGNORECASE)
# 1/8/18, 6:14 PM (2018 exports, invitations, recommendations); 6/18/2024 18:14 after Excel.
_MONTH_FIRST = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})" + _TIME + _ZONE, re.IGNORECASE)
# 16 Dec 2024 (connections since 2023), 18-Jun-24 (after Excel).
_DAY_MONTH_NAME = re.compile(r"(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ ,-]+(\d{4}|\d{2})" + _TIME + _ZONE, re.IGNORECASE)
# Dec 16, 2024 (hand-edited files).
_MONTH_NAME_DAY = re.compile(r"([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})" + _TIME + _ZONE, re.IGNORECASE)


def _month_number(name: str) -> int:
    month = _MONTHS.get(name[:3].lower())
    if month is None:
        raise ValueError(f"unknown month {name!r}")
    return month


def _full_year(text: str) -> int:
    year = int(text)
    return year + TWO_DIGIT_YEAR_BASE if len(text) == 2 else year


def _moment(year: int, month: int, day: int, hour: str | None, minute: str | None,
            second: str | None, meridiem: str | None, zone: str | None) -> datetime:
    hours = int(hour) if hour else 0
    if meridiem:
        if not 1 <= hours <= 12:
            raise ValueError(f"hour {hours} with {meridiem}")
        hours = hours % 12 + (12 if meridiem[0].lower() == "p" else 0)
    moment = datetime(year, month, day, hours, int(minute or 0), int(second or 0))
    offset = timezone.utc
    if zone and zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        offset = timezone(delta if zone[0] == "+" else -delta)
    return moment.replace(tzinfo=offset).astimezone(timezone.utc)


def parse_linkedin_datetime(value: str | None) -> datetime | None:
    """Any date or time shape a LinkedIn export (or Excel after it) writes, as an aware UTC datetime.

    LinkedIn writes times without a zone in UTC, so naive times are taken as UTC; dates with
    slashes are month first (`1/8/18` is 8 January 2018). None when the text is no such date.
    """
    text = (value or "").strip()
    if not text:
        return None
    try:
        if match := _YEAR_FIRST.fullmatch(text):
            year, month, day, *rest = match.groups()
            return _moment(int(year), int(month), int(day), *rest)
        if match := _MONTH_FIRST.fullmatch(text):
            month, day, year, *rest = match.groups()
            return _moment(_full_year(year), int(month), int(day), *rest)
        if match := _DAY_MONTH_NAME.fullmatch(text):
            day, month, year, *rest = match.groups()
            return _moment(_full_year(year), _month_number(month), int(day), *rest)
        if match := _MONTH_NAME_DAY.fullmatch(text):
            month, day, year, *rest = match.groups()
            return _moment(int(year), _month_number(month), int(day), *rest)
    except ValueError:
        return None
    return None


# ---------------------------------------------------------------------------------------------
# What each file holds
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    field: str
    names: tuple[str, ...]  # header spellings across eras; the first one names it in errors
    required: bool = False


class _Cells:
    """One data row, read by field name. A cell that cannot be used is left out with a note
    (`note`); a row that cannot be used raises RowRefused. Reasons name columns, never quote cells."""

    def __init__(self, values: list[str], index: dict[str, int], display: dict[str, str],
                 note: Callable[[str], None]):
        self._values = values
        self._index = index
        self._display = display
        self.note = note

    def raw(self, field: str) -> str:
        position = self._index.get(field)
        return self._values[position] if position is not None else ""

    def text(self, field: str) -> str | None:
        cleaned = unicodedata.normalize("NFC", self.raw(field).strip())
        return cleaned or None

    def moment(self, field: str) -> datetime:
        value = self.raw(field).strip()
        if not value:
            raise RowRefused(f"{self._display[field]} is empty")
        parsed = parse_linkedin_datetime(value)
        if parsed is None:
            raise RowRefused(f"{self._display[field]} is not a date as LinkedIn writes them "
                             "(16 Dec 2024, 1/8/18, 6:14 PM month first, 2024-12-16 18:24:37 UTC)")
        return parsed

    def flag(self, field: str) -> bool:
        return self.raw(field).strip().lower() in ("yes", "true", "1", "y")

    def profile_url(self, field: str) -> str | None:
        return self._parsed(field, _profile_url, "is not a LinkedIn profile URL")

    def profile_urls(self, field: str) -> list[str]:
        return self._parsed(field, _profile_urls, "holds no LinkedIn profile URL") or []

    def email(self, field: str) -> str | None:
        return self._parsed(field, normalize_email, "is not an email address")

    def _parsed(self, field: str, parse: Callable, problem: str):
        """`parse` of the cell; a cell that is not empty but gives nothing is noted (`problem`
        says why, after the column's name) and left out."""
        value = self.raw(field).strip()
        if not value:
            return None
        parsed = parse(value)
        if not parsed:
            self.note(f"{self._display[field]} {problem}; left out")
        return parsed


# Messages repeat the same few hundred profile URLs over and over.
_profile_url = lru_cache(maxsize=1 << 16)(normalize_linkedin_url)


def _profile_urls(value: str) -> list[str]:
    """Every profile URL of a cell that may join several with commas or spaces."""
    urls = (_profile_url(part) for part in re.split(r"[,;\s]+", value) if part)
    return [url for url in urls if url]


def _names(value: str) -> list[str]:
    return [name for name in (unicodedata.normalize("NFC", part.strip()) for part in value.split(",")) if name]


def _connection(cells: _Cells) -> dict:
    row = {
        "first_name": cells.text("first_name"),
        "last_name": cells.text("last_name"),
        "profile_url": cells.profile_url("url"),
        "email": cells.email("email"),
        "company": cells.text("company"),
        "position_title": cells.text("position"),
        "connected_on": cells.moment("connected_on").date().isoformat(),
    }
    # The warehouse keys a connection by its URL, else by its name: with neither it is nobody.
    if not (row["first_name"] or row["last_name"] or row["profile_url"]):
        raise RowRefused("names nobody: First Name, Last Name and URL are all empty or unusable")
    return row


def _message(cells: _Cells) -> dict:
    sent_at = cells.moment("date")
    row = {
        "conversation_id": cells.text("conversation_id"),
        "sender_name": cells.text("from"),
        "sender_url": cells.profile_url("sender_url"),
        "recipient_names": _names(cells.raw("to")),
        "recipient_urls": cells.profile_urls("recipient_urls"),
        "sent_at": sent_at.isoformat(),
        "folder": cells.text("folder"),
        "is_draft": cells.flag("is_message_draft") or cells.flag("is_conversation_draft"),
        "direction": cells.text("direction"),
        # Subject and content stay out of the warehouse: only whether and how much was written.
        "subject_present": bool(cells.raw("subject").strip()),
        "content_chars": len(cells.raw("content").strip()),
    }
    if not (row["sender_name"] or row["sender_url"] or row["recipient_names"] or row["recipient_urls"]):
        raise RowRefused("names nobody: FROM, TO and their profile URLs are all empty or unusable")
    return row


INVITATION_DIRECTIONS = ("INCOMING", "OUTGOING")


def _member_reference(cells: _Cells, *fields: str) -> tuple[str | None, str | None]:
    """(profile URL, member URN) of whichever column the export has; the value decides which it is."""
    for field in fields:
        value = cells.raw(field).strip()
        if value.lower().startswith("urn:li:"):
            return None, value
        if value:
            return cells.profile_url(field), None
    return None, None


def _invitation(cells: _Cells) -> dict:
    direction = cells.raw("direction").strip().upper()
    if direction not in INVITATION_DIRECTIONS:
        # The cell itself is not quoted: in a row whose columns slipped it holds a name.
        raise RowRefused("Direction is not INCOMING or OUTGOING")
    sent_at = cells.moment("sent_at")
    inviter_url, inviter_urn = _member_reference(cells, "inviter_url", "inviter_urn")
    invitee_url, invitee_urn = _member_reference(cells, "invitee_url", "invitee_urn")
    row = {
        "from_name": cells.text("from"),
        "to_name": cells.text("to"),
        "sent_at": sent_at.isoformat(),
        "direction": direction,
        "inviter_url": inviter_url,
        "inviter_urn": inviter_urn,
        "invitee_url": invitee_url,
        "invitee_urn": invitee_urn,
        "has_message": bool(cells.raw("message").strip()),
    }
    # The other person is the invitee of an invitation the owner sent, the inviter of one received.
    side = ("to_name", "invitee_url", "invitee_urn") if direction == "OUTGOING" else ("from_name", "inviter_url", "inviter_urn")
    if not any(row[field] for field in side):
        column = "To" if direction == "OUTGOING" else "From"
        raise RowRefused(f"names nobody on the other side: {column} and its profile are empty or unusable")
    return row


def _recommendation(direction: str) -> Callable[[_Cells], dict]:
    def build(cells: _Cells) -> dict:
        row = {
            "direction": direction,
            "first_name": cells.text("first_name"),
            "last_name": cells.text("last_name"),
            "company": cells.text("company"),
            "job_title": cells.text("job_title"),
            "created_at": cells.moment("created_at").isoformat(),
            "status": cells.text("status"),
        }
        if not (row["first_name"] or row["last_name"]):
            raise RowRefused("names nobody: First Name and Last Name are empty")
        return row
    return build


def _endorsement(direction: str) -> Callable[[_Cells], dict]:
    def build(cells: _Cells) -> dict:
        row = {
            "direction": direction,
            "first_name": cells.text("first_name"),
            "last_name": cells.text("last_name"),
            "profile_url": cells.profile_url("url"),
            "skill": cells.text("skill"),
            "endorsed_at": cells.moment("endorsed_at").isoformat(),
            "status": cells.text("status"),
        }
        if not (row["first_name"] or row["last_name"] or row["profile_url"]):
            raise RowRefused("names nobody: the first and last names and the profile URL are empty or unusable")
        return row
    return build


@dataclass(frozen=True)
class FileSpec:
    table: str
    columns: tuple[Column, ...]
    build: Callable[[_Cells], dict]


_RECOMMENDATION_COLUMNS = (
    Column("first_name", ("First Name",), required=True),
    Column("last_name", ("Last Name",), required=True),
    Column("company", ("Company",)),
    Column("job_title", ("Job Title",)),
    Column("created_at", ("Creation Date",), required=True),
    Column("status", ("Status",)),
)


def _endorsement_columns(role: str) -> tuple[Column, ...]:
    return (
        Column("endorsed_at", ("Endorsement Date",), required=True),
        Column("skill", ("Skill Name",), required=True),
        Column("first_name", (f"{role} First Name",), required=True),
        Column("last_name", (f"{role} Last Name",), required=True),
        Column("url", (f"{role} Public Url", f"{role} Profile Url")),
        Column("status", ("Endorsement Status",)),
    )


FILE_SPECS: dict[str, FileSpec] = {
    "linkedin_connections": FileSpec("linkedin_connections", (
        Column("first_name", ("First Name",), required=True),
        Column("last_name", ("Last Name",), required=True),
        Column("url", ("URL", "Profile URL")),
        Column("email", ("Email Address", "E-mail Address")),
        Column("company", ("Company",)),
        Column("position", ("Position",)),
        Column("connected_on", ("Connected On",), required=True),
    ), _connection),
    "linkedin_messages": FileSpec("linkedin_messages", (
        Column("conversation_id", ("CONVERSATION ID",)),
        Column("from", ("FROM",), required=True),
        Column("sender_url", ("SENDER PROFILE URL",)),
        Column("to", ("TO",), required=True),
        Column("recipient_urls", ("RECIPIENT PROFILE URLS", "RECIPIENT PROFILE URL")),
        Column("date", ("DATE",), required=True),
        Column("subject", ("SUBJECT",)),
        Column("content", ("CONTENT",)),
        Column("folder", ("FOLDER",)),
        Column("direction", ("DIRECTION",)),
        Column("is_message_draft", ("IS MESSAGE DRAFT",)),
        Column("is_conversation_draft", ("IS CONVERSATION DRAFT",)),
    ), _message),
    "linkedin_invitations": FileSpec("linkedin_invitations", (
        Column("from", ("From",), required=True),
        Column("to", ("To",), required=True),
        Column("sent_at", ("Sent At",), required=True),
        Column("message", ("Message",)),
        Column("direction", ("Direction",), required=True),
        Column("inviter_url", ("inviterProfileUrl",)),
        Column("invitee_url", ("inviteeProfileUrl",)),
        Column("inviter_urn", ("inviterProfileUrn",)),
        Column("invitee_urn", ("inviteeProfileUrn",)),
    ), _invitation),
    "linkedin_recommendations_received": FileSpec(
        "linkedin_recommendations", _RECOMMENDATION_COLUMNS, _recommendation("received")),
    "linkedin_recommendations_given": FileSpec(
        "linkedin_recommendations", _RECOMMENDATION_COLUMNS, _recommendation("given")),
    "linkedin_endorsements_received": FileSpec(
        "linkedin_endorsements", _endorsement_columns("Endorser"), _endorsement("received")),
    "linkedin_endorsements_given": FileSpec(
        "linkedin_endorsements", _endorsement_columns("Endorsee"), _endorsement("given")),
}


# ---------------------------------------------------------------------------------------------
# Reading a file
# ---------------------------------------------------------------------------------------------

def _header_matches(cells: list[str], known: set[str]) -> int:
    return len({header_key(cell) for cell in cells} & known)


def _is_blank_line(cells: list[str]) -> bool:
    return len(cells) <= 1 and not "".join(cells).strip()


class _FileReader:
    """Turns one file's CSV records into rows or quarantine entries, one record at a time."""

    def __init__(self, spec: FileSpec, result: FileResult, csv_file: CsvFile):
        self.spec = spec
        self.result = result
        self.csv_file = csv_file
        self.known = {header_key(name): column for column in spec.columns for name in column.names}
        self.index: dict[str, int] = {}
        self.display = {column.field: column.names[0] for column in spec.columns}
        self.width = 0
        self.missing: list[str] = []
        self.header_found = False
        self.data_rows = 0
        # Records before the header: the preamble if a header follows; otherwise the first of
        # them is taken as the header and the rest as data rows, so that missing columns get named.
        self.before_header: list[CsvRecord] = []

    def feed(self, record: CsvRecord) -> None:
        """One CSV record; its `cells` are None when its `problem` says why it has none."""
        if record.cells is not None and _is_blank_line(record.cells):
            return
        if self.header_found:
            self._take(record)
        elif record.cells is not None and _header_matches(record.cells, set(self.known)) >= MIN_HEADER_MATCHES:
            self._use_header(record.cells)
            self.before_header.clear()
        else:
            self.before_header.append(record)
            if len(self.before_header) >= MAX_ROWS_BEFORE_HEADER:
                self._header_from_first_record()

    def unreadable_rest(self, line: int, reason: str) -> None:
        # The unread rest of the file is one item, so that the loss shows in the counts.
        self.result.items += 1
        self.result.reject(f"after row {self.data_rows} (line {line})", reason)

    def finish(self) -> None:
        if not self.header_found:
            self._header_from_first_record()
        if self.data_rows or (self.header_found and not self.missing):
            return
        # Nothing to quarantine row by row, yet the file is unusable: it counts as one item.
        expected = ", ".join(column.names[0] for column in self.spec.columns if column.required)
        reason = f"missing required column(s): {', '.join(self.missing)}" if self.missing else "empty file"
        self.result.items += 1
        self.result.reject("whole file", f"{reason}; expected a header with {expected}")

    def _header_from_first_record(self) -> None:
        pending, self.before_header = self.before_header, []
        first = next((index for index, record in enumerate(pending) if record.cells is not None), None)
        if first is not None:
            self._use_header(pending.pop(first).cells)
        for record in pending:
            self._take(record)

    def _use_header(self, cells: list[str]) -> None:
        self.header_found = True
        self.width = len(cells)
        for position, cell in enumerate(cells):
            column = self.known.get(header_key(cell))
            if column is not None and column.field not in self.index:
                self.index[column.field] = position
        self.missing = sorted(column.names[0] for column in self.spec.columns
                              if column.required and column.field not in self.index)

    def _take(self, record: CsvRecord) -> None:
        self.data_rows += 1
        self.result.items += 1
        location = f"row {self.data_rows} (line {record.line})"
        self.csv_file.note_repairs(location, record)
        try:
            row = self._row(record, lambda reason: self.result.note(location, reason))
        except RowRefused as reason:
            self.result.reject(location, str(reason))
            return
        except Exception as error:  # the fault barrier: one row never stops the file
            self.result.reject(location, unexpected(error))
            return
        self.result.add(self.spec.table, {"source_file": self.result.source_file, "position": self.data_rows, **row})

    def _row(self, record: CsvRecord, note: Callable[[str], None]) -> dict:
        cells = record.cells
        if cells is None:
            raise RowRefused(record.problem)
        if self.missing:
            raise RowRefused(f"missing required column(s): {', '.join(self.missing)}")
        if not any(cell.strip() for cell in cells):
            raise RowRefused("empty row (only separators)")
        extra_cells_filled = any(cell.strip() for cell in cells[self.width:])
        if len(cells) < self.width or extra_cells_filled:
            noun = "field" if len(cells) == 1 else "fields"
            raise RowRefused(f"has {len(cells)} {noun} where the header has {self.width}")
        return self.spec.build(_Cells(cells, self.index, self.display, note))


def parse_linkedin_file(stream: BinaryIO, source_file: str, kind: str, max_line_chars: int | None = None) -> FileResult:
    """Rows of one LinkedIn export file (`kind` as `connectors.inbox` classified it): every data
    row becomes a row of `FILE_SPECS[kind].table` or one quarantine entry, whatever the bytes.
    The caller's stream is read once, one bounded line at a time, and left open."""
    spec = FILE_SPECS.get(kind)
    if spec is None:
        raise ValueError(f"{kind!r} is not a LinkedIn file kind; expected one of {sorted(FILE_SPECS)}")
    result = FileResult(source_file, kind)
    known = {header_key(name) for column in spec.columns for name in column.names}
    csv_file = CsvFile(stream, lambda cells: _header_matches(cells, known), max_line_chars)
    if csv_file.problem:
        result.items = 1
        result.reject("whole file", f"{csv_file.problem}; expected the {kind} CSV of a LinkedIn export")
        return result
    reading = _FileReader(spec, result, csv_file)
    last_line = 0
    try:
        for record in csv_file.records():
            if record.unreadable:
                reading.unreadable_rest(last_line, record.problem)
                break
            last_line = record.end_line
            reading.feed(record)
        reading.finish()
    except Exception as error:  # the fault barrier for the reading itself
        reading.unreadable_rest(last_line, f"the rest of the file {unexpected(error)}")
    csv_file.repair_notes(result)
    return result
