"""Read a workbook's cells with their coordinates: streaming, bounded, never writing.

The result is plain data (lists and tuples of Python values), so it can be handed back from a child
process. Each sheet keeps the Excel row number of every row as Excel shows it (title rows, blank
rows and hidden rows do not shift it) and the column letter of every header.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain, islice, repeat
from pathlib import Path
from typing import TYPE_CHECKING

from swtool.read.preflight import Limits, Preflight, Unreadable, open_regular
from swtool.read.preflight import check as preflight_check

if TYPE_CHECKING:
    from concurrent.futures import Future

log = logging.getLogger(__name__)

HEADER_SEARCH_ROWS = 30
BLOCK_ROWS = 2_048  # calamine's rows converted a block at a time, a column at a time


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
    value in column ``j + 1`` (A = 0). Blank rows are not kept. The calamine reader keeps ``values`` as
    columns (``Rows``, equal to the list of tuples and read like one; ``Rows.columns`` for whole columns)."""

    name: str
    state: str
    rows: list[int] = field(default_factory=list)
    values: list[tuple] = field(default_factory=list)
    width: int = 0
    formula_cells: set[tuple[int, int]] = field(default_factory=set)  # (row, col): a formula, no saved value
    truncated: str | None = None  # why reading stopped early, if it did
    notes: list[str] = field(default_factory=list)  # every limit that cut what was read, naming the limit


@dataclass
class RawWorkbook:
    path: Path
    sha256: str
    sheets: dict[str, RawSheet]  # the sheets that were read, by their name in the workbook
    sheet_states: dict[str, str]  # every sheet: visible, hidden or veryHidden
    warnings: list[str] = field(default_factory=list)


def _is_blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


CALAMINE, OPENPYXL = "calamine", "openpyxl"
READERS = (CALAMINE, OPENPYXL)  # the setting ``reader`` (docs/rules.md#settings)
# what each reader imports, loaded in the reader's child before its memory limit starts counting
READER_MODULES = {CALAMINE: ("python_calamine", "swtool.read.calamine"), OPENPYXL: ("openpyxl",)}


def read(
    path: Path,
    wanted: set[str] | None = None,
    limits: Limits | None = None,
    header_hints: dict[str, set[str]] | None = None,
    reader: str = CALAMINE,
) -> RawWorkbook:
    """Pre-flight, then read the sheets whose names (casefolded) are in ``wanted`` (all when None).

    The pre-flight runs here (stdlib, milliseconds); the reader runs in a child process with a wall-time
    and an address-space limit (``limits.child_process``, ``read_seconds``, ``read_memory_mb``), so a
    file that makes the reader hang, exhaust memory or abort becomes S001 rather than a dead tool.
    ``SWTOOL_LIMITS`` overrides any limit (docs/security.md).

    ``reader``: ``calamine`` (python-calamine, fast; a file it cannot read, or reads differently, is read
    by openpyxl: ``swtool.read.calamine``) or ``openpyxl``. Both give the same RawWorkbook. Without a
    child process openpyxl reads: calamine aborts the process on some files, and here that would be
    the tool's own process.

    Raises Unreadable (rule S001) for anything that is not a readable workbook.
    """
    return start_read(path, wanted, limits, header_hints, reader).result()


def start_read(
    path: Path,
    wanted: set[str] | None = None,
    limits: Limits | None = None,
    header_hints: dict[str, set[str]] | None = None,
    reader: str = CALAMINE,
) -> PendingRead:
    """``read``, started: the pre-flight runs now (Unreadable now) and the child starts reading; the
    caller does other work (loads pandas) meanwhile and takes the cells with ``.result()``."""
    if reader not in READERS:
        raise ValueError(f"reader {reader!r} is not one of {', '.join(READERS)}")
    limits = (limits or Limits()).with_env()
    pf = preflight_check(path, limits)
    return PendingRead(path, pf, wanted, limits, reader)


