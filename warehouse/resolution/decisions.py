"""The owner's answers (decisions.csv rows) checked against today's records before they apply.

An answer names two records by key and says what they were when it was given (`left_about`,
`right_about`: name, emails, phones). It applies only while its keys still name those records:
a key that now names someone else (a card re-keyed, an export reshuffled) would otherwise merge
strangers without a word. Rows that cannot apply become quarantine rows naming the line and why,
and the pair goes back to the review queue.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from connectors.normalize import fold_text

from .features import as_list, clean_text

ABOUT_SEPARATOR = " | "
LIST_SEPARATOR = ", "
VERDICTS = ("same", "different")
PROBLEM_COLUMNS = ["source_file", "location", "reason", "scope"]


@dataclass
class Answers:
    """Usable answers as record positions, and what could not be used."""

    same: list[tuple[int, int]] = field(default_factory=list)
    different: list[tuple[int, int]] = field(default_factory=list)
    decided: set[frozenset[int]] = field(default_factory=set)
    to_ask_again: list[tuple[int, int]] = field(default_factory=list)  # drifted answers, back in review
    problems: list[dict] = field(default_factory=list)  # quarantine rows

    def problem_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.problems, columns=PROBLEM_COLUMNS).astype("string")


def describe(name: str, emails, phones) -> str:
    """What a decision stores about a record: "name | emails | phones"."""
    return ABOUT_SEPARATOR.join([clean_text(name), LIST_SEPARATOR.join(as_list(emails)), LIST_SEPARATOR.join(as_list(phones))])


def record_descriptions(records: pd.DataFrame) -> list[str]:
    names = records["full_name"].tolist() if "full_name" in records else [None] * len(records)
    given = records["given_name"].tolist() if "given_name" in records else [None] * len(records)
    family = records["family_name"].tolist() if "family_name" in records else [None] * len(records)
    emails = records["emails"].tolist() if "emails" in records else [[]] * len(records)
    phones = records["phones"].tolist() if "phones" in records else [[]] * len(records)
    return [describe(clean_text(full) or f"{clean_text(first)} {clean_text(last)}".strip(), mail, phone)
            for full, first, last, mail, phone in zip(names, given, family, emails, phones)]


def _parts(about: str) -> tuple[str, set[str]]:
    """Folded name and the identifiers (lower-case emails, phone digits) of a description."""
    name, _, rest = about.partition(ABOUT_SEPARATOR)
    emails, _, phones = rest.partition(ABOUT_SEPARATOR)
    identifiers = {email.strip().lower() for email in emails.split(LIST_SEPARATOR) if email.strip()}
    identifiers |= {digits for digits in ("".join(ch for ch in phone if ch.isdigit()) for phone in phones.split(LIST_SEPARATOR))
                    if len(digits) >= 6}
    return " ".join(fold_text(name).split()), identifiers


def still_describes(stored: str, current: str) -> bool:
    """Whether a key's record today is the one the answer was about: the same name, or one of
    the same identifiers (a card that changed its name kept its address, or the reverse)."""
    stored_name, stored_ids = _parts(stored)
    current_name, current_ids = _parts(current)
    return bool((stored_name and stored_name == current_name) or (stored_ids & current_ids))


def check_answers(decisions: pd.DataFrame | None, keys: list[str], descriptions: list[str]) -> Answers:
    """Each row of `decisions` (left_key, right_key, decision, left_about, right_about,
    source_file, location; file order) applied or quarantined. The later of two answers on one
    pair wins; an earlier one that repeats or contradicts it is reported, not applied."""
    answers = Answers()
    if decisions is None or decisions.empty:
        return answers
    position = {key: index for index, key in enumerate(keys)}
    rows = decisions.to_dict("records")
    last_for_pair: dict[frozenset[str], int] = {}
    for number, row in enumerate(rows):
        last_for_pair[frozenset((clean_text(row.get("left_key")), clean_text(row.get("right_key"))))] = number

    def problem(row: dict, reason: str) -> None:
        answers.problems.append({"source_file": clean_text(row.get("source_file")) or "decisions.csv",
                                 "location": clean_text(row.get("location")) or "row ?", "reason": reason,
                                 "scope": "item"})

    for number, row in enumerate(rows):
        left, right = clean_text(row.get("left_key")), clean_text(row.get("right_key"))
        verdict = clean_text(row.get("decision")).lower()
        pair = frozenset((left, right))
        if verdict not in VERDICTS:
            problem(row, "decision is neither 'same' nor 'different'")
            continue
        if left == right:
            problem(row, "left_key and right_key are the same record: nothing to decide")
            continue
        if last_for_pair[pair] != number:
            later = rows[last_for_pair[pair]]
            relation = ("repeats" if clean_text(later.get("decision")).lower() == verdict else "is contradicted by")
            problem(row, f"this answer {relation} a later answer on the same pair "
                         f"({clean_text(later.get('location')) or 'further down'}), which is the one applied")
            continue
        unknown = [side for side, key in (("left_key", left), ("right_key", right)) if key not in position]
        if unknown:
            problem(row, f"{' and '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a record of this inbox "
                         "(the export that held it is gone or was re-keyed); the answer waits until it is back")
            continue
        drifted = [side for side, key, about in (("left_key", left, row.get("left_about")),
                                                  ("right_key", right, row.get("right_about")))
                   if clean_text(about) and not still_describes(clean_text(about), descriptions[position[key]])]
        a, b = position[left], position[right]
        if drifted:
            problem(row, f"{' and '.join(drifted)} now name{'s' if len(drifted) == 1 else ''} a different record "
                         "(name and identifiers changed since the answer): not applied; the pair is back in match_review")
            answers.to_ask_again.append((a, b))
            continue
        answers.decided.add(frozenset((a, b)))
        (answers.same if verdict == "same" else answers.different).append((a, b))
    return answers
