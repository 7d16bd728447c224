"""Shared helpers of the bench scripts: cached generated inboxes, timing a whole `make run`, machine facts."""
from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime, timezone
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO_ROOT / "bench"
# Generated inboxes and run folders; the smoke test points this at a temporary folder.
CACHE_DIR = Path(os.environ.get("STRONGTIES_BENCH_CACHE") or BENCH_DIR / ".cache")
RESULTS_DIR = BENCH_DIR / "results"
SAMPLE_INBOX = REPO_ROOT / "data" / "sample"
SAMPLE_TRUTH = REPO_ROOT / "data" / "sample_truth.csv"
GENERATOR = REPO_ROOT / "data" / "generate_inbox.py"
# The shipped sample and every generated inbox are written as of this day (`make sample`);
# runs pin STRONGTIES_AS_OF to it so results do not drift with the calendar.
AS_OF = "2026-11-20"
# Memory is sampled this often; 50 ms catches the peaks of stages that last a second or more
# at a cost of well under 1% of one core.
POLL_SECONDS = 0.05
MB = 1024 * 1024
PROJECT_PACKAGES = ["pipelines", "assets", "connectors", "warehouse", "data"]
# What a timed process reports, whoever ran it.
TIMING_KEYS = ("returncode", "wall_s", "cpu_s", "peak_rss_mb", "load_average_before")

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


# --- Machine ------------------------------------------------------------------------------

def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def load_average() -> list[float]:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return []


def machine_description() -> dict:
    """What the figures were measured on; the load average matters because the machine is shared."""
    usable_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable_cores,
        "ram_gb": _ram_gb(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "duckdb": _version("duckdb"),
        "dagster": _version("dagster"),
        "splink": _version("splink"),
        "measured_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": load_average(),
    }


def machine_line(machine: dict) -> str:
    return (f"{machine['cpu']}, {machine['cores']} cores, {machine['ram_gb']} GB RAM, {machine['os']}; "
            f"Python {machine['python']}, DuckDB {machine['duckdb']}, Dagster {machine['dagster']}; "
            f"{machine['measured_at']}; load average {machine['load_average']}")


# --- Inboxes ------------------------------------------------------------------------------

def _generator_fingerprint() -> str:
    """A cached inbox is reused only while the generator that wrote it is unchanged."""
    return hashlib.sha256(GENERATOR.read_bytes()).hexdigest()[:10]


def folder_megabytes(folder: Path) -> float:
    return round(sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / MB, 2)


def cached_inbox(people: int, seed: int = 7) -> tuple[Path, Path, dict]:
    """A generated inbox of `people` and its truth CSV under bench/.cache/, generated on first use."""
    from data.generate_inbox import generate_inbox

    stem = f"{people}-s{seed}-{_generator_fingerprint()}"
    inbox = CACHE_DIR / f"inbox-{stem}"
    truth = CACHE_DIR / f"truth-{stem}.csv"
    # The marker lies outside the inbox (strongties would otherwise read it) and is written
    # last, so an interrupted generation is redone rather than reused half-written.
    marker = CACHE_DIR / f"inbox-{stem}.json"
    if marker.exists() and inbox.is_dir() and truth.exists():
        return inbox, truth, json.loads(marker.read_text())
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    counts = generate_inbox(inbox, people=people, seed=seed, as_of=date.fromisoformat(AS_OF), truth_path=truth)
    facts = {"counts": counts, "generated_in_s": round(time.perf_counter() - started, 1),
             "inbox_mb": folder_megabytes(inbox)}
    marker.write_text(json.dumps(facts, indent=2))
    return inbox, truth, facts


# --- Timing a whole run -------------------------------------------------------------------

