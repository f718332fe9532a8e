"""swtool review as a terminal for daily use: it fits 80 × 24 and uses 120 × 36, keys a PMO can trust,
find and narrow, help that explains, money split as decided, imports previewed before anything is
written, and the expenditure tab. Each test drives keys and asserts the screen and the ledger after.
"""

from __future__ import annotations

import json
import shutil
import threading

import openpyxl
import pytest
from click.testing import CliRunner

import ledger_helpers as lh
from swtool.cli import cli
from swtool.ledger import open_ledger, store
from tui_helpers import (
    cells,
    decide,
    drive,
    highlight,
    import_file,
    notes,
    open_contract,
    record,
    screen_lines,
    static_text,
    type_text,
    wait_until,
)

CONTRACTS = ["SW-L1A-01", "SW-L3-01", "SW-L4-01", "SW-L5-01", "SW-L7-01", "SW-L8-01", "SW-L9-01"]


@pytest.fixture
def ledger_path(built, tmp_path):
    """A private copy of the sample ledger: each test may record decisions in it."""
    return lh.clone(built, tmp_path / "ledger.sqlite3")


def late_l7(tmp_path):
    """SW-L7-01 2026/27-Q2 with a job start dated after the quarter (C201 at Claims!D3)."""
    return lh.late_claim_return(lh.SAMPLES / "returns" / lh.L7_Q2, tmp_path / "SW-L7-01_Q2_v2.xlsx")


def ledger_counts(path) -> dict:
    """What the ledger holds: returns, files received but not imported, decisions, stored files."""
    with open_ledger(path) as ledger:
        c = ledger.conn
        counts = {t: c.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("returns", "received", "decisions")}
        counts["stored files"] = sum(1 for p in ledger.files_dir.rglob("*") if p.is_file())
    return counts


# --- layout: 80 × 24 and 120 × 36 ------------------------------------------------------------------------------


