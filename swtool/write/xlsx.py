"""Writing the council's workbooks: every cell one safe way, the same file every time.

``put`` is the one way swtool writes a value into a cell, for every workbook it writes (templates,
the annotated copy, remedial action plans, the network report). Text is always a string cell, never
a formula: text that Excel or LibreOffice would take for a formula when the cell is edited or the
sheet is saved as CSV (``= + - @`` first, also after white space or in their full-width forms, or a
tab, CR or LF first) also gets the quote-prefix style, the apostrophe Excel shows in the formula bar,
so it stays text. Numbers and dates stay numbers and dates. No formula text from a register, a
return or a decision can reach a workbook swtool writes.

openpyxl's own ``save`` stamps the document with the time of saving, so two writes of the same
content differ; ``save`` here writes through openpyxl's ExcelWriter with fixed document dates,
atomically (a temporary file, then one rename), so ``templates/`` can be tested for drift and a
plan or report written twice is the same file.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from swtool.write.atomic import atomic_path

FIXED_TIME = datetime(2026, 4, 1)
MAX_CELL_TEXT = 32_767  # Excel's limit for a cell
# First characters that make Excel or LibreOffice read typed or imported text as a formula (OWASP's
# CSV-injection list: = + - @, tab, CR; LF too), also after leading white space (a CSV import can trim
# it). The full-width forms (＝ ＋ － ＠) count as well: East Asian input methods type them and Excel
# may convert them. They are found after NFKC folding, which also folds the small forms (﹦ ﹢ ﹣ ﹫).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_FORMULA_CHARS = frozenset("=+-@")
# what openpyxl refuses to store (XML 1.0 forbids it): escaped as \x01 even where text is kept exact
_ILLEGAL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def looks_like_formula(text) -> bool:
    """True for text a spreadsheet could take for a formula: ``= + - @`` first (after any white space,
    full-width or not), or a tab, CR or LF first."""
    if not isinstance(text, str) or not text:
        return False
    if text.startswith(FORMULA_START):
        return True
    rest = text.lstrip()
    if not rest:
        return False
    first = rest[0]
    return first in _FORMULA_CHARS or (ord(first) > 0x7F and unicodedata.normalize("NFKC", first)[:1] in _FORMULA_CHARS)


def _escape(m: re.Match) -> str:
    return f"\\x{ord(m.group(0)):02x}"


def cell_text(value: str, *, exact: bool = False, limit: int = MAX_CELL_TEXT) -> str:
    """Text as ``put`` stores it. ``exact``: as written, only what XML cannot hold escaped (a template
    must carry the register's text so that it compares equal); otherwise control, bidi and zero-width
    characters are escaped and line breaks and tabs become spaces (``report.safe.safe_text``)."""
    if exact:
        text = _ILLEGAL_RE.sub(_escape, value)
        return text if len(text) <= limit else text[: limit - 1] + "…"
    from swtool.report.safe import safe_text

    return safe_text(value, limit)


def put(cell, value, *, exact: bool = False, limit: int = MAX_CELL_TEXT, number_format: str | None = None) -> None:
    """Write ``value`` into ``cell``; the one way swtool writes a cell, whatever the value's source.

    Text (``str``) is stored as a string cell (``data_type = "s"``), never as a formula or an error
    code; text that ``looks_like_formula`` also gets the quote-prefix style. ``exact`` keeps the text
    as written (``cell_text``). ``None`` leaves the cell as it is. ``Decimal`` is written as a float;
    numbers, booleans, dates and times as themselves (``number_format`` then applies to dates and
    times); anything else as its text.
    """
    if value is None:
        return
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, (bool, int, float)):
        cell.value = value
        return
    if isinstance(value, (datetime, date, time, timedelta)):
        cell.value = value
        if number_format:
            cell.number_format = number_format
        return
    original = value if isinstance(value, str) else str(value)
    text = cell_text(original, exact=exact, limit=limit)
    cell.value = text  # openpyxl makes "=…" a formula and "#N/A" an error here…
    cell.data_type = "s"  # …so the type is set after it: a string, whatever the text
    if looks_like_formula(text) or looks_like_formula(original):
        cell.quotePrefix = True


def save(wb, output: Path) -> Path:
    from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

    from openpyxl.writer.excel import ExcelWriter

    class FixedTimeZip(ZipFile):
        """Every part dated FIXED_TIME (zipfile would date each part with the time of writing)."""

        def writestr(self, name, data, *args, **kwargs):
            if isinstance(name, str):
                name = ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
                name.compress_type = ZIP_DEFLATED
            return super().writestr(name, data, *args, **kwargs)

        def write(self, filename, arcname=None, *args, **kwargs):  # worksheets come from temporary files
            with open(filename, "rb") as fh:
                return self.writestr(str(arcname or filename), fh.read())

    wb.properties.creator = wb.properties.lastModifiedBy = "swtool"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    output = Path(output)
    with atomic_path(output) as tmp, FixedTimeZip(tmp, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
    return output
