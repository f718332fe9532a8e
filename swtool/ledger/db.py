"""Opening the ledger: one SQLite file set up so that a committed import or decision is never lost.

``open_ledger`` creates the file readable by its owner only (0600), turns on WAL with
``synchronous=FULL``, foreign keys and a busy timeout, runs ``PRAGMA quick_check`` and refuses a
damaged file, then brings the schema up to date: each migration in ``MIGRATIONS`` is applied in its
own transaction and ``PRAGMA user_version`` counts them, after a backup of the ledger made with the
backup API (never by copying the file). Every write afterwards goes through ``Ledger.transaction``:
``BEGIN IMMEDIATE`` … ``COMMIT``, so two processes writing at once wait for each other rather than
fail half-way, and an interrupted write leaves nothing behind.

Only the standard library is imported here.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from swtool.errors import SwtoolError

LEDGER_NAME = "ledger.sqlite3"
FILES_DIR = "files"
APPLICATION_ID = 0x53574C47  # "SWLG": tells a swtool ledger from any other SQLite file
BUSY_TIMEOUT_MS = 30_000


class LedgerError(SwtoolError):
    """The ledger cannot be opened, is damaged, or refused a change."""


def default_path() -> Path:
    """``<user data dir>/ledger.sqlite3`` (``SWTOOL_DATA_DIR`` moves it)."""
    from swtool.refdata import user_data_dir

    return user_data_dir() / LEDGER_NAME


def utc_now() -> str:
    """Now in UTC, as the ledger stores every time: ``2026-11-23T09:14:03.123456Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _append_only(table: str) -> list[str]:
    """Triggers that make ``table`` refuse UPDATE and DELETE: rows are only ever added."""
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} are append-only: nothing recorded is ever changed'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} are append-only: nothing recorded is ever deleted'); END",
    ]


# --- the schema: one list of statements per version; never edit a released one, add a new one ---------

