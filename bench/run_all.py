"""`make bench`: every benchmark, then bench/results/results.json, results.md and time_vs_size.png.

Usage:
    .venv/bin/python bench/run_all.py            # sample, 400, 2k, 20k people; Febrl3; ranking; real ties; parsers
    .venv/bin/python bench/run_all.py --full     # and 200k people (many minutes)
    .venv/bin/python bench/run_all.py --quick    # a tiny version of everything, to check it works

The pipeline, ranking and Febrl benchmarks run here (each times `python -m pipelines.run` as a
separate process); the parser and matching benchmarks run as their own scripts with `--json`.
Every output names the machine it was measured on, with the load average: on a shared
machine, wall times under load are upper bounds, CPU seconds the steadier figure.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_febrl_vcard  # noqa: E402
import bench_pipeline  # noqa: E402
import bench_ranking  # noqa: E402
import bench_real_ties  # noqa: E402
from common import (  # noqa: E402
    BENCH_DIR, REPO_ROOT, RESULTS_DIR, load_average, machine_description, machine_line, write_json,
)

# The other engineers' scripts, with the arguments of a full and of a quick run.
EXTERNAL_BENCHMARKS = {
    "vcard_parser": ("bench_vcard.py", [], ["--cards", "300"]),
    "ics_parser": ("bench_ics.py", [], ["--generate-mb", "0.5"]),
    "matching": ("bench_matching.py", [], ["--only", "fake_1000", "--skip-splink"]),
    # Issue 16: the history's speed at 20k people, and trends, fading_ties and reconnect against
    # the generator's planned trajectories (150 and 2,000 people, two seeds; quick: one inbox).
    "tie_strength_history": ("bench_time.py", [], ["--people", "2000", "--sizes", "150", "--seeds", "7"]),
}
EXTERNAL_TIMEOUT_S = 3600
PHASES = ["startup_s", "run_setup_s", "steps_s", "report_s"]


def guarded(name: str, work) -> dict:
    """One benchmark failing must not lose the others' results."""
    started = time.perf_counter()
    try:
        result = work()
    except Exception as error:  # noqa: BLE001 - recorded in the results and printed
        traceback.print_exc()
        result = {"error": f"{type(error).__name__}: {error}"}
    print(f"[{name}] done in {time.perf_counter() - started:.0f} s", flush=True)
    return result


