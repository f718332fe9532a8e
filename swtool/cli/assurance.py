"""The PMO's spot checks: ``sample``, ``samples`` and ``spotcheck`` (App 2 §1.1, §3.3).

Registered on the ``swtool`` command by ``swtool.cli`` (imported at its end). Thin shells over
``swtool.ledger.assurance`` and ``swtool.ledger.evidence_requests``; nothing heavy is imported at
module level.
"""

from __future__ import annotations

from pathlib import Path

import click

from swtool.cli import _clip, _db_option, _guard_ledger_output, _open_ledger, _quarter_arg, cli
from swtool.errors import SwtoolError


def _risks(it) -> str:
    return ", ".join(it.risks) or "-"


def _amount(it) -> str:
    from swtool.calc import money

    return "-" if it.amount is None else money.gbp(it.amount)


def _weights_words(method: dict) -> list[str]:
    claims = ", ".join(f"{k} +{v}" for k, v in method.get("claim weights", {}).items())
    trans = ", ".join(f"{k} +{v}" for k, v in method.get("transaction weights", {}).items())
    return [
        f"Weights: every item {method.get('base weight')}; claims: {claims}; transactions: {trans}",
        f"Size: {method.get('size words')}; half of each, rounded up, drawn by weight, the rest at random "
        f"({method.get('algorithm')})",
    ]


def _items_table(sample, results: dict | None = None) -> str:
    from tabulate import tabulate

    rows = []
    for it in sample.drawn:
        row = [
            it.seq,
            it.contract,
            it.return_id,
            it.kind,
            _clip(it.ref, 24),
            it.client_ref or "-",
            it.output or "-",
            _amount(it),
            it.drawn,
            it.weight,
            _clip(_risks(it), 60),
        ]
        if results is not None:
            r = results.get(it.seq)
            row += ["-" if r is None else r["result"], "-" if r is None else _clip(r["reason"], 50)]
        rows.append(row)
    headers = ["item", "contract", "return", "kind", "ref", "client", "output", "amount", "drawn", "weight", "risks"]
    if results is not None:
        headers += ["result", "reason"]
    return tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)


def _population_table(sample) -> str:
    from tabulate import tabulate

    rows = []
    for p in sample.populations:
        claims = sum(1 for it in p.claims if it.drawn)
        trans = sum(1 for it in p.transactions if it.drawn)
        rows.append(
            [
                p.contract,
                _clip(p.provider, 34),
                "-" if p.return_id is None else p.return_id,
                f"{claims} of {len(p.claims)}",
                f"{trans} of {len(p.transactions)}",
                p.note or "",
            ]
        )
    return tabulate(
        rows,
        headers=["contract", "provider", "return", "claims drawn", "transactions drawn", "note"],
        tablefmt="simple",
        disable_numparse=True,
    )


def _folder(output: str | None, ledger) -> Path:
    """Where the evidence requests go: a folder (made if needed), never inside the ledger's store."""
    from swtool.write.guard import guard_output

    folder = Path(output or ".")
    if folder.exists() and not folder.is_dir():
        raise SwtoolError(f"{folder} is not a folder: -o names the folder the evidence requests are written to")
    guard_output(folder / "spot-check.xlsx", ledger=ledger.path, what="evidence request", allow_stdout=False)
    return folder


def _guard_requests(ledger, sample, folder: Path) -> dict:
    """The evidence requests' paths, each a new file the guard allows (an existing one may hold results)."""
    from swtool.ledger import evidence_requests as er

    paths = er.targets(sample, folder)
    for path in paths.values():
        _guard_ledger_output(str(path), ledger, "evidence request", allow_stdout=False, new_only=True)
    return paths


