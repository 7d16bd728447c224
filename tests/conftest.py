"""Shared test helpers: where ../shared is, and running the whole graph into a temporary warehouse."""
from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
FIXTURES = REPO_ROOT / "tests" / "fixtures"
TINY_INBOX = FIXTURES / "tiny_inbox"
SAMPLE_INBOX = REPO_ROOT / "data" / "sample"
SAMPLE_AS_OF = "2026-11-20"


def pytest_configure(config) -> None:
    # Long campaigns (minutes of fuzzing or generated input) are marked slow: `make test` leaves
    # them out so that it stays within its five minutes on 2 cores; plain `pytest` runs them.
    config.addinivalue_line("markers", "slow: takes minutes; left out of `make test`")


def copy_of_tiny_inbox(folder: Path) -> Path:
    """The tiny fixture inbox copied to `folder`/inbox, for a test to add, change or remove files."""
    inbox = folder / "inbox"
    shutil.copytree(TINY_INBOX, inbox)
    return inbox


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or a clean skip where it is absent (a user's clone has none)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here (only the team's machines have ../shared)")
    return path


def materialize_all(inbox: Path, warehouse_path: Path, as_of: str, core_list_size: int = 10) -> dg.ExecuteInProcessResult:
    """Runs every asset and check of the code location, as `make run` does, on `inbox`."""
    from pipelines.definitions import defs
    from assets.resource import StrongtiesWarehouse, working_path_for

    warehouse = StrongtiesWarehouse(
        database=str(working_path_for(warehouse_path)), inbox=str(inbox),
        published_path=str(warehouse_path), as_of=as_of, core_list_size=core_list_size)
    # An in-memory instance: nothing reads a test run's history after this returns (the result
    # carries its events), and the SQLite instance of dg.instance_for_test cost 2 s more per run
    # on 2 cores, a minute of the suite. The real history storage is tested through
    # `python -m pipelines.run` (tests/test_operations.py, tests/test_hostile_ops.py).
    with dg.DagsterInstance.ephemeral() as instance:
        return dg.materialize([*defs.assets, *defs.asset_checks], resources={"warehouse": warehouse},
                              instance=instance, raise_on_error=False)


def failed_checks(result: dg.ExecuteInProcessResult) -> list[str]:
    return [evaluation.check_name for evaluation in result.get_asset_check_evaluations() if not evaluation.passed]


def query(warehouse_path: Path, sql: str, params: list | None = None):
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        return connection.execute(sql, params or []).fetch_df()


def rows(warehouse_path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


@pytest.fixture(scope="session")
def tiny_warehouse(tmp_path_factory) -> Path:
    """The tiny inbox materialized once for every test that only reads the result."""
    warehouse = tmp_path_factory.mktemp("tiny") / "strongties.duckdb"
    result = materialize_all(TINY_INBOX, warehouse, SAMPLE_AS_OF)
    assert result.success
    assert failed_checks(result) == []
    return warehouse
