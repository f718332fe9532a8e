"""The ``swtool`` command, as a provider or CI runs it (sqlite-utils style: CliRunner, exact output)."""

from __future__ import annotations

import csv
import errno
import json
import pathlib
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from builders import contract, registration, write_return
from swtool import catalogue
from swtool.checks.context import CheckContext
from swtool.cli import cli
from swtool.engine import check_paths
from swtool.model.refdata import FILES, PACKAGE_DATA, RefData
from swtool.model.settings import Settings
from swtool.report.json_ import as_dict

TODAY = "2026-10-01"


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> dict[str, Path]:
    """A clean return, one with errors (five bad Gender codes), and one whose date submitted is empty."""
    folder = tmp_path_factory.mktemp("returns")
    return {
        "clean": write_return(folder, "clean.xlsx", contract_sheet=contract()),
        "errors": write_return(
            folder,
            "errors.xlsx",
            contract_sheet=contract(),
            registrations=[registration(**{"Client ref": f"SW10000{i}", "Gender": "F"}) for i in range(1, 6)],
        ),
        "undated": write_return(
            folder, "undated.xlsx", contract_sheet=contract(), cover_values={"Date submitted": None}
        ),
    }


# --- check: exit codes ------------------------------------------------------------------------------


def test_check_clean_exits_0(returns):
    res = invoke("check", str(returns["clean"]), "--today", TODAY)
    assert res.exit_code == 0, res.output
    assert "0 errors" in res.output and ": no errors" in res.output


def test_check_with_errors_exits_1(returns):
    res = invoke("check", str(returns["errors"]), "--today", TODAY)
    assert res.exit_code == 1
    assert "5 errors" in res.output and "cannot be accepted as it stands" in res.output


def test_check_missing_file_exits_2(tmp_path):
    res = invoke("check", str(tmp_path / "nope.xlsx"))
    assert res.exit_code == 2
    assert "does not exist" in res.stderr and "Traceback" not in res.output


def test_check_bad_today_exits_2(returns):
    res = invoke("check", str(returns["clean"]), "--today", "14/10/2026")
    assert res.exit_code == 2
    assert "'14/10/2026' is not a date in YYYY-MM-DD form" in res.stderr


@pytest.mark.parametrize(
    "setting, words",
    [
        ("wage_uplift=sideways", "setting wage_uplift cannot be 'sideways'"),
        ("colour=blue", "unknown setting 'colour'"),
        ("wage_uplift", "--setting takes key=value"),
    ],
)
def test_check_bad_setting_exits_2(returns, setting, words):
    res = invoke("check", str(returns["clean"]), "--setting", setting)
    assert res.exit_code == 2
    assert words in res.stderr and res.stdout == ""


def test_check_unreadable_file_exits_1_with_s001(tmp_path):
    bad = tmp_path / "return.xlsx"
    bad.write_text("not a workbook")
    res = invoke("check", str(bad), "--today", TODAY)
    assert res.exit_code == 1
    assert "S001" in res.output and "not an Excel workbook" in res.output


# --- check: formats ---------------------------------------------------------------------------------

FINDING_KEYS = {"code", "slug", "severity", "message", "sheet", "row", "column", "header", "cell", "value", "spec"}


def test_json_shape_and_equal_to_the_library_report(returns):
    res = invoke("check", str(returns["errors"]), "--format", "json", "--today", TODAY)
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert {"tool", "version", "ruleset_version", "files"} <= set(data)
    assert data["tool"] == "swtool" and data["ruleset_version"] == catalogue.ruleset_version()
    (f,) = data["files"]
    assert {"path", "sha256", "contract", "provider", "lot", "quarter", "summary", "findings"} <= set(f)
    assert (f["contract"], f["provider"], f["lot"], f["quarter"]) == (
        "SW-L3-01",
        "Bermondsey Pathways CIC",
        "3",
        "2026/27-Q2",
    )
    assert f["summary"]["error"] == 5
    for finding in f["findings"]:
        assert set(finding) == FINDING_KEYS
    gender = [x for x in f["findings"] if x["code"] == "S004"]
    assert [(x["cell"], x["row"], x["column"], x["header"], x["value"], x["slug"], x["severity"]) for x in gender] == [
        (f"Registrations!X{r}", r, "X", "Gender", "F", "bad-value", "error") for r in range(2, 7)
    ]
    # the same as the library's own report
    ctx = CheckContext(RefData(), Settings.defaults(), date.fromisoformat(TODAY))
    library = as_dict(check_paths([returns["errors"]], ctx), catalogue.ruleset_version())
    assert data == json.loads(json.dumps(library))


