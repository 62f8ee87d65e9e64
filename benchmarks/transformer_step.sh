#!/usr/bin/env bash
# Transformer speed: ms per full-batch training step (forward, loss, backward, AdamW) of Nanda's
# modular-addition transformer (d_model 128, 4 heads, d_mlp 512, ReLU, no LayerNorm, `a b =`,
# 4 704 examples) with 1 and 2 layers, on 1 and 2 BLAS threads, the straightforward path for
# contrast. Pass `--pytorch PYTHON` to time the PyTorch eager peer with that interpreter right
# after each engine measurement (interleaved, so both see the same machine load).
# Run on a quiet machine: two-thread figures collapse when another process shares the cores.
set -euo pipefail
cd "$(dirname "$0")/.."
python=""
if [ "${1:-}" = "--pytorch" ]; then python="$2"; shift 2; fi
swift build -c release -Xswiftc -enable-testing --product grok-worker >/dev/null
for layers in 1 2; do
    .build/release/grok-worker bench --transformer "$layers" --steps 20 "$@"
    if [ -n "$python" ]; then "$python" benchmarks/pytorch_transformer_step.py --layers "$layers" --steps 10; fi
done
