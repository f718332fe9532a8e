"""Spot checks (App 2 §1.1, §3.3): samples drawn again from their seed, risk weights on the record, a failed
claim that stops counting, a failed transaction that is disallowed, and the evidence workbook read back.

Every pound figure is worked out by hand in the test. The ledgers are built from copies of the shipped
samples (``test_counting.build``); the "audit" scenario adds a Transactions sheet to SW-L7-01's
2026/27-Q2 return, a shared job start and a wage progression just over the pay it must reach.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime

import openpyxl
import pytest

import ledger_helpers as lh
from swtool.ledger import assurance, open_ledger, payments, store
from swtool.model.settings import Settings
from tests.functional.ledger.test_crosscheck import L3_PROVIDER, _set
from tests.unit.calc.test_counting import build, run

Q2 = lh.Q2
L7 = "SW-L7-01"
# SW-L7-01 2026/27-Q2's Expenditure, one transaction or more per line, each line's Actual spend exactly:
# 3,577.90 + 3,577.90 + 3,577.89 = 10,733.69; 1,204.71 + 300.00 = 1,504.71; 750.00 + 244.19 = 994.19
TRANSACTIONS = [
    ("Project manager 0.5 FTE", datetime(2026, 9, 30), "Salary, July to September", 4256.44),
    ("Employment advisers 2 FTE", datetime(2026, 7, 31), "Salaries, July", 3577.90),
    ("Employment advisers 2 FTE", datetime(2026, 8, 31), "Salaries, August", 3577.90),
    ("Employment advisers 2 FTE", datetime(2026, 9, 30), "Salaries, September", 3577.89),
    ("Client travel and interview clothing", datetime(2026, 8, 12), "Travel cards", 1204.71),
    ("Client travel and interview clothing", datetime(2026, 8, 20), "Interview clothing", 300.00),  # row 7
    ("Accredited training courses", datetime(2026, 9, 14), "First aid course", 1980.94),
    ("Venue hire and outreach", datetime(2026, 7, 22), "Hall hire", 750.00),
    ("Venue hire and outreach", datetime(2026, 9, 3), "Outreach leaflets", 244.19),
]


def _audit(returns):
    """SW-L7-01 2026/27-Q2 with its transactions; its job start L7-01-0012 shared with SW-L3-01's provider;
    its wage progression L7-01-0015 paid £15.00 (previous £12.90: the pay it must reach is £14.80, below)."""
    path = returns / lh.L7_Q2
    wb = openpyxl.load_workbook(path)
    for item, day, what, amount in TRANSACTIONS:
        wb["Transactions"].append([item, day, what, amount, "No", "No"])
    wb.save(path)
    _set(path, "Claims", "L7-01-0012", **{"Shared with provider": L3_PROVIDER, "Support hours": 12})
    _set(path, "Claims", "L7-01-0015", **{"Gross hourly pay": 15.00})


@pytest.fixture
def audit(tmp_path):
    return build(tmp_path, _audit, scenario="audit")


def _counted_id(path, contract: str = L7, quarter: str = Q2) -> int:
    with open_ledger(path) as ledger:
        return store.counted_returns(ledger, lh.refdata(path.parent), contract)[quarter]["id"]


def _drawn(path, seed: str, contract: str | None = L7) -> list[tuple]:
    with open_ledger(path) as ledger:
        s = assurance.draw(ledger, Q2, contract, seed=seed, refdata=lh.refdata(path.parent), record=False)
    return [(it.kind, it.return_id, it.row, it.drawn) for it in s.drawn]


def _rows(path, sql: str, args=()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


# --- the sample ----------------------------------------------------------------------------------------


def test_the_same_seed_draws_the_same_sample_and_another_seed_another(audit):
    first, again = _drawn(audit, "2026-Q2-audit"), _drawn(audit, "2026-Q2-audit")
    # 5 of the 11 claims (10%, at least 5) and 5 of the 9 transactions
    assert sorted(k for k, *_ in first) == ["claim"] * 5 + ["transaction"] * 5
    assert first == again
    assert _drawn(audit, "another seed") != first
    # a contract's part of a sample of every contract is the sample of that contract alone
    assert [d for d in _drawn(audit, "2026-Q2-audit", None) if d[1] == _counted_id(audit)] == first

    # from the command, recorded twice with the same seed: the same items, in the same order
    out = audit.parent / "requests"
    a = run("sample", "--quarter", Q2, "--contract", L7, "--seed", "77", "-o", out, "--db", audit)
    b = run("sample", "--quarter", Q2, "--contract", L7, "--seed", "77", "-o", out, "--db", audit)
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    assert "Sample 1 of 2026/27-Q2 by SW-L7-01: seed 77" in a.output and "Sample 2 of" in b.output

    def items(text):
        return [line for line in text.splitlines() if line.split()[:1] and line.split()[0].isdigit() and L7 in line]

    assert items(a.output) == items(b.output) and len(items(a.output)) == 10
    recorded = _rows(
        audit,
        "SELECT sample_id, kind, return_id, row, drawn FROM sample_items WHERE drawn IS NOT NULL "
        "ORDER BY sample_id, seq",
    )
    assert [r[1:] for r in recorded if r[0] == 1] == [r[1:] for r in recorded if r[0] == 2]
    # each recorded sample draws again from its own record alone
    shown = run("samples", "--id", 1, "--db", audit).output
    assert (
        "Drawn again from its record (seed, weights, the 20 claims and transactions it was drawn from): the same "
        "10 items"
    ) in shown


def test_the_risk_weights_are_on_the_samples_record(audit):
    res = run("sample", "--quarter", Q2, "--contract", L7, "--seed", "5", "--dry-run", "--db", audit)
    assert res.exit_code == 0, res.output
    assert "Sample (dry run: not recorded) of 2026/27-Q2" in res.output
    assert _rows(audit, "SELECT count(*) FROM samples") == [(0,)]
    res = run("sample", "--quarter", Q2, "--contract", L7, "--seed", "5", "-o", audit.parent / "req", "--db", audit)
    assert res.exit_code == 0, res.output
    [(seed, method)] = _rows(audit, "SELECT seed, method FROM samples")
    method = json.loads(method)
    assert seed == "5"
    assert method["claim weights"] == {
        "shared": 3,
        "near wage threshold": 3,
        "self-employed": 2,
        "repeat claim": 2,
        "registered this quarter": 2,
        "finding waived": 3,
    }
    assert method["transaction weights"] == {"largest": 3} and method["base weight"] == 1
    assert method["size"] == {"size": None, "percent": 10, "minimum": 5}
    # every claim and transaction it was drawn from is recorded, with its risk factors and weight
    items = {
        (kind, ref, row): (json.loads(risks), weight)
        for kind, ref, row, risks, weight in _rows(
            audit, "SELECT kind, claim_ref, row, risks, weight FROM sample_items"
        )
    }
    assert len(items) == 11 + 9
    # the shared job start: 1 + 3; the progression paid £15.00 against the £14.80 it must reach: previous
    # £12.90 × (1 + 2.8% CPI + 10%) = £14.55, below the London Living Wage £14.80, so £14.80; 15.00 − 14.80
    # = 0.20, within 2% of 14.80 (0.296): 1 + 3
    assert items[("claim", "L7-01-0012", 2)] == (["shared"], 4)
    assert items[("claim", "L7-01-0015", 5)] == (["near wage threshold"], 4)
    # SW700023 registered on 17/07/2026 and progressed in the same quarter: 1 + 2
    assert items[("claim", "L7-01-0014", 4)] == (["registered this quarter"], 3)
    assert items[("claim", "L7-01-0013", 3)] == ([], 1)
    # the largest fifth of 9 transactions: the 2 largest, 4,256.44 and 3,577.90, and the second 3,577.90 (a tie)
    assert {row for (kind, _, row), (risks, _) in items.items() if kind == "transaction" and risks} == {2, 3, 4}
    assert items[("transaction", None, 7)] == ([], 1)
    shown = run("samples", "--id", 1, "--db", audit).output
    assert (
        "Weights: every item 1; claims: shared +3, near wage threshold +3, self-employed +2, repeat claim +2, "
        "registered this quarter +2, finding waived +3; transactions: largest +3"
    ) in shown


def test_no_wage_progression_of_the_samples_is_near_its_threshold(tmp_path):
    """The sample returns' wage progressions are paid £16.50, well over what they must reach (£14.98 at most:
    £13.28 × 1.128): none is drawn for being near it."""
    path = build(tmp_path)
    with open_ledger(path) as ledger:
        pops = assurance.population(ledger, store.ledger_quarter(Q2), None, lh.refdata(tmp_path))
    progressions = [it for p in pops for it in p.claims if it.output == "4"]
    assert len(progressions) > 10
    assert not any("near wage threshold" in it.risks for it in progressions)


def test_the_transactions_are_stored_at_import(audit):
    rid = _counted_id(audit)
    rows = _rows(
        audit,
        "SELECT row, sheet, budget_item, date_defrayed, amount, recoverable_vat, internal_recharge "
        "FROM transactions WHERE return_id = ? ORDER BY row",
        (rid,),
    )
    assert len(rows) == 9
    assert rows[5] == (7, "Transactions", "Client travel and interview clothing", "2026-08-20", "300.00", 0, 0)
    assert "Description" not in [c[1] for c in _rows(audit, "PRAGMA table_info(transactions)")]  # free text stays out


# --- results and their effect --------------------------------------------------------------------------------


def _credit(path, contract: str, output: str) -> dict:
    data = json.loads(run("credits", "--quarter", Q2, "--format", "json", "--db", path).output)
    c = next(c for c in data["contracts"] if c["contract"] == contract)
    return next(o for o in c["outputs"] if o["output"] == output)


def test_a_failed_spot_check_stops_the_claim_counting_and_raises_the_credits(tmp_path):
    path = build(tmp_path)
    before = _credit(path, L7, "2")
    assert (before["actual"], before["credits"], before["amount"], before["status"]) == (2, 0, "0.00", "not due")
    res = run(
        "spotcheck",
        "record",
        "L7-01-0013",
        "--fail",
        "--reason",
        "no signed contract on the client record",
        "--db",
        path,
    )
    assert res.exit_code == 0, res.output
    assert res.output.startswith("Spot check 1: claim L7-01-0013 (SW-L7-01 2026/27-Q2, return ")
    assert (
        "failed (ad-hoc check, in no sample): no signed contract on the client record; it no longer counts"
        in res.output
    )
    after = _credit(path, L7, "2")
    # output 2 (2a + 2b) falls from 2 to 1 against a quarterly target of 2.5: 1 ÷ 2.5 = 40%, at or below 70%.
    # Shortfall 2.5 − 1 = 1.5 credits × (annual value £77,000 × 2) × 10% ÷ annual target 10
    # = 1.5 × £1,540.00 = £2,310.00 (from £0.00)
    assert (after["actual"], after["percent"], after["credits"], after["amount"], after["status"]) == (
        1,
        40,
        1.5,
        "2310.00",
        "pending",
    )
    with open_ledger(path) as ledger:
        [c] = [c for c in store.claim_standings(ledger, L7, lh.refdata(tmp_path)) if c.claim_ref == "L7-01-0013"]
    assert (
        not c.counts
        and c.why.startswith("failed spot check 1 (")
        and c.why.endswith("): no signed contract on the client record")
    )
    # the evidence turns up: a later pass is the result in force, and the claim counts again
    assert (
        run(
            "spotcheck", "record", "L7-01-0013", "--pass", "--reason", "signed contract seen at the visit", "--db", path
        ).exit_code
        == 0
    )
    assert _credit(path, L7, "2")["amount"] == "0.00"
    assert _rows(path, "SELECT id, result FROM spot_checks ORDER BY id") == [(1, "fail"), (2, "pass")]


def test_a_failed_progression_raises_the_credits_by_one_credit(tmp_path):
    path = build(tmp_path)
    assert _credit(path, "SW-L5-01", "4")["amount"] == "6875.00"
    assert (
        run(
            "spotcheck",
            "record",
            "L5-01-0012",
            "--fail",
            "--reason",
            "contract of employment not provided",
            "--db",
            path,
        ).exit_code
        == 0
    )
    after = _credit(path, "SW-L5-01", "4")
    # 0 of 6 progressions: shortfall 6 − 0 = 6 credits × (£165,000 × 2) × 10% ÷ 24 = 6 × £1,375.00
    # = £8,250.00, one credit (£1,375.00) more than the 5 credits (£6,875.00) before
    assert (after["actual"], after["credits"], after["amount"]) == (0, 6, "8250.00")


def test_a_failed_transaction_is_disallowed_and_lowers_the_invoice(audit):
    rid = _counted_id(audit)
    assert run("approve", rid, "--reason", "reviewed", "--db", audit).exit_code == 0

    def l7():
        data = json.loads(run("payments", "--quarter", Q2, "--format", "json", "--db", audit).output)
        return next(r for r in data["contracts"] if r["contract"] == L7)

    # SW-L7-01 2026/27-Q2 Actual spend: 4,256.44 + 10,733.69 + 1,504.71 + 1,980.94 + 994.19 = 19,469.97
    assert (l7()["disallowed"], l7()["invoice"], l7()["net_payable"]) == ("0.00", "19469.97", "19469.97")
    res = run(
        "spotcheck",
        "record",
        "Transactions!A7",
        "--return",
        rid,
        "--fail",
        "--reason",
        "no receipt for the clothing",
        "--db",
        audit,
    )
    assert res.exit_code == 0, res.output
    assert (
        f"transaction Transactions!A7 (SW-L7-01 2026/27-Q2, return {rid}, £300.00) failed (ad-hoc check, in no "
        f"sample): no receipt for the clothing; £300.00 disallowed from the invoice of return {rid}"
    ) in res.output
    # 19,469.97 − 300.00 = 19,169.97
    assert (l7()["disallowed"], l7()["invoice"], l7()["net_payable"]) == ("300.00", "19169.97", "19169.97")
    with open_ledger(audit) as ledger:
        s = payments.schedule(ledger, Q2, Settings.defaults(), lh.refdata(audit.parent))
    words = dict(next(p for p in s.payments if p.contract == L7).inputs)
    assert words["disallowed"] == (
        "Transactions!A7 (Client travel and interview clothing, 20/08/2026, £300.00): "
        "failed spot check 1, no receipt for the clothing = £300.00"
    )
    assert words["invoice"] == "£19,469.97 − £300.00 = £19,169.97"
    # a pass of another transaction disallows nothing more; the words say it was checked
    assert (
        run(
            "spotcheck",
            "record",
            "Transactions!A2",
            "--return",
            rid,
            "--pass",
            "--reason",
            "payslip seen",
            "--db",
            audit,
        ).exit_code
        == 0
    )
    assert l7()["disallowed"] == "300.00"


def test_a_transaction_passed_disallows_nothing_and_says_so(audit):
    rid = _counted_id(audit)
    assert (
        run(
            "spotcheck",
            "record",
            "transactions!a3",
            "--return",
            rid,
            "--pass",
            "--reason",
            "payroll seen",
            "--db",
            audit,
        ).exit_code
        == 0
    )
    with open_ledger(audit) as ledger:
        d = assurance.disallowed(ledger, rid)
    assert (d.amount, d.words()) == (0, "no transactions disallowed (the 1 transaction spot checked passed)")


def test_spotcheck_record_refuses_what_it_cannot_name(tmp_path):
    path = build(tmp_path)
    res = run("spotcheck", "record", "L7-01-0013", "--fail", "--db", path)
    assert res.exit_code == 2 and "--reason" in res.output
    res = run("spotcheck", "record", "L7-01-0013", "--pass", "--fail", "--reason", "x", "--db", path)
    assert res.exit_code == 2 and "say --pass or --fail" in res.output
    res = run("spotcheck", "record", "L7-99-9999", "--fail", "--reason", "x", "--db", path)
    assert res.exit_code == 2 and "no claim 'L7-99-9999' in any counted return" in res.output
    res = run("spotcheck", "record", "Transactions!A7", "--fail", "--reason", "x", "--db", path)
    assert res.exit_code == 2 and "give --return N" in res.output
    res = run("spotcheck", "record", "L7-01-0013", "--fail", "--reason", "   ", "--db", path)
    assert res.exit_code == 2 and "needs a reason" in res.output
    assert _rows(path, "SELECT count(*) FROM spot_checks") == [(0,)]


def test_a_result_outside_any_sample_is_an_ad_hoc_check(tmp_path):
    path = build(tmp_path)
    res = run("spotcheck", "record", "L7-01-0013", "--pass", "--reason", "seen on the visit", "--db", path)
    assert res.exit_code == 0 and "(ad-hoc check, in no sample)" in res.output
    assert _rows(path, "SELECT sample_id, seq FROM spot_checks") == [(None, None)]
    out = run("samples", "--db", path).output
    assert "No spot-check samples recorded" in out and "Ad-hoc spot checks (in no sample): 1" in out
    assert "L7-01-0013" in out and "seen on the visit" in out


# --- the evidence workbook ----------------------------------------------------------------------------------


def _sha(p) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _sheet_rows(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_the_evidence_request_round_trips_through_spotcheck(audit):
    folder = audit.parent / "requests"
    res = run("sample", "--quarter", Q2, "--contract", L7, "--seed", "2026", "-o", folder, "--db", audit)
    assert res.exit_code == 0, res.output
    book = folder / "spot-check-1_SW-L7-01.xlsx"
    assert f"Evidence request: {book} (Peckham Recovery to Work, 10 items)" in res.output
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["About", "Claims to check", "Transactions to check"]
    about = {r[0]: r[1] for r in _sheet_rows(wb["About"]) if r[0]}
    assert (about["Sample"], about["Quarter"], about["Provider"], about["Seed"]) == (
        1,
        Q2,
        "Peckham Recovery to Work",
        "2026",
    )
    claims, trans = wb["Claims to check"], wb["Transactions to check"]
    assert _sheet_rows(claims)[0] == [
        "Item",
        "Contract",
        "Return",
        "Claim ref",
        "Client ref",
        "Output",
        "Date achieved",
        "Row",
        "Evidence expected",
        "Result",
        "Reason",
    ]
    assert _sheet_rows(trans)[0] == [
        "Item",
        "Contract",
        "Return",
        "Row",
        "Budget item",
        "Date defrayed",
        "Amount",
        "Evidence expected",
        "Result",
        "Reason",
    ]
    drawn = _rows(audit, "SELECT seq, kind, claim_ref, row FROM sample_items WHERE drawn IS NOT NULL ORDER BY seq")
    assert [r[0] for r in _sheet_rows(claims)[1:]] == [s for s, k, *_ in drawn if k == "claim"]
    assert [r[0] for r in _sheet_rows(trans)[1:]] == [s for s, k, *_ in drawn if k == "transaction"]
    # the Result column is a Pass/Fail list over every item's row
    [dv] = claims.data_validations.dataValidation
    assert (dv.type, dv.formula1, str(dv.sqref)) == ("list", '"Pass,Fail"', "J2:J6")
    by_ref = {r[3]: r for r in _sheet_rows(claims)[1:]}
    # TEMPLATES.md §4 for the output and its type (2a employed; 4 type C or A; 5 work experience)
    job = "one of: Employer letter or email; Signed contract; First payslip"
    expected = {
        "L7-01-0012": job,
        "L7-01-0013": job,
        "L7-01-0014": "one of: Employer letter or email; Contract of employment",
        "L7-01-0015": "one of: Employer letter or email; Contract of employment; Payslips before and after",
        **dict.fromkeys(("L7-01-0016", "L7-01-0017"), "Host letter, email or text with dates"),
        **dict.fromkeys(("L7-01-0018", "L7-01-0019", "L7-01-0020"), "one of: Attendance evidence; Certificate"),
        **dict.fromkeys(("L7-01-0021", "L7-01-0022"), "one of: Activity record; Referral confirmation"),
    }
    assert {ref: r[8] for ref, r in by_ref.items()} == {ref: expected[ref] for ref in by_ref}
    # App 2 §3.3 for a transaction: staff costs by payslip or payroll, the others by invoice and bank statement
    for r in _sheet_rows(trans)[1:]:
        staff = r[4] in ("Project manager 0.5 FTE", "Employment advisers 2 FTE")
        assert r[7].startswith("a payslip or payroll print-out" if staff else "the invoice or receipt"), r
    # the PMO fills it in: a claim fails, another passes without a reason, a transaction fails
    first, second = sorted(by_ref)[:2]
    row_of = {r[3]: i for i, r in enumerate(_sheet_rows(claims)[1:], 2)}
    claims[f"J{row_of[first]}"], claims[f"K{row_of[first]}"] = "Fail", "no evidence on the client record"
    claims[f"J{row_of[second]}"] = "pass"
    trans["I2"], trans["J2"] = "Fail", "invoice not provided"
    filled = audit.parent / "filled.xlsx"
    wb.save(filled)
    sha = _sha(filled)
    res = run("spotcheck", filled, "--db", audit)
    assert res.exit_code == 0, res.output
    assert f"{filled}: sample 1: 3 results recorded, 0 already recorded, 7 items without a result yet" in res.output
    assert _sha(filled) == sha  # the workbook read is never written to
    recorded = _rows(
        audit, "SELECT kind, claim_ref, sample_id, seq, result, reason, source FROM spot_checks ORDER BY id"
    )
    assert [r[:2] + r[4:6] for r in recorded] == [
        ("claim", first, "fail", "no evidence on the client record"),
        ("claim", second, "pass", "evidence seen"),
        ("transaction", None, "fail", "invoice not provided"),
    ]
    assert all(r[2] == 1 and r[6] == f"workbook filled.xlsx (sha256 {sha})" for r in recorded)
    assert {r[3] for r in recorded} == {by_ref[first][0], by_ref[second][0], _sheet_rows(trans)[1][0]}
    # the same workbook again records nothing new
    res = run("spotcheck", filled, "--db", audit)
    assert "0 results recorded, 3 already recorded" in res.output
    assert len(_rows(audit, "SELECT id FROM spot_checks")) == 3
    # and the sample shows its results
    shown = run("samples", "--id", 1, "--db", audit).output
    assert "3 of 10 items have a result: 1 passed, 2 failed" in shown


def test_an_evidence_request_is_never_written_over(audit):
    folder = audit.parent / "requests"
    folder.mkdir()
    (folder / "spot-check-1_SW-L7-01.xlsx").write_bytes(b"results typed in")
    res = run("sample", "--quarter", Q2, "--contract", L7, "-o", folder, "--db", audit)
    assert res.exit_code == 2
    assert "spot-check-1_SW-L7-01.xlsx already exists" in res.output
    assert (folder / "spot-check-1_SW-L7-01.xlsx").read_bytes() == b"results typed in"
    assert _rows(audit, "SELECT count(*) FROM samples") == [(0,)]  # refused before anything was recorded


def test_a_changed_or_wrongly_filled_workbook_records_nothing(audit):
    folder = audit.parent / "requests"
    assert run("sample", "--quarter", Q2, "--contract", L7, "--seed", "9", "-o", folder, "--db", audit).exit_code == 0
    wb = openpyxl.load_workbook(folder / "spot-check-1_SW-L7-01.xlsx")
    ws = wb["Claims to check"]
    ws["J2"], ws["K2"] = "Fail", "no payslip"
    ws["J3"] = "Maybe"
    ws["D4"] = "L7-01-9999"
    ws["J5"] = "Fail"
    bad = audit.parent / "bad.xlsx"
    wb.save(bad)
    res = run("spotcheck", bad, "--db", audit)
    assert res.exit_code == 2
    assert f"{bad}: nothing was recorded, because:" in res.output
    assert "Claims to check!J3: 'Maybe' is not Pass or Fail" in res.output
    assert "Claims to check!A4: item 3 does not match sample 1's record" in res.output
    assert "Claims to check!J5: item 4 fails without a Reason" in res.output
    assert _rows(audit, "SELECT count(*) FROM spot_checks") == [(0,)]
    res = run("spotcheck", lh.SAMPLES / "register.xlsx", "--db", audit)
    assert res.exit_code == 2 and "is not an evidence request written by `swtool sample`" in res.output


# --- the review -----------------------------------------------------------------------------------------------


def test_the_contract_screen_shows_the_spot_checks_on_s(audit):
    from tui_helpers import cells, drive, open_contract, static_text

    folder = audit.parent / "requests"
    res = run("sample", "--quarter", Q2, "--contract", L7, "--seed", "2026", "-o", folder, "--db", audit)
    assert res.exit_code == 0, res.output
    rid = _counted_id(audit)
    assert (
        run(
            "spotcheck", "record", "Transactions!A7", "--return", rid, "--fail", "--reason", "no receipt", "--db", audit
        ).exit_code
        == 0
    )
    seen = {}

    async def scenario(pilot):
        await open_contract(pilot, L7)
        await pilot.press("s")
        await pilot.pause()
        screen = pilot.app.screen
        seen["screen"] = type(screen).__name__
        seen["rows"] = cells(screen.query_one("#spotchecks"))
        seen["heading"] = static_text(screen, "#heading")
        seen["summary"] = static_text(screen, "#summary")

    drive(audit, audit.parent, scenario)
    assert seen["screen"] == "SpotChecksScreen"
    assert seen["heading"].startswith("Spot checks of SW-L7-01, 2026/27-Q2: the items drawn in 1 sample")
    # the 10 items drawn, and the check of Transactions!A7 as an ad-hoc one when the sample did not draw it
    drawn = _rows(audit, "SELECT seq FROM sample_items WHERE kind = 'transaction' AND row = 7 AND drawn IS NOT NULL")
    assert len(seen["rows"]) == 10 + (not drawn)
    [seven] = [r for r in seen["rows"] if r[3] == "Transactions!A7"]
    assert seven[:2] == (["1", str(drawn[0][0])] if drawn else ["-", "-"])
    assert (seven[5], seven[8], seven[9]) == ("£300.00", "fail", "no receipt")
    assert seen["summary"].endswith("transactions disallowed from the invoice: £300.00")


# --- across providers: C219 and C220 -----------------------------------------------------------------------


def test_an_import_that_repeats_an_earlier_start_shows_c219_on_both_returns(tmp_path):
    """SW-L7-01's return arrives after SW-L3-01's and claims the same job start, unshared: the import lists
    C219 on the return it stored and on SW-L3-01's earlier return, which now has it too."""
    import shutil

    from tests.functional.ledger.test_crosscheck import _same_start
    from tests.unit.calc.test_counting import without_l7_q2

    # the samples without SW-L7-01's Q2, then its Q2 changed as in the scenario "same start, not shared"
    held = tmp_path / "held"
    shutil.copytree(lh.SAMPLES / "returns" / "SW-L7-01", held / "SW-L7-01", ignore=shutil.ignore_patterns("*.json"))
    _same_start(shared=False)(held)
    later = (held / lh.L7_Q2).rename(tmp_path / "SW-L7-01_2026-27_Q2.xlsx")
    path = build(tmp_path / "ledger", without_l7_q2, scenario="SW-L7-01 without Q2")
    l3 = _counted_id(path, "SW-L3-01")
    res = run("import", later, "--today", "2026-11-23", "--db", path)
    l7 = _counted_id(path)
    assert (
        "Across contracts, on the returns just imported and the earlier returns whose claims they repeat (2):"
        in res.output
    ), res.output
    lines = [line.strip() for line in res.output.splitlines() if "C219" in line]
    assert [line.split("  ")[1].split(" (")[0] for line in lines] == ["SW-L3-01 2026/27-Q2", "SW-L7-01 2026/27-Q2"]
    assert f"(return {l3}) Claims!A2: claim L3-01-0107" in lines[0] and f"(return {l7}) Claims!A3" in lines[1]


