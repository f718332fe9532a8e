"""Make the shipped samples: a contract register, realistic returns and faulty returns.

    python samples/make_samples.py             # rewrite the workbooks (deterministic)
    python samples/make_samples.py --expected  # and rewrite every <name>.expected.json from today's rules

Clean returns are filled into the prefilled template, as a provider would; each faulty return is a
clean one with known faults written into named cells (FAULTS below says which rules each exercises).
The expected JSON files are golden: tests/test_samples.py compares the checker's findings with them,
so after a deliberate change to a rule, rerun with --expected and read the diff before committing.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from swtool.model import standard as std  # noqa: E402
from swtool.read.register import BudgetLine, ContractFacts, Target  # noqa: E402
from swtool.model.quarter import Quarter  # noqa: E402
from swtool.model.refdata import PACKAGE_DATA, RefData  # noqa: E402
from swtool.write import xlsx  # noqa: E402
from swtool.write.templates import build_register, build_return  # noqa: E402

TODAY = date(2026, 11, 23)  # the date `make demo` counts deadlines from
START, END = date(2025, 4, 1), date(2027, 3, 31)
REGISTER = HERE / "register.xlsx"
RETURNS = HERE / "returns"
FAULTY = HERE / "faulty"


@dataclass
class Spec:
    contract_id: str
    provider: str
    lot: str
    value: int
    targets: dict[str, int]
    criteria: tuple[str, ...]
    in_work_share: float
    quarters: tuple[str, ...]
    employers: tuple[str, ...]


CONTRACTS = [
    Spec("SW-L1A-01", "Walworth Young Futures", "1a", 143000,
         {"1": 80, "2a": 16, "2b": 8, "3a": 8, "3b": 4, "4": 16, "5": 12, "6": 20, "7": 16},
         ("Care leaver", "NEET", "SEN or learning difficulty"), 0.1, ("2026/27-Q1", "2026/27-Q2"),
         ("Elephant Park Cafe Ltd", "Southwark Leisure Trust", "Old Kent Road Motors Ltd")),
    Spec("SW-L3-01", "Bermondsey Pathways CIC", "3", 159500,
         {"1": 120, "2a": 36, "2b": 4, "3a": 20, "3b": 2, "4": 21, "5": 12, "6": 30, "7": 20, "8": 10},
         ("Mental health",), 0.25, ("2025/26-Q3", "2025/26-Q4", "2026/27-Q1", "2026/27-Q2"),
         ("Borough Market Traders Ltd", "Tower Bridge Logistics Ltd", "Canada Water Retail Ltd",
          "Guy's and St Thomas' NHS Foundation Trust")),
    Spec("SW-L7-01", "Peckham Recovery to Work", "7", 77000,
         {"1": 48, "2a": 8, "2b": 2, "3a": 5, "3b": 1, "4": 9, "5": 8, "6": 12, "7": 8},
         ("Substance use",), 0.2, ("2026/27-Q1", "2026/27-Q2"),
         ("Rye Lane Bakery Ltd", "Peckham Levels CIC", "Nunhead Builders Ltd")),
    Spec("SW-L4-01", "Rotherhithe Supported Employment", "4", 165000,
         {"1": 60, "2a": 24, "2b": 16, "3a": 12, "3b": 6, "4": 20, "5": 16, "6": 20, "7": 8, "8": 8, "9": 8},
         ("Learning disability", "Learning difficulty", "Autism"), 0.1, ("2026/27-Q2",),
         ("Surrey Quays Garden Centre Ltd", "Southwark Council Parks Service", "Rotherhithe Print Works Ltd")),
    Spec("SW-L5-01", "Nunhead Families into Work", "5", 165000,
         {"1": 80, "2a": 36, "2b": 8, "3a": 16, "3b": 4, "4": 24, "5": 12, "6": 24, "7": 16},
         ("Lone parent", "Supporting Families", "Unpaid carer"), 0.15, ("2026/27-Q2",),
         ("Nunhead Nursery Ltd", "Peckham Rye Pharmacy Ltd", "Dulwich Hamlet Community Kitchen")),
    Spec("SW-L8-01", "Elephant Housing and Jobs", "8", 165000,
         {"1": 60, "2a": 20, "2b": 4, "3a": 10, "3b": 2, "4": 20, "5": 12, "6": 16, "8": 20},
         ("Homeless", "At risk of homelessness"), 0.1, ("2026/27-Q2",),
         ("Elephant Road Hotel Ltd", "Walworth Road Cafe Ltd", "Bankside Security Ltd")),
    Spec("SW-L9-01", "Camberwell Progress Partnership", "9", 150000,
         {"1": 108, "4": 48, "5": 8, "6": 28},
         ("In low-paid or insecure work",), 1.0, ("2026/27-Q1", "2026/27-Q2"),
         ("Denmark Hill Care Homes Ltd", "Camberwell Cleaning Co-operative", "Southwark Schools Catering Ltd")),
]

BUDGET_LINES = [("Staff and management", "Project manager 0.5 FTE", 0.22),
                ("Staff and management", "Employment advisers 2 FTE", 0.55),
                ("Beneficiary", "Client travel and interview clothing", 0.08),
                ("Beneficiary", "Accredited training courses", 0.10),
                ("Delivery", "Venue hire and outreach", 0.05)]
MILESTONES = [("Mobilisation plan and staff in post", date(2025, 6, 30)),
              ("Outreach and engagement plan agreed", date(2025, 9, 30)),
              ("Client satisfaction survey", date(2026, 3, 31)),
              ("Client forum held", date(2026, 9, 30)),
              ("Impact evaluation report", date(2027, 3, 31))]


def facts_for(s: Spec) -> ContractFacts:
    budget = []
    q = Quarter.containing(START)
    while q.start <= END:
        quarter_total = Decimal(s.value) / 4
        for cat, item, share in BUDGET_LINES:
            budget.append(BudgetLine(q.financial_year, q.label, cat, item,
                                     (quarter_total * Decimal(str(share))).quantize(Decimal("0.01"))))
        q = q.next()
    return ContractFacts(s.contract_id, s.provider, s.lot, START, END, Decimal(s.value), None,
                         {o: Target(o, n) for o, n in s.targets.items()}, budget, list(MILESTONES))


def southwark_postcodes() -> list[str]:
    """Geographic postcodes that both vintages place in a sector wholly inside Southwark."""
    with open(PACKAGE_DATA / "southwark_postcode_sectors.csv", newline="") as fh:
        wholly = {r["sector"] for r in csv.DictReader(fh) if r["status_ons_nov2020"] == "wholly_southwark"}
    with open(PACKAGE_DATA / "southwark_postcodes.csv", newline="") as fh:
        return [r["postcode"] for r in csv.DictReader(fh)
                if r["sector"] in wholly and r["agreement"] == "both" and r["non_geographic_district"] == "N"]


# --- writing rows into the prefilled template ---------------------------------------------------------

def put_rows(ws, rows: list[dict], start: int = 2) -> None:
    headers = {c.value: c.column for c in ws[1] if c.value}
    for i, row in enumerate(rows, start=start):
        for h, v in row.items():
            cell = ws.cell(i, headers[h])
            cell.value = v
            if isinstance(v, str):
                cell.data_type = "s"
            elif isinstance(v, date):
                cell.number_format = "DD/MM/YYYY"


def put_labels(ws, values: dict) -> None:
    for row in ws.iter_rows(min_col=1, max_col=2):
        if row[0].value in values:
            row[1].value = values[row[0].value]
            if isinstance(row[1].value, date):
                row[1].number_format = "DD/MM/YYYY"


class Client:
    def __init__(self, ref, registered, in_work, pay, level):
        self.ref, self.registered, self.in_work, self.pay, self.level = ref, registered, in_work, pay, level
        self.job_starts: list[date] = []
        self.apprenticeship_starts: list[date] = []


class ContractBook:
    """A contract's history as the samples are made quarter by quarter, so claims stay consistent."""

    def __init__(self, spec: Spec, postcodes: list[str]):
        self.spec = spec
        self.rnd = random.Random(spec.contract_id)
        self.postcodes = postcodes
        self.clients: list[Client] = []
        self.claim_no = 0
        self.counter = 0

    def q_target(self, output: str) -> int:
        return round(self.spec.targets.get(output, 0) / 4)

    def day_in(self, q: Quarter, lo: int = 0, hi: int = 88) -> date:
        return q.start + timedelta(days=self.rnd.randint(lo, hi))

    def registrations(self, q: Quarter) -> list[dict]:
        rows = []
        lot = self.spec.lot
        for _ in range(self.q_target("1")):
            self.counter += 1
            prefix = {"1a": "1", "3": "3", "4": "4", "5": "5", "7": "7", "8": "8", "9": "9"}[lot]
            ref = f"SW{prefix}{self.counter:05d}"
            in_work = self.rnd.random() < self.spec.in_work_share
            age = self.rnd.randint(17, 24) if lot == "1a" else self.rnd.randint(19, 63)
            pay = round(self.rnd.uniform(12.75, 13.60), 2) if in_work else None
            level = self.rnd.choice(("Entry", "1", "2", "2", "3"))
            registered = self.day_in(q, 0, 60)
            c = Client(ref, registered, in_work, pay, level)
            self.clients.append(c)
            row = {"Client ref": ref, "Registration date": registered, "Registration type": "New",
                   "Age at registration": age, "Postcode": self.rnd.choice(self.postcodes),
                   "Residence basis": "Southwark postcode", "Right to work seen": "Yes",
                   "Registration wizard completed": "Yes", "Privacy notice signed": "Yes",
                   "Action plan completed": "Yes",
                   "Referral source": self.rnd.choice(("Network coordinator", "Council service", "Jobcentre Plus",
                                                       "Voluntary sector", "Self-referral")),
                   "Eligibility criteria": self.rnd.choice(self.spec.criteria),
                   "Employment status": "Employed" if in_work else "Unemployed",
                   "Highest qualification level": level,
                   "Gender": self.rnd.choice(("Female", "Male", "Female", "Male", "Non-binary")),
                   "Ethnic group": self.rnd.choice(std.ETHNIC_GROUPS[:5]),
                   "Disability": self.rnd.choice(("Yes", "No", "No"))}
            if lot == "4":  # most lot 4 clients are 18+ with a social worker (at least half must be)
                row["Social worker or primary support need"] = "Yes" if self.rnd.random() < 0.8 else "No"
            if lot == "5" and row["Eligibility criteria"] == "Supporting Families":
                row["Family assessment completed"] = "Yes"
            if lot == "8":
                row["Housing plan or council referral number"] = f"HS-{self.rnd.randint(10000, 99999)}"
            if in_work:
                row.update({"Employment type": "Part-time", "Contract type": "Zero hours",
                            "Average weekly hours": 16, "Gross hourly pay": pay, "On Statutory Sick Pay": "No"})
            rows.append(row)
        return rows

    def claim(self, client: Client, output: str, achieved: date, **fields) -> dict:
        self.claim_no += 1
        ref = f"{self.spec.contract_id[3:]}-{self.claim_no:04d}"
        evidence = {"2a": "Signed contract", "2b": "Apprenticeship contract", "3a": "Employer letter 26 weeks",
                    "3b": "Employer or training provider letter 26 weeks", "5": "Host letter, email or text with dates",
                    "6": "Certificate", "7": "Activity record", "8": "Activity record"}.get(output)
        row = {"Claim ref": ref, "Client ref": client.ref, "Output": output, "Date achieved": achieved,
               "Evidence held": evidence, "Evidence reference": f"{ref}.pdf"}
        row.update(fields)
        return row

    def claims(self, q: Quarter) -> list[dict]:
        rows = []
        lot9 = self.spec.lot == "9"
        out_of_work = [c for c in self.clients if not c.in_work and not c.job_starts and not c.apprenticeship_starts
                       and c.registered < q.end - timedelta(days=20)]
        self.rnd.shuffle(out_of_work)
        if not lot9:
            for output in ("2a", "2b"):
                for _ in range(self.q_target(output)):
                    if not out_of_work:
                        break
                    c = out_of_work.pop()
                    start = max(c.registered + timedelta(days=7), q.start) + timedelta(days=self.rnd.randint(0, 10))
                    start = min(start, q.end)
                    employer = self.rnd.choice(self.spec.employers)
                    if output == "2a":
                        c.job_starts.append(start)
                        rows.append(self.claim(c, "2a", start, **{
                            "Employer": employer, "Start date": start, "Employment type": "Full-time",
                            "Contract type": "Permanent", "Weekly hours": 35, "Gross hourly pay": 15.25}))
                    else:
                        c.apprenticeship_starts.append(start)
                        rows.append(self.claim(c, "2b", start, **{
                            "Employer": employer, "Start date": start, "Contract type": "Apprenticeship",
                            "Gross hourly pay": 8.0, "Apprenticeship level": "3",
                            "Training provider": "Southwark College"}))
            # sustainments: starts whose 26th week falls in this quarter, claimed within 32 weeks
            for c in self.clients:
                for kind, starts in (("3a", c.job_starts), ("3b", c.apprenticeship_starts)):
                    for s in starts:
                        due = s + timedelta(weeks=26, days=3)
                        if due in q:
                            rows.append(self.claim(c, kind, due, **{"Start date": s}))
        # progressions for clients in work at registration (lot 9: everyone)
        in_work = [c for c in self.clients if c.in_work and c.registered < q.start + timedelta(days=40)]
        self.rnd.shuffle(in_work)
        for c in in_work[: self.q_target("4")]:
            achieved = max(self.day_in(q, 20, 85), c.registered + timedelta(days=14))
            if self.rnd.random() < 0.6:
                rows.append(self.claim(c, "4", achieved, **{
                    "Evidence held": "Payslips before and after", "Employer": self.rnd.choice(self.spec.employers),
                    "Start date": achieved, "Employment type": "Part-time", "Contract type": "Zero hours",
                    "Weekly hours": 16, "Progression type": "A wage", "Gross hourly pay": 16.50,
                    "Previous hourly pay": c.pay}))
            else:
                rows.append(self.claim(c, "4", achieved, **{
                    "Evidence held": "Contract of employment", "Employer": self.rnd.choice(self.spec.employers),
                    "Start date": achieved, "Employment type": "Part-time", "Contract type": "Permanent",
                    "Weekly hours": 24, "Gross hourly pay": c.pay, "Progression type": "C contract",
                    "Previous contract type": "Zero hours", "Previous weekly hours": 16}))
        pool = [c for c in self.clients if c.registered < q.end - timedelta(days=30)]
        for _ in range(self.q_target("5")):
            c = self.rnd.choice(pool)
            s = max(self.day_in(q, 0, 50), c.registered + timedelta(days=3))
            rows.append(self.claim(c, "5", s + timedelta(days=21), **{
                "Employer": self.rnd.choice(self.spec.employers), "Start date": s, "End date": s + timedelta(days=21),
                "Placement type": "Work experience"}))
        for _ in range(self.q_target("6")):
            c = self.rnd.choice(pool)
            rows.append(self.claim(c, "6", max(self.day_in(q, 10, 85), c.registered + timedelta(days=7)), **{
                "Qualification gained": "Level 2 Certificate in Customer Service", "Qualification level": "2"}))
        for output in ("7", "8"):
            for _ in range(self.q_target(output)):
                c = self.rnd.choice(pool)
                rows.append(self.claim(c, output, max(self.day_in(q, 5, 85), c.registered + timedelta(days=1))))
        return rows


