"""Every file swtool writes, and the one guard in front of them all.

``atomic`` (a temporary file, then one rename), ``guard`` (never over the ledger or an input),
``xlsx`` (every cell one safe way), ``templates`` (the council's blank and prefilled workbooks),
``annotate`` (the provider's workbook back with its problems marked), ``receipt`` (what was checked),
``rap_form`` (the App 4 remedial action plan), ``reportbook``, ``outcomes`` and ``network_report``
(the reports' tables and the network report). May import ``swtool.report`` and everything below it;
never the ledger or a front end.
"""
