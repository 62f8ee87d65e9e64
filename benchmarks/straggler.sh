#!/usr/bin/env bash
# Straggler benchmark: a sweep on 2 workers, one of them slowed by a SIGSTOP/SIGCONT duty cycle
# (a noisy neighbour, a node swapping), with and without backup trials, against the same sweep
# with no straggler. Prints the three makespans and their ratios; the goal is a makespan with
# backups within 1.3× of the one without a straggler.
#
#   benchmarks/straggler.sh [--trials N] [--budget STEPS] [--stopped MS] [--running MS] [--checkpoint-every S]
#
# Trials are censored MLP runs (mod 31, weight decay 0.1: no grokking, the whole budget runs).
# GROKSWEEP_BIN=DIR uses the binaries in DIR instead of building.
set -euo pipefail
cd "$(dirname "$0")/.."
trials=8 budget=12000 stopped=400 running=100 every=1
while [ $# -gt 0 ]; do
  case "$1" in
    --trials) trials=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --stopped) stopped=$2; shift 2 ;;
    --running) running=$2; shift 2 ;;
    --checkpoint-every) every=$2; shift 2 ;;
    *) echo "usage: $0 [--trials N] [--budget STEPS] [--stopped MS] [--running MS] [--checkpoint-every S]" >&2; exit 2 ;;
  esac
done
if [ -z "${GROKSWEEP_BIN:-}" ]; then
  swift build -c release >/dev/null
  GROKSWEEP_BIN=.build/release
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/groksweep-straggler.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
scripts/censored_sweep.sh straggler "$trials" "$budget" >"$work/straggler.json"

# One sweep: coordinator and two workers; the second is duty-cycled when $2 = slow.
run() {
  local name=$1 mode=$2 backups=$3
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local start end
  start=$(date +%s.%N)
  "$GROKSWEEP_BIN/grok-coord" "$work/straggler.json" --run-dir "$work/$name" --bind "tcp://127.0.0.1:$port" \
    --local-workers 0 "$backups" >"$work/$name.log" 2>&1 &
  local coordinator=$!
  pids+=("$coordinator")
  for index in 1 2; do
    "$GROKSWEEP_BIN/grok-worker" --connect "tcp://127.0.0.1:$port" --id "w$index" --threads 1 \
      --checkpoint-every "$every" >>"$work/$name-w$index.log" 2>&1 &
    pids+=("$!")
  done
  local slow=${pids[-1]}
  if [ "$mode" = slow ]; then
    ( while kill -0 "$slow" 2>/dev/null; do
        kill -STOP "$slow" 2>/dev/null || true; sleep "$(python3 -c "print($stopped / 1000)")"
        kill -CONT "$slow" 2>/dev/null || true; sleep "$(python3 -c "print($running / 1000)")"
      done ) &
  fi
  wait "$coordinator"
  end=$(date +%s.%N)
  kill -CONT "$slow" 2>/dev/null || true
  python3 -c "print(f'{$end - $start:.1f}')"
}

echo "straggler: $trials trials of $budget steps on 2 workers; the straggler runs ${running} ms of every $((stopped + running)) ms"
clean=$(run clean fast --backups)
echo "  no straggler:               ${clean} s"
without=$(run without slow --no-backups)
echo "  straggler, no backups:      ${without} s  ($(python3 -c "print(f'{$without / $clean:.2f}')")×)"
with=$(run with slow --backups)
backups=$(grep -c '"type":"backup"' "$work/with/journal.jsonl" || true)
echo "  straggler, backup trials:   ${with} s  ($(python3 -c "print(f'{$with / $clean:.2f}')")×; $backups backups started)"
# However well it schedules, a sweep of many trials on one full-speed worker and one running a
# fraction f of the time has 1 + f workers' capacity: its makespan is at least 2 / (1 + f) times
# the clean one. Backups remove the tail beyond that bound (the straggler's last trial).
python3 -c "f = $running / ($stopped + $running); print(f'  capacity bound of a sweep of many trials (no tail at all): {2 / (1 + f):.2f}×')"
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def results(run):
    out = {}
    for line in open(f"{work}/{run}/journal.jsonl"):
        record = json.loads(line)
        if record["type"] == "finished":
            result = record["result"]
            out.setdefault(result["trialId"], (result["outcome"], result.get("tMem"), result.get("tGrok"), result["steps"],
                                               json.dumps(result["curve"])))
    return out
clean, with_backups = results("clean"), results("with")
same = clean == with_backups
print(f"  results with backups identical to the clean run's: {'yes' if same else 'NO'} ({len(clean)} trials)")
sys.exit(0 if same else 1)
PY
