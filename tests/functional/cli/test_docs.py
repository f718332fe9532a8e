"""The docs generated from the code are up to date, and every command has help text."""

from pathlib import Path

import pytest

from swtool import catalogue
from swtool.cli import cli
from swtool.cli.docs import rules_markdown

ROOT = Path(__file__).resolve().parents[3]


def test_rules_doc_is_current():
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == rules_markdown(), "docs/rules.md is stale: run `make docs` and commit it"


def test_rules_doc_lists_every_rule_with_its_fix():
    text = rules_markdown()
    for r in catalogue.load_all().values():
        assert f"| {r.code} | `{r.slug}` | {r.severity} |" in text
        assert r.fix.replace("|", "\\|") in text


def _commands(group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*prefix, name))


@pytest.mark.parametrize("path,cmd", list(_commands(cli)), ids=lambda x: " ".join(x) if isinstance(x, tuple) else "")
def test_every_command_has_help(path, cmd):
    assert cmd.help and len(cmd.help.strip()) > 20, f"swtool {' '.join(path)} needs a docstring"
