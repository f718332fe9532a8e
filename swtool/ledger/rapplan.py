"""A remedial action plan from the ledger: the figures, the App 4 document, and the record.

The plan is built from the ledger's figures for the contract and quarter (``credits.assess`` on the
outputs counted, the expenditure variances of the latest return), written with ``rap.write_rap``,
and then recorded as open with its review date; closing it later is a decision with a reason.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from swtool.ledger import store, views
from swtool.ledger.db import Ledger, LedgerError
from swtool.model.quarter import Quarter


def spend_lines(ledger: Ledger, contract_id: str, q: Quarter) -> list:
    """The Expenditure lines of the latest return of the contract's quarter, as ``credits.SpendLine``."""
    from swtool.calc.variances import SpendLine

    counted = store.counted_returns(ledger, None, contract_id).get(str(q))
    if counted is None:
        return []
    row = (counted["id"],)
    return [
        SpendLine(item or "", Decimal(b or "0"), Decimal(a or "0"), cat)
        for cat, item, b, a in ledger.conn.execute(
            "SELECT category, item, budgeted, actual FROM expenditure WHERE return_id = ? ORDER BY row", row
        )
    ]


def default_reason(q: Quarter, lines) -> str:
    from swtool.calc.money import num, pct

    under = [ln for ln in lines if ln.underperforming]
    if not under:
        return f"opened by the PMO for {q}: no core output at or below 70% of its quarterly target"
    return f"core output{'s' * (len(under) > 1)} at or below 70% of the quarterly target in {q}: " + "; ".join(
        f"output {ln.output} {ln.actual} of {num(ln.target)} = {pct(ln.percent)}" for ln in under
    )


def create(
    ledger: Ledger,
    contract_id: str,
    q: Quarter,
    output: Path,
    refdata,
    settings,
    today: date,
    review: date | None = None,
    reason: str | None = None,
) -> tuple[int, Path, date]:
    """Write the plan for ``contract_id`` and ``q`` to ``output`` and record it as open.

    Returns (plan id, path written, review date). The review date defaults to the next quarter's
    reporting deadline (``credits.next_review_date``), else four weeks from ``today``. Refuses when
    a plan for the same contract and quarter is already open.
    """
    from swtool.calc.credits import next_review_date
    from swtool.calc.variances import expenditure_variance
    from swtool.write.guard import guard_output
    from swtool.write.rap_form import RapPlan, write_rap

    # the same guard as every command's output, for the review's dialog too: never the ledger or its files
    output = guard_output(output, ledger=ledger.path, what="plan", allow_stdout=False)

    register = store.current_register(ledger)
    if register is None or contract_id not in register.contracts:
        known = ", ".join(register.contracts) if register else "none: import the register first"
        raise LedgerError(f"contract {contract_id!r} is not in the register in force (contracts: {known})")
    for r in store.raps(ledger, today, contract=contract_id):
        if r["quarter"] == str(q):
            raise LedgerError(
                f"remedial action plan {r['id']} for {contract_id} {q} is already open; close it first "
                f"(swtool rap close {r['id']} --reason TEXT)"
            )
    contract = register.contracts[contract_id]
    lines = views.credit_lines(ledger, contract, q, settings)
    review = review or next_review_date(q, refdata) or today + timedelta(weeks=4)
    plan = RapPlan(contract, q, lines, expenditure_variance(spend_lines(ledger, contract_id, q)), review, today)
    try:
        written = write_rap(Path(output), plan)
    except OSError as e:
        raise LedgerError(f"cannot write {output}: {e.strerror or e}; nothing was recorded") from None
    detail = {"credit_lines": [views.line_detail(ln) for ln in lines]}
    rap_id = store.create_rap(
        ledger,
        contract_id,
        str(q),
        review,
        reason or default_reason(q, lines),
        str(Path(written).resolve()),
        detail,
        today,
    )  # dated as the plan document is
    return rap_id, written, review
