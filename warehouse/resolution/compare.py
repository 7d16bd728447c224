"""Comparison levels for candidate pairs, computed with rapidfuzz over whole arrays at once.

Each comparison turns a pair into a level: -1 when either side lacks the field (no evidence),
0 for disagreement, higher for closer agreement. Similarity cut-offs are the customary
Jaro-Winkler bands (0.92 close, 0.80 loose) used by Splink and Febrl; what each level is worth
is not set here but estimated from the data (model.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler, Levenshtein

from .normalize import nickname_forms

CLOSE_NAME = 0.92
LOOSE_NAME = 0.80
CLOSE_CITY = 0.90
CLOSE_TEXT = 90.0  # token-set ratio (0-100) for company names and street addresses


@dataclass(frozen=True)
class Comparison:
    name: str
    levels: tuple[str, ...]  # level labels, index = level
    tf_column: str | None = None  # term-frequency adjust the top level on this prepared column


COMPARISONS = (
    Comparison("given", ("different", "loose", "close", "nickname", "exact"), "given_first"),
    Comparison("family", ("different", "loose", "close", "exact"), "family"),
    Comparison("email", ("different", "same local part", "same address")),
    Comparison("phone", ("different", "same number")),
    Comparison("linkedin", ("different", "same profile")),
    Comparison("birthday", ("different", "one digit off", "same day and month", "same date")),
    Comparison("company", ("different", "similar", "same")),
    Comparison("title", ("different", "same")),
    Comparison("city", ("different", "similar", "same"), "city"),
    Comparison("address", ("different", "similar", "same")),
    Comparison("postcode", ("different", "one character off", "same")),
)


def _similarity(left: np.ndarray, right: np.ndarray, scorer) -> np.ndarray:
    if len(left) == 0:
        return np.zeros(0, dtype=np.float32)
    return process.cpdist(list(left), list(right), scorer=scorer, workers=-1)


def _present(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return (left != "") & (right != "")


def _graded(present: np.ndarray, exact: np.ndarray, *bands: np.ndarray) -> np.ndarray:
    """Top level for exact, then one level per band (best first), 0 otherwise, -1 when absent."""
    level = np.zeros(len(present), dtype=np.int8)
    top = len(bands) + 1
    for offset, band in enumerate(reversed(bands), start=1):
        level[band] = offset
    level[exact] = top
    level[~present] = -1
    return level


def _strings(values: np.ndarray) -> pd.Series:
    """Arrow-backed strings, so that slicing and comparing run in C rather than a Python loop."""
    return pd.Series(values, dtype="string[pyarrow]")


def _birthday_levels(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    present = _present(left, right)
    left_text, right_text = _strings(left), _strings(right)
    full = (~left_text.str.startswith("--") & ~right_text.str.startswith("--")).to_numpy(dtype=bool, na_value=False)
    exact = present & full & (left == right)
    month_day = present & (left_text.str[-5:] == right_text.str[-5:]).to_numpy(dtype=bool, na_value=False)
    distance = _similarity(left, right, Levenshtein.distance)
    # A transposed day and month ("1980-03-04" / "1980-04-03") is the other common slip.
    swapped = ((left_text.str[:4] == right_text.str[:4]) & (left_text.str[5:7] == right_text.str[8:10])
               & (left_text.str[8:10] == right_text.str[5:7])).to_numpy(dtype=bool, na_value=False)
    near = present & full & ((distance <= 1) | swapped)
    return _graded(present, exact, month_day, near)


def _nickname_pairs(left: np.ndarray, right: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Which of the `candidates` positions hold names sharing a nickname form, by a join on forms."""
    result = np.zeros(len(left), dtype=bool)
    if not candidates.any():
        return result
    positions = np.flatnonzero(candidates)
    codes, names = pd.factorize(np.concatenate([left[positions], right[positions]]))
    form_rows = [(code, form) for code, name in enumerate(names) for form in nickname_forms(name)]
    forms = pd.DataFrame(form_rows, columns=["code", "form"])
    half = len(positions)
    left_forms = pd.DataFrame({"pair": positions, "code": codes[:half]}).merge(forms, on="code")
    right_forms = pd.DataFrame({"pair": positions, "code": codes[half:]}).merge(forms, on="code")
    shared = left_forms.merge(right_forms, on=["pair", "form"])["pair"].unique()
    result[shared] = True
    return result


