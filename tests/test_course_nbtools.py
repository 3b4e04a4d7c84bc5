"""nbtools: what ``run`` and ``sync`` store for widgets, and the setup cell and runtime they write.

The stored outputs are for readers without a kernel (GitHub, nbviewer, an HTML export): each widget
output becomes what it showed last, a picture and a text line, and no widget view is left.
"""

import base64
import copy
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

from lepton_helpers.course import nbtools, project
from lepton_helpers.pictures import K_STOPS, SLIDERS_TEXT, ActivationExplorer

TQDM_STATE = {  # a finished tqdm.notebook bar as nbclient stores it: label, progress, counts (HTML, wide spaces)
    "bar": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_left", "IPY_MODEL_progress", "IPY_MODEL_right"]}},
    "left": {"model_name": "HTMLModel", "state": {"value": "ReLU:\u2007100%"}},
    "progress": {"model_name": "FloatProgressModel", "state": {"min": 0, "max": 5, "value": 5}},
    "right": {"model_name": "HTMLModel", "state": {"value": "\u20075/5\u2007[00:01&lt;00:00,\u2007\u20073.12it/s]"}},
}


def widget_output(model_id: str, text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data={
        nbtools.WIDGET_VIEW: {"model_id": model_id, "version_major": 2, "version_minor": 0}, "text/plain": text})


def notebook_with(outputs, state) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("...", outputs=outputs)]
    nb.metadata.widgets = {nbtools.WIDGET_STATE: {"state": state, "version_major": 2, "version_minor": 0}}
    return nb


def test_a_stored_progress_bar_shows_its_final_state():
    nb = notebook_with([widget_output("bar", "ReLU:   0%|          | 0/5 [00:00<?, ?it/s]")], TQDM_STATE)
    nbtools.freeze_widgets(nb)
    (output,) = nb.cells[0].outputs
    assert output.data == {"text/plain": "ReLU: 100%|██████████| 5/5 [00:01<00:00,  3.12it/s]"}
    assert "widgets" not in nb.metadata


def test_an_unfinished_bar_and_a_view_without_state():
    state = copy.deepcopy(TQDM_STATE)
    state["progress"]["state"]["value"] = 3
    nb = notebook_with([widget_output("bar", "first"), widget_output("gone", "VBox(...)")], state)
    nbtools.freeze_widgets(nb)
    first, gone = nb.cells[0].outputs
    assert first.data["text/plain"].startswith("ReLU: 100%|██████    |")  # 3 of 5: six of ten cells, floored
    assert gone.data == {"text/plain": "VBox(...)"}, "no state: the view goes, the other representations stay"


def test_nbval_compares_a_stored_final_bar_with_a_fresh_first_bar():
    """A fresh run's bar shows its first state, the stored one its last: nbval's sanitisers make them
    equal, and still tell bars of different lengths apart."""
    patterns = get_sanitize_patterns((Path(__file__).parent / "nbval_sanitize.cfg").read_text())

    def sanitized(text: str) -> str:
        for regex, replacement in patterns:
            text = re.sub(regex, replacement, text)
        return text

    nb = notebook_with([widget_output("bar", "")], TQDM_STATE)
    nbtools.freeze_widgets(nb)
    stored = nb.cells[0].outputs[0].data["text/plain"]
    fresh = "ReLU:   0%|          | 0/5 [00:00<?, ?it/s]"  # tqdm's text when the bar is displayed
    assert sanitized(stored) == sanitized(fresh) != sanitized(fresh.replace("0/5", "0/6"))


def test_sync_asks_colab_for_a_gpu_runtime_on_gpu_notebooks_only():
    for name in ("08_efficient_computing.ipynb", "02_lepton_activation.ipynb"):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("# Setup: in Google Colab, old")]
        nbtools.sync_notebook(nb, name, table="")
        assert nb.cells[1].source == project.colab_setup_source(name) and nb.cells[1].metadata["jupyter"]["source_hidden"]
        gpu = name in project.GPU_NOTEBOOKS
        assert (nb.metadata.get("accelerator") == "GPU") == gpu
        assert (nb.metadata.get("colab", {}).get("gpuType") == nbtools.COLAB_GPU_TYPE) == gpu


