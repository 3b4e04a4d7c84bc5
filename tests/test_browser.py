"""The notebooks in a real browser: JupyterLab 4 in headless Chromium, driven by playwright-python.

What it proves, on the stack self-learners use (JupyterLab 4, ipywidgets 8):

* a notebook run with the menu's Run > Run All Cells (a small one made here that trains with the
  helpers' progress bars and shows the Lepton explorer, and notebook 02 itself): every cell runs
  without an error (checked in the notebook JupyterLab saves), and moving the explorer's k and θ
  sliders with the keyboard redraws the curves (the PNG's bytes change) and updates the readout
  (one arrow key moves k to the next stop: 1 -> 1.5 -> 2, whose slope k/4 reads 0.5);
* saved and reopened with a fresh kernel, with JupyterLab's default settings (no widget state
  saved), as a learner does the next day: every progress bar reads as its final text line and the
  explorer's readout and picture are still shown. Notebook 02's sliders come back too, greyed out,
  drawn from the state of their fixed model ids that the notebook keeps (``pictures.pinned``), and
  they move the picture again once their cell runs in the new kernel; no "Error displaying widget". A
  learner's own notebook has no such state: there a widget view whose model is gone shows "Error
  displaying widget: model not found" (JupyterLab never falls back to its other representations),
  one line per explorer, nothing else. With Settings > Save Widget State Automatically on, the
  sliders come back everywhere, as they were left;
* every notebook, opened with its stored outputs and a live kernel, renders every cell and figure
  without a JavaScript error and without a widget placeholder ("Error displaying widget").

JupyterLab serves a temporary copy of ``notebooks/`` (``LEPTON_DATA_DIR`` points at ``data/``) on
127.0.0.1, a free port and a random token, with its own settings and workspaces, so the committed
notebooks and the user's JupyterLab setup are never touched. Screenshots are saved in
``screenshots/`` (gitignored; ``LEPTON_SCREENSHOTS`` names another folder).

Needs Chromium and playwright-python; no browser is ever downloaded::

    sudo apt-get install chromium                       # Debian/Ubuntu; or set LEPTON_CHROMIUM
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 pip install playwright
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from lepton_helpers.course import nbtools

ENABLE = ("sudo apt-get install chromium (or set LEPTON_CHROMIUM to a Chromium binary) and "
          "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 pip install playwright")
CHROMIUM = os.environ.get("LEPTON_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    pytest.skip(f"the browser test needs Chromium, which is not installed: {ENABLE}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason=f"the browser test needs playwright-python: {ENABLE}")

SCREENSHOTS = Path(os.environ.get("LEPTON_SCREENSHOTS", nbtools.ROOT / "screenshots"))
EXPLORER_NOTEBOOK = "02_lepton_activation.ipynb"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WIDGET_PLACEHOLDER = "Error displaying widget"
WIDGET_MANAGER = "@jupyter-widgets/jupyterlab-manager:plugin"
SHA256_OF_IMAGE = """async img => {
    const bytes = await (await fetch(img.src)).arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return Array.from(digest, b => b.toString(16).padStart(2, "0")).join("");
}"""
RECORD_HEIGHTS = """area => {  // every height the explorer's outputs take from now on (a jump: the page moves)
    area.heights = [area.getBoundingClientRect().height];
    new ResizeObserver(() => area.heights.push(area.getBoundingClientRect().height)).observe(area);
}"""
RUN_ALL_TIMEOUT_MS = 900_000  # notebook 02 trains 3 seeds x 4 activations (about a minute alone, longer under
# the plain CPU kernels that conftest.py sets); CI shares two cores with the kernel and the browser


# ---------------------------------------------------------------- JupyterLab on loopback
class JupyterLab:
    """A JupyterLab server in a subprocess: ``url(path)`` opens a file, ``stop()`` ends it and its kernels."""

    def __init__(self, root: Path, home: Path):
        self.root, self.token, self.port = root, secrets.token_hex(16), _free_port()
        self.settings = home / "settings"
        self.set("@jupyterlab/apputils-extension:notification", fetchNews="false")
        command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                   f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
                   f"--LabApp.user_settings_dir={self.settings}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI often run as root
            command.append("--allow-root")
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
               "LEPTON_DATA_DIR": str(nbtools.ROOT / "data"), "LEPTON_DEVICE": "cpu"}
        self.log = home / "jupyterlab.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                            start_new_session=True)
        self._wait_until_up(timeout=120)

    def set(self, plugin: str, **values) -> None:
        """Write a plugin's user settings; a page opened afterwards reads them."""
        folder, name = plugin.split(":")
        (self.settings / folder).mkdir(parents=True, exist_ok=True)
        (self.settings / folder / f"{name}.jupyterlab-settings").write_text(json.dumps(values))

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(self.url(f"api/{path}"), method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def _wait_until_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("status")
                return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def shut_down_kernels(self) -> None:
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")

    def stop(self) -> None:
        try:
            self.shut_down_kernels()
        except OSError:
            pass  # the server is already gone
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:  # stuck in its shutdown: end it and anything it started
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab-root")
    for path in nbtools.notebook_paths():
        shutil.copy(path, root / path.name)
    server = JupyterLab(root, tmp_path_factory.mktemp("lab-home"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, lab):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()
    lab.shut_down_kernels()


@pytest.fixture
def js_errors(page, lab) -> list[str]:
    """The JavaScript errors the page reports from now on: uncaught exceptions and console errors.

    Not counted: an image from another site that does not load (the Colab badge, offline in CI);
    a resource of JupyterLab's own that fails to load is counted.
    """
    errors: list[str] = []

    def on_console(message) -> None:
        external = not message.location.get("url", "").startswith(lab.url())
        if message.type == "error" and not (external and message.text.startswith("Failed to load resource")):
            errors.append(f"console.error: {message.text} ({message.location.get('url')})")

    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("console", on_console)
    return errors


def screenshot(page, name: str, locator=None) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    (locator or page).screenshot(path=str(path))
    return path


# ---------------------------------------------------------------- driving JupyterLab
def open_notebook(page, lab: JupyterLab, name: str) -> None:
    """Open a notebook in a fresh workspace and wait until its kernel is idle (widgets restored)."""
    page.goto(lab.url(f"lab/tree/{name}?reset&token={lab.token}"))
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle")).wait_for()


def menu(page, top: str, command: str) -> None:
    """Click a menu of the menu bar, then its item that runs ``command`` (labels vary with the focus)."""
    page.get_by_role("menuitem", name=top, exact=True).click()
    page.locator(f'.lm-Menu-item[data-command="{command}"]').click()


def wait_until_no_cell_is_queued(page) -> None:
    page.wait_for_function("!Array.from(document.querySelectorAll('.jp-InputPrompt'))"
                           ".some(p => p.textContent.includes('[*]'))", timeout=RUN_ALL_TIMEOUT_MS)


def save_and_read(page, lab: JupyterLab, name: str):
    """File > Save Notebook, then the notebook as JupyterLab wrote it (the temporary copy)."""
    path = lab.root / name
    before = path.stat().st_mtime_ns
    menu(page, "File", "docmanager:save")
    deadline = time.monotonic() + 60
    while path.stat().st_mtime_ns == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert path.stat().st_mtime_ns != before, "JupyterLab did not save the notebook"
    time.sleep(0.5)  # let the write finish
    return nbformat.read(path, as_version=4)


def slider(explorer, description: str):
    """The explorer's slider whose description is exactly ``description``."""
    label = explorer.page.locator("label.widget-label", has_text=re.compile(rf"^{re.escape(description)}$"))
    return explorer.locator(".widget-slider").filter(has=label)


def readout_values(cell) -> dict[str, float]:
    """k, θ and the slope k/4 as the explorer's readout (a plain output of its cell) shows them."""
    text = " ".join(cell.locator(".jp-OutputArea-output").all_text_contents())
    found = {name: re.search(pattern, text) for name, pattern in
             (("k", r"\bk = (-?[\d.]+) "), ("θ", r"θ = (-?[\d.]+) "), ("slope", r"k/4 = (-?[\d.]+)"))}
    assert all(found.values()), f"the readout does not show k, θ and k/4: {text!r}"
    return {name: float(match.group(1)) for name, match in found.items()}


def shown_number(text: str) -> float:
    """A number as a slider's readout shows it (d3-format writes a minus sign, U+2212)."""
    return float(text.replace("\u2212", "-"))


def picture(cell):
    """The explorer's picture: the image among its cell's plain outputs."""
    return cell.locator(".jp-OutputArea-output img").last


def move(cell, description: str, key: str, presses: int) -> float:
    """Press an arrow key on a slider's focused handle; wait for the kernel's redraw; return the new value."""
    explorer = cell.locator(".lepton-explorer")
    before_image = picture(cell).evaluate(SHA256_OF_IMAGE)
    target = slider(explorer, description)
    old = shown_number(target.locator(".widget-readout").text_content())
    handle = target.locator("[role=slider]")
    handle.focus()
    for _ in range(presses):
        handle.press(key)
    cell.page.wait_for_function(
        "([el, old]) => parseFloat(el.textContent.replace('\u2212', '-')) !== old", arg=[target.locator(".widget-readout").element_handle(), old])
    new = shown_number(target.locator(".widget-readout").text_content())
    deadline = time.monotonic() + 60
    while readout_values(cell)[description] != pytest.approx(new) and time.monotonic() < deadline:
        time.sleep(0.2)  # the kernel redraws, then replaces the readout and the picture
    assert readout_values(cell)[description] == pytest.approx(new), "the readout did not follow the slider"
    after_image = picture(cell).evaluate(SHA256_OF_IMAGE)
    assert after_image != before_image, f"moving {description} did not change the drawn curves"
    return new


# ---------------------------------------------------------------- the tests
def widget_views(nb) -> int:
    return sum(nbtools.WIDGET_VIEW in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


SMALL_NOTEBOOK = "widgets_after_reopening.ipynb"
SMALL_CELLS = (  # the helpers' progress bars (fit's, and one of a learner's own) and the Lepton explorer
    "import torch\nfrom torch import nn\n\nfrom lepton_helpers.pictures import ActivationExplorer, tqdm\n"
    "from lepton_helpers.training import fit",
    "x, y = torch.randn(200, 4), torch.randint(0, 2, (200,))\n"
    "history = fit(nn.Linear(4, 2), x, y, epochs=3, desc='fit')\nfor _ in tqdm(range(4), desc='steps'):\n    pass",
    "explorer = ActivationExplorer(k=1.0, theta=0.0)\nexplorer",
)


@pytest.fixture
def small_notebook(lab) -> str:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in SMALL_CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab.root / SMALL_NOTEBOOK)
    return SMALL_NOTEBOOK


def progress_lines(texts: list[str]) -> list[str]:
    return [line for text in texts for line in text.splitlines() if re.search(r"\d+%\|", line)]


@pytest.mark.parametrize(("name", "save_state"), [("small", False), ("small", True), (EXPLORER_NOTEBOOK, False)],
                         ids=["small", "small-widget-state-saved", EXPLORER_NOTEBOOK])
def test_run_save_and_reopen_keeps_progress_and_the_explorers_picture(page, js_errors, lab, capsys, request, name,
                                                                       save_state):
    name = request.getfixturevalue("small_notebook") if name == "small" else name
    start = time.monotonic()
    lab.set(WIDGET_MANAGER, saveState=save_state)  # Settings > Save Widget State Automatically: off by default
    open_notebook(page, lab, name)
    menu(page, "Run", "runmenu:run-all")
    page.locator(".lepton-explorer").wait_for(timeout=RUN_ALL_TIMEOUT_MS)
    wait_until_no_cell_is_queued(page)  # slider messages queue behind the cells still to run
    cells = page.locator(".jp-Notebook .jp-Cell")
    index = cells.evaluate_all("cells => cells.findIndex(c => c.querySelector('.lepton-explorer'))")
    cell = cells.nth(index)
    sync_api.expect(cell.locator(".jp-OutputArea-output").last.locator("img")).to_have_count(1)
    cell.scroll_into_view_if_needed()
    first = readout_values(cell)
    shots = [screenshot(page, f"{Path(name).stem}_explorer_before", cell)]

    cell.locator(".jp-OutputArea").evaluate(RECORD_HEIGHTS)
    k = move(cell, "k", "ArrowRight", 2)
    theta = move(cell, "θ", "ArrowLeft", 3)
    heights = cell.locator(".jp-OutputArea").evaluate("area => area.heights")
    assert len(set(heights)) == 1, f"the outputs jumped while the picture was replaced: heights {heights}"
    shown = readout_values(cell)
    if first["k"] == 1:  # the stops after 1 are 1.5 and 2: the text's k = 2, whose slope k/4 is 0.5
        assert k == 2 and shown["slope"] == 0.5
    assert theta == pytest.approx(first["θ"] - 0.3) and shown == pytest.approx({"k": k, "θ": theta, "slope": k / 4})
    shots.append(screenshot(page, f"{Path(name).stem}_explorer_after", cell))

    saved = save_and_read(page, lab, name)
    code = [c for c in saved.cells if c.cell_type == "code" and c.source.strip()]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"a cell failed in the browser: {errors[0].ename}: {errors[0].evalue}"
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "not every cell ran"
    assert not js_errors, "\n".join(js_errors)
    live = page.locator(".jp-OutputArea-output").all_text_contents()
    assert WIDGET_PLACEHOLDER not in " ".join(live)
    assert widget_views(saved) == 1, "only the explorer's sliders are saved as a widget view"
    kept = name == EXPLORER_NOTEBOOK  # the committed notebook keeps the state of its explorer's fixed ids
    assert ("widgets" in saved.metadata) == (save_state or kept), "widget state: the setting's, or the notebook's own"
    saved_texts = [o.get("data", {}).get("text/plain", "") for c in code for o in c.outputs]
    bars = progress_lines(saved_texts)
    assert bars and not any(re.search(r"(?<![\d.])0%\|", line) for line in bars), f"unfinished bars saved: {bars}"

    # The next day: a fresh kernel, the saved notebook.
    lab.shut_down_kernels()
    open_notebook(page, lab, name)
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.scroll_into_view_if_needed()
    assert readout_values(cell) == pytest.approx(shown), "the readout as it was left"
    assert picture(cell).evaluate("img => img.complete && img.naturalWidth > 0"), "the picture as it was left"
    sliders = cell.locator(".jp-OutputArea-output").first
    k_readout = slider(cell.locator(".lepton-explorer"), "k").locator(".widget-readout")
    if save_state:  # the sliders come back from the saved state, as they were left
        sync_api.expect(k_readout).to_have_text(f"{k:g}")
    elif kept:  # from the notebook's own state: where the committed run left them, greyed out
        sync_api.expect(k_readout).to_have_text(f"{first['k']:g}")
        sync_api.expect(cell.locator(".lepton-explorer [disabled]")).to_have_count(2)
    else:  # "Loading widget..." until the widgets are restored, then the placeholder
        sync_api.expect(sliders).to_contain_text(WIDGET_PLACEHOLDER)
    reopened, deadline = [], time.monotonic() + 60
    while progress_lines(reopened) != bars and time.monotonic() < deadline:  # JupyterLab renders cells lazily
        reopened = page.locator(".jp-OutputArea-output").all_text_contents()
    assert progress_lines(reopened) == bars, "every progress bar reads as its final text line"
    placeholders = [text for text in reopened if WIDGET_PLACEHOLDER in text or "Loading widget" in text]
    assert len(placeholders) == (0 if save_state or kept else 1), f"only the explorer's sliders need a kernel: {reopened}"
    unexpected = [error for error in js_errors if "widget model not found" not in error]  # the sliders' own log line
    assert not unexpected, "\n".join(unexpected)
    shots.append(screenshot(page, f"{Path(name).stem}_reopened{'_with_widget_state' if save_state else ''}"))
    if kept:  # run the explorer's cell (and those above it) in the new kernel: its sliders are live again
        cell.locator(".jp-InputArea-prompt").click()
        menu(page, "Run", "notebook:run-all-above")
        wait_until_no_cell_is_queued(page)
        menu(page, "Run", "notebook:run-cell")
        wait_until_no_cell_is_queued(page)
        sync_api.expect(cell.locator(".lepton-explorer [disabled]")).to_have_count(0)
        assert move(cell, "k", "ArrowRight", 1) > first["k"]
        assert not js_errors, "\n".join(js_errors)
        shots.append(screenshot(page, f"{Path(name).stem}_reopened_and_run_again", cell))

    with capsys.disabled():
        print(f"\n{name} in the browser: {time.monotonic() - start:.0f} s; screenshots: "
              + ", ".join(str(p) for p in shots))


@pytest.mark.parametrize("path", nbtools.notebook_paths(), ids=lambda p: p.name)
def test_notebook_renders_without_errors(page, js_errors, lab, path):
    nb = nbformat.read(path, as_version=4)
    shutil.copy(path, lab.root / path.name)  # the committed file, not a copy that an earlier test ran and saved
    open_notebook(page, lab, path.name)
    notebook = page.locator(".jp-Notebook")
    figures = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    sync_api.expect(notebook.locator(".jp-Cell")).to_have_count(len(nb.cells))  # JupyterLab attaches cells lazily
    sync_api.expect(notebook.locator(".jp-OutputArea-output img")).to_have_count(figures)
    screenshot(page, path.stem)
    assert WIDGET_PLACEHOLDER not in notebook.text_content()
    assert not js_errors, "\n".join(js_errors)
