"""Finds what the owner dropped in the inbox, at any depth, and reads archives member by member.

Nothing is extracted to disk: archive members are streamed from the zip, which is opened once
and kept open until the inbox is closed. Only regular files are read (a named pipe or a link
to a device would block or never end); symbolic links to folders are followed once. Files
with the same content (a LinkedIn zip next to the same files unpacked, one vCard exported
twice) are read once; the later copies are listed with `duplicate_of` so their data counts once.
What strongties itself wrote (the published warehouse, its address book, its working files)
is listed as `own_output` and never read back. A file whose size, times and inode are those of
last run keeps last run's hash without being read again (see `change_key`): only its first
bytes are read, to recognise its kind.
"""
from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable, Iterable, Mapping

from connectors.records import Quarantine
from connectors.sources import ARCHIVE, HEAD_BYTES, NOT_USED, OWN_OUTPUT, is_linkedin_export, recognise
from connectors.sources import LINKEDIN_FILE_KINDS  # noqa: F401 (where tests of the LinkedIn connector look for it)

ARCHIVE_MEMBER_SEPARATOR = "!"
# An archive member that inflates beyond this, or by more than this ratio, is treated as a
# compression bomb: a real LinkedIn export of 30k connections and 100k messages stays far below.
MAX_MEMBER_BYTES = 2 * 1024**3
# Except a mailbox: Google Takeout writes all mail as one mbox member, tens of gigabytes for a
# long-used account (Takeout's own archive size limit is 50 GB); the ratio check still applies.
MAX_MAIL_MEMBER_BYTES = 64 * 1024**3
MAIL_MEMBER_SUFFIXES = (".mbox",)
# The ratio of the bomb rule above: the sample inbox's vCard, mbox and calendar deflate 5 to 11
# times, so a member that claims 200 times its packed size is made to fill memory, not to be read.
MAX_COMPRESSION_RATIO = 200
# Below this size a high ratio is harmless (a CSV of repeated commas compresses 1000x).
RATIO_CHECK_MIN_BYTES = 10 * 1024**2
# Files are hashed and archive members buffered in 1 MiB reads: memory stays flat on a
# multi-gigabyte mbox while the per-read overhead is amortised.
HASH_CHUNK_BYTES = 1024 * 1024
# A zip inside a zip (a LinkedIn or Takeout export zipped again) is read in memory, one level
# deep; LinkedIn exports weigh tens of megabytes, so this leaves a wide margin without letting
# one nested archive take the machine's memory.
MAX_NESTED_ARCHIVE_BYTES = 512 * 1024**2
MAX_ARCHIVE_DEPTH = 1
_MEMBER_READ_ERRORS = (zipfile.BadZipFile, OSError, RuntimeError, EOFError, zlib.error, ValueError)
_FILE_TYPES = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class NotARegularFile(OSError):
    """The path names something other than a regular file (it changed since the scan)."""


@dataclass
class InputFile:
    """One file of the inbox, or one member of an archive in it."""

    path: str  # relative to the inbox, POSIX separators; `archive.zip!member` for members
    kind: str
    size: int
    sha256: str | None  # None for our own outputs, which are not read
    duplicate_of: str | None = None
    # What says the file is unchanged without reading it (see `change_key`); None for our own outputs.
    change_key: str | None = None
    opener: Callable[[], BinaryIO] = field(repr=False, default=lambda: io.BytesIO(b""))

    def open(self) -> BinaryIO:
        return self.opener()


