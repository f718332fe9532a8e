"""Exports from the review: a return's findings for its provider, the quarter's service credits and
payments schedules, written as files to a folder the PMO chooses.

- ``export_findings``: the provider's own workbook, as the ledger stored it at import, back with its
  findings marked (``swtool.write.annotate``, the same copy ``swtool check --annotate`` writes), each
  finding's message carrying the PMO's decision in force on it. Where the stored workbook is gone (a
  retention run removed it) or cannot be annotated, the findings are written as a table instead, and
  the result says why. ``fmt`` "xlsx" or "csv" asks for the table.
- ``export_credits``: the service credits of every contract in term (``views.credit_report``, the
  figures ``swtool credits`` prints), one row an output, with the decision in force.
- ``export_payments``: the payment schedule (``payments.schedule``, the figures ``swtool payments``
  prints), with ``payments.write_xlsx`` and ``payments.render_csv``, the command's own formats.

No figure is worked out here: every amount is the report's. A file's name says what it holds (the
contract, the quarter, the version), and an export is never written over an existing file: a name
already taken gets ``-2``, ``-3`` … Every path is asked of ``swtool.write.guard`` first (never the
ledger, its store of returns, a backup, or the workbook being annotated), the name is taken with an
exclusive create, and the content is written through ``swtool.write.atomic``: a folder never holds
half an export. A failure is one sentence (``ExportError``) and leaves no file.
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from swtool.calc import money
from swtool.errors import SwtoolError
from swtool.ledger import store, views
from swtool.ledger.db import Ledger
from swtool.model.quarter import Quarter

FORMATS = ("xlsx", "csv")
FINDINGS_FORMATS = ("annotated", "xlsx", "csv")  # annotated: the provider's workbook, marked
MAX_COPIES = 999  # name-2 … name-999, then the PMO is asked to tidy up
CREDIT_COLUMNS = (
    "contract",
    "provider",
    "lot",
    "contract_quarter",
    "output",
    "target",
    "actual",
    "percent",
    "credit_value",
    "credits",
    "amount",
    "status",
    "decided_by",
    "decided_on",
    "reason",
)
FINDING_COLUMNS = (
    "severity",
    "code",
    "rule",
    "sheet",
    "row",
    "cell",
    "message",
    "how_to_fix",
    "decision",
    "decided_by",
    "decided_on",
    "decision_reason",
)
DECIDED = {"accept": "accepted", "query": "queried", "waive": "waived"}
MONEY_FORMAT = "£#,##0.00;-£#,##0.00"


class ExportError(SwtoolError):
    """The export was not written; the message is one sentence."""


@dataclass
class Exported:
    path: Path  # the file written, absolute
    what: str  # "service credits schedule, 2026/27-Q2", for the sentence shown
    rows: int  # rows of figures (outputs, contracts, findings)
    note: str = ""  # anything the PMO should know (a table instead of the annotated workbook, and why)

    def sentence(self) -> str:
        return f"Exported the {self.what} to {self.path}" + (f". {self.note}" if self.note else "")


# --- the three exports ----------------------------------------------------------------------------------


def export_credits(
    ledger: Ledger, quarter: str | Quarter, folder, fmt: str = "xlsx", settings=None, refdata=None
) -> Exported:
    """The quarter's service credits schedule as ``service-credits_<quarter>.<fmt>`` in ``folder``."""
    fmt = _format(fmt, FORMATS)
    q = _quarter(quarter)
    report = views.credit_report(ledger, q, _settings(ledger, settings), refdata)
    decided = store.credit_decisions(ledger, str(q))
    rows = sum(len(cc.lines) for cc in report.contracts)

    def write(tmp: Path) -> None:
        if fmt == "csv":
            tmp.write_text(credits_csv(report, decided), encoding="utf-8", newline="")
        else:
            write_credits_xlsx(report, decided, tmp)

    path = _write_new(ledger, folder, f"service-credits_{_slug(str(q))}", fmt, "service credits schedule", write)
    return Exported(path, f"service credits schedule, {q}", rows)


def export_payments(
    ledger: Ledger, quarter: str | Quarter, folder, fmt: str = "xlsx", settings=None, refdata=None
) -> Exported:
    """The quarter's payment schedule as ``payments_<quarter>.<fmt>`` in ``folder``."""
    from swtool.ledger import payments

    fmt = _format(fmt, FORMATS)
    q = _quarter(quarter)
    s = payments.schedule(ledger, q, _settings(ledger, settings), refdata)

    def write(tmp: Path) -> None:
        if fmt == "csv":
            tmp.write_text(payments.render_csv(s), encoding="utf-8", newline="")
        else:
            payments.write_xlsx(s, tmp)

    path = _write_new(ledger, folder, f"payments_{_slug(str(q))}", fmt, "payment schedule", write)
    return Exported(path, f"payment schedule, {q}", len(s.payments))


