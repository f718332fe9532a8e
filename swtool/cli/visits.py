"""The PMO's follow-up: ``visit add`` / ``visit list``, ``actions`` (``done``, ``reopen``) and ``rap action add``.

Registered on the ``swtool`` command by ``swtool.cli`` (imported at its end). Thin shells over
``swtool.ledger.visits``; nothing heavy is imported at module level.
"""

from __future__ import annotations

from datetime import date

import click

from swtool.cli import _clip, _db_option, _open_ledger, _today, cli, rap_group


def _date(value: str, hint: str) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form", param_hint=hint) from None


def _new_actions(texts, owners, dues) -> list:
    """``--action``, ``--owner`` and ``--due`` paired in the order given: the first of each make the first
    action. Unequal numbers are a usage error (exit 2), never a guess."""
    from swtool.ledger.visits import NewAction

    if not (len(texts) == len(owners) == len(dues)):
        raise click.UsageError(
            f"each action needs --action TEXT --owner NAME --due DATE: got {len(texts)} --action, "
            f"{len(owners)} --owner and {len(dues)} --due"
        )
    return [NewAction(t, o, _date(d, "--due")) for t, o, d in zip(texts, owners, dues, strict=True)]


def _action_options(f):
    f = click.option(
        "--due", "dues", multiple=True, metavar="DATE", help="When it is due (YYYY-MM-DD); one per --action."
    )(f)
    f = click.option("--owner", "owners", multiple=True, metavar="NAME", help="Who does it; one per --action.")(f)
    return click.option(
        "--action",
        "texts",
        multiple=True,
        metavar="TEXT",
        help="An action agreed (repeatable, with its --owner and --due in the same order).",
    )(f)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


# --- visits --------------------------------------------------------------------------------------------


@cli.group("visit")
def visit_group():
    """Monitoring visits and review meetings with a provider, and the actions agreed at them."""


@visit_group.command("add")
@click.argument("contract")
@click.option("--date", "day", required=True, help="The day of the visit or meeting (YYYY-MM-DD).")
@click.option(
    "--kind",
    type=click.Choice(["visit", "meeting"]),
    default="visit",
    show_default=True,
    help="A monitoring visit or a review meeting.",
)
@click.option("--notes", required=True, help="What was looked at and found (kept in the ledger).")
@_action_options
@click.option("--today", help="Take this date (YYYY-MM-DD) as today: a visit after it is refused.")
@_db_option
def visit_add(contract, day, kind, notes, texts, owners, dues, today, db):
    """Record a monitoring visit or review meeting with CONTRACT's provider, and the actions agreed:

    swtool visit add SW-L4-01 --date 2026-10-20 --notes "…" --action "…" --owner "…" --due 2026-11-13
    """
    from swtool.ledger import visits

    when = _date(day, "--date")
    new = _new_actions(texts, owners, dues)
    with _open_ledger(db) as ledger:
        vid, ids = visits.add_visit(ledger, contract, when, kind, notes, new, _today(today))
    click.echo(
        f"Recorded {kind} {vid} with {contract} on {when.isoformat()}"
        + (f": actions {', '.join(map(str, ids))}" if ids else ", no actions")
    )


@visit_group.command("list")
@click.option("--contract", help="Only this contract, e.g. SW-L4-01.")
@_db_option
def visit_list(contract, db):
    """Visits and meetings recorded, newest first, with their actions still open."""
    from tabulate import tabulate

    from swtool.ledger import visits

    with _open_ledger(db) as ledger:
        rows = visits.visits(ledger, contract)
    if not rows:
        click.echo("No visits or meetings recorded" + (f" with {contract}" if contract else ""))
        return
    click.echo(
        tabulate(
            [
                (
                    r["id"],
                    r["contract_id"],
                    r["visit_date"],
                    r["kind"],
                    f"{r['open']} of {r['actions']}",
                    r["recorded_by"],
                    _clip(r["notes"], 70),
                )
                for r in rows
            ],
            headers=["id", "contract", "date", "kind", "open actions", "by", "notes"],
            tablefmt="simple",
            disable_numparse=True,
        )
    )


# --- actions -------------------------------------------------------------------------------------------


