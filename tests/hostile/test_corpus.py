"""Every file of the hostile corpus through ``swtool check``: the expected outcome (S001 with its
reason, or the exact structure findings), the exit status, no traceback, bounded memory, and the
input's bytes unchanged. How long each file takes is measured by ``benchmarks/bench_hostile.py``, not
here: the reader's own time limit (``read_seconds``) is what bounds a run, and it is tested below with
a limit the test sets.

Light cases run in this process through click's CliRunner (JSON, then text); heavy ones (bombs,
huge or odd sheets) run ``python -m swtool check`` in a subprocess under a 1.5 GB address-space
limit, with its peak memory taken from ``wait4``.
"""

from __future__ import annotations

import faulthandler
import hashlib
import json
import os
import re
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from builders import write_return
from corpus import CASES, CONTROL, INJECTION, Case, cfb
from swtool.cli import cli

TODAY = "2026-10-01"
MEMORY_LIMIT = 1536 << 20  # address space of a heavy run
UNSAFE_ON_SCREEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return write_return(tmp_path_factory.mktemp("base"))


class Run:
    def __init__(self, code: int, out: str, err: str, peak_mb: float):
        self.code, self.out, self.err, self.peak_mb = code, out, err, peak_mb

    @property
    def report(self) -> dict:
        return json.loads(self.out)["files"][0]

    def report_of(self, path: Path) -> dict:
        return next(f for f in json.loads(self.out)["files"] if Path(f["path"]) == path)


def run_inline(path: Path, fmt: str, env: str | None, *extra: str) -> Run:
    runner = CliRunner()
    res = runner.invoke(
        cli,
        ["check", str(path), "--format", fmt, "--today", TODAY, *extra],
        env={"SWTOOL_LIMITS": env} if env else {"SWTOOL_LIMITS": ""},
    )
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    # this process's high-water mark; the reader child it forks is capped by its own read_memory_mb
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Run(res.exit_code, res.stdout, res.stderr, peak)


def run_isolated(paths: list[Path], fmt: str, env: str | None, folder: Path, *extra: str) -> Run:
    """``python -m swtool check`` in a child process capped at MEMORY_LIMIT; its peak RSS (with its own
    reader child) from wait4."""
    cmd = [sys.executable, "-m", "swtool", "check", *map(str, paths), "--format", fmt, "--today", TODAY, *extra]
    environ = {k: v for k, v in os.environ.items() if k != "SWTOOL_LIMITS"}
    if env:
        environ["SWTOOL_LIMITS"] = env

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    out_path, err_path = folder / "stdout.txt", folder / "stderr.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=environ, preexec_fn=cap)
        watchdog = threading.Timer(600, proc.kill)  # a hang guard only, far beyond read_seconds
        watchdog.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            watchdog.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(proc.returncode, out_path.read_text(), err_path.read_text(), usage.ru_maxrss / 1024)


def structure(report: dict) -> list[tuple[str, str]]:
    return sorted((f["code"], f["cell"] or f["sheet"]) for f in report["findings"] if f["code"].startswith("S"))


# Heavy cases with the same limits and the same exit status share one capped ``swtool check`` run (a
# process start and pandas' import each is most of what a refused or quickly read file costs): the run's
# exit status is that of each file alone (0 only when every file is valid, 1 when each holds an error and no
# copy failed), and its peak memory bounds each file's. The reader's own limits, and the file whose shared
# strings are amplified, keep a run each.
ALONE = {"reader-time-limit", "reader-memory-limit", "shared-string-amplifier"}


@pytest.fixture(scope="module")
def shared_runs(base, tmp_path_factory) -> dict[str, tuple[Path, str, Run]]:
    """{case id: (its file, the file's sha256 before the run, the run)} for the heavy cases that share one."""
    groups: dict[tuple, list[Case]] = {}
    for case in CASES:
        if case.heavy and case.id not in ALONE:
            groups.setdefault((case.env, case.exit), []).append(case)
    out = {}
    for (env, _), cases in groups.items():
        folder = tmp_path_factory.mktemp("heavy")
        built = {}
        for case in cases:
            (folder / case.id).mkdir()
            built[case.id] = case.build(folder / case.id, base)
        before = {k: sha(p) for k, p in built.items()}
        # --annotate alone, after the files: each copy is written beside its file as NAME.annotated.xlsx
        run = run_isolated(list(built.values()), "json", env, folder, "--annotate")
        out |= {k: (p, before[k], run) for k, p in built.items()}
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_file(case: Case, base: Path, tmp_path: Path, request):
    if case.heavy and case.id not in ALONE:  # asked for here only: a light case never waits for the heavy runs
        path, before, run = request.getfixturevalue("shared_runs")[case.id]
        copy = path.with_name(f"{path.stem}.annotated.xlsx")
        runs = [run]
    else:
        path = case.build(tmp_path, base)
        before = sha(path)
        copy = tmp_path / "copy.annotated.xlsx"  # the annotated copy opens the workbook in full: hostile too
        runs = (
            [run_isolated([path], "json", case.env, tmp_path, f"--annotate={copy}")]
            if case.heavy
            else [run_inline(path, "json", case.env, f"--annotate={copy}"), run_inline(path, "text", case.env)]
        )
    assert path.stat().st_size < 4 << 20, "corpus files stay small on disk"
    for run in runs:
        assert run.code == case.exit, (run.code, run.out[-3000:], run.err[-3000:])
        assert "Traceback" not in run.out + run.err and "internal error" not in run.err
        assert run.peak_mb < MEMORY_LIMIT / (1 << 20), f"{case.id} peaked at {run.peak_mb:.0f} MB"
    report = runs[0].report_of(path)
    assert report["sha256"] == before
    assert sha(path) == before, "the input was changed"
    if case.reason:
        assert [(f["code"], f["severity"], f["value"], f["cell"]) for f in report["findings"]] == [
            ("S001", "error", case.reason, None)
        ]
        assert case.words in report["findings"][0]["message"]
    else:
        assert structure(report) == sorted(case.structure)
        got = {(f["code"], f["cell"]) for f in report["findings"]}
        assert set(case.present) <= got, sorted(got)
    if case.note:
        assert any(case.note in n for n in report["notes"]), report["notes"]
    if case.reason:
        assert f"Not annotated: {path}" in runs[0].err and not copy.exists()
    else:
        assert f"Annotated copy: {copy}" in runs[0].err, runs[0].err
        assert copy.stat().st_size > 0
    if not case.heavy:  # what a provider sees on screen: the sentence, never a control character
        text = runs[1].out
        assert not UNSAFE_ON_SCREEN.search(text), repr(UNSAFE_ON_SCREEN.search(text))
        if case.reason:
            assert "error   S001  " in text and case.words in text


