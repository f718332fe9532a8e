"""The network report: the council's view of every Southwark Works contract together.

``write_network_report(output, data)`` writes a workbook with

- ``About``: what the report covers, the settings in force and how small numbers are shown;
- ``Outputs``: outputs by lot and quarter against target (the Council Plan Monitor, §7.3): one row
  per lot and output, per quarter Actual / Target / %, and to date; then all lots together;
- ``Shared outputs``: outputs two providers both claimed (App 2 §2.3), by provider, lot, the
  other provider, output and quarter;
- ``Equalities``: registrations and job outcomes (2a + 2b) by gender, ethnic group, disability and
  age band (16–24, 25–49, 50+) (§12.4), with small numbers suppressed;
- ``Charts``: outputs to date against target by lot, as bar charts;
- ``Equality of outcome``: clients registered in the year and the share with a job start, a sustained
  job and a progression, by gender, ethnic group, disability and age band, for the network, each lot
  and each contract (``swtool.write.outcomes``), and the protected characteristics (§12.1) the return does
  not record;
- ``Referrals``: registrations and job starts by referral source, and the conversion rate;
- ``Value for money``: cost per output and each contract's annual value against Table 1 (K706);
- ``Produced from``: the ledger, settings and reference data that produced the report.

Outputs 7, 8 and 9 mean different things in different lots (TEMPLATES.md §3): they are added up
across lots only where they mean the same (lots 1a, 1b and 1c's output 7; lots 3 and 7's), each
such row named by the lots and the meaning, never into one "All lots" figure.

``NetworkData`` holds plain rows that the ledger fills. Nothing identifies a client: no client
references, postcodes or free text. Shared-with names are matched to the register's providers; a
name that matches none is shown as ``Not a provider in the register`` rather than as typed.
Demographic values outside the template's code lists are shown as ``Not recorded``.

Small numbers (§12.4 reporting; statistical disclosure control): any count under 5 is shown as
``<5`` (0 included). Where the printed total would let a reader work one out (a single suppressed
cell in a column), the next smallest cell of that column is withheld too and shown as ``[c]``, so
that every total can be printed. Several suppressed cells in a column give only their sum away,
never one of them. (``outcomes.protect``, which also links the levels of the Equality of outcome
sheet.)

Deterministic like ``swtool.write.templates``: fixed document dates, sorted rows, written through
``swtool.write.xlsx.save`` (atomic). Every cell is written with ``swtool.write.xlsx.put``: provider names, lots
and codes from the ledger are text (quote-prefixed when they would read as a formula), never
formulas; the report holds no formula at all (percentages are computed here, not by Excel).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from swtool.calc.money import json_number
from swtool.model import standard as std
from swtool.model.outputs import OUTPUT_NAMES, core_outputs, lot_number, lot_order, output_order
from swtool.model.quarter import Quarter
from swtool.write.outcomes import (
    AGE_BANDS,
    NOT_RECORDED,
    SUPPRESSED,
    WITHHELD,
    ClientOutcome,
    ValueRow,
    age_band,
    protect,
)
from swtool.write.outcomes import coded as _coded
from swtool.write.xlsx import put, save

if TYPE_CHECKING:
    from swtool.write.reportbook import Provenance

REGISTRATION = "registration"
JOB_OUTCOME = "job outcome"
NOT_A_PROVIDER = "Not a provider in the register"
ALL_LOTS = "All lots"
LOT_OUTPUTS = ("7", "8", "9")  # outputs whose meaning is the lot's own (TEMPLATES.md §3)
PERCENT_FORMAT = "0.0%"
HEADER_FILL = "1F4E78"
LOW_FILL = "F8CBAD"  # a core output at or below 70% (the % is shown as well)


@dataclass(frozen=True)
class OutputRow:
    """One contract's (or one lot's) output in one quarter: claims counted and the quarterly target
    (``swtool.calc.targets.quarterly_target``; None when the register has none). Rows of the same lot,
    output and quarter are added together."""

    lot: str
    output: str
    quarter: Quarter
    actual: int
    target: Decimal | int | None = None
    contract_id: str | None = None


@dataclass(frozen=True)
class SharedRow:
    """Claims a provider made as shared with another provider (``Shared with provider`` filled)."""

    quarter: Quarter
    provider: str
    lot: str
    shared_with: str | None
    output: str
    claims: int = 1


@dataclass(frozen=True)
class CrossRow:
    """A claim to look at across contracts (C219: also claimed by another contract; C220: the partner
    named never claims it), as the ledger finds it. Claim refs only: no client reference."""

    code: str
    quarter: Quarter
    contract: str
    provider: str
    claim_ref: str | None
    output: str | None
    other: str  # the other contract(s), or the partner named


@dataclass(frozen=True)
class EqualityRow:
    """One registration, or one job outcome (a 2a or 2b claim), with the client's demographics as
    recorded at registration. No client reference: the report needs none."""

    measure: str  # REGISTRATION or JOB_OUTCOME
    gender: str | None = None
    ethnic_group: str | None = None
    disability: str | None = None
    age: int | None = None  # age at registration, in whole years


@dataclass
class NetworkData:
    outputs: list[OutputRow] = field(default_factory=list)
    shared: list[SharedRow] = field(default_factory=list)
    cross: list[CrossRow] = field(default_factory=list)  # C219, C220 in the period
    equalities: list[EqualityRow] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)  # the register's provider names
    quarters: list[Quarter] = field(default_factory=list)  # the columns; from the rows when empty
    title: str = "Southwark Works network report"
    generated: date | None = None
    settings: dict = field(default_factory=dict)  # shown on About (the settings in force)
    output_titles: dict = field(default_factory=dict)  # (lot, output) -> what it counts (refdata outputs.csv)
    clients: list[ClientOutcome] = field(default_factory=list)  # registered in the period, for the outcome sheets
    contracts: dict = field(default_factory=dict)  # contract id -> lot, for the levels of those sheets
    values: list[ValueRow] = field(default_factory=list)  # value for money, one per contract
    provenance: Provenance | None = None  # the Produced from sheet

    def columns(self) -> list[Quarter]:
        if self.quarters:
            return sorted(set(self.quarters))
        return sorted({r.quarter for r in self.outputs} | {r.quarter for r in self.shared})

    @property
    def period(self) -> str:
        qs = self.columns()
        if not qs:
            return "no quarters"
        return str(qs[0]) if len(qs) == 1 else f"{qs[0]} to {qs[-1]}"


# --- arithmetic ----------------------------------------------------------------------------------


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return Decimal(str(a)) + Decimal(str(b))


def _ratio(actual, target) -> float | None:
    if target is None or Decimal(str(target)) == 0:
        return None
    return float(Decimal(actual) / Decimal(str(target)))


def output_title(data: NetworkData, lot: str, output: str) -> str:
    """What an output counts in a lot: the reference data's title (outputs 7–9 differ by lot), else the
    framework's name of outputs 1–6."""
    title = data.output_titles.get((str(lot), str(output)))
    if title:
        return title
    return _framework_name(output)


