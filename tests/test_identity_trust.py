"""Identity a user can trust (issue 13): keys that survive a re-export, answers that cannot drift,
deterministic merges first, no silent over-merge, review by people, stable ids, the owner apart."""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from tests.conftest import SAMPLE_AS_OF
from warehouse.config import ScoringConfig, set_sql_variables
from warehouse.ingest import ingest_inbox
from warehouse.models import load_models, models_in_order
from warehouse.resolution.store import resolve_in_warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "resolution" / "iphone"
CARDS = FIXTURES / "iCloud vCard.vcf"
CALENDAR_WINDOW = (datetime(2016, 1, 1, tzinfo=timezone.utc), datetime(2028, 1, 1, tzinfo=timezone.utc))


STAGES = ("ingest", "resolve", "metrics", "publish")


def staged(inbox: Path, connection: duckdb.DuckDBPyConnection | None = None,
           stages: tuple[str, ...] = ("ingest",)) -> duckdb.DuckDBPyConnection:
    """The inbox ingested and the models of `stages` built, as a run does but without Dagster
    (a tenth of the time); pass the same connection again for a later run on a changed inbox."""
    connection = connection or duckdb.connect()
    set_sql_variables(connection, ScoringConfig(), SAMPLE_AS_OF)
    connection.execute("SET VARIABLE inbox = ?", [str(inbox.resolve())])
    ingest_inbox(connection, str(inbox), CALENDAR_WINDOW)
    for stage in stages:
        if stage == "resolve":
            resolve_in_warehouse(connection)
        for model in models_in_order([model for model in load_models() if model.stage == stage]):
            connection.execute(f"CREATE OR REPLACE TABLE {model.name} AS\n{model.sql}")
    return connection


def card_blocks(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return ["BEGIN:VCARD" + block for block in text.split("BEGIN:VCARD")[1:]]


def keys_by_name(inbox: Path) -> dict[str, list[str]]:
    with staged(inbox) as connection:
        found = connection.execute(
            "SELECT coalesce(full_name, company), list(source_key ORDER BY source_key) FROM stg_vcard_cards GROUP BY ALL"
        ).fetchall()
    return dict(found)


# --- 1. stable keys ---------------------------------------------------------------------------

def test_card_keys_survive_a_new_card_on_top_and_a_renamed_file(tmp_path):
    first = tmp_path / "first"
    first.mkdir()
    shutil.copy(CARDS, first / "iCloud vCard.vcf")
    before = keys_by_name(first)

    second = tmp_path / "second"
    second.mkdir()
    newcomer = ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Abara;Tobi;;;\r\nFN:Tobi Abara\r\n"
                "EMAIL;type=INTERNET:tobi@abara.example\r\nEND:VCARD\r\n")
    (second / "iCloud vCard (1).vcf").write_text(newcomer + "".join(reversed(card_blocks(CARDS))), encoding="utf-8")
    after = keys_by_name(second)

    assert after.pop("Tobi Abara")
    assert after == before
    assert len(before["Wei Zhang"]) == 2  # two different people keep two keys


def test_a_changed_card_keeps_its_key_while_its_name_and_first_email_still_match(tmp_path):
    shutil.copy(CARDS, tmp_path / "contacts.vcf")
    before = keys_by_name(tmp_path)
    text = CARDS.read_text(encoding="utf-8").replace("FN:Daniel Okafor\r\n", "FN:Daniel Okafor\r\nTITLE:Architect\r\n")
    (tmp_path / "contacts.vcf").write_text(text, encoding="utf-8")
    assert keys_by_name(tmp_path)["Daniel Okafor"] == before["Daniel Okafor"]


def test_exact_duplicate_cards_are_numbered_and_distinct_cards_alike_in_name_are_not(tmp_path):
    blocks = card_blocks(CARDS)
    liz = next(block for block in blocks if "Liz Chen" in block)
    (tmp_path / "contacts.vcf").write_text("".join(blocks) + liz, encoding="utf-8")
    keys = keys_by_name(tmp_path)["Liz Chen"]
    assert len(keys) == 2 and keys[1] == keys[0] + "-2"


# --- 2 and 3. deterministic merges first, no silent over-merge ---------------------------------

from tests.test_resolution import as_frame, background_records  # noqa: E402
from warehouse.resolution import resolve_people  # noqa: E402


def resolve_with_background(extra: list[dict], decisions=None):
    return resolve_people(as_frame(background_records() + extra), decisions, default_region="US")


def cluster_of(resolution, key: str) -> str:
    return resolution.assignments.set_index("record_key").loc[key, "cluster_key"]


def record(key: str, name: str | None, **fields) -> dict:
    source = key.split(":", 1)[0]
    return {"record_key": key, "source": source, "full_name": name, "last_seen": "2026-01-01", **fields}


LIZ_CARD = record("vcard:card-liz", "Liz Chen", given_name="Liz", family_name="Chen",
                  emails=["lizchen.sf@gmail.com"], phones=["(415) 555-0101"])
# A Google Calendar attendee written only as an address; the pipeline spells a name out of it.
LIZ_INVITE = record("calendar:lizchen.sf@gmail.com", "Lizchen Sf", emails=["lizchen.sf@gmail.com"])
WEI_HARBOR = record("vcard:card-wei-1", "Wei Zhang", given_name="Wei", family_name="Zhang", company="Harbor Analytics",
                    emails=["wei.zhang@harboranalytics.example"], phones=["(415) 555-0144"])
