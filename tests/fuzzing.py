"""Property-based fuzzing of every connector: mutations of real-shaped inputs, and the invariants
each connector must keep on whatever they produce.

Shared by tests/test_fuzz.py (a small derandomised budget run by `make test`, which also replays
every kept regression file) and tests/fuzz_campaign.py (a long randomised campaign that keeps
each new kind of failure it finds as a regression file).
"""
from __future__ import annotations

import gzip
import hashlib
import io
import re
import signal
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from hypothesis import strategies as st

from connectors.records import FileResult
from connectors.sources import SOURCES, Source

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "tests" / "fixtures"
FUZZ_FIXTURES = FIXTURES / "fuzz"
SEEDS = FUZZ_FIXTURES / "seeds"
REGRESSIONS = FUZZ_FIXTURES / "regressions"

# The calendar window the fuzzed calendars are expanded over: the seven years a default run
# covers around its as-of date, so that a runaway recurrence costs what it would in a real run.
CALENDAR_WINDOW = (datetime(2020, 1, 1, tzinfo=timezone.utc), datetime(2027, 1, 1, tzinfo=timezone.utc))

# A connector reads a file of a few kB in milliseconds; one still running after this long has
# run away (an unbounded recurrence, a quadratic loop) and is stopped and reported as hung.
HANG_SECONDS = 20.0
# Slower than this, plus a second per MIN_BYTES_PER_SECOND of input, is reported as slow (the
# campaign's per-example deadline); `make test` uses a wider one, as the machine is shared. The
# rate is a floor far below what the connectors reach on real exports (several MB/s), so only
# a degenerate input (quadratic escapes, backtracking) trips it, not the size of the file.
SLOW_SECONDS = 2.0
MIN_BYTES_PER_SECOND = 1_000_000

# Lengths of the overlong lines inserted. The budget stays under 100 kB so that `make test`
# stays fast; the campaign adds lines past the connectors' 1 MiB line caps (vcard.MAX_LINE_BYTES,
# linkedin.MAX_LINE_CHARS) to reach the code that cuts them.
BUDGET_LONG_LINES = (200, 5_000, 70_000)
CAMPAIGN_LONG_LINES = (*BUDGET_LONG_LINES, 1_100_000)

# Mutations applied on top of one another to a seed: enough to combine, say, a re-encoding
# with a fold inside a multi-byte character, few enough that the result is still mostly valid.
MAX_MUTATIONS = 4

# Every personal value in the hand-made seeds carries one of these (names, emails, notes, the
# UK drama phone range 020 7946 0xxx): a quarantine reason or location holding one quotes
# personal data, which the team's rules forbid.
PERSONAL_MARKERS = ("qzxv", "7946")

# Phrases of Python's and libraries' own messages: a reason holding one was not written for the
# person who has to fix the file (`Got: ''` from icalendar, `list index out of range`, ...), or
# is a bug of ours caught and turned into a quarantine row.
LIBRARY_PHRASES = (
    "got:", "traceback", "nonetype", "object has no attribute", "index out of range",
    "invalid literal for", "unexpected error", "not subscriptable", "unpack", "codec can't",
    "expected string or bytes",
)

# A CamelCase word in a reason is a Python or library type (`OverflowError`, `NoneType`,
# `BadRuleStringFormat`): a bug caught and reported as bad input, or jargon the owner cannot act
# on. These are the CamelCase words a reason may hold.
_INTERNAL_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]*)+\b")
PLAIN_CAMEL_CASE = frozenset({"LinkedIn", "iCalendar", "vCard", "YouTube", "GitHub"})

# ------------------------------------------------------------------------------ targets


@dataclass(frozen=True)
class Target:
    """One connector entry point to fuzz, with what its inputs look like."""

    name: str  # also the folder of its regression files
    source: Source  # the registry entry: the kind, its connector and its per-item table
    family: str  # "folded" (vCard, iCalendar), "csv" or "yaml": which mutations apply
    suffix: str
    fixture_globs: tuple[str, ...] = ()  # existing fixtures (under tests/fixtures) used as seeds too
    vobject_only: bool = False  # every card through vobject, the fast path declined

    @property
    def per_item_table(self) -> str:
        """The table with one row per item read (per VEVENT for calendars)."""
        return self.source.item_table

    def parse(self, data: bytes, source_file: str) -> FileResult:
        if self.vobject_only:
            return self.source.connector().parse_vcards(io.BytesIO(data), source_file, use_fast_path=False)
        return self.source.parse(io.BytesIO(data), source_file, CALENDAR_WINDOW)


