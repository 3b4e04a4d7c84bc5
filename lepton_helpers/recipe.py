"""Training recipes for the articles' 784-128-64-10 network: the articles' own, and the best one this course teaches.

**The articles' recipe**, reproduced faithfully and then fixed: the articles build
``torchvision.datasets.MNIST`` without ``transform=ToTensor()``, so each sample is a PIL image and
the ``DataLoader`` crashes when it stacks a batch. :class:`PerSampleMNIST` behaves like
torchvision's ``MNIST`` on the bundled data (no download), so the crash and its fix can be shown
offline; :data:`ARTICLES` is their training choices as a :class:`Recipe`.

**The best recipe**: same architecture, same data; what changes is how it is trained:

* **augmentation**: every training batch is randomly rotated, scaled and shifted
  (:class:`RandomAffine`, one ``affine_grid``/``grid_sample`` call per batch, no per-sample
  Python), so the network never sees the same 10,000 images twice;
* **AdamW with a one-cycle schedule**: the learning rate warms up, then anneals to almost zero;
* **label smoothing**: the targets are 0.91/0.01 instead of 1/0, so the logits stay moderate;
* optionally an **exponential moving average (EMA) of the weights**.

:class:`Recipe` holds the choices, :func:`train_recipe` applies them in its own loop
(:func:`recipe_epoch`: notebook 03's loop plus the augmentation and the schedule), :func:`ablation` measures what each one contributes, and
:func:`cross_validate` compares recipes on the training digits alone, before the one test run.
``python -m lepton_helpers.course.recipe`` trains it and prints the training time and test accuracy.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from sklearn.model_selection import StratifiedKFold
from torch.utils.data import DataLoader, Dataset, TensorDataset
from torchvision import transforms

from .env import check_count, seeded
from .evaluation import mean_se
from .models import MLP
from .pictures import tqdm
from .preprocessing import Normalizer
from .training import History, TensorBatches, evaluate, parameter_groups, predict_logits, train_epoch

SIDE = 28
"""MNIST images are 28 x 28 pixels."""


# ---------------------------------------------------------------- the articles' pipeline
ARTICLES_TRANSFORM = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
"""The fix: PIL image -> float tensor in [0, 1] -> standardised with MNIST's usual mean and std."""


