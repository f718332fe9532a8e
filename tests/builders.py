"""Build small returns for tests: valid by default, so a test changes only what it is about.

path = write_return(tmp_path, claims=[claim(Output="3a", **{"Date achieved": date(2026, 9, 1)})])
report = check(path, contract=contract())
assert report.flatten(["code", "cell"]) == [["C207", "Claims!D2"]]
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl

from swtool.checks.context import CheckContext
from swtool.engine import check_file
from swtool.model import standard as std
from swtool.model.refdata import RefData
from swtool.model.settings import Settings
from swtool.read.register import BudgetLine, ContractFacts, Register, Target, contract_sheet_rows

QUARTER_FY, QUARTER = "2026/27", "Q2"  # July to September 2026
TODAY = date(2026, 10, 1)
REFDATA = RefData()


def cover(**overrides) -> dict:
    c = {
        "Provider": "Bermondsey Pathways CIC",
        "Contract ID": "SW-L3-01",
        "Lot": "3",
        "Financial year": QUARTER_FY,
        "Quarter": QUARTER,
        "Completed by": "Contract manager",
        "Date submitted": date(2026, 10, 9),
        "Template version": std.TEMPLATE_VERSION,
    }
    c.update(overrides)
    return c


def registration(**overrides) -> dict:
    r = {
        "Client ref": "SW100001",
        "Registration date": date(2026, 7, 6),
        "Registration type": "New",
        "Last engagement date": None,
        "Age at registration": 34,
        "Postcode": "SE1 0AA",
        "Residence basis": "Southwark postcode",
        "Right to work seen": "Yes",
        "Registration wizard completed": "Yes",
        "Privacy notice signed": "Yes",
        "Action plan completed": "Yes",
        "Referral source": "Self-referral",
        "Eligibility criteria": "Mental health",
        "Employment status": "Unemployed",
        "Highest qualification level": "2",
        "Gender": "Female",
        "Ethnic group": "White",
        "Disability": "No",
    }
    r.update(overrides)
    return r


def claim(**overrides) -> dict:
    c = {
        "Claim ref": "CL-0001",
        "Client ref": "SW100001",
        "Output": "2a",
        "Date achieved": date(2026, 8, 3),
        "Evidence held": "Signed contract",
        "Evidence reference": "CL-0001-contract.pdf",
        "Employer": "Borough Market Traders Ltd",
        "Start date": date(2026, 8, 3),
        "Employment type": "Full-time",
        "Contract type": "Permanent",
        "Weekly hours": 37.5,
        "Gross hourly pay": 15.5,
    }
    c.update(overrides)
    return c


def expenditure_line(**overrides) -> dict:
    e = {
        "Category": "Staff and management",
        "Budget item": "Employment adviser 1 FTE",
        "Budgeted amount": 9000,
        "Actual spend": 9000,
        "Comment": None,
    }
    e.update(overrides)
    return e


def narrative(**overrides) -> dict:
    n = {
        "Activities and progress": "Outreach at two GP surgeries and the Walworth hub; twelve new referrals.",
        "Lessons learnt": "Evening sessions suit clients in work.",
        "Main referral sources": "IAPT and the Wellbeing Hub.",
        "Client and employer views": "Employers value the in-work support.",
        "Output variances": "Job starts are below profile while a new adviser settles in; temporary, and we "
        "expect to recover the shortfall by Q4.",
        "Finance variances": None,
        "Safeguarding": "None",
        "Case study": "Client SW100001 had been out of work for two years and started a warehouse job in August.",
    }
    n.update(overrides)
    return n


def milestone(**overrides) -> dict:
    m = {
        "Milestone": "Quarterly monitoring report",
        "Due date": date(2026, 10, 14),
        "Date achieved": None,
        "Anticipated date": None,
    }
    m.update(overrides)
    return m


def contract(**overrides) -> ContractFacts:
    c = ContractFacts(
        "SW-L3-01",
        "Bermondsey Pathways CIC",
        "3",
        date(2025, 4, 1),
        date(2027, 3, 31),
        Decimal("159500.00"),
        None,
        {
            "1": Target("1", 120),
            "2a": Target("2a", 36),
            "2b": Target("2b", 4),
            "3a": Target("3a", 20),
            "3b": Target("3b", 2),
            "4": Target("4", 21),
            "5": Target("5", 12),
            "6": Target("6", 30),
        },
        [BudgetLine(QUARTER_FY, QUARTER, "Staff and management", "Employment adviser 1 FTE", Decimal("9000.00"))],
        [("Quarterly monitoring report", date(2026, 10, 14))],
    )
    for k, v in overrides.items():
        setattr(c, k, v)
    return c


def _table(wb, spec: std.SheetSpec, rows: list[dict], headers: list[str] | None = None):
    ws = wb.create_sheet(spec.name)
    headers = headers or [c.header for c in spec.columns]
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h) for h in headers])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # keep "2a", "=x" and the like as text
    return ws


def _labels(wb, name: str, values: dict):
    ws = wb.create_sheet(name)
    for k, v in values.items():
        ws.append([k, v])
    return ws


def write_return(
    folder: Path,
    name: str = "return.xlsx",
    *,
    cover_values: dict | None = None,
    registrations: list[dict] | None = None,
    claims: list[dict] | None = None,
    expenditure: list[dict] | None = None,
    transactions: list[dict] | None = None,
    narrative_values: dict | None = None,
    milestones: list[dict] | None = None,
    contract_sheet: ContractFacts | None = None,
    drop_sheets: tuple[str, ...] = (),
    headers: dict[str, list[str]] | None = None,
) -> Path:
    """A return workbook written with openpyxl; every argument left out is a valid default."""
    headers = headers or {}
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    parts = [
        ("Return", lambda: _labels(wb, "Return", cover(**(cover_values or {})))),
        (
            "Registrations",
            lambda: _table(
                wb,
                std.REGISTRATIONS,
                [registration()] if registrations is None else registrations,
                headers.get("Registrations"),
            ),
        ),
        ("Claims", lambda: _table(wb, std.CLAIMS, [claim()] if claims is None else claims, headers.get("Claims"))),
        (
            "Expenditure",
            lambda: _table(
                wb,
                std.EXPENDITURE,
                [expenditure_line()] if expenditure is None else expenditure,
                headers.get("Expenditure"),
            ),
        ),
        (
            "Transactions",
            lambda: (
                transactions is not None and _table(wb, std.TRANSACTIONS, transactions, headers.get("Transactions"))
            ),
        ),
        ("Narrative", lambda: _labels(wb, "Narrative", narrative(**(narrative_values or {})))),
        (
            "Milestones",
            lambda: _table(
                wb, std.MILESTONES, [milestone()] if milestones is None else milestones, headers.get("Milestones")
            ),
        ),
    ]
    for sheet, make in parts:
        if sheet not in drop_sheets:
            make()
    if contract_sheet is not None:
        ws = wb.create_sheet(std.CONTRACT_SHEET)
        for row in contract_sheet_rows(contract_sheet):
            ws.append(list(row))
        ws.sheet_state = "hidden"
    path = Path(folder) / name
    wb.save(path)
    return path


def check(
    path: Path,
    *,
    contract: ContractFacts | None = None,
    history: list[Path] | None = None,
    today: date = TODAY,
    settings: dict | None = None,
    evidence_dir: Path | None = None,
):
    """Run the engine as ``swtool check`` does, with a register holding ``contract``."""
    from swtool.engine import load_history

    register = Register(Path("register.xlsx"), {contract.contract_id: contract}) if contract else None
    subs, _ = load_history(history, REFDATA) if history else ([], [])
    s = Settings.defaults()
    s.update(settings or {})
    ctx = CheckContext(REFDATA, s, today, register, subs, history is not None, evidence_dir)
    report, _ = check_file(path, ctx)
    return report


def codes(report, severity: str | None = None) -> list[str]:
    return sorted({f.code for f in report.findings if severity is None or f.severity == severity})


def errors(report) -> list[list]:
    return [[f.code, f.cell] for f in report.findings if f.severity == "error"]


def found(report, code: str) -> list:
    """The findings of one rule."""
    return [f for f in report.findings if f.code == code]


def only(report, code: str):
    """The one finding of a rule; fails showing every finding when there is not exactly one."""
    fs = found(report, code)
    assert len(fs) == 1, [(f.code, f.cell, f.message) for f in report.findings]
    return fs[0]
