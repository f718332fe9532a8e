"""A long fuzz run: zip-level and XML-level mutants of the real sample returns, each judged as the suite's
fuzz test judges them (tests/hostile/mutants.py), and every Nth also through `swtool check` itself.

    python benchmarks/fuzz_long.py                      # 3,000 mutants from seed 100,000
    python benchmarks/fuzz_long.py --mutants 20000 --start 0 --cli-every 25

The suite runs seeds 0 to 299 of the first sample; this run starts elsewhere, so it tries new mutants.
Prints how many mutants were made (zip-level and XML-level), how they ended (a plain sentence, S001, by
reason; a report), how many ended in an internal error (each with its seed and what was done, to be
made again with ``mutants.mutant(base, seed)``), and the time taken. Exit status 1 when any did.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import warnings
from collections import Counter
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "hostile"))

SAMPLES = [
    "SW-L3-01/SW-L3-01_2026-27_Q2.xlsx",
    "SW-L1A-01/SW-L1A-01_2026-27_Q2.xlsx",
    "SW-L9-01/SW-L9-01_2026-27_Q2.xlsx",
    "SW-L7-01/SW-L7-01_2026-27_Q1.xlsx",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mutants", type=int, default=3000, help="how many mutants (default 3000)")
    ap.add_argument("--start", type=int, default=100_000, help="the first seed (default 100000)")
    ap.add_argument(
        "--cli-every",
        type=int,
        default=50,
        help="run every Nth mutant through `swtool check` too (0: never; default 50)",
    )
    ap.add_argument(
        "--child-process",
        action="store_true",
        help="read each mutant as swtool does by default, in a child process with the reader setting "
        "(calamine first), rather than with openpyxl in this process; slower",
    )
    args = ap.parse_args()

    from click.testing import CliRunner

    from mutants import mutant, problem
    from swtool.checks.context import CheckContext
    from swtool.cli import cli
    from swtool.model.refdata import RefData
    from swtool.model.settings import Settings

    warnings.simplefilter("ignore")  # openpyxl's warnings about odd parts are expected here
    logging.getLogger("swtool").addHandler(logging.NullHandler())
    logging.getLogger("swtool").propagate = False
    from swtool.read.preflight import Limits

    ctx = CheckContext(RefData(), Settings.defaults(), date(2026, 11, 23))
    limits = Limits() if args.child_process else Limits(child_process=False)
    bases = [(ROOT / "samples" / "returns" / s).read_bytes() for s in SAMPLES]
    seen: set[str] = set()
    kinds, ends, bad = Counter(), Counter(), []
    cli_runs = 0
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="swtool-fuzz-") as tmp:
        for n, seed in enumerate(range(args.start, args.start + args.mutants)):
            base = bases[n % len(bases)]
            data, what = mutant(base, seed)
            kinds["zip" if seed % 2 == 0 else "xml"] += 1
            path = Path(tmp) / f"mutant-{seed}.xlsx"
            path.write_bytes(data)
            said = problem(path, ctx, seen, ends, limits)
            if said is None and args.cli_every and n % args.cli_every == 0:
                cli_runs += 1
                res = CliRunner().invoke(cli, ["check", str(path), "--today", "2026-11-23"])
                if (
                    res.exit_code not in (0, 1)
                    or "internal error" in res.output
                    or (res.exception and not isinstance(res.exception, SystemExit))
                ):
                    said = f"swtool check: exit {res.exit_code}: {res.output.strip().splitlines()[-1:]}"
            if said is not None:
                bad.append((seed, what, said))
            path.unlink()
    took = time.perf_counter() - t0
    print(
        f"{args.mutants} mutants (seeds {args.start} to {args.start + args.mutants - 1}; "
        f"{kinds['zip']} zip-level, {kinds['xml']} XML-level) of {len(bases)} sample returns, "
        f"read {'in a child process' if args.child_process else 'by openpyxl in this process'}, "
        f"{len(seen)} distinct contents checked in full, {cli_runs} also through swtool check"
    )
    for end, count in sorted(ends.items(), key=lambda kv: -kv[1]):
        print(f"  {count:6}  {'read, checked and reported' if end == 'read' else end}")
    print(f"{len(bad)} ended in an internal error")
    for seed, what, said in bad:
        print(f"  seed {seed} ({what}): {said}")
    print(f"{took:.1f} s ({took / max(args.mutants, 1) * 1000:.0f} ms a mutant)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