def expenditure_rows(facts: ContractFacts, q: Quarter, rnd: random.Random) -> list[dict]:
    rows = []
    for b in facts.budget_for(q.financial_year, q.label):
        actual = (b.amount * Decimal(str(rnd.uniform(0.95, 1.04)))).quantize(Decimal("0.01"))
        rows.append({"Category": b.category, "Budget item": b.item, "Budgeted amount": float(b.amount),
                     "Actual spend": float(actual)})
    return rows


def narrative(spec: Spec, q: Quarter) -> dict:
    return {
        "Activities and progress": "We ran weekly drop-in sessions at the Walworth hub and at two GP surgeries, "
                                   "and held an employer breakfast with local retailers.",
        "Lessons learnt": "Evening sessions work better for clients already in work.",
        "Main referral sources": "The network coordinator, Jobcentre Plus and council services.",
        "Client and employer views": "Employers value the in-work support; clients ask for more digital skills help.",
        "Output variances": "Sustainment claims follow job starts by 26 weeks, so they lag the profile this "
                            "quarter; the variance is temporary and we expect to be on profile by Q4.",
        "Finance variances": "Spend is within 5% of budget on every line.",
        "Safeguarding": "None",
        "Case study": f"A client referred by the network coordinator (CRM ref {spec.contract_id[3:5]}-CS{q.number}) "
                      "had been out of work for two years. After six coaching sessions and a work experience "
                      "placement they started a permanent full-time job and remain in work.",
    }


