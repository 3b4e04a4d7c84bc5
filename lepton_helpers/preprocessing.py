"""Preprocessing, as notebook 01 teaches it: cleaning, normalisation and splitting.

Every function takes and returns plain tensors or arrays, so each step can be looked at.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from .data import load_mnist
from .env import get_device


# ---------------------------------------------------------------- cleaning
def duplicate_mask(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """Boolean mask of rows that repeat an earlier row exactly (the first copy is kept).

    Each row's bytes are hashed (SHA-1, fast and collision-free in practice), so finding
    duplicates costs one pass instead of comparing every pair of rows.
    """
    rows = np.ascontiguousarray(np.asarray(x).reshape(len(x), -1))
    seen: set[bytes] = set()
    mask = np.zeros(len(rows), dtype=bool)
    for i, row in enumerate(rows):
        digest = hashlib.sha1(row.tobytes()).digest()
        mask[i] = digest in seen
        seen.add(digest)
    return mask


@dataclass
class CleaningReport:
    """What :func:`clean` found, in counts of rows (``clipped`` counts rows with a repaired pixel)."""

    rows_in: int
    invalid_labels: int
    nan_rows: int
    duplicates: int
    clipped: int
    rows_out: int
    kept: np.ndarray = field(repr=False)
    """Indices (into the input) of the rows that survive, in order."""


def clean(x: torch.Tensor, y: torch.Tensor, n_classes: int = 10, value_range: tuple[float, float] = (0, 255)):
    """Drop rows with an invalid label or a missing (NaN) pixel, clip out-of-range pixels, drop duplicates.

    Why these choices: a wrong label cannot be repaired; a digit with missing ink cannot be
    honestly filled in; a pixel outside the sensor's range is most likely a scaling glitch, so it
    is clipped back; an exact duplicate adds no information but biases the loss (and leaks if it
    straddles a split). Returns ``(x_clean, y_clean, report)``; the inputs are not modified.
    """
    x = torch.as_tensor(x, dtype=torch.float32)
    y = torch.as_tensor(y)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} rows but y has {len(y)} labels; they must match one to one")
    flat = x.reshape(len(x), -1)
    bad_label = (y < 0) | (y >= n_classes)
    nan_row = torch.isnan(flat).any(dim=1)
    low, high = value_range
    out_of_range = ((flat < low) | (flat > high)).any(dim=1) & ~nan_row
    keep = ~(bad_label | nan_row)
    x_kept = x[keep].clamp(low, high)
    dup = torch.from_numpy(duplicate_mask(x_kept.cpu())).to(x.device)  # hashing rows needs them in host memory
    kept_idx = torch.nonzero(keep).flatten()[~dup].cpu().numpy()
    report = CleaningReport(
        rows_in=len(x),
        invalid_labels=int(bad_label.sum()),
        nan_rows=int((nan_row & ~bad_label).sum()),
        duplicates=int(dup.sum()),
        clipped=int((out_of_range & keep).sum()),
        rows_out=len(kept_idx),
        kept=kept_idx,
    )
    return x_kept[~dup], y[keep][~dup], report


def corrupt(x: torch.Tensor, y: torch.Tensor, *, n_nan: int = 20, n_out_of_range: int = 20,
            n_bad_labels: int = 10, n_duplicates: int = 30, seed: int = 0):
    """A float copy of ``(x, y)`` with known problems planted in distinct rows, for practice.

    Returns ``(x_bad, y_bad, planted)`` where ``planted`` maps each problem to the row indices that
    carry it (duplicates are appended at the end as copies of earlier rows).
    """
    n_problems = n_nan + n_out_of_range + n_bad_labels
    if min(n_nan, n_out_of_range, n_bad_labels, n_duplicates) < 0 or n_problems + n_duplicates > len(x):
        raise ValueError(f"cannot plant {n_problems} problems and copy {n_duplicates} other rows in {len(x)} rows; "
                         "use smaller counts (>= 0)")
    rng = np.random.default_rng(seed)
    rows = rng.permutation(len(x))
    nan_rows, range_rows, label_rows = np.split(rows[:n_problems], [n_nan, n_nan + n_out_of_range])
    x_bad = torch.as_tensor(x, dtype=torch.float32).clone()
    y_bad = torch.as_tensor(y).clone()
    flat = x_bad.view(len(x_bad), -1)
    pixel = lambda r: torch.from_numpy(rng.integers(0, flat.shape[1], size=len(r)))
    flat[nan_rows, pixel(nan_rows)] = float("nan")
    flat[range_rows, pixel(range_rows)] = torch.from_numpy(rng.choice([-40.0, 300.0, 1000.0], size=len(range_rows))).float()
    y_bad[label_rows] = torch.from_numpy(rng.choice([-1, 10, 99], size=len(label_rows)))
    clean_rows = rows[n_problems:]
    sources = torch.from_numpy(rng.choice(clean_rows, size=n_duplicates, replace=False))
    planted = {"nan": np.sort(nan_rows), "out_of_range": np.sort(range_rows), "bad_label": np.sort(label_rows),
               "duplicate": np.arange(len(x_bad), len(x_bad) + n_duplicates)}
    return torch.cat([x_bad, x_bad[sources]]), torch.cat([y_bad, y_bad[sources]]), planted


# ---------------------------------------------------------------- normalisation
@dataclass(frozen=True)
class Normalizer:
    """``(x - shift) / scale`` with one shift and scale for all pixels, fitted on training data only.

    ``kind="standard"`` uses the mean and standard deviation (MNIST's classic 0.1307 / 0.3081 on
    [0, 1] pixels); ``kind="minmax"`` maps the training minimum and maximum to 0 and 1. For one
    statistic per pixel, scikit-learn's ``StandardScaler``/``MinMaxScaler`` do the same job.
    """

    shift: float
    scale: float
    kind: str

    @classmethod
    def from_training(cls, x_train: torch.Tensor, kind: str = "standard") -> "Normalizer":
        """The normaliser whose statistics come from ``x_train`` (and only from it: no test data leaks in)."""
        x_train = torch.as_tensor(x_train, dtype=torch.float64)
        if kind == "standard":
            shift, scale = x_train.mean().item(), x_train.std().item()
        elif kind == "minmax":
            shift, scale = x_train.min().item(), (x_train.max() - x_train.min()).item()
        else:
            raise ValueError(f"kind must be 'standard' or 'minmax', got {kind!r}")
        if not scale > 0:
            raise ValueError("the training data is constant, so it cannot be scaled; check what was passed")
        return cls(shift, scale, kind)

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        """``(x - shift) / scale`` as a tensor of ``x``'s floating dtype (float32 for integer pixels)."""
        x = torch.as_tensor(x)
        return ((x if x.is_floating_point() else x.float()) - self.shift) / self.scale


