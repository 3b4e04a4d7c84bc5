"""Student copies: valid notebooks with their outputs cleared, which still run.

Per notebook: the copy is the original with outputs cleared (the notebooks hold no solutions: they
live in the exercise bank), and the copy runs from a fresh kernel without an error, each exercise's
check saying "not answered yet" and nothing printing ✅. Running copies costs what nbval costs for the
originals, so by default only the quick first notebooks run; LEPTON_CLASSROOM_ALL=1 runs every copy.
"""

from __future__ import annotations

import os

import nbformat
import pytest
from nbclient import NotebookClient

from lepton_helpers.course import classroom, nbtools
from lepton_helpers.exercises import exercises, parse_status_line

PATHS = nbtools.notebook_paths()
RUN_ALL = os.environ.get("LEPTON_CLASSROOM_ALL") == "1"
QUICK = {"00_start_here.ipynb", "01_data_preprocessing.ipynb"}


def tags(cell) -> set[str]:
    return set(cell.metadata.get("tags", []))


def tiny_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["lepton"] = {"cpu_seconds": 3.0}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"version_major": 2, "version_minor": 0, "state": {
        "lepton-99-sliders": {"model_name": "HBoxModel", "model_module": "@jupyter-widgets/controls",
                              "model_module_version": "2.0.0", "state": {"children": []}}}}}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 99 · Tiny\n## Exercises\n**Exercise 1.** Double 21."),
        nbformat.v4.new_code_cell("x = 21", execution_count=1,
                                  outputs=[nbformat.v4.new_output("stream", name="stdout", text="ok\n")]),
        nbformat.v4.new_code_cell("answer = None", metadata={"tags": ["answer"], "exercise_id": "99.1"}),
        nbformat.v4.new_code_cell('check("99.1", answer)', metadata={"tags": ["exercise"], "exercise_id": "99.1"},
                                  execution_count=2,
                                  outputs=[nbformat.v4.new_output("stream", name="stdout",
                                                                  text="Exercise 99.1 · ⬜ not answered yet\n")]),
        nbformat.v4.new_markdown_cell("## Summary"),
    ]
    return nb


def test_student_copy_clears_outputs_only():
    nb = tiny_notebook()
    student = classroom.student_copy(nb)
    assert [c.source for c in student.cells] == [c.source for c in nb.cells]
    assert all(c.outputs == [] and c.execution_count is None for c in student.cells if c.cell_type == "code")
    assert "lepton" not in student.metadata
    assert student.metadata.widgets == nb.metadata.widgets, "the explorers' widget state: sliders that reopen"
    assert nb.cells[1].outputs and nb.cells[3].outputs, "the original must not change"
    nbformat.validate(student)


def test_command_writes_copies_and_protects_the_originals(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    classroom.main([])  # the default folder, every notebook
    assert sorted(p.name for p in (tmp_path / "student").iterdir()) == [p.name for p in PATHS]
    assert "outputs cleared" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        classroom.main([str(nbtools.NOTEBOOKS)])
    assert exit_info.value.code == 2
    assert "holds the original notebooks" in capsys.readouterr().err


def test_never_overwrites_changed_copies_without_force(tmp_path, capsys):
    folder, path = tmp_path / "handout", PATHS[0]
    (written,) = classroom.make_student_copies(folder, [path])
    classroom.make_student_copies(folder, [path])  # an unchanged copy: writing it again loses nothing
    written.write_text(written.read_text().replace("None", "42", 1))  # a student's answer
    work = written.read_text()
    with pytest.raises(SystemExit) as info:
        classroom.main([str(folder), str(path)])
    assert info.value.code == 2
    error = capsys.readouterr().err
    assert path.name in error and "--force" in error
    assert written.read_text() == work, "the student's work is still there"
    classroom.main([str(folder), str(path), "--force"])
    assert written.read_text() != work


def test_committed_student_copies_are_in_sync():
    stale = classroom.stale_student_copies()
    assert not stale, (f"notebooks/student/ is out of date for {stale}: run "
                       "`python -m lepton_helpers.course.classroom --sync` (nbtools sync does it too)")


def test_sync_notices_a_stale_copy(tmp_path):
    classroom.sync_student_copies(tmp_path)
    assert classroom.stale_student_copies(tmp_path) == []
    (tmp_path / PATHS[1].name).write_text("{}")
    (tmp_path / "99_extra.ipynb").write_text("{}")
    assert classroom.stale_student_copies(tmp_path) == sorted([PATHS[1].name, "99_extra.ipynb"])
    classroom.sync_student_copies(tmp_path)
    assert classroom.stale_student_copies(tmp_path) == []


@pytest.fixture(params=PATHS, ids=[p.name for p in PATHS])
def copies(request, tmp_path):
    """(original, student copy as written to disk) for one notebook."""
    path = request.param
    (written,) = classroom.make_student_copies(tmp_path / "student", [path])
    return nbformat.read(path, as_version=4), nbformat.read(written, as_version=4), written


def test_copy_is_the_original_with_outputs_cleared(copies):
    original, student, written = copies
    nbformat.validate(student)
    own, committed = f"/notebooks/{written.name})", f"/notebooks/student/{written.name})"
    assert own in original.cells[0].source and committed in student.cells[0].source, \
        "the student copy's Colab badge opens the student copy, not the original with its outputs"
    assert [c.source.replace(committed, own) for c in student.cells] == [c.source for c in original.cells]
    assert not any("solution" in tags(c) for c in original.cells), "solutions live in the exercise bank"
    assert sum("exercise" in tags(c) for c in student.cells) >= 2
    assert all(c.outputs == [] and c.execution_count is None for c in student.cells if c.cell_type == "code")


def test_copy_runs_from_a_fresh_kernel(copies, monkeypatch):
    original, student, written = copies
    if written.name not in QUICK and not RUN_ALL:
        pytest.skip("running this copy takes as long as nbval's run of the original; "
                    "LEPTON_CLASSROOM_ALL=1 pytest tests/test_classroom.py runs every copy")
    monkeypatch.setenv("LEPTON_DEVICE", "cpu")
    monkeypatch.setenv("LEPTON_DATA_DIR", str(nbtools.ROOT / "data"))
    NotebookClient(student, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(written.parent)}}).execute()  # raises on any error
    checked = []
    for cell in student.cells:
        assert "✅" not in "".join(o.get("text", "") for o in cell.get("outputs", [])), \
            f"a fresh student copy prints ✅:\n{cell.source[:300]}"
        printed = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout")
        if "exercise" in tags(cell):
            assert "not answered yet" in printed, \
                f"the exercise's check did not report an unanswered exercise:\n{cell.source[:300]}"
            status = parse_status_line(printed.splitlines()[0])  # the line the grader reads
            assert status == (cell.metadata["exercise_id"], "unanswered", ""), printed.splitlines()[0]
            checked.append(status[0])
    assert checked == [e.id for e in exercises(written.name[:2])], "every exercise is checked, in order"


def test_solutions_can_be_withheld(monkeypatch, capsys):
    from lepton_helpers.exercises import solution

    monkeypatch.setenv("LEPTON_WITHHOLD_SOLUTIONS", "1")
    solution("00.1")
    withheld = capsys.readouterr().out
    assert "withheld" in withheld and "bincount" not in withheld
    monkeypatch.delenv("LEPTON_WITHHOLD_SOLUTIONS")
    solution("00.1")
    assert "bincount" in capsys.readouterr().out
