"""`swtool retention`: the personal data of returns past the retention date taken out, every figure kept.

The scenario ledger is built once from copies of the shipped samples, changed so that one contract
(SW-L3-01) ended on 30/09/2026 and its 2025/26-Q3 return quotes a client ref, a postcode and an age in
its findings, and so that one of its claims is also claimed by SW-L7-01 (C219, across contracts).
Each test works on its own complete copy.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import ledger_helpers as lh
from swtool.cli import cli
from swtool.ledger import LedgerError, open_ledger, retention, store
from swtool.ledger.db import MIGRATIONS
from swtool.model.settings import Settings

TODAY = lh.TODAY.isoformat()  # 2026-11-23
BEFORE = "2026-10-01"  # SW-L3-01 ended on 30/09/2026; every other contract runs to 31/03/2027
L3 = "SW-L3-01"
L3_FILES = [
    "SW-L3-01_2025-26_Q3.xlsx",
    "SW-L3-01_2025-26_Q4.xlsx",
    "SW-L3-01_2026-27_Q1.xlsx",
    "SW-L3-01_2026-27_Q2.xlsx",
]
L3_RETURNS = (3, 4, 5, 6)  # as imported in the order of the samples' folders
QUARTERS = ("2025/26-Q3", "2025/26-Q4", "2026/27-Q1", "2026/27-Q2")


def run(*args, code: int = 0):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "internal error" not in result.output
    return result


@pytest.fixture(autouse=True)
def pmo(monkeypatch):
    monkeypatch.setenv("LOGNAME", "pmo")  # getpass reads LOGNAME first: runs and decisions are the PMO's


def _scenario(folder: Path) -> Path:
    register, returns = lh.copy_samples(folder / "in")
    q3 = returns / L3 / L3_FILES[0]
    wb = openpyxl.load_workbook(q3)
    ws = wb["Registrations"]
    ws["E2"].value = 15  # SW300001 aged 15: R105 quotes the client ref and the age
    ws["F3"].value = "E1 6AN"  # SW300002 outside Southwark: R102 quotes the client ref and the postcode
    ws["E4"].value = "fifty"  # S004: an age typed as words
    wb.save(q3)
    q1 = returns / L3 / L3_FILES[2]
    wb = openpyxl.load_workbook(q1)
    # SW-L7-01's client SW700002 (its claim L7-01-0002: 2a started 28/04/2026), typed in lower case here
    wb["Registrations"]["A2"].value = "sw700002"
    wb["Registrations"]["B2"].value = datetime(2026, 4, 2)
    wb["Claims"]["B2"].value = "sw700002"
    wb["Claims"]["D2"].value = datetime(2026, 4, 28)
    wb["Claims"]["H2"].value = datetime(2026, 4, 28)
    wb.save(q1)
    wb = openpyxl.load_workbook(register)
    for row in wb["Contracts"].iter_rows(min_row=2):
        if row[0].value == L3:
            row[4].value = datetime(2026, 9, 30)
    wb.save(register)
    path = folder / "ledger.sqlite3"
    rd = lh.refdata(folder)
    with open_ledger(path) as ledger:
        store.import_register(ledger, register, rd, Settings.defaults())
        results = store.import_returns(ledger, [returns], rd, Settings.defaults(), lh.TODAY)
        assert [r.return_id for r in results if r.contract == L3] == list(L3_RETURNS)
        # decisions of every kind, closed ones on the contract past retention too
        store.decide_finding(ledger, 3, "S004", "Registrations!E4", "query", "what age was meant?")
        store.decide_finding(ledger, 3, "S004", "Registrations!E4", "accept", "the provider cannot say")
        store.decide_return(ledger, 6, "approve", "reviewed")
        store.decide_return(ledger, 10, "approve", "reviewed")
        store.decide_credit(ledger, "SW-L4-01", lh.Q2, "4", "apply", "no progressions at all")
        rap = store.create_rap(ledger, L3, "2026/27-Q1", lh.TODAY, "output 2 low")
        store.close_rap(ledger, rap, "recovered")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LOGNAME", "pmo")
        return _scenario(tmp_path_factory.mktemp("retention"))


@pytest.fixture
def db(built, tmp_path):
    return lh.clone(built, tmp_path / "ledger" / "ledger.sqlite3")


@pytest.fixture(scope="module")
def retained(built, tmp_path_factory):
    """A copy of the scenario ledger after ``swtool retention --before 2026-10-01``, run once for the tests
    that look at what a plain run leaves (each works on its own copy), and what the run said."""
    path = lh.clone(built, tmp_path_factory.mktemp("retained") / "ledger.sqlite3")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LOGNAME", "pmo")
        out = run("retention", "--before", BEFORE, "--today", TODAY, "--db", path).output
    return path, out


@pytest.fixture
def after(retained, tmp_path):
    """A copy of ``retained``'s ledger."""
    return lh.clone(retained[0], tmp_path / "after" / "ledger.sqlite3")


