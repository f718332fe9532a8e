"""register.money: each distinct amount converted once, every amount as calc.money.penny gives it."""

from decimal import Decimal

from swtool.calc.money import penny
from swtool.read.register import money


def test_amounts_are_pennies_and_blanks_are_none():
    for value in (9000.0, 9000, 1519.045, -0.005, 0.0, -0.0, 12.71, Decimal("3.333"), Decimal("3.330")):
        assert money(value) == money(value) == penny(value)
        assert str(money(value)) == str(penny(value))
    assert money(None) is None and money(float("nan")) is None
