"""The quarterly payment schedule: what finance pays each contract, and every input of every figure.

RULES.md, "Calculations" (App 2 §1.1, §3.1c; §7.7):
- the invoice is the cash expenditure claimed in the counted version's Expenditure sheet, less the
  transactions the PMO disallowed; in Q4 the balancing payment (total eligible expenditure to date −
  funding paid to date, the register's "Funding paid to date") replaces the cash figure;
- service credits the PMO applied for the quarter are deducted from it;
- nothing is payable before the PMO approves the return (``swtool approve``): a held or unreviewed
  return shows its figures, but its net payable is empty and it is left out of the payable total.

Every amount comes from ``swtool.calc.money``: each line rounded once, totals the sum of the lines.
The credits deducted are the same figures ``swtool credits`` shows (``views.credit_report``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from swtool.calc import money
from swtool.ledger import store, views
from swtool.ledger.db import Ledger
from swtool.model.quarter import Quarter

AMOUNTS = ("expenditure", "disallowed", "invoice", "credits_applied", "q4_balancing", "net_payable")
NOT_REVIEWED = "not reviewed"


@dataclass
class Payment:
    """One contract's line of the schedule; amounts are Decimal to the penny, None where there is none."""

    contract: str
    provider: str
    lot: str
    return_id: int | None
    version: int | None
    approval: str  # approved | held | not reviewed | no return counted
    expenditure: Decimal | None
    disallowed: Decimal | None
    invoice: Decimal | None
    credits_applied: Decimal
    q4_balancing: Decimal | None
    net_payable: Decimal | None  # only when approved
    inputs: list[tuple[str, str]] = field(default_factory=list)  # (figure, how it was worked out)

    def to_dict(self) -> dict:
        return {
            "contract": self.contract,
            "provider": self.provider,
            "return_id": self.return_id,
            "approval": self.approval,
            **{k: money.pounds_text(getattr(self, k)) for k in AMOUNTS},
        }


@dataclass
class Schedule:
    quarter: Quarter
    payments: list[Payment]

    @property
    def totals(self) -> dict[str, Decimal]:
        """Each amount column added up over its lines (lines already rounded)."""
        return {k: money.total(getattr(p, k) for p in self.payments if getattr(p, k) is not None) for k in AMOUNTS}

    def to_dict(self) -> dict:
        """``{quarter, contracts: [{contract, provider, return_id, approval, expenditure, disallowed,
        invoice, credits_applied, q4_balancing, net_payable}], totals}``; amounts are text, "2310.00"."""
        return {
            "quarter": str(self.quarter),
            "contracts": [p.to_dict() for p in self.payments],
            "totals": {k: money.pounds_text(v) for k, v in self.totals.items()},
        }


def _cash(ledger: Ledger, return_id: int) -> tuple[Decimal, int]:
    """The Actual spend of a return's Expenditure lines, each line to the penny, and how many lines."""
    amounts = [
        a
        for (a,) in ledger.conn.execute(
            "SELECT actual FROM expenditure WHERE return_id = ? AND actual IS NOT NULL ORDER BY row", (return_id,)
        )
    ]
    return money.total(amounts), len(amounts)


def _disallowed(ledger: Ledger, return_id: int) -> Decimal:
    """Transactions the PMO disallowed in this return (App 2 §3.3): the amounts of those whose spot check
    in force failed (``assurance.disallowed``, which also words them for the schedule's inputs)."""
    from swtool.ledger.assurance import disallowed

    return disallowed(ledger, return_id).amount


def _disallowed_words(ledger: Ledger, return_id: int) -> str:
    """Which transactions were disallowed and why, or that none was."""
    from swtool.ledger.assurance import disallowed

    return disallowed(ledger, return_id).words()


