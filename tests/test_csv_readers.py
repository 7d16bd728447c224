"""The owner's CSV files (referrals.csv, decisions.csv) and the shared text reader under real-world
shapes and hostile input: every row ends as a row or one quarantine entry, memory stays bounded,
bad bytes are repaired row by row and said so, and what we write cannot run as a formula."""
from __future__ import annotations

import csv
import io
import random
import time
import tracemalloc
from datetime import date
from pathlib import Path

import pytest

import connectors.linkedin as linkedin
import connectors.referrals as referrals_module
import connectors.textfile as textfile
from connectors.decisions import parse_decisions
from connectors.linkedin import FILE_SPECS, parse_linkedin_file
from connectors.owner import parse_owner
from connectors.referrals import parse_referrals
from connectors.textfile import MAX_CELL_CHARS, neutralize_csv_cell, unneutralize_csv_cell

FIXTURES = Path(__file__).parent / "fixtures" / "owner_files"
TODAY = date(2026, 6, 1)
HEADER = b"date,person,direction,kind,value,note\n"


def referrals(data: bytes):
    result = parse_referrals(io.BytesIO(data), "referrals.csv", today=TODAY)
    assert_conserved(result)
    return result


def fixture(name: str):
    with (FIXTURES / name).open("rb") as stream:
        result = parse_referrals(stream, name, today=TODAY)
    assert_conserved(result)
    return result


def assert_conserved(result) -> None:
    rows = sum(len(table) for table in result.rows.values())
    assert result.items == rows + result.quarantined


def items(result) -> list[tuple[str, str]]:
    return [(entry.location, entry.reason) for entry in result.quarantine if entry.scope != "property"]


def notes(result) -> list[tuple[str, str]]:
    return [(entry.location, entry.reason) for entry in result.quarantine if entry.scope == "property"]


class Endless(io.RawIOBase):
    """`size` bytes of one repeated byte, made as they are read: a huge file that is never in memory."""

    def __init__(self, prefix: bytes, size: int, suffix: bytes, fill: bytes = b"x"):
        self._prefix, self._left, self._suffix, self._fill = prefix, size, suffix, fill

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._prefix:
            size = min(len(buffer), len(self._prefix))
            buffer[:size], self._prefix = self._prefix[:size], self._prefix[size:]
            return size
        if self._left:
            size = min(len(buffer), self._left)
            buffer[:size] = self._fill * size
            self._left -= size
            return size
        size = min(len(buffer), len(self._suffix))
        buffer[:size], self._suffix = self._suffix[:size], self._suffix[size:]
        return size


# --- Real-world shapes ------------------------------------------------------------------------

def test_excel_semicolon_file_with_a_sep_line_in_windows_1252_reads_whole_with_one_note():
    result = fixture("referrals_excel_semicolon_cp1252.csv")
    rows = result.rows["referrals"]
    assert [row["person_name"] for row in rows] == ["José Núñez", "Léa Brun"]
    assert rows[0]["note"] == "café chat" and rows[1]["occurred_on"] == "2026-02-05"
    assert items(result) == []
    assert notes(result) == [("whole file", "not UTF-8: read as Windows-1252, the encoding Excel on Windows saves CSV in")]


def test_excel_unicode_text_is_utf16_tab_separated_with_a_quoted_newline():
    result = fixture("referrals_excel_unicode_text.csv")
    rows = result.rows["referrals"]
    assert not result.quarantine
    assert [row["person"] for row in rows] == ["Łucja Brenn", "mia@example.org"]
    assert rows[0]["note"] == "met at the\r\nmeetup, twice"
    assert result.quarantine == [] and rows[1]["person_email"] == "mia@example.org"


def test_utf16_without_a_byte_order_mark_is_recognised():
    data = (HEADER + b"2026-01-05,Cato Brenn,received,intro,3,\n").decode().encode("utf-16-le")
    result = referrals(data)
    assert not result.quarantine and result.rows["referrals"][0]["person_name"] == "Cato Brenn"


