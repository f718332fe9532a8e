"""What the ledger records: the contract register, the returns with their findings and records, the
PMO's decisions and remedial action plans.

Every write is one ``Ledger.transaction``: an import stores its return, findings and records together
or not at all, and a decision is one row in an append-only log (a change of mind is a new row; the
latest row on a target is the one in force). The workbooks themselves are kept in a content-addressed
store beside the ledger (``files/<sha[:2]>/<sha>.xlsx``, read-only), written before the rows that
refer to them are committed, so the ledger never points at a missing file.

A claim (or registration) counts towards the contract's outputs when no error finding on its row is
in force: the checker's error findings make it not ``valid`` at import, and a PMO decision to *waive*
every one of them makes it count again (``accept`` and ``query`` leave the finding standing).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from swtool.calc.counting import ELIGIBILITY_CODES, Registration, registration_for, why_not_counted  # noqa: F401
from swtool.calc.counting import cell_day as _day
from swtool.calc.counting import cell_text as _text
from swtool.ledger.db import DECISION_COLUMNS, Ledger, LedgerError, decision_hash, utc_now, write_stored_file

FINDING_ACTIONS = ("accept", "query", "waive")
CREDIT_ACTIONS = ("apply", "waive")
NO_CELL = "-"  # the cell of a finding about the whole return


def who() -> str:
    """The OS user recording a decision."""
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def finding_target(return_id: int, code: str, cell: str) -> str:
    return f"finding:{return_id}:{code}:{cell}"


def credit_target(contract: str, quarter: str, output: str) -> str:
    return f"credit:{contract}:{quarter}:{output}"


def rap_target(rap_id: int) -> str:
    return f"rap:{rap_id}"


def _stored_name(sha: str) -> str:
    return f"files/{sha[:2]}/{sha}.xlsx"


def _store(ledger: Ledger, sha: str, data: bytes) -> str:
    """Keep ``data`` in the content store (written before the rows that refer to it are committed)."""
    rel = _stored_name(sha)
    write_stored_file(ledger.dir / rel, data)
    return rel


def _unstore(ledger: Ledger, rel: str) -> None:
    """Remove a stored file that this import wrote but whose transaction failed, only when no row refers
    to it: checked under the write lock, so no other import can commit a row for it meanwhile. When the
    ledger cannot even be asked, the file stays (an unused file is harmless; a missing one is not)."""
    try:
        with ledger.transaction() as c:
            used = c.execute(
                "SELECT 1 FROM returns WHERE stored_file = ? UNION ALL SELECT 1 FROM register_versions "
                "WHERE stored_file = ? LIMIT 1",
                (rel, rel),
            ).fetchone()
            if used is None:
                (ledger.dir / rel).unlink(missing_ok=True)
    except Exception:  # noqa: BLE001 (the import's own failure is what the PMO is told)
        import logging

        logging.getLogger(__name__).debug("could not tidy %s after a failed import", rel, exc_info=True)


def _read_checked(path: Path, sha: str) -> bytes | None:
    """The file's bytes, or None when they no longer hash to ``sha`` (changed since it was checked)."""
    data = Path(path).read_bytes()
    return data if hashlib.sha256(data).hexdigest() == sha else None


# --- the contract register ---------------------------------------------------------------------------


@dataclass
class RegisterImport:
    version: int
    contracts: int
    warnings: list = field(default_factory=list)  # K704/K705 findings
    already: bool = False
    sha256: str = ""


def _finding_dict(f) -> dict:
    if hasattr(f, "to_dict"):
        return f.to_dict()
    if isinstance(f, dict):
        return f
    import dataclasses

    if dataclasses.is_dataclass(f) and not isinstance(f, type):
        return dataclasses.asdict(f)
    return {"message": str(f)}


def import_register(ledger: Ledger, path: Path, refdata, settings) -> RegisterImport:
    """Import the contract register: contracts, targets, budget and milestones.

    The register is validated by ``contract.read_register`` (RegisterError names what is wrong) and
    checked for K704/K705 (``credits.register_warnings``); the warnings are stored with it and returned.
    Importing a different register makes it the current version; earlier versions are kept. Importing
    the current register again changes nothing.
    """
    from swtool.read.preflight import sha256_of
    from swtool.read.register import read_register

    path = Path(path)
    register = read_register(path, refdata)
    sha = sha256_of(path)
    current = ledger.conn.execute("SELECT id, sha256 FROM register_versions ORDER BY id DESC LIMIT 1").fetchone()
    if current and current[1] == sha:
        n = ledger.conn.execute("SELECT count(*) FROM contracts WHERE register_version = ?", (current[0],)).fetchone()
        stored = json.loads(
            ledger.conn.execute("SELECT warnings FROM register_versions WHERE id = ?", (current[0],)).fetchone()[0]
        )
        return RegisterImport(current[0], n[0], stored, True, sha)
    # plain JSON values, the same whether returned now or read back later
    warnings = json.loads(
        json.dumps([_finding_dict(w) for w in _register_warnings(register, refdata, settings)], default=str)
    )
    data = _read_checked(path, sha)
    if data is None:
        raise LedgerError(f"{path} changed while it was being imported; import it again")
    rel = _store(ledger, sha, data)
    with ledger.transaction() as c:
        current = c.execute("SELECT id, sha256, warnings FROM register_versions ORDER BY id DESC LIMIT 1").fetchone()
        if current and current[1] == sha:  # another process imported the same register meanwhile
            n = c.execute("SELECT count(*) FROM contracts WHERE register_version = ?", (current[0],)).fetchone()[0]
            return RegisterImport(current[0], n, json.loads(current[2]), True, sha)
        cur = c.execute(
            "INSERT INTO register_versions (sha256, source_name, stored_file, imported_at, imported_by, "
            "warnings) VALUES (?, ?, ?, ?, ?, ?)",
            (sha, _as_text(path.name), rel, utc_now(), who(), json.dumps(warnings)),
        )
        v = cur.lastrowid
        for cf in register.contracts.values():
            c.execute(
                "INSERT INTO contracts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    v,
                    cf.contract_id,
                    cf.provider,
                    cf.lot,
                    cf.start.isoformat(),
                    cf.end.isoformat(),
                    str(cf.annual_value),
                    None if cf.funding_paid is None else str(cf.funding_paid),
                ),
            )
            for t in cf.targets.values():
                c.execute(
                    "INSERT INTO targets VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (v, cf.contract_id, t.output, t.annual, *t.profile),
                )
            for i, b in enumerate(cf.budget):
                c.execute(
                    "INSERT INTO budget_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (v, cf.contract_id, i, b.financial_year, b.quarter, b.category, b.item, str(b.amount)),
                )
            for i, (m, due) in enumerate(cf.milestones):
                c.execute(
                    "INSERT INTO contract_milestones VALUES (?, ?, ?, ?, ?)",
                    (v, cf.contract_id, i, m, due.isoformat() if due else None),
                )
    return RegisterImport(v, len(register.contracts), warnings, False, sha)


def _register_warnings(register, refdata, settings) -> list:
    from swtool.calc.register_limits import register_warnings

    return list(register_warnings(register, refdata, settings))


def register_version(ledger: Ledger) -> int | None:
    row = ledger.conn.execute("SELECT max(id) FROM register_versions").fetchone()
    return row[0]


