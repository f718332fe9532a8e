"""Imports stay where they belong: quick commands load no heavy library, and the core loads no front end.

Each probe runs in a fresh interpreter (this test process has long since imported everything) and
reports what ``sys.modules`` holds after each step.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["pandas", "pandera", "openpyxl", "textual", "numpy"]
FRONT_ENDS = ["textual", "click", "swtool.cli", "swtool.tui"]

PROBE = """
import contextlib, io, json, sys

def loaded(watch):
    return sorted({w for w in watch for m in list(sys.modules) if m == w or m.startswith(w + ".")})

steps = {}
for label, code in STEPS:
    exec(code)
    steps[label] = {"heavy": loaded(HEAVY), "front_ends": loaded(FRONT_ENDS)}
print("@@" + json.dumps(steps))
"""


def probe(steps: list[tuple[str, str]]) -> dict[str, dict[str, list[str]]]:
    script = f"STEPS = {steps!r}\nHEAVY = {HEAVY!r}\nFRONT_ENDS = {FRONT_ENDS!r}\n" + PROBE
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    line = [x for x in res.stdout.splitlines() if x.startswith("@@")][-1]
    return json.loads(line[2:])


def _cli(args: list[str]) -> str:
    return (
        "from swtool.cli import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    cli({args!r}, standalone_mode=False)\n"
    )


def test_quick_commands_import_no_heavy_library():
    commands = [["--help"], ["rules"], ["rules", "--format", "json"], ["explain", "S004"], ["explain", "bad-value"]]
    steps = probe([(" ".join(args), _cli(args)) for args in commands])
    assert {label: s["heavy"] for label, s in steps.items()} == {" ".join(args): [] for args in commands}


def test_the_core_imports_no_front_end():
    modules = [
        "swtool.engine",
        "swtool.read.tables",
        "swtool.checks",
        "swtool.read.submission",
        "swtool.catalogue",
        "swtool.report.text",
        "swtool.report.json_",
        "swtool.report.junit",
    ]
    steps = probe([(m, f"import {m}\n") for m in modules])
    assert {m: s["front_ends"] for m, s in steps.items()} == {m: [] for m in modules}
    # the probe does see imports: the typed tables need pandas and pandera
    assert {"pandas", "pandera"} <= set(steps["swtool.read.tables"]["heavy"])