def export_findings(ledger: Ledger, return_id: int, folder, fmt: str = "annotated", refdata=None) -> Exported:
    """Return ``return_id``'s findings for its provider, in ``folder``: the annotated workbook
    (``<contract>_<quarter>_v<version>_findings.annotated.xlsx``) or a table (``…_findings.xlsx``/``.csv``)."""
    fmt = _format(fmt, FINDINGS_FORMATS)
    r = store.get_return(ledger, return_id)
    stem = f"{_slug(r['contract_id'])}_{_slug(r['quarter'])}_v{r['version']}_findings"
    what = f"findings of return {r['id']} ({r['contract_id']} {r['quarter']} version {r['version']})"
    source = ledger.dir / r["stored_file"]
    note = ""
    if fmt == "annotated":
        if source.is_file():
            try:
                return _annotated(ledger, r, source, folder, stem, what, refdata)
            except _NotAnnotated as e:
                note = f"The workbook could not be annotated ({e}), so its findings are written as a table"
        else:
            note = (
                "The ledger no longer holds the return's workbook (a retention run removes it), so its findings "
                "are written as a table"
            )
        fmt = "xlsx"
    rows = _finding_rows(ledger, r["id"], refdata, personal=False)
    writer = _findings_csv if fmt == "csv" else _findings_xlsx
    path = _write_new(ledger, folder, stem, fmt, "findings", lambda tmp: writer(r, rows, tmp))
    return Exported(path, what, len(rows), note)


# --- findings --------------------------------------------------------------------------------------------


class _NotAnnotated(Exception):
    pass


def _finding_rows(ledger: Ledger, return_id: int, refdata, personal: bool) -> list[dict]:
    """The return's findings with the decision in force (``views.return_findings``: what the contract
    screen shows; ``personal`` with the cell values, as its v key shows them)."""
    return views.return_findings(ledger, return_id, refdata or store._default_refdata(), personal)


def _decision_words(row: dict) -> str:
    action = row.get("decision")
    if not action:
        return ""
    return DECIDED.get(action, action)


def _decided_on(row: dict) -> str:
    from swtool.model.quarter import uk_date

    day = store.dated({"detail": row.get("decision_detail")})
    if day:
        try:
            from datetime import date

            return uk_date(date.fromisoformat(day))
        except ValueError:
            return day
    return (row.get("decided_at") or "")[:10]


def _annotated(ledger: Ledger, r: dict, source: Path, folder, stem: str, what: str, refdata) -> Exported:
    """The stored workbook with its findings marked, each message followed by the PMO's decision."""
    from swtool.findings import FileReport, Finding
    from swtool.write.annotate import NotAnnotated, annotate

    rows = _finding_rows(ledger, r["id"], refdata, personal=True)  # the provider's own workbook: its own values
    findings = []
    for row in rows:
        message = row["message"]
        decision = _decision_words(row)
        if decision:
            message = f"{message} (PMO: {decision} on {_decided_on(row)})"
        findings.append(
            Finding(
                row["code"],
                row["slug"],
                row["severity"],
                message,
                row["sheet"],
                row["row"],
                row["col"],
                row["header"],
                None if row["cell"] == store.NO_CELL else row["cell"],
                row["value"],
                row["spec"],
            )
        )
    report = FileReport(
        r["source_name"],
        sha256=r["sha256"],
        contract=r["contract_id"],
        provider=r["provider"],
        lot=r["lot"],
        quarter=r["quarter"],
        findings=findings,
    )

    def write(tmp: Path) -> None:
        import tempfile

        # annotate writes only a new file or an earlier annotated copy: it writes into a private folder,
        # and the finished copy is put in the reserved name
        with tempfile.TemporaryDirectory(prefix="swtool-export-") as private:
            marked = Path(private) / f"{stem}.annotated.xlsx"
            try:
                annotate(source, report, marked)
            except NotAnnotated as e:
                raise _NotAnnotated(str(e).rstrip(".")) from None
            tmp.write_bytes(marked.read_bytes())

    path = _write_new(ledger, folder, f"{stem}.annotated", "xlsx", "annotated copy", write, inputs=[source])
    return Exported(path, f"{what} as the annotated workbook", len(rows))


def _finding_values(row: dict, rules: dict) -> list:
    rule = rules.get(row["code"])
    return [
        row["severity"],
        row["code"],
        row["slug"],
        row["sheet"],
        row["row"],
        None if row["cell"] == store.NO_CELL else row["cell"],
        row["message"],
        getattr(rule, "fix", None) if rule is not None else None,
        _decision_words(row),
        row.get("decided_by") if row.get("decision") else None,
        _decided_on(row) if row.get("decision") else None,
        row.get("decision_reason"),
    ]


