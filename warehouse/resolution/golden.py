"""Golden records: one best-of row per resolved person, built from its source records."""
from __future__ import annotations

import math
import unicodedata

import pandas as pd

from .features import as_list

# On equal recency, LinkedIn is the source people keep current for employer and title;
# calendar entries rarely carry either, and a vCard is often years old.
SOURCE_PRIORITY = {"linkedin": 0, "vcard": 1, "referrals": 2, "calendar": 3}

GOLDEN_COLUMNS = [
    "cluster_key", "display_name", "given_name", "family_name", "emails", "phones", "linkedin_url",
    "company", "title", "birthday", "sources", "record_count", "last_seen",
]


def _clean(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _recency_order(group: pd.DataFrame) -> pd.DataFrame:
    """Most recent `last_seen` first; LinkedIn first on ties; record key last for stability."""
    return group.assign(
        _seen=group["last_seen"].map(_clean),
        _priority=group["source"].map(lambda source: SOURCE_PRIORITY.get(source, 9)),
    ).sort_values(["_seen", "_priority", "record_key"], ascending=[False, True, True])


def _first_present(ordered: pd.DataFrame, column: str) -> str | None:
    for value in ordered[column]:
        text = _clean(value)
        if text:
            return text
    return None


def _accented_letters(text: str) -> int:
    return sum(1 for char in text if unicodedata.normalize("NFKD", char) != char)


def _display(row) -> str:
    given, family = row["given_display"], row["family_display"]
    if given and family:
        return f"{given} {family}"
    return given or family or _clean(row.get("full_name"))


def golden_records(records: pd.DataFrame, prepared: pd.DataFrame, cluster_keys: pd.Series) -> pd.DataFrame:
    """`records` and `prepared` aligned by position; `cluster_keys` the cluster of each record."""
    frame = records.reset_index(drop=True).copy()
    for column in ("given_display", "family_display", "phones"):
        frame[f"_{column}"] = prepared[column].to_numpy()
    frame = frame.rename(columns={"_given_display": "given_display", "_family_display": "family_display",
                                  "_phones": "normal_phones"})
    frame["cluster_key"] = cluster_keys.to_numpy()
    rows = []
    for cluster_key, group in frame.groupby("cluster_key", sort=True):
        ordered = _recency_order(group)
        # Most complete name first (given and family, more name words, accents written out rather
        # than dropped by an ASCII-only export), most recent among equals.
        named = ordered.assign(
            _parts=ordered.apply(lambda row: bool(row["given_display"]) + bool(row["family_display"]), axis=1),
            _words=ordered.apply(lambda row: len(f"{row['given_display']} {row['family_display']}".split()), axis=1),
            _accents=ordered.apply(lambda row: _accented_letters(f"{row['given_display']}{row['family_display']}"), axis=1),
            _rank=range(len(ordered)),
        ).sort_values(["_parts", "_words", "_accents", "_rank"], ascending=[False, False, False, True])
        best = named.iloc[0]
        emails: list[str] = []
        phones: list[str] = []
        for _, row in ordered.iterrows():
            emails.extend(email for email in as_list(row["emails"]) if email not in emails)
            phones.extend(phone for phone in row["normal_phones"] if phone not in phones)
        birthdays = [b for b in (_clean(v) for v in ordered["birthday"]) if b]
        full_birthdays = [b for b in birthdays if not b.startswith("--")]
        rows.append({
            "cluster_key": cluster_key,
            "display_name": _display(best) or (emails[0] if emails else cluster_key),
            "given_name": best["given_display"] or None,
            "family_name": best["family_display"] or None,
            "emails": emails,
            "phones": phones,
            "linkedin_url": _first_present(ordered, "linkedin_url"),
            "company": _first_present(ordered, "company"),
            "title": _first_present(ordered, "title"),
            "birthday": (full_birthdays or birthdays or [None])[0],
            "sources": sorted({_clean(source) for source in group["source"] if _clean(source)}),
            "record_count": len(group),
            "last_seen": _first_present(ordered, "last_seen"),
        })
    # Object columns keep a missing value as None rather than NaN, for the warehouse and vCard export.
    golden = pd.DataFrame(rows, columns=GOLDEN_COLUMNS, dtype=object)
    return golden.astype({"record_count": "int64"})
