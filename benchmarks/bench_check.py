"""Benchmark `swtool check` against a bare openpyxl read-only pass over the same file.

    python benchmarks/bench_check.py            # 100,000-row return and a realistic one
    python benchmarks/bench_check.py --rows 20000

Prints, for each return: seconds for the whole `swtool check` command (a fresh process, as a
provider runs it), seconds for a bare `openpyxl` read-only pass over every sheet (also a fresh
process), their ratio, and each process's peak memory. Generated files are kept in
benchmarks/out/ (not committed) and reused.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(ROOT))

BARE = """
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)
n = 0
for ws in wb.worksheets:
    for row in ws.iter_rows(values_only=True):
        n += 1
wb.close()
print(n)
"""


def make_return(path: Path, registrations: int, claims: int, seed: int = 7) -> None:
    """A lot 3 return for 2026/27 Q2 with realistic, mostly valid rows (write-only mode: fast)."""
    import openpyxl

    from swtool import standard as std

    rnd = random.Random(seed)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Return")
    for k, v in {"Provider": "Bermondsey Pathways CIC", "Contract ID": "SW-L3-01", "Lot": "3",
                 "Financial year": "2026/27", "Quarter": "Q2", "Completed by": "Contract manager",
                 "Date submitted": date(2026, 10, 9), "Template version": std.TEMPLATE_VERSION}.items():
        ws.append([k, v])
    q_start = date(2026, 7, 1)
    postcodes = ["SE1 0AA", "SE15 4ST", "SE16 4AA", "SE17 1AA", "SE22 8AA", "SE5 7AA"]
    ws = wb.create_sheet("Registrations")
    ws.append(std.REGISTRATIONS.headers)
    for i in range(registrations):
        in_work = rnd.random() < 0.2
        row = {"Client ref": f"SW{100000 + i}", "Registration date": q_start + timedelta(days=rnd.randrange(92)),
               "Registration type": "New", "Age at registration": rnd.randint(18, 64),
               "Postcode": rnd.choice(postcodes), "Residence basis": "Southwark postcode",
               "Right to work seen": "Yes", "Registration wizard completed": "Yes", "Privacy notice signed": "Yes",
               "Action plan completed": "Yes", "Referral source": rnd.choice(std.REFERRAL_SOURCES),
               "Eligibility criteria": "Mental health",
               "Employment status": "Employed" if in_work else "Unemployed",
               "Employment type": "Part-time" if in_work else None,
               "Contract type": "Zero hours" if in_work else None,
               "Average weekly hours": 16 if in_work else None, "Gross hourly pay": 12.71 if in_work else None,
               "On Statutory Sick Pay": "No" if in_work else None,
               "Highest qualification level": rnd.choice(std.QUALIFICATION_LEVELS),
               "Gender": rnd.choice(std.GENDERS), "Ethnic group": rnd.choice(std.ETHNIC_GROUPS),
               "Disability": rnd.choice(std.DISABILITY)}
        ws.append([row.get(h) for h in std.REGISTRATIONS.headers])
    ws = wb.create_sheet("Claims")
    ws.append(std.CLAIMS.headers)
    for i in range(claims):
        client = f"SW{100000 + rnd.randrange(max(registrations, 1))}"
        start = q_start + timedelta(days=rnd.randrange(80))
        row = {"Claim ref": f"CL-{i:06d}", "Client ref": client, "Output": "2a",
               "Date achieved": start + timedelta(days=rnd.randrange(5)), "Evidence held": "Signed contract",
               "Evidence reference": f"CL-{i:06d}.pdf", "Employer": "Borough Market Traders Ltd",
               "Start date": start, "Employment type": "Full-time", "Contract type": "Permanent",
               "Weekly hours": 37.5, "Gross hourly pay": 15.5}
        ws.append([row.get(h) for h in std.CLAIMS.headers])
    ws = wb.create_sheet("Expenditure")
    ws.append(std.EXPENDITURE.headers)
    ws.append(["Staff and management", "Employment adviser 1 FTE", 9000, 9000, None, None, None])
    ws = wb.create_sheet("Narrative")
    for label in std.NARRATIVE_LABELS:
        ws.append([label, "None" if label == "Safeguarding" else
                   "Outreach at two GP surgeries and the Walworth hub brought in new referrals."])
    ws = wb.create_sheet("Milestones")
    ws.append(std.MILESTONES.headers)
    ws.append(["Quarterly monitoring report", date(2026, 10, 14), None, None])
    tmp = path.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    os.replace(tmp, path)


def swtool_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("swtool")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "swtool"]


def bench(label: str, path: Path, repeat: int) -> None:
    # one process per measurement so that each peak memory is its own
    bare = min(timed_isolated([sys.executable, "-c", BARE, str(path)]) for _ in range(repeat))
    check = min(timed_isolated([*swtool_cmd(), "check", str(path), "--today", "2026-10-01", "-o", str(OUT / "report.txt")])
                for _ in range(repeat))
    size = path.stat().st_size / 1e6
    print(f"{label} ({size:.1f} MB)")
    print(f"  swtool check        {check[0]:8.2f} s   peak {check[1]:7.0f} MB")
    print(f"  bare openpyxl pass  {bare[0]:8.2f} s   peak {bare[1]:7.0f} MB")
    print(f"  ratio               {check[0] / bare[0]:8.2f} x")


def timed_isolated(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd`` under a small wrapper process so its peak memory is measured alone."""
    wrapper = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
               "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True); "
               "w = time.perf_counter() - t; "
               "m = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024; "
               "print(w, m, p.returncode); sys.stderr.write(p.stderr[-2000:] if p.returncode > 1 else '')")
    proc = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True)
    wall, peak, rc = proc.stdout.split()
    if int(rc) not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({rc}): {proc.stderr}")
    return float(wall), float(peak)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000, help="registrations and claims in the large return")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each command; the fastest is reported")
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    cases = [(f"large return: {args.rows:,} registrations + {args.rows:,} claims",
              OUT / f"return-{args.rows}.xlsx", args.rows, args.rows),
             ("realistic return: 500 registrations + 800 claims", OUT / "return-realistic.xlsx", 500, 800)]
    for label, path, regs, claims in cases:
        if not path.exists():
            t = time.perf_counter()
            make_return(path, regs, claims)
            print(f"(generated {path.name} in {time.perf_counter() - t:.1f} s)")
    for label, path, _, _ in cases:
        bench(label, path, args.repeat)


if __name__ == "__main__":
    main()
