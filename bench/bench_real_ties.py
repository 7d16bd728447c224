"""Tie strength on real behaviour: the Copenhagen Networks Study, one inbox per student, against Facebook friendship.

Usage:
    .venv/bin/python bench/bench_real_ties.py                     # every student, product and single-signal rankers
    .venv/bin/python bench/bench_real_ties.py --students 10       # the first ten students only (a quick look)
    .venv/bin/python bench/bench_real_ties.py --fit               # also fit weights offline from the features
    .venv/bin/python bench/bench_real_ties.py --json out.json

The study (../shared/datasets/copenhagen, Sapiezynski et al. 2019) logged 28 days of texts and
calls among about 700 students, and which of them are Facebook friends. For every student with
at least MIN_CONTACTS people texted or called, one inbox is built as a person would drop their
own exports in, and the real product runs on it (`python -m pipelines.run` with the inbox,
warehouse, DAGSTER_HOME and STRONGTIES_AS_OF set). Each student's contacts are then ranked by
`tie_strength.score` and by single signals computed from the same log, and every ranking is
judged against friendship: NDCG@10, precision at 5 and AUC, averaged over students, with
bootstrap intervals over students.

Choices written down (each is a judgement; change one and the figures may move):
  - Contacts: everyone the student texted or called, or who texted or called them, in either
    direction (the same set as issue 17's 99 students). A student none of whose contacts is a
    friend is left out and counted: no ranking can be judged there.
  - Texts become a LinkedIn `messages.csv`: one row per text, one conversation per pair,
    written by whoever sent it. Answered calls (duration > 0) become 1:1 meetings in an .ics,
    organised by the caller, lasting the call; unanswered calls leave no trace in the inbox
    (no export records a call nobody picked up), so the rankers below count answered calls too.
  - `Connections.csv` lists every contact, Connected On the day of the first text or call
    between them (the earliest sign we have that they know each other), and a vCard per contact
    ties the email the calendar uses to the profile URL the messages use.
  - Study second 0 is STUDY_START at midnight UTC; the as-of date is the day after the last
    day of the study, so nothing is in the future.
  - A contact the product does not rank (no interaction it can see) scores below everyone.
  - Ties in a ranking are scored as the expected value over every order of the tied people
    (McSherry and Najork 2008), so a ranker gains nothing from an arbitrary tie-break.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO_ROOT, machine_description, run_pipeline, write_json  # noqa: E402

DATASET_DIR = REPO_ROOT.parent / "shared" / "datasets" / "copenhagen"
# Per-student inboxes and warehouses are cached here, outside the repository (99 warehouses).
CACHE_ROOT = Path(os.environ.get("STRONGTIES_REAL_TIES_CACHE") or "/tmp/strongties-real-ties")
# The study began in early 2013 (Stopczynski et al. 2014); the exact day is not published
# with the data, and nothing below depends on the weekday, so a Monday is chosen.
STUDY_START = datetime(2013, 2, 4, tzinfo=timezone.utc)
STUDY_DAYS = 28
AS_OF = (STUDY_START + timedelta(days=STUDY_DAYS)).date().isoformat()
# Issue 17: "99 students with five or more contacts"; fewer contacts make a ranking of a handful.
MIN_CONTACTS = 5
NDCG_DEPTH = 10
PRECISION_DEPTH = 5
# 2,000 resamples put the percentile interval's ends within about 0.002 of their limit here.
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 17
INTERVAL = 0.95
# Niceness of the product runs: the machine is shared, the benchmark is not in a hurry.
RUN_NICENESS = 10
OWNER_DOMAIN = "students.example.org"
LINKEDIN_PREFIX = "https://www.linkedin.com/in/"
# Names are made from these so every student has a distinct, ordinary-looking name: ids
# rendered as "Student 17" would look alike to name matching and tempt it to merge.
GIVEN_NAMES = ("Anne", "Bjorn", "Camilla", "Dorte", "Emil", "Frida", "Gustav", "Hanne", "Ida", "Jens",
               "Karen", "Lars", "Mette", "Niels", "Oskar", "Pernille", "Rasmus", "Sofie", "Thomas",
               "Ulla", "Viggo", "Astrid", "Magnus", "Liv", "Johan", "Signe")
FAMILY_NAMES = ("Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sorensen",
                "Rasmussen", "Jorgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen",
                "Christiansen", "Poulsen", "Johansen", "Moller", "Mortensen", "Knudsen", "Jakobsen",
                "Lauridsen", "Holm", "Kjaer", "Dahl", "Bech", "Lund", "Berg", "Friis", "Skov", "Vinther")

# The single-signal rankers, each a count over the student's own log with one contact.
SIGNALS = ("texts", "calls", "call_seconds", "all_contacts", "contact_days")


# --- The log ------------------------------------------------------------------------------

@dataclass
class Log:
    texts: list[tuple[int, int, int]]  # (second, sender, receiver)
    calls: list[tuple[int, int, int, int]]  # (second, caller, callee, duration seconds; <= 0 unanswered)
    friends: set[tuple[int, int]]  # both orders of every friendship


def read_log(folder: Path = DATASET_DIR) -> Log:
    def rows(name: str) -> list[dict]:
        with (folder / name).open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    texts = [(int(row["timestamp"]), int(row["from"]), int(row["to"])) for row in rows("sms.csv")]
    calls = [(int(row["timestamp"]), int(row["from"]), int(row["to"]), int(row["duration"]))
             for row in rows("calls.csv")]
    friends = set()
    for row in rows("fb_friends.csv"):
        a, b = int(row["user_a"]), int(row["user_b"])
        friends |= {(a, b), (b, a)}
    return Log(texts, calls, friends)


def contacts_of(log: Log) -> dict[int, set[int]]:
    """Everyone each student texted or called, or was texted or called by (unanswered calls included)."""
    found: dict[int, set[int]] = defaultdict(set)
    for _, sender, receiver in log.texts:
        found[sender].add(receiver)
        found[receiver].add(sender)
    for _, caller, callee, _ in log.calls:
        found[caller].add(callee)
        found[callee].add(caller)
    return found


def select_students(log: Log) -> tuple[list[int], list[int]]:
    """Students with at least MIN_CONTACTS contacts, and those of them left out for having no friend among them."""
    contacts = contacts_of(log)
    enough = sorted(student for student, people in contacts.items() if len(people) >= MIN_CONTACTS)
    kept = [student for student in enough if any((student, other) in log.friends for other in contacts[student])]
    return kept, [student for student in enough if student not in kept]


@dataclass
class Signals:
    texts: int = 0
    calls: int = 0
    call_seconds: int = 0
    days: set[int] = field(default_factory=set)

    @property
    def all_contacts(self) -> int:
        return self.texts + self.calls

    @property
    def contact_days(self) -> int:
        return len(self.days)

    def value(self, name: str) -> float:
        return float(getattr(self, name))


def signals_of(log: Log, student: int) -> dict[int, Signals]:
    """Per contact of one student: texts, answered calls, call seconds and days with either."""
    found: dict[int, Signals] = defaultdict(Signals)
    for second, sender, receiver in log.texts:
        if student in (sender, receiver):
            other = receiver if sender == student else sender
            found[other].texts += 1
            found[other].days.add(second // 86400)
    for second, caller, callee, duration in log.calls:
        if student in (caller, callee):
            other = callee if caller == student else caller
            found[other]  # a contact, even if no call was answered
            if duration > 0:
                found[other].calls += 1
                found[other].call_seconds += duration
                found[other].days.add(second // 86400)
    return found


# --- One inbox per student --------------------------------------------------------------

def name_of(student: int) -> tuple[str, str]:
    return GIVEN_NAMES[student % len(GIVEN_NAMES)], FAMILY_NAMES[(student // len(GIVEN_NAMES)) % len(FAMILY_NAMES)]


def email_of(student: int) -> str:
    return f"student{student}@{OWNER_DOMAIN}"


def profile_of(student: int) -> str:
    return f"{LINKEDIN_PREFIX}student-{student}"


def moment(second: int) -> datetime:
    return STUDY_START + timedelta(seconds=second)


def build_inbox(log: Log, student: int, inbox: Path) -> dict:
    """Writes owner.yaml, a LinkedIn folder (Connections.csv, messages.csv), contacts.vcf and calls.ics."""
    inbox.mkdir(parents=True, exist_ok=True)
    contacts = sorted(contacts_of(log)[student])
    given, family = name_of(student)
    owner_name = f"{given} {family}"
    (inbox / "owner.yaml").write_text(
        f"name: {owner_name}\nemails: [{email_of(student)}]\nlinkedin: {profile_of(student)}\n", encoding="utf-8")

    first_day: dict[int, int] = {}
    for second, sender, receiver in log.texts:
        if student in (sender, receiver):
            other = receiver if sender == student else sender
            first_day[other] = min(first_day.get(other, second), second)
    for second, caller, callee, _ in log.calls:
        if student in (caller, callee):
            other = callee if caller == student else caller
            first_day[other] = min(first_day.get(other, second), second)

    linkedin = inbox / "linkedin"
    linkedin.mkdir(exist_ok=True)
    with (linkedin / "Connections.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"])
        for other in contacts:
            other_given, other_family = name_of(other)
            connected = moment(first_day[other]).date()
            writer.writerow([other_given, other_family, profile_of(other), email_of(other), "", "",
                             f"{connected.day:02d} {connected:%b} {connected.year}"])

    texts = 0
    with (linkedin / "messages.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["CONVERSATION ID", "CONVERSATION TITLE", "FROM", "SENDER PROFILE URL", "TO",
                         "RECIPIENT PROFILE URLS", "DATE", "SUBJECT", "CONTENT", "FOLDER", "IS MESSAGE DRAFT",
                         "IS CONVERSATION DRAFT"])
        for second, sender, receiver in sorted(log.texts, reverse=True):  # newest first, as LinkedIn lists them
            if student not in (sender, receiver):
                continue
            other = receiver if sender == student else sender
            conversation = f"2-{min(student, other)}-{max(student, other)}"
            writer.writerow([conversation, "", " ".join(name_of(sender)), profile_of(sender), " ".join(name_of(receiver)),
                             profile_of(receiver), f"{moment(second):%Y-%m-%d %H:%M:%S} UTC", "", "", "INBOX", "No", "No"])
            texts += 1

    with (inbox / "contacts.vcf").open("w", newline="", encoding="utf-8") as handle:
        for other in contacts:
            other_given, other_family = name_of(other)
            handle.write("\r\n".join([
                "BEGIN:VCARD", "VERSION:3.0", f"N:{other_family};{other_given};;;", f"FN:{other_given} {other_family}",
                f"EMAIL;TYPE=INTERNET:{email_of(other)}", f"URL:{profile_of(other)}", f"UID:student-{other}",
                "END:VCARD", ""]))

    calls = 0
    stamp = f"{STUDY_START:%Y%m%dT%H%M%SZ}"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//strongties bench//Copenhagen calls//EN"]
    for index, (second, caller, callee, duration) in enumerate(log.calls):
        if student not in (caller, callee) or duration <= 0:
            continue
        start = moment(second)
        lines += [
            "BEGIN:VEVENT", f"UID:call-{index}@{OWNER_DOMAIN}", f"DTSTAMP:{stamp}",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}", f"DTEND:{start + timedelta(seconds=duration):%Y%m%dT%H%M%SZ}",
            "SUMMARY:Call", f"ORGANIZER;CN={' '.join(name_of(caller))}:mailto:{email_of(caller)}",
            f"ATTENDEE;CN={' '.join(name_of(caller))};PARTSTAT=ACCEPTED:mailto:{email_of(caller)}",
            f"ATTENDEE;CN={' '.join(name_of(callee))};PARTSTAT=ACCEPTED:mailto:{email_of(callee)}",
            "STATUS:CONFIRMED", "END:VEVENT",
        ]
        calls += 1
    lines.append("END:VCALENDAR")
    (inbox / "calls.ics").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return {"contacts": len(contacts), "texts": texts, "answered_calls": calls}


# --- Metrics, with ties scored as the expected value over their orders -------------------

def tie_groups(scores: list[float]) -> list[list[int]]:
    """Indices grouped by equal score, best group first."""
    groups: dict[float, list[int]] = defaultdict(list)
    for index, score in enumerate(scores):
        groups[score].append(index)
    return [groups[score] for score in sorted(groups, reverse=True)]


def expected_gains(scores: list[float], relevant: list[bool]) -> list[float]:
    """Expected relevance at each rank when tied people are shuffled: the mean of their group."""
    gains: list[float] = []
    for group in tie_groups(scores):
        mean = sum(relevant[index] for index in group) / len(group)
        gains += [mean] * len(group)
    return gains


def ndcg_at(scores: list[float], relevant: list[bool], depth: int = NDCG_DEPTH) -> float:
    """Binary-relevance NDCG over the first `depth` ranks; 1 is every friend ranked first."""
    gains = expected_gains(scores, relevant)
    discounts = [1 / math.log2(rank + 2) for rank in range(min(depth, len(gains)))]
    found = sum(gain * discount for gain, discount in zip(gains, discounts))
    best = sum(discounts[: sum(relevant)])
    return found / best if best else float("nan")


def precision_at(scores: list[float], relevant: list[bool], depth: int = PRECISION_DEPTH) -> float:
    gains = expected_gains(scores, relevant)[:depth]
    return sum(gains) / len(gains) if gains else float("nan")


def auc(scores: list[float], relevant: list[bool]) -> float:
    """Probability that a random friend outscores a random non-friend (ties count half); nan without both."""
    friends = [score for score, is_friend in zip(scores, relevant) if is_friend]
    others = [score for score, is_friend in zip(scores, relevant) if not is_friend]
    if not friends or not others:
        return float("nan")
    wins = sum((f > o) + 0.5 * (f == o) for f in friends for o in others)
    return wins / (len(friends) * len(others))


METRICS = {"ndcg@10": ndcg_at, "p@5": precision_at, "auc": auc}


def mean(values: list[float]) -> float:
    kept = [value for value in values if not math.isnan(value)]
    return sum(kept) / len(kept) if kept else float("nan")


def bootstrap_interval(values: list[float], resamples: int = BOOTSTRAP_RESAMPLES,
                       seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """Percentile interval of the mean over students resampled with replacement (nan values left out)."""
    kept = [value for value in values if not math.isnan(value)]
    if not kept:
        return float("nan"), float("nan")
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(kept, k=len(kept))) / len(kept) for _ in range(resamples))
    tail = (1 - INTERVAL) / 2
    return means[int(tail * resamples)], means[min(resamples - 1, int((1 - tail) * resamples))]


def paired_difference(first: list[float], second: list[float]) -> dict:
    """Mean of first minus second over students where both are defined, with its bootstrap interval."""
    differences = [a - b for a, b in zip(first, second) if not (math.isnan(a) or math.isnan(b))]
    low, high = bootstrap_interval(differences)
    return {"mean": round(mean(differences), 4), "low": round(low, 4), "high": round(high, 4),
            "beyond_noise": bool(low > 0 or high < 0)}


def summarise(per_student: dict[str, dict[str, list[float]]]) -> dict:
    """ranker -> metric -> mean and interval over students."""
    summary = {}
    for ranker, metrics in per_student.items():
        summary[ranker] = {}
        for metric, values in metrics.items():
            low, high = bootstrap_interval(values)
            summary[ranker][metric] = {"mean": round(mean(values), 4), "low": round(low, 4), "high": round(high, 4),
                                       "students": sum(not math.isnan(value) for value in values)}
    return summary


# --- Product runs ---------------------------------------------------------------------------

def product_scores(warehouse: Path) -> dict[int, dict]:
    """Student id -> the tie_strength row of the person whose LinkedIn record is that student."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        frame = connection.execute("""
            SELECT r.source_key, t.*
            FROM source_record AS r JOIN tie_strength AS t USING (person_id)
            WHERE r.source = 'linkedin'
        """).fetch_df()
    found = {}
    for row in frame.to_dict("records"):
        key = str(row.pop("source_key"))
        if key.startswith(LINKEDIN_PREFIX + "student-"):
            found[int(key.rsplit("-", 1)[1])] = row
    return found


def run_student(log: Log, student: int, label: str, reuse: bool) -> dict:
    """Builds the student's inbox once and runs the product on it; reuses a finished warehouse when asked."""
    folder = CACHE_ROOT / f"student-{student}"
    inbox = folder / "inbox"
    if not (inbox / "owner.yaml").exists():
        build_inbox(log, student, inbox)
    workdir = folder / label
    warehouse = workdir / "warehouse" / "strongties.duckdb"
    done = workdir / "done.json"
    if reuse and done.exists() and warehouse.exists():
        return json.loads(done.read_text())
    run = run_pipeline(inbox, workdir, as_of=AS_OF, fresh=True, label="real-ties")
    entry = {"student": student, "returncode": run["returncode"], "wall_s": run["wall_s"],
             "warehouse": run["warehouse"]}
    if run["returncode"] != 0:
        entry["error_tail"] = run.get("error_tail", "")[-600:]
    else:
        done.write_text(json.dumps(entry))
    return entry


