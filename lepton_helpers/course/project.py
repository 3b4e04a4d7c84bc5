"""The one place that says where this project lives and which version Colab installs.

Colab badges, the Colab setup cell and the README all derive from these constants
(``python -m lepton_helpers.course.nbtools sync`` rewrites the notebooks from them, and a test
checks that every notebook agrees), so moving the repository means editing this file only, and
``python -m lepton_helpers.course.release vX.Y.Z`` is what changes :data:`PINNED_REF`.
"""

from __future__ import annotations

from ..env import COLAB_CLONE_DIR

GITHUB_SLUG = "lepton-notebooks/lepton-notebooks"
"""``owner/name`` of the repository on GitHub."""

REPO_URL = f"https://github.com/{GITHUB_SLUG}"

DEFAULT_BRANCH = "main"

PINNED_REF = "main"
"""The branch or tag that every badge opens and every setup cell installs: the default branch until
a release exists, then the release's tag (written here by ``python -m lepton_helpers.course.release``),
so that a notebook always gets the helpers it was written for."""

GPU_NOTEBOOKS = ("08_efficient_computing.ipynb",)
"""Notebooks that ask Colab for a GPU runtime (their timings compare the CPU with a GPU)."""

CLONE_TIMEOUT_S, INSTALL_TIMEOUT_S = 180, 600
"""How long the setup cell lets ``git clone`` and ``pip install`` run before it stops and says which step hung."""

LICENCE_PREFIX = "**Licence:**"
"""The start of each notebook's licence and attribution line (:func:`licence_line`)."""

SETUP_TITLE = "# @title Setup: in Google Colab, install the helper package and the data (nothing happens elsewhere)"
"""First line of the setup cell: a Colab form title, so Colab shows this line and folds the code."""


def colab_url(notebook: str) -> str:
    """The address that opens ``notebooks/<notebook>`` of the pinned ref in Google Colab."""
    return f"https://colab.research.google.com/github/{GITHUB_SLUG}/blob/{PINNED_REF}/notebooks/{notebook}"


def colab_badge(notebook: str) -> str:
    """Markdown for the "Open in Colab" badge of one notebook."""
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(notebook)})"


def licence_line() -> str:
    """The licence and attribution line for a notebook's header (CC BY-SA asks for it on each copy)."""
    blob = f"{REPO_URL}/blob/{PINNED_REF}"
    return (f"{LICENCE_PREFIX} text and figures [CC BY-SA 4.0]({blob}/LICENSE-CONTENT), code [MIT]({blob}/LICENSE), "
            f"by the Lepton Notebooks contributors ([{GITHUB_SLUG}]({REPO_URL})). MNIST digits: Yann LeCun, "
            "Corinna Cortes and Christopher J.C. Burges, CC BY-SA 3.0.")


def _runtime_lines(notebook: str) -> str:
    """The setup cell's report of the runtime: only a notebook in :data:`GPU_NOTEBOOKS` suggests a GPU."""
    if notebook in GPU_NOTEBOOKS:
        return '''        if torch.cuda.is_available():
            print(f"Runtime: GPU ({torch.cuda.get_device_name(0)}), as this notebook asks.")
        else:
            print("Runtime: CPU. This notebook compares the CPU with a GPU: Runtime > Change runtime type > "
                  "T4 GPU, then run all cells again (it also runs on the CPU).")'''
    return '''        device = f"GPU ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else "CPU"
        print(f"Runtime: {device}. This notebook needs no GPU.")'''


