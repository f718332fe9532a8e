"""swtool.calc.money: every expected figure is worked out by hand in the test."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from swtool.calc import money
from swtool.calc.credits import assess
from swtool.model.quarter import Quarter
from tests.unit.calc.test_credits import by_output, facts

ROOT = Path(__file__).resolve().parents[3]


def test_penny_rounds_half_up_once():
    assert money.penny("1519.045") == Decimal("1519.05")  # a tie goes up
    assert money.penny("1519.0449") == Decimal("1519.04")
    assert money.penny("-0.005") == Decimal("-0.01")  # ties away from zero
    assert money.penny(0.1 + 0.2) == Decimal("0.30")  # a float is read as its shortest text, 0.30000000000000004
    assert money.penny(Fraction(1, 3)) == Decimal("0.33")
    assert money.penny("£1,234.5") == Decimal("1234.50")


def test_penny_refuses_what_is_not_an_amount():
    for bad in ("twelve", "nan", "inf", True):
        with pytest.raises(ValueError):
            money.penny(bad)


def test_nine_credits_on_lot_9_output_1_is_2500_pounds():
    # (£150,000 × 2) × 10% = £30,000 a year's credits; ÷ annual target 108 = £277.777… per credit.
    # 9 credits: 9 × £30,000 ÷ 108 = £270,000 ÷ 108 = £2,500.00 exactly. Rounding the credit value first
    # would give 9 × £277.78 = £2,500.02.
    assert money.credit_amount(9, "150000", 108) == Decimal("2500.00")
    assert money.credit_value("150000", 108) == Decimal("277.78")


def test_four_and_three_quarter_credits_on_a_143000_lot_6_contract():
    # (£143,000 × 2) × 10% = £28,600; annual target 19: £28,600 ÷ 19 = £1,505.263… per credit.
    # 4.75 credits: 4.75 × £28,600 ÷ 19 = £135,850 ÷ 19 = £7,150.00 exactly (4.75 × £1,505.26 = £7,149.99).
    assert money.credit_amount("4.75", "143000", 19) == Decimal("7150.00")


def test_assess_uses_the_exact_amount_on_a_lot_6_contract():
    # lot 6, annual target 19 for output 4 (quarterly 4.75); 0 progressions in contract quarter 2:
    # 4.75 credits, £7,150.00 as worked out above.
    c = facts(lot="6", value="143000.00", o2a=20, o4=19)
    start = Quarter.containing(c.start)
    q2 = start.next()
    lines = by_output(assess(c, q2, {q2: {"2a": 5, "4": 0}}, {"credit_quarters": 1}))
    assert lines["4"].credits == Decimal("4.75")
    assert lines["4"].amount == Decimal("7150.00")


def test_q4_balancing_with_funding_paid_100000():
    # eligible to date £112,345.67 − paid £100,000.00 = £12,345.67 payable; £96,500.10 eligible: −£3,499.90 back
    assert money.q4_balancing("112345.67", "100000") == Decimal("12345.67")
    assert money.q4_balancing("96500.10", "100000.00") == Decimal("-3499.90")


def test_invoice_deducts_disallowed_and_credits_and_q4_replaces_cash():
    # £41,250.00 cash − £1,200.00 disallowed = £40,050.00; − £2,310.00 credits = £37,740.00
    inv = money.invoice("41250", "1200", "2310")
    assert (inv.invoice, inv.net_payable) == (Decimal("40050.00"), Decimal("37740.00"))
    # Q4: the balancing payment £12,345.67 replaces the cash; − £2,310.00 = £10,035.67
    inv = money.invoice("41250", "0", "2310", "12345.67")
    assert (inv.invoice, inv.net_payable) == (Decimal("12345.67"), Decimal("10035.67"))


def test_total_adds_the_rounded_lines():
    # £0.005 + £0.005 + £0.005: each line £0.01, total £0.03 (not the £0.015 → £0.02 of the exact sum)
    assert money.total(["0.005", "0.005", "0.005"]) == Decimal("0.03")


def test_variance_is_decided_once_for_outputs_and_money():
    assert not money.variance(6, 5, 20).exceeds  # exactly 20% over: within
    assert money.variance(7, 5, 20).exceeds  # 40% over
    assert money.variance(4, 5, 20).percent == -20  # (4 − 5) ÷ 5
    assert not money.variance("1100.00", "1000.00", 10).exceeds  # exactly 10% over budget: within
    assert money.variance("1100.01", "1000.00", 10).exceeds
    assert money.variance(1, 0, 20).exceeds and money.variance(1, 0, 20).percent is None
    assert money.variance(2, 5, 30).words() == "60% under target"


def test_threshold_and_share_are_exact():
    assert money.at_or_below(7, 10)  # exactly 70%
    assert not money.at_or_below("7.01", 10)
    assert money.at_or_below(3, "5.25")  # 57.1%
    assert not money.over_share(2, 10) and money.over_share(3, 10)  # 20% is within, 30% over


def test_formatters():
    assert money.gbp("1540") == "£1,540.00"
    assert money.gbp("-110") == "-£110.00"
    assert money.pounds_text("2310") == "2310.00"
    assert money.pounds_text(None) is None
    assert money.pct("70.01") == "70.01%"  # never shown as 70% when it is not 70
    assert money.pct(Fraction(200, 3)) == "66.7%"
    assert money.signed_pct(-12.5) == "-12.5%" and money.signed_pct(80) == "+80%"


def test_no_money_is_rounded_outside_the_money_module():
    """Every quantize and ROUND_HALF_UP of the package is in swtool/calc/money.py; a round() elsewhere
    must say on its line why it is not money rounding (a share, a percentage cell, exact pence)."""
    out = subprocess.run(
        ["grep", "-rnE", r"quantize\(|ROUND_HALF|round\(", "swtool", "--include=*.py"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    offending = [
        line
        for line in out.splitlines()
        if not line.startswith("swtool/calc/money.py:") and not re.search(r"#.*not money", line)
    ]
    assert offending == []


# --- the Q4 payment -----------------------------------------------------------------------------------


def test_q4_balancing():
    # App 2 §3.1c: total eligible expenditure to date − funding paid to date
    assert money.q4_balancing(Decimal("60000.00"), Decimal("55000.50")) == Decimal("4999.50")
    assert money.q4_balancing(50000, "52500.25") == Decimal("-2500.25")  # paid more than spent
    assert money.q4_balancing(0.1 + 0.2, 0) == Decimal("0.30")
    assert money.q4_balancing_words(Decimal("50000"), Decimal("52500.25")).endswith(
        "= -£2,500.25, due back from the provider"
    )
    assert money.q4_balancing_words(Decimal("60000"), Decimal("55000.50")) == (
        "Q4 payment (App 2 §3.1c): total eligible expenditure to date £60,000.00 − funding paid to date "
        "£55,000.50 = £4,999.50, payable to the provider"
    )
    assert money.q4_balancing_words(100, 100).endswith("= £0.00, nothing to pay")


# --- counts and targets as shown ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, shown",
    [
        (10, "10"),
        (Decimal("5.25"), "5.25"),
        (Decimal("10.50"), "10.5"),
        (Decimal("10.00"), "10"),
        (Decimal("100"), "100"),
        (Decimal("1E+2"), "100"),
        (40.0, "40"),
        (37.5, "37.5"),
        (0, "0"),
        (None, "none"),
    ],
)
def test_num_shows_a_count_or_target_as_a_pmo_writes_it(value, shown):
    assert money.num(value) == shown


@pytest.mark.parametrize(
    "value, number",
    [
        (None, None),
        (5, 5),
        (Decimal("5.00"), 5),
        (Decimal("5.25"), 5.25),
        ("12", 12),
        (2.5, 2.5),
        (Fraction(200, 3), 66.67),  # 66.666… to 0.01, half-up
        (Fraction(1, 8), 0.13),  # 0.125 → 0.13 (half-up, not to even)
    ],
)
def test_json_number_is_an_int_when_whole_else_a_float(value, number):
    got = money.json_number(value)
    assert got == number and type(got) is type(number)
