#!/usr/bin/env bash
# Distribution over a real network: a coordinator and workers on their own hosts (network
# namespaces joined by veth pairs to a bridge), CURVE on, and faults of the network itself.
#
#   coordinator  10.77.0.1   binds tcp://10.77.0.1:5555 with --curve-keys
#   worker w1    10.77.0.11  through a proxy adding 200 ms each way, 5 % packet loss on its link
#   worker w2    10.77.0.12  partitioned from everyone for 10 s (longer than the liveness timeout)
#   intruders    10.77.0.13  a worker without keys and one whose key was revoked: both refused
#
# Scripted faults, in order: w1's slow lossy link for the whole run; w2 partitioned for 10 s and
# healed; the coordinator's own link partitioned from everyone for 10 s and healed. With
# `--faults N` a random phase follows until N faults were injected in all, mixing worker kill -9
# (restarted), coordinator kill -9 (restarted on the run directory), coordinator SIGSTOP beyond the
# workers' liveness (it must fail no attempt), partitions of a worker or of the coordinator, and
# bursts of 30 % loss. At the end every trial must be in the journal exactly once, no trial given
# up, and trials.csv / cells.csv equal to a clean run's apart from time, host and attempt history.
# Prints the faults by kind and the verdict; exits 1 on any violation, 77 when it cannot run here
# (not root, no `ip netns`, no nftables), saying why.
#
#   scripts/netns_cluster.sh [--trials N] [--budget STEPS] [--faults N] [--seed S]
#
# GROKSWEEP_BIN=DIR uses the binaries in DIR instead of building (the test suite does this);
# GROKSWEEP_NETNS_KEEP=1 keeps the work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
trials=120 budget=3000 faults=0 seed=$RANDOM
while [ $# -gt 0 ]; do
  case "$1" in
    --trials) trials=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --faults) faults=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    *) echo "usage: $0 [--trials N] [--budget STEPS] [--faults N] [--seed S]" >&2; exit 2 ;;
  esac
