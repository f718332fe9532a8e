"""C219 and C220: claims looked at across every contract in the ledger (App 2 §2.3, App 1 §7.3).

Client refs are network-wide (a client does not re-register with another provider), so two providers
can claim the same outcome. These rules need every provider's returns, so they run over the ledger,
not over one return: at import (the lines ``swtool import`` prints), in ``swtool returns --id``, in
the review's contract screen and in the network report's Shared outputs sheet. They are worked out
afresh each time from the counted versions, so a void or a later return changes them at once.

- C219: the same client, output and start date is claimed by two contracts, and the two claims are
  not both marked shared (``Shared with provider`` filled on each): the council risks paying twice.
- C220: a shared claim names a partner provider, and once the quarter's final deadline has passed no
  contract of that provider claims the same client and output in any return up to that quarter.

Only claims that count (``store.claim_standings``) are compared: a claim that is not paid for cannot
be paid twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from swtool.ledger import store
from swtool.ledger.db import Ledger
from swtool.model.quarter import uk_date


@dataclass(frozen=True)
class CrossFinding:
    code: str  # C219 | C220
    contract: str
    provider: str
    return_id: int
    quarter: str
    cell: str  # "Claims!A7": the claim's row
    claim_ref: str | None
    client_ref: str | None
    output: str | None
    other: str  # the other contract(s), or the partner named
    message: str

    severity = "warning"


def _key(name) -> str:
    return re.sub(r"\s+", " ", str(name or "")).strip().casefold()


def _day(text: str | None) -> str:
    return uk_date(date.fromisoformat(text)) if text else "no date"


def cross_findings(
    ledger: Ledger, refdata=None, today: date | None = None, contract: str | None = None, return_id: int | None = None
) -> list[CrossFinding]:
    """C219 and C220 over the ledger; ``contract`` or ``return_id`` keep only the findings on its claims."""
    register = store.current_register(ledger)
    if register is None:
        return []
    deadlines = store._deadlines(refdata)
    today = today or date.today()
    from swtool.ledger.retention import client_key

    client_of = client_key(ledger)  # casefold; a pseudonym's once retention pseudonymised some returns
    claims = {cid: [c for c in store.claim_standings(ledger, cid, refdata) if c.counts] for cid in register.contracts}
    by_start: dict[tuple, list] = {}
    by_client_output: dict[tuple, list] = {}
    for cid, rows in claims.items():
        for c in rows:
            if not c.client_ref or not c.output:
                continue
            by_client_output.setdefault(
                (client_of(c.client_ref), c.output, _key(register.contracts[cid].provider)), []
            ).append(c)
            if c.start_date:
                by_start.setdefault((client_of(c.client_ref), c.output, c.start_date), []).append((cid, c))
    contracts_of: dict[str, list[str]] = {}
    for cid, facts in register.contracts.items():
        contracts_of.setdefault(_key(facts.provider), []).append(cid)

    out: list[CrossFinding] = []
    for (_, output, start), found in by_start.items():  # (not `client`: the key function above)
        if len({cid for cid, _ in found}) < 2:
            continue
        for cid, c in found:
            others = [(o, x) for o, x in found if o != cid]
            if c.shared_with and all(x.shared_with for _, x in others):
                continue  # marked shared on both sides: what K703 and C220 weigh
            names = ", ".join(
                f"{o} ({register.contracts[o].provider}, {x.quarter} claim {x.claim_ref or '-'})" for o, x in others
            )
            out.append(
                CrossFinding(
                    "C219",
                    cid,
                    register.contracts[cid].provider,
                    c.return_id,
                    c.quarter,
                    c.cell,
                    c.claim_ref,
                    c.client_ref,
                    output,
                    ", ".join(o for o, _ in others),
                    f"{c.cell}: claim {c.claim_ref or '-'} (client {c.client_ref}, output {output}, start "
                    f"{_day(start)}) is also claimed by {names}, and the claims are not both marked shared: only "
                    f"one provider can be paid for it unless both name each other under Shared with provider",
                )
            )
    for cid, rows in claims.items():
        for c in rows:
            if not c.shared_with or not c.client_ref or not c.output:
                continue
            deadline = deadlines.get(c.quarter)
            if deadline is None or today <= deadline.final:
                continue  # the partner may still return it by the final deadline
            partner = _key(c.shared_with)
            if partner == _key(register.contracts[cid].provider):
                continue
            theirs = [
                x
                for x in by_client_output.get((client_of(c.client_ref), c.output, partner), [])
                if x.quarter <= c.quarter
            ]
            if theirs:
                continue
            known = contracts_of.get(partner)
            why = (
                f"{', '.join(known)} of {c.shared_with} claim{'s' * (len(known) == 1)} no output {c.output} for "
                f"client {c.client_ref} up to {c.quarter}"
                if known
                else f"no contract in the register is held by a provider called {c.shared_with!r}"
            )
            out.append(
                CrossFinding(
                    "C220",
                    cid,
                    register.contracts[cid].provider,
                    c.return_id,
                    c.quarter,
                    c.cell,
                    c.claim_ref,
                    c.client_ref,
                    c.output,
                    c.shared_with,
                    f"{c.cell}: shared claim {c.claim_ref or '-'} (client {c.client_ref}, output {c.output}) names "
                    f"{c.shared_with} as partner, but {why}, and the final deadline ({uk_date(deadline.final)}) has "
                    f"passed: the claim is not shared, or the partner is misnamed",
                )
            )
    out = [
        f
        for f in out
        if (contract is None or f.contract == contract) and (return_id is None or f.return_id == return_id)
    ]
    return sorted(out, key=lambda f: (f.contract, f.quarter, f.code, f.cell))
