"""The contract report: one contract's story from its start, as the council reads it.

``swtool report contract CONTRACT -o FILE.xlsx`` (or ``--format json``) writes, from the ledger:

- ``About``: the contract, its term and value, the quarters covered and the sheets;
- ``Outputs``: each output's actual against its profile per quarter and to date since the start
  (the counted version of each return; only what counts is counted), the % of target;
- ``Spend``: cash spent against the register's budget per quarter, and per budget heading over the
  quarters with a return (App 2 §1.3, §3.2: more than 10% either way is flagged);
- ``Service credits``: each core output's credits per quarter (K702, §7.7–7.8) with the PMO's
  decision, and per quarter the amounts due, applied, waived and pending;
- ``Plans``: the remedial action plans and their state;
- ``Findings``: every version of every return, its errors and warnings by rule family;
- ``Equality of outcome``, ``Referrals``, ``Value for money``: this contract's own figures
  (``swtool.write.outcomes``; the network report holds every contract's, each lot's and the network's);
- ``Charts``: native Excel charts over those sheets' cells (no pictures): each core output per
  quarter (bars) and to date (lines), spend against budget, service credits, findings by family;
- ``Produced from``: the ledger, settings and reference data that produced it.

``series`` is the same per-quarter data as plain lists, for small charts elsewhere (the review
screens): a pure function of the contract, its counted outputs and the last quarter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from swtool.ledger import reportdata, store
from swtool.ledger.db import Ledger, LedgerError
from swtool.model.outputs import output_order
from swtool.model.quarter import Quarter, uk_date

if TYPE_CHECKING:
    from swtool.read.register import ContractFacts
    from swtool.write.outcomes import ValueRow
    from swtool.write.reportbook import Provenance

COMBINED_TITLE = "Clients starting a job or an apprenticeship (2a + 2b)"
FAMILY_CODES = ("S", "R", "C", "P", "X", "N", "D", "K")


# --- the series (pure) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputSeries:
    """One output of a contract, quarter by quarter from the contract's first quarter.

    ``actual[i]`` is None where no return is counted for ``quarters[i]``; ``target[i]`` None where the
    register gives no target. ``actual_to_date`` counts a quarter with no return as 0 (as
    ``credits.cumulative`` does); ``target_to_date`` adds the quarterly targets (None until one is given)."""

    output: str
    quarters: list[str]
    actual: list[int | None]
    target: list[Decimal | int | None]
    actual_to_date: list[int]
    target_to_date: list[Decimal | int | None]


def quarters_of(contract, up_to: Quarter) -> list[Quarter]:
    """From the quarter holding the contract's start to ``up_to``."""
    out, q = [], Quarter.containing(contract.start)
    while q <= up_to:
        out.append(q)
        q = q.next()
    return out


def outputs_of(contract, actuals: dict) -> list[str]:
    """The outputs shown: the core outputs, then every output with a register target, then any other
    output counted (output 1, registrations, only when it has a target or is core)."""
    from swtool.model.outputs import core_outputs

    core = list(core_outputs(contract.lot))
    targeted = sorted((o for o in (contract.targets or {}) if o not in core), key=output_order)
    counted = {o for counts in actuals.values() for o, n in counts.items() if n and o not in ("1", "2")}
    extra = sorted((o for o in counted if o not in core and o not in targeted), key=output_order)
    return core + targeted + extra


def _exact(x: Decimal) -> Decimal | int:
    return int(x) if x == x.to_integral_value() else x.normalize()


def series(contract, actuals: dict, up_to, outputs: list[str] | None = None) -> dict[str, OutputSeries]:
    """Per output, the actual and target of each quarter from the contract's start to ``up_to``, and
    both to date. ``actuals``: ``{Quarter or "2026/27-Q2": {output: count}}`` as ``store.actuals``
    gives them (output 2 is 2a + 2b when no ``"2"`` is given). Pure: no ledger, no I/O."""
    from swtool.calc.targets import actuals_by_quarter, as_quarter, quarterly_target

    up_to = as_quarter(up_to)
    acts = actuals_by_quarter(actuals)
    quarters = quarters_of(contract, up_to)
    out = {}
    for output in outputs if outputs is not None else outputs_of(contract, acts):
        actual, target, a_cum, t_cum = [], [], [], []
        a_sum, t_sum = 0, None
        for q in quarters:
            counts = acts.get(q)
            if counts is None:
                a = None
            elif output in counts:
                a = int(counts[output] or 0)
            elif output == "2":
                a = int(counts.get("2a", 0) or 0) + int(counts.get("2b", 0) or 0)
            else:
                a = 0
            t = quarterly_target(contract, output, q)
            a_sum += a or 0
            if t is not None:
                t_sum = Decimal(str(t)) + (t_sum or Decimal(0))
            actual.append(a)
            target.append(t)
            a_cum.append(a_sum)
            t_cum.append(None if t_sum is None else _exact(t_sum))
        out[output] = OutputSeries(output, [str(q) for q in quarters], actual, target, a_cum, t_cum)
    return out


