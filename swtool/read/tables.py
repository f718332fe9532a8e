"""Typed tables: raw cells → pandas frames validated by pandera schemas built from the standard.

Two steps, each reporting cell by cell:

1. *Coercion* turns each raw value into its column's type. A text date, a ``£1,200.50`` or a code
   typed in the wrong case is read and normalised (S007, info); a value that cannot be read as its
   type is S004 and becomes blank in the frame (and is not reported again as missing).
2. *Validation* runs the sheet's pandera schema lazily, so every failure is collected: required
   columns (S003), required and conditionally required values (S005), code lists and ranges (S004)
   and unique keys (S006). Each failure case becomes a flag naming the cell.

The flags are kept on the submission; the S rules of ``swtool.checks.structure`` report them.
"""

from __future__ import annotations

import difflib
import numbers
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache, partial
from types import FunctionType
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.engines.pandas_engine import Engine
from pandera.errors import SchemaErrors

from swtool import catalogue
from swtool.calc import money
from swtool.findings import Flag, Location
from swtool.model import standard as std
from swtool.model.quarter import uk_date
from swtool.read.rules import S003, S004, S005, S006, S007, S008, S009
from swtool.read.workbook import RawSheet, Rows, column_letter


def _pandera_without_hypothesis() -> None:
    """pandera imports hypothesis (a test library, there for generating data) on its first validation
    when it is installed: 0.2 to 0.4 s of every check that nothing uses. It is told there is none, as on
    a provider's computer, where it is not installed; hypothesis itself imports as usual afterwards."""
    import sys

    if "hypothesis" in sys.modules or "pandera.strategies.base_strategies" in sys.modules:
        return
    sys.modules["hypothesis"] = None  # type: ignore[assignment]  # None there makes an import of it raise ImportError: pandera's HAS_HYPOTHESIS = False
    try:
        import pandera.strategies.base_strategies  # noqa: F401
    except ImportError:
        pass
    finally:
        if sys.modules.get("hypothesis", 0) is None:
            del sys.modules["hypothesis"]


_pandera_without_hypothesis()


def _no_geopandas_search() -> None:
    """pandera tries to import geopandas each time it compares a column's type (some 70 times a check);
    where geopandas is not installed, each try searches every folder of the path before it fails. It
    then fails at once: None in ``sys.modules`` is Python's own "not importable"."""
    import importlib.util
    import sys

    if "geopandas" not in sys.modules and importlib.util.find_spec("geopandas") is None:
        sys.modules["geopandas"] = None  # type: ignore[assignment]


_no_geopandas_search()

EXCEL_EPOCH = date(1899, 12, 30)
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2099, 12, 31)  # every date in a return; serials 36526–73050
DATE_RANGE = "a date from 01/01/2000 to 31/12/2099"
MAX_WHOLE = 10**15  # Excel keeps 15 significant digits: a whole number past that is not exact
_DMY_RE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_ISO_RE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?\s*$")
_MONEY_RE = re.compile(r"^\s*(-)?\s*£?\s*(-)?\s*([0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+)\s*$")
_NUM_RE = re.compile(r"^\s*-?\s*[0-9][0-9,]*(?:\.[0-9]+)?\s*$")


def show(value) -> str:
    """A raw value as a provider would recognise it in a message."""
    if isinstance(value, datetime):
        return uk_date(value.date()) if value.time() == time() else value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return uk_date(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):  # a number, not text that looks like one
        f = float(value)
        return str(int(f)) if f.is_integer() and abs(f) < MAX_WHOLE else str(value)
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "…")


class Sink:
    """Collects flags by rule code while a sheet is typed.

    ``add`` takes a declared rule (``sink.add(S004, ...)``, from ``swtool.read.rules``) or its exact
    code; anything the catalogue does not hold raises ``UnknownRule``, so a mistyped code never
    becomes a finding nobody can look up."""

    def __init__(self):
        self.flags: dict[str, list[Flag]] = {}

    def add(self, rule: catalogue.Rule | str, message: str, where: Location, value=None) -> None:
        code = catalogue.lookup(rule).code
        self.flags.setdefault(code, []).append(Flag(message, where, value))

    def extend(self, other: Sink) -> None:
        for code, flags in other.flags.items():
            self.flags.setdefault(code, []).extend(flags)


# --- coercion: one function per kind, each returning (typed values, {i: reason}, {i: normalised text}) ------


def _code_lookup(codes: tuple[str, ...]) -> dict[str, str]:
    return {std.normalise_label(c): c for c in codes}


def _as_text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        s = v.strip()
        return s or None
    if isinstance(v, bool):
        return "Yes" if v else "No"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == time() else v.isoformat(sep=" ")
    return str(v)


