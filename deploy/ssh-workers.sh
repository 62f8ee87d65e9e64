#!/usr/bin/env bash
# Start grok-workers on a list of hosts over ssh (no scheduler needed).
#
#   grok-coord sweeps/weakdim.json --bind tcp://*:5555 --local-workers 0 &
#   deploy/ssh-workers.sh tcp://$(hostname):5555 node01 node02 node03
#
# Authenticated (CURVE): make one worker bundle per host, start the coordinator with the keys,
# and name the key directory; the script copies bundle worker-K to the K-th host (0700/0600).
#   grok-coord keys keys --workers 3
#   grok-coord sweeps/weakdim.json --bind tcp://*:5555 --local-workers 0 --curve-keys keys &
#   CURVE_KEYS=keys deploy/ssh-workers.sh tcp://$(hostname):5555 node01 node02 node03
#
# Each host must have the same build at the same path (GROK_WORKER, default ./.build/release/
# grok-worker relative to the remote home directory) and reach the coordinator's port.
# One worker per core, one BLAS thread each; they exit when the sweep is done.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 tcp://COORDINATOR:PORT HOST..." >&2; exit 2; }
coordinator=$1; shift
worker=${GROK_WORKER:-./.build/release/grok-worker}
index=0
for host in "$@"; do
  index=$((index + 1))
  keys=""
  if [ -n "${CURVE_KEYS:-}" ]; then
    bundle="$CURVE_KEYS/worker-$index"
    [ -d "$bundle" ] || { echo "no key bundle $bundle for $host (grok-coord keys $CURVE_KEYS --workers N)" >&2; exit 2; }
    # scp -p keeps the 0600 mode of the secret key; the worker refuses anything looser.
    ssh "$host" "rm -rf grok-keys && mkdir -m 700 grok-keys" && scp -pq "$bundle"/* "$host:grok-keys/"
    keys="--curve-keys grok-keys"
  fi
  ssh "$host" "for core in \$(seq 0 \$((\$(nproc) - 1))); do
      nohup $worker --connect $coordinator --threads 1 --id \$(hostname)-\$core $keys >grok-worker-\$core.log 2>&1 &
    done" &
done
wait
echo "workers started on: $*"
