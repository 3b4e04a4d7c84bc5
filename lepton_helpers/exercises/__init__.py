"""The exercise bank: every notebook's exercises, their checks, hints and solutions, keyed by id.

A notebook's exercise has a task (Markdown), an answer cell holding only the learner's code (a
placeholder until answered) and a check cell::

    from lepton_helpers.exercises import check, hint, solution
    check("03.1", df_dk)

- ``check(id, answer)`` prints a verdict whose **first line** is one of::

      Exercise 03.1 · ✅ correct
      Exercise 03.1 · ⬜ not answered yet
      Exercise 03.1 · ❌ not yet: <one-line reason>

  (:data:`STATUS_LINE` matches it, :func:`parse_status_line` reads it); further lines, indented,
  give the failing input, expected and got, the tolerance, or the experiment's result. Only a
  correct answer prints ✅; an unanswered one (the placeholder: ``None``, or a function that raises
  ``NotImplementedError``) says "not answered yet". A check never raises for an answer, so Run All
  always reaches the end. A predict-then-run check runs its experiment only once a prediction is given
  (without one it runs nothing and says how to give one, so a saved notebook holds no result).
- ``grade(id, answer)`` returns the :class:`~.framework.Verdict` without printing.
- ``hint(id)`` prints the next hint tier each time it is called in a kernel (a nudge, then the
  method; never the answer); ``hint(id, 2)`` prints tier 2.
- ``solution(id)`` prints a reference solution. It assigns nothing: the learner's names stay theirs.

The status line is a fixed contract: tools read it from saved notebooks (an instructor's progress
view), so it changes only with them. Exercise ids are ``"NN.K"``: notebook NN, exercise K. The
notebooks' exercise cells are generated from this bank, and so is the answer key (both by the course
tooling: :mod:`lepton_helpers.course.cells`, :mod:`lepton_helpers.course.key`). A notebook's bank
module is imported when one of its exercises is first asked for.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

from .framework import STATUS_LINE, Exercise, Verdict, parse_status_line

__all__ = ["STATUS_LINE", "Exercise", "Verdict", "check", "exercises", "get", "grade", "hint", "parse_status_line",
           "solution"]

NOTEBOOK_NUMBERS = tuple(f"{n:02d}" for n in range(10))
"""The notebooks with a bank module (``nbNN``): ``EXERCISES`` and ``notebook_names()``."""

_BANK: dict[str, Exercise] = {}
"""The exercises of the bank modules loaded so far, by id."""
_LOADED: dict[str, ModuleType] = {}


def _load(number: str) -> ModuleType:
    """Notebook ``number``'s bank module, imported on first use, its exercises then added to the bank."""
    if number not in _LOADED:
        module = importlib.import_module(f".nb{number}", __name__)
        _BANK.update({exercise.id: exercise for exercise in module.EXERCISES})
        _LOADED[number] = module
    return _LOADED[number]


def __getattr__(name: str):
    """``NOTEBOOK_BANKS`` (number -> bank module) and ``BANK`` (id -> exercise): every bank, loaded on first use."""
    if name == "NOTEBOOK_BANKS":
        return {number: _load(number) for number in NOTEBOOK_NUMBERS}
    if name == "BANK":
        for number in NOTEBOOK_NUMBERS:
            _load(number)
        return _BANK
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_hints_given: dict[str, int] = {}
"""How many hint tiers ``hint(id)`` has shown per exercise in this kernel (so the next call gives the next)."""


def get(exercise_id: str) -> Exercise:
    """The exercise with this id; a clear error for an unknown one."""
    number = exercise_id.split(".")[0] if isinstance(exercise_id, str) else None
    if number in NOTEBOOK_NUMBERS:
        _load(number)
    if not isinstance(exercise_id, str) or exercise_id not in _BANK:
        known = ", ".join(e.id for e in exercises())
        raise KeyError(f"no exercise {exercise_id!r}; the ids look like '03.1' (notebook 03, exercise 1): {known}")
    return _BANK[exercise_id]


def exercises(notebook: str | None = None) -> list[Exercise]:
    """The bank's exercises in id order, all of them or one notebook's (``"03"``)."""
    for number in NOTEBOOK_NUMBERS if notebook is None else {notebook} & set(NOTEBOOK_NUMBERS):
        _load(number)
    return sorted((e for e in _BANK.values() if notebook is None or e.id.startswith(f"{notebook}.")),
                  key=lambda e: tuple(int(part) for part in e.id.split(".")))


def grade(exercise_id: str, answer) -> Verdict:
    """The verdict on ``answer`` for this exercise, without printing it."""
    return get(exercise_id).grade(answer)


def check(exercise_id: str, answer=None) -> None:
    """Check ``answer`` and print the verdict (first line: the status line). Never raises for an answer."""
    print(grade(exercise_id, answer))


def hint(exercise_id: str, tier: int | None = None) -> None:
    """Print a hint: the next tier each call (a nudge first, then the method), or tier ``tier`` (1, 2, ...)."""
    tiers = get(exercise_id).hints
    if tier is None:
        tier = min(_hints_given.get(exercise_id, 0) + 1, len(tiers))
    if not (isinstance(tier, int) and 1 <= tier <= len(tiers)):
        raise ValueError(f"exercise {exercise_id} has hint tiers 1 to {len(tiers)}, got {tier!r}")
    _hints_given[exercise_id] = max(_hints_given.get(exercise_id, 0), tier)
    more = (f' (hint("{exercise_id}") again for tier {tier + 1})' if tier < len(tiers)
            else f' (that was the last one; solution("{exercise_id}") shows a solution)')
    print(f"Hint {tier} of {len(tiers)} for exercise {exercise_id}{more}:\n{tiers[tier - 1]}")


def solution(exercise_id: str) -> None:
    """Print a reference solution (nothing is assigned: run it yourself if you want it).

    An instructor who wants the solutions withheld sets ``LEPTON_WITHHOLD_SOLUTIONS=1`` in the
    students' environment (in Colab: ``%env LEPTON_WITHHOLD_SOLUTIONS=1`` in the first cell); then
    this only says so. Hints and checks still work.
    """
    exercise = get(exercise_id)
    if os.environ.get("LEPTON_WITHHOLD_SOLUTIONS") == "1":
        print(f"The solution to exercise {exercise_id} is withheld by your instructor "
              f"(LEPTON_WITHHOLD_SOLUTIONS=1); `hint(\"{exercise_id}\")` gives the next hint.")
        return
    print(f"A solution to exercise {exercise_id} ({exercise.title}):\n\n{exercise.solution}")
    for letter in sorted(getattr(exercise, "correct", "")):
        print(f"\nWhy {letter}: {exercise.reasons[letter]}")