def coerce(kind: str, values, codes: tuple[str, ...] = ()) -> tuple[list, dict[int, str], dict[int, str]]:
    """A column's raw values typed as ``kind``: (typed values, {i: what was expected}, {i: how it was read}).

    The column at once: each distinct value is typed once (a column of 100,000 cells holds a few hundred
    codes, dates and amounts) and the results are spread back over the cells by C-level lookups; only
    the cells of a value that was not read as it stands are looked for one by one. A column holding a
    boolean, or whole numbers beside fractions (``True == 1 == 1.0`` as keys), is typed cell by cell."""
    n = len(values)
    if n < 64:
        return _coerce_cells(kind, values, codes)
    classes = set(map(type, values))
    if bool in classes or (int in classes and float in classes):
        return _coerce_cells(kind, values, codes)
    distinct = list(dict.fromkeys(values))
    if len(distinct) * 2 > n:  # mostly different values (references): no gain in grouping them
        return _coerce_cells(kind, values, codes)
    typed, bad, lenient = _coerce_cells(kind, distinct, codes)
    where = list(map({v: k for k, v in enumerate(distinct)}.__getitem__, values))  # same objects: NaN too
    out = list(map(typed.__getitem__, where))
    if not bad and not lenient:
        return out, {}, {}
    marked = np.flatnonzero(np.isin(np.fromiter(where, dtype=np.int64, count=n), list({*bad, *lenient})))
    cell_bad = {int(i): bad[where[i]] for i in marked if where[i] in bad}
    cell_lenient = {int(i): lenient[where[i]] for i in marked if where[i] in lenient}
    return out, cell_bad, cell_lenient


def _coerce_cells(kind: str, values, codes: tuple[str, ...] = ()) -> tuple[list, dict[int, str], dict[int, str]]:
    bad: dict[int, str] = {}
    lenient: dict[int, str] = {}
    out: list = [None] * len(values)
    if kind in (std.REF, std.TEXT) and set(map(type, values)) <= _TEXT_ONLY:
        out = [(v.strip() or None) if v is not None else None for v in values]
        if kind == std.TEXT or "".join(filter(None, out)).isascii():  # every reference in plain characters
            return out, bad, lenient
        out = [None] * len(values)
    if kind == std.REF:
        for i, v in enumerate(values):
            s = _as_text(v)
            if s is None or s.isascii():
                out[i] = s
                continue
            plain = unicodedata.normalize("NFKC", s)  # full-width letters and digits become plain ones
            if plain.isascii():
                out[i] = plain
                lenient[i] = f"{show(v)} read as {plain!r}"
            else:  # a Cyrillic or Greek look-alike, a zero-width space: flagged, never silently fixed
                bad[i] = _not_plain(plain)
        return out, bad, lenient
    if kind == std.TEXT:
        for i, v in enumerate(values):
            if v is None:
                continue
            if v.__class__ is str:
                s = v.strip()
                out[i] = s or None
            else:
                out[i] = _as_text(v)
        return out, bad, lenient
    if kind == std.DATE:
        for i, v in enumerate(values):
            if v is None:
                continue
            if isinstance(v, (datetime, date)):
                d = v.date() if isinstance(v, datetime) else v
                if FIRST_DATE <= d <= LAST_DATE:
                    out[i] = d
                else:  # Excel's day 60 (the 29/02/1900 that never was) reads as 28/02/1900, day -1 as 1899
                    bad[i] = DATE_RANGE
            elif isinstance(v, str):
                if not v.strip():
                    continue
                typed = _text_date(v)
                if typed is None:
                    bad[i] = "a date such as 14/10/2026"
                elif not FIRST_DATE <= typed <= LAST_DATE:
                    bad[i] = DATE_RANGE
                else:
                    out[i] = typed
                    lenient[i] = f"text date {show(v)} read as {uk_date(typed)}"
            elif isinstance(v, (int, float)) and not isinstance(v, bool) and 36526 <= v < 73051:
                out[i] = EXCEL_EPOCH + timedelta(days=int(v))  # a date whose cell lost its date format
                lenient[i] = f"number {show(v)} read as the Excel date {uk_date(out[i])}"
            else:  # times (serial 0 comes back as a time), booleans, numbers far from today
                bad[i] = "a date such as 14/10/2026"
        return out, bad, lenient
    if kind in (std.INT, std.NUMBER, std.MONEY):
        for i, v in enumerate(values):
            if v is None:
                continue
            if v.__class__ in (int, float):
                n = v
            elif isinstance(v, (bool, datetime, date, time)):
                bad[i] = KIND_EXPECT[kind]
                continue
            elif isinstance(v, (int, float)):
                n = v
            elif isinstance(v, str):
                if not v.strip():
                    continue
                n = _text_number(v, kind)
                if n is None:
                    bad[i] = KIND_EXPECT[kind]
                    continue
                lenient[i] = f"text {show(v)} read as the number {show(n)}"
            else:
                bad[i] = KIND_EXPECT[kind]
                continue
            if n != n or n in (float("inf"), float("-inf")):
                bad[i] = KIND_EXPECT[kind]
                continue
            if kind == std.INT:
                if not float(n).is_integer():
                    bad[i] = "a whole number"
                elif abs(n) >= MAX_WHOLE:  # 1e308 is whole, but no count or age is; pandas' Int64 cannot hold it
                    bad[i] = "a whole number of at most 15 digits"
                else:
                    out[i] = int(n)
            elif kind == std.MONEY:
                if abs(n) >= MAX_WHOLE // 100:  # pence, too, must stay exact; sums and casts overflow past it
                    bad[i] = "an amount in pounds of at most 13 digits before the decimal point"
                elif abs(round(n, 2) - n) > 1e-6:  # a test for a third decimal, not money rounding
                    bad[i] = "an amount in pounds with at most 2 decimals"
                elif n.__class__ is int or n == 0:  # -0.0 too: penny gives 0
                    out[i] = float(abs(n)) if n == 0 else float(n)
                else:
                    shown = repr(n)  # 12.71: already in whole pence, which penny would give back unchanged
                    point = shown.find(".")
                    whole_pence = "e" not in shown and point > 0 and len(shown) - point <= 3
                    out[i] = n if whole_pence else float(money.penny(n))
            else:
                out[i] = float(n)
        return out, bad, lenient
    if kind == std.YESNO:
        for i, v in enumerate(values):
            if v is None:
                continue
            if v is True or v is False:
                out[i] = v
                continue
            s = str(v).strip()
            if not s:
                continue
            if s in ("Yes", "No"):
                out[i] = s == "Yes"
                continue
            low = s.casefold()
            if low in ("yes", "y", "no", "n"):
                out[i] = low in ("yes", "y")
                if low not in ("y", "n"):  # Y and N are accepted as they are
                    lenient[i] = f"{show(v)} read as {'Yes' if out[i] else 'No'}"
            else:
                bad[i] = "Yes or No"
        return out, bad, lenient
    if kind == std.CODE:
        exact = set(codes)
        lookup = _code_lookup(codes)
        for i, v in enumerate(values):
            if v is None:
                continue
            if v.__class__ is str and v in exact:
                out[i] = v
                continue
            s = _as_text(v)
            if s is None:
                continue
            canon = lookup.get(std.normalise_label(s))
            if canon is None:
                out[i] = s  # left for the schema's code-list check (S004) to name
            else:
                out[i] = canon
                if canon != s:
                    lenient[i] = f"{show(v)} read as {canon!r}"
        return out, bad, lenient
    if kind == std.CODES:
        exact = set(codes)
        lookup = _code_lookup(codes)
        for i, v in enumerate(values):
            s = _as_text(v)
            if s is None:
                continue
            parts = [p.strip() for p in s.split(";") if p.strip()]
            if all(p in exact for p in parts):
                out[i] = "; ".join(parts)
                if out[i] != s and len(parts) > 1 and s.replace(" ", "") != out[i].replace(" ", ""):
                    lenient[i] = f"{show(v)} read as {out[i]!r}"
                continue
            canonical = [lookup.get(std.normalise_label(p), p) for p in parts]
            out[i] = "; ".join(canonical)
            if all(c in exact for c in canonical):
                lenient[i] = f"{show(v)} read as {out[i]!r}"
        return out, bad, lenient
    raise ValueError(f"unknown column kind {kind!r}")


