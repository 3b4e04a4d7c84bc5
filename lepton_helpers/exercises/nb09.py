"""Exercises of notebook 09 · The claims ledger: an experiment the learner designs (and the check runs),
how noisy a validation accuracy is, and what one run can and cannot show."""

from __future__ import annotations

import numbers

import torch
from torch import nn

from ..activation import Lepton
from ..evaluation import MARGIN, RULE, accuracy_ci, compare
from .experiments import small_network, validation_accuracy
from .framework import Choice, Compute, Design, Mistake


def notebook_names() -> dict:
    """The names notebook 09 defines that an answer may use."""
    return {"accuracy_ci": accuracy_ci}


# ---------------------------------------------------------------- 09.1 design an experiment
def _sgd(model):
    return torch.optim.SGD(model.parameters(), lr=0.1)


def _adam(model):
    return torch.optim.Adam(model.parameters(), lr=1e-3)


CLAIMS = {  # letter: (claim, (name, activation, optimiser) of arm A, ... of arm B)
    "A": ("a Lepton with k = 4 trains better than the plain sigmoid",
          ("Lepton k=4", lambda: Lepton(k=4.0), _sgd), ("sigmoid", nn.Sigmoid, _sgd)),
    "B": ("Adam (lr 1e-3) trains better than plain SGD (lr 0.1)",
          ("Adam", nn.ReLU, _adam), ("SGD", nn.ReLU, _sgd)),
    "C": ("ReLU trains better than the sigmoid",
          ("ReLU", nn.ReLU, _sgd), ("sigmoid", nn.Sigmoid, _sgd)),
}
MAX_SEEDS, MAX_EPOCHS = 5, 3
FIELDS = ("claim", "seeds", "epochs", "split", "margin")


def _validate(design) -> str | None:
    claim, seeds, epochs, split, margin = (design[f] for f in FIELDS)
    if not (isinstance(claim, str) and claim.strip().upper() in CLAIMS):
        return f"choose the claim by its letter: {', '.join(CLAIMS)}"
    if not (isinstance(seeds, (list, tuple, range)) and all(isinstance(s, numbers.Integral) and not isinstance(s, bool)
                                                            and s >= 0 for s in seeds)):
        return "seeds must be a list of whole numbers >= 0, such as [0, 1, 2]"
    if len(seeds) < 3:
        return ("a verdict rests on at least 3 seeds (one paired run of each arm per seed): one or two runs give no "
                "usable estimate of the noise")
    if len(set(seeds)) != len(seeds):
        return "the seeds must differ: the same seed twice is the same run twice, not a repetition"
    if len(seeds) > MAX_SEEDS:
        return f"at most {MAX_SEEDS} seeds here, so the check runs in seconds"
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or not 1 <= epochs <= MAX_EPOCHS:
        return f"epochs must be a whole number from 1 to {MAX_EPOCHS} here (each run must take a fraction of a second)"
    if isinstance(split, str) and split.strip().lower() == "test":
        return ("compare on the validation split: you may run this check many times while you adjust the design, and "
                "every look at the test set that shapes a choice makes its final number optimistic. The notebooks the "
                "ledger cites do the same: choices on validation, the test set once, with nothing chosen from it")
    if not (isinstance(split, str) and split.strip().lower() == "validation"):
        return 'split must be "validation" (or "test", which is the wrong choice here)'
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real) or not margin > 0:
        return ("state a margin above 0: the smallest difference in accuracy that would matter, decided before the "
                "run (for example 0.005, half a point)")
    if margin >= 0.2:
        return "give the margin as a fraction (0.01 is one point), not in percent"
    return None


def _run(design) -> list[str]:
    claim, (name_a, act_a, opt_a), (name_b, act_b, opt_b) = CLAIMS[design["claim"].strip().upper()]
    seeds, epochs = [int(s) for s in design["seeds"]], int(design["epochs"])
    accuracy = {name_a: [], name_b: []}
    for seed in seeds:
        for name, activation, optimizer in ((name_a, act_a, opt_a), (name_b, act_b, opt_b)):
            model = small_network(activation, seed)
            accuracy[name].append(validation_accuracy(model, optimizer(model), epochs, seed))
    lines = [f'claim: "{claim}"',
             f"784-32-10 network, {epochs} epoch(s) on 2,000 digits, validation accuracy on 1,000 other digits:"]
    lines += [f"  {name:<11} " + ", ".join(f"{100 * a:.1f}%" for a in accs) + f"  (seeds {', '.join(map(str, seeds))})"
              for name, accs in accuracy.items()]
    comparison = compare(accuracy[name_a], accuracy[name_b], names=(name_a, name_b), margin=float(design["margin"]))
    return lines + [str(comparison), f"the rule: {RULE}"]


def _design(**changes) -> dict:
    return {"claim": "A", "seeds": [0, 1, 2], "epochs": 2, "split": "validation", "margin": MARGIN, **changes}


