"""Shared fixtures, and the floating point the notebooks are checked with.

Stored notebook outputs come from ``python -m lepton_helpers.nbtools run``, which uses PyTorch's
fastest CPU kernels for this machine (AVX2 here). The kernels that nbval starts inherit this
process's environment, and ``ATEN_CPU_CAPABILITY=default`` makes them use PyTorch's plain kernels
instead, which round differently (matrix products, sums, ``linspace``). A compared output that
depends on rounding (a printed 1e-17, an accuracy after training, a point exactly on a threshold)
then fails here, as it would on another machine or on a GPU. Set ``ATEN_CPU_CAPABILITY`` yourself
to override (``avx2``, ``avx512``, ...); on a CPU without vector units the two runs coincide.
"""

import os

import pytest

os.environ.setdefault("ATEN_CPU_CAPABILITY", "default")  # before nbval starts any kernel

from lepton_helpers.data import load_mnist  # noqa: E402


@pytest.fixture(scope="session")
def mnist():
    return load_mnist("bundled")
