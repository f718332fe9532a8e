"""The two readers agree: python-calamine (the default) and openpyxl (``--setting reader=openpyxl``) give
the same cells and the same findings for every golden sample, every file of the hostile corpus, and
values written by openpyxl, by LibreOffice and as Excel writes them. Formula cells come from a scan of
the sheet's XML; ``check`` does not load openpyxl; a column is typed at once, as cell by cell.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import shutil
import subprocess
import sys
import zipfile
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hostile.corpus import CASES
from hostile.mutants import AlreadyRead

from builders import REFDATA, TODAY, claim, registration, write_return
from swtool.checks.context import CheckContext
from swtool.cli import cli
from swtool.engine import check_file
from swtool.model import standard as std
from swtool.model.settings import Settings
from swtool.read import submission, workbook
from swtool.read.formulas import scan
from swtool.read.preflight import Limits, Unreadable
from swtool.read.preflight import check as preflight
from swtool.read.tables import _coerce_cells, coerce
from swtool.read.workbook import read

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "samples"))

import make_samples  # noqa: E402


def settings(reader: str) -> Settings:
    s = Settings.defaults()
    s["reader"] = reader
    return s


def outcome(report) -> dict:
    """Everything of a report a provider or the PMO reads."""
    return {
        "findings": report.flatten(["code", "severity", "cell", "header", "message", "value"]),
        "notes": list(report.notes),
        "sha256": report.sha256,
    }


def read_with(path: Path, reader: str, limits: Limits = Limits(), wanted: set[str] | None = None):
    try:
        return read(path, wanted, limits=limits, reader=reader)
    except Unreadable as e:
        return ("S001", e.reason, str(e))


def contents(raw) -> object:
    """Everything a read gives, each cell with its type: to ``==`` True, 1 and 1.0 are one value, to a
    check they are not. What a check makes of a file follows from this (the typing of a column handed
    as a column is held to the typing of its cells below)."""
    if not isinstance(raw, workbook.RawWorkbook):
        return raw
    return (
        raw.path,
        raw.sha256,
        raw.sheet_states,
        raw.warnings,
        {
            name: (
                s.name,
                s.state,
                s.rows,
                [tuple((type(v), v) for v in row) for row in s.values],
                s.width,
                s.formula_cells,
                s.truncated,
                s.notes,
            )
            for name, s in raw.sheets.items()
        },
    )


WANTED = {w.casefold() for w in submission.wanted_sheets()}  # the sheets a check reads


@contextmanager
def serving(reads: dict):
    """Checks take their cells from ``reads`` ({(path, reader): RawWorkbook or Unreadable}), read with
    the sheets a check asks for; other files are read as usual."""
    real = submission.start_read

    def start_read(path, wanted=None, limits=None, header_hints=None, reader=workbook.CALAMINE):
        got = reads.get((Path(path), reader))
        if got is None:
            return real(path, wanted, limits, header_hints, reader)
        assert wanted == WANTED
        return AlreadyRead(got if isinstance(got, Unreadable) else copy.deepcopy(got))  # each check its own cells

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(submission, "start_read", start_read)
        yield


# --- every golden sample and every hostile file: the same cells, the same findings -------------------------

SAMPLES = [p for p in make_samples.sample_files() if p.name != "not-a-workbook.xlsx"]  # that one: pre-flight


@pytest.fixture(scope="module")
def sample_reads() -> dict:
    """Every sample read here by each reader, every sheet, once: {path: {reader: RawWorkbook}}. The child
    process hands back what a read here gives (test_corpus.py); calamine's read may not hand the file to
    openpyxl (a read it does hand over is the text of the AssertionError)."""

    def refuse(*args):
        raise AssertionError("read by openpyxl")

    reads = {}
    for path in SAMPLES:
        pf = preflight(path)
        got = {workbook.OPENPYXL: workbook._read_checked(path, pf, None, Limits(), workbook.OPENPYXL)}
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(workbook, "_read_openpyxl", refuse)
            try:
                got[workbook.CALAMINE] = workbook._read_checked(path, pf, None, Limits(), workbook.CALAMINE)
            except AssertionError as e:
                got[workbook.CALAMINE] = str(e)
        reads[path] = got
    return reads


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_golden_sample_is_read_by_calamine_itself_as_openpyxl_reads_it(path, sample_reads):
    """The fast reader is not quietly handing ordinary returns to openpyxl, and gives openpyxl's cells."""
    got = sample_reads[path]
    assert contents(got[workbook.CALAMINE]) == contents(got[workbook.OPENPYXL])


