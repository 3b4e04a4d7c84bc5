"""Small, fast experiments for the predict-then-run and design exercises (seconds on a laptop CPU).

Every run is in float64 on the CPU with its own seed (``env.seeded``: the caller's random stream is
untouched), so its printed numbers are the same on every machine up to rounding far below what is
printed. The data are the bundled MNIST-10k training digits only: rows 0-1,999 to train, rows
9,000-9,999 to validate (standardised with the training rows' statistics); the test set is never used.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import torch
from torch import nn

from ..data import load_mnist
from ..env import seeded
from ..preprocessing import Normalizer
from ..training import evaluate, fit

N_TRAIN, VAL_ROWS = 2000, slice(9000, 10000)


@lru_cache(maxsize=1)
def small_digits() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x_train, y_train, x_val, y_val)``: 2,000 training and 1,000 validation digits, flattened,
    standardised with the training rows' statistics, float64 (loaded once per kernel)."""
    mnist = load_mnist("bundled")
    pixels = mnist.train_images.reshape(len(mnist.train_images), -1).double() / 255
    normalizer = Normalizer.from_training(pixels[:N_TRAIN])
    standard = lambda x: normalizer.transform(x).double()
    return (standard(pixels[:N_TRAIN]), mnist.train_labels[:N_TRAIN],
            standard(pixels[VAL_ROWS]), mnist.train_labels[VAL_ROWS])


def small_network(activation: Callable[[], nn.Module], seed: int, width: int = 32) -> nn.Sequential:
    """A 784-``width``-10 network in float64, its initial weights drawn from ``seed``."""
    with seeded(seed):
        return nn.Sequential(nn.Linear(784, width), activation(), nn.Linear(width, 10)).double()


def validation_accuracy(model: nn.Module, optimizer: torch.optim.Optimizer, epochs: int, seed: int,
                        batch_size: int = 50) -> float:
    """Train ``model`` on the 2,000 digits (batches of ``batch_size``, order from ``seed``); its validation accuracy."""
    x_train, y_train, x_val, y_val = small_digits()
    fit(model, x_train, y_train, epochs=epochs, batch_size=batch_size, optimizer=optimizer, seed=seed, progress=False)
    return evaluate(model, x_val, y_val)[1]
