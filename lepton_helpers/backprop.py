"""Forward and backward propagation of a Lepton MLP, written out with tensor operations (notebook 03).

The network is a list of :class:`Layer`. A hidden layer computes ``z = a_prev W^T + b`` and
``a = lepton(z, k, theta)`` with one k and theta per neuron; the last layer is linear (its ``z`` are
the logits) and the loss is the mean softmax cross-entropy. Rows are samples, as in ``nn.Linear``.

Backpropagation, with ``delta = dL/dz`` of a layer and ``g = dL/da`` arriving from above::

    delta_out = (softmax(logits) - onehot(y)) / N
    delta     = g * df/dz                   df/dz = k f (1 - f)
    dL/dW     = delta^T a_prev              dL/db = sum of delta over the batch
    dL/dk     = sum over the batch of g * (z - theta) f (1 - f)
    dL/dtheta = sum over the batch of g * (-k) f (1 - f)  (= -dL/db)
    g_prev    = delta W

Nothing here uses autograd: notebook 03 and ``tests/test_backprop.py`` compare it with autograd
and with finite differences.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import numpy as np
import torch
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .activation import lepton, lepton_partials

K_MIN = 1e-3
"""Gradient descent keeps every k at or above this (a projection step): k <= 0 flips or flattens a unit."""


@dataclass
class Layer:
    """One layer's parameters (or, returned by :func:`backward`, their gradients).

    ``W`` is ``(out, in)`` and ``b``, ``k``, ``theta`` are ``(out,)``; ``k`` and ``theta`` are None
    for the linear output layer.
    """

    W: torch.Tensor
    b: torch.Tensor
    k: torch.Tensor | None = None
    theta: torch.Tensor | None = None

    def tensors(self) -> dict[str, torch.Tensor]:
        """The parameters that exist, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


def init_network(sizes: Sequence[int], k: float = 1.0, theta: float = 0.0, *, seed: int = 0,
                 dtype: torch.dtype = torch.float64, device: torch.device | str | None = None) -> list[Layer]:
    """Random weights for a Lepton MLP with layer sizes ``sizes`` (input, hidden..., classes).

    Weights and biases are uniform in ``±1/sqrt(fan_in)`` (``nn.Linear``'s default scale);
    every hidden neuron starts with the given k and theta.
    """
    sizes = tuple(sizes)
    if len(sizes) < 2 or any(not isinstance(s, int) or s < 1 for s in sizes):
        raise ValueError(f"sizes must be at least two positive ints (input, ..., classes), got {sizes}")
    if not (math.isfinite(k) and k > 0):
        raise ValueError(f"k must be a finite number > 0, got {k!r}")
    generator = torch.Generator().manual_seed(seed)
    uniform = lambda shape, bound: ((torch.rand(shape, generator=generator, dtype=dtype) * 2 - 1) * bound).to(device)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        bound = 1 / math.sqrt(n_in)
        hidden = i < len(sizes) - 2
        full = lambda value: torch.full((n_out,), float(value), dtype=dtype, device=device)
        layers.append(Layer(uniform((n_out, n_in), bound), uniform((n_out,), bound),
                            full(k) if hidden else None, full(theta) if hidden else None))
    return layers


def forward(layers: Sequence[Layer], x: torch.Tensor) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
    """The logits, and per layer the ``(a_prev, z)`` that :func:`backward` needs."""
    cache, a = [], x
    for layer in layers:
        z = a @ layer.W.T + layer.b
        cache.append((a, z))
        a = z if layer.k is None else lepton(z, layer.k, layer.theta)
    return a, cache


def cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean softmax cross-entropy and its gradient with respect to the logits, ``(softmax - onehot) / N``.

    ``log_softmax`` subtracts the row maximum before exponentiating, so large logits cannot overflow.
    """
    log_p = torch.log_softmax(logits, dim=1)
    loss = -log_p[torch.arange(len(y), device=y.device), y].mean()
    onehot = torch.nn.functional.one_hot(y, logits.shape[1]).to(logits.dtype)
    return loss, (log_p.exp() - onehot) / len(y)


def backward(layers: Sequence[Layer], cache: Sequence[tuple[torch.Tensor, torch.Tensor]],
             dlogits: torch.Tensor) -> list[Layer]:
    """Gradients of the loss for every parameter, from the output layer back to the first."""
    grads, grad_a = [], dlogits  # for the linear output layer, dL/da = dL/dz = dL/dlogits
    for layer, (a_prev, z) in zip(reversed(layers), reversed(cache)):
        if layer.k is None:
            delta, dk, dtheta = grad_a, None, None
        else:
            df_dz, df_dk, df_dtheta = lepton_partials(z, layer.k, layer.theta)
            delta = grad_a * df_dz
            dk, dtheta = (grad_a * df_dk).sum(0), (grad_a * df_dtheta).sum(0)
        grads.append(Layer(delta.T @ a_prev, delta.sum(0), dk, dtheta))
        grad_a = delta @ layer.W  # dL/da of the layer below
    return grads[::-1]


def loss_and_gradients(layers: Sequence[Layer], x: torch.Tensor, y: torch.Tensor) -> tuple[float, list[Layer]]:
    """One forward and one backward pass: the mean loss and the gradients."""
    logits, cache = forward(layers, x)
    loss, dlogits = cross_entropy(logits, y)
    return loss.item(), backward(layers, cache, dlogits)


def autograd_gradients(layers: Sequence[Layer], x: torch.Tensor, y: torch.Tensor) -> list[Layer]:
    """The same gradients from PyTorch's autograd (loss: ``F.cross_entropy``), for comparison."""
    leaves = [Layer(**{name: t.detach().clone().requires_grad_() for name, t in layer.tensors().items()})
              for layer in layers]
    torch.nn.functional.cross_entropy(forward(leaves, x)[0], y).backward()
    return [Layer(**{name: t.grad for name, t in layer.tensors().items()}) for layer in leaves]


