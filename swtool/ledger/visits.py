"""Monitoring visits, review meetings and the actions agreed at them; a remedial action plan's actions.

App 2 §7.3: the PMO visits providers to verify claims and meets them to review performance; what is
agreed is followed up. A visit (or meeting) is recorded once, after it happened, with its notes and
its actions (what, who, by when). A remedial action plan's actions are recorded the same way against
the plan (``add_rap_actions``), so a plan's review shows the state of each action rather than one
review date.

Append-only like the rest of the ledger: an action is marked done (or reopened after a mistaken
tick) by a new row in ``action_events`` with a reason; the latest event on an action is its state.
Nothing is ever updated or deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from swtool.ledger import store
from swtool.ledger.db import Ledger, LedgerError, utc_now

KINDS = ("visit", "meeting")
DONE = "✓"  # the done mark, as a Tendring-style action log ticks an action off
MAX_TEXT = 2000  # characters of an action, an owner or a reason; notes may be longer
MAX_NOTES = 20_000


@dataclass(frozen=True)
class NewAction:
    """An action to record: what is to be done, by whom, by when."""

    action: str
    owner: str
    due: date


def _text(value, what: str, limit: int = MAX_TEXT) -> str:
    text = " ".join(str(value or "").split()) if what != "notes" else str(value or "").strip()
    if not text:
        raise LedgerError(f"{what} cannot be empty")
    if len(text) > limit:
        raise LedgerError(f"{what} is {len(text):,} characters long; at most {limit:,} are kept")
    return text


def _contract(ledger: Ledger, contract_id: str) -> str:
    """``contract_id`` when it is in the register in force, else LedgerError naming those that are."""
    register = store.current_register(ledger)
    if register is None:
        raise LedgerError("the ledger has no contract register yet: run `swtool register import REGISTER.xlsx` first")
    cid = str(contract_id or "").strip()
    if cid not in register.contracts:
        raise LedgerError(
            f"contract {cid!r} is not in the register in force (contracts: {', '.join(register.contracts)})"
        )
    return cid


def _checked_actions(actions, since: date | None) -> list[NewAction]:
    out = []
    for a in actions or ():
        what, owner = _text(a.action, "an action"), _text(a.owner, f"the owner of action {a.action!r}")
        if not isinstance(a.due, date):
            raise LedgerError(f"the due date of action {what!r} is not a date")
        if since is not None and a.due < since:
            raise LedgerError(
                f"action {what!r} is due {a.due.isoformat()}, before the {since.isoformat()} it was agreed"
            )
        out.append(NewAction(what, owner, a.due))
    return out


def _insert_actions(
    c, contract_id: str, actions: list[NewAction], visit_id: int | None = None, rap_id: int | None = None
) -> list[int]:
    at, by = utc_now(), store.who()
    ids = []
    for a in actions:
        cur = c.execute(
            "INSERT INTO actions (contract_id, visit_id, rap_id, action, owner, due_date, recorded_at, "
            "recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (contract_id, visit_id, rap_id, a.action, a.owner, a.due.isoformat(), at, by),
        )
        ids.append(cur.lastrowid)
    return ids


def add_visit(
    ledger: Ledger, contract_id: str, day: date, kind: str, notes: str, actions=(), today: date | None = None
) -> tuple[int, list[int]]:
    """Record a monitoring visit or review meeting with ``contract_id``'s provider on ``day`` and the
    actions agreed (each due on or after ``day``). Returns (visit id, action ids).

    Refused (LedgerError, nothing recorded): a contract not in the register in force, a kind other than
    visit or meeting, empty notes, a day after ``today`` (a visit is recorded once it has happened)."""
    cid = _contract(ledger, contract_id)
    if kind not in KINDS:
        raise LedgerError(f"a visit is a visit or a meeting, not {kind!r}")
    if not isinstance(day, date):
        raise LedgerError(f"the date of a visit is a date, not {day!r}")
    today = today or date.today()
    if day > today:
        raise LedgerError(
            f"the {kind} on {day.isoformat()} has not happened yet (today is {today.isoformat()}): "
            "record it once it has"
        )
    text = _text(notes, "notes", MAX_NOTES)
    checked = _checked_actions(actions, day)
    with ledger.transaction() as c:
        cur = c.execute(
            "INSERT INTO visits (contract_id, visit_date, kind, notes, recorded_at, recorded_by) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (cid, day.isoformat(), kind, text, utc_now(), store.who()),
        )
        vid = cur.lastrowid
        return vid, _insert_actions(c, cid, checked, visit_id=vid)


def add_rap_actions(ledger: Ledger, rap_id: int, actions, today: date | None = None) -> tuple[dict, list[int]]:
    """Record the actions of remedial action plan ``rap_id`` (open), each due on or after ``today``.
    Returns (the plan, action ids)."""
    rap_id = store.record_id(rap_id, "remedial action plan", "`swtool rap list --all`")
    plan = next((r for r in store.raps(ledger, today or date.today(), include_closed=True) if r["id"] == rap_id), None)
    if plan is None:
        raise LedgerError(f"no remedial action plan {rap_id}; `swtool rap list --all` lists them")
    if plan["status"] == "closed":
        raise LedgerError(
            f"remedial action plan {rap_id} ({plan['contract_id']} {plan['quarter']}) is closed: its "
            "actions can no longer be added to"
        )
    checked = _checked_actions(actions, None)
    if not checked:
        raise LedgerError("give at least one action (--action TEXT --owner NAME --due DATE)")
    with ledger.transaction() as c:
        return plan, _insert_actions(c, plan["contract_id"], checked, rap_id=rap_id)


def _action(ledger: Ledger, action_id) -> dict:
    action_id = store.record_id(action_id, "action", "`swtool actions`")
    rows = _select(ledger, "WHERE a.id = ?", [action_id])
    if not rows:
        raise LedgerError(f"no action {action_id}; `swtool actions` lists them")
    return rows[0]


def mark(ledger: Ledger, action_id: int, event: str, reason: str) -> dict:
    """Mark action ``action_id`` done (``event`` "done") or open again ("reopen"), with a reason: a new
    row of ``action_events``. Refused when it is already in that state. Returns the action as it is now."""
    if event not in ("done", "reopen"):
        raise LedgerError(f"an action is marked done or reopened, not {event!r}")
    why = _text(reason, "the reason (--reason TEXT)")
    with ledger.transaction() as c:
        a = _action(ledger, action_id)
        if event == "done" and a["done"]:
            raise LedgerError(f"action {a['id']} was already marked done on {a['done_at'][:10]} by {a['done_by']}")
        if event == "reopen" and not a["done"]:
            raise LedgerError(f"action {a['id']} is open: there is nothing to reopen")
        c.execute(
            "INSERT INTO action_events (action_id, at, who, event, reason) VALUES (?, ?, ?, ?, ?)",
            (a["id"], utc_now(), store.who(), event, why),
        )
    return _action(ledger, a["id"])


_ACTIONS = """
    SELECT a.id, a.contract_id, a.visit_id, a.rap_id, a.action, a.owner, a.due_date, a.recorded_at, a.recorded_by,
           v.visit_date, v.kind AS visit_kind, r.quarter AS rap_quarter,
           e.event, e.at AS event_at, e.who AS event_by, e.reason AS event_reason
    FROM actions a
    LEFT JOIN visits v ON v.id = a.visit_id
    LEFT JOIN raps r ON r.id = a.rap_id
    LEFT JOIN action_events e ON e.id = (SELECT max(x.id) FROM action_events x WHERE x.action_id = a.id)
