"""Formula cells with no saved value (rule S009), and the text of error cells, from a worksheet's XML.

One streaming pass over the XML of a sheet that holds formulas (``holds_formula``, a quick search of
the same XML, says which) or error cells, instead of a second, formula-aware openpyxl pass over the workbook. Cells are placed as
openpyxl's read-only reader places them (``openpyxl/worksheet/_reader.py``, ``_read_only.py``): a cell
without a reference follows the one before it, a row without a number follows the row before it, a
row that comes after a later one is passed over.

Safe to parse with the standard library: the pre-flight refused every part that declares a document
type, so there is no entity to expand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import IO

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ROW, FORMULA, VALUE, INLINE = NS + "row", NS + "f", NS + "v", NS + "is"


@dataclass
class Scan:
    """What a sheet's XML says that its values do not: ``formulas`` holds (row, column) of each
    formula cell with no saved value, ``errors`` the text of each error cell by (row, column), for the
    rows up to ``max_row`` that a reader keeps."""

    formulas: set[tuple[int, int]] = field(default_factory=set)
    errors: dict[int, dict[int, str]] = field(default_factory=dict)  # row -> column -> "#N/A"


# A formula element's start tag: <f>, <f t="shared" …>, <f/>, or with a namespace prefix (<x:f>). The
# plain form and the prefix's ':f' each begin with a literal the regular expression engine finds quickly
# (a '<' alone is every tenth byte of a sheet: matching from each one is ten times slower).
_FORMULA_RE = re.compile(rb"<(?:\w+:)?f[\s>/]")
_PLAIN_FORMULA_RE = re.compile(rb"<f[\s>/]")
_PREFIXED_HINT_RE = re.compile(rb":f[\s>/]")
CHUNK = 1 << 20


def holds_formula(data: bytes) -> bool:
    """True when a worksheet's XML holds a formula element (with or without a saved value)."""
    if _PLAIN_FORMULA_RE.search(data):
        return True
    return bool(_PREFIXED_HINT_RE.search(data)) and bool(_FORMULA_RE.search(data))


def part_holds_formula(fh: IO[bytes]) -> bool:
    """``holds_formula`` over a part read a chunk at a time (a tag cut between two chunks is found)."""
    tail = b""
    for chunk in iter(lambda: fh.read(CHUNK), b""):
        if holds_formula(tail + chunk):
            return True
        tail = chunk[-32:]
    return False


def column_number(letters: str) -> int:
    """A -> 1, XFD -> 16384; ValueError for anything openpyxl would not take as a column."""
    if not letters or len(letters) > 3 or not letters.isascii() or not letters.isalpha() or not letters.isupper():
        raise ValueError(f"{letters!r} is not a column")
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    if n > 16_384:
        raise ValueError(f"{letters!r} is not a column")
    return n


def _coordinate(ref: str) -> tuple[int, int]:
    i = 0
    while i < len(ref) and not ref[i].isdigit():
        i += 1
    return int(ref[i:]), column_number(ref[:i])


def _row_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        f = float(text)
        if not f.is_integer():
            raise ValueError(f"{text} is not a row number") from None
        return int(f)


def scan(fh: IO[bytes], max_row: int, errors: bool) -> Scan:
    """Read one worksheet part. ``errors``: also keep the text of error cells (``t="e"``)."""
    import xml.etree.ElementTree as ET  # only for a sheet with formulas or error cells

    out = Scan()
    row_counter = 0
    counter = 1  # the next row the reader yields; an earlier one is passed over
    for _, el in ET.iterparse(fh, events=("end",)):
        if el.tag != ROW:
            continue
        r = el.get("r")
        row_counter = _row_number(r) if r is not None else row_counter + 1
        idx = row_counter
        if idx > max_row:
            break
        if counter > idx:
            el.clear()
            continue
        counter = idx + 1
        col_counter = 0
        for c in el:
            ref = c.get("r")
            if ref:
                cell_row, column = _coordinate(ref)
                col_counter = column
            else:
                col_counter += 1
                cell_row, column = row_counter, col_counter
            kind = c.get("t", "n")
            if c.find(FORMULA) is not None:
                empty = c.find(INLINE) is None if kind == "inlineStr" else not c.findtext(VALUE)
                if empty:
                    out.formulas.add((cell_row, column))
            if errors and kind == "e":
                text = c.findtext(VALUE) or None
                if text is not None:
                    out.errors.setdefault(idx, {})[column] = text
        el.clear()
    return out
