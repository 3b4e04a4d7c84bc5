"""Training: mini-batches, the training loop ``fit`` with a history and a progress bar, evaluation.

* :class:`TensorBatches` makes mini-batches of tensors already in memory: one ``randperm`` per
  epoch and one gather per batch, no per-sample Python. :func:`dataloader` is the standard
  ``DataLoader`` path, the right tool when data does not fit in memory or needs per-sample work;
  notebook 08 times the two against each other.
* :func:`train_epoch` and :func:`fit` are the loop notebook 03 writes out by hand (forward, loss,
  backward, step), with the book-keeping that every later notebook needs: validation after each
  epoch, learning-rate schedules, early stopping on the validation loss, and reproducible
  shuffling and dropout without touching the caller's random generator.
"""

from __future__ import annotations

import copy
import numbers
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from .activation import Lepton
from .env import check_count, seeded
from .pictures import tqdm


class TensorBatches:
    """Iterate over ``(x[idx], y[idx])`` mini-batches of tensors already on their device.

    Each pass reshuffles (when ``shuffle``) with its own seeded generator, so the order of
    batches is reproducible and independent of every other random draw; rows are gathered with
    ``index_select``.
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, shuffle: bool = True,
                 drop_last: bool = False, seed: int = 0):
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} rows but y has {len(y)}; they must match")
        batch_size = check_count("batch_size", batch_size)
        if y.device != x.device:
            raise ValueError(f"x is on {x.device} but y on {y.device}; move both to one device")
        self.x, self.y, self.batch_size = x, y, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        n, b = len(self.x), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def batch_indices(self) -> list[torch.Tensor]:
        """The row indices of every batch of one pass, on the data's device (draws the next shuffle)."""
        n = len(self.x)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        return list(order[:len(self) * self.batch_size].to(self.x.device).split(self.batch_size))

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for idx in self.batch_indices():
            yield self.x.index_select(0, idx), self.y.index_select(0, idx)


def dataloader(x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, shuffle: bool = True,
               seed: int = 0, **kwargs) -> DataLoader:
    """The standard path: a ``DataLoader`` over a ``TensorDataset`` (extra kwargs go to ``DataLoader``)."""
    return DataLoader(TensorDataset(x, y), batch_size=check_count("batch_size", batch_size), shuffle=shuffle,
                      generator=torch.Generator().manual_seed(seed), **kwargs)


@dataclass
class History:
    """One entry per epoch: mean training loss, validation loss and accuracy, cumulative training seconds.

    ``seconds`` counts the training passes only, not the validation after each epoch.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    """1-based epoch whose weights were kept (set by early stopping)."""


@torch.no_grad()
def predict_logits(model: nn.Module, x: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """The model's outputs for ``x``, computed in eval mode without gradients, in chunks.

    An empty ``x`` gives an empty ``(0, n_outputs)`` tensor (one pass over the empty slice).
    """
    was_training = model.training
    model.eval()
    try:
        return torch.cat([model(x[i:i + batch_size]) for i in range(0, max(len(x), 1), batch_size)])
    finally:
        model.train(was_training)


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable = F.cross_entropy) -> tuple[float, float]:
    """``(mean loss, accuracy)`` of ``model`` on ``(x, y)``."""
    logits = predict_logits(model, x)
    return loss_fn(logits, y).item(), (logits.argmax(1) == y).float().mean().item()


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two optimiser groups: weights with ``weight_decay``; biases and Lepton k/theta without.

    Decaying a bias or a slope k towards 0 is not regularisation, it changes what the unit can
    compute (k -> 0 flattens the activation), so those are excluded.
    """
    shape = {id(p) for m in model.modules() if isinstance(m, Lepton) for p in m.shape_parameters()}
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (no_decay if p.ndim < 2 or id(p) in shape else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def train_epoch(model: nn.Module, batches: Iterable, optimizer: torch.optim.Optimizer,
                loss_fn: Callable = F.cross_entropy, batch_scheduler=None, after_step: Callable | None = None) -> float:
    """One pass over ``batches``; returns the mean training loss.

    ``batch_scheduler`` (if given) steps after every batch; ``after_step()`` (if given) runs after every
    optimiser step (for example to record the learning rate).
    """
    model.train()
    total, count = torch.zeros((), device=next(model.parameters()).device), 0
    for xb, yb in batches:
        loss = loss_fn(model(xb), yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if batch_scheduler is not None:
            batch_scheduler.step()
        if after_step is not None:
            after_step()
        total += loss.detach() * len(yb)
        count += len(yb)
    return (total / count).item()


def fit(model: nn.Module, x_train: torch.Tensor, y_train: torch.Tensor, *, epochs: int = 5,
        batch_size: int = 100, lr: float = 1e-3, optimizer: torch.optim.Optimizer | None = None,
        val: tuple[torch.Tensor, torch.Tensor] | None = None, scheduler=None, batch_scheduler=None,
        patience: int | None = None, seed: int = 0, progress: bool = True, desc: str = "training",
        after_step: Callable | None = None) -> History:
    """Train ``model`` in place with cross-entropy on tensors already on its device; return the :class:`History`.

    Args:
        optimizer: defaults to Adam(lr) (the articles' choice).
        val: ``(x_val, y_val)``, evaluated after every epoch.
        scheduler: stepped once per epoch (``ReduceLROnPlateau`` gets the validation loss).
        batch_scheduler: stepped after every batch (``OneCycleLR``).
        seed: seeds the batch order and, for the duration of the call only, PyTorch's global
            generator (dropout and other random layers); the caller's random state is restored.
        patience: early stopping: stop after this many epochs without a better validation
            loss, and restore the best weights (needs ``val``).
        after_step: passed to :func:`train_epoch` (runs after every optimiser step).
    """
    epochs = check_count("epochs", epochs)
    if patience is not None and (val is None or isinstance(patience, bool) or not isinstance(patience, numbers.Integral)
                                 or patience < 1):
        raise ValueError(f"early stopping needs patience >= 1 (got {patience!r}) and a validation set "
                         "(pass val=(x_val, y_val))")
    is_plateau = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
    if is_plateau and val is None:
        raise ValueError("ReduceLROnPlateau steps on the validation loss: pass val=(x_val, y_val)")
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    batches = TensorBatches(x_train, y_train, batch_size, seed=seed)
    history, best, best_state, trained = History(), float("inf"), None, 0.0
    bar = tqdm(range(epochs), desc=desc, disable=not progress)
    with seeded(seed):
        for epoch in bar:
            start = time.perf_counter()
            history.train_loss.append(train_epoch(model, batches, optimizer, batch_scheduler=batch_scheduler,
                                                  after_step=after_step))
            trained += time.perf_counter() - start
            history.seconds.append(trained)
            if val is not None:
                val_loss, val_acc = evaluate(model, *val)
                history.val_loss.append(val_loss)
                history.val_acc.append(val_acc)
                bar.set_postfix(val_acc=f"{val_acc:.4f}")
            if scheduler is not None:
                scheduler.step(history.val_loss[-1]) if is_plateau else scheduler.step()
            if patience is not None:
                if history.val_loss[-1] < best:  # a NaN loss is never an improvement
                    best, history.best_epoch = history.val_loss[-1], epoch + 1
                    best_state = copy.deepcopy(model.state_dict())
                elif epoch + 1 - (history.best_epoch or 0) >= patience:
                    break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    return history
