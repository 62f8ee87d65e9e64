#!/usr/bin/env bash
# The canonical grokking experiment, one trial per seed, straight on the engine:
# modular addition p 97, train fraction 0.5, MLP d 128 / 512 ReLU, full batch, AdamW 1e-3, wd 1.
# Prints t_mem, t_grok and the delay per seed. Usage: benchmarks/canonical_grokking.sh [SEEDS...]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release -Xswiftc -enable-testing --product grok-worker >/dev/null
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(0 1 2)
dir=$(mktemp -d)
for seed in "${seeds[@]}"; do
  echo "{\"seed\": $seed}" > "$dir/seed$seed.json"
  echo "== seed $seed"
  .build/release/grok-worker trial "$dir/seed$seed.json" --quiet | grep -E "outcome|t_mem|t_grok|delay|steps "
done
rm -rf "$dir"
