"""Identity resolution on hard cases: nicknames, swapped order, typos, namesakes, households, scripts."""
from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import vobject

from warehouse.resolution import Resolution, resolve_people
from warehouse.resolution.cluster import Constraints, birthdays_conflict, constrained_clusters
from warehouse.resolution.export import write_vcard4
from warehouse.resolution.normalize import (
    employers_from_addresses,
    normalize_birthday,
    normalize_company,
    normalize_phone,
    nickname_related,
    split_name,
)
from pipelines import review

FIXTURES = Path(__file__).parent / "fixtures" / "resolution"
RECORD_COLUMNS = ["record_key", "source", "full_name", "given_name", "family_name", "emails", "phones",
                  "linkedin_url", "company", "title", "birthday", "city", "last_seen"]

# A personal address book holds hundreds of other people; the hard cases are resolved among
# them, so that the model's estimates (how rare a shared name is) are those of a real book.
BACKGROUND_GIVEN = ("Alice Brian Carla Derek Elena Farid Grace Hiro Ines Jamal Karin Luca Maya Nils Olga Pavel "
                    "Quinn Rosa Sami Tara Umar Vera Wes Xenia Yusuf Zoe Arjun Bea Cyril Dana").split()
BACKGROUND_FAMILY = ("Andersen Bauer Costa Dubois Eriksen Fischer Gallo Hansen Ivanova Jensen Kowalski Larsen "
                     "Moreau Novak Olsen Petrov Quist Rossi Schulz Tanaka Ueda Vogel Weber Young Zimmer").split()
BACKGROUND_PEOPLE = 250


def background_records() -> list[dict]:
    rng = random.Random(7)
    people: set[tuple[str, str]] = set()
    while len(people) < BACKGROUND_PEOPLE:
        people.add((rng.choice(BACKGROUND_GIVEN), rng.choice(BACKGROUND_FAMILY)))
    return [
        {"record_key": f"vcard:bg-{number:03d}", "source": "vcard", "full_name": f"{given} {family}",
         "given_name": given, "family_name": family,
         "emails": [f"{given.lower()}.{family.lower()}@example{number % 7}.com"],
         "phones": [f"+1 202 555 {1000 + number:04d}"], "last_seen": "2020-01-01"}
        for number, (given, family) in enumerate(sorted(people))
    ]


def as_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in RECORD_COLUMNS:
        if column not in frame:
            frame[column] = None
    return frame[RECORD_COLUMNS]


def address_book(extra: list[dict] | None = None) -> pd.DataFrame:
    rows = json.loads((FIXTURES / "address_book.json").read_text(encoding="utf-8"))
    return as_frame(rows + background_records() + (extra or []))


@pytest.fixture(scope="module")
def resolved() -> Resolution:
    return resolve_people(address_book(), default_region="US")


def cluster_of(resolution: Resolution, record_key: str) -> str:
    assignments = resolution.assignments.set_index("record_key")["cluster_key"]
    return assignments[record_key]


def together(resolution: Resolution, *record_keys: str) -> bool:
    return len({cluster_of(resolution, key) for key in record_keys}) == 1


def golden_of(resolution: Resolution, record_key: str) -> dict:
    golden = resolution.golden.set_index("cluster_key")
    return golden.loc[cluster_of(resolution, record_key)].to_dict()


ROBERT = "linkedin:https://www.linkedin.com/in/robert-smith-acme"


# --- normalisation --------------------------------------------------------------------------

def test_family_given_order_with_comma_is_parsed():
    assert split_name("Smith, Robert", None, None) == ("Robert", "Smith")


def test_honorifics_and_suffixes_are_dropped_from_names():
    assert split_name("Dr. Robert J. Smith Jr.", None, None) == ("Robert", "Smith")
    assert split_name(None, "Dr. Anna", "Keller PhD") == ("Anna", "Keller")


def test_names_in_unspaced_scripts_compare_whole_in_family_given_order():
    assert split_name("山田太郎", None, None) == split_name("山田 太郎", "太郎", "山田") == ("", "山田太郎")


