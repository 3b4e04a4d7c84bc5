"""Who finished which exercise: a table read from a folder of saved student notebooks.

Usage (from anywhere)::

    python -m lepton_helpers.course.progress FOLDER

Students hand in their saved ``.ipynb`` (in Colab: File → Download → Download .ipynb). Each
``check(...)`` printed a status line (``Exercise 03.1 · ✅ correct``, see
:data:`lepton_helpers.exercises.STATUS_LINE`) into its cell's output; this command reads those lines,
nothing else: there is no hidden recording and no server. One row per student file, one column per
exercise id: ✅ correct, ❌ tried and not yet correct, ⬜ checked without an answer, blank: never checked.
The last line counts the ✅ per exercise.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..exercises import parse_status_line

MARKS = {"correct": "✅", "wrong": "❌", "unanswered": "⬜"}


def notebook_statuses(path: Path) -> dict[str, str]:
    """``{exercise id: status}`` from one saved notebook's stdout outputs (the last check of each id wins)."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path} is not a readable notebook ({err}); ask the student to save it again "
                         f"as .ipynb (in Colab: File → Download → Download .ipynb).") from err
    statuses: dict[str, str] = {}
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") != "stream" or output.get("name") != "stdout":
                continue
            text = output.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            for line in text.splitlines():
                parsed = parse_status_line(line)
                if parsed:
                    statuses[parsed[0]] = parsed[1]
    return statuses


def _id_key(exercise_id: str) -> tuple[int, int]:
    notebook, number = exercise_id.split(".")
    return int(notebook), int(number)


def progress_table(folder: Path) -> str:
    """The table for every ``*.ipynb`` under ``folder`` (recursively), as aligned plain text."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder; give the folder that holds the students' .ipynb files.")
    paths = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not paths:
        raise FileNotFoundError(f"No .ipynb files in {folder}; students save theirs with File → Download .ipynb.")
    rows = {str(p.relative_to(folder)): notebook_statuses(p) for p in paths}
    ids = sorted({i for statuses in rows.values() for i in statuses}, key=_id_key)
    width = max(len("student file"), *map(len, rows))
    header = "student file".ljust(width) + "".join(f" {i:>5}" for i in ids)
    lines = [header, "-" * len(header)]
    for name, statuses in rows.items():
        # A mark is one character wide but two columns on screen: pad to 4 to line up with the ids.
        lines.append(name.ljust(width) + "".join(f" {MARKS[statuses[i]]:>4}" if i in statuses else " " * 6
                                                 for i in ids))
    lines.append("-" * len(header))
    lines.append(f"✅ of {len(rows)}".ljust(width) +
                 "".join(f" {sum(s.get(i) == 'correct' for s in rows.values()):>5}" for i in ids))
    if not ids:
        lines.append("No check output found: the notebooks were saved before any check cell ran.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lepton_helpers.course.progress",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="folder of saved student notebooks (.ipynb)")
    args = parser.parse_args(argv)
    try:
        print(progress_table(args.folder))
    except (ValueError, FileNotFoundError) as err:
        parser.exit(2, f"error: {err}\n")


if __name__ == "__main__":
    main()
