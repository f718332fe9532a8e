"""One file never stops a batch: ``check`` and ``import`` report every file, whatever happens to another.

The two files that used to stop a batch are in the corpus (``age-1e308``: an OverflowError in the
typing; ``broken-deflate-stream``: zlib's "Error -3 while decompressing"). Both now end where they
belong (S004 for the age, S001 for the damaged part); and a failure nobody foresaw in checking one file
becomes one S001 "could not be checked" for that file (the test brings the old overflow back to prove
it). Pipes and devices named like a workbook are refused unread. ``import`` escapes file names on the
terminal, never imports the ledger's own stored copies, and leaves no stored file behind a failed write.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

import ledger_helpers as lh
from builders import write_return
from corpus import age_1e308, broken_deflate
from swtool.cli import cli
from swtool.ledger import open_ledger, store
from swtool.model.settings import Settings

TODAY = lh.TODAY.isoformat()
GOOD = [
    Path("SW-L1A-01") / "SW-L1A-01_2026-27_Q1.xlsx",
    Path("SW-L4-01") / "SW-L4-01_2026-27_Q2.xlsx",
    Path("SW-L5-01") / "SW-L5-01_2026-27_Q2.xlsx",
]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    return lh.copy_samples(tmp_path_factory.mktemp("samples"))


@pytest.fixture(scope="module")
def batch_files(samples, tmp_path_factory) -> tuple[Path, str, str]:
    """The batch's files, made once for the module (each test checks or imports a copy of them)."""
    _register, returns = samples
    folder = tmp_path_factory.mktemp("batch-files")
    for g in GOOD:
        shutil.copyfile(returns / g, folder / g.name)
    base = write_return(tmp_path_factory.mktemp("base"))
    return folder, age_1e308(folder, base).name, broken_deflate(folder, base).name


@pytest.fixture
def batch(batch_files, tmp_path):
    """A folder of three good sample returns and the two files that used to stop a batch."""
    files, age, deflate = batch_files
    folder = shutil.copytree(files, tmp_path / "batch")
    return folder, folder / age, folder / deflate


@pytest.fixture(scope="module")
def register_ledger(samples, tmp_path_factory) -> Path:
    """A ledger holding the sample register alone, made once for the module; each test works on a clone."""
    register, _ = samples
    folder = tmp_path_factory.mktemp("register-ledger")
    db = folder / "ledger.sqlite3"
    with open_ledger(db) as ledger:
        store.import_register(ledger, register, lh.refdata(folder), Settings.defaults())
    return db


@pytest.fixture
def ledger_path(register_ledger, tmp_path):
    return lh.clone(register_ledger, tmp_path / "ledger" / "ledger.sqlite3")


@pytest.fixture
def old_overflow(monkeypatch):
    """The typing as it was: an age of 1e308 reaches pandas' Int64 and raises OverflowError."""
    import swtool.read.tables

    monkeypatch.setattr(swtool.read.tables, "MAX_WHOLE", 10**400)


def files_of(res) -> dict[str, list[tuple[str, str | None]]]:
    return {
        Path(f["path"]).name: [(x["code"], x["value"]) for x in f["findings"] if x["code"] == "S001"]
        for f in json.loads(res.stdout)["files"]
    }


# --- check --------------------------------------------------------------------------------------------


def test_check_reports_every_file_of_a_batch(batch):
    folder, age, deflate = batch
    before = {p: sha(p) for p in folder.iterdir()}
    res = invoke("check", folder, "--today", TODAY, "--format", "json")
    assert res.exit_code == 1, res.output
    got = files_of(res)
    assert sorted(got) == sorted([g.name for g in GOOD] + [age.name, deflate.name])
    assert got[deflate.name] == [("S001", "damaged")]
    assert got[age.name] == []  # an S004 (the corpus test says which), not an S001
    assert all(got[g.name] == [] for g in GOOD)
    assert {p: sha(p) for p in folder.iterdir()} == before


def test_a_check_that_fails_unexpectedly_is_one_s001_for_that_file(batch, old_overflow, caplog):
    folder, age, deflate = batch
    logger = logging.getLogger("swtool")  # the command keeps its log to itself unless SWTOOL_DEBUG is set
    logger.addHandler(caplog.handler)
    try:
        res = invoke("check", folder, "--today", TODAY, "--format", "json")
    finally:
        logger.removeHandler(caplog.handler)
    assert res.exit_code == 1 and "internal error" not in res.stderr, res.output
    got = files_of(res)
    assert got[age.name] == [("S001", "not-checked")]
    assert got[deflate.name] == [("S001", "damaged")]
    assert all(got[g.name] == [] for g in GOOD)
    message = next(f for f in json.loads(res.stdout)["files"] if f["path"].endswith(age.name))["findings"][0]
    assert message["message"].startswith(
        "The workbook could not be checked: swtool met a problem it did not expect (OverflowError)."
    )
    assert any("checking" in r.getMessage() and r.exc_info for r in caplog.records)  # for SWTOOL_DEBUG=1
    text = invoke("check", folder, "--today", TODAY)
    assert "could not be checked" in text.stdout and f"{len(GOOD) + 2} files checked" in text.stdout


