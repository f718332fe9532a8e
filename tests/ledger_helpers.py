"""Shared by the ledger tests: a ledger built from the shipped samples, and corrected returns.

The samples are copied first, so a test never reads a file that is being regenerated, and never
writes beside the shipped ones (a receipt, say).
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import shutil
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import openpyxl

from swtool.ledger import open_ledger, store
from swtool.model.refdata import RefData
from swtool.model.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
TODAY = date(2026, 11, 23)
Q2 = "2026/27-Q2"
L7_Q2 = Path("SW-L7-01") / "SW-L7-01_2026-27_Q2.xlsx"
L3_Q2 = Path("SW-L3-01") / "SW-L3-01_2026-27_Q2.xlsx"


def copy_samples(to: Path) -> tuple[Path, Path]:
    """Copies of samples/register.xlsx and samples/returns under ``to``: (register, returns folder)."""
    to.mkdir(parents=True, exist_ok=True)
    register = to / "register.xlsx"
    shutil.copyfile(SAMPLES / "register.xlsx", register)
    returns = to / "returns"
    shutil.copytree(SAMPLES / "returns", returns, ignore=shutil.ignore_patterns("*.json"))
    return register, returns


def refdata(folder: Path) -> RefData:
    return RefData(overrides=folder / "no-overrides")  # the shipped reference data, as the samples use


def build(folder: Path) -> Path:
    """A ledger at ``folder/ledger.sqlite3`` holding the sample register and every sample return."""
    register, returns = copy_samples(folder / "in")
    path = folder / "ledger.sqlite3"
    rd = refdata(folder)
    with open_ledger(path) as ledger:
        store.import_register(ledger, register, rd, Settings.defaults())
        results = store.import_returns(ledger, [returns], rd, Settings.defaults(), TODAY)
    assert [r.status for r in results] == ["imported"] * len(results), [r.line() for r in results]
    return path


# Set by conftest when pytest-xdist runs the suite: a folder every worker of the run sees (under pytest's own
# temporary root, which pytest clears), where ``made_once`` keeps what one worker made for the others.
SHARED: Path | None = None
_MADE: dict[str, Path] = {}


def made_once(name: str, make: Callable[[Path], Path]) -> Path:
    """``make(folder)``'s result, made once per test run: ``make`` fills an empty folder and returns a path
    in it, which no test may change (tests work on copies). Under xdist the first worker to ask makes it
    while the others wait for it (they would each have made the same thing); otherwise this process makes
    it once, in a temporary folder removed at exit. ``name`` names what ``make`` makes, for the whole run."""
    if name in _MADE:
        return _MADE[name]
    if SHARED is None:
        folder = Path(tempfile.mkdtemp(prefix="swtool-made-once-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _MADE[name] = make(folder)
        return _MADE[name]
    slug = hashlib.sha256(name.encode()).hexdigest()[:16]
    SHARED.mkdir(parents=True, exist_ok=True)
    folder, done = SHARED / slug, SHARED / f"{slug}.done"
    with open(SHARED / f"{slug}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also when ``make`` fails
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a worker that failed left
            folder.mkdir()
            made = make(folder)
            done.write_text(str(made.relative_to(folder)))
        _MADE[name] = folder / done.read_text()
    return _MADE[name]


def sample_ledger() -> Path:
    """The ledger ``build`` makes, built once per test run (``made_once``) and never written to: the session
    fixture ``built`` and the scenario builders of the counting tests share it, and each test works on its
    own ``clone``."""
    return made_once("the sample ledger", build)


def clone(ledger_path: Path, to: Path) -> Path:
    """A complete copy of a ledger (database and stored files) at ``to``, made with the backup API."""
    with open_ledger(ledger_path) as ledger:
        ledger.backup(to)
    return to


def late_claim_return(source: Path, target: Path) -> Path:
    """SW-L7-01 2026/27-Q2 with its second job start (Claims!D3) achieved after the quarter: C201 on
    that row, so output 2 counts 1 instead of 2."""
    wb = openpyxl.load_workbook(source)
    wb["Claims"]["D3"].value = datetime(2026, 10, 5)
    wb.save(target)
    return target
