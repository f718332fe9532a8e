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
from collections.abc import Sequence
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


def shown(text: str) -> str:
    """``text`` as it can be written in UTF-8: a file name that is not valid UTF-8 (its bytes kept by
    Python as lone surrogates) shows its undecodable bytes as U+FFFD, as a terminal or file manager does."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that is no escaped byte
        return text.encode("utf-8", "replace").decode("utf-8")


def os_error_sentence(e: OSError) -> str:
    """One sentence for an error of the disk or the file system (full, read-only, missing, refused)."""
    import errno

    name = shown(str(e.filename)) if e.filename else "a file"
    why = e.strerror or str(e) or type(e).__name__
    if e.errno in (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return (
            f"the disk is full, or a quota or file-size limit was reached: {name} could not be written ({why}); "
            "free some space and run the command again"
        )
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{name} cannot be written or read here ({why}); check its permissions or choose another place"
    return f"{name} could not be read or written ({why})"


def _shown_error(e: UnicodeError):
    """Codec error handler: a character the screen's encoding cannot take (a file name's byte that is not
    valid UTF-8, kept by Python as a lone surrogate) is written as U+FFFD, or ? where even that cannot be."""
    if not isinstance(e, UnicodeEncodeError):  # registered for writing only: any other error stays an error
        raise e
    try:
        mark = "\ufffd".encode(e.encoding)  # as bytes: an encoder takes only ASCII text back from a handler
    except (UnicodeError, LookupError):
        mark = b"?"
    return mark * (e.end - e.start), e.end


def _tolerant_stdout() -> None:
    """A file name that is not valid UTF-8 reaches the screen as U+FFFD rather than stopping the command
    (Python's standard output is strict about such names in some locales, and in tests)."""
    import codecs

    try:
        codecs.lookup_error("swtool-shown")
    except LookupError:
        codecs.register_error("swtool-shown", _shown_error)
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    try:
        if reconfigure is not None:
            reconfigure(errors="swtool-shown")
    except (AttributeError, ValueError, OSError):  # not a text stream that can be told (a test's capture, say)
        pass


class SwtoolGroup(click.Group):
    """Turns library errors into one line on stderr and exit 2, never a traceback."""

    def invoke(self, ctx):
        _tolerant_stdout()
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
        except OSError as e:
            import errno

            if e.errno == errno.EPIPE:  # the reader stopped reading (| head): click ends quietly, exit 1
                raise
            if os.environ.get("SWTOOL_DEBUG"):
                raise
            # the disk, a permission or a missing folder: the world outside, never a bug to report
            click.echo(f"swtool: {os_error_sentence(e)}", err=True)
            ctx.exit(2)
        except Exception as e:  # a bug: say so plainly; the traceback only with SWTOOL_DEBUG=1
            if os.environ.get("SWTOOL_DEBUG"):
                raise
            click.echo(
                f"swtool: internal error ({type(e).__name__}: {e}). Run again with SWTOOL_DEBUG=1 for "
                "details and report it to the council.",
                err=True,
            )
            ctx.exit(2)


@click.group(cls=SwtoolGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="swtool")
def cli():
    """Check, record and report Southwark Works quarterly returns."""
    _configure_logging()


def write_output(text: str, output: str | None, *, inputs=(), ledger=None, what: str = "report") -> None:
    """``text`` to standard output (``output`` None or ``-``) or, atomically, to the file ``output`` once
    ``outguard.guard_output`` agrees: never the ledger (``ledger``: its path), its files, a backup, one of
    the command's ``inputs`` or anything that is not a regular file (exit 2, one sentence). A file name
    that is not valid UTF-8 is written as ``shown`` gives it, so the report stays UTF-8 text."""
    text = shown(text)
    if output in (None, "-"):
        click.echo(text, nl=False)
        return
    from swtool.write.atomic import write_text
    from swtool.write.guard import guard_output

    target = guard_output(output, inputs, ledger, what=what)
    try:
        write_text(target, text)
    except OSError as e:  # a full disk or a folder given as -o is not a bug: say what happened
        raise SwtoolError(f"cannot write {output}: {e.strerror or e}") from None
    click.echo(f"Wrote {output}", err=True)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--register",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The council's contract register (.xlsx); without it, a prefilled return's Contract sheet is used.",
)
@click.option(
    "--history",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Earlier returns of the same contract (files or folders); repeatable.",
)
@click.option(
    "--evidence",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of evidence files: every Evidence reference must name a readable file in it (C215).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True)
@click.option("-o", "--output", help="Write the report to this file instead of the screen.")
@click.option("--today", help="Count deadlines from this date (YYYY-MM-DD) instead of today.")
@click.option(
    "--setting",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="Choose the other reading where the specification contradicts itself (`swtool rules --settings` lists them).",
)
@click.option(
    "--annotate",
    "annotate_to",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[OUT.xlsx]",
    help="Also write a copy of the workbook with every problem marked and a Findings sheet; alone, "
    "beside each input as NAME.annotated.xlsx (put it after FILES, or write --annotate=OUT.xlsx).",
)
@click.option(
    "--receipt",
    is_flag=True,
    help="Also write FILE.receipt.json beside each input: its sha256, the tool, rules and reference-data "
    "versions used, and the findings counted by severity and code.",
)
@click.option(
    "--redact",
    is_flag=True,
    help="Leave cell values and personal or free-text details (ages, postcodes, notes, narrative, anything "
    "typed in place of a code, date or number) out of the report; client refs, codes and dates stay.",
)
def check(files, register, history, evidence, fmt, output, today, settings, annotate_to, receipt, redact):
    """Check quarterly returns before they are sent (FILES: .xlsx files or folders).

    Exit status: 0 no errors, 1 errors found, 2 could not run.
    """
    from swtool import catalogue, engine
    from swtool.engine import expand, load_history
    from swtool.model.refdata import RefData
    from swtool.model.settings import load as load_settings

    day = _today(today)
    paths = expand(list(files))
    # everything this run reads: no output may be written over it (swtool.write.guard), checked before any work
    inputs = [*paths, register, *expand(list(history)), evidence]
    _guard_check_outputs(paths, inputs, output, receipt)
    targets = _annotation_targets(paths, annotate_to, inputs) if annotate_to is not None else {}
    refdata = RefData()
    cfg = load_settings(register, list(settings))
    if paths:  # the first return's child reads while the register and the history are read
        from swtool.read.submission import start_early

        start_early(paths[0], reader=cfg.get("reader", "calamine"))
    from swtool.checks.context import CheckContext  # (the rules load while that child reads)

    reg = None
    if register:
        from swtool.read.register import read_register

        reg = read_register(register, refdata)
    hist, notes = load_history(list(history), refdata, reader=cfg["reader"]) if history else ([], [])
    ctx = CheckContext(refdata, cfg, day, reg, hist, bool(history), evidence)
    reports, checked, receipts = [], [], {}
    for done in engine.run(paths, ctx, pmo_view=True):  # one file at a time, each as it is checked
        path, report, sub = done.path, done.report, done.submission
        try:
            if evidence is not None:
                from swtool.checks.evidence_files import evidence_line

                report.evidence = evidence_line(sub, evidence)
            shown = report
            if redact:
                from swtool.report.redact import redact_report

                shown = redact_report(report, sub, refdata)
        except SwtoolError:
            raise
        except Exception as e:  # noqa: BLE001 (one file's report never stops the others: S001 for it)
            log.exception("reporting on %s failed", path)
            report = shown = engine.not_checked(path, ctx, e)
        if receipt:
            receipts[path] = _receipt(path, report, day, register, history, evidence, receipts)
        checked.append((path, report))
        reports.append(shown)
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
        from swtool.model.settings import in_force_words
        from swtool.report.text import render

        ran = {code for code, r in catalogue.load_all().items() if r.stage != "ledger"}
        text = render(reports, refdata, day, in_force_words(cfg, ran))
    write_output(text, output, inputs=inputs)
    failed = _write_receipts(receipts) + (_write_annotations(checked, targets) if annotate_to is not None else 0)
    sys.exit(2 if failed else 0 if all(r.valid for r in reports) else 1)


