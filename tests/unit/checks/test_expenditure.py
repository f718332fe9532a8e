"""X — expenditure (X401–X409): each rule fires on a bad line and keeps quiet on the near miss.

The default return is 2026/27 Q2 (last day 30/09/2026); the default contract runs 01/04/2025 to
31/03/2027 and budgets "Employment adviser 1 FTE" at £9,000 for the quarter. Tests of one rule look at
that rule's findings only.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from builders import QUARTER, QUARTER_FY, check, contract, expenditure_line, found, only, write_return
from swtool import catalogue
from swtool.findings import Flag
from swtool.read.register import BudgetLine

ADVISER = "Employment adviser 1 FTE"


def tx(**overrides) -> dict:
    t = {
        "Budget item": ADVISER,
        "Date defrayed": date(2026, 9, 25),
        "Description": "Adviser salary September",
        "Amount": 9000,
        "Includes recoverable VAT": "No",
        "Internal recharge": "No",
    }
    t.update(overrides)
    return t


def run(tmp_path, expenditure=None, transactions=None, **kw):
    path = write_return(tmp_path, expenditure=expenditure, transactions=transactions)
    kw.setdefault("contract", contract())
    return check(path, **kw)


def test_default_return_has_no_x_findings(tmp_path):
    report = run(tmp_path, transactions=[tx()])
    assert [f.code for f in report.findings if f.code.startswith("X")] == []


# --- X401 ------------------------------------------------------------------------------------------


def test_x401_item_not_in_the_budget(tmp_path):
    lines = [
        expenditure_line(),
        expenditure_line(
            **{"Category": "Delivery", "Budget item": "Stationery", "Budgeted amount": 0, "Actual spend": 0}
        ),
    ]
    f = only(run(tmp_path, lines), "X401")
    assert (f.cell, f.severity) == ("Expenditure!B3", "error")
    assert "'Stationery' is not a heading of contract SW-L3-01's budget (Employment adviser 1 FTE)" in f.message


def test_x401_heading_matched_forgiving_case_and_spaces(tmp_path):
    lines = [expenditure_line(**{"Budget item": "employment  adviser 1 fte"})]
    assert found(run(tmp_path, lines), "X401") == []


def test_x401_without_a_contract_is_not_checked(tmp_path):
    report = run(tmp_path, contract=None)
    f = only(report, "X401")
    assert f.severity == "info" and f.message.startswith("not checked")


# --- X402 ------------------------------------------------------------------------------------------


def test_x402_variance_over_ten_per_cent_without_comment(tmp_path):
    f = only(run(tmp_path, [expenditure_line(**{"Actual spend": 9900.01})]), "X402")
    assert (f.cell, f.severity) == ("Expenditure!G2", "error")
    assert "actual spend £9,900.01 is £900.01 over the budgeted £9,000.00 (10.0001% of it)" in f.message


def test_x402_exactly_ten_per_cent_is_quiet(tmp_path):
    assert found(run(tmp_path, [expenditure_line(**{"Actual spend": 9900})]), "X402") == []
    assert found(run(tmp_path, [expenditure_line(**{"Actual spend": 8100})]), "X402") == []


def test_x402_underspend_over_ten_per_cent(tmp_path):
    f = only(run(tmp_path, [expenditure_line(**{"Actual spend": 8099.99})]), "X402")
    assert "£900.01 under the budgeted £9,000.00" in f.message


def test_x402_comment_explains_it(tmp_path):
    line = expenditure_line(**{"Actual spend": 7000, "Comment": "Adviser on leave for three weeks; temporary."})
    assert found(run(tmp_path, [line]), "X402") == []


def test_x402_spend_against_a_zero_budget(tmp_path):
    f = only(run(tmp_path, [expenditure_line(**{"Budgeted amount": 0, "Actual spend": 10})]), "X402")
    assert f.cell == "Expenditure!G2" and "£10.00 over the budgeted £0.00" in f.message


def test_x402_match_funding_is_not_spend(tmp_path):
    line = expenditure_line(**{"Match funding": 2000})
    assert found(run(tmp_path, [line]), "X402") == []


# --- X403 ------------------------------------------------------------------------------------------


def test_x403_defrayed_after_the_quarter(tmp_path):
    report = run(tmp_path, transactions=[tx(**{"Date defrayed": date(2026, 10, 1), "Internal recharge": "Yes"})])
    f = only(report, "X403")
    assert (f.cell, f.severity) == ("Transactions!B2", "error")
    assert "defrayed on 01/10/2026, after the quarter's last day 30/09/2026" in f.message
    assert "internal recharge" in f.message


def test_x403_last_day_of_the_quarter_is_quiet(tmp_path):
    assert found(run(tmp_path, transactions=[tx(**{"Date defrayed": date(2026, 9, 30)})]), "X403") == []


def test_x403_without_transactions_sheet_is_quiet(tmp_path):
    assert found(run(tmp_path, [expenditure_line(**{"Actual spend": 9000})]), "X403") == []


# --- X409 ------------------------------------------------------------------------------------------


def earlier_return(tmp_path, transactions):
    """The contract's 2026/27 Q1 return, listing these transactions."""
    return write_return(
        tmp_path,
        "q1.xlsx",
        cover_values={"Quarter": "Q1", "Date submitted": date(2026, 7, 9)},
        transactions=transactions,
    )


