"""swtool.wages: the London Living Wage in force, the CPI last published, the uplift threshold.

Figures worked by hand; the reference data is a small stand-in so that a newer shipped file cannot
change what these tests mean (one test reads the shipped files for their newest figures).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from swtool import wages
from swtool.refdata import RefData

REF = SimpleNamespace(
    london_living_wage=[(date(2025, 5, 1), 13.85, "2024-25"), (date(2026, 5, 1), 14.8, "2025-26")],
    cpi={"2025-11": 3.2, "2025-12": 3.4, "2026-01": 3.0, "2026-02": 3.0, "2026-03": 3.3},
)


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
    assert wages.uplift_formula(Decimal("13"), Decimal("3.3"), "2026-03", "additive") == \
        "£13.00 × (1 + 3.3% CPI (Mar 2026) + 10%)"
    assert wages.uplift_formula(Decimal("13"), Decimal("3.3"), "2026-03", "multiplicative") == \
        "£13.00 × (1 + 3.3% CPI (Mar 2026)) × 1.10"


# --- CPI -------------------------------------------------------------------------------------------

def test_cpi_publication_day_is_first_wednesday_on_or_after_the_20th():
    assert wages.cpi_published("2026-03") == date(2026, 4, 22)   # ONS released it on Wed 22 April 2026
    assert wages.cpi_published("2026-02") == date(2026, 3, 25)   # released Wed 25 March 2026
    assert wages.cpi_published("2025-12") == date(2026, 1, 21)   # 20 Jan 2026 is a Tuesday
    assert wages.cpi_published("2026-05") == date(2026, 6, 24)   # 20 June 2026 is a Saturday


def test_cpi_is_the_figure_published_strictly_before_the_day():
    # March 2026's figure counts from 22 April 2026: on that day February's is still the one to use
    assert wages.cpi_for(REF, date(2026, 4, 22)) == (Decimal("3.0"), "2026-02", True)
    assert wages.cpi_for(REF, date(2026, 4, 23)) == (Decimal("3.3"), "2026-03", True)
    # December 2025's figure counts from Wed 21 Jan 2026; across a year end
    assert wages.cpi_for(REF, date(2026, 1, 21)) == (Decimal("3.2"), "2025-11", True)
    assert wages.cpi_for(REF, date(2026, 1, 22)) == (Decimal("3.4"), "2025-12", True)


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
    newest = max(ref.cpi)
    assert newest >= "2026-03"
    rate, month, covered = wages.cpi_for(ref, date(2026, 4, 23))
    assert (rate, month, covered) == (Decimal("3.3"), "2026-03", True)


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


def test_money_and_pounds():
    assert wages.money(14.725) == Decimal("14.73")
    assert wages.pounds(Decimal("1234.5")) == "£1,234.50"
