"""``swtool retention``: the personal data of returns past the council's retention period taken out of the ledger.

Registered on the ``swtool`` command by ``swtool.cli`` (imported at its end). A thin shell over
``swtool.ledger.retention``; nothing heavy is imported at module level.
"""

from __future__ import annotations

import re
import sys
from datetime import date

import click

from swtool.cli import _db_option, _ledger_settings, _open_ledger, _setting_option, _today, cli


def _date_arg(value: str | None, hint: str) -> date | None:
    if value is None:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValueError
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date in YYYY-MM-DD form, e.g. 2020-04-01", param_hint=hint
        ) from None


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def _count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _echo_plan(p, period: str | None) -> None:
    from swtool.model.quarter import uk_date

    click.echo(f"Retention before {p.before.isoformat()} ({period or p.basis})")
    if p.due:
        click.echo(f"Due: contracts that ended, with their last quarter, before {uk_date(p.before)}:")
        for d in p.due:
            quarters = sorted({r["quarter"] for r in d.returns})
            ended = f"ended {uk_date(d.ended)}" if d.ended else "not in the register"
            span = quarters[0] if len(quarters) == 1 else f"{quarters[0]} to {quarters[-1]}"
            click.echo(f"  {d.contract_id}  {d.provider or '-'}  {ended}  {_count(len(d.returns), 'return')}, {span}")
    if p.kept:
        click.echo(
            "Kept whole while the contract runs (its returns are the history its next ones are checked against):"
        )
        for cid, n, why in p.kept:
            click.echo(f"  {cid}  {_count(n, 'return')} before {uk_date(p.before)}: {why}")


def _echo_changes(result, done: bool) -> None:
    regs, claims, findings = (result.count(w) for w in ("registrations", "claims", "findings"))
    files = len(result.files)
    contracts = len(result.plan.due)
    what = (
        f"the client refs and ages of {_count(regs, 'registration')}, the client refs of "
        f"{_count(claims, 'claim')}, the personal text of {_count(findings, 'finding')}"
    )
    if comments := result.count("comments"):
        what += f", the provider's Comment on {_count(comments, 'expenditure line')}"
    if done:
        click.echo(
            f"Retention run {result.run_id} recorded ({result.who}, {result.at[:19]}Z): "
            f"{_count(len(result.changes), 'return')} of {_count(contracts, 'contract')}; replaced {what}"
        )
    else:
        click.echo(
            f"Would replace, in {_count(len(result.changes), 'return')} of {_count(contracts, 'contract')}: "
            f"{what}; would remove {_count(files, 'stored workbook')} from files/"
        )


@cli.command("retention")
@click.option(
    "--before",
    metavar="DATE",
    help="The retention date (YYYY-MM-DD): the returns of contracts that ended, with their last quarter, "
    "before it lose their personal data. Default: today less the retention_years setting.",
)
@click.option("--dry-run", is_flag=True, help="Say what would be done, and change nothing.")
@click.option("--list", "show_runs", is_flag=True, help="List the retention runs recorded, and change nothing.")
@click.option("--today", help="Count the default retention date from this day (YYYY-MM-DD) instead of today.")
@_db_option
@_setting_option
def retention_cmd(before, dry_run, show_runs, today, db, settings):
    """Take the personal data out of the returns past the council's retention period (UK GDPR storage
    limitation; the Information Sharing Agreement, §13.1).

    Goes contract by contract: once a contract ended, and the last quarter it returned ended, before
    the retention date, its returns' client refs become keyed pseudonyms (the same client, the same
    pseudonym), ages the lowest age of their band, personal text in findings is redacted, and the stored
    workbooks are removed. Every total, finding code and cell, decision and service credit stays, so
    status, credits, payments, performance and the network report show the same figures. One
    transaction, recorded in the ledger (swtool retention --list). Refused while a plan of those
    contracts is open, a finding on their returns is queried, or a return is held.

    Exit status: 0 done, or nothing due; 1 refused (a decision on those returns is open, or a stored
    workbook could not be removed); 2 could not run.
    """
    from swtool.ledger import retention
    from swtool.model.refdata import RefData

    day = _today(today)
    given = _date_arg(before, "--before")
    if show_runs:
        retention.existing(db)
        with _open_ledger(db) as ledger:
            _echo_runs(retention.runs(ledger))
        return
    if given is not None and given > day:
        raise click.BadParameter(
            f"{given.isoformat()} is after today ({day.isoformat()}): retention takes out the "
            "personal data of returns already past their date, never ahead of it",
            param_hint="--before",
        )
    if not dry_run:
        retention.existing(db)  # never a new, empty ledger: there is nothing to take out of one
    ledger = retention.open_copy(db) if dry_run else _open_ledger(db)
    with ledger:
        years = _ledger_settings(ledger, settings)["retention_years"]
        default = _years_before(day, years)
        when = given or default
        basis = "--before" if given else f"retention_years={years}"
        period = (
            f"given with --before; the retention period, retention_years={years}, would give {default.isoformat()}"
            if given
            else f"today less the retention period, retention_years={years}"
        )
        p = retention.plan(ledger, when, basis)
        _echo_plan(p, period)
        if given is not None and given > default:
            click.echo(
                f"Note: {given.isoformat()} is within the retention period of {years} years: personal data "
                "go sooner than the ledger's setting requires"
            )
        if p.open:
            click.echo(f"swtool: {retention.refusal(p)}", err=True)
            sys.exit(1)
        if not p.due and not p.leftover:
            click.echo(
                f"Nothing is due: no contract ended, with its last quarter, before {when.isoformat()}; "
                "nothing was changed"
            )
            return
        try:
            result = retention.run(ledger, when, basis, RefData(), dry_run=dry_run)
        except retention.RetentionRefused as e:  # a decision opened meanwhile
            click.echo(f"swtool: {e}", err=True)
            sys.exit(1)
    if result.changes:
        _echo_changes(result, done=not dry_run)
    elif dry_run:
        click.echo(f"Would remove {_count(len(result.files), 'stored workbook')} left in files/ by an earlier run")
    if dry_run:
        click.echo("Dry run: nothing was changed")
        return
    if result.removed:
        click.echo(f"Removed {_count(result.removed, 'stored workbook')} from {ledger.files_dir}")
    if result.not_removed:
        click.echo(
            f"swtool: {_count(len(result.not_removed), 'stored workbook')} could not be removed from "
            f"{ledger.files_dir}: {'; '.join(result.not_removed)}. The ledger's change is recorded; run "
            "swtool retention again once the folder can be written to",
            err=True,
        )
        sys.exit(1)


def _echo_runs(rows: list[dict]) -> None:
    import json

    from tabulate import tabulate

    if not rows:
        click.echo("No retention runs recorded")
        return
    table = [
        (
            r["id"],
            r["at"][:19] + "Z",
            r["who"],
            r["before_date"],
            r["basis"],
            ", ".join(c["contract"] for c in json.loads(r["contracts"])),
            r["returns"],
            r["registrations"],
            r["claims"],
            r["findings"],
            r["files"],
        )
        for r in rows
    ]
    click.echo(
        tabulate(
            table,
            headers=[
                "run",
                "at",
                "by",
                "before",
                "basis",
                "contracts",
                "returns",
                "registrations",
                "claims",
                "findings",
                "files",
            ],
            tablefmt="simple",
            disable_numparse=True,
        )
    )