def test_at_80_by_24_every_screen_keeps_its_table_and_the_quit_key(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        seen["quarter"] = screen_lines(pilot.app)
        await open_contract(pilot, "SW-L4-01")
        await pilot.press("2")
        await pilot.pause()
        seen["outputs"] = screen_lines(pilot.app)
        await pilot.press("n")
        await pilot.pause()
        seen["plan dialog"] = screen_lines(pilot.app)
        await pilot.press("escape")
        await pilot.pause()
        for key, name in (
            ("escape", ""),
            ("c", "credits"),
            ("escape", ""),
            ("p", "plans"),
            ("escape", ""),
            ("f", "payments"),
        ):
            await pilot.press(key)
            await pilot.pause()
            if name:
                seen[name] = screen_lines(pilot.app)

    drive(ledger_path, tmp_path, scenario, size=(80, 24))
    for name, lines in seen.items():
        assert len(lines) == 24 and max(len(line) for line in lines) <= 80, name
    # the quarter: every contract with the columns that decide, the quit key in the footer
    header = next(line for line in seen["quarter"] if line.lstrip().startswith("contract"))
    assert header.split() == ["contract", "return", "errors", "core", "outputs", "credits", "due", "RAP"]
    assert next(line for line in seen["quarter"] if line.startswith(" SW-L4-01")).split() == [
        "SW-L4-01",
        "version",
        "1,",
        "on",
        "time",
        "0",
        "2:",
        "100%",
        "4:",
        "0%",
        "£8,250.00",
        "needed",
    ]
    assert seen["quarter"][-1].startswith("q Quit ? Help / Filter [ ] Quarter c Credits f Payments p Plans i Import")
    # the Outputs tab: its table is on screen, the flags pane under it
    outputs = seen["outputs"]
    assert any(line.split()[:7] == ["output", "target", "actual", "variance", "flag", "to", "date"] for line in outputs)
    assert any(line.split()[:7] == ["4", "5", "0", "-100%", "K701", "0/30", "0%"] for line in outputs)
    assert any(line.startswith(" Output 2 by quarter: 2025/26-Q1 no return;") for line in outputs)
    assert outputs[-1].startswith("esc Back q Quit ? Help / Filter v Values n New plan")
    # the new-plan dialog fits: its buttons are on screen
    assert any("Write and record" in line and "Cancel" in line for line in seen["plan dialog"])
    for name, keys in (
        ("credits", "a Apply w Waive x Export"),
        ("plans", "x Close plan t Show closed"),
        ("payments", "a Approve h Hold x Export"),
    ):
        assert seen[name][-1] == f"esc Back q Quit ? Help / Filter {keys}", name


def test_at_120_by_36_the_quarter_shows_the_flags_credits_and_rap(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        seen["quarter"] = screen_lines(pilot.app)
        # scrolled to the far right, the contract stays at the left
        table = pilot.app.screen.query_one("#contracts")
        table.scroll_to(x=table.max_scroll_x, animate=False, immediate=True)
        await pilot.pause()
        seen["scrolled"] = screen_lines(pilot.app)

    drive(ledger_path, tmp_path, scenario, size=(120, 36))
    header = next(line for line in seen["quarter"] if line.lstrip().startswith("contract"))
    assert header.split()[:12] == [
        "contract",
        "return",
        "errors",
        "core",
        "outputs",
        "credits",
        "due",
        "RAP",
        "flags",
        "warnings",
        "lot",
        "provider",
    ]
    assert next(line for line in seen["quarter"] if line.startswith(" SW-L8-01")).split()[8:16] == [
        "4:",
        "0%",
        "£8,250.00",
        "needed",
        "K701",
        "K702",
        "0",
        "8",
    ]
    row = next(line for line in seen["scrolled"] if line.startswith(" SW-L8-01"))
    assert row.split()[-4:] == ["2:", "6/6", "4:", "0/5"]  # the last column, beside the contract id


def test_long_text_is_read_whole_in_the_pane_under_the_table(late_l7_ledger, tmp_path):
    """A decision's reason is cut in the table and whole in the pane under it."""
    reason = (
        "the provider sent the signed job offer on 30/09/2026, dated before the end of the quarter, and the "
        "start was confirmed with the employer by phone; evidence filed with the contract monitoring notes "
        "for 2026/27-Q2"
    )
    ledger_path, result = late_l7_ledger
    seen = {}

    async def scenario(pilot):
        await open_contract(pilot, "SW-L7-01")
        await highlight(pilot, "findings", "C201")
        await decide(pilot, "w", reason)
        await pilot.press("5")
        await pilot.pause()
        screen = pilot.app.screen
        seen["cell"] = record(screen.query_one("#decisions"), "1")["reason"]
        seen["pane"] = static_text(screen, "#decision-detail").splitlines()

    drive(ledger_path, tmp_path, scenario, size=(80, 24))
    assert len(reason) > 200 and seen["cell"] == reason[:79] + "…"
    assert seen["pane"][0].startswith(f"Decision 1: waive return {result.return_id} C201 Claims!D3 by ")
    assert seen["pane"][0].endswith(" on 23/11/2026")
    assert seen["pane"][1] == f"Reason: {reason}"


# --- keys ------------------------------------------------------------------------------------------------------


def test_w_on_the_outputs_tab_does_not_waive_a_finding(late_l7_ledger, tmp_path):
    ledger_path, _ = late_l7_ledger
    seen = {}

    async def scenario(pilot):
        await open_contract(pilot, "SW-L7-01")
        await highlight(pilot, "findings", "C201")  # a finding highlighted on the Findings tab ...
        await pilot.press("2")  # ... then the Outputs tab
        await pilot.pause()
        seen["footer"] = screen_lines(pilot.app)[-1]
        for key in ("w", "a", "y"):
            await pilot.press(key)
            await pilot.pause()
        seen["screen"] = type(pilot.app.screen).__name__
        seen["notes"] = notes(pilot.app)

    drive(ledger_path, tmp_path, scenario)
    assert seen["screen"] == "ContractScreen"  # no dialog, nothing to confirm
    assert "w Waive" not in seen["footer"] and "a Accept" not in seen["footer"]
    assert (
        seen["notes"]
        == [
            (
                "warning",
                "Nothing is decided on the Outputs tab: a, y and w decide findings on the "
                "Findings tab (1); a and h approve or hold payment on the Versions tab (4).",
            )
        ]
        * 3
    )
    assert ledger_counts(ledger_path)["decisions"] == 0


def test_number_keys_switch_tabs_and_the_footer_follows(ledger_path, tmp_path):
    seen = []

    async def scenario(pilot):
        await open_contract(pilot, "SW-L4-01")
        for key in ("2", "3", "4", "5", "1"):
            await pilot.press(key)
            await pilot.pause()
            screen = pilot.app.screen
            seen.append((screen.query_one("#tabs").active, pilot.app.focused.id, screen_lines(pilot.app)[-1]))

    drive(ledger_path, tmp_path, scenario, size=(160, 45))
    assert [s[:2] for s in seen] == [
        ("tab-outputs", "outputs"),
        ("tab-expenditure", "expenditure"),
        ("tab-versions", "versions"),
        ("tab-decisions", "decisions"),
        ("tab-findings", "findings"),
    ]
    assert "a Approve payment h Hold payment" in seen[2][2] and "a Accept" not in seen[2][2]
    assert "a Accept y Query w Waive" in seen[4][2] and "Approve" not in seen[4][2]


def test_g_and_G_home_and_end_go_to_the_first_and_last_row(ledger_path, tmp_path):
    seen = []

    async def scenario(pilot):
        for key in ("G", "g", "end", "home"):
            await pilot.press(key)
            await pilot.pause()
            seen.append(pilot.app.screen.query_one("#contracts").current_key())

    drive(ledger_path, tmp_path, scenario)
    assert seen == ["SW-L9-01", "SW-L1A-01", "SW-L9-01", "SW-L1A-01"]


def test_q_on_a_contract_screen_quits(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        await open_contract(pilot, "SW-L4-01")
        seen["screen"] = type(pilot.app.screen).__name__
        await pilot.press("q")
        await pilot.pause()

    app = drive(ledger_path, tmp_path, scenario)
    assert seen["screen"] == "ContractScreen"
    assert app.return_code == 0 and not app.is_running


def test_quitting_from_a_dialog_with_a_typed_reason_asks_first(late_l7_ledger, tmp_path):
    ledger_path, _ = late_l7_ledger
    seen = {}

    async def scenario(pilot):
        await open_contract(pilot, "SW-L7-01")
        await highlight(pilot, "findings", "C201")
        await pilot.press("w")
        await pilot.pause()
        await type_text(pilot, "quite sure")  # q types a q in the reason
        seen["typed"] = pilot.app.screen.query_one("#reason").value
        await pilot.press("ctrl+q")
        await pilot.pause()
        seen["asked"] = (type(pilot.app.screen).__name__, static_text(pilot.app.screen, "#dialog-about"))
        await pilot.press("enter")  # the safe answer is focused: Stay
        await pilot.pause()
        seen["back"] = (type(pilot.app.screen).__name__, pilot.app.screen.query_one("#reason").value)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.click("#ok")  # Quit
        await pilot.pause()

    app = drive(ledger_path, tmp_path, scenario)
    assert seen["typed"] == "quite sure"
    assert seen["asked"] == ("ConfirmModal", "This dialog holds text you typed. Nothing of it is recorded if you quit.")
    assert seen["back"] == ("ReasonModal", "quite sure")
    assert app.return_code == 0 and not app.is_running
    assert ledger_counts(ledger_path)["decisions"] == 0


def test_esc_goes_back_and_never_leaves_the_quarter(ledger_path, tmp_path):
    seen = []

    async def scenario(pilot):
        await open_contract(pilot, "SW-L4-01")
        for _ in range(3):
            seen.append(type(pilot.app.screen).__name__)
            await pilot.press("escape")
            await pilot.pause()
        seen.append((type(pilot.app.screen).__name__, pilot.app.is_running))

    drive(ledger_path, tmp_path, scenario)
    assert seen == ["ContractScreen", "QuarterScreen", "QuarterScreen", ("QuarterScreen", True)]


# --- find and narrow ---------------------------------------------------------------------------------------------


def test_slash_narrows_the_table_and_esc_clears_it(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        table = pilot.app.screen.query_one("#contracts")
        await pilot.press("slash")
        await type_text(pilot, "needed 16.7")  # every word must be in the row
        await pilot.pause()
        seen["narrowed"] = [r[0] for r in cells(table)]
        seen["state"] = static_text(pilot.app.screen, "#table-state")
        await pilot.press("enter")  # keeps the filter, back in the table
        await pilot.pause()
        seen["focus"] = pilot.app.focused.id
        await pilot.press("slash")
        await pilot.press("escape")  # clears it
        await pilot.pause()
        seen["cleared"] = [r[0] for r in cells(table)]
        seen["bar"] = pilot.app.screen.query_one("FilterBar").display

    drive(ledger_path, tmp_path, scenario)
    assert seen["narrowed"] == ["SW-L5-01"]
    assert seen["state"] == "1 of 7 rows; filter “needed 16.7”"
    assert seen["focus"] == "contracts"
    assert seen["cleared"] == CONTRACTS and seen["bar"] is False


def test_quick_filters_on_the_quarter_screen(late_l7_ledger, tmp_path):
    ledger_path, _ = late_l7_ledger  # an error on SW-L7-01's version 2
    with open_ledger(ledger_path) as ledger:
        from swtool.ledger import views
        from swtool.model.settings import Settings

        views.decide_credit(ledger, "SW-L8-01", lh.Q2, "4", "waive", "agreed", Settings.defaults())
    seen = {}

    async def scenario(pilot):
        table = pilot.app.screen.query_one("#contracts")
        for key in ("2", "3", "4", "5", "1"):
            await pilot.press(key)
            await pilot.pause()
            seen[key] = [r[0] for r in cells(table)]
        seen["tabs"] = [str(t.label) for t in pilot.app.screen.query("#quick Tab")]

    drive(ledger_path, tmp_path, scenario)
    assert seen["2"] == []  # every Q2 return on time
    assert seen["3"] == ["SW-L4-01", "SW-L5-01", "SW-L7-01", "SW-L8-01"]  # K702: a core output at or below 70%
    assert seen["4"] == ["SW-L4-01", "SW-L5-01", "SW-L7-01"]  # SW-L8-01's credits were waived
    assert seen["5"] == ["SW-L7-01"]
    assert seen["1"] == CONTRACTS
    assert seen["tabs"] == ["1 All", "2 Late or missing (0)", "3 K702 (4)", "4 Pending credits (3)", "5 Errors (1)"]


def test_late_or_missing_in_a_quarter_with_missing_returns(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        await pilot.press("left_square_bracket", "2")  # 2026/27-Q1: SW-L4-01 sent nothing
        await pilot.pause()
        seen["rows"] = [(r[0], r[1]) for r in cells(pilot.app.screen.query_one("#contracts"))]

    drive(ledger_path, tmp_path, scenario)
    assert seen["rows"] and all(status == "missing" for _, status in seen["rows"])
    assert ("SW-L4-01", "missing") in seen["rows"]


def test_o_sorts_by_column_and_a_header_click_reverses(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        table = pilot.app.screen.query_one("#contracts")
        for _ in range(5):  # contract, return, errors, core outputs, credits due
            await pilot.press("o")
        await pilot.pause()
        seen["by credits"] = [(r[0], r[4]) for r in cells(table)]
        seen["header"] = str(table.ordered_columns[4].label)
        await pilot.press("O")
        await pilot.pause()
        seen["reversed"] = [r[0] for r in cells(table)][:3]
        seen["state"] = static_text(pilot.app.screen, "#table-state")

    drive(ledger_path, tmp_path, scenario)
    amounts = [a for _, a in seen["by credits"]]
    assert amounts == ["£0.00"] * 4 + ["£6,875.00", "£8,250.00", "£8,250.00"]  # by value, not as text
    assert seen["header"] == "credits due ▲"
    assert seen["reversed"][0] in ("SW-L4-01", "SW-L8-01") and seen["reversed"][2] == "SW-L5-01"
    assert seen["state"] == "7 of 7 rows; sorted by credits due (descending)"


def test_a_client_ref_is_found_across_quarters_and_opens_its_return(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        await pilot.press("ctrl+f")
        await pilot.pause()
        await type_text(pilot, "sw100017")  # case does not matter
        await pilot.press("enter")
        await pilot.pause()
        screen = pilot.app.screen
        seen["rows"] = [r[:6] for r in cells(screen.query_one("#found"))]
        seen["heading"] = static_text(screen, "#heading")
        await highlight(pilot, "found", "2026/27-Q2")
        await pilot.press("enter")
        await pilot.pause()
        seen["opened"] = (type(pilot.app.screen).__name__, pilot.app.screen.contract_id, str(pilot.app.screen.quarter))

    drive(ledger_path, tmp_path, scenario)
    q1 = "1 (v1, counts)"
    assert seen["rows"] == [
        ["2026/27-Q1", "SW-L1A-01", q1, "registration", "Registrations!A18", "-"],
        ["2026/27-Q1", "SW-L1A-01", q1, "claim", "Claims!A12", "L1A-01-0011"],
        ["2026/27-Q1", "SW-L1A-01", q1, "claim", "Claims!A13", "L1A-01-0012"],
        ["2026/27-Q1", "SW-L1A-01", q1, "claim", "Claims!A17", "L1A-01-0016"],
        ["2026/27-Q2", "SW-L1A-01", "2 (v1, counts)", "claim", "Claims!A9", "L1A-01-0026"],
    ]
    assert seen["heading"] == "Client ref sw100017: 5 rows in 2 returns"
    assert seen["opened"] == ("ContractScreen", "SW-L1A-01", "2026/27-Q2")


# --- explain -------------------------------------------------------------------------------------------------------


def test_question_mark_explains_the_screen_and_names_the_flags(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        await pilot.press("question_mark")
        await pilot.pause()
        seen["quarter"] = (type(pilot.app.screen).__name__, pilot.app.screen.text())
        await pilot.press("escape")
        await pilot.pause()
        await open_contract(pilot, "SW-L4-01")
        await pilot.press("f1")
        await pilot.pause()
        seen["contract"] = pilot.app.screen.text()
        await pilot.press("question_mark")  # ? again closes it
        await pilot.pause()
        seen["closed"] = type(pilot.app.screen).__name__

    drive(ledger_path, tmp_path, scenario)
    kind, text = seen["quarter"]
    assert kind == "HelpScreen"
    assert (
        "• K702 core-output-underperformance: from contract quarter 2: a core output (2 and 4 for lots 1–8; 1 and 4 "
        "for lot 9) at or below 70% of its quarterly target: service credit liability and a remedial action plan "
        "(spec §7.5–7.8; App 2 §4, §4.1)"
    ) in text
    assert "• K701 output-variance: " in text and "• K703 shared-outputs-cap: " in text
    assert '• RAP: the remedial action plan (spec §7.5-7.6, App 4). "needed"' in text
    assert "• [ ]: Quarter" in text and "• q: Quit" in text and "• i: Import" in text
    contract = seen["contract"]
    assert "• Findings (1): a accepts, y queries, w waives the highlighted finding." in contract
    assert "• y: Query" in contract and "• s: Spot checks" in contract
    assert seen["closed"] == "ContractScreen"


def test_the_command_palette_lists_the_reviews_own_commands(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette = pilot.app.screen
        await wait_until(pilot, lambda: palette.query_one("CommandList").option_count > 10)
        listed = palette.query_one("CommandList")
        seen["listed"] = [str(listed.get_option_at_index(i).prompt).split("\n")[0] for i in range(listed.option_count)]
        await type_text(pilot, "open contract l4")
        await wait_until(pilot, lambda: "SW-L4-01" in str(listed.get_option_at_index(0).prompt))
        await pilot.press("enter")
        await pilot.pause()
        seen["opened"] = (type(pilot.app.screen).__name__, getattr(pilot.app.screen, "contract_id", None))

    drive(ledger_path, tmp_path, scenario)
    for title in (
        "Service credits",
        "Payments",
        "Remedial action plans",
        "Import returns",
        "Find a client ref",
        "Help",
        "Open contract SW-L4-01",
        "Go to quarter 2026/27-Q1",
    ):
        assert any(line.startswith(title) for line in seen["listed"]), title
    assert seen["opened"] == ("ContractScreen", "SW-L4-01")


# --- money on screen -----------------------------------------------------------------------------------------------


def test_nothing_can_be_applied_on_a_line_with_nothing_due(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        await pilot.press("c")
        await pilot.pause()
        table = pilot.app.screen.query_one("#credits")
        table.move_cursor(row=[r[:2] for r in cells(table)].index(["SW-L1A-01", "2"]))
        await pilot.pause()
        seen["detail"] = static_text(pilot.app.screen, "#credit-detail").splitlines()[-1]
        await pilot.press("a")
        await pilot.pause()
        seen["screen"] = type(pilot.app.screen).__name__

    drive(ledger_path, tmp_path, scenario)
    assert seen["detail"] == "Nothing is due on this line: nothing to apply or waive."
    assert seen["screen"] == "CreditsScreen"
    assert ledger_counts(ledger_path)["decisions"] == 0


# --- expenditure ------------------------------------------------------------------------------------------------


def test_the_expenditure_tab_marks_variances_over_ten_percent(ledger_path, tmp_path):
    spent = tmp_path / "SW-L7-01_Q2_v2.xlsx"
    shutil.copyfile(lh.SAMPLES / "returns" / lh.L7_Q2, spent)
    wb = openpyxl.load_workbook(spent)
    ws = wb["Expenditure"]
    ws["D4"] = 1300.00  # travel: budget 1,540.00, explained in Comment
    ws["G4"] = "Fewer clients needed travel this quarter"
    ws["D6"] = 1100.00  # venue hire: budget 962.50, no Comment (X402)
    wb.save(spent)
    assert import_file(ledger_path, tmp_path, spent).status == "imported"
    seen = {}

    async def scenario(pilot):
        await open_contract(pilot, "SW-L7-01")
        await pilot.press("3")
        await pilot.pause()
        seen["rows"] = [r[:6] for r in cells(pilot.app.screen.query_one("#expenditure"))]
        seen["total"] = static_text(pilot.app.screen, "#expenditure-detail")

    drive(ledger_path, tmp_path, scenario)
    assert seen["rows"] == [
        ["2", "£4,235.00", "£4,256.44", "+0.5%", "", ""],  # 21.44 ÷ 4,235.00 = 0.506%
        ["3", "£10,587.50", "£10,733.69", "+1.4%", "", ""],  # 146.19 ÷ 10,587.50 = 1.381%
        [
            "4",
            "£1,540.00",
            "£1,300.00",
            "-15.6%",
            "over 10%",
            "Fewer clients needed travel thi…",
        ],  # −240 ÷ 1,540 = −15.58%
        ["5", "£1,925.00", "£1,980.94", "+2.9%", "", ""],  # 55.94 ÷ 1,925.00 = 2.906%
        ["6", "£962.50", "£1,100.00", "+14.3%", "over 10%", "missing (X402)"],  # 137.50 ÷ 962.50 = 14.29%
    ]
    # budget 4,235.00 + 10,587.50 + 1,540.00 + 1,925.00 + 962.50 = 19,250.00
    # actual 4,256.44 + 10,733.69 + 1,300.00 + 1,980.94 + 1,100.00 = 19,371.07; 121.07 ÷ 19,250.00 = +0.63%
    assert seen["total"].splitlines()[0] == "Total: actual £19,371.07, budget £19,250.00 (+0.6%); 2 lines over 10%."


# --- import you can see -------------------------------------------------------------------------------------------


def wrong_folder(tmp_path):
    """A folder a PMO might point at by mistake: a corrected return, a file that is not a workbook, and a
    return the ledger already holds."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    late_l7(folder)
    (folder / "notes.xlsx").write_text("not a workbook")
    shutil.copyfile(lh.SAMPLES / "returns" / lh.L3_Q2, folder / "SW-L3-01 Q2 again.xlsx")
    return folder


def test_a_wrong_folders_import_is_cancelled_at_the_preview_with_nothing_written(ledger_path, tmp_path):
    folder = wrong_folder(tmp_path)
    before = ledger_counts(ledger_path)
    seen = {}

    async def scenario(pilot):
        await pilot.press("i")
        await pilot.pause()
        dialog = pilot.app.screen
        dialog.query_one("#import-path").value = str(folder)
        await pilot.press("enter")
        await wait_until(pilot, lambda: not dialog.running)
        seen["preview"] = dialog.lines()
        seen["state"] = dialog.state_text()
        await pilot.press("escape")  # cancel at the preview
        await pilot.pause()
        seen["screen"] = type(pilot.app.screen).__name__

    drive(ledger_path, tmp_path, scenario)
    assert seen["preview"] == [
        "SW-L7-01_Q2_v2.xlsx: new: version 2 of SW-L7-01 2026/27-Q2",
        "SW-L3-01 Q2 again.xlsx: unchanged: already imported as version 1 of SW-L3-01 2026/27-Q2 (return 6)",
        "notes.xlsx: unreadable: it will be recorded as received, not imported (swtool check FILE says why)",
    ]
    assert seen["state"].startswith(
        "3 files: 1 new version, 1 unchanged, 1 received only. Nothing has been written yet."
    )
    assert seen["screen"] == "QuarterScreen"
    assert ledger_counts(ledger_path) == before


def test_import_goes_file_by_file_and_stops_between_files(ledger_path, tmp_path, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    late_l7(folder)
    l3 = folder / "SW-L3-01_Q2_v2.xlsx"
    shutil.copyfile(lh.SAMPLES / "returns" / lh.L3_Q2, l3)
    wb = openpyxl.load_workbook(l3)
    wb["Return"]["B7"].value = wb["Return"]["B7"].value  # the same figures, a different file: a new version
    wb.save(l3)
    (folder / "left out.xlsx").write_text("not a workbook")

    # the first file's import waits until the test has pressed Stop: the stop then falls between files
    real = store.import_returns
    go_on = threading.Event()

    def held(*args, **kwargs):
        go_on.wait(timeout=300)
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "import_returns", held)
    seen = {}

    async def scenario(pilot):
        await pilot.press("i")
        await pilot.pause()
        dialog = pilot.app.screen
        dialog.query_one("#import-path").value = str(folder)
        await pilot.press("enter")
        await wait_until(pilot, lambda: not dialog.running)
        await highlight(pilot, "import-files", "left out.xlsx")
        await pilot.press("space")  # leave the unreadable file out
        await pilot.pause()
        seen["preview"] = (dialog.lines(), str(dialog.query_one("#ok").label))
        await pilot.click("#ok")
        await pilot.pause()
        seen["during"] = (dialog.stage, dialog.state_text())
        await pilot.click("#stop")
        await pilot.pause()
        go_on.set()
        await wait_until(pilot, lambda: not dialog.running)
        seen["after"] = dialog.lines()
        seen["state"] = dialog.state_text()

    drive(ledger_path, tmp_path, scenario)
    lines, button = seen["preview"]
    assert lines == [
        "SW-L3-01_Q2_v2.xlsx: new: version 2 of SW-L3-01 2026/27-Q2",
        "SW-L7-01_Q2_v2.xlsx: new: version 2 of SW-L7-01 2026/27-Q2",
        "left out.xlsx: left out: not imported",
    ]
    assert button == "Import 2 files"
    assert seen["during"] == ("importing", "Importing 1 of 2: SW-L3-01_Q2_v2.xlsx …")
    assert seen["after"][0].startswith("SW-L3-01_Q2_v2.xlsx: imported as version 2 of SW-L3-01 2026/27-Q2")
    assert seen["after"][1:] == [
        "SW-L7-01_Q2_v2.xlsx: not imported: the import was stopped",
        "left out.xlsx: left out: not imported",
    ]
    assert seen["state"] == "1 file done: 1 imported; 1 not imported (stopped). Close goes back."
    with open_ledger(ledger_path) as ledger:
        assert [len(store.returns(ledger, c, lh.Q2)) for c in ("SW-L3-01", "SW-L7-01")] == [2, 1]
        assert store.received(ledger) == []


# --- the screens read in workers -----------------------------------------------------------------------------------


def test_the_screens_read_the_ledger_off_the_apps_thread(ledger_path, tmp_path, monkeypatch):
    from swtool.ledger import views

    threads = []
    real = views.status

    def status(*args, **kwargs):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(views, "status", status)
    seen = {}

    async def scenario(pilot):
        await pilot.press("right_square_bracket")
        await pilot.pause()
        seen["rows"] = len(cells(pilot.app.screen.query_one("#contracts")))

    drive(ledger_path, tmp_path, scenario)
    assert threads == [False, False] and seen["rows"] == 7


# --- swtool find ---------------------------------------------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_swtool_find_lists_a_client_across_quarters(ledger_path):
    res = run("find", "SW100017", "--db", ledger_path)
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == "Client ref SW100017: 5 rows in 2 returns"
    rows = [line.split() for line in lines[4:]]
    assert rows[0] == [
        "2026/27-Q1",
        "SW-L1A-01",
        "1",
        "(v1,",
        "counts)",
        "registration",
        "Registrations!A18",
        "-",
        "-",
        "16/05/2026",
        "valid",
    ]
    assert rows[-1] == [
        "2026/27-Q2",
        "SW-L1A-01",
        "2",
        "(v1,",
        "counts)",
        "claim",
        "Claims!A9",
        "L1A-01-0026",
        "4",
        "28/08/2026",
        "counts",
    ]


def test_swtool_find_json_says_which_claim_does_not_count(late_l7_ledger, tmp_path):
    ledger_path, late = late_l7_ledger  # C201: SW700008's job start is after the quarter
    res = run("find", "SW700008", "--format", "json", "--db", ledger_path)
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["client_ref"] == "SW700008"
    claims = [f for f in data["found"] if f["claim_ref"] == "L7-01-0013"]
    v1, v2 = sorted(claims, key=lambda f: f["version"])
    assert (v1["version_standing"], v1["counts"]) == ("superseded", None)
    assert (v2["return_id"], v2["version_standing"], v2["cell"], v2["claim_ref"], v2["output"]) == (
        late.return_id,
        "counts",
        "Claims!A3",
        "L7-01-0013",
        "2a",
    )
    assert v2["counts"] is False and v2["row_valid"] is False and "C201" in v2["why"]
    assert v2["date"] == "2026-10-05"


def test_swtool_find_of_nobody_and_of_a_bad_ref(ledger_path):
    res = run("find", "SW999999", "--db", ledger_path)
    assert (res.exit_code, res.output) == (0, "No return in the ledger names client ref SW999999.\n")
    res = run("find", "SW 1;drop", "--db", ledger_path)
    assert res.exit_code == 2
    assert "'SW 1;drop' is not a client ref" in res.output and "Traceback" not in res.output


def test_a_closed_plan_is_not_needed_again_in_status(ledger_path, tmp_path):
    opened = run(
        "rap",
        "SW-L4-01",
        "--quarter",
        lh.Q2,
        "-o",
        tmp_path / "plan.xlsx",
        "--today",
        "2026-11-23",
        "--db",
        ledger_path,
    )
    assert opened.exit_code == 0, opened.output
    assert run("rap", "close", "1", "--reason", "progressions back on profile", "--db", ledger_path).exit_code == 0
    res = run("status", "--quarter", lh.Q2, "--today", "2026-11-23", "--format", "json", "--db", ledger_path)
    l4 = next(c for c in json.loads(res.output)["contracts"] if c["contract"] == "SW-L4-01")
    assert (l4["rap"]["id"], l4["rap"]["status"], l4["rap_needed"]) == (1, "closed", False)
    text = run("status", "--quarter", lh.Q2, "--today", "2026-11-23", "--db", ledger_path).output
    assert next(line for line in text.splitlines() if line.startswith("SW-L4-01")).rstrip().endswith("#1 closed")
    # SW-L5-01 never had a plan: still needed
    l5 = next(c for c in json.loads(res.output)["contracts"] if c["contract"] == "SW-L5-01")
    assert (l5["rap"], l5["rap_needed"]) == (None, True)


def test_several_findings_are_decided_with_one_reason(late_l7_ledger, tmp_path):
    ledger_path, result = late_l7_ledger  # version 2: C201 and a warning
    seen = {}

    async def scenario(pilot):
        await open_contract(pilot, "SW-L7-01")
        table = pilot.app.screen.query_one("#findings")
        seen["findings"] = [(f["code"], f["cell"]) for f in pilot.app.screen.found]
        for i in range(table.row_count):  # mark every finding
            table.move_cursor(row=i)
            await pilot.press("space")
            await pilot.pause()
        seen["marked"] = [r[0] for r in cells(table)]
        await pilot.press("w")
        await pilot.pause()
        seen["dialog"] = static_text(pilot.app.screen, "#dialog-about").splitlines()
        await type_text(pilot, "agreed at the quarterly review")
        await pilot.press("enter")
        await pilot.pause()
        seen["after"] = [(r[0], r[2]) for r in cells(table)]
        seen["notes"] = notes(pilot.app)

    drive(ledger_path, tmp_path, scenario)
    codes = [code for code, _ in seen["findings"]]
    assert len(codes) == 2 and "C201" in codes
    assert seen["marked"] == [f"● {code}" for code in codes]
    assert seen["dialog"][0] == f"Waive 2 findings of return {result.return_id} (SW-L7-01 2026/27-Q2):"
    assert [line.split(":")[0] for line in seen["dialog"][1:]] == [
        f"• {code} at {cell}" for code, cell in seen["findings"]
    ]
    assert seen["after"] == [(code, "waive") for code in codes]  # marks cleared, both waived
    assert seen["notes"][-1] == ("information", f"Recorded: waive 2 findings of return {result.return_id}.")
    with open_ledger(ledger_path) as ledger:
        decided = [(d["code"], d["cell"], d["action"], d["reason"]) for d in store.decisions(ledger, "finding")]
    assert decided == [(code, cell, "waive", "agreed at the quarterly review") for code, cell in seen["findings"]]
