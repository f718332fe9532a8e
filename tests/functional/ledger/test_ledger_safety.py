"""The ledger's own safety: the file checked whole (integrity_check) and damage said in one sentence,
an empty file refused, restoring a backup, a full disk and a read-only ledger said as such, the
decisions' hash chain and the append-only triggers verified, and quarters, ids and flags validated
before anything is recorded.

Each test works on a copy (made with the backup API) of one ledger built from the shipped samples,
and asserts what the PMO sees: the exit code, the sentence, and the ledger left unchanged where
nothing should be written.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

import ledger_helpers as lh
from swtool.cli import cli
from swtool.ledger import LedgerError, db, open_ledger, store

Q2 = lh.Q2
TODAY = lh.TODAY.isoformat()
RESTORE = "restore it with `swtool db restore BACKUP` from your latest backup"


def run(*args, code: int = 0) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, (result.exit_code, result.output)
    return result.output


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def ro(path: Path) -> sqlite3.Connection:
    """A connection that cannot change the file (to look at a damaged one as it is)."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)


def checks(path: Path) -> tuple[list, list]:
    """(quick_check, integrity_check) of the file as it is; a check that cannot even run gives its error."""
    con = ro(path)
    try:
        out = []
        for pragma in ("quick_check", "integrity_check"):
            try:
                out.append(con.execute(f"PRAGMA {pragma}").fetchall())
            except sqlite3.DatabaseError as e:
                out.append([(str(e),)])
        return out[0], out[1]
    finally:
        con.close()


def decision_rows(path: Path) -> list[tuple]:
    con = ro(path)
    try:
        return con.execute("SELECT id, reason, hash FROM decisions ORDER BY id").fetchall()
    finally:
        con.close()


@pytest.fixture(autouse=True)
def pmo(monkeypatch):
    """Decisions are recorded by 'pmo' (getpass reads LOGNAME first), so their rows have one size."""
    monkeypatch.setenv("LOGNAME", "pmo")


