"""What ``import_returns`` would do with some files, worked out without writing anything: for each file
its contract and quarter (from the cover alone), and whether it would be a new version, is already in
the ledger, would be refused or recorded as received only, and why.

The review's import dialog shows this before anything is written, so a PMO who pointed it at the
wrong folder can cancel with the ledger untouched. The figures (errors, warnings) come only from the
full check at import; the preview reads each file's Return sheet and hashes the file, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace

from swtool.ledger import store
from swtool.ledger.db import Ledger, LedgerError


@dataclass
class Planned:
    path: Path
    outcome: str  # new | unchanged | refused | received
    words: str  # what will happen, in a sentence
    contract: str | None = None
    quarter: str | None = None
    version: int | None = None  # the version a new return would be
    submitted: date | None = None

    @property
    def imports(self) -> bool:
        """Whether importing the file writes anything (a return, or a file recorded as received)."""
        return self.outcome in ("new", "received")


def preview_import(ledger: Ledger, paths: list[Path], refdata, limits=None) -> list[Planned]:
    """Every file ``import_returns(ledger, paths, …)`` would take, in the order it would import them
    (earliest quarter of each contract first), with what it would do. Writes nothing."""
    from swtool.engine import expand
    from swtool.model.quarter import Quarter
    from swtool.read.preflight import Limits, NotRegularFile, sha256_of

    limits = limits or Limits()
    if store.register_version(ledger) is None:
        raise LedgerError(
            "the ledger has no contract register yet: run `swtool register import REGISTER.xlsx` "
            "first, so that returns are checked against it"
        )
    register = store.current_register(ledger)
    store_dir = ledger.files_dir.resolve()
    files = [
        p
        for p in expand([Path(p) for p in paths])
        if not (p.resolve() == store_dir or store_dir in p.resolve().parents)
    ]
    done: list[Planned] = []
    pending = []
    seen: dict[str, Path] = {}
    for p in files:
        try:
            sha = sha256_of(p)
        except NotRegularFile as e:
            done.append(Planned(p, "refused", f"refused: it is not a regular file ({e.kind}) and will not be read"))
            continue
        except OSError as e:
            done.append(Planned(p, "refused", f"refused: it cannot be read ({e.strerror or e})"))
            continue
        if sha in seen:
            done.append(Planned(p, "unchanged", f"unchanged: the same file as {seen[sha].name}"))
            continue
        seen[sha] = p
        existing = store._existing(ledger, sha, p)
        if existing is not None:
            done.append(
                Planned(
                    p,
                    "unchanged",
                    f"unchanged: {existing.line().removesuffix('; nothing changed')}",
                    existing.contract,
                    existing.quarter,
                    existing.version,
                )
            )
            continue
        try:
            contract, quarter, submitted = store._peek(p, refdata, limits)
        except Exception:  # noqa: BLE001 (the import's check says why, in the provider's words)
            done.append(
                Planned(
                    p,
                    "received",
                    "unreadable: it will be recorded as received, not imported (swtool check FILE says why)",
                )
            )
            continue
        if not contract or not quarter:
            missing = " or ".join(
                w for w, v in (("Contract ID", contract), ("Financial year and Quarter", quarter)) if not v
            )
            done.append(
                Planned(
                    p,
                    "received",
                    f"no {missing} on its Return sheet: it will be recorded as received, not imported",
                    contract,
                    quarter,
                )
            )
            continue
        pending.append((contract, quarter, submitted or date.min, str(p), p))
    counts: dict[tuple[str, str], int] = {}
    for contract, quarter, submitted, _, p in sorted(pending, key=lambda t: t[:4]):
        wrong = store._outside(SimpleNamespace(contract_id=contract, quarter=Quarter.parse(quarter)), register, refdata)
        if wrong:
            done.append(Planned(p, "refused", f"refused: {wrong}", contract, quarter))
            continue
        key = (contract, quarter)
        if key not in counts:
            counts[key] = len(store.returns(ledger, contract, quarter))
        counts[key] += 1
        known = register is not None and contract in register.contracts
        words = f"new: version {counts[key]} of {contract} {quarter}" + (
            "" if known else " (the contract is not in the register in force: D604)"
        )
        done.append(
            Planned(p, "new", words, contract, quarter, counts[key], submitted if submitted != date.min else None)
        )
    order = {str(p): i for i, p in enumerate(files)}
    new = [d for d in done if d.outcome == "new"]
    others = sorted((d for d in done if d.outcome != "new"), key=lambda d: order.get(str(d.path), len(order)))
    return new + others