def test_nicknames_relate_to_their_formal_names():
    assert nickname_related("bob", "robert")
    assert nickname_related("liz", "elizabeth")
    assert not nickname_related("bob", "michael")


def test_phones_become_e164_with_the_default_region():
    assert normalize_phone("(415) 555-0134", "US") == "+14155550134"
    assert normalize_phone("+44 20 7946 0321", "US") == "+442079460321"
    assert normalize_phone("020 7946 0321", "GB") == "+442079460321"


def test_company_legal_forms_are_dropped():
    assert normalize_company("ACME, Inc.") == normalize_company("Acme") == "acme"
    assert normalize_company("Barclays PLC") == "barclays"


def test_an_address_names_the_employer_only_when_one_known_company_starts_with_its_domain():
    companies = ["kestrel robotics", "", "", "", "north star", "northgate bank", "", "acme"]
    emails = [[], ["ingrid@kestrelrobotics.example.com"], ["ingrid@post.example.org"], ["x@ab.com"],
              [], [], ["z@north.example.com"], ["someone@kestrelrobotics.com"]]
    assert employers_from_addresses(companies, emails) == [
        "kestrel robotics", "kestrel robotics",  # the domain names a company of the book
        "", "",  # a mail provider names no company; "ab" is too short to tell
        "north star", "northgate bank", "",  # "north" starts two companies' names: neither
        "acme",  # a record's own company stands
    ]


def test_calendar_invitee_joins_the_namesake_at_the_company_their_address_names():
    extra = [
        {"record_key": "linkedin:https://www.linkedin.com/in/ingrid-solheim", "source": "linkedin",
         "full_name": "Ingrid Solheim", "given_name": "Ingrid", "family_name": "Solheim",
         "linkedin_url": "https://www.linkedin.com/in/ingrid-solheim", "company": "Kestrel Robotics",
         "last_seen": "2026-01-10"},
        {"record_key": "linkedin:https://www.linkedin.com/in/tomas-reyes", "source": "linkedin",
         "full_name": "Tomas Reyes", "given_name": "Tomas", "family_name": "Reyes",
         "linkedin_url": "https://www.linkedin.com/in/tomas-reyes", "company": "Harbourline Logistics",
         "last_seen": "2026-01-10"},
        {"record_key": "calendar:ingrid.solheim@kestrelrobotics.com", "source": "calendar",
         "full_name": "Ingrid Solheim", "emails": ["ingrid.solheim@kestrelrobotics.com"], "last_seen": "2026-05-01"},
        # A namesake whose address places her at another company the book knows.
        {"record_key": "calendar:isolheim@harbourline.net", "source": "calendar",
         "full_name": "Ingrid Solheim", "emails": ["isolheim@harbourline.net"], "last_seen": "2026-05-02"},
    ]
    resolution = resolve_people(address_book(extra), default_region="US")
    assert together(resolution, "linkedin:https://www.linkedin.com/in/ingrid-solheim",
                    "calendar:ingrid.solheim@kestrelrobotics.com")
    assert not together(resolution, "linkedin:https://www.linkedin.com/in/ingrid-solheim",
                        "calendar:isolheim@harbourline.net")


def test_birthdays_keep_a_missing_year():
    assert normalize_birthday("1985-03-04") == "1985-03-04"
    assert normalize_birthday("--03-04") == "--03-04"
    assert normalize_birthday("yesterday") == ""


def test_birthdays_one_slip_apart_do_not_conflict_but_other_dates_do():
    assert not birthdays_conflict("1985-03-04", "1985-03-05")
    assert not birthdays_conflict("1985-03-04", "1985-04-03")
    assert birthdays_conflict("1979-11-02", "1962-05-17")


# --- resolution: merged -------------------------------------------------------------------------

def test_nickname_with_shared_phone_and_company_merges(resolved):
    assert together(resolved, "vcard:bob-smith", "vcard:robert-smith-google", ROBERT)


def test_outlook_family_given_order_merges(resolved):
    assert together(resolved, "calendar:robert.smith@acme.com", ROBERT)


