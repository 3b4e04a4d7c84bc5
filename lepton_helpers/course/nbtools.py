"""Keep the notebooks in step with the project: run them, record run times, sync shared cells.

Usage (from the repository root)::

    python -m lepton_helpers.course.nbtools run [notebooks/NN_*.ipynb ...]   # Restart & Run All, in place
    python -m lepton_helpers.course.nbtools sync                             # badges, setup cells, run-time tables

``run`` executes each notebook top to bottom in a fresh kernel on the CPU (``LEPTON_DEVICE=cpu``),
stores the outputs, and records the measured wall time in the notebook's metadata; ``sync``
then rewrites, from :mod:`lepton_helpers.course.project` and those times, every notebook's badge,
run-time line and setup cell, the map in ``00_start_here.ipynb``, README.md's run-time table,
INSTRUCTORS.md's workshop machine times (:func:`lepton_helpers.course.prose.workshop_times`) and
answer key (from the exercise bank), and the committed student copies in ``notebooks/student/``.
A test checks that everything is in sync, so no copy of the URL or of a run time can go stale.

Both store every widget output as what it showed last (:func:`freeze_widgets`): a reader without
a kernel (GitHub, nbviewer, an HTML export) sees an explorer's last picture and readout and a
progress bar's final state ("100%|██████████| 5/5"), never a widget view whose state is gone.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

import nbformat

from .classroom import sync_student_copies
from .key import answer_key
from .paths import NOTEBOOKS, ROOT, notebook_paths
from .prose import workshop_times
from .project import GPU_NOTEBOOKS, LICENCE_PREFIX, SETUP_TITLE, colab_badge, colab_setup_source, licence_line

TABLE_START, TABLE_END = "<!-- runtimes:start -->", "<!-- runtimes:end -->"
KEY_START, KEY_END = "<!-- answer-key:start -->", "<!-- answer-key:end -->"
BENCH_START, BENCH_END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"
GUIDE = ROOT / "INSTRUCTORS.md"
RUNTIME_PREFIX = "**Run time:**"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
SETUP_PREFIXES = (SETUP_TITLE.split(":")[0], "# Setup: in Google Colab")  # this setup cell's title, and the older one's
COLAB_GPU_TYPE = "T4"
"""The GPU that Colab's free tier offers; a notebook in ``project.GPU_NOTEBOOKS`` asks for it."""


FIGURE_MARKER = "*Figure:* "
"""How a figure's text description starts: the markdown cell right after a cell that draws one."""
FIGURE_CALL = re.compile(
    r"\b(plt\.\w+|show_digits|plot_histories|plot_lepton_family|plot_reliability|draw_heatmap|ConfusionMatrixDisplay"
    r"|ActivationExplorer|SweepExplorer)\s*\(|\.(plot|imshow|scatter|hist|bar|barh|errorbar|contour)\s*\(")
"""Calls that draw a figure (Matplotlib, or a helper that returns a figure or an explorer's picture).

A name counts only when called, so an import line (``from ..pictures import show_digits``) does not."""


def draws_figure(cell) -> bool:
    """Whether a code cell shows a figure: a PNG in its stored outputs, or a drawing call in its source.

    Both, so the rule holds before a re-run (stale or no outputs) and after it. Comment lines
    are ignored. The script that adds figure descriptions and the test that checks them use this.
    """
    if cell.get("cell_type") != "code":
        return False
    if any("image/png" in out.get("data", {}) for out in cell.get("outputs", [])):
        return True
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source  # raw JSON may store a list of lines
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))
    return bool(FIGURE_CALL.search(code))


def undescribed_figures(nb) -> list[int]:
    """Indices of the cells that draw a figure but are not followed by a ``*Figure:*`` markdown cell."""
    cells = nb["cells"]
    return [i for i, cell in enumerate(cells) if draws_figure(cell)
            and not (i + 1 < len(cells) and cells[i + 1]["cell_type"] == "markdown"
                     and cells[i + 1]["source"].startswith(FIGURE_MARKER))]


def title_of(nb) -> str:
    """The notebook's title: its first ``# `` heading without the ``NN · `` number."""
    match = re.search(r"^# (?:\d\d · )?(.+)$", nb.cells[0].source, re.MULTILINE)
    return match.group(1).strip() if match else "(untitled)"


def runtime_line(seconds: float | None) -> str:
    measured = "not measured yet" if seconds is None else f"about {max(1, round(seconds))} s"
    return (f"{RUNTIME_PREFIX} {measured} from a fresh kernel on a 2-core CPU with the bundled data "
            "(measured by `python -m lepton_helpers.course.nbtools run`).")


def rounded_seconds(paths: list[Path]) -> dict[str, int]:
    """Each measured notebook's run time as the run-time table shows it, by its number ("00": 9)."""
    times = {}
    for path in paths:
        seconds = nbformat.read(path, as_version=4).metadata.get("lepton", {}).get("cpu_seconds")
        if seconds is not None:
            times[path.name[:2]] = max(1, round(seconds))
    return times


