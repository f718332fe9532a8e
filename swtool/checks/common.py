"""Small helpers shared by the rule modules: masks to row indices, values and dates for messages.

Rules work on whole columns (a return can hold 100,000 rows) and only loop over the rows that fail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterator

from swtool.quarter import uk_date


def indices(mask) -> Iterator[int]:
    """Positional row indices where a boolean Series/array is true (NA counts as false)."""
    import numpy as np

    arr = mask.to_numpy(dtype=bool, na_value=False) if hasattr(mask, "to_numpy") else np.asarray(mask, dtype=bool)
    return (int(i) for i in np.flatnonzero(arr))


def value(table, i: int, header: str):
    """The typed value at row ``i`` of ``header`` as a plain Python value (None when blank)."""
    v = table.df[header].iat[i]
    if v is None:
        return None
    try:
        if v != v:  # NaN, NaT
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


def blank(series):
    """True where a column is empty."""
    return series.isna()


def history_frame(ctx, sheet: str):
    """Rows of ``sheet`` from every earlier return of this contract, with the quarter they came from.

    Columns are the template's headers plus ``_quarter`` (a Quarter) and ``_file``; empty when there
    is no history.
    """
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
    from swtool import standard as std

    return [s for s in std.RETURN_SHEETS if s.name == sheet][0].headers
