"""The fast reader: python-calamine (Rust) reads the values, and they come out as openpyxl gives them.

Runs only inside the bounded child of ``swtool.read.workbook``: calamine aborts the whole process on
some files (INPUT-SAFETY), which there ends the child, not the tool. The result is the same
``RawSheet`` the openpyxl reader makes: Excel row numbers, the same width, blank-row and limit
handling, text cuts and budgets (``workbook.collect_rows`` does both).

calamine and openpyxl read a few things differently. Each is either put right here or, where the
file alone can tell and putting it right would mean reading the XML ourselves, the file is handed to
the openpyxl reader (``NotForCalamine``): the answer is then exactly openpyxl's, only slower.

- Put right: every number comes back as a float (a whole one becomes an int, as openpyxl reads
  ``<v>5</v>``); a whole serial in a date format comes back as a ``date`` (openpyxl: a ``datetime`` at
  midnight); an empty cell is ``""`` (``None``); an error cell (``#N/A``) is blank (its text is read from
  the sheet, as openpyxl keeps it).
- Handed to openpyxl: number formats the two readers class differently (date, duration or number;
  each style is tried with calamine itself); ``_x000D_``-style escapes (calamine decodes them, openpyxl
  keeps them as text); spaces around a text without ``xml:space="preserve"``, empty strings and CDATA
  (calamine trims or drops them); ISO date cells (``t="d"``); negative, far-future or duration values
  in a date format and a midnight time (the two round or convert them differently); whole numbers of
  16 digits and more; rows without numbers; sheets that are not plain worksheets.

What is not looked for, because no spreadsheet program writes it (docs/decisions.md): rows out of
order or repeated, whole numbers written as ``5.0`` or ``1E3`` (an int here, a float to openpyxl),
numbers with spaces after them (``<v>7 </v>``), booleans other than 0 and 1, a self-closed ``<is/>``.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from operator import add
from pathlib import Path

from swtool.read.formulas import holds_formula
from swtool.read.preflight import Preflight, open_regular

STYLES = "xl/styles.xml"  # both readers take the styles from this fixed part
EXACT = 10**15  # whole floats below this become ints (openpyxl: a number without '.' or 'E')
LAST_SERIAL = 2_958_465  # 31/12/9999: openpyxl reads no later date (it gives "#VALUE!")
MAX_STYLES = 65_536


class NotForCalamine(Exception):
    """The file has something the two readers read differently: the openpyxl reader reads it."""


# --- number formats: how openpyxl classes a style (a copy of openpyxl.styles.numbers, 3.1.5) ----------

_BUILTIN_DATE_IDS = {
    14: "mm-dd-yy",
    15: "d-mmm-yy",
    16: "d-mmm",
    17: "mmm-yy",
    18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM",
    20: "h:mm",
    21: "h:mm:ss",
    22: "m/d/yy h:mm",
    45: "mm:ss",
    46: "[h]:mm:ss",
    47: "mmss.0",
}  # the built-in formats openpyxl reads as dates
_STRIP_RE = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_TIMEDELTA_RE = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I)
_DATE_CHAR_RE = re.compile(r"(?<![_\\])[dmhysDMHYS]")


def openpyxl_kind(fmt: str | None) -> str:
    """ "date", "duration" or "number": how openpyxl 3.1.5 reads a number in this format."""
    if fmt is None:
        return "number"
    first = fmt.split(";")[0]
    if _DATE_CHAR_RE.search(_STRIP_RE.sub("", first)) is None:
        return "number"
    return "duration" if _TIMEDELTA_RE.search(first) else "date"


_NUMFMT_RE = re.compile(rb"<(?:\w+:)?numFmt\b([^>]*)>")
_XF_RE = re.compile(rb"<(?:\w+:)?xf\b([^>]*)>")
_ATTR_RE = re.compile(rb'([\w:]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_CELLXFS_RE = re.compile(rb"<(?:\w+:)?cellXfs\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?cellXfs>)", re.S)


def _attrs(raw: bytes) -> dict[bytes, str]:
    return {
        k.split(b":")[-1]: _unescape((a if a is not None else b).decode("utf-8", "replace"))
        for k, a, b in ((m.group(1), m.group(2), m.group(3)) for m in _ATTR_RE.finditer(raw))
    }


def _unescape(s: str) -> str:
    if "&" not in s:
        return s
    import html

    return html.unescape(s)


def style_kinds(styles: bytes) -> list[str]:
    """openpyxl's kind of each cell style (``s="n"`` of a cell) in a styles part."""
    custom: dict[int, str] = {}
    for m in _NUMFMT_RE.finditer(styles):
        a = _attrs(m.group(1))
        try:
            custom[int(a.get(b"numFmtId", ""))] = a.get(b"formatCode", "")
        except ValueError:
            raise NotForCalamine("a number format without a number") from None
    xfs = _CELLXFS_RE.search(styles)
    kinds = []
    for xf in _XF_RE.finditer(xfs.group(1) or b"") if xfs else ():
        try:
            fid = int(_attrs(xf.group(1)).get(b"numFmtId", "0"))
        except ValueError:
            raise NotForCalamine("a cell style without a number format") from None
        kinds.append(openpyxl_kind(custom[fid] if fid in custom else _BUILTIN_DATE_IDS.get(fid)))
    return kinds


