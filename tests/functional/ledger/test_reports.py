"""The reports people read: the contract report, and the network report's equality of outcome, referrals
and value for money, on a small ledger whose every figure is counted by hand below.

The small ledger (``small``): three contracts of 2026/27, built from returns written with ``builders``:

SW-L3-01 Bermondsey Pathways CIC, lot 3, £159,500 a year; targets 1: 40, 2a: 16, 4: 8, 7: 4
  Q1 version 1: a job start achieved after the quarter (C201, an error; the version is replaced)
  Q1 version 2: 7 registrations, job starts (2a) for SW300001, SW300002, SW300005, a progression (4) for
     SW300007, output 7 for SW300006
  Q2: 5 registrations, job starts for SW300004 (registered in Q1) and SW300008
SW-L3-02 Camberwell Minds CIC, lot 3, £160,000 a year (over lot 3's £159,500: K706); targets 1: 24, 2a: 8, 4: 4
  Q1: 6 registrations, job starts for SW310002, SW310005
SW-L7-01 Peckham Recovery to Work, lot 7, £77,000; targets 1: 12, 2a: 4, 4: 4, 7: 4
  Q1: 3 registrations, a job start for SW700002, output 7 for SW700001

The clients, with their gender, ethnic group, disability, age and referral source, are in CLIENTS below;
each test's comments count from them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from builders import claim, expenditure_line, registration, write_return
from swtool.cli import cli
from swtool.ledger import open_ledger, store
from swtool.model.refdata import RefData
from swtool.model.settings import Settings
from swtool.write.templates import build_register
from swtool.write.xlsx import save

TODAY = date(2026, 11, 23)
Q1, Q2 = "2026/27-Q1", "2026/27-Q2"
L301, L302, L701 = "SW-L3-01", "SW-L3-02", "SW-L7-01"
PROVIDERS = {L301: "Bermondsey Pathways CIC", L302: "Camberwell Minds CIC", L701: "Peckham Recovery to Work"}
LOTS = {L301: "3", L302: "3", L701: "7"}
VALUES = {L301: 159500, L302: 160000, L701: 77000}
TARGETS = {
    L301: {"1": 40, "2a": 16, "4": 8, "7": 4},
    L302: {"1": 24, "2a": 8, "4": 4},
    L701: {"1": 12, "2a": 4, "4": 4, "7": 4},
}
BUDGET = {L301: (9000, 1000), L302: (9000, 1000), L701: (4000, 500)}  # adviser, client travel: each quarter
CRITERIA = {"3": "Mental health", "7": "Substance use"}

# ref: (gender, ethnic group, disability, age, referral source)
CLIENTS = {
    "SW300001": ("Female", "White", "No", 30, "Jobcentre Plus"),
    "SW300002": ("Female", "White", "No", 41, "Jobcentre Plus"),
    "SW300003": ("Female", "Black or Black British", "Yes", 22, "Self-referral"),
    "SW300004": ("Female", "White", "No", 35, "Council service"),
    "SW300005": ("Male", "White", "No", 52, "Jobcentre Plus"),
    "SW300006": ("Male", "Asian or Asian British", "No", 28, "Self-referral"),
    "SW300007": ("Female", "White", "Yes", 45, "Council service"),  # in work: a progression
    "SW300008": ("Female", "White", "No", 33, "Jobcentre Plus"),  # Q2 from here
    "SW300009": ("Male", "White", "No", 27, "Council service"),
    "SW300010": ("Female", "Mixed or multiple", "No", 38, "Jobcentre Plus"),
    "SW300011": ("Male", "White", "No", 61, "Self-referral"),
    "SW300012": ("Female", "White", "No", 29, "Network coordinator"),
    "SW310001": ("Female", "White", "No", 26, "Voluntary sector"),
    "SW310002": ("Male", "White", "No", 31, "Voluntary sector"),
    "SW310003": ("Male", "Black or Black British", "No", 44, "Jobcentre Plus"),
    "SW310004": ("Male", "White", "Yes", 50, "Jobcentre Plus"),
    "SW310005": ("Male", "White", "No", 38, "Jobcentre Plus"),
    "SW310006": ("Non-binary", "White", "No", 23, "Self-referral"),
    "SW700001": ("Female", "White", "No", 36, "Council service"),
    "SW700002": ("Male", "White", "No", 47, "Council service"),
    "SW700003": ("Male", "Asian or Asian British", "No", 24, "Jobcentre Plus"),
}
IN_WORK = {"SW300007"}


# --- building the small ledger ------------------------------------------------------------------------


def _register(path: Path) -> Path:
    wb = build_register(RefData())
    rows = {"Contracts": [], "Targets": [], "Budget": []}
    for cid in (L301, L302, L701):
        rows["Contracts"].append([cid, PROVIDERS[cid], LOTS[cid], date(2026, 4, 1), date(2028, 3, 31), VALUES[cid]])
        for output, annual in TARGETS[cid].items():
            rows["Targets"].append([cid, output, annual])
        adviser, travel = BUDGET[cid]
        for q in ("Q1", "Q2", "Q3", "Q4"):
            rows["Budget"].append([cid, "2026/27", q, "Staff and management", "Employment adviser 1 FTE", adviser])
            rows["Budget"].append([cid, "2026/27", q, "Beneficiary", "Client travel", travel])
    headers = {
        "Contracts": ["Contract ID", "Provider", "Lot", "Start date", "End date", "Annual value"],
        "Targets": ["Contract ID", "Output", "Annual target"],
        "Budget": ["Contract ID", "Financial year", "Quarter", "Category", "Budget item", "Budgeted amount"],
    }
    for sheet, values in rows.items():
        ws = wb[sheet]
        cols = {c.value: c.column for c in ws[1] if c.value}
        for i, row in enumerate(values, 2):
            for h, v in zip(headers[sheet], row, strict=True):
                ws.cell(i, cols[h]).value = v
                if isinstance(v, str):
                    ws.cell(i, cols[h]).data_type = "s"
    save(wb, path)
    return path


def _reg(ref: str, day: date, lot: str) -> dict:
    gender, ethnic, disability, age, referral = CLIENTS[ref]
    r = registration(
        **{
            "Client ref": ref,
            "Registration date": day,
            "Age at registration": age,
            "Gender": gender,
            "Ethnic group": ethnic,
            "Disability": disability,
            "Referral source": referral,
            "Eligibility criteria": CRITERIA[lot],
        }
    )
    if ref in IN_WORK:
        r.update(
            {
                "Employment status": "Employed",
                "Employment type": "Part-time",
                "Contract type": "Zero hours",
                "Average weekly hours": 16,
                "Gross hourly pay": 13.85,
                "On Statutory Sick Pay": "No",
            }
        )
    return r


def _job(ref: str, client: str, day: date) -> dict:
    return claim(
        **{
            "Claim ref": ref,
            "Client ref": client,
            "Date achieved": day,
            "Start date": day,
            "Evidence reference": f"{ref}.pdf",
        }
    )


def _progression(ref: str, client: str, day: date) -> dict:
    return {
        "Claim ref": ref,
        "Client ref": client,
        "Output": "4",
        "Date achieved": day,
        "Evidence held": "Contract of employment",
        "Evidence reference": f"{ref}.pdf",
        "Employer": "Borough Market Traders Ltd",
        "Start date": day,
        "Employment type": "Part-time",
        "Contract type": "Permanent",
        "Weekly hours": 24,
        "Gross hourly pay": 13.85,
        "Progression type": "C contract",
        "Previous contract type": "Zero hours",
        "Previous weekly hours": 16,
    }


def _lot_output(ref: str, client: str, day: date) -> dict:
    return {
        "Claim ref": ref,
        "Client ref": client,
        "Output": "7",
        "Date achieved": day,
        "Evidence held": "Activity record",
        "Evidence reference": f"{ref}.pdf",
    }


def _spend(cid: str, adviser, travel) -> list[dict]:
    b_adviser, b_travel = BUDGET[cid]
    return [
        expenditure_line(
            **{"Budget item": "Employment adviser 1 FTE", "Budgeted amount": b_adviser, "Actual spend": adviser}
        ),
        expenditure_line(
            **{
                "Category": "Beneficiary",
                "Budget item": "Client travel",
                "Budgeted amount": b_travel,
                "Actual spend": travel,
            }
        ),
    ]


def _cover(cid: str, quarter: str, submitted: date) -> dict:
    return {
        "Provider": PROVIDERS[cid],
        "Contract ID": cid,
        "Lot": LOTS[cid],
        "Quarter": quarter,
        "Date submitted": submitted,
    }


def _returns(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    d1, d2 = date(2026, 7, 10), date(2026, 10, 9)
    l301_q1_regs = [_reg(f"SW30000{i}", date(2026, 4, 6 + i), "3") for i in range(1, 8)]
    l301_q1_claims = [
        _job("L301-01", "SW300001", date(2026, 5, 4)),
        _job("L301-02", "SW300002", date(2026, 5, 11)),
        _job("L301-03", "SW300005", date(2026, 6, 1)),
        _progression("L301-04", "SW300007", date(2026, 6, 8)),
        _lot_output("L301-05", "SW300006", date(2026, 6, 15)),
    ]
    late = [dict(c) for c in l301_q1_claims]
    late[0]["Date achieved"] = late[0]["Start date"] = date(2026, 7, 6)  # after the quarter: C201
    files = [
        write_return(
            folder,
            "l301-q1-v1.xlsx",
            cover_values=_cover(L301, "Q1", date(2026, 7, 1)),
            registrations=l301_q1_regs,
            claims=late,
            expenditure=_spend(L301, 8750.50, 1050.25),
        ),
        write_return(
            folder,
            "l301-q1-v2.xlsx",
            cover_values=_cover(L301, "Q1", d1),
            registrations=l301_q1_regs,
            claims=l301_q1_claims,
            expenditure=_spend(L301, 8750.50, 1050.25),
        ),
        write_return(
            folder,
            "l301-q2.xlsx",
            cover_values=_cover(L301, "Q2", d2),
            registrations=[_reg(f"SW3000{i:02d}", date(2026, 7, i), "3") for i in range(8, 13)],
            claims=[_job("L301-06", "SW300004", date(2026, 8, 3)), _job("L301-07", "SW300008", date(2026, 8, 17))],
            expenditure=_spend(L301, 9100.00, 980.10),
        ),
        write_return(
            folder,
            "l302-q1.xlsx",
            cover_values=_cover(L302, "Q1", d1),
            registrations=[_reg(f"SW31000{i}", date(2026, 4, 6 + i), "3") for i in range(1, 7)],
            claims=[_job("L302-01", "SW310002", date(2026, 5, 4)), _job("L302-02", "SW310005", date(2026, 6, 1))],
            expenditure=_spend(L302, 9000.00, 999.99),
        ),
        write_return(
            folder,
            "l701-q1.xlsx",
            cover_values=_cover(L701, "Q1", d1),
            registrations=[_reg(f"SW70000{i}", date(2026, 4, 6 + i), "7") for i in range(1, 4)],
            claims=[
                _job("L701-01", "SW700002", date(2026, 5, 4)),
                _lot_output("L701-02", "SW700001", date(2026, 6, 15)),
            ],
            expenditure=_spend(L701, 3900.00, 500.00),
        ),
    ]
    return files


def _build(folder: Path) -> Path:
    path = folder / "ledger.sqlite3"
    rd = RefData()
    with open_ledger(path) as ledger:
        store.import_register(ledger, _register(folder / "register.xlsx"), rd, Settings.defaults())
        files = _returns(folder / "returns")
        results = []
        for f in files:  # one at a time, in order: Q1 version 1 before version 2
            results += store.import_returns(ledger, [f], rd, Settings.defaults(), TODAY)
        assert [r.status for r in results] == ["imported"] * 5, [r.line() for r in results]
        # only the replaced version has an error (C201); no other finding stops anything counting
        assert [r.errors for r in results] == [1, 0, 0, 0, 0], [r.line() for r in results]
        store.decide_credit(ledger, L301, Q2, "2", "apply", "job starts half of profile")
        store.decide_credit(ledger, L301, Q2, "4", "waive", "progression adviser off sick, agreed")
        store.create_rap(ledger, L301, Q2, date(2027, 1, 13), "core outputs at or below 70%", day=TODAY)
    return path


@pytest.fixture(scope="module")
def own_user_data(tmp_path_factory):
    """The module's fixtures run before each test's own user data folder is set: they get one too."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SWTOOL_DATA_DIR", str(tmp_path_factory.mktemp("userdata")))
        yield