class PendingRead:
    """A read under way: in a bounded child process, or (without one) in this process at ``result``."""

    def __init__(self, path: Path, pf: Preflight, wanted, limits: Limits, reader: str):
        self.path, self.pf, self.wanted, self.limits, self.reader = path, pf, wanted, limits, reader
        self.bounded = limits.child_process and isolation_available()
        self.started = time.monotonic()
        self.job = (
            start_bounded(
                _read_checked,
                (path, pf, wanted, limits, reader),
                seconds=limits.read_seconds,
                memory_mb=limits.read_memory_mb,
                name="swtool-reader",
                preload=READER_MODULES[reader],
            )
            if self.bounded
            else None
        )

    def result(self) -> RawWorkbook:
        if not self.bounded:
            try:
                return _read_checked(self.path, self.pf, self.wanted, self.limits, OPENPYXL)
            except MemoryError:
                raise _memory_error(self.limits, bounded=False) from None
        return self._wait()

    def _wait(self) -> RawWorkbook:
        path, pf, wanted, limits, reader = self.path, self.pf, self.wanted, self.limits, self.reader
        assert self.job is not None  # result() waits only for a bounded read
        try:
            return self.job.wait()
        except ChildStopped as e:
            stopped = e
        if reader == CALAMINE and stopped.kind != "time-limit":
            # calamine died (it aborts on some files: a cell far out makes it size a sheet of billions of
            # cells), ran out of memory or failed: openpyxl reads the file, in a new child, in the time left
            log.info("calamine could not read %s (%s); openpyxl reads it", path, stopped)
            left = limits.read_seconds - (time.monotonic() - self.started)
            if left <= 0:
                stopped = ChildStopped("time-limit")
            else:
                try:
                    return run_bounded(
                        _read_checked,
                        (path, pf, wanted, limits, OPENPYXL),
                        seconds=left,
                        memory_mb=limits.read_memory_mb,
                        name="swtool-reader",
                        preload=READER_MODULES[OPENPYXL],
                    )
                except ChildStopped as e:
                    stopped = e
        if stopped.kind == "time-limit":
            log.warning("reading %s took over %s s; the reader was stopped", path, limits.read_seconds)
            raise Unreadable(
                f"The workbook could not be read within {_secs(limits.read_seconds)} (limit "
                "read_seconds); it is unusually large or damaged. Remove unused rows, columns and "
                "sheets, save it again from Excel and resend it.",
                "time-limit",
            )
        if stopped.kind == "died":
            log.warning("the reader of %s died (%s)", path, stopped.detail)
            raise Unreadable(
                f"The workbook could not be read: the reader stopped ({stopped.detail}), most likely "
                f"at the {limits.read_memory_mb:,} MB memory limit (limit read_memory_mb); it is "
                "unusually large or damaged. Remove unused rows, columns and sheets, save it again "
                "from Excel and resend it.",
                "reader-died",
            )
        if stopped.kind == "memory-limit":
            raise _memory_error(limits, bounded=True)
        log.warning("reading %s failed in the reader process: %s", path, stopped.detail)
        raise Unreadable(
            "The workbook is damaged and cannot be read. Save it again from Excel and resend it.", "damaged"
        )

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()


def _read_checked(
    path: Path, pf: Preflight, wanted: set[str] | None, limits: Limits, reader: str = OPENPYXL
) -> RawWorkbook:
    """The read of a file that passed the pre-flight (in the child process by default)."""
    names = [n for n, _, _ in pf.sheets if wanted is None or n.casefold().strip() in wanted]
    if reader == CALAMINE:
        from swtool.read.calamine import NotForCalamine

        try:
            sheets = _read_calamine(path, pf, names, limits)
        except NotForCalamine as e:
            log.debug("%s is read by openpyxl: %s", path, e)
            sheets = _read_openpyxl(path, pf, names, limits)
    else:
        sheets = _read_openpyxl(path, pf, names, limits)
    warnings = list(pf.warnings) + [f"Sheet '{n}': {note}." for n, sh in sheets.items() for note in sh.notes]
    return RawWorkbook(path, pf.sha256, sheets, {n: s for n, s, _ in pf.sheets}, warnings)


