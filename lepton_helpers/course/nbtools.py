"""Keep the notebooks in step with the project: run them, record run times, sync shared cells.

Usage (from the repository root)::

    python -m lepton_helpers.course.nbtools run [notebooks/NN_*.ipynb ...]   # Restart & Run All, in place
    python -m lepton_helpers.course.nbtools sync                             # badges, setup cells, run-time tables

``run`` executes each notebook top to bottom in a fresh kernel on the CPU (``LEPTON_DEVICE=cpu``),
stores the outputs, and records the measured wall time in the notebook's metadata; ``sync``
then rewrites, from :mod:`lepton_helpers.course.project` and those times, every notebook's badge,
run-time line and setup cell, the map in ``00_start_here.ipynb`` and the table in README.md.
A test checks that everything is in sync, so no copy of the URL or of a run time can go stale.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

import nbformat

from .project import colab_badge, colab_setup_source

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
TABLE_START, TABLE_END = "<!-- runtimes:start -->", "<!-- runtimes:end -->"
RUNTIME_PREFIX = "**Run time:**"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def notebook_paths() -> list[Path]:
    """The numbered notebooks, in order."""
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def title_of(nb) -> str:
    """The notebook's title: its first ``# `` heading without the ``NN · `` number."""
    match = re.search(r"^# (?:\d\d · )?(.+)$", nb.cells[0].source, re.MULTILINE)
    return match.group(1).strip() if match else "(untitled)"


def runtime_line(seconds: float | None) -> str:
    measured = "not measured yet" if seconds is None else f"about {max(1, round(seconds))} s"
    return (f"{RUNTIME_PREFIX} {measured} from a fresh kernel on a 2-core CPU with the bundled data "
            "(measured by `python -m lepton_helpers.course.nbtools run`).")


def runtime_table(paths: list[Path]) -> str:
    """A markdown table of every notebook, its title and its measured CPU run time."""
    rows = ["| notebook | what it teaches | CPU run time |", "| --- | --- | --- |"]
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        seconds = nb.metadata.get("lepton", {}).get("cpu_seconds")
        shown = "not measured" if seconds is None else f"{max(1, round(seconds))} s"
        rows.append(f"| [{path.name}](notebooks/{path.name}) | {title_of(nb)} | {shown} |")
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


def _replace_between(text: str, start: str, end: str, table: str) -> str:
    return re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: f"{start}\n{table}\n{end}", text,
                  flags=re.DOTALL)


def sync_notebook(nb, name: str, table: str) -> None:
    """Rewrite the shared parts of one notebook in place (header lines, setup cell, map table)."""
    head = nb.cells[0]
    lines = head.source.splitlines()
    seconds = nb.metadata.get("lepton", {}).get("cpu_seconds")
    lines = [colab_badge(name) if "colab-badge.svg" in line else
             runtime_line(seconds) if line.startswith(RUNTIME_PREFIX) else line for line in lines]
    head.source = "\n".join(lines)
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("# Setup: in Google Colab"):
            cell.source = colab_setup_source()
        if cell.cell_type == "markdown":
            cell.source = _replace_table(cell.source, table, link_prefix="")
        for output in cell.get("outputs", []):
            # A stored widget view needs the widget's saved state, which is stripped below: JupyterLab
            # would show "Error displaying widget: model not found". Its text/plain fallback stays.
            output.get("data", {}).pop(WIDGET_VIEW, None)
    nb.metadata.pop("widgets", None)  # GitHub refuses to render widget metadata without its state


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
        readme.write_text(_replace_between(text, MODULES_START, MODULES_END, module_table()))


def run(path: Path, timeout: int = 600) -> float:
    """Execute one notebook from a fresh kernel on the CPU, store outputs and run time; return seconds."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    os.environ["LEPTON_DEVICE"] = "cpu"  # the stored outputs are those of a CPU run
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata.setdefault("lepton", {})["cpu_seconds"] = round(seconds, 1)
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lepton_helpers.course.nbtools", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="execute notebooks in place (all numbered ones by default), then sync")
    run_p.add_argument("notebooks", nargs="*", type=Path)
    sub.add_parser("sync", help="rewrite badges, setup cells, run-time lines and tables")
    args = parser.parse_args(argv)
    if args.command == "run":
        for path in args.notebooks or notebook_paths():
            print(f"{path.name}: {run(path.resolve()):.1f} s", flush=True)
    sync()


if __name__ == "__main__":
    main()
