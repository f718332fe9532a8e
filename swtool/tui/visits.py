"""A contract's monitoring visits and review meetings, and the actions agreed at them and in its remedial
action plans (``swtool visit list --contract C`` and ``swtool actions --contract C`` show the same).

Open actions first, overdue ones at the top; ``d`` marks the highlighted action done with a reason
(``swtool actions done``: a new record, the action is never changed); ``t`` shows the done ones too.
Visits are recorded with ``swtool visit add``.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Input, Static

from swtool.ledger import visits
from swtool.tui.base import FilterBar, LedgerScreen, ReviewFooter, count
from swtool.tui.modals import ReasonModal
from swtool.tui.shown import joined, shown, uk_day, uk_stamp
from swtool.tui.table import ReviewTable, Row

ACTION_COLUMNS = ("action", "due", "state", "owner", "what", "from")
VISIT_COLUMNS = ("visit", "date", "kind", "open actions", "by", "notes")


class VisitsScreen(LedgerScreen):
    """One contract's visits and meetings, and its actions with owner, due date and a done mark (✓)."""

    BINDINGS = [
        Binding("d", "done", "Mark done"),
        Binding("t", "toggle_done", "Show done"),
    ]

    def __init__(self, contract_id: str):
        super().__init__()
        self.contract_id = contract_id
        self.show_done = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="heading")
        yield ReviewTable(*ACTION_COLUMNS, id="actions")
        yield FilterBar()
        yield Static(id="action-detail", classes="detail")
        yield ReviewTable(*VISIT_COLUMNS, id="visits")
        yield ReviewFooter(compact=True)

    def fetch(self, ledger):
        day = self.session.today
        return (
            visits.visits(ledger, self.contract_id),
            visits.actions(ledger, day, open_only=not self.show_done, contract=self.contract_id),
        )

    def show(self, data) -> None:
        seen, acts = data
        late = sum(a["overdue"] for a in acts)
        still = sum(not a["done"] for a in acts)
        self.query_one("#heading", Static).update(
            joined(
                ("Visits and actions", "bold"),
                " of ",
                (self.contract_id, "bold"),
                f" on {uk_day(self.session.today.isoformat())}: {count(still, 'open action')}, ",
                (f"{late} overdue", "bold red" if late else ""),
                f"; visits and meetings recorded: {len(seen)}. d marks the highlighted action done, t "
                f"{'hides' if self.show_done else 'shows'} done actions; record visits with swtool visit add.",
            )
        )
        self.query_one("#actions", ReviewTable).set_rows(
            [
                Row(
                    str(a["id"]),
                    [
                        shown(a["id"]),
                        shown(uk_day(a["due_date"])),
                        _state(a),
                        shown(a["owner"], 30),
                        shown(a["action"], 80),
                        shown(a["source"]),
                    ],
                    a,
                )
                for a in acts
            ]
        )
        self.query_one("#visits", ReviewTable).set_rows(
            [
                Row(
                    str(v["id"]),
                    [
                        shown(v["id"]),
                        shown(uk_day(v["visit_date"])),
                        shown(v["kind"]),
                        shown(f"{v['open']} of {v['actions']}"),
                        shown(v["recorded_by"]),
                        shown(v["notes"], 120),
                    ],
                    v,
                )
                for v in seen
            ]
        )
        self._detail()
        if not isinstance(self.app.focused, Input):
            self.focus_table()

    @on(DataTable.RowHighlighted, "#actions")
    def highlighted(self) -> None:
        self._detail()

    def _detail(self) -> None:
        a = self.query_one("#actions", ReviewTable).row_data()
        pane = self.query_one("#action-detail", Static)
        if a is None:
            pane.update(Text("No open actions." + ("" if self.show_done else " t shows done ones too."), style="green"))
            return
        lines = [
            joined(f"Action {a['id']}, agreed at ", (a["source"], "bold"), ": ", (a["action"], "")),
            joined(
                "Owner ",
                (a["owner"], "bold"),
                ", due ",
                (uk_day(a["due_date"]), "bold"),
                "; recorded ",
                (uk_stamp(a["recorded_at"]), ""),
                " by ",
                (a["recorded_by"], ""),
            ),
        ]
        if a["done"]:
            lines.append(
                joined(
                    f"{visits.DONE} done ",
                    (uk_stamp(a["done_at"]), ""),
                    " by ",
                    (a["done_by"], ""),
                    ": ",
                    (a["done_reason"], ""),
                )
            )
        pane.update(Text("\n").join(lines))

    def action_toggle_done(self) -> None:
        self.show_done = not self.show_done
        self.action_refresh()

    def action_done(self) -> None:
        a = self.query_one("#actions", ReviewTable).row_data()
        if a is None or a["done"]:
            self.app.notify("Choose an open action first.", severity="warning", markup=False)
            return
        about = joined(
            f"Mark action {a['id']} of ",
            (self.contract_id, "bold"),
            " done: ",
            (a["action"], ""),
            " (",
            (a["owner"], ""),
            f", due {uk_day(a['due_date'])}).",
        )

        def record(reason: str | None) -> None:
            if reason:
                self.attempt(
                    visits.mark, self.session.ledger, a["id"], "done", reason, done=f"Action {a['id']} marked done."
                )

        self.app.push_screen(ReasonModal("Mark an action done", about, "Mark done"), record)


def _state(a: dict) -> Text:
    if a["done"]:
        return shown(visits.DONE, style="green")
    return shown("OVERDUE", style="bold red") if a["overdue"] else shown("open")
