"""Identity a user can trust (issue 13): keys that survive a re-export, answers that cannot drift,
deterministic merges first, no silent over-merge, review by people, stable ids, the owner apart."""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from tests.conftest import SAMPLE_AS_OF
from warehouse.config import ScoringConfig, sql_variables
from warehouse.ingest import ingest_inbox
from warehouse.models import load_models, models_in_order

FIXTURES = Path(__file__).parent / "fixtures" / "resolution" / "iphone"
CARDS = FIXTURES / "iCloud vCard.vcf"
CALENDAR_WINDOW = (datetime(2016, 1, 1, tzinfo=timezone.utc), datetime(2028, 1, 1, tzinfo=timezone.utc))


def staged(inbox: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with the inbox ingested and the ingest-stage models built."""
    connection = duckdb.connect()
    for name, value in sql_variables(ScoringConfig(), SAMPLE_AS_OF).items():
        connection.execute(f"SET VARIABLE {name} = ?", [value])
    ingest_inbox(connection, str(inbox), CALENDAR_WINDOW)
    for model in models_in_order([model for model in load_models() if model.stage == "ingest"]):
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