def test_junit_one_testcase_per_rule_and_a_failure_for_an_error_rule(returns):
    res = invoke("check", str(returns["errors"]), "--format", "junit", "--today", TODAY)
    assert res.exit_code == 1
    root = ET.fromstring(res.stdout)
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    names = [c.get("name").split()[0] for c in cases]
    runnable = [code for code, r in catalogue.load_all().items() if r.stage == "read" or r.check is not None]
    assert names == runnable and len(set(names)) == len(names)
    failed = {c.get("name").split()[0]: c.find("failure") for c in cases if c.find("failure") is not None}
    assert list(failed) == ["S004"]
    assert failed["S004"].get("message").startswith("5 errors: Registrations!X2: Gender 'F'")
    # each line names its cell once: the message already starts with it
    assert failed["S004"].text.splitlines()[0] == (
        "Registrations!X2: Gender 'F' is not in the code list; expected one "
        "of: Female, Male, Non-binary, Other, Prefer not to say"
    )
    assert suite.get("failures") == "1" and suite.get("tests") == str(len(cases))


def test_junit_clean_has_no_failures(returns):
    res = invoke("check", str(returns["clean"]), "--format", "junit", "--today", TODAY)
    assert res.exit_code == 0
    assert ET.fromstring(res.stdout).get("failures") == "0"


def test_text_groups_by_sheet_and_folds_repeats(returns):
    res = invoke("check", str(returns["errors"]), "--today", TODAY)
    lines = res.stdout.splitlines()
    assert lines[0] == str(returns["errors"])
    assert lines[1] == "  SW-L3-01 · Bermondsey Pathways CIC · lot 3 · 2026/27-Q2"
    assert lines[2] == (
        "  Deadline for 2026/27 Q2: reporting 14/10/2026, final 28/10/2026; submitted 09/10/2026, on time"
    )
    sections: dict[str, list[str]] = {}
    heading = None
    for x in lines[3:]:
        if x.startswith("  ") and not x.startswith("    ") and x.strip() and not x.startswith("  5 errors"):
            heading = x.strip()
            sections[heading] = []
        elif x.startswith("    ") and heading:
            sections[heading].append(x)
    assert list(sections)[:2] == ["Registrations", "Claims"]  # in the workbook's sheet order
    assert [x for x in sections["Registrations"] if "S004" in x] == [
        "    error   S004  Registrations!X2: Gender 'F' is not in the code list; expected one of: Female, Male, "
        "Non-binary, Other, Prefer not to say",
        "    error   S004  Registrations!X3: Gender 'F' is not in the code list; expected one of: Female, Male, "
        "Non-binary, Other, Prefer not to say",
        "    error   S004  Registrations!X4: Gender 'F' is not in the code list; expected one of: Female, Male, "
        "Non-binary, Other, Prefer not to say",
        "            S004  … and 2 more like this (rows 5, 6)",
    ]
    assert all("Registrations!" not in x for name, xs in sections.items() if name != "Registrations" for x in xs)
    summary = [x for x in lines if x.startswith("  5 errors")]
    assert len(summary) == 1 and summary[0].endswith(": cannot be accepted as it stands")
    assert any(x.startswith("1 file checked: 0 without errors, 1 with errors; 5 errors") for x in lines)


def test_junit_says_one_error_and_places_a_finding_without_a_cell(tmp_path):
    one = write_return(
        tmp_path,
        "one.xlsx",
        contract_sheet=contract(),
        registrations=[registration(**{"Client ref": "SW100001", "Gender": "F"})],
    )
    suite = ET.fromstring(invoke("check", str(one), "--format", "junit", "--today", TODAY).stdout).find("testsuite")
    (failure,) = [c.find("failure") for c in suite.findall("testcase") if c.find("failure") is not None]
    assert failure.get("message").startswith("1 error: Registrations!X2: Gender 'F'")
    assert failure.text.count("Registrations!X2") == 1


