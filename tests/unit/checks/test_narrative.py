"""N — narrative, case study, milestones: every rule fires on its case and stays quiet on the near miss."""

import subprocess
import sys
from datetime import date

import pytest

from builders import check, claim, contract, expenditure_line, milestone, write_return
from swtool.checks.narrative import mask, personal_data, possible_names
from swtool.read.register import Target

Q2_START = date(2026, 7, 1)


def n_findings(report, code=None):
    return [f for f in report.findings if f.code.startswith("N") and (code is None or f.code == code)]


def n_cells(report):
    return sorted([f.code, f.cell] for f in n_findings(report))


def claims_of(*outputs):
    return [
        claim(**{"Claim ref": f"CL-{i:04d}", "Client ref": f"SW1000{i:02d}", "Output": o})
        for i, o in enumerate(outputs, 1)
    ]


# --- catalogue ---------------------------------------------------------------------------------------


def test_narrative_module_imports_no_pandas():
    code = "import sys, swtool.checks.narrative; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_default_return_has_no_narrative_findings(tmp_path):
    assert n_findings(check(write_return(tmp_path), contract=contract())) == []


# --- N501 output variance ----------------------------------------------------------------------------


def test_n501_fires_under_target(tmp_path):
    path = write_return(tmp_path, narrative_values={"Output variances": None})
    report = check(path, contract=contract(targets={"2a": Target("2a", 36)}))
    assert n_cells(report) == [["N501", "Narrative!B5"]]
    msg = n_findings(report)[0].message
    for part in (
        "output 2a",
        "1 claimed",
        "quarterly target of 9",
        "annual 36 ÷ 4",
        "88.9% under",
        "over 20%",
        "output_variance_percent = 20",
        "is empty",
    ):
        assert part in msg
    assert n_findings(report)[0].severity == "error"


def test_n501_quiet_when_explained(tmp_path):
    path = write_return(tmp_path, narrative_values={"Output variances": "Adviser vacancy in July; temporary."})
    assert n_findings(check(path, contract=contract(targets={"2a": Target("2a", 36)}))) == []


def test_n501_placeholder_is_no_explanation(tmp_path):
    path = write_return(tmp_path, narrative_values={"Output variances": "N/A"})
    report = check(path, contract=contract(targets={"2a": Target("2a", 36)}))
    assert n_cells(report) == [["N501", "Narrative!B5"]]
    assert 'says only "N/A"' in n_findings(report)[0].message


def test_n501_25_percent_over_fires_at_20_not_at_30(tmp_path):
    # 2a annual 16 -> quarterly 4; 5 claimed -> (5 - 4) / 4 = 25% over
    path = write_return(
        tmp_path, claims=claims_of("2a", "2a", "2a", "2a", "2a"), narrative_values={"Output variances": None}
    )
    c = contract(targets={"2a": Target("2a", 16)})
    at20 = check(path, contract=c)
    assert n_cells(at20) == [["N501", "Narrative!B5"]]
    msg = n_findings(at20)[0].message
    assert "5 claimed" in msg and "25% over" in msg and "target of 4" in msg and "App 2 §1.3" in msg
    at30 = check(path, contract=c, settings={"output_variance_percent": 30})
    assert n_findings(at30) == []


def test_n501_setting_30_named_when_it_fires(tmp_path):
    path = write_return(tmp_path, narrative_values={"Output variances": None})
    report = check(path, contract=contract(targets={"2a": Target("2a", 36)}), settings={"output_variance_percent": 30})
    msg = n_findings(report)[0].message
    assert "over 30%" in msg and "output_variance_percent = 30" in msg and "App 3 item 5" in msg


@pytest.mark.parametrize("n_claims", [4, 6])  # target 5: 20% under and 20% over are not "more than 20%"
def test_n501_exactly_20_percent_is_quiet(tmp_path, n_claims):
    path = write_return(tmp_path, claims=claims_of(*["2a"] * n_claims), narrative_values={"Output variances": None})
    assert n_findings(check(path, contract=contract(targets={"2a": Target("2a", 20)}))) == []


