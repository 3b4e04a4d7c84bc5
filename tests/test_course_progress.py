"""The progress view reads the status lines of saved student notebooks, keyed by exercise id."""

from __future__ import annotations

import nbformat
import pytest

from lepton_helpers.course import progress


def saved_notebook(path, *stdout_texts):
    """A saved notebook whose code cells printed ``stdout_texts`` (one cell each)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 03")] + [
        nbformat.v4.new_code_cell("check(...)", outputs=[nbformat.v4.new_output("stream", name="stdout", text=t)])
        for t in stdout_texts]
    nbformat.write(nb, path)


def test_table_rows_columns_marks_and_totals(tmp_path):
    saved_notebook(tmp_path / "ada.ipynb", "Exercise 03.1 · ✅ correct\n   details\n",
                   "Exercise 03.2 · ❌ not yet: wrong sign\n", "Exercise 10.1 · ✅ correct\n")
    saved_notebook(tmp_path / "bob.ipynb", "Exercise 03.1 · ❌ not yet: shape (3,)\n",
                   "Exercise 03.1 · ✅ correct\n",  # a later check of the same id wins
                   "Exercise 03.2 · ⬜ not answered yet\n")
    saved_notebook(tmp_path / "cy.ipynb", "hello\nExercise 03.1 · ⬜ not answered yet\n")
    lines = progress.progress_table(tmp_path).splitlines()
    assert lines[0].split() == ["student", "file", "03.1", "03.2", "10.1"]  # 10.1 after 03.2: numeric order
    ada, bob, cy = (line.split() for line in lines[2:5])
    assert ada == ["ada.ipynb", "✅", "❌", "✅"]
    assert bob == ["bob.ipynb", "✅", "⬜"]
    assert cy == ["cy.ipynb", "⬜"]
    assert lines[-1].split() == ["✅", "of", "3", "2", "0", "1"]
    assert lines[4].index("⬜") < lines[2].index("❌"), "columns line up: cy's 03.1 is in the first column"


def test_not_a_status_line_is_ignored(tmp_path):
    saved_notebook(tmp_path / "a.ipynb", "Exercise 3.1 · ✅ correct\n", "  Exercise 03.1 · ✅ correct\n",
                   "Exercise 03.1 · ❌ not yet\n")  # no reason: not the format
    assert progress.notebook_statuses(tmp_path / "a.ipynb") == {}


def test_cli_and_clear_errors(tmp_path, capsys):
    saved_notebook(tmp_path / "a.ipynb", "Exercise 01.1 · ✅ correct\n")
    progress.main([str(tmp_path)])
    assert "01.1" in capsys.readouterr().out
    (tmp_path / "broken.ipynb").write_text("{not json")
    with pytest.raises(SystemExit) as info:
        progress.main([str(tmp_path)])
    assert info.value.code == 2 and "broken.ipynb" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        progress.main([str(tmp_path / "missing")])
    assert "not a folder" in capsys.readouterr().err
