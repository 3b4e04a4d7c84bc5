"""Exercises of notebook 07 · Evaluation: recall and precision from a confusion matrix, the most
frequent mistake, and how the rule's interval shrinks with the number of seeds."""

from __future__ import annotations

import math

import numpy as np
import torch

from ..evaluation import confusion, per_class_scores, t_quantile
from .framework import Choice, Implement, Mistake, Tolerance


def notebook_names() -> dict:
    """The names notebook 07 defines that an answer may use."""
    return {"np": np, "torch": torch, "math": math}


def _labels(g: torch.Generator, n: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """True labels and predictions that are right about 70% of the time; every class occurs and is predicted."""
    y_true = torch.randint(0, classes, (n,), generator=g)
    noise = torch.randint(0, classes, (n,), generator=g)
    keep = torch.rand(n, generator=g) < 0.7
    y_pred = torch.where(keep, y_true, noise)
    y_true[:classes] = y_pred[:classes] = torch.arange(classes)
    return y_true.numpy(), y_pred.numpy()


# ---------------------------------------------------------------- 07.1 recall and precision
def _confusion_cases(g: torch.Generator) -> list[tuple]:
    cases = []
    for n, classes in ((300, 10), (80, 4), (1000, 10)):
        y_true, y_pred = _labels(g, n, classes)
        cases.append((confusion(y_true, y_pred, classes),))
    return cases


def _from_sklearn(cm):
    """Recall and precision by scikit-learn, from the labels that the confusion matrix counts."""
    rows, cols = np.nonzero(cm)
    counts = cm[rows, cols]
    y_true, y_pred = np.repeat(rows, counts), np.repeat(cols, counts)
    scores = per_class_scores(y_true, y_pred, n_classes=len(cm))
    return scores["recall"], scores["precision"]


RECALL_PRECISION = Implement(
    id="07.1",
    title="Recall and precision from a confusion matrix",
    task="""Write `recall_and_precision(cm)`: for a confusion matrix `cm` (a NumPy array; **row = true class,
column = predicted class**, as `confusion` and scikit-learn make it), return the pair `(recall,
precision)`, two arrays with one value per class. Recall of class c: of the digits that *are* c, the
share predicted c; precision: of the digits *predicted* c, the share that are c. The check compares
with scikit-learn's scores on fresh random confusion matrices.""",
    answer_cell='''def recall_and_precision(cm):
    """(recall, precision) per class, from a confusion matrix with rows = true, columns = predicted."""
    raise NotImplementedError("your code here")''',
    answer_name="recall_and_precision",
    solution='''def recall_and_precision(cm):
    """(recall, precision) per class, from a confusion matrix with rows = true, columns = predicted."""
    right = np.diag(cm)                      # digits of class c predicted c
    recall = right / cm.sum(axis=1)          # ... out of all digits that are c (their row)
    precision = right / cm.sum(axis=0)       # ... out of all digits predicted c (their column)
    return recall, precision''',
    hints=("Both share the same numerator, the correct predictions of class c. Where in the matrix are they, and "
           "which digits does each score divide by?",
           "The diagonal holds the correct predictions. The digits that are class c form row c; the digits predicted "
           "c form column c. Sum along the right axis for each."),
    mistakes=(
        Mistake("recall and precision swapped (rows and columns)", "recall and precision are swapped: rows are the "
                "true classes, so recall divides the diagonal by the row sums",
                lambda cm: (np.diag(cm) / cm.sum(axis=0), np.diag(cm) / cm.sum(axis=1))),
        Mistake("divided by the total", "you divided by the total number of digits; recall divides by the digits of "
                "that class (its row), precision by the digits predicted as it (its column)",
                lambda cm: (np.diag(cm) / cm.sum(), np.diag(cm) / cm.sum())),
    ),
    reference=_from_sklearn,
    cases=_confusion_cases,
    arg_names=("cm",),
    tolerance=Tolerance(rtol=1e-9, atol=1e-12),
    against="sklearn.metrics.precision_recall_fscore_support",
)


# ---------------------------------------------------------------- 07.2 the most frequent mistake
def _confused_cases(g: torch.Generator) -> list[tuple]:
    cases = []
    for classes in (10, 3, 6):
        cm = torch.randint(0, 40, (classes, classes), generator=g).numpy()
        cm[np.diag_indices(classes)] += 200                        # a plausible classifier: a heavy diagonal
        true, predicted = torch.randperm(classes, generator=g)[:2].tolist()
        cm[true, predicted] = cm.max() - 150                       # one clear, off-diagonal largest mistake
        cases.append((cm,))
    return cases


def _most_confused(cm):
    off = cm - np.diag(np.diag(cm))
    return tuple(int(i) for i in np.unravel_index(off.argmax(), off.shape))


MOST_CONFUSED = Implement(
    id="07.2",
    title="The most frequent mistake",
    task="""Write `most_confused(cm)`: the pair `(true, predicted)` of classes of the most frequent mistake in a
confusion matrix `cm` (NumPy array, row = true class, column = predicted class), leaving out the
diagonal (those are right answers). The check runs it on fresh random matrices of several sizes.""",
    answer_cell='''def most_confused(cm):
    """(true, predicted) of the largest off-diagonal entry of cm."""
    raise NotImplementedError("your code here")''',
    answer_name="most_confused",
    solution='''def most_confused(cm):
    """(true, predicted) of the largest off-diagonal entry of cm."""
    mistakes = np.array(cm, copy=True)
    np.fill_diagonal(mistakes, 0)                      # right answers are not mistakes
    true, predicted = np.unravel_index(mistakes.argmax(), mistakes.shape)
    return int(true), int(predicted)''',
    hints=("Find the largest entry of the matrix once the right answers are out of the way.",
           "Work on a copy with its diagonal set to 0 (`np.fill_diagonal`), find the flat position of its largest "
           "entry with `argmax`, and turn that into a (row, column) pair with `np.unravel_index`."),
    mistakes=(
        Mistake("kept the diagonal", "that entry is on the diagonal: those digits were classified correctly; leave "
                "the diagonal out",
                lambda cm: tuple(int(i) for i in np.unravel_index(np.argmax(cm), cm.shape))),
        Mistake("(predicted, true) instead of (true, predicted)", "the pair is the wrong way round: rows are the true "
                "classes, columns the predictions, and the answer is (true, predicted)",
                lambda cm: _most_confused(cm)[::-1]),
    ),
    reference=_most_confused,
    cases=_confused_cases,
    arg_names=("cm",),
    tolerance=Tolerance(0, 0),
    against="the largest off-diagonal entry",
)


# ---------------------------------------------------------------- 07.3 interpret: twelve seeds instead of three
SEEDS_TASK = """The recorded ablation (section 3) compares each variant with the recipe over **3 seeds**, and the
rule's 95% interval for a difference is t × s.e., with Student's t for the seeds' degrees of freedom. Suppose
it used **12 seeds** instead, and the per-seed differences were just as spread out. How wide would the 95%
interval of a difference be, compared with 3 seeds? Set `seeds_answer` to one letter.

- **A.** About half as wide: four times the seeds halve the standard error.
- **B.** About a quarter as wide.
- **C.** About as wide: the spread of the differences is the same."""


def width_ratio(n_before: int = 3, n_after: int = 12) -> float:
    """The half-width t · s / √n with ``n_after`` seeds over that with ``n_before``, for one spread s."""
    after, before = (t_quantile(n - 1) / math.sqrt(n) for n in (n_after, n_before))
    return after / before


SEEDS = Choice(
    id="07.3",
    title="Twelve seeds instead of three",
    task=SEEDS_TASK,
    answer_cell='seeds_answer = None  # "A", "B" or "C"',
    answer_name="seeds_answer",
    solution='seeds_answer = "B"',
    hints=("The half-width is a product of two factors. Which of them depends on the number of seeds?",
           "Both do: the standard error s/√n, and Student's t for n − 1 degrees of freedom (the rule printed in "
           "section 3 gives t for 3 seeds; `scipy.stats.t.ppf(0.975, n - 1)` gives it for any n)."),
    options={"A": "about half", "B": "about a quarter", "C": "about the same"},
    reasons={
        "A": "The standard error halves, but that is only one factor: Student's t also falls, from 4.30 with 2 degrees "
             f"of freedom to 2.20 with 11, so the interval shrinks to about a quarter ({width_ratio():.2f}).",
        "B": "Both factors shrink: s/√n halves with four times the seeds, and t falls from 4.30 (2 degrees of "
             f"freedom) to 2.20 (11), about half again; together about a quarter ({width_ratio():.2f}). With 3 seeds, t pays "
             "dearly for estimating the spread from 3 numbers.",
        "C": "The spread of one difference stays, but the interval is for the mean difference: it shrinks with the "
             "number of seeds, through s/√n and through Student's t.",
    },
    correct="B",
)

EXERCISES = (RECALL_PRECISION, MOST_CONFUSED, SEEDS)
