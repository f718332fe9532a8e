"""Snapshot tests of the review app (pytest-textual-snapshot): every screen as the PMO sees it, at the
smallest terminal it must fit (80 × 24) and at a common larger one (120 × 36).

A change that moves what is shown fails here with a side-by-side picture in the report; when the
change is meant, `pytest tests/functional/tui/test_tui_snapshots.py --snapshot-update` records the new screens
(look at them before committing). Textual is pinned in pyproject.toml so that the pictures hold.

What varies from run to run is kept off these screens: the plans folder is a relative path, and the
Versions tab (the moment each return was imported) is checked by the Pilot tests instead. Each picture
is taken once the screen is still: every read done and a text box's blinking cursor held shown
(``tui_helpers.still``), so a busy machine takes the same picture.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import ledger_helpers as lh
from swtool.ledger import open_ledger
from swtool.tui.app import ReviewApp
from tui_helpers import headless, session, settle, still, type_text

SIZES = {"80x24": (80, 24), "120x36": (120, 36)}


@pytest.fixture
def app(built, tmp_path):
    # Only the picture is painted: the frames before it are not drawn (tui_helpers.headless).
    with open_ledger(lh.clone(built, tmp_path / "ledger.sqlite3")) as ledger, headless():
        s = session(ledger, tmp_path)
        s.plans_dir = Path("plans")  # shown in the new-plan dialog: the same on every run
        yield ReviewApp(s)


def keys(*pressed: str):
    """Press keys one at a time, letting each screen read the ledger before the next key."""

    async def run(pilot):
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)

    return run


async def _find(pilot):
    await keys("ctrl+f")(pilot)
    await type_text(pilot, "SW100017")
    await pilot.press("enter")
    await settle(pilot)


async def _contract(pilot, *more, row: int = 2):
    """SW-L4-01 (row 2: under profile, credits due), or another contract's row."""
    await settle(pilot)
    pilot.app.screen.query_one("#contracts").move_cursor(row=row)
    await keys("enter", *more)(pilot)


SCREENS = {
    "quarter": keys(),
    "quarter_k702": keys("3"),
    "contract_findings": lambda pilot: _contract(pilot),
    "contract_outputs": lambda pilot: _contract(pilot, "2"),
    "contract_expenditure": lambda pilot: _contract(pilot, "3"),
    "contract_decisions": lambda pilot: _contract(pilot, "5"),
    "new_plan_dialog": lambda pilot: _contract(pilot, "n"),
    "reason_dialog": lambda pilot: _contract(pilot, "1", "a", row=0),  # SW-L1A-01's P309
    "help": keys("question_mark"),
    "credits": keys("c"),
    "payments": keys("f"),
    "plans": keys("p"),
    "import_dialog": keys("i"),
    "find": _find,
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_screen(app, snap_compare, screen, size):
    async def run_before(pilot):
        await SCREENS[screen](pilot)
        await still(pilot)  # nothing left to change on its own before the picture (a cursor's blink)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)
