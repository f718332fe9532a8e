"""No command writes over what the PMO holds or over what it reads (swtool.write.guard).

For every command that writes a file: pointed at the ledger, its -wal/-shm, its files/ store, a
backup of it, one of its own inputs (by name, through a symbolic link or a hard link), a folder, a
named pipe or a device, it exits 2 with one sentence, writes nothing, and the sha256 of the ledger and
of every input is what it was. ``-`` is standard output; ``/dev/null`` is accepted (docs/decisions.md).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

import ledger_helpers as lh
from swtool.cli import cli
from swtool.ledger import open_ledger, store
from swtool.model.settings import Settings

Q2 = lh.Q2
TODAY = lh.TODAY.isoformat()


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def pmo(tmp_path_factory):
    """A ledger with the sample register and one stored return, a backup of it, and copies of a
    return and the register to read."""
    folder = tmp_path_factory.mktemp("guard")
    register, returns = lh.copy_samples(folder / "in")
    db = folder / "ledger" / "ledger.sqlite3"
    rd = lh.refdata(folder)
    with open_ledger(db) as ledger:
        store.import_register(ledger, register, rd, Settings.defaults())
        done = store.import_returns(ledger, [returns / lh.L3_Q2], rd, Settings.defaults(), lh.TODAY)
    assert [r.status for r in done] == ["imported"]
    stored = next((db.parent / "files").rglob("*.xlsx"))
    backup = lh.clone(db, folder / "backups" / "ledger-backup.sqlite3")
    return {
        "db": db,
        "register": register,
        "return": returns / lh.L3_Q2,
        "history": returns / "SW-L3-01" / "SW-L3-01_2026-27_Q1.xlsx",
        "stored": stored,
        "backup": backup,
        "folder": folder,
    }


@pytest.fixture
def watched(pmo):
    """The sha256 of the ledger, its stored file, the backup and every input, before and after a test."""
    files = [pmo[k] for k in ("db", "register", "return", "history", "stored", "backup")]
    before = {f: sha(f) for f in files}
    listing = sorted(
        p.relative_to(pmo["folder"]) for p in pmo["folder"].rglob("*") if "-wal" not in p.name and "-shm" not in p.name
    )
    yield
    assert {f: sha(f) for f in files} == before
    assert (
        sorted(
            p.relative_to(pmo["folder"])
            for p in pmo["folder"].rglob("*")
            if "-wal" not in p.name and "-shm" not in p.name
        )
        == listing
    ), "a refused command wrote something"


def refused(res, *words: str) -> str:
    """Exit 2, one line on stderr, the words in it, no traceback."""
    assert res.exit_code == 2, (res.exit_code, res.output)
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1 and err.startswith("swtool: "), err
    for w in words:
        assert w in err, err
    assert "Traceback" not in res.output and "internal error" not in err
    return err


# --- the ledger commands -------------------------------------------------------------------------------

LEDGER_WRITERS = [
    ("credits", lambda p, out: ["credits", "--quarter", Q2, "-o", out, "--db", p["db"]]),
    ("credits json", lambda p, out: ["credits", "--quarter", Q2, "--format", "json", "-o", out, "--db", p["db"]]),
    ("performance", lambda p, out: ["performance", "--quarter", Q2, "-o", out, "--db", p["db"]]),
    ("report network", lambda p, out: ["report", "network", "--year", "2026/27", "-o", out, "--db", p["db"]]),
    ("rap", lambda p, out: ["rap", "SW-L4-01", "--quarter", Q2, "-o", out, "--today", TODAY, "--db", p["db"]]),
    ("rap new", lambda p, out: ["rap", "new", "SW-L4-01", "--quarter", Q2, "-o", out, "--db", p["db"]]),
    ("db backup", lambda p, out: ["db", "backup", out, "--db", p["db"]]),
]


@pytest.mark.parametrize("command", [c for c, _ in LEDGER_WRITERS])
def test_ledger_commands_never_write_over_the_ledger(command, pmo, watched):
    args = dict(LEDGER_WRITERS)[command]
    refused(invoke(*args(pmo, pmo["db"])), f"{pmo['db']} is the ledger itself; nothing was written")
    for side in ("-wal", "-shm"):
        out = Path(str(pmo["db"]) + side)
        refused(invoke(*args(pmo, out)), f"{out} is the ledger's {side[1:]} file")
    refused(invoke(*args(pmo, pmo["stored"])), "is inside the ledger's store of imported returns")
    new_in_store = pmo["db"].parent / "files" / "report.xlsx"
    refused(invoke(*args(pmo, new_in_store)), "is inside the ledger's store of imported returns")
    refused(invoke(*args(pmo, pmo["backup"])), f"{pmo['backup']} is a swtool ledger or a backup of one")
    with open_ledger(pmo["db"]) as ledger:
        assert store.raps(ledger, lh.TODAY, include_closed=True) == []  # no plan recorded either


@pytest.mark.parametrize("command", [c for c, _ in LEDGER_WRITERS])
def test_ledger_commands_never_write_into_what_is_not_a_regular_file(command, pmo, watched, tmp_path):
    args = dict(LEDGER_WRITERS)[command]
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    refused(invoke(*args(pmo, fifo)), f"{fifo} is not a regular file but a named pipe")
    refused(invoke(*args(pmo, "/dev/zero")), "/dev/zero is not a regular file but a device")
    link = tmp_path / "link.xlsx"
    link.symlink_to(pmo["db"])  # a link to the ledger is the ledger
    refused(invoke(*args(pmo, link)), "is the ledger itself")


def test_a_hard_link_to_the_ledger_is_the_ledger(pmo, watched, tmp_path):
    link = pmo["folder"] / "elsewhere.sqlite3"
    try:
        os.link(pmo["db"], link)
    except OSError:
        pytest.skip("hard links are not available here")
    try:
        refused(invoke("credits", "--quarter", Q2, "-o", link, "--db", pmo["db"]), "is the ledger itself")
    finally:
        link.unlink()


def test_db_backup_is_written_to_a_new_file_only(pmo, watched):
    ret = pmo["return"]
    refused(invoke("db", "backup", ret, "--db", pmo["db"]), f"{ret} already exists; a backup is never written over")


def test_the_ledger_commands_still_write_where_they_may(pmo, tmp_path):
    out = tmp_path / "credits.txt"
    res = invoke("credits", "--quarter", Q2, "-o", out, "--db", pmo["db"])
    assert res.exit_code == 0 and out.read_text().strip() and res.stderr == f"Wrote {out}\n"
    res = invoke("credits", "--quarter", Q2, "-o", "-", "--db", pmo["db"])
    assert res.exit_code == 0 and res.stdout.strip()
    copy = tmp_path / "copy" / "ledger.sqlite3"
    assert invoke("db", "backup", copy, "--parents", "--db", pmo["db"]).exit_code == 0


# --- the provider's commands -----------------------------------------------------------------------------


def test_check_never_writes_its_report_over_an_input(pmo, watched, tmp_path):
    ret, reg, hist = pmo["return"], pmo["register"], pmo["history"]
    base = ["check", ret, "--today", TODAY, "--register", reg, "--history", hist]
    refused(invoke(*base, "-o", ret), f"{ret} is an input of this command; it is not overwritten")
    refused(invoke(*base, "-o", reg), f"{reg} is an input of this command")
    refused(invoke(*base, "-o", hist), f"{hist} is an input of this command")
    link = tmp_path / "report.txt"
    link.symlink_to(ret)
    refused(invoke(*base, "-o", link), f"{link} is the same file as {ret}, an input of this command")
    hard = pmo["folder"] / "in" / "hard.xlsx"
    try:
        os.link(ret, hard)
    except OSError:
        pytest.skip("hard links are not available here")
    try:
        refused(invoke(*base, "-o", hard), f"{hard} is the same file as {ret}, an input of this command")
    finally:
        hard.unlink()


def test_check_never_writes_over_the_ledger_or_a_backup(pmo, watched):
    ret = pmo["return"]
    refused(invoke("check", ret, "--today", TODAY, "-o", pmo["db"]), "is a swtool ledger or a backup of one")
    refused(invoke("check", ret, "--today", TODAY, "-o", pmo["backup"]), "is a swtool ledger or a backup of one")
    refused(invoke("check", ret, "--today", TODAY, "-o", pmo["stored"]), "is a stored copy in a ledger's files/")
    refused(invoke("check", ret, "--today", TODAY, f"--annotate={pmo['stored']}"), "is a stored copy")
    refused(
        invoke("check", ret, "--today", TODAY, f"--annotate={pmo['register']}", "--register", pmo["register"]),
        "is an input of this command",
    )


def test_the_default_ledger_is_guarded_without_db(pmo, tmp_path, monkeypatch):
    data = tmp_path / "userdata"
    lh.clone(pmo["db"], data / "ledger.sqlite3")
    monkeypatch.setenv("SWTOOL_DATA_DIR", str(data))
    before = sha(data / "ledger.sqlite3")
    out = data / "files" / "report.txt"
    refused(invoke("check", pmo["return"], "--today", TODAY, "-o", out), "is inside the ledger's store")
    refused(
        invoke("check", pmo["return"], "--today", TODAY, "-o", str(data / "ledger.sqlite3") + "-wal"),
        "is the ledger's wal file",
    )
    assert sha(data / "ledger.sqlite3") == before and not out.exists()


def test_check_refuses_a_folder_a_pipe_or_a_device_as_its_report(pmo, watched, tmp_path):
    ret = pmo["return"]
    refused(invoke("check", ret, "--today", TODAY, "-o", tmp_path), f"{tmp_path} is not a regular file but a folder")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    refused(invoke("check", ret, "--today", TODAY, "-o", fifo), "is not a regular file but a named pipe")
    refused(invoke("check", ret, "--today", TODAY, "-o", "/dev/zero"), "is not a regular file but a device")
    annotated = tmp_path / "pipe.annotated.xlsx"
    os.mkfifo(annotated)  # would block opening it to see whether it is an earlier annotated copy
    refused(invoke("check", ret, "--today", TODAY, f"--annotate={annotated}"), "is not a regular file")


def test_dev_null_and_stdout_are_accepted(pmo, watched):
    res = invoke("check", pmo["return"], "--today", TODAY, "-o", os.devnull)
    assert res.exit_code in (0, 1) and res.stdout == "", res.output
    res = invoke("check", pmo["return"], "--today", TODAY, "-o", "-")
    assert res.exit_code in (0, 1) and pmo["return"].name in res.stdout


def test_receipts_never_land_on_a_pipe_or_the_ledger(pmo, tmp_path):
    ret = tmp_path / "r.xlsx"
    shutil.copyfile(pmo["return"], ret)
    os.mkfifo(tmp_path / "r.xlsx.receipt.json")
    before = sha(ret)
    refused(invoke("check", ret, "--today", TODAY, "--receipt"), "r.xlsx.receipt.json is not a regular file")
    (tmp_path / "r.xlsx.receipt.json").unlink()
    (tmp_path / "r.xlsx.receipt.json").symlink_to(pmo["db"])
    db_before = sha(pmo["db"])
    refused(invoke("check", ret, "--today", TODAY, "--receipt"), "is a swtool ledger or a backup of one")
    assert sha(ret) == before and sha(pmo["db"]) == db_before


def test_templates_never_write_over_the_register_or_the_ledger(pmo, watched):
    reg = pmo["register"]
    refused(
        invoke("template", "return", "--register", reg, "--contract", "SW-L3-01", "--quarter", Q2, "-o", reg),
        f"{reg} is an input of this command",
    )
    refused(invoke("template", "return", "-o", pmo["db"]), "is a swtool ledger or a backup of one")
    refused(invoke("template", "register", "-o", pmo["backup"]), "is a swtool ledger or a backup of one")
    refused(invoke("template", "register", "-o", pmo["stored"]), "is a stored copy")


def test_a_template_may_still_replace_an_earlier_template(tmp_path):
    out = tmp_path / "register.xlsx"
    assert invoke("template", "register", "-o", out).exit_code == 0
    assert invoke("template", "register", "-o", out).exit_code == 0


# --- the guard itself ------------------------------------------------------------------------------------


def test_the_guard_knows_the_ledgers_application_id():
    from swtool.ledger.db import APPLICATION_ID, FILES_DIR, LEDGER_NAME
    from swtool.write.guard import FILES_DIR as GUARD_FILES_DIR
    from swtool.write.guard import LEDGER_APPLICATION_ID

    assert LEDGER_APPLICATION_ID == APPLICATION_ID and GUARD_FILES_DIR == FILES_DIR
    assert LEDGER_NAME == "ledger.sqlite3"  # outguard._ledgers looks for the default ledger under this name


def test_the_guard_api(pmo, tmp_path):
    from swtool.errors import SwtoolError
    from swtool.write.guard import guard_output, is_ledger_file

    assert guard_output("-") == Path("-")
    assert guard_output(tmp_path / "new.txt", [pmo["return"], None], pmo["db"], what="payments") == tmp_path / "new.txt"
    with pytest.raises(SwtoolError, match="choose another file for the payments"):
        guard_output(pmo["db"], ledger=pmo["db"], what="payments")
    with pytest.raises(SwtoolError, match="is in the folder"):  # an input folder protects what is in it
        guard_output(pmo["return"], [pmo["return"].parent.parent])
    assert is_ledger_file(pmo["db"]) and is_ledger_file(pmo["backup"]) and not is_ledger_file(pmo["return"])
    plain = tmp_path / "other.sqlite3"
    import sqlite3

    sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.close()
    assert not is_ledger_file(plain)  # another SQLite database is not a ledger
    guard_output(plain)


def test_the_guard_imports_only_the_standard_library():
    code = (
        "import sys; import swtool.write.guard as g; g.guard_output('x.txt'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pandas', 'numpy', 'openpyxl', 'click', 'textual', 'sqlite3')))"
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SWTOOL_DATA_DIR": "/nonexistent-swtool-data"},
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def test_nothing_blocks_on_a_pipe(pmo, tmp_path):
    """Safety net only: if a refusal ever opened the pipe, this timer unblocks it and the test fails."""
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    fired = []

    def unblock():
        fired.append(True)
        try:
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass

    timer = threading.Timer(60, unblock)
    timer.start()
    try:
        refused(invoke("credits", "--quarter", Q2, "-o", fifo, "--db", pmo["db"]), "not a regular file")
    finally:
        timer.cancel()
    assert not fired
