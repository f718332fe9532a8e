"""One guard for every file swtool writes: never over the PMO's ledger, never over an input.

Every command that writes a file (a report with ``-o``, an annotated copy, a receipt, a template, a
remedial action plan, the network report, a backup) asks ``guard_output`` first, before any work is
done, and writes only to the path it returns. It refuses, with one sentence (``SwtoolError``, so the
command exits 2 and nothing is written):

- the ledger itself, its ``-wal``, ``-shm`` and ``-journal`` files, and anything inside its ``files/``
  store of imported returns (the ledger named with ``--db``, and the default one when it exists);
- any swtool ledger or backup of one (an SQLite file whose ``application_id`` is the ledger's), and
  the write-ahead log or shared memory beside one; a stored copy in any ledger's ``files/`` store;
- any input of the same command: the same path once links are resolved, or the same file by
  ``(st_dev, st_ino)``, so hard links and symbolic links are caught; an input folder protects every
  file below it;
- anything that exists and is not a regular file: a folder, a named pipe, a socket, a device (a write
  would block, replace the device, or reach a disk), with one exception, ``/dev/null``, which holds
  nothing and is where a user throws a report away (docs/decisions.md).

``-`` means standard output and is returned as it is, where the command allows it. A backup asks for
a new path (``new_only``): it is never written over an existing file, whatever that file is.

Only the standard library is imported here (and, when a check is made, ``swtool.model.refdata`` for where
the default ledger lives), so every command may use it without slowing down.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from swtool.errors import SwtoolError
from swtool.model import words
from swtool.read.preflight import file_kind as _kind  # one wording for what a path is

STDOUT = "-"
LEDGER_APPLICATION_ID = 0x53574C47  # swtool.ledger.db.APPLICATION_ID ("SWLG"); a test keeps the two equal
SQLITE_MAGIC = b"SQLite format 3\x00"
FILES_DIR = "files"  # swtool.ledger.db.FILES_DIR
LEDGER_SIDE_FILES = ("-wal", "-shm", "-journal")
_STORED_NAME = re.compile(r"^[0-9a-f]{64}\.xlsx$")  # files/<sha[:2]>/<sha>.xlsx


class OutputRefused(SwtoolError):
    """An output path that swtool will not write to; the message is one sentence."""


def guard_output(
    path: str | os.PathLike,
    inputs: Iterable[str | os.PathLike | None] = (),
    ledger: str | os.PathLike | None = None,
    *,
    what: str = "output",
    allow_stdout: bool = True,
    new_only: bool = False,
) -> Path:
    """Return ``path`` as a Path when swtool may write ``what`` there; raise OutputRefused otherwise.

    Args:
        path: where the command was asked to write.
        inputs: every file (or folder) the same command reads; None entries are ignored.
        ledger: the ledger the command uses (``--db``), or None; the default ledger is guarded too.
        what: the thing written, for the sentence ("report", "backup", "annotated copy").
        allow_stdout: ``-`` means standard output (returned as ``Path("-")``); when False it is a file
            name like any other.
        new_only: refuse any existing path (a backup is always written to a new file).
    """
    raw = os.fspath(path)
    if allow_stdout and raw == STDOUT:
        return Path(STDOUT)
    out = Path(raw)
    shown = raw
    real = _resolve(out)
    st = _stat(out)
    if st is not None and not stat.S_ISREG(st.st_mode) and not _is_dev_null(st):
        raise OutputRefused(
            f"{shown} is not a regular file but {_kind(st.st_mode)}; nothing was written: give a "
            f"new file name for the {what}"
        )
    for led in _ledgers(ledger):
        _refuse_ledger_parts(out, real, st, led, shown, what)
    if st is not None and stat.S_ISREG(st.st_mode) and is_ledger_file(out):
        raise OutputRefused(
            f"{shown} is a swtool ledger or a backup of one; it is not overwritten: choose another file for the {what}"
        )
    for suffix in LEDGER_SIDE_FILES:
        if raw.endswith(suffix) and is_ledger_file(Path(raw[: -len(suffix)])):
            raise OutputRefused(
                f"{shown} belongs to the swtool ledger {raw[: -len(suffix)]}; it is not "
                f"overwritten: choose another file for the {what}"
            )
    if _STORED_NAME.match(real.name) and real.parent.parent.name == FILES_DIR and len(real.parent.name) == 2:
        raise OutputRefused(
            f"{shown} is a stored copy in a ledger's {FILES_DIR}/ folder; it is not overwritten: "
            f"choose another file for the {what}"
        )
    if new_only and (st is not None or os.path.lexists(out)):
        raise OutputRefused(
            f"{shown} already exists; {words.a(what)} is never written over an existing file: choose a new file name"
        )
    for given in inputs:
        if given is None:
            continue
        src = Path(given)
        src_st = _stat(src)
        if src_st is not None and stat.S_ISDIR(src_st.st_mode):
            if st is not None and _inside(real, _resolve(src)):
                raise OutputRefused(
                    f"{shown} is in the folder {src}, which this command reads; it is not "
                    f"overwritten: choose another file for the {what}"
                )
            continue
        if real == _resolve(src) or (st is not None and src_st is not None and _same(st, src_st)):
            same = (
                "an input of this command"
                if raw == os.fspath(src)
                else f"the same file as {src}, an input of this command"
            )
            raise OutputRefused(f"{shown} is {same}; it is not overwritten: choose another file for the {what}")
    return out


def is_ledger_file(path: Path) -> bool:
    """True when ``path`` is a regular file holding an SQLite database whose ``application_id`` (4 bytes,
    big-endian, at offset 68 of the header) is the swtool ledger's: the ledger or a backup of it."""
    st = _stat(path)
    if st is None or not stat.S_ISREG(st.st_mode) or st.st_size < 100:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        head = os.read(fd, 100)
    except OSError:
        return False
    finally:
        os.close(fd)
    return head.startswith(SQLITE_MAGIC) and int.from_bytes(head[68:72], "big") == LEDGER_APPLICATION_ID


