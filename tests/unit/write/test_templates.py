"""The council's workbooks: committed templates match the generator, read back cleanly, and a prefilled
return carries its contract (cover, budget lines, milestones, the lot's lists, a hidden Contract sheet)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from builders import TODAY, check, narrative
from swtool.cli import cli
from swtool.model import standard as std
from swtool.model.refdata import RefData

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "templates"


def invoke(*args: str):
    res = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res


# --- the committed templates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "committed, command", [("quarterly-return.xlsx", "return"), ("contract-register.xlsx", "register")]
)
def test_committed_template_matches_the_generator(tmp_path, committed, command):
    fresh = tmp_path / committed
    invoke("template", command, "-o", fresh)
    stale = f"templates/{committed} differs from what the generator writes now: run `make templates` and commit it"
    with zipfile.ZipFile(TEMPLATES / committed) as old, zipfile.ZipFile(fresh) as new:
        assert old.namelist() == new.namelist(), stale
        for name in old.namelist():
            if name == "docProps/core.xml":  # openpyxl stamps the save time into it
                continue
            assert old.read(name) == new.read(name), f"{stale} (part {name})"


def test_blank_template_reads_back_with_only_the_empty_required_cells():
    report = check(TEMPLATES / "quarterly-return.xlsx")
    errors = [[f.code, f.cell] for f in report.findings if f.severity == "error"]
    cover = [["S005", f"Return!B{i}"] for i in range(1, 8)]  # Provider … Date submitted
    assert sorted(errors) == sorted(cover + [["S005", "Narrative!B1"], ["N504", "Narrative!B8"]])
    # N504 is the empty Case study, the narrative's other required cell, reported by its own rule
    assert not [f for f in report.findings if f.code in ("S002", "S003", "S004", "S006", "S008", "S009", "S010")]


# --- a prefilled return -------------------------------------------------------------------------------

CONTRACT = ["SW-L2-04", "Peckham Progress Trust", "2", date(2025, 4, 1), date(2027, 3, 31), 165000]
TARGETS = [
    ("1", 100),
    ("2a", 36),
    ("2b", 4),
    ("3a", 20),
    ("3b", 2),
    ("4", 22),
    ("5", 12),
    ("6", 30),
    ("7", 8),
    ("8", 6),
]
BUDGET = [
    ("2026/27", "Q2", "Staff and management", "Employment adviser 1 FTE", 9000),
    ("2026/27", "Q2", "Delivery", "Venue hire", 1500),
    ("2026/27", "Q3", "Delivery", "Employer breakfast", 800),
]
MILESTONES = [("Employer forum held", date(2026, 9, 30)), ("Quarterly monitoring report", date(2026, 10, 14))]


def _append(ws, values):
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


@pytest.fixture(scope="module")
def prefilled(tmp_path_factory) -> Path:
    with pytest.MonkeyPatch.context() as mp:  # module-scoped: conftest's per-test isolation is not in force yet
        mp.setenv("SWTOOL_DATA_DIR", str(tmp_path_factory.mktemp("userdata")))
        return _prefilled(tmp_path_factory.mktemp("prefill"))


def _prefilled(folder: Path) -> Path:
    register = folder / "register.xlsx"
    invoke("template", "register", "-o", register)
    wb = openpyxl.load_workbook(register)
    _append(wb["Contracts"], CONTRACT)
    for output, annual in TARGETS:
        _append(wb["Targets"], [CONTRACT[0], output, annual])
    for line in BUDGET:
        _append(wb["Budget"], [CONTRACT[0], *line])
    for name, due in MILESTONES:
        _append(wb["Milestones"], [CONTRACT[0], name, due])
    wb.save(register)
    out = folder / "SW-L2-04 2026-27 Q2.xlsx"
    invoke("template", "return", "--register", register, "--contract", "SW-L2-04", "--quarter", "2026/27-Q2", "-o", out)
    return out


@pytest.fixture(scope="module")
def prefilled_wb(prefilled):
    """The prefilled return opened once for the tests that only look at it (one that fills it opens its own)."""
    return openpyxl.load_workbook(prefilled)


def _labels(ws) -> dict:
    return {row[0].value: row[1].value for row in ws.iter_rows(max_col=2) if row[0].value}


def _rows(ws) -> list[tuple]:
    rows = list(ws.iter_rows(values_only=True))
    return [r for r in rows[1:] if any(v is not None for v in r)]


def test_prefilled_cover(prefilled_wb):
    wb = prefilled_wb
    assert _labels(wb["Return"]) == {
        "Provider": "Peckham Progress Trust",
        "Contract ID": "SW-L2-04",
        "Lot": "2",
        "Financial year": "2026/27",
        "Quarter": "Q2",
        "Completed by": None,
        "Date submitted": None,
        "Template version": std.TEMPLATE_VERSION,
    }


def test_prefilled_budget_lines_and_milestones(prefilled_wb):
    wb = prefilled_wb
    assert [r[:4] for r in _rows(wb["Expenditure"])] == [
        ("Staff and management", "Employment adviser 1 FTE", 9000, None),
        ("Delivery", "Venue hire", 1500, None),
    ]
    assert [r[:2] for r in _rows(wb["Milestones"])] == [
        (name, datetime.combine(due, time())) for name, due in MILESTONES
    ]


def test_prefilled_lists_hold_only_the_lots_codes(prefilled_wb):
    wb = prefilled_wb
    ws = wb["Lists"]
    columns = {
        ws.cell(1, c).value: [ws.cell(r, c).value for r in range(2, ws.max_row + 1) if ws.cell(r, c).value is not None]
        for c in range(1, ws.max_column + 1)
    }
    refdata = RefData()
    assert columns["Eligibility criteria"] == refdata.eligibility_by_lot["2"]
    assert columns["Output"] == ["2a", "2b", "3a", "3b", "4", "5", "6", "7", "8"]
    assert "Care leaver" not in columns["Eligibility criteria"]
    assert columns["Budget item"] == ["Employer breakfast", "Employment adviser 1 FTE", "Venue hire"]
    assert ws.sheet_state == "hidden"


def _validations(ws) -> dict[str, list]:
    """Column letter -> the data validations that cover its first data row."""
    out: dict[str, list] = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            if rng.min_row <= 2 <= rng.max_row:
                for col in range(rng.min_col, rng.max_col + 1):
                    out.setdefault(openpyxl.utils.get_column_letter(col), []).append(dv)
    return out


def _list_values(wb, formula: str) -> list:
    """The values a dropdown offers: ``'Lists'!$C$2:$C$3`` read from the Lists sheet."""
    m = re.fullmatch(r"'?Lists'?!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", formula)
    assert m, formula
    ws = wb["Lists"]
    return [c.value for (c,) in ws[f"{m[1]}{m[2]}:{m[3]}{m[4]}"]]


def _expected_codes(col: std.Column) -> list:
    refdata = RefData()
    outputs = ["2a", "2b", "3a", "3b", "4", "5", "6", "7", "8"]  # lot 2
    if col.codes == std.ELIGIBILITY:
        return refdata.eligibility_by_lot["2"]
    if col.codes == std.EVIDENCE:
        return list(dict.fromkeys(c for (o, _), codes in refdata.evidence.items() if o in outputs for c in codes))
    if col.header == "Output":
        return outputs
    if col.header == "Budget item":
        return sorted(line[3] for line in BUDGET)
    return list(col.codes)


@pytest.mark.parametrize(
    "spec", [std.REGISTRATIONS, std.CLAIMS, std.EXPENDITURE, std.TRANSACTIONS, std.MILESTONES], ids=lambda s: s.name
)
def test_prefilled_sheet_has_dropdowns_input_messages_and_a_frozen_header(prefilled_wb, spec):
    wb = prefilled_wb
    ws = wb[spec.name]
    assert [c.value for c in ws[1]] == spec.headers
    assert ws.freeze_panes == "A2"
    dvs = _validations(ws)
    for j, col in enumerate(spec.columns, start=1):
        letter = openpyxl.utils.get_column_letter(j)
        assert len(dvs.get(letter, [])) == 1, f"{spec.name}!{letter} ({col.header}) has no single validation"
        (dv,) = dvs[letter]
        assert dv.showInputMessage and dv.prompt and dv.promptTitle, f"{col.header} has no input message"
        if col.kind == std.YESNO:
            assert (dv.type, dv.formula1) == ("list", '"Yes,No"'), col.header
        elif col.kind in (std.CODE, std.CODES) or col.header == "Budget item":
            assert dv.type == "list", f"{spec.name} {col.header} is coded but has no dropdown"
            assert _list_values(wb, dv.formula1) == _expected_codes(col), col.header
        assert all(r.max_row >= 5000 for r in dv.sqref.ranges)


def test_prefilled_label_sheets_have_input_messages(prefilled_wb):
    wb = prefilled_wb
    for spec in (std.RETURN, std.NARRATIVE):  # one validation, with its message, per value cell
        cells = {
            str(r)
            for dv in wb[spec.name].data_validations.dataValidation
            for r in dv.sqref.ranges
            if dv.showInputMessage and dv.prompt
        }
        assert cells == {f"B{i}" for i in range(1, len(spec.columns) + 1)}, spec.name


def test_prefilled_has_a_hidden_protected_contract_sheet(prefilled_wb):
    wb = prefilled_wb
    ws = wb[std.CONTRACT_SHEET]
    assert ws.sheet_state == "hidden" and ws.protection.sheet
    values = _labels(ws)
    assert values["Contract ID"] == "SW-L2-04" and values["Provider"] == "Peckham Progress Trust"
    assert [s.title for s in wb.worksheets if s.sheet_state == "visible"] == [
        "Guide",
        "Return",
        "Registrations",
        "Claims",
        "Expenditure",
        "Transactions",
        "Narrative",
        "Milestones",
    ]


def test_a_provider_filling_the_prefilled_return_gets_no_errors_without_the_register(prefilled, tmp_path):
    wb = openpyxl.load_workbook(prefilled)
    cover = wb["Return"]
    for row in cover.iter_rows(max_col=2):
        if row[0].value == "Completed by":
            row[1].value = "Contract manager"
        elif row[0].value == "Date submitted":
            row[1].value = date(2026, 10, 9)
    regs = wb["Registrations"]
    reg = {
        "Client ref": "SW200001",
        "Registration date": date(2026, 7, 13),
        "Registration type": "New",
        "Age at registration": 57,
        "Postcode": "SE1 0AA",
        "Residence basis": "Southwark postcode",
        "Right to work seen": "Yes",
        "Registration wizard completed": "Yes",
        "Privacy notice signed": "Yes",
        "Action plan completed": "Yes",
        "Referral source": "Jobcentre Plus",
        "Eligibility criteria": "Aged 50+",
        "Employment status": "Unemployed",
        "Highest qualification level": "3",
        "Gender": "Male",
        "Ethnic group": "Black or Black British",
        "Disability": "No",
    }
    _append(regs, [reg.get(h) for h in std.REGISTRATIONS.headers])
    claims = wb["Claims"]
    clm = {
        "Claim ref": "PPT-001",
        "Client ref": "SW200001",
        "Output": "2a",
        "Date achieved": date(2026, 9, 7),
        "Evidence held": "Signed contract",
        "Evidence reference": "PPT-001-contract.pdf",
        "Employer": "Peckham Levels Cafe Ltd",
        "Start date": date(2026, 9, 7),
        "Employment type": "Part-time",
        "Contract type": "Permanent",
        "Weekly hours": 24,
        "Gross hourly pay": 14.8,
    }
    _append(claims, [clm.get(h) for h in std.CLAIMS.headers])
    spend = wb["Expenditure"]
    actual = std.EXPENDITURE.headers.index("Actual spend") + 1
    for r in range(2, 4):
        spend.cell(r, actual).value = spend.cell(r, actual - 1).value
    tx = wb["Transactions"]  # the template has the optional Transactions sheet: itemise the spend
    for line in BUDGET[:2]:
        _append(tx, [line[3], date(2026, 9, 25), f"{line[3]}, September", line[4], "No", "No"])
    text = narrative()
    for row in wb["Narrative"].iter_rows(max_col=2):
        if row[0].value in text:
            row[1].value = text[row[0].value]
    ms = wb["Milestones"]
    for r in range(2, 2 + len(MILESTONES)):
        ms.cell(r, 3).value = ms.cell(r, 2).value  # achieved on the day
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)

    res = CliRunner().invoke(cli, ["check", str(filled), "--today", TODAY.isoformat(), "--format", "json"])
    data = json.loads(res.stdout)["files"][0]
    errors = [[f["code"], f["cell"], f["message"]] for f in data["findings"] if f["severity"] == "error"]
    assert errors == []
    assert res.exit_code == 0
    assert (data["contract"], data["lot"], data["quarter"]) == ("SW-L2-04", "2", "2026/27-Q2")
    # the contract came from the hidden sheet: the contract checks ran instead of saying "not checked"
    assert not [f for f in data["findings"] if f["message"].startswith("not checked: no contract register")]


# --- the dropdowns refuse a wrong entry (read from the sheet XML itself) ---------------------------------

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _xml_validations(path: Path) -> dict[str, dict[str, dict]]:
    """Sheet name -> first cell of each range (``C2``, ``B3``) -> the ``<dataValidation>``'s attributes,
    read from the workbook's XML as Excel reads it."""
    import posixpath
    import xml.etree.ElementTree as ET

    with zipfile.ZipFile(path) as z:
        book = ET.fromstring(z.read("xl/workbook.xml"))
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        out = {}
        for sheet in book.iter(f"{_MAIN}sheet"):
            target = targets[sheet.get(f"{_REL}id")]
            part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            root = ET.fromstring(z.read(part))
            out[sheet.get("name")] = {
                dv.get("sqref").split(":")[0]: dict(dv.attrib) for dv in root.iter(f"{_MAIN}dataValidation")
            }
    return out


