#!/usr/bin/env bash
# Dispatch throughput and per-trial coordination overhead over real processes and sockets.
# Runs benchmarks/sweeps/throughput.json (12 trials of ~1 s) with 1 and then 2 local workers,
# prints the wall time of each and the speed-up, and, from the journal, the coordination
# overhead per trial: (result recorded − assignment recorded) − the trial's own run time.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release -Xswiftc -enable-testing >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for workers in 1 2; do
  start=$(date +%s%N)
  .build/release/grok-coord benchmarks/sweeps/throughput.json --run-dir "$work/w$workers" \
    --local-workers "$workers" >/dev/null 2>&1
  echo $(( ($(date +%s%N) - start) / 1000000 )) > "$work/wall$workers"
done
python3 - "$work" <<'PY'
import json, statistics, sys
work = sys.argv[1]
wall = {n: int(open(f"{work}/wall{n}").read()) / 1e3 for n in (1, 2)}
for n in (1, 2):
    print(f"{n} worker(s): {wall[n]:6.2f} s wall for 12 trials")
print(f"speed-up 2 vs 1 workers: {wall[1] / wall[2]:.2f}x")
for path in (f"{work}/w1/journal.jsonl", f"{work}/w2/journal.jsonl"):
    assigned, overhead, trial_seconds = {}, [], []
    for line in open(path):
        record = json.loads(line)
        if record["type"] == "assigned":
            assigned[record["trial"]] = record["at"]
        elif record["type"] == "finished":
            result = record["result"]
            span = record["at"] - assigned[result["trialId"]]
            overhead.append((span - result["seconds"]) * 1e3)
            trial_seconds.append(result["seconds"])
    label = "2 workers" if "/w2/" in path else "1 worker "
    print(f"{label}: trial run time median {statistics.median(trial_seconds):.2f} s; coordination overhead "
          f"per trial (assign→result minus run time) median {statistics.median(overhead):.1f} ms, "
          f"max {max(overhead):.1f} ms over {len(overhead)} trials")
PY