def _framework_name(output: str) -> str:
    name = OUTPUT_NAMES.get(output, f"lot output {output}")
    return name[:1].upper() + name[1:]


def _lots_label(lots: list[str]) -> str:
    lots = sorted(lots, key=lot_order)
    return f"Lot {lots[0]}" if len(lots) == 1 else "Lots " + ", ".join(lots)


def output_table(data: NetworkData) -> tuple[list[Quarter], list[tuple[str, str, dict, tuple]]]:
    """``(quarters, rows)``; each row ``(lot, output, {quarter: (actual, target)}, (actual, target) to date)``,
    lots in order, then ``All lots`` for each of outputs 1–6, then outputs 7–9 added up only over the
    lots where they mean the same (the row's lot is then ``Lots 3, 7``; a meaning the reference data
    does not give is its lot's alone)."""
    quarters = data.columns()
    cells: dict[tuple[str, str], dict[Quarter, list]] = {}
    for r in data.outputs:
        slot = cells.setdefault((str(r.lot), str(r.output)), {}).setdefault(r.quarter, [0, None])
        slot[0] += int(r.actual or 0)
        slot[1] = _add(slot[1], r.target)
    rows = []

    def to_date(per_q):
        actual = sum(per_q[q][0] for q in quarters if q in per_q)
        target = None
        for q in quarters:
            if q in per_q:
                target = _add(target, per_q[q][1])
        return actual, target

    for lot, output in sorted(cells, key=lambda k: (lot_order(k[0]), output_order(k[1]))):
        per_q = {q: tuple(v) for q, v in cells[(lot, output)].items()}
        rows.append((lot, output, per_q, to_date(per_q)))
    totals: dict[tuple, dict[Quarter, list]] = {}
    lots_of: dict[tuple, list[str]] = {}
    for (lot, output), counted in cells.items():
        if output in LOT_OUTPUTS:  # the same number means something else in another lot
            meaning = data.output_titles.get((lot, output)) or f"lot {lot}"
            key = (output, meaning)
        else:
            key = (output, None)
        lots_of.setdefault(key, []).append(lot)
        for q, (a, t) in counted.items():
            slot = totals.setdefault(key, {}).setdefault(q, [0, None])
            slot[0] += a
            slot[1] = _add(slot[1], t)
    for key in sorted(totals, key=lambda k: (output_order(k[0]), min(lot_order(x) for x in lots_of[k]))):
        output, meaning = key
        per_q = {q: tuple(v) for q, v in totals[key].items()}
        rows.append((ALL_LOTS if meaning is None else _lots_label(lots_of[key]), output, per_q, to_date(per_q)))
    return quarters, rows


