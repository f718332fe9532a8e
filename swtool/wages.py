"""Pay figures for the progression and placement rules: London Living Wage, CPI, the uplift threshold.

Pure functions over the reference data (``RefData.london_living_wage`` and ``RefData.cpi``, or any
object with those two attributes); standard library only, so they are cheap to import and to test.

Money is ``Decimal``. Reference figures are read through ``str`` (``14.8`` → ``Decimal("14.8")``), so no
binary-float error enters a threshold; a threshold is rounded to the penny once, at the end, half up
(``ROUND_HALF_UP``: £14.729 → £14.73, £14.725 → £14.73, £14.7249 → £14.72). Pay at or above the
rounded figure meets it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")
TEN_PER_CENT = Decimal("0.10")
SETTINGS = ("additive", "multiplicative")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def money(value) -> Decimal:
    """A pound amount as Decimal to the penny (half up); floats go through ``str`` first."""
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    return d.quantize(PENNY, rounding=ROUND_HALF_UP)


def pounds(value) -> str:
    """£1,234.50"""
    return f"£{money(value):,.2f}"


# --- London Living Wage ----------------------------------------------------------------------------

def _anniversary(d: date) -> date:
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year + 1, day=28)


def llw_on(refdata, day: date) -> tuple[Decimal, str, bool]:
    """The London Living Wage in force on ``day``: ``(rate, rate year, covered)``.

    A new rate is in force from its **implement-by date**, not its announcement: the Living Wage
    Foundation gives employers until then (about six months) to pay it, so an employer paying the
    previous rate before that date still pays the London Living Wage. (``RefData.london_living_wage``
    lists ``(implement-by date, rate, rate year)``.)

    ``covered`` is False when no figure in the file is known to cover the day: before the first
    rate's implement-by date (the oldest rate is returned), or a year or more after the newest one's,
    when the next rate is due and not in the file (the newest rate is returned).
    """
    rates = sorted(refdata.london_living_wage)
    if not rates:
        raise ValueError("the London Living Wage file has no rates")
    in_force = [r for r in rates if r[0] <= day]
    if not in_force:
        frm, rate, year = rates[0]
        return money(rate), year, False
    frm, rate, year = in_force[-1]
    covered = len(in_force) < len(rates) or day < _anniversary(frm)
    return money(rate), year, covered


# --- CPI -------------------------------------------------------------------------------------------

def _next_month(month: str) -> tuple[int, int]:
    y, m = int(month[:4]), int(month[5:7])
    return (y + 1, 1) if m == 12 else (y, m + 1)


def _month_key(y: int, m: int) -> str:
    return f"{y:04d}-{m:02d}"


def cpi_published(month: str) -> date:
    """The day month ``month``'s (``'2026-03'``) CPI figure counts as published.

    The CPI file has months, not release dates. ONS publishes month M's 12-month rate on a Wednesday
    in the second half of month M+1 (2025–26 releases fell between the 15th and the 25th: March 2026
    on Wednesday 22 April 2026, February 2026 on Wednesday 25 March 2026). The rule used here is
    **the first Wednesday on or after the 20th of month M+1**. It is never earlier than those known
    releases, so a figure is never treated as published before it was; when ONS publishes earlier
    (e.g. on the 15th), the previous month's figure is used for those few days.
    """
    y, m = _next_month(month)
    d = date(y, m, 20)
    return d + timedelta(days=(2 - d.weekday()) % 7)  # Wednesday is weekday 2


def month_label(month: str) -> str:
    """'2026-03' → 'Mar 2026'."""
    return f"{_MONTHS[int(month[5:7]) - 1]} {month[:4]}"


def cpi_for(refdata, day: date) -> tuple[Decimal, str, bool]:
    """The CPI 12-month rate (per cent) last published before ``day``: ``(rate, 'YYYY-MM', covered)``.

    "Before" is strict: a figure published on the day achieved is not yet the one to use. See
    ``cpi_published`` for when a month counts as published.

    ``covered`` is False when the month that should be used is not in the file: after the newest
    month (the newest figure is returned, and rule P309 asks for the file to be updated), before the
    oldest (the oldest is returned), or in a gap (the latest earlier month is returned).
    """
    months = sorted(refdata.cpi)
    if not months:
        raise ValueError("the CPI file has no months")
    # The month that should be used: last month's figure if published before the day, else the month before.
    y, m = (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)
    wanted = _month_key(y, m)
    if not cpi_published(wanted) < day:
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        wanted = _month_key(y, m)
    usable = [k for k in months if k <= wanted]
    chosen = usable[-1] if usable else months[0]
    return Decimal(str(refdata.cpi[chosen])), chosen, chosen == wanted


# --- the uplift ------------------------------------------------------------------------------------

def uplift_threshold(previous, cpi, setting: str = "additive") -> Decimal:
    """The pay a type A progression must reach: "inflation + 10%" on the previous hourly pay.

    ``cpi`` is the 12-month rate in per cent (3.3 for 3.3%). ``setting`` is the ``wage_uplift``
    setting: ``additive`` = previous × (1 + CPI + 10%), ``multiplicative`` = previous × (1 + CPI) × 1.10.
    The exact product is rounded half up to the penny: £13.00 at 3.3% is £14.729 → £14.73 additive,
    £14.7719 → £14.77 multiplicative.
    """
    prev = previous if isinstance(previous, Decimal) else Decimal(str(previous))
    rate = (cpi if isinstance(cpi, Decimal) else Decimal(str(cpi))) / 100
    if setting == "additive":
        exact = prev * (1 + rate + TEN_PER_CENT)
    elif setting == "multiplicative":
        exact = prev * (1 + rate) * (1 + TEN_PER_CENT)
    else:
        raise ValueError(f"wage uplift setting {setting!r} is not one of {', '.join(SETTINGS)}")
    return exact.quantize(PENNY, rounding=ROUND_HALF_UP)


def uplift_formula(previous, cpi, month: str, setting: str = "additive") -> str:
    """The threshold's working as a provider reads it: '£13.00 × (1 + 3.3% CPI (Mar 2026) + 10%)'."""
    c = cpi if isinstance(cpi, Decimal) else Decimal(str(cpi))
    if setting == "additive":
        return f"{pounds(previous)} × (1 + {c}% CPI ({month_label(month)}) + 10%)"
    return f"{pounds(previous)} × (1 + {c}% CPI ({month_label(month)})) × 1.10"
