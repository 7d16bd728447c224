"""Clusters from scored pairs that never join two records the evidence says are different people.

Links are taken strongest first; each merge of two clusters is refused when the merged cluster
would hold two LinkedIn profiles, two clearly different birthdays, two records the owner said
are different, or two records whose own comparison the model finds clearly different (a veto).
That is what stops a chain of individually plausible links (A~B, B~C) from putting strangers
A and C together; resolve.cluster_scored also compares A with C when blocking did not.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd


# What a pair's own comparison allows (resolve.pair_conflicts): a link, no direct link (the pair
# may still end up together through others, as a chain of records shows the same person), or
# never together (like a veto: only the owner's answer joins them).
FREE = 0
NO_DIRECT_LINK = 1
KEEP_APART = 2


def birthdays_conflict(left: str, right: str) -> bool:
    """Two full dates differing in year and in day-and-month: not a typing slip, another person.

    One wrong part (a year, a transposed or mistyped day or month) is left to the match weights,
    which learn from the data how often one person's birthday is written two ways.
    """
    if not left or not right or left.startswith("--") or right.startswith("--") or left == right:
        return False
    same_year = left[:4] == right[:4]
    same_day = left[5:] == right[5:] or (left[5:7] == right[8:10] and left[8:10] == right[5:7])
    one_slip = sum(a != b for a, b in zip(left, right)) <= 1
    return not (same_year or same_day or one_slip)


def _components(n_records: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected components of a graph, by label propagation over numpy arrays."""
    label = np.arange(n_records)
    while True:
        smaller = np.minimum(label[left], label[right])
        updated = label.copy()
        np.minimum.at(updated, left, smaller)
        np.minimum.at(updated, right, smaller)
        updated = updated[updated]  # pointer jumping: follow labels to their own labels
        if np.array_equal(updated, label):
            return label
        label = updated


@dataclass
class _Cluster:
    members: list[int]
    linkedin: set[str] = field(default_factory=set)
    birthdays: set[str] = field(default_factory=set)
    forbidden: set[int] = field(default_factory=set)  # records that may never join this cluster


@dataclass
class Clustering:
    labels: np.ndarray  # cluster number per record
    link_probability: np.ndarray  # probability of the strongest accepted link touching each record
    refused: set[tuple[int, int]]  # pairs above the merge threshold refused for a conflict


@dataclass(frozen=True)
class Constraints:
    """What keeps records apart besides the pair scores."""

    linkedin: np.ndarray  # profile URL per record, "" when none
    birthday: np.ndarray  # normalised birthday per record, "" when none
    forced_same: list[tuple[int, int]] = field(default_factory=list)  # the owner's "same" answers
    forced_different: list[tuple[int, int]] = field(default_factory=list)  # and "different" ones
    check_birthdays: bool = True  # whether clearly different birthdays keep records apart
    veto_below: float = 0.0  # a compared pair under this probability never shares a cluster


def _greedy_clusters(
    n_records: int,
    left: np.ndarray,
    right: np.ndarray,
    probability: np.ndarray,
    pair_conflict: np.ndarray,
    merge_threshold: float,
    constraints: Constraints,
) -> tuple[np.ndarray, set[tuple[int, int]]]:
    """Greedy merges, strongest link first, each refused when it would join records in conflict:
    a cluster label per record, and the links refused."""
    linkedin, birthday, forced_same = constraints.linkedin, constraints.birthday, constraints.forced_same
    check_birthdays = constraints.check_birthdays
    parent = np.arange(n_records)
    clusters: dict[int, _Cluster] = {}
    for index in np.unique(np.concatenate([left, right, np.array(forced_same, dtype=np.int64).reshape(-1)])).tolist():
        cluster = _Cluster([index])
        if linkedin[index]:
            cluster.linkedin.add(linkedin[index])
        if birthday[index] and not birthday[index].startswith("--"):
            cluster.birthdays.add(birthday[index])
        clusters[index] = cluster
    for a, b in constraints.forced_different:
        if a in clusters and b in clusters:
            clusters[a].forbidden.add(b)
            clusters[b].forbidden.add(a)
    # A pair in conflict, like a clear mismatch, keeps its records apart through any chain.
    vetoed = (probability < constraints.veto_below) | (pair_conflict == KEEP_APART)
    for a, b in zip(left[vetoed].tolist(), right[vetoed].tolist()):
        clusters[a].forbidden.add(b)
        clusters[b].forbidden.add(a)

    def find(index: int) -> int:
        root = index
        while parent[root] != root:
            root = parent[root]
        while parent[index] != root:
            parent[index], index = root, parent[index]
        return root

    def conflicts(first: _Cluster, second: _Cluster) -> bool:
        if first.linkedin and second.linkedin and first.linkedin != second.linkedin:
            return True
        smaller, larger = (first, second) if len(first.members) <= len(second.members) else (second, first)
        if any(member in larger.forbidden for member in smaller.members):
            return True
        return check_birthdays and any(birthdays_conflict(x, y) for x in first.birthdays for y in second.birthdays)

    def union(root_a: int, root_b: int) -> None:
        big, small = (root_a, root_b) if len(clusters[root_a].members) >= len(clusters[root_b].members) else (root_b, root_a)
        parent[small] = big
        merged, absorbed = clusters[big], clusters.pop(small)
        merged.members.extend(absorbed.members)
        merged.linkedin |= absorbed.linkedin
        merged.birthdays |= absorbed.birthdays
        merged.forbidden |= absorbed.forbidden

    for a, b in forced_same:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            union(root_a, root_b)

    refused: set[tuple[int, int]] = set()
    order = np.argsort(-probability, kind="stable")
    order = order[probability[order] >= merge_threshold]
    for position in order:
        a, b = int(left[position]), int(right[position])
        root_a, root_b = find(a), find(b)
        if root_a == root_b:
            continue
        if pair_conflict[position] != FREE or conflicts(clusters[root_a], clusters[root_b]):
            refused.add((a, b))
            continue
        union(root_a, root_b)

    labels = np.arange(n_records)
    touched = [member for cluster in clusters.values() for member in cluster.members]
    labels[touched] = [find(index) for index in touched]
    return labels, refused


