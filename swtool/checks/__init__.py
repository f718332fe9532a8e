"""Rule modules, one per family; importing this package registers every rule in the catalogue.

None of them imports pandas or openpyxl at import time, so ``swtool rules`` stays fast.
"""

from swtool.checks import (  # noqa: F401
    claims,
    deadlines,
    expenditure,
    narrative,
    performance,
    progression,
    registrations,
    structure,
)