def test_n501_fractional_target(tmp_path):
    # output 6 annual 21 -> 5.25 a quarter; 4 claimed -> 23.8% under (fires at 20, not at 30)
    path = write_return(tmp_path, claims=claims_of("6", "6", "6", "6"), narrative_values={"Output variances": None})
    c = contract(targets={"6": Target("6", 21)})
    msg = n_findings(check(path, contract=c))[0].message
    assert "target of 5.25" in msg and "23.8% under" in msg and "output 6" in msg
    assert n_findings(check(path, contract=c, settings={"output_variance_percent": 30})) == []


def test_n501_output_2_combined_is_2a_plus_2b(tmp_path):
    c = contract(targets={"2": Target("2", 8)})  # 2 a quarter
    both = write_return(
        tmp_path, "both.xlsx", claims=claims_of("2a", "2b"), narrative_values={"Output variances": None}
    )
    assert n_findings(check(both, contract=c)) == []
    one = write_return(tmp_path, "one.xlsx", claims=claims_of("2a"), narrative_values={"Output variances": None})
    msg = n_findings(check(one, contract=c))[0].message
    assert "output 2:" in msg and "1 claimed" in msg and "50% under" in msg


def test_n501_zero_target(tmp_path):
    c = contract(targets={"2a": Target("2a", 0)})
    claimed = write_return(tmp_path, "a.xlsx", narrative_values={"Output variances": None})
    report = check(claimed, contract=c)
    assert n_cells(report) == [["N501", "Narrative!B5"]]
    assert "over a target of 0" in n_findings(report)[0].message
    none = write_return(tmp_path, "b.xlsx", claims=[], narrative_values={"Output variances": None})
    assert n_findings(check(none, contract=c)) == []


def test_n501_profile_used(tmp_path):
    # annual 36 would be 9 a quarter (88.9% under); the Q2 profile of 1 makes 1 claim exactly on target
    path = write_return(tmp_path, narrative_values={"Output variances": None})
    assert n_findings(check(path, contract=contract(targets={"2a": Target("2a", 36, (20, 1, 8, 7))}))) == []


def test_n501_output_1_counts_registrations(tmp_path):
    path = write_return(tmp_path, narrative_values={"Output variances": None})
    report = check(path, contract=contract(targets={"1": Target("1", 120)}))
    msg = n_findings(report)[0].message
    assert "output 1: 1 registered" in msg and "target of 30" in msg


def test_n501_not_checked_without_contract(tmp_path):
    report = check(write_return(tmp_path, narrative_values={"Output variances": None}))
    [f] = n_findings(report, "N501")
    assert f.severity == "info" and f.message.startswith("not checked")


# --- N502 finance variance ---------------------------------------------------------------------------


def test_n502_fires_under_budget(tmp_path):
    path = write_return(tmp_path, expenditure=[expenditure_line(**{"Actual spend": 7000, "Comment": "Vacancy"})])
    report = check(path, contract=contract())
    assert n_cells(report) == [["N502", "Narrative!B6"]]
    msg = n_findings(report)[0].message
    assert "£7,000.00" in msg and "22.2% under" in msg and "£9,000.00" in msg and "is empty" in msg


def test_n502_totals_over_lines(tmp_path):
    # 9000 + 1000 budgeted, 9000 + 2100 spent: 11,100 vs 10,000 is 11% over (one line alone is 110% over)
    lines = [
        expenditure_line(),
        expenditure_line(
            **{
                "Budget item": "Client travel",
                "Category": "Beneficiary",
                "Budgeted amount": 1000,
                "Actual spend": 2100,
                "Comment": "More travel",
            }
        ),
    ]
    report = check(write_return(tmp_path, expenditure=lines), contract=contract())
    assert "11% over" in n_findings(report, "N502")[0].message


