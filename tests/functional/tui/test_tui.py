"""swtool review: the PMO's screens, driven as the PMO drives them (keys), asserting what is on the
screen and what the ledger holds afterwards."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import ledger_helpers as lh
from swtool.cli import cli
from swtool.ledger import open_ledger, store, views
from swtool.model.settings import Settings
from tui_helpers import (
    cells,
    decide,
    drive,
    edited_return,
    highlight,
    import_file,
    notes,
    open_contract,
    record,
    row_of,
    static_text,
    type_text,
    wait_until,
)


@pytest.fixture
def ledger_path(built, tmp_path):
    """A private copy of the sample ledger: each test may record decisions in it."""
    return lh.clone(built, tmp_path / "ledger.sqlite3")


def late_l7(tmp_path):
    """SW-L7-01 2026/27-Q2 with a job start dated after the quarter (C201 at Claims!D3)."""
    return lh.late_claim_return(lh.SAMPLES / "returns" / lh.L7_Q2, tmp_path / "SW-L7-01_Q2_v2.xlsx")


# --- the quarter ------------------------------------------------------------------------------------


def test_the_quarter_screen_shows_every_contract_as_status_does(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        screen = pilot.app.screen
        seen["rows"] = cells(screen.query_one("#contracts"))
        seen["columns"] = [str(c.label) for c in screen.query_one("#contracts").ordered_columns]
        seen["heading"] = static_text(screen, "#heading")
        seen["summary"] = static_text(screen, "#summary")
        seen["title"] = pilot.app.sub_title

    drive(ledger_path, tmp_path, scenario)
    assert [r[0] for r in seen["rows"]] == [
        "SW-L1A-01",
        "SW-L3-01",
        "SW-L4-01",
        "SW-L5-01",
        "SW-L7-01",
        "SW-L8-01",
        "SW-L9-01",
    ]
    # the columns that decide first: return, errors, core outputs %, credits due, RAP
    assert seen["columns"] == [
        "contract",
        "return",
        "errors",
        "core outputs",
        "credits due",
        "RAP",
        "flags",
        "warnings",
        "lot",
        "provider",
        "core outputs (actual/target)",
    ]
    assert seen["rows"][2] == [
        "SW-L4-01",
        "version 1, on time",
        "0",
        "2: 100%  4: 0%",
        "£8,250.00",
        "needed",
        "K701 K702",
        "0",
        "4",
        "Rotherhithe Supported Employment",
        "2: 10/10  4: 0/5",
    ]
    # 2 of 2.5 = 80%, 2 of 2.25 = 88.9%: both above 70%, nothing due
    assert row_of(seen["rows"], "SW-L7-01")[3:7] == ["2: 80%  4: 88.9%", "£0.00", "-", "K701"]
    assert seen["heading"] == "Returns for 2026/27-Q2 (reporting deadline 14/10/2026, final 28/10/2026)"
    assert seen["summary"] == "7 contracts: 7 on time. Service credits due and not waived: £23,375.00."
    assert seen["title"] == "2026/27-Q2 · 23/11/2026"


def test_brackets_move_between_quarters(ledger_path, tmp_path):
    seen = []

    async def scenario(pilot):
        for key in ("left_square_bracket", "right_square_bracket", "right_square_bracket"):
            await pilot.press(key)
            await pilot.pause()
            seen.append((pilot.app.sub_title, record(pilot.app.screen.query_one("#contracts"), "SW-L4-01")["return"]))

    drive(ledger_path, tmp_path, scenario)
    # L4-01's sample returns are for 2026/27-Q2 only; Q3 is not due until 2027
    assert seen == [
        ("2026/27-Q1 · 23/11/2026", "missing"),
        ("2026/27-Q2 · 23/11/2026", "version 1, on time"),
        ("2026/27-Q3 · 23/11/2026", "not yet due"),
    ]


# --- findings: accept, query, waive ----------------------------------------------------------------------


def test_waiving_a_finding_records_it_and_the_claim_counts_again(late_l7_ledger, tmp_path):
    ledger_path, result = late_l7_ledger
    assert (result.version, result.errors) == (2, 1)
    seen = {}

    async def scenario(pilot):
        await highlight(pilot, "contracts", "SW-L7-01")
        seen["before"] = row_of(cells(pilot.app.screen.query_one("#contracts")), "SW-L7-01")[3:7]
        await pilot.press("enter")
        await pilot.pause()
        screen = pilot.app.screen
        seen["heading"] = static_text(screen, "#heading")
        await highlight(pilot, "findings", "C201")
        seen["detail"] = static_text(screen, "#finding-detail")
        await pilot.press("w")
        await pilot.pause()
        seen["dialog"] = static_text(pilot.app.screen, "#dialog-about")
        await type_text(pilot, "start confirmed on 30/09/2026")
        await pilot.press("enter")
        await pilot.pause()
        seen["finding"] = row_of(cells(screen.query_one("#findings")), "C201")
        seen["notes"] = [n.message for n in pilot.app._notifications]
        await pilot.press("escape")
        await pilot.pause()
        seen["after"] = row_of(cells(pilot.app.screen.query_one("#contracts")), "SW-L7-01")[3:7]

    drive(ledger_path, tmp_path, scenario)
    # 1 of 2.5 = 40%: at or below 70%, 1.5 credits due; the RAP is needed
    assert seen["before"] == ["2: 40%  4: 88.9%", "£2,310.00", "needed", "K701 K702"]
    assert (
        seen["heading"]
        .splitlines()[1]
        .startswith(
            f"Return {result.return_id}, version 2 of 2; submitted 12/10/2026; 1 error, 1 warning; file SW-L7-01_Q2_v2.xlsx"
        )
    )
    assert seen["detail"].startswith("C201 ") and " at Claims!D3 " in seen["detail"]
    assert seen["dialog"].startswith(f"Waive C201 at Claims!D3 of return {result.return_id} (SW-L7-01 2026/27-Q2):")
    assert seen["finding"][:4] == ["C201", "error", "waive", "Claims!D3"]
    assert seen["notes"] == [f"Recorded: waive C201 at Claims!D3 of return {result.return_id}."]
    assert seen["after"] == ["2: 80%  4: 88.9%", "£0.00", "-", "K701"]
    with open_ledger(ledger_path) as ledger:  # the decision is in the ledger, as `swtool decide` records it
        [d] = store.decisions(ledger, "finding")
    assert (d["return_id"], d["code"], d["cell"], d["action"], d["reason"]) == (
        result.return_id,
        "C201",
        "Claims!D3",
        "waive",
        "start confirmed on 30/09/2026",
    )


def test_a_decision_needs_a_reason_and_escape_records_nothing(late_l7_ledger, tmp_path):
    ledger_path, _ = late_l7_ledger
    seen = {}

    async def scenario(pilot):
        await open_contract(pilot, "SW-L7-01")
        await highlight(pilot, "findings", "C201")
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")  # no reason typed
        await pilot.pause()
        seen["modal"] = type(pilot.app.screen).__name__
        seen["error"] = static_text(pilot.app.screen, "#dialog-error")
        await type_text(pilot, "looks right")
        await pilot.press("escape")
        await pilot.pause()
        seen["back"] = type(pilot.app.screen).__name__
        seen["finding"] = record(pilot.app.screen.query_one("#findings"), "C201")["decision"]

    drive(ledger_path, tmp_path, scenario)
    assert seen == {
        "modal": "ReasonModal",
        "error": "A decision needs a reason.",
        "back": "ContractScreen",
        "finding": "-",
    }
    with open_ledger(ledger_path) as ledger:
        assert store.decisions(ledger) == []


def test_query_then_accept_keeps_both_and_shows_the_latest(late_l7_ledger, tmp_path):
    ledger_path, result = late_l7_ledger
    seen = {}

    async def scenario(pilot):
        await open_contract(pilot, "SW-L7-01")
        for key, reason in (("y", "is this a Q3 start?"), ("a", "provider confirmed the date")):
            await highlight(pilot, "findings", "C201")
            await decide(pilot, key, reason)
        screen = pilot.app.screen
        seen["finding"] = record(screen.query_one("#findings"), "C201")["decision"]
        await pilot.press("5")  # the Decisions tab
        seen["decisions"] = [r[2:4] + r[5:] for r in cells(screen.query_one("#decisions"))]

    drive(ledger_path, tmp_path, scenario)
    assert seen["finding"] == "accept"
    assert seen["decisions"] == [
        ["query", f"return {result.return_id} C201 Claims!D3", "is this a Q3 start?"],
        ["accept", f"return {result.return_id} C201 Claims!D3", "provider confirmed the date"],
    ]


def test_a_tab_shown_before_a_decision_shows_it_when_shown_again(late_l7_ledger, tmp_path):
    """A tab is filled from the latest read when it is shown: one already shown before a decision on
    another tab shows the decision when it is shown again."""
    ledger_path, result = late_l7_ledger
    seen = {}

    async def scenario(pilot):
        await open_contract(pilot, "SW-L7-01")
        await pilot.press("5")
        seen["before"] = cells(pilot.app.screen.query_one("#decisions"))
        await pilot.press("1")
        await highlight(pilot, "findings", "C201")
        await decide(pilot, "y", "is this a Q3 start?")
        await pilot.press("5")
        seen["after"] = [r[2:4] + r[5:] for r in cells(pilot.app.screen.query_one("#decisions"))]

    drive(ledger_path, tmp_path, scenario)
    assert seen["before"] == []
    assert seen["after"] == [["query", f"return {result.return_id} C201 Claims!D3", "is this a Q3 start?"]]


# --- outputs against profile, versions ---------------------------------------------------------------


def test_outputs_tab_shows_each_output_against_profile_with_the_flags(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        await open_contract(pilot, "SW-L4-01")
        screen = pilot.app.screen
        await pilot.press("2")  # the Outputs tab
        seen["outputs"] = cells(screen.query_one("#outputs"))
        seen["flags"] = static_text(screen, "#flags")

    drive(ledger_path, tmp_path, scenario)
    # by quarter, from the contract's first (2025/26-Q1): no return until 2026/27-Q2, then 0 of 5 and 10 of 10
    assert row_of(seen["outputs"], "4") == [
        "4",
        "5",
        "0",
        "-100%",
        "K701",
        "0/30 0%",
        "·····▁",
        "Clients progressing into a better role",
    ]
    assert row_of(seen["outputs"], "2") == [
        "2",
        "10",
        "10",
        "0%",
        "",
        "10/60 16.7%",
        "·····█",
        "job and apprenticeship starts, 2a + 2b",
    ]
    assert seen["flags"].splitlines()[0] == (
        "Output 2 by quarter: 2025/26-Q1 no return; 2025/26-Q2 no return; 2025/26-Q3 no return; 2025/26-Q4 no "
        "return; 2026/27-Q1 no return; 2026/27-Q2 10 of 10 (100%)."
    )
    flags = seen["flags"].splitlines()[1:]
    assert flags[0].startswith("Shared 2a + 2b to date: 0 of 10 job and apprenticeship starts")
    assert [line.split()[0] for line in flags[1:]] == ["K701"] * 4 + ["K702"]
    # 5 credits × (£165,000 × 2) × 10% ÷ 20 = 5 × £33,000 ÷ 20 = £8,250.00
    assert (
        "Shortfall 5 − 0 = 5 credits × (annual value £165,000.00 × 2) × 10% ÷ annual target 20 = £8,250.00" in flags[-1]
    )


def test_the_outputs_tab_is_quiet_for_a_contract_on_profile(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        await open_contract(pilot, "SW-L9-01")
        await pilot.press("2")  # the Outputs tab
        seen["flags"] = static_text(pilot.app.screen, "#flags")

    drive(ledger_path, tmp_path, scenario)
    assert seen["flags"].splitlines()[-1] == "No K701, K702 or K703 warning for this quarter."


def test_an_earlier_version_can_be_opened_from_the_versions_tab(late_l7_ledger, tmp_path):
    ledger_path, result = late_l7_ledger
    seen = {}

    async def scenario(pilot):
        await open_contract(pilot, "SW-L7-01")
        screen = pilot.app.screen
        await pilot.click("#tabs Tab#--content-tab-tab-versions")
        await pilot.pause()
        seen["versions"] = [r[:2] for r in cells(screen.query_one("#versions"))]
        table = screen.query_one("#versions")
        seen["focused"] = pilot.app.focused is table
        table.move_cursor(row=0)
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        seen["heading"] = static_text(screen, "#heading").splitlines()[1]
        seen["findings"] = [r[0] for r in cells(screen.query_one("#findings"))]

    drive(ledger_path, tmp_path, scenario)
    first = result.return_id
    with open_ledger(ledger_path) as ledger:
        v1 = store.returns(ledger, "SW-L7-01", lh.Q2)[0]["id"]
    assert seen["versions"] == [[str(v1), "1"], [f"▶ {first}", "2"]] and seen["focused"]
    assert seen["heading"].startswith(f"Return {v1}, version 1 of 2 (not the latest)")
    assert "C201" not in seen["findings"]


# --- service credits -----------------------------------------------------------------------------------


def test_applying_a_service_credit_records_the_figures_it_was_made_on(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        await pilot.press("c")
        await pilot.pause()
        screen = pilot.app.screen
        table = screen.query_one("#credits")
        index = [r[:2] for r in cells(table)].index(["SW-L4-01", "4"])
        table.move_cursor(row=index)
        await pilot.pause()
        seen["detail"] = static_text(screen, "#credit-detail")
        await decide(pilot, "a", "no progressions at all this quarter")
        seen["row"] = cells(table)[index]
        seen["after"] = static_text(screen, "#credit-detail")

    drive(ledger_path, tmp_path, scenario)
    # £8,250.00 (SW-L4-01) + £6,875.00 (SW-L5-01) + £8,250.00 (SW-L8-01) = £23,375.00, all pending
    assert seen["detail"].splitlines()[0] == (
        "7 contracts in term. Due and not waived £23,375.00: applied £0.00, "
        "pending £23,375.00 (3 decisions to make). Waived £0.00."
    )
    # 5 credits × (£165,000 × 2) × 10% ÷ 20 = £8,250.00
    assert (
        "Shortfall 5 − 0 = 5 credits × (annual value £165,000.00 × 2) × 10% ÷ annual target 20 = £8,250.00"
        in seen["detail"]
    )
    assert seen["row"] == [
        "SW-L4-01",
        "4",
        "applied",
        "£8,250.00",
        "5",
        "0%",
        "0",
        "5",
        "£1,650.00",
        "4",
        "Rotherhithe Supported Employment",
    ]
    # the decision in force, whole, under the table
    assert seen["after"].splitlines()[0] == (
        "7 contracts in term. Due and not waived £23,375.00: applied £8,250.00, "
        "pending £15,125.00 (2 decisions to make). Waived £0.00."
    )
    assert seen["after"].splitlines()[-1].startswith("Decision in force: applied (decision 1) by ")
    assert seen["after"].splitlines()[-1].endswith(" on 23/11/2026: no progressions at all this quarter")
    with open_ledger(ledger_path) as ledger:
        report = views.credit_report(ledger, lh.Q2, Settings.defaults()).to_dict()  # what `swtool credits` shows
        [d] = store.decisions(ledger, "credit")
    l4 = next(c for c in report["contracts"] if c["contract"] == "SW-L4-01")
    assert [o["status"] for o in l4["outputs"]] == ["not due", "applied"]
    assert (d["action"], d["reason"]) == ("apply", "no progressions at all this quarter")
    assert '"amount": "8250.00"' in d["detail"]


def test_waiving_a_credit_takes_it_out_of_the_amount_due(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        await pilot.press("c")
        await pilot.pause()
        table = pilot.app.screen.query_one("#credits")
        index = [r[0] + "/" + r[1] for r in cells(table)].index("SW-L8-01/4")
        table.move_cursor(row=index)
        await decide(pilot, "w", "staff long-term sick, agreed at the meeting")
        seen["status"] = record(table, "SW-L8-01") and cells(table)[index][2]
        seen["total"] = static_text(pilot.app.screen, "#credit-detail").splitlines()[0]
        await pilot.press("escape")
        await pilot.pause()
        seen["home"] = static_text(pilot.app.screen, "#summary")

    drive(ledger_path, tmp_path, scenario)
    assert seen["status"] == "waived"
    # £23,375.00 − £8,250.00 waived = £15,125.00, still pending
    assert seen["total"] == (
        "7 contracts in term. Due and not waived £15,125.00: applied £0.00, pending £15,125.00 "
        "(2 decisions to make). Waived £8,250.00."
    )
    assert seen["home"].endswith("Service credits due and not waived: £15,125.00.")


# --- remedial action plans -------------------------------------------------------------------------------


def test_a_plan_is_written_recorded_listed_and_closed(ledger_path, tmp_path):
    seen = {}
    plans = tmp_path  # the session's plans folder

    async def scenario(pilot):
        await open_contract(pilot, "SW-L4-01")
        await pilot.press("n")
        await pilot.pause()
        dialog = pilot.app.screen
        seen["offered"] = dialog.query_one("#plan-output").value
        seen["review"] = dialog.query_one("#plan-review").value
        # Enter moves from field to field, then to the button; only the button records
        for _field in ("plan-review", "plan-reason", "ok"):
            await pilot.press("enter")
            await pilot.pause()
            seen.setdefault("focus", []).append(pilot.app.focused.id)
        seen["before"] = (type(pilot.app.screen).__name__, notes(pilot.app))
        await pilot.press("enter")
        await pilot.pause()
        seen["notes"] = [n.message for n in pilot.app._notifications]
        await pilot.press("escape")
        await pilot.pause()
        seen["rap"] = record(pilot.app.screen.query_one("#contracts"), "SW-L4-01")["RAP"]
        await pilot.press("p")
        await pilot.pause()
        seen["plans"] = [r[:5] for r in cells(pilot.app.screen.query_one("#plans"))]
        await decide(pilot, "x", "progressions back on profile")
        seen["after"] = cells(pilot.app.screen.query_one("#plans"))
        await pilot.press("t")
        await pilot.pause()
        seen["all"] = [r[3] for r in cells(pilot.app.screen.query_one("#plans"))]
        await pilot.press("escape")
        await pilot.pause()
        seen["rap closed"] = record(pilot.app.screen.query_one("#contracts"), "SW-L4-01")["RAP"]

    drive(ledger_path, tmp_path, scenario)
    written = plans / "RAP_SW-L4-01_2026-27-Q2.xlsx"
    review = lh.refdata(tmp_path).deadlines["2026/27-Q3"].reporting  # the next quarter's reporting deadline
    assert seen["offered"] == str(written) and review.isoformat() == "2027-01-13" and seen["review"] == "13/01/2027"
    assert seen["focus"] == ["plan-review", "plan-reason", "ok"] and seen["before"] == ("PlanModal", [])
    assert written.exists()
    assert seen["notes"][-1] == f"Remedial action plan 1 recorded as open (review 13/01/2027); written to {written}"
    assert seen["rap"] == "#1 open (review 13/01/2027)"
    assert seen["plans"] == [["1", "SW-L4-01", "2026/27-Q2", "open", "13/01/2027"]]
    assert seen["after"] == [] and seen["all"] == ["closed"]
    assert seen["rap closed"] == "#1 closed"  # a closed plan is not "needed" again
    with open_ledger(ledger_path) as ledger:
        [rap] = store.raps(ledger, lh.TODAY, include_closed=True)
    assert (rap["status"], rap["last_reason"]) == ("closed", "progressions back on profile")


def test_a_refused_plan_is_a_notification_and_the_app_goes_on(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        await highlight(pilot, "contracts", "SW-L4-01")
        await pilot.press("enter")
        for _ in range(2):  # the second plan for the same quarter is refused by the ledger
            await pilot.press("n")
            await pilot.pause()
            pilot.app.screen.query_one("#ok").focus()
            await pilot.press("enter")
            await pilot.pause()
        seen["notes"] = [(n.severity, n.message) for n in pilot.app._notifications]
        seen["screen"] = type(pilot.app.screen).__name__

    drive(ledger_path, tmp_path, scenario)
    refused = (
        "remedial action plan 1 for SW-L4-01 2026/27-Q2 is already open; close it first (swtool rap close 1 "
        "--reason TEXT)"
    )
    assert seen["notes"][-1] == ("error", refused)
    assert seen["screen"] == "ContractScreen"


# --- imports ---------------------------------------------------------------------------------------------


def test_the_import_dialog_previews_then_imports_a_return_and_the_quarter_shows_it(ledger_path, tmp_path):
    late = late_l7(tmp_path)
    seen = {}

    async def scenario(pilot):
        await pilot.press("i")
        await pilot.pause()
        dialog = pilot.app.screen
        dialog.query_one("#import-path").value = str(late)
        await pilot.press("enter")  # the preview: nothing written yet
        await wait_until(pilot, lambda: not dialog.running)
        seen["preview"] = (dialog.lines(), dialog.state_text(), str(dialog.query_one("#ok").label))
        with open_ledger(ledger_path) as ledger:
            seen["versions before"] = len(store.returns(ledger, "SW-L7-01", lh.Q2))
        await pilot.click("#ok")
        await wait_until(pilot, lambda: not dialog.running)
        seen["log"] = dialog.lines()
        seen["state"] = dialog.state_text()
        await pilot.press("escape")
        await pilot.pause()
        seen["row"] = record(pilot.app.screen.query_one("#contracts"), "SW-L7-01")

    drive(ledger_path, tmp_path, scenario)
    assert seen["preview"] == (
        ["SW-L7-01_Q2_v2.xlsx: new: version 2 of SW-L7-01 2026/27-Q2"],
        "1 file: 1 new version. Nothing has been written yet. Import writes them one by one; "
        "Space leaves the highlighted file out; Close cancels.",
        "Import 1 file",
    )
    assert seen["versions before"] == 1
    [line] = seen["log"]
    assert line.startswith("SW-L7-01_Q2_v2.xlsx: imported as version 2 of SW-L7-01 2026/27-Q2 (return ")
    assert line.endswith("): 1 error, 1 warning")
    assert seen["state"] == "1 file done: 1 imported. Close goes back."
    assert (seen["row"]["return"], seen["row"]["errors"]) == ("version 2, on time", "1")


def test_a_file_that_could_not_be_imported_is_named_on_the_quarter_screen(ledger_path, tmp_path):
    bad = tmp_path / "[bold]Q2 return.xlsx"
    bad.write_text("not a workbook")
    assert import_file(ledger_path, tmp_path, bad).status == "unreadable"
    seen = {}

    async def scenario(pilot):
        seen["summary"] = static_text(pilot.app.screen, "#summary").splitlines()

    drive(ledger_path, tmp_path, scenario)
    assert seen["summary"][-1] == (
        "1 file received but not imported (swtool returns lists why): [bold]Q2 return.xlsx (unreadable)"
    )


def test_the_import_dialog_says_when_there_is_no_such_file(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        await pilot.press("i")
        await pilot.pause()
        pilot.app.screen.query_one("#import-path").value = str(tmp_path / "nowhere.xlsx")
        await pilot.press("enter")
        await pilot.pause()
        seen["error"] = static_text(pilot.app.screen, "#dialog-error")
        seen["table shown"] = pilot.app.screen.query_one("#import-files").display

    drive(ledger_path, tmp_path, scenario)
    assert seen == {"error": f"No such file or folder: {tmp_path / 'nowhere.xlsx'}", "table shown": False}


# --- display safety ----------------------------------------------------------------------------------

# What a tester typed into coded columns of SW-L4-01's registrations: none may reach the screen before v.
TYPED_IN_CODES = {
    "Disability": "Schizophrenia diagnosed 2019",
    "Gender": "Marcus Ellery-Brown",
    "Eligibility criteria": "released HMP Brixton 2025",
    "Social worker or primary support need": "Social worker: Dele Adebayo",
}


def l4_with_typed_codes(tmp_path):
    import openpyxl

    wb = openpyxl.load_workbook(lh.SAMPLES / "returns" / "SW-L4-01" / "SW-L4-01_2026-27_Q2.xlsx")
    ws = wb["Registrations"]
    letters = {c.value: c.column_letter for c in ws[1]}
    for header, value in TYPED_IN_CODES.items():
        ws[f"{letters[header]}3"].value = value
    target = tmp_path / "SW-L4-01_Q2_v2.xlsx"
    wb.save(target)
    return target


def test_values_typed_in_place_of_codes_are_hidden_until_v(ledger_path, tmp_path):
    result = import_file(ledger_path, tmp_path, l4_with_typed_codes(tmp_path))
    assert (result.status, result.version) == ("imported", 2)
    seen = {}

    async def everything(pilot):
        screen = pilot.app.screen
        rows = cells(screen.query_one("#findings"))
        details = []
        for i in range(len(rows)):
            screen.query_one("#findings").move_cursor(row=i)
            await pilot.pause()
            details.append(static_text(screen, "#finding-detail"))
        return "\n".join([static_text(screen, "#heading"), *("|".join(r) for r in rows), *details])

    async def scenario(pilot):
        await open_contract(pilot, "SW-L4-01")
        seen["before"] = await everything(pilot)
        await pilot.press("v")
        await pilot.pause()
        seen["after"] = await everything(pilot)
        await pilot.press("v")
        await pilot.pause()
        seen["again"] = await everything(pilot)

    drive(ledger_path, tmp_path, scenario)
    assert not [v for v in TYPED_IN_CODES.values() if v in seen["before"]]
    assert "Registrations!Z3: Disability '[redacted]' is not in the code list" in seen["before"]
    assert "Cell value" not in seen["before"]
    assert all(v in seen["after"] for v in TYPED_IN_CODES.values())
    assert "Cell values are shown (personal data): v hides them." in seen["after"]
    assert "Registrations!Z3: Disability 'Schizophrenia diagnosed 2019' is not in the code list" in seen["after"]
    assert "Cell value: Schizophrenia diagnosed 2019" in seen["after"]  # the detail of the finding, under v
    assert seen["again"] == seen["before"]


PAYLOADS = {
    "B2": "[@click=app.quit]SW700005[/]",  # client ref: shown even when redacted
    "C2": "\u009b2J\x7f[bold red]2a\u202e\u200b",  # output: C1 CSI, DEL, markup, bidi override, zero-width
    "E2": "[link=file:///etc/passwd]Signed contract[/link]",  # evidence held: not in the code list
    "A3": "[/]",  # a lone closing tag: a MarkupError if it were parsed
}


def test_markup_and_control_characters_from_a_return_are_shown_as_text(ledger_path, tmp_path):
    """Every payload reaches the screen as the literal text the provider typed (control and bidi
    characters escaped), nothing is interpreted, and the app keeps running through clicks and keys."""
    name = "[@click=app.quit]L7 [bold red]Q2.xlsx"  # no closing tags: a file name cannot hold "/"
    hostile = edited_return(lh.SAMPLES / "returns" / lh.L7_Q2, tmp_path / name, PAYLOADS)
    result = import_file(ledger_path, tmp_path, hostile)
    assert result.status == "imported"
    seen = {}

    async def scenario(pilot):
        await open_contract(pilot, "SW-L7-01")
        screen = pilot.app.screen
        await pilot.press("v")  # the cell values too (personal data, asked for)
        await pilot.pause()
        seen["heading"] = static_text(screen, "#heading")
        seen["findings"] = cells(screen.query_one("#findings"))
        for i in range(len(seen["findings"])):  # every finding's detail, and a click on each row
            screen.query_one("#findings").move_cursor(row=i)
            await pilot.pause()
            await pilot.click("#findings", offset=(60, i + 1))
            seen.setdefault("details", []).append(static_text(screen, "#finding-detail"))
        await highlight(pilot, "findings", seen["findings"][0][0])
        await pilot.press("y")  # query, with a reason that is itself markup
        await pilot.pause()
        await type_text(pilot, "[/] [@click=app.quit]see[/]")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("5")  # the Decisions tab, its reason drawn too
        seen["decisions"] = cells(screen.query_one("#decisions"))
        pilot.app.save_screenshot(str(tmp_path / "decisions.svg"))
        await pilot.press("4")
        seen["versions"] = cells(screen.query_one("#versions"))
        await pilot.press("1")
        pilot.app.save_screenshot(str(tmp_path / "screen.svg"))  # a full render of every widget
        seen["running"] = pilot.app.is_running
        seen["screen"] = type(pilot.app.screen).__name__

    drive(ledger_path, tmp_path, scenario)
    assert seen["running"] and seen["screen"] == "ContractScreen"
    text = "\n".join([seen["heading"], *("|".join(r) for r in seen["findings"]), *seen["details"]])
    assert "[@click=app.quit]SW700005[/]" in text
    assert "\\x9b2J\\x7f[bold red]2a\\u202e\\u200b" in text  # escaped, as the CLI prints it
    assert "[link=file:///etc/passwd]Signed contract[/link]" in text
    assert not any(ch in text for ch in "\u009b\x7f\u202e\u200b")  # nothing raw reaches the terminal
    assert f"file {name}" in seen["heading"]
    assert seen["decisions"][-1][2] == "query" and seen["decisions"][-1][5] == "[/] [@click=app.quit]see[/]"
    assert seen["versions"][-1][-1] == name


def test_shown_values_are_never_markup():
    from rich.text import Text

    from swtool.tui.shown import joined, shown

    t = shown("[bold]x[/] \u202e\x1b[2J")
    assert isinstance(t, Text) and t.plain == "[bold]x[/] \\u202e\\x1b[2J" and t.spans == []
    assert joined("a ", ("[/]", "bold"), " b").plain == "a [/] b"
    assert shown(None).plain == "-" and shown("").plain == "-"


# --- the command ---------------------------------------------------------------------------------------------


def test_review_without_a_terminal_says_so(ledger_path):
    res = CliRunner().invoke(cli, ["review", "--db", str(ledger_path)])
    assert res.exit_code == 2
    assert "swtool review needs a terminal; for a report use swtool status, credits or performance" in res.output


def test_review_of_a_ledger_without_a_register_says_what_to_do(tmp_path):
    res = CliRunner().invoke(cli, ["review", "--db", str(tmp_path / "new.sqlite3")])
    assert res.exit_code == 2
    assert "the ledger has no contract register yet: run `swtool register import REGISTER.xlsx` first" in res.output


def test_review_refuses_a_bad_quarter(ledger_path):
    res = CliRunner().invoke(cli, ["review", "--db", str(ledger_path), "--quarter", "Q5"])
    assert res.exit_code == 2 and "'Q5' is not a quarter like 2026/27-Q2" in res.output


class Terminal:
    """The installed command in a pseudo-terminal of 80 × 24, read through a terminal emulator (pyte) so
    the test sees the screen a PMO sees. No wall-clock expectation: each wait has only a generous
    safety limit against a hang, so a busy machine is only slower."""

    LIMIT = 300  # seconds: a hang, never a speed test

    def __init__(self, args: list[str], cwd, columns: int = 80, lines: int = 24):
        import fcntl
        import os
        import pty
        import struct
        import subprocess
        import sys
        import termios

        import pyte

        swtool = os.path.join(os.path.dirname(sys.executable), "swtool")
        self.main, child = pty.openpty()
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(lines)}
        self.proc = subprocess.Popen(
            [swtool, *args], stdin=child, stdout=child, stderr=child, env=env, close_fds=True, cwd=cwd
        )
        os.close(child)
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)

    @property
    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def _read(self, quiet: float = 0.2) -> bool | None:
        """Feed what the command wrote to the emulator: True if something came, None if nothing came for
        ``quiet`` seconds, False once the command has closed the terminal."""
        import os
        import select

        if not select.select([self.main], [], [], quiet)[0]:
            return None
        try:
            data = os.read(self.main, 65536)
        except OSError:  # the command has ended and closed the terminal
            return False
        self.stream.feed(data)
        return True

    def wait_for(self, condition, what: str) -> None:
        """Read the terminal until ``condition(lines)`` holds on a settled screen. A frame reaches the
        terminal in pieces, so the condition is judged only once nothing more has come for a moment:
        a half-drawn frame (a new footer over the old one's tail) is never taken for the screen."""
        import time

        limit = time.monotonic() + self.LIMIT
        while True:
            came = self._read(quiet=0.15)
            if came is None and condition(self.lines):
                return
            assert came is not False and self.proc.poll() is None, f"the command ended before {what}:\n" + "\n".join(
                self.lines
            )
            assert time.monotonic() < limit, f"no {what} after {self.LIMIT} s:\n" + "\n".join(self.lines)

    def press(self, keys: bytes) -> None:
        import os

        os.write(self.main, keys)

    def exit_code(self) -> int:
        """Wait for the command to end, reading what it writes meanwhile (a full terminal would block it)."""
        import time

        limit = time.monotonic() + self.LIMIT
        while self.proc.poll() is None and time.monotonic() < limit:
            if self._read() is False:
                break
        return self.proc.wait(timeout=self.LIMIT)

    def close(self) -> None:
        import os

        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.main)