def _guard_check_outputs(paths: list[Path], inputs: list, output: str | None, receipt: bool) -> None:
    """Refuse, before anything is checked, a report (-o) or a receipt that would land on an input, the
    ledger or its files, a backup, or something that is not a regular file."""
    from swtool.write.guard import guard_output

    if output is not None:
        guard_output(output, inputs, what="report")
    if receipt:
        from swtool.write.receipt import receipt_path

        for p in paths:
            guard_output(receipt_path(p), inputs, what="receipt", allow_stdout=False)


def _annotation_targets(paths: list[Path], annotate_to: str, inputs: Sequence = ()) -> dict[Path, Path]:
    """Each input's annotated copy: OUT.xlsx for one input, NAME.annotated.xlsx beside each otherwise."""
    from swtool.write.annotate import NotAnnotated, check_output, default_output
    from swtool.write.guard import guard_output

    if annotate_to and len(paths) != 1:
        raise click.UsageError(
            f"--annotate {annotate_to} names one copy, but {len(paths)} files are checked; give "
            "--annotate alone to annotate each file beside itself"
        )
    targets = {p: Path(annotate_to) if annotate_to else default_output(p) for p in paths}
    for p, out in targets.items():
        if any(_same(out, q) for q in paths):
            raise click.UsageError(f"--annotate {out} would overwrite a return being checked")
        guard_output(out, [*paths, *inputs], what="annotated copy", allow_stdout=False)
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
    from swtool.write.annotate import NotAnnotated, annotate, unreadable_reason

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
    from swtool.write import receipt as rc

    # the reference data and rules are the same for every file of a run: taken once
    versions = next(iter(done.values()))["reference_data"] if done else rc.refdata_versions()
    options = {
        "register": str(register) if register else None,
        "history": [str(h) for h in history],
        "evidence": str(evidence) if evidence else None,
        "evidence_count": report.evidence,
    }
    return rc.build(report, path, day, catalogue.ruleset_version(), versions, options=options)


