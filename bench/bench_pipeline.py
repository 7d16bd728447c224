"""Times `make run` end to end (Dagster's start included) on the sample and generated inboxes of growing size.

Usage:
    .venv/bin/python bench/bench_pipeline.py                      # sample, 400, 2k, 20k people
    .venv/bin/python bench/bench_pipeline.py --full               # and 200k
    .venv/bin/python bench/bench_pipeline.py --sizes sample 2k --json out.json

Each size runs `python -m pipelines.run` as a whole process with a fresh DAGSTER_HOME and
warehouse (what a new user sees), then again on the unchanged inbox (the daily re-run).
Reported per run: wall and CPU seconds, peak RSS of the process tree, the phases around the
steps (start-up, Dagster's run set-up, steps, report) and each step's seconds and peak
memory, read from the run's Dagster event log; and how well the first run resolved people
(pairwise precision, recall and F1 against the generator's truth file, pairs left for review).
Generated inboxes are cached in bench/.cache/.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    CACHE_DIR, SAMPLE_INBOX, SAMPLE_TRUTH, cached_inbox, fitted_exponent, folder_megabytes, machine_description,
    machine_line, resolution_quality, run_pipeline, write_json,
)

SAMPLE_PEOPLE = 150  # the shipped sample is `make sample`: 150 people
SIZES = {"sample": None, "400": 400, "2k": 2_000, "20k": 20_000, "200k": 200_000}
DEFAULT_SIZES = ["sample", "400", "2k", "20k"]
# The targets of issue 7, on a 2-core machine: a person's inbox feels instant, a firm's fits
# one small machine. None means no target on that measure.
TARGETS = {
    "sample": {"wall_s": 15, "peak_rss_mb": None},
    "400": {"wall_s": 15, "peak_rss_mb": None},
    "20k": {"wall_s": 60, "peak_rss_mb": 2048},
    "200k": {"wall_s": 600, "peak_rss_mb": 8192},
}
# The growth exponent is fitted over the firm sizes only: below 2k people start-up dominates.
EXPONENT_MIN_PEOPLE = 2_000


def size_name(text: str) -> str:
    aliases = {str(people): name for name, people in SIZES.items() if people}
    name = aliases.get(text, text)
    if name not in SIZES:
        raise argparse.ArgumentTypeError(f"unknown size {text!r}; choose from {', '.join(SIZES)}")
    return name


def meets(target: dict | None, run: dict) -> bool | None:
    if not target or run.get("returncode") != 0:
        return None if not target else False
    return all(run[measure] <= limit for measure, limit in target.items() if limit is not None)


def bench_size(name: str, seed: int, incremental: bool) -> dict:
    if name == "sample":
        inbox, truth, people = SAMPLE_INBOX, SAMPLE_TRUTH, SAMPLE_PEOPLE
        facts = {"inbox_mb": folder_megabytes(SAMPLE_INBOX)}
    else:
        people = SIZES[name]
        inbox, truth, facts = cached_inbox(people, seed)
    workdir = CACHE_DIR / "runs" / f"pipeline-{name}"
    print(f"[{name}] {people} people, {facts['inbox_mb']} MB: first run ...", flush=True)
    first = run_pipeline(inbox, workdir, fresh=True, label="first")
    entry = {"size": name, "people": people, "inbox_mb": facts["inbox_mb"], "first": first}
    print(f"[{name}]   {summary(first)}", flush=True)
    if first["returncode"] == 0:
        # Speed means little if the people are wrong: the same run scored against the truth file.
        entry["resolution"] = resolution_quality(first["warehouse"], truth)
        print(f"[{name}]   resolution: {entry['resolution']}", flush=True)
    if incremental and first["returncode"] == 0:
        again = run_pipeline(inbox, workdir, fresh=False, label="again")
        entry["incremental"] = again
        print(f"[{name}]   again: {summary(again)}", flush=True)
    target = TARGETS.get(name)
    entry["target"] = target
    entry["meets_target"] = meets(target, first)
    return entry


def summary(run: dict) -> str:
    if run["returncode"] != 0:
        return f"FAILED (exit {run['returncode']}): {run.get('error_tail', '')[-400:]}"
    stages = ", ".join(f"{step} {stage['seconds']}s" for step, stage in run.get("stages", {}).items())
    return (f"wall {run['wall_s']} s, cpu {run['cpu_s']} s, peak {run['peak_rss_mb']} MB, "
            f"load {run['load_average_before']}; phases {run.get('phases')}; {stages}")


def growth(entries: list[dict]) -> dict:
    firm = sorted((entry for entry in entries
                   if entry["people"] >= EXPONENT_MIN_PEOPLE and entry["first"]["returncode"] == 0),
                  key=lambda entry: entry["people"])
    fitted = exponents(firm)
    # Fixed costs (start-up, Dagster) flatten the fit over all sizes; the two largest show
    # how the work itself grows.
    fitted["largest_two"] = exponents(firm[-2:]) if len(firm) > 2 else None
    return fitted


def exponents(runs: list[dict]) -> dict:
    people = [entry["people"] for entry in runs]
    return {
        "over_people": people,
        "wall_s": fitted_exponent(people, [entry["first"]["wall_s"] for entry in runs]),
        "cpu_s": fitted_exponent(people, [entry["first"]["cpu_s"] for entry in runs]),
        "peak_rss_mb": fitted_exponent(people, [entry["first"]["peak_rss_mb"] for entry in runs]),
        "steps_s": fitted_exponent(people, [entry["first"].get("phases", {}).get("steps_s", 0) for entry in runs]),
        # Which stage grows faster than the others is where the large inboxes lose their time.
        "stages": {stage: fitted_exponent(people, [entry["first"].get("stages", {}).get(stage, {}).get("seconds", 0)
                                                   for entry in runs])
                   for stage in dict.fromkeys(stage for entry in runs for stage in entry["first"].get("stages", {}))},
    }


def run(sizes: list[str], seed: int = 7, incremental: bool = True) -> dict:
    entries = [bench_size(name, seed, incremental) for name in sizes]
    return {"machine": machine_description(), "seed": seed, "runs": entries, "exponent": growth(entries)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=size_name, help=f"of {', '.join(SIZES)} (default: all but 200k)")
    parser.add_argument("--full", action="store_true", help="include 200k people (many minutes)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-incremental", action="store_true", help="skip the second run on the unchanged inbox")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    sizes = args.sizes or (DEFAULT_SIZES + ["200k"] if args.full else DEFAULT_SIZES)
    results = run(sizes, args.seed, not args.no_incremental)
    print(f"machine: {machine_line(results['machine'])}")
    print(f"growth exponent (log-log, >= {EXPONENT_MIN_PEOPLE} people): {results['exponent']}")
    write_json(args.json, results)
    return 0 if all(entry["first"]["returncode"] == 0 for entry in results["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
