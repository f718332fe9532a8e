"""Retention: the ledger keeps the personal data of a return no longer than the council's retention period.

UK GDPR's storage limitation, and the Information Sharing Agreement (spec §13.1) that sets how long
records are kept: ``swtool retention --before DATE`` takes the personal data out of the returns past
that date, and keeps every figure the council pays and reports on.

**What is due.** Retention goes contract by contract: a contract's returns are due once the contract
ended (its end date in the register in force) and the last quarter it returned ended, both before the
retention date. While a contract runs, its earlier returns are the history its next return is checked
against (a client registered twice, a claim made before), and a void or a late exception checks its
returns again from their workbooks, so they are kept whole. A contract the register does not hold is
due once its last quarter returned ended. Every version of a due return goes, voided ones too.

**What changes**, in the due returns' rows, all in one transaction:

- client refs (registrations and claims) become keyed pseudonyms: ``anon-`` and 16 letters, from
  HMAC-SHA256 with the ledger's one retention key (``retention_key``, made at the first run). The same
  client gets the same pseudonym in every return and every contract, and refs that differ only in case
  keep both their likeness and their difference, so repeat registrations, the claims' standings and
  C219/C220 across contracts (``client_key``) agree as before;
- ages become the lowest age of their band (16, 25 or 50; none under 16), so the network report's age
  bands stay as they were;
- an employer (no swtool since schema 1 stored one) becomes none;
- the provider's Comment on each Expenditure line (``expenditure_comments``, kept for the review's
  Expenditure tab) becomes none: it is free text;
- findings keep their code, cell and severity; their message and value are redacted as ``--redact``
  redacts them, with the personal values of each row read from the stored workbook while it is still
  there, and every client ref in them becomes its pseudonym;
- the stored workbook is removed from ``files/``, after the commit (a run cut short before that leaves
  the files, which the next run removes).

**What stays**: every other column (dates, codes, outputs, valid, reason), the returns' records, the
decisions (never touched: their hash chain), service credits, plans, the register. So every figure of
``status``, ``credits``, ``payments``, ``performance`` and the network report is what it was.

**When it refuses** (nothing changed): while a decision on a due contract's returns is still open: a
remedial action plan of the contract not closed, a finding queried and not yet accepted or waived
(on a return not void, while the finding stands), a return held back from payment. Each of these may
still need the rows as the provider returned them. A counted version awaiting approval, or service
credits not yet decided, do not stop it: those are decided on the figures, which stay.

**How the ledger lets it.** The registrations, claims and findings refuse every UPDATE (schema 4,
``db.SCHEMA_4``'s retention block; the expenditure comments likewise, schema 5) except of a return listed in ``retention_returns`` whose run is not
yet recorded in ``retention_runs``: the run lists its returns first and records itself last, in the
same transaction, and the deferred foreign key from the first to the second refuses a commit without
the run. Even then only the personal fields may change, and only to a pseudonym, an age band's lowest
age, or nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from swtool.errors import SwtoolError
from swtool.ledger import store
from swtool.ledger.db import FILES_DIR, Ledger, LedgerError, utc_now

PREFIX = "anon-"
_PSEUDONYM_RE = re.compile(r"anon-[A-Za-z]{16}")
BAND_FLOORS = {"16–24": 16, "25–49": 25, "50+": 50}  # swtool.write.network_report.age_band's bands, by their lowest age


class RetentionRefused(SwtoolError):
    """Decisions on the returns due are still open: nothing was changed."""


# --- pseudonyms ----------------------------------------------------------------------------------------


def pseudonym(secret: bytes, ref: str) -> str:
    """``anon-`` and 16 letters: the keyed hash of a client ref.

    The letters come from the ref's casefold, so refs that differ only in case (``sw1``, ``SW1``)
    compare alike with ``casefold`` as before; their case comes from the ref's own (all lower, all upper,
    or for a mixed one a pattern of its own), so they still differ when compared exactly."""
    digest = hmac.new(secret, b"client ref\0" + ref.casefold().encode("utf-8"), hashlib.sha256).digest()
    letters = [chr(ord("a") + b % 26) for b in digest[:16]]
    if ref != ref.casefold():
        if ref == ref.upper():
            letters = [ch.upper() for ch in letters]
        else:
            bits = hmac.new(secret, b"case\0" + ref.encode("utf-8"), hashlib.sha256).digest()
            letters = [ch.upper() if bits[i] & 1 else ch for i, ch in enumerate(letters)]
            if all(ch.islower() for ch in letters):
                letters[0] = letters[0].upper()
            elif all(ch.isupper() for ch in letters):
                letters[0] = letters[0].lower()
    return PREFIX + "".join(letters)


def is_pseudonym(ref) -> bool:
    return isinstance(ref, str) and _PSEUDONYM_RE.fullmatch(ref) is not None


def age_floor(age) -> int | None:
    """The lowest age of the network report's band for ``age``; None when it has none (under 16, none)."""
    from swtool.write.network_report import age_band

    return BAND_FLOORS.get(age_band(age))