def current_register(ledger: Ledger, version: int | None = None):
    """The register in force (or ``version``) as a ``contract.Register``; None before the first import."""
    from swtool.read.register import BudgetLine, ContractFacts, Register, Target

    c = ledger.conn
    version = version or register_version(ledger)
    if version is None:
        return None
    name = c.execute("SELECT source_name FROM register_versions WHERE id = ?", (version,)).fetchone()[0]
    contracts: dict[str, ContractFacts] = {}
    for cid, provider, lot, start, end, value, paid in c.execute(
        "SELECT contract_id, provider, lot, start_date, end_date, annual_value, funding_paid FROM contracts "
        "WHERE register_version = ? ORDER BY contract_id",
        (version,),
    ):
        contracts[cid] = ContractFacts(
            cid,
            provider,
            lot,
            date.fromisoformat(start),
            date.fromisoformat(end),
            Decimal(value),
            None if paid is None else Decimal(paid),
        )
    for cid, output, annual, *profile in c.execute(
        "SELECT contract_id, output, annual, q1, q2, q3, q4 FROM targets WHERE register_version = ? ORDER BY rowid",
        (version,),
    ):
        contracts[cid].targets[output] = Target(output, annual, tuple(profile))
    for cid, fy, q, cat, item, amount in c.execute(
        "SELECT contract_id, financial_year, quarter, category, item, amount FROM budget_lines "
        "WHERE register_version = ? ORDER BY contract_id, seq",
        (version,),
    ):
        contracts[cid].budget.append(BudgetLine(fy, q, cat, item, Decimal(amount)))
    for cid, m, due in c.execute(
        "SELECT contract_id, milestone, due_date FROM contract_milestones "
        "WHERE register_version = ? ORDER BY contract_id, seq",
        (version,),
    ):
        contracts[cid].milestones.append((m, date.fromisoformat(due) if due else None))
    return Register(Path(name), contracts)


# --- returns -------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What ``import_returns`` did with one file."""

    path: Path
    status: str  # imported | already | unreadable | unidentified | changed
    sha256: str | None = None
    return_id: int | None = None
    contract: str | None = None
    quarter: str | None = None
    version: int | None = None
    errors: int = 0
    warnings: int = 0
    message: str = ""
    receipt: str | None = None  # matches | different file | unreadable

    def line(self) -> str:
        """One line for the PMO: what happened to the file."""
        counts = f"{self.errors} error{'s' * (self.errors != 1)}, {self.warnings} warning{'s' * (self.warnings != 1)}"
        what = f"{self.contract} {self.quarter}"
        if self.status == "imported":
            text = f"imported as version {self.version} of {what} (return {self.return_id}): {counts}"
            if self.receipt:
                text += {
                    "matches": "; provider's receipt noted",
                    "different file": "; the receipt beside it is for a different file",
                    "unreadable": "; the receipt beside it could not be read",
                }[self.receipt]
            return text
        if self.status == "already" and self.return_id is None:
            return f"{self.message}; nothing changed"
        if self.status == "already":
            return f"already imported as version {self.version} of {what} (return {self.return_id}); nothing changed"
        if self.status == "unreadable":
            return f"unreadable, recorded as received: {self.message}"
        if self.status == "unidentified":
            return f"not imported, recorded as received: {self.message} ({counts})"
        return f"not imported: {self.message}"


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def _int(v) -> int | None:
    f = _num(v)
    return None if f is None else int(f)


def _money_text(v) -> str | None:
    from swtool.read.register import money

    m = money(v) if _num(v) is not None else None
    return None if m is None else str(m)


def _peek(path: Path, refdata, limits) -> tuple[str | None, str | None, date | None]:
    """The contract, quarter and date submitted from the cover alone (the Return sheet), to order the
    files and find each one's history before the full check. Raises Unreadable."""
    from swtool.model import standard as std
    from swtool.model.quarter import Quarter
    from swtool.read.tables import Sink, type_labels
    from swtool.read.workbook import read

    raw = read(path, wanted={std.RETURN.name.casefold()}, limits=limits)
    name = next((n for n in raw.sheets if std.normalise_label(n) == std.normalise_label(std.RETURN.name)), None)
    if name is None:
        return None, None, None
    cover = type_labels(raw.sheets[name], std.RETURN, refdata, Sink())
    q = None
    fy, qn = cover.get("Financial year"), cover.get("Quarter")
    if fy and qn:
        try:
            q = str(Quarter.from_parts(str(fy), str(qn)))
        except ValueError:
            q = None
    return cover.get("Contract ID"), q, cover.get("Date submitted")


class _History:
    """Earlier returns of a contract from the ledger's store: the latest version of each earlier quarter,
    loaded once per run."""

    def __init__(self, ledger: Ledger, refdata, limits, size: int = 96):
        self.ledger, self.refdata, self.limits, self.size = ledger, refdata, limits, size
        self.cache: dict[str, object] = {}

    def remember(self, sha: str, sub) -> None:
        """A return just imported: the file stored is byte for byte the one checked, so its typed
        submission serves as history for the later quarters of the same run without reading it again."""
        if len(self.cache) >= self.size:
            self.cache.pop(next(iter(self.cache)))
        self.cache[sha] = sub

    def before(self, contract: str | None, quarter: str | None) -> list:
        from swtool.read.preflight import Unreadable
        from swtool.read.submission import load_submission

        if not contract or not quarter:
            return []
        out = []
        rows = [(r["sha256"], r["stored_file"]) for r in history_returns(self.ledger, contract, quarter, self.refdata)]
        for sha, rel in rows:
            sub = self.cache.get(sha)
            if sub is None:
                try:
                    sub = load_submission(self.ledger.dir / rel, self.refdata, self.limits)
                except (Unreadable, OSError):
                    continue  # cannot happen for a stored return; its absence shows as a missing quarter
                if len(self.cache) >= self.size:
                    self.cache.pop(next(iter(self.cache)))
                self.cache[sha] = sub
            out.append(sub)
        return out


def _existing(ledger: Ledger, sha: str, path: Path) -> ImportResult | None:
    c = ledger.conn
    row = c.execute(
        "SELECT id, contract_id, quarter, version, errors, warnings FROM returns WHERE sha256 = ?", (sha,)
    ).fetchone()
    if row:
        return ImportResult(path, "already", sha, row[0], row[1], row[2], row[3], row[4], row[5])
    row = c.execute("SELECT outcome, received_at, reason FROM received WHERE sha256 = ?", (sha,)).fetchone()
    if row:
        return ImportResult(path, "already", sha, message=f"already recorded as {row[0]} on {row[1][:10]}: {row[2]}")
    return None


