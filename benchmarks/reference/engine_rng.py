"""The engine's random streams in Python, so a reference run can start from the engine's exact
initial parameters, data split and batch order (`train.py --mirror-engine`): what is left to
differ is arithmetic, and a disagreement is then a modelling bug, not seed luck.

Mirrors `SeededGenerator` (xoshiro256** seeded by SplitMix64, one stream per purpose label),
`DataSplit`, `Batcher` and `Transformer.initialize` (`TransformerInitialization.swift`).
"""
import math

import torch

MASK = (1 << 64) - 1


class SeededGenerator:
    def __init__(self, seed: int, stream: str):
        value = 0xCBF29CE484222325
        for byte in stream.encode():
            value = ((value ^ byte) * 0x100000001B3) & MASK
        split_mix = ((seed & MASK) * 0x9E3779B97F4A7C15 & MASK) ^ value
        words = []
        for _ in range(4):
            split_mix = (split_mix + 0x9E3779B97F4A7C15) & MASK
            z = split_mix
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            words.append(z ^ (z >> 31))
        self.s = words

    @staticmethod
    def _rotate(value, amount):
        return ((value << amount) | (value >> (64 - amount))) & MASK

    def next(self) -> int:
        s = self.s
        result = (self._rotate((s[1] * 5) & MASK, 7) * 9) & MASK
        shifted = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= shifted
        s[3] = self._rotate(s[3], 45)
        return result

    def unit(self) -> float:
        return (self.next() >> 11) * 2.0 ** -53

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.unit()

    def normal(self) -> float:
        u1 = 1.0 - self.unit()
        u2 = self.unit()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def permutation(self, count: int) -> list[int]:
        values = list(range(count))
        for index in range(count - 1, 0, -1):
            other = self.next() % (index + 1)
            values[index], values[other] = values[other], values[index]
        return values


def split_order(count: int, seed: int) -> list[int]:
    """`DataSplit`: the first ⌊fraction·n⌋ of this order train, the rest test."""
    return SeededGenerator(seed, "split").permutation(count)


def batch_orders(count: int, seed: int):
    """`Batcher`: a fresh permutation of the training set per epoch."""
    generator = SeededGenerator(seed, "batches")
    while True:
        yield generator.permutation(count)


def engine_parameters(model, settings: dict, vocabulary: int, seed: int) -> None:
    """Overwrite `model` (models.Decoder) with `Transformer.initialize`'s draws, slice by slice."""
    generator = SeededGenerator(seed, "init")
    d, m, scale = settings["embeddingDim"], settings["width"], settings["initScale"]
    pytorch = settings["initialization"] == "pytorch"
    named = dict(model.named_parameters())
    slices = [("token_embeddings.weight", "embedding.token"), ("position_embeddings.weight", "embedding.position")]
    for block in range(settings["depth"]):
        prefix = f"layers.{block}."
        if settings["layerNorm"]:
            slices += [(prefix + "ln_1.weight", "norm"), (prefix + "ln_1.bias", "norm")]
        slices.append((prefix + "attn.in_proj_weight", "qkv.weight"))
        if settings["attentionBias"]:
            slices.append((prefix + "attn.in_proj_bias", "zero"))
        slices.append((prefix + "attn.out_proj.weight", "linear.d"))
        if settings["attentionBias"]:
            slices.append((prefix + "attn.out_proj.bias", "zero"))
        if settings["layerNorm"]:
            slices += [(prefix + "ln_2.weight", "norm"), (prefix + "ln_2.bias", "norm")]
        slices += [(prefix + "mlp.0.weight", "linear.d"), (prefix + "mlp.0.bias", "bias.d"),
                   (prefix + "mlp.2.weight", "linear.m"), (prefix + "mlp.2.bias", "bias.m")]
    if settings["layerNorm"]:
        slices += [("ln_f.weight", "norm"), ("ln_f.bias", "norm")]
    slices.append(("head.weight", "unembedding"))
    with torch.no_grad():
        for name, kind in slices:
            parameter = named[name]
            if kind == "norm":
                parameter.fill_(1.0 if name.endswith("weight") else 0.0)
                continue
            if not pytorch:
                if name.endswith("bias"):
                    parameter.zero_()
                    continue
                deviation = scale / math.sqrt(vocabulary if kind == "unembedding" else d)
                values = [deviation * generator.normal() for _ in range(parameter.numel())]
            elif kind == "zero":
                parameter.zero_()
                continue
            elif kind.startswith("embedding"):
                values = [scale * generator.normal() for _ in range(parameter.numel())]
            else:
                bound = (scale * math.sqrt(6 / (d + 3 * d)) if kind == "qkv.weight"
                         else scale / math.sqrt(m if kind.endswith(".m") else d))
                values = [generator.uniform(-bound, bound) for _ in range(parameter.numel())]
            parameter.copy_(torch.tensor(values, dtype=torch.float64).float().reshape(parameter.shape))
