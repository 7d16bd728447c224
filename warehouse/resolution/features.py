"""One comparison-ready row per source record, and the blocking keys each record offers."""
from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np
import pandas as pd

from .normalize import (
    email_local_key,
    email_local_with_digits,
    employers_from_addresses,
    fold_name,
    is_role_address,
    is_role_name,
    nickname_forms,
    normalize_birthday,
    normalize_company,
    normalize_phone,
    split_name,
)

_LETTERS = re.compile(r"[^a-z]+")  # folded names: keep the ASCII letters an address can hold


def clean_text(value) -> str:
    """A value as stripped text; missing (None, NaN) as the empty string."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def as_list(value) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(item) for item in value if item]


def _column(records: pd.DataFrame, name: str) -> list:
    return records[name].tolist() if name in records.columns else [None] * len(records)


def prepare_records(records: pd.DataFrame, default_region: str | None) -> pd.DataFrame:
    """Normalised comparison fields, one row per record, in the order of `records`.

    Besides the records interface, optional `address` and `postcode` columns are compared when
    present (the benchmark's data sets carry them); absent columns count as missing values.
    A name that is a role ("Organizer") or an address counts as no name, and role addresses are
    not compared at all: neither says who the person is.
    """
    names = [("", "") if is_role_name(clean_text(full))
             else _split_cached(clean_text(full), clean_text(given), clean_text(family))
             for full, given, family in zip(
                 _column(records, "full_name"), _column(records, "given_name"), _column(records, "family_name"))]
    given_display = [given for given, _ in names]
    family_display = [family for _, family in names]
    given = [fold_name(value) for value in given_display]
    phones = [
        sorted({phone for phone in (_phone_cached(raw, default_region) for raw in as_list(value)) if phone})
        for value in _column(records, "phones")
    ]
    emails = [sorted({email.strip().lower() for email in as_list(value) if not is_role_address(email)})
              for value in _column(records, "emails")]
    companies = employers_from_addresses(
        [normalize_company(clean_text(value)) for value in _column(records, "company")], emails)
    return pd.DataFrame({
        "record_key": _column(records, "record_key"),
        "given_display": given_display,
        "family_display": family_display,
        "given": given,
        "given_first": [value.split(" ", 1)[0] if value else "" for value in given],
        "family": [fold_name(value) for value in family_display],
        "emails": emails,
        "phones": phones,
        "linkedin": [clean_text(value).lower() for value in _column(records, "linkedin_url")],
        "company": companies,
        "title": [fold_name(clean_text(value)) for value in _column(records, "title")],
        "birthday": [normalize_birthday(clean_text(value)) for value in _column(records, "birthday")],
        "city": [fold_name(clean_text(value)) for value in _column(records, "city")],
        "address": [fold_name(clean_text(value)) for value in _column(records, "address")],
        "postcode": [fold_name(clean_text(value)).replace(" ", "") for value in _column(records, "postcode")],
    }, dtype=object)


@lru_cache(maxsize=200_000)
def _split_cached(full: str, given: str, family: str) -> tuple[str, str]:
    return split_name(full, given, family)


@lru_cache(maxsize=200_000)
def _phone_cached(raw: str, default_region: str | None) -> str | None:
    return normalize_phone(raw, default_region)


def blocking_keys(prepared: pd.DataFrame) -> pd.DataFrame:
    """(record index, key kind, key value) rows: two records sharing any key become a candidate pair.

    Several independent keys, so that a typo or a missing field in one does not lose the pair:
    identifiers (email, phone, LinkedIn), name blocks robust to typos in either part, swapped
    order and nicknames, email local parts against names, and date-of-birth and place blocks.
    """
    index = np.arange(len(prepared))
    column = {name: prepared[name].to_numpy(dtype=object) for name in
              ("given", "given_first", "family", "birthday", "city", "postcode", "linkedin")}
    given_first, family, birthday = column["given_first"], column["family"], column["birthday"]
    has_given, has_family = given_first != "", family != ""
    has_birthday = birthday != ""
    full_birthday = np.array([len(value) == 10 for value in birthday], dtype=bool)
    initial = np.array([value[:1] for value in given_first], dtype=object)
    family_initial = np.array([value[:1] for value in family], dtype=object)
    frames: list[pd.DataFrame] = []

    def single(kind: str, mask: np.ndarray, values: np.ndarray) -> None:
        frames.append(pd.DataFrame({"idx": index[mask], "kind": kind, "value": values[mask]}))

    def several(kind: str, lists: list) -> None:
        rows = [(position, value) for position, values in enumerate(lists) for value in values]
        frames.append(pd.DataFrame(rows, columns=["idx", "value"]).assign(kind=kind))

    emails = prepared["emails"].tolist()
    several("email", emails)
    local_parts = [[local for local in map(email_local_key, values) if len(local) >= 4] for values in emails]
    # Two addresses meet on their local part with its digits: james.smith1234@ and
    # jamessmith1234@ are one person's, james.smith1234@ and james.smith5678@ are namesakes'
    # (a large address book holds many; the letters alone only repeat the name comparison).
    several("local", [sorted({email_local_with_digits(value) for value in values
                              if len(email_local_key(value)) >= 4}) for values in emails])
    # A bare address (a calendar attendee) is matched to names through its local part.
    several("bare_local", [locals_ if not (given or surname) else []
                           for locals_, given, surname in zip(local_parts, given_first, family)])
    # Local parts people build from their name: robertsmith, smithrobert, rsmith, roberts.
    given_letters = np.array([_LETTERS.sub("", value) for value in given_first], dtype=object)
    family_letters = np.array([_LETTERS.sub("", value) for value in family], dtype=object)
    named = (given_letters != "") & (family_letters != "")
    given_initial = np.array([value[:1] for value in given_letters], dtype=object)
    family_first = np.array([value[:1] for value in family_letters], dtype=object)
    for local in (given_letters + family_letters, family_letters + given_letters,
                  given_initial + family_letters, given_letters + family_first):
        single("name_local", named & np.array([len(value) >= 4 for value in local], dtype=bool), local)
    several("phone", prepared["phones"].tolist())
    single("linkedin", column["linkedin"] != "", column["linkedin"])
    # A record that kept only one name, or put it in the other field, is compared with records
    # holding that name anywhere (while the name is rare enough to stay under MAX_BLOCK_SIZE).
    partial = has_given != has_family
    single("name_token", has_given & ~partial, given_first)
    single("name_token", has_family & ~partial, family)
    single("partial_name_token", has_given & partial, given_first)
    single("partial_name_token", has_family & partial, family)
    single("family_initial", has_family, family + "|" + initial)
    # The same key built the other way round catches "Smith Robert" written without a comma.
    single("family_initial", has_family & has_given, given_first + "|" + family_initial)
    several("nickname_family", [[f"{form}|{surname}" for form in sorted(nickname_forms(given))] if surname else []
                                for given, surname in zip(given_first, family)])
    sorted_tokens = np.array([" ".join(sorted(f"{given} {surname}".split())) for given, surname in
                              zip(column["given"], family)], dtype=object)
    single("sorted_tokens", np.array([" " in value for value in sorted_tokens], dtype=bool), sorted_tokens)
    single("birthday", full_birthday, birthday)
    single("given_birthday", has_birthday & has_given, given_first + "|" + birthday)
    single("family_birthday", has_birthday & has_family, family + "|" + birthday)
    for place in ("city", "postcode"):
        values = column[place]
        present = values != ""
        if place == "postcode":
            # A postcode alone is a block while small (MAX_BLOCK_SIZE); a town alone is too
            # coarse (bench: on historical_50k a third of all candidates, one in eight true).
            single(place, present, values)
        single(f"birthday_{place}", has_birthday & present, birthday + "|" + values)
        single(f"given_{place}", has_given & present, given_first + "|" + values)
        single(f"family_{place}", has_family & present, family + "|" + values)
    keys = pd.concat(frames, ignore_index=True)[["idx", "kind", "value"]]
    return keys.astype({"idx": "int64"})
