"""Colab badges and the Colab setup cell.

The setup cell is plain Python that runs in Colab only, so these tests execute its source against a
fake Colab: a ``google.colab`` module, a ``subprocess.run`` that plays git and pip (succeeding or
failing as a test says), an import of ``lepton_helpers`` that fails until the fake pip has
installed it, and a temporary folder in place of the clone folder.
"""

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
import torch

import lepton_helpers
from lepton_helpers.course import project
from lepton_helpers.env import COLAB_CLONE_DIR

GIT_ERRORS = {  # what git clone prints when it fails (git 2.x)
    "no network": "Cloning into '/content/lepton-notebooks'...\nfatal: unable to access "
                  "'https://github.com/lepton-notebooks/lepton-notebooks/': Could not resolve host: github.com",
    "unknown ref": "Cloning into '/content/lepton-notebooks'...\nwarning: Could not find remote branch v9.9.9 to clone.\n"
                   "fatal: Remote branch v9.9.9 not found in upstream origin",
    "no repository": "Cloning into '/content/lepton-notebooks'...\nremote: Repository not found.\n"
                     "fatal: repository 'https://github.com/lepton-notebooks/lepton-notebooks/' not found",
    "private repository": "Cloning into '/content/lepton-notebooks'...\nfatal: could not read Username for "
                          "'https://github.com': terminal prompts disabled",
}
EXPECTED = {"no network": "no network", "unknown ref": "has no branch or tag",
            "no repository": "no public repository", "private repository": "no public repository"}


class FakeColab:
    """``subprocess.run`` for the setup cell: git and pip as a test wants them; records each command."""

    def __init__(self, monkeypatch, folder: Path, clone_error: str | None = None, pip_error: str | None = None,
                 hangs: str | None = None):
        self.monkeypatch, self.folder = monkeypatch, folder
        self.clone_error, self.pip_error, self.hangs = clone_error, pip_error, hangs
        self.commands: list[list[str]] = []

    def __call__(self, command, **kwargs):
        command = [str(part) for part in command]
        self.commands.append(command)
        assert kwargs.get("capture_output") and kwargs["env"]["GIT_TERMINAL_PROMPT"] == "0"
        assert 0 < kwargs["timeout"] <= 600, "every step has a timeout"
        if self.hangs and self.hangs in command:  # the step runs past its timeout
            if self.hangs == "clone":
                self.folder.mkdir(parents=True, exist_ok=True)
            raise subprocess.TimeoutExpired(command, kwargs["timeout"])
        if command[:3] == ["git", "-C", str(self.folder)]:  # rev-parse: is there a working clone?
            return self._done(command, 0 if (self.folder / ".git").is_dir() else 128, "fatal: not a git repository")
        if command[:2] == ["git", "clone"]:
            if self.clone_error:
                self.folder.mkdir(parents=True, exist_ok=True)  # git leaves a partial folder behind
                return self._done(command, 128, self.clone_error)
            (self.folder / ".git").mkdir(parents=True)
            (self.folder / "data").mkdir()
            return self._done(command, 0)
        if command[1:4] == ["-m", "pip", "install"]:
            if self.pip_error:
                return self._done(command, 1, f"WARNING: something harmless\n{self.pip_error}")
            self.monkeypatch.setitem(sys.modules, "lepton_helpers", lepton_helpers)  # importable from now on
            return self._done(command, 0)
        raise AssertionError(f"the setup cell ran an unexpected command: {command}")

    @staticmethod
    def _done(command, returncode, stderr=""):
        return subprocess.CompletedProcess(command, returncode, stdout="", stderr=stderr)

    def verbs(self) -> list[str]:
        return ["rev-parse" if c[:2] == ["git", "-C"] else "clone" if c[:2] == ["git", "clone"] else "pip"
                for c in self.commands]


@pytest.fixture
def colab(monkeypatch, tmp_path):
    """A fake Colab runtime without the helpers installed; returns a function that runs the setup cell."""
    folder = tmp_path / "lepton-notebooks"
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setitem(sys.modules, "lepton_helpers", None)  # `import lepton_helpers` raises ImportError
    monkeypatch.setenv("LEPTON_DATA_DIR", "unset after the test")  # so that monkeypatch removes what the cell sets
    monkeypatch.delenv("LEPTON_DATA_DIR")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)

    def run_setup(notebook="03_forward_backward.ipynb", **fake) -> FakeColab:
        fake_run = FakeColab(monkeypatch, folder, **fake)
        monkeypatch.setattr(subprocess, "run", fake_run)
        source = project.colab_setup_source(notebook).replace(COLAB_CLONE_DIR, str(folder))
        exec(compile(source, "setup cell", "exec"), {})
        return fake_run

    run_setup.folder = folder
    return run_setup


def test_badge_points_at_the_pinned_notebook():
    badge = project.colab_badge("01_data_preprocessing.ipynb")
    assert f"github/{project.GITHUB_SLUG}/blob/{project.PINNED_REF}/notebooks/01_data_preprocessing.ipynb" in badge


def test_setup_cell_installs_the_pinned_ref():
    source = project.colab_setup_source("03_forward_backward.ipynb")
    assert f'ref="{project.PINNED_REF}"' in source and f'repo="{project.REPO_URL}"' in source
    assert source.startswith("# @title "), "a Colab form: Colab shows the title and folds the code"


