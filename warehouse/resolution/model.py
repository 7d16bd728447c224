"""Fellegi-Sunter match weights: u from random pairs, m by expectation-maximisation, term frequencies.

For each comparison level, m is how often two records of the same person land on it and u how
often two records of different people do; log2(m/u) is the evidence the level carries. u comes
from record pairs drawn at random (nearly all of them are different people); m and the share of
matches among candidate pairs come from EM over the candidate pairs. For exact name and city
agreement, u is replaced by how common that value is, so that two "Michael"s weigh less than
two "Thaddeus"es.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .blocking import EncodedKeys, shared_identifier_flags
from .compare import COMPARISONS, at_level, compare_pairs

# How many random pairs estimate u: a level seen once in ten thousand random pairs is still
# counted five times, and the priors below steady the rarer ones. On the benchmark sets F1 is
# within 0.001 of what 100,000 pairs give (Febrl3 0.9989 both, Febrl4 0.9985 / 0.9986,
# historical 0.8664 / 0.8657), at half the comparisons.
U_SAMPLE_PAIRS = 50_000
EM_MAX_ITERATIONS = 40
EM_TOLERANCE = 1e-5
SEED = 20240601

# The priors of each level (compare.COMPARISONS) count as this many pairs: enough to steady a
# small address book's estimates, few enough that large inputs outweigh them.
PRIOR_PAIRS = 50.0
# A value's share among records is estimated with this many pseudo-records at the average
# share, so that a name seen twice in a ten-card address book is not taken to be common, while
# a few hundred records already tell John Smith from Thaddeus Quimby (tests/test_resolution.py).
TF_PRIOR_RECORDS = 100.0


# Comparisons that are identifiers: a pair agreeing on one of them is (nearly always) one person.
IDENTIFIERS = ("email", "phone", "linkedin")
# With at least this many candidate pairs sharing an identifier, m is read from those pairs
# instead of EM (see estimate_m_from_anchors). A hundred pairs give each level's m within a few
# points; the benchmark sets (no emails, phones or profiles) have none and keep EM.
MIN_ANCHOR_PAIRS = 100
PRIOR_ITERATIONS = 50


@dataclass
class MatchModel:
    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    prior_match: float  # probability that two records drawn at random are the same person
    term_frequency: dict[str, dict[str, float]] = field(default_factory=dict)
    anchored: bool = False  # m from identifier-sharing pairs; prior still to refine (refine_prior)

    def bayes_factors(self) -> pd.DataFrame:
        rows = []
        for comparison in COMPARISONS:
            for level, label in enumerate(comparison.labels):
                m, u = self.m[comparison.name][level], self.u[comparison.name][level]
                rows.append({"comparison": comparison.name, "level": label, "m": m, "u": u,
                             "weight": float(np.log2(m / u))})
        return pd.DataFrame(rows)


def _random_pairs(n_records: int, count: int, rng: np.random.Generator) -> pd.DataFrame:
    total = n_records * (n_records - 1) // 2
    if total <= count:
        left, right = np.triu_indices(n_records, k=1)
    else:
        left = rng.integers(0, n_records, size=count)
        right = rng.integers(0, n_records, size=count)
        keep = left != right
        left, right = np.minimum(left, right)[keep], np.maximum(left, right)[keep]
    return pd.DataFrame({"left_idx": left.astype(np.int64), "right_idx": right.astype(np.int64)})


def _level_counts(levels: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    present = levels >= 0
    return np.bincount(levels[present], weights=None if weights is None else weights[present], minlength=size)[:size]


def _smoothed(counts: np.ndarray, prior: np.ndarray) -> np.ndarray:
    estimate = (counts + PRIOR_PAIRS * prior) / (counts.sum() + PRIOR_PAIRS)
    return np.clip(estimate, 1e-9, None)


def estimate_u(prepared: pd.DataFrame, keys: EncodedKeys, sample_pairs: int = U_SAMPLE_PAIRS) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    pairs = shared_identifier_flags(keys, _random_pairs(len(prepared), sample_pairs, rng))
    levels = compare_pairs(prepared, pairs)
    return {c.name: _smoothed(_level_counts(levels[c.name], len(c.levels)), c.prior_u) for c in COMPARISONS}


def _log_likelihoods(levels: dict[str, np.ndarray], probabilities: dict[str, np.ndarray], n_pairs: int) -> np.ndarray:
    total = np.zeros(n_pairs)
    for comparison in COMPARISONS:
        level = levels[comparison.name]
        logs = np.log(probabilities[comparison.name])
        total += np.where(level >= 0, logs[np.clip(level, 0, None)], 0.0)
    return total


def _patterns(levels: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Distinct comparison vectors and how many pairs have each: EM runs over a few thousand
    patterns instead of every pair."""
    code = np.zeros(_pair_count(levels), dtype=np.int64)
    for comparison in COMPARISONS:
        code = code * (len(comparison.levels) + 1) + (levels[comparison.name].astype(np.int64) + 1)
    _, first, counts = np.unique(code, return_index=True, return_counts=True)
    return {c.name: levels[c.name][first] for c in COMPARISONS}, counts.astype(float)


