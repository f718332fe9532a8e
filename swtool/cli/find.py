"""``swtool find CLIENT_REF``: every return, in every quarter, that names a client ref.

Registered on the ``swtool`` command by ``swtool.cli`` (imported at its end). A thin shell over
``swtool.ledger.find``; nothing heavy is imported at module level.
"""

from __future__ import annotations

import click

from swtool.cli import _db_option, _open_ledger, cli, write_output


@cli.command("find")
@click.argument("client_ref")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-o", "--output", help="Write to this file instead of the screen.")
@_db_option
def find_cmd(client_ref, fmt, output, db):
    """Every registration and claim naming CLIENT_REF in every return of every quarter: the contract,
    quarter, return and version, the row, and whether the claim counts (and why not).

    JSON: {client_ref, found: [{contract, quarter, return_id, version, version_standing, record, cell,
    claim_ref, output, date, row_valid, counts, why}]}; dates as YYYY-MM-DD. Finding nothing is not an
    error (exit 0).
    """
    from swtool.errors import UsageError
    from swtool.ledger import find
    from swtool.model.refdata import RefData

    problem = find.client_ref_problem(client_ref)
    if problem:
        raise UsageError(problem)
    with _open_ledger(db) as ledger:
        found = find.find_client(ledger, client_ref, RefData())
        path = ledger.path
    if fmt == "json":
        import json

        text = json.dumps(find.to_dict(client_ref, found), indent=2, ensure_ascii=False) + "\n"
    else:
        text = find.render_text(client_ref, found)
    write_output(text, output, ledger=path, what="list")
