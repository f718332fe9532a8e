"""D — deadlines and cover (App 2 §1.2): is this the right contract, quarter and date?"""

from __future__ import annotations

from swtool.catalogue import rule
from swtool.findings import ERROR, WARNING, Flag
from swtool.model.quarter import uk_date

CAL = "App 2 §1.2"


def _deadline(sub, ctx):
    q = sub.quarter
    return None if q is None else ctx.refdata.deadlines.get(str(q))


@rule(
    "D601",
    "unknown-quarter",
    ERROR,
    CAL,
    "financial year/quarter not in the framework calendar",
    fix="Set Financial year (e.g. 2026/27) and Quarter (Q1–Q4) on the Return sheet to the quarter reported.",
)
def unknown_quarter(sub, ctx):
    if not sub.cover.present:
        return
    fy, q = sub.cover.get("Financial year"), sub.cover.get("Quarter")
    if fy is None or q is None:
        return  # S005 says the cell is empty
    where = sub.cover.at("Financial year")
    if sub.quarter is None:
        yield Flag(f"{where.cell}: financial year {fy!r} is not a year like 2026/27", where, fy)
        return
    if str(sub.quarter) not in ctx.refdata.deadlines:
        known = sorted(ctx.refdata.deadlines)
        yield Flag(
            f"{where.cell}: {sub.quarter.financial_year} {sub.quarter.label} is not a quarter of the "
            f"framework calendar ({known[0]} to {known[-1]})",
            where,
            f"{fy} {q}",
        )


@rule(
    "D602",
    "submitted-late",
    WARNING,
    CAL,
    "date submitted after the reporting deadline",
    fix="Submit by the reporting deadline; if you cannot, tell the PMO before it passes.",
)
def submitted_late(sub, ctx):
    d = _deadline(sub, ctx)
    submitted = sub.date_submitted
    if d is None or submitted is None:
        return
    if d.reporting < submitted <= d.final:
        where = sub.cover.at("Date submitted")
        days = (submitted - d.reporting).days
        yield Flag(
            f"{where.cell}: submitted {uk_date(submitted)}, {days} day{'s' * (days != 1)} after the reporting "
            f"deadline {uk_date(d.reporting)} for {sub.quarter.financial_year} {sub.quarter.label}",
            where,
            submitted,
        )


@rule(
    "D603",
    "after-final-deadline",
    ERROR,
    CAL,
    "date submitted after the final CRM deadline: no changes accepted",
    fix="Returns after the final deadline are not accepted; contact the PMO.",
)
def after_final_deadline(sub, ctx):
    d = _deadline(sub, ctx)
    submitted = sub.date_submitted
    if d is None or submitted is None:
        return
    if submitted > d.final:
        where = sub.cover.at("Date submitted")
        yield Flag(
            f"{where.cell}: submitted {uk_date(submitted)}, after the final deadline {uk_date(d.final)} for "
            f"{sub.quarter.financial_year} {sub.quarter.label}; no changes are accepted after it",
            where,
            submitted,
        )


@rule(
    "D604",
    "contract-mismatch",
    ERROR,
    CAL + "; §2.2",
    "cover's contract, provider or lot disagrees with the contract register",
    fix="Copy the Contract ID, Provider and Lot exactly as the council's register has them.",
)
def contract_mismatch(sub, ctx):
    if not sub.cover.present or sub.contract_id is None:
        return
    c = ctx.contract
    if ctx.register is not None and sub.contract_id not in ctx.register.contracts:
        where = sub.cover.at("Contract ID")
        yield Flag(
            f"{where.cell}: contract {sub.contract_id!r} is not in the contract register", where, sub.contract_id
        )
        return
    if c is None:
        return
    register = "the contract register" if c.source == "register" else "the return's Contract sheet"
    if c.contract_id != sub.contract_id:
        where = sub.cover.at("Contract ID")
        yield Flag(
            f"{where.cell}: contract {sub.contract_id!r} differs from {register}, which is for {c.contract_id!r}",
            where,
            sub.contract_id,
        )
        return
    for label, ours in (("Provider", c.provider), ("Lot", c.lot)):
        theirs = sub.cover.get(label)
        if theirs is not None and str(theirs).strip().casefold() != str(ours).strip().casefold():
            where = sub.cover.at(label)
            yield Flag(
                f"{where.cell}: {label} {theirs!r} differs from {register}, which has {ours!r} for {c.contract_id}",
                where,
                theirs,
            )


@rule(
    "D605",
    "outside-contract",
    ERROR,
    CAL + "; §2.2",
    "the quarter is outside the contract's term",
    fix="Check the Financial year and Quarter; returns are due only for quarters within the contract's term.",
    needs=("contract",),
)
def outside_contract(sub, ctx):
    q, c = sub.quarter, ctx.contract
    if q is None or c.contract_id != sub.contract_id or c.start is None or c.end is None:
        return
    if q.end < c.start or q.start > c.end:
        where = sub.cover.at("Quarter")
        yield Flag(
            f"{where.cell}: {q.financial_year} {q.label} ({uk_date(q.start)}–{uk_date(q.end)}) is outside "
            f"contract {c.contract_id}'s term {uk_date(c.start)} to {uk_date(c.end)}",
            where,
            str(q),
        )
