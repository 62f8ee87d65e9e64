#!/usr/bin/env bash
# Prints a sweep of short censored trials for the distribution scripts: modular addition mod 31
# on an MLP (d 32 / width 128) with weight decay 0.1, which never groks within the budget, so
# every trial is deterministic work of its whole budget (~0.3 ms a step on one core).
#
#   scripts/censored_sweep.sh NAME TRIALS BUDGET > sweep.json
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 NAME TRIALS BUDGET" >&2; exit 2; }
cat <<JSON
{ "name": "$1",
  "base": { "task": { "kind": "modular", "operation": "add", "modulus": 31, "trainFraction": 0.5 },
            "target": { "embeddingDim": 32, "width": 128, "weightDecay": 0.1 } },
  "budget": $3, "evalEvery": 50,
  "seeds": { "count": $2, "start": 0 } }
JSON
