"""`check --redact`: no ages, postcodes or free text in the report; client refs, codes and dates stay."""

import json
from datetime import date

import pytest
from builders import claim, expenditure_line, registration, write_return
from click.testing import CliRunner

from swtool import standard as std
from swtool.cli import cli
from swtool.findings import Finding
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


@pytest.fixture
def personal(tmp_path):
    return write_return(
        tmp_path,
        registrations=[registration(),
                       registration(**{"Client ref": "SW100002", "Age at registration": 15, "Postcode": "N1 9GU"}),
                       registration(**{"Client ref": "SW100003", "Postcode": "se1 7pb"})],
        claims=[claim(),
                claim(**{"Claim ref": "CL-0002", "Client ref": "SW100003", "Output": "4",
                         "Progression type": "B training", "Evidence held": "Certificate",
                         "Qualification gained": "Level 2 Forklift with Mr Oyelaran",
                         "Qualification level": "None", "Employer": None, "Start date": None,
                         "Employment type": None, "Contract type": None, "Weekly hours": None,
                         "Gross hourly pay": None})],
        transactions=[{"Budget item": "Employment adviser 1 FTE", "Date defrayed": date(2026, 12, 1),
                       "Description": "Taxi for Ms Zebedee", "Amount": 9000, "Includes recoverable VAT": "No",
                       "Internal recharge": "No"}],
        expenditure=[expenditure_line()],
        narrative_values={"Case study": "Client SW100002 (call 07700 900123) met Alice Thornbury at the hub."})


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
    assert PERSONAL_HEADERS <= known
    assert PERSONAL_HEADERS == {"Age at registration", "Postcode", "Housing plan or council referral number", "Notes",
                                "Description", "Comment", "Qualification gained", "Completed by",
                                *std.NARRATIVE_LABELS}
    for kept in ("Client ref", "Claim ref", "Output", "Date achieved", "Registration date", "Evidence held"):
        assert kept not in PERSONAL_HEADERS
    assert PERSONAL_CODES == {"N503", "N507"}


def _f(message, header, value, code="S004"):
    return Finding(code, "x", "error", message, "Registrations", 3, "F", header, "Registrations!F3", value)


def test_redact_message_cases():
    f = _f("Registrations!F3: postcode 'SE1 7PB' for client SW100001 is not valid (App 2 §2.1)", "Postcode", "se17pb")
    assert redact_message(f) == (f"Registrations!F3: postcode '{REDACTED}' for client SW100001 is not valid "
                                 "(App 2 §2.1)")
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