WEI_LUMEN = record("vcard:card-wei-2", "Wei Zhang", given_name="Wei", family_name="Zhang", company="Lumen Bio",
                   emails=["wzhang@lumenbio.example"], phones=["(650) 555-0177"])
ANIYAH = record("vcard:card-aniyah", "Aniyah Lauryn Fritsch", given_name="Aniyah Lauryn", family_name="Fritsch")
ANIYA = record("vcard:card-aniya", "Aniya Fritsch", given_name="Aniya", family_name="Fritsch")
ORGANIZER_A = record("calendar:organizer@meetups.example", "Organizer", emails=["organizer@meetups.example"])
ORGANIZER_B = record("calendar:organizer@conference.example", "Organizer", emails=["organizer@conference.example"])


@pytest.fixture(scope="module")
def trust_cases():
    return resolve_with_background([LIZ_CARD, LIZ_INVITE, WEI_HARBOR, WEI_LUMEN, ANIYAH, ANIYA, ORGANIZER_A, ORGANIZER_B])


def pair_probability(resolution, left: str, right: str) -> float:
    pairs = resolution.pairs
    left, right = sorted((left, right))
    found = pairs[(pairs["left_key"] == left) & (pairs["right_key"] == right)]
    return float(found["probability"].iloc[0]) if len(found) else 0.0


def test_an_attendee_named_by_its_address_merges_with_the_card_listing_that_address(trust_cases):
    assert cluster_of(trust_cases, LIZ_CARD["record_key"]) == cluster_of(trust_cases, LIZ_INVITE["record_key"])
    assert pair_probability(trust_cases, LIZ_CARD["record_key"], LIZ_INVITE["record_key"]) == 1.0


def test_a_shared_email_merges_whatever_the_display_names():
    resolution = resolve_with_background([
        record("vcard:card-kim", "Kim Park", given_name="Kim", family_name="Park", emails=["kp@park.example"]),
        record("linkedin:https://www.linkedin.com/in/kp", "Kimberly Park-Lowe", emails=["KP@park.example"],
               linkedin_url="https://www.linkedin.com/in/kp"),
    ])
    assert cluster_of(resolution, "vcard:card-kim") == cluster_of(resolution, "linkedin:https://www.linkedin.com/in/kp")


def test_namesakes_with_different_employers_emails_and_phones_go_to_review_not_together(trust_cases):
    wei = (WEI_HARBOR["record_key"], WEI_LUMEN["record_key"])
    assert cluster_of(trust_cases, wei[0]) != cluster_of(trust_cases, wei[1])
    assert set(wei) in [{row.left_key, row.right_key} for row in trust_cases.review.itertuples()]


def test_name_only_records_with_different_given_names_go_to_review_not_together(trust_cases):
    pair = (ANIYAH["record_key"], ANIYA["record_key"])
    assert cluster_of(trust_cases, pair[0]) != cluster_of(trust_cases, pair[1])
    assert set(pair) in [{row.left_key, row.right_key} for row in trust_cases.review.itertuples()]


def test_two_role_addresses_named_organizer_stay_apart(trust_cases):
    assert cluster_of(trust_cases, ORGANIZER_A["record_key"]) != cluster_of(trust_cases, ORGANIZER_B["record_key"])
    assert pair_probability(trust_cases, ORGANIZER_A["record_key"], ORGANIZER_B["record_key"]) < 0.5


def test_a_business_card_is_named_by_its_organisation_not_an_internal_key():
    resolution = resolve_with_background([record("vcard:card-0f3a9c", None, company="Corner Hardware",
                                                  phones=["(415) 555-0123"])])
    golden = resolution.golden.set_index("cluster_key")
    assert golden.loc[cluster_of(resolution, "vcard:card-0f3a9c"), "display_name"] == "Corner Hardware"


def test_a_shared_phone_links_at_probability_one_but_a_households_line_does_not():
    resolution = resolve_with_background([
        record("vcard:card-ana", "Ana Ruiz", given_name="Ana", family_name="Ruiz", phones=["(415) 555-0170"]),
        record("calendar:ana.work@ruiz.example", "Ana Ruiz-Lopez", emails=["ana.work@ruiz.example"], phones=["+1 415 555 0170"]),
        record("vcard:card-luis", "Luis Ruiz", given_name="Luis", family_name="Ruiz", phones=["415-555-0170"]),
    ])
    assert pair_probability(resolution, "vcard:card-ana", "calendar:ana.work@ruiz.example") == 1.0
    assert cluster_of(resolution, "vcard:card-ana") != cluster_of(resolution, "vcard:card-luis")


def test_a_role_address_on_two_cards_does_not_make_them_one_person():
    resolution = resolve_with_background([
        record("vcard:card-ivo", "Ivo Brandt", given_name="Ivo", family_name="Brandt", emails=["info@brandt.example"]),
        record("vcard:card-eva", "Eva Brandt", given_name="Eva", family_name="Brandt", emails=["info@brandt.example"]),
    ])
    assert cluster_of(resolution, "vcard:card-ivo") != cluster_of(resolution, "vcard:card-eva")
