"""swtool review: the Payments screen, approval for payment, which version counts, and C219/C220 across
contracts on the contract screen; driven as the PMO drives them (keys), asserting what is on the screen
and what the ledger holds afterwards.

Every pound figure is the one `swtool payments --format json` gives for the same ledger, and the one
worked out by hand from the sample return.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime

import pytest
from click.testing import CliRunner

import ledger_helpers as lh
from swtool.cli import cli
from swtool.ledger import open_ledger, store, views
from swtool.model.settings import Settings
from tests.functional.ledger.test_crosscheck import L7_PROVIDER, _set
from tests.unit.calc.test_counting import _after_final_deadline
from tui_helpers import (
    cells,
    decide,
    drive,
    highlight,
    import_file,
    notes,
    open_contract,
    record,
    row_of,
    screen_lines,
    static_text,
    type_text,
)

L7, L3, L4 = "SW-L7-01", "SW-L3-01", "SW-L4-01"
COLUMNS = [
    "contract",
    "return",
    "approval",
    "net payable",
    "invoice",
    "credits applied",
    "Q4 balancing",
    "expenditure",
    "provider",
]


@pytest.fixture
def ledger_path(built, tmp_path):
    """A private copy of the sample ledger: each test may record decisions in it."""
    return lh.clone(built, tmp_path / "ledger.sqlite3")


def payments_json(path, quarter: str = lh.Q2) -> dict:
    res = CliRunner().invoke(cli, ["payments", "--quarter", quarter, "--format", "json", "--db", str(path)])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def version_rows(path, contract: str = L7, quarter: str = lh.Q2) -> list[dict]:
    with open_ledger(path) as ledger:
        return store.versions(ledger, lh.refdata(path.parent), contract, quarter)


def gbp_or_dash(pounds: str | None) -> str:
    """A JSON amount ("19469.97", "-20766.21", null) as the screen writes it (£19,469.97, -£20,766.21, -)."""
    if pounds is None:
        return "-"
    sign, digits = ("-", pounds[1:]) if pounds.startswith("-") else ("", pounds)
    whole, pence = digits.split(".")
    return f"{sign}£{int(whole):,}.{pence}"


async def open_payments(pilot):
    await pilot.press("f")
    await pilot.pause()
    return pilot.app.screen


# --- the Payments screen ---------------------------------------------------------------------------------


def test_f_opens_payments_with_the_figures_of_the_payments_command(ledger_path, tmp_path):
    data = payments_json(ledger_path)
    seen = {}

    async def scenario(pilot):
        screen = await open_payments(pilot)
        seen["screen"] = type(screen).__name__
        table = screen.query_one("#payments")
        seen["columns"] = [str(c.label) for c in table.ordered_columns]
        seen["rows"] = cells(table)
        seen["heading"] = static_text(screen, "#heading")
        await highlight(pilot, "payments", L7)
        seen["detail"] = static_text(screen, "#payment-detail").splitlines()

    drive(ledger_path, tmp_path, scenario)
    assert seen["screen"] == "PaymentsScreen"
    assert seen["columns"] == COLUMNS
    assert seen["heading"].startswith("Payments, 2026/27-Q2: only approved returns are payable.")
    # every row, every figure, as the command gives it
    assert [r[0] for r in seen["rows"]] == [c["contract"] for c in data["contracts"]]
    for row, c in zip(seen["rows"], data["contracts"], strict=True):
        assert row == [
            c["contract"],
            str(c["return_id"]),
            c["approval"],
            gbp_or_dash(c["net_payable"]),
            gbp_or_dash(c["invoice"]),
            gbp_or_dash(c["credits_applied"]),
            gbp_or_dash(c["q4_balancing"]),
            gbp_or_dash(c["expenditure"]),
            c["provider"],
        ]
    # SW-L7-01 2026/27-Q2 Actual spend: 4,256.44 + 10,733.69 + 1,504.71 + 1,980.94 + 994.19 = 19,469.97;
    # nothing approved yet, so nothing is payable
    l7 = row_of(seen["rows"], L7)
    rid = version_rows(ledger_path)[0]["id"]
    assert l7 == [
        L7,
        str(rid),
        "not reviewed",
        "-",
        "£19,469.97",
        "£0.00",
        "-",
        "£19,469.97",
        "Peckham Recovery to Work",
    ]
    # the sum of the seven invoices, and nothing payable
    assert data["totals"]["invoice"] == "253812.55"
    assert seen["detail"] == [
        "7 contracts; 0 approved; invoices £253,812.55; credits applied £0.00; net payable £0.00",
        "SW-L7-01 · Peckham Recovery to Work · lot 7: not reviewed",
        f"expenditure: return {rid} (version 1), Expenditure sheet: 5 lines of Actual spend = £19,469.97",
        "disallowed: no transactions disallowed (no spot-check results recorded)",
        "credits applied: no service credits applied for the quarter",
        "invoice: £19,469.97 − £0.00 = £19,469.97",
        "net payable: none: the return is not reviewed",
    ]


def test_a_approves_the_counted_return_with_a_reason(ledger_path, tmp_path):
    rid = version_rows(ledger_path)[0]["id"]
    seen = {}

    async def scenario(pilot):
        screen = await open_payments(pilot)
        await highlight(pilot, "payments", L7)
        await pilot.press("a")
        await pilot.pause()
        seen["dialog"] = (type(pilot.app.screen).__name__, static_text(pilot.app.screen, "#dialog-about"))
        await type_text(pilot, "reviewed; evidence seen")
        await pilot.press("enter")
        await pilot.pause()
        seen["row"] = row_of(cells(screen.query_one("#payments")), L7)
        seen["detail"] = static_text(screen, "#payment-detail").splitlines()
        seen["notes"] = notes(pilot.app)

    drive(ledger_path, tmp_path, scenario)
    assert seen["dialog"] == (
        "ReasonModal",
        f"Approve return {rid} (version 1, the version that counts) of {L7} for "
        "2026/27-Q2: invoice £19,469.97, credits applied £0.00 (now not "
        "reviewed).",
    )
    assert seen["row"][:5] == [L7, str(rid), "approved", "£19,469.97", "£19,469.97"]
    assert seen["detail"][0] == (
        "7 contracts; 1 approved; invoices £253,812.55; credits applied £0.00; net payable £19,469.97"
    )
    assert seen["detail"][-1] == "net payable: £19,469.97 − £0.00 = £19,469.97"
    assert seen["notes"] == [("information", f"Recorded: return {rid} of {L7} approved for payment.")]
    # the ledger holds it, as `swtool approve` records it, and the command now pays it
    [v] = version_rows(ledger_path)
    assert (v["id"], v["approval"], v["counted"]) == (rid, "approved", True)
    with open_ledger(ledger_path) as ledger:
        [d] = store.decisions(ledger, "return")
    assert (d["return_id"], d["action"], d["reason"]) == (rid, "approve", "reviewed; evidence seen")
    row = next(c for c in payments_json(ledger_path)["contracts"] if c["contract"] == L7)
    assert (row["approval"], row["net_payable"]) == ("approved", "19469.97")


def test_escape_in_the_reason_dialog_records_nothing(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        screen = await open_payments(pilot)
        await highlight(pilot, "payments", L7)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")  # no reason: refused in the dialog
        await pilot.pause()
        seen["error"] = static_text(pilot.app.screen, "#dialog-error")
        await type_text(pilot, "looks right")
        await pilot.press("escape")
        await pilot.pause()
        seen["back"] = type(pilot.app.screen).__name__
        seen["row"] = row_of(cells(screen.query_one("#payments")), L7)[2:4]

    drive(ledger_path, tmp_path, scenario)
    assert seen == {"error": "A decision needs a reason.", "back": "PaymentsScreen", "row": ["not reviewed", "-"]}
    with open_ledger(ledger_path) as ledger:
        assert store.decisions(ledger) == []
    assert version_rows(ledger_path)[0]["approval"] is None


def test_h_holds_a_return_and_nothing_is_payable(ledger_path, tmp_path):
    with open_ledger(ledger_path) as ledger:  # SW-L4-01 output 4: 0 of 5, credits applied
        views.decide_credit(ledger, L4, lh.Q2, "4", "apply", "no progressions", Settings.defaults())
    seen = {}

    async def scenario(pilot):
        screen = await open_payments(pilot)
        await highlight(pilot, "payments", L4)
        await decide(pilot, "a", "reviewed")
        seen["approved"] = row_of(cells(screen.query_one("#payments")), L4)[2:6]
        await decide(pilot, "h", "query on transactions")
        seen["held"] = row_of(cells(screen.query_one("#payments")), L4)[2:6]
        seen["detail"] = static_text(screen, "#payment-detail").splitlines()
        seen["notes"] = notes(pilot.app)

    drive(ledger_path, tmp_path, scenario)
    # £40,521.61 claimed; 5 credits × (£165,000 × 2) × 10% ÷ 20 = £8,250.00 applied:
    # £40,521.61 − £8,250.00 = £32,271.61 payable once approved
    assert seen["approved"] == ["approved", "£32,271.61", "£40,521.61", "£8,250.00"]
    assert seen["held"] == ["held", "-", "£40,521.61", "£8,250.00"]
    assert "credits applied: output 4: £8,250.00 = £8,250.00" in seen["detail"]
    assert seen["detail"][-1] == "net payable: none: the return is held"
    rid = version_rows(ledger_path, L4)[0]["id"]
    assert seen["notes"][-1] == ("information", f"Recorded: return {rid} of {L4} held: not payable.")
    assert version_rows(ledger_path, L4)[0]["approval"] == "held"
    row = next(c for c in payments_json(ledger_path)["contracts"] if c["contract"] == L4)
    assert (row["approval"], row["credits_applied"], row["net_payable"]) == ("held", "8250.00", None)


def test_a_contract_without_a_counted_return_cannot_be_approved(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):  # 2026/27-Q1: SW-L4-01 is in term, and its sample returns are for Q2 only
        screen = await open_payments(pilot)
        await highlight(pilot, "payments", L4)
        seen["row"] = row_of(cells(screen.query_one("#payments")), L4)[:5]
        seen["detail"] = static_text(screen, "#payment-detail").splitlines()[-1]
        for key in ("a", "h"):
            await pilot.press(key)
            await pilot.pause()
            seen.setdefault("screens", []).append(type(pilot.app.screen).__name__)
        seen["notes"] = notes(pilot.app)

    drive(ledger_path, tmp_path, scenario, quarter="2026/27-Q1")
    assert seen["row"] == [L4, "-", "no return counted", "-", "-"]
    assert seen["detail"] == "return: no version of a 2026/27-Q1 return counts for SW-L4-01"
    assert seen["screens"] == ["PaymentsScreen", "PaymentsScreen"]  # no reason asked: nothing to decide
    assert seen["notes"] == [
        ("warning", "SW-L4-01 has no return that counts for 2026/27-Q1: nothing to approve."),
        ("warning", "SW-L4-01 has no return that counts for 2026/27-Q1: nothing to hold."),
    ]
    with open_ledger(ledger_path) as ledger:
        assert store.decisions(ledger) == []


def test_enter_opens_the_contract_and_escape_comes_back_to_payments(ledger_path, tmp_path):
    seen = {}

    async def scenario(pilot):
        await open_payments(pilot)
        await highlight(pilot, "payments", L7)
        await pilot.press("enter")
        await pilot.pause()
        seen["opened"] = (type(pilot.app.screen).__name__, pilot.app.screen.contract_id)
        await pilot.press("4")  # the Versions tab: ...
        await decide(pilot, "a", "approved from the contract screen")  # ... approve there ...
        await pilot.press("escape")
        await pilot.pause()
        seen["back"] = type(pilot.app.screen).__name__
        seen["row"] = row_of(cells(pilot.app.screen.query_one("#payments")), L7)[2:4]  # ... shown here
        await pilot.press("escape")
        await pilot.pause()
        seen["home"] = type(pilot.app.screen).__name__

    drive(ledger_path, tmp_path, scenario)
    assert seen == {
        "opened": ("ContractScreen", L7),
        "back": "PaymentsScreen",
        "row": ["approved", "£19,469.97"],
        "home": "QuarterScreen",
    }


def test_the_payments_screen_at_80_columns(ledger_path, tmp_path):
    """At 80 × 24 the decision and its amount are on screen (the other figures scroll), and the footer
    names the keys; approving works the same."""
    seen = {}

    async def scenario(pilot):
        screen = await open_payments(pilot)
        seen["before"] = screen_lines(pilot.app)
        await highlight(pilot, "payments", L7)
        await decide(pilot, "a", "reviewed")
        seen["after"] = screen_lines(pilot.app)
        seen["row"] = row_of(cells(screen.query_one("#payments")), L7)[2]

    drive(ledger_path, tmp_path, scenario, size=(80, 24))
    lines = seen["before"]
    assert len(lines) == 24 and max(len(line) for line in lines) <= 80
    header = next(line for line in lines if line.lstrip().startswith("contract"))
    assert header.split()[:5] == ["contract", "return", "approval", "net", "payable"]
    assert next(line for line in lines if L7 in line).split()[2:4] == ["not", "reviewed"]
    assert "esc Back" in lines[-1] and "a Approve" in lines[-1] and "h Hold" in lines[-1]
    l7 = next(line for line in seen["after"] if L7 in line)
    assert l7.split()[2:4] == ["approved", "£19,469.97"] and seen["row"] == "approved"


# --- which version counts: the quarter and the contract screens ----------------------------------------------


def test_a_version_after_the_final_deadline_is_shown_as_not_counted(ledger_path, tmp_path):
    late = import_file(ledger_path, tmp_path, _after_final_deadline(tmp_path))
    v1 = version_rows(ledger_path)[0]["id"]
    seen = {}

    async def scenario(pilot):
        seen["quarter"] = record(pilot.app.screen.query_one("#contracts"), L7)["return"]
        seen["summary"] = static_text(pilot.app.screen, "#summary").splitlines()
        await open_contract(pilot, L7)
        screen = pilot.app.screen
        seen["heading"] = static_text(screen, "#heading").splitlines()
        await pilot.press("4")  # the Versions tab, on the version that counts
        await pilot.pause()
        seen["versions"] = [r[:6] for r in cells(screen.query_one("#versions"))]
        seen["highlighted"] = screen.query_one("#versions").row_data()["id"]
        await decide(pilot, "a", "Q2 reviewed on version 1")  # approves it
        seen["approved"] = [r[3] for r in cells(screen.query_one("#versions"))]
        seen["standing"] = static_text(screen, "#heading").splitlines()[2]
        await pilot.press("5")  # the Decisions tab
        seen["decisions"] = [[r[3], r[2], r[5]] for r in cells(screen.query_one("#decisions"))]
        seen["notes"] = notes(pilot.app)

    drive(ledger_path, tmp_path, scenario)
    # version 1 counts (on time); version 2, submitted 02/11/2026 after the final deadline of 28/10/2026, does not
    assert seen["quarter"] == "version 1, on time (+1 not counted)"
    assert seen["summary"][1] == (
        f"{L7} version 2 (return {late.return_id}) submitted 02/11/2026, after final deadline, not counted."
    )
    assert seen["heading"][1].startswith(f"Return {late.return_id}, version 2 of 2; submitted 02/11/2026")
    assert seen["heading"][2] == (
        f"Version 2: after final deadline, not counted. Version 1 (return {v1}) counts "
        "(on time). Payment: not reviewed (Versions tab: a approves, h holds)."
    )
    assert seen["versions"] == [
        [str(v1), "1", "counts", "not reviewed", "12/10/2026", "on time"],
        [f"▶ {late.return_id}", "2", "not counted: after final deadline", "-", "02/11/2026", "after final deadline"],
    ]
    assert seen["highlighted"] == v1
    assert seen["approved"] == ["approved", "-"]
    assert seen["standing"].endswith("counts (on time). Payment: approved (Versions tab: a approves, h holds).")
    assert seen["decisions"] == [[f"return {v1}", "approve", "Q2 reviewed on version 1"]]
    assert seen["notes"][-1] == ("information", f"Recorded: return {v1} of {L7} approved for payment.")
    assert [(v["id"], v["approval"], v["counted"]) for v in version_rows(ledger_path)] == [
        (v1, "approved", True),
        (late.return_id, None, False),
    ]


def test_a_late_version_counted_by_exception_and_the_one_it_replaces(ledger_path, tmp_path):
    late = import_file(ledger_path, tmp_path, _after_final_deadline(tmp_path))
    v1 = version_rows(ledger_path)[0]["id"]
    with open_ledger(ledger_path) as ledger:
        store.decide_return(ledger, v1, "approve", "reviewed", lh.refdata(tmp_path))
        store.count_late(ledger, late.return_id, "agreed by the contract manager", lh.refdata(tmp_path))
    seen = {}

    async def scenario(pilot):
        seen["quarter"] = record(pilot.app.screen.query_one("#contracts"), L7)["return"]
        await open_contract(pilot, L7)
        screen = pilot.app.screen
        seen["standing"] = static_text(screen, "#heading").splitlines()[2]
        await pilot.press("4")
        seen["versions"] = [r[:6] for r in cells(screen.query_one("#versions"))]
        await decide(pilot, "h", "waiting for the corrected claim")
        seen["after"] = [r[3] for r in cells(screen.query_one("#versions"))]

    drive(ledger_path, tmp_path, scenario)
    assert seen["quarter"] == "version 2, after final deadline"
    assert seen["standing"] == (
        "Version 2: after final deadline, counts by exception. Payment: not reviewed "
        "(Versions tab: a approves, h holds)."
    )
    # version 1's approval stays in its history; version 2 now counts and has none yet
    assert seen["versions"] == [
        [str(v1), "1", "superseded", "approved", "12/10/2026", "on time"],
        [f"▶ {late.return_id}", "2", "counts by exception", "not reviewed", "02/11/2026", "after final deadline"],
    ]
    assert seen["after"] == ["approved", "held"]
    assert [v["approval"] for v in version_rows(ledger_path)] == ["approved", "held"]


def test_a_voided_version(ledger_path, tmp_path):
    mistake = import_file(
        ledger_path, tmp_path, lh.late_claim_return(lh.SAMPLES / "returns" / lh.L7_Q2, tmp_path / "SW-L7-01_Q2_v2.xlsx")
    )
    with open_ledger(ledger_path) as ledger:
        store.void_return(ledger, mistake.return_id, "sent twice by mistake", lh.refdata(tmp_path))
    v1 = version_rows(ledger_path)[0]["id"]
    seen = {}

    async def scenario(pilot):
        seen["quarter"] = record(pilot.app.screen.query_one("#contracts"), L7)["return"]
        seen["summary"] = static_text(pilot.app.screen, "#summary").splitlines()[1]
        await open_contract(pilot, L7)
        screen = pilot.app.screen
        seen["heading"] = static_text(screen, "#heading").splitlines()[1:3]
        await pilot.click("#tabs Tab#--content-tab-tab-versions")
        await pilot.pause()
        seen["versions"] = [r[:6] for r in cells(screen.query_one("#versions"))]
        await highlight(pilot, "versions", f"{mistake.return_id}")
        await pilot.press("enter")  # the voided version can still be looked at
        await pilot.pause()
        seen["void"] = static_text(screen, "#heading").splitlines()[1:3]

    drive(ledger_path, tmp_path, scenario)
    assert seen["quarter"] == "version 1, on time (+1 not counted)"
    assert seen["summary"] == f"{L7} version 2 (return {mistake.return_id}) submitted 12/10/2026, void."
    # the contract opens on the newest version that is not void
    assert seen["heading"][0].startswith(f"Return {v1}, version 1 of 2 (not the latest)")
    assert seen["heading"][1] == (
        "Version 1: on time, counts. Payment: not reviewed (Versions tab: a approves, h holds)."
    )
    assert seen["versions"] == [
        [f"▶ {v1}", "1", "counts", "not reviewed", "12/10/2026", "on time"],
        [str(mistake.return_id), "2", "void", "-", "12/10/2026", "on time"],
    ]
    assert seen["void"][0].startswith(f"Return {mistake.return_id}, version 2 of 2; submitted 12/10/2026")
    assert seen["void"][1] == (
        f"Version 2: on time, void. Version 1 (return {v1}) counts (on time). Payment: not "
        "reviewed (Versions tab: a approves, h holds)."
    )


def test_no_version_counts_so_nothing_can_be_approved(ledger_path, tmp_path):
    """SW-L7-01's only Q2 version voided: nothing counts, a on the Versions tab says so and records nothing."""
    v1 = version_rows(ledger_path)[0]["id"]
    with open_ledger(ledger_path) as ledger:
        store.void_return(ledger, v1, "wrong contract", lh.refdata(tmp_path))
    seen = {}

    async def scenario(pilot):
        seen["quarter"] = record(pilot.app.screen.query_one("#contracts"), L7)["return"]
        await open_contract(pilot, L7)
        seen["standing"] = static_text(pilot.app.screen, "#heading").splitlines()[2]
        await pilot.press("4", "a")
        await pilot.pause()
        seen["screen"] = type(pilot.app.screen).__name__
        seen["notes"] = notes(pilot.app)

    drive(ledger_path, tmp_path, scenario)
    assert seen["quarter"] == "version 1 (not counted), on time"
    assert seen["standing"] == (
        "Version 1: on time, void. No version counts for 2026/27-Q2, so none can be approved for payment."
    )
    assert seen["screen"] == "ContractScreen"
    assert seen["notes"] == [("warning", "SW-L7-01 has no return that counts for 2026/27-Q2: nothing to approve.")]
    with open_ledger(ledger_path) as ledger:
        assert [d["action"] for d in store.decisions(ledger)] == ["void"]


