"""swtool review: x, Export, from the screen in view: the quarter's service credits and payments
schedules as xlsx or CSV, and a contract's findings for its provider as the annotated workbook, to a
folder the PMO types, with the full path written shown on the screen. Driven with keys, asserting the
file written (opened with openpyxl or csv) and what the screen says.

The pound figures are worked by hand from the sample returns and the register, and are the ones
`swtool credits` and `swtool payments` print for the same ledger.
"""

from __future__ import annotations

import csv
import io
import os

import openpyxl
import pytest
from click.testing import CliRunner

import ledger_helpers as lh
from swtool.cli import cli
from tests.functional.ledger.test_exports import read_only
from tui_helpers import decide, drive, highlight, notes, open_contract, screen_lines, static_text, type_text, wait_until

Q2 = lh.Q2


@pytest.fixture
def ledger_path(built, tmp_path):
    """A private copy of the sample ledger: each test may record decisions in it."""
    return lh.clone(built, tmp_path / "ledger.sqlite3")


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "for finance"
    folder.mkdir()
    return folder


def command(ledger_path, *args) -> str:
    res = CliRunner().invoke(cli, [*args, "--db", str(ledger_path)])
    assert res.exit_code == 0, res.output
    return res.output


def on_screen(app) -> str:
    """The screen's text without white space and a dialog's borders (a long path wraps, at a space where it
    has one, inside the dialog's frame)."""
    return "".join(ch for ch in "".join(screen_lines(app)) if not ch.isspace() and ch not in "█▊▎▔▁▄▀")


def squeezed(text) -> str:
    return "".join(str(text).split())


async def export_to(pilot, folder, *, click: tuple[str, ...] = ()) -> None:
    """x, the folder typed over the one offered, the choices clicked, then the Export button (Enter moves
    from the folder to the button, Enter on it presses it); waits until the file is written."""
    from swtool.tui.exports import ExportModal

    await pilot.press("x")
    await pilot.pause()
    dialog = pilot.app.screen
    assert isinstance(dialog, ExportModal)
    await type_text(pilot, str(folder))  # the folder offered is selected: typing replaces it
    for selector in click:
        await pilot.click(selector)
        await pilot.pause()
    dialog.query_one("#export-folder").focus()
    await pilot.press("enter")  # to the Export button
    await pilot.pause()
    assert pilot.app.focused.id == "ok" and str(pilot.app.focused.label) == "Export"
    await pilot.press("enter")
    await wait_until(pilot, lambda: pilot.app.screen is not dialog or (not dialog.writing and dialog_error(dialog)))
    await pilot.pause()


def dialog_error(dialog) -> str:
    content = dialog.query_one("#dialog-error").content
    return getattr(content, "plain", str(content))


# --- the schedules ---------------------------------------------------------------------------------------------------


def test_x_on_the_credits_screen_writes_the_schedule_and_shows_its_full_path(ledger_path, out, tmp_path):
    seen = {}

    async def scenario(pilot):
        await pilot.press("c")
        await pilot.pause()
        screen = pilot.app.screen
        await pilot.press("x")
        await pilot.pause()
        seen["dialog"] = static_text(pilot.app.screen, "#dialog-about")
        seen["offered"] = pilot.app.screen.query_one("#export-folder").value
        await pilot.press("escape")
        await pilot.pause()
        await export_to(pilot, out)
        seen["screen"] = type(pilot.app.screen).__name__
        seen["line"] = static_text(screen, "#export-written")
        seen["shown"] = on_screen(pilot.app)
        seen["notes"] = notes(pilot.app)

    drive(ledger_path, tmp_path, scenario)
    assert seen["dialog"] == f"Export the service credits schedule, {Q2}."
    assert seen["offered"] == os.getcwd()  # nothing exported yet: the folder review started in
    written = out / "service-credits_2026-27-Q2.xlsx"
    assert written.is_file()
    assert seen["screen"] == "CreditsScreen"
    sentence = f"Exported the service credits schedule, {Q2} to {written}"
    assert seen["line"] == f"Exported: the service credits schedule, {Q2} to {written}"
    assert squeezed(f"to {written}") in seen["shown"]
    assert ("information", sentence) in seen["notes"]
    # the three lines due (annual value £165,000; credit value = 165,000 × 2 × 10% ÷ annual target): SW-L4-01 and
    # SW-L8-01 output 4, 0 of 5: 5 × £1,650 = £8,250; SW-L5-01 output 4, 1 of 6: 5 × £1,375 = £6,875
    ws = openpyxl.load_workbook(written)["Service credits"]
    due = {
        (r[0], r[4]): (r[9], r[10], r[11])
        for r in ws.iter_rows(min_row=4, values_only=True)
        if r[0] != "Total" and r[10]
    }
    assert due == {
        ("SW-L4-01", "4"): (5, 8250, "pending"),
        ("SW-L5-01", "4"): (5, 6875, "pending"),
        ("SW-L8-01", "4"): (5, 8250, "pending"),
    }
    totals = {r[11]: r[10] for r in ws.iter_rows(min_row=4, values_only=True) if r[0] == "Total"}
    assert totals["due and not waived"] == 8250 + 6875 + 8250 == 23375
    assert "service credits due and not waived: £23,375.00; 3 decisions pending" in command(
        ledger_path, "credits", "--quarter", Q2
    )


