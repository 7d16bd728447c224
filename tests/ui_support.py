"""Helpers for the UI end-to-end test: `strongties ui` in its own process group, GraphQL, headless Chromium, PNGs."""
from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass, field
from pathlib import Path

# `dg dev` on a 2-core machine takes 20-40 s to load the code location; three times that
# leaves room for a busy machine without hiding a server that never comes up.
SERVER_START_TIMEOUT_S = 150
# SIGTERM lets `dg dev` stop its webserver, daemon and code servers cleanly, which took
# 7-11 s on 2 cores; after this the whole process group is killed.
STOP_GRACE_S = 30
GRAPHQL_TIMEOUT_S = 60
TERMINAL_RUN_STATUSES = {"SUCCESS", "FAILURE", "CANCELED"}
ACTIVE_RUN_STATUSES = ["QUEUED", "NOT_STARTED", "MANAGED", "STARTING", "STARTED", "CANCELING"]


def free_port() -> int:
    """A port nobody listens on now; the small race until the server binds it is acceptable in a test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_process_group(process: subprocess.Popen, grace_s: float = STOP_GRACE_S) -> None:
    """SIGTERM to the group of `process`, started with `start_new_session`; SIGKILL what is left after `grace_s`."""
    group = process.pid  # a session leader's pid is its group id
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 10)):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and _group_alive(group):
            try:
                process.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
        if not _group_alive(group):
            break
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class GraphQLError(AssertionError):
    pass


@dataclass
class DagsterServer:
    """A running `strongties ui` (`dg dev`): its process, its address and its combined output file."""

    process: subprocess.Popen
    port: int
    log_path: Path
    started_at: float = field(default_factory=time.monotonic)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no server log)"

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        """The `data` of a GraphQL answer; raises GraphQLError when the answer carries errors."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(f"{self.url}/graphql", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=GRAPHQL_TIMEOUT_S) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as refusal:
            # A query the schema rejects comes back as HTTP 400 with the reasons in the body.
            raise GraphQLError(f"HTTP {refusal.code}: {refusal.read().decode(errors='replace')[:3000]}") from None
        if answer.get("errors"):
            raise GraphQLError(json.dumps(answer["errors"], indent=1)[:3000])
        return answer["data"]

    def wait_until_loaded(self, location: str, timeout_s: float = SERVER_START_TIMEOUT_S) -> float:
        """Seconds until the server answers and `location` is loaded; fails with the log tail otherwise."""
        deadline = self.started_at + timeout_s
        last_problem = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"strongties ui exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                status = self.location_status(location)
            except (urllib.error.URLError, ConnectionError, TimeoutError, GraphQLError) as problem:
                last_problem = repr(problem)
            else:
                if status == "LOADED":
                    return time.monotonic() - self.started_at
                last_problem = f"location {location} is {status}"
            time.sleep(1)
        raise AssertionError(f"the UI did not load within {timeout_s} s ({last_problem}):\n{self.log_tail()}")

    def location_status(self, location: str) -> str | None:
        data = self.graphql("""{ workspaceOrError { __typename ... on Workspace {
            locationEntries { name loadStatus locationOrLoadError { __typename
              ... on PythonError { message } } } } } }""")
        for entry in data["workspaceOrError"].get("locationEntries", []):
            if entry["name"] == location:
                error = entry["locationOrLoadError"] or {}
                if error.get("__typename") == "PythonError":
                    raise AssertionError(f"location {location} failed to load: {error['message']}")
                return entry["loadStatus"]
        return None

    def active_run_count(self) -> int:
        data = self.graphql("""query($statuses: [RunStatus!]) {
            runsOrError(filter: {statuses: $statuses}) { __typename ... on Runs { results { runId } } } }""",
                            {"statuses": ACTIVE_RUN_STATUSES})
        return len(data["runsOrError"]["results"])


# A job started in the background by a non-interactive shell (CI, `make test &`) inherits SIGINT
# ignored; `dg dev` maps SIGTERM onto the SIGINT handler, so it would ignore SIGTERM too and
# only SIGKILL could stop it, leaving its temporary sockets behind. The server therefore starts
# through this small launcher, which restores both signals to their defaults before the exec.
_EXEC_WITH_DEFAULT_SIGNALS = (
    "import os, signal, sys\n"
    "signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
    "signal.signal(signal.SIGTERM, signal.SIG_DFL)\n"
    "os.execv(sys.argv[1], sys.argv[1:])\n"
)


def start_strongties_ui(cwd: Path, env: dict[str, str], log_path: Path) -> DagsterServer:
    """`strongties ui --port N`, as a user starts it (it execs `dg dev` on 127.0.0.1), on a free
    port, leading its own session so the whole tree can be stopped."""
    port = free_port()
    strongties = Path(sys.executable).with_name("strongties")
    if not strongties.exists():
        raise AssertionError(f"no strongties command next to {sys.executable}: install the project (make run)")
    log = log_path.open("wb")
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", _EXEC_WITH_DEFAULT_SIGNALS, str(strongties), "ui", "--port", str(port)],
            cwd=cwd,
            env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    finally:
        log.close()  # the child holds its own descriptor
    return DagsterServer(process=process, port=port, log_path=log_path)


