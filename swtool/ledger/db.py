"""Opening the ledger: one SQLite file set up so that a committed import or decision is never lost.

``open_ledger`` creates the file readable by its owner only (0600), turns on WAL with
``synchronous=FULL``, foreign keys and a busy timeout, runs ``PRAGMA integrity_check`` and refuses a
damaged file, then brings the schema up to date: each migration in ``MIGRATIONS`` is applied in its
own transaction and ``PRAGMA user_version`` counts them, after a backup of the ledger made with the
backup API (never by copying the file). Every write afterwards goes through ``Ledger.transaction``:
``BEGIN IMMEDIATE`` … ``COMMIT``, so two processes writing at once wait for each other rather than
fail half-way, and an interrupted write leaves nothing behind.

Only the standard library is imported here.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from swtool.errors import SwtoolError

LEDGER_NAME = "ledger.sqlite3"
FILES_DIR = "files"
APPLICATION_ID = 0x53574C47  # "SWLG": tells a swtool ledger from any other SQLite file
BUSY_TIMEOUT_MS = 30_000


class LedgerError(SwtoolError):
    """The ledger cannot be opened, is damaged, or refused a change."""


class LedgerDamaged(LedgerError):
    """The ledger's file is damaged (SQLite's integrity_check, or a read that fails): restore it from a backup."""


def default_path() -> Path:
    """``<user data dir>/ledger.sqlite3`` (``SWTOOL_DATA_DIR`` moves it)."""
    from swtool.model.refdata import user_data_dir

    return user_data_dir() / LEDGER_NAME


def utc_now() -> str:
    """Now in UTC, as the ledger stores every time: ``2026-11-23T09:14:03.123456Z``."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


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
    *[
        t
        for table in (
            "register_versions",
            "contracts",
            "targets",
            "budget_lines",
            "contract_milestones",
            "received",
            "returns",
            "findings",
            "registrations",
            "claims",
            "expenditure",
            "raps",
            "decisions",
        )
        for t in _append_only(table)
    ],
]

DECISION_COLUMNS = (
    "id",
    "at",
    "who",
    "kind",
    "target",
    "return_id",
    "code",
    "cell",
    "contract_id",
    "quarter",
    "output",
    "rap_id",
    "action",
    "reason",
    "detail",
)


def _no_replace(table: str, key: str) -> str:
    """A trigger that refuses an INSERT whose key is already taken: ``INSERT OR REPLACE`` would
    otherwise delete the old row without firing the delete trigger (SQLite fires delete triggers for
    REPLACE only with recursive_triggers on, which another connection may leave off)."""
    match = " AND ".join(f"t.{k} = NEW.{k}" for k in key.split(","))
    return (
        f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} t WHERE {match}) "
        f"BEGIN SELECT RAISE(ABORT, '{table} are append-only: a recorded row is never replaced'); END"
    )


# every table's key, for the no-replace triggers (schema 1's tables, then those added later)
_SCHEMA_1_KEYS = {
    "register_versions": "id",
    "contracts": "register_version,contract_id",
    "targets": "register_version,contract_id,output",
    "budget_lines": "register_version,contract_id,seq",
    "contract_milestones": "register_version,contract_id,seq",
    "received": "id",
    "returns": "id",
    "findings": "return_id,seq",
    "registrations": "return_id,row",
    "claims": "return_id,row",
    "expenditure": "return_id,row",
    "raps": "id",
    "decisions": "id",
}
TABLE_KEYS = {**_SCHEMA_1_KEYS, "rechecks": "id"}
# schema 4, spot checks
TABLE_KEYS.update(
    {"transactions": "return_id,row", "samples": "id", "sample_items": "sample_id,seq", "spot_checks": "id"}
)
# schema 4, visits and actions
TABLE_KEYS.update({"visits": "id", "actions": "id", "action_events": "id"})
# schema 4, retention
TABLE_KEYS.update({"retention_key": "id", "retention_runs": "id", "retention_returns": "return_id"})
# schema 5, the contract screen
TABLE_KEYS.update({"expenditure_comments": "return_id,row", "screen_kept": "return_id"})


def decision_hash(prev: str | None, row: dict) -> str:
    """The tamper-evidence of one decision: sha256 over the previous decision's hash and every field of
    this one (who, when, what, reason, detail), in a fixed order. ``swtool db verify`` recomputes it."""
    import hashlib
    import json

    fields = [prev or ""] + [row.get(k) for k in DECISION_COLUMNS]
    return hashlib.sha256(
        json.dumps(fields, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
    ).hexdigest()


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
        conn.execute(
            f"INSERT INTO decisions ({', '.join(DECISION_COLUMNS)}, prev_hash, hash) "
            f"VALUES ({', '.join('?' * (len(DECISION_COLUMNS) + 2))})",
            [row[k] for k in DECISION_COLUMNS] + [prev, h],
        )
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
    *[_no_replace(t, k) for t, k in _SCHEMA_1_KEYS.items()],
]

# Schema 3: a return checked again (after a void changed its history) keeps its first findings and
# gains a new set; ``current_findings`` holds each return's latest set, which is the one in force.
SCHEMA_3 = [
    """CREATE TABLE rechecks (
        id INTEGER PRIMARY KEY,
        return_id INTEGER NOT NULL REFERENCES returns(id),
        n INTEGER NOT NULL CHECK (n >= 1),  -- the findings' ``recheck`` number (the import's own are 0)
        at TEXT NOT NULL,
        who TEXT NOT NULL,
        why TEXT NOT NULL,
        history TEXT NOT NULL,               -- JSON: the return ids used as history
        errors INTEGER NOT NULL,
        warnings INTEGER NOT NULL,
        infos INTEGER NOT NULL,
        UNIQUE (return_id, n)
    )""",
    "ALTER TABLE findings ADD COLUMN recheck INTEGER NOT NULL DEFAULT 0",
    """CREATE VIEW current_findings AS
        SELECT f.* FROM findings f
        WHERE f.recheck = (SELECT coalesce(max(k.n), 0) FROM rechecks k WHERE k.return_id = f.return_id)""",
    *_append_only("rechecks"),
    _no_replace("rechecks", "id"),
]