def test_x_on_the_payments_screen_writes_csv_the_payments_command_prints(ledger_path, out, tmp_path):
    seen = {}

    async def scenario(pilot):
        await pilot.press("f")
        await pilot.pause()
        screen = pilot.app.screen
        await export_to(pilot, out, click=("#fmt-payments-csv",))
        seen["line"] = static_text(screen, "#export-written")

    drive(ledger_path, tmp_path, scenario)
    written = out / "payments_2026-27-Q2.csv"
    assert seen["line"] == f"Exported: the payment schedule, {Q2} to {written}"
    text = written.read_text(encoding="utf-8")
    assert text == command(ledger_path, "payments", "--quarter", Q2, "--format", "csv")
    rows = {r["contract"]: r for r in csv.DictReader(io.StringIO(text))}
    # SW-L7-01's Actual spend: 4,256.44 + 10,733.69 + 1,504.71 + 1,980.94 + 994.19 = 19,469.97; not yet approved
    assert (rows["SW-L7-01"]["invoice"], rows["SW-L7-01"]["net_payable"]) == ("19469.97", "")
    # 35,160.85 + 39,910.48 + 40,521.61 + 39,875.48 + 19,469.97 + 41,557.58 + 37,316.58
    assert rows["Total"]["invoice"] == "253812.55"


def test_x_on_the_quarter_screen_offers_both_schedules_and_never_replaces_a_file(ledger_path, out, tmp_path):
    seen = {}

    async def scenario(pilot):
        await export_to(pilot, out, click=("#what-payments",))
        await export_to(pilot, out, click=("#what-payments",))  # the same again: a new name
        seen["line"] = static_text(pilot.app.screen, "#export-written")
        await pilot.press("x")
        await pilot.pause()
        seen["offered"] = pilot.app.screen.query_one("#export-folder").value  # the last folder used
        await pilot.press("escape")
        await pilot.pause()

    drive(ledger_path, tmp_path, scenario)
    first, second = out / "payments_2026-27-Q2.xlsx", out / "payments_2026-27-Q2-2.xlsx"
    assert set(os.listdir(out)) == {first.name, second.name}
    assert seen["line"] == f"Exported: the payment schedule, {Q2} to {second}"
    assert seen["offered"] == str(out)
    sheet = {r[0]: r for r in openpyxl.load_workbook(first)["Payments"].iter_rows(min_row=4, values_only=True)}
    assert (sheet["SW-L7-01"][3], sheet["SW-L7-01"][6]) == ("not reviewed", 19469.97)
    assert sheet["Total"][6] == 253812.55


