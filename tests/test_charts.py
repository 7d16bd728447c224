"""The tie-strength chart shown on published_warehouse in the Dagster UI."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from warehouse.charts import BAR_COLOUR, LAYER_COLOUR, score_distribution_svg, score_histogram

SVG = "{http://www.w3.org/2000/svg}"


def test_histogram_bins_scores_with_one_in_the_last_bin():
    assert score_histogram([0.0, 0.05, 0.1, 0.99, 1.0], bins=10) == [2, 1, 0, 0, 0, 0, 0, 0, 0, 2]
    assert score_histogram([], bins=4) == [0, 0, 0, 0]


def test_svg_has_a_bar_per_filled_bin_scaled_to_the_tallest_and_a_line_per_reached_layer():
    scores = sorted([0.9] * 3 + [0.5] * 12 + [0.1] * 6, reverse=True)  # 21 people: layers 5 and 15 reached
    root = ElementTree.fromstring(score_distribution_svg(scores))
    bars = [rect for rect in root.iter(f"{SVG}rect") if rect.get("fill") == BAR_COLOUR]
    heights = sorted(float(bar.get("height")) for bar in bars)
    assert len(bars) == 3
    assert abs(heights[0] * 4 - heights[2]) < 0.5 and abs(heights[1] * 2 - heights[2]) < 0.5  # 3 : 6 : 12 people
    layer_lines = [line for line in root.iter(f"{SVG}line") if line.get("stroke") == LAYER_COLOUR]
    labels = [text.text for text in root.iter(f"{SVG}text") if text.get("fill") == LAYER_COLOUR]
    assert len(layer_lines) == 2 and labels == ["top 5", "top 15"]
    # The top-15 line sits at the 15th score (0.5), halfway along the axis from 0 to 1.
    axis = root.find(f"{SVG}path").get("d")
    left, right = float(axis.split()[0][1:].split(",")[0]), float(axis.split()[-1][1:])
    assert abs(float(layer_lines[1].get("x1")) - (left + right) / 2) < 1
    assert "Tie strength across 21 people" in "".join(root.itertext())


def test_svg_for_nobody_is_still_a_picture():
    root = ElementTree.fromstring(score_distribution_svg([]))
    assert not [rect for rect in root.iter(f"{SVG}rect") if rect.get("fill") == BAR_COLOUR]
    assert "Tie strength across 0 people" in "".join(root.itertext())