# Schema 4: the audit's records (spot-check samples and their results, the return's transactions they
# draw from), monitoring visits and their actions, and retention runs. Each part keeps its own block.
SCHEMA_4: list = [
    # -- spot checks (samples, results, transactions) --
    # the Transactions sheet's rows (App 2 §3.1, §3.3): what a spot check of expenditure draws from and
    # disallows; no Description (free text stays in the stored workbook)
    """CREATE TABLE transactions (
        return_id INTEGER NOT NULL REFERENCES returns(id),
        row INTEGER NOT NULL,                -- the Excel row
        sheet TEXT NOT NULL,
        budget_item TEXT,
        date_defrayed TEXT,
        amount TEXT,                         -- pounds as exact decimal text
        recoverable_vat INTEGER CHECK (recoverable_vat IN (0, 1)),
        internal_recharge INTEGER CHECK (internal_recharge IN (0, 1)),
        PRIMARY KEY (return_id, row)
    )""",
    # a sample drawn by `swtool sample`: its seed and method (weights), so it can be drawn again
    """CREATE TABLE samples (
        id INTEGER PRIMARY KEY,
        quarter TEXT NOT NULL,
        contract_id TEXT,                    -- NULL: every contract in term
        seed TEXT NOT NULL,
        method TEXT NOT NULL,                -- JSON: algorithm, weights, size rule, risk share
        drawn_at TEXT NOT NULL,
        drawn_by TEXT NOT NULL
    )""",
    # every claim and transaction the sample was drawn from, with its risk factors and weight; the
    # drawn ones say how (risk or random), the others are NULL
    """CREATE TABLE sample_items (
        sample_id INTEGER NOT NULL REFERENCES samples(id),
        seq INTEGER NOT NULL CHECK (seq >= 1),
        kind TEXT NOT NULL CHECK (kind IN ('claim', 'transaction')),
        contract_id TEXT NOT NULL,
        return_id INTEGER NOT NULL REFERENCES returns(id),
        sheet TEXT NOT NULL,
        row INTEGER NOT NULL,
        claim_ref TEXT,
        client_ref TEXT,
        output TEXT,
        amount TEXT,
        risks TEXT NOT NULL,                 -- JSON: the risk factors found on it
        weight INTEGER NOT NULL CHECK (weight >= 1),
        drawn TEXT CHECK (drawn IN ('risk', 'random')),
        PRIMARY KEY (sample_id, seq)
    )""",
    "CREATE INDEX sample_items_by_item ON sample_items (kind, return_id, row)",
    # a spot check's result: the latest on a claim (contract, quarter, claim ref) or a transaction is
    # the one in force; sample_id NULL for a check made outside a sample
    """CREATE TABLE spot_checks (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        who TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('claim', 'transaction')),
        contract_id TEXT NOT NULL,
        quarter TEXT NOT NULL,
        return_id INTEGER NOT NULL REFERENCES returns(id),
        sheet TEXT NOT NULL,
        row INTEGER NOT NULL,
        claim_ref TEXT,
        sample_id INTEGER REFERENCES samples(id),
        seq INTEGER,
        result TEXT NOT NULL CHECK (result IN ('pass', 'fail')),
        reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
        source TEXT NOT NULL,                -- "command", or the results workbook's name and sha256
        FOREIGN KEY (sample_id, seq) REFERENCES sample_items(sample_id, seq)
    )""",
    "CREATE INDEX spot_checks_by_contract ON spot_checks (contract_id, quarter, kind, id)",
    *[t for table in ("transactions", "samples", "sample_items", "spot_checks") for t in _append_only(table)],
    *[_no_replace(t, TABLE_KEYS[t]) for t in ("transactions", "samples", "sample_items", "spot_checks")],
    # -- end spot checks --
    # -- visits and actions --
    # a monitoring visit or review meeting with a contract's provider (App 2 §7.3), recorded after it
    """CREATE TABLE visits (
        id INTEGER PRIMARY KEY,
        contract_id TEXT NOT NULL,
        visit_date TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('visit', 'meeting')),
        notes TEXT NOT NULL CHECK (length(trim(notes)) > 0),
        recorded_at TEXT NOT NULL,
        recorded_by TEXT NOT NULL
    )""",
    # an action agreed at a visit or meeting, or in a remedial action plan: what, who, by when
    """CREATE TABLE actions (
        id INTEGER PRIMARY KEY,
        contract_id TEXT NOT NULL,
        visit_id INTEGER REFERENCES visits(id),
        rap_id INTEGER REFERENCES raps(id),
        action TEXT NOT NULL CHECK (length(trim(action)) > 0),
        owner TEXT NOT NULL CHECK (length(trim(owner)) > 0),
        due_date TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        CHECK ((visit_id IS NULL) <> (rap_id IS NULL))
    )""",
    # an action marked done, or reopened: the latest event on an action is its state (none: open)
    """CREATE TABLE action_events (
        id INTEGER PRIMARY KEY,
        action_id INTEGER NOT NULL REFERENCES actions(id),
        at TEXT NOT NULL,
        who TEXT NOT NULL,
        event TEXT NOT NULL CHECK (event IN ('done', 'reopen')),
        reason TEXT NOT NULL CHECK (length(trim(reason)) > 0)
    )""",
    "CREATE INDEX visits_by_contract ON visits (contract_id, visit_date)",
    "CREATE INDEX actions_by_contract ON actions (contract_id, due_date)",
    "CREATE INDEX action_events_by_action ON action_events (action_id, id)",
    *[t for table in ("visits", "actions", "action_events") for t in _append_only(table)],
    *[_no_replace(t, TABLE_KEYS[t]) for t in ("visits", "actions", "action_events")],
    # -- end visits and actions --
    # -- retention --
    # `swtool retention` (swtool/ledger/retention.py, docs/ledger.md "Retention"): once a contract and its
    # last quarter ended before the retention date, its returns' client refs become keyed pseudonyms,
    # ages the lowest age of their band, personal text in findings "[redacted]", and the stored workbooks
    # are removed. The one key of the pseudonyms (HMAC-SHA256), made at the first run:
    """CREATE TABLE retention_key (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        secret TEXT NOT NULL CHECK (length(secret) = 64),  -- 32 random bytes, as hex
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    )""",
    # a run: who, when, the retention date and how many rows and files it changed; recorded last in the
    # run's transaction, which closes the run's exception (below)
    """CREATE TABLE retention_runs (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        who TEXT NOT NULL,
        before_date TEXT NOT NULL,           -- the retention date
        basis TEXT NOT NULL,                 -- "--before", or "retention_years=6" when the setting gave it
        contracts TEXT NOT NULL,             -- JSON: the contracts whose returns it pseudonymised
        returns INTEGER NOT NULL,
        registrations INTEGER NOT NULL,      -- rows changed
        claims INTEGER NOT NULL,
        findings INTEGER NOT NULL,
        files INTEGER NOT NULL,              -- stored workbooks removed from files/ (after the commit)
        tool_version TEXT NOT NULL
    )""",
    # each return a run pseudonymised, recorded first in the run's transaction. Until its run is recorded
    # (only inside that transaction: the deferred key refuses a commit without the run), the return's
    # registrations, claims and findings may have their personal fields replaced, and nothing else.
    """CREATE TABLE retention_returns (
        return_id INTEGER PRIMARY KEY REFERENCES returns(id),
        run_id INTEGER NOT NULL REFERENCES retention_runs(id) DEFERRABLE INITIALLY DEFERRED,
        stored_file TEXT NOT NULL,           -- the workbook removed from files/
        registrations INTEGER NOT NULL,
        claims INTEGER NOT NULL,
        findings INTEGER NOT NULL
    )""",
    *[t for table in ("retention_key", "retention_runs", "retention_returns") for t in _append_only(table)],
    *[_no_replace(t, TABLE_KEYS[t]) for t in ("retention_key", "retention_runs", "retention_returns")],
    # the controlled exception: these four tables still refuse every UPDATE, except of a return that a
    # retention run is pseudonymising; and then only their personal fields, and only to a pseudonym
    # ("anon-" and 16 letters), an age band's lowest age, or NULL
    *[
        s
        for table, kept, personal in (
            (
                "registrations",
                "return_id row sheet registration_date registration_type referral_source eligibility "
                "employment_status residence_basis gender ethnic_group disability valid reason",
                "(NEW.client_ref IS NOT OLD.client_ref AND NEW.client_ref NOT GLOB 'anon-*') OR (NEW.age IS NOT OLD.age "
                "AND NEW.age IS NOT NULL AND NEW.age NOT IN (16, 25, 50))",
            ),
            (
                "claims",
                "return_id row sheet claim_ref output date_achieved start_date shared_with support_hours "
                "progression_type placement_type valid reason",
                "(NEW.client_ref IS NOT OLD.client_ref AND NEW.client_ref NOT GLOB 'anon-*') OR (NEW.employer IS NOT "
                "OLD.employer AND NEW.employer IS NOT NULL)",
            ),
            ("findings", "return_id seq code slug severity sheet row col header cell spec recheck", "0"),
            (
                "sample_items",
                "sample_id seq kind contract_id return_id sheet row claim_ref output amount risks weight drawn",
                "NEW.client_ref IS NOT OLD.client_ref AND NEW.client_ref NOT GLOB 'anon-*'",
            ),
        )
        for retaining in (
            "EXISTS (SELECT 1 FROM retention_returns p WHERE p.return_id = OLD.return_id "
            "AND p.run_id NOT IN (SELECT id FROM retention_runs))",
        )
        for s in (
            f"DROP TRIGGER {table}_no_update",
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} WHEN NOT {retaining} "
            f"BEGIN SELECT RAISE(ABORT, '{table} are append-only: nothing recorded is ever changed'); END",
            f"CREATE TRIGGER {table}_retention BEFORE UPDATE ON {table} WHEN {retaining} AND ("
            + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in kept.split())
            + f" OR {personal}) "
            f"BEGIN SELECT RAISE(ABORT, 'retention replaces only the personal fields of {table}'); END",
        )
    ],
    # -- end retention --
]

