"""The council's money calculations: service credits, variances, the Q4 payment, register warnings.

Pure functions, no I/O. The PMO side (the ledger and its ``status``, ``credits``, ``rap`` and
``report network`` commands) calls them; every result carries a sentence that shows each input, so
a PMO can check any figure by hand (RULES.md, "Calculations").

Money is worked out and rounded by ``swtool.calc.money`` only: exact inputs, half-up to the penny once
per line (``£1,519.047…`` is ``£1,519.05``; ``£0.005`` is ``£0.01``); a credit amount is never the
rounded credit value times the credits. Targets keep their fractions (annual 21 ÷ 4 = 5.25, from
``swtool.calc.targets.quarterly_target``) and so do service credits: a shortfall of 5.25 − 3 is
2.25 credits, so that a year's credits add up to the year's shortfall against the annual target on
which the credit value is based (whole credits, rounded either way, would not).

Rules (RULES.md, K family):
- K701 ``output_variances``: an output more than ``output_variance_percent`` (20 or 30) % over or
  under its quarterly target.
- K702 ``assess``: from contract quarter 2, a core output (2 and 4 for lots 1–8; 1 and 4 for lot 9)
  at or below 70% of its quarterly target: service credit liability and a remedial action plan.
- K703 ``shared_cap``: shared 2a + 2b claims over 20% of the contract's 2a + 2b claims to date.
- K704, K705, K706 ``register_warnings``: register targets below the framework minimum; a supplier
  with more than 3 contracts at once or on more than 5 lots (§2.3); an annual value over the lot's
  Table 1 maximum.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from collections.abc import Iterable, Mapping

from swtool.calc import money
from swtool.calc.money import PENNY, SHARED_LIMIT, SPEND_LIMIT, gbp, pct, penny
from swtool.calc.targets import COMBINED, JOB_STARTS, quarterly_target, target_basis
from swtool.model.quarter import Quarter, uk_date

THRESHOLD = Decimal(money.CREDIT_THRESHOLD)  # per cent of quarterly target: at or below is under-performance
MAX_CONTRACTS_AT_ONCE = 3        # §2.3
MAX_LOTS = 5                     # §2.3

OUTPUT_NAMES = {
    "1": "clients registered", "2": "job and apprenticeship starts, 2a + 2b", "2a": "job starts",
    "2b": "apprenticeship starts", "3a": "jobs sustained 26 weeks", "3b": "apprenticeships sustained 26 weeks",
    "4": "progressions into a better role", "5": "work placements", "6": "accredited skills and training",
}


# --- small helpers ---------------------------------------------------------------------------------

def num(x) -> str:
    """A count or target as a PMO writes it: 10, 5.25, 10.5."""
    if x is None:
        return "none"
    if isinstance(x, Decimal):
        return f"{x.normalize():f}" if x != x.to_integral_value() else str(int(x))
    return str(x)


def _quarter(q) -> Quarter:
    return q if isinstance(q, Quarter) else Quarter.parse(str(q))


def _actuals(actuals: Mapping) -> dict[Quarter, dict[str, int]]:
    """Keys as Quarter (``"2026/27-Q2"`` accepted too)."""
    return {_quarter(k): (v or {}) for k, v in (actuals or {}).items()}


def _actual(counts: Mapping[str, int] | None, output: str) -> int | None:
    """The count of ``output`` in one quarter's counts; output 2 is 2a + 2b unless ``"2"`` is given.
    None when the quarter has no counts at all (no return recorded), or for output 1 when the
    counts have no ``"1"`` (registrations were not counted: ``claim_counts`` only adds ``"1"`` when
    given the Registrations sheet). Any other absent output is 0 (nothing claimed)."""
    if counts is None:
        return None
    if output in counts and counts[output] is not None:
        return int(counts[output])
    if output == COMBINED:
        return sum(int(counts.get(o) or 0) for o in JOB_STARTS)
    if output == "1":
        return None
    return 0


def lot_number(lot) -> str:
    """``"1a"`` → ``"1"``: sub-lots 1a, 1b and 1c are parts of lot 1 (§2 Table 1)."""
    m = re.match(r"\s*(\d+)", str(lot))
    return m.group(1) if m else str(lot).strip()


def _ratio_percent(actual, target):
    """actual ÷ target × 100, exact (a Fraction); None without a target or an actual."""
    return money.percent(actual, target)


def _at_or_below_70(actual, target) -> bool:
    return money.at_or_below(actual, target)


# --- core outputs, contract quarters, credit value -------------------------------------------------

def core_outputs(lot) -> tuple[str, str]:
    """The core outputs that carry service credits (§4.2, §7.7): ``("2", "4")`` for lots 1–8
    (sub-lots 1a–1c included), ``("1", "4")`` for lot 9. Output 2 is 2a + 2b."""
    return ("1", "4") if lot_number(lot) == "9" else ("2", "4")


def contract_quarter(contract, quarter) -> int:
    """The quarter's number in the contract's delivery: 1 is the (financial-year) quarter holding the
    contract's start date, 2 the next, and so on across years. 0 or less: before the contract."""
    q = _quarter(quarter)
    s = Quarter.containing(contract.start)
    return (q.year * 4 + q.number) - (s.year * 4 + s.number) + 1