def run_external(name: str, script: str, arguments: list[str]) -> dict:
    """Runs another engineer's benchmark script; its JSON if it writes one, else its printed table."""
    path = BENCH_DIR / script
    if not path.exists():
        return {"error": f"{script} not found"}
    help_text = subprocess.run([sys.executable, str(path), "--help"], capture_output=True, text=True,
                               cwd=REPO_ROOT, timeout=120).stdout
    command = [sys.executable, str(path), *arguments]
    with tempfile.TemporaryDirectory(prefix="strongties-bench-") as scratch:
        json_path = Path(scratch) / f"{name}.json"
        if "--json" in help_text:
            command += ["--json", str(json_path)]
        print(f"[{name}] {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=EXTERNAL_TIMEOUT_S)
        shown = [str(Path(part).relative_to(REPO_ROOT)) if part.startswith(str(REPO_ROOT)) else part
                 for part in command[1:]]
        result = {"command": " ".join(["python", *shown]).replace(str(json_path), "RESULT.json"),
                  "returncode": completed.returncode, "wall_s": round(time.perf_counter() - started, 1),
                  "load_average_after": load_average()}
        if json_path.exists():
            result["results"] = json.loads(json_path.read_text())
        else:
            result["printed"] = completed.stdout[-6000:]
    if completed.returncode != 0:
        result["error_tail"] = completed.stderr[-2000:]
    return result


# --- Markdown -------------------------------------------------------------------------------

def table(headers: list[str], rows: list[list]) -> str:
    def cell(value) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, float):
            return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.4g}"
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def pipeline_section(pipeline: dict) -> str:
    if "error" in pipeline:
        return f"## The whole run by inbox size\n\nFailed: {pipeline['error']}\n"
    runs = pipeline["runs"]
    rows = []
    for entry in runs:
        first, again = entry["first"], entry.get("incremental", {})
        phases = first.get("phases", {})
        target = entry.get("target") or {}
        target_text = " and ".join(filter(None, [f"≤ {target['wall_s']} s" if target.get("wall_s") else "",
                                                 f"≤ {target['peak_rss_mb']} MB" if target.get("peak_rss_mb") else ""]))
        rows.append([entry["size"], entry["people"], entry["inbox_mb"], first["wall_s"], first["cpu_s"],
                     first["peak_rss_mb"], *(phases.get(phase) for phase in PHASES), again.get("wall_s"),
                     again.get("cpu_s"), target_text, entry.get("meets_target"),
                     first["load_average_before"][0] if first["load_average_before"] else None])
    headers = ["inbox", "people", "MB", "wall s", "CPU s", "peak MB", "start-up s", "run set-up s", "steps s",
               "report s", "again: wall s", "again: CPU s", "target", "met", "load (1 min)"]
    stage_rows = []
    # In the order Dagster ran them (each run's stages are recorded in event order).
    stages_seen = list(dict.fromkeys(stage for entry in runs for stage in entry["first"].get("stages", {})))
    for stage in stages_seen:
        row = [stage]
        for entry in runs:
            found = entry["first"].get("stages", {}).get(stage, {})
            row.append(f"{found.get('seconds', '')} s / {found.get('peak_rss_mb', '')} MB" if found else "")
        stage_rows.append(row)
    again_runs = [entry for entry in runs if entry.get("incremental", {}).get("stages")]
    again_rows = [[stage, *(entry["incremental"]["stages"].get(stage, {}).get("seconds") for entry in again_runs)]
                  for stage in stages_seen]
    again_part = [] if not again_runs else [
        "### Per stage, second run on the unchanged inbox: seconds",
        table(["stage", *(entry["size"] for entry in again_runs)], again_rows),
    ]
    resolution_rows = [[entry["size"], entry["resolution"]["records_scored"], entry["resolution"]["true_people"],
                        entry["resolution"]["people"], entry["resolution"]["precision"], entry["resolution"]["recall"],
                        entry["resolution"]["f1"], entry["resolution"]["match_review_pairs"]]
                       for entry in runs if entry.get("resolution")]
    resolution_part = [] if not resolution_rows else [
        "### People resolved on the same runs, against the generator's truth (pairwise)",
        table(["inbox", "source records", "true people", "people published", "precision", "recall", "F1",
               "pairs for review"], resolution_rows),
    ]
    exponent = pipeline["exponent"]
    return "\n\n".join([
        "## The whole run by inbox size",
        f"Measured: {machine_line(pipeline['machine'])}.",
        "`python -m pipelines.run` as a process, fresh DAGSTER_HOME and warehouse; \"again\" is a second "
        "run on the unchanged inbox. Start-up: Python, Dagster and project imports, definitions; run set-up: "
        "Dagster recording the run before its first step; report: printing the core list, exit.",
        table(headers, rows),
        "### Per stage (first run): seconds / peak RSS while the stage ran",
        table(["stage", *(entry["size"] for entry in runs)], stage_rows),
        *again_part,
        *resolution_part,
        exponent_text(exponent),
    ]) + "\n"


def exponent_text(exponent: dict) -> str:
    def one(fitted: dict) -> str:
        stages = ", ".join(f"{stage} {value}" for stage, value in fitted.get("stages", {}).items())
        return (f"over {fitted['over_people']} people: wall {fitted['wall_s']}, CPU {fitted['cpu_s']}, "
                f"steps {fitted['steps_s']}, peak memory {fitted['peak_rss_mb']}; per stage: {stages}")

    text = f"Growth exponent (log-log least squares; 1 is linear) {one(exponent)}."
    if exponent.get("largest_two"):
        text += f" Between the two largest inboxes only (fixed costs matter less) {one(exponent['largest_two'])}."
    return text


