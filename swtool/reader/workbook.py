"""Read a workbook's cells with their coordinates: streaming, bounded, never writing.

The result is plain data (lists and tuples of Python values), so it can be handed back from a child
process. Each sheet keeps the Excel row number of every row as Excel shows it (title rows, blank
rows and hidden rows do not shift it) and the column letter of every header.
"""

from __future__ import annotations

import logging
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path

from swtool.reader.preflight import Limits, Preflight, Unreadable
from swtool.reader.preflight import check as preflight_check

log = logging.getLogger(__name__)

HEADER_SEARCH_ROWS = 30


def column_letter(idx: int) -> str:
    """1 -> A, 28 -> AB."""
    s = ""
    while idx:
        idx, rem = divmod(idx - 1, 26)
        s = chr(65 + rem) + s
    return s


@dataclass
class RawSheet:
    """One sheet's cells. ``rows[i]`` is the Excel row number of ``values[i]``; ``values[i][j]`` is the
    value in column ``j + 1`` (A = 0). Blank rows are not kept."""

    name: str
    state: str
    rows: list[int] = field(default_factory=list)
    values: list[tuple] = field(default_factory=list)
    width: int = 0
    formula_cells: set[tuple[int, int]] = field(default_factory=set)  # (row, col) holding a formula
    truncated: str | None = None  # why reading stopped early, if it did
    notes: list[str] = field(default_factory=list)  # every limit that cut what was read, naming the limit


@dataclass
class RawWorkbook:
    path: Path
    sha256: str
    sheets: dict[str, RawSheet]            # the sheets that were read, by their name in the workbook
    sheet_states: dict[str, str]            # every sheet: visible, hidden or veryHidden
    warnings: list[str] = field(default_factory=list)


def _is_blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def read(path: Path, wanted: set[str] | None = None, limits: Limits | None = None,
         header_hints: dict[str, set[str]] | None = None) -> RawWorkbook:
    """Pre-flight, then read the sheets whose names (casefolded) are in ``wanted`` (all when None).

    The pre-flight runs here (stdlib, milliseconds); openpyxl runs in a child process with a wall-time
    and an address-space limit (``limits.child_process``, ``read_seconds``, ``read_memory_mb``), so a
    file that makes the reader hang, exhaust memory or abort becomes S001 rather than a dead tool.
    ``SWTOOL_LIMITS`` overrides any limit (docs/security.md).

    Raises Unreadable (rule S001) for anything that is not a readable workbook.
    """
    limits = (limits or Limits()).with_env()
    pf = preflight_check(path, limits)
    import openpyxl

    if not openpyxl.DEFUSEDXML:  # OPENPYXL_DEFUSEDXML=False would silently allow entity bombs
        raise Unreadable("swtool cannot read workbooks safely here: defusedxml is not in use by openpyxl. "
                         "Reinstall swtool (it depends on defusedxml) and unset OPENPYXL_DEFUSEDXML.",
                         "no-defusedxml")
    if limits.child_process and isolation_available():
        return _read_in_child(path, pf, wanted, limits)
    try:
        return _read_checked(path, pf, wanted, limits)
    except MemoryError:
        raise _memory_error(limits, bounded=False) from None


