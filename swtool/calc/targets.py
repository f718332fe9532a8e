"""Quarterly targets and actuals: what a contract should have achieved, and what it did (RULES.md, "Calculations").

Pure functions, no I/O: the provider-side checks (N501) and the council's PMO side (K701, K702)
use the same ones, so a provider and the PMO always get the same numbers. Only the standard
library, ``swtool.model`` and ``swtool.calc.money`` are imported; ``claim_counts`` looks at a pandas
frame it is given.

Quarters are the financial-year quarters of the return's cover (Q1 = April to June), and the
register's ``Q1 profile`` … ``Q4 profile`` columns are read in the same sense. A contract quarter
counts from the quarter holding the contract's start (``contract_quarter``); ``cumulative`` sets
the actuals to date against the profile to date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from swtool.calc import money
from swtool.calc.money import num, pct
from swtool.model.outputs import COMBINED, JOB_STARTS, core_outputs, output_order
from swtool.model.quarter import Quarter
from swtool.model.words import plural


def _quarter_number(quarter) -> int:
    """1–4 from a Quarter, an int or text such as ``Q2``."""
    n = getattr(quarter, "number", quarter)
    if isinstance(n, str):
        n = n.strip().upper().removeprefix("Q")
    n = int(n)
    if not 1 <= n <= 4:
        raise ValueError(f"quarter {quarter!r} is not 1 to 4")
    return n


def _exact(value: Decimal) -> Decimal | int:
    """An int when the value is whole, else the Decimal (5.25 stays 5.25)."""
    return int(value) if value == value.to_integral_value() else value


def _one_target(target, q: int) -> Decimal | None:
    if target is None:
        return None
    profile = target.profile[q - 1] if target.profile and len(target.profile) >= q else None
    if profile is not None:
        return Decimal(profile)
    if target.annual is None:
        return None
    return Decimal(target.annual) / 4


def quarterly_target(contract, output: str, quarter) -> Decimal | int | None:
    """The quarterly target of ``output`` for ``quarter`` (a Quarter, 1–4 or ``"Q2"``).

    Formula: the register's profile for that quarter when it gives one, else annual target ÷ 4,
    fractions kept (annual 21 → 21 ÷ 4 = 5.25). Output ``"2"`` is 2a + 2b: the register's combined
    ``2`` row when it has one, else the quarterly target of 2a plus that of 2b (each by the same
    formula; a missing one counts 0). None when the register has no target for the output (nor,
    for ``"2"``, for 2a or 2b). Returns an int when the target is whole, else a Decimal.
    """
    q = _quarter_number(quarter)
    targets = getattr(contract, "targets", None) or {}
    output = str(output).strip()
    if output in targets:
        value = _one_target(targets[output], q)
        return None if value is None else _exact(value)
    if output == COMBINED:
        parts = [_one_target(targets.get(o), q) for o in JOB_STARTS]
        if all(p is None for p in parts):
            return None
        return _exact(sum((p for p in parts if p is not None), Decimal(0)))
    return None


def target_basis(contract, output: str, quarter) -> str | None:
    """How ``quarterly_target`` got its number, in words for a message: ``Q2 profile 12``,
    ``annual 21 ÷ 4``, or for output 2 from 2a and 2b ``2a annual 36 ÷ 4 + 2b Q2 profile 1``."""
    q = _quarter_number(quarter)
    targets = getattr(contract, "targets", None) or {}
    output = str(output).strip()

    def words(t) -> str | None:
        if t is None:
            return None
        if t.profile and len(t.profile) >= q and t.profile[q - 1] is not None:
            return f"Q{q} profile {t.profile[q - 1]}"
        return None if t.annual is None else f"annual {t.annual} ÷ 4"

    if output in targets:
        return words(targets[output])
    if output == COMBINED:
        parts = [f"{o} {words(targets[o])}" for o in JOB_STARTS if o in targets and words(targets[o])]
        return " + ".join(parts) or None
    return None


def claim_counts(claims_df, registrations_df=None) -> dict[str, int]:
    """Number of claims per output on a Claims frame: ``{"2a": 3, "4": 1, …}``.

    Every row with an output code counts once, shared claims included (App 3 item 1: "Actual
    (including shared outputs)"); rows whose output is blank are not counted. ``"2"`` is always
    present and is count(2a) + count(2b). When a Registrations frame is given, output ``"1"`` is
    its number of rows (new registrations and re-registrations alike).
    """
    counts: dict[str, int] = {}
    if claims_df is not None and "Output" in claims_df and len(claims_df):
        for output, n in claims_df["Output"].dropna().astype(str).str.strip().value_counts().items():
            if output:
                counts[output] = int(n)
    counts[COMBINED] = sum(counts.get(o, 0) for o in JOB_STARTS)
    if registrations_df is not None:
        counts["1"] = len(registrations_df)
    return counts


# --- quarters and actuals as the PMO side keeps them -----------------------------------------------


def as_quarter(q) -> Quarter:
    """A Quarter from a Quarter or its text (``"2026/27-Q2"``)."""
    return q if isinstance(q, Quarter) else Quarter.parse(str(q))


def actuals_by_quarter(actuals: Mapping | None) -> dict[Quarter, dict[str, int]]:
    """Claims counted per quarter, keyed by Quarter (``"2026/27-Q2"`` accepted too)."""
    return {as_quarter(k): (v or {}) for k, v in (actuals or {}).items()}


def actual_count(counts: Mapping[str, int] | None, output: str) -> int | None:
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


def contract_quarter(contract, quarter) -> int:
    """The quarter's number in the contract's delivery: 1 is the (financial-year) quarter holding the
    contract's start date, 2 the next, and so on across years. 0 or less: before the contract."""
    q = as_quarter(quarter)
    s = Quarter.containing(contract.start)
    return (q.year * 4 + q.number) - (s.year * 4 + s.number) + 1


# --- annual targets --------------------------------------------------------------------------------


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


def annual_target_words(contract, output: str) -> str:
    """The annual target as a sentence shows it: ``10``, or for output 2 from 2a and 2b ``10 (2a 6 + 2b 4)``."""
    targets = getattr(contract, "targets", None) or {}
    total = annual_target(contract, output)
    if output == COMBINED and output not in targets:
        parts = [f"{o} {targets[o].annual}" for o in JOB_STARTS if o in targets and targets[o].annual is not None]
        if len(parts) > 1:
            return f"{total} ({' + '.join(parts)})"
    return str(total)


# --- to date against profile -----------------------------------------------------------------------


@dataclass(frozen=True)
class CumulativeLine:
    output: str
    quarters: tuple[Quarter, ...]  # contract quarters 1 .. this one
    target_to_date: Decimal | int
    actual_to_date: int
    percent: Decimal | None
    missing: tuple[Quarter, ...]  # quarters with no return recorded (counted as 0)
    message: str


def cumulative(contract, quarter, actuals: Mapping, outputs: Iterable[str] | None = None) -> list[CumulativeLine]:
    """Contract to date against profile to date (RULES.md "Calculations": cumulative ÷ profile).

    From the quarter holding the contract start to ``quarter``: the sum of the quarterly targets
    (profile, else annual ÷ 4, per quarter) and of the actuals. ``outputs`` defaults to the core
    outputs then every other output with a register target. Quarters with no return count 0 and
    are listed in ``missing``.
    """
    q = as_quarter(quarter)
    acts = actuals_by_quarter(actuals)
    start = Quarter.containing(contract.start)
    quarters, cur = [], start
    while cur <= q:
        quarters.append(cur)
        cur = cur.next()
    if outputs is None:
        core = list(core_outputs(contract.lot))
        outputs = core + sorted((o for o in (contract.targets or {}) if o not in core), key=output_order)
    lines = []
    for output in outputs:
        targets = [quarterly_target(contract, output, x) for x in quarters]
        if not quarters or all(t is None for t in targets):
            continue
        t_sum = sum((Decimal(str(t)) for t in targets if t is not None), Decimal(0))
        a_sum = sum(actual_count(acts.get(x), output) or 0 for x in quarters)
        missing = tuple(x for x in quarters if x not in acts)
        p = money.percent(a_sum, t_sum)
        t_out = int(t_sum) if t_sum == t_sum.to_integral_value() else t_sum.normalize()
        msg = (
            f"{contract.contract_id} output {output}, {quarters[0]} to {q} ({plural(len(quarters), 'quarter')}): "
            f"{a_sum} achieved against {num(t_out)} profiled to date = {pct(p)}"
            + (f"; no return recorded for {', '.join(map(str, missing))} (counted 0)" if missing else "")
        )
        lines.append(CumulativeLine(output, tuple(quarters), t_out, a_sum, money.as_decimal(p), missing, msg))
    return lines
