"""Where the code runs: device choice, seeding, a version report, Colab detection, argument checks."""

from __future__ import annotations

import contextlib
import numbers
import os
import platform
import random
import sys
from collections.abc import Iterator

import numpy as np
import torch

DEVICE_ENV_VAR = "LEPTON_DEVICE"
"""Set to ``cpu``, ``cuda`` or ``mps`` to force every notebook onto that device (``auto`` picks)."""

DEVICES = ("auto", "cpu", "cuda", "mps")

COLAB_CLONE_DIR = "/content/lepton-notebooks"
"""Where the Colab setup cell clones the repository (its ``data/`` holds the bundled MNIST)."""


def in_colab() -> bool:
    """True inside a Google Colab kernel."""
    return "google.colab" in sys.modules


def _mps_available() -> bool:
    return hasattr(torch.backends, "mps") and torch.backends.mps.is_available()


def get_device(preference: str | None = None) -> torch.device:
    """The device to compute on.

    ``preference`` (or, when it is None, the ``LEPTON_DEVICE`` environment variable, else
    ``"auto"``) is one of ``auto``, ``cpu``, ``cuda`` or ``mps``. ``auto`` takes CUDA when present,
    else the CPU; Apple's MPS only when asked for (some operations the notebooks use, such as
    float64, are missing there). Asking for a device that is not there raises, rather than
    silently running somewhere else.
    """
    choice = (preference or os.environ.get(DEVICE_ENV_VAR) or "auto").strip().lower()
    if choice not in DEVICES:
        raise ValueError(
            f"Unknown device {choice!r} (from {'the argument' if preference else DEVICE_ENV_VAR}); "
            f"use one of {', '.join(DEVICES)}."
        )
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "A CUDA GPU was requested but PyTorch sees none (torch.cuda.is_available() is False). "
            f"Unset {DEVICE_ENV_VAR} or set it to 'cpu'; in Colab choose Runtime > Change runtime type > GPU; "
            "elsewhere install a CUDA build of PyTorch."
        )
    if choice == "mps" and not _mps_available():
        raise RuntimeError(
            f"Apple MPS was requested but is not available here. Unset {DEVICE_ENV_VAR} or set it to 'cpu'."
        )
    return torch.device(choice)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's, NumPy's and PyTorch's (CPU and every GPU) random number generators.

    Returns a fresh ``torch.Generator`` seeded with the same value, for code that prefers an
    explicit generator to the global one.
    """
    seed = check_count("seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block with PyTorch's global generator (CPU and CUDA) seeded, then restore the caller's state.

    Helpers that must draw from the global generator (``nn.Linear``'s initialisation, dropout)
    do it inside ``with seeded(seed):``, so their results are reproducible and the learner's own
    random stream is exactly where it was before the call.
    """
    seed = check_count("seed", seed, minimum=0)
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def check_count(name: str, value, minimum: int = 1) -> int:
    """``value`` as a Python int, if it is a whole number >= ``minimum`` (NumPy integers included); else raise.

    Grid searches and array arithmetic hand out ``np.int64`` values, which ``isinstance(v, int)``
    refuses; booleans and floats such as 3.0 are refused on purpose.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def environment_report(device: torch.device | None = None) -> dict[str, str]:
    """Versions and hardware, as a dict of short strings (print it, or look at one entry)."""
    import matplotlib
    import sklearn

    device = device or get_device()
    report = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "matplotlib": matplotlib.__version__,
        "ipywidgets": _version_of("ipywidgets"),
        "platform": f"{platform.system()} {platform.machine()}",
        "cpu threads": str(torch.get_num_threads()),
        "device": str(device),
        "colab": str(in_colab()),
    }
    if device.type == "cuda":
        report["gpu"] = torch.cuda.get_device_name(device)
    return report


def _version_of(module: str) -> str:
    try:
        return __import__(module).__version__
    except ImportError:
        return "not installed"
