"""The long fuzzing campaign: randomised mutations of every connector's seeds for N minutes.

    nice .venv/bin/python tests/fuzz_campaign.py --minutes 10 [--target vcard --target calendar]

Each new class of violation (a new signature: an exception at a new place, a broken count, a
reason quoting personal data, ...) is cut down to a small input and written to
tests/fixtures/fuzz/regressions/<target>/, which tests/test_fuzz.py replays on every run. Classes
already kept there are not written again. Nothing is shrunk by hypothesis itself: its shrinking
has no time bound, and a hanging input would make it run for hours; `fuzzing.minimize` does.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

from tests.fuzzing import (  # noqa: E402
    CAMPAIGN_LONG_LINES, REGRESSIONS, TARGETS, Target, Violation, minimize, mutated_inputs, read_regression,
    regression_files, run_connector, target_of, write_regression,
)

# Examples per target before the campaign moves to the next one: long enough for hypothesis to
# spread over the mutations, short enough that every target gets turns in a 10-minute campaign.
ROUND_EXAMPLES = 300
# A runaway input is stopped after this long during the campaign (fuzzing.HANG_SECONDS is for
# the replayed regressions): a hang costs minutes of campaign otherwise.
CAMPAIGN_HANG_SECONDS = 5.0
# Time spent cutting one failing input down before it is kept as it is.
MINIMIZE_SECONDS = 60.0


def known_signatures() -> set[str]:
    """The violations the kept regression files show today."""
    known = set()
    for path in regression_files():
        outcome = run_connector(target_of(path), read_regression(path))
        known.update(v.signature for v in outcome.violations)
    return known


def fuzz_round(target: Target, known: set[str], examples: int) -> dict[str, tuple[bytes, Violation]]:
    """New violations met in one round, with the smallest input that showed each."""
    found: dict[str, tuple[bytes, Violation]] = {}

    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(mutated_inputs(target, CAMPAIGN_LONG_LINES))
    def explore(data):
        outcome = run_connector(target, data, hang_seconds=CAMPAIGN_HANG_SECONDS)
        for violation in outcome.violations:
            if violation.signature not in known:
                kept = found.get(violation.signature)
                if kept is None or len(data) < len(kept[0]):
                    found[violation.signature] = (data, violation)

    explore()
    return found


def keep(target: Target, data: bytes, violation: Violation) -> Path:
    small = minimize(target, data, violation.signature, MINIMIZE_SECONDS)
    path = write_regression(target, violation.signature, small)
    final = run_connector(target, small)
    detail = next((v.detail for v in final.violations if v.signature == violation.signature), violation.detail)
    print(f"\nNEW {violation.signature}\n  kept {path.relative_to(REGRESSIONS)} ({len(small)} bytes, from {len(data)})\n"
          f"  input {small[:300]!r}\n  " + detail.strip().replace("\n", "\n  "), flush=True)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), help="repeatable; default: all")
    parser.add_argument("--examples", type=int, default=ROUND_EXAMPLES, help="examples per target per round")
    arguments = parser.parse_args()
    targets = [TARGETS[name] for name in (arguments.target or sorted(TARGETS))]
    end = time.monotonic() + arguments.minutes * 60
    known = known_signatures()
    print(f"{len(known)} violation classes already kept; fuzzing {len(targets)} targets for {arguments.minutes:g} min",
          flush=True)
    kept, rounds, examples = [], 0, 0
    while time.monotonic() < end:
        for target in targets:
            if time.monotonic() >= end:
                break
            started = time.monotonic()
            found = fuzz_round(target, known, arguments.examples)
            rounds, examples = rounds + 1, examples + arguments.examples
            print(f"{target.name}: {arguments.examples} examples in {time.monotonic() - started:.1f} s, "
                  f"{len(found)} new", flush=True)
            for signature, (data, violation) in sorted(found.items()):
                kept.append(keep(target, data, violation))
                known.add(signature)
    print(f"\n{rounds} rounds, {examples} examples; {len(kept)} new regression files", flush=True)
    return 1 if kept else 0


if __name__ == "__main__":
    sys.exit(main())
