import pytest

from tui_helpers import ledger_with_late_l7


@pytest.fixture
def late_l7_ledger(tmp_path):
    """(a copy of the sample ledger with SW-L7-01's late version 2 imported, what the import returned)."""
    return ledger_with_late_l7(tmp_path / "late" / "ledger.sqlite3")
