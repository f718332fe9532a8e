"""D601–D605: the cover's quarter, dates and contract against the calendar and the contract register.

The 2026/27 Q2 deadlines (App 2 §1.2): reporting 14/10/2026, final 28/10/2026.
"""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from builders import check, contract, write_return
from swtool.model import standard as std


def d_findings(report) -> list[list]:
    return [row for row in report.flatten(["code", "cell", "severity"]) if row[0].startswith("D")]


def message(report, code: str) -> str:
    (m,) = [f.message for f in report.findings if f.code == code]
    return m


def test_a_good_cover_has_no_d_findings(tmp_path):
    assert d_findings(check(write_return(tmp_path), contract=contract())) == []


# --- D601 unknown-quarter ---------------------------------------------------------------------------


def test_d601_year_not_in_the_calendar(tmp_path):
    path = write_return(tmp_path, cover_values={"Financial year": "2031/32"})
    report = check(path, contract=contract(end=date(2033, 3, 31)))  # a term that covers it: D601 alone
    assert d_findings(report) == [["D601", "Return!B4", "error"]]
    assert message(report, "D601") == (
        "Return!B4: 2031/32 Q2 is not a quarter of the framework calendar (2023/24-Q2 to 2027/28-Q1)"
    )


def test_d601_malformed_year(tmp_path):
    report = check(write_return(tmp_path, cover_values={"Financial year": "26/27"}), contract=contract())
    assert d_findings(report) == [["D601", "Return!B4", "error"]]
    assert message(report, "D601") == "Return!B4: financial year '26/27' is not a year like 2026/27"
    assert [f.value for f in report.findings if f.code == "D601"] == ["26/27"]


def test_d601_quiet_when_the_year_is_empty(tmp_path):
    """An empty year is S005's to report, once."""
    report = check(write_return(tmp_path, cover_values={"Financial year": None}), contract=contract())
    assert [row for row in report.flatten(["code", "cell"]) if row[0][0] in "SD"] == [["S005", "Return!B4"]]


# --- D602 submitted-late / D603 after-final-deadline ----------------------------------------------


@pytest.mark.parametrize(
    "submitted, expected",
    [
        (date(2026, 10, 14), []),  # on the reporting deadline: on time
        (date(2026, 10, 15), [["D602", "Return!B7", "warning"]]),  # one day late
        (date(2026, 10, 28), [["D602", "Return!B7", "warning"]]),  # on the final deadline: late, still accepted
        (date(2026, 10, 29), [["D603", "Return!B7", "error"]]),  # a day after the final deadline
    ],
)
def test_d602_d603_by_date_submitted(tmp_path, submitted, expected):
    report = check(write_return(tmp_path, cover_values={"Date submitted": submitted}), contract=contract())
    assert d_findings(report) == expected


def test_d602_message(tmp_path):
    report = check(write_return(tmp_path, cover_values={"Date submitted": date(2026, 10, 15)}), contract=contract())
    assert message(report, "D602") == (
        "Return!B7: submitted 15/10/2026, 1 day after the reporting deadline 14/10/2026 for 2026/27 Q2"
    )


def test_d603_message(tmp_path):
    report = check(write_return(tmp_path, cover_values={"Date submitted": date(2026, 10, 29)}), contract=contract())
    assert message(report, "D603") == (
        "Return!B7: submitted 29/10/2026, after the final deadline 28/10/2026 for "
        "2026/27 Q2; no changes are accepted after it"
    )
    assert not report.valid


# --- D604 contract-mismatch -----------------------------------------------------------------------


def test_d604_contract_not_in_register(tmp_path):
    report = check(write_return(tmp_path), contract=contract(contract_id="SW-L3-02"))
    assert d_findings(report)[0] == ["D604", "Return!B2", "error"]
    assert message(report, "D604") == "Return!B2: contract 'SW-L3-01' is not in the contract register"


@pytest.mark.parametrize(
    "field, cell, theirs, ours",
    [
        ("provider", "Return!B1", "Bermondsey Pathways CIC", "Walworth Works Ltd"),
        ("lot", "Return!B3", "3", "2"),
    ],
)
def test_d604_provider_or_lot_differ(tmp_path, field, cell, theirs, ours):
    report = check(write_return(tmp_path), contract=contract(**{field: ours}))
    assert [r for r in d_findings(report) if r[0] == "D604"] == [["D604", cell, "error"]]
    label = {"provider": "Provider", "lot": "Lot"}[field]
    assert message(report, "D604") == (
        f"{cell}: {label} {theirs!r} differs from the contract register, which has {ours!r} for SW-L3-01"
    )