@functools.cache
def _source_refs(sheet: str) -> int:
    """Client refs in SW-L3-01's four sample workbooks (what the ledger's rows hold): counted here from
    the workbooks, not by swtool."""
    col = 2 if sheet == "Claims" else 1
    n = 0
    for name in L3_FILES:
        ws = openpyxl.load_workbook(lh.SAMPLES / "returns" / L3 / name, read_only=True)[sheet]
        n += sum(1 for (ref,) in ws.iter_rows(min_row=2, min_col=col, max_col=col, values_only=True) if ref)
    return n


def _stored(db: Path) -> dict[int, Path]:
    con = sqlite3.connect(db)
    try:
        return {rid: db.parent / rel for rid, rel in con.execute("SELECT id, stored_file FROM returns")}
    finally:
        con.close()


def _state(db: Path) -> tuple[str, list[str]]:
    """Every row of the ledger (as SQL) and the files beside it: what a dry run must leave as it was."""
    con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dump = hashlib.sha256("\n".join(con.iterdump()).encode()).hexdigest()
    finally:
        con.close()
    return dump, sorted(str(p.relative_to(db.parent)) for p in (db.parent / "files").rglob("*") if p.is_file())


def _rows(db: Path, sql: str, *args) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


# --- the dry run -----------------------------------------------------------------------------------------


def test_dry_run_says_what_it_would_do_and_changes_nothing(db):
    before = _state(db)
    out = run("retention", "--before", BEFORE, "--dry-run", "--today", TODAY, "--db", db).output
    lines = out.splitlines()
    assert lines[0] == (
        "Retention before 2026-10-01 (given with --before; the retention period, retention_years=6, "
        "would give 2020-11-23)"
    )
    assert lines[1:3] == [
        "Due: contracts that ended, with their last quarter, before 01/10/2026:",
        "  SW-L3-01  Bermondsey Pathways CIC  ended 30/09/2026  4 returns, 2025/26-Q3 to 2026/27-Q2",
    ]
    assert "  SW-L7-01  2 returns before 01/10/2026: the contract runs to 31/03/2027" in lines
    regs, claims = _source_refs("Registrations"), _source_refs("Claims")
    # the findings that change: R102 and R105 of return 3 quote a client ref (S004's is redacted already)
    assert (
        f"Would replace, in 4 returns of 1 contract: the client refs and ages of {regs} registrations, the client "
        f"refs of {claims} claims, the personal text of 2 findings; would remove 4 stored workbooks from files/"
    ) in lines
    assert lines[-1] == "Dry run: nothing was changed"
    assert _state(db) == before
    assert all(p.exists() for p in _stored(db).values())


# --- the run ---------------------------------------------------------------------------------------------


