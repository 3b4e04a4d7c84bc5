"""Who has finished which exercise: a table read from a folder of saved student notebooks.

Usage (from anywhere)::

    python -m lepton_helpers.course.progress FOLDER [--csv FILE]

It shows progress, not grades: a check says whether an answer passed its tests, not how well a
student understood. Students hand in their saved ``.ipynb`` (in Colab: File → Download → Download
.ipynb). Each ``check(...)`` printed a status line (``Exercise 03.1 · ✅ correct``, see
:data:`lepton_helpers.exercises.STATUS_LINE`) into its cell's output; this command reads those lines,
nothing else: there is no hidden recording and no server.

One row per student, one column per exercise id: ✅ correct, ❌ tried and not yet correct, ⬜ checked
without an answer, blank: never checked. A student is named by the notebook's metadata
``lepton.student`` when it has one, else by the sub-folder the file is in (``FOLDER/ada/03_....ipynb``),
else by the file name without the course notebook's name (``ada-03_forward_backward.ipynb``). Each
exercise's total counts the ✅ out of the students who handed in its notebook. Below the table: the
most common "not yet" reasons per exercise, the files that could not be read (skipped), and
notebooks of other courses (not counted).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..exercises import parse_status_line
from .project import GITHUB_SLUG, SETUP_TITLE

MARKS = {"correct": "✅", "wrong": "❌", "unanswered": "⬜"}
CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](\d{2}\.\d+)["']""")
COURSE_NOTEBOOK = re.compile(r"\d{2}_[a-z_]+")
TOP_MISTAKES = 3
TOTALS = "correct / handed in"


@dataclass
class Handed:
    """One saved notebook: the exercises it holds, the last status of each checked one, its "not yet" reasons."""

    exercises: set[str] = field(default_factory=set)
    statuses: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, list[str]] = field(default_factory=dict)
    student: str | None = None
    ours: bool = True


def _stdout_lines(cell: dict):
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            text = output.get("text", "")
            yield from ("".join(text) if isinstance(text, list) else text).splitlines()


def read_notebook(path: Path) -> Handed:
    """What one saved notebook holds; a ValueError that names the file when it is not a readable notebook."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        cells = [c for c in nb["cells"] if isinstance(c, dict)]
        student = (nb.get("metadata") or {}).get("lepton", {}).get("student")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise ValueError(f"not a readable notebook ({type(err).__name__}: {err}); ask the student to save it "
                         "again as .ipynb (in Colab: File → Download → Download .ipynb)") from err
    sources = ["".join(c.get("source", "")) for c in cells]
    handed = Handed(student=student, ours=any(s.startswith(SETUP_TITLE.split(":")[0]) or GITHUB_SLUG in s
                                              for s in sources))
    for cell, source in zip(cells, sources):
        if cell.get("cell_type") != "code":
            continue
        handed.exercises.update(CHECK_CALL.findall(source))
        for line in _stdout_lines(cell):
            parsed = parse_status_line(line)
            if parsed:
                exercise, status, reason = parsed
                handed.statuses[exercise] = status  # the last check of each id wins
                handed.exercises.add(exercise)
                if reason:
                    handed.reasons.setdefault(exercise, []).append(reason)
    return handed


def notebook_statuses(path: Path) -> dict[str, str]:
    """``{exercise id: status}`` from one saved notebook's stdout outputs (the last check of each id wins)."""
    return read_notebook(path).statuses


def student_name(path: Path, folder: Path, handed: Handed) -> str:
    """The student a file belongs to: its metadata, else its sub-folder, else its name less the notebook's."""
    if handed.student:
        return str(handed.student)
    relative = path.relative_to(folder)
    if len(relative.parts) > 1:
        return relative.parts[0]
    rest = COURSE_NOTEBOOK.sub("", path.stem).strip(" -_.()")
    rest = re.sub(r"^copy of\s*", "", rest, flags=re.IGNORECASE).strip(" -_.()")
    return rest or path.stem


