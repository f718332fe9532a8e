"""Mutants of a real return, at the level of the zip and of the XML inside it, for the fuzz tests.

``mutant(base, seed)`` returns the bytes of one mutated workbook and what was done to it, the same for
the same seed on every machine (``random.Random(seed)``, nothing else). Zip-level mutations work on
the container: cut short, bytes overwritten, a part dropped, doubled, renamed, emptied or swapped, the
compression method, CRC, sizes or flags of an entry changed, junk before or after, a long comment.
XML-level mutations work inside one part (a worksheet most often; the workbook, its relationships,
the content types, the styles and the rest too): an element dropped or doubled, an attribute changed
to a hostile value or removed, a text node replaced, the XML cut short, control characters or bytes
that are not UTF-8, another namespace or encoding, a DTD, formulas, shared-string references with no
shared strings, rows renumbered.

Used by ``test_fuzz.py`` (a fixed set of seeds) and ``benchmarks/fuzz_long.py`` (many more).
"""

from __future__ import annotations

import functools
import io
import random
import re
import struct
import warnings
import zipfile
from unittest import mock

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

# --- zip plumbing ----------------------------------------------------------------------------------------


def read_parts(data: bytes) -> list[tuple[str, bytes]]:
    return list(_parts(data))


@functools.lru_cache(maxsize=4)  # every mutant starts from the same base: unpack it once
def _parts(data: bytes) -> tuple[tuple[str, bytes], ...]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return tuple((i.filename, z.read(i)) for i in z.infolist())


def write_parts(parts: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED, comment: bytes = b"") -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": a doubled part is the point
        with zipfile.ZipFile(buf, "w", method) as z:
            for name, data in parts:
                z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, compress_type=method)
            z.comment = comment
    return buf.getvalue()


def _central_entries(data: bytes) -> list[int]:
    """Offsets of the central directory's file headers (empty when the zip has none to find)."""
    end = data.rfind(b"PK\x05\x06")
    if end < 0 or end + 22 > len(data):
        return []
    count, _, start = struct.unpack_from("<HII", data, end + 10)
    out, at = [], start
    for _ in range(count):
        if data[at : at + 4] != b"PK\x01\x02":
            break
        out.append(at)
        n, m, k = struct.unpack_from("<HHH", data, at + 28)
        at += 46 + n + m + k
    return out


def _patch(data: bytes, at: int, fmt: str, value: int) -> bytes:
    b = bytearray(data)
    struct.pack_into(fmt, b, at, value)
    return bytes(b)


def _local_of(data: bytes, central: int) -> int:
    return struct.unpack_from("<I", data, central + 42)[0]


def _pick_weighted(rng: random.Random, names: list[str]) -> str:
    """A part, the worksheets and the workbook's own parts more often than the theme or properties."""
    weights = [
        6
        if "worksheets/" in n
        else 4
        if n.endswith(("workbook.xml", ".rels", "Content_Types].xml"))
        else 2
        if "styles" in n
        else 1
        for n in names
    ]
    return rng.choices(names, weights)[0]


ZIP_KINDS = (
    "truncate",
    "bytes",
    "drop",
    "duplicate",
    "rename",
    "method",
    "crc",
    "sizes",
    "junk",
    "swap",
    "empty",
    "random-content",
    "reorder",
    "encrypt-flag",
    "comment",
    "stored",
    "nested-zip",
    "header-bytes",
)


