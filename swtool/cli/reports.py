"""The reports from the ledger: ``swtool report network`` and ``swtool report contract``.

Registered on ``swtool report`` by ``swtool.cli`` (imported at its end). Each writes an xlsx (``-o``)
or, with ``--format json``, its tables as one JSON document (to ``-o`` or the screen). Nothing heavy
is imported at module level.
"""

from __future__ import annotations

from pathlib import Path

import click

from swtool.cli import (
    _db_option,
    _guard_ledger_output,
    _ledger_settings,
    _open_ledger,
    _setting_option,
    _today,
    report_group,
    write_output,
)
from swtool.errors import SwtoolError

FORMATS = click.Choice(["xlsx", "json"])


def _format_option(f):
    return click.option(
        "--format",
        "fmt",
        type=FORMATS,
        default="xlsx",
        show_default=True,
        help="xlsx: the workbook (needs -o); json: every table, for a BI tool.",
    )(f)


def _today_option(f):
    return click.option("--today", help="Date the report (and count plans overdue) as of this day (YYYY-MM-DD).")(f)


def _save(write, output: Path) -> None:
    """Run ``write`` (which saves the workbook atomically); a full disk or an unwritable folder is one
    sentence, not a traceback."""
    try:
        write()
    except OSError as e:
        raise SwtoolError(f"cannot write {output}: {e.strerror or e}") from None


@report_group.command("network")
@click.option("--year", required=True, help="The financial year, e.g. 2026/27.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The report to write (.xlsx; with --format json, the .json, else the screen).",
)
@_format_option
@_today_option
@_db_option
@_setting_option
def report_network(year, output, fmt, today, db, settings):
    """The network report for a financial year: outputs by lot against target, shared outputs, equality of
    outcome, referrals and value for money, for the network, each lot and each contract.

    JSON: {report, title, period: {first, last}, produced_from: {ledger, settings, reference_data, swtool,
    produced}, tables: [{name, title, notes, columns: [{key, label, kind}], rows: [{key: value}]}]}; counts
    as numbers or "<5" / "[c]" where suppressed, money as text ("1540.00"), percentages in per cent.
    """
    from swtool.ledger import netreport
    from swtool.model.quarter import parse_financial_year
    from swtool.model.refdata import RefData

    if fmt == "xlsx" and (output is None or str(output) == "-"):
        raise click.UsageError("the xlsx report needs -o FILE.xlsx (or --format json)")
    try:
        fy = parse_financial_year(year)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--year") from None
    day = _today(today)
    with _open_ledger(db) as ledger:
        if fmt == "xlsx":
            output = _guard_ledger_output(output, ledger, "network report", allow_stdout=False)
        else:
            _guard_ledger_output(output, ledger, "network report")
        data = netreport.network_data(ledger, fy, RefData(), _ledger_settings(ledger, settings), day)
        path = ledger.path
    if fmt == "json":
        write_output(netreport.to_json(data), None if output is None else str(output), ledger=path)
        return
    from swtool.write.network_report import write_network_report

    _save(lambda: write_network_report(output, data), output)
    click.echo(f"Wrote {output}")


@report_group.command("contract")
@click.argument("contract")
@click.option("--quarter", help="The last quarter to cover, e.g. 2026/27-Q2 (default: the contract's latest return).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The report to write (.xlsx; with --format json, the .json, else the screen).",
)
@_format_option
@_today_option
@_db_option
@_setting_option
def report_contract(contract, quarter, output, fmt, today, db, settings):
    """One contract's story since it started: each output against its profile per quarter and to date,
    spend against budget, service credits due, applied and waived, plans, findings by rule family across
    versions, equality of outcome, referrals and value for money, with charts.

    JSON: as report network's, with contract: {contract, provider, lot, start, end, annual_value}.
    """
    from swtool.ledger import contract_report
    from swtool.model.refdata import RefData

    if fmt == "xlsx" and (output is None or str(output) == "-"):
        raise click.UsageError("the xlsx report needs -o FILE.xlsx (or --format json)")
    day = _today(today)
    with _open_ledger(db) as ledger:
        up_to = None
        if quarter:
            from swtool.cli import _quarter_arg

            up_to = _quarter_arg(quarter)
        if fmt == "xlsx":
            output = _guard_ledger_output(output, ledger, "contract report", allow_stdout=False)
        else:
            _guard_ledger_output(output, ledger, "contract report")
        s = contract_report.story(ledger, contract.strip(), RefData(), _ledger_settings(ledger, settings), day, up_to)
        path = ledger.path
    if fmt == "json":
        write_output(contract_report.to_json(s), None if output is None else str(output), ledger=path)
        return
    from swtool.write.xlsx import save

    wb, _ = contract_report.build(s)
    _save(lambda: save(wb, output), output)
    click.echo(f"Wrote {output}")