_TEXT_ONLY = {str, type(None)}


def _not_plain(text: str) -> str:
    odd = list(dict.fromkeys(ch for ch in text if not ch.isascii()))
    named = ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')}" for ch in odd[:3])
    return (
        f"a reference in plain letters and digits: it contains {named}"
        f"{' and more' if len(odd) > 3 else ''}, which may look like a plain character but is not one"
    )


KIND_EXPECT = {std.INT: "a whole number", std.NUMBER: "a number", std.MONEY: "an amount in pounds"}


def _text_date(s: str) -> date | None:
    m = _DMY_RE.match(s)
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        m = _ISO_RE.match(s)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    return None


def _text_number(s: str, kind: str):
    s = s.replace("\u00a0", " ")
    if kind == std.MONEY:
        m = _MONEY_RE.match(s)
        if not m or (m.group(1) and m.group(2)):
            return None
        n = float(m.group(3).replace(",", ""))
        return -n if (m.group(1) or m.group(2)) else n
    if not _NUM_RE.match(s):
        return None
    n = float(s.replace(",", "").replace(" ", ""))
    return n


# --- the typed table --------------------------------------------------------------------------------


@dataclass
class Table:
    """A typed sheet: ``df`` has one column per template header (blank where the sheet lacks it),
    ``rows[i]`` is the Excel row of ``df.iloc[i]``, ``letters`` the column letter of each header."""

    sheet: str
    spec: std.SheetSpec
    df: pd.DataFrame
    rows: np.ndarray
    letters: dict[str, str]
    header_row: int | None
    present: bool = True

    def at(self, i: int, header: str | None = None) -> Location:
        return Location(self.sheet, int(self.rows[i]), self.letters.get(header) if header else None, header)

    def __len__(self) -> int:
        return len(self.df)


def empty_table(spec: std.SheetSpec) -> Table:
    return Table(spec.name, spec, _frame(spec, {}, 0), np.zeros(0, dtype=np.int64), {}, None, present=False)


_DTYPES = {
    std.TEXT: object,
    std.REF: object,
    std.CODE: object,
    std.CODES: object,
    std.DATE: "datetime64[s]",
    std.INT: "Int64",
    std.NUMBER: "float64",
    std.MONEY: "float64",
    std.YESNO: "boolean",
}

