"""Contract performance arithmetic: quarterly targets, actuals and variances (RULES.md, "Calculations").

Pure functions, no I/O: the provider-side checks (N501) and the council's PMO side (K701, K702)
use the same ones, so a provider and the PMO always get the same numbers. Only the standard
library is imported at module level; ``claim_counts`` looks at a pandas frame it is given.

Quarters are the financial-year quarters of the return's cover (Q1 = April to June), and the
register's ``Q1 profile`` … ``Q4 profile`` columns are read in the same sense.
"""

from __future__ import annotations

from decimal import Decimal

JOB_STARTS = ("2a", "2b")  # output 2 = 2a (job starts) + 2b (apprenticeship starts)
COMBINED = "2"


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
        counts["1"] = int(len(registrations_df))
    return counts
