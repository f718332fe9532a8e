"""X — expenditure (App 2 §3): eligible, defrayed spend against the contract's budget headings.

Amounts are compared in whole pence (the typed sheets hold pounds with at most 2 decimals), so an
"exactly 10%" or "exactly £0.01" comparison is exact. Budget items are matched as headers are:
case, repeated spaces and non-breaking spaces do not matter. Match funding is other funders'
contribution (App 2 §3.4): it is not part of Actual spend, the variance (Actual − Budgeted, as in the
worked example of App 2 §3.2) or the Transactions total.

A transaction defrayed before the quarter (X409) may be a cost reported a quarter late, which the
PMO looks at (warning), or one claimed twice, which cannot be paid (error): it is the same
transaction when an earlier return of the contract lists the same budget item, date, amount and
Description (the template has no supplier column; the Description names the supplier or reference).
"""

from __future__ import annotations

from fractions import Fraction

from swtool.calc import money
from swtool.catalogue import rule
from swtool.checks.common import Cells, day, history_frame, indices, shared
from swtool.findings import ERROR, WARNING, Flag
from swtool.model import standard as std

SPEC = "App 2 §3"


def _pence(series):
    """Money column → whole pence (Int64, NA where blank): exact, since the typed sheets hold pounds with
    at most 2 decimals; this only takes away the binary float's noise (1234.0000000002 → 1234)."""
    return (series * 100).round().astype("Int64")  # exact pence, not money rounding


def _norm(series):
    """Budget items as matched: case and spacing forgiven (each distinct item normalised once)."""
    names = {v: std.normalise_label(v) for v in series.dropna().unique()}
    return series.map(names).astype(object)


def _items(sub, _ctx, sheet: str):
    """``_norm`` of a sheet's Budget item column, worked out once per return."""
    return _norm(sub.tables[sheet].df["Budget item"])


def _gbp(pence) -> str:
    """Whole pence as the money module shows pounds: ``£1,234.50``."""
    return money.gbp(Fraction(int(pence), 100))


def _register(ctx) -> str:
    return "the contract register" if ctx.contract.source == "register" else "the return's Contract sheet"


# --- budget headings -------------------------------------------------------------------------------


@rule(
    "X401",
    "not-a-budget-heading",
    ERROR,
    "App 2 §3.3",
    'budget item not in the contract budget ("expenditure out of contract")',
    fix="Report spend only against the budget headings of your contract, spelt as in the budget; spend "
    "under any other heading is expenditure out of contract and cannot be claimed.",
    needs=("contract",),
)
def not_a_budget_heading(sub, ctx):
    t = sub.expenditure
    ct = Cells(t)
    headings = {std.normalise_label(h) for h in ctx.contract.budget_items}
    items = t.df["Budget item"]
    known = sorted(ctx.contract.budget_items)
    listed = "; ".join(known[:8]) + (f" (and {len(known) - 8} more)" if len(known) > 8 else "")
    for i in indices(items.notna() & ~shared(sub, ctx, _items, "Expenditure").isin(headings)):
        where = t.at(i, "Budget item")
        item = ct(i, "Budget item")
        yield Flag(
            f"{where.cell}: budget item {item!r} is not a heading of contract {ctx.contract.contract_id}'s "
            f"budget ({listed or 'no headings'}); spend under it is expenditure out of contract",
            where,
            item,
        )


