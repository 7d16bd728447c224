"""The charts the Dagster UI shows on the marts' pages: rows with bars of block characters, whole people."""
from __future__ import annotations

from warehouse.charts import (
    BAR_WIDTH,
    FULL_BLOCK,
    NO_SCORE,
    SPARK_LEVELS,
    STACK_SHADES,
    bar,
    fading_rows,
    network_load_rows,
    pareto_rows,
    score_band_rows,
    sparkline,
    strength_line_rows,
)


def test_bars_scale_to_the_largest_value_and_a_small_one_still_shows():
    assert bar(10, 10) == FULL_BLOCK * BAR_WIDTH
    assert bar(5, 10) == FULL_BLOCK * (BAR_WIDTH // 2)
    assert bar(0.001, 10) != "" and bar(0, 10) == "" and bar(3, 0) == ""


def test_score_bands_count_whole_people_strongest_first_with_a_score_of_one_in_the_top_band():
    rows = score_band_rows([1.0, 0.95, 0.5, 0.05, 0.0])
    assert rows[0]["score"] == "0.9–1.0" and rows[0]["people"] == 2
    assert rows[-1]["score"] == "0.0–0.1" and rows[-1]["people"] == 2
    assert all(isinstance(row["people"], int) for row in rows)
    assert sum(row["people"] for row in rows) == 5


def test_score_bands_mark_where_each_reached_dunbar_layer_ends():
    scores = sorted([0.9] * 3 + [0.5] * 12 + [0.1] * 6, reverse=True)  # 21 people: layers 5 and 15 reached
    marks = {row["score"]: row["layer_ends_here"] for row in score_band_rows(scores) if row["layer_ends_here"]}
    assert marks == {"0.5–0.6": "top 5, top 15"}


def test_pareto_curve_reads_whole_people_and_ends_at_all_the_value():
    rows = pareto_rows([50, 20, 10, 10, 5, 5, 0])  # six referrers; the zero is not one
    assert rows[1] == {"top_referrers": "20%", "people": 2, "share_of_value": 0.7, "curve": bar(0.7, 1.0)}
    assert rows[-1]["people"] == 6 and rows[-1]["share_of_value"] == 1.0
    assert pareto_rows([])[0]["share_of_value"] == 0.0


def test_network_load_stacks_strong_weak_and_new_hours_in_their_own_shades():
    [row] = network_load_rows([{"month": "2026-11-01", "meeting_hours": 10.0, "hours_with_strong_ties": 5.0,
                                "hours_with_weak_ties": 3.0, "hours_with_new_ties": 2.0}])
    strong, weak, new = STACK_SHADES
    assert row["month"] == "2026-11"
    assert row["hours"] == strong * 15 + weak * 9 + new * 6


def test_sparkline_draws_scores_on_one_scale_and_months_without_a_score_as_dots():
    assert sparkline([None, 0.0, 0.5, 1.0]) == f"{NO_SCORE}{SPARK_LEVELS[0]}{SPARK_LEVELS[4]}{SPARK_LEVELS[-1]}"
    assert sparkline([1.7, -0.2]) == SPARK_LEVELS[-1] + SPARK_LEVELS[0]  # out of range is clamped, not an error


def test_strength_lines_give_each_person_one_character_a_month_from_the_first_month_shown():
    months = ["2026-09-01", "2026-10-01", "2026-11-01"]
    rows = strength_line_rows([{"rank": 1, "who": "p_1", "scores": {"2026-10-01": 0.9, "2026-11-01": 0.6}},
                               {"rank": 2, "who": "p_2", "scores": {}}], months)
    assert rows[0] == {"rank": 1, "person": "p_1", "since": "2026-09", "strength": NO_SCORE + sparkline([0.9, 0.6]),
                       "first": 0.9, "now": 0.6}
    assert rows[1]["strength"] == NO_SCORE * 3 and rows[1]["now"] is None


def test_fading_bar_shows_the_strength_left_in_full_blocks_and_the_strength_lost_in_light_shade():
    [row] = fading_rows([{"rank": 1, "who": "p_1", "score": 0.5, "peak_score": 0.8,
                          "scores": {"2026-11-01": 0.5}}], ["2026-10-01", "2026-11-01"])
    strong, _, light = STACK_SHADES
    assert row["now_and_lost"] == strong * round(0.5 * BAR_WIDTH) + light * round(0.3 * BAR_WIDTH)
    assert (row["peak"], row["now"], row["strength"]) == (0.8, 0.5, NO_SCORE + sparkline([0.5]))