def test_retention_replaces_client_refs_postcodes_and_ages_and_removes_the_workbooks(db, retained, after):
    shown = run("returns", "--id", 3, "--include-personal", "--full", "--db", db).output
    assert "postcode 'E1 6AN' for client SW300002 is not in Southwark" in shown
    assert "client SW300001 was 15.0 at registration" in shown
    # what the ledger itself keeps of it: the age redacted at import (shown as 15.0), the client ref not yet
    assert "client SW300001 was [redacted] at registration" in run("returns", "--id", 3, "--full", "--db", db).output
    [(age_57,)] = _rows(db, "SELECT age FROM registrations WHERE return_id = 3 AND row = 3")
    assert age_57 == 57
    assert all(p.exists() for p in _stored(db).values())

    # the same ledger after the run (the module's ``retained``: the run made once, its copy here)
    db, out = after, retained[1]
    lines = out.splitlines()
    assert lines[-2].startswith("Retention run 1 recorded (pmo, ")
    assert lines[-2].endswith(
        f"): 4 returns of 1 contract; replaced the client refs and ages of "
        f"{_source_refs('Registrations')} registrations, the client refs of "
        f"{_source_refs('Claims')} claims, the personal text of 2 findings"
    )
    assert lines[-1] == f"Removed 4 stored workbooks from {retained[0].parent / 'files'}"

    shown = run("returns", "--id", 3, "--include-personal", "--full", "--db", db).output
    for personal in ("SW300001", "SW300002", "E1 6AN", "E1 6", "15.0", "fifty"):
        assert personal not in shown
    assert "personal data taken out by retention run 1 (" in shown
    [(p1,)] = _rows(db, "SELECT client_ref FROM registrations WHERE return_id = 3 AND row = 2")
    [(p2,)] = _rows(db, "SELECT client_ref FROM registrations WHERE return_id = 3 AND row = 3")
    assert retention.is_pseudonym(p1) and retention.is_pseudonym(p2) and p1 != p2
    assert f"postcode '[redacted]' for client {p2} is not in Southwark" in shown
    assert f"client {p1} was [redacted] at registration" in shown
    # ages keep only their band (age 15 has none; 57 is 50+); no plain client ref is left in the contract's rows
    assert _rows(db, "SELECT age FROM registrations WHERE return_id = 3 AND row IN (2, 3) ORDER BY row") == [
        (None,),
        (50,),
    ]
    marks = ", ".join("?" * len(L3_RETURNS))
    assert _rows(
        db,
        f"SELECT count(*) FROM registrations WHERE return_id IN ({marks}) AND (client_ref NOT GLOB "
        f"'anon-*' OR age NOT IN (16, 25, 50))",
        *L3_RETURNS,
    ) == [(0,)]
    assert _rows(
        db, f"SELECT count(*) FROM claims WHERE return_id IN ({marks}) AND client_ref NOT GLOB 'anon-*'", *L3_RETURNS
    ) == [(0,)]
    assert _rows(
        db,
        f"SELECT count(*) FROM findings WHERE return_id IN ({marks}) AND (message LIKE '%SW3000%' OR "
        f"message LIKE '%E1 6AN%')",
        *L3_RETURNS,
    ) == [(0,)]
    # the same client, the same pseudonym: SW300001's registration and its claim L3-01-0001
    assert _rows(db, "SELECT client_ref FROM claims WHERE return_id = 3 AND claim_ref = 'L3-01-0001'") == [(p1,)]
    # the other contracts are untouched
    assert _rows(db, "SELECT client_ref FROM registrations WHERE return_id = 9 AND row = 2") == [("SW700001",)]
    for rid, path in _stored(retained[0]).items():  # where the run was (a copy has only what is kept)
        assert path.exists() == (rid not in L3_RETURNS), rid
    [run_row] = retention.runs(open_ledger(db))
    assert (run_row["who"], run_row["before_date"], run_row["basis"], run_row["returns"], run_row["files"]) == (
        "pmo",
        BEFORE,
        "--before",
        4,
        4,
    )
    assert json.loads(run_row["contracts"]) == [
        {"contract": L3, "returns": list(L3_RETURNS), "quarters": list(QUARTERS)}
    ]
    listed = run("retention", "--list", "--db", db).output.splitlines()
    assert listed[2].split()[:5] == ["1", run_row["at"][:19] + "Z", "pmo", BEFORE, "--before"]


def _figures(db: Path, folder: Path) -> dict:
    """What the PMO reads: status, credits, payments and performance of every quarter of the contract past
    retention, the network reports' cells, and the cross-contract lines of SW-L7-01's return."""
    out = {}
    for q in QUARTERS:
        out[("status", q)] = run("status", "--quarter", q, "--today", TODAY, "--db", db).output
        out[("credits", q)] = run("credits", "--quarter", q, "--format", "json", "--db", db).output
        out[("payments", q)] = run("payments", "--quarter", q, "--format", "json", "--db", db).output
        out[("performance", q)] = run("performance", "--quarter", q, "--format", "json", "--db", db).output
    for year in ("2025/26", "2026/27"):
        path = folder / f"network-{year.replace('/', '-')}.xlsx"
        run("report", "network", "--year", year, "-o", path, "--db", db)
        wb = openpyxl.load_workbook(path)
        out[("network", year)] = {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb}
    out["across"] = run("returns", "--id", 9, "--full", "--db", db).output.partition("Across contracts")[2]
    return out


def test_every_figure_is_the_same_after_retention(db, after, tmp_path):
    before = _figures(db, tmp_path / "before")
    assert "claimed by SW-L3-01 (Bermondsey Pathways CIC, 2026/27-Q1 claim L3-01-0064)" in before["across"]
    assert '"net_payable"' in before[("payments", "2026/27-Q2")]
    figures = _figures(after, tmp_path / "after")  # the same ledger after the run
    assert figures.keys() == before.keys()
    for key in before:
        assert figures[key] == before[key], key


