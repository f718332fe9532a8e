"""swtool.calc.register_limits: the contract register against the framework's limits, worked by hand.

K704 register targets against Table 3's minimums, K705 a supplier's contracts at once and lots
(§2.3), K706 annual values against Table 1's maximums.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from swtool.calc.register_limits import framework_minimum, register_warnings
from swtool.model.settings import Settings
from swtool.read.register import ContractFacts, Register, Target, read_register
from tests.unit.calc.test_credits import REFDATA, facts

# --- K704: targets against the framework minimum --------------------------------------------------


def _register_workbook(path: Path, contracts: list[tuple], targets: list[tuple]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Contracts"
    ws.append(["Contract ID", "Provider", "Lot", "Start date", "End date", "Annual value", "Funding paid to date"])
    for row in contracts:
        ws.append(list(row))
    ws = wb.create_sheet("Targets")
    ws.append(["Contract ID", "Output", "Annual target", "Q1 profile", "Q2 profile", "Q3 profile", "Q4 profile"])
    for row in targets:
        ws.append(list(row))
    wb.create_sheet("Budget").append(
        ["Contract ID", "Financial year", "Quarter", "Category", "Budget item", "Budgeted amount"]
    )
    wb.create_sheet("Milestones").append(["Contract ID", "Milestone", "Due date"])
    wb.save(path)
    return path


@pytest.fixture
def register(tmp_path) -> Register:
    d0, d1 = date(2025, 4, 1), date(2027, 3, 31)
    path = _register_workbook(
        tmp_path / "register.xlsx",
        [
            ("SW-L1A-01", "Walworth Young Futures", "1a", d0, d1, 143000, None),  # row 2
            ("SW-L3-01", "Bermondsey Pathways CIC", "3", d0, d1, 159500, None),  # row 3
            ("SW-L9-01", "Camberwell Progress Partnership", "9", d0, d1, 150000, None),  # row 4
        ],
        [
            ("SW-L1A-01", "2a", 16),
            ("SW-L1A-01", "2b", 8),
            ("SW-L1A-01", "4", 16),  # rows 2–4: 24 and 16
            ("SW-L3-01", "2a", 36),
            ("SW-L3-01", "2b", 4),
            ("SW-L3-01", "4", 20),  # rows 5–7: 40 and 20
            ("SW-L9-01", "1", 100),
            ("SW-L9-01", "4", 45),  # rows 8–9
        ],
    )
    return read_register(path, REFDATA)


def _k704(register, which):
    settings = Settings({**Settings.defaults(), "framework_minimum": which})
    return [(w.contract_ids[0], w.cell) for w in register_warnings(register, REFDATA, settings) if w.code == "K704"]


def test_k704_lower_framework_minimum(register):
    # lot 1a: 2a 16 + 2b 8 = 24 ≥ 20; 4: 16 ≥ 16.  lot 3: 40 ≥ 40 (equal is fine); 4: 20 < 21.
    # lot 9: output 1 100 < 107; 4: 45 ≥ 45.
    assert _k704(register, "lower") == [("SW-L3-01", "Targets!C7"), ("SW-L9-01", "Targets!C8")]


def test_k704_higher_framework_minimum(register):
    # lot 1a: 24 < 32; lot 3: 40 < 42 (and output 4 as before); lot 9 has no output 2
    assert _k704(register, "higher") == [
        ("SW-L1A-01", "Targets!C2 + Targets!C3"),
        ("SW-L3-01", "Targets!C5 + Targets!C6"),
        ("SW-L3-01", "Targets!C7"),
        ("SW-L9-01", "Targets!C8"),
    ]
    settings = Settings({**Settings.defaults(), "framework_minimum": "higher"})
    msg = next(w.message for w in register_warnings(register, REFDATA, settings) if w.contract_ids == ("SW-L1A-01",))
    assert msg.startswith(
        "Targets!C2 + Targets!C3: contract SW-L1A-01 (lot 1a) annual target for output 2 is "
        "24 (2a 16 + 2b 8), below the lot's framework minimum of 32"
    )
    assert "framework_minimum = higher" in msg


def test_k704_a_missing_core_target_is_below_the_minimum():
    c = facts(lot="5", value="165000.00", o2a=40, o2b=3)  # 43 ≥ 43, but no output 4
    ws = register_warnings(Register(Path("r.xlsx"), {c.contract_id: c}), REFDATA, Settings.defaults())
    assert [(w.code, w.value) for w in ws] == [("K704", None)]
    assert "no annual target for core output 4; the framework minimum is 22" in ws[0].message


def test_framework_minimum_reads_table_3():
    low, high = Settings.defaults(), Settings({**Settings.defaults(), "framework_minimum": "higher"})
    assert [framework_minimum(REFDATA, "6", "2", s) for s in (low, high)] == [20, 38]
    assert framework_minimum(REFDATA, "9", "1", low) == 107 and framework_minimum(REFDATA, "9", "4", low) == 45


# --- K705: a supplier's contracts and lots --------------------------------------------------------


def _contract(cid, lot, start, end, provider="Southwark Skills Trust"):
    return ContractFacts(
        cid,
        provider,
        lot,
        start,
        end,
        Decimal("100000.00"),
        targets={"2a": Target("2a", 50), "4": Target("4", 50), "1": Target("1", 200)},
    )


def _k705(contracts):
    reg = Register(Path("r.xlsx"), {c.contract_id: c for c in contracts})
    return [w for w in register_warnings(reg, REFDATA, Settings.defaults()) if w.code == "K705"]


def test_k705_four_contracts_at_once():
    held = [_contract(f"SW-{i}", lot, date(2025, 4, 1), date(2027, 3, 31)) for i, lot in enumerate("2345")]
    held[3] = _contract("SW-3", "5", date(2026, 1, 1), date(2027, 12, 31), provider="southwark  skills trust")
    [w] = _k705(held)
    assert w.contract_ids == ("SW-0", "SW-1", "SW-2", "SW-3") and w.value == 4
    assert "holds 4 contracts at once on 01/01/2026" in w.message and "at most 3" in w.message


def test_k705_three_at_once_is_quiet_when_the_fourth_starts_after_one_ends():
    held = [
        _contract("SW-0", "2", date(2025, 4, 1), date(2026, 3, 31)),
        _contract("SW-1", "3", date(2025, 4, 1), date(2027, 3, 31)),
        _contract("SW-2", "4", date(2025, 4, 1), date(2027, 3, 31)),
        _contract("SW-3", "5", date(2026, 4, 1), date(2028, 3, 31)),
    ]
    assert _k705(held) == []


def test_k705_six_lots():
    # one at a time, two years each, on lots 2–7: never more than one held, but six lots
    held = [
        _contract(f"SW-{lot}", lot, date(2015 + 2 * i, 4, 1), date(2017 + 2 * i, 3, 31))
        for i, lot in enumerate("234567")
    ]
    [w] = _k705(held)
    assert w.value == 6 and "contracts on 6 lots (2, 3, 4, 5, 6, 7)" in w.message and "at most 5 lots" in w.message


def test_k705_sub_lots_are_one_lot():
    lots = ["1a", "1b", "2", "3", "4", "5"]  # lots 1–5: five lots
    held = [
        _contract(f"SW-{lot}", lot, date(2015 + 2 * i, 4, 1), date(2017 + 2 * i, 3, 31)) for i, lot in enumerate(lots)
    ]
    assert _k705(held) == []


def test_k705_names_the_register_cells(register):
    assert [w.code for w in register_warnings(register, REFDATA, Settings.defaults())] == ["K704", "K704"]
    c = next(iter(register.contracts.values()))
    assert c.cells["Provider"] == "Contracts!B2"


# --- K706: annual value against the lot maximum ---------------------------------------------------


def _k706(*contracts):
    reg = Register(Path("r.xlsx"), {c.contract_id: c for c in contracts})
    return [w for w in register_warnings(reg, REFDATA, Settings.defaults()) if w.code == "K706"]


def test_k706_annual_value_over_the_lot_maximum():
    # lot 7's Table 1 maximum is £77,000 a year: £77,000.01 is over it
    c = facts(lot="7", value="77000.01", o2a=10, o4=9)
    [w] = _k706(c)
    assert w.contract_ids == ("SW-L7-01",)
    assert "annual value of £77,000.01, over the lot's maximum annual value of £77,000.00 (§2 Table 1)" in w.message


def test_k706_quiet_at_the_maximum_and_for_sub_lots():
    assert _k706(facts(lot="7", value="77000.00", o2a=10, o4=9)) == []
    # sub-lot 1b: lot 1's maximum £143,000
    assert _k706(facts(lot="1b", value="143000.00", o2a=20, o4=16)) == []
    assert len(_k706(facts(lot="1b", value="143000.50", o2a=20, o4=16))) == 1