@cli.group("actions", invoke_without_command=True)
@click.option("--open", "open_only", is_flag=True, help="Only the actions not done yet.")
@click.option("--contract", help="Only this contract's actions, e.g. SW-L4-01.")
@click.option("--rap", "rap_id", type=int, help="Only the actions of this remedial action plan.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--today", help="Count overdue actions from this date (YYYY-MM-DD) instead of today.")
@_db_option
@click.pass_context
def actions_group(ctx, open_only, contract, rap_id, fmt, today, db):
    """Actions agreed at visits and meetings and in remedial action plans, with owner, due date and a done
    mark (✓); overdue ones first. `swtool actions done ID --reason TEXT` marks one done.

    JSON: {today, actions: [{id, contract, source, visit, plan, action, owner, due, done, overdue, done_at,
    done_by, done_reason}]}.
    """
    if ctx.invoked_subcommand is not None:
        return
    from swtool.ledger import visits

    day = _today(today)
    with _open_ledger(db) as ledger:
        rows = visits.actions(ledger, day, open_only, contract, rap_id)
    if fmt == "json":
        import json

        click.echo(
            json.dumps(
                {"today": day.isoformat(), "actions": [_action_dict(a) for a in rows]}, indent=2, ensure_ascii=False
            )
        )
        return
    if not rows:
        click.echo("No open actions" if open_only else "No actions recorded")
        return
    from tabulate import tabulate

    click.echo(
        tabulate(
            [
                (
                    a["id"],
                    a["contract_id"],
                    a["source"],
                    _clip(a["action"], 60),
                    _clip(a["owner"], 24),
                    a["due_date"],
                    visits.DONE if a["done"] else "",
                    "OVERDUE" if a["overdue"] else "",
                )
                for a in rows
            ],
            headers=["id", "contract", "from", "action", "owner", "due", "done", ""],
            tablefmt="simple",
            disable_numparse=True,
        )
    )
    still = sum(not a["done"] for a in rows)
    late = sum(a["overdue"] for a in rows)
    click.echo(
        f"\n{_count(still, 'open action')}, {late} overdue (due before {day.isoformat()})"
        + ("" if open_only else f"; {sum(a['done'] for a in rows)} done")
    )


def _action_dict(a: dict) -> dict:
    return {
        "id": a["id"],
        "contract": a["contract_id"],
        "source": a["source"],
        "visit": a["visit_id"],
        "plan": a["rap_id"],
        "action": a["action"],
        "owner": a["owner"],
        "due": a["due_date"],
        "done": a["done"],
        "overdue": a["overdue"],
        "done_at": a["done_at"],
        "done_by": a["done_by"],
        "done_reason": a["done_reason"],
    }


def _mark(action_id: int, event: str, reason: str, db) -> None:
    from swtool.ledger import visits

    with _open_ledger(db) as ledger:
        a = visits.mark(ledger, action_id, event, reason)
    state = f"done {visits.DONE}" if a["done"] else "open again"
    click.echo(
        f"Action {a['id']} ({a['contract_id']}, {a['owner']}, due {a['due_date']}) {state}: {_clip(a['action'], 80)}"
    )


@actions_group.command("done")
@click.argument("action_id", type=int)
@click.option("--reason", required=True, help="What was done (kept with the mark).")
@_db_option
def actions_done(action_id, reason, db):
    """Mark action ACTION_ID done (a new record; the action itself is never changed)."""
    _mark(action_id, "done", reason, db)


@actions_group.command("reopen")
@click.argument("action_id", type=int)
@click.option("--reason", required=True, help="Why it is not done after all (kept with the mark).")
@_db_option
def actions_reopen(action_id, reason, db):
    """Open action ACTION_ID again after it was marked done by mistake (a new record)."""
    _mark(action_id, "reopen", reason, db)


# --- a remedial action plan's actions ------------------------------------------------------------------


@rap_group.group("action")
def rap_action_group():
    """The actions of a remedial action plan, tracked like a visit's (swtool actions --rap ID)."""


@rap_action_group.command("add")
@click.argument("rap_id", type=int)
@_action_options
@click.option("--today", help="Take this date (YYYY-MM-DD) as today.")
@_db_option
def rap_action_add(rap_id, texts, owners, dues, today, db):
    """Record the actions of remedial action plan RAP_ID (open), each with its owner and due date:

    swtool rap action add 1 --action "…" --owner "…" --due 2026-12-11
    """
    from swtool.ledger import visits

    new = _new_actions(texts, owners, dues)
    if not new:
        raise click.UsageError("give at least one --action TEXT --owner NAME --due DATE")
    with _open_ledger(db) as ledger:
        plan, ids = visits.add_rap_actions(ledger, rap_id, new, _today(today))
    click.echo(
        f"Remedial action plan {plan['id']} ({plan['contract_id']} {plan['quarter']}): actions "
        f"{', '.join(map(str, ids))} recorded"
    )


def echo_plan_actions(plans: list[dict], by_plan: dict[int, list[dict]]) -> None:
    """Under ``swtool rap list``: each listed plan's actions with their state, the plan's review item by item."""
    from swtool.ledger import visits

    shown = [p for p in plans if by_plan.get(p["id"])]
    for p in shown:
        acts = by_plan[p["id"]]
        click.echo(f"\nPlan {p['id']} ({p['contract_id']} {p['quarter']}) actions: {visits.state_words(acts)}")
        for a in acts:
            mark = visits.DONE if a["done"] else "OVERDUE" if a["overdue"] else "open"
            click.echo(
                f"  {mark:<7} {a['id']:>4}  {_clip(a['action'], 60)} ({_clip(a['owner'], 24)}, due {a['due_date']})"
            )
