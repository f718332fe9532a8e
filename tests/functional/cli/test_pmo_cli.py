"""The PMO's commands: register import, import, returns, decide, status, credits, rap, report network,
db backup. The figures are those of the shipped samples (samples/register.xlsx, samples/returns)."""

from __future__ import annotations

import json
import re
import shutil
import stat
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import ledger_helpers as lh
from swtool.cli import cli

Q2 = lh.Q2
TODAY = lh.TODAY.isoformat()


def run(*args, code: int = 0):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, (result.exit_code, result.output)
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A ledger built through the commands themselves; their output is checked here."""
    folder = tmp_path_factory.mktemp("pmo")
    register, returns = lh.copy_samples(folder / "in")
    db = folder / "ledger" / "ledger.sqlite3"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SWTOOL_DATA_DIR", str(folder / "userdata"))
        out = run("register", "import", register, "--db", db).output
        assert out == f"Imported {register} as register version 1: 7 contracts\n"
        out = run("import", returns, "--db", db, "--today", TODAY).output
    lines = out.splitlines()
    assert lines[-1] == "13 files: 13 imported"
    said = f"{returns / lh.L3_Q2}: imported as version 1 of SW-L3-01 2026/27-Q2 (return 6): 0 errors, 1 warning"
    assert said in lines
    return db, returns


@pytest.fixture
def db(built, tmp_path):
    return lh.clone(built[0], tmp_path / "ledger" / "ledger.sqlite3")


@pytest.fixture
def returns(built):
    return built[1]


def test_reimport_says_already_imported(db, returns):
    out = run("import", returns / lh.L3_Q2, "--db", db, "--today", TODAY).output
    assert out == (
        f"{returns / lh.L3_Q2}: already imported as version 1 of SW-L3-01 2026/27-Q2 (return 6); nothing "
        "changed\n1 file: 1 already in the ledger\n"
    )


def test_the_default_ledger_is_in_the_user_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SWTOOL_DATA_DIR", str(tmp_path / "data"))
    shutil.copyfile(lh.SAMPLES / "register.xlsx", tmp_path / "register.xlsx")
    run("register", "import", tmp_path / "register.xlsx")
    path = tmp_path / "data" / "ledger.sqlite3"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    out = run("register", "import", tmp_path / "register.xlsx").output
    assert "is already the register in force (version 1, 7 contracts); nothing changed" in out


def test_status_of_the_samples(db):
    out = run("status", "--quarter", Q2, "--today", TODAY, "--db", db).output
    lines = out.splitlines()
    assert lines[0] == (
        "Status of 2026/27-Q2 returns on 23/11/2026 (reporting deadline 14/10/2026, final deadline 28/10/2026)"
    )
    assert lines[1] == "Settings: credit_quarters=1 (swtool rules --settings explains them)"
    rows = {line.split()[0]: re.sub(r"\s{2,}", " | ", line) for line in lines if line.startswith("SW-")}
    assert rows["SW-L3-01"] == (
        "SW-L3-01 | Bermondsey Pathways CIC | 3 | version 1, on time (12/10/2026) | 0 | 1 | "
        "2: 10/10 100% | 4: 5/5.25 95.2% | £0.00 | -"
    )
    assert rows["SW-L7-01"] == (
        "SW-L7-01 | Peckham Recovery to Work | 7 | version 1, on time (12/10/2026) | 0 | 1 | "
        "2: 2/2.5 80% | 4: 2/2.25 88.9% | £0.00 | -"
    )
    assert rows["SW-L4-01"].endswith("| 0 | 0 | 2: 10/10 100% | 4: 0/5 0% | £8,250.00 (pending) | needed")
    assert rows["SW-L5-01"].endswith("| 0 | 0 | 2: 11/11 100% | 4: 1/6 16.7% | £6,875.00 (pending) | needed")
    assert rows["SW-L8-01"].endswith("| 0 | 0 | 2: 6/6 100% | 4: 0/5 0% | £8,250.00 (pending) | needed")
    assert rows["SW-L9-01"].endswith("| 0 | 1 | 1: 27/27 100% | 4: 12/12 100% | £0.00 | -")
    assert sorted(rows) == ["SW-L1A-01", "SW-L3-01", "SW-L4-01", "SW-L5-01", "SW-L7-01", "SW-L8-01", "SW-L9-01"]
    assert lines[-2:] == [
        "7 contracts: 7 on time",
        "Service credits due and not waived: £23,375.00 (details: swtool credits --quarter 2026/27-Q2)",
    ]


def test_status_says_not_yet_due_then_missing(db):
    before = run("status", "--quarter", "2026/27-Q3", "--today", "2027-01-13", "--db", db).output
    after = run("status", "--quarter", "2026/27-Q3", "--today", "2027-01-14", "--db", db).output
    assert before.splitlines()[-2] == "7 contracts: 7 not yet due"
    assert after.splitlines()[-2] == "7 contracts: 7 missing"
    late = run("status", "--quarter", "2025/26-Q4", "--today", TODAY, "--db", db).output
    assert "SW-L3-01    Bermondsey Pathways CIC   3      version 1, on time (13/04/2026)" in late
    assert late.splitlines()[-2] == "7 contracts: 6 missing, 1 on time"


def _line(contract, provider, lot, outputs):
    keys = ("output", "target", "actual", "percent", "credit_value", "credits", "amount", "status")
    return {
        "contract": contract,
        "provider": provider,
        "lot": lot,
        "contract_quarter": 6,
        "outputs": [dict(zip(keys, o, strict=True)) for o in outputs],
    }


EXPECTED_CREDITS = {
    "quarter": Q2,
    "setting": {"credit_quarters": 1},
    "contracts": [
        _line(
            "SW-L1A-01",
            "Walworth Young Futures",
            "1a",
            [("2", 6, 6, 100, "1191.67", 0, "0.00", "not due"), ("4", 4, 4, 100, "1787.50", 0, "0.00", "not due")],
        ),
        _line(
            "SW-L3-01",
            "Bermondsey Pathways CIC",
            "3",
            [
                ("2", 10, 10, 100, "797.50", 0, "0.00", "not due"),
                ("4", 5.25, 5, 95.24, "1519.05", 0, "0.00", "not due"),
            ],
        ),
        _line(
            "SW-L4-01",
            "Rotherhithe Supported Employment",
            "4",
            [("2", 10, 10, 100, "825.00", 0, "0.00", "not due"), ("4", 5, 0, 0, "1650.00", 5, "8250.00", "pending")],
        ),
        _line(
            "SW-L5-01",
            "Nunhead Families into Work",
            "5",
            [
                ("2", 11, 11, 100, "750.00", 0, "0.00", "not due"),
                ("4", 6, 1, 16.67, "1375.00", 5, "6875.00", "pending"),
            ],
        ),
        _line(
            "SW-L7-01",
            "Peckham Recovery to Work",
            "7",
            [
                ("2", 2.5, 2, 80, "1540.00", 0, "0.00", "not due"),
                ("4", 2.25, 2, 88.89, "1711.11", 0, "0.00", "not due"),
            ],
        ),
        _line(
            "SW-L8-01",
            "Elephant Housing and Jobs",
            "8",
            [("2", 6, 6, 100, "1375.00", 0, "0.00", "not due"), ("4", 5, 0, 0, "1650.00", 5, "8250.00", "pending")],
        ),
        _line(
            "SW-L9-01",
            "Camberwell Progress Partnership",
            "9",
            [("1", 27, 27, 100, "277.78", 0, "0.00", "not due"), ("4", 12, 12, 100, "625.00", 0, "0.00", "not due")],
        ),
    ],
}


def test_credits_json_of_the_samples(db):
    out = run("credits", "--quarter", Q2, "--format", "json", "--db", db).output
    assert json.loads(out) == EXPECTED_CREDITS


def test_credits_text_shows_every_input(db):
    out = run("credits", "--quarter", Q2, "--db", db).output
    assert (
        "  2026/27-Q2 (contract quarter 6), SW-L5-01 output 4 (progressions into a better role): 1 achieved "
        "against a quarterly target of 6 (annual 24 ÷ 4) = 1 ÷ 6 = 16.7%"
    ) in out
    # 5 credits × (£165,000 × 2) × 10% ÷ 24 = 5 × £33,000 ÷ 24 = £165,000 ÷ 24 = £6,875.00
    assert (
        "Shortfall 6 − 1 = 5 credits × (annual value £165,000.00 × 2) × 10% ÷ annual target 24 = £6,875.00 "
        "(£1,375.00 per credit, shown rounded)"
    ) in out
    assert out.splitlines()[-1] == (
        "7 contracts in term; service credits due and not waived: £23,375.00; 3 decisions pending"
    )


def test_credit_decisions_show_in_credits_and_status(db):
    out = run(
        "decide",
        "credit",
        "SW-L4-01",
        "--quarter",
        Q2,
        "--output",
        "4",
        "--waive",
        "--reason",
        "data-entry delay evidenced",
        "--db",
        db,
    ).output
    assert re.match(
        r"Decision 1: waive service credits for SW-L4-01 2026/27-Q2 output 4 \(5 credits, £8,250\.00\) ", out
    )
    run(
        "decide",
        "credit",
        "SW-L8-01",
        "--quarter",
        Q2,
        "--output",
        "4",
        "--apply",
        "--reason",
        "no progressions",
        "--db",
        db,
    )
    report = json.loads(run("credits", "--quarter", Q2, "--format", "json", "--db", db).output)
    status = {(c["contract"], o["output"]): o["status"] for c in report["contracts"] for o in c["outputs"]}
    assert (status[("SW-L4-01", "4")], status[("SW-L8-01", "4")], status[("SW-L5-01", "4")]) == (
        "waived",
        "applied",
        "pending",
    )
    out = run("status", "--quarter", Q2, "--today", TODAY, "--db", db).output
    assert "£0.00 (waived)" in out and "£8,250.00 (applied)" in out
    assert "Service credits due and not waived: £15,125.00" in out
    run(
        "decide",
        "credit",
        "SW-L4-01",
        "--quarter",
        Q2,
        "--output",
        "4",
        "--apply",
        "--reason",
        "on second thoughts",
        "--db",
        db,
    )
    report = json.loads(run("credits", "--quarter", Q2, "--format", "json", "--db", db).output)
    assert report["contracts"][2]["outputs"][1]["status"] == "applied"  # the latest decision wins


def test_decisions_need_an_action_a_reason_and_a_real_target(db):
    r = run("decide", "credit", "SW-L4-01", "--quarter", Q2, "--output", "4", "--waive", "--db", db, code=2)
    assert "Missing option '--reason'" in r.output
    r = run("decide", "credit", "SW-L4-01", "--quarter", Q2, "--output", "4", "--reason", "x", "--db", db, code=2)
    assert "say --apply or --waive" in r.output
    r = run(
        "decide",
        "credit",
        "SW-L4-01",
        "--quarter",
        Q2,
        "--output",
        "3a",
        "--apply",
        "--reason",
        "x",
        "--db",
        db,
        code=2,
    )
    assert "output 3a carries no service credits for lot 4; the core outputs are 2 and 4" in r.output
    r = run("decide", "finding", "6", "C207", "Claims!D5", "--waive", "--reason", "x", "--db", db, code=2)
    assert "return 6 (SW-L3-01 2026/27-Q2 version 1) has no C207 finding at Claims!D5" in r.output
    r = run("decide", "finding", "99", "C207", "-", "--waive", "--reason", "x", "--db", db, code=2)
    assert "no return 99 in the ledger" in r.output


def test_returns_lists_versions_and_shows_findings_without_personal_data(db, tmp_path):
    faulty = tmp_path / "faulty-registrations.xlsx"
    shutil.copyfile(lh.SAMPLES / "faulty" / "faulty-registrations.xlsx", faulty)
    out = run("import", faulty, "--db", db, "--today", TODAY, code=1).output
    assert "imported as version 2 of SW-L1A-01 2026/27-Q2 (return 14): 17 errors, 3 warnings" in out
    out = run("returns", "--contract", "SW-L1A-01", "--db", db).output
    rows = [line.split() for line in out.splitlines()[2:]]
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("1", "2026/27-Q1", "1"),
        ("2", "2026/27-Q2", "1"),
        ("14", "2026/27-Q2", "2"),
    ]
    out = run("returns", "--id", "14", "--db", db).output
    assert "Return 14: SW-L1A-01 2026/27-Q2 version 2" in out
    assert re.search(
        r"R101 +error +Registrations!F2 +- +Registrations!F2: postcode '\[redacted\]' for client SW100021", out
    )
    values = [
        c
        for row in openpyxl.load_workbook(faulty)["Registrations"].iter_rows(min_row=2, values_only=True)
        for c in (row[4], row[5])
    ]  # Age at registration, Postcode
    postcodes = [v for v in values if isinstance(v, str)]
    assert postcodes and not any(p in out for p in postcodes)
    assert re.search(r"R105 .* client SW100026 was \[redacted\] at registration", out)
    shown = run("returns", "--id", "14", "--include-personal", "--db", db).output  # only when asked
    assert "SE1 0AAA" in shown and "[redacted]" not in shown
    run(
        "decide",
        "finding",
        "14",
        "R101",
        "registrations!f2",
        "--query",
        "--reason",
        "asked for the postcode",
        "--db",
        db,
    )
    assert re.search(r"R101 +error +Registrations!F2 +query", run("returns", "--id", "14", "--db", db).output)


def test_unreadable_file_exits_1(db, tmp_path):
    bad = tmp_path / "return.xlsx"
    bad.write_text("not a workbook")
    out = run("import", bad, "--db", db, code=1).output
    assert out.splitlines()[0] == (
        f"{bad}: unreadable, recorded as received: This is not an Excel workbook. Send the "
        "return as an .xlsx file saved from Excel."
    )
    listed = run("returns", "--db", db).output.splitlines()
    at = listed.index("1 file received but not imported (ask the provider for a readable return):")
    assert re.match(
        r"\d{4}-\d\d-\d\d +unreadable +return.xlsx +This is not an Excel workbook\. Send the return", listed[at + 3]
    )
    assert "received but not imported" not in run("returns", "--db", db, "--quarter", Q2).output


def test_returns_lists_no_refused_file_when_every_file_was_imported(db):
    out = run("returns", "--db", db).output
    assert "received but not imported" not in out and len(out.splitlines()) == 2 + 13


def test_rap_write_list_and_close(db, tmp_path):
    plan = tmp_path / "rap.xlsx"
    out = run("rap", "SW-L4-01", "--quarter", Q2, "-o", plan, "--today", TODAY, "--db", db).output
    assert out == (
        f"Remedial action plan 1 for SW-L4-01 2026/27-Q2 recorded as open (review 2027-01-13)\nWrote {plan}\n"
    )
    assert openpyxl.load_workbook(plan).sheetnames == ["Remedial action plan"]
    out = run("rap", "list", "--today", "2027-01-14", "--db", db).output
    assert out.splitlines()[0].split() == [
        "id",
        "contract",
        "quarter",
        "status",
        "review",
        "overdue",
        "opened",
        "by",
        "last",
        "decision",
    ]  # every column named
    assert re.search(r"^1 +SW-L4-01 +2026/27-Q2 +open +2027-01-13 +OVERDUE +2026-11-23 ", out, re.M)
    assert out.splitlines()[-1] == "1 plan overdue for review (review date before 2027-01-14)"
    assert "OVERDUE" not in run("rap", "list", "--today", TODAY, "--db", db).output
    status = run("status", "--quarter", Q2, "--today", TODAY, "--db", db).output
    assert "#1 open (review 13/01/2027)" in status
    assert "Missing option '--reason'" in run("rap", "close", "1", "--db", db, code=2).output
    out = run("rap", "close", "1", "--reason", "progressions back on profile", "--db", db).output
    assert out.startswith("Remedial action plan 1 closed (decision 2, ")
    assert run("rap", "list", "--db", db).output == "No open remedial action plans\n"
    assert "closed" in run("rap", "list", "--all", "--db", db).output
    assert "already closed" in run("rap", "close", "1", "--reason", "again", "--db", db, code=2).output


def test_network_report(db, tmp_path):
    out = tmp_path / "network.xlsx"
    assert run("report", "network", "--year", "2026/27", "-o", out, "--db", db).output == f"Wrote {out}\n"
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [
        "About",
        "Outputs",
        "Shared outputs",
        "Equalities",
        "Charts",
        "Equality of outcome",
        "Referrals",
        "Value for money",
        "Produced from",
    ]
    assert wb["About"]["A2"].value == "Period: 2026/27-Q1 to 2026/27-Q4"
    rows = {(r[0], r[1]): r[3:9] for r in wb["Outputs"].iter_rows(min_row=5, values_only=True)}
    assert rows[("3", "2")] == (10, 10, 1, 10, 10, 1)  # Q1 and Q2: actual, target, % of target
    assert rows[("4", "4")][3:] == (0, 5, 0)  # lot 4's progressions in Q2
    assert "not a financial year" in run("report", "network", "--year", "2026", "-o", out, "--db", db, code=2).output


def test_db_backup_copy_opens_and_holds_the_decisions(db, tmp_path):
    run(
        "decide",
        "credit",
        "SW-L5-01",
        "--quarter",
        Q2,
        "--output",
        "4",
        "--apply",
        "--reason",
        "one progression",
        "--db",
        db,
    )
    copy = tmp_path / "backups" / "ledger-2026-11-23.sqlite3"
    out = run("db", "backup", copy, "--parents", "--db", db).output
    assert out.splitlines() == [
        f"Backed up {db} to {copy}: 13 returns, 1 decision",
        f"Stored returns: 14 new files copied to {copy.parent / 'files'}",
    ]
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert (
        run("credits", "--quarter", Q2, "--format", "json", "--db", copy).output
        == run("credits", "--quarter", Q2, "--format", "json", "--db", db).output
    )
    assert "£6,875.00 (applied)" in run("status", "--quarter", Q2, "--today", TODAY, "--db", copy).output
    assert "is the ledger itself" in run("db", "backup", db, "--db", db, code=2).output


def test_settings_apply_to_credits_and_status(db):
    out = json.loads(
        run("credits", "--quarter", Q2, "--format", "json", "--setting", "credit_quarters=2", "--db", db).output
    )
    assert out["setting"] == {"credit_quarters": 2}
    # two consecutive quarters at or below 70% are needed, and the ledger has no 2026/27-Q1 return for SW-L4-01
    assert [o["status"] for c in out["contracts"] for o in c["outputs"]].count("pending") == 0
    (Path(db).parent / "swtool-settings.toml").write_text("credit_quarters = 2\n")
    status = run("status", "--quarter", Q2, "--today", TODAY, "--db", db).output
    assert status.splitlines()[1] == "Settings: credit_quarters=2 (swtool rules --settings explains them)"
    assert "Service credits due and not waived: £0.00" in status


def test_a_damaged_ledger_is_a_clear_error(tmp_path):
    bad = tmp_path / "ledger.sqlite3"
    bad.write_bytes(b"garbage" * 1000)
    out = run("status", "--quarter", Q2, "--db", bad, code=2).output
    assert out.startswith(f"swtool: the ledger {bad} cannot be used: file is not a database")
    assert "Restore it from your latest backup" in out


# --- performance against profile (K701, K702, K703) --------------------------------------------------


def test_performance_flags_variances_and_under_performance(db):
    out = run("performance", "--quarter", Q2, "--db", db, "--contract", "SW-L4-01").output
    lines = out.splitlines()
    assert lines[:3] == [
        "Performance against profile, 2026/27-Q2",
        "Settings: output_variance_percent=20, credit_quarters=1 (swtool rules --settings explains them)",
        "",
    ]
    assert lines[3] == "SW-L4-01 · Rotherhithe Supported Employment · lot 4 · contract quarter 6 · return 7"
    assert re.search(r"^4 +Clients progressing into a better role +5 +0 +-100% +K701 +0/30 0%$", out, re.M)
    assert re.search(r"^2 +job and apprenticeship starts, 2a \+ 2b +10 +10 +0% +10/60 16.7%$", out, re.M)
    flags = [line.split()[0] for line in lines if line.startswith("  K70")]
    assert flags == ["K701"] * 4 + ["K702"]
    assert (
        "  K701  2026/27-Q2 SW-L4-01 output 4: 0 against a quarterly target of 5 (annual 20 ÷ 4), 100% under "
        "target; more than 20% (setting output_variance_percent = 20, App 2 §1.3)"
    ) in lines
    assert lines[-1] == ("1 contract in term; 5 warnings (K701 variance, K702 under-performance, K703 shared outputs)")


def test_performance_is_quiet_for_a_contract_on_profile(db):
    report = json.loads(
        run("performance", "--quarter", Q2, "--db", db, "--contract", "SW-L9-01", "--format", "json").output
    )
    [l9] = report["contracts"]
    assert l9["flags"] == [] and not any(o["flagged"] for o in l9["outputs"])
    assert [o["output"] for o in l9["outputs"]] == ["1", "4", "5", "6"]
    assert l9["shared"] == {"job_starts": 0, "shared": 0, "percent": None, "over": False}


def test_performance_json_of_every_contract(db):
    report = json.loads(run("performance", "--quarter", Q2, "--db", db, "--format", "json").output)
    assert report["quarter"] == Q2
    assert report["setting"] == {"output_variance_percent": 20, "credit_quarters": 1}
    assert [c["contract"] for c in report["contracts"]] == [
        "SW-L1A-01",
        "SW-L3-01",
        "SW-L4-01",
        "SW-L5-01",
        "SW-L7-01",
        "SW-L8-01",
        "SW-L9-01",
    ]
    l3 = report["contracts"][1]
    assert next(o for o in l3["outputs"] if o["output"] == "3a") == {
        "output": "3a",
        "title": "Clients sustaining a job for 26 weeks",
        "target": 5,
        "target_basis": "annual 20 ÷ 4",
        "actual": 9,
        "variance_percent": 80,
        "flagged": True,
        "target_to_date": 30,
        "actual_to_date": 18,
        "percent_to_date": 60,
    }
    # exactly 20% under is within the allowance (App 2 §1.3: "more than 20%")
    assert next(o for o in l3["outputs"] if o["output"] == "8")["variance_percent"] == -20
    assert not next(o for o in l3["outputs"] if o["output"] == "8")["flagged"]


def test_performance_k703_fires_when_more_than_a_fifth_of_job_starts_are_shared(db, returns, tmp_path):
    source = returns / lh.L7_Q2
    wb = openpyxl.load_workbook(source)
    ws = wb["Claims"]
    column = {c.value: c.column for c in ws[1]}
    ws.cell(2, column["Shared with provider"]).value = "Walworth Young Futures"  # one of L7's four job starts
    ws.cell(2, column["Support hours"]).value = 12  # a shared claim needs its hours
    wb.save(tmp_path / "SW-L7-01_Q2_shared.xlsx")
    run("import", tmp_path / "SW-L7-01_Q2_shared.xlsx", "--db", db, "--today", TODAY)
    out = run("performance", "--quarter", Q2, "--db", db, "--contract", "SW-L7-01").output
    assert (
        "  K703  SW-L7-01: 1 of 4 job and apprenticeship starts (2a + 2b) to date are shared with another "
        "provider = 25%; more than the 20% of a provider's caseload allowed (App 2 §2.3)"
    ) in out.splitlines()


def test_performance_setting_30_percent_is_shown_and_used(db):
    out = run(
        "performance", "--quarter", Q2, "--db", db, "--contract", "SW-L3-01", "--setting", "output_variance_percent=30"
    ).output
    assert "Settings: output_variance_percent=30, credit_quarters=1" in out
    assert "more than 30% (setting output_variance_percent = 30, App 3 item 5)" in out


def test_performance_of_an_unknown_contract_says_which_there_are(db):
    res = CliRunner().invoke(cli, ["performance", "--quarter", Q2, "--db", str(db), "--contract", "SW-L2-09"])
    assert res.exit_code == 2
    assert "contract 'SW-L2-09' is not in the register in force (contracts: SW-L1A-01, SW-L3-01" in res.output


# --- reading a return whole, as JSON, and the status as JSON -----------------------------------------


def test_returns_id_cuts_long_findings_and_full_shows_them_whole(db):
    cut = run("returns", "--id", "6", "--db", db).output
    whole = run("returns", "--id", "6", "--full", "--db", db).output
    data = json.loads(run("returns", "--id", "6", "--format", "json", "--db", db).output)
    (p309,) = data["findings"]
    message = p309["message"]
    assert len(message) > 90 and message.startswith("Claims!D24: the CPI reference data")
    assert message not in cut and "(findings cut at 90 characters: --full shows them whole)" in cut
    assert re.search(r"^P309 +warning +Claims!D24 +- +" + re.escape(message) + "$", whole, re.M)
    assert "--full shows them whole" not in whole


def test_returns_id_json_has_the_return_its_findings_and_their_decisions(db):
    run(
        "decide",
        "finding",
        "6",
        "P309",
        "Claims!D24",
        "--accept",
        "--reason",
        "CPI month agreed",
        "--today",
        "2026-11-20",
        "--db",
        db,
    )
    data = json.loads(run("returns", "--id", "6", "--format", "json", "--db", db).output)
    assert set(data) == {"return", "redacted", "findings", "across_contracts"}
    r = data["return"]
    assert (
        r["id"],
        r["contract"],
        r["quarter"],
        r["version"],
        r["counts"],
        r["why"],
        r["submitted"],
        r["timeliness"],
        r["summary"],
        r["file"],
    ) == (
        6,
        "SW-L3-01",
        Q2,
        1,
        True,
        "yes",
        "2026-10-12",
        "on time",
        {"error": 0, "warning": 1, "info": 0},
        "SW-L3-01_2026-27_Q2.xlsx",
    )
    assert data["redacted"] is True and data["across_contracts"] == []
    (p309,) = data["findings"]
    assert (p309["code"], p309["severity"], p309["cell"], p309["sheet"], p309["row"], p309["column"]) == (
        "P309",
        "warning",
        "Claims!D24",
        "Claims",
        24,
        "D",
    )
    decision = p309["decision"]
    assert (decision["action"], decision["reason"], decision["dated"]) == ("accept", "CPI month agreed", "2026-11-20")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", decision["at"])  # the clock's, kept too


def test_returns_list_json_matches_the_table(db, tmp_path):
    bad = tmp_path / "return.xlsx"
    bad.write_text("not a workbook")
    run("import", bad, "--db", db, code=1)
    data = json.loads(run("returns", "--format", "json", "--db", db).output)
    assert [(r["id"], r["contract"], r["quarter"], r["version"]) for r in data["returns"]][5] == (6, "SW-L3-01", Q2, 1)
    assert len(data["returns"]) == 13 and all(r["counts"] for r in data["returns"])
    (received,) = data["received"]
    assert (received["outcome"], received["file"]) == ("unreadable", "return.xlsx")
    assert received["reason"].startswith("This is not an Excel workbook")


def test_status_json_holds_the_figures_the_table_shows(db):
    data = json.loads(run("status", "--quarter", Q2, "--today", TODAY, "--format", "json", "--db", db).output)
    assert (data["quarter"], data["today"], data["deadline"], data["setting"], data["credits_due"]) == (
        Q2,
        TODAY,
        {"reporting": "2026-10-14", "final": "2026-10-28"},
        {"credit_quarters": 1},
        "23375.00",
    )
    by = {c["contract"]: c for c in data["contracts"]}
    l4 = by["SW-L4-01"]
    assert (
        l4["received"],
        l4["return_id"],
        l4["timeliness"],
        l4["submitted"],
        l4["errors"],
        l4["warnings"],
        l4["credits_due"],
        l4["rap"],
        l4["rap_needed"],
    ) == ("version 1", 7, "on time", "2026-10-12", 0, 0, "8250.00", None, True)
    assert l4["outputs"][1] == {
        "output": "4",
        "target": 5,
        "actual": 0,
        "percent": 0,
        "credits": 5,
        "amount": "8250.00",
        "status": "pending",
    }
    assert by["SW-L3-01"]["outputs"][1]["target"] == 5.25 and by["SW-L3-01"]["rap_needed"] is False


def test_status_full_puts_each_contract_on_one_line(db):
    wrapped = run("status", "--quarter", Q2, "--today", TODAY, "--db", db).output.splitlines()
    full = run("status", "--quarter", Q2, "--today", TODAY, "--full", "--db", db).output.splitlines()
    assert "            Employment" in "\n".join(wrapped)  # a long provider name wraps in the table
    table = full[full.index("") + 3 : full.index("", full.index("") + 1)]
    assert len(table) == 7 and all(line.startswith("SW-") for line in table)
    assert re.search(
        r"^SW-L4-01 +Rotherhithe Supported Employment +4 +version 1, on time \(12/10/2026\) ", "\n".join(table), re.M
    )


# --- decisions and plans are dated as --today says ---------------------------------------------------


def _decision_rows(db) -> list[dict]:
    from swtool.ledger import open_ledger, store

    with open_ledger(db) as ledger:
        return store.decisions(ledger)


def test_decisions_and_plans_are_dated_by_today_and_keep_the_clock(db, tmp_path):
    out = run(
        "decide",
        "credit",
        "SW-L4-01",
        "--quarter",
        Q2,
        "--output",
        "4",
        "--apply",
        "--reason",
        "agreed",
        "--today",
        "2026-10-30",
        "--db",
        db,
    ).output
    assert re.match(
        r"Decision 1: apply service credits for SW-L4-01 2026/27-Q2 output 4 \(5 credits, £8,250\.00\) "
        r"\(\S+, dated 2026-10-30; recorded \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$",
        out,
    )
    out = run("approve", "7", "--reason", "reviewed", "--today", "2026-10-31", "--db", db).output
    assert "for payment (" in out and ", dated 2026-10-31; recorded " in out
    out = run(
        "rap", "SW-L4-01", "--quarter", Q2, "-o", tmp_path / "rap.xlsx", "--today", "2026-11-02", "--db", db
    ).output
    assert out.startswith("Remedial action plan 1 for SW-L4-01 2026/27-Q2 recorded as open")
    listed = run("rap", "list", "--today", "2026-11-03", "--db", db).output
    assert re.search(r"^1 +SW-L4-01 +2026/27-Q2 +open +2027-01-13 +- +2026-11-02 ", listed, re.M)
    out = run("rap", "close", "1", "--reason", "back on profile", "--today", "2027-01-10", "--db", db).output
    assert ", dated 2027-01-10; recorded " in out
    rows = _decision_rows(db)
    assert [(r["kind"], r["action"], json.loads(r["detail"] or "{}").get("dated")) for r in rows] == [
        ("credit", "apply", "2026-10-30"),
        ("return", "approve", "2026-10-31"),
        ("rap", "open", "2026-11-02"),
        ("rap", "close", "2027-01-10"),
    ]
    assert all(r["at"][:4].isdigit() and r["at"].endswith("Z") for r in rows)  # when it was recorded: the clock
    out = run(
        "decide", "credit", "SW-L5-01", "--quarter", Q2, "--output", "4", "--waive", "--reason", "x", "--db", db
    ).output  # without --today: dated by the clock, said once
    assert "dated" not in out and re.search(r"\(\S+, \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$", out.strip())
    assert json.loads(_decision_rows(db)[-1]["detail"]).get("dated") is None
    bad = run(
        "decide",
        "credit",
        "SW-L5-01",
        "--quarter",
        Q2,
        "--output",
        "4",
        "--waive",
        "--reason",
        "x",
        "--today",
        "30/10/2026",
        "--db",
        db,
        code=2,
    ).output
    assert "'30/10/2026' is not a date in YYYY-MM-DD form" in bad and len(_decision_rows(db)) == 5