_engine_dtype = lru_cache(maxsize=64)(Engine.dtype)  # pandera's type for a dtype, looked up once


def _series(kind: str, values: list, n: int) -> pd.Series:
    dtype = _DTYPES[kind]
    if kind == std.DATE:  # dates from 2000 to 2099 or None (NaT): each distinct date converted once
        distinct = {v: k for k, v in enumerate(dict.fromkeys(values))}
        days = np.array(list(distinct), dtype="datetime64[s]")
        where = np.fromiter(map(distinct.__getitem__, values), dtype=np.int64, count=n)
        return pd.Series(days[where], dtype=dtype)
    if kind in (std.NUMBER, std.MONEY):  # None is NaN
        return pd.Series(np.array(values, dtype="float64"), dtype=dtype)
    return pd.Series(values, dtype=dtype)


def _frame(spec: std.SheetSpec, columns: dict[str, list], n: int) -> pd.DataFrame:
    data = {}
    for col in spec.columns:
        values = columns.get(col.header)
        data[col.header] = _series(col.kind, values if values is not None else [None] * n, n)
    return pd.DataFrame(data, index=pd.RangeIndex(n))


def codes_for(col: std.Column, refdata) -> tuple[str, ...]:
    if col.codes == std.ELIGIBILITY:
        return tuple(dict.fromkeys(c for codes in refdata.eligibility_by_lot.values() for c in codes))
    if col.codes == std.EVIDENCE:
        return tuple(dict.fromkeys(c for codes in refdata.evidence.values() for c in codes))
    return col.codes if isinstance(col.codes, tuple) else ()


def find_header(raw: RawSheet, spec: std.SheetSpec) -> int | None:
    """The index in ``raw.values`` of the header row: of the first rows, the one matching the most
    template headers; failing that, the first non-empty row (TEMPLATES.md)."""
    if not raw.values:
        return None
    wanted = {std.normalise_label(h) for h in spec.headers}
    best, best_hits = 0, 0
    for i, row in enumerate(raw.values[:30]):
        hits = sum(1 for v in row if v is not None and std.normalise_label(v) in wanted)
        if hits > best_hits:
            best, best_hits = i, hits
    return best


def header_labels(raw: RawSheet, spec: std.SheetSpec, h: int) -> tuple[list, int]:
    """The header's label in each column, and the index in ``raw.values`` of its last row.

    A two-row header (TEMPLATES.md; INPUT-SAFETY): group labels merged across the columns of one row
    with the column names in the next, and some names merged down over both rows, so they sit in the
    upper row only. Read-only openpyxl does not see merges, so the row next to the best row (directly
    above or below it in Excel) lends it the template names it has in the columns where the best row
    has none. The row below is not a header row if anything stands under one of the best row's
    template names (that is data), and a name already in the best row is never taken twice.
    """
    top = list(raw.values[h])
    wanted = {std.normalise_label(x) for x in spec.headers}
    have = {std.normalise_label(v) for v in top} & wanted
    for k in (h + 1, h - 1):
        if not 0 <= k < len(raw.values) or abs(raw.rows[k] - raw.rows[h]) != 1:
            continue
        other = raw.values[k]
        gain: dict[int, object] = {}
        for j, v in enumerate(other):
            b = std.normalise_label(v)
            if not b:
                continue
            a = std.normalise_label(top[j]) if j < len(top) else ""
            if a in wanted and (k > h or b in wanted):
                gain = {}  # data under a header name, or two names for one column: not a two-row header
                break
            if b in wanted and a not in wanted and b not in have:
                gain[j] = v
        if gain:
            top += [None] * (max(gain) + 1 - len(top))
            for j, v in gain.items():
                top[j] = v
            return top, max(h, k)
    return top, h


