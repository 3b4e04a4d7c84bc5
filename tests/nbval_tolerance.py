"""nbval with numeric tolerances: a cell's text is compared exactly, its numbers within a tolerance.

nbval compares a fresh run's output with the stored one character for character. A training
result moves in its last digits between CPU kernels, a GPU and package versions, so such cells
were tagged ``nbval-ignore-output`` and compared not at all. A code cell may instead declare in its
metadata how far its printed numbers may move (schema and measurement:
:mod:`lepton_helpers.course.tolerances`)::

    "nbval_tolerance": {"atol": 0.3, "cap": 0.5,
                        "reason": "accuracies after training move by a sample or two between CPU kernels"}

For such a cell, this plugin makes nbval's comparison (``IPyNbCell.compare_outputs``) run on the
sanitised outputs with every number masked, so nbval checks the text exactly; then it compares each
number with the stored one within the tolerance. A failure names the notebook, the cell (nbval's
index and the cell id), the number as printed, the stored value and the tolerance. A malformed
tolerance, or one on a cell tagged ``nbval-ignore-output``, stops the run before any kernel starts.

Loaded for every ``pytest`` from the repository root (``-p nbval_tolerance`` in pyproject.toml,
whose ``pythonpath = ["tests"]`` makes it importable), ``pytest notebooks/NN_name.ipynb`` included.
"""

from __future__ import annotations

import functools
import inspect
from collections import defaultdict

import pytest
from nbval.plugin import IPyNbCell

from lepton_helpers.course.tolerances import (IGNORE_TAG, MASK, TOLERANCE_KEY, Number, Tolerance, ToleranceError,
                                              mask_numbers, moved_numbers)


def _masked_outputs(cell: IPyNbCell, outputs: list) -> tuple[list, dict[str, list[Number]]]:
    """nbval-sanitised copies of ``outputs`` with their numbers masked, and the numbers per field
    (stream name or mime type: the keys by which nbval pairs outputs)."""
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
    """nbval's comparison, with the cell's numbers compared within its ``nbval_tolerance`` if it has one."""
    tolerance = Tolerance.of(self.cell.metadata)
    if tolerance is None:
        return _nbval_compare_outputs(self, test, ref, skip_compare)
    fresh_outputs, fresh = _masked_outputs(self, test)
    stored_outputs, stored = _masked_outputs(self, ref)
    # nbval sanitises these again: harmless, as the sanitisers match nothing that they or the mask left
    if not _nbval_compare_outputs(self, fresh_outputs, stored_outputs, skip_compare):
        self.comparison_traceback.insert(0, f"{_where(self)}: the text differs (numbers masked as {MASK}; "
                                            f"{TOLERANCE_KEY}: {tolerance})")
        return False
    problems = [f"  {field}: {problem}" for field in stored
                for problem in moved_numbers(stored[field], fresh[field], tolerance)]
    self.comparison_traceback = [f"{_where(self)}: numbers outside {TOLERANCE_KEY} ({tolerance}):", *problems]
    return not problems


def pytest_configure(config: pytest.Config) -> None:
    IPyNbCell.compare_outputs = compare_outputs


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse malformed tolerances, and tolerances on cells whose output nbval ignores."""
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
