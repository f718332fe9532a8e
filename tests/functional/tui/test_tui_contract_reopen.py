"""Opening one contract after another: the contract screen never shows the previous contract's rows,
not even for the frame before the new contract's rows are read, and starts afresh (first tab, no
filter, no sort)."""

from __future__ import annotations

import pytest

import ledger_helpers as lh
from swtool.tui.screens import ContractScreen
from tui_helpers import cells, drive, open_contract, static_text, type_text

TABLES = ("findings", "outputs", "expenditure", "versions", "decisions")


@pytest.fixture
def ledger_path(built, tmp_path):
    return lh.clone(built, tmp_path / "ledger.sqlite3")


def test_contract_b_opened_after_contract_a_never_shows_as_rows(ledger_path, tmp_path, monkeypatch):
    seen: dict = {"on arrival": []}
    resume = ContractScreen.on_screen_resume

    def arriving(screen):  # the screen as it is made current, before its first frame is drawn
        # every table built so far (a tab's table is built when the tab is first shown)
        tables = {t: cells(table) for t in TABLES for table in screen.query(f"#{t}")}
        seen["on arrival"].append((screen.contract_id, static_text(screen, "#heading"), tables))
        resume(screen)

    monkeypatch.setattr(ContractScreen, "on_screen_resume", arriving)

    async def shown(pilot) -> dict:
        """What the screen shows on arrival, then each tab as the PMO sees it (its number key), back to the first."""
        screen = pilot.app.screen
        got = {"heading": static_text(screen, "#heading"), "tab": screen.query_one("#tabs").active, "rows": {}}
        state = []
        for n, t in enumerate(TABLES, 1):
            await pilot.press(str(n))
            got["rows"][t] = cells(screen.query_one(f"#{t}"))
            state.append(screen.query_one(f"#{t}").state())
        await pilot.press("1")
        return got | {"state": state}

    async def scenario(pilot):
        await open_contract(pilot, "SW-L4-01")
        seen["A"] = await shown(pilot)
        await pilot.press("4", "o", "slash")  # A narrowed: Versions tab, sorted, filtered
        await type_text(pilot, "zzz")
        await pilot.press("enter", "escape")
        await pilot.press("escape")  # back to the quarter
        await pilot.pause()
        await open_contract(pilot, "SW-L7-01")
        seen["B"] = await shown(pilot)
        await pilot.press("escape")
        await open_contract(pilot, "SW-L4-01")  # A again, as it was first shown
        seen["A again"] = await shown(pilot)

    drive(ledger_path, tmp_path, scenario, size=(160, 45))
    a, b = seen["A"], seen["B"]
    assert a["heading"].startswith("SW-L4-01") and b["heading"].startswith("SW-L7-01")
    a_returns = {row[0] for row in a["rows"]["versions"]}
    assert a_returns and not a_returns & {row[0] for row in b["rows"]["versions"]}
    assert b["rows"]["versions"] and b["rows"] != a["rows"]
    # every time a contract screen was made current, it held no rows of another contract
    for contract, heading, rows in seen["on arrival"]:
        assert "SW-L4-01" not in heading if contract == "SW-L7-01" else "SW-L7-01" not in heading
        if contract == "SW-L7-01":
            assert set(rows) == set(TABLES)  # every tab was built when A was shown
            assert all(not r for r in rows.values()), rows
    # B starts afresh: the first tab, every row, no filter, no sort
    assert b["tab"] == "tab-findings"
    assert all(s.endswith("rows") and s.split(" of ")[0] == s.split(" of ")[1].split()[0] for s in b["state"])
    assert seen["A again"] == a
