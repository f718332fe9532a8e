"""What every screen of the review shares: the keys that mean the same everywhere, data read in a
worker thread with a loading state, the filter bar under a table, and ledger errors shown, not raised.

A screen says what it reads in ``fetch(ledger)`` (run in a worker thread on the app's reading
connection, never touching a widget) and puts it on screen in ``show(data)`` (on the app's thread).
Writes (decisions, plans, imports) go through the session's own connection, then the screen reloads.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label, Static
from textual.widgets._footer import FooterKey

from swtool.errors import SwtoolError
from swtool.report.safe import safe_text
from swtool.tui.table import ReviewTable

if TYPE_CHECKING:
    from textual import getters

    from swtool.tui.app import ReviewApp, Session  # the app imports the screens, which import this module

log = logging.getLogger(__name__)

LOADING_AFTER = 0.2  # seconds a screen's first read may take before its table says it is loading


def count(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def selected_key(table: DataTable) -> str | None:
    if table.row_count == 0:
        return None
    row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
    return row_key.value


class Delivered(Message):
    """What a worker thread found, handed to the app's thread without waiting for it (post_message is
    thread-safe; a worker blocked on call_from_thread would hold up the app's exit)."""

    def __init__(self, fn, args: tuple) -> None:
        super().__init__()
        self.fn, self.args = fn, args

    def run(self) -> None:
        self.fn(*self.args)


def deliver(node, fn, *args) -> None:
    """Run ``fn(*args)`` on the app's thread, from a worker thread; ``node`` handles ``Delivered``."""
    node.post_message(Delivered(fn, args))


class ReviewFooter(Footer):
    """The screen's keys in one line that fits the terminal, rebuilt only when they change.

    The keys are shown in the order the screen lists them (the order says which matter most); a key
    that would not fit whole is left off with those after it, rather than cut ("x Expor"): ? lists
    every key of the screen. Textual's own Footer removes and mounts every key again whenever a
    screen's bindings are refreshed (each change of focus, of tab or of highlighted row), which was
    most of the time taken to open a contract; this one keeps its keys while the set shown is the same.
    """

    _shown: tuple | None = None

    def _keys(self) -> tuple:
        """What is shown: (key, what the key reads, description, action, enabled, tooltip) for each key
        that fits, the first binding of each action as Textual's Footer takes it, then the width."""
        width = self.app.size.width
        out, used, actions = [], 0, set()
        for _, b, enabled, tooltip in self.screen.active_bindings.values():
            if not b.show or b.action in actions:
                continue
            actions.add(b.action)
            shown = self.app.get_key_display(b)
            need = cell_len(shown) + (1 + cell_len(b.description) if b.description else 0)
            if used + need > width:
                break
            used += need + 1  # each key has a column of margin after it
            out.append((b.key, shown, b.description, b.action, enabled, tooltip))
        return (tuple(out), width)

    def compose(self):
        # the keys are known when the screen is composed: mount them with it rather than after its
        # first frame (Textual's Footer waits for the first refresh of bindings, then mounts them)
        if not self.is_attached:
            return
        self._bindings_ready = True
        self._shown = self._keys()
        keys, _ = self._shown
        for key, shown, description, action, enabled, tooltip in keys:
            yield FooterKey(key, shown, description, action, disabled=not enabled, tooltip=tooltip).data_bind(
                compact=Footer.compact
            )

    async def recompose(self) -> None:
        if not self.is_attached or self._pruning or not self._bindings_ready or self._keys() == self._shown:
            return
        await super().recompose()

    def on_resize(self) -> None:
        self.call_after_refresh(self.recompose)


