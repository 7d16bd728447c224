"""The vCard connector on fixtures reproducing each exporter quirk, and on generated streams."""
from __future__ import annotations

import io
import random
import tracemalloc
from pathlib import Path

import pytest

from connectors.vcard import TABLE, CardError, CardRun, card_blocks, card_runs, fast_rows, parse_vcards, read_card
from connectors.charsets import FileCharsets
from connectors.vcard.fast import Declined, fast_properties
from tests.vcard_support import assert_paths_agree, without_parser

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "vcard"
ROW_KEYS = {
    "source_file", "position", "line", "uid", "full_name", "given_name", "family_name",
    "additional_names", "honorific_prefix", "honorific_suffix", "nickname", "emails", "phones",
    "org", "title", "birthday", "addresses", "cities", "postcodes", "note", "urls", "linkedin_url", "revision",
    "version", "kind", "parser",
}


def read(name: str, **options):
    with open(FIXTURES / name, "rb") as stream:
        return parse_vcards(stream, name, **options)


def rows(name: str) -> list[dict]:
    return read(name).rows.get(TABLE, [])


def only_row(name: str) -> dict:
    result = read(name)
    assert result.quarantine == []
    (row,) = result.rows[TABLE]
    return row


# ---------------------------------------------------------------------------- dialects


def test_quoted_printable_with_soft_line_breaks_and_utf8_charset_decodes():
    row = only_row("v21_quoted_printable.vcf")
    assert row["full_name"] == "Dr. Jürgen Müller"
    assert (row["family_name"], row["given_name"], row["honorific_prefix"]) == ("Müller", "Jürgen", "Dr.")
    assert row["note"] == "Met at the Berlin meetup, über Anna.\nSecond line of the note, soft-broken here."
    assert row["org"] == "Müller & Söhne, Vertrieb"
    assert row["parser"] == "vobject"


def test_iso_8859_1_charset_decodes_raw_and_quoted_printable_values():
    row = only_row("v21_latin1_charset.vcf")
    assert row["full_name"] == "João Gonçalves"
    assert row["family_name"] == "Gonçalves"
    assert row["title"] == "Diretor Jurídico"


def test_shift_jis_charset_decodes_raw_bytes():
    row = only_row("v21_shift_jis.vcf")
    assert (row["family_name"], row["given_name"]) == ("山田", "太郎")
    assert row["phones"] == ["090-1234-5678"]


def test_utf8_bom_before_first_card_is_ignored():
    row = only_row("v30_bom_crlf.vcf")
    assert row["full_name"] == "Åsa Lindqvist"
    assert row["parser"] == "fast"


def test_lone_cr_line_endings_split_lines_and_cards():
    first, second = rows("v30_cr_only.vcf")
    assert first["phones"] == ["+1 408 555 0100"]
    assert (second["full_name"], second["line"]) == ("Second Contact", 8)


def test_cr_cr_lf_endings_count_as_one_line_end_and_the_photo_is_skipped():
    row = only_row("v30_cr_cr_lf_iphone.vcf")
    assert row["emails"] == ["chidi@example.ng"]
    assert row["phones"] == ["+234 803 555 0199"]


def test_folding_with_space_or_tab_is_undone():
    row = only_row("v30_folding_space_and_tab.vcf")
    assert row["family_name"] == "Raghunathan-Subramanian"
    assert row["emails"] == ["priya.raghunathan@example.in"]
    assert row["note"].endswith("once with a space and once witha tab.")


def test_apple_item_groups_give_emails_urls_and_the_linkedin_profile():
    row = only_row("v30_apple_item_groups.vcf")
    assert row["emails"] == ["linh.nguyen@example.com"]
    assert row["urls"] == [
        "http://northwind.example.com",
        "https://www.linkedin.com/in/linh-nguyen-42/",
        "http://twitter.com/linhn",
    ]
    assert row["linkedin_url"] == "https://www.linkedin.com/in/linh-nguyen-42"
    assert row["org"] == "Northwind Traders"
    assert row["addresses"] == ["1 Infinite Loop, Cupertino, CA, 95014, USA"]


