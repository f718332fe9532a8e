"""Snapshot tests of the review app (pytest-textual-snapshot): the screen as the PMO sees it.

A change that moves what is shown fails here with a side-by-side picture in the report; when the
change is meant, `pytest tests/test_tui_snapshots.py --snapshot-update` records the new screens
(look at them before committing). Textual is pinned in pyproject.toml so that the pictures hold.
"""

from __future__ import annotations

import ledger_helpers as lh
import pytest
from tui_helpers import SIZE, session

from swtool.ledger import open_ledger
from swtool.tui.app import ReviewApp


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return lh.build(tmp_path_factory.mktemp("snapshot-ledger"))


@pytest.fixture
def app(built, tmp_path):
    with open_ledger(lh.clone(built, tmp_path / "ledger.sqlite3")) as ledger:
        yield ReviewApp(session(ledger, tmp_path))


def test_the_quarter(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE)


def test_a_contract_under_profile_outputs_tab(app, snap_compare):
    async def open_l4(pilot):
        table = pilot.app.screen.query_one("#contracts")
        table.move_cursor(row=2)  # SW-L4-01
        await pilot.press("enter")
        await pilot.pause()
        await pilot.click("#tabs Tab#--content-tab-tab-outputs")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_l4)


def test_service_credits(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, press=["c"])
