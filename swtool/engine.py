"""The one path every front end takes: files in, findings out.

``check_paths`` reads each return (safe reader → typed tables), finds its contract and its
earlier quarters, runs every rule of the catalogue over it, and returns one FileReport a file.
The CLI, the PMO's import and the TUI all call this; none of them calls a rule directly.
"""

from __future__ import annotations

import logging
from pathlib import Path

from swtool import catalogue
from swtool.checks.context import CheckContext
from swtool.checks.runner import rule_context, run_rules
from swtool.errors import SwtoolError
from swtool.findings import FileReport, Finding, Location
from swtool.read.preflight import Limits, Unreadable, sha256_of

log = logging.getLogger(__name__)


def expand(paths: list[Path]) -> list[Path]:
    """Files as given; folders as every .xlsx below them (Excel's ~$ lock files left out).

    A pipe, a device or a link to one named like a workbook is listed too, so that the check refuses
    it by name (S001, "not a regular file") rather than passing over it in silence; it is never opened."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.suffix.lower() in (".xlsx", ".xlsm", ".xls") and not f.is_dir()
                          and not f.name.startswith("~$") and ".annotated." not in f.name)
        else:
            out.append(p)
    return out


def load_history(paths: list[Path], refdata, limits: Limits = Limits(), reader: str = "calamine"
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


def check_file(path: Path, ctx: CheckContext, limits: Limits = Limits()) -> tuple[FileReport, object]:
    """Check one return. Returns its report and the typed submission (None when unreadable).

    Never raises for anything about the file: one that cannot be read, or whose check fails in a way
    nobody foresaw (a bug, a value no rule expected), is one S001 finding, so one file never stops a
    batch (``check`` of a folder, ``import``). The traceback is logged (``SWTOOL_DEBUG=1`` shows it).
    A ``SwtoolError`` still stops the run: it says the run cannot go on for any file (a wrong
    ``SWTOOL_LIMITS``, reference data that cannot be read).
    """
    try:
        return _check_file(path, ctx, limits)
    except SwtoolError:  # the run itself cannot go on (a wrong SWTOOL_LIMITS, broken reference data): exit 2
        raise
    except Exception as e:  # noqa: BLE001 (KeyboardInterrupt still stops the run)
        log.exception("checking %s failed", path)
        return not_checked(path, ctx, e), None


def not_checked(path: Path, ctx: CheckContext, e: BaseException) -> FileReport:
    """The report of a file whose check failed unexpectedly: one S001 "could not be checked"."""
    report = FileReport(str(path), settings=dict(ctx.settings))
    _hash(report, path)
    report.findings.append(_s001(f"The workbook could not be checked: swtool met a problem it did not expect "
                                 f"({type(e).__name__}). Send the file to the council, which will have it looked "
                                 "at.", "not-checked"))
    return report


def _s001(message: str, reason: str) -> Finding:
    return catalogue.load_all()["S001"].finding(message, Location(), value=reason)


def _hash(report: FileReport, path: Path) -> None:
    try:
        report.sha256 = sha256_of(path)
    except (OSError, Unreadable):  # gone, unreadable, or not a regular file: no content to name
        pass


def _check_file(path: Path, ctx: CheckContext, limits: Limits) -> tuple[FileReport, object]:
    from swtool.read.submission import load_submission

    report = FileReport(str(path), settings=dict(ctx.settings))
    try:
        sub = load_submission(path, ctx.refdata, limits, ctx.settings.get("reader", "calamine"))
    except Unreadable as e:
        _hash(report, path)
        report.findings.append(_s001(str(e), e.reason))
        return report, None
    except OSError as e:  # gone since it was listed, no permission, a broken link
        report.findings.append(_s001(f"The file could not be opened ({e.strerror or type(e).__name__}). Check "
                                     "that it is there and readable, and check it again.", "cannot-open"))
        return report, None
    report.sha256 = sub.sha256
    report.contract, report.provider, report.lot = sub.contract_id, sub.provider, sub.lot
    report.quarter = str(sub.quarter) if sub.quarter else None
    report.submitted = sub.date_submitted
    report.notes += sub.warnings
    rctx = rule_context(sub, ctx)
    report.findings = run_rules(sub, rctx)
    return report, sub


def check_each(paths: list[Path], ctx: CheckContext, limits: Limits = Limits()):
    """Check every file (folders expanded), one at a time: yields (path, report, submission or None).

    For front ends that need the typed submission after the check (evidence counts, redaction)
    without holding every file's submission in memory at once.
    """
    seen: dict = {}  # sha256 -> findings: an earlier quarter checked once serves every later one's PMO view
    for p in expand(paths):
        report, sub = check_file(p, ctx, limits)
        report.notes += ctx.refdata.refusals
        add_pmo_view(report, sub, ctx, seen)
        yield p, report, sub


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
        report.notes.append(f"the PMO's view of this return (outputs and service credits) could not be worked "
                            f"out ({type(e).__name__}); the findings are complete")


def check_paths(paths: list[Path], ctx: CheckContext, limits: Limits = Limits()) -> list[FileReport]:
    return [report for _, report, _ in check_each(paths, ctx, limits)]