def stale_wal(ledger_path: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(backup, crashed ledger): a backup taken with one decision recorded; then 100 more decisions
    (checkpointed into the file) and 5 more still in the write-ahead log, as a ledger is left by a crash
    or a process killed while it had commits in its -wal."""
    with open_ledger(ledger_path) as ledger:
        store.decide_credit(ledger, "SW-L4-01", Q2, "4", "waive", "before the backup")
        ledger.backup(tmp_path / "backup" / "ledger-backup.sqlite3")
    ledger = open_ledger(ledger_path)
    try:
        for i in range(100):
            store.decide_credit(
                ledger, "SW-L4-01", Q2, "4", ("apply", "waive")[i % 2], f"after the backup {i} " + "x" * 40
            )
        ledger.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        ledger.conn.execute("PRAGMA wal_autocheckpoint = 0")
        for i in range(5):
            store.decide_credit(ledger, "SW-L4-01", Q2, "4", "apply", f"still in the log {i}")
        crashed = tmp_path / "crashed"
        shutil.copytree(ledger_path.parent / "files", crashed / "files")
        for suffix in ("", "-wal", "-shm"):  # the files as they are while the log holds commits
            shutil.copyfile(f"{ledger_path}{suffix}", f"{crashed / 'ledger.sqlite3'}{suffix}")
    finally:
        ledger.close()
    return tmp_path / "backup" / "ledger-backup.sqlite3", crashed / "ledger.sqlite3"


def hand_copy(backup: Path, crashed: Path, to: Path) -> Path:
    """What the PMO did before `db restore` existed: the backup copied over the ledger's file, its -wal
    left beside it."""
    shutil.copytree(crashed.parent, to)
    shutil.copyfile(backup, to / crashed.name)
    return to / crashed.name


# --- the file checked whole -----------------------------------------------------------------------


def test_db_check_says_ok_with_the_counts_and_changes_nothing(ledger_path):
    before = sha(ledger_path)
    out = run("db", "check", "--db", ledger_path)
    lines = out.splitlines()
    assert lines[0] == (
        f"ok: {ledger_path} passed integrity_check (schema {len(db.MIGRATIONS)}); 13 returns, "
        "0 decisions, 14 stored files intact"
    )
    assert "  returns                    13" in lines
    assert "  decisions                   0" in lines
    assert sha(ledger_path) == before


def test_index_damage_passes_quick_check_and_is_refused_at_open(ledger_path):
    """An index entry that no longer matches its row (one byte of it changed): the b-tree is sound, so
    quick_check, which swtool used to run at every open, sees nothing, and a query through the index
    would silently miss the decision. integrity_check compares every index with its table."""
    with open_ledger(ledger_path) as ledger:
        store.decide_credit(ledger, "SW-L4-01", Q2, "4", "waive", "agreed at the review meeting")
        page = ledger.conn.execute("PRAGMA page_size").fetchone()[0]
        root = ledger.conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'decisions_by_target'").fetchone()[
            0
        ]
    data = bytearray(ledger_path.read_bytes())
    start = (root - 1) * page
    at = data.index(b"credit:SW-L4-01:2026/27-Q2:4", start, start + page) + len("credit:SW-L4-01:2026/27-Q2:")
    data[at : at + 1] = b"5"  # the index now says output 5; the row still says 4
    ledger_path.write_bytes(bytes(data))
    quick, whole = checks(ledger_path)
    assert quick == [("ok",)]
    assert whole == [("row 1 missing from index decisions_by_target",)]
    before = sha(ledger_path)
    out = run("status", "--quarter", Q2, "--today", TODAY, "--db", ledger_path, code=2)
    assert out == (
        f"swtool: the ledger {ledger_path} is damaged: row 1 missing from index decisions_by_target; "
        f"nothing was changed; {RESTORE}\n"
    )
    out = run("db", "check", "--db", ledger_path, code=1)
    assert out.splitlines() == [
        f"damaged: {ledger_path}",
        "  row 1 missing from index decisions_by_target",
        f"Nothing was changed. R{RESTORE[1:]}.",
    ]
    assert sha(ledger_path) == before


def test_a_backup_copied_by_hand_over_a_ledger_with_a_wal_is_damaged_and_refused(ledger_path, tmp_path):
    """Copying a backup over the ledger's file while its -wal holds commits: SQLite replays the log,
    written for another file, onto the backup."""
    backup, crashed = stale_wal(ledger_path, tmp_path)
    for n in range(3):
        copied = hand_copy(backup, crashed, tmp_path / f"by-hand-{n}")
        assert checks(copied)[1] != [("ok",)]
    main, wal = sha(copied), sha(Path(f"{copied}-wal"))
    out = run("status", "--quarter", Q2, "--today", TODAY, "--db", copied, code=2)
    assert out.startswith(f"swtool: the ledger {copied} is damaged: ") and out.endswith(f"; {RESTORE}\n")
    assert out.count("\n") == 1
    assert run("db", "check", "--db", copied, code=1).startswith(f"damaged: {copied}\n")
    with pytest.raises(LedgerError, match="is damaged: "):
        open_ledger(copied)
    assert (sha(copied), sha(Path(f"{copied}-wal"))) == (main, wal)  # refused as it is: the log not folded in


def _replace_bytes(path: Path, old: bytes, new: bytes, table: str | None = None) -> None:
    """Change bytes of the file in place, everywhere, or only on ``table``'s page (a table of one page:
    the schema's comments mention some of its values too)."""
    data = bytearray(path.read_bytes())
    assert len(old) == len(new) and old in data
    if table is None:
        path.write_bytes(bytes(data).replace(old, new))
        return
    con = ro(path)
    page = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    con.close()
    at = data.index(old, (root - 1) * page, root * page)
    data[at : at + len(old)] = new
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "old, new, said",
    [
        # a provider's name that is no longer text (not valid UTF-8): SQLite's checks pass, reading it fails
        (
            b"Rotherhithe Supported Employment",
            b"Rotherhithe Supported Employ\xffent",
            "a value in the column provider is not valid text",
        ),
        # an amount that no longer parses
        (b"159500.00", b"159500x00", "the annual_value of contracts row 2 is not an amount"),
        # a column renamed by a flipped byte in the schema's text
        (b"ethnic_group", b"ethnic_groyp", "column registrations.ethnic_group is missing"),
    ],
    ids=["not-text", "not-an-amount", "renamed-column"],
)
def test_damage_that_integrity_check_cannot_see_is_still_one_sentence(ledger_path, old, new, said):
    _replace_bytes(ledger_path, old, new, "contracts" if old == b"159500.00" else None)
    assert checks(ledger_path) == ([("ok",)], [("ok",)])
    before = sha(ledger_path)
    out = run("status", "--quarter", Q2, "--today", TODAY, "--db", ledger_path, code=2)
    assert out.startswith(f"swtool: the ledger {ledger_path} is damaged: {said}")
    assert out.endswith(f"{RESTORE}\n") and out.count("\n") == 1
    assert "internal error" not in out
    assert sha(ledger_path) == before
    out = run("db", "check", "--db", ledger_path, code=1)
    assert out.startswith(f"damaged: {ledger_path}\n")


