"""The provider sees the PMO's view: ``swtool check`` prints the App 3 item 1 output table, K701/K702 and
the service credits the return would be liable to, as an estimate the PMO decides (issue 13, item 4).

Every pound figure is worked out by hand in the test. The PMO's own figures for the same files come from
a ledger (``swtool performance``), so the two sides are shown to count alike.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import ledger_helpers as lh
from builders import claim, contract, registration, write_return
from swtool.calc.counting import Registration, registration_for, why_not_counted
from swtool.cli import cli

SAMPLES = lh.SAMPLES
REGISTER = SAMPLES / "register.xlsx"
TODAY = "2026-10-20"
ESTIMATE = "estimated; the council's PMO decides"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def sample(contract_id: str, quarter: str = "2026-27_Q2") -> Path:
    return SAMPLES / "returns" / contract_id / f"{contract_id}_{quarter}.xlsx"


def section(text: str) -> list[str]:
    """The lines of the PMO's view in a text report (from its heading to the file's end)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  What the council's PMO will see"))
    end = next(i for i in range(start, len(lines)) if not lines[i])
    return lines[start:end]


def row_of(lines: list[str], output: str) -> list[str]:
    """The cells of one output's row of the text table (the title's words dropped)."""
    for line in lines:
        parts = line.split()
        if parts and parts[0] == output and len(parts) > 4:
            return parts
    raise AssertionError(f"no row for output {output} in {lines}")


@pytest.fixture
def l4(tmp_path) -> Path:
    """SW-L4-01 2026/27-Q2: no progressions (output 4) against a quarterly target of 5."""
    path = tmp_path / "SW-L4-01_2026-27_Q2.xlsx"
    shutil.copyfile(sample("SW-L4-01"), path)
    return path


# --- under target: the table, the flags, the estimate ---------------------------------------------


def test_check_prints_the_output_table_flags_and_estimated_credits(l4):
    res = run("check", l4, "--register", REGISTER, "--today", TODAY)
    assert res.exit_code == 0, res.output  # the estimate is the PMO's: it never fails the check
    lines = section(res.stdout)
    assert "SW-L4-01 2026/27-Q2, contract quarter 6 (App 3 item 1" in lines[0]
    # output, annual target, quarterly target (annual 20 ÷ 4), actual, % of target, flags
    assert row_of(lines, "4")[-6:] == ["20", "5", "0", "0%", "K701", "K702"]
    assert row_of(lines, "2")[-4:] == ["40", "10", "10", "100%"]  # 2a + 2b: 24 + 16 a year, 6 + 4 a quarter
    assert any(line.strip().startswith("K702  2026/27-Q2 (contract quarter 6), SW-L4-01 output 4") for line in lines)
    # K702, output 4: shortfall 5 − 0 = 5 credits; one credit = (annual value £165,000 × 2) × 10% ÷ annual
    # target 20 = £1,650.00; 5 × £1,650.00 = £8,250.00
    credits = [line for line in lines if "would be liable to" in line]
    assert credits == [
        "    Service credits this return would be liable to at today's readings: £8,250.00 (output 4: "
        "5 credits = £8,250.00) — estimated; the council's PMO decides whether to apply or waive them."
    ]


def test_claims_with_errors_or_an_ineligible_client_do_not_count(tmp_path):
    """Three job starts: one achieved after the quarter (C201 on its row), one of a client outside
    Southwark (R102 on the registration): only one counts, as in the ledger."""
    path = write_return(
        tmp_path,
        "errors.xlsx",
        contract_sheet=contract(),
        registrations=[
            registration(),
            registration(**{"Client ref": "SW100002", "Postcode": "N1 9GU"}),
            registration(**{"Client ref": "SW100003"}),
        ],
        claims=[
            claim(),
            claim(**{"Claim ref": "CL-0002", "Client ref": "SW100002"}),
            claim(
                **{
                    "Claim ref": "CL-0003",
                    "Client ref": "SW100003",
                    "Date achieved": date(2026, 10, 5),
                    "Start date": date(2026, 10, 5),
                }
            ),
        ],
    )
    res = run("check", path, "--today", TODAY, "--format", "json")
    assert res.exit_code == 1  # the two errors
    view = json.loads(res.stdout)["files"][0]["pmo_view"]
    assert view["contract_source"] == "Contract sheet"
    outputs = {o["output"]: o for o in view["outputs"]}
    assert (outputs["2"]["target"], outputs["2"]["actual"], outputs["2"]["percent"]) == (10, 1, 10)
    assert (outputs["1"]["target"], outputs["1"]["actual"]) == (30, 2)  # the R102 registration does not count
    assert (outputs["4"]["target"], outputs["4"]["actual"]) == (5.25, 0)
    assert [(n["cell"], n["why"]) for n in view["not_counted"]] == [
        ("Claims!A3", "the client's registration at Registrations!A3 (2026/27-Q2) has eligibility error R102"),
        ("Claims!A4", "error on its row: C201"),
    ]
    # SW-L3-01: annual value £159,500, so one credit of output 2 (annual target 36 + 4 = 40) is
    # £159,500 × 2 × 10% ÷ 40 = £797.50; of output 4 (annual target 21) £159,500 × 2 × 10% ÷ 21 = £31,900 ÷ 21.
    # Output 2: 10 − 1 = 9 credits × £797.50 = £7,177.50.
    # Output 4: 5.25 − 0 = 5.25 credits × £31,900 ÷ 21 = £167,475 ÷ 21 = £7,975.00.
    # Total: £7,177.50 + £7,975.00 = £15,152.50.
    assert {c["output"]: c["amount"] for c in view["credits"]} == {"2": "7177.50", "4": "7975.00"}
    assert view["estimated_credits"] == "15152.50" and view["estimate"] == ESTIMATE
    text = run("check", path, "--today", TODAY).stdout
    assert (
        "2 of 3 claims on this return would not count until corrected: Claims!A3 (the client's registration at "
        "Registrations!A3 (2026/27-Q2) has eligibility error R102); Claims!A4 (error on its row: C201)"
    ) in text
    assert (
        "at today's readings: £15,152.50 (output 2: 9 credits = £7,177.50; output 4: 5.25 credits = £7,975.00)" in text
    )


