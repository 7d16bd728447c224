"""The vCard connector on hostile and mis-encoded input: what cannot be used costs only itself."""
from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from connectors.vcard import TABLE, card_blocks, parse_vcards, read_card
from connectors.charsets import FileCharsets, detect
from connectors.vcard.fast import fast_properties
from tests.vcard_support import assert_paths_agree

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "vcard"


def read(name: str, **options):
    with open(FIXTURES / name, "rb") as stream:
        return parse_vcards(stream, name, **options)


def notes(result) -> list[tuple[str, str]]:
    return [(entry.location, entry.reason) for entry in result.quarantine if entry.scope == "property"]


def assert_balanced(result) -> None:
    assert result.items == len(result.rows.get(TABLE, [])) + result.quarantined


# ---------------------------------------------------------------------------- fault barrier


@pytest.mark.parametrize("use_fast_path", [True, False])
def test_a_property_name_outside_the_grammar_costs_only_that_property(use_fast_path):
    result = read("v30_kde_messaging_property.vcf", use_fast_path=use_fast_path)
    (row,) = result.rows[TABLE]
    assert (row["full_name"], row["family_name"], row["org"], row["title"]) == (
        "Kaja Nowak", "Nowak", "Przykład Sp. z o.o.", "Kierowniczka")
    assert row["emails"] == ["kaja@example.pl"] and row["phones"] == ["+48 601 555 010"]
    assert result.quarantined == 0
    ((location, reason),) = notes(result)
    assert location == "card 1 (line 1)" and reason.startswith("line 5 is not a vCard property")


