"""Exercises of notebook 06 · Optimisation: Nesterov momentum and the cosine schedule written out and
checked against torch.optim, and what a large batch does with as many updates as a small one."""

from __future__ import annotations

import math

import numpy as np
import torch

from ..activation import Lepton
from ..evaluation import mean_se
from .experiments import small_network, validation_accuracy
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
    title="The cosine schedule, step by step",
    task="""Write `cosine_lr(t, total, lr_max, lr_min)`: the learning rate of the cosine schedule of section 4 at
step `t` (0 ≤ t ≤ total; section 4 counts a step per batch): `lr_max` at t = 0, `lr_min` at t = total, falling
along half a cosine wave in between. The check compares your rates, step by step, with
`torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total, eta_min=lr_min)` for fresh random
settings.""",
    answer_cell='''def cosine_lr(t, total, lr_max, lr_min):
    """The cosine schedule's learning rate at step t of total."""
    raise NotImplementedError("your code here")''',
    answer_name="cosine_lr",
    solution='''def cosine_lr(t, total, lr_max, lr_min):
    """The cosine schedule's learning rate at step t of total."""
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


# ---------------------------------------------------------------- 06.3 predict: a large batch with as many updates
RUNS = {"batch 50, 1 epoch": (50, 1), "batch 400, 1 epoch": (400, 1), "batch 400, 8 epochs": (400, 8)}
"""(batch size, epochs) of each run on the 2,000 digits: 40, 5 and 40 updates."""
BATCH_SEEDS, BATCH_LR = (0, 1, 2), 1e-3


def _batch_experiment() -> dict[str, list[float]]:
    """Validation accuracy of each run in :data:`RUNS` (Adam, 784-32-10 Lepton network), per seed."""
    accuracy = {}
    for name, (batch_size, epochs) in RUNS.items():
        accuracy[name] = []
        for seed in BATCH_SEEDS:
            model = small_network(Lepton, seed)
            optimizer = torch.optim.Adam(model.parameters(), lr=BATCH_LR)
            accuracy[name].append(validation_accuracy(model, optimizer, epochs, seed, batch_size=batch_size))
    return accuracy


def _batch_report(accuracy) -> list[str]:
    lines = [f"784-32-10 network, Adam (lr {BATCH_LR:g}), 2,000 training digits, validation accuracy on 1,000 others, "
             f"seeds {', '.join(map(str, BATCH_SEEDS))}:"]
    for name, accs in accuracy.items():
        batch_size, epochs = RUNS[name]
        mean, se = mean_se(accs)
        lines.append(f"  {name:<20} ({epochs * 2000 // batch_size:>2} updates): {100 * mean:5.1f}% ± {100 * se:.1f}")
    return lines


def _batch_outcome(accuracy) -> str:
    mean = {name: sum(accs) / len(accs) for name, accs in accuracy.items()}
    if mean["batch 400, 8 epochs"] < mean["batch 400, 1 epoch"]:
        return "C"
    return "A" if mean["batch 400, 8 epochs"] < mean["batch 50, 1 epoch"] - 0.01 else "B"


BATCH = Choice(
    id="06.3",
    title="A large batch with as many updates",
    kind="predict",
    task=f"""Section 8 compared batch sizes in a **fixed number of epochs**, where a large batch makes few updates. Now
give the large batch as many updates as the small one: a small network (784-32-10, Lepton, Adam at
{BATCH_LR:g}) on 2,000 digits, trained with batches of 50 for 1 epoch (40 updates), with batches of 400 for
1 epoch (5 updates) and with batches of 400 for **8 epochs** (40 updates, 8 times the arithmetic), three
seeds each. How does batch 400 with 40 updates compare with batch 50 with 40 updates? Predict in
`batch_prediction`, then run the check (several seconds).

- **A.** Still clearly lower (by more than a point): a large batch itself trains worse.
- **B.** About the same or higher: with equal updates the less noisy gradient loses nothing.
- **C.** Even lower than batch 400 for 1 epoch: 8 passes over 2,000 digits overfit.""",
    answer_cell='batch_prediction = None  # "A", "B" or "C": write it before you run the check',
    answer_name="batch_prediction",
    solution='batch_prediction = "B"',
    hints=("What did section 8's large batch lack: information per step, or steps?",
           "With Adam each update moves every weight by about the learning rate, whatever the batch size. Compare "
           "the number of updates and the noise in each gradient (an average over 50 or over 400 digits) of the "
           "two runs with 40 updates."),
    options={"A": "still clearly lower", "B": "about the same or higher", "C": "lower than 1 epoch: overfitting"},
    reasons={
        "A": "With equal updates the large batch is not behind: section 8's loss came from making fewer updates "
             "in the same epochs, not from the batch size itself.",
        "B": "Each Adam update moves the weights by about the learning rate, so equal updates go about equally far, "
             "and the large batch's gradient, an average over 8 times more digits, is less noisy. The price is "
             "8 times the arithmetic: in a fixed budget of epochs the small batch wins (section 8).",
        "C": "40 updates are far too few to overfit 2,000 digits with a 784-32-10 network: the 8 epochs lift the "
             "accuracy well above 1 epoch's.",
    },
    correct="B",
    experiment=_batch_experiment,
    report=_batch_report,
    outcome=_batch_outcome,
)

EXERCISES = (NESTEROV, COSINE, BATCH)
