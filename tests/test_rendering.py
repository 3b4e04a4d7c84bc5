"""The committed notebooks as a reader without a kernel sees them (GitHub, nbviewer, a course website).

Each notebook is exported with nbconvert's HTML exporter and opened in headless Chromium (the one the
browser test uses; no browser is ever downloaded). In every notebook, each explorer cell shows a
picture and no widget's text repr (``VBox(children=...``), and no stored progress bar reads 0%: the
outputs that ``python -m lepton_helpers.course.nbtools run`` stores are what the widgets showed last.

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


@pytest.fixture
def exported(browser, tmp_path, request):  # noqa: F811 (browser is the imported fixture)
    """Open a notebook's HTML export; return the page and the notebook."""
    path = request.param
    nb = nbformat.read(path, as_version=4)
    html, _ = HTMLExporter().from_notebook_node(nb)
    page_path = tmp_path / f"{path.stem}.html"
    page_path.write_text(html, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, offline=True)  # as GitHub: no kernel
    page = context.new_page()
    page.goto(page_path.as_uri(), wait_until="domcontentloaded")
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
