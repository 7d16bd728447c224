"""The benchmarks still run: a small pipeline benchmark on the sample, and the arithmetic they report with.

Benchmarks are not tests: nothing here asserts a timing, only that the figures are produced.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "bench"))

from bench_pipeline import meets  # noqa: E402
from common import fitted_exponent, pairwise_scores  # noqa: E402

STAGES = {"read_inbox", "ingest_sql_models", "resolve_people", "resolve_sql_models",
          "metrics_sql_models", "publish_sql_models", "published_warehouse"}
PHASES = {"startup_s", "run_setup_s", "steps_s", "report_s"}


@pytest.fixture(scope="module")
def sample_benchmark(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    output = folder / "pipeline.json"
    environment = {**os.environ, "STRONGTIES_BENCH_CACHE": str(folder / "cache")}
    completed = subprocess.run(
        [sys.executable, "bench/bench_pipeline.py", "--sizes", "sample", "--json", str(output)],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=540)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    return json.loads(output.read_text())


def test_sample_benchmark_names_the_machine_it_ran_on(sample_benchmark):
    machine = sample_benchmark["machine"]
    assert machine["cores"] > 0
    assert machine["ram_gb"] > 0
    assert machine["python"] and machine["duckdb"] and machine["dagster"]
    assert len(machine["load_average"]) == 3


def test_sample_benchmark_times_both_runs_with_every_stage(sample_benchmark):
    [entry] = sample_benchmark["runs"]
    assert entry["size"] == "sample"
    assert entry["people"] == 150
    assert entry["inbox_mb"] > 0
    for run in (entry["first"], entry["incremental"]):
        assert run["returncode"] == 0
        assert run["wall_s"] > 0 and run["cpu_s"] > 0 and run["peak_rss_mb"] > 0
        assert set(run["phases"]) == PHASES
        assert run["phases"]["steps_s"] > 0
        assert STAGES <= set(run["stages"])  # stages may be added
        assert all(stage["seconds"] >= 0 and stage["peak_rss_mb"] > 0 for stage in run["stages"].values())
        assert sum(stage["seconds"] for stage in run["stages"].values()) > 0


def test_sample_benchmark_scores_the_people_it_resolved(sample_benchmark):
    [entry] = sample_benchmark["runs"]
    resolution = entry["resolution"]
    assert resolution["true_people"] > 100
    assert resolution["people"] > 100
    assert 0 < resolution["precision"] <= 1 and 0 < resolution["recall"] <= 1


def test_sample_benchmark_judges_the_personal_target(sample_benchmark):
    [entry] = sample_benchmark["runs"]
    assert entry["meets_target"] == (entry["first"]["wall_s"] <= entry["target"]["wall_s"])


def test_a_target_is_met_only_within_every_limit_and_by_a_run_that_succeeded():
    target = {"wall_s": 60, "peak_rss_mb": 2048}
    assert meets(target, {"returncode": 0, "wall_s": 59.9, "peak_rss_mb": 2048})
    assert not meets(target, {"returncode": 0, "wall_s": 59.9, "peak_rss_mb": 2049})
    assert not meets(target, {"returncode": 1, "wall_s": 1, "peak_rss_mb": 1})
    assert meets({"wall_s": 15, "peak_rss_mb": None}, {"returncode": 0, "wall_s": 15, "peak_rss_mb": 9e9})
    assert meets(None, {"returncode": 0, "wall_s": 1}) is None


def test_linear_growth_fits_an_exponent_of_one():
    assert fitted_exponent([2_000, 20_000, 200_000], [3.0, 30.0, 300.0]) == pytest.approx(1.0)
    assert fitted_exponent([2_000, 20_000], [4.0, 400.0]) == pytest.approx(2.0)
    assert fitted_exponent([2_000], [4.0]) is None


def test_pairwise_scores_count_pairs_of_clusters():
    truth = ["a", "a", "a", "b", "b", "c"]
    # One of a's three records split off, and c merged into b: 1 of 3 a-pairs kept, b's pair kept.
    predicted = [1, 1, 2, 3, 3, 3]
    scores = pairwise_scores(truth, predicted)
    assert scores["true_pairs"] == 4
    assert scores["predicted_pairs"] == 4
    assert scores["precision"] == pytest.approx(2 / 4)
    assert scores["recall"] == pytest.approx(2 / 4)
    assert scores["f1"] == pytest.approx(0.5)
