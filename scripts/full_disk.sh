#!/usr/bin/env bash
# A run directory whose disk fills mid-sweep, then a journal with a corrupt line in its middle.
#
# 1. The sweep runs on a small tmpfs until it is full: the coordinator must stop with a clear
#    last line naming the file and the cause, and leave a journal whose every line parses.
# 2. Space is freed (the tmpfs grows) and the same command runs again: every trial must end up
#    finished exactly once, with the results of a clean run on an ordinary disk.
# 3. A line in the middle of the finished run's journal is corrupted: the coordinator must refuse
#    it naming the line and the way to go on (`grok-coord repair`); after the repair the rerun
#    recomputes only what the line held, and the results again equal the clean run's.
# Prints a transcript and the verdict; exits 1 on any violation, 77 when it cannot mount here.
#
#   scripts/full_disk.sh [--trials N] [--size SIZE]
#
# GROKSWEEP_BIN=DIR uses the binaries in DIR instead of building.
set -euo pipefail
cd "$(dirname "$0")/.."
trials=120 size=4m
while [ $# -gt 0 ]; do
  case "$1" in
    --trials) trials=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    *) echo "usage: $0 [--trials N] [--size SIZE]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "full disk: SKIP: mounting a small filesystem needs root"; exit 77; }
if [ -z "${GROKSWEEP_BIN:-}" ]; then
  swift build -c release -Xswiftc -enable-testing >/dev/null
  GROKSWEEP_BIN=.build/release
fi
coord="$GROKSWEEP_BIN/grok-coord"
work=$(mktemp -d "${TMPDIR:-/tmp}/groksweep-disk.XXXXXX")
disk="$work/disk"
mkdir "$disk"
cleanup() { umount "$disk" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mount -t tmpfs -o "size=$size" tmpfs "$disk" || { echo "full disk: SKIP: cannot mount a tmpfs here"; exit 77; }

scripts/censored_sweep.sh disk "$trials" 1000 >"$work/sweep.json"
ok=1
fail() { echo "full disk: $*"; ok=0; }
finished() { grep -c '"type":"finished"' "$1" || true; }

echo "full disk: $trials trials; clean run on an ordinary disk first"
"$coord" "$work/sweep.json" --run-dir "$work/clean" --local-workers 2 >"$work/clean.log" 2>&1

echo "full disk: the run directory on a $size tmpfs"
set +e
"$coord" "$work/sweep.json" --run-dir "$disk/run" --local-workers 2 >"$work/full.out" 2>"$work/full.err"
status=$?
set -e
last=$(tail -1 "$work/full.err")
echo "  exit status $status after $(finished "$disk/run/journal.jsonl") of $trials trials; its last line:"
echo "    $last"
[ $status -ne 0 ] || fail "the coordinator did not stop on a full disk (grow the sweep or shrink --size)"
case "$last" in *"$disk/run/"*"No space left on device"*) ;; *) fail "the last line names no file or no cause" ;; esac
if python3 -c '
import json, sys
lines = [line for line in open(sys.argv[1]) if line.strip()]
for line in lines:
    json.loads(line)
print(f"  journal readable: {len(lines)} records, every line parses")
' "$disk/run/journal.jsonl"; then :; else fail "the journal does not parse after the disk filled"; fi

mount -o "remount,size=256m" "$disk"
echo "full disk: space freed; the same command again"
"$coord" "$work/sweep.json" --run-dir "$disk/run" --local-workers 2 >"$work/rerun.log" 2>&1 || fail "the rerun failed: $(tail -1 "$work/rerun.log")"
python3 scripts/compare_runs.py "$work/clean" "$disk/run" "$trials" || fail "the rerun differs from the clean run"

echo "full disk: a corrupt line in the middle of the journal"
cp -r "$disk/run" "$work/corrupt"
# The middle trial result: after the repair, that trial alone runs again.
results=$(grep -n '"type":"finished"' "$work/corrupt/journal.jsonl" | cut -d: -f1)
line=$(echo "$results" | sed -n "$(( $(echo "$results" | wc -l) / 2 ))p")
sed -i "${line}s/\"type\"/\"ty#pe\"/" "$work/corrupt/journal.jsonl"
set +e
"$coord" "$work/sweep.json" --run-dir "$work/corrupt" --local-workers 2 >/dev/null 2>"$work/corrupt.err"
status=$?
set -e
refusal=$(tail -1 "$work/corrupt.err")
echo "  line $line corrupted; the coordinator (exit $status) says:"
echo "    $refusal"
case "$refusal" in *"line $line:"*"grok-coord repair"*) ;; *) fail "the refusal names no line or no way to go on" ;; esac
"$coord" repair "$work/corrupt" | sed 's/^/    /'
"$coord" "$work/sweep.json" --run-dir "$work/corrupt" --local-workers 2 >"$work/repaired.log" 2>&1 || fail "the run after repair failed"
python3 scripts/compare_runs.py "$work/clean" "$work/corrupt" "$trials" || fail "the repaired run differs from the clean run"
if [ $ok -eq 1 ]; then echo "full disk: PASS"; else echo "full disk: FAIL"; exit 1; fi
