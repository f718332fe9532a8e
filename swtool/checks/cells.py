"""Cell values for messages, fast: each column is fetched from the frame once, not once per cell.

``common.value(table, i, header)`` looks the column up in the DataFrame on every call, which costs
more than the check itself when tens of thousands of rows fail; ``Cells`` keeps each column as a
NumPy array and turns one element at a time into a plain Python value (dates as ``date``, blanks
as None), exactly as ``common.value`` does.
"""

from __future__ import annotations


class Cells:
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
