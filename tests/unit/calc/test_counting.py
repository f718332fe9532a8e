"""What counts, which version counts, voiding, approval and the payment schedule (RULES.md, "Calculations").

Every pound figure is worked out by hand in the test. The ledgers are built from copies of the shipped
samples, changed with openpyxl where a scenario needs it.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import ledger_helpers as lh
from swtool.cli import cli
from swtool.ledger import open_ledger, payments, store, views
from swtool.model.settings import Settings

Q1, Q2 = "2026/27-Q1", "2026/27-Q2"
L7 = "SW-L7-01"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def edit(path: Path, sheet: str, cell: str, value) -> Path:
    wb = openpyxl.load_workbook(path)
    wb[sheet][cell].value = value
    wb.save(path)
    return path


def build(folder: Path, change=None, register_change=None, scenario: str | None = None) -> Path:
    """A ledger from copies of the samples; ``change(returns_folder)`` edits the copies first.

    Building one takes seconds (every sample return is checked), so a ledger of the plain samples, or
    of a named ``scenario``, is built once per test run (``ledger_helpers.made_once``; a name always goes
    with the same changes) and each test gets its own complete copy (backup API)."""
    key = scenario if scenario is not None else (None if change or register_change else "samples")
    if key == "samples":  # the session's sample ledger (conftest's ``built``): one build for the whole run
        folder.mkdir(parents=True, exist_ok=True)
        return lh.clone(lh.sample_ledger(), folder / "ledger.sqlite3")
    if key is not None:
        built = lh.made_once(f"scenario {key}", lambda to: _build(to, change, register_change))
        folder.mkdir(parents=True, exist_ok=True)
        return lh.clone(built, folder / "ledger.sqlite3")
    return _build(folder, change, register_change)


# The scenarios change only these returns, each the last of its contract, so no other return is checked
# against them: a scenario is a copy of the ledger of every other sample return (made once per run) with
# its own versions of these imported. Return ids differ from the plain build's; the tests find them by name.
LAST = (lh.L3_Q2, Path("SW-L7-01") / "SW-L7-01_2026-27_Q1.xlsx", lh.L7_Q2)


def _without_last(folder: Path) -> Path:
    register, returns = lh.copy_samples(folder / "in")
    for rel in LAST:
        (returns / rel).unlink()
    return _import_all(folder, register, [returns])


def _import_all(folder: Path, register: Path, paths: list[Path], base: Path | None = None) -> Path:
    path = folder / "ledger.sqlite3"
    if base is not None:
        lh.clone(base, path)
    rd = lh.refdata(folder)
    with open_ledger(path) as ledger:
        if base is None:
            store.import_register(ledger, register, rd, Settings.defaults())
        results = store.import_returns(ledger, paths, rd, Settings.defaults(), lh.TODAY)
    assert all(r.status == "imported" for r in results), [r.line() for r in results]
    return path


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _build(folder: Path, change=None, register_change=None) -> Path:
    register, returns = lh.copy_samples(folder / "in")
    if change:
        change(returns)
    if register_change:
        register_change(register)
    rest = [p for p in sorted(returns.rglob("*.xlsx")) if p.relative_to(returns) not in LAST]
    untouched = register_change is None and [p.relative_to(returns) for p in rest] == [
        p.relative_to(lh.SAMPLES / "returns")
        for p in sorted((lh.SAMPLES / "returns").rglob("*.xlsx"))
        if p.relative_to(lh.SAMPLES / "returns") not in LAST
    ]
    if untouched and all(_sha(p) == _sha(lh.SAMPLES / "returns" / p.relative_to(returns)) for p in rest):
        base = lh.made_once("the sample ledger without the last returns of SW-L3-01 and SW-L7-01", _without_last)
        return _import_all(folder, register, [returns / rel for rel in LAST if (returns / rel).exists()], base)
    return _import_all(folder, register, [returns])


def import_one(path: Path, file: Path) -> store.ImportResult:
    with open_ledger(path) as ledger:
        [r] = store.import_returns(ledger, [file], lh.refdata(path.parent), Settings.defaults(), lh.TODAY)
    return r


def output_2(path: Path, quarter: str = Q2):
    with open_ledger(path) as ledger:
        report = views.credit_report(ledger, quarter, Settings.defaults(), lh.refdata(path.parent))
    cc = next(c for c in report.contracts if c.contract.contract_id == L7)
    return next(ln for ln in cc.lines if ln.output == "2")


# --- what counts -------------------------------------------------------------------------------------


def _outside_southwark(returns: Path) -> None:
    # SW700005, whose job start L7-01-0012 is claimed in Q2, was registered in Q1 (Registrations row 2)
    q1 = returns / "SW-L7-01" / "SW-L7-01_2026-27_Q1.xlsx"
    wb = openpyxl.load_workbook(q1)
    ws = wb["Registrations"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "SW700005")
    ws.cell(row, 6).value = "N1 9GU"  # Islington: a valid postcode, not a Southwark one (R102)
    wb.save(q1)


def test_a_job_start_of_an_ineligible_client_does_not_count(tmp_path):
    clean = output_2(build(tmp_path / "clean"))
    # lot 7, output 2 annual target 10: quarterly 2.5; two job starts = 80%: no credits
    assert (clean.actual, clean.due, clean.amount) == (2, False, Decimal("0.00"))

    path = build(tmp_path / "ineligible", _outside_southwark, scenario="registered outside Southwark")
    line = output_2(path)
    # one of the two starts is of a client registered outside Southwark in Q1: 1 of 2.5 = 40%.
    # Shortfall 2.5 − 1 = 1.5 credits × (£77,000 × 2) × 10% ÷ 10 = 1.5 × £1,540 = £2,310.00
    assert (line.actual, line.due, line.credits, line.amount) == (1, True, Decimal("1.5"), Decimal("2310.00"))
    with open_ledger(path) as ledger:
        standing = {c.claim_ref: c for c in store.claim_standings(ledger, L7, lh.refdata(tmp_path))}
    assert not standing["L7-01-0012"].counts
    assert "R102" in standing["L7-01-0012"].why and "(2026/27-Q1)" in standing["L7-01-0012"].why
    assert standing["L7-01-0013"].counts


def test_a_waiver_of_the_eligibility_error_makes_the_start_count_again(tmp_path):
    path = build(tmp_path, _outside_southwark, scenario="registered outside Southwark")
    with open_ledger(path) as ledger:
        q1 = store.counted_returns(ledger, lh.refdata(tmp_path), L7)[Q1]
        [f] = [f for f in store.findings_of(ledger, q1["id"]) if f["code"] == "R102"]
        store.decide_finding(ledger, q1["id"], "R102", f["cell"], "waive", "lives in Southwark; the form was wrong")
    line = output_2(path)
    assert (line.actual, line.amount) == (2, Decimal("0.00"))


# --- which version counts ---------------------------------------------------------------------------


def _after_final_deadline(tmp_path: Path) -> Path:
    """Version 2 of SW-L7-01 Q2, submitted 02/11/2026 (final deadline 28/10/2026), whose second job start
    names a client the contract never registered (C202 on its row: it does not count)."""
    v2 = tmp_path / "SW-L7-01_2026-27_Q2_v2.xlsx"
    shutil.copyfile(lh.SAMPLES / "returns" / lh.L7_Q2, v2)
    edit(v2, "Return", "B7", datetime(2026, 11, 2))
    edit(v2, "Claims", "A3", "L7-01-0013B")
    edit(v2, "Claims", "B3", "SW700099")  # an unknown client: C202 on the row, so it does not count
    return v2


def _with_after_final_deadline(tmp_path: Path) -> tuple[Path, store.ImportResult]:
    """A copy of the sample ledger with ``_after_final_deadline`` imported (made once per run), and what
    that import returned."""

    def make(folder: Path) -> Path:
        path = build(folder)
        r = import_one(path, _after_final_deadline(folder))
        (folder / "import.pickle").write_bytes(pickle.dumps(r))
        return path

    made = lh.made_once("the sample ledger with SW-L7-01 Q2 version 2 after the final deadline", make)
    return lh.clone(made, tmp_path / "ledger.sqlite3"), pickle.loads((made.parent / "import.pickle").read_bytes())


def test_a_version_after_the_final_deadline_counts_only_after_the_exception(tmp_path):
    path, r = _with_after_final_deadline(tmp_path)
    assert r.status == "imported" and r.version == 2
    line = output_2(path)
    assert (line.actual, line.amount) == (2, Decimal("0.00"))  # version 1 still counts: 2 of 2.5

    out = run("status", "--quarter", Q2, "--today", "2026-11-23", "--db", path).output
    assert f"Note: {L7} version 2 (return {r.return_id}) submitted 02/11/2026, after final deadline, not counted" in out
    listing = run("returns", "--quarter", Q2, "--contract", L7, "--db", path).output
    assert "no (after final deadline)" in listing and "after final deadline" in listing

    res = run(
        "decide", "return", r.return_id, "--count-late", "--reason", "agreed by the contract manager", "--db", path
    )
    assert res.exit_code == 0, res.output
    assert "counts although submitted after the final deadline" in res.output
    line = output_2(path)
    # version 2 counts: 1 job start of 2.5 = 40%: 1.5 credits × £1,540 = £2,310.00
    assert (line.actual, line.credits, line.amount) == (1, Decimal("1.5"), Decimal("2310.00"))
    assert "yes (by exception)" in run("returns", "--quarter", Q2, "--contract", L7, "--db", path).output


def test_count_late_is_refused_for_a_version_on_time(tmp_path):
    path = build(tmp_path)
    with open_ledger(path) as ledger:
        rid = store.counted_returns(ledger, None, L7)[Q2]["id"]
    res = run("decide", "return", rid, "--count-late", "--reason", "x", "--db", path)
    assert res.exit_code == 2
    assert "was not submitted after the final deadline (on time); it needs no exception to count" in res.output


# --- void --------------------------------------------------------------------------------------------


def without_l7_q2(returns: Path) -> None:
    for p in returns.glob("SW-L7-01/*Q2*"):
        p.unlink()


def _mistaken_q1(tmp_path: Path) -> tuple[Path, int]:
    """A ledger of the samples without SW-L7-01's Q2, then SW-L7-01's Q2 workbook imported by mistake as
    a second version of Q1 (its cover changed to Q1, submitted 14/07/2026, on time): made once per run,
    each test has a copy. Gives the copy and the mistaken return's id."""

    def make(folder: Path) -> Path:
        path = build(folder / "ledger", without_l7_q2, scenario="SW-L7-01 without Q2")
        mistake = folder / "mistake.xlsx"
        shutil.copyfile(lh.SAMPLES / "returns" / lh.L7_Q2, mistake)
        edit(mistake, "Return", "B5", "Q1")
        edit(mistake, "Return", "B7", datetime(2026, 7, 14))
        wrong = import_one(path, mistake)
        assert (wrong.quarter, wrong.version) == (Q1, 2)
        return path

    made = lh.made_once("scenario SW-L7-01 without Q2, its Q2 imported as Q1 by mistake", make)
    path = lh.clone(made, tmp_path / "ledger.sqlite3")
    with open_ledger(path) as ledger:
        [wrong] = [r["id"] for r in store.returns(ledger, L7, Q1) if r["version"] == 2]
    return path, wrong


