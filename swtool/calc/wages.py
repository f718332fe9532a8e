"""Pay figures for the progression and placement rules: London Living Wage, CPI, the uplift threshold.

Pure functions over the reference data (``RefData.london_living_wage``, ``RefData.cpi`` and, when
present, ``RefData.cpi_release_dates``, or any object with those attributes); standard library and
``swtool.calc.money`` only, so they are cheap to import and to test.

Money is ``Decimal`` and is rounded only by ``swtool.calc.money.penny`` (half up, once, at the end:
£14.729 → £14.73, £14.725 → £14.73, £14.7249 → £14.72). Reference figures are read through ``str``
(``14.8`` → ``Decimal("14.8")``), so no binary-float error enters a threshold. Pay at or above the
rounded threshold meets it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from swtool.calc.money import gbp, penny

TEN_PER_CENT = Decimal("0.10")
SETTINGS = ("additive", "multiplicative")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


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
        return penny(rate), year, False
    frm, rate, year = in_force[-1]
    covered = len(in_force) < len(rates) or day < _anniversary(frm)
    return penny(rate), year, covered


# --- CPI -------------------------------------------------------------------------------------------


def _next_month(month: str) -> tuple[int, int]:
    y, m = int(month[:4]), int(month[5:7])
    return (y + 1, 1) if m == 12 else (y, m + 1)


def _month_key(y: int, m: int) -> str:
    return f"{y:04d}-{m:02d}"


def cpi_published(month: str) -> date:
    """The estimated day month ``month``'s (``'2026-03'``) CPI figure is published, for a month whose
    ONS release date is not in the reference data.

    ONS publishes month M's 12-month rate on a Wednesday in month M+1 (the releases for January 2022
    to May 2026 fell between the 13th and the 26th). The estimate is **the first Wednesday on or after
    the 20th of month M+1**: March 2026 → Wednesday 22 April 2026, its real release day. For those 53
    months it was never earlier than the real release (19 the same day, 34 a week later: June 2025 was
    released on 16 July 2025, estimated 23 July), so a figure is not taken as published before it
    was; in the week between, the previous month's figure is used. Rule P309 says when a date was
    estimated.
    """
    y, m = _next_month(month)
    d = date(y, m, 20)
    return d + timedelta(days=(2 - d.weekday()) % 7)  # Wednesday is weekday 2


def month_label(month: str) -> str:
    """'2026-03' → 'Mar 2026'."""
    return f"{_MONTHS[int(month[5:7]) - 1]} {month[:4]}"


class CpiFigure(NamedTuple):
    """The CPI figure for a day, as ``cpi_figure`` finds it.

    ``rate``: the 12-month rate in per cent; ``month``: the month it is for (``'2026-03'``);
    ``covered``: False when the figure that should be used is not in the reference data (see
    ``cpi_figure``); ``estimated``: ``(month, day)`` for each month in the file with no release date
    whose estimated publication day (``cpi_published``) decided which figure is used, oldest first.
    """

    rate: Decimal
    month: str
    covered: bool
    estimated: tuple[tuple[str, date], ...] = ()


def _release_dates(refdata) -> dict:
    return getattr(refdata, "cpi_release_dates", None) or {}


def cpi_figure(refdata, day: date) -> CpiFigure:
    """The CPI 12-month rate last published before ``day``.

    A month's figure counts as published on its ONS release date when the reference data holds it,
    else on the estimated day (``cpi_published``). "Before" is strict: a figure published on the day
    achieved is not yet the one to use (released 16 July 2025, June 2025's figure is used from
    17 July; on 16 July May's still is).

    The figure used is the latest month in the file published before ``day``. ``covered`` is False
    when a figure that should be used is not in the file: the month after the one used is missing
    and its estimated publication day is before ``day`` (after the newest month, where rule P309 asks
    for the file to be updated, or in a gap), or no month in the file was published before ``day``
    (the oldest is returned). ``estimated`` names the months whose publication day was estimated and
    decided the answer: the month used, and the month after it when the file holds it.
    """
    months = sorted(refdata.cpi)
    if not months:
        raise ValueError("the CPI file has no months")
    released = _release_dates(refdata)

    def published(month: str) -> date:
        return released.get(month) or cpi_published(month)

    def estimated(*candidates: str) -> tuple[tuple[str, date], ...]:
        return tuple((m, cpi_published(m)) for m in candidates if m in refdata.cpi and m not in released)

    usable = [m for m in months if published(m) < day]
    if not usable:
        oldest = months[0]
        return CpiFigure(Decimal(str(refdata.cpi[oldest])), oldest, False, estimated(oldest))
    chosen = usable[-1]
    y, m = _next_month(chosen)
    following = _month_key(y, m)
    covered = following in refdata.cpi or not cpi_published(following) < day
    return CpiFigure(Decimal(str(refdata.cpi[chosen])), chosen, covered, estimated(chosen, following))


def cpi_for(refdata, day: date) -> tuple[Decimal, str, bool]:
    """``(rate, 'YYYY-MM', covered)`` of ``cpi_figure(refdata, day)``."""
    f = cpi_figure(refdata, day)
    return f.rate, f.month, f.covered


# --- the uplift ------------------------------------------------------------------------------------


def uplift_threshold(previous, cpi, setting: str = "additive") -> Decimal:
    """The pay a type A progression must reach: "inflation + 10%" on the previous hourly pay.

    ``cpi`` is the 12-month rate in per cent (3.3 for 3.3%). ``setting`` is the ``wage_uplift``
    setting: ``additive`` = previous × (1 + CPI + 10%), ``multiplicative`` = previous × (1 + CPI) × 1.10.
    The exact product is rounded half up to the penny, once (``swtool.calc.money.penny``): £13.00 at
    3.3% is £14.729 → £14.73 additive, £14.7719 → £14.77 multiplicative.
    """
    prev = previous if isinstance(previous, Decimal) else Decimal(str(previous))
    rate = (cpi if isinstance(cpi, Decimal) else Decimal(str(cpi))) / 100
    if setting == "additive":
        exact = prev * (1 + rate + TEN_PER_CENT)
    elif setting == "multiplicative":
        exact = prev * (1 + rate) * (1 + TEN_PER_CENT)
    else:
        raise ValueError(f"wage uplift setting {setting!r} is not one of {', '.join(SETTINGS)}")
    return penny(exact)


def uplift_formula(previous, cpi, month: str, setting: str = "additive") -> str:
    """The threshold's working as a provider reads it: '£13.00 × (1 + 3.3% CPI (Mar 2026) + 10%)'."""
    c = cpi if isinstance(cpi, Decimal) else Decimal(str(cpi))
    if setting == "additive":
        return f"{gbp(previous)} × (1 + {c}% CPI ({month_label(month)}) + 10%)"
    return f"{gbp(previous)} × (1 + {c}% CPI ({month_label(month)})) × 1.10"
