"""swtool.calc.wages: the London Living Wage in force, the CPI last published, the uplift threshold.

Figures worked by hand; the reference data is a small stand-in so that a newer shipped file cannot
change what these tests mean (a few tests read the shipped files for figures ONS has published).
Release dates are the ONS ones; a month without one is taken as published on the first Wednesday on or
after the 20th of the next month.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from swtool.calc import wages
from swtool.model.refdata import RefData

# --- uplift threshold ------------------------------------------------------------------------------


def test_additive_uplift_worked_example():
    # 13 × (1 + 0.033 + 0.10) = 13 × 1.133 = 14.729 → £14.73
    assert wages.uplift_threshold(Decimal("13.00"), Decimal("3.3"), "additive") == Decimal("14.73")


def test_multiplicative_uplift_worked_example():
    # 13 × 1.033 × 1.1 = 14.7719 → £14.77
    assert wages.uplift_threshold(Decimal("13.00"), Decimal("3.3"), "multiplicative") == Decimal("14.77")


def test_threshold_rounds_half_up_to_the_penny():
    # 15 × 1.133 = 16.995 exactly: half up gives £17.00 (banker's rounding would too, 16.99 would be wrong)
    assert wages.uplift_threshold(15, 3.3, "additive") == Decimal("17.00")
    # 12.50 × 1.13 = 14.125 → £14.13 (half up; ROUND_HALF_EVEN would give £14.12)
    assert wages.uplift_threshold(Decimal("12.50"), 3.0, "additive") == Decimal("14.13")
    # 15 × 1.033 × 1.1 = 17.0445 → £17.04
    assert wages.uplift_threshold(15, 3.3, "multiplicative") == Decimal("17.04")


def test_threshold_takes_floats_through_str():
    # 14.8 as a float is 14.800000000000000710…; read through str it is exactly 14.8: 14.8 × 1.13 = 16.724
    assert wages.uplift_threshold(14.8, 3.0, "additive") == Decimal("16.72")


def test_unknown_setting_is_refused():
    with pytest.raises(ValueError, match="additive, multiplicative"):
        wages.uplift_threshold(13, 3.3, "compound")


def test_uplift_formula_shows_every_input():
    assert (
        wages.uplift_formula(Decimal("13"), Decimal("3.3"), "2026-03", "additive")
        == "£13.00 × (1 + 3.3% CPI (Mar 2026) + 10%)"
    )
    assert (
        wages.uplift_formula(Decimal("13"), Decimal("3.3"), "2026-03", "multiplicative")
        == "£13.00 × (1 + 3.3% CPI (Mar 2026)) × 1.10"
    )


# --- CPI -------------------------------------------------------------------------------------------

# ONS release dates (Consumer price inflation bulletins): May 2025's figure on Wed 18 June 2025, June's on
# Wed 16 July, July's on Wed 20 August, November's on Wed 17 December 2025, December's on Wed 21 January 2026
REF_DATES = SimpleNamespace(
    cpi={"2025-05": 3.4, "2025-06": 3.6, "2025-07": 3.8, "2025-11": 3.2, "2025-12": 3.4, "2026-01": 3.0},
    cpi_release_dates={
        "2025-05": date(2025, 6, 18),
        "2025-06": date(2025, 7, 16),
        "2025-07": date(2025, 8, 20),
        "2025-11": date(2025, 12, 17),
        "2025-12": date(2026, 1, 21),
        "2026-01": date(2026, 2, 18),
    },
)


def test_cpi_estimated_publication_day_is_first_wednesday_on_or_after_the_20th():
    assert wages.cpi_published("2026-03") == date(2026, 4, 22)  # ONS released it on Wed 22 April 2026
    assert wages.cpi_published("2026-02") == date(2026, 3, 25)  # released Wed 25 March 2026
    assert wages.cpi_published("2025-12") == date(2026, 1, 21)  # 20 Jan 2026 is a Tuesday
    assert wages.cpi_published("2026-05") == date(2026, 6, 24)  # 20 June 2026 is a Saturday
    assert wages.cpi_published("2025-06") == date(2025, 7, 23)  # 20 July 2025 is a Sunday (ONS: 16 July)


def test_cpi_uses_the_release_date_strictly_before_the_day():
    # June 2025's figure (3.6%) was released on Wed 16 July 2025: the day before and the day itself still
    # use May's (3.4%); from 17 July June's. The estimate (23 July) would have given May's until 23 July.
    assert wages.cpi_for(REF_DATES, date(2025, 7, 15)) == (Decimal("3.4"), "2025-05", True)
    assert wages.cpi_for(REF_DATES, date(2025, 7, 16)) == (Decimal("3.4"), "2025-05", True)
    assert wages.cpi_for(REF_DATES, date(2025, 7, 17)) == (Decimal("3.6"), "2025-06", True)
    assert wages.cpi_for(REF_DATES, date(2025, 7, 23)) == (Decimal("3.6"), "2025-06", True)
    # across a year end: December 2025's (3.4%) released Wed 21 January 2026
    assert wages.cpi_for(REF_DATES, date(2026, 1, 20)) == (Decimal("3.2"), "2025-11", True)
    assert wages.cpi_for(REF_DATES, date(2026, 1, 21)) == (Decimal("3.2"), "2025-11", True)
    assert wages.cpi_for(REF_DATES, date(2026, 1, 22)) == (Decimal("3.4"), "2025-12", True)


def test_cpi_with_release_dates_estimates_nothing():
    assert wages.cpi_figure(REF_DATES, date(2025, 7, 17)).estimated == ()
    assert wages.cpi_figure(REF_DATES, date(2026, 2, 19)) == (Decimal("3.0"), "2026-01", True, ())


def test_cpi_after_the_newest_release_date_uses_the_estimate_for_the_missing_month():
    # January 2026 released 18 February; February's is not in the file and is estimated for Wed 25 March 2026
    assert wages.cpi_for(REF_DATES, date(2026, 3, 25)) == (Decimal("3.0"), "2026-01", True)
    assert wages.cpi_for(REF_DATES, date(2026, 3, 26)) == (Decimal("3.0"), "2026-01", False)


def test_a_gap_in_the_months_is_not_covered():
    # August to October 2025 are missing: from August's estimated day (Wed 24 September 2025) July's is used,
    # not covered, until November's release (17 December 2025)
    assert wages.cpi_for(REF_DATES, date(2025, 9, 24)) == (Decimal("3.8"), "2025-07", True)
    assert wages.cpi_for(REF_DATES, date(2025, 9, 25)) == (Decimal("3.8"), "2025-07", False)
    assert wages.cpi_for(REF_DATES, date(2025, 12, 17)) == (Decimal("3.8"), "2025-07", False)
    assert wages.cpi_for(REF_DATES, date(2025, 12, 18)) == (Decimal("3.2"), "2025-11", True)


def test_a_month_without_a_release_date_uses_the_estimate_and_says_so():
    ref = SimpleNamespace(cpi={"2026-03": 3.3, "2026-04": 2.8}, cpi_release_dates={"2026-03": date(2026, 4, 22)})
    april = (("2026-04", date(2026, 5, 20)),)  # first Wednesday on or after 20 May 2026: the 20th itself
    # on the estimated day itself April's figure is not yet the one to use, but its estimate decided that
    assert wages.cpi_figure(ref, date(2026, 5, 20)) == (Decimal("3.3"), "2026-03", True, april)
    assert wages.cpi_figure(ref, date(2026, 5, 21)) == (Decimal("2.8"), "2026-04", True, april)
    # May's figure is not in the file: estimated for Wed 24 June 2026, so from 25 June not covered
    assert wages.cpi_figure(ref, date(2026, 6, 24)) == (Decimal("2.8"), "2026-04", True, april)
    assert wages.cpi_figure(ref, date(2026, 6, 25)) == (Decimal("2.8"), "2026-04", False, april)
    # long after April's estimated day, and before it when March is the one used with its release date
    assert wages.cpi_figure(ref, date(2026, 5, 1)) == (Decimal("3.3"), "2026-03", True, april)
    assert wages.cpi_figure(ref, date(2026, 4, 22)).estimated == ()


REF = SimpleNamespace(  # no release dates at all: every publication day is estimated
    london_living_wage=[(date(2025, 5, 1), 13.85, "2024-25"), (date(2026, 5, 1), 14.8, "2025-26")],
    cpi={"2025-11": 3.2, "2025-12": 3.4, "2026-01": 3.0, "2026-02": 3.0, "2026-03": 3.3},
)


def test_cpi_without_release_dates_is_the_figure_estimated_published_strictly_before_the_day():
    # March 2026's figure counts from 22 April 2026: on that day February's is still the one to use
    assert wages.cpi_for(REF, date(2026, 4, 22)) == (Decimal("3.0"), "2026-02", True)
    assert wages.cpi_for(REF, date(2026, 4, 23)) == (Decimal("3.3"), "2026-03", True)
    # December 2025's figure counts from Wed 21 Jan 2026; across a year end
    assert wages.cpi_for(REF, date(2026, 1, 21)) == (Decimal("3.2"), "2025-11", True)
    assert wages.cpi_for(REF, date(2026, 1, 22)) == (Decimal("3.4"), "2025-12", True)
    # both estimates decided: December's (used) and January's (not yet)
    assert wages.cpi_figure(REF, date(2026, 1, 22)).estimated == (
        ("2025-12", date(2026, 1, 21)),
        ("2026-01", date(2026, 2, 25)),
    )


def test_cpi_after_the_newest_month_uses_the_newest_and_says_not_covered():
    # April 2026's figure counts as published from Wed 20 May 2026, and the file ends at March
    assert wages.cpi_for(REF, date(2026, 5, 20)) == (Decimal("3.3"), "2026-03", True)
    assert wages.cpi_for(REF, date(2026, 5, 21)) == (Decimal("3.3"), "2026-03", False)
    assert wages.cpi_for(REF, date(2026, 8, 3)) == (Decimal("3.3"), "2026-03", False)


def test_cpi_before_the_oldest_month_is_not_covered():
    rate, month, covered = wages.cpi_for(REF, date(2025, 6, 1))
    assert (rate, month, covered) == (Decimal("3.2"), "2025-11", False)


def test_cpi_from_the_shipped_file():
    ref = RefData()
    assert max(ref.cpi) >= "2026-05"
    # ONS: June 2025 3.6% released Wed 16 July 2025; May 2025 3.4%
    assert wages.cpi_for(ref, date(2025, 7, 16)) == (Decimal("3.4"), "2025-05", True)
    assert wages.cpi_for(ref, date(2025, 7, 17)) == (Decimal("3.6"), "2025-06", True)
    # March 2026 3.3% released Wed 22 April 2026; April 2026 2.8% released Wed 20 May 2026
    assert wages.cpi_for(ref, date(2026, 4, 23)) == (Decimal("3.3"), "2026-03", True)
    assert wages.cpi_for(ref, date(2026, 5, 20)) == (Decimal("3.3"), "2026-03", True)
    assert wages.cpi_for(ref, date(2026, 5, 21)) == (Decimal("2.8"), "2026-04", True)
    assert wages.cpi_figure(ref, date(2026, 5, 21)).estimated == ()


def test_every_shipped_month_has_its_release_date_a_wednesday_of_the_next_month():
    ref = RefData()
    assert set(ref.cpi_release_dates) == set(ref.cpi)
    for month, released in ref.cpi_release_dates.items():
        y, m = int(month[:4]), int(month[5:])
        assert (released.year, released.month) == ((y + 1, 1) if m == 12 else (y, m + 1)), month
        assert released.weekday() == 2, month
    assert ref.cpi_release_dates["2025-06"] == date(2025, 7, 16)
    assert ref.cpi_release_dates["2025-12"] == date(2026, 1, 21)


def _override(folder: Path, text: str) -> RefData:
    folder.mkdir(exist_ok=True)
    (folder / "cpi_uk_d7g7.csv").write_text(text, encoding="utf-8")
    return RefData(folder)


def test_an_override_of_month_and_rate_only_still_loads_and_is_estimated(tmp_path):
    ref = _override(tmp_path / "over", "month,cpi_rate\n2026-03,3.3\n2026-04,2.8\n")
    assert ref.file("cpi_uk_d7g7.csv").overridden and ref.refusals == []
    assert ref.cpi == {"2026-03": 3.3, "2026-04": 2.8} and ref.cpi_release_dates == {}
    assert wages.cpi_figure(ref, date(2026, 5, 21)) == (
        Decimal("2.8"),
        "2026-04",
        True,
        (("2026-04", date(2026, 5, 20)),),
    )


def test_an_override_may_leave_some_release_dates_empty(tmp_path):
    ref = _override(tmp_path / "over", "month,cpi_rate,release_date\n2026-03,3.3,2026-04-22\n2026-04,2.8,\n")
    assert ref.refusals == [] and ref.cpi_release_dates == {"2026-03": date(2026, 4, 22)}


def test_an_override_with_a_bad_release_date_is_refused(tmp_path):
    ref = _override(tmp_path / "over", "month,cpi_rate,release_date\n2026-03,3.3,22/04/2026\n")
    assert not ref.file("cpi_uk_d7g7.csv").overridden
    assert "row 2, column release_date: '22/04/2026' is not a date in YYYY-MM-DD form" in ref.refusals[0]
    assert ref.cpi_release_dates["2026-03"] == date(2026, 4, 22)  # the shipped file's


# --- London Living Wage ----------------------------------------------------------------------------


def test_llw_is_in_force_from_its_implement_by_date():
    # the 2025-26 rate (£14.80) was announced 22 Oct 2025 and is in force from 1 May 2026
    assert wages.llw_on(REF, date(2026, 4, 30)) == (Decimal("13.85"), "2024-25", True)
    assert wages.llw_on(REF, date(2026, 5, 1)) == (Decimal("14.80"), "2025-26", True)


def test_llw_a_year_after_the_newest_rate_is_not_covered():
    assert wages.llw_on(REF, date(2027, 4, 30)) == (Decimal("14.80"), "2025-26", True)
    assert wages.llw_on(REF, date(2027, 5, 1)) == (Decimal("14.80"), "2025-26", False)


def test_llw_before_the_first_rate_is_not_covered():
    assert wages.llw_on(REF, date(2025, 4, 30)) == (Decimal("13.85"), "2024-25", False)


def test_llw_from_the_shipped_file():
    assert wages.llw_on(RefData(), date(2026, 8, 3)) == (Decimal("14.80"), "2025-26", True)


# --- money: rounded only by swtool.calc.money ---------------------------------------------------------


def test_threshold_is_rounded_once_by_calc_money(monkeypatch):
    from swtool.calc import money

    calls = []

    def spy(value):
        calls.append(value)
        return money.penny(value)

    monkeypatch.setattr(wages, "penny", spy)
    # 13 × (1 + 0.033 + 0.10) = 14.729 exactly, rounded once to £14.73
    assert wages.uplift_threshold(Decimal("13.00"), Decimal("3.3"), "additive") == Decimal("14.73")
    assert calls == [Decimal("14.729")]


def test_llw_and_formula_money_come_from_calc_money():
    rate, _, _ = wages.llw_on(REF, date(2026, 5, 1))
    assert rate == Decimal("14.80") and str(rate) == "14.80"
    assert (
        wages.uplift_formula(Decimal("1234.5"), Decimal("2.8"), "2026-04")
        == "£1,234.50 × (1 + 2.8% CPI (Apr 2026) + 10%)"
    )
    assert not hasattr(wages, "money") and not hasattr(wages, "pounds")
