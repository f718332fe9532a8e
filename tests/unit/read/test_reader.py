"""The safe reader: every way a file can fail to be a return is one S001 finding with a provider's
sentence and a stable reason; files that open keep Excel's row numbers and are read within bounds.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from hostile.corpus import CASES

from builders import REFDATA, TODAY, claim, write_return
from swtool.checks.context import CheckContext
from swtool.engine import check_file
from swtool.model import standard as std
from swtool.model.settings import Settings
from swtool.read import submission
from swtool.read.preflight import Limits, Unreadable
from swtool.read.workbook import read

# --- the reader's helpers ----------------------------------------------------------------------------


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    """A valid return, the base of every doctored file (as ``base`` is in the corpus)."""
    return write_return(tmp_path_factory.mktemp("good"))


def run(path: Path, limits: Limits = Limits()):
    ctx = CheckContext(REFDATA, Settings.defaults(), TODAY)
    report, _ = check_file(path, ctx, limits)
    return report


def run_reading(path: Path, limits: Limits = Limits()):
    """``run``, and the cells its check read (the sheets a check reads): one read of the file for both."""
    kept = []
    real = submission.start_read

    def start_read(*args, **kwargs):
        pending = real(*args, **kwargs)
        result = pending.result

        def keep():
            kept.append(result())
            return kept[-1]

        pending.result = keep
        return pending

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(submission, "start_read", start_read)
        report = run(path, limits)
    assert len(kept) == 1
    return report, kept[0]


def structure(report, sheet: str | None = None) -> list[list]:
    """The S findings (other families judge the content, not the reading) as [code, cell, header]."""
    return [
        [f.code, f.cell, f.header]
        for f in report.findings
        if f.code.startswith("S") and (sheet is None or f.sheet == sheet)
    ]


# --- S001: one outcome per kind of broken file --------------------------------------------------------

# Every unreadable file of the hostile corpus (tests/hostile/corpus.py) through the engine, with its limits
# as a Limits; test_corpus runs the same files through the CLI. The heavy ones run only there, under its
# memory cap.
UNREADABLE = [c for c in CASES if c.reason and not c.heavy]


@pytest.mark.parametrize("case", UNREADABLE, ids=[c.id for c in UNREADABLE])
def test_unreadable_file_is_one_s001_with_a_sentence(tmp_path, good, case):
    path = case.build(tmp_path, good)
    before = sha(path)
    report = run(path, Limits().with_env({"SWTOOL_LIMITS": case.env or ""}))
    assert report.flatten(["code", "severity", "value", "cell"]) == [["S001", "error", case.reason, None]]
    message = report.findings[0].message
    assert case.words in message
    assert "Traceback" not in message and "Error:" not in message
    assert report.sha256 == before
    assert sha(path) == before  # never written, renamed or repaired
    assert path.exists() and not report.valid


def test_cell_budget_stops_reading(tmp_path):
    path = write_return(tmp_path, claims=[claim(**{"Claim ref": f"CL-{i:04d}"}) for i in range(30)])
    report = run(path, Limits(max_cells=300))
    assert report.flatten(["code", "value"]) == [["S001", "too-many-cells"]]
    assert "more than 300 cells (limit max_cells)" in report.findings[0].message
    with pytest.raises(Unreadable) as e:
        read(path, limits=Limits(max_cells=300))
    assert e.value.reason == "too-many-cells"


def test_a_valid_return_is_read_without_structure_findings(good):
    assert structure(run(good)) == []


# --- rows keep Excel's numbers ----------------------------------------------------------------------

CLAIM_HEADERS = std.CLAIMS.headers  # A Claim ref, B Client ref, C Output, D Date achieved, E Evidence held, …


def claim_row(ref: str, **over) -> list:
    c = claim(**{"Claim ref": ref, **over})
    return [c.get(h) for h in CLAIM_HEADERS]


def replace_claims(path: Path, build) -> Path:
    """Rebuild the Claims sheet of a return with ``build(ws)``."""
    wb = openpyxl.load_workbook(path)
    idx = wb.sheetnames.index("Claims")
    del wb["Claims"]
    ws = wb.create_sheet("Claims", idx)
    build(ws)
    for cell in list(ws._cells.values()):  # not iter_rows: a cell at XFD1048576 would make it billions
        if isinstance(cell.value, str):
            cell.data_type = "s"
    wb.save(path)
    return path


def test_row_numbers_survive_title_rows_blank_rows_and_hidden_rows(tmp_path):
    def build(ws):
        ws["A1"] = "Southwark Works: claims for 2026/27 Q2"
        ws["A2"] = "Fill one row per output"
        for j, h in enumerate(CLAIM_HEADERS, start=1):
            ws.cell(4, j, h)  # header on row 4, row 3 blank
        for r, row in (
            (5, claim_row("CL-1")),
            (8, claim_row("CL-2")),
            (9, claim_row("CL-3")),
            (11, claim_row("CL-4", Output="2z")),
            (12, claim_row("CL-5", **{"Date achieved": "soon"})),
        ):
            for j, v in enumerate(row, start=1):
                ws.cell(r, j, v)
        ws.row_dimensions[9].hidden = True
        ws.row_dimensions[10].hidden = True
        ws["C9"] = "zz"  # a hidden row is still read, with its own number

    path = replace_claims(write_return(tmp_path), build)
    report, raw = run_reading(path)
    assert raw.sheets["Claims"].rows == [1, 2, 4, 5, 8, 9, 11, 12]
    assert sorted(structure(report)) == [
        ["S004", "Claims!C11", "Output"],
        ["S004", "Claims!C9", "Output"],
        ["S004", "Claims!D12", "Date achieved"],
    ]


def test_header_is_found_below_title_rows_and_in_a_later_column(tmp_path):
    def build(ws):
        ws["A1"] = "Claims"
        ws["A2"] = "Quarter 2"
        for j, h in enumerate(CLAIM_HEADERS, start=2):  # a left margin: data starts in column B
            ws.cell(3, j, h)
        for j, v in enumerate(claim_row("CL-1", **{"Evidence held": "A letter"}), start=2):
            ws.cell(4, j, v)

    report = run(replace_claims(write_return(tmp_path), build))
    assert structure(report) == [["S004", "Claims!F4", "Evidence held"]]


def test_header_matching_forgives_case_nbsp_zero_width_bom_and_units(tmp_path):
    headers = list(CLAIM_HEADERS)
    headers[0] = "CLAIM REF"
    headers[1] = "Client\u00a0ref "
    headers[2] = "Out\u200bput"
    headers[3] = "\ufeffDate achieved"
    headers[12] = "Gross hourly pay (£)"

    def build(ws):
        ws.append(headers)
        ws.append(claim_row("CL-1", **{"Gross hourly pay": "lots"}))

    report = run(replace_claims(write_return(tmp_path), build))
    assert structure(report) == [["S004", "Claims!M2", "Gross hourly pay"]]  # read under its template name


def test_a_long_blank_gap_stops_reading(tmp_path):
    def build(ws):
        ws.append(CLAIM_HEADERS)
        ws.append(claim_row("CL-1"))
        for j, v in enumerate(claim_row("CL-2", Output="nonsense"), start=1):
            ws.cell(60, j, v)  # 57 blank rows below the last claim

    path = replace_claims(write_return(tmp_path), build)
    report, raw = run_reading(path, Limits(blank_row_stop=50))
    short = raw.sheets["Claims"]
    assert short.rows == [1, 2] and "50 blank rows" in short.truncated
    assert structure(report) == []
    # the default bound (1,000 blank rows) reads past such a gap: blank rows end nothing
    assert structure(run(path)) == [["S004", "Claims!C60", "Output"]]


def test_a_stray_value_far_to_the_right_or_far_below_is_not_read(tmp_path):
    def build(ws):
        ws.append(CLAIM_HEADERS)
        ws.append(claim_row("CL-1"))
        ws.cell(2, 300, "stray")  # column KN: beyond the columns read
        ws["XFD1048576"] = "very far"  # Excel's last cell

    path = replace_claims(write_return(tmp_path), build)
    report, raw = run_reading(path)
    sheet = raw.sheets["Claims"]
    assert sheet.width == len(CLAIM_HEADERS)
    assert sheet.rows == [1, 2]
    assert all("stray" not in row and "very far" not in row for row in sheet.values)
    assert structure(report) == []


def test_dates_read_from_the_1904_date_system(tmp_path):
    """A Mac workbook counts serials from 1904: the reader must still see the date Excel shows."""
    path = write_return(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    wb.save(path)
    cover = read(path).sheets["Return"]
    submitted = next(row[1] for row in cover.values if row[0] == "Date submitted")
    assert submitted.date() == date(2026, 10, 9)


def test_the_reader_leaves_the_input_alone(tmp_path, good):
    before = sha(good)
    read(good)
    run(good)
    assert sha(good) == before


@pytest.mark.parametrize("reader", ["calamine", "openpyxl"])
def test_a_small_memory_limit_is_on_the_read_not_on_loading_the_reader(tmp_path, reader):
    """The reader's child loads its reader before its memory limit starts counting: openpyxl brings numpy,
    whose maths library reserves address space as it loads, and a valid return read by openpyxl under a
    100 MB limit once ended in S001 (and a stray "OpenBLAS error" line). The command runs in a process of
    its own, which has loaded no reader, as a provider's has not."""
    import os
    import subprocess
    import sys

    sample = Path(__file__).parents[3] / "samples" / "returns" / "SW-L7-01" / "SW-L7-01_2026-27_Q2.xlsx"
    env = {**os.environ, "SWTOOL_LIMITS": "read_memory_mb=100", "SWTOOL_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "swtool",
            "check",
            str(sample),
            "--setting",
            f"reader={reader}",
            "--today",
            "2026-10-01",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 file checked: 1 without errors, 0 with errors" in done.stdout
    assert "S001" not in done.stdout and "OpenBLAS" not in done.stderr
