"""The one registry of the sources strongties reads: how each kind of file is recognised, which
connector parses it and which raw tables it fills.

The inbox scan, the ingest, the raw tables' descriptions and the ingest assets all read this
list, so that adding a source (mail is next) means one entry here, its connector and its
staging model. Connectors are imported only when a file of their kind is parsed: icalendar
alone costs a noticeable part of a small run's start-up.
"""
from __future__ import annotations

import codecs
import importlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from types import ModuleType
from typing import BinaryIO

from connectors.records import FileResult

# How many bytes of a file the scan keeps to recognise it by content: a LinkedIn header sits
# after at most a 3-line preamble (~200 bytes in 2018 exports), and our own PRODID on the
# third line of the first card.
HEAD_BYTES = 16 * 1024
# The header is looked for among this many first lines (the preamble plus a margin).
HEADER_SEARCH_LINES = 10
# What strongties writes as PRODID in the address book and calendar it exports
# (warehouse/resolution/export.py), so that a copy of them in the inbox is not read back.
OWN_PRODID_PREFIX = "-//strongties//"
# Kinds the scan gives files that no connector reads.
NOT_USED = "not_used"
ARCHIVE = "archive"
OWN_OUTPUT = "own_output"


def header_key(name: str) -> str:
    """Header cells compared without case, spaces, underscores or a stray byte-order mark."""
    return re.sub(r"[\s_]+", "", name.replace("\ufeff", "")).casefold()


def _keys(*names: str) -> frozenset[str]:
    return frozenset(header_key(name) for name in names)


@dataclass(frozen=True)
class Source:
    """One kind of input file and everything the pipeline needs to know to read it."""

    kind: str
    description: str  # what the owner drops in, as the README names it
    # Raw table → what one row of it is; the first table holds one row per item read, which
    # the conservation check counts (items = rows + quarantined).
    tables: dict[str, str]
    module: str  # the connector, imported on first use
    function: str  # its parse function: (stream, source_file[, extra]) -> FileResult
    takes: str = ""  # "kind" or "window": the extra argument the parse function wants
    suffixes: tuple[str, ...] = ()  # lower-case name endings recognised anywhere
    file_names: tuple[str, ...] = ()  # lower-case exact names
    # Header rows that say a CSV is this kind whatever its name: each alternative is a set of
    # column names that must all appear in one of the first lines.
    headers: tuple[frozenset[str], ...] = ()
    # Exact names that count only inside an export folder (siblings) or with a matching header:
    # a lone `messages.csv` may be anybody's.
    export_file_names: tuple[str, ...] = ()
    # A generator (stream, source_file) yielding row batches and returning the FileResult, for
    # connectors whose files can outgrow memory (a mailbox of many gigabytes): the ingest stores
    # each batch as it comes instead of holding the whole file's rows.
    batches: str = ""

    @property
    def item_table(self) -> str:
        return next(iter(self.tables))

    def connector(self) -> ModuleType:
        return importlib.import_module(self.module)

    def parse_key(self, window: tuple[datetime, datetime]) -> str:
        """Changes whenever a file must be parsed again although its bytes did not change."""
        key = f"{self.kind}/{self.connector().PARSER_VERSION}"
        if self.takes == "window":
            key += f"/{window[0].date()}/{window[1].date()}"
        return key

    def parse(self, stream: BinaryIO, source_file: str, window: tuple[datetime, datetime]) -> FileResult:
        parse = getattr(self.connector(), self.function)
        if self.takes == "kind":
            return parse(stream, source_file, self.kind)
        if self.takes == "window":
            return parse(stream, source_file, *window)
        return parse(stream, source_file)


def _linkedin(kind: str, description: str, table: str, row: str, file_name: str, *headers: frozenset[str]) -> Source:
    return Source(kind, description, {table: row}, "connectors.linkedin", "parse_linkedin_file", takes="kind",
                  headers=headers, export_file_names=(file_name,))


_RECOMMENDATION_HEADER = _keys("First Name", "Last Name", "Job Title", "Creation Date")

