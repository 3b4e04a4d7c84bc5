"""The order in which pytest-xdist hands out test files (tests/conftest.py), and CI running the README's command."""

from pathlib import Path
from types import SimpleNamespace

import conftest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_every_notebook_states_the_run_time_the_scheduler_reads():
    seconds = {path.name: conftest.expected_seconds(path) for path in NOTEBOOKS}
    assert len(seconds) == 10 and all(s > 0 for s in seconds.values()), seconds


def test_the_longest_notebooks_come_first_and_each_file_keeps_its_order(tmp_path):
    quick = tmp_path / "test_quick.py"
    short, long = NOTEBOOKS[0], NOTEBOOKS[7]  # 00 and 07

    def item(path, name):
        return SimpleNamespace(path=path, name=name, nodeid=f"{path.name}::{name}", markers=[],
                               add_marker=lambda marker, into=None: None)

    reader = next(path for path in NOTEBOOKS if path.name in conftest.READS_ANOTHER)
    items = [item(quick, "a"), item(reader, "Cell 0"), item(short, "Cell 0"), item(quick, "b"), item(long, "Cell 0"),
             item(short, "Cell 1")]
    conftest.pytest_collection_modifyitems(items)
    assert [i.nodeid for i in items] == [f"{long.name}::Cell 0", f"{short.name}::Cell 0", f"{short.name}::Cell 1",
                                         f"{reader.name}::Cell 0", "test_quick.py::a", "test_quick.py::b"]


def test_notebook_05_is_handed_out_after_the_notebook_whose_network_it_loads():
    keys = {path.name[:2]: conftest.handout_order(path) for path in NOTEBOOKS}
    assert keys["04"] < keys["05"] and all(key < keys["05"] for name, key in keys.items() if name != "05")


def test_ci_runs_the_readmes_test_command():
    root = Path(__file__).parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    block = readme.split("Run every test", 1)[1].split("```bash\n", 1)[1].split("\n```", 1)[0]
    commands = [command.strip() for command in block.split("&&")]
    ci_lines = [line.strip() for line in (root / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert commands == ['pytest -n 2 -m "not browser"', "pytest -m browser"]
    assert all(command in ci_lines for command in commands), commands
    workflow = (root / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert f"run: {' && '.join(commands)}\n" in workflow, "the GitHub workflow no longer runs the README's command"
