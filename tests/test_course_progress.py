"""The progress view reads the status lines of saved student notebooks, keyed by student and exercise id."""

from __future__ import annotations

import csv

import nbformat
import pytest

from lepton_helpers.course import progress
from lepton_helpers.course.project import colab_setup_source


def saved_notebook(path, *stdout_texts, ours=True, student=None, exercises=()):
    """A saved notebook whose code cells printed ``stdout_texts`` (one cell each); ``ours``: it has the
    course's setup cell; ``exercises``: check cells that were never run."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 03")]
    if ours:
        nb.cells.append(nbformat.v4.new_code_cell(colab_setup_source()))
    nb.cells += [nbformat.v4.new_code_cell(f'check("{i}", answer)') for i in exercises]
    nb.cells += [nbformat.v4.new_code_cell("check(...)", outputs=[nbformat.v4.new_output("stream", name="stdout", text=t)])
                 for t in stdout_texts]
    if student:
        nb.metadata["lepton"] = {"student": student}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def test_table_rows_columns_marks_and_totals(tmp_path):
    saved_notebook(tmp_path / "ada.ipynb", "Exercise 03.1 · ✅ correct\n   details\n",
                   "Exercise 03.2 · ❌ not yet: wrong sign\n", "Exercise 10.1 · ✅ correct\n")
    saved_notebook(tmp_path / "bob.ipynb", "Exercise 03.1 · ❌ not yet: shape (3,)\n",
                   "Exercise 03.1 · ✅ correct\n",  # a later check of the same id wins
                   "Exercise 03.2 · ⬜ not answered yet\n")
    saved_notebook(tmp_path / "cy.ipynb", "hello\nExercise 03.1 · ⬜ not answered yet\n", exercises=["03.2"])
    lines = progress.progress_table(tmp_path).splitlines()
    assert "not grades" in lines[0]
    assert lines[1].split() == ["student", "03.1", "03.2", "10.1"]  # 10.1 after 03.2: numeric order
    ada, bob, cy = (line.split() for line in lines[3:6])
    assert ada == ["ada", "✅", "❌", "✅"]
    assert bob == ["bob", "✅", "⬜"]
    assert cy == ["cy", "⬜"]
    # per-exercise denominators: 10.1 is only in ada's notebook; cy's holds 03.2 without running it
    assert lines[7].split() == ["correct", "/", "handed", "in", "2/3", "0/3", "1/1"]
    assert lines[5].index("⬜") < lines[3].index("❌"), "columns line up: cy's 03.1 is in the first column"


def test_not_a_status_line_is_ignored(tmp_path):
    saved_notebook(tmp_path / "a.ipynb", "Exercise 3.1 · ✅ correct\n", "  Exercise 03.1 · ✅ correct\n",
                   "Exercise 03.1 · ❌ not yet\n")  # no reason: not the format
    assert progress.notebook_statuses(tmp_path / "a.ipynb") == {}


def test_a_bad_file_and_another_course_are_listed_not_fatal(tmp_path):
    saved_notebook(tmp_path / "ada" / "03_forward_backward.ipynb", "Exercise 03.1 · ✅ correct\n")
    saved_notebook(tmp_path / "ada" / "04_layerwise_training.ipynb", "Exercise 04.1 · ❌ not yet: wrong stage\n")
    saved_notebook(tmp_path / "03_forward_backward - bob.ipynb", "Exercise 03.1 · ❌ not yet: wrong sign\n")
    saved_notebook(tmp_path / "x.ipynb", "Exercise 03.1 · ❌ not yet: wrong sign\n", student="Cy Young")
    saved_notebook(tmp_path / "other.ipynb", "Exercise 03.1 · ✅ correct\n", ours=False)
    (tmp_path / "broken.ipynb").write_text("{not json")
    view = progress.progress_table(tmp_path)
    table = view.split("\n\n")[0].splitlines()
    names = [line.split()[0] for line in table[3:-2]]
    assert names == ["Cy", "ada", "bob"], "one row per student: a sub-folder, metadata, a file name"
    assert table[-1].split()[-2:] == ["1/3", "0/1"]
    assert "03.1: wrong sign (2)" in view and "04.1: wrong stage (1)" in view
    skipped = view.split("could not be read:\n")[1].split("\n\n")[0]
    assert skipped.startswith("  broken.ipynb: not a readable notebook") and "Download .ipynb" in skipped
    assert view.rstrip().endswith("setup cell):\n  other.ipynb")


def test_csv_export(tmp_path, capsys):
    saved_notebook(tmp_path / "in" / "ada.ipynb", "Exercise 01.1 · ✅ correct\n", "Exercise 01.2 · ⬜ not answered yet\n")
    saved_notebook(tmp_path / "in" / "bob.ipynb", "Exercise 01.2 · ❌ not yet: too few rows\n")
    progress.main([str(tmp_path / "in"), "--csv", str(tmp_path / "progress.csv")])
    assert "Wrote" in capsys.readouterr().out
    with open(tmp_path / "progress.csv", newline="", encoding="utf-8") as f:
        assert list(csv.reader(f)) == [["student", "01.1", "01.2"], ["ada", "correct", "unanswered"],
                                       ["bob", "", "wrong"]]


def test_cli_and_clear_errors(tmp_path, capsys):
    saved_notebook(tmp_path / "a.ipynb", "Exercise 01.1 · ✅ correct\n")
    progress.main([str(tmp_path)])
    assert "01.1" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        progress.main([str(tmp_path / "missing")])
    assert info.value.code == 2 and "not a folder" in capsys.readouterr().err