def _has_tables(conn: sqlite3.Connection) -> bool:
    return (
        conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
            "('retention_key', 'retention_runs', 'retention_returns')"
        ).fetchone()[0]
        == 3
    )


def _secret(conn: sqlite3.Connection) -> bytes | None:
    if not _has_tables(conn):
        return None
    row = conn.execute("SELECT secret FROM retention_key WHERE id = 1").fetchone()
    return bytes.fromhex(row[0]) if row else None


def client_key(ledger: Ledger):
    """How to compare client refs across contracts: by casefold, or once a retention run pseudonymised
    some returns, by the casefold of each ref's pseudonym (a pseudonym is its own), so that a client of
    a contract past retention still meets the same client in a contract that runs on."""
    secret = _secret(ledger.conn)
    if secret is None:
        return str.casefold
    seen: dict[str, str] = {}

    def key(ref: str) -> str:
        k = seen.get(ref)
        if k is None:
            k = seen[ref] = (ref if is_pseudonym(ref) else pseudonym(secret, ref)).casefold()
        return k

    return key


def retained(ledger: Ledger, return_id: int) -> dict | None:
    """The retention run that removed a return's personal data and workbook: {run_id, at, who}; None."""
    if not _has_tables(ledger.conn):
        return None
    row = ledger.conn.execute(
        "SELECT p.run_id, r.at, r.who FROM retention_returns p JOIN retention_runs r "
        "ON r.id = p.run_id WHERE p.return_id = ?",
        (return_id,),
    ).fetchone()
    return None if row is None else {"run_id": row[0], "at": row[1], "who": row[2]}


def retained_words(ledger: Ledger, return_id: int) -> str:
    """The line ``swtool returns --id`` shows for a return a retention run took the personal data out
    of; "" for any other."""
    run = retained(ledger, return_id)
    if run is None:
        return ""
    return (
        f"  personal data taken out by retention run {run['run_id']} ({run['at'][:10]}, {run['who']}): client refs "
        "are pseudonyms and the stored workbook is removed, so nothing personal can be shown\n"
    )


def refuse_recheck(ledger: Ledger, return_ids) -> None:
    """Checking a return again reads its stored workbook: refused (before anything is recorded) for a
    return whose workbook a retention run removed."""
    if not _retained_ids(ledger.conn):
        return
    for rid in return_ids:
        run = retained(ledger, rid)
        if run is not None:
            raise LedgerError(
                f"return {rid} would be checked again from its stored workbook, which retention run "
                f"{run['run_id']} removed ({run['at'][:10]}); nothing was recorded"
            )


def refuse_recheck_of_later(ledger: Ledger, return_id: int, refdata=None) -> None:
    """A void or a late exception checks the contract's later returns again: refused first when one of
    them was retained (``refuse_recheck``)."""
    if not _retained_ids(ledger.conn):
        return
    r = store.get_return(ledger, return_id)
    refuse_recheck(
        ledger,
        [
            v["id"]
            for v in store.versions(ledger, refdata, r["contract_id"])
            if v["quarter"] > r["quarter"] and not v["voided"]
        ],
    )


# --- what is due ---------------------------------------------------------------------------------------


@dataclass
class DueContract:
    contract_id: str
    provider: str | None
    ended: date | None  # the register's end date; None when the register does not hold it
    last_quarter: str
    returns: list[dict]  # id, quarter, version, stored_file


@dataclass
class Plan:
    before: date
    basis: str  # "--before" | "retention_years=6"
    due: list[DueContract] = field(default_factory=list)
    kept: list[tuple[str, int, str]] = field(default_factory=list)  # (contract, returns before the date, why kept)
    open: list[str] = field(default_factory=list)  # the open decisions, as sentences
    leftover: list[str] = field(default_factory=list)  # workbooks of runs before, still in files/

    @property
    def return_ids(self) -> list[int]:
        return [r["id"] for d in self.due for r in d.returns]