def test_old_mac_excel_carriage_return_line_endings_read_whole():
    result = fixture("referrals_mac_excel_cr.csv")
    assert not result.quarantine
    assert [row["note"] for row in result.rows["referrals"]] == [None, "two\rlines"]


def test_byte_order_mark_trailing_separators_and_doubled_quotes_read_whole():
    result = fixture("referrals_bom_trailing_separators.csv")
    assert result.items == 2 and not result.quarantine  # the row of bare separators is no row
    second = result.rows["referrals"][1]
    assert second["person_name"] == "Lund, Pia" and second["kind"] == "job_offer"
    assert second["note"] == 'she said "yes"' and second["position"] == 2


# --- Encoding decided only from clean evidence, else per row (issue 12, item 11) ---------------

def test_one_invalid_byte_is_repaired_in_its_row_only_and_noted():
    result = fixture("referrals_one_bad_row.csv")
    names = [row["person_name"] for row in result.rows["referrals"]]
    assert names == ["Siân Evans", "Zoë Adler", "Anaïs Roux", "Bad \ufffd Bytes"]
    assert items(result) == []
    assert notes(result) == [
        ("row 2 (line 3)", "bytes that are not UTF-8 (line 3, from character 14) were read as Windows-1252"),
        ("row 4 (line 5)", "bytes that are not text in the file's encoding (line 5, from character 16) were replaced by U+FFFD"),
    ]


def test_linkedin_file_with_one_windows_1252_row_keeps_utf8_rows_and_notes_the_repair():
    data = ("First Name,Last Name,Connected On\nSiân,Evans,16 Dec 2024\n".encode()
            + "Zoë,Adler,17 Dec 2024\n".encode("cp1252"))
    result = parse_linkedin_file(io.BytesIO(data), "Connections.csv", "linkedin_connections")
    assert [row["first_name"] for row in result.rows["linkedin_connections"]] == ["Siân", "Zoë"]
    assert notes(result) == [("row 2 (line 3)", "bytes that are not UTF-8 (line 3, from character 3) were read as Windows-1252")]


def test_repair_notes_stop_at_a_bound_and_count_the_rest():
    bad_rows = b"".join(b"2026-01-05,Bad \x81 Byte,received,intro,3,\n" for _ in range(80))
    result = referrals(HEADER + bad_rows)
    assert len(result.rows["referrals"]) == 80
    assert len(notes(result)) == 51
    assert notes(result)[-1] == ("whole file", "30 more repairs of bytes that are not UTF-8, as above")


# --- Bounded memory: streamed, long lines and cells quarantined (issue 12, items 4 and 7) ------

def test_a_20_mb_line_is_quarantined_without_being_held_and_the_next_row_is_read():
    good = b"2026-01-06,Pia Lund,given,client,4,\n"
    stream = io.BufferedReader(Endless(HEADER + b"2026-01-05,", 20 * 1024 * 1024, b"\n" + good))
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = parse_referrals(stream, "referrals.csv", today=TODAY)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_conserved(result)
    assert items(result) == [("row 1 (line 2)", "a line longer than 1,048,576 characters: not a row")]
    assert [row["person_name"] for row in result.rows["referrals"]] == ["Pia Lund"]
    assert peak < 12 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB for a 20 MB line"
    assert time.perf_counter() - started < 10


def test_the_line_limit_holds_for_a_file_that_is_one_line_with_no_newline_at_all(monkeypatch):
    monkeypatch.setattr(textfile, "MAX_LINE_CHARS", 1000)
    result = referrals(HEADER + b"y" * 5000)
    assert items(result) == [("row 1 (line 2)", "a line longer than 1,000 characters: not a row")]


def test_a_cell_over_the_csv_field_limit_quarantines_its_row_and_the_rest_is_read():
    huge = b"n" * (MAX_CELL_CHARS + 10)
    data = (HEADER + b"2026-01-05,Cato Brenn,received,intro,3," + huge + b"\n"
            + b"2026-01-06,Pia Lund,given,client,4,\n")
    result = referrals(data)
    assert items(result) == [("row 1 (line 2)", "a cell longer than 131,072 characters")]
    assert [row["person_name"] for row in result.rows["referrals"]] == ["Pia Lund"]