def contract_series(ledger: Ledger, contract_id: str, up_to, refdata=None) -> dict[str, OutputSeries]:
    """``series`` for a contract of the register in force, on the outputs the ledger counts."""
    register = store.current_register(ledger)
    if register is None or contract_id not in register.contracts:
        raise LedgerError(f"contract {contract_id!r} is not in the register in force")
    return series(register.contracts[contract_id], store.actuals(ledger, contract_id, str(up_to), refdata), up_to)


# --- the story from the ledger --------------------------------------------------------------------


@dataclass
class ContractStory:
    """Everything the contract report shows, read from the ledger once."""

    contract: ContractFacts
    up_to: Quarter
    today: date
    settings: dict
    quarters: list[Quarter]
    series: dict[str, OutputSeries]
    titles: dict[str, str]
    counted: dict[str, dict]  # quarter -> the counted version
    spend: dict[str, list[tuple]] = field(default_factory=dict)  # quarter -> [(category, item, actual)]
    credit_lines: list[tuple] = field(default_factory=list)  # (credits.CreditLine, status)
    plans: list[dict] = field(default_factory=list)
    versions: list[dict] = field(default_factory=list)  # each with "families": {letter: n}
    clients: list = field(default_factory=list)
    value: ValueRow = field(init=False)  # set by story() once the figures are read
    provenance: Provenance = field(init=False)

    @property
    def period(self) -> str:
        return f"{self.quarters[0]} to {self.quarters[-1]}" if len(self.quarters) > 1 else str(self.quarters[0])

    @property
    def title(self) -> str:
        c = self.contract
        return f"Southwark Works contract report: {c.contract_id}, {c.provider} (lot {c.lot})"


def _latest_quarter(ledger: Ledger, contract_id: str) -> Quarter:
    rows = store.returns(ledger, contract_id)
    quarters = []
    for r in rows:
        try:
            quarters.append(Quarter.parse(r["quarter"]))
        except ValueError:
            continue
    if not quarters:
        raise LedgerError(f"the ledger holds no return of {contract_id} yet: import one first (swtool import)")
    return max(quarters)


