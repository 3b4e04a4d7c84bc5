"""The one place that says where this project lives.

Colab badges, the Colab setup cell and the README all derive from these constants
(``python -m lepton_helpers.course.nbtools sync`` rewrites the notebooks from them, and a test
checks that every notebook agrees), so moving the repository means editing this file only.
"""

from __future__ import annotations

from ..env import COLAB_CLONE_DIR

GITHUB_SLUG = "lepton-notebooks/lepton-notebooks"
"""``owner/name`` of the repository on GitHub."""

REPO_URL = f"https://github.com/{GITHUB_SLUG}"

PINNED_REF = "v0.1.0"
"""The tag (or commit) that Colab installs, so a notebook always gets the helpers it was written for."""



def colab_url(notebook: str) -> str:
    """The address that opens ``notebooks/<notebook>`` of the pinned ref in Google Colab."""
    return f"https://colab.research.google.com/github/{GITHUB_SLUG}/blob/{PINNED_REF}/notebooks/{notebook}"


def colab_badge(notebook: str) -> str:
    """Markdown for the "Open in Colab" badge of one notebook."""
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(notebook)})"


def colab_setup_source() -> str:
    """Source of the setup cell: installs the pinned helpers and data in Colab, does nothing elsewhere.

    It cannot import ``lepton_helpers`` (in Colab that is what it installs), so it is plain Python.
    ``pip install`` keeps Colab's own torch and ipywidgets: the package's requirements are ranges
    that Colab already satisfies.
    """
    return f'''# Setup: in Google Colab, fetch the helper package and the bundled data (a no-op anywhere else).
import os, subprocess, sys
if "google.colab" in sys.modules and not os.path.isdir("{COLAB_CLONE_DIR}"):
    subprocess.run(["git", "clone", "--quiet", "--depth", "1", "--branch", "{PINNED_REF}",
                    "{REPO_URL}", "{COLAB_CLONE_DIR}"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "{COLAB_CLONE_DIR}"], check=True)
if "google.colab" in sys.modules:
    os.environ.setdefault("LEPTON_DATA_DIR", "{COLAB_CLONE_DIR}/data")'''