# Headless Chromium --------------------------------------------------------------------------------

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--disable-dev-shm-usage",
    "--hide-scrollbars",
]
# Virtual time lets the single-page app fetch its data and lay out the graph before the capture;
# 20 s of it is about twice what the lineage page needs here. One render takes 10-16 s of wall
# time on 2 cores; the limit is a guard, because virtual time stalls while a request is pending
# and once, on the first launch after installing Chromium, a render never ended (later ones did).
VIRTUAL_TIME_BUDGET_MS = 20_000
CHROMIUM_WALL_TIMEOUT_S = 75
CHROMIUM_ATTEMPTS = 2


def run_chromium(chromium: str, url: str, action: list[str], user_data_dir: Path,
                 window: tuple[int, int]) -> subprocess.CompletedProcess:
    """One headless Chromium call, retried when it hangs; each attempt leads its own process group."""
    problems = []
    for attempt in range(1, CHROMIUM_ATTEMPTS + 1):
        profile = user_data_dir / f"attempt{attempt}"
        command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                   f"--window-size={window[0]},{window[1]}", f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
                   *action, url]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True)
        try:
            stdout, stderr = process.communicate(timeout=CHROMIUM_WALL_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            stop_process_group(process, grace_s=5)
            problems.append(f"attempt {attempt}: no result within {CHROMIUM_WALL_TIMEOUT_S} s")
            continue
        finally:
            if process.poll() is None:
                stop_process_group(process, grace_s=5)
        if process.returncode == 0:
            return subprocess.CompletedProcess(command, 0, stdout, stderr)
        problems.append(f"attempt {attempt}: exit {process.returncode}: {stderr.decode(errors='replace')[-1500:]}")
    raise AssertionError("headless Chromium failed:\n" + "\n".join(problems))


# PNG ----------------------------------------------------------------------------------------------

@dataclass
class Image:
    width: int
    height: int
    pixels: list[bytes]  # one row of RGB triplets per entry

    def rgb(self, x: int, y: int) -> tuple[int, int, int]:
        row = self.pixels[y]
        return row[3 * x], row[3 * x + 1], row[3 * x + 2]

    def colours(self, box: tuple[int, int, int, int]) -> dict[tuple[int, int, int], int]:
        """How many pixels of each colour lie in box = (left, top, right, bottom)."""
        left, top, right, bottom = box
        counts: dict[tuple[int, int, int], int] = {}
        for y in range(top, bottom):
            row = self.pixels[y]
            for x in range(left, right):
                colour = (row[3 * x], row[3 * x + 1], row[3 * x + 2])
                counts[colour] = counts.get(colour, 0) + 1
        return counts


def read_png(path: Path) -> Image:
    return decode_png(path.read_bytes())


def decode_png(data: bytes) -> Image:
    """Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) into RGB rows."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    offset, idat, header = 8, bytearray(), None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        chunk = data[offset + 8:offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("a PNG without IHDR")
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour_type}, interlace {interlace})")
    channels = 3 if colour_type == 2 else 4
    stride = width * channels
    raw = zlib.decompress(bytes(idat))
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1:start + 1 + stride]), previous, channels)
        rows.append(bytes(line) if channels == 3 else _drop_alpha(line))
        previous = line
    return Image(width, height, rows)


def _drop_alpha(line: bytearray) -> bytes:
    rgb = bytearray(len(line) // 4 * 3)
    for channel in range(3):
        rgb[channel::3] = line[channel::4]
    return bytes(rgb)


def _unfilter(kind: int, line: bytearray, previous: bytearray, bpp: int) -> bytearray:
    if kind == 0:
        return line
    if kind == 1:
        for i in range(bpp, len(line)):
            line[i] = (line[i] + line[i - bpp]) & 0xFF
    elif kind == 2:
        for i in range(len(line)):
            line[i] = (line[i] + previous[i]) & 0xFF
    elif kind == 3:
        for i in range(len(line)):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
    elif kind == 4:
        for i in range(len(line)):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + predictor) & 0xFF
    else:
        raise ValueError(f"unknown PNG filter {kind}")
    return line


# A graph node is a box about 190 px wide at the zoom that fits four groups in the canvas; runs of
# one colour at least this long are node borders or fills, never text, edges or the dotted grid.
NODE_RUN_MIN_PX = 100


def node_boxes(image: Image, box: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
    """(left, top, right, bottom) of the rectangles drawn in `box`: long one-colour runs stacked row on row."""
    left, top, right, bottom = box
    white = b"\xff\xff\xff"
    boxes: list[list[int]] = []
    for y in range(top, bottom):
        row = image.pixels[y]
        x = left
        while x < right:
            colour = row[3 * x:3 * x + 3]
            end = x + 1
            while end < right and row[3 * end:3 * end + 3] == colour:
                end += 1
            if colour != white and end - x >= NODE_RUN_MIN_PX:
                # A run continues a box when it starts at the box's left edge within a few rows
                # (the node's text interrupts the runs for a dozen rows).
                for found in boxes:
                    if abs(found[0] - x) <= 4 and y - found[3] <= 15:
                        found[2], found[3] = max(found[2], end), y
                        break
                else:
                    boxes.append([x, y, end, y])
            x = end
    return [tuple(found) for found in boxes if found[3] - found[1] >= 20]