def numerical_gradients(layers: Sequence[Layer], x: torch.Tensor, y: torch.Tensor, eps: float = 1e-6) -> list[Layer]:
    """Central finite differences ``(L(p + eps) - L(p - eps)) / (2 eps)``, one parameter entry at a time.

    Slow (two forward passes per entry) but independent of any derivation; use float64.
    """
    loss = lambda: cross_entropy(forward(layers, x)[0], y)[0].item()
    grads = []
    for layer in layers:
        grad = {}
        for name, t in layer.tensors().items():
            g, flat = torch.zeros_like(t), t.view(-1)
            for i in range(flat.numel()):
                saved = flat[i].item()
                flat[i] = saved + eps
                up = loss()
                flat[i] = saved - eps
                down = loss()
                flat[i] = saved
                g.view(-1)[i] = (up - down) / (2 * eps)
            grad[name] = g
        grads.append(Layer(**grad))
    return grads


def max_abs_difference(a: Sequence[Layer], b: Sequence[Layer]) -> float:
    """The largest absolute difference between two sets of gradients (or parameters)."""
    return max((ta - layer_b.tensors()[name]).abs().max().item()
               for layer_a, layer_b in zip(a, b) for name, ta in layer_a.tensors().items())


def gradient_descent(layers: Sequence[Layer], x: torch.Tensor, y: torch.Tensor, *, lr: float = 0.5,
                     epochs: int = 300, gradients: Callable = loss_and_gradients) -> list[float]:
    """Full-batch gradient descent in place, with the hand-written gradients; the loss before each step.

    Every parameter moves by ``-lr * gradient``; k is then kept at or above :data:`K_MIN`.
    ``gradients(layers, x, y) -> (loss, grads)`` can be swapped for another rule (notebook 03
    trains with the articles' rule this way, to show that it does not minimise the loss); the rule
    runs with autograd enabled, so one built on :func:`autograd_gradients` works too. Only the
    update itself runs under ``no_grad``.
    """
    if not (lr > 0 and epochs >= 1):
        raise ValueError(f"need lr > 0 and epochs >= 1, got lr={lr!r}, epochs={epochs!r}")
    losses = []
    for _ in range(epochs):
        loss, grads = gradients(layers, x, y)
        losses.append(float(loss))
        with torch.no_grad():
            for layer, grad in zip(layers, grads):
                for name, g in grad.tensors().items():
                    getattr(layer, name).sub_(lr * g)
                if layer.k is not None:
                    layer.k.clamp_(min=K_MIN)
    return losses


def predict(layers: Sequence[Layer], x: torch.Tensor) -> torch.Tensor:
    """The predicted class of every row of ``x``."""
    return forward(layers, x)[0].argmax(1)


def case_study_data(n_samples: int = 100, n_features: int = 10, n_classes: int = 5, test_size: float = 0.2,
                    seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The articles' case study as data: 100 samples x 10 features, 5 classes, a stratified 80/20 split.

    The articles give no data, so scikit-learn's ``make_classification`` draws a table of that
    shape; features are standardised with the training rows' statistics only. Returns float64
    ``x_train, y_train, x_test, y_test`` on the CPU.
    """
    x, y = make_classification(n_samples=n_samples, n_features=n_features, n_informative=6, n_redundant=2,
                               n_classes=n_classes, n_clusters_per_class=1, class_sep=1.5,
                               random_state=seed)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=test_size, stratify=y,
                                                        random_state=seed)
    scaler = StandardScaler().fit(x_train)
    as_x = lambda a: torch.from_numpy(scaler.transform(a)).to(torch.float64)
    as_y = lambda a: torch.from_numpy(np.asarray(a, dtype=np.int64))
    return as_x(x_train), as_y(y_train), as_x(x_test), as_y(y_test)