def _retained_ids(conn: sqlite3.Connection) -> set[int]:
    if not _has_tables(conn):
        return set()
    return {r for (r,) in conn.execute("SELECT return_id FROM retention_returns")}


def plan(ledger: Ledger, before: date, basis: str) -> Plan:
    """The contracts whose returns are due before ``before`` (see the module), those kept whole and why,
    the decisions still open on the due ones, and the workbooks earlier runs left in ``files/``."""
    from swtool.model.quarter import Quarter, uk_date

    conn = ledger.conn
    done = _retained_ids(conn)
    register = store.current_register(ledger)
    contracts = register.contracts if register is not None else {}
    by_contract: dict[str, list[dict]] = {}
    for rid, cid, q, version, provider, rel in conn.execute(
        "SELECT id, contract_id, quarter, version, provider, stored_file FROM returns "
        "ORDER BY contract_id, quarter, version"
    ):
        by_contract.setdefault(cid, []).append(
            {"id": rid, "contract_id": cid, "quarter": q, "version": version, "provider": provider, "stored_file": rel}
        )
    out = Plan(before, basis)
    for cid, rows in by_contract.items():
        todo = [r for r in rows if r["id"] not in done]
        if not todo:
            continue
        quarters = {r["quarter"]: Quarter.parse(r["quarter"]) for r in rows}
        last = max(quarters.values())
        c = contracts.get(cid)
        ended = c.end if c is not None else None
        older = sum(1 for r in todo if quarters[r["quarter"]].end < before)
        if last.end >= before:
            if older:
                out.kept.append((cid, older, f"its last quarter returned, {last}, ends {uk_date(last.end)}"))
            continue
        if ended is not None and ended >= before:
            out.kept.append((cid, older, f"the contract runs to {uk_date(ended)}"))
            continue
        out.due.append(DueContract(cid, c.provider if c is not None else todo[-1]["provider"], ended, str(last), todo))
    out.open = open_decisions(ledger, out.due)
    if done:
        marks = ", ".join("?" * len(done))
        out.leftover = [
            rel
            for (rel,) in conn.execute(
                f"SELECT stored_file FROM retention_returns WHERE return_id IN ({marks}) ORDER BY return_id",
                sorted(done),
            )
            if (stored := _stored_path(ledger, rel)) is not None and stored.exists()
        ]
    return out


def open_decisions(ledger: Ledger, due: list[DueContract]) -> list[str]:
    """The decisions on the due contracts' returns that are still open, each as a sentence that says
    how to close it: plans not closed, findings queried (on a return not void, while the finding
    stands), returns held."""
    if not due:
        return []
    conn = ledger.conn
    contracts = {d.contract_id for d in due}
    ids = [r["id"] for d in due for r in d.returns]
    what = {r["id"]: f"{r['contract_id']} {r['quarter']} version {r['version']}" for d in due for r in d.returns}
    marks = ", ".join("?" * len(ids))
    out = []
    for r in store.raps(ledger, date.today()):
        if r["contract_id"] in contracts:
            out.append(
                f"remedial action plan {r['id']} of {r['contract_id']} {r['quarter']} is open (close it: "
                f"swtool rap close {r['id']} --reason TEXT)"
            )
    void = (
        f"(SELECT return_id FROM latest_decisions WHERE kind = 'return' AND action = 'void' AND return_id IN ({marks}))"
    )
    for rid, code, cell in conn.execute(
        f"SELECT d.return_id, d.code, d.cell FROM latest_decisions d "
        f"WHERE d.kind = 'finding' AND d.action = 'query' "
        f"AND d.return_id IN ({marks}) AND d.return_id NOT IN {void} AND EXISTS (SELECT 1 FROM current_findings f "
        f"WHERE f.return_id = d.return_id AND f.code = d.code AND f.cell = d.cell) ORDER BY d.return_id, d.id",
        ids + ids,
    ):
        out.append(
            f"finding {code} at {cell} of return {rid} ({what[rid]}) is queried (decide it: swtool decide "
            f"finding {rid} {code} {cell} --accept or --waive)"
        )
    for (rid,) in conn.execute(
        f"SELECT return_id FROM latest_decisions WHERE kind = 'return' AND action = 'hold' "
        f"AND return_id IN ({marks}) "
        f"AND return_id NOT IN {void} ORDER BY return_id",
        ids + ids,
    ):
        out.append(
            f"return {rid} ({what[rid]}) is held back from payment (approve it: swtool approve {rid} --reason TEXT)"
        )
    return out


