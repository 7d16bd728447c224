"""Reads the CSV files of a LinkedIn data export, every era since 2018, into raw rows with provenance."""
from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import BinaryIO, Callable, Iterator
from zipfile import BadZipFile

from connectors.normalize import normalize_email, normalize_linkedin_url
from connectors.records import FileResult
from connectors.textfile import UTF16_BOMS, PrefixedStream

# Bump when this connector's rows change, so that files read by an older version are read again.
PARSER_VERSION = 1

# How much of the file is read up front to tell text from binary and find the delimiter:
# enough for the 3-line `Notes:` preamble and the header of any export.
SNIFF_BYTES = 64 * 1024
# The header is looked for among this many non-blank rows: exports put at most a 3-line
# preamble before it; the margin covers a few lines a person typed above it.
MAX_ROWS_BEFORE_HEADER = 10
# A row holding at least this many of a file's known column names is its header; no preamble
# line of any era holds two.
MIN_HEADER_MATCHES = 2
# Share of control characters (other than tab, CR, LF, FF) above which the start of a file is
# binary rather than text; real exports have none.
MAX_CONTROL_SHARE = 0.05
# LinkedIn was founded in 2003, so every two-digit year an export writes (`1/8/18`) is 20yy.
TWO_DIGIT_YEAR_BASE = 2000
# LinkedIn caps a message at 8,000 characters and a recommendation at 3,000; a physical line
# over a hundred times that is not an export row, and is cut there so memory stays bounded.
MAX_LINE_CHARS = 1024 * 1024
# Characters of an unusable cell quoted back in a quarantine reason.
MAX_QUOTED_CHARS = 40

_FALLBACK_ERRORS = "strongties-linkedin-cp1252"
_READ_ERRORS = (OSError, EOFError, BadZipFile, zlib.error, RuntimeError)


def _decode_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Bytes that are not UTF-8 are read as Windows-1252, which Excel on Windows writes when it
    re-saves an export; bytes that are not that either become lone surrogates, so that the row
    holding them can be quarantined rather than silently altered."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    chunk = error.object[error.start:error.end]
    text = []
    for byte in chunk:
        try:
            text.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            text.append(chr(0xDC00 + byte))
    return "".join(text), error.end


codecs.register_error(_FALLBACK_ERRORS, _decode_as_cp1252)
_UNUSABLE_CHARACTERS = re.compile("[\x00\udc80-\udcff]")


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

class _Unusable(ValueError):
    """A row that cannot become a record; the message is the quarantine reason."""


@dataclass(frozen=True)
class Column:
    field: str
    names: tuple[str, ...]  # header spellings across eras; the first one names it in errors
    required: bool = False


def _header_key(name: str) -> str:
    """Header cells compared without case, spaces, underscores or a stray byte-order mark."""
    return re.sub(r"[\s_]+", "", name.replace("\ufeff", "")).casefold()


class _Cells:
    """One data row, read by field name."""

    def __init__(self, values: list[str], index: dict[str, int], display: dict[str, str]):
        self._values = values
        self._index = index
        self._display = display

    def raw(self, field: str) -> str:
        position = self._index.get(field)
        return self._values[position] if position is not None else ""

    def text(self, field: str) -> str | None:
        cleaned = unicodedata.normalize("NFC", self.raw(field).strip())
        return cleaned or None

    def moment(self, field: str) -> datetime:
        value = self.raw(field).strip()
        if not value:
            raise _Unusable(f"{self._display[field]} is empty")
        parsed = parse_linkedin_datetime(value)
        if parsed is None:
            raise _Unusable(f"{self._display[field]} {_quoted(value)} is not a date as LinkedIn writes them "
                            "(16 Dec 2024, 1/8/18, 6:14 PM month first, 2024-12-16 18:24:37 UTC)")
        return parsed

    def flag(self, field: str) -> bool:
        return self.raw(field).strip().lower() in ("yes", "true", "1", "y")


def _quoted(value: str) -> str:
    shown = value if len(value) <= MAX_QUOTED_CHARS else value[:MAX_QUOTED_CHARS] + "..."
    return repr(shown)


# Messages repeat the same few hundred profile URLs over and over.
_profile_url = lru_cache(maxsize=1 << 16)(normalize_linkedin_url)


def _profile_urls(value: str) -> list[str]:
    """Every profile URL of a cell that may join several with commas or spaces."""
    urls = (_profile_url(part) for part in re.split(r"[,;\s]+", value) if part)
    return [url for url in urls if url]


def _names(value: str) -> list[str]:
    return [name for name in (unicodedata.normalize("NFC", part.strip()) for part in value.split(",")) if name]


def _connection(cells: _Cells) -> dict:
    return {
        "first_name": cells.text("first_name"),
        "last_name": cells.text("last_name"),
        "profile_url": normalize_linkedin_url(cells.raw("url")),
        "email": normalize_email(cells.raw("email")),
        "company": cells.text("company"),
        "position_title": cells.text("position"),
        "connected_on": cells.moment("connected_on").date().isoformat(),
    }


