"""The one catalogue of rules.

Every rule declares its code, slug, severity, specification paragraph, one-line description and
how a provider fixes it, right next to the function that checks it::

    @rule("D602", "submitted-late", WARNING, "App 2 §1.2",
          "date submitted after the reporting deadline",
          fix="Submit by the reporting deadline, or agree a late return with the PMO.")
    def submitted_late(sub, ctx):
        ...
        yield Flag("...", where, value)

A rule has one declared severity. A finding may carry a lower one (info when earlier returns were not
given); it may carry a higher one only when the rule declares it with ``raises_to`` (X409: a warning,
and an error when the same transaction was already claimed), so the catalogue says so::

    @rule("X409", "defrayed-before-quarter", WARNING, ..., raises_to=ERROR)
    ...
        yield Flag("...", where, value, severity=ERROR)

Rules of the structure family (S) are found while the workbook is read and typed, not by a function
over a typed submission; they are declared here all the same (``declare``), so that the catalogue,
``swtool rules`` and the docs know every code. Importing this module imports no pandas or openpyxl.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

from swtool.findings import SEVERITIES, Finding, Flag, Location, severity_rank

CODE_RE = re.compile(r"^[SRCPXNDK]\d{3}$")
FAMILIES = {
    "S": "structure",
    "R": "registrations and eligibility",
    "C": "output claims",
    "P": "progression, placements, training",
    "X": "expenditure",
    "N": "narrative, case study, milestones",
    "D": "deadlines and cover",
    "K": "contract performance",
}


@dataclass(frozen=True)
class Rule:
    code: str
    slug: str
    severity: str
    spec: str
    description: str
    fix: str
    check: Callable | None = None
    stage: str = "submission"  # "read": found while reading/typing; "submission": a check function; "ledger": PMO side
    needs: tuple[str, ...] = ()  # "contract", "history", "evidence": context a check cannot run without
    module: str = ""
    raises_to: str | None = None  # the one higher severity a finding of this rule may carry

    @property
    def family(self) -> str:
        return FAMILIES[self.code[0]]

    def finding(self, message: str, where: Location = Location(), value=None, severity: str | None = None) -> Finding:
        return Finding(self.code, self.slug, severity or self.severity, message, where.sheet, where.row,
                       where.column, where.header, where.cell, value, self.spec)

    def may_carry(self, severity: str) -> bool:
        """A finding may be less severe than its rule, or raised only to the severity the rule declares."""
        return severity_rank(severity) >= severity_rank(self.severity) or severity == self.raises_to

    def from_flag(self, flag: Flag) -> Finding:
        if flag.severity is not None and not self.may_carry(flag.severity):
            # a finding more severe than the catalogue says would surprise provider and PMO alike
            raise ValueError(f"rule {self.code} is {self.severity} and declares no raise to {flag.severity}")
        return self.finding(flag.message, flag.where, flag.value, flag.severity)

    def to_dict(self) -> dict:
        return {"code": self.code, "slug": self.slug, "severity": self.severity, "family": self.family,
                "spec": self.spec, "description": self.description, "fix": self.fix, "stage": self.stage,
                "needs": list(self.needs), "raises_to": self.raises_to}


REGISTRY: dict[str, Rule] = {}


def _register(r: Rule) -> Rule:
    if not CODE_RE.match(r.code):
        raise ValueError(f"rule code {r.code!r} is not a letter of SRCPXNDK and three digits")
    if r.severity not in SEVERITIES:
        raise ValueError(f"rule {r.code}: unknown severity {r.severity!r}")
    if r.raises_to is not None and (r.raises_to not in SEVERITIES
                                    or severity_rank(r.raises_to) >= severity_rank(r.severity)):
        raise ValueError(f"rule {r.code}: raises_to {r.raises_to!r} is not above its severity {r.severity!r}")
    if r.code in REGISTRY and REGISTRY[r.code].module != r.module:
        raise ValueError(f"rule code {r.code} declared twice ({REGISTRY[r.code].module}, {r.module})")
    if any(o.slug == r.slug and o.code != r.code for o in REGISTRY.values()):
        raise ValueError(f"rule slug {r.slug!r} used by two codes")
    REGISTRY[r.code] = r
    return r


def declare(code: str, slug: str, severity: str, spec: str, description: str, *, fix: str,
            stage: str = "read", module: str = "") -> Rule:
    """Declare a rule that is found while reading (S family) or on the PMO side (K family)."""
    return _register(Rule(code, slug, severity, spec, description, fix, None, stage, (), module))


def rule(code: str, slug: str, severity: str, spec: str, description: str, *, fix: str,
         needs: Iterable[str] = (), raises_to: str | None = None) -> Callable:
    """Register a check function ``(submission, context) -> Iterable[Flag]`` under a code."""

    def wrap(fn: Callable) -> Callable:
        r = _register(Rule(code, slug, severity, spec, description, fix, fn, "submission", tuple(needs),
                           fn.__module__, raises_to))
        fn.rule = r
        return fn

    return wrap


def load_all() -> dict[str, Rule]:
    """Import every rule module (cheap: none imports pandas at import time) and return the registry."""
    import swtool.checks  # noqa: F401  (registers on import)

    return dict(sorted(REGISTRY.items()))


def get(code: str) -> Rule:
    rules = load_all()
    key = code.strip().upper()
    if key in rules:
        return rules[key]
    for r in rules.values():
        if r.slug == code.strip().lower():
            return r
    raise KeyError(code)


def ruleset_version() -> str:
    """Changes whenever a rule is added, removed, or changes slug or severity (or the severity it may raise to)."""
    import hashlib

    rules = load_all()
    digest = hashlib.sha256("|".join(f"{r.code}:{r.slug}:{r.severity}" + (f">{r.raises_to}" if r.raises_to else "")
                                     for r in rules.values()).encode())
    return f"{len(rules)}-{digest.hexdigest()[:8]}"
