#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer) of what the coordinator reads from outside: the frame
# decoder (every message a worker or a stranger sends) and the sweep-file parser with its grid
# expansion. Each target starts from a seed corpus of real inputs (encoded messages; the shipped
# sweep files) and runs N inputs; a crash, a hang (an input slower than --timeout seconds) or an
# out-of-memory input stops it and is kept as an artifact. Prints, per target, the inputs tried,
# the coverage reached and the crashes; exits 1 on any.
#
#   scripts/fuzz.sh [--runs N] [--target frame|sweep] [--timeout SECONDS]
#
# The package is built a second time for this, instrumented, in .build-fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=1000000 targets="frame sweep" timeout=20
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --target) targets=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--target frame|sweep] [--timeout SECONDS]" >&2; exit 2 ;;
  esac
done
echo "fuzz: building the instrumented harness (.build-fuzz)"
GROKSWEEP_FUZZ=1 swift build -c release --scratch-path .build-fuzz --product grok-fuzz -Xswiftc -sanitize=fuzzer >/dev/null
harness=.build-fuzz/release/grok-fuzz
work=$(mktemp -d "${TMPDIR:-/tmp}/groksweep-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0
for target in $targets; do
  corpus="$work/$target-corpus"
  mkdir -p "$corpus" "$work/$target-artifacts"
  if [ "$target" = sweep ]; then cp sweeps/*.json benchmarks/sweeps/*.json "$corpus/"; fi
  set +e
  GROKSWEEP_FUZZ_TARGET=$target GROKSWEEP_FUZZ_SEEDS="$corpus" "$harness" -runs="$runs" -timeout="$timeout" \
    -rss_limit_mb=4096 -max_len=16384 -print_final_stats=1 -artifact_prefix="$work/$target-artifacts/" "$corpus" \
    >"$work/$target.log" 2>&1
  code=$?
  set -e
  executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$target.log")
  coverage=$(grep -E '^#[0-9]+' "$work/$target.log" | tail -1 | grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9a-zA-Z]*' || true)
  artifacts=$(ls "$work/$target-artifacts" | wc -l)
  echo "fuzz $target: ${executed:-?} inputs (${rate:-?}/s), ${coverage:-no coverage line}; crashes, hangs and OOMs: $artifacts (exit $code)"
  if [ "$code" -ne 0 ] || [ "$artifacts" -ne 0 ]; then
    status=1
    mkdir -p fuzz-artifacts
    cp "$work/$target-artifacts/"* fuzz-artifacts/ 2>/dev/null || true
    grep -E "ERROR|SUMMARY|Fatal error|==[0-9]+==" "$work/$target.log" | head -10
    echo "fuzz $target: artifacts copied to fuzz-artifacts/ (replay one: GROKSWEEP_FUZZ_TARGET=$target $harness FILE)"
  fi
done
if [ $status -eq 0 ]; then echo "fuzz: PASS"; else echo "fuzz: FAIL"; fi
exit $status
