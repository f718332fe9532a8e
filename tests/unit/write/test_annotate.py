"""The annotated copy: what a provider sees when they open it in Excel (or LibreOffice)."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.comments import Comment

import swtool.read.workbook
import swtool.write.annotate
from builders import REFDATA, claim, contract, registration, write_return
from swtool import catalogue
from swtool.cli import cli
from swtool.findings import FileReport, Finding
from swtool.model import standard as std
from swtool.model.quarter import Quarter
from swtool.read.preflight import Limits
from swtool.write.annotate import (
    MAX_COMMENT,
    SYMBOL,
    NotAnnotated,
    annotate,
    annotation_limits,
    default_output,
    is_annotated_copy,
)
from swtool.write.templates import build_return

TODAY = "2026-10-01"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def check_json(path: Path, *extra) -> tuple[object, list[dict]]:
    res = run("check", path, "--format", "json", "--today", TODAY, *extra)
    assert res.exit_code in (0, 1), res.output
    return res, json.loads(res.stdout)["files"][0]["findings"]


@pytest.fixture(scope="module")
def faulty_source(tmp_path_factory) -> Path:
    """A return with findings on cells (a bad age, an unknown output, a repeated claim ref) and on a whole
    sheet (no Evidence reference column). Written once; tests work on copies (``faulty``)."""
    headers = [c.header for c in std.CLAIMS.columns if c.header != "Evidence reference"]
    return write_return(
        tmp_path_factory.mktemp("faulty"),
        "faulty.xlsx",
        registrations=[registration(), registration(**{"Client ref": "SW100002", "Age at registration": "thirty"})],
        claims=[claim(), claim(**{"Claim ref": "CL-0001", "Output": "zz"})],
        headers={"Claims": headers},
    )


@pytest.fixture
def faulty(faulty_source, tmp_path) -> Path:
    """This test's own copy of the faulty return, alone in its folder."""
    path = tmp_path / "faulty.xlsx"
    shutil.copyfile(faulty_source, path)
    return path


def annotated_of(path: Path, *extra) -> tuple[Path, list[dict]]:
    out = path.with_name("out.annotated.xlsx")
    res, findings = check_json(path, "--annotate", out, *extra)
    assert f"Annotated copy: {out}" in res.stderr
    return out, findings


@pytest.fixture(scope="module")
def annotated_faulty(faulty_source, tmp_path_factory) -> tuple[Path, list[dict], openpyxl.Workbook]:
    """The faulty return checked with --annotate once, as the command does it by default (in a child
    process), for the tests that only look at the copy: (the copy, the check's findings, the copy loaded).
    No test writes to them."""
    folder = tmp_path_factory.mktemp("annotated")
    path = folder / "faulty.xlsx"
    shutil.copyfile(faulty_source, path)
    with pytest.MonkeyPatch.context() as mp:  # set up before the autouse fixture that isolates user data
        mp.setenv("SWTOOL_DATA_DIR", str(folder / "userdata"))
        out, findings = annotated_of(path)
    return out, findings, openpyxl.load_workbook(out)


def findings_rows(ws) -> list[tuple]:
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[:2] == ("Severity", "Code"))
    return [r for r in rows[start + 1 :] if r[0]]


# --- marks on the cells -------------------------------------------------------------------------------


def test_every_cell_the_json_names_is_filled_and_commented(annotated_faulty):
    _out, findings, wb = annotated_faulty
    in_place = [f for f in findings if f["column"]]
    assert {f["code"] for f in in_place} >= {"S004", "S006"}
    for f in in_place:
        cell = wb[f["sheet"]][f"{f['column']}{f['row']}"]
        assert cell.fill.fill_type in ("lightUp", "solid"), f
        assert cell.comment is not None and cell.comment.author == "swtool"
        assert f["code"] in cell.comment.text and f["message"] in cell.comment.text
        assert catalogue.load_all()[f["code"]].fix in cell.comment.text
    age = wb["Registrations"]["E3"]
    assert age.value == "thirty"  # the provider's value is kept
    assert age.comment.text.startswith(f"{SYMBOL['error']} swtool: 1 error")
    assert age.fill.fill_type == "lightUp"  # errors striped: readable without colour


