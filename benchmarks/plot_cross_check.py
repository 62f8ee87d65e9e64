#!/usr/bin/env python3
"""Figures of a cross-check (cross_check.py's runs file, and its --curves directory if given).

Left: t_mem and t_grok of every seed, engine beside reference, one group per label; a bar marks
each median, a hollow triangle a censored run (at its budget). Right (with --curves): test
accuracy of every run against steps, engine solid, reference dashed.

Usage: plot_cross_check.py RUNS.jsonl OUT.png [--curves DIR]
"""
import argparse
import glob
import json
import os
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {"engine": "tab:blue", "reference": "tab:orange"}


def times_panel(axis, runs):
    labels = list(dict.fromkeys(run["label"] for run in runs))
    ticks, names = [], []
    for group, label in enumerate(labels):
        for offset, (implementation, key) in enumerate(
                [(i, k) for k in ("tMem", "tGrok") for i in ("engine", "reference")]):
            x = group * 5 + offset
            chosen = [run for run in runs if run["label"] == label and run["implementation"] == implementation]
            values = [run[key] if run[key] is not None else run["budget"] for run in chosen]
            for run, value in zip(chosen, values):
                censored = run[key] is None
                axis.scatter(x, value, color=COLOURS[implementation], marker="^" if censored else "o",
                             facecolors="none" if censored else COLOURS[implementation], zorder=3)
            if values:
                axis.hlines(statistics.median(values), x - 0.35, x + 0.35, color=COLOURS[implementation], linewidth=2)
            ticks.append(x)
            names.append(f"{'t_mem' if key == 'tMem' else 't_grok'}\n{implementation[:3]}")
        axis.text(group * 5 + 1.5, 1.02, label, transform=axis.get_xaxis_transform(), ha="center", fontsize=8)
    axis.set_xticks(ticks, names, fontsize=7)
    axis.set_ylabel("steps")
    axis.grid(axis="y", alpha=0.3)


def curves_panel(axis, directory):
    labels = set()
    for path in sorted(glob.glob(os.path.join(directory, "*.jsonl"))):
        label, implementation, _ = os.path.basename(path).rsplit(".", 3)[:3]
        labels.add(label.replace("_", " "))
        points = [json.loads(line) for line in open(path)]
        axis.plot([p["step"] for p in points], [p["testAccuracy"] for p in points], color=COLOURS[implementation],
                  linestyle="-" if implementation == "engine" else "--", alpha=0.6, linewidth=1)
    axis.set_title(", ".join(sorted(labels)), fontsize=8)
    axis.set_xlabel("step")
    axis.set_ylabel("test accuracy")
    axis.plot([], [], color=COLOURS["engine"], label="engine")
    axis.plot([], [], color=COLOURS["reference"], linestyle="--", label="PyTorch reference")
    axis.legend(fontsize=8)
    axis.grid(alpha=0.3)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs")
    parser.add_argument("out")
    parser.add_argument("--curves")
    args = parser.parse_args()
    runs = [json.loads(line) for line in open(args.runs)]
    panels = 2 if args.curves else 1
    figure, axes = plt.subplots(1, panels, figsize=(6 * panels, 4.5), squeeze=False)
    times_panel(axes[0][0], runs)
    if args.curves:
        curves_panel(axes[0][1], args.curves)
    figure.tight_layout()
    figure.savefig(args.out, dpi=120)


if __name__ == "__main__":
    main()
