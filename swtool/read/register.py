"""What the council's contract register says about a contract: lot, term, value, targets, budget.

It comes from the register workbook (``--register``), or from the hidden ``Contract`` sheet that a
prefilled return carries so that a provider can run every check without the register.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from swtool.errors import RegisterError
from swtool.model import standard as std

if TYPE_CHECKING:
    from swtool.read.tables import Table

T = TypeVar("T")
Profile = tuple[int | None, int | None, int | None, int | None]

CONTRACT_FIELDS = ("Contract ID", "Provider", "Lot", "Start date", "End date", "Annual value", "Funding paid to date")
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
    if _missing(value):
        return None
    try:
        return _penny(value.__class__, value)
    except TypeError:  # a value that cannot be a key
        return _penny.__wrapped__(value.__class__, value)


@lru_cache(maxsize=1024)
def _penny(_kind: type, value) -> Decimal:
    """``penny`` of each distinct amount once: a register repeats its amounts (the same budget lines
    each quarter); the type is in the key so that 1 and 1.0 (equal keys) are converted each as itself."""
    from swtool.calc.money import penny

    return penny(value)


@dataclass(frozen=True)
class Target:
    output: str
    annual: int
    profile: Profile = (None, None, None, None)
    cell: str | None = field(default=None, compare=False)  # the register's Annual target cell, e.g. Targets!C5


@dataclass(frozen=True)
class BudgetLine:
    # the register requires every field; a damaged Contract sheet can leave any but the year blank (None)
    financial_year: str
    quarter: str | None
    category: str | None
    item: str | None
    amount: Decimal | None


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
    milestones: list[tuple[str, date | None]] = field(default_factory=list)  # no date: a damaged Contract sheet
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


def _profile(values) -> Profile:
    q1, q2, q3, q4 = (_i(v) for v in values)
    return q1, q2, q3, q4


def _facts(
    cid: str | None,
    provider: str | None,
    lot: str | None,
    start: date | None,
    end: date | None,
    value: Decimal | None,
    paid: Decimal | None,
    **rest,
) -> ContractFacts | None:
    """The contract when every field a contract must have is there; None when one is blank."""
    if cid is None or provider is None or lot is None or start is None or end is None or value is None:
        return None
    return ContractFacts(cid, provider, lot, start, end, value, paid, **rest)


def _required(path: Path, table: Table, i: int, row: dict, header: str, read: Callable[[Any], T | None]) -> T:
    """Row ``i``'s value of a column the register requires, read by ``read`` (``_s``, ``_d``, ``_i``, ``money``).
    ``type_table`` reports a blank or unreadable one and ``read_register`` refuses the register for it before
    this, so None does not get here; were it to, it is said as a register error rather than carried on."""
    value = read(row[header])
    if value is None:
        raise RegisterError(f"{path}: {table.at(i, header).cell}: the {header} is missing")
    return value


def read_register(path: Path, refdata) -> Register:
    """Read and validate the contract register; RegisterError lists what is wrong with it."""
    from swtool.read.preflight import Unreadable
    from swtool.read.workbook import start_read

    try:
        pending = start_read(path, wanted={s.name.casefold() for s in std.REGISTER_SHEETS})
        try:  # the child reads while this process loads pandas and pandera (the first time)
            from swtool.read.tables import Sink, type_table
        except BaseException:
            pending.cancel()
            raise
        raw = pending.result()
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
            raise RegisterError(
                f"{path}: the register has no '{spec.name}' sheet (sheets found: {', '.join(raw.sheet_states)})"
            )
        tables[spec.name] = type_table(raw.sheets[name], spec, None, refdata, sink)
    problems = [f.message for code in ("S003", "S004", "S005", "S006") for f in sink.flags.get(code, [])]
    if problems:
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise RegisterError(f"{path}: the contract register has errors{more}:\n  " + "\n  ".join(problems[:10]))
    contracts: dict[str, ContractFacts] = {}
    ct = tables["Contracts"]
    for i, row in enumerate(ct.df.itertuples(index=False, name=None)):  # plain tuples: no class made per call
        r = dict(zip(ct.df.columns, row))
        cid = _required(path, ct, i, r, "Contract ID", _s)
        contracts[cid] = ContractFacts(
            cid,
            _required(path, ct, i, r, "Provider", _s),
            _required(path, ct, i, r, "Lot", _s),
            _required(path, ct, i, r, "Start date", _d),
            _required(path, ct, i, r, "End date", _d),
            _required(path, ct, i, r, "Annual value", money),
            money(r.get("Funding paid to date")),
            cells={h: cell for h in ct.letters if (cell := ct.at(i, h).cell)},
        )
    for sheet, header in (("Targets", "Contract ID"), ("Budget", "Contract ID"), ("Milestones", "Contract ID")):
        t = tables[sheet]
        for i, cid in enumerate(t.df[header]):
            if cid not in contracts:
                raise RegisterError(f"{path}: {t.at(i, header).cell}: contract {cid!r} is not on the Contracts sheet")
    tt, bt, mt = tables["Targets"], tables["Budget"], tables["Milestones"]
    for i, r in enumerate(tt.df.to_dict("records")):
        c = contracts[r["Contract ID"]]
        c.targets[r["Output"]] = Target(
            r["Output"],
            _required(path, tt, i, r, "Annual target", _i),
            _profile(r.get(f"Q{q} profile") for q in range(1, 5)),
            tt.at(i, "Annual target").cell,
        )
    for i, r in enumerate(bt.df.to_dict("records")):
        contracts[r["Contract ID"]].budget.append(
            BudgetLine(
                _required(path, bt, i, r, "Financial year", _s),
                r["Quarter"],
                r["Category"],
                _s(r["Budget item"]),
                money(r["Budgeted amount"]),
            )
        )
    for i, r in enumerate(mt.df.to_dict("records")):
        contracts[r["Contract ID"]].milestones.append((_required(path, mt, i, r, "Milestone", _s), _d(r["Due date"])))
    return Register(path, contracts)


# --- the hidden Contract sheet of a prefilled return ------------------------------------------------


def contract_sheet_rows(c: ContractFacts) -> list[tuple]:
    """The rows written to the hidden Contract sheet; ``contract_from_sheet`` reads them back."""
    rows: list[tuple] = [
        ("Contract ID", c.contract_id),
        ("Provider", c.provider),
        ("Lot", c.lot),
        ("Start date", c.start),
        ("End date", c.end),
        ("Annual value", float(c.annual_value)),
        ("Funding paid to date", float(c.funding_paid) if c.funding_paid is not None else None),
        (),
        ("Targets",),
        TARGET_HEADERS,
    ]
    for t in c.targets.values():
        rows.append((t.output, t.annual, *t.profile))
    rows += [(), ("Budget",), BUDGET_HEADERS]
    for b in c.budget:
        rows.append((b.financial_year, b.quarter, b.category, b.item, None if b.amount is None else float(b.amount)))
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
    targets: dict[str, Target] = {}
    budget: list[BudgetLine] = []
    milestones: list[tuple[str, date | None]] = []
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
            targets[first] = Target(first, _i(vals[0]) or 0, _profile(vals[1:5]))
        elif section == "Budget" and first and first != "Financial year":
            vals = list(row[:5]) + [None] * 5
            budget.append(BudgetLine(first, _s(vals[1]), _s(vals[2]), _s(vals[3]), money(vals[4])))
        elif section == "Milestones" and first and first != "Milestone":
            milestones.append((first, _d(row[1] if len(row) > 1 else None)))
    try:
        return _facts(
            _s(fields["Contract ID"]),
            _s(fields["Provider"]),
            _s(fields["Lot"]),
            _d(fields["Start date"]),
            _d(fields["End date"]),
            money(fields["Annual value"]),
            money(fields.get("Funding paid to date")),
            targets=targets,
            budget=budget,
            milestones=milestones,
            source="Contract sheet",
        )
    except (KeyError, TypeError, ValueError):
        return None