def test_findings_sheet_is_first_and_lists_every_finding_in_order_with_links(annotated_faulty):
    _out, findings, wb = annotated_faulty
    assert wb.sheetnames[0] == "Findings" and wb.active.title == "Findings"
    ws = wb["Findings"]
    rows = findings_rows(ws)
    assert sorted((r[1], r[4]) for r in rows) == sorted((f["code"], f["message"]) for f in findings)
    ranks = [("✖ error", "⚠ warning", "ℹ info").index(r[0]) for r in rows]
    assert ranks == sorted(ranks)
    assert {r[0] for r in rows} <= {"✖ error", "⚠ warning", "ℹ info"}
    fixes = {c: r.fix for c, r in catalogue.load_all().items()}
    assert all(r[5] == fixes[r[1]] for r in rows)
    links = {}
    for row in ws.iter_rows(min_row=1):
        if row[3].hyperlink is not None:
            links[row[3].value] = row[3].hyperlink.location
    for f in findings:
        if f["column"]:
            assert links[f["cell"]] == f"'{f['sheet']}'!{f['column']}{f['row']}"
    # only one sheet is selected, so Excel does not open with the sheets grouped
    assert [w.title for w in wb.worksheets if w.sheet_view.tabSelected] == ["Findings"]


def test_whole_sheet_findings_are_only_on_the_findings_sheet(annotated_faulty):
    _out, findings, wb = annotated_faulty
    s003 = [f for f in findings if f["code"] == "S003"]
    assert s003 and not s003[0]["column"]
    assert "S003" in [r[1] for r in findings_rows(wb["Findings"])]
    for ws in wb.worksheets[1:]:
        for row in ws.iter_rows():
            for c in row:
                assert c.comment is None or "S003" not in c.comment.text


def test_missing_sheet_and_whole_return_findings_are_listed_without_a_dead_link(tmp_path):
    path = write_return(tmp_path, drop_sheets=("Milestones",))
    out, _findings = annotated_of(path)
    ws = openpyxl.load_workbook(out)["Findings"]
    rows = {r[1]: r for r in findings_rows(ws)}
    assert rows["S002"][3] == "Milestones"
    for row in ws.iter_rows():
        if row[1].value == "S002":
            assert row[3].hyperlink is None


