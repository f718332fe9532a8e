"""``swtool review``: the PMO's terminal UI over the ledger.

The app holds one ``Session`` (the open ledger, the reference data, the settings in force, the day
deadlines are counted from, the quarter under review) and shows it through the screens of
``swtool.tui.screens``. It writes nothing itself: decisions, plans and imports go through the same
ledger functions as ``swtool decide``, ``swtool rap`` and ``swtool import``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from textual.app import App

from swtool.quarter import Quarter
from swtool.reader.workbook import start_child_server
from swtool.tui.screens import QuarterScreen


@dataclass
class Session:
    ledger: object              # swtool.ledger.db.Ledger, used from the app's thread only
    refdata: object
    settings: dict
    today: date
    quarter: Quarter
    plans_dir: Path             # where new remedial action plans are written by default
    import_start: str = ""      # the path the import dialog offers first


class ReviewApp(App):
    """Review a quarter's returns, decide on findings and service credits, and follow up plans."""

    CSS_PATH = "review.tcss"
    TITLE = "swtool review"

    def __init__(self, session: Session):
        super().__init__()
        self.session = session
        start_child_server()  # before Textual takes stderr: imports read workbooks from a thread

    def on_mount(self) -> None:
        self.push_screen(QuarterScreen())

