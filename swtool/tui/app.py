"""``swtool review``: the PMO's terminal UI over the ledger.

The app holds one ``Session`` (the open ledger, the reference data, the settings in force, the day
deadlines are counted from, the quarter under review) and shows it through the screens of
``swtool.tui.screens``. It writes nothing itself: decisions, plans and imports go through the same
ledger functions as ``swtool decide``, ``swtool rap`` and ``swtool import``. (The one write of its own:
a return imported before the ledger kept the contract screen's rows gets them kept the first time it is
opened, from its stored workbook: ``swtool.ledger.spend.keep_from_review``.)

Screens read in worker threads (``swtool.tui.base``) through one read-only connection of the app's,
used by one thread at a time; writes go through the session's connection on the app's thread.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.screen import ModalScreen

from swtool.model.quarter import Quarter
from swtool.read.workbook import start_child_server
from swtool.tui.commands import ReviewCommands
from swtool.tui.screens import QuarterScreen

if TYPE_CHECKING:
    from swtool.ledger.db import Ledger
    from swtool.model.refdata import RefData
    from swtool.tui.screens import ContractScreen

log = logging.getLogger(__name__)


@dataclass
class Session:
    ledger: Ledger  # used from the app's thread only
    refdata: RefData
    settings: dict
    today: date
    quarter: Quarter
    plans_dir: Path  # where new remedial action plans are written by default
    import_start: str = ""  # the path the import dialog offers first


def _reader(path: Path):
    """A read-only connection to the ledger that worker threads may use (one at a time, under a lock)."""
    from swtool.ledger import Ledger

    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA busy_timeout = 10000")
    return Ledger(Path(path), conn)


class ReviewApp(App):
    """Review a quarter's returns, decide on findings and service credits, and follow up plans."""

    CSS_PATH = "review.tcss"
    TITLE = "swtool review"
    COMMANDS = App.COMMANDS | {ReviewCommands}
    BINDINGS = [
        # ctrl+q works inside a text box too, where q is a letter; both ask first if a dialog holds typing
        Binding("ctrl+q", "quit_review", "Quit", show=False, priority=True),
        Binding("q", "quit_review", "Quit", show=False),
        Binding("f1", "help", "Help", show=False),
        Binding("ctrl+f", "find_client", "Find client", show=False),
    ]

    def __init__(self, session: Session):
        super().__init__()
        self.session = session
        self._read_lock = threading.Lock()
        self._read_ledger = None
        # a return not kept for the review (swtool.ledger.spend), as its workbook gave it: return id ->
        # ({finding seq: (redacted message, value)}, {Expenditure row: Comment})
        self.redacted: dict[int, tuple[dict, dict]] = {}
        self.across: tuple[int, list] | None = None  # (the ledger's data_version, C219/C220 of every return)
        self._contract_screen: ContractScreen | None = None  # kept while out of sight: show_contract
        start_child_server()  # before Textual takes stderr: imports read workbooks from a thread

    quarter_screen: QuarterScreen  # the first screen, never closed

    def on_mount(self) -> None:
        self.quarter_screen = QuarterScreen()
        self.push_screen(self.quarter_screen)

    def on_unmount(self) -> None:
        if self._read_ledger is not None:
            self._read_ledger.conn.close()

    @work(thread=True, exclusive=True, group="across", exit_on_error=False)
    def warm_across(self) -> None:
        """C219/C220 across every contract, worked out in the background once the first screen is shown,
        so that opening a contract does not wait for them (``screens.across``)."""
        from swtool.tui.screens import across

        try:
            with self.reading() as ledger:
                across(self, ledger)
        except Exception:  # noqa: BLE001 (the contract screen works them out again, and says so if it fails)
            log.debug("working out C219/C220 in the background failed", exc_info=True)

    @contextmanager
    def reading(self):
        """The read-only ledger for a worker thread; one reader at a time."""
        with self._read_lock:
            if self._read_ledger is None:
                self._read_ledger = _reader(self.session.ledger.path)
            yield self._read_ledger

    # --- keys that mean the same on every screen ------------------------------------------------------

    def action_quit_review(self) -> None:
        """Quit; when a dialog holds something the PMO typed (or an import is running), ask first."""
        from swtool.tui.modals import ConfirmModal, Dialog

        screen = self.screen
        if isinstance(screen, ConfirmModal):
            return
        pending = screen.pending_words() if isinstance(screen, Dialog) else None
        if not pending:
            self.exit()
            return

        def answer(quit_: bool | None) -> None:
            if quit_:
                self.exit()

        self.push_screen(
            ConfirmModal("Quit swtool review?", f"{pending} Nothing of it is recorded if you quit.", "Quit", "Stay"),
            answer,
        )

    def action_help(self) -> None:
        from swtool.tui.help import HelpScreen, help_text

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        under = self.screen
        if isinstance(under, ModalScreen):  # help on a dialog: the screen it decides for
            under = self.screen_stack[-2] if len(self.screen_stack) > 1 else under
        self.push_screen(HelpScreen(*help_text(under)))

    def action_find_client(self, client_ref: str = "") -> None:
        from swtool.tui.find import FindScreen

        if isinstance(self.screen, ModalScreen):
            return
        self.push_screen(FindScreen(client_ref))

    # --- going places (the command palette) --------------------------------------------------------------

    def home(self) -> QuarterScreen:
        """Back to the quarter screen, closing whatever is above it."""
        while len(self.screen_stack) > 1 and not isinstance(self.screen, QuarterScreen):
            self.pop_screen()
        return self.quarter_screen

    def open_contract(self, contract_id: str) -> None:
        self.home()
        self.show_contract(contract_id, self.session.quarter)

    def show_contract(self, contract_id: str, quarter: Quarter, return_id: int | None = None) -> None:
        """Open a contract's quarter. The app keeps one contract screen and shows each contract on it in
        turn (``ContractScreen.reopen``); a second one is built only when it is already on the stack
        (a contract opened from the client search over another)."""
        from swtool.tui.screens import ContractScreen

        kept = self._contract_screen
        if kept is None:
            kept = self._contract_screen = ContractScreen(contract_id, quarter, return_id)
            self.install_screen(kept, name="contract")
            self.push_screen(kept)
        elif kept in self.screen_stack:
            self.push_screen(ContractScreen(contract_id, quarter, return_id))
        else:
            kept.reopen(contract_id, quarter, return_id)
            self.push_screen(kept)

    def go_to_quarter(self, quarter: Quarter) -> None:
        self.home().go_to_quarter(quarter)

    def open_screen(self, name: str) -> None:
        home = self.home()
        {
            "credits": home.action_credits,
            "payments": home.action_payments,
            "plans": home.action_plans,
            "import": home.action_import,
        }[name]()
