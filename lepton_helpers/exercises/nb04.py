"""Exercises of notebook 04 · Layer-wise training: what a frozen stage trains, what a stage receives,
and what the comparison with backprop supports."""

from __future__ import annotations

import torch

from ..env import seeded
from ..layerwise import layer_inputs
from ..models import MLP, count_parameters
from .framework import Choice, Implement, Mistake, Tolerance


def notebook_names() -> dict:
    """The names notebook 04 defines that an answer may use."""
    return {"torch": torch, "MLP": MLP, "count_parameters": count_parameters}


def _random_sizes(g: torch.Generator) -> tuple[int, ...]:
    depth = int(torch.randint(3, 6, (), generator=g))
    return tuple(int(s) for s in torch.randint(2, 60, (depth,), generator=g))


# ---------------------------------------------------------------- 04.1 trainable parameters after freezing
def _trainable(sizes, frozen):
    model = MLP(sizes)
    for block in model.hidden[:frozen]:
        block.requires_grad_(False)
    return count_parameters(model)


def _freeze_cases(g: torch.Generator) -> list[tuple]:
    cases = []
    for _ in range(4):
        sizes = _random_sizes(g)
        cases.append((sizes, int(torch.randint(0, len(sizes) - 1, (), generator=g))))
    return cases + [((784, 128, 64, 10), 1)]


def _count(sizes, frozen, *, biases=True, skip=None):
    layers = list(zip(sizes[:-1], sizes[1:]))
    kept = layers[frozen if skip is None else skip:]
    return sum(n_in * n_out + (n_out if biases else 0) for n_in, n_out in kept)


TRAINABLE = Implement(
    id="04.1",
    title="What does a greedy stage train?",
    task="""In greedy training the first layers are frozen while a later one learns. Write
`trainable_parameters(sizes, frozen)`: how many numbers the optimiser updates in `MLP(sizes)` (layer
widths such as `(784, 128, 64, 10)`) when its first `frozen` hidden layers are frozen. Compute it from
the sizes (do not build the network); the check compares with an `MLP` whose first layers get
`requires_grad_(False)`, counted by `count_parameters`, for fresh random sizes.""",
    answer_cell='''def trainable_parameters(sizes, frozen):
    """How many parameters still learn in MLP(sizes) when its first `frozen` hidden layers are frozen."""
    raise NotImplementedError("your code here")''',
    answer_name="trainable_parameters",
    solution='''def trainable_parameters(sizes, frozen):
    """How many parameters still learn in MLP(sizes) when its first `frozen` hidden layers are frozen."""
    layers = list(zip(sizes[:-1], sizes[1:]))          # (n_in, n_out) of every Linear layer
    return sum(n_in * n_out + n_out for n_in, n_out in layers[frozen:])''',
    hints=("List the network's linear layers from the sizes; which of them still learn, and what does each hold?",
           "Consecutive sizes give the layers: `zip(sizes[:-1], sizes[1:])`. A `Linear(n_in, n_out)` holds a "
           "weight for every input-output pair and one bias per output. Skip the first `frozen` layers, add up the rest."),
    mistakes=(
        Mistake("forgot the biases", "you counted the weights only: every learning layer also has one bias per output",
                lambda sizes, frozen: _count(sizes, frozen, biases=False)),
        Mistake("counted the frozen layers too", "frozen layers do not learn: leave their parameters out",
                lambda sizes, frozen: _count(sizes, frozen, skip=0)),
        Mistake("one layer too many frozen", "you left out one layer too many: `frozen` counts the frozen hidden "
                "layers, and the layer right after them learns",
                lambda sizes, frozen: _count(sizes, frozen, skip=frozen + 1)),
    ),
    reference=_trainable,
    cases=_freeze_cases,
    arg_names=("sizes", "frozen"),
    tolerance=Tolerance(0, 0),
    against="count_parameters of an MLP with its first layers frozen",
)


# ---------------------------------------------------------------- 04.2 the inputs of a stage
def _network_cases(g: torch.Generator) -> list[tuple]:
    cases = []
    for activation in ("relu", "sigmoid", "lepton-k4"):
        sizes = _random_sizes(g)
        with seeded(int(torch.randint(0, 2**31, (), generator=g))):
            model = MLP(sizes, activation)
        x = torch.randn(5, sizes[0], generator=g)
        cases += [(model, x, depth) for depth in range(len(sizes) - 1)]
    return cases


def _graph_left(args, got) -> str | None:
    if isinstance(got, torch.Tensor) and got.requires_grad:
        return "the result carries a graph (requires_grad=True): compute it without gradients, under torch.no_grad()"
    return None


def _through(model, x, depth, extra=0):
    h = x
    for block in model.hidden[:depth + extra]:
        h = block(h)
    return h


