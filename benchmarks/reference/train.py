#!/usr/bin/env python3
"""Train one trial config (the JSON `grok-worker trial` reads) with the PyTorch reference.

The training loop follows the Grokfast and NeuralGrok code: a fresh permutation of the training
set every epoch cut into batches (`torch.split`), cross-entropy on the last position, the
gradient filter (Grokfast-EMA / -MA, or NeuralGrok's amplifier with its outer step after the
update, `neuralgrok.py`) between backward and the optimiser step, `torch.optim.Adam` (coupled L2) or
`AdamW`, and the `LambdaLR` warm-up `u / W` up to update W (so the first update has rate 0).
Full train and test accuracy are measured every `evalEvery` steps from step 0, and `t_mem` /
`t_grok` are the first step of `sustain` consecutive evaluations at the thresholds — the
engine's definitions. Prints one JSON line: tMem, tGrok, steps, seconds.

Usage: train.py CONFIG.json [--seed S] [--threads N] [--curve FILE]
                [--engine-streams] [--engine-warmup] [--mirror-engine]
"""
import argparse
import json
import math
import sys
import time
from collections import deque

import torch
import torch.nn.functional as F

sys.path.insert(0, __import__("os").path.dirname(__file__))
from data import sequences, split  # noqa: E402
from models import Decoder  # noqa: E402
from neuralgrok import NeuralGrok  # noqa: E402
import engine_rng  # noqa: E402

TARGET_DEFAULTS = {
    "architecture": "mlp", "embeddingDim": 128, "width": 512, "depth": 1, "activation": "relu", "heads": 4,
    "layerNorm": False, "attentionBias": False, "block": "preNorm", "initialization": "nanda", "initScale": 1.0,
    "optimizer": "adamw", "learningRate": 1e-3, "beta1": 0.9, "beta2": 0.98, "epsilon": 1e-8, "weightDecay": 1.0,
    "warmupSteps": 0, "batchSize": 0, "loss": "crossEntropy",
}


def load(path: str, seed):
    config = json.load(open(path))
    target = {**TARGET_DEFAULTS, **config.get("target", {})}
    task = {"operation": "add", "modulus": 97, "trainFraction": 0.5, **config.get("task", {})}
    if target["architecture"] != "transformer" or task.get("kind", "modular") != "modular":
        raise SystemExit("the reference runs transformers on modular tasks only")
    if target["loss"] != "crossEntropy" or config.get("method", "scratch") != "scratch":
        raise SystemExit("the reference trains from scratch with cross-entropy only")
    thresholds = {"train": 0.99, "test": 0.99, "sustain": 3, **config.get("thresholds", {})}
    amplifier = config.get("amplifier") or {"kind": "none"}
    return dict(task=task, target=target, thresholds=thresholds, amplifier=amplifier,
                budget=int(config.get("budget", 20000)), eval_every=int(config.get("evalEvery", 10)),
                seed=int(config.get("seed", 0) if seed is None else seed))


class EMAFilter:
    """Grokfast-EMA: μ ← αμ + (1−α)g (μ starts at the first gradient), g ← g + λμ."""

    def __init__(self, alpha: float, lamb: float):
        self.alpha, self.lamb, self.average = alpha, lamb, None

    def __call__(self, parameters):
        if self.average is None:
            self.average = [p.grad.detach().clone() for p in parameters]
        for p, mu in zip(parameters, self.average):
            mu.mul_(self.alpha).add_(p.grad, alpha=1 - self.alpha)
            p.grad.add_(mu, alpha=self.lamb)


class MAFilter:
    """Grokfast-MA: g ← g + λ·mean of the last `window` gradients (after the window fills)."""

    def __init__(self, window: int, lamb: float, warmup: bool):
        self.window, self.lamb, self.warmup, self.queue = window, lamb, warmup, deque(maxlen=window)

    def __call__(self, parameters):
        self.queue.append([p.grad.detach().clone() for p in parameters])
        if self.warmup and len(self.queue) < self.window:
            return
        for index, p in enumerate(parameters):
            p.grad.add_(sum(g[index] for g in self.queue) / len(self.queue), alpha=self.lamb)


def make_filter(amplifier: dict, model, target: dict):
    kind = amplifier.get("kind", "none")
    if kind == "none":
        return None
    if kind == "neuralgrok":
        return NeuralGrok(amplifier, model, target["learningRate"], target["weightDecay"])
    if kind == "ema":
        return EMAFilter(amplifier.get("alpha", 0.98), amplifier.get("lamb", 2.0))
    if kind == "ma":
        return MAFilter(amplifier.get("window", 100), amplifier.get("lamb", 5.0), amplifier.get("warmup", True))
    raise SystemExit(f"the reference has no amplifier {kind!r}")


class Tracker:
    """First step of `sustain` consecutive evaluations at or above a threshold."""

    def __init__(self, threshold: float, sustain: int):
        self.threshold, self.sustain, self.start, self.length, self.confirmed = threshold, sustain, None, 0, None

    def observe(self, step: int, value: float):
        if self.confirmed is not None:
            return
        if value >= self.threshold:
            self.start = step if self.start is None else self.start
            self.length += 1
            if self.length >= self.sustain:
                self.confirmed = self.start
        else:
            self.start, self.length = None, 0