def _message(cells: _Cells) -> dict:
    sent_at = cells.moment("date")
    return {
        "conversation_id": cells.text("conversation_id"),
        "sender_name": cells.text("from"),
        "sender_url": _profile_url(cells.raw("sender_url")),
        "recipient_names": _names(cells.raw("to")),
        "recipient_urls": _profile_urls(cells.raw("recipient_urls")),
        "sent_at": sent_at.isoformat(),
        "folder": cells.text("folder"),
        "is_draft": cells.flag("is_message_draft") or cells.flag("is_conversation_draft"),
        "direction": cells.text("direction"),
        # Subject and content stay out of the warehouse: only whether and how much was written.
        "subject_present": bool(cells.raw("subject").strip()),
        "content_chars": len(cells.raw("content").strip()),
    }


INVITATION_DIRECTIONS = ("INCOMING", "OUTGOING")


def _member_reference(cells: _Cells, *fields: str) -> tuple[str | None, str | None]:
    """(profile URL, member URN) of whichever column the export has; the value decides which it is."""
    for field in fields:
        value = cells.raw(field).strip()
        if value.lower().startswith("urn:li:"):
            return None, value
        if value:
            return normalize_linkedin_url(value), None
    return None, None


def _invitation(cells: _Cells) -> dict:
    direction = cells.raw("direction").strip().upper()
    if direction not in INVITATION_DIRECTIONS:
        raise _Unusable(f"Direction {_quoted(cells.raw('direction').strip())} is not INCOMING or OUTGOING")
    sent_at = cells.moment("sent_at")
    inviter_url, inviter_urn = _member_reference(cells, "inviter_url", "inviter_urn")
    invitee_url, invitee_urn = _member_reference(cells, "invitee_url", "invitee_urn")
    return {
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


def _recommendation(direction: str) -> Callable[[_Cells], dict]:
    def build(cells: _Cells) -> dict:
        return {
            "direction": direction,
            "first_name": cells.text("first_name"),
            "last_name": cells.text("last_name"),
            "company": cells.text("company"),
            "job_title": cells.text("job_title"),
            "created_at": cells.moment("created_at").isoformat(),
            "status": cells.text("status"),
        }
    return build


def _endorsement(direction: str) -> Callable[[_Cells], dict]:
    def build(cells: _Cells) -> dict:
        return {
            "direction": direction,
            "first_name": cells.text("first_name"),
            "last_name": cells.text("last_name"),
            "profile_url": normalize_linkedin_url(cells.raw("url")),
            "skill": cells.text("skill"),
            "endorsed_at": cells.moment("endorsed_at").isoformat(),
            "status": cells.text("status"),
        }
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

def _read_head(stream: BinaryIO) -> bytes:
    chunks, size = [], 0
    while size < SNIFF_BYTES:
        chunk = stream.read(SNIFF_BYTES - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _encoding_of(head: bytes) -> str:
    if head.startswith(UTF16_BOMS):
        return "utf-16"
    return "utf-8-sig"


def _binary_problem(head: bytes, encoding: str) -> str | None:
    if encoding == "utf-16":
        return None
    if b"\x00" in head:
        return "binary data (NUL bytes), not a CSV text file"
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    if head and controls / len(head) > MAX_CONTROL_SHARE:
        return "binary data (control characters), not a CSV text file"
    return None


def _header_matches(cells: list[str], known: set[str]) -> int:
    return len({_header_key(cell) for cell in cells} & known)


def _delimiter_of(head_text: str, known: set[str]) -> str:
    """Comma, unless a semicolon or tab (Excel in many locales, `Unicode text`) finds the header better."""
    best, best_matches = ",", 0
    for delimiter in (",", ";", "\t"):
        reader = csv.reader(io.StringIO(head_text, newline=""), delimiter=delimiter)
        matches = 0
        try:
            for _, cells in zip(range(MAX_ROWS_BEFORE_HEADER * 2), reader):
                matches = max(matches, _header_matches(cells, known))
        except csv.Error:
            pass
        if matches > best_matches:
            best, best_matches = delimiter, matches
    return best


def _is_blank_line(cells: list[str]) -> bool:
    return len(cells) <= 1 and not "".join(cells).strip()


def _bounded_lines(text: io.TextIOBase, overlong: set[int]) -> Iterator[str]:
    """The file's physical lines, each cut at MAX_LINE_CHARS so that one endless line (a huge
    file without line breaks) never sits in memory whole; cut lines are noted in `overlong`."""
    line_number = 0
    while line := text.readline(MAX_LINE_CHARS):
        line_number += 1
        if len(line) == MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            overlong.add(line_number)
            while (rest := text.readline(MAX_LINE_CHARS)) and not rest.endswith(("\n", "\r")):
                pass
        yield line


class _FileReader:
    """Turns one file's CSV records into rows or quarantine entries, one record at a time."""

    def __init__(self, spec: FileSpec, result: FileResult):
        self.spec = spec
        self.result = result
        self.known = {_header_key(name): column for column in spec.columns for name in column.names}
        self.index: dict[str, int] = {}
        self.display = {column.field: column.names[0] for column in spec.columns}
        self.width = 0
        self.missing: list[str] = []
        self.header_found = False
        self.data_rows = 0
        # Records before the header: the preamble if a header follows; otherwise the first of
        # them is taken as the header and the rest as data rows, so that missing columns get named.
        self.before_header: list[tuple[int, list[str] | None, str | None]] = []

    def feed(self, line: int, cells: list[str] | None, problem: str | None) -> None:
        """One CSV record starting at `line`; `cells` is None when `problem` says why it has none."""
        if cells is not None and _is_blank_line(cells):
            return
        if self.header_found:
            self._take(line, cells, problem)
        elif cells is not None and _header_matches(cells, set(self.known)) >= MIN_HEADER_MATCHES:
            self._use_header(cells)
            self.before_header.clear()
        else:
            self.before_header.append((line, cells, problem))
            if len(self.before_header) >= MAX_ROWS_BEFORE_HEADER:
                self._header_from_first_record()

    def unreadable_rest(self, last_line: int, error: Exception) -> None:
        # The unread rest of the file is one item, so that the loss shows in the counts.
        self.result.items += 1
        self.result.reject(f"after row {self.data_rows} (line {last_line})",
                           f"the rest of the file cannot be read ({error})")

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
        first = next((index for index, (_, cells, _) in enumerate(pending) if cells is not None), None)
        if first is not None:
            self._use_header(pending.pop(first)[1])
        for line, cells, problem in pending:
            self._take(line, cells, problem)

    def _use_header(self, cells: list[str]) -> None:
        self.header_found = True
        self.width = len(cells)
        for position, cell in enumerate(cells):
            column = self.known.get(_header_key(cell))
            if column is not None and column.field not in self.index:
                self.index[column.field] = position
        self.missing = sorted(column.names[0] for column in self.spec.columns
                              if column.required and column.field not in self.index)

    def _take(self, line: int, cells: list[str] | None, problem: str | None) -> None:
        self.data_rows += 1
        self.result.items += 1
        try:
            row = self._row(cells, problem)
        except _Unusable as reason:
            self.result.reject(f"row {self.data_rows} (line {line})", str(reason))
            return
        self.result.add(self.spec.table, {"source_file": self.result.source_file, "position": self.data_rows, **row})

    def _row(self, cells: list[str] | None, problem: str | None) -> dict:
        if cells is None:
            raise _Unusable(problem)
        if self.missing:
            raise _Unusable(f"missing required column(s): {', '.join(self.missing)}")
        if not any(cell.strip() for cell in cells):
            raise _Unusable("empty row (only separators)")
        extra_cells_filled = any(cell.strip() for cell in cells[self.width:])
        if len(cells) < self.width or extra_cells_filled:
            noun = "field" if len(cells) == 1 else "fields"
            raise _Unusable(f"has {len(cells)} {noun} where the header has {self.width}")
        if _UNUSABLE_CHARACTERS.search("\x1f".join(cells)):
            raise _Unusable("holds bytes that are neither UTF-8 nor Windows-1252 text (binary data or another encoding)")
        return self.spec.build(_Cells(cells, self.index, self.display))


def parse_linkedin_file(stream: BinaryIO, source_file: str, kind: str) -> FileResult:
    """Rows of one LinkedIn export file (`kind` as `connectors.inbox` classified it): every data
    row becomes a row of `FILE_SPECS[kind].table` or one quarantine entry. The caller's stream is
    read once, row by row, and left open."""
    spec = FILE_SPECS.get(kind)
    if spec is None:
        raise ValueError(f"{kind!r} is not a LinkedIn file kind; expected one of {sorted(FILE_SPECS)}")
    result = FileResult(source_file, kind)
    try:
        head = _read_head(stream)
    except _READ_ERRORS as error:
        result.items = 1
        result.reject("whole file", f"cannot be read ({error})")
        return result
    encoding = _encoding_of(head)
    problem = _binary_problem(head, encoding)
    if problem:
        result.items = 1
        result.reject("whole file", f"{problem}; expected the {kind} CSV of a LinkedIn export")
        return result

    reading = _FileReader(spec, result)
    delimiter = _delimiter_of(head.decode(encoding, errors=_FALLBACK_ERRORS), set(reading.known))
    with io.TextIOWrapper(io.BufferedReader(PrefixedStream(head, stream)), encoding=encoding,
                          errors=_FALLBACK_ERRORS, newline="") as text:
        overlong: set[int] = set()
        reader = csv.reader(_bounded_lines(text, overlong), delimiter=delimiter, strict=False)
        previous_line = 0
        while True:
            try:
                cells, problem = next(reader), None
            except StopIteration:
                break
            except csv.Error as error:
                cells, problem = None, f"not valid CSV ({error})"
            except (*_READ_ERRORS, UnicodeError) as error:
                reading.unreadable_rest(previous_line, error)
                break
            line, previous_line = previous_line + 1, reader.line_num
            if overlong and not overlong.isdisjoint(range(line, previous_line + 1)):
                cells, problem = None, f"a line longer than {MAX_LINE_CHARS:,} characters: not an export row"
            reading.feed(line, cells, problem)
    reading.finish()
    return result
