"""Saving and loading a trained :class:`~lepton_helpers.models.MLP` safely.

A checkpoint holds the weights *and* what is needed to rebuild the network (its layer sizes and
activation) plus any plain extras (for example the normaliser's shift and scale, without which
new images cannot be prepared the same way). Two safety rules:

* **atomic save**: write to a temporary file in the same folder, flush it to disk, then
  ``os.replace`` it over the target. ``os.replace`` is atomic on one file system, so a crash (or
  a full disk) mid-save leaves either the old checkpoint or the new one, never half of one;
* **safe load**: ``torch.load(..., weights_only=True)`` only rebuilds tensors and plain Python
  values, so opening a checkpoint from someone else cannot run their code (a full pickle can).
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

import torch

from .models import MLP

FORMAT = "lepton-checkpoint/1"
_PLAIN = (str, int, float, bool, type(None), torch.Tensor)


class CheckpointError(ValueError):
    """A checkpoint file exists but cannot be used (truncated, corrupted, not a checkpoint)."""


def model_config(model: MLP) -> dict:
    """The constructor arguments that rebuild ``model`` (its ``sizes`` and ``activation``)."""
    if not isinstance(model, MLP):
        raise TypeError(f"save_checkpoint stores lepton_helpers.models.MLP networks, got {type(model).__name__}")
    return {"sizes": list(model.sizes), "activation": model.activation}


def _check_plain(value, where: str = "extra") -> None:
    """Raise unless ``value`` is made of what ``weights_only=True`` can load (plain values, tensors)."""
    if isinstance(value, dict):
        for k, v in value.items():
            _check_plain(k, where)
            _check_plain(v, f"{where}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_plain(v, f"{where}[{i}]")
    elif not isinstance(value, _PLAIN):
        raise TypeError(f"{where} is a {type(value).__name__}; a checkpoint can only hold numbers, strings, "
                        "bools, None, tensors and lists/dicts of them (weights_only loading refuses anything else)")


def save_checkpoint(model: MLP, path: str | Path, **extra) -> Path:
    """Write ``model``'s weights, its config and ``extra`` to ``path`` atomically; return the path."""
    path = Path(path)
    _check_plain(extra)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {"format": FORMAT, "config": model_config(model), "state_dict": state, "extra": extra}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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
                              "save the model with lepton_helpers.checkpoint.save_checkpoint.")
    model = MLP(**payload["config"])
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as err:
        raise CheckpointError(f"{path}: the weights do not fit the saved config {payload['config']}: {err}") from err
    return model.to(device).eval(), payload["extra"]