def test_swtool_returns_lists_the_returns_with_c219(tmp_path):
    path = build(tmp_path, _same_start_unshared, scenario="same start, not shared")
    out = run("returns", "--db", path).output
    l3, l7 = _counted_id(path, "SW-L3-01"), _counted_id(path)
    assert (
        f"Across contracts (worked out now; `swtool returns --id N` shows them): return {l3}: 1 C219; "
        f"return {l7}: 1 C219"
    ) in out
    assert "Across contracts" not in run("returns", "--db", build(tmp_path / "plain")).output


def _same_start_unshared(returns):
    from tests.functional.ledger.test_crosscheck import _same_start

    _same_start(shared=False)(returns)


def test_swtool_returns_lists_c220_only_after_the_partners_final_deadline(tmp_path):
    """The listing works C220 out on the day it runs (today: after 2026/27 Q2's final deadline, 28/10/2026);
    ``cross_findings`` on the deadline itself finds nothing (tests/test_crosscheck.py)."""
    from datetime import date

    from swtool.ledger.crosscheck import cross_findings
    from tests.functional.ledger.test_crosscheck import _one_sided

    path = build(tmp_path, _one_sided, scenario="shared on one side")
    l3 = _counted_id(path, "SW-L3-01")
    with open_ledger(path) as ledger:
        assert cross_findings(ledger, lh.refdata(tmp_path), date(2026, 10, 28)) == []
        [f] = cross_findings(ledger, lh.refdata(tmp_path), date(2026, 10, 29))
    assert (f.code, f.return_id) == ("C220", l3)
    out = run("returns", "--db", path).output
    if date.today() > date(2026, 10, 28):
        assert f"Across contracts (worked out now; `swtool returns --id N` shows them): return {l3}: 1 C220" in out
    else:
        assert "Across contracts" not in out