@dataclass
class Inbox:
    files: list[InputFile]
    quarantine: list[Quarantine]
    archives: list[zipfile.ZipFile] = field(default_factory=list, repr=False)

    def readable(self, *kinds: str) -> list[InputFile]:
        """Files of these kinds whose content was not already seen under another path."""
        return [f for f in self.files if f.kind in kinds and f.duplicate_of is None]

    def close(self) -> None:
        for archive in self.archives:
            archive.close()
        self.archives.clear()

    def __enter__(self) -> "Inbox":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def display_name(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 (kept by the OS as surrogates) shown as \\xNN."""
    return os.fsencode(name).decode("utf-8", errors="backslashreplace")


def open_regular_file(path: str | os.PathLike) -> BinaryIO:
    """Opens a regular file for reading; anything else (swapped in since the scan) is refused
    before a byte is read. O_NONBLOCK keeps a named pipe from blocking the open itself."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise NotARegularFile("not a regular file")
        return os.fdopen(descriptor, "rb", buffering=HASH_CHUNK_BYTES)
    except BaseException:
        os.close(descriptor)
        raise


def change_key(found: os.stat_result) -> str:
    """What tells, without reading a file, that it is the one last run hashed: its size, its
    modification and change times to the nanosecond, and its device and inode.

    The trade-off: a file rewritten in place with the same size within the same nanosecond of
    both times (or a tool that restores mtime and the clock the change time) is taken for
    unchanged and not read again. A file edited, copied, replaced, touched or moved to another
    disk changes one of them; in exchange a multi-gigabyte mailbox is not read every run."""
    return f"{found.st_size}:{found.st_mtime_ns}:{found.st_ctime_ns}:{found.st_dev}:{found.st_ino}"


def member_change_key(archive_key: str, info: zipfile.ZipInfo) -> str:
    """A member is unchanged when its archive is, and its CRC and sizes are the same."""
    return f"{archive_key}|{info.CRC:08x}:{info.file_size}:{info.compress_size}"


def _head(stream: BinaryIO) -> bytes:
    """Only the first bytes, the kind is recognised by."""
    with stream:
        head = b""
        while len(head) < HEAD_BYTES:
            chunk = stream.read(HEAD_BYTES - len(head))
            if not chunk:
                break
            head += chunk
        return head


def _digest_and_head(stream: BinaryIO) -> tuple[str, bytes]:
    """The content hash, and the first bytes the kind is recognised by, in one read."""
    digest = hashlib.sha256()
    head = b""
    with stream:
        for chunk in iter(lambda: stream.read(HASH_CHUNK_BYTES), b""):
            if len(head) < HEAD_BYTES:
                head += chunk[:HEAD_BYTES - len(head)]
            digest.update(chunk)
    return digest.hexdigest(), head


def _is_unsafe_member_name(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or (len(name) > 1 and name[1] == ":")


def _kind_of_special_file(mode: int) -> str:
    return next((name for test, name in _FILE_TYPES if test(mode)), "neither a file nor a folder")


class _Scan:
    def __init__(self, root: Path, own_outputs: Iterable[str | os.PathLike],
                 known_hashes: Mapping[str, tuple[str, str]] | None = None):
        self.root = root
        # Last run's (change key, sha256) by path: a file whose key is the same is not hashed again.
        self.known_hashes = known_hashes or {}
        self.files: list[InputFile] = []
        self.quarantine: list[Quarantine] = []
        self.archives: list[zipfile.ZipFile] = []
        # Our own outputs are told apart by device and inode, which also catches them through links.
        self.own_outputs: set[tuple[int, int]] = set()
        for path in own_outputs:
            try:
                found = os.stat(path)
            except OSError:
                continue  # not written yet
            self.own_outputs.add((found.st_dev, found.st_ino))
        self.walked_folders: dict[tuple[int, int], str] = {}

    def refuse(self, path: str, location: str, reason: str) -> None:
        self.quarantine.append(Quarantine(path, location, reason, scope="file"))

    def walk(self, folder: str, relative: str, ancestors: frozenset[tuple[int, int]]) -> None:
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            self.refuse(relative.rstrip("/") or ".", "whole folder", f"folder cannot be read ({error.strerror or type(error).__name__})")
            return
        regular: list[tuple[os.DirEntry, str, os.stat_result]] = []
        folders: list[tuple[str, str, tuple[int, int]]] = []
        for entry in entries:
            path = f"{relative}{display_name(entry.name)}"
            try:
                found = os.stat(entry.path)  # follows links; never opens, so a pipe cannot block it
            except FileNotFoundError:
                self.refuse(path, "whole file", "symbolic link to something that does not exist")
                continue
            except OSError as error:
                self.refuse(path, "whole file", f"cannot be inspected ({error.strerror or type(error).__name__})")
                continue
            identity = (found.st_dev, found.st_ino)
            if identity in self.own_outputs:
                size = found.st_size if stat.S_ISREG(found.st_mode) else 0
                self.files.append(InputFile(path, OWN_OUTPUT, size, None))
            elif stat.S_ISDIR(found.st_mode):
                if identity in ancestors:
                    self.refuse(path, "whole folder", "symbolic link loop: it leads back to a folder that holds it; not followed")
                elif identity in self.walked_folders:
                    self.refuse(path, "whole folder", f"the same folder as {self.walked_folders[identity]}, read there once")
                else:
                    self.walked_folders[identity] = path
                    folders.append((entry.path, f"{path}/", identity))
            elif stat.S_ISREG(found.st_mode):
                regular.append((entry, path, found))
            else:
                self.refuse(path, "whole file", f"not a regular file ({_kind_of_special_file(found.st_mode)}); not read")
        in_linkedin_export = is_linkedin_export({entry.name for entry, _, _ in regular})
        for entry, path, found in regular:
            self.read_file(entry.path, path, found, in_linkedin_export)
        # A folder's own files come before its subfolders', so that the first copy of a file
        # (a zip beside the same files unpacked) is the one nearer the top.
        for full_path, path, identity in folders:
            self.walk(full_path, path, ancestors | {identity})

    def known_digest(self, path: str, key: str) -> str | None:
        known = self.known_hashes.get(path)
        return known[1] if known and known[0] == key and known[1] else None

    def read_file(self, full_path: str, path: str, found: os.stat_result, in_linkedin_export: bool) -> None:
        key = change_key(found)
        digest = self.known_digest(path, key)
        try:
            if digest:
                head = _head(open_regular_file(full_path))
            else:
                digest, head = _digest_and_head(open_regular_file(full_path))
        except OSError as error:
            self.refuse(path, "whole file", f"cannot be read ({error.strerror or error})")
            return
        kind = recognise(path, head, in_linkedin_export)
        self.files.append(InputFile(path, kind, found.st_size, digest, change_key=key,
                                    opener=lambda: open_regular_file(full_path)))
        if kind == ARCHIVE:
            self.read_archive(full_path, path, depth=0, archive_key=key)

    def read_archive(self, source: str | BinaryIO, path: str, depth: int, archive_key: str) -> None:
        try:
            archive = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
            self.refuse(path, "whole file", f"not a readable zip archive ({error})")
            return
        self.archives.append(archive)
        infos = [info for info in archive.infolist() if not info.is_dir()]
        in_linkedin_export = is_linkedin_export([info.filename for info in infos])
        for info in infos:
            self.read_member(archive, info, path, depth, in_linkedin_export, archive_key)

    def read_member(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, archive_path: str, depth: int,
                    in_linkedin_export: bool, archive_key: str) -> None:
        location = f"member {info.filename}"
        if _is_unsafe_member_name(info.filename):
            self.refuse(archive_path, location, "member path escapes the archive folder (zip slip); not read")
            return
        ratio = info.file_size / max(info.compress_size, 1)
        size_limit = MAX_MAIL_MEMBER_BYTES if info.filename.lower().endswith(MAIL_MEMBER_SUFFIXES) else MAX_MEMBER_BYTES
        if info.file_size > size_limit or (info.file_size > RATIO_CHECK_MIN_BYTES and ratio > MAX_COMPRESSION_RATIO):
            self.refuse(archive_path, location, f"inflates to {info.file_size} bytes ({ratio:.0f}x): compression bomb; not read")
            return

        def opener() -> BinaryIO:
            return archive.open(info)

        member_path = f"{archive_path}{ARCHIVE_MEMBER_SEPARATOR}{info.filename}"
        key = member_change_key(archive_key, info)
        digest = self.known_digest(member_path, key)
        try:
            if digest:
                head = _head(opener())
            else:
                digest, head = _digest_and_head(opener())
        except _MEMBER_READ_ERRORS as error:
            self.refuse(archive_path, location, f"member cannot be read ({error})")
            return
        kind = recognise(info.filename, head, in_linkedin_export)
        if kind == ARCHIVE and depth >= MAX_ARCHIVE_DEPTH:
            self.refuse(archive_path, location, "an archive inside an archive inside an archive; "
                                                "unzip the outer archive into the inbox to have it read")
            return
        if kind == ARCHIVE and info.file_size > MAX_NESTED_ARCHIVE_BYTES:
            self.refuse(archive_path, location, f"a nested archive of {info.file_size} bytes, over the "
                                                f"{MAX_NESTED_ARCHIVE_BYTES} read in memory; unzip the outer archive into the inbox")
            return
        self.files.append(InputFile(member_path, kind, info.file_size, digest, change_key=key, opener=opener))
        if kind == ARCHIVE:
            try:
                data = archive.read(info)
            except _MEMBER_READ_ERRORS as error:
                self.refuse(archive_path, location, f"member cannot be read ({error})")
                return
            self.read_archive(io.BytesIO(data), member_path, depth + 1, archive_key=key)


def scan_inbox(root: str | os.PathLike, own_outputs: Iterable[str | os.PathLike] = (),
               known_hashes: Mapping[str, tuple[str, str]] | None = None) -> Inbox:
    """Every file under `root`, in a stable order, each with its kind and content hash.

    `own_outputs` are paths strongties writes (the published warehouse and the files beside
    it, the working database, DAGSTER_HOME): when they sit inside the inbox they are listed
    as `own_output` and not read. `known_hashes` (path → last run's change key and sha256) spares
    reading again what has not changed. Close the returned inbox (or use it in a `with` block) to
    close the archives its members are read from."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"inbox folder {root} does not exist; set STRONGTIES_INBOX to the folder holding your exports")
    scan = _Scan(root, own_outputs, known_hashes)
    top = os.stat(root)
    scan.walked_folders[(top.st_dev, top.st_ino)] = "."
    scan.walk(str(root), "", frozenset({(top.st_dev, top.st_ino)}))
    seen: dict[tuple[str, str], str] = {}
    for input_file in scan.files:
        if input_file.kind in (NOT_USED, ARCHIVE, OWN_OUTPUT):
            continue
        first = seen.setdefault((input_file.kind, input_file.sha256), input_file.path)
        if first != input_file.path:
            input_file.duplicate_of = first
    return Inbox(scan.files, scan.quarantine, scan.archives)
