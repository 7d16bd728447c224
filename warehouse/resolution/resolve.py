"""resolve_people: source records in, people out (clusters, golden records, pairs for review)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .blocking import candidate_pairs
from .cluster import birthdays_conflict, constrained_clusters
from .compare import compare_pairs
from .features import as_list, blocking_keys, prepare_records
from .golden import golden_records
from .model import MatchModel, fit, match_weights, probability_from_weight

# Pairs at or above MERGE_THRESHOLD are linked; pairs between REVIEW_THRESHOLD and it go to the
# owner. 0.5 is where the model finds a match as likely as not; bench/bench_matching.py prints
# F1 against the threshold on every data set, and it is flat around this value.
MERGE_THRESHOLD = 0.5
# Below this the owner would mostly see strangers who share a common name; one in ten still
# being the same person is worth a question in a personal address book.
REVIEW_THRESHOLD = 0.1
# A compared pair below this probability vetoes any merge that would put its two records in one
# cluster: the guard against chains of plausible links joining strangers. The benchmark's sweep
# (merge threshold x veto) puts it here: 0.01 lifts historical_50k F1 from 0.61 to 0.84 and
# fake_1000 from 0.946 to 0.955, and costs Febrl under 0.001.
VETO_THRESHOLD = 0.01
# A veto that is wrong more often than this among the links it would cut costs more recall than
# it saves precision: on the benchmark sets the birthday veto is off, on an address book on.
BIRTHDAY_CONFLICT_TOLERANCE = 0.01

ASSIGNMENT_COLUMNS = ["record_key", "cluster_key", "match_probability"]
REVIEW_COLUMNS = ["left_key", "right_key", "probability", "left_summary", "right_summary"]
PAIR_COLUMNS = ["left_key", "right_key", "probability", "match_weight"]


@dataclass
class Resolution:
    assignments: pd.DataFrame  # record_key, cluster_key, match_probability
    review: pd.DataFrame  # left_key, right_key, probability, left_summary, right_summary
    pairs: pd.DataFrame  # left_key, right_key, probability, match_weight (every scored candidate)
    golden: pd.DataFrame  # one row per cluster (see golden.GOLDEN_COLUMNS)
    model: MatchModel | None = None


def _summary(record: dict) -> str:
    name = record.get("full_name") or " ".join(
        part for part in (record.get("given_name"), record.get("family_name")) if isinstance(part, str) and part
    )
    parts = [
        name if isinstance(name, str) else "",
        ", ".join(as_list(record.get("emails"))),
        ", ".join(as_list(record.get("phones"))),
        record.get("company") if isinstance(record.get("company"), str) else "",
    ]
    return " | ".join(parts)


def _decision_pairs(decisions: pd.DataFrame | None, position: dict[str, int]) -> tuple[list, list, set]:
    same: list[tuple[int, int]] = []
    different: list[tuple[int, int]] = []
    decided: set[frozenset[str]] = set()
    if decisions is None or decisions.empty:
        return same, different, decided
    for row in decisions.to_dict("records"):
        left, right = str(row.get("left_key", "")).strip(), str(row.get("right_key", "")).strip()
        verdict = str(row.get("decision", "")).strip().lower()
        if left not in position or right not in position or left == right:
            continue  # a decision about a record no longer in the inbox waits for it to come back
        decided.add(frozenset((left, right)))
        if verdict == "same":
            same.append((position[left], position[right]))
        elif verdict == "different":
            different.append((position[left], position[right]))
    return same, different, decided


def score_pairs(records: pd.DataFrame, default_region: str | None = None, groups: np.ndarray | None = None):
    """Prepared records, scored candidate pairs, comparison levels and the fitted model."""
    prepared = prepare_records(records, default_region)
    keys = blocking_keys(prepared)
    pairs = candidate_pairs(keys, groups=groups)
    levels = compare_pairs(prepared, pairs)
    model = fit(prepared, keys, levels)
    weight = match_weights(model, prepared, pairs, levels)
    pairs = pairs.assign(match_weight=weight, probability=probability_from_weight(weight))
    return prepared, pairs, levels, model


def pair_conflicts(levels: dict[str, np.ndarray]) -> np.ndarray:
    """Pairs that must not be linked directly whatever their score.

    A shared phone with different given names and no shared email or profile is a household
    (a couple, a parent and child), not one person: the home line is evidence of an address.
    """
    household = (levels["phone"] == 1) & (levels["given"] >= 0) & (levels["given"] <= 1) & (
        levels["email"] < 2) & (levels["linkedin"] < 1)
    different_profiles = levels["linkedin"] == 0
    return household | different_profiles


def birthdays_are_reliable(prepared: pd.DataFrame, pairs: pd.DataFrame, merge_threshold: float) -> bool:
    """Whether conflicting birthdays may veto a merge on this data.

    Where pairs the model links despite conflicting birthdays are more than
    BIRTHDAY_CONFLICT_TOLERANCE of linked pairs with two birthdays, the data's birthdays are too
    noisy to veto anything (bench/bench_matching.py: Febrl and fake_1000 corrupt dates on purpose).
    """
    linked = pairs[pairs["probability"] >= merge_threshold]
    birthdays = prepared["birthday"].to_numpy(dtype=object)
    left, right = birthdays[linked["left_idx"].to_numpy()], birthdays[linked["right_idx"].to_numpy()]
    full = [(a, b) for a, b in zip(left, right) if len(a) == 10 and len(b) == 10]
    if not full:
        return True
    conflicting = sum(birthdays_conflict(a, b) for a, b in full)
    return conflicting / len(full) <= BIRTHDAY_CONFLICT_TOLERANCE


def resolve_people(
    records: pd.DataFrame,
    decisions: pd.DataFrame | None = None,
    default_region: str | None = None,
    owner_keys: set[str] | frozenset[str] = frozenset(),
    *,
    merge_threshold: float = MERGE_THRESHOLD,
    review_threshold: float = REVIEW_THRESHOLD,
    veto_threshold: float = VETO_THRESHOLD,
    groups: np.ndarray | None = None,
) -> Resolution:
    """Cluster source records into people. `owner_keys` are resolved like any other record.

    `groups` (benchmark use) links records across groups only, instead of deduplicating.
    """
    # A canonical row order, so that the result does not depend on the order files were read in.
    order = np.argsort(records["record_key"].astype(str).to_numpy(), kind="stable")
    records = records.iloc[order].reset_index(drop=True)
    if groups is not None:
        groups = np.asarray(groups)[order]
    keys_of = records["record_key"].astype(str).to_numpy(dtype=object)
    if len(records) == 0:
        return Resolution(
            assignments=pd.DataFrame(columns=ASSIGNMENT_COLUMNS), review=pd.DataFrame(columns=REVIEW_COLUMNS),
            pairs=pd.DataFrame(columns=PAIR_COLUMNS), golden=golden_records(records, prepare_records(records, default_region), pd.Series([], dtype=object)),
        )
    position = {key: index for index, key in enumerate(keys_of)}
    prepared, pairs, levels, model = score_pairs(records, default_region, groups)
    same, different, decided = _decision_pairs(decisions, position)

    left = pairs["left_idx"].to_numpy()
    right = pairs["right_idx"].to_numpy()
    probability = pairs["probability"].to_numpy()
    clustering = constrained_clusters(
        len(records), left, right, probability, pair_conflicts(levels), merge_threshold,
        prepared["linkedin"].to_numpy(dtype=object), prepared["birthday"].to_numpy(dtype=object), same, different,
        check_birthdays=birthdays_are_reliable(prepared, pairs, merge_threshold), veto_below=veto_threshold,
    )

    # Name each cluster by its smallest record key: stable across runs and across unrelated additions.
    labels = pd.Series(clustering.labels)
    cluster_key = pd.Series(keys_of).groupby(labels).transform("min")
    match_probability = np.where(cluster_key.to_numpy() == keys_of, 1.0, clustering.link_probability)
    assignments = pd.DataFrame({"record_key": keys_of, "cluster_key": cluster_key.to_numpy(),
                                "match_probability": match_probability})

    scored = pd.DataFrame({
        "left_key": keys_of[left], "right_key": keys_of[right],
        "probability": probability, "match_weight": pairs["match_weight"].to_numpy(),
    })
    # Keys in each pair ordered so that the same pair reads the same way on every run.
    swap = scored["left_key"] > scored["right_key"]
    scored.loc[swap, ["left_key", "right_key"]] = scored.loc[swap, ["right_key", "left_key"]].to_numpy()

    apart = clustering.labels[left] != clustering.labels[right]
    in_band = (probability >= review_threshold) & (probability < merge_threshold)
    refused = np.zeros(len(left), dtype=bool)
    if clustering.refused:
        refused = pd.MultiIndex.from_arrays([left, right]).isin(list(clustering.refused))
    candidates = np.flatnonzero(apart & (in_band | refused))
    undecided = [frozenset((keys_of[left[i]], keys_of[right[i]])) not in decided for i in candidates]
    to_review = scored.iloc[candidates[np.asarray(undecided, dtype=bool)]].copy() if len(candidates) else scored.iloc[:0].copy()
    record_rows = records.to_dict("records")
    to_review["left_summary"] = [_summary(record_rows[position[key]]) for key in to_review["left_key"]]
    to_review["right_summary"] = [_summary(record_rows[position[key]]) for key in to_review["right_key"]]
    to_review = to_review[REVIEW_COLUMNS].sort_values(["probability", "left_key", "right_key"],
                                                      ascending=[False, True, True]).reset_index(drop=True)

    golden = golden_records(records, prepared, assignments["cluster_key"])
    return Resolution(
        assignments=assignments,
        review=to_review,
        pairs=scored.sort_values(["left_key", "right_key"]).reset_index(drop=True),
        golden=golden,
        model=model,
    )
