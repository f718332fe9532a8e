"""Pure arithmetic the council signs: money, targets, variances, service credits, wages, what counts.

``money`` (pounds, pence, percentages, counts as shown, rounding, the quarterly invoice and the Q4
payment), ``targets`` (quarterly and annual targets, actuals, contract quarters, to date against
profile), ``variances`` (K701 output variances, spend against budget), ``credits`` (K702 service
credits and the remedial action plan's review date), ``shared`` (K703, the 20% cap on shared
starts), ``register_limits`` (K704–K706, the register against the framework's limits), ``wages``
(London Living Wage, CPI uplift), ``counting`` (which claims count). Modules here import only
the standard library, ``swtool.model`` and each other: no pandas, no workbooks, no ledger. Every
other part of swtool that needs a pound figure, a percentage or a count in a sentence calls them, so
a figure is worked out, rounded and shown one way everywhere (RULES.md, "Calculations").
"""
