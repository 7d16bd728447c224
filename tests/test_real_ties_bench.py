"""The real-ties benchmark's own arithmetic and inbox building (bench/bench_real_ties.py), without running the product."""
from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_real_ties as bench  # noqa: E402


def test_ndcg_is_one_when_every_friend_comes_first_and_less_when_one_is_last():
    relevant = [True, True, False, False]
    assert bench.ndcg_at([4, 3, 2, 1], relevant) == pytest.approx(1.0)
    # Friends at ranks 1 and 4: (1 + 1/log2(5)) / (1 + 1/log2(3)).
    expected = (1 + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert bench.ndcg_at([4, 1, 2, 3], relevant) == pytest.approx(expected)


def test_tied_scores_count_as_the_average_over_their_orders_not_a_lucky_tie_break():
    relevant = [True, False]
    # Both orders equally likely: rank 1 holds a friend half the time.
    assert bench.precision_at([1.0, 1.0], relevant, depth=1) == pytest.approx(0.5)
    assert bench.auc([1.0, 1.0], relevant) == pytest.approx(0.5)
    shuffled = (0.5 + 0.5 / math.log2(3)) / 1.0
    assert bench.ndcg_at([1.0, 1.0], relevant) == pytest.approx(shuffled)


def test_precision_at_five_counts_friends_among_the_first_five():
    scores = [9, 8, 7, 6, 5, 4]
    relevant = [True, False, True, True, False, True]
    assert bench.precision_at(scores, relevant) == pytest.approx(3 / 5)


def test_auc_is_the_share_of_friend_and_stranger_pairs_ordered_right():
    scores = [0.9, 0.2, 0.5, 0.1]
    relevant = [True, True, False, False]
    # Pairs: (0.9 > 0.5), (0.9 > 0.1), (0.2 < 0.5), (0.2 > 0.1): three of four.
    assert bench.auc(scores, relevant) == pytest.approx(0.75)
    assert math.isnan(bench.auc([1, 2], [True, True]))


def test_bootstrap_interval_holds_the_mean_and_narrows_with_agreeing_students():
    spread = [0.2, 0.9, 0.4, 0.7, 0.5, 0.3, 0.8, 0.6]
    low, high = bench.bootstrap_interval(spread)
    assert low < sum(spread) / len(spread) < high
    same_low, same_high = bench.bootstrap_interval([0.5] * 8)
    assert (same_low, same_high) == (0.5, 0.5)
    assert bench.bootstrap_interval([float("nan"), 0.4, 0.4]) == (0.4, 0.4)


def test_paired_difference_is_beyond_noise_only_when_its_interval_leaves_zero():
    better = bench.paired_difference([0.9] * 10, [0.8] * 10)
    assert better["beyond_noise"] and better["low"] == pytest.approx(0.1)
    mixed = bench.paired_difference([0.9, 0.7] * 10, [0.8] * 20)
    assert not mixed["beyond_noise"]


def test_fitted_weights_are_non_negative_sum_to_one_and_favour_the_feature_that_separates():
    width = len(bench.FEATURES)
    groups = []
    for shift in range(6):
        # Feature 1 tells friends from the rest; feature 0 is noise that favours non-friends.
        rows = [[0.1 * shift if i == 0 else (0.9 if i == 1 else 0.5) for i in range(width)],
                [0.8 if i == 0 else (0.2 if i == 1 else 0.5) for i in range(width)]]
        groups.append((rows, [True, False]))
    weights = bench.fit_weights(groups)
    assert all(weight >= 0 for weight in weights)
    assert sum(weights) == pytest.approx(1.0)
    assert weights[1] == max(weights)
    assert weights[0] == pytest.approx(0.0, abs=1e-9)


def test_rounded_weights_keep_summing_to_one():
    rounded = bench.rounded_weights([0.333, 0.333, 0.334, 0, 0, 0, 0, 0])
    assert sum(rounded) == pytest.approx(1.0)
    assert all(round(weight / bench.WEIGHT_GRANULARITY, 6).is_integer() for weight in rounded)


def hand_made_log() -> bench.Log:
    """Student 1 texts 2 twice and is texted once, calls 3 (answered, 90 s) and misses a call from 4."""
    return bench.Log(
        texts=[(100, 1, 2), (90_000, 2, 1), (200_000, 1, 2), (300, 5, 6)],
        calls=[(5_000, 1, 3, 90), (6_000, 4, 1, 0)],
        friends={(1, 2), (2, 1)},
    )


def test_signals_count_texts_answered_calls_seconds_and_days_per_contact():
    signals = bench.signals_of(hand_made_log(), 1)
    assert (signals[2].texts, signals[2].all_contacts, signals[2].contact_days) == (3, 3, 3)
    assert (signals[3].calls, signals[3].call_seconds, signals[3].contact_days) == (1, 90, 1)
    # An unanswered call makes a contact with nothing to count.
    assert (signals[4].all_contacts, signals[4].contact_days) == (0, 0)
    assert 5 not in signals


def test_inbox_for_one_student_holds_their_texts_as_messages_and_answered_calls_as_meetings(tmp_path):
    counts = bench.build_inbox(hand_made_log(), 1, tmp_path)
    assert counts == {"contacts": 3, "texts": 3, "answered_calls": 1}
    with (tmp_path / "linkedin" / "messages.csv").open(newline="", encoding="utf-8") as handle:
        messages = list(csv.DictReader(handle))
    assert [row["SENDER PROFILE URL"].rsplit("-", 1)[1] for row in messages] == ["1", "2", "1"]  # newest first
    with (tmp_path / "linkedin" / "Connections.csv").open(newline="", encoding="utf-8") as handle:
        connections = list(csv.DictReader(handle))
    assert len(connections) == 3  # student 4, who only missed a call, is still a connection
    calendar = (tmp_path / "calls.ics").read_text(encoding="utf-8")
    assert calendar.count("BEGIN:VEVENT") == 1
    assert f"ORGANIZER;CN={' '.join(bench.name_of(1))}:mailto:{bench.email_of(1)}" in calendar
    assert "DTSTART:20130204T012320Z" in calendar and "DTEND:20130204T012450Z" in calendar
    assert bench.email_of(1) in (tmp_path / "owner.yaml").read_text(encoding="utf-8")
    assert (tmp_path / "contacts.vcf").read_text(encoding="utf-8").count("BEGIN:VCARD") == 3


@pytest.mark.skipif(not bench.DATASET_DIR.is_dir(), reason="../shared/datasets/copenhagen is absent")
def test_the_study_yields_the_issues_99_students_and_one_real_inbox(tmp_path):
    log = bench.read_log()
    students, no_friend = bench.select_students(log)
    assert len(students) == 99 and len(no_friend) == 3
    counts = bench.build_inbox(log, students[0], tmp_path)
    assert counts["contacts"] >= bench.MIN_CONTACTS
    relevant, scores = bench.rankings(log, students[0], None)
    assert any(relevant) and set(scores) == set(bench.SIGNALS)


def test_rescoring_a_finished_run_with_its_own_settings_gives_back_its_published_tie_strength(tiny_warehouse):
    """The offline fit re-runs the score on finished warehouses; with the settings the run used it
    must reproduce what was published (tie_strength reads features only its working file holds)."""
    import duckdb

    from tests.conftest import SAMPLE_AS_OF
    from warehouse.config import ScoringConfig, sql_variables

    again = bench.rescored(tiny_warehouse, sql_variables(ScoringConfig(), SAMPLE_AS_OF)).drop_duplicates("person_id")
    with duckdb.connect(str(tiny_warehouse), read_only=True) as connection:
        published = connection.execute("SELECT person_id, score, rank FROM tie_strength").fetchall()
    assert published
    assert sorted(zip(again["person_id"], again["score"], again["rank"])) == sorted(published)