@pytest.fixture(scope="module")
def small_built(tmp_path_factory, own_user_data) -> Path:
    return _build(tmp_path_factory.mktemp("small"))


@pytest.fixture
def small(small_built, tmp_path) -> Path:
    with open_ledger(small_built) as ledger:
        ledger.backup(tmp_path / "ledger" / "ledger.sqlite3")
    return tmp_path / "ledger" / "ledger.sqlite3"


def run(*args, code: int = 0):
    res = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert res.exit_code == code, (res.exit_code, res.output)
    return res


def test_the_small_ledger_is_what_the_docstring_says(small):
    with open_ledger(small) as ledger:
        rows = store.findings_of(ledger, 1)
    assert [(f["code"], f["cell"]) for f in rows if f["severity"] == "error"] == [("C201", "Claims!D2")]


# --- reading the reports back as a reader sees them -----------------------------------------------------


def rows_under(ws, *header) -> list[tuple]:
    """The rows of the table whose header row starts with ``header``, up to the first empty row."""
    start = next(
        r for r in range(1, ws.max_row + 1) if tuple(ws.cell(r, c + 1).value for c in range(len(header))) == header
    )
    out = []
    for r in range(start + 1, ws.max_row + 2):
        values = tuple(c.value for c in ws[r]) if r <= ws.max_row else ()
        if not any(v is not None for v in values):
            return out
        out.append(values)
    return out


