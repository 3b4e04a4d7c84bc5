"""How long the notebooks take under nbval, printed at the end of the run against the course's budget.

Loaded for every ``pytest`` from the repository root (``-p nbval_timing`` in pyproject.toml), so CI's
log states the notebooks' run time on CI's own machine. A plugin rather than a ``conftest`` hook:
``tests/conftest.py`` would see only the items under ``tests/``, not the notebooks.

Run one file at a time (plain ``pytest``), the notebooks' times add up, and their sum is what the
budget bounds. Run two at a time (pytest-xdist, ``-n 2``, as the README's command and CI do; see
``tests/conftest.py``), it bounds the wall-clock time from the first notebook's start to the last
one's end instead (other tests run beside the notebooks meanwhile).
"""

from __future__ import annotations

from collections import defaultdict

BUDGET_S = 360  # all ten notebooks together (07 alone at most 120 s, every other one 60 s)

_seconds: dict[str, float] = defaultdict(float)  # notebook path -> seconds under nbval
_span: list[float] = []  # [earliest start, latest stop] of any notebook cell, epoch seconds


def notebook_of(nodeid: str) -> str | None:
    """The notebook an nbval item belongs to (``notebooks/00_x.ipynb::Cell 3`` -> ``notebooks/00_x.ipynb``)."""
    path = nodeid.split("::")[0]
    return path if path.endswith(".ipynb") else None


def pytest_runtest_logreport(report) -> None:
    """Add each cell's setup, run and teardown (the kernel's start and stop included) to its notebook,
    and widen the span in which notebooks ran (reports from pytest-xdist's workers arrive here too)."""
    path = notebook_of(report.nodeid)
    if path:
        _seconds[path] += report.duration
        start, stop = getattr(report, "start", None), getattr(report, "stop", None)
        if start is not None and stop is not None:
            _span[:] = [min(_span[0], start), max(_span[1], stop)] if _span else [start, stop]


def summary_lines(seconds: dict[str, float], wall: float | None = None, budget: float = BUDGET_S) -> list[str]:
    """One line per notebook, then their sum against ``budget``, or, given the wall-clock span of a
    run of two files at a time, the sum and then the span against ``budget``."""
    total = sum(seconds.values())
    verdict = lambda s: f"({'within' if s <= budget else 'OVER'} the budget of {budget} s for all ten)"
    lines = [f"{s:7.1f}  {path}" for path, s in sorted(seconds.items())]
    if wall is None:
        return [*lines, f"{total:7.1f}  total of {len(seconds)} notebooks, one after another {verdict(total)}"]
    return [*lines, f"{total:7.1f}  sum of the {len(seconds)} notebooks' times, two at a time",
            f"{wall:7.1f}  wall-clock, first notebook's start to last one's end {verdict(wall)}"]


def pytest_terminal_summary(terminalreporter) -> None:
    if _seconds:
        terminalreporter.section("notebooks under nbval: seconds, kernel start and stop included")
        distributed = terminalreporter.config.getoption("dist", "no") != "no"  # pytest-xdist's -n
        for line in summary_lines(_seconds, _span[1] - _span[0] if distributed and _span else None):
            terminalreporter.write_line(line)
