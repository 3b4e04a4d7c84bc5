"""Exercises of notebook 02 · The Lepton activation: inverting it, folding k and θ into a linear layer,
and predicting what k does to training."""

from __future__ import annotations

import torch

from ..activation import Lepton, lepton
from ..evaluation import mean_se
from .experiments import small_network, validation_accuracy
from .framework import Choice, Implement, Mistake, Tolerance, describe


def notebook_names() -> dict:
    """The names notebook 02 defines that an answer may use."""
    return {"torch": torch, "lepton": lepton}


def _f64(g, *shape, scale=1.0, shift=0.0):
    return torch.rand(shape, generator=g, dtype=torch.float64) * scale + shift


# ---------------------------------------------------------------- 02.1 where does f reach p?
def _logit(p):
    return torch.log(p / (1 - p))


def _inverse_cases(g: torch.Generator) -> list[tuple]:
    return [(_f64(g, 20, scale=0.98, shift=0.01), float(_f64(g, scale=5, shift=0.2)), float(_f64(g, scale=4, shift=-2))),
            (_f64(g, 7, 3, scale=0.9, shift=0.05), _f64(g, 3, scale=8, shift=0.1), _f64(g, 3, scale=6, shift=-3)),
            (torch.tensor([0.5, 0.9, 0.1], dtype=torch.float64), 2.0, 0.5)]


def _f_of_x(args, got, want):
    p, k, theta = args
    try:
        reached = lepton(torch.as_tensor(got, dtype=torch.float64), k, theta)
    except Exception:  # noqa: BLE001 (a malformed answer: the comparison above already says what is wrong)
        return []
    return [f"f(your x) = {describe(reached)} where p = {describe(p)}"]


INVERSE = Implement(
    id="02.1",
    title="Where does the unit reach a given output?",
    task="""Write `x_where(p, k, theta)`: the input x at which the Lepton with slope `k` and threshold `theta`
reaches the output `p` (0 < p < 1), that is the x with f(x) = σ(k(x − θ)) = p, elementwise (`p` is a
tensor; `k` and `theta` are numbers or tensors that broadcast against it). The check compares your x
with the exact one on fresh random inputs, to a relative tolerance of 10⁻⁶, and shows what f of your
x is. Then: for k = 2 and θ = 0.5, where does f reach 0.9?""",
    answer_cell='''def x_where(p, k, theta):
    """The x with lepton(x, k, theta) == p, elementwise."""
    raise NotImplementedError("your code here")''',
    answer_name="x_where",
    solution='''def x_where(p, k, theta):
    """The x with lepton(x, k, theta) == p, elementwise."""
    z = torch.log(p / (1 - p))      # the z with sigmoid(z) = p
    return theta + z / k            # undo z = k (x - theta)''',
    hints=("Work backwards in two steps: first find the z with σ(z) = p, then the x with k(x − θ) = z.",
           "Solve 1 / (1 + e^(−z)) = p for e^(−z), take `torch.log` of both sides to get z; then undo "
           "z = k(x − θ) one operation at a time."),
    mistakes=(
        Mistake("forgot to divide by k", "you solved σ(x − θ) = p: the slope k multiplies (x − θ), so undo it too",
                lambda p, k, theta: theta + _logit(p)),
        Mistake("multiplied by k instead of dividing", "z = k(x − θ) gives x − θ = z / k, not z · k",
                lambda p, k, theta: theta + _logit(p) * k),
        Mistake("sign of the logit flipped", "the sign is flipped: for p > ½ the answer must lie above θ",
                lambda p, k, theta: theta - _logit(p) / k),
        Mistake("forgot θ", "the threshold θ shifts the curve: add it back after undoing the slope",
                lambda p, k, theta: _logit(p) / k),
    ),
    reference=lambda p, k, theta: theta + _logit(p) / k,
    cases=_inverse_cases,
    arg_names=("p", "k", "theta"),
    tolerance=Tolerance(rtol=1e-6, atol=1e-9),
    against="the exact inverse",
    explain=_f_of_x,
)


# ---------------------------------------------------------------- 02.2 folding k and θ away
def _fold(W, b, k, theta):
    return k[:, None] * W, k * (b - theta)


def _fold_cases(g: torch.Generator) -> list[tuple]:
    cases = []
    for n_out, n_in in ((4, 4), (3, 5), (6, 2), (4, 7)):   # square first: k * W runs there, on the wrong axis
        cases.append((torch.randn(n_out, n_in, generator=g, dtype=torch.float64),
                      torch.randn(n_out, generator=g, dtype=torch.float64),
                      _f64(g, n_out, scale=5, shift=0.1), torch.randn(n_out, generator=g, dtype=torch.float64)))
    return cases