def annual_target(contract, output: str) -> int | None:
    """The register's annual target of ``output``; output 2 is the combined ``2`` row when the
    register has one, else 2a + 2b (a missing half counts 0). None when there is none."""
    targets = getattr(contract, "targets", None) or {}
    if output in targets:
        return targets[output].annual
    if output == COMBINED:
        parts = [targets[o].annual for o in JOB_STARTS if o in targets and targets[o].annual is not None]
        return sum(parts) if parts else None
    return None


def _annual_words(contract, output: str) -> str:
    targets = getattr(contract, "targets", None) or {}
    total = annual_target(contract, output)
    if output == COMBINED and output not in targets:
        parts = [f"{o} {targets[o].annual}" for o in JOB_STARTS if o in targets and targets[o].annual is not None]
        if len(parts) > 1:
            return f"{total} ({' + '.join(parts)})"
    return str(total)


def credit_value(contract, output: str) -> Decimal:
    """Pounds per service credit (§7.8, App 2 §4.1): ``(annual value × 2) × 10% ÷ annual target``.

    The two-year contract value is the register's annual value × 2; the annual target is that of
    the core output (output 2 = 2a + 2b when the register splits them). Quantized to the penny,
    half-up, for reading only. Lot 7, £77,000, output 2 target 10: (77,000 × 2) × 10% ÷ 10 = £1,540.00.
    ValueError when the register has no annual value or no (or a zero) annual target for the output.
    """
    target = _credit_target(contract, output)
    return money.credit_value(contract.annual_value, target)


def _credit_target(contract, output: str) -> int:
    target = annual_target(contract, output)
    if contract.annual_value is None:
        raise ValueError(f"contract {contract.contract_id} has no annual value in the register")
    if not target:
        raise ValueError(f"contract {contract.contract_id} has no annual target for output {output} in the register")
    return target


def credit_amount(contract, output: str, credits) -> Decimal:
    """``credits × (annual value × 2) × 10% ÷ annual target``, exact, rounded once to the penny
    (``money.credit_amount``): never credits × the rounded credit value."""
    return money.credit_amount(credits, contract.annual_value, _credit_target(contract, output))


def credit_value_words(contract, output: str) -> str:
    """``(annual value £77,000.00 × 2) × 10% ÷ annual target 10 = £1,540.00``."""
    return (f"(annual value {gbp(contract.annual_value)} × 2) × 10% ÷ annual target "
            f"{_annual_words(contract, output)} = {gbp(credit_value(contract, output))}")


# --- K702: service credits -------------------------------------------------------------------------