def constrained_clusters(
    n_records: int,
    left: np.ndarray,
    right: np.ndarray,
    probability: np.ndarray,
    pair_conflict: np.ndarray,  # FREE, NO_DIRECT_LINK or KEEP_APART per pair
    merge_threshold: float,
    constraints: Constraints,
) -> Clustering:
    """Clusters from links at or above `merge_threshold`, never joining records in conflict.

    A compared pair with probability under `constraints.veto_below` never shares a cluster, nor
    do records the owner said are different, two LinkedIn profiles or (with `check_birthdays`)
    clearly different birthdays. Components of the link graph holding no possible conflict are
    clusters as they stand; only the others are rebuilt link by link, strongest first.
    """
    forced_same, forced_different = constraints.forced_same, constraints.forced_different
    linkedin, birthday = constraints.linkedin, constraints.birthday
    same_left = np.array([a for a, _ in forced_same], dtype=np.int64)
    same_right = np.array([b for _, b in forced_same], dtype=np.int64)
    accepted = (probability >= merge_threshold) & (pair_conflict == FREE)
    component = _components(n_records, np.concatenate([left[accepted], same_left]),
                            np.concatenate([right[accepted], same_right]))

    dirty = np.zeros(n_records, dtype=bool)  # indexed by component label
    inside = component[left] == component[right]
    dirty[component[left[inside & ((probability < constraints.veto_below) | (pair_conflict == KEEP_APART))]]] = True
    for a, b in forced_different:
        if component[a] == component[b]:
            dirty[component[a]] = True
    frame = pd.DataFrame({"component": component, "linkedin": linkedin,
                          "birthday": np.where([len(value) == 10 for value in birthday], birthday, "")})
    for column, applies in (("linkedin", True), ("birthday", constraints.check_birthdays)):
        if applies:
            distinct = frame[frame[column] != ""].groupby("component")[column].nunique()
            dirty[distinct.index[distinct.to_numpy() > 1].to_numpy()] = True

    in_dirty = dirty[component[left]] & inside
    greedy_labels, greedy_refused = _greedy_clusters(
        n_records, left[in_dirty], right[in_dirty], probability[in_dirty], pair_conflict[in_dirty], merge_threshold,
        replace(constraints, forced_same=[(a, b) for a, b in forced_same if dirty[component[a]]]),
    )
    labels = np.where(dirty[component], greedy_labels, component)

    link_probability = np.zeros(n_records)
    joined = accepted & (labels[left] == labels[right])
    np.maximum.at(link_probability, left[joined], probability[joined])
    np.maximum.at(link_probability, right[joined], probability[joined])
    link_probability[same_left] = link_probability[same_right] = 1.0
    conflicting = (probability >= merge_threshold) & (pair_conflict != FREE) & (labels[left] != labels[right])
    refused = greedy_refused | set(zip(left[conflicting].tolist(), right[conflicting].tolist()))
    return Clustering(labels=labels, link_probability=link_probability, refused=refused)
