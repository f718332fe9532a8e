"""A return's spend against its budget, line by line (the review's Expenditure tab).

Each line of the return's Expenditure sheet as the ledger keeps it (category, budget item, budgeted
amount, actual spend), its variance decided by ``money.variance`` with the 10% limit of App 2 §1.3
(the same decision as X402 and N502), and whether the return carries an X402 finding on that line: a
variance over 10% with no Comment. The ledger keeps no free text, so the provider's Comment itself is
read in the workbook; the tab says where a Comment is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from swtool.calc import money
from swtool.ledger.db import Ledger


@dataclass
class SpendLine:
    row: int                        # the Excel row of the Expenditure sheet
    category: str | None
    item: str | None
    budgeted: Decimal | None
    actual: Decimal | None
    variance: money.Variance | None  # None when either amount is blank
    unexplained: bool               # X402 on the line: over 10% and no Comment

    @property
    def over_limit(self) -> bool:
        return self.variance is not None and self.variance.exceeds


@dataclass
class Spend:
    lines: list[SpendLine]
    budgeted: Decimal
    actual: Decimal
    variance: money.Variance | None


def _amount(text: str | None) -> Decimal | None:
    return None if text in (None, "") else Decimal(text)


def spend(ledger: Ledger, return_id: int) -> Spend:
    """The return's expenditure lines with their variances, and the totals (blank amounts add nothing)."""
    rows = ledger.conn.execute("SELECT row, category, item, budgeted, actual FROM expenditure WHERE return_id = ? "
                               "ORDER BY row", (return_id,)).fetchall()
    flagged = {cell for (cell,) in ledger.conn.execute(
        "SELECT cell FROM findings WHERE return_id = ? AND code = 'X402'", (return_id,))}
    flagged_rows = {int("".join(ch for ch in cell.split("!")[-1] if ch.isdigit()) or 0) for cell in flagged}
    lines = []
    for row, category, item, budgeted, actual in rows:
        b, a = _amount(budgeted), _amount(actual)
        v = money.variance(a, b, money.SPEND_LIMIT) if a is not None and b is not None else None
        lines.append(SpendLine(row, category, item, b, a, v, row in flagged_rows))
    budget_total = sum((ln.budgeted for ln in lines if ln.budgeted is not None), Decimal(0))
    actual_total = sum((ln.actual for ln in lines if ln.actual is not None), Decimal(0))
    total = money.variance(actual_total, budget_total, money.SPEND_LIMIT) if lines else None
    return Spend(lines, budget_total, actual_total, total)