def febrl_section(febrl: dict) -> str:
    if "error" in febrl:
        return f"## Febrl dataset3 as a vCard file, against Splink\n\nFailed: {febrl['error']}\n"
    rows = []
    sides = [("strongties", febrl.get("strongties")), ("Splink", febrl.get("splink")),
             ("strongties, first run on a new machine", {**febrl["strongties"], **febrl["strongties"]["first_run"],
                                                          "wall_s_runs": []})]
    for name, side in sides:
        if side:
            rows.append([name, side["wall_s"], ", ".join(str(wall) for wall in side.get("wall_s_runs", [])),
                         side["cpu_s"], side["peak_rss_mb"], side.get("precision"), side.get("recall"), side.get("f1")])
    return "\n\n".join([
        "## Febrl dataset3 as a vCard file, against Splink",
        f"Measured: {machine_line(febrl['machine'])}.",
        f"{febrl['records']} records of {febrl['entities']} people. strongties: the whole `python -m pipelines.run` "
        "on one .vcf, from an empty warehouse; Splink 5 (DuckDB): the whole `python bench/splink_febrl.py` (read CSV, "
        "u from 1e7 random pairs, m by EM, predict, "
        f"cluster at {febrl.get('splink', {}).get('cluster_threshold', '')}). "
        f"{febrl.get('repeats', 1)} rounds of each in turns; the median round's figures, every round's wall time. "
        "The first run also creates Dagster's run history (DAGSTER_HOME). Pairwise scores of the clusters.",
        table(["", "wall s (median)", "every round", "CPU s", "peak MB", "precision", "recall", "F1"], rows),
    ]) + "\n"


def ranking_section(ranking: dict) -> str:
    if "error" in ranking:
        return f"## Ranking against the latent tiers\n\nFailed: {ranking['error']}\n"
    rows = [[entry["people"], entry["seed"], entry.get("core_list_precision"), entry.get("top20_precision"),
             entry.get("dormant_recall"), entry.get("dormant_precision"), entry.get("strongest_ties"),
             entry.get("dormant_people")] for entry in ranking["runs"]]
    mean = ranking["mean"]
    rows.append(["mean", "", mean["core_list_precision"], mean["top20_precision"], mean["dormant_recall"],
                 mean["dormant_precision"], "", ""])
    return "\n\n".join([
        "## Ranking against the latent tiers (issue 5)",
        f"Measured: {machine_line(ranking['machine'])}.",
        f"Strongest ties: the generator's closest and close tiers, not dormant. Target ≥ {ranking['target']} each; "
        f"met: {'yes' if ranking['meets_target'] else 'no'}.",
        table(["people", "seed", "core list precision", "top-20 precision", "dormant recall", "dormant precision",
               "strongest ties", "dormant people"], rows),
    ]) + "\n"


def real_ties_section(real: dict) -> str:
    title = "## Tie strength on real behaviour: Copenhagen students against Facebook friendship (issue 17)"
    if "error" in real or "skipped" in real:
        return f"{title}\n\n{'Failed: ' + real['error'] if 'error' in real else 'Skipped: ' + str(real['skipped'])}\n"
    rows = []
    for ranker, metrics in real["summary"].items():
        rows.append([ranker, *(f"{metrics[metric]['mean']:.3f} [{metrics[metric]['low']:.3f}, {metrics[metric]['high']:.3f}]"
                               for metric in bench_real_ties.METRICS)])
    if "before" in real:
        rows.append(["product before issue 17", *(
            f"{real['before']['summary'][metric]['mean']:.3f} [{real['before']['summary'][metric]['low']:.3f}, "
            f"{real['before']['summary'][metric]['high']:.3f}]" for metric in bench_real_ties.METRICS)])
    differences = [f"{metric}: product − {comparison['best_single_signal']} {comparison['product_minus_best']['mean']:+.4f} "
                   f"[{comparison['product_minus_best']['low']:+.4f}, {comparison['product_minus_best']['high']:+.4f}]"
                   for metric, comparison in real["comparison"].items()]
    failed = ", ".join(str(entry["student"]) for entry in real["failed_runs"]) or "none"
    return "\n\n".join([
        title,
        f"Measured: {machine_line(real['machine'])}.",
        f"{real['students']} students through `python -m pipelines.run` ({real['left_out_no_friend']} left out: no "
        f"friend among their contacts; failed runs: {failed}). Mean over students [95% bootstrap interval].",
        table(["ranker", *bench_real_ties.METRICS], rows),
        "Paired differences, bootstrap over students: " + "; ".join(differences) + ".",
    ]) + "\n"