def test_typo_in_given_name_merges(resolved):
    assert together(resolved, "vcard:jonathan-whitfield", "linkedin:https://www.linkedin.com/in/jwhitfield")


def test_changed_employer_merges_and_golden_company_is_the_newer(resolved):
    assert together(resolved, "vcard:jane-doe", "linkedin:https://www.linkedin.com/in/janedoe")
    person = golden_of(resolved, "vcard:jane-doe")
    assert person["company"] == "Globex Corporation"
    assert person["title"] == "Director of Analytics"
    assert person["emails"] == ["jane.doe@initech.com"]


def test_same_kanji_name_and_email_merge(resolved):
    assert together(resolved, "vcard:yamada-taro", "calendar:taro.yamada@example.jp")
    assert golden_of(resolved, "vcard:yamada-taro")["display_name"] == "山田太郎"


def test_accented_name_merges_with_its_ascii_spelling_and_keeps_accents(resolved):
    assert together(resolved, "vcard:jose-garcia", "calendar:jose@garcia.es")
    assert golden_of(resolved, "vcard:jose-garcia")["display_name"] == "José García"


# --- resolution: kept apart ---------------------------------------------------------------------

def test_two_michael_chens_with_different_companies_and_emails_stay_apart(resolved):
    assert not together(resolved, "vcard:michael-chen-stripe", "linkedin:https://www.linkedin.com/in/michael-chen-42")


def test_couple_sharing_home_phone_and_surname_stay_apart_and_go_to_review(resolved):
    assert not together(resolved, "vcard:john-miller", "vcard:joan-miller")
    queued = {frozenset(pair) for pair in zip(resolved.review["left_key"], resolved.review["right_key"])}
    assert frozenset(("vcard:john-miller", "vcard:joan-miller")) in queued


def test_different_kanji_names_stay_apart(resolved):
    assert not together(resolved, "vcard:yamada-taro", "vcard:yamada-hanako")
    assert not together(resolved, "vcard:yamada-taro", "vcard:suzuki-ichiro")


def test_namesakes_with_clearly_different_birthdays_stay_apart(resolved):
    assert not together(resolved, "vcard:dr-anna-keller", "vcard:anna-keller-2")


def test_a_record_linked_to_two_linkedin_profiles_does_not_chain_them(resolved):
    assert not together(resolved, "linkedin:https://www.linkedin.com/in/sam-lee-1",
                        "linkedin:https://www.linkedin.com/in/sam-lee-2")
    assert together(resolved, "vcard:sam-lee", "linkedin:https://www.linkedin.com/in/sam-lee-1")


def test_background_people_stay_singletons(resolved):
    background = resolved.assignments[resolved.assignments["record_key"].str.startswith("vcard:bg-")]
    assert (background["record_key"] == background["cluster_key"]).all()


# --- outputs --------------------------------------------------------------------------------

def test_cluster_key_is_the_smallest_record_key_and_anchors_have_probability_one(resolved):
    assignments = resolved.assignments
    assert list(assignments.columns) == ["record_key", "cluster_key", "match_probability"]
    smallest = assignments.groupby("cluster_key")["record_key"].min()
    assert (smallest.index == smallest.to_numpy()).all()
    anchors = assignments[assignments["record_key"] == assignments["cluster_key"]]
    assert (anchors["match_probability"] == 1.0).all()
    members = assignments[assignments["record_key"] != assignments["cluster_key"]]
    assert ((members["match_probability"] >= 0.5) & (members["match_probability"] <= 1.0)).all()


def test_golden_record_collects_every_email_and_e164_phone_and_sources(resolved):
    person = golden_of(resolved, ROBERT)
    assert person["display_name"] == "Robert Smith"
    assert set(person["emails"]) == {"robert.smith@acme.com", "bob@smithfamily.net", "rsmith@acme.com"}
    assert person["phones"] == ["+14155550134"]
    assert person["linkedin_url"] == "https://www.linkedin.com/in/robert-smith-acme"
    assert person["company"] == "Acme"
    assert person["sources"] == ["calendar", "linkedin", "vcard"]
    assert person["record_count"] == 5
    assert len(resolved.golden) == resolved.assignments["cluster_key"].nunique()