def test_an_empty_ledger_file_is_refused_never_made_new(tmp_path):
    folder = tmp_path / "ledger"
    (folder / "files" / "ab").mkdir(parents=True)
    empty = folder / "ledger.sqlite3"
    empty.write_bytes(b"")
    out = run("status", "--quarter", Q2, "--db", empty, code=2)
    assert out == (
        f"swtool: the ledger {empty} is an empty file (0 bytes), yet stored returns are kept in "
        f"{folder / 'files'} beside it, so its records have been lost; nothing was changed: {RESTORE}\n"
    )
    shutil.rmtree(folder / "files")
    out = run(
        "decide",
        "credit",
        "SW-L4-01",
        "--quarter",
        Q2,
        "--output",
        "4",
        "--apply",
        "--reason",
        "x",
        "--db",
        empty,
        code=2,
    )
    assert out == (
        f"swtool: the ledger {empty} is an empty file (0 bytes); nothing was changed: if it held your "
        f"records, {RESTORE}, and if it is meant to be a new ledger, delete the empty file first\n"
    )
    assert run("db", "check", "--db", empty, code=2).startswith(f"swtool: the ledger {empty} is an empty file")
    assert empty.stat().st_size == 0 and sorted(p.name for p in folder.iterdir()) == ["ledger.sqlite3"]
    # only a path where nothing is becomes a new ledger, made whole before it appears
    new = tmp_path / "new" / "ledger.sqlite3"
    with open_ledger(new) as ledger:
        assert ledger.schema_version == len(db.MIGRATIONS)
    assert sorted(p.name for p in new.parent.iterdir()) == ["ledger.sqlite3"]


def test_a_backup_is_checked_before_it_is_put_in_place(ledger_path, tmp_path, monkeypatch):
    out = run("db", "backup", tmp_path / "b" / "backup.sqlite3", "--parents", "--db", ledger_path)
    assert out.startswith(f"Backed up {ledger_path} to {tmp_path / 'b' / 'backup.sqlite3'}: 13 returns, 0 decisions")
    assert run("db", "check", "--db", tmp_path / "b" / "backup.sqlite3").startswith("ok: ")
    # a copy whose check fails (simulated: the check is told so) is never renamed into place
    monkeypatch.setattr(db, "_copy_problems", lambda path, counts, version: ["table decisions has 0 rows, not 1"])
    out = run("db", "backup", tmp_path / "c" / "backup.sqlite3", "--parents", "--db", ledger_path, code=2)
    assert out == (
        f"swtool: the copy written for {tmp_path / 'c' / 'backup.sqlite3'} failed its check (table decisions "
        f"has 0 rows, not 1); nothing was written to {tmp_path / 'c' / 'backup.sqlite3'}\n"
    )
    assert list((tmp_path / "c").iterdir()) == []


# --- restoring a backup ----------------------------------------------------------------------------------


def test_restore_over_a_ledger_with_commits_in_its_wal_gives_exactly_the_backup(ledger_path, tmp_path):
    backup, crashed = stale_wal(ledger_path, tmp_path)
    wanted = decision_rows(backup)
    assert [r[1] for r in wanted] == ["before the backup"]
    shutil.rmtree(crashed.parent / "files")  # the restore brings the stored returns back from beside the backup
    out = run("db", "restore", backup, "--db", crashed)
    lines = out.splitlines()
    assert lines[0] == (
        f"Restored {crashed} from {backup}: 13 returns, 1 decision (schema {len(db.MIGRATIONS)}; "
        "integrity_check passed)"
    )
    [aside] = [p for p in crashed.parent.iterdir() if ".before-restore." in p.name]
    assert lines[1] == f"The ledger as it was before is kept in {aside} (copied with the backup API)"
    assert lines[2] == f"Stored returns: 14 files copied from {backup.parent / 'files'}"
    assert checks(crashed) == ([("ok",)], [("ok",)])
    assert decision_rows(crashed) == wanted
    assert not Path(f"{crashed}-wal").exists() and not Path(f"{crashed}-shm").exists()
    # nothing was lost: the ledger as it was, the five commits of its log included, is kept aside
    assert len(decision_rows(aside)) == 106 and checks(aside)[1] == [("ok",)]
    assert run("db", "verify", "--db", crashed).startswith(f"ok: {crashed}: the hash chain of its 1 decision holds")
    assert run("db", "check", "--db", crashed).startswith("ok: ")
    assert "SW-L4-01" in run("status", "--quarter", Q2, "--today", TODAY, "--db", crashed)


