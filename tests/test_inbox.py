"""The inbox scan: LinkedIn archives read in place, duplicate copies counted once, unsafe archives refused."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from connectors.inbox import LINKEDIN_FILE_KINDS, scan_inbox
from connectors.linkedin import parse_linkedin_file

FIXTURES = Path(__file__).parent / "fixtures" / "linkedin"
LINKEDIN_KINDS = tuple(LINKEDIN_FILE_KINDS.values())
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