def test_a_bug_in_the_fast_path_sends_the_card_to_vobject(monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError

    monkeypatch.setattr("connectors.vcard.reader.fast_properties", broken)
    monkeypatch.setattr("connectors.vcard.reader.fast_rows", lambda *args, **kwargs: None)
    result = parse_vcards(io.BytesIO(b"BEGIN:VCARD\r\nFN:Ana\r\nEND:VCARD\r\n"), "x.vcf")
    (row,) = result.rows[TABLE]
    assert (row["full_name"], row["parser"]) == ("Ana", "vobject")


def test_a_bug_in_splitting_the_file_keeps_what_was_read_and_counts_the_rest_as_one_item(monkeypatch):
    def failing_runs(stream, whole_runs=True):
        yield from original(io.BytesIO(b"BEGIN:VCARD\r\nFN:Ana\r\nEND:VCARD\r\n"), whole_runs)
        raise MemoryError

    import connectors.vcard.reader as reader

    original = reader.card_runs
    monkeypatch.setattr(reader, "card_runs", failing_runs)
    result = parse_vcards(io.BytesIO(b""), "x.vcf")
    assert [row["full_name"] for row in result.rows[TABLE]] == ["Ana"]
    assert [(entry.location, entry.reason) for entry in result.quarantine] == [
        ("after card 1", "the rest of the file could not be read (a read error, or an error in strongties' vCard reader)")]
    assert_balanced(result)


def test_a_card_vobject_gives_up_on_loses_only_the_property_it_cannot_read():
    # vobject cannot read a parameter holding a lone double quote; the card's other lines stay
    data = (b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=UTF-8:Ana Lima\r\nTEL;TYPE=\"CELL:+55 11 5555 0100\r\n"
            b"EMAIL:ana@example.com\r\nEND:VCARD\r\n")
    result = parse_vcards(io.BytesIO(data), "x.vcf")
    (row,) = result.rows[TABLE]
    assert (row["full_name"], row["emails"]) == ("Ana Lima", ["ana@example.com"])
    assert result.quarantined == 0
    assert all("+55" not in reason for _, reason in notes(result))


def test_a_card_of_nothing_but_unreadable_lines_is_one_quarantined_item():
    data = b"BEGIN:VCARD\r\nthis is not a property\r\nnor/this:one\r\nEND:VCARD\r\n"
    result = parse_vcards(io.BytesIO(data), "x.vcf")
    assert result.items == 1 and result.quarantined == 1 and TABLE not in result.rows
    (entry,) = result.quarantine
    assert entry.location == "card 1 (line 1)" and "no property of the card could be read" in entry.reason


# ---------------------------------------------------------------------------- repeated once-only properties


@pytest.mark.parametrize("use_fast_path", [True, False])
def test_a_repeated_once_only_property_keeps_the_first_and_is_noted(use_fast_path):
    result = read("v30_duplicate_single_properties.vcf", use_fast_path=use_fast_path)
    ada, bea, cy = result.rows[TABLE]
    assert (ada["full_name"], ada["family_name"], ada["birthday"], ada["uid"], ada["revision"], ada["version"]) == (
        "Ada First", "First", "1990-01-02", "uid-first", "20240101T000000Z", "3.0")
    assert (bea["full_name"], bea["family_name"], bea["birthday"], bea["uid"]) == ("Bea First", "First", "1980-05-06", "uid-b1")
    assert cy["full_name"] == "Cy Same"
    noted = notes(result)
    assert [reason.split()[0] for location, reason in noted if location == "card 1 (line 1)"] == [
        "VERSION", "FN", "N", "BDAY", "UID", "REV"]
    assert [reason.split()[0] for location, reason in noted if location == "card 2 (line 16)"] == ["FN", "N", "BDAY", "UID"]
    assert not [location for location, _ in noted if location.startswith("card 3")]  # the same value twice loses nothing
    assert all("Ada" not in reason and "uid-" not in reason for _, reason in noted)


def test_altid_alternatives_are_one_value_and_not_noted_as_repeats():
    result = read("v40_caret_altid_language.vcf")
    assert notes(result) == []
    assert result.rows[TABLE][0]["full_name"] == "Wang Fang"


# ---------------------------------------------------------------------------- bytes and charsets


def test_a_fold_inside_a_utf8_character_reads_right_on_both_paths():
    for use_fast_path in (True, False):
        result = read("v30_fold_inside_utf8.vcf", use_fast_path=use_fast_path)
        first, quoted_printable, vobject_bound = result.rows[TABLE]
        assert (first["full_name"], first["given_name"], first["note"]) == ("Renée Dupré", "Renée", "costs 5 € a month")
        assert quoted_printable["full_name"] == "Renée Dupré"
        assert vobject_bound["full_name"] == "Jürgen Müller"
        assert result.quarantine == []
    assert read("v30_fold_inside_utf8.vcf").rows[TABLE][0]["parser"] == "fast"


@pytest.mark.parametrize("name, full_name, org", [
    ("v21_greek_charset_on_another_property.vcf", "Γιώργος Παπαδόπουλος", "Ελληνικά Πετρέλαια"),
    ("v21_undeclared_cp1251.vcf", "Иван Петрович Сидоров", "Газпром нефть"),
    ("v21_undeclared_koi8_r.vcf", "Ольга Николаевна Смирнова", "Российские железные дороги"),
    ("v21_undeclared_cp1250.vcf", "Łukasz Wiśniewski", "Żabka Polska"),
    ("v21_undeclared_shift_jis.vcf", "山田 太郎", "株式会社サンプル"),
    ("v21_undeclared_gb18030.vcf", "张伟", "北京示例科技有限公司"),
])
def test_undeclared_8bit_text_reads_in_the_charset_declared_elsewhere_or_detected(name, full_name, org):
    result = read(name)
    (row,) = result.rows[TABLE]
    assert (row["full_name"], row["org"]) == (full_name, org)
    assert result.quarantine == []


def test_a_charset_declared_on_an_earlier_card_reads_the_undeclared_cards_after_it():
    greek = "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=WINDOWS-1253:Παππά;Ελένη\r\nEND:VCARD\r\n"
    undeclared = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Νίκος\r\nEND:VCARD\r\n"
    result = parse_vcards(io.BytesIO((greek + undeclared).encode("cp1253")), "x.vcf")
    assert result.rows[TABLE][1]["full_name"] == "Νίκος"


def test_western_text_without_a_charset_still_reads_as_western():
    for text in ("José Müller", "Françoise Lefèvre, Société Générale", "Jos\xe9"):
        assert detect(text.encode("cp1252")) == "cp1252", text


def test_one_invalid_byte_repairs_only_itself_and_is_noted():
    result = read("v30_one_invalid_byte.vcf")
    (row,) = result.rows[TABLE]
    assert row["full_name"] == "Siân Jones\ufffd"
    assert (row["given_name"], row["org"]) == ("Siân", "Café Cymru")
    assert notes(result) == [("card 1 (line 1)", "line 3: 1 byte(s) that are not UTF-8 were replaced by U+FFFD")]


def test_one_card_in_a_legacy_charset_does_not_change_how_the_utf8_cards_read():
    utf8 = "BEGIN:VCARD\r\nFN:Åsa Öberg\r\nEND:VCARD\r\n".encode("utf-8")
    legacy = "BEGIN:VCARD\r\nFN:Иван Сидоров\r\nEND:VCARD\r\n".encode("cp1251")
    result = parse_vcards(io.BytesIO(utf8 + legacy + utf8), "x.vcf")
    assert [row["full_name"] for row in result.rows[TABLE]] == ["Åsa Öberg", "Иван Сидоров", "Åsa Öberg"]


def test_a_file_of_legacy_cards_settles_its_charset_instead_of_detecting_every_card():
    card = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Иван Петрович Сидоров {}\r\nORG:Газпром нефть\r\nEND:VCARD\r\n"
    data = "".join(card.format(number) for number in range(2000)).encode("cp1251")
    started = time.perf_counter()
    result = parse_vcards(io.BytesIO(data), "x.vcf")
    assert time.perf_counter() - started < 5
    assert {row["org"] for row in result.rows[TABLE]} == {"Газпром нефть"}


def test_file_charsets_keep_a_declared_charset_over_detection():
    charsets = FileCharsets()
    charsets.declare("cp1253")
    assert charsets.for_sample("Иван".encode("cp1251")) == "cp1253"


# ---------------------------------------------------------------------------- phones


@pytest.mark.parametrize("use_fast_path", [True, False])
def test_a_tel_with_fewer_than_three_digits_is_dropped_with_a_note(use_fast_path):
    result = read("v30_non_numeric_tel.vcf", use_fast_path=use_fast_path)
    (row,) = result.rows[TABLE]
    assert row["phones"] == ["+49 30 555 0199", "+1-555-0100"]
    noted = notes(result)
    assert len(noted) == 3
    assert all("Privattelefon" not in reason and "§" not in reason for _, reason in noted)


# ---------------------------------------------------------------------------- nesting


def test_every_begin_line_is_an_item_and_unclosed_nested_cards_are_quarantined_by_name():
    result = read("v21_nested_unclosed.vcf")
    assert result.items == 3
    assert [(entry.location, entry.reason) for entry in result.quarantine] == [
        ("card 1 (line 1)", "the file ends before this card's END:VCARD line"),
        ("card 2 (line 5)", "BEGIN:VCARD at line 5 inside the card from line 1, never ended"),
    ]
    (inner,) = result.rows[TABLE]
    assert (inner["family_name"], inner["position"], inner["line"]) == ("Inner", 3, 9)


@pytest.mark.parametrize("closed", [True, False])
def test_ten_thousand_nested_cards_are_ten_thousand_items_read_in_bounded_time(closed):
    depth = 10_000
    data = b"BEGIN:VCARD\r\nFN:x\r\n" * depth + (b"END:VCARD\r\n" * depth if closed else b"")
    started = time.perf_counter()
    result = parse_vcards(io.BytesIO(data), "nested.vcf")
    assert time.perf_counter() - started < 2
    assert result.items == depth
    assert result.quarantined == (0 if closed else depth)
    assert_balanced(result)


# ---------------------------------------------------------------------------- reasons


def test_no_reason_quotes_the_values_of_a_hostile_card():
    secret = "Zyxwvut"
    data = (f"BEGIN:VCARD\r\nFN:{secret}\r\nFN:{secret}2\r\nTEL:{secret}\r\n{secret} line\r\n"
            f"N;CHARSET=utf-8:{secret}\xff\r\nEMAIL;ENCODING=BASE64:{secret}!!\r\nX/{secret}:{secret}\r\nEND:VCARD\r\n"
            f"BEGIN:VCARD\r\nFN:{secret}\r\n").encode("latin-1")
    for use_fast_path in (True, False):
        result = parse_vcards(io.BytesIO(data), "x.vcf", use_fast_path=use_fast_path)
        assert len(result.quarantine) >= 5
        assert all(secret.lower() not in entry.reason.lower() for entry in result.quarantine)
        assert_balanced(result)


def test_fast_path_and_vobject_agree_on_every_new_fixture():
    for name in ("v30_duplicate_single_properties.vcf", "v30_fold_inside_utf8.vcf", "v30_non_numeric_tel.vcf"):
        with open(FIXTURES / name, "rb") as stream:
            blocks = list(card_blocks(stream))
        assert assert_paths_agree(blocks, name) >= 1
    block = next(card_blocks(io.BytesIO((FIXTURES / "v30_fold_inside_utf8.vcf").read_bytes())))
    assert fast_properties(block.data)  # the fold inside "é" no longer sends the card to vobject
    notices: list[str] = []
    read_card(block, "x.vcf", 1, notices=notices)
    assert notices == []
