"""The Lepton activation f(x) = 1 / (1 + exp(-k (x - theta))): a logistic sigmoid with a slope k
(activation strength) and a threshold theta.

It is ``sigmoid(k * (x - theta))``; ``torch.sigmoid`` is evaluated in a numerically stable way
(no overflow for any finite input), so this module never computes ``exp`` itself. Its partial
derivatives use ``sigmoid(z) * sigmoid(-z)`` for ``f (1 - f)``, which stays accurate (not just
finite) far out in the tails, where ``1 - f`` would round to 0.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.functional import softplus


def _check_k(k) -> None:
    """A plain-number k must be finite and > 0; tensors are trusted (checking them would sync a GPU)."""
    if isinstance(k, (int, float)) and not (math.isfinite(k) and k > 0):
        raise ValueError(f"k must be a finite number > 0 (it is the slope; k <= 0 flips or flattens the unit), got {k!r}")


def _check_theta(theta) -> None:
    if isinstance(theta, (int, float)) and not math.isfinite(theta):
        raise ValueError(f"theta must be a finite number (it is the threshold), got {theta!r}")


def lepton(x: torch.Tensor, k: torch.Tensor | float = 1.0, theta: torch.Tensor | float = 0.0) -> torch.Tensor:
    """The Lepton activation, elementwise: ``1 / (1 + exp(-k (x - theta)))``.

    ``k`` and ``theta`` are numbers or tensors that broadcast against ``x`` (one per neuron:
    shape ``(width,)`` for ``x`` of shape ``(N, width)``).
    """
    _check_k(k)
    _check_theta(theta)
    return torch.sigmoid(k * (x - theta))


def lepton_partials(x: torch.Tensor, k: torch.Tensor | float = 1.0,
                    theta: torch.Tensor | float = 0.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The three partial derivatives ``(df/dx, df/dk, df/dtheta)``, elementwise.

    With ``z = k (x - theta)`` and ``s = f (1 - f) = sigmoid(z) sigmoid(-z)`` (the logistic
    sigmoid's own derivative): ``df/dx = k s``, ``df/dk = (x - theta) s``, ``df/dtheta = -k s``.
    Backpropagation (notebook 03) multiplies these by the gradient arriving from above.
    """
    _check_k(k)
    _check_theta(theta)
    z = k * (x - theta)
    s = torch.sigmoid(z) * torch.sigmoid(-z)
    return k * s, (x - theta) * s, -k * s


def lepton_derivative(x: torch.Tensor, k: torch.Tensor | float = 1.0, theta: torch.Tensor | float = 0.0) -> torch.Tensor:
    """df/dx = k f(x) (1 - f(x)); its maximum, k/4, is at x = theta."""
    return lepton_partials(x, k, theta)[0]


K_FLOOR = 1e-6
"""A learnable k is ``softplus(raw_k) + K_FLOOR``: softplus alone underflows to 0 in float32 for raw_k < -103."""


def _inverse_softplus(y: float) -> float:
    return y + math.log(-math.expm1(-y))


class Lepton(nn.Module):
    """The Lepton activation as a layer, with k and theta fixed or learnable.

    Args:
        k: the slope; must be > 0 (k <= 0 would flip or flatten the unit).
        theta: the threshold, any real number.
        learnable: if True, k and theta are trained with the weights.
        num_features: None for one (k, theta) per layer; the layer width for one pair per neuron.

    k is stored as ``raw_k`` with ``k = softplus(raw_k) + K_FLOOR``, so gradient steps can never
    make a learnable k zero or negative. :meth:`shape_parameters` lists k and theta so an optimiser can
    exclude them from weight decay (see ``training.parameter_groups``).
    """

    def __init__(self, k: float = 1.0, theta: float = 0.0, *, learnable: bool = False, num_features: int | None = None):
        super().__init__()
        if not isinstance(k, (int, float)) or isinstance(k, bool):
            raise TypeError(f"k must be a number (the initial slope), got {type(k).__name__}")
        if not isinstance(theta, (int, float)) or isinstance(theta, bool):
            raise TypeError(f"theta must be a number (the initial threshold), got {type(theta).__name__}")
        _check_k(k)
        _check_theta(theta)
        if k <= 2 * K_FLOOR:
            raise ValueError(f"k must be > {2 * K_FLOOR:g} in a Lepton layer (it is stored as softplus(raw_k) + {K_FLOOR:g}), got {k!r}")
        if num_features is not None and (not isinstance(num_features, int) or num_features < 1):
            raise ValueError(f"num_features must be a positive int or None, got {num_features!r}")
        shape = (num_features,) if num_features else ()
        raw_k = torch.full(shape, _inverse_softplus(float(k) - K_FLOOR))
        theta_t = torch.full(shape, float(theta))
        if learnable:
            self.raw_k, self.theta = nn.Parameter(raw_k), nn.Parameter(theta_t)
        else:
            self.register_buffer("raw_k", raw_k)
            self.register_buffer("theta", theta_t)
        self.learnable, self.num_features = learnable, num_features

    @property
    def k(self) -> torch.Tensor:
        return softplus(self.raw_k) + K_FLOOR

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.num_features is not None and x.shape[-1] != self.num_features:
            raise ValueError(f"this Lepton has one (k, theta) per neuron for {self.num_features} neurons, "
                             f"but the input's last dimension is {x.shape[-1]}")
        return lepton(x, self.k, self.theta)

    def shape_parameters(self) -> list[nn.Parameter]:
        """The learnable k and theta (empty when fixed), to put in a param group without weight decay."""
        return [self.raw_k, self.theta] if self.learnable else []

    def extra_repr(self) -> str:
        if self.num_features is None:
            return f"k={self.k.item():.4g}, theta={self.theta.item():.4g}, learnable={self.learnable}"
        return f"learnable={self.learnable}, per-neuron ({self.num_features})"


@torch.no_grad()
def fold_into_linear(linear: nn.Linear, activation: Lepton) -> nn.Linear:
    """A new ``nn.Linear`` whose logistic sigmoid equals ``activation(linear(x))`` for every x.

    ``sigmoid(k (W x + b - theta)) = sigmoid((k W) x + k (b - theta))``: after a linear layer, k
    is the scale of the weights and theta a shift of the bias, so a Lepton network computes no
    function that a plain sigmoid network cannot (notebook 02's identifiability lesson).
    """
    k = activation.k.reshape(-1, 1) if activation.num_features else activation.k
    folded = nn.Linear(linear.in_features, linear.out_features, bias=True,
                       device=linear.weight.device, dtype=linear.weight.dtype)
    bias = linear.bias if linear.bias is not None else torch.zeros_like(folded.bias)
    folded.weight.copy_(k * linear.weight)
    folded.bias.copy_(k.reshape(-1) * (bias - activation.theta))
    return folded


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
