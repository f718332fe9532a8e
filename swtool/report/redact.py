"""``--redact``: a report that can be passed on (to the council's helpdesk, a ticket, a chat) without the
clients' personal details or the provider's free text in it; and what the PMO's ledger keeps of a
finding (``for_ledger``).

What is personal is decided by the column's kind in the standard (``swtool.model.standard``), never by a
list of the columns that happened to leak, so a column added to the standard is covered as it comes:

- **free text** (kind ``text``): every value, except in the few text columns that name the provider,
  its budget lines, milestones and partners (``KEPT_TEXT``); so notes, comments, descriptions, the
  narrative, employers, training providers, evidence file names, postcodes and "Completed by";
- **coded, yes/no, date and number columns**: a value that is not what the column holds (not one of
  its codes, not Yes or No, not a date, not a number) is whatever the provider typed instead, a
  diagnosis under Disability or a name under Gender, and so personal; for a column of several codes
  (``Eligibility criteria``) only the parts that are not codes;
- **ages and postcodes** even when valid (``PERSONAL_EVEN_WHEN_VALID``), and the snippets N503 and
  N507 quote from the narrative (``PERSONAL_CODES``).

What stays: client refs, claim refs and other references, valid codes, dates, amounts, counts, cells,
column names and the rule's own words, so the report still says what is wrong and where.

How, robustly rather than rule by rule (rules put values into messages with ``repr`` or ``show``,
sometimes normalised, sometimes cut short):

1. A finding whose own value is personal: the value, in any of the forms a message shows it (``15``,
   ``'se1 0aa'``, cut short with "…"), becomes ``[redacted]``; when it is text, so does every other
   quoted text in the message except column names and the column's own codes (the "did you mean"
   hint); on the Postcode column, so does anything shaped like a postcode, sector or district.
2. Any finding with a row: the personal values of that same row, taken from the typed return, are
   replaced wherever they appear in the message (a Description quoted by a rule about Date defrayed,
   a diagnosis typed under Disability quoted by another rule on the row).
"""

from __future__ import annotations

import numbers
import re
from dataclasses import replace
from datetime import date, datetime, time
from functools import lru_cache

from swtool.findings import FileReport, Finding
from swtool.model import standard as std

REDACTED = "[redacted]"

# text columns that name organisations, budget lines and milestones, not people: kept in reports
KEPT_TEXT: frozenset[str] = frozenset(
    {"Provider", "Financial year", "Template version", "Budget item", "Milestone", "Shared with provider"}
)
# columns whose every value is personal, valid or not
PERSONAL_EVEN_WHEN_VALID: frozenset[str] = frozenset(
    {"Age at registration", "Postcode", "Housing plan or council referral number"}
)
PERSONAL_CODES: frozenset[str] = frozenset({"N503", "N507"})  # quote (masked) snippets of the narrative

_RETURN_COLUMNS = tuple(c for s in std.RETURN_SHEETS for c in s.columns)
_KEPT_NORM = frozenset(std.normalise_label(h) for h in KEPT_TEXT)
_ALWAYS_NORM = frozenset(std.normalise_label(h) for h in PERSONAL_EVEN_WHEN_VALID)
_BY_SHEET = {
    std.normalise_label(s.name): {std.normalise_label(c.header): c for c in s.columns} for s in std.RETURN_SHEETS
}
_BY_HEADER: dict[str, std.Column] = {}
for _c in _RETURN_COLUMNS:
    _BY_HEADER.setdefault(std.normalise_label(_c.header), _c)
_HEADER_NAMES = frozenset(_BY_HEADER) | frozenset(std.normalise_label(s.name) for s in std.RETURN_SHEETS)
# a quoted text: opened after the start, a space or a bracket, closed before a non-word character
_QUOTED_RE = re.compile(r"""(?<![\w'"])(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")(?![\w])""")
# a full postcode, a sector (N1 9) or a district (SE15) as a message shows them (upper case); not a cell (B8)
_POSTCODE_RE = re.compile(r"(?<![\w§!:])[A-Z]{1,2}\d[A-Z\d]?(?:[ \u00a0]*\d(?:[A-Z]{2}(?!\w))?)?(?![\w:])")
_SHOW_LIMIT = 60  # tables.show() cuts text longer than this to 57 characters and "…"
_MIN_CUT = 8  # a value cut short ("…") is recognised by a prefix of at least this many characters


def _always_personal(col: std.Column | None) -> bool:
    if col is None:  # a column the standard does not have
        return False
    norm = std.normalise_label(col.header)
    return norm in _ALWAYS_NORM or (col.kind == std.TEXT and norm not in _KEPT_NORM)


