#!/usr/bin/env python3
"""Cross-check one trial config in the engine and in its PyTorch reference over several seeds.

Runs `grok-worker trial` and `reference/train.py` on the same config for each seed (engine and
reference in turn, or side by side with --jobs 2, so both see the same machine load), appends every run to a JSON-lines
file (a rerun skips the runs already there), and prints t_mem and t_grok per implementation:
median over seeds with a 95 % bootstrap interval of the median. A censored run counts at the
budget (a lower bound; the table says how many were censored). The RNGs differ, so agreement
means medians within ~25 % or overlapping intervals — not equal numbers.

Usage:
  cross_check.py CONFIG.json --label NAME [--seeds 0 1 2 3 4] [--set amplifier='{"kind":"none"}']
                 [--runs runs.jsonl] [--curves DIR] [--threads N] [--jobs 2] [--engine .build/release/grok-worker] [--python python3]
  cross_check.py --summarise runs.jsonl     (tables of every label in the file, no runs)
"""
import argparse
import concurrent.futures
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))


def with_overrides(config: dict, overrides: list[str]) -> dict:
    """`a.b=JSON` sets config['a']['b'] (a bare word is a string)."""
    config = json.loads(json.dumps(config))
    for item in overrides:
        path, _, text = item.partition("=")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        *parents, last = path.split(".")
        node = config
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return config


def run_engine(engine: str, config_path: str, threads: int, curve) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        subprocess.run([engine, "trial", config_path, "--quiet", "--threads", str(threads), "--result", result.name]
                       + (["--curve", curve] if curve else []), check=True, stdout=subprocess.DEVNULL)
        outcome = json.load(open(result.name))
    return dict(tMem=outcome.get("tMem"), tGrok=outcome.get("tGrok"), steps=outcome["steps"], seconds=outcome["seconds"])


def run_reference(python: str, config_path: str, threads: int, curve) -> dict:
    output = subprocess.run([python, os.path.join(HERE, "reference", "train.py"), config_path, "--threads", str(threads)]
                            + (["--curve", curve] if curve else []), check=True, capture_output=True, text=True).stdout
    outcome = json.loads(output.strip().splitlines()[-1])
    return {key: outcome[key] for key in ("tMem", "tGrok", "steps", "seconds")}


def bootstrap_median(values: list[float], resamples: int = 4000, seed: int = 0) -> tuple[float, float]:
    generator = random.Random(seed)
    medians = sorted(statistics.median(generator.choices(values, k=len(values))) for _ in range(resamples))
    return medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]


def summarise(runs: list[dict]) -> str:
    lines = []
    for label in dict.fromkeys(run["label"] for run in runs):
        chosen = [run for run in runs if run["label"] == label]
        budget = chosen[0]["budget"]
        lines += [f"### {label}", "",
                  "| implementation | seeds | t_mem median [95 % CI] | t_grok median [95 % CI] | censored | t_grok per seed | s/run |",
                  "|---|---|---|---|---|---|---|"]
        medians = {}
        for implementation in ("engine", "reference"):
            mine = sorted((run for run in chosen if run["implementation"] == implementation), key=lambda run: run["seed"])
            if not mine:
                continue
            cells = []
            for key in ("tMem", "tGrok"):
                values = [run[key] if run[key] is not None else budget for run in mine]
                low, high = bootstrap_median(values)
                medians[(implementation, key)] = (statistics.median(values), low, high)
                cells.append(f"{statistics.median(values):.0f} [{low:.0f}, {high:.0f}]")
            censored = sum(run["tGrok"] is None for run in mine)
            per_seed = " / ".join(str(run["tGrok"]) if run["tGrok"] is not None else f">{budget}" for run in mine)
            seconds = statistics.mean(run["seconds"] for run in mine)
            lines.append(f"| {implementation} | {len(mine)} | {cells[0]} | {cells[1]} | {censored} | {per_seed} | {seconds:.0f} |")
        verdicts = []
        for key, name in (("tMem", "t_mem"), ("tGrok", "t_grok")):
            if ("engine", key) in medians and ("reference", key) in medians:
                (e, elow, ehigh), (r, rlow, rhigh) = medians[("engine", key)], medians[("reference", key)]
                ratio = e / r if r else float("inf")
                overlap = elow <= rhigh and rlow <= ehigh
                agree = abs(ratio - 1) <= 0.25 or overlap
                verdicts.append(f"{name}: engine/reference {ratio:.2f}, CIs {'overlap' if overlap else 'disjoint'} → "
                                f"{'agree' if agree else 'DISAGREE'}")
        lines += ["", "; ".join(verdicts), ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", nargs="?")
    parser.add_argument("--label")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--set", action="append", default=[], dest="overrides")
    parser.add_argument("--runs", default="cross_check_runs.jsonl")
    parser.add_argument("--engine", default=os.path.join(HERE, "..", ".build", "release", "grok-worker"))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--threads", type=int, default=1, help="compute threads of each run (both sides)")
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (2: a seed's engine and reference together)")
    parser.add_argument("--curves", metavar="DIR", help="keep each run's evaluation curve (JSON lines) here")
    parser.add_argument("--summarise", metavar="RUNS")
    args = parser.parse_args()
    if args.summarise:
        print(summarise([json.loads(line) for line in open(args.summarise)]))
        return
    if not args.config or not args.label:
        parser.error("CONFIG and --label are needed to run")
    config = with_overrides(json.load(open(args.config)), args.overrides)
    done = set()
    if os.path.exists(args.runs):
        done = {(run["label"], run["implementation"], run["seed"]) for run in map(json.loads, open(args.runs))}
    runners = {"engine": lambda path, curve: run_engine(args.engine, path, args.threads, curve),
               "reference": lambda path, curve: run_reference(args.python, path, args.threads, curve)}
    if args.curves:
        os.makedirs(args.curves, exist_ok=True)
    lock = threading.Lock()

    def run_one(seed: int, implementation: str):
        trial = dict(config, seed=seed)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(trial, handle)
        try:
            curve = None
            if args.curves:
                curve = os.path.join(args.curves, f"{args.label.replace(' ', '_')}.{implementation}.seed{seed}.jsonl")
            outcome = runners[implementation](handle.name, curve)
        finally:
            os.unlink(handle.name)
        record = dict(label=args.label, implementation=implementation, seed=seed, budget=trial["budget"],
                      config=trial, **outcome)
        with lock, open(args.runs, "a") as runs:
            runs.write(json.dumps(record) + "\n")
            print(f"{args.label} seed {seed} {implementation}: t_mem {outcome['tMem']} t_grok {outcome['tGrok']} "
                  f"({outcome['seconds']:.0f} s)", flush=True)

    pending = [(seed, implementation) for seed in args.seeds for implementation in runners
               if (args.label, implementation, seed) not in done]
    # Engine and reference of a seed side by side (--jobs 2), so both see the same machine load.
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for future in [pool.submit(run_one, seed, implementation) for seed, implementation in pending]:
            future.result()
    print(summarise([run for run in map(json.loads, open(args.runs)) if run["label"] == args.label]))


if __name__ == "__main__":
    main()
