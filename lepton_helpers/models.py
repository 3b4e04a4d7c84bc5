"""The articles' multilayer perceptron (784-128-64-10 by default) as a PyTorch module."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .activation import make_activation


class MLP(nn.Module):
    """A fully connected network: ``hidden[i] = activation(Linear(...))`` blocks, then a linear ``head``.

    The hidden blocks are kept in ``self.hidden`` (an ``nn.ModuleList`` of ``nn.Sequential``), so
    layer-wise training and feature extraction can reach each layer by index. Inputs of any
    shape ``(N, ...)`` are flattened; the output is one logit per class (no softmax: the loss,
    ``cross_entropy``, applies log-softmax itself, which is more stable).
    """

    def __init__(self, sizes: Sequence[int] = (784, 128, 64, 10), activation: str = "relu"):
        super().__init__()
        sizes = tuple(sizes)
        if len(sizes) < 2 or any(not isinstance(s, int) or s < 1 for s in sizes):
            raise ValueError(f"sizes must be at least two positive ints (input, ..., classes), got {sizes}")
        self.sizes, self.activation = sizes, activation
        self.hidden = nn.ModuleList(
            nn.Sequential(nn.Linear(n_in, n_out), make_activation(activation, n_out))
            for n_in, n_out in zip(sizes[:-2], sizes[1:-1])
        )
        self.head = nn.Linear(sizes[-2], sizes[-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        for block in self.hidden:
            x = block(x)
        return self.head(x)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