def type_table(raw: RawSheet, spec: std.SheetSpec, lot: str | None, refdata, sink: Sink) -> Table:
    """Match headers, coerce every column, validate with the sheet's pandera schema."""
    h = find_header(raw, spec)
    if h is None:
        table = empty_table(spec)
        table.sheet, table.present = raw.name, True
        for col in spec.columns:
            if col.needed_for(lot):
                sink.add(
                    S003,
                    f"{raw.name}: the sheet is empty; it has no '{col.header}' column",
                    Location(raw.name, None, None, col.header),
                )
        return table
    header_row = raw.rows[h]
    labels, last = header_labels(raw, spec, h)
    by_label = {std.normalise_label(c.header): c for c in spec.columns}
    positions: dict[str, int] = {}
    found_headers: list[str] = []
    for j, v in enumerate(labels):
        label = std.normalise_label(v)
        if not label:
            if any(j < len(r) and r[j] is not None for r in raw.values[last + 1 : last + 200]):
                letter = column_letter(j + 1)
                sink.add(
                    S008,
                    f"{raw.name}!{letter}{header_row}: a column with no header was ignored",
                    Location(raw.name, header_row, letter),
                )
            continue
        found_headers.append(str(v).strip())
        found = by_label.get(label)
        letter = column_letter(j + 1)
        if found is None:
            sink.add(
                S008,
                f"{raw.name}!{letter}{header_row}: column '{str(v).strip()}' is not in the template and was ignored",
                Location(raw.name, header_row, letter, str(v).strip()),
                v,
            )
        elif found.header in positions:
            first = column_letter(positions[found.header] + 1)
            sink.add(
                S008,
                f"{raw.name}!{letter}{header_row}: a second '{found.header}' column was ignored; the one "
                f"in column {first} was read",
                Location(raw.name, header_row, letter, found.header),
                v,
            )
        else:
            positions[found.header] = j
    data_rows = raw.rows[last + 1 :]
    n = len(data_rows)
    rows = np.asarray(data_rows, dtype=np.int64)
    letters = {hd: column_letter(j + 1) for hd, j in positions.items()}
    columns: dict[str, list] = {}
    bad_cells: set[tuple[str, int]] = set()
    # the columns at once: the reader pads every row to the sheet's width; calamine's reader hands columns
    data_values: Sequence[tuple] = ()
    if isinstance(raw.values, Rows):
        by_column: list | None = [c[last + 1 :] for c in raw.values.columns]
    else:
        data_values = raw.values[last + 1 :]
        by_column = list(zip(*data_values)) if len(set(map(len, data_values))) == 1 else None
    for col in spec.columns:
        if col.header not in positions:
            continue
        j = positions[col.header]
        raw_values: Sequence[Any]
        if by_column is not None:
            raw_values = by_column[j] if j < len(by_column) else (None,) * n
        else:
            raw_values = [r[j] if j < len(r) else None for r in data_values]
        if col.computed:
            columns[col.header] = [None] * n
            continue
        codes = codes_for(col, refdata)
        typed, bad, lenient = coerce(col.kind, raw_values, codes)
        columns[col.header] = typed
        letter = letters[col.header]
        for i, expected in bad.items():
            bad_cells.add((col.header, i))
            sink.add(
                S004,
                f"{raw.name}!{letter}{rows[i]}: {col.header} {show(raw_values[i])} is not {expected}",
                Location(raw.name, int(rows[i]), letter, col.header),
                raw_values[i],
            )
        for i, note in lenient.items():
            sink.add(
                S007,
                f"{raw.name}!{letter}{rows[i]}: {note}",
                Location(raw.name, int(rows[i]), letter, col.header),
                raw_values[i],
            )
    if raw.formula_cells:  # a formula without its value is S009, not also an empty required cell
        bad_cells |= _flag_formulas(raw, spec, last, positions, sink)
    df = _frame(spec, columns, n)
    table = Table(raw.name, spec, df, rows, letters, header_row)
    _validate(table, spec, lot, refdata, found_headers, bad_cells, sink)
    return table


def _flag_formulas(
    raw: RawSheet, spec: std.SheetSpec, h: int, positions: dict[str, int], sink: Sink
) -> set[tuple[str, int]]:
    by_row = dict(zip(raw.rows, raw.values))
    index_of = {r: i for i, r in enumerate(raw.rows[h + 1 :])}
    flagged: set[tuple[str, int]] = set()
    names = {j + 1: hd for hd, j in positions.items()}
    ignored = {j + 1 for hd, j in positions.items() if spec.column(hd).computed}  # e.g. Variance: recomputed
    for r, c in sorted(raw.formula_cells):
        if r <= raw.rows[h] or c in ignored:
            continue
        row = by_row.get(r)
        value = row[c - 1] if row is not None and c - 1 < len(row) else None
        if value is None:
            letter = column_letter(c)
            sink.add(
                S009,
                f"{raw.name}!{letter}{r}: the cell holds a formula with no saved value; swtool does "
                "not calculate formulas",
                Location(raw.name, r, letter, names.get(c)),
            )
            if names.get(c) and r in index_of:
                flagged.add((names[c], index_of[r]))
    return flagged


@lru_cache(maxsize=64)
def _schema(spec: std.SheetSpec, lot: str | None, codes_key: tuple) -> pa.DataFrameSchema:
    codes_by_header = dict(codes_key)
    columns = {}
    for col in spec.columns:
        checks = []
        codes = codes_by_header.get(col.header)
        if col.kind == std.CODE and codes:
            checks.append(pa.Check.isin(list(codes)))
        elif col.kind == std.CODES and codes:
            allowed = frozenset(codes)
            checks.append(pa.Check(lambda s, allowed=allowed: _codes_ok(s, allowed), name="codes", element_wise=False))
        if col.minimum is not None and col.maximum is not None:
            checks.append(pa.Check.in_range(col.minimum, col.maximum))
        elif col.minimum is not None:
            checks.append(pa.Check.ge(col.minimum))
        columns[col.header] = pa.Column(
            _engine_dtype(_DTYPES[col.kind]),  # pandera's type, resolved once per kind rather than per column
            checks=checks,
            nullable=not col.required,
            unique=col.unique,
            report_duplicates="exclude_first",
            required=col.needed_for(lot) and not col.computed,
        )
    frame_checks = []
    for col in spec.columns:
        for w in col.when:
            # ignore_na=False: pandera would find the all-blank rows again for each of these checks (the
            # whole frame each time); the check lets them pass itself, from one look per frame
            frame_checks.append(
                pa.Check(_when_check(col.header, w), name=f"S005|{col.header}|{w.words}", ignore_na=False)
            )
    schema = pa.DataFrameSchema({}, checks=frame_checks, strict=False, coerce=False)
    # the columns are set after: given to the constructor, each would be deep-copied (with its code lists),
    # three quarters of the cost of a schema, though nothing else holds them
    schema.columns = {header: column.set_name(header) for header, column in columns.items()}
    return schema


