"""Student copies of the notebooks: solutions removed, exercises kept, outputs cleared.

Usage (from the repository root)::

    python -m lepton_helpers.course.classroom                  # every notebook into student/ (gitignored)
    python -m lepton_helpers.course.classroom handout/         # into another folder
    python -m lepton_helpers.course.classroom handout/ notebooks/02_lepton_activation.ipynb

The room check before a workshop is :func:`lepton_helpers.course.room.room_check`.

Each exercise keeps its task, its hint and its self-checking code cell (tagged ``exercise``);
the cell tagged ``solution`` after it is dropped. Outputs and execution counts are cleared, so
students run each cell themselves. The copies find the bundled data like the originals do when
they stay inside the clone (``student/``); elsewhere, set ``LEPTON_DATA_DIR``.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import nbformat

from .nbtools import NOTEBOOKS, notebook_paths

SOLUTION_TAG = "solution"
EXERCISE_TAG = "exercise"
DEFAULT_FOLDER = Path("student")


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def student_copy(nb):
    """A copy of ``nb`` without its solution cells, with every output and execution count cleared."""
    student = copy.deepcopy(nb)
    student.cells = [cell for cell in student.cells if SOLUTION_TAG not in tags(cell)]
    for cell in student.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    student.metadata.pop("widgets", None)
    student.metadata.pop("lepton", None)  # the instructor's measured run time
    nbformat.validate(student)
    return student


def make_student_copies(folder: Path = DEFAULT_FOLDER, paths: list[Path] | None = None) -> list[Path]:
    """Write a student copy of each notebook (every numbered one by default) into ``folder``."""
    folder, paths = Path(folder), [Path(p) for p in (paths or notebook_paths())]
    if not paths:
        raise FileNotFoundError(f"No notebooks to copy: none given and none in {NOTEBOOKS}.")
    sources = {p.resolve().parent for p in paths}
    if folder.resolve() in sources:
        raise ValueError(f"{folder} holds the original notebooks; write the student copies into another folder "
                         f"(default: {DEFAULT_FOLDER}/).")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        solutions = sum(SOLUTION_TAG in tags(c) for c in nb.cells)
        exercises = sum(EXERCISE_TAG in tags(c) for c in nb.cells)
        target = folder / path.name
        nbformat.write(student_copy(nb), target)
        print(f"{target}: {exercises} exercises kept, {solutions} solutions removed")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lepton_helpers.course.classroom", description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER,
                        help=f"where to write the copies (default: {DEFAULT_FOLDER}/)")
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to copy (default: every numbered one)")
    args = parser.parse_args(argv)
    try:
        make_student_copies(args.folder, args.notebooks)
    except (ValueError, FileNotFoundError) as err:
        parser.exit(2, f"error: {err}\n")


if __name__ == "__main__":
    main()
