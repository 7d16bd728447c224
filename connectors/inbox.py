"""Finds what the owner dropped in the inbox, at any depth, and LinkedIn archives member by member.

Nothing is extracted to disk: archive members are streamed from the zip. Files with the same
content (a LinkedIn zip next to the same files unpacked, one vCard exported twice) are read
once; the later copies are listed with `duplicate_of` so that their data counts once.
"""
from __future__ import annotations

import hashlib
import io
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable

from connectors.records import Quarantine

# Exports name their LinkedIn files this way in every era (2018 writes `Messages.csv`).
LINKEDIN_FILE_KINDS = {
    "connections.csv": "linkedin_connections",
    "messages.csv": "linkedin_messages",
    "invitations.csv": "linkedin_invitations",
    "recommendations_received.csv": "linkedin_recommendations_received",
    "recommendations_given.csv": "linkedin_recommendations_given",
    "endorsement_received_info.csv": "linkedin_endorsements_received",
    "endorsement_given_info.csv": "linkedin_endorsements_given",
}
ARCHIVE_MEMBER_SEPARATOR = "!"
# An archive member that inflates beyond this, or by more than this ratio, is treated as a
# compression bomb: a real LinkedIn export of 30k connections and 100k messages stays far below.
MAX_MEMBER_BYTES = 2 * 1024**3
MAX_COMPRESSION_RATIO = 200
# Below this size a high ratio is harmless (a CSV of repeated commas compresses 1000x).
RATIO_CHECK_MIN_BYTES = 10 * 1024**2
HASH_CHUNK_BYTES = 1024 * 1024


@dataclass
class InputFile:
    """One file of the inbox, or one member of an archive in it."""

    path: str  # relative to the inbox, POSIX separators; `archive.zip!member` for members
    kind: str
    size: int
    sha256: str
    duplicate_of: str | None = None
    opener: Callable[[], BinaryIO] = field(repr=False, default=lambda: io.BytesIO(b""))

    def open(self) -> BinaryIO:
        return self.opener()


@dataclass
class Inbox:
    files: list[InputFile]
    quarantine: list[Quarantine]

    def readable(self, *kinds: str) -> list[InputFile]:
        """Files of these kinds whose content was not already seen under another path."""
        return [f for f in self.files if f.kind in kinds and f.duplicate_of is None]


def is_linkedin_folder(file_names: set[str]) -> bool:
    """A LinkedIn export, unpacked or zipped: it holds Connections.csv, or at least two of the
    export's file names (people often keep only messages and invitations)."""
    lowered = {PurePosixPath(name).name.lower() for name in file_names}
    return "connections.csv" in lowered or len(lowered & LINKEDIN_FILE_KINDS.keys()) >= 2


def classify(name: str, in_linkedin_folder: bool) -> str:
    lowered = PurePosixPath(name).name.lower()
    suffix = PurePosixPath(lowered).suffix
    if suffix in (".vcf", ".vcard"):
        return "vcard"
    if suffix in (".ics", ".ical", ".ifb"):
        return "calendar"
    if suffix == ".zip":
        return "archive"
    if lowered == "referrals.csv":
        return "referrals"
    if lowered in ("owner.yaml", "owner.yml"):
        return "owner"
    if lowered == "decisions.csv":
        return "decisions"
    if in_linkedin_folder and lowered in LINKEDIN_FILE_KINDS:
        return LINKEDIN_FILE_KINDS[lowered]
    return "not_used"


class _MemberStream(io.RawIOBase):
    """An archive member read as a stream; closing it closes the archive too."""

    def __init__(self, archive_path: Path, member: str):
        self._archive = zipfile.ZipFile(archive_path)
        self._member = self._archive.open(member)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._member.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._member.close()
            self._archive.close()
        super().close()


def _sha256_of(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    with stream:
        for chunk in iter(lambda: stream.read(HASH_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_unsafe_member_name(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or (len(name) > 1 and name[1] == ":")


def _archive_members(archive_path: Path, relative: str, files: list[InputFile], quarantine: list[Quarantine]) -> None:
    try:
        with zipfile.ZipFile(archive_path) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        quarantine.append(Quarantine(relative, "whole file", f"not a readable zip archive ({error})"))
        return
    in_linkedin_export = is_linkedin_folder({info.filename for info in infos})
    for info in infos:
        member_path = f"{relative}{ARCHIVE_MEMBER_SEPARATOR}{info.filename}"
        if _is_unsafe_member_name(info.filename):
            quarantine.append(Quarantine(relative, f"member {info.filename}", "member path escapes the archive folder (zip slip); not read"))
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER_BYTES or (info.file_size > RATIO_CHECK_MIN_BYTES and ratio > MAX_COMPRESSION_RATIO):
            quarantine.append(Quarantine(relative, f"member {info.filename}",
                                         f"inflates to {info.file_size} bytes ({ratio:.0f}x): compression bomb; not read"))
            continue

        def opener(name: str = info.filename) -> BinaryIO:
            return io.BufferedReader(_MemberStream(archive_path, name), HASH_CHUNK_BYTES)

        try:
            digest = _sha256_of(opener())
        except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, zlib.error) as error:
            quarantine.append(Quarantine(relative, f"member {info.filename}", f"member cannot be read ({error})"))
            continue
        files.append(InputFile(member_path, classify(info.filename, in_linkedin_export), info.file_size, digest, opener=opener))


def scan_inbox(root: str | os.PathLike) -> Inbox:
    """Every file under `root`, in a stable order, each with its kind and content hash."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"inbox folder {root} does not exist; set STRONGTIES_INBOX to the folder holding your exports")
    files: list[InputFile] = []
    quarantine: list[Quarantine] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        in_linkedin_folder = is_linkedin_folder(set(filenames))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            relative = path.relative_to(root).as_posix()
            kind = classify(name, in_linkedin_folder)
            try:
                size = path.stat().st_size
                digest = _sha256_of(path.open("rb"))
            except OSError as error:
                quarantine.append(Quarantine(relative, "whole file", f"cannot be read ({error})"))
                continue
            files.append(InputFile(relative, kind, size, digest, opener=lambda p=path: p.open("rb")))
            if kind == "archive":
                _archive_members(path, relative, files, quarantine)
    seen: dict[tuple[str, str], str] = {}
    for input_file in files:
        if input_file.kind in ("not_used", "archive"):
            continue
        first = seen.setdefault((input_file.kind, input_file.sha256), input_file.path)
        if first != input_file.path:
            input_file.duplicate_of = first
    return Inbox(files, quarantine)
