"""The address book we write stays one card per person whatever the values hold: no value can end a line, a property or a card."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd
import pytest
import vobject
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.normalize import normalize_email, normalize_linkedin_url
from warehouse.resolution.export import write_vcard4

# What a forged card looks like once percent-decoded from a contact URL (issue 12).
FORGED_CARD = "\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:Forged\r\nEND:VCARD\r\n"
# Each is a line break to some reader (str.splitlines, vCard, iCalendar) or a control character.
HOSTILE = "x\r\ny\rz\nw\tv\x0bu\x0ct\x1cs\x1dr\x1eq\x85p\u2028o\u2029n\x00m\x1bl\x7fk\x9fj;i,h\\g:f"
# HOSTILE as it must read back: line breaks and tabs a space each, other controls gone, the
# characters vCard escapes (; , \ :) kept as they were.
HOSTILE_READ_BACK = "x y z w v u t s r q p o nmlkj;i,h\\g:f"


def person(**values) -> dict:
    return {"cluster_key": "vcard:someone", "display_name": "Someone", "given_name": "", "family_name": "",
            "emails": [], "phones": [], "linkedin_url": None, "company": None, "title": None,
            "birthday": None, **values}


def read_back(people: list[dict], folder: Path) -> list:
    path = folder / "book.vcf"
    write_vcard4(pd.DataFrame(people), path)
    text = path.read_bytes().decode("utf-8")
    return list(vobject.readComponents(text))


def test_a_value_holding_a_forged_card_stays_inside_its_own_card(tmp_path):
    cards = read_back([person(display_name="Ann" + FORGED_CARD + "Lee"), person(cluster_key="vcard:b", display_name="Bob")],
                      tmp_path)
    assert [card.fn.value for card in cards] == ["Ann END:VCARD BEGIN:VCARD FN:Forged END:VCARD Lee", "Bob"]


def test_hostile_values_in_every_field_round_trip_without_their_control_characters(tmp_path):
    hostile = person(
        cluster_key="vcard:" + HOSTILE, display_name="Ann " + HOSTILE, given_name="Ann" + HOSTILE,
        family_name="Lee" + HOSTILE, emails=["ann" + HOSTILE + "@example.org", "second@example.org"],
        phones=["+44" + HOSTILE, "+447700900123"], linkedin_url="https://www.linkedin.com/in/ann" + HOSTILE,
        company="Acme" + HOSTILE, title="Boss" + HOSTILE, birthday="1990-01-02" + HOSTILE)
    cards = read_back([hostile, person(cluster_key="vcard:b", display_name="Bob", birthday="--03-04")], tmp_path)
    assert len(cards) == 2
    card = cards[0]
    assert card.fn.value == "Ann " + HOSTILE_READ_BACK
    assert (card.n.value.family, card.n.value.given) == ("Lee" + HOSTILE_READ_BACK, "Ann" + HOSTILE_READ_BACK)
    assert [line.value for line in card.email_list] == ["ann" + HOSTILE_READ_BACK + "@example.org", "second@example.org"]
    assert [line.value for line in card.tel_list] == ["+44" + HOSTILE_READ_BACK, "tel:+447700900123"]
    assert card.org.value == ["Acme" + HOSTILE_READ_BACK]
    assert card.title.value == "Boss" + HOSTILE_READ_BACK
    # The URL is percent-encoded as a URI is: read back, it names the same profile text.
    assert "\r" not in card.url.value and " " not in card.url.value
    assert card.url.value.startswith("https://www.linkedin.com/in/ann")
    assert not hasattr(card, "bday")  # not a date: left out rather than written as given
    assert cards[1].fn.value == "Bob" and cards[1].bday.value == "--0304"


def expected_read_back(value: str) -> str:
    """What any value must read back as, worked out character by character."""
    breaks = {"\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"}
    text = value.strip().replace("\r\n", "\n")
    return "".join(" " if char in breaks else "" if unicodedata.category(char) == "Cc" else char for char in text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=40), company=st.text(max_size=40), title=st.text(max_size=40))
def test_any_text_reads_back_as_written_minus_control_characters(tmp_path, name, company, title):
    cards = read_back([person(display_name="N " + name, company=company, title=title),
                       person(cluster_key="vcard:b", display_name="Bob")], tmp_path)
    assert len(cards) == 2 and cards[1].fn.value == "Bob"
    assert cards[0].fn.value.strip() == expected_read_back("N " + name).strip()
    if expected_read_back(company).strip():
        assert cards[0].org.value[0].strip() == expected_read_back(company).strip()
    if expected_read_back(title).strip():
        assert cards[0].title.value.strip() == expected_read_back(title).strip()


@pytest.mark.parametrize("url", [
    "https://www.linkedin.com/in/inj%0d%0aend:vcard%0d%0abegin:vcard%0d%0afn:forged",
    "https://www.linkedin.com/in/tab%09bed",
    "https://www.linkedin.com/in/nul%00led",
    "https://www.linkedin.com/in/line%E2%80%A8separated",
    "https://www.linkedin.com/in/two%20words",
    "https://www.linkedin.com/in/other%2Fprofile",
])
def test_a_linkedin_slug_with_control_characters_or_spaces_once_decoded_is_not_an_identifier(url):
    assert normalize_linkedin_url(url) is None


def test_a_percent_encoded_accented_slug_is_still_an_identifier():
    assert normalize_linkedin_url("https://linkedin.com/in/Jos%C3%A9-Garc%C3%ADa/") == "https://www.linkedin.com/in/josé-garcía"


@pytest.mark.parametrize("address", ["ann\x00@example.org", "ann\u2028lee@example.org", "ann\x1b@example.org",
                                     "ann\u200b@example.org"])
def test_an_email_with_control_or_invisible_characters_is_not_an_identifier(address):
    assert normalize_email(address) is None
    assert normalize_email("  Ann.Lee@Example.org ") == "ann.lee@example.org"
