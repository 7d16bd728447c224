"""resolve_people: source records in, people out (clusters, golden records, pairs for review)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .blocking import EncodedKeys, candidate_pairs, encode_keys, shared_identifier_flags
from .cluster import Clustering, Constraints, birthdays_conflict, constrained_clusters
from .compare import COMPARISONS, compare_pairs
from .features import blocking_keys, prepare_records
from .golden import golden_records
from .model import MatchModel, fit, match_weights, prior_weight, probability_from_weight, refine_prior

# Pairs at or above MERGE_THRESHOLD are linked; pairs between REVIEW_THRESHOLD and it go to the
# owner. 0.5 is where the model finds a match as likely as not; bench/bench_matching.py prints
# F1 against the threshold on every data set: flat from 0.3 to 0.7 once the veto is on.
MERGE_THRESHOLD = 0.5
# Below this the owner would mostly see strangers who share a common name; one in ten still
# being the same person is worth a question in a personal address book.
REVIEW_THRESHOLD = 0.1
# A compared pair below this probability vetoes any merge that would put its two records in one
# cluster: the guard against chains of plausible links joining strangers. From the benchmark's
# sweep: without it historical_50k falls to F1 0.65; 1e-4 gives it 0.89 but cuts true Febrl3
# clusters (0.998, under Splink's 0.9988); 1e-5 keeps Febrl3 at 0.9989 and historical at 0.87.
VETO_THRESHOLD = 1e-5
# A veto that is wrong more often than this among the links it would cut costs more recall than
# it saves precision: on the benchmark sets the birthday veto is off, on an address book on.
BIRTHDAY_CONFLICT_TOLERANCE = 0.01
# After clustering, pairs inside a cluster that blocking never compared are scored and the
# clustering redone, this many times; clusters larger than MAX_VERIFIED_CLUSTER (a sign of a
# data problem, not a person) are left as they are rather than compared all against all.
VERIFY_ROUNDS = 1
# The review queue keeps this many pairs, likeliest first: an owner answers tens of questions in
# a sitting, not millions, and each answer is kept, so the next run shows the next pairs. The
# likeliest pairs are where an answer most often changes a person (a merge).
REVIEW_LIMIT = 1000
MAX_VERIFIED_CLUSTER = 200

COMPARISON_LEVELS = {comparison.name: comparison.levels for comparison in COMPARISONS}
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


def _joined(column: pd.Series) -> pd.Series:
    """Each row's list (or single string) of values joined with commas, without a Python loop per row."""
    items = column.explode()
    items = items[items.notna()].astype(str)
    items = items[items != ""]
    return items.groupby(level=0).agg(", ".join).reindex(column.index, fill_value="")


def _summaries(records: pd.DataFrame, rows: np.ndarray) -> pd.Series:
    """"name | emails | phones | company" for the records at `rows` (index = row), set-based."""
    chosen = records.iloc[np.unique(rows)]

    def text(column: str) -> pd.Series:
        if column not in chosen.columns:
            return pd.Series("", index=chosen.index, dtype=object)
        values = chosen[column]
        is_text = np.array([isinstance(value, str) for value in values.tolist()], dtype=bool)
        return pd.Series(np.where(is_text, values.to_numpy(dtype=object), ""), index=chosen.index, dtype=object)

    parts = (text("given_name") + " " + text("family_name")).str.strip()
    name = text("full_name").where(text("full_name") != "", parts)
    lists = [_joined(chosen[column]) if column in chosen.columns else pd.Series("", index=chosen.index)
             for column in ("emails", "phones")]
    return name.str.cat(lists + [text("company")], sep=" | ")


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


@dataclass
class Scored:
    """Everything known about the candidate pairs: the model, its inputs and its scores."""

    prepared: pd.DataFrame
    keys: EncodedKeys
    pairs: pd.DataFrame  # left_idx, right_idx, shares_*, match_weight, probability
    levels: dict[str, np.ndarray]
    model: MatchModel