def test_void_then_the_correct_return_comes_back_clean(tmp_path):
    """The mistaken Q1 becomes the history of the real Q2: C213 (claimed again) and R112 (registered
    twice) fire on it. Voiding the mistake checks Q2 again without it, and the findings go."""
    path, wrong = _mistaken_q1(tmp_path)
    right = import_one(path, lh.SAMPLES / "returns" / lh.L7_Q2)
    with open_ledger(path) as ledger:
        before = {f["code"] for f in store.findings_of(ledger, right.return_id) if f["severity"] == "error"}
    assert {"C213", "R112"} <= before

    res = run("void", wrong, "--reason", "Q2's workbook sent as Q1 by mistake", "--db", path)
    assert res.exit_code == 0, res.output
    assert f"voided return {wrong} ({L7} {Q1} version 2)" in res.output
    assert f"checked again: return {right.return_id} ({L7} {Q2} version 1): {right.errors} → 0 errors" in res.output
    with open_ledger(path) as ledger:
        after = [f for f in store.findings_of(ledger, right.return_id) if f["severity"] == "error"]
        assert after == []
        assert store.get_return(ledger, right.return_id)["errors"] == 0
        counted = store.counted_returns(ledger, None, L7)
        assert counted[Q1]["version"] == 1  # the real Q1 counts again
        assert counted[Q2]["id"] == right.return_id
    listing = run("returns", "--contract", L7, "--db", path).output
    assert "void" in listing
    again = run("void", wrong, "--reason", "twice", "--db", path)
    assert again.exit_code == 2 and "is void; nothing more can be decided on it" in again.output


