"""`check --redact`: no ages, postcodes or free text in the report; client refs, codes and dates stay."""

import json
from datetime import date

import pytest
from click.testing import CliRunner

from builders import claim, expenditure_line, registration, write_return
from swtool.cli import cli
from swtool.findings import Finding
from swtool.model import standard as std
from swtool.report.redact import PERSONAL_CODES, PERSONAL_HEADERS, REDACTED, redact_finding, redact_message

TODAY = "2026-10-01"

# What a provider must not see passed on: each is in some finding's message without --redact.
SECRETS = {
    "postcode": "N1 9GU",
    "its sector": "N1 9 sector",
    "a lower-case postcode": "se1 7pb",
    "age": " 15 at registration",
    "narrative phone": "07*** ******",
    "narrative name": "Al*** Th*******",
    "transaction description": "Taxi for Ms Zebedee",
    "qualification": "Level 2 Forklift with Mr Oyelaran",
}


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def personal(tmp_path_factory):
    # only read by the tests (the check writes nothing beside it): written once for the module
    return write_return(
        tmp_path_factory.mktemp("personal"),
        registrations=[
            registration(),
            registration(**{"Client ref": "SW100002", "Age at registration": 15, "Postcode": "N1 9GU"}),
            registration(**{"Client ref": "SW100003", "Postcode": "se1 7pb"}),
        ],
        claims=[
            claim(),
            claim(
                **{
                    "Claim ref": "CL-0002",
                    "Client ref": "SW100003",
                    "Output": "4",
                    "Progression type": "B training",
                    "Evidence held": "Certificate",
                    "Qualification gained": "Level 2 Forklift with Mr Oyelaran",
                    "Qualification level": "None",
                    "Employer": None,
                    "Start date": None,
                    "Employment type": None,
                    "Contract type": None,
                    "Weekly hours": None,
                    "Gross hourly pay": None,
                }
            ),
        ],
        transactions=[
            {
                "Budget item": "Employment adviser 1 FTE",
                "Date defrayed": date(2026, 12, 1),
                "Description": "Taxi for Ms Zebedee",
                "Amount": 9000,
                "Includes recoverable VAT": "No",
                "Internal recharge": "No",
            }
        ],
        expenditure=[expenditure_line()],
        narrative_values={"Case study": "Client SW100002 (call 07700 900123) met Alice Thornbury at the hub."},
    )


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_without_redact_the_details_are_there(personal, fmt):
    out = run("check", personal, "--today", TODAY, "--format", fmt).stdout
    text = json.dumps(json.loads(out), ensure_ascii=False) if fmt == "json" else out
    missing = [k for k, v in SECRETS.items() if v not in text and v.upper() not in text]
    assert not missing, f"the fixture no longer produces findings showing {missing}"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_redact_leaves_them_out_and_keeps_client_refs(personal, fmt):
    res = run("check", personal, "--today", TODAY, "--format", fmt, "--redact")
    assert res.exit_code == 1
    out = res.stdout
    for what, secret in SECRETS.items():
        assert secret not in out and secret.upper() not in out, what
    for kept in ("SW100002", "SW100003", "CL-0002", "R105", "R102", "N503", "01/12/2026"):
        assert kept in out
    assert REDACTED in out
    if fmt == "json":
        findings = json.loads(out)["files"][0]["findings"]
        assert findings and all(f["value"] is None for f in findings)


def test_personal_headers_are_template_columns_and_labels():
    known = {c.header for s in std.RETURN_SHEETS for c in s.columns}
    assert known >= PERSONAL_HEADERS
    assert {
        "Age at registration",
        "Postcode",
        "Housing plan or council referral number",
        "Notes",
        "Description",
        "Comment",
        "Qualification gained",
        "Completed by",
        "Employer",
        "Training provider",
        "Evidence reference",
        *std.NARRATIVE_LABELS,
    } == PERSONAL_HEADERS
    for kept in ("Client ref", "Claim ref", "Output", "Date achieved", "Registration date", "Evidence held"):
        assert kept not in PERSONAL_HEADERS
    assert {"N503", "N507"} == PERSONAL_CODES


def _f(message, header, value, code="S004"):
    return Finding(code, "x", "error", message, "Registrations", 3, "F", header, "Registrations!F3", value)


