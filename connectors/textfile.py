"""Reading the text files people keep or export (CSV logs, LinkedIn CSVs, YAML) whatever their
encoding, one bounded line at a time, and writing CSV cells a spreadsheet will not run."""
from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator, TextIO
from zipfile import BadZipFile

from connectors.records import FileResult

# How much of a file is read up front to tell its encoding, text from binary, and its delimiter:
# enough for the 3-line preamble of a LinkedIn export and any header.
SNIFF_BYTES = 64 * 1024
# A physical line longer than this is no row anyone keeps or exports (LinkedIn caps a message at
# 8,000 characters, a recommendation at 3,000): it is cut, quarantined, and never held whole.
MAX_LINE_CHARS = 1024 * 1024
# The csv module's own default field limit, which this module never changes: a longer cell
# quarantines its row (the module stops parsing the row there).
MAX_CELL_CHARS = 131_072
# Share of control characters (other than tab, CR, LF, FF) above which the start of a file is
# binary rather than text; real CSV files have none.
MAX_CONTROL_SHARE = 0.05
# Without a byte order mark, ASCII-heavy UTF-16 (as `Unicode text` is sometimes re-saved) shows a
# NUL in most of one parity of bytes; binary data does not.
MIN_UTF16_NUL_SHARE = 0.9
# Windows-1252 text that is not UTF-8 has its accented letters as single high bytes between ASCII
# ones ("Jos\xe9"); runs longer than this are binary or another encoding, not Excel's ANSI text.
MAX_CP1252_RUN = 3
# Per-row notes about repaired bytes kept for one file; the rest are counted in one last note, so
# that a damaged million-row file does not hold a million notes.
MAX_REPAIR_NOTES = 50

# The byte order marks that say a file is UTF-16 (Windows tools write it, BOM first).
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Errors that can come out of a stream while it is read: a broken disk or zip member.
READ_ERRORS = (OSError, EOFError, BadZipFile, zlib.error, RuntimeError)

_ESCAPE_ERRORS = "strongties-escape"
_ESCAPED = re.compile("[\udc00-\udcff]+")
# Excel writes (and reads) a first line `sep=;` naming the delimiter.
_SEPARATOR_LINE = re.compile(r"sep=(.)(?:\r\n|\r|\n|$)")


def _escape_undecodable(error: UnicodeError) -> tuple[str, int]:
    """Every byte the codec cannot decode becomes a lone surrogate U+DC00+byte, so that each line
    can decide afterwards how to repair its own bad bytes (and say so)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return "".join(chr(0xDC00 + byte) for byte in error.object[error.start:error.end]), error.end


codecs.register_error(_ESCAPE_ERRORS, _escape_undecodable)


class PrefixedStream(io.RawIOBase):
    """The bytes already read to sniff a file's encoding put back in front of the rest of its
    stream, which is left open. Wrap it in io.BufferedReader for full reads and lines."""

    def __init__(self, prefix: bytes, rest: BinaryIO):
        self._prefix = memoryview(prefix)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if len(self._prefix):
            size = min(len(buffer), len(self._prefix))
            buffer[:size] = self._prefix[:size]
            self._prefix = self._prefix[size:]
            return size
        if hasattr(self._rest, "readinto"):  # straight into the buffer: no copy of a 1 MiB chunk
            return self._rest.readinto(buffer)
        data = self._rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


class NotText(ValueError):
    """The bytes are not a text file in any encoding we accept."""


def read_head(stream: BinaryIO, size: int = SNIFF_BYTES) -> bytes:
    """Up to `size` bytes from the start of a stream whose read() may return less than asked."""
    chunks, read = [], 0
    while read < size:
        chunk = stream.read(size - read)
        if not chunk:
            break
        chunks.append(chunk)
        read += len(chunk)
    return b"".join(chunks)


def sniff_encoding(head: bytes) -> str:
    """The codec a file's first bytes call for: only a byte order mark or, for BOM-less UTF-16,
    its NUL pattern, count as evidence; anything else is read as UTF-8 and repaired line by line."""
    if head.startswith(UTF16_BOMS):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if len(head) >= 4 and b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) >= MIN_UTF16_NUL_SHARE * len(odd) and not even.count(0):
            return "utf-16-le"
        if even.count(0) >= MIN_UTF16_NUL_SHARE * len(even) and not odd.count(0):
            return "utf-16-be"
    return "utf-8"


def binary_problem(head: bytes, encoding: str) -> str | None:
    """Why the start of a file is not text, or None."""
    if encoding.startswith("utf-16"):
        return None
    if b"\x00" in head:
        return "binary data (NUL bytes), not a text file"
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    if head and controls / len(head) > MAX_CONTROL_SHARE:
        return "binary data (control characters), not a text file"
    return None


def _looks_like_cp1252(runs: list[bytes]) -> bool:
    for run in runs:
        if len(run) > MAX_CP1252_RUN:
            return False
        try:
            text = run.decode("cp1252")
        except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D are not Windows-1252
            return False
        if not all(character.isprintable() or character in "\xa0\xad" for character in text):
            return False
    return True


@dataclass(frozen=True)
class Repair:
    """Bytes of one line that were not valid in the file's encoding, and what they became."""

    line: int
    column: int  # 1-based character position of the first bad byte
    as_cp1252: bool

    def reason(self) -> str:
        if self.as_cp1252:
            return f"bytes that are not UTF-8 (line {self.line}, from character {self.column}) were read as Windows-1252"
        return (f"bytes that are not text in the file's encoding (line {self.line}, from character {self.column}) "
                "were replaced by U+FFFD")


