"""Shared by the TUI tests: the review app over a copy of the sample ledger, driven by a Pilot."""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from pathlib import Path

import openpyxl

import ledger_helpers as lh
from swtool.ledger import open_ledger, store
from swtool.model.quarter import Quarter
from swtool.model.settings import Settings
from swtool.tui.app import ReviewApp, Session

SIZE = (160, 45)


def session(ledger, folder: Path, quarter: str = lh.Q2) -> Session:
    return Session(ledger, lh.refdata(folder), Settings.defaults(), lh.TODAY, Quarter.parse(quarter), folder)


async def settle(pilot) -> None:
    """Let the app finish what it is doing: the screens read the ledger in worker threads, so after a
    key the test waits until every read has been put on screen (as a PMO waits for the table to fill).
    No wall-clock deadline: a busy machine is only slower."""
    from textual.worker import WorkerState

    await pilot.pause()
    while True:
        busy = [
            w for w in pilot.app.workers if w.group == "load" and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
        ]
        if not busy:
            break
        await pilot.app.workers.wait_for_complete(busy)
        await pilot.pause()
    await pilot.pause()


async def still(pilot) -> None:
    """Settle, then hold what would still change on its own: a text box's cursor blinks (every half
    second, shown then hidden, even headless), so a picture taken half a second after the box got the
    focus (a busy machine) would lose it. The cursor is held shown, as it is when the box gets the focus;
    then the animations in flight finish."""
    from textual.widgets import Input

    await settle(pilot)
    for screen in pilot.app.screen_stack:
        for box in screen.query(Input):
            box.cursor_blink = False
    await pilot.wait_for_scheduled_animations()
    await settle(pilot)


class Settling:
    """A Pilot whose ``pause()`` also waits for the screens' reads (``settle``); everything else is the
    Pilot's own."""

    def __init__(self, pilot):
        self._pilot = pilot

    def __getattr__(self, name):
        return getattr(self._pilot, name)

    async def pause(self, delay: float | None = None) -> None:
        await settle(self._pilot)
        if delay is not None:
            await self._pilot.pause(delay)


def drive(ledger_path: Path, folder: Path, scenario, quarter: str = lh.Q2, size=SIZE) -> ReviewApp:
    """Open the ledger, run the app headless with ``scenario(pilot)`` and return the app (stopped)."""

    async def go(app):
        async with app.run_test(size=size) as pilot:
            pilot = Settling(pilot)
            await pilot.pause()
            await scenario(pilot)
            await settle(pilot)
            last_frame(app)

    with open_ledger(ledger_path) as ledger, headless():
        app = ReviewApp(session(ledger, folder, quarter))
        asyncio.run(go(app))
    return app


@contextmanager
def headless():
    """How the tests run the app: frames painted only when asked for, idleness looked at every 5 ms."""
    with frames_only_when_asked(), idle_looked_at_every(0.005):
        yield


@contextmanager
def idle_looked_at_every(seconds: float):
    """A Pilot's pause waits until the app is idle: it sleeps a slice (20 ms) and stops after a slice in
    which the process used almost no CPU (under 1/20 of it). Each key and each wait took at least a slice,
    a third of a test's time, asleep. Here a slice is ``seconds``, idle meaning the same share of it: the
    pause still ends only once everything queued has run and the process has gone quiet."""
    import textual._wait as wait

    was = wait.SLEEP_GRANULARITY, wait.SLEEP_IDLE
    wait.SLEEP_GRANULARITY, wait.SLEEP_IDLE = seconds, seconds / 20
    try:
        yield
    finally:
        wait.SLEEP_GRANULARITY, wait.SLEEP_IDLE = was


@contextmanager
def frames_only_when_asked():
    """Headless, Textual still paints every frame it would send to a terminal, and throws it away: a
    third of a Pilot test's time. Here a frame is painted only when asked for (a screenshot, a snapshot,
    ``last_frame``); what the screens hold, and every test's assertions, are the same. The frames a
    terminal receives are tested by the snapshot pictures and the real-terminal test."""
    from textual._compositor import Compositor

    painted = Compositor.render_update

    def render_update(self, full=False, screen_stack=None, simplify=False):
        if full:
            return painted(self, full, screen_stack, simplify)
        self._dirty_regions.clear()  # as a painted partial frame leaves them
        return None

    Compositor.render_update = render_update  # type: ignore[method-assign]
    try:
        yield
    finally:
        Compositor.render_update = painted  # type: ignore[method-assign]


