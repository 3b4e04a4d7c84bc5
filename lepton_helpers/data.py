"""MNIST on disk: the IDX file format, finding the data folder, and loading with checks.

Three sources:

* ``"bundled"``: MNIST-10k in ``data/mnist-10k`` (the first 10,000 training digits and the
  official 10,000-digit test set), committed to the repository, always available offline,
  verified against SHA-256 checksums;
* ``"full"``: the real 60,000-digit training set through ``torchvision.datasets.MNIST``,
  downloaded into ``data/mnist-full`` when a network is there;
* ``"auto"``: full MNIST if it is already on disk, else the bundled set; it says which.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .env import COLAB_CLONE_DIR

DATA_ENV_VAR = "LEPTON_DATA_DIR"
BUNDLED = "mnist-10k"
FULL = "mnist-full"

BUNDLED_SHA256 = {
    "train-images-idx3-ubyte.gz": "3ef602e995727b0a9aa7f5ddd860650f6d281e99ba21a746d1bfa6fea4a7f4d8",
    "train-labels-idx1-ubyte.gz": "dccde8b3c99723584f8090cef581b2e49d6be36b682abadf5a414714b48cf7ea",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
"""The same values as ``data/mnist-10k/README.md`` (a test keeps the two in step)."""

RESTORE_HINT = (
    "Restore the bundled files with `git checkout -- data/mnist-10k` (or a fresh clone), "
    f"or point {DATA_ENV_VAR} at a folder that holds them."
)

# IDX type codes (third header byte) -> numpy big-endian dtypes, from the format's definition.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DataFileError(ValueError):
    """A data file exists but is not what it should be (truncated, corrupted, wrong checksum)."""


# ---------------------------------------------------------------- the IDX format
def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (gzip-compressed or raw) into a numpy array of its declared type and shape.

    IDX is MNIST's format: two zero bytes, a type code, the number of dimensions ``n``, then
    ``n`` big-endian 32-bit sizes, then the values row-major. Works for any MNIST-format set.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}. {RESTORE_HINT}")
    compressed = path.suffix == ".gz"
    try:
        with (gzip.open if compressed else open)(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as err:  # what gzip raises for truncated or garbled archives
        what = "a readable gzip archive" if compressed else "readable"
        raise DataFileError(f"{path} is not {what} ({type(err).__name__}: {err}); it is truncated or corrupted. "
                            f"{RESTORE_HINT}") from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataFileError(
            f"{path} does not start with an IDX header (expected 0x00 0x00 <type> <ndim>, got {raw[:4].hex(' ')}). "
            f"{RESTORE_HINT}"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DataFileError(
            f"{path} holds {len(raw)} bytes but its header (shape {shape}, {dtype.name}) promises {expected}: "
            f"the file is {'truncated' if len(raw) < expected else 'followed by extra bytes'}. {RESTORE_HINT}"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def sha256(path: str | Path) -> str:
    """Hex SHA-256 digest of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def verify_checksums(folder: str | Path, expected: dict[str, str] = BUNDLED_SHA256) -> None:
    """Raise a clear error if any file of ``expected`` is missing or its SHA-256 differs."""
    folder = Path(folder)
    for name, digest in expected.items():
        path = folder / name
        if not path.is_file():
            raise FileNotFoundError(f"Data file missing: {path}. {RESTORE_HINT}")
        actual = sha256(path)
        if actual != digest:
            raise DataFileError(
                f"Checksum mismatch for {path}: expected SHA-256 {digest}, got {actual}; "
                f"the file was modified or damaged. {RESTORE_HINT}"
            )


# ---------------------------------------------------------------- finding the data folder
def find_data_dir() -> Path:
    """The project's ``data/`` folder, from any working directory.

    Order: the ``LEPTON_DATA_DIR`` environment variable; a ``data/mnist-10k`` in the current
    directory or any parent (repo root, ``notebooks/``); the repository that holds this package
    (an editable install); the Colab clone.
    """
    override = os.environ.get(DATA_ENV_VAR)
    if override:
        path = Path(override).expanduser()
        if not (path / BUNDLED).is_dir():
            raise FileNotFoundError(
                f"{DATA_ENV_VAR}={override} but {path / BUNDLED} does not exist. "
                f"Point {DATA_ENV_VAR} at the repository's data/ folder, or unset it."
            )
        return path
    here = Path.cwd().resolve()
    candidates = [d / "data" for d in (here, *here.parents)]
    candidates += [Path(__file__).resolve().parents[1] / "data", Path(COLAB_CLONE_DIR) / "data"]
    for candidate in candidates:
        if (candidate / BUNDLED).is_dir():
            return candidate
    raise FileNotFoundError(
        f"Could not find data/{BUNDLED} from {here}. Run from inside a clone of the repository, "
        f"or set {DATA_ENV_VAR} to its data/ folder."
    )