def milestone_rows(facts: ContractFacts, q: Quarter) -> list[dict]:
    rows = []
    for m, due in facts.milestones:
        if due <= q.end:
            rows.append({"Milestone": m, "Due date": due, "Date achieved": due - timedelta(days=5)})
        else:
            rows.append({"Milestone": m, "Due date": due})
    return rows


def build(spec: Spec, facts: ContractFacts, q: Quarter, book: ContractBook, refdata):
    wb = build_return(refdata, facts, q)
    deadline = refdata.deadlines[str(q)].reporting
    put_labels(wb["Return"], {"Completed by": "Contract manager", "Date submitted": deadline - timedelta(days=2)})
    put_rows(wb["Registrations"], book.registrations(q))
    put_rows(wb["Claims"], book.claims(q))
    exp_ws = wb["Expenditure"]
    for r in range(2, exp_ws.max_row + 1):  # the template prefilled the budget; the provider adds actuals
        exp_ws.delete_rows(2)
    put_rows(exp_ws, expenditure_rows(facts, q, book.rnd))
    put_labels(wb["Narrative"], narrative(spec, q))
    ws = wb["Milestones"]
    ws.delete_rows(2, ws.max_row)
    put_rows(ws, milestone_rows(facts, q))
    return wb


def save(wb, path: Path) -> None:
    xlsx.save(wb, path)  # fixed document dates: regenerating unchanged samples rewrites nothing