# --- helpers ---------------------------------------------------------------------------------------


def _refuse_ledger_parts(out: Path, real: Path, st, led: Path, shown: str, what: str) -> None:
    for suffix in ("",) + LEDGER_SIDE_FILES:
        part = Path(os.fspath(led) + suffix)
        part_st = _stat(part)
        if real == _resolve(part) or (st is not None and part_st is not None and _same(st, part_st)):
            if suffix:
                raise OutputRefused(
                    f"{shown} is the ledger's {suffix.lstrip('-')} file; it is not overwritten: "
                    f"choose another file for the {what}"
                )
            raise OutputRefused(
                f"{shown} is the ledger itself; nothing was written: choose another file for the {what}"
            )
    for files in {_resolve(led.parent / FILES_DIR), _resolve(_resolve(led).parent / FILES_DIR)}:
        files_st = _stat(files)
        if _inside(real, files) or (files_st is not None and _below(real, files_st)):
            raise OutputRefused(
                f"{shown} is inside the ledger's store of imported returns ({files}); nothing "
                f"was written: choose another file for the {what}"
            )


def _ledgers(ledger) -> list[Path]:
    """The ledger named, and the default ledger when it exists (a provider's report must not land on
    the PMO's ledger either)."""
    found = [Path(ledger)] if ledger is not None else []
    try:
        from swtool.model.refdata import user_data_dir

        default = user_data_dir() / "ledger.sqlite3"  # swtool.ledger.db.LEDGER_NAME
    except Exception:  # noqa: BLE001 (no user data folder on this platform: nothing to guard)
        return found
    if _stat(default) is not None and all(_resolve(default) != _resolve(f) for f in found):
        found.append(default)
    return found


def _resolve(p: Path) -> Path:
    try:
        return Path(os.path.abspath(p)).resolve()
    except (OSError, RuntimeError):  # a link loop: compare as written
        return Path(os.path.abspath(p))


def _stat(p: Path):
    try:
        return os.stat(p)
    except (OSError, ValueError):
        return None


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _inside(p: Path, folder: Path) -> bool:
    return p == folder or folder in p.parents


def _below(p: Path, folder_st: os.stat_result) -> bool:
    """True when a folder above ``p`` is the folder ``folder_st`` describes (a bind mount or another
    path to the same folder)."""
    for parent in p.parents:
        st = _stat(parent)
        if st is not None and _same(st, folder_st):
            return True
    return False


def _is_dev_null(st: os.stat_result) -> bool:
    if not stat.S_ISCHR(st.st_mode):
        return False
    null = _stat(Path(os.devnull))
    return null is not None and stat.S_ISCHR(null.st_mode) and st.st_rdev == null.st_rdev