def zip_mutation(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    kind = rng.choice(ZIP_KINDS)
    parts = read_parts(data)
    names = [n for n, _ in parts]
    if kind == "truncate":
        at = rng.randrange(1, len(data))
        return data[:at], f"cut at byte {at}"
    if kind == "bytes":
        b = bytearray(data)
        spots = [rng.randrange(len(b)) for _ in range(rng.randint(1, 16))]
        for at in spots:
            b[at] = rng.randrange(256)
        return bytes(b), f"bytes overwritten at {spots}"
    if kind == "header-bytes":  # inside the central directory or a local header, where a byte means most
        heads = _central_entries(data)
        if not heads:
            return data[:-1], "last byte cut"
        at = (
            rng.choice(heads) + rng.randrange(46)
            if rng.random() < 0.6
            else _local_of(data, rng.choice(heads)) + rng.randrange(30)
        )
        return _patch(data, at, "<B", rng.randrange(256)), f"header byte {at} changed"
    name = _pick_weighted(rng, names)
    i = names.index(name)
    if kind == "drop":
        return write_parts(parts[:i] + parts[i + 1 :]), f"{name} dropped"
    if kind == "duplicate":
        other = rng.choice(parts)[1]
        return write_parts(parts + [(name, rng.choice([parts[i][1], other, b""]))]), f"{name} doubled"
    if kind == "rename":
        new = rng.choice(
            [
                name.upper(),
                "/" + name,
                "./" + name,
                name.replace("/", "\\"),
                "../" + name,
                name + " ",
                name.replace("xl/", "xl/xl/"),
                name.replace(".xml", ".XML"),
                "x" * 300 + ".xml",
            ]
        )
        return write_parts([(new if n == name else n, d) for n, d in parts]), f"{name} renamed {new!r}"
    if kind == "method":
        heads = _central_entries(data)
        method = rng.choice([0, 1, 9, 12, 14, 99, 0xFFFF])
        where = rng.choice(heads)
        out = _patch(data, where + 10, "<H", method)
        if rng.random() < 0.5:
            out = _patch(out, _local_of(data, where) + 8, "<H", method)
        return out, f"compression method of an entry set to {method}"
    if kind == "crc":
        where = rng.choice(_central_entries(data))
        return _patch(data, where + 16, "<I", rng.randrange(1 << 32)), "an entry's CRC changed"
    if kind == "sizes":
        where = rng.choice(_central_entries(data))
        size = rng.choice([0, 1, 100, 1 << 20, 0xFFFFFFFF, rng.randrange(1 << 32)])
        return _patch(data, where + rng.choice([20, 24]), "<I", size), f"an entry's size set to {size}"
    if kind == "junk":
        junk = rng.randbytes(rng.randint(1, 4000))
        return (junk + data, "junk before") if rng.random() < 0.5 else (data + junk, "junk after")
    if kind == "swap":
        j = rng.randrange(len(parts))
        swapped = list(parts)
        swapped[i], swapped[j] = (parts[i][0], parts[j][1]), (parts[j][0], parts[i][1])
        return write_parts(swapped), f"{name} and {parts[j][0]} swapped contents"
    if kind == "empty":
        return write_parts([(n, b"" if n == name else d) for n, d in parts]), f"{name} emptied"
    if kind == "random-content":
        junk = rng.randbytes(rng.randint(1, 3000))
        return write_parts([(n, junk if n == name else d) for n, d in parts]), f"{name} replaced by random bytes"
    if kind == "reorder":
        shuffled = list(parts)
        rng.shuffle(shuffled)
        return write_parts(shuffled), "entries reordered"
    if kind == "encrypt-flag":
        where = rng.choice(_central_entries(data))
        flags = struct.unpack_from("<H", data, where + 8)[0]
        return _patch(data, where + 8, "<H", flags | 1), "an entry marked encrypted"
    if kind == "comment":
        return write_parts(parts, comment=rng.randbytes(rng.randint(1, 65535))), "a long archive comment"
    if kind == "stored":
        return write_parts(parts, zipfile.ZIP_STORED), "every entry stored uncompressed"
    # nested-zip: a part that is itself a zip
    return write_parts([(n, data if n == name else d) for n, d in parts]), f"{name} replaced by the whole zip"


# --- XML plumbing --------------------------------------------------------------------------------------------

_TAG_RE = re.compile(r"<([A-Za-z_][\w.:-]*)(\s[^<>]*?)?(/?)>")
_ATTR_RE = re.compile(r'([A-Za-z_][\w.:-]*)="([^"]*)"')
_TEXT_RE = re.compile(r">([^<>]+)<")

NASTY_TEXT = [
    "",
    " ",
    "1e308",
    "-1e308",
    "1E+999",
    "NaN",
    "inf",
    "-0",
    "0x1F",
    "9" * 400,
    "46237",
    "-46237",
    "2958466",
    "1.5",
    "TRUE",
    "#REF!",
    "#DIV/0!",
    "2026-13-45",
    "31/02/2026",
    "=1+1",
    "@SUM(A1)",
    "SE1 0\u0410\u0410",
    "\u202eevil",
    "\ufeffClaim ref",
    "x" * 40_000,
    "&amp;",
    "&lt;tag&gt;",
    "&#9;",
    "£1,200.50",
    "Yes",
    "N/A",
    "2a; 3a",
    "\U0001f600",
    "Client\u00a0ref",
    "Claims",
    "Return",
]
CELL_REFS = [
    "A0",
    "A1048577",
    "XFE1",
    "ZZZZ1",
    "",
    "1A",
    "A-1",
    "$A$1",
    "a1",
    "A01",
    "AAA999999999",
    "B2:C3",
    "R1C1",
    "A",
    "1",
    "\u0410\u0031",
]
ATTR_VALUES = {
    "r": CELL_REFS + ["0", "-1", "1048577", "99999999999999999999", "3", "2", "1"],
    "t": ["s", "n", "b", "e", "str", "inlineStr", "d", "zz", ""],
    "s": ["0", "999", "-1", "1e3", "", "x"],
    "name": ["", "Claims", "claims", "Return", " Return", "x" * 40, "A/B", "Sheet'", "\u202eReturn", "Lists"],
    "state": ["hidden", "veryHidden", "visible", "shown", ""],
    "Target": [
        "/xl/worksheets/sheet99.xml",
        "worksheets/sheet1.xml",
        "../../../../etc/passwd",
        "http://example.org/x",
        "",
        "/xl/workbook.xml",
        "/xl/styles.xml",
        "#",
        "/xl/worksheets/sheet3.xml",
    ],
    "Id": ["rId1", "rId99", "", "rId2"],
    "r:id": ["rId1", "rId99", "", "rId2"],
    "ref": ["A1:ZZ1048576", "A1", "", "B2:A1", "A1:XFD1048576"],
    "sqref": ["A1:ZZ1048576", "", "XFD1048576"],
    "numFmtId": ["14", "22", "49", "999", "-1", "164"],
    "formatCode": ["yyyy-mm-dd", "0.00", "@", "General", "[h]:mm", '"x"', ""],
    "ContentType": ["application/xml", "text/plain", "", "application/vnd.ms-excel.sheet.macroEnabled.main+xml"],
    "PartName": ["/xl/worksheets/sheet99.xml", "", "/xl/workbook.xml"],
    "sheetId": ["0", "-1", "1", "99999999999"],
    "min": ["0", "-1", "16385", "99999999"],
    "max": ["0", "-1", "16385", "99999999"],
    "spans": ["1:99999", "0:0", "", "x"],
    "count": ["0", "-1", "99999999999"],
    "uniqueCount": ["0", "-1", "99999999999"],
}
GENERIC_VALUES = ["", "0", "-1", "1", "99999999999999999999", "x", "true", "\u202e", "&amp;", "&#1;", "1e308"]


def _element_span(text: str, m: re.Match) -> tuple[int, int]:
    """The start and end of the element whose start tag is ``m`` (its close tag found by counting)."""
    if m.group(3) == "/":
        return m.start(), m.end()
    name = re.escape(m.group(1))
    depth, at = 1, m.end()
    pattern = re.compile(rf"<(/?){name}(?:\s[^<>]*?)?(/?)>")
    while depth:
        n = pattern.search(text, at)
        if n is None:
            return m.start(), m.end()
        if n.group(1):
            depth -= 1
        elif not n.group(2):
            depth += 1
        at = n.end()
    return m.start(), at


XML_KINDS = (
    "delete-element",
    "duplicate-element",
    "attribute",
    "attribute",
    "attribute",
    "drop-attribute",
    "text",
    "text",
    "truncate",
    "bad-char",
    "namespace",
    "declaration",
    "unknown-element",
    "rows",
    "shared",
    "formula",
    "doctype",
    "swap-elements",
)


def xml_mutation(text: str, rng: random.Random) -> tuple[str | bytes, str]:
    kind = rng.choice(XML_KINDS)
    tags = [m for m in _TAG_RE.finditer(text) if not m.group(0).startswith("<?")]
    if not tags:
        return text + "<", "an unclosed tag appended"
    if kind in ("delete-element", "duplicate-element"):
        m = rng.choice(tags[1:] or tags)
        a, b = _element_span(text, m)
        if kind == "delete-element":
            return text[:a] + text[b:], f"<{m.group(1)}> deleted"
        return text[:b] + text[a:b] + text[b:], f"<{m.group(1)}> doubled"
    if kind == "swap-elements":
        same = [m for m in tags if m.group(1) in ("row", "c", "sheet", "Relationship", "Override", "xf", "col")]
        if len(same) < 2:
            return text[: len(text) // 2], "cut in half"
        m1, m2 = sorted(rng.sample(same, 2), key=lambda m: m.start())
        a1, b1 = _element_span(text, m1)
        a2, b2 = _element_span(text, m2)
        if b1 > a2:  # nested: drop the inner one instead
            return text[:a2] + text[b2:], f"<{m2.group(1)}> deleted"
        return text[:a1] + text[a2:b2] + text[b1:a2] + text[a1:b1] + text[b2:], f"two <{m1.group(1)}> swapped"
    if kind in ("attribute", "drop-attribute"):
        attrs = [(m, a) for m in tags for a in _ATTR_RE.finditer(m.group(0))]
        if not attrs:
            return text.replace(">", "", 1), "a '>' removed"
        m, a = rng.choice(attrs)
        start, end = m.start() + a.start(), m.start() + a.end()
        if kind == "drop-attribute":
            return text[:start] + text[end:], f"{a.group(1)}= removed from <{m.group(1)}>"
        key = a.group(1)
        value = rng.choice(ATTR_VALUES.get(key, ATTR_VALUES.get(key.split(":")[-1], GENERIC_VALUES)))
        value = value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;") if rng.random() < 0.8 else value
        return text[:start] + f'{key}="{value}"' + text[end:], f"{key}={value[:40]!r} in <{m.group(1)}>"
    if kind == "text":
        nodes = list(_TEXT_RE.finditer(text))
        if not nodes:
            return text.replace("/>", ">x</x>", 1), "text where none belongs"
        n = rng.choice(nodes)
        value = rng.choice(NASTY_TEXT)
        if "&" not in value or rng.random() < 0.3:
            value = value.replace("&", "&amp;").replace("<", "&lt;")
        return text[: n.start(1)] + value + text[n.end(1) :], f"text {n.group(1)[:30]!r} -> {value[:30]!r}"
    if kind == "truncate":
        at = rng.randrange(len(text))
        return text[:at], f"cut at character {at}"
    if kind == "bad-char":
        at = rng.randrange(len(text))
        bad = rng.choice(["\x01", "\x00", "\x1b", "\ufffe", "\ud800", b"\xff", b"\xc3", b"\xed\xa0\x80"])
        if isinstance(bad, bytes):
            return text[:at].encode() + bad + text[at:].encode(), f"byte {bad!r} at {at}"
        return text[:at] + bad + text[at:], f"character {bad!r} at {at}"
    if kind == "namespace":
        new = rng.choice(["http://purl.oclc.org/ooxml/spreadsheetml/main", "urn:x", "", MAIN_NS + "x"])
        return text.replace(MAIN_NS, new, rng.choice([1, -1])), f"namespace -> {new!r}"
    if kind == "declaration":
        head = rng.choice(
            [
                '<?xml version="1.0" encoding="UTF-16"?>',
                '<?xml version="2.0"?>',
                "\ufeff",
                '<?xml version="1.0" encoding="latin-1"?>',
                "<!-- " + "x" * 70_000 + " -->",
                "  \n",
            ]
        )
        return head + text, f"prolog {head[:30]!r}"
    if kind == "unknown-element":
        m = rng.choice(tags)
        extra = rng.choice(
            [
                '<foo:bar xmlns:foo="urn:x"/>',
                "<c/>",
                "<row/>",
                '<c r="A1"><v>1</v></c>',
                "<is><t>x</t></is>",
                "<v>1</v>",
                '<sheet name="Extra" sheetId="99" r:id="rId99"/>',
            ]
        )
        return text[: m.end()] + extra + text[m.end() :], f"{extra[:30]!r} inside <{m.group(1)}>"
    if kind == "rows":
        rows = list(re.finditer(r'<row r="(\d+)"', text))
        if not rows:
            return text[:-1], "last character cut"
        n = rng.choice(rows)
        new = rng.choice(["1", "2", str(int(n.group(1)) - 1), "1048576", "1048577", "1000000000", "0"])
        return text[: n.start(1)] + new + text[n.end(1) :], f"row {n.group(1)} renumbered {new}"
    if kind == "shared":  # a cell points at shared strings the workbook may not have
        cells = list(re.finditer(r't="inlineStr"><is><t[^>]*>[^<]*</t></is>', text))
        if not cells:
            return text.replace('t="n"', 't="s"', 1), "a number cell typed as a shared string"
        c = rng.choice(cells)
        return text[: c.start()] + f't="s"><v>{rng.choice([0, 1, 5, 99999, -1])}</v>' + text[
            c.end() :
        ], "an inline string made a shared-string reference"
    if kind == "formula":
        cells = list(re.finditer(r"<v>", text))
        if not cells:
            return text, "no change"
        c = rng.choice(cells)
        f = rng.choice(["SUM(A1:A2)", "1/0", 'HYPERLINK("http://x")', "", "A1", "'x'!A1", "x" * 9000])
        return text[: c.start()] + f"<f>{f}</f>" + text[c.start() :], f"formula {f[:20]!r} in a cell"
    # doctype: a DTD, which Excel never writes
    return '<!DOCTYPE x [<!ENTITY a "b">]>' + text, "a DTD"


def mutant(base: bytes, seed: int, level: str | None = None) -> tuple[bytes, str]:
    """One mutant of ``base`` (an .xlsx's bytes) for ``seed``: ``level`` "zip" or "xml" (default: zip for
    even seeds, XML for odd ones); one to three mutations of that level."""
    rng = random.Random(seed)
    level = level or ("zip" if seed % 2 == 0 else "xml")
    done = []
    data = base
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        try:
            if level == "zip":
                data, what = zip_mutation(data, rng)
            else:
                parts = read_parts(data)
                names = [n for n, _ in parts if n.endswith((".xml", ".rels"))]
                name = _pick_weighted(rng, names)
                text = dict(parts)[name].decode("utf-8", "surrogateescape")
                new, what = xml_mutation(text, rng)
                if isinstance(new, str):
                    new = new.encode("utf-8", "surrogatepass")
                data = write_parts([(n, new if n == name else d) for n, d in parts])
                what = f"{name}: {what}"
        except Exception:  # noqa: BLE001 (the zip is already too broken to mutate further: it stands as it is)
            break
        done.append(what)
    return data, "; ".join(done) or "unchanged"


# --- the judge ---------------------------------------------------------------------------------------------


def content_key(raw) -> str:
    """What the reader made of a workbook (every sheet read, their states, its notes) as one hash: the same
    key gives the same typed return, and so the same findings."""
    import hashlib

    sheets = sorted((name, repr(sorted(vars(sheet).items()))) for name, sheet in raw.sheets.items())
    return hashlib.sha256(repr((sheets, sorted(raw.sheet_states.items()), raw.warnings)).encode()).hexdigest()


class AlreadyRead:
    """A read already made (its cells, or the Unreadable it ended in), handed to a check in place of a new
    read of the same file: what ``submission.start_read`` would give."""

    def __init__(self, got):
        self.got = got

    def result(self):
        if isinstance(self.got, BaseException):
            raise self.got
        return self.got

    def cancel(self) -> None:
        pass


def problem(path, ctx, seen: set[str], tally=None, limits=None) -> str | None:
    """Why checking ``path`` ended in what would be an internal error, or None when it ended in a plain
    sentence (S001) or a report. The file is read in this process (no child process, so openpyxl reads)
    unless ``limits`` say otherwise; its findings are worked out once per distinct content (``seen``: the
    content keys already checked in full). ``tally`` (a Counter), when given, counts how each file ended:
    "S001 <reason>" or "read"."""
    from swtool import catalogue
    from swtool.engine import check_file
    from swtool.findings import SEVERITIES
    from swtool.read import submission
    from swtool.read.preflight import Limits, Unreadable
    from swtool.read.submission import wanted_sheets
    from swtool.read.workbook import read
    from swtool.report import json_, junit, text

    limits = limits or Limits(child_process=False)
    try:
        raw = read(
            path,
            wanted={w.casefold() for w in wanted_sheets()},
            limits=limits,
            reader=ctx.settings.get("reader", "calamine"),
        )
    except Unreadable as e:  # S001: a sentence for the provider
        if tally is not None:
            tally[f"S001 {e.reason}"] += 1
        return None if str(e).strip() and "Traceback" not in str(e) else f"S001 without a sentence: {e!r}"
    except Exception as e:  # noqa: BLE001
        return f"the reader raised {type(e).__name__}: {e}"
    if tally is not None:
        tally["read"] += 1
    key = content_key(raw)
    if key in seen:
        return None
    seen.add(key)
    rules = catalogue.load_all()
    try:
        # the check takes the cells just read instead of reading the file a second time: the same reader
        # with the same limits gives the same cells, and the typing and the rules still run in full
        with mock.patch.object(submission, "start_read", lambda *args, **kwargs: AlreadyRead(raw)):
            report, _ = check_file(path, ctx, limits)
        text.render([report], ctx.refdata, ctx.today)
        json_.render([report], catalogue.ruleset_version())
        junit.render([report], rules)
    except Exception as e:  # noqa: BLE001
        return f"{type(e).__name__}: {e}"
    for f in report.findings:
        if f.value == "not-checked" or "did not expect" in f.message or "could not run on this return" in f.message:
            return f"{f.code} {f.message}"
        if f.code not in rules or f.severity not in SEVERITIES:
            return f"unknown rule or severity: {f}"
    return None
