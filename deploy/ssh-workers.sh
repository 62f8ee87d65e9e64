#!/usr/bin/env bash
# Start grok-workers on a list of hosts over ssh (no scheduler needed).
#
#   grok-coord sweeps/weakdim.json --bind tcp://*:5555 --local-workers 0 &
#   deploy/ssh-workers.sh tcp://$(hostname):5555 node01 node02 node03
#
# Each host must have the same build at the same path (GROK_WORKER, default ./.build/release/
# grok-worker relative to the remote home directory) and reach the coordinator's port.
# One worker per core, one BLAS thread each; they exit when the sweep is done.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 tcp://COORDINATOR:PORT HOST..." >&2; exit 2; }
coordinator=$1; shift
worker=${GROK_WORKER:-./.build/release/grok-worker}
for host in "$@"; do
  ssh "$host" "for core in \$(seq 0 \$((\$(nproc) - 1))); do
      nohup $worker --connect $coordinator --threads 1 --id \$(hostname)-\$core >grok-worker-\$core.log 2>&1 &
    done" &
done
wait
echo "workers started on: $*"