def colab_setup_source(notebook: str = "") -> str:
    """Source of the setup cell that opens ``notebook`` (every notebook has one).

    In Colab it makes sure ``lepton_helpers`` imports and the bundled data is there; it tests the
    import, not the folder, so a clone whose install failed is installed again on the next run (a
    good clone is kept; a broken one is made again). ``pip install`` keeps Colab's own torch and
    ipywidgets: the package's requirements are ranges that Colab already satisfies (CI checks it).
    Clone and install each have a timeout. A failure stops the notebook with one line that says
    which step failed, why and to run the cell again, then the tool's own last lines; not a
    ``CalledProcessError``. It then prints the runtime it found; only :data:`GPU_NOTEBOOKS` suggest
    a GPU. Anywhere else it prints nothing and changes nothing. It cannot import ``lepton_helpers``
    before installing it, so it is plain Python (``tests/test_course_project.py`` runs it against a
    fake Colab).
    """
    return f'''{SETUP_TITLE}
import sys
if "google.colab" in sys.modules:
    def _lepton_setup(ref="{PINNED_REF}", repo="{REPO_URL}", folder="{COLAB_CLONE_DIR}"):
        import importlib, os, shutil, subprocess

        class SetupFailed(Exception):
            def _render_traceback_(self):  # IPython shows these lines instead of a traceback
                summary, *details = self.args
                return [f"Setup failed: {{summary}}", *(f"    {{line}}" for line in details)]

        def run(step, seconds, *command):  # (ok, summary of the error, the tool's last lines)
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=seconds,
                                      env={{**os.environ, "GIT_TERMINAL_PROMPT": "0"}})
            except subprocess.TimeoutExpired:
                return False, f"{{step}} timed out after {{seconds}} s (a slow or lost network)", []
            lines = (done.stderr or done.stdout or "").strip().splitlines()
            return done.returncode == 0, lines[-1] if lines else f"exit status {{done.returncode}}", lines[-12:]

        def importable():
            importlib.invalidate_caches()
            try:
                import lepton_helpers  # noqa: F401
            except ImportError:
                return False
            return True

        again = "Run this cell again"
        if not (importable() and os.path.isdir(f"{{folder}}/data")):
            if not (run("git", 60, "git", "-C", folder, "rev-parse", "--verify", "HEAD")[0] and os.path.isdir(f"{{folder}}/data")):
                shutil.rmtree(folder, ignore_errors=True)
                ok, error, lines = run("git clone", {CLONE_TIMEOUT_S}, "git", "clone", "--quiet", "--depth", "1", "--branch", ref, repo, folder)
                if not ok:
                    shutil.rmtree(folder, ignore_errors=True)  # a partial clone is never trusted
                    lowered = error.lower()
                    if any(sign in lowered for sign in ("resolve host", "failed to connect", "unreachable", "timed out")):
                        raise SetupFailed(f"no network: cannot reach {{repo}} ({{error}}). Check the connection "
                                          f"(Runtime > Disconnect and delete runtime helps), then {{again.lower()}}.", *lines)
                    if "remote branch" in lowered or "not found in upstream" in lowered:
                        raise SetupFailed(f"{{repo}} has no branch or tag {{ref!r}}. Open the notebook from the "
                                          "badge in the repository's README, which names an existing version.", *lines)
                    if "repository" in lowered and "not found" in lowered or "username" in lowered:
                        raise SetupFailed(f"no public repository at {{repo}}. Open the notebook from the "
                                          "badge in the repository's README.", *lines)
                    raise SetupFailed(f"git clone of {{repo}} at {{ref!r}} failed: {{error}}. {{again}}.", *lines)
            ok, error, lines = run("pip install", {INSTALL_TIMEOUT_S}, sys.executable, "-m", "pip", "install", "--quiet", folder)
            if not (ok and importable()):  # the clone is kept: the next run installs it again
                raise SetupFailed(f"pip could not install the helpers ({{error}}). {{again}}; if that fails too, "
                                  "Runtime > Disconnect and delete runtime, then run all cells.", *lines)
        os.environ.setdefault("LEPTON_DATA_DIR", f"{{folder}}/data")
        import torch
{_runtime_lines(notebook)}
        print("Your changes live in this runtime only: File > Save a copy in Drive keeps them. After a runtime "
              "reset, run this cell again first.")

    _lepton_setup()
    del _lepton_setup'''