INPUTS = Implement(
    id="04.2",
    title="What does a stage receive?",
    task="""Greedy training computes the inputs of a stage once. Write `inputs_of_layer(model, x, depth)` that
returns what hidden layer `depth + 1` of an `MLP` receives: `x` passed through the first `depth` hidden
layers (for `depth=0`, `x` itself), without building a graph for gradients. The check runs it on fresh
random networks with several activations and every depth.""",
    answer_cell='''def inputs_of_layer(model, x, depth):
    """x passed through model.hidden[0], ..., model.hidden[depth - 1], without gradients."""
    raise NotImplementedError("your code here")''',
    answer_name="inputs_of_layer",
    solution='''def inputs_of_layer(model, x, depth):
    """x passed through model.hidden[0], ..., model.hidden[depth - 1], without gradients."""
    h = x
    with torch.no_grad():
        for block in model.hidden[:depth]:
            h = block(h)
    return h''',
    hints=("The hidden layers are `model.hidden[0]`, `model.hidden[1]`, ...: which of them does the input pass "
           "before reaching layer `depth + 1`?",
           "Loop over the first `depth` blocks of `model.hidden`, feeding each one's output to the next, all inside a "
           "`torch.no_grad()` block so that no graph is kept."),
    mistakes=(
        Mistake("kept the graph", "the result carries a graph (requires_grad=True): compute it without gradients, "
                "under torch.no_grad()",
                lambda model, x, depth: _through(model, x, depth)),
        Mistake("one layer too many", "one layer too many: layer `depth + 1` receives the output of the first `depth` "
                "layers (depth=0: x itself)",
                lambda model, x, depth: _through(model, x, depth, extra=1).detach()),
    ),
    reference=layer_inputs,
    cases=_network_cases,
    arg_names=("model", "x", "depth"),
    tolerance=Tolerance(rtol=1e-6, atol=1e-7),
    against="layerwise.layer_inputs",
    inspect_result=_graph_left,
)


# ---------------------------------------------------------------- 04.3 interpret a new comparison
BACKPROP_RUN, GREEDY_RUN = (95.1, 95.6, 95.0), (96.5, 95.4, 95.9)
"""Test accuracies (%) of a classmate's repeat on a wider network, seeds 0, 1, 2 (paired by seed)."""

VERDICT = Choice(
    id="04.3",
    title="A classmate's comparison: what does it support?",
    task=f"""A classmate repeats section 7's comparison on a wider network (784-512-256-10), same recipes, seeds 0, 1
and 2, and gets these test accuracies:

| seed | 0 | 1 | 2 |
| --- | --- | --- | --- |
| backprop 10 | {BACKPROP_RUN[0]}% | {BACKPROP_RUN[1]}% | {BACKPROP_RUN[2]}% |
| greedy 5+5 | {GREEDY_RUN[0]}% | {GREEDY_RUN[1]}% | {GREEDY_RUN[2]}% |

They write: "greedy wins by 0.7 points, more than the half-point margin". Apply the course's rule
(printed in section 7) yourself. Which verdict is right? Set `greedy_answer` to one letter.

- **A.** Greedy better: the mean difference, +0.7 points, exceeds the margin of 0.5 points.
- **B.** No detectable difference: the difference exceeds the margin but not the half-width of its 95% interval.
- **C.** Greedy better, because it won on two seeds of three.
- **D.** Backprop better, because greedy lost on seed 1.""",
    answer_cell='greedy_answer = None  # "A", "B", "C" or "D"',
    answer_name="greedy_answer",
    solution='greedy_answer = "B"',
    hints=("The rule has two conditions, not one. Work with the differences seed by seed (the runs are paired).",
           "Take greedy − backprop for each seed; their mean is d, and their standard deviation (n − 1 in the "
           "denominator) divided by √3 is its standard error (`evaluation.mean_se` computes both). Then compare "
           "|d| with the margin and with the interval's half-width, t × standard error (t = 4.30 for 3 seeds: 2 degrees of "
           "freedom)."),
    options={"A": "greedy better: above the margin", "B": "no detectable difference",
             "C": "greedy better: two seeds of three", "D": "backprop better: seed 1"},
    reasons={
        "A": "The margin is only half of the rule. The paired differences +1.4, −0.2 and +0.9 points have mean +0.70 "
             "and standard error 0.47; +0.70 is far below the interval's half-width, 4.30 × 0.47 = 2.03, so seed noise could "
             "produce it.",
        "B": "The paired differences +1.4, −0.2, +0.9 points give d = +0.70 ± 0.47 (standard error): above the "
             "0.5-point margin but not above the 95% interval's half-width, 4.30 × 0.47 = 2.03 (Student's t for 2 degrees "
             "of freedom), so the verdict is 'no detectable difference'. "
             "More seeds would settle it.",
        "C": "Counting wins ignores how large and how noisy the differences are; the rule asks whether the mean "
             "difference stands out from its standard error, and +0.70 ± 0.47 does not.",
        "D": "One seed's loss (−0.2 points) is well inside the seed-to-seed noise; the mean difference, +0.70 ± 0.47, "
             "points the other way but is not detectable either.",
    },
    correct="B",
)

EXERCISES = (TRAINABLE, INPUTS, VERDICT)