def runtime_table(paths: list[Path]) -> str:
    """A markdown table of every notebook, its title and its measured CPU run time."""
    rows = ["| notebook | what it teaches | CPU run time |", "| --- | --- | --- |"]
    measured = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        seconds = nb.metadata.get("lepton", {}).get("cpu_seconds")
        shown = "not measured" if seconds is None else f"{max(1, round(seconds))} s"
        rows.append(f"| [{path.name}](notebooks/{path.name}) | {title_of(nb)} | {shown} |")
        measured.append(seconds)
    if len(paths) > 1 and None not in measured:
        rows.append(f"| all {len(paths)}, one after another | | {round(sum(measured))} s |")
    return "\n".join(rows)


def _replace_table(text: str, table: str, link_prefix: str = "notebooks/") -> str:
    if TABLE_START not in text:
        return text
    table = table.replace("](notebooks/", f"]({link_prefix}")
    return _replace_between(text, TABLE_START, TABLE_END, table)


MODULES_START, MODULES_END = "<!-- modules:start -->", "<!-- modules:end -->"


def lesson_modules() -> list[tuple[str, str, str]]:
    """``(module, what it holds, notebooks)`` for each row of the table in ``lepton_helpers``' docstring."""
    import lepton_helpers

    rows = re.findall(r"^``(\w+)``\s+(.+?)\s{2,}(\S.*?)\s*$", lepton_helpers.__doc__, re.MULTILINE)
    return [(name, what, notebooks) for name, what, notebooks in rows]


def module_table() -> str:
    """The README's Markdown table of the lessons' modules, from the package docstring."""
    lines = ["| module | what it holds | notebook |", "| --- | --- | --- |"]
    lines += [f"| `{name}` | {what.replace('``', '`')} | {notebooks} |" for name, what, notebooks in lesson_modules()]
    return "\n".join(lines)


def benchmark_section() -> str:
    """README.md's benchmark table, from the committed records of the benchmark and recipe commands."""
    from . import records
    from .benchmark import readme_table  # imports torch: only when syncing

    return readme_table(records.load("benchmark"), records.load("recipe_seeds"))


def _replace_between(text: str, start: str, end: str, table: str) -> str:
    return re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: f"{start}\n{table}\n{end}", text,
                  flags=re.DOTALL)


def sync_notebook(nb, name: str, table: str) -> None:
    """Rewrite the shared parts of one notebook in place: header lines (badge, run time, licence), setup cell, map table, Colab's
    GPU runtime request (``project.GPU_NOTEBOOKS``); and store widget outputs as their last frame."""
    head = nb.cells[0]
    lines = head.source.splitlines()
    seconds = nb.metadata.get("lepton", {}).get("cpu_seconds")
    lines = [colab_badge(name) if "colab-badge.svg" in line else
             runtime_line(seconds) if line.startswith(RUNTIME_PREFIX) else line
             for line in lines if not line.startswith(LICENCE_PREFIX)]
    head.source = "\n".join(lines).rstrip("\n") + "\n\n" + licence_line()
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(SETUP_PREFIXES):
            cell.source = colab_setup_source(name)
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True  # JupyterLab folds it, as Colab does
        if cell.cell_type == "markdown":
            cell.source = _replace_table(cell.source, table, link_prefix="")
    if name in GPU_NOTEBOOKS:  # Colab opens it on a GPU runtime
        nb.metadata["accelerator"] = "GPU"
        nb.metadata.setdefault("colab", {})["gpuType"] = COLAB_GPU_TYPE
    freeze_widgets(nb)


# ---------------------------------------------------------------- widgets, as a reader without a kernel sees them
def freeze_widgets(nb) -> None:
    """Store each widget output as what it showed last, drop the widget views, and keep only the state
    of the explorers' fixed model ids (``pictures.pinned``: a learner's saved copy reopens with them,
    disabled: greyed out until their cell runs again).

    A widget view needs its model, which lives in the kernel (or in widget state saved beside the
    outputs); without it JupyterLab shows "Error displaying widget: model not found" and does not
    fall back to a picture beside the view, and GitHub refuses to render a notebook whose widget
    metadata lacks its state. So, from the widget state that nbclient (``run``) or JupyterLab
    ("Save Widget State Automatically") stored, each view becomes its last frame: the PNG of its
    last ``Image`` widget (an explorer's picture) and one text line, the texts of its ``HTML`` and
    ``Label`` widgets with each progress bar drawn as tqdm draws it ("ReLU: 100%|██████████| 5/5
    [00:03<00:00]"). A view whose state is missing keeps only its other representations.
    """
    from ..pictures import PINNED_PREFIX

    state = nb.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            view = data.pop(WIDGET_VIEW, None)
            if view and view.get("model_id") in state:
                text, png = _last_frame(state, view["model_id"])
                if text:  # sliders alone have no text of their own: the output's text/plain stays
                    data["text/plain"] = text
                if png:
                    data["image/png"] = png
    kept = {model_id: entry for model_id, entry in state.items() if model_id.startswith(PINNED_PREFIX)}
    for entry in kept.values():
        if "disabled" in entry.get("state", {}):  # greyed out after a reopen, until their cell runs again
            entry["state"]["disabled"] = True
    if kept:
        nb.metadata["widgets"] = {WIDGET_STATE: {"version_major": 2, "version_minor": 0, "state": kept}}


