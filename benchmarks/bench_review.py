"""Benchmark `swtool review`: how long each screen takes to appear on a full ledger.

    python benchmarks/bench_review.py      # uses (or first builds) benchmarks/bench_ledger.py's ledger

The ledger holds 12 contracts × 8 quarters (96 returns). The app runs headless (Textual's
``run_test``, a 160 × 45 terminal) in this process; each figure is the median of 5 runs, from the key
press to the screen being drawn with its figures (the screens read the ledger in worker threads: a
figure ends when every read has been put on screen): the first frame and the first screen with its
figures after start-up, moving to the previous quarter, opening a contract (its findings, outputs to
date, expenditure, versions and decisions), a tab, a filter, the service credits screen and the action
plans screen. Process start-up (`swtool review --help`) is timed in a fresh process, as a PMO starts it.

Beside each wall-clock figure is the process's CPU time over the same span (every thread's: the app's
and the workers'), the median too: on a machine busy with other work the wall clock stretches while
the CPU time stays what the step itself costs.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
LEDGER = HERE / "out" / "ledger" / "db" / "ledger.sqlite3"
RUNS = 5


async def settled(pilot) -> None:
    """Until every worker reading the ledger has finished and its result is on screen."""
    from textual.worker import WorkerState

    await pilot.pause()
    while busy := [
        w for w in pilot.app.workers if w.group == "load" and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
    ]:
        await pilot.app.workers.wait_for_complete(busy)
        await pilot.pause()
    await pilot.pause()


def now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(t: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = now()
    return wall - t[0], cpu - t[1]


async def one_run(app, times: dict) -> None:
    async def timed(label: str, *keys: str) -> None:
        t = now()
        if keys:
            await pilot.press(*keys)
        await settled(pilot)
        times.setdefault(label, []).append(since(t))

    t = now()
    async with app.run_test(size=(160, 45)) as pilot:
        times.setdefault("start-up to the first frame", []).append(since(t))
        await settled(pilot)
        times.setdefault("start-up to the quarter with its figures", []).append(since(t))
        await timed("previous quarter ([)", "left_square_bracket")
        await timed("next quarter (])", "right_square_bracket")
        await timed("open a contract (Enter)", "enter")
        await timed("its Outputs tab (2)", "2")
        await timed("back to the quarter (Esc)", "escape")
        await timed("open the same contract again (Enter)", "enter")
        await pilot.press("escape")
        await timed("filter the quarter (/ and 5 letters)", "slash", "s", "w", "-", "l", "1")
        await pilot.press("escape")
        await timed("service credits (c)", "c")
        await pilot.press("escape")
        await timed("action plans (p)", "p")


def main() -> None:
    if not LEDGER.exists():
        subprocess.run([sys.executable, str(HERE / "bench_ledger.py")], check=True)
    from datetime import date

    from swtool.ledger import open_ledger
    from swtool.model.quarter import Quarter
    from swtool.model.refdata import RefData
    from swtool.model.settings import Settings
    from swtool.tui.app import ReviewApp, Session

    times: dict[str, list[float]] = {}
    with open_ledger(LEDGER) as ledger:
        n = ledger.conn.execute("SELECT count(*) FROM returns").fetchone()[0]
        for _ in range(RUNS):
            session = Session(
                ledger, RefData(), Settings.defaults(), date(2027, 5, 10), Quarter.parse("2026/27-Q4"), HERE / "out"
            )
            asyncio.run(one_run(ReviewApp(session), times))
    t = time.perf_counter()
    subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "swtool"), "review", "--help"], check=True, capture_output=True
    )
    startup = time.perf_counter() - t
    print(f"swtool review on {n} returns (median of {RUNS} runs, headless 160 × 45)")
    width = max(map(len, times))
    for label, values in times.items():
        wall, cpu = [v[0] for v in values], [v[1] for v in values]
        print(
            f"  {label:<{width}}  {statistics.median(wall):6.3f} s   (max {max(wall):.3f} s)   "
            f"CPU {statistics.median(cpu):6.3f} s"
        )
    print(f"  {'swtool review --help (a fresh process)':<{width}}  {startup:6.3f} s")


if __name__ == "__main__":
    main()
