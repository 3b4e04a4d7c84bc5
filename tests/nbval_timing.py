"""How long each notebook takes under nbval, printed at the end of the run against the course's budget.

Loaded for every ``pytest`` from the repository root (``-p nbval_timing`` in pyproject.toml), so CI's
log states the notebooks' run time on CI's own machine. A plugin rather than a ``conftest`` hook:
``tests/conftest.py`` would see only the items under ``tests/``, not the notebooks.
"""

from __future__ import annotations

from collections import defaultdict

BUDGET_S = 360  # all ten notebooks together (07 alone at most 120 s, every other one 60 s)

_seconds: dict[str, float] = defaultdict(float)  # notebook path -> seconds under nbval


def notebook_of(nodeid: str) -> str | None:
    """The notebook an nbval item belongs to (``notebooks/00_x.ipynb::Cell 3`` -> ``notebooks/00_x.ipynb``)."""
    path = nodeid.split("::")[0]
    return path if path.endswith(".ipynb") else None


def pytest_runtest_logreport(report) -> None:
    """Add each cell's setup, run and teardown (the kernel's start and stop included) to its notebook."""
    path = notebook_of(report.nodeid)
    if path:
        _seconds[path] += report.duration


def summary_lines(seconds: dict[str, float], budget: float = BUDGET_S) -> list[str]:
    """One line per notebook, then the total against ``budget``."""
    total = sum(seconds.values())
    verdict = "within" if total <= budget else "OVER"
    return [*(f"{s:7.1f}  {path}" for path, s in sorted(seconds.items())),
            f"{total:7.1f}  total of {len(seconds)} notebooks ({verdict} the budget of {budget} s for all ten)"]


def pytest_terminal_summary(terminalreporter) -> None:
    if _seconds:
        terminalreporter.section("notebooks under nbval: seconds, kernel start and stop included")
        for line in summary_lines(_seconds):
            terminalreporter.write_line(line)