# --- C219 and C220 across contracts on the contract screen --------------------------------------------------


def same_start_l7(tmp_path):
    """SW-L7-01 version 2 (on time) whose claim L7-01-0013 is SW-L3-01's job start L3-01-0107 (client
    SW300069, 09/07/2026), not marked shared on either side: C219 on both contracts' claims."""
    v2 = tmp_path / "SW-L7-01_Q2_v2.xlsx"
    shutil.copyfile(lh.SAMPLES / "returns" / lh.L7_Q2, v2)
    _set(v2, "Registrations", "SW700019", **{"Client ref": "SW300069"})
    _set(
        v2,
        "Claims",
        "L7-01-0013",
        **{"Client ref": "SW300069", "Date achieved": datetime(2026, 7, 9), "Start date": datetime(2026, 7, 9)},
    )
    return v2


def test_c219_is_shown_on_both_contracts_and_cannot_be_decided(ledger_path, tmp_path):
    l7 = import_file(ledger_path, tmp_path, same_start_l7(tmp_path))
    assert l7.status == "imported"
    l3 = version_rows(ledger_path, L3)[0]["id"]
    seen = {}

    async def scenario(pilot):
        await open_contract(pilot, L7)
        screen = pilot.app.screen
        panel = screen.query_one("#cross-findings")
        seen["l7"] = (panel.display, static_text(screen, "#cross-findings").splitlines())
        seen["codes"] = [r[0] for r in cells(screen.query_one("#findings"))]
        # a, y and w act on the stored findings of the table only: the C219 is not among them
        await highlight(pilot, "findings", seen["codes"][0])
        await pilot.press("w")
        await pilot.pause()
        seen["dialog"] = static_text(pilot.app.screen, "#dialog-about")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await open_contract(pilot, L3)
        seen["l3"] = static_text(pilot.app.screen, "#cross-findings").splitlines()
        await pilot.press("escape")
        await pilot.pause()
        await open_contract(pilot, L4)
        seen["l4"] = (
            pilot.app.screen.query_one("#cross-findings").display,
            static_text(pilot.app.screen, "#cross-findings"),
        )

    drive(ledger_path, tmp_path, scenario)
    shown, lines = seen["l7"]
    assert shown and lines == [
        f"Across contracts, on counted return {l7.return_id} (not stored: a, y, w do not apply):",
        "warning C219  Claims!A3: claim L7-01-0013 (client SW300069, output 2a, start 09/07/2026) is also claimed by "
        "SW-L3-01 (Bermondsey Pathways CIC, 2026/27-Q2 claim L3-01-0107), and the claims are not both marked shared: "
        "only one provider can be paid for it unless both name each other under Shared with provider",
    ]
    assert "C219" not in seen["codes"] and "C219" not in seen["dialog"]
    assert seen["l3"][0] == f"Across contracts, on counted return {l3} (not stored: a, y, w do not apply):"
    assert seen["l3"][1].startswith(
        "warning C219  Claims!A2: claim L3-01-0107 (client SW300069, output 2a, start "
        "09/07/2026) is also claimed by SW-L7-01 (Peckham Recovery to Work"
    )
    assert seen["l4"] == (False, "")
    with open_ledger(ledger_path) as ledger:
        assert store.decisions(ledger) == []


