"""A return's spend against its budget, line by line (the review's Expenditure tab), and what the
review's contract screen needs of a return, kept at import.

Each line of the return's Expenditure sheet as the ledger keeps it (category, budget item, budgeted
amount, actual spend, and the provider's Comment), its variance decided by ``money.variance`` with
the 10% limit of App 2 §1.3 (the same decision as X402 and N502), and whether the return carries an
X402 finding on that line: a variance over 10% with no Comment.

**Kept at import** (``keep``, in the import's transaction; schema 5's contract-screen block): the
Comment of each Expenditure line (``expenditure_comments``: free text written by the provider, which
``swtool retention`` clears with the rest of a return's personal data), and a ``screen_kept`` row
saying so. A kept return's findings are already stored redacted (``store._insert_findings``), so the
contract screen shows them as stored: opening a contract reads the ledger alone, never the workbook.

**Returns imported before** have no ``screen_kept`` row. The first time the review opens one,
``from_workbook`` reads its stored workbook once (the findings redacted as ``views.return_findings``
redacts them, and the comments), and ``keep_from_review`` keeps the comments and the mark, so the
next opening reads the ledger alone. A return whose stored findings were not already redacted (imported
before the ledger redacted them), whose workbook is gone or unreadable, or that a retention run has
pseudonymised, is not kept: the review reads its workbook (if any) each session, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from swtool.calc import money
from swtool.ledger.db import Ledger, utc_now


@dataclass
class ExpenditureRow:
    """A row of a stored return's Expenditure sheet, with its variance and the provider's comment."""

    row: int  # the Excel row of the Expenditure sheet
    category: str | None
    item: str | None
    budgeted: Decimal | None
    actual: Decimal | None
    variance: money.Variance | None  # None when either amount is blank
    unexplained: bool  # X402 on the line: over 10% and no Comment
    comment: str | None = None  # the provider's Comment on the line
    cleared: bool = False  # there was a Comment, and retention cleared it

    @property
    def over_limit(self) -> bool:
        return self.variance is not None and self.variance.exceeds


@dataclass
class Spend:
    lines: list[ExpenditureRow]
    budgeted: Decimal
    actual: Decimal
    variance: money.Variance | None


def _amount(text: str | None) -> Decimal | None:
    return None if text in (None, "") else Decimal(text)


def spend(ledger: Ledger, return_id: int, comments: dict[int, str] | None = None) -> Spend:
    """The return's expenditure lines with their variances and comments, and the totals (blank amounts
    add nothing). ``comments`` (row -> Comment): read from the workbook, for a return not kept."""
    rows = ledger.conn.execute(
        "SELECT e.row, e.category, e.item, e.budgeted, e.actual, c.row IS NOT NULL, c.comment FROM expenditure e "
        "LEFT JOIN expenditure_comments c ON c.return_id = e.return_id AND c.row = e.row "
        "WHERE e.return_id = ? ORDER BY e.row",
        (return_id,),
    ).fetchall()
    flagged = {
        cell
        for (cell,) in ledger.conn.execute(
            "SELECT cell FROM findings WHERE return_id = ? AND code = 'X402'", (return_id,)
        )
    }
    flagged_rows = {int("".join(ch for ch in cell.split("!")[-1] if ch.isdigit()) or 0) for cell in flagged}
    lines = []
    for row, category, item, budgeted, actual, had, comment in rows:
        b, a = _amount(budgeted), _amount(actual)
        v = money.variance(a, b, money.SPEND_LIMIT) if a is not None and b is not None else None
        if comments is not None:
            comment = comments.get(row)
        lines.append(
            ExpenditureRow(row, category, item, b, a, v, row in flagged_rows, comment, bool(had) and comment is None)
        )
    budget_total = sum((ln.budgeted for ln in lines if ln.budgeted is not None), Decimal(0))
    actual_total = sum((ln.actual for ln in lines if ln.actual is not None), Decimal(0))
    total = money.variance(actual_total, budget_total, money.SPEND_LIMIT) if lines else None
    return Spend(lines, budget_total, actual_total, total)


# --- kept at import -------------------------------------------------------------------------------------


def comments_of(sub) -> dict[int, str]:
    """The typed return's Expenditure Comments: Excel row -> text (blank ones left out)."""
    from swtool.calc.counting import cell_text

    t = sub.expenditure if sub is not None else None
    if t is None or not t.present or not len(t) or "Comment" not in t.df.columns:
        return {}
    out = {}
    for i, text in enumerate(t.df["Comment"].tolist()):
        text = cell_text(text)
        if text is not None and text.strip():
            out[int(t.rows[i])] = text
    return out


def keep(c, return_id: int, sub, how: str = "import") -> None:
    """What the contract screen shows of the return, beyond what the import stores anyway: its
    Expenditure Comments, and the mark that it is kept. ``c``: the import's transaction."""
    c.executemany(
        "INSERT INTO expenditure_comments (return_id, row, comment) VALUES (?, ?, ?)",
        [(return_id, row, text) for row, text in sorted(comments_of(sub).items())],
    )
    c.execute("INSERT INTO screen_kept (return_id, at, how) VALUES (?, ?, ?)", (return_id, utc_now(), how))


def kept(ledger: Ledger, return_id: int) -> bool:
    """Whether the return's screen rows are in the ledger (kept at import, or since)."""
    return ledger.conn.execute("SELECT 1 FROM screen_kept WHERE return_id = ?", (return_id,)).fetchone() is not None


# --- returns imported before: read once from the stored workbook, then kept -------------------------------


@dataclass
class FromWorkbook:
    """A return not kept, as its stored workbook gives it: its findings redacted as the screen shows
    them (``views.return_findings``), its Expenditure Comments, and whether it can now be kept."""

    return_id: int
    findings: list[dict]
    comments: dict[int, str] = field(default_factory=dict)
    keepable: bool = False  # the workbook was read and the stored findings are already redacted


def from_workbook(ledger: Ledger, return_id: int, refdata) -> FromWorkbook:
    from swtool.findings import FileReport
    from swtool.ledger import store, views
    from swtool.report.redact import redact_report

    rows = store.findings_of(ledger, return_id)
    stored = [r["message"] for r in rows]
    sub = views._stored_submission(ledger, return_id, refdata)
    findings = [views._stored_finding(r) for r in rows]
    redacted = redact_report(FileReport(str(return_id), findings=findings), sub, refdata).findings
    for r, f in zip(rows, redacted, strict=True):
        r["message"] = f.message
        r["value"] = None
    same = all(r["message"] == m for r, m in zip(rows, stored, strict=True))
    return FromWorkbook(return_id, rows, comments_of(sub), sub is not None and same)


def keep_from_review(ledger: Ledger, got: FromWorkbook) -> bool:
    """Keep a return read by ``from_workbook``, so that the review reads the ledger alone from now on.
    False (nothing written) when it cannot be kept, is kept already, or retention has pseudonymised it."""
    if not got.keepable:
        return False
    with ledger.transaction() as c:
        if (
            c.execute(
                "SELECT 1 FROM screen_kept WHERE return_id = ? UNION ALL "
                "SELECT 1 FROM retention_returns WHERE return_id = ?",
                (got.return_id, got.return_id),
            ).fetchone()
            is not None
        ):
            return False
        c.executemany(
            "INSERT INTO expenditure_comments (return_id, row, comment) VALUES (?, ?, ?)",
            [(got.return_id, row, text) for row, text in sorted(got.comments.items())],
        )
        c.execute("INSERT INTO screen_kept (return_id, at, how) VALUES (?, ?, 'review')", (got.return_id, utc_now()))
    return True
