"""Benchmark `swtool check` against bare reads of the same file, and against its own imports.

    python benchmarks/bench_check.py            # 100,000-row return and a realistic one
    python benchmarks/bench_check.py --rows 20000 --repeat 3
    python benchmarks/bench_check.py --openpyxl-reader   # also the check with --setting reader=openpyxl
    python benchmarks/bench_check.py --realistic-only --repeat 7   # the realistic return alone

Prints, on the same generated file, each a fresh process as a provider runs it:

- large return (100,000 registrations and 100,000 claims): the whole `swtool check`, a bare
  python-calamine read of every sheet and their ratio (target: at most 3); a bare openpyxl read-only
  pass over every sheet and the check's ratio to it;
- realistic return (800 registrations, 800 claims): the whole `swtool check`, alone and with the sample
  contract register (``--register samples/register.xlsx``), against
  `python -c "import pandas, pandera.pandas, openpyxl"` (target: at most 1.3), and what that check
  imports (``python -X importtime``): the largest imports and packages.

Each figure has the machine's load average beside it (two cores shared with other work make a figure
swing by half; the ratios, measured in turn, swing less).

Each line gives the process's peak memory too; the realistic return's lines also give the CPU seconds
of the process and its children (the reader; the least of the runs), which a busy machine inflates
less than the wall time.
The generated returns are clean (no findings beyond the "not checked" notes) and are kept in
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

BARE_OPENPYXL = """
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)
n = 0
for ws in wb.worksheets:
    for row in ws.iter_rows(values_only=True):
        n += 1
wb.close()
print(n)
"""

BARE_CALAMINE = """
import sys
from python_calamine import CalamineWorkbook
wb = CalamineWorkbook.from_path(sys.argv[1])
n = 0
for name in wb.sheet_names:
    for row in wb.get_sheet_by_name(name).iter_rows():
        n += 1
