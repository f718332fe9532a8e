"""The framework's facts as data: quarters, the workbook standard, settings, reference data, words.

``quarter`` (financial years and quarters), ``standard`` (TEMPLATES.md: sheets, columns, code lists),
``settings`` (where the specification contradicts itself), ``refdata`` (the shipped official files
and the framework's reference data), ``outputs`` (output and lot codes: names, core outputs, sort
order), ``words`` (plurals, a/an). The bottom layer: imports only the standard library and
``swtool.errors``.
"""