def test_apple_year_1604_birthday_reads_as_month_and_day_only():
    assert only_row("v30_apple_item_groups.vcf")["birthday"] == "--07-14"


def test_caret_escaped_parameter_with_colon_does_not_cut_the_value():
    row = only_row("v40_caret_altid_language.vcf")
    assert row["addresses"] == ["Suite 5, 12 Water Lane, Bristol, BS1 4AA, United Kingdom"]
    assert row["phones"] == ["+44-117-496-0000"]


def test_altid_alternatives_keep_the_first_written_language():
    row = only_row("v40_caret_altid_language.vcf")
    assert (row["full_name"], row["family_name"], row["given_name"]) == ("Wang Fang", "Wang", "Fang")
    assert row["birthday"] == "--02-03"
    assert row["uid"] == "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1"
    assert row["revision"] == "20240115T093000Z"


def test_a_nested_card_is_its_own_row_after_its_parent_and_blank_lines_between_cards_are_ignored():
    result = read("v21_nested_and_blank_lines.vcf")
    parent, agent, following = result.rows[TABLE]
    assert result.items == 3 and result.quarantine == []
    # the parent keeps its own lines only: the nested card's TEL is the nested card's
    assert (parent["family_name"], parent["position"], parent["line"], parent["phones"]) == ("Parent", 1, 3, ["222"])
    assert (agent["family_name"], agent["position"], agent["line"], agent["phones"]) == ("Assistant", 2, 7, ["111"])
    assert (following["family_name"], following["position"], following["line"]) == ("Next", 3, 17)


def test_photo_logo_and_sound_are_skipped_whatever_their_encoding():
    vcard21, data_uri = rows("v21_photos_logo_sound.vcf")
    assert vcard21["phones"] == ["+1 555 0101"]
    assert vcard21["emails"] == ["paula@example.com"]
    assert data_uri["emails"] == ["data.uri@example.com"]
    with open(FIXTURES / "v21_photos_logo_sound.vcf", "rb") as stream:
        kept = b"".join(block.data for block in card_blocks(stream))
    assert b"PHOTO" not in kept and b"LOGO" not in kept and b"SOUND" not in kept


def test_outlook_21_label_key_basic_birthday_and_bare_commas():
    row = only_row("v21_outlook.vcf")
    assert row["full_name"] == "Smith, Jane"
    assert row["org"] == "Contoso, Ltd., Finance"
    assert row["birthday"] == "1980-03-22"
    assert row["emails"] == ["jane.smith@contoso.example"]
    assert row["honorific_prefix"] == "Ms."


def test_android_comment_lines_are_dropped_unless_a_quoted_printable_value_continues_there():
    row = only_row("v21_android_comments_and_backslash.vcf")
    assert row["note"] == "keep the sharp ->#<- it is part of the note"


def test_trailing_backslash_continues_a_21_value_on_the_next_line():
    row = only_row("v21_android_comments_and_backslash.vcf")
    assert row["addresses"] == ["Rue de Rivoli 1, Bâtiment B, Paris, 75001, France"]


def test_utf16_export_with_byte_order_mark_reads():
    row = only_row("v30_utf16le_bom.vcf")
    assert row["full_name"] == "Zoë Ødegaard"
    assert row["emails"] == ["zoe@example.no"]


def test_escapes_decode_and_structured_separators_hold():
    row = only_row("v30_escapes.vcf")
    assert row["full_name"] == "Backslash \\ Tester"
    assert (row["family_name"], row["given_name"]) == ("O;Brien", "Sean,Patrick")
    assert row["org"] == "Acme, Inc., R;D"
    assert row["note"] == "line one\nline two, with comma; and \\M unknown escape\\"


def test_emails_are_normalised_deduplicated_and_invalid_ones_dropped():
    row = only_row("v30_escapes.vcf")
    assert row["emails"] == ["sean.obrien@example.ie", "sean@example.ie"]