def score_pairs(records: pd.DataFrame, default_region: str | None = None, groups: np.ndarray | None = None) -> Scored:
    """Prepared records, scored candidate pairs, comparison levels and the fitted model."""
    prepared = prepare_records(records, default_region)
    keys = encode_keys(blocking_keys(prepared))
    pairs = candidate_pairs(keys, groups=groups)
    levels = compare_pairs(prepared, pairs)
    model = fit(prepared, keys, levels)
    weight = match_weights(model, prepared, pairs, levels)
    if model.anchored:  # fitted with prior 0.5, i.e. weights without prior
        model = refine_prior(model, weight, len(prepared))
        weight = weight + prior_weight(model.prior_match)
    pairs = pairs.assign(match_weight=weight, probability=probability_from_weight(weight))
    return Scored(prepared, keys, pairs, levels, model)


def _unscored_pairs_within(labels: np.ndarray, pairs: pd.DataFrame, max_size: int) -> pd.DataFrame:
    """Pairs of records sharing a cluster (of at most `max_size`) that blocking never compared."""
    n_records = len(labels)
    sizes = np.bincount(labels, minlength=n_records)
    keep = (sizes[labels] >= 2) & (sizes[labels] <= max_size)
    members = pd.DataFrame({"label": labels[keep], "idx": np.flatnonzero(keep)})
    both = members.merge(members, on="label", suffixes=("_left", "_right"))
    both = both[both["idx_left"] < both["idx_right"]]
    left, right = both["idx_left"].to_numpy(np.int64), both["idx_right"].to_numpy(np.int64)
    known = pd.Index(pairs["left_idx"].to_numpy(np.int64) * n_records + pairs["right_idx"].to_numpy(np.int64))
    fresh = ~pd.Index(left * n_records + right).isin(known)
    return pd.DataFrame({"left_idx": left[fresh], "right_idx": right[fresh]})


def cluster_scored(scored: Scored, merge_threshold: float, veto_threshold: float,
                   same: list[tuple[int, int]] = (), different: list[tuple[int, int]] = ()) -> tuple[Clustering, Scored]:
    """Constrained clusters, then every pair inside a cluster compared and the clustering redone.

    Blocking compares only pairs sharing a key, so a chain A~B~C may join A and C without their
    ever being compared. Scoring those pairs too turns a clear A/C mismatch into a veto.
    """
    n_records = len(scored.prepared)
    constraints = Constraints(
        linkedin=scored.prepared["linkedin"].to_numpy(dtype=object),
        birthday=scored.prepared["birthday"].to_numpy(dtype=object),
        forced_same=list(same), forced_different=list(different),
        check_birthdays=birthdays_are_reliable(scored.prepared, scored.pairs, merge_threshold),
        veto_below=veto_threshold,
    )
    for _ in range(VERIFY_ROUNDS + 1):
        pairs = scored.pairs
        clustering = constrained_clusters(
            n_records, pairs["left_idx"].to_numpy(), pairs["right_idx"].to_numpy(), pairs["probability"].to_numpy(),
            pair_conflicts(scored.levels), merge_threshold, constraints,
        )
        extra = _unscored_pairs_within(clustering.labels, pairs, MAX_VERIFIED_CLUSTER)
        if extra.empty or _ == VERIFY_ROUNDS:
            break
        extra = shared_identifier_flags(scored.keys, extra)
        extra_levels = compare_pairs(scored.prepared, extra)
        weight = match_weights(scored.model, scored.prepared, extra, extra_levels)
        extra = extra.assign(match_weight=weight, probability=probability_from_weight(weight))
        scored = Scored(
            scored.prepared, scored.keys, pd.concat([pairs, extra], ignore_index=True),
            {name: np.concatenate([scored.levels[name], extra_levels[name]]) for name in scored.levels},
            scored.model,
        )
    return clustering, scored


