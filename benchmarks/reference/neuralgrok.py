"""NeuralGrok's amplifier and its bilevel training, as the NeuralOptGrok code does it.

G_φ maps every gradient entry through a small MLP (1 → hidden… → 1, ReLU), takes a softmax over
the entries of each parameter tensor and returns c · p⊙g / ‖p⊙g‖ per tensor; the same φ serves
every tensor. Inner step: g ← G_φ(g), `clip_grad_norm_`, the model's optimiser. Every T steps,
after the inner update: the gradient of the same batch at the updated weights, a functional
look-ahead θ′ = θ − η·G_φ(g) with η the model's learning rate, the mean loss of θ′ on all of
D_outer, and one step of φ's Adam (lr `outerLearningRate`, betas 0.9/0.98, the model's
weight decay as the code passes it). No dropout (the `neuralgrad` branch's amplifier has none).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call


class NeuralAmplifier(nn.Module):
    def __init__(self, hidden: list[int], rescale: float):
        super().__init__()
        layers, width = [], 1
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        self.network = nn.Sequential(*layers, nn.Linear(width, 1))
        self.rescale = rescale

    def forward(self, gradient):
        flat = gradient.reshape(-1)
        weights = torch.softmax(self.network(flat.unsqueeze(1)).squeeze(1), dim=0)
        scaled = weights * flat
        return (self.rescale * scaled / scaled.norm()).reshape(gradient.shape)


class NeuralGrok:
    def __init__(self, settings: dict, model, learning_rate: float, weight_decay: float):
        self.amplifier = NeuralAmplifier(settings.get("hidden", [32]), settings.get("rescale", 1.0))
        self.outer_every = settings.get("outerEvery", 4)
        self.clip = settings.get("clip", 1.0)
        self.learning_rate = learning_rate
        self.model = model
        self.names = [name for name, _ in model.named_parameters()]
        self.meta_optimizer = torch.optim.Adam(self.amplifier.parameters(), lr=settings.get("outerLearningRate", 1e-4),
                                               betas=(0.9, 0.98), weight_decay=weight_decay)

    def __call__(self, parameters):
        with torch.no_grad():
            for p in parameters:
                p.grad.copy_(self.amplifier(p.grad))
        if self.clip > 0:
            torch.nn.utils.clip_grad_norm_(parameters, self.clip)

    def outer_step(self, step: int, batch, outer):
        """After the inner update of 0-based `step`: φ's update every T steps."""
        if (step + 1) % self.outer_every:
            return
        parameters = list(self.model.parameters())
        loss = F.cross_entropy(self.model(batch[0]), batch[1])
        gradients = torch.autograd.grad(loss, parameters)
        ahead = {name: p.detach() - self.learning_rate * self.amplifier(g.detach())
                 for name, p, g in zip(self.names, parameters, gradients)}
        outer_loss = F.cross_entropy(functional_call(self.model, ahead, (outer[0],)), outer[1])
        self.meta_optimizer.zero_grad()
        outer_loss.backward()
        self.meta_optimizer.step()
