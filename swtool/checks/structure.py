"""S — structure: can the workbook be read, and does it follow the standard (TEMPLATES.md)?

S001–S009 are found while the workbook is read and typed: they are declared beside the reader that finds
them (``swtool.read.rules``), and the runner reports what reading found (``Submission.read_flags``)
under them. S010, the template version, is a check over the typed return, here.
"""

from __future__ import annotations

import swtool.read.rules  # noqa: F401  (S001–S009: the catalogue lists every structure rule)
from swtool.catalogue import rule
from swtool.findings import WARNING, Flag
from swtool.model.standard import TEMPLATE_VERSION

SPEC = "TEMPLATES.md"


@rule(
    "S010",
    "template-version",
    WARNING,
    SPEC + " §1 (Return: Template version)",
    "the return was not made from the current template (version missing or older)",
    fix="Download the current template (swtool template return) and copy your rows into it.",
)
def template_version(sub, ctx):
    if not sub.cover.present:
        return
    found = sub.cover.get("Template version")
    where = sub.cover.at("Template version")
    if found is None:
        yield Flag(
            f"{where.cell or 'Return'}: no template version; this return was not made from the current "
            f"template ({TEMPLATE_VERSION})",
            where,
        )
        return
    if _version(str(found)) < _version(TEMPLATE_VERSION):
        yield Flag(f"{where.cell}: template version {found} is older than the current {TEMPLATE_VERSION}", where, found)


def _version(text: str) -> tuple:
    parts = []
    for p in text.strip().split("."):
        parts.append(int(p) if p.isdigit() else -1)
    return tuple(parts)