@dataclass(frozen=True)
class CreditLine:
    """One core output of one contract in one quarter, as the PMO weighs service credits.

    ``underperforming`` (K702, and a reason for a remedial action plan): from contract quarter 2,
    at or below 70% of the quarterly target. ``due``: service credits apply under the setting
    ``credit_quarters`` (1: this quarter; 2: this and the previous quarter both at or below 70%).
    ``credits`` is the shortfall ``target − actual`` when due, else 0; ``amount`` = credits ×
    (annual value × 2) × 10% ÷ annual target, exact, then to the penny (``credit_amount``). The PMO
    decides to apply or waive.
    ``percent`` is rounded to 0.01 for showing; the 70% test uses the exact ratio.
    """

    contract_id: str
    quarter: Quarter
    contract_quarter: int
    output: str
    target: Decimal | int | None
    target_basis: str | None
    actual: int | None
    percent: Decimal | None
    underperforming: bool
    run: int                      # consecutive quarters at or below 70% ending with this one (from contract quarter 2)
    credit_quarters: int          # the setting used
    credit_value: Decimal | None
    shortfall: Decimal            # target − actual when under-performing, else 0
    credits: Decimal              # shortfall when due, else 0
    amount: Decimal               # credits × credit_value, to the penny
    due: bool
    reason: str

    @property
    def missed(self) -> bool:
        """Below the quarterly target at all (a key issue for a remedial action plan)."""
        return (self.actual is not None and self.target is not None
                and Decimal(self.actual) < Decimal(str(self.target)))


def _under(contract, q: Quarter, output: str, acts: dict) -> bool | None:
    """Whether ``output`` was at or below 70% in ``q``; None when that cannot be said."""
    target = quarterly_target(contract, output, q)
    actual = _actual(acts.get(q), output)
    if target is None or actual is None or Decimal(str(target)) == 0:
        return None
    return _at_or_below_70(actual, target)


def _run(contract, q: Quarter, output: str, acts: dict) -> tuple[int, Quarter | None, str | None]:
    """Consecutive quarters at or below 70% ending with ``q``, counting only contract quarters 2+;
    also the quarter that broke the run and why (for the sentence)."""
    n, cur = 0, q
    while True:
        if contract_quarter(contract, cur) < 2:
            return n, cur, "contract quarter 1 (exempt)" if contract_quarter(contract, cur) == 1 else "before the contract"
        u = _under(contract, cur, output, acts)
        if u is None:
            if cur not in acts:
                return n, cur, "no return recorded"
            if _actual(acts[cur], output) is None:
                return n, cur, f"no count of output {output} recorded"
            return n, cur, "no target to measure against"
        if not u:
            t = quarterly_target(contract, output, cur)
            return n, cur, f"{pct(_ratio_percent(_actual(acts[cur], output), t))}, above 70%"
        n += 1
        cur = cur.previous()


