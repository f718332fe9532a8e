"""Pure arithmetic the council signs: money, variances against profile and budget, service credits.

Modules here import only the standard library and each other: no pandas, no workbooks, no ledger.
Every other part of swtool that needs a pound figure or a percentage calls them, so a figure is
worked out, rounded and shown one way everywhere (RULES.md, "Calculations").
"""