"""


def _select(ledger: Ledger, where: str = "", args=(), today: date | None = None) -> list[dict]:
    cur = ledger.conn.execute(_ACTIONS + where + " ORDER BY a.id", list(args))
    names = [d[0] for d in cur.description]
    day = (today or date.today()).isoformat()
    out = []
    for row in cur.fetchall():
        a = dict(zip(names, row, strict=True))
        a["done"] = a["event"] == "done"
        a["done_at"] = a["event_at"] if a["done"] else None
        a["done_by"] = a["event_by"] if a["done"] else None
        a["done_reason"] = a["event_reason"] if a["done"] else None
        a["overdue"] = not a["done"] and a["due_date"] < day
        a["source"] = (
            f"{a['visit_kind']} {a['visit_id']} ({a['visit_date']})"
            if a["visit_id"] is not None
            else f"plan {a['rap_id']} ({a['rap_quarter']})"
        )
        out.append(a)
    return out


def actions(
    ledger: Ledger, today: date, open_only: bool = False, contract: str | None = None, rap_id: int | None = None
) -> list[dict]:
    """Every action (or the open ones, of one contract, of one plan): overdue ones first (open and due
    before ``today``), then the other open ones by due date, then the done ones. Each has ``done``,
    ``overdue``, ``source`` (the visit or plan it came from) and, when done, who marked it and why."""
    where: list[str] = ["1 = 1"]
    args: list[str | int] = []
    if contract is not None:
        where.append("a.contract_id = ?")
        args.append(_contract(ledger, contract))
    if rap_id is not None:
        rap_id = store.record_id(rap_id, "remedial action plan", "`swtool rap list --all`")
        where.append("a.rap_id = ?")
        args.append(rap_id)
    rows = _select(ledger, "WHERE " + " AND ".join(where), args, today)
    if open_only:
        rows = [a for a in rows if not a["done"]]
    return sorted(rows, key=lambda a: (not a["overdue"], a["done"], a["due_date"], a["id"]))


def visits(ledger: Ledger, contract: str | None = None) -> list[dict]:
    """Visits and meetings, newest first, each with its number of actions and of those still open."""
    where, args = "", []
    if contract is not None:
        where, args = "WHERE v.contract_id = ?", [_contract(ledger, contract)]
    cur = ledger.conn.execute(
        "SELECT v.*, (SELECT count(*) FROM actions a WHERE a.visit_id = v.id) AS actions FROM visits v "
        f"{where} ORDER BY v.visit_date DESC, v.id DESC",
        args,
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    open_by_visit: dict[int, int] = {}
    for a in _select(ledger, "WHERE a.visit_id IS NOT NULL" + (" AND a.contract_id = ?" if contract else ""), args):
        open_by_visit[a["visit_id"]] = open_by_visit.get(a["visit_id"], 0) + (not a["done"])
    for r in rows:
        r["open"] = open_by_visit.get(r["id"], 0)
    return rows


def plan_actions(ledger: Ledger, today: date) -> dict[int, list[dict]]:
    """Each remedial action plan's actions (``actions`` order), by plan id: what a plan's review goes through."""
    out: dict[int, list[dict]] = {}
    for a in actions(ledger, today):
        if a["rap_id"] is not None:
            out.setdefault(a["rap_id"], []).append(a)
    return out


def state_words(actions_of_plan: list[dict]) -> str:
    """``2 of 3 done, 1 overdue``; ``no actions recorded``."""
    if not actions_of_plan:
        return "no actions recorded"
    done = sum(a["done"] for a in actions_of_plan)
    late = sum(a["overdue"] for a in actions_of_plan)
    return f"{done} of {len(actions_of_plan)} done" + (f", {late} overdue" if late else "")