def assess(contract, quarter, actuals: Mapping[Quarter, Mapping[str, int]], settings) -> list[CreditLine]:
    """Service credits for each core output of ``contract`` in ``quarter`` (K702; §7.7–7.8, App 2 §4.1).

    ``actuals``: claims counted per quarter, ``{Quarter: {"2a": 3, "2b": 1, "4": 2, "1": 30}}``
    (``performance.claim_counts``); output 2 is 2a + 2b unless a ``"2"`` count is given. A quarter
    present with an output absent counts 0, except output 1 (lot 9), which must be counted (absent:
    not assessed); a quarter absent means no return recorded.

    For each core output: the quarterly target (``performance.quarterly_target``), the actual, the
    percentage, the credit value and, when due, credits = shortfall (target − actual, fractions
    kept: 5.25 − 3 = 2.25 credits) and amount = credits × (annual value × 2) × 10% ÷ annual target,
    exact, rounded half-up to the penny once (``credit_amount``).

    - Contract quarter 1 is exempt ("from the second quarter of contract delivery").
    - Exactly 70% is under-performance ("70% or less"); anything above 70% is not.
    - ``settings["credit_quarters"]`` 1 (§7.8, default): credits are due for a quarter at or below
      70%. 2 (App 2 §4.1): due only when this and the previous quarter were both at or below 70%
      for the same output; contract quarter 1 does not count towards the two, so the first quarter
      that can carry credits under this setting is contract quarter 3. A missing return breaks the run.
    - Credits stop when performance moves above 70% and start again after a further 1 (or 2
      consecutive) quarter(s) at or below 70%: each quarter is assessed on the run ending with it.
    """
    q = _quarter(quarter)
    acts = _actuals(actuals)
    need = int((settings or {}).get("credit_quarters", 1))
    setting_words = ("credit_quarters = 1 (§7.8: credits for a quarter at or below 70%)" if need == 1 else
                     "credit_quarters = 2 (App 2 §4.1: two consecutive quarters at or below 70%)")
    cq = contract_quarter(contract, q)
    lines = []
    for output in core_outputs(contract.lot):
        target = quarterly_target(contract, output, q)
        basis = target_basis(contract, output, q)
        counts = acts.get(q)
        actual = _actual(counts, output)
        percent = _ratio_percent(actual, target)
        try:
            value = credit_value(contract, output)
            value_words = credit_value_words(contract, output)
        except ValueError as e:
            value, value_words = None, str(e)
        head = (f"{q} (contract quarter {cq}), {contract.contract_id} output {output} "
                f"({OUTPUT_NAMES.get(output, 'output ' + output)})")
        zero = Decimal(0)
        under, run, due, shortfall, credits = False, 0, False, zero, zero
        if counts is None:
            reason = f"{head}: no return recorded for {q}, so nothing to assess."
        elif actual is None:
            reason = f"{head}: the counts recorded for {q} have no count of output {output}, so nothing to assess."
        elif target is None:
            reason = f"{head}: {actual} achieved, but the register has no target for output {output}: nothing to assess."
        elif Decimal(str(target)) == 0:
            reason = f"{head}: {actual} achieved against a quarterly target of 0 ({basis}): no percentage, no credits."
        else:
            measured = (f"{actual} achieved against a quarterly target of {num(target)} ({basis}) = "
                        f"{actual} ÷ {num(target)} = {pct(percent)}")
            if cq < 1:
                reason = f"{head}: {measured}; {q} is before the contract started ({uk_date(contract.start)}): no credits."
            elif cq == 1:
                reason = (f"{head}: {measured}; contract quarter 1 (the contract started {uk_date(contract.start)}) "
                          f"is exempt from service credits (§7.7: from the second quarter of delivery).")
            elif not _at_or_below_70(actual, target):
                reason = f"{head}: {measured}, above 70%: no service credits."
            else:
                under = True
                shortfall = Decimal(str(target)) - Decimal(actual)
                run, broke, why = _run(contract, q, output, acts)
                due = run >= need and value is not None
                if run >= need and value is None:
                    reason = (f"{head}: {measured}, at or below 70%; shortfall {num(target)} − {actual} = "
                              f"{num(shortfall)}, but no credit value: {value_words}.")
                elif due:
                    credits = shortfall
                    amount_ = credit_amount(contract, output, credits)
                    streak = ""
                    if need == 2:
                        prev = q.previous()
                        pt = quarterly_target(contract, output, prev)
                        pa = _actual(acts.get(prev), output)
                        streak = f" and {prev} was {pa} of {num(pt)} = {pct(_ratio_percent(pa, pt))}"
                    reason = (f"{head}: {measured}, at or below 70%{streak}; setting {setting_words}. "
                              f"Shortfall {num(target)} − {actual} = {num(credits)} credit"
                              f"{'' if credits == 1 else 's'} × (annual value {gbp(contract.annual_value)} × 2) × 10% ÷ "
                              f"annual target {_annual_words(contract, output)} = {gbp(amount_)} "
                              f"({gbp(value)} per credit, shown rounded). The PMO decides to apply or waive.")
                else:
                    reason = (f"{head}: {measured}, at or below 70%, but setting {setting_words} needs "
                              f"{need} consecutive quarters and the run is {run} ({broke}: {why}): "
                              f"no service credits this quarter; a remedial action plan may be requested.")
        amount = credit_amount(contract, output, credits) if (due and value is not None) else penny(0)
        lines.append(CreditLine(
            contract.contract_id, q, cq, output, target, basis, actual,
            money.as_decimal(percent),
            under, run, need, value, shortfall, credits, amount, due, reason))
    return lines


# --- K701: output variances ------------------------------------------------------------------------