def _codes_ok(s: pd.Series, allowed: frozenset) -> pd.Series:
    """Each cell of a multi-code column: are all its codes in the list? Judged once per distinct value."""
    ok = {v: all(p.strip() in allowed for p in v.split(";") if p.strip()) for v in s.dropna().unique()}
    if all(ok.values()):
        return pd.Series(True, index=s.index)
    return s.map(ok).fillna(True).astype(bool)  # an empty cell is the nullable check's to judge


def _when_check(header: str, w: std.When):
    def check(df: pd.DataFrame) -> pd.Series | bool:
        if header not in df or any(column not in df for column, _ in w.all):
            return True  # a column is missing from the sheet: S003 says so, once
        facts = _facts(df)
        if facts is None:  # two columns of one name (never a typed table): pandas alone
            applies = pd.Series(True, index=df.index)
            for column, values in w.all:
                applies &= df[column].notna() if values is None else df[column].isin(values)
            return ~(applies & df[header].isna()) | df.isna().all(axis="columns")
        # the rows that fail so far; each condition is looked at only while a blank cell is left for it
        failing = facts.blank_in(header)
        for column, values in w.all:
            if not failing.any():
                return True  # every row passes (pandera: a check that returns True passes every row)
            failing = failing & (~facts.blank_in(column) if values is None else facts.isin(df, column, values))
        if not failing.any():
            return True
        return pd.Series(~failing | facts.all_blank(), index=df.index)

    return check


class _FrameFacts:
    """What the frame checks of one frame share, worked out once for the frame rather than once per
    check: the blank cells (numpy), the rows where every cell is blank (which a frame-level check
    passes: pandera's ignore_na) and each (column, code list) membership asked for."""

    def __init__(self, df: pd.DataFrame):
        self.blank = df.isna().to_numpy()
        self.position = {name: j for j, name in enumerate(df.columns)}
        self._in: dict[tuple, np.ndarray] = {}
        self._all_blank: np.ndarray | None = None

    def blank_in(self, column: str) -> np.ndarray:
        return self.blank[:, self.position[column]]

    def all_blank(self) -> np.ndarray:
        if self._all_blank is None:
            self._all_blank = self.blank.all(axis=1)
        return self._all_blank

    def isin(self, df: pd.DataFrame, column: str, values: tuple) -> np.ndarray:
        key = (column, values)
        if key not in self._in:
            self._in[key] = df[column].isin(values).to_numpy(dtype=bool, na_value=False)
        return self._in[key]


_LAST_FACTS: list = [(None, None)]  # the last frame looked at, and its facts


def _facts(df: pd.DataFrame) -> _FrameFacts | None:
    """The facts of ``df`` (its frame checks run one after another on the same frame); None when two
    of its columns share a name. The frame is kept with them, so no other frame can take its id."""
    seen, facts = _LAST_FACTS[0]  # one pair, read and written whole: another thread can only recompute
    if seen is not df:
        facts = _FrameFacts(df) if df.columns.is_unique else None
        _LAST_FACTS[0] = (df, facts)
    return facts


# pandera's built-in checks the pre-pass runs itself, as pandera's pandas backend computes them; any
# other built-in (a Dispatcher, not a plain function) sends the frame to pandera
_BUILTIN_CHECKS: dict[str, Callable[..., Any]] = {
    "isin": lambda data, allowed_values: data.isin(allowed_values),
    "in_range": lambda data, min_value, max_value, include_min=True, include_max=True: (
        (min_value <= data if include_min else min_value < data)
        & (max_value >= data if include_max else max_value > data)
    ),
    "greater_than_or_equal_to": lambda data, min_value: data >= min_value,
}


def _check_fn(check: pa.Check) -> Callable[..., Any] | None:
    """The function pandera's backend applies for ``check``, or None where the pre-pass cannot run it."""
    if check.groupby is not None or check.element_wise:
        return None
    fn: Callable[..., Any] | None = (
        check._check_fn if isinstance(check._check_fn, FunctionType) else _BUILTIN_CHECKS.get(str(check.name))
    )
    if fn is None:
        return None
    return partial(fn, **check._check_kwargs) if check._check_kwargs else fn


def _all_true(out) -> bool:
    """pandera's verdict on a check's output: a boolean, or a Series whose every value is true."""
    if isinstance(out, (bool, np.bool_)):
        return bool(out)
    if isinstance(out, pd.Series):
        return bool(out.all())
    return False  # anything else (a frame of booleans): pandera judges it


