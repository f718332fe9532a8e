"""Read a workbook's cells with their coordinates: streaming, bounded, never writing.

The result is plain data (lists and tuples of Python values), so it can be handed back from a child
process. Each sheet keeps the Excel row number of every row as Excel shows it (title rows, blank
rows and hidden rows do not shift it) and the column letter of every header.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from swtool.reader.preflight import Limits, Preflight, Unreadable
from swtool.reader.preflight import check as preflight_check

log = logging.getLogger(__name__)

HEADER_SEARCH_ROWS = 30


def column_letter(idx: int) -> str:
    """1 -> A, 28 -> AB."""
    s = ""
    while idx:
        idx, rem = divmod(idx - 1, 26)
        s = chr(65 + rem) + s
    return s


@dataclass
class RawSheet:
    """One sheet's cells. ``rows[i]`` is the Excel row number of ``values[i]``; ``values[i][j]`` is the
    value in column ``j + 1`` (A = 0). Blank rows are not kept."""

    name: str
    state: str
    rows: list[int] = field(default_factory=list)
    values: list[tuple] = field(default_factory=list)
    width: int = 0
    formula_cells: set[tuple[int, int]] = field(default_factory=set)  # (row, col) holding a formula
    truncated: str | None = None  # why reading stopped early, if it did


@dataclass
class RawWorkbook:
    path: Path
    sha256: str
    sheets: dict[str, RawSheet]            # the sheets that were read, by their name in the workbook
    sheet_states: dict[str, str]            # every sheet: visible, hidden or veryHidden
    warnings: list[str] = field(default_factory=list)


def _is_blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def read(path: Path, wanted: set[str] | None = None, limits: Limits = Limits(),
         header_hints: dict[str, set[str]] | None = None) -> RawWorkbook:
    """Pre-flight, then read the sheets whose names (casefolded) are in ``wanted`` (all when None).

    Raises Unreadable (rule S001) for anything that is not a readable workbook.
    """
    pf = preflight_check(path, limits)
    import openpyxl

    if not openpyxl.DEFUSEDXML:  # OPENPYXL_DEFUSEDXML=False would silently allow entity bombs
        raise Unreadable("swtool cannot read workbooks safely here: defusedxml is not in use by openpyxl. "
                         "Reinstall swtool (it depends on defusedxml) and unset OPENPYXL_DEFUSEDXML.",
                         "no-defusedxml")
    names = [n for n, _, _ in pf.sheets if wanted is None or n.casefold().strip() in wanted]
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False, keep_vba=False)
    except Exception as e:  # openpyxl raises many kinds for a damaged file; the provider needs one sentence
        log.debug("openpyxl could not open %s", path, exc_info=True)
        raise Unreadable("The workbook is damaged and cannot be opened "
                         f"({type(e).__name__}). Save it again from Excel and resend it.", "damaged") from None
    try:
        sheets = {}
        budget = [limits.max_cells]
        for name in names:
            state = next(s for n, s, _ in pf.sheets if n == name)
            try:
                sheets[name] = _read_sheet(wb[name], name, state, limits, budget)
            except Unreadable:
                raise
            except Exception as e:
                log.debug("reading sheet %s of %s failed", name, path, exc_info=True)
                raise Unreadable(f"The sheet '{name}' is damaged and cannot be read ({type(e).__name__}). "
                                 "Save the workbook again from Excel.", "damaged") from None
    finally:
        wb.close()
    formula_names = [n for n in sheets if pf.part_of(n) in pf.formula_parts]
    if formula_names:
        _mark_formulas(path, sheets, formula_names, limits)
    return RawWorkbook(path, pf.sha256, sheets, {n: s for n, s, _ in pf.sheets}, list(pf.warnings))


def _read_sheet(ws, name: str, state: str, limits: Limits, budget: list[int]) -> RawSheet:
    """Stream rows with explicit bounds; never trust the sheet's declared dimension."""
    sheet = RawSheet(name, state)
    # First find how wide the sheet really is, from its first rows (a header must be among them).
    width = 0
    for row in ws.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, max_col=limits.max_columns, values_only=True):
        for j in range(len(row) - 1, -1, -1):
            if not _is_blank(row[j]):
                width = max(width, j + 1)
                break
    sheet.width = width
    if not width:
        return sheet
    blank_run = 0
    max_text = limits.max_text
    for r, row in enumerate(ws.iter_rows(min_row=1, max_row=limits.max_rows, max_col=width, values_only=True),
                            start=1):
        if all(v is None or (v.__class__ is str and not v.strip()) for v in row):
            blank_run += 1
            if blank_run >= limits.blank_row_stop:
                sheet.truncated = f"reading stopped after {limits.blank_row_stop:,} blank rows at row {r:,}"
                break
            continue
        blank_run = 0
        budget[0] -= width
        if budget[0] < 0:
            raise Unreadable(f"The workbook holds more than {limits.max_cells:,} cells (limit max_cells); "
                             f"reading stopped at '{name}' row {r:,}. Remove unused rows and columns.",
                             "too-many-cells")
        if max_text:
            row = tuple(v[:max_text] if v.__class__ is str and len(v) > max_text else v for v in row)
        sheet.rows.append(r)
        sheet.values.append(row)
    return sheet


def _mark_formulas(path: Path, sheets: dict[str, RawSheet], names: list[str], limits: Limits) -> None:
    """A second, formula-aware pass over the few sheets that hold formulas (rule S009)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False, keep_vba=False)
    try:
        for name in names:
            sheet = sheets[name]
            wanted = set(sheet.rows)
            for row in wb[name].iter_rows(min_row=1, max_row=max(sheet.rows, default=0),
                                          max_col=sheet.width or 1):
                for cell in row:
                    if getattr(cell, "data_type", None) == "f" and cell.row in wanted:
                        sheet.formula_cells.add((cell.row, cell.column))
    finally:
        wb.close()