# --- faulty returns: a clean return with known faults written into it -------------------------------

def set_cell(ws, row: int, header: str, value) -> None:
    col = next(c.column for c in ws[1] if c.value == header)
    ws.cell(row, col).value = value
    if isinstance(value, str):
        ws.cell(row, col).data_type = "s"


def faulty_structure(wb):
    ws = wb["Claims"]
    for c in ws[1]:
        if c.value == "Evidence reference":
            c.value = "Evidence referance"        # S003, with the closest header named
    ws.cell(1, ws.max_column + 1, "Staff initials")  # S008
    set_cell(ws, 3, "Date achieved", "31/07/2026")  # S007 text date
    set_cell(ws, 4, "Date achieved", "next Tuesday")  # S004 not a date
    set_cell(ws, 5, "Claim ref", ws.cell(2, 1).value)  # S006 duplicate claim ref
    r = wb["Registrations"]
    set_cell(r, 2, "Gender", None)                  # S005 required
    set_cell(r, 3, "Age at registration", "thirty")  # S004 not a number
    set_cell(r, 4, "Disability", "Not sure")        # S004 not in the code list
    e = wb["Expenditure"]
    e.cell(3, 4).value = "=C3*1.02"                 # S009: Actual spend as a formula saved without its value
    put_labels(wb["Return"], {"Template version": "2025.3"})  # S010


def faulty_missing_sheet(wb):
    del wb["Milestones"]  # S002


def faulty_cover(wb):
    put_labels(wb["Return"], {"Provider": "Peckham Recovery To Work Ltd",   # D604: not the register's name
                              "Date submitted": date(2026, 11, 2)})          # D603: after the final deadline


def faulty_quarter(wb):
    put_labels(wb["Return"], {"Financial year": "2031/32"})  # D601: not in the framework calendar


