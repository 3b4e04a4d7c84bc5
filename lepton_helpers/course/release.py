"""Publish a release: a tagged commit whose Colab badges and setup cells point at that tag, in one step.

Usage (from the repository root, on a clean work tree)::

    python -m lepton_helpers.course.release v0.2.0
    git push origin v0.2.0        # then the tag's badges work: Colab opens the tag, the setup cell clones it

On top of the current commit, it writes the tag into :data:`lepton_helpers.course.project.PINNED_REF`
(and its version, without the ``v``, into ``pyproject.toml``, ``lepton_helpers/__init__.py`` and
``CITATION.cff``), rewrites the badges and setup cells of every notebook with ``nbtools sync``,
commits those files and tags that commit. The commit is made off the branch (on a detached HEAD),
and the branch is checked out again afterwards: the tagged notebooks point at their own tag, so a
student who opens a badge gets the helpers that notebook was written for, while the branch keeps
pointing at itself, and a tag that is never pushed breaks no badge. Nothing is pushed. It refuses a
tag that exists, a name that is not ``vMAJOR.MINOR.PATCH``, and a work tree with uncommitted
changes (they would not be in the release).
"""

from __future__ import annotations

import argparse
import importlib
import re
import subprocess
from pathlib import Path

from . import nbtools, project

TAG = re.compile(r"v(\d+\.\d+\.\d+)")
# (file, the line's name): the lines the release rewrites, ``name = "value"`` (``name: "value"`` in
# YAML) at the start of a line
PINNED_LINE = ("lepton_helpers/course/project.py", "PINNED_REF")
VERSION_LINES = (("pyproject.toml", "version"), ("lepton_helpers/__init__.py", "__version__"),
                 ("CITATION.cff", "version"))


class ReleaseError(RuntimeError):
    """The release cannot be made as asked; the message says why and what to do."""


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if done.returncode:
        raise ReleaseError(f"git {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()


def _set(root: Path, line: tuple[str, str], value: str) -> None:
    """Rewrite the line ``name = "..."`` of a file to ``name = "value"`` (``name: "..."`` in a ``.cff`` file)."""
    path, name = root / line[0], line[1]
    assign = ": " if path.suffix == ".cff" else " = "
    pattern = re.compile(rf'^{re.escape(name)}{assign}".*"$', re.MULTILINE)
    text = path.read_text(encoding="utf-8")
    if not pattern.search(text):
        raise ReleaseError(f'{path} has no line {name}{assign}"..." to rewrite')
    path.write_text(pattern.sub(f'{name}{assign}"{value}"', text, count=1), encoding="utf-8")


def release(tag: str) -> str:
    """Pin badges and setup cells to ``tag``, commit and tag; return the commit's hash.

    Works on the repository that holds this package (``nbtools.ROOT``).
    """
    match = TAG.fullmatch(tag)
    if not match:
        raise ReleaseError(f"a release tag looks like v1.2.3, got {tag!r}")
    root = nbtools.ROOT
    if _git(root, "tag", "--list", tag):
        raise ReleaseError(f"tag {tag} exists already: choose the next version")
    dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    if dirty:
        raise ReleaseError(f"commit or set aside these changes first, they would not be in {tag}:\n{dirty}")
    branch = _git(root, "rev-parse", "--abbrev-ref", "HEAD")  # "HEAD" when already detached
    start = _git(root, "rev-parse", "HEAD")
    _git(root, "checkout", "--quiet", "--detach")
    try:
        _set(root, PINNED_LINE, tag)
        for line in VERSION_LINES:
            _set(root, line, match.group(1))
        importlib.reload(project)  # nbtools' badge and setup-cell functions read PINNED_REF from it
        nbtools.sync()
        _git(root, "commit", "--quiet", "--all", "--message", f"Release {tag}: Colab badges and setup cells pinned to {tag}")
        _git(root, "tag", "--annotate", tag, "--message", f"Release {tag}")
        return _git(root, "rev-parse", "HEAD")
    finally:  # back where it started, whatever happened: the branch's files as they were
        _git(root, "checkout", "--quiet", "--force", start if branch == "HEAD" else branch)
        importlib.reload(project)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lepton_helpers.course.release", description=__doc__.split("\n")[0])
    parser.add_argument("tag", help="the new version's tag, e.g. v0.2.0")
    args = parser.parse_args(argv)
    try:
        commit = release(args.tag)
    except ReleaseError as error:
        parser.exit(1, f"release: {error}\n")
    print(f"Tagged {args.tag} at {commit[:12]} (a commit on top of this one, off the branch): its badges and setup "
          f"cells point at it.\nPublish it: git push origin {args.tag}")


if __name__ == "__main__":
    main()