def _builtin_on_values(check: pa.Check, s: pd.Series, blank: np.ndarray | None) -> bool | None:
    """A built-in check's verdict from the column's numpy values (without its ``blank`` cells), where
    that is pandera's own verdict: a code list over text (a value equal to an allowed one is in it for
    pandas too) and a range or minimum over floats (pandas compares them with numpy). None: not here."""
    if s.dtype == object and check.name == "isin":
        values = s.to_numpy() if blank is None else s.to_numpy()[~blank]
        allowed = check._check_kwargs["allowed_values"]
        return all(map(allowed.__contains__, set(values.tolist())))
    if s.dtype == np.float64 and check.name in ("in_range", "greater_than_or_equal_to"):
        values = s.to_numpy() if blank is None else s.to_numpy()[~blank]
        return bool(_BUILTIN_CHECKS[str(check.name)](values, **check._check_kwargs).all())
    return None


def _surely_valid(schema: pa.DataFrameSchema, df: pd.DataFrame) -> bool:
    """True only when ``schema.validate(df)`` would find nothing: each of the schema's checks run as
    pandera's pandas backend runs it (presence, dtype, nullable, unique, column checks on the non-blank
    values, frame checks), without pandera's failure-case bookkeeping, which costs most on a clean
    sheet. False means "maybe not": pandera then validates and says what, so the findings are pandera's.
    A feature the schema uses that is not run here (coercion, parsers, strict, groupby…) is a "maybe"."""
    if (
        schema.dtype is not None
        or schema.coerce
        or schema.parsers
        or schema.strict
        or schema.ordered
        or schema.unique
        or schema.unique_column_names
        or schema.add_missing_columns
        or schema.drop_invalid_rows
        or schema.index is not None
    ):
        return False
    try:
        facts = _facts(df)  # every column's blank cells at once: a tenth of the cost column by column
        if facts is None:
            return False
        for name, col in schema.columns.items():
            if name not in facts.position:
                if col.required:
                    return False
                continue
            if col.regex or col.coerce or col.parsers or col.default is not None or col.drop_invalid_rows:
                return False
            s = df[name]
            blank = facts.blank_in(name)
            has_blank = bool(blank.any())
            if not col.nullable and has_blank:
                return False
            if col.unique and not s.is_unique:
                return False
            if col.dtype is not None:
                ok = col.dtype.check(_engine_dtype(s.dtype), s)  # as pandera asks it; an array of verdicts: "maybe"
                if not isinstance(ok, (bool, np.bool_)) or not ok:
                    return False
            for check in col.checks:
                fn = _check_fn(check)
                if fn is None:
                    return False
                skip_blank = check.ignore_na and has_blank
                if not isinstance(check._check_fn, FunctionType):  # a built-in
                    if skip_blank and blank.all():
                        continue  # no values to check (an unused optional column): it passes
                    verdict = _builtin_on_values(check, s, blank if skip_blank else None)
                    if verdict is not None:
                        if not verdict:
                            return False
                        continue
                if not _all_true(fn(s.dropna() if skip_blank else s)):
                    return False
        for check in schema.checks:
            fn = _check_fn(check)
            if fn is None:
                return False
            out = fn(df)
            if check.ignore_na and isinstance(out, pd.Series):
                out = out | df.isna().all(axis="columns")
            if not _all_true(out):
                return False
    except Exception:  # noqa: BLE001 (a check that raises is pandera's to report)
        return False
    return True


def _validate(
    table: Table,
    spec: std.SheetSpec,
    lot,
    refdata,
    found_headers: list[str],
    bad_cells: set[tuple[str, int]],
    sink: Sink,
) -> None:
    codes_key = tuple((c.header, codes_for(c, refdata)) for c in spec.columns if c.codes)
    schema = _schema(spec, lot, codes_key)
    # Columns the sheet lacks are dropped for validation so that pandera reports them (S003).
    present = [c for c in table.df.columns if c in table.letters]
    df = table.df if len(present) == len(table.df.columns) else table.df[present]
    if _surely_valid(schema, df):  # a clean sheet (most are) needs none of pandera's failure bookkeeping
        return
    try:
        schema.validate(df, lazy=True)
        return
    except SchemaErrors as e:
        cases = e.failure_cases
    sheet = table.sheet
    seen: set = set()
    for case in cases.itertuples(index=False):
        check = str(case.check)
        header = case.column
        idx = case.index
        if check == "column_in_dataframe":
            missing = str(case.failure_case)
            close = difflib.get_close_matches(missing, found_headers, n=1, cutoff=0.6)
            hint = (
                f"; the closest header found is '{close[0]}'"
                if close
                else f"; headers found: {', '.join(found_headers[:12]) or 'none'}"
            )
            sink.add(S003, f"{sheet}: no '{missing}' column{hint}", Location(sheet, table.header_row, None, missing))
            continue
        if check.startswith("S005|"):
            _, header, words = check.split("|", 2)
            key = (header, idx)
            if idx is None or key in seen or key in bad_cells:
                continue
            seen.add(key)
            i = int(idx)
            where = table.at(i, header)
            if where.column is None:
                continue  # the whole column is missing: S003 already says so
            sink.add(S005, f"{where.cell}: {header} is empty; it is required {words}", where)
            continue
        if idx is None or header is None or header not in table.letters:
            continue
        i = int(idx)
        if (header, i) in bad_cells:
            continue
        where = table.at(i, header)
        col = spec.column(header)
        value = case.failure_case
        if check == "not_nullable":
            sink.add(S005, f"{where.cell}: {header} is empty; it is required", where)
        elif check == "field_uniqueness":
            values = table.df[header]
            first = int(np.flatnonzero((values == value).to_numpy(dtype=bool, na_value=False))[0])
            sink.add(
                S006,
                f"{where.cell}: {header} {show(value)} is repeated; it is already used in row {table.rows[first]}",
                where,
                value,
            )
        elif check.startswith("isin") or check == "codes":
            codes = codes_for(col, refdata)
            sink.add(S004, _code_message(where.cell, header, value, codes, col.kind == std.CODES), where, value)
        elif check.startswith(("in_range", "greater_than")):
            rng = (
                f"{money.num(col.minimum)} to {money.num(col.maximum)}"
                if col.maximum is not None
                else f"at least {money.num(col.minimum)}"
            )
            sink.add(S004, f"{where.cell}: {header} {show(value)} is out of range; expected {rng}", where, value)
        else:  # a dtype failure cannot happen (we built the frame), but never lose a failure
            sink.add(S004, f"{where.cell}: {header} {show(value)} failed the check {check}", where, value)


