"""swtool.calc.shared: K703, shared job and apprenticeship starts against the 20% cap (App 2 §2.3)."""

from __future__ import annotations

from decimal import Decimal

from swtool.calc.shared import shared_cap


def test_k703_shared_outputs_exactly_20_percent_is_quiet():
    claims = [
        ("2a", "Bermondsey Pathways CIC"),
        ("2a", None),
        ("2b", ""),
        ("2a", None),
        ("2b", None),
        ("4", "Bermondsey Pathways CIC"),
        ("3a", "Walworth Young Futures"),
    ]  # other outputs do not count
    cap = shared_cap(claims)
    assert (cap.job_starts, cap.shared, cap.percent, cap.over) == (5, 1, Decimal("20.00"), False)


def test_k703_shared_outputs_over_20_percent():
    claims = [
        {"Output": "2a", "Shared with provider": "Bermondsey Pathways CIC"},
        {"Output": "2b", "Shared with provider": "Nunhead Families into Work"},
    ] + [{"Output": "2a", "Shared with provider": None}] * 7
    cap = shared_cap(claims)
    assert (cap.job_starts, cap.shared, cap.over) == (9, 2, True)
    assert "2 of 9" in cap.message and "22.2%" in cap.message
