"""Mail reader speed and memory: the fast header reader and the whole connector against Python's
`mailbox.mbox` with `email.parser.BytesHeaderParser`, on a generated Takeout mbox.

Usage:
    .venv/bin/python bench/bench_mail.py                       # 200,000 messages, ~2 GB, half with attachments
    .venv/bin/python bench/bench_mail.py --messages 5000       # a quick one
    .venv/bin/python bench/bench_mail.py --mbox PATH           # an mbox of your own (never written to)

Each reader runs in its own process so that its peak memory is its own. The stdlib reads the
first `--stdlib-messages` messages only (it would take minutes on the whole file); its MB/s
and messages/s are measured on that prefix, which has the same mix of messages.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

# The targets: ≤ 30 s for 200,000 messages / 2 GB, ≥ 10x the stdlib, < 300 MB of memory.
TARGET_SECONDS = 30.0
TARGET_SPEEDUP = 10.0
TARGET_PEAK_MB = 300.0
# Mean attachment size that makes 200,000 messages, half with attachments, weigh about 2 GB.
DEFAULT_ATTACHMENT_BYTES = 17_500


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_reader(reader: str, path: str, limit: int) -> dict:
    """Runs in a child process: one reader over the file, its time, bytes and peak memory."""
    started, cpu_started = time.perf_counter(), time.process_time()
    messages = fields = 0
    size = os.path.getsize(path)
    if reader == "fast_headers":
        from connectors.mail.headers import raw_fields
        from connectors.mail.split import RawMessage, iter_mbox
        with open(path, "rb") as stream:
            for found in iter_mbox(stream):
                if isinstance(found, RawMessage):
                    messages += 1
                    fields += len(raw_fields(found.header))
        read_bytes = size
    elif reader == "connector":
        # In batches, as the ingest reads a mailbox: rows are handed over and dropped as they come.
        from connectors.mail import parse_mail_batches
        with open(path, "rb") as stream:
            batches = parse_mail_batches(stream, "bench.mbox")
            while True:
                try:
                    fields += sum(len(rows) for rows in next(batches).values())
                except StopIteration as finished:
                    messages = finished.value.items
                    break
        read_bytes = size
    else:
        import mailbox
        from email.parser import BytesHeaderParser

        from connectors.mail.headers import WANTED_FIELDS
        parser = BytesHeaderParser()
        box = mailbox.mbox(path, create=False)
        read_bytes = 0
        for key in box.iterkeys():
            data = box.get_bytes(key)
            read_bytes += len(data)
            fields += sum(1 for name, _ in parser.parsebytes(data).raw_items() if name.lower() in WANTED_FIELDS)
            messages += 1
            if messages >= limit:
                break
        box.close()
    wall = time.perf_counter() - started
    return {"reader": reader, "messages": messages, "fields_or_rows": fields, "megabytes": round(read_bytes / 1e6, 1),
            "wall_s": round(wall, 2), "cpu_s": round(time.process_time() - cpu_started, 2),
            "mb_per_s": round(read_bytes / 1e6 / wall, 1), "messages_per_s": round(messages / wall),
            "peak_rss_mb": round(_peak_mb(), 1)}


def measure(reader: str, path: Path, limit: int) -> dict:
    completed = subprocess.run([sys.executable, __file__, "--child", reader, "--mbox", str(path), "--stdlib-messages", str(limit)],
                               capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--attachment-bytes", type=int, default=DEFAULT_ATTACHMENT_BYTES)
    parser.add_argument("--mbox", help="read this mbox instead of generating one")
    parser.add_argument("--stdlib-messages", type=int, default=20_000)
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_reader(args.child, args.mbox, args.stdlib_messages)))
        return
    with tempfile.TemporaryDirectory(prefix="strongties-mail-bench-") as scratch:
        path = Path(args.mbox) if args.mbox else Path(scratch) / "All mail Including Spam and Trash.mbox"
        if not args.mbox:
            from data.generate_inbox import write_synthetic_mbox
            started = time.perf_counter()
            written = write_synthetic_mbox(path, args.messages, seed=7, attachment_bytes=args.attachment_bytes)
            print(f"generated {args.messages} messages, {written / 1e6:.0f} MB in {time.perf_counter() - started:.0f} s", flush=True)
        results = {reader: measure(reader, path, args.stdlib_messages) for reader in ("fast_headers", "connector", "stdlib")}
    fast, stdlib = results["fast_headers"], results["stdlib"]
    speedup = fast["mb_per_s"] / stdlib["mb_per_s"]
    summary = {"file_mb": fast["megabytes"], "messages": fast["messages"], "speedup_vs_stdlib_mb_per_s": round(speedup, 1),
               "connector_meets_30s": results["connector"]["wall_s"] <= TARGET_SECONDS * fast["megabytes"] / 2000,
               "meets_speedup": speedup >= TARGET_SPEEDUP,
               "fast_peak_under_300mb": fast["peak_rss_mb"] < TARGET_PEAK_MB,
               "load_average": os.getloadavg()}
    for name, result in results.items():
        print(f"{name:13} {result['messages']:>8} messages {result['megabytes']:>8} MB {result['wall_s']:>7} s "
              f"(CPU {result['cpu_s']} s) {result['mb_per_s']:>7} MB/s {result['messages_per_s']:>7} msg/s "
              f"peak {result['peak_rss_mb']} MB")
    print(json.dumps(summary))
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "summary": summary}, indent=2))


if __name__ == "__main__":
    main()
