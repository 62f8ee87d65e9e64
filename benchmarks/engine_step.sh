#!/usr/bin/env bash
# Engine speed: ms per training step of the canonical MLP (p 97, d 128, 512 ReLU, full batch
# 4 704, AdamW) on 1 and 2 BLAS threads, GFLOP/s, and the straightforward path for contrast.
# Pass `--pytorch PYTHON` to run the PyTorch eager peer with that interpreter as well.
# Run on a quiet machine: two-thread figures collapse when another process shares the cores.
set -euo pipefail
cd "$(dirname "$0")/.."
python=""
if [ "${1:-}" = "--pytorch" ]; then python="$2"; shift 2; fi
swift build -c release -Xswiftc -enable-testing --product grok-worker >/dev/null
.build/release/grok-worker bench --reference "$@"
if [ -n "$python" ]; then "$python" benchmarks/pytorch_mlp_step.py; fi
