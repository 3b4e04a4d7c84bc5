"""The Lepton activation f(x) = 1 / (1 + exp(-k (x - theta))): a logistic sigmoid with a slope k
(activation strength) and a threshold theta.

It is ``sigmoid(k * (x - theta))``; ``torch.sigmoid`` is evaluated in a numerically stable way
(no overflow for any finite input), so this module never computes ``exp`` itself.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.functional import softplus


def lepton(x: torch.Tensor, k: torch.Tensor | float = 1.0, theta: torch.Tensor | float = 0.0) -> torch.Tensor:
    """The Lepton activation, elementwise: ``1 / (1 + exp(-k (x - theta)))``."""
    return torch.sigmoid(k * (x - theta))


def lepton_derivative(x: torch.Tensor, k: torch.Tensor | float = 1.0, theta: torch.Tensor | float = 0.0) -> torch.Tensor:
    """df/dx = k f(x) (1 - f(x)); its maximum, k/4, is at x = theta."""
    f = lepton(x, k, theta)
    return k * f * (1 - f)


def _inverse_softplus(y: float) -> float:
    return y + math.log(-math.expm1(-y))


class Lepton(nn.Module):
    """The Lepton activation as a layer, with k and theta fixed or learnable.

    Args:
        k: the slope; must be > 0 (k <= 0 would flip or flatten the unit).
        theta: the threshold, any real number.
        learnable: if True, k and theta are trained with the weights.
        num_features: None for one (k, theta) per layer; the layer width for one pair per neuron.

    A learnable k is stored as ``raw_k`` with ``k = softplus(raw_k)``, so gradient steps can never
    make it zero or negative. :meth:`shape_parameters` lists k and theta so an optimiser can
    exclude them from weight decay.
    """

    def __init__(self, k: float = 1.0, theta: float = 0.0, *, learnable: bool = False, num_features: int | None = None):
        super().__init__()
        if not (isinstance(k, (int, float)) and math.isfinite(k) and k > 0):
            raise ValueError(f"k must be a finite number > 0 (it is the slope), got {k!r}")
        if not (isinstance(theta, (int, float)) and math.isfinite(theta)):
            raise ValueError(f"theta must be a finite number, got {theta!r}")
        if num_features is not None and (not isinstance(num_features, int) or num_features < 1):
            raise ValueError(f"num_features must be a positive int or None, got {num_features!r}")
        shape = (num_features,) if num_features else ()
        raw_k = torch.full(shape, _inverse_softplus(float(k)))
        theta_t = torch.full(shape, float(theta))
        if learnable:
            self.raw_k, self.theta = nn.Parameter(raw_k), nn.Parameter(theta_t)
        else:
            self.register_buffer("raw_k", raw_k)
            self.register_buffer("theta", theta_t)
        self.learnable = learnable

    @property
    def k(self) -> torch.Tensor:
        return softplus(self.raw_k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return lepton(x, self.k, self.theta)

    def shape_parameters(self) -> list[nn.Parameter]:
        """The learnable k and theta (empty when fixed), to put in a param group without weight decay."""
        return [self.raw_k, self.theta] if self.learnable else []

    def extra_repr(self) -> str:
        per = f"per-neuron ({self.raw_k.numel()})" if self.raw_k.dim() else "per-layer"
        return f"learnable={self.learnable}, {per}"


def make_activation(name: str, width: int) -> nn.Module:
    """An activation layer by name, for a hidden layer of ``width`` units.

    ``relu``, ``sigmoid``, ``tanh``, ``lepton`` (fixed k=1, theta=0: the logistic sigmoid),
    ``lepton-k4`` (fixed k=4), ``lepton-learnable`` (k and theta per neuron, learnable).
    """
    factories = {
        "relu": nn.ReLU,
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "lepton": lambda: Lepton(),
        "lepton-k4": lambda: Lepton(k=4.0),
        "lepton-learnable": lambda: Lepton(learnable=True, num_features=width),
    }
    if name not in factories:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(factories)}")
    return factories[name]()
