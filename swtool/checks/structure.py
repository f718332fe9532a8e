"""S — structure: can the workbook be read, and does it follow the standard (TEMPLATES.md)?

These are found while the workbook is read and typed (swtool.read, swtool.read.tables); the functions
here report what that stage found, so that every code has one home in the catalogue.
"""

from __future__ import annotations

from swtool.catalogue import declare, rule
from swtool.findings import ERROR, INFO, WARNING, Flag
from swtool.model.standard import TEMPLATE_VERSION

SPEC = "TEMPLATES.md"

declare("S001", "unreadable-file", ERROR, "INPUT-SAFETY.md; TEMPLATES.md",
        "not an .xlsx workbook, encrypted, truncated, macro-enabled, legacy .xls, or over the size limits",
        fix="Open the file in Excel and use File > Save As > Excel Workbook (.xlsx), without a password, then "
            "check it again.", module=__name__)


def _reported(code: str):
    def check(sub, ctx):
        return sub.read_flags.get(code, ())
    return check


def _read_rule(code, slug, severity, spec, description, fix):
    fn = _reported(code)
    fn.__name__ = slug.replace("-", "_")
    fn.__module__ = __name__
    return rule(code, slug, severity, spec, description, fix=fix)(fn)


missing_sheet = _read_rule(
    "S002", "missing-sheet", ERROR, SPEC + " §1", "a required sheet is absent (or hidden)",
    "Use the council's template: every sheet it has must be there, visible and with its name unchanged.")
missing_column = _read_rule(
    "S003", "missing-column", ERROR, SPEC + " §1", "a required column (or cover label) is absent",
    "Put the column back with the template's header (spelling as in the template; order does not matter).")
bad_value = _read_rule(
    "S004", "bad-value", ERROR, SPEC + " §1", "a cell does not parse as its type or is not in its code list",
    "Type the value in the form asked for (dates as dates, amounts as numbers) or pick it from the dropdown.")
missing_value = _read_rule(
    "S005", "missing-value", ERROR, SPEC + " §1", "a required cell is empty",
    "Fill the cell; the input message on the cell says what goes in it.")
duplicate_key = _read_rule(
    "S006", "duplicate-key", ERROR, SPEC + " §1",
    "Claim ref or Client ref repeated where it must be unique",
    "Give each claim its own Claim ref and list each client once on Registrations.")
lenient_parse = _read_rule(
    "S007", "lenient-parse", INFO, SPEC + " §1",
    "a text date, £-formatted number or odd spacing was read and normalised",
    "Nothing is wrong; for a cleaner return type dates as dates and amounts as plain numbers.")
extra_column = _read_rule(
    "S008", "extra-column", INFO, SPEC + " §1", "a column the template does not have was ignored",
    "Nothing is wrong; extra columns are ignored. Remove them if they hold personal data.")
formula_without_value = _read_rule(
    "S009", "formula-without-value", WARNING, "INPUT-SAFETY.md",
    "a cell holds a formula with no saved value; the tool does not evaluate formulas",
    "Open the workbook in Excel and save it (Excel stores the values), or type the value instead of a formula.")


@rule("S010", "template-version", WARNING, SPEC + " §1 (Return: Template version)",
      "the return was not made from the current template (version missing or older)",
      fix="Download the current template (swtool template return) and copy your rows into it.")
def template_version(sub, ctx):
    if not sub.cover.present:
        return
    found = sub.cover.get("Template version")
    where = sub.cover.at("Template version")
    if found is None:
        yield Flag(f"{where.cell or 'Return'}: no template version; this return was not made from the current "
                   f"template ({TEMPLATE_VERSION})", where)
        return
    if _version(str(found)) < _version(TEMPLATE_VERSION):
        yield Flag(f"{where.cell}: template version {found} is older than the current {TEMPLATE_VERSION}", where,
                   found)


def _version(text: str) -> tuple:
    parts = []
    for p in text.strip().split("."):
        parts.append(int(p) if p.isdigit() else -1)
    return tuple(parts)
