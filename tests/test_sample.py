"""The shipped sample inbox, end to end: what `make run` shows a new user."""
from __future__ import annotations

import csv

import pytest

from tests.conftest import REPO_ROOT, SAMPLE_AS_OF, SAMPLE_INBOX, failed_checks, materialize_all, query

TRUTH = REPO_ROOT / "data" / "sample_truth.csv"


@pytest.fixture(scope="module")
def sample_warehouse(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("sample") / "strongties.duckdb"
    result = materialize_all(SAMPLE_INBOX, warehouse, SAMPLE_AS_OF)
    assert result.success
    assert failed_checks(result) == []
    return warehouse


def true_people_by_tier(tier: str) -> set[str]:
    with TRUTH.open() as handle:
        return {row["true_person"] for row in csv.DictReader(handle) if row["tier"] == tier and row["dormant"] in ("0", "False", "false", "")}


def person_ids_of_true_people(warehouse, true_people: set[str]) -> set[str]:
    with TRUTH.open() as handle:
        keys = [(row["source"], row["source_key"]) for row in csv.DictReader(handle) if row["true_person"] in true_people]
    found = query(warehouse, "SELECT DISTINCT source, source_key, person_id FROM source_record")
    lookup = {(row.source, row.source_key): row.person_id for row in found.itertuples()}
    return {lookup[key] for key in keys if key in lookup}


def test_sample_reads_whole_with_nothing_quarantined(sample_warehouse):
    files = query(sample_warehouse, "SELECT * FROM input_file")
    assert len(files) >= 10
    assert files["quarantined"].sum() == 0
    # The sample's bulk mail is skipped on purpose; the counts of it are the only notes.
    assert len(query(sample_warehouse, "SELECT * FROM quarantine WHERE reason NOT LIKE '%kept out of people and interactions'")) == 0


def test_sample_has_about_150_people_without_the_owner(sample_warehouse):
    people = query(sample_warehouse, "SELECT * FROM person")
    assert 140 <= len(people) <= 200
    owner = query(sample_warehouse, "SELECT * FROM person WHERE list_contains(emails, 'alex.morgan@example.com')")
    assert len(owner) == 0


def test_closest_ties_of_the_sample_make_the_core_list(sample_warehouse):
    closest = person_ids_of_true_people(sample_warehouse, true_people_by_tier("closest"))
    core = set(query(sample_warehouse, "SELECT person_id FROM core_list")["person_id"])
    assert len(core) == 10
    assert len(closest & core) >= 4


def test_sample_dormant_ties_were_strong_and_are_silent(sample_warehouse):
    dormant = query(sample_warehouse, "SELECT * FROM dormant_ties")
    assert len(dormant) >= 5
    assert (dormant["days_since_last_contact"] >= 365).all()
