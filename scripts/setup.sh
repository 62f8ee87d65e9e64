#!/usr/bin/env bash
# Installs what GrokSweep needs on a fresh Debian machine: libzmq, OpenBLAS (and pyzmq for the
# tests that talk to the coordinator from another ZeroMQ implementation; as root, iproute2 and
# nftables for the multi-host test in network namespaces). Idempotent.
set -euo pipefail
need=()
[ -f /usr/include/zmq.h ] || need+=(libzmq3-dev)
[ -f /usr/include/x86_64-linux-gnu/cblas.h ] || [ -f /usr/include/cblas.h ] || need+=(libopenblas-dev)
if [ "$(id -u)" -eq 0 ]; then
  command -v ip >/dev/null || need+=(iproute2)
  command -v nft >/dev/null || need+=(nftables)
fi
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi
python3 -c 'import zmq' 2>/dev/null || python3 -m pip install -q pyzmq 2>/dev/null || true