def test_void_then_import_the_correct_return_clean(tmp_path):
    """The mistaken Q1 voided first: the real Q2 imported afterwards is checked without it, clean."""
    path, wrong = _mistaken_q1(tmp_path)
    res = run("void", wrong, "--reason", "Q2's workbook sent as Q1", "--db", path)
    assert res.exit_code == 0 and "no later return of the contract needed checking again" in res.output
    right = import_one(path, lh.SAMPLES / "returns" / lh.L7_Q2)
    assert (right.status, right.errors) == ("imported", 0)
    with open_ledger(path) as ledger:
        assert not {"C213", "R112"} & {f["code"] for f in store.findings_of(ledger, right.return_id)}


# --- approval and payments ----------------------------------------------------------------------------


def test_payments_pay_only_approved_returns_and_agree_with_credits(tmp_path):
    path = build(tmp_path)
    with open_ledger(path) as ledger:
        counted = store.counted_returns(ledger, None)
    l7, l4 = counted[(L7, Q2)]["id"], counted[("SW-L4-01", Q2)]["id"]
    assert (
        run(
            "decide",
            "credit",
            "SW-L4-01",
            "--quarter",
            Q2,
            "--output",
            "4",
            "--apply",
            "--reason",
            "no progressions",
            "--db",
            path,
        ).exit_code
        == 0
    )
    res = run("approve", l7, "--reason", "reviewed; evidence seen", "--db", path)
    assert res.exit_code == 0 and f"approved return {l7} ({L7} {Q2} version 1) for payment" in res.output
    assert run("approve", l4, "--reason", "reviewed", "--db", path).exit_code == 0
    assert run("approve", l4, "--hold", "--reason", "query on transactions", "--db", path).exit_code == 0

    data = json.loads(run("payments", "--quarter", Q2, "--format", "json", "--db", path).output)
    rows = {r["contract"]: r for r in data["contracts"]}
    # SW-L7-01 Q2 Actual spend: 4,256.44 + 10,733.69 + 1,504.71 + 1,980.94 + 994.19 = 19,469.97
    assert rows[L7] == {
        "contract": L7,
        "provider": "Peckham Recovery to Work",
        "return_id": l7,
        "approval": "approved",
        "expenditure": "19469.97",
        "disallowed": "0.00",
        "invoice": "19469.97",
        "credits_applied": "0.00",
        "q4_balancing": None,
        "net_payable": "19469.97",
    }
    # SW-L4-01: output 4 at 0 of 5: 5 credits × (£165,000 × 2) × 10% ÷ 20 = £8,250.00 applied; held: not payable
    assert rows["SW-L4-01"]["approval"] == "held" and rows["SW-L4-01"]["credits_applied"] == "8250.00"
    assert rows["SW-L4-01"]["net_payable"] is None
    assert rows["SW-L3-01"]["approval"] == "not reviewed"
    # the totals are the sums of the rows
    for k in payments.AMOUNTS:
        assert Decimal(data["totals"][k]) == sum(
            (Decimal(r[k]) for r in data["contracts"] if r[k] is not None), Decimal(0)
        ), k
    assert data["totals"]["net_payable"] == "19469.97"
    # swtool credits shows the same applied amount
    credits = json.loads(run("credits", "--quarter", Q2, "--format", "json", "--db", path).output)
    applied = [o["amount"] for c in credits["contracts"] for o in c["outputs"] if o["status"] == "applied"]
    assert applied == ["8250.00"] == [data["totals"]["credits_applied"]]