def _is_total(lot: str) -> bool:
    return lot == ALL_LOTS or lot.startswith("Lots ") or lot.startswith("Lot ")


def _row_title(data: NetworkData, lot: str, output: str) -> str:
    """The "What is counted" of an Outputs row; a row of lots added up takes its first lot's meaning."""
    if lot == ALL_LOTS:
        return _framework_name(output)
    if _is_total(lot):
        first = lot.split(" ", 1)[1].split(", ")[0]
        return output_title(data, first, output)
    return output_title(data, lot, output)


def _provider_key(name) -> str:
    return re.sub(r"\s+", " ", str(name or "")).strip().casefold()


def shared_table(data: NetworkData) -> list[tuple[str, str, str, str, str, int]]:
    """``(provider, lot, shared with, output, quarter, claims)``, summed and sorted; the other
    provider's name as in the register, or NOT_A_PROVIDER."""
    known = {_provider_key(p): p for p in data.providers}
    known.update({_provider_key(r.provider): r.provider for r in data.shared if _provider_key(r.provider) not in known})
    sums: dict[tuple, int] = {}
    for r in data.shared:
        other = known.get(_provider_key(r.shared_with), NOT_A_PROVIDER) if r.shared_with else NOT_A_PROVIDER
        key = (known.get(_provider_key(r.provider), r.provider), str(r.lot), other, str(r.output), r.quarter)
        sums[key] = sums.get(key, 0) + int(r.claims or 0)
    keys = sorted(sums, key=lambda k: (k[0].casefold(), lot_order(k[1]), k[2].casefold(), output_order(k[3]), k[4]))
    return [(p, lot, other, output, str(q), sums[(p, lot, other, output, q)]) for p, lot, other, output, q in keys]


CHARACTERISTICS = (
    ("Gender", lambda r: _coded(r.gender, std.GENDERS), std.GENDERS),
    ("Ethnic group", lambda r: _coded(r.ethnic_group, std.ETHNIC_GROUPS), std.ETHNIC_GROUPS),
    ("Disability", lambda r: _coded(r.disability, std.DISABILITY), std.DISABILITY),
    ("Age band", lambda r: age_band(r.age), AGE_BANDS),
)
MEASURES = ((REGISTRATION, "Registrations"), (JOB_OUTCOME, "Job outcomes (2a + 2b)"))


def suppress(counts: list[int]) -> tuple[list[int | str], int | str]:
    """The cells and total of one column as shown: counts under 5 (0 included) as ``<5``. When only
    one cell is suppressed, the printed total would give it away, so the next smallest cell is
    withheld too (``[c]``). A total under 5 is ``<5`` (then every cell is too). (``outcomes.protect``
    with one sum.)"""
    values: dict[int | str, int] = dict(enumerate(counts))
    values["total"] = sum(counts)
    shown = protect(values, [("total", list(range(len(counts))))])
    return [shown[i] for i in range(len(counts))], shown["total"]