def test_redact_message_cases():
    f = _f("Registrations!F3: postcode 'SE1 7PB' for client SW100001 is not valid (App 2 §2.1)", "Postcode", "se17pb")
    assert redact_message(f) == (
        f"Registrations!F3: postcode '{REDACTED}' for client SW100001 is not valid (App 2 §2.1)"
    )
    f = _f("Registrations!E3: client SW100002 was 15 at registration; at least 16", "Age at registration", 15)
    assert redact_message(f) == f"Registrations!E3: client SW100002 was {REDACTED} at registration; at least 16"
    # a column name in quotes is the rule's own words, and an apostrophe is not a quote
    f = _f("Registrations: no 'Postcode' column in lot 3's sheet", "Postcode", None)
    assert redact_message(f) == f.message
    # other columns' findings are left alone, except for the same row's personal values
    f = _f("Transactions!B2: 'Taxi for Ms Zebedee' was defrayed late", "Date defrayed", date(2026, 12, 1))
    assert redact_message(f) == f.message
    assert redact_message(f, ["Taxi for Ms Zebedee"]) == f"Transactions!B2: '{REDACTED}' was defrayed late"
    # a value is always dropped
    assert redact_finding(f).value is None


# --- redaction by type: whatever is typed in place of a code, a date or a number -----------------------

# What a tester typed into coded columns: each leaked before redaction went by the column's kind.
PAYLOADS = {
    "Disability": "Schizophrenia diagnosed 2019",
    "Gender": "Marcus Ellery-Brown",
    "Eligibility criteria": "released HMP Brixton 2025",
    "Social worker or primary support need": "Social worker: Dele Adebayo",
}
EMPLOYER = "Flat 3, 14 Bellenden Road SE15 4QJ"
LOT4 = {"Provider": "Rotherhithe Supported Employment", "Contract ID": "SW-L4-01", "Lot": "4"}


def payload_return(folder, name="return.xlsx"):
    """A lot 4 return with the payloads in SW100002's row, a code list with one wrong part in SW100003's
    (which R107 quotes whole) and an address as a claim's employer."""
    return write_return(
        folder,
        name,
        cover_values=LOT4,
        registrations=[
            registration(**{"Eligibility criteria": "Autism", "Social worker or primary support need": "Yes"}),
            registration(**{"Client ref": "SW100002", **PAYLOADS}),
            registration(
                **{
                    "Client ref": "SW100003",
                    "Eligibility criteria": "Mental health; released HMP Brixton 2025",
                    "Social worker or primary support need": "No",
                }
            ),
        ],
        claims=[claim(**{"Employer": EMPLOYER})],
    )


def _leaks(text: str) -> list[str]:
    return [v for v in (*PAYLOADS.values(), EMPLOYER) if v in text]


REDACTED_SENTENCES = {
    "Registrations!Z3": "Registrations!Z3: Disability '[redacted]' is not in the code list; expected one of: Yes, No, "
    "Prefer not to say",
    "Registrations!X3": "Registrations!X3: Gender '[redacted]' is not in the code list",
    "Registrations!M3": "Registrations!M3: Eligibility criteria '[redacted]' is not in the code list",
    "Registrations!N3": "Registrations!N3: Social worker or primary support need '[redacted]' is not Yes or No",
    # another rule quoting the whole cell keeps its valid code and loses the rest
    "Registrations!M4": "Registrations!M4: client SW100003 has eligibility criteria 'Mental health; [redacted]', "
    "none of which is a lot 4 criterion",
}


@pytest.fixture(scope="module")
def payload(tmp_path_factory):
    """The payload return, written once for the tests that only check it."""
    return payload_return(tmp_path_factory.mktemp("payload"))


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_values_typed_in_place_of_codes_are_redacted_in_every_format(payload, fmt):
    path = payload
    plain = run("check", path, "--today", TODAY, "--format", fmt).stdout
    if fmt == "text":  # three examples of a rule per sheet: S004 at M3, N3 and X3 (Z3 is "… and 2 more")
        assert set(_leaks(plain)) == set(PAYLOADS.values()) - {PAYLOADS["Disability"]}
    else:
        assert set(_leaks(plain)) == set(PAYLOADS.values()), "the fixture no longer shows every payload unredacted"
    out = run("check", path, "--today", TODAY, "--format", fmt, "--redact").stdout
    assert not _leaks(out)
    readable = json.dumps(json.loads(out), ensure_ascii=False) if fmt == "json" else out
    for cell, sentence in REDACTED_SENTENCES.items():
        if fmt != "text" or f"{cell}:" in plain:
            assert sentence in readable, sentence
    if fmt == "json":
        assert all(f["value"] is None for f in json.loads(out)["files"][0]["findings"])