def faulty_term(wb):
    put_labels(wb["Return"], {"Financial year": "2024/25", "Quarter": "Q4"})  # D605: before the contract began


def late_return(wb):
    put_labels(wb["Return"], {"Date submitted": date(2026, 7, 17)})  # D602: two days after the reporting deadline


def column_of(ws, header: str) -> int:
    return next(c.column for c in ws[1] if c.value == header)


def rows_where(ws, header: str, value) -> list[int]:
    col = column_of(ws, header)
    return [r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value == value]


def get(ws, row: int, header: str):
    return ws.cell(row, column_of(ws, header)).value


def append_row(ws, values: dict) -> int:
    row = ws.max_row + 1
    put_rows(ws, [values], start=row)
    return row


def faulty_registrations(wb):  # lot 1a, 2026/27 Q2, with Q1 as history
    ws = wb["Registrations"]
    faults = [("Postcode", "SE1 0AAA"),                      # R101 not a UK postcode
              ("Postcode", "SW1A 1AA"),                      # R102 Westminster
              ("Postcode", "SE22 8ZZ"),                      # R118 a wholly-Southwark sector, not in the list
              ("Residence basis", "Local connection"),       # R103 (with the postcode left out below)
              ("Right to work seen", "No"),                  # R104
              ("Age at registration", 15),                   # R105 under 16
              ("Age at registration", 30),                   # R106 lot 1 is 16-25
              ("Eligibility criteria", "Substance use"),     # R107 a lot 7 criterion
              ("Privacy notice signed", "No"),               # R108
              ("Action plan completed", "No"),               # R109
              ("Employment status", "Employed"),             # R110 in work, no tracking fields
              ("Registration date", date(2026, 6, 20))]      # R117 in Q1
    for r, (header, value) in enumerate(faults, start=2):
        set_cell(ws, r, header, value)
    set_cell(ws, 5, "Postcode", None)
    set_cell(ws, 14, "Registration type", "Re-registration")  # R111 last engaged 5 months before
    set_cell(ws, 14, "Last engagement date", date(2026, 2, 10))
    set_cell(ws, 15, "Client ref", "SW100001")                # R112 registered in Q1 already
    set_cell(ws, 16, "Postcode", "SE1P 4AA")                  # R119 a PO-box district, not a home
    set_cell(ws, 17, "Eligibility criteria", "Care leaver; Aged 50+")  # R120 at most 24 in lot 1a


def faulty_lot4(wb):
    ws = wb["Registrations"]
    for r in range(2, ws.max_row + 1):                        # R116 under half with a social worker
        set_cell(ws, r, "Social worker or primary support need", "Yes" if r % 4 == 0 else "No")


def faulty_lot5(wb):
    ws = wb["Registrations"]
    set_cell(ws, 2, "Eligibility criteria", "Supporting Families")  # R114 no family assessment
    set_cell(ws, 2, "Family assessment completed", "No")


def faulty_lot8(wb):
    set_cell(wb["Registrations"], 3, "Housing plan or council referral number", None)  # R113


def faulty_lot9(wb):
    ws = wb["Registrations"]
    for h in ("Employment type", "Contract type", "Average weekly hours", "Gross hourly pay",
              "On Statutory Sick Pay"):
        set_cell(ws, 2, h, None)
    set_cell(ws, 2, "Employment status", "Unemployed")        # R115 lot 9 is for people in work