# Existing project fixtures that are also seeds, by kind (the hand-made seeds are found by folder).
FIXTURE_SEEDS = {
    "vcard": ("vcard/*.vcf", "tiny_inbox/*.vcf"),
    "calendar": ("ics/*.ics", "tiny_inbox/*.ics"),
    "linkedin_connections": ("linkedin/connections_*.csv", "tiny_inbox/linkedin/Connections.csv"),
    "linkedin_messages": ("linkedin/messages_*.csv", "tiny_inbox/linkedin/messages.csv"),
    "linkedin_invitations": ("linkedin/invitations_*.csv",),
    "linkedin_recommendations_received": ("linkedin/recommendations_received*.csv",),
    "linkedin_recommendations_given": ("linkedin/recommendations_given*.csv",),
    "linkedin_endorsements_received": ("linkedin/endorsements_received*.csv",),
    "linkedin_endorsements_given": ("linkedin/endorsements_given*.csv",),
    "referrals": ("tiny_inbox/referrals.csv",),
    "owner": ("tiny_inbox/owner.yaml",),
}


def _target(source: Source, name: str | None = None, vobject_only: bool = False) -> Target:
    family = "folded" if source.suffixes else "yaml" if source.kind == "owner" else "csv"
    suffix = source.suffixes[0] if source.suffixes else Path(source.file_names[0]).suffix if source.file_names else ".csv"
    return Target(name or source.kind, source, family, suffix, FIXTURE_SEEDS.get(source.kind, ()), vobject_only)


# Every source of the registry (a new one is fuzzed as soon as it has a seed folder), and the
# vCard connector once more with its vobject path forced.
TARGETS: dict[str, Target] = {target.name: target for target in (
    *(_target(source) for source in SOURCES.values()),
    _target(SOURCES["vcard"], "vcard_vobject", vobject_only=True),
)}


def seeds_of(target: Target) -> list[bytes]:
    """The target's hand-made seeds, then the project's existing fixtures of its kind."""
    paths = sorted((SEEDS / target.source.kind).glob("*"))
    for pattern in target.fixture_globs:
        paths += sorted(FIXTURES.glob(pattern))
    return [path.read_bytes() for path in paths if path.is_file()]


# ------------------------------------------------------------------------------ invariants


class Hung(Exception):
    """The connector ran past HANG_SECONDS on one input."""


@contextmanager
def time_limit(seconds: float):
    """Interrupts the block with Hung after `seconds` (SIGALRM, main thread); an alarm already
    set (pytest-timeout's) is put back with the time it had left."""
    def interrupt(signum, frame):
        raise Hung(f"still running after {seconds:g} s")

    previous_handler = signal.signal(signal.SIGALRM, interrupt)
    previous_delay, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:
            signal.setitimer(signal.ITIMER_REAL, max(previous_delay - (time.monotonic() - started), 0.001))


@dataclass(frozen=True)
class Violation:
    """One broken invariant. `signature` names its class (the same bug found twice gives the
    same signature); `detail` is for the person reading the report."""

    signature: str
    detail: str


def _frame_name(frame: traceback.FrameSummary) -> str:
    path = Path(frame.filename)
    parts = path.parts
    if "connectors" in parts:
        return "/".join(parts[parts.index("connectors"):]) + f":{frame.name}"
    if "site-packages" in parts:
        package = parts[parts.index("site-packages") + 1]
        return f"{package}/{path.name}:{frame.name}"
    return f"{path.name}:{frame.name}"


def _exception_signature(error: BaseException) -> str:
    """The exception type, the innermost frame of the project and the innermost frame of all."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if "connectors" in Path(frame.filename).parts]
    places = [_frame_name(frame) for frame in (ours[-1:] + frames[-1:])]
    unique = list(dict.fromkeys(places))
    return f"{type(error).__name__} in {' < '.join(reversed(unique))}"


def _template(reason: str) -> str:
    """A reason with what varies from file to file (numbers, quoted text) taken out."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"|\([^)]*\)", "…", reason)
    text = re.sub(r"\d+", "N", text)
    # The same fault met on DTSTART or on RRULE is one class.
    text = re.sub(r"\b[A-Z][A-Z-]{2,}\b", "PROPERTY", text)
    return text.split(":")[0][:60]


