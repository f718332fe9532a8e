"""The Payments screen: what finance pays each contract for the quarter (``swtool payments``).

The figures are ``swtool.ledger.payments.schedule``'s, the same as the command's; approving or holding
a return goes through ``store.decide_return``, the call behind ``swtool approve``, with a reason.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Input, Static

from swtool.calc import money
from swtool.ledger import payments, store
from swtool.tui.base import FilterBar, ReviewFooter
from swtool.tui.modals import ReasonModal
from swtool.tui.screens import APPROVAL_STYLE as _RETURN_APPROVAL
from swtool.tui.screens import LedgerScreen, _table
from swtool.tui.shown import joined, shown
from swtool.tui.table import ReviewTable, Row

APPROVAL_STYLE = {**_RETURN_APPROVAL, "no return counted": "dim"}

# What the PMO decides on comes first (approval, net payable), then the terms of net payable
# (invoice − credits applied; the invoice is expenditure − disallowed, or the Q4 balancing payment):
# at 80 columns the decision and its amount are on screen, the rest scrolls, and the pane under the
# table spells out every input of the highlighted row.
COLUMNS = (
    "contract",
    "return",
    "approval",
    "net payable",
    "invoice",
    "credits applied",
    "Q4 balancing",
    "expenditure",
    "provider",
)


def ask_for_payment(
    screen: LedgerScreen,
    action: str,
    contract: str,
    quarter,
    return_id: int | None,
    version: int | None,
    approval: str,
    figures: str = "",
) -> None:
    """Approve (``action`` "approve") or hold ("hold") a contract's counted return for ``quarter`` for
    payment, with a reason asked in a dialog; Escape records nothing. Shared by the Payments and
    contract screens."""
    if return_id is None:
        screen.app.notify(
            f"{contract} has no return that counts for {quarter}: nothing to {action}.",
            severity="warning",
            markup=False,
        )
        return
    verb = "Approve" if action == "approve" else "Hold"
    about = joined(
        f"{verb} return {return_id} (version {version}, the version that counts) of ",
        (contract, "bold"),
        f" for {quarter}{figures} (now {approval}).",
        "" if action == "approve" else " A held return is not payable until it is approved.",
    )
    outcome = "approved for payment" if action == "approve" else "held: not payable"

    def record(reason: str | None) -> None:
        if reason:
            screen.attempt(
                store.decide_return,
                screen.session.ledger,
                return_id,
                action,
                reason,
                screen.session.refdata,
                screen.session.today,
                done=f"Recorded: return {return_id} of {contract} {outcome}.",
            )

    screen.app.push_screen(ReasonModal(f"{verb} a return for payment", about, verb), record)


class PaymentsScreen(LedgerScreen):
    """One row a contract: counted return, approval, net payable, invoice, credits applied, expenditure."""

    HELP_TOPIC = "payments"
    BINDINGS = [
        Binding("a", "decide('approve')", "Approve"),
        Binding("h", "decide('hold')", "Hold"),
        Binding("x", "export", "Export"),
    ]

    def __init__(self):
        super().__init__()
        self.summary = Text("")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="heading")
        yield _table("payments", *COLUMNS)
        yield FilterBar()
        yield Static(id="payment-detail", classes="detail")
        yield ReviewFooter(compact=True, show_command_palette=False)

    def fetch(self, ledger):
        s = self.session
        return payments.schedule(ledger, s.quarter, s.settings, s.refdata)

    def show(self, schedule) -> None:
        s = self.session
        self.query_one("#heading", Static).update(
            Text(
                f"Payments, {s.quarter}: only approved returns are payable. a approves the counted return, h holds "
                "it (each needs a reason); Enter opens the contract.",
                style="bold",
            )
        )

        def amount(x, style: str = ""):
            return shown("-" if x is None else money.gbp(x), style=style)

        rows = [
            Row(
                p.contract,
                [
                    shown(p.contract, style="bold"),
                    shown(p.return_id),
                    shown(p.approval, style=APPROVAL_STYLE.get(p.approval, "")),
                    amount(p.net_payable, "bold"),
                    amount(p.invoice),
                    amount(p.credits_applied),
                    amount(p.q4_balancing),
                    amount(p.expenditure),
                    shown(p.provider, 36),
                ],
                p,
            )
            for p in schedule.payments
        ]
        t = schedule.totals
        approved = sum(p.approval == "approved" for p in schedule.payments)
        n = len(schedule.payments)
        self.summary = Text(
            f"{n} contract{'s' * (n != 1)}; {approved} approved; invoices "
            f"{money.gbp(t['invoice'])}; credits applied {money.gbp(t['credits_applied'])}; "
            f"net payable {money.gbp(t['net_payable'])}",
            style="bold",
        )
        self.query_one("#payments", ReviewTable).set_rows(rows)
        self._detail()
        if not isinstance(self.app.focused, Input):
            self.focus_table()

    @on(DataTable.RowHighlighted, "#payments")
    def highlighted(self) -> None:
        self._detail()

    def _detail(self) -> None:
        parts = [self.summary]
        p = self.query_one("#payments", ReviewTable).row_data()
        if p is not None:
            parts.append(
                joined(
                    (p.contract, "bold"),
                    " · ",
                    (p.provider, ""),
                    " · lot ",
                    (p.lot, ""),
                    ": ",
                    (p.approval, APPROVAL_STYLE.get(p.approval, "")),
                )
            )
            # an input names every figure it was worked out from: never cut short
            parts += [Text.assemble((f"{figure}: ", "bold"), shown(words, limit=2000)) for figure, words in p.inputs]
        self.query_one("#payment-detail", Static).update(Text("\n").join(parts))

    def action_export(self) -> None:
        from swtool.tui.exports import schedule_choices, start_export

        start_export(self, schedule_choices(self.session, ("payments",)))

    @on(DataTable.RowSelected, "#payments")
    def open_contract(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:  # each row is keyed by its contract
            self.app.show_contract(event.row_key.value, self.session.quarter)

    def action_decide(self, action: str) -> None:
        p = self.query_one("#payments", ReviewTable).row_data()
        if p is None:
            return
        invoice = "-" if p.invoice is None else money.gbp(p.invoice)
        ask_for_payment(
            self,
            action,
            p.contract,
            self.session.quarter,
            p.return_id,
            p.version,
            p.approval,
            f": invoice {invoice}, credits applied {money.gbp(p.credits_applied)}",
        )
