"""The one path every front end takes: files in, findings out.

``run`` reads each return (safe reader → typed tables), runs every rule of the catalogue over it with
its contract and its earlier quarters, and yields one ``Checked`` a file as it goes, so that a front
end shows progress and holds one file's typed return at a time. ``swtool check`` (with the PMO's view
of each return), the PMO's import (``ledger.store``, with the ledger's history of each contract; the
TUI's import goes through it) and the ledger's checks again all call it; none of them calls a rule
directly. ``check_file`` is ``run`` over one file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from swtool.errors import SwtoolError
from swtool.findings import FileReport, Finding, Location
from swtool.read.preflight import Limits, Unreadable, sha256_of
from swtool.read.rules import S001

if TYPE_CHECKING:  # the rules are loaded when the first file is checked, while its reader reads
    from swtool.checks.context import CheckContext
    from swtool.read.submission import Submission

log = logging.getLogger(__name__)

# (contract ID, quarter as "2025-26 Q1") of the return just read -> the earlier returns its rules see
HistoryFor = Callable[[str | None, str | None], list]


@dataclass
class Checked:
    """One file's result: its report, its typed return (None when it could not be read or checked) and
    the earlier returns its rules saw (the import stores which versions a return was checked with)."""

    path: Path
    report: FileReport
    submission: Submission | None = None
    history: list = field(default_factory=list)


def run(
    paths: Iterable[Path],
    ctx: CheckContext,
    limits: Limits = Limits(),
    *,
    history_for: HistoryFor | None = None,
    pmo_view: bool = False,
) -> Iterator[Checked]:
    """Check every file (folders expanded, ``expand``), one at a time, yielding each result when it is done.

    ``history_for``: when given, each file's earlier returns are asked for once its cover is read (its
    contract and quarter) instead of taken from ``ctx.history`` (the ledger's import: the versions in
    force for that contract, including a return imported just before). ``pmo_view``: add what the
    council's PMO will see of each return (``swtool check``). Never raises for anything about one file
    (see ``check_file``); a ``SwtoolError`` stops the run (a wrong ``SWTOOL_LIMITS``, reference data
    that cannot be read).
    """
    seen: dict = {}  # sha256 -> findings: an earlier quarter checked once serves every later one's PMO view
    for p in expand([Path(x) for x in paths]):
        done = _check_one(p, ctx, limits, history_for)
        done.report.notes += ctx.refdata.refusals
        if pmo_view:
            add_pmo_view(done.report, done.submission, ctx, seen)
        yield done


def check_file(path: Path, ctx: CheckContext, limits: Limits = Limits()) -> tuple[FileReport, Submission | None]:
    """Check one return: its report and its typed submission (None when unreadable). Like ``run`` over
    one file, without the notes said once per file.

    Never raises for anything about the file: one that cannot be read, or whose check fails in a way
    nobody foresaw (a bug, a value no rule expected), is one S001 finding, so one file never stops a
    batch (``check`` of a folder, ``import``). The traceback is logged (``SWTOOL_DEBUG=1`` shows it).
    A ``SwtoolError`` still stops the run: it says the run cannot go on for any file (a wrong
    ``SWTOOL_LIMITS``, reference data that cannot be read).
    """
    done = _check_one(Path(path), ctx, limits, None)
    return done.report, done.submission


def check_paths(paths: list[Path], ctx: CheckContext, limits: Limits = Limits()) -> list[FileReport]:
    """Every file's report at once, as ``swtool check`` makes them (with the PMO's view): for tests and scripts."""
    return [done.report for done in run(paths, ctx, limits, pmo_view=True)]


def expand(paths: list[Path]) -> list[Path]:
    """Files as given; folders as every .xlsx below them (Excel's ~$ lock files left out).

    A pipe, a device or a link to one named like a workbook is listed too, so that the check refuses
    it by name (S001, "not a regular file") rather than passing over it in silence; it is never opened."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(
                f
                for f in p.rglob("*")
                if f.suffix.lower() in (".xlsx", ".xlsm", ".xls")
                and not f.is_dir()
                and not f.name.startswith("~$")
                and ".annotated." not in f.name
            )
        else:
            out.append(p)
    return out