def test_a_quoted_cell_over_the_limit_spanning_lines_is_skipped_to_its_closing_quote():
    long_quoted = b'"' + b"line of note\n" * 12_000 + b'still the note"'
    data = (HEADER + b"2026-01-05,Cato Brenn,received,intro,3," + long_quoted + b"\n"
            + b"2026-01-06,Pia Lund,given,client,4,\n")
    result = referrals(data)
    assert items(result) == [("row 1 (line 2)", "a cell longer than 131,072 characters")]
    assert [row["person_name"] for row in result.rows["referrals"]] == ["Pia Lund"]
    assert result.rows["referrals"][0]["position"] == 2


def test_a_linkedin_cell_over_the_csv_field_limit_quarantines_only_its_row():
    data = (b"First Name,Last Name,Connected On\nCato," + b"B" * (MAX_CELL_CHARS + 1) + b",16 Dec 2024\n"
            + b"Pia,Lund,17 Dec 2024\n")
    result = parse_linkedin_file(io.BytesIO(data), "Connections.csv", "linkedin_connections")
    assert_conserved(result)
    assert items(result) == [("row 1 (line 2)", "a cell longer than 131,072 characters")]
    assert [row["first_name"] for row in result.rows["linkedin_connections"]] == ["Pia"]


# --- Values said or refused (issue 12, item 11) ------------------------------------------------

@pytest.mark.parametrize("value, reason", [
    ("4.9", "value 4.9 is not a whole number from 1 to 5"),
    ("0", "value 0 is not a whole number from 1 to 5"),
    ("Ana Diaz", "value is not a whole number from 1 to 5"),
])
def test_a_referral_value_that_is_not_a_whole_number_from_1_to_5_is_refused(value, reason):
    result = referrals(HEADER + f"2026-01-05,Cato,received,intro,{value},\n".encode())
    assert items(result) == [("row 1 (line 2)", reason)]


def test_a_referral_value_written_as_a_whole_decimal_is_read():
    result = referrals(HEADER + b"2026-01-05,Cato,received,intro,4.0,\n")
    assert result.rows["referrals"][0]["value"] == 4


@pytest.mark.parametrize("cell, reason", [
    ("0001-01-01", "date 0001-01-01 is before 1900: not a plausible referral date"),
    ("1899-12-31", "date 1899-12-31 is before 1900: not a plausible referral date"),
    ("2062-01-05", "date 2062-01-05 is more than a year ahead: not a plausible referral date"),
    ("31/31/2026", "date 31/31/2026 is not a date: write it as YYYY-MM-DD"),
    ("Ana Diaz", "date is not a date: write it as YYYY-MM-DD"),
])
def test_an_implausible_or_unreadable_referral_date_is_refused(cell, reason):
    result = referrals(HEADER + f"{cell},Cato,received,intro,3,\n".encode())
    assert items(result) == [("row 1 (line 2)", reason)]


def test_referral_dates_from_1900_to_a_year_ahead_are_read():
    result = referrals(HEADER + b"1900-01-01,Cato,received,intro,3,\n2027-05-31,Pia,given,intro,3,\n")
    assert [row["occurred_on"] for row in result.rows["referrals"]] == ["1900-01-01", "2027-05-31"]


def test_refusals_never_quote_a_person_or_a_note():
    data = (HEADER + b"2026-01-05,Cato Brenn,Cato Brenn,intro,3,\n"
            b"Cato Brenn,Cato Brenn,received,intro,3,\n"
            b"2026-01-05,Cato Brenn,received,intro,Cato Brenn,\n")
    result = referrals(data)
    assert len(items(result)) == 3
    assert not any("Cato" in reason for _, reason in items(result))
    decisions = parse_decisions(io.BytesIO(b"left_key,right_key,decision\nvcard:a,vcard:b,Cato Brenn\n"), "decisions.csv")
    assert [entry.reason for entry in decisions.quarantine] == ["decision is neither 'same' nor 'different'"]