def story(
    ledger: Ledger, contract_id: str, refdata, settings, today: date, up_to: Quarter | None = None
) -> ContractStory:
    """Read the contract's story from the ledger, from its first quarter to ``up_to`` (default: the
    latest quarter of its returns in the ledger)."""
    from swtool.calc.credits import assess
    from swtool.calc.targets import contract_quarter
    from swtool.ledger.views import credit_status

    register = store.current_register(ledger)
    if register is None:
        raise LedgerError("the ledger has no contract register yet: run `swtool register import REGISTER.xlsx` first")
    if contract_id not in register.contracts:
        known = ", ".join(register.contracts) or "none"
        raise LedgerError(f"contract {contract_id!r} is not in the register in force (contracts: {known})")
    contract = register.contracts[contract_id]
    up_to = up_to or _latest_quarter(ledger, contract_id)
    quarters = quarters_of(contract, up_to)
    if not quarters:
        raise LedgerError(f"{up_to} is before {contract_id} started ({uk_date(contract.start)})")
    first, last = str(quarters[0]), str(quarters[-1])
    counted_all = store.counted_returns(ledger, refdata, contract_id)
    counted = {q: r for q, r in counted_all.items() if first <= q <= last}
    acts = store.actuals(ledger, contract_id, last, refdata)
    titles = {o: row["title"] for o, row in refdata.outputs_by_lot.get(str(contract.lot), {}).items()}
    titles.setdefault("2", COMBINED_TITLE)
    s = ContractStory(contract, up_to, today, dict(settings), quarters, series(contract, acts, up_to), titles, counted)
    for quarter, r in sorted(counted.items()):
        s.spend[quarter] = [
            (cat, item, Decimal(actual) if actual is not None else None)
            for cat, item, actual in ledger.conn.execute(
                "SELECT category, item, actual FROM expenditure WHERE return_id = ? ORDER BY row", (r["id"],)
            )
        ]
    for q in quarters:
        decided = store.credit_decisions(ledger, str(q))
        mine = {o: d for (cid, o), d in decided.items() if cid == contract_id}
        if (str(q) not in counted and not mine) or contract_quarter(contract, q) < 1:
            continue
        for line in assess(contract, q, acts, settings):
            s.credit_lines.append((line, credit_status(line, mine.get(line.output))))
    s.plans = store.raps(ledger, today, include_closed=True, contract=contract_id)
    s.versions = [v for v in store.versions(ledger, refdata, contract_id) if v["quarter"] <= last]
    ids = [v["id"] for v in s.versions]
    families: dict[int, dict[str, int]] = {i: {} for i in ids}
    if ids:
        for rid, letter, n in ledger.conn.execute(
            f"SELECT return_id, substr(code, 1, 1), count(*) FROM current_findings WHERE return_id IN "
            f"({', '.join('?' * len(ids))}) AND severity IN ('error', 'warning') GROUP BY 1, 2",
            ids,
        ):
            families[rid][letter] = n
    for v in s.versions:
        v["families"] = families[v["id"]]
    s.clients = reportdata.client_outcomes(ledger, contract, refdata, first, last, counted_all)
    k706 = reportdata.over_maximum(register, refdata, settings)
    s.value = reportdata.value_row(ledger, contract, refdata, first, last, acts, k706, counted_all)
    s.provenance = reportdata.provenance(ledger, refdata, settings, today)
    return s


# --- its tables -----------------------------------------------------------------------------------


def outputs_table(s: ContractStory):
    from swtool.calc.money import percent
    from swtool.calc.targets import contract_quarter
    from swtool.model.outputs import core_outputs
    from swtool.write.reportbook import Column, ReportTable

    core = core_outputs(s.contract.lot)
    rows = []
    for output, x in s.series.items():
        meaning = s.titles.get(output) or f"output {output}"
        for i, q in enumerate(x.quarters):
            rows.append(
                [
                    output,
                    meaning + (" (core)" if output in core else ""),
                    q,
                    contract_quarter(s.contract, q),
                    x.actual[i],
                    x.target[i],
                    percent(x.actual[i], x.target[i]),
                    x.actual_to_date[i],
                    x.target_to_date[i],
                    percent(x.actual_to_date[i], x.target_to_date[i]),
                ]
            )
    return ReportTable(
        "outputs",
        f"Outputs against profile, per quarter and to date, {s.period}",
        [
            Column("output", "Output", width=8),
            Column("counts", "What is counted", width=44),
            Column("quarter", "Quarter", width=12),
            Column("contract_quarter", "Contract quarter", "count", 10),
            Column("actual", "Actual", "count", 9),
            Column("target", "Target", "number", 9),
            Column("percent", "% of target", "percent", 11),
            Column("actual_to_date", "Actual to date", "count", 11),
            Column("target_to_date", "Target to date", "number", 11),
            Column("percent_to_date", "% to date", "percent", 11),
        ],
        rows,
        [
            'Actual: what the counted version of the quarter\'s return counts (RULES.md, "Calculations"); blank: no '
            "return counted for the quarter, which counts 0 to date. Target: the register's profile, else the annual "
            "target ÷ 4."
        ],
    )