@rule(
    "X408",
    "budget-mismatch",
    WARNING,
    "App 2 §3.2",
    "Budgeted amount differs from the contract register's budget for that item and quarter",
    fix="Copy the Budgeted amount for each item from your contract's budget for this quarter; if the budget "
    "has been re-profiled, tell the PMO so the register is updated.",
    needs=("contract",),
)
def budget_mismatch(sub, ctx):
    q = sub.quarter
    if q is None:
        return
    t = sub.expenditure
    ct = Cells(t)
    df = t.df
    headings = {std.normalise_label(h) for h in ctx.contract.budget_items}
    lines = [b for b in ctx.contract.budget_for(q.financial_year, q.label) if b.amount is not None]
    if not lines:
        c = ctx.contract
        if not len(t) or (c.start and c.end and (q.end < c.start or q.start > c.end)):
            return  # a quarter outside the contract's term is D605's to report
        where = t.at(0, "Budgeted amount")
        yield Flag(
            f"{where.cell}: {_register(ctx)} has no budget for {q.financial_year} {q.label}, so the budgeted "
            "amounts could not be compared with it",
            where,
        )
        return
    register: dict[str, int] = {}
    for line in lines:
        key = std.normalise_label(line.item)
        register[key] = register.get(key, 0) + int(line.amount * 100)
    # each heading's budgeted pence over its rows, and its first row (in the order the items first appear)
    totals: dict = {}
    first: dict = {}
    norm = shared(sub, ctx, _items, "Expenditure").to_numpy(dtype=object)
    budgets = _pence(df["Budgeted amount"]).to_numpy(dtype=object, na_value=None)
    for i, (item, pence) in enumerate(zip(norm, budgets, strict=True)):
        if pence is not None and item in headings:
            totals[item] = totals.get(item, 0) + int(pence)
            first.setdefault(item, i)
    for item, ours in totals.items():
        theirs = register.get(item, 0)
        if int(ours) == theirs:
            continue
        i = first[item]
        where = t.at(i, "Budgeted amount")
        name = ct(i, "Budget item")
        if item in register:
            said = f"{_register(ctx)} budgets {_gbp(theirs)}"
        else:
            said = f"{_register(ctx)} has no budget for it"
        yield Flag(
            f"{where.cell}: budgeted amount {_gbp(ours)} for {name!r} differs from the contract budget: "
            f"{said} in {q.financial_year} {q.label}",
            where,
            int(ours) / 100,
        )


# --- the expenditure lines -------------------------------------------------------------------------


@rule(
    "X402",
    "spend-variance-unexplained",
    ERROR,
    "App 2 §1.3; §3.2",
    "variance over 10% of the budgeted amount and no Comment",
    fix="Explain in Comment any spend more than 10% over or under the budgeted amount: why, whether it is "
    "temporary or permanent, and what you will do about it.",
)
def spend_variance_unexplained(sub, ctx):
    t = sub.expenditure
    ct = Cells(t)
    df = t.df
    budget, actual = _pence(df["Budgeted amount"]), _pence(df["Actual spend"])
    budgets, actuals = budget.to_numpy(dtype=float, na_value=0), actual.to_numpy(dtype=float, na_value=0)
    # a blank amount is S005's, a negative one X407's
    for i in indices((budget >= 0) & actual.notna() & df["Comment"].isna()):
        b, a = int(budgets[i]), int(actuals[i])
        # the same decision as N502 and the PMO's spend variance: more than 10%, exactly 10% is within
        variance = money.variance(a, b, money.SPEND_LIMIT)
        if not variance.exceeds:
            continue
        where = t.at(i, "Comment")
        v = a - b
        share = f" ({money.pct(abs(variance.percent))} of it)" if b else ""
        item = ct(i, "Budget item")
        yield Flag(
            f"{where.cell}: {item!r}: actual spend {_gbp(a)} is {_gbp(abs(v))} {'over' if v > 0 else 'under'} "
            f"the budgeted {_gbp(b)}{share}, more than 10%, and Comment is empty",
            where,
            v / 100,
        )


@rule(
    "X407",
    "negative-spend",
    ERROR,
    "App 2 §3.2",
    "negative budgeted or actual amount",
    fix="Enter budgeted amounts and spend as positive amounts; report a refund by reducing the spend of the "
    "quarter it belongs to, and explain it in Comment.",
)
def negative_spend(sub, ctx):
    t = sub.expenditure
    ct = Cells(t)
    for header in ("Budgeted amount", "Actual spend"):
        col = t.df[header]
        for i in indices(col < 0):
            where = t.at(i, header)
            amount = ct(i, header)
            yield Flag(
                f"{where.cell}: {header} {money.gbp(amount)} for {ct(i, 'Budget item')!r} is negative", where, amount
            )


# --- transactions ----------------------------------------------------------------------------------


def _recharge_note(ct, i: int) -> str:
    return (
        " (an internal recharge: give the date the cost was originally defrayed)" if ct(i, "Internal recharge") else ""
    )


