"""The README's example runs are real: each block marked ``<!-- example -->`` is run again (in a fresh
user data folder, from the project's folder, on the samples) and must print what the block shows.
``python -m swtool.cli.docs --readme`` rewrites the blocks after a deliberate change."""

from __future__ import annotations

import difflib

import pytest

from swtool.cli import docs

FIX = "run `python -m swtool.cli.docs --readme` (and read the diff before committing it)"


@pytest.fixture(scope="module")
def reruns():
    text = docs.README.read_text(encoding="utf-8")
    return docs.rerun(text)[1]


def test_every_example_is_what_swtool_prints(reruns):
    stale = [(ex, body) for ex, body in reruns if ex.body != body]
    if stale:
        ex, body = stale[0]
        diff = "\n".join(
            difflib.unified_diff(ex.body.splitlines(), body.splitlines(), "README.md", "swtool", lineterm="")
        )
        pytest.fail(
            f"{len(stale)} README example(s) differ from a real run, first `{ex.steps[0].command}`; {FIX}\n{diff}"
        )


def test_the_readme_shows_rules_check_explain_and_the_ledger(reruns):
    commands = [s.command for ex, _ in reruns for s in ex.steps]
    assert "swtool rules" in commands and "swtool rules --settings" in commands
    assert "swtool explain C207" in commands
    assert any(c.startswith("swtool check samples/") and "--today 2026-11-23" in c for c in commands)
    assert any(c.startswith("swtool status --quarter 2026/27-Q2 --today 2026-11-23") for c in commands)
    assert all("docs/rules.md#settings" not in body for _, body in reruns)


# --- the machinery, on a README of its own -----------------------------------------------------------

EXPLAIN = """Intro.

<!-- example -->
```
$ swtool explain C207 | head -2
C207 sustainment-too-early (error, output claims)
  Checks:        something else
```

Unmarked blocks are left alone:

```
$ swtool explain C207
made up
```
"""


def test_a_wrong_line_is_found_and_rewritten_and_unmarked_blocks_are_kept():
    (ex,) = docs.examples(EXPLAIN)
    assert [s.command for s in ex.steps] == ["swtool explain C207 | head -2"]
    new, ((_, body),) = docs.rerun(EXPLAIN)
    assert body != ex.body
    assert body == (
        "$ swtool explain C207 | head -2\nC207 sustainment-too-early (error, output claims)\n"
        "  Checks:        3a/3b achieved less than 26 weeks after the start date\n"
    )
    assert new.replace(body, ex.body) == EXPLAIN and "$ swtool explain C207\nmade up\n" in new
    assert docs.rerun(new)[0] == new  # a rewritten README is current


def test_an_elision_keeps_as_many_lines_before_and_after_it():
    lines = [f"line {i}" for i in range(10)]
    assert docs.shown(["a", "b", docs.ELIDED, "z"], lines) == ["line 0", "line 1", docs.ELIDED, "line 9"]
    assert docs.shown(["a", docs.ELIDED], lines) == ["line 0", docs.ELIDED]
    assert docs.shown(["a", docs.ELIDED, "y", "z"], lines[:3]) == lines[:3]  # nothing to leave out
    assert docs.shown(["a"], lines) == lines


def test_only_swtool_with_head_or_tail_runs():
    with pytest.raises(ValueError, match="runs swtool"):
        docs.run("rm -rf samples", {})
    with pytest.raises(ValueError, match="head -N or tail -N only"):
        docs.run("swtool rules | sh", {})
    assert docs.run("swtool explain C207 | tail -2 | head -1", {})[0].startswith("  How to fix:    Claim a sustainment")