def test_the_cfb_builder_writes_a_compound_file():
    """Guard for the corpus: the fake .xls is a compound file, not just eight magic bytes."""
    data = cfb({"Workbook": b"x"})
    assert data[:8] == bytes.fromhex("D0CF11E0A1B11AE1") and len(data) % 512 == 0 and len(data) >= 512 * 3
    assert "Workbook".encode("utf-16-le") in data[1024:1536]  # the directory sector


def test_control_characters_and_markup_reach_the_report_as_data_and_the_screen_escaped(base, tmp_path):
    """The JSON keeps the provider's text exactly; the terminal shows it with every control and bidi
    character escaped (and Rich/Textual markup is never interpreted by the text report)."""
    case = next(c for c in CASES if c.id == "control-characters-and-markup")
    path = case.build(tmp_path, base)
    found = run_inline(path, "json", None).report["findings"]
    s004 = next(f for f in found if f["code"] == "S004")
    assert s004["value"] == CONTROL.strip()  # as read: the value has its surrounding spaces (a CR) trimmed
    text = run_inline(path, "text", None).out
    assert "'\\x9b2J\\x7f_x001B_[@click=app.quit][bold red]2a\\u202e\\u200b' is not in the code list" in text


def test_formula_like_text_is_reported_as_text(base, tmp_path):
    case = next(c for c in CASES if c.id == "formula-injection-text")
    path = case.build(tmp_path, base)
    found = run_inline(path, "json", None).report["findings"]
    assert [f["value"] for f in found if f["code"] == "S004"] == [INJECTION["Output"]]


# --- the child-process reader and its limits ----------------------------------------------------------


def test_a_reader_that_aborts_is_one_s001_not_a_dead_tool(base, monkeypatch):
    """python-calamine aborts the process on some files (INPUT-SAFETY); an openpyxl that did would only
    take its child with it."""
    from swtool.read import workbook

    def abort(*args):
        faulthandler.disable()  # pytest's fault handler would print the child's stack; the CLI has none
        os.abort()

    monkeypatch.setattr(workbook, "_read_checked", abort)
    before = sha(base)
    res = run_inline(base, "json", None)
    assert res.code == 1 and "Traceback" not in res.out + res.err
    [f] = res.report["findings"]
    assert (f["code"], f["value"]) == ("S001", "reader-died")
    assert "the reader stopped (signal SIGABRT)" in f["message"] and "(limit read_memory_mb)" in f["message"]
    assert sha(base) == before


def test_the_child_hands_back_exactly_what_an_in_process_read_gives(base):
    from swtool.read.preflight import Limits
    from swtool.read.workbook import read

    child, here = read(base, limits=Limits(child_process=True)), read(base, limits=Limits(child_process=False))
    assert child == here and child.sheets["Claims"].values == here.sheets["Claims"].values


@pytest.mark.parametrize(
    "setting, words",
    [
        ("max_rows=ten", "SWTOOL_LIMITS: max_rows='ten' is not a number"),
        (
            "max_ratios=5",
            ("SWTOOL_LIMITS: 'max_ratios=5' is not name=value with a known limit; the limits are max_file_bytes,"),
        ),
        ("read_seconds=0", "SWTOOL_LIMITS: read_seconds must be more than 0"),
        ("child_process=maybe", "SWTOOL_LIMITS: child_process='maybe' is not a yes/no"),
    ],
)
def test_a_wrong_limit_setting_stops_the_run_with_exit_2(base, setting, words):
    res = CliRunner().invoke(cli, ["check", str(base), "--today", TODAY], env={"SWTOOL_LIMITS": setting})
    assert res.exit_code == 2 and words in res.stderr, res.output
    assert "Traceback" not in res.output


def test_limits_from_the_environment_override_the_code():
    from swtool.read.preflight import Limits

    got = Limits(max_cells=5).with_env({"SWTOOL_LIMITS": "read_seconds=2.5, max_cells=1_000;child_process=no"})
    assert (got.read_seconds, got.max_cells, got.child_process) == (2.5, 1000, False)
    assert Limits().with_env({}) == Limits()
