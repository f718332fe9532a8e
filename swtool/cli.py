"""The ``swtool`` command: a thin shell over the library.

Heavy libraries (pandas, pandera, openpyxl, textual) are imported inside the commands that need
them, so ``swtool --help``, ``swtool rules`` and tab completion start quickly.
Exit codes: 0 no errors; 1 a return has errors; 2 the command could not run (usage, missing or
unreadable input given to a command that is not a check).
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import date
from pathlib import Path

import click

from swtool import __version__
from swtool.errors import SwtoolError

log = logging.getLogger("swtool")


def _today(value: str | None) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form", param_hint="--today") from None


class SwtoolGroup(click.Group):
    """Turns library errors into one line on stderr and exit 2, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SwtoolError as e:
            click.echo(f"swtool: {e}", err=True)
            ctx.exit(2)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("swtool: interrupted", err=True)
            ctx.exit(2)
        except Exception as e:  # a bug: say so plainly; the traceback only with SWTOOL_DEBUG=1
            if os.environ.get("SWTOOL_DEBUG"):
                raise
            click.echo(f"swtool: internal error ({type(e).__name__}: {e}). Run again with SWTOOL_DEBUG=1 for "
                       "details and report it to the council.", err=True)
            ctx.exit(2)


@click.group(cls=SwtoolGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="swtool")
def cli():
    """Check, record and report Southwark Works quarterly returns."""
    _configure_logging()


def write_output(text: str, output: str | None) -> None:
    if output in (None, "-"):
        click.echo(text, nl=False)
        return
    from swtool.atomic import write_text

    try:
        write_text(Path(output), text)
    except OSError as e:  # a full disk or a folder given as -o is not a bug: say what happened
        raise SwtoolError(f"cannot write {output}: {e.strerror or e}") from None
    click.echo(f"Wrote {output}", err=True)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--register", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The council's contract register (.xlsx); without it, a prefilled return's Contract sheet is used.")