def _read_checked(path: Path, pf: Preflight, wanted: set[str] | None, limits: Limits) -> RawWorkbook:
    """The openpyxl read of a file that passed the pre-flight (in the child process by default)."""
    import openpyxl

    names = [n for n, _, _ in pf.sheets if wanted is None or n.casefold().strip() in wanted]
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False, keep_vba=False)
    except MemoryError:
        raise
    except Exception as e:  # openpyxl raises many kinds for a damaged file; the provider needs one sentence
        log.debug("openpyxl could not open %s", path, exc_info=True)
        raise Unreadable("The workbook is damaged and cannot be opened "
                         f"({_why(e)}). Save it again from Excel and resend it.", "damaged") from None
    try:
        sheets = {}
        budget = [limits.max_cells, limits.max_text_chars]  # whole-workbook: cells, characters of text
        for name in names:
            state = next(s for n, s, _ in pf.sheets if n == name)
            try:
                sheets[name] = _read_sheet(wb[name], name, state, limits, budget)
            except (Unreadable, MemoryError):
                raise
            except Exception as e:
                log.debug("reading sheet %s of %s failed", name, path, exc_info=True)
                raise Unreadable(f"The sheet '{name}' is damaged and cannot be read ({_why(e)}). "
                                 "Save the workbook again from Excel.", "damaged") from None
    finally:
        wb.close()
    formula_names = [n for n in sheets if pf.part_of(n) in pf.formula_parts]
    if formula_names:
        try:
            _mark_formulas(path, sheets, formula_names, limits)
        except MemoryError:
            raise
        except Exception as e:  # the values were read; a formula pass that fails is the same damaged file
            log.debug("formula pass over %s failed", path, exc_info=True)
            raise Unreadable("The workbook is damaged and cannot be read "
                             f"({_why(e)}). Save it again from Excel and resend it.", "damaged") from None
    warnings = list(pf.warnings) + [f"Sheet '{n}': {note}." for n, sh in sheets.items() for note in sh.notes]
    return RawWorkbook(path, pf.sha256, sheets, {n: s for n, s, _ in pf.sheets}, warnings)


# --- work in a bounded child process: the read here, the annotated copy in swtool.annotate ------------------

def isolation_available() -> bool:
    """A child process with an address-space limit needs fork (POSIX) and ``resource``; elsewhere
    (Windows) the read runs in this process, bounded only by the pre-flight and the cell budget."""
    try:
        import resource  # noqa: F401
    except ImportError:
        return False
    return hasattr(os, "fork")


def _vm_size() -> int | None:
    """This process's address space in bytes (Linux), or None."""
    try:
        with open("/proc/self/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _limit_memory(extra_mb: int) -> None:
    """In the child: cap the address space at what it has now plus ``extra_mb`` (never above a hard
    limit the parent already has)."""
    import resource

    start = _vm_size()
    if start is None:
        start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    want = start + extra_mb * 1024 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    for given in (soft, hard):  # a limit the caller already set is kept if it is lower
        if given != resource.RLIM_INFINITY:
            want = min(want, given)
    resource.setrlimit(resource.RLIMIT_AS, (want, hard))


class ChildStopped(Exception):
    """``run_bounded``: the child gave no result. ``kind`` is ``"time-limit"`` (killed after its
    seconds), ``"memory-limit"`` (a MemoryError within its address-space limit), ``"died"`` (it ended
    without answering; ``detail`` says how: ``signal SIGKILL``, ``exit code 1``; most likely the memory
    limit) or ``"failed"`` (an unexpected exception; ``detail`` is ``Type: message``, for a log only).
    The caller words the sentence for its reader and names its limit."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


def run_bounded(func, args: tuple = (), *, seconds: float, memory_mb: int, name: str = "swtool-child",
                passthrough: tuple[type[BaseException], ...] = ()):
    """Run ``func(*args)`` in a child process whose address space may grow by ``memory_mb`` and that is
    killed after ``seconds``; return what it returns (it must pickle).

    Raises ``Unreadable`` as the child raised it, any exception of a ``passthrough`` type as the child
    raised it (when it pickles), and ``ChildStopped`` for everything else. Only for
    ``isolation_available()`` platforms; a caller falls back to running ``func`` in its own process."""
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_bounded_child, args=(send, func, args, memory_mb, passthrough), name=name,
                       daemon=True)
    proc.start()
    send.close()
    message = None
    try:
        if receive.poll(seconds):
            try:
                message = receive.recv()
            except (EOFError, OSError):  # the child died before it could answer
                message = None
        else:
            proc.kill()
            raise ChildStopped("time-limit")
    finally:
        receive.close()
        proc.join(5)
        if proc.exitcode is None:
            proc.kill()
            proc.join()
    if message is None:
        code = proc.exitcode
        how = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 and \
            -code in signal.valid_signals() else f"exit code {code}"
        raise ChildStopped("died", how)
    kind = message[0]
    if kind == "ok":
        return message[1]
    if kind == "unreadable":
        raise Unreadable(message[1], message[2])
    if kind == "raised":
        raise message[1]
    if kind == "memory":
        raise ChildStopped("memory-limit")
    raise ChildStopped("failed", message[1])


def _bounded_child(conn, func, args: tuple, memory_mb: int, passthrough: tuple) -> None:
    """The child's whole life: limit itself, run, send back the result or the reason there is none."""
    try:
        _limit_memory(memory_mb)
        message = ("ok", func(*args))
    except Unreadable as e:
        message = ("unreadable", str(e), e.reason)
    except MemoryError:
        message = ("memory",)
    except BaseException as e:  # noqa: BLE001 (even Ctrl-C: the parent reports it; no traceback here)
        message = ("raised", e) if isinstance(e, passthrough) and _pickles(e) else \
            ("error", f"{type(e).__name__}: {e}"[:500])
    try:
        conn.send(message)
    except MemoryError:  # too big to pickle within the limit
        conn.send(("memory",))
    finally:
        conn.close()


def _pickles(e: BaseException) -> bool:
    import pickle

    try:
        pickle.loads(pickle.dumps(e))
    except Exception:  # noqa: BLE001 (an exception with its own __init__ may not come back)
        return False
    return True


def _context():
    """``fork`` (milliseconds, nothing re-imported) when this process runs one thread; ``forkserver``
    otherwise, as forking a threaded process can deadlock the child."""
    import multiprocessing as mp
    import threading

    if threading.active_count() == 1:
        return mp.get_context("fork")
    return _forkserver()


def _forkserver():
    import multiprocessing as mp

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["swtool.reader.workbook", "openpyxl"])
    return ctx