def test_review_rows_show_both_records_side_by_side(resolved):
    row = resolved.review[(resolved.review["left_key"] == "vcard:joan-miller")].iloc[0]
    assert list(resolved.review.columns) == ["left_key", "right_key", "probability", "left_summary", "right_summary",
                                             "left_records", "right_records", "left_about", "right_about"]
    assert row["left_summary"].startswith("Joan Miller | joanm@gmail.com | +13125550147")
    assert row["right_summary"].startswith("John Miller")


def test_pairs_carry_probability_and_match_weight(resolved):
    assert list(resolved.pairs.columns) == ["left_key", "right_key", "probability", "match_weight"]
    assert (resolved.pairs["left_key"] < resolved.pairs["right_key"]).all()
    assert resolved.pairs["probability"].between(0, 1).all()


def test_bare_calendar_address_is_compared_with_names_through_its_local_part(resolved):
    pairs = resolved.pairs
    assert ((pairs["left_key"] == "calendar:rsmith@acme.com") & (pairs["right_key"] == ROBERT)).any()
    # r + smith at the domain of the one Acme in the book: Robert Smith of Acme.
    assert together(resolved, "calendar:rsmith@acme.com", ROBERT)


# --- decisions and stability ------------------------------------------------------------------

def test_decision_different_splits_a_merged_pair():
    decisions = pd.DataFrame([{"left_key": "vcard:bob-smith", "right_key": ROBERT, "decision": "different"}])
    resolution = resolve_people(address_book(), decisions, default_region="US")
    assert not together(resolution, "vcard:bob-smith", ROBERT)
    queued = {frozenset(pair) for pair in zip(resolution.review["left_key"], resolution.review["right_key"])}
    assert frozenset(("vcard:bob-smith", ROBERT)) not in queued


def test_decision_same_links_a_pair_kept_apart():
    decisions = pd.DataFrame([{"left_key": "vcard:john-miller", "right_key": "vcard:joan-miller", "decision": "same"}])
    resolution = resolve_people(address_book(), decisions, default_region="US")
    assert together(resolution, "vcard:john-miller", "vcard:joan-miller")
    assert not (resolution.review["left_key"].isin(["vcard:joan-miller", "vcard:john-miller"])
                & resolution.review["right_key"].isin(["vcard:joan-miller", "vcard:john-miller"])).any()


def test_decision_about_a_record_no_longer_present_is_ignored():
    decisions = pd.DataFrame([{"left_key": "vcard:gone", "right_key": ROBERT, "decision": "same"}])
    resolution = resolve_people(address_book(), decisions, default_region="US")
    assert "vcard:gone" not in set(resolution.assignments["record_key"])


def test_cluster_key_is_stable_when_an_unrelated_record_is_added(resolved):
    stranger = {"record_key": "vcard:aaa-stranger", "source": "vcard", "full_name": "Ottilie Brandywine",
                "emails": ["ottilie@brandywine.example"], "phones": [], "last_seen": "2024-06-01"}
    again = resolve_people(address_book([stranger]), default_region="US")
    before = resolved.assignments.set_index("record_key")["cluster_key"]
    after = again.assignments.set_index("record_key")["cluster_key"]
    assert after.drop("vcard:aaa-stranger").sort_index().equals(before.sort_index())
    assert cluster_of(again, "vcard:aaa-stranger") == "vcard:aaa-stranger"


def test_same_inputs_give_the_same_clusters_in_any_row_order(resolved):
    shuffled = address_book().sample(frac=1.0, random_state=3)
    again = resolve_people(shuffled, default_region="US")
    before = resolved.assignments.set_index("record_key")["cluster_key"].sort_index()
    assert again.assignments.set_index("record_key")["cluster_key"].sort_index().equals(before)


