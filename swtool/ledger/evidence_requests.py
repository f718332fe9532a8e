"""The evidence-request workbook of a spot-check sample: one per provider, filled in and read back.

``write_requests`` writes, for each provider in a recorded sample, a workbook listing the claims and
transactions drawn (claim ref, client ref, output, what evidence is expected: TEMPLATES.md §4 for a
claim, App 2 §3.3 for a transaction), with a Result column (a Pass/Fail list) and a Reason column for
the PMO. Written like every swtool workbook (``swtool.write.xlsx.put`` and ``save``: text is never a formula,
the file is written atomically), to new files only: an evidence request already there may hold
results typed in, so it is never written over (``swtool.write.guard``).

``read_results`` reads a filled-in workbook back through the safe reader (``swtool.read``: the same
limits as a provider's return) and checks every filled-in row against the sample's record before
anything is recorded: the item's number, contract, return and claim ref (or row) must be those drawn,
the result Pass or Fail, a fail must say why. One problem refuses the whole workbook, naming the cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from swtool.calc import money
from swtool.ledger import assurance, store
from swtool.ledger.assurance import CLAIM, TRANSACTION, Item, Sample
from swtool.ledger.db import Ledger, LedgerError, utc_now

TITLE = "Southwark Works spot check: evidence requests"
ABOUT, CLAIMS, TRANSACTIONS = "About", "Claims to check", "Transactions to check"
CLAIM_HEADERS = (
    "Item",
    "Contract",
    "Return",
    "Claim ref",
    "Client ref",
    "Output",
    "Date achieved",
    "Row",
    "Evidence expected",
    "Result",
    "Reason",
)
TRANSACTION_HEADERS = (
    "Item",
    "Contract",
    "Return",
    "Row",
    "Budget item",
    "Date defrayed",
    "Amount",
    "Evidence expected",
    "Result",
    "Reason",
)
WIDTHS = {
    "Item": 6,
    "Contract": 12,
    "Return": 8,
    "Claim ref": 14,
    "Client ref": 12,
    "Output": 8,
    "Date achieved": 13,
    "Row": 16,
    "Evidence expected": 60,
    "Result": 9,
    "Reason": 50,
    "Budget item": 32,
    "Date defrayed": 13,
    "Amount": 12,
}
DATE_FORMAT = "DD/MM/YYYY"
PASS_WHEN_BLANK = "evidence seen"  # the reason recorded for a Pass whose Reason was left blank


def file_name(sample_id: int, contracts: list[str]) -> str:
    """``spot-check-3_SW-L3-01.xlsx``: the sample's number and the provider's contracts."""
    safe = "_".join(re.sub(r"[^A-Za-z0-9-]+", "-", c).strip("-") or "contract" for c in contracts)
    return f"spot-check-{sample_id}_{safe}.xlsx"


def by_provider(sample: Sample) -> dict[str, list]:
    """provider -> its populations with something drawn (a provider may hold several contracts)."""
    out: dict[str, list] = {}
    for p in sample.populations:
        if any(it.drawn for it in (*p.claims, *p.transactions)):
            out.setdefault(p.provider or p.contract, []).append(p)
    return out


def targets(sample: Sample, folder: Path) -> dict[str, Path]:
    """provider -> the evidence request's path in ``folder``."""
    sample_id = sample.id
    if sample_id is None:  # drawn with --dry-run: the request is named by the number a recorded sample has
        raise LedgerError("a sample that is not recorded has no evidence request")
    return {
        provider: Path(folder) / file_name(sample_id, [p.contract for p in pops])
        for provider, pops in by_provider(sample).items()
    }


def _day(text: str | None):
    return date.fromisoformat(text) if text else None


def write_requests(ledger: Ledger, sample: Sample, paths: dict[str, Path], refdata) -> list[tuple[str, Path, int]]:
    """Write each provider's evidence request to ``paths[provider]`` (checked by the caller with
    ``outguard.guard_output``); returns (provider, path, items) for each."""
    done = []
    for provider, pops in by_provider(sample).items():
        items = sorted((it for p in pops for it in (*p.claims, *p.transactions) if it.drawn), key=lambda it: it.seq)
        _write_one(ledger, sample, provider, [p.contract for p in pops], items, paths[provider], refdata)
        done.append((provider, paths[provider], len(items)))
    return done