@torch.no_grad()
def evaluate(model, tokens, labels, chunk=4096):
    """(accuracy, mean cross-entropy) over the whole set."""
    correct, loss = 0, 0.0
    for start in range(0, labels.shape[0], chunk):
        logits = model(tokens[:, start:start + chunk])
        correct += (logits.argmax(-1) == labels[start:start + chunk]).sum().item()
        loss += F.cross_entropy(logits, labels[start:start + chunk], reduction="sum").item()
    return correct / labels.shape[0], loss / labels.shape[0]


def run(trial: dict, curve_path=None, engine_streams=False, engine_warmup=False):
    torch.manual_seed(trial["seed"])
    target = trial["target"]
    tokens, labels, vocabulary, classes = sequences(trial["task"])
    if engine_streams:
        order = torch.tensor(engine_rng.split_order(labels.shape[0], trial["seed"]))
        count = int(labels.shape[0] * trial["task"]["trainFraction"])
        (train_x, train_y), (test_x, test_y) = ((tokens[:, order[:count]], labels[order[:count]]),
                                                (tokens[:, order[count:]], labels[order[count:]]))
    else:
        (train_x, train_y), (test_x, test_y) = split(tokens, labels, trial["task"]["trainFraction"])
    model = Decoder(vocabulary, classes, tokens.shape[0], target)
    if engine_streams:
        engine_rng.engine_parameters(model, target, vocabulary, trial["seed"])
    outer = None
    if trial["amplifier"].get("kind") == "neuralgrok":
        # D_outer: ⌈fraction · n⌉ of the training set, held out of it (train metrics are over the rest).
        count = min(max(math.ceil(trial["amplifier"].get("outerFraction", 0.02) * train_y.shape[0]), 1), train_y.shape[0] - 1)
        order = torch.randperm(train_y.shape[0])
        outer = (train_x[:, order[:count]], train_y[order[:count]])
        train_x, train_y = train_x[:, order[count:]], train_y[order[count:]]
    parameters = [p for p in model.parameters()]
    optimizer_class = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}.get(target["optimizer"])
    if optimizer_class is None:
        raise SystemExit(f"the reference has no optimizer {target['optimizer']!r}")
    optimizer = optimizer_class(parameters, lr=target["learningRate"], betas=(target["beta1"], target["beta2"]),
                                eps=target["epsilon"], weight_decay=target["weightDecay"])
    warmup = target["warmupSteps"]
    # The papers' LambdaLR gives the first update rate 0; the engine's warm-up starts at 1/W.
    ramp = (lambda u: 1 if u >= warmup else (u + 1) / warmup) if engine_warmup else (lambda u: 1 if u > warmup else u / warmup)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, ramp) if warmup else None
    gradient_filter = make_filter(trial["amplifier"], model, target)
    batch = target["batchSize"] or train_y.shape[0]
    memorised = Tracker(trial["thresholds"]["train"], trial["thresholds"]["sustain"])
    grokked = Tracker(trial["thresholds"]["test"], trial["thresholds"]["sustain"])
    curve = open(curve_path, "w") if curve_path else None
    start, step = time.time(), 0
    epochs = engine_rng.batch_orders(train_y.shape[0], trial["seed"]) if engine_streams else None
    while True:
        order = torch.tensor(next(epochs)) if engine_streams else torch.randperm(train_y.shape[0])
        for indices in torch.split(order, batch):
            if step % trial["eval_every"] == 0 or step == trial["budget"]:
                (train_accuracy, train_loss), (test_accuracy, test_loss) = evaluate(model, train_x, train_y), evaluate(model, test_x, test_y)
                memorised.observe(step, train_accuracy)
                grokked.observe(step, test_accuracy)
                if curve:
                    curve.write(json.dumps({"step": step, "trainAccuracy": train_accuracy, "testAccuracy": test_accuracy,
                                            "trainLoss": train_loss, "testLoss": test_loss}) + "\n")
                    curve.flush()
                if (memorised.confirmed is not None and grokked.confirmed is not None) or step == trial["budget"]:
                    return dict(tMem=memorised.confirmed, tGrok=grokked.confirmed, steps=step, seconds=time.time() - start)
            logits = model(train_x[:, indices])
            loss = F.cross_entropy(logits, train_y[indices])
            optimizer.zero_grad()
            loss.backward()
            if gradient_filter:
                gradient_filter(parameters)
            optimizer.step()
            if scheduler:
                scheduler.step()
            if outer is not None:
                gradient_filter.outer_step(step, (train_x[:, indices], train_y[indices]), outer)
            step += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--curve")
    parser.add_argument("--engine-streams", action="store_true",
                        help="the engine's initial parameters, split and batch order (engine_rng.py)")
    parser.add_argument("--engine-warmup", action="store_true", help="the engine's warm-up, (u + 1)/W from the first update")
    parser.add_argument("--mirror-engine", action="store_true", help="both: the engine's run, in PyTorch's arithmetic")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    trial = load(args.config, args.seed)
    print(json.dumps({"seed": trial["seed"], **run(trial, args.curve, args.engine_streams or args.mirror_engine,
                                                         args.engine_warmup or args.mirror_engine)}))


if __name__ == "__main__":
    main()