@pytest.fixture(scope="module")
def contract_book(small_built, tmp_path_factory, own_user_data):
    """The contract report of SW-L3-01 (a report only reads the ledger: one for the module's tests)."""
    out = tmp_path_factory.mktemp("contract") / "SW-L3-01.xlsx"
    res = run("report", "contract", L301, "-o", out, "--db", small_built, "--today", TODAY.isoformat())
    assert res.output == f"Wrote {out}\n"
    return out, openpyxl.load_workbook(out)


@pytest.fixture(scope="module")
def network_book(small_built, tmp_path_factory, own_user_data):
    out = tmp_path_factory.mktemp("network") / "network.xlsx"
    res = run("report", "network", "--year", "2026/27", "-o", out, "--db", small_built, "--today", TODAY.isoformat())
    assert res.output == f"Wrote {out}\n"
    return out, openpyxl.load_workbook(out)


@pytest.fixture(scope="module")
def contract_json(small_built, own_user_data) -> dict:
    """The contract report of SW-L3-01 as JSON, for the module's tests."""
    return json.loads(
        run("report", "contract", L301, "--format", "json", "--db", small_built, "--today", TODAY.isoformat()).output
    )


def test_contract_report_sheets(contract_book):
    _, wb = contract_book
    assert wb.sheetnames == [
        "About",
        "Outputs",
        "Spend",
        "Service credits",
        "Plans",
        "Findings",
        "Equality of outcome",
        "Referrals",
        "Value for money",
        "Charts",
        "Produced from",
    ]
    about = [c.value for c in wb["About"]["A"] if c.value]
    assert about[:3] == [
        "Southwark Works contract report: SW-L3-01, Bermondsey Pathways CIC (lot 3)",
        "Term: 01/04/2026 to 31/03/2028; annual value £159,500.00",
        "Quarters covered: 2026/27-Q1 to 2026/27-Q2 (from the quarter the contract started)",
    ]


