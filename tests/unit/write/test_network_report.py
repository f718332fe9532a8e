"""swtool.write.network_report: the council's network report, opened and read as a reader would."""

from __future__ import annotations

import zipfile
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from swtool.model.quarter import Quarter
from swtool.write.network_report import (
    JOB_OUTCOME,
    NOT_A_PROVIDER,
    NOT_RECORDED,
    REGISTRATION,
    EqualityRow,
    NetworkData,
    OutputRow,
    SharedRow,
    age_band,
    suppress,
    write_network_report,
)

Q1, Q2 = Quarter(2026, 1), Quarter(2026, 2)
PROVIDERS = ["Peckham Recovery to Work", "Bermondsey Pathways CIC", "Camberwell Progress Partnership"]


def reg(n, **kw):
    return [EqualityRow(REGISTRATION, **kw)] * n


def job(n, **kw):
    return [EqualityRow(JOB_OUTCOME, **kw)] * n


def data(**overrides) -> NetworkData:
    d = NetworkData(
        outputs=[
            # lot 3 (two rows of one quarter add up): output 2 target 10 a quarter, output 4 5.25
            OutputRow("3", "2", Q1, 8, 10),
            OutputRow("3", "2", Q2, 5, 6, "SW-L3-01"),
            OutputRow("3", "2", Q2, 7, 4, "SW-L3-02"),
            OutputRow("3", "4", Q1, 3, Decimal("5.25")),
            OutputRow("3", "4", Q2, 6, Decimal("5.25")),
            OutputRow("7", "2", Q1, 3, 10),
            OutputRow("7", "2", Q2, 7, 10),
            OutputRow("7", "4", Q1, 2, 9),
            OutputRow("7", "4", Q2, 1, 9),
            OutputRow("9", "1", Q1, 20, 27),
            OutputRow("9", "1", Q2, 30, 27),
            OutputRow("9", "4", Q1, 10, 12),
            OutputRow("9", "4", Q2, 12, 12),
        ],
        shared=[
            SharedRow(Q2, "Peckham Recovery to Work", "7", "bermondsey  pathways cic", "2a", 2),
            SharedRow(Q2, "Peckham Recovery to Work", "7", "Bermondsey Pathways CIC", "2a", 1),
            SharedRow(Q2, "Peckham Recovery to Work", "7", "Jane Doe at SE15 5AB", "2b", 1),
        ],
        equalities=(
            reg(12, gender="Female", ethnic_group="White", disability="No", age=30)
            + reg(3, gender="Male", ethnic_group="Black or Black British", disability="Yes", age=19)
            + reg(9, gender="Male", ethnic_group="White", disability="No", age=55)
            + job(6, gender="Female", ethnic_group="White", disability="No", age=30)
            + job(2, gender="Male", ethnic_group="Asian or Asian British", disability="No", age=52)
        ),
        providers=PROVIDERS,
        generated=date(2026, 10, 20),
        settings={"credit_quarters": 1},
    )
    for k, v in overrides.items():
        setattr(d, k, v)
    return d


@pytest.fixture
def book(tmp_path):
    path = write_network_report(tmp_path / "network.xlsx", data())
    return path, openpyxl.load_workbook(path)


def find(ws, *values) -> int:
    """The row whose first cells are ``values``."""
    for row in ws.iter_rows():
        if tuple(c.value for c in row[: len(values)]) == values:
            return row[0].row
    raise AssertionError(f"no row {values} on {ws.title}")


def test_sheets(book):
    _, wb = book
    assert wb.sheetnames == [
        "About",
        "Outputs",
        "Shared outputs",
        "Equalities",
        "Charts",
        "Equality of outcome",
        "Referrals",
        "Value for money",
    ]  # no Produced from sheet: these rows are no ledger's
    about = [c.value for c in wb["About"]["A"] if c.value]
    assert "Period: 2026/27-Q1 to 2026/27-Q2" in about and "Produced: 20/10/2026" in about
    assert "credit_quarters = 1" in about