SCHEMA_1 = [
    f"PRAGMA application_id = {APPLICATION_ID}",
    # the contract register: every import is a new version; the highest id is the one in force
    """CREATE TABLE register_versions (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL,
        source_name TEXT NOT NULL,
        stored_file TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        imported_by TEXT NOT NULL,
        warnings TEXT NOT NULL               -- JSON: K704/K705 findings at import
    )""",
    """CREATE TABLE contracts (
        register_version INTEGER NOT NULL REFERENCES register_versions(id),
        contract_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        lot TEXT NOT NULL,
        start_date TEXT NOT NULL,
        end_date TEXT NOT NULL,
        annual_value TEXT NOT NULL,          -- pounds as exact decimal text, "159500.00"
        funding_paid TEXT,
        PRIMARY KEY (register_version, contract_id)
    )""",
    """CREATE TABLE targets (
        register_version INTEGER NOT NULL,
        contract_id TEXT NOT NULL,
        output TEXT NOT NULL,
        annual INTEGER,
        q1 INTEGER, q2 INTEGER, q3 INTEGER, q4 INTEGER,
        PRIMARY KEY (register_version, contract_id, output),
        FOREIGN KEY (register_version, contract_id) REFERENCES contracts(register_version, contract_id)
    )""",
    """CREATE TABLE budget_lines (
        register_version INTEGER NOT NULL,
        contract_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        financial_year TEXT NOT NULL,
        quarter TEXT NOT NULL,
        category TEXT,
        item TEXT NOT NULL,
        amount TEXT NOT NULL,
        PRIMARY KEY (register_version, contract_id, seq),
        FOREIGN KEY (register_version, contract_id) REFERENCES contracts(register_version, contract_id)
    )""",
    """CREATE TABLE contract_milestones (
        register_version INTEGER NOT NULL,
        contract_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        milestone TEXT NOT NULL,
        due_date TEXT,
        PRIMARY KEY (register_version, contract_id, seq),
        FOREIGN KEY (register_version, contract_id) REFERENCES contracts(register_version, contract_id)
    )""",
    # files offered to `swtool import` that did not become a return: unreadable (S001) or without a
    # contract and quarter on their cover
    """CREATE TABLE received (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        source_name TEXT NOT NULL,
        source_path TEXT NOT NULL,
        size INTEGER,
        received_at TEXT NOT NULL,
        received_by TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('unreadable', 'unidentified')),
        reason TEXT NOT NULL,
        errors INTEGER NOT NULL DEFAULT 0,
        warnings INTEGER NOT NULL DEFAULT 0
    )""",
    # a return: one version of one contract's quarter; a corrected resubmission is the next version
    """CREATE TABLE returns (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        contract_id TEXT NOT NULL,
        quarter TEXT NOT NULL,               -- "2026/27-Q2"
        version INTEGER NOT NULL CHECK (version >= 1),
        provider TEXT,
        lot TEXT,
        date_submitted TEXT,
        source_name TEXT NOT NULL,
        source_path TEXT NOT NULL,
        size INTEGER NOT NULL,
        stored_file TEXT NOT NULL,           -- relative to the ledger's folder
        imported_at TEXT NOT NULL,
        imported_by TEXT NOT NULL,
        register_version INTEGER REFERENCES register_versions(id),
        settings TEXT NOT NULL,              -- JSON: the settings the check used
        ruleset_version TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        checked_today TEXT NOT NULL,
        errors INTEGER NOT NULL,
        warnings INTEGER NOT NULL,
        infos INTEGER NOT NULL,
        receipt_status TEXT CHECK (receipt_status IN ('matches', 'different file', 'unreadable')),
        receipt TEXT,                        -- JSON: the provider's receipt, when one was beside the file
        UNIQUE (contract_id, quarter, version)
    )""",
    """CREATE TABLE findings (
        return_id INTEGER NOT NULL REFERENCES returns(id),
        seq INTEGER NOT NULL,
        code TEXT NOT NULL,
        slug TEXT,
        severity TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
        sheet TEXT,
        row INTEGER,
        col TEXT,
        header TEXT,
        cell TEXT NOT NULL,                  -- "Claims!D5"; "-" for the whole return
        message TEXT NOT NULL,
        value TEXT,
        spec TEXT,
        PRIMARY KEY (return_id, seq)
    )""",
    "CREATE INDEX findings_by_cell ON findings (return_id, code, cell)",
    # the parsed records: only the columns the money calculations and the network report need
    # (no postcodes, notes or other free text)
    """CREATE TABLE registrations (
        return_id INTEGER NOT NULL REFERENCES returns(id),
        row INTEGER NOT NULL,                -- the Excel row
        sheet TEXT NOT NULL,                 -- the sheet's name in the workbook, as findings name it
        client_ref TEXT,
        registration_date TEXT,
        registration_type TEXT,
        referral_source TEXT,
        eligibility TEXT,
        employment_status TEXT,
        residence_basis TEXT,
        gender TEXT,                         -- the demographics are for the network report's equalities
        ethnic_group TEXT,                   -- sheet, which shows them only as suppressed counts; the
        disability TEXT,                     -- PMO's commands never print them
        age INTEGER,
        valid INTEGER NOT NULL CHECK (valid IN (0, 1)),
        reason TEXT,
        PRIMARY KEY (return_id, row)
    )""",
    """CREATE TABLE claims (
        return_id INTEGER NOT NULL REFERENCES returns(id),
        row INTEGER NOT NULL,
        sheet TEXT NOT NULL,
        claim_ref TEXT,
        client_ref TEXT,
        output TEXT,
        date_achieved TEXT,
        start_date TEXT,
        employer TEXT,
        shared_with TEXT,
        support_hours REAL,
        progression_type TEXT,
        placement_type TEXT,
        valid INTEGER NOT NULL CHECK (valid IN (0, 1)),
        reason TEXT,                         -- why not valid: the error codes on its row
        PRIMARY KEY (return_id, row)
    )""",
    "CREATE INDEX claims_by_output ON claims (return_id, output)",
    """CREATE TABLE expenditure (
        return_id INTEGER NOT NULL REFERENCES returns(id),
        row INTEGER NOT NULL,
        category TEXT,
        item TEXT,
        budgeted TEXT,
        actual TEXT,
        match_funding TEXT,
        PRIMARY KEY (return_id, row)
    )""",
    """CREATE TABLE raps (
        id INTEGER PRIMARY KEY,
        contract_id TEXT NOT NULL,
        quarter TEXT NOT NULL,
        review_date TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        document TEXT,                       -- where the plan was written
        detail TEXT                          -- JSON: the under-performance the plan answers
    )""",
    # the decision log: append-only; the latest decision on a target is the one in force
    """CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        who TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('finding', 'credit', 'rap')),
        target TEXT NOT NULL,
        return_id INTEGER REFERENCES returns(id),
        code TEXT,
        cell TEXT,
        contract_id TEXT,
        quarter TEXT,
        output TEXT,
        rap_id INTEGER REFERENCES raps(id),
        action TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
        detail TEXT,                         -- JSON: what the PMO saw when deciding
        CHECK ((kind = 'finding' AND action IN ('accept', 'query', 'waive')
                    AND return_id IS NOT NULL AND code IS NOT NULL AND cell IS NOT NULL)
            OR (kind = 'credit' AND action IN ('apply', 'waive')
                    AND contract_id IS NOT NULL AND quarter IS NOT NULL AND output IS NOT NULL)
            OR (kind = 'rap' AND action IN ('open', 'close') AND rap_id IS NOT NULL))
    )""",
    "CREATE INDEX decisions_by_target ON decisions (target, id)",
    """CREATE VIEW latest_decisions AS
        SELECT d.* FROM decisions d
        WHERE d.id = (SELECT max(e.id) FROM decisions e WHERE e.target = d.target)""",
    """CREATE VIEW latest_returns AS
        SELECT r.* FROM returns r
        WHERE r.version = (SELECT max(s.version) FROM returns s
                           WHERE s.contract_id = r.contract_id AND s.quarter = r.quarter)""",
    *[t for table in ("register_versions", "contracts", "targets", "budget_lines", "contract_milestones",
                      "received", "returns", "findings", "registrations", "claims", "expenditure", "raps",
                      "decisions") for t in _append_only(table)],
]