@pytest.mark.parametrize("actual", [8100, 9900, 9000])  # exactly 10% under, exactly 10% over, on budget
def test_n502_quiet_at_10_percent(tmp_path, actual):
    path = write_return(tmp_path, expenditure=[expenditure_line(**{"Actual spend": actual})])
    assert n_findings(check(path, contract=contract())) == []


def test_n502_just_over_10_percent_fires(tmp_path):
    path = write_return(tmp_path, expenditure=[expenditure_line(**{"Actual spend": 9900.01})])
    assert n_cells(check(path, contract=contract())) == [["N502", "Narrative!B6"]]


def test_n502_quiet_when_explained(tmp_path):
    path = write_return(
        tmp_path,
        expenditure=[expenditure_line(**{"Actual spend": 7000})],
        narrative_values={"Finance variances": "Adviser on leave in August; temporary underspend."},
    )
    assert n_findings(check(path, contract=contract())) == []


# --- N503 personal data ------------------------------------------------------------------------------


def test_n503_fires_in_case_study_with_masked_value(tmp_path):
    path = write_return(
        tmp_path,
        narrative_values={
            "Case study": "Client SW100001 can be reached on 07700 900123 and started a warehouse job in August."
        },
    )
    report = check(path, contract=contract())
    assert n_cells(report) == [["N503", "Narrative!B8"]]
    f = n_findings(report)[0]
    assert "a phone number" in f.message and "07*** ******" in f.message and f.value == "07*** ******"
    assert "900123" not in f.message


def test_n503_any_narrative_answer(tmp_path):
    path = write_return(
        tmp_path,
        narrative_values={
            "Lessons learnt": "Ask clients (e.g. jo.bloggs@example.com) to confirm appointments by e-mail.",
            "Client and employer views": "One client, NI AB 12 34 56 C, living at SE15 4QF, said the fair helped.",
        },
    )
    report = check(path, contract=contract())
    assert n_cells(report) == [["N503", "Narrative!B2"], ["N503", "Narrative!B4"], ["N503", "Narrative!B4"]]
    messages = " ".join(f.message for f in n_findings(report))
    assert "an e-mail address (jo.******@*******.***)" in messages
    assert "a National Insurance number (AB ** ** ** *)" in messages and "a full postcode (SE** ***)" in messages


def test_n503_quiet_on_ordinary_text(tmp_path):
    path = write_return(
        tmp_path,
        narrative_values={
            "Case study": "Client SW100001, aged 34 and living in SE15, started work on 3 August 2026 at £13.85 an hour, "
            "37.5 hours a week; 25% more clients than in 2025/26 attended the 14/10/2026 fair."
        },
    )
    assert n_findings(check(path, contract=contract())) == []