# every column of a return whose values are all personal (derived from the kinds; see the module)
PERSONAL_HEADERS: frozenset[str] = frozenset(c.header for c in _RETURN_COLUMNS if _always_personal(c))


def column_of(sheet, header) -> std.Column | None:
    """The standard's column a finding is about: by sheet and header, else by header alone (a header
    has the same kind on every sheet that has it); None for a column the standard does not have."""
    if header is None:
        return None
    h = std.normalise_label(header)
    on_sheet = _BY_SHEET.get(std.normalise_label(sheet))
    if on_sheet and h in on_sheet:
        return on_sheet[h]
    return _BY_HEADER.get(h)


def is_personal(header, sheet=None) -> bool:
    """Is every value of this column personal (free text, ages, postcodes)?"""
    col = column_of(sheet, header)
    return col is not None and _always_personal(col)


@lru_cache(maxsize=1)
def _default_refdata():
    from swtool.model.refdata import RefData

    return RefData()


@lru_cache(maxsize=256)
def _codes(col: std.Column, refdata) -> frozenset[str]:
    from swtool.read.tables import codes_for

    return frozenset(std.normalise_label(c) for c in codes_for(col, refdata or _default_refdata()))


def _scalar(value):
    """numpy and pandas scalars as plain Python values; NaN, NaT and NA as None."""
    name = type(value).__name__
    if name in ("NAType", "NaTType"):
        return None
    if name == "bool_":
        return bool(value)
    if value is None or isinstance(value, (str, bool, date, time)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        f = float(value)
        return None if f != f else f
    return value


def _reads_as(kind: str, text: str, col: std.Column, refdata) -> bool:
    """Does ``text`` read as a value of the column's kind: a code, Yes or No, a date, a number?"""
    from swtool.read.tables import _text_date, _text_number

    s = text.strip()
    if not s:
        return True
    if kind == std.CODE:
        return std.normalise_label(s) in _codes(col, refdata)
    if kind == std.YESNO:
        return s.casefold() in ("yes", "y", "no", "n")
    if kind == std.DATE:
        return _text_date(s) is not None
    if kind in (std.INT, std.NUMBER, std.MONEY):
        return _text_number(s, kind) is not None or _text_number(s, std.NUMBER) is not None
    return False


def personal_parts(sheet, header, value, refdata=None) -> list:
    """The parts of ``value`` (a value of the column ``header`` on ``sheet``) that are personal: the
    value itself, or for a column of several codes the parts that are not codes; [] when none is
    (and for a column the standard does not have: its findings are about its header)."""
    value = _scalar(value)
    col = column_of(sheet, header)
    if value is None or col is None:
        return []
    if isinstance(value, str):
        if not value.strip():
            return []
    elif col.kind == std.TEXT or not _always_personal(col):
        return []  # a number given with a text column is a rule's count; only text carries free text
    if _always_personal(col):
        return [value]
    if col.kind in (std.TEXT, std.REF):
        return []  # the text columns that name organisations; references are how a row is found
    if col.kind == std.CODES:
        codes = _codes(col, refdata)
        return [p.strip() for p in value.split(";") if p.strip() and std.normalise_label(p) not in codes]
    return [] if _reads_as(col.kind, value, col, refdata) else [value]


def is_personal_value(sheet, header, value, refdata=None) -> bool:
    return bool(personal_parts(sheet, header, value, refdata))


def kept_value(sheet, header, value, refdata=None):
    """``value`` as the ledger may keep it: as it is when nothing in it is personal; for a column of
    several codes its valid codes only ("A; B"); otherwise None."""
    value = _scalar(value)
    col = column_of(sheet, header)
    if value is None or col is None:
        return None
    parts = personal_parts(sheet, header, value, refdata)
    if not parts:
        return value
    if col.kind == std.CODES and not _always_personal(col):
        codes = _codes(col, refdata)
        kept = [p.strip() for p in str(value).split(";") if p.strip() and std.normalise_label(p) in codes]
        return "; ".join(kept) or None
    return None


def _forms(value) -> list[str]:
    """The ways a message may show ``value``, longest first."""
    value = _scalar(value)
    if value is None or isinstance(value, bool):
        return []
    shown = set()
    if isinstance(value, float) and value.is_integer():
        shown = {repr(value)}  # a whole number read as a float is shown so too: "was 15.0 at registration"
        value = int(value)
    if isinstance(value, (date, datetime)):
        from swtool.read.tables import show

        forms = {show(value), value.isoformat()}
        return sorted(forms, key=len, reverse=True)
    text = str(value)
    forms = {text, text.strip()} | shown
    for t in (text, text.strip()):
        forms |= {repr(t), f'"{t}"'}
        if len(t) > _SHOW_LIMIT:
            forms.add(repr(t[:57] + "…"))
    return sorted((f for f in forms if f.strip()), key=len, reverse=True)


def _replace_cut(message: str, text: str) -> str:
    """A long value shown cut short: any prefix of it (at least ``_MIN_CUT`` characters) just before "…"."""
    if len(text) < _MIN_CUT or "…" not in message:
        return message
    out, start = [], 0
    for m in re.finditer("…", message):
        pos = m.start()
        for k in range(min(len(text), pos - start), _MIN_CUT - 1, -1):
            if message[pos - k : pos] == text[:k]:
                out.append(message[start : pos - k] + REDACTED)
                start = pos + 1
                break
    out.append(message[start:])
    return "".join(out)


def _replace_value(message: str, value, min_bare: int = 1) -> str:
    for form in _forms(value):
        if form[0] in "'\"":
            message = message.replace(form, f"'{REDACTED}'")
        elif len(form) >= min_bare:
            message = re.sub(rf"(?<![\w.,/:]){re.escape(form)}(?![\w]|[.,/:]\d)", REDACTED, message)
    if isinstance(value, str):
        message = _replace_cut(message, value.strip())
    return message


def _replace_quoted(message: str, col: std.Column | None = None, refdata=None) -> str:
    """Every quoted text becomes ``'[redacted]'``, except column names and texts made of the column's
    own codes (and what is already redacted)."""
    codes = _codes(col, refdata) if col is not None and col.kind in (std.CODE, std.CODES) else frozenset()

    def kept(inner: str) -> bool:
        if inner == REDACTED or std.normalise_label(inner) in _HEADER_NAMES:
            return True
        parts = [p.strip() for p in inner.split(";")]
        return bool(codes) and all(p == REDACTED or std.normalise_label(p) in codes for p in parts if p) and any(parts)

    def sub(m: re.Match) -> str:
        return m.group(0) if kept(m.group(0)[1:-1]) else f"'{REDACTED}'"

    return _QUOTED_RE.sub(sub, message)


_UNKNOWN = object()
_READER_CODES = frozenset({"S004", "S007"})  # their value is the cell's content as typed


def _own_parts(f: Finding, refdata, cell) -> list:
    """The personal parts of ``f.value``. A rule may give a finding on a coded or date column a value
    of its own (a client ref, "Permanent → Permanent", a quarter): when the typed return is at hand
    (``cell``: what the finding's cell holds), a value in such a column counts as the cell's only
    if the cell holds it; the reader's own findings always carry the cell's content."""
    parts = personal_parts(f.sheet, f.header, f.value, refdata)
    if not parts or cell is _UNKNOWN or f.code in _READER_CODES:
        return parts
    col = column_of(f.sheet, f.header)
    if _always_personal(col):
        return parts
    held = _scalar(cell)
    return parts if isinstance(held, str) and held.strip() == str(_scalar(f.value)).strip() else []


def redact_message(f: Finding, row_values=(), refdata=None, cell=_UNKNOWN) -> str:
    """``f.message`` without the personal values it quotes; ``row_values`` are the personal values of
    the finding's row and ``cell`` the typed value of its cell (see ``RowValues``), when known."""
    message = f.message
    for v in row_values:
        message = _replace_value(message, v, min_bare=3 if isinstance(v, str) else 1)
    parts = _own_parts(f, refdata, cell)
    col = column_of(f.sheet, f.header)
    if parts or f.code in PERSONAL_CODES or (col is not None and _always_personal(col)):
        whole = _scalar(f.value)
        for p in sorted(parts, key=lambda p: len(str(p)), reverse=True):  # a code list's wrong parts first
            message = _replace_value(message, p, min_bare=3 if isinstance(p, str) and p != whole else 1)
        if parts or f.code in PERSONAL_CODES:
            message = _replace_value(message, whole)
        if isinstance(whole, str):  # the value may also be shown normalised ('se10aa' as 'SE1 0AA')
            message = _replace_quoted(message, col, refdata)
        if std.normalise_label(f.header) == "postcode":  # and its sector or district ("the N1 9 sector")
            message = _POSTCODE_RE.sub(REDACTED, message)
    return message


def redact_finding(f: Finding, row_values=(), refdata=None, cell=_UNKNOWN) -> Finding:
    return replace(f, message=redact_message(f, row_values, refdata, cell), value=None)


def stored_value(f: Finding, row_values=(), refdata=None, cell=_UNKNOWN):
    """The value the ledger keeps for ``f``: a valid code, a reference, a date, a number, a count; None
    when it is personal (its own, or one of its row's ``row_values``), quoted by N503/N507, or the
    header of a column the standard does not have."""
    value = _scalar(f.value)
    if value is None or f.code in PERSONAL_CODES or _own_parts(f, refdata, cell):
        return None
    if isinstance(value, str) and value.strip() in {str(v).strip() for v in row_values}:
        return None
    if column_of(f.sheet, f.header) is None:  # a count about a whole sheet or return; never a header
        return value if not isinstance(value, str) else None
    return f.value


class RowValues:
    """The personal values of each row of a typed return, looked up by (sheet, Excel row): every text
    of a personal column, every value a coded, yes/no, date or number column holds that is not one
    (for a column of several codes, the parts that are not codes), and the age (a rule about the
    eligibility criteria may say how old the client was), longest first."""

    def __init__(self, sub, refdata=None):
        self.sub = sub
        self.refdata = refdata
        self._rows: dict[str, dict[int, int]] = {}
        self._seen: dict[tuple[str, int], list[str]] = {}

    def _personal(self, sheet, header, v) -> list:
        v = _scalar(v)
        if isinstance(v, str):
            return (
                [p for p in personal_parts(sheet, header, v, self.refdata) if isinstance(p, str)] if v.strip() else []
            )
        return personal_parts(sheet, header, v, self.refdata) if isinstance(v, (int, float)) else []

    def cell(self, sheet: str | None, row: int | None, header: str | None):
        """The typed value of a cell (None when empty or not found); unknown without the return."""
        if self.sub is None:
            return _UNKNOWN
        col = column_of(sheet, header)
        if col is None or sheet is None or row is None:
            return None
        for labels in (self.sub.cover, self.sub.narrative):
            if labels.present and labels.sheet == sheet:
                return labels.values.get(col.header) if labels.cells.get(col.header, (None,))[0] == row else None
        for t in self.sub.tables.values():
            if t.present and t.sheet == sheet:
                i = self._index(t).get(int(row))
                return None if i is None or col.header not in t.letters else t.df[col.header].iat[i]
        return None

    def _index(self, t) -> dict[int, int]:
        index = self._rows.get(t.sheet)
        if index is None:
            index = self._rows[t.sheet] = {int(r): i for i, r in enumerate(t.rows)}
        return index

    def __call__(self, sheet: str | None, row: int | None) -> list:
        if self.sub is None or sheet is None or row is None:
            return []
        key = (sheet, int(row))
        if key not in self._seen:
            self._seen[key] = self._values(sheet, int(row))
        return self._seen[key]

    def _values(self, sheet: str, row: int) -> list:
        sub = self.sub
        for labels in (sub.cover, sub.narrative):
            if labels.present and labels.sheet == sheet:
                out = [
                    p
                    for label, (r, _) in labels.cells.items()
                    if r == row
                    for p in self._personal(labels.spec.name, label, labels.values.get(label))
                ]
                return sorted(out, key=lambda v: len(str(v)), reverse=True)
        for t in sub.tables.values():
            if not t.present or t.sheet != sheet:
                continue
            i = self._index(t).get(row)
            if i is None:
                return []
            out = [p for h in t.letters for p in self._personal(t.spec.name, h, t.df[h].iat[i])]
            return sorted(out, key=lambda v: len(str(v)), reverse=True)  # "Tesco Extra, 12 Rye Lane" first
        return []


def redact_report(report: FileReport, sub=None, refdata=None) -> FileReport:
    """A copy of ``report`` whose findings carry no values and no personal text (see the module)."""
    rows = RowValues(sub, refdata)
    findings = [
        redact_finding(f, rows(f.sheet, f.row), refdata, rows.cell(f.sheet, f.row, f.header)) for f in report.findings
    ]
    return replace(report, findings=findings)


def for_ledger(findings, sub=None, refdata=None) -> list[Finding]:
    """The findings as the ledger keeps them: each message redacted as ``redact_report`` does, and the
    value only when it is not personal (``stored_value``)."""
    rows = RowValues(sub, refdata)
    out = []
    for f in findings:
        row_values, cell = rows(f.sheet, f.row), rows.cell(f.sheet, f.row, f.header)
        out.append(
            replace(
                f,
                message=redact_message(f, row_values, refdata, cell),
                value=stored_value(f, row_values, refdata, cell),
            )
        )
    return out