def last_frame(app) -> None:
    """Paint the screen the scenario ended on, every line of every widget, so a widget that cannot draw
    what it holds fails the test that put it there."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    list(app.console.render(update))


def cells(table) -> list[list[str]]:
    """What a DataTable shows, row by row, as plain text."""
    return [[getattr(c, "plain", str(c)) for c in table.get_row_at(i)] for i in range(table.row_count)]


def record(table, first: str) -> dict[str, str]:
    """The row of a table whose first cell reads ``first``, as {column: what the cell shows}."""
    names = [str(c.label).removesuffix(" ▲").removesuffix(" ▼") for c in table.ordered_columns]
    return dict(zip(names, row_of(table, first), strict=True))


def screen_lines(app) -> list[str]:
    """The screen as the terminal shows it, a line a row: read back from the app's own SVG screenshot
    (each run of text is placed at its column; a cell is 12.2 units wide)."""
    import html
    import re

    rows: dict[int, dict[int, str]] = {}
    for x, line, text in re.findall(
        r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
        r'clip-path="url\(#[\w-]+-line-(\d+)\)">([^<]*)</text>',
        app.export_screenshot(),
    ):
        row = rows.setdefault(int(line), {})
        for i, ch in enumerate(html.unescape(text).replace("\xa0", " ")):
            row[round(float(x) / 12.2) + i] = ch
    return ["".join(r.get(i, " ") for i in range(max(r) + 1)).rstrip() for _, r in sorted(rows.items())]


def notes(app) -> list[tuple[str, str]]:
    return [(n.severity, n.message) for n in app._notifications]


def row_of(rows, first: str) -> list[str]:
    """The row (of a DataTable, or of rows already read) whose first cell reads ``first``."""
    return next(r for r in (rows if isinstance(rows, list) else cells(rows)) if r[0] == first)


def static_text(screen, selector: str) -> str:
    content = screen.query_one(selector).content
    return getattr(content, "plain", str(content))


def log_text(dialog) -> list[str]:
    """What the import dialog has written to its log, an entry a line (the log wraps them to its width)."""
    return [t.plain for t in dialog.said]


async def highlight(pilot, table_id: str, first: str) -> None:
    """Move the cursor of a table to the row whose first cell reads ``first``."""
    table = pilot.app.screen.query_one(f"#{table_id}")
    index = [r[0] for r in cells(table)].index(first)
    table.move_cursor(row=index)
    await pilot.pause()


async def wait_until(pilot, condition, seconds: float = 600) -> None:
    """Let the app run until ``condition()`` holds (a worker thread has reported back, say). The limit
    is a hang guard only, far beyond any busy machine."""
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the app did not get there in time"
        await pilot.pause(0.05)


async def type_text(pilot, text: str) -> None:
    """Type ``text`` as a terminal delivers quick typing: one key event a character, all queued in order,
    then one wait for the app. (``Pilot.press`` waits for the app to fall idle after every key, some
    40 ms a character: a decision's reason took seconds to type.)"""
    from textual import events
    from textual.keys import _character_to_key

    for ch in text:
        pilot.app.post_message(events.Key(ch if ch.isalnum() else _character_to_key(ch), ch))
    await pilot.pause()


async def open_contract(pilot, contract_id: str) -> None:
    """From the quarter screen, Enter on a contract's row."""
    await highlight(pilot, "contracts", contract_id)
    await pilot.press("enter")
    await pilot.pause()


async def decide(pilot, key: str, reason: str) -> None:
    """Press a decision key, type the reason in the dialog and press Enter."""
    await pilot.press(key)
    await pilot.pause()
    await type_text(pilot, reason)
    await pilot.press("enter")
    await pilot.pause()


def import_file(ledger_path: Path, folder: Path, path: Path):
    with open_ledger(ledger_path) as ledger:
        [result] = store.import_returns(ledger, [path], lh.refdata(folder), Settings.defaults(), lh.TODAY)
    return result


def edited_return(source: Path, target: Path, cells_: dict[str, object]) -> Path:
    """A copy of ``source`` with some Claims cells replaced (e.g. ``{"B2": "[bold]x"}``)."""
    wb = openpyxl.load_workbook(source)
    for ref, value in cells_.items():
        wb["Claims"][ref].value = value
    wb.save(target)
    return target


def ledger_with_late_l7(to: Path):
    """A copy (at ``to``) of the sample ledger with SW-L7-01 2026/27-Q2's version 2 imported, its job start
    dated after the quarter (C201 at Claims!D3), and what that import returned. Many review tests start
    there; the import is done once per test run (``ledger_helpers.made_once``) and each test has a copy."""
    import pickle

    def make(folder: Path) -> Path:
        path = lh.clone(lh.sample_ledger(), folder / "ledger.sqlite3")
        late = lh.late_claim_return(lh.SAMPLES / "returns" / lh.L7_Q2, folder / "SW-L7-01_Q2_v2.xlsx")
        (folder / "import.pickle").write_bytes(pickle.dumps(import_file(path, folder, late)))
        return path

    made = lh.made_once("the sample ledger with a late SW-L7-01 version 2", make)
    to.parent.mkdir(parents=True, exist_ok=True)
    lh.clone(made, to)
    open_ledger(to).close()  # in WAL mode from the start, as the ledger_path fixtures leave it
    return to, pickle.loads((made.parent / "import.pickle").read_bytes())