def test_contract_outputs_per_quarter_and_to_date(contract_book):
    _, wb = contract_book
    rows = {(r[0], r[2]): r[3:] for r in rows_under(wb["Outputs"], "Output", "What is counted")}
    # output 2 = 2a (no 2b target): 16 a year = 4 a quarter. Q1 counts version 2: 3 starts (version 1's
    # late one is not there); Q2 2 starts. 3 ÷ 4 = 75%, 2 ÷ 4 = 50%; to date 5 ÷ 8 = 62.5%
    assert rows[("2", Q1)] == (1, 3, 4, 0.75, 3, 4, 0.75)
    assert rows[("2", Q2)] == (2, 2, 4, 0.5, 5, 8, 0.625)
    # output 4: 8 a year = 2 a quarter; one progression in Q1, none in Q2; to date 1 ÷ 4 = 25%
    assert rows[("4", Q1)] == (1, 1, 2, 0.5, 1, 2, 0.5) and rows[("4", Q2)] == (2, 0, 2, 0, 1, 4, 0.25)
    # registrations: 7 then 5 against 10 a quarter; to date 12 ÷ 20 = 60%
    assert rows[("1", Q2)] == (2, 5, 10, 0.5, 12, 20, 0.6)
    # lot 3's output 7 under its own meaning
    assert [r[1] for r in rows_under(wb["Outputs"], "Output", "What is counted") if r[0] == "7"] == [
        "Clients already in work maintaining employment"
    ] * 2
    assert wb["Outputs"]["G4"].number_format == "0.0%"


def test_contract_spend_against_budget(contract_book):
    _, wb = contract_book
    ws = wb["Spend"]
    per_q = rows_under(ws, "Quarter", "Budget (register)")
    # Q1: 9,000 + 1,000 budgeted; 8,750.50 + 1,050.25 = 9,800.75 spent; 9,800.75 − 10,000 = −199.25 (−1.99%)
    # Q2: 9,100.00 + 980.10 = 10,080.10; +80.10 (+0.80%)
    assert [r[:4] for r in per_q] == [(Q1, 10000, 9800.75, -199.25), (Q2, 10000, 10080.1, 80.1)]
    assert per_q[0][4] == pytest.approx(-199.25 / 10000) and per_q[0][5] == "within 10%"
    assert ws.cell(4, 2).number_format == "£#,##0.00;-£#,##0.00"
    heads = rows_under(ws, "Category", "Budget item")
    # travel: 1,050.25 + 980.10 = 2,030.35 against 2,000 (+30.35); adviser: 8,750.50 + 9,100.00 = 17,850.50
    # against 18,000 (−149.50); total 19,880.85 against 20,000 (−119.15)
    assert [r[:5] for r in heads] == [
        ("Beneficiary", "Client travel", 2000, 2030.35, 30.35),
        ("Staff and management", "Employment adviser 1 FTE", 18000, 17850.5, -149.5),
        (None, "Total", 20000, 19880.85, -119.15),
    ]


def test_contract_service_credits_due_applied_and_waived(contract_book):
    _, wb = contract_book
    ws = wb["Service credits"]
    lines = {(r[0], r[2]): r for r in rows_under(ws, "Quarter", "Contract quarter")}
    # Q1 is contract quarter 1: exempt. Q2 (contract quarter 2): output 2, 2 of 4 = 50% (at or below 70%):
    # 4 − 2 = 2 credits × (159,500 × 2 × 10% ÷ 16) = 2 × 1,993.75 = £3,987.50, applied;
    # output 4, 0 of 2: 2 credits × (159,500 × 2 × 10% ÷ 8) = 2 × 3,987.50 = £7,975.00, waived
    assert lines[(Q1, "2")][6:] == (0, 0, "not due")
    assert lines[(Q2, "2")][3:] == (4, 2, 0.5, 2, 3987.5, "applied")
    assert lines[(Q2, "4")][3:] == (2, 0, 0, 2, 7975, "waived")
    totals = rows_under(ws, "Quarter", "Due")
    # due 3,987.50 + 7,975.00 = 11,962.50; applied 3,987.50; waived 7,975.00; pending 0
    assert totals[-1] == ("Total", 11962.5, 3987.5, 7975, 0) + (None,) * 4


