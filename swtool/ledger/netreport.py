"""The network report from the ledger: fills ``network.NetworkData`` for a financial year and writes it.

Only what counts is counted, as for service credits: the latest version of each return, and the
claims and registrations with no error finding in force on their row. A contract's quarter with no
return in the ledger has no row (the report's "to date" covers the quarters reported).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from swtool.ledger import store
from swtool.ledger.db import Ledger, LedgerError
from swtool.quarter import Quarter


def network_data(ledger: Ledger, year: int, refdata, settings, today: date | None = None):
    """``NetworkData`` for the financial year starting in April of ``year`` (2026 → 2026/27)."""
    from swtool.network import JOB_OUTCOME, REGISTRATION, EqualityRow, NetworkData, OutputRow, SharedRow
    from swtool.performance import quarterly_target

    register = store.current_register(ledger)
    if register is None:
        raise LedgerError("the ledger has no contract register yet: run `swtool register import REGISTER.xlsx` first")
    quarters = [Quarter(year, n) for n in range(1, 5)]
    first, last = str(quarters[0]), str(quarters[-1])
    data = NetworkData(providers=sorted({c.provider for c in register.contracts.values()}), quarters=quarters,
                       generated=today or date.today(), settings=dict(settings),
                       title=f"Southwark Works network report {quarters[0].financial_year}")
    c = ledger.conn
    for cid, contract in register.contracts.items():
        counted = store.actuals(ledger, cid, last)
        for q, counts in counted.items():
            if not (quarters[0] <= q <= quarters[-1]):
                continue
            outputs = set(counts) | set(contract.targets) | {"2"}
            for output in outputs:
                target = quarterly_target(contract, output, q)
                actual = counts.get(output, 0)
                if target is None and not actual:
                    continue
                data.outputs.append(OutputRow(contract.lot, output, q, actual, target, cid))
        latest = c.execute("SELECT id, quarter FROM latest_returns WHERE contract_id = ? AND quarter <= ? "
                           "ORDER BY quarter", (cid, last)).fetchall()
        people: dict[str, tuple] = {}   # client ref -> demographics at their latest registration so far
        for rid, q in latest:
            for ref, gender, ethnic, disability, age in c.execute(
                    f"SELECT client_ref, gender, ethnic_group, disability, age FROM registrations x "
                    f"WHERE return_id = ? AND NOT EXISTS ({store._IN_FORCE_ERRORS}) ORDER BY row", (rid,)):
                people[ref] = (gender, ethnic, disability, age)
                if first <= q <= last:
                    data.equalities.append(EqualityRow(REGISTRATION, gender, ethnic, disability, age))
            if not (first <= q <= last):
                continue
            quarter = Quarter.parse(q)
            for ref, output, shared_with in c.execute(
                    f"SELECT client_ref, output, shared_with FROM claims x WHERE return_id = ? "
                    f"AND NOT EXISTS ({store._IN_FORCE_ERRORS}) ORDER BY row", (rid,)):
                if shared_with:
                    data.shared.append(SharedRow(quarter, contract.provider, contract.lot, shared_with, output))
                if output in ("2a", "2b"):
                    gender, ethnic, disability, age = people.get(ref, (None, None, None, None))
                    data.equalities.append(EqualityRow(JOB_OUTCOME, gender, ethnic, disability, age))
    return data


def write(ledger: Ledger, year: int, output: Path, refdata, settings, today: date | None = None) -> Path:
    """Write the network report for the financial year starting in ``year`` to ``output``."""
    from swtool.network import write_network_report

    return write_network_report(Path(output), network_data(ledger, year, refdata, settings, today))