# --- what changes --------------------------------------------------------------------------------------


@dataclass
class ReturnChanges:
    return_id: int
    contract_id: str
    stored_file: str
    rows: tuple[int, int, int]  # registrations, claims, findings it has (the plan's check)
    registrations: list[tuple] = field(default_factory=list)  # (client_ref, age, return_id, row)
    claims: list[tuple] = field(default_factory=list)  # (client_ref, employer, return_id, row)
    findings: list[tuple] = field(default_factory=list)  # (message, value, return_id, seq)
    sampled: list[tuple] = field(default_factory=list)  # (client_ref, sample_id, seq): spot-check samples
    comments: list[tuple] = field(default_factory=list)  # (return_id, row): Expenditure Comments cleared
    workbook: bool = False  # the stored workbook was there to read (and to remove)


def _submission(ledger: Ledger, rel: str, refdata):
    """The stored workbook, typed; None when it is not there or cannot be read (its findings are then
    redacted by the columns' kinds alone)."""
    from swtool.read.preflight import Unreadable
    from swtool.read.submission import load_submission

    path = _stored_path(ledger, rel)
    if path is None or not path.is_file():
        return None
    try:
        return load_submission(path, refdata)
    except (Unreadable, OSError):
        return None


def _workbook_refs(sub) -> set[str]:
    refs: set[str] = set()
    if sub is None:
        return refs
    for t in sub.tables.values():
        if t.present and "Client ref" in t.df.columns:
            refs |= {str(v).strip() for v in t.df["Client ref"].dropna() if str(v).strip()}
    return refs