def test_x409_defrayed_before_the_quarter_is_a_warning(tmp_path):
    report = run(tmp_path, transactions=[tx(**{"Date defrayed": date(2026, 6, 30), "Internal recharge": "Yes"})])
    f = only(report, "X409")
    assert (f.cell, f.severity) == ("Transactions!B2", "warning")
    assert (
        "'Adviser salary September' (£9,000.00, 'Employment adviser 1 FTE') was defrayed on 30/06/2026, "
        "before the quarter's first day 01/07/2026" in f.message
    )
    assert "internal recharge" in f.message and "within the quarter" in f.message
    assert "earlier returns were not given" in f.message


def test_x409_already_claimed_in_an_earlier_return_is_an_error(tmp_path):
    june = {"Date defrayed": date(2026, 6, 30), "Description": "Adviser salary June"}
    earlier = earlier_return(tmp_path, [tx(**june)])
    path = write_return(tmp_path, transactions=[tx(**{**june, "Description": "adviser  salary JUNE"})])
    f = only(check(path, contract=contract(), history=[earlier]), "X409")
    assert (f.cell, f.severity) == ("Transactions!B2", "error")
    assert "already claimed in the 2026/27 Q1 return" in f.message and "claimed once" in f.message


def test_x409_another_transaction_of_an_earlier_return_leaves_a_warning(tmp_path):
    earlier = earlier_return(tmp_path, [tx(**{"Date defrayed": date(2026, 6, 30), "Amount": 8999.99})])
    path = write_return(tmp_path, transactions=[tx(**{"Date defrayed": date(2026, 6, 30)})])
    f = only(check(path, contract=contract(), history=[earlier]), "X409")
    assert f.severity == "warning" and "already claimed" not in f.message and "not given" not in f.message


def test_x409_quiet_from_the_first_day_and_before_the_contract(tmp_path):
    report = run(
        tmp_path,
        transactions=[
            tx(**{"Date defrayed": date(2026, 7, 1), "Amount": 4500}),
            tx(**{"Date defrayed": date(2025, 3, 31), "Amount": 4500}),
        ],
    )
    assert found(report, "X409") == [] and [f.cell for f in found(report, "X404")] == ["Transactions!B3"]


def test_x409_declares_its_error_variant_and_other_rules_cannot_raise():
    x409, x408 = catalogue.get("X409"), catalogue.get("X408")
    assert (x409.severity, x409.raises_to) == ("warning", "error")
    assert x409.from_flag(Flag("repeat", severity="error")).severity == "error"
    assert x408.from_flag(Flag("note", severity="info")).severity == "info"
    with pytest.raises(ValueError, match="X408"):
        x408.from_flag(Flag("too strong", severity="error"))


# --- X404 ------------------------------------------------------------------------------------------


def test_x404_before_the_contract_start(tmp_path):
    report = run(tmp_path, transactions=[tx(**{"Date defrayed": date(2025, 3, 31)})])
    f = only(report, "X404")
    assert (f.cell, f.severity) == ("Transactions!B2", "error")
    assert "01/04/2025 to 31/03/2027" in f.message and "before the contract's start" in f.message


def test_x404_after_the_contract_end(tmp_path):
    report = run(
        tmp_path, transactions=[tx(**{"Date defrayed": date(2026, 9, 16)})], contract=contract(end=date(2026, 9, 15))
    )
    f = only(report, "X404")
    assert f.cell == "Transactions!B2" and "after the contract's end" in f.message


def test_x404_first_and_last_day_of_the_contract_are_quiet(tmp_path):
    report = run(
        tmp_path,
        transactions=[
            tx(**{"Date defrayed": date(2025, 4, 1), "Amount": 4500}),
            tx(**{"Date defrayed": date(2026, 9, 15), "Amount": 4500}),
        ],
        contract=contract(end=date(2026, 9, 15)),
    )
    assert found(report, "X404") == []


# --- X405 ------------------------------------------------------------------------------------------


def test_x405_recoverable_vat(tmp_path):
    f = only(run(tmp_path, transactions=[tx(**{"Includes recoverable VAT": "Yes"})]), "X405")
    assert (f.cell, f.severity) == ("Transactions!E2", "error")
    assert "'Adviser salary September' (£9,000.00) includes recoverable VAT" in f.message


def test_x405_no_vat_is_quiet(tmp_path):
    assert found(run(tmp_path, transactions=[tx()]), "X405") == []