def spend_tables(s: ContractStory):
    from swtool.calc import money
    from swtool.calc.variances import SpendLine, expenditure_variance
    from swtool.write.reportbook import Column, ReportTable

    rows = []
    for q in s.quarters:
        lines = s.contract.budget_for(q.financial_year, q.label)
        budget = money.total(b.amount for b in lines) if lines else None
        spent = s.spend.get(str(q))
        actual = None if spent is None else money.total(a for _, _, a in spent if a is not None)
        variance = pct = words = None
        if actual is not None and budget is not None:
            v = money.variance(actual, budget, money.SPEND_LIMIT)
            variance, pct = actual - budget, v.percent
            words = "more than 10%" if v.exceeds else "within 10%"
        elif actual is None:
            words = "no return counted"
        rows.append([str(q), budget, actual, variance, pct, words])
    by_quarter = ReportTable(
        "spend_by_quarter",
        f"Cash spent against budget per quarter, {s.period}",
        [
            Column("quarter", "Quarter", width=12),
            Column("budget", "Budget (register)", "money", 14),
            Column("actual", "Actual spend", "money", 14),
            Column("variance", "Variance", "money", 13),
            Column("variance_percent", "Variance %", "percent", 11),
            Column("over", "Against 10%", width=18),
        ],
        rows,
        [
            "Budget: the register's budget lines for the quarter. Actual spend: the counted return's Expenditure sheet. "
            "Variance = actual − budget; more than 10% either way needs an explanation (App 2 §1.3)."
        ],
    )
    budget_of: dict[str, Decimal] = {}
    actual_of: dict[str, Decimal] = {}
    category_of: dict[str, str] = {}
    for q in s.quarters:
        if str(q) not in s.spend:
            continue
        for b in s.contract.budget_for(q.financial_year, q.label):
            if b.item is None or b.amount is None:  # blank only on a damaged Contract sheet, never in the register
                continue
            category_of.setdefault(b.item, b.category or "")
            budget_of[b.item] = budget_of.get(b.item, Decimal(0)) + b.amount
        for cat, item, a in s.spend[str(q)]:
            item = item or "(no budget item)"
            category_of.setdefault(item, cat or "")
            actual_of[item] = actual_of.get(item, Decimal(0)) + (a or Decimal(0))
    items = sorted(set(budget_of) | set(actual_of), key=lambda i: (category_of.get(i) or "", i))
    result = expenditure_variance(
        [SpendLine(i, budget_of.get(i, Decimal(0)), actual_of.get(i, Decimal(0)), category_of.get(i)) for i in items]
    )
    heading_rows = [
        [v.category, v.item, v.budgeted, v.actual, v.variance, v.percent, "more than 10%" if v.over else "within 10%"]
        for v in result.lines
    ]
    t = result.total
    heading_rows.append(
        ["", "Total", t.budgeted, t.actual, t.variance, t.percent, "more than 10%" if t.over else "within 10%"]
    )
    counted = ", ".join(sorted(s.spend)) or "none"
    by_heading = ReportTable(
        "spend_by_heading",
        "Cash spent against budget per heading, in the quarters with a return counted",
        [
            Column("category", "Category", width=20),
            Column("item", "Budget item", width=36),
            Column("budget", "Budget", "money", 14),
            Column("actual", "Actual spend", "money", 14),
            Column("variance", "Variance", "money", 13),
            Column("variance_percent", "Variance %", "percent", 11),
            Column("over", "Against 10%", width=16),
        ],
        heading_rows,
        [f"Quarters: {counted}."],
    )
    return by_quarter, by_heading


def credit_tables(s: ContractStory):
    from swtool.calc import money
    from swtool.write.reportbook import Column, ReportTable

    rows = [
        [
            str(ln.quarter),
            ln.contract_quarter,
            ln.output,
            ln.target,
            ln.actual,
            ln.percent,
            ln.credits,
            ln.amount,
            status,
        ]
        for ln, status in s.credit_lines
    ]
    lines = ReportTable(
        "service_credits",
        f"Service credits per core output and quarter, {s.period}",
        [
            Column("quarter", "Quarter", width=12),
            Column("contract_quarter", "Contract quarter", "count", 10),
            Column("output", "Core output", width=8),
            Column("target", "Target", "number", 9),
            Column("actual", "Actual", "count", 9),
            Column("percent", "% of target", "percent", 11),
            Column("credits", "Credits", "number", 9),
            Column("amount", "Amount", "money", 13),
            Column("status", "Status", width=12),
        ],
        rows,
        [
            f"K702 (§7.7–7.8): from contract quarter 2, a core output at or below 70% of its quarterly target; setting "
            f"credit_quarters = {s.settings.get('credit_quarters', 1)}. Status: the PMO's decision (applied, waived), "
            "pending (due, not decided) or not due."
        ],
    )
    per_q: dict[str, dict[str, list]] = {}
    for ln, status in s.credit_lines:
        slot = per_q.setdefault(str(ln.quarter), {"due": [], "applied": [], "waived": [], "pending": []})
        if ln.due:
            slot["due"].append(ln.amount)
        if status in ("applied", "waived", "pending"):
            slot[status].append(ln.amount)
    summary = [
        [q, *(money.total(v[k]) for k in ("due", "applied", "waived", "pending"))] for q, v in sorted(per_q.items())
    ]
    if summary:
        summary.append(["Total", *(money.total(r[i] for r in summary) for i in range(1, 5))])
    totals = ReportTable(
        "credits_by_quarter",
        "Service credits due, applied, waived and pending per quarter",
        [
            Column("quarter", "Quarter", width=12),
            Column("due", "Due", "money", 13),
            Column("applied", "Applied", "money", 13),
            Column("waived", "Waived", "money", 13),
            Column("pending", "Pending", "money", 13),
        ],
        summary,
    )
    return lines, totals