def test_contract_plans_and_findings_across_versions(contract_book):
    _, wb = contract_book
    [plan] = rows_under(wb["Plans"], "Plan", "Quarter")
    assert plan[:7] == (1, Q2, "2026-11-23", "2027-01-13", "open", "no", "open")
    assert plan[7] == "core outputs at or below 70%"
    findings = rows_under(wb["Findings"], "Return version", "Quarter")
    # Q1 version 1 had the late job start (C201, an output-claims error); version 2 replaced it
    assert [r[:7] for r in findings] == [
        (f"{Q1} v1", Q1, 1, 1, "superseded", 1, 0),
        (f"{Q1} v2", Q1, 2, 2, "counted", 0, 0),
        (f"{Q2} v1", Q2, 1, 3, "counted", 0, 0),
    ]
    header = [c.value for c in wb["Findings"][3]]
    assert findings[0][header.index("C: output claims")] == 1
    assert sum(findings[0][7:]) == 1


def test_contract_equality_of_outcome_with_a_suppressed_cell_and_a_rate(contract_book):
    _, wb = contract_book
    rows = {
        (r[1], r[2]): r[3:] for r in rows_under(wb["Equality of outcome"], "Contract, lot or network", "Characteristic")
    }
    # SW-L3-01's 12 clients: 8 women, 4 men (under 5: <5); 5 of them started a job (SW300001, 02, 04, 05,
    # 08): 4 women (<5), 1 man (<5); 5 ÷ 12 = 41.7% overall, and the women's rate is not shown
    assert rows[("Gender", "Female")][:3] == (8, "<5", "[c]")
    assert rows[("Gender", "Male")][:2] == ("<5", "<5")
    assert rows[("Gender", "Total")][:2] == (12, 5) and rows[("Gender", "Total")][2] == pytest.approx(5 / 12)
    # 9 White clients, 5 of them with a job start: 5 ÷ 9 = 55.6%
    assert rows[("Ethnic group", "White")][:2] == (9, 5)
    assert rows[("Ethnic group", "White")][2] == pytest.approx(5 / 9)
    # ages 22 | 30 41 35 28 45 33 27 38 29 | 52 61: 16–24 1, 25–49 9, 50+ 2
    assert [rows[("Age band", b)][0] for b in ("16–24", "25–49", "50+", "Not recorded")] == ["<5", 9, "<5", "<5"]
    assert rows[("Disability", "No")][:2] == (10, 5) and rows[("Disability", "No")][2] == 0.5
    # no number under 5 anywhere on the sheet
    for row in wb["Equality of outcome"].iter_rows():
        for c in row:
            assert not (isinstance(c.value, int) and c.value < 5 and c.column > 3), c.coordinate
    said = {r[0]: r[2] for r in rows_under(wb["Equality of outcome"], "Protected characteristic", "Recorded as")}
    assert len(said) == 9 and [k for k, v in said.items() if v == "no"] == [
        "Gender reassignment",
        "Marriage and civil partnership",
        "Pregnancy and maternity",
        "Religion or belief",
        "Sexual orientation",
    ]


def test_contract_referrals_and_value_for_money(contract_book):
    _, wb = contract_book
    refs = {r[1]: r[2:] for r in rows_under(wb["Referrals"], "Contract, lot or network", "Referral source")}
    # Jobcentre Plus referred SW300001, 02, 05, 08, 10; four of them started a job: 4 ÷ 5 = 80%
    assert refs["Jobcentre Plus"] == (5, 4, 0.8)
    assert refs["Self-referral"] == (3, 0, 0) and refs["Total"][:2] == (12, 5)
    assert "Other" not in refs  # no client from it: no row
    [value] = rows_under(wb["Value for money"], "Contract, lot or network", "Provider")
    # cash spent 9,800.75 + 10,080.10 = 19,880.85; ÷ 12 registrations = 1,656.7375 → £1,656.74;
    # ÷ 5 job starts = 3,976.17; ÷ 1 progression = 19,880.85; no sustained job: n/a
    assert value[:13] == (L301, PROVIDERS[L301], "3", 2, 19880.85, 12, 1656.74, 5, 3976.17, 0, "n/a", 1, 19880.85)
    assert value[13:] == (159500, 159500, None, "-")  # at lot 3's maximum, not over it


def test_network_equality_protects_across_contracts_lots_and_the_network(network_book):
    _, wb = network_book
    rows = {
        (r[0], r[1], r[2]): r[3:]
        for r in rows_under(wb["Equality of outcome"], "Contract, lot or network", "Characteristic")
    }
    reg = {k: v[0] for k, v in rows.items()}
    # women registered: SW-L3-01 8, SW-L3-02 1, SW-L7-01 1; lot 3 9, lot 7 1; network 10. Lot 7's 1 is
    # under 5, so the network's 10 would give lot 3's 9 away... and 10 − 9 gives lot 7's 1: lot 3's is withheld.
    assert reg[("Network", "Gender", "Female")] == 10
    assert reg[("Lot 3", "Gender", "Female")] == "[c]" and reg[("Lot 7", "Gender", "Female")] == "<5"
    assert reg[(L301, "Gender", "Female")] == 8 and reg[(L302, "Gender", "Female")] == "<5"
    # totals: 12 + 6 = 18 in lot 3, 3 in lot 7 (<5), 21 in the network: lot 3's 18 is withheld, and then one
    # of its contracts' (the smaller, SW-L3-02's 6), else 18 − 12 would give it back
    assert reg[("Network", "Gender", "Total")] == 21 and reg[("Lot 3", "Gender", "Total")] == "[c]"
    assert reg[(L301, "Gender", "Total")] == 12 and reg[(L302, "Gender", "Total")] == "[c]"
    # the network's White clients: 9 + 5 + 2 = 16, 8 of them with a job start (all 8 starts): 50%
    assert rows[("Network", "Ethnic group", "White")][:3] == (16, 8, 0.5)
    assert rows[("Network", "Gender", "Total")][:3] == (21, 8, pytest.approx(8 / 21))
    ws = wb["Equality of outcome"]
    assert any(c.value == "Sexual orientation" for c in ws["A"])