def equalities_table(data: NetworkData) -> list[tuple[str, list[tuple[str, list]], list]]:
    """For each characteristic: ``(name, [(group, [shown per measure])...], [total per measure])``."""
    out = []
    for name, group_of, codes in CHARACTERISTICS:
        groups = list(codes) + [NOT_RECORDED]
        counts = {m: {g: 0 for g in groups} for m, _ in MEASURES}
        for r in data.equalities:
            if r.measure in counts:
                counts[r.measure][group_of(r)] += 1
        columns = [suppress([counts[m][g] for g in groups]) for m, _ in MEASURES]
        rows = [(g, [columns[j][0][i] for j in range(len(MEASURES))]) for i, g in enumerate(groups)]
        out.append((name, rows, [columns[j][1] for j in range(len(MEASURES))]))
    return out


# --- writing -------------------------------------------------------------------------------------


def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="A6A6A6")
    return {
        "head": Font(bold=True, color="FFFFFF"),
        "fill": PatternFill("solid", fgColor=HEADER_FILL),
        "bold": Font(bold=True),
        "title": Font(bold=True, size=14),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "box": Border(left=thin, right=thin, top=thin, bottom=thin),
        "low": PatternFill("solid", fgColor=LOW_FILL),
    }


def _header(ws, row: int, values: list, st) -> None:
    for col, v in enumerate(values, 1):
        cell = ws.cell(row, col)
        put(cell, v)
        cell.font, cell.fill, cell.alignment, cell.border = st["head"], st["fill"], st["center"], st["box"]


def _write_about(ws, data: NetworkData, st) -> None:
    ws.column_dimensions["A"].width = 110
    lines = [
        (data.title, st["title"]),
        (f"Period: {data.period}", None),
        (f"Produced: {data.generated.strftime('%d/%m/%Y')}" if data.generated else None, None),
        ("", None),
        ("Sheets", st["bold"]),
        (
            "Outputs: claims by lot and output, per quarter actual, target and percentage of target, and to date "
            "(Council Plan Monitor, §7.3). Shaded: a core output at or below 70% of target (§7.7).",
            None,
        ),
        (
            "Shared outputs: outputs claimed by two providers (App 2 §2.3), by provider and the provider shared with.",
            None,
        ),
        (
            "Equalities: registrations and job outcomes (2a + 2b) by gender, ethnic group, disability and age band "
            "(§12.4).",
            None,
        ),
        ("Charts: outputs to date against target by lot.", None),
        (
            "Equality of outcome: the clients registered in the year and the share of them with a job start, a "
            "sustained job and a progression, by gender, ethnic group, disability and age band, for the network, each "
            "lot and each contract (§12.4); and the protected characteristics (§12.1) the return does not record.",
            None,
        ),
        ("Referrals: registrations and job starts by referral source, and the conversion rate (App 3 item 3).", None),
        (
            "Value for money: cost per output (cash spent ÷ outputs counted) and each contract's annual value against "
            "its lot's maximum in Table 1 (K706).",
            None,
        ),
        ("Produced from: the ledger, settings and reference data that produced this report.", None),
        (
            "Outputs 7, 8 and 9 mean different things in different lots: they are added up only over the lots where "
            "they mean the same, and each such row names its lots.",
            None,
        ),
        ("", None),
        ("Small numbers", st["bold"]),
        (f"{SUPPRESSED}: a number under 5, not shown so that no client can be identified.", None),
        (f"{WITHHELD}: a number withheld so that a number under 5 cannot be worked out from the total.", None),
        ("No client references, postcodes or free text are included in this report.", None),
    ]
    if data.settings:
        lines += [("", None), ("Settings in force", st["bold"])]
        lines += [(f"{k} = {v}", None) for k, v in sorted(data.settings.items())]
    r = 1
    for text, font in lines:
        if text is None:
            continue
        cell = ws.cell(r, 1)
        put(cell, text)
        cell.alignment = st["wrap"]
        if font:
            cell.font = font
        r += 1