def plans_table(s: ContractStory):
    from swtool.write.reportbook import Column, ReportTable

    rows = [
        [
            p["id"],
            p["quarter"],
            p.get("opened") or p["created_at"][:10],
            p["review_date"],
            p["status"],
            "yes" if p["overdue"] else "no",
            p["last_action"],
            p["last_reason"],
        ]
        for p in s.plans
    ]
    return ReportTable(
        "plans",
        "Remedial action plans",
        [
            Column("plan", "Plan", "count", 6),
            Column("quarter", "Quarter", width=12),
            Column("opened", "Opened", width=11),
            Column("review_date", "Review date", width=11),
            Column("status", "Status", width=9),
            Column("overdue", f"Overdue on {uk_date(s.today)}", width=12),
            Column("last_decision", "Last decision", width=12),
            Column("reason", "Its reason", width=60),
        ],
        rows,
        [] if rows else ["No remedial action plan has been opened for this contract."],
    )


def findings_table(s: ContractStory):
    from swtool.catalogue import FAMILIES
    from swtool.write.reportbook import Column, ReportTable

    rows = []
    for v in s.versions:
        state = (
            "void"
            if v["voided"]
            else "counted"
            if v["counted"]
            else "not counted (after the final deadline)"
            if v["timeliness"] == "after final deadline"
            else "superseded"
        )
        fam = v["families"]
        rows.append(
            [
                f"{v['quarter']} v{v['version']}",
                v["quarter"],
                v["version"],
                v["id"],
                state,
                v["errors"],
                v["warnings"],
                *(fam.get(letter, 0) for letter in FAMILY_CODES),
            ]
        )
    return ReportTable(
        "findings",
        "Findings by rule family across the versions of each return",
        [
            Column("version_label", "Return version", width=16),
            Column("quarter", "Quarter", width=12),
            Column("version", "Version", "count", 8),
            Column("return_id", "Return", "count", 8),
            Column("state", "State", width=16),
            Column("errors", "Errors", "count", 8),
            Column("warnings", "Warnings", "count", 9),
            *[Column(f"family_{letter}", f"{letter}: {FAMILIES[letter]}", "count", 12) for letter in FAMILY_CODES],
        ],
        rows,
        [
            "Errors and warnings of each version's current check (infos left out), by the family of their rule "
            "(swtool rules lists them)."
        ],
    )


def tables(s: ContractStory) -> list:
    """Every table of the contract report: what the sheets show and ``--format json`` gives."""
    from swtool.write.outcomes import characteristics_table, equality_table, referral_table, scopes, value_table

    level = scopes({s.contract.contract_id: str(s.contract.lot)}, network=False)
    return [
        outputs_table(s),
        *spend_tables(s),
        *credit_tables(s),
        plans_table(s),
        findings_table(s),
        equality_table(s.clients, level, s.period),
        characteristics_table(),
        referral_table(s.clients, level, s.period),
        value_table([s.value], s.period, network=False),
    ]


def to_json(s: ContractStory) -> str:
    """``{report: "contract", title, period: {first, last}, contract: {...}, produced_from, tables}``."""
    from swtool.calc import money
    from swtool.write.reportbook import to_json as document

    c = s.contract
    facts = {
        "contract": c.contract_id,
        "provider": c.provider,
        "lot": str(c.lot),
        "start": c.start.isoformat(),
        "end": c.end.isoformat(),
        "annual_value": money.pounds_text(c.annual_value),
    }
    return document(
        "contract",
        s.title,
        {"first": str(s.quarters[0]), "last": str(s.quarters[-1])},
        s.provenance,
        tables(s),
        {"contract": facts},
    )


