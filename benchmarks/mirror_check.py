#!/usr/bin/env python3
"""Run one config for a few hundred steps in the engine and in the PyTorch reference started
from the engine's own initial parameters, split, batch order and warm-up
(`reference/train.py --mirror-engine`), and compare their losses evaluation by evaluation.

Equal losses (to float32 rounding, drifting slowly) mean the engine computes the reference's
model and optimiser; any modelling difference shows within a few steps.

Usage: mirror_check.py CONFIG.json [--steps 200] [--seed S] [--engine .build/release/grok-worker]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--engine", default=os.path.join(HERE, "..", ".build", "release", "grok-worker"))
    args = parser.parse_args()
    config = json.load(open(args.config))
    config.update(budget=args.steps, evalEvery=10, seed=args.seed)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "config.json")
        json.dump(config, open(path, "w"))
        engine_curve, reference_curve = os.path.join(directory, "engine.jsonl"), os.path.join(directory, "reference.jsonl")
        subprocess.run([args.engine, "trial", path, "--quiet", "--curve", engine_curve], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, os.path.join(HERE, "reference", "train.py"), path, "--mirror-engine",
                        "--curve", reference_curve], check=True, stdout=subprocess.DEVNULL)
        engine = [json.loads(line) for line in open(engine_curve)]
        reference = [json.loads(line) for line in open(reference_curve)]
    print("| step | engine train loss | reference train loss | engine test acc | reference test acc |")
    print("|---|---|---|---|---|")
    worst = 0.0
    for mine, theirs in zip(engine, reference):
        worst = max(worst, abs(mine["trainLoss"] - theirs["trainLoss"]) / abs(theirs["trainLoss"]))
        if mine["step"] % (args.steps // 5 or 1) == 0:
            print(f"| {mine['step']} | {mine['trainLoss']:.6f} | {theirs['trainLoss']:.6f} | "
                  f"{mine['testAccuracy']:.4f} | {theirs['testAccuracy']:.4f} |")
    print(f"\nlargest relative train-loss difference over {len(engine)} evaluations: {worst:.2e}")


if __name__ == "__main__":
    main()
