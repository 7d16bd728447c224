"""Times tie_strength_history (int_tie_features, 24 month-ends in one pass) against tie_strength.

Usage:
    .venv/bin/python bench/bench_time.py                   # a generated inbox of 20k people
    .venv/bin/python bench/bench_time.py --people 2000 --json out.json

The inbox runs through the product once (cached in bench/.cache/); then, on a copy of its
working database, each model is rebuilt `--repeats` times and the fastest build counts (the
machine is shared, and the minimum is the least disturbed figure). Issue 16's target: the
history within 1.5x the time of tie_strength.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import CACHE_DIR, cached_inbox, run_pipeline, write_json  # noqa: E402
from assets.resource import working_path_for  # noqa: E402

# Issue 16: the history may cost at most this multiple of the tie_strength build.
TARGET_RATIO = 1.5
HISTORY_MODELS = ("int_tie_features", "tie_strength_history")


def fastest_build(connection, sql: str, name: str, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        connection.execute(f"CREATE OR REPLACE TABLE {name} AS\n{sql}")
        timings.append(time.perf_counter() - started)
    return min(timings)


def bench(working_database: Path, as_of: str, repeats: int) -> dict:
    import duckdb

    from warehouse.config import ScoringConfig, sql_variables
    from warehouse.models import load_models

    models = {model.name: model for model in load_models()}
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "work.duckdb"
        shutil.copy(working_database, copy)
        with duckdb.connect(str(copy)) as connection:
            for name, value in sql_variables(ScoringConfig(), as_of).items():
                connection.execute(f"SET VARIABLE {name} = ?", [value])
            history = sum(fastest_build(connection, models[name].sql, name, repeats) for name in HISTORY_MODELS)
            tie_strength = fastest_build(connection, models["tie_strength"].sql, "tie_strength", repeats)
            interactions, people, rows = connection.execute(
                "SELECT (SELECT count(*) FROM interaction), (SELECT count(*) FROM tie_strength), "
                "(SELECT count(*) FROM tie_strength_history)").fetchone()
    return {"interactions": interactions, "ties": people, "history_rows": rows,
            "tie_strength_s": round(tie_strength, 4), "history_s": round(history, 4),
            "ratio": round(history / tie_strength, 2), "target_ratio": TARGET_RATIO,
            "meets_target": history <= TARGET_RATIO * tie_strength}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--working-database", type=Path, help="an existing working database to time instead")
    parser.add_argument("--as-of", default="2026-11-20")
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args(argv)
    working = arguments.working_database
    if working is None:
        inbox, _, _ = cached_inbox(arguments.people, arguments.seed)
        run = run_pipeline(inbox, CACHE_DIR / f"time-{arguments.people}-s{arguments.seed}", arguments.as_of)
        working = working_path_for(Path(run["warehouse"]))
    result = {"people": arguments.people, **bench(working, arguments.as_of, arguments.repeats)}
    print(f"tie_strength_history at {arguments.people:,} people ({result['interactions']:,} interactions): "
          f"{result['history_s']:.3f} s against tie_strength {result['tie_strength_s']:.3f} s "
          f"= {result['ratio']}x (target {TARGET_RATIO}x)")
    if arguments.json:
        write_json(arguments.json, result)
    return result


if __name__ == "__main__":
    main()