# --- Fault barrier (issue 11): nothing escapes, a failing row is one quarantine entry ----------

def test_an_unforeseen_error_in_one_referral_row_quarantines_that_row_only(monkeypatch):
    real = referrals_module.normalize_email

    def fails_on_cato(text):
        if text.startswith("Cato"):
            raise KeyError(text)
        return real(text)

    monkeypatch.setattr(referrals_module, "normalize_email", fails_on_cato)
    result = referrals(HEADER + b"2026-01-05,Cato Brenn,received,intro,3,\n2026-01-06,Pia Lund,given,client,4,\n")
    assert items(result) == [("row 1 (line 2)", "could not be read (unexpected KeyError; please report it)")]
    assert [row["person_name"] for row in result.rows["referrals"]] == ["Pia Lund"]


def test_an_unforeseen_error_in_one_linkedin_row_quarantines_that_row_only(monkeypatch):
    real = linkedin.normalize_email

    def fails_once(text):
        if text == "boom@example.org":
            raise IndexError("boom@example.org")
        return real(text)

    monkeypatch.setattr(linkedin, "normalize_email", fails_once)
    data = (b"First Name,Last Name,Email Address,Connected On\n"
            b"Cato,Brenn,boom@example.org,16 Dec 2024\nPia,Lund,pia@example.org,17 Dec 2024\n")
    result = parse_linkedin_file(io.BytesIO(data), "Connections.csv", "linkedin_connections")
    assert_conserved(result)
    assert items(result) == [("row 1 (line 2)", "could not be read (unexpected IndexError; please report it)")]
    assert not any("boom" in reason for _, reason in items(result))


def test_a_stream_that_breaks_midway_in_a_referral_log_keeps_what_was_read():
    class Breaks(io.RawIOBase):
        def __init__(self):
            self.data = io.BytesIO(HEADER + b"2026-01-05,Cato,received,intro,3,\n" * 5000)

        def readable(self):
            return True

        def readinto(self, buffer):
            if self.data.tell() > 100_000:
                raise OSError("Bad CRC-32")
            return self.data.readinto(buffer)

    result = parse_referrals(io.BufferedReader(Breaks()), "x.zip!referrals.csv", today=TODAY)
    assert_conserved(result)
    assert 0 < len(result.rows["referrals"]) < 5000
    assert items(result)[-1][1] == "the rest of the file cannot be read (Bad CRC-32)"


PARSERS = {
    "referrals": lambda data: parse_referrals(io.BytesIO(data), "referrals.csv", today=TODAY),
    "decisions": lambda data: parse_decisions(io.BytesIO(data), "decisions.csv"),
    "owner": lambda data: parse_owner(io.BytesIO(data), "owner.yaml"),
    **{kind: (lambda data, kind=kind: parse_linkedin_file(io.BytesIO(data), "x.csv", kind)) for kind in FILE_SPECS},
}
SEEDS = {
    "referrals": HEADER + "2026-01-05,Siân,received,intro,3,\"a, b\"\n".encode(),
    "decisions": b"left_key,right_key,decision\nvcard:a,vcard:b,same\n",
    "owner": b"name: Alex\nemails: [a@example.org]\nlinkedin: linkedin.com/in/alex\ntimezone: Europe/Paris\n",
    **{kind: (",".join(column.names[0] for column in spec.columns) + "\n"
              + ",".join("16 Dec 2024" if "date" in column.field or column.field in ("connected_on", "sent_at", "created_at", "endorsed_at")
                         else "INCOMING" if column.field == "direction" else "Ana" for column in spec.columns) + "\n").encode()
       for kind, spec in FILE_SPECS.items()},
}
HOSTILE_BYTES = [b"\x00", b"\r", b"\n", b'"', b",", b";", b"\t", b"\xff", b"\x81", b"\xc3", b"\xef\xbb\xbf", b"&a", b"*a", b"[", b"{", b"'"]


