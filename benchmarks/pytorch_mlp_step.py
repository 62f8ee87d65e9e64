#!/usr/bin/env python3
"""PyTorch eager peer of `grok-worker bench`: the canonical MLP training step on CPU.

Same model (shared Embedding(97, 128) for both tokens, concat, Linear 256→512, ReLU,
Linear 512→97), full batch of 4 704 examples, softmax cross-entropy, AdamW(1e-3, wd 1,
betas 0.9/0.98). Prints median ms/step for each thread count.

Needs a CPU build of PyTorch (e.g. `pip install torch==2.13.0` in a venv); it is a
measuring stick, never a dependency of GrokSweep.
"""
import argparse
import statistics
import time

import torch


def step_times(threads: int, steps: int) -> list[float]:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    p, d, h, n = 97, 128, 512, 4704
    pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    order = torch.randperm(len(pairs))[:n]
    x = pairs[order]
    y = (x[:, 0] + x[:, 1]) % p
    embedding = torch.nn.Embedding(p, d)
    mlp = torch.nn.Sequential(torch.nn.Linear(2 * d, h), torch.nn.ReLU(), torch.nn.Linear(h, p))
    params = list(embedding.parameters()) + list(mlp.parameters())
    optimizer = torch.optim.AdamW(params, lr=1e-3, weight_decay=1.0, betas=(0.9, 0.98))

    def step():
        optimizer.zero_grad(set_to_none=True)
        logits = mlp(embedding(x).flatten(1))
        loss = torch.nn.functional.cross_entropy(logits, y)
        loss.backward()
        optimizer.step()

    for _ in range(5):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    print(f"torch {torch.__version__}")
    print("threads  ms/step (median)  min")
    for threads in (int(t) for t in args.threads.split(",")):
        times = step_times(threads, args.steps)
        print(f"{threads:7d}  {statistics.median(times):16.2f}  {min(times):6.2f}")


if __name__ == "__main__":
    main()
