"""What the review's contract screen shows of a return is kept at import (``swtool.ledger.spend``): the
provider's Comment on each Expenditure line, and the mark that the return needs no workbook to be shown.
Retention clears the comments; a ledger made before they were kept migrates, and its returns are kept
from their stored workbooks when the review first opens them."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner

import ledger_helpers as lh
from swtool.cli import cli
from swtool.ledger import db, open_ledger, spend, store
from swtool.model.settings import Settings

L7 = "SW-L7-01"
TRAVEL = "Fewer clients needed travel this quarter, as two of them now walk to the hub."


def _commented(folder, name=lh.L7_Q2):
    """A copy of a sample return whose Expenditure row 4 (client travel: budget £1,540.00) was spent £1,300.00
    and explained in its Comment."""
    path = folder / name.name
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(lh.SAMPLES / "returns" / name, path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Expenditure"]
    assert ws["G1"].value == "Comment" and ws["B4"].value == "Client travel and interview clothing"
    ws["D4"] = 1300.00
    ws["G4"] = TRAVEL
    wb.save(path)
    return path


def _import(ledger_path, folder, *paths):
    with open_ledger(ledger_path) as ledger:
        return store.import_returns(ledger, list(paths), lh.refdata(folder), Settings.defaults(), lh.TODAY)


def test_an_import_keeps_the_expenditure_comments(ledger_path, tmp_path):
    [result] = _import(ledger_path, tmp_path, _commented(tmp_path / "in"))
    assert result.status == "imported"
    with open_ledger(ledger_path) as ledger:
        assert spend.kept(ledger, result.return_id)
        assert ledger.conn.execute(
            "SELECT how FROM screen_kept WHERE return_id = ?", (result.return_id,)
        ).fetchone() == ("import",)
        lines = {ln.row: ln for ln in spend.spend(ledger, result.return_id).lines}
    travel = lines[4]
    assert (travel.item, travel.budgeted, travel.actual, travel.comment) == (
        "Client travel and interview clothing",
        Decimal("1540.00"),
        Decimal("1300.00"),
        TRAVEL,
    )
    # (1,300.00 − 1,540.00) ÷ 1,540.00 = −15.58%: over the 10% limit, and explained
    assert travel.over_limit and not travel.unexplained
    assert [ln.comment for r, ln in sorted(lines.items()) if r != 4] == [None] * 4


def test_the_comments_are_append_only(ledger_path, tmp_path):
    [result] = _import(ledger_path, tmp_path, _commented(tmp_path / "in"))
    con = sqlite3.connect(ledger_path)
    try:
        for sql in (
            "UPDATE expenditure_comments SET comment = NULL",
            "DELETE FROM expenditure_comments",
            "DELETE FROM screen_kept",
            f"INSERT OR REPLACE INTO expenditure_comments VALUES ({result.return_id}, 4, 'changed')",
        ):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                con.execute(sql)
    finally:
        con.close()
    with open_ledger(ledger_path) as ledger:
        assert db.verify(ledger).ok


def test_retention_clears_the_comments(tmp_path):
    """SW-L3-01 ended on 30/09/2026 with its 2026/27-Q2 return: past a retention date of 01/10/2026."""
    register, returns = lh.copy_samples(tmp_path / "in")
    wb = openpyxl.load_workbook(register)
    for row in wb["Contracts"].iter_rows(min_row=2):
        if row[0].value == "SW-L3-01":
            row[4].value = datetime(2026, 9, 30)
    wb.save(register)
    q2 = returns / lh.L3_Q2
    wb = openpyxl.load_workbook(q2)
    wb["Expenditure"]["G2"] = "Two sessions moved to October: the venue closed for repairs."
    wb.save(q2)
    path = tmp_path / "ledger.sqlite3"
    rd = lh.refdata(tmp_path)
    with open_ledger(path) as ledger:
        store.import_register(ledger, register, rd, Settings.defaults())
        results = store.import_returns(
            ledger, [returns / "SW-L3-01", returns / lh.L7_Q2], rd, Settings.defaults(), lh.TODAY
        )
        l3 = next(r.return_id for r in results if r.path.name == lh.L3_Q2.name)
        l7 = next(r.return_id for r in results if r.contract == L7)
        assert spend.spend(ledger, l3).lines[0].comment.startswith("Two sessions moved")
    # a comment on the return of a contract still running stays
    with open_ledger(path) as ledger, ledger.transaction() as c:
        c.execute("INSERT INTO expenditure_comments VALUES (?, 2, 'a running contract''s comment')", (l7,))
    out = CliRunner().invoke(
        cli, ["retention", "--before", "2026-10-01", "--today", lh.TODAY.isoformat(), "--db", str(path)]
    )
    assert out.exit_code == 0, out.output
    assert "the provider's Comment on 1 expenditure line" in out.output
    with open_ledger(path) as ledger:
        first = spend.spend(ledger, l3).lines[0]
        assert (first.row, first.comment, first.cleared) == (2, None, True)
        assert ledger.conn.execute(
            "SELECT comment FROM expenditure_comments WHERE return_id = ?", (l7,)
        ).fetchall() == [("a running contract's comment",)]
        assert db.verify(ledger).ok
    con = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute("UPDATE expenditure_comments SET comment = 'back again' WHERE return_id = ?", (l3,))
    finally:
        con.close()


def older_ledger(tmp_path, monkeypatch):
    """A ledger made by a swtool before schema 5 (nothing kept for the screen), holding SW-L7-01's two
    returns, the second with a Comment; then opened by this swtool, which migrates it."""
    register, returns = lh.copy_samples(tmp_path / "in")
    commented = _commented(tmp_path / "in" / "v2")
    path = tmp_path / "old" / "ledger.sqlite3"
    rd = lh.refdata(tmp_path)
    with monkeypatch.context() as m:
        m.setattr(db, "MIGRATIONS", db.MIGRATIONS[:4])
        m.setattr(spend, "keep", lambda c, rid, sub, how="import": None)
        with open_ledger(path) as ledger:
            assert ledger.schema_version == 4
            store.import_register(ledger, register, rd, Settings.defaults())
            results = store.import_returns(ledger, [returns / lh.L7_Q2.parent], rd, Settings.defaults(), lh.TODAY)
            results += store.import_returns(ledger, [commented], rd, Settings.defaults(), lh.TODAY)
    assert [(r.status, r.version) for r in results] == [("imported", 1), ("imported", 1), ("imported", 2)]
    return path, results[-1].return_id


def test_an_older_ledger_migrates_and_its_returns_are_kept_when_first_opened(tmp_path, monkeypatch):
    path, rid = older_ledger(tmp_path, monkeypatch)
    with open_ledger(path) as ledger:
        assert ledger.schema_version == len(db.MIGRATIONS) == 5
        assert ledger.migration_backup is not None and ledger.migration_backup.exists()
        assert not spend.kept(ledger, rid)
        assert spend.spend(ledger, rid).lines[2].comment is None  # not in the ledger yet
        got = spend.from_workbook(ledger, rid, lh.refdata(tmp_path))
        assert got.keepable and got.comments == {4: TRAVEL}
        assert [f["code"] for f in got.findings] == [f["code"] for f in store.findings_of(ledger, rid)]
        assert spend.keep_from_review(ledger, got)
        assert not spend.keep_from_review(ledger, got)  # once only
        assert ledger.conn.execute("SELECT how FROM screen_kept WHERE return_id = ?", (rid,)).fetchone() == ("review",)
        stored = store.stored_path(ledger, rid)
        assert db.verify(ledger).ok
    stored.unlink()  # the ledger alone from now on
    with open_ledger(path) as ledger:
        assert spend.kept(ledger, rid)
        assert spend.spend(ledger, rid).lines[2].comment == TRAVEL


def test_a_return_without_its_workbook_is_not_kept(tmp_path, monkeypatch):
    path, rid = older_ledger(tmp_path, monkeypatch)
    with open_ledger(path) as ledger:
        store.stored_path(ledger, rid).unlink()
        got = spend.from_workbook(ledger, rid, lh.refdata(tmp_path))
        assert (got.keepable, got.comments) == (False, {})
        assert not spend.keep_from_review(ledger, got)
        assert not spend.kept(ledger, rid)
