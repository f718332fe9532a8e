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
        _start_child_server()

    def on_mount(self) -> None:
        self.push_screen(QuarterScreen())


def _start_child_server() -> None:
    """Start multiprocessing's fork server and resource tracker now, while stderr is the terminal's.

    Workbooks are read in child processes (swtool.reader), started from a thread here, through the
    fork server. Started later, from inside the app, the server would be handed the app's captured
    stderr, which has no file descriptor, and every check would fail ("bad value(s) in fds_to_keep").
    """
    from multiprocessing import forkserver, resource_tracker

    from swtool.reader import workbook

    if workbook.isolation_available():
        import multiprocessing as mp

        mp.get_context("forkserver").set_forkserver_preload(["swtool.reader.workbook", "openpyxl"])
        resource_tracker.ensure_running()
        forkserver.ensure_running()