def test_approve_refuses_a_version_that_does_not_count(tmp_path):
    path, r = _with_after_final_deadline(tmp_path)
    res = run("approve", r.return_id, "--reason", "x", "--db", path)
    assert res.exit_code == 2
    assert "is not the version that counts for 2026/27-Q2" in res.output and "--count-late" in res.output


def test_q4_balancing_payment_with_funding_paid_100000(tmp_path):
    def funding(register: Path) -> None:
        wb = openpyxl.load_workbook(register)
        ws = wb["Contracts"]
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "SW-L3-01")
        ws.cell(row, 7).value = 100000
        wb.save(register)

    # the register of the samples with the funding paid, imported as its next version (as at a year end)
    path = build(tmp_path)
    register = tmp_path / "register.xlsx"
    shutil.copyfile(lh.SAMPLES / "register.xlsx", register)
    funding(register)
    with open_ledger(path) as ledger:
        assert store.import_register(ledger, register, lh.refdata(tmp_path), Settings.defaults()).version == 2
    q4 = "2025/26-Q4"
    with open_ledger(path) as ledger:
        rid = store.counted_returns(ledger, None, "SW-L3-01")[q4]["id"]
    assert run("approve", rid, "--reason", "year end reviewed", "--db", path).exit_code == 0
    data = json.loads(run("payments", "--quarter", q4, "--format", "json", "--db", path).output)
    row = next(r for r in data["contracts"] if r["contract"] == "SW-L3-01")
    # eligible to date: Q3 8,399.83 + 22,720.77 + 3,078.74 + 4,053.31 + 2,019.26 = 40,271.91
    #                 + Q4 8,984.20 + 20,936.38 + 3,120.01 + 3,874.60 + 2,046.69 = 38,961.88 → 79,233.79
    # (no return for 2025/26 Q1 and Q2 in the ledger: £0.00). 79,233.79 − 100,000.00 = −20,766.21
    assert row["expenditure"] == "38961.88"
    assert row["q4_balancing"] == "-20766.21" and row["invoice"] == "-20766.21"
    assert row["net_payable"] == "-20766.21"
    text = run("payments", "--quarter", q4, "--db", path).output
    assert "-£20,766.21" in text