def test_network_referrals_by_lot_and_contract(network_book):
    _, wb = network_book
    rows = {(r[0], r[1]): r[2:] for r in rows_under(wb["Referrals"], "Contract, lot or network", "Referral source")}
    # Jobcentre Plus: SW-L3-01 5 (4 starts), SW-L3-02 3 (1: SW310005), SW-L7-01 1 (0): lot 3 8 and 5 = 62.5%;
    # network 9 and 5 = 55.6%
    assert rows[("Lot 3", "Jobcentre Plus")] == (8, 5, 0.625)
    assert rows[("Network", "Jobcentre Plus")] == (9, 5, pytest.approx(5 / 9))
    assert rows[(L302, "Voluntary sector")] == (2, 1, 0.5)
    assert rows[("Network", "Other")] == (0, 0, "n/a")  # the network lists every source
    assert rows[("Network", "Total")] == (21, 8, pytest.approx(8 / 21))


def test_network_value_for_money_and_k706(network_book):
    _, wb = network_book
    rows = {r[0]: r for r in rows_under(wb["Value for money"], "Contract, lot or network", "Provider")}
    # SW-L3-02: 9,000.00 + 999.99 = 9,999.99; ÷ 6 = 1,666.665 → £1,666.67 (half-up); ÷ 2 = 4,999.995 → £5,000.00.
    # Its annual value £160,000.00 is over lot 3's maximum £159,500.00 by £500.00: K706
    assert rows[L302][3:9] == (1, 9999.99, 6, 1666.67, 2, 5000)
    assert rows[L302][13:] == (160000, 159500, 500, "K706")
    # lot 3: 19,880.85 + 9,999.99 = 29,880.84; ÷ 18 = 1,660.0466… → £1,660.05; ÷ 7 = 4,268.6914… → £4,268.69
    assert rows["Lot 3"][4:9] == (29880.84, 18, 1660.05, 7, 4268.69)
    # network: + 3,900.00 + 500.00 = 34,280.84; ÷ 21 = 1,632.4209… → £1,632.42; ÷ 8 = 4,285.105 → £4,285.11
    assert rows["Network"][3:9] == (4, 34280.84, 21, 1632.42, 8, 4285.11)
    assert rows[L701][13:] == (77000, 77000, None, "-")


def test_network_outputs_7_added_up_only_where_they_mean_the_same(network_book):
    _, wb = network_book
    rows = {(r[0], r[1]): r for r in wb["Outputs"].iter_rows(min_row=5, values_only=True) if r[0]}
    # lot 3's and lot 7's output 7 both count clients already in work maintaining employment: one each in Q1
    assert rows[("Lots 3, 7", "7")][2] == "Clients already in work maintaining employment"
    assert rows[("Lots 3, 7", "7")][3:6] == (2, 2, 1)
    assert ("All lots", "7") not in rows and rows[("All lots", "2")][3:5] == (6, 7)


def test_every_report_says_what_produced_it(contract_json, contract_book, network_book):
    from swtool.ledger.db import MIGRATIONS

    for _, wb in (contract_book, network_book):
        rows = {(r[0], r[1]): r[2] for r in rows_under(wb["Produced from"], "Section", "Item")}
        assert rows[("Ledger", "file")] == "ledger.sqlite3"
        assert rows[("Ledger", "schema version")] == str(len(MIGRATIONS))
        assert rows[("Ledger", "last decision")] == "3"  # two credit decisions, one plan opened
        assert rows[("Settings", "credit_quarters")] == "1"
        assert rows[("Reference data", "lots.csv")].startswith("January 2023; shipped; covers 11 rows; sha256 ")
    doc = contract_json
    assert doc["produced_from"]["ledger"] == {
        "file": "ledger.sqlite3",
        "schema_version": len(MIGRATIONS),
        "last_decision": 3,
        "register_version": 1,
        "returns": 5,
    }
    assert doc["produced_from"]["produced"] == "2026-11-23"


