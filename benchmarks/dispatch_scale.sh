#!/usr/bin/env bash
# Coordinator at scale: one real coordinator (sweep plan, journal with group commit, ZeroMQ
# ROUTER, dispatcher) against 1 000 simulated workers — real DEALER sockets speaking the real
# protocol, spread over 2 processes — and 100 000 tiny trials that each "run" for 100 ms.
# Prints dispatch rate, assignment latency (p50/p99/max), coordinator CPU per trial, peak RSS,
# journal size and replay time, and checks that every trial finished exactly once.
#
#   benchmarks/dispatch_scale.sh [--workers N] [--trials N] [--trial-ms MS] [--processes N]
#
# --trial-ms 0 saturates the coordinator (every worker asks again at once): the rate is then
# the coordinator's capacity and the latency is queueing (Little's law: workers / rate).
# The simulated workers share the machine's cores with the coordinator: on a busy machine
# both the rate and the tail latency suffer; the CPU-per-trial figure is the steadiest one.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release -Xswiftc -enable-testing >/dev/null
exec .build/release/grok-coord bench-dispatch --workers 1000 --trials 100000 --processes 2 "$@"