def test_outputs_by_lot_and_quarter_against_target(book):
    _, wb = book
    ws = wb["Outputs"]
    assert [ws.cell(3, c).value for c in (1, 2, 3, 4, 7, 10)] == [
        "Lot",
        "Output",
        "What is counted",
        "2026/27-Q1",
        "2026/27-Q2",
        "To date",
    ]
    assert [ws.cell(4, c).value for c in range(4, 7)] == ["Actual", "Target", "% of target"]
    r = find(ws, "3", "2")
    # Q1 8 of 10; Q2 5 + 7 = 12 of 6 + 4 = 10; to date 20 of 20
    assert [ws.cell(r, c).value for c in range(4, 13)] == [8, 10, 0.8, 12, 10, 1.2, 20, 20, 1]
    assert ws.cell(r, 6).number_format == "0.0%"
    r = find(ws, "3", "4")
    # 3 of 5.25 = 57.1%; to date 9 of 10.5 = 85.7%
    assert [ws.cell(r, c).value for c in (4, 5, 10, 11)] == [3, 5.25, 9, 10.5]
    assert ws.cell(r, 6).value == pytest.approx(3 / 5.25) and ws.cell(r, 12).value == pytest.approx(9 / 10.5)
    r = find(ws, "7", "2")
    assert [ws.cell(r, c).value for c in range(4, 13)] == [3, 10, 0.3, 7, 10, 0.7, 10, 20, 0.5]
    assert ws.cell(r, 6).fill.fgColor.rgb.endswith("F8CBAD")  # 30%: at or below 70%
    assert ws.cell(r, 9).fill.fgColor.rgb.endswith("F8CBAD")  # exactly 70% too
    assert not ws.cell(find(ws, "3", "2"), 6).fill.fgColor.rgb.endswith("F8CBAD")  # 80%
    r = find(ws, "All lots", "2")
    assert [ws.cell(r, c).value for c in range(4, 13)] == [11, 20, 0.55, 19, 20, 0.95, 30, 40, 0.75]
    assert [ws.cell(find(ws, "All lots", "1"), c).value for c in (10, 11)] == [50, 54]


def test_shared_outputs_name_only_register_providers(book):
    _, wb = book
    ws = wb["Shared outputs"]
    rows = [tuple(c.value for c in row)[:6] for row in ws.iter_rows(min_row=4, max_row=6)]
    assert rows == [
        ("Peckham Recovery to Work", "7", "Bermondsey Pathways CIC", "2a", "2026/27-Q2", 3),
        ("Peckham Recovery to Work", "7", NOT_A_PROVIDER, "2b", "2026/27-Q2", 1),
        ("Total", None, None, None, None, 4),
    ]
    assert ws.cell(8, 1).value.startswith("Claims to look at across contracts: C219")
    assert ws.cell(10, 1).value == "None in the period."


def test_equalities_suppress_small_numbers(book):
    _, wb = book
    ws = wb["Equalities"]

    def block(name, groups):
        r = find(ws, name)
        assert (ws.cell(r, 2).value, ws.cell(r, 3).value) == ("Registrations", "Job outcomes (2a + 2b)")
        return {
            ws.cell(r + i, 1).value: (ws.cell(r + i, 2).value, ws.cell(r + i, 3).value) for i in range(1, groups + 2)
        }

    gender = block("Gender", 6)
    # registrations: Female 12, Male 3 + 9 = 12, the rest 0 (<5); job outcomes: Female 6, Male 2
    assert gender["Female"] == (12, 6) and gender["Male"] == (12, "<5")
    assert gender["Non-binary"] == ("<5", "<5") and gender["Total"] == (24, 8)
    ethnic = block("Ethnic group", 7)
    assert ethnic["Black or Black British"][0] == "<5"  # a count of 3
    assert ethnic["White"] == (21, 6) and ethnic["Asian or Asian British"][1] == "<5"
    disability = block("Disability", 4)
    assert disability["Yes"][0] == "<5" and disability["No"] == (21, 8) and disability["Total"] == (24, 8)
    age = block("Age band", 4)
    assert age == {
        "16–24": ("<5", "<5"),
        "25–49": (12, 6),
        "50+": (9, "<5"),
        NOT_RECORDED: ("<5", "<5"),
        "Total": (24, 8),
    }
    # no number under 5 anywhere on the sheet
    for row in ws.iter_rows():
        for c in row:
            assert not (isinstance(c.value, int) and c.value < 5), c.coordinate