def calamine_kinds(styles: bytes, n: int) -> list[str]:
    """calamine's kind of each of the first ``n`` cell styles, found by asking calamine: a tiny workbook
    with the file's own styles part and 1.5 in one cell of each style."""
    from python_calamine import CalamineWorkbook

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in _probe_parts(n).items():
            z.writestr(name, data)
        z.writestr(STYLES, styles)
    buf.seek(0)
    wb = CalamineWorkbook.from_filelike(buf)
    try:
        sheet = wb.get_sheet_by_name("probe")
        values = [row[0] for row in sheet.iter_rows()] if sheet.start is not None else []
    finally:
        wb.close()
    kinds = []
    for v in values[:n]:
        kinds.append(
            "duration"
            if isinstance(v, timedelta)
            else "date"
            if isinstance(v, (date, time))
            else "number"
            if isinstance(v, float)
            else "?"
        )
    return kinds + ["?"] * (n - len(kinds))


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _probe_parts(n: int) -> dict[str, str]:
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    rows = "".join(f'<row r="{i + 1}"><c r="A{i + 1}" s="{i}"><v>1.5</v></c></row>' for i in range(n))
    return {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/></Types>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        '<sheet name="probe" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{_MAIN}"><sheetData>{rows}</sheetData></worksheet>',
    }


# --- what the XML of a part says before calamine reads it ------------------------------------------------

_ESCAPE_RE = re.compile(rb"_x[0-9A-Fa-f]{4}_")  # calamine decodes; openpyxl keeps the text
_TEXT_RE = re.compile(rb'<t(?:>[ \t\r\n<]|/>| xml:space="preserve"><)')  # trimmed, empty or CDATA text
_TYPE_RE = re.compile(rb' t="[ed]"')  # an error cell, an ISO date cell
_VALUE_RE = re.compile(rb"<v>(?:[^0-9]|\d{7})")  # negative, odd or large numbers
_CELL_TAG_RE = re.compile(rb"<c\b([^>]*)>")


def check_strings(data: bytes, part: str) -> None:
    """Raise NotForCalamine where the shared strings would read differently."""
    if b"<sst" not in data[:1024]:
        raise NotForCalamine(f"{part}: not a plain shared-strings part")  # a namespace prefix
    if _ESCAPE_RE.search(data):
        raise NotForCalamine(f"{part}: text with _xHHHH_ escapes")
    if _TEXT_RE.search(data) or b"<si/>" in data or b"<si></si>" in data or _trailing_space(data):
        raise NotForCalamine(f"{part}: empty text, or text with spaces around it that is not preserved, or CDATA")