SOURCES: dict[str, Source] = {source.kind: source for source in (
    Source("vcard", "vCard 2.1, 3.0 or 4.0 address book (.vcf)",
           {"vcard_cards": "One row per vCard read from the inbox's .vcf files."},
           "connectors.vcard", "parse_vcards", suffixes=(".vcf", ".vcard")),
    Source("calendar", "iCalendar file (.ics)",
           {"calendar_events": "One row per VEVENT read (not quarantined): how many meetings it gave, or why none.",
            "calendar_meetings": "One row per occurrence of every calendar event, recurrences expanded.",
            "calendar_attendees": "People invited to each occurrence, with their answer; rooms left out."},
           "connectors.ics", "parse_calendar", takes="window", suffixes=(".ics", ".ical", ".ifb")),
    _linkedin("linkedin_connections", "LinkedIn Connections.csv", "linkedin_connections",
              "Connections.csv rows from LinkedIn exports, zipped or unpacked, every era.", "connections.csv",
              _keys("First Name", "Last Name", "Connected On")),
    _linkedin("linkedin_messages", "LinkedIn messages.csv", "linkedin_messages",
              "messages.csv rows (content left out: only who, when and which way).", "messages.csv",
              _keys("Conversation ID", "From", "To", "Date"),
              _keys("From", "To", "Date", "Subject", "Content")),
    _linkedin("linkedin_invitations", "LinkedIn Invitations.csv", "linkedin_invitations",
              "Invitations.csv rows: who invited whom, when.", "invitations.csv",
              _keys("From", "To", "Sent At", "Direction")),
    # Both recommendation files have the same header: only their names tell them apart.
    _linkedin("linkedin_recommendations_received", "LinkedIn Recommendations_Received.csv",
              "linkedin_recommendations", "Recommendations given and received.", "recommendations_received.csv",
              _RECOMMENDATION_HEADER),
    _linkedin("linkedin_recommendations_given", "LinkedIn Recommendations_Given.csv",
              "linkedin_recommendations", "Recommendations given and received.", "recommendations_given.csv",
              _RECOMMENDATION_HEADER),
    _linkedin("linkedin_endorsements_received", "LinkedIn Endorsement_Received_Info.csv", "linkedin_endorsements",
              "Skill endorsements given and received.", "endorsement_received_info.csv",
              _keys("Endorsement Date", "Skill Name", "Endorser First Name")),
    _linkedin("linkedin_endorsements_given", "LinkedIn Endorsement_Given_Info.csv", "linkedin_endorsements",
              "Skill endorsements given and received.", "endorsement_given_info.csv",
              _keys("Endorsement Date", "Skill Name", "Endorsee First Name")),
    Source("linkedin_profile", "LinkedIn Profile.csv: the export owner's own name",
           {"linkedin_profile": "The LinkedIn export's own profile (the owner): name and profile URL only."},
           "connectors.linkedin_profile", "parse_linkedin_profile",
           headers=(_keys("First Name", "Last Name", "Headline"),), export_file_names=("profile.csv",)),
    Source("mail", "mail: mbox (Google Takeout, Thunderbird, Apple Mail), .eml files, Maildir folders",
           {"mail_messages": "One row per mail message read (headers only): when, its outcome (personal, or why "
                              "skipped), Message-ID and the one it answers as hashes; no subject, no body.",
            "mail_addresses": "The addresses on each personal mail message, with their role and display name."},
           "connectors.mail", "parse_mail", suffixes=(".mbox", ".eml", ".mbx"), file_names=("mbox",),
           batches="parse_mail_batches"),
    Source("referrals", "referrals.csv, the owner's referral log",
           {"referrals": "The owner's referral log, referrals.csv."},
           "connectors.referrals", "parse_referrals", file_names=("referrals.csv",)),
    Source("cadence", "cadence.csv, the keep-in-touch rhythm the owner sets",
           {"cadence": "The owner's keep-in-touch rhythms, cadence.csv: a person and every how many days."},
           "connectors.cadence", "parse_cadence", file_names=("cadence.csv",)),
    Source("owner", "owner.yaml: who the owner is",
           {"owner": "Who the owner is, from owner.yaml."},
           "connectors.owner", "parse_owner", file_names=("owner.yaml", "owner.yml")),
    Source("decisions", "decisions.csv, the owner's answers on uncertain matches",
           {"decisions": "The owner's answers on uncertain matches, decisions.csv."},
           "connectors.decisions", "parse_decisions", file_names=("decisions.csv",)),
)}

