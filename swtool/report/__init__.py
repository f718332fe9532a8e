"""Reporters: findings as text for a person, JSON for programs, JUnit XML for CI; redaction; the PMO's view.

``text``, ``json_`` and ``junit`` render a run's FileReports; ``redact`` takes personal data out of
them (``--redact``); ``safe`` makes any text safe to print or put in a cell; ``pmo_view`` works out
what the council's PMO will see of a return (outputs against target, K701/K702, service credits) for
the provider who checks it. May import ``swtool.checks``, ``swtool.read``, ``swtool.calc``,
``swtool.model`` and the base modules; never a writer, the ledger or a front end.
"""
