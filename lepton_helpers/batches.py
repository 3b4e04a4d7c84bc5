"""Mini-batches two ways: an in-memory iterator and the standard ``DataLoader``.

For a small data set that fits in memory (MNIST is 31 MB as float32), the fastest way to make
mini-batches is to keep the whole tensor on the device and slice it with a shuffled index:
one ``randperm`` per epoch and one gather per batch, no per-sample Python. Notebook 08 measures
this against PyTorch's ``DataLoader``, which is the right tool when data does not fit in memory
or needs per-sample work (decoding, augmentation).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import DataLoader, TensorDataset


class TensorBatches:
    """Iterate over ``(x[idx], y[idx])`` mini-batches of tensors already on their device.

    Each pass reshuffles (when ``shuffle``) with its own seeded generator, so the order of
    batches is reproducible and independent of every other random draw.
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, shuffle: bool = True,
                 drop_last: bool = False, seed: int = 0):
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} rows but y has {len(y)}; they must match")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if y.device != x.device:
            raise ValueError(f"x is on {x.device} but y on {y.device}; move both to one device")
        self.x, self.y, self.batch_size = x, y, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        n, b = len(self.x), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.x)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        order = order.to(self.x.device)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            idx = order[start:start + self.batch_size]
            yield self.x[idx], self.y[idx]


def dataloader(x: torch.Tensor, y: torch.Tensor, batch_size: int = 100, *, shuffle: bool = True,
               seed: int = 0, **kwargs) -> DataLoader:
    """The standard path: a ``DataLoader`` over a ``TensorDataset`` (extra kwargs go to ``DataLoader``)."""
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle,
                      generator=torch.Generator().manual_seed(seed), **kwargs)
