"""The PMO's commands on whole returns and money: ``approve``, ``void``, ``decide return``, ``payments``.

Registered on the ``swtool`` command by ``swtool.cli`` (imported at its end). Thin shells over
``swtool.ledger.store`` and ``swtool.ledger.payments``; nothing heavy is imported at module level.
"""

from __future__ import annotations

import click

from swtool.cli import (
    _action_options,
    _dated_option,
    _db_option,
    _decision_day,
    _guard_ledger_output,
    _ledger_settings,
    _open_ledger,
    _quarter_arg,
    _setting_option,
    cli,
    decide,
    write_output,
)


def _what(r: dict) -> str:
    return f"return {r['id']} ({r['contract_id']} {r['quarter']} version {r['version']})"


def _echo_rechecks(done) -> None:
    for k in done:
        click.echo(
            f"  checked again: return {k.return_id} ({k.contract} {k.quarter} version {k.version}): "
            f"{k.before[0]} → {k.after[0]} errors, {k.before[1]} → {k.after[1]} warnings"
        )
    if not done:
        click.echo("  no later return of the contract needed checking again")


@cli.command("approve")
@click.argument("return_id", type=int)
@click.option("--hold", is_flag=True, help="Hold the return back from payment instead of approving it.")
@click.option("--reason", required=True, help="Why (kept with the decision).")
@_dated_option
@_db_option
def approve_cmd(return_id, hold, reason, today, db):
    """Sign off the counted version of a return for payment, after reviewing it (App 2 §1.1), or --hold it.

    Only the version that counts for its quarter can be approved. A later approve or hold replaces the
    one in force; `swtool payments` pays only approved returns.
    """
    from swtool.ledger import store

    action = "hold" if hold else "approve"
    day = _decision_day(today)
    with _open_ledger(db) as ledger:
        d = store.decide_return(ledger, return_id, action, reason, None, day)
        r = store.get_return(ledger, return_id)
    click.echo(f"Decision {d.id}: {'held' if hold else 'approved'} {_what(r)} for payment ({d.who}, {d.when})")


@cli.command("void")
@click.argument("return_id", type=int)
@click.option("--reason", required=True, help="Why the return was imported by mistake (kept with the decision).")
@_dated_option
@_db_option
def void_cmd(return_id, reason, today, db):
    """Void a return imported by mistake (wrong contract or quarter).

    It stays in the ledger as a record but counts for nothing and is no longer history for any other
    return; the contract's later returns are checked again without it. Voiding is final.
    """
    from swtool.ledger import store
    from swtool.model.refdata import RefData

    day = _decision_day(today)
    with _open_ledger(db) as ledger:
        r = store.get_return(ledger, return_id)
        d, done = store.void_return(ledger, return_id, reason, RefData(), day=day)
    click.echo(f"Decision {d.id}: voided {_what(r)} ({d.who}, {d.when})")
    _echo_rechecks(done)


@decide.command("return")
@click.argument("return_id", type=int)
@_action_options("count-late")
@click.option("--reason", required=True, help="Why (kept with the decision).")
@_dated_option
@_db_option
def decide_return_cmd(return_id, action, reason, today, db):
    """Let a version submitted after the quarter's final deadline count (--count-late), by exception.

    App 2 §1.2 accepts no changes after the final deadline: such a version is imported and shown but
    changes no figure until the PMO records this decision. The contract's later returns are then
    checked again against it.
    """
    from swtool.ledger import store
    from swtool.model.refdata import RefData

    if action is None:
        raise click.UsageError("say --count-late")
    day = _decision_day(today)
    with _open_ledger(db) as ledger:
        r = store.get_return(ledger, return_id)
        d, done = store.count_late(ledger, return_id, reason, RefData(), day=day)
    click.echo(f"Decision {d.id}: {_what(r)} counts although submitted after the final deadline ({d.who}, {d.when})")
    _echo_rechecks(done)


@cli.command("payments")
@click.option("--quarter", required=True, help="The quarter, e.g. 2026/27-Q2.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "xlsx"]), default="text", show_default=True)
@click.option("-o", "--output", help="Write to this file instead of the screen (needed for xlsx).")
@_db_option
@_setting_option
def payments_cmd(quarter, fmt, output, db, settings):
    """What finance pays each contract for a quarter: the counted version, its approval, cash expenditure,
    disallowed transactions, invoice, service credits applied, the Q4 balancing payment, net payable.

    Only approved returns are payable. JSON: {quarter, contracts: [{contract, provider, return_id,
    approval, expenditure, disallowed, invoice, credits_applied, q4_balancing, net_payable}], totals};
    amounts as text in pounds and pence ("2310.00"), null where there is none. The xlsx is the finance
    schedule: one row a contract, a totals row, and the inputs of every figure on a second sheet.
    """
    from swtool.ledger import payments
    from swtool.model.refdata import RefData

    if fmt == "xlsx" and output in (None, "-"):
        raise click.UsageError("--format xlsx needs -o FILE.xlsx")
    q = _quarter_arg(quarter)
    with _open_ledger(db) as ledger:
        target = _guard_ledger_output(output, ledger, "payment schedule")
        s = payments.schedule(ledger, q, _ledger_settings(ledger, settings), RefData())
        path = ledger.path
    if fmt == "xlsx":
        payments.write_xlsx(s, target)
        click.echo(f"Wrote {output}", err=True)
        return
    if fmt == "json":
        import json

        text = json.dumps(s.to_dict(), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        text = payments.render_csv(s)
    else:
        text = payments.render_text(s)
    write_output(text, output, ledger=path)