class _Refs:
    """Client refs in a text, replaced by their pseudonyms: quoted anywhere; bare when the ref has a
    letter and at least 3 characters and stands alone (not part of a cell, a claim ref or a file name);
    a ref of digits only, bare, just after "client "."""

    def __init__(self, secret: bytes, refs: set[str]):
        self.secret = secret
        self.refs = {r for r in refs if r}
        longest_first = sorted((r for r in refs if r and not is_pseudonym(r)), key=lambda r: (-len(r), r))
        alt = "|".join(map(re.escape, longest_first))
        worded = [r for r in longest_first if len(r) >= 3 and any(ch.isalpha() for ch in r)]
        self.quoted = re.compile(rf"""(['"])({alt})\1""") if longest_first else None
        self.bare = (
            re.compile(rf"(?<![\w!:./\\-])({'|'.join(map(re.escape, worded))})(?![\w]|[./\\-]\w)") if worded else None
        )
        self.client = re.compile(rf"(?<=client )({alt})(?![\w]|[./\\-]\w)") if longest_first else None

    def sub(self, text: str) -> str:
        def quoted(m: re.Match) -> str:
            return f"{m.group(1)}{pseudonym(self.secret, m.group(2))}{m.group(1)}"

        def bare(m: re.Match) -> str:
            return pseudonym(self.secret, m.group(1))

        if self.quoted is not None:
            text = self.quoted.sub(quoted, text)
        if self.bare is not None:
            text = self.bare.sub(bare, text)
        if self.client is not None:
            text = self.client.sub(bare, text)
        return text

    def value(self, value):
        if isinstance(value, str):
            return pseudonym(self.secret, value) if value in self.refs and not is_pseudonym(value) else self.sub(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value


def _row_counts(conn: sqlite3.Connection, rid: int) -> tuple[int, int, int]:
    return tuple(
        conn.execute(f"SELECT count(*) FROM {t} WHERE return_id = ?", (rid,)).fetchone()[0]
        for t in ("registrations", "claims", "findings")
    )


def prepare(ledger: Ledger, p: Plan, secret: bytes, refdata) -> list[ReturnChanges]:
    """The new values of every row of the due returns that changes (see the module): read from the
    ledger and the stored workbooks, nothing written."""
    from swtool.findings import Finding, plain_value
    from swtool.report.redact import RowValues, redact_message, stored_value

    conn = ledger.conn
    out: list[ReturnChanges] = []
    for d in p.due:
        ids = [r["id"] for r in d.returns]
        marks = ", ".join("?" * len(ids))
        subs = {r["id"]: _submission(ledger, r["stored_file"], refdata) for r in d.returns}
        # every client ref of the contract's returns (their findings may quote an earlier quarter's)
        refs = {
            ref
            for (ref,) in conn.execute(
                f"SELECT client_ref FROM registrations WHERE return_id IN ({marks}) AND client_ref IS NOT NULL UNION "
                f"SELECT client_ref FROM claims WHERE return_id IN ({marks}) AND client_ref IS NOT NULL",
                ids + ids,
            )
        }
        for sub in subs.values():
            refs |= _workbook_refs(sub)
        scrub = _Refs(secret, refs)
        for r in d.returns:
            rid, sub = r["id"], subs[r["id"]]
            ch = ReturnChanges(rid, d.contract_id, r["stored_file"], _row_counts(conn, rid), workbook=sub is not None)
            for row, ref, age in conn.execute(
                "SELECT row, client_ref, age FROM registrations WHERE return_id = ? ORDER BY row", (rid,)
            ):
                new_ref = ref if ref is None or is_pseudonym(ref) else pseudonym(secret, ref)
                new_age = age_floor(age)
                if (new_ref, new_age) != (ref, age):
                    ch.registrations.append((new_ref, new_age, rid, row))
            for row, ref, employer in conn.execute(
                "SELECT row, client_ref, employer FROM claims WHERE return_id = ? ORDER BY row", (rid,)
            ):
                new_ref = ref if ref is None or is_pseudonym(ref) else pseudonym(secret, ref)
                if (new_ref, None) != (ref, employer):
                    ch.claims.append((new_ref, None, rid, row))
            # the provider's Comments on the Expenditure lines: free text, cleared
            ch.comments = [
                (rid, row)
                for (row,) in conn.execute(
                    "SELECT row FROM expenditure_comments WHERE return_id = ? AND comment IS NOT NULL ORDER BY row",
                    (rid,),
                )
            ]
            # a spot-check sample keeps the claims it drew by their claim refs; their clients go too
            for sample_id, seq, ref in conn.execute(
                "SELECT sample_id, seq, client_ref FROM sample_items WHERE return_id = ? AND client_ref IS NOT NULL",
                (rid,),
            ):
                if not is_pseudonym(ref):
                    ch.sampled.append((pseudonym(secret, ref), sample_id, seq))
            rows = RowValues(sub, refdata)
            for seq, code, slug, severity, sheet, row, col, header, cell, message, value, spec in conn.execute(
                "SELECT seq, code, slug, severity, sheet, row, col, header, cell, message, value, spec "
                "FROM findings "
                "WHERE return_id = ? ORDER BY seq",
                (rid,),
            ):
                try:
                    old = None if value is None else json.loads(value)
                except ValueError:
                    old = value  # not JSON (damaged or hand-made): the text itself
                f = Finding(
                    code,
                    slug,
                    severity,
                    message,
                    sheet,
                    row,
                    col,
                    header,
                    None if cell == store.NO_CELL else cell,
                    old,
                    spec,
                )
                personal, at = rows(sheet, row), rows.cell(sheet, row, header)
                new_message = scrub.sub(redact_message(f, personal, refdata, at))
                kept = scrub.value(plain_value(stored_value(f, personal, refdata, at)))
                new_value = (
                    value
                    if kept == old
                    else (None if kept is None else json.dumps(kept, ensure_ascii=False, default=str))
                )
                if (new_message, new_value) != (message, value):
                    ch.findings.append((new_message, new_value, rid, seq))
            out.append(ch)
    return out


# --- the run -------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    plan: Plan
    changes: list[ReturnChanges]
    run_id: int | None = None  # None for a dry run, or when nothing was due
    at: str | None = None
    who: str | None = None
    removed: int = 0  # stored workbooks removed from files/
    not_removed: list[str] = field(default_factory=list)  # those that could not be, with why

    def count(self, what: str) -> int:
        return sum(len(getattr(c, what)) for c in self.changes)

    @property
    def files(self) -> list[str]:
        """The workbooks to remove: the due returns' still in files/, and those earlier runs left."""
        return [c.stored_file for c in self.changes if c.workbook] + list(self.plan.leftover)


def _signature(ledger: Ledger, p: Plan) -> tuple:
    return (tuple(p.return_ids), tuple(p.open), tuple(_row_counts(ledger.conn, rid) for rid in p.return_ids))


def run(ledger: Ledger, before: date, basis: str, refdata, dry_run: bool = False) -> RunResult:
    """Plan, refuse while a decision is open (``RetentionRefused``), prepare, and apply in one
    transaction: the due returns are listed in ``retention_returns``, their rows changed, the run
    recorded in ``retention_runs``. Then the stored workbooks are removed from ``files/``.

    ``dry_run``: everything but the commit and the removal, on ``ledger`` as it is: the caller gives a
    copy (``open_copy``), so the triggers are put to the test and the counts are the real run's."""
    p = plan(ledger, before, basis)
    if p.open:
        raise RetentionRefused(refusal(p))
    expected = _signature(ledger, p)  # what the run is planned on; checked again under the write lock
    secret = _secret(ledger.conn)
    new_key = secret is None and bool(p.due)
    if secret is None:  # a new key is kept only when the run changes returns (new_key)
        secret = secrets.token_bytes(32)
    changes = prepare(ledger, p, secret, refdata) if p.due else []
    result = RunResult(p, changes)
    if p.due:
        try:  # the workbooks were read without the write lock: _apply checks the plan still holds
            _apply(ledger, result, expected, secret, new_key, before, basis, dry_run)
        except _DryRun:
            result.run_id = result.at = result.who = None
    if not dry_run:
        result.removed, result.not_removed = remove_files(ledger, result.files)
    return result


class _DryRun(Exception):
    """Ends a dry run's transaction: rolled back, as a failure would be."""


def _apply(
    ledger: Ledger,
    result: RunResult,
    expected: tuple,
    secret: bytes,
    new_key: bool,
    before: date,
    basis: str,
    dry_run: bool,
) -> None:
    """The run's one transaction: its returns listed, their rows changed, the run recorded last.
    ``dry_run`` ends it with ``_DryRun``, which rolls it back as any failure would."""
    changes = result.changes
    with ledger.transaction() as c:
        now = plan(ledger, before, basis)
        if now.open:
            raise RetentionRefused(refusal(now))
        if _signature(ledger, now) != expected or _secret(c) != (None if new_key else secret):
            raise LedgerError(
                "the ledger changed while retention was being prepared (a return imported, checked "
                "again or decided meanwhile); nothing was changed: run it again"
            )
        result.at, result.who = utc_now(), store.who()
        if new_key:
            c.execute(
                "INSERT INTO retention_key (id, secret, created_at, created_by) VALUES (1, ?, ?, ?)",
                (secret.hex(), result.at, result.who),
            )
        result.run_id = c.execute("SELECT coalesce(max(id), 0) + 1 FROM retention_runs").fetchone()[0]
        c.executemany(
            "INSERT INTO retention_returns (return_id, run_id, stored_file, registrations, claims, findings) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (ch.return_id, result.run_id, ch.stored_file, len(ch.registrations), len(ch.claims), len(ch.findings))
                for ch in changes
            ],
        )
        c.executemany(
            "UPDATE registrations SET client_ref = ?, age = ? WHERE return_id = ? AND row = ?",
            [x for ch in changes for x in ch.registrations],
        )
        c.executemany(
            "UPDATE claims SET client_ref = ?, employer = ? WHERE return_id = ? AND row = ?",
            [x for ch in changes for x in ch.claims],
        )
        c.executemany(
            "UPDATE findings SET message = ?, value = ? WHERE return_id = ? AND seq = ?",
            [x for ch in changes for x in ch.findings],
        )
        c.executemany(
            "UPDATE sample_items SET client_ref = ? WHERE sample_id = ? AND seq = ?",
            [x for ch in changes for x in ch.sampled],
        )
        c.executemany(
            "UPDATE expenditure_comments SET comment = NULL WHERE return_id = ? AND row = ?",
            [x for ch in changes for x in ch.comments],
        )
        _record_run(c, result, before, basis)
        if dry_run:
            raise _DryRun


