"""Dialogs that ask the PMO for what a decision needs: a reason, a plan's details, a yes or no.

Each returns what was typed (``dismiss``) and does nothing itself; the screen that asked records it
through the ledger's functions, so a decision made here is the same record as one made in the CLI.

Every dialog fits the terminal: its text scrolls between the title and the buttons, which stay in
view. In a dialog of several fields Enter moves to the next field, and only a button (Enter on it, or
a click) confirms; Esc cancels and records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from swtool.model.quarter import uk_date


class Dialog(ModalScreen):
    """A dialog: a title, a body that scrolls, a line for what is wrong, and buttons that stay in view."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    TITLE_WORDS = ""
    WIDE = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide" if self.WIDE else ""):
            yield Label(self.title_words(), id="dialog-title", markup=False)
            with VerticalScroll(id="dialog-body"):
                yield from self.body()
            yield Static("", id="dialog-error")
            with Horizontal(id="dialog-buttons"):
                yield from self.buttons()

    def title_words(self) -> str:
        return self.TITLE_WORDS

    def body(self) -> ComposeResult:  # pragma: no cover - each dialog has its own
        yield from ()

    def buttons(self) -> ComposeResult:
        yield Button("OK", id="ok", variant="primary")
        yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._given = {id(i): i.value for i in self.query(Input)}
        self.focus_first()

    def focus_first(self) -> None:
        fields = self.query(Input)
        if fields:
            fields.first().focus()
        else:
            self.query_one("#ok", Button).focus()

    def pending_words(self) -> str | None:
        """What quitting now would lose, in words; None when nothing was typed."""
        given = getattr(self, "_given", {})
        if any(i.value != given.get(id(i), "") for i in self.query(Input)):
            return "This dialog holds text you typed."
        return None

    def error(self, words: str) -> None:
        self.query_one("#dialog-error", Static).update(Text(words, style="bold red"))

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmModal(Dialog):
    """Yes or no; Esc is no."""

    def __init__(self, title: str, about: str | Text, yes: str, no: str = "Cancel"):
        super().__init__()
        self.words, self.about, self.yes, self.no = title, about, yes, no

    def title_words(self) -> str:
        return self.words

    def body(self) -> ComposeResult:
        yield Static(self.about if isinstance(self.about, Text) else Text(self.about), id="dialog-about")

    def buttons(self) -> ComposeResult:
        yield Button(self.yes, id="ok", variant="error")
        yield Button(self.no, id="cancel")

    def focus_first(self) -> None:
        self.query_one("#cancel", Button).focus()  # the safe answer is the one Enter gives

    @on(Button.Pressed, "#ok")
    def confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ReasonModal(Dialog):
    """Ask why: every decision in the ledger carries a reason. The dialog names what the decision is
    about; Enter in the one field confirms; Escape cancels; an empty reason is refused."""

    def __init__(self, title: str, about: Text, action: str, suggestion: str = ""):
        super().__init__()
        self.words = title
        self.about = about
        self.action_word = action
        self.suggestion = suggestion

    def title_words(self) -> str:
        return self.words

    def body(self) -> ComposeResult:
        yield Static(self.about, id="dialog-about")
        yield Label("Reason (kept with the decision):", markup=False)
        yield Input(value=self.suggestion, placeholder="why", id="reason")

    def buttons(self) -> ComposeResult:
        yield Button(self.action_word, id="ok", variant="primary")
        yield Button("Cancel", id="cancel")

    @on(Input.Submitted, "#reason")
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.error("A decision needs a reason.")
            self.query_one("#reason", Input).focus()
            return
        self.dismiss(reason)


@dataclass
class PlanRequest:
    output: Path
    review: date | None
    reason: str | None


def parse_day(text: str) -> date:
    """A date as the PMO types it: 13/01/2027 (the UK form the screens show), or 2027-01-13."""
    t = text.strip()
    if "/" in t:
        day, month, year = t.split("/")
        if len(year) != 4:
            raise ValueError(t)
        return date(int(year), int(month), int(day))
    return date.fromisoformat(t)


class PlanModal(Dialog):
    """A new remedial action plan: where to write it, its review date and why (both may be left to
    the defaults: the next quarter's reporting deadline, the core outputs at or below 70%)."""

    TITLE_WORDS = "New remedial action plan (App 4)"

    def __init__(self, about: Text, output: Path, review: date | None):
        super().__init__()
        self.about = about
        self.output = output
        self.review = review

    def body(self) -> ComposeResult:
        yield Static(self.about, id="dialog-about")
        yield Label("Write the plan to:", markup=False)
        yield Input(value=str(self.output), id="plan-output")
        yield Label("Review date (dd/mm/yyyy):", markup=False)
        yield Input(value=uk_date(self.review) if self.review else "", id="plan-review")
        yield Label("Reason (blank: the core outputs at or below 70%):", markup=False)
        yield Input(id="plan-reason")

    def buttons(self) -> ComposeResult:
        yield Button("Write and record", id="ok", variant="primary")
        yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        """Enter moves on: to the next field, and from the last one to the button that records."""
        fields = list(self.query(Input))
        i = fields.index(event.input)
        if i + 1 < len(fields):
            fields[i + 1].focus()
        else:
            self.query_one("#ok", Button).focus()

    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        output = self.query_one("#plan-output", Input).value.strip()
        review_text = self.query_one("#plan-review", Input).value.strip()
        if not output.lower().endswith(".xlsx"):
            self.error("The plan is written as an .xlsx file: give a name ending .xlsx.")
            self.query_one("#plan-output", Input).focus()
            return
        try:
            review = parse_day(review_text) if review_text else None
        except ValueError:
            self.error(f"{review_text!r} is not a date like 13/01/2027.")
            self.query_one("#plan-review", Input).focus()
            return
        reason = self.query_one("#plan-reason", Input).value.strip() or None
        self.dismiss(PlanRequest(Path(output).expanduser(), review, reason))