def schedule(ledger: Ledger, quarter: str | Quarter, settings, refdata=None) -> Schedule:
    """The payment schedule of every contract in term in ``quarter``."""
    q = quarter if isinstance(quarter, Quarter) else views.parse_quarter(quarter)
    credits = {cc.contract.contract_id: cc for cc in views.credit_report(ledger, q, settings, refdata).contracts}
    all_counted = store.counted_returns(ledger, refdata)
    out = []
    for cid, cc in credits.items():
        c = cc.contract
        counted = all_counted.get((cid, str(q)))
        applied = [(ln, s) for ln, s in zip(cc.lines, cc.statuses, strict=True) if s == "applied"]
        credits_applied = money.total(ln.amount for ln, _ in applied)
        inputs = [
            (
                "credits applied",
                "; ".join(f"output {ln.output}: {money.gbp(ln.amount)}" for ln, _ in applied)
                + f" = {money.gbp(credits_applied)}"
                if applied
                else "no service credits applied for the quarter",
            )
        ]
        if counted is None:
            out.append(
                Payment(
                    cid,
                    c.provider,
                    str(c.lot),
                    None,
                    None,
                    "no return counted",
                    None,
                    None,
                    None,
                    credits_applied,
                    None,
                    None,
                    inputs + [("return", f"no version of a {q} return counts for {cid}")],
                )
            )
            continue
        rid = counted["id"]
        cash, n = _cash(ledger, rid)
        disallowed = _disallowed(ledger, rid)
        inputs.insert(
            0,
            (
                "expenditure",
                f"return {rid} (version {counted['version']}), Expenditure sheet: "
                f"{n} line{'s' * (n != 1)} of Actual spend = {money.gbp(cash)}",
            ),
        )
        inputs.insert(1, ("disallowed", _disallowed_words(ledger, rid)))
        q4 = None
        if q.number == 4:
            q4, words = _q4(ledger, c, q, all_counted)
            inputs.append(("Q4 balancing payment", words))
            invoice = q4
        else:
            invoice = cash - disallowed
        if invoice is not None:
            inputs.append(
                (
                    "invoice",
                    (
                        f"Q4 balancing payment {money.gbp(invoice)} replaces the cash figure"
                        if q4 is not None
                        else f"{money.gbp(cash)} − {money.gbp(disallowed)} = {money.gbp(invoice)}"
                    ),
                )
            )
        approval = counted["approval"] or NOT_REVIEWED
        net = None
        if approval == "approved" and invoice is not None:
            net = invoice - credits_applied
            inputs.append(("net payable", f"{money.gbp(invoice)} − {money.gbp(credits_applied)} = {money.gbp(net)}"))
        else:
            inputs.append(
                (
                    "net payable",
                    f"none: the return is {approval}"
                    if invoice is not None
                    else "none: the invoice cannot be worked out",
                )
            )
        out.append(
            Payment(
                cid,
                c.provider,
                str(c.lot),
                rid,
                counted["version"],
                approval,
                cash,
                disallowed,
                invoice,
                credits_applied,
                q4,
                net,
                inputs,
            )
        )
    return Schedule(q, out)


def _q4(ledger: Ledger, contract, q: Quarter, all_counted: dict) -> tuple[Decimal | None, str]:
    """App 2 §3.1c: total eligible expenditure to date (each counted return's Actual spend, less what
    was disallowed, from the contract's start to ``q``) − funding paid to date (the register)."""
    returns = [
        r for (cid, quarter), r in sorted(all_counted.items()) if cid == contract.contract_id and quarter <= str(q)
    ]
    eligible = money.total(_cash(ledger, r["id"])[0] - _disallowed(ledger, r["id"]) for r in returns)
    quarters = ", ".join(r["quarter"] for r in returns) or "no return counted"
    start, seen, missing = Quarter.containing(contract.start), {r["quarter"] for r in returns}, []
    while start <= q:
        if str(start) not in seen:
            missing.append(str(start))
        start = start.next()
    if missing:
        quarters += f"; no return counted for {', '.join(missing)}, taken as £0.00"
    if contract.funding_paid is None:
        return None, (
            f"total eligible expenditure to date {money.gbp(eligible)} ({quarters}); the register gives "
            f"no Funding paid to date for {contract.contract_id}, so no balancing payment can be worked out"
        )
    amount = money.q4_balancing(eligible, contract.funding_paid)
    return amount, (
        f"total eligible expenditure to date {money.gbp(eligible)} ({quarters}) − funding paid to date "
        f"{money.gbp(contract.funding_paid)} (register) = {money.gbp(amount)}"
    )


# --- formats ------------------------------------------------------------------------------------------

HEADERS = (
    "contract",
    "provider",
    "return",
    "approval",
    "expenditure",
    "disallowed",
    "invoice",
    "credits applied",
    "Q4 balancing",
    "net payable",
)


