"""End to end through the Dagster UI: `strongties ui` (`dg dev`), GraphQL, a launched run, headless Chromium."""
from __future__ import annotations

import os
import re
import shutil
import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT, SAMPLE_AS_OF, TINY_INBOX
from warehouse.charts import FULL_BLOCK
from tests.ui_support import (
    Image,
    TERMINAL_RUN_STATUSES,
    DagsterServer,
    decode_png,
    node_boxes,
    read_png,
    run_chromium,
    start_strongties_ui,
    stop_process_group,
)

pytestmark = pytest.mark.timeout(600)

LOCATION = "strongties"
REPOSITORY = "__repository__"  # the name Dagster gives the repository behind a Definitions object
JOB = "refresh_warehouse"
GROUPS = {"ingest", "resolve", "metrics", "publish"}
EXPECTED_ASSETS = {
    "raw_vcard_cards", "stg_vcard_cards", "int_source_records", "person", "interaction",
    "tie_strength", "core_list", "published_warehouse",
}
# (asset, one of its upstream assets): the spine from one source file to the published warehouse.
EXPECTED_EDGES = {
    ("stg_vcard_cards", "raw_vcard_cards"),
    ("int_source_records", "stg_vcard_cards"),
    ("person", "int_source_records"),
    ("tie_strength", "interaction"),
    ("tie_strength", "person"),
    ("core_list", "tie_strength"),
    ("published_warehouse", "core_list"),
}
# The tiny inbox runs in under a minute here; a run queued behind the sensor's first run, on a
# busy 2-core machine, can take four times that.
RUN_TIMEOUT_S = 300
# The global lineage page of Dagster 1.13 (`/asset-groups`, titled "Global asset lineage").
LINEAGE_PATH = "/asset-groups"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WINDOW = (1600, 1000)
# At this window width the left navigation and the asset-group tree end at x = 540 and the
# toolbar at y = 110; the graph canvas is the rest, minus the zoom controls on the right edge.
GRAPH_CANVAS = (545, 112, 1540, 1000)
# The core_list asset's own page (its overview tab shows the latest materialization's metadata).
CORE_LIST_PATH = "/assets/core_list"


@dataclass
class UI:
    server: DagsterServer
    warehouse: Path
    temp_homes_before: set[Path]


@pytest.fixture(scope="module")
def ui(tmp_path_factory) -> UI:
    """`strongties ui` on the tiny inbox with a temporary DAGSTER_HOME and warehouse; stopped by its group."""
    root = tmp_path_factory.mktemp("ui")
    warehouse = root / "warehouse" / "strongties.duckdb"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(root / "dagster_home"),
        "STRONGTIES_INBOX": str(TINY_INBOX),
        "STRONGTIES_WAREHOUSE": str(warehouse),
        "STRONGTIES_AS_OF": SAMPLE_AS_OF,
    }
    temp_homes_before = set(REPO_ROOT.glob(".tmp_dagster_home_*"))
    # Started from another folder, as a user may: the command finds the project itself.
    server = start_strongties_ui(root, env, root / "strongties_ui.log")
    try:
        print(f"\n[ui] code location loaded {server.wait_until_loaded(LOCATION):.0f} s after start")
        # Our dagster.yaml turns the first-visit pop-up off: it would cover every page.
        assert server.graphql("{ shouldShowNux }")["shouldShowNux"] is False
        yield UI(server, warehouse, temp_homes_before)
    finally:
        stopping = time.monotonic()
        stop_process_group(server.process)
        print(f"\n[ui] server stopped in {time.monotonic() - stopping:.1f} s")


def test_strongties_ui_serves_dg_dev_on_this_machine_only_without_warnings_about_the_environment(ui):
    log = ui.server.log_tail(chars=200_000)
    assert log.startswith(f"Dagster UI on {ui.server.url} ")
    assert f"Serving dagster-webserver on {ui.server.url} " in log
    assert "virtual environment does not match" not in log
    assert "Traceback" not in log