def as_checked(raw: workbook.RawWorkbook) -> workbook.RawWorkbook:
    """The read a check makes (only the sheets it wants) out of a read of every sheet."""
    left_out = [n for n in raw.sheets if n.casefold().strip() not in WANTED]
    assert not any(raw.sheets[n].notes for n in left_out)  # so the workbook's warnings are the same
    return dataclasses.replace(raw, sheets={n: s for n, s in raw.sheets.items() if n not in left_out})


# two samples also read by openpyxl in the check's own child process: one that leans on its history
END_TO_END = ("faulty-claims.xlsx", "SW-L3-01_2026-27_Q2.xlsx")


@pytest.fixture(scope="module")
def sample_reports(golden_reports, sample_reads):
    """The golden run (conftest: the calamine reader, end to end) and the same run on openpyxl's cells:
    the history and every sample checked from openpyxl's reads above (not read again), and the
    END_TO_END samples read again by the openpyxl reader as a check reads them."""
    from swtool.engine import load_history
    from swtool.model.refdata import RefData
    from swtool.read.register import read_register

    refdata = RefData(overrides=make_samples.HERE / "no-overrides")
    assert settings("calamine") == Settings.defaults()  # so the golden run (conftest) is the calamine run
    runs = {"calamine": {p: outcome(report) for p, report in golden_reports.items()}}
    reads = {(p, workbook.OPENPYXL): as_checked(r[workbook.OPENPYXL]) for p, r in sample_reads.items()}
    with serving(reads):
        history, _ = load_history([make_samples.RETURNS], refdata, reader="openpyxl")
        ctx = CheckContext(
            refdata,
            settings("openpyxl"),
            make_samples.TODAY,
            read_register(make_samples.REGISTER, refdata),
            history,
            True,
        )
        runs["openpyxl"] = {p: outcome(check_file(p, ctx)[0]) for p in make_samples.sample_files()}
    runs["end to end"] = {p: outcome(check_file(p, ctx)[0]) for p in SAMPLES if p.name in END_TO_END}
    return runs


def test_every_golden_sample_gives_the_same_findings_with_either_reader(sample_reports):
    calamine, openpyxl_ = sample_reports["calamine"], sample_reports["openpyxl"]
    assert len(calamine) >= 10 and set(calamine) == set(openpyxl_)
    for path in calamine:
        assert calamine[path] == openpyxl_[path], path.name
    assert any(r["findings"] for r in calamine.values())  # the faulty samples do have findings
    assert len(sample_reports["end to end"]) == len(END_TO_END)
    for path, got in sample_reports["end to end"].items():
        assert got == calamine[path], path.name


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return write_return(tmp_path_factory.mktemp("base"))


