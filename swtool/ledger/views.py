"""What the PMO sees: every contract's status for a quarter, and the service credits to decide.

The figures come from the ledger (the register in force, the latest version of each return, the
claims that count) and from the same calculations the rest of swtool uses (``swtool.calc``).
No personal data is shown: contracts, providers, outputs, counts, money and client refs only.

Money in the JSON form is text with two decimals (``"1540.00"``): exact, never a binary float.
Counts, targets, credits and percentages are JSON numbers (a target may be fractional, 5.25;
a percentage is rounded to 0.01; null when there is no target to measure against).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from swtool.calc.money import json_number, signed_pct
from swtool.ledger import store
from swtool.ledger.db import Ledger, LedgerError
from swtool.model.quarter import Quarter, uk_date
from swtool.model.settings import SEE_SETTINGS

# the output table is the provider's too (``swtool check`` shows it): one definition, in swtool.report.pmo_view
from swtool.report.pmo_view import OutputRow, output_rows, performance_flags

if TYPE_CHECKING:
    from swtool.calc.shared import SharedCap
    from swtool.model.refdata import Deadline
    from swtool.read.register import ContractFacts

CREDIT_SETTINGS = ("credit_quarters",)


def default_quarter(refdata, today: date) -> Quarter:
    """The quarter the PMO is most likely reviewing: the latest whose reporting deadline has passed
    by ``today`` (else the quarter before today's)."""
    passed = [Quarter.parse(k) for k, d in refdata.deadlines.items() if d.reporting <= today]
    return max(passed) if passed else Quarter.containing(today).previous()


def parse_quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except ValueError as e:
        raise LedgerError(str(e)) from None


def _register(ledger: Ledger):
    register = store.current_register(ledger)
    if register is None:
        raise LedgerError("the ledger has no contract register yet: run `swtool register import REGISTER.xlsx` first")
    return register


def in_term(contract, q: Quarter) -> bool:
    return contract.start <= q.end and contract.end >= q.start


# --- service credits ------------------------------------------------------------------------------


def credit_lines(ledger: Ledger, contract, q: Quarter, settings, refdata=None) -> list:
    """``credits.assess`` for one contract and quarter, on the outputs counted in the ledger."""
    from swtool.calc.credits import assess

    return assess(contract, q, store.actuals(ledger, contract.contract_id, str(q), refdata), settings)


def credit_status(line, decision: dict | None) -> str:
    """applied | waived (the PMO's decision in force), pending (due, not decided) or not due."""
    if decision is not None:
        return {"apply": "applied", "waive": "waived"}[decision["action"]]
    return "pending" if line.due else "not due"


def _money(x) -> str | None:
    from swtool.calc.money import pounds_text

    return pounds_text(x)


def _percent(x):
    from swtool.calc.money import as_decimal

    return json_number(as_decimal(x))


def line_detail(line) -> dict:
    """A credit line as kept with a decision: every figure the PMO saw, and the sentence."""
    return {
        "output": line.output,
        "target": json_number(line.target),
        "actual": line.actual,
        "percent": _percent(line.percent),
        "credit_value": _money(line.credit_value),
        "credits": json_number(line.credits),
        "amount": _money(line.amount),
        "due": line.due,
        "contract_quarter": line.contract_quarter,
        "reason": line.reason,
    }


@dataclass
class ContractCredits:
    contract: ContractFacts
    contract_quarter: int
    lines: list
    statuses: list[str]

    @property
    def due_amount(self) -> Decimal:
        pairs = zip(self.lines, self.statuses, strict=True)
        return sum((ln.amount for ln, s in pairs if ln.due and s != "waived"), Decimal(0))


@dataclass
class CreditReport:
    quarter: Quarter
    settings: dict
    contracts: list[ContractCredits] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON shape: ``{quarter, setting, contracts: [{contract, provider, lot, contract_quarter,
        outputs: [{output, target, actual, percent, credit_value, credits, amount, status}]}]}``."""
        return {
            "quarter": str(self.quarter),
            "setting": {k: self.settings.get(k) for k in CREDIT_SETTINGS},
            "contracts": [
                {
                    "contract": cc.contract.contract_id,
                    "provider": cc.contract.provider,
                    "lot": cc.contract.lot,
                    "contract_quarter": cc.contract_quarter,
                    "outputs": [
                        {
                            "output": ln.output,
                            "target": json_number(ln.target),
                            "actual": ln.actual,
                            "percent": _percent(ln.percent),
                            "credit_value": _money(ln.credit_value),
                            "credits": json_number(ln.credits),
                            "amount": _money(ln.amount),
                            "status": status,
                        }
                        for ln, status in zip(cc.lines, cc.statuses, strict=True)
                    ],
                }
                for cc in self.contracts
            ],
        }


def credit_report(ledger: Ledger, quarter: str | Quarter, settings, refdata=None) -> CreditReport:
    """Service credits of every contract in term in ``quarter``, with the PMO's decisions."""
    from swtool.calc.targets import contract_quarter

    q = quarter if isinstance(quarter, Quarter) else parse_quarter(quarter)
    register = _register(ledger)
    decided = store.credit_decisions(ledger, str(q))
    report = CreditReport(q, dict(settings))
    for c in register.contracts.values():
        if not in_term(c, q):
            continue
        lines = credit_lines(ledger, c, q, settings, refdata)
        statuses = [credit_status(ln, decided.get((c.contract_id, ln.output))) for ln in lines]
        report.contracts.append(ContractCredits(c, contract_quarter(c, q), lines, statuses))
    return report


def render_credits(report: CreditReport) -> str:
    from tabulate import tabulate

    from swtool.calc.money import gbp, num, pct

    out = [
        f"Service credits, {report.quarter}",
        "Settings: " + ", ".join(f"{k}={report.settings.get(k)}" for k in CREDIT_SETTINGS) + f" ({SEE_SETTINGS})",
        "",
    ]
    total_due = Decimal(0)
    for cc in report.contracts:
        c = cc.contract
        out.append(f"{c.contract_id} · {c.provider} · lot {c.lot} · contract quarter {cc.contract_quarter}")
        rows = [
            (
                ln.output,
                num(ln.target),
                "-" if ln.actual is None else ln.actual,
                pct(ln.percent),
                "-" if ln.credit_value is None else gbp(ln.credit_value),
                num(ln.credits),
                gbp(ln.amount),
                status,
            )
            for ln, status in zip(cc.lines, cc.statuses, strict=True)
        ]
        out.append(
            tabulate(
                rows,
                headers=["output", "target", "actual", "percent", "credit value", "credits", "amount", "status"],
                tablefmt="simple",
                disable_numparse=True,
            )
        )
        for ln in cc.lines:
            if ln.underperforming or ln.due:
                out.append(f"  {ln.reason}")
        total_due += cc.due_amount
        out.append("")
    pending = sum(1 for cc in report.contracts for s in cc.statuses if s == "pending")
    n = len(report.contracts)
    out.append(
        f"{n} contract{'s' * (n != 1)} in term; service credits due and not waived: {gbp(total_due)}; "
        f"{pending} decision{'s' * (pending != 1)} pending"
    )
    return "\n".join(out) + "\n"


# --- status ---------------------------------------------------------------------------------------


@dataclass
class ContractStatus:
    contract: ContractFacts
    in_term: bool
    received: str  # "version N" | "missing" | "not yet due" | "not in term"
    timeliness: str  # on time | late | after final deadline | no date | ""
    submitted: date | None
    return_id: int | None
    versions: int
    errors: int | None
    warnings: int | None
    lines: list  # credit lines (core outputs)
    statuses: list[str]
    raps: list[dict]
    contract_quarter: int | None = None
    approval: str | None = None  # approved | held | None (not reviewed): the counted version's sign-off
    not_counted: list[str] = field(default_factory=list)  # newer versions that do not count, and why

    @property
    def credits_due(self) -> Decimal:
        pairs = zip(self.lines, self.statuses, strict=True)
        return sum((ln.amount for ln, s in pairs if ln.due and s != "waived"), Decimal(0))

    @property
    def rap(self) -> str:
        open_ = [r for r in self.raps if r["status"] == "open"]
        if open_:
            r = open_[-1]
            review = uk_date(date.fromisoformat(r["review_date"]))
            return f"#{r['id']} overdue (review {review})" if r["overdue"] else f"#{r['id']} open (review {review})"
        closed = [r for r in self.raps if r["status"] == "closed"]  # the quarter's plan, closed: not needed again
        if closed:
            return f"#{closed[-1]['id']} closed"
        if any(ln.underperforming for ln in self.lines):
            return "needed"
        return "-"


@dataclass
class StatusReport:
    quarter: Quarter
    today: date
    deadline: Deadline | None
    settings: dict
    rows: list[ContractStatus]
    others: list[dict]  # returns for the quarter from contracts not in the register

    def to_dict(self) -> dict:
        """The JSON shape (docs/ledger.md): ``{quarter, today, deadline: {reporting, final}, setting, contracts:
        [{contract, provider, lot, in_term, contract_quarter, received, return_id, versions, timeliness,
        submitted, approval, errors, warnings, outputs: [{output, target, actual, percent, credits, amount,
        status}], credits_due, rap: {id, status, overdue, review_date} | null, rap_needed, not_counted}],
        others: [{return_id, contract, quarter}], credits_due}``; money as text with two decimals."""
        d = self.deadline
        return {
            "quarter": str(self.quarter),
            "today": self.today.isoformat(),
            "deadline": None if d is None else {"reporting": d.reporting.isoformat(), "final": d.final.isoformat()},
            "setting": {k: self.settings.get(k) for k in CREDIT_SETTINGS},
            "contracts": [_status_dict(s) for s in self.rows],
            "others": [
                {"return_id": r["id"], "contract": r["contract_id"], "quarter": r["quarter"]} for r in self.others
            ],
            "credits_due": _money(sum((s.credits_due for s in self.rows), Decimal(0))),
        }


def _status_dict(s: ContractStatus) -> dict:
    open_ = [r for r in s.raps if r["status"] == "open"]
    rap = open_[-1] if open_ else s.raps[-1] if s.raps else None  # else the quarter's plan, closed
    return {
        "contract": s.contract.contract_id,
        "provider": s.contract.provider,
        "lot": s.contract.lot,
        "in_term": s.in_term,
        "contract_quarter": s.contract_quarter,
        "received": s.received,
        "return_id": s.return_id,
        "versions": s.versions,
        "timeliness": s.timeliness or None,
        "submitted": s.submitted.isoformat() if s.submitted else None,
        "approval": s.approval,
        "errors": s.errors,
        "warnings": s.warnings,
        "outputs": [
            {
                "output": ln.output,
                "target": json_number(ln.target),
                "actual": ln.actual,
                "percent": _percent(ln.percent),
                "credits": json_number(ln.credits),
                "amount": _money(ln.amount),
                "status": status,
            }
            for ln, status in zip(s.lines, s.statuses, strict=True)
        ],
        "credits_due": _money(s.credits_due) if s.in_term else None,
        "rap": None
        if rap is None
        else {"id": rap["id"], "status": rap["status"], "overdue": rap["overdue"], "review_date": rap["review_date"]},
        "rap_needed": rap is None and any(ln.underperforming for ln in s.lines),
        "not_counted": list(s.not_counted),
    }


def status(ledger: Ledger, quarter: str | Quarter, today: date, refdata, settings) -> StatusReport:
    """Every contract of the register in force for ``quarter``: its return (latest version) against the
    deadline calendar, errors and warnings, core outputs, service credits and remedial action plans."""
    from swtool.calc.targets import contract_quarter

    q = quarter if isinstance(quarter, Quarter) else parse_quarter(quarter)
    register = _register(ledger)
    deadline = refdata.deadlines.get(str(q))
    decided = store.credit_decisions(ledger, str(q))
    by_contract: dict[str, list[dict]] = {}
    for r in store.versions(ledger, refdata, quarter=str(q)):
        by_contract.setdefault(r["contract_id"], []).append(r)
    all_raps = store.raps(ledger, today, include_closed=True)
    rows = []
    for c in register.contracts.values():
        versions = by_contract.get(c.contract_id, [])
        # open plans of any quarter, and the plans of this quarter that were closed
        raps = [
            r
            for r in all_raps
            if r["contract_id"] == c.contract_id and (r["status"] == "open" or r["quarter"] == str(q))
        ]
        if not in_term(c, q):
            rows.append(
                ContractStatus(c, False, "not in term", "", None, None, len(versions), None, None, [], [], raps)
            )
            continue
        lines = credit_lines(ledger, c, q, settings, refdata)
        statuses = [credit_status(ln, decided.get((c.contract_id, ln.output))) for ln in lines]
        if versions:
            counted = next((v for v in versions if v["counted"]), None)
            shown = counted or versions[-1]
            submitted = date.fromisoformat(shown["date_submitted"]) if shown["date_submitted"] else None
            received = f"version {shown['version']}" + ("" if counted else " (not counted)")
            newer = [v for v in versions if v["version"] > shown["version"]]
            rows.append(
                ContractStatus(
                    c,
                    True,
                    received,
                    shown["timeliness"],
                    submitted,
                    shown["id"],
                    len(versions),
                    shown["errors"],
                    shown["warnings"],
                    lines,
                    statuses,
                    raps,
                    contract_quarter(c, q),
                    shown["approval"],
                    [_version_note(v) for v in newer],
                )
            )
        else:
            due = deadline is not None and today > deadline.reporting
            rows.append(
                ContractStatus(
                    c,
                    True,
                    "missing" if due else "not yet due",
                    "",
                    None,
                    None,
                    0,
                    None,
                    None,
                    lines,
                    statuses,
                    raps,
                    contract_quarter(c, q),
                )
            )
    others = [r for cid, rs in by_contract.items() if cid not in register.contracts for r in rs[-1:]]
    return StatusReport(q, today, deadline, dict(settings), rows, others)


def _version_note(v: dict) -> str:
    """Why a version newer than the counted one does not count: ``version 2 (return 14) submitted
    30/10/2026, after final deadline, not counted``."""
    when = f"submitted {uk_date(date.fromisoformat(v['date_submitted']))}, " if v["date_submitted"] else ""
    why = "void" if v["voided"] else f"{v['timeliness']}, not counted"
    return f"version {v['version']} (return {v['id']}) {when}{why}"


def render_status(report: StatusReport, full: bool = False) -> str:
    """The status table; ``full``: each contract on one line (nothing wrapped)."""
    from tabulate import tabulate

    from swtool.calc.money import gbp, pct

    q, d = report.quarter, report.deadline
    head = f"Status of {q} returns on {uk_date(report.today)}"
    if d is not None:
        head += f" (reporting deadline {uk_date(d.reporting)}, final deadline {uk_date(d.final)})"
    else:
        head += " (this quarter is not in the deadline calendar)"
    out = [
        head,
        "Settings: " + ", ".join(f"{k}={report.settings.get(k)}" for k in CREDIT_SETTINGS) + f" ({SEE_SETTINGS})",
        "",
    ]
    rows = []
    for s in report.rows:
        c = s.contract
        received = s.received
        if s.submitted:
            received += f", {s.timeliness} ({uk_date(s.submitted)})"
        elif s.timeliness:
            received += f", {s.timeliness}"
        outputs = (
            "  ".join(
                f"{ln.output}: {ln.actual if ln.actual is not None else '-'}/{_short(ln.target)} {pct(ln.percent)}"
                for ln in s.lines
            )
            or "-"
        )
        due = "-"
        if s.lines:
            statuses = sorted(
                {st for ln, st in zip(s.lines, s.statuses, strict=True) if ln.due or st in ("applied", "waived")}
            )
            due = gbp(s.credits_due) + (f" ({', '.join(statuses)})" if statuses else "")
        rows.append(
            (
                c.contract_id,
                c.provider,
                c.lot,
                received,
                "-" if s.errors is None else s.errors,
                "-" if s.warnings is None else s.warnings,
                outputs,
                due,
                s.rap,
            )
        )
    out.append(
        tabulate(
            rows,
            headers=[
                "contract",
                "provider",
                "lot",
                "return",
                "errors",
                "warnings",
                "core outputs (actual/target)",
                "credits due",
                "RAP",
            ],
            tablefmt="simple",
            disable_numparse=True,
            maxcolwidths=None if full else [None, 24, None, 34, None, None, 30, None, None],
        )
    )
    counts: dict[str, int] = {}
    for s in report.rows:
        key = s.received if not s.received.startswith("version") else (s.timeliness or "received")
        counts[key] = counts.get(key, 0) + 1
    out.append("")
    n = len(report.rows)
    out.append(f"{n} contract{'s' * (n != 1)}: " + ", ".join(f"{c} {k}" for k, c in sorted(counts.items())))
    total_due = sum((s.credits_due for s in report.rows), Decimal(0))
    out.append(f"Service credits due and not waived: {gbp(total_due)} (details: swtool credits --quarter {q})")
    for s in report.rows:
        for note in s.not_counted:
            out.append(f"Note: {s.contract.contract_id} {note}")
    for r in report.others:
        out.append(f"Note: return {r['id']} is for {r['contract_id']}, which is not in the contract register in force")
    return "\n".join(out) + "\n"


def _short(x) -> str:
    from swtool.calc.money import num

    return num(x)


# --- the returns in the ledger: `swtool returns --format json` -------------------------------------


def counts_words(r: dict) -> str:
    """Whether a version's figures count: yes; void; no (after the final deadline); no (a newer version)."""
    if r["counted"]:
        return "yes (by exception)" if r["late_exception"] else "yes"
    if r["voided"]:
        return "void"
    return "no (after final deadline)" if r["timeliness"] == "after final deadline" else "no (superseded)"


def version_dict(r: dict) -> dict:
    """One version of a return as ``swtool returns --format json`` lists it (a row of ``store.versions``)."""
    return {
        "id": r["id"],
        "contract": r["contract_id"],
        "quarter": r["quarter"],
        "version": r["version"],
        "provider": r["provider"],
        "lot": r["lot"],
        "counts": bool(r["counted"]),
        "why": counts_words(r),
        "submitted": r["date_submitted"],
        "timeliness": r["timeliness"],
        "approval": r["approval"],
        "summary": {"error": r["errors"], "warning": r["warnings"], "info": r["infos"]},
        "receipt": r["receipt_status"],
        "file": r["source_name"],
    }


def received_dict(r: dict) -> dict:
    """A file received but not imported (a row of ``store.received``)."""
    return {"received_at": r["received_at"], "outcome": r["outcome"], "file": r["source_name"], "reason": r["reason"]}


def returns_dict(versions: list[dict], received: list[dict]) -> dict:
    """``{returns: [{id, contract, quarter, version, provider, lot, counts, why, submitted, timeliness,
    approval, summary: {error, warning, info}, receipt, file}], received: [{received_at, outcome, file,
    reason}]}``."""
    return {"returns": [version_dict(r) for r in versions], "received": [received_dict(r) for r in received]}


def return_dict(r: dict, version: dict, findings: list[dict], cross: list, include_personal: bool) -> dict:
    """One return as ``swtool returns --id N --format json`` gives it: the version, its import, its findings
    (redacted unless ``include_personal``) with the decision in force on each, and the claims other
    contracts also make (C219, C220)."""

    def decision(f: dict) -> dict | None:
        if not f.get("decision"):
            return None
        return {
            "action": f["decision"],
            "reason": f["decision_reason"],
            "who": f["decided_by"],
            "at": f["decided_at"],
            "dated": store.dated({"detail": f.get("decision_detail")}),
        }

    return {
        "return": {
            **version_dict(version),
            "imported_at": r["imported_at"],
            "imported_by": r["imported_by"],
            "sha256": r["sha256"],
        },
        "redacted": not include_personal,
        "findings": [
            {
                "code": f["code"],
                "slug": f["slug"],
                "severity": f["severity"],
                "message": f["message"],
                "sheet": f["sheet"],
                "row": f["row"],
                "column": f["col"],
                "header": f["header"],
                "cell": None if f["cell"] == store.NO_CELL else f["cell"],
                "value": f["value"],
                "spec": f["spec"],
                "decision": decision(f),
            }
            for f in findings
        ],
        "across_contracts": [
            {
                "code": c.code,
                "contract": c.contract,
                "return_id": c.return_id,
                "quarter": c.quarter,
                "cell": c.cell,
                "claim_ref": c.claim_ref,
                "client_ref": c.client_ref,
                "output": c.output,
                "other": c.other,
                "message": c.message,
            }
            for c in cross
        ],
    }


# --- one return's findings, for the PMO to decide on --------------------------------------------


def return_findings(ledger: Ledger, return_id: int, refdata, include_personal: bool = False) -> list[dict]:
    """A return's findings with the decision in force on each, ``message`` and ``value`` redacted as
    ``--redact`` does (no ages, postcodes, free text or anything typed in place of a code, a date or a
    number; client refs, codes, cells and dates stay) unless the PMO asks for personal data
    (``include_personal``).

    The ledger keeps findings redacted (``store._insert_findings``), so the personal values are taken
    from the stored workbook: it is checked again as it was at import (register version, settings,
    date; the history now in force) and each stored finding gets the message and value of the
    finding of that check that the ledger would have stored as it (same rule, cell and redacted
    message). A stored finding that no longer has one keeps its redacted message. Findings stored
    before the ledger redacted them are redacted here, by type, all the same."""
    from swtool.findings import FileReport
    from swtool.report.redact import redact_report

    rows = store.findings_of(ledger, return_id)
    findings = [_stored_finding(r) for r in rows]
    if include_personal:
        return _with_personal_values(ledger, return_id, refdata, rows, findings)
    sub = _stored_submission(ledger, return_id, refdata)
    redacted = redact_report(FileReport(str(return_id), findings=findings), sub, refdata).findings
    for r, f in zip(rows, redacted, strict=True):
        r["message"] = f.message
        r["value"] = None
    return rows


def _stored_finding(r: dict):
    import json

    from swtool.findings import Finding

    return Finding(
        r["code"],
        r["slug"],
        r["severity"],
        r["message"],
        r["sheet"],
        r["row"],
        r["col"],
        r["header"],
        None if r["cell"] == store.NO_CELL else r["cell"],
        None if r["value"] is None else json.loads(r["value"]),
        r["spec"],
    )


def _stored_submission(ledger: Ledger, return_id: int, refdata):
    from swtool.read.preflight import Unreadable
    from swtool.read.submission import load_submission

    try:
        return load_submission(store.stored_path(ledger, return_id), refdata)
    except (Unreadable, OSError):
        return None


def _checked_again(ledger: Ledger, return_id: int, refdata):
    """The stored workbook checked again with its import's register version, settings and date, and
    the history now in force: (findings, typed return); ([], None) when it cannot be read."""
    import json

    from swtool.checks.context import CheckContext
    from swtool.engine import check_file
    from swtool.model.settings import SETTINGS, Settings
    from swtool.read.preflight import Limits

    r = store.get_return(ledger, return_id)
    try:
        saved = json.loads(r["settings"] or "{}")
    except ValueError:
        saved = {}
    settings = Settings({**Settings.defaults(), **{k: v for k, v in dict(saved).items() if k in SETTINGS}})
    history = store._History(ledger, refdata, Limits()).before(r["contract_id"], r["quarter"])
    ctx = CheckContext(
        refdata,
        settings,
        date.fromisoformat(r["checked_today"]),
        store.current_register(ledger, r["register_version"]),
        history,
        True,
    )
    try:
        report, sub = check_file(store.stored_path(ledger, return_id), ctx)
    except OSError:
        return [], None
    return report.findings, sub


def _with_personal_values(ledger: Ledger, return_id: int, refdata, rows: list[dict], findings: list) -> list[dict]:
    from swtool.findings import plain_value
    from swtool.report.redact import for_ledger

    checked, sub = _checked_again(ledger, return_id, refdata)
    pool: dict[tuple[str, str], list] = {}
    for f, kept in zip(checked, for_ledger(checked, sub, refdata), strict=True):
        pool.setdefault((f.code, f.cell or store.NO_CELL), []).append((f, kept.message))
    for r, stored in zip(rows, findings, strict=True):
        r["value"] = plain_value(stored.value)
        candidates = pool.get((r["code"], r["cell"]), [])
        for j, (f, redacted) in enumerate(candidates):
            if r["message"] in (f.message, redacted):  # stored redacted, or (before redaction) as it was
                r["message"], r["value"] = f.message, plain_value(f.value)
                del candidates[j]
                break
    return rows


def decide_credit(
    ledger: Ledger,
    contract_id: str,
    quarter: str | Quarter,
    output: str,
    action: str,
    reason: str,
    settings,
    day: date | None = None,
):
    """Record a service-credit decision with the figures it was made on (the credit line as the PMO saw
    it). Returns (decision, credit line). The contract must be in the register in force and the output
    one of its lot's core outputs."""
    from swtool.model.outputs import core_outputs

    q = quarter if isinstance(quarter, Quarter) else parse_quarter(quarter)
    register = _register(ledger)
    if contract_id not in register.contracts:
        raise LedgerError(
            f"contract {contract_id!r} is not in the register in force (contracts: {', '.join(register.contracts)})"
        )
    c = register.contracts[contract_id]
    output = str(output).strip()
    if output not in core_outputs(c.lot):
        raise LedgerError(
            f"output {output} carries no service credits for lot {c.lot}; the core outputs are "
            f"{' and '.join(core_outputs(c.lot))}"
        )
    line = next(ln for ln in credit_lines(ledger, c, q, settings) if ln.output == output)
    return store.decide_credit(ledger, contract_id, str(q), output, action, reason, line_detail(line), day), line


# --- performance against profile: K701, K702, K703 ------------------------------------------------

PERFORMANCE_SETTINGS = ("output_variance_percent", "credit_quarters")


@dataclass
class ContractPerformance:
    contract: ContractFacts
    contract_quarter: int
    return_id: int | None  # the latest version of the quarter's return
    outputs: list[OutputRow]
    shared: SharedCap  # K703
    lines: list  # credits.CreditLine per core output (K702)

    @property
    def flags(self) -> list[tuple[str, str]]:
        """(code, sentence) of each K701, K702 and K703 warning the figures raise."""
        return performance_flags(self.outputs, self.lines, self.shared, self.contract.contract_id)


@dataclass
class PerformanceReport:
    quarter: Quarter
    settings: dict
    contracts: list[ContractPerformance]

    def to_dict(self) -> dict:
        """``{quarter, setting, contracts: [{contract, provider, lot, contract_quarter, return, outputs:
        [{output, target, target_basis, actual, variance_percent, flagged, target_to_date, actual_to_date,
        percent_to_date}], shared: {job_starts, shared, percent, over}, flags: [{code, message}]}]}``."""

        def output(r: OutputRow) -> dict:
            v, t = r.variance, r.to_date
            return {
                "output": r.output,
                "title": r.title,
                "target": None if v is None else json_number(v.target),
                "target_basis": None if v is None else v.target_basis,
                "actual": None if v is None else v.actual,
                "variance_percent": None if v is None else _percent(v.percent),
                "flagged": bool(v is not None and v.exceeds),
                "target_to_date": None if t is None else json_number(t.target_to_date),
                "actual_to_date": None if t is None else t.actual_to_date,
                "percent_to_date": None if t is None else _percent(t.percent),
            }

        return {
            "quarter": str(self.quarter),
            "setting": {k: self.settings.get(k) for k in PERFORMANCE_SETTINGS},
            "contracts": [
                {
                    "contract": cp.contract.contract_id,
                    "provider": cp.contract.provider,
                    "lot": cp.contract.lot,
                    "contract_quarter": cp.contract_quarter,
                    "return": cp.return_id,
                    "outputs": [output(r) for r in cp.outputs],
                    "shared": {
                        "job_starts": cp.shared.job_starts,
                        "shared": cp.shared.shared,
                        "percent": _percent(cp.shared.percent),
                        "over": cp.shared.over,
                    },
                    "flags": [{"code": code, "message": msg} for code, msg in cp.flags],
                }
                for cp in self.contracts
            ],
        }


def contract_performance(ledger: Ledger, contract, q: Quarter, settings, refdata=None) -> ContractPerformance:
    """One contract's outputs in ``q`` against its profile, to date, shared, and its service credits.

    K701 is weighed on each register output (2a and 2b apart, as N501 does); the combined output 2,
    which K702 weighs, is shown with its variance but never flagged K701 itself."""
    from swtool.calc.credits import assess
    from swtool.calc.shared import shared_cap
    from swtool.calc.targets import contract_quarter

    acts = store.actuals(ledger, contract.contract_id, str(q), refdata)
    rows = output_rows(contract, q, acts, settings, refdata)
    counted = store.counted_returns(ledger, refdata, contract.contract_id).get(str(q))
    return ContractPerformance(
        contract,
        contract_quarter(contract, q),
        counted["id"] if counted else None,
        rows,
        shared_cap(store.shared_claims(ledger, contract.contract_id, str(q), refdata)),
        assess(contract, q, acts, settings),
    )


def performance(
    ledger: Ledger, quarter: str | Quarter, settings, contract_id: str | None = None, refdata=None
) -> PerformanceReport:
    """Every contract in term in ``quarter`` (or one) against its profile: K701 variances, K702
    under-performance, K703 shared outputs, and each output to date."""
    q = quarter if isinstance(quarter, Quarter) else parse_quarter(quarter)
    register = _register(ledger)
    if contract_id is not None and contract_id not in register.contracts:
        raise LedgerError(
            f"contract {contract_id!r} is not in the register in force (contracts: {', '.join(register.contracts)})"
        )
    chosen = [register.contracts[contract_id]] if contract_id else list(register.contracts.values())
    return PerformanceReport(
        q, dict(settings), [contract_performance(ledger, c, q, settings, refdata) for c in chosen if in_term(c, q)]
    )


def render_performance(report: PerformanceReport) -> str:
    from tabulate import tabulate

    from swtool.calc.money import num, pct

    out = [
        f"Performance against profile, {report.quarter}",
        "Settings: " + ", ".join(f"{k}={report.settings.get(k)}" for k in PERFORMANCE_SETTINGS) + f" ({SEE_SETTINGS})",
        "",
    ]
    flagged = 0
    for cp in report.contracts:
        c = cp.contract
        received = f"return {cp.return_id}" if cp.return_id else "no return recorded"
        out.append(
            f"{c.contract_id} · {c.provider} · lot {c.lot} · contract quarter {cp.contract_quarter} · {received}"
        )
        rows = []
        for r in cp.outputs:
            v, t = r.variance, r.to_date
            rows.append(
                (
                    r.output,
                    r.title,
                    "-" if v is None else num(v.target),
                    "-" if v is None else v.actual,
                    "-" if v is None else signed_pct(v.percent),
                    "K701" if v is not None and v.exceeds else "",
                    "-" if t is None else f"{t.actual_to_date}/{num(t.target_to_date)} {pct(t.percent)}",
                )
            )
        out.append(
            tabulate(
                rows,
                headers=["output", "name", "target", "actual", "variance", "flag", "to date"],
                tablefmt="simple",
                disable_numparse=True,
            )
        )
        out.append(f"  shared 2a + 2b to date: {cp.shared.message}")
        for code, msg in cp.flags:
            out.append(f"  {code}  {msg}")
        flagged += len(cp.flags)
        out.append("")
    n = len(report.contracts)
    out.append(
        f"{n} contract{'s' * (n != 1)} in term; {flagged} warning{'s' * (flagged != 1)} "
        "(K701 variance, K702 under-performance, K703 shared outputs)"
    )
    return "\n".join(out) + "\n"