def _read_receipt(path: Path, sha: str) -> tuple[str | None, str | None]:
    from swtool.write.receipt import receipt_path

    rp = receipt_path(path)
    if not rp.is_file():
        return None, None
    try:
        if rp.stat().st_size > 1_000_000:
            return "unreadable", None
        data = json.loads(rp.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            return "unreadable", None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return "unreadable", None
    return ("matches" if data.get("sha256") == sha else "different file"), json.dumps(data, ensure_ascii=False)


def import_returns(
    ledger: Ledger, paths: list[Path], refdata, settings, today: date, limits=None, force: bool = False
) -> list[ImportResult]:
    """Import quarterly returns (folders expanded as ``swtool check`` does), earliest quarter first.

    Each file is hashed: a file already in the ledger is a no-op that says which version it is. Any
    other file is checked by ``engine.run`` against the ledger's register, with the ledger's
    earlier quarters of the same contract (latest version of each) as history, then stored in one
    transaction: the file (content store), the return (its contract, quarter and version: a second
    file for the same contract and quarter is the next version), its findings and its records.
    Unreadable files (S001) and files without a contract and quarter are recorded as received only.

    Every file gets its result, whatever happens to another: one that cannot be read or checked is
    recorded as received (``unreadable``, with the reason); a pipe, a device or a link to one is
    ``refused`` unread (there is nothing to record); one whose write fails is ``failed`` (nothing
    recorded, so it can be imported again). The ledger's own store (``files/``) is never imported.
    A return whose quarter is not in the framework calendar or outside its contract's term is
    ``refused`` with the reason (nothing recorded) unless ``force``: such a return is most often a
    wrong cover, and once imported it would count and be history for the contract's later returns.
    """
    from swtool.engine import expand
    from swtool.errors import SwtoolError
    from swtool.read.preflight import Limits, NotRegularFile, sha256_of

    limits = limits or Limits()
    if register_version(ledger) is None:
        raise LedgerError(
            "the ledger has no contract register yet: run `swtool register import REGISTER.xlsx` "
            "first, so that returns are checked against it"
        )
    store_dir = ledger.files_dir.resolve()
    files = [
        p
        for p in expand([Path(p) for p in paths])
        if not (p.resolve() == store_dir or store_dir in p.resolve().parents)
    ]  # its own stored copies
    results: list[ImportResult] = []
    pending = []
    for p in files:
        try:
            sha = sha256_of(p)
        except NotRegularFile as e:  # never opened: a pipe would hang the import, a device never end
            results.append(ImportResult(p, "refused", message=f"it is not a regular file ({e.kind}) and was not read"))
            continue
        except OSError as e:
            results.append(ImportResult(p, "changed", message=f"cannot read {p}: {e.strerror or e}"))
            continue
        done = _existing(ledger, sha, p)
        if done:
            results.append(done)
            continue
        try:
            contract, quarter, submitted = _peek(p, refdata, limits)
        except Exception:  # noqa: BLE001 (unreadable, or worse: the check says why, in the provider's words)
            contract = quarter = submitted = None
        pending.append((contract or "", quarter or "", submitted or date.min, str(p), p, sha))
    history = _History(ledger, refdata, limits)
    for contract, quarter, _, _, p, sha in sorted(pending, key=lambda t: t[:4]):
        try:
            results.append(
                _import_one(ledger, p, sha, contract, quarter, history, refdata, settings, today, limits, force=force)
            )
        except SwtoolError as e:
            if not isinstance(e, LedgerError):
                raise  # the run cannot go on for any file (a wrong SWTOOL_LIMITS): the command stops, exit 2
            results.append(
                ImportResult(
                    p, "failed", sha, message=f"it could not be stored ({e}); nothing was recorded: import it again"
                )
            )
        except Exception as e:  # noqa: BLE001 (a failed write stops this file, never the batch)
            import logging

            logging.getLogger(__name__).debug("importing %s failed", p, exc_info=True)
            results.append(
                ImportResult(
                    p,
                    "failed",
                    sha,
                    message=f"it could not be stored ({type(e).__name__}: {e}); nothing was recorded: import it again",
                )
            )
    order = {str(p): i for i, p in enumerate(files)}
    return sorted(results, key=lambda r: order.get(str(r.path), len(order)))


def _history_shas(ledger: Ledger, contract: str | None, quarter: str | None, refdata=None) -> list[str]:
    return [r["sha256"] for r in history_returns(ledger, contract, quarter, refdata)]


def _import_one(
    ledger,
    path,
    sha,
    contract,
    quarter,
    history,
    refdata,
    settings,
    today,
    limits,
    attempts: int = 3,
    force: bool = False,
) -> ImportResult:
    """Check and store one file. The check and the write are separate steps (a check takes a while
    and must not hold the write lock), so the write verifies, under the lock, that the register and
    the history the check used are still those in force; if another process changed them meanwhile,
    the file is checked again."""
    from swtool import engine
    from swtool.checks.context import CheckContext

    created = False  # whether this import put the file in the store (and must not leave it there unused)
    for attempt in range(attempts):
        reg_version = register_version(ledger)
        register = current_register(ledger, reg_version)
        ctx = CheckContext(refdata, settings, today, register, [], True)
        # the history is that of the contract and quarter the cover gives, once read in full (not the quick look)
        done = next(engine.run([path], ctx, limits, history_for=history.before))
        report, sub = done.report, done.submission
        used = [h.sha256 for h in done.history]
        if report.sha256 != sha:
            return ImportResult(
                path, "changed", sha, message=f"{path} changed while it was being imported; import it again"
            )
        if sub is None or not sub.contract_id or sub.quarter is None:
            return _record_received(ledger, path, sha, report, sub)
        wrong = None if force else _outside(sub, register, refdata)
        if wrong:
            return ImportResult(
                path,
                "refused",
                sha,
                contract=sub.contract_id,
                quarter=str(sub.quarter),
                message=f"{wrong}; nothing was recorded. Check the Return sheet, or import it with "
                "--force if it really is that quarter's return",
            )
        data = _read_checked(path, sha)
        if data is None:
            return ImportResult(
                path, "changed", sha, message=f"{path} changed while it was being imported; import it again"
            )
        created = created or not (ledger.dir / _stored_name(sha)).exists()
        rel = _store(ledger, sha, data)
        receipt_status, receipt = _read_receipt(path, sha)
        try:
            result = _write_return(
                ledger,
                path,
                sha,
                sub,
                report,
                rel,
                len(data),
                receipt_status,
                receipt,
                settings,
                today,
                reg_version,
                used,
                last=attempt == attempts - 1,
            )
        except BaseException:
            if created:  # the transaction failed: no orphan in files/ (unless a row refers to it)
                _unstore(ledger, rel)
            raise
        if result is not None:
            if result.status == "imported":
                history.remember(sha, sub)
                _store(ledger, sha, data)  # present even if a failed import elsewhere removed it meanwhile
            elif created:  # another process recorded it first (as received, or as a return)
                _unstore(ledger, rel)
            return result
    raise AssertionError("unreachable: the last attempt always writes")  # pragma: no cover


def _outside(sub, register, refdata) -> str | None:
    """Why a return's quarter cannot be right: not in the framework calendar, or outside its contract's
    term in the register in force (a contract the register does not hold is D604's, and imported)."""
    from swtool.model.quarter import uk_date

    q = str(sub.quarter)
    if q not in refdata.deadlines:
        return f"{sub.contract_id} {q}: the quarter is not in the framework calendar (D601)"
    contract = register.contracts.get(sub.contract_id) if register is not None else None
    if contract is not None and not (contract.start <= sub.quarter.end and contract.end >= sub.quarter.start):
        return (
            f"{sub.contract_id} {q}: the quarter is outside the contract's term ({uk_date(contract.start)} to "
            f"{uk_date(contract.end)}) (D605)"
        )
    return None


def _record_received(ledger: Ledger, path: Path, sha: str, report, sub) -> ImportResult:
    """An unreadable file, or one without contract and quarter: recorded as received, not as a return."""
    counts = report.summary
    outcome = "unreadable" if sub is None else "unidentified"
    if sub is None:
        reason = report.findings[0].message if report.findings else "unreadable"
    else:
        missing = [
            w for w, v in (("Contract ID", sub.contract_id), ("Financial year and Quarter", sub.quarter)) if not v
        ]
        reason = f"the Return sheet gives no {' or '.join(missing)}"
    with ledger.transaction() as c:
        done = _existing(ledger, sha, path)
        if done:
            return done
        c.execute(
            "INSERT INTO received (sha256, source_name, source_path, size, received_at, received_by, "
            "outcome, reason, errors, warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sha,
                _as_text(path.name),
                _as_text(str(path.resolve())),
                _size(path),
                utc_now(),
                who(),
                outcome,
                reason,
                counts["error"],
                counts["warning"],
            ),
        )
    return ImportResult(path, outcome, sha, message=reason, errors=counts["error"], warnings=counts["warning"])


