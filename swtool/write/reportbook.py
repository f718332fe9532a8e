"""What every report from the ledger shares: its tables, their JSON form, and the sheet saying what
produced it.

A ``ReportTable`` is one table of a report, as plain rows: the same rows become a block of an xlsx
sheet (``write_table``) and, with ``--format json``, one entry of ``tables`` for a council BI tool
(``ReportTable.to_dict``). Each column has a kind that says how its values are shown:

- ``text``: as written (provider names, lots, codes: text cells, never formulas, ``xlsx.put``);
- ``count``: a whole number, or a small-number marker (``<5``, ``[c]``) where it is suppressed;
- ``number``: a target (5.25 stays 5.25);
- ``percent``: a percentage in per cent (``Fraction`` or ``Decimal``; 57.1428… for 4 of 7). In the
  workbook it is the ratio with a ``0.0%`` format; in JSON the per cent to 0.01 (57.14);
- ``money``: pounds to the penny (``Decimal``): a number with a £ format in the workbook, text
  (``"1540.00"``) in JSON, exact as the money module made it.

``None`` is an empty cell and JSON ``null``; text in a non-text column (``n/a``, a marker) is kept
as text in both.

``Provenance`` is the "Produced from" sheet: which ledger (its file name, schema version, last
decision, register version), which settings and which reference data (each file's vintage, whether
the shipped file or the council's override, and its sha256) produced the report, with swtool's own
version and rule-set version. Two reports with the same provenance were made from the same figures.

Nothing here imports openpyxl at module level: the TUI and the CLI's start-up stay light.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

KINDS = ("text", "count", "number", "percent", "money")
PERCENT_FORMAT = "0.0%"
MONEY_FORMAT = "£#,##0.00;-£#,##0.00"
HEADER_FILL = "1F4E78"


@dataclass(frozen=True)
class Column:
    key: str  # the JSON key
    label: str  # the header in the workbook
    kind: str = "text"
    width: int | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column kind {self.kind!r} is not one of {KINDS}")


@dataclass
class ReportTable:
    name: str  # the table's key in JSON, e.g. "equality_of_outcome"
    title: str  # the line above the table in the workbook
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # lines under the title (what is counted, markers)

    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def records(self) -> list[dict]:
        """The rows as ``{key: value}``, values as the table holds them (not converted)."""
        return [dict(zip(self.keys(), row, strict=True)) for row in self.rows]

    def to_dict(self) -> dict:
        """``{name, title, notes, columns: [{key, label, kind}], rows: [{key: value}]}``, values in
        their JSON form (``json_value``)."""
        return {
            "name": self.name,
            "title": self.title,
            "notes": list(self.notes),
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": [
                {c.key: json_value(v, c.kind) for c, v in zip(self.columns, row, strict=True)} for row in self.rows
            ],
        }


def json_value(value, kind: str):
    """A cell's value for JSON: counts and numbers as numbers, money as text with two decimals,
    percentages in per cent to 0.01; text (a marker, ``n/a``) as text; None as null."""
    from swtool.calc import money

    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return value
    if kind == "money":
        return money.pounds_text(value)
    if kind == "percent":
        return money.json_number(money.as_decimal(value))
    if kind in ("count", "number"):
        return money.json_number(value)
    return str(value)


def ratio(percent) -> float | None:
    """A percentage (per cent) as the ratio a ``0.0%`` cell holds: 57.14… → 0.5714…"""
    if percent is None:
        return None
    return float(Fraction(percent) / 100) if not isinstance(percent, float) else percent / 100


# --- writing ------------------------------------------------------------------------------------


def styles() -> dict:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="A6A6A6")
    return {
        "head": Font(bold=True, color="FFFFFF"),
        "fill": PatternFill("solid", fgColor=HEADER_FILL),
        "bold": Font(bold=True),
        "title": Font(bold=True, size=14),
        "subtitle": Font(bold=True, size=12),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "box": Border(left=thin, right=thin, top=thin, bottom=thin),
    }


def header(ws, row: int, values: list, st, first_col: int = 1) -> None:
    from swtool.write.xlsx import put

    for col, v in enumerate(values, first_col):
        cell = ws.cell(row, col)
        put(cell, v)
        cell.font, cell.fill, cell.alignment, cell.border = st["head"], st["fill"], st["center"], st["box"]


@dataclass(frozen=True)
class Placed:
    """Where ``write_table`` put a table: its header row and its first and last data rows (last <
    first when it has none), and each column's number (1 = A)."""

    sheet: str
    header_row: int
    first: int
    last: int
    columns: dict[str, int]

    def rows_of(self, table: ReportTable, **match) -> list[int]:
        """The sheet rows of the table rows whose values equal ``match`` (by column key)."""
        keys = table.keys()
        out = []
        for i, row in enumerate(table.rows):
            if all(row[keys.index(k)] == v for k, v in match.items()):
                out.append(self.first + i)
        return out


