"""Conformance of the LinkedIn connector over the shared corpus of real-shaped export files."""
from __future__ import annotations

from pathlib import Path

import pytest

from connectors.inbox import LINKEDIN_FILE_KINDS
from connectors.linkedin import parse_linkedin_file

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "linkedin"
# The one file the corpus MANIFEST marks MALFORMED, and the row it breaks.
MALFORMED = {"kawsay_messages.csv": ["row 3 (line 5)"]}


def _kind_of(path: Path) -> str | None:
    """Corpus files carry their producer as a prefix (`kawsay_messages.csv`); the rest is the export name."""
    lowered = path.name.lower()
    return next((kind for name, kind in LINKEDIN_FILE_KINDS.items() if lowered.endswith(name)), None)


def _corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(path for path in CORPUS.iterdir() if _kind_of(path))


@pytest.fixture(scope="module", autouse=True)
def corpus_present():
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")


@pytest.mark.parametrize("path", _corpus_files(), ids=lambda path: path.name)
def test_corpus_file_reads_with_conservation_and_only_marked_rows_quarantined(path):
    with path.open("rb") as stream:
        result = parse_linkedin_file(stream, f"linkedin/{path.name}", _kind_of(path))
    rows = sum(len(table) for table in result.rows.values())
    assert result.items == rows + result.quarantined
    assert [entry.location for entry in result.quarantine if entry.scope != "property"] == MALFORMED.get(path.name, [])
    if path.name != "silkyrich_guide_messages.csv":  # the header-only edge case
        assert rows > 0


def test_the_malformed_badrow_is_named_with_its_reason():
    with (CORPUS / "kawsay_messages.csv").open("rb") as stream:
        result = parse_linkedin_file(stream, "linkedin/kawsay_messages.csv", "linkedin_messages")
    assert result.items == 3
    assert [entry.reason for entry in result.quarantine] == ["has 1 field where the header has 10"]
    kept = result.rows["linkedin_messages"]
    assert [row["sent_at"] for row in kept] == ["2024-03-15T09:30:00+00:00", "2024-03-15T10:00:00+00:00"]


def test_every_linkedin_kind_is_covered_by_the_corpus():
    kinds = {_kind_of(path) for path in _corpus_files()}
    # The corpus holds no Endorsement_Given_Info.csv; the fixtures cover that kind.
    assert {"linkedin_connections", "linkedin_messages", "linkedin_invitations",
            "linkedin_recommendations_received", "linkedin_recommendations_given",
            "linkedin_endorsements_received"} <= kinds
