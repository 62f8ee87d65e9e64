"""Modular-arithmetic sequences under each token layout, as the papers' code builds them.

Residues are 0..p-1, `=` is p and the formula's operators p + 1, p + 2, …. `plain` is the
operands then `=` over every tuple (Nanda); `infix` spells the formula as the code does
(`a op b =`, Grokfast's `main.py` and NeuralGrok's `src/dataset.py`; `a × a − b =`;
`a × b + c × d − e =` for a·c + b·d − e); `postfix` is the operands, the operators, then `=`
(NeuralGrok's `neuralgrad` branch). The papers' layouts draw b (binary and a² − b) or c and d
(a·c + b·d − e) from 1..p-1. The head reads p residues for `plain`, every token otherwise.
"""
import torch

# name: (operand count, operator count, operands drawn from 1..p-1 under the papers' layouts,
#        infix spelling as ("x", operand) / ("op", operator) terms, value)
FORMULAS = {
    "add": (2, 1, {1}, [("x", 0), ("op", 0), ("x", 1)], lambda x, p: (x[0] + x[1]) % p),
    "subtract": (2, 1, {1}, [("x", 0), ("op", 0), ("x", 1)], lambda x, p: (x[0] - x[1]) % p),
    "multiply": (2, 1, {1}, [("x", 0), ("op", 0), ("x", 1)], lambda x, p: (x[0] * x[1]) % p),
    "polynomial": (2, 1, {1}, [("x", 0), ("op", 0), ("x", 1)], lambda x, p: (x[0] * x[0] + x[0] * x[1] + x[1] * x[1]) % p),
    "squareMinus": (2, 2, {1}, [("x", 0), ("op", 0), ("x", 0), ("op", 1), ("x", 1)], lambda x, p: (x[0] * x[0] - x[1]) % p),
    "dotMinus": (
        5, 3, {2, 3},
        [("x", 0), ("op", 0), ("x", 1), ("op", 1), ("x", 2), ("op", 0), ("x", 3), ("op", 2), ("x", 4)],
        lambda x, p: (x[0] * x[2] + x[1] * x[3] - x[4]) % p,
    ),
}


def sequences(task: dict):
    """(tokens (T, N), labels (N), vocabulary, classes) over every equation of the task."""
    p, layout = task["modulus"], task.get("layout", "plain")
    if task["operation"] not in FORMULAS:
        raise SystemExit(f"the reference has no operation {task['operation']!r}")
    k, operators, nonzero, spelling, formula = FORMULAS[task["operation"]]
    ranges = [torch.arange(1 if layout != "plain" and i in nonzero else 0, p) for i in range(k)]
    x = torch.cartesian_prod(*ranges).T  # operand 0 slowest, as the engine orders them
    labels = formula(x, p)
    equals = torch.full_like(x[0], p)
    ops = [torch.full_like(x[0], p + 1 + i) for i in range(operators)]
    if layout == "plain":
        rows = [*x, equals]
    elif layout == "infix":
        rows = [x[i] if kind == "x" else ops[i] for kind, i in spelling] + [equals]
    else:
        rows = [*x, *ops, equals]
    vocabulary = p + 1 if layout == "plain" else p + 1 + operators
    classes = p if layout == "plain" else vocabulary
    return torch.stack(rows), labels, vocabulary, classes


def split(tokens, labels, fraction: float):
    """A random permutation (torch's generator, seeded by the caller); ⌊fraction·N⌋ for training."""
    order = torch.randperm(labels.shape[0])
    count = int(labels.shape[0] * fraction)
    train, test = order[:count], order[count:]
    return (tokens[:, train], labels[train]), (tokens[:, test], labels[test])
