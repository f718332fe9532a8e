"""swtool.calc.credits: service credits (K702), worked by hand from the specification's formulas.

Service credit value (§7.8, App 2 §4.1): (annual value × 2) × 10% ÷ annual target of the core output.
Credits due (RULES.md "Calculations"): shortfall = quarterly target − actual for a core output at or
below 70%, from contract quarter 2 (K702); a remedial action plan is reviewed on the next quarter's
reporting deadline.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from swtool.calc.credits import assess, credit_value, next_review_date
from swtool.model.quarter import Quarter
from swtool.model.refdata import RefData
from swtool.model.settings import Settings
from swtool.read.register import ContractFacts, Target

REFDATA = RefData()
ONE = Settings.defaults()  # credit_quarters = 1 (§7.8)
TWO = Settings({**Settings.defaults(), "credit_quarters": 2})  # App 2 §4.1
START = date(2025, 4, 1)  # contract quarter 1 = 2025/26-Q1


def facts(
    lot="7",
    value="77000.00",
    start=START,
    end=date(2027, 3, 31),
    cid=None,
    provider="Peckham Recovery to Work",
    **targets,
) -> ContractFacts:
    """targets as output=annual or output=(annual, (Q1, Q2, Q3, Q4 profiles))."""
    ts = {}
    for name, t in targets.items():
        out = name.removeprefix("o")
        ts[out] = Target(out, t[0], t[1]) if isinstance(t, tuple) else Target(out, t)
    return ContractFacts(cid or f"SW-L{lot.upper()}-01", provider, lot, start, end, Decimal(value), targets=ts)


def q(text: str) -> Quarter:
    return Quarter.parse(text)


def by_output(lines):
    return {line.output: line for line in lines}


# --- credit value ------------------------------------------------------------------------------


def test_credit_value_lot_7_from_the_brief():
    # (77,000 × 2) × 10% ÷ 10 = 15,400 ÷ 10 = £1,540.00; output 2 = 2a 8 + 2b 2
    assert credit_value(facts(o2a=8, o2b=2), "2") == Decimal("1540.00")
    assert credit_value(facts(o2=10), "2") == Decimal("1540.00")  # a combined register row
    # output 4, annual 9: 15,400 ÷ 9 = 1,711.111… → £1,711.11
    assert credit_value(facts(o4=9), "4") == Decimal("1711.11")


def test_credit_value_lot_3_rounds_half_up_to_the_penny():
    c = facts(lot="3", value="159500.00", o2a=36, o2b=4, o4=21)
    # (159,500 × 2) × 10% = 31,900; ÷ 40 = £797.50; ÷ 21 = 1,519.047… → £1,519.05
    assert credit_value(c, "2") == Decimal("797.50")
    assert credit_value(c, "4") == Decimal("1519.05")


def test_credit_value_lot_9_outputs_1_and_4():
    c = facts(lot="9", value="150000.00", o1=108, o4=48)
    # 30,000 ÷ 108 = 277.777… → £277.78; 30,000 ÷ 48 = £625.00
    assert credit_value(c, "1") == Decimal("277.78")
    assert credit_value(c, "4") == Decimal("625.00")


def test_credit_value_needs_a_target():
    with pytest.raises(ValueError, match="no annual target for output 4"):
        credit_value(facts(o2a=8), "4")


# --- K702: assessing a quarter -----------------------------------------------------------------


def test_lot_3_fractional_target_gives_fractional_credits():
    c = facts(lot="3", value="159500.00", o2a=36, o2b=4, o4=21)
    lines = by_output(assess(c, q("2026/27-Q2"), {q("2026/27-Q2"): {"2a": 2, "2b": 1, "4": 3}}, ONE))
    two, four = lines["2"], lines["4"]
    # output 2: target 9 + 1 = 10, actual 3 = 30%; 7 credits × £797.50 = £5,582.50
    assert (two.target, two.actual, two.percent) == (10, 3, Decimal("30.00"))
    assert two.underperforming and two.due
    assert (two.credits, two.credit_value, two.amount) == (Decimal(7), Decimal("797.50"), Decimal("5582.50"))
    # output 4: target 21 ÷ 4 = 5.25, actual 3 = 57.14%; 5.25 − 3 = 2.25 credits × £1,519.05 = 3,417.8625 → £3,417.86
    assert (four.target, four.actual, four.percent) == (Decimal("5.25"), 3, Decimal("57.14"))
    assert (four.credits, four.amount) == (Decimal("2.25"), Decimal("3417.86"))
    assert four.contract_quarter == 6 and four.credit_quarters == 1


def test_the_reason_shows_every_input():
    c = facts(o2a=8, o2b=2, o4=9)
    line = by_output(assess(c, q("2026/27-Q2"), {q("2026/27-Q2"): {"2a": 1, "4": 3}}, ONE))["2"]
    # target 2 + 0.5 = 2.5, actual 1 = 40%: 1.5 credits × £1,540.00 = £2,310.00
    assert line.amount == Decimal("2310.00")
    for part in (
        "2026/27-Q2",
        "contract quarter 6",
        "SW-L7-01",
        "1 achieved against a quarterly target of 2.5",
        "2a annual 8 ÷ 4 + 2b annual 2 ÷ 4",
        "= 40%",
        "at or below 70%",
        "credit_quarters = 1",
        "2.5 − 1 = 1.5 credits",
        "annual value £77,000.00 × 2",
        "× 10% ÷ annual target 10 (2a 8 + 2b 2)",
        "£1,540.00",
        "= £2,310.00",
        "apply or waive",
    ):
        assert part in line.reason, part


def test_lot_9_assesses_outputs_1_and_4():
    c = facts(lot="9", value="150000.00", o1=108, o4=48, o5=8)
    lines = by_output(assess(c, q("2026/27-Q2"), {q("2026/27-Q2"): {"1": 18, "4": 9, "5": 0}}, ONE))
    assert sorted(lines) == ["1", "4"]
    # output 1: target 27, actual 18 = 66.67%: 9 credits × (£150,000 × 2) × 10% ÷ 108
    # = 9 × £30,000 ÷ 108 = £270,000 ÷ 108 = £2,500.00 exactly (not 9 × the rounded £277.78 = £2,500.02)
    assert lines["1"].due and lines["1"].credits == 9 and lines["1"].amount == Decimal("2500.00")
    assert lines["1"].credit_value == Decimal("277.78")  # shown per credit, for reading only
    # output 4: target 12, actual 9 = 75%: above 70%, no credits
    assert lines["4"].percent == Decimal("75.00") and not lines["4"].underperforming
    assert not lines["4"].due and lines["4"].amount == Decimal("0.00") and "above 70%" in lines["4"].reason


def test_lot_9_registrations_must_be_counted():
    c = facts(lot="9", value="150000.00", o1=108, o4=48)
    lines = by_output(assess(c, q("2026/27-Q2"), {q("2026/27-Q2"): {"4": 12}}, ONE))  # no "1": not counted
    assert lines["1"].actual is None and not lines["1"].due and "no count of output 1" in lines["1"].reason
    assert lines["4"].actual == 12


def test_contract_quarter_1_is_exempt():
    c = facts(o2a=40, o4=36)
    line = by_output(assess(c, q("2025/26-Q1"), {q("2025/26-Q1"): {"2a": 0, "4": 0}}, ONE))["2"]
    assert line.contract_quarter == 1 and line.percent == 0
    assert not line.underperforming and not line.due and line.amount == Decimal("0.00")
    assert "exempt" in line.reason


def test_exactly_70_percent_is_underperformance():
    c = facts(o2a=40, o4=36)  # output 2: 10 a quarter; credit value 15,400 ÷ 40 = £385.00
    line = by_output(assess(c, q("2026/27-Q2"), {q("2026/27-Q2"): {"2a": 7, "4": 9}}, ONE))["2"]
    assert line.percent == Decimal("70.00") and line.underperforming and line.due
    assert (line.credits, line.amount) == (Decimal(3), Decimal("1155.00"))  # 3 × £385.00


def test_70_point_1_percent_gives_no_credits():
    c = facts(o2a=40, o4=4000)  # output 4: 1,000 a quarter
    line = by_output(assess(c, q("2026/27-Q2"), {q("2026/27-Q2"): {"2a": 10, "4": 701}}, ONE))["4"]
    assert line.percent == Decimal("70.10")
    assert not line.underperforming and not line.due and line.credits == 0
    assert "70.1%, above 70%" in line.reason


# One contract through six quarters: output 2 target 10 a quarter (annual 40), credit value £385.00.
SEQUENCE = {  # quarter: output 2 actual (contract quarter in the comment)
    "2025/26-Q1": 2,  # CQ1, 20%: exempt
    "2025/26-Q2": 5,  # CQ2, 50%
    "2025/26-Q3": 6,  # CQ3, 60%
    "2025/26-Q4": 8,  # CQ4, 80%: credits stop
    "2026/27-Q1": 7,  # CQ5, 70%: under again
    "2026/27-Q2": 4,  # CQ6, 40%
}
ACTUALS = {q(k): {"2a": v, "4": 9} for k, v in SEQUENCE.items()}


def _amounts(settings):
    c = facts(o2a=40, o4=36)
    return {k: by_output(assess(c, q(k), ACTUALS, settings))["2"].amount for k in SEQUENCE}


def test_credit_quarters_1_credits_every_quarter_at_or_below_70():
    assert _amounts(ONE) == {
        "2025/26-Q1": Decimal("0.00"),  # exempt
        "2025/26-Q2": Decimal("1925.00"),  # 5 × £385.00
        "2025/26-Q3": Decimal("1540.00"),  # 4 × £385.00
        "2025/26-Q4": Decimal("0.00"),  # 80%: stopped
        "2026/27-Q1": Decimal("1155.00"),  # 3 × £385.00: started again
        "2026/27-Q2": Decimal("2310.00"),  # 6 × £385.00
    }


def test_credit_quarters_2_needs_two_consecutive_quarters_and_starts_again_after_recovery():
    c = facts(o2a=40, o4=36)
    assert _amounts(TWO) == {
        "2025/26-Q1": Decimal("0.00"),  # exempt
        "2025/26-Q2": Decimal("0.00"),  # first quarter under; CQ1 does not count towards the two
        "2025/26-Q3": Decimal("1540.00"),  # second consecutive: 4 × £385.00
        "2025/26-Q4": Decimal("0.00"),  # 80%: stopped
        "2026/27-Q1": Decimal("0.00"),  # under again, but only one quarter
        "2026/27-Q2": Decimal("2310.00"),  # two consecutive again: 6 × £385.00
    }
    q2 = by_output(assess(c, q("2025/26-Q2"), ACTUALS, TWO))["2"]
    assert q2.underperforming and not q2.due and q2.run == 1  # K702 and a RAP, but no credits yet
    assert "credit_quarters = 2" in q2.reason and "contract quarter 1 (exempt)" in q2.reason
    q5 = by_output(assess(c, q("2026/27-Q1"), ACTUALS, TWO))["2"]
    assert not q5.due and "2025/26-Q4: 80%, above 70%" in q5.reason
    q6 = by_output(assess(c, q("2026/27-Q2"), ACTUALS, TWO))["2"]
    assert q6.run == 2 and "2026/27-Q1 was 7 of 10 = 70%" in q6.reason


def test_credit_quarters_2_a_missing_return_breaks_the_run():
    c = facts(o2a=40, o4=36)
    acts = {q("2026/27-Q2"): {"2a": 3, "4": 9}}  # nothing recorded for 2026/27-Q1
    line = by_output(assess(c, q("2026/27-Q2"), acts, TWO))["2"]
    assert line.underperforming and not line.due and "no return recorded" in line.reason
    assert by_output(assess(c, q("2026/27-Q2"), acts, ONE))["2"].due


def test_no_return_for_the_quarter_assesses_nothing():
    lines = assess(facts(o2a=40, o4=36), q("2026/27-Q2"), {}, ONE)
    assert [(x.output, x.actual, x.due) for x in lines] == [("2", None, False), ("4", None, False)]


def test_next_review_date_is_the_next_quarters_reporting_deadline():
    assert next_review_date(q("2026/27-Q2"), REFDATA) == date(2027, 1, 13)
    assert next_review_date(q("2025/26-Q4"), REFDATA) == date(2026, 7, 15)
    assert next_review_date(q("2027/28-Q1"), REFDATA) is None  # beyond the calendar