def test_payments_xlsx_and_csv(tmp_path):
    path = build(tmp_path)
    out = tmp_path / "pay.xlsx"
    res = run("payments", "--quarter", Q2, "--format", "xlsx", "-o", out, "--db", path)
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Payments", "Inputs"]
    ws = wb["Payments"]
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
    l7 = next(v for v in values if v[0] == L7)
    assert l7[4] == pytest.approx(19469.97) and l7[3] == "not reviewed"
    assert values[-1][0] == "Total"
    assert not any(isinstance(c.value, str) and c.value.startswith("=") for row in ws.iter_rows() for c in row)
    inputs = [[c.value for c in row] for row in wb["Inputs"].iter_rows(min_row=2)]
    assert [L7, "expenditure"] in [r[:2] for r in inputs]
    csv_text = run("payments", "--quarter", Q2, "--format", "csv", "--db", path).output
    assert csv_text.splitlines()[0] == (
        "contract,provider,return_id,approval,expenditure,disallowed,invoice,credits_applied,q4_balancing,net_payable"
    )
    assert any(
        line.startswith(f"{L7},Peckham Recovery to Work,") and ",19469.97," in line for line in csv_text.splitlines()
    )
    refused = run("payments", "--quarter", Q2, "--format", "xlsx", "-o", path, "--db", path)
    assert refused.exit_code == 2


# --- import refuses a quarter that cannot be right ---------------------------------------------------


def test_import_refuses_a_quarter_outside_the_term_unless_forced(tmp_path):
    path = build(tmp_path)
    wrong = tmp_path / "wrong-year.xlsx"
    shutil.copyfile(lh.SAMPLES / "returns" / lh.L7_Q2, wrong)
    edit(wrong, "Return", "B4", "2027/28")
    edit(wrong, "Return", "B5", "Q1")  # the contract ends on 31/03/2027
    with open_ledger(path) as ledger:
        before = (len(store.returns(ledger)), len(store.received(ledger)))
    res = run("import", wrong, "--db", path, "--today", "2026-11-23")
    assert res.exit_code == 1
    assert (
        "not imported: SW-L7-01 2027/28-Q1: the quarter is outside the contract's term (01/04/2025 to "
        "31/03/2027) (D605); nothing was recorded. Check the Return sheet, or import it with --force"
    ) in res.output
    with open_ledger(path) as ledger:
        assert (len(store.returns(ledger)), len(store.received(ledger))) == before
    forced = run("import", wrong, "--force", "--db", path, "--today", "2026-11-23")
    assert "imported as version 1 of SW-L7-01 2027/28-Q1" in forced.output


def test_import_refuses_a_quarter_not_in_the_calendar(tmp_path):
    path = build(tmp_path)
    wrong = tmp_path / "far-future.xlsx"
    shutil.copyfile(lh.SAMPLES / "returns" / lh.L7_Q2, wrong)
    edit(wrong, "Return", "B4", "2031/32")
    res = run("import", wrong, "--db", path, "--today", "2026-11-23")
    assert res.exit_code == 1
    assert "SW-L7-01 2031/32-Q2: the quarter is not in the framework calendar (D601)" in res.output