def test_ui_lists_every_asset_with_its_group_and_lineage_edges(ui):
    nodes = ui.server.graphql("{ assetNodes { assetKey { path } dependencyKeys { path } groupName } }")["assetNodes"]
    upstream = {"/".join(node["assetKey"]["path"]): {"/".join(dep["path"]) for dep in node["dependencyKeys"]}
                for node in nodes}
    groups = {"/".join(node["assetKey"]["path"]): node["groupName"] for node in nodes}

    assert EXPECTED_ASSETS <= upstream.keys(), f"missing {EXPECTED_ASSETS - upstream.keys()}"
    missing_edges = {(asset, parent) for asset, parent in EXPECTED_EDGES if parent not in upstream[asset]}
    assert not missing_edges, f"lineage lacks (asset, upstream) {missing_edges}"
    assert set(groups.values()) == GROUPS
    assert groups["raw_vcard_cards"] == "ingest" and groups["core_list"] == "publish"
    # Every edge points at an asset the UI also lists: no dangling lineage.
    assert set().union(*upstream.values()) <= upstream.keys()


def test_run_launched_from_the_ui_succeeds_and_publishes_the_core_list(ui):
    launched = ui.server.graphql(
        """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
             __typename
             ... on LaunchRunSuccess { run { runId } }
             ... on PythonError { message }
             ... on RunConfigValidationInvalid { errors { message } }
             ... on Error { message } } }""",
        {"params": {"selector": {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY,
                                 "jobName": JOB},
                    "runConfigData": {}}})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]

    started = time.monotonic()
    status = wait_for_run(ui.server, run_id)
    print(f"\n[ui] run {status} after {time.monotonic() - started:.0f} s (queued behind the sensor's run, if any)")
    assert status == "SUCCESS", failure_summary(ui.server, run_id)

    assert ui.warehouse.is_file()
    with duckdb.connect(str(ui.warehouse), read_only=True) as connection:
        core_rows = connection.execute("SELECT count(*) FROM core_list").fetchone()[0]
    assert core_rows > 0

    latest = ui.server.graphql("""{ assetNodeOrError(assetKey: {path: ["core_list"]}) {
        __typename ... on AssetNode { assetMaterializations(limit: 1) { runId } } } }""")["assetNodeOrError"]
    assert latest["assetMaterializations"], "the UI shows no materialization of core_list"
    assert set(REPO_ROOT.glob(".tmp_dagster_home_*")) <= ui.temp_homes_before


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs Debian's chromium)")
def test_lineage_page_renders_the_asset_graph_in_headless_chromium(ui, tmp_path):
    # The sensor may have started a run of its own: capture the page once the statuses have settled.
    wait_until_idle(ui.server)
    url = ui.server.url + LINEAGE_PATH

    started = time.monotonic()
    screenshot = tmp_path / "lineage.png"
    run_chromium(CHROMIUM, url, [f"--screenshot={screenshot}"], tmp_path / "profile-shot", WINDOW)
    dom = run_chromium(CHROMIUM, url, ["--dump-dom"], tmp_path / "profile-dom", WINDOW).stdout.decode()
    print(f"\n[ui] two Chromium renders took {time.monotonic() - started:.0f} s; screenshot at {screenshot}")

    assert "Global asset lineage" in dom
    for group in GROUPS:
        assert f'data-tooltip="{group}"' in dom, f"no graph node for group {group}"
    edges = re.findall(r'<path d="M[^"]+" stroke="var\(--color-lineage-edge\)"', dom)
    assert len(edges) >= len(GROUPS) - 1, "the graph has too few edges between groups"

    image = read_png(screenshot)
    assert (image.width, image.height) == WINDOW
    assert len(image.colours((0, 0, image.width, image.height))) > 100, "the screenshot is blank"
    nodes = node_boxes(image, GRAPH_CANVAS)
    assert len(nodes) >= len(GROUPS), f"expected a box per group in the graph, found {nodes}"
    # The groups lie in a left-to-right flow: ingest, resolve, metrics, publish in three or more columns.
    assert len({left // 20 for left, _, _, _ in nodes}) >= 3, f"the boxes are not laid out as a graph: {nodes}"


def test_core_list_materialization_carries_its_preview_table_and_chart_without_names(ui):
    wait_until_idle(ui.server)
    node = ui.server.graphql("""{ assetNodeOrError(assetKey: {path: ["core_list"]}) {
        ... on AssetNode { assetMaterializations(limit: 1) { metadataEntries {
            label ... on TableMetadataEntry { table { records schema { columns { name } } } } } } } } }""")[
        "assetNodeOrError"]
    [materialization] = node["assetMaterializations"]
    tables = {entry["label"]: entry["table"] for entry in materialization["metadataEntries"] if "table" in entry}
    assert [column["name"] for column in tables["preview"]["schema"]["columns"]] == [
        "rank", "person_id", "core_score", "tie_strength"]
    assert tables["preview"]["records"] and tables["score_distribution"]["records"]
    assert "Priya" not in str(tables)  # the run history holds no names unless the owner asks


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs Debian's chromium)")
def test_core_list_page_shows_its_table_and_chart_in_headless_chromium(ui, tmp_path):
    wait_until_idle(ui.server)
    url = ui.server.url + CORE_LIST_PATH
    started = time.monotonic()
    dom = run_chromium(CHROMIUM, url, ["--dump-dom"], tmp_path / "profile-core-list", WINDOW).stdout.decode()
    print(f"\n[ui] the core_list page rendered in {time.monotonic() - started:.0f} s")
    # The preview: a table whose header holds the columns, and a row per person on the list.
    assert re.search(r"<th[^>]*>core_score</th>", dom), "no preview table on the core_list page"
    assert re.search(r"<td[^>]*>p_[0-9a-f]{12}</td>", dom), "the preview table has no rows"
    # The chart: score bands with bars of block characters, in a table drawn in place.
    assert re.search(r"<th[^>]*>layer_ends_here</th>", dom), "no score chart on the core_list page"
    assert re.search(rf"<td[^>]*>{FULL_BLOCK}+[^<]*</td>", dom), "the chart has no bars"
    assert "Show Markdown" not in dom.split("score_distribution", 1)[-1][:2000]


def wait_for_run(server: DagsterServer, run_id: str) -> str:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while True:
        status = server.graphql("query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status } } }",
                            {"id": run_id})["runOrError"].get("status")
        if status in TERMINAL_RUN_STATUSES or time.monotonic() > deadline:
            return status
        time.sleep(2)


def wait_until_idle(server: DagsterServer) -> None:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while server.active_run_count() and time.monotonic() < deadline:
        time.sleep(2)


def failure_summary(server: DagsterServer, run_id: str) -> str:
    """The failed steps' error messages, for the assertion message."""
    events = server.graphql("""query($id: ID!) { logsForRun(runId: $id) { __typename ... on EventConnection {
        events { __typename ... on ExecutionStepFailureEvent { stepKey error { message } }
                 ... on RunFailureEvent { message } } } } }""", {"id": run_id})["logsForRun"]
    failures = [event for event in events.get("events", []) if event.get("__typename") in
                {"ExecutionStepFailureEvent", "RunFailureEvent"}]
    return "\n".join(str(event) for event in failures)[:4000] or f"no failure events; server log:\n{server.log_tail()}"


@pytest.mark.parametrize("colour_type", [2, 6])
def test_png_reader_undoes_every_row_filter(colour_type):
    width, height = 7, 5
    pixels = [bytes((17 * x + 40 * y) % 256 for x in range(width) for _ in range(3)) for y in range(height)]
    image = decode_png(encode_png(width, pixels, colour_type))
    assert (image.width, image.height) == (width, height)
    assert image.pixels == pixels


def test_node_boxes_finds_rectangles_but_not_thin_lines():
    white, grey = b"\xff\xff\xff", b"\xe1\xe3\xe8"
    rows = []
    for y in range(60):
        row = bytearray(white * 400)
        if 10 <= y < 40:  # a 150 x 30 box at x = 20 and another at x = 220
            row[3 * 20:3 * 170] = grey * 150
            row[3 * 220:3 * 370] = grey * 150
        if y == 50:  # a long thin line is not a box
            row[0:3 * 400] = grey * 400
        rows.append(bytes(row))
    boxes = node_boxes(Image(400, 60, rows), (0, 0, 400, 60))
    assert boxes == [(20, 10, 170, 39), (220, 10, 370, 39)]


def encode_png(width: int, rgb_rows: list[bytes], colour_type: int) -> bytes:
    """A PNG whose rows cycle through the five filter types, as encoders choose them row by row."""
    channels = 3 if colour_type == 2 else 4
    rows = [row if channels == 3 else b"".join(row[i:i + 3] + b"\x80" for i in range(0, len(row), 3))
            for row in rgb_rows]
    raw, previous = bytearray(), bytes(len(rows[0]))
    for y, row in enumerate(rows):
        kind = y % 5
        raw.append(kind)
        for i, value in enumerate(row):
            a = row[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
            raw.append((value - predictor) % 256)
        previous = row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, len(rows), 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw)))
            + chunk(b"IEND", b""))


def paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)