def test_text_folds_a_single_further_row_as_row_not_rows(tmp_path):
    four = write_return(
        tmp_path,
        "four.xlsx",
        contract_sheet=contract(),
        registrations=[registration(**{"Client ref": f"SW10000{i}", "Gender": "F"}) for i in range(1, 5)],
    )
    out = invoke("check", str(four), "--today", TODAY).stdout
    assert "            S004  … and 1 more like this (row 5)\n" in out


def test_text_deadline_line_counts_from_today_when_not_submitted(returns):
    res = invoke("check", str(returns["undated"]), "--today", TODAY)
    assert "  Deadline for 2026/27 Q2: reporting 14/10/2026, final 28/10/2026: 13 days left" in res.stdout
    res = invoke("check", str(returns["undated"]), "--today", "2026-10-20")
    assert (
        "  Deadline for 2026/27 Q2: reporting 14/10/2026, final 28/10/2026: 6 days past the reporting "
        "deadline, 8 days to the final deadline"
    ) in res.stdout


# --- check: -o and folders -------------------------------------------------------------------------


def test_output_file_is_written(returns, tmp_path):
    out = tmp_path / "reports" / "report.json"
    res = invoke("check", str(returns["clean"]), "--format", "json", "-o", str(out), "--today", TODAY)
    assert res.exit_code == 0
    assert res.stdout == ""
    assert f"Wrote {out}" in res.stderr
    assert json.loads(out.read_text())["files"][0]["path"] == str(returns["clean"])


