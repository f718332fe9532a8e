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

Rules of the structure family (S001–S009) are found while the workbook is read and typed, and those of
the contract family (K) and C219/C220 by the PMO's ledger, not by a function over one typed return. They
are declared all the same (``declare``), each naming the functions that find it (``found_by``, as
``"module:function"`` resolved only when asked, so that a lower layer never imports a higher one), and
the code that finds them emits the declared rule object (``sink.add(S004, ...)``), never a bare code.

Every code is a rule: a code the catalogue does not have raises ``UnknownRule`` wherever it enters
(``lookup``, ``get``, ``Sink.add``), and ``swtool explain CODE`` says where a rule lives (``located``).
Importing this module imports no pandas or openpyxl.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from swtool.findings import SEVERITIES, Finding, Flag, Location, severity_rank

if TYPE_CHECKING:
    from pathlib import Path

CODE_RE = re.compile(r"^[SRCPXNDK]\d{3}$")


class UnknownRule(KeyError):
    """A code (or rule) the catalogue does not have: a mistyped code in the tool, never the provider's doing."""

    def __str__(self) -> str:  # UnknownRule(code) or UnknownRule(code, "found while reading")
        where = self.args[1] if len(self.args) > 1 else "in the catalogue"
        return f"no rule {self.args[0]!r} {where}" if self.args else "no such rule"


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
    found_by: tuple[str, ...] = ()  # "module:function" of what finds it (a check rule: its check function)

    @property
    def family(self) -> str:
        return FAMILIES[self.code[0]]

    def finding(self, message: str, where: Location = Location(), value=None, severity: str | None = None) -> Finding:
        return Finding(
            self.code,
            self.slug,
            severity or self.severity,
            message,
            where.sheet,
            where.row,
            where.column,
            where.header,
            where.cell,
            value,
            self.spec,
        )

    def may_carry(self, severity: str) -> bool:
        """A finding may be less severe than its rule, or raised only to the severity the rule declares."""
        return severity_rank(severity) >= severity_rank(self.severity) or severity == self.raises_to

    def from_flag(self, flag: Flag) -> Finding:
        if flag.severity is not None and not self.may_carry(flag.severity):
            # a finding more severe than the catalogue says would surprise provider and PMO alike
            raise ValueError(f"rule {self.code} is {self.severity} and declares no raise to {flag.severity}")
        return self.finding(flag.message, flag.where, flag.value, flag.severity)

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "slug": self.slug,
            "severity": self.severity,
            "family": self.family,
            "spec": self.spec,
            "description": self.description,
            "fix": self.fix,
            "stage": self.stage,
            "needs": list(self.needs),
            "raises_to": self.raises_to,
            "found_by": list(self.found_by),
        }

    def located(self) -> list[Place]:
        """Where the rule lives: each function that finds it, with its file and line (read from the source,
        not imported: ``swtool explain`` stays quick, and naming a ledger function never loads the ledger)."""
        return [place(path) for path in self.found_by]


@dataclass(frozen=True)
class Place:
    """A function of the tool: ``swtool.read.tables.type_table`` at ``swtool/read/tables.py:457``."""

    module: str
    function: str
    file: str  # relative to the folder holding the package: swtool/read/tables.py
    line: int

    def __str__(self) -> str:
        return f"{self.module}.{self.function} ({self.file}:{self.line})"


@lru_cache(maxsize=64)
def _definitions(file: Path) -> list:
    """A module's top-level statements, parsed once: a module holds many rules (and is read for each)."""
    import ast

    return ast.parse(file.read_text(encoding="utf-8")).body


def place(path: str) -> Place:
    """Resolve ``"module:function"`` (the function may be dotted: ``Class.method``) to where it is defined,
    from the module's source without importing it. ``LookupError`` when the module or a definition of the
    function is not there (a rule whose finder was moved or renamed without its declaration)."""
    import ast
    import importlib.util
    from pathlib import Path

    module, sep, name = path.partition(":")
    if not sep or not module or not name:
        raise LookupError(f"{path!r} is not 'module:function'")
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as e:
        raise LookupError(f"{path}: no module {module} ({e})") from None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise LookupError(f"{path}: no source for module {module}")
    file = Path(spec.origin)
    nodes: list = _definitions(file)
    lines: list[int] = []
    for part in name.split("."):
        found = next(
            (
                n
                for n in nodes
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == part
            ),
            None,
        )
        if found is None:
            raise LookupError(f"{path}: {module} defines no {name}")
        nodes, lines = found.body, [found.lineno] + [d.lineno for d in found.decorator_list]
    line = min(lines)
    top = importlib.util.find_spec(module.partition(".")[0])
    root = Path(next(iter(top.submodule_search_locations or [])) if top else file).resolve().parent
    try:
        shown = file.resolve().relative_to(root).as_posix()
    except ValueError:
        shown = file.name
    return Place(module, name, shown, line)