def _write_return(
    ledger, path, sha, sub, report, rel, size, receipt_status, receipt, settings, today, reg_version, used, last
) -> ImportResult | None:
    """The one transaction of an import. None (nothing written) when the check is stale and may be redone."""
    from swtool import __version__, catalogue

    counts = report.summary
    q = str(sub.quarter)
    with ledger.transaction() as c:
        done = _existing(ledger, sha, path)  # another process may have imported it meanwhile
        if done:
            return done
        if not last and (register_version(ledger) != reg_version or _history_shas(ledger, sub.contract_id, q) != used):
            return None
        version = c.execute(
            "SELECT coalesce(max(version), 0) + 1 FROM returns WHERE contract_id = ? AND quarter = ?",
            (sub.contract_id, q),
        ).fetchone()[0]
        cur = c.execute(
            "INSERT INTO returns (sha256, contract_id, quarter, version, provider, lot, date_submitted, source_name, "
            "source_path, size, stored_file, imported_at, imported_by, register_version, settings, ruleset_version, "
            "tool_version, checked_today, errors, warnings, infos, receipt_status, receipt) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sha,
                sub.contract_id,
                q,
                version,
                sub.provider,
                sub.lot,
                _day(sub.date_submitted),
                _as_text(path.name),
                _as_text(str(path.resolve())),
                size,
                rel,
                utc_now(),
                who(),
                reg_version,
                json.dumps(dict(settings), sort_keys=True, default=str),
                catalogue.ruleset_version(),
                __version__,
                today.isoformat(),
                counts["error"],
                counts["warning"],
                counts["info"],
                receipt_status,
                receipt,
            ),
        )
        rid = cur.lastrowid
        _insert_findings(c, rid, report.findings, sub=sub)
        _insert_records(c, rid, sub, report.findings)
        from swtool.ledger.spend import keep  # what the review's contract screen shows, so it reads no workbook

        keep(c, rid, sub)
    return ImportResult(
        path,
        "imported",
        sha,
        rid,
        sub.contract_id,
        q,
        version,
        counts["error"],
        counts["warning"],
        receipt=receipt_status,
    )


def _as_text(name: str) -> str:
    """A file name as the ledger keeps it: UTF-8 text, a byte that is not valid UTF-8 (Python keeps it as
    a lone surrogate, which SQLite refuses) shown as U+FFFD, as a file manager shows it."""
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return name.encode("utf-8", "replace").decode("utf-8")


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _insert_findings(c, rid: int, findings, recheck: int = 0, sub=None) -> None:
    """A check's findings of return ``rid``; a re-check's (``recheck`` ≥ 1) follow the earlier ones' seq.
    Stored as ``redact.for_ledger`` makes them: messages redacted as ``check --redact`` does (``sub``,
    the typed return, gives each row's personal values), a value only when it is not personal."""
    from swtool.findings import plain_value
    from swtool.report.redact import for_ledger

    findings = for_ledger(findings, sub)
    first = c.execute("SELECT coalesce(max(seq) + 1, 0) FROM findings WHERE return_id = ?", (rid,)).fetchone()[0]
    c.executemany(
        "INSERT INTO findings (return_id, seq, code, slug, severity, sheet, row, col, header, cell, message, value, "
        "spec, recheck) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                rid,
                first + i,
                f.code,
                f.slug,
                f.severity,
                f.sheet,
                f.row,
                f.column,
                f.header,
                f.cell or NO_CELL,
                f.message,
                None if f.value is None else json.dumps(plain_value(f.value), ensure_ascii=False, default=str),
                f.spec,
                recheck,
            )
            for i, f in enumerate(findings)
        ],
    )


def _row_errors(findings) -> dict[tuple[str, int], set[str]]:
    out: dict[tuple[str, int], set[str]] = defaultdict(set)
    for f in findings:
        if f.severity == "error" and f.sheet and f.row is not None:
            out[(f.sheet, int(f.row))].add(f.code)
    return out


def _validity(errors: dict, sheet: str, row: int) -> tuple[int, str | None]:
    codes = errors.get((sheet, row))
    if not codes:
        return 1, None
    return 0, "error finding" + "s" * (len(codes) > 1) + " on its row: " + ", ".join(sorted(codes))


