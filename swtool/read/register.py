"""What the council's contract register says about a contract: lot, term, value, targets, budget.

It comes from the register workbook (``--register``), or from the hidden ``Contract`` sheet that a
prefilled return carries so that a provider can run every check without the register.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from swtool.model import standard as std
from swtool.errors import RegisterError

CONTRACT_FIELDS = ("Contract ID", "Provider", "Lot", "Start date", "End date", "Annual value",
                   "Funding paid to date")
TARGET_HEADERS = ("Output", "Annual target", "Q1 profile", "Q2 profile", "Q3 profile", "Q4 profile")
BUDGET_HEADERS = ("Financial year", "Quarter", "Category", "Budget item", "Budgeted amount")
MILESTONE_HEADERS = ("Milestone", "Due date")


def _missing(v) -> bool:
    """None, NaN, NaT or pandas' NA (whose comparisons cannot be made true or false)."""
    if v is None:
        return True
    try:
        return bool(v != v)
    except TypeError:
        return True


def money(value) -> Decimal | None:
    """A register amount in pounds to the penny (``calc.money.penny``); None when blank."""
    from swtool.calc.money import penny

    if _missing(value):
        return None
    return penny(value)


@dataclass(frozen=True)
class Target:
    output: str
    annual: int
    profile: tuple[int | None, int | None, int | None, int | None] = (None, None, None, None)
    cell: str | None = field(default=None, compare=False)  # the register's Annual target cell, e.g. Targets!C5


@dataclass(frozen=True)
class BudgetLine:
    financial_year: str
    quarter: str
    category: str
    item: str
    amount: Decimal


@dataclass
class ContractFacts:
    contract_id: str
    provider: str
    lot: str
    start: date
    end: date
    annual_value: Decimal
    funding_paid: Decimal | None = None
    targets: dict[str, Target] = field(default_factory=dict)
    budget: list[BudgetLine] = field(default_factory=list)
    milestones: list[tuple[str, date]] = field(default_factory=list)
    source: str = "register"  # or "Contract sheet"
    cells: dict[str, str] = field(default_factory=dict, compare=False, repr=False)  # Contracts header -> cell

    def budget_for(self, financial_year: str, quarter: str) -> list[BudgetLine]:
        return [b for b in self.budget if b.financial_year == financial_year and b.quarter == quarter]

    @property
    def budget_items(self) -> set[str]:
        return {b.item for b in self.budget if b.item}  # a line with no item (a damaged Contract sheet) is no heading


@dataclass
class Register:
    path: Path
    contracts: dict[str, ContractFacts]


def _d(v) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if hasattr(v, "date") and not _missing(v):  # pandas Timestamp
        return v.date()
    return None


def _s(v) -> str | None:
    if _missing(v):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip() or None


def _i(v) -> int | None:
    if _missing(v):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def read_register(path: Path, refdata) -> Register:
    """Read and validate the contract register; RegisterError lists what is wrong with it."""
    from swtool.read.preflight import Unreadable
    from swtool.read.workbook import read
    from swtool.read.tables import Sink, type_table

    try:
        raw = read(path, wanted={s.name.casefold() for s in std.REGISTER_SHEETS})
    except Unreadable as e:
        raise RegisterError(f"{path}: {e}") from None
    except FileNotFoundError:
        raise RegisterError(f"{path}: no such file") from None
    sink = Sink()
    tables = {}
    names = {std.normalise_label(n): n for n in raw.sheets}
    for spec in std.REGISTER_SHEETS:
        name = names.get(std.normalise_label(spec.name))
        if name is None:
            raise RegisterError(f"{path}: the register has no '{spec.name}' sheet "
                                f"(sheets found: {', '.join(raw.sheet_states)})")
        tables[spec.name] = type_table(raw.sheets[name], spec, None, refdata, sink)
    problems = [f.message for code in ("S003", "S004", "S005", "S006") for f in sink.flags.get(code, [])]
    if problems:
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise RegisterError(f"{path}: the contract register has errors{more}:\n  " + "\n  ".join(problems[:10]))
    contracts: dict[str, ContractFacts] = {}
    ct = tables["Contracts"]
    for i, row in enumerate(ct.df.itertuples(index=False)):
        r = dict(zip(ct.df.columns, row))
        cid = _s(r["Contract ID"])
        contracts[cid] = ContractFacts(cid, _s(r["Provider"]), _s(r["Lot"]), _d(r["Start date"]), _d(r["End date"]),
                                       money(r["Annual value"]), money(r.get("Funding paid to date")),
                                       cells={h: ct.at(i, h).cell for h in ct.letters if ct.at(i, h).cell})
    for sheet, header in (("Targets", "Contract ID"), ("Budget", "Contract ID"), ("Milestones", "Contract ID")):
        t = tables[sheet]
        for i, cid in enumerate(t.df[header]):
            if cid not in contracts:
                raise RegisterError(f"{path}: {t.at(i, header).cell}: contract {cid!r} is not on the Contracts sheet")
    for i, r in enumerate(tables["Targets"].df.to_dict("records")):
        c = contracts[r["Contract ID"]]
        c.targets[r["Output"]] = Target(r["Output"], _i(r["Annual target"]),
                                        tuple(_i(r.get(f"Q{q} profile")) for q in range(1, 5)),
                                        tables["Targets"].at(i, "Annual target").cell)
    for r in tables["Budget"].df.to_dict("records"):
        contracts[r["Contract ID"]].budget.append(BudgetLine(
            _s(r["Financial year"]), r["Quarter"], r["Category"], _s(r["Budget item"]), money(r["Budgeted amount"])))
    for r in tables["Milestones"].df.to_dict("records"):
        contracts[r["Contract ID"]].milestones.append((_s(r["Milestone"]), _d(r["Due date"])))
    return Register(path, contracts)