def _read_openpyxl(path: Path, pf: Preflight, names: list[str], limits: Limits) -> dict[str, RawSheet]:
    import openpyxl

    if not openpyxl.DEFUSEDXML:  # OPENPYXL_DEFUSEDXML=False would silently allow entity bombs
        raise Unreadable(
            "swtool cannot read workbooks safely here: defusedxml is not in use by openpyxl. "
            "Reinstall swtool (it depends on defusedxml) and unset OPENPYXL_DEFUSEDXML.",
            "no-defusedxml",
        )
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False, keep_vba=False)
    except MemoryError:
        raise
    except Exception as e:  # openpyxl raises many kinds for a damaged file; the provider needs one sentence
        log.debug("openpyxl could not open %s", path, exc_info=True)
        raise Unreadable(
            f"The workbook is damaged and cannot be opened ({_why(e)}). Save it again from Excel and resend it.",
            "damaged",
        ) from None
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
                raise Unreadable(
                    f"The sheet '{name}' is damaged and cannot be read ({_why(e)}). "
                    "Save the workbook again from Excel.",
                    "damaged",
                ) from None
    finally:
        wb.close()
    formula_names = [n for n, sheet in sheets.items() if sheet.rows]
    if formula_names:
        try:
            _mark_formulas(path, pf, sheets, formula_names)
        except MemoryError:
            raise
        except Exception as e:  # the values were read; a formula pass that fails is the same damaged file
            log.debug("formula pass over %s failed", path, exc_info=True)
            raise Unreadable(
                f"The workbook is damaged and cannot be read ({_why(e)}). Save it again from Excel and resend it.",
                "damaged",
            ) from None
    return sheets


def _read_calamine(path: Path, pf: Preflight, names: list[str], limits: Limits) -> dict[str, RawSheet]:
    """python-calamine's read, as openpyxl would give it; NotForCalamine hands the file to openpyxl.

    calamine parses the sheets one after the other in a thread of its own (it lets go of the GIL while it
    parses): the file is looked over (``calamine.prepare``) and each sheet converted while it parses the
    next, so on two cores most of that costs no time."""
    from concurrent.futures import ThreadPoolExecutor

    from swtool.read import calamine as cal

    parts = {n: pf.part_of(n) or "" for n in names}
    sheets: dict[str, RawSheet] = {}
    budget = [limits.max_cells, limits.max_text_chars]
    converter = cal.Converter()  # one for the workbook: a client's reference is one object in every sheet
    with cal.quiet_stderr():
        wb = cal.call(cal.open_workbook, path)
        parser = ThreadPoolExecutor(1, thread_name_prefix="calamine")
        try:
            parsed: list[Future | None] = [parser.submit(cal.call, wb.get_sheet_by_name, name) for name in names]
            facts, scans = _look_over(path, pf, names, limits)
            for k, name in enumerate(names):
                future, parsed[k] = parsed[k], None  # the parsed sheet is let go once it is read
                assert future is not None
                sh = future.result()
                state = next(s for n, s, _ in pf.sheets if n == name)
                scanned = scans.get(parts[name])
                sheets[name] = _calamine_sheet(
                    sh,
                    name,
                    state,
                    limits,
                    budget,
                    facts.last_row.get(parts[name], 0),
                    scanned.errors if scanned else {},
                    converter,
                )
                del sh  # its cells, before the next sheet's
        finally:
            parser.shutdown(wait=True, cancel_futures=True)  # no parse outlives the read
            wb.close()
    from swtool.read.formulas import scan

    for name, sheet in sheets.items():
        part = parts[name]
        if part in facts.formula_parts and sheet.rows:
            try:
                found = scans.get(part)
                if found is None:
                    with open_regular(path) as fh, zipfile.ZipFile(fh) as zf, zf.open(facts.real[part]) as src:
                        found = scan(src, max(sheet.rows), errors=False)
            except MemoryError:
                raise
            except Exception as e:
                raise cal.NotForCalamine(f"the formula scan of '{name}' failed ({type(e).__name__})") from None
            _mark(sheet, found.formulas)
    return sheets