def _record_run(c: sqlite3.Connection, result: RunResult, before: date, basis: str) -> None:
    """The run's own record, last in its transaction: it closes the exception of its returns."""
    from swtool import __version__

    contracts = [
        {
            "contract": d.contract_id,
            "returns": [r["id"] for r in d.returns],
            "quarters": sorted({r["quarter"] for r in d.returns}),
        }
        for d in result.plan.due
    ]
    c.execute(
        "INSERT INTO retention_runs (id, at, who, before_date, basis, contracts, returns, registrations, claims, "
        "findings, files, tool_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            result.run_id,
            result.at,
            result.who,
            before.isoformat(),
            basis,
            json.dumps(contracts),
            len(result.changes),
            result.count("registrations"),
            result.count("claims"),
            result.count("findings"),
            sum(1 for ch in result.changes if ch.workbook),
            __version__,
        ),
    )


def _stored_path(ledger: Ledger, rel: str) -> Path | None:
    """``rel`` in the ledger's ``files/`` store; None for a name that points anywhere else."""
    parts = Path(rel).parts
    if len(parts) != 3 or parts[0] != FILES_DIR or any(p in ("", ".", "..") for p in parts):
        return None
    return ledger.dir / rel


def remove_files(ledger: Ledger, rels: list[str]) -> tuple[int, list[str]]:
    """Remove the workbooks of retained returns from ``files/`` (never one a kept return or a register
    still refers to). Returns (removed, the ones that could not be, each with why)."""
    from swtool.ledger.db import _fsync_dir, _stored_files

    kept = set(_stored_files(ledger.conn))
    removed, problems, folders = 0, [], set()
    for rel in dict.fromkeys(rels):
        path = _stored_path(ledger, rel)
        if path is None or rel in kept:
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as e:
            problems.append(f"{rel} ({e.strerror or e})")
            continue
        removed += 1
        folders.add(path.parent)
    for folder in folders:
        _fsync_dir(folder)
    return removed, problems


