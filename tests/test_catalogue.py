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
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(TESTS.rglob("test_*.py"))
                     if p.resolve() != Path(__file__).resolve())


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_every_rule_appears_in_a_test(code):
    assert re.search(rf"\b{code}\b", SOURCES), f"no test under tests/ mentions {code}"


SOURCES = _test_sources()