class FilterBar(Horizontal):
    """``/`` words to narrow the table to (every word must appear in a row), and what the table shows:
    rows shown of all, the quick filter, the sort. Enter keeps the filter, Esc clears it."""

    BINDINGS = [Binding("escape", "clear", "Clear filter")]

    if TYPE_CHECKING:

        @property
        def screen(self) -> LedgerScreen: ...  # a filter bar is only ever put on a LedgerScreen

    def compose(self):
        yield Label("/", id="filter-prompt")
        yield Static(id="table-state")  # the text box goes before it when the bar is first shown (field)

    def mounted_field(self) -> Input | None:
        """The text box, if the bar has been shown."""
        for box in self.query("#filter-input").results(Input):
            return box
        return None

    def field(self) -> Input:
        """The text box; mounted the first time the bar is shown (most screens are seen without it)."""
        box = self.mounted_field()
        if box is None:
            box = Input(id="filter-input", compact=True, placeholder="words to look for; Enter keeps, Esc clears")
            self.mount(box, before="#table-state")
        return box

    @on(Input.Changed, "#filter-input")
    def narrow(self, event: Input.Changed) -> None:
        table = self.screen.current_table()
        if table is not None:
            table.set_filter(event.value)

    @on(Input.Submitted, "#filter-input")
    def keep(self) -> None:
        self.screen.focus_table()

    def action_clear(self) -> None:
        field = self.mounted_field()
        if field is not None:
            field.value = ""
        table = self.screen.current_table()
        if table is not None:
            table.set_filter("")
        self.screen.focus_table()

    def open(self, table: ReviewTable) -> None:
        self.display = True
        field = self.field()
        field.value = table.filter_text
        field.focus()

    def describe(self, table: ReviewTable | None) -> None:
        if table is None:
            self.display = False
            return
        field = self.field() if table.narrowed else self.mounted_field()  # shown while narrowed, with the box
        if field is not None and field.value != table.filter_text:
            with field.prevent(Input.Changed):
                field.value = table.filter_text
        self.query_one("#table-state", Static).update(Text(table.state(), style="dim"))
        self.display = table.narrowed or (field is not None and field.has_focus)


