"""One comparison-ready row per source record, and the blocking keys each record offers."""
from __future__ import annotations

import math

import pandas as pd

from .normalize import (
    email_local_key,
    fold_name,
    name_local_keys,
    nickname_forms,
    normalize_birthday,
    normalize_company,
    normalize_phone,
    split_name,
)

# Optional columns a caller may add beyond the records interface (the benchmark's data sets
# carry them); absent columns are simply not compared.
OPTIONAL_TEXT_COLUMNS = ("address", "postcode")


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def as_list(value) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(item) for item in value if item]


def prepare_records(records: pd.DataFrame, default_region: str | None) -> pd.DataFrame:
    """Normalised comparison fields, one row per record, in the order of `records`."""
    rows = []
    for record in records.to_dict("records"):
        given_display, family_display = split_name(
            _text(record.get("full_name")), _text(record.get("given_name")), _text(record.get("family_name"))
        )
        given = fold_name(given_display)
        family = fold_name(family_display)
        given_first = given.split(" ", 1)[0] if given else ""
        emails = sorted({email.strip().lower() for email in as_list(record.get("emails"))})
        phones = sorted({phone for phone in (normalize_phone(raw, default_region) for raw in as_list(record.get("phones"))) if phone})
        rows.append({
            "record_key": record["record_key"],
            "given_display": given_display,
            "family_display": family_display,
            "given": given,
            "given_first": given_first,
            "family": family,
            "emails": emails,
            "phones": phones,
            "linkedin": _text(record.get("linkedin_url")).lower(),
            "company": normalize_company(_text(record.get("company"))),
            "title": fold_name(_text(record.get("title"))),
            "birthday": normalize_birthday(_text(record.get("birthday"))),
            "city": fold_name(_text(record.get("city"))),
            "address": fold_name(_text(record.get("address"))),
            "postcode": fold_name(_text(record.get("postcode"))).replace(" ", ""),
        })
    return pd.DataFrame(rows, columns=[
        "record_key", "given_display", "family_display", "given", "given_first", "family", "emails",
        "phones", "linkedin", "company", "title", "birthday", "city", "address", "postcode",
    ])


def blocking_keys(prepared: pd.DataFrame) -> pd.DataFrame:
    """(record index, key kind, key value) rows: two records sharing any key become a candidate pair.

    Several independent keys, so that a typo or a missing field in one does not lose the pair:
    identifiers (email, phone, LinkedIn), name blocks robust to typos in either part, swapped
    order and nicknames, email local parts against names, and date-of-birth blocks.
    """
    out_index: list[int] = []
    out_kind: list[str] = []
    out_value: list[str] = []

    def add(index: int, kind: str, value: str) -> None:
        out_index.append(index)
        out_kind.append(kind)
        out_value.append(value)

    for index, row in enumerate(prepared.itertuples(index=False)):
        given, given_first, family = row.given, row.given_first, row.family
        for email in row.emails:
            add(index, "email", email)
            local = email_local_key(email)
            if len(local) >= 4:
                add(index, "local", local)
                if not given and not family:
                    # A bare address (a calendar attendee) is matched to names through its local part.
                    add(index, "bare_local", local)
        for phone in row.phones:
            add(index, "phone", phone)
        if row.linkedin:
            add(index, "linkedin", row.linkedin)
        if family:
            add(index, "family_initial", f"{family}|{given_first[:1]}")
            if given_first:
                # The same key built the other way round catches "Smith Robert" written without a comma.
                add(index, "family_initial", f"{given_first}|{family[:1]}")
                for form in nickname_forms(given_first):
                    add(index, "nickname_family", f"{form}|{family}")
            for local in name_local_keys(given_first, family):
                add(index, "name_local", local)
        tokens = sorted((given + " " + family).split())
        if len(tokens) >= 2:
            add(index, "sorted_tokens", " ".join(tokens))
        if row.birthday:
            if not row.birthday.startswith("--"):
                add(index, "birthday", row.birthday)
            if given_first:
                add(index, "given_birthday", f"{given_first}|{row.birthday}")
            if family:
                add(index, "family_birthday", f"{family}|{row.birthday}")
            if row.postcode:
                add(index, "birthday_postcode", f"{row.birthday}|{row.postcode}")
            if row.city:
                add(index, "birthday_city", f"{row.birthday}|{row.city}")
        if row.city and given_first:
            add(index, "given_city", f"{given_first}|{row.city}")
        if row.city and family:
            add(index, "family_city", f"{family}|{row.city}")
        if row.postcode and given_first:
            add(index, "given_postcode", f"{given_first}|{row.postcode}")
        if row.postcode and family:
            add(index, "family_postcode", f"{family}|{row.postcode}")
    return pd.DataFrame({"idx": out_index, "kind": out_kind, "value": out_value})