def flatten(record: dict, prefix: str = "", depth: int = 0) -> dict:
    """Scalars of a record and of the records inside it, one level deep (deeper ones make tables unreadable)."""
    flat = {}
    for key, value in record.items():
        if isinstance(value, dict):
            if depth < 1:
                flat.update(flatten(value, f"{prefix}{key}.", depth + 1))
        elif not isinstance(value, list):
            flat[f"{prefix}{key}"] = value
    return flat


def record_lists(value, name: str = "") -> list[tuple[str, list[dict]]]:
    """Every list of records inside a JSON value, each to be shown as a table."""
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return [(name, value)]
    found = []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += record_lists(inner, f"{name}.{key}" if name else key)
    return found


def external_section(title: str, result: dict) -> str:
    parts = [f"## {title}", f"`{result.get('command', '')}`, exit {result.get('returncode')}, "
                            f"{result.get('wall_s')} s"]
    if "error" in result:
        parts.append(f"Failed: {result['error']}")
    elif "results" in result:
        payload = result["results"]
        lists = record_lists(payload)
        if not lists and isinstance(payload, dict):
            lists = [("", [payload])]
        for name, records in lists:
            flat = [flatten(record) for record in records]
            columns = list(dict.fromkeys(key for record in flat for key in record))
            if name:
                parts.append(f"`{name}`")
            parts.append(table(columns, [[record.get(column) for column in columns] for record in flat]))
    else:
        parts.append("```\n" + result.get("printed", "").strip() + "\n```")
    if result.get("error_tail"):
        parts.append("```\n" + result["error_tail"].strip()[-1500:] + "\n```")
    return "\n\n".join(parts) + "\n"


def markdown(results: dict) -> str:
    sections = [
        "# strongties benchmarks" + (" (quick run: tiny sizes, not figures to quote)" if results["quick"] else ""),
        f"Machine: {machine_line(results['machine'])}. Load average after the last benchmark: "
        f"{results['load_average_after']}. The machine may be shared: wall times under load are upper bounds.",
        pipeline_section(results["pipeline"]),
        febrl_section(results["febrl3"]),
        ranking_section(results["ranking"]),
        real_ties_section(results.get("real_ties", {"skipped": "not run"})),
        external_section("vCard parser throughput", results["parsers"]["vcard_parser"]),
        external_section("iCalendar parser throughput", results["parsers"]["ics_parser"]),
        external_section("Identity resolution against Splink", results["parsers"]["matching"]),
    ]
    return "\n\n".join(sections).rstrip() + "\n"


# --- Chart ----------------------------------------------------------------------------------

