"""Evaluation, as notebook 07 teaches it: how sure is an accuracy, which digits fail, and can the
model's confidence be trusted.

* :func:`accuracy_ci`: an accuracy with a confidence interval (Wilson score interval by default);
* :func:`per_class_scores` and :func:`confusion`: thin wrappers over ``sklearn.metrics`` that take
  tensors or arrays;
* :func:`reliability` and :func:`expected_calibration_error`: is a "90% sure" prediction right 90%
  of the time?
* :func:`fit_temperature`: temperature scaling, one number fitted on the validation split that
  makes the softmax honest without changing any prediction;
* :func:`compare` and :func:`compare_items`: the course's one rule (:data:`RULE`) for a verdict
  ("better", "worse", "equivalent within the margin", "no detectable difference") between two
  recipes trained with several seeds, or between two ways of scoring one model on paired items.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from statistics import NormalDist

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import minimize_scalar
from scipy.stats import t as student_t
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support


def _numpy(a) -> np.ndarray:
    return a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)


# ---------------------------------------------------------------- accuracy with an interval
def accuracy_ci(correct: int, n: int, confidence: float = 0.95, method: str = "wilson") -> tuple[float, float, float]:
    """``(accuracy, low, high)`` for ``correct`` right answers out of ``n``.

    Each test digit is a coin flip that the model gets right with an unknown probability ``p``;
    the interval covers ``p`` with the stated confidence. ``method="wilson"`` is the Wilson score
    interval (stays inside [0, 1] and is accurate even near 100%, which is where good models
    live); ``method="normal"`` is the textbook ``p ± z·sqrt(p(1-p)/n)`` (Wald), shown for comparison.
    """
    if not (isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0 and 0 <= correct <= n):
        raise ValueError(f"need 0 <= correct <= n and n > 0 (counts), got correct={correct!r}, n={n!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), e.g. 0.95, got {confidence!r}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = correct / n
    if method == "normal":
        half = z * math.sqrt(p * (1 - p) / n)
        return p, max(0.0, p - half), min(1.0, p + half)
    if method != "wilson":
        raise ValueError(f"method must be 'wilson' or 'normal', got {method!r}")
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return p, centre - half, centre + half


# ---------------------------------------------------------------- per-class views (scikit-learn)
def confusion(y_true, y_pred, n_classes: int = 10) -> np.ndarray:
    """``sklearn.metrics.confusion_matrix``: row = true class, column = predicted class."""
    return confusion_matrix(_numpy(y_true), _numpy(y_pred), labels=np.arange(n_classes))


def per_class_scores(y_true, y_pred, n_classes: int = 10) -> dict[str, np.ndarray]:
    """Precision, recall, F1 and support of each class (``sklearn.metrics.precision_recall_fscore_support``)."""
    scores = precision_recall_fscore_support(_numpy(y_true), _numpy(y_pred), labels=np.arange(n_classes),
                                             zero_division=0)
    return dict(zip(("precision", "recall", "f1", "support"), scores))


def format_scores(scores: dict[str, np.ndarray]) -> str:
    """The per-class scores as a small fixed-width text table (one row per class)."""
    rows = [f"{'class':>5} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}"]
    for c, (p, r, f, s) in enumerate(zip(*scores.values())):
        rows.append(f"{c:>5} {p:>9.3f} {r:>7.3f} {f:>6.3f} {s:>8d}")
    return "\n".join(rows)


# ---------------------------------------------------------------- calibration
@dataclass(frozen=True)
class Reliability:
    """Equal-width confidence bins: mean confidence, accuracy and number of predictions in each."""

    edges: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    count: np.ndarray

    @property
    def ece(self) -> float:
        """Expected calibration error: the count-weighted mean of |accuracy - confidence| over bins."""
        gap = np.abs(self.accuracy - self.confidence)
        return float(np.sum(self.count * np.nan_to_num(gap)) / self.count.sum())

    def intervals(self, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high)``: the Wilson interval of each bin's accuracy (:func:`accuracy_ci`); NaN for an empty bin."""
        bounds = [accuracy_ci(round(a * n), int(n), confidence)[1:] if n else (np.nan, np.nan)
                  for a, n in zip(self.accuracy, self.count)]
        low, high = np.array(bounds, dtype=float).reshape(-1, 2).T
        return low, high