def test_c220_from_provider_text_is_shown_as_text(ledger_path, tmp_path):
    """A shared claim naming a partner that claims nothing (C220): the partner's name, typed by the
    provider, is markup and a bidi override; it reaches the panel as inert, escaped text."""
    partner = "[@click=app.quit]Peckham[/] \u202eWork"
    v2 = tmp_path / "SW-L3-01_Q2_v2.xlsx"
    shutil.copyfile(lh.SAMPLES / "returns" / lh.L3_Q2, v2)
    _set(v2, "Claims", "L3-01-0107", **{"Shared with provider": partner, "Support hours": 10})
    l3 = import_file(ledger_path, tmp_path, v2)
    seen = {}

    async def scenario(pilot):
        await open_contract(pilot, L3)
        seen["panel"] = static_text(pilot.app.screen, "#cross-findings").splitlines()
        pilot.app.save_screenshot(str(tmp_path / "screen.svg"))  # a full render of every widget
        seen["running"] = (pilot.app.is_running, type(pilot.app.screen).__name__)

    drive(ledger_path, tmp_path, scenario)
    assert seen["running"] == (True, "ContractScreen")
    assert seen["panel"][0] == f"Across contracts, on counted return {l3.return_id} (not stored: a, y, w do not apply):"
    assert seen["panel"][1].startswith(
        "warning C220  Claims!A2: shared claim L3-01-0107 (client SW300069, output 2a) "
        "names [@click=app.quit]Peckham[/] \\u202eWork as partner"
    )
    assert "\u202e" not in "\n".join(seen["panel"])
    assert L7_PROVIDER not in seen["panel"][1]