def estimate_m(levels: dict[str, np.ndarray], u_random: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], float]:
    """m per level and the share of matches among candidates, by EM over the candidate pairs.

    Candidate non-matches are not random pairs (they share a blocking key), so EM keeps its own
    u for them; only m and the candidate match share are kept for scoring.
    """
    m = {c.name: c.prior_m for c in COMPARISONS}
    u = {name: values.copy() for name, values in u_random.items()}
    share = 0.5
    if _pair_count(levels) == 0:
        return {c.name: _smoothed(np.zeros(len(c.levels)), c.prior_m) for c in COMPARISONS}, share
    patterns, counts = _patterns(levels)
    n_patterns, n_pairs = len(counts), counts.sum()
    for _ in range(EM_MAX_ITERATIONS):
        log_match = np.log(share) + _log_likelihoods(patterns, m, n_patterns)
        log_non = np.log1p(-share) + _log_likelihoods(patterns, u, n_patterns)
        posterior = 1.0 / (1.0 + np.exp(np.clip(log_non - log_match, -700, 700)))
        new_share = float(np.clip((posterior * counts).sum() / n_pairs, 1e-6, 1 - 1e-6))
        for comparison in COMPARISONS:
            size = len(comparison.levels)
            level = patterns[comparison.name]
            m[comparison.name] = _smoothed(_level_counts(level, size, posterior * counts), comparison.prior_m)
            u[comparison.name] = _smoothed(_level_counts(level, size, (1.0 - posterior) * counts), comparison.prior_u)
        converged = abs(new_share - share) < EM_TOLERANCE
        share = new_share
        if converged:
            break
    return m, share