def refusal(p: Plan) -> str:
    n = len(p.open)
    return (
        f"retention before {p.before.isoformat()} is refused while {n} decision{'s' * (n != 1)} on those returns "
        f"{'is' if n == 1 else 'are'} open: " + "; ".join(p.open) + ". Nothing was changed."
    )


# --- a dry run: the ledger copied into memory ------------------------------------------------------------


def existing(path: Path | str | None) -> Path:
    """The ledger's path, when a ledger is there (else one sentence)."""
    from swtool.ledger import db

    path = Path(path) if path is not None else db.default_path()
    if not path.exists():
        raise LedgerError(f"there is no ledger at {path}")
    if path.is_dir():
        raise LedgerError(f"{path} is a folder, not a ledger file")
    if path.stat().st_size == 0:
        raise LedgerError(db.empty_message(path))
    return path


def open_copy(path: Path | str | None) -> Ledger:
    """The ledger at ``path`` copied into memory, read only from the disk (nothing written there, not even
    a migration): brought up to this swtool's schema in memory, so a dry run can do everything but the
    commit. Its ``dir`` is the ledger's folder, so the stored workbooks are read where they are."""
    from swtool.ledger import db

    path = existing(path)
    try:
        source = db._open_read_only(path)
    except sqlite3.Error as e:
        raise db.explain(e, path) or LedgerError(f"cannot open the ledger {path}: {db._text(e)}") from None
    mem = sqlite3.connect(":memory:", isolation_level=None)
    try:
        try:
            if source.execute("PRAGMA application_id").fetchone()[0] != db.APPLICATION_ID:
                raise LedgerError(db._damaged(path, "it is an SQLite database, but not a swtool ledger"))
            problems = db.find_damage(source)
            if problems:
                raise db.LedgerDamaged(db.damaged_message(path, db._first(problems), "nothing was changed"))
            source.backup(mem)
        except (sqlite3.DatabaseError, UnicodeDecodeError) as e:
            raise db.explain(e, path, source) or LedgerError(db._damaged(path, db._text(e))) from None
        mem.execute("PRAGMA foreign_keys = ON")
        ledger = Ledger(path, mem)
        db._migrate(ledger, True)  # in memory only: no backup to make
    except BaseException:
        mem.close()
        raise
    finally:
        source.close()
    return ledger


def runs(ledger: Ledger) -> list[dict]:
    """The retention runs recorded, oldest first."""
    if not _has_tables(ledger.conn):
        return []
    cur = ledger.conn.execute("SELECT * FROM retention_runs ORDER BY id")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


__all__ = [
    "PREFIX",
    "DueContract",
    "Plan",
    "RetentionRefused",
    "ReturnChanges",
    "RunResult",
    "age_floor",
    "client_key",
    "is_pseudonym",
    "open_copy",
    "open_decisions",
    "plan",
    "prepare",
    "pseudonym",
    "refuse_recheck",
    "remove_files",
    "retained",
    "run",
    "runs",
]