def test_card_with_neither_name_nor_email_nor_phone_is_still_a_row():
    row = only_row("v30_no_name_no_contact.vcf")
    assert row["full_name"] is None and row["emails"] == [] and row["phones"] == []
    assert row["note"] == "only a note"


def test_every_row_has_exactly_the_contract_columns():
    for path in sorted(FIXTURES.glob("*.vcf")):
        for row in rows(path.name):
            assert set(row) == ROW_KEYS, path.name
            assert row["source_file"] == path.name


# ---------------------------------------------------------------------------- bad input


def test_a_line_that_is_not_a_property_costs_only_itself_with_a_note():
    result = read("v30_one_broken_card.vcf")
    assert [row["full_name"] for row in result.rows[TABLE]] == ["First Good", "Broken Card", "Third Good"]
    assert result.rows[TABLE][1]["emails"] == ["broken@example.com"]
    (broken,) = result.quarantine
    assert (broken.location, broken.scope) == ("card 2 (line 6)", "property")
    assert "line 9" in broken.reason and "not a vCard property" in broken.reason
    assert result.items == 3 and result.quarantined == 0


def test_missing_end_quarantines_the_unclosed_card_and_keeps_the_cards_after_it():
    result = read("v30_missing_end.vcf")
    (unclosed,) = result.quarantine
    assert unclosed.location == "card 1 (line 1)"
    assert "END:VCARD" in unclosed.reason
    assert [(row["full_name"], row["position"], row["line"]) for row in result.rows[TABLE]] == [
        ("After The Broken One", 2, 5),
        ("Last One", 3, 10),
    ]


def test_binary_garbage_is_quarantined_as_not_a_vcard():
    result = read("binary_garbage.vcf")
    assert result.rows == {}
    assert [(q.location, q.reason) for q in result.quarantine] == [("whole file", "not a vCard: no BEGIN:VCARD line")]
    assert [q.scope for q in result.quarantine] == ["file"]
    assert result.items == 1


def test_empty_file_is_quarantined_with_a_reason():
    result = parse_vcards(io.BytesIO(b""), "empty.vcf")
    assert result.items == 1 and len(result.quarantine) == 1


def test_items_equal_rows_plus_quarantined_for_every_fixture():
    for path in sorted(FIXTURES.glob("*.vcf")):
        result = read(path.name)
        assert result.items == len(result.rows.get(TABLE, [])) + result.quarantined, path.name


def test_overlong_line_that_is_not_a_photo_costs_only_itself():
    huge_note = b"NOTE:" + b"x" * (3 * 1024 * 1024) + b"\r\n"
    data = (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Huge\r\n" + huge_note + b"EMAIL:huge@example.com\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Fine\r\nEND:VCARD\r\n"
    )
    result = parse_vcards(io.BytesIO(data), "huge.vcf")
    assert [row["full_name"] for row in result.rows[TABLE]] == ["Huge", "Fine"]
    assert result.rows[TABLE][0]["emails"] == ["huge@example.com"] and result.rows[TABLE][0]["note"] is None
    (entry,) = result.quarantine
    assert (entry.location, entry.scope) == ("card 1 (line 1)", "property") and "line 4" in entry.reason


