"""The rules: pure functions over one typed return (``swtool.read``) and what a rule may know of it.

One module per family of the catalogue (claims, deadlines, expenditure, narrative, progression,
registrations, structure) plus ``ledger_rules``, the K codes and the cross-provider C codes that the
ledger finds. ``context`` says what a rule may know besides the return, ``runner`` runs the catalogue
over a return, ``evidence_files`` counts the evidence a return's references name. Importing this
package registers every rule in the catalogue. May import ``swtool.read``, ``swtool.calc``,
``swtool.model`` and the base modules; never a writer, a reporter, the ledger or a front end. None of
the families imports pandas or openpyxl at import time, so ``swtool rules`` stays fast.
"""

from swtool.checks import (  # noqa: F401
    claims,
    deadlines,
    expenditure,
    ledger_rules,
    narrative,
    progression,
    registrations,
    structure,
)