DESIGN = Design(
    id="09.1",
    title="Design an experiment, then run it",
    task=f"""Test one of these claims yourself, with the ledger's rule:

- **A.** A Lepton with k = 4 trains better than the plain sigmoid.
- **B.** Adam (learning rate 10⁻³) trains better than plain SGD (learning rate 0.1).
- **C.** ReLU trains better than the sigmoid.

Fill in `design`: which claim, which seeds (each seed gives one paired run of both arms), how many
epochs (1 to {MAX_EPOCHS}), on which split the two arms are compared, and the margin: the smallest difference in
accuracy (a fraction: 0.01 is one point) that would count, decided now, before the run. The check
first judges the design; only a valid one is run (784-32-10 networks on 2,000 digits: a few seconds),
and the verdict follows the course's rule (`evaluation.compare`).""",
    answer_cell='''design = {
    "claim": None,   # "A", "B" or "C"
    "seeds": None,   # a list of seeds, e.g. [...]
    "epochs": None,  # 1 to 3
    "split": None,   # where the arms are compared: "validation" or "test"
    "margin": None,  # the smallest accuracy difference that counts, as a fraction (0.01 = one point)
}''',
    answer_name="design",
    solution='''design = {
    "claim": "A",
    "seeds": [0, 1, 2],        # at least 3, each one paired run of both arms
    "epochs": 2,
    "split": "validation",     # choices on validation; the test set is for the final number only
    "margin": 0.005,           # half a point, decided before the run
}''',
    hints=("Think of what the verdicts the ledger cites needed before a difference counted as evidence: how many runs, "
           "which data, what size of difference.",
           "The rule printed at the top of this notebook, and notebook 07, give them: repeat each arm over several "
           "seeds (paired by seed), look at the validation split while you design, and fix the margin before the run."),
    mistakes=(
        Mistake("compared on the test set", _validate(_design(split="test")), _design(split="test")),
        Mistake("one seed", _validate(_design(seeds=[0])), _design(seeds=[0])),
        Mistake("the same seed repeated", _validate(_design(seeds=[0, 0, 0])), _design(seeds=[0, 0, 0])),
        Mistake("no margin", _validate(_design(margin=0)), _design(margin=0)),
        Mistake("margin in percent", _validate(_design(margin=1)), _design(margin=1)),
        Mistake("too many epochs", _validate(_design(epochs=50)), _design(epochs=50)),
    ),
    fields=FIELDS,
    validate=_validate,
    run=_run,
)


# ---------------------------------------------------------------- 09.2 how noisy is a validation accuracy?
def _half_width() -> float:
    _, low, high = accuracy_ci(940, 1000)
    return 100 * (high - low) / 2


def _normal_half_width() -> float:
    _, low, high = accuracy_ci(940, 1000, method="normal")
    return 100 * (high - low) / 2


HALF_WIDTH = Compute(
    id="09.2",
    title="How noisy is an accuracy on 1,000 digits?",
    task="""Several verdicts the ledger cites (notebooks 05 and 06) score each run on the 1,000 validation digits. How
uncertain is one such accuracy? Compute
the **half-width of the 95% Wilson interval**, in **percentage points**, for a model that gets 940 of
the 1,000 right (`accuracy_ci` from notebook 07 gives the interval). The check accepts your number
within ±0.002 points. Is one point more or less than that half-width?""",
    answer_cell="half_width_points = None  # a number, in percentage points",
    answer_name="half_width_points",
    solution='''_, low, high = accuracy_ci(940, 1000)
half_width_points = 100 * (high - low) / 2''',
    hints=("An interval (low, high) has a centre and a half-width; which one measures the uncertainty?",
           "`accuracy_ci(correct, n)` returns (accuracy, low, high) as fractions; take half the distance from low to "
           "high and express it in points (a fraction times 100)."),
    mistakes=(
        Mistake("a fraction instead of points", "that looks like a fraction; the exercise asks in percentage points "
                "(a fraction times 100)", _half_width() / 100),
        Mistake("the whole width", "that is the whole width, from low to high; the half-width is half of it",
                2 * _half_width()),
        Mistake("the normal (Wald) interval", "that is the half-width of the normal (Wald) interval; the exercise asks "
                "for the Wilson interval (accuracy_ci's default)", _normal_half_width()),
    ),
    value=_half_width,
    quantity="the half-width",
    unit="points",
    tolerance=0.002,
)


# ---------------------------------------------------------------- 09.3 one run each
ONE_RUN = Choice(
    id="09.3",
    title="One run each",
    task="""Recipe A scores 0.8 points more than recipe B on the 1,000 validation digits, with one training run
(one seed) each. The course's margin is half a point. What does the ledger's rule conclude? Set
`one_run_answer` to one letter.

- **A.** A is better: 0.8 points is more than the half-point margin.
- **B.** No verdict yet: one run each gives no standard error for the difference; repeat both over at least
  3 paired seeds and apply the rule.
- **C.** B is better: differences below one point point the wrong way half of the time.""",
    answer_cell='one_run_answer = None  # "A", "B" or "C"',
    answer_name="one_run_answer",
    solution='one_run_answer = "B"',
    hints=("The rule has two conditions. Can you check both with one run each?",
           "A difference counts when it exceeds the margin *and* the half-width of its 95% interval (t times its "
           "standard error). What do you need to estimate the standard error of a difference between two recipes?"),
    options={"A": "A is better", "B": "no verdict yet", "C": "B is better"},
    reasons={
        "A": "The margin is only half of the rule: the difference must also exceed the half-width of its 95% interval, "
             "and one run each gives no standard error. Seeds alone move accuracies by about a point here.",
        "B": "The rule needs the difference to beat both the margin and the half-width of its 95% interval; with one "
             "run each there is no standard error. Repeat both recipes over at least 3 seeds, paired by seed: every "
             "training comparison the ledger cites does.",
        "C": "Nothing in the data says B is better; a difference within the noise gives no verdict either way.",
    },
    correct="B",
)

EXERCISES = (DESIGN, HALF_WIDTH, ONE_RUN)
