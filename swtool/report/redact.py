"""``--redact``: a report that can be passed on (to the council's helpdesk, a ticket, a chat) without the
clients' personal details or the provider's free text in it.

What goes: every finding's ``value``; in the messages, the values of the personal and free-text
columns (``PERSONAL_HEADERS``: ages, postcodes, housing references, notes, descriptions, comments,
qualifications, the narrative answers) and the snippets rules N503 and N507 quote from the narrative.
What stays: client refs, claim refs, codes, dates, amounts, cells and the rule's own words, so the
report still says what is wrong and where.

How, robustly rather than rule by rule (rules put values into messages with ``repr`` or ``show``,
sometimes normalised, sometimes cut short):

1. A finding on a personal column (or N503/N507): its value, in any of the forms a message shows it
   (``15``, ``'se1 0aa'``), becomes ``[redacted]``; when the value is text, so does every quoted text
   in the message (``'…'`` or ``"…"``: the value normalised), except the names of template columns;
   on the Postcode column, so does anything shaped like a postcode, sector or district.
2. Any finding with a row: the personal values of that same row, taken from the typed return, are
   replaced wherever they appear in the message (a Description quoted by a rule about Date defrayed).
"""

from __future__ import annotations

import re
from dataclasses import replace

from swtool import standard as std
from swtool.findings import FileReport, Finding

REDACTED = "[redacted]"

PERSONAL_HEADERS: frozenset[str] = frozenset({
    "Age at registration",
    "Postcode",
    "Housing plan or council referral number",
    "Notes",
    "Description",
    "Comment",
    "Qualification gained",
    "Completed by",  # a job role, but a provider may type a name
    *std.NARRATIVE_LABELS,
})
PERSONAL_CODES: frozenset[str] = frozenset({"N503", "N507"})  # quote (masked) snippets of the narrative

_PERSONAL_NORM = frozenset(std.normalise_label(h) for h in PERSONAL_HEADERS)
_HEADER_NAMES = frozenset(std.normalise_label(c.header) for s in (*std.RETURN_SHEETS,) for c in s.columns) | \
    frozenset(std.normalise_label(s.name) for s in std.RETURN_SHEETS)
# a quoted text: opened after the start, a space or a bracket, closed before a non-word character
_QUOTED_RE = re.compile(r"""(?<![\w'"])(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")(?![\w])""")
# a full postcode, a sector (N1 9) or a district (SE15) as a message shows them (upper case); not a cell (B8)
_POSTCODE_RE = re.compile(r"(?<![\w§!:])[A-Z]{1,2}\d[A-Z\d]?(?:[ \u00a0]*\d(?:[A-Z]{2}(?!\w))?)?(?![\w:])")
_SHOW_LIMIT = 60  # tables.show() cuts text longer than this to 57 characters and "…"


def is_personal(header) -> bool:
    return header is not None and std.normalise_label(header) in _PERSONAL_NORM


def _forms(value) -> list[str]:
    """The ways a message may show ``value``, longest first."""
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    forms = {text, text.strip()}
    for t in (text, text.strip()):
        forms |= {repr(t), f'"{t}"'}
        if len(t) > _SHOW_LIMIT:
            forms.add(repr(t[:57] + "…"))
    return sorted((f for f in forms if f.strip()), key=len, reverse=True)


def _replace_value(message: str, value, min_bare: int = 1) -> str:
    for form in _forms(value):
        if form[0] in "'\"":
            message = message.replace(form, f"'{REDACTED}'")
        elif len(form) >= min_bare:
            message = re.sub(rf"(?<![\w]){re.escape(form)}(?![\w])", REDACTED, message)
    return message


def _replace_quoted(message: str) -> str:
    def sub(m: re.Match) -> str:
        inner = m.group(0)[1:-1]
        if inner == REDACTED or std.normalise_label(inner) in _HEADER_NAMES:
            return m.group(0)
        return f"'{REDACTED}'"

    return _QUOTED_RE.sub(sub, message)


def redact_message(f: Finding, row_values=()) -> str:
    """``f.message`` without the personal values it quotes; ``row_values`` are the personal values of
    the finding's row (see ``RowValues``)."""
    message = f.message
    for v in row_values:
        message = _replace_value(message, v, min_bare=3)
    if is_personal(f.header) or f.code in PERSONAL_CODES:
        message = _replace_value(message, f.value)
        if isinstance(f.value, str):  # the value may also be shown normalised ('se10aa' as 'SE1 0AA')
            message = _replace_quoted(message)
        if std.normalise_label(f.header) == "postcode":  # and its sector or district ("the N1 9 sector")
            message = _POSTCODE_RE.sub(REDACTED, message)
    return message


def redact_finding(f: Finding, row_values=()) -> Finding:
    return replace(f, message=redact_message(f, row_values), value=None)


class RowValues:
    """The personal values of each row of a typed return, looked up by (sheet, Excel row)."""

    def __init__(self, sub):
        self.sub = sub
        self._rows: dict[str, dict[int, int]] = {}

    def __call__(self, sheet: str | None, row: int | None) -> list:
        sub = self.sub
        if sub is None or sheet is None or row is None:
            return []
        for labels in (sub.cover, sub.narrative):
            if labels.present and labels.sheet == sheet:
                return [v for label, (r, _) in labels.cells.items()
                        if r == row and is_personal(label) and isinstance(v := labels.values.get(label), str)]
        for t in sub.tables.values():
            if not t.present or t.sheet != sheet:
                continue
            index = self._rows.get(sheet)
            if index is None:
                index = self._rows[sheet] = {int(r): i for i, r in enumerate(t.rows)}
            i = index.get(int(row))
            if i is None:
                return []
            out = []
            for h in t.letters:
                if is_personal(h):
                    v = t.df[h].iat[i]
                    if isinstance(v, str) and v.strip():  # numbers (ages) are redacted by their own findings
                        out.append(v)
            return out
        return []


def redact_report(report: FileReport, sub=None) -> FileReport:
    """A copy of ``report`` whose findings carry no values and no personal text (see the module)."""
    rows = RowValues(sub)
    findings = [redact_finding(f, rows(f.sheet, f.row)) for f in report.findings]
    return replace(report, findings=findings)