# Schema 5: more of what each return holds, kept at import. Each part keeps its own block.
SCHEMA_5: list = [
    # -- the contract screen --
    # what the review's contract screen shows of a return, kept at import so that opening a contract reads
    # the ledger alone, never the stored workbook (swtool/ledger/spend.py). The Expenditure sheet's Comment
    # on each line: free text written by the provider, which `swtool retention` clears (NULL)
    """CREATE TABLE expenditure_comments (
        return_id INTEGER NOT NULL REFERENCES returns(id),
        row INTEGER NOT NULL,                -- the Excel row, as in expenditure
        comment TEXT,
        PRIMARY KEY (return_id, row)
    )""",
    # a return whose screen rows are kept: its findings are stored as the screen shows them and its
    # comments are in expenditure_comments. 'import': kept by its import; 'review': a return imported
    # before this block, kept from its stored workbook the first time the review opened it
    """CREATE TABLE screen_kept (
        return_id INTEGER PRIMARY KEY REFERENCES returns(id),
        at TEXT NOT NULL,
        how TEXT NOT NULL CHECK (how IN ('import', 'review'))
    )""",
    *[t for table in ("expenditure_comments", "screen_kept") for t in _append_only(table)],
    *[_no_replace(t, TABLE_KEYS[t]) for t in ("expenditure_comments", "screen_kept")],
    # retention's exception, as schema 4's retention block makes it: a comment may only become NULL
    *[
        s
        for retaining in (
            "EXISTS (SELECT 1 FROM retention_returns p WHERE p.return_id = OLD.return_id "
            "AND p.run_id NOT IN (SELECT id FROM retention_runs))",
        )
        for s in (
            "DROP TRIGGER expenditure_comments_no_update",
            f"CREATE TRIGGER expenditure_comments_no_update BEFORE UPDATE ON expenditure_comments WHEN NOT {retaining} "
            "BEGIN SELECT RAISE(ABORT, 'expenditure_comments are append-only: nothing recorded is ever changed'); END",
            f"CREATE TRIGGER expenditure_comments_retention BEFORE UPDATE ON expenditure_comments WHEN {retaining} AND ("
            "NEW.return_id IS NOT OLD.return_id OR NEW.row IS NOT OLD.row OR NEW.comment IS NOT NULL) "
            "BEGIN SELECT RAISE(ABORT, 'retention replaces only the personal fields of expenditure_comments'); END",
        )
    ],
    # -- end the contract screen --
]

MIGRATIONS: list[list] = [SCHEMA_1, SCHEMA_2, SCHEMA_3, SCHEMA_4, SCHEMA_5]


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
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as e:
            raise explain(e, self.path) or e from None
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as e:
            # SQLite may have rolled back already (a full disk, a damaged page): the error that
            # stopped the transaction is the one to report, never a failed ROLLBACK
            if self.conn.in_transaction:
                try:
                    self.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            problem = explain(e, self.path) if isinstance(e, sqlite3.DatabaseError) else None
            if problem is not None:  # a full disk, a read-only or busy ledger, a damaged page: one sentence
                raise problem from None
            raise

    def backup(self, dest: Path, with_files: bool = True) -> BackupResult:
        """Copy the ledger to ``dest`` with SQLite's backup API (committed data, WAL included).

        A damaged ledger is refused (``integrity_check`` first: a backup would copy the damage). The
        copy is written beside ``dest``, readable by its owner only, then opened again from the disk and
        verified (``integrity_check``, and the rows of every table counted against the ledger's) before
        it is renamed into place. With ``with_files``, the stored returns the ledger refers to are
        copied to ``<dest folder>/files/`` too (only those not there yet: stored files never change), so
        the copy opens as a complete ledger.
        """
        dest = Path(dest)
        if dest.exists() and dest.is_dir():
            raise LedgerError(f"{dest} is a folder; give the backup's file name, e.g. {dest / 'ledger-backup.sqlite3'}")
        me = {self.path.resolve()} | {Path(str(self.path) + s).resolve() for s in ("-wal", "-shm")}
        if dest.resolve() in me:
            raise LedgerError(f"{dest} is the ledger itself; choose another file for the backup")
        problems = integrity_problems(self.conn)
        if problems:
            raise LedgerDamaged(
                damaged_message(self.path, problems[0], "so no backup was made (it would copy the damage)")
            )
        copied, files_dir = 0, None
        existed = dest.exists()
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                write_verified_copy(self.conn, dest)
            except sqlite3.DatabaseError as e:  # writing the copy: a full disk, a read-only folder
                raise explain(e, dest) or e from None
            if with_files:
                files_dir = dest.parent / FILES_DIR
                if files_dir.resolve() != self.files_dir.resolve():
                    try:
                        copied = self._copy_files(files_dir)
                    except BaseException:
                        if not existed:  # a database without its stored returns is no backup: leave none
                            dest.unlink(missing_ok=True)
                        raise
        except OSError as e:
            raise _os_problem(e, dest.parent, f"the backup's folder {dest.parent}") or LedgerError(
                f"the backup {dest} could not be written ({e.strerror or e}); choose a folder on a disk you can "
                "write to"
            ) from None
        return BackupResult(dest, copied, files_dir)

    def _copy_files(self, to: Path) -> int:
        copied = 0
        for rel in _stored_files(self.conn):  # not the workbooks a retention run removed
            src, dst = self.dir / rel, to.parent / rel
            if dst.exists() or not src.exists():
                continue
            write_stored_file(dst, src.read_bytes())
            copied += 1
        return copied

    def close(self) -> None:
        self.conn.close()

    def explain(self, error: BaseException) -> LedgerError | None:
        """The PMO's sentence for an error of this ledger's file or disk (see ``explain``), or for any
        error behind which the file shows damage."""
        return explain(error, self.path, self.conn) or _damage_behind(error, self.path, self.conn)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        """Closes the ledger; an error of its file or disk (full, read-only, busy, damaged) leaves as one
        LedgerError sentence rather than an sqlite3 error."""
        try:
            problem = self.explain(exc) if exc is not None else None
        finally:
            try:
                self.close()
            except sqlite3.Error:
                if exc is None:
                    raise
        if problem is not None:
            raise problem from None


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
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # files/ (mode is not given to parents)
        target.parent.mkdir(exist_ok=True, mode=0o700)  # files/ab/
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        try:
            _write_fd(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, 0o400)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        folder = target.parent.parent.parent  # the folder that holds files/
        if isinstance(e, OSError):  # a full disk or a read-only folder (the one refused, by name), said as such
            refused = Path(e.filename).parent if e.filename else folder
            raise _os_problem(e, folder, f"the folder {refused}") or e from None
        raise


