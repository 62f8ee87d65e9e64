#!/usr/bin/env bash
# Chaos test of distribution: a sweep of many short trials runs while a killer randomly
# kill -9s workers (and restarts them), SIGSTOPs one for longer than the liveness timeout and
# then resumes it (its stale result must be ignored or accepted exactly once), and kill -9s the
# coordinator (and restarts it on the same run directory). At the end every trial must be in the
# journal exactly once, and the results and trials.csv identical to a clean run's (same seeds,
# same numbers; only wall-clock and host columns may differ). Prints a summary; exits 1 on any
# violation. With --checkpoint-every S the workers send their trials' states every S seconds, and
# a trial that runs again continues from its latest one: the results must still equal the clean
# run's, bit for bit.
#
#   scripts/chaos.sh [--trials N] [--budget STEPS] [--workers K] [--coordinator-kills C] [--seed S]
#                    [--checkpoint-every SECONDS]
#
# GROKSWEEP_BIN=DIR uses the binaries in DIR instead of building (the test suite does this).
set -euo pipefail
cd "$(dirname "$0")/.."
trials=40 budget=3000 workers=3 coordinator_kills=2 seed=$RANDOM checkpoint_every=0
while [ $# -gt 0 ]; do
  case "$1" in
    --trials) trials=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --coordinator-kills) coordinator_kills=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --checkpoint-every) checkpoint_every=$2; shift 2 ;;
    *) echo "usage: $0 [--trials N] [--budget STEPS] [--workers K] [--coordinator-kills C] [--seed S] [--checkpoint-every S]" >&2; exit 2 ;;
  esac
done
if [ -z "${GROKSWEEP_BIN:-}" ]; then
  swift build -c release -Xswiftc -enable-testing >/dev/null
  GROKSWEEP_BIN=.build/release
fi
coord_bin="$GROKSWEEP_BIN/grok-coord"
worker_bin="$GROKSWEEP_BIN/grok-worker"
work=$(mktemp -d "${TMPDIR:-/tmp}/groksweep-chaos.XXXXXX")
declare -a worker_pids=()
coordinator_pid=""
cleanup() {
  for pid in "${worker_pids[@]}" $coordinator_pid; do kill -CONT "$pid" 2>/dev/null || true; kill -9 "$pid" 2>/dev/null || true; done
  if [ -n "${GROKSWEEP_CHAOS_KEEP:-}" ]; then echo "chaos: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
RANDOM=$seed

scripts/censored_sweep.sh chaos "$trials" "$budget" >"$work/chaos.json"

echo "chaos: $trials trials of $budget steps, $workers workers, checkpoints every ${checkpoint_every}s (0: none), seed $seed; clean run first"
"$coord_bin" "$work/chaos.json" --run-dir "$work/clean" --local-workers 2 >"$work/clean.log" 2>&1

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endpoint="tcp://127.0.0.1:$port"
start_coordinator() {
  "$coord_bin" "$work/chaos.json" --run-dir "$work/chaos" --bind "$endpoint" --local-workers 0 >>"$work/coordinator.log" 2>&1 &
  coordinator_pid=$!
}
start_worker() {
  "$worker_bin" --connect "$endpoint" --id "w$1" --threads 1 --checkpoint-every "$checkpoint_every" >>"$work/worker-$1.log" 2>&1 &
  worker_pids[$1]=$!
}
start_coordinator
for index in $(seq 1 "$workers"); do start_worker "$index"; done

worker_kills=0 coordinator_restarts=0 stops=0 started=$(date +%s)
failures_of_current_trial() {
  local trial
  trial=$(grep "\"type\":\"assigned\",\"worker\":\"$1\"" "$work/chaos/journal.jsonl" 2>/dev/null | tail -1 \
    | sed -n 's/.*"trial":"\([^"]*\)".*/\1/p')
  [ -n "$trial" ] || { echo 0; return; }
  grep "\"type\":\"attemptFailed\"" "$work/chaos/journal.jsonl" | grep -c "\"trial\":\"$trial\"" || true
}
finished_count() { grep -c '"type":"finished"' "$work/chaos/journal.jsonl" 2>/dev/null || true; }
while kill -0 "$coordinator_pid" 2>/dev/null; do
  sleep "0.$((3 + RANDOM % 7))"
  kill -0 "$coordinator_pid" 2>/dev/null || break
  done_now=$(finished_count)
  [ "${done_now:-0}" -ge "$trials" ] && continue   # let it finish in peace
  # The first turns make sure each kind of fault happens at least once (at most two failed
  # attempts for any trial); then chance decides.
  forced=1
  if [ $worker_kills -eq 0 ]; then action=0
  elif [ $coordinator_restarts -lt 1 ] && [ "$coordinator_kills" -ge 1 ]; then action=7
  elif [ $stops -eq 0 ]; then action=6
  else action=$((RANDOM % 10)) forced=0; fi
  victim=$((1 + RANDOM % workers))
  # A trial whose attempts keep dying is given up after 3 failed attempts, by design; the killer
  # spares a worker whose current trial already failed once, so every trial can still finish.
  if [ $forced -eq 0 ] && [ $action -le 6 ] && [ "$(failures_of_current_trial "w$victim")" -ge 1 ]; then continue; fi
  if [ $action -le 5 ]; then
    kill -9 "${worker_pids[$victim]}" 2>/dev/null || true
    wait "${worker_pids[$victim]}" 2>/dev/null || true
    worker_kills=$((worker_kills + 1))
    start_worker "$victim"
  elif [ $action -eq 6 ] && [ $stops -lt 2 ]; then
    # Longer than the liveness timeout (3 heartbeats of 1 s): the coordinator must give up on it.
    kill -STOP "${worker_pids[$victim]}" 2>/dev/null || true
    sleep 4.5
    kill -CONT "${worker_pids[$victim]}" 2>/dev/null || true
    stops=$((stops + 1))
  elif [ $action -ge 7 ] && [ $coordinator_restarts -lt "$coordinator_kills" ] && { [ $forced -eq 1 ] || [ "${done_now:-0}" -gt 0 ]; }; then
    kill -9 "$coordinator_pid" 2>/dev/null || true
    wait "$coordinator_pid" 2>/dev/null || true
    coordinator_restarts=$((coordinator_restarts + 1))
    start_coordinator
  fi
  if [ $(( $(date +%s) - started )) -gt 600 ]; then echo "chaos: timed out" >&2; exit 1; fi
done
set +e
wait "$coordinator_pid"
status=$?
set -e
coordinator_pid=""
for pid in "${worker_pids[@]}"; do
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
done
if [ $status -ne 0 ]; then echo "chaos: the last coordinator exited with $status" >&2; tail -20 "$work/coordinator.log" >&2; exit 1; fi
if [ $worker_kills -eq 0 ] || [ $stops -eq 0 ] || { [ "$coordinator_kills" -ge 1 ] && [ $coordinator_restarts -eq 0 ]; }; then
  echo "chaos: FAIL: the sweep ended before every kind of fault happened ($worker_kills worker kills," \
    "$coordinator_restarts coordinator kills, $stops stops); give it more work with --budget or --trials" >&2
  exit 1
fi

echo "chaos summary: $trials trials; survived $worker_kills worker kill -9s, $coordinator_restarts coordinator" \
  "kill -9s (restarted, resumed), $stops SIGSTOPs beyond the liveness timeout"
if python3 scripts/compare_runs.py "$work/clean" "$work/chaos" "$trials"; then echo "chaos: PASS"; else echo "chaos: FAIL"; exit 1; fi