def test_nothing_half_written_remains_when_writing_fails(returns, tmp_path, monkeypatch):
    out = tmp_path / "report.txt"
    out.write_text("yesterday's report\n")
    real_write_text = pathlib.Path.write_text

    def disk_full(self, data, *args, **kwargs):
        real_write_text(self, data[: len(data) // 2], *args, **kwargs)  # half the report, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pathlib.Path, "write_text", disk_full)
    res = CliRunner().invoke(cli, ["check", str(returns["clean"]), "-o", str(out), "--today", TODAY])
    monkeypatch.undo()
    assert res.exit_code == 2
    assert "No space left on device" in res.stderr and "Traceback" not in res.output
    assert "internal error" not in res.stderr  # a full disk is not a bug to report to the council
    assert out.read_text() == "yesterday's report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]  # no temporary file left behind


def test_output_to_a_folder_is_refused_plainly(returns, tmp_path):
    res = CliRunner().invoke(cli, ["check", str(returns["clean"]), "-o", str(tmp_path), "--today", TODAY])
    assert res.exit_code == 2
    assert str(tmp_path) in res.stderr and "internal error" not in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_folder_checks_every_xlsx_in_it(tmp_path):
    write_return(tmp_path, "a.xlsx", contract_sheet=contract())
    sub = tmp_path / "sub"
    sub.mkdir()
    write_return(sub, "b.xlsx", contract_sheet=contract(), cover_values={"Completed by": None})
    (tmp_path / "~$a.xlsx").write_bytes(b"lock")  # Excel's lock file
    (tmp_path / "notes.txt").write_text("not a return")
    res = invoke("check", str(tmp_path), "--format", "json", "--today", TODAY)
    assert res.exit_code == 1  # b.xlsx has an empty required cell
    files = {Path(f["path"]).name: f["summary"]["error"] for f in json.loads(res.stdout)["files"]}
    assert files == {"a.xlsx": 0, "b.xlsx": 1}


def test_an_empty_folder_exits_2(tmp_path):
    res = invoke("check", str(tmp_path))
    assert res.exit_code == 2
    assert "no .xlsx files found" in res.stderr


# --- rules, explain --------------------------------------------------------------------------------


def test_rules_json_lists_every_registered_code():
    res = invoke("rules", "--format", "json")
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert [r["code"] for r in data["rules"]] == list(catalogue.load_all())
    assert data["ruleset_version"] == catalogue.ruleset_version()
    s004 = next(r for r in data["rules"] if r["code"] == "S004")
    assert (s004["slug"], s004["severity"], s004["family"]) == ("bad-value", "error", "structure")


def test_rules_text_is_a_table():
    res = invoke("rules")
    assert res.exit_code == 0
    assert res.stdout.splitlines()[0].split() == ["code", "slug", "severity", "spec", "checks"]
    for code in catalogue.load_all():
        assert f"\n{code} " in res.stdout


def test_explain_names_the_module_and_function_that_find_a_rule():
    import inspect

    from swtool.read import tables

    res = invoke("explain", "S004")
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0] == "S004 bad-value (error, structure)"
    line = inspect.getsourcelines(tables.type_table)[1]
    assert re.search(
        rf"^  Found by: +swtool\.read\.tables\.type_table \(swtool/read/tables\.py:{line}\)$", res.stdout, re.M
    ), res.stdout
    assert re.search(r"^ +swtool\.read\.tables\._validate \(swtool/read/tables\.py:\d+\)$", res.stdout, re.M)
    # a rule of a check function: the function itself; a ledger rule: the calculation that finds it
    assert re.search(
        r"^  Found by: +swtool\.checks\.expenditure\.defrayed_before_quarter \(swtool/checks/expenditure"
        r"\.py:\d+\)$",
        invoke("explain", "defrayed-before-quarter").stdout,
        re.M,
    )
    k702 = invoke("explain", "K702").stdout
    assert re.search(r"^  Found by: +swtool\.calc\.[a-z_.]+ \(swtool/calc/[a-z_]+\.py:\d+\)$", k702, re.M), k702
    res = invoke("explain", "S404")
    assert res.exit_code == 2 and "no rule 'S404'" in res.output


def test_rules_settings_lists_each_setting_its_value_default_and_spec(tmp_path):
    from swtool.model.settings import SETTINGS

    res = invoke("rules", "--settings")
    assert res.exit_code == 0, res.output
    words = [line.split() for line in res.stdout.splitlines()[2:]]
    listed = [w[:3] for w in words if w and w[0] in SETTINGS]
    assert listed == [[k, str(s.default), str(s.default)] for k, s in SETTINGS.items()]  # setting, value, default
    assert re.search(
        r"^credit_quarters +1 +1 +2 +quarters of under-performance before +§7\.8 \(1, 'in the previous ",
        res.stdout,
        re.M,
    )
    res = invoke("rules", "--settings", "--setting", "credit_quarters=2", "--format", "json")
    data = {s["key"]: s for s in json.loads(res.stdout)["settings"]}
    assert (data["credit_quarters"]["value"], data["credit_quarters"]["default"], data["credit_quarters"]["rules"]) == (
        2,
        1,
        ["K702"],
    )
    assert data["credit_quarters"]["spec"] == SETTINGS["credit_quarters"].spec
    register = tmp_path / "register.xlsx"
    register.write_bytes(b"")  # only its folder is read
    (tmp_path / "swtool-settings.toml").write_text('wage_uplift = "multiplicative"\n')
    data = {
        s["key"]: s["value"]
        for s in json.loads(invoke("rules", "--settings", "--register", str(register), "--format", "json").stdout)[
            "settings"
        ]
    }
    assert (data["wage_uplift"], data["credit_quarters"]) == ("multiplicative", 1)
    res = invoke("rules", "--setting", "credit_quarters=2")
    assert res.exit_code == 2 and "--register, --db and --setting go with --settings" in res.output


def test_the_settings_line_points_at_a_command_that_explains_them(returns, tmp_path):
    (tmp_path / "swtool-settings.toml").write_text("output_variance_percent = 30\n")
    register = tmp_path / "register.xlsx"
    register.write_bytes(b"")
    res = invoke("check", str(returns["clean"]), "--today", TODAY, "--setting", "wage_uplift=multiplicative")
    line = res.stdout.splitlines()[-1]
    assert line == (
        "Settings: output_variance_percent=20, wage_uplift=multiplicative (swtool rules --settings explains them)"
    )
    assert "docs/" not in res.stdout  # an installed swtool has no docs folder to point at
    explained = invoke("rules", "--settings", "--setting", "wage_uplift=multiplicative").stdout
    assert re.search(r"^wage_uplift +multiplicative +additive +multiplicative ", explained, re.M)


@pytest.mark.parametrize("name", ["S004", "bad-value", "s004"])
def test_explain_by_code_or_slug(name):
    res = invoke("explain", name)
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert lines[0] == "S004 bad-value (error, structure)"
    assert lines[1].startswith("  Checks:        a cell does not parse as its type")
    assert lines[2] == "  Specification: TEMPLATES.md §1"
    assert lines[3].startswith("  How to fix:    ")


def test_explain_unknown_code_exits_2():
    res = invoke("explain", "X999")
    assert res.exit_code == 2
    assert res.stderr == "swtool: no rule 'X999'; `swtool rules` lists them\n"


# --- refdata ---------------------------------------------------------------------------------------


def _override_dir() -> Path:
    from swtool.model.refdata import override_dir

    d = override_dir()
    d.mkdir(parents=True, exist_ok=True)
    return d


def test_refdata_lists_every_file_with_coverage_and_the_override_folder():
    res = invoke("refdata")
    assert res.exit_code == 0
    for name in FILES:
        assert name in res.stdout
    assert "2023-10-11 to 2027-07-14 (16 rows)" in res.stdout  # deadlines.csv
    assert f"Override folder: {_override_dir()}" in res.stdout
    for name in FILES:  # nothing in the (empty) override folder: every file is the shipped one
        line = next(x for x in res.stdout.splitlines() if x.startswith(name + " "))
        assert line.rstrip().endswith("shipped")


def _cpi_rows() -> list[list[str]]:
    with open(PACKAGE_DATA / "cpi_uk_d7g7.csv", newline="", encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


def test_an_override_with_a_newer_month_is_used():
    rows = _cpi_rows()
    last = rows[-1][0]
    shipped = f"to {last} ({len(rows) - 1} rows)"
    with open(_override_dir() / "cpi_uk_d7g7.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows + [["2099-01", "2.5"]])
    res = invoke("refdata")
    assert res.exit_code == 0
    line = next(x for x in res.stdout.splitlines() if x.startswith("cpi_uk_d7g7.csv"))
    assert f"to 2099-01 ({len(rows)} rows)" in line and line.rstrip().endswith("override")
    assert shipped not in line
    assert RefData().cpi["2099-01"] == 2.5


def test_a_malformed_override_is_refused_naming_file_row_and_column():
    rows = _cpi_rows()
    rows.insert(3, ["2026-13", "2.5"])
    path = _override_dir() / "cpi_uk_d7g7.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    res = invoke("refdata")
    assert res.exit_code == 2
    assert f"REFUSED: {path}: row 4, column month: '2026-13' is not a month in YYYY-MM form" in res.stdout
    line = next(x for x in res.stdout.splitlines() if x.startswith("cpi_uk_d7g7.csv"))
    assert line.rstrip().endswith("shipped")
    assert "2026-13" not in RefData().cpi


def test_a_refused_override_is_said_in_the_check_report(returns):
    (_override_dir() / "deadlines.csv").write_text("financial_year,quarter\n2026/27,Q2\n")
    res = invoke("check", str(returns["clean"]), "--today", TODAY)
    assert res.exit_code == 0
    assert "note: override refused, shipped file used instead:" in res.stdout
    assert "missing column(s) reporting_deadline, final_deadline" in res.stdout


# --- template ----------------------------------------------------------------------------------------


def test_template_return_and_register(tmp_path):
    ret, reg = tmp_path / "return.xlsx", tmp_path / "register.xlsx"
    res = invoke("template", "return", "-o", str(ret))
    assert res.exit_code == 0 and res.stdout == f"Wrote {ret}\n"
    res = invoke("template", "register", "-o", str(reg))
    assert res.exit_code == 0 and res.stdout == f"Wrote {reg}\n"
    assert openpyxl.load_workbook(ret, read_only=True).sheetnames == [
        "Guide",
        "Return",
        "Registrations",
        "Claims",
        "Expenditure",
        "Transactions",
        "Narrative",
        "Milestones",
        "Lists",
    ]
    assert openpyxl.load_workbook(reg, read_only=True).sheetnames == [
        "Guide",
        "Contracts",
        "Targets",
        "Budget",
        "Milestones",
        "Lists",
    ]


def test_template_return_prefill_needs_all_three_options(tmp_path):
    res = invoke("template", "return", "-o", str(tmp_path / "r.xlsx"), "--contract", "SW-L3-01")
    assert res.exit_code == 2
    assert "prefilling needs --register, --contract and --quarter together" in res.stderr
    assert not (tmp_path / "r.xlsx").exists()


def test_help_names_every_command():
    res = invoke("--help")
    assert res.exit_code == 0
    for command in ("check", "rules", "explain", "refdata", "template"):
        assert f"  {command} " in res.stdout