done
skip() { echo "netns: SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "network namespaces need root"
command -v ip >/dev/null || skip "no ip command (Debian: iproute2)"
command -v nft >/dev/null || skip "no nft command (Debian: nftables)"
command -v python3 >/dev/null || skip "no python3"
probe="gsprobe$$"
ip netns add "$probe" 2>/dev/null || skip "cannot create a network namespace here"
ip netns exec "$probe" nft add table inet probe 2>/dev/null || { ip netns del "$probe"; skip "nftables does not work inside a namespace here"; }
ip netns del "$probe"

if [ -z "${GROKSWEEP_BIN:-}" ]; then
  swift build -c release -Xswiftc -enable-testing >/dev/null
  GROKSWEEP_BIN=.build/release
fi
coord_bin="$(cd "$GROKSWEEP_BIN" && pwd)/grok-coord"
worker_bin="$(cd "$GROKSWEEP_BIN" && pwd)/grok-worker"
work=$(mktemp -d "${TMPDIR:-/tmp}/groksweep-netns.XXXXXX")
tag="gs$$"
hub="${tag}hub"
nodes=(c w1 w2 w3)
declare -A address=([c]=10.77.0.1 [w1]=10.77.0.11 [w2]=10.77.0.12 [w3]=10.77.0.13)
declare -A pids=()

cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill -9 "$pid" 2>/dev/null || true; done
  for node in "${nodes[@]}"; do
    for pid in $(ip netns pids "$tag$node" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$tag$node" 2>/dev/null || true
  done
  ip netns del "$hub" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "${GROKSWEEP_NETNS_KEEP:-}" ] || [ "$status" -ne 0 ]; then echo "netns: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
RANDOM=$seed

# The hosts: one namespace each, joined to a bridge that lives in a namespace of its own.
ip netns add "$hub"
ip -n "$hub" link add br0 type bridge
ip -n "$hub" link set br0 up
for node in "${nodes[@]}"; do
  ns="$tag$node"
  ip netns add "$ns"
  ip -n "$hub" link add "v$node" type veth peer name eth0 netns "$ns"
  ip -n "$hub" link set "v$node" master br0 up
  ip -n "$ns" addr add "${address[$node]}/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  # Fault rules live in one table per host: partitions and loss are rules added to its chains.
  ip netns exec "$ns" nft -f - <<NFT
table inet fault {
  chain in { type filter hook input priority 0; }
  chain out { type filter hook output priority 0; }
}
NFT
done
on() { local node=$1; shift; ip netns exec "$tag$node" "$@"; }
# In the background, `ip netns exec` itself becomes the program (it execs), so $! is its pid: the
# one that kill -9 and SIGSTOP must reach. (A shell function sent to the background would be a
# subshell whose death leaves the program running.)
spawn() { local node=$1 log=$2; shift 2; ip netns exec "$tag$node" "$@" >>"$log" 2>&1 & }
partition() { on "$1" nft add rule inet fault in iifname eth0 drop; on "$1" nft add rule inet fault out oifname eth0 drop; }
lossy() {
  on "$1" nft add rule inet fault in iifname eth0 numgen random mod 100 "<" "$2" drop
  on "$1" nft add rule inet fault out oifname eth0 numgen random mod 100 "<" "$2" drop
}
heal() { on "$1" nft flush chain inet fault in; on "$1" nft flush chain inet fault out; }

scripts/censored_sweep.sh netns "$trials" "$budget" >"$work/sweep.json"
"$coord_bin" keys "$work/keys" --workers 3 >/dev/null
rm "$work/keys/admitted/worker-3.key"   # revoked: its bundle must be refused

echo "netns: $trials trials of $budget steps on 4 hosts (coordinator, 2 workers, intruders), $faults faults in all, seed $seed; clean run first"
"$coord_bin" "$work/sweep.json" --run-dir "$work/clean" --local-workers 2 >"$work/clean.log" 2>&1

endpoint="tcp://${address[c]}:5555"
start_coordinator() {
  spawn c "$work/coordinator.log" "$coord_bin" "$work/sweep.json" --run-dir "$work/run" --bind "$endpoint" \
    --curve-keys "$work/keys" --local-workers 0
  pids[coordinator]=$!
}
start_worker() {
  local node=$1 connect=$endpoint
  [ "$node" = w1 ] && connect="tcp://127.0.0.1:6000"
  spawn "$node" "$work/worker-$node.log" "$worker_bin" --connect "$connect" --curve-keys "$work/keys/worker-${node#w}" \
    --id "$node" --threads 1
  pids[$node]=$!
}
start_coordinator
spawn w1 "$work/proxy.log" python3 scripts/delay_proxy.py 127.0.0.1:6000 "${address[c]}:5555" 200
pids[proxy]=$!
lossy w1 5
start_worker w1
start_worker w2
spawn w3 "$work/worker-keyless.log" "$worker_bin" --connect "$endpoint" --id keyless --threads 1
pids[keyless]=$!
spawn w3 "$work/worker-revoked.log" "$worker_bin" --connect "$endpoint" --curve-keys "$work/keys/worker-3" --id revoked --threads 1
pids[revoked]=$!

journal="$work/run/journal.jsonl"
count() { local n; n=$(grep -c "\"type\":\"$1\"" "$journal" 2>/dev/null) || true; echo "${n:-0}"; }
started=$(date +%s)
deadline() { [ $(($(date +%s) - started)) -le 1200 ] || { echo "netns: FAIL: timed out" >&2; exit 1; }; }
wait_finished() { while [ "$(count finished)" -lt "$1" ]; do deadline; kill -0 "${pids[coordinator]}" 2>/dev/null || return 0; sleep 0.2; done; }
running() { kill -0 "${pids[coordinator]}" 2>/dev/null && [ "$(count finished)" -lt "$trials" ]; }
declare -A injected=()
note() { injected[$1]=$((${injected[$1]:-0} + 1)); }
total() { local sum=0 kind; for kind in "${!injected[@]}"; do sum=$((sum + injected[$kind])); done; echo $sum; }
# Failed attempts of the trial a worker holds now: the killer spares a trial that failed once, so
# no trial reaches the limit of 3 failed attempts only because chance picked it three times.
failures_of_current_trial() {
  local trial
  trial=$(grep "\"type\":\"assigned\",\"worker\":\"$1\"" "$journal" 2>/dev/null | tail -1 | sed -n 's/.*"trial":"\([^"]*\)".*/\1/p')
  [ -n "$trial" ] || { echo 0; return; }
  grep '"type":"attemptFailed"' "$journal" | grep -c "\"trial\":\"$trial\"" || true
}
spared() { local node; for node in "$@"; do [ "$(failures_of_current_trial "$node")" -ge 1 ] && return 0; done; return 1; }
stop_failures=0
# Waits until no attempt has failed for 5 s (longer than the liveness timeout), so what an
# earlier fault still causes (a restarted worker's hello, a link slow to recover) is not
# charged to the next one.
settle() {
  local last since now
  last=$(count attemptFailed) since=$(date +%s)
  while [ $(($(date +%s) - since)) -lt 5 ]; do
    sleep 0.5
    now=$(count attemptFailed)
    if [ "$now" != "$last" ]; then last=$now since=$(date +%s); fi
  done
}

wait_finished 4
note "slow lossy link (200 ms, 5 %)"
if running; then
  partition w2; sleep 10; heal w2; note "worker partition"
fi
wait_finished $(($(count finished) + 4))
if running; then
  partition c; sleep 10; heal c; note "coordinator partition"
fi
while running && [ "$(total)" -lt "$faults" ]; do
  deadline
  sleep "0.$((3 + RANDOM % 7))"
  running || break
  victim="w$((1 + RANDOM % 2))"
  case $((RANDOM % 10)) in
    0 | 1 | 2)
      spared "$victim" && continue
      kill -9 "${pids[$victim]}" 2>/dev/null || true
      wait "${pids[$victim]}" 2>/dev/null || true
      start_worker "$victim"; note "worker kill -9" ;;
    3)
      [ "$(count finished)" -gt 0 ] || continue
      kill -9 "${pids[coordinator]}" 2>/dev/null || true
      wait "${pids[coordinator]}" 2>/dev/null || true
      start_coordinator; note "coordinator kill -9"
      sleep 1 ;;
    4 | 5)
      # Beyond the workers' liveness (3 heartbeats of 1 s): they reconnect; the coordinator,
      # resumed, must blame none of them for its own absence.
      settle
      before=$(count attemptFailed)
      kill -STOP "${pids[coordinator]}"; sleep 4.5; kill -CONT "${pids[coordinator]}"
      sleep 2
      after=$(count attemptFailed)
      if [ "$after" -gt "$before" ]; then
        echo "netns: attempts failed across a coordinator SIGSTOP:" >&2
        grep '"type":"attemptFailed"' "$journal" | tail -n $((after - before)) >&2
      fi
      stop_failures=$((stop_failures + after - before))
      note "coordinator SIGSTOP 4.5 s" ;;
    6 | 7)
      spared "$victim" && continue
      partition "$victim"; sleep $((4 + RANDOM % 7)); heal "$victim"; note "worker partition" ;;
    8)
      spared w1 w2 && continue
      partition c; sleep 4; heal c; note "coordinator partition" ;;
    9)
      lossy w2 30; sleep 5; heal w2; note "30 % loss burst" ;;
  esac