@rule(
    "X403",
    "defrayed-after-quarter",
    ERROR,
    "App 2 §3.1; §3.5",
    "transaction defrayed after the quarter's last day (recharges: original date)",
    fix="Report only spend paid out (cash left the account) by the quarter's last day; move later payments "
    "to next quarter's return. For an internal recharge, the date is when the cost was first paid.",
)
def defrayed_after_quarter(sub, ctx):
    t, q = sub.transactions, sub.quarter
    ct = Cells(t)
    if not t.present or q is None or not len(t):
        return
    import pandas as pd

    dates = t.df["Date defrayed"]
    for i in indices(dates > pd.Timestamp(q.end)):
        where = t.at(i, "Date defrayed")
        d = ct(i, "Date defrayed")
        yield Flag(
            f"{where.cell}: {ct(i, 'Description')!r} was defrayed on {day(d)}, after the quarter's last "
            f"day {day(q.end)}{_recharge_note(ct, i)}; only spend paid out by then counts",
            where,
            d,
        )


def _transaction_keys(df):
    """One text per transaction: budget item, date defrayed, amount in pence and description, as matched."""
    item = _norm(df["Budget item"]).astype("string")
    when = df["Date defrayed"].dt.strftime("%Y-%m-%d").astype("string")
    pence = _pence(df["Amount"]).astype("string")
    what = _norm(df["Description"]).astype("string")
    return item + "|" + when + "|" + pence + "|" + what


def _claimed_earlier(ctx) -> dict:
    """Transaction key -> the quarter of the earlier return that first claimed it."""
    h = history_frame(ctx, "Transactions")
    if not len(h):
        return {}
    claimed: dict = {}
    for key, q in zip(_transaction_keys(h), h["_quarter"]):
        if isinstance(key, str):
            claimed.setdefault(key, q)
    return claimed


@rule(
    "X409",
    "defrayed-before-quarter",
    WARNING,
    "App 2 §3.1a; §3.5",
    "transaction defrayed before the quarter's first day (App 2 §3.1a: only costs paid out within the quarter); "
    "error when the same transaction (item, date, amount, supplier/reference) was already claimed in an earlier "
    "return",
    fix="Report each cost in the return of the quarter it was paid out in. Remove a cost an earlier return "
    "already claimed; for one paid earlier but never claimed, explain it to the PMO. For an internal "
    "recharge, the date is when the cost was first paid.",
    raises_to=ERROR,
)
def defrayed_before_quarter(sub, ctx):
    t, q = sub.transactions, sub.quarter
    ct = Cells(t)
    if not t.present or q is None or not len(t):
        return
    import pandas as pd

    dates = t.df["Date defrayed"]
    before = dates < pd.Timestamp(q.start)
    c = ctx.contract
    if c is not None and c.start is not None:
        before &= dates >= pd.Timestamp(c.start)  # before the contract began: X404's
    if not before.any():
        return
    claimed = _claimed_earlier(ctx) if ctx.history_given else {}
    keys = _transaction_keys(t.df)
    unseen = (
        ""
        if ctx.history_given
        else (" (earlier returns were not given, so whether it was already claimed was not checked)")
    )
    for i in indices(before):
        where = t.at(i, "Date defrayed")
        d = ct(i, "Date defrayed")
        amount = ct(i, "Amount")
        shown = money.gbp(amount) if amount is not None else "(no amount)"
        said = (
            f"{where.cell}: {ct(i, 'Description')!r} ({shown}, {ct(i, 'Budget item')!r}) was defrayed on "
            f"{day(d)}, before the quarter's first day {day(q.start)}{_recharge_note(ct, i)}"
        )
        first = claimed.get(keys.iat[i]) if pd.notna(keys.iat[i]) else None
        if first is not None:
            yield Flag(
                f"{said}, and the same transaction was already claimed in the {first.financial_year} "
                f"{first.label} return; a cost is claimed once",
                where,
                d,
                severity=ERROR,
            )
        else:
            yield Flag(
                f"{said}; only costs paid out within the quarter are reported in it (App 2 §3.1a){unseen}", where, d
            )