DECISION_COLUMNS = ("id", "at", "who", "kind", "target", "return_id", "code", "cell", "contract_id", "quarter",
                    "output", "rap_id", "action", "reason", "detail")


def _no_replace(table: str, key: str) -> str:
    """A trigger that refuses an INSERT whose key is already taken: ``INSERT OR REPLACE`` would
    otherwise delete the old row without firing the delete trigger (SQLite fires delete triggers for
    REPLACE only with recursive_triggers on, which another connection may leave off)."""
    match = " AND ".join(f"t.{k} = NEW.{k}" for k in key.split(","))
    return (f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} t WHERE {match}) "
            f"BEGIN SELECT RAISE(ABORT, '{table} are append-only: a recorded row is never replaced'); END")


# every table's key, for the no-replace triggers
TABLE_KEYS = {
    "register_versions": "id", "contracts": "register_version,contract_id",
    "targets": "register_version,contract_id,output", "budget_lines": "register_version,contract_id,seq",
    "contract_milestones": "register_version,contract_id,seq", "received": "id", "returns": "id",
    "findings": "return_id,seq", "registrations": "return_id,row", "claims": "return_id,row",
    "expenditure": "return_id,row", "raps": "id", "decisions": "id",
}


def decision_hash(prev: str | None, row: dict) -> str:
    """The tamper-evidence of one decision: sha256 over the previous decision's hash and every field of
    this one (who, when, what, reason, detail), in a fixed order. ``swtool db verify`` recomputes it."""
    import hashlib
    import json

    fields = [prev or ""] + [row.get(k) for k in DECISION_COLUMNS]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False, separators=(",", ":"),
                                     default=str).encode("utf-8")).hexdigest()


