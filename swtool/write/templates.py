"""Write the council's workbooks from the standard: the quarterly return and the contract register.

Every column gets an input message saying what goes in it; every coded column a dropdown; headers
are frozen and columns sized. A return prefilled for a contract also carries the contract's budget
lines and milestones, only its lot's codes in the dropdowns, and a hidden, protected ``Contract``
sheet so that the provider can run every check without the council's register.
Every cell is written with ``xlsx.put``: the register's text exactly as the council typed it, always
as text (quote-prefixed when it would read as a formula), never as a formula. The templates hold no
formulas of their own; the dropdowns and input messages are data validations.
The output is deterministic (fixed document dates), so ``templates/`` can be tested for drift.
"""

from __future__ import annotations

from pathlib import Path

from swtool.model import standard as std
from swtool.model.quarter import Quarter
from swtool.read.register import ContractFacts, contract_sheet_rows
from swtool.write.xlsx import put, save

FIRST_ROW, LAST_ROW = 2, 5000
DATE_FORMAT = "DD/MM/YYYY"
MONEY_FORMAT = '"£"#,##0.00'
HEADER_FILL = "1F4E78"
GUIDE_TEXT = [
    ("Southwark Works quarterly return", None),
    ("One workbook per contract per quarter. Fill every sheet, then check it before you e-mail it:", None),
    ("    swtool check YOUR-RETURN.xlsx", None),
    ("The check names each cell that needs attention (for example Claims!F12) and how to fix it.", None),
    ("", None),
    ("Rules for every sheet", None),
    ("• Do not rename sheets or headers. Extra columns are allowed and ignored.", None),
    ("• No client names, contact details or dates of birth anywhere: use the CRM client reference.", None),
    ("• Dates as dates (DD/MM/YYYY); amounts as plain numbers in pounds; codes from the dropdowns.", None),
    ("• Where a column takes several codes, separate them with ; (for example Care leaver; NEET).", None),
    ("• Click a cell to see what goes in it.", None),
    ("", None),
]


def _openpyxl():
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    return openpyxl, Alignment, Font, PatternFill, DataValidation


def _lists_for(refdata, facts: ContractFacts | None) -> dict[str, tuple[str, ...]]:
    """The code list behind each coded column: the lot's own when prefilled, else every lot's."""
    lot = facts.lot if facts else None
    if lot:
        eligibility = tuple(refdata.eligibility_by_lot.get(lot, ()))
        outputs = tuple(o for o in refdata.outputs_by_lot.get(lot, {}) if o != "1")
        evidence = tuple(dict.fromkeys(c for (o, _), codes in refdata.evidence.items() if o in outputs for c in codes))
    else:
        eligibility = tuple(dict.fromkeys(c for codes in refdata.eligibility_by_lot.values() for c in codes))
        outputs = std.CLAIM_OUTPUTS
        evidence = tuple(dict.fromkeys(c for codes in refdata.evidence.values() for c in codes))
    return {std.ELIGIBILITY: eligibility, std.EVIDENCE: evidence, "outputs": outputs}


def _codes(col: std.Column, lists: dict) -> tuple[str, ...]:
    if col.codes in (std.ELIGIBILITY, std.EVIDENCE):
        return lists[col.codes]
    if col.header == "Output" and col.codes == std.CLAIM_OUTPUTS:
        return lists["outputs"]
    return tuple(col.codes or ())


class _Lists:
    """The hidden Lists sheet: one column per code list, referenced by the dropdowns."""

    def __init__(self, wb):
        self.ws = wb.create_sheet("Lists")
        self.ws.sheet_state = "hidden"
        self.ws.protection.sheet = True
        self.refs: dict[tuple, str] = {}

    def ref(self, name: str, codes: tuple[str, ...]) -> str:
        from openpyxl.utils import get_column_letter, quote_sheetname

        key = (name, codes)
        if key not in self.refs:
            col = len(self.refs) + 1
            put(self.ws.cell(1, col), name, exact=True)
            for i, code in enumerate(codes, start=2):
                put(self.ws.cell(i, col), str(code), exact=True)  # "2a", "4" stay text, as the reader expects
            letter = get_column_letter(col)
            self.refs[key] = f"{quote_sheetname('Lists')}!${letter}$2:${letter}${len(codes) + 1}"
        return self.refs[key]


# Excel's limits on a data validation's alert: a title of 32 characters, a message of 225.
TITLE_MAX, MESSAGE_MAX = 32, 225


def _codes_words(codes: tuple[str, ...], room: int) -> str:
    """The codes as ``A, B or C`` when they fit in ``room`` characters, else nothing: a list cut short
    would look complete."""
    words = ", ".join(codes[:-1]) + f" or {codes[-1]}" if len(codes) > 1 else "".join(codes)
    return words if len(words) <= room else ""


