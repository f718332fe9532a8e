"""Service credits (K702): an under-performing core output, what it costs, and the remedial action plan.

Pure functions, no I/O. The PMO side (the ledger and its ``status``, ``credits`` and ``rap``
commands) calls them; every result carries a sentence that shows each input, so a PMO can check any
figure by hand (RULES.md, "Calculations").

Money is worked out and rounded by ``swtool.calc.money`` only: exact inputs, half-up to the penny once
per line (``£1,519.047…`` is ``£1,519.05``; ``£0.005`` is ``£0.01``); a credit amount is never the
rounded credit value times the credits. Targets keep their fractions (annual 21 ÷ 4 = 5.25, from
``swtool.calc.targets.quarterly_target``) and so do service credits: a shortfall of 5.25 − 3 is
2.25 credits, so that a year's credits add up to the year's shortfall against the annual target on
which the credit value is based (whole credits, rounded either way, would not).

K702 ``assess``: from contract quarter 2, a core output (2 and 4 for lots 1–8; 1 and 4 for lot 9)
at or below 70% of its quarterly target: service credit liability and a remedial action plan, next
reviewed on the following quarter's reporting deadline (``next_review_date``). The other K rules
live beside it: K701 and spend variance in ``swtool.calc.variances``, K703 in
``swtool.calc.shared``, K704–K706 in ``swtool.calc.register_limits``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from swtool.calc import money
from swtool.calc.money import gbp, num, pct, penny
from swtool.calc.targets import (
    actual_count,
    actuals_by_quarter,
    annual_target,
    annual_target_words,
    as_quarter,
    contract_quarter,
    quarterly_target,
    target_basis,
)
from swtool.model.outputs import OUTPUT_NAMES, core_outputs
from swtool.model.quarter import Quarter, uk_date

# --- credit value ----------------------------------------------------------------------------------


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
    return (
        f"(annual value {gbp(contract.annual_value)} × 2) × 10% ÷ annual target "
        f"{annual_target_words(contract, output)} = {gbp(credit_value(contract, output))}"
    )


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
    run: int  # consecutive quarters at or below 70% ending with this one (from contract quarter 2)
    credit_quarters: int  # the setting used
    credit_value: Decimal | None
    shortfall: Decimal  # target − actual when under-performing, else 0
    credits: Decimal  # shortfall when due, else 0
    amount: Decimal  # credits × credit_value, to the penny
    due: bool
    reason: str

    @property
    def missed(self) -> bool:
        """Below the quarterly target at all (a key issue for a remedial action plan)."""
        return self.actual is not None and self.target is not None and Decimal(self.actual) < Decimal(str(self.target))


def _under(contract, q: Quarter, output: str, acts: dict) -> bool | None:
    """Whether ``output`` was at or below 70% in ``q``; None when that cannot be said."""
    target = quarterly_target(contract, output, q)
    actual = actual_count(acts.get(q), output)
    if target is None or actual is None or Decimal(str(target)) == 0:
        return None
    return money.at_or_below(actual, target)


def _run(contract, q: Quarter, output: str, acts: dict) -> tuple[int, Quarter | None, str | None]:
    """Consecutive quarters at or below 70% ending with ``q``, counting only contract quarters 2+;
    also the quarter that broke the run and why (for the sentence)."""
    n, cur = 0, q
    while True:
        if contract_quarter(contract, cur) < 2:
            return (
                n,
                cur,
                "contract quarter 1 (exempt)" if contract_quarter(contract, cur) == 1 else "before the contract",
            )
        u = _under(contract, cur, output, acts)
        if u is None:
            if cur not in acts:
                return n, cur, "no return recorded"
            if actual_count(acts[cur], output) is None:
                return n, cur, f"no count of output {output} recorded"
            return n, cur, "no target to measure against"
        if not u:
            t = quarterly_target(contract, output, cur)
            return n, cur, f"{pct(money.percent(actual_count(acts[cur], output), t))}, above 70%"
        n += 1
        cur = cur.previous()


def assess(contract, quarter, actuals: Mapping[Quarter, Mapping[str, int]], settings) -> list[CreditLine]:
    """Service credits for each core output of ``contract`` in ``quarter`` (K702; §7.7–7.8, App 2 §4.1).

    ``actuals``: claims counted per quarter, ``{Quarter: {"2a": 3, "2b": 1, "4": 2, "1": 30}}``
    (``swtool.calc.targets.claim_counts``); output 2 is 2a + 2b unless a ``"2"`` count is given. A quarter
    present with an output absent counts 0, except output 1 (lot 9), which must be counted (absent:
    not assessed); a quarter absent means no return recorded.

    For each core output: the quarterly target (``swtool.calc.targets.quarterly_target``), the actual, the
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
    q = as_quarter(quarter)
    acts = actuals_by_quarter(actuals)
    need = int((settings or {}).get("credit_quarters", 1))
    setting_words = (
        "credit_quarters = 1 (§7.8: credits for a quarter at or below 70%)"
        if need == 1
        else "credit_quarters = 2 (App 2 §4.1: two consecutive quarters at or below 70%)"
    )
    cq = contract_quarter(contract, q)
    lines = []
    for output in core_outputs(contract.lot):
        target = quarterly_target(contract, output, q)
        basis = target_basis(contract, output, q)
        counts = acts.get(q)
        actual = actual_count(counts, output)
        percent = money.percent(actual, target)
        try:
            value = credit_value(contract, output)
            value_words = credit_value_words(contract, output)
        except ValueError as e:
            value, value_words = None, str(e)
        head = (
            f"{q} (contract quarter {cq}), {contract.contract_id} output {output} "
            f"({OUTPUT_NAMES.get(output, 'output ' + output)})"
        )
        zero = Decimal(0)
        under, run, due, shortfall, credits = False, 0, False, zero, zero
        if counts is None:
            reason = f"{head}: no return recorded for {q}, so nothing to assess."
        elif actual is None:
            reason = f"{head}: the counts recorded for {q} have no count of output {output}, so nothing to assess."
        elif target is None:
            reason = (
                f"{head}: {actual} achieved, but the register has no target for output {output}: nothing to assess."
            )
        elif Decimal(str(target)) == 0:
            reason = f"{head}: {actual} achieved against a quarterly target of 0 ({basis}): no percentage, no credits."
        else:
            measured = (
                f"{actual} achieved against a quarterly target of {num(target)} ({basis}) = "
                f"{actual} ÷ {num(target)} = {pct(percent)}"
            )
            if cq < 1:
                reason = (
                    f"{head}: {measured}; {q} is before the contract started ({uk_date(contract.start)}): no credits."
                )
            elif cq == 1:
                reason = (
                    f"{head}: {measured}; contract quarter 1 (the contract started {uk_date(contract.start)}) "
                    f"is exempt from service credits (§7.7: from the second quarter of delivery)."
                )
            elif not money.at_or_below(actual, target):
                reason = f"{head}: {measured}, above 70%: no service credits."
            else:
                under = True
                shortfall = Decimal(str(target)) - Decimal(actual)
                run, broke, why = _run(contract, q, output, acts)
                due = run >= need and value is not None
                if run >= need and value is None:
                    reason = (
                        f"{head}: {measured}, at or below 70%; shortfall {num(target)} − {actual} = "
                        f"{num(shortfall)}, but no credit value: {value_words}."
                    )
                elif due and value is not None:
                    credits = shortfall
                    amount_ = credit_amount(contract, output, credits)
                    streak = ""
                    if need == 2:
                        prev = q.previous()
                        pt = quarterly_target(contract, output, prev)
                        pa = actual_count(acts.get(prev), output)
                        streak = f" and {prev} was {pa} of {num(pt)} = {pct(money.percent(pa, pt))}"
                    reason = (
                        f"{head}: {measured}, at or below 70%{streak}; setting {setting_words}. "
                        f"Shortfall {num(target)} − {actual} = {num(credits)} credit"
                        f"{'' if credits == 1 else 's'} × (annual value {gbp(contract.annual_value)} × 2) × 10% ÷ "
                        f"annual target {annual_target_words(contract, output)} = {gbp(amount_)} "
                        f"({gbp(value)} per credit, shown rounded). The PMO decides to apply or waive."
                    )
                else:
                    reason = (
                        f"{head}: {measured}, at or below 70%, but setting {setting_words} needs "
                        f"{need} consecutive quarters and the run is {run} ({broke}: {why}): "
                        f"no service credits this quarter; a remedial action plan may be requested."
                    )
        amount = credit_amount(contract, output, credits) if (due and value is not None) else penny(0)
        lines.append(
            CreditLine(
                contract.contract_id,
                q,
                cq,
                output,
                target,
                basis,
                actual,
                money.as_decimal(percent),
                under,
                run,
                need,
                value,
                shortfall,
                credits,
                amount,
                due,
                reason,
            )
        )
    return lines


# --- remedial action plan: next review date --------------------------------------------------------


def next_review_date(quarter, refdata) -> date | None:
    """The next quarter's reporting deadline (App 2 §1.2): the date a remedial action plan for
    ``quarter`` is next reviewed. None when the calendar does not reach that far."""
    d = refdata.deadlines.get(str(as_quarter(quarter).next()))
    return d.reporting if d else None
