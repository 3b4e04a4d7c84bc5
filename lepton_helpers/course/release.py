"""Publish a release: pin every Colab badge and setup cell to a new tag, commit, and tag, in one step.

Usage (from the repository root, on a clean work tree)::

    python -m lepton_helpers.course.release v0.2.0
    git push origin HEAD v0.2.0        # then the badges work: Colab opens the tag, the setup cell clones it

It writes the tag into :data:`lepton_helpers.course.project.PINNED_REF` (and its version, without the
``v``, into ``pyproject.toml``, ``lepton_helpers/__init__.py`` and ``CITATION.cff``), rewrites the badges and setup cells
of every notebook with ``nbtools sync``, commits those files, and creates an annotated tag on that
commit. So the tagged notebooks point at their own tag, and a student who opens a badge gets the
helpers that notebook was written for. Nothing is pushed. It refuses a tag that exists, a name that
is not ``vMAJOR.MINOR.PATCH``, and a work tree with uncommitted changes (they would not be in the
release).
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
    _set(root, PINNED_LINE, tag)
    for line in VERSION_LINES:
        _set(root, line, match.group(1))
    importlib.reload(project)  # nbtools' badge and setup-cell functions read PINNED_REF from it
    nbtools.sync()
    _git(root, "commit", "--quiet", "--all", "--message", f"Release {tag}: Colab badges and setup cells pinned to {tag}")
    _git(root, "tag", "--annotate", tag, "--message", f"Release {tag}")
    return _git(root, "rev-parse", "HEAD")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lepton_helpers.course.release", description=__doc__.split("\n")[0])
    parser.add_argument("tag", help="the new version's tag, e.g. v0.2.0")
    args = parser.parse_args(argv)
    try:
        commit = release(args.tag)
    except ReleaseError as error:
        parser.exit(1, f"release: {error}\n")
    print(f"Tagged {args.tag} at {commit[:12]}: badges and setup cells point at it.\n"
          f"Publish it: git push origin HEAD {args.tag}")


if __name__ == "__main__":
    main()