# ---------------------------------------------------------------- loading
@dataclass(frozen=True)
class MNIST:
    """Images as uint8 tensors ``(N, 28, 28)``, labels as int64 tensors ``(N,)``."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    source: str

    def __repr__(self) -> str:
        return (
            f"MNIST(source={self.source!r}, train={tuple(self.train_images.shape)}, "
            f"test={tuple(self.test_images.shape)})"
        )


def read_mnist_folder(folder: str | Path, source: str = "custom") -> MNIST:
    """Read the four standard MNIST-format files (``.gz`` or raw) from any folder."""
    folder = Path(folder)

    def part(stem: str) -> np.ndarray:
        gz = folder / f"{stem}.gz"
        return read_idx(gz if gz.exists() or not (folder / stem).exists() else folder / stem)

    arrays = [part(s) for s in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")]
    for images, labels, split in ((arrays[0], arrays[1], "train"), (arrays[2], arrays[3], "test")):
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataFileError(
                f"{folder}: the {split} images {images.shape} and labels {labels.shape} do not match "
                f"(expected (N, rows, cols) and (N,)). {RESTORE_HINT}"
            )
        if images.dtype != np.uint8 or not np.issubdtype(labels.dtype, np.integer):
            raise DataFileError(
                f"{folder}: the {split} images are {images.dtype} and the labels {labels.dtype}; MNIST-format "
                "images are unsigned bytes (0-255) and labels integers. Converting would change the data "
                f"(floats in [0, 1] would become zeros), so save them as bytes first. {RESTORE_HINT}"
            )
    x_tr, y_tr, x_te, y_te = (torch.from_numpy(a.copy()) for a in arrays)
    return MNIST(x_tr, y_tr.to(torch.int64), x_te, y_te.to(torch.int64), source)


def _load_full(data_dir: Path, download: bool) -> MNIST:
    from torchvision.datasets import MNIST as TorchvisionMNIST

    root = data_dir / FULL
    try:
        train = TorchvisionMNIST(root, train=True, download=download)
        test = TorchvisionMNIST(root, train=False, download=download)
    except (OSError, RuntimeError) as err:  # URLError is an OSError; missing files are RuntimeError
        raise RuntimeError(
            f"Full MNIST is not available in {root} and could not be downloaded ({type(err).__name__}: {err}). "
            "Offline, use load_mnist('bundled') (MNIST-10k, always here); with a network, run "
            "`python -m lepton_helpers.course.prefetch` once."
        ) from err
    return MNIST(train.data, train.targets.long(), test.data, test.targets.long(), "full")


def full_on_disk(data_dir: Path | None = None) -> bool:
    """True when the full MNIST has already been downloaded."""
    raw = (data_dir or find_data_dir()) / FULL / "MNIST" / "raw"
    return all((raw / f).exists() for f in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"))


def load_mnist(source: str = "bundled", *, verbose: bool = True) -> MNIST:
    """Load MNIST from ``"bundled"``, ``"full"`` or ``"auto"`` (see the module docstring)."""
    if source not in ("bundled", "full", "auto"):
        raise ValueError(f"source must be 'bundled', 'full' or 'auto', got {source!r}")
    data_dir = find_data_dir()
    if source == "auto":
        source = "full" if full_on_disk(data_dir) else "bundled"
        if verbose:
            print(f"load_mnist('auto'): using the {source} MNIST"
                  + ("" if source == "full" else " (MNIST-10k; the full set is not downloaded)"))
    if source == "full":
        return _load_full(data_dir, download=True)
    folder = data_dir / BUNDLED
    verify_checksums(folder)
    return read_mnist_folder(folder, source="bundled")