def write_table(ws, table: ReportTable, top: int, st, bold_rows: set[int] | frozenset[int] = frozenset()) -> Placed:
    """Write ``table`` at row ``top`` of ``ws``: its title, notes, header and rows; returns where
    it went. ``bold_rows``: indexes of rows to set in bold (totals)."""
    from openpyxl.utils import get_column_letter

    from swtool.write.xlsx import put

    put(ws.cell(top, 1), table.title)
    ws.cell(top, 1).font = st["subtitle"]
    r = top + 1
    for note in table.notes:
        put(ws.cell(r, 1), note)
        r += 1
    header(ws, r, [c.label for c in table.columns], st)
    head = r
    for j, c in enumerate(table.columns, 1):
        letter = get_column_letter(j)
        want = c.width or (14 if c.kind != "text" else 18)
        if (ws.column_dimensions[letter].width or 0) < want:
            ws.column_dimensions[letter].width = want
    r += 1
    first = r
    for i, row in enumerate(table.rows):
        for j, (c, v) in enumerate(zip(table.columns, row, strict=True), 1):
            cell = ws.cell(r, j)
            _put_value(cell, v, c.kind, st)
            if i in bold_rows:
                cell.font = st["bold"]
        r += 1
    return Placed(ws.title, head, first, r - 1, {c.key: j for j, c in enumerate(table.columns, 1)})


def _put_value(cell, v, kind: str, st) -> None:
    from swtool.write.xlsx import put

    if v is None:
        return
    if isinstance(v, str):
        put(cell, v)
        if kind != "text":
            cell.alignment = st["center"]
        return
    if kind == "percent":
        put(cell, ratio(v))
        cell.number_format = PERCENT_FORMAT
    elif kind == "money":
        put(cell, Decimal(v))
        cell.number_format = MONEY_FORMAT
    elif kind in ("count", "number"):
        from swtool.calc.money import json_number

        put(cell, json_number(v))
    else:
        put(cell, str(v))


def fit_pages(wb) -> None:
    for ws in wb:
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True


def to_json(
    report: str, title: str, period: dict, provenance: Provenance, tables: list[ReportTable], extra: dict | None = None
) -> str:
    """The ``--format json`` document: ``{report, title, period, produced_from, tables: [...]}``."""
    import json

    doc = {
        "report": report,
        "title": title,
        "period": period,
        **(extra or {}),
        "produced_from": provenance.to_dict(),
        "tables": [t.to_dict() for t in tables],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# --- what produced the report --------------------------------------------------------------------


@dataclass
class Provenance:
    """What produced a report: the ledger, the settings, the reference data, swtool itself."""

    ledger_file: str
    schema_version: int
    last_decision: int | None
    register_version: int | None
    returns: int
    settings: dict
    reference_data: list[dict]  # {file, vintage, source, from, covers, sha256}
    tool_version: str
    ruleset_version: str
    produced: date

    def to_dict(self) -> dict:
        return {
            "ledger": {
                "file": self.ledger_file,
                "schema_version": self.schema_version,
                "last_decision": self.last_decision,
                "register_version": self.register_version,
                "returns": self.returns,
            },
            "settings": dict(sorted(self.settings.items())),
            "reference_data": list(self.reference_data),
            "swtool": {"version": self.tool_version, "ruleset_version": self.ruleset_version},
            "produced": self.produced.isoformat(),
        }

    def table(self) -> ReportTable:
        rows: list[list] = [
            ["Ledger", "file", self.ledger_file],
            ["Ledger", "schema version", self.schema_version],
            ["Ledger", "last decision", "none recorded" if self.last_decision is None else self.last_decision],
            [
                "Ledger",
                "register version in force",
                "none imported" if self.register_version is None else self.register_version,
            ],
            ["Ledger", "returns recorded", self.returns],
        ]
        rows += [["Settings", k, str(v)] for k, v in sorted(self.settings.items())]
        for f in self.reference_data:
            rows.append(
                [
                    "Reference data",
                    f["file"],
                    f"{f['vintage']}; {f['from']}; covers {f['covers']}; sha256 {f['sha256']}",
                ]
            )
        rows += [
            ["swtool", "version", self.tool_version],
            ["swtool", "rule set", self.ruleset_version],
            ["Report", "produced", self.produced.strftime("%d/%m/%Y")],
        ]
        return ReportTable(
            "produced_from",
            "What produced this report",
            [
                Column("section", "Section", width=16),
                Column("item", "Item", width=34),
                Column("value", "Value", width=90),
            ],
            rows,
            [
                "The ledger, settings and reference data this report was made from: the same three give the same "
                "figures."
            ],
        )


def reference_versions(refdata) -> list[dict]:
    """Each reference file in use: its vintage, whether shipped or the council's override, what it
    covers, and the sha256 of its bytes (the version that was read)."""
    from swtool.model.refdata import FILES, coverage

    out = []
    for name in FILES:
        f = refdata.file(name)
        out.append(
            {
                "file": name,
                "vintage": f.ref.vintage,
                "source": f.ref.source,
                "from": "override" if f.overridden else "shipped",
                "covers": coverage(f),
                "sha256": hashlib.sha256(f.path.read_bytes()).hexdigest(),
            }
        )
    return out


def write_provenance(ws, provenance: Provenance, st) -> Placed:
    ws.column_dimensions["C"].width = 90
    placed = write_table(ws, provenance.table(), 1, st)
    for row in ws.iter_rows(min_row=placed.first, max_row=placed.last, min_col=3, max_col=3):
        row[0].alignment = st["wrap"]
    return placed


__all__ = [
    "Column",
    "Placed",
    "Provenance",
    "ReportTable",
    "fit_pages",
    "header",
    "json_value",
    "ratio",
    "reference_versions",
    "styles",
    "to_json",
    "write_provenance",
    "write_table",
]
