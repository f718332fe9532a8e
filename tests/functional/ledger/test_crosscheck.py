"""C219 and C220: claims compared across contracts in the ledger."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl

import ledger_helpers as lh
from swtool.ledger import open_ledger
from swtool.ledger.crosscheck import cross_findings
from tests.unit.calc.test_counting import build, run

L3_PROVIDER, L7_PROVIDER = "Bermondsey Pathways CIC", "Peckham Recovery to Work"
AFTER_FINAL = date(2026, 11, 23)  # 2026/27 Q2's final deadline is 28/10/2026


def _set(path: Path, sheet: str, claim_or_client: str, **values) -> None:
    """Change the row of ``sheet`` whose first cell is ``claim_or_client``: header -> value."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    headers = [c.value for c in ws[1]]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == claim_or_client)
    for header, value in values.items():
        ws.cell(row, headers.index(header) + 1).value = value
    wb.save(path)


def _same_start(shared: bool):
    """SW-L7-01 claims the job start L3-01-0107 of SW-L3-01 (client SW300069, started 09/07/2026): its
    registration row for SW700019 becomes SW300069's, and its claim L7-01-0013 that client's 2a."""

    def change(returns: Path) -> None:
        l7 = returns / lh.L7_Q2
        l3 = returns / lh.L3_Q2
        _set(l7, "Registrations", "SW700019", **{"Client ref": "SW300069"})
        _set(
            l7,
            "Claims",
            "L7-01-0013",
            **{"Client ref": "SW300069", "Date achieved": datetime(2026, 7, 9), "Start date": datetime(2026, 7, 9)},
        )
        if shared:
            _set(l7, "Claims", "L7-01-0013", **{"Shared with provider": L3_PROVIDER, "Support hours": 10})
            _set(l3, "Claims", "L3-01-0107", **{"Shared with provider": L7_PROVIDER, "Support hours": 10})

    return change


def test_c219_the_same_start_claimed_by_two_contracts(tmp_path):
    path = build(tmp_path, _same_start(shared=False), scenario="same start, not shared")
    with open_ledger(path) as ledger:
        found = cross_findings(ledger, lh.refdata(tmp_path), AFTER_FINAL)
    assert sorted((f.code, f.contract, f.claim_ref) for f in found) == [
        ("C219", "SW-L3-01", "L3-01-0107"),
        ("C219", "SW-L7-01", "L7-01-0013"),
    ]
    l7 = next(f for f in found if f.contract == "SW-L7-01")
    assert l7.cell == "Claims!A3"
    assert l7.message == (
        "Claims!A3: claim L7-01-0013 (client SW300069, output 2a, start 09/07/2026) is also claimed "
        "by SW-L3-01 (Bermondsey Pathways CIC, 2026/27-Q2 claim L3-01-0107), and the claims are not "
        "both marked shared: only one provider can be paid for it unless both name each other "
        "under Shared with provider"
    )
    out = run("returns", "--id", l7.return_id, "--db", path).output
    assert "C219" in out and "Claims!A3" in out


def test_c219_quiet_when_both_claims_are_marked_shared_and_c220_quiet_too(tmp_path):
    path = build(tmp_path, _same_start(shared=True), scenario="same start, shared by both")
    with open_ledger(path) as ledger:
        assert cross_findings(ledger, lh.refdata(tmp_path), AFTER_FINAL) == []


def _one_sided(returns: Path) -> None:
    _set(returns / lh.L3_Q2, "Claims", "L3-01-0107", **{"Shared with provider": L7_PROVIDER, "Support hours": 10})


def test_c220_a_shared_claim_the_partner_never_makes(tmp_path):
    path = build(tmp_path, _one_sided, scenario="shared on one side")
    with open_ledger(path) as ledger:
        [f] = cross_findings(ledger, lh.refdata(tmp_path), AFTER_FINAL)
    assert (f.code, f.contract, f.cell, f.other) == ("C220", "SW-L3-01", "Claims!A2", L7_PROVIDER)
    assert f.message == (
        "Claims!A2: shared claim L3-01-0107 (client SW300069, output 2a) names Peckham Recovery to "
        "Work as partner, but SW-L7-01 of Peckham Recovery to Work claims no output 2a for client "
        "SW300069 up to 2026/27-Q2, and the final deadline (28/10/2026) has passed: the claim is not "
        "shared, or the partner is misnamed"
    )


def test_c220_waits_for_the_partners_final_deadline(tmp_path):
    path = build(tmp_path, _one_sided, scenario="shared on one side")
    with open_ledger(path) as ledger:
        assert cross_findings(ledger, lh.refdata(tmp_path), date(2026, 10, 28)) == []


def test_the_network_report_lists_c219_on_its_shared_outputs_sheet(tmp_path):
    path = build(tmp_path, _same_start(shared=False), scenario="same start, not shared")
    out = tmp_path / "network.xlsx"
    res = run("report", "network", "--year", "2026/27", "-o", out, "--db", path)
    assert res.exit_code == 0, res.output
    ws = openpyxl.load_workbook(out)["Shared outputs"]
    rows = [tuple(c.value for c in row)[:7] for row in ws.iter_rows() if row[0].value == "C219"]
    assert sorted(rows) == [
        ("C219", "2026/27-Q2", "SW-L3-01", L3_PROVIDER, "L3-01-0107", "2a", "SW-L7-01"),
        ("C219", "2026/27-Q2", "SW-L7-01", L7_PROVIDER, "L7-01-0013", "2a", "SW-L3-01"),
    ]