# --- the workbook ---------------------------------------------------------------------------------


@dataclass
class ChartSpec:
    """One chart: its kind, title, and series as (title, sheet, column, first row, last row)."""

    kind: str  # bar | line | stacked
    title: str
    y_title: str
    categories: tuple  # (sheet, column, first row, last row)
    series: list[tuple] = field(default_factory=list)


def _write_about(ws, s: ContractStory, st) -> None:
    from swtool.calc import money
    from swtool.write.xlsx import put

    c = s.contract
    ws.column_dimensions["A"].width = 110
    lines = [
        (s.title, st["title"]),
        (f"Term: {uk_date(c.start)} to {uk_date(c.end)}; annual value {money.gbp(c.annual_value)}", None),
        (f"Quarters covered: {s.period} (from the quarter the contract started)", None),
        (f"Produced: {uk_date(s.today)}", None),
        ("", None),
        ("Sheets", st["bold"]),
        (
            "Outputs: each output's actual against its profile per quarter and to date (only what counts is "
            "counted: the counted version of each return, claims with no standing error).",
            None,
        ),
        ("Spend: cash spent against the register's budget per quarter and per budget heading.", None),
        (
            "Service credits: each core output's credits per quarter with the PMO's decision; due, applied, waived "
            "and pending per quarter.",
            None,
        ),
        ("Plans: remedial action plans and their state.", None),
        ("Findings: each version of each return, its errors and warnings by rule family.", None),
        (
            "Equality of outcome, Referrals, Value for money: this contract's own figures (the network report "
            "holds every contract's, each lot's and the network's).",
            None,
        ),
        ("Charts: the figures of those sheets as charts.", None),
        ("Produced from: the ledger, settings and reference data that produced this report.", None),
        ("", None),
        ("Small numbers", st["bold"]),
        (
            "<5: a number under 5, not shown so that no client can be identified. [c]: withheld so that a number "
            "under 5 cannot be worked out from a total.",
            None,
        ),
        ("No client references, postcodes or free text are included in this report.", None),
    ]
    for r, (text, font) in enumerate(lines, 1):
        put(ws.cell(r, 1), text)
        ws.cell(r, 1).alignment = st["wrap"]
        if font:
            ws.cell(r, 1).font = font


def _add_chart(ws, spec: ChartSpec, anchor: str) -> None:
    from openpyxl.chart import BarChart, LineChart, Reference, Series

    wb = ws.parent
    if spec.kind == "line":
        chart = LineChart()
    else:
        chart = BarChart()
        chart.type = "col"
        chart.grouping = "stacked" if spec.kind == "stacked" else "clustered"
        if spec.kind == "stacked":
            chart.overlap = 100
    chart.title = spec.title
    chart.y_axis.title = spec.y_title
    chart.height, chart.width = 7.5, 16
    for title, sheet, col, first, last in spec.series:
        ref = Reference(wb[sheet], min_col=col, max_col=col, min_row=first, max_row=last)
        chart.series.append(Series(ref, title=title))
    sheet, col, first, last = spec.categories
    chart.set_categories(Reference(wb[sheet], min_col=col, max_col=col, min_row=first, max_row=last))
    # openpyxl hides both axes unless told otherwise; Excel and LibreOffice then draw none
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    ws.add_chart(chart, anchor)


