"""Benchmark `swtool review`: how long each screen takes to appear on a full ledger.

    python benchmarks/bench_review.py           # uses (or first builds) benchmarks/bench_ledger.py's ledger
    python benchmarks/bench_review.py --pilot   # the figures as measured before (through Textual's Pilot)

The ledger holds 12 contracts × 8 quarters (96 returns). The app runs headless (Textual's
``run_test``, a 160 × 45 terminal) in this process; each figure is the median of 5 runs: the first frame
and the first screen with its figures after start-up, moving to the previous quarter, opening a contract
(its findings, outputs to date, expenditure, versions and decisions), a tab, a filter, the service
credits screen and the action plans screen. Process start-up (`swtool review --help`) is timed in a fresh
process, as a PMO starts it.

What a figure spans: from the key event (posted to the app, as the terminal driver posts it) to the
moment the screen the key leads to has been drawn with its figures: the key has had its effect (the new
screen is current, the tab shown, the filter typed), the screen's reads of the ledger (worker threads,
group "load") are done and their result is on screen (``LedgerScreen.shown_seq``), and the screen has
refreshed after that (``wait_for_refresh``: pending layout and paint done). The benchmark polls for this
every 2 ms, so a figure may be up to 2 ms long. Animations still running then (the tabs' underline
sliding) are not waited for: the figures are readable before they end. The filter's letters are typed
one at a time, each sent once the one before has reached the filter.

Until 2026-11 a figure spanned Textual's ``Pilot.press`` and a settle instead (``--pilot`` still measures
that way): ``press`` waits for the process to fall idle twice (20 ms sleeps until a step uses under 1 ms
of CPU) and for every animation to end, which added 0.2-0.4 s to each figure that a PMO never waits for.
The lines and their order are the same either way; the figures of the two ways are not comparable.

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
    """Until every worker reading the ledger has finished and its result is on screen (``--pilot``)."""
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


STEP = 0.002  # seconds between two looks at the app


# (key, character) as a terminal driver sends them
KEYS = {
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "enter": "\r",
    "escape": "\x1b",
    "slash": "/",
    "minus": "-",
}


def send(app, key: str) -> None:
    from textual import events

    app.post_message(events.Key(key, KEYS.get(key, key)))


def reading(app) -> bool:
    from textual.worker import WorkerState

    return any(w.group == "load" and w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers)


async def until(test) -> None:
    while not test():
        await asyncio.sleep(STEP)


async def drawn(app, done) -> None:
    """Until ``done()`` holds (the key had its effect), the screen in view shows its latest read of the
    ledger with none in flight, and the screen has refreshed since."""
    from swtool.tui.base import LedgerScreen

    def ready() -> bool:
        screen = app.screen
        shown = not isinstance(screen, LedgerScreen) or screen.shown_seq == screen._seq
        return done() and shown and not reading(app)

    await until(ready)
    await app.screen.wait_for_refresh()


def reload(app, kind):
    """A test: a screen of ``kind`` is current and has started a read since now (a new screen's first,
    or a screen's reload)."""
    seqs = {s: s._seq for s in [*app.screen_stack, app._contract_screen] if s is not None and hasattr(s, "_seq")}

    def done() -> bool:
        s = app.screen
        return isinstance(s, kind) and s._seq != seqs.get(s, 0)

    return done


async def one_run(app, times: dict) -> None:
    """Each step from the key event to the screen drawn with its figures (``drawn``)."""
    from swtool.tui.screens import ContractScreen, CreditsScreen, PlansScreen, QuarterScreen

    async def timed(label: str, key: str | None, done) -> None:
        t = now()
        if key:
            send(app, key)
        await drawn(app, done)
        times.setdefault(label, []).append(since(t))

    async def typed(label: str, keys: list[str]) -> None:
        t = now()
        send(app, keys[0])
        await until(lambda: isinstance(app.focused, Input))
        field = app.focused
        for k in keys[1:]:
            was = field.value
            send(app, k)
            await until(lambda was=was: field.value != was)
        await drawn(app, lambda: app.screen.current_table().filter_text == field.value)
        times.setdefault(label, []).append(since(t))

    from textual.widgets import Input

    t = now()
    async with app.run_test(size=(160, 45)) as pilot:
        times.setdefault("start-up to the first frame", []).append(since(t))
        await drawn(app, lambda: isinstance(app.screen, QuarterScreen) and app.screen._seq > 0)
        times.setdefault("start-up to the quarter with its figures", []).append(since(t))
        await until(lambda: app.across is not None)  # the background work start-up begins, out of the figures
        await timed("previous quarter ([)", "left_square_bracket", reload(app, QuarterScreen))
        await timed("next quarter (])", "right_square_bracket", reload(app, QuarterScreen))
        await timed("open a contract (Enter)", "enter", reload(app, ContractScreen))
        await timed("its Outputs tab (2)", "2", lambda: app.screen.active_tab() == "outputs")
        await timed("back to the quarter (Esc)", "escape", reload(app, QuarterScreen))
        await timed("open the same contract again (Enter)", "enter", reload(app, ContractScreen))
        await pilot.press("escape")
        await settled(pilot)
        await typed("filter the quarter (/ and 5 letters)", ["slash", "s", "w", "minus", "l", "1"])
        await pilot.press("escape")
        await timed("service credits (c)", "c", reload(app, CreditsScreen))
        await pilot.press("escape")
        await settled(pilot)
        await timed("action plans (p)", "p", reload(app, PlansScreen))


async def one_run_pilot(app, times: dict) -> None:
    """The figures as measured until 2026-11: ``Pilot.press``, then ``settled``."""

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
    pilot = "--pilot" in sys.argv[1:]
    if not LEDGER.exists():
        subprocess.run([sys.executable, str(HERE / "bench_ledger.py")], check=True)
    from datetime import date

    from swtool.ledger import open_ledger
    from swtool.model.quarter import Quarter
    from swtool.model.refdata import RefData
    from swtool.model.settings import Settings
    from swtool.tui.app import ReviewApp, Session

    times: dict[str, list[tuple[float, float]]] = {}
    with open_ledger(LEDGER) as ledger:
        n = ledger.conn.execute("SELECT count(*) FROM returns").fetchone()[0]
        for _ in range(RUNS):
            session = Session(
                ledger, RefData(), Settings.defaults(), date(2027, 5, 10), Quarter.parse("2026/27-Q4"), HERE / "out"
            )
            asyncio.run((one_run_pilot if pilot else one_run)(ReviewApp(session), times))
    t = time.perf_counter()
    subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "swtool"), "review", "--help"], check=True, capture_output=True
    )
    startup = time.perf_counter() - t
    how = "Pilot.press and a settle" if pilot else "key event to the screen drawn"
    print(f"swtool review on {n} returns (median of {RUNS} runs, headless 160 × 45, {how})")
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
