"""swtool.calc.credits: the council's money, worked by hand from the specification's formulas.

Service credit value (§7.8, App 2 §4.1): (annual value × 2) × 10% ÷ annual target of the core output.
Credits due (RULES.md "Calculations"): shortfall = quarterly target − actual for a core output at or
below 70%, from contract quarter 2 (K702). K701 output variance, K703 shared outputs, K704 register
targets against Table 3's minimums, K705 suppliers' contracts and lots (§2.3).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from swtool.read.register import ContractFacts, Register, Target, read_register
from swtool.calc.credits import (SpendLine, assess, contract_quarter, core_outputs, credit_value, cumulative,
                            expenditure_variance, framework_minimum, next_review_date, output_variances,
                            q4_balancing_payment, q4_balancing_words, register_warnings, shared_cap)
from swtool.model.quarter import Quarter
from swtool.model.refdata import RefData
from swtool.model.settings import Settings

REFDATA = RefData()
ONE = Settings.defaults()                                  # credit_quarters = 1 (§7.8)
TWO = Settings({**Settings.defaults(), "credit_quarters": 2})  # App 2 §4.1
START = date(2025, 4, 1)                                   # contract quarter 1 = 2025/26-Q1


def facts(lot="7", value="77000.00", start=START, end=date(2027, 3, 31), cid=None, provider="Peckham Recovery to Work",
          **targets) -> ContractFacts:
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


# --- core outputs and contract quarters ----------------------------------------------------------

@pytest.mark.parametrize("lot, expected", [("1a", ("2", "4")), ("1c", ("2", "4")), ("3", ("2", "4")),
                                           ("8", ("2", "4")), ("9", ("1", "4"))])
def test_core_outputs(lot, expected):
    assert core_outputs(lot) == expected


def test_contract_quarter_counts_from_the_quarter_holding_the_start():
    c = facts(o2a=8)
    assert contract_quarter(c, q("2025/26-Q1")) == 1
    assert contract_quarter(c, q("2025/26-Q2")) == 2
    assert contract_quarter(c, q("2026/27-Q2")) == 6          # across the year end
    mid = facts(start=date(2025, 8, 15), o2a=8)               # starts in July–September
    assert contract_quarter(mid, q("2025/26-Q2")) == 1
    assert contract_quarter(mid, "2025/26-Q3") == 2
    assert contract_quarter(mid, q("2025/26-Q1")) == 0        # before the contract


# --- credit value ------------------------------------------------------------------------------

def test_credit_value_lot_7_from_the_brief():
    # (77,000 × 2) × 10% ÷ 10 = 15,400 ÷ 10 = £1,540.00; output 2 = 2a 8 + 2b 2
    assert credit_value(facts(o2a=8, o2b=2), "2") == Decimal("1540.00")
    assert credit_value(facts(o2=10), "2") == Decimal("1540.00")       # a combined register row
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
    for part in ("2026/27-Q2", "contract quarter 6", "SW-L7-01", "1 achieved against a quarterly target of 2.5",
                 "2a annual 8 ÷ 4 + 2b annual 2 ÷ 4", "= 40%", "at or below 70%", "credit_quarters = 1",
                 "2.5 − 1 = 1.5 credits", "annual value £77,000.00 × 2", "× 10% ÷ annual target 10 (2a 8 + 2b 2)",
                 "£1,540.00", "= £2,310.00", "apply or waive"):
        assert part in line.reason, part


def test_lot_9_assesses_outputs_1_and_4():
    c = facts(lot="9", value="150000.00", o1=108, o4=48, o5=8)
    lines = by_output(assess(c, q("2026/27-Q2"), {q("2026/27-Q2"): {"1": 18, "4": 9, "5": 0}}, ONE))
    assert sorted(lines) == ["1", "4"]
    # output 1: target 27, actual 18 = 66.67%: 9 credits × (£150,000 × 2) × 10% ÷ 108
    # = 9 × £30,000 ÷ 108 = £270,000 ÷ 108 = £2,500.00 exactly (not 9 × the rounded £277.78 = £2,500.02)
    assert lines["1"].due and lines["1"].credits == 9 and lines["1"].amount == Decimal("2500.00")
    assert lines["1"].credit_value == Decimal("277.78")   # shown per credit, for reading only
    # output 4: target 12, actual 9 = 75%: above 70%, no credits
    assert lines["4"].percent == Decimal("75.00") and not lines["4"].underperforming
    assert not lines["4"].due and lines["4"].amount == Decimal("0.00") and "above 70%" in lines["4"].reason


def test_lot_9_registrations_must_be_counted():
    c = facts(lot="9", value="150000.00", o1=108, o4=48)
    lines = by_output(assess(c, q("2026/27-Q2"), {q("2026/27-Q2"): {"4": 12}}, ONE))   # no "1": not counted
    assert lines["1"].actual is None and not lines["1"].due and "no count of output 1" in lines["1"].reason
    assert lines["4"].actual == 12


def test_contract_quarter_1_is_exempt():
    c = facts(o2a=40, o4=36)
    line = by_output(assess(c, q("2025/26-Q1"), {q("2025/26-Q1"): {"2a": 0, "4": 0}}, ONE))["2"]
    assert line.contract_quarter == 1 and line.percent == 0
    assert not line.underperforming and not line.due and line.amount == Decimal("0.00")
    assert "exempt" in line.reason


def test_exactly_70_percent_is_underperformance():
    c = facts(o2a=40, o4=36)                 # output 2: 10 a quarter; credit value 15,400 ÷ 40 = £385.00
    line = by_output(assess(c, q("2026/27-Q2"), {q("2026/27-Q2"): {"2a": 7, "4": 9}}, ONE))["2"]
    assert line.percent == Decimal("70.00") and line.underperforming and line.due
    assert (line.credits, line.amount) == (Decimal(3), Decimal("1155.00"))     # 3 × £385.00


def test_70_point_1_percent_gives_no_credits():
    c = facts(o2a=40, o4=4000)               # output 4: 1,000 a quarter
    line = by_output(assess(c, q("2026/27-Q2"), {q("2026/27-Q2"): {"2a": 10, "4": 701}}, ONE))["4"]
    assert line.percent == Decimal("70.10")
    assert not line.underperforming and not line.due and line.credits == 0
    assert "70.1%, above 70%" in line.reason


# One contract through six quarters: output 2 target 10 a quarter (annual 40), credit value £385.00.
SEQUENCE = {  # quarter: output 2 actual (contract quarter in the comment)
    "2025/26-Q1": 2,   # CQ1, 20%: exempt
    "2025/26-Q2": 5,   # CQ2, 50%
    "2025/26-Q3": 6,   # CQ3, 60%
    "2025/26-Q4": 8,   # CQ4, 80%: credits stop
    "2026/27-Q1": 7,   # CQ5, 70%: under again
    "2026/27-Q2": 4,   # CQ6, 40%
}
ACTUALS = {q(k): {"2a": v, "4": 9} for k, v in SEQUENCE.items()}


def _amounts(settings):
    c = facts(o2a=40, o4=36)
    return {k: by_output(assess(c, q(k), ACTUALS, settings))["2"].amount for k in SEQUENCE}


def test_credit_quarters_1_credits_every_quarter_at_or_below_70():
    assert _amounts(ONE) == {
        "2025/26-Q1": Decimal("0.00"),       # exempt
        "2025/26-Q2": Decimal("1925.00"),    # 5 × £385.00
        "2025/26-Q3": Decimal("1540.00"),    # 4 × £385.00
        "2025/26-Q4": Decimal("0.00"),       # 80%: stopped
        "2026/27-Q1": Decimal("1155.00"),    # 3 × £385.00: started again
        "2026/27-Q2": Decimal("2310.00"),    # 6 × £385.00
    }


def test_credit_quarters_2_needs_two_consecutive_quarters_and_starts_again_after_recovery():
    c = facts(o2a=40, o4=36)
    assert _amounts(TWO) == {
        "2025/26-Q1": Decimal("0.00"),       # exempt
        "2025/26-Q2": Decimal("0.00"),       # first quarter under; CQ1 does not count towards the two
        "2025/26-Q3": Decimal("1540.00"),    # second consecutive: 4 × £385.00
        "2025/26-Q4": Decimal("0.00"),       # 80%: stopped
        "2026/27-Q1": Decimal("0.00"),       # under again, but only one quarter
        "2026/27-Q2": Decimal("2310.00"),    # two consecutive again: 6 × £385.00
    }
    q2 = by_output(assess(c, q("2025/26-Q2"), ACTUALS, TWO))["2"]
    assert q2.underperforming and not q2.due and q2.run == 1      # K702 and a RAP, but no credits yet
    assert "credit_quarters = 2" in q2.reason and "contract quarter 1 (exempt)" in q2.reason
    q5 = by_output(assess(c, q("2026/27-Q1"), ACTUALS, TWO))["2"]
    assert not q5.due and "2025/26-Q4: 80%, above 70%" in q5.reason
    q6 = by_output(assess(c, q("2026/27-Q2"), ACTUALS, TWO))["2"]
    assert q6.run == 2 and "2026/27-Q1 was 7 of 10 = 70%" in q6.reason


def test_credit_quarters_2_a_missing_return_breaks_the_run():
    c = facts(o2a=40, o4=36)
    acts = {q("2026/27-Q2"): {"2a": 3, "4": 9}}                 # nothing recorded for 2026/27-Q1
    line = by_output(assess(c, q("2026/27-Q2"), acts, TWO))["2"]
    assert line.underperforming and not line.due and "no return recorded" in line.reason
    assert by_output(assess(c, q("2026/27-Q2"), acts, ONE))["2"].due


def test_no_return_for_the_quarter_assesses_nothing():
    lines = assess(facts(o2a=40, o4=36), q("2026/27-Q2"), {}, ONE)
    assert [(x.output, x.actual, x.due) for x in lines] == [("2", None, False), ("4", None, False)]


# --- K701 --------------------------------------------------------------------------------------

def test_k701_output_variance_at_20_and_30_percent():
    c = facts(o2a=40, o4=40, o5=20)          # quarterly targets 10, 10, 5
    acts = {q("2026/27-Q2"): {"2a": 7, "4": 8, "5": 7}}    # −30%, −20%, +40%
    at20 = output_variances(c, q("2026/27-Q2"), acts, Settings.defaults())
    assert [(v.output, v.percent) for v in at20] == [("2a", Decimal("-30.00")), ("5", Decimal("40.00"))]
    assert "more than 20% (setting output_variance_percent = 20, App 2 §1.3)" in at20[0].message
    at30 = output_variances(c, q("2026/27-Q2"), acts, Settings({**Settings.defaults(), "output_variance_percent": 30}))
    assert [v.output for v in at30] == ["5"]                 # exactly 30% under is within 30%
    every = output_variances(c, q("2026/27-Q2"), acts, Settings.defaults(), only_exceeding=False)
    assert [(v.output, v.exceeds) for v in every] == [("2a", True), ("4", False), ("5", True)]


# --- K703 --------------------------------------------------------------------------------------

def test_k703_shared_outputs_exactly_20_percent_is_quiet():
    claims = [("2a", "Bermondsey Pathways CIC"), ("2a", None), ("2b", ""), ("2a", None), ("2b", None),
              ("4", "Bermondsey Pathways CIC"), ("3a", "Walworth Young Futures")]   # other outputs do not count
    cap = shared_cap(claims)
    assert (cap.job_starts, cap.shared, cap.percent, cap.over) == (5, 1, Decimal("20.00"), False)


def test_k703_shared_outputs_over_20_percent():
    claims = [{"Output": "2a", "Shared with provider": "Bermondsey Pathways CIC"},
              {"Output": "2b", "Shared with provider": "Nunhead Families into Work"}] + \
             [{"Output": "2a", "Shared with provider": None}] * 7
    cap = shared_cap(claims)
    assert (cap.job_starts, cap.shared, cap.over) == (9, 2, True)
    assert "2 of 9" in cap.message and "22.2%" in cap.message


# --- K704 --------------------------------------------------------------------------------------

def _register_workbook(path: Path, contracts: list[tuple], targets: list[tuple]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Contracts"
    ws.append(["Contract ID", "Provider", "Lot", "Start date", "End date", "Annual value", "Funding paid to date"])
    for row in contracts:
        ws.append(list(row))
    ws = wb.create_sheet("Targets")
    ws.append(["Contract ID", "Output", "Annual target", "Q1 profile", "Q2 profile", "Q3 profile", "Q4 profile"])
    for row in targets:
        ws.append(list(row))
    wb.create_sheet("Budget").append(["Contract ID", "Financial year", "Quarter", "Category", "Budget item",
                                      "Budgeted amount"])
    wb.create_sheet("Milestones").append(["Contract ID", "Milestone", "Due date"])
    wb.save(path)
    return path


@pytest.fixture
def register(tmp_path) -> Register:
    d0, d1 = date(2025, 4, 1), date(2027, 3, 31)
    path = _register_workbook(tmp_path / "register.xlsx", [
        ("SW-L1A-01", "Walworth Young Futures", "1a", d0, d1, 143000, None),    # row 2
        ("SW-L3-01", "Bermondsey Pathways CIC", "3", d0, d1, 159500, None),     # row 3
        ("SW-L9-01", "Camberwell Progress Partnership", "9", d0, d1, 150000, None),  # row 4
    ], [
        ("SW-L1A-01", "2a", 16), ("SW-L1A-01", "2b", 8), ("SW-L1A-01", "4", 16),   # rows 2–4: 24 and 16
        ("SW-L3-01", "2a", 36), ("SW-L3-01", "2b", 4), ("SW-L3-01", "4", 20),      # rows 5–7: 40 and 20
        ("SW-L9-01", "1", 100), ("SW-L9-01", "4", 45),                             # rows 8–9
    ])
    return read_register(path, REFDATA)


def _k704(register, which):
    settings = Settings({**Settings.defaults(), "framework_minimum": which})
    return [(w.contract_ids[0], w.cell) for w in register_warnings(register, REFDATA, settings) if w.code == "K704"]


def test_k704_lower_framework_minimum(register):
    # lot 1a: 2a 16 + 2b 8 = 24 ≥ 20; 4: 16 ≥ 16.  lot 3: 40 ≥ 40 (equal is fine); 4: 20 < 21.
    # lot 9: output 1 100 < 107; 4: 45 ≥ 45.
    assert _k704(register, "lower") == [("SW-L3-01", "Targets!C7"), ("SW-L9-01", "Targets!C8")]


def test_k704_higher_framework_minimum(register):
    # lot 1a: 24 < 32; lot 3: 40 < 42 (and output 4 as before); lot 9 has no output 2
    assert _k704(register, "higher") == [("SW-L1A-01", "Targets!C2 + Targets!C3"), ("SW-L3-01", "Targets!C5 + Targets!C6"),
                                         ("SW-L3-01", "Targets!C7"), ("SW-L9-01", "Targets!C8")]
    settings = Settings({**Settings.defaults(), "framework_minimum": "higher"})
    msg = next(w.message for w in register_warnings(register, REFDATA, settings) if w.contract_ids == ("SW-L1A-01",))
    assert msg.startswith("Targets!C2 + Targets!C3: contract SW-L1A-01 (lot 1a) annual target for output 2 is "
                          "24 (2a 16 + 2b 8), below the lot's framework minimum of 32")
    assert "framework_minimum = higher" in msg


def test_k704_a_missing_core_target_is_below_the_minimum():
    c = facts(lot="5", value="165000.00", o2a=40, o2b=3)            # 43 ≥ 43, but no output 4
    ws = register_warnings(Register(Path("r.xlsx"), {c.contract_id: c}), REFDATA, Settings.defaults())
    assert [(w.code, w.value) for w in ws] == [("K704", None)]
    assert "no annual target for core output 4; the framework minimum is 22" in ws[0].message


def test_framework_minimum_reads_table_3():
    low, high = Settings.defaults(), Settings({**Settings.defaults(), "framework_minimum": "higher"})
    assert [framework_minimum(REFDATA, "6", "2", s) for s in (low, high)] == [20, 38]
    assert framework_minimum(REFDATA, "9", "1", low) == 107 and framework_minimum(REFDATA, "9", "4", low) == 45


# --- K705 --------------------------------------------------------------------------------------

def _contract(cid, lot, start, end, provider="Southwark Skills Trust"):
    return ContractFacts(cid, provider, lot, start, end, Decimal("100000.00"), targets={
        "2a": Target("2a", 50), "4": Target("4", 50), "1": Target("1", 200)})


def _k705(contracts):
    reg = Register(Path("r.xlsx"), {c.contract_id: c for c in contracts})
    return [w for w in register_warnings(reg, REFDATA, Settings.defaults()) if w.code == "K705"]


def test_k705_four_contracts_at_once():
    held = [_contract(f"SW-{i}", lot, date(2025, 4, 1), date(2027, 3, 31)) for i, lot in enumerate("2345")]
    held[3] = _contract("SW-3", "5", date(2026, 1, 1), date(2027, 12, 31), provider="southwark  skills trust")
    [w] = _k705(held)
    assert w.contract_ids == ("SW-0", "SW-1", "SW-2", "SW-3") and w.value == 4
    assert "holds 4 contracts at once on 01/01/2026" in w.message and "at most 3" in w.message


def test_k705_three_at_once_is_quiet_when_the_fourth_starts_after_one_ends():
    held = [_contract("SW-0", "2", date(2025, 4, 1), date(2026, 3, 31)),
            _contract("SW-1", "3", date(2025, 4, 1), date(2027, 3, 31)),
            _contract("SW-2", "4", date(2025, 4, 1), date(2027, 3, 31)),
            _contract("SW-3", "5", date(2026, 4, 1), date(2028, 3, 31))]
    assert _k705(held) == []


def test_k705_six_lots():
    # one at a time, two years each, on lots 2–7: never more than one held, but six lots
    held = [_contract(f"SW-{lot}", lot, date(2015 + 2 * i, 4, 1), date(2017 + 2 * i, 3, 31))
            for i, lot in enumerate("234567")]
    [w] = _k705(held)
    assert w.value == 6 and "contracts on 6 lots (2, 3, 4, 5, 6, 7)" in w.message and "at most 5 lots" in w.message


def test_k705_sub_lots_are_one_lot():
    lots = ["1a", "1b", "2", "3", "4", "5"]                        # lots 1–5: five lots
    held = [_contract(f"SW-{lot}", lot, date(2015 + 2 * i, 4, 1), date(2017 + 2 * i, 3, 31))
            for i, lot in enumerate(lots)]
    assert _k705(held) == []


def test_k705_names_the_register_cells(register):
    assert [w.code for w in register_warnings(register, REFDATA, Settings.defaults())] == ["K704", "K704"]
    c = next(iter(register.contracts.values()))
    assert c.cells["Provider"] == "Contracts!B2"


# --- money: expenditure, the Q4 payment, to date ----------------------------------------------

def test_expenditure_variance_on_the_worked_example_of_app_2_3_2():
    lines = [SpendLine("Project manager 0.5 FTE", Decimal("3000"), Decimal("3000"), "Staff and management"),
             SpendLine("Caseworker 2 FTE", Decimal("11650"), Decimal("11650"), "Staff and management"),
             SpendLine("Food safety courses", Decimal("1500"), Decimal("1350"), "Beneficiary"),
             SpendLine("Interview clothing", Decimal("200"), Decimal("250"), "Beneficiary"),
             SpendLine("Client travel expenses", Decimal("500"), Decimal("490"), "Beneficiary"),
             {"Category": "Delivery", "Budget item": "Delivery costs", "Budgeted amount": 200, "Actual spend": 205}]
    ev = expenditure_variance(lines)
    variances = {v.item: (v.variance, v.over) for v in ev.lines}
    assert variances["Food safety courses"] == (Decimal("-150.00"), False)     # exactly 10% under: within
    assert variances["Interview clothing"] == (Decimal("50.00"), True)         # 25% over
    assert variances["Client travel expenses"] == (Decimal("-10.00"), False)
    # Quarter One total: £17,050.00 budgeted, £16,945.00 spent, variance −£105.00 (0.6%)
    assert (ev.total.budgeted, ev.total.actual, ev.total.variance, ev.total.over) == (
        Decimal("17050.00"), Decimal("16945.00"), Decimal("-105.00"), False)
    assert [v.item for v in ev.over] == ["Interview clothing"]
    assert "actual £250.00 against budgeted £200.00, variance £50.00 (25% over budget)" in ev.over[0].message


def test_expenditure_variance_quarter_total_over_10_percent():
    ev = expenditure_variance([SpendLine("Adviser", Decimal("9000"), Decimal("7650")),
                               SpendLine("Room hire", Decimal("0"), Decimal("120"))])
    assert ev.lines[1].over and ev.lines[1].percent is None                  # spend against a £0 budget
    assert ev.total.variance == Decimal("-1230.00") and ev.total.percent == Decimal("-13.67") and ev.total.over


def test_q4_balancing_payment():
    # App 2 §3.1c: total eligible expenditure to date − funding paid to date
    assert q4_balancing_payment(Decimal("60000.00"), Decimal("55000.50")) == Decimal("4999.50")
    assert q4_balancing_payment(50000, "52500.25") == Decimal("-2500.25")       # paid more than spent
    assert q4_balancing_payment(0.1 + 0.2, 0) == Decimal("0.30")
    assert q4_balancing_words(Decimal("50000"), Decimal("52500.25")).endswith("= -£2,500.25, due back from the provider")


def test_cumulative_to_date_against_profile():
    c = facts(start=date(2026, 4, 1), o2a=(40, (None, 12, None, None)), o4=36)
    acts = {q("2026/27-Q1"): {"2a": 8, "4": 9}, q("2026/27-Q2"): {"2a": 5, "4": 10}}
    lines = {x.output: x for x in cumulative(c, q("2026/27-Q2"), acts)}
    # output 2: targets 10 (annual ÷ 4) + 12 (Q2 profile) = 22; actual 8 + 5 = 13 = 59.09%
    assert (lines["2"].target_to_date, lines["2"].actual_to_date, lines["2"].percent) == (22, 13, Decimal("59.09"))
    assert (lines["4"].target_to_date, lines["4"].actual_to_date, lines["4"].percent) == (18, 19, Decimal("105.56"))
    gap = {x.output: x for x in cumulative(c, q("2026/27-Q3"), acts)}["2"]
    assert gap.missing == (q("2026/27-Q3"),) and gap.target_to_date == 32 and "counted 0" in gap.message


def test_next_review_date_is_the_next_quarters_reporting_deadline():
    assert next_review_date(q("2026/27-Q2"), REFDATA) == date(2027, 1, 13)
    assert next_review_date(q("2025/26-Q4"), REFDATA) == date(2026, 7, 15)
    assert next_review_date(q("2027/28-Q1"), REFDATA) is None                  # beyond the calendar


# --- K706 --------------------------------------------------------------------------------------

def _k706(*contracts):
    reg = Register(Path("r.xlsx"), {c.contract_id: c for c in contracts})
    return [w for w in register_warnings(reg, REFDATA, Settings.defaults()) if w.code == "K706"]


def test_k706_annual_value_over_the_lot_maximum():
    # lot 7's Table 1 maximum is £77,000 a year: £77,000.01 is over it
    c = facts(lot="7", value="77000.01", o2a=10, o4=9)
    [w] = _k706(c)
    assert w.contract_ids == ("SW-L7-01",)
    assert "annual value of £77,000.01, over the lot's maximum annual value of £77,000.00 (§2 Table 1)" in w.message


def test_k706_quiet_at_the_maximum_and_for_sub_lots():
    assert _k706(facts(lot="7", value="77000.00", o2a=10, o4=9)) == []
    # sub-lot 1b: lot 1's maximum £143,000
    assert _k706(facts(lot="1b", value="143000.00", o2a=20, o4=16)) == []
    assert len(_k706(facts(lot="1b", value="143000.50", o2a=20, o4=16))) == 1