def test_json_has_every_table(small, contract_json):
    doc = contract_json
    assert [t["name"] for t in doc["tables"]] == [
        "outputs",
        "spend_by_quarter",
        "spend_by_heading",
        "service_credits",
        "credits_by_quarter",
        "plans",
        "findings",
        "equality_of_outcome",
        "protected_characteristics",
        "referrals",
        "value_for_money",
    ]
    tables = {t["name"]: t for t in doc["tables"]}
    # money as text, counts as numbers, suppressed as text, percentages in per cent
    assert tables["value_for_money"]["rows"][0]["cost_1"] == "1656.74"
    female = next(r for r in tables["equality_of_outcome"]["rows"] if r["group"] == "Female")
    assert (female["registered"], female["job_start"], female["job_start_rate"]) == (8, "<5", "[c]")
    total = next(r for r in tables["equality_of_outcome"]["rows"] if r["group"] == "Total")
    assert total["job_start_rate"] == 41.67  # 5 ÷ 12
    net = json.loads(
        run(
            "report", "network", "--year", "2026/27", "--format", "json", "--db", small, "--today", TODAY.isoformat()
        ).output
    )
    assert [t["name"] for t in net["tables"]] == [
        "outputs",
        "shared_outputs",
        "across_contracts",
        "equalities",
        "equality_of_outcome",
        "protected_characteristics",
        "referrals",
        "value_for_money",
    ]
    assert net["period"] == {"first": Q1, "last": "2026/27-Q4"}


# --- charts --------------------------------------------------------------------------------------------


def _cells(wb, ref: str) -> list:
    """The values of the cells a chart's reference names (``'Outputs'!$E$4:$E$5``)."""
    sheet, cells = ref.rsplit("!", 1)
    ws = wb[sheet.strip("'")]
    return [c.value for row in ws[cells.replace("$", "")] for c in row]


def _charts(wb) -> list[dict]:
    out = []
    for ch in wb["Charts"]._charts:
        first = ch.series[0].cat
        cats = (first.numRef or first.strRef).f
        out.append(
            {
                "title": "".join(r.t for p in ch.title.tx.rich.p for r in (p.r or [])),
                "type": ch.tagname,
                "categories": _cells(wb, cats),
                "series": {s.tx.v: _cells(wb, s.val.numRef.f) for s in ch.series},
            }
        )
    return out


def test_chart_series_read_the_right_cells(contract_book):
    _, wb = contract_book
    charts = {c["title"]: c for c in _charts(wb)}
    jobs = charts["Output 2: Clients starting a job or an apprenticeship (2a + 2b), per quarter"]
    assert jobs["type"] == "barChart" and jobs["categories"] == [Q1, Q2]
    assert jobs["series"] == {"Actual": [3, 2], "Target": [4, 4]}
    to_date = charts["Output 2: Clients starting a job or an apprenticeship (2a + 2b), to date"]
    assert to_date["type"] == "lineChart" and to_date["series"] == {"Actual to date": [3, 5], "Target to date": [4, 8]}
    assert charts["Output 4: Clients progressing into a better role, per quarter"]["series"] == {
        "Actual": [1, 0],
        "Target": [2, 2],
    }
    assert charts["Cash spent against budget per quarter"]["series"] == {
        "Budget": [10000, 10000],
        "Actual spend": [9800.75, 10080.1],
    }
    credits = charts["Service credits per quarter"]
    assert credits["categories"] == [Q1, Q2]  # not the Total row
    assert credits["series"] == {"Due": [0, 11962.5], "Applied": [0, 3987.5], "Waived": [0, 7975]}
    fam = charts["Errors and warnings by rule family, each version"]
    assert fam["categories"] == [f"{Q1} v1", f"{Q1} v2", f"{Q2} v1"]
    assert fam["series"]["output claims"] == [1, 0, 0] and len(fam["series"]) == 8


def test_the_network_charts_are_still_there(network_book):
    path, wb = network_book
    assert len(wb["Charts"]._charts) == 3
    with zipfile.ZipFile(path) as z:
        assert not any(n.startswith("xl/media/") for n in z.namelist())  # native charts, no pictures


# --- LibreOffice opens every report -----------------------------------------------------------------


