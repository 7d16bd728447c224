"""person_id: a person keeps their id when records join or leave, while any earlier record remains.

The first time a person is seen their id is a short hash of their cluster key (its smallest
record key), so a fresh warehouse on the same inputs gives the same ids. Every run remembers
which id each record belonged to; the next run gives each cluster the id most of its
remembered records held, so a new record (even one with a smaller key) or a removed source
does not move it, and a saved query or note by id keeps working.
"""
from __future__ import annotations

import hashlib

import pandas as pd

ID_PREFIX = "p_"
ID_HEX_DIGITS = 12  # 48 bits: a collision among a million people has odds of about 1 in 500


def fresh_id(cluster_key: str, attempt: int = 0) -> str:
    text = cluster_key if attempt == 0 else f"{cluster_key}#{attempt}"
    return ID_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:ID_HEX_DIGITS]


def assign_person_ids(assignments: pd.DataFrame, remembered: dict[str, str]) -> pd.Series:
    """A person_id per row of `assignments` (record_key, cluster_key), given the id each record
    had before (`remembered`, record_key → person_id).

    Each earlier id goes to the cluster holding most of its records (ties: the smaller cluster
    key), so when one person splits in two the larger part keeps the id. A cluster with no
    earlier id, or whose ids all went to others, gets a fresh one.
    """
    claims = pd.DataFrame({"cluster_key": assignments["cluster_key"].to_numpy(),
                           "person_id": assignments["record_key"].map(remembered).to_numpy()}).dropna()
    support = claims.value_counts(["cluster_key", "person_id"]).rename("records").reset_index()
    support = support.sort_values(["records", "cluster_key", "person_id"], ascending=[False, True, True])
    chosen: dict[str, str] = {}
    taken: set[str] = set()
    for cluster_key, person_id in zip(support["cluster_key"], support["person_id"]):
        if cluster_key not in chosen and person_id not in taken:
            chosen[cluster_key] = person_id
            taken.add(person_id)
    taken |= set(remembered.values())  # an id some record held is never given to someone new
    for cluster_key in sorted(set(assignments["cluster_key"]) - set(chosen)):
        attempt = 0
        while (candidate := fresh_id(cluster_key, attempt)) in taken:
            attempt += 1
        chosen[cluster_key] = candidate
        taken.add(candidate)
    return assignments["cluster_key"].map(chosen)