class BoundedLines:
    """The physical lines of a text stream, each at most MAX_LINE_CHARS, with bad bytes repaired.

    An iterator of str, as csv.reader wants. A longer line is read through to its end and
    replaced by an empty line (keeping an odd quote so that a quoted field stays open as it was);
    its number goes in `overlong`. Lines with NUL bytes go in `binary`.
    """

    def __init__(self, text: TextIO, repair_as_cp1252: bool, max_line_chars: int):
        self._text = text
        self._repair_as_cp1252 = repair_as_cp1252
        self._max = max_line_chars
        self.number = 0
        self.overlong: set[int] = set()
        self.binary: set[int] = set()
        self.repairs: dict[int, Repair] = {}
        self.quotes = 0  # quote characters seen since the caller last reset it
        self.saw_utf8 = False  # a line held non-ASCII text that was valid UTF-8: clean evidence

    def __iter__(self) -> BoundedLines:
        return self

    def __next__(self) -> str:
        line = self._text.readline(self._max)
        if not line:
            raise StopIteration
        self.number += 1
        if len(line) == self._max and not line.endswith(("\n", "\r")):
            quotes = line.count('"')
            while (rest := self._text.readline(self._max)) and not rest.endswith(("\n", "\r")):
                quotes += rest.count('"')
            quotes += rest.count('"')
            self.overlong.add(self.number)
            line = '"\n' if quotes % 2 else "\n"
        elif "\x00" in line:
            self.binary.add(self.number)
            line = line.replace("\x00", "")
        if line.isascii():
            pass
        elif _ESCAPED.search(line):
            line = self._repair(line)
        else:
            self.saw_utf8 = True
        self.quotes += line.count('"')
        return line

    def _repair(self, line: str) -> str:
        matches = list(_ESCAPED.finditer(line))
        runs = [bytes(ord(character) - 0xDC00 for character in match.group()) for match in matches]
        if not _ESCAPED.sub("", line).isascii():
            self.saw_utf8 = True
        as_cp1252 = self._repair_as_cp1252 and _looks_like_cp1252(runs)
        self.repairs[self.number] = Repair(self.number, matches[0].start() + 1, as_cp1252)
        replaced = iter([run.decode("cp1252") if as_cp1252 else "\ufffd" for run in runs])
        return _ESCAPED.sub(lambda _: next(replaced), line)

    def skip_open_quote(self) -> None:
        """After a row the csv module gave up on inside a quoted field, the lines up to the one
        closing that field belong to the same row: skip them."""
        while self.quotes % 2:
            try:
                next(self)
            except StopIteration:
                return


@dataclass
class CsvRecord:
    """One CSV record: its cells, or why it has none, and what was repaired in it."""

    line: int  # the physical line it starts on
    end_line: int
    cells: list[str] | None
    problem: str | None = None
    repairs: tuple[Repair, ...] = ()
    unreadable: bool = False  # the stream broke here: this record stands for the unread rest

    @property
    def blank(self) -> bool:
        return self.cells is not None and not any(cell.strip() for cell in self.cells)


def best_delimiter(head_text: str, score: Callable[[list[str]], int], rows: int = 20) -> str:
    """Comma, unless a semicolon or tab (Excel in many locales, `Unicode text`) finds the header better."""
    best, best_score = ",", 0
    for delimiter in (",", ";", "\t"):
        reader = csv.reader(io.StringIO(head_text, newline=""), delimiter=delimiter, strict=False)
        found = 0
        try:
            for _, cells in zip(range(rows), reader):
                found = max(found, score(cells))
        except csv.Error:
            pass
        if found > best_score:
            best, best_score = delimiter, found
    return best