# --- the hidden Contract sheet of a prefilled return ------------------------------------------------

def contract_sheet_rows(c: ContractFacts) -> list[tuple]:
    """The rows written to the hidden Contract sheet; ``contract_from_sheet`` reads them back."""
    rows: list[tuple] = [
        ("Contract ID", c.contract_id), ("Provider", c.provider), ("Lot", c.lot), ("Start date", c.start),
        ("End date", c.end), ("Annual value", float(c.annual_value)),
        ("Funding paid to date", float(c.funding_paid) if c.funding_paid is not None else None),
        (), ("Targets",), TARGET_HEADERS]
    for t in c.targets.values():
        rows.append((t.output, t.annual, *t.profile))
    rows += [(), ("Budget",), BUDGET_HEADERS]
    for b in c.budget:
        rows.append((b.financial_year, b.quarter, b.category, b.item, float(b.amount)))
    rows += [(), ("Milestones",), MILESTONE_HEADERS]
    rows += [(m, d) for m, d in c.milestones]
    return rows


def contract_from_sheet(raw) -> ContractFacts | None:
    """Read the hidden Contract sheet (a RawSheet); None when it does not hold a contract, or holds one that
    cannot be read (an amount that is no amount, TRUE say: the sheet was damaged or edited by hand)."""
    try:
        return _contract_from_sheet(raw)
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None


def _contract_from_sheet(raw) -> ContractFacts | None:
    fields: dict[str, object] = {}
    section = None
    targets, budget, milestones = {}, [], []
    for row in raw.values:
        first = _s(row[0]) if row else None
        if first in ("Targets", "Budget", "Milestones") and all(v is None for v in row[1:]):
            section = first
            continue
        if section is None:
            if first in CONTRACT_FIELDS:
                fields[first] = row[1] if len(row) > 1 else None
        elif section == "Targets" and first and first != "Output":
            vals = list(row[1:6]) + [None] * 5
            targets[first] = Target(first, _i(vals[0]) or 0, tuple(_i(v) for v in vals[1:5]))
        elif section == "Budget" and first and first != "Financial year":
            vals = list(row[:5]) + [None] * 5
            budget.append(BudgetLine(_s(vals[0]), _s(vals[1]), _s(vals[2]), _s(vals[3]), money(vals[4])))
        elif section == "Milestones" and first and first != "Milestone":
            milestones.append((first, _d(row[1] if len(row) > 1 else None)))
    try:
        return ContractFacts(_s(fields["Contract ID"]), _s(fields["Provider"]), _s(fields["Lot"]),
                             _d(fields["Start date"]), _d(fields["End date"]), money(fields["Annual value"]),
                             money(fields.get("Funding paid to date")), targets, budget, milestones,
                             source="Contract sheet")
    except (KeyError, TypeError, ValueError):
        return None
