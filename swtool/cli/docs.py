"""Generate docs/rules.md from the catalogue: ``python -m swtool.cli.docs`` (``make docs``); rewrite the
README's example runs from real ones: ``python -m swtool.cli.docs --readme``.

The docs come from the code, so they cannot drift: tests/test_docs.py fails when the committed
rules.md differs from what this writes, and tests/test_readme.py when an example run differs.

An example run in README.md is a fenced block right after the line ``<!-- example -->``: a transcript
of ``$ swtool …`` commands, each followed by what it prints (standard output and error, as a terminal
shows them). A command may end in ``| head -N`` or ``| tail -N``; a line ``…`` alone in an output
stands for the lines left out there (the block keeps as many lines before and after it as it had).
The blocks of the README run in order in one fresh user data folder (so one block's ``swtool import``
is the next one's ledger), from the project's folder, with the samples.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from swtool import catalogue
from swtool.model.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[2]


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def rules_markdown() -> str:
    rules = catalogue.load_all()
    out = [
        "# Rules",
        "",
        "Generated from the rule catalogue by `make docs` (`python -m swtool.cli.docs`); do not edit by hand.",
        "`swtool rules` lists the same catalogue and `swtool explain CODE` explains one rule.",
        "",
        f"Ruleset version: `{catalogue.ruleset_version()}`.",
        "",
        "Severity: **error**: the return cannot be accepted as it stands, or the claim cannot be paid; "
        "**warning**: the PMO must look at it; **info**: a note, or a fix the tool made.",
        "",
    ]
    for letter, family in catalogue.FAMILIES.items():
        members = [r for r in rules.values() if r.code[0] == letter]
        if not members:
            continue
        out += [
            f"## {letter}: {family}",
            "",
            "| code | slug | severity | spec | what it checks | how to fix |",
            "|---|---|---|---|---|---|",
        ]
        for r in members:
            needs = f" *(needs {', '.join(r.needs)})*" if r.needs else ""
            out.append(
                f"| {r.code} | `{r.slug}` | {r.severity} | {_cell(r.spec)} | {_cell(r.description)}{needs} "
                f"| {_cell(r.fix)} |"
            )
        out.append("")
    out += [
        "## Settings",
        "",
        "Where the specification contradicts itself the default reading applies; the other is chosen in "
        "`swtool-settings.toml` beside the contract register, or with `--setting key=value`. Reports show "
        "the settings in force; `swtool rules --settings` prints this table with the values in force.",
        "",
        "| setting | default | other | what it decides | where the spec says so |",
        "|---|---|---|---|---|",
    ]
    for s in SETTINGS.values():
        out.append(f"| `{s.key}` | {s.default} | {s.other} | {_cell(s.words)} | {_cell(s.spec)} |")
    return "\n".join(out) + "\n"


# --- the README's example runs -------------------------------------------------------------------

README = ROOT / "README.md"
MARK = "<!-- example -->"
ELIDED = "…"
_BLOCK = re.compile(r"^" + re.escape(MARK) + r"\n```\n(?P<body>.*?)^```$", re.S | re.M)
_FILTER = re.compile(r"^(head|tail) -(?:n )?(\d+)$")


@dataclass
class Step:
    command: str  # as written after "$ "
    shown: list[str]  # the output lines the block holds (``…`` where lines are left out)


@dataclass
class Example:
    start: int  # where the block's body starts and ends in the README
    end: int
    steps: list[Step]

    @property
    def body(self) -> str:
        return "".join(f"$ {s.command}\n" + "".join(line + "\n" for line in s.shown) for s in self.steps)


def examples(text: str) -> list[Example]:
    """The README's marked example blocks, in order."""
    out = []
    for m in _BLOCK.finditer(text):
        steps: list[Step] = []
        for line in m.group("body").splitlines():
            if line.startswith("$ "):
                steps.append(Step(line[2:].strip(), []))
            elif steps:
                steps[-1].shown.append(line.rstrip())
            else:
                raise ValueError(f"README.md: an example block must start with a `$ swtool …` line, not {line!r}")
        out.append(Example(m.start("body"), m.end("body"), steps))
    return out


def _environment(home: Path) -> dict:
    """A fresh user: its own home (so the user data folder is ``~/.local/share/swtool``) and none of the
    caller's swtool settings (None takes a variable away while the command runs)."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("SWTOOL_") or k == "XDG_DATA_HOME"}
    env.update(HOME=str(home), COLUMNS="100")
    return env


def run(command: str, env: dict) -> list[str]:
    """What ``swtool …`` (with at most a ``| head -N`` or ``| tail -N`` or two) prints on a terminal,
    standard output and error as they come, as lines. The command runs in this process, from the
    project's folder, as ``swtool`` would run it."""
    from click.testing import CliRunner

    from swtool.cli import cli

    parts = [p.strip() for p in command.split("|")]
    args = shlex.split(parts[0])
    if not args or args[0] != "swtool":
        raise ValueError(f"README.md: an example runs swtool, not {parts[0]!r}")
    here = Path.cwd()
    os.chdir(ROOT)
    try:
        result = CliRunner(env=env).invoke(cli, args[1:], prog_name="swtool")
    finally:
        os.chdir(here)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise RuntimeError(f"README.md: `{command}` failed") from result.exception
    lines = [line.rstrip() for line in result.output.splitlines()]
    for f in parts[1:]:
        m = _FILTER.match(f)
        if not m:
            raise ValueError(f"README.md: an example may pipe into head -N or tail -N only, not {f!r}")
        n = int(m.group(2))
        lines = lines[:n] if m.group(1) == "head" else lines[-n:] if n else []
    return lines


def shown(before: list[str], lines: list[str]) -> list[str]:
    """``lines`` as the block shows them: whole, or, where the block had ``…``, as many lines before and
    after it as it had."""
    if ELIDED not in before:
        return lines
    at = before.index(ELIDED)
    head, tail = at, len(before) - at - 1
    if len(lines) <= head + tail:
        return lines
    return lines[:head] + [ELIDED] + (lines[-tail:] if tail else [])


def rerun(text: str) -> tuple[str, list[tuple[Example, str]]]:
    """Run every example of the README ``text``; returns the text with each block as the runs printed it,
    and each example with its new body."""
    out, done, last = [], [], 0
    with tempfile.TemporaryDirectory(prefix="swtool-readme-") as home:
        env = _environment(Path(home))
        for ex in examples(text):
            new = Example(ex.start, ex.end, [Step(s.command, shown(s.shown, run(s.command, env))) for s in ex.steps])
            out += [text[last : ex.start], new.body]
            last = ex.end
            done.append((ex, new.body))
    return "".join(out) + text[last:], done


def update_readme(path: Path = README) -> int:
    """Rewrite the README's example blocks from real runs; returns how many changed."""
    text = path.read_text(encoding="utf-8")
    new, done = rerun(text)
    if new != text:
        from swtool.write.atomic import write_text

        write_text(path, new)
    return sum(1 for ex, body in done if ex.body != body)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--readme"]:
        n = update_readme()
        print(f"README.md: {n} example{'s' * (n != 1)} rewritten from real runs", file=sys.stderr)
        return
    if argv:
        sys.exit("usage: python -m swtool.cli.docs [--readme]")
    path = ROOT / "docs" / "rules.md"
    path.write_text(rules_markdown(), encoding="utf-8")
    print(f"Wrote {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