def rankings(log: Log, student: int, product: dict[int, dict] | None) -> tuple[list[bool], dict[str, list[float]]]:
    """Friendship of each contact and every ranker's scores, in one order of contacts."""
    signals = signals_of(log, student)
    contacts = sorted(contacts_of(log)[student])
    relevant = [(student, other) in log.friends for other in contacts]
    scores = {name: [signals[other].value(name) if other in signals else 0.0 for other in contacts]
              for name in SIGNALS}
    if product is not None:
        # A contact the product could not see at all ranks below every scored one.
        scores["product"] = [float(product[other]["score"]) if other in product else -1.0 for other in contacts]
    return relevant, scores


def evaluate(log: Log, students: list[int], products: dict[int, dict[int, dict] | None]) -> dict:
    per_student: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for student in students:
        relevant, scores = rankings(log, student, products.get(student))
        for ranker, values in scores.items():
            for metric, function in METRICS.items():
                per_student[ranker][metric].append(function(values, relevant))
    summary = summarise(per_student)
    comparison = {}
    if "product" in per_student:
        for metric in METRICS:
            best = max(SIGNALS, key=lambda name: summary[name][metric]["mean"])
            comparison[metric] = {"best_single_signal": best, "product_minus_best": paired_difference(
                per_student["product"][metric], per_student[best][metric])}
    return {"summary": summary, "comparison": comparison,
            "per_student": {ranker: {metric: [round(value, 4) for value in values]
                                     for metric, values in metrics.items()}
                            for ranker, metrics in per_student.items()}}


