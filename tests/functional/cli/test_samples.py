"""The shipped samples: clean returns stay clean, faulty ones show their faults, and every
sample's findings equal its golden ``.expected.json`` (regenerate with `make samples-expected`
after a deliberate rule change, and read the diff)."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "samples"))

import make_samples  # noqa: E402


@pytest.fixture(scope="module")
def reports(golden_reports):
    return golden_reports  # make_samples.run_samples(), once for the run (conftest)


def test_every_sample_has_a_golden_file():
    files = make_samples.sample_files()
    assert len(files) >= 10
    missing = [p.name for p in files if not make_samples.expected_path(p).exists()]
    assert not missing, f"no .expected.json for {missing}: run `make samples-expected`"


@pytest.mark.parametrize("path", make_samples.sample_files(), ids=lambda p: p.name)
def test_findings_equal_golden(path, reports):
    expected = json.loads(make_samples.expected_path(path).read_text(encoding="utf-8"))
    assert make_samples.expected_of(reports[path]) == expected


def test_clean_returns_have_no_errors(reports):
    for path, report in reports.items():
        if make_samples.RETURNS in path.parents:
            assert report.summary["error"] == 0, (path.name, [f.message for f in report.findings][:5])


@pytest.mark.parametrize("name", list(make_samples.FAULTS))
def test_faulty_samples_show_their_faults(name, reports):
    report = reports[make_samples.FAULTY / f"{name}.xlsx"]
    intended = make_samples.FAULTS[name][3]
    assert intended <= {f.code for f in report.findings}


def test_unreadable_sample_is_s001(reports):
    report = reports[make_samples.FAULTY / "not-a-workbook.xlsx"]
    assert [(f.code, f.value) for f in report.findings] == [("S001", "not-workbook")]


def test_evidence_folder_sample_shows_c215():
    """samples/evidence holds the evidence of one return, with two files missing on purpose."""
    from builders import check
    from swtool.model.refdata import RefData
    from swtool.read.register import read_register

    path = make_samples.RETURNS / "SW-L3-01" / "SW-L3-01_2026-27_Q2.xlsx"
    contract = read_register(make_samples.REGISTER, RefData()).contracts["SW-L3-01"]
    report = check(path, contract=contract, evidence_dir=make_samples.HERE / "evidence")
    missing = sorted(f.value for f in report.findings if f.code == "C215")
    assert missing == ["L3-01-0121.pdf", "L3-01-0135.pdf"]


def test_samples_exercise_every_rule_of_the_checker(reports):
    """Every rule a return can break (all but the PMO's K family) fires in some sample; C215 needs
    the evidence folder (test above)."""
    import re

    spec = (ROOT / "docs" / "spec" / "RULES.md").read_text(encoding="utf-8")
    from swtool.catalogue import load_all

    ledger_only = {code for code, r in load_all().items() if r.stage == "ledger"}  # C219, C220: across contracts
    codes = set(re.findall(r"^\| ([SRCPXND]\d{3}) \|", spec, re.M)) - {"C215"} - ledger_only
    fired = {f.code for r in reports.values() for f in r.findings}
    assert codes - fired == set()