def test_two_quarters_setting_flags_k702_without_credits_when_no_earlier_quarter_is_given(l4):
    res = run(
        "check", l4, "--register", REGISTER, "--today", TODAY, "--setting", "credit_quarters=2", "--format", "json"
    )
    view = json.loads(res.stdout)["files"][0]["pmo_view"]
    assert [f["code"] for f in view["flags"]].count("K702") == 1
    assert view["estimated_credits"] == "0.00"
    text = "\n".join(
        section(run("check", l4, "--register", REGISTER, "--today", TODAY, "--setting", "credit_quarters=2").stdout)
    )
    assert "none this quarter (see K702 above)" in text
    assert "whether the previous quarter was also at or below 70% (setting credit_quarters = 2)" in text


# --- on target: nothing alarming ----------------------------------------------------------------------


def test_a_return_that_meets_its_targets_says_nothing_alarming(tmp_path):
    path = tmp_path / "SW-L9-01_2026-27_Q2.xlsx"
    shutil.copyfile(sample("SW-L9-01"), path)
    res = run("check", path, "--register", REGISTER, "--today", TODAY)
    assert res.exit_code == 0
    lines = section(res.stdout)
    for output in ("1", "4", "5", "6"):
        assert row_of(lines, output)[-1] == "100%"  # no flag after the percentage
    assert not any(line.strip().startswith(("K701", "K702")) for line in lines)
    assert (
        "    Every output is within 20% of its quarterly target and no core output is at or below 70%: no K701 "
        "or K702." in lines
    )
    assert f"    No service credits at today's readings ({ESTIMATE})." in lines
    assert "£" not in "\n".join(lines)
    view = json.loads(run("check", path, "--register", REGISTER, "--today", TODAY, "--format", "json").stdout)["files"][
        0
    ]["pmo_view"]
    assert view["flags"] == [] and view["estimated_credits"] == "0.00" and view["not_counted"] == []


def test_without_a_contract_there_is_no_pmo_view(tmp_path):
    path = write_return(tmp_path, "bare.xlsx")
    res = run("check", path, "--today", TODAY)
    assert "What the council's PMO will see" not in res.stdout
    res = run("check", path, "--today", TODAY, "--format", "json")
    assert json.loads(res.stdout)["files"][0]["pmo_view"] is None


# --- to date, and the same figures as the PMO's ledger ----------------------------------------------


def test_history_gives_the_contract_to_date_as_the_ledger_counts_it(tmp_path, ledger_path):
    folder = tmp_path / "SW-L3-01"
    shutil.copytree(SAMPLES / "returns" / "SW-L3-01", folder, ignore=shutil.ignore_patterns("*.json"))
    q2 = folder / "SW-L3-01_2026-27_Q2.xlsx"
    given = sorted(folder.glob("*.xlsx"))
    assert len(given) == 4
    res = run("check", q2, "--register", REGISTER, "--history", folder, "--today", TODAY, "--format", "json")
    view = json.loads(res.stdout)["files"][0]["pmo_view"]
    assert view["earlier_quarters"] == ["2025/26-Q3", "2025/26-Q4", "2026/27-Q1"]
    assert view["missing_quarters"] == ["2025/26-Q1", "2025/26-Q2"]

    # the PMO's figures for the same four returns: the sample ledger holds them (with the sample register),
    # imported as of lh.TODAY, beside the other contracts' returns
    from swtool.ledger import open_ledger, store, views
    from swtool.model.settings import Settings

    rd = lh.refdata(tmp_path)
    with open_ledger(ledger_path) as ledger:
        held = ledger.conn.execute("SELECT sha256 FROM returns WHERE contract_id = 'SW-L3-01'").fetchall()
        assert sorted(h for (h,) in held) == sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in given)
        register = store.current_register(ledger)
        cp = views.contract_performance(
            ledger, register.contracts["SW-L3-01"], store.ledger_quarter(lh.Q2), Settings.defaults(), rd
        )
    pmo = {r.output: (r.variance.actual, r.to_date.actual_to_date, float(r.to_date.target_to_date)) for r in cp.outputs}
    mine = {o["output"]: (o["actual"], o["actual_to_date"], float(o["target_to_date"])) for o in view["outputs"]}
    assert mine == pmo
    assert mine["4"] == (5, 17, 31.5)  # 5.25 a quarter for six quarters, four of them returned
    text = run("check", q2, "--register", REGISTER, "--history", folder, "--today", TODAY).stdout
    assert row_of(section(text), "4")[-3:] == ["95.2%", "17/31.5", "54%"]
    assert "    To date: no earlier return given for 2025/26-Q1, 2025/26-Q2 (counted 0)." in text