ARCHIVE_SUFFIXES = (".zip",)
LINKEDIN_KINDS = tuple(kind for kind, source in SOURCES.items() if source.module == "connectors.linkedin")
# File name → kind of the CSVs the LinkedIn connector reads.
LINKEDIN_FILE_KINDS = {name: kind for kind in LINKEDIN_KINDS for name in SOURCES[kind].export_file_names}
# Names that make a folder (or archive) a LinkedIn export when enough of them sit together.
LINKEDIN_EXPORT_NAMES = frozenset(
    name for source in SOURCES.values() if source.kind.startswith("linkedin_") for name in source.export_file_names)


def sources_filling(table: str) -> list[Source]:
    return [source for source in SOURCES.values() if table in source.tables]


def table_description(table: str) -> str:
    """A raw table's description from the sources that fill it (the same words are said once)."""
    return " ".join(dict.fromkeys(source.tables[table] for source in sources_filling(table)))


def is_linkedin_export(file_names: set[str] | list[str]) -> bool:
    """A LinkedIn export, unpacked or zipped: it holds Connections.csv, or at least two of the
    export's file names (people often keep only messages and invitations)."""
    lowered = {PurePosixPath(name).name.lower() for name in file_names}
    return "connections.csv" in lowered or len(lowered & LINKEDIN_EXPORT_NAMES) >= 2


def _head_text(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="replace")
    return head.decode("utf-8-sig", errors="replace")


def header_kinds(head: bytes) -> list[str]:
    """The kinds whose header appears among the first lines of `head` (comma, semicolon or tab
    separated, as LinkedIn and Excel in various locales write them)."""
    lines = _head_text(head).splitlines()[:HEADER_SEARCH_LINES]
    found = []
    for line in lines:
        keys = {header_key(cell.strip().strip('"')) for cell in re.split(r"[,;\t]", line)}
        found.extend(kind for kind, source in SOURCES.items()
                     if kind not in found and any(header <= keys for header in source.headers))
    return found


def is_own_output(head: bytes) -> bool:
    """A vCard or iCalendar file strongties itself wrote (its PRODID), wherever it was copied."""
    return f"PRODID:{OWN_PRODID_PREFIX}".upper().encode() in head.upper()


def recognise(name: str, head: bytes, in_linkedin_export: bool) -> str:
    """The kind of a file from its name, the first bytes of its content and whether it sits in
    a LinkedIn export (a folder or archive holding the export's other files)."""
    lowered = PurePosixPath(name).name.lower()
    if lowered.endswith(ARCHIVE_SUFFIXES):
        return ARCHIVE
    for source in SOURCES.values():
        if lowered.endswith(source.suffixes) or lowered in source.file_names:
            if source.suffixes and is_own_output(head):
                return OWN_OUTPUT
            return source.kind
    if lowered.endswith(".csv"):
        by_header = header_kinds(head)
        by_name = [kind for kind in by_header if lowered in SOURCES[kind].export_file_names]
        if by_name:
            return by_name[0]
        # A header shared by two kinds (the recommendation files) needs the name to decide.
        if len(by_header) == 1:
            return by_header[0]
    if in_linkedin_export:
        for source in SOURCES.values():
            if lowered in source.export_file_names:
                return source.kind
    if is_mail_without_suffix(name, head):
        return "mail"
    return NOT_USED


# A Thunderbird folder is an mbox file without extension: a From_ line, then a header field.
_MBOX_HEAD = re.compile(rb"From [^\n]{1,4000}\r?\n[\x21-\x39\x3b-\x7e]+:")
# A Maildir message is a file in cur/ or new/ starting with a header field.
_MAIL_FIELD_HEAD = re.compile(rb"(?:[\x21-\x39\x3b-\x7e]+:[^\n]*\r?\n(?:[ \t][^\n]*\r?\n)*)+", re.ASCII)
_MAIL_FIELDS = re.compile(rb"^(?:from|date|message-id|received|return-path|delivered-to):", re.MULTILINE | re.IGNORECASE)


def is_mail_without_suffix(name: str, head: bytes) -> bool:
    """An mbox without extension (Thunderbird), or a Maildir message (a file in cur/ or new/)."""
    if "." not in PurePosixPath(name).name and _MBOX_HEAD.match(head):
        return True
    parent = PurePosixPath(name).parent.name
    return parent in ("cur", "new") and bool(_MAIL_FIELD_HEAD.match(head)) and bool(_MAIL_FIELDS.search(head))