@rule(
    "X404",
    "outside-contract-term",
    ERROR,
    "App 2 §3.1",
    "transaction dated before the contract start or after its end",
    fix="Claim only spend defrayed within the contract's term; spend before its start or after its end is "
    "not eligible.",
    needs=("contract",),
)
def outside_contract_term(sub, ctx):
    t, c = sub.transactions, ctx.contract
    ct = Cells(t)
    if not t.present or not len(t) or c.start is None or c.end is None:
        return
    import pandas as pd

    dates = t.df["Date defrayed"]
    for i in indices((dates < pd.Timestamp(c.start)) | (dates > pd.Timestamp(c.end))):
        where = t.at(i, "Date defrayed")
        d = ct(i, "Date defrayed")
        side = "before the contract's start" if d < c.start else "after the contract's end"
        yield Flag(
            f"{where.cell}: {ct(i, 'Description')!r} was defrayed on {day(d)}, {side} (contract "
            f"{c.contract_id} runs {day(c.start)} to {day(c.end)}){_recharge_note(ct, i)}",
            where,
            d,
        )


@rule(
    "X405",
    "recoverable-vat",
    ERROR,
    "App 2 §3.1",
    "transaction includes recoverable VAT",
    fix="Claim amounts net of any VAT you can recover; recoverable VAT is not eligible expenditure.",
)
def recoverable_vat(sub, ctx):
    t = sub.transactions
    ct = Cells(t)
    if not t.present or not len(t):
        return
    for i in indices(t.df["Includes recoverable VAT"].eq(True)):
        where = t.at(i, "Includes recoverable VAT")
        amount = ct(i, "Amount")
        shown = money.gbp(amount) if amount is not None else "(no amount)"
        yield Flag(
            f"{where.cell}: {ct(i, 'Description')!r} ({shown}) includes recoverable VAT, which is not "
            "eligible; claim the amount net of it",
            where,
            amount,
        )


@rule(
    "X406",
    "transactions-do-not-add-up",
    ERROR,
    "App 2 §3.1; §3.3",
    "Transactions total per item differs from Actual spend by more than £0.01",
    fix="Make the Transactions listed for each budget item add up to that item's Actual spend on the "
    "Expenditure sheet (add the missing items, or correct the amounts).",
)
def transactions_do_not_add_up(sub, ctx):
    t, e = sub.transactions, sub.expenditure
    ct, ce = Cells(t), Cells(e)
    if not t.present or not len(t):  # the template's empty Transactions sheet: the breakdown was not given
        return
    tx = t.df.assign(_item=shared(sub, ctx, _items, "Transactions"), _pence=_pence(t.df["Amount"]))
    tx = tx[tx["_item"].notna()]
    spent = tx.groupby("_item", sort=False)["_pence"].sum()  # blank amounts (S005) count as nothing
    ex = e.df.assign(_item=shared(sub, ctx, _items, "Expenditure"), _pence=_pence(e.df["Actual spend"]))
    ex = ex[ex["_item"].notna()].reset_index()
    if ex["_pence"].isna().any():  # an item with a blank Actual spend (S005) is not compared
        skip = set(ex.loc[ex["_pence"].isna(), "_item"])
        ex = ex[~ex["_item"].isin(skip)]
    else:
        skip = set()
    actual = ex.groupby("_item", sort=False)["_pence"].sum()
    first = ex.groupby("_item", sort=False)["index"].first()
    n_tx = tx.groupby("_item", sort=False).size()
    for item, a in actual.items():
        s = int(spent.get(item, 0))
        if abs(s - int(a)) <= 1:
            continue
        i = int(first[item])
        where = e.at(i, "Actual spend")
        n = int(n_tx.get(item, 0))
        listed = f"{n} transaction{'s' * (n != 1)} totalling {_gbp(s)}" if n else "no transactions"
        yield Flag(
            f"{where.cell}: actual spend {_gbp(int(a))} for {ce(i, 'Budget item')!r} differs by "
            f"{_gbp(abs(s - int(a)))} from the Transactions sheet, which lists {listed} for it",
            where,
            int(a) / 100,
        )
    stray = tx[~tx["_item"].isin(set(actual.index) | skip)]
    if len(stray):
        for _item, group in stray.reset_index().groupby("_item", sort=False):
            i = int(group["index"].iat[0])
            s = int(group["_pence"].sum())
            if abs(s) <= 1:
                continue
            where = t.at(i, "Budget item")
            n = len(group)
            yield Flag(
                f"{where.cell}: {n} transaction{'s' * (n != 1)} totalling {_gbp(s)} for "
                f"{ct(i, 'Budget item')!r}, which has no line on the Expenditure sheet (Actual spend "
                "£0.00)",
                where,
                s / 100,
            )