def _alert(dv, style: str, title: str, message: str) -> None:
    """Turn the validation's alert on. ``stop`` refuses the entry (a code list, Yes/No, a whole number:
    the check would refuse anything else too); ``warning`` asks, and keeps the entry on Yes (several
    codes typed with ;, a date typed as text, an amount over a ceiling swtool chose)."""
    dv.showErrorMessage = True
    dv.errorStyle = style
    dv.errorTitle = title[:TITLE_MAX]
    dv.error = message[:MESSAGE_MAX]


def _validation(col: std.Column, codes: tuple[str, ...], lists: _Lists, DataValidation):
    prompt = col.help[:255]
    title = col.header[:32]
    if col.kind in (std.CODE, std.CODES) and codes:
        dv = DataValidation(type="list", formula1=lists.ref(col.header, codes), allow_blank=True)
        if col.kind == std.CODES:  # several codes separated by ; cannot be picked from a list: allow typing
            _alert(
                dv,
                "warning",
                "Check the codes",
                f"{col.header} takes codes from the dropdown; several are separated by ; (for example "
                f"{'; '.join(codes[:2])}). Check each is spelt as in the list: Yes keeps what you typed.",
            )
        else:
            head = f"{col.header} takes one of the listed values"
            listed = _codes_words(codes, MESSAGE_MAX - len(head) - len(": .") - len(" Pick it from the dropdown."))
            _alert(
                dv,
                "stop",
                "Not in the list",
                f"{head}: {listed}." if listed else f"{head}. Pick it from the dropdown beside the cell.",
            )
    elif col.kind == std.DATE:
        dv = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True)
        # a text date such as 31/07/2026 (an Excel set to another country's dates) is read by the check: ask
        _alert(dv, "warning", "Not a date", "Type a date as DD/MM/YYYY, e.g. 14/10/2026. Yes keeps what you typed.")
    elif col.kind == std.INT:
        lo, hi = int(col.minimum or 0), int(col.maximum if col.maximum is not None else 1_000_000)
        dv = DataValidation(type="whole", operator="between", formula1=str(lo), formula2=str(hi), allow_blank=True)
        _alert(dv, "stop", "Whole number", f"{col.header} is a whole number from {lo} to {hi}.")
    elif col.kind in (std.NUMBER, std.MONEY) and col.minimum is not None:
        top = col.maximum if col.maximum is not None else 10_000_000
        dv = DataValidation(
            type="decimal", operator="between", formula1=str(col.minimum), formula2=str(top), allow_blank=True
        )
        what = "an amount in pounds" if col.kind == std.MONEY else "a number"
        if col.maximum is not None:  # both bounds are the standard's
            _alert(dv, "stop", "Number", f"{col.header} is {what} from {col.minimum:g} to {top:g}.")
        else:  # the ceiling is only a guard against a slip: a larger true figure must still go in
            _alert(
                dv, "warning", "Number", f"{col.header} is {what}, {col.minimum:g} or more. Yes keeps what you typed."
            )
    elif col.kind == std.YESNO:
        dv = DataValidation(type="list", formula1='"Yes,No"', allow_blank=True)
        _alert(dv, "stop", "Yes or No", f"{col.header}: pick Yes or No.")
    else:  # free text: only the input message
        dv = DataValidation(allow_blank=True)
    dv.showInputMessage = True
    dv.promptTitle, dv.prompt = title, prompt
    return dv


def _table_sheet(
    wb,
    spec: std.SheetSpec,
    lists: _Lists,
    lists_by_kind: dict,
    rows: list[tuple] | tuple[()] = (),
    budget_items: tuple[str, ...] = (),
):
    _, Alignment, Font, PatternFill, DataValidation = _openpyxl()
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(spec.name)
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    for j, col in enumerate(spec.columns, start=1):
        cell = ws.cell(1, j)
        put(cell, col.header, exact=True)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(col.width, min(len(col.header) + 2, 30))
        codes = _codes(col, lists_by_kind)
        if col.header == "Budget item" and budget_items:
            codes = budget_items
            col = std.Column(col.header, std.CODE, col.help, codes=codes)
        dv = _validation(col, codes, lists, DataValidation)
        dv.add(f"{letter}{FIRST_ROW}:{letter}{LAST_ROW}")
        ws.add_data_validation(dv)
        fmt = DATE_FORMAT if col.kind == std.DATE else MONEY_FORMAT if col.kind == std.MONEY else None
        if fmt:
            for r in range(FIRST_ROW, FIRST_ROW + max(len(rows), 0)):
                ws.cell(r, j).number_format = fmt
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(spec.columns))}1"
    for i, row in enumerate(rows, start=FIRST_ROW):
        for j, value in enumerate(row, start=1):
            put(ws.cell(i, j), value, exact=True)  # a register's text stays text, as the council typed it
    return ws


