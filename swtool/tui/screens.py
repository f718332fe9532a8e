"""The PMO's screens: the quarter, one contract's return, service credits, remedial action plans.

Every figure comes from ``swtool.ledger.views`` and ``swtool.ledger.store`` (the calls behind
``swtool status``, ``credits``, ``performance``, ``returns``, ``decide`` and ``rap``), so the
screen and the CLI never disagree. Every value from the ledger is put on screen with ``shown``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from swtool.errors import SwtoolError
from swtool.ledger import rapplan, store, views
from swtool.quarter import Quarter, uk_date
from swtool.report.safe import safe_text
from swtool.tui.modals import ImportModal, PlanModal, PlanRequest, ReasonModal
from swtool.tui.shown import joined, severity, shown

CREDIT_STYLE = {"pending": "bold yellow", "applied": "bold red", "waived": "green", "not due": "dim"}
FINDING_ACTIONS = {"a": "accept", "q": "query", "w": "waive"}


def _table(id_: str, *columns: str) -> DataTable:
    table = DataTable(id=id_, cursor_type="row", zebra_stripes=True)
    for c in columns:
        table.add_column(c, key=c)
    return table


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _selected_key(table: DataTable) -> str | None:
    if table.row_count == 0:
        return None
    row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
    return row_key.value


class LedgerScreen(Screen):
    """What every screen shares: the session, a refresh, and ledger errors shown, not raised."""

    BINDINGS = [Binding("r", "refresh", "Refresh")]

    @property
    def session(self):
        return self.app.session

    _stale = False

    def on_mount(self) -> None:
        self.action_refresh()

    # another screen or a dialog may change the ledger: reload on coming back, unless already done
    def on_screen_suspend(self) -> None:
        self._stale = True

    def on_screen_resume(self) -> None:
        if self._stale:
            self.action_refresh()

    def action_refresh(self) -> None:
        self._stale = False
        try:
            self.load()
        except SwtoolError as e:
            self.app.notify(safe_text(e, 1000), severity="error", markup=False, timeout=8)

    def load(self) -> None:  # pragma: no cover - each screen has its own
        raise NotImplementedError

    def attempt(self, fn, *args, done: str | None = None):
        """Run a ledger call; a refusal (LedgerError) is shown as a notification, and nothing changes."""
        try:
            result = fn(*args)
        except SwtoolError as e:
            self.app.notify(safe_text(e, 1000), severity="error", markup=False, timeout=8)
            return None
        if done:
            self.app.notify(done, markup=False)
        self.action_refresh()
        return result


# --- the quarter --------------------------------------------------------------------------------

class QuarterScreen(LedgerScreen):
    """Every contract's return for the quarter, as ``swtool status`` shows it."""

    BINDINGS = [
        Binding("left_square_bracket", "quarter(-1)", "Previous quarter", key_display="["),
        Binding("right_square_bracket", "quarter(1)", "Next quarter", key_display="]"),
        Binding("c", "credits", "Service credits"),
        Binding("f", "payments", "Payments"),
        Binding("p", "plans", "Action plans"),
        Binding("i", "import", "Import"),
        Binding("q", "app.quit", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="heading")
        yield _table("contracts", "contract", "provider", "lot", "return", "errors", "warnings",
                     "core outputs (actual/target)", "flags", "credits due", "RAP")
        yield Static(id="summary")
        yield Footer()

    def load(self) -> None:
        from swtool.credits import gbp, num, pct

        s = self.session
        report = views.status(s.ledger, s.quarter, s.today, s.refdata, s.settings)
        perf = {cp.contract.contract_id: cp for cp in views.performance(s.ledger, s.quarter, s.settings).contracts}
        self.app.sub_title = f"{s.quarter} · {uk_date(s.today)}"
        d = report.deadline
        head = f"Returns for {s.quarter} (reporting deadline {uk_date(d.reporting)}, final {uk_date(d.final)})" \
            if d else f"Returns for {s.quarter} (not in the deadline calendar)"
        self.query_one("#heading", Static).update(Text(head + "   Enter opens a contract.", style="bold"))
        table = self.query_one("#contracts", DataTable)
        keep = table.cursor_row
        table.clear()
        for row in report.rows:
            c = row.contract
            # the version that counts and its own timeliness; newer versions that do not count are named below
            received = row.received + (f", {row.timeliness}" if row.timeliness else "") \
                + (f" (+{len(row.not_counted)} not counted)" if row.not_counted else "")
            style = {"missing": "bold red", "not in term": "dim"}.get(row.received, "")
            if row.timeliness in ("late", "after final deadline"):
                style = "yellow"
            outputs = "  ".join(f"{ln.output}: {'-' if ln.actual is None else ln.actual}/{num(ln.target)} "
                                f"{pct(ln.percent)}" for ln in row.lines) or "-"
            cp = perf.get(c.contract_id)
            flags = " ".join(sorted({code for code, _ in cp.flags})) if cp else ""
            due = gbp(row.credits_due) if row.lines else "-"
            table.add_row(shown(c.contract_id, style="bold"), shown(c.provider, 36), shown(c.lot),
                          shown(received, style=style), shown(row.errors, style="bold red" if row.errors else ""),
                          shown(row.warnings), shown(outputs), shown(flags, style="yellow"),
                          shown(due, style="bold" if row.credits_due else "dim"),
                          shown(row.rap, style="bold red" if "overdue" in row.rap else ""), key=c.contract_id)
        if table.row_count:
            table.move_cursor(row=min(max(keep, 0), table.row_count - 1))
        counts: dict[str, int] = {}
        for row in report.rows:
            key = row.received if not row.received.startswith("version") else (row.timeliness or "received")
            counts[key] = counts.get(key, 0) + 1
        due = sum((row.credits_due for row in report.rows), start=0)
        summary = [Text(f"{len(report.rows)} contracts: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
                        + f". Service credits due and not waived: {gbp(due)}.")]
        for row in report.rows:
            for note in row.not_counted:
                summary.append(joined((row.contract.contract_id, "bold"), " ", (note, "yellow"), "."))
        for r in report.others:
            summary.append(joined("Return ", (r["id"], ""), " is for ", (r["contract_id"], "bold"),
                                  ", which is not in the contract register in force."))
        refused = store.received(s.ledger)
        if refused:
            names = Text(", ").join(joined((r["source_name"], "bold"), f" ({r['outcome']})") for r in refused[-3:])
            summary.append(Text.assemble((f"{len(refused)} file{'s' * (len(refused) != 1)} received but not "
                                          "imported", "bold red"), " (swtool returns lists why): ", names,
                                         " …" if len(refused) > 3 else ""))
        self.query_one("#summary", Static).update(Text("\n").join(summary))
        table.focus()

    def action_quarter(self, step: int) -> None:
        s = self.session
        s.quarter = s.quarter.next() if step > 0 else s.quarter.previous()
        self.action_refresh()

    @on(DataTable.RowSelected, "#contracts")
    def open_contract(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(ContractScreen(event.row_key.value, self.session.quarter))

    def action_credits(self) -> None:
        self.app.push_screen(CreditsScreen())

    def action_payments(self) -> None:
        from swtool.tui.payments import PaymentsScreen   # it builds on this module's screens

        self.app.push_screen(PaymentsScreen())

    def action_plans(self) -> None:
        self.app.push_screen(PlansScreen())

    def action_import(self) -> None:
        s = self.session
        self.app.push_screen(ImportModal(s.ledger.path, s.refdata, s.settings, s.today, s.import_start),
                             lambda imported: imported and self.action_refresh())


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


class ContractScreen(LedgerScreen):
    """One contract in one quarter: the return's findings to decide, its outputs against profile, its
    versions, and the decisions taken."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("a", "decide('a')", "Accept"),
        Binding("q", "decide('q')", "Query"),
        Binding("w", "decide('w')", "Waive"),
        Binding("v", "values", "Cell values"),
        Binding("n", "new_plan", "New action plan"),
        Binding("p", "payment('approve')", "Approve payment"),
        Binding("h", "payment('hold')", "Hold payment"),
    ]

    def __init__(self, contract_id: str, quarter: Quarter, return_id: int | None = None):
        super().__init__()
        self.contract_id = contract_id
        self.quarter = quarter
        self.return_id = return_id
        self.include_personal = False
        self.finding_rows: dict[str, dict] = {}
        self.counted: dict | None = None     # the version whose figures count (store.versions)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="heading")
        with TabbedContent(id="tabs"):
            with TabPane("Findings", id="tab-findings"):
                yield _table("findings", "code", "severity", "cell", "decision", "finding")
                yield Static(id="finding-detail")
                yield Static(id="cross-findings")
            with TabPane("Outputs", id="tab-outputs"):
                yield _table("outputs", "output", "title", "target", "actual", "variance", "flag", "to date")
                yield Static(id="flags")
            with TabPane("Versions", id="tab-versions"):
                yield _table("versions", "return", "version", "counts", "approval", "submitted", "timeliness",
                             "errors", "warnings", "imported", "by", "receipt", "file")
            with TabPane("Decisions", id="tab-decisions"):
                yield _table("decisions", "decision", "when", "who", "what", "action", "reason")
        yield Footer()

    def load(self) -> None:
        s = self.session
        versions = store.versions(s.ledger, s.refdata, self.contract_id, str(self.quarter))
        self.counted = next((v for v in versions if v["counted"]), None)
        if self.return_id is None and versions:  # the newest version, unless it was voided (imported by mistake)
            self.return_id = next((v for v in reversed(versions) if not v["voided"]), versions[-1])["id"]
        register = store.current_register(s.ledger)
        contract = register.contracts.get(self.contract_id) if register else None
        self._heading(contract, versions)
        self._findings()
        self._cross()
        self._outputs(contract)
        self._versions(versions)
        self._decisions(versions)

    def _heading(self, contract, versions: list[dict]) -> None:
        lines = []
        if contract is not None:
            from swtool.credits import contract_quarter

            lines.append(joined((self.contract_id, "bold"), " · ", (contract.provider, ""), " · lot ",
                                (contract.lot, ""), f" · {self.quarter} (contract quarter "
                                f"{contract_quarter(contract, self.quarter)})"))
        else:
            lines.append(joined((self.contract_id, "bold"), f" · {self.quarter} · not in the register in force"))
        current = next((v for v in versions if v["id"] == self.return_id), None)
        if current is None:
            lines.append(Text("No return recorded for this quarter.", style="bold red"))
        else:
            submitted = current["date_submitted"] and uk_date(date.fromisoformat(current["date_submitted"]))
            lines.append(joined(f"Return {current['id']}, version {current['version']} of {len(versions)}"
                                f"{'' if current['latest'] else ' (not the latest)'}; submitted ",
                                (submitted, ""), "; ",
                                (_count(current["errors"], "error"), "bold red" if current["errors"] else ""),
                                f", {_count(current['warnings'], 'warning')}; file ", (current["source_name"], "")))
            lines.append(self._standing(current))
        if self.include_personal:
            lines.append(Text("Cell values are shown (personal data): v hides them.", style="bold magenta"))
        self.query_one("#heading", Static).update(Text("\n").join(lines))

    def _standing(self, current: dict) -> Text:
        """The version shown: its own timeliness and whether it counts; which version counts and its
        approval for payment (the one ``p`` approves and ``h`` holds)."""
        words = counts_words(current)
        line = Text.assemble(f"Version {current['version']}: ", shown(current["timeliness"]), ", ",
                             shown(words.split(":")[0], style=counts_style(words)), ". ")
        c = self.counted
        if c is None:
            line.append_text(shown(f"No version counts for {self.quarter}, so none can be approved for payment.",
                                   style="bold red"))
            return line
        if c["id"] != current["id"]:
            line.append_text(joined(f"Version {c['version']} (return {c['id']}) counts (", (c["timeliness"], ""),
                                    "). "))
        approval = c["approval"] or "not reviewed"
        line.append_text(joined("Payment: ", (approval, APPROVAL_STYLE.get(approval, "")), " (p approves, h holds)."))
        return line

    def _findings(self) -> None:
        s = self.session
        table = self.query_one("#findings", DataTable)
        keep = table.cursor_row
        table.clear()
        self.finding_rows = {}
        if self.return_id is None:
            self.query_one("#finding-detail", Static).update("")
            return
        rows = views.return_findings(s.ledger, self.return_id, s.refdata, self.include_personal)
        for i, f in enumerate(rows):
            key = str(i)
            self.finding_rows[key] = f
            table.add_row(shown(f["code"], style="bold"), severity(f["severity"]), shown(f["cell"], 40),
                          shown(f["decision"], style="green" if f["decision"] == "waive" else ""),
                          shown(f["message"], 160), key=key)
        if table.row_count:
            table.move_cursor(row=min(max(keep, 0), table.row_count - 1))
            self._detail(_selected_key(table))
        else:
            self.query_one("#finding-detail", Static).update(Text("No findings.", style="green"))

    @on(DataTable.RowHighlighted, "#findings")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.row_key.value)

    def _detail(self, key: str | None) -> None:
        f = self.finding_rows.get(key or "")
        if f is None:
            return
        parts = [joined((f["code"], "bold"), " ", (f["slug"], ""), " at ", (f["cell"], "bold"), " (", (f["spec"], ""),
                        ")"), shown(f["message"], limit=2000)]
        if self.include_personal and f.get("value") is not None:  # redacted findings carry none
            parts.append(joined("Cell value: ", (f["value"], "bold magenta")))
        if f["decision"]:
            parts.append(joined("Decision in force: ", (f["decision"], "bold"), " by ", (f["decided_by"], ""), " on ",
                                ((f["decided_at"] or "")[:10], ""), ": ", (f["decision_reason"], "")))
        self.query_one("#finding-detail", Static).update(Text("\n").join(parts))

    def _cross(self) -> None:
        """C219 and C220 on the counted version's claims, worked out now across every contract's counted
        returns (``crosscheck.cross_findings``). They are not stored findings, so they sit in a panel of
        their own under the Findings tab, where a, q and w cannot reach them."""
        from swtool.ledger.crosscheck import cross_findings

        s, c = self.session, self.counted
        panel = self.query_one("#cross-findings", Static)
        found = [] if c is None else cross_findings(s.ledger, s.refdata, s.today, return_id=c["id"])
        panel.display = bool(found)
        if not found:
            panel.update("")
            return
        lines = [Text(f"Across contracts, on counted return {c['id']} (not stored: a, q, w do not apply):",
                      style="bold")]
        for f in found:
            lines.append(Text.assemble(severity(f.severity), " ", shown(f.code, style="bold"), "  ",
                                       shown(f.message, limit=2000)))
        panel.update(Text("\n").join(lines))

    def _outputs(self, contract) -> None:
        from swtool.credits import num, pct

        table = self.query_one("#outputs", DataTable)
        table.clear()
        flags = self.query_one("#flags", Static)
        if contract is None:
            flags.update("")
            return
        s = self.session
        cp = views.contract_performance(s.ledger, contract, self.quarter, s.settings, s.refdata)
        for r in cp.outputs:
            v, t = r.variance, r.to_date
            table.add_row(shown(r.output, style="bold"), shown(r.title, 48), shown(None if v is None else num(v.target)),
                          shown(None if v is None else v.actual),
                          shown(None if v is None else views.signed_percent(v.percent)),
                          shown("K701", style="yellow") if v is not None and v.exceeds else Text(""),
                          shown(None if t is None else f"{t.actual_to_date}/{num(t.target_to_date)} {pct(t.percent)}"),
                          key=r.output)
        lines = [joined("Shared 2a + 2b to date: ", (cp.shared.message, ""))]
        for code, msg in cp.flags:
            lines.append(Text.assemble((code, "bold yellow"), "  ", shown(msg, limit=2000)))
        if not cp.flags:
            lines.append(Text("No K701, K702 or K703 warning for this quarter.", style="green"))
        flags.update(Text("\n").join(lines))

    def _versions(self, versions: list[dict]) -> None:
        table = self.query_one("#versions", DataTable)
        table.clear()
        for v in versions:
            mark = "▶ " if v["id"] == self.return_id else ""
            words = counts_words(v)
            approval = v["approval"] or ("not reviewed" if v["counted"] else None)
            table.add_row(shown(f"{mark}{v['id']}", style="bold" if mark else ""), shown(v["version"]),
                          shown(words, style=counts_style(words)),
                          shown(approval, style=APPROVAL_STYLE.get(approval or "", "")), shown(v["date_submitted"]),
                          shown(v["timeliness"], style="yellow" if v["timeliness"] != "on time" else ""),
                          shown(v["errors"]), shown(v["warnings"]), shown(v["imported_at"][:16].replace("T", " ")),
                          shown(v["imported_by"]), shown(v["receipt_status"]), shown(v["source_name"], 60),
                          key=str(v["id"]))

    def _decisions(self, versions: list[dict]) -> None:
        s = self.session
        table = self.query_one("#decisions", DataTable)
        table.clear()
        ids = {str(v["id"]) for v in versions}
        for d in store.decisions(s.ledger):
            mine = (str(d["return_id"]) in ids if d["kind"] == "finding"
                    else d["contract_id"] == self.contract_id and d["quarter"] == str(self.quarter))
            if not mine:
                continue
            what = (f"return {d['return_id']} {d['code']} {d['cell']}" if d["kind"] == "finding"
                    else f"output {d['output']} credits" if d["kind"] == "credit"
                    else f"return {d['return_id']}" if d["kind"] == "return" else f"plan {d['rap_id']}")
            table.add_row(shown(d["id"]), shown(d["at"][:16].replace("T", " ")), shown(d["who"]), shown(what),
                          shown(d["action"], style="bold"), shown(d["reason"], 80), key=str(d["id"]))

    @on(TabbedContent.TabActivated, "#tabs")
    def focus_tab(self, event: TabbedContent.TabActivated) -> None:
        """A tab chosen by key or mouse puts the cursor in its table, ready for Enter and the decision keys."""
        for table in event.pane.query(DataTable):
            table.focus()
            break

    @on(DataTable.RowSelected, "#versions")
    def pick_version(self, event: DataTable.RowSelected) -> None:
        self.return_id = int(event.row_key.value)
        self.action_refresh()
        self.query_one("#tabs", TabbedContent).active = "tab-findings"

    def action_decide(self, key: str) -> None:
        action = FINDING_ACTIONS[key]
        table = self.query_one("#findings", DataTable)
        f = self.finding_rows.get(_selected_key(table) or "")
        if f is None or self.return_id is None:
            self.app.notify("Choose a finding first (Findings tab).", severity="warning", markup=False)
            return
        rid, code, cell = self.return_id, f["code"], f["cell"]
        about = joined(f"{action.capitalize()} ", (code, "bold"), " at ", (cell, "bold"), f" of return {rid}:\n",
                       (f["message"], ""))

        def record(reason: str | None) -> None:
            if reason:
                self.attempt(store.decide_finding, self.session.ledger, rid, code, cell, action, reason,
                             done=f"Recorded: {action} {code} at {cell} of return {rid}.")

        self.app.push_screen(ReasonModal(f"{action.capitalize()} a finding", about, action.capitalize()), record)

    def action_payment(self, action: str) -> None:
        """Approve or hold the version that counts for payment (whichever version is shown), as the
        Payments screen's a and h do."""
        from swtool.tui.payments import ask_for_payment   # it builds on this module's screens

        c = self.counted
        ask_for_payment(self, action, self.contract_id, self.quarter, c and c["id"], c and c["version"],
                        (c and c["approval"]) or "not reviewed")

    def action_values(self) -> None:
        self.include_personal = not self.include_personal
        self.action_refresh()

    def action_new_plan(self) -> None:
        s = self.session
        from swtool.credits import next_review_date

        name = f"RAP_{self.contract_id}_{str(self.quarter).replace('/', '-')}.xlsx"
        about = joined("For ", (self.contract_id, "bold"), f" {self.quarter}: key issues, an action row per missed "
                       "output and signature blocks, prefilled from the ledger.")
        self.app.push_screen(PlanModal(about, s.plans_dir / name, next_review_date(self.quarter, s.refdata)),
                             self._write_plan)

    def _write_plan(self, request: PlanRequest | None) -> None:
        if request is None:
            return
        s = self.session
        result = self.attempt(rapplan.create, s.ledger, self.contract_id, self.quarter, request.output, s.refdata,
                              s.settings, s.today, request.review, request.reason)
        if result:
            rap_id, written, review = result
            self.app.notify(safe_text(f"Remedial action plan {rap_id} recorded as open (review {uk_date(review)}); "
                                      f"written to {written}", 1000), markup=False, timeout=8)


# --- service credits ---------------------------------------------------------------------------------

class CreditsScreen(LedgerScreen):
    """Every core output's service credits in the quarter (``swtool credits``), to apply or waive."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("a", "decide('apply')", "Apply"),
        Binding("w", "decide('waive')", "Waive"),
    ]

    def __init__(self):
        super().__init__()
        self.lines: dict[str, tuple] = {}      # row key -> (contract's credits, credit line, status)
        self.sub_total = Text("")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="heading")
        yield _table("credits", "contract", "provider", "lot", "output", "target", "actual", "percent",
                     "credit value", "credits", "amount", "status")
        yield Static(id="credit-detail")
        yield Footer()

    def load(self) -> None:
        from swtool.credits import gbp, num, pct

        s = self.session
        self.report = views.credit_report(s.ledger, s.quarter, s.settings)
        setting = ", ".join(f"{k} = {self.report.settings.get(k)}" for k in views.CREDIT_SETTINGS)
        self.query_one("#heading", Static).update(Text(f"Service credits, {s.quarter} (setting {setting}). "
                                                       "a applies, w waives; each needs a reason.", style="bold"))
        table = self.query_one("#credits", DataTable)
        keep = table.cursor_row
        table.clear()
        self.lines = {}
        total = pending = 0
        for cc in self.report.contracts:
            c = cc.contract
            for ln, status in zip(cc.lines, cc.statuses, strict=True):
                key = f"{c.contract_id}|{ln.output}"
                self.lines[key] = (cc, ln, status)
                table.add_row(shown(c.contract_id, style="bold"), shown(c.provider, 36), shown(c.lot),
                              shown(ln.output), shown(num(ln.target)), shown(ln.actual), shown(pct(ln.percent)),
                              shown(None if ln.credit_value is None else gbp(ln.credit_value)),
                              shown(num(ln.credits)), shown(gbp(ln.amount), style="bold" if ln.due else "dim"),
                              shown(status, style=CREDIT_STYLE.get(status, "")), key=key)
                pending += status == "pending"
            total += cc.due_amount
        if table.row_count:
            table.move_cursor(row=min(max(keep, 0), table.row_count - 1))
        self.sub_total = Text(f"{len(self.report.contracts)} contracts in term; due and not waived {gbp(total)}; "
                              f"{pending} decision{'s' * (pending != 1)} pending", style="bold")
        self._detail(_selected_key(table))
        table.focus()

    @on(DataTable.RowHighlighted, "#credits")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.row_key.value)

    def _detail(self, key: str | None) -> None:
        parts = [self.sub_total]
        if key in self.lines:
            parts.append(shown(self.lines[key][1].reason, limit=2000))
        self.query_one("#credit-detail", Static).update(Text("\n").join(parts))

    @on(DataTable.RowSelected, "#credits")
    def open_contract(self, event: DataTable.RowSelected) -> None:
        contract_id = event.row_key.value.split("|")[0]
        self.app.push_screen(ContractScreen(contract_id, self.session.quarter))

    def action_decide(self, action: str) -> None:
        key = _selected_key(self.query_one("#credits", DataTable))
        if key not in self.lines:
            return
        from swtool.credits import gbp, num

        cc, ln, status = self.lines[key]
        cid, s = cc.contract.contract_id, self.session
        about = joined(f"{action.capitalize()} the service credits of ", (cid, "bold"), f" output {ln.output}, "
                       f"{s.quarter}: {num(ln.credits)} credits, {gbp(ln.amount)} (now {status}).\n", (ln.reason, ""))

        def record(reason: str | None) -> None:
            if reason:
                self.attempt(views.decide_credit, s.ledger, cid, s.quarter, ln.output, action, reason, s.settings,
                             done=f"Recorded: {action} service credits for {cid} output {ln.output}.")

        self.app.push_screen(ReasonModal(f"{action.capitalize()} service credits", about, action.capitalize()),
                             record)


# --- remedial action plans ---------------------------------------------------------------------------

class PlansScreen(LedgerScreen):
    """Remedial action plans (``swtool rap list``): open ones, overdue reviews first to the eye; close
    one with a reason."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("x", "close_plan", "Close plan"),
        Binding("t", "toggle_all", "Show closed"),
    ]

    def __init__(self):
        super().__init__()
        self.show_all = False
        self.plans: dict[str, dict] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="heading")
        yield _table("plans", "plan", "contract", "quarter", "status", "review", "opened", "by", "document",
                     "last decision")
        yield Footer()

    def load(self) -> None:
        s = self.session
        rows = store.raps(s.ledger, s.today, include_closed=self.show_all)
        self.plans = {str(r["id"]): r for r in rows}
        overdue = sum(1 for r in rows if r["overdue"])
        self.query_one("#heading", Static).update(Text(
            f"{'All' if self.show_all else 'Open'} remedial action plans on {uk_date(s.today)}: {len(rows)}, "
            f"{overdue} overdue for review. x closes the highlighted plan; Enter opens its contract.", style="bold"))
        table = self.query_one("#plans", DataTable)
        table.clear()
        for r in rows:
            status = "OVERDUE" if r["overdue"] else r["status"]
            table.add_row(shown(r["id"]), shown(r["contract_id"], style="bold"), shown(r["quarter"]),
                          shown(status, style="bold red" if r["overdue"] else ""), shown(r["review_date"]),
                          shown(r["created_at"][:10]), shown(r["created_by"]),
                          shown(Path(r["document"]).name if r["document"] else None), shown(r["last_reason"], 70),
                          key=str(r["id"]))
        table.focus()

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self.action_refresh()

    @on(DataTable.RowSelected, "#plans")
    def open_contract(self, event: DataTable.RowSelected) -> None:
        r = self.plans[event.row_key.value]
        self.app.push_screen(ContractScreen(r["contract_id"], Quarter.parse(r["quarter"])))

    def action_close_plan(self) -> None:
        key = _selected_key(self.query_one("#plans", DataTable))
        r = self.plans.get(key or "")
        if r is None or r["status"] == "closed":
            self.app.notify("Choose an open plan first.", severity="warning", markup=False)
            return
        about = joined(f"Close remedial action plan {r['id']} for ", (r["contract_id"], "bold"),
                       f" {r['quarter']} (review {r['review_date']}).")

        def record(reason: str | None) -> None:
            if reason:
                self.attempt(store.close_rap, self.session.ledger, r["id"], reason,
                             done=f"Remedial action plan {r['id']} closed.")

        self.app.push_screen(ReasonModal("Close a remedial action plan", about, "Close plan"), record)
