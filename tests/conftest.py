import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests import their builders as `builders`


@pytest.fixture(autouse=True)
def isolated_user_data(tmp_path_factory, monkeypatch):
    """No test reads or writes the real user data dir (reference-data overrides, the ledger)."""
    monkeypatch.setenv("SWTOOL_DATA_DIR", str(tmp_path_factory.mktemp("userdata")))
