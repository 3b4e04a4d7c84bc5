"""Every numbered notebook follows the collection's conventions and stores a clean, current run.

These read the committed .ipynb files (nbval, run by the same ``pytest``, re-executes them).
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys

import nbformat
import pytest

from lepton_helpers.course import nbtools
from lepton_helpers.pictures import PINNED_PREFIX
from lepton_helpers.course.tolerances import Tolerance
from lepton_helpers.course import cells as exercise_cells
from lepton_helpers.course.project import colab_badge, colab_setup_source

PATHS = nbtools.notebook_paths()
IGNORE_TAG = "nbval-ignore-output"
MACHINE_PATH = re.compile(r"/tmp/|/root\b|/home/|/work/|/content/|[A-Z]:\\\\Users")
DEVICE_REPR = re.compile(r"device\(type=|device='(cuda|mps)|cuda:\d")
TIMING = re.compile(r"\b\d+(\.\d+)?\s?(ms|µs|s|sec|seconds)\b(?!/)")


def load(path):
    return nbformat.read(path, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def output_text(cell) -> str:
    return json.dumps(cell.get("outputs", []), ensure_ascii=False)


def test_notebooks_exist():
    assert [p.name[:2] for p in PATHS][:2] == ["00", "01"]


@pytest.fixture(params=PATHS, ids=[p.name for p in PATHS])
def nb_path(request):
    return request.param


def test_header(nb_path):
    nb = load(nb_path)
    head = nb.cells[0].source
    assert nb.cells[0].cell_type == "markdown" and head.startswith("# "), "first cell must be the title"
    assert colab_badge(nb_path.name) in head, "Colab badge missing or stale: run `python -m lepton_helpers.course.nbtools sync`"
    assert re.search(r"^\*\*Run time:\*\* about \d+ s", head, re.MULTILINE), "no measured run time: run nbtools run"
    intro = "\n".join(c.source for c in nb.cells[:3] if c.cell_type == "markdown")
    for section in ("What you will learn", "Prerequisites"):
        assert section in intro, f"the introduction needs a '{section}' section"


def test_setup_cell_is_the_projects(nb_path):
    sources = [c.source for c in code_cells(load(nb_path))]
    assert sources[0] == colab_setup_source(nb_path.name), "the first code cell must be the Colab setup cell (nbtools sync)"


def test_exercises_and_summary(nb_path):
    """The exercise section is the bank's (answer cell + check cell per exercise, no solutions), then the summary."""
    nb = load(nb_path)
    problems = exercise_cells.out_of_sync(nb, exercise_cells.notebook_number(nb_path))
    assert not problems, "run `python -m lepton_helpers.course.cells sync`:\n" + "\n".join(problems)
    tags = [set(c.metadata.get("tags", [])) for c in nb.cells]
    assert not any("solution" in t for t in tags), "no solution cells: solutions live in the exercise bank"
    checks = [i for i, t in enumerate(tags) if "exercise" in t]
    assert len(checks) >= 2, "at least two exercises per notebook"
    for i in checks:
        answer = nb.cells[i - 1]
        assert "answer" in tags[i - 1] and answer.metadata["exercise_id"] == nb.cells[i].metadata["exercise_id"], \
            "each check cell follows its answer cell"
        assert nb.cells[i].source.startswith(f'check("{answer.metadata["exercise_id"]}", ')
    assert nb.cells[-1].cell_type == "markdown" and "## Summary" in nb.cells[-1].source


def test_stored_run_is_clean_and_in_order(nb_path):
    nb = load(nb_path)
    counts = [c.execution_count for c in code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), "re-run top to bottom: python -m lepton_helpers.course.nbtools run"
    for cell in code_cells(nb):
        expected_error = "raises-exception" in cell.metadata.get("tags", [])
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert bool(errors) == expected_error, f"unexpected stored error output in:\n{cell.source[:200]}"
        streams = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")
        assert "Warning" not in streams, f"a warning is stored in the outputs of:\n{cell.source[:200]}"