def faulty_claims(wb):  # lot 3, 2026/27 Q2, with three earlier quarters as history
    ws = wb["Claims"]
    starts = rows_where(ws, "Output", "2a")
    sustain = rows_where(ws, "Output", "3a")
    set_cell(ws, starts[0], "Date achieved", date(2026, 6, 15))      # C201 in Q1
    set_cell(ws, starts[0], "Start date", date(2026, 6, 15))
    set_cell(ws, starts[1], "Client ref", "SW399999")                # C202 not registered
    set_cell(ws, starts[2], "Output", "9")                           # C203 lot 3 has no output 9
    set_cell(ws, starts[3], "Evidence held", "Certificate")          # C204 not evidence of a job start
    set_cell(ws, starts[4], "Employer", None)                        # C205 no employer
    set_cell(ws, rows_where(ws, "Output", "2b")[0], "Training provider", None)  # C206
    achieved = get(ws, sustain[0], "Date achieved")
    set_cell(ws, sustain[0], "Start date", achieved - timedelta(weeks=17))      # C207 (and C209)
    achieved = get(ws, sustain[1], "Date achieved")
    set_cell(ws, sustain[1], "Start date", achieved - timedelta(weeks=40))      # C208 (and C209)
    set_cell(ws, starts[5], "Start date", date(2026, 9, 10))          # C214 start after achieved
    set_cell(ws, starts[5], "Date achieved", date(2026, 9, 1))
    set_cell(ws, starts[6], "Shared with provider", "Walworth Young Futures")  # C212 4 hours
    set_cell(ws, starts[6], "Support hours", 4)
    template = {h: get(ws, starts[7], h) for h in ("Client ref", "Output", "Date achieved", "Evidence held",
                                                   "Employer", "Start date", "Employment type", "Contract type",
                                                   "Weekly hours", "Gross hourly pay")}
    append_row(ws, {**template, "Claim ref": "L3-01-9001", "Evidence reference": "L3-01-9001.pdf"})  # C213
    regs = wb["Registrations"]
    registered = {get(regs, r, "Client ref"): get(regs, r, "Registration date") for r in range(2, regs.max_row + 1)}
    client = get(ws, starts[8], "Client ref")
    first = max(registered.get(client, date(2026, 7, 1)), date(2026, 7, 1))  # after the registration: not C218
    for n in range(4):                                               # C210: a fifth job start
        day = first + timedelta(days=1 + n)
        append_row(ws, {**template, "Client ref": client, "Claim ref": f"L3-01-91{n:02d}", "Date achieved": day,
                        "Start date": day, "Evidence reference": f"L3-01-91{n:02d}.pdf"})
    client = get(ws, sustain[2], "Client ref")
    start = get(ws, sustain[2], "Start date")
    for n in range(4):                                               # C211: a fifth sustainment (other jobs)
        append_row(ws, {"Claim ref": f"L3-01-92{n:02d}", "Client ref": client, "Output": "3a",
                        "Date achieved": get(ws, sustain[2], "Date achieved"),
                        "Evidence held": "Employer letter 26 weeks", "Evidence reference": f"L3-01-92{n:02d}.pdf",
                        "Start date": start - timedelta(days=n + 1)})
    client = get(ws, sustain[3], "Client ref")                       # C216: a job started in Q1, claimed in Q2
    append_row(ws, {**template, "Claim ref": "L3-01-9401", "Client ref": client, "Date achieved": date(2026, 7, 3),
                    "Start date": date(2026, 6, 26), "Evidence reference": "L3-01-9401.pdf"})
    client, start = get(ws, starts[6], "Client ref"), get(ws, starts[6], "Start date")
    append_row(ws, {"Claim ref": "L3-01-9402", "Client ref": client, "Output": "2b",  # C217: that job again, as 2b
                    "Date achieved": start, "Evidence held": "Apprenticeship contract",
                    "Evidence reference": "L3-01-9402.pdf", "Employer": get(ws, starts[6], "Employer"),
                    "Start date": start, "Apprenticeship level": "3", "Gross hourly pay": 8.0,
                    "Training provider": "Southwark College"})
    claimed = {get(ws, r, "Client ref") for r in range(2, ws.max_row + 1)}
    client = next(c for c, d in registered.items() if d >= date(2026, 7, 15) and c not in claimed)
    append_row(ws, {"Claim ref": "L3-01-9403", "Client ref": client, "Output": "7",  # C218: before registration
                    "Date achieved": registered[client] - timedelta(days=7), "Evidence held": "Activity record",
                    "Evidence reference": "L3-01-9403.pdf"})


def faulty_progression(wb):  # lot 3, 2026/27 Q2
    ws = wb["Claims"]
    regs = wb["Registrations"]
    started = {get(ws, r, "Client ref") for o in ("2a", "2b") for r in rows_where(ws, "Output", o)}
    unemployed = [get(regs, r, "Client ref") for r in rows_where(regs, "Employment status", "Unemployed")
                  if get(regs, r, "Client ref") not in started]
    employed = [(get(regs, r, "Client ref"), get(regs, r, "Gross hourly pay"), get(regs, r, "Highest qualification level"))
                for r in rows_where(regs, "Employment status", "Employed")]
    base = {"Output": "4", "Date achieved": date(2026, 9, 14), "Employer": "Tower Bridge Logistics Ltd",
            "Start date": date(2026, 9, 14), "Employment type": "Part-time", "Weekly hours": 20}
    wage = {**base, "Evidence held": "Payslips before and after", "Progression type": "A wage",
            "Contract type": "Zero hours"}
    n = iter(range(9301, 9400))

    def add(*parts: dict):
        ref = f"L3-01-{next(n)}"
        values = {"Claim ref": ref, "Evidence reference": f"{ref}.pdf"}
        for part in parts:
            values.update(part)
        append_row(ws, values)

    add(wage, {"Client ref": unemployed[0], "Gross hourly pay": 16.5, "Previous hourly pay": 12.0})  # P301
    add(base, {"Client ref": employed[0][0], "Evidence held": "Contract of employment",                # P302
                   "Progression type": "C contract", "Contract type": "Apprenticeship", "Weekly hours": 30,
                   "Previous contract type": "Zero hours", "Previous weekly hours": 16})
    add(wage, {"Client ref": employed[1][0], "Gross hourly pay": 13.2, "Previous hourly pay": 12.9})   # P303
    add({**base, "Date achieved": date(2026, 8, 3)}, {                                                  # P304
        "Client ref": employed[2][0], "Evidence held": "Certificate", "Progression type": "B training",
        "Qualification gained": "Level 1 Award in Food Safety", "Qualification level": "1"})
    add(base, {"Client ref": employed[3][0], "Evidence held": "Contract of employment",                 # P305
                   "Progression type": "C contract", "Contract type": "Permanent", "Weekly hours": 20,
                   "Previous contract type": "Permanent", "Previous weekly hours": 20})
    add(wage, {"Client ref": employed[4][0], "Gross hourly pay": 17.5, "Previous hourly pay": 12.9})   # P306
    add(base, {"Client ref": employed[4][0], "Evidence held": "Contract of employment",
                   "Progression type": "C contract", "Contract type": "Permanent", "Weekly hours": 30,
                   "Previous contract type": "Zero hours", "Previous weekly hours": 16})
    placement = {"Output": "5", "Evidence held": "Host letter, email or text with dates",
                 "Employer": "Canada Water Retail Ltd"}
    add(placement, {"Client ref": unemployed[1], "Placement type": "Work experience",                   # P307
                        "Start date": date(2026, 8, 3), "End date": date(2026, 8, 9), "Date achieved": date(2026, 8, 9)})
    add({**placement, "Evidence held": "Employer letter with dates and wages"}, {                       # P308
        "Client ref": unemployed[2], "Placement type": "Internship", "Start date": date(2026, 7, 6),
        "End date": date(2026, 8, 28), "Date achieved": date(2026, 8, 28), "Gross hourly pay": 12.71})


