"""Figures that several notebooks share: digit grids and training curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import torch

from .training import History


def show_digits(images: torch.Tensor, labels: Sequence | None = None, predicted: Sequence | None = None,
                ncols: int = 10, size: float = 1.0, title: str | None = None) -> plt.Figure:
    """A grid of digit images with their labels; predictions (when given) shown red where wrong."""
    images = torch.as_tensor(images).detach().cpu().reshape(len(images), 28, 28)
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.15), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(images):
            continue
        ax.imshow(images[i], cmap="gray_r")
        if labels is not None and predicted is not None:
            wrong = int(predicted[i]) != int(labels[i])
            ax.set_title(f"{int(labels[i])}→{int(predicted[i])}", fontsize=9, color="red" if wrong else "black")
        elif labels is not None:
            ax.set_title(str(int(labels[i])), fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_histories(histories: Mapping[str, History], title: str | None = None) -> plt.Figure:
    """Training loss and validation accuracy per epoch, one line per named run."""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.5))
    for name, h in histories.items():
        epochs = range(1, len(h.train_loss) + 1)
        ax_loss.plot(epochs, h.train_loss, marker=".", label=name)
        if h.val_acc:
            ax_acc.plot(epochs, [100 * a for a in h.val_acc], marker=".", label=name)
    ax_loss.set(xlabel="epoch", ylabel="training loss", yscale="log")
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy (%)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
    ax_acc.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