@dataclass
class Outcome:
    result: FileResult | None
    seconds: float
    violations: list[Violation] = field(default_factory=list)


def run_connector(target: Target, data: bytes, slow_seconds: float = SLOW_SECONDS,
                  hang_seconds: float = HANG_SECONDS) -> Outcome:
    """Parses `data` with the target's connector and checks every invariant on what it returns."""
    source_file = "fuzzed" + target.suffix
    started = time.perf_counter()
    try:
        with time_limit(hang_seconds):
            result = target.parse(data, source_file)
    except Hung as error:
        return Outcome(None, time.perf_counter() - started, [Violation(f"{target.name}: hangs", str(error))])
    except Exception as error:  # noqa: BLE001 - any exception is the finding
        detail = "".join(traceback.format_exception(error)[-6:])
        return Outcome(None, time.perf_counter() - started,
                       [Violation(f"{target.name}: raises {_exception_signature(error)}", detail)])
    seconds = time.perf_counter() - started
    outcome = Outcome(result, seconds, list(_violations(target, result, source_file)))
    if seconds > slow_seconds + len(data) / MIN_BYTES_PER_SECOND:
        outcome.violations.append(Violation(f"{target.name}: slow", f"{seconds:.2f} s on {len(data):,} bytes"))
    return outcome


def _violations(target: Target, result: FileResult, source_file: str):
    name = target.name
    if not isinstance(result, FileResult):
        yield Violation(f"{name}: returns no FileResult", repr(type(result)))
        return
    item_rows = len(result.rows.get(target.per_item_table, []))
    if result.items != item_rows + result.quarantined:
        yield Violation(f"{name}: items != rows + quarantined",
                        f"items {result.items}, {target.per_item_table} rows {item_rows}, quarantined {result.quarantined}; "
                        f"quarantine {[(q.location, q.reason, q.scope) for q in result.quarantine][:5]}")
    for table, rows in result.rows.items():
        if any(row.get("source_file") != source_file for row in rows):
            yield Violation(f"{name}: a {table} row names another source_file", table)
    seen = set()
    for entry in result.quarantine:
        found = []
        if entry.source_file != source_file:
            found.append(Violation(f"{name}: a quarantine row names another source_file", entry.source_file))
        if not (isinstance(entry.location, str) and entry.location.strip()):
            found.append(Violation(f"{name}: a quarantine row without location", repr(entry)))
        elif not re.search(r"\d|file|key", entry.location):  # a line, a card, a row, a YAML key
            found.append(Violation(f"{name}: a quarantine location names no place", entry.location))
        if not (isinstance(entry.reason, str) and entry.reason.strip()):
            found.append(Violation(f"{name}: a quarantine row without reason", repr(entry)))
        else:
            lowered = f"{entry.location} {entry.reason}".lower()
            if any(marker in lowered for marker in PERSONAL_MARKERS):
                found.append(Violation(f"{name}: reason quotes personal data: {_template(entry.reason)}", entry.reason))
            phrase = next((p for p in LIBRARY_PHRASES if p in entry.reason.lower()), None)
            if phrase:
                found.append(Violation(f"{name}: reason is a library's message ({phrase}): {_template(entry.reason)}",
                                       entry.reason))
            internal = [word for word in _INTERNAL_NAME.findall(entry.reason) if word not in PLAIN_CAMEL_CASE]
            if internal:
                found.append(Violation(f"{name}: reason names an internal type ({internal[0]}): {_template(entry.reason)}",
                                       entry.reason))
        if entry.scope not in ("file", "item", "property"):
            found.append(Violation(f"{name}: a quarantine row of unknown scope", entry.scope))
        for violation in found:
            if violation.signature not in seen:
                seen.add(violation.signature)
                yield violation


# ------------------------------------------------------------------------------ mutations
#
# Each mutation takes hypothesis's `draw` and the bytes so far, and returns new bytes. They work
# on bytes, not text, so that they can break encodings as a real file would be broken.

def _offset(draw, data: bytes, end_inclusive: bool = True) -> int:
    return draw(st.integers(0, len(data) if end_inclusive else max(len(data) - 1, 0)))


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def _line_index(draw, lines: list[bytes]) -> int:
    return draw(st.integers(0, len(lines) - 1))