def test_restore_over_a_damaged_ledger_moves_it_aside_as_it_is(ledger_path, tmp_path):
    backup, crashed = stale_wal(ledger_path, tmp_path)
    copied = hand_copy(backup, crashed, tmp_path / "by-hand")
    main, wal = sha(copied), sha(Path(f"{copied}-wal"))
    out = run("db", "restore", backup, "--db", copied)
    [aside] = [p for p in copied.parent.iterdir() if ".before-restore." in p.name and p.name.endswith("Z")]
    assert out.splitlines()[1] == (
        f"The ledger as it was before is kept in {aside} (moved aside as it was, since it "
        "could not be read as an intact ledger)"
    )
    assert sha(aside) == main and sha(Path(f"{aside}-wal")) == wal  # the very files, with their log
    assert checks(copied) == ([("ok",)], [("ok",)])
    assert decision_rows(copied) == decision_rows(backup)


def test_restore_refuses_a_backup_it_cannot_trust_and_changes_nothing(ledger_path, tmp_path):
    before = sha(ledger_path)
    missing = tmp_path / "nowhere.sqlite3"
    assert run("db", "restore", missing, "--db", ledger_path, code=2) == (
        f"swtool: there is no backup at {missing}; nothing was changed\n"
    )
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    assert run("db", "restore", empty, "--db", ledger_path, code=2) == (
        f"swtool: the backup {empty} cannot be restored: it is an empty file (0 bytes); nothing was changed\n"
    )
    other = tmp_path / "other.sqlite3"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    assert run("db", "restore", other, "--db", ledger_path, code=2) == (
        f"swtool: the backup {other} cannot be restored: it is not a swtool ledger; nothing was changed\n"
    )
    newer = lh.clone(ledger_path, tmp_path / "newer" / "backup.sqlite3")
    con = sqlite3.connect(newer)
    con.execute(f"PRAGMA user_version = {len(db.MIGRATIONS) + 1}")
    con.commit()
    con.close()
    assert "it was made by a newer swtool" in run("db", "restore", newer, "--db", ledger_path, code=2)
    damaged = lh.clone(ledger_path, tmp_path / "damaged" / "backup.sqlite3")
    with open_ledger(ledger_path) as ledger:
        page = ledger.conn.execute("PRAGMA page_size").fetchone()[0]
        root = ledger.conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'claims'").fetchone()[0]
    data = bytearray(damaged.read_bytes())
    data[(root - 1) * page + 8 : root * page] = b"\xff" * (page - 8)
    damaged.write_bytes(bytes(data))
    out = run("db", "restore", damaged, "--db", ledger_path, code=2)
    assert out.startswith(f"swtool: the backup {damaged} cannot be restored: it is damaged (")
    assert run("db", "restore", ledger_path, "--db", ledger_path, code=2) == (
        f"swtool: {ledger_path} is the ledger itself; nothing was changed\n"
    )
    assert sha(ledger_path) == before
    assert not [p for p in ledger_path.parent.iterdir() if ".before-restore." in p.name]


def test_restore_waits_for_no_other_swtool_and_refuses_while_one_has_the_ledger_open(
    ledger_path, tmp_path, monkeypatch
):
    backup = tmp_path / "backup" / "b.sqlite3"
    with open_ledger(ledger_path) as ledger:
        ledger.backup(backup)
    monkeypatch.setattr(db, "RESTORE_WAIT_S", 0.2)
    with open_ledger(ledger_path) as other:  # a review left open, say
        store.decide_credit(other, "SW-L4-01", Q2, "4", "apply", "made while the restore was tried")
        out = run("db", "restore", backup, "--db", ledger_path, code=2)
        assert out == (
            f"swtool: the ledger {ledger_path} is open in another swtool (a review, an import or a backup): "
            "close it and run the restore again; nothing was changed\n"
        )
        store.decide_credit(other, "SW-L4-01", Q2, "4", "waive", "the other swtool carries on")
    assert [r[1] for r in decision_rows(ledger_path)] == [
        "made while the restore was tried",
        "the other swtool carries on",
    ]
    assert not [p for p in ledger_path.parent.iterdir() if ".before-restore." in p.name]


# --- a full disk, a read-only ledger ---------------------------------------------------------------