def load_history(
    paths: list[Path], refdata, limits: Limits = Limits(), reader: str = "calamine"
) -> tuple[list, list[str]]:
    """Earlier returns as Submissions; the unreadable ones are skipped and said so."""
    from swtool.read.submission import load_submission

    subs, notes = [], []
    for p in expand(paths):
        try:
            subs.append(load_submission(p, refdata, limits, reader))
        except Unreadable as e:
            notes.append(f"history file {p} skipped: {e}")
    return subs, notes


def not_checked(path: Path, ctx: CheckContext, e: BaseException) -> FileReport:
    """The report of a file whose check failed unexpectedly: one S001 "could not be checked"."""
    report = FileReport(str(path), settings=dict(ctx.settings))
    _hash(report, path)
    report.findings.append(
        _s001(
            f"The workbook could not be checked: swtool met a problem it did not expect "
            f"({type(e).__name__}). Send the file to the council, which will have it looked "
            "at.",
            "not-checked",
        )
    )
    return report


def _s001(message: str, reason: str) -> Finding:
    return S001.finding(message, Location(), value=reason)


def _hash(report: FileReport, path: Path) -> None:
    try:
        report.sha256 = sha256_of(path)
    except (OSError, Unreadable):  # gone, unreadable, or not a regular file: no content to name
        pass


def _check_one(path: Path, ctx: CheckContext, limits: Limits, history_for: HistoryFor | None) -> Checked:
    from swtool.checks.runner import rule_context, run_rules

    try:
        report, sub = _read(path, ctx, limits)
    except SwtoolError:  # the run itself cannot go on (a wrong SWTOOL_LIMITS, broken reference data): exit 2
        raise
    except Exception as e:  # noqa: BLE001 (KeyboardInterrupt still stops the run)
        log.exception("checking %s failed", path)
        return Checked(path, not_checked(path, ctx, e))
    if sub is None:
        return Checked(path, report)
    if history_for is not None:  # outside the guard: a ledger that cannot give it stops this file's import
        ctx = replace(ctx, history=list(history_for(sub.contract_id, str(sub.quarter) if sub.quarter else None)))
    try:
        report.findings = run_rules(sub, rule_context(sub, ctx))
    except SwtoolError:
        raise
    except Exception as e:  # noqa: BLE001
        log.exception("checking %s failed", path)
        return Checked(path, not_checked(path, ctx, e), None, list(ctx.history))
    return Checked(path, report, sub, list(ctx.history))


def _read(path: Path, ctx: CheckContext, limits: Limits) -> tuple[FileReport, Submission | None]:
    from swtool.read.submission import load_submission

    report = FileReport(str(path), settings=dict(ctx.settings))
    try:
        sub = load_submission(path, ctx.refdata, limits, ctx.settings.get("reader", "calamine"))
    except Unreadable as e:
        _hash(report, path)
        report.findings.append(_s001(str(e), e.reason))
        return report, None
    except OSError as e:  # gone since it was listed, no permission, a broken link
        report.findings.append(
            _s001(
                f"The file could not be opened ({e.strerror or type(e).__name__}). Check "
                "that it is there and readable, and check it again.",
                "cannot-open",
            )
        )
        return report, None
    report.sha256 = sub.sha256
    report.contract, report.provider, report.lot = sub.contract_id, sub.provider, sub.lot
    report.quarter = str(sub.quarter) if sub.quarter else None
    report.submitted = sub.date_submitted
    report.notes += sub.warnings
    return report, sub


def add_pmo_view(report: FileReport, sub, ctx: CheckContext, seen: dict | None = None) -> None:
    """What the council's PMO will see of the return (``pmo_view.for_check``): its outputs against target,
    K701/K702 and the service credits it would be liable to. It never costs the check its report: a
    failure is one note, and the findings stand."""
    from swtool.report.pmo_view import for_check

    try:
        report.pmo_view = for_check(sub, report, ctx, seen)
    except SwtoolError:
        raise
    except Exception as e:  # noqa: BLE001
        log.exception("the PMO's view of %s failed", report.path)
        report.notes.append(
            f"the PMO's view of this return (outputs and service credits) could not be worked "
            f"out ({type(e).__name__}); the findings are complete"
        )
