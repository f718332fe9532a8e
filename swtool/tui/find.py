"""Find a client ref across every return of every quarter (ctrl+f, or the command palette), as
``swtool find CLIENT_REF`` lists it; Enter on a row opens that contract's quarter at that version."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Input, Label, Static

from swtool.ledger.find import client_ref_problem, find_client, standing_words
from swtool.model.quarter import Quarter
from swtool.tui.base import FilterBar, LedgerScreen, ReviewFooter, count
from swtool.tui.shown import joined, shown, uk_day
from swtool.tui.table import ReviewTable, Row


class FindScreen(LedgerScreen):
    """Every registration and claim naming a client ref, oldest quarter first."""

    HELP_TOPIC = "find"

    def __init__(self, client_ref: str = ""):
        super().__init__()
        self.client_ref = client_ref.strip()

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="find-bar"):
            yield Label("Client ref: ", markup=False)
            yield Input(value=self.client_ref, placeholder="e.g. SW700005, then Enter", id="client-ref", compact=True)
        yield Static(id="heading")
        yield ReviewTable(
            "quarter", "contract", "return", "record", "row", "claim", "output", "date", "standing", id="found"
        )
        yield FilterBar()
        yield Static(id="found-detail", classes="detail")
        yield ReviewFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        if not self.client_ref:
            self.query_one("#client-ref", Input).focus()

    @on(Input.Submitted, "#client-ref")
    def look_up(self, event: Input.Submitted) -> None:
        problem = client_ref_problem(event.value)
        if problem:
            self.query_one("#heading", Static).update(Text(problem[0].upper() + problem[1:] + ".", style="bold red"))
            return
        self.client_ref = event.value.strip()
        self.action_refresh()
        self.query_one("#found").focus()

    def fetch(self, ledger):
        if not self.client_ref or client_ref_problem(self.client_ref):
            return None
        return find_client(ledger, self.client_ref, self.session.refdata)

    def show(self, found) -> None:
        heading = self.query_one("#heading", Static)
        table = self.query_one("#found", ReviewTable)
        if found is None:
            heading.update(
                Text(
                    "Type a client ref and press Enter: every return of every quarter naming it is listed.", style="dim"
                )
            )
            table.set_rows([])
            return
        returns = len({f.return_id for f in found})
        heading.update(
            joined(
                "Client ref ",
                (self.client_ref, "bold"),
                f": {count(len(found), 'row')} in {count(returns, 'return')}"
                if found
                else ": no return in the ledger names it.",
            )
        )
        table.set_rows(
            [
                Row(
                    f"{f.return_id}|{f.cell}",
                    [
                        shown(f.quarter, style="bold"),
                        shown(f.contract, style="bold"),
                        shown(f"{f.return_id} (v{f.version}, {f.version_standing})"),
                        shown(f.record),
                        shown(f.cell),
                        shown(f.claim_ref),
                        shown(f.output),
                        shown(uk_day(f.date)),
                        shown(standing_words(f), 80, style="" if f.counts is not False and f.row_valid else "yellow"),
                    ],
                    f,
                )
                for f in found
            ]
        )
        self._detail()

    @on(DataTable.RowHighlighted, "#found")
    def highlighted(self) -> None:
        self._detail()

    def _detail(self) -> None:
        f = self.query_one("#found", ReviewTable).row_data()
        pane = self.query_one("#found-detail", Static)
        if f is None:
            pane.update("")
            return
        pane.update(
            Text("\n").join(
                [
                    joined(
                        (f.contract, "bold"),
                        f" {f.quarter}: return {f.return_id}, version {f.version} ",
                        (f.version_standing, ""),
                        f"; {f.record} at ",
                        (f.cell, "bold"),
                        *(
                            (" claim ", (f.claim_ref, "bold"), " output ", (f.output, ""))
                            if f.record == "claim"
                            else ()
                        ),
                    ),
                    shown(standing_words(f), limit=2000),
                    Text("Enter opens the contract's quarter at this version.", style="dim"),
                ]
            )
        )

    @on(DataTable.RowSelected, "#found")
    def open_return(self, event: DataTable.RowSelected) -> None:
        f = self.query_one("#found", ReviewTable).row_data(event.row_key.value)
        self.app.show_contract(f.contract, Quarter.parse(f.quarter), f.return_id)
