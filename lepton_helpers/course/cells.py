"""The notebooks' exercise sections, generated from the bank, and the command that writes them in.

A notebook's exercise section runs from its ``## Exercises`` heading to the cell before its
``## Summary``. It holds a heading cell (how the exercises work), one import cell, and per exercise a
task cell (Markdown), an **answer cell** (tag ``answer``: only the learner's code, a placeholder
until answered) and a **check cell** (tag ``exercise``: ``check("NN.K", name)``). The task, answer
and check cells carry ``"exercise_id": "NN.K"`` in their metadata. There are no solution cells:
solutions live in the bank (``solution("NN.K")`` prints one).

Usage (from the repository root; takes the notebook lock, :mod:`~lepton_helpers.course.lock`, itself)::

    python -m lepton_helpers.course.cells sync notebooks/03_forward_backward.ipynb [...]
    python -m lepton_helpers.course.cells check                 # exit 1 if a notebook is out of sync

Only the exercise section changes; a cell whose source and tags stay the same keeps its id and its
outputs, a changed or new cell gets its outputs cleared. Metadata that others add to a section cell
(an ``nbval_tolerance``, another tag) is kept.
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid
from pathlib import Path

import nbformat

from ..exercises import NOTEBOOK_NUMBERS, exercises
from ..exercises.framework import Exercise
from .lock import notebook_lock
from .paths import notebook_paths

ANSWER_TAG, CHECK_TAG, ID_KEY = "answer", "exercise", "exercise_id"
IMPORT = "from lepton_helpers.exercises import check, hint, solution"
HEADING = "## Exercises"
KIND_LABEL = {"implement": "implement", "predict": "predict, then run", "interpret": "interpret",
              "compute": "compute", "design": "design an experiment"}


def notebook_number(path: Path | str) -> str:
    """``"03"`` for ``notebooks/03_forward_backward.ipynb``."""
    match = re.match(r"(\d{2})_", Path(path).name)
    if not match or match[1] not in NOTEBOOK_NUMBERS:
        raise ValueError(f"{path}: not a numbered notebook with exercises in the bank ({', '.join(NOTEBOOK_NUMBERS)})")
    return match[1]


def heading_source(first: Exercise) -> str:
    return f"""{HEADING}

Each exercise has a task, an **answer cell** that holds only your code (replace its placeholder:
`None`, or the `raise NotImplementedError` line) and a **check cell** below it. The check prints one
line first: `✅ correct`, `⬜ not answered yet`, or `❌ not yet` with the reason, then details (for a
function: the input it failed on, what was expected and what it returned). A *predict, then run*
exercise runs its experiment only once you have written your prediction, never before.

Stuck? `hint("{first.id}")` prints a nudge, a second call the method (never the answer);
`solution("{first.id}")` prints a solution, when you want to compare. Run them in a new cell."""


def task_source(exercise: Exercise) -> str:
    return (f"**Exercise {exercise.id}** · *{KIND_LABEL[exercise.kind]}* · {exercise.title}\n\n{exercise.task.strip()}\n\n"
            f'Hints: `hint("{exercise.id}")`.')


def check_source(exercise: Exercise) -> str:
    return f'check("{exercise.id}", {exercise.answer_name})'


def section_cells(number: str) -> list:
    """The exercise section of notebook ``number`` ("03"), as new nbformat cells (fresh ids)."""
    chosen = exercises(number)
    if not chosen:
        raise ValueError(f"the bank has no exercises for notebook {number}")
    cells = [nbformat.v4.new_markdown_cell(heading_source(chosen[0])), nbformat.v4.new_code_cell(IMPORT)]
    for exercise in chosen:
        meta = {ID_KEY: exercise.id}
        cells += [nbformat.v4.new_markdown_cell(task_source(exercise), metadata=dict(meta)),
                  nbformat.v4.new_code_cell(exercise.answer_cell, metadata={**meta, "tags": [ANSWER_TAG]}),
                  nbformat.v4.new_code_cell(check_source(exercise), metadata={**meta, "tags": [CHECK_TAG]})]
    return cells


def _role(cell) -> tuple:
    """What a cell is in the section: (kind, exercise id) for matching old cells with new ones."""
    tags = set(cell.get("metadata", {}).get("tags", []))
    exercise_id = cell.get("metadata", {}).get(ID_KEY)
    if cell.cell_type == "markdown":
        return ("heading",) if cell.source.startswith(HEADING) else ("task", exercise_id)
    if exercise_id:
        return ("answer" if ANSWER_TAG in tags else "check", exercise_id)
    return ("import",) if cell.source == IMPORT else ("other", cell.get("id"))


def section_bounds(nb) -> tuple[int, int]:
    """``(start, end)``: the section is ``nb.cells[start:end]`` (from its heading to the summary, excluded)."""
    starts = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and HEADING in c.source]
    ends = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Summary")]
    if len(starts) != 1 or len(ends) != 1 or not starts[0] < ends[0]:
        raise ValueError("expected one '## Exercises' heading before one '## Summary' cell")
    return starts[0], ends[0]


def sync_notebook(nb, number: str) -> bool:
    """Make ``nb``'s exercise section the bank's, in place; True if anything changed.

    Text before the heading in the heading's cell (notebook prose) stays in that cell."""
    start, end = section_bounds(nb)
    first = nb.cells[start]
    before, _, _ = first.source.partition(HEADING)
    old = nb.cells[start:end]
    if before.strip():                       # prose and the heading share a cell: split them
        first.source = before.rstrip("\n")
        old = old[1:]
        start += 1
    by_role = {_role(cell): cell for cell in old}
    new = []
    for cell in section_cells(number):
        previous = by_role.get(_role(cell))
        if previous is not None:
            cell["id"] = previous.get("id", cell["id"])
            unchanged = previous.source == cell.source and _owned(previous.metadata) == _owned(cell.metadata)
            _keep_foreign_metadata(cell, previous)
            if cell.cell_type == "code" and unchanged:
                cell.outputs, cell.execution_count = previous.outputs, previous.execution_count
        new.append(cell)
    changed = [_plain(c) for c in new] != [_plain(c) for c in nb.cells[start:end]] or bool(before.strip())
    nb.cells[start:end] = new
    _unique_ids(nb)
    return changed


