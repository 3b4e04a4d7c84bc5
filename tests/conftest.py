"""Shared fixtures, and the floating point and scheduling the notebooks are checked with.

Stored notebook outputs come from ``python -m lepton_helpers.course.nbtools run``, which uses PyTorch's
fastest CPU kernels for this machine (AVX2 here). The kernels that nbval starts inherit this
process's environment, and ``ATEN_CPU_CAPABILITY=default`` makes them use PyTorch's plain kernels
instead, which round differently (matrix products, sums, ``linspace``). A compared output that
depends on rounding (a printed 1e-17, an accuracy after training, a point exactly on a threshold)
then fails here, as it would on another machine or on a GPU. Set ``ATEN_CPU_CAPABILITY`` yourself
to override (``avx2``, ``avx512``, ...); on a CPU without vector units the two runs coincide.

The README's command runs two test files at a time (pytest-xdist, ``-n 2``; pyproject adds
``--dist loadfile --no-loadscope-reorder``: whole files, in the order below, each notebook's cells in
order in one worker). So that two kernels do not fight over the 2-core machine, every kernel runs
one thread (``OMP_NUM_THREADS=1``: PyTorch, and the BLAS under NumPy and scikit-learn), as the
stored run did (``nbtools.KERNEL_ENV``). Measured on the 2-core machine, the ten notebooks took
221 s of wall-clock two at a time with one thread each, 404 s two at a time with PyTorch's two
threads each (their threads wait for each other, and one is often descheduled), and 387-447 s one
after another with two threads. :func:`pytest_collection_modifyitems` hands the longest notebooks
out first, so that none is left running alone at the end. The real-browser test runs apart (``-m browser``): it
fails when a kernel training beside it slows JupyterLab's widgets down (measured: "Error
displaying widget: model not found" in one of two such runs).

Markers, for fast feedback: every notebook under nbval and every test that executes notebooks is
marked ``notebooks``; the real-browser test is marked ``browser``; tests of the checkout's files
rather than of the installed package are marked ``repository``. ``pytest -m "not notebooks and
not browser"`` runs the unit tests alone (about a minute); the README's command (and CI) runs everything.
"""

import os
import re
from pathlib import Path

import pytest

from lepton_helpers.course.nbtools import KERNEL_ENV

os.environ.setdefault("ATEN_CPU_CAPABILITY", "default")  # before nbval starts any kernel
os.environ.setdefault("OMP_NUM_THREADS", KERNEL_ENV["OMP_NUM_THREADS"])  # one thread per kernel (above)

from lepton_helpers.data import load_mnist  # noqa: E402


NOTEBOOK_TEST_MODULES = {"test_course_classroom.py", "test_exercises.py"}  # tests that execute notebooks or student copies
# Tests of the repository rather than of the installed package: they read the checkout's files (notebook sources,
# README, pyproject, tests/nbval_sanitize.cfg), test the tooling that writes the committed notebooks, or need the
# dev tools (JupyterLab, Chromium). Marked ``repository``: CI's Colab stage, which tests the installed package, skips them.
REPOSITORY_TEST_MODULES = {
    "test_browser.py", "test_instructors_guide.py", "test_rendering.py", "test_course_classroom.py",
    "test_course_nbtools.py", "test_course_release.py", "test_course_tolerances.py", "test_notebook_conventions.py",
    "test_package_layout.py", "test_prose_numbers.py", "test_readme_examples.py", "test_scheduling.py",
    "test_citation.py", "test_course_room_install.py"}


RUN_TIME = re.compile(r"\*\*Run time:\*\* about (\d+) s")
# Notebook 05 loads the network that 04 saves (and says so). Side by side, 05 could start before 04
# has saved it and print that it trained its own, so 05 is handed out after every other notebook: by
# then 04, handed out among the first, has long finished.
READS_ANOTHER = {"05_feature_extraction.ipynb"}


def expected_seconds(path: Path) -> float:
    """A notebook's measured run time, from its header (0 for anything else)."""
    found = RUN_TIME.search(path.read_text(encoding="utf-8")) if path.suffix == ".ipynb" else None
    return float(found.group(1)) if found else 0.0


def handout_order(path: Path) -> tuple[int, float]:
    """Sort key: notebooks, longest first; then those that read another one's output; then the rest."""
    if path.name in READS_ANOTHER:
        return 1, 0.0
    seconds = expected_seconds(path)
    return (0, -seconds) if seconds else (2, 0.0)


def pytest_collection_modifyitems(items):
    """Longest notebooks first, the quick test files after them (pytest-xdist hands out whole files in
    this order; within a file the order stays, so a notebook's cells run top to bottom); mark
    notebooks, browser and repository tests."""
    keys = {path: handout_order(path) for path in {item.path for item in items}}
    items.sort(key=lambda item: keys[item.path])  # stable: files of equal weight keep their order
    for item in items:
        path = item.path
        if path.suffix == ".ipynb" or (path.name in NOTEBOOK_TEST_MODULES and "runs_from_a_fresh_kernel" in item.name):
            item.add_marker(pytest.mark.notebooks)
        if path.name == "test_browser.py":
            item.add_marker(pytest.mark.browser)
        if path.name in REPOSITORY_TEST_MODULES:
            item.add_marker(pytest.mark.repository)


def pytest_ignore_collect(collection_path, config):
    """Under ``-m "... not repository"`` the repository tests are not even imported: an environment with the
    installed package alone (CI's Colab stage) lacks some of their tools (nbconvert, playwright)."""
    if collection_path.name in REPOSITORY_TEST_MODULES and "not repository" in config.getoption("markexpr"):
        return True
    return None


@pytest.fixture(scope="session")
def mnist():
    return load_mnist("bundled")


@pytest.fixture
def keeps_global_rng():
    """``check(call)`` asserts that ``call(a)`` neither reseeds nor draws from PyTorch's global generator.

    After ``torch.manual_seed(1); a = MLP(); call(a); b = MLP()``, ``b`` must have the weights of the
    second network of ``torch.manual_seed(1); MLP(); MLP()``: a helper that reseeds the global
    generator (``torch.manual_seed(0)`` inside) or draws from it leaves ``b`` with other weights.
    """
    import torch

    from lepton_helpers.models import MLP

    def check(call) -> None:
        torch.manual_seed(1)
        call(MLP())
        after = MLP().state_dict()
        torch.manual_seed(1)
        MLP()
        for name, expected in MLP().state_dict().items():
            assert torch.equal(after[name], expected), f"the call moved the caller's global generator ({name} differs)"

    return check


@pytest.fixture
def fake_clock(monkeypatch):
    """Install a fake clock in a module: ``fake_clock(module, train_epoch=1.0, evaluate=100.0)`` makes each call of
    those functions of ``module`` take that many seconds on ``module.time.perf_counter`` (no real timing).

    A history that must count training passes only then reads 1, 2, 3... whatever validation costs.
    """
    import types

    now = [0.0]

    def install(module, **seconds):
        monkeypatch.setattr(module, "time", types.SimpleNamespace(perf_counter=lambda: now[0]))
        for name, cost in seconds.items():
            monkeypatch.setattr(module, name, _taking(cost, getattr(module, name), now))

    return install


def _taking(seconds, function, now):
    def run(*args, **kwargs):
        now[0] += seconds
        return function(*args, **kwargs)
    return run