# --- the annotated copy ------------------------------------------------------------------------------


def test_the_annotated_copy_has_a_pmo_view_sheet(l4):
    out = l4.with_name("l4.annotated.xlsx")
    res = run("check", l4, "--register", REGISTER, "--today", TODAY, "--annotate", out)
    assert res.exit_code == 0 and f"Annotated copy: {out}" in res.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:2] == ["Findings", "PMO view"]
    rows = [tuple(c for c in r if c is not None) for r in wb["PMO view"].iter_rows(values_only=True)]
    assert rows[0][0].startswith("What the council's PMO will see: SW-L4-01 2026/27-Q2")
    assert ("Output", "Name", "Annual target", "Quarterly target", "Actual", "% of target", "Flag") in rows
    assert ("4", "Clients progressing into a better role", 20, 5, 0, 0, "K701 K702") in rows
    k702 = [r for r in rows if r and r[0] == "K702"]
    assert len(k702) == 1 and "= £8,250.00" in k702[0][1]
    assert any(r and "£8,250.00" in r[0] and ESTIMATE in r[0] for r in rows)


def test_the_annotated_copy_lists_the_claims_that_would_not_count_with_links(tmp_path):
    path = write_return(
        tmp_path,
        "late.xlsx",
        contract_sheet=contract(),
        claims=[
            claim(),
            claim(**{"Claim ref": "CL-0002", "Date achieved": date(2026, 10, 5), "Start date": date(2026, 10, 5)}),
        ],
    )
    out = tmp_path / "late.annotated.xlsx"
    run("check", path, "--today", TODAY, "--annotate", out)
    ws = openpyxl.load_workbook(out)["PMO view"]
    cells = [r for r in ws.iter_rows() if r[0].value == "Claims!A3"]
    assert len(cells) == 1
    assert cells[0][1].value == "output 2a: error on its row: C201"
    assert cells[0][0].hyperlink.location == "'Claims'!A3"


# --- the rule both sides count by ----------------------------------------------------------------------


def reg(day: str, order: int, errors=()) -> Registration:
    return Registration(day, order, 2, f"Registrations!A2 (q{order})", frozenset(errors))


def test_a_claim_is_weighed_against_the_latest_registration_before_it_else_the_earliest():
    old, new = reg("2026-04-10", 0, {"R102"}), reg("2026-08-01", 1)
    assert registration_for([new, old], "2026-08-15") == new
    assert registration_for([new, old], "2026-05-01") == old
    assert registration_for([new, old], "2026-01-01") == old  # none before: the earliest
    assert registration_for([], "2026-01-01") is None


def test_why_a_claim_does_not_count():
    assert why_not_counted({"C201"}, reg("2026-04-10", 0, {"R102"})) == "standing error on its row: C201"
    assert why_not_counted(None, reg("2026-04-10", 0, {"R102", "R118"}), standing="") == (
        "the client's registration at Registrations!A2 (q0) has eligibility error R102"
    )
    assert why_not_counted((), reg("2026-04-10", 0, {"R118"})) is None  # not an eligibility error
    assert why_not_counted((), None) is None


def test_a_contract_without_targets_says_there_is_nothing_to_measure(tmp_path):
    path = write_return(tmp_path, "no-targets.xlsx", contract_sheet=contract(targets={}))
    lines = section(run("check", path, "--today", TODAY).stdout)
    assert lines[-1] == (
        "    The return's Contract sheet gives no output targets for SW-L3-01: nothing to measure this return against."
    )
    assert "£" not in "\n".join(lines)


def test_a_failure_of_the_view_is_one_note_and_the_findings_stand(l4, monkeypatch):
    import swtool.report.pmo_view

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(swtool.report.pmo_view, "view_of", broken)
    res = run("check", l4, "--register", REGISTER, "--today", TODAY)
    assert res.exit_code == 0 and "internal error" not in res.output
    assert (
        "  note: the PMO's view of this return (outputs and service credits) could not be worked out "
        "(ZeroDivisionError); the findings are complete"
    ) in res.stdout.splitlines()
    assert "What the council's PMO will see" not in res.stdout
