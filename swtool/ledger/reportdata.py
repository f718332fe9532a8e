"""What the ledger's reports read, shared by the network report and the contract report.

- ``client_outcomes``: each client registered with a contract in a span of quarters, with the
  outcomes the contract counted for them in it (``outcomes.ClientOutcome``);
- ``cash_spent``: the Actual spend of counted returns, each line to the penny;
- ``value_row``: a contract's spend and counted outputs in a span, and its annual value against its
  lot's Table 1 maximum (K706, from ``credits.register_warnings``);
- ``provenance``: which ledger, settings and reference data produced a report.

Only what counts is counted, as everywhere (``store.claim_standings``, ``store.registration_rows``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from swtool.ledger import store
from swtool.ledger.db import Ledger

JOB_STARTS, SUSTAINED, PROGRESSION = frozenset({"2a", "2b"}), frozenset({"3a", "3b"}), "4"


def client_outcomes(ledger: Ledger, contract, refdata, first: str, last: str, counted: dict | None = None) -> list:
    """The clients registered with ``contract`` (a ``ContractFacts``) in quarters ``first`` to ``last``:
    one ``ClientOutcome`` per client (client refs matched ignoring case, as the claims are), with the
    demographics and referral source of their latest counted registration in the span, and whether a
    counted 2a/2b, 3a/3b or 4 claim of theirs falls in the span."""
    from swtool.write.outcomes import ClientOutcome

    cid = contract.contract_id
    counted = counted if counted is not None else store.counted_returns(ledger, refdata, cid)
    cohort: dict[str, dict] = {}
    for x in store.registration_rows(ledger, cid, refdata, last, counted):
        if x["counts"] and x["client_ref"] and first <= x["quarter"] <= last:
            cohort[x["client_ref"].casefold()] = x  # rows are oldest first: the latest wins
    achieved: dict[str, set[str]] = {}
    for c in store.claim_standings(ledger, cid, refdata, last, counted):
        if c.counts and c.client_ref and c.output and first <= c.quarter <= last:
            achieved.setdefault(c.client_ref.casefold(), set()).add(c.output)
    out = []
    for key in sorted(cohort):
        x, got = cohort[key], achieved.get(key, set())
        out.append(
            ClientOutcome(
                cid,
                str(contract.lot),
                x["referral_source"],
                x["gender"],
                x["ethnic_group"],
                x["disability"],
                x["age"],
                bool(got & JOB_STARTS),
                bool(got & SUSTAINED),
                PROGRESSION in got,
            )
        )
    return out


def cash_spent(ledger: Ledger, return_ids) -> Decimal:
    """The Actual spend of the returns' Expenditure lines, each line to the penny (``money.total``)."""
    from swtool.calc import money

    ids = list(return_ids)
    if not ids:
        return money.total([])
    amounts = [
        a
        for (a,) in ledger.conn.execute(
            f"SELECT actual FROM expenditure WHERE return_id IN ({', '.join('?' * len(ids))}) AND actual IS NOT NULL "
            "ORDER BY return_id, row",
            ids,
        )
    ]
    return money.total(amounts)


def over_maximum(register, refdata, settings) -> set[str]:
    """The contracts K706 warns of: annual value over the lot's Table 1 maximum."""
    from swtool.calc.register_limits import register_warnings

    return {cid for w in register_warnings(register, refdata, settings) if w.code == "K706" for cid in w.contract_ids}


def value_row(
    ledger: Ledger, contract, refdata, first: str, last: str, actuals: dict, k706: set[str], counted: dict | None = None
):
    """A contract's ``outcomes.ValueRow`` for quarters ``first`` to ``last``: the cash spent in its
    counted returns, the outputs counted (``store.actuals``), its annual value and lot maximum."""
    from swtool.calc import money
    from swtool.calc.register_limits import lot_maximum
    from swtool.write.outcomes import ValueRow

    cid = contract.contract_id
    counted = counted if counted is not None else store.counted_returns(ledger, refdata, cid)
    ids = [r["id"] for q, r in sorted(counted.items()) if first <= q <= last]
    outputs = {"1": 0, "2": 0, "3": 0, "4": 0}
    for q, counts in actuals.items():
        if first <= str(q) <= last:
            outputs["1"] += counts.get("1", 0)
            outputs["2"] += counts.get("2a", 0) + counts.get("2b", 0)
            outputs["3"] += counts.get("3a", 0) + counts.get("3b", 0)
            outputs["4"] += counts.get("4", 0)
    maximum = lot_maximum(refdata, contract.lot)
    return ValueRow(
        cid,
        contract.provider,
        str(contract.lot),
        cash_spent(ledger, ids),
        outputs,
        contract.annual_value,
        None if maximum is None else money.penny(maximum),
        cid in k706,
        len(ids),
    )


def provenance(ledger: Ledger, refdata, settings, today: date):
    """The "Produced from" facts of a report made now from ``ledger``."""
    from swtool import __version__, catalogue
    from swtool.write.reportbook import Provenance, reference_versions

    c = ledger.conn
    last = c.execute("SELECT max(id) FROM decisions").fetchone()[0]
    returns = c.execute("SELECT count(*) FROM returns").fetchone()[0]
    return Provenance(
        ledger.path.name,
        ledger.schema_version,
        last,
        store.register_version(ledger),
        returns,
        {k: v for k, v in dict(settings).items()},
        reference_versions(refdata),
        __version__,
        catalogue.ruleset_version(),
        today,
    )
