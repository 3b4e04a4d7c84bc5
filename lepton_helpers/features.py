"""What a trained MLP's layers represent: per-layer features, linear probes and feature selection.

* :func:`layer_features` reads every hidden layer's output and the logits in one forward pass,
  with forward hooks (the hooks are removed afterwards, even if the forward fails);
* :func:`make_probe` is a linear probe (Alain and Bengio 2016): standardise, then multinomial
  logistic regression; a plain scikit-learn estimator (``fit``/``predict``/``score``);
* :func:`probe_correct` fits one probe per feature set and says which held-out rows it gets right
  (what a paired comparison, ``evaluation.compare_items``, needs); :func:`probe_accuracies` is their mean;
* :func:`top_k_correct` and :func:`top_k_accuracies` keep the ``k`` best-scoring features
  (``SelectKBest``) for several ``k`` and probe each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from sklearn.base import clone
from sklearn.feature_selection import SelectKBest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from .models import MLP
from .training import predict_logits


def layer_names(model: MLP) -> list[str]:
    """``["hidden 1", ..., "hidden L", "output"]``: the keys of :func:`layer_features`."""
    return [f"hidden {i + 1}" for i in range(len(model.hidden))] + ["output"]


def layer_features(model: MLP, x: torch.Tensor, batch_size: int = 4096) -> dict[str, np.ndarray]:
    """Every hidden layer's output (after its activation) and the logits, as float32 NumPy arrays.

    A forward hook on each block records what it returns while the model runs in eval mode,
    in chunks of ``batch_size`` rows; the arrays are on the CPU, ready for scikit-learn.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"layer_features reads a lepton_helpers.models.MLP, got {type(model).__name__}")
    modules = [*model.hidden, model.head]
    captured: dict[str, list[torch.Tensor]] = {name: [] for name in layer_names(model)}

    def recorder(name):
        return lambda module, inputs, output: captured[name].append(output.detach().cpu())

    handles = [m.register_forward_hook(recorder(n)) for m, n in zip(modules, captured)]
    try:
        predict_logits(model, x, batch_size)
    finally:
        for handle in handles:
            handle.remove()
    return {name: torch.cat(chunks).numpy() for name, chunks in captured.items()}


def make_probe(C: float = 0.1, max_iter: int = 1000, tol: float = 1e-4, seed: int = 0) -> Pipeline:
    """A linear probe: ``StandardScaler`` then multinomial ``LogisticRegression`` (L2, strength ``1/C``).

    Standardising puts every feature on one scale, so one ``C`` suits pixels and hidden units
    alike and L-BFGS converges in a few dozen iterations (``max_iter`` is a generous cap).
    """
    if not C > 0:
        raise ValueError(f"C (inverse regularisation strength) must be > 0, got {C}")
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter, tol=tol,
                                                              random_state=seed))


def probe_correct(train: Mapping[str, np.ndarray], y_train, test: Mapping[str, np.ndarray], y_test,
                  probe=None) -> dict[str, np.ndarray]:
    """For each feature set, a boolean array: which ``test`` rows a fresh clone of ``probe``
    (default :func:`make_probe`), fitted on the ``train`` rows, classifies correctly.

    ``train`` and ``test`` map the same names to ``(n_samples, n_features)`` arrays. Two feature
    sets scored on the same rows can then be compared item by item (``evaluation.compare_items``).
    """
    if set(train) != set(test):
        raise ValueError(f"train and test must have the same feature sets, got {sorted(train)} and {sorted(test)}")
    probe = make_probe() if probe is None else probe
    y_train, y_test = _labels(y_train), _labels(y_test)
    correct = {}
    for name, x in train.items():
        _check_rows(name, x, y_train, test[name], y_test)
        correct[name] = clone(probe).fit(x, y_train).predict(test[name]) == y_test
    return correct


def probe_accuracies(train: Mapping[str, np.ndarray], y_train, test: Mapping[str, np.ndarray], y_test,
                     probe=None) -> dict[str, float]:
    """Accuracy on the ``test`` rows of a fresh probe fitted on each feature set (the mean of :func:`probe_correct`)."""
    return {name: float(np.mean(c)) for name, c in probe_correct(train, y_train, test, y_test, probe).items()}


def top_k_correct(scores, ks: Sequence[int], x_train: np.ndarray, y_train, x_test: np.ndarray, y_test,
                  probe=None) -> list[np.ndarray]:
    """For each ``k`` in ``ks``: which ``x_test`` rows ``SelectKBest(k)`` on ``scores``, then a fresh
    ``probe`` fitted on ``x_train``, classifies correctly (a boolean array per ``k``).

    ``scores`` has one number per column of ``x_train`` (higher = more useful), for example
    ``f_classif``'s F values, mutual information, ``|weights|`` or permutation importances;
    scikit-learn's ``SelectKBest`` keeps the ``k`` highest (on a tie, the later column).
    """
    scores = np.asarray(scores, dtype=float)
    if scores.shape != (x_train.shape[1],):
        raise ValueError(f"need one score per feature ({x_train.shape[1]}), got shape {scores.shape}")
    if np.isnan(scores).any():
        raise ValueError("some scores are NaN (a constant feature has no F value): drop constant features "
                         "first, e.g. with sklearn.feature_selection.VarianceThreshold")
    if any(not 1 <= k <= len(scores) for k in ks):
        raise ValueError(f"every k must be between 1 and {len(scores)} (the number of features), got {list(ks)}")
    y_train, y_test = _labels(y_train), _labels(y_test)
    _check_rows("scored", x_train, y_train, x_test, y_test)
    probe = make_probe() if probe is None else probe
    given = lambda X, y: scores  # SelectKBest's score function: the scores computed beforehand
    return [make_pipeline(SelectKBest(given, k=k), clone(probe)).fit(x_train, y_train).predict(x_test) == y_test
            for k in ks]


def top_k_accuracies(scores, ks: Sequence[int], x_train: np.ndarray, y_train, x_test: np.ndarray, y_test,
                     probe=None) -> list[float]:
    """For each ``k`` in ``ks``: accuracy on the ``x_test`` rows with the ``k`` best-scored features kept
    (the mean of :func:`top_k_correct`)."""
    return [float(np.mean(c)) for c in top_k_correct(scores, ks, x_train, y_train, x_test, y_test, probe)]


def _labels(y) -> np.ndarray:
    return y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)


def _check_rows(name, x_train, y_train, x_test, y_test) -> None:
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise ValueError(f"feature set {name!r}: {len(x_train)} training rows for {len(y_train)} labels and "
                         f"{len(x_test)} test rows for {len(y_test)} labels; rows and labels must match")