def _soffice():
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(_soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_every_report_with_its_charts(contract_book, network_book, tmp_path):
    conv = tmp_path / "converted"
    env = {**os.environ, "HOME": str(tmp_path)}
    for path, wb in (contract_book, network_book):
        proc = subprocess.run(
            [
                _soffice(),
                "--headless",
                f"-env:UserInstallation=file://{tmp_path / 'profile'}",
                "--convert-to",
                "xlsx",
                "--outdir",
                str(conv),
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert proc.returncode == 0, proc.stderr
        again = openpyxl.load_workbook(conv / path.name)
        assert again.sheetnames == wb.sheetnames
        mine = [[re.sub(r"'", "", s.val.numRef.f) for s in ch.series] for ch in wb["Charts"]._charts]
        theirs = [[re.sub(r"'", "", s.val.numRef.f) for s in ch.series] for ch in again["Charts"]._charts]
        assert theirs == mine and mine


# --- the command ---------------------------------------------------------------------------------------


def test_contract_report_refusals(small, tmp_path):
    res = CliRunner().invoke(
        cli, ["report", "contract", "SW-L9-99", "-o", str(tmp_path / "x.xlsx"), "--db", str(small)]
    )
    assert res.exit_code == 2 and "contract 'SW-L9-99' is not in the register in force" in res.stderr
    res = CliRunner().invoke(cli, ["report", "contract", L301, "--db", str(small)])
    assert res.exit_code == 2 and "needs -o FILE.xlsx" in res.output
    res = CliRunner().invoke(cli, ["report", "contract", L301, "-o", str(small), "--db", str(small)])
    assert res.exit_code == 2 and "is the ledger itself" in res.stderr
    res = CliRunner().invoke(
        cli, ["report", "contract", L301, "--quarter", "2026/27-Q9", "-o", str(tmp_path / "x.xlsx"), "--db", str(small)]
    )
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert not (tmp_path / "x.xlsx").exists()


def test_contract_report_is_the_same_file_twice_and_has_no_formula(small, contract_book, tmp_path):
    # written again, from a copy of the ledger the module's report was written from
    a, (b, wb) = tmp_path / "a.xlsx", contract_book
    run("report", "contract", L301, "-o", a, "--db", small, "--today", TODAY.isoformat())
    assert a.read_bytes() == b.read_bytes()
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"{ws.title}!{c.coordinate}"
    text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
    assert "SW3000" not in text  # no client reference


def test_an_earlier_quarter_covers_less(small):
    doc = json.loads(
        run(
            "report", "contract", L301, "--quarter", Q1, "--format", "json", "--db", small, "--today", TODAY.isoformat()
        ).output
    )
    outputs = [r for r in doc["tables"][0]["rows"] if r["output"] == "2"]
    assert [(r["quarter"], r["actual"]) for r in outputs] == [(Q1, 3)]


# --- the series the review screens can draw -------------------------------------------------------------


def test_series_per_output_and_quarter():
    from builders import contract
    from swtool.ledger.contract_report import series
    from swtool.model.quarter import Quarter

    c = contract(start=date(2026, 4, 1))  # 2a 36 + 2b 4 = 40 a year: output 2 is 10 a quarter
    s = series(c, {Quarter(2026, 1): {"2a": 6, "2b": 1, "4": 3}, "2026/27-Q3": {"2a": 9}}, "2026/27-Q3")
    two = s["2"]
    assert two.quarters == [Q1, Q2, "2026/27-Q3"]
    assert two.actual == [7, None, 9]  # Q2: no return counted
    assert two.target == [10, 10, 10]
    assert two.actual_to_date == [7, 7, 16] and two.target_to_date == [10, 20, 30]
    assert s["4"].target == [Decimal("5.25")] * 3 and s["4"].target_to_date == [
        Decimal("5.25"),
        Decimal("10.5"),
        Decimal("15.75"),
    ]
    assert list(s)[:2] == ["2", "4"]  # the core outputs first


def test_the_report_modules_load_no_front_end_and_no_openpyxl():
    from test_import_hygiene import probe

    modules = [
        "swtool.write.outcomes",
        "swtool.write.reportbook",
        "swtool.ledger.reportdata",
        "swtool.ledger.contract_report",
    ]
    steps = probe([(m, f"import {m}\n") for m in modules])
    assert {m: s["front_ends"] for m, s in steps.items()} == {m: [] for m in modules}
    assert {m: "openpyxl" in s["heavy"] for m, s in steps.items()} == {m: False for m in modules}


# --- the README's picture ------------------------------------------------------------------------------


def _image_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_chart_image", Path(__file__).resolve().parents[3] / "docs" / "make_chart_image.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_picture_draws_the_charts_series(contract_book, tmp_path):
    path, _ = contract_book
    mod = _image_script()
    charts = mod.chart_series(path)
    # output 4: 1 then 0 against 2 a quarter; to date 1, 1 against 2, 4
    assert [c["series"] for c in charts] == [
        {"Actual": [1, 0], "Target": [2, 2]},
        {"Actual to date": [1, 1], "Target to date": [2, 4]},
    ]
    out = tmp_path / "picture.svg"
    assert mod.main([str(path), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text == mod.svg(charts)  # the same file every time

    # bars: Actual 1 and 0, Target 2 and 2 (twice as high); lines: two polylines through two points each
    def heights(colour):
        return [
            float(h)
            for w, h in re.findall(
                rf'<rect x="[^"]+" y="[^"]+" width="([^"]+)" height="([^"]+)" '
                rf'fill="{colour}"/>',
                text,
            )
            if w != "12"
        ]  # not the legend keys

    actual, target = heights("#1F4E78"), heights("#ED7D31")
    assert actual[1] == 0 and target[0] == target[1] == pytest.approx(2 * actual[0], abs=0.1)
    assert len(re.findall(r"<polyline points=\"[^\"]+ [^\"]+\"", text)) == 2
    assert ">2026/27-Q2</text>" in text and "Output 4: Clients progressing into a better role, to date" in text


def test_the_readme_shows_the_committed_picture():
    root = Path(__file__).resolve().parents[3]
    readme = (root / "README.md").read_text(encoding="utf-8")
    [image] = re.findall(r"!\[[^\]]*\]\((docs/img/[^)]+\.svg)\)", readme)
    text = (root / image).read_text(encoding="utf-8")
    assert text.startswith("<svg ") and "Output 4: Clients progressing into a better role, per quarter" in text
