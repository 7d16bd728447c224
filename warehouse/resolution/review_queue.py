"""The review queue: one question per pair of candidate people (clusters), likeliest first.

An answer on two people applies to every record pair between them, so the queue asks about
people, not records: after "different" on two Wei Zhangs, neither their LinkedIn nor their
calendar records bring the same question back.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .decisions import record_descriptions
from .features import as_list, clean_text

REVIEW_COLUMNS = ["left_key", "right_key", "probability", "left_summary", "right_summary",
                  "left_records", "right_records", "left_about", "right_about"]


def person_summaries(golden: pd.DataFrame) -> dict[str, str]:
    """"name | emails | phones | company" per cluster key, from its golden record."""
    summaries = {}
    for row in golden.to_dict("records"):
        parts = [clean_text(row.get("display_name")), ", ".join(as_list(row.get("emails"))),
                 ", ".join(as_list(row.get("phones"))), clean_text(row.get("company"))]
        summaries[row["cluster_key"]] = " | ".join(parts)
    return summaries


def review_queue(records: pd.DataFrame, cluster_keys: np.ndarray, golden: pd.DataFrame, pairs: pd.DataFrame,
                 questions: np.ndarray, decided: set[frozenset[int]], ask_again: list[tuple[int, int]],
                 limit: int) -> pd.DataFrame:
    """One row per pair of clusters with a question between them and no answer yet.

    `pairs` holds left_idx, right_idx and probability of scored record pairs; `questions` marks
    the pairs worth asking about (uncertain, or refused by a conflict). A cluster pair with any
    answered record pair between them is not asked again; `ask_again` (answers that no longer
    apply) is asked whatever its score. Keys are the two clusters' keys (their smallest record
    keys), in order, so that one question reads the same way on every run.
    """
    left = pairs["left_idx"].to_numpy(np.int64)
    right = pairs["right_idx"].to_numpy(np.int64)
    probability = pairs["probability"].to_numpy(float)
    if ask_again:
        extra_left, extra_right = (np.array(side, dtype=np.int64) for side in zip(*ask_again))
        left, right = np.concatenate([left, extra_left]), np.concatenate([right, extra_right])
        known = {(a, b): p for a, b, p in zip(pairs["left_idx"], pairs["right_idx"], probability)}
        extra_probability = [known.get((a, b), known.get((b, a), 0.0)) for a, b in ask_again]
        probability = np.concatenate([probability, extra_probability])
        questions = np.concatenate([questions, np.ones(len(ask_again), dtype=bool)])
    cluster_keys = np.asarray(cluster_keys, dtype=object)
    left_cluster, right_cluster = cluster_keys[left], cluster_keys[right]
    frame = pd.DataFrame({
        "left_key": np.where(left_cluster < right_cluster, left_cluster, right_cluster),
        "right_key": np.where(left_cluster < right_cluster, right_cluster, left_cluster),
        "probability": probability,
    })
    answered = {frozenset((cluster_keys[a], cluster_keys[b])) for a, b in (tuple(pair) for pair in decided)}
    apart = left_cluster != right_cluster
    unanswered = np.array([frozenset(pair) not in answered for pair in zip(left_cluster, right_cluster)], dtype=bool)
    frame = frame[apart & questions & unanswered]
    frame = (frame.groupby(["left_key", "right_key"], as_index=False)["probability"].max()
             .sort_values(["probability", "left_key", "right_key"], ascending=[False, True, True]).head(limit))

    summaries = person_summaries(golden)
    sizes = pd.Series(cluster_keys).value_counts().to_dict()
    keys = records["record_key"].astype(str).tolist()
    about = dict(zip(keys, record_descriptions(records)))
    frame = frame.assign(
        left_summary=frame["left_key"].map(summaries), right_summary=frame["right_key"].map(summaries),
        left_records=frame["left_key"].map(sizes).astype("int64"), right_records=frame["right_key"].map(sizes).astype("int64"),
        left_about=frame["left_key"].map(about), right_about=frame["right_key"].map(about),
    )
    return frame[REVIEW_COLUMNS].reset_index(drop=True)
