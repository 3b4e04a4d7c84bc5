"""SGD, SGD with momentum and Adam written out, as update rules and as optimisers.

Each update rule is a few lines on tensors (the functions below, what notebook 06 teaches), and
:class:`SimpleSGD` / :class:`SimpleAdam` apply them to every parameter as ``torch.optim.Optimizer``
subclasses, so they plug into :func:`~lepton_helpers.training.fit` and accept the parameter
groups of :func:`~lepton_helpers.training.parameter_groups`. :func:`compare_with_torch` runs one
of them beside its ``torch.optim`` counterpart and reports how far apart they are after each step
(in float64: zero, or a few units of rounding). :func:`state_numbers` counts what an optimiser keeps
between steps: nothing for SGD, one velocity per parameter with momentum, two running means for Adam.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

from .env import seeded
from .models import MLP


# ---------------------------------------------------------------- the update rules
def sgd_update(param: torch.Tensor, grad: torch.Tensor, lr: float) -> None:
    """Plain gradient descent, in place: ``p <- p - lr g``."""
    param.add_(grad, alpha=-lr)


def momentum_update(param: torch.Tensor, grad: torch.Tensor, velocity: torch.Tensor, lr: float,
                    momentum: float) -> None:
    """Heavy-ball momentum, in place: ``v <- mu v + g``, then ``p <- p - lr v`` (``v`` starts at 0).

    ``v`` is a running sum of past gradients, each one weighted ``mu`` times less per step:
    directions that agree from step to step build up speed, ones that flip sign cancel.
    """
    velocity.mul_(momentum).add_(grad)
    param.add_(velocity, alpha=-lr)


def adam_update(param: torch.Tensor, grad: torch.Tensor, m: torch.Tensor, v: torch.Tensor, step: int,
                lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
    """Adam, in place, for the ``step``-th update (1-based); ``m`` and ``v`` start at 0.

    ``m`` averages the gradients, ``v`` their squares (both exponentially); dividing by
    ``1 - beta**step`` removes their bias towards the zero start. The step
    ``lr m_hat / (sqrt(v_hat) + eps)`` is about ``lr`` in size for every parameter, whatever the scale of its gradient.
    """
    beta1, beta2 = betas
    m.mul_(beta1).add_(grad, alpha=1 - beta1)
    v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    m_hat = m / (1 - beta1 ** step)
    v_hat = v / (1 - beta2 ** step)
    param.sub_(lr * m_hat / (v_hat.sqrt() + eps))


# ---------------------------------------------------------------- as optimisers
def _check_lr(lr: float) -> None:
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")


class _SimpleOptimizer(torch.optim.Optimizer):
    """Shared loop: for every parameter with a gradient, add weight decay and call :meth:`update`."""

    @torch.no_grad()
    def step(self, closure: Callable | None = None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    # weight decay as torch.optim.SGD and Adam do it: an L2 term added to the gradient
                    grad = p.grad.add(p, alpha=group["weight_decay"]) if group["weight_decay"] else p.grad
                    self.update(p, grad, self.state[p], group)
        return loss

    def update(self, p: torch.Tensor, grad: torch.Tensor, state: dict, group: dict) -> None:
        raise NotImplementedError


class SimpleSGD(_SimpleOptimizer):
    """Gradient descent, with momentum when ``momentum > 0``; the same steps as ``torch.optim.SGD``."""

    def __init__(self, params: Iterable, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        _check_lr(lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay})

    def update(self, p, grad, state, group):
        if group["momentum"]:
            if "velocity" not in state:
                state["velocity"] = torch.zeros_like(p)
            velocity = state["velocity"]
            momentum_update(p, grad, velocity, group["lr"], group["momentum"])
        else:
            sgd_update(p, grad, group["lr"])


class SimpleAdam(_SimpleOptimizer):
    """Adam; the same steps as ``torch.optim.Adam`` (up to float rounding)."""

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        _check_lr(lr)
        if not all(0 <= b < 1 for b in betas):
            raise ValueError(f"betas must both be in [0, 1), got {betas!r}")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay})

    def update(self, p, grad, state, group):
        if not state:
            state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
        state["step"] += 1
        adam_update(p, grad, state["m"], state["v"], state["step"], group["lr"], group["betas"], group["eps"])


def state_numbers(optimizer: torch.optim.Optimizer) -> int:
    """How many numbers ``optimizer`` keeps per parameter between steps: the elements of the state tensors
    shaped like their parameter (0 for plain SGD, P for momentum, 2P for Adam on P parameters once each
    has stepped); step counters are left out."""
    return sum(value.numel() for param, state in optimizer.state.items() for value in state.values()
               if isinstance(value, torch.Tensor) and value.shape == param.shape)


# ---------------------------------------------------------------- checking against torch.optim
def compare_with_torch(make_ours: Callable[[nn.Module], torch.optim.Optimizer],
                       make_theirs: Callable[[nn.Module], torch.optim.Optimizer],
                       steps: int = 20, seed: int = 0) -> list[float]:
    """Train two copies of one small float64 network, one with each optimiser, on the same batches.

    The network (6-8-3, learnable Lepton, so k and theta are trained too) sees a new random
    batch of 16 samples at every step. Returns, after each step, the largest absolute difference
    between any parameter of the two copies: all zeros (or ~1e-16) when the optimisers agree.
    """
    generator = torch.Generator().manual_seed(seed)
    with seeded(seed):
        ours = MLP((6, 8, 3), activation="lepton-learnable").double()
    theirs = copy.deepcopy(ours)
    optimizers = make_ours(ours), make_theirs(theirs)
    differences = []
    for _ in range(steps):
        x = torch.randn(16, 6, generator=generator, dtype=torch.float64)
        y = torch.randint(0, 3, (16,), generator=generator)
        for model, optimizer in zip((ours, theirs), optimizers):
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        differences.append(max((a - b).abs().max().item() for a, b in zip(ours.parameters(), theirs.parameters())))
    return differences
