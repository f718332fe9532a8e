"""The contract screen reads the ledger alone: what it shows of a return (findings, spend, the provider's
Comments) was kept at import, so it opens with the workbook gone from disk; a return of a ledger made
before that is read once from its stored workbook and kept, then needs it no more."""

from __future__ import annotations

import shutil

import openpyxl

import ledger_helpers as lh
from swtool.ledger import db, open_ledger, spend, store
from swtool.model.settings import Settings
from tui_helpers import cells, drive, highlight, import_file, notes, open_contract, static_text

L7 = "SW-L7-01"
TRAVEL = (
    "Fewer clients needed travel this quarter: two of them now walk to the hub, and the bus passes "
    "bought in advance last quarter covered the rest of the journeys to interviews."
)


def commented(folder):
    """SW-L7-01 2026/27-Q2 again, its client travel line (row 4: budget £1,540.00) spent £1,300.00 and
    explained in its Comment, its venue hire (row 6: budget £962.50) spent £1,100.00 with none (X402)."""
    path = folder / "SW-L7-01_Q2_v2.xlsx"
    shutil.copyfile(lh.SAMPLES / "returns" / lh.L7_Q2, path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Expenditure"]
    ws["D4"], ws["G4"] = 1300.00, TRAVEL
    ws["D6"] = 1100.00
    wb.save(path)
    return path


def no_workbook_read(monkeypatch) -> list:
    """Any read of a stored workbook by the screen is recorded (and gives nothing)."""
    from swtool.ledger import views

    reads = []
    monkeypatch.setattr(views, "_stored_submission", lambda ledger, rid, refdata: reads.append(rid))
    return reads


async def expenditure(pilot, seen: dict) -> None:
    await open_contract(pilot, L7)
    seen["findings"] = [r[0] for r in cells(pilot.app.screen.query_one("#findings"))]
    await pilot.press("3")
    await pilot.pause()
    seen["rows"] = [r[:6] for r in cells(pilot.app.screen.query_one("#expenditure"))]
    await highlight(pilot, "expenditure", "4")
    seen["row 4"] = static_text(pilot.app.screen, "#expenditure-detail")
    await highlight(pilot, "expenditure", "6")
    seen["row 6"] = static_text(pilot.app.screen, "#expenditure-detail")
    seen["notes"] = notes(pilot.app)


def test_the_contract_screen_opens_with_the_workbook_gone(ledger_path, tmp_path, monkeypatch):
    result = import_file(ledger_path, tmp_path, commented(tmp_path))
    assert result.status == "imported"
    with open_ledger(ledger_path) as ledger:
        stored = store.stored_path(ledger, result.return_id)
    stored.unlink()  # the stored copy gone, and the file imported too
    (tmp_path / "SW-L7-01_Q2_v2.xlsx").unlink()
    reads = no_workbook_read(monkeypatch)
    seen = {}

    async def scenario(pilot):
        await expenditure(pilot, seen)

    drive(ledger_path, tmp_path, scenario)
    assert reads == []
    assert seen["notes"] == []
    assert "X402" in seen["findings"]  # the findings, from the ledger
    assert seen["rows"] == [
        ["2", "£4,235.00", "£4,256.44", "+0.5%", "", ""],  # 21.44 ÷ 4,235.00 = 0.506%
        ["3", "£10,587.50", "£10,733.69", "+1.4%", "", ""],  # 146.19 ÷ 10,587.50 = 1.381%
        ["4", "£1,540.00", "£1,300.00", "-15.6%", "over 10%", "Fewer clients needed travel thi…"],  # −240 ÷ 1,540
        ["5", "£1,925.00", "£1,980.94", "+2.9%", "", ""],  # 55.94 ÷ 1,925.00 = 2.906%
        ["6", "£962.50", "£1,100.00", "+14.3%", "over 10%", "missing (X402)"],  # 137.50 ÷ 962.50 = 14.29%
    ]
    # the detail pane has the comment whole, wrapped to the width (the Static wraps; no line is cut)
    # budget 4,235.00 + 10,587.50 + 1,540.00 + 1,925.00 + 962.50 = 19,250.00
    # actual 4,256.44 + 10,733.69 + 1,300.00 + 1,980.94 + 1,100.00 = 19,371.07; 121.07 ÷ 19,250.00 = +0.63%
    assert seen["row 4"].splitlines() == [
        "Total: actual £19,371.07, budget £19,250.00 (+0.6%); 2 lines over 10%.",
        "Row 4, Client travel and interview clothing: -15.6% (more than 10%: App 2 §1.3 asks for a Comment).",
        f"Comment: {TRAVEL}",
    ]
    assert seen["row 6"].splitlines()[2] == "Comment: none, though the variance is over 10% (X402)."


def test_a_return_of_an_older_ledger_is_kept_when_first_opened(tmp_path, monkeypatch):
    """A ledger made before schema 5: its first opening of the return reads the stored workbook and keeps
    the comments; the next needs no workbook."""
    register, returns = lh.copy_samples(tmp_path / "in")
    path = tmp_path / "old" / "ledger.sqlite3"
    rd = lh.refdata(tmp_path)
    with monkeypatch.context() as m:
        m.setattr(db, "MIGRATIONS", db.MIGRATIONS[:4])
        m.setattr(spend, "keep", lambda c, rid, sub, how="import": None)
        with open_ledger(path) as ledger:
            store.import_register(ledger, register, rd, Settings.defaults())
            store.import_returns(ledger, [returns / lh.L7_Q2.parent], rd, Settings.defaults(), lh.TODAY)
            [v2] = store.import_returns(ledger, [commented(tmp_path)], rd, Settings.defaults(), lh.TODAY)
    assert v2.version == 2
    rid = v2.return_id
    first, second = {}, {}

    async def scenario(pilot):
        await expenditure(pilot, first)

    drive(path, tmp_path, scenario)  # opens (and migrates) the ledger
    assert first["notes"] == []
    assert first["rows"][2][5] == "Fewer clients needed travel thi…"
    assert first["row 4"].splitlines()[2] == f"Comment: {TRAVEL}"
    with open_ledger(path) as ledger:
        assert ledger.schema_version == len(db.MIGRATIONS)
        assert ledger.conn.execute("SELECT how FROM screen_kept WHERE return_id = ?", (rid,)).fetchone() == ("review",)
        store.stored_path(ledger, rid).unlink()
    reads = no_workbook_read(monkeypatch)

    async def again(pilot):
        await expenditure(pilot, second)

    drive(path, tmp_path, again)
    assert reads == []
    assert second["rows"] == first["rows"]
    assert second["row 4"] == first["row 4"]
    assert second["findings"] == first["findings"]
