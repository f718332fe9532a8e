"""The PMO's ledger: every return imported, every finding, every decision, kept in one SQLite file.

The decisions recorded here are records about public money, so the ledger is built never to lose
one: SQLite in WAL mode with ``synchronous=FULL`` (a commit survives a crash or ``kill -9``), one
short explicit transaction per import or decision, tables that refuse UPDATE and DELETE (a change of
mind is a new decision, and the latest one counts), an ``integrity_check`` every time it is opened, a
backup made with SQLite's backup API before any schema migration, and ``swtool db backup`` for
copies (never copy the ``.db`` file by hand while the WAL holds commits: the copy loses them).

Keep the ledger on a local disk: SQLite's locking is not reliable over network file systems.

Persistence is plain code: nothing here imports click, textual or the CLI.
"""

from swtool.ledger.db import Ledger, LedgerError, default_path, open_ledger

__all__ = ["Ledger", "LedgerError", "default_path", "open_ledger"]
