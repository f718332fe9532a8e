"""The review's own commands in the command palette (ctrl+p): open a contract, go to a quarter, the
service credits, payments and plans screens, import, export, find a client ref, help.

Each command does what its key does on the quarter screen, from wherever the palette was opened
(the screens above the quarter screen are closed first), but Export…, which exports from the screen in
view as its x key does (from the quarter screen when that screen has no export).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from swtool.tui.app import ReviewApp  # the app imports this module


class ReviewCommands(Provider):
    """swtool review's commands, listed when the palette opens and found by fuzzy search."""

    if TYPE_CHECKING:

        @property
        def app(self) -> ReviewApp: ...  # the palette of swtool review only

    async def startup(self) -> None:
        self.commands = self._commands()

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        from swtool.ledger import store
        from swtool.model.quarter import Quarter
        from swtool.report.safe import safe_text
        from swtool.tui.exports import export_from

        app = self.app
        s = app.session
        out: list[tuple[str, str, Callable[[], Any]]] = [
            (
                "Service credits",
                "apply or waive the quarter's service credits (c)",
                partial(app.open_screen, "credits"),
            ),
            ("Payments", "what finance pays each contract; approve or hold (f)", partial(app.open_screen, "payments")),
            ("Remedial action plans", "open plans, overdue reviews; close one (p)", partial(app.open_screen, "plans")),
            (
                "Import returns",
                "preview, then import returns from a file or folder (i)",
                partial(app.open_screen, "import"),
            ),
            ("Find a client ref", "every return in every quarter naming a client (ctrl+f)", app.action_find_client),
            (
                "Export…",
                "the screen in view to a file: schedules as xlsx or CSV, a return's findings for its provider (x)",
                partial(export_from, app),
            ),
            ("Help", "keys and what each column, flag and status means (?)", app.action_help),
        ]
        register = store.current_register(s.ledger)
        for cid, c in sorted((register.contracts if register else {}).items()):
            out.append(
                (
                    f"Open contract {cid}",
                    safe_text(f"{c.provider}, lot {c.lot}, {s.quarter}", 200),
                    partial(app.open_contract, cid),
                )
            )
        for q in sorted(s.refdata.deadlines):
            try:
                quarter = Quarter.parse(q)
            except ValueError:
                continue
            out.append(
                (f"Go to quarter {q}", "the quarter screen for that quarter", partial(app.go_to_quarter, quarter))
            )
        return out

    async def discover(self) -> Hits:
        for title, help_, command in self.commands:
            yield DiscoveryHit(title, command, help=help_)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_, command in self.commands:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), command, help=help_)
