"""JUnit XML for CI: one test suite per file, one test case per rule; errors fail the case."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from swtool.findings import ERROR, FileReport
from swtool.model.words import plural


def _located(f, path: str) -> str:
    """A finding with where it is: its message, which names its cell or sheet first, as it is; otherwise
    the place put in front (the file for a finding about the whole return)."""
    where = f.cell or f.sheet or path
    return f.message if f.message.startswith(where) else f"{where}: {f.message}"


def render(reports: list[FileReport], rules: dict) -> str:
    root = ET.Element("testsuites", name="swtool check")
    total_failures = 0
    total_tests = 0
    for r in reports:
        suite = ET.SubElement(root, "testsuite", name=r.path)
        by_code: dict[str, list] = {}
        for f in r.findings:
            by_code.setdefault(f.code, []).append(f)
        failures = 0
        for code, rule in rules.items():
            if rule.stage != "read" and rule.check is None:
                continue  # PMO-side rules do not run on a return
            case = ET.SubElement(suite, "testcase", classname=r.path, name=f"{code} {rule.slug}")
            found = by_code.get(code, [])
            errors = [f for f in found if f.severity == ERROR]
            if errors:
                failures += 1
                fail = ET.SubElement(
                    case, "failure", message=f"{plural(len(errors), 'error')}: {errors[0].message}", type=code
                )
                fail.text = "\n".join(_located(f, r.path) for f in errors)
            others = [f for f in found if f.severity != ERROR]
            if others:
                ET.SubElement(case, "system-out").text = "\n".join(f"{f.severity}: {f.message}" for f in others)
        n = len(suite)
        suite.set("tests", str(n))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        total_tests += n
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