wb.close()
print(n)
"""

IMPORTS = "import pandas, pandera.pandas, openpyxl"

# Every command runs with compiled modules cached, as an installed swtool has them (pip compiles them):
# with PYTHONDONTWRITEBYTECODE set, swtool's own modules would be compiled again on every run, and
# pandas' would not. The cache lives in benchmarks/out/, never beside the sources; warm_up fills it.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPYCACHEPREFIX"] = str(OUT / "pycache")


def make_return(path: Path, registrations: int, claims: int, seed: int = 7) -> None:
    """A lot 3 return for 2026/27 Q2 with realistic, mostly valid rows (write-only mode: fast)."""
    import openpyxl

    from swtool.model import standard as std

    rnd = random.Random(seed)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Return")
    for k, v in {
        "Provider": "Bermondsey Pathways CIC",
        "Contract ID": "SW-L3-01",
        "Lot": "3",
        "Financial year": "2026/27",
        "Quarter": "Q2",
        "Completed by": "Contract manager",
        "Date submitted": date(2026, 10, 9),
        "Template version": std.TEMPLATE_VERSION,
    }.items():
        ws.append([k, v])
    q_start, q_end = date(2026, 7, 1), date(2026, 9, 30)
    postcodes = ["SE1 0AA", "SE15 4ST", "SE16 4AA", "SE17 1AA", "SE22 8AA", "SE5 7AA"]
    registered = []  # each client's registration date: a claim comes after it (a clean return)
    ws = wb.create_sheet("Registrations")
    ws.append(std.REGISTRATIONS.headers)
    for i in range(registrations):
        in_work = rnd.random() < 0.2
        day = q_start + timedelta(days=rnd.randrange(85))
        registered.append(day)
        row = {
            "Client ref": f"SW{100000 + i}",
            "Registration date": day,
            "Registration type": "New",
            "Age at registration": rnd.randint(18, 64),
            "Postcode": rnd.choice(postcodes),
            "Residence basis": "Southwark postcode",
            "Right to work seen": "Yes",
            "Registration wizard completed": "Yes",
            "Privacy notice signed": "Yes",
            "Action plan completed": "Yes",
            "Referral source": rnd.choice(std.REFERRAL_SOURCES),
            "Eligibility criteria": "Mental health",
            "Employment status": "Employed" if in_work else "Unemployed",
            "Employment type": "Part-time" if in_work else None,
            "Contract type": "Zero hours" if in_work else None,
            "Average weekly hours": 16 if in_work else None,
            "Gross hourly pay": 12.71 if in_work else None,
            "On Statutory Sick Pay": "No" if in_work else None,
            "Highest qualification level": rnd.choice(std.QUALIFICATION_LEVELS),
            "Gender": rnd.choice(std.GENDERS),
            "Ethnic group": rnd.choice(std.ETHNIC_GROUPS),
            "Disability": rnd.choice(std.DISABILITY),
        }
        ws.append([row.get(h) for h in std.REGISTRATIONS.headers])
    ws = wb.create_sheet("Claims")
    ws.append(std.CLAIMS.headers)
    for i in range(claims):
        k = i % max(registrations, 1)  # one job start per client while there are clients enough
        start = registered[k] + timedelta(days=rnd.randrange((q_end - registered[k]).days - 4))
        row = {
            "Claim ref": f"CL-{i:06d}",
            "Client ref": f"SW{100000 + k}",
            "Output": "2a",
            "Date achieved": start + timedelta(days=rnd.randrange(5)),
            "Evidence held": "Signed contract",
            "Evidence reference": f"CL-{i:06d}.pdf",
            "Employer": "Borough Market Traders Ltd",
            "Start date": start,
            "Employment type": "Full-time",
            "Contract type": "Permanent",
            "Weekly hours": 37.5,
            "Gross hourly pay": 15.5,
        }
        ws.append([row.get(h) for h in std.CLAIMS.headers])
    ws = wb.create_sheet("Expenditure")
    ws.append(std.EXPENDITURE.headers)
    ws.append(["Staff and management", "Employment adviser 1 FTE", 9000, 9000, None, None, None])
    ws = wb.create_sheet("Narrative")
    for label in std.NARRATIVE_LABELS:
        ws.append(
            [
                label,
                "None"
                if label == "Safeguarding"
                else "Outreach at two GP surgeries and the Walworth hub brought in new referrals.",
            ]
        )
    ws = wb.create_sheet("Milestones")
    ws.append(std.MILESTONES.headers)
    ws.append(["Quarterly monitoring report", date(2026, 10, 14), None, None])
    tmp = path.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    os.replace(tmp, path)


def swtool_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("swtool")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "swtool"]


def check_cmd(path: Path, *extra: str) -> list[str]:
    return [*swtool_cmd(), "check", str(path), "--today", "2026-10-01", "-o", str(OUT / "report.txt"), *extra]


def register_option() -> tuple[str, ...]:
    register = ROOT / "samples" / "register.xlsx"  # the sample register (it holds the return's contract)
    return ("--register", str(register)) if register.exists() else ()


def best(cmd: list[str], repeat: int) -> tuple[float, float, float]:
    return min(timed_isolated(cmd) for _ in range(repeat))


def bench_large(label: str, path: Path, repeat: int, openpyxl_reader: bool) -> None:
    # one process per measurement so that each peak memory is its own; the three in turn, so that a
    # busy machine weighs on each alike
    check = calamine = openpyxl = (float("inf"), 0.0, 0.0)
    for _ in range(repeat):
        check = min(check, timed_isolated(check_cmd(path)))
        calamine = min(calamine, timed_isolated([sys.executable, "-c", BARE_CALAMINE, str(path)]))
        openpyxl = min(openpyxl, timed_isolated([sys.executable, "-c", BARE_OPENPYXL, str(path)]))
    print(f"{label} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"  swtool check              {check[0]:8.2f} s   peak {check[1]:7.0f} MB{load()}")
    print(f"  bare python-calamine read {calamine[0]:8.2f} s   peak {calamine[1]:7.0f} MB{load()}")
    print(f"  check / calamine          {check[0] / calamine[0]:8.2f} x   (target 3)")
    print(f"  bare openpyxl pass        {openpyxl[0]:8.2f} s   peak {openpyxl[1]:7.0f} MB{load()}")
    print(f"  check / openpyxl          {check[0] / openpyxl[0]:8.2f} x")
    if openpyxl_reader:
        old = best(check_cmd(path, "--setting", "reader=openpyxl"), repeat)
        print(f"  check, reader=openpyxl    {old[0]:8.2f} s   peak {old[1]:7.0f} MB")


def bench_realistic(label: str, path: Path, repeat: int) -> None:
    with_register = register_option()
    check = checked = imports = (float("inf"), 0.0, float("inf"))

    def fastest(so_far: tuple[float, float, float], run: tuple[float, float, float]) -> tuple[float, float, float]:
        # the least wall time (with its run's peak) and, on its own, the least CPU time of the runs
        wall, peak, _ = min(so_far, run)
        return wall, peak, min(so_far[2], run[2])

    for _ in range(repeat):
        check = fastest(check, timed_isolated(check_cmd(path)))
        if with_register:
            checked = fastest(checked, timed_isolated(check_cmd(path, *with_register)))
        imports = fastest(imports, timed_isolated([sys.executable, "-c", IMPORTS]))
    print(f"{label} ({path.stat().st_size / 1e6:.2f} MB)")
    print(f"  swtool check              {check[0]:8.2f} s   peak {check[1]:7.0f} MB   cpu {check[2]:5.2f} s{load()}")
    if with_register:
        print(
            f"  swtool check --register   {checked[0]:8.2f} s   peak {checked[1]:7.0f} MB   cpu {checked[2]:5.2f} s{load()}"
        )
    print(f'  python -c "{IMPORTS}"')
    print(
        f"                            {imports[0]:8.2f} s   peak {imports[1]:7.0f} MB   cpu {imports[2]:5.2f} s{load()}"
    )
    print(
        f"  check / imports           {check[0] / imports[0]:8.2f} x   (target 1.3; cpu {check[2] / imports[2]:.2f} x)"
    )
    if with_register:
        print(
            f"  check --register / imports{checked[0] / imports[0]:8.2f} x   "
            f"(target 1.3; cpu {checked[2] / imports[2]:.2f} x)"
        )


def load() -> str:
    """The machine's load average over the last minute, beside a figure: a busy machine slows every
    command, so a ratio means more than a figure."""
    try:
        return f"   (load {os.getloadavg()[0]:.1f})"
    except OSError:
        return ""


def import_costs(path: Path, top: int = 12) -> None:
    """What the realistic check imports, from ``python -X importtime``: the largest imports at the top
    level (with all they import) and the packages whose own modules take longest, summed. A reader
    child's imports are in the same output (it writes to the same stderr)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "swtool", *check_cmd(path)[1:]],
        capture_output=True,
        text=True,
        env=ENV,
    )
    entries = []  # (own µs, cumulative µs, depth, module)
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line[len("import time:") :].split("|")
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        entries.append((int(own), int(cumulative), depth, name.strip()))
    print(f"imports of the realistic check (python -X importtime; {sum(e[0] for e in entries) / 1e6:.2f} s in all)")
    print("  largest at the top level, with what they import:")
    for _, cumulative, _, name in sorted((e for e in entries if e[2] == 0), key=lambda e: -e[1])[:top]:
        print(f"    {cumulative / 1e3:7.0f} ms  {name}")
    packages: dict[str, int] = {}
    for own, _, _, name in entries:
        packages[name.split(".")[0]] = packages.get(name.split(".")[0], 0) + own
    print("  by package (their own modules only):")
    for name, own in sorted(packages.items(), key=lambda kv: -kv[1])[:top]:
        print(f"    {own / 1e3:7.0f} ms  {name}")
    print(f"  openpyxl imported: {'yes' if any(e[3].split('.')[0] == 'openpyxl' for e in entries) else 'no'}")