def _look_over(path: Path, pf: Preflight, names: list[str], limits: Limits):
    """``calamine.prepare``, and the text of the error cells of the sheets that hold some."""
    from swtool.read import calamine as cal
    from swtool.read.formulas import scan

    try:
        facts = cal.prepare(path, pf, names)
        scans = {}
        if facts.error_parts:  # the text of error cells goes into the rows as they are read
            with open_regular(path) as fh, zipfile.ZipFile(fh) as zf:
                for part in facts.error_parts:
                    with zf.open(facts.real[part]) as src:
                        scans[part] = scan(src, limits.max_rows, errors=True)
    except (cal.NotForCalamine, MemoryError):
        raise
    except Exception as e:  # a part that cannot be unpacked or parsed: openpyxl's sentence for it
        raise cal.NotForCalamine(f"looking over the file failed ({type(e).__name__})") from None
    return facts, scans


def _calamine_sheet(
    sh,
    name: str,
    state: str,
    limits: Limits,
    budget: list[int],
    last_row: int,
    errors: dict[int, dict[int, str]],
    converter,
) -> RawSheet:
    """One sheet from calamine's rows: the same width, rows and bounds as ``_read_sheet``."""
    sheet = RawSheet(name, state)
    start = sh.start
    if start is None and not errors:
        return sheet
    offset = start[1] if start is not None else 0
    rows = sh.iter_rows() if start is not None else iter(())  # from row 1: leading blank rows included
    head = list(islice(rows, HEADER_SEARCH_ROWS))
    cap = limits.max_columns + 1
    width = 0
    for r in range(1, HEADER_SEARCH_ROWS + 1):
        row = head[r - 1] if r <= len(head) else ()
        for k in range(min(len(row), cap - offset) - 1, -1, -1):
            v = row[k]
            if not (v.__class__ is str and not v.strip()):
                width = max(width, offset + k + 1)
                break
        for col, text in errors.get(r, {}).items():
            if col <= cap and text.strip():
                width = max(width, col)
    width = _width_note(sheet, width, limits)
    if not width:
        return sheet
    total = min(
        max(last_row, (start[0] + sh.height) if start is not None else 0, max(errors, default=0)), limits.max_rows
    )

    max_text = limits.max_text or 1 << 62

    def blocks():
        given = chain(head, rows)
        for first in range(1, total + 1, BLOCK_ROWS):
            take = min(BLOCK_ROWS, total + 1 - first)
            chunk = list(islice(given, take))
            if len(set(map(len, chunk))) <= 1:
                cols, chars = converter.block(chunk, width, offset, max_text)
            else:  # never from calamine, whose rows are as wide as the used range: one row at a time
                done = [converter.row(list(row), width, offset, None) for row in chunk]
                cols = [list(c) for c in zip(*done)] if done else [[] for _ in range(width)]
                chars = [None] * len(done)
            if len(chars) < take:  # below the last value, down to the last row openpyxl reads
                for c in cols:
                    c += [None] * (take - len(chars))
                chars += [0] * (take - len(chars))
            if errors:
                for k in range(take):
                    patch = errors.get(first + k)
                    if patch:
                        for col, text in patch.items():
                            if col <= width:
                                cols[col - 1][k] = text
                        chars[k] = None
            yield first, cols, chars

    return _collect_columns(sheet, blocks(), width, limits, budget)


class Rows(Sequence):
    """A sheet's rows kept as its columns (the calamine reader's ``RawSheet.values``): ``rows[i]`` is row
    ``i`` as a tuple and ``rows[a:b]`` a list of them, as the list of tuples the openpyxl reader makes
    gives them, and equal to it; ``columns`` gives the typing whole columns without making a row."""

    __slots__ = ("columns", "n")

    def __init__(self, columns: list[list], n: int):
        self.columns, self.n = columns, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return list(zip(*(c[i] for c in self.columns)))
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError("row index out of range")
        return tuple(c[i] for c in self.columns)

    def __iter__(self):
        return zip(*self.columns)

    def __eq__(self, other) -> bool:
        if isinstance(other, Rows):
            return self.n == other.n and self.columns == other.columns
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return len(other) == self.n and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Rows({self[:3]!r}{', ...' if self.n > 3 else ''}; {self.n} rows)"


