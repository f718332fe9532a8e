"""The rough edges new users found: whatever a user does ends in one plain sentence and exit 1 or 2, never
"internal error", and the input is left as it was.

A register with an Annual target of 1e308; file names that are not valid UTF-8 (with --receipt, -o,
register import and import); SWTOOL_LIMITS of nan or inf; a backup into /proc or a folder that does not
exist; a read-only ledger or files/ folder; a full disk (ENOSPC, EFBIG) during an import, a backup, a
register import and the network report; a quarter such as 0000/01-Q1; a return id of 10^23; output piped
into `head`; a folder holding files that are not returns; a workbook renamed .xls. Each is tried as the
user meets it (CliRunner, or a subprocess where the terminal or the file system matters).
"""

from __future__ import annotations

import ctypes
import errno
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import ledger_helpers as lh
from swtool.cli import cli
from swtool.ledger import db, open_ledger

Q2 = lh.Q2
TODAY = lh.TODAY.isoformat()
L3_Q2 = lh.SAMPLES / "returns" / lh.L3_Q2
BIG_ID = str(10**23)


def run(*args, code: int = 0, env: dict | None = None):
    """The command as a user runs it; the conftest fails any whose output says "internal error"."""
    result = CliRunner(env=env).invoke(cli, [a if isinstance(a, str) else os.fsdecode(a) for a in args])
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert not result.exception or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and its sha256: to show nothing was changed or added."""
    return {str(p.relative_to(folder)): sha(p) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(autouse=True)
def pmo(monkeypatch):
    monkeypatch.setenv("LOGNAME", "pmo")


@pytest.fixture
def register_copy(tmp_path) -> Path:
    target = tmp_path / "in" / "register.xlsx"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(lh.SAMPLES / "register.xlsx", target)
    return target


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """Made once for the module, and only read: ``corrected.xlsx`` (``lh.late_claim_return`` of SW-L7-01
    2026/27-Q2) and ``register.xlsx``, the sample register with another provider name in Contracts!B2 (a
    different register, so an import must store it)."""
    folder = tmp_path_factory.mktemp("inputs")
    lh.late_claim_return(lh.SAMPLES / "returns" / lh.L7_Q2, folder / "corrected.xlsx")
    wb = openpyxl.load_workbook(lh.SAMPLES / "register.xlsx")
    wb["Contracts"]["B2"].value = "Walworth Young Futures Ltd"
    wb.save(folder / "register.xlsx")
    return folder


@pytest.fixture
def corrected(inputs) -> Path:
    return inputs / "corrected.xlsx"


@pytest.fixture
def changed_register(inputs) -> Path:
    return inputs / "register.xlsx"


def non_utf8(folder: Path, stem: bytes, suffix: bytes) -> Path:
    """A path whose name is not valid UTF-8 (a byte 0xFF), as a file system that takes any bytes allows."""
    name = os.fsencode(folder) + b"/" + stem + b"\xff" + suffix
    try:
        with open(name, "wb"):
            pass
        os.unlink(name)
    except (OSError, ValueError):
        pytest.skip("this file system refuses names that are not valid UTF-8")
    return Path(os.fsdecode(name))


# --- a register whose Annual target is 1e308 ----------------------------------------------------------------


def test_an_annual_target_of_1e308_is_refused_by_register_import_and_check(register_copy, tmp_path):
    wb = openpyxl.load_workbook(register_copy)
    wb["Targets"]["C2"].value = 1e308
    wb.save(register_copy)
    before = sha(register_copy)
    said = (
        f"swtool: {register_copy}: the contract register has errors:\n"
        "  Targets!C2: Annual target 1e+308 is not a whole number of at most 15 digits\n"
    )
    assert run("register", "import", register_copy, "--db", tmp_path / "l" / "ledger.sqlite3", code=2).output == said
    assert run("check", L3_Q2, "--register", register_copy, "--today", TODAY, code=2).output == said
    assert sha(register_copy) == before


# --- file names that are not valid UTF-8 --------------------------------------------------------------------


def test_a_return_named_with_a_byte_that_is_not_utf8_gets_its_receipt_and_report(tmp_path):
    source = non_utf8(tmp_path, b"ret", b".xlsx")
    shutil.copyfile(L3_Q2, source)
    before = sha(source)
    report = non_utf8(tmp_path, b"report", b".json")
    res = run("check", source, "--receipt", "--format", "json", "-o", report, "--today", TODAY)
    assert "Receipt: " in res.output and "Wrote " in res.output
    receipt = json.loads(Path(str(source) + ".receipt.json").read_text(encoding="utf-8"))
    assert receipt["file"] == "ret\ufffd.xlsx" and receipt["sha256"] == before
    data = json.loads(report.read_text(encoding="utf-8"))  # valid UTF-8 JSON: the byte shown as U+FFFD
    assert data["files"][0]["path"] == str(tmp_path / "ret\ufffd.xlsx")
    assert sha(source) == before


def test_the_text_report_of_a_return_named_with_a_byte_that_is_not_utf8_goes_to_the_screen(tmp_path):
    source = non_utf8(tmp_path, b"ret", b".xlsx")
    shutil.copyfile(L3_Q2, source)
    res = run("check", source, "--today", TODAY)
    assert res.stdout.splitlines()[0] == str(tmp_path / "ret\ufffd.xlsx")


def test_a_register_and_a_return_named_with_bytes_that_are_not_utf8_are_imported(tmp_path):
    register = non_utf8(tmp_path, b"register", b".xlsx")
    shutil.copyfile(lh.SAMPLES / "register.xlsx", register)
    source = non_utf8(tmp_path, b"ret", b".xlsx")
    shutil.copyfile(L3_Q2, source)
    ledger = tmp_path / "l" / "ledger.sqlite3"
    out = run("register", "import", register, "--db", ledger).output
    assert out == f"Imported {tmp_path / 'register'}\ufffd.xlsx as register version 1: 7 contracts\n"
    out = run("import", source, "--db", ledger, "--today", TODAY, code=1).output  # errors: no earlier quarters
    assert out.startswith(f"{tmp_path / 'ret'}\ufffd.xlsx: imported as version 1 of SW-L3-01 2026/27-Q2 (return 1)")
    listed = run("returns", "--db", ledger).output
    assert "ret\ufffd.xlsx" in listed


# --- SWTOOL_LIMITS ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "limit, said",
    [
        ("read_seconds=nan", "SWTOOL_LIMITS: read_seconds='nan' is not a finite number"),
        ("read_seconds=inf", "SWTOOL_LIMITS: read_seconds='inf' is not a finite number"),
        ("read_seconds=-inf", "SWTOOL_LIMITS: read_seconds='-inf' is not a finite number"),
        ("read_memory_mb=inf", "SWTOOL_LIMITS: read_memory_mb='inf' is not a number"),
        ("read_seconds=1e12", "SWTOOL_LIMITS: read_seconds can be at most 86,400"),
        ("max_columns=10000000000000000000000", "SWTOOL_LIMITS: max_columns can be at most 16,384"),
        ("read_memory_mb=1000000000000000000000", "SWTOOL_LIMITS: read_memory_mb can be at most 1,048,576"),
    ],
)
def test_limits_of_nan_inf_or_beyond_what_the_system_takes_are_refused(limit, said, tmp_path):
    source = tmp_path / "return.xlsx"
    shutil.copyfile(L3_Q2, source)
    res = run("check", source, "--today", TODAY, code=2, env={"SWTOOL_LIMITS": limit})
    assert res.output == f"swtool: {said}\n"


def test_limits_at_their_largest_still_check(tmp_path):
    source = tmp_path / "return.xlsx"
    shutil.copyfile(L3_Q2, source)
    res = run("check", source, "--today", TODAY, env={"SWTOOL_LIMITS": "read_seconds=86400,max_columns=16384"})
    assert "0 errors, 1 warning" in res.output


def test_a_wrong_limit_stops_an_import_before_anything_is_recorded(ledger_path, corrected):
    before = sha(ledger_path)
    res = run(
        "import", corrected, "--db", ledger_path, "--today", TODAY, code=2, env={"SWTOOL_LIMITS": "read_seconds=nan"}
    )
    assert res.output == "swtool: SWTOOL_LIMITS: read_seconds='nan' is not a finite number\n"
    assert sha(ledger_path) == before


# --- db backup: /proc, a folder that does not exist ----------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_a_backup_into_proc_is_refused_in_one_sentence(ledger_path):
    res = run("db", "backup", "/proc/backup.sqlite3", "--db", ledger_path, code=2)
    assert res.output.startswith("swtool: the backup /proc/backup.sqlite3 could not be written (")
    assert res.output.endswith("); choose a folder on a disk you can write to\n")


def test_a_backup_into_a_folder_that_does_not_exist_is_refused_unless_parents(ledger_path, tmp_path):
    target = tmp_path / "no" / "such" / "backup.sqlite3"
    res = run("db", "backup", target, "--db", ledger_path, code=2)
    assert res.output == (
        f"swtool: the folder {target.parent} does not exist, so no backup was made; create it, or "
        "give --parents to have it created\n"
    )
    assert not (tmp_path / "no").exists()
    res = run("db", "backup", target, "--parents", "--db", ledger_path)
    assert res.output.startswith(f"Backed up {ledger_path} to {target}: 13 returns, 0 decisions\n")
    assert (target.parent / "files").is_dir()
    with open_ledger(target) as copy:
        assert copy.conn.execute("SELECT count(*) FROM returns").fetchone()[0] == 13


def test_a_backup_beside_a_file_named_as_its_folder_is_refused(ledger_path, tmp_path):
    (tmp_path / "plain").write_text("not a folder")
    res = run("db", "backup", tmp_path / "plain" / "backup.sqlite3", "--db", ledger_path, code=2)
    assert res.output == f"swtool: {tmp_path / 'plain'} is not a folder, so no backup can be written in it\n"


# --- a full disk (ENOSPC, EFBIG) ------------------------------------------------------------------------------


@pytest.fixture(params=[errno.ENOSPC, errno.EFBIG], ids=["ENOSPC", "EFBIG"])
def disk_full(request, monkeypatch):
    """Call it to fill the disk: from then on every write of a stored file (``db._write_fd``) and of a
    workbook's zip (``ZipFile.writestr``) raises the OS error of a full disk (or of a file-size limit),
    injected here as a real one needs a full disk. Returns the error's words."""
    code = request.param

    def full(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    def fill() -> str:
        monkeypatch.setattr(db, "_write_fd", full)
        monkeypatch.setattr(zipfile.ZipFile, "writestr", full)
        return os.strerror(code)

    return fill


def test_a_full_disk_during_an_import_is_said_and_nothing_is_recorded(ledger_path, corrected, disk_full):
    before, source = sha(ledger_path), sha(corrected)
    why = disk_full()
    out = run("import", corrected, "--db", ledger_path, "--today", TODAY, code=1).output
    assert f"could not be stored (the disk is full: {ledger_path.parent}" in out
    assert f"({why}), so nothing more was recorded" in out and out.endswith("1 file: 1 not stored\n")
    assert sha(ledger_path) == before and sha(corrected) == source
    assert not [p for p in (ledger_path.parent / "files").rglob("*.tmp")]


def test_a_full_disk_during_a_register_import_is_said(ledger_path, changed_register, disk_full):
    register_copy = changed_register  # a different register: it must be stored
    before = sha(register_copy)
    why = disk_full()
    res = run("register", "import", register_copy, "--db", ledger_path, code=2)
    assert res.output.startswith("swtool: the disk is full: ") and f"({why})" in res.output
    with open_ledger(ledger_path) as ledger:
        assert ledger.conn.execute("SELECT count(*) FROM register_versions").fetchone()[0] == 1
    assert sha(register_copy) == before


def test_a_full_disk_while_a_backup_copies_the_stored_returns_is_said(ledger_path, tmp_path, disk_full):
    target = tmp_path / "backups" / "backup.sqlite3"
    target.parent.mkdir()
    why = disk_full()
    res = run("db", "backup", target, "--db", ledger_path, code=2)
    assert res.output.startswith(f"swtool: the disk is full: {target.parent}")
    assert f"({why})" in res.output
    assert not target.exists()  # a database without its stored returns is no backup
    assert not [p for p in target.parent.rglob("*.tmp")]


def test_a_full_disk_while_a_backup_writes_the_database_is_said(ledger_path, tmp_path, monkeypatch):
    def full(path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(db, "_fsync", full)
    target = tmp_path / "backups" / "backup.sqlite3"
    target.parent.mkdir()
    res = run("db", "backup", target, "--db", ledger_path, code=2)
    assert res.output.startswith(f"swtool: the disk is full: {target.parent}/.backup.sqlite3.")
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_a_full_disk_while_the_network_report_is_written_is_said(ledger_path, tmp_path, disk_full):
    out = tmp_path / "network.xlsx"
    why = disk_full()
    res = run("report", "network", "--year", "2026/27", "-o", out, "--db", ledger_path, "--today", TODAY, code=2)
    assert res.output == f"swtool: cannot write {out}: {why}\n"
    assert list(tmp_path.glob("*network*")) == []


def test_a_full_disk_under_a_report_of_check_is_said(tmp_path, monkeypatch):
    from swtool.write import atomic

    def full(target, text):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic, "write_text", full)
    res = run("check", L3_Q2, "-o", tmp_path / "report.txt", "--today", TODAY, code=2)
    assert res.output == f"swtool: cannot write {tmp_path / 'report.txt'}: No space left on device\n"


def test_any_other_os_error_is_one_sentence_not_a_bug(monkeypatch, tmp_path):
    """An OSError nobody caught on its way (here: the rules list cannot be read) is the world outside, said
    in a sentence naming the file, never "internal error"."""
    from swtool import catalogue

    def refused():
        raise PermissionError(errno.EACCES, "Permission denied", "/srv/swtool/rules")

    monkeypatch.setattr(catalogue, "load_all", refused)
    res = run("rules", code=2)
    assert res.output == (
        "swtool: /srv/swtool/rules cannot be written or read here (Permission denied); check its "
        "permissions or choose another place\n"
    )


# --- a read-only ledger or files/ folder ---------------------------------------------------------------------


def _drop_file_permission_override() -> None:
    """In the child about to run swtool: root that obeys file modes (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
    leave the bounding set)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@functools.cache
def _can_drop_file_permission_override() -> bool:
    probe = subprocess.run(
        [sys.executable, "-c", "pass"], preexec_fn=_drop_file_permission_override, capture_output=True
    )
    return probe.returncode == 0


def _plain_user():
    if os.geteuid() != 0:
        return None
    if not _can_drop_file_permission_override():  # tried once: the answer is the machine's
        pytest.skip("cannot run a command without root's file-permission override here")
    return _drop_file_permission_override


def swtool_as_user(*args):
    return subprocess.run(
        [sys.executable, "-m", "swtool", *map(str, args)],
        capture_output=True,
        text=True,
        preexec_fn=_plain_user(),
        env=dict(os.environ, LOGNAME="pmo"),
    )


@pytest.mark.skipif(sys.platform != "linux", reason="file modes as root are tried with Linux capabilities")
def test_a_read_only_ledger_refuses_imports_in_one_sentence(ledger_path, changed_register, corrected):
    register_copy = changed_register
    before = tree(ledger_path.parent)
    os.chmod(ledger_path, 0o444)
    try:
        res = swtool_as_user("import", corrected, "--db", ledger_path, "--today", TODAY)
        assert res.returncode == 1 and res.stdout.endswith("1 file: 1 not stored\n"), res.stderr
        assert f"the ledger {ledger_path} is read-only (attempt to write a readonly database)" in res.stdout
        res = swtool_as_user("register", "import", register_copy, "--db", ledger_path)
        assert res.returncode == 2
        assert res.stderr.startswith(
            f"swtool: the ledger {ledger_path} is read-only (attempt to write a readonly "
            "database): swtool cannot write to it or to its folder"
        )
    finally:
        os.chmod(ledger_path, 0o600)
    after = tree(ledger_path.parent)
    assert after.pop("ledger.sqlite3-wal", "") in ("", hashlib.sha256(b"").hexdigest())  # SQLite's, left empty
    after.pop("ledger.sqlite3-shm", None)
    # the workbook stored before the transaction was refused may stay in files/ (store._unstore cannot ask a
    # read-only ledger whether a row refers to it; an unused stored file is harmless): nothing else changed
    assert {k: v for k, v in after.items() if k in before} == before
    assert all(k.startswith("files/") for k in after.keys() - before.keys())


@pytest.mark.skipif(sys.platform != "linux", reason="file modes as root are tried with Linux capabilities")
def test_a_read_only_files_folder_refuses_imports_in_one_sentence(ledger_path, changed_register, corrected):
    register_copy = changed_register
    files = ledger_path.parent / "files"
    folders = [files, *(p for p in files.iterdir() if p.is_dir())]
    before = sha(ledger_path)
    for f in folders:  # files/ and each files/ab/: wherever the stored copy would go, it cannot
        os.chmod(f, 0o555)
    try:
        res = swtool_as_user("import", corrected, "--db", ledger_path, "--today", TODAY)
        reg = swtool_as_user("register", "import", register_copy, "--db", ledger_path)
    finally:
        for f in folders:
            os.chmod(f, 0o700)
    assert res.returncode == 1 and res.stdout.endswith("1 file: 1 not stored\n"), res.stderr
    assert f"could not be stored (the folder {files}" in res.stdout
    assert "is read-only: " in res.stdout and "(Permission denied), so nothing was recorded" in res.stdout
    assert reg.returncode == 2 and reg.stderr.startswith(f"swtool: the folder {files}"), reg.stderr
    assert "is read-only: " in reg.stderr and "(Permission denied), so nothing was recorded" in reg.stderr
    assert sha(ledger_path) == before
    with open_ledger(ledger_path) as ledger:
        assert ledger.conn.execute("SELECT count(*) FROM returns").fetchone()[0] == 13
        assert ledger.conn.execute("SELECT count(*) FROM register_versions").fetchone()[0] == 1


# --- quarters and ids no calendar or ledger holds ------------------------------------------------------------


@pytest.mark.parametrize("command", ["status", "credits", "performance"])
def test_quarter_0000_01_q1_is_not_in_the_calendar(ledger_path, command):
    res = run(command, "--quarter", "0000/01-Q1", "--db", ledger_path, code=2)
    assert res.output.endswith(
        "Error: Invalid value for --quarter: 0000/01-Q1 is not a quarter of the Southwark Works "
        "calendar (2023/24-Q2 to 2027/28-Q1)\n"
    )


def test_the_network_report_of_year_9999_is_refused(ledger_path, tmp_path):
    res = run("report", "network", "--year", "9999/00", "-o", tmp_path / "n.xlsx", "--db", ledger_path, code=2)
    assert res.output == (
        "swtool: 9999/00 is not a financial year of the Southwark Works calendar (2023/24-Q2 to 2027/28-Q1)\n"
    )
    assert not (tmp_path / "n.xlsx").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("returns", "--id", BIG_ID),
        ("decide", "finding", BIG_ID, "C201", "Claims!D3", "--accept", "--reason", "x"),
        ("approve", BIG_ID, "--reason", "x"),
        ("void", BIG_ID, "--reason", "x"),
    ],
    ids=["returns", "decide-finding", "approve", "void"],
)
def test_a_return_id_of_10_to_the_23_is_no_return(ledger_path, args):
    before = sha(ledger_path)
    res = run(*args, "--db", ledger_path, code=2)
    assert res.output == f"swtool: no return {BIG_ID} in the ledger; `swtool returns` lists them\n"
    assert sha(ledger_path) == before


# --- output piped into head ----------------------------------------------------------------------------------

SWTOOL = [sys.executable, "-m", "swtool"]


@pytest.mark.parametrize(
    "args",
    [["rules"], ["rules", "--format", "json"], ["explain", "C201"], ["--help"]],
    ids=["rules", "rules-json", "explain", "help"],
)
def test_a_reader_that_stops_reading_ends_the_command_quietly(args):
    """The reading end is closed before swtool writes (as `| head -1` does once it has its line): no
    message, no traceback, exit 1 (the output was cut short)."""
    proc = subprocess.Popen([*SWTOOL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 1
    assert err == b""


def test_returns_of_a_ledger_piped_into_head(ledger_path):
    """`swtool returns --id 6 | head -1`, as a shell runs it."""
    head = shutil.which("head")
    if head is None:
        pytest.skip("no head here")
    first = subprocess.Popen(
        [*SWTOOL, "returns", "--id", "6", "--db", str(ledger_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    second = subprocess.Popen([head, "-1"], stdin=first.stdout, stdout=subprocess.PIPE)
    first.stdout.close()  # head alone reads it now, as in a shell pipeline
    out = second.stdout.read()
    second.stdout.close()
    second.wait(timeout=120)
    err = first.stderr.read()
    first.stderr.close()
    assert first.wait(timeout=120) in (0, 1)  # 1 when head had stopped reading before swtool finished
    assert out == b"Return 6: SW-L3-01 2026/27-Q2 version 1 \xc2\xb7 Bermondsey Pathways CIC \xc2\xb7 lot 3\n"
    assert err == b""


# --- imports: files that are not returns, a workbook renamed .xls ------------------------------------------


def test_importing_a_folder_names_every_file_that_is_not_a_return(ledger_path, tmp_path, inputs):
    folder = tmp_path / "received"
    (folder / "sub").mkdir(parents=True)
    corrected = folder / "SW-L7-01 v2.xlsx"
    shutil.copyfile(inputs / "corrected.xlsx", corrected)
    (folder / "attendance.csv").write_text("client,date\n")
    (folder / "sub" / "README").write_text("notes")
    (folder / "~$SW-L7-01 v2.xlsx").write_bytes(b"\x00" * 165)
    (folder / ".DS_Store").write_bytes(b"\x00")
    before = tree(folder)
    out = run("import", folder, "--db", ledger_path, "--today", TODAY, code=1).output.splitlines()
    assert out[0].startswith(f"{corrected}: imported as version 2 of SW-L7-01 2026/27-Q2 (return 14)")
    assert out[1:4] == [
        f"{folder / 'attendance.csv'}: not imported: not an Excel workbook (.csv); returns are imported from .xlsx "
        "files",
        f"{folder / 'sub' / 'README'}: not imported: not an Excel workbook (no extension); returns are imported from "
        ".xlsx files",
        f"{folder / '~$SW-L7-01 v2.xlsx'}: not imported: Excel's lock file of a workbook open in Excel, not a return",
    ]
    assert out[4] == "4 files: 1 imported, 3 not a return"
    assert tree(folder) == before


def test_a_folder_with_no_workbook_names_what_it_holds(ledger_path, tmp_path):
    folder = tmp_path / "received"
    folder.mkdir()
    (folder / "attendance.csv").write_text("client,date\n")
    before = sha(ledger_path)
    res = run("import", folder, "--db", ledger_path, "--today", TODAY, code=2)
    assert res.output == f"swtool: no .xlsx files found in {folder} (not returns: attendance.csv)\n"
    assert sha(ledger_path) == before


def test_a_sound_workbook_renamed_xls_is_a_legacy_name_not_damage(tmp_path, ledger_path):
    renamed = tmp_path / "SW-L3-01_2026-27_Q2.xls"
    shutil.copyfile(L3_Q2, renamed)
    before = sha(renamed)
    out = run("check", renamed, "--today", TODAY, code=1).output
    said = (
        "S001  This is an Excel workbook under a legacy .xls name or format: rename it to .xlsx (or save it from "
        "Excel as an Excel Workbook (.xlsx)) and resend it."
    )
    assert said in out and "damaged" not in out
    # the ledger holds this very file already (as .xlsx): a different one, renamed, is imported as unreadable
    wb = openpyxl.load_workbook(L3_Q2)
    wb["Return"]["B7"].value = "Someone else"
    wb.save(tmp_path / "other.xlsx")
    (tmp_path / "other.xlsx").rename(tmp_path / "other.xls")
    out = run("import", tmp_path / "other.xls", "--db", ledger_path, "--today", TODAY, code=1).output
    assert "legacy .xls name or format" in out and "damaged" not in out
    assert sha(renamed) == before


def test_a_sound_workbook_under_another_extension_is_asked_to_be_renamed(tmp_path):
    odd = tmp_path / "return.xlsx.bak"
    shutil.copyfile(L3_Q2, odd)
    out = run("check", odd, "--today", TODAY, code=1).output
    assert (
        "S001  This is an Excel workbook, but its name ends in .bak rather than .xlsx: rename it to .xlsx and "
        "resend it."
    ) in out


# --- the suite's own guard: no command a test runs says "internal error" -------------------------------------


def test_the_suite_fails_a_command_that_says_internal_error(monkeypatch):
    """A real bug still reaches the user as "internal error" (exit 2, no traceback), and tests/conftest.py
    fails the test that met it, even one that expected exit 2."""
    from swtool import catalogue

    def bug():
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(catalogue, "load_all", bug)
    with pytest.raises(pytest.fail.Exception, match=r"said 'swtool: internal error \(ZeroDivisionError: a bug\)"):
        CliRunner().invoke(cli, ["rules"])
