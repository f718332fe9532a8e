"""How many of a return's evidence references name a usable file in the evidence folder.

The matching is rule C215's own (``swtool.checks.claims``): case does not matter, a reference may be a
file name or a path below the folder, and a reference without an extension matches a file of an
accepted type (pdf, jpg, jpeg, png, docx, msg, eml). A file that is there but empty, of another type
or not what its name says is not "found": it counts as missing, as C215 reports it.

Only files inside the folder count: a link whose target lies outside it (``CL-0001.pdf`` pointing at
``/etc/passwd`` or another user's files), or that points at something other than a regular file (a
pipe, a device), is left out of the index before anything is opened, so its reference is "not found".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EvidenceCount:
    references: int  # distinct references (case ignored) in the Claims sheet's Evidence reference column
    found: int  # naming a readable file of an accepted type
    missing: int  # naming no such file: absent, empty, wrong type or unreadable

    def line(self) -> str:
        return f"Evidence: {_n(self.references, 'reference')}, {self.found} found, {self.missing} missing"


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def split_references(cell) -> list[str]:
    """One Evidence reference cell as its references: several are separated by ';' or new lines."""
    return [p.strip() for p in str(cell).replace("\n", ";").split(";") if p.strip()]


def evidence_index(folder: Path):
    """C215's index of the files below ``folder`` (built once per run): regular files inside it only."""
    from swtool.checks.claims import folder_index  # C215's matcher and its per-run cache

    root = Path(folder)
    return folder_index(str(root.resolve()), root.stat().st_mtime_ns)


def count_references(refs: Iterable[str], folder: Path) -> EvidenceCount:
    """Count ``refs`` (each one reference) against the files below ``folder``."""
    index = evidence_index(folder)
    distinct: dict[str, str] = {}
    for r in refs:
        distinct.setdefault(r.strip().casefold(), r.strip())
    found = sum(1 for r in distinct.values() if index.problem(r) is None)
    return EvidenceCount(len(distinct), found, len(distinct) - found)


def evidence_line(sub, folder: Path | None) -> str | None:
    """The report line for one checked return, or None when there is nothing to count."""
    if folder is None or sub is None:
        return None
    if not Path(folder).is_dir():
        return f"Evidence: not counted: {str(folder)!r} is not a folder that can be read"
    claims = sub.claims
    if not claims.present:
        return None
    if "Evidence reference" not in claims.letters:
        return "Evidence: not counted: the Claims sheet has no Evidence reference column"
    refs = [r for cell in claims.df["Evidence reference"].dropna() for r in split_references(cell)]
    return count_references(refs, Path(folder)).line()
