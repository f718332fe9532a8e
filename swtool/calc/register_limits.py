"""The contract register against the framework's limits: K704, K705 and K706 (§2.3, §2 Table 1, §4 Table 3).

- K704: a core output's annual target below the lot's framework minimum (§4.2, Table 3).
- K705: a supplier with more than 3 contracts at once, or on more than 5 lots (§2.3).
- K706: an annual value over the lot's Table 1 maximum.

Pure functions over the register and the reference data, no I/O; each warning carries its sentence
and the register cell(s) it is about.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from swtool.calc import money
from swtool.calc.money import gbp
from swtool.calc.targets import annual_target, annual_target_words
from swtool.model.outputs import COMBINED, JOB_STARTS, core_outputs, lot_number
from swtool.model.quarter import uk_date

MAX_CONTRACTS_AT_ONCE = 3  # §2.3
MAX_LOTS = 5  # §2.3


@dataclass(frozen=True)
class RegisterWarning:
    code: str  # "K704", "K705" or "K706"
    contract_ids: tuple[str, ...]
    provider: str
    cell: str | None  # the register cell(s), e.g. "Targets!C12 + Targets!C13"
    message: str
    value: object = None


def framework_minimum(refdata, lot, output: str, settings) -> int | None:
    """Table 3's minimum annual target for ``output`` of ``lot``; output 2 has two figures in the
    (garbled) source and ``settings["framework_minimum"]`` (lower | higher) picks one."""
    row = refdata.lots.get(str(lot).strip()) or refdata.lots.get(lot_number(lot))
    if row is None:
        return None
    if output == COMBINED:
        which = (settings or {}).get("framework_minimum", "lower")
        return row["output_2_minimum_high" if which == "higher" else "output_2_minimum_low"]
    return row.get(f"output_{output}_minimum")


def lot_maximum(refdata, lot):
    """Table 1's maximum annual value of ``lot`` (a sub-lot, else its lot); None when unknown."""
    row = refdata.lots.get(str(lot).strip()) or refdata.lots.get(lot_number(lot))
    return None if row is None else row.get("max_annual_value")


def _where(c) -> str:
    return "the contract register" if getattr(c, "source", "register") == "register" else "the Contract sheet"


def _target_cell(c, output: str) -> str | None:
    t = c.targets or {}
    if output in t:
        return t[output].cell
    if output == COMBINED:
        cells = [t[o].cell for o in JOB_STARTS if o in t and t[o].cell]
        return " + ".join(cells) or None
    return None


def _provider_key(name) -> str:
    return re.sub(r"\s+", " ", str(name or "")).strip().casefold()


def register_warnings(register, refdata, settings) -> list[RegisterWarning]:
    """K704, K705 and K706 over the contract register (a ``Register``, or a mapping/list of contracts).

    K704 (§4.2, Table 3): a core output's annual target (2 = 2a + 2b, and 4, for lots 1–8; 1 and 4
    for lot 9) below the lot's framework minimum; output 2's minimum is the lower or higher
    Table 3 figure per ``settings["framework_minimum"]``. Equal to the minimum is fine; a missing
    core target is below it.
    K705 (§2.3): a supplier (provider names matched ignoring case and spacing) holding more than 3
    contracts whose terms overlap on some day, or holding contracts on more than 5 lots (sub-lots
    1a–1c count as lot 1).
    K706 (§2 Table 1): a contract's annual value over its lot's maximum annual value.
    """
    contracts = getattr(register, "contracts", register)
    contracts = list(contracts.values()) if isinstance(contracts, Mapping) else list(contracts or ())
    which = (settings or {}).get("framework_minimum", "lower")
    out: list[RegisterWarning] = []
    for c in contracts:
        for output in core_outputs(c.lot):
            minimum = framework_minimum(refdata, c.lot, output, settings)
            if minimum is None:
                continue
            target = annual_target(c, output)
            cell = _target_cell(c, output)
            place = cell or f"{_where(c)}, Targets, {c.contract_id} output {output}"
            setting = (
                f" (setting framework_minimum = {which}, §4 Table 3 gives two figures for lot {lot_number(c.lot)})"
                if output == COMBINED
                else ""
            )
            if target is None:
                out.append(
                    RegisterWarning(
                        "K704",
                        (c.contract_id,),
                        c.provider,
                        cell,
                        f"{place}: contract {c.contract_id} (lot {c.lot}) has no annual target for "
                        f"core output {output}; the framework minimum is {minimum}{setting}",
                    )
                )
            elif target < minimum:
                what = annual_target_words(c, output)
                out.append(
                    RegisterWarning(
                        "K704",
                        (c.contract_id,),
                        c.provider,
                        cell,
                        f"{place}: contract {c.contract_id} (lot {c.lot}) annual target for output "
                        f"{output} is {what}, below the lot's framework minimum of {minimum}"
                        f"{setting}",
                        target,
                    )
                )
    for c in contracts:
        maximum = lot_maximum(refdata, c.lot)
        if maximum is not None and c.annual_value is not None and money.exact(c.annual_value) > money.exact(maximum):
            cell = getattr(c, "cells", {}).get("Annual value") if getattr(c, "cells", None) else None
            out.append(
                RegisterWarning(
                    "K706",
                    (c.contract_id,),
                    c.provider,
                    cell,
                    f"{cell or 'Contracts'}: contract {c.contract_id} (lot {c.lot}) has an annual "
                    f"value of {gbp(c.annual_value)}, over the lot's maximum annual value of "
                    f"{gbp(maximum)} (§2 Table 1)",
                    c.annual_value,
                )
            )
    by_provider: dict[str, list] = {}
    for c in contracts:
        by_provider.setdefault(_provider_key(c.provider), []).append(c)
    for group in by_provider.values():
        name = group[0].provider
        cells = [c.cells.get("Provider") for c in group if getattr(c, "cells", None) and c.cells.get("Provider")]
        cell = ", ".join(cells) or None
        # most contracts held at once: sweep the start and end dates (a contract ending on a day and
        # another starting that day are both held that day)
        best, best_day, best_ids = 0, None, ()
        for c in group:
            if c.start is None:
                continue
            day = c.start
            held = [d for d in group if d.start is not None and d.start <= day and (d.end is None or d.end >= day)]
            if len(held) > best:
                best, best_day, best_ids = len(held), day, tuple(sorted(d.contract_id for d in held))
        if best > MAX_CONTRACTS_AT_ONCE and best_day is not None:
            out.append(
                RegisterWarning(
                    "K705",
                    best_ids,
                    name,
                    cell,
                    f"{cell or 'Contracts'}: {name} holds {best} contracts at once on "
                    f"{uk_date(best_day)} ({', '.join(best_ids)}); a supplier can hold at most "
                    f"{MAX_CONTRACTS_AT_ONCE} contracts at any one time (§2.3)",
                    best,
                )
            )
        lots = sorted({lot_number(c.lot) for c in group}, key=lambda x: (len(x), x))
        if len(lots) > MAX_LOTS:
            ids = tuple(sorted(c.contract_id for c in group))
            out.append(
                RegisterWarning(
                    "K705",
                    ids,
                    name,
                    cell,
                    f"{cell or 'Contracts'}: {name} has contracts on {len(lots)} lots "
                    f"({', '.join(lots)}); a supplier can be appointed to at most {MAX_LOTS} lots "
                    f"(§2.3)",
                    len(lots),
                )
            )
    return out