def _write_outputs(ws, data: NetworkData, st) -> dict[tuple[str, str], tuple]:
    from openpyxl.utils import get_column_letter

    quarters, rows = output_table(data)
    put(ws.cell(1, 1), f"Outputs by lot and quarter against target, {data.period}")
    ws.cell(1, 1).font = st["title"]
    blocks = [str(q) for q in quarters] + ["To date"]
    _header(ws, 3, ["Lot", "Output", "What is counted"] + [b for b in blocks for _ in range(3)], st)
    for i in range(len(blocks)):
        first = 4 + 3 * i
        ws.merge_cells(start_row=3, start_column=first, end_row=3, end_column=first + 2)
    _header(ws, 4, ["", "", ""] + ["Actual", "Target", "% of target"] * len(blocks), st)
    for col in range(1, 4):
        ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    ws.column_dimensions["A"].width = 10
    ws.column_dimensions["B"].width = 8
    ws.column_dimensions["C"].width = 38
    for col in range(4, 4 + 3 * len(blocks)):
        ws.column_dimensions[get_column_letter(col)].width = 12 if (col - 4) % 3 == 2 else 9
    ws.freeze_panes = "D5"
    to_date: dict[tuple[str, str], tuple] = {}
    r = 5
    for lot, output, per_q, total in rows:
        core = not _is_total(lot) and output in core_outputs(lot)
        put(ws.cell(r, 1), lot)
        put(ws.cell(r, 2), output)
        put(ws.cell(r, 3), _row_title(data, lot, output) + (" (core)" if core else ""))
        if _is_total(lot):
            for col in range(1, 4):
                ws.cell(r, col).font = st["bold"]
        for i, (actual, target) in enumerate([per_q.get(q, (None, None)) for q in quarters] + [total]):
            col = 4 + 3 * i
            ratio = _ratio(actual, target) if actual is not None else None
            put(ws.cell(r, col), actual)
            put(ws.cell(r, col + 1), json_number(target))
            pcell = ws.cell(r, col + 2)
            if ratio is not None:
                put(pcell, round(ratio, 6))  # a percentage cell, not money
                pcell.number_format = PERCENT_FORMAT
                if core and Decimal(actual) * 10 <= Decimal(str(target)) * 7:
                    pcell.fill = st["low"]
            elif actual is not None:
                put(pcell, "n/a")
        to_date[(lot, output)] = total
        r += 1
    return to_date


def _write_shared(ws, data: NetworkData, st) -> None:
    put(ws.cell(1, 1), f"Shared outputs (App 2 §2.3), {data.period}")
    ws.cell(1, 1).font = st["title"]
    _header(ws, 3, ["Provider", "Lot", "Shared with", "Output", "Quarter", "Claims"], st)
    for letter, width in zip("ABCDEF", (36, 6, 36, 8, 14, 8)):
        ws.column_dimensions[letter].width = width
    rows = shared_table(data)
    r = 4
    for values in rows:
        for col, v in enumerate(values, 1):
            put(ws.cell(r, col), v)
        r += 1
    if not rows:
        put(ws.cell(r, 1), "No shared outputs were claimed in the period.")
        r += 1
    else:
        put(ws.cell(r, 1), "Total")
        ws.cell(r, 1).font = st["bold"]
        put(ws.cell(r, 6), sum(v[-1] for v in rows))
        ws.cell(r, 6).font = st["bold"]
    r += 2
    put(
        ws.cell(r, 1),
        "Claims to look at across contracts: C219 claimed by another contract too, C220 the partner "
        "named does not claim it (risk of paying twice)",
    )
    ws.cell(r, 1).font = st["bold"]
    _header(ws, r + 1, ["Code", "Quarter", "Contract", "Provider", "Claim ref", "Output", "Other"], st)
    r += 2
    for c in sorted(data.cross, key=lambda c: (c.quarter, c.code, c.contract, c.claim_ref or "")):
        for col, v in enumerate((c.code, str(c.quarter), c.contract, c.provider, c.claim_ref, c.output, c.other), 1):
            put(ws.cell(r, col), v)
        r += 1
    if not data.cross:
        put(ws.cell(r, 1), "None in the period.")
    ws.freeze_panes = "A4"