class PerSampleMNIST(Dataset):
    """Like ``torchvision.datasets.MNIST``: one PIL image per sample, passed through ``transform``."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform: Callable | None = None):
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        image = Image.fromarray(self.images[i].numpy())  # uint8 (h, w): mode "L"
        return (self.transform(image) if self.transform else image), int(self.labels[i])


def articles_loader(images: torch.Tensor, labels: torch.Tensor, batch_size: int = 100,
                    transform: Callable | None = ARTICLES_TRANSFORM, seed: int = 0, precompute: bool = False,
                    **kwargs) -> DataLoader:
    """The articles' input pipeline: per-sample transforms, batched by a shuffling ``DataLoader``.

    ``transform=None`` reproduces the articles' crash; extra kwargs (``num_workers``,
    ``pin_memory``) go to the ``DataLoader``. ``precompute=True`` applies the (deterministic)
    transform once per image up front instead of once per image *per epoch*: the shuffle depends only
    on ``seed``, so every batch holds the same tensors, without the per-sample cost in every epoch
    (notebook 08 measures that cost).
    """
    dataset = PerSampleMNIST(images, labels, transform)
    if precompute:
        if transform is None:
            raise ValueError("precompute=True needs a transform: without one the samples are PIL images, "
                             "which cannot be stacked (pass transform=ARTICLES_TRANSFORM)")
        dataset = TensorDataset(torch.stack([dataset[i][0] for i in range(len(dataset))]), labels.long())
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed),
                      **kwargs)


def articles_train(model: nn.Module, loader: DataLoader, epochs: int = 10, lr: float = 1e-3,
                   device: torch.device | str = "cpu") -> list[float]:
    """The articles' training: Adam at ``lr`` and cross-entropy over the loader's batches, each moved to
    ``device``; the mean loss of each epoch.

    The step itself is the collection's :func:`~lepton_helpers.training.train_epoch`, so a comparison
    with the in-memory loop (notebook 08, the benchmark) measures the input pipeline and nothing else.
    """
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    on_device = lambda: ((images.to(device), labels.to(device)) for images, labels in loader)
    return [train_epoch(model, on_device(), optimizer) for _ in range(epochs)]


# ---------------------------------------------------------------- augmentation
def background(normalizer: Normalizer) -> float:
    """The value a blank (0) pixel takes after normalisation: what augmentation fills new pixels with."""
    return float(normalizer.transform(0.0))


def affine_theta(angle: torch.Tensor, scale: torch.Tensor, shift_x: torch.Tensor, shift_y: torch.Tensor) -> torch.Tensor:
    """``(N, 2, 3)`` matrices for ``F.affine_grid`` that rotate by ``angle`` (radians, clockwise on
    screen, where y points down), zoom by ``scale``, then move the digit ``shift_x`` pixels right and
    ``shift_y`` pixels down.

    ``affine_grid`` wants the inverse map (for each output pixel, where to read in the input), in
    coordinates where the image spans [-1, 1], so one pixel is ``2 / 28``:
    ``p_in = R(-angle) (p_out - t) / scale``.
    """
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    tx, ty = shift_x * 2 / SIDE, shift_y * 2 / SIDE
    row_x = torch.stack([cos, sin, -(cos * tx + sin * ty)], dim=1)
    row_y = torch.stack([-sin, cos, sin * tx - cos * ty], dim=1)
    return torch.stack([row_x, row_y], dim=1)


def warp(x: torch.Tensor, theta: torch.Tensor, fill: float = 0.0) -> torch.Tensor:
    """Apply ``theta`` to a batch of 28x28 images (any shape ``(N, ...)`` with 784 values per image).

    Pixels that come from outside the image get ``fill`` (the background), not 0.
    """
    images = x.reshape(len(x), 1, SIDE, SIDE) - fill
    grid = F.affine_grid(theta.to(x.device, x.dtype), list(images.shape), align_corners=False)
    return (F.grid_sample(images, grid, align_corners=False) + fill).reshape(x.shape)


class RandomAffine:
    """Random rotation (±``degrees``), zoom (1 ± ``scale``) and shift (±``shift`` pixels) of whole batches.

    The random numbers come from the object's own seeded CPU generator, so a run is
    reproducible and draws the same transforms on every device.
    """

    def __init__(self, degrees: float = 10.0, scale: float = 0.1, shift: float = 2.0, fill: float = 0.0,
                 seed: int = 0):
        if degrees < 0 or not 0 <= scale < 1 or shift < 0:
            raise ValueError(f"need degrees >= 0, 0 <= scale < 1 and shift >= 0, got {degrees}, {scale}, {shift}")
        self.degrees, self.scale, self.shift, self.fill = degrees, scale, shift, fill
        self.generator = torch.Generator().manual_seed(seed)

    def _uniform(self, n: int, half_width: float) -> torch.Tensor:
        return (torch.rand(n, generator=self.generator) * 2 - 1) * half_width

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x[0].numel() != SIDE * SIDE:
            raise ValueError(f"RandomAffine works on 28x28 images (784 values each), got shape {tuple(x.shape)}")
        n = len(x)
        theta = affine_theta(self._uniform(n, math.radians(self.degrees)), 1 + self._uniform(n, self.scale),
                             self._uniform(n, self.shift), self._uniform(n, self.shift))
        return warp(x, theta, self.fill)


# ---------------------------------------------------------------- the recipe
@dataclass(frozen=True)
class Recipe:
    """How to train the 784-128-64-10 ReLU network; the defaults are the collection's best recipe."""

    epochs: int = 100
    batch_size: int = 128
    lr: float = 3e-3
    """Peak learning rate of the one-cycle schedule (the constant rate when ``one_cycle`` is off)."""
    weight_decay: float = 1e-4
    one_cycle: bool = True
    augment: bool = True
    degrees: float = 10.0
    scale: float = 0.1
    shift: float = 2.0
    label_smoothing: float = 0.1
    ema_decay: float | None = None
    """Keep an exponential moving average of the weights with this decay (None: off)."""

    def ablation_variants(self, ema_decay: float = 0.99) -> dict[str, "Recipe"]:
        """This recipe, then one variant per ingredient that changes that ingredient and nothing else,
        then the articles' recipe as a reference (it changes everything at once, so it is no ablation).

        Without one-cycle the rate stays at the recipe's peak ``lr``. Where the recipe has no EMA of
        the weights, the variant adds one with ``ema_decay``: it averages over about
        ``1 / (1 - ema_decay)`` steps, which must be a small part of the run to be judged fairly
        (0.99: about 100 steps).
        """
        variants = {"best recipe": self,
                    "without augmentation": replace(self, augment=False),
                    f"without one-cycle (constant lr {self.lr:g})": replace(self, one_cycle=False),
                    "without label smoothing": replace(self, label_smoothing=0.0)}
        if self.ema_decay is None:
            variants[f"with EMA of weights ({ema_decay:g})"] = replace(self, ema_decay=ema_decay)
        else:
            variants["without EMA of weights"] = replace(self, ema_decay=None)
        variants["articles' recipe (Adam 1e-3, batch 100)"] = replace(ARTICLES, epochs=self.epochs)
        return variants


