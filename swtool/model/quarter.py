"""Financial years and quarters as the council counts them: Q1 is April to June."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*/\s*(\d{2})\s*[-\s]\s*Q([1-4])\s*$", re.I)
_FY_RE = re.compile(r"^\s*(\d{4})\s*/\s*(\d{2})\s*$")


@dataclass(frozen=True, order=True)
class Quarter:
    """A quarter of a financial year: ``Quarter(2026, 2)`` is 2026/27 Q2, July to September 2026."""

    year: int  # the calendar year the financial year starts in
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse ``2026/27-Q2`` (also ``2026/27 Q2``); ValueError names what was expected."""
        m = _QUARTER_RE.match(str(text))
        if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
            raise ValueError(f"{text!r} is not a quarter like 2026/27-Q2")
        return cls(int(m.group(1)), int(m.group(3)))

    @classmethod
    def from_parts(cls, financial_year: str, quarter: str) -> Quarter:
        return cls.parse(f"{financial_year}-{quarter}")

    @classmethod
    def containing(cls, day: date) -> Quarter:
        if day.month >= 4:
            return cls(day.year, (day.month - 4) // 3 + 1)
        return cls(day.year - 1, 4)

    @property
    def financial_year(self) -> str:
        return f"{self.year}/{(self.year + 1) % 100:02d}"

    @property
    def label(self) -> str:
        return f"Q{self.number}"

    @property
    def start(self) -> date:
        month = 4 + 3 * (self.number - 1)
        return date(self.year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.year + (self.number == 4), self.number % 4 + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - (self.number == 1), (self.number - 2) % 4 + 1)

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return f"{self.financial_year}-{self.label}"


def parse_financial_year(text: str) -> int:
    m = _FY_RE.match(str(text))
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError(f"{text!r} is not a financial year like 2026/27")
    return int(m.group(1))


def uk_date(d: date) -> str:
    """Dates as providers write them: 14/10/2026."""
    return d.strftime("%d/%m/%Y")