def _findings_csv(r: dict, rows: list[dict], tmp: Path) -> None:
    from swtool import catalogue

    rules = catalogue.load_all()
    tmp.write_text(_csv(FINDING_COLUMNS, [_finding_values(row, rules) for row in rows]), encoding="utf-8", newline="")


def _findings_xlsx(r: dict, rows: list[dict], tmp: Path) -> None:
    import openpyxl
    from openpyxl.styles import Font

    from swtool import catalogue
    from swtool.write.xlsx import put, save

    rules = catalogue.load_all()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Findings"
    put(
        ws.cell(1, 1),
        f"Findings of return {r['id']}: {r['contract_id']} {r['quarter']} version {r['version']} ({r['source_name']})",
    )
    ws.cell(1, 1).font = Font(bold=True)
    for j, h in enumerate(FINDING_COLUMNS, 1):
        put(ws.cell(3, j), h.replace("_", " "))
        ws.cell(3, j).font = Font(bold=True)
    for i, row in enumerate(rows, 4):
        for j, v in enumerate(_finding_values(row, rules), 1):
            put(ws.cell(i, j), v)
    for j, width in enumerate((10, 8, 28, 14, 6, 16, 80, 60, 10, 14, 12, 60), 1):
        ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width = width
    ws.freeze_panes = "A4"
    save(wb, tmp)


# --- service credits ---------------------------------------------------------------------------------------


def _credit_rows(report, decided: dict) -> list[list]:
    """One row an output: the JSON form's values (money as text, "8250.00"), and the decision in force."""
    out = []
    for c in report.to_dict()["contracts"]:
        for ln in c["outputs"]:
            d = decided.get((c["contract"], ln["output"]))
            out.append(
                [
                    c["contract"],
                    c["provider"],
                    c["lot"],
                    c["contract_quarter"],
                    ln["output"],
                    ln["target"],
                    ln["actual"],
                    ln["percent"],
                    ln["credit_value"],
                    ln["credits"],
                    ln["amount"],
                    ln["status"],
                    d["who"] if d else None,
                    _decision_day(d) if d else None,
                    d["reason"] if d else None,
                ]
            )
    return out


def _decision_day(d: dict) -> str:
    from datetime import date

    from swtool.model.quarter import uk_date

    day = store.dated(d) or (d.get("at") or "")[:10]
    try:
        return uk_date(date.fromisoformat(day))
    except ValueError:
        return day


def credit_totals(report) -> dict[str, Decimal]:
    """The amounts of the lines due, added up by status (applied, pending, waived) as the credits screen
    and ``swtool status`` add them (each line already to the penny), and due and not waived."""
    split = {
        st: money.total(
            ln.amount
            for cc in report.contracts
            for ln, s in zip(cc.lines, cc.statuses, strict=True)
            if ln.due and s == st
        )
        for st in ("applied", "pending", "waived")
    }
    split["due and not waived"] = money.total(cc.due_amount for cc in report.contracts)
    return split


def credits_csv(report, decided: dict) -> str:
    """The service credits schedule as CSV: one row an output (money as text, "8250.00"; percent to
    0.01), then a Total row for each of applied, pending, waived, and due and not waived."""
    rows = _credit_rows(report, decided)
    for status, amount in credit_totals(report).items():
        rows.append(["Total", "", "", "", "", "", "", "", "", "", money.pounds_text(amount), status, "", "", ""])
    return _csv(CREDIT_COLUMNS, rows)


