"""S002–S010: each structure rule fires at the right cell with the right words, and stays quiet when it should.

Only the S family is asserted here; other families judge the same rows and are tested in tests/checks/.
"""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from builders import check, claim, contract, cover, registration, write_return
from swtool.model import standard as std


def s_findings(report, *keys: str) -> list[list]:
    """``report.flatten(["code", *keys])`` for the S findings only."""
    return [row for row in report.flatten(["code", *(keys or ("cell",))]) if row[0].startswith("S")]


def run(path: Path):
    return check(path, contract=contract(), history=[])


def messages(report, code: str) -> list[str]:
    return [f.message for f in report.findings if f.code == code]


def edit(path: Path, fn) -> Path:
    wb = openpyxl.load_workbook(path)
    fn(wb)
    wb.save(path)
    return path


def test_valid_return_has_no_structure_findings(tmp_path):
    assert s_findings(run(write_return(tmp_path))) == []


# --- S002 missing-sheet ----------------------------------------------------------------------------


def test_s002_missing_sheet_lists_the_sheets_found(tmp_path):
    report = run(write_return(tmp_path, drop_sheets=("Claims",)))
    assert s_findings(report, "sheet", "cell") == [["S002", "Claims", None]]
    assert report.findings[[f.code for f in report.findings].index("S002")].message == (
        "The workbook has no 'Claims' sheet (sheets found: Return, Registrations, Expenditure, Narrative, Milestones)"
    )


def test_s002_hidden_sheet_says_unhide(tmp_path):
    path = edit(write_return(tmp_path), lambda wb: setattr(wb["Claims"], "sheet_state", "hidden"))
    report = run(path)
    assert s_findings(report) == [["S002", None]]
    (msg,) = messages(report, "S002")
    assert "'Claims' sheet is hidden" in msg and "unhide it" in msg


def test_s002_quiet_for_optional_sheet_and_forgiving_sheet_names(tmp_path):
    # Transactions is optional; sheet names match whatever their case and spacing
    path = edit(write_return(tmp_path), lambda wb: setattr(wb["Claims"], "title", " CLAIMS "))
    report = run(path)
    assert s_findings(report) == []


# --- S003 missing-column ---------------------------------------------------------------------------


def test_s003_missing_column_names_the_closest_header(tmp_path):
    headers = [h if h != "Date achieved" else "Date acheived" for h in std.CLAIMS.headers]
    path = write_return(tmp_path, headers={"Claims": headers})
    report = run(path)
    assert s_findings(report, "cell", "header") == [
        ["S003", "Claims!1:1", "Date achieved"],
        ["S008", "Claims!D1", "Date acheived"],  # the misspelt column itself is ignored, and said so
    ]
    (msg,) = [f.message for f in report.findings if f.code == "S003"]
    assert msg == "Claims: no 'Date achieved' column; the closest header found is 'Date acheived'"


def test_s003_missing_column_without_a_close_header_lists_the_headers(tmp_path):
    headers = [h for h in std.CLAIMS.headers if h != "Date achieved"]
    path = write_return(tmp_path, headers={"Claims": headers})
    report = run(path)
    assert s_findings(report) == [["S003", "Claims!1:1"]]
    (msg,) = messages(report, "S003")
    assert msg.startswith(
        "Claims: no 'Date achieved' column; headers found: Claim ref, Client ref, Output, Evidence held"
    )


@pytest.mark.parametrize("column", ["Progression type", "Employer", "Residence basis"])
def test_s003_missing_column_used_by_a_condition_is_reported_not_a_crash(tmp_path, column):
    """A column that another column's requirement depends on (or that has a condition) is missing."""
    sheet = "Registrations" if column == "Residence basis" else "Claims"
    spec = std.REGISTRATIONS if sheet == "Registrations" else std.CLAIMS
    path = write_return(tmp_path, headers={sheet: [h for h in spec.headers if h != column]})
    report = run(path)
    assert [f for f in report.findings if f.severity == "warning" and "could not run" in f.message] == []
    assert [[f.code, f.header] for f in report.findings if f.code in ("S003", "S005")] == [["S003", column]]


