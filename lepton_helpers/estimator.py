"""``LeptonClassifier``: the articles' network as a scikit-learn estimator.

The articles imagine ``NeuralNetwork(input_shape, hidden_layer_sizes).fit(X, y).predict(X)``.
This is that, following scikit-learn's conventions so that its tools work with it: every
constructor argument is stored as given (``clone``, ``get_params``/``set_params``, grid search),
everything learnt ends in ``_`` and is made by :meth:`LeptonClassifier.fit`, and inputs are checked
with ``sklearn.utils.validation`` (so pipelines, ``cross_val_score`` and clear error messages come
for free). No ``input_shape`` is needed: it is read from ``X`` at ``fit`` and checked at ``predict``.

Inside it is the collection's own code: an :class:`~lepton_helpers.models.MLP` with scikit-learn's
``MLPClassifier`` initialisation, trained with AdamW (weight decay on the weights only) on
standardised inputs: ReLU networks by notebook 08's written-out step (:mod:`~lepton_helpers.fastmlp`),
others by autograd and ``torch.optim.AdamW``; public PyTorch APIs only.
"""

from __future__ import annotations

import math
import numbers
import time

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_random_state, check_scalar, validate_data

from .env import get_device, seeded
from .fastmlp import FastMLPTrainer, has_fused_adamw
from .models import MLP
from .pictures import tqdm
from .training import History, TensorBatches, parameter_groups, predict_logits, train_epoch


def _flatten_images(X):
    """``(n, h, w, ...)`` images as ``(n, h * w * ...)`` rows; 2-D inputs (arrays, DataFrames) unchanged."""
    if not hasattr(X, "ndim"):
        X = np.asarray(X)
    return X.reshape(len(X), -1) if X.ndim > 2 else X


@torch.no_grad()
def glorot_uniform_(model: torch.nn.Module, generator: torch.Generator) -> None:
    """Draw every linear layer's weights and biases uniformly in ``±sqrt(6 / (fan_in + fan_out))``.

    Glorot and Bengio's scale, as scikit-learn's ``MLPClassifier`` starts; ``generator`` (on the CPU)
    makes the draw reproducible.
    """
    for layer in model.modules():
        if isinstance(layer, torch.nn.Linear):
            bound = math.sqrt(6 / (layer.in_features + layer.out_features))
            layer.weight.uniform_(-bound, bound, generator=generator)
            layer.bias.uniform_(-bound, bound, generator=generator)


