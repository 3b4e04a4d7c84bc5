"""The articles' own PyTorch recipe, reproduced faithfully and then fixed.

The articles build ``torchvision.datasets.MNIST`` without ``transform=ToTensor()``: each sample
is then a PIL image, and the ``DataLoader`` crashes when it tries to stack a batch. Here the
same per-sample pipeline runs from the bundled data (no download), so the crash and its fix can
be shown offline: :class:`PerSampleMNIST` behaves like torchvision's ``MNIST``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from .training import train_epoch

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
        image = Image.fromarray(self.images[i].numpy(), mode="L")
        return (self.transform(image) if self.transform else image), int(self.labels[i])


def articles_loader(images: torch.Tensor, labels: torch.Tensor, batch_size: int = 100,
                    transform: Callable | None = ARTICLES_TRANSFORM, seed: int = 0, **kwargs) -> DataLoader:
    """The articles' input pipeline: per-sample transforms, batched by a shuffling ``DataLoader``.

    ``transform=None`` reproduces the articles' crash; extra kwargs (``num_workers``,
    ``pin_memory``) go to the ``DataLoader``.
    """
    return DataLoader(PerSampleMNIST(images, labels, transform), batch_size=batch_size, shuffle=True,
                      generator=torch.Generator().manual_seed(seed), **kwargs)


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