def test_s003_missing_lot_column_only_for_that_lot(tmp_path):
    headers = [h for h in std.REGISTRATIONS.headers if h != "Housing plan or council referral number"]
    lot3 = write_return(tmp_path, "lot3.xlsx", headers={"Registrations": headers})
    report = run(lot3)
    assert s_findings(report) == []
    lot8 = write_return(tmp_path, "lot8.xlsx", headers={"Registrations": headers}, cover_values={"Lot": "8"})
    assert [[f.code, f.header] for f in run(lot8).findings if f.code == "S003"] == [
        ["S003", "Housing plan or council referral number"]
    ]


def test_s003_missing_cover_label(tmp_path):
    def rename(wb):
        for row in wb["Return"].iter_rows():
            if row[0].value == "Completed by":
                row[0].value = "Completed"

    path = edit(write_return(tmp_path), rename)
    report = run(path)
    assert s_findings(report, "sheet", "header") == [["S003", "Return", "Completed by"]]
    assert messages(report, "S003") == ["Return: no row labelled 'Completed by' in column A"]


# --- S004 bad-value --------------------------------------------------------------------------------


def test_s004_each_kind_of_bad_value(tmp_path):
    path = write_return(
        tmp_path,
        registrations=[
            registration(
                **{
                    "Registration date": "next Tuesday",
                    "Age at registration": 150,
                    "Right to work seen": "Maybe",
                    "Gender": "Femal",
                    "Eligibility criteria": "Mental health; Homeles",
                }
            )
        ],
        claims=[claim(**{"Weekly hours": "many", "Gross hourly pay": 15.555})],
    )
    report = run(path)
    found = {f.cell: f.message for f in report.findings if f.code == "S004"}
    assert sorted(found) == [
        "Claims!L2",
        "Claims!M2",
        "Registrations!B2",
        "Registrations!E2",
        "Registrations!H2",
        "Registrations!M2",
        "Registrations!X2",
    ]
    assert found["Registrations!B2"] == (
        "Registrations!B2: Registration date 'next Tuesday' is not a date such as 14/10/2026"
    )
    assert found["Registrations!E2"] == ("Registrations!E2: Age at registration 150 is out of range; expected 0 to 120")
    assert found["Registrations!H2"] == "Registrations!H2: Right to work seen 'Maybe' is not Yes or No"
    assert found["Registrations!X2"].startswith(
        "Registrations!X2: Gender 'Femal' is not in the code list (did you mean 'Female'?); expected one of: Female,"
    )
    # one bad part of a multi-code cell is named, not the good one
    assert found["Registrations!M2"] == (
        "Registrations!M2: Eligibility criteria 'Homeles' is not in the code "
        "list (did you mean 'Homeless'?); use the dropdown"
    )
    assert "'Mental health'" not in found["Registrations!M2"]
    assert found["Claims!L2"] == "Claims!L2: Weekly hours 'many' is not a number"
    assert found["Claims!M2"] == "Claims!M2: Gross hourly pay 15.555 is not an amount in pounds with at most 2 decimals"
    values = {f.cell: f.value for f in report.findings if f.code == "S004"}
    assert values["Registrations!B2"] == "next Tuesday" and values["Claims!M2"] == 15.555


def test_s004_code_did_you_mean(tmp_path):
    path = write_return(
        tmp_path,
        claims=[claim(**{"Evidence held": "Signed contrct"})],
        registrations=[registration(**{"Referral source": "Jobcentre"})],
    )
    found = {f.cell: f.message for f in run(path).findings if f.code == "S004"}
    assert "'Signed contrct' is not in the code list (did you mean 'Signed contract'?)" in found["Claims!E2"]
    assert (
        "Referral source 'Jobcentre' is not in the code list (did you mean 'Jobcentre Plus'?)"
        in found["Registrations!L2"]
    )


