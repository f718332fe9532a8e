"""The framework's outputs and lots as codes: their names, which outputs are core, and their order.

Output 2 is 2a (job starts) + 2b (apprenticeship starts); the core outputs of a lot carry service
credits (§4.2, §7.7); sub-lots 1a, 1b and 1c are parts of lot 1 (§2 Table 1). Every list of
outputs or lots that swtool shows is sorted by ``output_order`` or ``lot_order``: 1, 2, 2a, 2b, 3a,
…, 10 (numbers as numbers, not as text).
"""

from __future__ import annotations

import re

JOB_STARTS = ("2a", "2b")  # output 2 = 2a (job starts) + 2b (apprenticeship starts)
COMBINED = "2"

OUTPUT_NAMES = {
    "1": "clients registered",
    "2": "job and apprenticeship starts, 2a + 2b",
    "2a": "job starts",
    "2b": "apprenticeship starts",
    "3a": "jobs sustained 26 weeks",
    "3b": "apprenticeships sustained 26 weeks",
    "4": "progressions into a better role",
    "5": "work placements",
    "6": "accredited skills and training",
}

_LEADING_NUMBER = re.compile(r"(\d+)(.*)")


def output_order(output: str) -> tuple[int, str]:
    """A sort key for output codes: ``1 < 2 < 2a < 2b < 3a < 10``; a code without a number last."""
    m = _LEADING_NUMBER.match(str(output))
    return (int(m.group(1)), m.group(2)) if m else (99, str(output))


def lot_order(lot: str) -> tuple[int, int, str]:
    """A sort key for lots: ``1a < 1b < 2 < 9 < 10``; a lot without a number after every numbered one."""
    m = _LEADING_NUMBER.match(str(lot))
    return (0, int(m.group(1)), m.group(2)) if m else (1, 0, str(lot))


def lot_number(lot) -> str:
    """``"1a"`` → ``"1"``: sub-lots 1a, 1b and 1c are parts of lot 1 (§2 Table 1)."""
    m = re.match(r"\s*(\d+)", str(lot))
    return m.group(1) if m else str(lot).strip()


def core_outputs(lot) -> tuple[str, str]:
    """The core outputs that carry service credits (§4.2, §7.7): ``("2", "4")`` for lots 1–8
    (sub-lots 1a–1c included), ``("1", "4")`` for lot 9. Output 2 is 2a + 2b."""
    return ("1", "4") if lot_number(lot) == "9" else ("2", "4")
