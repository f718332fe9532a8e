"""Exports (swtool.ledger.exports): the service credits and payments schedules as xlsx and CSV, and a
return's findings for its provider as the annotated workbook (or a table), written to a folder.

Every pound figure is worked by hand from the sample returns and the register, and is the one
`swtool credits` / `swtool payments` print for the same ledger.
"""

from __future__ import annotations

import csv
import errno
import io
import os

import openpyxl
import pytest
from click.testing import CliRunner

import ledger_helpers as lh
from swtool.cli import cli
from swtool.errors import SwtoolError
from swtool.ledger import exports, open_ledger, store, views
from swtool.model.settings import Settings

Q2 = lh.Q2


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


def run(ledger_path, fn, *args, **kwargs):
    with open_ledger(ledger_path) as ledger:
        return fn(ledger, *args, refdata=lh.refdata(ledger_path.parent), **kwargs)


def command(ledger_path, *args) -> str:
    res = CliRunner().invoke(cli, [*args, "--db", str(ledger_path)])
    assert res.exit_code == 0, res.output
    return res.output


def csv_rows(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def counted_id(ledger_path, contract="SW-L7-01") -> int:
    with open_ledger(ledger_path) as ledger:
        return next(
            v["id"] for v in store.versions(ledger, lh.refdata(ledger_path.parent), contract, Q2) if v["counted"]
        )


# --- service credits ---------------------------------------------------------------------------------------

# The three lines due in 2026/27-Q2 (register: annual value £165,000; §7.7-7.8 credit value = value × 2 × 10% ÷
# annual target): SW-L4-01 output 4: 0 of 5, shortfall 5 × (330,000 × 10% ÷ 20 = £1,650) = £8,250.00;
# SW-L5-01 output 4: 1 of 6, shortfall 5 × (33,000 ÷ 24 = £1,375) = £6,875.00; SW-L8-01 output 4: 0 of 5,
# 5 × £1,650 = £8,250.00. Pending in all: 8,250 + 6,875 + 8,250 = £23,375.00.
DUE = {
    ("SW-L4-01", "4"): ("5", "1650.00", "8250.00"),
    ("SW-L5-01", "4"): ("5", "1375.00", "6875.00"),
    ("SW-L8-01", "4"): ("5", "1650.00", "8250.00"),
}


def test_credits_csv_holds_every_line_the_decisions_and_the_totals(ledger_path, out):
    with open_ledger(ledger_path) as ledger:
        views.decide_credit(
            ledger, "SW-L5-01", Q2, "4", "waive", "agreed at the contract meeting", Settings.defaults(), lh.TODAY
        )
    done = run(ledger_path, exports.export_credits, Q2, out, "csv")
    assert done.path == out / "service-credits_2026-27-Q2.csv"
    assert done.rows == 14  # 7 contracts in term, 2 core outputs each
    rows = csv_rows(done.path)
    lines = [r for r in rows if r["contract"] != "Total"]
    assert len(lines) == 14
    due = {
        (r["contract"], r["output"]): (r["credits"], r["credit_value"], r["amount"])
        for r in lines
        if r["amount"] != "0.00"
    }
    assert due == DUE
    l5 = next(r for r in lines if (r["contract"], r["output"]) == ("SW-L5-01", "4"))
    assert (l5["target"], l5["actual"], l5["percent"], l5["status"]) == ("6", "1", "16.67", "waived")
    assert (l5["decided_on"], l5["reason"]) == ("23/11/2026", "agreed at the contract meeting")
    # applied nothing; pending 8,250 + 8,250; waived 6,875; due and not waived = applied + pending
    totals = {r["status"]: r["amount"] for r in rows if r["contract"] == "Total"}
    assert totals == {"applied": "0.00", "pending": "16500.00", "waived": "6875.00", "due and not waived": "16500.00"}
    # the same figures as the command prints
    printed = command(ledger_path, "credits", "--quarter", Q2)
    assert "service credits due and not waived: £16,500.00; 2 decisions pending" in printed
    assert done.path.read_text(encoding="utf-8") == command(ledger_path, "credits", "--quarter", Q2, "--format", "csv")


def test_credits_xlsx_has_the_amounts_as_pounds_and_the_workings(ledger_path, out):
    done = run(ledger_path, exports.export_credits, Q2, out, "xlsx")
    assert done.path.name == "service-credits_2026-27-Q2.xlsx"
    wb = openpyxl.load_workbook(done.path)
    assert wb.sheetnames == ["Service credits", "Workings"]
    ws = wb["Service credits"]
    assert ws["A1"].value == "Southwark Works service credits, 2026/27-Q2 (setting credit_quarters = 1)"
    header = [c.value for c in ws[3]]
    assert header[:12] == [
        "contract",
        "provider",
        "lot",
        "contract quarter",
        "output",
        "target",
        "actual",
        "percent",
        "credit value",
        "credits",
        "amount",
        "status",
    ]
    rows = {(r[0], r[4]): r for r in ws.iter_rows(min_row=4, values_only=True) if r[0] != "Total"}
    assert rows[("SW-L4-01", "4")][8:12] == (1650, 5, 8250, "pending")
    assert rows[("SW-L5-01", "4")][8:12] == (1375, 5, 6875, "pending")
    assert rows[("SW-L7-01", "2")][5:12] == (2.5, 2, 80, 1540, 0, 0, "not due")
    amount = next(c for c in ws[4] if c.column == 11)
    assert amount.number_format == "£#,##0.00;-£#,##0.00"
    totals = {r[11]: r[10] for r in ws.iter_rows(min_row=4, values_only=True) if r[0] == "Total"}
    assert totals == {"applied": 0, "pending": 23375, "waived": 0, "due and not waived": 23375}
    workings = [r for r in wb["Workings"].iter_rows(min_row=2, values_only=True) if r[0] == "SW-L4-01" and r[1] == "4"]
    assert (
        "Shortfall 5 − 0 = 5 credits × (annual value £165,000.00 × 2) × 10% ÷ annual target 20 = £8,250.00"
        in workings[0][2]
    )


def test_swtool_credits_writes_the_same_xlsx_and_asks_for_a_file(ledger_path, tmp_path):
    res = CliRunner().invoke(cli, ["credits", "--quarter", Q2, "--format", "xlsx", "--db", str(ledger_path)])
    assert res.exit_code == 2 and "--format xlsx needs -o FILE.xlsx" in res.output
    target = tmp_path / "credits.xlsx"
    command(ledger_path, "credits", "--quarter", Q2, "--format", "xlsx", "-o", str(target))
    ws = openpyxl.load_workbook(target)["Service credits"]
    assert {r[11]: r[10] for r in ws.iter_rows(min_row=4, values_only=True) if r[0] == "Total"}["pending"] == 23375


# --- payments --------------------------------------------------------------------------------------------------


def test_payments_csv_and_xlsx_are_the_payments_commands(ledger_path, out):
    done = run(ledger_path, exports.export_payments, Q2, out, "csv")
    assert done.path == out / "payments_2026-27-Q2.csv"
    assert done.path.read_text(encoding="utf-8") == command(ledger_path, "payments", "--quarter", Q2, "--format", "csv")
    rows = {r["contract"]: r for r in csv_rows(done.path)}
    # SW-L7-01's Actual spend: 4,256.44 + 10,733.69 + 1,504.71 + 1,980.94 + 994.19 = 19,469.97; none disallowed
    assert (rows["SW-L7-01"]["invoice"], rows["SW-L7-01"]["approval"], rows["SW-L7-01"]["net_payable"]) == (
        "19469.97",
        "not reviewed",
        "",
    )
    # the seven invoices: 35,160.85 + 39,910.48 + 40,521.61 + 39,875.48 + 19,469.97 + 41,557.58 + 37,316.58
    assert rows["Total"]["invoice"] == "253812.55"
    book = run(ledger_path, exports.export_payments, Q2, out, "xlsx")
    assert book.path == out / "payments_2026-27-Q2.xlsx"
    wb = openpyxl.load_workbook(book.path)
    assert wb.sheetnames == ["Payments", "Inputs"]
    sheet = {r[0]: r for r in wb["Payments"].iter_rows(min_row=4, values_only=True)}
    assert sheet["SW-L7-01"][6] == 19469.97 and sheet["Total"][6] == 253812.55


# --- never over anything --------------------------------------------------------------------------------------


def test_an_export_never_replaces_an_existing_file(ledger_path, out):
    mine = out / "payments_2026-27-Q2.csv"
    mine.write_text("the PMO's own notes\n")
    second = run(ledger_path, exports.export_payments, Q2, out, "csv")
    third = run(ledger_path, exports.export_payments, Q2, out, "csv")
    assert (second.path.name, third.path.name) == ("payments_2026-27-Q2-2.csv", "payments_2026-27-Q2-3.csv")
    assert mine.read_text() == "the PMO's own notes\n"
    assert second.path.read_bytes() == third.path.read_bytes()


def test_the_ledgers_store_is_refused(ledger_path):
    store_dir = ledger_path.parent / "files"
    before = sorted(p for p in store_dir.rglob("*"))
    with pytest.raises(SwtoolError, match="inside the ledger's store of imported returns"):
        run(ledger_path, exports.export_credits, Q2, store_dir, "csv")
    assert sorted(p for p in store_dir.rglob("*")) == before


def test_a_missing_folder_is_one_sentence(ledger_path, tmp_path):
    with pytest.raises(exports.ExportError) as e:
        run(ledger_path, exports.export_credits, Q2, tmp_path / "nowhere", "csv")
    assert str(e.value) == (
        f"The folder {tmp_path / 'nowhere'} does not exist; nothing was written: choose an existing folder"
    )


def test_a_full_disk_leaves_no_file(ledger_path, out, monkeypatch):
    from swtool.ledger import payments

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(payments, "write_xlsx", full)
    with pytest.raises(exports.ExportError) as e:
        run(ledger_path, exports.export_payments, Q2, out, "xlsx")
    assert str(e.value) == (
        f"The disk holding {out} is full; nothing was written: free some space or choose another folder"
    )
    assert os.listdir(out) == []


def test_a_read_only_folder_is_one_sentence(ledger_path, out, monkeypatch):
    read_only(out, monkeypatch)
    with pytest.raises(exports.ExportError) as e:
        run(ledger_path, exports.export_credits, Q2, out, "xlsx")
    assert str(e.value) == (
        f"The folder {out} cannot be written to (permission denied); nothing was written: choose another folder"
    )
    assert os.listdir(out) == []


def read_only(folder, monkeypatch) -> None:
    """Make ``folder`` read-only; where that does not stop this process (root), refuse creating a file in it
    as the system would (EACCES)."""
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):
        real = os.open

        def refusing(path, flags, *args, **kwargs):
            if os.path.dirname(os.path.abspath(path)) == str(folder) and flags & os.O_CREAT:
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", refusing)


