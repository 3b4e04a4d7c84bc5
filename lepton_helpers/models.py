"""The articles' multilayer perceptron (784-128-64-10 by default), and saving and loading it safely.

A checkpoint holds the weights *and* what is needed to rebuild the network (its layer sizes and
activation) plus any plain extras (for example the normaliser's shift and scale, without which
new images cannot be prepared the same way). Two safety rules:

* **atomic save**: write to a temporary file in the same folder, flush it to disk, then
  ``os.replace`` it over the target. ``os.replace`` is atomic on one file system, so a crash (or
  a full disk) mid-save leaves either the old checkpoint or the new one, never half of one;
* **safe load**: ``torch.load(..., weights_only=True)`` only rebuilds tensors and plain Python
  values, so opening a checkpoint from someone else cannot run their code (a full pickle can).

:func:`load_or_train` caches a trained network on disk: notebook 05 loads the one notebook 04 saved.
"""

from __future__ import annotations

import numbers
import hashlib
import os
import pickle
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .activation import make_activation
from .env import seeded
from .training import fit


class MLP(nn.Module):
    """A fully connected network: ``hidden[i] = activation(Linear(...))`` blocks, then a linear ``head``.

    The hidden blocks are kept in ``self.hidden`` (an ``nn.ModuleList`` of ``nn.Sequential``), so
    layer-wise training and feature extraction can reach each layer by index. Inputs of any
    shape ``(N, ...)`` are flattened; the output is one logit per class (no softmax: the loss,
    ``cross_entropy``, applies log-softmax itself, which is more stable).
    """

    def __init__(self, sizes: Sequence[int] = (784, 128, 64, 10), activation: str = "relu"):
        super().__init__()
        sizes = tuple(sizes)
        if len(sizes) < 2 or any(isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1 for s in sizes):
            raise ValueError(f"sizes must be at least two positive ints (input, ..., classes), got {sizes}")
        sizes = tuple(int(s) for s in sizes)
        self.sizes, self.activation = sizes, activation
        self.hidden = nn.ModuleList(
            nn.Sequential(nn.Linear(n_in, n_out), make_activation(activation, n_out))
            for n_in, n_out in zip(sizes[:-2], sizes[1:-1])
        )
        self.head = nn.Linear(sizes[-2], sizes[-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        for block in self.hidden:
            x = block(x)
        return self.head(x)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ---------------------------------------------------------------- checkpoints
FORMAT = "lepton-checkpoint/1"
_PLAIN = (str, int, float, bool, type(None), torch.Tensor)


class CheckpointError(ValueError):
    """A checkpoint file exists but cannot be used (truncated, corrupted, not a checkpoint)."""


def model_config(model: MLP) -> dict:
    """The constructor arguments that rebuild ``model`` (its ``sizes`` and ``activation``)."""
    if not isinstance(model, MLP):
        raise TypeError(f"save_checkpoint stores lepton_helpers.models.MLP networks, got {type(model).__name__}")
    return {"sizes": list(model.sizes), "activation": model.activation}


def _plain(value, where: str = "extra"):
    """``value`` made of what ``weights_only=True`` can load: NumPy scalars become Python numbers; else raise.

    ``np.float64`` passes ``isinstance(v, float)`` but ``weights_only`` loading refuses it, so a
    checkpoint holding one would save fine and then never load: converting it here prevents that.
    """
    if isinstance(value, dict):
        return {_plain(k, where): _plain(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v, f"{where}[{i}]") for i, v in enumerate(value))
    if isinstance(value, np.generic) and np.ndim(value) == 0:
        return value.item()
    if not isinstance(value, _PLAIN):
        raise TypeError(f"{where} is a {type(value).__name__}; a checkpoint can only hold numbers, strings, "
                        "bools, None, tensors and lists/dicts of them (weights_only loading refuses anything else; "
                        "convert arrays with torch.as_tensor)")
    return value


def save_checkpoint(model: MLP, path: str | Path, **extra) -> Path:
    """Write ``model``'s weights, its config and ``extra`` to ``path`` atomically; return the path.

    The file gets the permissions of any new file (``0o666`` less the umask), so a class folder
    shared between accounts can read it (``mkstemp`` alone would make it private to its owner).
    """
    path = Path(path)
    extra = _plain(extra)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {"format": FORMAT, "config": model_config(model), "state_dict": state, "extra": extra}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def load_checkpoint(path: str | Path, device: torch.device | str = "cpu") -> tuple[MLP, dict]:
    """Rebuild the saved network on ``device`` (in eval mode) and return ``(model, extra)``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No checkpoint at {path}. Save one first with save_checkpoint(model, path).")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as err:
        raise CheckpointError(f"{path} is not a readable checkpoint: it is truncated or corrupted, or holds "
                              f"objects that weights_only=True refuses to unpickle ({type(err).__name__}). "
                              "Save the model again with save_checkpoint.") from err
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is a PyTorch file but not a {FORMAT} checkpoint; "
                              "save the model with lepton_helpers.models.save_checkpoint.")
    with seeded(0):  # initial weights, overwritten at once: drawn without moving the caller's generator
        model = MLP(**payload["config"])
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as err:
        raise CheckpointError(f"{path}: the weights do not fit the saved config {payload['config']}: {err}") from err
    return model.to(device).eval(), payload["extra"]


# ---------------------------------------------------------------- a cached trained network
def load_or_train(path: str | Path, x_train: torch.Tensor, y_train: torch.Tensor, *, epochs: int = 10,
                  lr: float = 1e-3, batch_size: int = 100, seed: int = 0, progress: bool = True) -> tuple[MLP, bool]:
    """The default 784-128-64-10 ReLU MLP trained end to end with this recipe: loaded if saved, else trained.

    A checkpoint at ``path`` is used only if :func:`save_trained` saved it with the same recipe and
    the same training data, byte for byte; otherwise the network is trained here (Adam) and saved.
    Returns ``(model on x_train's device, loaded)``.
    """
    recipe = _recipe(x_train, y_train, epochs, lr, batch_size, seed)
    try:
        model, extra = load_checkpoint(path, device=x_train.device)
        if extra.get("recipe") == recipe and model.sizes == (784, 128, 64, 10) and model.activation == "relu":
            return model, True
    except (FileNotFoundError, CheckpointError):
        pass
    with seeded(seed):
        model = MLP().to(x_train.device)
    fit(model, x_train, y_train, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, progress=progress,
        desc="end-to-end backprop, epoch")
    save_trained(model, path, x_train, y_train, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed)
    return model.eval(), False


def save_trained(model: MLP, path: str | Path, x_train: torch.Tensor, y_train: torch.Tensor, *, epochs: int = 10,
                 lr: float = 1e-3, batch_size: int = 100, seed: int = 0) -> Path:
    """Save ``model`` with the recipe and a fingerprint of the data it was trained on, for :func:`load_or_train`."""
    return save_checkpoint(model, path, recipe=_recipe(x_train, y_train, epochs, lr, batch_size, seed))


def fingerprint(*tensors: torch.Tensor) -> str:
    """A SHA-256 of the tensors' shapes, dtypes and bytes: equal only for the same data."""
    digest = hashlib.sha256()
    for t in tensors:
        digest.update(f"{tuple(t.shape)} {t.dtype};".encode())
        digest.update(t.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _recipe(x_train: torch.Tensor, y_train: torch.Tensor, epochs: int, lr: float, batch_size: int, seed: int) -> dict:
    return {"trainer": "backprop", "data": fingerprint(x_train, y_train), "epochs": epochs, "lr": lr,
            "batch_size": batch_size, "seed": seed}