# --- X406 ------------------------------------------------------------------------------------------


def test_x406_transactions_short_of_actual_spend(tmp_path):
    report = run(tmp_path, transactions=[tx(**{"Amount": 4000}), tx(**{"Amount": 4999.98})])
    f = only(report, "X406")
    assert (f.cell, f.severity) == ("Expenditure!D2", "error")
    assert "actual spend £9,000.00" in f.message and "2 transactions totalling £8,999.98" in f.message


def test_x406_a_penny_out_is_tolerated(tmp_path):
    assert found(run(tmp_path, transactions=[tx(**{"Amount": 4000}), tx(**{"Amount": 4999.99})]), "X406") == []


def test_x406_item_with_no_transactions(tmp_path):
    lines = [
        expenditure_line(),
        expenditure_line(
            **{"Category": "Delivery", "Budget item": "Room hire", "Budgeted amount": 0, "Actual spend": 150}
        ),
    ]
    f = only(run(tmp_path, lines, transactions=[tx()]), "X406")
    assert f.cell == "Expenditure!D3" and "actual spend £150.00 for 'Room hire'" in f.message
    assert "lists no transactions for it" in f.message


def test_x406_not_checked_on_an_empty_transactions_sheet(tmp_path):
    # the template always has the sheet; with no rows the breakdown was simply not given
    assert found(run(tmp_path, transactions=[]), "X406") == []


def test_x406_transactions_for_an_item_not_on_the_expenditure_sheet(tmp_path):
    report = run(tmp_path, transactions=[tx(), tx(**{"Budget item": "Room hire", "Amount": 120})])
    f = only(report, "X406")
    assert f.cell == "Transactions!A3" and "£120.00 for 'Room hire', which has no line" in f.message


def test_x406_not_checked_without_a_transactions_sheet(tmp_path):
    assert found(run(tmp_path), "X406") == []


# --- X407 ------------------------------------------------------------------------------------------


def test_x407_negative_budget_and_spend(tmp_path):
    report = run(tmp_path, [expenditure_line(**{"Budgeted amount": -1, "Actual spend": -0.01})])
    assert [[f.cell, f.severity] for f in found(report, "X407")] == [
        ["Expenditure!C2", "error"],
        ["Expenditure!D2", "error"],
    ]
    assert "Budgeted amount -£1.00" in found(report, "X407")[0].message


def test_x407_zero_is_quiet(tmp_path):
    report = run(tmp_path, [expenditure_line(**{"Budgeted amount": 0, "Actual spend": 0})])
    assert found(report, "X407") == []


# --- X408 ------------------------------------------------------------------------------------------


def test_x408_budgeted_amount_differs_from_the_register(tmp_path):
    line = expenditure_line(**{"Budgeted amount": 9500, "Actual spend": 9500})
    f = only(run(tmp_path, [line]), "X408")
    assert (f.cell, f.severity) == ("Expenditure!C2", "warning")
    assert "£9,500.00 for 'Employment adviser 1 FTE'" in f.message and "budgets £9,000.00 in 2026/27 Q2" in f.message


def test_x408_heading_not_budgeted_this_quarter(tmp_path):
    c = contract(
        budget=[
            BudgetLine(QUARTER_FY, QUARTER, "Staff and management", ADVISER, Decimal("9000.00")),
            BudgetLine(QUARTER_FY, "Q3", "Delivery", "Room hire", Decimal("300.00")),
        ]
    )
    lines = [
        expenditure_line(),
        expenditure_line(
            **{"Category": "Delivery", "Budget item": "Room hire", "Budgeted amount": 300, "Actual spend": 300}
        ),
    ]
    report = run(tmp_path, lines, contract=c)
    f = only(report, "X408")
    assert f.cell == "Expenditure!C3" and "has no budget for it in 2026/27 Q2" in f.message
    assert found(report, "X401") == []


def test_x408_same_amount_is_quiet(tmp_path):
    assert found(run(tmp_path, [expenditure_line(**{"Budgeted amount": 9000.00})]), "X408") == []


def test_x408_register_without_a_budget_for_the_quarter_warns_once(tmp_path):
    c = contract(budget=[BudgetLine(QUARTER_FY, "Q3", "Staff and management", ADVISER, Decimal("9000.00"))])
    report = run(
        tmp_path, [expenditure_line(), expenditure_line(**{"Budgeted amount": 10, "Actual spend": 10})], contract=c
    )
    f = only(report, "X408")
    assert f.cell == "Expenditure!C2" and "has no budget for 2026/27 Q2" in f.message


def test_x408_quiet_for_a_quarter_outside_the_contract_term(tmp_path):
    # D605 reports the quarter; the budget is not compared
    report = run(tmp_path, contract=contract(start=date(2026, 10, 1), budget=[]))
    assert found(report, "X408") == []
