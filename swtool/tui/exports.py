"""x, Export: the screen in view written to a file in a folder the PMO chooses.

On the quarter screen the service credits or payments schedule (xlsx or CSV); on the credits and
payments screens their own schedule; on a contract's screen the findings of the return shown, for its
provider, as the annotated workbook (or a table). The dialog asks what (where there is a choice), the
format and the folder (the last folder used, else the folder swtool review was started in), and only
its Export button writes. The file is written by ``swtool.ledger.exports`` in a worker thread (the
same functions and figures as ``swtool credits`` and ``swtool payments``); its full path is then
shown in a notification and on a line of the screen. A failure (a folder that cannot be written to,
a full disk) is one sentence in the dialog, which stays open for another folder; nothing is written.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Button, Footer, Input, Label, RadioButton, RadioSet, Static

from swtool.report.safe import safe_text
from swtool.tui.base import Delivered, deliver
from swtool.tui.modals import Dialog
from swtool.tui.shown import joined

SCHEDULE_FORMATS = (("xlsx", "Excel workbook (.xlsx)"), ("csv", "CSV (.csv)"))
FINDINGS_FORMATS = (("annotated", "annotated workbook (.xlsx)"), ("xlsx", "table (.xlsx)"), ("csv", "table (.csv)"))


@dataclass
class Choice:
    """One thing the screen in view can export: its words, its formats, and how it is written
    (``write(ledger, folder, fmt)`` → ``exports.Exported``, run in a worker thread)."""

    key: str
    label: str  # in full: "Payments schedule, 2026/27-Q2"
    formats: tuple[tuple[str, str], ...]
    write: Callable
    short: str = ""  # beside its button, where the dialog names the quarter once


def last_folder(app) -> str:
    """The folder of the last export in this review, else the folder the review was started in."""
    return str(getattr(app.session, "export_folder", None) or Path.cwd())


def schedule_choices(session, which: tuple[str, ...] = ("credits", "payments")) -> list[Choice]:
    """The quarter's service credits and payments schedules, for the quarter now under review."""
    from swtool.ledger import exports

    q, settings, refdata = session.quarter, session.settings, session.refdata
    made = {
        "credits": Choice(
            "credits",
            f"Service credits schedule, {q}",
            SCHEDULE_FORMATS,
            lambda ledger, folder, fmt: exports.export_credits(ledger, q, folder, fmt, settings, refdata),
            "Service credits schedule",
        ),
        "payments": Choice(
            "payments",
            f"Payments schedule, {q}",
            SCHEDULE_FORMATS,
            lambda ledger, folder, fmt: exports.export_payments(ledger, q, folder, fmt, settings, refdata),
            "Payments schedule",
        ),
    }
    return [made[k] for k in which]


def findings_choice(session, return_id: int, words: str) -> Choice:
    from swtool.ledger import exports

    refdata = session.refdata
    return Choice(
        "findings",
        words,
        FINDINGS_FORMATS,
        lambda ledger, folder, fmt: exports.export_findings(ledger, return_id, folder, fmt, refdata),
    )


def start_export(screen, choices: list[Choice], what: str = "What:") -> None:
    """Open the Export dialog over ``screen``; once a file is written, say where, in full."""
    app = screen.app

    def written(result) -> None:
        if result is None:
            return
        sentence = safe_text(result.sentence(), 2000)
        app.notify(sentence, title="Exported", markup=False, timeout=12)
        show_written(screen, sentence)

    app.push_screen(ExportModal(choices, last_folder(app), what), written)


def show_written(screen, sentence: str) -> None:
    """A line above the footer of ``screen`` with what the last export wrote, its full path."""
    line = Text.assemble(("Exported: ", "bold green"), sentence.removeprefix("Exported "))
    found = screen.query("#export-written")
    if found:
        found.first().update(line)
        return
    widget = Static(line, id="export-written", classes="detail")
    footers = screen.query(Footer)
    screen.mount(widget, before=footers.first() if footers else None)


def export_from(app) -> None:
    """The command palette's Export…: the screen in view's export, else the quarter screen's."""
    screen = app.screen
    if not hasattr(screen, "action_export"):
        screen = app.home()
    screen.action_export()