def chart(results: dict, path: Path) -> bool:
    pipeline = results["pipeline"]
    if "error" in pipeline:
        return False
    runs = [entry for entry in pipeline["runs"] if entry["first"]["returncode"] == 0]
    if not runs:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs.sort(key=lambda entry: entry["people"])
    people = [entry["people"] for entry in runs]
    figure, (time_axis, memory_axis) = plt.subplots(1, 2, figsize=(11, 4.5))
    time_axis.plot(people, [entry["first"]["wall_s"] for entry in runs], "o-", label="wall, first run")
    time_axis.plot(people, [entry["first"]["cpu_s"] for entry in runs], "s--", label="CPU, first run")
    again = [entry for entry in runs if entry.get("incremental", {}).get("returncode") == 0]
    if again:
        time_axis.plot([entry["people"] for entry in again], [entry["incremental"]["wall_s"] for entry in again],
                       "^:", label="wall, second run")
    memory_axis.plot(people, [entry["first"]["peak_rss_mb"] for entry in runs], "o-", label="peak RSS, first run")
    for entry in runs:
        target = entry.get("target") or {}
        if target.get("wall_s"):
            time_axis.plot(entry["people"], target["wall_s"], "rx")
        if target.get("peak_rss_mb"):
            memory_axis.plot(entry["people"], target["peak_rss_mb"], "rx")
    time_axis.plot([], [], "rx", label="target")
    memory_axis.plot([], [], "rx", label="target")
    exponent = pipeline["exponent"]
    time_axis.set_title(f"make run: seconds (wall exponent {exponent['wall_s']})")
    memory_axis.set_title(f"make run: peak memory, MB (exponent {exponent['peak_rss_mb']})")
    for axis in (time_axis, memory_axis):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("people in the inbox")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle(machine_line(pipeline.get("machine", results["machine"])), fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True


# --- Main -----------------------------------------------------------------------------------

def run(quick: bool, full: bool, skip: set[str]) -> dict:
    machine = machine_description()
    print(f"machine: {machine_line(machine)}", flush=True)
    if quick:
        sizes, incremental, ranking_people, ranking_seeds, febrl_records = ["sample"], False, [150], [7], 300
    else:
        sizes = bench_pipeline.DEFAULT_SIZES + (["200k"] if full else [])
        incremental, ranking_people, ranking_seeds = True, bench_ranking.DEFAULT_PEOPLE, bench_ranking.DEFAULT_SEEDS
        febrl_records = None
    skipped = {"skipped": True}
    results = {"quick": quick, "machine": machine}
    results["pipeline"] = skipped if "pipeline" in skip else guarded(
        "pipeline", lambda: bench_pipeline.run(sizes, incremental=incremental))
    results["febrl3"] = skipped if "febrl3" in skip else guarded(
        "febrl3", lambda: bench_febrl_vcard.run(febrl_records, repeats=1 if quick else bench_febrl_vcard.REPEATS))
    results["ranking"] = skipped if "ranking" in skip else guarded(
        "ranking", lambda: bench_ranking.run(ranking_people, ranking_seeds))
    results["real_ties"] = skipped if "real_ties" in skip else guarded(
        "real_ties", lambda: bench_real_ties.run(5 if quick else None, label="run_all", reuse=False))
    results["parsers"] = {}
    for name, (script, full_arguments, quick_arguments) in EXTERNAL_BENCHMARKS.items():
        results["parsers"][name] = skipped if name in skip else guarded(
            name, lambda: run_external(name, script, quick_arguments if quick else full_arguments))
    results["load_average_after"] = load_average()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny version of everything")
    parser.add_argument("--full", action="store_true", help="include 200k people")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["pipeline", "febrl3", "ranking", "real_ties", *EXTERNAL_BENCHMARKS], help="benchmarks to leave out")
    parser.add_argument("--out", help="folder for results.json, results.md, time_vs_size.png "
                        "(default bench/results/, or bench/results/quick/ with --quick)")
    parser.add_argument("--render", metavar="RESULTS_JSON",
                        help="run nothing: write results.md and the chart again from a results.json")
    args = parser.parse_args(argv)
    if args.render:
        results = json.loads(Path(args.render).read_text())
        out = Path(args.out) if args.out else Path(args.render).parent
    else:
        results = run(args.quick, args.full, set(args.skip))
        out = Path(args.out) if args.out else (RESULTS_DIR / "quick" if args.quick else RESULTS_DIR)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "results.json", results)
    (out / "results.md").write_text(markdown(results), encoding="utf-8")
    drawn = chart(results, out / "time_vs_size.png")
    print(f"wrote {out / 'results.json'}, {out / 'results.md'}" + (f", {out / 'time_vs_size.png'}" if drawn else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