def _label_sheet(wb, spec: std.SheetSpec, lists: _Lists, values: dict):
    _, Alignment, Font, _, DataValidation = _openpyxl()

    ws = wb.create_sheet(spec.name)
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = max(c.width for c in spec.columns)
    for i, col in enumerate(spec.columns, start=1):
        put(ws.cell(i, 1), col.header, exact=True)
        ws.cell(i, 1).font = Font(bold=True)
        value_cell = ws.cell(i, 2)
        value_cell.alignment = Alignment(wrap_text=True, vertical="top")
        put(value_cell, values.get(col.header), exact=True)
        if col.kind == std.DATE:
            value_cell.number_format = DATE_FORMAT
        dv = _validation(col, tuple(col.codes or ()) if isinstance(col.codes, tuple) else (), lists, DataValidation)
        dv.add(f"B{i}")
        ws.add_data_validation(dv)
        if spec is std.NARRATIVE:
            ws.row_dimensions[i].height = 90
    return ws


def _guide(wb, sheets: tuple[std.SheetSpec, ...], intro: list[tuple]):
    _, _, Font, _, _ = _openpyxl()

    ws = wb.active
    ws.title = "Guide"
    ws.column_dimensions["A"].width = 110
    r = 1
    for text, _ in intro:
        put(ws.cell(r, 1), text, exact=True)
        r += 1
    ws.cell(1, 1).font = Font(bold=True, size=14)
    put(ws.cell(r, 1), "The sheets", exact=True)
    ws.cell(r, 1).font = Font(bold=True)
    r += 1
    for spec in sheets:
        put(ws.cell(r, 1), f"{spec.name}: {spec.help}" if spec.help else spec.name, exact=True)
        r += 1
    put(ws.cell(r + 1, 1), f"Template version {std.TEMPLATE_VERSION}", exact=True)
    return ws


def build_return(refdata, facts: ContractFacts | None = None, quarter: Quarter | None = None):
    """The quarterly return as an openpyxl Workbook (blank, or prefilled for ``facts`` and ``quarter``)."""
    openpyxl, *_ = _openpyxl()
    wb = openpyxl.Workbook()
    _guide(wb, std.RETURN_SHEETS, GUIDE_TEXT)
    lists = _Lists(wb)
    lists_by_kind = _lists_for(refdata, facts)
    cover = {"Template version": std.TEMPLATE_VERSION}
    budget_rows: list[tuple] = []
    milestone_rows: list[tuple] = []
    items: tuple[str, ...] = ()
    if facts is not None:
        cover.update({"Provider": facts.provider, "Contract ID": facts.contract_id, "Lot": facts.lot})
        if quarter is not None:
            cover.update({"Financial year": quarter.financial_year, "Quarter": quarter.label})
            budget_rows = [
                (b.category, b.item, None if b.amount is None else float(b.amount))
                for b in facts.budget_for(quarter.financial_year, quarter.label)
            ]
        milestone_rows = [(m, d) for m, d in facts.milestones]
        items = tuple(sorted(facts.budget_items))
    _label_sheet(wb, std.RETURN, lists, cover)
    for spec in (std.REGISTRATIONS, std.CLAIMS):
        _table_sheet(wb, spec, lists, lists_by_kind)
    _table_sheet(wb, std.EXPENDITURE, lists, lists_by_kind, budget_rows, items)
    _table_sheet(wb, std.TRANSACTIONS, lists, lists_by_kind, (), items)
    _label_sheet(wb, std.NARRATIVE, lists, {})
    _table_sheet(wb, std.MILESTONES, lists, lists_by_kind, milestone_rows)
    wb.move_sheet("Lists", offset=len(wb.sheetnames))
    if facts is not None:
        ws = wb.create_sheet(std.CONTRACT_SHEET)
        for i, row in enumerate(contract_sheet_rows(facts), start=1):
            for j, value in enumerate(row, start=1):
                put(ws.cell(i, j), value, exact=True)
        ws.sheet_state = "hidden"
        ws.protection.sheet = True
    wb.active = 0
    return wb


def write_return(output: Path, refdata, facts: ContractFacts | None = None, quarter: Quarter | None = None) -> None:
    save(build_return(refdata, facts, quarter), output)


def build_register(refdata):
    openpyxl, *_ = _openpyxl()
    wb = openpyxl.Workbook()
    _guide(
        wb,
        std.REGISTER_SHEETS,
        [
            ("Southwark Works contract register", None),
            (
                "Kept by the council's Project Monitoring Officer: one row per contract, its targets, budget and "
                "milestones.",
                None,
            ),
            (
                "Prefill a provider's return from it: swtool template return --register REGISTER.xlsx --contract ID "
                "--quarter 2026/27-Q2 -o RETURN.xlsx",
                None,
            ),
            ("", None),
        ],
    )
    lists = _Lists(wb)
    lists_by_kind = _lists_for(refdata, None)
    for spec in std.REGISTER_SHEETS:
        _table_sheet(wb, spec, lists, lists_by_kind)
    wb.move_sheet("Lists", offset=len(wb.sheetnames))
    wb.active = 0
    return wb


def write_register(output: Path, refdata) -> None:
    save(build_register(refdata), output)