def test_the_ledger_verifies_and_checks_after_retention(after):  # after the run
    db = after
    assert run("db", "verify", "--db", db).output.startswith(f"ok: {db}: the hash chain of its 7 decisions holds")
    checked = run("db", "check", "--db", db).output
    assert checked.startswith(
        f"ok: {db} passed integrity_check (schema {len(MIGRATIONS)}); 13 returns, 7 decisions, 10 stored files intact"
    )
    assert f"  {'retention_runs':<20} {1:>8}" in checked.splitlines()


def test_a_later_run_finds_nothing_due_and_changes_nothing(after):  # after the run
    db = after
    before = _state(db)
    out = run("retention", "--before", BEFORE, "--today", TODAY, "--db", db).output
    assert out.splitlines()[-1] == (
        "Nothing is due: no contract ended, with its last quarter, before 2026-10-01; nothing was changed"
    )
    assert _state(db) == before


def test_the_default_date_is_today_less_the_retention_period(db):
    out = run("retention", "--dry-run", "--today", "2032-10-02", "--db", db).output
    assert out.splitlines()[0] == "Retention before 2026-10-02 (today less the retention period, retention_years=6)"
    assert "  SW-L3-01  Bermondsey Pathways CIC  ended 30/09/2026  4 returns, 2025/26-Q3 to 2026/27-Q2" in out
    out = run("retention", "--dry-run", "--today", "2032-10-02", "--setting", "retention_years=7", "--db", db).output
    assert out.splitlines()[0] == "Retention before 2025-10-02 (today less the retention period, retention_years=7)"
    assert "Nothing is due" in out
    (db.parent / "swtool-settings.toml").write_text("retention_years = 7\n")
    assert "retention_years=7" in run("retention", "--dry-run", "--today", "2032-10-02", "--db", db).output


# --- refused -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "decide, said",
    [
        (
            lambda ledger: store.create_rap(ledger, L3, "2026/27-Q2", lh.TODAY, "output 2 low"),
            "remedial action plan 2 of SW-L3-01 2026/27-Q2 is open (close it: swtool rap close 2 --reason TEXT)",
        ),
        (
            lambda ledger: store.decide_finding(ledger, 3, "R105", "Registrations!E2", "query", "is the age right?"),
            "finding R105 at Registrations!E2 of return 3 (SW-L3-01 2025/26-Q3 version 1) is queried (decide it: swtool "
            "decide finding 3 R105 Registrations!E2 --accept or --waive)",
        ),
        (
            lambda ledger: store.decide_return(ledger, 6, "hold", "evidence asked for"),
            "return 6 (SW-L3-01 2026/27-Q2 version 1) is held back from payment (approve it: swtool approve 6 --reason TEXT)",
        ),
    ],
)
def test_refused_while_a_decision_on_those_returns_is_open(db, decide, said):
    with open_ledger(db) as ledger:
        decide(ledger)
    before = _state(db)
    for dry in ((), ("--dry-run",)):
        result = run("retention", "--before", BEFORE, "--today", TODAY, *dry, "--db", db, code=1)
        assert result.stderr == (
            f"swtool: retention before 2026-10-01 is refused while 1 decision on those returns is "
            f"open: {said}. Nothing was changed.\n"
        )
    assert _state(db) == before


def test_an_open_decision_on_a_contract_that_runs_on_does_not_stop_it(db):
    with open_ledger(db) as ledger:
        store.decide_finding(ledger, 10, "P309", "Claims!D5", "query", "which CPI?")
        store.decide_return(ledger, 9, "hold", "evidence asked for")
        store.create_rap(ledger, "SW-L7-01", lh.Q2, lh.TODAY, "output 2 low")
    assert "Retention run 1 recorded" in run("retention", "--before", BEFORE, "--today", TODAY, "--db", db).output


@pytest.mark.parametrize(
    "given, said",
    [
        ("2026-13-01", "'2026-13-01' is not a date in YYYY-MM-DD form, e.g. 2020-04-01"),
        ("20261001", "'20261001' is not a date in YYYY-MM-DD form, e.g. 2020-04-01"),
        ("last year", "'last year' is not a date in YYYY-MM-DD form, e.g. 2020-04-01"),
        (
            "2026-11-24",
            "2026-11-24 is after today (2026-11-23): retention takes out the personal data of returns already "
            "past their date, never ahead of it",
        ),
    ],
)
def test_a_bad_date_is_one_sentence_and_changes_nothing(db, given, said):
    before = _state(db)
    result = run("retention", "--before", given, "--today", TODAY, "--db", db, code=2)
    assert said in " ".join(result.stderr.split())
    assert "Traceback" not in result.output
    assert _state(db) == before


