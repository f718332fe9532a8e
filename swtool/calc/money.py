"""Money and variance: the one place swtool rounds a pound figure or decides a variance.

RULES.md, "Calculations": money is exact. Every figure is computed from its inputs as a ``Fraction``
(no intermediate rounding: credits × annual value × 2 × 10% ÷ annual target), rounded half-up to the
penny once, per line, by ``penny``; a total adds the rounded lines (``total``). The credit value shown
per credit is for reading only and never multiplied.

Variance (App 2 §1.3) is decided here for both sides: the provider's N501/N502 and the PMO's
K701 and spend variance call ``variance``; service credits call ``at_or_below``; K703 ``over_share``.
Each comparison is exact (cross-multiplied), so "exactly 20%" is never over 20%.

Formatting is one set of functions too: ``gbp`` (£1,540.00, −£110.00 shown as ``-£110.00``),
``pounds_text`` (``"2310.00"``, the JSON and CSV form), ``pct`` and ``signed_pct``; for counts and
targets ``num`` (``5.25`` in a sentence) and ``json_number`` (``5.25`` in JSON or a cell).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from math import floor

PENNY = Decimal("0.01")
CREDIT_SHARE = Fraction(1, 10)  # 10% of the two-year contract value (§7.8, App 2 §4.1)
CREDIT_THRESHOLD = 70  # per cent of quarterly target: at or below is under-performance (§7.7–7.8)
SPEND_LIMIT = 10  # per cent of the budgeted amount (App 2 §1.3)
SHARED_LIMIT = 20  # per cent of a provider's 2a + 2b claims (App 2 §2.3)

Number = int | str | Decimal | Fraction | float


def exact(value: Number) -> Fraction:
    """``value`` as an exact Fraction. A float goes through ``str`` (0.1 is one tenth, as typed), text
    may carry ``£`` and thousands commas. ValueError for anything that is not a finite number."""
    if isinstance(value, Fraction):
        return value
    if hasattr(value, "item") and not isinstance(value, (str, Decimal)):
        value = value.item()  # a numpy scalar from a pandas column: its Python value
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        value = repr(float(value))
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("£", "")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not an amount") from None
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value!r} is not an amount")
        return Fraction(value)
    raise ValueError(f"{value!r} is not an amount")


def penny(value: Number) -> Decimal:
    """Money to the penny, half-up (ties away from zero): £1,519.045 → £1,519.05, −£0.005 → −£0.01.

    The only rounding of money in swtool: call it once per line, on the exact figure."""
    x = exact(value)
    pence = floor(abs(x) * 100 + Fraction(1, 2))
    if x < 0:
        pence = -pence
    return (Decimal(pence) / 100).quantize(PENNY)


def total(lines) -> Decimal:
    """The sum of lines already rounded to the penny (a total adds the rounded lines)."""
    return sum((penny(x) for x in lines), Decimal("0.00")).quantize(PENNY)


def gbp(value: Number) -> str:
    """``£1,540.00``; ``-£110.00``; ``£0.00``. Rounds half-up for showing if given more than pence."""
    v = penny(value)
    return f"{'-' if v < 0 else ''}£{abs(v):,.2f}"


def pounds_text(value: Number | None) -> str | None:
    """Pounds and pence as text for JSON and CSV: ``"2310.00"``, ``"-110.50"``; None stays None."""
    return None if value is None else f"{penny(value):f}"


# --- counts and targets ----------------------------------------------------------------------------


def num(x: Number | None) -> str:
    """A count or target as a PMO writes it: ``10``, ``5.25``, ``10.5``; a whole figure without a
    decimal point (``Decimal("10.00")`` and ``40.0`` are ``10`` and ``40``); ``none`` for None."""
    if x is None:
        return "none"
    if isinstance(x, Decimal):
        return f"{x.normalize():f}" if x != x.to_integral_value() else str(int(x))
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def json_number(x: Number | None) -> int | float | None:
    """A count, target or percentage as a JSON number or a cell holds it: an int when whole (5), else a
    float (5.25); an exact Fraction is first taken half-up to 0.01 (``as_decimal``). None stays None."""
    if x is None:
        return None
    if isinstance(x, Fraction):
        x = as_decimal(x)
    d = x if isinstance(x, Decimal) else Decimal(str(x))
    return int(d) if d == d.to_integral_value() else float(d)


# --- percentages ----------------------------------------------------------------------------------

_THRESHOLDS = (Decimal(70), Decimal(20), Decimal(10), Decimal(30))


def percent(part: Number | None, whole: Number | None) -> Fraction | None:
    """``part ÷ whole × 100``, exact; None when ``whole`` is 0 or either is None."""
    if part is None or whole is None:
        return None
    w = exact(whole)
    if w == 0:
        return None
    return exact(part) * 100 / w


def as_decimal(x: Number | None, places: str = "0.01") -> Decimal | None:
    """A percentage or count kept for showing, half-up to ``places`` (not money: money is ``penny``)."""
    if x is None:
        return None
    f = exact(x)
    q = Decimal(places)
    scale = Fraction(1) / Fraction(q)
    n = floor(abs(f) * scale + Fraction(1, 2))
    d = (Decimal(n) * q).quantize(q)
    return -d if f < 0 else d


def pct(p: Number | None) -> str:
    """A percentage to one decimal, never rounded onto a threshold it is not on: ``70.1%``, ``70.01%``
    (not ``70%``) for 70.01, ``70%`` only for exactly 70. ``n/a`` for None."""
    if p is None:
        return "n/a"
    exact_p = exact(p)
    for places in ("0.1", "0.01", "0.0001"):
        q = as_decimal(exact_p, places)
        if q not in _THRESHOLDS or Fraction(q) == exact_p:
            break
    text = f"{q:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return ("0" if text in ("-0", "") else text) + "%"


def signed_pct(p: Number | None) -> str:
    """``+25%``, ``-12.5%``, ``0%``; ``-`` for None."""
    if p is None:
        return "-"
    f = exact(p)
    return ("+" if f > 0 else "-" if f < 0 else "") + pct(abs(f))


# --- variance against profile or budget -----------------------------------------------------------


@dataclass(frozen=True)
class Variance:
    """``actual`` against ``expected`` (a quarterly target or a budgeted amount).

    ``difference`` = actual − expected; ``percent`` = difference ÷ expected × 100, signed (None for
    a zero expectation); ``exceeds``: strictly more than ``limit`` per cent either way (exactly the
    limit is within), or, against 0, any non-zero actual."""

    actual: Fraction
    expected: Fraction
    limit: int
    difference: Fraction
    percent: Fraction | None
    exceeds: bool

    @property
    def direction(self) -> str:
        return "over" if self.difference > 0 else "under" if self.difference < 0 else "on"

    def words(self, against: str = "target") -> str:
        """``25% over target``; ``over a target of 0``; ``on target``."""
        if self.percent is None:
            return f"{'over' if self.actual > 0 else 'under' if self.actual < 0 else 'on'} a {against} of 0"
        return f"{pct(abs(self.percent))} {self.direction} {against}"


def variance(actual: Number, expected: Number, limit: Number) -> Variance:
    """One variance decision for N501/K701 (outputs, 20% or 30%) and N502/spend (money, 10%)."""
    a, e, lim = exact(actual), exact(expected), exact(limit)
    diff = a - e
    if e == 0:
        return Variance(a, e, int(lim), diff, None, a != 0)
    return Variance(a, e, int(lim), diff, diff * 100 / e, abs(diff) * 100 > lim * abs(e))


def at_or_below(actual: Number, target: Number, threshold: Number = CREDIT_THRESHOLD) -> bool:
    """Exact: ``actual ÷ target ≤ threshold%`` (100 × actual ≤ threshold × target). Exactly 70% is at."""
    return exact(actual) * 100 <= exact(threshold) * exact(target)


def over_share(part: int, whole: int, limit: Number = SHARED_LIMIT) -> bool:
    """Exact: ``part ÷ whole`` strictly more than ``limit``% (K703: exactly 20% is within)."""
    return whole > 0 and exact(part) * 100 > exact(limit) * exact(whole)


# --- service credits --------------------------------------------------------------------------------


def credit_value(annual_value: Number, annual_target: Number) -> Decimal:
    """Pounds per service credit, for reading only (§7.8, App 2 §4.1):
    ``(annual value × 2) × 10% ÷ annual target``, to the penny. Never multiply this: use
    ``credit_amount``. ValueError for a zero target."""
    t = exact(annual_target)
    if t == 0:
        raise ValueError("an annual target of 0 gives no credit value")
    return penny(exact(annual_value) * 2 * CREDIT_SHARE / t)


def credit_amount(credits: Number, annual_value: Number, annual_target: Number) -> Decimal:
    """``credits × annual value × 2 × 10% ÷ annual target``, computed exactly and rounded once to the
    penny: 9 credits of a £150,000 contract with an annual target of 108 is £2,500.00 (not 9 ×
    £277.78 = £2,500.02)."""
    t = exact(annual_target)
    if t == 0:
        raise ValueError("an annual target of 0 gives no credit value")
    return penny(exact(credits) * exact(annual_value) * 2 * CREDIT_SHARE / t)


# --- payments ---------------------------------------------------------------------------------------


def q4_balancing(total_eligible_to_date: Number, funding_paid_to_date: Number) -> Decimal:
    """App 2 §3.1c: total eligible expenditure to date − funding paid to date, to the penny.
    Negative: the council has paid more than the eligible spend; the difference is due back."""
    return penny(exact(total_eligible_to_date) - exact(funding_paid_to_date))


def q4_balancing_words(total_eligible_to_date: Number, funding_paid_to_date: Number) -> str:
    """The Q4 payment as a sentence with its inputs, and who pays whom."""
    amount = q4_balancing(total_eligible_to_date, funding_paid_to_date)
    tail = "payable to the provider" if amount > 0 else "due back from the provider" if amount < 0 else "nothing to pay"
    return (
        f"Q4 payment (App 2 §3.1c): total eligible expenditure to date {gbp(total_eligible_to_date)} − "
        f"funding paid to date {gbp(funding_paid_to_date)} = {gbp(amount)}, {tail}"
    )


@dataclass(frozen=True)
class Invoice:
    """One contract's quarterly payment (App 2 §1.1, §3.1c; §7.7). All figures to the penny.

    ``invoice``: cash expenditure claimed − disallowed transactions, or in Q4 the balancing payment.
    ``net_payable``: invoice − service credits applied."""

    expenditure: Decimal
    disallowed: Decimal
    q4_balancing: Decimal | None
    invoice: Decimal
    credits_applied: Decimal
    net_payable: Decimal


def invoice(
    expenditure: Number, disallowed: Number, credits_applied: Number, q4_balancing_payment: Number | None = None
) -> Invoice:
    """The quarterly invoice from lines already worked out; each input is one rounded line."""
    exp, dis, cred = penny(expenditure), penny(disallowed), penny(credits_applied)
    q4 = None if q4_balancing_payment is None else penny(q4_balancing_payment)
    inv = q4 if q4 is not None else exp - dis
    return Invoice(exp, dis, q4, inv, cred, inv - cred)