def run(limit: int | None = None, label: str = "product", reuse: bool = True) -> dict:
    if not DATASET_DIR.is_dir():
        return {"skipped": f"{DATASET_DIR} not found"}
    log = read_log()
    students, no_friend = select_students(log)
    students = students[:limit] if limit else students
    entries, products = [], {}
    started = time.perf_counter()
    for number, student in enumerate(students, 1):
        entry = run_student(log, student, label, reuse)
        entries.append(entry)
        products[student] = product_scores(Path(entry["warehouse"])) if entry["returncode"] == 0 else None
        if number % 10 == 0 or entry["returncode"] != 0:
            print(f"[real-ties] {number}/{len(students)} students, {time.perf_counter() - started:.0f} s"
                  + (f"; student {student} FAILED" if entry["returncode"] != 0 else ""), flush=True)
    failed = [entry for entry in entries if entry["returncode"] != 0]
    scored = [student for student in students if products[student] is not None]
    if not scored:
        return {"error": f"every run failed ({len(failed)} students)",
                "failed_runs": [{"student": entry["student"], "error_tail": entry.get("error_tail", "")} for entry in failed]}
    result = evaluate(log, scored, products)
    result.update({
        "machine": machine_description(), "as_of": AS_OF, "label": label,
        "students": len(scored), "left_out_no_friend": len(no_friend),
        "failed_runs": [{"student": entry["student"], "error_tail": entry.get("error_tail", "")} for entry in failed],
        "median_run_wall_s": sorted(entry["wall_s"] for entry in entries)[len(entries) // 2] if entries else None,
    })
    return result


# --- Weights from data: fitted offline on the features the product computes -----------------

# The features of tie_strength, in the order weights are written in warehouse/config.py.
FEATURES = ("recency", "frequency", "volume", "time_together", "reciprocity", "longevity", "multiplexity",
            "shared_context", "intensity", "their_initiative")
MODELS_FOLDER = REPO_ROOT / "warehouse" / "sql"
TIE_STRENGTH_SQL = MODELS_FOLDER / "marts" / "tie_strength.sql"
FOLDS = 5
# Temperatures tried for the pairwise logistic loss: weights sum to one, so the score's
# differences are small and the loss needs a scale; the best of these is kept per fit.
TEMPERATURES = (5.0, 20.0, 50.0, 200.0, 1000.0)
FIT_STEPS = 400
FIT_STEP_SIZE = 0.05
# Shipped weights are rounded to this, so each can be stated and argued in docs/scoring.md.
WEIGHT_GRANULARITY = 0.05
# In a generated inbox, the people ranked this high by the shipped weights are the ones a new
# weighting must order right to keep top-20 precision (three times the 20 judged).
GENERATED_CONTENDERS = 60


def rescored(warehouse: Path, variables: dict, sql: str | None = None) -> "pandas.DataFrame":  # noqa: F821
    """This checkout's tie_strength model (or `sql`), run again on a finished run's `interaction` and `person`:
    what the product would have published from the same inbox with those settings.

    tie_strength reads its features from int_tie_features (and its trend from int_tie_trends, which
    reads int_tie_history), which only the run's working file holds; all three are computed here
    again under these settings, as CTEs of the same names, so that nothing is read from the run's
    own copies."""
    import duckdb

    from assets.resource import working_path_for

    features, history, trends = (MODELS_FOLDER / "intermediate" / f"{name}.sql"
                                 for name in ("int_tie_features", "int_tie_history", "int_tie_trends"))
    with duckdb.connect(str(working_path_for(warehouse)), read_only=True) as connection:
        for name, value in variables.items():
            connection.execute(f"SET VARIABLE {name} = ?", [value])
        return connection.execute(
            f"WITH int_tie_features AS ({features.read_text()}), int_tie_history AS ({history.read_text()}), "
            f"int_tie_trends AS ({trends.read_text()}), "
            f"rescored AS ({sql or TIE_STRENGTH_SQL.read_text()}) "
            "SELECT r.source, r.source_key, t.* FROM rescored AS t "
            "LEFT JOIN source_record AS r USING (person_id)").fetch_df()


def student_features(warehouse: Path, variables: dict) -> dict[int, list[float]]:
    frame = rescored(warehouse, variables)
    frame = frame[frame["source"] == "linkedin"]
    found = {}
    for row in frame.to_dict("records"):
        if str(row["source_key"]).startswith(LINKEDIN_PREFIX + "student-"):
            found[int(str(row["source_key"]).rsplit("-", 1)[1])] = [float(row[name]) for name in FEATURES]
    return found


def project_to_simplex(weights):
    """Nearest non-negative weights summing to one (Duchi et al. 2008)."""
    import numpy as np

    ordered = np.sort(weights)[::-1]
    cumulative = np.cumsum(ordered) - 1
    steps = np.arange(1, len(weights) + 1)
    last = steps[ordered - cumulative / steps > 0][-1]
    return np.maximum(weights - cumulative[last - 1] / last, 0)


def pair_differences(groups: list[tuple[list[list[float]], list[bool]]]):
    """Feature differences of every (relevant, other) pair within each group, each group weighing one."""
    import numpy as np

    differences, weights = [], []
    for features, relevant in groups:
        matrix = np.asarray(features, dtype=float)
        positive, negative = matrix[np.asarray(relevant)], matrix[~np.asarray(relevant)]
        if len(positive) == 0 or len(negative) == 0:
            continue
        pairs = (positive[:, None, :] - negative[None, :, :]).reshape(-1, matrix.shape[1])
        differences.append(pairs)
        weights.append(np.full(len(pairs), 1 / len(pairs)))
    if not differences:
        return np.zeros((0, len(FEATURES))), np.zeros(0)
    return np.vstack(differences), np.concatenate(weights)


def fit_weights(groups: list[tuple[list[list[float]], list[bool]]], extra=None, extra_share: float = 0.0) -> list[float]:
    """Non-negative weights summing to one that minimise a pairwise logistic loss (RankNet-style):
    every friend should outscore every non-friend of the same student. `extra` adds the pairs of
    another data set (the generated inboxes) with `extra_share` of the loss."""
    import numpy as np

    differences, pair_weight = pair_differences(groups)
    pair_weight = pair_weight / pair_weight.sum()
    if extra is not None and extra_share > 0:
        extra_differences, extra_weight = pair_differences(extra)
        differences = np.vstack([differences, extra_differences])
        pair_weight = np.concatenate([(1 - extra_share) * pair_weight, extra_share * extra_weight / extra_weight.sum()])
    best, best_ordered = None, -1.0
    for temperature in TEMPERATURES:
        weights = np.full(differences.shape[1], 1 / differences.shape[1])
        for _ in range(FIT_STEPS):
            margins = temperature * differences @ weights
            slopes = -temperature / (1 + np.exp(margins))
            weights = project_to_simplex(weights - FIT_STEP_SIZE * (pair_weight * slopes) @ differences)
        # Losses at different temperatures are not comparable; the share of pairs ordered right is.
        ordered = float(pair_weight @ (differences @ weights > 0))
        if best is None or ordered > best_ordered:
            best, best_ordered = weights, ordered
    return [float(value) for value in best]


def rounded_weights(weights: list[float]) -> list[float]:
    """To WEIGHT_GRANULARITY, still summing to one (largest remainders rounded up)."""
    units = round(1 / WEIGHT_GRANULARITY)
    scaled = [weight * units for weight in weights]
    floors = [math.floor(value) for value in scaled]
    for index in sorted(range(len(scaled)), key=lambda i: floors[i] - scaled[i])[: units - sum(floors)]:
        floors[index] += 1
    return [round(value / units, 4) for value in floors]


def scored_groups(log: Log, students: list[int], features: dict[int, dict[int, list[float]]]):
    """Per student: the feature rows of their contacts (zeros where the product saw nothing), friendship, ids."""
    groups = []
    for student in students:
        contacts = sorted(contacts_of(log)[student])
        rows = [features[student].get(other, [0.0] * len(FEATURES)) for other in contacts]
        groups.append((rows, [(student, other) in log.friends for other in contacts],
                       [other in features[student] for other in contacts]))
    return groups


def weighted_scores(rows: list[list[float]], seen: list[bool], weights: list[float]) -> list[float]:
    return [sum(w * x for w, x in zip(weights, row)) if visible else -1.0 for row, visible in zip(rows, seen)]


def _rescored_against_truth(warehouse: Path, truth_path: Path, variables: dict):
    """A generated inbox's people rescored with `variables`, each person_id's true person, and
    the true people who are strongest ties (not dormant)."""
    import bench_ranking
    from common import is_true, read_truth

    truth = read_truth(truth_path)
    strongest = {row["true_person"] for row in truth
                 if row["tier"] in bench_ranking.STRONGEST_TIERS and not is_true(row["dormant"])}
    mapping = bench_ranking.true_person_of(warehouse, truth)
    return rescored(warehouse, variables).drop_duplicates("person_id"), mapping, strongest


def generated_top20(warehouses: list[tuple[Path, Path]], variables: dict, weights: list[float]) -> list[float]:
    """Top-20 precision of these weights on generated inboxes (bench_ranking's measure), from their warehouses."""
    import bench_ranking

    found = []
    for warehouse, truth_path in warehouses:
        frame, mapping, strongest = _rescored_against_truth(warehouse, truth_path, variables)
        frame["fitted"] = sum(weight * frame[name] for weight, name in zip(weights, FEATURES))
        top = frame.sort_values(["fitted", "person_id"], ascending=[False, True]).head(bench_ranking.TOP_N)
        found.append(sum(mapping.get(person) in strongest for person in top["person_id"]) / bench_ranking.TOP_N)
    return found


def generated_groups(warehouses: list[tuple[Path, Path]], variables: dict):
    """Feature rows and 'strongest tie' labels of every person in the generated inboxes, one group per inbox."""
    groups = []
    for warehouse, truth_path in warehouses:
        frame, mapping, strongest = _rescored_against_truth(warehouse, truth_path, variables)
        # Top-20 precision is decided near the top: the strongest ties against the people the
        # shipped score ranks close to them, not against thousands of acquaintances.
        frame = frame[frame["rank"] <= GENERATED_CONTENDERS]
        groups.append(([[float(row[name]) for name in FEATURES] for row in frame.to_dict("records")],
                       [mapping.get(person) in strongest for person in frame["person_id"]]))
    return groups


def fit(label: str, ranking_runs: Path | None, extra_share: float) -> dict:
    """Cross-validated weights from the cached warehouses of `label` (no pipeline runs)."""
    from warehouse.config import ScoringConfig, sql_variables

    log = read_log()
    students, _ = select_students(log)
    variables = sql_variables(ScoringConfig(), AS_OF)
    features = {}
    for student in students:
        warehouse = CACHE_ROOT / f"student-{student}" / label / "warehouse" / "strongties.duckdb"
        if warehouse.exists():
            features[student] = student_features(warehouse, variables)
    students = [student for student in students if student in features]
    groups = scored_groups(log, students, features)
    generated = []
    if ranking_runs:
        for run_folder in sorted(ranking_runs.glob("ranking-*")):
            people, seed = run_folder.name.split("-")[1], run_folder.name.split("-s")[1]
            truth = sorted((ranking_runs.parent).glob(f"truth-{people}-s{seed}-*.csv"))
            if truth:
                generated.append((run_folder / "warehouse" / "strongties.duckdb", truth[-1]))
    # The generated inboxes have their own as-of date.
    generated_variables = sql_variables(ScoringConfig(), "2026-11-20")
    extra = generated_groups(generated, generated_variables) if generated and extra_share > 0 else None

    held_out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    fold_weights = []
    for fold in range(FOLDS):
        training = [group for index, group in enumerate(groups) if index % FOLDS != fold]
        weights = rounded_weights(fit_weights([(rows, relevant) for rows, relevant, _ in training], extra, extra_share))
        fold_weights.append(weights)
        for index, (rows, relevant, seen) in enumerate(groups):
            if index % FOLDS != fold:
                continue
            for metric, function in METRICS.items():
                held_out["fitted (held out)"][metric].append(function(weighted_scores(rows, seen, weights), relevant))
                current = [getattr(ScoringConfig(), "weight_" + name) for name in FEATURES]
                held_out["current weights"][metric].append(function(weighted_scores(rows, seen, current), relevant))
                for name in SIGNALS:
                    signals = signals_of(log, students[index])
                    values = [signals[other].value(name) if other in signals else 0.0
                              for other in sorted(contacts_of(log)[students[index]])]
                    held_out[name][metric].append(function(values, relevant))
    final = rounded_weights(fit_weights([(rows, relevant) for rows, relevant, _ in groups], extra, extra_share))
    summary = summarise(held_out)
    comparison = {}
    for metric in METRICS:
        best = max(SIGNALS, key=lambda name: summary[name][metric]["mean"])
        comparison[metric] = {"best_single_signal": best, "fitted_minus_best": paired_difference(
            held_out["fitted (held out)"][metric], held_out[best][metric])}
    return {"students": len(students), "fold_weights": [dict(zip(FEATURES, weights)) for weights in fold_weights],
            "weights": dict(zip(FEATURES, final)), "summary": summary, "comparison": comparison,
            "generated_top20_final": generated_top20(generated, generated_variables, final) if generated else None,
            "generated_top20_current": generated_top20(
                generated, generated_variables, [getattr(ScoringConfig(), "weight_" + name) for name in FEATURES])
            if generated else None}


def ablation(label: str, ranking_runs: Path | None) -> dict:
    """What each feature buys: the shipped weights, and each feature's weight removed (the rest
    rescaled to sum to one), on the cached warehouses of `label` and of bench_ranking.py."""
    from warehouse.config import ScoringConfig, sql_variables

    log = read_log()
    students = [student for student in select_students(log)[0]
                if (CACHE_ROOT / f"student-{student}" / label / "done.json").exists()]
    variables = sql_variables(ScoringConfig(), AS_OF)
    features = {student: student_features(
        CACHE_ROOT / f"student-{student}" / label / "warehouse" / "strongties.duckdb", variables) for student in students}
    groups = scored_groups(log, students, features)
    generated = []
    for run_folder in sorted(ranking_runs.glob("ranking-*")) if ranking_runs else []:
        people, seed = run_folder.name.split("-")[1], run_folder.name.split("-s")[1]
        truth = sorted(ranking_runs.parent.glob(f"truth-{people}-s{seed}-*.csv"))
        if truth:
            generated.append((run_folder / "warehouse" / "strongties.duckdb", truth[-1]))
    shipped = [getattr(ScoringConfig(), "weight_" + name) for name in FEATURES]
    variants = {"shipped": shipped}
    for index, name in enumerate(FEATURES):
        if shipped[index] > 0:
            rest = sum(shipped) - shipped[index]
            variants[f"without {name}"] = [0.0 if i == index else w / rest for i, w in enumerate(shipped)]
    found = {}
    for variant, weights in variants.items():
        figures = {metric: round(mean([function(weighted_scores(rows, seen, weights), relevant)
                                       for rows, relevant, seen in groups]), 4) for metric, function in METRICS.items()}
        if generated:
            top20 = generated_top20(generated, sql_variables(ScoringConfig(), "2026-11-20"), weights)
            figures["generated_top20_mean"] = round(sum(top20) / len(top20), 3)
        found[variant] = figures
    return {"students": len(students), "variants": found}


# The weights shipped before issue 17, for `--before-sql` (that version's tie_strength.sql).
BEFORE_WEIGHTS = {"weight_recency": 0.20, "weight_frequency": 0.25, "weight_time_together": 0.30,
                  "weight_reciprocity": 0.05, "weight_longevity": 0.10, "weight_multiplexity": 0.05,
                  "weight_shared_context": 0.05}


def before_products(students: list[int], label: str, before_sql: Path) -> dict[int, dict[int, dict]]:
    """The earlier model's tie_strength, re-run on each student's warehouse of `label` (same inbox, same people)."""
    from warehouse.config import ScoringConfig, sql_variables

    variables = {**sql_variables(ScoringConfig(), AS_OF), **BEFORE_WEIGHTS}
    sql = before_sql.read_text()
    found = {}
    for student in students:
        warehouse = CACHE_ROOT / f"student-{student}" / label / "warehouse" / "strongties.duckdb"
        if not warehouse.exists():
            continue
        frame = rescored(warehouse, variables, sql)
        frame = frame[frame["source"] == "linkedin"]
        found[student] = {int(str(row["source_key"]).rsplit("-", 1)[1]): row for row in frame.to_dict("records")
                          if str(row["source_key"]).startswith(LINKEDIN_PREFIX + "student-")}
    return found


def with_before(result: dict, label: str, before_sql: Path) -> dict:
    """Adds the earlier model's figures on the same students, and the product's paired difference from them."""
    log = read_log()
    students = [student for student in select_students(log)[0]
                if (CACHE_ROOT / f"student-{student}" / label / "done.json").exists()]
    before = evaluate(log, students, before_products(students, label, before_sql))
    result["before"] = {"summary": before["summary"]["product"], "product_minus_before": {
        metric: paired_difference(result["per_student"]["product"][metric], before["per_student"]["product"][metric])
        for metric in METRICS}}
    return result


def format_summary(result: dict) -> str:
    if "skipped" in result:
        return f"skipped: {result['skipped']}"
    if "error" in result:
        return f"failed: {result['error']}"
    lines = [f"{result['students']} students ({result['left_out_no_friend']} left out: no friend among contacts; "
             f"{len(result['failed_runs'])} failed runs)"]
    for ranker, metrics in result["summary"].items():
        lines.append(f"  {ranker:>13}: " + ", ".join(
            f"{metric} {value['mean']:.3f} [{value['low']:.3f}, {value['high']:.3f}]" for metric, value in metrics.items()))
    if "before" in result:
        lines.append("  before (earlier model, same warehouses): " + ", ".join(
            f"{metric} {value['mean']:.3f} [{value['low']:.3f}, {value['high']:.3f}]"
            for metric, value in result["before"]["summary"].items()))
    for metric, comparison in result["comparison"].items():
        difference = comparison["product_minus_best"]
        lines.append(f"  product - {comparison['best_single_signal']} on {metric}: {difference['mean']:+.4f} "
                     f"[{difference['low']:+.4f}, {difference['high']:+.4f}]"
                     + (" beyond noise" if difference["beyond_noise"] else " within noise"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, help="only the first N students (by id)")
    parser.add_argument("--label", default="product", help="name of this run's cached warehouses")
    parser.add_argument("--fresh", action="store_true", help="run the product again even where a warehouse is cached")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--fit", action="store_true",
                        help="run nothing: fit weights, cross-validated, on the cached warehouses of --label")
    parser.add_argument("--ranking-runs", type=Path,
                        help="with --fit: bench/.cache/runs of bench_ranking.py, to check (and guard) on generated inboxes")
    parser.add_argument("--ablation", action="store_true",
                        help="run nothing: the shipped weights with each feature left out, on cached warehouses")
    parser.add_argument("--before-sql", type=Path,
                        help="an earlier tie_strength.sql, re-run with BEFORE_WEIGHTS on the same warehouses")
    parser.add_argument("--generated-share", type=float, default=0.0,
                        help="with --fit: share of the loss given to the generated inboxes' pairs")
    args = parser.parse_args(argv)
    os.nice(RUN_NICENESS)
    if args.ablation:
        result = ablation(args.label, args.ranking_runs)
        for variant, figures in result["variants"].items():
            print(f"  {variant:>24}: {figures}")
        write_json(args.json, result)
        return 0
    if args.fit:
        result = fit(args.label, args.ranking_runs, args.generated_share)
        print(json.dumps({key: value for key, value in result.items() if key != "summary"}, indent=1))
        for ranker, metrics in result["summary"].items():
            print(f"  {ranker:>17}: " + ", ".join(f"{metric} {value['mean']:.3f} [{value['low']:.3f}, {value['high']:.3f}]"
                                                for metric, value in metrics.items()))
        write_json(args.json, result)
        return 0
    result = run(args.students, args.label, reuse=not args.fresh)
    if args.before_sql and "summary" in result:
        result = with_before(result, args.label, args.before_sql)
    print(format_summary(result))
    write_json(args.json, result)
    return 0 if not result.get("failed_runs") else 1


if __name__ == "__main__":
    sys.exit(main())
