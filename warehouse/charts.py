"""Charts for the Dagster UI, drawn as rows of a table with a bar of block characters each.

The UI shows a table of metadata on the asset's own page as it is, while a Markdown entry
longer than 1,000 characters hides behind "Show Markdown", and its Markdown view drops
`data:` image sources (react-markdown keeps http, https, mailto and tel only): a picture
would never show. A bar of block characters in a table cell does, and reads anywhere.

Every function here takes plain rows and returns plain rows (dicts of str, int or float):
counts, scores, months and quarters; a chart of people labels each with whatever the caller
passes as `who` (a person_id unless the owner asked for names in the UI). The Dagster side
turns them into tables.
"""
from __future__ import annotations

from collections.abc import Sequence

# Dunbar's layers of about 5, 15, 50 and 150 people, by rank.
DUNBAR_LAYER_RANKS = (5, 15, 50, 150)
# Ten bands of a tenth of score each: finer bands leave most of them empty on a personal network.
SCORE_BANDS = 10
# The longest bar, in characters: wide enough to tell 1 person from 2 when the largest band holds 30.
BAR_WIDTH = 30
FULL_BLOCK = "█"
# Eighths of a block, so that a bar's length is exact to an eighth of a character.
PARTIAL_BLOCKS = ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")
# Stacked bars tell their parts apart by shade, in the order their columns are listed.
STACK_SHADES = ("█", "▓", "░")
# A line of scores, one character a month, on the score's own scale of 0 to 1 (not each
# person's own range: two people's lines compare); a month before a tie had any evidence
# shows as NO_SCORE.
SPARK_LEVELS = "▁▂▃▄▅▆▇█"
NO_SCORE = "·"


def bar(value: float, largest: float, width: int = BAR_WIDTH, block: str = FULL_BLOCK) -> str:
    """`value` as a bar of `width` * value / largest characters; an empty string for nothing."""
    if value <= 0 or largest <= 0:
        return ""
    eighths = round(8 * width * min(value, largest) / largest)
    whole, part = divmod(max(eighths, 1), 8)  # anything above zero shows at least a sliver
    return block * whole + (PARTIAL_BLOCKS[part] if block == FULL_BLOCK else (block if part >= 4 else ""))


def stacked_bar(parts: Sequence[float], largest: float, width: int = BAR_WIDTH) -> str:
    """Parts side by side in STACK_SHADES, whole characters each, so the shades stay distinct."""
    if largest <= 0:
        return ""
    return "".join(STACK_SHADES[index] * round(width * max(part, 0) / largest) for index, part in enumerate(parts))


def score_band_rows(scores_by_rank: Sequence[float], bands: int = SCORE_BANDS) -> list[dict]:
    """People per band of score, strongest band first, and which Dunbar layers end in each band.

    `scores_by_rank[0]` is rank 1. A score of exactly 1 falls in the top band; people are counted
    whole (the people column is an integer)."""
    counts = [0] * bands
    for score in scores_by_rank:
        counts[min(max(int(score * bands), 0), bands - 1)] += 1
    layer_ends: dict[int, list[str]] = {}
    for layer_size in DUNBAR_LAYER_RANKS:
        if layer_size <= len(scores_by_rank):
            band = min(max(int(scores_by_rank[layer_size - 1] * bands), 0), bands - 1)
            layer_ends.setdefault(band, []).append(f"top {layer_size}")
    largest = max(counts, default=0)
    return [
        {"score": f"{band / bands:.1f}–{(band + 1) / bands:.1f}", "people": counts[band],
         "bar": bar(counts[band], largest), "layer_ends_here": ", ".join(layer_ends.get(band, []))}
        for band in reversed(range(bands))
    ]


def layer_rows(layers: Sequence[dict]) -> list[dict]:
    """People per Dunbar layer (rows of the `layers` table), widest circle last."""
    largest = max((row["people"] for row in layers), default=0)
    return [{"layer": row["layer"], "people": int(row["people"]), "bar": bar(row["people"], largest),
             "lowest_score": row["min_score"]} for row in layers]


def quarter_rows(quarters: Sequence[dict]) -> list[dict]:
    """Referral value received and given per quarter (rows of `referrals_by_quarter`), oldest first."""
    largest = max((max(row["value_received"], row["value_given"]) for row in quarters), default=0)
    return [{"quarter": row["quarter"], "value_received": int(row["value_received"]),
             "received": bar(row["value_received"], largest),
             "value_given": int(row["value_given"]), "given": bar(row["value_given"], largest)}
            for row in quarters]


def pareto_rows(values_received: Sequence[float], steps: int = 10) -> list[dict]:
    """The Pareto curve: the share of referral value from the top 10%, 20% ... of referrers.

    `values_received` is one value per person who referred the owner anything; the curve is
    read at whole people (the top 20% of 38 referrers is the top 8)."""
    values = sorted((value for value in values_received if value > 0), reverse=True)
    total = sum(values)
    rows = []
    for step in range(1, steps + 1):
        people = -(-len(values) * step // steps)  # ceiling: a share of people is whole people
        share = sum(values[:people]) / total if total else 0.0
        rows.append({"top_referrers": f"{100 * step // steps}%", "people": people,
                     "share_of_value": round(share, 3), "curve": bar(share, 1.0)})
    return rows


def network_load_rows(months: Sequence[dict]) -> list[dict]:
    """Meeting hours per month, strong (█), weak (▓) and new (░) ties stacked (rows of `network_load`)."""
    largest = max((row["meeting_hours"] for row in months), default=0)
    return [{"month": str(row["month"])[:7], "strong": row["hours_with_strong_ties"],
             "weak": row["hours_with_weak_ties"], "new": row["hours_with_new_ties"],
             "hours": stacked_bar([row["hours_with_strong_ties"], row["hours_with_weak_ties"],
                                   row["hours_with_new_ties"]], largest)}
            for row in months]


def sparkline(scores: Sequence[float | None]) -> str:
    """One character a score in [0, 1], from ▁ (0) to █ (1); None as NO_SCORE."""
    top = len(SPARK_LEVELS) - 1
    return "".join(NO_SCORE if score is None else SPARK_LEVELS[min(max(round(score * top), 0), top)]
                   for score in scores)


def strength_line_rows(people: Sequence[dict], months: Sequence[str]) -> list[dict]:
    """One line per person of their score at each month-end of `months` (oldest first).

    Each of `people` is {"rank", "who", "scores": {month: score}}, in the order to show."""
    rows = []
    for person in people:
        line = [person["scores"].get(month) for month in months]
        known = [score for score in line if score is not None]
        rows.append({"rank": person["rank"], "person": person["who"],
                     "since": str(months[0])[:7] if months else "", "strength": sparkline(line),
                     "first": round(known[0], 2) if known else None, "now": round(known[-1], 2) if known else None})
    return rows


def fading_rows(people: Sequence[dict], months: Sequence[str]) -> list[dict]:
    """Each fading tie's strength now (█) and what it lost since its peak (░), on a scale of 0
    to 1, and its line over `months`. Each of `people` is {"rank", "who", "score",
    "peak_score", "scores": {month: score}}."""
    rows = []
    for person in people:
        now, peak = person["score"] or 0.0, max(person["peak_score"] or 0.0, person["score"] or 0.0)
        rows.append({"rank": person["rank"], "person": person["who"], "peak": round(peak, 2), "now": round(now, 2),
                     "now_and_lost": stacked_bar([now, 0.0, peak - now], 1.0),
                     "strength": sparkline([person["scores"].get(month) for month in months])})
    return rows
