"""K703, shared outputs: shared job and apprenticeship starts against the 20% cap (App 2 §2.3).

A provider may share a job or apprenticeship start (2a, 2b) with another provider, but shared ones
may be at most 20% of the contract's 2a + 2b claims to date; exactly 20% is within. The comparison
is exact (``swtool.calc.money.over_share``). Pure, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from swtool.calc import money
from swtool.calc.money import pct
from swtool.model.outputs import JOB_STARTS


@dataclass(frozen=True)
class SharedCap:
    job_starts: int  # 2a + 2b claims to date
    shared: int  # of which shared with another provider
    percent: Decimal | None
    over: bool  # K703: more than 20%
    message: str


def _claim_fields(c) -> tuple[str, str | None]:
    if isinstance(c, Mapping):
        output = c.get("Output", c.get("output"))
        shared = c.get("Shared with provider", c.get("shared_with"))
    elif isinstance(c, tuple | list):
        output, shared = c[0], (c[1] if len(c) > 1 else None)
    else:
        output, shared = c.output, getattr(c, "shared_with", None)
    shared = None if shared is None or (isinstance(shared, float) and shared != shared) else str(shared).strip()
    return str(output or "").strip(), shared or None


def shared_cap(claims_to_date: Iterable) -> SharedCap:
    """K703 (App 2 §2.3): shared job and apprenticeship outputs (2a + 2b with ``Shared with
    provider`` filled) over 20% of the contract's 2a + 2b claims to date. Exactly 20% is quiet.

    ``claims_to_date``: the contract's claims so far, each a mapping with ``Output`` and ``Shared
    with provider`` (template headers, or ``output``/``shared_with``), an ``(output, shared_with)``
    pair, or an object with those attributes. Other outputs are ignored.
    """
    total = shared = 0
    for c in claims_to_date or ():
        output, with_ = _claim_fields(c)
        if output in JOB_STARTS:
            total += 1
            shared += with_ is not None
    if total == 0:
        return SharedCap(0, 0, None, False, "no job or apprenticeship starts (2a, 2b) claimed to date")
    p = money.percent(shared, total)
    over = money.over_share(shared, total)
    msg = (
        f"{shared} of {total} job and apprenticeship starts (2a + 2b) to date are shared with another "
        f"provider = {pct(p)}; "
        + (
            "more than the 20% of a provider's caseload allowed (App 2 §2.3)"
            if over
            else "within the 20% allowed (App 2 §2.3)"
        )
    )
    return SharedCap(total, shared, money.as_decimal(p), over, msg)