def test_every_column_is_judged_by_its_kind():
    """A coded, yes/no, date or number column of any sheet (one added later too) hides free text typed
    in it and keeps what it is meant to hold; every text column is personal unless it names an
    organisation, a budget line or a milestone."""
    from swtool.report.redact import KEPT_TEXT, PERSONAL_EVEN_WHEN_VALID, is_personal_value, kept_value

    valid = {
        std.CODE: None,
        std.CODES: None,
        std.YESNO: "Yes",
        std.DATE: date(2026, 8, 3),
        std.INT: 3,
        std.NUMBER: 37.5,
        std.MONEY: "£1,200.50",
        std.REF: "SW100001",
    }
    for sheet in std.RETURN_SHEETS:
        for col in sheet.columns:
            free = "Seen by Dr Okafor at home"
            if col.kind == std.TEXT:
                assert is_personal_value(sheet.name, col.header, free) == (col.header not in KEPT_TEXT), col.header
                continue
            if col.kind == std.REF:
                assert not is_personal_value(sheet.name, col.header, free)  # refs are how a row is found
                continue
            assert is_personal_value(sheet.name, col.header, free), col.header
            assert kept_value(sheet.name, col.header, free) is None
            good = valid[col.kind]
            if good is None:
                from swtool.model.refdata import RefData
                from swtool.read.tables import codes_for

                good = codes_for(col, RefData())[0]
            assert is_personal_value(sheet.name, col.header, good) == (col.header in PERSONAL_EVEN_WHEN_VALID), (
                col.header
            )
    kinds: dict[str, set] = {}
    for sheet in std.RETURN_SHEETS:
        for col in sheet.columns:
            kinds.setdefault(col.header, set()).add(col.kind)
    assert all(len(k) == 1 for k in kinds.values())  # a header found on another sheet is judged alike
    assert kept_value("Registrations", "Eligibility criteria", "Autism; released HMP Brixton 2025") == "Autism"
    assert kept_value("Registrations", "Gender", "female") == "female"  # read as Female: a code, not text
    assert kept_value("Registrations", "Age at registration", 34) is None


def test_a_long_value_shown_cut_short_is_redacted_too():
    long = "Schizophrenia diagnosed 2019 after admission to the Maudsley; lives with her sister Ann"
    f = _f(f"Registrations!Z3: Disability {long[:57] + '…'!r} is not in the code list", "Disability", long)
    assert redact_message(f) == f"Registrations!Z3: Disability '{REDACTED}' is not in the code list"
    f = _f(
        "Registrations!M3: client SW100003 has eligibility criteria 'Autism; released HMP Brixton 2025 after "
        "sentenc…', none of which",
        "Eligibility criteria",
        "Autism; released HMP Brixton 2025 after sentence",
    )
    assert redact_message(f) == (
        f"Registrations!M3: client SW100003 has eligibility criteria 'Autism; {REDACTED}', none of which"
    )


# --- the ledger -----------------------------------------------------------------------------------------


def make_ledger(folder):
    """A ledger holding the sample register and the payload return (SW-L4-01 2026/27-Q2, return 1)."""
    import shutil

    from ledger_helpers import SAMPLES

    shutil.copyfile(SAMPLES / "register.xlsx", folder / "register.xlsx")
    db = folder / "ledger.sqlite3"
    assert run("register", "import", folder / "register.xlsx", "--db", db).exit_code == 0
    res = run("import", payload_return(folder, "SW-L4-01_Q2.xlsx"), "--db", db, "--today", "2026-11-23")
    assert "imported as version 1 of SW-L4-01 2026/27-Q2 (return 1)" in res.output, res.output
    return db


def _everything_in(db) -> str:
    """Every value of every row of every table of the ledger, as text."""
    import sqlite3

    con = sqlite3.connect(db)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert {"findings", "registrations", "claims", "returns", "received", "decisions"} <= set(tables)
        return "\n".join(str(v) for t in tables for row in con.execute(f'SELECT * FROM "{t}"') for v in row)
    finally:
        con.close()


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    """One ledger for the tests that only read it (stored rows, ``returns --id``, which writes nothing)."""
    with pytest.MonkeyPatch.context() as mp:  # module-scoped: conftest's per-test isolation is not in force yet
        mp.setenv("SWTOOL_DATA_DIR", str(tmp_path_factory.mktemp("userdata")))
        return make_ledger(tmp_path_factory.mktemp("ledger"))


