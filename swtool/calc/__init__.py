"""Pure arithmetic the council signs: money, targets, variances, service credits, wages, what counts.

``money`` (pounds, pence, percentages, rounding), ``targets`` (quarterly targets and actuals),
``credits`` (service credits, variances, the shared cap, the Q4 payment), ``wages`` (London Living
Wage, CPI uplift), ``counting`` (which claims count). Modules here import only the standard library,
``swtool.model`` and each other: no pandas, no workbooks, no ledger. Every other part of swtool that
needs a pound figure or a percentage calls them, so a figure is worked out, rounded and shown one way
everywhere (RULES.md, "Calculations").
"""