def timed_isolated(cmd: list[str]) -> tuple[float, float, float]:
    """Run ``cmd`` under a small wrapper process so its peak memory is measured alone: (wall seconds,
    peak MB, CPU seconds of it and its children, which a busy machine inflates less than the wall time)."""
    wrapper = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True); "
        "w = time.perf_counter() - t; "
        "r = resource.getrusage(resource.RUSAGE_CHILDREN); m = r.ru_maxrss / 1024; "
        "print(w, m, r.ru_utime + r.ru_stime, p.returncode); sys.stderr.write(p.stderr[-2000:] if p.returncode > 1 else '')"
    )
    proc = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, env=ENV)
    wall, peak, cpu, rc = proc.stdout.split()
    if int(rc) not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({rc}): {proc.stderr}")
    return float(wall), float(peak), float(cpu)


def warm_up(path: Path) -> None:
    """One untimed run of each command, so that no measurement compiles a module (the register's reading
    needs modules of its own)."""
    for cmd in (
        check_cmd(path),
        check_cmd(path, *register_option()),
        [sys.executable, "-c", IMPORTS],
        [sys.executable, "-c", BARE_CALAMINE, str(path)],
        [sys.executable, "-c", BARE_OPENPYXL, str(path)],
    ):
        timed_isolated(cmd)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000, help="registrations and claims in the large return")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each command; the fastest is reported")
    ap.add_argument(
        "--openpyxl-reader",
        action="store_true",
        help="also time the check of the large return with --setting reader=openpyxl",
    )
    ap.add_argument("--realistic-only", action="store_true", help="leave out the large return")
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    large = OUT / f"return-clean-{args.rows}.xlsx"
    realistic = OUT / "return-realistic-800.xlsx"
    wanted = ((realistic, 800, 800),) if args.realistic_only else ((large, args.rows, args.rows), (realistic, 800, 800))
    for path, regs, claims in wanted:
        if not path.exists():
            t = time.perf_counter()
            make_return(path, regs, claims)
            print(f"(generated {path.name} in {time.perf_counter() - t:.1f} s)")
    warm_up(realistic)
    if not args.realistic_only:
        bench_large(
            f"large return: {args.rows:,} registrations + {args.rows:,} claims",
            large,
            args.repeat,
            args.openpyxl_reader,
        )
    bench_realistic("realistic return: 800 registrations + 800 claims", realistic, args.repeat)
    import_costs(realistic)


if __name__ == "__main__":
    main()