def _write_fd(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


# --- opening -----------------------------------------------------------------------------------------


def open_ledger(path: Path | str | None = None) -> Ledger:
    """Open (creating if needed) the ledger at ``path``, default ``<user data dir>/ledger.sqlite3``.

    Raises LedgerError when the file is not a swtool ledger, is damaged, or was made by a newer
    swtool; the message says what to do.

    Only a path where nothing exists is made into a new ledger (whole, in a file beside it that is then
    linked into place); an existing empty (0-byte) file is refused, never taken for a new ledger.
    """
    path = Path(path) if path is not None else default_path()
    if path.exists() and path.is_dir():
        raise LedgerError(f"{path} is a folder, not a ledger file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            _create_new(path)
        elif path.stat().st_size == 0:
            raise LedgerError(empty_message(path))
    except OSError as e:
        raise _os_problem(e, path.parent) or LedgerError(f"cannot open the ledger {path}: {e.strerror or e}") from None
    _refuse_damaged(path)
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as e:
        raise explain(e, path) or LedgerError(f"cannot open the ledger {path}: {_text(e)}") from None
    try:
        _configure(conn, path)
        ledger = Ledger(path, conn)
        _migrate(ledger, False)
    except (sqlite3.DatabaseError, UnicodeDecodeError) as e:
        problem = explain(e, path, conn)
        conn.close()
        if problem is None or _kind(e) == "notadb":
            raise LedgerError(_damaged(path, _text(e))) from None
        raise problem from None
    except BaseException:
        conn.close()
        raise
    return ledger


def _create_new(path: Path) -> None:
    """Make a new ledger at ``path``: built whole (schema, WAL) in a private file beside it, synced, then
    linked into place, so ``path`` never names an empty or half-made ledger. When another process made
    one meanwhile, that one is the ledger."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.new")
    _create_private(tmp, exclusive=True)
    try:
        conn = sqlite3.connect(str(tmp), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            _configure(conn, tmp)
            _migrate(Ledger(tmp, conn), True)
        except sqlite3.DatabaseError as e:
            raise explain(e, path) or LedgerError(f"cannot create the ledger {path}: {_text(e)}") from None
        finally:
            conn.close()
        _fsync(tmp)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)


def _damaged(path: Path, why: str) -> str:
    return (
        f"the ledger {path} cannot be used: {why}. It may be damaged or not a swtool ledger; nothing was "
        "changed. Restore it from your latest backup with `swtool db restore BACKUP`, or choose another "
        "ledger with --db."
    )


def _refuse_damaged(path: Path) -> None:
    """``PRAGMA integrity_check`` (every page and every index; about 7 ms on a ledger of 96 returns)
    and the schema's names (``_name_problems``) on a read-only connection, before the ledger is opened
    for writing: a damaged ledger is refused as it is (a connection that can write folds the -wal into
    the file when it closes)."""
    try:
        conn = _open_read_only(path)
    except sqlite3.Error as e:
        raise explain(e, path) or LedgerError(f"cannot open the ledger {path}: {_text(e)}") from None
    try:
        problems = integrity_problems(conn) or _name_problems(conn)
    except (sqlite3.DatabaseError, UnicodeDecodeError) as e:
        problem = explain(e, path, conn)
        if problem is None or _kind(e) == "notadb":
            raise LedgerError(_damaged(path, _text(e))) from None
        raise problem from None
    finally:
        conn.close()
    if problems:
        raise LedgerDamaged(damaged_message(path, _first(problems), "nothing was changed"))


def _configure(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    mode = _retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
    if str(mode).lower() != "wal":
        raise LedgerError(
            f"the ledger {path} cannot use write-ahead logging (journal mode {mode}); keep the ledger on a local disk"
        )
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
        raise LedgerError(
            f"the ledger {ledger.path} was made by a newer swtool (schema {version}; this swtool knows "
            f"up to {target}); upgrade swtool"
        )
    if version == target:
        return
    if version > 0 and not new:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
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


# --- what went wrong with the file or the disk, in one sentence ----------------------------------------
# Every sqlite3 or OS error met while using the ledger is mapped here: a full disk, a read-only file or
# folder, a busy ledger or a failing disk is said as such, and only damage found in the file is called
# damage.

RESTORE_HINT = "restore it with `swtool db restore BACKUP` from your latest backup"
RESTORE_WAIT_S = 5  # how long `db restore` waits for another swtool to let go of the ledger

# SQLite's primary result codes (sqlite3.h) for the errors of a file or a disk, and their messages for
# errors that carry no code
_CODES = {5: "busy", 6: "busy", 8: "readonly", 10: "ioerr", 11: "corrupt", 13: "full", 14: "cantopen", 26: "notadb"}
_MESSAGES = (
    ("database or disk is full", "full"),
    ("attempt to write a readonly database", "readonly"),
    ("unable to open database file", "cantopen"),
    ("disk i/o error", "ioerr"),
    ("database disk image is malformed", "corrupt"),
    ("malformed database schema", "corrupt"),
    ("file is not a database", "notadb"),
    ("database is locked", "busy"),
    ("database table is locked", "busy"),
    ("could not decode to utf-8", "corrupt"),
)
_IOERR_SHORT_READ = 522  # the file is shorter than its pages say: it was cut short
# a write the disk refused: SQLite says "full" only for ENOSPC; a quota (EDQUOT) or a file-size limit
# (EFBIG) reaches it as a failed write, fsync, truncate or growth of the -shm
_WRITE_REFUSED = {778, 1034, 1546, 4874}  # SQLITE_IOERR_WRITE, _FSYNC, _TRUNCATE, _SHMSIZE
_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}


def damaged_message(path, why: str, note: str = "") -> str:
    return f"the ledger {path} is damaged: {why}{'; ' + note if note else ''}; {RESTORE_HINT}"


def empty_message(path: Path) -> str:
    files = path.parent / FILES_DIR
    if files.is_dir():
        return (
            f"the ledger {path} is an empty file (0 bytes), yet stored returns are kept in {files} beside it, so "
            f"its records have been lost; nothing was changed: {RESTORE_HINT}"
        )
    return (
        f"the ledger {path} is an empty file (0 bytes); nothing was changed: if it held your records, "
        f"{RESTORE_HINT}, and if it is meant to be a new ledger, delete the empty file first"
    )


def full_message(path, why: str) -> str:
    limit = "" if "full" in why else ", or a quota or file-size limit was reached"
    return (
        f"the disk is full{limit}: the ledger {path} could not be written ({why}), so nothing more was "
        "recorded; free some space on the disk and run the command again"
    )


def read_only_message(path, why: str) -> str:
    return (
        f"the ledger {path} is read-only ({why}): swtool cannot write to it or to its folder, so nothing was "
        "recorded; check the permissions of both, or use a copy in a folder you can write to"
    )


def _io_message(path, why: str) -> str:
    return (
        f"the disk failed while reading or writing the ledger {path} ({why}): it may be full, disconnected or "
        "failing, so nothing more was recorded; check the disk and run the command again"
    )


def _busy_message(path, why: str) -> str:
    return (
        f"the ledger {path} is busy ({why}): another swtool held it for more than {BUSY_TIMEOUT_MS // 1000} s; "
        "run the command again when it has finished"
    )


def _kind(e: BaseException) -> str | None:
    """full, readonly, cantopen, ioerr, busy, corrupt or notadb; None for any other error."""
    if not isinstance(e, sqlite3.Error):
        return None
    code = getattr(e, "sqlite_errorcode", None)
    if code == _IOERR_SHORT_READ:
        return "corrupt"
    if code in _WRITE_REFUSED:
        return "full"
    if isinstance(code, int) and (code & 0xFF) in _CODES:
        return _CODES[code & 0xFF]
    text = str(e).lower()
    return next((kind for message, kind in _MESSAGES if message in text), None)


def _text(e: BaseException) -> str:
    """The error's words. A message that is not even UTF-8 (SQLite naming a damaged part of its schema)
    is shown with the broken bytes replaced; a value that is not text is named by its column only."""
    if isinstance(e, UnicodeDecodeError) and isinstance(e.object, (bytes, bytearray)):
        return bytes(e.object).decode("utf-8", "replace")
    text = str(e) or type(e).__name__
    m = re.match(r"Could not decode to UTF-8 column '([^']*)'", text)
    if m:
        return f"a value in the column {m.group(1)} is not valid text"
    return text


def _first(problems: list[str]) -> str:
    more = len(problems) - 1
    return problems[0] + (
        f" (and {more} more problem{'s' * (more != 1)}: `swtool db check` lists them)" if more > 0 else ""
    )


def _within(p: Path, folder: Path) -> bool:
    try:
        Path(os.path.abspath(p)).relative_to(os.path.abspath(folder))
        return True
    except ValueError:
        return False


def _os_problem(e: OSError, folder: Path, what: str | None = None) -> LedgerError | None:
    """A full disk or a folder that cannot be written, said as such; None for any other OSError."""
    what = what or f"the ledger's folder {folder}"
    name = e.filename or folder
    if e.errno in _FULL_ERRNOS:
        return LedgerError(
            f"the disk is full: {name} could not be written ({e.strerror}), so nothing more was "
            "recorded; free some space on the disk and run the command again"
        )
    if e.errno in _READ_ONLY_ERRNOS:
        return LedgerError(
            f"{what} is read-only: {name} could not be written ({e.strerror}), so nothing was "
            "recorded; check its permissions"
        )
    return None


def explain(error: BaseException | None, path, conn: sqlite3.Connection | None = None) -> LedgerError | None:
    """The PMO's sentence for an error met while using the ledger at ``path``: the disk is full, the
    ledger is read-only, busy, on a failing disk, or damaged. None when ``error`` is none of these (a
    bug, to be shown as one).

    An error SQLite gives no clear code for (a table or column it cannot find, a message that is not
    even text) is called damage only when the file shows it: ``find_damage`` on ``conn``.
    """
    path = Path(path)
    if error is None or isinstance(error, LedgerError):
        return None
    if isinstance(error, OSError):
        if error.filename and _within(Path(error.filename), path.parent):
            return _os_problem(error, path.parent, f"the folder {Path(error.filename).parent}")
        return None
    if not isinstance(error, (sqlite3.DatabaseError, UnicodeDecodeError)):
        return None
    kind, why = _kind(error), _text(error)
    if kind == "full":
        return LedgerError(full_message(path, why))
    if kind in ("readonly", "cantopen"):
        return LedgerError(read_only_message(path, why))
    if kind == "ioerr":
        return LedgerError(_io_message(path, why))
    if kind == "busy":
        return LedgerError(_busy_message(path, why))
    if kind in ("corrupt", "notadb"):
        return LedgerDamaged(damaged_message(path, why))
    problems = find_damage(conn) if conn is not None else []
    if problems:
        return LedgerDamaged(damaged_message(path, _first(problems)))
    return None


def _damage_behind(error: BaseException, path: Path, conn: sqlite3.Connection) -> LedgerError | None:
    """Any other error met while the ledger was being read (a column not found because a flipped byte
    renamed it, an amount or a day that does not parse) is damage when the file shows damage: its
    integrity, its schema, its parsed values. Else None: the error is a bug, to be shown as one."""
    if not isinstance(error, Exception) or isinstance(error, SwtoolError):
        return None
    try:
        problems = find_damage(conn) or value_problems(conn)
    except (sqlite3.Error, UnicodeDecodeError):
        return None
    return LedgerDamaged(damaged_message(path, _first(problems))) if problems else None


# --- checking the file -----------------------------------------------------------------------------------


def _lenient(b: bytes) -> str:
    return b.decode("utf-8", "replace")


@contextmanager
def _lenient_text(conn: sqlite3.Connection):
    """Read text that may not be UTF-8 (the names and messages of a damaged file) without failing."""
    old = conn.text_factory
    conn.text_factory = _lenient
    try:
        yield conn
    finally:
        conn.text_factory = old


def integrity_problems(conn: sqlite3.Connection, limit: int = 100) -> list[str]:
    """SQLite's ``PRAGMA integrity_check``: [] when the file is intact, else its problems (at most
    ``limit``). Unlike ``quick_check`` it also verifies every index against its table."""
    with _lenient_text(conn):
        rows = conn.execute(f"PRAGMA integrity_check({int(limit)})").fetchall()
    return [] if rows == [("ok",)] else [str(r[0]) for r in rows]


def _norm(sql: str | None) -> str | None:
    return None if sql is None else " ".join(sql.replace('"', "").split())


def _schema(conn: sqlite3.Connection) -> dict[tuple[str, str], tuple[str, str | None]]:
    with _lenient_text(conn):
        rows = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite!_%' ESCAPE '!'"
        ).fetchall()
    return {(t, n): (tbl, _norm(sql)) for t, n, tbl, sql in rows}


def _made_in_memory(version: int) -> sqlite3.Connection:
    """An empty database in memory that the migrations have brought to ``version``."""
    mem = sqlite3.connect(":memory:", isolation_level=None)
    for statements in MIGRATIONS[:version]:
        for statement in statements:
            if callable(statement):
                statement(mem)
            else:
                mem.execute(statement)
    return mem


def expected_schema(version: int) -> dict[tuple[str, str], tuple[str, str | None]]:
    """The schema swtool makes at ``version``: the migrations run on an empty database in memory."""
    mem = _made_in_memory(version)
    try:
        return _schema(mem)
    finally:
        mem.close()


def schema_problems(conn: sqlite3.Connection) -> list[str]:
    """Where the tables, indexes, views and triggers in the file differ from those swtool makes at its
    schema version (damage in the file's schema passes ``integrity_check``: a column renamed by a
    flipped byte is only found when a query names it)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if not 0 < version <= len(MIGRATIONS):
        return []
    have, want = _schema(conn), expected_schema(version)
    problems = [f"{t} {n} is missing" for (t, n) in want if (t, n) not in have]
    problems += [
        f"the definition of {t} {n} is not the one swtool made"
        for (t, n) in want
        if (t, n) in have and have[(t, n)] != want[(t, n)]
    ]
    problems += [f"{t} {n} is not part of a swtool ledger" for (t, n) in have if (t, n) not in want]
    return problems


def _names(conn: sqlite3.Connection) -> set[tuple[str, str, str]]:
    """The names in the schema: every table, index and view, and every column of the tables and views
    (the triggers are ``swtool db verify``'s: a ledger whose triggers were dropped still opens, to be
    verified)."""
    with _lenient_text(conn):
        objects = conn.execute(
            "SELECT type, name, tbl_name FROM sqlite_master WHERE type != 'trigger' "
            "AND name NOT LIKE 'sqlite!_%' ESCAPE '!'"
        ).fetchall()
        names = {(t, n, tbl) for t, n, tbl in objects}
        for t, n, _ in objects:
            if t in ("table", "view"):
                names |= {("column", n, r[1]) for r in conn.execute(f'PRAGMA table_info("{n}")')}
    return names


_EXPECTED_NAMES: dict[tuple, set] = {}


def _name_problems(conn: sqlite3.Connection) -> list[str]:
    """The schema's names against those swtool makes at the file's schema version: the check at every
    open (about 12 ms the first time in a process, to build swtool's schema in memory; 1 ms after),
    which finds a table or column renamed by a flipped byte before any query meets it. Only names are
    compared, so a released migration reworded (not renamed) is not taken for damage;
    ``schema_problems`` compares the whole definitions."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if not 0 < version <= len(MIGRATIONS):
        return []
    key = (version, tuple(id(m) for m in MIGRATIONS[:version]))
    if key not in _EXPECTED_NAMES:
        mem = _made_in_memory(version)
        try:
            _EXPECTED_NAMES[key] = _names(mem)
        finally:
            mem.close()
    have, want = _names(conn), _EXPECTED_NAMES[key]
    words = {"column": "column {1}.{2}", "table": "table {1}", "index": "index {1}", "view": "view {1}"}
    return [f"{words.get(w[0], '{0} {1}').format(*w)} is missing" for w in sorted(want - have)] + [
        f"{words.get(w[0], '{0} {1}').format(*w)} is not part of a swtool ledger" for w in sorted(have - want)
    ]


def find_damage(conn: sqlite3.Connection) -> list[str]:
    """What is damaged in the database open on ``conn``: ``integrity_check``, then its schema against
    the one swtool makes. [] when nothing is found, or when the file cannot be read for a reason other
    than damage (busy, read-only)."""
    try:
        return integrity_problems(conn) or schema_problems(conn)
    except (sqlite3.DatabaseError, UnicodeDecodeError) as e:
        if isinstance(e, UnicodeDecodeError) or _kind(e) in ("corrupt", "notadb"):
            return [_text(e)]
        return []


# Text columns swtool parses when it reads them back (money as exact decimals, days, JSON): a value that
# no longer parses has been damaged in the file, though SQLite's checks pass (they hold no checksums).
VALUE_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "an amount": {
        "contracts": ("annual_value", "funding_paid"),
        "budget_lines": ("amount",),
        "expenditure": ("budgeted", "actual", "match_funding"),
        "transactions": ("amount",),
        "sample_items": ("amount",),
    },
    "a date": {
        "contracts": ("start_date", "end_date"),
        "contract_milestones": ("due_date",),
        "returns": ("date_submitted", "checked_today"),
        "registrations": ("registration_date",),
        "claims": ("date_achieved", "start_date"),
        "raps": ("review_date",),
        "transactions": ("date_defrayed",),
        "visits": ("visit_date",),
        "actions": ("due_date",),
    },
    "a quarter": {
        "returns": ("quarter",),
        "raps": ("quarter",),
        "decisions": ("quarter",),
        "samples": ("quarter",),
        "spot_checks": ("quarter",),
    },
    "JSON": {
        "register_versions": ("warnings",),
        "returns": ("settings", "receipt"),
        "raps": ("detail",),
        "decisions": ("detail",),
        "rechecks": ("history",),
        "samples": ("method",),
        "sample_items": ("risks",),
    },
}


def _parses(kind: str, text) -> bool:
    import json
    from datetime import date
    from decimal import Decimal, InvalidOperation

    if not isinstance(text, str):
        return False
    try:
        if kind == "an amount":
            return Decimal(text).is_finite()
        if kind == "a date":
            date.fromisoformat(text)
        elif kind == "a quarter":
            return re.fullmatch(r"\d{4}/\d{2}-Q[1-4]", text) is not None
        else:
            json.loads(text)
    except (ValueError, ArithmeticError, InvalidOperation):
        return False
    return True


def value_problems(conn: sqlite3.Connection, limit: int = 20) -> list[str]:
    """The stored values of ``VALUE_COLUMNS`` that no longer parse (named by table, row and column,
    never by their content): at most ``limit``."""
    problems: list[str] = []
    for kind, tables in VALUE_COLUMNS.items():
        for table, columns in tables.items():
            with _lenient_text(conn):
                have = {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}
                for column in (c for c in columns if c in have):
                    for rowid, value in conn.execute(
                        f'SELECT rowid, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'
                    ):
                        if not _parses(kind, value):
                            problems.append(f"the {column} of {table} row {rowid} is not {kind}")
                            if len(problems) >= limit:
                                return problems
    return problems


def text_problems(conn: sqlite3.Connection, limit: int = 20) -> list[str]:
    """The text values that are not valid UTF-8 (swtool writes none; a flipped byte makes one, and
    reading it fails): named by table, row and column, at most ``limit``."""
    problems: list[str] = []
    old = conn.text_factory
    conn.text_factory = bytes
    try:
        tables = [
            n.decode("utf-8", "replace")
            for (n,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'"
            )
        ]
        for table in tables:
            columns = [r[1].decode("utf-8", "replace") for r in conn.execute(f'PRAGMA table_info("{table}")')]
            for column in columns:
                for rowid, value in conn.execute(
                    f'SELECT rowid, "{column}" FROM "{table}" WHERE typeof("{column}") = \'text\''
                ):
                    try:
                        value.decode("utf-8")
                    except UnicodeDecodeError:
                        problems.append(f"the {column} of {table} row {rowid} is not valid text")
                        if len(problems) >= limit:
                            return problems
    finally:
        conn.text_factory = old
    return problems


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """The number of rows of every table, in the order they were made."""
    with _lenient_text(conn):
        names = [
            n
            for (n,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY rowid"
            )
        ]
    return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def _open_read_only(path: Path) -> sqlite3.Connection:
    """A connection that cannot change the file (a damaged ledger is looked at, never written)."""
    conn = sqlite3.connect(
        f"{Path(os.path.abspath(path)).as_uri()}?mode=ro",
        uri=True,
        isolation_level=None,
        timeout=BUSY_TIMEOUT_MS / 1000,
    )
    return conn


def _copy_problems(path: Path, counts: dict[str, int], version: int) -> list[str]:
    """Open ``path`` again from the disk: its integrity, schema version and the rows of every table
    against ``counts``."""
    conn = _open_read_only(path)
    try:
        problems = integrity_problems(conn)
        if problems:
            return problems
        got = conn.execute("PRAGMA user_version").fetchone()[0]
        if got != version:
            return [f"its schema version is {got}, not {version}"]
        have = table_counts(conn)
        return [f"table {t} has {have.get(t, 'no')} rows, not {n}" for t, n in counts.items() if have.get(t) != n] + [
            f"table {t} is not in the ledger" for t in have if t not in counts
        ]
    except (sqlite3.DatabaseError, UnicodeDecodeError) as e:
        return [_text(e)]
    finally:
        conn.close()


def write_verified_copy(source: sqlite3.Connection, dest: Path) -> dict[str, int]:
    """Copy the database open on ``source`` to ``dest`` with SQLite's backup API and return its tables'
    row counts.

    The copy and the counts are taken in one snapshot of ``source``; the copy is written to a private
    file beside ``dest`` as one self-contained file (no WAL), synced, opened again from the disk and
    verified (``integrity_check``, schema version, the rows of every table) before it is renamed into
    place. Nothing is written to ``dest`` when the check fails.
    """
    dest = Path(dest)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    _create_private(tmp, exclusive=True)
    try:
        own = not source.in_transaction
        if own:
            source.execute("BEGIN")  # one snapshot: the counts are those of the copy
        try:
            counts = table_counts(source)
            version = source.execute("PRAGMA user_version").fetchone()[0]
            target = sqlite3.connect(str(tmp), isolation_level=None)
            try:
                source.backup(target)
                target.execute("PRAGMA journal_mode = DELETE")  # a copy is one self-contained file
            finally:
                target.close()
        finally:
            if own and source.in_transaction:
                source.execute("COMMIT")
        _fsync(tmp)
        problems = _copy_problems(tmp, counts, version)
        if problems:
            raise LedgerError(
                f"the copy written for {dest} failed its check ({_first(problems)}); nothing was written to {dest}"
            )
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
    except BaseException:
        for suffix in ("", "-journal"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        raise
    return counts


def _sha256_file(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _stored_files(conn: sqlite3.Connection) -> list[str]:
    """The stored files the ledger keeps: every register's, and every return's but those whose workbook a
    retention run removed (``retention_returns``, schema 4)."""
    retained = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'retention_returns'")
    kept = " WHERE id NOT IN (SELECT return_id FROM retention_returns)" if retained.fetchone() else ""
    return [
        r
        for (r,) in conn.execute(
            f"SELECT stored_file FROM returns{kept} UNION SELECT stored_file FROM register_versions ORDER BY 1"
        )
    ]


def _stored_file_problems(conn: sqlite3.Connection, folder: Path) -> tuple[list[str], int]:
    """The stored returns and registers the ledger refers to: each present beside it and still the file
    its name's sha256 says. Returns (problems, files found intact)."""
    problems, intact = [], 0
    for rel in _stored_files(conn):
        f = folder / rel
        if not f.is_file():
            problems.append(f"the stored file {rel} is missing")
        elif _sha256_file(f) != Path(rel).stem:
            problems.append(f"the stored file {rel} does not match its sha256: it was changed after it was stored")
        else:
            intact += 1
    return problems, intact


@dataclass
class CheckResult:
    path: Path
    schema: int | None
    problems: list[str]
    counts: dict[str, int]
    files: int  # stored files present and intact

    @property
    def ok(self) -> bool:
        return not self.problems


def check(path: Path | str | None = None) -> CheckResult:
    """``swtool db check``: the whole ledger file looked at without changing it: SQLite's
    ``integrity_check``, the schema against swtool's, the foreign keys, and the stored files beside it.

    Raises LedgerError when there is nothing to check (no file, an empty file, a database that is not a
    swtool ledger); damage is returned as ``problems``.
    """
    path = Path(path) if path is not None else default_path()
    if not path.exists():
        raise LedgerError(f"there is no ledger at {path}")
    if path.is_dir():
        raise LedgerError(f"{path} is a folder, not a ledger file")
    if path.stat().st_size == 0:
        raise LedgerError(empty_message(path))
    try:
        conn = _open_read_only(path)
    except sqlite3.Error as e:
        raise explain(e, path) or LedgerError(f"cannot open the ledger {path}: {_text(e)}") from None
    try:
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except (sqlite3.DatabaseError, UnicodeDecodeError) as e:
            if isinstance(e, UnicodeDecodeError) or _kind(e) in ("corrupt", "notadb"):
                return CheckResult(path, None, [_text(e)], {}, 0)
            raise explain(e, path) or e from None
        if app_id != APPLICATION_ID:
            raise LedgerError(_damaged(path, "it is an SQLite database, but not a swtool ledger"))
        problems = find_damage(conn)
        counts, intact = {}, 0
        if not problems:
            try:
                counts = table_counts(conn)
                problems += text_problems(conn) or value_problems(conn)
                problems += [
                    f"{table} row {rowid} refers to a {parent} row that is not there"
                    for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check").fetchall()
                ]
                file_problems, intact = _stored_file_problems(conn, path.parent)
                problems += file_problems
            except (sqlite3.DatabaseError, UnicodeDecodeError) as e:
                if not (isinstance(e, UnicodeDecodeError) or _kind(e) in ("corrupt", "notadb")):
                    raise explain(e, path) or e from None
                problems.append(_text(e))
        return CheckResult(path, version, problems, counts, intact)
    finally:
        conn.close()


# --- verifying the decisions and the append-only triggers ------------------------------------------


def describe_decision(row: dict) -> str:
    """``waive C201 on return 4, 2026-11-23 by pmo``: a decision as the PMO would name it."""
    kind, action = row.get("kind"), row.get("action")
    if kind == "finding":
        what = f"{action} {row.get('code')} on return {row.get('return_id')}"
    elif kind == "credit":
        what = (
            f"{action} the service credits of {row.get('contract_id')} {row.get('quarter')} output {row.get('output')}"
        )
    elif kind == "rap":
        what = f"{action} remedial action plan {row.get('rap_id')}"
    elif kind == "return":
        what = f"{action} return {row.get('return_id')}"
    else:
        what = f"{kind} {action}"
    return f"{what}, {str(row.get('at') or '')[:10]} by {row.get('who')}"


@dataclass
class VerifyResult:
    decisions: int
    tables: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


_GUARDS = {
    "no_update": "its rows can be changed",
    "no_delete": "its rows can be deleted",
    "no_replace": "its rows can be replaced (INSERT OR REPLACE)",
    "retention": "a retention run could change more than its personal fields",
}


def verify(ledger: Ledger) -> VerifyResult:
    """``swtool db verify``: recompute every decision's hash (``decision_hash``) and its link to the one
    before, and check that every table still has its append-only triggers, as swtool made them.

    A decision changed after it was recorded no longer matches its hash; one removed or inserted breaks
    the link of the next. (Removing the latest decisions leaves a shorter chain that still holds: the
    triggers refuse it, and backups keep the earlier copies.)
    """
    conn = ledger.conn
    problems: list[str] = []
    rows = conn.execute(f"SELECT {', '.join(DECISION_COLUMNS)}, prev_hash, hash FROM decisions ORDER BY id").fetchall()
    prev_id = prev_hash = None
    for values in rows:
        row = dict(zip(DECISION_COLUMNS, values[:-2], strict=True))
        linked, stored = values[-2:]
        label = f"decision {row['id']} ({describe_decision(row)})"
        if linked != prev_hash:
            if prev_id is None:
                problems.append(
                    f"{label} is linked to a decision before it, but none is recorded: decisions were removed before it"
                )
            else:
                problems.append(
                    f"{label} is not linked to decision {prev_id} before it: a decision was removed, "
                    "inserted or rewritten between them"
                )
        if decision_hash(linked, row) != stored:
            problems.append(f"{label} does not match its hash: it was changed after it was recorded")
        prev_id, prev_hash = row["id"], stored
    triggers = {n: _norm(sql) for n, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}
    tables = [
        n
        for (n,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY rowid"
        )
    ]
    problems += [f"table {t} is missing" for t in TABLE_KEYS if t not in tables]
    # the guards as the migrations left them: schema 4 narrowed four no-update guards for retention
    made = {
        n: sql
        for (kind, n), (_, sql) in expected_schema(ledger.schema_version).items()
        if kind == "trigger" and sql is not None
    }
    for table in tables:
        wanted = [*_append_only(table)] + ([_no_replace(table, TABLE_KEYS[table])] if table in TABLE_KEYS else [])
        wanted += [made[f"{table}_retention"]] if f"{table}_retention" in made else []
        for sql in wanted:
            name = sql.split()[2]
            guard = _GUARDS[name[len(table) + 1 :]]
            if name not in triggers:
                problems.append(f"the trigger {name} is missing: {guard}")
            elif triggers[name] != made.get(name, _norm(sql)):
                problems.append(f"the trigger {name} is not the one swtool made: {guard}")
    return VerifyResult(len(rows), len(tables), problems)


# --- restoring a backup ----------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    path: Path
    backup: Path
    aside: Path | None  # the ledger as it was before, kept
    moved: bool  # True: the file itself was moved aside (it could not be read as a ledger)
    counts: dict[str, int]
    schema: int
    files_copied: int
    notes: list[str]


def _check_backup(backup: Path) -> tuple[sqlite3.Connection, int]:
    """A read-only connection to ``backup`` once it is known to be an intact swtool ledger this swtool
    can use; (connection, schema version)."""

    def refuse(why: str) -> LedgerError:
        return LedgerError(f"the backup {backup} cannot be restored: {why}; nothing was changed")

    if not backup.exists():
        raise LedgerError(f"there is no backup at {backup}; nothing was changed")
    if backup.is_dir():
        raise LedgerError(
            f"{backup} is a folder: give the backup's file (made with `swtool db backup PATH`); nothing was changed"
        )
    if backup.stat().st_size == 0:
        raise refuse("it is an empty file (0 bytes)")
    try:
        conn = _open_read_only(backup)
    except sqlite3.Error as e:
        raise refuse(_text(e)) from None
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id != APPLICATION_ID or version < 1:
            raise refuse("it is not a swtool ledger")
        if version > len(MIGRATIONS):
            raise refuse(
                f"it was made by a newer swtool (schema {version}; this swtool knows up to "
                f"{len(MIGRATIONS)}); upgrade swtool"
            )
        problems = find_damage(conn)
        if problems:
            raise refuse(f"it is damaged ({_first(problems)})")
    except (sqlite3.DatabaseError, UnicodeDecodeError) as e:
        conn.close()
        raise refuse(_text(e)) from None
    except BaseException:
        conn.close()
        raise
    return conn, version


def _readable(path: Path) -> bool:
    """Whether the ledger at ``path`` can be read and is intact, looked at without writing to it."""
    try:
        conn = _open_read_only(path)
    except sqlite3.Error:
        return False
    try:
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            return False
        return not find_damage(conn)
    except (sqlite3.DatabaseError, UnicodeDecodeError) as e:
        if isinstance(e, sqlite3.Error) and _kind(e) in ("busy", "readonly", "cantopen", "ioerr", "full"):
            raise (explain(e, path) or LedgerError(f"{path}: {e}")) from None
        return False
    finally:
        conn.close()


def _in_use(path: Path) -> LedgerError:
    return LedgerError(
        f"the ledger {path} is open in another swtool (a review, an import or a backup): close it and "
        "run the restore again; nothing was changed"
    )


def _restore_over(source: sqlite3.Connection, target: Path, aside: Path) -> None:
    """Restore onto a readable ledger, holding it alone throughout: its journal is folded into the file
    (leaving no -wal to be replayed later), the ledger as it is is copied aside, and the backup is
    copied in with the backup API."""
    conn = sqlite3.connect(str(target), isolation_level=None, timeout=RESTORE_WAIT_S)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(RESTORE_WAIT_S * 1000)}")
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        try:
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("COMMIT")
        except sqlite3.OperationalError as e:
            if _kind(e) == "busy":
                raise _in_use(target) from None
            raise
        if str(mode).lower() != "delete":
            raise _in_use(target)
        write_verified_copy(conn, aside)  # the ledger as it is, before anything changes
        for suffix in ("-wal", "-shm"):  # none is in use: this connection holds the ledger alone
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        source.backup(conn)
    finally:
        conn.close()