# Hostile files also checked from each reader's cells: dates in every form, a formula with no saved value,
# headers to report, a sheet hidden, a limit's note, one that is cut at max_columns.
CHECKED = {
    "dates-every-form",
    "formula-without-cached-value",
    "duplicate-and-blank-headers",
    "hidden-and-very-hidden-sheets",
    "megabyte-cell",
    "16384-columns",
}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_hostile_file_gives_the_same_outcome_with_either_reader(case, base, tmp_path):
    """Each reader reads the file as a check does (in its bounded child): the same cells, or the same
    S001. A refused file, and the CHECKED ones, are also checked from those reads (not read again)."""
    path = case.build(tmp_path, base)
    limits = Limits().with_env({"SWTOOL_LIMITS": case.env or ""})
    reads = {}
    for reader in workbook.READERS:
        try:
            reads[reader] = read(path, WANTED, limits, reader=reader)
        except Unreadable as e:
            reads[reader] = e
    cells = {r: contents(("S001", g.reason, str(g)) if isinstance(g, Unreadable) else g) for r, g in reads.items()}
    assert cells[workbook.CALAMINE] == cells[workbook.OPENPYXL]
    if case.reason:
        assert cells[workbook.CALAMINE][:2] == ("S001", case.reason)
    if case.reason or case.id in CHECKED:
        got = {}
        with serving({(path, r): g for r, g in reads.items()}):
            for reader in workbook.READERS:
                got[reader] = outcome(check_file(path, CheckContext(REFDATA, settings(reader), TODAY), limits)[0])
        assert got[workbook.CALAMINE] == got[workbook.OPENPYXL]
        if case.reason:
            assert [f[0] for f in got[workbook.CALAMINE]["findings"]] == ["S001"]


# --- values as each program writes them ----------------------------------------------------------------------

VALUES = [  # (value, number format or None); row r + 1 of column B, a label in column A
    (date(2026, 10, 9), "DD/MM/YYYY"),
    (datetime(2026, 10, 9, 13, 45, 12), "DD/MM/YYYY HH:MM:SS"),
    (time(9, 30), "HH:MM"),
    (46304, None),
    (46304, "0"),
    (5, None),
    (37.5, None),
    (-3, None),
    (0, None),
    (0.1 + 0.2, None),
    (10**14, None),
    (1e20, None),
    (True, None),
    (False, None),
    ("text", None),
    ("  spaced  ", None),
    ("line one\nline two", None),
    ("ＳＷ１００００１", None),
    ("SE1 0\u0410\u0410", None),
    ("12.50", None),
    ("=not a formula", None),
    (datetime(2026, 7, 1), "yyyy-mm-dd"),
    (44000.75, "dd mmm yyyy"),
    (1.5, "[$-809]dd mmmm yyyy;@"),
    (12.71, '"£"#,##0.00'),
    (60, "DD/MM/YYYY"),
    (1, "DD/MM/YYYY"),
]