# --- findings for the provider ------------------------------------------------------------------------------------


def test_findings_are_the_providers_workbook_marked_with_the_decision(ledger_path, out):
    rid = counted_id(ledger_path)
    with open_ledger(ledger_path) as ledger:
        store.decide_finding(
            ledger, rid, "P309", "Claims!D5", "waive", "reference data updated after the deadline", lh.TODAY
        )
    done = run(ledger_path, exports.export_findings, rid, out)
    assert done.path == out / "SW-L7-01_2026-27-Q2_v1_findings.annotated.xlsx"
    assert done.note == ""
    wb = openpyxl.load_workbook(done.path)
    assert wb.sheetnames[0] == "Findings"
    ws = wb["Findings"]
    assert ws["A1"].value == "swtool findings for SW-L7-01_2026-27_Q2.xlsx"
    assert ws["A2"].value.startswith("1 warning: no errors.")
    listed = [[c.value for c in row][:5] for row in ws.iter_rows(min_row=6) if row[0].value]
    assert len(listed) == 1
    assert listed[0][:4] == ["⚠ warning", "P309", "reference-data-stale", "Claims!D5"]
    assert listed[0][4].endswith("(PMO: waived on 23/11/2026)")
    marked = wb["Claims"]["D5"]
    assert marked.comment is not None and "P309" in marked.comment.text
    # the ledger's own copy is untouched
    with open_ledger(ledger_path) as ledger:
        import hashlib

        stored = store.stored_path(ledger, rid)
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == store.get_return(ledger, rid)["sha256"]


