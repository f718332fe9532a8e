"""A provider's quarterly return, typed: the input of every rule.

``load_submission`` runs the first three stages of the flow (safe reader → typed tables) and keeps
what they found on the submission (``read_flags``), for the S rules to report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from swtool.findings import Flag, Location
from swtool.model import standard as std
from swtool.model.quarter import Quarter
from swtool.read.preflight import Limits
from swtool.read.register import ContractFacts, contract_from_sheet
from swtool.read.rules import S002
from swtool.read.workbook import PendingRead, RawWorkbook, start_read

if TYPE_CHECKING:  # loaded by load_submission, while the reader reads
    from swtool.read.tables import Labels, Table


@dataclass
class Submission:
    path: Path
    sha256: str
    cover: Labels
    tables: dict[str, Table]
    narrative: Labels
    sheets_found: dict[str, str]  # every sheet in the workbook and its state
    read_flags: dict[str, list[Flag]] = field(default_factory=dict)
    contract_sheet: ContractFacts | None = None  # from the hidden Contract sheet of a prefilled template
    warnings: list[str] = field(default_factory=list)

    # --- the cover, typed ------------------------------------------------------------------------
    @property
    def contract_id(self) -> str | None:
        return self.cover.get("Contract ID")

    @property
    def provider(self) -> str | None:
        return self.cover.get("Provider")

    @property
    def lot(self) -> str | None:
        return self.cover.get("Lot")

    @property
    def date_submitted(self) -> date | None:
        return self.cover.get("Date submitted")

    @property
    def quarter(self) -> Quarter | None:
        fy, q = self.cover.get("Financial year"), self.cover.get("Quarter")
        if not fy or not q:
            return None
        try:
            return Quarter.from_parts(str(fy), str(q))
        except ValueError:
            return None

    @property
    def registrations(self) -> Table:
        return self.tables["Registrations"]

    @property
    def claims(self) -> Table:
        return self.tables["Claims"]

    @property
    def expenditure(self) -> Table:
        return self.tables["Expenditure"]

    @property
    def transactions(self) -> Table:
        return self.tables["Transactions"]

    @property
    def milestones(self) -> Table:
        return self.tables["Milestones"]


def _match_sheets(raw: RawWorkbook) -> dict[str, str]:
    """Template sheet name -> the workbook's sheet name (case and spacing forgiven)."""
    by_norm = {std.normalise_label(n): n for n in raw.sheet_states}
    return {
        spec.name: by_norm[std.normalise_label(spec.name)]
        for spec in (*std.RETURN_SHEETS, std.SheetSpec(std.CONTRACT_SHEET, "labels", ()))
        if std.normalise_label(spec.name) in by_norm
    }


def wanted_sheets() -> set[str]:
    return {std.normalise_label(s.name) for s in std.RETURN_SHEETS} | {std.normalise_label(std.CONTRACT_SHEET)}


# reads started by ``start_early``, each taken (once) by the ``load_submission`` of the same file
_EARLY: dict[tuple[Path, Limits, str], PendingRead] = {}


def start_early(path: Path, limits: Limits = Limits(), reader: str = "calamine") -> None:
    """Start the read of the return ``path`` now, so that its child reads while this process does other
    work (``swtool check`` reads the register and loads pandas meanwhile); ``load_submission`` of the
    same file takes its cells. A file the pre-flight refuses is left alone here: its check says so."""
    key = (Path(path), limits, reader)
    if key in _EARLY:
        return
    try:
        _EARLY[key] = start_read(path, wanted={w.casefold() for w in wanted_sheets()}, limits=limits, reader=reader)
    except Exception:  # noqa: BLE001 (Unreadable, OSError, a wrong SWTOOL_LIMITS: said when the file is checked)
        pass


def load_submission(path: Path, refdata, limits: Limits = Limits(), reader: str = "calamine") -> Submission:
    """Read and type a return. Raises reader.Unreadable (S001) when it is not a readable workbook.
    ``reader``: the setting of that name (calamine or openpyxl; both give the same cells)."""
    pending = _EARLY.pop((Path(path), limits, reader), None) or start_read(
        path, wanted={w.casefold() for w in wanted_sheets()}, limits=limits, reader=reader
    )
    try:  # the child reads while this process loads pandas and pandera (the first time)
        from swtool.read.tables import Labels, Sink, empty_table, type_labels, type_table
    except BaseException:
        pending.cancel()
        raise
    raw = pending.result()
    sink = Sink()
    names = _match_sheets(raw)
    found = ", ".join(raw.sheet_states) or "none"

    def sheet_of(spec: std.SheetSpec):
        name = names.get(spec.name)
        if name is None or name not in raw.sheets:
            if not spec.optional:
                sink.add(S002, f"The workbook has no '{spec.name}' sheet (sheets found: {found})", Location(spec.name))
            return None
        if raw.sheet_states.get(name) != "visible" and spec.name != std.CONTRACT_SHEET:
            sink.add(
                S002,
                f"The '{name}' sheet is hidden; unhide it (Home > Format > Hide & Unhide) so the return can be read",
                Location(name),
            )
            return None
        return raw.sheets[name]

    cover_raw = sheet_of(std.RETURN)
    cover = (
        type_labels(cover_raw, std.RETURN, refdata, sink) if cover_raw else Labels("Return", std.RETURN, present=False)
    )
    lot = cover.get("Lot")
    tables: dict[str, Table] = {}
    for spec in (std.REGISTRATIONS, std.CLAIMS, std.EXPENDITURE, std.TRANSACTIONS, std.MILESTONES):
        rs = sheet_of(spec)
        tables[spec.name] = type_table(rs, spec, lot, refdata, sink) if rs else empty_table(spec)
    narr_raw = sheet_of(std.NARRATIVE)
    narrative = (
        type_labels(narr_raw, std.NARRATIVE, refdata, sink)
        if narr_raw
        else Labels("Narrative", std.NARRATIVE, present=False)
    )
    contract = None
    cname = names.get(std.CONTRACT_SHEET)
    if cname and cname in raw.sheets:
        contract = contract_from_sheet(raw.sheets[cname])
    return Submission(
        path, raw.sha256, cover, tables, narrative, dict(raw.sheet_states), sink.flags, contract, list(raw.warnings)
    )
