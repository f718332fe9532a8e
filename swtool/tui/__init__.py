"""The PMO's terminal UI (Textual): a thin shell over swtool.ledger, started by ``swtool review``.

Nothing below swtool.ledger imports this package (tests/test_import_hygiene.py holds that line).
"""
