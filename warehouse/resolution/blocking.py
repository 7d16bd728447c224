"""Candidate pairs from blocking keys, joined in DuckDB, with which identifiers each pair shares."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import duckdb
import numpy as np
import pandas as pd

# A key shared by more records than this says little about identity (a switchboard number,
# "smith|j" in a national register) and would cost quadratic time; the pair can still come
# through its other keys. Measured on historical_50k (bench/bench_matching.py): 200 gives 1.4M
# candidate pairs, 50 gives 0.6M at the same F1 and blocking recall 0.82 instead of 0.83.
MAX_BLOCK_SIZE = 50

# Key kinds whose sharing is itself a comparison outcome (see compare.py).
SHARED_KINDS = ("email", "phone", "linkedin", "local")


# Key kinds that join a different kind: a bare address's local part meets name-derived local
# parts, a lone name token meets every name token.
_JOINS_AS = {"bare_local": "name_local", "partial_name_token": "name_token"}


@lru_cache(maxsize=1)
def _scratch_database() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB for the joins below, each on a cursor of its own: starting a
    database costs 15 ms, a cursor on it a fifth of a millisecond."""
    return duckdb.connect()


@dataclass(frozen=True)
class EncodedKeys:
    """Blocking keys as integers: `frame` holds idx, kind, join_kind and block (kind and value)."""

    frame: pd.DataFrame
    code: dict[str, int]  # kind name → integer


def encode_keys(keys: pd.DataFrame) -> EncodedKeys:
    """Keys as integers (kind, the kind it joins as, and a block number for kind and value):
    DuckDB joins and groups integers far faster than strings."""
    kind_codes, kind_names = pd.factorize(keys["kind"])
    kinds = sorted(set(kind_names) | set(_JOINS_AS) | set(_JOINS_AS.values()) | {"email", "phone", "linkedin", "local"})
    code = {kind: number for number, kind in enumerate(kinds)}
    kind = np.array([code[name] for name in kind_names], dtype=np.int16)[kind_codes]
    join_kind = np.array([code[_JOINS_AS.get(name, name)] for name in kind_names], dtype=np.int16)[kind_codes]
    value_codes = pd.factorize(keys["value"])[0].astype(np.int64)
    encoded = pd.DataFrame({
        "idx": keys["idx"].to_numpy(np.int64), "kind": kind, "join_kind": join_kind,
        "block": value_codes * len(kinds) + join_kind,
    }).drop_duplicates()
    return EncodedKeys(encoded, code)


def candidate_pairs(keys: EncodedKeys, max_block_size: int = MAX_BLOCK_SIZE,
                    groups: np.ndarray | None = None) -> pd.DataFrame:
    """Distinct pairs (left < right by index) sharing at least one key, with `shares_<kind>` flags.

    `groups` (one label per record) restricts pairs to records of different groups, for linking
    two data sets rather than deduplicating one.
    """
    encoded, code = keys.frame, keys.code
    connection = _scratch_database().cursor()
    try:
        connection.register("keys_in", encoded)
        group_filter = group_join = ""
        if groups is not None:
            connection.register("groups_in", pd.DataFrame({"idx": np.arange(len(groups)), "grp": pd.factorize(groups)[0]}))
            group_join = "JOIN groups_in ga ON ga.idx = a.idx JOIN groups_in gb ON gb.idx = b.idx"
            group_filter = "AND ga.grp <> gb.grp"
        flags = ",\n".join(f"bool_or(a.join_kind = {code[kind]}) AS shares_{kind}" for kind in ("email", "phone", "linkedin"))
        flags += f",\nbool_or(a.join_kind IN ({code['local']}, {code['name_local']})) AS shares_local"
        # A name-derived local part ("rsmith" from Robert Smith) joins only the local part of a bare
        # address (a record with no name): two records with the same name always share those.
        # Likewise a single name token joins records of which at least one kept only one name.
        sql = f"""
            WITH usable AS (
                SELECT block FROM keys_in GROUP BY block
                HAVING count(DISTINCT idx) BETWEEN 2 AND {int(max_block_size)}
            ),
            kk AS (SELECT k.* FROM keys_in k JOIN usable USING (block))
            SELECT a.idx AS left_idx, b.idx AS right_idx, {flags}
            FROM kk a JOIN kk b ON a.block = b.block AND a.idx < b.idx
            {group_join}
            WHERE NOT (a.join_kind IN ({code['name_local']}, {code['name_token']}) AND a.kind = b.kind
                       AND a.kind <> {code['partial_name_token']})
                  {group_filter}
            GROUP BY a.idx, b.idx
        """
        found = connection.execute(sql).fetchnumpy()
    finally:
        connection.close()
    # Sorted here rather than in SQL: the order breaks ties between equal scores, so it must be fixed.
    order = np.lexsort((found["right_idx"], found["left_idx"]))
    return pd.DataFrame({name: np.asarray(values)[order] for name, values in found.items()}).astype(
        {"left_idx": "int64", "right_idx": "int64"})


def shared_identifier_flags(keys: EncodedKeys, pairs: pd.DataFrame) -> pd.DataFrame:
    """The `shares_<kind>` flags that blocking gives candidate pairs, for any pairs (random ones)."""
    encoded, code = keys.frame, keys.code
    identifiers = [code[kind] for kind in ("email", "phone", "linkedin", "local", "name_local")]
    encoded = encoded[np.isin(encoded["join_kind"].to_numpy(), identifiers)]
    connection = _scratch_database().cursor()
    try:
        connection.register("keys_in", encoded)
        connection.register("pairs_in", pairs[["left_idx", "right_idx"]].assign(pair=np.arange(len(pairs))))
        found = connection.execute(f"""
            SELECT p.pair,
                   bool_or(a.join_kind = {code['email']}) AS shares_email,
                   bool_or(a.join_kind = {code['phone']}) AS shares_phone,
                   bool_or(a.join_kind = {code['linkedin']}) AS shares_linkedin,
                   bool_or(a.join_kind IN ({code['local']}, {code['name_local']})) AS shares_local
            FROM pairs_in p
            JOIN keys_in a ON a.idx = p.left_idx
            JOIN keys_in b ON b.idx = p.right_idx AND a.block = b.block
            WHERE NOT (a.join_kind = {code['name_local']} AND a.kind = b.kind)
            GROUP BY p.pair
        """).fetchnumpy()
    finally:
        connection.close()
    out = pairs.copy()
    for kind in SHARED_KINDS:
        flags = np.zeros(len(pairs), dtype=bool)
        flags[np.asarray(found["pair"], dtype=np.int64)] = np.asarray(found[f"shares_{kind}"], dtype=bool)
        out[f"shares_{kind}"] = flags
    return out