@pytest.mark.parametrize("dry", [(), ("--dry-run",)])
def test_no_ledger_is_one_sentence_and_none_is_made(tmp_path, dry):
    result = run("retention", *dry, "--db", tmp_path / "none.sqlite3", code=2)
    assert result.stderr == f"swtool: there is no ledger at {tmp_path / 'none.sqlite3'}\n"
    assert list(tmp_path.iterdir()) == []


# --- the ledger's guard --------------------------------------------------------------------------------------


def test_the_exception_is_open_only_to_a_run_inside_its_transaction(after):  # after the run
    db = after
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA foreign_keys = ON")
    try:
        for sql in (
            "UPDATE registrations SET client_ref = 'SW300001' WHERE return_id = 3",  # a retained return
            "UPDATE registrations SET age = 16 WHERE return_id = 9",  # one that is not
            "UPDATE findings SET message = 'x' WHERE return_id = 3",
            "UPDATE claims SET client_ref = 'anon-aaaaaaaaaaaaaaaa' WHERE return_id = 10",
        ):
            with pytest.raises(sqlite3.IntegrityError, match="append-only: nothing recorded is ever changed"):
                con.execute(sql)
        con.execute("BEGIN")
        con.execute("INSERT INTO retention_returns VALUES (10, 99, 'files/x/y.xlsx', 0, 0, 0)")  # a run not recorded
        with pytest.raises(sqlite3.IntegrityError, match="only the personal fields of registrations"):
            con.execute("UPDATE registrations SET valid = 0 WHERE return_id = 10")
        with pytest.raises(sqlite3.IntegrityError, match="only the personal fields of registrations"):
            con.execute("UPDATE registrations SET client_ref = 'someone else' WHERE return_id = 10")
        with pytest.raises(sqlite3.IntegrityError, match="retention replaces only the personal fields of findings"):
            con.execute("UPDATE findings SET code = 'X999' WHERE return_id = 10")
        con.execute("UPDATE registrations SET age = NULL WHERE return_id = 10")  # inside the marked transaction only
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            con.execute("COMMIT")  # a marker without its run cannot be committed
        if con.in_transaction:
            con.execute("ROLLBACK")
    finally:
        con.close()
    assert _rows(db, "SELECT count(*) FROM registrations WHERE return_id = 10 AND age IS NULL") == [(0,)]
    assert _rows(db, "SELECT count(*) FROM retention_returns") == [(4,)]


def test_a_run_cut_short_leaves_the_ledger_as_it_was(db, monkeypatch):
    before = _state(db)

    def fail(*args):
        raise OSError("the power went")

    monkeypatch.setattr(retention, "_record_run", fail)  # after every row is changed, before the run is recorded
    with open_ledger(db) as ledger, pytest.raises(OSError, match="the power went"):
        retention.run(ledger, datetime(2026, 10, 1).date(), "--before", lh.refdata(db.parent))
    assert _state(db) == before


def test_workbooks_left_by_a_run_cut_short_after_its_commit_go_with_the_next(db, monkeypatch):
    with monkeypatch.context() as mp:
        mp.setattr(retention, "remove_files", lambda ledger, rels: (0, []))  # the commit done, then the power went
        run("retention", "--before", BEFORE, "--today", TODAY, "--db", db)
    left = [_stored(db)[rid] for rid in L3_RETURNS]
    assert all(p.exists() for p in left)
    assert run("db", "check", "--db", db).output.startswith("ok: ")
    out = run("retention", "--before", BEFORE, "--today", TODAY, "--dry-run", "--db", db).output
    assert "Would remove 4 stored workbooks left in files/ by an earlier run" in out
    out = run("retention", "--before", BEFORE, "--today", TODAY, "--db", db).output
    assert out.splitlines()[-1] == f"Removed 4 stored workbooks from {db.parent / 'files'}"
    assert not any(p.exists() for p in left)
    assert _rows(db, "SELECT count(*) FROM retention_runs") == [(1,)]


