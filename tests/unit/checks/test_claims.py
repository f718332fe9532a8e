"""C — output claims (C201–C215): each rule fires on a bad claim and keeps quiet on the near miss."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from builders import check, claim, contract, only, registration, write_return

Q1_COVER = {"Quarter": "Q1"}  # 2026/27 Q1: April to June 2026


def C(report, code=None):
    """The C-family findings as [code, cell], optionally of one code (other families are tested elsewhere)."""
    return [[f.code, f.cell] for f in report.findings if f.code.startswith("C") and (code is None or f.code == code)]


def msgs(report, code):
    return [f.message for f in report.findings if f.code == code]


def row(**kw):
    """A claim with its fields given by header (spaces and all)."""
    return claim(**kw)


def sustainment(ref="CL-0002", client="SW100001", output="3a", start=date(2026, 1, 15), achieved=None, **kw):
    achieved = achieved or start + timedelta(days=182)
    evidence = "Employer letter 26 weeks" if output == "3a" else "Payslip 26 weeks"
    return claim(
        **{
            "Claim ref": ref,
            "Client ref": client,
            "Output": output,
            "Date achieved": achieved,
            "Start date": start,
            "Evidence held": evidence,
            **kw,
        }
    )


def job_start(ref="CL-0001", client="SW100001", output="2a", start=date(2026, 8, 3), **kw):
    c = {"Claim ref": ref, "Client ref": client, "Output": output, "Date achieved": start, "Start date": start}
    if output == "2b":
        c.update(
            {
                "Evidence held": "Apprenticeship contract",
                "Apprenticeship level": "3",
                "Training provider": "Lewisham College",
                "Employment type": None,
                "Contract type": None,
                "Weekly hours": None,
            }
        )
    c.update(kw)
    return claim(**c)


def q1_return(tmp_path: Path, claims: list[dict], clients=("SW100001",), name="q1.xlsx", **cover) -> Path:
    regs = [registration(**{"Client ref": c, "Registration date": date(2026, 4, 6)}) for c in clients]
    return write_return(
        tmp_path,
        name,
        cover_values={**Q1_COVER, "Date submitted": date(2026, 7, 9), **cover},
        registrations=regs,
        claims=claims,
    )


# --- the catalogue ----------------------------------------------------------------------------------


def test_default_return_has_no_claim_findings(tmp_path):
    report = check(write_return(tmp_path), contract=contract(), history=[])
    assert C(report) == []


# --- C201 claim-outside-quarter ---------------------------------------------------------------------


def test_c201_date_achieved_after_the_quarter(tmp_path):
    path = write_return(tmp_path, claims=[row(**{"Date achieved": date(2026, 10, 1), "Start date": date(2026, 10, 1)})])
    f = only(check(path, contract=contract()), "C201")
    assert f.cell == "Claims!D2"
    assert "01/10/2026" in f.message and "2026/27 Q2" in f.message and "01/07/2026–30/09/2026" in f.message
    assert "App 2 §2.4" in f.message


def test_c201_before_the_quarter(tmp_path):
    path = write_return(tmp_path, claims=[row(**{"Date achieved": date(2026, 6, 30), "Start date": date(2026, 6, 30)})])
    assert C(check(path, contract=contract()), "C201") == [["C201", "Claims!D2"]]


def test_c201_quiet_on_the_quarter_bounds(tmp_path):
    path = write_return(
        tmp_path,
        claims=[
            row(**{"Date achieved": date(2026, 7, 1), "Start date": date(2026, 7, 1)}),
            row(**{"Claim ref": "CL-0002", "Date achieved": date(2026, 9, 30), "Start date": date(2026, 9, 30)}),
        ],
    )
    assert C(check(path, contract=contract()), "C201") == []


# --- C202 unknown-client ----------------------------------------------------------------------------


def test_c202_client_not_registered_with_history_given(tmp_path):
    path = write_return(tmp_path, claims=[row(**{"Client ref": "SW999999"})])
    f = only(check(path, contract=contract(), history=[]), "C202")
    assert f.cell == "Claims!B2" and f.severity == "error"
    assert "SW999999" in f.message and "CL-0001" in f.message and "App 2 §2.1" in f.message


def test_c202_client_registered_in_an_earlier_return(tmp_path):
    earlier = q1_return(tmp_path, [], clients=("SW200001",))
    path = write_return(tmp_path, claims=[row(**{"Client ref": "SW200001"})])
    assert C(check(path, contract=contract(), history=[earlier]), "C202") == []
    # the same claim, with the earlier return not given, is an error once history is said to be complete
    report = check(path, contract=contract(), history=[])
    assert C(report, "C202") == [["C202", "Claims!B2"]]
    assert "no earlier returns" not in only(report, "C202").message


def test_c202_names_the_earlier_returns_searched(tmp_path):
    earlier = q1_return(tmp_path, [], clients=("SW200001",))
    path = write_return(tmp_path, claims=[row(**{"Client ref": "SW300001"})])
    f = only(check(path, contract=contract(), history=[earlier]), "C202")
    assert "SW300001" in f.message and "1 earlier return given (2026/27 Q1)" in f.message


def test_c202_matches_refs_forgivingly(tmp_path):
    path = write_return(tmp_path, claims=[row(**{"Client ref": " sw100001"})])
    assert C(check(path, contract=contract(), history=[]), "C202") == []


def test_c202_without_history_is_one_info(tmp_path):
    path = write_return(
        tmp_path, claims=[row(**{"Client ref": "SW900001"}), row(**{"Claim ref": "CL-0002", "Client ref": "SW900002"})]
    )
    report = check(path, contract=contract())
    f = only(report, "C202")
    assert f.severity == "info" and f.cell is None
    assert "SW900001" in f.message and "SW900002" in f.message and "--history" in f.message


def test_c202_without_history_in_the_contracts_first_quarter_is_an_error(tmp_path):
    path = write_return(tmp_path, claims=[row(**{"Client ref": "SW900001"})])
    report = check(path, contract=contract(start=date(2026, 7, 1)))
    assert [[f.code, f.cell, f.severity] for f in report.findings if f.code == "C202"] == [
        ["C202", "Claims!B2", "error"]
    ]
    assert "first quarter" in only(report, "C202").message


# --- C203 output-not-in-lot ---------------------------------------------------------------------------


def test_c203_lot_9_has_no_job_starts(tmp_path):
    path = write_return(
        tmp_path,
        cover_values={"Lot": "9"},
        registrations=[
            registration(**{"Eligibility criteria": "In low-paid or insecure work", "Employment status": "Employed"})
        ],
        claims=[row()],
    )
    f = only(check(path), "C203")
    assert f.cell == "Claims!C2"
    assert "output 2a" in f.message and "lot 9" in f.message and "4, 5, 6" in f.message


def test_c203_additional_output_of_another_lot(tmp_path):
    path = write_return(
        tmp_path,
        claims=[
            row(**{"Output": "8", "Evidence held": "Activity record"}),
            row(**{"Claim ref": "CL-0002", "Output": "9", "Evidence held": "Activity record"}),
        ],
    )
    report = check(path, contract=contract())
    assert C(report, "C203") == [["C203", "Claims!C3"]]
    assert "output 9 is not an output of lot 3" in only(report, "C203").message


def test_c203_quiet_for_lot_4_output_9(tmp_path):
    path = write_return(
        tmp_path,
        cover_values={"Lot": "4", "Contract ID": "SW-L4-01"},
        registrations=[registration(**{"Eligibility criteria": "Autism"})],
        claims=[row(**{"Output": "9", "Evidence held": "Referral confirmation"})],
    )
    assert C(check(path), "C203") == []


# --- C204 evidence-not-acceptable ---------------------------------------------------------------------


def test_c204_job_evidence_for_a_sustainment(tmp_path):
    path = write_return(tmp_path, claims=[sustainment(**{"Evidence held": "Signed contract"})])
    f = only(check(path, contract=contract()), "C204")
    assert f.cell == "Claims!E2"
    assert "'Signed contract'" in f.message and "output 3a" in f.message and "Employer letter 26 weeks" in f.message


def test_c204_self_employed_job_start_needs_its_own_evidence(tmp_path):
    path = write_return(tmp_path, claims=[row(**{"Employment type": "Self-employed", "Contract type": None})])
    f = only(check(path, contract=contract()), "C204")
    assert f.cell == "Claims!E2"
    assert "self-employed" in f.message and "UTR number" in f.message


def test_c204_quiet_when_one_code_is_acceptable(tmp_path):
    path = write_return(
        tmp_path,
        claims=[
            row(
                **{
                    "Employment type": "Self-employed",
                    "Contract type": None,
                    "Evidence held": "Signed contract; UTR number",
                }
            ),
            row(
                **{
                    "Claim ref": "CL-0002",
                    "Client ref": "SW100001",
                    "Start date": date(2026, 8, 10),
                    "Date achieved": date(2026, 8, 10),
                    "Evidence held": "First payslip",
                }
            ),
        ],
    )
    assert C(check(path, contract=contract()), "C204") == []


def test_c204_progression_and_placement_types(tmp_path):
    path = write_return(
        tmp_path,
        claims=[
            row(
                **{
                    "Output": "4",
                    "Progression type": "B training",
                    "Evidence held": "Contract of employment",
                    "Qualification gained": "Level 3 Diploma",
                    "Qualification level": "3",
                }
            ),
            row(
                **{
                    "Claim ref": "CL-0002",
                    "Output": "4",
                    "Progression type": "A wage",
                    "Evidence held": "Contract of employment",
                    "Previous hourly pay": 12.0,
                    "Date achieved": date(2026, 8, 4),
                }
            ),
            row(
                **{
                    "Claim ref": "CL-0003",
                    "Output": "5",
                    "Placement type": "Internship",
                    "Evidence held": "Host letter, email or text with dates",
                    "End date": date(2026, 9, 30),
                }
            ),
        ],
    )
    report = check(path, contract=contract())
    assert C(report, "C204") == [["C204", "Claims!E2"], ["C204", "Claims!E4"]]
    assert "output 4 (B training)" in msgs(report, "C204")[0]
    assert "Employer letter with dates and wages" in msgs(report, "C204")[1]


def test_c204_blank_employment_type_accepts_either_list(tmp_path):
    path = write_return(tmp_path, claims=[row(**{"Employment type": None, "Evidence held": "UTR number"})])
    report = check(path, contract=contract())
    assert C(report, "C204") == []
    assert C(report, "C205") == [["C205", "Claims!J2"]]


# --- C205 job-start-tracking --------------------------------------------------------------------------


def test_c205_missing_employer_and_hours(tmp_path):
    path = write_return(tmp_path, claims=[row(**{"Employer": None, "Weekly hours": None})])
    f = only(check(path, contract=contract()), "C205")
    assert f.cell == "Claims!G2"
    assert "Employer, Weekly hours are empty" in f.message and "CL-0001" in f.message


def test_c205_unpaid_job(tmp_path):
    path = write_return(tmp_path, claims=[row(**{"Gross hourly pay": 0})])
    f = only(check(path, contract=contract()), "C205")
    assert f.cell == "Claims!M2" and "0.00" in f.message and "paid" in f.message


def test_c205_quiet_for_self_employed_without_contract_type(tmp_path):
    path = write_return(
        tmp_path,
        claims=[
            row(
                **{
                    "Employment type": "Self-employed",
                    "Contract type": None,
                    "Evidence held": "Evidence of income",
                    "Weekly hours": 0,
                }
            )
        ],
    )
    assert C(check(path, contract=contract()), "C205") == []


def test_c205_employed_without_contract_type(tmp_path):
    path = write_return(tmp_path, claims=[row(**{"Contract type": None})])
    assert C(check(path, contract=contract()), "C205") == [["C205", "Claims!K2"]]


# --- C206 apprenticeship-tracking -----------------------------------------------------------------------


def test_c206_missing_training_provider(tmp_path):
    path = write_return(tmp_path, claims=[job_start(output="2b", **{"Training provider": None})])
    f = only(check(path, contract=contract()), "C206")
    assert f.cell == "Claims!O2" and "Training provider is empty" in f.message
    assert "; an apprenticeship start (2b) must record Employer, Start date" in f.message


def test_c206_missing_level_and_pay(tmp_path):
    path = write_return(
        tmp_path, claims=[job_start(output="2b", **{"Apprenticeship level": None, "Gross hourly pay": None})]
    )
    f = only(check(path, contract=contract()), "C206")
    assert f.cell == "Claims!N2" and "Apprenticeship level, Gross hourly pay are empty" in f.message


def test_c206_quiet_for_a_complete_apprenticeship(tmp_path):
    report = check(write_return(tmp_path, claims=[job_start(output="2b")]), contract=contract(), history=[])
    assert C(report) == []


# --- C207 sustainment-too-early / C208 sustainment-too-late ------------------------------------------


def test_c207_seventeen_weeks(tmp_path):
    path = write_return(tmp_path, claims=[sustainment(start=date(2026, 5, 1), achieved=date(2026, 9, 1))])
    f = only(check(path, contract=contract()), "C207")
    assert f.cell == "Claims!D2"
    assert f.message == (
        "Claims!D2: 3a achieved 01/09/2026 is 17 weeks 4 days after the job start 01/05/2026; "
        "a sustainment needs 26 weeks (App 2 §2.4)"
    )


def test_c207_one_day_short_and_3b(tmp_path):
    start = date(2026, 2, 1)
    path = write_return(
        tmp_path,
        claims=[
            sustainment(start=start, achieved=start + timedelta(days=181)),
            sustainment(ref="CL-0003", output="3b", start=start, achieved=start + timedelta(days=181)),
        ],
    )
    report = check(path, contract=contract())
    assert C(report, "C207") == [["C207", "Claims!D2"], ["C207", "Claims!D3"]]
    assert "25 weeks 6 days" in msgs(report, "C207")[0] and "apprenticeship start" in msgs(report, "C207")[1]


def test_c207_quiet_at_exactly_26_weeks(tmp_path):
    start = date(2026, 2, 1)
    path = write_return(tmp_path, claims=[sustainment(start=start, achieved=start + timedelta(days=182))])
    report = check(path, contract=contract())
    assert C(report, "C207") == [] and C(report, "C208") == []


def test_c208_more_than_32_weeks(tmp_path):
    start = date(2026, 1, 5)
    path = write_return(tmp_path, claims=[sustainment(start=start, achieved=start + timedelta(days=225))])
    f = only(check(path, contract=contract()), "C208")
    assert f.cell == "Claims!D2"
    assert "32 weeks 1 day" in f.message and "05/01/2026" in f.message and "18/08/2026" in f.message


def test_c208_quiet_at_exactly_32_weeks_and_for_3b(tmp_path):
    start = date(2026, 1, 5)
    path = write_return(
        tmp_path,
        claims=[
            sustainment(start=start, achieved=start + timedelta(days=224)),
            sustainment(ref="CL-0003", output="3b", start=start, achieved=start + timedelta(days=260)),
        ],
    )
    assert C(check(path, contract=contract()), "C208") == []


# --- C209 sustainment-without-start -----------------------------------------------------------------


def _q4_return(tmp_path, claims):
    regs = [registration(**{"Client ref": "SW100001", "Registration date": date(2026, 1, 6)})]
    return write_return(
        tmp_path,
        "q4.xlsx",
        cover_values={"Financial year": "2025/26", "Quarter": "Q4", "Date submitted": date(2026, 4, 9)},
        registrations=regs,
        claims=claims,
    )


def test_c209_quiet_when_the_start_was_claimed_earlier(tmp_path):
    earlier = _q4_return(tmp_path, [job_start(start=date(2026, 1, 15))])
    path = write_return(tmp_path, claims=[sustainment(start=date(2026, 1, 15))])
    assert C(check(path, contract=contract(), history=[earlier])) == []


def test_c209_no_start_with_that_date(tmp_path):
    earlier = _q4_return(tmp_path, [job_start(start=date(2026, 1, 15))])
    path = write_return(tmp_path, claims=[sustainment(start=date(2026, 1, 16))])
    f = only(check(path, contract=contract(), history=[earlier]), "C209")
    assert f.cell == "Claims!H2" and f.severity == "warning"
    assert "no 2a" in f.message and "16/01/2026" in f.message and "2025/26 Q4" in f.message


def test_c209_3b_needs_a_2b(tmp_path):
    earlier = _q4_return(tmp_path, [job_start(start=date(2026, 1, 15))])
    path = write_return(tmp_path, claims=[sustainment(output="3b", start=date(2026, 1, 15))])
    f = only(check(path, contract=contract(), history=[earlier]), "C209")
    assert f.cell == "Claims!H2" and "claimed as 2a, not 2b" in f.message


def test_c209_without_history_is_one_info(tmp_path):
    path = write_return(tmp_path, claims=[sustainment(), sustainment(ref="CL-0003", start=date(2026, 1, 20))])
    f = only(check(path, contract=contract()), "C209")
    assert f.severity == "info" and f.cell is None
    assert "2 sustainment claims" in f.message and "--history" in f.message


def test_c209_start_claimed_as_the_other_kind_in_this_return(tmp_path):
    path = write_return(
        tmp_path,
        claims=[
            job_start(start=date(2026, 1, 15), **{"Date achieved": date(2026, 7, 1)}),
            sustainment(output="3b", start=date(2026, 1, 15)),
        ],
    )
    report = check(path, contract=contract())
    assert [[f.code, f.cell, f.severity] for f in report.findings if f.code == "C209"] == [
        ["C209", "Claims!H3", "warning"]
    ]
    assert "claimed as 2a, not 2b" in only(report, "C209").message


def test_c209_within_this_return_without_history(tmp_path):
    # the job start is claimed in this return (achieved late), so nothing depends on earlier returns
    path = write_return(
        tmp_path,
        claims=[
            job_start(start=date(2026, 1, 15), **{"Date achieved": date(2026, 7, 1)}),
            sustainment(start=date(2026, 1, 15)),
        ],
    )
    assert C(check(path, contract=contract()), "C209") == []


# --- C210 repeat-job-starts / C211 repeat-sustainments ---------------------------------------------


def _three_q1_starts():
    return [job_start(ref=f"Q1-{k}", start=date(2026, 4, 6 + 7 * k)) for k in range(3)]


def test_c210_fifth_job_start_is_flagged_not_the_fourth(tmp_path):
    earlier = q1_return(tmp_path, _three_q1_starts())
    path = write_return(
        tmp_path,
        claims=[job_start(start=date(2026, 8, 3)), job_start(ref="CL-0002", output="2b", start=date(2026, 9, 1))],
    )
    report = check(path, contract=contract(), history=[earlier])
    f = only(report, "C210")
    assert f.cell == "Claims!C3" and f.severity == "error"
    assert "5th job or apprenticeship start" in f.message and "01/04/2025–31/03/2027" in f.message
    assert "Q1-0 (2a, 06/04/2026, 2026/27 Q1)" in f.message and "CL-0001" in f.message


def test_c210_a_new_term_starts_the_count_again(tmp_path):
    # a contract started 01/07/2024: its first two-year term ends 30/06/2026, so Q2 2026/27 is a new term
    earlier = q1_return(tmp_path, _three_q1_starts() + [job_start(ref="Q1-9", start=date(2026, 6, 1))])
    path = write_return(tmp_path, claims=[job_start(start=date(2026, 8, 3))])
    assert (
        C(check(path, contract=contract(start=date(2024, 7, 1), end=date(2028, 6, 30)), history=[earlier]), "C210")
        == []
    )
    assert C(check(path, contract=contract(), history=[earlier]), "C210") == [["C210", "Claims!C2"]]


def test_c210_within_one_return_without_history(tmp_path):
    path = write_return(
        tmp_path, claims=[job_start(ref=f"CL-{k}", start=date(2026, 7, 6) + timedelta(days=7 * k)) for k in range(5)]
    )
    report = check(path, contract=contract())
    assert C(report, "C210") == [["C210", "Claims!C6"], ["C210", None]]
    assert [f.severity for f in report.findings if f.code == "C210"] == ["error", "info"]
    assert "--history" in msgs(report, "C210")[1]


def test_c210_duplicate_rows_do_not_count_twice(tmp_path):
    earlier = q1_return(tmp_path, _three_q1_starts())
    path = write_return(tmp_path, claims=[job_start(), job_start(ref="CL-0002")])
    report = check(path, contract=contract(), history=[earlier])
    assert C(report, "C210") == [] and C(report, "C213") == [["C213", "Claims!C3"]]


def test_c211_fifth_sustainment(tmp_path):
    q1 = [sustainment(ref=f"Q1-{k}", start=date(2025, 10, 1) + timedelta(days=7 * k)) for k in range(4)]
    earlier = q1_return(tmp_path, q1)
    path = write_return(tmp_path, claims=[sustainment(start=date(2026, 1, 15))])
    f = only(check(path, contract=contract(), history=[earlier]), "C211")
    assert f.cell == "Claims!C2" and "5th sustainment" in f.message and "at most 4" in f.message


def test_c211_fourth_sustainment_is_allowed(tmp_path):
    q1 = [sustainment(ref=f"Q1-{k}", start=date(2025, 10, 1) + timedelta(days=7 * k)) for k in range(3)]
    earlier = q1_return(tmp_path, q1)
    path = write_return(tmp_path, claims=[sustainment(start=date(2026, 1, 15))])
    assert C(check(path, contract=contract(), history=[earlier]), "C211") == []


def test_c211_without_history_is_info(tmp_path):
    path = write_return(tmp_path, claims=[sustainment()])
    f = only(check(path, contract=contract()), "C211")
    assert f.severity == "info" and "--history" in f.message


# --- C212 shared-support-hours ----------------------------------------------------------------------


def test_c212_shared_with_under_six_hours(tmp_path):
    path = write_return(tmp_path, claims=[row(**{"Shared with provider": "Walworth Works", "Support hours": 5.5})])
    f = only(check(path, contract=contract()), "C212")
    assert f.cell == "Claims!X2"
    assert "Walworth Works" in f.message and "5.5 hours" in f.message and "at least 6" in f.message


def test_c212_quiet_at_six_hours_and_when_not_shared(tmp_path):
    path = write_return(
        tmp_path,
        claims=[
            row(**{"Shared with provider": "Walworth Works", "Support hours": 6}),
            row(
                **{
                    "Claim ref": "CL-0002",
                    "Client ref": "SW100001",
                    "Start date": date(2026, 8, 10),
                    "Date achieved": date(2026, 8, 10),
                    "Support hours": 2,
                }
            ),
        ],
    )
    assert C(check(path, contract=contract()), "C212") == []


# --- C213 duplicate-claim -----------------------------------------------------------------------------


def test_c213_same_claim_twice_in_this_return(tmp_path):
    path = write_return(tmp_path, claims=[row(), row(**{"Claim ref": "CL-0002"})])
    f = only(check(path, contract=contract(), history=[]), "C213")
    assert f.cell == "Claims!C3"
    assert "SW100001" in f.message and "2a" in f.message and "03/08/2026" in f.message
    assert "row 2 (CL-0001)" in f.message


def test_c213_already_claimed_in_an_earlier_return(tmp_path):
    earlier = q1_return(tmp_path, [job_start(ref="Q1-7", output="2b", start=date(2026, 6, 1))])
    path = write_return(
        tmp_path, claims=[job_start(output="2b", start=date(2026, 6, 1), **{"Date achieved": date(2026, 7, 1)})]
    )
    f = only(check(path, contract=contract(), history=[earlier]), "C213")
    assert f.cell == "Claims!C2" and "already claimed as Q1-7 in 2026/27 Q1" in f.message


def test_c213_quiet_on_another_start_date_or_output(tmp_path):
    earlier = q1_return(tmp_path, [job_start(ref="Q1-7", start=date(2026, 6, 1))])
    path = write_return(
        tmp_path,
        claims=[
            job_start(start=date(2026, 8, 3)),
            job_start(ref="CL-0002", output="2b", start=date(2026, 8, 3)),
            row(
                **{
                    "Claim ref": "CL-0003",
                    "Output": "4",
                    "Progression type": "A wage",
                    "Previous hourly pay": 12.0,
                    "Evidence held": "Payslips before and after",
                    "Date achieved": date(2026, 8, 20),
                }
            ),
            row(
                **{
                    "Claim ref": "CL-0004",
                    "Output": "4",
                    "Progression type": "C contract",
                    "Previous contract type": "Temporary",
                    "Previous weekly hours": 20,
                    "Evidence held": "Contract of employment",
                    "Date achieved": date(2026, 9, 20),
                }
            ),
        ],
    )
    assert C(check(path, contract=contract(), history=[earlier]), "C213") == []


def test_c213_without_history_is_one_info(tmp_path):
    report = check(write_return(tmp_path), contract=contract())
    f = only(report, "C213")
    assert f.severity == "info" and f.cell is None and "--history" in f.message


# --- C214 start-after-achieved ----------------------------------------------------------------------


def test_c214_start_after_achieved(tmp_path):
    path = write_return(tmp_path, claims=[row(**{"Start date": date(2026, 8, 4)})])
    f = only(check(path, contract=contract()), "C214")
    assert f.cell == "Claims!H2" and "04/08/2026" in f.message and "03/08/2026" in f.message


def test_c214_quiet_on_the_same_day(tmp_path):
    path = write_return(tmp_path, claims=[row(**{"Start date": date(2026, 8, 3)})])
    assert C(check(path, contract=contract()), "C214") == []


# --- C216 start-outside-quarter ---------------------------------------------------------------------


def test_c216_job_start_before_the_quarter(tmp_path):
    path = write_return(tmp_path, claims=[job_start(start=date(2026, 6, 20), **{"Date achieved": date(2026, 7, 8)})])
    f = only(check(path, contract=contract()), "C216")
    assert (f.cell, f.severity) == ("Claims!H2", "error")
    assert "job start (2a) claim CL-0001" in f.message and "started 20/06/2026, before 2026/27 Q2" in f.message
    assert "01/07/2026–30/09/2026" in f.message and "started in the quarter" in f.message


def test_c216_apprenticeship_start_before_the_quarter(tmp_path):
    path = write_return(
        tmp_path, claims=[job_start(output="2b", start=date(2026, 3, 2), **{"Date achieved": date(2026, 9, 1)})]
    )
    f = only(check(path, contract=contract()), "C216")
    assert f.cell == "Claims!H2" and "apprenticeship start (2b)" in f.message and "02/03/2026" in f.message


def test_c216_quiet_in_the_quarter_for_sustainments_and_for_c201_c214s_dates(tmp_path):
    path = write_return(
        tmp_path,
        claims=[
            job_start(start=date(2026, 7, 1), **{"Date achieved": date(2026, 7, 8)}),
            job_start(ref="CL-0002", output="2b", start=date(2026, 9, 30)),
            sustainment(ref="CL-0003", start=date(2026, 1, 15)),  # a 3a's start is long before
            job_start(ref="CL-0004", start=date(2026, 6, 15)),  # one date outside: C201's
            job_start(ref="CL-0005", start=date(2026, 10, 2), **{"Date achieved": date(2026, 9, 28)}),
        ],
    )  # C214's
    report = check(path, contract=contract())
    assert C(report, "C216") == []
    assert C(report, "C201") == [["C201", "Claims!D5"]] and C(report, "C214") == [["C214", "Claims!H6"]]


# --- C217 job-and-apprenticeship-same-start ---------------------------------------------------------


def test_c217_same_start_as_2a_and_2b_in_this_return(tmp_path):
    path = write_return(tmp_path, claims=[job_start(), job_start(ref="CL-0002", output="2b")])
    f = only(check(path, contract=contract(), history=[]), "C217")
    assert (f.cell, f.severity) == ("Claims!C3", "error")
    assert "client SW100001 starting 03/08/2026 is claimed here as 2b" in f.message
    assert "already claimed as 2a in row 2 (CL-0001)" in f.message and "one start counts once" in f.message
    assert "§4.5" in f.message


def test_c217_start_claimed_as_the_other_kind_in_an_earlier_return(tmp_path):
    earlier = q1_return(tmp_path, [job_start(ref="Q1-7", output="2b", start=date(2026, 6, 1))])
    path = write_return(tmp_path, claims=[job_start(start=date(2026, 6, 1), **{"Date achieved": date(2026, 7, 1)})])
    f = only(check(path, contract=contract(), history=[earlier]), "C217")
    assert (
        f.cell == "Claims!C2" and "claimed here as 2a but was already claimed as 2b in 2026/27 Q1 (Q1-7)" in f.message
    )


def test_c217_flags_the_other_kind_once_and_leaves_repeats_to_c213(tmp_path):
    path = write_return(tmp_path, claims=[job_start(), job_start(ref="CL-0002"), job_start(ref="CL-0003", output="2b")])
    report = check(path, contract=contract(), history=[])
    assert C(report, "C217") == [["C217", "Claims!C4"]] and C(report, "C213") == [["C213", "Claims!C3"]]


def test_c217_quiet_on_another_start_date_or_client(tmp_path):
    path = write_return(
        tmp_path,
        registrations=[registration(), registration(**{"Client ref": "SW100002"})],
        claims=[
            job_start(),
            job_start(ref="CL-0002", output="2b", start=date(2026, 8, 4)),
            job_start(ref="CL-0003", client="SW100002", output="2b"),
        ],
    )
    assert C(check(path, contract=contract(), history=[]), "C217") == []


def test_c217_without_history_is_one_info(tmp_path):
    f = only(check(write_return(tmp_path), contract=contract()), "C217")
    assert f.severity == "info" and f.cell is None and "--history" in f.message


# --- C218 achieved-before-registration --------------------------------------------------------------


def test_c218_output_achieved_before_the_registration(tmp_path):
    path = write_return(
        tmp_path,
        registrations=[registration(**{"Registration date": date(2026, 7, 20)})],
        claims=[job_start(start=date(2026, 7, 10))],
    )
    f = only(check(path, contract=contract(), history=[]), "C218")
    assert (f.cell, f.severity) == ("Claims!D2", "error")
    assert "output 2a for client SW100001 (claim CL-0001) was achieved 10/07/2026" in f.message
    assert "registered with this contract on 20/07/2026 (Registrations!B2)" in f.message and "App 2 §2.1" in f.message


def test_c218_quiet_on_the_registration_day_and_with_an_earlier_registration(tmp_path):
    earlier = q1_return(tmp_path, [], clients=("SW200001",))
    path = write_return(
        tmp_path,
        registrations=[registration(**{"Registration date": date(2026, 7, 20)})],
        claims=[
            job_start(start=date(2026, 7, 20)),
            job_start(ref="CL-0002", client="SW200001", start=date(2026, 7, 2)),
        ],
    )
    assert C(check(path, contract=contract(), history=[earlier]), "C218") == []


def test_c218_leaves_re_registrations_to_r111_and_unknown_clients_to_c202(tmp_path):
    rereg = registration(
        **{
            "Registration type": "Re-registration",
            "Registration date": date(2026, 8, 20),
            "Last engagement date": date(2025, 1, 10),
        }
    )
    path = write_return(
        tmp_path,
        registrations=[rereg],
        claims=[job_start(), job_start(ref="CL-0002", client="SW999999", start=date(2026, 7, 2))],
    )
    report = check(path, contract=contract(), history=[])
    assert C(report, "C218") == [] and C(report, "C202") == [["C202", "Claims!B3"]]
    assert [f.cell for f in report.findings if f.code == "R111"] == ["Registrations!B2"]


# --- C215 evidence-file-missing ---------------------------------------------------------------------

PDF = b"%PDF-1.7\n1 0 obj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def _evidence(tmp_path, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "evidence"
    folder.mkdir(exist_ok=True)
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    return folder


def test_c215_not_checked_without_a_folder(tmp_path):
    assert C(check(write_return(tmp_path), contract=contract()), "C215") == []


def test_c215_missing_file(tmp_path):
    folder = _evidence(tmp_path, {"other.pdf": PDF})
    f = only(check(write_return(tmp_path), contract=contract(), evidence_dir=folder), "C215")
    assert f.cell == "Claims!F2" and "no file 'CL-0001-contract.pdf'" in f.message


def test_c215_matched_forgivingly(tmp_path):
    folder = _evidence(tmp_path, {"CL-0001-CONTRACT.PDF": PDF, "q2/CL-0002-start.png": PNG})
    path = write_return(
        tmp_path,
        claims=[
            row(),
            row(
                **{
                    "Claim ref": "CL-0002",
                    "Start date": date(2026, 8, 10),
                    "Date achieved": date(2026, 8, 10),
                    "Evidence reference": "cl-0002-start",
                }
            ),
        ],
    )
    assert C(check(path, contract=contract(), evidence_dir=folder), "C215") == []


def test_c215_a_link_out_of_the_folder_is_not_evidence(tmp_path):
    # a real PDF outside the folder, linked in under the reference's name: C215 does not follow it
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.pdf").write_bytes(PDF)
    folder = _evidence(tmp_path, {"other.pdf": PDF})
    (folder / "CL-0001-contract.pdf").symlink_to(outside / "secret.pdf")
    f = only(check(write_return(tmp_path), contract=contract(), evidence_dir=folder), "C215")
    assert f.cell == "Claims!F2" and "no file 'CL-0001-contract.pdf'" in f.message


def test_c215_empty_wrong_type_and_fake_files(tmp_path):
    folder = _evidence(
        tmp_path, {"CL-0001-contract.pdf": b"", "CL-0002.txt": b"a letter", "CL-0003.pdf": b"not really a pdf"}
    )
    path = write_return(
        tmp_path,
        claims=[
            row(),
            row(
                **{
                    "Claim ref": "CL-0002",
                    "Start date": date(2026, 8, 10),
                    "Date achieved": date(2026, 8, 10),
                    "Evidence reference": "CL-0002",
                }
            ),
            row(
                **{
                    "Claim ref": "CL-0003",
                    "Start date": date(2026, 8, 17),
                    "Date achieved": date(2026, 8, 17),
                    "Evidence reference": "CL-0003.pdf",
                }
            ),
        ],
    )
    report = check(path, contract=contract(), evidence_dir=folder)
    assert C(report, "C215") == [["C215", "Claims!F2"], ["C215", "Claims!F3"], ["C215", "Claims!F4"]]
    m = msgs(report, "C215")
    assert "empty" in m[0] and "not an accepted type" in m[1] and "CL-0002.txt" in m[1]
    assert "not a real PDF" in m[2]


def test_c215_every_reference_of_a_cell(tmp_path):
    folder = _evidence(tmp_path, {"CL-0001-contract.pdf": PDF})
    path = write_return(tmp_path, claims=[row(**{"Evidence reference": "CL-0001-contract.pdf; CL-0001-payslip"})])
    f = only(check(path, contract=contract(), evidence_dir=folder), "C215")
    assert "CL-0001-payslip" in f.message and "CL-0001-contract.pdf'" not in f.message


def test_c215_folder_that_is_not_there(tmp_path):
    f = only(check(write_return(tmp_path), contract=contract(), evidence_dir=tmp_path / "nowhere"), "C215")
    assert f.severity == "warning" and f.cell is None


def test_c205_leaves_a_formula_without_value_to_s009(tmp_path):
    """A formula saved without its value is S009 at that cell, not also an empty tracking field."""
    import openpyxl

    path = write_return(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Claims"]
    employer = next(c.column_letter for c in ws[1] if c.value == "Employer")
    ws[f"{employer}2"] = '=UPPER("borough market")'  # openpyxl saves formulas with no cached value
    wb.save(path)
    report = check(path, contract=contract())
    assert [f.cell for f in report.findings if f.code == "S009"] == [f"Claims!{employer}2"]
    assert [f for f in report.findings if f.code == "C205"] == []


def test_c204_blank_progression_or_placement_type_is_judged_against_every_list_of_the_output(tmp_path):
    """A blank type is S005's to report; the evidence is still judged, against every list of the output."""
    path = write_return(
        tmp_path,
        claims=[
            row(**{"Output": "4", "Progression type": None, "Evidence held": "Host letter, email or text with dates"}),
            row(
                **{
                    "Claim ref": "CL-0002",
                    "Output": "4",
                    "Progression type": None,
                    "Evidence held": "Certificate",  # a training progression's
                    "Date achieved": date(2026, 8, 4),
                }
            ),
            row(**{"Claim ref": "CL-0003", "Output": "5", "Placement type": None, "Evidence held": "First payslip"}),
        ],
    )
    report = check(path, contract=contract())
    assert C(report, "C204") == [["C204", "Claims!E2"], ["C204", "Claims!E4"]]
    first, third = msgs(report, "C204")
    assert "evidence 'Host letter, email or text with dates' is not acceptable for output 4; accepted: " in first
    assert "Employer letter or email; Contract of employment; Payslips before and after; Certificate" in first
    assert "evidence 'First payslip' is not acceptable for output 5; accepted: " in third
    assert "Host letter, email or text with dates; Employer letter with dates and wages" in third