ARTICLES = Recipe(epochs=10, batch_size=100, lr=1e-3, weight_decay=0.0, one_cycle=False, augment=False,
                  label_smoothing=0.0)
"""The articles' recipe in these terms: Adam (AdamW without decay) at 1e-3, batch 100, 10 epochs."""


@dataclass
class RecipeParts:
    """What a :class:`Recipe` trains a model with (:func:`recipe_epoch` applies them)."""

    optimizer: torch.optim.Optimizer
    batch_scheduler: torch.optim.lr_scheduler.LRScheduler | None
    loss_fn: Callable
    augment: RandomAffine | None


def recipe_parts(recipe: Recipe, model: nn.Module, n_train: int, *, fill: float = 0.0, seed: int = 0) -> RecipeParts:
    """AdamW (no decay on biases), the one-cycle schedule over ``recipe.epochs`` epochs of ``n_train``
    samples, label-smoothed cross-entropy and the batch augmentation, as ``recipe`` says."""
    optimizer = torch.optim.AdamW(parameter_groups(model, recipe.weight_decay), lr=recipe.lr)
    steps = recipe.epochs * -(-n_train // recipe.batch_size)
    schedule = (torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.lr, total_steps=steps, pct_start=0.2)
                if recipe.one_cycle else None)
    augment = RandomAffine(recipe.degrees, recipe.scale, recipe.shift, fill, seed) if recipe.augment else None
    return RecipeParts(optimizer, schedule, partial(F.cross_entropy, label_smoothing=recipe.label_smoothing), augment)


def recipe_epoch(model: nn.Module, batches: TensorBatches, parts: RecipeParts,
                 after_step: Callable | None = None) -> float:
    """One pass of :func:`~lepton_helpers.training.train_epoch` with the recipe's parts, each batch augmented
    (when the recipe augments) just before its forward pass; the mean training loss."""
    augmented = batches if parts.augment is None else ((parts.augment(xb), yb) for xb, yb in batches)
    return train_epoch(model, augmented, parts.optimizer, parts.loss_fn, parts.batch_scheduler, after_step)