def duplicate_line(draw, data):
    lines = _lines(data)
    index = _line_index(draw, lines)
    lines.insert(draw(st.integers(0, len(lines))), lines[index])
    return b"".join(lines)


def drop_line(draw, data):
    lines = _lines(data)
    del lines[_line_index(draw, lines)]
    return b"".join(lines)


def move_line(draw, data):
    lines = _lines(data)
    line = lines.pop(_line_index(draw, lines))
    lines.insert(draw(st.integers(0, len(lines))), line)
    return b"".join(lines)


def truncate(draw, data):
    return data[:_offset(draw, data)]


def flip_byte(draw, data):
    if not data:
        return data
    at = _offset(draw, data, end_inclusive=False)
    return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]


# What real files are seen to hold by accident: NUL and other C0 controls, DEL, Windows' EOF
# (SUB), NEL and the Unicode line and paragraph separators, a BOM in the middle, lone CR / LF.
CONTROL_BYTES = (b"\x00", b"\x01", b"\x08", b"\x0b", b"\x0c", b"\x1a", b"\x1b", b"\x7f", b"\xc2\x85",
                 b"\xe2\x80\xa8", b"\xe2\x80\xa9", b"\xef\xbb\xbf", b"\xff\xfe", b"\r", b"\n", b"\t", b"\x00" * 8)


def insert_control(draw, data):
    at = _offset(draw, data)
    return data[:at] + draw(st.sampled_from(CONTROL_BYTES)) + data[at:]


# Text as contacts and calendars hold it: accents, Greek, Cyrillic, CJK, an emoji sequence with
# a zero-width joiner, combining marks and a right-to-left mark.
NON_ASCII = ("Zoë", "Ελένη", "Дмитрий", "東京都", "👩🏽\u200d💻", "e\u0301\u0308", "\u200fשלום", "ß", "Ǆ")


def insert_text(draw, data):
    at = _offset(draw, data)
    return data[:at] + draw(st.sampled_from(NON_ASCII)).encode("utf-8") + data[at:]


ENCODINGS = ("cp1252", "cp1253", "koi8-r", "shift_jis", "latin-1", "utf-16", "utf-16-le", "utf-16-be",
             "utf-8-sig", "utf-32", "mac-roman", "gb18030")


def reencode(draw, data):
    """The text re-saved in another charset, as Excel, Outlook or an old phone would."""
    text = data.decode("utf-8", errors="replace")
    return text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


LINE_ENDS = (b"\n", b"\r\n", b"\r", b"\r\r\n", b"\n\r")


def change_line_ends(draw, data):
    end = draw(st.sampled_from(LINE_ENDS))
    return end.join(re.split(rb"\r\n|\r|\n", data))


def splice(draw, data):
    """A piece of the file copied elsewhere in it (two exports pasted together, a bad merge)."""
    if not data:
        return data
    start = _offset(draw, data)
    piece = data[start:start + draw(st.integers(1, 400))]
    at = _offset(draw, data)
    return data[:at] + piece + data[at:]