def test_a_providers_own_findings_sheet_is_kept(tmp_path):
    path = write_return(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("findings")["A1"] = "our own notes"
    wb.save(path)
    out = tmp_path / "x.xlsx"
    annotate(path, _report(path, [("C207", "error", "too early")], "Claims", 2, "D"), out)
    copy = openpyxl.load_workbook(out)
    assert copy.sheetnames[0] == "Findings (2)" and copy["findings"]["A1"].value == "our own notes"


def test_several_findings_on_one_cell_make_one_comment_with_the_worst_fill(tmp_path):
    path = write_return(tmp_path)
    report = _report(
        path,
        [("C207", "error", "first problem"), ("C208", "warning", "second problem")],
        sheet="Claims",
        row=2,
        column="D",
    )
    out = tmp_path / "x.xlsx"
    annotate(path, report, out)
    cell = openpyxl.load_workbook(out)["Claims"]["D2"]
    assert "C207" in cell.comment.text and "C208" in cell.comment.text
    assert cell.comment.text.startswith("✖ swtool: 1 error, 1 warning")
    assert cell.fill.fill_type == "lightUp"


def test_a_long_message_is_cut_in_the_comment(tmp_path):
    path = write_return(tmp_path)
    report = _report(path, [("C207", "error", "x" * 10_000)], sheet="Claims", row=2, column="D")
    out = tmp_path / "x.xlsx"
    annotate(path, report, out)
    text = openpyxl.load_workbook(out)["Claims"]["D2"].comment.text
    assert len(text) <= MAX_COMMENT and "x…" in text
    assert "How to fix: " in text  # the fix is kept when the message is cut


def test_a_comment_already_on_the_cell_is_kept(tmp_path):
    path = write_return(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["Claims"]["D2"].comment = Comment("Checked with the employer", "Provider")
    wb.save(path)
    out = tmp_path / "x.xlsx"
    annotate(path, _report(path, [("C207", "error", "too early")], "Claims", 2, "D"), out)
    text = openpyxl.load_workbook(out)["Claims"]["D2"].comment.text
    assert "C207" in text and "Checked with the employer" in text


def test_text_that_starts_like_a_formula_is_stored_as_text(tmp_path):
    path = write_return(tmp_path)
    evil = '=HYPERLINK("http://example.invalid","click")'
    out = tmp_path / "x.xlsx"
    annotate(path, _report(path, [("C207", "error", evil), ("C208", "warning", "@SUM(A1)")], None, None, None), out)
    ws = openpyxl.load_workbook(out)["Findings"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for text in (evil, "@SUM(A1)"):
        assert cells[text].data_type == "s" and cells[text].quotePrefix
    with zipfile.ZipFile(out) as zf:
        first = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in first and "<f " not in first


def _report(path: Path, items, sheet, row, column) -> FileReport:
    rules = catalogue.load_all()
    findings = []
    for code, severity, message in items:
        r = rules[code]
        cell = f"{sheet}!{column}{row}" if sheet and row and column else None
        findings.append(Finding(code, r.slug, severity, message, sheet, row, column, None, cell, None, r.spec))
    return FileReport(str(path), sha256=sha256(path), findings=findings)


# --- what is kept -------------------------------------------------------------------------------------


@pytest.fixture
def from_template(tmp_path) -> Path:
    """A prefilled template (dropdowns, input messages, hidden protected Contract and Lists sheets, frozen
    panes) with one registration whose age is not a number."""
    wb = build_return(REFDATA, contract(), Quarter.parse("2026/27-Q2"))
    cover = wb["Return"]
    for row in cover.iter_rows(min_col=1, max_col=2):
        if row[0].value == "Completed by":
            row[1].value = "Contract manager"
        if row[0].value == "Date submitted":
            row[1].value = date(2026, 10, 9)
    regs = wb["Registrations"]
    headers = [c.value for c in regs[1]]
    values = registration(**{"Age at registration": "thirty"})
    for j, h in enumerate(headers, start=1):
        regs.cell(2, j, values.get(h))
    regs.cell(2, headers.index("Registration date") + 1).number_format = "DD/MM/YYYY"
    path = tmp_path / "template-return.xlsx"
    wb.save(path)
    return path


def _dvs(ws):
    return sorted((str(dv.sqref), dv.type, dv.formula1, dv.prompt) for dv in ws.data_validations.dataValidation)


def test_dropdowns_hidden_sheets_formats_and_values_survive(from_template):
    before = sha256(from_template)
    out, findings = annotated_of(from_template)
    assert any(f["code"] == "S004" and f["cell"] == "Registrations!E2" for f in findings)
    assert sha256(from_template) == before  # the original is never written
    src, copy = openpyxl.load_workbook(from_template), openpyxl.load_workbook(out)
    # a prefilled return carries its contract: the PMO's view of it comes second (tests/test_provider_view.py)
    assert copy.sheetnames == ["Findings", "PMO view", *src.sheetnames]
    for ws in src.worksheets:
        other = copy[ws.title]
        assert other.sheet_state == ws.sheet_state
        assert other.protection.sheet == ws.protection.sheet
        assert other.freeze_panes == ws.freeze_panes
        assert _dvs(other) == _dvs(ws), ws.title
        for row in ws.iter_rows():
            for c in row:
                assert other[c.coordinate].value == c.value
                assert other[c.coordinate].number_format == c.number_format
    assert copy["Contract"].sheet_state == "hidden" and copy["Lists"].sheet_state == "hidden"
    assert sum(len(ws.data_validations.dataValidation) for ws in copy.worksheets) > 20
    assert copy["Registrations"]["E2"].comment is not None


def test_the_original_is_not_written_and_a_changed_file_is_not_annotated(tmp_path, faulty):
    before, mtime = sha256(faulty), faulty.stat().st_mtime_ns
    _res, _ = check_json(faulty, "--annotate")
    assert sha256(faulty) == before and faulty.stat().st_mtime_ns == mtime
    report = FileReport(str(faulty), sha256="0" * 64)
    with pytest.raises(NotAnnotated, match="changed after it was checked"):
        annotate(faulty, report, tmp_path / "y.xlsx")


def test_a_huge_merge_is_refused_not_loaded(tmp_path):
    path = write_return(tmp_path)
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    parts[sheet] = parts[sheet].replace(
        b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="A10:XFD1048576"/></mergeCells>'
    )
    bomb = tmp_path / "merged.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, b in parts.items():
            zf.writestr(n, b)
    res = run("check", bomb, "--today", TODAY, "--annotate")
    assert res.exit_code == 2
    assert "Not annotated" in res.stderr and "merges" in res.stderr
    assert not default_output(bomb).exists()


# --- the command --------------------------------------------------------------------------------------


def test_annotate_alone_writes_beside_the_input(faulty):
    res = run("check", faulty, "--today", TODAY, "--annotate")
    out = faulty.with_name("faulty.annotated.xlsx")
    assert res.exit_code == 1
    assert out.exists() and is_annotated_copy(out)
    assert res.stderr.strip().endswith(f"Annotated copy: {out}")
    assert "S004" in res.stdout  # the report is still shown


def test_annotate_with_a_name(faulty, tmp_path):
    out = tmp_path / "sub" / "mine.xlsx"
    res = run("check", faulty, "--today", TODAY, f"--annotate={out}")
    assert res.exit_code == 1 and out.exists()
    assert f"Annotated copy: {out}" in res.stderr
    again = run("check", faulty, "--today", TODAY, "--annotate", out)  # an earlier copy is replaced
    assert again.exit_code == 1


def test_annotate_several_files_each_beside_itself(tmp_path):
    a = write_return(tmp_path, "a.xlsx")
    b = write_return(tmp_path, "b.xlsx", claims=[claim(Output="zz")])
    res = run("check", a, b, "--today", TODAY, "--annotate")
    assert res.exit_code == 1
    assert (tmp_path / "a.annotated.xlsx").exists() and (tmp_path / "b.annotated.xlsx").exists()
    named = run("check", a, b, "--today", TODAY, "--annotate=one.xlsx")
    assert named.exit_code == 2 and "one copy" in named.stderr
    # a folder check afterwards does not check the annotated copies
    res = run("check", tmp_path, "--today", TODAY, "--format", "json")
    assert sorted(Path(f["path"]).name for f in json.loads(res.stdout)["files"]) == ["a.xlsx", "b.xlsx"]


def test_annotate_refuses_to_write_over_the_input_or_a_providers_file(faulty, tmp_path):
    before = sha256(faulty)
    res = run("check", faulty, "--today", TODAY, f"--annotate={faulty}")
    assert res.exit_code == 2 and "overwrite" in res.stderr
    other = write_return(tmp_path, "other.xlsx")
    res = run("check", faulty, "--today", TODAY, f"--annotate={other}")
    assert res.exit_code == 2 and "not an annotated copy" in res.stderr
    res = run("check", faulty, "--today", TODAY, f"--annotate={tmp_path / 'x.csv'}")
    assert res.exit_code == 2
    assert sha256(faulty) == before


def test_an_unreadable_file_is_not_annotated(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    res = run("check", bad, "--today", TODAY, "--annotate")
    assert res.exit_code == 1  # the check's own verdict (S001)
    assert "S001" in res.stdout
    assert f"Not annotated: {bad} could not be read" in res.stderr
    assert not default_output(bad).exists()
    with pytest.raises(NotAnnotated):
        annotate(
            bad,
            FileReport(str(bad), findings=[Finding("S001", "unreadable", "error", "not a workbook")]),
            tmp_path / "y.xlsx",
        )


# --- bounded: openpyxl's full load runs in a child process with a time and a memory limit -------------


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """The folder swtool's private copies go to, to see that none is left."""
    folder = tmp_path / "private"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _limits_when_annotating(monkeypatch, setting: str) -> None:
    """Set SWTOOL_LIMITS once the check has read the file, just before the copy is annotated, as an
    operator would for the whole command if the read and the annotation had different needs."""
    real = swtool.write.annotate.annotate

    def annotate_with(*args, **kwargs):
        monkeypatch.setenv("SWTOOL_LIMITS", setting)
        return real(*args, **kwargs)

    monkeypatch.setattr(swtool.write.annotate, "annotate", annotate_with)


def _bigger_load(monkeypatch, mb: int = 512) -> None:
    """Make marking the copy need ``mb`` MB more, as a workbook that is large in full would."""
    real = swtool.write.annotate._mark

    def mark(*args):
        ballast = bytearray(mb << 20)
        try:
            return real(*args)
        finally:
            del ballast

    monkeypatch.setattr(swtool.write.annotate, "_mark", mark)


def test_the_annotation_limits_are_twice_the_reads_and_follow_swtool_limits(monkeypatch):
    assert annotation_limits(Limits()) == (600, 4096)
    assert annotation_limits(Limits(read_seconds=30, read_memory_mb=100)) == (60, 200)
    monkeypatch.setenv("SWTOOL_LIMITS", "read_seconds=900,read_memory_mb=3000")
    assert annotation_limits(Limits().with_env()) == (1800, 6000)


@pytest.mark.parametrize(
    "setting,said,heavy",
    [
        ("read_seconds=0.001", "within 0.002 seconds (limit 2 × read_seconds)", False),
        ("read_memory_mb=1", "within 2 MB of memory (limit 2 × read_memory_mb)", True),
    ],
    ids=["time", "memory"],
)
def test_an_annotation_over_its_limit_is_one_sentence_and_leaves_nothing(
    faulty, private_tmp, monkeypatch, setting, said, heavy
):
    if heavy:
        _bigger_load(monkeypatch)
    _limits_when_annotating(monkeypatch, setting)
    before, folder = sha256(faulty), sorted(faulty.parent.iterdir())
    res = run("check", faulty, "--today", TODAY, "--annotate")
    assert res.exit_code == 2  # a copy that could not be written (docs/decisions.md)
    assert "S004" in res.stdout and "thirty" in res.stdout  # the check's report is all there
    assert res.stderr.strip() == (
        f"Not annotated: {faulty}: could not annotate faulty.xlsx {said}. No annotated copy was written; the "
        "check's report is unaffected. Remove unused rows, columns and sheets and check it again, or raise the "
        "limit with the SWTOOL_LIMITS environment variable (e.g. SWTOOL_LIMITS=read_seconds=120,read_memory_mb=3000)."
    )
    assert "Traceback" not in res.output
    assert not default_output(faulty).exists()
    assert sorted(faulty.parent.iterdir()) == folder  # no temporary file beside it either
    assert list(private_tmp.iterdir()) == []  # nor the private copy
    assert sha256(faulty) == before


def test_the_same_load_within_the_default_limits_is_annotated(faulty, monkeypatch):
    _bigger_load(monkeypatch)
    out, _ = annotated_of(faulty)
    assert openpyxl.load_workbook(out)["Registrations"]["E3"].comment is not None


def test_a_child_that_dies_while_saving_leaves_no_partial_copy(faulty, tmp_path, private_tmp, monkeypatch):
    earlier = tmp_path / "earlier.annotated.xlsx"
    annotate(faulty, _report(faulty, [("C207", "error", "too early")], "Claims", 2, "D"), earlier)
    earlier_bytes = earlier.read_bytes()

    def dies(copy, marked, report, rules):  # as the kernel's out-of-memory killer would stop it
        marked.write_bytes(b"PK\x03\x04 half a workbook")
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(swtool.write.annotate, "_write_copy", dies)
    before, folder = sha256(faulty), sorted(tmp_path.iterdir())
    res = run("check", faulty, "--today", TODAY, f"--annotate={earlier}")
    assert res.exit_code == 2 and "S004" in res.stdout
    assert (
        f"Not annotated: {faulty}: could not annotate faulty.xlsx: annotating it stopped (signal SIGKILL), most "
        "likely at the 4,096 MB memory limit (limit 2 × read_memory_mb)."
    ) in res.stderr
    assert "Traceback" not in res.output
    assert earlier.read_bytes() == earlier_bytes  # the earlier copy is neither replaced nor damaged
    assert sorted(tmp_path.iterdir()) == folder and list(private_tmp.iterdir()) == []
    assert sha256(faulty) == before


def test_an_unexpected_error_in_the_child_is_a_sentence(faulty, tmp_path, monkeypatch):
    def fails(*args):
        raise ValueError("secret detail")

    monkeypatch.setattr(swtool.write.annotate, "_mark", fails)
    with pytest.raises(NotAnnotated) as e:
        annotate(faulty, _report(faulty, [("C207", "error", "x")], "Claims", 2, "D"), tmp_path / "y.xlsx")
    assert str(e.value) == (
        "could not annotate faulty.xlsx: writing the copy failed (ValueError). No annotated copy "
        "was written; the check's report is unaffected."
    )
    assert not (tmp_path / "y.xlsx").exists()


def test_a_refusal_in_the_child_reaches_the_provider_as_it_was_said(faulty, tmp_path, monkeypatch):
    monkeypatch.setattr(swtool.write.annotate, "MAX_MERGED_CELLS", -1)  # every workbook merges "too many" cells
    with pytest.raises(NotAnnotated, match=r"merges 0 cells or more .* over the -1 an annotated copy can carry"):
        annotate(faulty, _report(faulty, [("C207", "error", "x")], "Claims", 2, "D"), tmp_path / "y.xlsx")


def _marks(path: Path) -> dict:
    """What a provider sees in a copy: every sheet's values, fills and comments."""
    wb = openpyxl.load_workbook(path)
    return {
        ws.title: [
            (c.coordinate, c.value, c.fill.fill_type, c.comment.text if c.comment else None)
            for row in ws.iter_rows()
            for c in row
        ]
        for ws in wb.worksheets
    }


@pytest.fixture(scope="module")
def marks_in_child(annotated_faulty) -> dict:
    return _marks(annotated_faulty[0])


@pytest.mark.parametrize("how", ["child_process=no", "no isolation"])
def test_without_a_child_process_the_same_copy_is_written_here(
    faulty, tmp_path, monkeypatch, how, annotated_faulty, marks_in_child
):
    # the copy made in a child process (``annotated_faulty``, of the same return) is what is expected here
    findings, expected = annotated_faulty[1], marks_in_child

    def no_child(*args, **kwargs):
        raise AssertionError("no child process where there is no isolation")

    monkeypatch.setattr(swtool.read.workbook, "run_bounded", no_child)
    if how == "child_process=no":
        monkeypatch.setenv("SWTOOL_LIMITS", "child_process=no")
    else:  # Windows: no fork, no resource module (the read falls back too)
        monkeypatch.setattr(swtool.read.workbook, "isolation_available", lambda: False)
    out = tmp_path / "here.annotated.xlsx"
    res, again = check_json(faulty, "--annotate", out)
    assert f"Annotated copy: {out}" in res.stderr and again == findings
    assert _marks(out) == expected


def test_without_a_child_process_running_out_of_memory_is_a_sentence(faulty, tmp_path, monkeypatch):
    def exhausted(*args):
        raise MemoryError

    monkeypatch.setattr(swtool.write.annotate, "_mark", exhausted)
    monkeypatch.setenv("SWTOOL_LIMITS", "child_process=no")
    before = sha256(faulty)
    with pytest.raises(
        NotAnnotated,
        match=r"^could not annotate faulty\.xlsx within the memory of this computer. No "
        "annotated copy was written",
    ):
        annotate(faulty, _report(faulty, [("C207", "error", "x")], "Claims", 2, "D"), tmp_path / "y.xlsx")
    assert not (tmp_path / "y.xlsx").exists() and sha256(faulty) == before


def test_a_program_running_threads_annotates_through_the_forkserver(faulty, tmp_path):
    """A TUI runs threads: the child is then started by multiprocessing's forkserver, and everything
    handed to it must pickle (the rules catalogue holds functions: only the fixes are sent)."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        out = tmp_path / "x.xlsx"
        result = annotate(faulty, _report(faulty, [("C207", "error", "too early")], "Claims", 2, "D"), out)
    finally:
        stop.set()
        other.join()
    assert result.cells == 1
    comment = openpyxl.load_workbook(out)["Claims"]["D2"].comment.text
    assert "too early" in comment and catalogue.load_all()["C207"].fix in comment


# --- LibreOffice opens it -----------------------------------------------------------------------------


def _soffice():
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(_soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_converts_the_annotated_copy(annotated_faulty, tmp_path):
    out, findings, _wb = annotated_faulty
    conv = tmp_path / "converted"
    env = {**os.environ, "HOME": str(tmp_path)}
    # csv of the first sheet, comma-separated, quoted, UTF-8 (76)
    proc = subprocess.run(
        [
            _soffice(),
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(conv),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    csv_file = conv / f"{out.stem}.csv"
    assert csv_file.exists(), (proc.stdout, proc.stderr)
    text = csv_file.read_text(encoding="utf-8", errors="replace")
    assert "swtool findings for faulty.xlsx" in text  # the first sheet is the Findings sheet
    for f in findings:
        assert f["code"] in text
    assert "✖ error" in text