@click.option("--history", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Earlier returns of the same contract (files or folders); repeatable.")
@click.option("--evidence", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of evidence files: every Evidence reference must name a readable file in it (C215).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True)
@click.option("-o", "--output", help="Write the report to this file instead of the screen.")
@click.option("--today", help="Count deadlines from this date (YYYY-MM-DD) instead of today.")
@click.option("--setting", "settings", multiple=True, metavar="KEY=VALUE",
              help="Choose the other reading where the specification contradicts itself (see docs/rules.md).")
@click.option("--annotate", "annotate_to", is_flag=False, flag_value="", default=None, metavar="[OUT.xlsx]",
              help="Also write a copy of the workbook with every problem marked and a Findings sheet; alone, "
                   "beside each input as NAME.annotated.xlsx (put it after FILES, or write --annotate=OUT.xlsx).")
@click.option("--receipt", is_flag=True,
              help="Also write FILE.receipt.json beside each input: its sha256, the tool, rules and reference-data "
                   "versions used, and the findings counted by severity and code.")
@click.option("--redact", is_flag=True,
              help="Leave cell values and personal or free-text details (ages, postcodes, notes, narrative) out of "
                   "the report; client refs, codes and dates stay.")
def check(files, register, history, evidence, fmt, output, today, settings, annotate_to, receipt, redact):
    """Check quarterly returns before they are sent (FILES: .xlsx files or folders).

    Exit status: 0 no errors, 1 errors found, 2 could not run.
    """
    from swtool import catalogue
    from swtool.context import CheckContext
    from swtool.engine import check_each, expand, load_history
    from swtool.refdata import RefData
    from swtool.settings import load as load_settings

    day = _today(today)
    targets = _annotation_targets(expand(list(files)), annotate_to) if annotate_to is not None else {}
    refdata = RefData()
    cfg = load_settings(register, list(settings))
    reg = None
    if register:
        from swtool.contract import read_register

        reg = read_register(register, refdata)
    hist, notes = load_history(list(history), refdata) if history else ([], [])
    ctx = CheckContext(refdata, cfg, day, reg, hist, bool(history), evidence)
    reports, checked, receipts = [], [], {}
    for path, report, sub in check_each(list(files), ctx):
        if evidence is not None:
            from swtool.evidence import evidence_line

            report.evidence = evidence_line(sub, evidence)
        if receipt:
            receipts[path] = _receipt(path, report, day, register, history, evidence, receipts)
        checked.append((path, report))
        if redact:
            from swtool.report.redact import redact_report

            report = redact_report(report, sub)
        reports.append(report)
    if not reports:
        raise SwtoolError("no .xlsx files found in " + ", ".join(str(f) for f in files))
    for n in notes:
        click.echo(f"swtool: {n}", err=True)
    if fmt == "json":
        from swtool.report.json_ import render

        text = render(reports, catalogue.ruleset_version())
    elif fmt == "junit":
        from swtool.report.junit import render

        text = render(reports, catalogue.load_all())
    else:
        from swtool.report.text import render

        from swtool.settings import in_force_words

        text = render(reports, refdata, day, in_force_words(cfg, set(catalogue.load_all())))
    write_output(text, output)
    failed = _write_receipts(receipts) + (_write_annotations(checked, targets) if annotate_to is not None else 0)
    sys.exit(2 if failed else 0 if all(r.valid for r in reports) else 1)


def _annotation_targets(paths: list[Path], annotate_to: str) -> dict[Path, Path]:
    """Each input's annotated copy: OUT.xlsx for one input, NAME.annotated.xlsx beside each otherwise."""
    from swtool.annotate import NotAnnotated, check_output, default_output

    if annotate_to and len(paths) != 1:
        raise click.UsageError(f"--annotate {annotate_to} names one copy, but {len(paths)} files are checked; give "
                               "--annotate alone to annotate each file beside itself")
    targets = {p: Path(annotate_to) if annotate_to else default_output(p) for p in paths}
    for p, out in targets.items():
        if any(_same(out, q) for q in paths):
            raise click.UsageError(f"--annotate {out} would overwrite a return being checked")
        try:
            check_output(p, out)
        except NotAnnotated as e:
            raise click.UsageError(f"--annotate: {e}") from None
    return targets


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def _write_annotations(checked, targets: dict[Path, Path]) -> int:
    """Write the annotated copies; returns how many could not be written for a reason other than an
    unreadable input (which is the check's own error)."""
    from swtool import catalogue
    from swtool.annotate import NotAnnotated, annotate, unreadable_reason

    rules, failed = catalogue.load_all(), 0
    for path, report in checked:
        out = targets.get(path)
        if out is None:
            continue
        why = unreadable_reason(report)
        if why:
            click.echo(f"Not annotated: {path} could not be read ({why})", err=True)
            continue
        try:
            annotate(path, report, out, rules)
        except (NotAnnotated, OSError) as e:
            click.echo(f"Not annotated: {path}: {e}", err=True)
            failed += 1
            continue
        click.echo(f"Annotated copy: {out}", err=True)
    return failed


def _receipt(path: Path, report, day, register, history, evidence, done: dict) -> dict:
    from swtool import catalogue
    from swtool import receipt as rc

    # the reference data and rules are the same for every file of a run: taken once
    versions = next(iter(done.values()))["reference_data"] if done else rc.refdata_versions()
    options = {"register": str(register) if register else None, "history": [str(h) for h in history],
               "evidence": str(evidence) if evidence else None, "evidence_count": report.evidence}
    return rc.build(report, path, day, catalogue.ruleset_version(), versions, options=options)


def _write_receipts(receipts: dict) -> int:
    from swtool import receipt as rc

    failed = 0
    for path, data in receipts.items():
        try:
            click.echo(f"Receipt: {rc.write(data, path)}", err=True)
        except OSError as e:
            click.echo(f"No receipt for {path}: {e.strerror or e}", err=True)
            failed += 1
    return failed


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(fmt):
    """List every rule: code, slug, severity, spec paragraph and what it checks."""
    from swtool import catalogue

    reg = catalogue.load_all()
    if fmt == "json":
        import json

        click.echo(json.dumps({"ruleset_version": catalogue.ruleset_version(),
                               "rules": [r.to_dict() for r in reg.values()]}, indent=2, ensure_ascii=False))
        return
    from tabulate import tabulate

    rows = [(r.code, r.slug, r.severity, r.spec, r.description) for r in reg.values()]
    click.echo(tabulate(rows, headers=["code", "slug", "severity", "spec", "checks"], tablefmt="simple",
                        maxcolwidths=[None, None, None, 24, 60]))


@cli.command()
@click.argument("code")
def explain(code):
    """Explain one rule (by code or slug): what it checks, where the spec says so, how to fix it."""
    from swtool import catalogue

    try:
        r = catalogue.get(code)
    except KeyError:
        raise SwtoolError(f"no rule {code!r}; `swtool rules` lists them") from None
    click.echo(f"{r.code} {r.slug} ({r.severity}, {r.family})")
    click.echo(f"  Checks:        {r.description}")
    click.echo(f"  Specification: {r.spec}")
    click.echo(f"  How to fix:    {r.fix}")
    if r.needs:
        click.echo(f"  Needs:         {', '.join(r.needs)}")


@cli.command()
def refdata():
    """Show the reference data in use: what each file covers, its source, and the override folder."""
    from tabulate import tabulate

    from swtool.refdata import FILES, POSTCODE_ATTRIBUTION, coverage, load_file, override_dir

    rows, refused = [], []
    for name in FILES:
        f = load_file(name)
        rows.append((name, coverage(f), f.ref.source, f.ref.vintage, "override" if f.overridden else "shipped"))
        if f.refused:
            refused.append(f.refused)
    click.echo(tabulate(rows, headers=["file", "covers", "source", "vintage", "from"], tablefmt="simple",
                        maxcolwidths=[None, 34, 46, 14, None]))
    click.echo("")
    click.echo(f"Override folder: {override_dir()}")
    click.echo("  Put a newer file there under the same name (same columns) and it is used instead of the "
               "shipped one.")
    for r in refused:
        click.echo(f"  REFUSED: {r}")
    click.echo("")
    click.echo("Licence: Open Government Licence v3.0 for ONS, OS and GOV.UK data. " + POSTCODE_ATTRIBUTION + ".")
    if refused:
        sys.exit(2)


@cli.group()
def template():
    """Write the council's blank or prefilled workbooks."""


@template.command("return")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--register", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Prefill from this contract register (with --contract and --quarter).")
@click.option("--contract", help="Contract ID to prefill, e.g. SW-L3-01.")
@click.option("--quarter", help="Quarter to prefill, e.g. 2026/27-Q2.")
def template_return(output, register, contract, quarter):
    """Write the quarterly return workbook, blank or prefilled for one contract and quarter."""
    from swtool.refdata import RefData
    from swtool.templates import write_return

    refdata = RefData()
    facts = q = None
    if register or contract or quarter:
        if not (register and contract and quarter):
            raise click.UsageError("prefilling needs --register, --contract and --quarter together")
        from swtool.contract import read_register
        from swtool.quarter import Quarter

        try:
            q = Quarter.parse(quarter)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--quarter") from None
        reg = read_register(register, refdata)
        if contract not in reg.contracts:
            raise SwtoolError(f"contract {contract!r} is not in {register} (it has: {', '.join(reg.contracts)})")
        facts = reg.contracts[contract]
    write_return(output, refdata, facts, q)
    click.echo(f"Wrote {output}")


@template.command("register")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def template_register(output):
    """Write a blank contract register for the PMO."""
    from swtool.refdata import RefData
    from swtool.templates import write_register

    write_register(output, RefData())
    click.echo(f"Wrote {output}")


def _configure_logging() -> None:
    """Internal details (a rule's traceback) go nowhere unless SWTOOL_DEBUG is set: a provider never
    sees a traceback, a developer can ask for one."""
    logger = logging.getLogger("swtool")
    if os.environ.get("SWTOOL_DEBUG"):
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
    elif not logger.handlers:
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


def main():
    _configure_logging()
    cli(prog_name="swtool")


if __name__ == "__main__":  # pragma: no cover
    main()