def _long_line(draw, data, lengths, head: bytes, filler: bytes):
    lines = _lines(data)
    length = draw(st.sampled_from(lengths))
    line = head + filler * (length // len(filler)) + b"\r\n"
    lines.insert(draw(st.integers(0, len(lines))), line)
    return b"".join(lines)


# --- vCard and iCalendar: folded content lines, properties and BEGIN/END blocks

_PROPERTY_LINE = re.compile(rb"^(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)[;:]")


def _property_lines(lines: list[bytes], names=None) -> list[int]:
    found = []
    for index, line in enumerate(lines):
        match = _PROPERTY_LINE.match(line)
        if match and (names is None or match.group(1).upper() in names):
            found.append(index)
    return found


def fold_inside_character(draw, data):
    """A fold (CRLF and a space or tab) inside a multi-byte UTF-8 character, as writers that
    fold at 75 octets without looking at characters do; elsewhere when there is none."""
    inside = [i for i in range(1, len(data)) if 0x80 <= data[i] < 0xC0]
    at = draw(st.sampled_from(inside)) if inside else _offset(draw, data)
    return data[:at] + draw(st.sampled_from((b"\r\n ", b"\r\n\t", b"\n ", b"\r\n  "))) + data[at:]


SINGLE_VALUED = frozenset({
    b"FN", b"N", b"UID", b"VERSION", b"BDAY", b"REV", b"KIND", b"GENDER", b"PRODID", b"ORG", b"TITLE",
    b"DTSTART", b"DTEND", b"DURATION", b"RECURRENCE-ID", b"SEQUENCE", b"STATUS", b"ORGANIZER", b"SUMMARY",
    b"RRULE", b"TZID", b"DTSTAMP", b"METHOD", b"TZOFFSETFROM", b"TZOFFSETTO", b"TRANSP", b"LOCATION",
})


def duplicate_single_valued(draw, data):
    """A second DTSTART, FN, UID, ... in the same card or event, with the same or another value."""
    lines = _lines(data)
    candidates = _property_lines(lines, SINGLE_VALUED)
    if not candidates:
        return data
    index = draw(st.sampled_from(candidates))
    line = lines[index]
    if draw(st.booleans()):
        line = _with_value(draw, line)
    lines.insert(index + draw(st.integers(0, 3)), line)
    return b"".join(lines)


# Values real exporters (or their bugs) write, by property: impossible dates, runaway and
# contradictory recurrences, empty and malformed addresses, broken quoted-printable and base64.
TRICKY_VALUES = {
    b"DTSTART": (b"20240230T100000", b"00010101T000000", b"99991231T235959Z", b"2024-01-01", b"20240101",
                 b"20240101T1000", b"20240101T250000", b"", b"20240101T100000+0100", b"20240101T100000ZZ"),
    b"DTEND": (b"19991231T000000Z", b"20240101", b"", b"x"),
    b"RECURRENCE-ID": (b"20240101T100000Z", b"", b"20240230"),
    b"RRULE": (b"FREQ=SECONDLY", b"FREQ=MINUTELY;INTERVAL=1", b"FREQ=DAILY;INTERVAL=0", b"FREQ=WEEKLY;COUNT=0",
               b"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", b"FREQ=MONTHLY;BYSETPOS=400", b"FREQ=DAILY;UNTIL=19000101",
               b"FREQ=HOURLY;COUNT=100000000", b"FREQ=WEEKLY;BYDAY=XX", b"FREQ=", b"",
               b"FREQ=DAILY;UNTIL=20250101T000000Z;COUNT=3", b"FREQ=DAILY;UNTIL=20250101", b"FREQ=MONTHLY;BYDAY=5FR"),
    b"DURATION": (b"-P1D", b"P99999999W", b"PT", b"P", b"PT1H30"),
    b"EXDATE": (b"20240101T100000Z,garbage", b"", b"20240108"),
    b"RDATE": (b"20240101T100000Z/PT1H", b"20240101/20240102", b"", b"nonsense"),
    b"ATTENDEE": (b"mailto:", b"MAILTO:a@", b"urn:uuid:1", b"", b"mailto:a@b@c", b"invalid"),
    b"ORGANIZER": (b"mailto:", b"", b"CN=x"),
    b"TZID": (b"", b"Europe/Nowhere", b"+0100"),
    b"TZOFFSETFROM": (b"+2500", b"garbage", b""),
    b"TZOFFSETTO": (b"+2500", b"-0000", b""),
    b"N": (b";;;;;;;;", b"", b"\\", b";"),
    b"FN": (b"\\", b"", b"=C3", b"\\n\\n"),
    b"BDAY": (b"--0229", b"0000-00-00", b"19991332", b"20240230", b"--12", b"T102200Z", b"", b"1e400"),
    b"TEL": (b"tel:+", b"+", b"", b";;;", b"+" + b"9" * 40),
    b"EMAIL": (b"@", b"a@b@c", b"", b"mailto:", b"<a@b>"),
    b"URL": (b"http://[", b"linkedin.com/in/", b"https://www.linkedin.com/in/%ZZ", b""),
    b"ADR": (b";;;;;;;;;;;", b"", b"\\;"),
    b"VERSION": (b"5.0", b"", b"2.1", b"4.0", b"3.0"),
}
GENERIC_TRICKY_VALUES = (b"", b"\\", b"=", b"=ZZ", b"=C3=", b";;;", b",,,", b"\"", b":", b"=\r\n")


def _with_value(draw, line: bytes) -> bytes:
    match = _PROPERTY_LINE.match(line)
    name = match.group(1).upper() if match else b""
    values = TRICKY_VALUES.get(name, GENERIC_TRICKY_VALUES)
    head, separator, _ = line.partition(b":")
    end = line[len(line.rstrip(b"\r\n")):] or b"\r\n"
    return head + b":" + draw(st.sampled_from(values)) + end if separator else line


def _rewrite_a_property_line(draw, data: bytes, rewrite) -> bytes:
    """`data` with one of its property lines, drawn, replaced by `rewrite(draw, line)`."""
    lines = _lines(data)
    candidates = _property_lines(lines)
    if not candidates:
        return data
    index = draw(st.sampled_from(candidates))
    lines[index] = rewrite(draw, lines[index])
    return b"".join(lines)


def replace_value(draw, data):
    return _rewrite_a_property_line(draw, data, _with_value)


# Parameters that change how a value is read, some of them broken (unclosed quotes, empty names).
TRICKY_PARAMETERS = (b";CHARSET=koi8-r", b";CHARSET=x-unknown", b";ENCODING=QUOTED-PRINTABLE", b";ENCODING=b",
                     b";ENCODING=BASE64", b";TZID=", b';TZID="unterminated', b";VALUE=DATE", b";VALUE=PERIOD",
                     b";X-EMPTY=", b";=", b";;", b';CN="a:b"', b";TYPE=", b";PREF=x", b";LANGUAGE=")


def _with_parameter(draw, line: bytes) -> bytes:
    at = _PROPERTY_LINE.match(line).end() - 1  # just before the first ; or :
    return line[:at] + draw(st.sampled_from(TRICKY_PARAMETERS)) + line[at:]


def add_parameter(draw, data):
    return _rewrite_a_property_line(draw, data, _with_parameter)


COMPONENTS = (b"VCARD", b"VCALENDAR", b"VEVENT", b"VTIMEZONE", b"STANDARD", b"DAYLIGHT", b"VALARM", b"VTODO")


def unbalance(draw, data):
    """A BEGIN or END line added or dropped, or a whole block nested inside another."""
    lines = _lines(data)
    choice = draw(st.integers(0, 2))
    if choice == 0:
        word = draw(st.sampled_from((b"BEGIN", b"END", b"begin", b"End")))
        lines.insert(draw(st.integers(0, len(lines))), word + b":" + draw(st.sampled_from(COMPONENTS)) + b"\r\n")
    elif choice == 1:
        markers = [i for i, line in enumerate(lines) if line.upper().startswith((b"BEGIN:", b"END:"))]
        if markers:
            del lines[draw(st.sampled_from(markers))]
    else:
        begins = [i for i, line in enumerate(lines) if line.upper().startswith(b"BEGIN:")]
        if begins:
            start = draw(st.sampled_from(begins))
            component = lines[start].rstrip(b"\r\n").split(b":", 1)[1].upper()
            end = next((i for i in range(start + 1, len(lines))
                        if lines[i].rstrip(b"\r\n").upper() == b"END:" + component), len(lines) - 1)
            block = lines[start:end + 1]
            at = draw(st.integers(0, len(lines)))
            lines[at:at] = block
    return b"".join(lines)


def long_property_line(draw, data, lengths=BUDGET_LONG_LINES):
    head = draw(st.sampled_from((b"NOTE:", b"DESCRIPTION:", b"X-LONG;X=y:", b"FN:", b"ATTENDEE;CN=", b"PHOTO;ENCODING=b:")))
    return _long_line(draw, data, lengths, head, draw(st.sampled_from((b"a", b"\xc3\xa9", b"ab,cd;", b"\\"))))


# --- CSV: cells, quotes, delimiters, headers

def _split_csv_line(line: bytes) -> tuple[list[bytes], bytes]:
    body = line.rstrip(b"\r\n")
    return body.split(b","), line[len(body):]


def extra_cell(draw, data):
    lines = _lines(data)
    index = _line_index(draw, lines)
    cells, end = _split_csv_line(lines[index])
    cells.insert(draw(st.integers(0, len(cells))), draw(st.sampled_from((b"", b"extra", b'"quoted, cell"', b"\xc3\xa9"))))
    lines[index] = b",".join(cells) + end
    return b"".join(lines)


def missing_cell(draw, data):
    lines = _lines(data)
    index = _line_index(draw, lines)
    cells, end = _split_csv_line(lines[index])
    if len(cells) > 1:
        del cells[draw(st.integers(0, len(cells) - 1))]
    lines[index] = b",".join(cells) + end
    return b"".join(lines)


def insert_quote(draw, data):
    """A stray, doubled or unclosed quote, or a quoted cell broken over lines."""
    at = _offset(draw, data)
    return data[:at] + draw(st.sampled_from((b'"', b'""', b'"\n', b'"a\r\nb"', b"'", b'\\"'))) + data[at:]


def change_delimiter(draw, data):
    delimiter = draw(st.sampled_from((b";", b"\t", b"|", b", ", b"")))
    return data.replace(b",", delimiter)


def _header_index(lines: list[bytes]) -> int:
    """The header is the first line with two or more commas (LinkedIn puts a preamble above it)."""
    return next((i for i, line in enumerate(lines) if line.count(b",") >= 2), 0)


def change_header(draw, data):
    """A column renamed, dropped, duplicated, re-cased or padded; a preamble or BOM added."""
    lines = _lines(data)
    index = _header_index(lines)
    cells, end = _split_csv_line(lines[index])
    choice = draw(st.integers(0, 6))
    column = draw(st.integers(0, len(cells) - 1))
    if choice == 0:
        cells[column] = cells[column].upper() if draw(st.booleans()) else cells[column].lower()
    elif choice == 1:
        cells[column] = b" " + cells[column] + b" "
    elif choice == 2:
        del cells[column]
    elif choice == 3:
        cells.insert(column, cells[column])
    elif choice == 4:
        cells[column] = draw(st.sampled_from((b"", b"Unknown", b'"First Name"', b"Nom", b"\xef\xbb\xbfFirst Name")))
    elif choice == 5:
        lines.insert(index, draw(st.sampled_from((b"Notes:\r\n", b"\r\n", b'"a note, with a comma"\r\n', b",,,\r\n"))))
        return b"".join(lines)
    else:
        return b"\xef\xbb\xbf" + data
    lines[index] = b",".join(cells) + end
    return b"".join(lines)


# Cell values exporters and hand-edits produce: dates in other orders, impossible or infinite
# numbers, formulas, whitespace only.
TRICKY_CELLS = (b"", b" ", b"31/31/2024", b"2024-02-30", b"0000-00-00", b"inf", b"1e400", b"nan", b"-1", b"5.5",
                b"=HYPERLINK(\"x\")", b"@SUM(A1)", b"\xc2\xa0", b"NULL", b"9" * 30, b"12/15/24, 7:47 AM",
                b"2024/12/07 14:51:07 UTC", b"16 Dec 2024", b"https://www.linkedin.com/in/", b"urn:li:member:1")


def replace_cell(draw, data):
    lines = _lines(data)
    index = _line_index(draw, lines)
    cells, end = _split_csv_line(lines[index])
    cells[draw(st.integers(0, len(cells) - 1))] = draw(st.sampled_from(TRICKY_CELLS))
    lines[index] = b",".join(cells) + end
    return b"".join(lines)


def long_cell(draw, data, lengths=BUDGET_LONG_LINES):
    return _long_line(draw, data, lengths, draw(st.sampled_from((b"a,b,", b'"', b""))), b"x")


# --- YAML (owner.yaml)

# Values of the wrong shape or type, YAML features a hand-edited file can hold (tags, anchors
# and aliases, a small alias fan-out, flow collections, multi-document streams).
YAML_VALUES = (b"[a, [b, [c]]]", b"{a: 1}", b"~", b"null", b"!!binary aGVsbG8=", b"!!python/object:os.system x",
               b"2024-01-01", b"1e400", b"&a [*a]", b"*undefined", b"'unclosed", b"|\n  block\n  text", b"yes",
               b"0x1F", b".inf", b"[]", b"{}", b"\"\\x00\"", b"- a\n- b")


def yaml_value(draw, data):
    lines = _lines(data)
    keyed = [i for i, line in enumerate(lines) if re.match(rb"^\s*[\w-]+\s*:", line)] or [0]
    index = draw(st.sampled_from(keyed))
    key = lines[index].split(b":", 1)[0] if b":" in lines[index] else draw(st.sampled_from((b"name", b"emails")))
    lines[index] = key + b": " + draw(st.sampled_from(YAML_VALUES)) + b"\n"
    return b"".join(lines)


def yaml_structure(draw, data):
    """Whole-document changes: a second document, a list at the top, a small alias fan-out
    (bounded: a real billion-laughs bomb would only measure the machine), deep nesting."""
    choice = draw(st.integers(0, 4))
    if choice == 0:
        return data + b"\n---\n" + data
    if choice == 1:
        return b"- " + data.replace(b"\n", b"\n  ")
    if choice == 2:
        levels = draw(st.integers(1, 5))
        lines = [b"a0: &a0 [x, x, x, x]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]".encode()
                                            for i in range(1, levels + 1)]
        return b"\n".join(lines) + f"\nname: *a{levels}\n".encode() + data
    if choice == 3:
        depth = draw(st.integers(1, 200))
        return data + b"\nemails: " + b"[" * depth + b"a@example.com" + b"]" * depth + b"\n"
    return data.replace(b"\n", b"\n\t", 1)


GENERIC_MUTATIONS = (duplicate_line, drop_line, move_line, truncate, flip_byte, insert_control, insert_text,
                     reencode, change_line_ends, splice)
FAMILY_MUTATIONS = {
    "folded": (fold_inside_character, duplicate_single_valued, replace_value, add_parameter, unbalance,
               long_property_line),
    "csv": (extra_cell, missing_cell, insert_quote, change_delimiter, change_header, replace_cell, long_cell),
    "yaml": (yaml_value, yaml_structure),
}
_LONG_LINE_MUTATIONS = (long_property_line, long_cell)


@st.composite
def mutated_inputs(draw, target: Target, long_lines: tuple[int, ...] = BUDGET_LONG_LINES):
    """A seed of the target's kind with one to MAX_MUTATIONS mutations applied in turn."""
    data = draw(st.sampled_from(seeds_of(target)))
    mutations = FAMILY_MUTATIONS[target.family] + GENERIC_MUTATIONS
    for _ in range(draw(st.integers(1, MAX_MUTATIONS))):
        mutation = draw(st.sampled_from(mutations))
        data = mutation(draw, data, long_lines) if mutation in _LONG_LINE_MUTATIONS else mutation(draw, data)
    return data


# ------------------------------------------------------------------------------ regressions


# A kept input larger than this (an overlong line the minimiser could not cut, since the cut is
# the point) is stored gzipped, so that the repository does not carry megabytes of filler.
MAX_PLAIN_REGRESSION_BYTES = 64 * 1024


def regression_files() -> list[Path]:
    return sorted(path for path in REGRESSIONS.glob("*/*") if path.is_file() and path.parent.name in TARGETS)


def target_of(path: Path) -> Target:
    return TARGETS[path.parent.name]


def read_regression(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def write_regression(target: Target, signature: str, data: bytes) -> Path:
    folder = REGRESSIONS / target.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / regression_name(signature, data, target)
    if len(data) > MAX_PLAIN_REGRESSION_BYTES:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data, mtime=0))
    else:
        path.write_bytes(data)
    return path