def _write_equalities(ws, data: NetworkData, st) -> None:
    put(ws.cell(1, 1), f"Equalities (§12.4), {data.period}")
    ws.cell(1, 1).font = st["title"]
    put(
        ws.cell(2, 1),
        f"{SUPPRESSED}: under 5, not shown. {WITHHELD}: withheld so that a number under 5 cannot be "
        f"worked out from the total.",
    )
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 24
    r = 4
    for name, rows, totals in equalities_table(data):
        _header(ws, r, [name] + [label for _, label in MEASURES], st)
        r += 1
        for group, shown in rows:
            put(ws.cell(r, 1), group)
            for j, v in enumerate(shown, 2):
                put(ws.cell(r, j), v)
                ws.cell(r, j).alignment = st["center"]
            r += 1
        put(ws.cell(r, 1), "Total")
        ws.cell(r, 1).font = st["bold"]
        for j, v in enumerate(totals, 2):
            put(ws.cell(r, j), v)
            ws.cell(r, j).font = st["bold"]
            ws.cell(r, j).alignment = st["center"]
        r += 2


def _write_charts(ws, data: NetworkData, to_date: dict, st) -> int:
    """Bar charts of outputs to date against target, by lot: output 2 (lots 1–8), output 4 (all lots)
    and output 1 (lot 9's other core output). Returns the number of charts."""
    from openpyxl.chart import BarChart, Reference

    put(ws.cell(1, 1), f"Outputs to date against target by lot, {data.period}")
    ws.cell(1, 1).font = st["title"]
    ws.column_dimensions["A"].width = 10
    ws.column_dimensions["B"].width = 14
    ws.column_dimensions["C"].width = 14
    lots = sorted({lot for lot, _ in to_date if not _is_total(lot)}, key=lot_order)
    plots = [
        (
            "2",
            "Job and apprenticeship starts (output 2 = 2a + 2b) to date",
            [lot for lot in lots if lot_number(lot) != "9"],
        ),
        ("4", "Progressions into a better role (output 4) to date", lots),
        ("1", "Clients registered (output 1) to date", lots),
    ]
    r, charts = 3, 0
    for output, title, chart_lots in plots:
        rows = [(lot, *to_date[(lot, output)]) for lot in chart_lots if (lot, output) in to_date]
        if not rows:
            continue
        top = r
        _header(ws, r, ["Lot", "Actual", "Target"], st)
        r += 1
        for lot, actual, target in rows:
            put(ws.cell(r, 1), f"Lot {lot}")
            put(ws.cell(r, 2), actual)
            put(ws.cell(r, 3), json_number(target) if target is not None else 0)
            r += 1
        chart = BarChart()
        chart.type = "col"
        chart.grouping = "clustered"
        chart.title = title
        chart.y_axis.title = "Number"
        chart.x_axis.title = "Lot"
        chart.height, chart.width = 8, 18
        values = Reference(ws, min_col=2, max_col=3, min_row=top, max_row=r - 1)
        cats = Reference(ws, min_col=1, min_row=top + 1, max_row=r - 1)
        chart.add_data(values, titles_from_data=True)
        chart.set_categories(cats)
        ws.add_chart(chart, f"E{top}")
        charts += 1
        r = max(r + 1, top + 17)
    if not charts:
        put(ws.cell(r, 1), "No outputs to chart.")
    return charts


# --- the tables every reader (and --format json) gets -------------------------------------------------


def outcome_tables(data: NetworkData) -> list:
    """Equality of outcome, protected characteristics, referrals and value for money
    (``swtool.write.outcomes``), for the network, each lot and each contract."""
    from swtool.write.outcomes import characteristics_table, equality_table, referral_table, scopes, value_table

    contracts = dict(data.contracts) or {r.contract: r.lot for r in data.clients}
    levels = scopes(contracts, network=True)
    return [
        equality_table(data.clients, levels, data.period),
        characteristics_table(),
        referral_table(data.clients, levels, data.period),
        value_table(data.values, data.period, network=True),
    ]


