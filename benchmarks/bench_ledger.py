"""Benchmark the PMO's ledger: import 12 contracts × 8 quarters of realistic returns, then `swtool status`.

    python benchmarks/bench_ledger.py              # generate (once) and time
    python benchmarks/bench_ledger.py --regenerate # make the returns again

The returns are made as the shipped samples are (samples/make_samples.py: the prefilled template
filled quarter by quarter by a ContractBook, so claims stay consistent across quarters): the seven
sample contracts plus five more on the same lots, each over its whole two-year term (2025/26-Q1 to
2026/27-Q4). They are kept in benchmarks/out/ledger/ (not committed) and reused.

Each command runs in a fresh process, as the PMO runs it, on a fresh ledger. Prints seconds for
`register import`, `import` of all 96 returns (and per return), the same `import` again (every file
already in the ledger), `status`, `credits --format json` and `performance --format json` for the last
quarter, `payments`, the network report, and the ledger's size. benchmarks/bench_review.py times the review screens on the same ledger.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out" / "ledger"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "samples"))

TODAY = date(2027, 5, 10)  # after every quarter's final deadline
QUARTER = "2026/27-Q4"
EXTRA = [  # five more contracts on the sample lots: (copy of, contract ID, provider)
    ("SW-L3-01", "SW-L3-02", "Southwark Wellbeing Works"),
    ("SW-L1A-01", "SW-L1A-02", "Peckham Youth Pathways"),
    ("SW-L7-01", "SW-L7-02", "Walworth Recovery Works"),
    ("SW-L9-01", "SW-L9-02", "Dulwich In-Work Progress"),
    ("SW-L5-01", "SW-L5-02", "Bermondsey Parents into Work"),
]


def specs():
    import make_samples as ms

    from swtool.model.quarter import Quarter

    quarters, q = [], Quarter.containing(ms.START)
    while q.start <= ms.END:
        quarters.append(str(q))
        q = q.next()
    base = {s.contract_id: s for s in ms.CONTRACTS}
    out = [dataclasses.replace(s, quarters=tuple(quarters)) for s in ms.CONTRACTS]
    out += [
        dataclasses.replace(base[src], contract_id=cid, provider=name, quarters=tuple(quarters))
        for src, cid, name in EXTRA
    ]
    return out


def generate() -> tuple[Path, Path, int]:
    import make_samples as ms

    from swtool.model.quarter import Quarter
    from swtool.model.refdata import RefData
    from swtool.write.templates import build_register

    refdata = RefData(overrides=OUT / "no-overrides")
    all_specs = specs()
    facts = {s.contract_id: ms.facts_for(s) for s in all_specs}
    register = OUT / "register.xlsx"
    wb = build_register(refdata)
    ms._fill_register(wb, facts)
    ms.save(wb, register)
    postcodes = ms.southwark_postcodes()
    n = 0
    for s in all_specs:
        book = ms.ContractBook(s, postcodes)
        for qs in s.quarters:
            q = Quarter.parse(qs)
            wb = ms.build(s, facts[s.contract_id], q, book, refdata)
            ms.save(
                wb,
                OUT / "returns" / s.contract_id / f"{s.contract_id}_{q.financial_year.replace('/', '-')}_"
                f"{q.label}.xlsx",
            )
            n += 1
    return register, OUT / "returns", n


def timed(*args) -> tuple[float, str]:
    t = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-m", "swtool", *map(str, args)],
        capture_output=True,
        text=True,
        env=dict(os.environ, SWTOOL_DATA_DIR=str(OUT / "userdata")),
    )
    took = time.perf_counter() - t
    if res.returncode not in (0, 1):
        sys.exit(f"swtool {' '.join(map(str, args))} failed ({res.returncode}): {res.stderr}")
    return took, res.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--regenerate", action="store_true", help="make the returns again")
    args = ap.parse_args()
    returns = OUT / "returns"
    register = OUT / "register.xlsx"
    if args.regenerate or not register.exists() or len(list(returns.rglob("*.xlsx"))) != 96:
        shutil.rmtree(OUT, ignore_errors=True)
        t = time.perf_counter()
        register, returns, n = generate()
        print(f"generated {n} returns in {time.perf_counter() - t:.1f} s ({returns})")
    files = sorted(returns.rglob("*.xlsx"))
    db_dir = OUT / "db"
    shutil.rmtree(db_dir, ignore_errors=True)
    db = db_dir / "ledger.sqlite3"
    rows = []
    took, _ = timed("register", "import", register, "--db", db)
    rows.append(("register import (12 contracts)", took))
    took, out = timed("import", returns, "--db", db, "--today", TODAY)
    lines = out.strip().splitlines()
    # the copied contracts share client refs with the samples, so C219 lines follow the summary
    assert f"{len(files)} files: {len(files)} imported" in lines, lines[-3:]
    cross = sum(1 for line in lines if line.startswith(("  warning C219", "  warning C220")))
    rows.append((f"import {len(files)} returns ({cross} C219/C220 across contracts)", took))
    rows.append(("  per return", took / len(files)))
    took, out = timed("import", returns, "--db", db, "--today", TODAY)
    assert out.strip().splitlines()[-1] == f"{len(files)} files: {len(files)} already in the ledger"
    rows.append((f"import again ({len(files)} already in the ledger)", took))
    took, out = timed("status", "--quarter", QUARTER, "--today", TODAY, "--db", db)
    assert out.count("SW-") >= 12, out
    rows.append((f"status --quarter {QUARTER}", took))
    took, _ = timed("status", "--quarter", "2025/26-Q2", "--today", TODAY, "--db", db)
    rows.append(("status --quarter 2025/26-Q2", took))
    took, _ = timed("credits", "--quarter", QUARTER, "--format", "json", "--db", db)
    rows.append((f"credits --quarter {QUARTER} --format json", took))
    took, _ = timed("performance", "--quarter", QUARTER, "--format", "json", "--db", db)
    rows.append((f"performance --quarter {QUARTER} --format json", took))
    took, _ = timed("payments", "--quarter", QUARTER, "--format", "json", "--db", db)
    rows.append((f"payments --quarter {QUARTER} --format json", took))
    took, _ = timed("report", "network", "--year", "2026/27", "-o", db_dir / "network.xlsx", "--db", db)
    rows.append(("report network --year 2026/27", took))
    took, _ = timed("--help")
    rows.append(("swtool --help (process start-up)", took))
    width = max(len(r[0]) for r in rows)
    print(f"{len(files)} returns ({len({f.parent for f in files})} contracts × 8 quarters), today {TODAY}")
    for label, seconds in rows:
        print(f"  {label:<{width}}  {seconds:7.2f} s")
    size = sum(p.stat().st_size for p in db_dir.rglob("*") if p.is_file() and p.suffix != ".xlsx")
    stored = sum(p.stat().st_size for p in (db_dir / "files").rglob("*.xlsx"))
    print(f"  ledger database {size / 1e6:.1f} MB; stored returns {stored / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
