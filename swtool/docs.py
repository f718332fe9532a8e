"""Generate docs/rules.md from the catalogue: ``python -m swtool.docs`` (``make docs``).

The docs come from the code, so they cannot drift: tests/test_docs.py fails when the committed
file differs from what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from swtool import catalogue
from swtool.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def rules_markdown() -> str:
    rules = catalogue.load_all()
    out = ["# Rules", "",
           "Generated from the rule catalogue by `make docs` (`python -m swtool.docs`); do not edit by hand.",
           "`swtool rules` lists the same catalogue and `swtool explain CODE` explains one rule.", "",
           f"Ruleset version: `{catalogue.ruleset_version()}`.", "",
           "Severity: **error**: the return cannot be accepted as it stands, or the claim cannot be paid; "
           "**warning**: the PMO must look at it; **info**: a note, or a fix the tool made.", ""]
    for letter, family in catalogue.FAMILIES.items():
        members = [r for r in rules.values() if r.code[0] == letter]
        if not members:
            continue
        out += [f"## {letter}: {family}", "", "| code | slug | severity | spec | what it checks | how to fix |",
                "|---|---|---|---|---|---|"]
        for r in members:
            needs = f" *(needs {', '.join(r.needs)})*" if r.needs else ""
            out.append(f"| {r.code} | `{r.slug}` | {r.severity} | {_cell(r.spec)} | {_cell(r.description)}{needs} "
                       f"| {_cell(r.fix)} |")
        out.append("")
    out += ["## Settings", "",
            "Where the specification contradicts itself the default reading applies; the other is chosen in "
            "`swtool-settings.toml` beside the contract register, or with `--setting key=value`. Reports show "
            "the settings in force.", "",
            "| setting | default | other | what it decides | where the spec says so |", "|---|---|---|---|---|"]
    for s in SETTINGS.values():
        out.append(f"| `{s.key}` | {s.default} | {s.other} | {_cell(s.words)} | {_cell(s.spec)} |")
    return "\n".join(out) + "\n"


def main() -> None:
    path = ROOT / "docs" / "rules.md"
    path.write_text(rules_markdown(), encoding="utf-8")
    print(f"Wrote {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
