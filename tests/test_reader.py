"""The safe reader: every way a file can fail to be a return is one S001 finding with a provider's
sentence and a stable reason; files that open keep Excel's row numbers and are read within bounds.
"""

from __future__ import annotations

import hashlib
import struct
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from builders import REFDATA, TODAY, claim, write_return
from click.testing import CliRunner

from swtool import standard as std
from swtool.cli import cli
from swtool.context import CheckContext
from swtool.engine import check_file
from swtool.reader.preflight import Limits, Unreadable
from swtool.reader.workbook import read
from swtool.settings import Settings

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"


# --- building broken files --------------------------------------------------------------------------

def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rezip(src: Path, dst: Path, *, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None,
          compression=zipfile.ZIP_DEFLATED) -> Path:
    """Copy a zip, replacing or adding parts (nothing else changes)."""
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression) as zout:
        for info in zin.infolist():
            data = replace.get(info.filename, zin.read(info.filename))
            zout.writestr(info.filename, data)
        for name, data in add.items():
            zout.writestr(name, data)
    return dst


def edit_part(src: Path, dst: Path, part: str, fn) -> Path:
    with zipfile.ZipFile(src) as z:
        text = z.read(part).decode("utf-8")
    return rezip(src, dst, replace={part: fn(text).encode("utf-8")})


def cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal but well-formed Compound File Binary (what .xls files and encrypted .xlsx files are):
    a 512-byte header, one FAT sector, one directory sector, then each stream in whole sectors
    (every stream is padded to 4,096 bytes so none lives in the mini stream)."""
    sector = 512
    ENDOFCHAIN, FREESECT, FATSECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    assert len(streams) <= 3  # one directory sector holds the root and three entries
    data_sectors: list[bytes] = []
    fat = [FATSECT, ENDOFCHAIN]  # sector 0: the FAT; sector 1: the directory
    entries = []
    for name, payload in streams.items():
        payload = payload.ljust(4096, b"\0")
        start = 2 + len(data_sectors)
        n = len(payload) // sector
        for k in range(n):
            data_sectors.append(payload[k * sector:(k + 1) * sector])
            fat.append(start + k + 1 if k < n - 1 else ENDOFCHAIN)
        entries.append((name, 2, start, len(payload)))
    fat += [FREESECT] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, start: int, size: int, child: int = FREESECT, right: int = FREESECT) -> bytes:
        raw = (name + "\0").encode("utf-16-le")
        return (raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), kind, 1)
                + struct.pack("<III", FREESECT, right, child) + b"\0" * 16 + struct.pack("<I", 0)
                + b"\0" * 16 + struct.pack("<IQ", start, size))

    directory = entry("Root Entry", 5, ENDOFCHAIN, 0, child=1 if entries else FREESECT)
    for k, (name, kind, start, size) in enumerate(entries, start=1):
        directory += entry(name, kind, start, size, right=k + 1 if k < len(entries) else FREESECT)
    directory = directory.ljust(sector, b"\0")
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
              + struct.pack("<I", 0) + struct.pack("<I", FREESECT) * 108)
    assert len(header) == sector
    return header + struct.pack("<128I", *fat) + directory + b"".join(data_sectors)


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    """A valid return, the base of every doctored file."""
    return write_return(tmp_path_factory.mktemp("good"))


def run(path: Path, limits: Limits = Limits()):
    ctx = CheckContext(REFDATA, Settings.defaults(), TODAY)
    report, _ = check_file(path, ctx, limits)
    return report


def structure(report, sheet: str | None = None) -> list[list]:
    """The S findings (other families judge the content, not the reading) as [code, cell, header]."""
    return [[f.code, f.cell, f.header] for f in report.findings
            if f.code.startswith("S") and (sheet is None or f.sheet == sheet)]


# --- S001: one outcome per kind of broken file --------------------------------------------------------

def _empty(tmp, good):
    p = tmp / "empty.xlsx"
    p.write_bytes(b"")
    return p


def _text(tmp, good):
    p = tmp / "notes.xlsx"
    p.write_text("Client ref,Output\nSW100001,2a\n")
    return p


def _pdf(tmp, good):
    p = tmp / "return.xlsx"
    p.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    return p


def _truncated(tmp, good):
    p = tmp / "cut.xlsx"
    data = good.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    return p


def _xls(tmp, good):
    p = tmp / "return.xls"
    p.write_bytes(cfb({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00", "\x05SummaryInformation": b"\xfe\xff"}))
    return p


def _encrypted(tmp, good):
    p = tmp / "protected.xlsx"
    p.write_bytes(cfb({"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00",
                       "EncryptedPackage": b"\x00\x10\x00\x00" + bytes(range(256)) * 4}))
    return p


def _xlsm(tmp, good):
    p = tmp / "macros.xlsm"
    return rezip(good, p, add={"xl/vbaProject.bin": cfb({"VBA": b"Attribute VB_Name"})})


def _xlsm_renamed(tmp, good):  # macro-enabled content type, whatever the extension
    p = tmp / "macros.xlsx"
    return edit_part(good, p, "[Content_Types].xml", lambda t: t.replace(
        "spreadsheetml.sheet.main+xml", "ms-excel.sheet.macroEnabled.main+xml"))


def _ods(tmp, good):
    p = tmp / "return.ods"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", "<office:document-content/>")
        z.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
    return p


def _docx(tmp, good):
    p = tmp / "return.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'content-types"><Override PartName="/word/document.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr("word/document.xml", "<w:document/>")
    return p


def _strict(tmp, good):
    p = tmp / "strict.xlsx"
    with zipfile.ZipFile(good) as z:
        parts = {n: z.read(n).decode().replace(MAIN_NS, STRICT_NS).encode()
                 for n in z.namelist() if n.startswith("xl/") and n.endswith(".xml")}
    return rezip(good, p, replace=parts)


def _doctype(tmp, good):
    p = tmp / "dtd.xlsx"
    bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
    return edit_part(good, p, "xl/worksheets/sheet3.xml", lambda t: bomb + t.split("?>", 1)[-1]
                     if t.startswith("<?xml") else bomb + t)


def _doctype_after_comment(tmp, good):
    """A DOCTYPE further down the prolog, behind a long comment."""
    p = tmp / "dtd2.xlsx"
    prolog = '<?xml version="1.0"?><!--' + "x" * 8000 + '--><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    return edit_part(good, p, "xl/workbook.xml", lambda t: prolog + t.split("?>", 1)[-1]
                     if t.startswith("<?xml") else prolog + t)


def _duplicate_sheets(tmp, good):
    p = tmp / "dup.xlsx"
    return edit_part(good, p, "xl/workbook.xml", lambda t: t.replace('name="Milestones"', 'name="claims"'))


def _duplicate_sheets_exact(tmp, good):
    p = tmp / "dup2.xlsx"
    return edit_part(good, p, "xl/workbook.xml", lambda t: t.replace('name="Milestones"', 'name="Claims"'))


def _broken_sheet_xml(tmp, good):  # passes the sniffing, fails in the XML parser
    p = tmp / "broken.xlsx"
    return rezip(good, p, replace={"xl/worksheets/sheet3.xml": b'<worksheet xmlns="' + MAIN_NS.encode()
                                   + b'"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Claim'})


def _unsafe_name(tmp, good):
    return rezip(good, tmp / "slip.xlsx", add={"xl/../../evil.xml": b"<x/>"})


def _all_hidden(tmp, good):
    p = tmp / "hidden.xlsx"
    return edit_part(good, p, "xl/workbook.xml", lambda t: t.replace('state="visible"', 'state="hidden"'))


def _too_many_entries(tmp, good):  # with Limits(max_entries=12): a normal return has 14 parts
    return rezip(good, tmp / "many.xlsx")


def _over_ratio(tmp, good):  # with Limits(ratio_floor=10_000, max_ratio=50): 40 KB of zeros compress ~1000:1
    return rezip(good, tmp / "bomb.xlsx", add={"xl/media/image1.bin": b"\0" * 40_000})


CASES = [
    # (id, builder, limits, reason, words the provider reads)
    ("zero-bytes", _empty, None, "empty", "empty (0 bytes)"),
    ("text-renamed", _text, None, "not-workbook", "not an Excel workbook"),
    ("pdf", _pdf, None, "not-workbook", "This is a PDF"),
    ("truncated-zip", _truncated, None, "damaged", "cut short"),
    ("legacy-xls", _xls, None, "xls", "old-style Excel file (.xls)"),
    ("password", _encrypted, None, "encrypted", "password-protected"),
    ("xlsm", _xlsm, None, "macros", "contains macros (.xlsm)"),
    ("macro-content-type", _xlsm_renamed, None, "macros", "contains macros"),
    ("ods", _ods, None, "ods", "OpenDocument spreadsheet (.ods)"),
    ("docx-renamed", _docx, None, "word", "Word document"),
    ("strict-ooxml", _strict, None, "strict", "Strict Open XML"),
    ("doctype", _doctype, None, "dtd", "document type declaration (xl/worksheets/sheet3.xml)"),
    ("doctype-after-comment", _doctype_after_comment, None, "dtd", "document type declaration (xl/workbook.xml)"),
    ("duplicate-sheets", _duplicate_sheets, None, "duplicate-sheets", "two sheets named 'Claims' and 'claims'"),
    ("duplicate-sheets-exact", _duplicate_sheets_exact, None, "duplicate-sheets", "two sheets named 'Claims'"),
    ("broken-sheet-xml", _broken_sheet_xml, None, "damaged", "The workbook is damaged and cannot be opened"),
    ("all-hidden", _all_hidden, None, "no-sheets", "Every sheet of the workbook is hidden"),
    ("over-file-size", _too_many_entries, Limits(max_file_bytes=2_000), "too-large",
     "limit for a return (limit max_file_bytes)"),
    ("unsafe-part-name", _unsafe_name, None, "zip-names", "a part with an unsafe name ('xl/../../evil.xml')"),
    ("too-many-entries", _too_many_entries, Limits(max_entries=12), "zip-limits",
     "14 parts inside it, over the limit of 12 (limit max_entries)"),
    ("over-ratio", _over_ratio, Limits(ratio_floor=10_000, max_ratio=50), "zip-limits",
     "(xl/media/image1.bin) is compressed"),
]


@pytest.mark.parametrize("build, limits, reason, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_unreadable_file_is_one_s001_with_a_sentence(tmp_path, good, build, limits, reason, words):
    path = build(tmp_path, good)
    before = sha(path)
    report = run(path, limits or Limits())
    assert report.flatten(["code", "severity", "value", "cell"]) == [["S001", "error", reason, None]]
    message = report.findings[0].message
    assert words in message
    assert "Traceback" not in message and "Error:" not in message
    assert report.sha256 == before
    assert sha(path) == before  # never written, renamed or repaired
    assert path.exists() and not report.valid


CLI_CASES = [c for c in CASES if c[0] in ("zero-bytes", "legacy-xls", "password", "truncated-zip", "ods")]


@pytest.mark.parametrize("build, limits, reason, words", [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_unreadable_file_in_the_cli_shows_the_sentence_and_no_traceback(tmp_path, good, build, limits, reason,
                                                                        words):
    path = build(tmp_path, good)
    before = sha(path)
    res = CliRunner().invoke(cli, ["check", str(path), "--today", "2026-10-01"])
    assert res.exit_code == 1, res.output  # an unreadable return is an error in it, not a failure to run
    assert "error   S001  " in res.stdout and words in res.stdout
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert sha(path) == before


def test_the_cfb_builder_writes_a_compound_file():
    """Guard for the fixtures above: the fake .xls is a compound file, not just eight magic bytes."""
    data = cfb({"Workbook": b"x"})
    assert data[:8] == bytes.fromhex("D0CF11E0A1B11AE1") and len(data) % 512 == 0 and len(data) >= 512 * 3
    assert "Workbook".encode("utf-16-le") in data[1024:1536]  # the directory sector


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
        for r, row in ((5, claim_row("CL-1")), (8, claim_row("CL-2")), (9, claim_row("CL-3")),
                       (11, claim_row("CL-4", Output="2z")), (12, claim_row("CL-5", **{"Date achieved": "soon"}))):
            for j, v in enumerate(row, start=1):
                ws.cell(r, j, v)
        ws.row_dimensions[9].hidden = True
        ws.row_dimensions[10].hidden = True
        ws["C9"] = "zz"  # a hidden row is still read, with its own number

    path = replace_claims(write_return(tmp_path), build)
    raw = read(path)
    assert raw.sheets["Claims"].rows == [1, 2, 4, 5, 8, 9, 11, 12]
    report = run(path)
    assert sorted(structure(report)) == [["S004", "Claims!C11", "Output"], ["S004", "Claims!C9", "Output"],
                                         ["S004", "Claims!D12", "Date achieved"]]


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
    short = read(path, limits=Limits(blank_row_stop=50)).sheets["Claims"]
    assert short.rows == [1, 2] and "50 blank rows" in short.truncated
    assert structure(run(path, Limits(blank_row_stop=50))) == []
    # the default bound (1,000 blank rows) reads past such a gap: blank rows end nothing
    assert structure(run(path)) == [["S004", "Claims!C60", "Output"]]


def test_a_stray_value_far_to_the_right_or_far_below_is_not_read(tmp_path):
    def build(ws):
        ws.append(CLAIM_HEADERS)
        ws.append(claim_row("CL-1"))
        ws.cell(2, 300, "stray")           # column KN: beyond the columns read
        ws["XFD1048576"] = "very far"      # Excel's last cell

    path = replace_claims(write_return(tmp_path), build)
    sheet = read(path).sheets["Claims"]
    assert sheet.width == len(CLAIM_HEADERS)
    assert sheet.rows == [1, 2]
    assert all("stray" not in row and "very far" not in row for row in sheet.values)
    assert structure(run(path)) == []


def test_dates_read_from_the_1904_date_system(tmp_path):
    """A Mac workbook counts serials from 1904: the reader must still see the date Excel shows."""
    path = write_return(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    wb.save(path)
    cover = read(path).sheets["Return"]
    submitted = [row[1] for row in cover.values if row[0] == "Date submitted"][0]
    assert submitted.date() == date(2026, 10, 9)


def test_the_reader_leaves_the_input_alone(tmp_path, good):
    before = sha(good)
    read(good)
    run(good)
    assert sha(good) == before


def test_an_oversized_part_is_refused_from_its_declared_size(tmp_path, good):
    """Declared sizes, not inflated bytes, decide (zipfile enforces them, so they are a real bound)."""
    p = rezip(good, tmp_path / "big.xlsx", add={"xl/media/pad.bin": b"\0" * (3 << 20)})
    report = run(p, Limits(max_entry_bytes=2 << 20, max_ratio=10_000))
    assert report.flatten(["code", "value"]) == [["S001", "zip-limits"]]
    assert "(xl/media/pad.bin) unpacks to 3 MB, over the 2 MB limit (limit max_entry_bytes)" in \
        report.findings[0].message
