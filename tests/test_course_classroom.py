"""Student copies: valid notebooks without solutions, whose remaining cells still run.

Three checks per notebook: the copy is the original minus its solution cells, with outputs
cleared; no cell after a removed solution reads a name that only the solution defined (a static
data-flow check, fast enough for every notebook); and the copy runs from a fresh kernel without an
error, each exercise's self-check saying "not answered yet". Running copies costs what nbval costs
for the originals, so by default only the quick first notebooks run; LEPTON_CLASSROOM_ALL=1 runs
every copy.
"""

from __future__ import annotations

import ast
import os

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from nbclient import NotebookClient

from lepton_helpers.course import classroom, nbtools

PATHS = nbtools.notebook_paths()
RUN_ALL = os.environ.get("LEPTON_CLASSROOM_ALL") == "1"
QUICK = {"00_start_here.ipynb", "01_data_preprocessing.ipynb"}


def tags(cell) -> set[str]:
    return set(cell.metadata.get("tags", []))


def tiny_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["lepton"] = {"cpu_seconds": 3.0}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 99 · Tiny\n## Exercises\n**Exercise 1.** Double 21."),
        nbformat.v4.new_code_cell("x = 21", execution_count=1,
                                  outputs=[nbformat.v4.new_output("stream", name="stdout", text="ok\n")]),
        nbformat.v4.new_code_cell("answer = ...\ncheck(answer, 42, hint='2 * x')", metadata={"tags": ["exercise"]}),
        nbformat.v4.new_code_cell("# @title Solution to exercise 1 (click to reveal)\nanswer = 2 * x",
                                  metadata={"tags": ["solution"], "jupyter": {"source_hidden": True}}),
        nbformat.v4.new_markdown_cell("## Summary"),
    ]
    return nb


def test_student_copy_removes_solutions_and_outputs_only():
    nb = tiny_notebook()
    student = classroom.student_copy(nb)
    assert [c.source for c in student.cells] == [nb.cells[i].source for i in (0, 1, 2, 4)]
    assert student.cells[1].outputs == [] and student.cells[1].execution_count is None
    assert "lepton" not in student.metadata
    assert len(nb.cells) == 5 and nb.cells[1].outputs, "the original must not change"
    nbformat.validate(student)


def test_command_writes_copies_and_protects_the_originals(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    classroom.main([])  # the default folder, every notebook
    assert sorted(p.name for p in (tmp_path / "student").iterdir()) == [p.name for p in PATHS]
    assert "solutions removed" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        classroom.main([str(nbtools.NOTEBOOKS)])
    assert exit_info.value.code == 2
    assert "holds the original notebooks" in capsys.readouterr().err


@pytest.fixture(params=PATHS, ids=[p.name for p in PATHS])
def copies(request, tmp_path):
    """(original, student copy as written to disk) for one notebook."""
    path = request.param
    (written,) = classroom.make_student_copies(tmp_path / "student", [path])
    return nbformat.read(path, as_version=4), nbformat.read(written, as_version=4), written


def test_copy_is_the_original_without_solutions(copies):
    original, student, _ = copies
    nbformat.validate(student)
    kept = [c for c in original.cells if "solution" not in tags(c)]
    assert [c.source for c in student.cells] == [c.source for c in kept]
    assert not any("solution" in tags(c) or c.source.startswith("# @title Solution") for c in student.cells)
    assert sum("exercise" in tags(c) for c in student.cells) == sum("exercise" in tags(c) for c in original.cells) > 0
    assert all(c.outputs == [] and c.execution_count is None for c in student.cells if c.cell_type == "code")


def names(source: str) -> tuple[set[str], set[str]]:
    """The names a cell binds and the names it reads (IPython syntax such as ``%time`` or ``!cmd`` allowed)."""
    tree = ast.parse(TransformerManager().transform_cell(source))
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif code := _code_of_timing_magic(node):  # %time x = f(y): the code is a string argument
            inner_bound, inner_read = names(code)
            bound |= inner_bound
            read |= inner_read
    return bound, read


def _code_of_timing_magic(node) -> str | None:
    """The Python code that ``%time``/``%%time`` (after IPython's transformation) runs, else None."""
    if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("run_line_magic", "run_cell_magic")):
        return None
    arguments = [a.value for a in node.args if isinstance(a, ast.Constant)]
    return arguments[-1] if arguments and arguments[0] == "time" else None


def reads_of_removed_solutions(nb) -> list[tuple[str, set[str]]]:
    """(cell source, names) for each cell that reads names which only a solution cell before it defined."""
    defined, only_in_solutions, problems = set(), set(), []
    for cell in (c for c in nb.cells if c.cell_type == "code"):
        bound, read = names(cell.source)
        if "solution" in tags(cell):
            only_in_solutions |= bound - defined
            continue
        if missing := (read - bound) & only_in_solutions:
            problems.append((cell.source, missing))
        defined |= bound
        only_in_solutions -= bound
    return problems


def test_the_data_flow_check_finds_a_cell_that_needs_a_solution():
    nb = tiny_notebook()
    assert reads_of_removed_solutions(nb) == []
    nb.cells.insert(4, nbformat.v4.new_code_cell("print(answer + x)"))  # "answer" is bound by the exercise stub
    assert reads_of_removed_solutions(nb) == []
    nb.cells[3].source += "\ndoubled = [2 * v for v in range(3)]"
    nb.cells.insert(5, nbformat.v4.new_code_cell("%time total = sum(doubled)"))
    assert reads_of_removed_solutions(nb) == [("%time total = sum(doubled)", {"doubled"})]


def test_no_cell_reads_what_only_a_removed_solution_defined(copies):
    original, _, _ = copies
    for source, missing in reads_of_removed_solutions(original):
        pytest.fail(f"in the student copy this cell reads {sorted(missing)}, defined only by a solution:\n{source[:300]}")


def test_copy_runs_from_a_fresh_kernel(copies, monkeypatch):
    original, student, written = copies
    if written.name not in QUICK and not RUN_ALL:
        pytest.skip("running this copy takes as long as nbval's run of the original; "
                    "LEPTON_CLASSROOM_ALL=1 pytest tests/test_classroom.py runs every copy")
    monkeypatch.setenv("LEPTON_DEVICE", "cpu")
    monkeypatch.setenv("LEPTON_DATA_DIR", str(nbtools.ROOT / "data"))
    NotebookClient(student, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(written.parent)}}).execute()  # raises on any error
    for cell in student.cells:
        if "exercise" in tags(cell):
            printed = "".join(o.get("text", "") for o in cell.outputs)
            assert "not answered yet" in printed or "returns nothing yet" in printed, \
                f"the exercise's self-check did not report an unanswered exercise:\n{cell.source[:300]}"