def value_sheet(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Values"
    ws["A1"], ws["B1"] = "Label", "Value"
    for i, (value, fmt) in enumerate(VALUES, start=2):
        ws.cell(i, 1, f"value {i}")
        cell = ws.cell(i, 2, value)
        if isinstance(value, str):
            cell.data_type = "s"  # text, even "=not a formula"
        if fmt:
            cell.number_format = fmt
    ws.cell(len(VALUES) + 3, 1, "formula")
    ws.cell(len(VALUES) + 3, 2).value = "=B2+1"  # a formula openpyxl saves with no value
    wb.save(path)
    return path


def cells(raw) -> dict:
    sheet = raw.sheets["Values"]
    return {r: v[1] for r, v in zip(sheet.rows, sheet.values)}


def test_values_written_by_openpyxl_read_alike(tmp_path):
    path = value_sheet(tmp_path / "values.xlsx")
    calamine, openpyxl_ = read_with(path, "calamine"), read_with(path, "openpyxl")
    assert calamine == openpyxl_
    got = cells(calamine)
    assert got[2] == datetime(2026, 10, 9) and type(got[2]) is datetime  # a date is a datetime at midnight
    assert got[3] == datetime(2026, 10, 9, 13, 45, 12) and got[4] == time(9, 30)
    assert (got[5], type(got[5])) == (46304, int)  # a whole number is an int
    assert (got[7], type(got[7])) == (5, int) and got[8] == 37.5 and got[9] == -3 and got[10] == 0
    assert got[14] is True and got[15] is False
    assert got[17] == "  spaced  " and got[18] == "line one\nline two"
    assert got[20] == "SE1 0\u0410\u0410" and got[21] == "12.50" and got[22] == "=not a formula"
    assert got[27] == datetime(1900, 2, 28) and got[28] == datetime(1900, 1, 1)  # 60: the 29/02/1900 never was
    row = len(VALUES) + 3
    assert got.get(row) is None and (row, 2) in calamine.sheets["Values"].formula_cells


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_values_saved_by_libreoffice_read_alike(tmp_path):
    """LibreOffice writes its own XML: shared strings, its own styles, booleans, its number formats."""
    src = value_sheet(tmp_path / "values.xlsx")
    out = tmp_path / "lo"
    proc = subprocess.run(
        [
            soffice(),
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    path = out / "values.xlsx"
    with zipfile.ZipFile(path) as z:
        assert "xl/sharedStrings.xml" in z.namelist()  # really LibreOffice's writing, not openpyxl's
    calamine, openpyxl_ = read_with(path, "calamine"), read_with(path, "openpyxl")
    assert calamine == openpyxl_
    got = cells(calamine)
    assert got[2] == datetime(2026, 10, 9) and got[4] == time(9, 30) and got[7] == 5
    assert got[14] is True and got[17] == "  spaced  "


# What Excel writes: shared strings (xml:space="preserve" where spaces matter, _x000D_ for a carriage
# return), dates as serials in built-in format 14 or a custom one, booleans, a VLOOKUP that found
# nothing (an error cell with its formula), a formula's text result, shared formulas.
EXCEL_SST = (
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="6" uniqueCount="6">'
    '<si><t>Label</t></si><si><t>Value</t></si><si><t xml:space="preserve"> Output 2a </t></si>'
    '<si><t>Claim ref</t></si><si><r><t xml:space="preserve">rich </t></r><r><rPr><b/></rPr><t>text</t>'
    "</r></si>"
    "<si><t>SW100001</t></si></sst>"
)
EXCEL_STYLES = (
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1">'
    '<numFmt numFmtId="164" formatCode="dd/mm/yyyy;@"/></numFmts><fonts count="1"><font/></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/>'
    '</borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0"/>'
    '<xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/>'
    '<xf numFmtId="20" applyNumberFormat="1"/></cellXfs><cellStyles count="1">'
    '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
EXCEL_ROWS = (
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    '<row r="2"><c r="A2"><v>2</v></c><c r="B2" s="1"><v>46304</v></c></row>'
    '<row r="3"><c r="A3"><v>3</v></c><c r="B3" s="2"><v>46268</v></c></row>'
    '<row r="4"><c r="A4"><v>4</v></c><c r="B4" s="3"><v>0.5</v></c></row>'
    '<row r="5"><c r="A5"><v>5</v></c><c r="B5" t="b"><v>1</v></c></row>'
    '<row r="6"><c r="A6"><v>6</v></c><c r="B6" t="s"><v>2</v></c></row>'
    '<row r="7"><c r="A7"><v>7</v></c><c r="B7" t="e"><f>VLOOKUP(A7,Lookups!A:B,2,FALSE)</f>'
    "<v>#N/A</v></c></row>"
    '<row r="8"><c r="A8"><v>8</v></c><c r="B8" t="str"><f t="shared" ref="B8:B9" si="0">A8&amp;"x"</f>'
    "<v>8x</v></c></row>"
    '<row r="9"><c r="A9"><v>9</v></c><c r="B9" t="str"><f t="shared" si="0"/><v>9x</v></c></row>'
    '<row r="10"><c r="A10"><v>10</v></c><c r="B10" t="s"><v>4</v></c></row>'
    '<row r="11"><c r="A11"><v>11</v></c><c r="B11"><f>B2+1</f></c></row>'
    '<row r="12" spans="1:2" ht="15"/>'
)


def excel_like(path: Path, rows: str = EXCEL_ROWS, sst: str = EXCEL_SST) -> Path:
    """A workbook whose parts are as Excel writes them (built from an openpyxl file for the package)."""
    src = path.with_name("src.xlsx")
    wb = openpyxl.Workbook()
    wb.active.title = "Values"
    wb.active["A1"] = "x"
    wb.save(src)
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet '
        f'xmlns="{ns}"><dimension ref="A1:B12"/><sheetData>{rows}</sheetData>'
        "</worksheet>"
    ).encode()
    parts["xl/styles.xml"] = EXCEL_STYLES.encode()
    parts["xl/sharedStrings.xml"] = sst.encode()
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def test_values_as_excel_writes_them_read_alike(tmp_path):
    path = excel_like(tmp_path / "excel.xlsx")
    calamine, openpyxl_ = read_with(path, "calamine"), read_with(path, "openpyxl")
    assert calamine == openpyxl_
    got = cells(calamine)
    assert got[2] == datetime(2026, 10, 9) and got[3] == datetime(2026, 9, 3) and got[4] == time(12, 0)
    assert got[5] is True and got[6] == " Output 2a " and got[10] == "rich text"
    assert got[7] == "#N/A"  # an error cell keeps its text, as openpyxl reads it
    assert (got[8], got[9]) == ("8x", "9x")  # a formula's saved value
    assert 11 not in got or got[11] is None
    assert calamine.sheets["Values"].formula_cells == {(11, 2)}  # only the formula with no saved value


def test_text_with_excel_escapes_reads_as_openpyxl_reads_it(tmp_path):
    """_x000D_ (a carriage return pasted into a cell) stays as openpyxl shows it: the file goes to openpyxl."""
    sst = EXCEL_SST.replace("<t>SW100001</t>", "<t>first line_x000D_\nsecond</t>")
    rows = EXCEL_ROWS.replace(
        '<row r="10"><c r="A10"><v>10</v></c><c r="B10" t="s"><v>4</v></c></row>',
        '<row r="10"><c r="A10"><v>10</v></c><c r="B10" t="s"><v>5</v></c></row>',
    )
    path = excel_like(tmp_path / "escapes.xlsx", rows, sst)
    calamine = read_with(path, "calamine")
    assert calamine == read_with(path, "openpyxl")
    assert cells(calamine)[10] == "first line_x000D_\nsecond"


def test_a_sheet_calamine_cannot_size_is_read_by_openpyxl(tmp_path):
    """A value in Excel's last cell makes calamine size a sheet of 17 billion cells and abort: the child
    dies and openpyxl reads the file in a new one (the hostile corpus has the same file)."""

    def far(ws):
        ws["A1"], ws["B1"] = "Label", "Value"
        ws["XFD1048576"] = "far"

    path = tmp_path / "far.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Values"
    far(wb.active)
    wb.save(path)
    calamine = read_with(path, "calamine")
    assert calamine == read_with(path, "openpyxl")
    assert calamine.sheets["Values"].truncated.startswith("reading stopped after 1,000 blank rows at row 1,001")


# --- the formula scan places cells as openpyxl does ----------------------------------------------------------


def test_the_formula_scan_places_cells_as_openpyxl_does(tmp_path):
    """Rows and cells without a reference, a shared formula, an empty saved value, a row that comes
    after a later one: the cells with a formula and no saved value, where openpyxl puts them."""
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c><f>1+1</f></c><c><f>2+2</f><v>4</v></c></row>'  # A2: no value; B2: 4
        '<row><c r="B3" t="str"><f t="shared" si="0" ref="B3:B4">"x"</f><v></v></c></row>'  # row 3
        '<row r="5"><c r="A5"><v>1</v></c><c><f t="shared" si="0"/></c></row>'  # B5
        '<row r="4"><c r="A4"><f>9</f></c></row>'  # after row 5: passed over
        '<row r="6"><c r="C6" t="inlineStr"><f>"y"</f><is><t>y</t></is></c></row>'
    )
    path = excel_like(tmp_path / "formulas.xlsx", rows)
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    wanted = {
        (c.row, c.column) for row in wb["Values"].iter_rows() for c in row if getattr(c, "data_type", None) == "f"
    }
    values = openpyxl.load_workbook(path, read_only=True, data_only=True)["Values"]
    saved = {
        (r, c)
        for r, row in enumerate(values.iter_rows(values_only=True), 1)
        for c, v in enumerate(row, 1)
        if v is not None
    }
    with zipfile.ZipFile(path) as z, z.open("xl/worksheets/sheet1.xml") as fh:
        found = scan(fh, 100, errors=False).formulas
    assert found == wanted - saved == {(2, 1), (3, 2), (5, 2)}
    for reader in ("calamine", "openpyxl"):  # row 3 holds nothing else: a blank row, not kept
        assert read(path, reader=reader).sheets["Values"].formula_cells == {(2, 1), (5, 2)}


# --- the setting ---------------------------------------------------------------------------------------------


def test_the_reader_setting_chooses_openpyxl_and_refuses_anything_else(base):
    runner = CliRunner()
    res = runner.invoke(
        cli, ["check", str(base), "--today", TODAY.isoformat(), "--format", "json", "--setting", "reader=openpyxl"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)["files"][0]
    assert data["settings"]["reader"] == "openpyxl"
    default = json.loads(
        runner.invoke(cli, ["check", str(base), "--today", TODAY.isoformat(), "--format", "json"]).stdout
    )["files"][0]
    assert default["settings"]["reader"] == "calamine" and default["findings"] == data["findings"]
    res = runner.invoke(cli, ["check", str(base), "--setting", "reader=xlrd"])
    assert res.exit_code == 2
    assert "setting reader cannot be 'xlrd'; it is 'calamine' (default) or 'openpyxl'" in res.output


PROBE = """
import contextlib, io, json, sys
from swtool.cli import cli
loaded = []
for args in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            cli(args, standalone_mode=False)
        except SystemExit:
            pass
    loaded.append(sorted(m for m in sys.modules if m.split(".")[0] in ("openpyxl", "python_calamine")))
print("@@" + json.dumps(loaded))
"""


def loaded_by(*commands: list[str]) -> list[list[str]]:
    """The reader modules loaded in one process after each command, run one after the other in it (the
    modules loaded only add up: an empty list after the last means no command loaded one)."""
    res = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(commands)], capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stderr
    return json.loads([x for x in res.stdout.splitlines() if x.startswith("@@")][-1][2:])


def test_check_loads_neither_reader_in_its_own_process(base, tmp_path):
    """The reading is calamine's, in the bounded child process; openpyxl is for writing, and the annotated
    copy is written in a bounded child too."""
    copy = tmp_path / "copy.xlsx"
    check = ["check", str(base), "--today", TODAY.isoformat()]
    assert loaded_by(check, [*check, f"--annotate={copy}"]) == [[], []]
    assert openpyxl.load_workbook(copy).sheetnames[0] == "Findings"


# --- typing a column at once ---------------------------------------------------------------------------------

COLUMNS = {  # each kind: values that repeat, blanks, values read leniently and values that are wrong
    std.TEXT: [" a ", "b", None, "", "b", 7, datetime(2026, 1, 1), "  "],
    std.REF: ["SW1", " SW1 ", "ＳＷ１", "SW1\u041e", None, 12, "", "SW1"],
    std.DATE: [
        datetime(2026, 8, 3),
        "03/08/2026",
        "2026-08-03",
        "soon",
        46237,
        time(9),
        None,
        datetime(1999, 1, 1),
        "31/02/2026",
        "",
    ],
    std.INT: [1, 2, "3", "x", None, 10**16, datetime(2026, 1, 1), " 4 ", -1],
    std.NUMBER: [1.5, "1,200.5", "x", None, 3.0, float("inf"), float("nan"), 1e308],
    std.MONEY: [12.71, "£1,200.50", 0.1 + 0.2, 1.005, -0.0, "x", 1e14, None, 12.5, 1e-5],
    std.YESNO: ["Yes", "no", "Y", "n", "maybe", None, "YES", 1],
    std.CODE: ["2a", "2A", " 2a", "9z", None, 2],
    std.CODES: ["Mental health", "mental health; Autism", "Autism;Mental health", "Nonsense", None],
}


@pytest.mark.parametrize("kind", list(COLUMNS))
def test_a_column_typed_at_once_is_typed_as_cell_by_cell(kind):
    codes = {std.CODE: ("2a", "2b"), std.CODES: ("Mental health", "Autism")}.get(kind, ())
    values = [COLUMNS[kind][i % len(COLUMNS[kind])] for i in range(200)]  # enough to be typed at once
    at_once, cell_by_cell = coerce(kind, values, codes), _coerce_cells(kind, values, codes)
    assert at_once[1] == cell_by_cell[1] and at_once[2] == cell_by_cell[2]
    assert [(type(v), v) for v in at_once[0] if not (isinstance(v, float) and math.isnan(v))] == [
        (type(v), v) for v in cell_by_cell[0] if not (isinstance(v, float) and math.isnan(v))
    ]
    assert at_once[1] or at_once[2] or kind == std.TEXT  # the column does hold what gets reported


def test_every_wrong_cell_of_a_long_column_is_named(tmp_path):
    """A column long enough to be typed at once still names each cell that is wrong."""
    regs = [registration(**{"Client ref": f"SW{100000 + i}"}) for i in range(120)]
    claims = [
        claim(
            **{
                "Claim ref": f"CL-{i:04d}",
                "Client ref": f"SW{100000 + i}",
                "Output": "2z" if i in (9, 49, 89) else "2a",
                "Weekly hours": "lots" if i in (5, 105) else 37.5,
            }
        )
        for i in range(120)
    ]
    path = write_return(tmp_path, registrations=regs, claims=claims)
    ctx = CheckContext(REFDATA, Settings.defaults(), TODAY)
    report = check_file(path, ctx)[0]
    s004 = [(f.cell, f.message) for f in report.findings if f.code == "S004"]
    output, hours = std.CLAIMS.headers.index("Output"), std.CLAIMS.headers.index("Weekly hours")
    col = openpyxl.utils.get_column_letter
    assert sorted(c for c, _ in s004) == sorted(
        [f"Claims!{col(output + 1)}{r}" for r in (11, 51, 91)] + [f"Claims!{col(hours + 1)}{r}" for r in (7, 107)]
    )
    assert (f"Claims!{col(hours + 1)}7", f"Claims!{col(hours + 1)}7: Weekly hours 'lots' is not a number") in s004


def test_dates_and_times_round_alike(tmp_path):
    """Serials with any fraction of a day (a time typed with seconds, a formula's result): both readers
    round to the millisecond alike, and a date is a datetime at midnight."""
    import random

    rnd = random.Random(16)
    serials = (
        [rnd.uniform(36526, 73050) for _ in range(300)]
        + [rnd.randint(36526, 73050) + f for f in (0.5, 1 / 3, 0.999999, 0.9999999999, 1e-9, 0.00001157407)]
        + [rnd.uniform(0.001, 0.999) for _ in range(50)]
    )
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Values"
    ws["A1"], ws["B1"], ws["C1"] = "Label", "Value", "Time"
    for r, serial in enumerate(serials, start=2):
        ws.cell(r, 1, f"serial {r}")
        ws.cell(r, 2, serial).number_format = "DD/MM/YYYY HH:MM:SS"
        ws.cell(r, 3, serial % 1).number_format = "HH:MM:SS"
    path = tmp_path / "serials.xlsx"
    wb.save(path)
    calamine = read_with(path, "calamine")
    assert calamine == read_with(path, "openpyxl")
    values = calamine.sheets["Values"].values[1:]
    assert len(values) == len(serials)
    assert {type(v[1]) for v in values[:-50]} == {datetime} and {type(v[1]) for v in values[-50:]} == {time}


def test_timedelta_values_are_not_mistaken(tmp_path):
    """A duration format ([h]:mm) is read by openpyxl: the two readers round durations differently."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Values"
    ws["A1"], ws["B1"] = "Label", "Value"
    ws["A2"], ws["B2"] = "hours", timedelta(hours=37, minutes=30)
    ws["B2"].number_format = "[h]:mm"
    path = tmp_path / "durations.xlsx"
    wb.save(path)
    calamine = read_with(path, "calamine")
    assert calamine == read_with(path, "openpyxl") and cells(calamine)[2] == timedelta(hours=37, minutes=30)