class _PhotoExport:
    """A vCard export of `cards` cards, each with a photo of about `photo_bytes`, made on demand
    so that the test itself holds no more than one card; remembers the largest read asked for."""

    LINE = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0"

    def __init__(self, cards: int, photo_bytes: int, unfolded: bool):
        if unfolded:
            self.photo = b"PHOTO;ENCODING=b;TYPE=JPEG:" + self.LINE * (photo_bytes // len(self.LINE)) + b"\r\n"
        else:
            folds = photo_bytes // (len(self.LINE) + 3)
            self.photo = b"PHOTO;ENCODING=b;TYPE=JPEG:" + self.LINE + b"\r\n" + (b" " + self.LINE + b"\r\n") * folds
        self.cards, self.made, self.buffer = cards, 0, b""
        self.bytes_given = self.largest_read = 0

    def read(self, size: int = -1) -> bytes:
        assert size is not None and size > 0, "the connector must never read the whole stream"
        self.largest_read = max(self.largest_read, size)
        while len(self.buffer) < size and self.made < self.cards:
            self.made += 1
            self.buffer += (
                b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Card %d\r\n" % self.made
                + self.photo
                + b"EMAIL:card%d@example.com\r\nEND:VCARD\r\n" % self.made
            )
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        self.bytes_given += len(out)
        return out


@pytest.mark.parametrize("unfolded", [False, True], ids=["folded photos", "one-line photos"])
def test_200_mb_of_photos_streams_in_bounded_memory(unfolded):
    export = _PhotoExport(cards=100, photo_bytes=2_000_000, unfolded=unfolded)
    tracemalloc.start()
    try:
        result = parse_vcards(export, "photos.vcf")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert export.bytes_given > 200_000_000
    assert peak < 40_000_000
    assert export.largest_read <= 4 * 1024 * 1024
    assert result.items == 100 and result.quarantine == []
    assert result.rows[TABLE][-1]["emails"] == ["card100@example.com"]


def test_a_card_of_5000_lines_is_read_whole_by_vobject():
    numbers = b"".join(b"TEL:+41 44 %07d\r\n" % n for n in range(5000))
    card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Many Numbers\r\n" + numbers + b"END:VCARD\r\n"
    result = parse_vcards(io.BytesIO(card), "many.vcf", use_fast_path=False)
    assert result.quarantine == []
    (row,) = result.rows[TABLE]
    assert row["parser"] == "vobject" and len(row["phones"]) == 5000 and row["phones"][-1] == "+41 44 0004999"


# ---------------------------------------------------------------------------- fast path


def test_fast_path_declines_quoted_printable_and_charset_cards():
    for name in ("v21_quoted_printable.vcf", "v21_latin1_charset.vcf", "v21_shift_jis.vcf"):
        with open(FIXTURES / name, "rb") as stream:
            (block,) = list(card_blocks(stream))
        with pytest.raises(Declined):
            fast_properties(block.data)


def test_fast_path_reads_plain_cards_and_vobject_only_mode_reads_them_the_same():
    fast = read("v30_apple_item_groups.vcf").rows[TABLE]
    slow = read("v30_apple_item_groups.vcf", use_fast_path=False).rows[TABLE]
    assert [row["parser"] for row in fast] == ["fast"]
    assert [row["parser"] for row in slow] == ["vobject"]
    assert list(map(without_parser, fast)) == list(map(without_parser, slow))


def test_fast_path_equals_vobject_on_every_fixture_card():
    compared = 0
    for path in sorted(FIXTURES.glob("*.vcf")):
        with open(path, "rb") as stream:
            compared += assert_paths_agree(list(card_blocks(stream)), path.name)
    assert compared >= 10


def _random_card(rng: random.Random) -> str:
    """A valid vCard 3.0 card with the hard parts drawn at random: escapes, bare commas,
    empty components, groups, quoted parameters, folding anywhere, non-ASCII text."""
    pieces = ["Ana", "O'Neil", "Zoë", "李", "a\\,b", "x\\;y", "back\\\\slash", "line\\nbreak", "semi;colon",
              "bare, comma", "", " spaced ", "tab\there", "\\N", "quote\\\"d", "\\x"]

    def text() -> str:
        return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))

    def group() -> str:
        return rng.choice(["", "", "item1.", "ITEM2.", "g-3."])

    def params() -> str:
        return rng.choice(["", ";TYPE=WORK", ";type=INTERNET;type=pref", ';TYPE="voice,cell"', ";PREF=1",
                           ";LABEL=\"a^'b^nc:d\"", ";VALUE=text"])

    lines = ["VERSION:3.0"]
    for _ in range(rng.randint(1, 12)):
        name = rng.choice(["FN", "N", "EMAIL", "TEL", "ORG", "TITLE", "NOTE", "ADR", "URL", "BDAY", "UID",
                           "NICKNAME", "REV", "X-SOCIALPROFILE", "X-ABLabel", "CATEGORIES", "fn", "Email"])
        if name in ("N", "ORG", "ADR"):
            value = ";".join(text() for _ in range(rng.randint(1, 8)))
        elif name in ("EMAIL", "Email"):
            value = rng.choice(["a@example.com", "B@Example.org", "mailto:c@example.net", "nope", "<d@example.com>"])
        elif name == "URL":
            value = rng.choice(["https\\://linkedin.com/in/someone", "http://example.com", text()])
        elif name == "BDAY":
            value = rng.choice(["1980-01-02", "19800102", "--0203", "1604-05-06", "circa 1800", text()])
        else:
            value = text()
        line = f"{group()}{name}{params()}:{value}"
        while len(line) > 20 and rng.random() < 0.4:
            cut = rng.randint(10, len(line) - 1)
            lines.append(line[:cut])
            line = rng.choice([" ", "\t"]) + line[cut:]
        lines.append(line)
    return "BEGIN:VCARD\r\n" + "\r\n".join(lines) + "\r\nEND:VCARD\r\n"