# each a literal the regular expression engine finds faster than bytes.find; one expression for the four
# would try every position of the part
_TRAILING = tuple(re.compile(re.escape(e)) for e in (b" </t>", b"\n</t>", b"\t</t>", b"\r</t>"))


def _trailing_space(data: bytes) -> bool:
    """A text ending in a space whose element does not say xml:space="preserve": calamine drops the space.
    Excel, LibreOffice and openpyxl all say it; a few plain searches, then a look at each hit's tag."""
    for ending in _TRAILING:
        for m in ending.finditer(data):
            at = m.start()
            start = data.rfind(b"<t", 0, at)
            if start < 0 or b"preserve" not in data[start : data.find(b">", start)]:
                return True
    return False


def check_sheet(data: bytes, part: str, date_styles: set[int]) -> bool:
    """Raise NotForCalamine where this worksheet would read differently; True when it holds error cells
    (their text is read from the XML: calamine gives them blank)."""
    if not data[:512].lstrip().startswith((b"<?xml", b"<worksheet")) or b"<sheetData" not in data:
        raise NotForCalamine(f"{part}: not a plain worksheet")  # a namespace prefix, a chart sheet
    inline = b"<is>" in data or b't="str"' in data
    if inline and _ESCAPE_RE.search(data):
        raise NotForCalamine(f"{part}: text with _xHHHH_ escapes")
    if inline and (_TEXT_RE.search(data) or _trailing_space(data)):
        raise NotForCalamine(f"{part}: empty text, or text with spaces around it that is not preserved, or CDATA")
    errors = False
    for m in _TYPE_RE.finditer(data):
        if data[m.end() - 2 : m.end() - 1] == b"d":
            raise NotForCalamine(f"{part}: ISO date cells")
        errors = True
    for m in _VALUE_RE.finditer(data):
        _check_value(data, m.start(), part, date_styles)
    return errors


_V_END_RE = re.compile(rb"<v>([^<]*)</v>")


def _check_value(data: bytes, at: int, part: str, date_styles: set[int]) -> None:
    m = _V_END_RE.match(data, at)
    text = m.group(1) if m else b""
    start = max(data.rfind(b"<c ", 0, at), data.rfind(b"<c>", 0, at))
    cell = _CELL_TAG_RE.match(data, start) if start >= 0 else None
    attrs = _attrs(cell.group(1)) if cell else {}
    kind = attrs.get(b"t", "n")
    if kind not in ("n", ""):
        return  # a string, boolean or error: not a number either reader converts
    if not text:
        return  # no value: blank to both
    stripped = text.strip()
    if stripped != text or not stripped:
        raise NotForCalamine(f"{part}: a number with spaces around it")
    digits = stripped.lstrip(b"-+")
    if digits.isdigit() and len(digits) >= 16:
        raise NotForCalamine(f"{part}: a whole number of 16 digits or more")
    try:
        n = float(stripped)
    except ValueError:
        raise NotForCalamine(f"{part}: a number that is not one") from None
    try:
        style = int(attrs.get(b"s", "0") or 0)
    except ValueError:
        style = -1
    if style in date_styles and not 0 <= n < LAST_SERIAL:
        raise NotForCalamine(f"{part}: a date before 1900 or after 9999")


# --- reading -------------------------------------------------------------------------------------------


@contextmanager
def quiet_stderr():
    """calamine prints Rust's message and backtrace to stderr before it aborts the process: the child
    dies either way (S001 or the openpyxl reader), and the provider sees no backtrace. A fault handler
    (a test runner's) would print the Python stack of that abort: it is off meanwhile."""
    import faulthandler

    handler = faulthandler.is_enabled()
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    faulthandler.disable()
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 2)
        finally:
            os.close(null)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        if handler:
            try:
                faulthandler.enable()
            except (OSError, ValueError, AttributeError):  # a stderr with no file descriptor
                pass


