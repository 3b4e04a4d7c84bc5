"""nbval with numeric tolerances: a cell's text is compared exactly, its numbers within a tolerance.

nbval compares a fresh run's output with the stored one character for character. A training
result printed by a code cell moves in its last digits between CPU kernels, a GPU and package
versions, so such cells used to be tagged ``nbval-ignore-output`` and compared not at all. A code
cell may instead declare in its metadata how far its printed numbers may move::

    "nbval_tolerance": {"atol": 0.3, "cap": 0.5,
                        "reason": "accuracies after training move by a sample or two between CPU kernels"}

- ``atol``: absolute, in the units printed (0.3 for a percentage: 0.3 points);
- ``rtol``: relative to the stored value (0.01: 1 %); a number may move by ``atol + rtol * |stored|``;
- ``cap`` (optional): whatever atol and rtol allow, no number moves by more than this (the course's
  rule: an accuracy may move by at most half a point, so a cell that prints accuracies in % has
  ``cap`` <= 0.5);
- ``reason``: one line, why the numbers move (as ``nbval_ignore_reason`` for ignored cells).

For such a cell, after nbval's sanitisers (``tests/nbval_sanitize.cfg``), every number in its text
outputs (streams and ``text/*`` data) is masked and the masked texts must match exactly (spaces
around a number are its padding: a column that widens is not a change); then each number is
compared with the stored one within the tolerance, exactly on the printed decimals. A failure
names the notebook, the cell (nbval's index and the cell id), the number as printed, the stored
value and the tolerance. Measure tolerances with ``python -m lepton_helpers.course.tolerances``;
do not guess them.

Loaded for every ``pytest`` run from the repository root by ``-p nbval_tolerance`` in pyproject.toml
(``pythonpath = ["tests"]`` makes it importable), also for ``pytest notebooks/NN_name.ipynb``.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import pytest
from nbval.plugin import IPyNbCell

TOLERANCE_KEY = "nbval_tolerance"
IGNORE_TAG = "nbval-ignore-output"
MASK = "⟨n⟩"
# A number as printed: sign, digits (with optional thousands commas), decimals, exponent; not part
# of a word ("k4", "0xff"), of a version ("2.14.1") or of a longer number. Spaces around it are
# its padding and are masked with it.
NUMBER = re.compile(
    r" *(?<![\w.])(?P<number>[-+\u2212]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?)"
    r"(?!\w|\.\d) *")
_FIELDS = {"atol", "rtol", "cap", "reason"}


class ToleranceError(ValueError):
    """A cell's ``nbval_tolerance`` metadata does not follow the schema."""


def _amount(spec: dict, key: str) -> Decimal | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ToleranceError(f"'{key}' must be a number >= 0, got {value!r}")
    return Decimal(str(value))


@dataclass(frozen=True)
class Tolerance:
    """How far a cell's printed numbers may move (see the module docstring for the schema)."""

    reason: str
    atol: Decimal = Decimal(0)
    rtol: Decimal = Decimal(0)
    cap: Decimal | None = None

    @classmethod
    def of(cls, metadata: dict) -> Tolerance | None:
        """The tolerance that a cell's metadata declares, None when it declares none."""
        spec = metadata.get(TOLERANCE_KEY)
        if spec is None:
            return None
        example = '{"atol": 0.3, "cap": 0.5, "reason": "accuracies move by a sample between CPU kernels"}'
        if not isinstance(spec, dict) or set(spec) - _FIELDS:
            raise ToleranceError(f"'{TOLERANCE_KEY}' must be an object with keys among {sorted(_FIELDS)}, "
                                 f"got {spec!r}; e.g. {example}")
        reason = spec.get("reason")
        if not isinstance(reason, str) or len(reason.strip()) <= 10:
            raise ToleranceError(f"'{TOLERANCE_KEY}' needs a 'reason': one line on why the numbers move; e.g. {example}")
        atol, rtol, cap = (_amount(spec, key) for key in ("atol", "rtol", "cap"))
        if not atol and not rtol:
            raise ToleranceError(f"'{TOLERANCE_KEY}' needs 'atol' or 'rtol' above 0 "
                                 "(without either, remove it: the output is then compared exactly)")
        return cls(reason.strip(), atol or Decimal(0), rtol or Decimal(0), cap)

    def allowed(self, stored: Decimal) -> Decimal:
        """The most that a number stored as ``stored`` may move."""
        allowed = self.atol + self.rtol * abs(stored)
        return allowed if self.cap is None else min(allowed, self.cap)

    def __str__(self) -> str:
        parts = [f"atol {self.atol}"] * bool(self.atol) + [f"rtol {self.rtol}"] * bool(self.rtol)
        return ", ".join(parts + [f"cap {self.cap}"] * (self.cap is not None))


