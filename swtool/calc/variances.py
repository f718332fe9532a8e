"""Variances the PMO weighs each quarter: outputs against their quarterly targets, spend against budget.

Pure functions, no I/O; every result carries a sentence that shows each input (RULES.md,
"Calculations"). The variance itself is decided by ``swtool.calc.money.variance``, the same
decision the provider's N501 and N502 make, so a provider and the PMO never disagree on it.

Rules (RULES.md, K family):
- K701 ``output_variances``: an output more than ``output_variance_percent`` (20 or 30) % over or
  under its quarterly target (App 2 §1.3, App 3 item 5).
- Spend variance ``expenditure_variance``: a budget line, or the quarter total, more than 10% over
  or under its budgeted amount (App 2 §1.3, §3.2), for the remedial action plan and the contract
  report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from swtool.calc import money
from swtool.calc.money import SPEND_LIMIT, gbp, num, penny
from swtool.calc.targets import actual_count, actuals_by_quarter, as_quarter, quarterly_target, target_basis
from swtool.model.outputs import output_order

# --- K701: output variances ------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputVariance:
    output: str
    target: Decimal | int
    target_basis: str | None
    actual: int
    percent: Decimal | None  # signed: +25 over, −50 under; None for a zero target
    exceeds: bool  # K701: more than the setting's per cent over or under
    limit: int
    message: str


def output_variances(
    contract, quarter, actuals: Mapping, settings, *, only_exceeding: bool = True
) -> list[OutputVariance]:
    """K701: each output with a register target, actual against quarterly target (App 2 §1.3).

    Flags a variance strictly more than ``settings["output_variance_percent"]`` (20, or 30 per App 3
    item 5) over or under; exactly 20% is quiet. A zero target with any claim is flagged (no
    percentage measures it). Outputs are those of the register (2a and 2b separately, as N501 does).
    By default only the flagged ones are returned (each one K701 warning); ``only_exceeding=False``
    returns every output. Empty when no return is recorded for the quarter.
    """
    q = as_quarter(quarter)
    acts = actuals_by_quarter(actuals)
    if q not in acts:
        return []
    limit = int((settings or {}).get("output_variance_percent", 20))
    source = "App 2 §1.3" if limit == 20 else "App 3 item 5"
    out = []
    for output in sorted(getattr(contract, "targets", {}) or {}, key=output_order):
        target = quarterly_target(contract, output, q)
        if target is None:
            continue
        actual = actual_count(acts[q], output)
        if actual is None:  # output 1 when registrations were not counted
            continue
        basis = target_basis(contract, output, q)
        v = money.variance(actual, target, limit)
        exceeds, p, size = v.exceeds, v.percent, v.words("target")
        msg = (
            f"{q} {contract.contract_id} output {output}: {actual} against a quarterly target of "
            f"{num(target)} ({basis}), {size}; "
            + (
                f"more than {limit}% (setting output_variance_percent = {limit}, {source})"
                if exceeds
                else f"within {limit}%"
            )
        )
        if exceeds or not only_exceeding:
            out.append(OutputVariance(output, target, basis, actual, money.as_decimal(p), exceeds, limit, msg))
    return out


# --- expenditure -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendLine:
    """One line of a quarter's Expenditure sheet (or a budget heading's totals)."""

    item: str
    budgeted: Decimal
    actual: Decimal
    category: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class SpendVariance:
    item: str  # the budget item, or "Quarter total"
    category: str | None
    budgeted: Decimal
    actual: Decimal
    variance: Decimal  # actual − budgeted, to the penny (App 2 §3.2)
    percent: Decimal | None  # variance ÷ budgeted × 100, signed; None when the budget is 0
    over: bool  # more than 10% over or under (exactly 10% is not)
    comment: str | None
    message: str


@dataclass(frozen=True)
class ExpenditureVariances:
    lines: list[SpendVariance]
    total: SpendVariance

    @property
    def over(self) -> list[SpendVariance]:
        """The lines, then the quarter total, that are more than 10% off budget."""
        return [v for v in (*self.lines, self.total) if v.over]


def _spend_line(x) -> SpendLine:
    if isinstance(x, SpendLine):
        return x
    if isinstance(x, Mapping):
        get = x.get
        return SpendLine(
            str(get("Budget item", get("item", "")) or ""),
            penny(get("Budgeted amount", get("budgeted")) or 0),
            penny(get("Actual spend", get("actual")) or 0),
            get("Category", get("category")),
            get("Comment", get("comment")),
        )
    return SpendLine(
        str(x.item),
        penny(x.budgeted or 0),
        penny(x.actual or 0),
        getattr(x, "category", None),
        getattr(x, "comment", None),
    )


def _spend_variance(item, category, budgeted, actual, comment) -> SpendVariance:
    budgeted, actual = penny(budgeted), penny(actual)
    var = money.variance(actual, budgeted, SPEND_LIMIT)  # the same decision as N502's
    v = actual - budgeted
    size = (
        ("against a budget of £0.00" if v else "on a budget of £0.00") if var.percent is None else var.words("budget")
    )
    msg = f"{item}: actual {gbp(actual)} against budgeted {gbp(budgeted)}, variance {gbp(v)} ({size}); " + (
        "more than 10% (App 2 §1.3)" if var.exceeds else "within 10%"
    )
    return SpendVariance(item, category, budgeted, actual, v, money.as_decimal(var.percent), var.exceeds, comment, msg)


def expenditure_variance(lines: Iterable) -> ExpenditureVariances:
    """Spend against budget for one quarter, per line and for the quarter total (App 2 §1.3, §3.2).

    Variance = actual − budgeted (negative: under budget), to the penny; over means more than 10%
    of the budgeted amount either way, exactly 10% being within. A £0 budget with any spend is over.
    ``lines``: ``SpendLine`` objects, or mappings with the Expenditure sheet's headers (``Budget
    item``, ``Budgeted amount``, ``Actual spend``, ``Category``, ``Comment``).
    """
    items = [_spend_line(x) for x in lines or ()]
    per_line = [_spend_variance(s.item, s.category, s.budgeted, s.actual, s.comment) for s in items]
    total = _spend_variance(
        "Quarter total",
        None,
        sum((s.budgeted for s in items), Decimal(0)),
        sum((s.actual for s in items), Decimal(0)),
        None,
    )
    return ExpenditureVariances(per_line, total)