def test_check_file_turns_any_exception_into_s001(tmp_path, monkeypatch):
    import swtool.engine as engine
    from swtool.checks.context import CheckContext
    from swtool.model.refdata import RefData

    path = write_return(tmp_path)

    def broken(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    import swtool.checks.runner as runner

    monkeypatch.setattr(runner, "run_rules", broken)  # the engine takes the runner's at each check
    ctx = CheckContext(RefData(), Settings.defaults(), lh.TODAY, None, [], False, None)
    report, sub = engine.check_file(path, ctx)
    assert sub is None and report.sha256 == sha(path)
    assert [(f.code, f.value) for f in report.findings] == [("S001", "not-checked")]
    assert "(RecursionError)" in report.findings[0].message


# --- pipes and devices ----------------------------------------------------------------------------------


class Unblock:
    """Safety net: if anything ever opened the pipe, open its other end after a minute so the test
    ends (and fails) instead of hanging."""

    def __init__(self, fifo: Path):
        self.fifo, self.fired = fifo, False
        self.timer = threading.Timer(60, self._fire)

    def _fire(self):
        self.fired = True
        for flags in (os.O_WRONLY | os.O_NONBLOCK, os.O_RDONLY | os.O_NONBLOCK):
            try:
                os.close(os.open(self.fifo, flags))
            except OSError:
                pass

    def __enter__(self):
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.cancel()


@pytest.fixture
def specials(tmp_path):
    folder = tmp_path / "odd"
    folder.mkdir()
    fifo = folder / "pipe.xlsx"
    os.mkfifo(fifo)
    (folder / "zero.xlsx").symlink_to("/dev/zero")  # a device: reading it never ends
    (folder / "to-pipe.xlsx").symlink_to(fifo)  # a link to a pipe
    write_return(folder, "good.xlsx")
    return folder, fifo


def test_check_refuses_pipes_and_devices_unread(specials):
    folder, fifo = specials
    with Unblock(fifo) as net:
        res = invoke("check", folder, "--today", TODAY, "--format", "json")
        alone = invoke("check", fifo, "--today", TODAY)
    assert not net.fired
    assert res.exit_code == 1, res.output
    got = files_of(res)
    assert got == {
        "good.xlsx": [],
        "pipe.xlsx": [("S001", "not-a-file")],
        "to-pipe.xlsx": [("S001", "not-a-file")],
        "zero.xlsx": [("S001", "not-a-file")],
    }
    assert alone.exit_code == 1 and "is not a regular file but a named pipe" in alone.stdout


def test_import_refuses_pipes_and_devices_unread(specials, ledger_path):
    folder, fifo = specials
    with Unblock(fifo) as net:
        res = invoke("import", folder, "--db", ledger_path, "--today", TODAY)
    assert not net.fired
    assert res.exit_code == 1, res.output
    lines = res.stdout.splitlines()
    for name, kind in (("pipe.xlsx", "a named pipe"), ("to-pipe.xlsx", "a named pipe"), ("zero.xlsx", "a device")):
        assert f"{folder / name}: not imported: it is not a regular file ({kind}) and was not read" in lines
    assert lines[-1].startswith("4 files: ") and "3 refused" in lines[-1]
    with open_ledger(ledger_path) as ledger:
        assert store.received(ledger) == []  # nothing was received from a pipe: nothing to record


# --- import -----------------------------------------------------------------------------------------------


def test_import_reports_every_file_of_a_batch(batch, ledger_path):
    folder, age, deflate = batch
    res = invoke("import", folder, "--db", ledger_path, "--today", TODAY)
    assert res.exit_code == 1, res.output
    lines = res.stdout.splitlines()
    assert len(lines) == len(GOOD) + 3
    for g in GOOD:
        assert any(ln.startswith(f"{folder / g.name}: imported as version 1 of ") for ln in lines), lines
    assert any(ln.startswith(f"{age}: imported as version 1 of SW-L3-01 2026/27-Q2") for ln in lines)
    assert (
        f"{deflate}: unreadable, recorded as received: The workbook is damaged: a part inside it cannot be "
        "unpacked. Save it again from Excel and resend it." in lines
    )
    assert lines[-1] == "5 files: 4 imported, 1 unreadable"


def test_import_records_a_file_whose_check_fails_as_received(batch, ledger_path, old_overflow):
    """3 good returns imported, the 2 bad files recorded as received (unreadable, with the reason), every
    file listed."""
    folder, age, deflate = batch
    res = invoke("import", folder, "--db", ledger_path, "--today", TODAY)
    assert res.exit_code == 1, res.output
    lines = res.stdout.splitlines()
    assert lines[-1] == "5 files: 3 imported, 2 unreadable"
    assert sum(": imported as version 1 of " in ln for ln in lines) == 3
    assert (
        f"{age}: unreadable, recorded as received: The workbook could not be checked: swtool met a problem it "
        "did not expect (OverflowError). Send the file to the council, which will have it looked at." in lines
    )
    assert any(ln.startswith(f"{deflate}: unreadable, recorded as received: ") for ln in lines)
    with open_ledger(ledger_path) as ledger:
        received = {r["source_name"]: (r["outcome"], r["reason"]) for r in store.received(ledger)}
        assert len(store.returns(ledger)) == 3
    assert set(received) == {age.name, deflate.name}
    assert {o for o, _ in received.values()} == {"unreadable"}
    assert "could not be checked" in received[age.name][1] and "cannot be unpacked" in received[deflate.name][1]
    listed = invoke("returns", "--db", ledger_path)
    assert age.name in listed.stdout and deflate.name in listed.stdout  # asked for again, not forgotten


def test_import_escapes_terminal_controls_in_file_names(tmp_path, ledger_path, samples):
    _, returns = samples
    folder = tmp_path / "in"
    folder.mkdir()
    evil = folder / "evil\x1b]0;owned\x07\x1b[2J\u202e.xlsx"
    shutil.copyfile(returns / GOOD[0], evil)
    (folder / "bad\x9b31m.xlsx").write_bytes(b"not a workbook")
    res = invoke("import", folder, "--db", ledger_path, "--today", TODAY)
    assert res.exit_code == 1, res.output
    assert "\x1b" not in res.stdout and "\x07" not in res.stdout and "\x9b" not in res.stdout
    assert "\u202e" not in res.stdout
    assert "evil\\x1b]0;owned\\x07\\x1b[2J\\u202e.xlsx: imported as version 1" in res.stdout
    assert "bad\\x9b31m.xlsx: unreadable, recorded as received" in res.stdout


def test_a_folder_import_skips_the_ledgers_own_store(samples, ledger_path):
    _, returns = samples
    first = invoke("import", returns / GOOD[0], "--db", ledger_path, "--today", TODAY)
    assert first.exit_code == 0, first.output
    stored = list((ledger_path.parent / "files").rglob("*.xlsx"))
    assert len(stored) == 2  # the register and the return
    res = invoke("import", ledger_path.parent, "--db", ledger_path, "--today", TODAY)
    assert res.exit_code == 2 and "the ledger's own stored copies" in res.stderr, res.output
    extra = ledger_path.parent / "new.xlsx"
    shutil.copyfile(returns / GOOD[1], extra)
    res = invoke("import", ledger_path.parent, "--db", ledger_path, "--today", TODAY)
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[-1] == "1 file: 1 imported" and str(extra) in res.stdout
    with open_ledger(ledger_path) as ledger:
        assert store.received(ledger) == [] and len(store.returns(ledger)) == 2


def test_a_failed_import_leaves_no_stored_file_behind(samples, ledger_path, monkeypatch):
    _, returns = samples
    path = returns / GOOD[1]
    target = ledger_path.parent / "files" / sha(path)[:2] / f"{sha(path)}.xlsx"

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "_insert_records", disk_full)
    res = invoke("import", path, returns / GOOD[0], "--db", ledger_path, "--today", TODAY)
    assert res.exit_code == 1, res.output
    lines = res.stdout.splitlines()
    assert (
        f"{path}: not imported: it could not be stored (OSError: [Errno 28] No space left on device); nothing "
        "was recorded: import it again" in lines
    )
    assert lines[-1] == "2 files: 2 not stored"
    assert not target.exists(), "a stored file no row refers to"
    assert sorted(p.name for p in (ledger_path.parent / "files").rglob("*.xlsx")) == [
        sha(lh.SAMPLES / "register.xlsx") + ".xlsx"
    ]  # the register's own copy stays
    monkeypatch.undo()
    again = invoke("import", path, "--db", ledger_path, "--today", TODAY)
    assert again.exit_code in (0, 1) and ": imported as version 1 of " in again.stdout, again.output
    assert target.exists()