class ExportModal(Dialog):
    """What to export (where there is a choice), in which format, to which folder; Export writes."""

    TITLE_WORDS = "Export"
    DEFAULT_CSS = """
    ExportModal RadioSet {
        layout: horizontal;
        height: auto;
        width: 100%;
    }
    ExportModal RadioSet > RadioButton {
        width: auto;
        margin-right: 2;
    }
    ExportModal #export-state {
        height: auto;
    }
    """

    def __init__(self, choices: list[Choice], folder: str, what: str = "What:"):
        super().__init__()
        self.choices = choices
        self.folder = folder
        self.what = what
        self.writing = False

    # --- the dialog --------------------------------------------------------------------------------------

    def body(self) -> ComposeResult:
        if len(self.choices) > 1:
            yield Label(self.what, markup=False)
            with RadioSet(id="export-what"):
                for i, c in enumerate(self.choices):
                    yield RadioButton(c.short or c.label, value=i == 0, id=f"what-{c.key}")
        else:
            yield Static(
                joined("Export the ", (self.choices[0].label[:1].lower() + self.choices[0].label[1:], "bold"), "."),
                id="dialog-about",
            )
        yield Label("Format:", markup=False)
        for c in self.choices:
            with RadioSet(id=f"format-{c.key}", classes="export-format"):
                for j, (fmt, words) in enumerate(c.formats):
                    yield RadioButton(words, value=j == 0, id=f"fmt-{c.key}-{fmt}")
        yield Label("Folder (a new file is written there; no file is replaced):", markup=False)
        yield Input(value=self.folder, placeholder="folder", id="export-folder")
        yield Static("", id="export-state")

    def buttons(self) -> ComposeResult:
        yield Button("Export", id="ok", variant="primary")
        yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        super().on_mount()
        self._show_formats()

    @on(RadioSet.Changed, "#export-what")
    def _show_formats(self) -> None:
        chosen = self.chosen()
        for c in self.choices:
            self.query_one(f"#format-{c.key}", RadioSet).display = c is chosen

    @on(Input.Submitted, "#export-folder")
    def next_field(self) -> None:
        """Enter in the folder moves to the Export button; only the button writes."""
        self.query_one("#ok", Button).focus()

    def chosen(self) -> Choice:
        if len(self.choices) == 1:
            return self.choices[0]
        index = self.query_one("#export-what", RadioSet).pressed_index
        return self.choices[max(index, 0)]

    def chosen_format(self) -> str:
        c = self.chosen()
        index = self.query_one(f"#format-{c.key}", RadioSet).pressed_index
        return c.formats[max(index, 0)][0]

    def pending_words(self) -> str | None:
        if self.writing:
            return "An export is being written."
        return None

    def state(self, words: str, style: str = "") -> None:
        self.query_one("#export-state", Static).update(Text(words, style=style))

    # --- writing -----------------------------------------------------------------------------------------

    @on(Button.Pressed, "#ok")
    def export(self) -> None:
        if self.writing:
            return
        folder = self.query_one("#export-folder", Input).value.strip()
        if not folder:
            self.error("Give the folder to export to.")
            self.query_one("#export-folder", Input).focus()
            return
        choice, fmt = self.chosen(), self.chosen_format()
        self.error("")
        self.writing = True
        self._buttons()
        self.state(f"Writing the {choice.label[:1].lower() + choice.label[1:]} …", style="bold")
        self.write(choice, fmt, folder)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def write(self, choice: Choice, fmt: str, folder: str) -> None:
        from swtool.errors import SwtoolError

        app: Any = self.app  # swtool.tui.app.ReviewApp
        try:
            with app.reading() as ledger:
                result = choice.write(ledger, folder, fmt)
        except SwtoolError as e:
            deliver(self, self.failed, safe_text(e, 1000))
            return
        except OSError as e:  # anything the export did not word itself: one sentence, never a traceback
            deliver(self, self.failed, f"Nothing was written: {safe_text(e.strerror or e, 300)}.")
            return
        except Exception as e:  # noqa: BLE001 (the PMO sees one sentence)
            deliver(self, self.failed, f"Nothing was written: the export failed ({type(e).__name__}).")
            return
        deliver(self, self.done, result, folder)

    def on_delivered(self, message: Delivered) -> None:
        message.run()

    def done(self, result, folder: str) -> None:
        self.writing = False
        app: Any = self.app
        app.session.export_folder = os.path.abspath(os.path.expanduser(folder))
        self.dismiss(result)

    def failed(self, sentence: str) -> None:
        self.writing = False
        self._buttons()
        self.state("")
        self.error(sentence)
        self.query_one("#export-folder", Input).focus()

    def _buttons(self) -> None:
        self.query_one("#ok", Button).disabled = self.writing
        self.query_one("#cancel", Button).disabled = self.writing
        self.query_one("#export-folder", Input).disabled = self.writing

    def action_cancel(self) -> None:
        if not self.writing:
            self.dismiss(None)
