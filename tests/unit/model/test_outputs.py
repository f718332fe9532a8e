"""swtool.model.outputs: output and lot codes, their core outputs and their order."""

from __future__ import annotations

import pytest

from swtool.model.outputs import OUTPUT_NAMES, core_outputs, lot_number, lot_order, output_order


@pytest.mark.parametrize(
    "lot, expected", [("1a", ("2", "4")), ("1c", ("2", "4")), ("3", ("2", "4")), ("8", ("2", "4")), ("9", ("1", "4"))]
)
def test_core_outputs(lot, expected):
    assert core_outputs(lot) == expected


def test_outputs_sort_by_number_then_letter():
    codes = ["10", "4", "2b", "3a", "1", "2", "2a", "x", "9"]
    assert sorted(codes, key=output_order) == ["1", "2", "2a", "2b", "3a", "4", "9", "10", "x"]


def test_lots_sort_by_number_then_sub_lot():
    assert sorted(["10", "2", "1b", "9", "1a", "Network"], key=lot_order) == ["1a", "1b", "2", "9", "10", "Network"]


@pytest.mark.parametrize("lot, number", [("1a", "1"), ("1c", "1"), (" 7", "7"), ("10", "10"), ("X", "X")])
def test_lot_number_of_a_sub_lot_is_its_lot(lot, number):
    assert lot_number(lot) == number


def test_every_output_has_a_name():
    assert OUTPUT_NAMES["2"] == "job and apprenticeship starts, 2a + 2b"
    assert set(OUTPUT_NAMES) == {"1", "2", "2a", "2b", "3a", "3b", "4", "5", "6"}