def reliability(probs, labels, n_bins: int = 15) -> Reliability:
    """Bin the predictions by confidence (the largest probability) and compare with accuracy per bin.

    ``probs`` is ``(N, classes)`` (rows sum to 1), ``labels`` ``(N,)``. A bin covers ``(lo, hi]``;
    empty bins get NaN confidence and accuracy and count 0.
    """
    probs, labels = _numpy(probs).astype(np.float64), _numpy(labels)
    if probs.ndim != 2 or len(probs) != len(labels):
        raise ValueError(f"probs must be (N, classes) and labels (N,), got {probs.shape} and {labels.shape}")
    if not np.allclose(probs.sum(1), 1, atol=1e-4):
        raise ValueError("each row of probs must sum to 1: pass softmax(logits), not the logits")
    conf, correct = probs.max(1), probs.argmax(1) == labels
    edges = np.linspace(0, 1, n_bins + 1)
    bins = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(bins, conf, n_bins) / count
        accuracy = np.bincount(bins, correct.astype(float), n_bins) / count
    return Reliability(edges, mean_conf, accuracy, count)


def expected_calibration_error(probs, labels, n_bins: int = 15) -> float:
    """ECE with ``n_bins`` equal-width bins (0 = perfectly calibrated)."""
    return reliability(probs, labels, n_bins).ece


