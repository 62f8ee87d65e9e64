"""Modular-arithmetic sequences under each token layout, as the papers' code builds them.

Residues are 0..p-1, `=` is p and the operator p + 1. `plain` is `a b =` over every pair
(Nanda); `infix` is `a op b =` with b ≠ 0 (Grokfast's `main.py`); `postfix` is `a b op =` with
b ≠ 0 (NeuralGrok's `neuralgrad` branch). The head reads p residues for `plain`, every one of
the p + 2 tokens otherwise (the papers' `num_tokens` head).
"""
import torch

OPERATIONS = {
    "add": lambda a, b, p: (a + b) % p,
    "subtract": lambda a, b, p: (a - b) % p,
    "multiply": lambda a, b, p: (a * b) % p,
    "polynomial": lambda a, b, p: (a * a + a * b + b * b) % p,
}


def sequences(task: dict):
    """(tokens (T, N), labels (N), vocabulary, classes) over every equation of the task."""
    p, layout = task["modulus"], task.get("layout", "plain")
    if task["operation"] not in OPERATIONS:
        raise SystemExit(f"the reference has no operation {task['operation']!r}")
    first = 0 if layout == "plain" else 1
    a, b = torch.cartesian_prod(torch.arange(p), torch.arange(first, p)).T
    labels = OPERATIONS[task["operation"]](a, b, p)
    equals, operation = torch.full_like(a, p), torch.full_like(a, p + 1)
    rows = {"plain": [a, b, equals], "infix": [a, operation, b, equals], "postfix": [a, b, operation, equals]}[layout]
    vocabulary = p + 1 if layout == "plain" else p + 2
    classes = p if layout == "plain" else vocabulary
    return torch.stack(rows), labels, vocabulary, classes


def split(tokens, labels, fraction: float):
    """A random permutation (torch's generator, seeded by the caller); ⌊fraction·N⌋ for training."""
    order = torch.randperm(labels.shape[0])
    count = int(labels.shape[0] * fraction)
    train, test = order[:count], order[count:]
    return (tokens[:, train], labels[train]), (tokens[:, test], labels[test])