def test_review_in_a_real_terminal_at_80_by_24(ledger_path, tmp_path):
    """The installed command at 80 × 24: every contract with its return status and the quit key in the
    footer; Enter opens a contract, Esc comes back to the quarter, q quits with exit 0."""
    contracts = ["SW-L1A-01", "SW-L3-01", "SW-L4-01", "SW-L5-01", "SW-L7-01", "SW-L8-01", "SW-L9-01"]

    def quarter_drawn(lines):
        return (
            lines[1].startswith(" Returns for 2026/27-Q2")
            and lines[-1].startswith("q Quit ? Help / Filter")
            and all(any(line.split()[:5] == [c, "version", "1,", "on", "time"] for line in lines) for c in contracts)
        )

    term = Terminal(["review", "--db", str(ledger_path), "--today", "2026-11-23"], tmp_path)
    try:
        term.wait_for(quarter_drawn, "quarter screen with every contract")
        quarter = term.lines
        term.press(b"\r")  # Enter: the highlighted contract, the first one
        term.wait_for(
            lambda lines: (
                any("1 Findings  2 Outputs" in line for line in lines)
                and lines[-1].startswith("esc Back q Quit ? Help / Filter a Accept y Query w Waive")
                and lines[1].startswith(" SW-L1A-01 · Walworth Young Futures")
            ),
            "contract screen",
        )
        contract = term.lines
        term.press(b"\x1b")  # Esc: back to the quarter
        term.wait_for(quarter_drawn, "quarter screen again")
        term.press(b"q")
        code = term.exit_code()
    finally:
        term.close()
    assert code == 0
    assert quarter[4].split()[:6] == ["contract", "return", "errors", "core", "outputs", "credits"]
    assert next(line for line in quarter if line.startswith(" SW-L4-01")).split() == [
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
    assert quarter[-1].startswith("q Quit ? Help / Filter")
    assert contract[-1].startswith("esc Back q Quit ? Help / Filter a Accept y Query w Waive")
