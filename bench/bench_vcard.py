"""Throughput of the vCard connector: fast path against vobject alone, on the same files.

    python bench/bench_vcard.py [files...] [--cards N] [--json PATH]

With no files it generates a synthetic vCard 3.0 export (what Google and Apple write: item
groups, escaped URLs, folded notes, several emails and phones) and measures on it. Three readings per file:
- `connector`: `parse_vcards` as the pipeline runs it (fast path, vobject for declined cards);
- `connector, vobject only`: the same with the fast path switched off;
- `vobject alone`: `vobject.readComponents` over the whole file, the baseline of the issue.
"""
from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import vobject  # noqa: E402

from connectors.vcard import parse_vcards  # noqa: E402

DEFAULT_CARDS = 20_000
# Each reading repeats a run until this long has passed, so small corpus files give stable numbers.
MIN_SECONDS = 0.3
ROUNDS = 3
SEED = 20240601

GIVEN = ["Ana", "Bram", "Chen", "Dara", "Emeka", "Fatima", "Goran", "Hana", "Ivo", "Joana", "Kenji", "Lea"]
FAMILY = ["Alvarez", "Berg", "Cohen", "Dubois", "Eriksen", "Fischer", "García", "Haddad", "Ito", "Jansen"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Stark Industries", "Wayne Enterprises"]
TITLES = ["Engineer", "Designer", "Director of Sales", "CTO", "Product Manager"]


def synthetic_vcards(count: int, seed: int = SEED) -> bytes:
    """A vCard 3.0 export of `count` cards shaped like a Google or iPhone export: every card has
    a name, most an email and a phone, fewer an organisation, address, birthday, LinkedIn URL or
    a folded note (shares are judgement, from looking at real address books)."""
    rng = random.Random(seed)
    out = []
    for index in range(count):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        slug = f"{given}.{family}{index}".lower()
        lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{given} {family}", f"N:{family};{given};;;"]
        if rng.random() < 0.9:
            lines.append(f"EMAIL;TYPE=INTERNET;TYPE=WORK:{slug}@example.com")
        if rng.random() < 0.3:
            lines.append(f"EMAIL;TYPE=INTERNET;TYPE=HOME:{slug}@mail.example.org")
        if rng.random() < 0.8:
            lines.append(f"TEL;TYPE=CELL:+1 (555) {rng.randint(100, 999)}-{rng.randint(1000, 9999)}")
        if rng.random() < 0.3:
            lines.append(f"TEL;TYPE=WORK:+44 20 7946 {rng.randint(1000, 9999)}")
        if rng.random() < 0.6:
            lines.append(f"ORG:{rng.choice(COMPANIES)};Team {index % 7}")
            lines.append(f"TITLE:{rng.choice(TITLES)}")
        if rng.random() < 0.3:
            lines.append(f"item1.ADR;TYPE=HOME:;;{rng.randint(1, 200)} Main Street;Springfield;IL;62701;USA")
            lines.append("item1.X-ABADR:us")
        if rng.random() < 0.2:
            lines.append(f"BDAY:{rng.randint(1950, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
        if rng.random() < 0.4:
            lines.append(f"item2.URL:https\\://www.linkedin.com/in/{slug.replace('.', '-')}")
            lines.append("item2.X-ABLabel:LinkedIn")
        if rng.random() < 0.2:
            words = ["met", "at", "the", "conference", "in", "Lisbon", "2019\\,", "intro by Sam"]
            note = "NOTE:" + " ".join(rng.choice(words) for _ in range(rng.randint(5, 30)))
            lines += [note[:75]] + [" " + note[i:i + 74] for i in range(75, len(note), 74)]
        lines += ["CATEGORIES:myContacts", "END:VCARD"]
        out.append("\r\n".join(lines) + "\r\n")
    return "".join(out).encode("utf-8")


def _timed(run, data: bytes) -> tuple[float, int]:
    """(CPU seconds of one run, cards per run): each run repeated until MIN_SECONDS of CPU
    time pass; kept is the mean of the best of ROUNDS such repetitions. CPU time, not wall
    time, so that other work on a shared machine does not count against either reader."""
    best, cards = float("inf"), 0
    for _ in range(ROUNDS):
        runs, start = 0, time.process_time()
        while True:
            cards = run(data)
            runs += 1
            elapsed = time.process_time() - start
            if elapsed >= MIN_SECONDS:
                break
        best = min(best, elapsed / runs)
    return best, cards


def _connector(data: bytes) -> int:
    return parse_vcards(io.BytesIO(data), "bench.vcf").items


def _connector_vobject_only(data: bytes) -> int:
    return parse_vcards(io.BytesIO(data), "bench.vcf", use_fast_path=False).items


def _vobject_alone(data: bytes) -> int:
    text = data.decode("utf-8", errors="replace")
    return sum(1 for _ in vobject.readComponents(text, ignoreUnreadable=True))


READINGS = {
    "connector": _connector,
    "connector, vobject only": _connector_vobject_only,
    "vobject alone": _vobject_alone,
}


def measure(name: str, data: bytes) -> dict:
    result = {"file": name, "bytes": len(data)}
    for reading, run in READINGS.items():
        try:
            seconds, cards = _timed(run, data)
        except Exception as error:  # vobject alone gives up on some real exports
            result[reading] = {"error": type(error).__name__}
            continue
        result[reading] = {
            "cards": cards,
            "seconds": round(seconds, 6),
            "cards_per_s": round(cards / seconds, 1),
            "mb_per_s": round(len(data) / seconds / 1e6, 2),
        }
    fast, alone = result["connector"], result["vobject alone"]
    if "cards_per_s" in fast and "cards_per_s" in alone and alone["cards_per_s"]:
        result["speedup_vs_vobject_alone"] = round(fast["cards_per_s"] / alone["cards_per_s"], 1)
    slow = result["connector, vobject only"]
    if "cards_per_s" in fast and "cards_per_s" in slow and slow["cards_per_s"]:
        result["speedup_vs_vobject_path"] = round(fast["cards_per_s"] / slow["cards_per_s"], 1)
    return result


def _print_table(results: list[dict]) -> None:
    header = f"{'file':44} {'MB':>7} " + " ".join(f"{r[:22]:>24}" for r in READINGS) + f" {'x alone':>8} {'x path':>7}"
    print(header)
    print("-" * len(header))
    for result in results:
        cells = []
        for reading in READINGS:
            cell = result[reading]
            cells.append(f"{cell['error']:>24}" if "error" in cell else f"{cell['cards_per_s']:>10.0f} c/s {cell['mb_per_s']:>6.2f} MB/s")
        print(
            f"{result['file'][-44:]:44} {result['bytes'] / 1e6:>7.2f} " + " ".join(cells)
            + f" {result.get('speedup_vs_vobject_alone', '-'):>8} {result.get('speedup_vs_vobject_path', '-'):>7}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--cards", type=int, default=DEFAULT_CARDS, help="cards in the synthetic file")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    inputs = [(str(path), path.read_bytes()) for path in args.files]
    if not inputs:
        inputs = [(f"synthetic vCard 3.0 ({args.cards} cards)", synthetic_vcards(args.cards))]
    results = [measure(name, data) for name, data in inputs]
    _print_table(results)
    if len(results) > 1:
        total = {reading: sum(r[reading].get("seconds", 0) for r in results) for reading in READINGS}
        cards = sum(r["connector"].get("cards", 0) for r in results)
        print(f"all files: {cards} cards; connector {cards / total['connector']:.0f} c/s, "
              f"connector vobject only {cards / total['connector, vobject only']:.0f} c/s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
