"""The PMO's ledger: nothing recorded is ever lost, changed or half-written.

Most tests work on a copy (made with the backup API) of one ledger built from the shipped samples.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import ledger_helpers as lh
from swtool.errors import SwtoolError
from swtool.ledger import LedgerError, db, open_ledger, store, views
from swtool.model.quarter import Quarter
from swtool.model.settings import Settings

SETTINGS = Settings.defaults()


@pytest.fixture
def ledger_path(built, tmp_path):
    return lh.clone(built, tmp_path / "ledger" / "ledger.sqlite3")


@pytest.fixture
def inputs(tmp_path):
    return lh.copy_samples(tmp_path / "in")


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


# --- the file ------------------------------------------------------------------------------------


def test_new_ledger_is_private_and_durable(tmp_path):
    path = tmp_path / "l" / "ledger.sqlite3"
    with open_ledger(path) as ledger:
        c = ledger.conn
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert c.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert c.execute("PRAGMA busy_timeout").fetchone()[0] == db.BUSY_TIMEOUT_MS
        assert c.execute("PRAGMA application_id").fetchone()[0] == db.APPLICATION_ID
        assert ledger.schema_version == len(db.MIGRATIONS)
        with ledger.transaction() as t:
            t.execute(
                "INSERT INTO raps (contract_id, quarter, review_date, created_at, created_by) "
                "VALUES ('SW-L3-01', '2026/27-Q2', '2027-01-13', 'now', 'me')"
            )
        assert _mode(path) == 0o600
        assert _mode(Path(str(path) + "-wal")) == 0o600


def test_default_ledger_is_in_the_user_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SWTOOL_DATA_DIR", str(tmp_path / "data"))
    with open_ledger() as ledger:
        assert ledger.path == tmp_path / "data" / "ledger.sqlite3"
    assert (tmp_path / "data" / "ledger.sqlite3").exists()


def test_not_a_ledger_is_refused_and_left_alone(tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database " * 200)
    before = junk.read_bytes()
    with pytest.raises(LedgerError, match="cannot be used: file is not a database"):
        open_ledger(junk)
    assert junk.read_bytes() == before
    other = tmp_path / "other.sqlite3"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(LedgerError, match="not a swtool ledger"):
        open_ledger(other)


def test_damaged_ledger_is_refused(built, tmp_path):
    path = lh.clone(built, tmp_path / "damaged.sqlite3")
    with open_ledger(path) as ledger:
        page = ledger.conn.execute("PRAGMA page_size").fetchone()[0]
        root = ledger.conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'claims'").fetchone()[0]
    data = bytearray(path.read_bytes())
    start = (root - 1) * page
    data[start + 8 : start + page] = b"\xff" * (page - 8)  # wreck the claims table's root page
    path.write_bytes(bytes(data))
    with pytest.raises(LedgerError, match="damaged"):
        open_ledger(path)


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    open_ledger(path).close()
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {len(db.MIGRATIONS) + 1}")
    con.commit()
    con.close()
    with pytest.raises(LedgerError, match="newer swtool"):
        open_ledger(path)


def test_migration_is_preceded_by_a_backup(ledger_path, monkeypatch):
    with open_ledger(ledger_path) as ledger:
        store.decide_credit(ledger, "SW-L4-01", lh.Q2, "4", "waive", "agreed at the review meeting")
        before = ledger.schema_version
    monkeypatch.setattr(db, "MIGRATIONS", [*db.MIGRATIONS, ["CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)"]])
    with open_ledger(ledger_path) as ledger:
        assert ledger.schema_version == before + 1
        backup = ledger.migration_backup
        assert ledger.conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 0
    assert backup is not None and backup.exists() and _mode(backup) == 0o600
    con = sqlite3.connect(backup)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == before
        assert con.execute("SELECT reason FROM decisions").fetchall() == [("agreed at the review meeting",)]
        assert con.execute("SELECT count(*) FROM returns").fetchone()[0] == 13
    finally:
        con.close()


# --- the register --------------------------------------------------------------------------------


def test_register_versions_are_kept(tmp_path, inputs):
    register, _ = inputs
    rd = lh.refdata(tmp_path)
    with open_ledger(tmp_path / "ledger.sqlite3") as ledger:
        first = store.import_register(ledger, register, rd, SETTINGS)
        again = store.import_register(ledger, register, rd, SETTINGS)
        assert (first.version, first.contracts, first.already) == (1, 7, False)
        assert (again.version, again.already) == (1, True)
        wb = openpyxl.load_workbook(register)
        ws = wb["Contracts"]
        headers = [c.value for c in ws[1]]
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "SW-L7-01")
        ws.cell(row, headers.index("Annual value") + 1).value = 80000
        changed = tmp_path / "register-v2.xlsx"
        wb.save(changed)
        second = store.import_register(ledger, changed, rd, SETTINGS)
        assert (second.version, second.already) == (2, False)
        assert store.current_register(ledger).contracts["SW-L7-01"].annual_value == Decimal("80000.00")
        assert store.current_register(ledger, 1).contracts["SW-L7-01"].annual_value == Decimal("77000.00")
        stored = ledger.conn.execute("SELECT stored_file FROM register_versions ORDER BY id").fetchall()
        assert all((ledger.dir / s).exists() for (s,) in stored)


def test_register_warnings_are_returned_and_kept(tmp_path, inputs):
    register, _ = inputs
    wb = openpyxl.load_workbook(register)
    ws = wb["Targets"]
    headers = [c.value for c in ws[1]]
    for r in range(2, ws.max_row + 1):  # SW-L7-01 output 4 below lot 7's framework minimum of 9
        if ws.cell(r, 1).value == "SW-L7-01" and str(ws.cell(r, headers.index("Output") + 1).value) == "4":
            ws.cell(r, headers.index("Annual target") + 1).value = 5
    low = tmp_path / "low.xlsx"
    wb.save(low)
    with open_ledger(tmp_path / "ledger.sqlite3") as ledger:
        result = store.import_register(ledger, low, lh.refdata(tmp_path), SETTINGS)
        kept = json.loads(ledger.conn.execute("SELECT warnings FROM register_versions").fetchone()[0])
    assert [(w["code"], w["contract_ids"]) for w in result.warnings] == [("K704", ["SW-L7-01"])]
    assert "below the lot's framework minimum of 9" in result.warnings[0]["message"]
    assert kept == json.loads(json.dumps(result.warnings))


def test_import_needs_a_register(tmp_path, inputs):
    with (
        open_ledger(tmp_path / "ledger.sqlite3") as ledger,
        pytest.raises(LedgerError, match="no contract register yet"),
    ):
        store.import_returns(ledger, [inputs[1]], lh.refdata(tmp_path), SETTINGS, lh.TODAY)


# --- returns ---------------------------------------------------------------------------------------


def test_samples_are_imported_with_findings_and_records(ledger_path):
    with open_ledger(ledger_path) as ledger:
        rows = store.returns(ledger)
        assert len(rows) == 13 and {r["version"] for r in rows} == {1}
        l3 = store.returns(ledger, "SW-L3-01")
        assert [r["quarter"] for r in l3] == ["2025/26-Q3", "2025/26-Q4", "2026/27-Q1", "2026/27-Q2"]
        for r in rows:  # every stored file is the file checked, read-only
            f = ledger.dir / r["stored_file"]
            assert store.hashlib.sha256(f.read_bytes()).hexdigest() == r["sha256"]
            assert _mode(f) == 0o400 and _mode(f.parent) == _mode(f.parent.parent) == 0o700
        q2 = next(r for r in l3 if r["quarter"] == lh.Q2)
        assert (q2["errors"], q2["warnings"]) == (0, 1)
        found = store.findings_of(ledger, q2["id"])
        assert [(f["code"], f["severity"]) for f in found] == [("P309", "warning")]
        claims = ledger.conn.execute(
            "SELECT output, count(*) FROM claims WHERE return_id = ? GROUP BY output", (q2["id"],)
        ).fetchall()
        assert dict(claims) == {"2a": 9, "2b": 1, "3a": 9, "3b": 1, "4": 5, "5": 3, "6": 8, "7": 5, "8": 2}
        assert store.actuals(ledger, "SW-L3-01")[Quarter.parse(lh.Q2)]["1"] == 30
        cols = [r[1] for r in ledger.conn.execute("PRAGMA table_info(claims)")]
        assert "notes" not in cols and "evidence_reference" not in cols
        assert "postcode" not in [r[1] for r in ledger.conn.execute("PRAGMA table_info(registrations)")]


def test_reimport_is_a_noop_that_says_so(ledger_path, inputs):
    _, returns = inputs
    with open_ledger(ledger_path) as ledger:
        before = (
            ledger.conn.execute("SELECT count(*) FROM returns").fetchone()[0],
            ledger.conn.execute("SELECT count(*) FROM findings").fetchone()[0],
        )
        results = store.import_returns(ledger, [returns / lh.L3_Q2], lh.refdata(ledger.dir), SETTINGS, lh.TODAY)
        after = (
            ledger.conn.execute("SELECT count(*) FROM returns").fetchone()[0],
            ledger.conn.execute("SELECT count(*) FROM findings").fetchone()[0],
        )
    assert [r.status for r in results] == ["already"]
    assert results[0].line().startswith("already imported as version 1 of SW-L3-01 2026/27-Q2 (return ")
    assert after == before


def _late_l7(tmp_path: Path) -> tuple[Path, list[store.ImportResult]]:
    """A copy of a ledger of the sample register, SW-L7-01's Q1 and its Q2 with the second job start dated
    after the quarter (``late_claim_return``), made once per run; and what the import returned."""

    def make(folder: Path) -> Path:
        register, returns = lh.copy_samples(folder / "in")
        rd = lh.refdata(folder)
        faulty = lh.late_claim_return(returns / lh.L7_Q2, folder / "SW-L7-01_Q2_first.xlsx")
        with open_ledger(folder / "ledger.sqlite3") as ledger:
            store.import_register(ledger, register, rd, SETTINGS)
            first = store.import_returns(
                ledger, [returns / "SW-L7-01" / "SW-L7-01_2026-27_Q1.xlsx", faulty], rd, SETTINGS, lh.TODAY
            )
        (folder / "import.pickle").write_bytes(pickle.dumps(first))
        return folder / "ledger.sqlite3"

    made = lh.made_once("a ledger of SW-L7-01's Q1 and a Q2 with a late job start", make)
    path = lh.clone(made, tmp_path / "ledger" / "ledger.sqlite3")
    return path, pickle.loads((made.parent / "import.pickle").read_bytes())


def test_corrected_resubmission_is_the_next_version(tmp_path, inputs):
    _, returns = inputs
    rd = lh.refdata(tmp_path)
    path, first = _late_l7(tmp_path)
    with open_ledger(path) as ledger:
        assert [(r.status, r.version, r.errors) for r in first] == [("imported", 1, 0), ("imported", 1, 1)]
        v1 = first[1].return_id
        claim = ledger.conn.execute(
            "SELECT claim_ref, valid, reason FROM claims WHERE return_id = ? AND row = 3", (v1,)
        ).fetchone()
        assert claim == ("L7-01-0013", 0, "error finding on its row: C201")
        l7 = ledger_credits(ledger)
        assert l7["outputs"][0] == {
            "output": "2",
            "target": 2.5,
            "actual": 1,
            "percent": 40,
            "credit_value": "1540.00",
            "credits": 1.5,
            "amount": "2310.00",
            "status": "pending",
        }
        second = store.import_returns(ledger, [returns / lh.L7_Q2], rd, SETTINGS, lh.TODAY)
        assert second[0].line().startswith("imported as version 2 of SW-L7-01 2026/27-Q2")
        versions = store.returns(ledger, "SW-L7-01", lh.Q2)
        assert [(r["version"], r["latest"], r["errors"]) for r in versions] == [(1, 0, 1), (2, 1, 0)]
        # version 1 is still there to see: its findings, its records and its file
        assert [f["code"] for f in store.findings_of(ledger, v1) if f["severity"] == "error"] == ["C201"]
        assert store.stored_path(ledger, v1).exists()
        assert ledger_credits(ledger)["outputs"][0]["actual"] == 2  # the latest version counts
        assert ledger_credits(ledger)["outputs"][0]["status"] == "not due"


def ledger_credits(ledger, contract="SW-L7-01"):
    report = views.credit_report(ledger, lh.Q2, SETTINGS).to_dict()
    return next(c for c in report["contracts"] if c["contract"] == contract)


def test_unreadable_file_is_recorded_as_received_only(ledger_path, tmp_path):
    bad = tmp_path / "SW-L9-01 return.xlsx"
    bad.write_text("Provider,Contract ID\nCamberwell Progress Partnership,SW-L9-01\n")
    with open_ledger(ledger_path) as ledger:
        rd = lh.refdata(tmp_path)
        [r] = store.import_returns(ledger, [bad], rd, SETTINGS, lh.TODAY)
        assert r.status == "unreadable" and "not an Excel workbook" in r.line()
        assert ledger.conn.execute("SELECT outcome, source_name FROM received").fetchall() == [
            ("unreadable", "SW-L9-01 return.xlsx")
        ]
        assert ledger.conn.execute("SELECT count(*) FROM returns").fetchone()[0] == 13
        [again] = store.import_returns(ledger, [bad], rd, SETTINGS, lh.TODAY)
        assert again.status == "already" and "already recorded as unreadable" in again.line()


def test_receipt_beside_the_file_is_noted(ledger_path, tmp_path, inputs):
    from swtool.findings import FileReport
    from swtool.write import receipt as rc

    _, returns = inputs
    source = returns / "SW-L9-01" / "SW-L9-01_2026-27_Q1.xlsx"
    edited = tmp_path / "SW-L9-01_Q1_v2.xlsx"
    wb = openpyxl.load_workbook(source)
    wb["Return"]["B6"].value = "Operations manager"
    wb.save(edited)
    sha = store.hashlib.sha256(edited.read_bytes()).hexdigest()
    rc.write(rc.build(FileReport(str(edited), sha256=sha), edited, lh.TODAY, "rules", {}), edited)
    with open_ledger(ledger_path) as ledger:
        [r] = store.import_returns(ledger, [edited], lh.refdata(tmp_path), SETTINGS, lh.TODAY)
        assert (r.status, r.version, r.receipt) == ("imported", 2, "matches")
        row = store.get_return(ledger, r.return_id)
        assert row["receipt_status"] == "matches" and json.loads(row["receipt"])["sha256"] == sha
    other = tmp_path / "other.xlsx"
    wb["Return"]["B6"].value = "Director"
    wb.save(other)
    rc.write(rc.build(FileReport(str(other), sha256=sha), other, lh.TODAY, "rules", {}), other)  # not its sha
    with open_ledger(ledger_path) as ledger:
        [r] = store.import_returns(ledger, [other], lh.refdata(tmp_path), SETTINGS, lh.TODAY)
        assert r.receipt == "different file" and "receipt beside it is for a different file" in r.line()


# --- decisions -------------------------------------------------------------------------------------


def test_decisions_survive_reopening_and_the_latest_wins(ledger_path):
    with open_ledger(ledger_path) as ledger:
        rid = store.returns(ledger, "SW-L3-01", lh.Q2)[0]["id"]
        [cell] = [f["cell"] for f in store.findings_of(ledger, rid)]
        store.decide_finding(ledger, rid, "P309", cell, "query", "asked the provider for the CPI month")
        store.decide_finding(ledger, rid, "p309", cell.lower(), "accept", "stale reference data, no action")
        views.decide_credit(ledger, "SW-L4-01", lh.Q2, "4", "apply", "no progressions at all", SETTINGS)
        views.decide_credit(ledger, "SW-L4-01", lh.Q2, "4", "waive", "provider evidenced a data-entry delay", SETTINGS)
        with pytest.raises(LedgerError, match="needs a reason"):
            views.decide_credit(ledger, "SW-L4-01", lh.Q2, "4", "apply", "  ", SETTINGS)
        with pytest.raises(LedgerError, match="output 1 carries no service credits for lot 4"):
            views.decide_credit(ledger, "SW-L4-01", lh.Q2, "1", "apply", "x", SETTINGS)
        with pytest.raises(LedgerError, match="'SW-L6-01' is not in the register"):
            views.decide_credit(ledger, "SW-L6-01", lh.Q2, "2", "apply", "x", SETTINGS)
        with pytest.raises(LedgerError, match=f"has no P309 finding at Claims!A1 .its P309 findings are at: {cell}"):
            store.decide_finding(ledger, rid, "P309", "Claims!A1", "accept", "x")
        with pytest.raises(LedgerError, match="one of accept, query, waive"):
            store.decide_finding(ledger, rid, "P309", cell, "ignore", "x")
    with open_ledger(ledger_path) as ledger:
        log = store.decisions(ledger)
        assert [(d["kind"], d["action"]) for d in log] == [
            ("finding", "query"),
            ("finding", "accept"),
            ("credit", "apply"),
            ("credit", "waive"),
        ]
        assert all(d["who"] and d["at"].endswith("Z") for d in log)
        latest = store.decisions(ledger, latest=True)
        assert [(d["target"], d["action"]) for d in latest] == [
            (f"finding:{rid}:P309:{cell}", "accept"),
            (f"credit:SW-L4-01:{lh.Q2}:4", "waive"),
        ]
        assert [f["decision"] for f in store.findings_of(ledger, rid)] == ["accept"]
        l4 = ledger_credits(ledger, "SW-L4-01")["outputs"][1]
        assert (l4["amount"], l4["status"]) == ("8250.00", "waived")
        detail = json.loads(log[3]["detail"])
        assert (detail["credits"], detail["amount"], detail["due"]) == (5, "8250.00", True)


def test_recorded_rows_cannot_be_changed_or_deleted(ledger_path):
    with open_ledger(ledger_path) as ledger:
        store.decide_credit(ledger, "SW-L4-01", lh.Q2, "4", "apply", "no progressions at all")
        c = ledger.conn
        for sql in (
            "UPDATE decisions SET action = 'waive'",
            "DELETE FROM decisions",
            "UPDATE returns SET errors = 0",
            "DELETE FROM returns WHERE id = 1",
            "DELETE FROM findings",
            "UPDATE claims SET valid = 1",
            "DELETE FROM registrations",
            "DELETE FROM register_versions",
        ):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                c.execute(sql)
        with pytest.raises(sqlite3.IntegrityError):  # a decision without a reason cannot even be inserted
            c.execute(
                "INSERT INTO decisions (at, who, kind, target, action, reason, contract_id, quarter, output) "
                "VALUES ('now', 'me', 'credit', 't', 'apply', '', 'SW-L4-01', '2026/27-Q2', '4')"
            )
        assert [d["action"] for d in store.decisions(ledger)] == ["apply"]


def test_waiving_every_error_on_a_claim_makes_it_count(tmp_path):
    path, [_, r] = _late_l7(tmp_path)
    with open_ledger(path) as ledger:
        q2 = Quarter.parse(lh.Q2)
        assert store.actuals(ledger, "SW-L7-01")[q2]["2a"] == 1
        store.decide_finding(ledger, r.return_id, "C201", "Claims!D3", "query", "is this a Q3 job start?")
        assert store.actuals(ledger, "SW-L7-01")[q2]["2a"] == 1  # a query leaves the finding standing
        store.decide_finding(ledger, r.return_id, "C201", "Claims!D3", "waive", "start confirmed on 30/09/2026")
        assert store.actuals(ledger, "SW-L7-01")[q2]["2a"] == 2
        assert ledger_credits(ledger)["outputs"][0]["status"] == "not due"


# --- remedial action plans ---------------------------------------------------------------------------


def test_rap_is_written_recorded_listed_and_closed_with_a_reason(ledger_path, tmp_path):
    from datetime import date

    from swtool.ledger import rapplan

    out = tmp_path / "rap.xlsx"
    with open_ledger(ledger_path) as ledger:
        rap_id, written, review = rapplan.create(
            ledger, "SW-L4-01", Quarter.parse(lh.Q2), out, lh.refdata(tmp_path), SETTINGS, lh.TODAY
        )
        assert written == out and review == date(2027, 1, 13)  # the 2026/27-Q3 reporting deadline
        with pytest.raises(LedgerError, match="already open"):
            rapplan.create(
                ledger,
                "SW-L4-01",
                Quarter.parse(lh.Q2),
                tmp_path / "again.xlsx",
                lh.refdata(tmp_path),
                SETTINGS,
                lh.TODAY,
            )
        assert not (tmp_path / "again.xlsx").exists()
        [row] = store.raps(ledger, lh.TODAY)
        assert (row["id"], row["contract_id"], row["status"], row["overdue"]) == (rap_id, "SW-L4-01", "open", False)
        assert row["last_reason"] == (
            "core output at or below 70% of the quarterly target in 2026/27-Q2: output 4 0 of 5 = 0%"
        )
        assert store.raps(ledger, date(2027, 1, 14))[0]["overdue"] is True
        with pytest.raises(LedgerError, match="needs a reason"):
            store.close_rap(ledger, rap_id, "")
        store.close_rap(ledger, rap_id, "progressions back on profile in Q3")
        assert store.raps(ledger, lh.TODAY) == []
        assert store.raps(ledger, lh.TODAY, include_closed=True)[0]["status"] == "closed"
        with pytest.raises(LedgerError, match="already closed"):
            store.close_rap(ledger, rap_id, "again")
    text = [str(c.value) for row in openpyxl.load_workbook(out).active.iter_rows() for c in row if c.value]
    assert any("Rotherhithe Supported Employment" in t for t in text)
    assert any(t.startswith("• Output 4 (progressions into a better role), 2026/27-Q2: 0 achieved") for t in text)


def test_network_report_is_written_from_the_ledger(ledger_path, tmp_path):
    from swtool.ledger import netreport

    out = tmp_path / "network.xlsx"
    with open_ledger(ledger_path) as ledger:
        data = netreport.network_data(ledger, 2026, lh.refdata(tmp_path), SETTINGS, lh.TODAY)
        netreport.write(ledger, 2026, out, lh.refdata(tmp_path), SETTINGS, lh.TODAY)
    l3 = {(r.output, str(r.quarter)): (r.actual, r.target) for r in data.outputs if r.contract_id == "SW-L3-01"}
    assert l3[("2", lh.Q2)] == (10, 10) and l3[("4", lh.Q2)] == (5, Decimal("5.25"))
    assert not any(str(r.quarter).startswith("2025/26") for r in data.outputs)
    assert {r.measure for r in data.equalities} == {"registration", "job outcome"}
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [
        "About",
        "Outputs",
        "Shared outputs",
        "Equalities",
        "Charts",
        "Equality of outcome",
        "Referrals",
        "Value for money",
        "Produced from",
    ]
    cells = {str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None}
    assert not any(v.startswith("SW3") or v.startswith("SW7") for v in cells)  # no client refs


# --- backups, crashes and concurrency -----------------------------------------------------------------


def test_backup_opens_as_a_complete_ledger(ledger_path, tmp_path):
    with open_ledger(ledger_path) as ledger:
        store.decide_credit(ledger, "SW-L4-01", lh.Q2, "4", "waive", "agreed at review")
        rid = store.returns(ledger, "SW-L3-01", lh.Q2)[0]["id"]
        result = ledger.backup(tmp_path / "copy" / "backup.sqlite3")
        with pytest.raises(LedgerError, match="the ledger itself"):
            ledger.backup(ledger_path)
    assert result.files_copied == 14 and _mode(result.path) == 0o600  # 13 returns and the register
    with open_ledger(result.path) as copy:
        assert [d["reason"] for d in store.decisions(copy)] == ["agreed at review"]
        assert views.return_findings(copy, rid, lh.refdata(tmp_path))[0]["code"] == "P309"  # reads its stored file


def _swtool(*args, env=None, **kw):
    return subprocess.Popen(
        [sys.executable, "-m", "swtool", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or dict(os.environ),
        **kw,
    )


# The fault is injected from outside: a launcher patches the import's first write after the return's
# row to write a marker and wait, inside the transaction, then runs the real command.
_PAUSED = """
import sys, time
from pathlib import Path
from swtool.ledger import store
def pause(*args, **kw):
    Path(sys.argv[1]).write_text("paused")
    time.sleep(600)