@pytest.mark.parametrize(
    "text,kind",
    [
        ("Contact her at jane.doe@example.com for details", "email"),
        ("Her address (jane.doe@example.co.uk) is on file", "email"),
        ("write to jane.doe [at] example [dot] com", "email"),
        ("jane.doe(at)example.com", "email"),
        ("jane at gmail dot com", "email"),
        ("JANE.DOE@EXAMPLE.ORG", "email"),
        ("Call 07700 900123 today", "phone"),
        ("Ring 07700900123.", "phone"),
        ("mobile 07700-900-123", "phone"),
        ("Tel +44 20 7946 0018", "phone"),
        ("Tel +44 (0)20 7946 0018", "phone"),
        ("on (020) 7946 0018 weekdays", "phone"),
        ("0161 496 0000", "phone"),
        ("+33 1 23 45 67 89", "phone"),
        ("0044 20 7946 0018", "phone"),
        ("NI AB123456C", "ni"),
        ("NI number: AB 12 34 56 C", "ni"),
        ("ni ab123456c", "ni"),
        ("AB 123456 C on the form", "ni"),
        ("Lives at SE15 4AB", "postcode"),
        ("lives at se1 0aa", "postcode"),
        ("SW1A 1AA", "postcode"),
        ("moved to SE17 1RB in May", "postcode"),
        ("born on 12/03/1987", "dob"),
        ("DOB: 12.03.87", "dob"),
        ("date of birth is 3 March 1990", "dob"),
        ("12 March 1990 (DOB)", "dob"),
        ("D.O.B. 1989-11-02", "dob"),
        ("born 2nd May 2001", "dob"),
        ("On 14/03/1987 she", "old-date"),
        ("since March 12, 1985", "old-date"),
    ],
)
def test_personal_data_found(text, kind):
    assert [k for k, _ in personal_data(text, Q2_START)] == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "More details at southwark.gov.uk and sessions at Walworth.Next week",
        "Follow @SouthwarkWorks for news",
        "£1,200 spent, 25% up, 2026/27, client SW100001, 37.5 hours, 120 clients",
        "between 10:00 and 12:30 on 01/10/2026",
        "she started on 3 August 2026 and stayed 26 weeks",
        "She was born in Nigeria and moved to London on 12 March 2019",
        "born in 1990",  # a year is no date of birth
        "unemployed since 2015, aged 34",
        "in the SE1 area and SE15",
        "the Q2 2nd cohort, the A2 3rd exit",
        "Client SW100001 A job",
        "budget of 10000000 and 2,500,000",
        "reference 12345678901",
        "account 0012345678, sort code 00-12-34",
        "ISO date 2026-10-14, invoice 0001234",
        "Level 2 NVQ, 16-25 year olds, 0.5 FTE",
        "Call the Jobcentre Plus on the usual line",
    ],
)
def test_personal_data_not_found(text):
    assert personal_data(text, Q2_START) == []


def test_known_client_refs_are_not_personal_data():
    assert personal_data("client AB123456C", Q2_START) == [("ni", "AB123456C")]
    assert personal_data("client AB123456C", Q2_START, frozenset({"AB123456C"})) == []


def test_mask():
    assert mask("07700 900123") == "07*** ******"
    assert mask("jane.doe@example.com") == "ja**.***@*******.***"


# --- N507 possible names -----------------------------------------------------------------------------


def test_n507_fires_on_a_name(tmp_path):
    path = write_return(
        tmp_path,
        narrative_values={
            "Case study": "Jane Smith had been out of work for two years and started a warehouse job in August."
        },
    )
    report = check(path, contract=contract())
    assert n_cells(report) == [["N507", "Narrative!B8"]]
    f = n_findings(report)[0]
    assert f.severity == "warning" and "Ja** Sm***" in f.message and "Smith" not in f.message


def test_n507_quiet_on_employer_from_claims(tmp_path):
    text = "Client SW100001 started at Amina Okafor Hair as a junior stylist."
    named = write_return(
        tmp_path, "a.xlsx", narrative_values={"Case study": text}, claims=[claim(Employer="Amina Okafor Hair")]
    )
    assert n_findings(check(named, contract=contract())) == []
    other = write_return(tmp_path, "b.xlsx", narrative_values={"Case study": text})
    assert n_cells(check(other, contract=contract())) == [["N507", "Narrative!B8"]]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Jane Smith started work", ["Jane Smith"]),
        ("We met Mrs Okafor at the fair", ["Mrs Okafor"]),
        ("We met Mrs. Okafor at the fair", ["Mrs Okafor"]),
        ("Adebayo Okonkwo and Amina O'Connor", ["Adebayo Okonkwo", "Amina O'Connor"]),
        ("Mohammed McDonald-Smith", ["Mohammed McDonald-Smith"]),
        ("Jack Petchey Foundation funded the course", []),
        ("at the Tessa Jowell Health Centre", []),
        ("volunteering at St Mary Magdalene", []),
        ("Mohammed Ali (not his real name) found work", []),
        ("events in Victoria Park and on the Elizabeth Line", []),
        ("In May Jones", []),
        ("John Lewis hired two clients", []),
        ("Client SW100001 met Grace at the Jobcentre Plus", []),
        ("Jane\nSmith", []),
        ("Southwark Works and Universal Credit", []),
        ("Outreach in Peckham and Walworth on Monday Mornings", []),
    ],
)
def test_possible_names(text, expected):
    assert possible_names(text) == expected