def _chain_existing(conn: sqlite3.Connection) -> None:
    """Migration 2: give the decisions recorded before the chain existed their hashes, oldest first."""
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in conn.execute(f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions_v1 ORDER BY id")]
    finally:
        conn.row_factory = None
    prev = None
    for row in rows:
        h = decision_hash(prev, row)
        conn.execute(f"INSERT INTO decisions ({', '.join(DECISION_COLUMNS)}, prev_hash, hash) "
                     f"VALUES ({', '.join('?' * (len(DECISION_COLUMNS) + 2))})",
                     [row[k] for k in DECISION_COLUMNS] + [prev, h])
        prev = h


# Schema 2: decisions on whole returns (void, count-late, approve, hold), a hash chain over every
# decision, and triggers that refuse INSERT OR REPLACE on every table.
SCHEMA_2 = [
    "DROP VIEW latest_decisions",
    "DROP TRIGGER decisions_no_update",
    "DROP TRIGGER decisions_no_delete",
    "ALTER TABLE decisions RENAME TO decisions_v1",
    """CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        who TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('finding', 'credit', 'rap', 'return')),
        target TEXT NOT NULL,
        return_id INTEGER REFERENCES returns(id),
        code TEXT,
        cell TEXT,
        contract_id TEXT,
        quarter TEXT,
        output TEXT,
        rap_id INTEGER REFERENCES raps(id),
        action TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
        detail TEXT,
        prev_hash TEXT,                      -- the hash of the decision before this one (NULL for the first)
        hash TEXT NOT NULL UNIQUE,           -- sha256 of prev_hash and every field above (db.decision_hash)
        CHECK ((kind = 'finding' AND action IN ('accept', 'query', 'waive')
                    AND return_id IS NOT NULL AND code IS NOT NULL AND cell IS NOT NULL)
            OR (kind = 'credit' AND action IN ('apply', 'waive')
                    AND contract_id IS NOT NULL AND quarter IS NOT NULL AND output IS NOT NULL)
            OR (kind = 'rap' AND action IN ('open', 'close') AND rap_id IS NOT NULL)
            OR (kind = 'return' AND action IN ('void', 'count-late', 'approve', 'hold')
                    AND return_id IS NOT NULL))
    )""",
    _chain_existing,
    "DROP TABLE decisions_v1",
    "CREATE INDEX decisions_by_target ON decisions (target, id)",
    """CREATE VIEW latest_decisions AS
        SELECT d.* FROM decisions d
        WHERE d.id = (SELECT max(e.id) FROM decisions e WHERE e.target = d.target)""",
    *_append_only("decisions"),
    *[_no_replace(t, k) for t, k in TABLE_KEYS.items()],
]

MIGRATIONS: list[list] = [SCHEMA_1, SCHEMA_2]


@dataclass
class BackupResult:
    path: Path
    files_copied: int
    files_dir: Path | None


class Ledger:
    """An open ledger. Use as a context manager, or call ``close()``."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self.conn = conn
        self.migration_backup: Path | None = None  # the backup made before a migration at this open

    @property
    def dir(self) -> Path:
        return self.path.parent

    @property
    def files_dir(self) -> Path:
        """The content-addressed store of imported files: ``files/<sha[:2]>/<sha>.xlsx``."""
        return self.dir / FILES_DIR

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    @contextmanager
    def transaction(self):
        """One explicit write transaction: ``BEGIN IMMEDIATE`` takes the write lock at once (waiting up
        to the busy timeout for another writer), and everything inside commits together or not at all."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def backup(self, dest: Path, with_files: bool = True) -> BackupResult:
        """Copy the ledger to ``dest`` with SQLite's backup API (committed data, WAL included).

        The copy is written beside ``dest`` and renamed into place, readable by its owner only, and
        checked with ``quick_check`` before the rename. With ``with_files``, the stored returns the
        ledger refers to are copied to ``<dest folder>/files/`` too (only those not there yet: stored
        files never change), so the copy opens as a complete ledger.
        """
        dest = Path(dest)
        if dest.exists() and dest.is_dir():
            raise LedgerError(f"{dest} is a folder; give the backup's file name, e.g. {dest / 'ledger-backup.sqlite3'}")
        me = {self.path.resolve()} | {Path(str(self.path) + s).resolve() for s in ("-wal", "-shm")}
        if dest.resolve() in me:
            raise LedgerError(f"{dest} is the ledger itself; choose another file for the backup")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
        _create_private(tmp, exclusive=False)
        try:
            target = sqlite3.connect(str(tmp), isolation_level=None)
            try:
                self.conn.backup(target)
                target.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
                ok = target.execute("PRAGMA quick_check").fetchall()
                if ok != [("ok",)]:
                    raise LedgerError(f"the backup copy failed its check ({ok[:3]}); nothing was written to {dest}")
            finally:
                target.close()
            _fsync(tmp)
            os.replace(tmp, dest)
            _fsync_dir(dest.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        copied, files_dir = 0, None
        if with_files:
            files_dir = dest.parent / FILES_DIR
            if files_dir.resolve() != self.files_dir.resolve():
                copied = self._copy_files(files_dir)
        return BackupResult(dest, copied, files_dir)

    def _copy_files(self, to: Path) -> int:
        copied = 0
        rows = self.conn.execute("SELECT stored_file FROM returns UNION SELECT stored_file FROM register_versions")
        for (rel,) in rows.fetchall():
            src, dst = self.dir / rel, to.parent / rel
            if dst.exists() or not src.exists():
                continue
            write_stored_file(dst, src.read_bytes())
            copied += 1
        return copied

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- files: private, written whole or not at all ------------------------------------------------------

def _create_private(path: Path, exclusive: bool = True) -> None:
    flags = os.O_CREAT | os.O_WRONLY | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)  # whatever the umask


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        _fsync(path)
    except OSError:  # some file systems cannot sync a folder; the data itself is synced
        pass


def write_stored_file(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically and make it read-only for its owner (0400).

    Content-addressed files never change, so an existing ``target`` is left as it is.
    """
    if target.exists():
        return
    target.parent.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # files/ (mode is not given to parents)
    target.parent.mkdir(exist_ok=True, mode=0o700)                       # files/ab/
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, 0o400)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --- opening -----------------------------------------------------------------------------------------

def open_ledger(path: Path | str | None = None) -> Ledger:
    """Open (creating if needed) the ledger at ``path``, default ``<user data dir>/ledger.sqlite3``.

    Raises LedgerError when the file is not a swtool ledger, is damaged, or was made by a newer
    swtool; the message says what to do.
    """
    path = Path(path) if path is not None else default_path()
    if path.exists() and path.is_dir():
        raise LedgerError(f"{path} is a folder, not a ledger file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        new = not path.exists()
        if new:
            try:
                _create_private(path)
            except FileExistsError:  # another process created it a moment ago
                new = False
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    except OSError as e:
        raise LedgerError(f"cannot open the ledger {path}: {e.strerror or e}") from None
    try:
        _configure(conn, path)
        ledger = Ledger(path, conn)
        _migrate(ledger, new)
    except sqlite3.DatabaseError as e:
        conn.close()
        raise LedgerError(_damaged(path, str(e))) from None
    except BaseException:
        conn.close()
        raise
    return ledger


def _damaged(path: Path, why: str) -> str:
    return (f"the ledger {path} cannot be used: {why}. It may be damaged or not a swtool ledger. Nothing was "
            "changed. Restore it from your latest backup (made with `swtool db backup`), or choose another "
            "ledger with --db.")


def _configure(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    ok = conn.execute("PRAGMA quick_check").fetchall()
    if ok != [("ok",)]:
        problems = "; ".join(str(r[0]) for r in ok[:3])
        raise LedgerError(_damaged(path, f"quick_check found problems ({problems})"))
    mode = _retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
    if str(mode).lower() != "wal":
        raise LedgerError(f"the ledger {path} cannot use write-ahead logging (journal mode {mode}); keep the ledger "
                          "on a local disk")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")


def _retry_locked(fn, seconds: float = BUSY_TIMEOUT_MS / 1000):
    """Run ``fn``, retrying while another process holds a lock the busy handler does not wait for
    (changing the journal mode of a new ledger)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _migrate(ledger: Ledger, new: bool) -> None:
    conn = ledger.conn
    version = ledger.schema_version
    target = len(MIGRATIONS)
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if version > 0 and app_id != APPLICATION_ID:
        raise LedgerError(_damaged(ledger.path, "it is an SQLite database, but not a swtool ledger"))
    if version == 0:
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if tables:
            raise LedgerError(_damaged(ledger.path, "it is an SQLite database, but not a swtool ledger"))
    if version > target:
        raise LedgerError(f"the ledger {ledger.path} was made by a newer swtool (schema {version}; this swtool knows "
                          f"up to {target}); upgrade swtool")
    if version == target:
        return
    if version > 0 and not new:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        dest = ledger.path.with_name(f"{ledger.path.stem}.before-schema-{version + 1}.{stamp}{ledger.path.suffix}")
        ledger.backup(dest, with_files=False)
        ledger.migration_backup = dest
    for v in range(version, target):
        with ledger.transaction():
            if conn.execute("PRAGMA user_version").fetchone()[0] != v:
                continue  # another process applied it while this one waited for the lock
            for statement in MIGRATIONS[v]:
                if callable(statement):
                    statement(conn)
                else:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {v + 1}")