def _collect_columns(sheet: RawSheet, blocks, width: int, limits: Limits, budget: list[int]) -> RawSheet:
    """``_collect`` over blocks of columns (``(first Excel row, columns, characters of each row)``, the
    rows 1, 2, 3, … in order): the same rows kept, bounds, budgets, cuts and notes, and
    ``sheet.values`` a ``Rows`` of the kept rows."""
    name = sheet.name
    blank_run = 0
    max_text = limits.max_text or 1 << 62
    cuts: dict[str, str] = {}
    cut_cells = 0
    kept_columns: list[list] = [[] for _ in range(width)]
    stopped = False
    r = 0
    for first, cols, chars in blocks:
        blank = _blank_rows(cols, len(chars))
        kept: list[int] = []
        for k, c in enumerate(chars):
            r = first + k
            if k in blank:  # nothing but blanks and spaces
                blank_run += 1
                if blank_run >= limits.blank_row_stop:
                    sheet.truncated = _blank_stop_note(limits, r)
                    stopped = True
                    break
                continue
            blank_run = 0
            budget[0] -= width
            if budget[0] < 0:
                raise _too_many_cells(limits, name, r)
            if c is None:
                lengths = [len(col[k]) for col in cols if col[k].__class__ is str]
                c = sum(lengths)
                if lengths and max(lengths) > max_text:  # one cut copy per long string, however many cells share it
                    for col in cols:
                        v = col[k]
                        if v.__class__ is str and len(v) > max_text:
                            cut_cells += 1
                            col[k] = _cut(v, max_text, cuts)
                    c = sum(len(col[k]) for col in cols if col[k].__class__ is str)
            budget[1] -= c
            if budget[1] < 0:  # every later stage walks each cell's text: bound it here, not only the cells
                raise Unreadable(
                    f"The workbook holds more than {limits.max_text_chars:,} characters of text (limit "
                    f"max_text_chars); reading stopped at '{name}' row {r:,}. Remove unused rows and "
                    "long texts.",
                    "too-much-text",
                )
            kept.append(k)
        sheet.rows += [first + k for k in kept]
        if len(kept) == len(chars):
            for into, col in zip(kept_columns, cols):
                into += col
        elif kept:
            for into, col in zip(kept_columns, cols):
                into += map(col.__getitem__, kept)
        if stopped:
            break
    if not stopped and sheet.rows and sheet.rows[-1] >= limits.max_rows:
        sheet.truncated = f"reading stopped at row {limits.max_rows:,} (limit max_rows)"
    sheet.values = Rows(kept_columns, len(sheet.rows))  # type: ignore[assignment]
    if cut_cells:
        sheet.notes.append(
            f"{cut_cells:,} cell{'s were' if cut_cells > 1 else ' was'} cut to {max_text:,} characters (limit max_text)"
        )
    if sheet.truncated:
        sheet.notes.append(sheet.truncated)
    return sheet


def _blank_rows(cols: list[list], n: int) -> set[int]:
    """The rows (0 … n-1) of a block of columns with nothing but blanks and spaces: those blank in the
    first column, then of these the ones blank in the next, and so on (a filled column ends it soon)."""
    left: range | list[int] = range(n)
    for col in cols:
        left = [k for k in left if (v := col[k]) is None or (v.__class__ is str and not v.strip())]
        if not left:
            return set()
    return set(left)


# --- work in a bounded child process: the read here, the annotated copy in swtool.write.annotate ------------------


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


def run_bounded(
    func,
    args: tuple = (),
    *,
    seconds: float,
    memory_mb: int,
    name: str = "swtool-child",
    passthrough: tuple[type[BaseException], ...] = (),
    preload: tuple[str, ...] = (),
):
    """Run ``func(*args)`` in a child process whose address space may grow by ``memory_mb`` (once the
    modules named in ``preload`` are imported) and that is killed after ``seconds``; return what it
    returns (it must pickle).

    Raises ``Unreadable`` as the child raised it, any exception of a ``passthrough`` type as the child
    raised it (when it pickles), and ``ChildStopped`` for everything else. Only for
    ``isolation_available()`` platforms; a caller falls back to running ``func`` in its own process."""
    return start_bounded(
        func, args, seconds=seconds, memory_mb=memory_mb, name=name, passthrough=passthrough, preload=preload
    ).wait()


