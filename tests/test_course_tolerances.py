"""The tolerance measurement (python -m lepton_helpers.course.tolerances): census, proposals, writing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from lepton_helpers.course import lock, tolerances
from lepton_helpers.course.tolerances import IGNORE_REASON, IGNORE_TAG, TOLERANCE_KEY, Tolerance


def notebook(path, cells: dict[str, str | list], metadata: dict[str, dict] | None = None):
    """A notebook at ``path`` whose code cells (id -> stored stdout, or a list of outputs) ran in order."""
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    for count, (cell_id, stored) in enumerate(cells.items(), start=1):
        outputs = stored if isinstance(stored, list) else [new_output("stream", name="stdout", text=stored)]
        cell = new_code_cell(f"show({cell_id!r})", id=cell_id, execution_count=count, outputs=outputs)
        cell.metadata.update((metadata or {}).get(cell_id, {}))
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


def ignored(reason: str) -> dict:
    return {"tags": [IGNORE_TAG], IGNORE_REASON: reason}


def test_census_sorts_ignored_cells_by_their_reason(tmp_path):
    path = notebook(tmp_path / "01_x.ipynb", {c: "1\n" for c in "abcdef"}, {
        "a": ignored("accuracies differ in the last digits between CPU and GPU runs"),
        "b": ignored("wall-clock timings differ from run to run"),
        "c": ignored("accuracies differ in the last digits; the seconds are wall-clock timings"),
        "d": ignored("training numbers differ in the last digits (and tqdm shows timings)"),
        "e": ignored("the widget's text/plain representation differs between ipywidgets 7 and 8"),
    })
    kinds = {kind: [cell_id for _, _, cell_id, _ in cells] for kind, cells in tolerances.census([path]).items()}
    assert kinds == {"float drift only": ["a", "d"], "wall-clock only": ["b"], "float drift and wall-clock": ["c"],
                     "other (versions, widgets, GPU presence)": ["e"]}


@pytest.fixture
def measured(tmp_path):
    """Reports for a stored notebook and two executed copies that differ as real runs do."""
    stored = {"drift": "val acc 94.40%, loss 0.2315\n", "clock": "took 2.719 ms\n", "flip": "test accuracy 94.6%\n",
              "word": "the claim HOLDS: 94.4%\n", "same": "20 epochs\n", "accs": "val 94.40%, test 93.65%\n"}
    default = {**stored, "drift": "val acc 94.30%, loss 0.2318\n", "flip": "test accuracy 93.9%\n",
               "word": "the claim FAILS: 94.3%\n", "accs": "val 94.30%, test 93.75%\n"}
    native = {**stored, "clock": "took 2.794 ms\n"}
    path = notebook(tmp_path / "nb.ipynb", stored, {"drift": ignored("training numbers differ in the last digits"),
                                                    "same": ignored("epochs from training differ in the last digits"),
                                                    "word": ignored("the widget's text differs between versions")})
    runs = {"default": notebook(tmp_path / "nb.default.ipynb", default), "native": notebook(tmp_path / "nb.native.ipynb", native)}
    return path, {report.id: report for report in tolerances.measure(path, runs)}


def test_moved_numbers_get_the_measured_tolerance(measured):
    _, reports = measured
    drift = reports["drift"]
    assert drift.status == "numbers" and drift.ignored == "training numbers differ in the last digits"
    assert [(m.stored.printed, m.values, m.move) for m in drift.moved] == [
        ("94.40", [tolerances.Decimal("94.30"), tolerances.Decimal("94.40")], tolerances.Decimal("0.10")),
        ("0.2315", [tolerances.Decimal("0.2318"), tolerances.Decimal("0.2315")], tolerances.Decimal("0.0003"))]
    assert {k: v for k, v in drift.proposal.items() if k != "reason"} == {"rtol": 0.0013, "cap": 0.5}, \
        "numbers of different scales: relative, 0.0003 / 0.2315 rounded up; percentages: capped"
    assert "up to 0.10" in drift.proposal["reason"] and Tolerance.of({TOLERANCE_KEY: drift.proposal})
    assert {k: v for k, v in reports["accs"].proposal.items() if k != "reason"} == {"atol": 0.1, "cap": 0.5}
    assert reports["same"].status == "same" and reports["same"].proposal is None


def test_accuracies_beside_their_standard_error_get_an_absolute_tolerance(tmp_path):
    """Both move by 0.01: relative to the small standard error that is 5%, which would let the accuracy
    move by 4.8 points; so the proposal is absolute."""
    stored = {"acc": "fused 96.37 vs layer 1 95.12: difference +1.25 ± 0.20 points\n"}
    moved = {"acc": "fused 96.38 vs layer 1 95.12: difference +1.26 ± 0.21 points\n"}
    path = notebook(tmp_path / "nb.ipynb", stored)
    [report] = tolerances.measure(path, {"default": notebook(tmp_path / "nb.default.ipynb", moved)})
    assert {k: v for k, v in report.proposal.items() if k != "reason"} == {"atol": 0.01}


def test_no_tolerance_for_timings_text_changes_or_accuracies_over_the_cap(measured):
    _, reports = measured
    assert reports["clock"].proposal is None and "same kernels" in reports["clock"].notes[0]
    assert reports["flip"].proposal is None and "moved by 0.7 points" in reports["flip"].notes[0]
    assert reports["word"].status == "text" and "HOLDS" in reports["word"].detail and reports["word"].proposal is None


def test_write_stores_proposals_under_the_lock_and_spares_changed_cells(measured, tmp_path, monkeypatch):
    path, reports = measured
    before = nbformat.read(path, as_version=4)
    fingerprints = {c.id: tolerances._fingerprint(c) for c in before.cells}
    fingerprints["accs"] = "measured before someone re-ran the notebook"
    monkeypatch.setattr(lock, "LOCK", tmp_path / "nb.lock")
    with lock.notebook_lock(tmp_path / "nb.lock"):
        done: list[str] = []
        writer = threading.Thread(target=lambda: done.extend(tolerances.write(path, list(reports.values()), fingerprints, None)))
        writer.start()
        writer.join(0.5)
        assert writer.is_alive() and nbformat.read(path, as_version=4) == before, "wrote without the lock"
    writer.join(10)
    cells = {c.id: c for c in nbformat.read(path, as_version=4).cells}
    assert cells["drift"].metadata == {TOLERANCE_KEY: reports["drift"].proposal}, "tolerance in, ignore tag and reason out"
    assert TOLERANCE_KEY not in cells["accs"].metadata and any("left alone" in line for line in done)
    assert cells["same"].metadata == {} and "cell 4 (same): identical in every run, compared exactly" in done, \
        "ignored for drift that no run showed: compared exactly"
    assert cells["word"].metadata["tags"] == [IGNORE_TAG], "ignored for another cause: left ignored"
    assert [c.outputs for c in cells.values()] == [c.outputs for c in before.cells]


def test_measure_command_reports_and_writes_only_the_chosen_cells(measured, tmp_path, monkeypatch, capsys):
    path, reports = measured
    monkeypatch.setattr(lock, "LOCK", tmp_path / "nb.lock")
    tolerances.main(["measure", str(path), "--runs", "--copy", str(tmp_path / "nb.default.ipynb"),
                     str(tmp_path / "nb.native.ipynb"), "--keep", str(tmp_path / "keep"), "--write", "--cells", "accs"])
    out = capsys.readouterr().out
    assert "nb.ipynb: 4 cells with moved numbers, 1 with other text" in out and "same kernels" in out
    cells = {c.id: c.metadata for c in nbformat.read(path, as_version=4).cells}
    assert list(cells["accs"]) == [TOLERANCE_KEY] and TOLERANCE_KEY not in cells["drift"]
    assert cells["accs"][TOLERANCE_KEY]["atol"] == 0.1 and "(nb.default, nb.native)" in cells["accs"][TOLERANCE_KEY]["reason"]


@pytest.mark.notebooks
def test_copies_run_with_the_chosen_cpu_kernels(tmp_path):
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [new_code_cell("import os; print(os.environ.get('ATEN_CPU_CAPABILITY'), os.environ['LEPTON_DEVICE'])")]
    nbformat.write(nb, tmp_path / "nb.ipynb")
    for name, capability in tolerances.RUNS.items():
        out = tolerances.execute(tmp_path / "nb.ipynb", tmp_path / f"nb.{name}.ipynb", capability)
        assert nbformat.read(out, as_version=4).cells[0].outputs[0].text == f"{capability} cpu\n"
    assert nbformat.read(tmp_path / "nb.ipynb", as_version=4).cells[0].outputs == [], "the original is never run"


def test_the_readme_states_how_many_cells_are_still_ignored():
    from lepton_helpers.course import nbtools

    count = sum(len(cells) for cells in tolerances.census(nbtools.notebook_paths()).values())
    readme = (nbtools.ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"(\d+) cells tagged `nbval-ignore-output`", readme)
    assert stated, "README.md no longer says how many cells are tagged nbval-ignore-output"
    assert int(stated.group(1)) == count, f"README.md says {stated.group(1)} ignored cells, the notebooks have {count}"


def test_the_nbval_plugin_imports_where_there_is_no_fcntl():
    """Windows has no fcntl: pytest loads the plugin (and so this module) at start-up there too."""
    tests = str(Path(__file__).parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [tests, os.environ.get("PYTHONPATH")]))}
    code = "import sys; sys.modules['fcntl'] = None; import nbval_tolerance; print('imported')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.stdout.strip() == "imported", result.stderr[-2000:]


def test_notebook_lock_excludes_a_second_holder(tmp_path):
    path, entered = tmp_path / "nb.lock", threading.Event()
    def second():
        with lock.notebook_lock(path):
            entered.set()
    with lock.notebook_lock(path):
        waiter = threading.Thread(target=second)
        waiter.start()
        assert not entered.wait(0.5), "took a lock that was held"
    assert entered.wait(10)
    waiter.join()
