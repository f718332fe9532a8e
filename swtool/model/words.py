"""Small words a message needs right: "1 warning" and "2 warnings", "a job start" and "an apprenticeship".

Kept apart from the reporters so that a rule, a report and a command all say them the same way.
"""

from __future__ import annotations

import re

# spelt with a vowel, said with a consonant ("a user"), and the other way round ("an hour")
_SAID_WITH_A = ("uni", "use", "usu", "uti", "eu", "one", "once", "ukr", "ura")
_SAID_WITH_AN = ("hour", "honest", "honour", "heir")


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 error``, ``2 errors``, ``0 errors``; ``many`` for a plural that is not word + s."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def article(phrase: str) -> str:
    """``a`` or ``an`` for ``phrase``, as it is said: an apprenticeship, a job start, a user, an hour,
    an 8-week course, an 11, a 1."""
    first = str(phrase).strip().lower()
    if not first:
        return "a"
    m = re.match(r"\d+", first)
    if m:  # said with a vowel: eight…, eighty…; eleven and eighteen (thousand, million …)
        digits = m.group()
        return "an" if digits[0] == "8" or (digits[:2] in ("11", "18") and len(digits) % 3 == 2) else "a"
    if first.startswith(_SAID_WITH_AN):
        return "an"
    if first.startswith(_SAID_WITH_A):
        return "a"
    return "an" if first[0] in "aeiou" else "a"


def a(phrase: str) -> str:
    """``phrase`` with its article: ``an apprenticeship start (2b)``."""
    return f"{article(phrase)} {phrase}"