def write_credits_xlsx(report, decided: dict, tmp: Path) -> None:
    """The service credits schedule as a workbook: the CSV's rows with money as numbers in pounds, the
    totals under them, and a second sheet, Workings, with each line's sentence (how it was worked out)."""
    import openpyxl
    from openpyxl.styles import Font

    from swtool.write.xlsx import put, save

    bold = Font(bold=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Service credits"
    setting = ", ".join(f"{k} = {report.settings.get(k)}" for k in views.CREDIT_SETTINGS)
    put(ws.cell(1, 1), f"Southwark Works service credits, {report.quarter} (setting {setting})")
    ws.cell(1, 1).font = bold
    for j, h in enumerate(CREDIT_COLUMNS, 1):
        put(ws.cell(3, j), h.replace("_", " "))
        ws.cell(3, j).font = bold
    row = 4
    money_columns = {CREDIT_COLUMNS.index("credit_value") + 1, CREDIT_COLUMNS.index("amount") + 1}
    for values in _credit_rows(report, decided):
        for j, v in enumerate(values, 1):
            if j in money_columns and v is not None:
                put(ws.cell(row, j), Decimal(v))  # the report's pounds to the penny ("8250.00")
                ws.cell(row, j).number_format = MONEY_FORMAT
            else:
                put(ws.cell(row, j), v)
        row += 1
    amount_col = CREDIT_COLUMNS.index("amount") + 1
    for status, amount in credit_totals(report).items():
        put(ws.cell(row, 1), "Total")
        put(ws.cell(row, amount_col), amount)
        put(ws.cell(row, amount_col + 1), status)
        for j in (1, amount_col, amount_col + 1):
            ws.cell(row, j).font = bold
        ws.cell(row, amount_col).number_format = MONEY_FORMAT
        row += 1
    for j, width in enumerate((12, 34, 6, 9, 7, 8, 8, 9, 13, 9, 13, 10, 14, 12, 60), 1):
        ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width = width
    ws.freeze_panes = "B4"
    workings = wb.create_sheet("Workings")
    for j, h in enumerate(("contract", "output", "how it was worked out"), 1):
        put(workings.cell(1, j), h)
        workings.cell(1, j).font = bold
    row = 2
    for cc in report.contracts:
        for ln in cc.lines:
            put(workings.cell(row, 1), cc.contract.contract_id)
            put(workings.cell(row, 2), ln.output)
            put(workings.cell(row, 3), ln.reason)
            row += 1
    workings.column_dimensions["A"].width, workings.column_dimensions["C"].width = 12, 140
    save(wb, tmp)


# --- writing -------------------------------------------------------------------------------------------------


def _csv(header, rows) -> str:
    import csv
    import io

    from swtool.ledger.payments import _csv_text  # text a spreadsheet would run as a formula is quoted

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([_csv_text(v) for v in row])
    return buf.getvalue()


def _write_new(ledger: Ledger, folder, stem: str, ext: str, what: str, write, inputs=()) -> Path:
    """Write a new file ``<stem>.<ext>`` (or ``<stem>-2.<ext>`` … when taken) in ``folder`` with
    ``write(tmp)``; returns its absolute path. The name is taken with an exclusive create, so two
    exports at once never write over each other, and released if writing fails."""
    from swtool.write.atomic import atomic_path
    from swtool.write.guard import guard_output

    where = _folder(folder)
    for n in range(1, MAX_COPIES + 1):
        target = where / f"{stem}{'' if n == 1 else f'-{n}'}.{ext}"
        if os.path.lexists(target):
            continue
        guard_output(target, inputs, ledger.path, what=what, allow_stdout=False, new_only=True)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue  # taken since: the next name
        except OSError as e:
            raise ExportError(_os_sentence(e, where)) from None
        mode = os.fstat(fd).st_mode & 0o777  # 0o644 less the umask: the rights any new file gets here
        os.close(fd)
        try:
            with atomic_path(target) as tmp:
                write(tmp)
                os.chmod(tmp, mode)  # the temporary file is private (0o600) until published
        except BaseException as e:
            try:
                target.unlink()
            except OSError:
                pass
            if isinstance(e, OSError):
                raise ExportError(_os_sentence(e, where)) from None
            raise
        return target
    raise ExportError(
        f"{where} already holds {MAX_COPIES} exports named {stem}.{ext}; nothing was written: choose another folder"
    )


def _folder(folder) -> Path:
    if folder is None or not str(folder).strip():
        raise ExportError("No folder was given; nothing was written: give the folder to export to")
    where = Path(os.path.abspath(Path(str(folder).strip()).expanduser()))
    if not where.exists():
        raise ExportError(f"The folder {where} does not exist; nothing was written: choose an existing folder")
    if not where.is_dir():
        raise ExportError(f"{where} is not a folder; nothing was written: choose a folder to export to")
    return where


def _os_sentence(e: OSError, where: Path) -> str:
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"The folder {where} cannot be written to (permission denied); nothing was written: choose another folder"
        )
    if e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return f"The disk holding {where} is full; nothing was written: free some space or choose another folder"
    return f"Could not write in {where} ({e.strerror or type(e).__name__}); nothing was written"


def _slug(text: str) -> str:
    """A name part: 2026/27-Q2 → 2026-27-Q2; anything but letters, digits, dot, dash and underscore → -."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(text).replace("/", "-")).strip(".-") or "export"


def _format(fmt: str, allowed: tuple[str, ...]) -> str:
    f = (fmt or "").lower()
    if f not in allowed:
        raise ExportError(f"{fmt!r} is not a format for this export; use one of {', '.join(allowed)}")
    return f


def _quarter(quarter) -> Quarter:
    return quarter if isinstance(quarter, Quarter) else views.parse_quarter(quarter)


def _settings(ledger: Ledger, settings):
    """The settings given, else the ledger's own (as ``swtool credits`` and ``swtool payments`` read them)."""
    if settings is not None:
        return settings
    from swtool.model.settings import load

    return load(ledger.path, [])
