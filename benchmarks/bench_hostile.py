"""How long each file of the hostile corpus takes through ``swtool check`` (a fresh process each).

    python benchmarks/bench_hostile.py             # every case
    python benchmarks/bench_hostile.py bomb        # the cases whose id contains "bomb"

The test suite checks each file's outcome and its memory, not its time: a busy machine must not fail
it. This prints the seconds per case, slowest first, and the total, so a slow case is seen here. The
reader's own time limit (``read_seconds``, 30 s unless SWTOOL_LIMITS says otherwise) is what bounds a
provider's run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT / "tests" / "hostile"), str(ROOT / "tests"), str(ROOT)]

from builders import write_return  # noqa: E402
from corpus import CASES  # noqa: E402


def main(argv: list[str]) -> None:
    wanted = [c for c in CASES if not argv or any(a in c.id for a in argv)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "base").mkdir()
        base = write_return(Path(tmp) / "base")
        for case in wanted:
            folder = Path(tmp) / case.id
            folder.mkdir()
            path = case.build(folder, base)
            env = {k: v for k, v in os.environ.items() if k != "SWTOOL_LIMITS"}
            if case.env:
                env["SWTOOL_LIMITS"] = case.env
            t = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "swtool", "check", str(path), "--format", "json", "--today", "2026-10-01"],
                capture_output=True,
                env=env,
                cwd=ROOT,
            )
            rows.append((time.perf_counter() - t, case.id, proc.returncode))
    for seconds, name, code in sorted(rows, reverse=True):
        print(f"{seconds:7.2f} s  exit {code}  {name}")
    print(f"{sum(r[0] for r in rows):7.2f} s  in all, {len(rows)} files")


if __name__ == "__main__":
    main(sys.argv[1:])