def _move_aside(target: Path, aside: Path) -> None:
    """Move the ledger's file, with its -wal and -shm, aside as they are (renamed together, so the copy
    aside opens as the ledger did)."""
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{target}{suffix}")
        if src.exists():
            os.rename(src, Path(f"{aside}{suffix}"))
    _fsync_dir(target.parent)


def _copy_store(source: sqlite3.Connection, backup_dir: Path, target_dir: Path) -> tuple[int, list[str]]:
    """Copy the backup's stored files that the ledger's folder lacks; each is checked against its
    sha256 first. Returns (files copied, notes)."""
    copied, notes = 0, []
    if backup_dir.resolve() == target_dir.resolve():
        return 0, []
    for rel in _stored_files(source):
        src, dst = backup_dir / rel, target_dir / rel
        if dst.exists():
            continue
        if not src.is_file():
            notes.append(f"the stored file {rel} is neither beside the backup nor beside the ledger")
            continue
        data = src.read_bytes()
        import hashlib

        if hashlib.sha256(data).hexdigest() != Path(rel).stem:
            notes.append(f"the stored file {rel} beside the backup does not match its sha256; it was not copied")
            continue
        write_stored_file(dst, data)
        copied += 1
    return copied, notes


def restore(backup: Path | str, path: Path | str | None = None) -> RestoreResult:
    """``swtool db restore BACKUP``: put the backup in place of the ledger at ``path``, losing nothing.

    1. The backup must be an intact swtool ledger (``application_id``, ``integrity_check``, swtool's
       schema) of a schema this swtool knows.
    2. The ledger as it is is kept beside it as ``<name>.before-restore.<UTC time>``: copied with the
       backup API (and verified) when it can be read, else the file itself moved aside together with
       its -wal and -shm. A ledger open in another swtool is not restored over.
    3. The target's -wal and -shm are removed (or moved aside), so they cannot be replayed onto the
       restored file; the backup is copied in with the backup API.
    4. The backup's stored files the ledger's ``files/`` lacks are copied, and the result is checked
       again (``integrity_check`` and every table's rows against the backup's).
    """
    backup = Path(backup)
    target = Path(path) if path is not None else default_path()
    if target.exists() and target.is_dir():
        raise LedgerError(f"{target} is a folder, not a ledger file")
    if backup.exists() and target.exists() and os.path.samefile(backup, target):
        raise LedgerError(f"{backup} is the ledger itself; nothing was changed")
    source, version = _check_backup(backup)
    notes: list[str] = []
    try:
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
            aside = target.with_name(f"{target.name}.before-restore.{stamp}")
            moved = False
            source.execute("BEGIN")
            try:
                counts = table_counts(source)
                if target.exists() and target.stat().st_size > 0 and _readable(target):
                    _restore_over(source, target, aside)
                else:
                    stray = [s for s in ("", "-wal", "-shm") if Path(f"{target}{s}").exists()]
                    if stray:
                        _move_aside(target, aside)
                        moved = True
                        if "" not in stray:
                            notes.append(f"a -wal or -shm with no ledger beside it was moved aside to {aside}-wal/-shm")
                    write_verified_copy(source, target)
            finally:
                if source.in_transaction:
                    source.execute("COMMIT")
            problems = _copy_problems(target, counts, version)
            if problems:
                raise LedgerError(
                    f"the restored ledger {target} failed its check ({_first(problems)}); the ledger as "
                    f"it was is kept in {aside}"
                )
            copied, more = _copy_store(source, backup.parent, target.parent)
            notes += more
        except OSError as e:
            raise _os_problem(e, target.parent) or e from None
        except (sqlite3.DatabaseError, UnicodeDecodeError) as e:  # a full disk, a read-only folder: said as such
            raise explain(e, target) or e from None
    finally:
        source.close()
    kept = aside if (aside.exists() or Path(f"{aside}-wal").exists()) else None
    return RestoreResult(target, backup, kept, moved, counts, version, copied, notes)
