"""The inbox scan: LinkedIn archives read in place (nested one level deep), duplicate copies
counted once, unsafe archives refused, only regular files read, links and odd names handled."""
from __future__ import annotations

import io
import os
import signal
import time
import zipfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from connectors.inbox import NotARegularFile, scan_inbox
from connectors.linkedin import parse_linkedin_file
from connectors.sources import LINKEDIN_KINDS
from warehouse.ingest import ingest_inbox

FIXTURES = Path(__file__).parent / "fixtures" / "linkedin"
WINDOW = (datetime(2016, 1, 1, tzinfo=timezone.utc), datetime(2028, 1, 1, tzinfo=timezone.utc))
EXPORT_MEMBERS = {
    "Connections.csv": "connections_2024.csv",
    "messages.csv": "messages_2024_dec.csv",
    "Invitations.csv": "invitations_2024_url.csv",
}


def write_export_zip(path: Path, extra: dict[str, bytes] | None = None) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, fixture in EXPORT_MEMBERS.items():
            archive.writestr(member, (FIXTURES / fixture).read_bytes())
        for member, data in (extra or {}).items():
            archive.writestr(member, data)


def test_archive_members_are_classified_and_read_straight_from_the_zip(tmp_path):
    write_export_zip(tmp_path / "Basic_LinkedInDataExport_12-16-2024.zip")
    inbox = scan_inbox(tmp_path)
    members = {f.path: f for f in inbox.readable(*LINKEDIN_KINDS)}
    assert set(members) == {f"Basic_LinkedInDataExport_12-16-2024.zip!{name}" for name in EXPORT_MEMBERS}
    connections = members["Basic_LinkedInDataExport_12-16-2024.zip!Connections.csv"]
    assert connections.kind == "linkedin_connections"
    with connections.open() as stream:
        result = parse_linkedin_file(stream, connections.path, connections.kind)
    assert result.items == 3 and not result.quarantine
    assert result.rows["linkedin_connections"][0]["source_file"] == connections.path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Basic_LinkedInDataExport_12-16-2024.zip"]


def test_a_zip_and_the_same_files_unpacked_count_once(tmp_path):
    write_export_zip(tmp_path / "Basic_LinkedInDataExport_12-16-2024.zip")
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    for member, fixture in EXPORT_MEMBERS.items():
        (unpacked / member).write_bytes((FIXTURES / fixture).read_bytes())
    inbox = scan_inbox(tmp_path)
    readable = inbox.readable(*LINKEDIN_KINDS)
    assert len(readable) == len(EXPORT_MEMBERS)
    copies = [f for f in inbox.files if f.path.startswith("unpacked/")]
    assert len(copies) == len(EXPORT_MEMBERS)
    assert all(f.duplicate_of and f.duplicate_of.endswith(f"!{Path(f.path).name}") for f in copies)


def test_members_escaping_the_archive_folder_are_quarantined_and_the_rest_read(tmp_path):
    write_export_zip(tmp_path / "export.zip", extra={"../../escape.csv": b"a,b\n", "/etc/absolute.csv": b"a,b\n"})
    inbox = scan_inbox(tmp_path)
    refused = {entry.location: entry.reason for entry in inbox.quarantine}
    assert set(refused) == {"member ../../escape.csv", "member /etc/absolute.csv"}
    assert all("zip slip" in reason for reason in refused.values())
    assert len(inbox.readable(*LINKEDIN_KINDS)) == len(EXPORT_MEMBERS)
    assert not any("escape" in f.path or "absolute" in f.path for f in inbox.files)


def test_a_compression_bomb_member_is_quarantined_without_inflating_it(tmp_path):
    bomb = b"0" * (12 * 1024**2)
    write_export_zip(tmp_path / "export.zip", extra={"bomb.csv": bomb})
    inbox = scan_inbox(tmp_path)
    assert [entry.location for entry in inbox.quarantine] == ["member bomb.csv"]
    assert "compression bomb" in inbox.quarantine[0].reason
    assert len(inbox.readable(*LINKEDIN_KINDS)) == len(EXPORT_MEMBERS)


def test_a_member_with_corrupt_compressed_data_is_quarantined(tmp_path):
    archive_path = tmp_path / "export.zip"
    write_export_zip(archive_path)
    data = bytearray(archive_path.read_bytes())
    first_member_data = 30 + len("Connections.csv")  # local file header, then the name, then the data
    for offset in range(first_member_data, first_member_data + 20):
        data[offset] ^= 0xFF
    archive_path.write_bytes(bytes(data))
    inbox = scan_inbox(tmp_path)
    assert [entry.location for entry in inbox.quarantine] == ["member Connections.csv"]