def _token_subset(left: np.ndarray, right: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Multi-word names where one holds all the other's words ("garcia" in "garcia marquez")."""
    result = np.zeros(len(left), dtype=bool)
    for position in np.flatnonzero(candidates):
        a, b = set(left[position].split()), set(right[position].split())
        result[position] = a <= b or b <= a
    return result


def compare_pairs(prepared: pd.DataFrame, pairs: pd.DataFrame) -> dict[str, np.ndarray]:
    """Level arrays (one entry per pair) for every comparison, plus the right side's name orientation."""
    left_idx = pairs["left_idx"].to_numpy()
    right_idx = pairs["right_idx"].to_numpy()
    column = {name: prepared[name].to_numpy(dtype=object) for name in
              ("given_first", "family", "company", "title", "birthday", "city", "address", "postcode")}
    has_emails = prepared["emails"].map(len).to_numpy() > 0
    has_phones = prepared["phones"].map(len).to_numpy() > 0
    has_linkedin = prepared["linkedin"].to_numpy(dtype=object) != ""

    given_left, given_right = column["given_first"][left_idx], column["given_first"][right_idx]
    family_left, family_right = column["family"][left_idx], column["family"][right_idx]

    # Swapped order ("Smith Robert" without a comma): compare against whichever orientation fits better.
    straight = _similarity(given_left, given_right, JaroWinkler.normalized_similarity) + _similarity(
        family_left, family_right, JaroWinkler.normalized_similarity)
    crossed = _similarity(given_left, family_right, JaroWinkler.normalized_similarity) + _similarity(
        family_left, given_right, JaroWinkler.normalized_similarity)
    swap = (crossed > straight) & _present(given_left, given_right) & _present(family_left, family_right)
    given_right = np.where(swap, family_right, given_right)
    family_right = np.where(swap, column["given_first"][right_idx], family_right)

    levels: dict[str, np.ndarray] = {}
    given_similarity = _similarity(given_left, given_right, JaroWinkler.normalized_similarity)
    given_present = _present(given_left, given_right)
    differing = given_present & (given_left != given_right)
    nickname = _nickname_pairs(given_left, given_right, differing)
    left_text, right_text = _strings(given_left), _strings(given_right)
    initial = (((left_text.str.len() == 1) | (right_text.str.len() == 1))
               & (left_text.str[:1] == right_text.str[:1])).to_numpy(dtype=bool, na_value=False)
    levels["given"] = _graded(
        given_present, given_present & (given_left == given_right), nickname,
        given_similarity >= CLOSE_NAME, (given_similarity >= LOOSE_NAME) | initial,
    )

    family_similarity = _similarity(family_left, family_right, JaroWinkler.normalized_similarity)
    family_present = _present(family_left, family_right)
    multi_word = family_present & (family_left != family_right) & (
        _strings(family_left).str.contains(" ") | _strings(family_right).str.contains(" ")).to_numpy(dtype=bool, na_value=False)
    subset = _token_subset(family_left, family_right, multi_word)
    levels["family"] = _graded(
        family_present, family_present & (family_left == family_right),
        (family_similarity >= CLOSE_NAME) | subset, family_similarity >= LOOSE_NAME,
    )

    def identifier(shares: np.ndarray, has: np.ndarray) -> np.ndarray:
        level = np.where(shares, 1, np.where(has[left_idx] & has[right_idx], 0, -1)).astype(np.int8)
        return level

    shares_email = pairs["shares_email"].to_numpy(dtype=bool)
    shares_local = pairs["shares_local"].to_numpy(dtype=bool)
    email = np.where(has_emails[left_idx] & has_emails[right_idx], 0, -1).astype(np.int8)
    email[shares_local] = 1
    email[shares_email] = 2
    levels["email"] = email
    levels["phone"] = identifier(pairs["shares_phone"].to_numpy(dtype=bool), has_phones)
    levels["linkedin"] = identifier(pairs["shares_linkedin"].to_numpy(dtype=bool), has_linkedin)

    levels["birthday"] = _birthday_levels(column["birthday"][left_idx], column["birthday"][right_idx])

    for name, threshold in (("company", CLOSE_TEXT), ("address", CLOSE_TEXT)):
        left, right = column[name][left_idx], column[name][right_idx]
        present = _present(left, right)
        similar = _similarity(left, right, fuzz.token_set_ratio) >= threshold
        levels[name] = _graded(present, present & (left == right), similar)

    left, right = column["title"][left_idx], column["title"][right_idx]
    present = _present(left, right)
    levels["title"] = _graded(present, present & (left == right))

    left, right = column["city"][left_idx], column["city"][right_idx]
    present = _present(left, right)
    levels["city"] = _graded(present, present & (left == right),
                             _similarity(left, right, JaroWinkler.normalized_similarity) >= CLOSE_CITY)

    left, right = column["postcode"][left_idx], column["postcode"][right_idx]
    present = _present(left, right)
    one_off = _similarity(left, right, Levenshtein.distance) <= 1
    levels["postcode"] = _graded(present, present & (left == right), one_off)

    levels["_swapped"] = swap
    return levels