def test_empty_input_gives_empty_frames():
    resolution = resolve_people(as_frame([]))
    assert resolution.assignments.empty and resolution.golden.empty and resolution.review.empty


# --- export and review command ----------------------------------------------------------------

def test_vcard4_export_reads_back_with_vobject(resolved, tmp_path):
    path = tmp_path / "people.vcf"
    count = write_vcard4(resolved.golden, path)
    cards = list(vobject.readComponents(path.read_text(encoding="utf-8")))
    assert count == len(cards) == len(resolved.golden)
    by_name = {card.fn.value: card for card in cards}
    robert = by_name["Robert Smith"]
    assert robert.version.value == "4.0"
    assert {email.value for email in robert.contents["email"]} == {"robert.smith@acme.com", "bob@smithfamily.net", "rsmith@acme.com"}
    assert robert.tel.value == "tel:+14155550134"
    assert robert.n.value.family == "Smith" and robert.n.value.given == "Robert"
    assert "山田太郎" in by_name and "José García" in by_name


def test_vcard4_export_escapes_commas_and_folds_long_lines(tmp_path):
    golden = pd.DataFrame([{
        "cluster_key": "vcard:x", "display_name": "Ann Example", "given_name": "Ann", "family_name": "Example",
        "emails": [], "phones": [], "linkedin_url": None, "company": "Smith, Jones; and Partners " + "é" * 60,
        "title": None, "birthday": "--03-04", "sources": ["vcard"], "record_count": 1,
    }])
    path = tmp_path / "one.vcf"
    write_vcard4(golden, path)
    assert all(len(line.encode("utf-8")) <= 75 for line in path.read_bytes().decode("utf-8").split("\r\n"))
    card = vobject.readOne(path.read_text(encoding="utf-8"))
    assert card.org.value[0].startswith("Smith, Jones")
    assert card.bday.value == "--0304"


def test_a_shared_common_name_weighs_less_than_a_shared_rare_name():
    common = [{"record_key": f"vcard:common-{number}", "source": "vcard", "full_name": f"John Smith {suffix}",
               "given_name": "John", "family_name": "Smith", "emails": [], "phones": [], "last_seen": None}
              for number, suffix in enumerate(["", "", "", "", "", ""])]
    rare = [{"record_key": f"vcard:rare-{number}", "source": "vcard", "full_name": "Thaddeus Quimby",
             "given_name": "Thaddeus", "family_name": "Quimby", "emails": [], "phones": [], "last_seen": None}
            for number in range(2)]
    resolution = resolve_people(address_book(common + rare), default_region="US")
    pairs = resolution.pairs.set_index(["left_key", "right_key"])["match_weight"]
    assert pairs[("vcard:rare-0", "vcard:rare-1")] > pairs[("vcard:common-0", "vcard:common-1")] + 1.0


def test_a_clear_mismatch_vetoes_a_chain_of_plausible_links():
    left, right = np.array([0, 1, 0]), np.array([1, 2, 2])
    probability = np.array([0.9, 0.8, 1e-7])
    nothing = np.array(["", "", ""], dtype=object)
    chained = constrained_clusters(3, left, right, probability, np.zeros(3, dtype=bool), 0.5,
                                   Constraints(nothing, nothing, veto_below=0.0))
    vetoed = constrained_clusters(3, left, right, probability, np.zeros(3, dtype=bool), 0.5,
                                  Constraints(nothing, nothing, veto_below=1e-5))
    assert len(set(chained.labels)) == 1
    assert vetoed.labels[0] == vetoed.labels[1] != vetoed.labels[2]
    assert (1, 2) in vetoed.refused


# --- firm-scale address books: many namesakes -----------------------------------------------

FIRM_GIVEN = "James Mary Robert Linda David Susan Peter Anna Paul Laura".split()
FIRM_FAMILY = "Smith Jones Brown Taylor Wilson Evans Walker Wright Green Hall".split()
FIRM_COMPANIES = [f"Company {letter}" for letter in "ABCDEFGHIJKLMNOPQRST"]
FIRM_TITLES = [f"Title {number}" for number in range(15)]
SMITH_EMPLOYERS = "Acme Globex Initech Umbrella Hooli Vandelay Soylent Tyrell Wonka Cyberdyne".split()