def _own_rss(pid: int) -> int:
    """Resident bytes of one process from /proc, for when psutil (a bench extra) is absent."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def process_tree_rss(process) -> int:
    """Resident memory of a process and all its children now (psutil), or of a pid alone."""
    if isinstance(process, int):
        return _own_rss(process)
    import psutil

    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            pass
    return total


def timed_process(command: list[str], env: dict, cwd: Path, stdout_path: Path, stderr_path: Path) -> dict:
    """Runs a command to its end; wall seconds, CPU seconds, peak RSS and a memory timeline.

    The peak is the larger of psutil's polled sum over the process tree and the kernel's
    exact high-water mark of the main process (wait4's ru_maxrss), which polling can miss.
    Without psutil only the main process is polled (`pipelines.run` starts no children).
    """
    try:
        import psutil
    except ImportError:
        psutil = None

    samples: list[tuple[float, int]] = []
    load_before = load_average()
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        started_at = time.time()
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=err)
        watched = psutil.Process(child.pid) if psutil else child.pid
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            samples.append((time.time(), process_tree_rss(watched)))
            time.sleep(POLL_SECONDS)
        wall = time.perf_counter() - started
        finished_at = time.time()
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keeps Popen from waiting again
    # The kernel's high-water mark starts from this process's at the fork: below or at ours it
    # may be ours, not the child's (a 400 MB benchmark parent made a 250 MB Splink read 412 MB).
    kernel_peak = usage.ru_maxrss * 1024
    if kernel_peak <= resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024:
        kernel_peak = 0
    peak = max([kernel_peak, *(rss for _, rss in samples)])
    return {
        "returncode": child.returncode,
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(peak / MB, 1),
        "load_average_before": load_before,
        "started_at": started_at,
        "finished_at": finished_at,
        "samples": samples,
    }


def _utc_epoch(text: str) -> float:
    # Dagster's SQLite event log keeps naive UTC timestamps.
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def dagster_step_events(dagster_home: Path) -> dict | None:
    """Event times of the latest run in DAGSTER_HOME, read from Dagster's SQLite event log."""
    runs_db = dagster_home / "history" / "runs.db"
    if not runs_db.exists():
        return None
    with sqlite3.connect(runs_db) as runs:
        row = runs.execute("SELECT run_id FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    if not row:
        return None
    run_db = dagster_home / "history" / "runs" / f"{row[0]}.db"
    if not run_db.exists():
        return None
    with sqlite3.connect(run_db) as events:
        rows = events.execute(
            "SELECT dagster_event_type, step_key, timestamp FROM event_logs ORDER BY id").fetchall()
    found = {"first_event": None, "run_start": None, "run_end": None, "steps": {}}
    for event_type, step_key, stamp in rows:
        moment = _utc_epoch(stamp)
        if found["first_event"] is None:
            found["first_event"] = moment
        if event_type == "PIPELINE_START":
            found["run_start"] = moment
        elif event_type in ("PIPELINE_SUCCESS", "PIPELINE_FAILURE"):
            found["run_end"] = moment
        elif event_type == "STEP_START":
            found["steps"][step_key] = {"start": moment}
        elif event_type in ("STEP_SUCCESS", "STEP_FAILURE") and step_key in found["steps"]:
            found["steps"][step_key]["end"] = moment
            found["steps"][step_key]["ok"] = event_type == "STEP_SUCCESS"
    return found


def _peak_between(samples: list[tuple[float, int]], start: float, end: float) -> float | None:
    inside = [rss for moment, rss in samples if start <= moment <= end]
    if not inside and samples:  # a stage shorter than one poll: the nearest sample
        inside = [min(samples, key=lambda sample: abs(sample[0] - (start + end) / 2))[1]]
    return round(max(inside) / MB, 1) if inside else None


def compile_project() -> None:
    """Byte-compiles the project as `make run` does: a machine that sets PYTHONDONTWRITEBYTECODE
    (this one does) would otherwise compile every module from source on each run, 0.3 s."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", *PROJECT_PACKAGES], cwd=REPO_ROOT, check=True)


def run_pipeline(inbox: Path, workdir: Path, as_of: str = AS_OF, fresh: bool = True,
                 label: str = "run", extra_env: dict | None = None, keep_history: bool = False) -> dict:
    """`python -m pipelines.run` on an inbox as a user runs it: one whole process, timed.

    `fresh` starts from an empty warehouse in `workdir`, and from an empty DAGSTER_HOME unless
    `keep_history` (a machine that has run strongties before, so Dagster's run history exists);
    without `fresh` the previous run's are reused (a second `make run` on the same inbox).
    """
    workdir = Path(workdir)
    dagster_home = workdir / "dagster_home"
    warehouse = workdir / "warehouse" / "strongties.duckdb"
    if fresh:
        shutil.rmtree(warehouse.parent, ignore_errors=True)
        if not keep_history:
            shutil.rmtree(dagster_home, ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    compile_project()
    env = {key: value for key, value in os.environ.items() if not key.startswith("STRONGTIES_")}
    env.update({"DAGSTER_HOME": str(dagster_home), "STRONGTIES_INBOX": str(inbox),
                "STRONGTIES_WAREHOUSE": str(warehouse), "STRONGTIES_AS_OF": as_of,
                "PYTHONUNBUFFERED": "1", **(extra_env or {})})
    timing = timed_process([sys.executable, "-m", "pipelines.run"], env, REPO_ROOT,
                           workdir / f"{label}.out", workdir / f"{label}.err")
    samples = timing.pop("samples")
    result = {key: timing[key] for key in TIMING_KEYS}
    result["warehouse"] = str(warehouse)
    if timing["returncode"] != 0:
        result["error_tail"] = (workdir / f"{label}.err").read_text(errors="replace")[-2000:]
    events = dagster_step_events(dagster_home)
    if events and events["first_event"] and events["run_end"]:
        started, finished = timing["started_at"], timing["finished_at"]
        run_start = events["run_start"] or events["first_event"]
        result["phases"] = {
            # Python, Dagster and project imports, loading the definitions, the instance.
            "startup_s": round(events["first_event"] - started, 2),
            # Dagster recording the run and its planned materializations before any step.
            "run_setup_s": round(run_start - events["first_event"], 2),
            "steps_s": round(events["run_end"] - run_start, 2),
            # Printing the core list, closing; process exit.
            "report_s": round(finished - events["run_end"], 2),
        }
        result["stages"] = {
            step: {"seconds": round(times["end"] - times["start"], 2),
                   "peak_rss_mb": _peak_between(samples, times["start"], times["end"])}
            for step, times in events["steps"].items() if "end" in times
        }
    return result


# --- Arithmetic and output ----------------------------------------------------------------

def fitted_exponent(sizes: list[float], values: list[float]) -> float | None:
    """Least-squares slope of log(value) against log(size): 1 is linear growth."""
    points = [(math.log(size), math.log(value)) for size, value in zip(sizes, values) if size > 0 and value > 0]
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return None
    return round(sum((x - mean_x) * (y - mean_y) for x, y in points) / spread, 3)


def pair_count(group_sizes) -> int:
    return sum(size * (size - 1) // 2 for size in group_sizes)


def pairwise_scores(true_labels: list, predicted_labels: list) -> dict:
    """Pairwise precision, recall and F1 of a clustering against the truth, without listing pairs."""
    from collections import Counter

    both = pair_count(Counter(zip(true_labels, predicted_labels)).values())
    predicted = pair_count(Counter(predicted_labels).values())
    true = pair_count(Counter(true_labels).values())
    precision = both / predicted if predicted else 1.0
    recall = both / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "true_pairs": true, "predicted_pairs": predicted}


def resolution_quality(warehouse: Path | str, truth_path: Path | str) -> dict:
    """Pairwise precision, recall and F1 of the published people against the generator's truth,
    with the people found and the pairs left for the owner to review."""
    import duckdb

    true_person = {(row["source"], row["source_key"]): row["true_person"] for row in read_truth(truth_path)
                   if row["true_person"] != "owner"}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        records = connection.execute("SELECT source, source_key, person_id FROM source_record").fetchall()
        people = connection.execute("SELECT count(*) FROM person").fetchone()[0]
        review = connection.execute("SELECT count(*) FROM match_review").fetchone()[0]
    known = [(true_person[(source, key)], person_id) for source, key, person_id in records if (source, key) in true_person]
    scores = pairwise_scores([truth for truth, _ in known], [person for _, person in known])
    scores.update({"records_scored": len(known), "true_people": len({truth for truth, _ in known}),
                   "people": people, "match_review_pairs": review})
    return scores


def write_json(path: Path | str | None, payload: dict) -> None:
    if not path:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")


def read_truth(truth_path: Path) -> list[dict]:
    import csv

    with Path(truth_path).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def is_true(flag: str) -> bool:
    return str(flag).strip().lower() in ("1", "true", "yes")
