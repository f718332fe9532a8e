"""Putting ledger values on the screen safely.

Textual reads a plain ``str`` given to a DataTable cell, a Static or a notification as markup:
``[@click=app.quit]`` in a client ref would become a live action, and a stray ``[/]`` would stop
the app with a MarkupError. Everything that reaches the screen from a return, a file name or a
decision therefore goes through ``shown``: a Rich ``Text`` (never parsed as markup) of the value
with control, bidi and zero-width characters escaped, as the CLI prints them.
"""

from __future__ import annotations

from rich.text import Text

from swtool.report.safe import safe_text

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}


def shown(value, limit: int = 300, style: str = "") -> Text:
    """``value`` as inert text for one line of the screen; ``-`` for nothing."""
    if value is None or value == "":
        return Text("-", style="dim", end="")
    return Text(safe_text(value, limit), style=style, end="")


def joined(*parts: tuple[object, str] | str) -> Text:
    """A line built from fixed words (``str``) and ledger values (``(value, style)``), all inert."""
    out = Text(end="")
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        else:
            value, style = part
            out.append_text(shown(value, style=style))
    return out


def severity(sev: str | None) -> Text:
    return shown(sev, style=SEVERITY_STYLE.get(sev or "", ""))


def uk_day(iso: str | None) -> str | None:
    """A day kept as ``2026-10-12`` (or the start of a timestamp), shown as the PMO writes it: 12/10/2026."""
    from swtool.ledger.find import uk_day as day

    return None if not iso else day(iso)


def uk_stamp(iso: str | None) -> str | None:
    """A moment kept as ``2026-11-23T10:04:31Z``, shown as 23/11/2026 10:04 (a day alone: 23/11/2026)."""
    if not iso:
        return None
    day = uk_day(iso)
    time = iso[11:16] if len(iso) >= 16 and iso[10] in "T " else ""
    return f"{day} {time}".strip()