def test_no_machine_specific_output(nb_path):
    for cell in code_cells(load(nb_path)):
        text = output_text(cell)
        assert not MACHINE_PATH.search(text), f"a machine path in the output of:\n{cell.source[:200]}"
        assert not DEVICE_REPR.search(text), f"a device repr in the output of:\n{cell.source[:200]}"
        tolerance = Tolerance.of(cell.metadata)
        if IGNORE_TAG not in cell.metadata.get("tags", []) and not (tolerance and tolerance.clock):
            compared = json.dumps([o.get("text", o.get("data", {}).get("text/plain", "")) for o in cell.outputs])
            assert not TIMING.search(compared), (f"a timing in a compared output (give timings a cell of their own "
                                                 f"with a clock tolerance) of:\n{cell.source[:200]}")


def test_every_exclusion_has_a_reason(nb_path):
    for cell in load(nb_path).cells:
        if IGNORE_TAG in cell.metadata.get("tags", []):
            reason = cell.metadata.get("nbval_ignore_reason", "")
            assert len(reason) > 10, f"cell tagged {IGNORE_TAG} without a 'nbval_ignore_reason':\n{cell.source[:200]}"
        assert "NBVAL_IGNORE_OUTPUT" not in cell.source, "use the tag with a reason, not the comment marker"


def test_in_sync_and_renderable_on_github(nb_path):
    nb = load(nb_path)
    if "widgets" in nb.metadata:  # only the explorers' pinned state, and never without state (GitHub refuses that)
        kept = nb.metadata.widgets.get(nbtools.WIDGET_STATE, {}).get("state")
        assert kept and all(model_id.startswith(PINNED_PREFIX) for model_id in kept), "run `nbtools sync`"
        references = set(re.findall(r"IPY_MODEL_([\w-]+)", json.dumps(kept)))
        assert references <= set(kept), f"restoring the sliders needs the state of {sorted(references - set(kept))}"
    views = [c for c in code_cells(nb) if any(nbtools.WIDGET_VIEW in o.get("data", {}) for o in c.outputs)]
    assert not views, "a stored widget view cannot render without its state: run `python -m lepton_helpers.course.nbtools sync`"
    synced = copy.deepcopy(nb)
    nbtools.sync_notebook(synced, nb_path.name, nbtools.runtime_table(PATHS))
    assert [c.source for c in synced.cells] == [c.source for c in nb.cells], "run `python -m lepton_helpers.course.nbtools sync`"
    assert nb_path.stat().st_size < 3_000_000, "notebook over 3 MB: lower figure sizes or dpi"


def test_readme_table_in_sync():
    text = (nbtools.ROOT / "README.md").read_text()
    assert nbtools.runtime_table(PATHS) in text, "run `python -m lepton_helpers.course.nbtools sync`"


def test_readme_benchmark_table_is_the_recorded_run():
    text = (nbtools.ROOT / "README.md").read_text()
    table = nbtools.benchmark_section()
    assert f"{nbtools.BENCH_START}\n{table}\n{nbtools.BENCH_END}" in text, \
        "README.md's benchmark table differs from the records: run `python -m lepton_helpers.course.nbtools sync`"
    for rung in ("articles' recipe", "standard DataLoader path", "helpers' loop", "fastest step", "MLPClassifier"):
        assert rung in table


def _cpu_capability(env: dict[str, str]) -> str:
    code = "import torch; print(torch.backends.cpu.get_cpu_capability())"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_notebooks_are_checked_with_other_rounding():
    """The kernels nbval starts inherit ATEN_CPU_CAPABILITY (tests/conftest.py), so they run other
    CPU kernels than the machine's best, which wrote the stored outputs (nbtools run)."""
    inherited = _cpu_capability(dict(os.environ))
    native = _cpu_capability({k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"})
    if native == "DEFAULT" == inherited:
        pytest.skip("this CPU has only PyTorch's plain kernels: the check runs with the stored run's rounding")
    assert inherited != native, f"notebook kernels would use {native}, the kernels that wrote the stored outputs"


def test_only_the_gpu_notebooks_ask_colab_for_a_gpu(nb_path):
    from lepton_helpers.course.project import GPU_NOTEBOOKS

    asks = load(nb_path).metadata.get("accelerator") == "GPU"
    assert asks == (nb_path.name in GPU_NOTEBOOKS), "run `python -m lepton_helpers.course.nbtools sync`"