def _write_one(
    ledger: Ledger, sample: Sample, provider: str, contracts: list[str], items: list[Item], path: Path, refdata
) -> None:
    import openpyxl
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from swtool.write.xlsx import put, save

    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    wb = openpyxl.Workbook()
    about = wb.active
    about.title = ABOUT
    put(about["A1"], TITLE)
    about["A1"].font = Font(bold=True, size=14)
    facts = [
        ("Sample", sample.id),
        ("Quarter", sample.quarter),
        ("Provider", provider),
        ("Contracts", ", ".join(contracts)),
        ("Drawn", f"{(sample.drawn_at or utc_now())[:10]} by {sample.drawn_by or store.who()}"),
        ("Seed", sample.seed),
        ("Items", len(items)),
    ]
    for i, (label, value) in enumerate(facts, 3):
        put(about.cell(row=i, column=1), label)
        about.cell(row=i, column=1).font = bold
        put(about.cell(row=i, column=2), value)
    notes = (
        "For each item on the next two sheets, please provide the evidence expected (App 2 §1.1: the PMO "
        "spot checks that the required evidence is on the client's record; §3.3: evidence of expenditure "
        "on request).",
        "The PMO fills in Result (Pass or Fail) and, for a fail, the Reason; `swtool spotcheck` then records "
        "them in the ledger. A failed claim does not count towards the contract's outputs; a failed "
        "transaction is disallowed from the quarter's invoice.",
        "Please do not change the Item, Contract, Return, Claim ref or Row columns: they tie each result to "
        "the sample.",
    )
    for i, text in enumerate(notes, len(facts) + 4):
        put(about.cell(row=i, column=1), text)
        about.cell(row=i, column=1).alignment = wrap
        about.merge_cells(start_row=i, start_column=1, end_row=i, end_column=6)
        about.row_dimensions[i].height = 45
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 14, 40
    for name, headers, kind in ((CLAIMS, CLAIM_HEADERS, CLAIM), (TRANSACTIONS, TRANSACTION_HEADERS, TRANSACTION)):
        ws = wb.create_sheet(name)
        for j, h in enumerate(headers, 1):
            put(ws.cell(row=1, column=j), h)
            ws.cell(row=1, column=j).font = bold
            ws.column_dimensions[get_column_letter(j)].width = WIDTHS[h]
        rows = [it for it in items if it.kind == kind]
        for i, it in enumerate(rows, 2):
            details = assurance.item_details(ledger, it)
            values = {
                "Item": it.seq,
                "Contract": it.contract,
                "Return": it.return_id,
                "Row": it.cell,
                "Evidence expected": assurance.evidence_expected(it, details, refdata),
            }
            if kind == CLAIM:
                values.update(
                    {
                        "Claim ref": it.claim_ref,
                        "Client ref": it.client_ref,
                        "Output": it.output,
                        "Date achieved": _day(details["date"]),
                    }
                )
            else:
                values.update(
                    {"Budget item": details["budget_item"], "Date defrayed": _day(details["date"]), "Amount": it.amount}
                )
            for j, h in enumerate(headers, 1):
                cell = ws.cell(row=i, column=j)
                put(cell, values.get(h), number_format=DATE_FORMAT)
                if h == "Amount" and values.get(h) is not None:
                    cell.number_format = "£#,##0.00;-£#,##0.00"
                if h == "Evidence expected":
                    cell.alignment = wrap
        if rows:
            result = get_column_letter(headers.index("Result") + 1)
            dv = DataValidation(
                type="list",
                formula1='"Pass,Fail"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Result",
                error="Choose Pass or Fail.",
            )
            dv.add(f"{result}2:{result}{len(rows) + 1}")
            ws.add_data_validation(dv)
        else:
            put(ws.cell(row=2, column=1), f"No {kind}s were drawn for this provider.")
        ws.freeze_panes = "B2"
    save(wb, path)


# --- reading the results back ---------------------------------------------------------------------------


@dataclass
class Filled:
    """One filled-in row: the item drawn and the result to record."""

    item: Item
    result: str
    reason: str
    cell: str  # the Result cell, for the PMO's messages


@dataclass
class FilledWorkbook:
    sample_id: int
    sha256: str
    filled: list[Filled]
    blank: int  # drawn items of the workbook with no result yet


def _norm(v) -> str:
    from swtool.model.standard import normalise_label

    return normalise_label(v).casefold()


def _text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = " ".join(str(v).split())
    return s or None


def _int(v) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        return None


