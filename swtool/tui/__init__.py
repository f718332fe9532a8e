"""The PMO's terminal UI (Textual) will live here, as a thin shell over swtool.engine and swtool.ledger.

Nothing below swtool.engine imports this package (tests/test_import_hygiene.py holds that line).
"""
