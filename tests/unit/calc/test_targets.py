"""swtool.calc.targets: quarterly targets and actuals, worked by hand."""

import subprocess
import sys
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from swtool.calc.money import pct, variance
from swtool.calc.targets import (
    actual_count,
    actuals_by_quarter,
    annual_target,
    annual_target_words,
    claim_counts,
    contract_quarter,
    cumulative,
    quarterly_target,
    target_basis,
)
from swtool.model.quarter import Quarter
from swtool.read.register import ContractFacts, Target
from tests.unit.calc.test_credits import facts as credit_facts
from tests.unit.calc.test_credits import q

Q2 = Quarter(2026, 2)


def facts(*targets: Target) -> ContractFacts:
    return ContractFacts(
        "SW-L3-01",
        "Bermondsey Pathways CIC",
        "3",
        date(2025, 4, 1),
        date(2027, 3, 31),
        Decimal("159500.00"),
        targets={t.output: t for t in targets},
    )


def test_annual_divided_by_four_keeps_fractions():
    c = facts(Target("4", 21), Target("2a", 36), Target("3b", 2))
    assert quarterly_target(c, "4", Q2) == Decimal("5.25")  # 21 / 4
    assert isinstance(quarterly_target(c, "4", Q2), Decimal)
    assert quarterly_target(c, "2a", Q2) == 9 and isinstance(quarterly_target(c, "2a", Q2), int)  # 36 / 4
    assert quarterly_target(c, "3b", Q2) == Decimal("0.5")  # 2 / 4


def test_profile_for_the_quarter_wins_else_annual_over_four():
    c = facts(Target("2a", 36, (3, 12, None, 0)))
    assert quarterly_target(c, "2a", Q2) == 12  # Q2 profile
    assert quarterly_target(c, "2a", Quarter(2026, 1)) == 3  # Q1 profile
    assert quarterly_target(c, "2a", Quarter(2026, 3)) == 9  # no Q3 profile: 36 / 4
    assert quarterly_target(c, "2a", Quarter(2026, 4)) == 0  # a profile of 0 is a target of 0


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
    assert quarterly_target(c, "2", Q2) == 10  # the combined row, not 2a + 2b
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
    assert variance(5, 4, 20).percent == 25  # (5 - 4) / 4
    assert variance(5, 4, 20).exceeds and not variance(6, 5, 20).exceeds  # 25% over; exactly 20% is within
    assert round(float(variance(1, 9, 20).percent), 1) == -88.9  # (1 - 9) / 9 = -88.89%
    assert variance(4, Decimal("5.25"), 20).percent * 21 == -500  # -1.25 / 5.25 = -500/21 %, exact
    assert variance(3, 0, 20).percent is None and variance(3, 0, 20).exceeds
    assert not variance(0, 0, 20).exceeds
    assert pct(Decimal(25)) == "25%"
    assert pct(abs(variance(4, Decimal("5.25"), 20).percent)) == "23.8%"


def test_targets_imports_no_pandas():
    code = "import sys, swtool.calc.targets; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- contract quarters, actuals, annual targets, to date --------------------------------------------


def test_contract_quarter_counts_from_the_quarter_holding_the_start():
    c = credit_facts(o2a=8)
    assert contract_quarter(c, q("2025/26-Q1")) == 1
    assert contract_quarter(c, q("2025/26-Q2")) == 2
    assert contract_quarter(c, q("2026/27-Q2")) == 6  # across the year end
    mid = credit_facts(start=date(2025, 8, 15), o2a=8)  # starts in July–September
    assert contract_quarter(mid, q("2025/26-Q2")) == 1
    assert contract_quarter(mid, "2025/26-Q3") == 2
    assert contract_quarter(mid, q("2025/26-Q1")) == 0  # before the contract


def test_cumulative_to_date_against_profile():
    c = credit_facts(start=date(2026, 4, 1), o2a=(40, (None, 12, None, None)), o4=36)
    acts = {q("2026/27-Q1"): {"2a": 8, "4": 9}, q("2026/27-Q2"): {"2a": 5, "4": 10}}
    lines = {x.output: x for x in cumulative(c, q("2026/27-Q2"), acts)}
    # output 2: targets 10 (annual ÷ 4) + 12 (Q2 profile) = 22; actual 8 + 5 = 13 = 59.09%
    assert (lines["2"].target_to_date, lines["2"].actual_to_date, lines["2"].percent) == (22, 13, Decimal("59.09"))
    assert (lines["4"].target_to_date, lines["4"].actual_to_date, lines["4"].percent) == (18, 19, Decimal("105.56"))
    gap = {x.output: x for x in cumulative(c, q("2026/27-Q3"), acts)}["2"]
    assert gap.missing == (q("2026/27-Q3"),) and gap.target_to_date == 32 and "counted 0" in gap.message


def test_actual_count_output_2_is_2a_plus_2b_and_output_1_must_be_counted():
    assert actual_count({"2a": 3, "2b": 1, "4": 2}, "2") == 4  # 3 + 1
    assert actual_count({"2": 5, "2a": 3, "2b": 1}, "2") == 5  # a "2" count is taken as given
    assert actual_count({"2a": 3}, "4") == 0  # nothing claimed
    assert actual_count({"2a": 3}, "1") is None  # registrations not counted
    assert actual_count(None, "4") is None  # no return recorded


def test_actuals_by_quarter_takes_quarter_text():
    assert actuals_by_quarter({"2026/27-Q2": {"4": 1}, Q2.next(): None}) == {Q2: {"4": 1}, Quarter(2026, 3): {}}


def test_annual_target_of_output_2_adds_2a_and_2b():
    c = credit_facts(o2a=6, o2b=4, o4=9)
    assert (annual_target(c, "2"), annual_target(c, "4"), annual_target(c, "5")) == (10, 9, None)  # 6 + 4
    assert annual_target_words(c, "2") == "10 (2a 6 + 2b 4)"
    assert annual_target_words(credit_facts(o2=12, o2a=6, o2b=6), "2") == "12"  # the register's own row 2