def test_a_workbook_that_cannot_be_removed_is_said_and_goes_with_the_next_run(db, monkeypatch):
    import errno

    real_unlink = Path.unlink

    def read_only(self, *args, **kwargs):
        if self.parent.parent.name == "files":
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_unlink(self, *args, **kwargs)

    with monkeypatch.context() as mp:
        mp.setattr(Path, "unlink", read_only)
        result = run("retention", "--before", BEFORE, "--today", TODAY, "--db", db, code=1)
    assert "Retention run 1 recorded" in result.stdout
    said = " ".join(result.stderr.split())
    assert said.startswith(f"swtool: 4 stored workbooks could not be removed from {db.parent / 'files'}: files/")
    assert said.endswith(
        "(Read-only file system). The ledger's change is recorded; run swtool retention again once "
        "the folder can be written to"
    )
    assert all(_stored(db)[rid].exists() for rid in L3_RETURNS)
    out = run("retention", "--before", BEFORE, "--today", TODAY, "--db", db).output
    assert out.splitlines()[-1] == f"Removed 4 stored workbooks from {db.parent / 'files'}"


def test_a_retained_return_is_never_checked_again(after):  # after the run
    db = after
    with open_ledger(db) as ledger:
        decisions = len(store.decisions(ledger))
        with pytest.raises(
            LedgerError, match="return 4 would be checked again from its stored workbook, which retention run 1 removed"
        ):
            store.void_return(ledger, 3, "imported by mistake", lh.refdata(db.parent))
        assert len(store.decisions(ledger)) == decisions
    # a contract that runs on is voided and checked again as before
    with open_ledger(db) as ledger:
        _, done = store.void_return(ledger, 9, "imported by mistake", lh.refdata(db.parent))
    assert [d.return_id for d in done] == [10]


def test_backups_after_retention_copy_no_removed_workbook(after, tmp_path):  # after the run
    db = after
    out = run("db", "backup", tmp_path / "b" / "backup.sqlite3", "--parents", "--db", db).output
    assert "Stored returns: 10 new files copied" in out
    assert run("db", "check", "--db", tmp_path / "b" / "backup.sqlite3").output.startswith("ok: ")


# --- the pseudonyms ------------------------------------------------------------------------------------------


def test_pseudonyms_keep_clients_apart_and_alike_as_the_refs_were():
    key = bytes(range(32))
    p = {ref: retention.pseudonym(key, ref) for ref in ("SW300001", "sw300001", "Sw300001", "sW300001", "SW300002")}
    assert all(retention.is_pseudonym(v) for v in p.values())
    assert len(set(p.values())) == 5  # refs that differ stay apart
    assert len({v.casefold() for k, v in p.items() if k.casefold() == "sw300001"}) == 1  # alike by casefold as before
    assert p["SW300001"] != p["SW300002"].casefold()
    assert retention.pseudonym(key, "SW300001") == p["SW300001"]  # the same client, the same pseudonym
    assert retention.pseudonym(bytes(32), "SW300001") != p["SW300001"]  # another ledger's key, another pseudonym
    assert not retention.is_pseudonym("SW300001")


def test_a_spot_check_sample_of_a_retained_contract_keeps_its_claims_but_not_its_clients(db, tmp_path):
    """A sample records the client of each claim it drew; retention replaces it as it does the claims'."""
    from swtool.ledger import assurance

    with open_ledger(db) as ledger:
        assurance.draw(ledger, "2026/27-Q1", L3, seed="retention-test", refdata=lh.refdata(tmp_path))
    before = _rows(
        db,
        "SELECT seq, claim_ref, client_ref FROM sample_items WHERE contract_id = ? AND kind = 'claim' ORDER BY seq",
        L3,
    )
    assert before and not any(retention.is_pseudonym(ref) for _, _, ref in before)
    run("retention", "--before", BEFORE, "--today", TODAY, "--db", db)
    after = _rows(
        db,
        "SELECT seq, claim_ref, client_ref FROM sample_items WHERE contract_id = ? AND kind = 'claim' ORDER BY seq",
        L3,
    )
    claims = dict(_rows(db, "SELECT claim_ref, client_ref FROM claims WHERE return_id IN (3, 4, 5, 6)"))
    assert [(s, c) for s, c, _ in after] == [(s, c) for s, c, _ in before]  # the same claims, by their refs
    assert all(retention.is_pseudonym(ref) for _, _, ref in after)
    assert [ref for _, c, ref in after] == [claims[c] for _, c, _ in after]  # each its claim's pseudonym
    run("db", "verify", "--db", db)
