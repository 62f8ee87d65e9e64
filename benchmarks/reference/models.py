"""The decoder-only transformer of the three recipes, as their code builds it.

- Grokfast / NeuralGrok code: token + position `nn.Embedding`, blocks of
  `x = ln_1(x); x = x + attn(x); x = x + mlp(ln_2(x))` with `nn.MultiheadAttention` (biases) and
  a GELU MLP, final LayerNorm, bias-free head over every token; PyTorch's default init.
- Nanda et al.: the same skeleton without LayerNorm or attention biases, ReLU MLP, every
  matrix N(0, 1/d_model) (the unembedding N(0, 1/V)), biases 0.

The config picks the pieces (`layerNorm`, `block`, `attentionBias`, `activation`,
`initialization`), so one class covers each recipe and each ablation between them.
"""
import math

import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, d: int, heads: int, d_mlp: int, layer_norm: bool, normalized_residual: bool,
                 attention_bias: bool, activation: str):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d) if layer_norm else nn.Identity()
        self.ln_2 = nn.LayerNorm(d) if layer_norm else nn.Identity()
        self.normalized_residual = normalized_residual
        self.attn = nn.MultiheadAttention(d, heads, bias=attention_bias)
        self.mlp = nn.Sequential(nn.Linear(d, d_mlp), nn.GELU() if activation == "gelu" else nn.ReLU(),
                                 nn.Linear(d_mlp, d))

    def forward(self, x):  # x: (T, N, d), sequence first as in the papers' code
        t = x.shape[0]
        mask = torch.triu(torch.full((t, t), float("-inf"), dtype=x.dtype), diagonal=1)
        h = self.ln_1(x)
        # Grokfast's block overwrites the stream with ln_1's output before the residual add.
        residual = h if self.normalized_residual else x
        mixed, _ = self.attn(h, h, h, attn_mask=mask, need_weights=False)
        x = residual + mixed
        return x + self.mlp(self.ln_2(x))


class Decoder(nn.Module):
    def __init__(self, vocabulary: int, classes: int, length: int, settings: dict):
        super().__init__()
        d = settings["embeddingDim"]
        layer_norm = settings["layerNorm"]
        self.token_embeddings = nn.Embedding(vocabulary, d)
        self.position_embeddings = nn.Embedding(length, d)
        self.layers = nn.ModuleList(
            Block(d, settings["heads"], settings["width"], layer_norm, settings["block"] == "normalizedResidual",
                  settings["attentionBias"], settings["activation"])
            for _ in range(settings["depth"]))
        self.ln_f = nn.LayerNorm(d) if layer_norm else nn.Identity()
        self.head = nn.Linear(d, classes, bias=False)
        if settings["initialization"] == "nanda":
            self._nanda_init(d, vocabulary)
        self._scale_random(settings["initScale"])

    def _nanda_init(self, d: int, vocabulary: int):
        with torch.no_grad():
            for name, parameter in self.named_parameters():
                if "ln_" in name:
                    continue
                if name.endswith("bias"):
                    parameter.zero_()
                else:
                    fan = vocabulary if name == "head.weight" else d
                    parameter.normal_(0, 1 / math.sqrt(fan))

    def _scale_random(self, scale: float):
        """Omnigrok's α on every random draw; LayerNorm (1, 0) and zero biases unchanged."""
        if scale == 1:
            return
        with torch.no_grad():
            for name, parameter in self.named_parameters():
                if "ln_" not in name:
                    parameter.mul_(scale)

    def forward(self, tokens):  # tokens: (T, N) → logits of the last position (N, classes)
        h = self.token_embeddings(tokens)
        h = h + self.position_embeddings(torch.arange(tokens.shape[0]).unsqueeze(1))
        for layer in self.layers:
            h = layer(h)
        return self.head(self.ln_f(h[-1]))