def test_the_ledger_keeps_none_of_the_payloads(ledger):
    import sqlite3

    db = ledger
    held = _everything_in(db)
    assert not _leaks(held)
    assert "Registrations!Z3: Disability '[redacted]' is not in the code list" in held
    con = sqlite3.connect(db)
    try:
        regs = con.execute(
            "SELECT client_ref, eligibility, gender, disability FROM registrations ORDER BY row"
        ).fetchall()
        assert regs == [
            ("SW100001", "Autism", "Female", "No"),
            ("SW100002", None, None, None),
            ("SW100003", "Mental health", "Female", "No"),
        ]
        assert con.execute("SELECT employer FROM claims").fetchall() == [(None,)]
        assert con.execute("SELECT value FROM findings WHERE code IN ('S004', 'R107')").fetchall() == [(None,)] * 6
    finally:
        con.close()
    # what is not personal keeps its value: a valid code, a count
    assert "Autism" in held


def test_returns_id_redacts_and_include_personal_shows_the_values(ledger):
    db = ledger
    out = run("returns", "--id", "1", "--db", db).output
    assert not _leaks(out)
    assert "Registrations!Z3: Disability '[redacted]' is not in the code list" in out
    shown = run("returns", "--id", "1", "--include-personal", "--db", db).output
    assert set(_leaks(shown)) == set(PAYLOADS.values())
    assert REDACTED not in shown
    assert not _leaks(_everything_in(db))  # showing them wrote nothing


def test_a_ledger_imported_before_redaction_is_redacted_on_display(tmp_path, monkeypatch):
    """Rows stored with their personal text and values (as before the ledger redacted them) are redacted
    by type when shown; --include-personal shows them as they were."""
    import swtool.report.redact as redact

    monkeypatch.setattr(redact, "for_ledger", lambda findings, sub=None, refdata=None: list(findings))
    db = make_ledger(tmp_path)
    monkeypatch.undo()
    assert set(_leaks(_everything_in(db))) == set(PAYLOADS.values())  # in the findings, as they were stored
    out = run("returns", "--id", "1", "--db", db).output
    assert not _leaks(out)
    assert "Registrations!Z3: Disability '[redacted]' is not in the code list" in out
    shown = run("returns", "--id", "1", "--include-personal", "--db", db).output
    assert set(_leaks(shown)) == set(PAYLOADS.values())


def test_a_rules_own_value_is_not_taken_for_the_cells():
    """A rule may give a finding on a coded or date column a value of its own (a client ref) or a
    count on a narrative label: neither is what the provider typed there."""
    f = Finding(
        "P306",
        "x",
        "error",
        "Claims!D51: claim L3-01-9307 is a second progression for client SW300104 on 14/09/2026",
        "Claims",
        51,
        "D",
        "Date achieved",
        "Claims!D51",
        "SW300104",
    )
    assert redact_message(f, cell=date(2026, 9, 14)) == f.message  # the cell holds a date: the value is the rule's
    assert redact_message(f, cell="SW300104") != f.message  # typed there: personal
    n = Finding(
        "N501",
        "x",
        "warning",
        "Narrative!B5: output 2b: 0 claimed this quarter against a quarterly target of 0.5",
        "Narrative",
        5,
        "B",
        "Output variances",
        "Narrative!B5",
        0,
    )
    assert redact_message(n) == n.message
    assert (
        redact_message(_f("Registrations!E3: client SW100002 was 15, not 15.5 or 1,15", "Age at registration", 15))
        == f"Registrations!E3: client SW100002 was {REDACTED}, not 15.5 or 1,15"
    )


def test_an_age_quoted_by_a_rule_on_another_column_of_its_row_is_redacted(tmp_path):
    """R120 is a finding on Eligibility criteria that says how old the client was."""
    path = write_return(
        tmp_path,
        cover_values={"Lot": "2", "Contract ID": "SW-L2-01"},
        registrations=[registration(**{"Eligibility criteria": "Aged 50+", "Age at registration": 37})],
    )
    plain = run("check", path, "--today", TODAY).stdout
    assert "R120" in plain and "was 37 at registration (Registrations!E2)" in plain
    out = run("check", path, "--today", TODAY, "--redact").stdout
    assert f"has the eligibility criterion 'Aged 50+' but was {REDACTED} at registration (Registrations!E2)" in out
    assert "37" not in out.replace(str(path), "")  # the temporary folder's name may hold any digits
