"""Import returns from the review: a preview first, then the files one by one, with a way to stop.

1. A file or folder is named; Enter (or Preview) lists every file with its contract and quarter and
   what importing it would do (new version, unchanged, refused and why), writing nothing.
2. Import writes them one at a time, as ``swtool import`` does, in a worker thread with its own
   connection; each file's result appears in its row as it is done. Stop ends the run after the file
   being imported (a file is never half imported: each is one transaction).
3. The table then lists what happened to each file; Close goes back, and the screens reload.

Space in the preview leaves the highlighted file out of the import.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Input, Label, Static

from swtool.tui.base import Delivered, deliver
from swtool.tui.modals import Dialog
from swtool.tui.shown import shown
from swtool.tui.table import ReviewTable, Row

if TYPE_CHECKING:
    from swtool.ledger.store import ImportResult

OUTCOME_STYLE = {
    "new": "bold green",
    "unchanged": "dim",
    "refused": "bold red",
    "received": "yellow",
    "skip": "dim",
    "imported": "green",
    "already": "dim",
    "failed": "bold red",
    "unreadable": "yellow",
    "unidentified": "yellow",
    "changed": "bold red",
    "stopped": "dim",
}


class ImportModal(Dialog):
    """Import returns (files or folders) into the ledger after a preview; dismisses True when something
    was imported."""

    TITLE_WORDS = "Import returns"
    WIDE = True
    BINDINGS = [Binding("escape", "cancel", "Close"), Binding("space", "skip", "Leave out / put back", show=False)]

    def __init__(self, ledger_path: Path, refdata, settings, today: date, start: str = ""):
        super().__init__()
        self.ledger_path = ledger_path
        self.refdata = refdata
        self.settings = settings
        self.today = today
        self.start = start
        self.stage = "choose"  # choose | previewing | preview | importing | done
        self.planned: list = []  # swtool.ledger.preview.Planned, in import order
        self.skipped: set[str] = set()
        self.results: dict[str, ImportResult] = {}  # path -> what importing it did
        self.imported = False
        self.stop = threading.Event()

    @property
    def running(self) -> bool:
        return self.stage in ("previewing", "importing")

    def body(self) -> ComposeResult:
        yield Label("A return (.xlsx) or a folder of returns:", markup=False)
        yield Input(value=self.start, placeholder="path", id="import-path")
        yield Static("", id="import-state")
        yield ReviewTable("file", "what happens", "contract", "quarter", id="import-files")

    def buttons(self) -> ComposeResult:
        yield Button("Preview", id="preview", variant="primary")
        yield Button("Import", id="ok", variant="success", disabled=True)
        yield Button("Stop after this file", id="stop", disabled=True)
        yield Button("Close", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#import-files").display = False

    def pending_words(self) -> str | None:
        if self.stage == "importing":
            return "An import is running: the file being imported is finished first."
        return None

    def state(self, words: str | Text, style: str = "") -> None:
        self.query_one("#import-state", Static).update(words if isinstance(words, Text) else Text(words, style=style))

    def state_text(self) -> str:
        content = self.query_one("#import-state", Static).content
        return getattr(content, "plain", str(content))

    # --- 1. preview ------------------------------------------------------------------------------------

    @on(Input.Submitted, "#import-path")
    @on(Button.Pressed, "#preview")
    def ask_preview(self) -> None:
        if self.running:
            return
        text = self.query_one("#import-path", Input).value.strip()
        path = Path(text).expanduser()
        if not text or not path.exists():
            self.error(f"No such file or folder: {text or '(nothing given)'}")
            return
        self.error("")
        self.stage = "previewing"
        self.results, self.skipped, self.imported = {}, set(), self.imported
        self.state(Text.assemble("Reading the covers of ", shown(path), " … (nothing is written)"))
        self._buttons()
        self.make_preview(path)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def make_preview(self, path: Path) -> None:
        from swtool.errors import SwtoolError
        from swtool.ledger import open_ledger
        from swtool.ledger.preview import preview_import

        try:
            with open_ledger(self.ledger_path) as ledger:  # a thread needs its own connection
                planned = preview_import(ledger, [path], self.refdata)
            error = None
        except SwtoolError as e:
            planned, error = [], str(e)
        except Exception as e:  # noqa: BLE001 (one sentence, never a traceback)
            planned, error = [], f"the files could not be listed ({type(e).__name__}: {e})"
        self._call(self.previewed, planned, error)

    def _call(self, fn, *args) -> None:
        deliver(self, fn, *args)

    def on_delivered(self, message: Delivered) -> None:
        message.run()

    def previewed(self, planned: list, error: str | None) -> None:
        self.stage = "preview" if planned else "choose"
        self.planned = planned
        if error:
            self.error(f"Nothing can be imported: {error}")
        elif not planned:
            self.error("No .xlsx file there: nothing to import.")
        self._rows()
        self._summary()
        self._buttons()
        if planned:
            table = self.query_one("#import-files", ReviewTable)
            table.display = True
            table.focus()

    def _summary(self) -> None:
        if self.stage != "preview":
            return
        counts: dict[str, int] = {}
        for p in self.planned:
            key = "skip" if str(p.path) in self.skipped else p.outcome
            counts[key] = counts.get(key, 0) + 1
        words = {
            "new": "new version",
            "unchanged": "unchanged",
            "refused": "refused",
            "received": "received only",
            "skip": "left out",
        }
        parts = [f"{n} {words[k]}{'s' * (n != 1 and k == 'new')}" for k, n in counts.items()]
        n = len(self.planned)
        self.state(
            Text.assemble(
                (f"{n} file{'s' * (n != 1)}: {', '.join(parts)}. Nothing has been written yet. ", "bold"),
                "Import writes them one by one; Space leaves the highlighted file out; Close cancels.",
            )
        )

    def to_import(self) -> list:
        return [p for p in self.planned if p.imports and str(p.path) not in self.skipped]

    def _rows(self) -> None:
        rows = []
        for p in self.planned:
            key = str(p.path)
            result = self.results.get(key)
            if result is not None:
                what = shown(result.line(), limit=400, style=OUTCOME_STYLE.get(result.status, ""))
            elif key in self.skipped:
                what = shown("left out: not imported", style="dim")
            else:
                what = shown(p.words, limit=400, style=OUTCOME_STYLE.get(p.outcome, ""))
            rows.append(Row(key, [shown(p.path.name, 60, style="bold"), what, shown(p.contract), shown(p.quarter)], p))
        self.query_one("#import-files", ReviewTable).set_rows(rows)

    def action_skip(self) -> None:
        if self.stage != "preview":
            return
        p = self.query_one("#import-files", ReviewTable).row_data()
        if p is None or not p.imports:
            return
        key = str(p.path)
        self.skipped.symmetric_difference_update({key})
        self._rows()
        self._summary()
        self._buttons()

    # --- 2. import, file by file ----------------------------------------------------------------------

    @on(Button.Pressed, "#ok")
    def start_import(self) -> None:
        files = self.to_import()
        if self.stage != "preview" or not files:
            return
        self.stage = "importing"
        self.stop.clear()
        self._buttons()
        self.state(f"Importing 1 of {len(files)}: {files[0].path.name} …")
        self.run_import([p.path for p in files])

    @work(thread=True, exclusive=True, exit_on_error=False)
    def run_import(self, paths: list[Path]) -> None:
        from swtool.errors import SwtoolError
        from swtool.ledger import open_ledger, store

        error = None
        try:
            with open_ledger(self.ledger_path) as ledger:
                for i, path in enumerate(paths):
                    if self.stop.is_set():
                        self._call(self.stopped, paths[i:])
                        break
                    self._call(self.state, f"Importing {i + 1} of {len(paths)}: {path.name} …")
                    results = store.import_returns(ledger, [path], self.refdata, self.settings, self.today)
                    self._call(self.one_done, path, results)
        except SwtoolError as e:
            error = str(e)
        except Exception as e:  # noqa: BLE001 (one sentence, never a traceback)
            error = f"the import stopped ({type(e).__name__}: {e})"
        self._call(self.finished, error)

    def one_done(self, path: Path, results: list) -> None:
        for r in results:
            self.results[str(path)] = r
            self.imported = self.imported or r.status == "imported"
        self._rows()

    def stopped(self, left: list[Path]) -> None:
        from swtool.ledger.store import ImportResult

        for p in left:
            self.results[str(p)] = ImportResult(p, "stopped", message="the import was stopped")
        self._rows()

    def finished(self, error: str | None) -> None:
        self.stage = "done"
        self._buttons()
        if error:
            self.error(f"Not imported: {error}")
        done = [r for r in self.results.values() if r.status != "stopped"]
        imported = sum(r.status == "imported" for r in done)
        left = len(self.results) - len(done)
        self.state(
            Text(
                f"{len(done)} file{'s' * (len(done) != 1)} done: {imported} imported"
                + (f"; {left} not imported (stopped)" if left else "")
                + ". Close goes back.",
                style="bold",
            )
        )
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#stop")
    def ask_stop(self) -> None:
        if self.stage == "importing":
            self.stop.set()
            self.state("Stopping after the file being imported …", style="bold yellow")

    # --- buttons ---------------------------------------------------------------------------------------

    def _buttons(self) -> None:
        stage = self.stage
        files = self.to_import()
        ok = self.query_one("#ok", Button)
        ok.disabled = stage != "preview" or not files
        ok.label = f"Import {len(files)} file{'s' * (len(files) != 1)}" if stage == "preview" else "Import"
        self.query_one("#preview", Button).disabled = self.running
        self.query_one("#stop", Button).disabled = stage != "importing"
        self.query_one("#cancel", Button).disabled = self.running
        self.query_one("#import-path", Input).disabled = self.running

    def action_cancel(self) -> None:
        if self.stage == "importing":
            self.ask_stop()
            return
        if self.running:
            return
        self.dismiss(self.imported)

    def lines(self) -> list[str]:
        """What the table shows, a file a line: name, then what happens (or happened) to it."""
        return [f"{r[0]}: {r[1]}" for r in self.query_one("#import-files", ReviewTable).plain_rows()]