def train_recipe(recipe: Recipe, x: torch.Tensor, y: torch.Tensor, *, fill: float = 0.0,
                 val: tuple[torch.Tensor, torch.Tensor] | None = None, seed: int = 0, progress: bool = True,
                 desc: str = "recipe") -> tuple[MLP, History]:
    """Train a fresh 784-128-64-10 ReLU :class:`MLP` on ``(x, y)`` (on their device) with ``recipe``, from ``seed``.

    ``fill`` is augmentation's background (:func:`background`). Returns the model (the averaged weights
    when ``ema_decay`` is set) and its history (``seconds``: training only; validation scores the raw weights).
    """
    with seeded(seed):
        model = MLP((784, 128, 64, 10), "relu").to(x.device)
    parts = recipe_parts(recipe, model, len(x), fill=fill, seed=seed)
    ema = (AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(recipe.ema_decay))
           if recipe.ema_decay is not None else None)
    after_step = None if ema is None else partial(ema.update_parameters, model)
    batches = TensorBatches(x, y, recipe.batch_size, seed=seed)
    history, epochs = History(), range(check_count("epochs", recipe.epochs))
    for _ in tqdm(epochs, desc=desc) if progress else epochs:  # every draw comes from a seeded generator
        start = time.perf_counter()
        history.train_loss.append(recipe_epoch(model, batches, parts, after_step))
        history.seconds.append((history.seconds[-1] if history.seconds else 0.0) + time.perf_counter() - start)
        if val is not None:
            val_loss, val_acc = evaluate(model, *val, loss_fn=parts.loss_fn)
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
    if ema is not None:
        model.load_state_dict(ema.module.state_dict())
    return model, history


@dataclass(frozen=True)
class AblationRow:
    """One variant of an ablation: its name, which held-out digits it gets right, and training seconds."""

    name: str
    correct: torch.Tensor
    """``True``/``False`` per held-out digit, on the CPU: what a paired comparison needs."""
    seconds: float

    @property
    def val_acc(self) -> float:
        return self.correct.float().mean().item()


def ablation(variants: dict[str, Recipe], x: torch.Tensor, y: torch.Tensor, x_val: torch.Tensor,
             y_val: torch.Tensor, *, fill: float = 0.0, seed: int = 0, progress: bool = True) -> list[AblationRow]:
    """Train every variant with the same seed and data; record which held-out digits
    (``x_val``, ``y_val``) it gets right and its training seconds."""
    rows = []
    for name, recipe in variants.items():
        model, history = train_recipe(recipe, x, y, fill=fill, seed=seed, progress=progress, desc=name)
        correct = (predict_logits(model, x_val).argmax(1) == y_val).cpu()
        rows.append(AblationRow(name, correct, history.seconds[-1]))
    return rows


# ---------------------------------------------------------------- choosing a recipe without the test set
@dataclass(frozen=True)
class CVResult:
    """Accuracy on each held-out fold of :func:`cross_validate`, with their mean and standard error."""

    fold_acc: tuple[float, ...]

    @property
    def mean(self) -> float:
        return mean_se(self.fold_acc)[0]

    @property
    def se(self) -> float:
        return mean_se(self.fold_acc)[1]


def cross_validate(recipe: Recipe, x: torch.Tensor, y: torch.Tensor, *, k: int = 5, fill: float = 0.0,
                   split_seed: int = 0, folds: Sequence[int] | None = None, progress: bool = False) -> CVResult:
    """Stratified ``k``-fold cross-validation of ``recipe`` on the training digits ``(x, y)``.

    Fold ``i`` trains a fresh network with seed ``i`` on the other folds and scores it on fold ``i``.
    The folds depend only on ``split_seed`` and the labels, so two recipes cross-validated with the
    same arguments meet the same folds and seeds: a paired comparison (pass both fold lists to
    :func:`~lepton_helpers.evaluation.compare`). ``folds`` runs a subset (e.g. ``[0, 1, 2]``) when time
    is short. Why k folds: 1,000 validation digits give an interval of about ±0.9 points, too wide to
    separate recipes 0.2 points apart; k folds score every training digit once.
    """
    k = check_count("k (the number of folds)", k, minimum=2)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} rows but y has {len(y)}; they must match")
    splitter = StratifiedKFold(k, shuffle=True, random_state=split_seed)
    scores = []
    for i, (train_idx, val_idx) in enumerate(splitter.split(np.zeros(len(y)), y.cpu().numpy())):
        if folds is not None and i not in folds:
            continue
        train_idx, val_idx = torch.from_numpy(train_idx).to(x.device), torch.from_numpy(val_idx).to(x.device)
        model, _ = train_recipe(recipe, x[train_idx], y[train_idx], fill=fill, seed=i, progress=progress,
                                desc=f"fold {i}")
        scores.append(evaluate(model, x[val_idx], y[val_idx])[1])
    return CVResult(tuple(scores))
