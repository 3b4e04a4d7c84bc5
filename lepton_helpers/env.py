"""Where the code runs: device choice, seeding, a version report and Colab detection."""

from __future__ import annotations

import os
import platform
import random
import sys

import numpy as np
import torch

DEVICE_ENV_VAR = "LEPTON_DEVICE"
"""Set to ``cpu``, ``cuda`` or ``mps`` to force every notebook onto that device (``auto`` picks)."""

DEVICES = ("auto", "cpu", "cuda", "mps")


def in_colab() -> bool:
    """True inside a Google Colab kernel."""
    return "google.colab" in sys.modules


def _mps_available() -> bool:
    return hasattr(torch.backends, "mps") and torch.backends.mps.is_available()


def get_device(preference: str | None = None) -> torch.device:
    """The device to compute on.

    ``preference`` (or, when it is None, the ``LEPTON_DEVICE`` environment variable, else
    ``"auto"``) is one of ``auto``, ``cpu``, ``cuda`` or ``mps``. ``auto`` takes CUDA, then Apple's
    MPS, then the CPU. Asking for a device that is not there raises, rather than silently
    running somewhere else.
    """
    choice = (preference or os.environ.get(DEVICE_ENV_VAR) or "auto").strip().lower()
    if choice not in DEVICES:
        raise ValueError(
            f"Unknown device {choice!r} (from {'the argument' if preference else DEVICE_ENV_VAR}); "
            f"use one of {', '.join(DEVICES)}."
        )
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
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
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)


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