def faulty_expenditure(wb):  # lot 7, 2026/27 Q2
    ws = wb["Expenditure"]
    set_cell(ws, 2, "Actual spend", round(get(ws, 2, "Budgeted amount") * 1.25, 2))  # X402 25% over, no comment
    set_cell(ws, 3, "Budgeted amount", round(get(ws, 3, "Budgeted amount") + 500, 2))  # X408 not the register's
    set_cell(ws, 4, "Actual spend", -120.0)                                            # X407 negative
    append_row(ws, {"Category": "Delivery", "Budget item": "Staff away day", "Budgeted amount": 0,   # X401
                    "Actual spend": 450.0, "Comment": "Team planning day"})
    tx = wb["Transactions"]
    item = get(ws, 5, "Budget item")
    actual = get(ws, 5, "Actual spend")
    rows = [("Room hire, June deposit", date(2026, 6, 24), 100.0, "No"),                  # X409 before the quarter
            ("Room hire, July", date(2026, 7, 14), round(actual / 2 - 100, 2), "No"),
            ("Room hire, September", date(2026, 10, 5), round(actual / 2 - 50, 2), "No"),   # X403 after the quarter; X406 short by £50
            ("Outreach stall", date(2025, 3, 20), 30.0, "No"),                              # X404 before the contract
            ("Leaflets", date(2026, 8, 12), 20.0, "Yes")]                                   # X405 recoverable VAT
    for desc, day, amount, vat in rows:
        append_row(tx, {"Budget item": item, "Date defrayed": day, "Description": desc, "Amount": amount,
                        "Includes recoverable VAT": vat, "Internal recharge": "No"})


def faulty_narrative(wb):  # lot 7, 2026/27 Q2
    put_labels(wb["Narrative"], {
        "Output variances": None,                                                    # N501
        "Finance variances": None,                                                   # N502 (with the overspend below)
        "Activities and progress": "Our adviser Sarah Jones ran weekly drop-ins at the Walworth hub.",  # N507
        "Client and employer views": "One client asked us to call her back on 07700 900123.",  # N503
        "Safeguarding": None,                                                        # N506
        "Case study": None})                                                         # N504
    ws = wb["Expenditure"]
    set_cell(ws, 2, "Actual spend", round(get(ws, 2, "Budgeted amount") * 1.6, 2))
    set_cell(ws, 2, "Comment", "Second adviser recruited early to meet demand")
    ms = wb["Milestones"]
    r = rows_where(ms, "Milestone", "Client forum held")[0]                        # N505 due 30/09/2026
    set_cell(ms, r, "Date achieved", None)


