"""resolve_people: source records in, people out (clusters, golden records, pairs for review)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .blocking import EncodedKeys, candidate_pairs, encode_keys, shared_identifier_flags
from .cluster import FREE, KEEP_APART, NO_DIRECT_LINK, Clustering, Constraints, birthdays_conflict, constrained_clusters
from .compare import at_level, compare_pairs
from .features import blocking_keys, prepare_records
from .decisions import PROBLEM_COLUMNS, check_answers, record_descriptions
from .golden import golden_records
from .review_queue import REVIEW_COLUMNS, review_queue
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

# A deterministic link's weight: the model's own weight when higher, else this (odds 2^40).
CERTAIN_WEIGHT = 40.0
# Comparisons other than names: agreeing on one of them is evidence beyond a name.
NON_NAME_COMPARISONS = ("email", "phone", "linkedin", "birthday", "company", "title", "city", "address", "postcode")
ASSIGNMENT_COLUMNS = ["record_key", "cluster_key", "match_probability"]
PAIR_COLUMNS = ["left_key", "right_key", "probability", "match_weight"]


@dataclass
class Resolution:
    assignments: pd.DataFrame  # record_key, cluster_key, match_probability
    review: pd.DataFrame  # left_key, right_key, probability, left_summary, right_summary
    pairs: pd.DataFrame  # left_key, right_key, probability, match_weight (every scored candidate)
    golden: pd.DataFrame  # one row per cluster (see golden.GOLDEN_COLUMNS)
    model: MatchModel | None = None
    # the owner's answers that could not apply: source_file, location, reason, scope
    decision_problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROBLEM_COLUMNS).astype("string"))


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
    return Scored(prepared, keys, _with_scores(pairs, weight, levels), levels, model)


def _with_scores(pairs: pd.DataFrame, weight: np.ndarray, levels: dict[str, np.ndarray]) -> pd.DataFrame:
    """Pairs with their weight and probability; deterministic links at probability 1."""
    certain = deterministic_links(levels)
    weight = np.where(certain, np.maximum(weight, CERTAIN_WEIGHT), weight)
    probability = np.where(certain, 1.0, probability_from_weight(weight))
    return pairs.assign(match_weight=weight, probability=probability)


def deterministic_links(levels: dict[str, np.ndarray]) -> np.ndarray:
    """Pairs that are one person whatever their names: a shared address (role addresses are
    never compared), a shared LinkedIn profile, or a shared phone that is not a household's.
    Two different profiles still keep records apart."""
    shared = at_level(levels, "email", "same address") | at_level(levels, "linkedin", "same profile") | (
        at_level(levels, "phone", "same number") & ~household(levels))
    return shared & ~at_level(levels, "linkedin", "different")


def household(levels: dict[str, np.ndarray]) -> np.ndarray:
    """A shared phone with different given names and no shared email or profile is a household
    (a couple, a parent and child), not one person: the home line is evidence of an address."""
    different_given = at_level(levels, "given", "different") | at_level(levels, "given", "loose")
    return at_level(levels, "phone", "same number") & different_given & ~at_level(levels, "email", "same address") & ~at_level(
        levels, "linkedin", "same profile")


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
        extra = _with_scores(extra, weight, extra_levels)
        scored = Scored(
            scored.prepared, scored.keys, pd.concat([pairs, extra], ignore_index=True),
            {name: np.concatenate([scored.levels[name], extra_levels[name]]) for name in scored.levels},
            scored.model,
        )
    return clustering, scored


def pair_conflicts(levels: dict[str, np.ndarray]) -> np.ndarray:
    """What each pair's own comparison allows, whatever its score (cluster.FREE, NO_DIRECT_LINK,
    KEEP_APART); pairs refused above the merge threshold go to review.

    Kept apart, through any chain of links, until the owner says otherwise:
    - a household (see `household`) and two different LinkedIn profiles;
    - conflicting identifiers: different employers, emails and phones, however alike the names
      (two Wei Zhangs in one phone are two people).
    Not linked directly:
    - names alone: when the two records have nothing but names to compare, only the same given
      and family name links, and only when the model finds that name rare enough in this
      network (its term frequency); "Aniya Fritsch" and "Aniyah Lauryn Fritsch" are a question.
    """
    certain = deterministic_links(levels)
    # All three, on records that each hold all three: a calendar invitation or a LinkedIn
    # connection has no phone, and one at a new employer is the same person changing jobs.
    conflicting = (at_level(levels, "company", "different") & at_level(levels, "email", "different")
                   & at_level(levels, "phone", "different") & ~certain)
    apart = household(levels) | at_level(levels, "linkedin", "different") | conflicting
    comparable_beyond_names = np.zeros(len(certain), dtype=bool)
    for name in NON_NAME_COMPARISONS:
        comparable_beyond_names |= levels[name] >= 0  # -1: either record lacks the field
    full_name = at_level(levels, "given", "exact") & at_level(levels, "family", "exact")
    names_only = ~comparable_beyond_names & ~full_name
    return np.where(apart, KEEP_APART, np.where(names_only, NO_DIRECT_LINK, FREE)).astype(np.int8)


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

    `decisions` holds the owner's answers (see decisions.check_answers); `groups` (benchmark
    use) links records across groups only, instead of deduplicating.
    """
    # A canonical row order, so that the result does not depend on the order files were read in.
    order = np.argsort(records["record_key"].astype(str).to_numpy(), kind="stable")
    records = records.iloc[order].reset_index(drop=True)
    if groups is not None:
        groups = np.asarray(groups)[order]
    keys_of = records["record_key"].astype(str).to_numpy(dtype=object)
    answers = check_answers(decisions, keys_of.tolist(), record_descriptions(records))
    if len(records) == 0:
        return Resolution(
            assignments=pd.DataFrame(columns=ASSIGNMENT_COLUMNS), review=pd.DataFrame(columns=REVIEW_COLUMNS),
            pairs=pd.DataFrame(columns=PAIR_COLUMNS),
            golden=golden_records(records, prepare_records(records, default_region), pd.Series([], dtype=object)),
            decision_problems=answers.problem_frame(),
        )
    clustering, scored = cluster_scored(score_pairs(records, default_region, groups), merge_threshold,
                                        veto_threshold, answers.same, answers.different)
    prepared, pairs = scored.prepared, scored.pairs
    left = pairs["left_idx"].to_numpy()
    right = pairs["right_idx"].to_numpy()
    probability = pairs["probability"].to_numpy()

    # Name each cluster by its smallest record key: stable across runs and across unrelated additions.
    labels = pd.Series(clustering.labels)
    cluster_key = pd.Series(keys_of).groupby(labels).transform("min").to_numpy(dtype=object)
    match_probability = np.where(cluster_key == keys_of, 1.0, clustering.link_probability)
    assignments = pd.DataFrame({"record_key": keys_of, "cluster_key": cluster_key,
                                "match_probability": match_probability})

    scored_pairs = pd.DataFrame({
        "left_key": keys_of[left], "right_key": keys_of[right],
        "probability": probability, "match_weight": pairs["match_weight"].to_numpy(),
    })
    # Keys in each pair ordered so that the same pair reads the same way on every run.
    swap = scored_pairs["left_key"] > scored_pairs["right_key"]
    scored_pairs.loc[swap, ["left_key", "right_key"]] = scored_pairs.loc[swap, ["right_key", "left_key"]].to_numpy()

    golden = golden_records(records, prepared, assignments["cluster_key"])
    questions = review_questions(scored.levels, probability, merge_threshold, review_threshold)
    if clustering.refused:  # links refused for a conflict of their clusters (profiles, birthdays, answers)
        questions |= pd.MultiIndex.from_arrays([left, right]).isin(list(clustering.refused))
    review = review_queue(records, cluster_key, golden, pairs, questions, answers.decided,
                          answers.to_ask_again, review_limit)
    return Resolution(
        assignments=assignments,
        review=review,
        pairs=scored_pairs.sort_values(["left_key", "right_key"]).reset_index(drop=True),
        golden=golden,
        model=scored.model,
        decision_problems=answers.problem_frame(),
    )


def review_questions(levels: dict[str, np.ndarray], probability: np.ndarray, merge_threshold: float,
                     review_threshold: float) -> np.ndarray:
    """Pairs worth a question: uncertain ones, links refused for a conflict, and namesakes
    whose identifiers conflict (whatever the model makes of them: the owner knows)."""
    conflict = pair_conflicts(levels) != FREE
    in_band = (probability >= review_threshold) & (probability < merge_threshold)
    namesakes = at_level(levels, "given", "exact") & at_level(levels, "family", "exact")
    return in_band | (conflict & ((probability >= merge_threshold) | namesakes))
