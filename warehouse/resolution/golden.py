"""Golden records: one best-of row per resolved person, built from its source records."""
from __future__ import annotations

import unicodedata

import pandas as pd

from .features import as_list, clean_text

# On equal recency, LinkedIn is the source people keep current for employer and title;
# calendar entries rarely carry either, and a vCard is often years old.
SOURCE_PRIORITY = {"linkedin": 0, "vcard": 1, "referrals": 2, "calendar": 3}

# Source columns a golden record takes text from; a record set without one reads it as empty.
TEXT_COLUMNS = ("source", "full_name", "linkedin_url", "company", "title", "birthday", "last_seen")
GOLDEN_COLUMNS = [
    "cluster_key", "display_name", "given_name", "family_name", "emails", "phones", "linkedin_url",
    "company", "title", "birthday", "sources", "record_count", "last_seen",
]


def _accented_letters(text: str) -> int:
    return sum(1 for char in text if unicodedata.normalize("NFKD", char) != char)


def _display(row) -> str:
    given, family = row["given_display"], row["family_display"]
    if given and family:
        return f"{given} {family}"
    return given or family or row["full_name"]


def _name_rank(row: dict) -> tuple:
    """Most complete name first: given and family, more name words, accents written out rather
    than dropped by an ASCII-only export."""
    given, family = row["given_display"], row["family_display"]
    return (-(bool(given) + bool(family)), -len(f"{given} {family}".split()), -_accented_letters(given + family))


def _person(cluster_key: str, ordered: list[dict]) -> dict:
    """Golden row from a cluster's records, most recent first."""
    best = min(enumerate(ordered), key=lambda item: (_name_rank(item[1]), item[0]))[1]
    emails: list[str] = []
    phones: list[str] = []
    for row in ordered:
        emails.extend(email for email in as_list(row["emails"]) if email not in emails)
        phones.extend(phone for phone in row["normal_phones"] if phone not in phones)

    def first(column: str) -> str | None:
        return next((row[column] for row in ordered if row[column]), None)

    birthdays = [row["birthday"] for row in ordered if row["birthday"]]
    full_birthdays = [text for text in birthdays if not text.startswith("--")]
    return {
        "cluster_key": cluster_key,
        # A card with only an ORG is a business: named by it, never by an internal key.
        "display_name": _display(best) or first("company") or (emails[0] if emails else None),
        "given_name": best["given_display"] or None,
        "family_name": best["family_display"] or None,
        "emails": emails,
        "phones": phones,
        "linkedin_url": first("linkedin_url"),
        "company": first("company"),
        "title": first("title"),
        "birthday": (full_birthdays or birthdays or [None])[0],
        "sources": sorted({row["source"] for row in ordered if row["source"]}),
        "record_count": len(ordered),
        "last_seen": first("last_seen"),
    }


def golden_records(records: pd.DataFrame, prepared: pd.DataFrame, cluster_keys: pd.Series) -> pd.DataFrame:
    """`records` and `prepared` aligned by position; `cluster_keys` the cluster of each record."""
    # Column lists zipped into dicts: much cheaper than DataFrame.to_dict on Arrow strings.
    # Text columns are cleaned once here, not at each of their uses below.
    columns = [column for column in records.columns if column not in TEXT_COLUMNS] + list(TEXT_COLUMNS)
    values_by_column = [records[column].tolist() for column in columns if column not in TEXT_COLUMNS] + [
        [clean_text(value) for value in records[column].tolist()] if column in records.columns else [""] * len(records)
        for column in TEXT_COLUMNS]
    rows = [dict(zip(columns, values)) for values in zip(*values_by_column)]
    given = prepared["given_display"].to_list()
    family = prepared["family_display"].to_list()
    phones = prepared["phones"].to_list()
    by_cluster: dict[str, list[dict]] = {}
    for index, (row, cluster_key) in enumerate(zip(rows, cluster_keys.to_list())):
        row.update(given_display=given[index], family_display=family[index], normal_phones=phones[index])
        by_cluster.setdefault(cluster_key, []).append(row)
    people = []
    for cluster_key in sorted(by_cluster):
        # Most recent `last_seen` first; LinkedIn first on ties; record key last for stability.
        ordered = sorted(by_cluster[cluster_key], key=lambda row: (
            _descending(row["last_seen"]), SOURCE_PRIORITY.get(row["source"], 9),
            str(row["record_key"])))
        people.append(_person(cluster_key, ordered))
    # Object columns keep a missing value as None rather than NaN, for the warehouse and vCard export.
    golden = pd.DataFrame(people, columns=GOLDEN_COLUMNS, dtype=object)
    return golden.astype({"record_count": "int64"})


def _descending(text: str) -> tuple:
    """Sort key putting later ISO dates first and missing dates last."""
    return (0, tuple(-ord(char) for char in text)) if text else (1, ())
