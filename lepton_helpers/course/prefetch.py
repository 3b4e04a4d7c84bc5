"""Fetch and verify, once, everything a notebook may download, so that a class can then run offline.

Usage (from the repository root, on a machine with a network)::

    python -m lepton_helpers.course.prefetch

It checks the bundled MNIST-10k against its SHA-256 checksums, downloads the full MNIST (about
55 MB, through torchvision) into ``data/mnist-full`` unless it is already there, and verifies
each archive against torchvision's own MD5 checksums and each unpacked file against its archive.
Afterwards ``load_mnist("full")`` and ``load_mnist("auto")`` need no network. Run it again at any
time: it only downloads what is missing. For a room of machines, run it once and copy the
``data/`` folder (or point ``LEPTON_DATA_DIR`` at a shared copy).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
from pathlib import Path

from ..data import BUNDLED, FULL, find_data_dir, load_mnist, verify_checksums


class PrefetchError(RuntimeError):
    """Something a notebook may need is missing or damaged, and could not be fetched."""


def torchvision_md5s() -> dict[str, str]:
    """torchvision's published MD5 of each full-MNIST archive, by file name."""
    from torchvision.datasets import MNIST

    return dict(MNIST.resources)


def md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def full_mnist_problems(raw: Path, expected_md5: dict[str, str]) -> list[str]:
    """What is wrong with the downloaded full MNIST in ``raw`` (an empty list when all is well).

    Each ``.gz`` archive must have torchvision's MD5, and the unpacked file beside it (which is
    what torchvision reads) must hold exactly the archive's content.
    """
    problems = []
    for archive_name, expected in expected_md5.items():
        archive, unpacked = raw / archive_name, raw / archive_name.removesuffix(".gz")
        if not archive.is_file():
            problems.append(f"{archive} is missing")
            continue
        actual = md5(archive)
        if actual != expected:
            problems.append(f"{archive} has MD5 {actual}, but torchvision publishes {expected}")
        elif not unpacked.is_file():
            problems.append(f"{unpacked} is missing")
        elif gzip.decompress(archive.read_bytes()) != unpacked.read_bytes():
            problems.append(f"{unpacked} differs from the content of its archive {archive.name}")
    return problems


def prefetch(expected_md5: dict[str, str] | None = None) -> Path:
    """Verify the bundled data, fetch the full MNIST if needed, verify it; return the full set's folder.

    The data folder is the one every notebook uses (:func:`lepton_helpers.data.find_data_dir`,
    ``LEPTON_DATA_DIR`` to choose another). ``expected_md5`` defaults to torchvision's checksums.
    """
    data_dir = find_data_dir()
    verify_checksums(data_dir / BUNDLED)
    print(f"bundled MNIST-10k: SHA-256 checksums verified ({data_dir / BUNDLED})", flush=True)
    try:
        mnist = load_mnist("full", verbose=False)
    except RuntimeError as err:
        raise PrefetchError(
            f"Could not fetch the full MNIST into {data_dir / FULL}: this step needs a network once "
            f"(about 55 MB from torchvision's mirrors). Run it again where there is one, or copy a "
            f"verified data/{FULL} folder here. Offline, the notebooks still run with the bundled "
            f"MNIST-10k.\nDetails: {err.__cause__ or err}"
        ) from err
    raw = data_dir / FULL / "MNIST" / "raw"
    problems = full_mnist_problems(raw, expected_md5 or torchvision_md5s())
    if problems:
        raise PrefetchError("The full MNIST on disk is damaged:\n  - " + "\n  - ".join(problems)
                            + f"\nDelete {data_dir / FULL} and run `python -m lepton_helpers.course.prefetch` again.")
    print(f"full MNIST: {len(mnist.train_labels):,} training and {len(mnist.test_labels):,} test digits; "
          f"archives match torchvision's MD5 checksums ({raw})")
    print('Ready for offline use: load_mnist("full") and load_mnist("auto") need no network now.')
    return raw


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lepton_helpers.course.prefetch", description=__doc__.split("\n")[0])
    parser.parse_args(argv)
    try:
        prefetch()
    except (PrefetchError, OSError, ValueError) as err:  # DataFileError is a ValueError
        parser.exit(1, f"prefetch failed: {err}\n")


if __name__ == "__main__":
    main()