def plot_reliability(curves: dict[str, Reliability], title: str | None = None, min_count: int = 100) -> plt.Figure:
    """Reliability diagrams side by side: bars of accuracy per confidence bin against the diagonal.

    Each non-empty bin shows how many predictions it holds (the number at its foot) and the 95% Wilson
    interval of its accuracy (:meth:`Reliability.intervals`). Bins with fewer than ``min_count``
    predictions are hatched: too sparse to support a claim about calibration.
    """
    fig, axes = plt.subplots(1, len(curves), figsize=(4 * len(curves), 3.6), squeeze=False)
    for ax, (name, r) in zip(axes.flat, curves.items()):
        width, filled, sparse = np.diff(r.edges), r.count > 0, (r.count > 0) & (r.count < min_count)
        accuracy = np.nan_to_num(r.accuracy)
        ax.bar(r.edges[:-1][~sparse], accuracy[~sparse], width=width[~sparse], align="edge", edgecolor="k",
               alpha=0.7, label="accuracy")
        ax.bar(r.edges[:-1][sparse], accuracy[sparse], width=width[sparse], align="edge", edgecolor="k",
               alpha=0.3, hatch="//", label=f"sparse bin (< {min_count} predictions)")
        centres = r.edges[:-1][filled] + width[filled] / 2
        low, high = (bound[filled] for bound in r.intervals())
        ax.errorbar(centres, accuracy[filled], yerr=[accuracy[filled] - low, high - accuracy[filled]], fmt="none",
                    ecolor="k", capsize=2, lw=1, label="95% Wilson interval")
        for x, n in zip(centres, r.count[filled]):
            ax.text(x, 0.02, f"{n:,}", rotation=90, ha="center", va="bottom", fontsize=6)
        ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence (number: predictions in the bin)", ylabel="accuracy",
               title=f"{name}\nECE = {r.ece:.4f}")
        ax.legend(fontsize=7, loc="upper left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- temperature scaling
def nll(logits: torch.Tensor, labels: torch.Tensor, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of ``labels`` under ``softmax(logits / temperature)``, in float64."""
    return F.cross_entropy(logits.detach().double() / temperature, labels).item()


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """The temperature ``T`` that minimises the NLL of ``softmax(logits / T)`` on held-out data.

    Fit it on the validation split, never on the test set. Dividing every logit by the same
    ``T > 0`` keeps the arg max (no prediction changes) and only sharpens (``T < 1``) or softens
    (``T > 1``) the probabilities. A one-dimensional bounded search over ``log T`` is enough.
    """
    if len(logits) != len(labels):
        raise ValueError(f"{len(logits)} logits but {len(labels)} labels")
    logits, labels = logits.detach().cpu().double(), labels.detach().cpu()
    result = minimize_scalar(lambda log_t: nll(logits, labels, math.exp(log_t)),
                             bounds=tuple(math.log(b) for b in bounds), method="bounded",
                             options={"xatol": 1e-6})
    return math.exp(result.x)


# ---------------------------------------------------------------- verdicts: the course's one rule
MARGIN = 0.005
"""The course's margin for accuracies: half a point (0.005). A smaller difference does not matter here."""

RULE = ("a difference d between two recipes (the mean over at least 3 seeds, paired by seed; or over paired "
        "items when one model is scored two ways) counts only when |d| exceeds both the margin m and the half-width "
        "of its 95% confidence interval, t * s.e. with Student's t for the runs' degrees of freedom (t = 4.30 "
        "with 3 seeds, 2.78 with 5); the two are 'equivalent within the margin' when that whole interval lies "
        "inside ±m; otherwise the verdict is 'no detectable difference'")
"""The rule every verdict in the notebooks follows, in words (printed by the notebooks and the ledger)."""

VERDICTS = ("better", "worse", "equivalent within the margin", "no detectable difference")
"""Every verdict :attr:`Comparison.verdict` can give, A relative to B."""


def t_quantile(dof: float, confidence: float = 0.95) -> float:
    """Student's t quantile for a two-sided ``confidence`` interval with ``dof`` degrees of freedom."""
    if not dof > 0:
        raise ValueError(f"a confidence interval needs at least 1 degree of freedom (2 runs), got {dof!r}")
    return float(student_t.ppf(0.5 + confidence / 2, dof))


def mean_se(values) -> tuple[float, float]:
    """Mean and standard error (sample standard deviation / sqrt(n)) of at least 2 numbers."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(f"need at least 2 values for a standard error, got {values.tolist()!r}")
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))


@dataclass(frozen=True)
class Comparison:
    """A against B under :data:`RULE`: ``diff`` = mean(A) - mean(B), its standard error ``se`` and degrees of freedom ``dof``."""

    names: tuple[str, str]
    a: tuple[float, ...]
    b: tuple[float, ...]
    diff: float
    se: float
    margin: float
    paired_on: str
    scale: float = 100.0
    unit: str = "points"
    dof: float = math.inf

    @property
    def half_width(self) -> float:
        """Half-width of the difference's 95% confidence interval: Student's t for ``dof`` times ``se``."""
        return t_quantile(self.dof) * self.se

    @property
    def verdict(self) -> str:
        """One of :data:`VERDICTS`, A relative to B."""
        if abs(self.diff) > self.margin and abs(self.diff) > self.half_width:
            return "better" if self.diff > 0 else "worse"
        if self.not_worse and self.not_better:
            return "equivalent within the margin"
        return "no detectable difference"

    @property
    def not_worse(self) -> bool:
        """The whole interval lies above ``-margin``: A is not worse than B by more than the margin.

        The robust part of "A is as good as B", which a teaching cell can assert on any machine.
        """
        return self.diff - self.half_width > -self.margin

    @property
    def not_better(self) -> bool:
        """The whole interval lies below ``+margin``: A is not better than B by more than the margin."""
        return self.diff + self.half_width < self.margin

    @property
    def outcome(self) -> str:
        """The verdict with both names, for prose: "A better than B", "A worse than B", "no detectable
        difference between A and B" or "A and B equivalent within the margin"."""
        a, b = self.names
        return {"better": f"{a} better than {b}", "worse": f"{a} worse than {b}",
                "equivalent within the margin": f"{a} and {b} equivalent within the margin"}.get(
                    self.verdict, f"no detectable difference between {a} and {b}")

    def in_words(self) -> str:
        """The verdict with the difference and its 95% interval: "better (+2.15 points, 95% interval ± 0.53)"."""
        return f"{self.verdict} ({self.scale * self.diff:+.2f} {self.unit}, 95% interval ± {self.scale * self.half_width:.2f})"

    def __str__(self) -> str:
        k, (name_a, name_b) = self.scale, self.names
        if self.paired_on.endswith("items"):
            sides = (f"{name_a} {k * np.mean(self.a):.2f} vs {name_b} {k * np.mean(self.b):.2f} "
                     f"({len(self.a):,} {self.paired_on})")
        else:
            (ma, sa), (mb, sb) = mean_se(self.a), mean_se(self.b)
            sides = (f"{name_a} {k * ma:.2f} ± {k * sa:.2f} vs {name_b} {k * mb:.2f} ± {k * sb:.2f} "
                     f"({len(self.a)} {self.paired_on})")
        outcome = self.outcome if self.verdict in ("better", "worse") else self.verdict
        return (f"{sides}: difference {k * self.diff:+.2f} ± {k * self.se:.2f} {self.unit} "
                f"(95% interval ± {k * self.half_width:.2f}) -> {outcome} "
                f"(margin {k * self.margin:g} {self.unit})")


def compare(a, b, *, names: tuple[str, str] = ("A", "B"), margin: float = MARGIN, paired: bool = True,
            scale: float = 100.0, unit: str = "points", runs: str = "seeds") -> Comparison:
    """Compare two recipes from one score per run (e.g. validation accuracy per seed), under :data:`RULE`.

    ``paired=True`` means run ``i`` of A and of B share their seed (same initial weights and batch
    order where the recipes allow), so the standard error comes from the per-seed differences,
    which cancels the seed's own effect; ``paired=False`` combines the two standard errors.
    ``scale`` and ``unit`` only affect printing (accuracies print in percentage points); ``runs``
    names the repetitions in the printed verdict (``"timing repeats"`` for speeds, with a margin in
    the speed's own unit).
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.ndim != 1 or b.ndim != 1 or min(len(a), len(b)) < 3:
        raise ValueError(f"a verdict rests on at least 3 runs of each recipe; got {len(np.atleast_1d(a))} and "
                         f"{len(np.atleast_1d(b))}")
    if paired and len(a) != len(b):
        raise ValueError(f"paired runs need as many runs of A as of B (one per seed), got {len(a)} and {len(b)}")
    if not margin >= 0:
        raise ValueError(f"margin must be >= 0, got {margin!r}")
    if paired:
        (diff, se), dof = mean_se(a - b), len(a) - 1
    else:
        (ma, sa), (mb, sb) = mean_se(a), mean_se(b)
        diff, se, dof = ma - mb, math.hypot(sa, sb), _welch_dof(sa, len(a), sb, len(b))
    if not isinstance(runs, str) or runs.endswith("items"):
        raise ValueError(f"runs names the repetitions, e.g. 'seeds' or 'timing repeats', got {runs!r} "
                         "(paired items: use compare_items)")
    return Comparison(tuple(names), tuple(a.tolist()), tuple(b.tolist()), diff, se, margin, runs, scale, unit, dof)


def _welch_dof(se_a: float, n_a: int, se_b: float, n_b: int) -> float:
    """Welch-Satterthwaite degrees of freedom of a difference of two independent means."""
    if se_a == se_b == 0:
        return float(n_a + n_b - 2)
    return (se_a ** 2 + se_b ** 2) ** 2 / (se_a ** 4 / (n_a - 1) + se_b ** 4 / (n_b - 1))


def compare_items(correct_a, correct_b, *, names: tuple[str, str] = ("A", "B"),
                  margin: float = MARGIN, items: str = "test items") -> Comparison:
    """Compare two ways of scoring ONE trained model on the same items (1 = right, 0 = wrong), under :data:`RULE`.

    For example one network with and without test-time augmentation, or before and after temperature
    scaling. The per-item differences (-1, 0 or +1) have a mean (the accuracy difference) and a
    standard error, as in a paired test. Two *trainings* (two recipes, two probes) are compared with
    :func:`compare` over seeds instead: items do not see the training's own randomness. ``items`` names
    the items in the printed verdict (``"validation items"`` when the comparison makes a choice).
    """
    a, b = _numpy(correct_a).astype(float).ravel(), _numpy(correct_b).astype(float).ravel()
    if len(a) != len(b) or len(a) < 3:
        raise ValueError(f"need the same test items for both models (at least 3), got {len(a)} and {len(b)}")
    if not (np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all()):
        raise ValueError("correct_a and correct_b must hold 1 (right) or 0 (wrong) per test item, "
                         "e.g. (logits.argmax(1) == y)")
    diff, se = mean_se(a - b)
    if not (isinstance(items, str) and items.endswith("items")):
        raise ValueError(f"items names what was compared, e.g. 'test items' or 'validation items', got {items!r}")
    return Comparison(tuple(names), tuple(a.tolist()), tuple(b.tolist()), diff, se, margin, items, dof=len(a) - 1)