def test_s004_on_the_cover(tmp_path):
    path = write_return(tmp_path, cover_values={"Lot": "10", "Date submitted": "soon"})
    report = run(path)
    assert sorted(s_findings(report)) == [["S004", "Return!B3"], ["S004", "Return!B7"]]
    found = {f.cell: f.message for f in report.findings if f.code == "S004"}
    assert found["Return!B7"] == "Return!B7: Date submitted 'soon' is not a date such as 14/10/2026"
    assert "Lot '10' is not in the code list" in found["Return!B3"]


def test_s004_quiet_for_good_values_at_the_edges(tmp_path):
    path = write_return(
        tmp_path,
        registrations=[
            registration(
                **{"Age at registration": 120, "Right to work seen": "Y", "Eligibility criteria": "Mental health"}
            )
        ],
        claims=[claim(**{"Gross hourly pay": 12.5, "Weekly hours": 0})],
    )
    assert [c for c in s_findings(run(path)) if c[0] == "S004"] == []


# --- S005 missing-value ----------------------------------------------------------------------------


def test_s005_required_value(tmp_path):
    path = write_return(tmp_path, registrations=[registration(Gender=None)])
    report = run(path)
    assert s_findings(report) == [["S005", "Registrations!X2"]]
    assert messages(report, "S005") == ["Registrations!X2: Gender is empty; it is required"]


def test_s005_conditionally_required(tmp_path):
    path = write_return(
        tmp_path,
        registrations=[
            registration(**{"Registration type": "Re-registration"}),  # no last engagement date
            registration(**{"Client ref": "SW100002", "Postcode": None}),  # Southwark postcode basis
            registration(**{"Client ref": "SW100003", "Postcode": None, "Residence basis": "Local connection"}),
            registration(
                **{
                    "Client ref": "SW100004",
                    "Registration type": "Re-registration",
                    "Last engagement date": date(2025, 1, 6),
                }
            ),
        ],
        claims=[
            claim(
                **{
                    "Claim ref": "CL-1",
                    "Output": "5",
                    "Employer": None,
                    "Placement type": "Work experience",
                    "End date": date(2026, 8, 20),
                    "Evidence held": "Host letter, email or text with dates",
                }
            ),
            claim(**{"Claim ref": "CL-2", "Output": "2a", "Employer": "Borough Market Traders Ltd"}),
        ],
    )
    report = run(path)
    assert s_findings(report) == [["S005", "Registrations!D2"], ["S005", "Registrations!F3"], ["S005", "Claims!G2"]]
    assert messages(report, "S005") == [
        "Registrations!D2: Last engagement date is empty; it is required for re-registrations",
        "Registrations!F3: Postcode is empty; it is required unless residence is by local connection",
        "Claims!G2: Employer is empty; it is required for outputs 4 and 5",
    ]


def test_s005_not_reported_again_where_s004_already_flagged_the_cell(tmp_path):
    path = write_return(
        tmp_path,
        registrations=[registration(**{"Registration date": "yesterday", "Right to work seen": "perhaps"})],
        cover_values={"Date submitted": "today"},
    )
    report = run(path)
    assert sorted(s_findings(report)) == [
        ["S004", "Registrations!B2"],
        ["S004", "Registrations!H2"],
        ["S004", "Return!B7"],
    ]


def test_s005_empty_cover_value(tmp_path):
    path = write_return(tmp_path, cover_values={"Completed by": None})
    report = run(path)
    assert s_findings(report) == [["S005", "Return!B6"]]
    assert messages(report, "S005") == ["Return!B6: Completed by is empty; it is required"]


# --- S006 duplicate-key ----------------------------------------------------------------------------


