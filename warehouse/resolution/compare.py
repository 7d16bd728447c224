"""Comparison levels for candidate pairs, computed with rapidfuzz over whole arrays at once.

Each comparison turns a pair into a level: -1 when either side lacks the field (no evidence),
0 for disagreement, higher for closer agreement. Similarity cut-offs are the customary
Jaro-Winkler bands (0.92 close, 0.80 loose) used by Splink and Febrl; what each level is worth
is not set here but estimated from the data (model.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler, Levenshtein

from .normalize import nickname_forms

CLOSE_NAME = 0.92
LOOSE_NAME = 0.80
CLOSE_CITY = 0.90
# A mistyped address is one edit away from the right one; Jaro-Winkler ≥ 0.92 also took any two
# long addresses sharing a prefix (james.smith12@ and james.smith345@) for one person.
MAX_EMAIL_TYPO_EDITS = 1
_NOT_DIGITS = re.compile(r"\D+")
PARALLEL_PAIRS = 20_000  # distinct pairs from which rapidfuzz runs on every core (see _scores)
CLOSE_TEXT = 90.0  # token-set ratio (0-100) for company names and street addresses


@dataclass(frozen=True)
class Level:
    """One outcome of a comparison, with its prior m (how often two records of one person land
    here) and prior u (how often two records of different people do)."""

    label: str
    m: float
    u: float


@dataclass(frozen=True)
class Comparison:
    """A comparison and its levels, worst agreement first: a pair's level is an index into
    `levels`, -1 when either record lacks the field. Code names a level by its label (`level`)."""

    name: str
    levels: tuple[Level, ...]
    tf_column: str | None = None  # term-frequency adjust the top level on this prepared column

    def level(self, label: str) -> int:
        return next(index for index, level in enumerate(self.levels) if level.label == label)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(level.label for level in self.levels)

    @property
    def top(self) -> int:
        return len(self.levels) - 1

    @property
    def prior_m(self) -> np.ndarray:
        return np.array([level.m for level in self.levels])

    @property
    def prior_u(self) -> np.ndarray:
        return np.array([level.u for level in self.levels])


# Prior m and u per level. They matter only when an address book is too small to estimate from
# (the tests' fixtures, a first export); large inputs outweigh them (model.PRIOR_PAIRS). They are
# judgement values in the range the estimator learns on the benchmark sets
# (`bench/bench_matching.py --show-model` prints those), leaning towards contact data: emails
# and phones are identifiers there, absent from the sets.
COMPARISONS = (
    Comparison("given", (Level("different", 0.03, 0.94), Level("loose", 0.04, 0.04), Level("close", 0.08, 0.006),
                         Level("nickname", 0.05, 0.004), Level("exact", 0.80, 0.01)), "given_first"),
    Comparison("family", (Level("different", 0.03, 0.96), Level("loose", 0.03, 0.03), Level("close", 0.06, 0.006),
                          Level("exact", 0.88, 0.004)), "family"),
    Comparison("email", (Level("different", 0.33, 0.9993), Level("similar address", 0.02, 0.0002),
                         Level("same local part", 0.05, 0.0004), Level("same address", 0.60, 0.0001))),
    Comparison("phone", (Level("different", 0.30, 0.9998), Level("same number", 0.70, 0.0002))),
    Comparison("linkedin", (Level("different", 0.02, 0.99999), Level("same profile", 0.98, 0.00001))),
    Comparison("birthday", (Level("different", 0.03, 0.95), Level("one digit off", 0.10, 0.045),
                            Level("same day and month", 0.02, 0.004), Level("same date", 0.85, 0.001))),
    Comparison("company", (Level("different", 0.45, 0.95), Level("similar", 0.10, 0.02), Level("same", 0.45, 0.03))),
    Comparison("title", (Level("different", 0.55, 0.93), Level("same", 0.45, 0.07))),
    Comparison("city", (Level("different", 0.15, 0.9), Level("similar", 0.05, 0.02), Level("same", 0.80, 0.08)), "city"),
    Comparison("address", (Level("different", 0.15, 0.995), Level("similar", 0.15, 0.004), Level("same", 0.70, 0.001))),
    Comparison("postcode", (Level("different", 0.08, 0.97), Level("one character off", 0.07, 0.02),
                            Level("same", 0.85, 0.01))),
)
BY_NAME = {comparison.name: comparison for comparison in COMPARISONS}


def comparison(name: str) -> Comparison:
    return BY_NAME[name]


def at_level(levels: dict[str, np.ndarray], name: str, label: str) -> np.ndarray:
    """Pairs whose comparison `name` landed on the level labelled `label`."""
    return levels[name] == BY_NAME[name].level(label)


def _factorized(*arrays: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Integer codes for each array in one shared code space, and the distinct values."""
    codes, values = pd.factorize(np.concatenate(arrays))
    bounds = np.cumsum([len(array) for array in arrays])[:-1]
    return np.split(codes, bounds), np.asarray(values, dtype=object)


