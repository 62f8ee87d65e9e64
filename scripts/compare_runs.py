#!/usr/bin/env python3
"""Compares a disturbed run of a sweep with a clean run of the same sweep, from their run directories.

Every trial of the sweep must be finished exactly once in the disturbed run's journal, with the
clean run's result (apart from wall-clock, host and attempt history), no trial may be given up,
and trials.csv and cells.csv must equal the clean run's apart from those columns. Prints the
journal's counts and the verdict; exits 1 on any violation.

    compare_runs.py CLEAN_RUN_DIR RUN_DIR EXPECTED_TRIALS
"""
import csv
import json
import sys

# Wall-clock columns differ between any two runs.
VOLATILE = {"seconds", "host"}
# Attempts and the last attempt's error are the run's history (retries), not the trial's result.
HISTORY = ("second", "host", "worker", "attempts", "error", "recomputed")


def journal(run):
    ids, finished, records, resumed = [], {}, {}, 0
    for line in open(f"{run}/journal.jsonl"):
        if not line.strip():
            continue
        record = json.loads(line)
        kind = record["type"]
        records[kind] = records.get(kind, 0) + 1
        if kind in ("sweep", "extended"):
            ids += [trial["id"] for trial in record["trials"]]
        elif kind == "assigned" and record.get("fromStep"):
            resumed += 1
        elif kind == "finished":
            result = dict(record["result"])
            for key in VOLATILE:
                result.pop(key, None)
            if isinstance(result.get("weak"), dict):
                result["weak"] = {k: v for k, v in result["weak"].items() if k not in VOLATILE}
            finished.setdefault(result["trialId"], []).append(result)
    return ids, finished, records, resumed


def table(run, name):
    with open(f"{run}/{name}") as handle:
        rows = list(csv.DictReader(handle))
    keep = [c for c in (rows[0].keys() if rows else []) if not any(word in c.lower() for word in HISTORY)]
    return sorted(tuple(row[c] for c in keep) for row in rows), keep


def main(clean_dir, run_dir, trials):
    clean_ids, clean, _, _ = journal(clean_dir)
    ids, run, records, resumed = journal(run_dir)
    lost = [t for t in ids if t not in run]
    duplicates = sum(len(v) - 1 for v in run.values())
    different = [t for t in ids if t in run and run[t][0] != clean.get(t, [None])[0]]
    clean_rows, columns = table(clean_dir, "trials.csv")
    rows, _ = table(run_dir, "trials.csv")
    clean_cells, cell_columns = table(clean_dir, "cells.csv")
    cells, _ = table(run_dir, "cells.csv")
    ok = (len(ids) == trials and sorted(ids) == sorted(clean_ids) and not lost and duplicates == 0
          and not different and records.get("failed", 0) == 0 and clean_rows == rows and clean_cells == cells)
    print(f"  journal: {records.get('assigned', 0)} assignments, {records.get('attemptFailed', 0)} failed attempts "
          f"requeued, {records.get('interrupted', 0)} restarts requeued in-flight trials, {records.get('failed', 0)} "
          f"trials failed, {records.get('checkpoint', 0)} checkpoints stored, {resumed} attempts continued from one")
    print(f"  trials lost: {len(lost)}, duplicates: {duplicates}, results different from the clean run: "
          f"{len(different)} of {len(ids)}; trials.csv identical apart from time, host and attempt history "
          f"({len(columns)} columns): {'yes' if clean_rows == rows else 'NO'}; report cells.csv identical apart "
          f"from time columns ({len(cell_columns)} columns): {'yes' if clean_cells == cells else 'NO'}")
    for clean_row, row in [(a, b) for a, b in zip(clean_rows, rows) if a != b][:3]:
        print(f"  trials.csv differs:\n    clean {clean_row}\n    run   {row}")
    return ok


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(0 if main(sys.argv[1], sys.argv[2], int(sys.argv[3])) else 1)