def _row(p: Payment, show=money.gbp) -> list:
    def amount(x):
        return "-" if x is None else show(x)

    return [
        p.contract,
        p.provider,
        "-" if p.return_id is None else f"{p.return_id} (v{p.version})",
        p.approval,
        *(amount(getattr(p, k)) for k in AMOUNTS),
    ]


def render_text(s: Schedule) -> str:
    from tabulate import tabulate

    rows = [_row(p) for p in s.payments]
    t = s.totals
    rows.append(["Total", "", "", "", *(money.gbp(t[k]) for k in AMOUNTS)])
    approved = sum(p.approval == "approved" for p in s.payments)
    out = [
        f"Payments, {s.quarter}",
        "",
        tabulate(
            rows,
            headers=HEADERS,
            tablefmt="simple",
            disable_numparse=True,
            colalign=("left", "left", "left", "left") + ("right",) * len(AMOUNTS),
        ),
        "",
        f"{len(s.payments)} contract{'s' * (len(s.payments) != 1)} in term: {approved} approved for payment; "
        f"net payable {money.gbp(t['net_payable'])}"
        f" (the returns not approved are not payable: swtool approve RETURN_ID --reason TEXT)",
    ]
    return "\n".join(out) + "\n"


def render_csv(s: Schedule) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["contract", "provider", "return_id", "approval", *AMOUNTS])
    for p in s.payments:
        d = p.to_dict()
        w.writerow([_csv_text(d[k]) for k in ("contract", "provider", "return_id", "approval", *AMOUNTS)])
    t = s.to_dict()["totals"]
    w.writerow(["Total", "", "", "", *(t[k] for k in AMOUNTS)])
    return buf.getvalue()


def _csv_text(v) -> str:
    """A value for a CSV finance opens in a spreadsheet: text that would be read as a formula is
    prefixed with an apostrophe (OWASP's CSV-injection defence)."""
    from swtool.write.xlsx import looks_like_formula

    if v is None:
        return ""
    text = str(v)
    return "'" + text if looks_like_formula(text) and not _is_amount(text) else text


def _is_amount(text: str) -> bool:
    try:
        money.exact(text)
    except ValueError:
        return False
    return True


def write_xlsx(s: Schedule, output) -> None:
    """The finance team's schedule: one row a contract and a totals row (no formulas: every figure is a
    value), then a second sheet with the inputs of every figure."""
    import openpyxl
    from openpyxl.styles import Font

    from swtool.write.xlsx import put, save

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Payments"
    bold = Font(bold=True)
    put(ws.cell(row=1, column=1), f"Southwark Works payments, {s.quarter}")
    ws.cell(row=1, column=1).font = bold
    for j, h in enumerate(HEADERS, 1):
        put(ws.cell(row=3, column=j), h)
        ws.cell(row=3, column=j).font = bold
    row = 4
    for p in s.payments:
        values = [p.contract, p.provider, p.return_id, p.approval, *(getattr(p, k) for k in AMOUNTS)]
        for j, v in enumerate(values, 1):
            put(ws.cell(row=row, column=j), v, number_format=None)
            if j > 4 and v is not None:
                ws.cell(row=row, column=j).number_format = "£#,##0.00;-£#,##0.00"
        row += 1
    t = s.totals
    put(ws.cell(row=row, column=1), "Total")
    ws.cell(row=row, column=1).font = bold
    for j, k in enumerate(AMOUNTS, 5):
        put(ws.cell(row=row, column=j), t[k])
        ws.cell(row=row, column=j).number_format = "£#,##0.00;-£#,##0.00"
        ws.cell(row=row, column=j).font = bold
    for j, width in enumerate((12, 34, 10, 16, 14, 12, 14, 16, 14, 14), 1):
        ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width = width
    detail = wb.create_sheet("Inputs")
    for j, h in enumerate(("contract", "figure", "how it was worked out"), 1):
        put(detail.cell(row=1, column=j), h)
        detail.cell(row=1, column=j).font = bold
    row = 2
    for p in s.payments:
        for figure, words in p.inputs:
            put(detail.cell(row=row, column=1), p.contract)
            put(detail.cell(row=row, column=2), figure)
            put(detail.cell(row=row, column=3), words)
            row += 1
    detail.column_dimensions["A"].width, detail.column_dimensions["B"].width = 12, 22
    detail.column_dimensions["C"].width = 110
    save(wb, output)