def term_frequencies(prepared: pd.DataFrame, u: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    tables = {}
    for comparison in COMPARISONS:
        if not comparison.tf_column:
            continue
        values = prepared[comparison.tf_column]
        values = values[values != ""]
        counts = values.value_counts()
        average_share = float(u[comparison.name][-1])
        shares = (counts + TF_PRIOR_RECORDS * average_share) / (len(values) + TF_PRIOR_RECORDS)
        tables[comparison.name] = shares.to_dict()
    return tables


def anchor_pairs(levels: dict[str, np.ndarray]) -> np.ndarray:
    """Candidate pairs sharing an email address, a LinkedIn profile, or a phone under one given name."""
    return at_level(levels, "email", "same address") | at_level(levels, "linkedin", "same profile") | (
        at_level(levels, "phone", "same number") & (at_level(levels, "given", "nickname") | at_level(levels, "given", "exact")))


def estimate_m_from_anchors(levels: dict[str, np.ndarray], anchors: np.ndarray) -> dict[str, np.ndarray]:
    """m per level from the pairs that share an identifier: how one person's records compare.

    On contact data EM goes wrong once the address book is large: candidate pairs are then mostly
    strangers sharing a family name, and EM takes "same family name" for the match class (at 20k
    people it learns that matches mostly have different given names). Pairs sharing an identifier
    are matches whatever their names, so their name, company and title levels estimate m directly.
    The identifiers' own m cannot come from pairs chosen for agreeing on them: those keep the priors.
    """
    m = {}
    for comparison in COMPARISONS:
        size = len(comparison.levels)
        counts = np.zeros(size) if comparison.name in IDENTIFIERS else _level_counts(levels[comparison.name][anchors], size)
        m[comparison.name] = _smoothed(counts, comparison.prior_m)
    return m


def refine_prior(model: MatchModel, weights_without_prior: np.ndarray, n_records: int) -> MatchModel:
    """The prior as the expected number of matches among the candidates over all pairs.

    With m and u fixed, the share of matches is the one unknown: start from one match per
    record and iterate prior = sum of candidate posteriors / all pairs to its fixed point.
    Strangers sharing a common name then count for what they are worth, not as matches.
    """
    total_pairs = _all_pairs(n_records)
    prior = float(np.clip(n_records / total_pairs, 1e-12, 0.5))
    for _ in range(PRIOR_ITERATIONS):
        posterior = probability_from_weight(weights_without_prior + prior_weight(prior))
        updated = float(np.clip(posterior.sum() / total_pairs, 1e-12, 0.5))
        converged = abs(np.log(updated / prior)) < 1e-3
        prior = updated
        if converged:
            break
    return MatchModel(m=model.m, u=model.u, prior_match=prior, term_frequency=model.term_frequency, anchored=False)


def fit(prepared: pd.DataFrame, keys: EncodedKeys, levels: dict[str, np.ndarray]) -> MatchModel:
    u = estimate_u(prepared, keys)
    anchors = anchor_pairs(levels)
    if anchors.sum() >= MIN_ANCHOR_PAIRS:
        m = estimate_m_from_anchors(levels, anchors)
        return MatchModel(m=m, u=u, prior_match=0.5, term_frequency=term_frequencies(prepared, u), anchored=True)
    m, candidate_share = estimate_m(levels, u)
    n_candidates = len(levels["given"])
    prior = float(np.clip(candidate_share * n_candidates / _all_pairs(len(prepared)), 1e-9, 0.5))
    return MatchModel(m=m, u=u, prior_match=prior, term_frequency=term_frequencies(prepared, u))


def match_weights(model: MatchModel, prepared: pd.DataFrame, pairs: pd.DataFrame,
                  levels: dict[str, np.ndarray]) -> np.ndarray:
    """Total match weight (log2 odds) per pair, prior included (added last, so that a weight
    computed with prior 0.5 plus `prior_weight(p)` is exactly the weight with prior p)."""
    left_idx = pairs["left_idx"].to_numpy()
    total = np.zeros(len(left_idx), dtype=float)
    for comparison in COMPARISONS:
        level = levels[comparison.name]
        weights = np.log2(model.m[comparison.name] / model.u[comparison.name])
        contribution = np.where(level >= 0, weights[np.clip(level, 0, None)], 0.0)
        if comparison.tf_column:
            top = comparison.top
            at_top = level == top
            values = prepared[comparison.tf_column].to_numpy(dtype=object)[left_idx[at_top]]
            table = model.term_frequency.get(comparison.name, {})
            default = float(model.u[comparison.name][top])
            shares = np.array([table.get(value, default) for value in values], dtype=float)
            contribution[at_top] = np.log2(model.m[comparison.name][top] / shares)
        total += contribution
    return total + prior_weight(model.prior_match)


def _pair_count(levels: dict[str, np.ndarray]) -> int:
    return len(next(iter(levels.values()))) if levels else 0


def prior_weight(prior: float) -> float:
    return float(np.log2(prior / (1 - prior)))


def _all_pairs(n_records: int) -> float:
    return max(n_records * (n_records - 1) / 2, 1.0)


def probability_from_weight(weight: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.power(2.0, -np.clip(weight, -100, 100)))