def test_s006_duplicate_refs_name_the_first_row(tmp_path):
    path = write_return(
        tmp_path,
        registrations=[registration(), registration(**{"Client ref": "SW100002"}), registration()],
        claims=[claim(), claim(**{"Claim ref": "CL-0002"}), claim(**{"Client ref": "SW100002"})],
    )
    report = run(path)
    assert s_findings(report) == [["S006", "Registrations!A4"], ["S006", "Claims!A4"]]
    assert messages(report, "S006") == [
        "Registrations!A4: Client ref 'SW100001' is repeated; it is already used in row 2",
        "Claims!A4: Claim ref 'CL-0001' is repeated; it is already used in row 2",
    ]


def test_s006_quiet_for_a_client_with_several_claims(tmp_path):
    path = write_return(
        tmp_path,
        claims=[
            claim(),
            claim(
                **{
                    "Claim ref": "CL-0002",
                    "Output": "6",
                    "Evidence held": "Certificate",
                    "Qualification gained": "Food hygiene",
                    "Qualification level": "2",
                }
            ),
        ],
    )
    assert [c for c in s_findings(run(path)) if c[0] == "S006"] == []


# --- S007 lenient-parse ----------------------------------------------------------------------------


def test_s007_text_dates_money_spacing_and_case_are_read(tmp_path):
    path = write_return(
        tmp_path,
        registrations=[
            registration(
                **{
                    "Registration date": "06/07/2026",
                    "Right to work seen": " yes ",
                    "Gender": "female",
                    "Employment status": "Employed",
                    "Employment type": "Part-time",
                    "Contract type": "Permanent",
                    "Average weekly hours": 16,
                    "Gross hourly pay": "£1,200.50",
                    "On Statutory Sick Pay": "No",
                }
            )
        ],
        claims=[claim(**{"Date achieved": "2026-08-03", "Output": "2A"})],
    )
    report = run(path)
    found = {f.cell: f.message for f in report.findings if f.code == "S007"}
    assert {f.severity for f in report.findings if f.code == "S007"} == {"info"}
    assert found == {
        "Registrations!B2": "Registrations!B2: text date '06/07/2026' read as 06/07/2026",
        "Registrations!H2": "Registrations!H2: ' yes ' read as Yes",
        "Registrations!U2": "Registrations!U2: text '£1,200.50' read as the number 1200.5",
        "Registrations!X2": "Registrations!X2: 'female' read as 'Female'",
        "Claims!C2": "Claims!C2: '2A' read as '2a'",
        "Claims!D2": "Claims!D2: text date '2026-08-03' read as 03/08/2026",
    }
    assert [c for c in s_findings(run(path)) if c[0] in ("S004", "S005")] == []


def test_s007_quiet_for_real_dates_numbers_and_exact_codes(tmp_path):
    path = write_return(tmp_path, registrations=[registration(**{"Right to work seen": "Y"})])
    assert [c for c in s_findings(run(path)) if c[0] == "S007"] == []


# --- S008 extra-column -----------------------------------------------------------------------------


def test_s008_extra_column(tmp_path):
    path = write_return(tmp_path, headers={"Claims": std.CLAIMS.headers + ["Team"]}, claims=[claim(Team="North")])
    report = run(path)
    assert s_findings(report, "cell", "severity") == [["S008", "Claims!Z1", "info"]]
    assert messages(report, "S008") == ["Claims!Z1: column 'Team' is not in the template and was ignored"]


def test_s008_blank_header_column_with_data(tmp_path):
    path = edit(write_return(tmp_path), lambda wb: wb["Claims"].cell(2, 27, "a note"))  # AA2, AA1 blank
    report = run(path)
    assert s_findings(report) == [["S008", "Claims!AA1"]]
    assert messages(report, "S008") == ["Claims!AA1: a column with no header was ignored"]


def test_s008_duplicate_header(tmp_path):
    path = write_return(tmp_path, headers={"Claims": std.CLAIMS.headers + ["output "]})
    report = run(path)
    assert s_findings(report) == [["S008", "Claims!Z1"]]
    assert messages(report, "S008") == ["Claims!Z1: a second 'Output' column was ignored; the one in column C was read"]