def pair_conflicts(levels: dict[str, np.ndarray]) -> np.ndarray:
    """Pairs that must not be linked directly whatever their score.

    A shared phone with different given names and no shared email or profile is a household
    (a couple, a parent and child), not one person: the home line is evidence of an address.
    """
    same_address = len(COMPARISON_LEVELS["email"]) - 1
    household = (levels["phone"] == 1) & (levels["given"] >= 0) & (levels["given"] <= 1) & (
        levels["email"] < same_address) & (levels["linkedin"] < 1)
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
    *,
    merge_threshold: float = MERGE_THRESHOLD,
    review_threshold: float = REVIEW_THRESHOLD,
    veto_threshold: float = VETO_THRESHOLD,
    review_limit: int = REVIEW_LIMIT,
    groups: np.ndarray | None = None,
) -> Resolution:
    """Cluster source records into people (the owner's own records like any other).

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
    same, different, decided = _decision_pairs(decisions, position)
    clustering, scored = cluster_scored(score_pairs(records, default_region, groups), merge_threshold,
                                        veto_threshold, same, different)
    prepared, pairs, scored_model = scored.prepared, scored.pairs, scored.model
    left = pairs["left_idx"].to_numpy()
    right = pairs["right_idx"].to_numpy()
    probability = pairs["probability"].to_numpy()

    # Name each cluster by its smallest record key: stable across runs and across unrelated additions.
    labels = pd.Series(clustering.labels)
    cluster_key = pd.Series(keys_of).groupby(labels).transform("min")
    match_probability = np.where(cluster_key.to_numpy() == keys_of, 1.0, clustering.link_probability)
    assignments = pd.DataFrame({"record_key": keys_of, "cluster_key": cluster_key.to_numpy(),
                                "match_probability": match_probability})

    scored_pairs = pd.DataFrame({
        "left_key": keys_of[left], "right_key": keys_of[right],
        "probability": probability, "match_weight": pairs["match_weight"].to_numpy(),
    })
    # Keys in each pair ordered so that the same pair reads the same way on every run.
    swap = scored_pairs["left_key"] > scored_pairs["right_key"]
    scored_pairs.loc[swap, ["left_key", "right_key"]] = scored_pairs.loc[swap, ["right_key", "left_key"]].to_numpy()

    apart = clustering.labels[left] != clustering.labels[right]
    in_band = (probability >= review_threshold) & (probability < merge_threshold)
    refused = np.zeros(len(left), dtype=bool)
    if clustering.refused:
        refused = pd.MultiIndex.from_arrays([left, right]).isin(list(clustering.refused))
    n_records = len(keys_of)
    pair_code = np.minimum(left, right).astype(np.int64) * n_records + np.maximum(left, right)
    decided_code = np.array([min(position[a], position[b]) * n_records + max(position[a], position[b])
                             for a, b in (tuple(pair) for pair in decided)], dtype=np.int64)
    candidates = np.flatnonzero(apart & (in_band | refused) & ~np.isin(pair_code, decided_code))
    to_review = scored_pairs.iloc[candidates].assign(_left=left[candidates], _right=right[candidates])
    to_review = to_review.sort_values(["probability", "left_key", "right_key"],
                                      ascending=[False, True, True]).head(review_limit)
    summary = _summaries(records, np.concatenate([to_review["_left"].to_numpy(), to_review["_right"].to_numpy()]))
    # Keys were ordered within each pair after scoring: a swapped pair's left record is its right index.
    swapped = keys_of[to_review["_left"].to_numpy()] != to_review["left_key"].to_numpy()
    left_row = np.where(swapped, to_review["_right"], to_review["_left"])
    right_row = np.where(swapped, to_review["_left"], to_review["_right"])
    to_review = to_review.assign(left_summary=summary.reindex(left_row).to_numpy(),
                                 right_summary=summary.reindex(right_row).to_numpy())
    to_review = to_review[REVIEW_COLUMNS].reset_index(drop=True)

    golden = golden_records(records, prepared, assignments["cluster_key"])
    return Resolution(
        assignments=assignments,
        review=to_review,
        pairs=scored_pairs.sort_values(["left_key", "right_key"]).reset_index(drop=True),
        golden=golden,
        model=scored_model,
    )