store._insert_findings = pause
from swtool.cli import cli
cli(sys.argv[2:], prog_name="swtool")
"""


def _paused_import(marker: Path, *args):
    return subprocess.Popen(
        [sys.executable, "-c", _PAUSED, str(marker), "import", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kill_9_mid_import_leaves_the_ledger_intact(tmp_path, inputs):
    register, returns = inputs
    path = tmp_path / "ledger.sqlite3"
    rd = lh.refdata(tmp_path)
    with open_ledger(path) as ledger:
        store.import_register(ledger, register, rd, SETTINGS)
        store.import_returns(ledger, [returns / "SW-L3-01" / "SW-L3-01_2025-26_Q3.xlsx"], rd, SETTINGS, lh.TODAY)
        store.decide_credit(ledger, "SW-L3-01", "2025/26-Q3", "2", "waive", "mobilisation quarter")
    marker = tmp_path / "paused"
    proc = _paused_import(
        marker, returns / "SW-L3-01" / "SW-L3-01_2025-26_Q4.xlsx", "--db", path, "--today", lh.TODAY.isoformat()
    )
    try:
        deadline = time.monotonic() + 600  # a hang guard only
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the import never reached its transaction"
            time.sleep(0.05)
        with open_ledger(path) as ledger:  # a reader meanwhile sees the committed data only
            assert ledger.conn.execute("SELECT count(*) FROM returns").fetchone()[0] == 1
    finally:
        if proc.poll() is None:  # already gone when an assertion above failed: its output says why
            os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    with open_ledger(path) as ledger:  # quick_check passed
        c = ledger.conn
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert [r["quarter"] for r in store.returns(ledger)] == ["2025/26-Q3"]
        assert [d["reason"] for d in store.decisions(ledger)] == ["mobilisation quarter"]
        for table in ("findings", "claims", "registrations", "expenditure"):
            assert c.execute(f"SELECT count(*) FROM {table} WHERE return_id != 1").fetchone()[0] == 0
        l3 = returns / "SW-L3-01"
        [q3, again] = store.import_returns(
            ledger, [l3 / "SW-L3-01_2025-26_Q3.xlsx", l3 / "SW-L3-01_2025-26_Q4.xlsx"], rd, SETTINGS, lh.TODAY
        )
        assert q3.status == "already"
        assert again.line().startswith("imported as version 1 of SW-L3-01 2025/26-Q4")


def test_two_processes_importing_at_once_lose_nothing(tmp_path, inputs):
    register, returns = inputs
    path = tmp_path / "ledger.sqlite3"
    with open_ledger(path) as ledger:
        store.import_register(ledger, register, lh.refdata(tmp_path), SETTINGS)
    # each imports a return of its own and both import SW-L7-01's two: one return of SW-L3-01 and of SW-L9-01
    # is as good as four for what is lost, and every return is a check
    l3, l9 = returns / "SW-L3-01" / "SW-L3-01_2025-26_Q3.xlsx", returns / "SW-L9-01" / "SW-L9-01_2026-27_Q1.xlsx"
    a = _swtool("import", l3, returns / "SW-L7-01", "--db", path, "--today", lh.TODAY.isoformat())
    b = _swtool("import", returns / "SW-L7-01", l9, "--db", path, "--today", lh.TODAY.isoformat())
    out_a, err_a = a.communicate(timeout=120)
    out_b, err_b = b.communicate(timeout=120)
    assert (a.returncode, err_a, b.returncode, err_b) == (0, "", 0, "")
    with open_ledger(path) as ledger:
        rows = store.returns(ledger)
        files = sorted([l3.name, l9.name, *(p.name for p in (returns / "SW-L7-01").glob("*.xlsx"))])
        assert sorted(r["source_name"] for r in rows) == files
        assert {r["version"] for r in rows} == {1} and all(r["errors"] == 0 for r in rows)
    for name in (p.name for p in (returns / "SW-L7-01").glob("*.xlsx")):
        said = [line for line in (out_a + out_b).splitlines() if name in line]
        assert sorted(s.split(": ", 1)[1].split(" as version")[0] for s in said) == ["already imported", "imported"]


# --- layering ----------------------------------------------------------------------------------------


def test_the_ledger_imports_no_front_end():
    from test_import_hygiene import probe

    modules = [
        "swtool.ledger",
        "swtool.ledger.store",
        "swtool.ledger.views",
        "swtool.ledger.rapplan",
        "swtool.ledger.netreport",
    ]
    steps = probe([(m, f"import {m}\n") for m in modules])
    assert {m: s["front_ends"] for m, s in steps.items()} == {m: [] for m in modules}
    assert steps["swtool.ledger"]["heavy"] == []  # opening a ledger loads no pandas


def test_ledger_error_is_a_swtool_error():
    assert issubclass(LedgerError, SwtoolError)