def test_s008_quiet_for_a_blank_header_over_blank_cells(tmp_path):
    path = edit(write_return(tmp_path), lambda wb: wb["Claims"].cell(1, 28, "Remarks"))
    report = run(path)
    assert s_findings(report) == [["S008", "Claims!AB1"]]  # AA is blank top to bottom: nothing to say


# --- S009 formula-without-value --------------------------------------------------------------------


def _formula_return(tmp_path) -> Path:
    # openpyxl writes formulas with no cached value, as tools that do not calculate do
    return edit(write_return(tmp_path), lambda wb: wb["Claims"].__setitem__("L2", "=37.5*1"))


def test_s009_formula_without_cached_value(tmp_path):
    path = _formula_return(tmp_path)
    report = run(path)
    assert s_findings(report, "cell", "severity") == [["S009", "Claims!L2", "warning"]]
    assert messages(report, "S009") == [
        "Claims!L2: the cell holds a formula with no saved value; swtool does not calculate formulas"
    ]


def test_s009_quiet_for_a_formula_whose_value_is_cached(tmp_path):
    path = _formula_return(tmp_path)
    cached = tmp_path / "cached.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(cached, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet3.xml":  # Claims, the third sheet
                assert b"<f>37.5*1</f><v />" in data
                data = data.replace(b"<f>37.5*1</f><v />", b"<f>37.5*1</f><v>37.5</v>")  # as Excel saves it
            zout.writestr(info, data)
    report = run(cached)
    assert s_findings(report) == []


def test_s009_formula_on_the_cover_is_not_called_empty(tmp_path):
    path = edit(write_return(tmp_path), lambda wb: wb["Return"].__setitem__("B7", "=TODAY()"))
    report = run(path)
    assert s_findings(report) == [["S009", "Return!B7"]]  # not "S005 Date submitted is empty"
    assert messages(report, "S009") == [
        "Return!B7: the cell holds a formula with no saved value; swtool does not calculate formulas"
    ]


def test_s009_quiet_for_a_formula_in_the_header_row(tmp_path):
    path = edit(write_return(tmp_path), lambda wb: wb["Claims"].__setitem__("Z1", '="Team"'))
    assert "S009" not in [c[0] for c in s_findings(run(path))]


# --- S010 template-version -------------------------------------------------------------------------


def test_s010_missing_version(tmp_path):
    path = write_return(tmp_path, cover_values={"Template version": None})
    report = run(path)
    assert s_findings(report) == [["S010", "Return!B8"]]
    assert messages(report, "S010") == [
        f"Return!B8: no template version; this return was not made from the current template ({std.TEMPLATE_VERSION})"
    ]


def test_s010_missing_version_row(tmp_path):
    path = edit(write_return(tmp_path), lambda wb: wb["Return"].delete_rows(8))
    report = run(path)
    assert s_findings(report, "sheet", "cell", "severity") == [["S010", "Return", None, "warning"]]
    assert "Return: no template version" in report.findings[[f.code for f in report.findings].index("S010")].message


def test_s010_older_version(tmp_path):
    path = write_return(tmp_path, cover_values={"Template version": "2025.3"})
    report = run(path)
    assert s_findings(report) == [["S010", "Return!B8"]]
    assert messages(report, "S010") == [
        f"Return!B8: template version 2025.3 is older than the current {std.TEMPLATE_VERSION}"
    ]


@pytest.mark.parametrize("version", [std.TEMPLATE_VERSION, "2099.1"])
def test_s010_quiet_for_the_current_or_a_newer_version(tmp_path, version):
    assert s_findings(run(write_return(tmp_path, cover_values={"Template version": version}))) == []


def test_cover_defaults_are_what_builders_write():
    """Guard: the cell addresses above assume the cover's row order."""
    assert list(cover()) == [
        "Provider",
        "Contract ID",
        "Lot",
        "Financial year",
        "Quarter",
        "Completed by",
        "Date submitted",
        "Template version",
    ]
