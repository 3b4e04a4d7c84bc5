"""The release command, on a throw-away git repository made from a copy of this one (never this one)."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lepton_helpers.course import nbtools
from lepton_helpers.course.release import ReleaseError, release

COPIED = ("lepton_helpers", "notebooks", "README.md", "pyproject.toml", "CITATION.cff")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=_env(repo), capture_output=True, text=True,
                          check=True).stdout.strip()


def _env(repo: Path) -> dict[str, str]:
    # the copy's package, not this checkout's editable install; git without the user's configuration
    return {**os.environ, "PYTHONPATH": str(repo), "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
            "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org"}


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """A git repository holding a copy of the package, the notebooks and the README, committed."""
    repo = tmp_path_factory.mktemp("release") / "repo"
    repo.mkdir()
    for name in COPIED:
        source = nbtools.ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__", "artifacts"))
        else:
            shutil.copy(source, repo / name)
    git(repo, "init", "--quiet", "--initial-branch", "main")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "--message", "before the release")
    return repo


def shown(repo: Path, revision: str, path: str) -> str:
    return git(repo, "show", f"{revision}:{path}")


@pytest.fixture(scope="module")
def before(repo):
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def released(repo, before):
    """The command line, run once in the copy (a fresh interpreter: it rewrites the copy's project.py)."""
    return subprocess.run([sys.executable, "-m", "lepton_helpers.course.release", "v0.2.0"], cwd=repo,
                          env=_env(repo), capture_output=True, text=True)


def test_release_tags_a_commit_off_the_branch_and_leaves_the_branch_alone(repo, released, before):
    assert released.returncode == 0, released.stderr
    assert "git push origin v0.2.0" in released.stdout
    assert git(repo, "rev-parse", "v0.2.0^{commit}^") == before, "the release commit sits on the branch's commit"
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main" and git(repo, "rev-parse", "HEAD") == before
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == "", "the branch's files as they were"
    assert 'PINNED_REF = "main"' in (repo / "lepton_helpers" / "course" / "project.py").read_text()


def test_release_pins_every_badge_and_setup_cell_to_the_new_tag(repo, released):
    assert released.returncode == 0, released.stderr
    assert 'PINNED_REF = "v0.2.0"' in shown(repo, "v0.2.0", "lepton_helpers/course/project.py")
    assert 'version = "0.2.0"' in shown(repo, "v0.2.0", "pyproject.toml")
    assert '__version__ = "0.2.0"' in shown(repo, "v0.2.0", "lepton_helpers/__init__.py")
    assert '\nversion: "0.2.0"\n' in shown(repo, "v0.2.0", "CITATION.cff")
    notebooks = sorted(p.name for p in (repo / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert notebooks
    for name in notebooks:
        nb = json.loads(shown(repo, "v0.2.0", f"notebooks/{name}"))
        text = json.dumps([c["source"] for c in nb["cells"]])
        assert f"/blob/v0.2.0/notebooks/{name}" in text, f"{name}: badge not pinned"
        assert 'ref=\\"v0.2.0\\"' in text, f"{name}: setup cell not pinned"
        assert not re.search(r"/blob/(?!v0\.2\.0/)[^/]+/notebooks/", text), f"{name}: a badge points elsewhere"


def test_release_refuses_what_it_cannot_do(repo, released, monkeypatch):
    monkeypatch.setattr(nbtools, "ROOT", repo)  # refusals come before anything is rewritten
    head = git(repo, "rev-parse", "HEAD")
    for tag, reason in (("0.3", "looks like v1.2.3"), ("v0.2.0", "exists already")):
        with pytest.raises(ReleaseError, match=reason):
            release(tag)
    (repo / "README.md").write_text((repo / "README.md").read_text() + "\nunsaved work\n")
    with pytest.raises(ReleaseError, match=r"(?s)commit or set aside.*README\.md"):
        release("v0.3.0")
    assert git(repo, "rev-parse", "HEAD") == head and git(repo, "tag", "--list", "v0.3.0") == ""
    assert 'PINNED_REF = "main"' in (repo / "lepton_helpers" / "course" / "project.py").read_text()


def test_a_release_that_fails_halfway_leaves_the_branch_as_it_was(repo, released, monkeypatch):
    monkeypatch.setattr(nbtools, "ROOT", repo)
    cff = repo / "CITATION.cff"
    cff.write_text(re.sub(r'(?m)^version: ".*"\n', "", cff.read_text()))  # the line the release must rewrite
    git(repo, "commit", "--quiet", "--all", "--message", "a CITATION.cff without a version")
    head = git(repo, "rev-parse", "HEAD")
    with pytest.raises(ReleaseError, match="CITATION.cff has no line version"):
        release("v0.4.0")
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main" and git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == "" and git(repo, "tag", "--list", "v0.4.0") == ""