def start_bounded(
    func,
    args: tuple = (),
    *,
    seconds: float,
    memory_mb: int,
    name: str = "swtool-child",
    passthrough: tuple[type[BaseException], ...] = (),
    preload: tuple[str, ...] = (),
) -> Bounded:
    """``run_bounded``, started: ``.wait()`` gives what it gives. The ``seconds`` count from now."""
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_bounded_child, args=(send, func, args, memory_mb, passthrough, preload), name=name, daemon=True
    )
    proc.start()
    send.close()
    return Bounded(proc, receive, time.monotonic() + seconds)


class Bounded:
    """A bounded child at work (``start_bounded``)."""

    def __init__(self, proc, receive, deadline: float):
        self.proc, self.receive, self.deadline = proc, receive, deadline

    def wait(self):
        proc, receive = self.proc, self.receive
        message = None
        try:
            if receive.poll(max(0.0, self.deadline - time.monotonic())):
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
            how = (
                f"signal {signal.Signals(-code).name}"
                if code is not None and code < 0 and -code in signal.valid_signals()
                else f"exit code {code}"
            )
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

    def cancel(self) -> None:
        """Stop the child and forget its answer (the caller failed meanwhile)."""
        self.proc.kill()
        self.receive.close()
        self.proc.join()


def _bounded_child(conn, func, args: tuple, memory_mb: int, passthrough: tuple, preload: tuple[str, ...] = ()) -> None:
    """The child's whole life: import what it needs, limit itself, run, send back the result or the reason
    there is none. The limit is on what the work adds, not on the imports: openpyxl brings numpy, whose
    maths library reserves address space for its threads as it loads, and under a small limit a valid
    return would fail to read."""
    import importlib

    try:
        for module in preload:
            importlib.import_module(module)
        _limit_memory(memory_mb)
        message: tuple = ("ok", func(*args))
    except Unreadable as e:
        message = ("unreadable", str(e), e.reason)
    except MemoryError:
        message = ("memory",)
    except BaseException as e:  # noqa: BLE001 (even Ctrl-C: the parent reports it; no traceback here)
        message = (
            ("raised", e) if isinstance(e, passthrough) and _pickles(e) else ("error", f"{type(e).__name__}: {e}"[:500])
        )
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
    ctx.set_forkserver_preload(["swtool.read.workbook", "swtool.read.calamine", "python_calamine", "openpyxl"])
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


def _why(e: BaseException) -> str:
    """The kind of failure in a few words for the provider's sentence (zlib's error is just "error")."""
    import zlib

    if isinstance(e, zlib.error):
        return "a part inside it cannot be unpacked"
    return type(e).__name__


def _secs(n: float) -> str:
    return f"{n:g} second{'' if n == 1 else 's'}"


def _memory_error(limits: Limits, bounded: bool) -> Unreadable:
    where = (
        f"{limits.read_memory_mb:,} MB of memory (limit read_memory_mb)" if bounded else "the memory of this computer"
    )
    return Unreadable(
        f"The workbook could not be read within {where}; it is unusually large or damaged. Remove "
        "unused rows, columns and sheets, save it again from Excel and resend it.",
        "memory-limit",
    )


def _read_sheet(ws, name: str, state: str, limits: Limits, budget: list[int]) -> RawSheet:
    """Stream rows with explicit bounds; never trust the sheet's declared dimension."""
    sheet = RawSheet(name, state)
    # First find how wide the sheet really is, from its first rows (a header must be among them).
    width = 0
    for row in ws.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, max_col=limits.max_columns + 1, values_only=True):
        for j in range(len(row) - 1, -1, -1):
            if not _is_blank(row[j]):
                width = max(width, j + 1)
                break
    width = _width_note(sheet, width, limits)
    if not width:
        return sheet
    rows = ws.iter_rows(min_row=1, max_row=limits.max_rows, max_col=width, values_only=True)
    return _collect(sheet, zip(rows, repeat(None)), width, limits, budget)


def _width_note(sheet: RawSheet, width: int, limits: Limits) -> int:
    if width > limits.max_columns:
        width = limits.max_columns
        sheet.notes.append(
            f"columns after {column_letter(width)} were not read (limit max_columns, {limits.max_columns:,} columns)"
        )
    sheet.width = width
    return width