def _owned(metadata) -> dict:
    """The metadata this module writes: the exercise id and the answer/exercise tags."""
    tags = sorted(set(metadata.get("tags", [])) & {ANSWER_TAG, CHECK_TAG})
    return {ID_KEY: metadata.get(ID_KEY), "tags": tags}


def _keep_foreign_metadata(cell, previous) -> None:
    """Metadata that others put on a section cell (an nbval tolerance, another tag) survives a sync."""
    for key, value in previous.metadata.items():
        if key not in (ID_KEY, "tags"):
            cell.metadata.setdefault(key, value)
    foreign = [t for t in previous.metadata.get("tags", []) if t not in (ANSWER_TAG, CHECK_TAG)]
    if foreign:
        cell.metadata["tags"] = [*cell.metadata.get("tags", []), *foreign]


def _plain(cell) -> tuple:
    return cell.cell_type, cell.source, dict(cell.metadata), cell.get("id")


def _unique_ids(nb) -> None:
    seen = set()
    for cell in nb.cells:
        if cell.get("id") in seen or not cell.get("id"):
            cell["id"] = uuid.uuid4().hex[:8]
        seen.add(cell["id"])


def out_of_sync(nb, number: str) -> list[str]:
    """How the notebook's exercise section differs from the bank's (empty when in sync)."""
    start, end = section_bounds(nb)
    have = nb.cells[start:end]
    if not have[0].source.startswith(HEADING):
        return ["the '## Exercises' heading shares a cell with other text"]
    want = section_cells(number)
    problems = []
    if len(have) != len(want):
        problems.append(f"{len(have)} cells in the section, the bank makes {len(want)}")
    for got, expected in zip(have, want):
        if (got.cell_type, got.source) != (expected.cell_type, expected.source):
            problems.append(f"cell differs: {got.source[:60]!r} instead of {expected.source[:60]!r}")
        elif _owned(got.metadata) != _owned(expected.metadata):
            problems.append(f"exercise id or tags differ in {got.source[:40]!r}: {dict(got.metadata)}")
    return problems


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lepton_helpers.course.cells", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["sync", "check"])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks (default: every numbered one)")
    args = parser.parse_args(argv)
    paths = args.notebooks or notebook_paths()
    problems = 0
    for path in paths:
        number = notebook_number(path)
        if args.command == "check":
            for problem in out_of_sync(nbformat.read(path, as_version=4), number):
                print(f"{path.name}: {problem}")
                problems += 1
            continue
        with notebook_lock():               # read, change and write in one go, under the lock
            nb = nbformat.read(path, as_version=4)
            changed = sync_notebook(nb, number)
            if changed:
                nbformat.validate(nb)
                nbformat.write(nb, path)
        print(f"{path.name}: {'exercise section written' if changed else 'already in sync'}")
    if problems:
        sys.exit(f"{problems} difference(s): run `python -m lepton_helpers.course.cells sync`")


if __name__ == "__main__":
    main()
