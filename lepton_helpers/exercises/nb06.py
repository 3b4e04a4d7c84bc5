"""Exercises of notebook 06 · Optimisation: Nesterov momentum and the cosine schedule written out and
checked against torch.optim, and what the batch size does in a fixed number of epochs."""

from __future__ import annotations

import math

import numpy as np
import torch

from .framework import Choice, Implement, Mistake, Tolerance


def notebook_names() -> dict:
    """The names notebook 06 defines that an answer may use."""
    return {"torch": torch, "np": np}


# ---------------------------------------------------------------- 06.1 Nesterov momentum
STEPS = 25


def _valley_cases(g: torch.Generator) -> list[tuple]:
    cases = []
    for dim in (2, 3, 5):
        curvature = torch.rand(dim, generator=g, dtype=torch.float64) * 20 + 0.5
        w0 = torch.randn(dim, generator=g, dtype=torch.float64) * 3
        lr = float(torch.rand((), generator=g, dtype=torch.float64)) * 0.8 / float(curvature.max()) + 0.01
        momentum = float(torch.rand((), generator=g, dtype=torch.float64)) * 0.85 + 0.1
        cases.append((curvature, w0, lr, momentum))
    return cases


def _torch_path(curvature, w0, lr, momentum):
    """The path of torch.optim.SGD(nesterov=True) on L(w) = ½ Σ c w², from w0."""
    w = w0.clone().requires_grad_()
    optimizer, path = torch.optim.SGD([w], lr=lr, momentum=momentum, nesterov=True), [w0.clone()]
    with torch.enable_grad():
        for _ in range(STEPS):
            optimizer.zero_grad()
            (0.5 * curvature * w ** 2).sum().backward()
            optimizer.step()
            path.append(w.detach().clone())
    return torch.stack(path)


def _path_of(step, curvature, w0, lr, momentum):
    """The path that ``step(w, g, v, lr, momentum) -> (w, v)`` takes on the same valley."""
    w, v, path = w0.clone(), torch.zeros_like(w0), [w0.clone()]
    for _ in range(STEPS):
        g = curvature * w
        before = (w.clone(), g.clone(), v.clone())
        result = step(w, g, v, lr, momentum)
        if not all(torch.equal(a, b) for a, b in zip(before, (w, g, v))):
            raise ValueError("your step changed w, g or v in place; return new tensors (w - ..., not w -= ...)")
        if not (isinstance(result, tuple) and len(result) == 2):
            raise ValueError(f"your step must return the pair (w, v); it returned {type(result).__name__}")
        w, v = result
        path.append(w)
    return torch.stack(path)


def _classical(w, g, v, lr, momentum):
    v = momentum * v + g
    return w - lr * v, v


NESTEROV = Implement(
    id="06.1",
    title="Nesterov momentum, one step",
    task=f"""Nesterov momentum evaluates the momentum step "one step ahead". In the form that
`torch.optim.SGD(..., momentum=μ, nesterov=True)` uses, one step with gradient g is:
v ← μ v + g, then w ← w − η (g + μ v). Write `nesterov_step(w, g, v, lr, momentum)` that **returns** the
new `(w, v)` without changing its inputs in place. The check runs your step for {STEPS} steps on fresh
random valleys L(w) = ½ Σ cᵢ wᵢ² and compares every point of the path with `torch.optim.SGD(nesterov=True)`.""",
    answer_cell='''def nesterov_step(w, g, v, lr, momentum):
    """One Nesterov step: returns the new (w, v); w, g and v themselves stay unchanged."""
    raise NotImplementedError("your code here")''',
    answer_name="nesterov_step",
    solution='''def nesterov_step(w, g, v, lr, momentum):
    """One Nesterov step: returns the new (w, v); w, g and v themselves stay unchanged."""
    v = momentum * v + g                     # the new velocity...
    return w - lr * (g + momentum * v), v    # ...is used in the step''',
    hints=("Two assignments in the order the task gives them, then return both. Which velocity, old or new, does "
           "the second line use?",
           "Compute the new velocity first into a new name (no `*=` or `+=` on the inputs), then the new w from g and "
           "that new velocity, and return the two as a tuple."),
    mistakes=(
        Mistake("classical momentum (or the old velocity in the step)", "that is classical (heavy-ball) momentum, "
                "w − η v with the new v (the same as Nesterov's line with the old v); Nesterov's step is w − η (g + μ v) "
                "with the new v",
                _classical),
    ),
    reference=_torch_path,
    cases=_valley_cases,
    arg_names=("curvature", "w0", "lr", "momentum"),
    tolerance=Tolerance(rtol=1e-10, atol=1e-12),
    against="torch.optim.SGD(momentum=μ, nesterov=True)",
    call=lambda answer, *args: _path_of(answer, *args),
)


# ---------------------------------------------------------------- 06.2 the cosine schedule
def _torch_cosine(total, lr_max, lr_min):
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr_max)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total, eta_min=lr_min)
    rates = []
    for _ in range(total + 1):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