# --- N504 case study ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value,said", [(None, "is empty"), ("N/A", 'says only "N/A"'), ("-", "is empty")])
def test_n504_fires_when_empty(tmp_path, value, said):
    report = check(write_return(tmp_path, narrative_values={"Case study": value}), contract=contract())
    assert n_cells(report) == [["N504", "Narrative!B8"]]
    assert said in n_findings(report)[0].message


def test_n504_quiet_with_a_case_study(tmp_path):
    report = check(
        write_return(
            tmp_path, narrative_values={"Case study": "Client SW100002 gained a forklift licence and a permanent job."}
        ),
        contract=contract(),
    )
    assert n_findings(report) == []


# --- N505 milestones ---------------------------------------------------------------------------------


def test_n505_fires_when_due_in_quarter_not_achieved_no_anticipated_date(tmp_path):
    path = write_return(
        tmp_path,
        milestones=[milestone(), milestone(Milestone="Client satisfaction survey", **{"Due date": date(2026, 9, 15)})],
    )
    report = check(path, contract=contract())
    assert n_cells(report) == [["N505", "Milestones!D3"]]
    f = n_findings(report)[0]
    assert f.severity == "warning" and "Client satisfaction survey" in f.message and "15/09/2026" in f.message
    assert "the quarter's end 30/09/2026" in f.message


def test_n505_due_on_quarter_end_fires(tmp_path):
    path = write_return(tmp_path, milestones=[milestone(**{"Due date": date(2026, 9, 30)})])
    assert n_cells(check(path, contract=contract())) == [["N505", "Milestones!D2"]]


def test_n505_not_overdue_before_the_return_was_sent(tmp_path):
    # a Q4 return sent early (9/10/2026): a milestone due 1/12/2026 has not passed yet; one due 1/10/2026 has
    path = write_return(
        tmp_path,
        cover_values={"Quarter": "Q4"},
        milestones=[
            milestone(**{"Due date": date(2026, 12, 1)}),
            milestone(Milestone="Outreach plan", **{"Due date": date(2026, 10, 1)}),
        ],
    )
    report = check(path, contract=contract())
    assert n_cells(report) == [["N505", "Milestones!D3"]]
    assert "the date submitted 09/10/2026" in n_findings(report)[0].message


@pytest.mark.parametrize(
    "fields",
    [
        {"Due date": date(2026, 9, 15), "Anticipated date": date(2026, 11, 30)},
        {"Due date": date(2026, 9, 15), "Date achieved": date(2026, 9, 20)},
        {"Due date": date(2026, 10, 1)},  # due after the quarter's end: next quarter's return
    ],
)
def test_n505_quiet(tmp_path, fields):
    path = write_return(tmp_path, milestones=[milestone(**fields)])
    assert n_findings(check(path, contract=contract(), today=date(2026, 10, 20))) == []


# --- N506 safeguarding -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "-"])
def test_n506_fires_when_blank(tmp_path, value):
    report = check(write_return(tmp_path, narrative_values={"Safeguarding": value}), contract=contract())
    assert n_cells(report) == [["N506", "Narrative!B7"]]
    assert n_findings(report)[0].severity == "warning"


@pytest.mark.parametrize("value", ["None", "N/A", "One disclosure referred to the council's MASH; resolved."])
def test_n506_quiet_when_answered(tmp_path, value):
    report = check(write_return(tmp_path, narrative_values={"Safeguarding": value}), contract=contract())
    assert n_findings(report) == []


def test_no_narrative_sheet_leaves_it_to_s002(tmp_path):
    report = check(write_return(tmp_path, drop_sheets=("Narrative",)), contract=contract())
    assert "S002" in {f.code for f in report.findings}
    assert n_findings(report) == []