def test_a_lone_small_number_is_protected_from_the_total():
    # one cell under 5 and a total: the next smallest is withheld too, so 3 cannot be worked out
    assert suppress([12, 3, 9]) == ([12, "<5", "[c]"], 24)
    assert suppress([12, 3, 0]) == ([12, "<5", "<5"], 15)  # two suppressed: only their sum shows
    assert suppress([1, 2]) == (["<5", "<5"], "<5")  # a total under 5 is suppressed too
    assert suppress([7, 8]) == ([7, 8], 15)


def test_age_bands():
    assert [age_band(a) for a in (16, 24, 25, 49, 50, 88, None, 15)] == [
        "16–24",
        "16–24",
        "25–49",
        "25–49",
        "50+",
        "50+",
        NOT_RECORDED,
        NOT_RECORDED,
    ]


def test_the_chart_exists(book):
    path, wb = book
    charts = wb["Charts"]._charts
    assert len(charts) == 3
    with zipfile.ZipFile(path) as z:
        chart_xml = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(chart_xml) == 3 and all("<barChart>" in x for x in chart_xml)
    assert any("Job and apprenticeship starts" in x for x in chart_xml)
    ws = wb["Charts"]
    r = find(ws, "Lot 7")  # the data behind output 2's chart
    assert (ws.cell(r, 2).value, ws.cell(r, 3).value) == (10, 20)


def test_no_client_identifiers_or_free_text(book):
    _, wb = book
    everything = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
    assert "Jane Doe" not in everything and "SE15" not in everything
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"{ws.title}!{c.coordinate}"


def test_free_text_in_codes_is_not_reported(tmp_path):
    d = data(equalities=reg(6, gender="=cmd|'/C calc'!A0", ethnic_group="White", disability="No", age=30))
    wb = openpyxl.load_workbook(write_network_report(tmp_path / "n.xlsx", d))
    ws = wb["Equalities"]
    assert ws.cell(find(ws, NOT_RECORDED), 2).value == 6
    assert "cmd" not in " ".join(str(c.value) for row in ws.iter_rows() for c in row)


def test_deterministic_and_empty_data_is_fine(tmp_path):
    a = write_network_report(tmp_path / "a.xlsx", data())
    b = write_network_report(tmp_path / "b.xlsx", data())
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        assert za.namelist() == zb.namelist()
        assert all(za.read(n) == zb.read(n) for n in za.namelist())
    wb = openpyxl.load_workbook(write_network_report(tmp_path / "empty.xlsx", NetworkData()))
    assert wb["Shared outputs"]["A4"].value == "No shared outputs were claimed in the period."
    assert wb["Charts"]._charts == []


# --- outputs 7–9 mean different things in different lots ---------------------------------------------


def test_lot_outputs_are_added_up_only_where_they_mean_the_same(tmp_path):
    titles = {
        ("3", "7"): "Clients already in work maintaining employment",
        ("7", "7"): "Clients already in work maintaining employment",
        ("5", "7"): "Clients supported to access childcare",
        ("3", "8"): "Clients supported with workplace reasonable adjustments",
    }
    d = data(
        outputs=[
            OutputRow("3", "7", Q1, 2, 5),
            OutputRow("7", "7", Q1, 1, 2),
            OutputRow("5", "7", Q1, 4, 4),
            OutputRow("3", "8", Q1, 1, 1),
            OutputRow("3", "2", Q1, 8, 10),
            OutputRow("5", "2", Q1, 6, 10),
        ],
        output_titles=titles,
    )
    ws = openpyxl.load_workbook(write_network_report(tmp_path / "n.xlsx", d))["Outputs"]
    rows = {(r[0], r[1]): r[2:6] for r in ws.iter_rows(min_row=5, values_only=True) if r[0]}
    # lots 3 and 7 count the same thing as output 7: 2 + 1 of 5 + 2; lot 5's output 7 is childcare, alone
    assert rows[("Lots 3, 7", "7")] == ("Clients already in work maintaining employment", 3, 7, pytest.approx(3 / 7))
    assert rows[("Lot 5", "7")] == ("Clients supported to access childcare", 4, 4, 1)
    assert rows[("Lot 3", "8")][:2] == ("Clients supported with workplace reasonable adjustments", 1)
    assert rows[("5", "7")][0] == "Clients supported to access childcare"  # each lot's row: its meaning
    assert ("All lots", "7") not in rows and rows[("All lots", "2")][1:3] == (14, 20)  # outputs 1–6 still add up


