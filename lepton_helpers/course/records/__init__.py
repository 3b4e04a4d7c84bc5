"""Recorded results of the course's long commands, committed so that notebooks and the README can quote them.

Each record is a JSON file written by the command named in it (``"command"``), on the machine
described in it; :func:`load` reads one. A notebook prints a recorded figure as recorded, and says so;
it never presents it as measured in its own run.
"""

from __future__ import annotations

import json
from importlib import resources


def load(name: str) -> dict:
    """The record ``name`` (for example ``"recipe_seeds"``), as a dict; a clear error if it is missing."""
    path = resources.files(__package__) / f"{name}.json"
    if not path.is_file():
        known = sorted(p.name[:-5] for p in resources.files(__package__).iterdir() if p.name.endswith(".json"))
        raise FileNotFoundError(f"no recorded result {name!r}; recorded: {', '.join(known) or 'none'}. "
                                "Each record is written by the command it names (with --record).")
    return json.loads(path.read_text())