FOLD = Implement(
    id="02.2",
    title="θ is a bias, k is a weight scale",
    task="""A linear layer with weights `W` (shape `(out, in)`) and bias `b` is followed by a Lepton with one
slope and one threshold **per neuron** (`k` and `theta`, shape `(out,)`). Write `fold(W, b, k, theta)`:
the weights and bias `(W2, b2)` of a plain sigmoid layer, σ(W2 x + b2), that computes exactly the same
function. The check compares with section 4's folding on fresh random layers, square and not.""",
    answer_cell='''def fold(W, b, k, theta):
    """(W2, b2) with sigmoid(x @ W2.T + b2) == lepton(x @ W.T + b, k, theta) for every x."""
    raise NotImplementedError("your code here")''',
    answer_name="fold",
    solution='''def fold(W, b, k, theta):
    """(W2, b2) with sigmoid(x @ W2.T + b2) == lepton(x @ W.T + b, k, theta) for every x."""
    W2 = k[:, None] * W           # neuron j's row of W scaled by its own k_j
    b2 = k * (b - theta)
    return W2, b2''',
    hints=("Multiply out k(Wx + b − θ) and sort it into (something) · x + (something without x).",
           "The part with x gives the new weights, the rest the new bias. k has one entry per neuron, and a "
           "neuron is a row of W: reshape k into a column before multiplying W."),
    mistakes=(
        Mistake("bias not scaled by k", "the bias must be scaled by k as well: k multiplies the whole (Wx + b − θ)",
                lambda W, b, k, theta: (k[:, None] * W, b - theta)),
        Mistake("θ not scaled by k", "θ sits inside the bracket, so k multiplies it too: k(b − θ), not kb − θ",
                lambda W, b, k, theta: (k[:, None] * W, k * b - theta)),
        Mistake("weights not scaled", "the weights must be scaled by k too: k multiplies Wx",
                lambda W, b, k, theta: (W, k * (b - theta))),
        Mistake("k * W (scales columns)", "`k * W` scales column j of W by k[j] (shapes line up from the right); "
                "neuron j is row j: scale the rows with `k[:, None] * W`",
                lambda W, b, k, theta: (k * W, k * (b - theta))),
    ),
    reference=_fold,
    cases=_fold_cases,
    arg_names=("W", "b", "k", "theta"),
    tolerance=Tolerance(rtol=1e-10, atol=1e-12),
    against="section 4's folding, W' = kW, b' = k(b − θ)",
)


# ---------------------------------------------------------------- 02.3 predict: k and training
K_VALUES, SEEDS, EPOCHS, LR = (0.25, 1.0, 4.0), (0, 1, 2), 2, 0.1


def _k_experiment() -> dict[float, list[float]]:
    """Validation accuracy after 2 epochs of SGD for each fixed k (3 seeds each)."""
    accuracy = {}
    for k in K_VALUES:
        accuracy[k] = []
        for seed in SEEDS:
            model = small_network(lambda k=k: Lepton(k=k), seed)
            accuracy[k].append(validation_accuracy(model, torch.optim.SGD(model.parameters(), lr=LR), EPOCHS, seed))
    return accuracy


def _k_report(accuracy) -> list[str]:
    lines = [f"784-32-10 network, fixed Lepton k, {EPOCHS} epochs of SGD (lr {LR}) on 2,000 digits, "
             f"validation accuracy on 1,000 other digits, seeds {', '.join(map(str, SEEDS))}:"]
    for k, accs in accuracy.items():
        mean, se = mean_se(accs)
        lines.append(f"  k = {k:<4g}: {100 * mean:5.1f}% ± {100 * se:.1f}  "
                     f"(seeds: {', '.join(f'{100 * a:.1f}' for a in accs)})")
    return lines


def _k_outcome(accuracy) -> str:
    means = [sum(a) / len(a) for a in accuracy.values()]
    if max(means) - min(means) < 0.01:
        return "C"
    if means == sorted(means):
        return "A"
    return "B" if means == sorted(means, reverse=True) else "D"


K_TRAINING = Choice(
    id="02.3",
    title="What k does to training",
    kind="predict",
    task=f"""The same small network (784-32-10, a fixed Lepton in the hidden layer) is trained for {EPOCHS} epochs
of plain SGD (learning rate {LR}) on 2,000 digits, once with k = 0.25, once with k = 1 (the sigmoid)
and once with k = 4, three seeds each, all else equal. How does the validation accuracy after those
{EPOCHS} epochs change as k grows? Predict first, in `k_prediction`, then run the check: it trains the
9 networks (a few seconds) and shows the result.

- **A.** It rises with k: 0.25 < 1 < 4.
- **B.** It falls with k: steeper units saturate.
- **C.** It hardly changes (within a point): k is only a weight scale, which the weights absorb.
- **D.** It is best (or worst) at k = 1, the plain sigmoid.""",
    answer_cell='k_prediction = None  # "A", "B", "C" or "D": write it before you run the check',
    answer_name="k_prediction",
    solution='k_prediction = "A"',
    hints=("How large can f′ be for a given k, and what does that do to every gradient passing through the layer?",
           "Use section 1 (the steepest slope is k/4) and section 4 (k is a weight scale): with the same learning "
           "rate and the same few steps, what does a small or a large k do to the size of each update of the "
           "function?"),
    options={"A": "rises with k", "B": "falls with k", "C": "hardly changes", "D": "best or worst at k = 1"},
    reasons={
        "A": "f′ ≤ k/4, so at k = 0.25 every gradient through the layer is at most 1/16 of the incoming one and the "
             "unit is almost linear: SGD crawls. A larger k is a larger weight scale (section 4), so the same "
             "learning rate moves the function further per step. With far larger k the units saturate at the "
             "start: try k = 16 yourself.",
        "B": "Saturation needs |k(x − θ)| large; with these small initial weights k = 4 is not there yet, while "
             "k = 0.25 makes the unit nearly linear with tiny slopes (f′ ≤ 1/16), which slows SGD.",
        "C": "k can be absorbed into the weights for the *function* (section 4), not for the *training*: the same "
             "learning rate on other coordinates is another step, so in a short run k matters a lot.",
        "D": "Nothing singles out k = 1; the sigmoid is just one point on the scale. The slope ceiling k/4 and the "
             "effective step both grow with k.",
    },
    correct="A",
    experiment=_k_experiment,
    report=_k_report,
    outcome=_k_outcome,
)

EXERCISES = (INVERSE, FOLD, K_TRAINING)