@contextmanager
def fails_instead_of_hanging(seconds: int):
    """A scan that blocks on a pipe would hang the test run: fail the test instead."""
    def give_up(signum, frame):
        raise TimeoutError(f"the scan did not finish in {seconds} s")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def reasons_by_path(inbox) -> dict[str, str]:
    return {entry.source_file: entry.reason for entry in inbox.quarantine}


def test_a_named_pipe_and_a_link_to_a_device_are_quarantined_without_being_opened(tmp_path):
    os.mkfifo(tmp_path / "contacts.vcf")
    os.symlink("/dev/zero", tmp_path / "endless.ics")
    (tmp_path / "referrals.csv").write_text("date,person,direction,kind,value\n")
    with fails_instead_of_hanging(10):
        inbox = scan_inbox(tmp_path)
    reasons = reasons_by_path(inbox)
    assert "not a regular file (a named pipe)" in reasons["contacts.vcf"]
    assert "not a regular file (a character device)" in reasons["endless.ics"]
    assert all(entry.scope == "file" for entry in inbox.quarantine)
    assert [f.path for f in inbox.files] == ["referrals.csv"]


def test_a_file_swapped_for_a_pipe_after_the_scan_is_refused_when_opened(tmp_path):
    (tmp_path / "contacts.vcf").write_text("BEGIN:VCARD\r\nEND:VCARD\r\n")
    inbox = scan_inbox(tmp_path)
    (tmp_path / "contacts.vcf").unlink()
    os.mkfifo(tmp_path / "contacts.vcf")
    with fails_instead_of_hanging(10), pytest.raises(NotARegularFile):
        inbox.files[0].open()


def test_ten_thousand_archive_members_are_scanned_in_a_few_seconds(tmp_path):
    with zipfile.ZipFile(tmp_path / "many.zip", "w", zipfile.ZIP_STORED) as archive:
        for number in range(10_000):
            archive.writestr(f"notes/{number:05}.txt", f"note {number}\n")
    started = time.perf_counter()
    with scan_inbox(tmp_path) as inbox:
        seconds = time.perf_counter() - started
        assert len(inbox.files) == 10_001
        with inbox.files[-1].open() as member:
            assert member.read() == b"note 9999\n"
    # Reopening the archive for every member took 724 s for such a zip (issue 12).
    assert seconds < 5, f"{seconds:.1f} s"


def test_a_file_name_that_is_not_utf8_is_kept_with_its_bytes_escaped_and_read(tmp_path):
    folder = os.fsdecode(bytes(tmp_path) + b"/caf\xe9")
    os.mkdir(folder)
    with open(os.path.join(folder, "referrals.csv"), "w") as handle:
        handle.write("date,person,direction,kind,value\n2026-01-02,ana@example.org,received,intro,3\n")
    connection = duckdb.connect()
    ingest_inbox(connection, str(tmp_path), WINDOW)
    assert connection.execute("SELECT source_file, kind, items FROM raw_inbox_files").fetchall() == [
        ("caf\\xe9/referrals.csv", "referrals", 1)]
    assert connection.execute("SELECT source_file FROM raw_referrals").fetchall() == [("caf\\xe9/referrals.csv",)]


def test_a_linkedin_export_zipped_inside_another_zip_is_read(tmp_path):
    inner = tmp_path / "Basic_LinkedInDataExport_12-16-2024.zip"
    write_export_zip(inner)
    with zipfile.ZipFile(tmp_path / "downloads.zip", "w") as outer:
        outer.write(inner, inner.name)
        outer.writestr("readme.txt", "my exports")
    inner.unlink()
    with scan_inbox(tmp_path) as inbox:
        members = {f.path: f.kind for f in inbox.readable(*LINKEDIN_KINDS)}
        assert members == {f"downloads.zip!{inner.name}!{name}": kind for name, kind in (
            ("Connections.csv", "linkedin_connections"), ("messages.csv", "linkedin_messages"),
            ("Invitations.csv", "linkedin_invitations"))}
        connections = next(f for f in inbox.files if f.path.endswith("Connections.csv"))
        with connections.open() as stream:
            assert parse_linkedin_file(stream, connections.path, connections.kind).items == 3