@dataclass(frozen=True)
class OutputVariance:
    output: str
    target: Decimal | int
    target_basis: str | None
    actual: int
    percent: Decimal | None       # signed: +25 over, −50 under; None for a zero target
    exceeds: bool                 # K701: more than the setting's per cent over or under
    limit: int
    message: str


def output_variances(contract, quarter, actuals: Mapping, settings, *, only_exceeding: bool = True
                     ) -> list[OutputVariance]:
    """K701: each output with a register target, actual against quarterly target (App 2 §1.3).

    Flags a variance strictly more than ``settings["output_variance_percent"]`` (20, or 30 per App 3
    item 5) over or under; exactly 20% is quiet. A zero target with any claim is flagged (no
    percentage measures it). Outputs are those of the register (2a and 2b separately, as N501 does).
    By default only the flagged ones are returned (each one K701 warning); ``only_exceeding=False``
    returns every output. Empty when no return is recorded for the quarter.
    """
    q = _quarter(quarter)
    acts = _actuals(actuals)
    if q not in acts:
        return []
    limit = int((settings or {}).get("output_variance_percent", 20))
    source = "App 2 §1.3" if limit == 20 else "App 3 item 5"
    out = []
    for output in sorted(getattr(contract, "targets", {}) or {}, key=_output_order):
        target = quarterly_target(contract, output, q)
        if target is None:
            continue
        actual = _actual(acts[q], output)
        basis = target_basis(contract, output, q)
        v = money.variance(actual, target, limit)
        exceeds, p, size = v.exceeds, v.percent, v.words("target")
        msg = (f"{q} {contract.contract_id} output {output}: {actual} against a quarterly target of "
               f"{num(target)} ({basis}), {size}; "
               + (f"more than {limit}% (setting output_variance_percent = {limit}, {source})" if exceeds
                  else f"within {limit}%"))
        if exceeds or not only_exceeding:
            out.append(OutputVariance(output, target, basis, actual, money.as_decimal(p), exceeds, limit, msg))
    return out


def _output_order(output: str):
    m = re.match(r"(\d+)(.*)", output)
    return (int(m.group(1)), m.group(2)) if m else (99, output)


# --- K703: shared outputs --------------------------------------------------------------------------

@dataclass(frozen=True)
class SharedCap:
    job_starts: int               # 2a + 2b claims to date
    shared: int                   # of which shared with another provider
    percent: Decimal | None
    over: bool                    # K703: more than 20%
    message: str


def _claim_fields(c) -> tuple[str, str | None]:
    if isinstance(c, Mapping):
        output = c.get("Output", c.get("output"))
        shared = c.get("Shared with provider", c.get("shared_with"))
    elif isinstance(c, tuple | list):
        output, shared = c[0], (c[1] if len(c) > 1 else None)
    else:
        output, shared = c.output, getattr(c, "shared_with", None)
    shared = None if shared is None or (isinstance(shared, float) and shared != shared) else str(shared).strip()
    return str(output or "").strip(), shared or None


def shared_cap(claims_to_date: Iterable) -> SharedCap:
    """K703 (App 2 §2.3): shared job and apprenticeship outputs (2a + 2b with ``Shared with
    provider`` filled) over 20% of the contract's 2a + 2b claims to date. Exactly 20% is quiet.

    ``claims_to_date``: the contract's claims so far, each a mapping with ``Output`` and ``Shared
    with provider`` (template headers, or ``output``/``shared_with``), an ``(output, shared_with)``
    pair, or an object with those attributes. Other outputs are ignored.
    """
    total = shared = 0
    for c in claims_to_date or ():
        output, with_ = _claim_fields(c)
        if output in JOB_STARTS:
            total += 1
            shared += with_ is not None
    if total == 0:
        return SharedCap(0, 0, None, False, "no job or apprenticeship starts (2a, 2b) claimed to date")
    p = money.percent(shared, total)
    over = money.over_share(shared, total)
    msg = (f"{shared} of {total} job and apprenticeship starts (2a + 2b) to date are shared with another "
           f"provider = {pct(p)}; " + ("more than the 20% of a provider's caseload allowed (App 2 §2.3)"
                                        if over else "within the 20% allowed (App 2 §2.3)"))
    return SharedCap(total, shared, money.as_decimal(p), over, msg)


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
    item: str                      # the budget item, or "Quarter total"
    category: str | None
    budgeted: Decimal
    actual: Decimal
    variance: Decimal              # actual − budgeted, to the penny (App 2 §3.2)
    percent: Decimal | None        # variance ÷ budgeted × 100, signed; None when the budget is 0
    over: bool                     # more than 10% over or under (exactly 10% is not)
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
        return SpendLine(str(get("Budget item", get("item", "")) or ""),
                         penny(get("Budgeted amount", get("budgeted")) or 0),
                         penny(get("Actual spend", get("actual")) or 0),
                         get("Category", get("category")), get("Comment", get("comment")))
    return SpendLine(str(x.item), penny(x.budgeted or 0), penny(x.actual or 0),
                     getattr(x, "category", None), getattr(x, "comment", None))


