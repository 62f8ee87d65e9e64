#!/usr/bin/env python3
"""PyTorch eager peer of `grok-worker bench --transformer LAYERS`: one training step of Nanda's
modular-addition transformer on CPU.

Same model as the engine's (d_model 128, 4 heads of 32, d_mlp 512, ReLU, no LayerNorm, learned
token and position embeddings, bias-free attention projections, MLP with biases, bias-free
unembedding read at the last position), over the sequences `a b =` of half the pairs mod 97
(4 704 examples, full batch), softmax cross-entropy on the last position, AdamW(1e-3, wd 1,
betas 0.9/0.98). Attention is written out (einsum, causal mask, softmax) as Nanda's code does.
Prints median ms/step for each layer count and thread count.

Needs a CPU build of PyTorch (e.g. `pip install torch==2.13.0` in a venv); it is a measuring
stick, never a dependency of GrokSweep.
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F


class Block(torch.nn.Module):
    def __init__(self, d: int, heads: int, d_mlp: int):
        super().__init__()
        self.heads = heads
        self.qkv = torch.nn.Linear(d, 3 * d, bias=False)
        self.out = torch.nn.Linear(d, d, bias=False)
        self.mlp_in = torch.nn.Linear(d, d_mlp)
        self.mlp_out = torch.nn.Linear(d_mlp, d)

    def forward(self, x):
        n, t, d = x.shape
        q, k, v = self.qkv(x).view(n, t, 3, self.heads, d // self.heads).unbind(2)
        scores = torch.einsum("nqhc,nkhc->nhqk", q, k) / (d // self.heads) ** 0.5
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        weights = scores.masked_fill(mask, float("-inf")).softmax(-1)
        mixed = torch.einsum("nhqk,nkhc->nqhc", weights, v).reshape(n, t, d)
        x = x + self.out(mixed)
        return x + self.mlp_out(F.relu(self.mlp_in(x)))


class Transformer(torch.nn.Module):
    def __init__(self, vocab: int, classes: int, length: int, layers: int, d=128, heads=4, d_mlp=512):
        super().__init__()
        self.token = torch.nn.Embedding(vocab, d)
        self.position = torch.nn.Embedding(length, d)
        self.blocks = torch.nn.ModuleList(Block(d, heads, d_mlp) for _ in range(layers))
        self.unembed = torch.nn.Linear(d, classes, bias=False)

    def forward(self, tokens):
        x = self.token(tokens) + self.position(torch.arange(tokens.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.unembed(x[:, -1])


def step_times(layers: int, threads: int, steps: int) -> list[float]:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    p = 97
    pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    order = torch.randperm(len(pairs))[: len(pairs) // 2]
    ab = pairs[order]
    tokens = torch.cat([ab, torch.full((len(ab), 1), p)], dim=1)
    labels = (ab[:, 0] + ab[:, 1]) % p
    model = Transformer(vocab=p + 1, classes=p, length=3, layers=layers)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1.0, betas=(0.9, 0.98))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(tokens), labels)
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", default="1,2")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    print(f"torch {torch.__version__}")
    print("layers  threads  ms/step (median)  min")
    for layers in (int(value) for value in args.layers.split(",")):
        for threads in (int(value) for value in args.threads.split(",")):
            times = step_times(layers, threads, args.steps)
            print(f"{layers:6d}  {threads:7d}  {statistics.median(times):16.2f}  {min(times):6.2f}")


if __name__ == "__main__":
    main()
