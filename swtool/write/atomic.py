"""Write outputs atomically: a temporary file beside the target, then one rename.

A reader never sees half a file, and an interrupted run leaves the old file (or none), never a
broken one. What may be written over is not decided here: every command asks
``swtool.write.guard.guard_output`` first (never the ledger, its files, a backup, an input, or anything
that is not a regular file, ``/dev/null`` apart), then writes to the path it returns.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: Path):
    """Yield a temporary path beside ``target``; on success it replaces ``target`` in one step."""
    target = Path(target)
    if target.exists() and not target.is_file() and not target.is_dir():
        # a device or pipe (``-o /dev/null``, the one the output guard lets through): write into it;
        # renaming over it would replace the device with a regular file
        yield target
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_text(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