def _spend_variance(item, category, budgeted, actual, comment) -> SpendVariance:
    budgeted, actual = penny(budgeted), penny(actual)
    var = money.variance(actual, budgeted, SPEND_LIMIT)   # the same decision as N502's
    v = actual - budgeted
    size = ("against a budget of £0.00" if v else "on a budget of £0.00") if var.percent is None else var.words("budget")
    msg = (f"{item}: actual {gbp(actual)} against budgeted {gbp(budgeted)}, variance {gbp(v)} ({size}); "
           + ("more than 10% (App 2 §1.3)" if var.exceeds else "within 10%"))
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
    total = _spend_variance("Quarter total", None, sum((s.budgeted for s in items), Decimal(0)),
                            sum((s.actual for s in items), Decimal(0)), None)
    return ExpenditureVariances(per_line, total)


def q4_balancing_payment(total_eligible_to_date, funding_paid_to_date) -> Decimal:
    """The fourth quarter's payment (App 2 §3.1c): total eligible expenditure to date − total
    funding paid to date, to the penny (``money.q4_balancing``). Negative: the council has paid more than
    the eligible spend and the difference is due back from the provider."""
    return money.q4_balancing(total_eligible_to_date, funding_paid_to_date)


def q4_balancing_words(total_eligible_to_date, funding_paid_to_date) -> str:
    amount = q4_balancing_payment(total_eligible_to_date, funding_paid_to_date)
    tail = ("payable to the provider" if amount > 0 else "due back from the provider" if amount < 0
            else "nothing to pay")
    return (f"Q4 payment (App 2 §3.1c): total eligible expenditure to date {gbp(total_eligible_to_date)} − "
            f"funding paid to date {gbp(funding_paid_to_date)} = {gbp(amount)}, {tail}")


# --- to date against profile -----------------------------------------------------------------------

@dataclass(frozen=True)
class CumulativeLine:
    output: str
    quarters: tuple[Quarter, ...]   # contract quarters 1 .. this one
    target_to_date: Decimal | int
    actual_to_date: int
    percent: Decimal | None
    missing: tuple[Quarter, ...]    # quarters with no return recorded (counted as 0)
    message: str