BAR_AND_IMPORT = ("from tqdm.auto import tqdm\nfrom lepton_helpers.pictures import ActivationExplorer\n"
                  "for _ in tqdm(range(3), desc='steps'):\n    pass")


def run_cells(path: Path, *sources: str) -> nbformat.NotebookNode:
    """A notebook of these code cells, run by ``nbtools.run`` in a real kernel, as it stored it."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, path)
    nbtools.run(path)
    return nbformat.read(path, as_version=4)


@pytest.mark.notebooks
def test_run_stores_the_last_frame_of_every_widget(tmp_path):
    """A real kernel: a progress bar, an explorer displayed and then moved by a later cell."""
    stored = run_cells(tmp_path / "widgets.ipynb", BAR_AND_IMPORT, "explorer = ActivationExplorer(k=2.0)\nexplorer",
                       "explorer.k_slider.value = 8.0")
    bar, shown, moved = (cell.outputs for cell in stored.cells)
    assert [o.data["text/plain"].split(" [")[0] for o in bar] == ["steps: 100%|██████████| 3/3"]
    sliders, readout, picture = shown  # the sliders' view becomes their text; readout and picture were updated
    assert sliders.data == {"text/plain": SLIDERS_TEXT}
    assert readout.data["text/plain"] == picture.data["text/plain"] == "k = 8  ·  θ = 0  ·  slope at x = θ: f'(θ) = k/4 = 2"
    frame = base64.b64decode(picture.data["image/png"])
    assert frame == ActivationExplorer(k=8.0).picture, "the picture of the last slider position"
    assert frame != ActivationExplorer(k=2.0).picture
    assert moved == []
    assert not any(nbtools.WIDGET_VIEW in o.get("data", {}) for c in stored.cells for o in c.outputs)
    assert "widgets" not in stored.metadata and stored.metadata.lepton.cpu_seconds > 0


@pytest.mark.notebooks
def test_run_keeps_the_state_of_a_named_explorers_widgets_and_nothing_else(tmp_path):
    """The state that lets JupyterLab draw the sliders again after a reopen without saved widget state."""
    stored = run_cells(tmp_path / "named.ipynb", BAR_AND_IMPORT, "explorer = ActivationExplorer(k=2.0, name='test')\nexplorer",
                       "explorer = ActivationExplorer(k=4.0, name='test')\nexplorer")  # run again: the same ids
    state = stored.metadata.widgets[nbtools.WIDGET_STATE]["state"]
    assert sorted(state) == sorted(f"lepton-test-{part}" for part in (
        "sliders", "sliders-layout", "k", "k-layout", "k-style", "theta", "theta-layout", "theta-style"))
    box, k = state["lepton-test-sliders"], state["lepton-test-k"]
    assert box["model_name"] == "HBoxModel" and box["state"]["children"] == ["IPY_MODEL_lepton-test-k",
                                                                                "IPY_MODEL_lepton-test-theta"]
    assert k["state"]["layout"] == "IPY_MODEL_lepton-test-k-layout" and k["state"]["index"] == K_STOPS.index(4.0)
    assert k["state"]["disabled"] and state["lepton-test-theta"]["state"]["disabled"], "inactive until run again"
    nbformat.validate(stored)
    again = copy.deepcopy(stored)
    nbtools.freeze_widgets(again)
    assert again.metadata == stored.metadata, "sync keeps it as run stored it"


def test_run_sets_the_kernels_environment_and_leaves_the_callers_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.delenv("LEPTON_DEVICE", raising=False)
    before = dict(os.environ)
    path = tmp_path / "env.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import os\nprint(os.environ['OMP_NUM_THREADS'], os.environ['LEPTON_DEVICE'])")]
    nbformat.write(nb, path)
    nbtools.run(path)
    (printed,) = nbformat.read(path, as_version=4).cells[0].outputs
    assert printed.text.split() == [nbtools.KERNEL_ENV["OMP_NUM_THREADS"], nbtools.KERNEL_ENV["LEPTON_DEVICE"]]
    assert dict(os.environ) == before
