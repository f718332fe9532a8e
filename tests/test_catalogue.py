"""The rule catalogue in the code agrees with docs/spec/RULES.md, and every rule is tested somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from swtool import catalogue
from swtool.findings import SEVERITIES

ROOT = Path(__file__).resolve().parent.parent
RULES_MD = ROOT / "docs" / "spec" / "RULES.md"
TESTS = Path(__file__).resolve().parent

# Codes the tool has that RULES.md does not (yet) list: S010 template-version is ours.
OURS = {"S010"}

_ROW_RE = re.compile(r"^\|\s*([SRCPXNDK]\d{3})\s*\|\s*([a-z0-9-]+)\s*\|\s*(error|warning|info)\s*\|")


def spec_rules() -> dict[str, tuple[str, str]]:
    """code -> (slug, severity), from the catalogue tables of RULES.md."""
    out: dict[str, tuple[str, str]] = {}
    for line in RULES_MD.read_text(encoding="utf-8").splitlines():
        m = _ROW_RE.match(line)
        if m:
            assert m[1] not in out, f"RULES.md lists {m[1]} twice"
            out[m[1]] = (m[2], m[3])
    return out


REGISTRY = catalogue.load_all()
SPEC = spec_rules()


def test_rules_md_was_parsed():
    assert len(SPEC) >= 70 and {"S001", "R101", "C215", "P309", "X408", "N507", "D605", "K705"} <= set(SPEC)


def test_every_code_in_rules_md_is_registered():
    missing = sorted(set(SPEC) - set(REGISTRY))
    assert missing == [], f"RULES.md codes with no registered rule: {missing}"


def test_pmo_rules_are_declared_for_the_ledger():
    """The K family runs over the ledger of returns, not over one return: declared, no check function."""
    k = {code: r for code, r in REGISTRY.items() if code.startswith("K") or code in ("C219", "C220")}
    assert sorted(k) == ["C219", "C220", "K701", "K702", "K703", "K704", "K705", "K706"]
    assert all(r.stage == "ledger" and r.check is None for r in k.values())


def test_only_our_own_codes_are_missing_from_rules_md():
    assert sorted(set(REGISTRY) - set(SPEC)) == sorted(OURS)


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_rule_is_fully_declared(code):
    r = REGISTRY[code]
    assert r.code == code and catalogue.CODE_RE.fullmatch(code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", r.slug), r.slug
    assert r.severity in SEVERITIES
    for attr in ("spec", "description", "fix"):
        assert str(getattr(r, attr) or "").strip(), f"{code} has no {attr}"
    assert r.stage in ("read", "ledger") or callable(r.check), f"{code} has no check function"


def test_codes_and_slugs_are_unique():
    slugs = [r.slug for r in REGISTRY.values()]
    assert len(set(slugs)) == len(slugs)
    assert len(set(REGISTRY)) == len(REGISTRY)


@pytest.mark.parametrize("code", sorted(set(REGISTRY) & set(SPEC)))
def test_slug_and_severity_match_rules_md(code):
    r = REGISTRY[code]
    assert (r.slug, r.severity) == SPEC[code], f"{code}: code says {(r.slug, r.severity)}, RULES.md {SPEC[code]}"


def _test_sources() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8")
        for p in sorted(TESTS.rglob("test_*.py"))
        if p.resolve() != Path(__file__).resolve()
    )


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_every_rule_appears_in_a_test(code):
    assert code in MENTIONED, f"no test under tests/ mentions {code}"


# Every code-shaped word of the tests, found in one pass (a search per code took as long per code): a code
# standing alone as a word (\bC201\b) is always one of the words this finds.
MENTIONED = set(re.findall(r"\b[A-Z]\d{3}\b", _test_sources()))


# --- every code is a rule ----------------------------------------------------------------------------


def test_emitting_a_code_the_catalogue_does_not_have_raises():
    from swtool.findings import Location
    from swtool.read.rules import S004
    from swtool.read.tables import Sink

    sink = Sink()
    sink.add(S004, "Registrations!F3: Gender 'F' is not one of the codes", Location("Registrations", 3, "F"), "F")
    sink.add("S005", "Registrations!G3: Age is empty; it is required", Location("Registrations", 3, "G"))
    assert {code: [f.message for f in flags] for code, flags in sink.flags.items()} == {
        "S004": ["Registrations!F3: Gender 'F' is not one of the codes"],
        "S005": ["Registrations!G3: Age is empty; it is required"],
    }
    for wrong in ("S040", "s004", "S004 ", "bad-value", "K799", None):  # a typo, a slug: never a finding
        with pytest.raises(catalogue.UnknownRule):
            sink.add(wrong, "a finding of no rule", Location())
    impostor = catalogue.Rule("S004", "bad-value", "error", "TEMPLATES.md §1", "a look-alike", "none")
    with pytest.raises(catalogue.UnknownRule):  # a rule object the catalogue does not hold
        sink.add(impostor, "a finding of no declared rule", Location())
    assert set(sink.flags) == {"S004", "S005"}
    with pytest.raises(catalogue.UnknownRule, match="S404"):
        catalogue.lookup("S404")
    with pytest.raises(KeyError):  # swtool explain says "no rule" for it
        catalogue.get("no-such-rule")


def test_a_read_flag_of_no_read_rule_stops_the_run():
    """What reading found is reported only under a rule that reading declares (S002–S009)."""
    from types import SimpleNamespace

    from swtool.checks.runner import run_rules
    from swtool.findings import Flag

    for code in ("S099", "X409"):
        sub = SimpleNamespace(read_flags={code: [Flag("a flag")]}, path="r.xlsx")
        with pytest.raises(catalogue.UnknownRule):
            run_rules(sub, None)


@pytest.mark.parametrize("code", sorted(set(SPEC) | set(REGISTRY)))
def test_every_rule_has_a_function_or_a_location_that_resolves(code):
    """Every code of RULES.md names where it is found: its check function, or the reader or ledger function
    declared with it (a ``module:function`` path; a function moved without its rule fails here)."""
    r = REGISTRY[code]
    assert r.found_by, f"{code} names no function that finds it"
    places = r.located()
    assert all(p.file.startswith("swtool/") and p.file.endswith(".py") and p.line > 0 for p in places), places
    if r.check is not None:
        assert [(p.module, p.function) for p in places] == [(r.check.__module__, r.check.__qualname__)]
    elif r.stage == "read":
        assert all(p.module.startswith("swtool.read.") for p in places), places
    else:
        assert r.stage == "ledger" and all(p.module.split(".")[1] in ("calc", "ledger") for p in places), places


def test_a_location_that_does_not_resolve_says_so():
    for wrong in ("swtool.read.tables", "swtool.no_such_module:f", "swtool.read.tables:no_such_function"):
        with pytest.raises(LookupError):
            catalogue.place(wrong)
    with pytest.raises(ValueError, match="found_by"):
        catalogue.declare("S098", "no-finder", "error", "TEMPLATES.md", "x", fix="x", found_by=())


def test_every_code_written_in_the_package_is_a_rule():
    """Codes outside the Sink (a register warning, a cross-contract finding, the PMO's flags) are text: each
    one written in the package is a code of the catalogue, so that a typo there fails too."""
    literal = re.compile(r"""(?<![\w'"])["']([SRCPXNDK]\d{3})["']""")
    found = {
        m[1]: p
        for p in sorted((ROOT / "swtool").rglob("*.py"))
        for m in literal.finditer(p.read_text(encoding="utf-8"))
    }
    assert len(found) > 20
    assert {code: str(p.relative_to(ROOT)) for code, p in found.items() if code not in REGISTRY} == {}