@pytest.mark.parametrize("kind", sorted(PARSERS))
def test_mutated_files_never_raise_and_every_item_ends_somewhere(kind):
    generator = random.Random(kind)
    for _ in range(150):
        data = bytearray(SEEDS[kind])
        for _ in range(generator.randint(1, 8)):
            position = generator.randrange(len(data) + 1)
            if generator.random() < 0.5:
                data[position:position] = generator.choice(HOSTILE_BYTES)
            else:
                del data[position:position + generator.randint(1, 5)]
        result = PARSERS[kind](bytes(data))
        assert_conserved(result)
        assert all(entry.reason for entry in result.quarantine)


# --- The formula guard on what we write (issue 12, item 13) ------------------------------------

HOSTILE_CELLS = ["\r=y", "\n+1", "\t@x", "=cmd|' /C calc'!A0", "-1+2", "＝1+1", "  =1+1", "a\r\n=y", "x\u2028@y", "+44 20"]


@pytest.mark.parametrize("value", HOSTILE_CELLS)
def test_a_written_cell_read_back_never_starts_a_line_or_cell_with_a_formula_trigger(value):
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerow(["vcard:a", neutralize_csv_cell(value), "same"])
    written = buffer.getvalue()
    for reader_lines in (written.splitlines(), written.split("\r"), written.split("\n")):
        for line in reader_lines:
            assert not line.lstrip(' "').startswith(("=", "+", "-", "@", "\t", "＝")), repr(line)
    cells = next(csv.reader(io.StringIO(written, newline="")))
    assert cells[1].startswith("'") or not cells[1].lstrip(" ")[:1] in ("=", "+", "-", "@", "＝")


@pytest.mark.parametrize("value, written", [(-3, "-3"), ("-3", "-3"), ("-2.5", "-2.5"), (4, "4"), ("-1+2", "'-1+2")])
def test_a_plain_negative_number_is_written_as_it_is(value, written):
    assert neutralize_csv_cell(value) == written


def test_a_guarded_key_reads_back_as_the_key_it_was():
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["left_key", "right_key", "decision"])
    writer.writerow([neutralize_csv_cell(cell) for cell in ("vcard:=abc", "=vcard:x", "same")])
    result = parse_decisions(io.BytesIO(buffer.getvalue().encode()), "decisions.csv")
    row = result.rows["decisions"][0]
    assert (row["left_key"], row["right_key"]) == ("vcard:=abc", "=vcard:x")
    assert unneutralize_csv_cell("'=vcard:x") == "=vcard:x" and unneutralize_csv_cell("'quoted") == "'quoted"


def test_decisions_keep_their_line_and_what_each_record_was():
    data = (b"left_key,right_key,decision,left_about,right_about\n\n"
            b"vcard:a,linkedin:https://www.linkedin.com/in/b,same,'=Ana Diaz (vcard),Ana Diaz\n"
            b"vcard:c,vcard:d,different\n")
    result = parse_decisions(io.BytesIO(data), "decisions.csv")
    first, second = result.rows["decisions"]
    assert (first["position"], first["line"], first["left_about"], first["right_about"]) == (1, 3, "=Ana Diaz (vcard)", "Ana Diaz")
    assert (second["line"], second["left_about"], second["right_about"]) == (4, None, None)


def test_a_first_line_that_only_starts_like_a_sep_line_is_not_taken_for_one():
    result = referrals(b"sep=;and more\n" + HEADER + b"2026-01-05,Cato,received,intro,3,\n")
    assert [row["person_name"] for row in result.rows.get("referrals", [])] == []
    assert items(result)[0][1].startswith("missing required column(s)")


def test_a_date_with_a_superscript_digit_is_refused_as_a_date_not_as_an_error():
    result = referrals(HEADER + "0/5/²,Cato,received,intro,3,\n".encode())
    assert items(result) == [("row 1 (line 2)", "date is not a date: write it as YYYY-MM-DD")]