def _last_frame(state: dict, model_id: str) -> tuple[str, str | None]:
    """(text line, base64 PNG or None) of one widget and its descendants, from saved widget state."""
    from ..pictures import plain_text  # the same conversion as a live explorer's text/plain

    pngs: list[str] = []

    def text_of(model_id: str) -> str:
        entry = state.get(model_id.removeprefix("IPY_MODEL_"), {})
        model, name = entry.get("state", {}), entry.get("model_name", "")
        if name in ("HTMLModel", "HTMLMathModel", "LabelModel"):
            return plain_text(model.get("value", ""))
        if name in ("FloatProgressModel", "IntProgressModel"):
            return _progress_bar(model)
        if name == "ImageModel" and model.get("format", "png") == "png":
            pngs.extend(b["data"] for b in entry.get("buffers", []) if b.get("path") == ["value"])
        texts = [text_of(child) for child in model.get("children", [])]
        return ("" if name == "HBoxModel" else " ").join(t for t in texts if t)  # tqdm: label|bar| count

    text = text_of(model_id)
    return text, pngs[-1] if pngs else None


def _progress_bar(model: dict, width: int = 10) -> str:
    """A progress widget as tqdm's text bar: ``|██████    |``."""
    low, high, value = model.get("min", 0), model.get("max", 100), model.get("value", 0)
    filled = int(width * (value - low) / (high - low)) if high > low else 0  # floored, as tqdm does
    filled = max(0, min(width, filled))
    return f"|{'█' * filled}{' ' * (width - filled)}|"


def guide_answer_key() -> str:
    """The exercise bank's answer key as a section of INSTRUCTORS.md: its title dropped, headings one level down."""
    lines, fenced = [], False
    for line in answer_key().strip().splitlines()[1:]:  # the first line is the key's own "# Answer key"
        fenced ^= line.startswith("```")
        lines.append("#" + line if line.startswith("#") and not fenced else line)
    return "\n".join(lines).strip()


def synced_guide(text: str, seconds: dict[str, int]) -> str:
    """INSTRUCTORS.md's text with its plans' machine times and its answer key generated again."""
    return _replace_between(workshop_times(text, seconds), KEY_START, KEY_END, guide_answer_key())


def sync(paths: list[Path] | None = None) -> None:
    """Sync every notebook and README.md with :mod:`lepton_helpers.course.project` and the measured times."""
    paths = paths or notebook_paths()
    table = runtime_table(notebook_paths())
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        sync_notebook(nb, path.name, table)
        nbformat.write(nb, path)
    readme = ROOT / "README.md"
    if readme.exists():
        text = _replace_table(readme.read_text(), table)
        text = workshop_times(text, rounded_seconds(notebook_paths()))
        text = _replace_between(text, BENCH_START, BENCH_END, benchmark_section())
        readme.write_text(_replace_between(text, MODULES_START, MODULES_END, module_table()))
    if GUIDE.exists():
        GUIDE.write_text(synced_guide(GUIDE.read_text(encoding="utf-8"), rounded_seconds(notebook_paths())),
                         encoding="utf-8")
    sync_student_copies()


# The stored outputs are those of a CPU run with one thread per kernel: what CI checks them against
# (tests/conftest.py), where two kernels share the 2-core machine, one core each. A second thread
# rounds sums and products in another order, so it is part of the run's definition.
KERNEL_ENV = {"LEPTON_DEVICE": "cpu", "OMP_NUM_THREADS": "1"}


def run(path: Path, timeout: int = 600) -> float:
    """Execute one notebook from a fresh kernel on the CPU (:data:`KERNEL_ENV`), store outputs and
    run time; return seconds."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute(env={**os.environ, **KERNEL_ENV})  # the kernel's environment; stores the widgets' final state
    seconds = time.perf_counter() - start
    freeze_widgets(nb)
    nb.metadata.setdefault("lepton", {})["cpu_seconds"] = round(seconds, 1)
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lepton_helpers.course.nbtools", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="execute notebooks in place (all numbered ones by default), then sync")
    run_p.add_argument("notebooks", nargs="*", type=Path)
    sub.add_parser("sync", help="rewrite badges, setup cells, run-time lines and tables, the instructor guide's "
                                "times and answer key, and notebooks/student/")
    args = parser.parse_args(argv)
    if args.command == "run":
        for path in args.notebooks or notebook_paths():
            print(f"{path.name}: {run(path.resolve()):.1f} s", flush=True)
    sync()


if __name__ == "__main__":
    main()