def start_child_server() -> None:
    """Start the fork server (and multiprocessing's resource tracker) now, for a program that will
    read workbooks from threads while it has replaced ``sys.stderr`` (a terminal UI does both).

    Started later, the server would be handed that stderr, which has no file descriptor, and every
    read would fail ("bad value(s) in fds_to_keep"). Started now, it keeps the real one."""
    if not isolation_available():
        return
    from multiprocessing import forkserver, resource_tracker

    _forkserver()
    resource_tracker.ensure_running()
    forkserver.ensure_running()


def _read_in_child(path: Path, pf: Preflight, wanted, limits: Limits) -> RawWorkbook:
    try:
        return run_bounded(_read_checked, (path, pf, wanted, limits), seconds=limits.read_seconds,
                           memory_mb=limits.read_memory_mb, name="swtool-reader")
    except ChildStopped as e:
        stopped = e
    if stopped.kind == "time-limit":
        log.warning("reading %s took over %s s; the reader was stopped", path, limits.read_seconds)
        raise Unreadable(f"The workbook could not be read within {_secs(limits.read_seconds)} (limit "
                         "read_seconds); it is unusually large or damaged. Remove unused rows, columns and "
                         "sheets, save it again from Excel and resend it.", "time-limit")
    if stopped.kind == "died":
        log.warning("the reader of %s died (%s)", path, stopped.detail)
        raise Unreadable(f"The workbook could not be read: the reader stopped ({stopped.detail}), most likely at the "
                         f"{limits.read_memory_mb:,} MB memory limit (limit read_memory_mb); it is unusually large or "
                         "damaged. Remove unused rows, columns and sheets, save it again from Excel and resend it.",
                         "reader-died")
    if stopped.kind == "memory-limit":
        raise _memory_error(limits, bounded=True)
    log.warning("reading %s failed in the reader process: %s", path, stopped.detail)
    raise Unreadable("The workbook is damaged and cannot be read. Save it again from Excel and resend it.",
                     "damaged")


def _why(e: BaseException) -> str:
    """The kind of failure in a few words for the provider's sentence (zlib's error is just "error")."""
    import zlib

    if isinstance(e, zlib.error):
        return "a part inside it cannot be unpacked"
    return type(e).__name__


def _secs(n: float) -> str:
    return f"{n:g} second{'' if n == 1 else 's'}"


def _memory_error(limits: Limits, bounded: bool) -> Unreadable:
    where = f"{limits.read_memory_mb:,} MB of memory (limit read_memory_mb)" if bounded else \
        "the memory of this computer"
    return Unreadable(f"The workbook could not be read within {where}; it is unusually large or damaged. Remove "
                      "unused rows, columns and sheets, save it again from Excel and resend it.", "memory-limit")