FAULTS = {
    # name: (contract, quarter, mutate, codes the faults must produce)
    "faulty-structure": ("SW-L7-01", "2026/27-Q2", faulty_structure,
                         {"S003", "S004", "S005", "S006", "S007", "S008", "S009", "S010"}),
    "faulty-missing-sheet": ("SW-L7-01", "2026/27-Q2", faulty_missing_sheet, {"S002"}),
    "faulty-cover": ("SW-L7-01", "2026/27-Q2", faulty_cover, {"D603", "D604"}),
    "faulty-quarter": ("SW-L7-01", "2026/27-Q2", faulty_quarter, {"D601"}),
    "faulty-term": ("SW-L7-01", "2026/27-Q2", faulty_term, {"D605"}),
    "late-return": ("SW-L9-01", "2026/27-Q1", late_return, {"D602"}),
    "faulty-registrations": ("SW-L1A-01", "2026/27-Q2", faulty_registrations,
                             {"R101", "R102", "R103", "R104", "R105", "R106", "R107", "R108", "R109", "R110",
                              "R111", "R112", "R117", "R118", "R119", "R120"}),
    "faulty-lot4": ("SW-L4-01", "2026/27-Q2", faulty_lot4, {"R116"}),
    "faulty-lot5": ("SW-L5-01", "2026/27-Q2", faulty_lot5, {"R114"}),
    "faulty-lot8": ("SW-L8-01", "2026/27-Q2", faulty_lot8, {"R113"}),
    "faulty-lot9": ("SW-L9-01", "2026/27-Q2", faulty_lot9, {"R115"}),
    "faulty-claims": ("SW-L3-01", "2026/27-Q2", faulty_claims,
                      {"C201", "C202", "C203", "C204", "C205", "C206", "C207", "C208", "C209", "C210", "C211",
                       "C212", "C213", "C214", "C216", "C217", "C218"}),
    "faulty-progression": ("SW-L3-01", "2026/27-Q2", faulty_progression,
                           {"P301", "P302", "P303", "P304", "P305", "P306", "P307", "P308", "P309"}),
    "faulty-expenditure": ("SW-L7-01", "2026/27-Q2", faulty_expenditure,
                           {"X401", "X402", "X403", "X404", "X405", "X406", "X407", "X408", "X409"}),
    "faulty-narrative": ("SW-L7-01", "2026/27-Q2", faulty_narrative,
                         {"N501", "N502", "N503", "N504", "N505", "N506", "N507"}),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--expected", action="store_true", help="also rewrite the golden .expected.json files")
    args = ap.parse_args()
    refdata = RefData(overrides=HERE / "no-overrides")
    postcodes = southwark_postcodes()
    reg = build_register(refdata)
    all_facts = {s.contract_id: facts_for(s) for s in CONTRACTS}
    _fill_register(reg, all_facts)
    save(reg, REGISTER)
    books = {}
    clean: dict[tuple[str, str], object] = {}
    for spec in CONTRACTS:
        book = books[spec.contract_id] = ContractBook(spec, postcodes)
        for qs in spec.quarters:
            q = Quarter.parse(qs)
            wb = build(spec, all_facts[spec.contract_id], q, book, refdata)
            save(wb, RETURNS / spec.contract_id / f"{spec.contract_id}_{q.financial_year.replace('/', '-')}_{q.label}.xlsx")
            clean[(spec.contract_id, qs)] = wb
    for name, (cid, qs, mutate, _) in FAULTS.items():
        spec = next(s for s in CONTRACTS if s.contract_id == cid)
        book = ContractBook(spec, postcodes)
        q = Quarter.parse(qs)
        for earlier in spec.quarters[: spec.quarters.index(qs)]:  # replay history so claims stay consistent
            build(spec, all_facts[cid], Quarter.parse(earlier), book, refdata)
        wb = build(spec, all_facts[cid], q, book, refdata)
        mutate(wb)
        save(wb, FAULTY / f"{name}.xlsx")
    (FAULTY / "not-a-workbook.xlsx").write_text("Provider,Contract ID\nPeckham Recovery to Work,SW-L7-01\n")
    if args.expected:
        write_expected()


def _fill_register(wb, facts: dict[str, ContractFacts]) -> None:
    rows = {"Contracts": [], "Targets": [], "Budget": [], "Milestones": []}
    for c in facts.values():
        rows["Contracts"].append({"Contract ID": c.contract_id, "Provider": c.provider, "Lot": c.lot,
                                  "Start date": c.start, "End date": c.end, "Annual value": float(c.annual_value)})
        for t in c.targets.values():
            rows["Targets"].append({"Contract ID": c.contract_id, "Output": t.output, "Annual target": t.annual})
        for b in c.budget:
            rows["Budget"].append({"Contract ID": c.contract_id, "Financial year": b.financial_year,
                                   "Quarter": b.quarter, "Category": b.category, "Budget item": b.item,
                                   "Budgeted amount": float(b.amount)})
        for m, due in c.milestones:
            rows["Milestones"].append({"Contract ID": c.contract_id, "Milestone": m, "Due date": due})
    for sheet, values in rows.items():
        put_rows(wb[sheet], values)


def sample_files() -> list[Path]:
    return sorted([*RETURNS.rglob("*.xlsx"), *FAULTY.glob("*.xlsx")])


def run_samples():
    """Check every sample as `make demo` does; returns {path: FileReport}."""
    from swtool.checks.context import CheckContext
    from swtool.read.register import read_register
    from swtool.engine import check_file, load_history
    from swtool.model.settings import Settings

    refdata = RefData(overrides=HERE / "no-overrides")
    history, _ = load_history([RETURNS], refdata)
    ctx = CheckContext(refdata, Settings.defaults(), TODAY, read_register(REGISTER, refdata), history, True)
    return {p: check_file(p, ctx)[0] for p in sample_files()}


def expected_of(report) -> list[dict]:
    return [{"code": f.code, "severity": f.severity, "cell": f.cell, "message": f.message} for f in report.sorted()]


def expected_path(p: Path) -> Path:
    return p.with_suffix(".expected.json")


def write_expected() -> None:
    for p, report in run_samples().items():
        expected_path(p).write_text(json.dumps(expected_of(report), indent=1, ensure_ascii=False) + "\n")
        print(f"{p.relative_to(HERE)}: {report.summary}")


if __name__ == "__main__":
    main()