class CsvFile:
    """A CSV file read as a stream of records, never whole.

    The encoding is decided only from clean evidence (a byte order mark, a UTF-16 NUL pattern);
    otherwise each line is UTF-8, and a line with bytes that are not is repaired on its own: as
    Windows-1252 when its bad bytes look like Excel's ANSI text, else as U+FFFD. Every repair is
    reported with the record, and `repair_notes` turns them into quarantine notes.
    """

    def __init__(self, stream: BinaryIO, score_header: Callable[[list[str]], int],
                 max_line_chars: int | None = None):
        self.problem: str | None = None
        self.delimiter = ","
        self._stream = stream
        self._max_line_chars = max_line_chars or MAX_LINE_CHARS
        self._notes: list[tuple[str, Repair]] = []
        self._more_notes = 0
        self._lines: BoundedLines | None = None
        try:
            self._head = read_head(stream)
        except READ_ERRORS as error:
            self.problem = f"cannot be read ({error})"
            return
        self.encoding = sniff_encoding(self._head)
        self.problem = binary_problem(self._head, self.encoding)
        if self.problem:
            return
        head_text = self._head.decode(self.encoding, errors="replace")
        if separator := _SEPARATOR_LINE.match(head_text.lstrip("\ufeff")):
            self.delimiter = separator.group(1)
        else:
            self.delimiter = best_delimiter(head_text, score_header)

    def records(self) -> Iterator[CsvRecord]:
        """Every record, blank ones included (callers decide what a blank line means)."""
        if self.problem:
            return
        text = io.TextIOWrapper(io.BufferedReader(PrefixedStream(self._head, self._stream)),
                                encoding=self.encoding, errors=_ESCAPE_ERRORS, newline="")
        lines = self._lines = BoundedLines(text, not self.encoding.startswith("utf-16"), self._max_line_chars)
        try:
            yield from self._records(lines)
        finally:
            text.detach()  # the caller's stream stays open

    def _records(self, lines: BoundedLines) -> Iterator[CsvRecord]:
        reader = csv.reader(lines, delimiter=self.delimiter, strict=False)
        first = True
        while True:
            start = lines.number + 1
            lines.quotes = 0
            try:
                cells, problem = next(reader), None
            except StopIteration:
                return
            except csv.Error as error:
                cells = None
                if "field limit" in str(error):
                    problem = f"a cell longer than {MAX_CELL_CHARS:,} characters"
                    lines.skip_open_quote()
                else:
                    problem = f"not valid CSV ({error})"
            except (*READ_ERRORS, UnicodeError) as error:
                yield CsvRecord(start, start, None, f"the rest of the file cannot be read ({error})", unreadable=True)
                return
            end = lines.number
            if first and cells is not None and _SEPARATOR_LINE.fullmatch(self.delimiter.join(cells)):
                first = False
                continue
            first = False
            touched = range(start, end + 1)
            if not lines.overlong.isdisjoint(touched):
                cells, problem = None, f"a line longer than {self._max_line_chars:,} characters: not a row"
            elif not lines.binary.isdisjoint(touched):
                cells, problem = None, "holds NUL bytes (binary data), not text"
            repairs = tuple(lines.repairs.pop(number) for number in touched if number in lines.repairs)
            yield CsvRecord(start, end, cells, problem, repairs)

    def note_repairs(self, location: str, record: CsvRecord) -> None:
        """Remembers what was repaired in the record at `location`, for `repair_notes`."""
        for repair in record.repairs:
            if len(self._notes) < MAX_REPAIR_NOTES:
                self._notes.append((location, repair))
            else:
                self._more_notes += 1

    def repair_notes(self, result: FileResult) -> None:
        """The repairs as notes: one for the whole file when it is plainly Windows-1252 (no line
        was UTF-8, every bad byte read as Windows-1252), else one per repaired row."""
        lines = self._lines
        if not self._notes:
            return
        if lines is not None and not lines.saw_utf8 and all(repair.as_cp1252 for _, repair in self._notes):
            result.note("whole file", "not UTF-8: read as Windows-1252, the encoding Excel on Windows saves CSV in")
            return
        for location, repair in self._notes:
            result.note(location, repair.reason())
        if self._more_notes:
            result.note("whole file", f"{self._more_notes:,} more repairs of bytes that are not UTF-8, as above")


def decode_small_text(data: bytes) -> tuple[str, str | None]:
    """A small whole text file (owner.yaml) and what was repaired in it: the file's encoding
    (BOM, else UTF-8) when it is valid in it, else Windows-1252, else U+FFFD for the bad bytes,
    said in the second value; NotText when it is binary."""
    encoding = sniff_encoding(data[:SNIFF_BYTES])
    problem = binary_problem(data[:SNIFF_BYTES], encoding)
    if problem:
        raise NotText(problem)
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError:
        pass
    if not encoding.startswith("utf-16"):
        try:
            return data.decode("cp1252"), "not UTF-8: read as Windows-1252"
        except UnicodeDecodeError:
            pass
    return data.decode(encoding, errors="replace"), "bytes that are not text were replaced by U+FFFD"


