#!/usr/bin/env bash
# A worker killed (kill -9) late in a long trial: the trial finishes on another worker, having
# recomputed at most one checkpoint interval, with the result of an uninterrupted run.
#
# Runs one trial of the Grokfast paper's transformer (no amplifier, no decay: it does not grok
# within the budget, so it runs it all; its state, Adam moments included, is ~6 MB and travels in
# two chunks) on two local workers with checkpoints every S seconds, kills the worker running it
# once it passed the given fraction of its budget, and prints where it was killed, where it
# continued and what was recomputed. With --compare it also runs the trial uninterrupted
# (`grok-worker trial`) and checks the curves are identical.
#
#   scripts/kill_resume.sh [--budget STEPS] [--checkpoint-every SECONDS] [--at FRACTION] [--compare]
#
# GROKSWEEP_BIN=DIR uses the binaries in DIR instead of building.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=6000 every=30 at=0.8 compare=0
while [ $# -gt 0 ]; do
  case "$1" in
    --budget) budget=$2; shift 2 ;;
    --checkpoint-every) every=$2; shift 2 ;;
    --at) at=$2; shift 2 ;;
    --compare) compare=1; shift ;;
    *) echo "usage: $0 [--budget STEPS] [--checkpoint-every SECONDS] [--at FRACTION] [--compare]" >&2; exit 2 ;;
  esac
done
if [ -z "${GROKSWEEP_BIN:-}" ]; then
  swift build -c release >/dev/null
  GROKSWEEP_BIN=.build/release
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/groksweep-killresume.XXXXXX")
coordinator=""
cleanup() {
  [ -n "$coordinator" ] && kill -9 "$coordinator" 2>/dev/null || true
  if [ -n "${GROKSWEEP_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

cat >"$work/long.json" <<JSON
{ "name": "killresume",
  "base": { "task": { "kind": "modular", "operation": "multiply", "modulus": 97, "trainFraction": 0.5 },
            "target": { "architecture": "transformer", "depth": 2, "embeddingDim": 128, "heads": 4, "width": 512,
                        "activation": "gelu", "layerNorm": true, "attentionBias": true, "optimizer": "adam",
                        "learningRate": 0.001, "beta1": 0.9, "beta2": 0.98, "weightDecay": 0, "warmupSteps": 10,
                        "batchSize": 512 } },
  "budget": $budget, "evalEvery": 50,
  "thresholds": { "train": 0.99, "test": 0.95, "sustain": 3 },
  "seeds": { "count": 1, "start": 0 } }
JSON
run="$work/run"
started=$(date +%s.%N)
"$GROKSWEEP_BIN/grok-coord" "$work/long.json" --run-dir "$run" --local-workers 2 --checkpoint-every "$every" \
  >"$work/coord.out" 2>"$work/coord.log" &
coordinator=$!
target=$(python3 -c "print(int($budget * $at))")
echo "kill-resume: one trial of $budget steps, checkpoints every ${every}s; killing its worker past step $target"
victim="" step=0
while kill -0 "$coordinator" 2>/dev/null; do
  read -r worker step < <(python3 - "$run/status.json" <<'PY' || echo "- 0"
import json, sys
try:
    running = json.load(open(sys.argv[1])).get("running", [])
except Exception:
    running = []
print(running[0]["worker"], running[0].get("step") or 0) if running else print("- 0")
PY
)
  if [ "$worker" != "-" ] && [ "$step" -ge "$target" ]; then
    victim=$(pgrep -f -- "--id $worker --parent-pid $coordinator" | head -1 || true)
    [ -n "$victim" ] && break
  fi
  sleep 0.5
done
[ -n "$victim" ] || { echo "kill-resume: the trial ended before it reached step $target" >&2; exit 1; }
killed_at=$(date +%s.%N)
kill -9 "$victim"
echo "kill-resume: killed $worker (pid $victim) at reported step $step, $(python3 -c "print(round($killed_at - $started))") s in"
wait "$coordinator"
coordinator=""
finished=$(date +%s.%N)

python3 - "$run" "$budget" "$every" "$started" "$killed_at" "$finished" <<'PY'
import csv, json, sys
run, budget, every, started, killed, finished = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), *map(float, sys.argv[4:])
records = [json.loads(line) for line in open(f"{run}/journal.jsonl") if line.strip()]
checkpoints = [r for r in records if r["type"] == "checkpoint"]
failure = next(r for r in records if r["type"] == "attemptFailed")
before = [c for c in checkpoints if c["at"] <= failure["at"]]
second = next(r for r in records if r["type"] == "assigned" and r["attempt"] == 2)
row = next(csv.DictReader(open(f"{run}/trials.csv")))
steps = [c["step"] for c in before]
interval = (steps[-1] - steps[0]) / (len(steps) - 1) if len(steps) > 1 else float("nan")
print(f"  checkpoints before the kill: {len(before)} (steps {steps}), {before[-1]['bytes'] / 1e6:.1f} MB each; "
      f"one interval ≈ {interval:.0f} steps")
print(f"  the killed attempt reached step {failure.get('reached')}; attempt 2 on {second['worker']} continued from step "
      f"{second.get('fromStep')}")
print(f"  recomputed: {row['recomputed_steps']} steps ({int(row['recomputed_steps']) / budget:.1%} of the trial; "
      f"≤ one interval: {'yes' if int(row['recomputed_steps']) <= interval else 'NO'})")
print(f"  outcome {row['outcome']}, {row['steps']} steps; wall clock {finished - started:.0f} s "
      f"({finished - killed:.0f} s after the kill)")
json.dump({k: v for k, v in next(t for r in records if r["type"] == "sweep" for t in r["trials"])["config"].items()},
          open(f"{run}/../config.json", "w"))
PY

if [ "$compare" = 1 ]; then
  echo "kill-resume: running the same trial uninterrupted to compare"
  "$GROKSWEEP_BIN/grok-worker" trial "$work/config.json" --result "$work/direct.json" --quiet >/dev/null
  python3 - "$run" "$work/direct.json" <<'PY'
import json, sys
run, direct_path = sys.argv[1:]
keep = ("outcome", "tMem", "tGrok", "steps", "curve")
resumed = next(json.loads(l)["result"] for l in open(f"{run}/journal.jsonl") if '"type":"finished"' in l)
direct = json.load(open(direct_path))
same = all(resumed.get(k) == direct.get(k) for k in keep)
print(f"  identical to the uninterrupted run (outcome, t_mem, t_grok, steps, {len(direct['curve'])} curve points): "
      f"{'yes' if same else 'NO'}")
sys.exit(0 if same else 1)
PY
fi
