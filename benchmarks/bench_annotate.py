"""Benchmark `annotate`: an annotated copy of the large return of bench_check.py.

    python benchmarks/bench_annotate.py                 # 100,000 registrations + 100,000 claims
    python benchmarks/bench_annotate.py --rows 20000 --findings 3000
    python benchmarks/bench_annotate.py --rows 20000 --in-process   # SWTOOL_LIMITS=child_process=no

The return is made by bench_check.make_return (kept in benchmarks/out/ and reused). It is checked
once; its findings are topped up to --findings with findings on real cells spread over the
Registrations and Claims sheets (a badly filled return), and then, in a fresh process so that its
peak memory is its own, the annotated copy is written. Prints the seconds (wall, and CPU of that
process and its children) and the peak memory: the largest resident set of that process or of the
bounded child it starts for openpyxl (which loads the whole workbook, as annotating needs).
``--in-process`` annotates without the child process, for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

CHILD = """
import json, os, resource, sys, time
from pathlib import Path
from swtool.write.annotate import annotate
from swtool.findings import FileReport, Finding
data = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
report = FileReport(data["path"], sha256=data["sha256"], findings=[Finding(**f) for f in data["findings"]])
def cpu_now():
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system
t, c = time.perf_counter(), cpu_now()
result = annotate(Path(data["path"]), report, Path(sys.argv[2]))
wall, cpu = time.perf_counter() - t, cpu_now() - c
peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
print(json.dumps({"seconds": wall, "cpu_seconds": cpu, "peak_mb": peak,
                  "cells": result.cells, "sheet_only": result.sheet_only, "findings": result.findings}))
"""


def findings_for(path: Path, wanted: int) -> dict:
    """The return's real findings, topped up to ``wanted`` with findings on cells of the two big sheets."""
    from datetime import date

    from swtool import catalogue
    from swtool.checks.context import CheckContext
    from swtool.engine import check_file
    from swtool.model.refdata import RefData
    from swtool.model.settings import Settings

    ctx = CheckContext(RefData(), Settings.defaults(), date(2026, 10, 1))
    report, sub = check_file(path, ctx)
    s004 = catalogue.load_all()["S004"]
    extra = max(0, wanted - len(report.findings))
    tables = [sub.registrations, sub.claims]
    for k in range(extra):
        t = tables[k % 2]
        i = (k // 2) * max(1, len(t) // max(1, extra // 2)) % max(1, len(t))
        header = "Age at registration" if t is sub.registrations else "Date achieved"
        where = t.at(i, header)
        report.findings.append(
            s004.finding(f"{where.cell}: {header} 'synthetic' is not valid (benchmark)", where, "synthetic")
        )
    return {"path": str(path), "sha256": report.sha256, "findings": [f.to_dict() for f in report.findings]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000, help="registrations and claims in the return")
    ap.add_argument("--findings", type=int, default=3_000, help="findings to mark (real ones topped up)")
    ap.add_argument(
        "--in-process",
        action="store_true",
        help="annotate in the benchmark's process, without the bounded child (child_process=no)",
    )
    args = ap.parse_args()
    from bench_check import make_return

    OUT.mkdir(exist_ok=True)
    path = OUT / f"return-{args.rows}.xlsx"
    if not path.exists():
        t = time.perf_counter()
        make_return(path, args.rows, args.rows)
        print(f"(generated {path.name} in {time.perf_counter() - t:.1f} s)")
    t = time.perf_counter()
    data = findings_for(path, args.findings)
    print(f"(checked {path.name} in {time.perf_counter() - t:.1f} s: {len(data['findings']):,} findings to mark)")
    report_file = OUT / f"return-{args.rows}.findings.json"
    report_file.write_text(json.dumps(data), encoding="utf-8")
    output = OUT / f"return-{args.rows}.annotated.xlsx"
    env = dict(os.environ)
    if args.in_process:
        env["SWTOOL_LIMITS"] = ",".join(filter(None, [env.get("SWTOOL_LIMITS", ""), "child_process=no"]))
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(report_file), str(output)], capture_output=True, text=True, env=env
    )
    if proc.returncode:
        sys.exit(f"annotate failed: {proc.stderr[-2000:]}")
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    size = path.stat().st_size / 1e6
    how = "in this process" if args.in_process else "in a bounded child process"
    print(
        f"annotate ({how}): {args.rows:,} registrations + {args.rows:,} claims ({size:.1f} MB), "
        f"{r['findings']:,} findings ({r['cells']:,} cells marked, {r['sheet_only']} on the Findings sheet only)"
    )
    print(f"  seconds   {r['seconds']:8.2f}   (CPU {r['cpu_seconds']:.2f} s; on a busy machine wall time is longer)")
    print(f"  peak      {r['peak_mb']:8.0f} MB")
    print(f"  copy      {output.relative_to(ROOT)} ({output.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
