"""The committed notebooks as a reader without a kernel sees them (GitHub, nbviewer, a course website).

Each notebook is exported with nbconvert's HTML exporter and opened in headless Chromium (the one the
browser test uses; no browser is ever downloaded). In every notebook, each explorer cell shows a
picture and no widget's text repr (``VBox(children=...``), and no stored progress bar reads 0%: the
outputs that ``python -m lepton_helpers.course.nbtools run`` stores are what the widgets showed last.
A small notebook run by ``nbtools run`` here shows a finished bar's text line and an explorer's sliders
line, readout and picture.

``LEPTON_RENDER_NOTEBOOKS`` names another folder of notebooks to check (for example copies run by
``nbtools.run`` before the committed ones are re-run).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter

from lepton_helpers.course import nbtools
from test_browser import browser  # noqa: F401 (the fixture: Chromium as the browser test launches it)

pytestmark = pytest.mark.browser

FOLDER = os.environ.get("LEPTON_RENDER_NOTEBOOKS")
PATHS = sorted(Path(FOLDER).glob("[0-9][0-9]_*.ipynb")) if FOLDER else nbtools.notebook_paths()
EXPLORER = re.compile(r"\b\w*Explorer\(")  # a cell that makes a slider explorer (pictures.SliderPicture)
WIDGET_REPR = re.compile(r"\b[VH]Box\(")
UNSTARTED_BAR = re.compile(r"(?<![\d.])0%\|")  # tqdm's text bar before its first step
OUTPUT_TEXTS = "els => els.map(el => el.innerText)"
IMAGE_SHOWN = "img => img.complete && img.naturalWidth > 0"


def open_export(browser, nb, page_path: Path):  # noqa: F811 (browser is the imported fixture)
    """Write ``nb``'s HTML export to ``page_path`` and open it offline, as GitHub shows it: no kernel."""
    html, _ = HTMLExporter().from_notebook_node(nb)
    page_path.write_text(html, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, offline=True)
    page = context.new_page()
    page.goto(page_path.as_uri(), wait_until="domcontentloaded")
    return context, page


@pytest.fixture
def exported(browser, tmp_path, request):  # noqa: F811 (browser is the imported fixture)
    """Open a notebook's HTML export; return the page and the notebook."""
    path = request.param
    nb = nbformat.read(path, as_version=4)
    context, page = open_export(browser, nb, tmp_path / f"{path.stem}.html")
    yield page, nb
    context.close()


@pytest.mark.parametrize("exported", PATHS, ids=[p.name for p in PATHS], indirect=True)
def test_a_reader_without_a_kernel_sees_pictures_and_finished_progress_bars(exported):
    page, nb = exported
    explorers = [cell for cell in nb.cells if cell.cell_type == "code" and EXPLORER.search(cell.source)]
    for cell in explorers:
        outputs = page.locator(f'[id="cell-id={cell.id}"] .jp-OutputArea')
        first_line = cell.source.splitlines()[0]
        assert outputs.locator("img").count() >= 1, f"the explorer cell `{first_line}` shows no picture"
        for image in outputs.locator("img").all():
            assert image.evaluate(IMAGE_SHOWN), f"the explorer cell `{first_line}` shows a picture that does not load"
    texts = page.locator(".jp-OutputArea-output").evaluate_all(OUTPUT_TEXTS)
    reprs = [t for t in texts if WIDGET_REPR.search(t)]
    assert not reprs, f"a widget's text repr instead of what it showed: {reprs[0][:120]!r}"
    unstarted = [line for t in texts for line in t.splitlines() if UNSTARTED_BAR.search(line)]
    assert not unstarted, f"{len(unstarted)} stored progress bars read 0%, e.g. {unstarted[0]!r}"


@pytest.mark.notebooks
def test_what_nbtools_run_stores_renders_in_an_html_export(browser, tmp_path, monkeypatch):  # noqa: F811
    """A notebook with the helpers' progress bars and the Lepton explorer, run and stored by ``nbtools run``."""
    from lepton_helpers.pictures import SLIDERS_TEXT

    monkeypatch.setenv("LEPTON_DEVICE", "cpu")
    path = tmp_path / "widgets.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in (
        "from lepton_helpers.pictures import ActivationExplorer, tqdm\nfor _ in tqdm(range(3), desc='steps'):\n    pass",
        "explorer = ActivationExplorer(k=2.0, theta=0.5)\nexplorer")]), path)
    nbtools.run(path)
    nb = nbformat.read(path, as_version=4)
    context, page = open_export(browser, nb, tmp_path / "widgets.html")
    try:
        bar, explorer = (page.locator(f'[id="cell-id={cell.id}"] .jp-OutputArea') for cell in nb.cells)
        assert bar.locator(".jp-OutputArea-output").inner_text().startswith("steps: 100%|██████████| 3/3")
        sliders, readout, _ = explorer.locator(".jp-OutputArea-output").all_inner_texts()
        assert (sliders, readout) == (SLIDERS_TEXT, "k = 2  ·  θ = 0.5  ·  slope at x = θ: f'(θ) = k/4 = 0.5")
        assert explorer.locator("img").count() == 1 and explorer.locator("img").evaluate(IMAGE_SHOWN)
    finally:
        context.close()
