"""Relationships over time (issue 16): how fast tie_strength_history is, and whether the
trends, fading_ties and reconnect find the ties the generator changed on purpose.

Usage:
    .venv/bin/python bench/bench_time.py                   # speed at 20k people; trajectories at 150 and 2k, seeds 7 and 11
    .venv/bin/python bench/bench_time.py --people 2000 --json out.json
    .venv/bin/python bench/bench_time.py --skip-speed --sizes 150 --seeds 7

Speed:
The inbox runs through the product once (cached in bench/.cache/); then, on a copy of its
working database, each model is rebuilt `--repeats` times and the fastest build counts (the
machine is shared, and the minimum is the least disturbed figure). Issue 16's target: building
tie_strength_history (int_tie_features, int_tie_history, the published view) within 1.5x the
time the tie_strength step took before the history existed; the trends tie_strength reads from
the history, and today's tie_strength itself, are reported beside it. A view is bound once and
kept while its SQL is unchanged: the first binding of int_tie_features is reported apart.

Trajectories: `data/generate_inbox.py` gives a few of the Dunbar 150 a planned change
(truth columns `trajectory`, `every_days`, `overdue`): close colleagues who move away and fade,
new acquaintances who become close collaborators, mentors met every quarter (some overdue).
Each inbox runs through the product as a whole process; each published person is mapped to
the true person most of its records belong to. Reported, with issue 16's targets:
  - fading recall (>= 0.9) and precision (>= 0.8) of `fading_ties` against the faders;
  - rising recall (>= 0.8): faders' opposite, `tie_strength.trend = 'rising'`; its precision too;
  - reconnect precision: of the people with a planned rhythm that `reconnect` lists, the share
    truly overdue; its recall over the overdue ones; and how close each mentor's found rhythm
    (`int_keep_in_touch.every_days`) is to the planned one.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import CACHE_DIR, REPO_ROOT, cached_inbox, machine_description, read_truth, run_pipeline, write_json  # noqa: E402
from assets.resource import working_path_for  # noqa: E402

# Issue 16: the history may cost at most this multiple of the tie_strength build as it was
# before the history (when it computed its own features, at the as-of date only).
TARGET_RATIO = 1.5
# The models built for tie_strength_history: the formula (int_tie_features, a view computed by
# its readers), at every month-end and kept narrow (int_tie_history), and the published
# history (a view of int_tie_history).
HISTORY_MODELS = ("int_tie_features", "int_tie_history", "tie_strength_history")
# tie_strength's trend, read from the history (reported with the history and apart).
TREND_MODELS = ("int_tie_trends",)
# What today's tie_strength builds besides: the replies it explains, and itself (its features
# are int_tie_features' rows at the as-of date).
TIE_STRENGTH_MODELS = ("int_mail_replies", "tie_strength")
# The baseline: tie_strength before any history existed (it computed its own features, from
# contact alone; 9478fde is the last revision whose tie_strength computed its own, with mail).
BASELINE_REVISION = "18b1004"


def baseline_tie_strength_sql(revision: str) -> str | None:
    """The baseline's SQL, or None where git or the revision is missing (an exported tree, a shallow clone)."""
    try:
        return subprocess.run(["git", "show", f"{revision}:warehouse/sql/marts/tie_strength.sql"], cwd=REPO_ROOT,
                              check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def build_seconds(connection, build) -> float:
    # A checkpoint falls on whichever build crosses DuckDB's WAL threshold, the same one at
    # each repeat: taken beforehand, untimed, each build is timed alone.
    connection.execute("CHECKPOINT")
    started = time.perf_counter()
    build()
    return time.perf_counter() - started


def bench(working_database: Path, as_of: str, repeats: int, baseline_revision: str = BASELINE_REVISION) -> dict:
    """Each repeat builds the baseline tie_strength and then the new models, alternately (the
    machine is shared: a burst of load then falls on both); the fastest of each build counts."""
    import duckdb

    from warehouse.config import ScoringConfig, set_sql_variables
    from warehouse.models import build_model, load_models

    models = {model.name: model for model in load_models()}
    baseline_sql = baseline_tie_strength_sql(baseline_revision)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "work.duckdb"
        shutil.copy(working_database, copy)
        with duckdb.connect(str(copy)) as connection:
            set_sql_variables(connection, ScoringConfig(), as_of)
            connection.execute("DROP VIEW IF EXISTS int_tie_features")
            connection.execute("DROP TABLE IF EXISTS int_tie_features")  # a working file from before it was a view
            first_binding = build_seconds(connection, lambda: build_model(connection, models["int_tie_features"]))
            baseline_timings, timings = [], {name: [] for name in HISTORY_MODELS + TREND_MODELS + TIE_STRENGTH_MODELS}
            for _ in range(repeats):
                if baseline_sql is not None:
                    baseline_timings.append(build_seconds(connection, lambda: connection.execute(
                        f"CREATE OR REPLACE TABLE tie_strength_before AS\n{baseline_sql}")))
                for name in timings:
                    timings[name].append(build_seconds(connection, lambda: build_model(connection, models[name])))
            interactions, people, rows = connection.execute(
                "SELECT (SELECT count(*) FROM interaction), (SELECT count(*) FROM tie_strength), "
                "(SELECT count(*) FROM tie_strength_history)").fetchone()
    fastest = {name: min(values) for name, values in timings.items()}
    before = min(baseline_timings, default=None)
    history = sum(fastest[name] for name in HISTORY_MODELS)
    with_trends = history + sum(fastest[name] for name in TREND_MODELS)
    everything = with_trends + sum(fastest[name] for name in TIE_STRENGTH_MODELS)

    def ratio(seconds: float) -> float | None:
        return round(seconds / before, 2) if before else None

    return {"interactions": interactions, "ties": people, "history_rows": rows,
            "tie_strength_before_s": round(before, 4) if before else None, "baseline_revision": baseline_revision,
            **{f"{name}_s": round(seconds, 4) for name, seconds in fastest.items()},
            "int_tie_features_first_binding_s": round(first_binding, 4),
            "history_s": round(history, 4), "ratio": ratio(history), "target_ratio": TARGET_RATIO,
            "meets_target": history <= TARGET_RATIO * before if before else None,
            "history_and_trends_s": round(with_trends, 4), "history_and_trends_ratio": ratio(with_trends),
            # tie_strength now also computes replies and trends the baseline did not have.
            "with_tie_strength_s": round(everything, 4), "with_tie_strength_ratio": ratio(everything)}


# --- Trajectories against the generator's truth --------------------------------------------

# Issue 16's targets.
FADING_RECALL_TARGET = 0.9
FADING_PRECISION_TARGET = 0.8
RISING_RECALL_TARGET = 0.8
TRAJECTORY_SIZES = [150, 2_000]
TRAJECTORY_SEEDS = [7, 11]
# A found rhythm within this share of the planned one counts as found (91 days: 82 to 100).
RHYTHM_TOLERANCE = 0.1


def share(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def score_trajectories(warehouse: Path, truth: list[dict], as_of: str) -> dict:
    """Recall and precision of fading_ties, the rising trend and reconnect against the truth."""
    import duckdb

    from bench_ranking import true_person_of

    people = {row["true_person"]: row for row in truth}
    planned = {who: row for who, row in people.items() if row.get("trajectory")}
    fading = {who for who, row in planned.items() if row["trajectory"] == "fading"}
    rising = {who for who, row in planned.items() if row["trajectory"] == "rising"}
    rhythmic = {who: row for who, row in planned.items() if row.get("every_days")}
    overdue = {who for who, row in rhythmic.items() if row["overdue"] == "true"}
    mapping = true_person_of(warehouse, truth)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        listed_fading = [mapping.get(pid) for (pid,) in connection.execute(
            "SELECT person_id FROM fading_ties ORDER BY rank").fetchall()]
        trends = {mapping.get(pid): trend for pid, trend in connection.execute(
            "SELECT person_id, trend FROM tie_strength").fetchall()}
        listed_reconnect = [mapping.get(pid) for (pid,) in connection.execute(
            "SELECT person_id FROM reconnect ORDER BY rank").fetchall()]
    with duckdb.connect(str(working_path_for(warehouse)), read_only=True) as connection:
        found_rhythm = {mapping.get(pid): (every_days, source) for pid, every_days, source in connection.execute(
            "SELECT person_id, every_days, rhythm_source FROM int_keep_in_touch").fetchall()}
        # The published list stops at reconnect_list_size; the rule itself is judged on every
        # tie it calls overdue, the same SQL with no limit.
        from warehouse.config import ScoringConfig, set_sql_variables
        from warehouse.models import load_models

        reconnect_sql = next(model.sql for model in load_models() if model.name == "reconnect")
        set_sql_variables(connection, ScoringConfig(reconnect_list_size=1_000_000), as_of)
        called_overdue = [mapping.get(pid) for (pid,) in connection.execute(
            f"SELECT person_id FROM ({reconnect_sql}) WHERE days_since_last_contact > every_days "
            f"* (1 + getvariable('overdue_grace_share'))").fetchall()]
    listed_rising = [who for who, trend in trends.items() if trend == "rising"]
    reconnect_planned = [who for who in listed_reconnect if who in rhythmic]
    overdue_planned = [who for who in called_overdue if who in rhythmic]
    rhythm_errors = [abs(found_rhythm[who][0] - int(row["every_days"])) / int(row["every_days"])
                     for who, row in rhythmic.items() if who in found_rhythm and found_rhythm[who][0] is not None]
    return {
        "faders": len(fading), "fading_ties_listed": len(listed_fading),
        "fading_recall": share(len(fading & set(listed_fading)), len(fading)),
        "fading_precision": share(sum(who in fading for who in listed_fading), len(listed_fading)),
        "risers": len(rising), "rising_listed": len(listed_rising),
        "rising_recall": share(len(rising & set(listed_rising)), len(rising)),
        "rising_precision": share(sum(who in rising for who in listed_rising), len(listed_rising)),
        "planned_rhythms": len(rhythmic), "overdue_planned": len(overdue), "reconnect_listed": len(listed_reconnect),
        # Of the people with a planned rhythm that the published list shows, the share truly overdue.
        "reconnect_precision": share(sum(who in overdue for who in reconnect_planned), len(reconnect_planned)),
        "reconnect_recall": share(len(overdue & set(listed_reconnect)), len(overdue)),
        # The same for every tie the rule calls overdue, before the list's length limit.
        "overdue_rule_precision": share(sum(who in overdue for who in overdue_planned), len(overdue_planned)),
        "overdue_rule_recall": share(len(overdue & set(called_overdue)), len(overdue)),
        "rhythm_found": share(sum(error <= RHYTHM_TOLERANCE for error in rhythm_errors), len(rhythmic)),
        # What the misses were, so a figure below target shows what stood in the way.
        "faders_missed": {who: trends.get(who) for who in sorted(fading - set(listed_fading))},
        "fading_listed_not_planned": [f"{who} ({people.get(who, {}).get('tier')})" for who in listed_fading
                                      if who not in fading],
        "risers_missed": {who: trends.get(who) for who in sorted(rising - set(listed_rising))},
    }


def bench_trajectories(sizes: list[int], seeds: list[int], as_of: str) -> dict:
    runs = []
    for people in sizes:
        for seed in seeds:
            inbox, truth_path, _ = cached_inbox(people, seed)
            run = run_pipeline(inbox, CACHE_DIR / "runs" / f"time-trajectories-{people}-s{seed}", as_of,
                               label="trajectories")
            entry = {"people": people, "seed": seed, "wall_s": run["wall_s"], "returncode": run["returncode"]}
            if run["returncode"] != 0:
                entry["error_tail"] = run.get("error_tail")
            else:
                entry.update(score_trajectories(Path(run["warehouse"]), read_truth(truth_path), as_of))
            print(f"[time] {people} people, seed {seed}: " + ", ".join(
                f"{key} {entry.get(key)}" for key in ("fading_recall", "fading_precision", "rising_recall",
                                                      "reconnect_precision", "reconnect_recall", "overdue_rule_precision",
                                                      "overdue_rule_recall", "rhythm_found")),
                  flush=True)
            runs.append(entry)
    measures = ("fading_recall", "fading_precision", "rising_recall", "rising_precision", "reconnect_precision",
                "reconnect_recall", "overdue_rule_precision", "overdue_rule_recall", "rhythm_found")
    mean = {}
    for measure in measures:
        values = [entry[measure] for entry in runs if entry.get(measure) is not None]
        mean[measure] = round(sum(values) / len(values), 3) if values else None
    targets = {"fading_recall": FADING_RECALL_TARGET, "fading_precision": FADING_PRECISION_TARGET,
               "rising_recall": RISING_RECALL_TARGET}
    return {"runs": runs, "mean": [{"measure": "mean", **mean}], "targets": targets,
            "meets_targets": all(mean[name] is not None and mean[name] >= target for name, target in targets.items())}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000, help="inbox size for the speed part")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--working-database", type=Path, help="an existing working database to time instead")
    parser.add_argument("--as-of", default="2026-11-20")
    parser.add_argument("--baseline-revision", default=BASELINE_REVISION,
                        help="the git revision whose tie_strength is the baseline")
    parser.add_argument("--sizes", nargs="+", type=int, default=TRAJECTORY_SIZES, help="inbox sizes for trajectories")
    parser.add_argument("--seeds", nargs="+", type=int, default=TRAJECTORY_SEEDS, help="seeds for trajectories")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-trajectories", action="store_true")
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args(argv)
    results: dict = {"machine": machine_description()}
    if not arguments.skip_speed:
        working = arguments.working_database
        if working is None:
            inbox, _, _ = cached_inbox(arguments.people, arguments.seed)
            run = run_pipeline(inbox, CACHE_DIR / f"time-{arguments.people}-s{arguments.seed}", arguments.as_of)
            working = working_path_for(Path(run["warehouse"]))
        speed = {"people": arguments.people,
                 **bench(working, arguments.as_of, arguments.repeats, arguments.baseline_revision)}
        print(f"tie_strength_history at {arguments.people:,} people ({speed['interactions']:,} interactions, "
              f"{speed['history_rows']:,} rows): {speed['history_s']:.3f} s against tie_strength before the history "
              f"({speed['baseline_revision']}) {speed['tie_strength_before_s']} s = {speed['ratio']}x (target "
              f"{TARGET_RATIO}x); with the trends {speed['history_and_trends_s']:.3f} s = "
              f"{speed['history_and_trends_ratio']}x; with today's tie_strength and its replies too "
              f"{speed['with_tie_strength_s']:.3f} s = {speed['with_tie_strength_ratio']}x")
        results["speed"] = [speed]  # a list of records: run_all shows each list as a table
    if not arguments.skip_trajectories:
        results["trajectories"] = bench_trajectories(arguments.sizes, arguments.seeds, arguments.as_of)
        mean = results["trajectories"]["mean"][0]
        print(f"trajectories, mean over {len(arguments.sizes)} sizes x {len(arguments.seeds)} seeds: "
              f"fading recall {mean['fading_recall']} (target {FADING_RECALL_TARGET}), precision "
              f"{mean['fading_precision']} (target {FADING_PRECISION_TARGET}); rising recall {mean['rising_recall']} "
              f"(target {RISING_RECALL_TARGET}); reconnect precision {mean['reconnect_precision']}, recall "
              f"{mean['reconnect_recall']} (the rule before the list limit: {mean['overdue_rule_precision']}, "
              f"{mean['overdue_rule_recall']}); planned rhythm found {mean['rhythm_found']}")
    if arguments.json:
        write_json(arguments.json, results)
    return results


if __name__ == "__main__":
    main()