done
injected_total=$(total)
set +e
wait "${pids[coordinator]}"
status=$?
set -e
unset 'pids[coordinator]'
if [ $status -ne 0 ]; then echo "netns: the last coordinator exited with $status" >&2; tail -20 "$work/coordinator.log" >&2; exit 1; fi

echo "netns summary: $trials trials; $injected_total faults injected:"
for kind in "${!injected[@]}"; do echo "  ${injected[$kind]} × $kind"; done
refused_assignments=$( (grep '"type":"assigned"' "$journal" | grep -c -E '"worker":"(keyless|revoked)"') || true)
echo "  intruders (no key, revoked key): $refused_assignments trials assigned to them"
echo "  failed attempts during coordinator SIGSTOPs: $stop_failures"
ok=1
[ "$injected_total" -ge "$faults" ] || { echo "netns: the sweep ended after $injected_total of $faults faults; give it more --trials" >&2; ok=0; }
[ "${injected[coordinator partition]:-0}" -ge 1 ] || { echo "netns: the sweep ended before the scripted partitions; give it more --trials" >&2; ok=0; }
[ "$refused_assignments" -eq 0 ] || ok=0
[ "$stop_failures" -eq 0 ] || ok=0
python3 scripts/compare_runs.py "$work/clean" "$work/run" "$trials" || ok=0
if [ $ok -eq 1 ]; then echo "netns: PASS"; else echo "netns: FAIL"; exit 1; fi