@dataclass(frozen=True)
class Number:
    """A number as printed in an output text, the line it stands on, and whether a % sign follows it."""

    printed: str
    line: str
    percent: bool = False

    @property
    def value(self) -> Decimal:
        return Decimal(self.printed.replace(",", "").replace("\u2212", "-"))


def mask_numbers(text: str) -> tuple[str, list[Number]]:
    """``text`` with each number and its padding replaced by `` ⟨n⟩ ``, and the numbers in order."""
    numbers = []

    def mask(match: re.Match) -> str:
        start = text.rfind("\n", 0, match.start("number")) + 1
        end = text.find("\n", match.end("number"))
        numbers.append(Number(match["number"], text[start:None if end < 0 else end].strip(),
                              text.startswith("%", match.end())))
        return f" {MASK} "  # one padding for all: a column that widens is not a change

    return NUMBER.sub(mask, text), numbers


def moved_numbers(stored: list[Number], fresh: list[Number], tolerance: Tolerance) -> list[str]:
    """One message for each fresh number that moved further from its stored one than allowed."""
    if len(stored) != len(fresh):
        return [f"{len(fresh)} numbers printed where {len(stored)} are stored"]
    problems = []
    for old, new in zip(stored, fresh):
        moved, allowed = abs(new.value - old.value), tolerance.allowed(old.value)
        if moved > allowed:
            problems.append(f"printed {new.printed} where {old.printed} is stored: moved {moved}, "
                            f"allowed {allowed} ({tolerance}), in line: {new.line!r}")
    return problems


def _masked_outputs(cell: IPyNbCell, outputs: list) -> tuple[list, dict[str, list[Number]]]:
    """nbval-sanitised copies of ``outputs`` with their numbers masked, and the numbers per field
    (stream name or mime type, the keys by which nbval pairs outputs)."""
    numbers = defaultdict(list)
    masked = cell.sanitize_outputs(outputs)
    for output in masked:
        if output.get("output_type") == "stream":
            output.text, found = mask_numbers(output.text)
            numbers[output.name] += found
        for mime, value in output.get("data", {}).items():
            if mime.startswith("text/") and isinstance(value, str):
                output.data[mime], found = mask_numbers(value)
                numbers[mime] += found
    return masked, numbers


def _where(cell: IPyNbCell) -> str:
    return f"{cell.parent.path.name}, Cell {cell.cell_num} (id {cell.cell.get('id', '?')})"


_nbval_compare_outputs = inspect.unwrap(IPyNbCell.compare_outputs)


@functools.wraps(_nbval_compare_outputs)
def compare_outputs(self: IPyNbCell, test: list, ref: list, skip_compare=None) -> bool:
    """nbval's comparison, within the cell's ``nbval_tolerance`` for its numbers if it has one."""
    tolerance = Tolerance.of(self.cell.metadata)
    if tolerance is None:
        return _nbval_compare_outputs(self, test, ref, skip_compare)
    fresh_outputs, fresh = _masked_outputs(self, test)
    stored_outputs, stored = _masked_outputs(self, ref)
    # nbval sanitises again: harmless, the sanitisers only match what the first pass replaced
    if not _nbval_compare_outputs(self, fresh_outputs, stored_outputs, skip_compare):
        self.comparison_traceback.insert(0, f"{_where(self)}: the text differs (numbers masked as {MASK}, "
                                            f"{TOLERANCE_KEY}: {tolerance})")
        return False
    problems = [f"  {field}: {problem}" for field in stored
                for problem in moved_numbers(stored[field], fresh[field], tolerance)]
    self.comparison_traceback = [f"{_where(self)}: numbers outside {TOLERANCE_KEY} ({tolerance}):", *problems]
    return not problems


def pytest_configure(config: pytest.Config) -> None:
    IPyNbCell.compare_outputs = compare_outputs


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse malformed tolerances, and tolerances on cells whose output nbval ignores, before any kernel starts."""
    errors = []
    for item in items:
        if isinstance(item, IPyNbCell):
            try:
                tolerance = Tolerance.of(item.cell.metadata)
            except ToleranceError as error:
                errors.append(f"{_where(item)}: {error}")
                continue
            if tolerance and IGNORE_TAG in item.cell.metadata.get("tags", []):
                errors.append(f"{_where(item)}: has '{TOLERANCE_KEY}' and is tagged '{IGNORE_TAG}': "
                              "remove the tag (and its nbval_ignore_reason) so that the output is compared")
    if errors:
        raise pytest.UsageError("\n".join(errors))
