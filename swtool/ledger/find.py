"""``swtool find CLIENT_REF``: every return in the ledger, in every quarter, that names a client ref.

A client ref is the provider's pseudonymous id for a person (SW700005); it is the one identifier the
ledger keeps and every report shows. The PMO looks one up to follow a person across quarters and
contracts: where they were registered, what was claimed for them, on which version of which return,
and whether that claim counts (``store.claim_standings``, the rules of which version counts and which
claims count). Plain code: nothing here imports click or textual.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from swtool.ledger import store
from swtool.ledger.db import Ledger, LedgerError

# what a client ref may be: the letters, digits and the few marks providers use; anything else is a typing slip
CLIENT_REF = re.compile(r"^[\w./-]{1,40}$")


@dataclass
class Found:
    """One row of a return that names the client: a registration or a claim."""

    client_ref: str
    contract: str
    quarter: str
    return_id: int
    version: int
    version_standing: str  # counts | counts by exception | superseded | not counted: after final deadline | void
    record: str  # registration | claim
    cell: str  # "Claims!A7": the row in the workbook
    claim_ref: str | None
    output: str | None
    date: str | None  # the registration date, or the date achieved (ISO)
    row_valid: bool  # no error on the row when it was imported
    counts: bool | None  # a claim on the counted version: whether it counts now; else None
    why: str | None  # why it does not count (or why the row is not valid)

    def to_dict(self) -> dict:
        return asdict(self)


def version_standing(v: dict) -> str:
    """Whether a version's figures count (``store.versions``), in the words the review uses."""
    if v["voided"]:
        return "void"
    if v["counted"]:
        return "counts by exception" if v["late_exception"] else "counts"
    return "not counted: after final deadline" if v["timeliness"] == "after final deadline" else "superseded"


def client_ref_problem(text: str) -> str | None:
    ref = (text or "").strip()
    if not ref:
        return "give a client ref, e.g. SW700005"
    if not CLIENT_REF.match(ref):
        return (
            f"{ref!r} is not a client ref: a client ref is up to 40 letters, digits, dots, dashes or "
            "slashes, e.g. SW700005"
        )
    return None


def find_client(ledger: Ledger, client_ref: str, refdata=None) -> list[Found]:
    """Every registration and claim naming ``client_ref`` (case and surrounding spaces ignored) in every
    version of every return, oldest quarter first; a claim on a counted version says whether it counts."""
    problem = client_ref_problem(client_ref)
    if problem:
        raise LedgerError(problem)
    ref = client_ref.strip()
    versions = {v["id"]: v for v in store.versions(ledger, refdata)}
    conn = ledger.conn
    regs = conn.execute(
        "SELECT return_id, sheet, row, client_ref, registration_date, valid, reason FROM registrations "
        "WHERE client_ref = ? COLLATE NOCASE",
        (ref,),
    ).fetchall()
    claims = conn.execute(
        "SELECT return_id, sheet, row, client_ref, claim_ref, output, date_achieved, valid, reason FROM claims "
        "WHERE client_ref = ? COLLATE NOCASE",
        (ref,),
    ).fetchall()
    # whether a claim counts is worked out per contract, over its counted returns
    standing = {}
    for contract in sorted({versions[c[0]]["contract_id"] for c in claims if versions[c[0]]["counted"]}):
        counted = store.counted_returns(ledger, refdata, contract)
        for s in store.claim_standings(ledger, contract, refdata, counted=counted):
            if s.client_ref and s.client_ref.casefold() == ref.casefold():
                standing[(s.return_id, s.sheet, s.row)] = s
    out = []
    for rid, sheet, row, client, day, valid, reason in regs:
        v = versions[rid]
        out.append(
            Found(
                client,
                v["contract_id"],
                v["quarter"],
                rid,
                v["version"],
                version_standing(v),
                "registration",
                f"{sheet}!A{row}",
                None,
                None,
                day,
                bool(valid),
                None,
                None if valid else reason,
            )
        )
    for rid, sheet, row, client, claim_ref, output, achieved, valid, reason in claims:
        v = versions[rid]
        st = standing.get((rid, sheet, row))
        counts = st.counts if st is not None else None
        why = (st.why if st is not None and not st.counts else None) or (None if valid else reason)
        out.append(
            Found(
                client,
                v["contract_id"],
                v["quarter"],
                rid,
                v["version"],
                version_standing(v),
                "claim",
                f"{sheet}!A{row}",
                claim_ref,
                output,
                achieved,
                bool(valid),
                counts,
                why,
            )
        )
    out.sort(key=lambda f: (f.quarter, f.contract, f.version, f.record != "registration", f.cell))
    return out


def to_dict(client_ref: str, found: list[Found]) -> dict:
    """The JSON shape: ``{client_ref, found: [{contract, quarter, return_id, version, version_standing,
    record, cell, claim_ref, output, date, row_valid, counts, why}]}``."""
    return {
        "client_ref": client_ref.strip(),
        "found": [{k: v for k, v in f.to_dict().items() if k != "client_ref"} for f in found],
    }


def render_text(client_ref: str, found: list[Found]) -> str:
    from tabulate import tabulate

    ref = client_ref.strip()
    if not found:
        return f"No return in the ledger names client ref {ref}.\n"
    rows = [
        (
            f.quarter,
            f.contract,
            f"{f.return_id} (v{f.version}, {f.version_standing})",
            f.record,
            f.cell,
            f.claim_ref or "-",
            f.output or "-",
            uk_day(f.date),
            standing_words(f),
        )
        for f in found
    ]
    returns = len({f.return_id for f in found})
    head = f"Client ref {ref}: {len(found)} row{'s' * (len(found) != 1)} in {returns} return{'s' * (returns != 1)}"
    table = tabulate(
        rows,
        headers=["quarter", "contract", "return", "record", "row", "claim", "output", "date", "standing"],
        tablefmt="simple",
        disable_numparse=True,
    )
    return f"{head}\n\n{table}\n"


def uk_day(iso: str | None) -> str:
    """An ISO date from the ledger in the UK form the PMO reads (dd/mm/yyyy); "-" for none."""
    from datetime import date

    from swtool.model.quarter import uk_date

    if not iso:
        return "-"
    try:
        return uk_date(date.fromisoformat(iso[:10]))
    except ValueError:
        return iso


def standing_words(f: Found) -> str:
    """The "standing" column's words for a found row: whether the claim counts now, and why not."""
    if f.record == "claim" and f.counts is not None:
        return "counts" if f.counts else f"does not count: {f.why}"
    if not f.row_valid:
        return f"not valid: {f.why}"
    if f.record == "claim":
        return "on a version that does not count"
    return "valid"