def chart_specs(s: ContractStory, placed: dict, tabs: dict) -> list[ChartSpec]:
    """The charts and the cells each series reads (``placed``: ``reportbook.Placed`` per table name)."""
    from swtool.model.outputs import core_outputs

    out = []
    o, t = placed["outputs"], tabs["outputs"]
    for output in core_outputs(s.contract.lot):
        rows = o.rows_of(t, output=output)
        if not rows:
            continue
        first, last = rows[0], rows[-1]
        name = s.titles.get(output, f"output {output}")
        cats = (o.sheet, o.columns["quarter"], first, last)
        out.append(
            ChartSpec(
                "bar",
                f"Output {output}: {name}, per quarter",
                "Number",
                cats,
                [
                    ("Actual", o.sheet, o.columns["actual"], first, last),
                    ("Target", o.sheet, o.columns["target"], first, last),
                ],
            )
        )
        out.append(
            ChartSpec(
                "line",
                f"Output {output}: {name}, to date",
                "Number",
                cats,
                [
                    ("Actual to date", o.sheet, o.columns["actual_to_date"], first, last),
                    ("Target to date", o.sheet, o.columns["target_to_date"], first, last),
                ],
            )
        )
    p, n = placed["spend_by_quarter"], len(tabs["spend_by_quarter"].rows)
    if n:
        out.append(
            ChartSpec(
                "bar",
                "Cash spent against budget per quarter",
                "£",
                (p.sheet, p.columns["quarter"], p.first, p.last),
                [
                    ("Budget", p.sheet, p.columns["budget"], p.first, p.last),
                    ("Actual spend", p.sheet, p.columns["actual"], p.first, p.last),
                ],
            )
        )
    p, rows = placed["credits_by_quarter"], tabs["credits_by_quarter"].rows
    if rows:
        last = p.last - 1  # not the Total row
        out.append(
            ChartSpec(
                "bar",
                "Service credits per quarter",
                "£",
                (p.sheet, p.columns["quarter"], p.first, last),
                [
                    (label, p.sheet, p.columns[key], p.first, last)
                    for key, label in (("due", "Due"), ("applied", "Applied"), ("waived", "Waived"))
                ],
            )
        )
    p, rows = placed["findings"], tabs["findings"].rows
    if rows:
        from swtool.catalogue import FAMILIES

        out.append(
            ChartSpec(
                "stacked",
                "Errors and warnings by rule family, each version",
                "Findings",
                (p.sheet, p.columns["version_label"], p.first, p.last),
                [
                    (FAMILIES[letter], p.sheet, p.columns[f"family_{letter}"], p.first, p.last)
                    for letter in FAMILY_CODES
                ],
            )
        )
    return out


def build(s: ContractStory):
    """The report as an openpyxl Workbook, with the charts' specs (for tests and the docs' picture)."""
    import openpyxl

    from swtool.write.reportbook import fit_pages, styles, write_provenance, write_table

    st = styles()
    tabs = {t.name: t for t in tables(s)}
    wb = openpyxl.Workbook()
    about = wb.active
    about.title = "About"
    _write_about(about, s, st)
    placed = {}

    def sheet(name, *names, gap: int = 2):
        ws = wb.create_sheet(name)
        r = 1
        for n in names:
            t = tabs[n]
            bold = {i for i, row in enumerate(t.rows) if "Total" in row[:2]}
            placed[n] = write_table(ws, t, r, st, bold)
            r = placed[n].last + 1 + gap
        ws.freeze_panes = ws.cell(placed[names[0]].header_row + 1, 1)
        return ws

    sheet("Outputs", "outputs")
    sheet("Spend", "spend_by_quarter", "spend_by_heading")
    sheet("Service credits", "service_credits", "credits_by_quarter")
    ws = sheet("Plans", "plans")
    for row in ws.iter_rows(min_row=placed["plans"].first, max_row=placed["plans"].last, min_col=8, max_col=8):
        row[0].alignment = st["wrap"]
    sheet("Findings", "findings")
    sheet("Equality of outcome", "equality_of_outcome", "protected_characteristics")
    sheet("Referrals", "referrals")
    sheet("Value for money", "value_for_money")
    charts = wb.create_sheet("Charts")
    from swtool.write.xlsx import put

    put(charts.cell(1, 1), f"{s.contract.contract_id}: charts of the figures on the other sheets, {s.period}")
    charts.cell(1, 1).font = st["title"]
    specs = chart_specs(s, placed, tabs)
    for i, spec in enumerate(specs):
        _add_chart(charts, spec, f"{'A' if i % 2 == 0 else 'K'}{3 + (i // 2) * 16}")
    if not specs:
        put(charts.cell(3, 1), "Nothing to chart yet.")
    write_provenance(wb.create_sheet("Produced from"), s.provenance, st)
    fit_pages(wb)
    wb.active = 0
    return wb, specs


def write(ledger: Ledger, contract_id: str, output, refdata, settings, today: date, up_to: Quarter | None = None):
    """Write the contract report to ``output`` (.xlsx), atomically; returns the path written."""
    from pathlib import Path

    from swtool.write.xlsx import save

    wb, _ = build(story(ledger, contract_id, refdata, settings, today, up_to))
    return save(wb, Path(output))


__all__ = ["ContractStory", "OutputSeries", "build", "contract_series", "series", "story", "tables", "to_json", "write"]