def _collect(sheet: RawSheet, rows, width: int, limits: Limits, budget: list[int]) -> RawSheet:
    """Keep the rows that hold something, each a tuple of ``width`` values; ``rows`` gives Excel's rows 1,
    2, 3, … in order, each with the characters of text in it when they are known already (else None).
    The openpyxl reader ends here; the calamine reader in ``_collect_columns``, the same steps over
    columns (tests/unit/read holds the two readers' sheets equal)."""
    name = sheet.name
    blank_run = 0
    max_text = limits.max_text or 1 << 62
    cuts: dict[str, str] = {}
    cut_cells = 0
    for r, (row, chars) in enumerate(rows, start=1):
        for v in row:
            if v is not None and (v.__class__ is not str or v.strip()):
                break
        else:  # nothing but blanks and spaces
            blank_run += 1
            if blank_run >= limits.blank_row_stop:
                sheet.truncated = _blank_stop_note(limits, r)
                break
            continue
        blank_run = 0
        budget[0] -= width
        if budget[0] < 0:
            raise _too_many_cells(limits, name, r)
        if chars is None:
            lengths = [len(v) for v in row if v.__class__ is str]
            chars = sum(lengths)
            if lengths and max(lengths) > max_text:  # one cut copy per long string, however many cells share it
                cut_cells += sum(1 for v in row if v.__class__ is str and len(v) > max_text)
                row = tuple(_cut(v, max_text, cuts) if v.__class__ is str and len(v) > max_text else v for v in row)
                chars = sum(len(v) for v in row if v.__class__ is str)
        budget[1] -= chars
        if budget[1] < 0:  # every later stage walks each cell's text: bound it here, not only the cells
            raise Unreadable(
                f"The workbook holds more than {limits.max_text_chars:,} characters of text (limit "
                f"max_text_chars); reading stopped at '{name}' row {r:,}. Remove unused rows and "
                "long texts.",
                "too-much-text",
            )
        sheet.rows.append(r)
        sheet.values.append(row)
    else:
        if sheet.rows and sheet.rows[-1] >= limits.max_rows:
            sheet.truncated = f"reading stopped at row {limits.max_rows:,} (limit max_rows)"
    if cut_cells:
        sheet.notes.append(
            f"{cut_cells:,} cell{'s were' if cut_cells > 1 else ' was'} cut to {max_text:,} characters (limit max_text)"
        )
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


def _mark_formulas(path: Path, pf: Preflight, sheets: dict[str, RawSheet], names: list[str]) -> None:
    """The formula cells with no saved value (rule S009), from a streaming scan of the XML of the few
    sheets that hold formulas (``swtool.read.formulas``), not a second openpyxl pass. A quick search of
    each sheet's XML says which those are."""
    from swtool.read.formulas import part_holds_formula, scan

    with open_regular(path) as fh, zipfile.ZipFile(fh) as zf:
        real = {n.lower(): n for n in zf.namelist()}
        for name in names:
            sheet = sheets[name]
            part = real.get((pf.part_of(name) or "").lower())
            if not sheet.rows or part is None:
                continue
            with zf.open(part) as src:
                if not part_holds_formula(src):
                    continue
            with zf.open(part) as src:
                _mark(sheet, scan(src, max(sheet.rows), errors=False).formulas)


def _mark(sheet: RawSheet, formulas: set[tuple[int, int]]) -> None:
    """Keep the formula cells of the rows read, within the columns read."""
    wanted = set(sheet.rows)
    last = sheet.width or 1
    sheet.formula_cells.update((r, c) for r, c in formulas if r in wanted and c <= last)


def _blank_stop_note(limits: Limits, r: int) -> str:
    """Why a sheet's reading stopped at a long run of blank rows (both readers say it the same way)."""
    return (
        f"reading stopped after {limits.blank_row_stop:,} blank rows at row {r:,} "
        "(limit blank_row_stop); rows below it, if any, were not read"
    )


def _too_many_cells(limits: Limits, name: str, r: int) -> Unreadable:
    """The whole workbook is over its cell budget (both readers stop the same way)."""
    return Unreadable(
        f"The workbook holds more than {limits.max_cells:,} cells (limit max_cells); "
        f"reading stopped at '{name}' row {r:,}. Remove unused rows and columns.",
        "too-many-cells",
    )