def test_d604_quiet_when_equal_ignoring_case_and_spaces(tmp_path):
    path = write_return(tmp_path, cover_values={"Provider": "  BERMONDSEY pathways cic "})
    assert d_findings(check(path, contract=contract())) == []


def test_d604_against_the_hidden_contract_sheet(tmp_path):
    path = write_return(tmp_path, contract_sheet=contract(provider="Walworth Works Ltd"))
    report = check(path)  # no register: the Contract sheet supplies the contract
    assert d_findings(report) == [["D604", "Return!B1", "error"]]
    assert message(report, "D604") == (
        "Return!B1: Provider 'Bermondsey Pathways CIC' differs from the return's "
        "Contract sheet, which has 'Walworth Works Ltd' for SW-L3-01"
    )


def test_d604_contract_sheet_for_another_contract(tmp_path):
    path = write_return(tmp_path, contract_sheet=contract(contract_id="SW-L3-09"))
    report = check(path)
    assert [r for r in d_findings(report) if r[0] == "D604"] == [["D604", "Return!B2", "error"]]
    assert message(report, "D604") == (
        "Return!B2: contract 'SW-L3-01' differs from the return's Contract sheet, which is for 'SW-L3-09'"
    )


def test_d604_the_register_wins_over_the_contract_sheet(tmp_path):
    path = write_return(tmp_path, contract_sheet=contract(provider="Walworth Works Ltd"))
    assert d_findings(check(path, contract=contract())) == []


@pytest.mark.parametrize("field", ["Contract ID", "Provider", "Lot", "Start date", "End date", "Annual value"])
def test_a_contract_sheet_with_a_field_cleared_holds_no_contract(tmp_path, field):
    """A hidden Contract sheet with a field a contract must have cleared (damaged, or edited by hand) holds no
    contract, as an unreadable one does. It used to be read with the field as None: D604 then said "differs from
    the return's Contract sheet, which has None", and D605 passed a term it did not know."""
    path = write_return(tmp_path, contract_sheet=contract())
    wb = openpyxl.load_workbook(path)
    ws = wb[std.CONTRACT_SHEET]
    (row,) = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == field]
    ws.cell(row, 2).value = None
    wb.save(path)
    report = check(path)
    assert d_findings(report) == [["D605", None, "info"]]
    assert message(report, "D605") == (
        "not checked: no contract register was given (--register) and the return has no Contract sheet"
    )


# --- D605 outside-contract ------------------------------------------------------------------------


def test_d605_quarter_before_the_contract_starts(tmp_path):
    report = check(write_return(tmp_path), contract=contract(start=date(2026, 10, 1), end=date(2028, 9, 30)))
    assert d_findings(report) == [["D605", "Return!B5", "error"]]
    assert message(report, "D605") == (
        "Return!B5: 2026/27 Q2 (01/07/2026–30/09/2026) is outside contract SW-L3-01's term 01/10/2026 to 30/09/2028"
    )


def test_d605_quarter_after_the_contract_ends(tmp_path):
    report = check(write_return(tmp_path), contract=contract(start=date(2024, 4, 1), end=date(2026, 6, 30)))
    assert d_findings(report) == [["D605", "Return!B5", "error"]]


@pytest.mark.parametrize("start", [date(2026, 7, 1), date(2026, 9, 30)])
def test_d605_quiet_in_the_first_quarter(tmp_path, start):
    report = check(write_return(tmp_path), contract=contract(start=start, end=date(2028, 6, 30)))
    assert d_findings(report) == []


def test_d605_from_the_contract_sheet(tmp_path):
    path = write_return(tmp_path, contract_sheet=contract(start=date(2027, 4, 1), end=date(2029, 3, 31)))
    assert d_findings(check(path)) == [["D605", "Return!B5", "error"]]


def test_without_any_contract_d605_says_not_checked(tmp_path):
    report = check(write_return(tmp_path))
    assert d_findings(report) == [["D605", None, "info"]]
    assert message(report, "D605") == (
        "not checked: no contract register was given (--register) and the return has no Contract sheet"
    )
    assert report.valid
