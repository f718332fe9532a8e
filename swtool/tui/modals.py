"""Dialogs that ask the PMO for what a decision needs: a reason, a plan's details, files to import.

Each returns what was typed (``dismiss``) and does nothing itself; the screen that asked records it
through the ledger's functions, so a decision made here is the same record as one made in the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RichLog, Static

from swtool.tui.shown import shown


class ReasonModal(ModalScreen[str | None]):
    """Ask why: every decision in the ledger carries a reason. Escape cancels; an empty reason is refused."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, about: Text, action: str, suggestion: str = ""):
        super().__init__()
        self.title_words = title
        self.about = about
        self.action_word = action
        self.suggestion = suggestion

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_words, id="dialog-title", markup=False)
            yield Static(self.about, id="dialog-about")
            yield Label("Reason (kept with the decision):", markup=False)
            yield Input(value=self.suggestion, placeholder="why", id="reason")
            yield Static("", id="dialog-error")
            with Horizontal(id="dialog-buttons"):
                yield Button(self.action_word, id="ok", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.query_one("#dialog-error", Static).update(Text("A decision needs a reason.", style="bold red"))
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass
class PlanRequest:
    output: Path
    review: date | None
    reason: str | None


class PlanModal(ModalScreen[PlanRequest | None]):
    """A new remedial action plan: where to write it, its review date and why (both may be left to
    the defaults: the next quarter's reporting deadline, the core outputs at or below 70%)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, about: Text, output: Path, review: date | None):
        super().__init__()
        self.about = about
        self.output = output
        self.review = review

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("New remedial action plan (App 4)", id="dialog-title", markup=False)
            yield Static(self.about, id="dialog-about")
            yield Label("Write the plan to:", markup=False)
            yield Input(value=str(self.output), id="plan-output")
            yield Label("Review date (YYYY-MM-DD):", markup=False)
            yield Input(value=self.review.isoformat() if self.review else "", id="plan-review")
            yield Label("Reason (blank: the core outputs at or below 70%):", markup=False)
            yield Input(id="plan-reason")
            yield Static("", id="dialog-error")
            with Horizontal(id="dialog-buttons"):
                yield Button("Write and record", id="ok", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#plan-output", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        output = self.query_one("#plan-output", Input).value.strip()
        review_text = self.query_one("#plan-review", Input).value.strip()
        error = self.query_one("#dialog-error", Static)
        if not output.lower().endswith(".xlsx"):
            error.update(Text("The plan is written as an .xlsx file: give a name ending .xlsx.", style="bold red"))
            return
        try:
            review = date.fromisoformat(review_text) if review_text else None
        except ValueError:
            error.update(Text(f"{review_text!r} is not a date in YYYY-MM-DD form.", style="bold red"))
            return
        reason = self.query_one("#plan-reason", Input).value.strip() or None
        self.dismiss(PlanRequest(Path(output).expanduser(), review, reason))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ImportModal(ModalScreen[bool]):
    """Import returns (files or folders) into the ledger, as ``swtool import`` does, in a thread with its
    own connection so the screen stays live; dismisses True when something was imported."""

    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, ledger_path: Path, refdata, settings, today: date, start: str = ""):
        super().__init__()
        self.ledger_path = ledger_path
        self.refdata = refdata
        self.settings = settings
        self.today = today
        self.start = start
        self.imported = False
        self.running = False
        self.said: list[Text] = []      # what the log shows, one entry per line written

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide"):
            yield Label("Import returns", id="dialog-title", markup=False)
            yield Label("A return (.xlsx) or a folder of returns:", markup=False)
            yield Input(value=self.start, placeholder="path", id="import-path")
            yield RichLog(id="import-log", wrap=True, markup=False, highlight=False)
            with Horizontal(id="dialog-buttons"):
                yield Button("Import", id="ok", variant="primary")
                yield Button("Close", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#import-path", Input).focus()

    @on(Input.Submitted, "#import-path")
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        if self.running:
            return
        text = self.query_one("#import-path", Input).value.strip()
        path = Path(text).expanduser()
        if not text or not path.exists():
            self.say(Text.assemble(("No such file or folder: ", "bold red"), shown(text or "(nothing given)")))
            return
        self.running = True
        self.query_one("#ok", Button).disabled = True
        self.say(Text.assemble("Checking and importing ", shown(path), " …"))
        self.run_import(path)

    def say(self, line: Text) -> None:
        self.said.append(line)
        self.query_one("#import-log", RichLog).write(line)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def run_import(self, path: Path) -> None:
        from swtool.errors import SwtoolError
        from swtool.ledger import open_ledger, store

        try:
            with open_ledger(self.ledger_path) as ledger:  # a thread needs its own connection
                results = store.import_returns(ledger, [path], self.refdata, self.settings, self.today)
            lines = [Text.assemble(shown(r.path.name, style="bold"), ": ", shown(r.line(), limit=400))
                     for r in results]
            imported = any(r.status == "imported" for r in results)
            lines.append(Text(f"{len(results)} file{'s' * (len(results) != 1)} done.", style="bold"))
        except SwtoolError as e:
            lines, imported = [Text.assemble(("Not imported: ", "bold red"), shown(str(e), limit=400))], False
        self.app.call_from_thread(self.finished, lines, imported)

    def finished(self, lines: list[Text], imported: bool) -> None:
        for line in lines:
            self.say(line)
        self.imported = self.imported or imported
        self.running = False
        self.query_one("#ok", Button).disabled = False

    @on(Button.Pressed, "#cancel")
    def action_close(self) -> None:
        if not self.running:
            self.dismiss(self.imported)
