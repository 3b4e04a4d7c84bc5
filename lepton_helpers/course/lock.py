"""The lock under which every tool (and every person) edits the committed notebooks, on any system."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

LOCK = Path("/tmp" if os.name == "posix" else tempfile.gettempdir()) / "lepton-nb.lock"
"""On POSIX the same file as ``flock /tmp/lepton-nb.lock`` in a shell."""


@contextlib.contextmanager
def notebook_lock(path: Path | None = None) -> Iterator[None]:
    """Hold the exclusive lock on ``path`` (default :data:`LOCK`), waiting for it: ``flock`` on POSIX,
    ``msvcrt.locking`` on Windows (chosen at call time, so importing works everywhere)."""
    with open(path or LOCK, "a+b") as handle:
        if os.name == "nt":
            import msvcrt

            while True:
                try:
                    handle.seek(0)
                    msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
                    break
                except OSError:  # held by another process
                    time.sleep(0.1)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