def test_without_meanings_lot_outputs_are_never_added_up(tmp_path):
    d = data(outputs=[OutputRow("3", "7", Q1, 2, 5), OutputRow("7", "7", Q1, 1, 2)])
    ws = openpyxl.load_workbook(write_network_report(tmp_path / "n.xlsx", d))["Outputs"]
    labels = [r[0] for r in ws.iter_rows(min_row=5, values_only=True) if r[1] == "7"]
    assert labels == ["3", "7", "Lot 3", "Lot 7"]


# --- small numbers across levels -------------------------------------------------------------------


def test_protect_withholds_what_a_sum_would_give_away():
    from swtool.write.outcomes import protect

    # a lot of two contracts (8 and 3) and a network of the lot and another lot (2): the network's 13 and
    # lot B's 2 give lot A's 11 away, so lot A's is withheld; then lot A's 11 hidden with contract 3 hidden
    # is two hidden in that sum: contract 8 stays
    values = {"net": 13, "A": 11, "B": 2, "a1": 8, "a2": 3}
    shown = protect(values, [("net", ["A", "B"]), ("A", ["a1", "a2"])])
    assert shown == {"net": 13, "A": "[c]", "B": "<5", "a1": 8, "a2": "<5"}
    # the same figures, the lot's sum seen first: contract 8 is withheld to protect contract 3, and lot A
    # to protect lot B; every sum has none or at least two hidden figures
    shown = protect(values, [("A", ["a1", "a2"]), ("net", ["A", "B"])])
    assert shown == {"net": 13, "A": "[c]", "B": "<5", "a1": "[c]", "a2": "<5"}
    # a withheld total whose parts are all shown would be their sum: the smaller part is withheld too
    # (the network's 20 and lot B's 2 withhold lot A's 18; then 12 + 6 would give 18 back)
    values = {"net": 20, "A": 18, "B": 2, "a1": 12, "a2": 6}
    assert protect(values, [("net", ["A", "B"]), ("A", ["a1", "a2"])]) == {
        "net": 20,
        "A": "[c]",
        "B": "<5",
        "a1": 12,
        "a2": "[c]",
    }
    assert protect({"t": 3, "p": 3}, [("t", ["p"])]) == {"t": "<5", "p": "<5"}


def test_the_outcome_sheets_write_text_never_a_formula(tmp_path):
    from swtool.write.outcomes import ClientOutcome, ValueRow

    d = data(
        clients=[ClientOutcome("=1+1", "3", referral="=cmd|'/C calc'!A0", gender="Female")] * 6,
        values=[
            ValueRow("=1+1", "@SUM(A1)", "3", Decimal("100.00"), {"1": 6}, Decimal("159500.00"), Decimal("159500.00"))
        ],
    )
    wb = openpyxl.load_workbook(write_network_report(tmp_path / "n.xlsx", d))
    ws = wb["Value for money"]
    r = find(ws, "=1+1")
    assert ws.cell(r, 1).data_type == "s" and ws.cell(r, 1).quotePrefix
    assert ws.cell(r, 2).value == "@SUM(A1)" and ws.cell(r, 2).quotePrefix
    # 100.00 ÷ 6 registrations = 16.666… → £16.67
    assert ws.cell(r, 7).value == 16.67
    refs = wb["Referrals"]
    assert refs.cell(find(refs, "Network", "Not recorded"), 3).value == 6  # free text is not a referral source
    assert "cmd" not in " ".join(str(c.value) for row in refs.iter_rows() for c in row)
