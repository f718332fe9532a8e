"""Small helpers shared by the rule modules: masks to row indices, values and dates for messages.

Rules work on whole columns (a return can hold 100,000 rows) and only loop over the rows that fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from swtool.model.quarter import uk_date


def indices(mask) -> Iterator[int]:
    """Positional row indices where a boolean Series/array is true (NA counts as false)."""
    import numpy as np

    if isinstance(mask, np.ndarray) and mask.dtype.kind == "b":
        arr = mask
    elif isinstance(getattr(mask, "dtype", None), np.dtype) and mask.dtype.kind == "b" and hasattr(mask, "to_numpy"):
        arr = mask.to_numpy()  # (NumPy bools have no NA: ``to_numpy(dtype=, na_value=)`` costs 20× more)
    elif hasattr(mask, "to_numpy"):
        arr = mask.to_numpy(dtype=bool, na_value=False)
    else:
        arr = np.asarray(mask, dtype=bool)
    return (int(i) for i in np.flatnonzero(arr))


def value(table, i: int, header: str):
    """The typed value at row ``i`` of ``header`` as a plain Python value (None when blank).

    For many rows of one table, ``Cells`` is faster: it converts each column once.
    """
    return plain(table.df[header].iat[i])


class Cells:
    """Typed values of a table's rows for messages, each column fetched from the frame once (a frame
    look-up per failing row costs more than the check itself when a large return fails throughout)."""

    def __init__(self, table):
        self.table = table
        self._cols: dict = {}

    def column(self, header: str):
        col = self._cols.get(header)
        if col is None:
            col = self._cols[header] = self.table.df[header].to_numpy()
        return col

    def __call__(self, i: int, header: str):
        return plain(self.column(header)[i])

    def client(self, i: int) -> str:
        ref = self(i, "Client ref")
        return f"client {ref}" if ref else f"the client in row {self.table.rows[i]}"


def plain(v):
    """A NumPy/pandas scalar as a plain value: datetime64 → date, NaN/NaT/NA/None → None."""
    import numpy as np

    if v is None:
        return None
    if isinstance(v, np.datetime64):
        return None if np.isnat(v) else v.astype("datetime64[D]").item()
    try:
        if v != v:  # NaN
            return None
    except TypeError:  # pandas NA
        return None
    if hasattr(v, "to_pydatetime"):
        return v.to_pydatetime().date()
    if hasattr(v, "item"):
        return v.item()
    return v


def day(v) -> str:
    """A date (or pandas Timestamp) as providers write it: 14/10/2026."""
    if v is None:
        return "(no date)"
    if hasattr(v, "to_pydatetime"):
        v = v.to_pydatetime()
    if isinstance(v, datetime):
        v = v.date()
    return uk_date(v)


def unreadable(sub, table, header: str):
    """True at rows whose cell was not read as a value: S004 (not its type) or S009 (a formula with no
    saved value). Blank in the frame, but not empty, so "missing" rules leave them to those findings."""
    import numpy as np

    rows = {
        f.where.row
        for code in ("S004", "S009")
        for f in sub.read_flags.get(code, ())
        if f.where.sheet == table.sheet and f.where.header == header
    }
    return np.isin(table.rows, list(rows)) if rows else np.zeros(len(table), dtype=bool)


def blank(series):
    """True where a column is empty."""
    return series.isna()


def shared(sub, ctx, make, *args):
    """``make(sub, ctx, *args)``, worked out once per return and rule context and shared by the rules
    that ask (several build the same frames, which costs more than the checks on a small return).
    Callers must not change what they are given. Kept on the context, which one return's run owns
    (``runner.rule_context``), so nothing is shared between returns or threads."""
    memo = getattr(ctx, "memo", None)
    if memo is None:
        return make(sub, ctx, *args)
    key = (make, *args)
    hit = memo.get(key)
    if hit is not None and hit[0] is sub:
        return hit[1]
    got = make(sub, ctx, *args)
    memo[key] = (sub, got)
    return got


def history_frame(ctx, sheet: str):
    """Rows of ``sheet`` from every earlier return of this contract, with the quarter they came from.

    Columns are the template's headers plus ``_quarter`` (a Quarter) and ``_file``; empty when there
    is no history. Built once per context and sheet: callers must not change it.
    """
    return shared(ctx.history, ctx, _history_frame, sheet)


def _history_frame(_history, ctx, sheet: str):
    import pandas as pd

    frames = []
    for h in ctx.history:
        t = h.tables[sheet]
        if len(t):
            f = t.df.copy()
            f["_quarter"] = h.quarter
            f["_file"] = str(h.path)
            frames.append(f)
    if not frames:
        return pd.DataFrame(columns=[*_headers(sheet), "_quarter", "_file"])
    return pd.concat(frames, ignore_index=True)


def _headers(sheet: str) -> list[str]:
    from swtool.model import standard as std

    return next(s for s in std.RETURN_SHEETS if s.name == sheet).headers


def outside_quarter(dates, q):
    """Which dates of a column fall outside quarter ``q`` (blank ones do not): C201, C216 and R117 ask
    the same question of Date achieved, Start date and Registration date."""
    import numpy as np
    import pandas as pd

    if dates.dtype.kind != "M":
        return dates.notna() & ((dates < pd.Timestamp(q.start)) | (dates > pd.Timestamp(q.end)))
    days = dates.to_numpy()  # NaT compares false either way
    return pd.Series((days < np.datetime64(q.start)) | (days > np.datetime64(q.end)), index=dates.index)