def firm_book(people: int = 1500) -> list[dict]:
    """Each person's phone-book card and LinkedIn connection, names from a pool of a hundred,
    so that every full name is shared by about fifteen different people (as at a large firm)."""
    rng = random.Random(11)
    rows = []
    for number in range(people):
        given, family = rng.choice(FIRM_GIVEN), rng.choice(FIRM_FAMILY)
        company, title = rng.choice(FIRM_COMPANIES), rng.choice(FIRM_TITLES)
        email = f"{given.lower()}.{family.lower()}{number}@mail{number % 5}.example"
        rows.append({"record_key": f"vcard:firm-{number:04d}", "source": "vcard", "full_name": f"{given} {family}",
                     "given_name": given, "family_name": family, "emails": [email],
                     "phones": [f"+1 202 555 {number:04d}"], "company": company})
        rows.append({"record_key": f"linkedin:firm-{number:04d}", "source": "linkedin",
                     "full_name": f"{given} {family}", "given_name": given, "family_name": family,
                     "emails": [email] if number % 3 == 0 else [], "company": company, "title": title,
                     "linkedin_url": f"https://www.linkedin.com/in/firm-{number}"})
    return rows


@pytest.fixture(scope="module")
def firm() -> Resolution:
    smiths = [{"record_key": f"vcard:smith-{number}", "source": "vcard", "full_name": "James Smith",
               "given_name": "James", "family_name": "Smith", "emails": [f"james.smith{90 + number}@host{number}.example"],
               "phones": [f"+1 303 555 01{number:02d}"], "company": SMITH_EMPLOYERS[number]} for number in range(10)]
    attendee = {"record_key": "calendar:smith-3", "source": "calendar", "full_name": "James Smith",
                "emails": ["james.smith93@host3.example"]}
    return resolve_people(as_frame(firm_book() + smiths + [attendee]), default_region="US")


def test_ten_james_smiths_with_different_emails_and_companies_stay_apart(firm):
    assert len({cluster_of(firm, f"vcard:smith-{number}") for number in range(10)}) == 10


def test_james_smith_sharing_an_email_with_one_of_them_merges_with_that_one(firm):
    assert together(firm, "calendar:smith-3", "vcard:smith-3")


def test_namesakes_at_a_large_firm_are_linked_by_a_shared_email_not_chained_by_name(firm):
    shared_email = [together(firm, f"vcard:firm-{number:04d}", f"linkedin:firm-{number:04d}") for number in range(0, 1500, 3)]
    clusters = firm.assignments.groupby("cluster_key").size()
    assert all(shared_email)
    assert (clusters > 2).sum() < 15  # namesakes are not chained into crowds


def test_addresses_differing_only_in_their_digits_are_not_a_typo(firm):
    pairs = firm.pairs.set_index(["left_key", "right_key"])["probability"]
    assert pairs.get(("vcard:smith-1", "vcard:smith-2"), 0.0) < 0.1


def test_review_queue_is_capped_and_keeps_the_likeliest_pairs():
    book = as_frame(firm_book(600))
    full = resolve_people(book, default_region="US")
    capped = resolve_people(book, default_region="US", review_limit=5)
    assert len(full.review) > 5 and len(capped.review) == 5
    assert capped.review["probability"].tolist() == full.review["probability"].head(5).tolist()
    assert capped.review["left_summary"].str.contains(" | ").all()


def test_review_finds_the_default_warehouse_and_inbox_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STRONGTIES_WAREHOUSE", "")  # set but empty counts as unset, as everywhere else
    monkeypatch.delenv("STRONGTIES_INBOX", raising=False)
    repo = Path(__file__).resolve().parents[1]
    assert review.warehouse_path() == repo / "warehouse" / "strongties.duckdb"
    assert review.decisions_path() == repo / "data" / "sample" / "decisions.csv"
