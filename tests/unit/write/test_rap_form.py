"""swtool.write.rap_form: the remedial action plan (App 4) a PMO sends, opened as the provider would open it."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from swtool.calc.credits import assess
from swtool.calc.variances import SpendLine, expenditure_variance
from swtool.model.quarter import Quarter
from swtool.model.refdata import RefData
from swtool.model.settings import Settings
from swtool.read.register import ContractFacts, Target
from swtool.write.rap_form import ACTION_HEADERS, INTRO, KEY_ISSUES, PRIORITIES, RapPlan, rap_plan, write_rap

Q2 = Quarter(2026, 2)


def lot7(provider="Peckham Recovery to Work") -> ContractFacts:
    # output 2 = 2a 32 + 2b 8 = 40 a year, 10 a quarter; output 4 = 36 a year, 9 a quarter
    return ContractFacts(
        "SW-L7-01",
        provider,
        "7",
        date(2025, 4, 1),
        date(2027, 3, 31),
        Decimal("77000.00"),
        targets={"2a": Target("2a", 32), "2b": Target("2b", 8), "4": Target("4", 36)},
    )


def plan(contract=None, items=None, **actuals) -> RapPlan:
    c = contract or lot7()
    lines = assess(c, Q2, {Q2: actuals or {"2a": 2, "2b": 1, "4": 8}}, Settings.defaults())
    spend = expenditure_variance(
        items
        or [
            SpendLine("Employment adviser 1 FTE", Decimal("9000"), Decimal("9000")),
            SpendLine("Client travel", Decimal("1000"), Decimal("700")),
        ]
    )
    return rap_plan(c, Q2, lines, spend, RefData(), issued=date(2026, 10, 20))


def cells(path):
    ws = openpyxl.load_workbook(path).active
    return ws, {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}


def row_of(ws, text) -> int:
    for row in ws.iter_rows():
        for c in row:
            if c.value == text:
                return c.row
    raise AssertionError(f"{text!r} not in the sheet")


def test_the_form_follows_app_4(tmp_path):
    path = write_rap(tmp_path / "rap.xlsx", plan())
    ws, values = cells(path)
    texts = list(values.values())
    assert ws.title == "Remedial action plan" and texts[0] == "Southwark Works Remedial Action Plan"
    assert all(p in texts for p in INTRO)
    r = row_of(ws, "Provider name")
    assert ws.cell(r, 2).value == "Peckham Recovery to Work"
    assert ws.cell(r, 3).value == "Date" and ws.cell(r, 4).value == datetime(2026, 10, 20)
    r = row_of(ws, "Staff member")
    assert ws.cell(r, 2).value is None and ws.cell(r, 3).value == "Job role" and ws.cell(r, 4).value is None
    r = row_of(ws, PRIORITIES)
    assert ws.cell(r + 1, 1).value is None  # for the provider


def test_key_issues_are_prefilled_with_the_pmos_figures(tmp_path):
    path = write_rap(tmp_path / "rap.xlsx", plan())
    ws, _ = cells(path)
    r = row_of(ws, KEY_ISSUES)
    issues = [ws.cell(r + i, 1).value for i in range(1, 5)]
    # output 2: 2a 2 + 2b 1 = 3 of 10 = 30%; output 4: 8 of 9 = 88.9%
    assert issues[0] == (
        "• Output 2 (job and apprenticeship starts, 2a + 2b), 2026/27-Q2: 3 achieved against a "
        "quarterly target of 10 = 30%, at or below 70% (service credit threshold, §7.7–7.8)"
    )
    assert issues[1] == (
        "• Output 4 (progressions into a better role), 2026/27-Q2: 8 achieved against a quarterly "
        "target of 9 = 88.9%, below target"
    )
    # client travel £700.00 of £1,000.00 = 30% under; the quarter total £9,700.00 of £10,000.00 = 3%: within
    assert issues[2] == (
        "• Expenditure, budget item Client travel: actual £700.00 against budgeted £1,000.00, "
        "variance -£300.00 (30% under budget), more than 10%"
    )
    assert issues[3] == "Reasons (provider to complete)"


def test_one_action_row_per_missed_output(tmp_path):
    path = write_rap(tmp_path / "rap.xlsx", plan())
    ws, _ = cells(path)
    r = row_of(ws, ACTION_HEADERS[0])
    assert (ws.cell(r, 2).value, ws.cell(r, 4).value) == ACTION_HEADERS[1:]
    assert (
        ws.cell(r + 1, 1).value
        == "Output 2 (job and apprenticeship starts, 2a + 2b): 3 of a quarterly target of 10 (30%) in 2026/27-Q2"
    )
    assert (
        ws.cell(r + 2, 1).value
        == "Output 4 (progressions into a better role): 8 of a quarterly target of 9 (88.9%) in 2026/27-Q2"
    )
    for row in (r + 1, r + 2):
        assert ws.cell(row, 2).value is None and ws.cell(row, 4).value is None  # action, target date: blank
    assert ws.cell(r + 3, 1).value is None  # spare rows


def test_next_review_date_and_signature_blocks(tmp_path):
    path = write_rap(tmp_path / "rap.xlsx", plan())
    ws, _ = cells(path)
    r = row_of(ws, "Next review date")
    assert ws.cell(r, 2).value == datetime(2027, 1, 13)  # 2026/27-Q3 reporting deadline
    assert ws.cell(r, 2).number_format == "DD/MM/YYYY"
    for who in ("Manager signature", "Director signature", "Southwark Council"):
        r = row_of(ws, who)
        assert ws.cell(r, 2).value is None and ws.cell(r, 3).value == "Date" and ws.cell(r, 4).value is None
    assert row_of(ws, "Additional comments and notes")


def test_nothing_missed_says_so(tmp_path):
    on_budget = [SpendLine("Employment adviser 1 FTE", Decimal("9000"), Decimal("9900"))]  # exactly 10% over
    path = write_rap(tmp_path / "rap.xlsx", plan(items=on_budget, **{"2a": 10, "2b": 0, "4": 9}))
    ws, _ = cells(path)
    r = row_of(ws, KEY_ISSUES)
    assert ws.cell(r + 1, 1).value.startswith("• No core output below its quarterly target")
    assert ws.cell(row_of(ws, ACTION_HEADERS[0]) + 1, 1).value is None


@pytest.mark.parametrize("evil", ['=HYPERLINK("http://x.example","click")', "+SUM(A1:A9)", "-2+3", "@cmd"])
def test_text_is_never_a_formula(tmp_path, evil):
    p = plan(contract=lot7(provider=evil), items=[SpendLine(evil, Decimal("100"), Decimal("300"))])
    path = write_rap(tmp_path / "rap.xlsx", p)
    ws, values = cells(path)
    assert ws.cell(row_of(ws, "Provider name"), 2).value == evil
    assert any(isinstance(v, str) and evil in v and v.startswith("•") for v in values.values())
    for row in ws.iter_rows():
        for c in row:
            assert c.data_type != "f", c.coordinate
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet


def test_the_same_plan_gives_the_same_workbook(tmp_path):
    a = write_rap(tmp_path / "a.xlsx", plan())
    b = write_rap(tmp_path / "b.xlsx", plan())
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        assert za.namelist() == zb.namelist()
        for name in za.namelist():
            assert za.read(name) == zb.read(name), name


def test_written_atomically_over_an_old_plan(tmp_path):
    out = tmp_path / "rap.xlsx"
    out.write_bytes(b"old")
    write_rap(out, plan())
    assert zipfile.is_zipfile(out)
    assert [p.name for p in tmp_path.iterdir()] == ["rap.xlsx"]  # no temporary file left behind