REGISTRY: dict[str, Rule] = {}


def _register(r: Rule) -> Rule:
    if not CODE_RE.match(r.code):
        raise ValueError(f"rule code {r.code!r} is not a letter of SRCPXNDK and three digits")
    if r.severity not in SEVERITIES:
        raise ValueError(f"rule {r.code}: unknown severity {r.severity!r}")
    if r.raises_to is not None and (
        r.raises_to not in SEVERITIES or severity_rank(r.raises_to) >= severity_rank(r.severity)
    ):
        raise ValueError(f"rule {r.code}: raises_to {r.raises_to!r} is not above its severity {r.severity!r}")
    if r.code in REGISTRY and REGISTRY[r.code].module != r.module:
        raise ValueError(f"rule code {r.code} declared twice ({REGISTRY[r.code].module}, {r.module})")
    if any(o.slug == r.slug and o.code != r.code for o in REGISTRY.values()):
        raise ValueError(f"rule slug {r.slug!r} used by two codes")
    REGISTRY[r.code] = r
    return r


def declare(
    code: str,
    slug: str,
    severity: str,
    spec: str,
    description: str,
    *,
    fix: str,
    found_by: str | Iterable[str],
    stage: str = "read",
    module: str = "",
) -> Rule:
    """Declare a rule that is found while reading (S family) or on the PMO side (K family, C219/C220).

    ``found_by``: the function(s) that find it, as ``"module:function"``, resolved only when asked
    (``Rule.located``), so that declaring a ledger rule does not import the ledger. The finders emit
    the returned rule object (``sink.add(S004, ...)``, ``S001.finding(...)``)."""
    paths = (found_by,) if isinstance(found_by, str) else tuple(found_by)
    if not paths or not all(isinstance(p, str) and p.count(":") == 1 for p in paths):
        raise ValueError(f"rule {code}: found_by must name its finders as 'module:function', not {found_by!r}")
    return _register(Rule(code, slug, severity, spec, description, fix, None, stage, (), module, None, paths))


def rule(
    code: str,
    slug: str,
    severity: str,
    spec: str,
    description: str,
    *,
    fix: str,
    needs: Iterable[str] = (),
    raises_to: str | None = None,
) -> Callable:
    """Register a check function ``(submission, context) -> Iterable[Flag]`` under a code."""

    def wrap(fn: Any) -> Any:  # a function; it gains the attribute ``rule``
        r = _register(
            Rule(
                code,
                slug,
                severity,
                spec,
                description,
                fix,
                fn,
                "submission",
                tuple(needs),
                fn.__module__,
                raises_to,
                (f"{fn.__module__}:{fn.__qualname__}",),
            )
        )
        fn.rule = r
        return fn

    return wrap


def load_all() -> dict[str, Rule]:
    """Import every rule module (cheap: none imports pandas at import time) and return the registry."""
    import swtool.checks  # noqa: F401  (registers on import)

    return dict(sorted(REGISTRY.items()))


def get(code: str) -> Rule:
    """A rule by code or slug, as a user types it (``swtool explain s004``); ``UnknownRule`` if none."""
    rules = load_all()
    key = code.strip().upper()
    if key in rules:
        return rules[key]
    for r in rules.values():
        if r.slug == code.strip().lower():
            return r
    raise UnknownRule(code)


def lookup(code: str | Rule) -> Rule:
    """The declared rule of a code (exactly as declared: ``"S004"``) or the rule object itself, checked to be
    the one the catalogue holds. ``UnknownRule`` for anything else: every code the tool emits is a rule."""
    if isinstance(code, Rule):
        if REGISTRY.get(code.code) is not code:
            raise UnknownRule(code.code)
        return code
    r = REGISTRY.get(code) if isinstance(code, str) else None
    if r is None and isinstance(code, str) and CODE_RE.match(code):
        r = load_all().get(code)  # a code of a family not imported yet
    if r is None:
        raise UnknownRule(code)
    return r


def ruleset_version() -> str:
    """Changes whenever a rule is added, removed, or changes slug or severity (or the severity it may raise to)."""
    import hashlib

    rules = load_all()
    digest = hashlib.sha256(
        "|".join(
            f"{r.code}:{r.slug}:{r.severity}" + (f">{r.raises_to}" if r.raises_to else "") for r in rules.values()
        ).encode()
    )
    return f"{len(rules)}-{digest.hexdigest()[:8]}"