def adamw(model: torch.nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    """AdamW with decay on the weights only; PyTorch's fused kernel where the parameters' device has one."""
    fused = has_fused_adamw(next(model.parameters()).detach()) or None  # None: PyTorch's default implementation
    return torch.optim.AdamW(parameter_groups(model, weight_decay), lr=lr, fused=fused)


STANDARDIZE = ("global", "feature", None)
"""The values of ``LeptonClassifier(standardize=...)``."""


def _feature_scaling(X: np.ndarray, standardize: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Shift and scale of every feature (float32) from the training rows ``X``; scale 1 where the
    values are constant (they are then only centred).

    ``"global"`` is :class:`~lepton_helpers.preprocessing.Normalizer`'s ``"standard"`` statistic, but
    an estimator must accept one row or constant columns (scikit-learn's estimator checks), where
    ``Normalizer`` refuses, so both cases are written out here."""
    n = X.shape[1]
    if standardize is None:
        return np.zeros(n, np.float32), np.ones(n, np.float32)
    axis = 0 if standardize == "feature" else None
    mean, std = X.mean(axis=axis, dtype=np.float64), X.std(axis=axis, dtype=np.float64)
    scale = np.where(std > 1e-12 * (1 + np.abs(mean)), std, 1.0)
    return np.broadcast_to(mean, n).astype(np.float32), np.broadcast_to(scale, n).astype(np.float32)


class LeptonClassifier(ClassifierMixin, BaseEstimator):
    """A multilayer perceptron classifier (784-128-64-10 on MNIST by default) with fit / predict.

    Args:
        hidden_layer_sizes: width of each hidden layer (an int for one layer; ``()`` for none).
        activation: a name from :func:`~lepton_helpers.activation.make_activation`: ``relu``,
            ``sigmoid``, ``tanh``, ``lepton``, ``lepton-k4`` or ``lepton-learnable``.
        learning_rate: AdamW's step size.
        epochs: passes over the training data.
        batch_size: samples per gradient step.
        weight_decay: AdamW's decoupled weight decay, applied to weight matrices only (not to
            biases, nor to a learnable Lepton's k and theta).
        random_state: an int for reproducible weights and batch order (None: different each fit).
        device: ``"cpu"``, ``"cuda"``, ``"mps"``, ``"auto"``, or None for ``env.get_device()``
            (the ``LEPTON_DEVICE`` environment variable, else the best available).
        standardize: ``"global"``: subtract the mean of all training values and divide by their
            standard deviation (one pair for all features, so their relative scales stay: right for
            pixels); ``"feature"``: each feature with its own mean and standard deviation, as
            ``StandardScaler`` does (right for columns in different units); None: inputs as given.
        verbose: show a progress bar over the epochs.

    Attributes (after ``fit``):
        classes_: the distinct labels of ``y``, sorted (any type: ints, strings...).
        n_features_in_: the number of input features (784 for 28 x 28 images).
        mean_, scale_: per-feature shift and scale applied to every input (``standardize``).
        model_: the trained :class:`~lepton_helpers.models.MLP`; history_: its training ``History``.
    """

    def __init__(self, hidden_layer_sizes=(128, 64), activation: str = "relu", learning_rate: float = 1e-3,
                 epochs: int = 10, batch_size: int = 100, weight_decay: float = 0.0, random_state=None,
                 device: str | None = None, standardize: str | None = "global", verbose: bool = False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.device = device
        self.standardize = standardize
        self.verbose = verbose

    def _hidden_sizes(self) -> tuple[int, ...]:
        sizes = self.hidden_layer_sizes
        sizes = (sizes,) if isinstance(sizes, numbers.Integral) else tuple(sizes)
        for size in sizes:
            check_scalar(size, "each of hidden_layer_sizes", numbers.Integral, min_val=1)
        return tuple(int(size) for size in sizes)

    def _check_params(self) -> tuple[int, ...]:
        check_scalar(self.learning_rate, "learning_rate", numbers.Real, min_val=0, include_boundaries="neither")
        check_scalar(self.epochs, "epochs", numbers.Integral, min_val=1)
        check_scalar(self.batch_size, "batch_size", numbers.Integral, min_val=1)
        check_scalar(self.weight_decay, "weight_decay", numbers.Real, min_val=0)
        if self.standardize not in STANDARDIZE:
            raise ValueError(f"standardize must be one of {STANDARDIZE}, got {self.standardize!r}")
        return self._hidden_sizes()

    def fit(self, X, y) -> "LeptonClassifier":
        """Train a fresh network on ``X`` (``(n, n_features)`` or images ``(n, h, w)``) and labels ``y``."""
        hidden = self._check_params()
        X, y = validate_data(self, _flatten_images(X), y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 classes in y to learn to tell them apart; "
                             f"got 1 class: {self.classes_.tolist()}")
        self.device_ = get_device(self.device)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        self.mean_, self.scale_ = _feature_scaling(X, self.standardize)
        x_train = self._inputs(X)
        y_train = torch.from_numpy(y_index.astype(np.int64)).to(self.device_)
        with seeded(seed):  # a private random stream: fitting does not move the caller's global generator
            model = MLP((X.shape[1], *hidden, len(self.classes_)), self.activation)
        glorot_uniform_(model, torch.Generator().manual_seed(seed))
        self.model_ = model.to(self.device_)
        run_epoch = self._epoch_runner(TensorBatches(x_train, y_train, self.batch_size, seed=seed))
        self.history_, start = History(), time.perf_counter()
        for _ in tqdm(range(self.epochs), desc=type(self).__name__, disable=not self.verbose):
            self.history_.train_loss.append(run_epoch())
            self.history_.seconds.append(time.perf_counter() - start)
        return self

    def _epoch_runner(self, batches: TensorBatches):
        """One epoch of AdamW per call: ReLU networks by the written-out step (:mod:`~lepton_helpers.fastmlp`,
        the same steps without autograd's bookkeeping), other activations by autograd's ``train_epoch``."""
        if self.activation == "relu":
            return FastMLPTrainer(self.model_, batches, lr=self.learning_rate, weight_decay=self.weight_decay).train_epoch
        optimizer = adamw(self.model_, self.learning_rate, self.weight_decay)
        return lambda: train_epoch(self.model_, batches, optimizer)

    def _inputs(self, X: np.ndarray) -> torch.Tensor:
        """Validated float32 rows as the network sees them: standardised with the training statistics."""
        return torch.from_numpy((X - self.mean_) / self.scale_).to(self.device_)

    def _log_proba(self, X) -> torch.Tensor:
        check_is_fitted(self)
        X = validate_data(self, _flatten_images(X), dtype=np.float32, reset=False)
        logits = predict_logits(self.model_, self._inputs(X))
        return torch.log_softmax(logits.cpu().double(), dim=1)  # to the CPU first: MPS has no float64

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape ``(n, len(classes_))``, columns in the order of ``classes_``."""
        return self._log_proba(X).exp().numpy()

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithms of :meth:`predict_proba`, computed without underflow (log-softmax of the logits)."""
        return self._log_proba(X).numpy()

    def predict(self, X) -> np.ndarray:
        """The most probable label of each row of ``X``, as one of ``classes_``."""
        best = self._log_proba(X).argmax(dim=1).numpy()
        return self.classes_[best]

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy on ``(X, y)``; refuses labels the model never saw (a mismatch like ``"7"`` vs ``7``)."""
        check_is_fitted(self)
        known = set(self.classes_.tolist())
        unseen = sorted({label for label in np.asarray(y).tolist() if label not in known}, key=repr)
        if unseen:
            raise ValueError(f"y contains labels that were not in the training labels: {unseen[:5]}"
                             f"{' ...' if len(unseen) > 5 else ''}; the model only predicts {self.classes_.tolist()}. "
                             "Check that training and test labels have the same type and coding.")
        return super().score(X, y, sample_weight=sample_weight)