class LedgerScreen(Screen):
    """A screen over the ledger: q quits, ? explains, / filters, Esc goes back (but from the first screen)."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("q", "app.quit_review", "Quit"),
        Binding("question_mark,f1", "app.help", "Help", key_display="?"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("r", "refresh", "Refresh", show=False),
    ]
    CAN_GO_BACK = True
    HELP_TOPIC = ""  # the section of swtool.tui.help that explains the screen

    _stale = False
    _seq = 0  # the load in flight: an older one's result is dropped
    loaded = False  # the first load has been shown
    shown_seq = 0  # the load whose result (or failure) is on screen: _seq once the latest read is shown

    if TYPE_CHECKING:  # the review's screens run in its app only (textual's own typing pattern)
        app = getters.app(ReviewApp)

    @property
    def session(self) -> Session:
        return self.app.session

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "back":
            return self.CAN_GO_BACK
        return True

    def action_back(self) -> None:
        if self.CAN_GO_BACK:
            self.app.pop_screen()

    HOLD_FRAMES = False  # a screen opened over another: keep that one in view until the figures are read
    _held = None  # the app's batch_update while frames are held

    def hold_frames(self) -> None:
        """Paint nothing until this screen's read is on it, or LOADING_AFTER has passed (then its table
        says it is loading): the terminal keeps the screen below meanwhile. The screen is then laid out and
        painted once, with its figures, rather than empty first and again a blink later."""
        if self._held is None:
            self._held = self.app.batch_update()
            self._held.__enter__()
            self.app.set_timer(LOADING_AFTER, self._release_frames)

    def _release_frames(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.__exit__(None, None, None)

    def on_unmount(self) -> None:
        self._release_frames()

    def on_mount(self) -> None:
        if self.HOLD_FRAMES and not self.loaded:
            self.hold_frames()
        self.action_refresh()
        if not self.loaded:  # a read done within a blink shows no loading state (it would only flicker)
            self.set_timer(LOADING_AFTER, self._show_loading)

    def _show_loading(self) -> None:
        """The table in view says it is loading. Only that one: a tab out of sight is filled by the same
        read, and each loading indicator is a widget of its own, animated, that would cost and show nothing."""
        table = self.current_table()
        if table is not None and not self.loaded:
            table.loading = True

    # another screen or a dialog may change the ledger: reload on coming back, unless already done
    def on_screen_suspend(self) -> None:
        self._stale = True
        self._release_frames()

    def on_screen_resume(self) -> None:
        if self._stale:
            self.action_refresh()
            if not self.loaded:  # a screen kept by the app and given other data (ContractScreen.reopen)
                self.set_timer(LOADING_AFTER, self._show_loading)

    # --- reading, in a worker ------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self._stale = False
        self._seq += 1
        if type(self).fetch is LedgerScreen.fetch:  # a screen that reads on the app's thread (``load``)
            try:
                self.load()
            except SwtoolError as e:
                self.app.notify(safe_text(e, 1000), severity="error", markup=False, timeout=8)
            self._ready()
            return
        self.read(self._seq)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def read(self, seq: int) -> None:
        try:
            with self.app.reading() as ledger:
                data = self.fetch(ledger)
        except SwtoolError as e:
            self._report(self._failed, seq, safe_text(e, 1000))
            return
        except Exception as e:  # noqa: BLE001 (the PMO sees one sentence; SWTOOL_DEBUG logs the rest)
            log.debug("reading the ledger for %s failed", type(self).__name__, exc_info=True)
            self._report(
                self._failed,
                seq,
                f"could not read the ledger for this screen ({type(e).__name__}: {safe_text(e, 300)})",
            )
            return
        self._report(self._loaded, seq, data)

    def _report(self, fn, *args) -> None:
        deliver(self, fn, *args)

    def on_delivered(self, message: Delivered) -> None:
        message.run()

    def _loaded(self, seq: int, data) -> None:
        if seq != self._seq or not self.is_attached:
            return
        self.show(data)
        self._ready()

    def _failed(self, seq: int, message: str) -> None:
        if seq != self._seq or not self.is_attached:
            return
        self._ready()
        self.app.notify(message, severity="error", markup=False, timeout=8)

    def _ready(self) -> None:
        for table in self.query(ReviewTable):
            table.loading = False
        self.loaded = True
        self.shown_seq = self._seq
        self._release_frames()
        self.describe_table()

    def load(self) -> None:  # pragma: no cover - a screen has fetch and show, or load
        raise NotImplementedError

    def fetch(self, ledger):  # pragma: no cover - each screen has its own
        """Read what the screen shows (worker thread: no widgets here)."""
        raise NotImplementedError

    def show(self, data) -> None:  # pragma: no cover - each screen has its own
        raise NotImplementedError

    # --- writing -------------------------------------------------------------------------------------

    def attempt(self, fn, *args, done: str | None = None):
        """Run a ledger call; a refusal (LedgerError) is shown as a notification, and nothing changes."""
        try:
            result = fn(*args)
        except SwtoolError as e:
            self.app.notify(safe_text(e, 1000), severity="error", markup=False, timeout=8)
            return None
        if done:
            self.app.notify(done, markup=False)
        self.action_refresh()
        return result

    # --- the table in view ---------------------------------------------------------------------------

    def current_table(self) -> ReviewTable | None:
        """The table the filter, sort and decision keys act on: the one in view."""
        for table in self.query(ReviewTable):
            if all(node.display for node in table.ancestors_with_self if node is not self):
                return table
        return None

    def focus_table(self) -> None:
        table = self.current_table()
        if table is not None:
            table.focus()
        self.describe_table()

    def describe_table(self) -> None:
        for bar in self.query(FilterBar):
            bar.describe(self.current_table())

    def action_filter(self) -> None:
        table = self.current_table()
        bars = self.query(FilterBar)
        if table is None or not bars or not table.managed:
            self.app.notify("This screen's table has no filter.", severity="warning", markup=False)
            return
        bars.first().open(table)

    @on(ReviewTable.Narrowed)
    def _narrowed(self, event: ReviewTable.Narrowed) -> None:
        if event.table is self.current_table():
            self.describe_table()
