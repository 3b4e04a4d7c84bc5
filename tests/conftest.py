"""Shared fixtures, and the floating point the notebooks are checked with.

Stored notebook outputs come from ``python -m lepton_helpers.course.nbtools run``, which uses PyTorch's
fastest CPU kernels for this machine (AVX2 here). The kernels that nbval starts inherit this
process's environment, and ``ATEN_CPU_CAPABILITY=default`` makes them use PyTorch's plain kernels
instead, which round differently (matrix products, sums, ``linspace``). A compared output that
depends on rounding (a printed 1e-17, an accuracy after training, a point exactly on a threshold)
then fails here, as it would on another machine or on a GPU. Set ``ATEN_CPU_CAPABILITY`` yourself
to override (``avx2``, ``avx512``, ...); on a CPU without vector units the two runs coincide.

Markers, for fast feedback: every notebook under nbval and every test that executes notebooks is
marked ``notebooks``; the real-browser test is marked ``browser``. ``pytest -m "not notebooks and
not browser"`` runs the unit tests alone (about a minute); plain ``pytest`` (and CI) runs everything.
"""

import os

import pytest

os.environ.setdefault("ATEN_CPU_CAPABILITY", "default")  # before nbval starts any kernel

from lepton_helpers.data import load_mnist  # noqa: E402


NOTEBOOK_TEST_MODULES = {"test_course_classroom.py"}  # tests that execute notebooks or student copies


def pytest_collection_modifyitems(items):
    for item in items:
        path = item.path
        if path.suffix == ".ipynb" or (path.name in NOTEBOOK_TEST_MODULES and "runs_from_a_fresh_kernel" in item.name):
            item.add_marker(pytest.mark.notebooks)
        if path.name == "test_browser.py":
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def mnist():
    return load_mnist("bundled")