def cumulative(contract, quarter, actuals: Mapping, outputs: Iterable[str] | None = None) -> list[CumulativeLine]:
    """Contract to date against profile to date (RULES.md "Calculations": cumulative ÷ profile).

    From the quarter holding the contract start to ``quarter``: the sum of the quarterly targets
    (profile, else annual ÷ 4, per quarter) and of the actuals. ``outputs`` defaults to the core
    outputs then every other output with a register target. Quarters with no return count 0 and
    are listed in ``missing``.
    """
    q = _quarter(quarter)
    acts = _actuals(actuals)
    start = Quarter.containing(contract.start)
    quarters, cur = [], start
    while cur <= q:
        quarters.append(cur)
        cur = cur.next()
    if outputs is None:
        core = list(core_outputs(contract.lot))
        outputs = core + sorted((o for o in (contract.targets or {}) if o not in core), key=_output_order)
    lines = []
    for output in outputs:
        targets = [quarterly_target(contract, output, x) for x in quarters]
        if not quarters or all(t is None for t in targets):
            continue
        t_sum = sum((Decimal(str(t)) for t in targets if t is not None), Decimal(0))
        a_sum = sum(_actual(acts.get(x), output) or 0 for x in quarters)
        missing = tuple(x for x in quarters if x not in acts)
        p = _ratio_percent(a_sum, t_sum)
        t_out = int(t_sum) if t_sum == t_sum.to_integral_value() else t_sum.normalize()
        msg = (f"{contract.contract_id} output {output}, {quarters[0]} to {q} ({len(quarters)} quarter"
               f"{'' if len(quarters) == 1 else 's'}): {a_sum} achieved against {num(t_out)} profiled to date = "
               f"{pct(p)}" + (f"; no return recorded for {', '.join(map(str, missing))} (counted 0)" if missing else ""))
        lines.append(CumulativeLine(output, tuple(quarters), t_out, a_sum, money.as_decimal(p), missing, msg))
    return lines


# --- K704, K705: the register ----------------------------------------------------------------------

@dataclass(frozen=True)
class RegisterWarning:
    code: str                      # "K704" or "K705"
    contract_ids: tuple[str, ...]
    provider: str
    cell: str | None               # the register cell(s), e.g. "Targets!C12 + Targets!C13"
    message: str
    value: object = None


def framework_minimum(refdata, lot, output: str, settings) -> int | None:
    """Table 3's minimum annual target for ``output`` of ``lot``; output 2 has two figures in the
    (garbled) source and ``settings["framework_minimum"]`` (lower | higher) picks one."""
    row = refdata.lots.get(str(lot).strip()) or refdata.lots.get(lot_number(lot))
    if row is None:
        return None
    if output == COMBINED:
        which = (settings or {}).get("framework_minimum", "lower")
        return row["output_2_minimum_high" if which == "higher" else "output_2_minimum_low"]
    return row.get(f"output_{output}_minimum")


def lot_maximum(refdata, lot):
    """Table 1's maximum annual value of ``lot`` (a sub-lot, else its lot); None when unknown."""
    row = refdata.lots.get(str(lot).strip()) or refdata.lots.get(lot_number(lot))
    return None if row is None else row.get("max_annual_value")


def _where(c) -> str:
    return "the contract register" if getattr(c, "source", "register") == "register" else "the Contract sheet"


def _target_cell(c, output: str) -> str | None:
    t = c.targets or {}
    if output in t:
        return t[output].cell
    if output == COMBINED:
        cells = [t[o].cell for o in JOB_STARTS if o in t and t[o].cell]
        return " + ".join(cells) or None
    return None


def _provider_key(name) -> str:
    return re.sub(r"\s+", " ", str(name or "")).strip().casefold()