def _read_sheet(ws, name: str, state: str, limits: Limits, budget: list[int]) -> RawSheet:
    """Stream rows with explicit bounds; never trust the sheet's declared dimension."""
    sheet = RawSheet(name, state)
    # First find how wide the sheet really is, from its first rows (a header must be among them).
    width = 0
    for row in ws.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, max_col=limits.max_columns + 1,
                            values_only=True):
        for j in range(len(row) - 1, -1, -1):
            if not _is_blank(row[j]):
                width = max(width, j + 1)
                break
    if width > limits.max_columns:
        width = limits.max_columns
        sheet.notes.append(f"columns after {column_letter(width)} were not read (limit max_columns, "
                           f"{limits.max_columns:,} columns)")
    sheet.width = width
    if not width:
        return sheet
    blank_run = 0
    max_text = limits.max_text or 1 << 62
    cuts: dict[str, str] = {}
    cut_cells = 0
    for r, row in enumerate(ws.iter_rows(min_row=1, max_row=limits.max_rows, max_col=width, values_only=True),
                            start=1):
        if all(v is None or (v.__class__ is str and not v.strip()) for v in row):
            blank_run += 1
            if blank_run >= limits.blank_row_stop:
                sheet.truncated = (f"reading stopped after {limits.blank_row_stop:,} blank rows at row {r:,} "
                                   "(limit blank_row_stop); rows below it, if any, were not read")
                break
            continue
        blank_run = 0
        budget[0] -= width
        if budget[0] < 0:
            raise Unreadable(f"The workbook holds more than {limits.max_cells:,} cells (limit max_cells); "
                             f"reading stopped at '{name}' row {r:,}. Remove unused rows and columns.",
                             "too-many-cells")
        chars, long = 0, False
        for v in row:
            if v.__class__ is str:
                chars += len(v)
                long = long or len(v) > max_text
        if long:  # one cut copy per long string, however many cells share it (a shared string is one object)
            cut_cells += sum(1 for v in row if v.__class__ is str and len(v) > max_text)
            row = tuple(_cut(v, max_text, cuts) if v.__class__ is str and len(v) > max_text else v for v in row)
            chars = sum(len(v) for v in row if v.__class__ is str)
        budget[1] -= chars
        if budget[1] < 0:  # every later stage walks each cell's text: bound it here, not only the cells
            raise Unreadable(f"The workbook holds more than {limits.max_text_chars:,} characters of text (limit "
                             f"max_text_chars); reading stopped at '{name}' row {r:,}. Remove unused rows and "
                             "long texts.", "too-much-text")
        sheet.rows.append(r)
        sheet.values.append(row)
    else:
        if sheet.rows and sheet.rows[-1] >= limits.max_rows:
            sheet.truncated = f"reading stopped at row {limits.max_rows:,} (limit max_rows)"
    if cut_cells:
        sheet.notes.append(f"{cut_cells:,} cell{'s were' if cut_cells > 1 else ' was'} cut to {max_text:,} "
                           "characters (limit max_text)")
    if sheet.truncated:
        sheet.notes.append(sheet.truncated)
    return sheet


def _cut(v: str, max_text: int, cuts: dict[str, str]) -> str:
    cut = cuts.get(v)
    if cut is None:
        if len(cuts) >= 64:
            cuts.clear()
        cut = cuts[v] = v[:max_text]
    return cut


def _mark_formulas(path: Path, sheets: dict[str, RawSheet], names: list[str], limits: Limits) -> None:
    """A second, formula-aware pass over the few sheets that hold formulas (rule S009)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False, keep_vba=False)
    try:
        for name in names:
            sheet = sheets[name]
            wanted = set(sheet.rows)
            for row in wb[name].iter_rows(min_row=1, max_row=max(sheet.rows, default=0),
                                          max_col=sheet.width or 1):
                for cell in row:
                    if getattr(cell, "data_type", None) == "f" and cell.row in wanted:
                        sheet.formula_cells.add((cell.row, cell.column))
    finally:
        wb.close()
