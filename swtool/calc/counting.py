"""Which claims count towards a contract's outputs (RULES.md, "Calculations"): one rule, two sides.

A claim counts only when no error stands on its own row and its client's registration has no
eligibility error standing (``ELIGIBILITY_CODES``), wherever that registration was returned. The
PMO's ledger (``ledger.store.claim_standings``: errors not waived) and a provider's ``swtool check``
(``pmo_view``: the errors the check finds) both decide it here, so the provider's estimate and the
PMO's figures never count by different rules. Pure: the standard library only, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Registration errors that make a client ineligible: a claim of a client whose registration has one of
# these standing is never paid for, wherever that registration was returned.
ELIGIBILITY_CODES = (
    "R101",
    "R102",
    "R103",
    "R104",
    "R105",
    "R106",
    "R107",
    "R113",
    "R114",
    "R115",
    "R116",
    "R119",
    "R120",
)


@dataclass(frozen=True)
class Registration:
    """One registration row of a client, as far as counting needs it."""

    day: str  # the registration date as ISO text ("" when unknown)
    order: int  # which return it came from, earlier first (ties on the same day)
    row: int  # its Excel row
    where: str  # how a sentence names it: "Registrations!A5 (2026/27-Q1)"
    errors: frozenset[str]  # the error codes standing on its row

    @property
    def ineligible(self) -> frozenset[str]:
        return self.errors & frozenset(ELIGIBILITY_CODES)


def registration_for(known: Iterable[Registration], achieved: str | None) -> Registration | None:
    """The registration a claim achieved on ``achieved`` (ISO text) is weighed against: the client's
    latest registration on or before that date, else the earliest; None when there is none."""
    ordered = sorted(known, key=lambda g: (g.day, g.order, g.row))
    before = [g for g in ordered if achieved and g.day and g.day <= achieved]
    return before[-1] if before else (ordered[0] if ordered else None)


def why_not_counted(
    own_errors: Iterable[str] | None, registration: Registration | None, standing: str = "standing "
) -> str | None:
    """Why a claim does not count, in one phrase; None when it counts.

    ``own_errors``: the error codes standing on the claim's row; ``registration``: the client's
    registration it is weighed against (``registration_for``). ``standing`` is the ledger's word for
    an error the PMO has not waived; a provider's check passes "" (nothing is waived yet)."""
    own = sorted(set(own_errors or ()))
    if own:
        return f"{standing}error{'s' * (len(own) > 1)} on its row: {', '.join(own)}"
    bad = sorted(registration.ineligible) if registration is not None else []
    if registration is not None and bad:
        return (
            f"the client's registration at {registration.where} has {standing}eligibility "
            f"error{'s' * (len(bad) > 1)} {', '.join(bad)}"
        )
    return None


# --- a typed table's cell as the ledger keeps it (and as the provider's estimate reads it) -----------------


def cell_text(v) -> str | None:
    """A cell's value as text: None for blank, NaN and NaT; lists joined with "; "; 12.0 as "12"."""
    if v is None:
        return None
    try:
        if v != v:  # NaN, NaT
            return None
    except (TypeError, ValueError):
        return None
    if isinstance(v, (list, tuple, set, frozenset)):
        return "; ".join(str(x) for x in v) or None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    s = str(v).strip()
    return s or None


def cell_day(v) -> str | None:
    """A date cell as YYYY-MM-DD; None for blank, NaT or anything not a date."""
    from datetime import date

    if cell_text(v) is None:
        return None
    if hasattr(v, "date") and callable(v.date):
        v = v.date()
    return v.isoformat() if isinstance(v, date) else None