def regression_name(signature: str, data: bytes, target: Target) -> str:
    """A file name saying what broke, unique per input."""
    slug = re.sub(r"[^a-z0-9]+", "-", signature.split(":", 1)[1].lower()).strip("-")[:70]
    return f"{slug}-{hashlib.sha1(data).hexdigest()[:8]}{target.suffix}"


def minimize(target: Target, data: bytes, signature: str, budget_seconds: float = 60.0) -> bytes:
    """The smallest input found (lines, then byte runs removed greedily) that still shows the
    violation `signature`: hypothesis shrinks the choices it made, not the bytes they produced."""
    deadline = time.monotonic() + budget_seconds

    def still_fails(candidate: bytes) -> bool:
        outcome = run_connector(target, candidate, hang_seconds=min(HANG_SECONDS, 5.0)
                                if "hangs" not in signature else HANG_SECONDS)
        return any(v.signature == signature for v in outcome.violations)

    for unit in ("lines", 64, 8, 1):
        changed = True
        while changed and time.monotonic() < deadline:
            changed = False
            pieces = _lines(data) if unit == "lines" else [data[i:i + unit] for i in range(0, len(data), unit)]
            index = 0
            while index < len(pieces) and time.monotonic() < deadline:
                candidate = b"".join(pieces[:index] + pieces[index + 1:])
                if candidate != data and still_fails(candidate):
                    data, pieces, changed = candidate, pieces[:index] + pieces[index + 1:], True
                else:
                    index += 1
    return data