@dataclass
class Progress:
    """Everything the view shows: per student ``{id: status}``, who could have done each id, the reasons."""

    students: dict[str, dict[str, str]] = field(default_factory=dict)
    handed_in: dict[str, set[str]] = field(default_factory=dict)
    reasons: dict[str, Counter] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return sorted(self.handed_in, key=lambda i: tuple(map(int, i.split("."))))


def collect(folder: Path) -> Progress:
    """Read every ``*.ipynb`` under ``folder`` (recursively); unreadable files and other courses' are set aside."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder; give the folder that holds the students' .ipynb files.")
    paths = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not paths:
        raise FileNotFoundError(f"No .ipynb files in {folder}; students save theirs with File → Download .ipynb.")
    progress = Progress()
    for path in paths:
        shown = str(path.relative_to(folder))
        try:
            handed = read_notebook(path)
        except ValueError as err:
            progress.skipped.append(f"{shown}: {err}")
            continue
        if not handed.ours:
            progress.foreign.append(shown)
            continue
        name = student_name(path, folder, handed)
        progress.students.setdefault(name, {}).update(handed.statuses)
        for exercise in handed.exercises:
            progress.handed_in.setdefault(exercise, set()).add(name)
        for exercise, reasons in handed.reasons.items():
            progress.reasons.setdefault(exercise, Counter()).update(reasons)
    return progress


def render(progress: Progress) -> str:
    """The table, the totals, the top mistakes, the skipped and the foreign files, as aligned plain text."""
    ids, rows = progress.ids, progress.students
    width = max([len(TOTALS), *map(len, rows)])
    header = "student".ljust(width) + "".join(f" {i:>5}" for i in ids)
    lines = ["Progress, not grades: ✅ means the answer passed the check's tests.", header, "-" * len(header)]
    for name in sorted(rows):
        # A mark is one character wide but two columns on screen: pad to 4 to line up with the ids.
        lines.append(name.ljust(width) + "".join(f" {MARKS[rows[name][i]]:>4}" if i in rows[name] else " " * 6
                                                 for i in ids))
    lines.append("-" * len(header))
    lines.append(TOTALS.ljust(width) + "".join(
        f" {_correct(progress, i)}/{len(progress.handed_in[i])}".rjust(6) for i in ids))
    if rows and not any(rows.values()):
        lines.append("No check output found: the notebooks were saved before any check cell ran.")
    mistakes = [f"  {i}: " + "; ".join(f"{reason} ({n})" for reason, n in progress.reasons[i].most_common(TOP_MISTAKES))
                for i in ids if progress.reasons.get(i)]
    if mistakes:
        lines += ["", "Most common \"not yet\" reasons (times seen):", *mistakes]
    if progress.skipped:
        lines += ["", f"Skipped {len(progress.skipped)} file(s) that could not be read:",
                  *(f"  {s}" for s in progress.skipped)]
    if progress.foreign:
        lines += ["", f"Not counted: {len(progress.foreign)} notebook(s) of another course (no Lepton Notebooks "
                      "setup cell):", *(f"  {f}" for f in progress.foreign)]
    return "\n".join(lines)


def _correct(progress: Progress, exercise: str) -> int:
    return sum(statuses.get(exercise) == "correct" for statuses in progress.students.values())


def progress_table(folder: Path) -> str:
    """The view of every ``*.ipynb`` under ``folder`` (recursively), as aligned plain text."""
    return render(collect(folder))


def write_csv(progress: Progress, path: Path) -> None:
    """One row per student, one column per exercise: correct, wrong, unanswered, or empty (never checked)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *progress.ids])
        for name in sorted(progress.students):
            writer.writerow([name, *(progress.students[name].get(i, "") for i in progress.ids)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lepton_helpers.course.progress",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="folder of saved student notebooks (.ipynb)")
    parser.add_argument("--csv", type=Path, metavar="FILE", help="also write the table to FILE as CSV")
    args = parser.parse_args(argv)
    try:
        progress = collect(args.folder)
    except FileNotFoundError as err:
        parser.exit(2, f"error: {err}\n")
    print(render(progress))
    if args.csv:
        write_csv(progress, args.csv)
        print(f"\nWrote {args.csv}")


if __name__ == "__main__":
    main()