def _scores(left: np.ndarray, right: np.ndarray, values: np.ndarray, scorer, where: np.ndarray) -> np.ndarray:
    """Scorer over value codes at the `where` positions (rapidfuzz cpdist), each distinct pair once.

    Large batches use every core (100,000 address pairs: 167 -> 116 ms on two); on small ones
    starting threads costs more than it saves.
    """
    out = np.zeros(len(left), dtype=np.float32)
    positions = np.flatnonzero(where)
    if len(positions) == 0:
        return out
    distinct = len(values)
    pair_codes = left[positions].astype(np.int64) * distinct + right[positions]
    inverse, unique_pairs = pd.factorize(pair_codes)  # hashing: cheaper than sorting millions
    scores = process.cpdist(list(values[unique_pairs // distinct]), list(values[unique_pairs % distinct]),
                            scorer=scorer, dtype=np.float32, workers=-1 if len(unique_pairs) >= PARALLEL_PAIRS else 1)
    out[positions] = scores[inverse]
    return out


def _graded(present: np.ndarray, exact: np.ndarray, *bands: np.ndarray) -> np.ndarray:
    """Top level for exact, then one level per band (best first), 0 otherwise, -1 when absent."""
    level = np.zeros(len(present), dtype=np.int8)
    top = len(bands) + 1
    for offset, band in enumerate(reversed(bands), start=1):
        level[band] = offset
    level[exact] = top
    level[~present] = -1
    return level


def _nickname_pairs(left: np.ndarray, right: np.ndarray, values: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Positions whose names share a nickname form ("bob" and "robert"), by a join on forms."""
    result = np.zeros(len(left), dtype=bool)
    positions = np.flatnonzero(where)
    if len(positions) == 0:
        return result
    used = np.unique(np.concatenate([left[positions], right[positions]]))
    forms = pd.DataFrame([(code, form) for code in used for form in nickname_forms(values[code])],
                         columns=["code", "form"])
    left_forms = pd.DataFrame({"pair": positions, "code": left[positions]}).merge(forms, on="code")
    right_forms = pd.DataFrame({"pair": positions, "code": right[positions]}).merge(forms, on="code")
    result[left_forms.merge(right_forms, on=["pair", "form"])["pair"].unique()] = True
    return result


def _token_subset(left: np.ndarray, right: np.ndarray, values: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Multi-word names where one holds all the other's words ("garcia" in "garcia marquez")."""
    result = np.zeros(len(left), dtype=bool)
    for position in np.flatnonzero(where):
        a, b = set(values[left[position]].split()), set(values[right[position]].split())
        result[position] = a <= b or b <= a
    return result


def _text_levels(prepared: pd.DataFrame, name: str, left_idx: np.ndarray, right_idx: np.ndarray,
                 scorer=None, cutoff: float = 0.0, distance: bool = False) -> np.ndarray:
    """exact / similar (scorer at cutoff, when given) / different / absent, for one text column."""
    (codes,), values = _factorized(prepared[name].to_numpy(dtype=object))
    record_present = values[codes] != ""
    left, right = codes[left_idx], codes[right_idx]
    present = record_present[left_idx] & record_present[right_idx]
    exact = present & (left == right)
    if scorer is None:
        return _graded(present, exact)
    score = _scores(left, right, values, scorer, present & ~exact)
    similar = present & ~exact & ((score <= cutoff) if distance else (score >= cutoff))
    return _graded(present, exact, similar)


def _birthday_levels(prepared: pd.DataFrame, left_idx: np.ndarray, right_idx: np.ndarray) -> np.ndarray:
    birthdays = prepared["birthday"].to_numpy(dtype=object)
    (codes,), values = _factorized(birthdays)
    record_present = values[codes] != ""
    record_full = np.array([not value.startswith("--") for value in values], dtype=bool)[codes] & record_present
    years = np.array([value[:4] for value in birthdays], dtype=object)
    months = np.array([value[-5:-3] for value in birthdays], dtype=object)
    days = np.array([value[-2:] for value in birthdays], dtype=object)
    (year, month, day), _ = _factorized(years, months, days)
    left, right = codes[left_idx], codes[right_idx]
    present = record_present[left_idx] & record_present[right_idx]
    full = record_full[left_idx] & record_full[right_idx]
    exact = present & full & (left == right)
    month_day = present & (month[left_idx] == month[right_idx]) & (day[left_idx] == day[right_idx])
    edits = _scores(left, right, values, Levenshtein.distance, full & ~exact)
    # A transposed day and month ("1980-03-04" / "1980-04-03") is the other common slip.
    swapped = (year[left_idx] == year[right_idx]) & (month[left_idx] == day[right_idx]) & (day[left_idx] == month[right_idx])
    near = present & full & ~exact & ((edits <= 1) | swapped)
    return _graded(present, exact, month_day, near)


def compare_pairs(prepared: pd.DataFrame, pairs: pd.DataFrame) -> dict[str, np.ndarray]:
    """Level arrays (one entry per pair) for every comparison."""
    left_idx = pairs["left_idx"].to_numpy()
    right_idx = pairs["right_idx"].to_numpy()
    jaro_winkler = JaroWinkler.normalized_similarity

    # Given and family names share one code space, so that they can be compared across.
    (given, family), names = _factorized(prepared["given_first"].to_numpy(dtype=object),
                                         prepared["family"].to_numpy(dtype=object))
    name_present = names != ""
    given_left, given_right = given[left_idx], given[right_idx]
    family_left, family_right = family[left_idx], family[right_idx]
    both_given = name_present[given_left] & name_present[given_right]
    both_family = name_present[family_left] & name_present[family_right]

    def similarity(left: np.ndarray, right: np.ndarray, where: np.ndarray) -> np.ndarray:
        score = _scores(left, right, names, jaro_winkler, where & (left != right))
        score[where & (left == right)] = 1.0
        return score

    # Swapped order ("Smith Robert" without a comma): compare against whichever orientation fits better.
    both_names = both_given & both_family
    straight = similarity(given_left, given_right, both_names) + similarity(family_left, family_right, both_names)
    crossed = similarity(given_left, family_right, both_names) + similarity(family_left, given_right, both_names)
    swap = both_names & (crossed > straight)
    given_right, family_right = np.where(swap, family_right, given_right), np.where(swap, given_right, family_right)

    levels: dict[str, np.ndarray] = {}
    given_similarity = similarity(given_left, given_right, both_given)
    differing = both_given & (given_left != given_right)
    # Only names that stand for another name can be nicknames of each other.
    has_forms = np.array([len(nickname_forms(value)) > 1 for value in names], dtype=bool)
    nickname = _nickname_pairs(given_left, given_right, names,
                               differing & (has_forms[given_left] | has_forms[given_right]))
    name_length = np.array([len(value) for value in names])
    first_letter = pd.factorize(np.array([value[:1] for value in names], dtype=object))[0]
    initial = differing & ((name_length[given_left] == 1) | (name_length[given_right] == 1)) & (
        first_letter[given_left] == first_letter[given_right])
    levels["given"] = _graded(
        both_given, both_given & (given_left == given_right), nickname,
        given_similarity >= CLOSE_NAME, (given_similarity >= LOOSE_NAME) | initial,
    )

    family_similarity = similarity(family_left, family_right, both_family)
    several_words = np.array([" " in value for value in names], dtype=bool)
    multi_word = both_family & (family_left != family_right) & (several_words[family_left] | several_words[family_right])
    subset = _token_subset(family_left, family_right, names, multi_word)
    levels["family"] = _graded(
        both_family, both_family & (family_left == family_right),
        (family_similarity >= CLOSE_NAME) | subset, family_similarity >= LOOSE_NAME,
    )

    has_emails = prepared["emails"].map(len).to_numpy() > 0
    has_phones = prepared["phones"].map(len).to_numpy() > 0
    has_linkedin = prepared["linkedin"].to_numpy(dtype=object) != ""

    def identifier(shares: np.ndarray, has: np.ndarray) -> np.ndarray:
        return np.where(shares, 1, np.where(has[left_idx] & has[right_idx], 0, -1)).astype(np.int8)

    both_emails = has_emails[left_idx] & has_emails[right_idx]
    email = np.where(both_emails, 0, -1).astype(np.int8)
    # A mistyped address: the first (alphabetical) address of each record, compared whole.
    (first_codes,), addresses = _factorized(
        prepared["emails"].map(lambda emails: emails[0] if len(emails) else "").to_numpy(dtype=object))
    first_left, first_right = first_codes[left_idx], first_codes[right_idx]
    # One slip of the keyboard, in the letters only: addresses differing in their digits
    # (james.smith12@ and james.smith34@) are namesakes' addresses, not one mistyped.
    differing = both_emails & (first_left != first_right)
    edits = _scores(first_left, first_right, addresses, Levenshtein.distance, differing)
    digits = np.array([_NOT_DIGITS.sub("", address) for address in addresses], dtype=object)
    same_digits = digits[first_left] == digits[first_right]
    email_levels = BY_NAME["email"]
    email[differing & (edits <= MAX_EMAIL_TYPO_EDITS) & same_digits] = email_levels.level("similar address")
    email[pairs["shares_local"].to_numpy(dtype=bool)] = email_levels.level("same local part")
    email[pairs["shares_email"].to_numpy(dtype=bool)] = email_levels.level("same address")
    levels["email"] = email
    levels["phone"] = identifier(pairs["shares_phone"].to_numpy(dtype=bool), has_phones)
    levels["linkedin"] = identifier(pairs["shares_linkedin"].to_numpy(dtype=bool), has_linkedin)
    levels["birthday"] = _birthday_levels(prepared, left_idx, right_idx)
    levels["company"] = _text_levels(prepared, "company", left_idx, right_idx, fuzz.token_set_ratio, CLOSE_TEXT)
    levels["title"] = _text_levels(prepared, "title", left_idx, right_idx)
    levels["city"] = _text_levels(prepared, "city", left_idx, right_idx, jaro_winkler, CLOSE_CITY)
    levels["address"] = _text_levels(prepared, "address", left_idx, right_idx, fuzz.token_set_ratio, CLOSE_TEXT)
    levels["postcode"] = _text_levels(prepared, "postcode", left_idx, right_idx, Levenshtein.distance, 1, distance=True)
    return levels