# ---------------------------------------------------------------- splitting
def stratified_split(y, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0):
    """Indices ``(train, val, test)`` that partition ``range(len(y))`` with each class in proportion.

    Two calls of scikit-learn's ``train_test_split(stratify=...)``: first the test part off the
    whole, then the validation part off the rest. Pass ``fractions`` with a 0 to skip a part.
    """
    y = np.asarray(y)
    if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1) > 1e-9 or fractions[0] == 0:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1 with train > 0, got {fractions}")
    idx = np.arange(len(y))
    n_val, n_test = (round(f * len(y)) for f in fractions[1:])  # counts, not ratios: no rounding drift
    rest, test = (idx, idx[:0]) if n_test == 0 else train_test_split(
        idx, test_size=n_test, stratify=y, random_state=seed)
    if n_val == 0:
        return np.sort(rest), idx[:0], np.sort(test)
    train, val = train_test_split(rest, test_size=n_val, stratify=y[rest], random_state=seed)
    return np.sort(train), np.sort(val), np.sort(test)


# ---------------------------------------------------------------- the standard pipeline
@dataclass(frozen=True)
class Splits:
    """Flattened, normalised float32 images and int64 labels for training, validation and test."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    normalizer: Normalizer

    def __repr__(self) -> str:  # a short, device-free repr keeps notebook outputs comparable
        return f"Splits(train={len(self.y_train)}, val={len(self.y_val)}, test={len(self.y_test)})"


def mnist_splits(source: str = "bundled", val_fraction: float = 0.1, seed: int = 0,
                 device: torch.device | str | None = None) -> Splits:
    """The collection's standard data: MNIST pixels in [0, 1], standardised with training statistics.

    Validation comes out of the training digits (stratified); the test split is the official
    10,000-digit test set, touched only to report final results. Tensors live on ``device``.
    """
    mnist = load_mnist(source, verbose=False)
    train, val, _ = stratified_split(mnist.train_labels, (1 - val_fraction, val_fraction, 0.0), seed)
    x = mnist.train_images.reshape(len(mnist.train_images), -1).float() / 255
    norm = Normalizer.from_training(x[train])
    x_test = mnist.test_images.reshape(len(mnist.test_images), -1).float() / 255
    device = torch.device(device) if device is not None else get_device()
    on = lambda t: t.to(device)
    return Splits(on(norm.transform(x[train])), on(mnist.train_labels[train]), on(norm.transform(x[val])),
                  on(mnist.train_labels[val]), on(norm.transform(x_test)), on(mnist.test_labels), norm)
