"""Candidate pairs from blocking keys, joined in DuckDB, with which identifiers each pair shares."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

# A key shared by more records than this says little about identity (a switchboard number,
# "smith|j" in a national register) and would cost quadratic time; the pair can still come
# through its other keys. bench/bench_matching.py reports the blocking recall this keeps.
MAX_BLOCK_SIZE = 200

# Key kinds whose sharing is itself a comparison outcome (see compare.py).
SHARED_KINDS = ("email", "phone", "linkedin", "local")


def candidate_pairs(keys: pd.DataFrame, max_block_size: int = MAX_BLOCK_SIZE,
                    groups: np.ndarray | None = None) -> pd.DataFrame:
    """Distinct pairs (left < right by index) sharing at least one key, with `shares_<kind>` flags.

    `groups` (one label per record) restricts pairs to records of different groups, for linking
    two data sets rather than deduplicating one.
    """
    connection = duckdb.connect()
    try:
        connection.register("keys_in", keys)
        group_filter = ""
        if groups is not None:
            connection.register("groups_in", pd.DataFrame({"idx": np.arange(len(groups)), "grp": groups}))
            group_filter = "AND ga.grp <> gb.grp"
        flags = ",\n".join(f"bool_or(a.join_kind = '{kind}') AS shares_{kind}" for kind in ("email", "phone", "linkedin"))
        flags += ",\nbool_or(a.join_kind IN ('local', 'name_local')) AS shares_local"
        group_join = (
            "JOIN groups_in ga ON ga.idx = a.idx JOIN groups_in gb ON gb.idx = b.idx" if groups is not None else ""
        )
        # A name-derived local part ("rsmith" from Robert Smith) joins only the local part of a bare
        # address (a record with no name): two records with the same name always share those.
        # Likewise a single name token joins records of which at least one kept only one name.
        sql = f"""
            WITH k AS (
                SELECT DISTINCT idx, kind,
                       CASE WHEN kind = 'bare_local' THEN 'name_local'
                            WHEN kind = 'partial_name_token' THEN 'name_token' ELSE kind END AS join_kind, value
                FROM keys_in
            ),
            usable AS (
                SELECT join_kind, value FROM k GROUP BY join_kind, value
                HAVING count(DISTINCT idx) BETWEEN 2 AND {int(max_block_size)}
            ),
            kk AS (SELECT k.* FROM k JOIN usable USING (join_kind, value))
            SELECT a.idx AS left_idx, b.idx AS right_idx, {flags}
            FROM kk a JOIN kk b ON a.join_kind = b.join_kind AND a.value = b.value AND a.idx < b.idx
            {group_join}
            WHERE NOT (a.join_kind IN ('name_local', 'name_token') AND a.kind = b.kind AND a.kind <> 'partial_name_token')
                  {group_filter}
            GROUP BY a.idx, b.idx
            ORDER BY a.idx, b.idx
        """
        return connection.execute(sql).df()
    finally:
        connection.close()


def shared_identifier_flags(keys: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """The `shares_<kind>` flags that blocking gives candidate pairs, for any pairs (random ones)."""
    connection = duckdb.connect()
    try:
        connection.register("keys_in", keys)
        connection.register("pairs_in", pairs[["left_idx", "right_idx"]].assign(pair=np.arange(len(pairs))))
        found = connection.execute("""
            WITH k AS (
                SELECT DISTINCT idx, kind,
                       CASE WHEN kind = 'bare_local' THEN 'name_local' ELSE kind END AS join_kind, value
                FROM keys_in WHERE kind IN ('email', 'phone', 'linkedin', 'local', 'name_local', 'bare_local')
            )
            SELECT p.pair,
                   bool_or(a.join_kind = 'email') AS shares_email,
                   bool_or(a.join_kind = 'phone') AS shares_phone,
                   bool_or(a.join_kind = 'linkedin') AS shares_linkedin,
                   bool_or(a.join_kind IN ('local', 'name_local')) AS shares_local
            FROM pairs_in p
            JOIN k a ON a.idx = p.left_idx
            JOIN k b ON b.idx = p.right_idx AND a.join_kind = b.join_kind AND a.value = b.value
            WHERE NOT (a.join_kind = 'name_local' AND a.kind = b.kind)
            GROUP BY p.pair
        """).df()
    finally:
        connection.close()
    out = pairs.copy()
    for kind in SHARED_KINDS:
        flags = np.zeros(len(pairs), dtype=bool)
        flags[found["pair"].to_numpy()] = found[f"shares_{kind}"].to_numpy(dtype=bool)
        out[f"shares_{kind}"] = flags
    return out