def test_a_stored_file_a_row_refers_to_is_never_removed(samples, ledger_path, monkeypatch):
    """Tidying after a failed import asks the ledger, under its write lock, whether a row refers to the
    stored file: one that a return refers to stays."""
    _, returns = samples
    path = returns / GOOD[2]
    assert invoke("import", path, "--db", ledger_path, "--today", TODAY).exit_code in (0, 1)
    target = ledger_path.parent / "files" / sha(path)[:2] / f"{sha(path)}.xlsx"
    assert target.exists()
    with open_ledger(ledger_path) as ledger:
        store._unstore(ledger, str(target.relative_to(ledger_path.parent)))
    assert target.exists()


def test_a_wrong_limit_setting_still_stops_the_whole_run(batch, ledger_path):
    """Not a problem of one file: the run cannot go on for any (exit 2, one sentence, nothing recorded)."""
    folder, _, _ = batch
    for args in (["check", folder, "--today", TODAY], ["import", folder, "--db", ledger_path, "--today", TODAY]):
        res = CliRunner().invoke(cli, [str(a) for a in args], env={"SWTOOL_LIMITS": "max_rows=ten"})
        assert res.exit_code == 2 and "SWTOOL_LIMITS: max_rows='ten' is not a number" in res.stderr, res.output
    with open_ledger(ledger_path) as ledger:
        assert store.received(ledger) == [] and store.returns(ledger) == []