# --- the other screens at 80 columns -------------------------------------------------------------------------


def test_the_quarter_and_contract_screens_render_at_80_columns(ledger_path, tmp_path):
    late = import_file(ledger_path, tmp_path, _after_final_deadline(tmp_path))
    seen = {}

    async def scenario(pilot):
        seen["quarter"] = screen_lines(pilot.app)
        await open_contract(pilot, L7)
        seen["contract"] = screen_lines(pilot.app)
        await pilot.click("#tabs Tab#--content-tab-tab-versions")
        await pilot.pause()
        seen["versions"] = screen_lines(pilot.app)

    drive(ledger_path, tmp_path, scenario, size=(80, 24))
    for name in ("quarter", "contract", "versions"):
        assert len(seen[name]) == 24 and max(len(line) for line in seen[name]) <= 80, name
    assert any(
        line.startswith(f" {L7} version 2 (return {late.return_id}) submitted 02/11/2026") for line in seen["quarter"]
    )
    assert any(line.startswith(" Version 2: after final deadline, not counted.") for line in seen["contract"])
    header = next(line for line in seen["versions"] if line.lstrip().startswith("return"))
    assert header.split()[:5] == ["return", "version", "counts", "approval", "submitted"]
    assert next(line for line in seen["versions"] if line.lstrip().startswith("▶")).split()[3:9] == [
        "not",
        "counted:",
        "after",
        "final",
        "deadline",
        "-",
    ]