@dataclass
class Facts:
    """What ``prepare`` learnt: the parts with error cells or formulas (``formulas.scan`` reads them),
    the number of each sheet's last row element (openpyxl reads blank rows down to it), and the zip
    name of each part."""

    error_parts: set[str] = field(default_factory=set)
    formula_parts: set[str] = field(default_factory=set)
    last_row: dict[str, int] = field(default_factory=dict)
    real: dict[str, str] = field(default_factory=dict)


def prepare(path: Path, pf: Preflight, names: list[str]) -> Facts:
    """Look over the file before calamine reads it: raise NotForCalamine, or say what to read besides."""
    facts = Facts()
    parts = {pf.part_of(n) or "" for n in names}
    with open_regular(path) as fh, zipfile.ZipFile(fh) as zf:
        real = {i.filename.lower(): i.filename for i in zf.infolist()}
        date_styles: set[int] = set()
        if STYLES in real.values():
            styles = zf.read(STYLES)
            ours = style_kinds(styles)
            if len(ours) > MAX_STYLES:
                raise NotForCalamine("more cell styles than Excel allows")
            theirs = calamine_kinds(styles, len(ours)) if ours else []
            if ours != theirs:
                k = next(i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b)
                raise NotForCalamine(f"cell style {k} is a {ours[k]} to openpyxl and a {theirs[k]} to calamine")
            if "duration" in ours:
                raise NotForCalamine("a duration number format ([h]:mm)")  # the two round them differently
            date_styles = {i for i, k in enumerate(ours) if k == "date"}
        for low, name in real.items():
            if low.endswith("sharedstrings.xml"):
                check_strings(zf.read(name), name)
        for part in parts:
            if not part.lower().startswith("xl/worksheets/") or part.lower() not in real:
                raise NotForCalamine(f"{part or 'a sheet'}: not a worksheet")
            name = facts.real[part] = real[part.lower()]
            data = zf.read(name)
            if check_sheet(data, name, date_styles):
                facts.error_parts.add(part)
            if holds_formula(data):
                facts.formula_parts.add(part)
            facts.last_row[part] = last_row(data, name)
            del data
    return facts


_ROW_TAG_RE = re.compile(rb"<row\b([^>]*)>")


def last_row(data: bytes, part: str) -> int:
    """The number of the sheet's last row element (0 when it has none): openpyxl reads blank rows down
    to it, calamine only down to its last value."""
    end = data.rfind(b"</sheetData>")
    at = data.rfind(b"<row", 0, end if end >= 0 else len(data))
    while at >= 0:
        m = _ROW_TAG_RE.match(data, at)
        if m:
            r = _attrs(m.group(1)).get(b"r")
            if r is None:
                raise NotForCalamine(f"{part}: rows without numbers")
            try:
                return int(float(r))
            except ValueError:
                raise NotForCalamine(f"{part}: a row without a proper number") from None
        at = data.rfind(b"<row", 0, at)  # <rowBreaks>, <rows…> are not rows
    return 0


def open_workbook(path: Path):
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path))