def test_a_full_disk_is_said_as_such(ledger_path, monkeypatch):
    """SQLite's own "database or disk is full" (SQLITE_FULL), made real by capping the ledger at the
    pages it has (``PRAGMA max_page_count``): a decision with a long reason needs more."""
    configure = db._configure

    def capped(conn, path):
        configure(conn, path)
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")

    con = ro(ledger_path)
    free = con.execute("PRAGMA freelist_count").fetchone()[0]
    con.close()
    monkeypatch.setattr(db, "_configure", capped)
    before = sha(ledger_path)
    out = run(
        "decide",
        "credit",
        "SW-L4-01",
        "--quarter",
        Q2,
        "--output",
        "4",
        "--apply",
        "--reason",
        "agreed at the review meeting " * (200 * (free + 2)),
        "--db",
        ledger_path,
        code=2,
    )
    assert out == (
        f"swtool: the disk is full: the ledger {ledger_path} could not be written (database or disk is "
        "full), so nothing more was recorded; free some space on the disk and run the command again\n"
    )
    assert sha(ledger_path) == before
    monkeypatch.undo()
    with open_ledger(ledger_path) as ledger:
        assert ledger.conn.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs POSIX file-size limits")
def test_a_file_size_limit_is_said_as_a_full_disk_not_damage(ledger_path):
    """A real EFBIG: the command runs with a 2000-byte file-size limit (RLIMIT_FSIZE), so the ledger's
    write-ahead log cannot be written; SQLite reports a failed write ("disk I/O error")."""
    import resource

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    before = decision_rows(ledger_path)
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "swtool",
            "decide",
            "credit",
            "SW-L4-01",
            "--quarter",
            Q2,
            "--output",
            "4",
            "--apply",
            "--reason",
            "x",
            "--db",
            str(ledger_path),
        ],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        env=dict(os.environ, LOGNAME="pmo"),
    )
    assert res.returncode == 2, res.stderr
    assert res.stderr == (
        f"swtool: the disk is full, or a quota or file-size limit was reached: the ledger {ledger_path} "
        "could not be written (disk I/O error), so nothing more was recorded; free some space on the "
        "disk and run the command again\n"
    )
    assert decision_rows(ledger_path) == before and checks(ledger_path)[1] == [("ok",)]


def test_the_files_store_on_a_full_disk_is_said_as_such(ledger_path, tmp_path, monkeypatch):
    """ENOSPC while a stored return is written (injected into the write itself: a real one needs a full
    file system)."""

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(db, "_write_fd", full)
    _, returns = lh.copy_samples(tmp_path / "in")
    corrected = lh.late_claim_return(returns / lh.L7_Q2, tmp_path / "corrected.xlsx")
    result = CliRunner().invoke(cli, ["import", str(corrected), "--db", str(ledger_path), "--today", TODAY])
    out = result.output
    assert result.exit_code == 1 and out.endswith("1 file: 1 not stored\n"), out
    assert (
        f"could not be stored (the disk is full: {ledger_path.parent / 'files'}/" in out
        or f"could not be stored (the disk is full: {ledger_path.parent}" in out
    ), out
    assert "(No space left on device), so nothing more was recorded" in out
    assert not [p for p in (ledger_path.parent / "files").rglob("*.tmp")]
    with pytest.raises(LedgerError, match=r"^the disk is full: "):
        db.write_stored_file(tmp_path / "elsewhere" / "files" / "ab" / "ab.xlsx", b"data")


@pytest.mark.parametrize(
    "error, said",
    [  # "damaged" only for damage
        (sqlite3.OperationalError("database or disk is full"), "the disk is full: the ledger {p} could not be written"),
        (
            sqlite3.OperationalError("attempt to write a readonly database"),
            "the ledger {p} is read-only (attempt to write",
        ),
        (sqlite3.OperationalError("unable to open database file"), "the ledger {p} is read-only (unable to open"),
        (sqlite3.OperationalError("database is locked"), "the ledger {p} is busy (database is locked)"),
        (sqlite3.OperationalError("disk I/O error"), "the disk failed while reading or writing the ledger {p}"),
        (sqlite3.DatabaseError("database disk image is malformed"), "the ledger {p} is damaged: database disk image"),
        (OSError(errno.EROFS, "Read-only file system", "/l/files/ab/x.xlsx"), "the folder /l/files/ab is read-only"),
        (
            sqlite3.OperationalError("Could not decode to UTF-8 column 'provider' with text 'R\ufffd'"),
            "the ledger {p} is damaged: a value in the column provider is not valid text",
        ),
        (OSError(errno.EDQUOT, "Disk quota exceeded", "/l/files/ab/x.xlsx"), "the disk is full: /l/files/ab/x.xlsx"),
    ],
)
def test_every_storage_error_is_mapped_in_one_place(error, said):
    """The sentences of ``db.explain``, for errors as sqlite3 and the OS raise them (here made by hand:
    the real ones are exercised by the tests above and below)."""
    problem = db.explain(error, Path("/l/ledger.sqlite3"))
    assert problem is not None and str(problem).startswith(said.format(p="/l/ledger.sqlite3"))
    assert ("damaged" in str(problem)) == ("damaged" in said)
    assert db.explain(sqlite3.OperationalError("no such column: x"), Path("/l/ledger.sqlite3")) is None  # a bug
    assert db.explain(OSError(errno.EACCES, "Permission denied", "/elsewhere/out.xlsx"), Path("/l/x")) is None


