"""swtool.calc.variances: K701 output variances and spend against budget, worked by hand."""

from __future__ import annotations

from decimal import Decimal

from swtool.calc.variances import SpendLine, expenditure_variance, output_variances
from swtool.model.settings import Settings
from tests.unit.calc.test_credits import facts, q

# --- K701 --------------------------------------------------------------------------------------


def test_k701_output_variance_at_20_and_30_percent():
    c = facts(o2a=40, o4=40, o5=20)  # quarterly targets 10, 10, 5
    acts = {q("2026/27-Q2"): {"2a": 7, "4": 8, "5": 7}}  # −30%, −20%, +40%
    at20 = output_variances(c, q("2026/27-Q2"), acts, Settings.defaults())
    assert [(v.output, v.percent) for v in at20] == [("2a", Decimal("-30.00")), ("5", Decimal("40.00"))]
    assert "more than 20% (setting output_variance_percent = 20, App 2 §1.3)" in at20[0].message
    at30 = output_variances(c, q("2026/27-Q2"), acts, Settings({**Settings.defaults(), "output_variance_percent": 30}))
    assert [v.output for v in at30] == ["5"]  # exactly 30% under is within 30%
    every = output_variances(c, q("2026/27-Q2"), acts, Settings.defaults(), only_exceeding=False)
    assert [(v.output, v.exceeds) for v in every] == [("2a", True), ("4", False), ("5", True)]


# --- spend against budget ------------------------------------------------------------------


def test_expenditure_variance_on_the_worked_example_of_app_2_3_2():
    lines = [
        SpendLine("Project manager 0.5 FTE", Decimal("3000"), Decimal("3000"), "Staff and management"),
        SpendLine("Caseworker 2 FTE", Decimal("11650"), Decimal("11650"), "Staff and management"),
        SpendLine("Food safety courses", Decimal("1500"), Decimal("1350"), "Beneficiary"),
        SpendLine("Interview clothing", Decimal("200"), Decimal("250"), "Beneficiary"),
        SpendLine("Client travel expenses", Decimal("500"), Decimal("490"), "Beneficiary"),
        {"Category": "Delivery", "Budget item": "Delivery costs", "Budgeted amount": 200, "Actual spend": 205},
    ]
    ev = expenditure_variance(lines)
    variances = {v.item: (v.variance, v.over) for v in ev.lines}
    assert variances["Food safety courses"] == (Decimal("-150.00"), False)  # exactly 10% under: within
    assert variances["Interview clothing"] == (Decimal("50.00"), True)  # 25% over
    assert variances["Client travel expenses"] == (Decimal("-10.00"), False)
    # Quarter One total: £17,050.00 budgeted, £16,945.00 spent, variance −£105.00 (0.6%)
    assert (ev.total.budgeted, ev.total.actual, ev.total.variance, ev.total.over) == (
        Decimal("17050.00"),
        Decimal("16945.00"),
        Decimal("-105.00"),
        False,
    )
    assert [v.item for v in ev.over] == ["Interview clothing"]
    assert "actual £250.00 against budgeted £200.00, variance £50.00 (25% over budget)" in ev.over[0].message


def test_expenditure_variance_quarter_total_over_10_percent():
    ev = expenditure_variance(
        [SpendLine("Adviser", Decimal("9000"), Decimal("7650")), SpendLine("Room hire", Decimal("0"), Decimal("120"))]
    )
    assert ev.lines[1].over and ev.lines[1].percent is None  # spend against a £0 budget
    assert ev.total.variance == Decimal("-1230.00") and ev.total.percent == Decimal("-13.67") and ev.total.over
