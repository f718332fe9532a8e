"""The review's tables: the row's identity fixed at the left, keys for the first and last row, a text
filter and a sort, the same on every screen.

A screen gives the table every row (``set_rows``); the table shows those that pass the filter (``/``,
every word must appear in the row) and the screen's quick filter, in the order chosen (``o`` orders by
the next column, ``O`` reverses, a click on a header sorts by it). The highlighted row stays the same
row through a reload, a filter or a sort whenever it is still shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable


@dataclass
class Row:
    key: str
    cells: Sequence[Text]
    data: Any = None  # what the screen needs to act on the row (each screen its own kind)


_UK_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})")
_NUMBER = re.compile(r"^[-−]?£?[\d,]+(\.\d+)?%?$")


def sort_value(text: str) -> tuple:
    """How a cell sorts: numbers (amounts, percentages, counts) by value, UK dates by date, other text
    alphabetically; a blank cell ("-") last whichever the direction."""
    t = text.strip()
    if t in ("", "-"):
        return (2, 0, "")
    m = _UK_DATE.match(t)
    if m:
        day, month, year = m.groups()
        return (0, Decimal(f"{year}{month}{day}"), t)
    if _NUMBER.match(t):
        try:  # for ordering only, never shown
            return (0, Decimal(t.replace("£", "").replace(",", "").replace("%", "").replace("−", "-")), t)
        except InvalidOperation:
            pass
    return (1, 0, t.casefold())


class ReviewTable(DataTable):
    """A row-cursor DataTable whose first column (the contract, plan or finding) stays put while the
    rest scrolls sideways."""

    BINDINGS = [
        Binding("g,home", "first_row", "First row", show=False),
        Binding("G,end", "last_row", "Last row", show=False),
        Binding("o", "sort_next", "Sort", show=False),
        Binding("O", "sort_reverse", "Reverse sort", show=False),
    ]

    class Narrowed(Message):
        """The rows shown changed (a load, a filter or a sort): the screen updates its status line."""

        def __init__(self, table: ReviewTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> ReviewTable:
            return self.table

    def __init__(self, *columns: str, id: str, fixed: int = 1):
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, fixed_columns=fixed)
        self.column_names = list(columns)
        self.rows_all: list[Row] = []
        self.shown_rows: list[Row] = []
        self.filter_text = ""
        self.quick: Callable[[Row], bool] | None = None
        self.quick_name = ""
        self.sort_column: int | None = None
        self.sort_reverse = False
        self.managed = False  # rows given by set_rows (a screen that adds rows itself gets no filter or sort)
        for c in columns:
            self.add_column(c, key=c)

    # --- rows ------------------------------------------------------------------------------------------

    def set_rows(self, rows: list[Row], keep: bool = True) -> None:
        """Show ``rows`` (all of them, before any filter); the highlighted row stays highlighted."""
        self.rows_all = rows
        self.managed = True
        self._show(keep)

    def row_data(self, key: str | None = None):
        """The ``data`` of the highlighted row (or of ``key``); None when nothing is shown."""
        key = self.current_key() if key is None else key
        return next((r.data for r in self.shown_rows if r.key == key), None)

    def current_key(self) -> str | None:
        if self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    def plain_rows(self) -> list[list[str]]:
        return [[c.plain for c in r.cells] for r in self.shown_rows]

    def _matches(self, row: Row) -> bool:
        if self.quick is not None and not self.quick(row):
            return False
        words = self.filter_text.casefold().split()
        if not words:
            return True
        text = " ".join(c.plain for c in row.cells).casefold()
        return all(w in text for w in words)

    def _show(self, keep: bool = True) -> None:
        if not self.managed:
            return
        was_key = self.current_key() if keep else None
        was_row = self.cursor_row
        rows = [r for r in self.rows_all if self._matches(r)]
        if self.sort_column is not None:
            i = self.sort_column
            blanks = [r for r in rows if sort_value(r.cells[i].plain)[0] == 2]
            rest = sorted(
                (r for r in rows if sort_value(r.cells[i].plain)[0] != 2),
                key=lambda r: sort_value(r.cells[i].plain),
                reverse=self.sort_reverse,
            )
            rows = rest + blanks
        self.shown_rows = rows
        self.clear()
        for r in rows:
            self.add_row(*r.cells, key=r.key)
        self._measure()
        if rows:
            keys = [r.key for r in rows]
            index = keys.index(was_key) if was_key in keys else min(max(was_row, 0), len(rows) - 1)
            self.move_cursor(row=index)
        self._relabel()
        self.post_message(self.Narrowed(self))

    def _measure(self) -> None:
        """The columns' widths for the rows just given, now: Textual's DataTable measures them when the
        table next falls idle, and a frame drawn before that (a busy machine) cuts every column to its
        header's width."""
        if self._require_update_dimensions:
            self._require_update_dimensions = False
            new_rows = self._new_rows.copy()
            self._new_rows.clear()
            self._update_dimensions(new_rows)

    # --- filter and sort ---------------------------------------------------------------------------------

    def set_filter(self, text: str) -> None:
        if text != self.filter_text:
            self.filter_text = text
            self._show()

    def set_quick(self, name: str, test: Callable[[Row], bool] | None) -> None:
        self.quick_name, self.quick = name, test
        self._show()

    def sort_by(self, column: int | None, reverse: bool = False) -> None:
        self.sort_column, self.sort_reverse = column, reverse
        self._show()

    def action_sort_next(self) -> None:
        """The next column, ascending; after the last column, the order the screen gave."""
        nxt = 0 if self.sort_column is None else self.sort_column + 1
        self.sort_by(nxt if nxt < len(self.column_names) else None)

    def action_sort_reverse(self) -> None:
        if self.sort_column is None:
            self.sort_by(0, True)
        else:
            self.sort_by(self.sort_column, not self.sort_reverse)

    @on(DataTable.HeaderSelected)
    def _header(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        i = event.column_index
        self.sort_by(i, reverse=self.sort_column == i and not self.sort_reverse)

    def _relabel(self) -> None:
        """The sorted column's header carries an arrow."""
        for i, column in enumerate(self.ordered_columns):
            label = self.column_names[i]
            if i == self.sort_column:
                label += " ▼" if self.sort_reverse else " ▲"
            column.label = Text(label)
        self.refresh()

    def state(self) -> str:
        """One line for the screen: rows shown of all, the filters and the sort in force."""
        parts = [f"{len(self.shown_rows)} of {len(self.rows_all)} rows"]
        if self.quick_name:
            parts.append(self.quick_name)
        if self.filter_text.strip():
            parts.append(f"filter “{self.filter_text.strip()}”")
        if self.sort_column is not None:
            parts.append(
                f"sorted by {self.column_names[self.sort_column]}{' (descending)' if self.sort_reverse else ''}"
            )
        return "; ".join(parts)

    @property
    def narrowed(self) -> bool:
        return bool(self.filter_text.strip() or self.quick is not None or self.sort_column is not None)

    # --- moving ----------------------------------------------------------------------------------------------

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)
