"""Showing a provider's text safely: control and bidi characters escaped, long values cut."""

from __future__ import annotations

import re
import unicodedata

_UNSAFE_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def _escape(m: re.Match) -> str:
    ch = m.group(0)
    return f"\\u{ord(ch):04x}" if ord(ch) > 0xFF else f"\\x{ord(ch):02x}"


def safe_text(text, limit: int = 300) -> str:
    """Escape what a terminal would act on (control, bidi, zero-width); keep the rest as written."""
    s = _UNSAFE_RE.sub(_escape, str(text)).replace("\n", " ").replace("\t", " ")
    if any(unicodedata.category(c) == "Cf" for c in s):
        s = "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) == "Cf" else c for c in s)
    return s if len(s) <= limit else s[: limit - 1] + "…"
