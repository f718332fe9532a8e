"""The remedial action plan (App 4) as a workbook the council sends to a provider.

``write_rap(output, plan)`` writes the App 4 form: its introduction, the provider's name and the
plan's date, blanks for the staff member and job role, the key issues prefilled from the PMO's
figures (each core output below its quarterly target with target, actual and percentage; each
expenditure variance over 10%), blank priorities, one action row per missed output (area for
improvement prefilled, action and target completion date blank), additional comments, the next
review date (the next quarter's reporting deadline, App 2 §1.2) and the three signature blocks.

Written like the templates (``swtool.write.templates``): openpyxl, fixed document dates so the same plan
gives the same file (``swtool.write.xlsx.save``, atomic). Every cell is written with ``swtool.write.xlsx.put``:
text is stored as text, so a provider name or a budget item such as ``=HYPERLINK(…)`` is never a
formula, and the plan holds no formula at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from swtool.calc.credits import CreditLine, next_review_date
from swtool.calc.money import gbp, num, pct
from swtool.calc.variances import ExpenditureVariances, SpendVariance
from swtool.model.outputs import OUTPUT_NAMES
from swtool.model.quarter import Quarter
from swtool.read.register import ContractFacts
from swtool.write import xlsx
from swtool.write.xlsx import save

DATE_FORMAT = "DD/MM/YYYY"

TITLE = "Southwark Works Remedial Action Plan"
INTRO = (
    "You have been asked to complete this action plan because you have been notified by the council that there "
    "are concerns with your contract performance. Resulting from failure to achieve the outputs set out in the "
    "contract, you are potentially in breach of your contractual obligations under the Southwark Works Framework "
    "Agreement.",
    "The action plan aims to establish the corrective action required to address underperformance against the "
    "contractual obligations for delivery of outputs. In line with the terms of the contract, if the council "
    "considers that the action plan is unsatisfactory, the council will notify you in writing and set out where "
    "the plan should be improved.",
    "Ongoing performance in relation to the action plan will be reviewed and a formal review meeting(s) will be "
    "held within a timeframe specified by the council.",
    "If following the review meeting and after an agreed period you should fail to satisfy the council that the "
    "areas of concern have been remedied, then you may be considered to be in material breach of contract and if "
    "so the council reserves the right to take further remedial action.",
)
SECTION = "Section 1 – Priorities and action plan"
KEY_ISSUES = (
    "Key issues and challenges (include details of where you have missed key output targets and the reasons for this)"
)
REASONS = "Reasons (provider to complete)"
PRIORITIES = "Priorities (what are the main steps you need to take to address shortfall)"
ACTION_PLAN = "Action Plan and targets to achieve priorities"
ACTION_HEADERS = ("Area for improvement", "Specific action/steps to be taken", "Target completion date")
COMMENTS = "Additional comments and notes"
REVIEW = "Next review date"
SIGNATURES = ("Manager signature", "Director signature", "Southwark Council")
BLANK_ACTION_ROWS = 2


@dataclass
class RapPlan:
    """What a remedial action plan is built from.

    ``credit_lines``: ``credits.assess`` for the contract and quarter (the core outputs);
    ``expenditure``: ``credits.expenditure_variance(...)`` or its variances (only those over 10%
    are written); ``review_date``: the next review (``credits.next_review_date``; blank if None);
    ``issued``: the plan's date (blank if None, for the PMO to fill).
    """

    contract: ContractFacts
    quarter: Quarter
    credit_lines: list[CreditLine] = field(default_factory=list)
    expenditure: ExpenditureVariances | list[SpendVariance] = field(default_factory=list)
    review_date: date | None = None
    issued: date | None = None

    @property
    def missed(self) -> list[CreditLine]:
        """Core outputs below their quarterly target (at or below 70% first, as K702 names them)."""
        lines = [x for x in self.credit_lines if x.missed]
        return sorted(lines, key=lambda x: (not x.underperforming, x.output))

    @property
    def spend_over(self) -> list[SpendVariance]:
        e = self.expenditure
        if isinstance(e, ExpenditureVariances):
            return e.over
        return [v for v in e or () if v.over]


def rap_plan(
    contract: ContractFacts,
    quarter: Quarter,
    credit_lines: list[CreditLine],
    expenditure,
    refdata,
    issued: date | None = None,
) -> RapPlan:
    """A RapPlan whose review date is the next quarter's reporting deadline from ``refdata.deadlines``."""
    return RapPlan(contract, quarter, list(credit_lines), expenditure, next_review_date(quarter, refdata), issued)


def output_issue(line: CreditLine) -> str:
    """``Output 2 (job and apprenticeship starts, 2a + 2b), 2026/27-Q2: 3 achieved against a quarterly
    target of 10 = 30%, at or below 70% (service credit threshold, §7.7–7.8)``."""
    name = OUTPUT_NAMES.get(line.output, f"output {line.output}")
    where = "at or below 70% (service credit threshold, §7.7–7.8)" if line.underperforming else "below target"
    return (
        f"Output {line.output} ({name}), {line.quarter}: {line.actual} achieved against a quarterly target of "
        f"{num(line.target)} = {pct(line.percent)}, {where}"
    )