def _cosine_cases(g: torch.Generator) -> list[tuple]:
    cases = [(10, 0.1, 0.0)]
    for _ in range(3):
        total = int(torch.randint(3, 40, (), generator=g))
        lr_min = float(torch.rand((), generator=g)) * 0.01
        cases.append((total, lr_min + float(torch.rand((), generator=g)) * 0.5 + 0.01, lr_min))
    return cases


def _rates(cosine_lr, total, lr_max, lr_min):
    return [float(cosine_lr(t, total, lr_max, lr_min)) for t in range(total + 1)]


COSINE = Implement(
    id="06.2",
    title="The cosine schedule, epoch by epoch",
    task="""Write `cosine_lr(t, total, lr_max, lr_min)`: the learning rate of the cosine schedule of section 4 at
epoch `t` (0 ≤ t ≤ total): `lr_max` at t = 0, `lr_min` at t = total, falling along half a cosine wave in
between. The check compares your rates, epoch by epoch, with
`torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total, eta_min=lr_min)` for fresh random
settings.""",
    answer_cell='''def cosine_lr(t, total, lr_max, lr_min):
    """The cosine schedule's learning rate at epoch t of total."""
    raise NotImplementedError("your code here")''',
    answer_name="cosine_lr",
    solution='''def cosine_lr(t, total, lr_max, lr_min):
    """The cosine schedule's learning rate at epoch t of total."""
    return lr_min + (lr_max - lr_min) * (1 + np.cos(np.pi * t / total)) / 2''',
    hints=("cos goes from 1 to −1 over half a turn (0 to π). How do you map that onto the range from lr_max down to "
           "lr_min?",
           "Let the angle grow from 0 to π as t goes from 0 to total; (1 + cos(angle)) / 2 then falls from 1 to 0. "
           "Use it as the fraction of the way from lr_min up to lr_max."),
    mistakes=(
        Mistake("cos without (1 + cos) / 2", "your rates fall below lr_min: cos runs from 1 to −1, so shift and halve "
                "it, (1 + cos) / 2, before scaling",
                lambda t, total, lr_max, lr_min: lr_min + (lr_max - lr_min) * math.cos(math.pi * t / total)),
        Mistake("rising instead of falling", "your schedule rises from lr_min to lr_max; it must start at lr_max "
                "and end at lr_min",
                lambda t, total, lr_max, lr_min: lr_max + (lr_min - lr_max) * (1 + math.cos(math.pi * t / total)) / 2),
        Mistake("a full cosine wave", "your angle runs to 2π (a full wave): the schedule uses half a wave, 0 to π",
                lambda t, total, lr_max, lr_min: lr_min + (lr_max - lr_min) * (1 + math.cos(2 * math.pi * t / total)) / 2),
    ),
    reference=_torch_cosine,
    cases=_cosine_cases,
    arg_names=("total", "lr_max", "lr_min"),
    tolerance=Tolerance(rtol=1e-9, atol=1e-12),
    against="CosineAnnealingLR",
    call=_rates,
)


# ---------------------------------------------------------------- 06.3 batch size in a fixed budget of epochs
BATCH = Choice(
    id="06.3",
    title="A larger batch in the same number of epochs",
    task="""You train for 3 epochs with batches of 100 and a fixed learning rate. To go faster you switch to batches of
1,600 and change nothing else. What do you expect for the validation accuracy after the 3 epochs, and
why? Set `batch_answer` to one letter.

- **A.** Higher: larger batches give less noisy gradients, so each step is better.
- **B.** Clearly lower: 16 times fewer updates in the same epochs; a larger learning rate would win back part of it.
- **C.** The same: every epoch still sees every digit once.""",
    answer_cell='batch_answer = None  # "A", "B" or "C"',
    answer_name="batch_answer",
    solution='batch_answer = "B"',
    hints=("Count the optimiser steps in 3 epochs of 4,500 digits (section 8's `half`) for each batch size.",
           "Each step moves the weights by about the learning rate times a gradient, whatever the batch size. Compare "
           "how far 3 epochs can move the weights at each batch size (section 8 measured it)."),
    options={"A": "higher", "B": "clearly lower", "C": "the same"},
    reasons={
        "A": "Each step is a little better, but there are 16 times fewer of them: in a fixed number of epochs the "
             "number of updates wins (section 8: batches of 1,600 ended far below batches of 100).",
        "B": "4,500 digits make 45 steps per epoch at batch 100 and only 3 at batch 1,600; each step moves the "
             "weights by about the same amount, so the large batch gets much less far. Raising the learning rate "
             "recovers part of it (section 8 tried ten times the rate).",
        "C": "Seeing every digit once is not what trains the network; the updates do, and there are 16 times fewer.",
    },
    correct="B",
)

EXERCISES = (NESTEROV, COSINE, BATCH)