def test_a_read_only_folder_is_one_sentence_and_no_file(ledger_path, out, tmp_path, monkeypatch):
    read_only(out, monkeypatch)
    seen = {}

    async def scenario(pilot):
        await pilot.press("c")
        await pilot.pause()
        await export_to(pilot, out)
        dialog = pilot.app.screen
        seen["still"] = type(dialog).__name__
        seen["error"] = dialog_error(dialog)
        seen["shown"] = on_screen(pilot.app)
        await pilot.press("escape")
        await pilot.pause()
        seen["line"] = list(pilot.app.screen.query("#export-written"))

    drive(ledger_path, tmp_path, scenario)
    assert seen["still"] == "ExportModal"  # open: another folder can be typed
    assert seen["error"] == (
        f"The folder {out} cannot be written to (permission denied); nothing was written: choose another folder"
    )
    assert "Traceback" not in seen["shown"] and squeezed(seen["error"]) in seen["shown"]
    assert os.listdir(out) == []
    assert seen["line"] == []


# --- a contract's findings ----------------------------------------------------------------------------------------


def test_x_on_a_contract_writes_the_providers_workbook_with_the_findings(ledger_path, out, tmp_path):
    seen = {}

    async def scenario(pilot):
        await open_contract(pilot, "SW-L7-01")
        screen = pilot.app.screen
        await highlight(pilot, "findings", "P309")
        await decide(pilot, "w", "CPI file updated after the deadline")
        await pilot.press("x")
        await pilot.pause()
        seen["about"] = static_text(pilot.app.screen, "#dialog-about")
        await pilot.press("escape")
        await pilot.pause()
        await export_to(pilot, out)
        seen["line"] = static_text(screen, "#export-written")
        seen["shown"] = on_screen(pilot.app)

    drive(ledger_path, tmp_path, scenario)
    written = out / "SW-L7-01_2026-27-Q2_v1_findings.annotated.xlsx"
    assert seen["about"].startswith(f"Export the findings of SW-L7-01 {Q2}, version 1 (return ")
    assert seen["line"].endswith(f"as the annotated workbook to {written}")
    assert squeezed(written) in seen["shown"]
    wb = openpyxl.load_workbook(written)
    ws = wb["Findings"]
    assert wb.sheetnames[0] == "Findings"
    [row] = [[c.value for c in r][:5] for r in ws.iter_rows(min_row=6) if r[0].value]
    assert row[:4] == ["⚠ warning", "P309", "reference-data-stale", "Claims!D5"]
    assert row[4].endswith("(PMO: waived on 23/11/2026)")
    assert "P309" in wb["Claims"]["D5"].comment.text


# --- explained, and in the palette ---------------------------------------------------------------------------------


def test_x_is_in_each_screens_help_and_export_in_the_palette(ledger_path, out, tmp_path):
    seen = {}

    async def help_text(pilot) -> str:
        await pilot.press("question_mark")
        await pilot.pause()
        text = pilot.app.screen.text()
        await pilot.press("escape")
        await pilot.pause()
        return text

    async def scenario(pilot):
        seen["quarter"] = await help_text(pilot)
        await pilot.press("c")
        await pilot.pause()
        seen["credits"] = await help_text(pilot)
        await pilot.press("escape")
        await pilot.press("f")
        await pilot.pause()
        seen["payments"] = await help_text(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette = pilot.app.screen
        await type_text(pilot, "export")
        listed = palette.query_one("CommandList")
        await wait_until(pilot, lambda: listed.option_count and "Export" in str(listed.get_option_at_index(0).prompt))
        await pilot.press("enter")
        await pilot.pause()
        seen["palette"] = (type(pilot.app.screen).__name__, static_text(pilot.app.screen, "#dialog-about"))
        await pilot.press("escape")
        await pilot.press("escape")
        await pilot.pause()
        await open_contract(pilot, "SW-L4-01")
        seen["contract"] = await help_text(pilot)

    drive(ledger_path, tmp_path, scenario)
    for name in ("quarter", "credits", "payments", "contract"):
        assert "• x: Export" in seen[name], name
    assert "x exports the quarter's service credits or payments schedule" in seen["quarter"]
    assert "x exports the findings of the return shown, for its provider" in seen["contract"]
    assert seen["palette"] == ("ExportModal", f"Export the payments schedule, {Q2}.")