def tables(data: NetworkData) -> list:
    """Every table of the report as ``reportbook.ReportTable``: the JSON form (``--format json``)."""
    from swtool.calc import money
    from swtool.write.reportbook import Column, ReportTable

    quarters, rows = output_table(data)
    out_rows = []
    for lot, output, per_q, total in rows:
        for label, (actual, target) in [(str(q), per_q.get(q, (None, None))) for q in quarters] + [("To date", total)]:
            if actual is None and target is None:
                continue
            percent = money.percent(actual, target) if actual is not None and target else None
            out_rows.append([lot, output, _row_title(data, lot, output), label, actual, json_number(target), percent])
    outputs = ReportTable(
        "outputs",
        f"Outputs by lot and quarter against target, {data.period}",
        [
            Column("lot", "Lot"),
            Column("output", "Output"),
            Column("counts", "What is counted"),
            Column("quarter", "Quarter"),
            Column("actual", "Actual", "count"),
            Column("target", "Target", "number"),
            Column("percent", "% of target", "percent"),
        ],
        out_rows,
    )
    shared = ReportTable(
        "shared_outputs",
        f"Shared outputs (App 2 §2.3), {data.period}",
        [
            Column("provider", "Provider"),
            Column("lot", "Lot"),
            Column("shared_with", "Shared with"),
            Column("output", "Output"),
            Column("quarter", "Quarter"),
            Column("claims", "Claims", "count"),
        ],
        [list(r) for r in shared_table(data)],
    )
    cross = ReportTable(
        "across_contracts",
        "Claims to look at across contracts (C219, C220)",
        [
            Column("code", "Code"),
            Column("quarter", "Quarter"),
            Column("contract", "Contract"),
            Column("provider", "Provider"),
            Column("claim_ref", "Claim ref"),
            Column("output", "Output"),
            Column("other", "Other"),
        ],
        [
            [c.code, str(c.quarter), c.contract, c.provider, c.claim_ref, c.output, c.other]
            for c in sorted(data.cross, key=lambda c: (c.quarter, c.code, c.contract, c.claim_ref or ""))
        ],
    )
    eq_rows = []
    for name, groups, totals in equalities_table(data):
        eq_rows += [[name, g, *shown] for g, shown in groups] + [[name, "Total", *totals]]
    equalities = ReportTable(
        "equalities",
        f"Equalities (§12.4), {data.period}",
        [
            Column("characteristic", "Characteristic"),
            Column("group", "Group"),
            *[Column(m.replace(" ", "_"), label, "count") for m, label in MEASURES],
        ],
        eq_rows,
    )
    return [outputs, shared, cross, equalities, *outcome_tables(data)]


def _write_outcome_sheets(wb, data: NetworkData) -> None:
    from swtool.write.reportbook import styles, write_provenance, write_table

    st = styles()
    equality, characteristics, referrals, value = outcome_tables(data)
    ws = wb.create_sheet("Equality of outcome")
    placed = write_table(ws, equality, 1, st, bold_rows={i for i, r in enumerate(equality.rows) if r[2] == "Total"})
    write_table(ws, characteristics, placed.last + 3, st)
    ws.freeze_panes = ws.cell(placed.header_row + 1, 4)
    ws = wb.create_sheet("Referrals")
    placed = write_table(ws, referrals, 1, st, bold_rows={i for i, r in enumerate(referrals.rows) if r[1] == "Total"})
    ws.freeze_panes = ws.cell(placed.header_row + 1, 3)
    ws = wb.create_sheet("Value for money")
    placed = write_table(ws, value, 1, st, bold_rows={i for i, r in enumerate(value.rows) if not r[1]})
    ws.freeze_panes = ws.cell(placed.header_row + 1, 2)
    if data.provenance is not None:
        write_provenance(wb.create_sheet("Produced from"), data.provenance, st)


def build_network_report(data: NetworkData):
    """The report as an openpyxl Workbook."""
    import openpyxl

    from swtool.write.reportbook import fit_pages

    st = _styles()
    wb = openpyxl.Workbook()
    about = wb.active
    about.title = "About"
    _write_about(about, data, st)
    to_date = _write_outputs(wb.create_sheet("Outputs"), data, st)
    _write_shared(wb.create_sheet("Shared outputs"), data, st)
    _write_equalities(wb.create_sheet("Equalities"), data, st)
    _write_charts(wb.create_sheet("Charts"), data, to_date, st)
    _write_outcome_sheets(wb, data)
    fit_pages(wb)
    wb.active = 0
    return wb


def write_network_report(output: Path, data: NetworkData) -> Path:
    """Write the network report to ``output`` (.xlsx), atomically; returns the path written."""
    return save(build_network_report(data), output)


__all__ = [
    "CrossRow",
    "EqualityRow",
    "NetworkData",
    "OutputRow",
    "SharedRow",
    "age_band",
    "build_network_report",
    "equalities_table",
    "outcome_tables",
    "output_table",
    "output_title",
    "shared_table",
    "suppress",
    "tables",
    "write_network_report",
]