def call(fn, *args):
    """``fn(*args)`` of calamine's; any failure of its (pyo3's PanicException is a BaseException) is
    NotForCalamine, except running out of memory, which the bounded child reports."""
    try:
        return fn(*args)
    except (MemoryError, KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001
        raise NotForCalamine(f"calamine could not read it ({type(e).__name__}: {e})"[:200]) from None


_MIDNIGHT = time()
_STR = {str}


class Converter:
    """Turns calamine's rows into openpyxl's values. Equal texts and dates become one object each, so
    the rows pickle small and fast on their way out of the child (pickle writes a repeated object once)."""

    def __init__(self):
        self.texts: dict[str, str | None] = {"": None}  # an empty cell is "" to calamine, None to openpyxl
        self.dates: dict[date, datetime] = {}

    def value(self, v):
        """One value as openpyxl gives it."""
        c = v.__class__
        if c is str:
            return self.texts.setdefault(v, v)
        if c is float:
            return int(v) if v.is_integer() and -EXACT < v < EXACT else v
        if c is date:
            d = self.dates.get(v)
            if d is None:
                d = self.dates[v] = datetime(v.year, v.month, v.day)
            return d
        if c is time and v == _MIDNIGHT:  # serial 0, a negative serial or 0.99999999: openpyxl tells them apart
            raise NotForCalamine("a midnight time")
        if c is timedelta:
            raise NotForCalamine("a duration")
        return v

    def block(self, rows: list[list], width: int, offset: int, max_text: int) -> tuple[list[list], list]:
        """Rows of one sheet as openpyxl gives them, as ``width`` columns (lists, column A first), and the
        characters of text in each row (None for a row with a text longer than ``max_text``: it is cut,
        and counted, one row at a time).

        A column at a time: calamine's rows of a sheet are all as wide as its used range, so a column is
        a tuple (``zip``), and a column is converted and measured by C-level lookups over its distinct
        values, not a Python step per cell. The columns stay columns: the tables are typed a column at a
        time (``workbook.Rows``)."""
        n = len(rows)
        if not n:
            return [[] for _ in range(width)], []
        columns = list(zip(*rows))[: max(width - offset, 0)]
        texts = self.texts
        out: list = [[None] * n for _ in range(min(offset, width))]
        chars: list | None = None
        cut = False
        for col in columns:
            classes = set(map(type, col))
            if classes == _STR:
                out.append(list(map(texts.setdefault, col, col)))
                lengths = list(map(len, col))
            else:
                if bool in classes and (float in classes or int in classes):  # True == 1.0 as keys: cell by cell
                    out.append([v if v.__class__ is bool else self.value(v) for v in col])
                else:
                    seen = {v: self.value(v) for v in dict.fromkeys(col)}
                    out.append(list(map(seen.__getitem__, col)))
                if str not in classes:
                    continue
                lengths = [len(v) if v.__class__ is str else 0 for v in col]
            chars = lengths if chars is None else list(map(add, chars, lengths))
            cut = cut or max(lengths) > max_text
        while len(out) < width:
            out.append([None] * n)
        if chars is None:
            return out, [0] * n
        if cut:  # the rows with a long text are measured again, and cut, one at a time
            rows_chars: list[int | None] = list(chars)
            for k in range(n):
                if any(c[k].__class__ is str and len(c[k]) > max_text for c in out):
                    rows_chars[k] = None
            return out, rows_chars
        return out, chars

    def row(self, row: list, width: int, offset: int, patch: dict[int, str] | None) -> tuple:
        """One row as openpyxl gives it: ``width`` values from column A, ``offset`` being the column of
        the row's first value; ``patch`` puts the text of error cells back (column -> text)."""
        if offset:
            row = [""] * offset + row
        if len(row) > width:
            del row[width:]
        texts = self.texts
        for k, v in enumerate(row):
            c = v.__class__
            if c is str:
                row[k] = texts.setdefault(v, v)
            elif c is float:
                if v.is_integer() and -EXACT < v < EXACT:
                    row[k] = int(v)
            elif c is date:
                d = self.dates.get(v)
                if d is None:
                    d = self.dates[v] = datetime(v.year, v.month, v.day)
                row[k] = d
            elif c is time:
                if v == _MIDNIGHT:  # serial 0, a negative serial or 0.99999999: openpyxl tells them apart
                    raise NotForCalamine("a midnight time")
            elif c is timedelta:
                raise NotForCalamine("a duration")
        if len(row) < width:
            row += [None] * (width - len(row))
        if patch:
            for col, text in patch.items():
                if col <= width:
                    row[col - 1] = text
        return tuple(row)
