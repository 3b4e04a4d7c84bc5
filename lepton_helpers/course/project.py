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

SETUP_TITLE = "# @title Setup: in Google Colab, install the helper package and the data (nothing happens elsewhere)"
"""First line of the setup cell: a Colab form title, so Colab shows this line and folds the code."""


def colab_url(notebook: str) -> str:
    """The address that opens ``notebooks/<notebook>`` of the pinned ref in Google Colab."""
    return f"https://colab.research.google.com/github/{GITHUB_SLUG}/blob/{PINNED_REF}/notebooks/{notebook}"


def colab_badge(notebook: str) -> str:
    """Markdown for the "Open in Colab" badge of one notebook."""
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(notebook)})"


def colab_setup_source() -> str:
    """Source of the setup cell that opens every notebook.

    In Colab it makes sure ``lepton_helpers`` imports and the bundled data is there; it tests the
    import, not the folder, so a clone whose install failed is repaired on the next run (the clone
    is installed again, or made again when it is broken). ``pip install`` keeps Colab's own torch and
    ipywidgets: the package's requirements are ranges that Colab already satisfies (CI checks it).
    A failure stops the notebook with one line that says why and what to do, not a
    ``CalledProcessError``. It then prints the runtime it found (CPU or which GPU) and how to switch.
    Anywhere else it prints nothing and changes nothing. It cannot import ``lepton_helpers`` before
    installing it, so it is plain Python (``tests/test_course_project.py`` runs it against a fake Colab).
    """
    return f'''{SETUP_TITLE}
import sys
if "google.colab" in sys.modules:
    def _lepton_setup(ref="{PINNED_REF}", repo="{REPO_URL}", folder="{COLAB_CLONE_DIR}"):
        import importlib, os, shutil, subprocess

        class SetupFailed(Exception):
            def _render_traceback_(self):  # IPython shows this one line instead of a traceback
                return [f"Setup failed: {{self}}"]

        def run(*command):  # (ok, last line of the error)
            done = subprocess.run(command, capture_output=True, text=True, env={{**os.environ, "GIT_TERMINAL_PROMPT": "0"}})
            lines = (done.stderr or done.stdout or "").strip().splitlines()
            return done.returncode == 0, lines[-1] if lines else f"exit status {{done.returncode}}"

        def importable():
            importlib.invalidate_caches()
            try:
                import lepton_helpers  # noqa: F401
            except ImportError:
                return False
            return True

        if not (importable() and os.path.isdir(f"{{folder}}/data")):
            if not (run("git", "-C", folder, "rev-parse", "--verify", "HEAD")[0] and os.path.isdir(f"{{folder}}/data")):
                shutil.rmtree(folder, ignore_errors=True)
                ok, error = run("git", "clone", "--quiet", "--depth", "1", "--branch", ref, repo, folder)
                if not ok:
                    shutil.rmtree(folder, ignore_errors=True)
                    lowered = error.lower()
                    if any(sign in lowered for sign in ("resolve host", "failed to connect", "unreachable", "timed out")):
                        raise SetupFailed(f"no network: cannot reach {{repo}} ({{error}}). Check the connection "
                                          "(Runtime > Disconnect and delete runtime helps), then run this cell again.")
                    if "remote branch" in lowered or "not found in upstream" in lowered:
                        raise SetupFailed(f"{{repo}} has no branch or tag {{ref!r}}. Open the notebook from the "
                                          "badge in the repository's README, which names an existing version.")
                    if "repository" in lowered and "not found" in lowered or "username" in lowered:
                        raise SetupFailed(f"no public repository at {{repo}}. Open the notebook from the "
                                          "badge in the repository's README.")
                    raise SetupFailed(f"git clone of {{repo}} at {{ref!r}} failed: {{error}}")
            ok, error = run(sys.executable, "-m", "pip", "install", "--quiet", folder)
            if not (ok and importable()):
                shutil.rmtree(folder, ignore_errors=True)  # the next run starts from a fresh clone
                raise SetupFailed(f"pip could not install the helpers ({{error}}). Run this cell again; if that "
                                  "fails too, Runtime > Disconnect and delete runtime, then run all cells.")
        os.environ.setdefault("LEPTON_DATA_DIR", f"{{folder}}/data")
        import torch
        if torch.cuda.is_available():
            print(f"Runtime: GPU ({{torch.cuda.get_device_name(0)}}). To switch: Runtime > Change runtime type.")
        else:
            print("Runtime: CPU (every notebook runs on it). For a GPU: Runtime > Change runtime type > "
                  "T4 GPU, then run all cells again.")
        print("Your changes live in this runtime only: File > Save a copy in Drive keeps them.")

    _lepton_setup()
    del _lepton_setup'''