def _write_receipts(receipts: dict) -> int:
    import json

    from swtool.write import receipt as rc

    failed = 0
    for path, data in receipts.items():
        data = json.loads(shown(json.dumps(data, ensure_ascii=False)))  # a file name not valid UTF-8, as shown
        try:
            click.echo(f"Receipt: {rc.write(data, path)}", err=True)
        except OSError as e:
            click.echo(f"No receipt for {path}: {e.strerror or e}", err=True)
            failed += 1
    return failed


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--settings",
    "show_settings",
    is_flag=True,
    help="List the settings instead: where the specification contradicts itself, each reading, its value, "
    "its default and the paragraphs that disagree.",
)
@click.option(
    "--register",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="With --settings: show the values swtool check uses with this contract register (the "
    "swtool-settings.toml beside it).",
)
@click.option(
    "--db",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="With --settings: show the values the PMO's commands use with this ledger (the swtool-settings.toml "
    "beside it).",
)
@click.option("--setting", "settings", multiple=True, metavar="KEY=VALUE", help="With --settings: choose a value.")
def rules(fmt, show_settings, register, db, settings):
    """List every rule: code, slug, severity, spec paragraph and what it checks; --settings lists the settings."""
    if show_settings:
        if register and db:
            raise click.UsageError("give --register or --db, not both")
        _echo_settings(fmt, register or db, settings)
        return
    if register or db or settings:
        raise click.UsageError("--register, --db and --setting go with --settings")
    from swtool import catalogue

    reg = catalogue.load_all()
    if fmt == "json":
        import json

        click.echo(
            json.dumps(
                {"ruleset_version": catalogue.ruleset_version(), "rules": [r.to_dict() for r in reg.values()]},
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    from tabulate import tabulate

    rows = [(r.code, r.slug, r.severity, r.spec, r.description) for r in reg.values()]
    click.echo(
        tabulate(
            rows,
            headers=["code", "slug", "severity", "spec", "checks"],
            tablefmt="simple",
            maxcolwidths=[None, None, None, 24, 60],
        )
    )
    click.echo(
        f"\n{len(reg)} rule{'s' * (len(reg) != 1)}; swtool explain CODE explains one and swtool rules "
        "--settings lists the settings"
    )


def _echo_settings(fmt: str, beside: Path | None, overrides) -> None:
    """``swtool rules --settings``: what every report's "Settings: …" line points at. ``beside``: the register
    or ledger whose folder's settings file is read."""
    from swtool.model.settings import SETTINGS, SETTINGS_FILE
    from swtool.model.settings import load as load_settings

    values = load_settings(beside, list(overrides))
    if fmt == "json":
        import json

        click.echo(
            json.dumps(
                {
                    "settings": [
                        {
                            "key": s.key,
                            "value": values[s.key],
                            "default": s.default,
                            "other": s.other,
                            "decides": s.words,
                            "spec": s.spec,
                            "rules": list(s.used_by),
                        }
                        for s in SETTINGS.values()
                    ]
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    from tabulate import tabulate

    rows = [
        (s.key, values[s.key], s.default, s.other, s.words, s.spec, ", ".join(s.used_by)) for s in SETTINGS.values()
    ]
    click.echo(
        tabulate(
            rows,
            headers=["setting", "value", "default", "other", "what it decides", "spec", "rules"],
            tablefmt="simple",
            disable_numparse=True,
            maxcolwidths=[None, None, None, None, 36, 30, None],
        )
    )
    click.echo("")
    if beside is not None:
        click.echo(f"value: in force with {beside} ({SETTINGS_FILE} beside it, then --setting).")
    else:
        click.echo(
            "value: the default unless --setting chose another; --register REGISTER or --db LEDGER shows the "
            "values in force there."
        )
    click.echo(
        f"The default applies unless {SETTINGS_FILE} beside the contract register (swtool check) or beside the "
        "ledger (the PMO's commands), or --setting KEY=VALUE on the command, chooses another."
    )


@cli.command()
@click.argument("code")
def explain(code):
    """Explain one rule (by code or slug): what it checks, where the spec says so, how to fix it, and
    where in swtool it is found."""
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
    label = "  Found by:      "
    for path in r.found_by:
        try:
            where = str(catalogue.place(path))
        except LookupError:  # a finder moved without its declaration: say the name, never a traceback
            where = path.replace(":", ".")
        click.echo(label + where)
        label = " " * len(label)


@cli.command()
def refdata():
    """Show the reference data in use: what each file covers, its source, and the override folder."""
    from tabulate import tabulate

    from swtool.model.refdata import FILES, POSTCODE_ATTRIBUTION, coverage, load_file, override_dir

    rows, refused = [], []
    for name in FILES:
        f = load_file(name)
        rows.append((name, coverage(f), f.ref.source, f.ref.vintage, "override" if f.overridden else "shipped"))
        if f.refused:
            refused.append(f.refused)
    click.echo(
        tabulate(
            rows,
            headers=["file", "covers", "source", "vintage", "from"],
            tablefmt="simple",
            maxcolwidths=[None, 34, 46, 14, None],
        )
    )
    click.echo("")
    click.echo(f"Override folder: {_tilde(override_dir())}")
    click.echo("  Put a newer file there under the same name (same columns) and it is used instead of the shipped one.")
    for r in refused:
        click.echo(f"  REFUSED: {r}")
    click.echo("")
    click.echo("Licence: Open Government Licence v3.0 for ONS, OS and GOV.UK data. " + POSTCODE_ATTRIBUTION + ".")
    if refused:
        sys.exit(2)


def _tilde(path: Path) -> str:
    """A path under the home folder as ~/…, as a user would type it."""
    try:
        return "~/" + str(Path(path).relative_to(Path.home()))
    except ValueError:
        return str(path)


@cli.group()
def template():
    """Write the council's blank or prefilled workbooks."""


@template.command("return")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--register",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Prefill from this contract register (with --contract and --quarter).",
)
@click.option("--contract", help="Contract ID to prefill, e.g. SW-L3-01.")
@click.option("--quarter", help="Quarter to prefill, e.g. 2026/27-Q2.")
def template_return(output, register, contract, quarter):
    """Write the quarterly return workbook, blank or prefilled for one contract and quarter."""
    from swtool.model.refdata import RefData
    from swtool.write.guard import guard_output
    from swtool.write.templates import write_return

    output = guard_output(output, [register], what="template", allow_stdout=False)
    refdata = RefData()
    facts = q = None
    if register or contract or quarter:
        if not (register and contract and quarter):
            raise click.UsageError("prefilling needs --register, --contract and --quarter together")
        from swtool.model.quarter import Quarter
        from swtool.read.register import read_register

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
    from swtool.model.refdata import RefData
    from swtool.write.guard import guard_output
    from swtool.write.templates import write_register

    output = guard_output(output, what="template", allow_stdout=False)
    write_register(output, RefData())
    click.echo(f"Wrote {output}")


# --- the PMO's ledger ----------------------------------------------------------------------------------
# Each ledger command takes its own --db (the group's options are shared by every command, the
# provider's too). The work is done in swtool.ledger; these commands parse, call and print.


def _db_option(f):
    return click.option(
        "--db",
        "db",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The ledger file (default: ledger.sqlite3 in the user data folder; SWTOOL_DATA_DIR "
        "moves it). Keep it on a local disk.",
    )(f)


def _setting_option(f):
    return click.option(
        "--setting",
        "settings",
        multiple=True,
        metavar="KEY=VALUE",
        help="Choose the other reading where the specification contradicts itself (`swtool rules "
        "--settings` lists them); swtool-settings.toml beside the ledger is read first.",
    )(f)


def _open_ledger(db: Path | None):
    from swtool.ledger import open_ledger

    return open_ledger(db)


def _guard_ledger_output(output, ledger, what: str, allow_stdout: bool = True, new_only: bool = False):
    """``output`` as a Path when a ledger command may write ``what`` there (swtool.write.guard): never the
    ledger, its -wal/-shm, its files/ store, a backup of a ledger, or anything not a regular file."""
    if output is None:
        return None
    from swtool.write.guard import guard_output

    return guard_output(output, ledger=ledger.path, what=what, allow_stdout=allow_stdout, new_only=new_only)


def _ledger_settings(ledger, settings):
    from swtool.model.settings import load as load_settings

    return load_settings(ledger.path, list(settings))


def _quarter_arg(value: str, hint: str = "--quarter"):
    """The quarter every ledger command takes: one like 2026/27-Q2 that the framework's calendar has
    (``store.ledger_quarter``, which the library's decisions use too), else a usage error (exit 2)."""
    from swtool.ledger.store import ledger_quarter

    try:
        return ledger_quarter(value)
    except SwtoolError as e:
        raise click.BadParameter(str(e), param_hint=hint) from None


@cli.group("register")
def register_group():
    """The council's contract register, as kept in the ledger."""


@register_group.command("import")
@click.argument("register", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_db_option
@_setting_option
def register_import(register, db, settings):
    """Import the contract register (REGISTER.xlsx) into the ledger.

    Contracts, targets, budget and milestones are validated; K704/K705 warnings are printed and kept.
    A different register becomes the version in force; earlier versions are kept.
    """
    from swtool.ledger import store
    from swtool.model.refdata import RefData

    with _open_ledger(db) as ledger:
        result = store.import_register(ledger, register, RefData(), _ledger_settings(ledger, settings))
    if result.already:
        click.echo(
            f"{register} is already the register in force (version {result.version}, "
            f"{_count(result.contracts, 'contract')}); nothing changed"
        )
    else:
        click.echo(f"Imported {register} as register version {result.version}: {_count(result.contracts, 'contract')}")
    for w in result.warnings:
        click.echo(f"  warning {w.get('code', '')}  {w.get('message', '')}")


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@_db_option
@_setting_option
@click.option("--today", help="Count deadlines from this date (YYYY-MM-DD) instead of today.")
@click.option(
    "--force",
    is_flag=True,
    help="Import a return even though its quarter is outside its contract's term or not in the calendar.",
)
def import_returns(files, db, settings, today, force):
    """Import quarterly returns into the ledger (FILES: .xlsx files or folders).

    Each file is checked against the register in force, with the ledger's earlier quarters of the
    same contract as history, then stored with its findings. A file already in the ledger changes
    nothing; a second file for the same contract and quarter is its next version.
    Exit status: 0 all stored without errors, 1 some return has errors or is unreadable, 2 could not run.
    """
    from swtool.engine import expand
    from swtool.ledger import store
    from swtool.model.refdata import RefData

    passed = _not_returns(list(files), db)
    if not expand(list(files)):
        names = [shown(p.name) for p, _ in passed]
        why = f" (not returns: {', '.join(names[:10])}{', …' if len(names) > 10 else ''})" if names else ""
        raise SwtoolError("no .xlsx files found in " + ", ".join(str(f) for f in files) + why)
    day = _today(today)
    with _open_ledger(db) as ledger:
        refdata = RefData()
        results = store.import_returns(
            ledger, list(files), refdata, _ledger_settings(ledger, settings), day, force=force
        )
        cross = _cross_for(ledger, refdata, day, results)
    if not results:  # every file named was one of the ledger's own stored copies (files/)
        raise SwtoolError(
            "no returns to import in " + ", ".join(str(f) for f in files) + ": the ledger's own "
            "stored copies (its files/ folder) are never imported again"
        )
    from swtool.report.safe import safe_text

    counts: dict[str, int] = {}
    for r in results:  # file names and what a return says are the sender's: escaped as the check report does
        click.echo(safe_text(f"{r.path}: {r.line()}", limit=4000))
        counts[r.status] = counts.get(r.status, 0) + 1
    for p, why in passed:  # so that no file of a folder is passed over in silence
        click.echo(safe_text(f"{p}: not imported: {why}", limit=4000))
    if passed:
        counts["passed"] = len(passed)
    words = {
        "imported": "imported",
        "already": "already in the ledger",
        "unreadable": "unreadable",
        "unidentified": "without contract or quarter",
        "changed": "not imported",
        "refused": "refused",
        "failed": "not stored",
        "passed": "not a return",
    }
    n = len(results) + len(passed)
    click.echo(f"{n} file{'s' * (n != 1)}: " + ", ".join(f"{c} {words.get(k, k)}" for k, c in counts.items()))
    if cross:
        click.echo(
            f"Across contracts, on the returns just imported and the earlier returns whose claims they repeat "
            f"({len(cross)}):"
        )
        for f in cross:
            click.echo(
                safe_text(
                    f"  {f.severity} {f.code}  {f.contract} {f.quarter} (return {f.return_id}) {f.message}", limit=4000
                )
            )
    bad = any(r.status != "already" and (r.status != "imported" or r.errors) for r in results)
    sys.exit(1 if bad else 0)


def _not_returns(paths: list[Path], db: Path | None = None) -> list[tuple[Path, str]]:
    """The files inside the folders given that an import passes over (it takes .xlsx, .xlsm and .xls), each
    with why. Hidden files (a name starting with "."; .DS_Store, say), a return's own receipt
    (NAME.xlsx.receipt.json, read with it) and the ledger's own files (``db``, its -wal and -shm, its
    files/ store) are left out."""
    from swtool.engine import expand
    from swtool.ledger.db import FILES_DIR, default_path

    ledger = Path(os.path.abspath(db or default_path()))
    own = {Path(f"{ledger}{s}") for s in ("", "-wal", "-shm", "-journal")}
    out: list[tuple[Path, str]] = []
    for folder in paths:
        if not folder.is_dir():
            continue
        taken = set(expand([folder]))
        for f in sorted(folder.rglob("*")):
            if f in taken or f.is_dir() or any(part.startswith(".") for part in f.relative_to(folder).parts):
                continue
            absolute = Path(os.path.abspath(f))
            if absolute in own or ledger.parent / FILES_DIR in absolute.parents:
                continue
            if f.name.endswith(".receipt.json") and f.with_name(f.name[: -len(".receipt.json")]) in taken:
                continue
            if f.name.startswith("~$"):
                why = "Excel's lock file of a workbook open in Excel, not a return"
            elif ".annotated." in f.name:
                why = "a copy marked by swtool check --annotate, not a return"
            else:
                why = f"not an Excel workbook ({f.suffix or 'no extension'}); returns are imported from .xlsx files"
            out.append((f, why))
    return out


@cli.command("returns")
@click.option("--contract", help="Only this contract, e.g. SW-L3-01.")
@click.option("--quarter", help="Only this quarter, e.g. 2026/27-Q2.")
@click.option("--id", "return_id", type=int, help="Show this return (its number in the list) with its findings.")
@click.option(
    "--include-personal",
    is_flag=True,
    help="With --id: show the cell values in findings (ages, postcodes, free text, anything typed in place "
    "of a code), read again from the stored workbook; redacted otherwise.",
)
@click.option("--full", is_flag=True, help="Show every finding, file name and reason whole, not cut to fit a line.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: every field, nothing cut.",
)
@_db_option
def returns_cmd(contract, quarter, return_id, include_personal, full, fmt, db):
    """List the returns in the ledger, every version; --id shows one return's findings and decisions.

    JSON: {returns: [{id, contract, quarter, version, provider, lot, counts, why, submitted, timeliness,
    approval, summary: {error, warning, info}, receipt, file}], received: [{received_at, outcome, file,
    reason}]}; with --id: {return: {… imported_at, imported_by, sha256}, redacted, findings: [{code, slug,
    severity, message, sheet, row, column, header, cell, value, spec, decision: {action, reason, who, at,
    dated}}], across_contracts: [{code, contract, return_id, quarter, cell, claim_ref, client_ref, output,
    other, message}]}.
    """
    from tabulate import tabulate

    from swtool.ledger import store

    if quarter:
        quarter = str(_quarter_arg(quarter))

    def cut(n: int) -> int | None:  # --full: nothing is cut
        return None if full else n

    with _open_ledger(db) as ledger:
        if return_id is not None:
            from swtool.ledger import views
            from swtool.model.refdata import RefData

            r = store.get_return(ledger, return_id)
            rows = views.return_findings(ledger, return_id, RefData(), include_personal)
            if fmt == "json":
                _echo_json(_return_json(ledger, r, rows, include_personal))
                return
            click.echo(
                f"Return {r['id']}: {r['contract_id']} {r['quarter']} version {r['version']} · "
                f"{r['provider']} · lot {r['lot']}"
            )
            click.echo(
                f"  submitted {r['date_submitted'] or '-'}; imported {r['imported_at'][:19]}Z by "
                f"{r['imported_by']} from {r['source_name']}; sha256 {r['sha256']}"
            )
            click.echo(
                f"  {_count(r['errors'], 'error')}, {_count(r['warnings'], 'warning')}, {r['infos']} info; "
                f"receipt: {r['receipt_status'] or 'none'}"
            )
            from swtool.ledger.retention import retained_words  # a run took its personal data out: say so

            click.echo(retained_words(ledger, r["id"]), nl=False)
            click.echo("")
            table = [
                (f["code"], f["severity"], f["cell"], f["decision"] or "-", _clip(f["message"], cut(90))) for f in rows
            ]
            title = "finding" if include_personal else "finding (redacted)"
            click.echo(
                tabulate(
                    table,
                    headers=["code", "severity", "cell", "decision", title],
                    tablefmt="simple",
                    disable_numparse=True,
                )
            )
            if not full and any(len(_clip(f["message"], None)) > 90 for f in rows):
                click.echo("(findings cut at 90 characters: --full shows them whole)")
            _echo_standing(ledger, r, full)
            return
        from swtool.model.refdata import RefData

        rows = store.versions(ledger, RefData(), contract, quarter)
        refused = [] if contract or quarter else store.received(ledger)
        cross = _cross_by_return(ledger, rows) if fmt != "json" and rows else {}
    if fmt == "json":
        from swtool.ledger import views

        _echo_json(views.returns_dict(rows, refused))
        return
    if not rows:
        click.echo("No returns in the ledger" + (" for that contract or quarter" if contract or quarter else ""))
    else:
        table = [
            (
                r["id"],
                r["contract_id"],
                r["quarter"],
                r["version"],
                _counts_words(r),
                r["date_submitted"] or "-",
                r["timeliness"],
                r["approval"] or "-",
                r["errors"],
                r["warnings"],
                r["receipt_status"] or "-",
                _clip(r["source_name"], cut(40)),
            )
            for r in rows
        ]
        click.echo(
            tabulate(
                table,
                headers=[
                    "id",
                    "contract",
                    "quarter",
                    "version",
                    "counts",
                    "submitted",
                    "timeliness",
                    "approval",
                    "errors",
                    "warnings",
                    "receipt",
                    "file",
                ],
                tablefmt="simple",
                disable_numparse=True,
            )
        )
        if cross:
            click.echo(
                "\nAcross contracts (worked out now; `swtool returns --id N` shows them): "
                + "; ".join(
                    f"return {rid}: {', '.join(f'{n} {code}' for code, n in sorted(codes.items()))}"
                    for rid, codes in sorted(cross.items())
                )
            )
    _echo_received(refused, full)


def _cross_by_return(ledger, rows: list[dict]) -> dict[int, dict[str, int]]:
    """return id -> {C219 | C220: how many}, for the listed returns' claims (across every contract)."""
    from swtool.ledger.crosscheck import cross_findings
    from swtool.model.refdata import RefData

    listed = {r["id"] for r in rows}
    out: dict[int, dict[str, int]] = {}
    for f in cross_findings(ledger, RefData()):
        if f.return_id in listed:
            out.setdefault(f.return_id, {}).setdefault(f.code, 0)
            out[f.return_id][f.code] += 1
    return out


def _echo_json(data) -> None:
    import json

    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _return_json(ledger, r: dict, rows: list[dict], include_personal: bool) -> dict:
    from swtool.ledger import store, views
    from swtool.ledger.crosscheck import cross_findings
    from swtool.model.refdata import RefData

    refdata = RefData()
    version = next(x for x in store.versions(ledger, refdata, r["contract_id"], r["quarter"]) if x["id"] == r["id"])
    return views.return_dict(r, version, rows, cross_findings(ledger, refdata, return_id=r["id"]), include_personal)


def _cross_for(ledger, refdata, today, results) -> list:
    """C219/C220 on the claims of the returns an import just stored (across every contract), and the
    C219 the import brings onto other contracts' earlier returns: the same start claimed again."""
    ids = {r.return_id for r in results if r.status == "imported" and r.return_id}
    if not ids:
        return []
    from swtool.ledger.crosscheck import cross_findings

    imported = {r.contract for r in results if r.return_id in ids}
    return [
        f
        for f in cross_findings(ledger, refdata, today)
        if f.return_id in ids or (f.code == "C219" and imported & set(f.other.split(", ")))
    ]


def _echo_standing(ledger, r: dict, full: bool = False) -> None:
    """Under one return's findings: whether this version counts, its approval, and the claims other
    contracts also make (C219, C220, worked out across the ledger now)."""
    from swtool.ledger import store
    from swtool.ledger.crosscheck import cross_findings
    from swtool.model.refdata import RefData

    refdata = RefData()
    v = next(x for x in store.versions(ledger, refdata, r["contract_id"], r["quarter"]) if x["id"] == r["id"])
    click.echo(f"\n  {v['timeliness']}; counts: {_counts_words(v)}; approval: {v['approval'] or 'not reviewed'}")
    cross = cross_findings(ledger, refdata, return_id=r["id"])
    if cross:
        click.echo(f"\nAcross contracts ({len(cross)}):")
        for f in cross:
            click.echo(f"  {f.severity} {f.code}  {_clip(f.message, None if full else 400)}")


def _counts_words(r: dict) -> str:
    from swtool.ledger.views import counts_words

    return counts_words(r)


def _echo_received(refused: list[dict], full: bool = False) -> None:
    """Files received but not imported, so that none is forgotten: the PMO asks the provider again."""
    if not refused:
        return
    from tabulate import tabulate

    click.echo(
        f"\n{len(refused)} file{'s' * (len(refused) != 1)} received but not imported (ask the provider "
        "for a readable return):"
    )
    click.echo(
        tabulate(
            [
                (
                    r["received_at"][:10],
                    r["outcome"],
                    _clip(r["source_name"], None if full else 40),
                    _clip(r["reason"], None if full else 90),
                )
                for r in refused
            ],
            headers=["received", "outcome", "file", "why"],
            tablefmt="simple",
            disable_numparse=True,
        )
    )


def _clip(text, n: int | None) -> str:
    """One line of at most ``n`` characters (any length when ``n`` is None), control characters removed."""
    if text is None:
        return "-"
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in str(text)).split())
    return text if n is None or len(text) <= n else text[: n - 1] + "…"


@cli.group("decide")
def decide():
    """Record the PMO's decisions (append-only: a new decision replaces the one in force)."""


def _action_options(*actions):
    """``--accept``, ``--query``, ``--waive`` …: a group of flags of which at most one may be given; the
    command receives it as ``action`` (None when none is). Two at once are refused (exit 2), never
    settled by whichever came last."""
    import functools

    def dest(a: str) -> str:
        return "action_" + a.replace("-", "_")

    def deco(f):
        @functools.wraps(f)
        def command(*args, **kwargs):
            chosen = [a for a in actions if kwargs.pop(dest(a))]
            if len(chosen) > 1:
                raise click.UsageError(
                    f"{' and '.join('--' + a for a in chosen)} are two decisions: give one of "
                    f"{', '.join('--' + a for a in actions)}"
                )
            return f(*args, action=chosen[0] if chosen else None, **kwargs)

        for a in reversed(actions):
            command = click.option(f"--{a}", dest(a), is_flag=True, help=f"Record the decision '{a}'.")(command)
        return command

    return deco


def _dated_option(f):
    return click.option(
        "--today",
        help="Date the decision as of this day (YYYY-MM-DD) instead of today; the time it is recorded is kept as well.",
    )(f)


def _decision_day(today: str | None) -> date | None:
    """The day a decision is dated: ``--today`` when given; None dates it by the clock (``at``)."""
    return _today(today) if today else None


@decide.command("finding")
@click.argument("return_id", type=int)
@click.argument("code")
@click.argument("cell")
@_action_options("accept", "query", "waive")
@click.option("--reason", required=True, help="Why (kept with the decision).")
@_dated_option
@_db_option
def decide_finding(return_id, code, cell, action, reason, today, db):
    """Accept, query or waive a finding of a return (CELL as shown, e.g. Claims!D5; - for the whole return).

    Waiving every error on a claim's row makes the claim count towards the outputs.
    """
    from swtool.ledger import store

    if action is None:
        raise click.UsageError("say --accept, --query or --waive")
    day = _decision_day(today)
    with _open_ledger(db) as ledger:
        d = store.decide_finding(ledger, return_id, code, cell, action, reason, day)
    click.echo(
        f"Decision {d.id}: {d.action} {code.upper()} at {d.target.rsplit(':', 1)[-1]} of return {return_id} "
        f"({d.who}, {d.when})"
    )


@decide.command("credit")
@click.argument("contract")
@click.option("--quarter", required=True, help="The quarter, e.g. 2026/27-Q2.")
@click.option("--output", required=True, help="The core output: 2 or 4 (lot 9: 1 or 4).")
@_action_options("apply", "waive")
@click.option("--reason", required=True, help="Why (kept with the decision).")
@_dated_option
@_db_option
@_setting_option
def decide_credit(contract, quarter, output, action, reason, today, db, settings):
    """Apply or waive the service credits of one core output of a contract in a quarter."""
    from swtool.calc.money import gbp, json_number
    from swtool.ledger import views

    if action is None:
        raise click.UsageError("say --apply or --waive")
    q = _quarter_arg(quarter)
    day = _decision_day(today)
    with _open_ledger(db) as ledger:
        d, line = views.decide_credit(
            ledger, contract, q, output, action, reason, _ledger_settings(ledger, settings), day
        )
    n = json_number(line.credits)
    click.echo(
        f"Decision {d.id}: {action} service credits for {contract} {q} output {output} "
        f"({n} credit{'' if n == 1 else 's'}, {gbp(line.amount)}) ({d.who}, {d.when})"
    )
    if not line.due:
        click.echo(f"Note: no service credits are due on these figures: {line.reason}", err=True)


@cli.command("status")
@click.option("--quarter", required=True, help="The quarter, e.g. 2026/27-Q2.")
@click.option("--today", help="Count deadlines from this date (YYYY-MM-DD) instead of today.")
@click.option("--full", is_flag=True, help="One line per contract: providers, returns and outputs not wrapped.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: every figure, as described above.",
)
@_db_option
@_setting_option
def status_cmd(quarter, today, full, fmt, db, settings):
    """Every contract in a quarter: return received, on time, late or missing; errors and warnings; core
    output percentages; service credits due; remedial action plans.

    JSON: {quarter, today, deadline: {reporting, final}, setting, contracts: [{contract, provider, lot,
    in_term, contract_quarter, received, return_id, versions, timeliness, submitted, approval, errors,
    warnings, outputs: [{output, target, actual, percent, credits, amount, status}], credits_due, rap: {id,
    status, overdue, review_date}, rap_needed, not_counted}], others, credits_due}; money as text
    ("8250.00").
    """
    from swtool.ledger import views
    from swtool.model.refdata import RefData

    q = _quarter_arg(quarter)
    with _open_ledger(db) as ledger:
        report = views.status(ledger, q, _today(today), RefData(), _ledger_settings(ledger, settings))
    if fmt == "json":
        _echo_json(report.to_dict())
        return
    click.echo(views.render_status(report, full), nl=False)


@cli.command("credits")
@click.option("--quarter", required=True, help="The quarter, e.g. 2026/27-Q2.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "xlsx"]), default="text", show_default=True)
@click.option("-o", "--output", help="Write to this file instead of the screen (needed for xlsx).")
@_db_option
@_setting_option
def credits_cmd(quarter, fmt, output, db, settings):
    """Service credits of every contract for a quarter, with every input and the PMO's decisions.

    JSON: {quarter, setting, contracts: [{contract, provider, lot, contract_quarter, outputs: [{output,
    target, actual, percent, credit_value, credits, amount, status}]}]}; money as text with two
    decimals ("1540.00"), counts and percentages as numbers; status pending, applied, waived or not due.
    CSV and xlsx: the schedule, one row an output with the decision in force, then the totals applied,
    pending, waived, and due and not waived (the review's Export writes the same files).
    """
    from swtool.ledger import store, views

    if fmt == "xlsx" and output in (None, "-"):
        raise click.UsageError("--format xlsx needs -o FILE.xlsx")
    q = _quarter_arg(quarter)
    with _open_ledger(db) as ledger:
        target = _guard_ledger_output(output, ledger, "report")
        report = views.credit_report(ledger, q, _ledger_settings(ledger, settings))
        decided = store.credit_decisions(ledger, str(q)) if fmt in ("csv", "xlsx") else {}
    if fmt == "xlsx":
        from swtool.ledger.exports import write_credits_xlsx

        write_credits_xlsx(report, decided, target)
        click.echo(f"Wrote {output}", err=True)
        return
    if fmt == "json":
        import json

        text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        from swtool.ledger.exports import credits_csv

        text = credits_csv(report, decided)
    else:
        text = views.render_credits(report)
    write_output(text, output, ledger=ledger.path)


@cli.command("performance")
@click.option("--quarter", required=True, help="The quarter, e.g. 2026/27-Q2.")
@click.option("--contract", help="Only this contract, e.g. SW-L3-01.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-o", "--output", help="Write to this file instead of the screen.")
@_db_option
@_setting_option
def performance_cmd(quarter, contract, fmt, output, db, settings):
    """Every output against its profile for a quarter: K701 variances, K702 under-performance, K703
    shared outputs, and each contract to date.

    JSON: {quarter, setting, contracts: [{contract, provider, lot, contract_quarter, return, outputs:
    [{output, target, target_basis, actual, variance_percent, flagged, target_to_date, actual_to_date,
    percent_to_date}], shared: {job_starts, shared, percent, over}, flags: [{code, message}]}]}.
    """
    from swtool.ledger import views
    from swtool.model.refdata import RefData

    q = _quarter_arg(quarter)
    with _open_ledger(db) as ledger:
        _guard_ledger_output(output, ledger, "report")
        report = views.performance(ledger, q, _ledger_settings(ledger, settings), contract, RefData())
    if fmt == "json":
        import json

        text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    else:
        text = views.render_performance(report)
    write_output(text, output, ledger=ledger.path)


class _DefaultCommandGroup(click.Group):
    """``swtool rap CONTRACT …`` runs the ``new`` command; ``swtool rap list`` and ``rap close`` their own."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["new", *args]
        return super().parse_args(ctx, args)


@cli.group("rap", cls=_DefaultCommandGroup)
def rap_group():
    """Remedial action plans: swtool rap CONTRACT --quarter Q -o RAP.xlsx writes and records one;
    rap list shows the open ones; rap close ID --reason TEXT closes one."""


@rap_group.command("new")
@click.argument("contract")
@click.option("--quarter", required=True, help="The quarter of the under-performance, e.g. 2026/27-Q2.")
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The plan to write (.xlsx)."
)
@click.option("--review", help="Review date (YYYY-MM-DD); default: the next quarter's reporting deadline.")
@click.option("--reason", help="Why the plan is opened (default: the core outputs at or below 70%).")
@click.option("--today", help="Date the plan as of this day (YYYY-MM-DD) instead of today.")
@_db_option
@_setting_option
def rap_new(contract, quarter, output, review, reason, today, db, settings):
    """Write a remedial action plan for a contract and quarter, and record it as open."""
    from swtool.ledger import rapplan
    from swtool.model.refdata import RefData

    q = _quarter_arg(quarter)
    review_day = _today(review) if review else None
    with _open_ledger(db) as ledger:
        output = _guard_ledger_output(output, ledger, "plan", allow_stdout=False)
        rap_id, plan_path, review_day = rapplan.create(
            ledger,
            contract,
            q,
            output,
            RefData(),
            _ledger_settings(ledger, settings),
            _today(today),
            review_day,
            reason,
        )
    click.echo(f"Remedial action plan {rap_id} for {contract} {q} recorded as open (review {review_day.isoformat()})")
    click.echo(f"Wrote {plan_path}")


@rap_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Closed plans too.")
@click.option("--today", help="Count overdue reviews from this date (YYYY-MM-DD) instead of today.")
@_db_option
def rap_list(show_all, today, db):
    """Open remedial action plans, and those whose review date has passed; under them, each plan's actions
    (swtool rap action add) with their state."""
    from tabulate import tabulate

    from swtool.ledger import store
    from swtool.ledger.visits import plan_actions

    day = _today(today)
    with _open_ledger(db) as ledger:
        rows = store.raps(ledger, day, include_closed=show_all)
        by_plan = plan_actions(ledger, day)  # each plan's review goes through its actions (swtool rap action add)
    if not rows:
        click.echo("No open remedial action plans" if not show_all else "No remedial action plans")
        return
    table = [
        (
            r["id"],
            r["contract_id"],
            r["quarter"],
            r["status"],
            r["review_date"],
            "OVERDUE" if r["overdue"] else "-",
            r["opened"],
            r["created_by"],
            _clip(r["last_reason"], 50),
        )
        for r in rows
    ]
    click.echo(
        tabulate(
            table,
            headers=["id", "contract", "quarter", "status", "review", "overdue", "opened", "by", "last decision"],
            tablefmt="simple",
            disable_numparse=True,
        )
    )
    overdue = sum(1 for r in rows if r["overdue"])
    if overdue:
        click.echo(f"\n{overdue} plan{'s' * (overdue != 1)} overdue for review (review date before {day.isoformat()})")
    from swtool.cli.visits import echo_plan_actions

    echo_plan_actions(rows, by_plan)


@rap_group.command("close")
@click.argument("rap_id", type=int)
@click.option("--reason", required=True, help="Why the plan is closed (kept with the decision).")
@_dated_option
@_db_option
def rap_close(rap_id, reason, today, db):
    """Close a remedial action plan (the reason is recorded as a decision)."""
    from swtool.ledger import store

    day = _decision_day(today)
    with _open_ledger(db) as ledger:
        d = store.close_rap(ledger, rap_id, reason, day)
    click.echo(f"Remedial action plan {rap_id} closed (decision {d.id}, {d.who}, {d.when})")


@cli.command("review")
@click.option(
    "--quarter",
    help="The quarter to open on, e.g. 2026/27-Q2 (default: the latest whose reporting "
    "deadline has passed); [ and ] move between quarters.",
)
@click.option("--today", help="Count deadlines from this date (YYYY-MM-DD) instead of today.")
@click.option(
    "--plans",
    "plans_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Where new remedial action plans are written by default.",
)
@_db_option
@_setting_option
def review_cmd(quarter, today, plans_dir, db, settings):
    """Review the quarter's returns in a terminal UI: status, findings to accept, query or waive, outputs
    against profile, service credits to apply or waive, remedial action plans, and imports.

    Every decision is recorded in the ledger as `swtool decide` and `swtool rap` record them.
    """
    from swtool.ledger import store, views
    from swtool.model.refdata import RefData

    day = _today(today)
    refdata = RefData()
    q = _quarter_arg(quarter) if quarter else views.default_quarter(refdata, day)
    with _open_ledger(db) as ledger:
        if store.current_register(ledger) is None:
            raise SwtoolError(
                "the ledger has no contract register yet: run `swtool register import REGISTER.xlsx` first"
            )
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise SwtoolError("swtool review needs a terminal; for a report use swtool status, credits or performance")
        from swtool.tui.app import ReviewApp, Session

        session = Session(ledger, refdata, _ledger_settings(ledger, settings), day, q, plans_dir.expanduser())
        ReviewApp(session).run()


@cli.group("report")
def report_group():
    """Reports from the ledger."""


@cli.group("db")
def db_group():
    """The ledger file itself."""


@db_group.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--db-only", is_flag=True, help="Copy the database only, not the stored returns (files/).")
@click.option("--parents", is_flag=True, help="Create PATH's folder (and those above it) if it does not exist.")
@_db_option
def db_backup(path, db_only, parents, db):
    """Back up the ledger to PATH with SQLite's backup API (never copy the .db file by hand: while the
    write-ahead log holds commits, a copied file lacks them). The stored returns are copied to
    files/ beside PATH, so the backup opens as a complete ledger (swtool status --db PATH). PATH's
    folder must exist unless --parents is given (a mistyped folder is not made silently)."""
    folder = path.parent
    if not parents and not folder.is_dir():
        if folder.exists() or folder.is_symlink():
            raise SwtoolError(f"{folder} is not a folder, so no backup can be written in it")
        raise SwtoolError(
            f"the folder {folder} does not exist, so no backup was made; create it, or give --parents "
            "to have it created"
        )
    with _open_ledger(db) as ledger:
        path = _guard_ledger_output(path, ledger, "backup", allow_stdout=False, new_only=True)
        result = ledger.backup(path, with_files=not db_only)
        n = ledger.conn.execute("SELECT count(*) FROM decisions").fetchone()[0]
        r = ledger.conn.execute("SELECT count(*) FROM returns").fetchone()[0]
    click.echo(f"Backed up {ledger.path} to {result.path}: {_count(r, 'return')}, {_count(n, 'decision')}")
    if result.files_dir is not None:
        click.echo(
            f"Stored returns: {result.files_copied} new file{'s' * (result.files_copied != 1)} copied to "
            f"{result.files_dir}"
        )


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


@db_group.command("check")
@_db_option
def db_check(db):
    """Check the ledger file without changing it: SQLite's integrity_check (every page and every index),
    the schema against swtool's, the foreign keys, and the stored returns in files/ beside it (each
    present and matching its sha256). Exit status: 0 ok, 1 damaged, 2 could not run."""
    from swtool.ledger import db as ledger_db

    result = ledger_db.check(db)
    if result.ok:
        n = result.counts
        click.echo(
            f"ok: {result.path} passed integrity_check (schema {result.schema}); "
            f"{_count(n.get('returns', 0), 'return')}, {_count(n.get('decisions', 0), 'decision')}, "
            f"{_count(result.files, 'stored file')} intact"
        )
        for table, count in n.items():
            click.echo(f"  {table:<20} {count:>8}")
        return
    click.echo(f"damaged: {result.path}")
    for p in result.problems:
        click.echo(f"  {p}")
    click.echo(f"Nothing was changed. {ledger_db.RESTORE_HINT[0].upper()}{ledger_db.RESTORE_HINT[1:]}.")
    sys.exit(1)


@db_group.command("verify")
@_db_option
def db_verify(db):
    """Verify the decisions' hash chain (each decision's hash over its fields and the hash before it)
    and that every table still refuses UPDATE, DELETE and INSERT OR REPLACE (its triggers). Names the
    first decision changed after it was recorded. Exit status: 0 intact, 1 not, 2 could not run."""
    from swtool.ledger import db as ledger_db

    with _open_ledger(db) as ledger:
        result = ledger_db.verify(ledger)
    if result.ok:
        click.echo(
            f"ok: {ledger.path}: the hash chain of its {_count(result.decisions, 'decision')} holds, and "
            f"its {_count(result.tables, 'table')} are append-only"
        )
        return
    click.echo(f"NOT INTACT: {ledger.path}")
    for p in result.problems:
        click.echo(f"  {p}")
    sys.exit(1)


@db_group.command("restore")
@click.argument("backup", type=click.Path(dir_okay=False, path_type=Path))
@_db_option
def db_restore(backup, db):
    """Restore the ledger from BACKUP (made with swtool db backup). The backup is checked first; the
    ledger as it is now is kept beside it (LEDGER.before-restore.<UTC time>); its -wal and -shm are not
    left to be replayed onto the restored file; the backup's stored returns the ledger lacks are copied;
    the result is checked again. A ledger open in another swtool is not restored over."""
    from swtool.ledger import db as ledger_db

    result = ledger_db.restore(backup, db)
    n = result.counts
    click.echo(
        f"Restored {result.path} from {result.backup}: {_count(n.get('returns', 0), 'return')}, "
        f"{_count(n.get('decisions', 0), 'decision')} (schema {result.schema}; integrity_check passed)"
    )
    if result.aside is not None:
        how = (
            "moved aside as it was, since it could not be read as an intact ledger"
            if result.moved
            else "copied with the backup API"
        )
        click.echo(f"The ledger as it was before is kept in {result.aside} ({how})")
    click.echo(
        f"Stored returns: {_count(result.files_copied, 'file')} copied from "
        f"{result.backup.parent / ledger_db.FILES_DIR}"
    )
    for note in result.notes:
        click.echo(f"Note: {note}", err=True)


def _configure_logging() -> None:
    """Internal details (a rule's traceback) go nowhere unless SWTOOL_DEBUG is set: a provider never
    sees a traceback, a developer can ask for one."""
    logger = logging.getLogger("swtool")
    if os.environ.get("SWTOOL_DEBUG"):
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
    elif not logger.handlers:
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


# Each topic's commands live in their own module; importing it registers them with the group.
# isort: off
# the PMO's commands on whole returns and money
from swtool.cli import payments as cli_payments  # noqa: E402,F401
from swtool.cli import retention  # noqa: E402,F401  (swtool retention)

# the reports (swtool report network, report contract)
from swtool.cli import reports as cli_reports  # noqa: E402,F401
from swtool.cli import assurance  # noqa: E402,F401  (spot checks: sample, samples, spotcheck)
from swtool.cli import find  # noqa: E402,F401  (swtool find CLIENT_REF)
from swtool.cli import visits  # noqa: E402,F401  (visit, actions, rap action)
# isort: on


def main():
    _configure_logging()
    cli(prog_name="swtool")


if __name__ == "__main__":  # pragma: no cover
    main()
