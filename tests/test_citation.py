"""CITATION.cff: valid CFF 1.2.0 keys, the repository of project.py, the version of pyproject.toml."""

from __future__ import annotations

import re
import tomllib

from lepton_helpers.course import nbtools, project


def top_level(text: str) -> dict[str, str]:
    """The top-level ``key: value`` scalars of a YAML file (quotes removed; lists and blocks left out)."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"^([a-z][a-z-]*):\s*(.*)$", line)
        if match:
            found[match[1]] = match[2].strip().strip('"')
    return found


CFF = (nbtools.ROOT / "CITATION.cff").read_text(encoding="utf-8")
KEYS = top_level(CFF)


def test_citation_has_the_keys_cff_requires():
    assert KEYS["cff-version"] == "1.2.0"
    assert {"message", "title", "authors"} <= set(KEYS), "CFF 1.2.0 requires cff-version, message, title, authors"
    assert re.search(r'^authors:\n  - name: "Lepton Notebooks contributors"$', CFF, re.MULTILINE)
    assert KEYS["license"] == "MIT" and KEYS["type"] == "software"


def test_citation_agrees_with_pyproject_and_project():
    pyproject = tomllib.loads((nbtools.ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert KEYS["version"] == pyproject["project"]["version"], "the release command rewrites both"
    assert KEYS["repository-code"] == project.REPO_URL