def read_results(ledger: Ledger, path: Path) -> FilledWorkbook:
    """Read a filled-in evidence request; LedgerError listing every problem (with its cell) when any row
    does not match the sample it names, or a result cannot be read."""
    from swtool.read.preflight import Unreadable
    from swtool.read.workbook import column_letter, read

    path = Path(path)
    try:
        raw = read(path, wanted={ABOUT.casefold(), CLAIMS.casefold(), TRANSACTIONS.casefold()})
    except Unreadable as e:
        raise LedgerError(f"{path}: {e}") from None
    except FileNotFoundError:
        raise LedgerError(f"{path}: no such file") from None
    sheets = {_norm(n): s for n, s in raw.sheets.items()}
    about = sheets.get(_norm(ABOUT))
    sample_id = None
    if about is not None:
        for values in about.values:
            if values and _norm(values[0]) == "sample" and len(values) > 1:
                sample_id = _int(values[1])
    if sample_id is None:
        raise LedgerError(
            f"{path} is not an evidence request written by `swtool sample`: it has no About sheet giving "
            "the sample's number"
        )
    try:
        sample = assurance.load_sample(ledger, sample_id)
    except LedgerError as e:
        raise LedgerError(f"{path} names sample {sample_id}, which this ledger does not hold ({e})") from None
    drawn = {it.seq: it for it in sample.drawn}
    problems: list[str] = []
    filled: list[Filled] = []
    blank = 0
    seen: set[int] = set()
    for name, kind in ((CLAIMS, CLAIM), (TRANSACTIONS, TRANSACTION)):
        sheet = sheets.get(_norm(name))
        if sheet is None:
            problems.append(f"{path.name}: the '{name}' sheet is missing")
            continue
        if not sheet.values:
            continue
        columns = {_norm(v): j for j, v in enumerate(sheet.values[0]) if v is not None}
        missing = [
            h
            for h in ("Item", "Contract", "Return", "Claim ref" if kind == CLAIM else "Row", "Result", "Reason")
            if _norm(h) not in columns
        ]
        if missing:
            problems.append(f"{sheet.name}!1: the header row lacks {', '.join(missing)}")
            continue

        def get(values, header, columns=columns):
            j = columns[_norm(header)]
            return values[j] if j < len(values) else None

        for excel_row, values in zip(sheet.rows[1:], sheet.values[1:], strict=True):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            where = f"{sheet.name}!{column_letter(columns[_norm('Result')] + 1)}{excel_row}"
            seq = _int(get(values, "Item"))
            if seq is None and get(values, "Contract") is None:
                continue  # a note row ("No claims were drawn…")
            item = drawn.get(seq) if seq is not None else None
            if item is None or item.kind != kind:
                problems.append(
                    f"{sheet.name}!A{excel_row}: item {get(values, 'Item')!r} is not a {kind} drawn in "
                    f"sample {sample_id}"
                )
                continue
            ref = _text(get(values, "Claim ref" if kind == CLAIM else "Row"))
            expected = item.claim_ref if kind == CLAIM else item.cell
            if (
                _text(get(values, "Contract")) != item.contract
                or _int(get(values, "Return")) != item.return_id
                or (ref or "").casefold() != (expected or "").casefold()
            ):
                problems.append(
                    f"{sheet.name}!A{excel_row}: item {seq} does not match sample {sample_id}'s record "
                    f"({item.contract}, return {item.return_id}, {expected}); the row was changed"
                )
                continue
            if seq in seen:
                problems.append(f"{sheet.name}!A{excel_row}: item {seq} is listed twice")
                continue
            seen.add(item.seq)  # item is drawn[seq]
            try:
                result = assurance.parse_result(get(values, "Result"))
            except ValueError:
                problems.append(f"{where}: {_text(get(values, 'Result'))!r} is not Pass or Fail")
                continue
            reason = _text(get(values, "Reason"))
            if result is None:
                if reason:
                    problems.append(f"{where}: item {seq} has a Reason but no Result (Pass or Fail)")
                else:
                    blank += 1
                continue
            if result == "fail" and not reason:
                problems.append(f"{where}: item {seq} fails without a Reason: say what was missing")
                continue
            filled.append(Filled(item, result, reason or PASS_WHEN_BLANK, where))
    if problems:
        more = f" (and {len(problems) - 12} more)" if len(problems) > 12 else ""
        raise LedgerError(f"{path}: nothing was recorded, because{more}:\n  " + "\n  ".join(problems[:12]))
    return FilledWorkbook(sample_id, raw.sha256, filled, blank)


def record_workbook(ledger: Ledger, path: Path) -> tuple[FilledWorkbook, list[assurance.Result]]:
    """``swtool spotcheck RESULT.xlsx``: every filled-in result of the workbook, in one transaction."""
    book = read_results(ledger, path)
    source = assurance.source_words(path, book.sha256)
    at, by = utc_now(), store.who()
    with ledger.transaction() as c:
        done = [
            assurance._insert_result(c, f.item, f.result, f.reason, source, (book.sample_id, f.item.seq), at, by)
            for f in book.filled
        ]
    return book, done


def amount_words(item: Item) -> str:
    return money.gbp(item.amount) if item.amount is not None else "-"
