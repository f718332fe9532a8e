"""Reading e-mailed workbooks safely, and typing what they hold: workbook file → cells → typed tables.

``preflight`` (the checks before any parser opens a file), ``workbook`` (the bounded child process
that reads cells with their coordinates), ``calamine`` and ``formulas`` (the fast reader and its
formula scan), ``tables`` (pandera schemas; raw cells → typed frames, every odd value a flag),
``submission`` (a return, typed: the input of every rule), ``register`` (the contract register and
the facts of a contract). May import ``swtool.calc``, ``swtool.model`` and the base modules
(``errors``, ``findings``); never a rule, a writer, the ledger or a front end.
"""
