"""The network report from the ledger: fills ``network.NetworkData`` for a financial year and writes it
(xlsx, or its tables as JSON).

Only what counts is counted, as for service credits (``store.claim_standings``): the counted version
of each return, and the claims and registrations with no standing error, a claim also none on its
client's eligibility. A contract's quarter with no
return in the ledger has no row (the report's "to date" covers the quarters reported).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from swtool.ledger import reportdata, store
from swtool.ledger.db import Ledger, LedgerError
from swtool.model.quarter import Quarter


def network_data(ledger: Ledger, year: int, refdata, settings, today: date | None = None):
    """``NetworkData`` for the financial year starting in April of ``year`` (2026 → 2026/27)."""
    from swtool.calc.targets import quarterly_target
    from swtool.write.network_report import JOB_OUTCOME, REGISTRATION, EqualityRow, NetworkData, OutputRow, SharedRow

    register = store.current_register(ledger)
    if register is None:
        raise LedgerError("the ledger has no contract register yet: run `swtool register import REGISTER.xlsx` first")
    quarters = [Quarter(year, n) for n in range(1, 5)]
    if not any(str(q) in refdata.deadlines for q in quarters):  # 9999/00 would not even have dates
        known = sorted(refdata.deadlines)
        span = f" ({known[0]} to {known[-1]})" if known else ""
        raise LedgerError(
            f"{year:04d}/{(year + 1) % 100:02d} is not a financial year of the Southwark Works calendar{span}"
        )
    first, last = str(quarters[0]), str(quarters[-1])
    today = today or date.today()
    data = NetworkData(
        providers=sorted({c.provider for c in register.contracts.values()}),
        quarters=quarters,
        generated=today,
        settings=dict(settings),
        title=f"Southwark Works network report {quarters[0].financial_year}",
        output_titles={
            (lot, o): row["title"] for lot, rows in refdata.outputs_by_lot.items() for o, row in rows.items()
        },
        provenance=reportdata.provenance(ledger, refdata, settings, today),
    )
    k706 = reportdata.over_maximum(register, refdata, settings)
    for cid, contract in register.contracts.items():
        returns = store.counted_returns(ledger, refdata, cid)
        counted = store.actuals(ledger, cid, last, refdata)
        if contract.start <= quarters[-1].end and contract.end >= quarters[0].start:  # in term in the year
            data.contracts[cid] = str(contract.lot)
            data.clients += reportdata.client_outcomes(ledger, contract, refdata, first, last, returns)
            data.values.append(reportdata.value_row(ledger, contract, refdata, first, last, counted, k706, returns))
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
        people: dict[str | None, tuple] = {}  # client ref -> demographics at their latest registration so far
        for x in store.registration_rows(ledger, cid, refdata, last, returns):
            if not x["counts"]:
                continue
            people[x["client_ref"]] = (x["gender"], x["ethnic_group"], x["disability"], x["age"])
            if first <= x["quarter"] <= last:
                data.equalities.append(EqualityRow(REGISTRATION, *people[x["client_ref"]]))
        for claim in store.claim_standings(ledger, cid, refdata, last, returns):
            if not claim.counts or not (first <= claim.quarter <= last) or claim.output is None:
                continue  # (a claim with no output has an error on its row: it never counts)
            if claim.shared_with:
                data.shared.append(
                    SharedRow(
                        Quarter.parse(claim.quarter), contract.provider, contract.lot, claim.shared_with, claim.output
                    )
                )
            if claim.output in ("2a", "2b"):
                gender, ethnic, disability, age = people.get(claim.client_ref, (None, None, None, None))
                data.equalities.append(EqualityRow(JOB_OUTCOME, gender, ethnic, disability, age))
    from swtool.ledger.crosscheck import cross_findings
    from swtool.write.network_report import CrossRow

    for f in cross_findings(ledger, refdata, today):
        if first <= f.quarter <= last:
            data.cross.append(
                CrossRow(f.code, Quarter.parse(f.quarter), f.contract, f.provider, f.claim_ref, f.output, f.other)
            )
    return data


def write(ledger: Ledger, year: int, output: Path, refdata, settings, today: date | None = None) -> Path:
    """Write the network report for the financial year starting in ``year`` to ``output``."""
    from swtool.write.network_report import write_network_report

    return write_network_report(Path(output), network_data(ledger, year, refdata, settings, today))


def to_json(data) -> str:
    """The network report's tables as one JSON document (``--format json``): ``{report: "network", title,
    period: {first, last}, produced_from, tables: [{name, title, notes, columns, rows}]}``."""
    from swtool.write.network_report import tables
    from swtool.write.reportbook import to_json as document

    qs = data.columns()
    period = {"first": str(qs[0]) if qs else None, "last": str(qs[-1]) if qs else None}
    return document("network", data.title, period, data.provenance, tables(data))