def header_index(header: list[str]) -> dict[str, int]:
    """Column positions by lower-case name; the first of two same-named columns wins."""
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        index.setdefault(name.replace("\ufeff", "").strip().lower(), position)
    return index


class RowRefused(ValueError):
    """A row that cannot be used; the message is the quarantine reason, written for the owner."""


def unexpected(error: BaseException) -> str:
    """The reason for a row a connector failed on in a way nobody foresaw. Only the error's type
    is named: its message may quote the row's content."""
    return f"could not be read (unexpected {type(error).__name__}; please report it)"


def read_logged_csv(stream: BinaryIO, result: FileResult, required: tuple[str, ...], optional: tuple[str, ...],
                    table: str, build: Callable[[dict[str, str], Callable[[str], None]], dict],
                    max_line_chars: int | None = None) -> FileResult:
    """Reads a CSV the owner keeps by hand into `result`: each data row becomes a row of `table`
    (what `build(cells, note)` returns) or one quarantine entry, whatever `build` raises.

    The first non-blank record is the header; rows that are only separators are not rows.
    """
    expected = f"expected CSV with columns {','.join(required)}"
    columns = set(required) | set(optional)
    reader = CsvFile(stream, lambda cells: len({cell.strip().lower() for cell in cells} & columns), max_line_chars)
    if reader.problem:
        result.items = 1
        result.reject("whole file", f"{reader.problem}; {expected}")
        return result
    header: dict[str, int] | None = None
    missing: list[str] = []
    position = 0
    try:
        for record in reader.records():
            if record.unreadable:
                result.items += 1
                result.reject(f"after row {position} (line {record.line})", record.problem)
                break
            if record.blank:
                continue
            if header is None and record.cells is not None:
                header = header_index(record.cells)
                missing = [name for name in required if name not in header]
                continue
            position += 1
            result.items += 1
            location = f"row {position} (line {record.line})"
            reader.note_repairs(location, record)
            if record.cells is None:
                result.reject(location, record.problem)
                continue
            if header is None or missing:
                result.reject(location, f"missing required column(s): {', '.join(missing)}")
                continue
            cells = {name: record.cells[index].strip() if index < len(record.cells) else ""
                     for name, index in header.items()}
            try:
                row = build(cells, lambda reason: result.note(location, reason))
            except RowRefused as refusal:
                result.reject(location, str(refusal))
                continue
            except Exception as error:  # the fault barrier: one row never stops the file
                result.reject(location, unexpected(error))
                continue
            # `line` is kept by tables that report problems found later (decisions.csv).
            result.add(table, {"source_file": result.source_file, "position": position, "line": record.line, **row})
    except Exception as error:  # the fault barrier for the reading itself
        result.items += 1
        result.reject(f"after row {position}", f"the rest of the file {unexpected(error)}")
    reader.repair_notes(result)
    return result


# Spreadsheet programs run a cell starting with one of these as a formula (OWASP "CSV
# injection"); tab and carriage return are on OWASP's list too.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Characters some reader takes as the end of a row, even inside a quoted cell (Python's
# str.splitlines takes all of these; spreadsheets at least CR and LF): after one, a cell's
# next line would start a row of its own, unguarded. They become spaces in what we write.
_ROW_BREAKS = re.compile("[\r\n\t\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
# A plain negative number is a number to a spreadsheet, not a formula: kept as it is.
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def neutralize_csv_cell(value: object) -> str:
    """A cell safe to open in a spreadsheet: line and tab characters become spaces, and text that
    would run as a formula (also behind spaces or as a full-width sign) gets a leading `'`.

    For every CSV the project writes; the connectors themselves keep such cells exactly as given,
    and `unneutralize_csv_cell` takes the `'` off again when the project reads its own file back.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = _ROW_BREAKS.sub(" ", text)
    if _PLAIN_NUMBER.fullmatch(text):
        return text
    first = text.lstrip(" ")[:1]
    if first and unicodedata.normalize("NFKC", first) in FORMULA_TRIGGERS:
        return "'" + text
    return text


def unneutralize_csv_cell(text: str) -> str:
    """A cell as `neutralize_csv_cell` was given it, when it added a `'`."""
    if text.startswith("'"):
        first = text[1:].lstrip(" ")[:1]
        if first and unicodedata.normalize("NFKC", first) in FORMULA_TRIGGERS:
            return text[1:]
    return text