def test_findings_as_a_table_when_the_workbook_is_gone(ledger_path, out):
    rid = counted_id(ledger_path)
    with open_ledger(ledger_path) as ledger:
        stored = store.stored_path(ledger, rid)
    stored.chmod(0o644)
    stored.unlink()  # as a retention run leaves it
    done = run(ledger_path, exports.export_findings, rid, out)
    assert done.path == out / "SW-L7-01_2026-27-Q2_v1_findings.xlsx"
    assert "no longer holds the return's workbook" in done.note
    assert done.sentence().endswith("so its findings are written as a table")
    ws = openpyxl.load_workbook(done.path)["Findings"]
    assert ws["A1"].value == f"Findings of return {rid}: SW-L7-01 2026/27-Q2 version 1 (SW-L7-01_2026-27_Q2.xlsx)"
    assert [c.value for c in ws[4]][:6] == ["warning", "P309", "reference-data-stale", "Claims", 5, "Claims!D5"]


def test_findings_as_csv(ledger_path, out):
    rid = counted_id(ledger_path)
    done = run(ledger_path, exports.export_findings, rid, out, "csv")
    assert done.path.name == "SW-L7-01_2026-27-Q2_v1_findings.csv"
    [row] = csv_rows(done.path)
    assert (row["severity"], row["code"], row["cell"], row["decision"]) == ("warning", "P309", "Claims!D5", "")
    assert row["how_to_fix"].startswith("Nothing to change in the return")
