"""The Payments screen: what finance pays each contract for the quarter (``swtool payments``).

The figures are ``swtool.ledger.payments.schedule``'s, the same as the command's; approving or holding
a return goes through ``store.decide_return``, the call behind ``swtool approve``, with a reason.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from swtool.calc import money
from swtool.ledger import payments, store
from swtool.tui.modals import ReasonModal
from swtool.tui.screens import ContractScreen, LedgerScreen, _selected_key, _table
from swtool.tui.shown import joined, shown

APPROVAL_STYLE = {"approved": "green", "held": "bold red", "not reviewed": "bold yellow", "no return counted": "dim"}


class PaymentsScreen(LedgerScreen):
    """One row a contract: counted return, approval, expenditure, invoice, credits applied, net payable."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("a", "decide('approve')", "Approve"),
        Binding("h", "decide('hold')", "Hold"),
    ]

    def __init__(self):
        super().__init__()
        self.rows: dict[str, payments.Payment] = {}
        self.summary = Text("")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="heading")
        yield _table("payments", "contract", "return", "approval", "expenditure", "invoice", "credits applied",
                     "Q4 balancing", "net payable", "provider")
        yield Static(id="payment-detail")
        yield Footer()

    def load(self) -> None:
        s = self.session
        schedule = payments.schedule(s.ledger, s.quarter, s.settings, s.refdata)
        self.query_one("#heading", Static).update(Text(
            f"Payments, {s.quarter}. a approves the counted return for payment, h holds it; each needs a reason.",
            style="bold"))
        table = self.query_one("#payments", DataTable)
        keep = table.cursor_row
        table.clear()
        self.rows = {}

        def amount(x):
            return shown("-" if x is None else money.gbp(x))

        for p in schedule.payments:
            self.rows[p.contract] = p
            table.add_row(shown(p.contract, style="bold"),
                          shown("-" if p.return_id is None else f"{p.return_id} (v{p.version})"),
                          shown(p.approval, style=APPROVAL_STYLE.get(p.approval, "")),
                          amount(p.expenditure), amount(p.invoice), amount(p.credits_applied),
                          amount(p.q4_balancing), shown("-" if p.net_payable is None else money.gbp(p.net_payable),
                                                        style="bold"),
                          shown(p.provider, 36), key=p.contract)
        t = schedule.totals
        approved = sum(p.approval == "approved" for p in schedule.payments)
        self.summary = Text(f"{len(schedule.payments)} contracts; {approved} approved; invoices {money.gbp(t['invoice'])}; "
                            f"credits applied {money.gbp(t['credits_applied'])}; net payable "
                            f"{money.gbp(t['net_payable'])}", style="bold")
        if table.row_count:
            table.move_cursor(row=min(max(keep, 0), table.row_count - 1))
        self._detail(_selected_key(table))
        table.focus()

    @on(DataTable.RowHighlighted, "#payments")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.row_key.value)

    def _detail(self, key: str | None) -> None:
        parts = [self.summary]
        p = self.rows.get(key)
        if p is not None:
            parts += [joined((f"{figure}: ", "bold"), (words, "")) for figure, words in p.inputs]
        self.query_one("#payment-detail", Static).update(Text("\n").join(parts))

    @on(DataTable.RowSelected, "#payments")
    def open_contract(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(ContractScreen(event.row_key.value, self.session.quarter))

    def action_decide(self, action: str) -> None:
        p = self.rows.get(_selected_key(self.query_one("#payments", DataTable)))
        if p is None:
            return
        if p.return_id is None:
            self.app.notify(f"{p.contract} has no counted return for {self.session.quarter}: nothing to "
                            f"{action}.", severity="warning", markup=False)
            return
        verb = "Approve" if action == "approve" else "Hold"
        invoice = "-" if p.invoice is None else money.gbp(p.invoice)
        about = joined(f"{verb} return {p.return_id} (version {p.version}) of ", (p.contract, "bold"),
                       f" for {self.session.quarter}: invoice {invoice}, credits applied "
                       f"{money.gbp(p.credits_applied)} (now {p.approval}).")

        def record(reason: str | None) -> None:
            if reason:
                self.attempt(store.decide_return, self.session.ledger, p.return_id, action, reason,
                             self.session.refdata,
                             done=f"Recorded: {action} return {p.return_id} of {p.contract}.")

        self.app.push_screen(ReasonModal(f"{verb} a return for payment", about, verb), record)
