import os
import sys

from lepton_helpers.course import project


def test_badge_points_at_the_pinned_notebook():
    badge = project.colab_badge("01_data_preprocessing.ipynb")
    assert f"github/{project.GITHUB_SLUG}/blob/{project.PINNED_REF}/notebooks/01_data_preprocessing.ipynb" in badge


def test_setup_cell_is_a_no_op_outside_colab(monkeypatch):
    monkeypatch.delenv("LEPTON_DATA_DIR", raising=False)
    assert "google.colab" not in sys.modules
    exec(compile(project.colab_setup_source(), "setup", "exec"), {})
    assert "LEPTON_DATA_DIR" not in os.environ
    assert project.REPO_URL in project.colab_setup_source() and project.PINNED_REF in project.colab_setup_source()
