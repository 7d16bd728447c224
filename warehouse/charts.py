"""Pictures for the Dagster UI: the distribution of tie strength with the Dunbar layers marked."""
from __future__ import annotations

import io

# Dunbar's layers of about 5, 15, 50 and 150 people, by rank.
DUNBAR_LAYER_RANKS = (5, 15, 50, 150)
HISTOGRAM_BINS = 40


def score_distribution_png(scores_by_rank: list[float]) -> bytes:
    """Histogram of scores (`scores_by_rank[0]` is rank 1), a line where each layer ends."""
    # Imported here: matplotlib costs half a second, and only publishing draws.
    import matplotlib

    matplotlib.use("Agg")  # no screen: render straight to PNG bytes
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(figsize=(8, 3.2), dpi=100)
    axes.hist(scores_by_rank, bins=HISTOGRAM_BINS, range=(0, 1), color="#4C72B0")
    for layer_size in DUNBAR_LAYER_RANKS:
        if layer_size <= len(scores_by_rank):
            boundary = scores_by_rank[layer_size - 1]
            axes.axvline(boundary, color="#C44E52", linestyle="--", linewidth=1)
            axes.annotate(f"top {layer_size}", (boundary, axes.get_ylim()[1] * 0.92), rotation=90,
                          fontsize=8, color="#C44E52", ha="right", va="top")
    axes.set_xlabel("tie strength score")
    axes.set_ylabel("people")
    axes.set_title(f"Tie strength across {len(scores_by_rank)} people")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