def test_fast_path_equals_vobject_on_generated_cards():
    rng = random.Random(6350)
    data = "".join(_random_card(rng) for _ in range(400)).encode("utf-8")
    blocks = list(card_blocks(io.BytesIO(data)))
    assert len(blocks) == 400
    assert assert_paths_agree(blocks, "generated") >= 300


def test_address_locality_is_kept_for_matching_people_by_town():
    card = (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Diaz\r\n"
            b"ADR;TYPE=HOME:;;12 High St;Oxford;;OX1 1AA;UK\r\nADR;TYPE=WORK:;;1 Quay;Bristol;;;\r\nEND:VCARD\r\n")
    row = parse_vcards(io.BytesIO(card), "c.vcf").rows[TABLE][0]
    assert row["cities"] == ["Oxford", "Bristol"]
    assert row["postcodes"] == ["OX1 1AA"]
    assert row["addresses"][0] == "12 High St, Oxford, OX1 1AA, UK"


# ---------------------------------------------------------------------------- fast path shortcuts


def test_email_key_gives_what_normalize_email_gives_on_generated_values():
    from connectors.normalize import normalize_email
    from connectors.vcard import email_key

    rng = random.Random(20240601)
    # ASCII and non-ASCII whitespace, every character the address pattern refuses, a mailto: prefix
    alphabet = "aZ9.@<>(),;: \t\n\x0b\x0c\x1c\x1f\x85\xa0\u2028mailto:MAILTO-_+é"
    compared = 0
    for _ in range(50_000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        if "<" in value and ">" in value:
            continue  # email_key first takes what is between the brackets
        assert email_key(value) == normalize_email(value), repr(value)
        compared += 1
    for value in ("ana@example.com", " MAILTO:Ana@Example.COM ", "<ana@example.com>", "a@b.", "a@.b", "a@b.c."):
        assert email_key(value) == normalize_email(value)
    assert compared > 40_000


def test_decline_markers_are_still_found_in_non_ascii_cards_of_a_marker_free_file():
    # "ſ" upper-cases to "S": the card holds CHARSET for str.upper though no chunk byte spells it
    data = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana\r\nNOTE:charſet\r\nEND:VCARD\r\n".encode("utf-8")
    (block,) = list(card_blocks(io.BytesIO(data)))
    assert block.markers_absent
    with pytest.raises(Declined):
        fast_properties(block.data, block.markers_absent)
    (row,) = parse_vcards(io.BytesIO(data), "x.vcf").rows[TABLE]
    assert row["parser"] == "vobject"


def test_a_marker_anywhere_in_the_file_makes_every_card_check_for_itself():
    plain = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana\r\nEND:VCARD\r\n"
    marked = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo\r\nNOTE:sent as base64\r\nEND:VCARD\r\n"
    result = parse_vcards(io.BytesIO((plain + marked).encode("utf-8")), "x.vcf")
    assert [row["parser"] for row in result.rows[TABLE]] == ["fast", "vobject"]
    assert [block.markers_absent for block in card_blocks(io.BytesIO((plain + marked).encode()))] == [False, False]


_BASE64_NOTE = b"Q2Fmw6kgYXQgbm9vbg=="  # "Café at noon" in UTF-8, base64
_QP_NOTE = b"Caf=C3=A9 at noon"


@pytest.mark.parametrize("parameter, encoded", [
    (";BASE64", _BASE64_NOTE), (";ENCODING=b", _BASE64_NOTE), (";ENCODING=BASE64", _BASE64_NOTE),
    (';ENCODING="B"', _BASE64_NOTE), (";QUOTED-PRINTABLE", _QP_NOTE), (";ENCODING=QUOTED-PRINTABLE", _QP_NOTE),
    (";encoding=quoted-printable", _QP_NOTE),
])
def test_every_spelling_of_an_encoding_parameter_decodes_a_text_value(parameter, encoded):
    data = b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Bo\r\nNOTE" + parameter.encode() + b":" + encoded + b"\r\nEND:VCARD\r\n"
    result = parse_vcards(io.BytesIO(data), "x.vcf")
    (row,) = result.rows[TABLE]
    assert row["note"] == "Caf\u00e9 at noon"
    assert result.quarantine == []


def test_an_8bit_encoding_parameter_leaves_the_value_as_written():
    data = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo\r\nNOTE;ENCODING=8BIT:Caf\u00e9\r\nEND:VCARD\r\n".encode()
    (row,) = parse_vcards(io.BytesIO(data), "x.vcf").rows[TABLE]
    assert row["note"] == "Caf\u00e9"


# ---------------------------------------------------------------------------- fused fast path


def _card_by_card(data: bytes, name: str) -> tuple[int, list[dict], list[tuple[str, str]]]:
    """(items, rows, quarantine) as parse_vcards gives them when every card is read on its own
    with read_card: the definition the fused path (`fast_rows`) must equal."""
    rows, quarantine, items = [], [], 0
    charsets = FileCharsets()
    for position, block in enumerate(card_blocks(io.BytesIO(data), whole_runs=False), 1):
        items = position
        location = f"card {position} (line {block.line})"
        if block.problem:
            quarantine.append((location, block.problem))
            continue
        notices = []
        try:
            rows.append(read_card(block, name, position, notices=notices, charsets=charsets))
        except CardError as error:
            quarantine.append((location, str(error)))
        else:
            quarantine.extend((location, notice) for notice in notices)
    return items, rows, quarantine


def _assert_fused_equals_card_by_card(data: bytes, name: str) -> None:
    result = parse_vcards(io.BytesIO(data), name)
    items, expected_rows, expected_quarantine = _card_by_card(data, name)
    if items:
        assert result.items == items, name
    assert result.rows.get(TABLE, []) == expected_rows, name
    if items:
        assert [(entry.location, entry.reason) for entry in result.quarantine] == expected_quarantine, name


def _fused_cards(data: bytes) -> int:
    """How many cards of the data the fused path reads."""
    read = 0
    for item in card_runs(io.BytesIO(data)):
        if isinstance(item, CardRun):
            rows = fast_rows(item, "x.vcf", 1)
            read += len(rows) if rows is not None else 0
    return read


def test_fused_path_gives_what_card_by_card_reading_gives_on_every_fixture():
    for path in sorted(FIXTURES.glob("*.vcf")):
        _assert_fused_equals_card_by_card(path.read_bytes(), path.name)


def test_fused_path_gives_what_card_by_card_reading_gives_on_every_corpus_file():
    corpus = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "vcard"
    if not corpus.is_dir():
        pytest.skip("no shared corpus here")
    files = sorted(corpus.glob("*.vcf"))
    for path in files:
        _assert_fused_equals_card_by_card(path.read_bytes(), path.name)
    assert files


# What can break a run of cards read together: cards next to each other or apart, folds
# anywhere (also right after BEGIN), properties called BEGIN or END, spellings of BEGIN and
# END, underscores, lines that are no property, characters str.upper turns into a marker.
_HAZARDS = [
    "", "", "", "\r\n", "\r\n\r\n", "junk between cards\r\n", " \r\n", "EMAIL:stray@example.com\r\n",
    "FN:stray\r\n",
]
_INNER_HAZARDS = [
    "NOTE:ſtraße charſet\r\n", "NOTE:ı and ß and ﬅ\r\n", "X-B:bASE64 written as ſ\r\n", "NOTE:Zoë ß\r\n",
    "BEGIN:VCALENDAR\r\n", "END:VCALENDAR\r\n", "item1.BEGIN:VCARD\r\n", "X;P=1:END:VCARD\r\n",
    "EMAIL_X:a@b.c\r\n", "X_SOCIALPROFILE:https\\://linkedin.com/in/x\r\n", "not a property\r\n",
    "TEL:+1 555\r\n  0100\r\n", "TEL;TY\r\n PE=CELL:+1\r\n", "FN:folded\r\n\t\r\n name\r\n", "X-EMPTY:\r\n",
    "NOTE:ends with a backslash\\\r\n", "version:4.0\r\n", "Fn:lower\\, case\r\n",
    # photos and sounds without a decline marker: card_runs leaves them out of the card
    "PHOTO;VALUE=uri:http://example.com/a.jpg\r\n", "item1.LOGO:http\\://x\r\n", "PHOTO:\r\n AAAA\r\n BBBB\r\n",
    "SOUND;TYPE=OGG:\r\nAAAA\r\nBBBB\r\n\r\n", "key:xyz\r\n", "NOTE:a blank line follows\r\n\r\n",
]


def _hazardous_stream(rng: random.Random, cards: int, rate: float) -> bytes:
    """Generated cards, a share `rate` of them (and of the gaps between them) with a hazard."""
    out = []
    for _ in range(cards):
        card = _random_card(rng)
        risky = rng.random() < rate
        begin = rng.choice(["BEGIN:VCARD\r\n", "begin:vcard\r\n", "Begin:VCard\r\n"]
                           + (["BEGIN:VCARD \t\r\n", "BEGIN:VCARD\r\n \r\n", "BEGIN:VCARD\r\n\tFN:x\r\n", "\ufeffBEGIN:VCARD\r\n",
                               "BEGIN:VCARD\r\nEND:VCARD\r\nBEGIN:VCARD\r\n"] if risky else []))
        end = rng.choice(["END:VCARD\r\n", "end:VCARD\r\n"]
                         + (["END:VCARD  \r\n", "END:VCARD\r\n more\r\n", "item1.END:VCARD\r\n"] if risky else []))
        body = card[len("BEGIN:VCARD\r\n"): -len("END:VCARD\r\n")]
        lines = body.split("\r\n")
        if risky:
            lines.insert(rng.randint(0, len(lines) - 1), rng.choice(_INNER_HAZARDS).removesuffix("\r\n"))
        gap = rng.choice(_HAZARDS) if rng.random() < rate else ""
        out.append(gap + begin + "\r\n".join(lines) + end)
    return "".join(out).encode("utf-8")


def test_fused_path_gives_what_card_by_card_reading_gives_on_hazardous_generated_streams():
    rng = random.Random(1507)
    fused = whole = 0
    for round_ in range(120):
        data = _hazardous_stream(rng, rng.randint(1, 30), rng.choice([0.0, 0.02, 0.1, 0.5, 1.0]))
        _assert_fused_equals_card_by_card(data, f"hazards-{round_}")
        fused += _fused_cards(data)
        whole += sum(isinstance(item, CardRun) and item.cards is None for item in card_runs(io.BytesIO(data)))
    assert fused > 300  # the fused path itself was compared, not only its fallback
    assert whole > 30  # and runs taken whole from their BEGIN and END lines


def test_fused_path_reads_well_formed_streams_whole_and_numbers_cards_across_runs():
    rng = random.Random(77)
    data = "".join(_random_card(rng) for _ in range(300)).encode("utf-8")
    assert _fused_cards(data) >= 250
    # taken whole from its BEGIN and END lines, not found card by card
    assert any(isinstance(item, CardRun) and item.cards is None for item in card_runs(io.BytesIO(data)))
    _assert_fused_equals_card_by_card(data, "plain")
    # more than one 1 MiB block, so runs end at block edges and positions go on across them
    big = data * (2 * 1024 * 1024 // len(data) + 1)
    _assert_fused_equals_card_by_card(big, "big")


def test_a_card_starting_with_a_continuation_line_still_goes_to_vobject_in_a_run():
    plain = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana\r\nEND:VCARD\r\n"
    folded = "BEGIN:VCARD\r\n FN:Bo\r\nVERSION:3.0\r\nEND:VCARD\r\n"
    result = parse_vcards(io.BytesIO((plain + folded + plain).encode()), "x.vcf")
    # the card by card path declines it (vobject then reads or quarantines it); its neighbours stay fast
    assert [(row["position"], row["parser"]) for row in result.rows[TABLE] if row["parser"] == "fast"] == [
        (1, "fast"), (3, "fast")]
    assert result.items == 3
    _assert_fused_equals_card_by_card((plain + folded + plain).encode(), "x.vcf")


def test_a_photo_or_blank_line_in_a_run_taken_whole_reads_card_by_card_with_the_same_rows():
    plain = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana\r\nEND:VCARD\r\n"
    for odd in ("PHOTO:\r\n AAAA\r\n", "SOUND:\r\nAAAA\r\nBBBB\r\n\r\n", "NOTE:x\r\n\r\n"):
        card = plain.replace("FN:Ana\r\n", "FN:Bo\r\n" + odd)
        data = (plain * 3 + card + plain * 3).encode()
        assert [type(item) for item in card_runs(io.BytesIO(data))] == [CardRun]
        _assert_fused_equals_card_by_card(data, "x.vcf")
        rows = parse_vcards(io.BytesIO(data), "x.vcf").rows[TABLE]
        assert [row["line"] for row in rows][:4] == [1, 5, 9, 13]


@pytest.mark.parametrize("odd", [
    "EMAIL:stray@example.com\r\n",  # a property between two cards, which no card holds
    "BEGIN:VCARD\r\nFN:Bo\r\nitem1.END:VCARD\r\nEMAIL:bo@example.com\r\nEND:VCARD\r\n",
    "BEGIN:VCARD\r\nFN:Bo\r\nitem1.END:VCARD\r\n",  # no real END: the next cards are nested in it
    "BEGIN:VCARD\r\n \r\nFN:Bo\r\nEND:VCARD\r\n",  # a continuation right after BEGIN
    "BEGIN:VCARD\r\nEND:VCARD\r\n",  # an empty card
    "\ufeffBEGIN:VCARD\r\nFN:Bo\r\nEND:VCARD\r\n",
    "BEGIN:VCARD\r\nFN:Bo\r\nbegin:vcardx\r\nitem1.BEGIN:VCARD\r\nEND:VCARD\r\n",
    "BEGIN:VCARD\r\nFN:Bo\r\nend:vcardx\r\nitem1.END:VCARD\r\nBEGIN:VCARD\r\nFN:Cy\r\nEND:VCARD\r\n",
])
def test_what_a_run_taken_whole_must_not_hold_gives_what_card_by_card_reading_gives(odd):
    plain = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana\r\nEMAIL:ana@example.com\r\nEND:VCARD\r\n"
    _assert_fused_equals_card_by_card((plain * 3 + odd + plain * 3).encode(), "x.vcf")