def _drop_file_permission_override() -> None:
    """In the child about to run swtool: root that obeys file modes (CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH leave the bounding set, so the command runs without them)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _as_plain_user():
    if os.geteuid() != 0:
        return None  # file modes already apply
    probe = subprocess.run(
        [sys.executable, "-c", "open('/proc/self/status').read()"],
        preexec_fn=_drop_file_permission_override,
        capture_output=True,
    )
    if probe.returncode != 0:
        pytest.skip("cannot run a command without root's file-permission override here")
    return _drop_file_permission_override


@pytest.mark.skipif(sys.platform != "linux", reason="file modes as root are tried with Linux capabilities")
def test_a_read_only_ledger_is_said_as_such_and_can_still_be_read(ledger_path):
    """A real read-only ledger: the file made 0444 and the command run as a user file modes apply to
    (root without its permission override, when the tests run as root)."""
    preexec = _as_plain_user()
    env = dict(os.environ, LOGNAME="pmo")

    def swtool(*args):
        return subprocess.run(
            [sys.executable, "-m", "swtool", *map(str, args)],
            capture_output=True,
            text=True,
            preexec_fn=preexec,
            env=env,
        )

    before = sha(ledger_path)
    os.chmod(ledger_path, 0o444)
    try:
        read = swtool("status", "--quarter", Q2, "--today", TODAY, "--db", ledger_path)
        assert read.returncode == 0 and "SW-L4-01" in read.stdout, read.stderr
        res = swtool(
            "decide",
            "credit",
            "SW-L4-01",
            "--quarter",
            Q2,
            "--output",
            "4",
            "--apply",
            "--reason",
            "x",
            "--db",
            ledger_path,
        )
        assert res.returncode == 2
        assert res.stderr == (
            f"swtool: the ledger {ledger_path} is read-only (attempt to write a readonly database): "
            "swtool cannot write to it or to its folder, so nothing was recorded; check the "
            "permissions of both, or use a copy in a folder you can write to\n"
        )
    finally:
        os.chmod(ledger_path, 0o600)
    assert sha(ledger_path) == before and "damaged" not in res.stderr


# --- the decisions' hash chain and the append-only triggers ------------------------------------------


def _three_decisions(path: Path) -> None:
    with open_ledger(path) as ledger:
        store.decide_finding(ledger, 6, "P309", "Claims!D24", "accept", "stale reference data")
        store.decide_credit(ledger, "SW-L4-01", Q2, "4", "apply", "no progressions at all")
        store.decide_finding(ledger, 13, "P309", "Claims!D3", "waive", "agreed with the provider")


def _tamper(path: Path, *sql: str) -> None:
    con = sqlite3.connect(path)
    try:
        for s in sql:
            con.execute(s)
        con.commit()
    finally:
        con.close()


def test_verify_names_the_decision_changed_after_it_was_recorded(ledger_path):
    _three_decisions(ledger_path)
    tables = len(db.TABLE_KEYS)
    assert run("db", "verify", "--db", ledger_path) == (
        f"ok: {ledger_path}: the hash chain of its 3 decisions holds, and its {tables} tables are append-only\n"
    )
    _tamper(
        ledger_path,
        "DROP TRIGGER decisions_no_update",
        "UPDATE decisions SET reason = 'no reason to apply them' WHERE id = 2",
    )
    out = run("db", "verify", "--db", ledger_path, code=1)
    lines = out.splitlines()
    assert lines[0] == f"NOT INTACT: {ledger_path}"
    assert lines[1].startswith("  decision 2 (apply the service credits of SW-L4-01 2026/27-Q2 output 4, ")
    assert lines[1].endswith(" by pmo) does not match its hash: it was changed after it was recorded")
    assert lines[2:] == ["  the trigger decisions_no_update is missing: its rows can be changed"]


def test_verify_finds_a_decision_removed_and_a_guard_rewritten(ledger_path):
    _three_decisions(ledger_path)
    _tamper(
        ledger_path,
        "DROP TRIGGER decisions_no_delete",
        "DELETE FROM decisions WHERE id = 2",
        "CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions BEGIN SELECT 1; END",
    )
    lines = run("db", "verify", "--db", ledger_path, code=1).splitlines()
    assert lines[1].startswith("  decision 3 (waive P309 on return 13, ")
    assert lines[1].endswith(
        " by pmo) is not linked to decision 1 before it: a decision was removed, inserted or rewritten between them"
    )
    assert lines[2:] == ["  the trigger decisions_no_delete is not the one swtool made: its rows can be deleted"]


def test_insert_or_replace_is_refused_on_every_recorded_row(ledger_path):
    _three_decisions(ledger_path)
    before = decision_rows(ledger_path)
    con = sqlite3.connect(ledger_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="decisions are append-only: a recorded row is never replaced"):
            con.execute(
                "INSERT OR REPLACE INTO decisions (id, at, who, kind, target, contract_id, quarter, output, "
                "action, reason, hash) VALUES (2, 'now', 'me', 'credit', 'credit:SW-L4-01:2026/27-Q2:4', "
                "'SW-L4-01', '2026/27-Q2', '4', 'waive', 'replaced', 'h')"
            )
        seq, code = con.execute("SELECT seq, code FROM findings WHERE return_id = 6").fetchone()
        with pytest.raises(sqlite3.IntegrityError, match="findings are append-only: a recorded row is never replaced"):
            con.execute(
                "INSERT OR REPLACE INTO findings (return_id, seq, code, severity, cell, message) "
                "VALUES (6, ?, ?, 'info', '-', 'nothing to see')",
                (seq, code),
            )
        assert con.execute("SELECT severity FROM findings WHERE return_id = 6").fetchone() == ("warning",)
    finally:
        con.close()
    assert decision_rows(ledger_path) == before


def test_a_schema_1_ledger_migrates_with_its_decisions_and_a_chain_that_verifies(tmp_path):
    path = tmp_path / "old" / "ledger.sqlite3"
    path.parent.mkdir()
    con = sqlite3.connect(path, isolation_level=None)
    for statement in db.SCHEMA_1:
        con.execute(statement)
    con.execute("PRAGMA user_version = 1")
    con.execute(
        "INSERT INTO raps (id, contract_id, quarter, review_date, created_at, created_by) "
        "VALUES (1, 'SW-L4-01', '2026/27-Q2', '2027-01-13', '2026-11-20T10:00:00Z', 'pmo')"
    )
    old = [
        (
            1,
            "2026-11-20T10:00:00.000001Z",
            "pmo",
            "credit",
            "credit:SW-L4-01:2026/27-Q2:4",
            None,
            None,
            None,
            "SW-L4-01",
            "2026/27-Q2",
            "4",
            None,
            "apply",
            "no progressions at all",
            '{"credits": 5}',
        ),
        (
            2,
            "2026-11-21T11:30:00.000002Z",
            "pmo",
            "rap",
            "rap:1",
            None,
            None,
            None,
            "SW-L4-01",
            "2026/27-Q2",
            None,
            1,
            "open",
            "output 4 at 0%",
            None,
        ),
    ]
    con.executemany(
        f"INSERT INTO decisions ({', '.join(db.DECISION_COLUMNS)}) VALUES "
        f"({', '.join('?' * len(db.DECISION_COLUMNS))})",
        old,
    )
    con.close()
    with open_ledger(path) as ledger:
        assert ledger.schema_version == len(db.MIGRATIONS)
        assert ledger.migration_backup is not None and ledger.migration_backup.exists()
        rows = ledger.conn.execute(
            f"SELECT {', '.join(db.DECISION_COLUMNS)}, prev_hash, hash FROM decisions ORDER BY id"
        ).fetchall()
        assert [r[:-2] for r in rows] == old
        assert rows[0][-2] is None and rows[1][-2] == rows[0][-1]
        assert db.verify(ledger).ok
    assert run("db", "verify", "--db", path).startswith(f"ok: {path}: the hash chain of its 2 decisions holds")
    assert run("db", "check", "--db", path).startswith("ok: ")


# --- validated before anything is recorded -----------------------------------------------------------------


def test_quarters_outside_the_calendar_are_refused(ledger_path, tmp_path):
    before = sha(ledger_path)
    out = run(
        "decide",
        "credit",
        "SW-L4-01",
        "--quarter",
        "9999/00-Q1",
        "--output",
        "4",
        "--apply",
        "--reason",
        "x",
        "--db",
        ledger_path,
        code=2,
    )
    assert "9999/00-Q1 is not a quarter of the Southwark Works calendar (2023/24-Q2 to 2027/28-Q1)" in out
    out = run("rap", "SW-L4-01", "--quarter", "0000/01-Q1", "-o", tmp_path / "rap.xlsx", "--db", ledger_path, code=2)
    assert "0000/01-Q1 is not a quarter of the Southwark Works calendar" in out
    out = run("status", "--quarter", "2026/27-Q5", "--db", ledger_path, code=2)
    assert "'2026/27-Q5' is not a quarter like 2026/27-Q2" in out
    with open_ledger(ledger_path) as ledger:  # the library refuses too (the review UI calls it)
        with pytest.raises(LedgerError, match="9999/00-Q1 is not a quarter of the Southwark Works calendar"):
            store.decide_credit(ledger, "SW-L4-01", "9999/00-Q1", "4", "apply", "x")
        with pytest.raises(LedgerError, match="0000/01-Q1 is not a quarter of the Southwark Works calendar"):
            store.create_rap(ledger, "SW-L4-01", "0000/01-Q1", date(2027, 1, 13), "x")
        assert ledger.conn.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0
        assert ledger.conn.execute("SELECT count(*) FROM raps").fetchone()[0] == 0
    assert sha(ledger_path) == before and not (tmp_path / "rap.xlsx").exists()


def test_two_decisions_at_once_are_refused(ledger_path):
    before = sha(ledger_path)
    out = run(
        "decide",
        "finding",
        "6",
        "P309",
        "Claims!D24",
        "--accept",
        "--waive",
        "--reason",
        "x",
        "--db",
        ledger_path,
        code=2,
    )
    assert "--accept and --waive are two decisions: give one of --accept, --query, --waive" in out
    out = run(
        "decide",
        "credit",
        "SW-L4-01",
        "--quarter",
        Q2,
        "--output",
        "4",
        "--waive",
        "--apply",
        "--reason",
        "x",
        "--db",
        ledger_path,
        code=2,
    )
    assert "--apply and --waive are two decisions: give one of --apply, --waive" in out
    assert "say --accept, --query or --waive" in run(
        "decide", "finding", "6", "P309", "Claims!D24", "--reason", "x", "--db", ledger_path, code=2
    )
    assert sha(ledger_path) == before  # nothing recorded by the refused ones
    assert run(
        "decide", "finding", "6", "P309", "Claims!D24", "--waive", "--reason", "x", "--db", ledger_path
    ).startswith("Decision 1: waive P309")
    assert [r[1] for r in decision_rows(ledger_path)] == ["x"]


def test_an_id_too_large_for_sqlite_is_a_sentence_not_an_overflow(ledger_path):
    huge = 10**23
    before = sha(ledger_path)
    assert run("decide", "finding", huge, "P309", "-", "--waive", "--reason", "x", "--db", ledger_path, code=2) == (
        f"swtool: no return {huge} in the ledger; `swtool returns` lists them\n"
    )
    assert run("returns", "--id", huge, "--db", ledger_path, code=2) == (
        f"swtool: no return {huge} in the ledger; `swtool returns` lists them\n"
    )
    assert run("rap", "close", huge, "--reason", "x", "--db", ledger_path, code=2) == (
        f"swtool: no remedial action plan {huge} in the ledger; `swtool rap list --all` lists them\n"
    )
    with open_ledger(ledger_path) as ledger:
        for bad in (huge, -1, 0, 2**63):
            with pytest.raises(LedgerError, match=f"no return {bad} in the ledger"):
                store.get_return(ledger, bad)
            with pytest.raises(LedgerError, match=f"no return {bad} in the ledger"):
                store.decide_finding(ledger, bad, "P309", "-", "waive", "x")
    assert sha(ledger_path) == before


def test_decisions_made_here_verify(ledger_path):
    """Every decision the library records (findings, credits, plans) chains and verifies."""
    _three_decisions(ledger_path)
    with open_ledger(ledger_path) as ledger:
        rid = store.create_rap(ledger, "SW-L4-01", Q2, date(2027, 1, 13), "output 4 at 0%")
        store.close_rap(ledger, rid, "improved")
        result = db.verify(ledger)
    assert result.ok and result.decisions == 5, result.problems
    with pytest.raises(LedgerError, match="no remedial action plan"), open_ledger(ledger_path) as ledger:
        store.close_rap(ledger, 10**23, "x")
