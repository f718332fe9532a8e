"""Findings: what a check says about one place in a return.

A finding is a value, never an exception. It names its rule (code, slug, severity, spec paragraph),
says in one sentence what is wrong with the values involved, and points at the place: sheet, Excel
row number, column letter, header, and ``cell`` as a provider types it (``Claims!F12``).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)
_RANK = {ERROR: 0, WARNING: 1, INFO: 2}


def severity_rank(severity: str) -> int:
    return _RANK[severity]


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a workbook. Any part may be missing: a whole sheet has no row, a file no sheet."""

    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    header: str | None = None

    @property
    def cell(self) -> str | None:
        if self.sheet and self.row and self.column:
            return f"{self.sheet}!{self.column}{self.row}"
        if self.sheet and self.row:
            return f"{self.sheet}!{self.row}:{self.row}"
        return None


def plain_value(value):
    """A cell value as JSON can carry it: dates as ISO text, numbers as numbers, the rest as text."""
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time() else value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value else None  # NaN is "no value"
    try:  # numpy / pandas scalars
        import numbers

        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real):
            return float(value)
    except Exception:  # pragma: no cover - defensive
        pass
    if hasattr(value, "to_pydatetime"):
        return plain_value(value.to_pydatetime())
    return str(value)


@dataclass(frozen=True, slots=True)
class Flag:
    """What a rule function yields: the place, the sentence and the value. The engine adds the rule."""

    message: str
    where: Location = Location()
    value: object = None
    severity: str | None = None  # to lower a rule's severity (info when history is missing), or to raise it to
    # the one severity the rule declares with ``raises_to`` (X409's repeat claim is an error)


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    slug: str
    severity: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    header: str | None = None
    cell: str | None = None
    value: object = None
    spec: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["value"] = plain_value(self.value)
        return d


@dataclass
class FileReport:
    """Everything ``swtool check`` knows about one file."""

    path: str
    sha256: str | None = None
    contract: str | None = None
    provider: str | None = None
    lot: str | None = None
    quarter: str | None = None
    submitted: _dt.date | None = None
    findings: list[Finding] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # said once per file, e.g. a refused override
    evidence: str | None = None  # with --evidence: "Evidence: N references, N found, N missing"
    pmo_view: Any = None  # swtool check: report.pmo_view.ProviderView (a higher layer, so not named here), what the PMO will see (outputs, K701/K702, credits)

    @property
    def summary(self) -> dict[str, int]:
        counts = {ERROR: 0, WARNING: 0, INFO: 0}
        for f in self.findings:
            counts[f.severity] += 1
        return counts

    @property
    def valid(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)

    def flatten(self, keys: list[str]) -> list[list]:
        """The findings as rows of the named fields, e.g. ``flatten(["code", "cell"])`` in tests."""
        return [[getattr(f, k) for k in keys] for f in self.findings]

    def sorted(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: (severity_rank(f.severity), f.sheet or "", f.row or 0, f.code))
