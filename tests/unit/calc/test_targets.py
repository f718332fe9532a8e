"""swtool.calc.targets: quarterly targets and actuals, worked by hand."""

import subprocess
import sys
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from swtool.read.register import ContractFacts, Target
from swtool.calc.money import pct, variance
from swtool.calc.targets import claim_counts, quarterly_target, target_basis
from swtool.model.quarter import Quarter

Q2 = Quarter(2026, 2)


def facts(*targets: Target) -> ContractFacts:
    return ContractFacts("SW-L3-01", "Bermondsey Pathways CIC", "3", date(2025, 4, 1), date(2027, 3, 31),
                         Decimal("159500.00"), targets={t.output: t for t in targets})


def test_annual_divided_by_four_keeps_fractions():
    c = facts(Target("4", 21), Target("2a", 36), Target("3b", 2))
    assert quarterly_target(c, "4", Q2) == Decimal("5.25")          # 21 / 4
    assert isinstance(quarterly_target(c, "4", Q2), Decimal)
    assert quarterly_target(c, "2a", Q2) == 9 and isinstance(quarterly_target(c, "2a", Q2), int)  # 36 / 4
    assert quarterly_target(c, "3b", Q2) == Decimal("0.5")          # 2 / 4


def test_profile_for_the_quarter_wins_else_annual_over_four():
    c = facts(Target("2a", 36, (3, 12, None, 0)))
    assert quarterly_target(c, "2a", Q2) == 12                      # Q2 profile
    assert quarterly_target(c, "2a", Quarter(2026, 1)) == 3         # Q1 profile
    assert quarterly_target(c, "2a", Quarter(2026, 3)) == 9         # no Q3 profile: 36 / 4
    assert quarterly_target(c, "2a", Quarter(2026, 4)) == 0         # a profile of 0 is a target of 0


@pytest.mark.parametrize("quarter", [Q2, 2, "Q2", "q2"])
def test_quarter_given_in_any_form(quarter):
    assert quarterly_target(facts(Target("5", 12, (None, 4, None, None))), "5", quarter) == 4


def test_output_2_is_2a_plus_2b():
    # 2a: 36 / 4 = 9; 2b: 6 / 4 = 1.5  ->  10.5
    assert quarterly_target(facts(Target("2a", 36), Target("2b", 6)), "2", Q2) == Decimal("10.5")
    # 2a: Q2 profile 14; 2b: 4 / 4 = 1  ->  15
    assert quarterly_target(facts(Target("2a", 36, (None, 14, None, None)), Target("2b", 4)), "2", Q2) == 15
    # only 2a in the register: output 2 is 2a's target
    assert quarterly_target(facts(Target("2a", 36)), "2", Q2) == 9


def test_output_2_given_combined():
    c = facts(Target("2", 40), Target("2a", 100))
    assert quarterly_target(c, "2", Q2) == 10                      # the combined row, not 2a + 2b
    assert quarterly_target(facts(Target("2", 40)), "2a", Q2) is None  # a combined target cannot be split


def test_no_target():
    c = facts(Target("2a", 36))
    assert quarterly_target(c, "7", Q2) is None
    assert quarterly_target(facts(), "2", Q2) is None
    with pytest.raises(ValueError):
        quarterly_target(c, "2a", 5)


def test_target_basis_in_words():
    c = facts(Target("2a", 36), Target("2b", 4, (None, 2, None, None)))
    assert target_basis(c, "2a", Q2) == "annual 36 ÷ 4"
    assert target_basis(c, "2b", Q2) == "Q2 profile 2"
    assert target_basis(c, "2", Q2) == "2a annual 36 ÷ 4 + 2b Q2 profile 2"
    assert target_basis(c, "9", Q2) is None


def test_claim_counts_with_output_2():
    df = pd.DataFrame({"Output": ["2a", "2a", "2b", "4", None, "3a", "2a"]})
    assert claim_counts(df) == {"2a": 3, "2b": 1, "4": 1, "3a": 1, "2": 4}


def test_claim_counts_output_1_from_registrations():
    df = pd.DataFrame({"Output": ["4"]})
    regs = pd.DataFrame({"Client ref": ["SW1", "SW2", "SW3"]})
    assert claim_counts(df, regs) == {"4": 1, "2": 0, "1": 3}
    assert claim_counts(pd.DataFrame({"Output": []})) == {"2": 0}


def test_variance_percent():
    assert variance(5, 4, 20).percent == 25                          # (5 - 4) / 4
    assert variance(5, 4, 20).exceeds and not variance(6, 5, 20).exceeds   # 25% over; exactly 20% is within
    assert round(float(variance(1, 9, 20).percent), 1) == -88.9      # (1 - 9) / 9 = -88.89%
    assert variance(4, Decimal("5.25"), 20).percent * 21 == -500     # -1.25 / 5.25 = -500/21 %, exact
    assert variance(3, 0, 20).percent is None and variance(3, 0, 20).exceeds
    assert not variance(0, 0, 20).exceeds
    assert pct(Decimal(25)) == "25%"
    assert pct(abs(variance(4, Decimal("5.25"), 20).percent)) == "23.8%"


def test_performance_imports_no_pandas():
    code = "import sys, swtool.calc.targets; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