def register_warnings(register, refdata, settings) -> list[RegisterWarning]:
    """K704 and K705 over the contract register (a ``Register``, or a mapping/list of contracts).

    K704 (§4.2, Table 3): a core output's annual target (2 = 2a + 2b, and 4, for lots 1–8; 1 and 4
    for lot 9) below the lot's framework minimum; output 2's minimum is the lower or higher
    Table 3 figure per ``settings["framework_minimum"]``. Equal to the minimum is fine; a missing
    core target is below it.
    K705 (§2.3): a supplier (provider names matched ignoring case and spacing) holding more than 3
    contracts whose terms overlap on some day, or holding contracts on more than 5 lots (sub-lots
    1a–1c count as lot 1).
    """
    contracts = getattr(register, "contracts", register)
    contracts = list(contracts.values()) if isinstance(contracts, Mapping) else list(contracts or ())
    which = (settings or {}).get("framework_minimum", "lower")
    out: list[RegisterWarning] = []
    for c in contracts:
        for output in core_outputs(c.lot):
            minimum = framework_minimum(refdata, c.lot, output, settings)
            if minimum is None:
                continue
            target = annual_target(c, output)
            cell = _target_cell(c, output)
            place = cell or f"{_where(c)}, Targets, {c.contract_id} output {output}"
            setting = (f" (setting framework_minimum = {which}, §4 Table 3 gives two figures for lot "
                       f"{lot_number(c.lot)})" if output == COMBINED else "")
            if target is None:
                out.append(RegisterWarning("K704", (c.contract_id,), c.provider, cell,
                                           f"{place}: contract {c.contract_id} (lot {c.lot}) has no annual target for "
                                           f"core output {output}; the framework minimum is {minimum}{setting}"))
            elif target < minimum:
                what = _annual_words(c, output)
                out.append(RegisterWarning("K704", (c.contract_id,), c.provider, cell,
                                           f"{place}: contract {c.contract_id} (lot {c.lot}) annual target for output "
                                           f"{output} is {what}, below the lot's framework minimum of {minimum}"
                                           f"{setting}", target))
    for c in contracts:
        maximum = lot_maximum(refdata, c.lot)
        if maximum is not None and c.annual_value is not None and money.exact(c.annual_value) > money.exact(maximum):
            cell = getattr(c, "cells", {}).get("Annual value") if getattr(c, "cells", None) else None
            out.append(RegisterWarning("K706", (c.contract_id,), c.provider, cell,
                                       f"{cell or 'Contracts'}: contract {c.contract_id} (lot {c.lot}) has an annual "
                                       f"value of {gbp(c.annual_value)}, over the lot's maximum annual value of "
                                       f"{gbp(maximum)} (§2 Table 1)", c.annual_value))
    by_provider: dict[str, list] = {}
    for c in contracts:
        by_provider.setdefault(_provider_key(c.provider), []).append(c)
    for group in by_provider.values():
        name = group[0].provider
        cells = [c.cells.get("Provider") for c in group if getattr(c, "cells", None) and c.cells.get("Provider")]
        cell = ", ".join(cells) or None
        # most contracts held at once: sweep the start and end dates (a contract ending on a day and
        # another starting that day are both held that day)
        best, best_day, best_ids = 0, None, ()
        for c in group:
            if c.start is None:
                continue
            day = c.start
            held = [d for d in group if d.start is not None and d.start <= day and (d.end is None or d.end >= day)]
            if len(held) > best:
                best, best_day, best_ids = len(held), day, tuple(sorted(d.contract_id for d in held))
        if best > MAX_CONTRACTS_AT_ONCE:
            out.append(RegisterWarning("K705", best_ids, name, cell,
                                       f"{cell or 'Contracts'}: {name} holds {best} contracts at once on "
                                       f"{uk_date(best_day)} ({', '.join(best_ids)}); a supplier can hold at most "
                                       f"{MAX_CONTRACTS_AT_ONCE} contracts at any one time (§2.3)", best))
        lots = sorted({lot_number(c.lot) for c in group}, key=lambda x: (len(x), x))
        if len(lots) > MAX_LOTS:
            ids = tuple(sorted(c.contract_id for c in group))
            out.append(RegisterWarning("K705", ids, name, cell,
                                       f"{cell or 'Contracts'}: {name} has contracts on {len(lots)} lots "
                                       f"({', '.join(lots)}); a supplier can be appointed to at most {MAX_LOTS} lots "
                                       f"(§2.3)", len(lots)))
    return out


# --- remedial action plan: next review date --------------------------------------------------------

def next_review_date(quarter, refdata) -> date | None:
    """The next quarter's reporting deadline (App 2 §1.2): the date a remedial action plan for
    ``quarter`` is next reviewed. None when the calendar does not reach that far."""
    d = refdata.deadlines.get(str(_quarter(quarter).next()))
    return d.reporting if d else None


__all__ = [
    "CreditLine", "CumulativeLine", "ExpenditureVariances", "OutputVariance", "RegisterWarning", "SharedCap",
    "SpendLine", "SpendVariance", "annual_target", "assess", "contract_quarter", "core_outputs", "credit_value",
    "credit_amount", "credit_value_words", "cumulative", "expenditure_variance", "framework_minimum", "gbp", "next_review_date",
    "output_variances", "penny", "pct", "q4_balancing_payment", "q4_balancing_words", "register_warnings",
    "shared_cap",
]