def _insert_records(c, rid: int, sub, findings) -> None:
    from swtool.report.redact import kept_value

    errors = _row_errors(findings)

    def coded(t, r, header):  # a code of the standard's list; None for anything else typed in its place
        return _text(kept_value(t.spec.name, header, r.get(header)))

    t = sub.registrations
    if t.present and len(t):
        rows: list[tuple] = []
        for i, r in enumerate(t.df.to_dict("records")):
            row = int(t.rows[i])
            rows.append(
                (
                    rid,
                    row,
                    t.sheet,
                    _text(r.get("Client ref")),
                    _day(r.get("Registration date")),
                    coded(t, r, "Registration type"),
                    coded(t, r, "Referral source"),
                    coded(t, r, "Eligibility criteria"),
                    coded(t, r, "Employment status"),
                    coded(t, r, "Residence basis"),
                    coded(t, r, "Gender"),
                    coded(t, r, "Ethnic group"),
                    coded(t, r, "Disability"),
                    _int(r.get("Age at registration")),
                    *_validity(errors, t.sheet, row),
                )
            )
        c.executemany(f"INSERT INTO registrations VALUES ({', '.join('?' * 16)})", rows)
    t = sub.claims
    if t.present and len(t):
        rows = []
        for i, r in enumerate(t.df.to_dict("records")):
            row = int(t.rows[i])
            rows.append(
                (
                    rid,
                    row,
                    t.sheet,
                    _text(r.get("Claim ref")),
                    _text(r.get("Client ref")),
                    coded(t, r, "Output"),
                    _day(r.get("Date achieved")),
                    _day(r.get("Start date")),
                    None,
                    _text(r.get("Shared with provider")),
                    _num(r.get("Support hours")),  # no employer
                    coded(t, r, "Progression type"),
                    coded(t, r, "Placement type"),
                    *_validity(errors, t.sheet, row),
                )
            )
        c.executemany("INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    t = sub.expenditure
    if t.present and len(t):
        rows = [
            (
                rid,
                int(t.rows[i]),
                coded(t, r, "Category"),
                _text(r.get("Budget item")),
                _money_text(r.get("Budgeted amount")),
                _money_text(r.get("Actual spend")),
                _money_text(r.get("Match funding")),
            )
            for i, r in enumerate(t.df.to_dict("records"))
        ]
        c.executemany("INSERT INTO expenditure VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    from swtool.ledger.assurance import insert_transactions  # what spot checks of expenditure draw from

    insert_transactions(c, rid, sub)


# --- reading returns back ---------------------------------------------------------------------------

_RETURNS = (
    "SELECT r.*, (r.version = (SELECT max(version) FROM returns s WHERE s.contract_id = r.contract_id "
    "AND s.quarter = r.quarter)) AS latest, k.n AS rechecked, k.at AS rechecked_at, k.why AS recheck_why, "
    "k.errors AS k_errors, k.warnings AS k_warnings, k.infos AS k_infos FROM returns r "
    "LEFT JOIN rechecks k ON k.return_id = r.id AND k.n = (SELECT max(n) FROM rechecks WHERE return_id = r.id) "
    "WHERE 1 = 1"
)


def _current_counts(rows: list[dict]) -> list[dict]:
    """A return checked again shows the counts of its latest check (the import's stay in the table)."""
    for r in rows:
        errors, warnings, infos = r.pop("k_errors"), r.pop("k_warnings"), r.pop("k_infos")
        if r["rechecked"]:
            r["errors"], r["warnings"], r["infos"] = errors, warnings, infos
    return rows


def returns(ledger: Ledger, contract: str | None = None, quarter: str | None = None) -> list[dict]:
    """Every version of every return (filtered), oldest quarter first, with ``latest`` marked and the
    error, warning and info counts of its current check."""
    sql, args = _RETURNS, []
    if contract:
        sql += " AND r.contract_id = ?"
        args.append(contract)
    if quarter:
        sql += " AND r.quarter = ?"
        args.append(quarter)
    sql += " ORDER BY r.contract_id, r.quarter, r.version"
    return _current_counts(_dicts(ledger.conn.execute(sql, args)))


def received(ledger: Ledger) -> list[dict]:
    """Files offered to ``import`` that did not become a return (unreadable, or without a contract and
    quarter), oldest first, each with its ``outcome`` and ``reason``."""
    return _dicts(ledger.conn.execute("SELECT * FROM received ORDER BY id"))


def get_return(ledger: Ledger, return_id: int) -> dict:
    return_id = record_id(return_id, "return", "`swtool returns`")
    rows = _current_counts(_dicts(ledger.conn.execute(_RETURNS + " AND r.id = ?", (return_id,))))
    if not rows:
        raise LedgerError(f"no return {return_id} in the ledger; `swtool returns` lists them")
    return rows[0]


def findings_of(ledger: Ledger, return_id: int) -> list[dict]:
    """A return's findings, each with the decision in force on it (``decision``: action or None)."""
    get_return(ledger, return_id)
    rows = _dicts(
        ledger.conn.execute(
            "SELECT f.*, d.action AS decision, d.reason AS decision_reason, d.who AS decided_by, d.at AS decided_at, "
            "d.detail AS decision_detail "
            "FROM current_findings f LEFT JOIN latest_decisions d "
            "ON d.target = 'finding:' || f.return_id || ':' || f.code || ':' || f.cell "
            "WHERE f.return_id = ? ORDER BY f.seq",
            (return_id,),
        )
    )
    return rows


def stored_path(ledger: Ledger, return_id: int) -> Path:
    """Where the ledger keeps the return's workbook (read-only)."""
    return ledger.dir / get_return(ledger, return_id)["stored_file"]


def _dicts(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# --- which version counts, and what counts in it -----------------------------------------------------

# Registration errors that make a client ineligible (RULES.md, "Calculations"): a claim of a client
# whose registration has one of these standing is never paid for, wherever that registration was returned.
# ELIGIBILITY_CODES and the rule itself live in swtool.calc.counting, which a provider's check shares.

# the errors in force on a row: found by the return's current check and not waived by the PMO
_STANDING_ERRORS = """
    SELECT f.return_id, f.sheet, f.row, f.code FROM current_findings f LEFT JOIN latest_decisions d
        ON d.target = 'finding:' || f.return_id || ':' || f.code || ':' || f.cell
    WHERE f.severity = 'error' AND f.row IS NOT NULL AND coalesce(d.action, '') != 'waive'
      AND f.return_id IN ({ids})"""


def timeliness(date_submitted: str | date | None, deadline) -> str:
    """A version's own timeliness from its own Date submitted (App 2 §1.2): on time | late | after final
    deadline | no date submitted | no deadline in the calendar."""
    if isinstance(date_submitted, str):
        date_submitted = date.fromisoformat(date_submitted)
    if date_submitted is None:
        return "no date submitted"
    if deadline is None:
        return "no deadline in the calendar"
    if date_submitted <= deadline.reporting:
        return "on time"
    if date_submitted <= deadline.final:
        return "late"
    return "after final deadline"


def _deadlines(refdata=None) -> dict:
    return (refdata or _default_refdata()).deadlines


@lru_cache(maxsize=1)
def _default_refdata():
    from swtool.model.refdata import RefData

    return RefData()


def history_returns(ledger: Ledger, contract: str | None, quarter: str | None, refdata=None) -> list[dict]:
    """What a return of ``contract`` for ``quarter`` is checked against: the counted version of each earlier
    quarter of the same contract (a voided return is nobody's history), oldest first."""
    if not contract or not quarter:
        return []
    counted = counted_returns(ledger, refdata, contract)
    return [counted[q] for q in sorted(counted) if q < quarter]


def return_decisions(ledger: Ledger) -> dict[int, dict[str, dict]]:
    """return id -> {"void" | "late" | "approval": the PMO's decision in force}."""
    out: dict[int, dict[str, dict]] = defaultdict(dict)
    for d in _dicts(ledger.conn.execute("SELECT * FROM latest_decisions WHERE kind = 'return' ORDER BY id")):
        out[d["return_id"]][d["target"].rsplit(":", 1)[1]] = d
    return out


def versions(ledger: Ledger, refdata=None, contract: str | None = None, quarter: str | None = None) -> list[dict]:
    """Every version of every return (filtered), oldest first, each with its own ``timeliness``,
    ``voided``, ``late_exception``, ``approval`` (approved | held | None) and ``counted``: the one version
    per contract and quarter whose figures count (RULES.md, "Which version of a return counts"):
    the latest version, not voided, submitted on or before the quarter's final deadline, or after it
    with the PMO's exception decision (``decide return ID --count-late``)."""
    deadlines = _deadlines(refdata)
    decided = return_decisions(ledger)
    rows = returns(ledger, contract, quarter)
    best: dict[tuple[str, str], dict] = {}
    for r in rows:
        d = decided.get(r["id"], {})
        r["timeliness"] = timeliness(r["date_submitted"], deadlines.get(r["quarter"]))
        r["voided"] = "void" in d
        r["late_exception"] = "late" in d
        approval = d.get("approval")
        r["approval"] = None if approval is None else {"approve": "approved", "hold": "held"}[approval["action"]]
        r["counted"] = False
        if not r["voided"] and (r["timeliness"] != "after final deadline" or r["late_exception"]):
            best[(r["contract_id"], r["quarter"])] = r  # rows are in version order: the last one wins
    for r in best.values():
        r["counted"] = True
    return rows


def counted_returns(
    ledger: Ledger, refdata=None, contract: str | None = None, up_to: str | None = None
) -> dict:  # keyed by quarter, or by (contract, quarter): the key's type follows ``contract``
    """quarter -> the counted version of ``contract``'s return (all contracts: keyed by (contract, quarter))."""
    out: dict = {}
    for r in versions(ledger, refdata, contract):
        if r["counted"] and (up_to is None or r["quarter"] <= up_to):
            out[r["quarter"] if contract else (r["contract_id"], r["quarter"])] = r
    return out


@dataclass
class ClaimStanding:
    """One claim row of a counted return, and whether it counts towards the contract's outputs."""

    return_id: int
    quarter: str
    sheet: str
    row: int
    claim_ref: str | None
    client_ref: str | None
    output: str | None
    date_achieved: str | None
    start_date: str | None
    shared_with: str | None
    counts: bool
    why: str | None  # why not: "error C201 on its row" | "the client's registration … has R102 …"

    @property
    def cell(self) -> str:
        return f"{self.sheet}!A{self.row}"


def _standing(ledger: Ledger, ids: list[int]) -> dict[tuple[int, str, int], set[str]]:
    out: dict[tuple[int, str, int], set[str]] = defaultdict(set)
    if ids:
        sql = _STANDING_ERRORS.format(ids=", ".join("?" * len(ids)))
        for rid, sheet, row, code in ledger.conn.execute(sql, ids):
            out[(rid, sheet, int(row))].add(code)
    return out


def claim_standings(
    ledger: Ledger, contract: str, refdata=None, up_to: str | None = None, counted: dict | None = None
) -> list[ClaimStanding]:
    """Every claim of ``contract``'s counted returns up to ``up_to``, each saying whether it counts: no
    standing error on its row, and none of ``ELIGIBILITY_CODES`` standing on its client's registration
    (the latest registration of that client with this contract on or before the date achieved, else
    the earliest, in any counted return of the contract), and no failed spot check in force on it
    (``assurance.failed_claims``). ``counted``: the contract's ``counted_returns`` when the caller has
    them already."""
    counted = counted if counted is not None else counted_returns(ledger, refdata, contract)
    ids = [r["id"] for r in counted.values()]
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    errors = _standing(ledger, ids)
    regs: dict[str, list[Registration]] = defaultdict(list)
    for rid, q, sheet, row, client, day in ledger.conn.execute(
        f"SELECT x.return_id, r.quarter, x.sheet, x.row, x.client_ref, x.registration_date FROM registrations x "
        f"JOIN returns r ON r.id = x.return_id WHERE x.return_id IN ({marks}) AND x.client_ref IS NOT NULL",
        ids,
    ):
        regs[client.casefold()].append(
            Registration(day or "", rid, row, f"{sheet}!A{row} ({q})", frozenset(errors.get((rid, sheet, row), ())))
        )
    from swtool.ledger.assurance import claim_key, failed_claims

    failed = failed_claims(ledger, contract)  # a failed spot check in force: the claim does not count either
    out = []
    for rid, q, sheet, row, ref, client, output, achieved, start, shared in ledger.conn.execute(
        f"SELECT x.return_id, r.quarter, x.sheet, x.row, x.claim_ref, x.client_ref, x.output, x.date_achieved, "
        f"x.start_date, x.shared_with FROM claims x JOIN returns r ON r.id = x.return_id "
        f"WHERE x.return_id IN ({marks}) ORDER BY r.quarter, x.row",
        ids,
    ):
        if up_to is not None and q > up_to:
            continue
        reg = registration_for(regs.get(client.casefold(), ()), achieved) if client else None
        why = why_not_counted(errors.get((rid, sheet, row)), reg) or failed.get((q, claim_key(ref, rid, row)))
        out.append(ClaimStanding(rid, q, sheet, row, ref, client, output, achieved, start, shared, why is None, why))
    return out


def registration_rows(
    ledger: Ledger, contract: str, refdata=None, up_to: str | None = None, counted: dict | None = None
) -> list[dict]:
    """The registrations of ``contract``'s counted returns up to ``up_to`` (oldest quarter first), each with
    ``counts``: no error standing on its row."""
    counted = counted if counted is not None else counted_returns(ledger, refdata, contract)
    counted = {q: r for q, r in counted.items() if up_to is None or q <= up_to}
    ids = [r["id"] for r in counted.values()]
    if not ids:
        return []
    errors = _standing(ledger, ids)
    rows = _dicts(
        ledger.conn.execute(
            f"SELECT x.*, r.quarter FROM registrations x JOIN returns r ON r.id = x.return_id "
            f"WHERE x.return_id IN ({', '.join('?' * len(ids))}) ORDER BY r.quarter, x.row",
            ids,
        )
    )
    for x in rows:
        x["counts"] = not errors.get((x["return_id"], x["sheet"], int(x["row"])))
    return rows


def actuals(ledger: Ledger, contract: str, up_to: str | None = None, refdata=None) -> dict:
    """Outputs achieved per quarter from the counted version of each quarter's return:
    ``{Quarter: {"1": registrations, "2a": …, "2": 2a + 2b, …}}``. Only what counts is counted
    (``claim_standings``; a registration counts when no error on its row is standing)."""
    from swtool.model.quarter import Quarter

    every = counted_returns(ledger, refdata, contract)  # once: the standings need every quarter's
    counted = {q: r for q, r in every.items() if up_to is None or q <= up_to}
    per_return: dict[int, dict[str, int]] = {r["id"]: {} for r in counted.values()}
    for c in claim_standings(ledger, contract, refdata, up_to, every):
        if c.counts and c.output:
            per_return[c.return_id][c.output] = per_return[c.return_id].get(c.output, 0) + 1
    registered: dict[int, int] = defaultdict(int)
    for x in registration_rows(ledger, contract, refdata, up_to, every):
        registered[x["return_id"]] += x["counts"]
    out: dict = {}
    for q, r in sorted(counted.items()):
        counts = per_return[r["id"]]
        counts["2"] = counts.get("2a", 0) + counts.get("2b", 0)
        counts["1"] = registered[r["id"]]
        try:
            out[Quarter.parse(q)] = counts
        except ValueError:
            continue
    return out


def shared_claims(ledger: Ledger, contract: str, up_to: str, refdata=None) -> list[tuple[str, str | None]]:
    """``(output, shared_with)`` of the job and apprenticeship starts (2a, 2b) that count, from the
    counted version of each of the contract's returns up to ``up_to``: what K703 weighs."""
    return [
        (c.output, c.shared_with)
        for c in claim_standings(ledger, contract, refdata, up_to)
        if c.counts and c.output in ("2a", "2b")
    ]


# --- decisions -------------------------------------------------------------------------------------


@dataclass
class Decision:
    id: int
    at: str
    who: str
    kind: str
    target: str
    action: str
    reason: str
    dated: str | None = None  # the day the PMO dated it (--today), when not the day it was recorded

    @property
    def when(self) -> str:
        """As the commands show it: ``2026-11-29T17:48:08Z``, or ``dated 2026-11-23; recorded
        2026-11-29T17:48:08Z`` when the decision was dated another day."""
        recorded = f"{self.at[:19]}Z"
        return f"dated {self.dated}; recorded {recorded}" if self.dated and self.dated != self.at[:10] else recorded


def dated(row: dict) -> str | None:
    """The day a decision or plan was dated (``--today``, the review's day) from its ``detail``; None when it
    was not dated apart from when it was recorded (``at``, ``created_at``, which stay the clock's)."""
    try:
        detail = json.loads(row.get("detail") or "null")
    except ValueError:
        return None
    return detail.get("dated") if isinstance(detail, dict) else None


def _dated(detail: dict | None, day: date | None) -> dict | None:
    if day is None:
        return detail
    if not isinstance(day, date):
        raise LedgerError(f"a decision is dated with a date, not {day!r}")
    return {**(detail or {}), "dated": day.isoformat()}


SQLITE_MAX_ID = 2**63 - 1  # the largest whole number SQLite stores


def record_id(value, what: str, listing: str) -> int:
    """``value`` as the id of a recorded row (a return, a plan): a whole number SQLite can hold, else
    LedgerError naming ``what`` and the command that lists them (never an OverflowError)."""
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise LedgerError(f"{what} {value!r} is not a number; {listing} lists them") from None
    if not 1 <= value <= SQLITE_MAX_ID:
        raise LedgerError(f"no {what} {value} in the ledger; {listing} lists them")
    return value


def ledger_quarter(quarter, refdata=None):
    """``quarter`` (text or Quarter) as a Quarter of the framework's calendar (the quarters with
    reporting deadlines), else LedgerError: nothing is recorded for a quarter such as 9999/00-Q1."""
    from swtool.model.quarter import Quarter

    if isinstance(quarter, Quarter):
        q = quarter
    else:
        try:
            q = Quarter.parse(str(quarter))
        except ValueError as e:
            raise LedgerError(str(e)) from None
    calendar = _deadlines(refdata)
    if str(q) not in calendar:
        known = sorted(calendar)
        span = f" ({known[0]} to {known[-1]})" if known else ""
        shown = q if isinstance(quarter, Quarter) else str(quarter).strip()
        raise LedgerError(f"{shown} is not a quarter of the Southwark Works calendar{span}")
    return q


def _named(value, what: str) -> str:
    if value is None or not str(value).strip():
        raise LedgerError(f"a decision needs {what}")
    return str(value).strip()


def _reason(reason: str | None) -> str:
    if reason is None or not str(reason).strip():
        raise LedgerError("a decision needs a reason (--reason TEXT)")
    return str(reason).strip()


def _insert_decision(
    c, kind: str, target: str, action: str, reason: str, detail: dict | None = None, day: date | None = None, **keys
) -> Decision:
    """Append one decision to the log, chained to the one before it (``db.decision_hash``). Called
    inside a write transaction, so no other decision can come between reading the last hash and
    adding this one. ``day``: the date the PMO gives it (``--today``), kept in ``detail`` as ``dated``;
    ``at`` is always the clock's."""
    at, by = utc_now(), who()
    detail = _dated(detail, day)
    last = c.execute("SELECT id, hash FROM decisions ORDER BY id DESC LIMIT 1").fetchone()
    decision_id = (last[0] + 1) if last else 1
    row: dict[str, object] = {k: None for k in DECISION_COLUMNS}
    row.update(
        id=decision_id,
        at=at,
        who=by,
        kind=kind,
        target=target,
        action=action,
        reason=reason,
        detail=None if detail is None else json.dumps(detail, ensure_ascii=False, default=str),
        **keys,
    )
    prev = last[1] if last else None
    cols = [*DECISION_COLUMNS, "prev_hash", "hash"]
    values = [row[k] for k in DECISION_COLUMNS] + [prev, decision_hash(prev, row)]
    c.execute(f"INSERT INTO decisions ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", values)
    return Decision(decision_id, at, by, kind, target, action, reason, day.isoformat() if day else None)


def decide_finding(
    ledger: Ledger, return_id: int, code: str, cell: str, action: str, reason: str, day: date | None = None
) -> Decision:
    """Record the PMO's decision on a finding of a return: accept (it stands), query (asked of the
    provider) or waive (set aside: a claim it was the only error on counts again). ``day``: the date the
    PMO gives it, when not today (``--today``)."""
    return_id = record_id(return_id, "return", "`swtool returns`")
    if action not in FINDING_ACTIONS:
        raise LedgerError(f"a finding is decided with one of {', '.join(FINDING_ACTIONS)}, not {action!r}")
    reason = _reason(reason)
    code = _named(code, "the finding's code").upper()
    cell = (cell or NO_CELL).strip() or NO_CELL
    with ledger.transaction() as c:
        ret = c.execute("SELECT contract_id, quarter, version FROM returns WHERE id = ?", (return_id,)).fetchone()
        if ret is None:
            raise LedgerError(f"no return {return_id} in the ledger; `swtool returns` lists them")
        found = c.execute(
            "SELECT DISTINCT cell, severity FROM current_findings WHERE return_id = ? AND code = ? "
            "AND lower(cell) = lower(?)",
            (return_id, code, cell),
        ).fetchall()
        if not found:
            cells = [
                r[0]
                for r in c.execute(
                    "SELECT DISTINCT cell FROM current_findings WHERE return_id = ? AND code = ? ORDER BY seq LIMIT 8",
                    (return_id, code),
                )
            ]
            hint = f" (its {code} findings are at: {', '.join(cells)})" if cells else f" (it has no {code} finding)"
            raise LedgerError(
                f"return {return_id} ({ret[0]} {ret[1]} version {ret[2]}) has no {code} finding at "
                f"{cell}{hint}; use {NO_CELL} for a finding about the whole return"
            )
        cell = found[0][0]
        return _insert_decision(
            c,
            "finding",
            finding_target(return_id, code, cell),
            action,
            reason,
            {"severity": found[0][1]},
            day,
            return_id=return_id,
            code=code,
            cell=cell,
        )


def decide_credit(
    ledger: Ledger,
    contract: str,
    quarter: str,
    output: str,
    action: str,
    reason: str,
    detail: dict | None = None,
    day: date | None = None,
) -> Decision:
    """Record the PMO's decision to apply or waive the service credits of one core output and quarter.

    ``detail`` holds the figures the PMO saw (the credit line), kept with the decision.
    """
    contract, output = _named(contract, "a contract"), _named(output, "an output")
    quarter = str(ledger_quarter(quarter))
    if action not in CREDIT_ACTIONS:
        raise LedgerError(f"service credits are decided with one of {', '.join(CREDIT_ACTIONS)}, not {action!r}")
    reason = _reason(reason)
    with ledger.transaction() as c:
        return _insert_decision(
            c,
            "credit",
            credit_target(contract, quarter, str(output)),
            action,
            reason,
            detail,
            day,
            contract_id=contract,
            quarter=quarter,
            output=str(output),
        )


RETURN_ACTIONS = ("void", "count-late", "approve", "hold")
_RETURN_TARGET = {"void": "void", "count-late": "late", "approve": "approval", "hold": "approval"}


def return_target(return_id: int, action: str) -> str:
    """``return:7:void``, ``return:7:late``, ``return:7:approval`` (approve and hold replace each other)."""
    return f"return:{return_id}:{_RETURN_TARGET[action]}"


def decide_return(
    ledger: Ledger, return_id: int, action: str, reason: str, refdata=None, day: date | None = None
) -> Decision:
    """Record the PMO's decision on a whole return version (RULES.md, "Calculations"):

    - ``void``: imported by mistake (wrong contract or quarter). It stays as a record but counts for
      nothing and is no longer history for any other return. Final: a voided version is never revived.
    - ``count-late``: the exception that lets a version submitted after the quarter's final deadline
      count (App 2 §1.2: no changes are accepted after it otherwise).
    - ``approve`` / ``hold``: the PMO's sign-off of the counted version for payment (App 2 §1.1: the
      review comes before any claim is processed), or holding it back; the latest one is in force.
    """
    if action not in RETURN_ACTIONS:
        raise LedgerError(f"a return is decided with one of {', '.join(RETURN_ACTIONS)}, not {action!r}")
    reason = _reason(reason)
    rows = {r["id"]: r for r in versions(ledger, refdata)}
    r = rows.get(return_id)
    if r is None:
        raise LedgerError(f"no return {return_id} in the ledger; `swtool returns` lists them")
    what = f"return {return_id} ({r['contract_id']} {r['quarter']} version {r['version']})"
    if r["voided"]:
        raise LedgerError(f"{what} is void; nothing more can be decided on it")
    if action == "count-late" and r["timeliness"] != "after final deadline":
        raise LedgerError(
            f"{what} was not submitted after the final deadline ({r['timeliness']}); it needs no exception to count"
        )
    if action == "count-late" and r["late_exception"]:
        raise LedgerError(f"{what} already counts by an exception decision")
    if action == "approve" and not r["counted"]:
        raise LedgerError(
            f"{what} is not the version that counts for {r['quarter']}"
            + (
                " (submitted after the final deadline: record `swtool decide return "
                f"{return_id} --count-late` first if it is to count)"
                if r["timeliness"] == "after final deadline"
                else ""
            )
            + "; approve the counted version"
        )
    detail = {
        k: r[k]
        for k in ("contract_id", "quarter", "version", "sha256", "date_submitted", "timeliness", "errors", "warnings")
    }
    with ledger.transaction() as c:
        # the same checks again under the write lock: another PMO may have decided meanwhile
        now = c.execute(
            "SELECT action FROM latest_decisions WHERE target = ?", (return_target(return_id, "void"),)
        ).fetchone()
        if now is not None:
            raise LedgerError(f"{what} is void; nothing more can be decided on it")
        return _insert_decision(
            c,
            "return",
            return_target(return_id, action),
            action,
            reason,
            detail,
            day,
            return_id=return_id,
            contract_id=r["contract_id"],
            quarter=r["quarter"],
        )


@dataclass
class Recheck:
    return_id: int
    contract: str
    quarter: str
    version: int
    before: tuple[int, int]  # errors, warnings of the check in force before
    after: tuple[int, int]


def recheck(ledger: Ledger, return_ids: list[int], refdata, why: str, limits=None) -> list[Recheck]:
    """Check stored returns again, each against the history now in force (after a void or a late
    exception changed which versions count), with the register version, settings and date of its
    import. The new findings become the return's current check (``current_findings``); the earlier
    ones stay in the ledger. Decisions on findings carry over by code and cell."""
    from swtool import engine
    from swtool.checks.context import CheckContext
    from swtool.ledger.retention import refuse_recheck
    from swtool.model.settings import Settings
    from swtool.read.preflight import Limits

    refuse_recheck(ledger, return_ids)  # a workbook a retention run removed cannot be checked again
    limits = limits or Limits()
    history = _History(ledger, refdata, limits)
    done: list[Recheck] = []
    for rid in return_ids:
        r = get_return(ledger, rid)
        used = history_returns(ledger, r["contract_id"], r["quarter"], refdata)
        ctx = CheckContext(
            refdata,
            Settings(json.loads(r["settings"])),
            date.fromisoformat(r["checked_today"]),
            current_register(ledger, r["register_version"]),
            history.before(r["contract_id"], r["quarter"]),
            True,
        )
        checked = next(engine.run([ledger.dir / r["stored_file"]], ctx, limits))
        report, sub = checked.report, checked.submission
        counts = report.summary
        with ledger.transaction() as c:
            n = c.execute("SELECT coalesce(max(n), 0) + 1 FROM rechecks WHERE return_id = ?", (rid,)).fetchone()[0]
            c.execute(
                "INSERT INTO rechecks (return_id, n, at, who, why, history, errors, warnings, infos) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rid,
                    n,
                    utc_now(),
                    who(),
                    why,
                    json.dumps([h["id"] for h in used]),
                    counts["error"],
                    counts["warning"],
                    counts["info"],
                ),
            )
            _insert_findings(c, rid, report.findings, n, sub=sub)
        done.append(
            Recheck(
                rid,
                r["contract_id"],
                r["quarter"],
                r["version"],
                (r["errors"], r["warnings"]),
                (counts["error"], counts["warning"]),
            )
        )
    return done


def void_return(
    ledger: Ledger, return_id: int, reason: str, refdata, limits=None, day: date | None = None
) -> tuple[Decision, list[Recheck]]:
    """Void a return version imported by mistake, then check again every later return of the same
    contract that could have leaned on it as history, so that their findings no longer do."""
    from swtool.ledger.retention import refuse_recheck_of_later  # a removed workbook cannot be checked again

    refuse_recheck_of_later(ledger, return_id, refdata)
    decision = decide_return(ledger, return_id, "void", reason, refdata, day)
    r = get_return(ledger, return_id)
    later = [
        v["id"] for v in versions(ledger, refdata, r["contract_id"]) if v["quarter"] > r["quarter"] and not v["voided"]
    ]
    return decision, recheck(ledger, later, refdata, f"return {return_id} voided: {decision.reason}", limits)


def count_late(
    ledger: Ledger, return_id: int, reason: str, refdata, limits=None, day: date | None = None
) -> tuple[Decision, list[Recheck]]:
    """Let a version submitted after the final deadline count (the PMO's exception), then check the
    contract's later returns again: their history is now this version."""
    from swtool.ledger.retention import refuse_recheck_of_later  # a removed workbook cannot be checked again

    refuse_recheck_of_later(ledger, return_id, refdata)
    decision = decide_return(ledger, return_id, "count-late", reason, refdata, day)
    r = get_return(ledger, return_id)
    later = [
        v["id"] for v in versions(ledger, refdata, r["contract_id"]) if v["quarter"] > r["quarter"] and not v["voided"]
    ]
    return decision, recheck(
        ledger, later, refdata, f"return {return_id} counts by exception: {decision.reason}", limits
    )


def decisions(ledger: Ledger, kind: str | None = None, latest: bool = False) -> list[dict]:
    """The decision log (oldest first), or with ``latest`` only the decision in force on each target."""
    table = "latest_decisions" if latest else "decisions"
    if kind:
        return _dicts(ledger.conn.execute(f"SELECT * FROM {table} WHERE kind = ? ORDER BY id", (kind,)))
    return _dicts(ledger.conn.execute(f"SELECT * FROM {table} ORDER BY id"))


def credit_decisions(ledger: Ledger, quarter: str) -> dict[tuple[str, str], dict]:
    """(contract, output) -> the decision in force on that quarter's credits."""
    rows = _dicts(
        ledger.conn.execute("SELECT * FROM latest_decisions WHERE kind = 'credit' AND quarter = ?", (quarter,))
    )
    return {(r["contract_id"], r["output"]): r for r in rows}


# --- remedial action plans ----------------------------------------------------------------------------


def create_rap(
    ledger: Ledger,
    contract: str,
    quarter: str,
    review_date: date,
    reason: str,
    document: str | None = None,
    detail: dict | None = None,
    day: date | None = None,
) -> int:
    """Record a remedial action plan and the decision that opened it; returns its id. ``day``: the date the
    plan is dated (``--today``), kept as ``dated`` in the plan's and the decision's detail."""
    contract = _named(contract, "a contract")
    quarter = str(ledger_quarter(quarter))
    if not isinstance(review_date, date):
        raise LedgerError(f"a plan's review date is a date, not {review_date!r}")
    reason = _reason(reason)
    with ledger.transaction() as c:
        cur = c.execute(
            "INSERT INTO raps (contract_id, quarter, review_date, created_at, created_by, document, "
            "detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                contract,
                quarter,
                review_date.isoformat(),
                utc_now(),
                who(),
                document,
                None
                if detail is None and day is None
                else json.dumps(_dated(detail, day), ensure_ascii=False, default=str),
            ),
        )
        rid = cur.lastrowid
        _insert_decision(
            c, "rap", rap_target(rid), "open", reason, None, day, rap_id=rid, contract_id=contract, quarter=quarter
        )
    return rid


def close_rap(ledger: Ledger, rap_id: int, reason: str, day: date | None = None) -> Decision:
    rap_id = record_id(rap_id, "remedial action plan", "`swtool rap list --all`")
    reason = _reason(reason)
    with ledger.transaction() as c:
        row = c.execute(
            "SELECT r.contract_id, r.quarter, d.action FROM raps r LEFT JOIN latest_decisions d "
            "ON d.target = 'rap:' || r.id WHERE r.id = ?",
            (rap_id,),
        ).fetchone()
        if row is None:
            raise LedgerError(f"no remedial action plan {rap_id}; `swtool rap list --all` lists them")
        if row[2] == "close":
            raise LedgerError(f"remedial action plan {rap_id} ({row[0]} {row[1]}) is already closed")
        return _insert_decision(
            c, "rap", rap_target(rap_id), "close", reason, None, day, rap_id=rap_id, contract_id=row[0], quarter=row[1]
        )


def raps(ledger: Ledger, today: date, include_closed: bool = False, contract: str | None = None) -> list[dict]:
    """Remedial action plans with ``status`` (open/closed), ``overdue`` (open, review date before today) and
    ``opened`` (the day the plan is dated: its ``--today``, else the day it was recorded)."""
    rows = _dicts(
        ledger.conn.execute(
            "SELECT r.*, d.action AS last_action, d.reason AS last_reason, d.at AS last_at, d.who AS last_by "
            "FROM raps r LEFT JOIN latest_decisions d ON d.target = 'rap:' || r.id ORDER BY r.id"
        )
    )
    out = []
    for r in rows:
        r["status"] = "closed" if r["last_action"] == "close" else "open"
        r["overdue"] = r["status"] == "open" and r["review_date"] < today.isoformat()
        r["opened"] = dated(r) or r["created_at"][:10]
        if (include_closed or r["status"] == "open") and (contract is None or r["contract_id"] == contract):
            out.append(r)
    return out