def _expected_alert(col: std.Column, coded: bool) -> str | None:
    """The alert a column's validation must raise: stop for a code list, Yes/No, a whole number or a number
    the standard bounds both ways; warning where typing is allowed (several codes, a date typed as text,
    an amount above swtool's own ceiling); none for free text."""
    if coded:  # a code list (a prefilled return's Budget item is one: the contract's budget headings)
        return "warning" if col.kind == std.CODES else "stop"
    if col.kind in (std.YESNO, std.INT):
        return "stop"
    if col.kind == std.DATE:
        return "warning"
    if col.kind in (std.NUMBER, std.MONEY) and col.minimum is not None:
        return "stop" if col.maximum is not None else "warning"
    return None


def _check_alerts(path: Path, sheets, coded_headers) -> int:
    found = _xml_validations(path)
    checked = 0
    for spec in sheets:
        for j, col in enumerate(spec.columns, start=1):
            first = f"B{j}" if spec.kind == "labels" else f"{openpyxl.utils.get_column_letter(j)}2"
            dv = found[spec.name][first]
            where = f"{spec.name}!{first} ({col.header})"
            style = _expected_alert(col, col.header in coded_headers)
            if style is None:
                assert dv.get("type") in (None, "none"), where
                continue
            assert dv.get("showErrorMessage") == "1", f"{where}: the alert is off, anything can be typed"
            assert dv.get("errorStyle") == style, where
            assert dv.get("errorTitle") and len(dv["errorTitle"]) <= 32, where
            assert 20 <= len(dv.get("error", "")) <= 225, where
            checked += 1
    return checked


