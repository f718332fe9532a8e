"""The PMO's screens: the quarter, one contract's return, service credits, remedial action plans.

Every figure comes from ``swtool.ledger.views`` and ``swtool.ledger.store`` (the calls behind
``swtool status``, ``credits``, ``performance``, ``returns``, ``decide`` and ``rap``), so the
screen and the CLI never disagree. Every value from the ledger is put on screen with ``shown``.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Input, Static, Tab, TabbedContent, TabPane, Tabs

from swtool.calc import money
from swtool.errors import SwtoolError
from swtool.ledger import rapplan, store, views
from swtool.model.quarter import Quarter, uk_date
from swtool.report.safe import safe_text
from swtool.tui.base import LOADING_AFTER, FilterBar, LedgerScreen, ReviewFooter, count, selected_key
from swtool.tui.help import FLAG_WORDS
from swtool.tui.importing import ImportModal
from swtool.tui.modals import PlanModal, PlanRequest, ReasonModal
from swtool.tui.shown import joined, severity, shown, uk_day, uk_stamp
from swtool.tui.table import ReviewTable, Row

CREDIT_STYLE = {"pending": "bold yellow", "applied": "bold red", "waived": "green", "not due": "dim"}
TABS = ("findings", "outputs", "expenditure", "versions", "decisions")  # the contract screen's, keys 1-5


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(sr) -> Text:
    """An output's actual as a share of its target, a character a quarter from the contract's first
    (full block: on target or over; · no return; ? no target); red at or below 70% (§7.7)."""
    out = Text(end="")
    if sr is None:
        return out
    for a, t in zip(sr.actual, sr.target, strict=True):
        if a is None:
            out.append("·", style="dim")
        elif not t:
            out.append("?", style="dim")
        else:
            share = min(money.exact(a) / money.exact(t), money.exact(1))
            level = int(share * (len(SPARKS) - 1))  # not money: a bar's height
            out.append(SPARKS[level], style="red" if money.at_or_below(a, t) else "green")
    return out


def _comment_cell(ln) -> Text:
    """An Expenditure line's Comment in the table: a short cut of it (the detail pane has it whole), or
    why there is none."""
    if ln.comment:
        return shown(ln.comment, 32)
    if ln.unexplained:
        return shown("missing (X402)", style="bold red")
    if ln.cleared:
        return shown("cleared (retention)", style="dim")
    return Text("")


def _finding_key(f: dict) -> tuple[str, str]:
    return f["code"], f["cell"]  # what a decision on a finding names


def _table(id_: str, *columns: str) -> ReviewTable:
    return ReviewTable(*columns, id=id_)


_count = count
_selected_key = selected_key


# --- the quarter --------------------------------------------------------------------------------


def _late_or_missing(row, flags) -> bool:
    return row.received == "missing" or row.timeliness in ("late", "after final deadline")


# the quarter screen's quick filters (number keys, as tabs are chosen elsewhere): key, label, test(row, flags)
QUICK_FILTERS = (
    ("all", "All", lambda row, flags: True),
    ("late", "Late or missing", _late_or_missing),
    ("k702", "K702", lambda row, flags: "K702" in flags),
    ("pending", "Pending credits", lambda row, flags: "pending" in row.statuses),
    ("errors", "Errors", lambda row, flags: bool(row.errors)),
)
QUICK_KEYS = {key: str(n) for n, (key, _, _) in enumerate(QUICK_FILTERS, 1)}


class QuarterScreen(LedgerScreen):
    """Every contract's return for the quarter, as ``swtool status`` shows it: the columns that decide
    first (return, errors, core outputs, credits due, RAP), the highlighted contract in full below."""

    CAN_GO_BACK = False
    HELP_TOPIC = "quarter"
    AUTO_FOCUS = "#contracts"  # not the quick filters first (Textual's "*"): a focus moved at once costs a restyle
    BINDINGS = [
        Binding("left_square_bracket", "quarter(-1)", "Quarter", key_display="[ ]"),
        Binding("right_square_bracket", "quarter(1)", "Next quarter", show=False),
        Binding("c", "credits", "Credits"),
        Binding("f", "payments", "Payments"),
        Binding("p", "plans", "Plans"),
        Binding("i", "import", "Import"),
        Binding("x", "export", "Export"),
        Binding("ctrl+f", "app.find_client", "Find client", show=False),
        *(Binding(str(n), f"quick({n - 1})", show=False) for n in range(1, len(QUICK_FILTERS) + 1)),
    ]

    def __init__(self):
        super().__init__()
        self.rows: dict[str, views.ContractStatus] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="heading")
        yield Tabs(
            *(Tab(f"{n} {label}", id=f"quick-{key}") for n, (key, label, _) in enumerate(QUICK_FILTERS, 1)), id="quick"
        )
        yield _table(
            "contracts",
            "contract",
            "return",
            "errors",
            "core outputs",
            "credits due",
            "RAP",
            "flags",
            "warnings",
            "lot",
            "provider",
            "core outputs (actual/target)",
        )
        yield FilterBar()
        yield Static(id="contract-detail", classes="detail")
        yield Static(id="summary", classes="detail")
        yield ReviewFooter(compact=True, show_command_palette=False)

    _shown_key: tuple | None = None  # (the ledger's data_version, the quarter) of the figures on screen
    _resume_seq = -1  # the read started on coming back to the screen

    def on_screen_resume(self) -> None:
        """Back from another screen: read again only if the ledger changed meanwhile (SQLite's
        ``data_version`` of the reading connection moves whenever another connection commits: this
        app's writes, the CLI, a colleague) or the quarter did."""
        if self._stale:
            self._resume_seq = self._seq + 1
        super().on_screen_resume()

    def fetch(self, ledger):
        s = self.session
        key = (ledger.conn.execute("PRAGMA data_version").fetchone()[0], str(s.quarter))
        if self._resume_seq == self._seq and key == self._shown_key:
            return None  # unchanged: the screen stays as it is
        return self._fetch(ledger, key)

    def _fetch(self, ledger, key: tuple):
        s = self.session
        report = views.status(ledger, s.quarter, s.today, s.refdata, s.settings)
        perf = {cp.contract.contract_id: cp for cp in views.performance(ledger, s.quarter, s.settings).contracts}
        return report, perf, store.received(ledger), key

    def show(self, data) -> None:
        from swtool.calc.money import gbp

        if data is None:
            return
        report, perf, refused, self._shown_key = data
        if self.app.across is None:  # C219/C220 for the contract screens, once these figures are drawn
            self.call_after_refresh(self.app.warm_across)
        s = self.session
        self.app.sub_title = f"{s.quarter} · {uk_date(s.today)}"
        d = report.deadline
        head = (
            f"Returns for {s.quarter} (reporting deadline {uk_date(d.reporting)}, final {uk_date(d.final)})"
            if d
            else f"Returns for {s.quarter} (not in the deadline calendar)"
        )
        self.query_one("#heading", Static).update(Text(head, style="bold"))
        self.rows = {row.contract.contract_id: row for row in report.rows}
        self.flags = {cid: sorted({code for code, _ in cp.flags}) for cid, cp in perf.items()}
        self.query_one("#contracts", ReviewTable).set_rows([self._row(row) for row in report.rows])
        for key, label, test in QUICK_FILTERS:
            n = sum(1 for row in report.rows if test(row, self.flags.get(row.contract.contract_id, [])))
            self.query_one(f"#quick-{key}", Tab).label = f"{QUICK_KEYS[key]} {label}" + (
                "" if key == "all" else f" ({n})"
            )
        counts: dict[str, int] = {}
        for row in report.rows:
            key = row.received if not row.received.startswith("version") else (row.timeliness or "received")
            counts[key] = counts.get(key, 0) + 1
        due = sum((row.credits_due for row in report.rows), start=0)
        summary = [
            Text(
                f"{_count(len(report.rows), 'contract')}: "
                + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
                + f". Service credits due and not waived: {gbp(due)}."
            )
        ]
        for row in report.rows:
            for note in row.not_counted:
                summary.append(joined((row.contract.contract_id, "bold"), " ", (note, "yellow"), "."))
        for r in report.others:
            summary.append(
                joined(
                    "Return ",
                    (r["id"], ""),
                    " is for ",
                    (r["contract_id"], "bold"),
                    ", which is not in the contract register in force.",
                )
            )
        if refused:
            names = Text(", ").join(joined((r["source_name"], "bold"), f" ({r['outcome']})") for r in refused[-3:])
            summary.append(
                Text.assemble(
                    (f"{len(refused)} file{'s' * (len(refused) != 1)} received but not imported", "bold red"),
                    " (swtool returns lists why): ",
                    names,
                    " …" if len(refused) > 3 else "",
                )
            )
        self.query_one("#summary", Static).update(Text("\n").join(summary))
        self._detail()
        if not isinstance(self.app.focused, Input):
            self.query_one("#contracts").focus()

    def _row(self, row) -> Row:
        from swtool.calc.money import gbp, num, pct

        c = row.contract
        # the version that counts and its own timeliness; newer versions that do not count are in the summary
        received = (
            row.received
            + (f", {row.timeliness}" if row.timeliness else "")
            + (f" (+{len(row.not_counted)} not counted)" if row.not_counted else "")
        )
        style = {"missing": "bold red", "not in term": "dim"}.get(row.received, "")
        if row.timeliness in ("late", "after final deadline"):
            style = "yellow"
        core = Text(end="")
        for i, ln in enumerate(row.lines):
            core.append("  " if i else "")
            core.append(f"{ln.output}: ")
            core.append(pct(ln.percent), style="bold red" if ln.underperforming else "")
        outputs = (
            "  ".join(f"{ln.output}: {'-' if ln.actual is None else ln.actual}/{num(ln.target)}" for ln in row.lines)
            or "-"
        )
        flags = " ".join(self.flags.get(c.contract_id, []))
        due = gbp(row.credits_due) if row.lines else "-"
        cells = [
            shown(c.contract_id, style="bold"),
            shown(received, style=style),
            shown(row.errors, style="bold red" if row.errors else ""),
            core if row.lines else shown(None),
            shown(due, style="bold" if row.credits_due else "dim"),
            shown(row.rap, style="bold red" if "overdue" in row.rap or row.rap == "needed" else ""),
            shown(flags, style="yellow"),
            shown(row.warnings),
            shown(c.lot),
            shown(c.provider, 36),
            shown(outputs),
        ]
        return Row(c.contract_id, cells, row)

    @on(DataTable.RowHighlighted, "#contracts")
    def highlighted(self) -> None:
        self._detail()

    def _detail(self) -> None:
        """The highlighted contract in full: what the columns say in words, wrapped to the width."""
        from swtool.calc.money import gbp, num, pct

        row = self.query_one("#contracts", ReviewTable).row_data()
        pane = self.query_one("#contract-detail", Static)
        if row is None:
            pane.update(Text("No contract shown: / clears the filter, 1 shows all.", style="dim"))
            return
        c = row.contract
        lines = [
            joined(
                (c.contract_id, "bold"),
                " · ",
                (c.provider, ""),
                " · lot ",
                (c.lot, ""),
                f" · contract quarter {row.contract_quarter}" if row.contract_quarter else "",
            )
        ]
        if row.return_id is not None:
            submitted = uk_date(row.submitted) if row.submitted else "no date"
            lines.append(
                joined(
                    f"Return {row.return_id}: {row.received}, submitted {submitted}, ",
                    (row.timeliness, "yellow" if row.timeliness != "on time" else ""),
                    f"; {_count(row.errors or 0, 'error')}, {_count(row.warnings or 0, 'warning')}; payment: ",
                    (row.approval or "not reviewed", ""),
                )
            )
        else:
            lines.append(joined("Return: ", (row.received, "bold red" if row.received == "missing" else "")))
        if row.lines:
            lines.append(
                Text(
                    "Core outputs: "
                    + "; ".join(
                        f"{ln.output}: {'-' if ln.actual is None else ln.actual} of {num(ln.target)} ({pct(ln.percent)})"
                        + (" at or below 70%" if ln.underperforming else "")
                        for ln in row.lines
                    )
                )
            )
            split = {
                st: sum(
                    (ln.amount for ln, x in zip(row.lines, row.statuses, strict=True) if ln.due and x == st), start=0
                )
                for st in ("applied", "pending", "waived")
            }
            lines.append(
                Text(
                    f"Service credits: {gbp(row.credits_due)} due and not waived (applied "
                    f"{gbp(split['applied'])}, pending {gbp(split['pending'])}); waived "
                    f"{gbp(split['waived'])}."
                )
            )
        flags = self.flags.get(c.contract_id, [])
        if flags:
            lines.append(
                Text(
                    "Flags: "
                    + "; ".join(f"{code} {FLAG_WORDS.get(code, '')}".strip() for code in flags)
                    + ". ? explains them."
                )
            )
        lines.append(
            Text(
                f"RAP: {row.rap}"
                + (
                    " (a core output at or below 70% from contract quarter 2: n on the contract screen writes the plan)"
                    if row.rap == "needed"
                    else ""
                )
            )
        )
        pane.update(Text("\n").join(lines))

    @on(Tabs.TabActivated, "#quick")
    def quick_filter(self, event: Tabs.TabActivated) -> None:
        key = (event.tab.id or "").removeprefix("quick-")
        _, label, test = next(q for q in QUICK_FILTERS if q[0] == key)
        table = self.query_one("#contracts", ReviewTable)
        if key == "all":
            table.set_quick("", None)
        else:
            table.set_quick(label.lower(), lambda r: test(r.data, self.flags.get(r.key, [])))
        table.focus()

    def action_quick(self, index: int) -> None:
        self.query_one("#quick", Tabs).active = f"quick-{QUICK_FILTERS[index][0]}"

    def action_quarter(self, step: int) -> None:
        s = self.session
        s.quarter = s.quarter.next() if step > 0 else s.quarter.previous()
        self.action_refresh()

    def go_to_quarter(self, quarter: Quarter) -> None:
        self.session.quarter = quarter
        self.action_refresh()

    @on(DataTable.RowSelected, "#contracts")
    def open_contract(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:  # each row is keyed by its contract
            self.app.show_contract(event.row_key.value, self.session.quarter)

    def action_credits(self) -> None:
        self.app.push_screen(CreditsScreen())

    def action_payments(self) -> None:
        from swtool.tui.payments import PaymentsScreen  # it builds on this module's screens

        self.app.push_screen(PaymentsScreen())

    def action_plans(self) -> None:
        self.app.push_screen(PlansScreen())

    def action_export(self) -> None:
        from swtool.tui.exports import schedule_choices, start_export

        start_export(self, schedule_choices(self.session), f"What, for {self.session.quarter}:")

    def action_import(self) -> None:
        s = self.session

        def closed(imported: bool | None) -> None:
            if imported:
                self.action_refresh()

        self.app.push_screen(ImportModal(s.ledger.path, s.refdata, s.settings, s.today, s.import_start), closed)


# --- one contract's quarter ------------------------------------------------------------------------

APPROVAL_STYLE = {"approved": "green", "held": "bold red", "not reviewed": "bold yellow"}


def counts_words(v: dict) -> str:
    """Whether a version's figures count (``store.versions``): counts | counts by exception | void |
    not counted: after final deadline | superseded (a newer version counts)."""
    if v["voided"]:
        return "void"
    if v["counted"]:
        return "counts by exception" if v["late_exception"] else "counts"
    return "not counted: after final deadline" if v["timeliness"] == "after final deadline" else "superseded"


def counts_style(words: str) -> str:
    return "green" if words.startswith("counts") else "dim" if words == "superseded" else "bold yellow"


def across(app, ledger) -> list:
    """C219 and C220 of every counted return (``crosscheck.cross_findings``), kept by the app until the
    ledger's ``data_version`` moves; worked out once after start-up in the background (``ReviewApp``)."""
    from swtool.ledger.crosscheck import cross_findings

    s = app.session
    version = ledger.conn.execute("PRAGMA data_version").fetchone()[0]
    kept = app.across
    if kept is None or kept[0] != version:
        kept = app.across = (version, cross_findings(ledger, s.refdata, s.today))
    return kept[1]


class ContractScreen(LedgerScreen):
    """One contract in one quarter: the return's findings to decide, its outputs against profile, its
    spend against budget, its versions, and the decisions taken. Decision keys act on the row
    highlighted in the tab in view, and only there."""

    HELP_TOPIC = "contract"
    HOLD_FRAMES = True
    AUTO_FOCUS = "#findings"  # not the tabs first (Textual's "*"): a focus moved at once costs a restyle
    BINDINGS = [
        # Findings tab
        Binding("a", "decide('accept')", "Accept"),
        Binding("y", "decide('query')", "Query"),
        Binding("w", "decide('waive')", "Waive"),
        Binding("space", "mark", "Mark", key_display="space", show=False),  # several findings, one reason
        # Versions tab: the highlighted version, for payment
        Binding("a", "payment('approve')", "Approve payment"),
        Binding("h", "payment('hold')", "Hold payment"),
        # any other tab: say where the key acts instead of acting on a row out of sight
        Binding("a,y,w,h", "no_decision", show=False),
        # in the footer in this order, as many as fit the width (? lists them all)
        Binding("v", "values", "Values"),
        Binding("n", "new_plan", "New plan"),
        Binding("x", "export", "Export"),
        Binding("s", "spot_checks", "Spot checks"),
        Binding("m", "visits", "Visits"),
        *(Binding(str(n), f"tab({n})", show=False) for n in range(1, len(TABS) + 1)),
    ]

    def __init__(self, contract_id: str, quarter: Quarter, return_id: int | None = None):
        super().__init__()
        self._built = {"findings"}  # tabs whose table and pane are mounted (the others, when first shown)
        self._reset(contract_id, quarter, return_id)

    def _reset(self, contract_id: str, quarter: Quarter, return_id: int | None) -> None:
        self.contract_id = contract_id
        self.quarter = quarter
        self.return_id = return_id
        self.include_personal = False
        self.counted: dict | None = None  # the version whose figures count (store.versions)
        self.versions: list[dict] = []
        self.found: list[dict] = []  # the findings shown
        self.marked: set[tuple[str, str]] = set()  # (code, cell) of the findings marked with space
        self.series: dict = {}  # output -> contract_report.OutputSeries, quarter by quarter
        self.flag_lines: list[Text] = []
        self.spend_total = Text("")  # the Expenditure tab's totals, under the highlighted line
        self._data: dict | None = None  # the latest read, kept to fill a tab when it is shown
        self._unfilled: set[str] = set()  # tabs not showing the latest read (filled when next shown)
        self._versions_placed = False  # the Versions cursor was put on the version that counts

    def reopen(self, contract_id: str, quarter: Quarter, return_id: int | None = None) -> None:
        """Show another contract's quarter on this screen, kept by the app while out of sight (building
        a screen costs more than reading its data): everything of the previous one is cleared before the
        screen is shown again (rows, details, filter, sort, marks, the tab), so that it never shows a
        frame of it. The read starts here, while the screen is pushed and restyled; its result is shown
        after the screen is resumed (its message comes after the resume's)."""
        self._reset(contract_id, quarter, return_id)
        self.loaded = False
        self.hold_frames()
        with self.app.batch_update():
            for table in self.query(ReviewTable):
                table.filter_text, table.quick, table.quick_name = "", None, ""
                table.sort_column, table.sort_reverse = None, False
                table.set_rows([], keep=False)
                table.scroll_to(0, 0, animate=False, immediate=True)
            for pane in self.query(".detail").results(Static):
                pane.update("")
                pane.scroll_to(0, 0, animate=False, immediate=True)
            self.query_one("#heading", Static).update(Text(f"{contract_id} · {quarter}", style="bold"))
            bar = self.query_one(FilterBar)
            field = bar.mounted_field()
            if field is not None:
                with field.prevent(Input.Changed):
                    field.value = ""
            bar.display = False
            tabbed = self.query_one("#tabs", TabbedContent)
            if tabbed.active != "tab-findings":  # back to the first tab at once: no underline sliding over
                with tabbed.prevent(Tabs.Cleared):
                    tabbed.query_one(Tabs).active = ""
                tabbed.active = "tab-findings"
            self.set_focus(self.query_one("#findings", ReviewTable), scroll_visible=False)
        self.action_refresh()  # a read still in flight for the previous contract is dropped (_seq)
        self.set_timer(LOADING_AFTER, self._show_loading)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="heading")
        with TabbedContent(id="tabs"):
            with TabPane("1 Findings", id="tab-findings"):
                yield _table("findings", "code", "severity", "decision", "cell", "finding")
                yield Static(id="finding-detail", classes="detail")
                yield Static(id="cross-findings", classes="detail")
            # the other tabs' tables and panes are built when the tab is first shown (_tab_shown)
            for n, tab in enumerate(TABS[1:], 2):
                yield TabPane(f"{n} {tab.capitalize()}", id=f"tab-{tab}")
        yield FilterBar()
        yield ReviewFooter(compact=True, show_command_palette=False)

    @staticmethod
    def _tab_widgets(tab: str) -> list:
        """A tab's table and detail pane, as the tab shows them."""
        if tab == "outputs":
            return [
                _table("outputs", "output", "target", "actual", "variance", "flag", "to date", "by quarter", "title"),
                Static(id="flags", classes="detail"),
            ]
        if tab == "expenditure":
            return [
                _table(
                    "expenditure",
                    "row",
                    "budgeted",
                    "actual",
                    "variance",
                    "over 10%",
                    "Comment",
                    "category",
                    "budget item",
                ),
                Static(id="expenditure-detail", classes="detail"),
            ]
        if tab == "versions":
            return [
                _table(
                    "versions",
                    "return",
                    "version",
                    "counts",
                    "approval",
                    "submitted",
                    "timeliness",
                    "errors",
                    "warnings",
                    "imported",
                    "by",
                    "receipt",
                    "file",
                ),
                Static(id="version-detail", classes="detail"),
            ]
        return [
            _table("decisions", "decision", "when", "action", "what", "who", "reason"),
            Static(id="decision-detail", classes="detail"),
        ]

    def on_mount(self) -> None:  # before LedgerScreen's (Textual calls each class's handler, subclass first)
        # called as the tab changes: the tab is built and filled before anything of it is drawn
        self.watch(self.query_one("#tabs", TabbedContent), "active", self._tab_shown, init=False)

    def _tab_shown(self, active: str) -> None:
        """A tab comes into view (a number key, a click, Enter on a version): its table and pane are
        mounted the first time, and filled from the latest read if they do not show it yet. Building the
        four tabs out of sight with the screen cost a third of the time taken to open a contract."""
        tab = active.removeprefix("tab-")
        if tab not in self._built and tab in TABS:
            self._built.add(tab)
            self.query_one(f"#{active}", TabPane).mount_all(self._tab_widgets(tab))
        if tab in self._unfilled and self._data is not None:
            self._unfilled.discard(tab)
            self._fill(tab, self._data)

    def _fill(self, tab: str, data: dict) -> None:
        if tab == "outputs":
            self._outputs(data["performance"])
        elif tab == "expenditure":
            self._spend(data["spend"])
        elif tab == "versions":
            self._versions(self.versions)
        elif tab == "decisions":
            self._decisions(data["decisions"])

    # --- reading (a worker thread) -------------------------------------------------------------------

    def fetch(self, ledger) -> dict:
        from swtool.ledger.contract_report import contract_series
        from swtool.ledger.spend import spend

        s = self.session
        versions = store.versions(ledger, s.refdata, self.contract_id, str(self.quarter))
        counted = next((v for v in versions if v["counted"]), None)
        return_id = self.return_id
        if return_id is None and versions:  # the newest version, unless it was voided (imported by mistake)
            return_id = next((v for v in reversed(versions) if not v["voided"]), versions[-1])["id"]
        register = store.current_register(ledger)
        contract = register.contracts.get(self.contract_id) if register else None
        ids = {str(v["id"]) for v in versions}
        decisions = [
            d
            for d in store.decisions(ledger)
            if (
                str(d["return_id"]) in ids
                if d["kind"] == "finding"
                else d["contract_id"] == self.contract_id and d["quarter"] == str(self.quarter)
            )
        ]
        findings, comments, keep = self._stored_findings(ledger, return_id)
        return {
            "versions": versions,
            "counted": counted,
            "return_id": return_id,
            "contract": contract,
            "findings": findings,
            "keep": keep,
            "cross": [] if counted is None else self._across(ledger, counted["id"]),
            "performance": (
                views.contract_performance(ledger, contract, self.quarter, s.settings, s.refdata)
                if contract is not None
                else None
            ),
            "spend": spend(ledger, return_id, comments) if return_id is not None else None,
            "series": (
                contract_series(ledger, self.contract_id, self.quarter, s.refdata) if contract is not None else {}
            ),
            "decisions": decisions,
        }

    def _across(self, ledger, return_id: int) -> list:
        """C219 and C220 on a counted return's claims (``crosscheck.cross_findings``). They weigh every
        contract's claims, so they are worked out for the whole ledger at once and the app keeps them until
        the ledger changes: SQLite's ``data_version`` of the reading connection moves whenever any other
        connection (this app's writes, the CLI, a colleague) commits."""
        return [f for f in across(self.app, ledger) if f.return_id == return_id]

    def _stored_findings(self, ledger, return_id: int | None) -> tuple[list[dict], dict | None, object]:
        """The return's findings with the decision in force on each, its Expenditure Comments (None: read
        them in the ledger) and, for a return to keep now, what ``spend.keep_from_review`` keeps.

        A return kept at import (``spend.kept``) is read in the ledger alone: its findings are stored
        as the screen shows them. One imported before is read once from its stored workbook
        (``spend.from_workbook``; the app keeps the result per return, the workbook never changes) and
        then kept, so that the next opening reads the ledger alone. ``v`` (cell values) reads the
        workbook, as ``views.return_findings`` does."""
        from swtool.ledger import spend

        s = self.session
        if return_id is None:
            return [], None, None
        if spend.kept(ledger, return_id):
            if self.include_personal:
                return views.return_findings(ledger, return_id, s.refdata, True), None, None
            rows = store.findings_of(ledger, return_id)
            for r in rows:
                r["value"] = None  # the screen shows a cell's value only when asked (v)
            return rows, None, None
        cached = self.app.redacted.get(return_id)
        rows = store.findings_of(ledger, return_id)
        if cached is not None and [r["seq"] for r in rows] == list(cached[0]):  # the same (a re-check adds some)
            messages, comments = cached
            for r in rows:
                r["message"], r["value"] = messages[r["seq"]]
            got = None
        else:
            got = spend.from_workbook(ledger, return_id, s.refdata)
            rows, comments = got.findings, got.comments
            self.app.redacted[return_id] = ({r["seq"]: (r["message"], r["value"]) for r in rows}, comments)
        if self.include_personal:
            rows = views.return_findings(ledger, return_id, s.refdata, True)
        return rows, comments, got if got is not None and got.keepable else None

    def _keep(self, got) -> None:
        """Keep a return imported before the ledger kept the contract screen's rows, now its workbook
        was read (``spend.keep_from_review``); if the ledger refuses (busy, read-only), it is read from
        the workbook again next session."""
        import sqlite3

        from swtool.ledger.spend import keep_from_review

        try:
            keep_from_review(self.session.ledger, got)
        except (SwtoolError, sqlite3.Error, OSError):
            import logging

            logging.getLogger(__name__).debug("keeping return %s for the review failed", got.return_id, exc_info=True)

    def show(self, data: dict) -> None:
        self.versions, self.counted, self.return_id = data["versions"], data["counted"], data["return_id"]
        if data["keep"] is not None:
            self._keep(data["keep"])
        self._data, self.series = data, data["series"]
        # the tab in view is filled now; the others, from the same read, when they are next shown
        self._unfilled = set(TABS[1:])
        with self.app.batch_update():  # one layout and draw
            self._heading(data["contract"], self.versions)
            self._findings(data["findings"])
            self._cross(data["cross"])
            self._tab_shown(self.query_one("#tabs", TabbedContent).active)
            if not isinstance(self.app.focused, Input):
                self.focus_table()

    # --- what is shown ---------------------------------------------------------------------------------

    def _heading(self, contract, versions: list[dict]) -> None:
        lines = []
        if contract is not None:
            from swtool.calc.targets import contract_quarter

            lines.append(
                joined(
                    (self.contract_id, "bold"),
                    " · ",
                    (contract.provider, ""),
                    " · lot ",
                    (contract.lot, ""),
                    f" · {self.quarter} (contract quarter {contract_quarter(contract, self.quarter)})",
                )
            )
        else:
            lines.append(joined((self.contract_id, "bold"), f" · {self.quarter} · not in the register in force"))
        current = next((v for v in versions if v["id"] == self.return_id), None)
        if current is None:
            lines.append(Text("No return recorded for this quarter.", style="bold red"))
        else:
            lines.append(
                joined(
                    f"Return {current['id']}, version {current['version']} of {len(versions)}"
                    f"{'' if current['latest'] else ' (not the latest)'}; submitted ",
                    (uk_day(current["date_submitted"]), ""),
                    "; ",
                    (_count(current["errors"], "error"), "bold red" if current["errors"] else ""),
                    f", {_count(current['warnings'], 'warning')}; file ",
                    (current["source_name"], ""),
                )
            )
            lines.append(self._standing(current))
        if self.include_personal:
            lines.append(Text("Cell values are shown (personal data): v hides them.", style="bold magenta"))
        self.query_one("#heading", Static).update(Text("\n").join(lines))

    def _standing(self, current: dict) -> Text:
        """The version shown: its own timeliness and whether it counts; which version counts and its
        approval for payment (approved or held from the Versions tab)."""
        words = counts_words(current)
        line = Text.assemble(
            f"Version {current['version']}: ",
            shown(current["timeliness"]),
            ", ",
            shown(words.split(":")[0], style=counts_style(words)),
            ". ",
        )
        c = self.counted
        if c is None:
            line.append_text(
                shown(f"No version counts for {self.quarter}, so none can be approved for payment.", style="bold red")
            )
            return line
        if c["id"] != current["id"]:
            line.append_text(
                joined(f"Version {c['version']} (return {c['id']}) counts (", (c["timeliness"], ""), "). ")
            )
        approval = c["approval"] or "not reviewed"
        line.append_text(
            joined("Payment: ", (approval, APPROVAL_STYLE.get(approval, "")), " (Versions tab: a approves, h holds).")
        )
        return line

    def _findings(self, found: list[dict]) -> None:
        self.found = found
        self.marked &= {_finding_key(f) for f in found}
        rows = [
            Row(
                str(i),
                [
                    shown(("● " if _finding_key(f) in self.marked else "") + f["code"], style="bold"),
                    severity(f["severity"]),
                    shown(f["decision"], style="green" if f["decision"] == "waive" else ""),
                    shown(f["cell"], 40),
                    shown(f["message"], 160),
                ],
                f,
            )
            for i, f in enumerate(found)
        ]
        self.query_one("#findings", ReviewTable).set_rows(rows)
        self._detail()

    def action_mark(self) -> None:
        """Space marks the highlighted finding (or unmarks it): a, y or w then decides every marked
        finding with one reason."""
        f = self.query_one("#findings", ReviewTable).row_data()
        if f is None:
            return
        self.marked.symmetric_difference_update({_finding_key(f)})
        self._findings(self.found)

    @on(DataTable.RowHighlighted, "#findings")
    def highlighted(self) -> None:
        self._detail()

    def _detail(self) -> None:
        pane = self.query_one("#finding-detail", Static)
        table = self.query_one("#findings", ReviewTable)
        f = table.row_data()
        if f is None:
            pane.update(
                Text(
                    "No findings." if not table.rows_all else "No finding shown: / clears the filter.",
                    style="green" if not table.rows_all else "dim",
                )
            )
            return
        parts = [
            joined((f["code"], "bold"), " ", (f["slug"], ""), " at ", (f["cell"], "bold"), " (", (f["spec"], ""), ")"),
            shown(f["message"], limit=2000),
        ]
        if self.include_personal and f.get("value") is not None:  # redacted findings carry none
            parts.append(joined("Cell value: ", (f["value"], "bold magenta")))
        if f["decision"]:
            parts.append(
                Text.assemble(
                    joined(
                        "Decision in force: ",
                        (f["decision"], "bold"),
                        " by ",
                        (f["decided_by"], ""),
                        " on ",
                        (uk_day(f["decided_at"]), ""),
                        ": ",
                    ),
                    shown(f["decision_reason"], limit=20000),
                )
            )
        pane.update(Text("\n").join(parts))

    def _cross(self, found: list) -> None:
        """C219 and C220 on the counted version's claims, worked out now across every contract's counted
        returns (``crosscheck.cross_findings``). They are not stored findings, so they sit in a panel of
        their own under the Findings tab, where a, y and w cannot reach them."""
        panel = self.query_one("#cross-findings", Static)
        panel.display = bool(found)
        if not found or self.counted is None:  # found only on a counted return
            panel.update("")
            return
        lines = [
            Text(
                f"Across contracts, on counted return {self.counted['id']} (not stored: a, y, w do not apply):",
                style="bold",
            )
        ]
        for f in found:
            lines.append(
                Text.assemble(
                    severity(f.severity), " ", shown(f.code, style="bold"), "  ", shown(f.message, limit=2000)
                )
            )
        panel.update(Text("\n").join(lines))

    def _outputs(self, cp) -> None:
        from swtool.calc.money import num, pct, signed_pct

        flags = self.query_one("#flags", Static)
        table = self.query_one("#outputs", ReviewTable)
        if cp is None:
            table.set_rows([])
            flags.update(Text("The contract is not in the register in force: no targets to compare with.", style="dim"))
            return
        rows = []
        for r in cp.outputs:
            v, t = r.variance, r.to_date
            rows.append(
                Row(
                    r.output,
                    [
                        shown(r.output, style="bold"),
                        shown(None if v is None else num(v.target)),
                        shown(None if v is None else v.actual),
                        shown(None if v is None else signed_pct(v.percent)),
                        shown("K701", style="yellow") if v is not None and v.exceeds else Text(""),
                        shown(None if t is None else f"{t.actual_to_date}/{num(t.target_to_date)} {pct(t.percent)}"),
                        sparkline(self.series.get(r.output)),
                        shown(r.title, 48),
                    ],
                    r,
                )
            )
        table.set_rows(rows)
        self.flag_lines = [joined("Shared 2a + 2b to date: ", (cp.shared.message, ""))]
        for code, msg in cp.flags:
            self.flag_lines.append(Text.assemble((code, "bold yellow"), "  ", shown(msg, limit=2000)))
        if not cp.flags:
            self.flag_lines.append(Text("No K701, K702 or K703 warning for this quarter.", style="green"))
        self._output_detail()

    @on(DataTable.RowHighlighted, "#outputs")
    def output_highlighted(self) -> None:
        self._output_detail()

    def _output_detail(self) -> None:
        """The highlighted output quarter by quarter, then the flags' sentences."""
        from swtool.calc.money import num, pct

        r = self.query_one("#outputs", ReviewTable).row_data()
        sr = self.series.get(r.output) if r is not None else None
        lines = list(self.flag_lines)
        if sr is not None and sr.quarters:
            words = []
            for q, a, t in zip(sr.quarters, sr.actual, sr.target, strict=True):
                if a is None:
                    words.append(f"{q} no return")
                elif t:
                    words.append(f"{q} {a} of {num(t)} ({pct(money.percent(a, t))})")
                else:
                    words.append(f"{q} {a}")
            lines.insert(0, Text(f"Output {sr.output} by quarter: " + "; ".join(words) + "."))
        self.query_one("#flags", Static).update(Text("\n").join(lines))

    def _spend(self, sp) -> None:
        from swtool.calc.money import gbp, signed_pct

        table = self.query_one("#expenditure", ReviewTable)
        pane = self.query_one("#expenditure-detail", Static)
        if sp is None or not sp.lines:
            table.set_rows([])
            pane.update(
                Text("No expenditure lines on this version." if sp is not None else "No return recorded.", style="dim")
            )
            return

        def amount(x):
            return shown(None if x is None else gbp(x))

        rows = []
        for ln in sp.lines:
            v = ln.variance
            rows.append(
                Row(
                    str(ln.row),
                    [
                        shown(ln.row, style="bold"),
                        amount(ln.budgeted),
                        amount(ln.actual),
                        shown(None if v is None else signed_pct(v.percent)),
                        shown("over 10%", style="bold yellow") if ln.over_limit else Text(""),
                        _comment_cell(ln),
                        shown(ln.category, 40),
                        shown(ln.item, 60),
                    ],
                    ln,
                )
            )
        table.set_rows(rows)
        v = sp.variance
        over = sum(ln.over_limit for ln in sp.lines)
        # short enough for one line at 80 columns: the highlighted line and its Comment follow
        self.spend_total = Text.assemble(
            (f"Total: actual {gbp(sp.actual)}, budget {gbp(sp.budgeted)}", "bold"),
            f" ({signed_pct(None if v is None else v.percent)})",
            "; ",
            (f"{_count(over, 'line')} over 10%", "bold yellow" if over else ""),
            ".",
        )
        self._spend_detail()

    @on(DataTable.RowHighlighted, "#expenditure")
    def spend_highlighted(self) -> None:
        self._spend_detail()

    def _spend_detail(self) -> None:
        """The totals, then the highlighted line with its Comment in full, wrapped to the width (the table
        keeps a short cut of it)."""
        from swtool.calc.money import signed_pct

        ln = self.query_one("#expenditure", ReviewTable).row_data()
        lines = [self.spend_total]
        if ln is not None:
            v = ln.variance
            lines.append(
                joined(
                    f"Row {ln.row}, ",
                    (ln.item, "bold"),
                    ": ",
                    (None if v is None else signed_pct(v.percent), ""),
                    " (more than 10%: App 2 §1.3 asks for a Comment)" if ln.over_limit else "",
                    ".",
                )
            )
            if ln.comment:
                lines.append(Text.assemble(("Comment: ", "bold"), shown(ln.comment, limit=4000)))
            elif ln.cleared:
                lines.append(
                    Text("Comment: cleared by retention (the return is past the retention date).", style="dim")
                )
            elif ln.unexplained:
                lines.append(Text("Comment: none, though the variance is over 10% (X402).", style="bold red"))
            else:
                lines.append(Text("Comment: none.", style="dim"))
        self.query_one("#expenditure-detail", Static).update(Text("\n").join(lines))

    def _versions(self, versions: list[dict]) -> None:
        rows = []
        for v in versions:
            mark = "▶ " if v["id"] == self.return_id else ""
            words = counts_words(v)
            approval = v["approval"] or ("not reviewed" if v["counted"] else None)
            rows.append(
                Row(
                    str(v["id"]),
                    [
                        shown(f"{mark}{v['id']}", style="bold" if mark else ""),
                        shown(v["version"]),
                        shown(words, style=counts_style(words)),
                        shown(approval, style=APPROVAL_STYLE.get(approval or "", "")),
                        shown(uk_day(v["date_submitted"])),
                        shown(v["timeliness"], style="yellow" if v["timeliness"] != "on time" else ""),
                        shown(v["errors"]),
                        shown(v["warnings"]),
                        shown(uk_stamp(v["imported_at"])),
                        shown(v["imported_by"]),
                        shown(v["receipt_status"]),
                        shown(v["source_name"], 60),
                    ],
                    v,
                )
            )
        table = self.query_one("#versions", ReviewTable)
        table.set_rows(rows)
        if self.counted is not None and not table.narrowed and not self._versions_placed:  # first: the counted one
            table.move_cursor(row=[r.key for r in table.shown_rows].index(str(self.counted["id"])))
        self._versions_placed = True
        self._version_detail()

    @on(DataTable.RowHighlighted, "#versions")
    def version_highlighted(self) -> None:
        self._version_detail()

    def _version_detail(self) -> None:
        v = self.query_one("#versions", ReviewTable).row_data()
        pane = self.query_one("#version-detail", Static)
        if v is None:
            pane.update(Text("No version recorded." if not self.versions else "", style="dim"))
            return
        words = counts_words(v)
        pane.update(
            Text("\n").join(
                [
                    joined(
                        f"Return {v['id']}, version {v['version']}: ",
                        (words, counts_style(words)),
                        "; submitted ",
                        (uk_day(v["date_submitted"]), ""),
                        ", ",
                        (v["timeliness"], ""),
                        "; payment ",
                        (v["approval"] or ("not reviewed" if v["counted"] else "-"), ""),
                    ),
                    joined(
                        "File ",
                        (v["source_name"], "bold"),
                        "; imported ",
                        (uk_stamp(v["imported_at"]), ""),
                        " by ",
                        (v["imported_by"], ""),
                        "; receipt ",
                        (v["receipt_status"] or "none", ""),
                    ),
                    Text(
                        "Enter opens this version; a approves it for payment, h holds it (only the version that counts).",
                        style="dim",
                    ),
                ]
            )
        )

    def _decisions(self, decisions: list[dict]) -> None:
        rows = []
        for d in decisions:
            what = (
                f"return {d['return_id']} {d['code']} {d['cell']}"
                if d["kind"] == "finding"
                else f"output {d['output']} credits"
                if d["kind"] == "credit"
                else f"return {d['return_id']}"
                if d["kind"] == "return"
                else f"plan {d['rap_id']}"
            )
            # the day the PMO dated it, else the clock's
            when = uk_day(store.dated(d)) if store.dated(d) else uk_stamp(d["at"])
            rows.append(
                Row(
                    str(d["id"]),
                    [
                        shown(d["id"]),
                        shown(when),
                        shown(d["action"], style="bold"),
                        shown(what),
                        shown(d["who"]),
                        shown(d["reason"], 80),
                    ],
                    (d, what, when),
                )
            )
        self.query_one("#decisions", ReviewTable).set_rows(rows)
        self._decision_detail()

    @on(DataTable.RowHighlighted, "#decisions")
    def decision_highlighted(self) -> None:
        self._decision_detail()

    def _decision_detail(self) -> None:
        """The decision in full: the reason is never cut here."""
        got = self.query_one("#decisions", ReviewTable).row_data()
        pane = self.query_one("#decision-detail", Static)
        if got is None:
            pane.update(Text("No decision recorded for this contract's quarter.", style="dim"))
            return
        d, what, when = got
        pane.update(
            Text("\n").join(
                [
                    joined(
                        f"Decision {d['id']}: ",
                        (d["action"], "bold"),
                        " ",
                        (what, ""),
                        " by ",
                        (d["who"], ""),
                        " on ",
                        (when, ""),
                    ),
                    Text.assemble("Reason: ", shown(d["reason"], limit=20000)),
                ]
            )
        )

    # --- tabs ------------------------------------------------------------------------------------------

    def active_tab(self) -> str:
        return self.query_one("#tabs", TabbedContent).active.removeprefix("tab-")

    def current_table(self) -> ReviewTable | None:
        return self.query_one(f"#tab-{self.active_tab()} ReviewTable", ReviewTable)

    @on(TabbedContent.TabActivated, "#tabs")
    def focus_tab(self, event: TabbedContent.TabActivated) -> None:
        """A tab chosen by key or mouse puts the cursor in its table, ready for Enter and its decision keys;
        the footer then names the keys of that tab."""
        self.focus_table()
        self.refresh_bindings()

    def action_tab(self, n: int) -> None:
        self.query_one("#tabs", TabbedContent).active = f"tab-{TABS[n - 1]}"

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        tab = self.active_tab() if self.is_mounted else "findings"
        if action in ("decide", "mark"):
            return tab == "findings"
        if action == "payment":
            return tab == "versions"
        if action == "no_decision":
            return tab not in ("findings", "versions")
        return super().check_action(action, parameters)

    def action_no_decision(self) -> None:
        self.app.notify(
            f"Nothing is decided on the {self.active_tab().capitalize()} tab: a, y and w decide findings "
            "on the Findings tab (1); a and h approve or hold payment on the Versions tab (4).",
            severity="warning",
            markup=False,
        )

    @on(DataTable.RowSelected, "#versions")
    def pick_version(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is None:  # each row is keyed by its return id
            return
        self.return_id = int(event.row_key.value)
        self.action_refresh()
        self.query_one("#tabs", TabbedContent).active = "tab-findings"

    # --- decisions -------------------------------------------------------------------------------------

    def action_decide(self, action: str) -> None:
        if self.active_tab() != "findings":  # never a finding out of sight
            self.action_no_decision()
            return
        marked = [f for f in self.found if _finding_key(f) in self.marked]
        if marked:
            self._decide_marked(action, marked)
            return
        f = self.query_one("#findings", ReviewTable).row_data()
        if f is None or self.return_id is None:
            self.app.notify("No finding is highlighted: nothing to decide.", severity="warning", markup=False)
            return
        rid, code, cell = self.return_id, f["code"], f["cell"]
        about = joined(
            f"{action.capitalize()} ",
            (code, "bold"),
            " at ",
            (cell, "bold"),
            f" of return {rid} (",
            (self.contract_id, "bold"),
            f" {self.quarter}):\n",
            (f["message"], ""),
        )

        def record(reason: str | None) -> None:
            if reason:
                self.attempt(
                    store.decide_finding,
                    self.session.ledger,
                    rid,
                    code,
                    cell,
                    action,
                    reason,
                    self.session.today,
                    done=f"Recorded: {action} {code} at {cell} of return {rid}.",
                )

        self.app.push_screen(ReasonModal(f"{action.capitalize()} a finding", about, action.capitalize()), record)

    def _decide_marked(self, action: str, marked: list[dict]) -> None:
        """One reason for every marked finding: the dialog lists them all; each is its own decision."""
        rid = self.return_id
        about = Text.assemble(
            joined(
                f"{action.capitalize()} {_count(len(marked), 'finding')} of return {rid} (",
                (self.contract_id, "bold"),
                f" {self.quarter}):",
            ),
            *(
                Text.assemble(
                    "\n• ", joined((f["code"], "bold"), " at ", (f["cell"], "bold"), ": "), shown(f["message"], 200)
                )
                for f in marked
            ),
        )

        def record(reason: str | None) -> None:
            if not reason or rid is None:
                return
            done = 0
            for f in marked:
                try:
                    store.decide_finding(
                        self.session.ledger, rid, f["code"], f["cell"], action, reason, self.session.today
                    )
                except SwtoolError as e:
                    self.app.notify(safe_text(e, 1000), severity="error", markup=False, timeout=8)
                    continue
                done += 1
            self.marked.clear()
            self.app.notify(f"Recorded: {action} {_count(done, 'finding')} of return {rid}.", markup=False)
            self.action_refresh()

        self.app.push_screen(
            ReasonModal(f"{action.capitalize()} {_count(len(marked), 'finding')}", about, action.capitalize()), record
        )

    def action_payment(self, action: str) -> None:
        """Approve or hold the highlighted version for payment, as the Payments screen's a and h do; only
        the version that counts can be."""
        from swtool.tui.payments import ask_for_payment  # it builds on this module's screens

        if self.active_tab() != "versions":
            self.action_no_decision()
            return
        v = self.query_one("#versions", ReviewTable).row_data()
        c = self.counted
        if v is not None and c is not None and v["id"] != c["id"]:
            self.app.notify(
                f"Version {v['version']} (return {v['id']}) does not count for {self.quarter} "
                f"({counts_words(v)}): only version {c['version']} (return {c['id']}), the version that "
                "counts, can be approved or held.",
                severity="warning",
                markup=False,
                timeout=8,
            )
            return
        ask_for_payment(
            self,
            action,
            self.contract_id,
            self.quarter,
            None if c is None else c["id"],
            None if c is None else c["version"],
            (c and c["approval"]) or "not reviewed",
        )

    def action_values(self) -> None:
        self.include_personal = not self.include_personal
        self.action_refresh()

    def action_spot_checks(self) -> None:
        from swtool.tui.spotchecks import SpotChecksScreen  # it builds on this module's screens

        self.app.push_screen(SpotChecksScreen(self.contract_id, self.quarter))

    def action_export(self) -> None:
        """The findings of the return shown, for its provider (the annotated workbook, or a table)."""
        from swtool.tui.exports import findings_choice, start_export

        current = next((v for v in self.versions if v["id"] == self.return_id), None)
        if current is None:
            self.app.notify(
                f"{self.contract_id} has no return for {self.quarter}: no findings to export.",
                severity="warning",
                markup=False,
            )
            return
        words = f"Findings of {self.contract_id} {self.quarter}, version {current['version']} (return {current['id']})"
        start_export(self, [findings_choice(self.session, current["id"], words)])

    def action_visits(self) -> None:
        from swtool.tui.visits import VisitsScreen  # monitoring visits and actions (swtool visit, actions)

        self.app.push_screen(VisitsScreen(self.contract_id))

    def action_new_plan(self) -> None:
        s = self.session
        from swtool.calc.credits import next_review_date

        name = f"RAP_{self.contract_id}_{str(self.quarter).replace('/', '-')}.xlsx"
        about = joined(
            "For ",
            (self.contract_id, "bold"),
            f" {self.quarter}: key issues, an action row per missed "
            "output and signature blocks, prefilled from the ledger.",
        )
        self.app.push_screen(
            PlanModal(about, s.plans_dir / name, next_review_date(self.quarter, s.refdata)), self._write_plan
        )

    def _write_plan(self, request: PlanRequest | None) -> None:
        if request is None:
            return
        s = self.session
        result = self.attempt(
            rapplan.create,
            s.ledger,
            self.contract_id,
            self.quarter,
            request.output,
            s.refdata,
            s.settings,
            s.today,
            request.review,
            request.reason,
        )
        if result:
            rap_id, written, review = result
            self.app.notify(
                safe_text(
                    f"Remedial action plan {rap_id} recorded as open (review {uk_date(review)}); written to {written}",
                    1000,
                ),
                markup=False,
                timeout=8,
            )


# --- service credits ---------------------------------------------------------------------------------


class CreditsScreen(LedgerScreen):
    """Every core output's service credits in the quarter (``swtool credits``), to apply or waive: the
    amounts split into applied, pending and waived, the decision in force in full below the table."""

    HELP_TOPIC = "credits"
    BINDINGS = [
        Binding("a", "decide('apply')", "Apply"),
        Binding("w", "decide('waive')", "Waive"),
        Binding("x", "export", "Export"),
    ]

    def __init__(self):
        super().__init__()
        self.sub_total = Text("")
        self.decided: dict = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="heading")
        yield _table(
            "credits",
            "contract",
            "output",
            "status",
            "amount",
            "credits",
            "percent",
            "actual",
            "target",
            "credit value",
            "lot",
            "provider",
        )
        yield FilterBar()
        yield Static(id="credit-detail", classes="detail")
        yield ReviewFooter(compact=True, show_command_palette=False)

    def fetch(self, ledger):
        s = self.session
        return views.credit_report(ledger, s.quarter, s.settings), store.credit_decisions(ledger, str(s.quarter))

    def show(self, data) -> None:
        from swtool.calc.money import gbp, num, pct

        s = self.session
        self.report, self.decided = data
        setting = ", ".join(f"{k} = {self.report.settings.get(k)}" for k in views.CREDIT_SETTINGS)
        self.query_one("#heading", Static).update(
            Text(
                f"Service credits, {s.quarter} (setting {setting}). a applies, w waives; each needs a reason.",
                style="bold",
            )
        )
        rows = []
        split = {"applied": 0, "pending": 0, "waived": 0}
        for cc in self.report.contracts:
            c = cc.contract
            for ln, status in zip(cc.lines, cc.statuses, strict=True):
                if ln.due and status in split:
                    split[status] += ln.amount
                rows.append(
                    Row(
                        f"{c.contract_id}|{ln.output}",
                        [
                            shown(c.contract_id, style="bold"),
                            shown(ln.output),
                            shown(status, style=CREDIT_STYLE.get(status, "")),
                            shown(gbp(ln.amount), style="bold" if ln.due else "dim"),
                            shown(num(ln.credits)),
                            shown(pct(ln.percent)),
                            shown(ln.actual),
                            shown(num(ln.target)),
                            shown(None if ln.credit_value is None else gbp(ln.credit_value)),
                            shown(c.lot),
                            shown(c.provider, 36),
                        ],
                        (cc, ln, status),
                    )
                )
        pending = sum(1 for r in rows if r.data[2] == "pending")
        self.sub_total = Text(
            f"{_count(len(self.report.contracts), 'contract')} in term. Due and not waived "
            f"{gbp(split['applied'] + split['pending'])}: applied {gbp(split['applied'])}, pending "
            f"{gbp(split['pending'])} ({_count(pending, 'decision')} to make). Waived {gbp(split['waived'])}.",
            style="bold",
        )
        self.query_one("#credits", ReviewTable).set_rows(rows)
        self._detail()
        if not isinstance(self.app.focused, Input):
            self.focus_table()

    @on(DataTable.RowHighlighted, "#credits")
    def highlighted(self) -> None:
        self._detail()
        self.refresh_bindings()

    def _detail(self) -> None:
        """The line's figures in words and the decision in force, whole."""
        parts = [self.sub_total]
        got = self.query_one("#credits", ReviewTable).row_data()
        if got is not None:
            cc, ln, status = got
            parts.append(shown(ln.reason, limit=2000))
            d = self.decided.get((cc.contract.contract_id, ln.output))
            if d is not None:
                when = uk_day(store.dated(d)) if store.dated(d) else uk_stamp(d["at"])
                parts.append(
                    Text.assemble(
                        joined(
                            "Decision in force: ",
                            (status, "bold"),
                            f" (decision {d['id']}) by ",
                            (d["who"], ""),
                            " on ",
                            (when, ""),
                            ": ",
                        ),
                        shown(d["reason"], limit=20000),
                    )
                )
            elif not ln.due:
                parts.append(Text("Nothing is due on this line: nothing to apply or waive.", style="dim"))
            else:
                parts.append(
                    Text("Pending: a applies the credits (taken off the payment), w waives them.", style="bold yellow")
                )
        self.query_one("#credit-detail", Static).update(Text("\n").join(parts))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "decide" and self.is_mounted:
            got = self.query_one("#credits", ReviewTable).row_data()
            if got is None or not got[1].due:
                return None  # shown, dimmed: nothing due on the highlighted line
        return super().check_action(action, parameters)

    def action_export(self) -> None:
        from swtool.tui.exports import schedule_choices, start_export

        start_export(self, schedule_choices(self.session, ("credits",)))

    @on(DataTable.RowSelected, "#credits")
    def open_contract(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is None:  # each row is keyed by contract|output
            return
        contract_id = event.row_key.value.split("|")[0]
        self.app.show_contract(contract_id, self.session.quarter)

    def action_decide(self, action: str) -> None:
        from swtool.calc.money import gbp, num

        got = self.query_one("#credits", ReviewTable).row_data()
        if got is None:
            return
        cc, ln, status = got
        cid, s = cc.contract.contract_id, self.session
        if not ln.due:
            self.app.notify(
                f"Nothing is due on {cid} output {ln.output} for {s.quarter}: nothing to {action}.",
                severity="warning",
                markup=False,
            )
            return
        about = joined(
            f"{action.capitalize()} the service credits of ",
            (cid, "bold"),
            f" output {ln.output}, {s.quarter}: {num(ln.credits)} credits, {gbp(ln.amount)} (now {status}).\n",
            (ln.reason, ""),
        )

        def record(reason: str | None) -> None:
            if reason:
                self.attempt(
                    views.decide_credit,
                    s.ledger,
                    cid,
                    s.quarter,
                    ln.output,
                    action,
                    reason,
                    s.settings,
                    s.today,
                    done=f"Recorded: {action} service credits for {cid} output {ln.output}.",
                )

        self.app.push_screen(ReasonModal(f"{action.capitalize()} service credits", about, action.capitalize()), record)


# --- remedial action plans ---------------------------------------------------------------------------


class PlansScreen(LedgerScreen):
    """Remedial action plans (``swtool rap list``): open ones, overdue reviews first to the eye; close
    one with a reason."""

    HELP_TOPIC = "plans"
    BINDINGS = [
        Binding("x", "close_plan", "Close plan"),
        Binding("t", "toggle_all", "Show closed"),
    ]

    def __init__(self):
        super().__init__()
        self.show_all = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="heading")
        yield _table(
            "plans", "plan", "contract", "quarter", "status", "review", "opened", "by", "document", "last decision"
        )
        yield FilterBar()
        yield Static(id="plan-detail", classes="detail")
        yield ReviewFooter(compact=True, show_command_palette=False)

    def fetch(self, ledger):
        return store.raps(ledger, self.session.today, include_closed=self.show_all)

    def show(self, rows) -> None:
        s = self.session
        overdue = sum(1 for r in rows if r["overdue"])
        self.query_one("#heading", Static).update(
            Text(
                f"{'All' if self.show_all else 'Open'} remedial action plans on {uk_date(s.today)}: {len(rows)}, "
                f"{overdue} overdue for review. x closes the highlighted plan; Enter opens its contract.",
                style="bold",
            )
        )
        self.query_one("#plans", ReviewTable).set_rows(
            [
                Row(
                    str(r["id"]),
                    [
                        shown(r["id"]),
                        shown(r["contract_id"], style="bold"),
                        shown(r["quarter"]),
                        shown("OVERDUE" if r["overdue"] else r["status"], style="bold red" if r["overdue"] else ""),
                        shown(uk_day(r["review_date"])),
                        shown(uk_day(r["opened"])),
                        shown(r["created_by"]),
                        shown(Path(r["document"]).name if r["document"] else None),
                        shown(r["last_reason"], 70),
                    ],
                    r,
                )
                for r in rows
            ]
        )
        self._detail()
        if not isinstance(self.app.focused, Input):
            self.focus_table()

    @on(DataTable.RowHighlighted, "#plans")
    def highlighted(self) -> None:
        self._detail()

    def _detail(self) -> None:
        r = self.query_one("#plans", ReviewTable).row_data()
        pane = self.query_one("#plan-detail", Static)
        if r is None:
            pane.update(Text("No plan shown." + ("" if self.show_all else " t shows closed plans too."), style="dim"))
            return
        pane.update(
            Text("\n").join(
                [
                    joined(
                        f"Plan {r['id']} for ",
                        (r["contract_id"], "bold"),
                        f" {r['quarter']}: ",
                        ("OVERDUE for review" if r["overdue"] else r["status"], "bold red" if r["overdue"] else "bold"),
                        "; review ",
                        (uk_day(r["review_date"]), ""),
                        "; opened ",
                        (uk_day(r["opened"]), ""),
                        " by ",
                        (r["created_by"], ""),
                    ),
                    joined("Written to ", (r["document"] or "-", "")),
                    joined(
                        "Last decision: ",
                        (r["last_action"] or "-", "bold"),
                        " by ",
                        (r["last_by"] or "-", ""),
                        " on ",
                        (uk_stamp(r["last_at"]) or "-", ""),
                        ": ",
                        (r["last_reason"] or "-", ""),
                    ),
                ]
            )
        )

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self.action_refresh()

    @on(DataTable.RowSelected, "#plans")
    def open_contract(self, event: DataTable.RowSelected) -> None:
        r = self.query_one("#plans", ReviewTable).row_data(event.row_key.value)
        self.app.show_contract(r["contract_id"], Quarter.parse(r["quarter"]))

    def action_close_plan(self) -> None:
        r = self.query_one("#plans", ReviewTable).row_data()
        if r is None or r["status"] == "closed":
            self.app.notify("Choose an open plan first.", severity="warning", markup=False)
            return
        about = joined(
            f"Close remedial action plan {r['id']} for ",
            (r["contract_id"], "bold"),
            f" {r['quarter']} (review {uk_day(r['review_date'])}).",
        )

        def record(reason: str | None) -> None:
            if reason:
                self.attempt(
                    store.close_rap,
                    self.session.ledger,
                    r["id"],
                    reason,
                    self.session.today,
                    done=f"Remedial action plan {r['id']} closed.",
                )

        self.app.push_screen(ReasonModal("Close a remedial action plan", about, "Close plan"), record)