def test_setup_cell_does_nothing_visible_outside_colab(monkeypatch, capsys):
    monkeypatch.delenv("LEPTON_DATA_DIR", raising=False)
    assert "google.colab" not in sys.modules
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: calls.append(args))
    namespace = {}
    exec(compile(project.colab_setup_source(), "setup cell", "exec"), namespace)
    assert capsys.readouterr() == ("", "") and not calls
    assert "LEPTON_DATA_DIR" not in os.environ
    assert set(namespace) <= {"__builtins__", "sys"}


def test_setup_cell_clones_installs_and_reports_the_runtime(colab, capsys):
    fake = colab()
    assert fake.verbs() == ["rev-parse", "clone", "pip"]
    clone = fake.commands[1]
    assert clone[clone.index("--branch") + 1] == project.PINNED_REF and project.REPO_URL in clone
    assert os.environ["LEPTON_DATA_DIR"] == f"{colab.folder}/data"
    out = capsys.readouterr().out
    assert "Runtime: CPU. This notebook needs no GPU." in out and "Save a copy in Drive" in out
    assert "GPU runtime" not in out and "T4" not in out and "run this cell again first" in out


def test_only_gpu_notebooks_suggest_a_gpu(colab, monkeypatch, capsys):
    (gpu_notebook,) = project.GPU_NOTEBOOKS
    colab(gpu_notebook)
    assert "Runtime: CPU. This notebook compares the CPU with a GPU: Runtime > Change runtime type > T4 GPU" \
        in capsys.readouterr().out
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Tesla T4")
    colab(gpu_notebook)
    assert "Runtime: GPU (Tesla T4), as this notebook asks." in capsys.readouterr().out
    colab()
    assert "Runtime: GPU (Tesla T4). This notebook needs no GPU." in capsys.readouterr().out


def test_setup_cell_tests_the_import_not_the_folder(colab, monkeypatch):
    """A clone whose install failed (the folder is there, the import is not) is installed again;
    a working install with its data is left alone."""
    (colab.folder / ".git").mkdir(parents=True)
    (colab.folder / "data").mkdir()
    assert colab().verbs() == ["rev-parse", "pip"]
    assert colab().verbs() == [], "installed and importable: nothing to do"


def test_setup_cell_clones_again_when_the_clone_is_broken(colab):
    (colab.folder / "data").mkdir(parents=True)  # a folder without a git checkout
    assert colab().verbs() == ["rev-parse", "clone", "pip"]


@pytest.mark.parametrize("failure", sorted(GIT_ERRORS))
def test_clone_failure_says_why_in_one_line(colab, failure):
    with pytest.raises(Exception) as raised:
        colab(clone_error=GIT_ERRORS[failure])
    assert not isinstance(raised.value, subprocess.CalledProcessError)
    shown = raised.value._render_traceback_()  # what IPython shows instead of a traceback
    assert "\n" not in "".join(shown) and shown[0].startswith("Setup failed: ")
    assert EXPECTED[failure] in shown[0]
    assert [line.strip() for line in shown[1:]] == GIT_ERRORS[failure].splitlines(), "then git's own lines, in full"
    assert not colab.folder.exists(), "a failed clone leaves no folder that a re-run would trust"


def test_failed_install_keeps_the_clone_and_installs_again_next_time(colab):
    with pytest.raises(Exception) as raised:
        colab(pip_error="ERROR: Could not build wheels for lepton-helpers")
    line, *details = raised.value._render_traceback_()
    assert "pip could not install the helpers (ERROR: Could not build wheels for lepton-helpers). Run this cell again" \
        in line
    assert [d.strip() for d in details] == ["WARNING: something harmless", "ERROR: Could not build wheels for lepton-helpers"]
    assert (colab.folder / ".git").is_dir(), "the good clone is kept"
    assert colab().verbs() == ["rev-parse", "pip"], "the next run installs it again, without cloning"


@pytest.mark.parametrize("step, says", [("clone", "git clone timed out after 180 s"),
                                        ("install", "pip install timed out after 600 s")])
def test_a_step_that_hangs_stops_at_its_timeout_and_says_which(colab, step, says):
    with pytest.raises(Exception) as raised:
        colab(hangs=step)
    (line,) = raised.value._render_traceback_()
    assert says in line and "run this cell again" in line.lower()
    assert colab.folder.exists() is (step == "install"), "a hung clone is removed, a good clone kept"


@pytest.mark.repository  # the licence files are in the checkout, not in the installed package
def test_licence_line_names_both_licences_and_mnist():
    line = project.licence_line()
    assert line.startswith(project.LICENCE_PREFIX) and "\n" not in line
    assert f"[CC BY-SA 4.0]({project.REPO_URL}/blob/{project.PINNED_REF}/LICENSE-CONTENT)" in line
    assert f"[MIT]({project.REPO_URL}/blob/{project.PINNED_REF}/LICENSE)" in line
    assert "Yann LeCun, Corinna Cortes and Christopher J.C. Burges, CC BY-SA 3.0" in line
    for name in ("LICENSE", "LICENSE-CONTENT"):
        assert (Path(lepton_helpers.__file__).parents[1] / name).is_file()
