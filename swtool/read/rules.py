"""The structure rules that reading a return finds (S001–S009), declared beside the reader that finds them.

S001 is what the safe reader refuses (``preflight.check``, ``workbook.read``: the ``Unreadable`` it
raises); S002 a sheet ``submission.load_submission`` cannot find; S003–S009 what typing the cells finds
(``tables``). Each rule names those functions (``found_by``, shown by ``swtool explain``), and they emit
the rule object itself (``sink.add(S004, ...)``), so that a mistyped code cannot be emitted. Light on
purpose (no pandas, no openpyxl): the catalogue imports it to list every rule. S010, the template
version, is a check over the typed return (``swtool.checks.structure``).
"""

from __future__ import annotations

from swtool.catalogue import declare
from swtool.findings import ERROR, INFO, WARNING

SPEC = "TEMPLATES.md"
_TABLES = "swtool.read.tables:"

S001 = declare(
    "S001",
    "unreadable-file",
    ERROR,
    "INPUT-SAFETY.md; TEMPLATES.md",
    "not an .xlsx workbook, encrypted, truncated, macro-enabled, legacy .xls, or over the size limits",
    fix="Open the file in Excel and use File > Save As > Excel Workbook (.xlsx), without a password, then check it "
    "again.",
    found_by=("swtool.read.preflight:check", "swtool.read.workbook:read"),
    module=__name__,
)
S002 = declare(
    "S002",
    "missing-sheet",
    ERROR,
    SPEC + " §1",
    "a required sheet is absent (or hidden)",
    fix="Use the council's template: every sheet it has must be there, visible and with its name unchanged.",
    found_by="swtool.read.submission:load_submission",
    module=__name__,
)
S003 = declare(
    "S003",
    "missing-column",
    ERROR,
    SPEC + " §1",
    "a required column (or cover label) is absent",
    fix="Put the column back with the template's header (spelling as in the template; order does not matter).",
    found_by=(_TABLES + "type_table", _TABLES + "_validate", _TABLES + "type_labels"),
    module=__name__,
)
S004 = declare(
    "S004",
    "bad-value",
    ERROR,
    SPEC + " §1",
    "a cell does not parse as its type or is not in its code list",
    fix="Type the value in the form asked for (dates as dates, amounts as numbers) or pick it from the dropdown.",
    found_by=(_TABLES + "type_table", _TABLES + "_validate", _TABLES + "type_labels"),
    module=__name__,
)
S005 = declare(
    "S005",
    "missing-value",
    ERROR,
    SPEC + " §1",
    "a required cell is empty",
    fix="Fill the cell; the input message on the cell says what goes in it.",
    found_by=(_TABLES + "_validate", _TABLES + "type_labels"),
    module=__name__,
)
S006 = declare(
    "S006",
    "duplicate-key",
    ERROR,
    SPEC + " §1",
    "Claim ref or Client ref repeated where it must be unique",
    fix="Give each claim its own Claim ref and list each client once on Registrations.",
    found_by=_TABLES + "_validate",
    module=__name__,
)
S007 = declare(
    "S007",
    "lenient-parse",
    INFO,
    SPEC + " §1",
    "a text date, £-formatted number or odd spacing was read and normalised",
    fix="Nothing is wrong; for a cleaner return type dates as dates and amounts as plain numbers.",
    found_by=(_TABLES + "type_table", _TABLES + "type_labels"),
    module=__name__,
)
S008 = declare(
    "S008",
    "extra-column",
    INFO,
    SPEC + " §1",
    "a column the template does not have was ignored",
    fix="Nothing is wrong; extra columns are ignored. Remove them if they hold personal data.",
    found_by=_TABLES + "type_table",
    module=__name__,
)
S009 = declare(
    "S009",
    "formula-without-value",
    WARNING,
    "INPUT-SAFETY.md",
    "a cell holds a formula with no saved value; the tool does not evaluate formulas",
    fix="Open the workbook in Excel and save it (Excel stores the values), or type the value instead of a formula.",
    found_by=(_TABLES + "_flag_formulas", _TABLES + "type_labels"),
    module=__name__,
)