def test_an_archive_nested_two_levels_deep_is_quarantined_with_the_reason(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as innermost:
        innermost.writestr("Connections.csv", (FIXTURES / "connections_2024.csv").read_bytes())
    middle = io.BytesIO()
    with zipfile.ZipFile(middle, "w") as archive:
        archive.writestr("innermost.zip", buffer.getvalue())
    with zipfile.ZipFile(tmp_path / "outer.zip", "w") as archive:
        archive.writestr("middle.zip", middle.getvalue())
    inbox = scan_inbox(tmp_path)
    assert [(entry.source_file, entry.location) for entry in inbox.quarantine] == [
        ("outer.zip!middle.zip", "member innermost.zip")]
    assert "unzip the outer archive" in inbox.quarantine[0].reason


def test_a_symlinked_folder_is_walked_once_and_a_loop_is_listed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "friends.vcf").write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana\r\nEND:VCARD\r\n")
    inbox_folder = tmp_path / "inbox"
    (inbox_folder / "sub").mkdir(parents=True)
    os.symlink(elsewhere, inbox_folder / "linked")
    os.symlink(elsewhere, inbox_folder / "linked_again")
    os.symlink(inbox_folder, inbox_folder / "sub" / "back_to_top")
    inbox = scan_inbox(inbox_folder)
    assert [(f.path, f.kind) for f in inbox.files] == [("linked/friends.vcf", "vcard")]
    reasons = reasons_by_path(inbox)
    assert "symbolic link loop" in reasons["sub/back_to_top"]
    assert "the same folder as linked" in reasons["linked_again"]


def test_a_folder_the_scan_may_not_open_is_listed_with_the_reason(tmp_path, monkeypatch):
    (tmp_path / "private").mkdir()
    (tmp_path / "referrals.csv").write_text("date,person,direction,kind,value\n")
    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith("private"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    inbox = scan_inbox(tmp_path)
    assert [(q.source_file, q.location, q.reason) for q in inbox.quarantine] == [
        ("private", "whole folder", "folder cannot be read (Permission denied)")]
    assert [f.path for f in inbox.files] == ["referrals.csv"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder whatever its permissions")
def test_an_unreadable_folder_is_listed_not_skipped(tmp_path):
    private = tmp_path / "private"
    private.mkdir()
    private.chmod(0)
    try:
        inbox = scan_inbox(tmp_path)
    finally:
        private.chmod(0o700)
    assert [(q.source_file, q.location) for q in inbox.quarantine] == [("private", "whole folder")]


def _hashes(inbox) -> dict[str, tuple[str, str]]:
    return {f.path: (f.change_key, f.sha256) for f in inbox.files if f.change_key}


def _refuse_to_hash(stream):
    stream.close()
    raise AssertionError("an unchanged file was read whole again")


def test_a_second_scan_of_an_unchanged_file_reuses_its_hash_without_reading_it_whole(tmp_path, monkeypatch):
    import connectors.inbox as inbox_module

    (tmp_path / "box.mbox").write_bytes(b"From a@b Mon Mar  2 09:00:00 2026\nFrom: a@example.org\n\nhi\n" * 50)
    write_export_zip(tmp_path / "export.zip")
    with scan_inbox(tmp_path) as first:
        known = _hashes(first)
    assert {"box.mbox", "export.zip", "export.zip!Connections.csv"} <= set(known)
    monkeypatch.setattr(inbox_module, "_digest_and_head", _refuse_to_hash)
    with scan_inbox(tmp_path, known_hashes=known) as second:
        assert _hashes(second) == known
        assert {f.path: f.kind for f in second.files}["box.mbox"] == "mail"  # the kind still from its head


def test_a_file_rewritten_in_place_is_hashed_again(tmp_path):
    path = tmp_path / "box.mbox"
    path.write_bytes(b"From a@b Mon Mar  2 09:00:00 2026\nFrom: a@example.org\n\nhi\n")
    with scan_inbox(tmp_path) as first:
        known = _hashes(first)
    before = os.stat(path)
    path.write_bytes(b"From a@b Mon Mar  2 09:00:00 2026\nFrom: z@example.org\n\nhi\n")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1))
    with scan_inbox(tmp_path, known_hashes=known) as second:
        [(key, sha256)] = _hashes(second).values()
    assert key != known["box.mbox"][0] and sha256 != known["box.mbox"][1]


def test_an_unchanged_inbox_is_not_hashed_again_by_the_next_ingest(tmp_path, monkeypatch):
    import connectors.inbox as inbox_module

    (tmp_path / "box.mbox").write_bytes(b"From a@b Mon Mar  2 09:00:00 2026\nFrom: a@example.org\nDate: "
                                        b"Mon, 2 Mar 2026 09:00:00 +0000\n\nhi\n")
    connection = duckdb.connect()
    ingest_inbox(connection, str(tmp_path), WINDOW)
    monkeypatch.setattr(inbox_module, "_digest_and_head", _refuse_to_hash)
    again = ingest_inbox(connection, str(tmp_path), WINDOW)
    assert again.files_reused == 1 and again.files_parsed == 0
    assert connection.execute("SELECT count(*) FROM raw_mail_messages").fetchone()[0] == 1