def _write_requests(ledger, sample, folder: Path, refdata) -> None:
    from swtool.ledger import evidence_requests as er

    paths = _guard_requests(ledger, sample, folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        done = er.write_requests(ledger, sample, paths, refdata)
    except OSError as e:
        raise SwtoolError(
            f"cannot write the evidence requests in {folder}: {e.strerror or e}; the sample is recorded: "
            f"write them again with `swtool samples --id {sample.id} -o FOLDER`"
        ) from None
    for provider, path, n in done:
        click.echo(f"Evidence request: {path} ({_clip(provider, 60)}, {n} item{'s' * (n != 1)})")
    if not done:
        click.echo("No evidence request written: nothing was drawn")


@cli.command("sample")
@click.option("--quarter", required=True, help="The quarter, e.g. 2026/27-Q2.")
@click.option("--contract", help="Only this contract, e.g. SW-L3-01 (default: every contract in term).")
@click.option("--size", type=click.IntRange(min=1), help="Draw N claims and N transactions of each contract.")
@click.option(
    "--percent",
    type=click.IntRange(1, 100),
    help="Draw this share of each contract's claims and transactions (default 10, at least 5 of each).",
)
@click.option(
    "--seed",
    help="Draw with this seed (to draw a recorded sample again); default: a new random seed, recorded with the sample.",
)
@click.option("-o", "--output", metavar="FOLDER", help="Write the evidence requests here (default: this folder).")
@click.option("--dry-run", is_flag=True, help="Draw and show the sample; record nothing, write nothing.")
@_db_option
def sample_cmd(quarter, contract, size, percent, seed, output, dry_run, db):
    """Draw a spot-check sample of a quarter's claims and transactions, record it, and write one
    evidence-request workbook per provider (App 2 §1.1, §3.3).

    Per contract, from the counted return: the claims that count and the Transactions sheet's rows;
    half of each drawn by risk (shared claims, wage progressions within 2% of the threshold,
    self-employment, repeat claims, clients registered in the quarter, waived findings; the largest
    transactions), the rest at random. The seed, the weights and the population are recorded, so the
    same seed draws the same items again (`swtool samples --id N` does so from the record).
    """
    from swtool.ledger import assurance
    from swtool.model.refdata import RefData

    if size is not None and percent is not None:
        raise click.UsageError("give --size or --percent, not both")
    q = _quarter_arg(quarter)
    rule = assurance.SizeRule(size, percent or assurance.DEFAULT_PERCENT)
    refdata = RefData()
    with _open_ledger(db) as ledger:
        folder = None if dry_run else _folder(output, ledger)
        s = assurance.draw(ledger, q, contract, rule, seed, refdata, record=False)
        if folder is not None:
            # the evidence requests are named by the sample's number: refused before anything is recorded
            # when one of them is there already
            s.id = assurance.next_sample_id(ledger)
            _guard_requests(ledger, s, folder)
            assurance.record_sample(ledger, s)
        head = f"Sample {s.id}" if s.id else "Sample (dry run: not recorded)"
        who = f" by {contract}" if contract else ", every contract in term"
        click.echo(f"{head} of {q}{who}: seed {s.seed} (the same seed draws the same items: --seed {s.seed})")
        for line in _weights_words(s.method):
            click.echo(line)
        click.echo("")
        click.echo(_population_table(s))
        click.echo("")
        if s.drawn:
            click.echo(_items_table(s))
            click.echo("")
        if folder is not None:
            _write_requests(ledger, s, folder, refdata)
            click.echo(
                "Record the results: fill in Result and Reason and run `swtool spotcheck FILE.xlsx`, or "
                "`swtool spotcheck record CLAIM_REF --pass|--fail --reason TEXT`"
            )


@cli.command("samples")
@click.option("--quarter", help="Only this quarter, e.g. 2026/27-Q2.")
@click.option("--contract", help="Only samples that drew from this contract.")
@click.option(
    "--id",
    "sample_id",
    type=int,
    help="Show this sample: its items, how each was drawn, its results; and draw it again from its record.",
)
@click.option("-o", "--output", metavar="FOLDER", help="With --id: write its evidence requests again (new files only).")
@_db_option
def samples_cmd(quarter, contract, sample_id, output, db):
    """List the spot-check samples recorded, or show one (--id) with its results."""
    from tabulate import tabulate

    from swtool.ledger import assurance
    from swtool.model.refdata import RefData

    if output is not None and sample_id is None:
        raise click.UsageError("-o writes a sample's evidence requests again: give --id N too")
    q = str(_quarter_arg(quarter)) if quarter else None
    with _open_ledger(db) as ledger:
        if sample_id is None:
            rows = assurance.samples(ledger, q, contract)
            if not rows:
                click.echo(
                    "No spot-check samples recorded" + (" for that quarter or contract" if q or contract else "")
                )
            else:
                click.echo(
                    tabulate(
                        [
                            (
                                r["id"],
                                r["quarter"],
                                r["contract_id"] or "every contract",
                                r["drawn_at"][:10],
                                r["drawn_by"],
                                r["seed"],
                                r["drawn"],
                                r["checked"],
                            )
                            for r in rows
                        ],
                        headers=["id", "quarter", "contracts", "drawn", "by", "seed", "items", "results"],
                        tablefmt="simple",
                        disable_numparse=True,
                    )
                )
            _echo_ad_hoc(assurance.ad_hoc(ledger, contract, q))
            return
        s = assurance.load_sample(ledger, sample_id)
        click.echo(
            f"Sample {s.id} of {s.quarter}, {s.contract or 'every contract in term'}: drawn {s.drawn_at[:19]}Z "
            f"by {s.drawn_by}, seed {s.seed}"
        )
        for line in _weights_words(s.method):
            click.echo(line)
        differ = assurance.redraw(s)
        population = len(s.items)
        if differ:
            click.echo(
                f"Drawn again from its record: {len(differ)} item{'s' * (len(differ) != 1)} differ "
                f"(item, recorded, drawn again: {differ[:10]})"
            )
        else:
            click.echo(
                f"Drawn again from its record (seed, weights, the {population} claims and transactions it was "
                f"drawn from): the same {len(s.drawn)} items"
            )
        click.echo("")
        results = assurance.results(ledger, s)
        click.echo(_items_table(s, results))
        done = sum(1 for it in s.drawn if it.seq in results)
        failed = sum(1 for r in results.values() if r["result"] == "fail")
        click.echo(f"\n{done} of {len(s.drawn)} items have a result: {done - failed} passed, {failed} failed")
        if output is not None:
            _write_requests(ledger, s, _folder(output, ledger), RefData())


def _echo_ad_hoc(rows: list[dict]) -> None:
    if not rows:
        return
    from tabulate import tabulate

    click.echo(f"\nAd-hoc spot checks (in no sample): {len(rows)}")
    click.echo(
        tabulate(
            [
                (
                    r["id"],
                    r["contract_id"],
                    r["quarter"],
                    r["return_id"],
                    r["claim_ref"] or f"{r['sheet']}!A{r['row']}",
                    r["result"],
                    _clip(r["reason"], 50),
                    r["who"],
                    r["at"][:10],
                )
                for r in rows
            ],
            headers=["check", "contract", "quarter", "return", "ref", "result", "reason", "who", "when"],
            tablefmt="simple",
            disable_numparse=True,
        )
    )


class _SpotcheckGroup(click.Group):
    """``swtool spotcheck RESULT.xlsx`` and ``swtool spotcheck record …``: a first argument that is not
    a subcommand is the filled-in workbook."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "workbook", self.commands["workbook"], args
        return super().resolve_command(ctx, args)


@cli.group(
    "spotcheck", cls=_SpotcheckGroup, subcommand_metavar="RESULT.xlsx | record REF ...", invoke_without_command=False
)
@_db_option
@click.pass_context
def spotcheck(ctx, db):
    """Record spot-check results: `swtool spotcheck RESULT.xlsx` (an evidence request with Result and Reason
    filled in) or `swtool spotcheck record REF --pass|--fail --reason TEXT`.

    Append-only: the latest result on a claim or transaction is the one in force. A failed claim no
    longer counts towards the outputs (performance, service credits); a failed transaction is
    disallowed from the invoice (swtool payments).
    """
    ctx.obj = {"db": db}


def _db(db):
    return db if db is not None else (click.get_current_context().obj or {}).get("db")


@spotcheck.command("workbook", hidden=True)
@click.argument("result", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_db_option
def spotcheck_workbook(result, db):
    """Record the results filled in an evidence request."""
    from swtool.ledger import evidence_requests as er

    with _open_ledger(_db(db)) as ledger:
        book, done = er.record_workbook(ledger, result)
    for r in done:
        click.echo(r.line())
    new = sum(1 for r in done if not r.already)
    click.echo(
        f"{result}: sample {book.sample_id}: {new} result{'s' * (new != 1)} recorded, "
        f"{len(done) - new} already recorded, {book.blank} item{'s' * (book.blank != 1)} without a result yet"
    )


@spotcheck.command("record")
@click.argument("ref")
@click.option("--pass", "passed", is_flag=True, help="The evidence was seen.")
@click.option("--fail", "failed", is_flag=True, help="The evidence was missing or wrong.")
@click.option("--reason", required=True, help="What was seen, or what was missing (kept with the result).")
@click.option("--contract", help="The contract, when the claim ref is used by more than one.")
@click.option(
    "--return",
    "return_id",
    type=int,
    help="The return (its id in `swtool returns`); needed for a transaction (REF Transactions!A<row>).",
)
@_db_option
def spotcheck_record(ref, passed, failed, reason, contract, return_id, db):
    """Record one spot-check result: REF is a claim ref (e.g. L7-01-0013) or a transaction's row
    (Transactions!A5, with --return N). A result on an item no sample drew is recorded as an ad-hoc check.
    """
    from swtool.ledger import assurance
    from swtool.model.refdata import RefData

    if passed == failed:
        raise click.UsageError("say --pass or --fail (one of them)")
    with _open_ledger(_db(db)) as ledger:
        r = assurance.record(ledger, ref, "pass" if passed else "fail", reason, contract, return_id, RefData())
    click.echo(r.line())