def spend_issue(v: SpendVariance) -> str:
    what = "the quarter's total spend" if v.item == "Quarter total" else f"budget item {v.item}"
    direction = "over" if v.variance > 0 else "under"
    size = f"{pct(abs(v.percent))} {direction} budget" if v.percent is not None else "against a budget of £0.00"
    return (
        f"Expenditure, {what}: actual {gbp(v.actual)} against budgeted {gbp(v.budgeted)}, variance "
        f"{gbp(v.variance)} ({size}), more than 10%"
    )


def action_area(line: CreditLine) -> str:
    name = OUTPUT_NAMES.get(line.output, f"output {line.output}")
    return (
        f"Output {line.output} ({name}): {line.actual} of a quarterly target of {num(line.target)} "
        f"({pct(line.percent)}) in {line.quarter}"
    )


# --- writing -----------------------------------------------------------------------------------------


def put(cell, value) -> None:
    """Write a value into a cell with ``swtool.write.xlsx.put``: text always text (control and bidi
    characters escaped; quote-prefixed when it would read as a formula), dates as DD/MM/YYYY."""
    xlsx.put(cell, value, number_format=DATE_FORMAT)


def build_rap(plan: RapPlan):
    """The plan as an openpyxl Workbook (one sheet, ``Remedial action plan``)."""
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Remedial action plan"
    for letter, width in zip("ABCD", (34, 46, 22, 22)):
        ws.column_dimensions[letter].width = width
    thin = Side(style="thin", color="808080")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    bold = Font(bold=True)
    label_fill = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    row = 1

    def line(text, *, font=None, height=None, merge=True, fill=None, border=True):
        nonlocal row
        cell = ws.cell(row, 1)
        put(cell, text)
        cell.alignment = wrap
        if font:
            cell.font = font
        if fill:
            cell.fill = fill
        if merge:
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        if border:
            for col in range(1, 5):
                ws.cell(row, col).border = box
        if height:
            ws.row_dimensions[row].height = height
        row += 1

    def pair(label1, value1, label2, value2, height=None):
        nonlocal row
        for col, (value, is_label) in enumerate(((label1, True), (value1, False), (label2, True), (value2, False)), 1):
            cell = ws.cell(row, col)
            put(cell, value)
            cell.border = box
            cell.alignment = wrap
            if is_label and value is not None:
                cell.font = bold
                cell.fill = label_fill
            if isinstance(value, date):
                cell.alignment = Alignment(horizontal="left", vertical="top")
        if height:
            ws.row_dimensions[row].height = height
        row += 1

    c, q = plan.contract, plan.quarter
    line(TITLE, font=Font(bold=True, size=14), border=False)
    line(f"Contract {c.contract_id}, lot {c.lot}: performance in {q.financial_year} {q.label}", border=False)
    row += 1
    for paragraph in INTRO:
        line(paragraph, height=48, border=False)
    row += 1
    line(SECTION, font=Font(bold=True, size=12), border=False)
    pair("Provider name", c.provider, "Date", plan.issued)
    pair("Staff member", None, "Job role", None)

    line(KEY_ISSUES, font=bold, fill=label_fill)
    issues = [output_issue(x) for x in plan.missed] + [spend_issue(v) for v in plan.spend_over]
    if not issues:
        issues = ["No core output below its quarterly target and no expenditure variance over 10% this quarter."]
    for text in issues:
        line(f"• {text}", height=30)
    line(REASONS, font=Font(italic=True))
    line(None, height=60)

    line(PRIORITIES, font=bold, fill=label_fill)
    line(None, height=80)

    line(ACTION_PLAN, font=bold, fill=label_fill)
    for col, text in ((1, ACTION_HEADERS[0]), (2, ACTION_HEADERS[1]), (4, ACTION_HEADERS[2])):
        put(ws.cell(row, col), text)
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
    for col in range(1, 5):
        ws.cell(row, col).font = bold
        ws.cell(row, col).border = box
        ws.cell(row, col).alignment = wrap
    row += 1
    areas = [action_area(x) for x in plan.missed] + [None] * BLANK_ACTION_ROWS
    for area in areas:
        put(ws.cell(row, 1), area)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
        ws.cell(row, 4).number_format = DATE_FORMAT
        for col in range(1, 5):
            ws.cell(row, col).border = box
            ws.cell(row, col).alignment = wrap
        ws.row_dimensions[row].height = 45
        row += 1

    line(COMMENTS, font=bold, fill=label_fill)
    line(None, height=60)
    row += 1
    pair(REVIEW, plan.review_date, None, None)
    row += 1
    for who in SIGNATURES:
        pair(who, None, "Date", None, height=30)
        ws.cell(row - 1, 4).number_format = DATE_FORMAT

    ws.print_options.gridLines = False
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0
    return wb


def write_rap(output: Path, plan: RapPlan) -> Path:
    """Write the plan to ``output`` (.xlsx), atomically; returns the path written."""
    return save(build_rap(plan), output)


__all__ = ["RapPlan", "build_rap", "output_issue", "put", "rap_plan", "spend_issue", "write_rap"]
