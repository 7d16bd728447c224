"""The fast header reader against the stdlib (mailbox.mbox + email.parser.BytesHeaderParser):
the same messages, and for each the same wanted fields with the same raw values."""
from __future__ import annotations

import io
import mailbox
import tempfile
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.mail.headers import WANTED_FIELDS, raw_fields
from connectors.mail.split import RawMessage, iter_mbox, read_single
from data.generate_inbox import write_synthetic_mbox

FIXTURES = Path(__file__).parent / "fixtures" / "mail"


def _universal(value: bytes) -> bytes:
    return value.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def stdlib_fields(message_bytes: bytes) -> list[tuple[str, bytes]]:
    parsed = BytesHeaderParser().parsebytes(message_bytes)
    return [(name.lower(), _universal(value.encode("ascii", "surrogateescape")))
            for name, value in parsed.raw_items() if name.lower() in WANTED_FIELDS]


def ours(data: bytes) -> list[RawMessage]:
    return [found for found in iter_mbox(io.BytesIO(data), chunk_bytes=64) if isinstance(found, RawMessage)]


def assert_same_as_stdlib(path: Path) -> int:
    box = mailbox.mbox(path, create=False)
    try:
        expected = [stdlib_fields(box.get_bytes(key)) for key in box.iterkeys()]
    finally:
        box.close()
    found = ours(path.read_bytes())
    assert len(found) == len(expected)
    for message, fields in zip(found, expected):
        if message.problem and "longer than" in message.problem:
            continue
        assert raw_fields(message.header) == fields, f"message at byte {message.offset}"
    return len(found)


@pytest.mark.parametrize("name", ["takeout_small.mbox", "thunderbird_crlf"])
def test_fixture_mboxes_read_the_same_fields_as_the_stdlib(name):
    assert assert_same_as_stdlib(FIXTURES / name) >= 3


def test_generated_takeout_mbox_reads_the_same_fields_as_the_stdlib(tmp_path):
    path = tmp_path / "all.mbox"
    write_synthetic_mbox(path, 300, seed=11, attachment_bytes=3000)
    assert assert_same_as_stdlib(path) == 300


def test_eml_with_no_blank_line_reads_the_same_fields_as_the_stdlib():
    path = FIXTURES / "no_blank_line.eml"
    with path.open("rb") as handle:
        expected = [(name.lower(), _universal(value.encode("ascii", "surrogateescape")))
                    for name, value in BytesHeaderParser().parse(handle).raw_items() if name.lower() in WANTED_FIELDS]
    with path.open("rb") as handle:
        found = raw_fields(read_single(handle).header)
    assert found == expected
    assert [name for name, _ in found].count("to") == 1  # the To after the body started is not a field


# Lines that probe where the stdlib's parser cuts a header block and how it joins values.
_LINES = st.sampled_from([
    b"From: Ana <ana@example.org>", b"To: a@example.org,", b"  b@example.org", b"\tc@example.org",
    b"Cc:", b"Date: Mon, 2 Mar 2026 09:00:00 +0000", b": no name", b"From someone else",
    b"X-Other: value", b"Not a header line", b"Subject : spaced", b"References: <x@y>",
    b"To:\t=?UTF-8?Q?Zo=C3=AB?= <z@example.net>", b"Caf\xe9: eight bit name", b"Message-ID: <m@x>", b" ",
    b"Reply-To: r@example.org\x00", b"reply-to: second@example.org",
])
_ENDS = st.sampled_from([b"\n", b"\r\n", b"\r"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_LINES, _ENDS), min_size=1, max_size=12))
def test_any_header_block_reads_the_same_fields_as_the_stdlib(lines):
    header = b"".join(line + end for line, end in lines)
    data = b"From x Mon Mar  2 09:00:00 2026\n" + header + b"\nbody\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "box.mbox"
        path.write_bytes(data)
        assert_same_as_stdlib(path)
    single = read_single(io.BytesIO(header + b"\r\nbody\n"))
    assert raw_fields(single.header) == stdlib_fields(header + b"\r\nbody\n")