def test_blank_return_dropdowns_refuse_what_is_not_in_their_list():
    coded = {c.header for s in std.RETURN_SHEETS for c in s.columns if c.kind in (std.CODE, std.CODES) and c.codes}
    checked = _check_alerts(TEMPLATES / "quarterly-return.xlsx", std.RETURN_SHEETS, coded)
    assert checked >= 45  # every coded, yes/no, date and number column of the six sheets
    claims = _xml_validations(TEMPLATES / "quarterly-return.xlsx")["Claims"]
    assert claims["C2"]["error"] == "Output takes one of the listed values: 2a, 2b, 3a, 3b, 4, 5, 6, 7, 8 or 9."
    assert claims["E2"]["errorStyle"] == "warning" and "separated by ;" in claims["E2"]["error"]
    regs = _xml_validations(TEMPLATES / "quarterly-return.xlsx")["Registrations"]
    assert (regs["E2"]["type"], regs["E2"]["error"]) == (
        "whole",
        "Age at registration is a whole number from 0 to 120.",
    )


def test_register_dropdowns_refuse_what_is_not_in_their_list():
    coded = {c.header for s in std.REGISTER_SHEETS for c in s.columns if c.kind in (std.CODE, std.CODES) and c.codes}
    assert _check_alerts(TEMPLATES / "contract-register.xlsx", std.REGISTER_SHEETS, coded) >= 10


