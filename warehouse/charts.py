"""Pictures for the Dagster UI: the distribution of tie strength with the Dunbar layers marked.

Drawn as SVG text: a histogram is a few dozen rectangles, and a plotting library took half a
second to import, a tenth of a whole run on a personal inbox.
"""
from __future__ import annotations

# Dunbar's layers of about 5, 15, 50 and 150 people, by rank.
DUNBAR_LAYER_RANKS = (5, 15, 50, 150)
HISTOGRAM_BINS = 40
WIDTH, HEIGHT = 800, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 36, 44  # margins around the plot area
BAR_COLOUR, LAYER_COLOUR = "#4C72B0", "#C44E52"


def score_histogram(scores: list[float], bins: int = HISTOGRAM_BINS) -> list[int]:
    """People per equal-width bin of [0, 1]; a score of exactly 1 falls in the last bin."""
    counts = [0] * bins
    for score in scores:
        counts[min(max(int(score * bins), 0), bins - 1)] += 1
    return counts


def score_distribution_svg(scores_by_rank: list[float]) -> str:
    """Histogram of scores (`scores_by_rank[0]` is rank 1), a dashed line where each layer ends."""
    counts = score_histogram(scores_by_rank)
    tallest = max(counts, default=0) or 1
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(score: float) -> float:
        return LEFT + score * plot_width

    def y(people: float) -> float:
        return TOP + plot_height * (1 - people / tallest)

    bin_width = plot_width / len(counts)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="14">'
        f'Tie strength across {len(scores_by_rank)} people</text>',
    ]
    for index, people in enumerate(counts):
        if people:
            top = y(people)
            parts.append(f'<rect x="{LEFT + index * bin_width + 0.5:.1f}" y="{top:.1f}" width="{bin_width - 1:.1f}" '
                         f'height="{TOP + plot_height - top:.1f}" fill="{BAR_COLOUR}"/>')
    for layer_size in DUNBAR_LAYER_RANKS:
        if layer_size <= len(scores_by_rank):
            boundary = x(scores_by_rank[layer_size - 1])
            parts.append(f'<line x1="{boundary:.1f}" y1="{TOP}" x2="{boundary:.1f}" y2="{TOP + plot_height}" '
                         f'stroke="{LAYER_COLOUR}" stroke-dasharray="4 3"/>')
            parts.append(f'<text transform="translate({boundary - 3:.1f},{TOP + 4}) rotate(-90)" text-anchor="end" '
                         f'fill="{LAYER_COLOUR}" stroke="white" stroke-width="3" paint-order="stroke">'
                         f'top {layer_size}</text>')
    # Axes, ticks every 0.1 of score and at a quarter of the tallest bar.
    bottom = TOP + plot_height
    parts.append(f'<path d="M{LEFT},{TOP} V{bottom} H{LEFT + plot_width}" fill="none" stroke="black"/>')
    for tenth in range(11):
        tick = x(tenth / 10)
        parts.append(f'<line x1="{tick:.1f}" y1="{bottom}" x2="{tick:.1f}" y2="{bottom + 4}" stroke="black"/>'
                     f'<text x="{tick:.1f}" y="{bottom + 16}" text-anchor="middle">{tenth / 10:.1f}</text>')
    for quarter in range(5):
        people = tallest * quarter / 4
        parts.append(f'<text x="{LEFT - 6}" y="{y(people) + 4:.1f}" text-anchor="end">{people:g}</text>')
    parts.append(f'<text x="{LEFT + plot_width / 2}" y="{HEIGHT - 8}" text-anchor="middle">tie strength score</text>')
    parts.append(f'<text transform="translate(14,{TOP + plot_height / 2}) rotate(-90)" text-anchor="middle">people</text>')
    parts.append("</svg>")
    return "".join(parts)
