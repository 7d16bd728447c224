"""The README's warehouse documentation: every published column documented, every example query runs."""
from __future__ import annotations

import re

import duckdb

from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def documented_tables() -> dict[str, str]:
    section = README.split("## Query the warehouse", 1)[1]
    return {match.group(1): match.group(2) for match in re.finditer(r"^\| `(\w+)` \| [^|]+ \| (.+) \|$", section, re.M)}


def example_queries() -> list[str]:
    section = README.split("## Query the warehouse", 1)[1]
    return re.findall(r"```sql\n(.*?)```", section, re.S)


def test_readme_opens_with_the_commands():
    opening = README[:1500]
    for command in ("make run", "make test", "make ui"):
        assert command in opening


def test_every_published_table_and_column_is_documented(tiny_warehouse):
    documented = documented_tables()
    with duckdb.connect(str(tiny_warehouse), read_only=True) as connection:
        published = connection.execute("SELECT table_name, list(column_name) FROM information_schema.columns GROUP BY ALL").fetchall()
    assert {table for table, _ in published} == set(documented)
    for table, columns in published:
        missing = [column for column in columns if f"`{column}`" not in documented[table]]
        assert not missing, f"README does not document {table}.{missing}"


def test_example_queries_run_and_answer(tiny_warehouse):
    queries = example_queries()
    assert len(queries) == 8
    with duckdb.connect(str(tiny_warehouse), read_only=True) as connection:
        answers = [connection.execute(sql).fetchall() for sql in queries]
    core_list, _, pareto, dormant, _, _, _, closest_over_time = answers
    assert closest_over_time and len(closest_over_time) <= 25
    assert core_list[0][1] == "Priya Shah"
    assert pareto[0][0] == 2
    assert [row[1] for row in dormant] == ["Dana Lee"]