def _code_message(cell: str | None, header: str, value, codes, multi: bool) -> str:
    if multi:
        allowed = set(codes)
        wrong = [p.strip() for p in str(value).split(";") if p.strip() and p.strip() not in allowed]
        close = difflib.get_close_matches(wrong[0], codes, n=1, cutoff=0.6) if wrong else []
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return (
            f"{cell}: {header} {', '.join(repr(w) for w in wrong)} "
            f"{'is' if len(wrong) == 1 else 'are'} not in the code list{hint}; use the dropdown"
        )
    close = difflib.get_close_matches(str(value), codes, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    listed = ", ".join(codes) if len(codes) <= 12 else ", ".join(codes[:12]) + ", …"
    return f"{cell}: {header} {show(value)} is not in the code list{hint}; expected one of: {listed}"


# --- label sheets (Return, Narrative) ----------------------------------------------------------------


@dataclass
class Labels:
    """A label/value sheet: ``values[label]`` typed, ``cells[label]`` the (row, letter) of the value."""

    sheet: str
    spec: std.SheetSpec
    values: dict[str, object] = field(default_factory=dict)
    cells: dict[str, tuple[int, str]] = field(default_factory=dict)
    present: bool = True

    def at(self, label: str) -> Location:
        if label in self.cells:
            row, letter = self.cells[label]
            return Location(self.sheet, row, letter, label)
        return Location(self.sheet, None, None, label)

    def get(self, label: str):
        return self.values.get(label)


def type_labels(raw: RawSheet, spec: std.SheetSpec, refdata, sink: Sink) -> Labels:
    out = Labels(raw.name, spec)
    by_label = {std.normalise_label(c.header): c for c in spec.columns}
    for r, row in zip(raw.rows, raw.values):
        # the label is the first non-empty cell of the row; its value the next cell to the right
        j = next((k for k, v in enumerate(row) if v is not None and str(v).strip()), None)
        if j is None:
            continue
        col = by_label.get(std.normalise_label(row[j]))
        if col is None or col.header in out.cells:
            continue
        letter = column_letter(j + 2)
        out.cells[col.header] = (r, letter)
        value = row[j + 1] if j + 1 < len(row) else None
        typed, bad, lenient = coerce(col.kind, [value], codes_for(col, refdata))
        where = Location(raw.name, r, letter, col.header)
        if value is None and (r, j + 2) in raw.formula_cells:
            sink.add(
                S009,
                f"{raw.name}!{letter}{r}: the cell holds a formula with no saved value; swtool does "
                "not calculate formulas",
                where,
            )
            out.values[col.header] = None
            continue
        if bad:
            sink.add(S004, f"{raw.name}!{letter}{r}: {col.header} {show(value)} is not {bad[0]}", where, value)
            out.values[col.header] = None
            continue
        if lenient:
            sink.add(S007, f"{raw.name}!{letter}{r}: {lenient[0]}", where, value)
        v = typed[0]
        if col.kind == std.CODE and v is not None and col.codes and v not in codes_for(col, refdata):
            sink.add(
                S004,
                _code_message(f"{raw.name}!{letter}{r}", col.header, v, codes_for(col, refdata), False),
                where,
                value,
            )
            v = None
        out.values[col.header] = v
    for col in spec.columns:
        if col.header not in out.cells:
            if col.required:
                sink.add(
                    S003,
                    f"{raw.name}: no row labelled '{col.header}' in column A",
                    Location(raw.name, None, None, col.header),
                )
        elif col.required and out.values.get(col.header) is None:
            where = out.at(col.header)
            if not any(f.where == where for code in (S004.code, S009.code) for f in sink.flags.get(code, [])):
                sink.add(S005, f"{where.cell}: {col.header} is empty; it is required", where)
    return out