def test_prefilled_budget_item_dropdown_stops_a_heading_not_in_the_budget(prefilled):
    coded = {c.header for s in std.RETURN_SHEETS for c in s.columns if c.kind in (std.CODE, std.CODES) and c.codes}
    _check_alerts(prefilled, std.RETURN_SHEETS, coded | {"Budget item"})
    spend = _xml_validations(prefilled)["Expenditure"]["B2"]
    assert (spend["errorStyle"], spend["errorTitle"]) == ("stop", "Not in the list")
    assert spend["error"] == (
        "Budget item takes one of the listed values: Employer breakfast, Employment adviser 1 FTE or Venue hire."
    )


def _soffice():
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(_soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_template_and_keeps_its_alerts(tmp_path):
    """LibreOffice opens the blank return and, saving it again, keeps each dropdown's alert as written."""
    out = tmp_path / "converted"
    proc = subprocess.run(
        [
            _soffice(),
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(TEMPLATES / "quarterly-return.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    saved = _xml_validations(out / "quarterly-return.xlsx")
    output = saved["Claims"]["C2"]  # LibreOffice writes booleans as true/false
    assert (output["type"], output["showErrorMessage"], output["errorStyle"]) == ("list", "true", "stop")
    assert output["error"] == "Output takes one of the listed values: 2a, 2b, 3a, 3b, 4, 5, 6, 7, 8 or 9."
    evidence = saved["Claims"]["E2"]
    assert (evidence["showErrorMessage"], evidence["errorStyle"]) == ("true", "warning")
    assert saved["Registrations"]["X2"]["errorTitle"] == "Not in the list"
