"""P — progression, placements, training (P301–P309): each rule fires on a bad claim and keeps quiet
on the near miss.

The default return is 2026/27 Q2 (Jul–Sep 2026). On 3 August 2026 the London Living Wage in force is
the 2025-26 rate, £14.80 (from 1 May 2026), and the newest CPI in the shipped file is May 2026, 2.8%
(released 17 June 2026); June 2026's, estimated for Wednesday 22 July 2026, is not in the file, so P309
warns for wage progressions in this quarter. The P303 figures are worked for 6 May 2026 (a 2026/27 Q1
return), when the CPI last published is March 2026, 3.3% (released 22 April; April's came on 20 May),
so a newer shipped file cannot change them. Tests of one rule look at that rule's findings only.
"""

from __future__ import annotations

from datetime import date

import pytest

import builders
from builders import check, claim, found, only, registration, write_return
from swtool.model.refdata import PACKAGE_DATA, RefData

IN_WORK = {
    "Employment status": "Employed",
    "Employment type": "Full-time",
    "Contract type": "Zero hours",
    "Average weekly hours": 20,
    "Gross hourly pay": 13.0,
    "On Statutory Sick Pay": "No",
}


def in_work(**overrides) -> dict:
    return registration(**{**IN_WORK, **overrides})


def wage(**overrides) -> dict:
    """A type A progression on Monday 3 August 2026."""
    c = claim(
        Output="4",
        **{
            "Progression type": "A wage",
            "Evidence held": "Payslips before and after",
            "Evidence reference": "CL-0001-payslips.pdf",
            "Gross hourly pay": 16.0,
            "Start date": date(2026, 8, 3),
        },
    )
    c.update(overrides)
    return c


def training(**overrides) -> dict:
    c = claim(
        Output="4",
        **{
            "Progression type": "B training",
            "Evidence held": "Certificate",
            "Qualification gained": "Level 3 Diploma in Team Leading",
            "Qualification level": "3",
            "Start date": date(2026, 8, 3),
        },
    )
    c.update(overrides)
    return c


def contract_change(**overrides) -> dict:
    c = claim(
        Output="4",
        **{
            "Progression type": "C contract",
            "Evidence held": "Contract of employment",
            "Previous contract type": "Zero hours",
            "Previous weekly hours": 20,
            "Contract type": "Permanent",
            "Weekly hours": 30,
            "Start date": date(2026, 8, 3),
        },
    )
    c.update(overrides)
    return c


def placement(kind: str, start: date, end: date, **overrides) -> dict:
    evidence = (
        "Employer letter with dates and wages" if kind == "Internship" else "Host letter, email or text with dates"
    )
    c = claim(
        Output="5",
        **{
            "Placement type": kind,
            "Start date": start,
            "End date": end,
            "Evidence held": evidence,
            "Employment type": None,
            "Contract type": None,
            "Weekly hours": None,
            "Gross hourly pay": 15.0 if kind == "Internship" else None,
        },
    )
    c.update(overrides)
    return c


def run(tmp_path, registrations=None, claims=None, name="return.xlsx", **kw):
    path = write_return(
        tmp_path,
        name,
        registrations=registrations or [in_work()],
        claims=claims,
        cover_values=kw.pop("cover_values", None),
    )
    return check(path, **kw)


MAY = date(2026, 5, 6)  # a Wednesday in 2026/27 Q1: CPI March 2026, 3.3%; LLW 2025-26, £14.80


def run_may(tmp_path, registrations, claims, **kw):
    """A 2026/27 Q1 return; registrations on 8 April 2026, wage progressions on 6 May 2026 unless given."""
    regs = [{"Registration date": date(2026, 4, 8), **r} for r in registrations]
    return run(tmp_path, regs, claims, cover_values={"Quarter": "Q1"}, **kw)


def wage_may(**overrides) -> dict:
    return wage(**{"Date achieved": MAY, "Start date": MAY, **overrides})


def cells(report, code):
    return [[f.code, f.cell, f.severity] for f in found(report, code)]


# --- P301 ------------------------------------------------------------------------------------------


def test_p301_progression_for_a_client_registered_unemployed(tmp_path):
    report = run(tmp_path, [registration()], [training()])
    f = only(report, "P301")
    assert (f.cell, f.severity) == ("Claims!B2", "error")
    assert "SW100001" in f.message and "Unemployed at registration on 06/07/2026" in f.message


def test_p301_quiet_for_a_client_in_work_at_registration(tmp_path):
    assert found(run(tmp_path, [in_work()], [training()]), "P301") == []


def test_p301_quiet_after_an_earlier_job_start(tmp_path):
    job = claim(**{"Claim ref": "CL-0000", "Date achieved": date(2026, 7, 13), "Start date": date(2026, 7, 13)})
    report = run(tmp_path, [registration()], [job, training(**{"Date achieved": date(2026, 8, 3)})])
    assert found(report, "P301") == []


def test_p301_job_start_on_the_same_day_is_not_before(tmp_path):
    job = claim(**{"Claim ref": "CL-0000", "Date achieved": date(2026, 8, 3), "Start date": date(2026, 8, 3)})
    report = run(tmp_path, [registration()], [job, training(**{"Claim ref": "CL-0002"})])
    assert cells(report, "P301") == [["P301", "Claims!B3", "error"]]


def test_p301_uses_the_registration_in_an_earlier_return(tmp_path):
    earlier = write_return(
        tmp_path,
        "q1.xlsx",
        cover_values={"Quarter": "Q1"},
        claims=[],
        registrations=[in_work(**{"Registration date": date(2026, 5, 6)})],
    )
    path = write_return(tmp_path, registrations=[], claims=[training()])
    assert found(check(path, history=[earlier]), "P301") == []
    unemployed = write_return(
        tmp_path,
        "q1u.xlsx",
        cover_values={"Quarter": "Q1"},
        claims=[],
        registrations=[registration(**{"Registration date": date(2026, 5, 6)})],
    )
    assert cells(check(path, history=[unemployed]), "P301") == [["P301", "Claims!B2", "error"]]


def test_p301_without_history_says_once_what_was_not_checked(tmp_path):
    report = run(
        tmp_path,
        [registration(**{"Client ref": "SW999999"})],
        [training(), training(**{"Claim ref": "CL-0002", "Date achieved": date(2026, 8, 4)})],
    )
    f = only(report, "P301")
    assert (f.cell, f.severity) == ("Claims!B2", "info")
    assert "2 progression claims not checked" in f.message and "--history" in f.message


# --- P302 ------------------------------------------------------------------------------------------


def test_p302_apprenticeship_claimed_as_progression(tmp_path):
    report = run(tmp_path, claims=[contract_change(**{"Contract type": "Apprenticeship"})])
    f = only(report, "P302")
    assert (f.cell, f.severity) == ("Claims!K2", "error")
    assert "CL-0001" in f.message and "2b" in f.message
    assert found(report, "P305") == []  # the apprenticeship is P302's to report


def test_p302_apprenticeship_level_on_a_progression(tmp_path):
    report = run(tmp_path, claims=[training(**{"Apprenticeship level": "3"})])
    assert cells(report, "P302") == [["P302", "Claims!N2", "error"]]


def test_p302_quiet_for_a_permanent_contract(tmp_path):
    assert found(run(tmp_path, claims=[contract_change()]), "P302") == []


# --- P303 ------------------------------------------------------------------------------------------


def test_p303_below_the_additive_threshold_shows_every_input(tmp_path):
    # previous £15.00 (registration) is above the LLW; 15 × (1 + 3.3% + 10%) = 16.995 → £17.00
    report = run_may(tmp_path, [in_work(**{"Gross hourly pay": 15.0})], [wage_may(**{"Gross hourly pay": 16.99})])
    f = only(report, "P303")
    assert (f.cell, f.severity) == ("Claims!M2", "error")
    assert f.message.startswith(
        "Claims!M2: new pay £16.99 is below the threshold £17.00 = £15.00 × (1 + 3.3% CPI "
        "(Mar 2026) + 10%) (additive uplift; previous pay from the registration; "
        "App 2 §2.4 output 4)"
    )
    assert "London Living Wage £14.80 (2025-26 rate" in f.message and "at or above" in f.message


def test_p303_threshold_exactly_met_is_quiet(tmp_path):
    report = run_may(tmp_path, [in_work(**{"Gross hourly pay": 15.0})], [wage_may(**{"Gross hourly pay": 17.00})])
    assert found(report, "P303") == []


def test_p303_multiplicative_setting(tmp_path):
    # 15 × 1.033 × 1.10 = 17.0445 → £17.04: £17.00 meets the additive threshold but not this one
    regs = [in_work(**{"Gross hourly pay": 15.0})]
    report = run_may(
        tmp_path, regs, [wage_may(**{"Gross hourly pay": 17.00})], settings={"wage_uplift": "multiplicative"}
    )
    f = only(report, "P303")
    assert f.cell == "Claims!M2"
    assert (
        "new pay £17.00 is below the threshold £17.04 = £15.00 × (1 + 3.3% CPI (Mar 2026)) × 1.10 "
        "(multiplicative uplift"
    ) in f.message


def test_p303_multiplicative_threshold_exactly_met_is_quiet(tmp_path):
    regs = [in_work(**{"Gross hourly pay": 15.0})]
    report = run_may(
        tmp_path, regs, [wage_may(**{"Gross hourly pay": 17.04})], settings={"wage_uplift": "multiplicative"}
    )
    assert found(report, "P303") == []


def test_p303_below_llw_before_must_reach_llw(tmp_path):
    # previous £13.00: threshold 13 × 1.133 = £14.73, but £13.00 < LLW £14.80, so £14.80 is needed
    report = run_may(tmp_path, [in_work()], [wage_may(**{"Gross hourly pay": 14.79})])
    f = only(report, "P303")
    assert f.cell == "Claims!M2"
    assert "new pay £14.79 meets the threshold £14.73 = £13.00 × (1 + 3.3% CPI (Mar 2026) + 10%)" in f.message
    assert "below the London Living Wage £14.80 (2025-26 rate, in force on 06/05/2026)" in f.message


def test_p303_reaching_llw_exactly_is_quiet(tmp_path):
    assert found(run_may(tmp_path, [in_work()], [wage_may(**{"Gross hourly pay": 14.80})]), "P303") == []


def test_p303_previous_pay_on_the_claim_wins_over_the_registration(tmp_path):
    claims = [wage_may(**{"Previous hourly pay": 15.0, "Gross hourly pay": 16.50})]
    f = only(run_may(tmp_path, [in_work()], claims), "P303")
    assert "threshold £17.00 = £15.00 ×" in f.message and "from the registration" not in f.message


def _july_2025(tmp_path, achieved: date):
    """A 2025/26 Q2 return: previous pay £15.00, new pay £17.02, achieved ``achieved``."""
    regs = [in_work(**{"Gross hourly pay": 15.0, "Registration date": date(2025, 7, 1)})]
    claims = [wage(**{"Date achieved": achieved, "Start date": achieved, "Gross hourly pay": 17.02})]
    return run(
        tmp_path,
        regs,
        claims,
        cover_values={"Financial year": "2025/26", "Quarter": "Q2", "Date submitted": date(2025, 10, 8)},
    )


def test_p303_uses_the_cpi_released_before_the_day_not_on_it(tmp_path):
    # ONS released June 2025's CPI (3.6%) on Wed 16 July 2025; May 2025's was 3.4%.
    # On 16 July May's is the last published before the day: 15 × (1 + 3.4% + 10%) = 17.01, so £17.02 meets it
    assert found(_july_2025(tmp_path, date(2025, 7, 16)), "P303") == []
    # on 17 July June's applies: 15 × (1 + 3.6% + 10%) = 17.04 exactly, and £17.02 is below it
    f = only(_july_2025(tmp_path, date(2025, 7, 17)), "P303")
    assert "new pay £17.02 is below the threshold £17.04 = £15.00 × (1 + 3.6% CPI (Jun 2025) + 10%)" in f.message
    # (the old estimate, Wed 23 July 2025, would still have used May's on 17 July)


def test_p303_no_previous_pay_cannot_be_checked(tmp_path):
    report = run(tmp_path, [in_work(**{"Gross hourly pay": None})], [wage()])
    f = only(report, "P303")
    assert (f.cell, f.severity) == ("Claims!Q2", "error")
    assert "cannot be checked" in f.message


# --- P304 ------------------------------------------------------------------------------------------


def test_p304_qualification_not_a_level_up(tmp_path):
    report = run(tmp_path, [in_work(**{"Highest qualification level": "3"})], [training()])
    f = only(report, "P304")
    assert (f.cell, f.severity) == ("Claims!U2", "error")
    assert "level 3, not above the client's highest level 3 (recorded at registration on 06/07/2026)" in f.message


def test_p304_one_level_up_is_quiet(tmp_path):
    report = run(tmp_path, [in_work(**{"Highest qualification level": "2"})], [training()])
    assert found(report, "P304") == []


def test_p304_entry_level_is_above_none(tmp_path):
    report = run(
        tmp_path, [in_work(**{"Highest qualification level": "None"})], [training(**{"Qualification level": "Entry"})]
    )
    assert found(report, "P304") == []


def test_p304_an_earlier_training_progression_raises_the_bar(tmp_path):
    first = training(**{"Qualification level": "3", "Date achieved": date(2026, 7, 20)})
    again = training(**{"Claim ref": "CL-0002", "Qualification level": "3", "Date achieved": date(2026, 8, 3)})
    report = run(tmp_path, [in_work(**{"Highest qualification level": "2"})], [first, again])
    f = only(report, "P304")
    assert f.cell == "Claims!U3" and "from an earlier training progression" in f.message


def test_p304_level_free_in_work_course_is_a_warning(tmp_path):
    course = training(**{"Qualification gained": "IOSH Managing Safely", "Qualification level": "None"})
    report = run(tmp_path, [in_work(**{"Highest qualification level": "4"})], [course])
    f = only(report, "P304")
    assert (f.cell, f.severity) == ("Claims!U2", "warning")
    assert "IOSH Managing Safely" in f.message and "in-work skills course" in f.message


# --- P305 ------------------------------------------------------------------------------------------


def test_p305_zero_hours_to_guaranteed_without_more_hours(tmp_path):
    report = run(tmp_path, claims=[contract_change(**{"Weekly hours": 20})])
    f = only(report, "P305")
    assert (f.cell, f.severity) == ("Claims!L2", "error")
    assert "Zero hours → Permanent" in f.message and "weekly hours 20 are not above the previous 20" in f.message


def test_p305_one_more_hour_is_quiet(tmp_path):
    assert found(run(tmp_path, claims=[contract_change(**{"Weekly hours": 21})]), "P305") == []


def test_p305_permanent_to_temporary_is_not_better(tmp_path):
    claims = [contract_change(**{"Previous contract type": "Permanent", "Contract type": "Temporary"})]
    f = only(run(tmp_path, claims=claims), "P305")
    assert f.cell == "Claims!K2" and "Permanent to Temporary is not a better contract" in f.message


def test_p305_fixed_term_to_fixed_term_with_more_hours_is_not_better(tmp_path):
    claims = [contract_change(**{"Previous contract type": "Fixed-term", "Contract type": "Fixed-term"})]
    assert cells(run(tmp_path, claims=claims), "P305") == [["P305", "Claims!K2", "error"]]


@pytest.mark.parametrize(
    "before, after, hours",
    [
        ("Temporary", "Permanent", 20),  # temporary guaranteed → permanent: hours need not rise
        ("Fixed-term", "Permanent", 20),
        ("Temporary", "Fixed-term", 25),  # temporary hours → guaranteed with more hours
        ("Zero hours", "Temporary", 25),
    ],
)
def test_p305_better_contracts_are_quiet(tmp_path, before, after, hours):
    claims = [contract_change(**{"Previous contract type": before, "Contract type": after, "Weekly hours": hours})]
    assert found(run(tmp_path, claims=claims), "P305") == []


# --- P306 ------------------------------------------------------------------------------------------


def test_p306_two_progressions_on_one_day(tmp_path):
    claims = [wage(), contract_change(**{"Claim ref": "CL-0002", "Start date": date(2026, 8, 4)})]
    report = run(tmp_path, claims=claims)
    f = only(report, "P306")
    assert (f.cell, f.severity) == ("Claims!D3", "error")
    assert (
        "CL-0002 is a second progression for client SW100001 on 03/08/2026 (first: claim CL-0001, Claims!D2)"
        in f.message
    )


def test_p306_progressions_a_day_apart_are_quiet(tmp_path):
    claims = [
        wage(),
        contract_change(**{"Claim ref": "CL-0002", "Date achieved": date(2026, 8, 4), "Start date": date(2026, 8, 4)}),
    ]
    assert found(run(tmp_path, claims=claims), "P306") == []


# --- P307 ------------------------------------------------------------------------------------------


def test_p307_work_experience_under_two_weeks(tmp_path):
    claims = [placement("Work experience", date(2026, 8, 3), date(2026, 8, 13))]  # Mon – Thu: 9 weekdays
    f = only(run(tmp_path, claims=claims), "P307")
    assert (f.cell, f.severity) == ("Claims!I2", "error")
    assert "03/08/2026 to 13/08/2026 is 9 weekdays, under two weeks (10 weekdays)" in f.message


def test_p307_exactly_two_weeks_is_quiet(tmp_path):
    claims = [placement("Work experience", date(2026, 8, 3), date(2026, 8, 14))]  # Mon – Fri of the next week
    assert found(run(tmp_path, claims=claims), "P307") == []


def test_p307_volunteering_has_no_minimum(tmp_path):
    claims = [placement("Volunteering", date(2026, 8, 3), date(2026, 8, 3))]
    assert found(run(tmp_path, claims=claims), "P307") == []


# --- P308 ------------------------------------------------------------------------------------------


def test_p308_internship_under_four_weeks(tmp_path):
    claims = [placement("Internship", date(2026, 8, 3), date(2026, 8, 27))]  # 19 weekdays
    f = only(run(tmp_path, claims=claims), "P308")
    assert (f.cell, f.severity) == ("Claims!I2", "error")
    assert "19 weekdays, under four weeks (20 weekdays)" in f.message


def test_p308_internship_paid_below_llw(tmp_path):
    claims = [placement("Internship", date(2026, 8, 3), date(2026, 8, 28), **{"Gross hourly pay": 14.79})]
    f = only(run(tmp_path, claims=claims), "P308")
    assert f.cell == "Claims!M2"
    assert "£14.79 an hour is below the London Living Wage £14.80 (2025-26 rate, in force on 03/08/2026)" in f.message


def test_p308_four_weeks_at_llw_is_quiet(tmp_path):
    claims = [placement("Internship", date(2026, 8, 3), date(2026, 8, 28), **{"Gross hourly pay": 14.80})]
    assert found(run(tmp_path, claims=claims), "P308") == []


def test_p308_pay_is_judged_on_the_llw_in_force_at_the_start(tmp_path):
    # started 6 April 2026, before the 2025-26 rate's implement-by date (1 May 2026): £13.85 applies
    claims = [placement("Internship", date(2026, 4, 6), date(2026, 7, 31), **{"Gross hourly pay": 14.00})]
    assert found(run(tmp_path, claims=claims), "P308") == []


# --- P309 ------------------------------------------------------------------------------------------


def test_p309_date_after_the_newest_cpi_month(tmp_path):
    # the shipped file ends at May 2026 (2.8%); June's, estimated for Wed 22 July 2026, is not in it
    claims = [wage(), wage(**{"Claim ref": "CL-0002", "Client ref": "SW100002", "Date achieved": date(2026, 9, 1)})]
    regs = [in_work(), in_work(**{"Client ref": "SW100002"})]
    f = only(run(tmp_path, regs, claims), "P309")
    assert (f.cell, f.severity) == ("Claims!D2", "warning")
    assert "CPI reference data (Jan 2022 to May 2026)" in f.message
    assert "03/08/2026 to 01/09/2026" in f.message and "May 2026 (2.8%) was used instead, for 2 claims" in f.message
    assert "release date" not in f.message  # every shipped month has its ONS release date


def test_p309_quiet_when_cpi_covers_the_date(tmp_path):
    # 6 May 2026 (2026/27 Q1): March 2026's CPI, released 22 April, is the latest; April's came on 20 May
    report = run_may(tmp_path, [in_work()], [wage_may()])
    assert found(report, "P309") == []
    assert found(report, "P303") == []  # £16.00 ≥ 13 × 1.133 and ≥ £14.80


def _cpi_override(tmp_path, monkeypatch, extra_rows: str, header: str = "month,cpi_rate,release_date") -> None:
    """Check with a council CPI file: the shipped months up to March 2026 (with their release dates, or
    none when ``header`` has no release_date) followed by ``extra_rows``."""
    folder = tmp_path / "council"
    folder.mkdir()
    lines = (PACKAGE_DATA / "cpi_uk_d7g7.csv").read_text(encoding="utf-8").splitlines()[1:]
    kept = [ln if "release_date" in header else ",".join(ln.split(",")[:2]) for ln in lines if ln < "2026-04"]
    (folder / "cpi_uk_d7g7.csv").write_text("\n".join([header, *kept, extra_rows]) + "\n", encoding="utf-8")
    monkeypatch.setattr(builders, "REFDATA", RefData(folder))


def test_p309_says_when_a_release_date_was_estimated(tmp_path, monkeypatch):
    # April 2026 (2.8%) without its release date: taken as published on Wed 20 May 2026 (the 20th itself)
    _cpi_override(tmp_path, monkeypatch, "2026-04,2.8,")
    regs = [in_work(**{"Gross hourly pay": 15.0}), in_work(**{"Client ref": "SW100002", "Gross hourly pay": 15.0})]
    claims = [
        wage_may(**{"Date achieved": date(2026, 5, 21), "Gross hourly pay": 16.91}),
        wage_may(
            **{
                "Claim ref": "CL-0002",
                "Client ref": "SW100002",
                "Date achieved": date(2026, 5, 20),
                "Gross hourly pay": 16.99,
            }
        ),
    ]
    report = run_may(tmp_path, regs, claims)
    f = only(report, "P309")
    assert (f.cell, f.severity) == ("Claims!D2", "warning")
    assert f.message == (
        "Claims!D2: the release date of the Apr 2026 CPI figure is not in the reference data; it "
        "was taken as published on 20/05/2026 (the first Wednesday on or after the 20th of the "
        "next month), for 2 claims achieved 20/05/2026 to 21/05/2026; the council should add the "
        "ONS release date to the CPI reference data (swtool refdata) and check again"
    )
    # 21 May: April's 2.8% is used: 15 × (1 + 2.8% + 10%) = 16.92; on 20 May March's 3.3%: 16.995 → £17.00
    p303 = sorted(x.message for x in found(report, "P303"))
    assert len(p303) == 2
    assert "new pay £16.91 is below the threshold £16.92 = £15.00 × (1 + 2.8% CPI (Apr 2026) + 10%)" in p303[0]
    assert "new pay £16.99 is below the threshold £17.00 = £15.00 × (1 + 3.3% CPI (Mar 2026) + 10%)" in p303[1]


def test_p309_names_the_next_month_whose_estimate_kept_it_out(tmp_path, monkeypatch):
    # 6 May 2026: March's figure (released 22 April) is used; April is in the file without a release date,
    # and only its estimated day (20 May) says it was not yet published
    _cpi_override(tmp_path, monkeypatch, "2026-04,2.8,")
    f = only(run_may(tmp_path, [in_work()], [wage_may()]), "P309")
    assert "release date of the Apr 2026 CPI figure" in f.message and "for 1 claim achieved 06/05/2026" in f.message


def test_p309_quiet_when_the_months_used_have_release_dates(tmp_path, monkeypatch):
    # April 2026 with its ONS release date (Wed 20 May 2026): on 21 May its 2.8% is used, nothing estimated
    # (May's figure, not in the file, is due on its estimated day, 24 June: the file still covers 21 May)
    _cpi_override(tmp_path, monkeypatch, "2026-04,2.8,2026-05-20")
    regs = [in_work(**{"Gross hourly pay": 15.0})]
    report = run_may(tmp_path, regs, [wage_may(**{"Date achieved": date(2026, 5, 21), "Gross hourly pay": 16.92})])
    assert found(report, "P309") == []
    assert found(report, "P303") == []  # 15 × 1.128 = £16.92 exactly


def test_p309_an_override_without_release_dates_estimates_every_month(tmp_path, monkeypatch):
    # month,cpi_rate only: on 6 May 2026 March's estimated day (22 April) and April's (20 May) both decided
    _cpi_override(tmp_path, monkeypatch, "2026-04,2.8", header="month,cpi_rate")
    fs = found(run_may(tmp_path, [in_work()], [wage_may()]), "P309")
    assert [f.message.split(";")[0] for f in fs] == [
        "Claims!D2: the release date of the Mar 2026 CPI figure is not in the reference data",
        "Claims!D2: the release date of the Apr 2026 CPI figure is not in the reference data",
    ]
    assert "taken as published on 22/04/2026" in fs[0].message and "taken as published on 20/05/2026" in fs[1].message


def test_p309_llw_not_covered_for_an_internship_a_year_after_the_newest_rate(tmp_path):
    claims = [placement("Internship", date(2027, 5, 3), date(2027, 6, 30))]
    f = only(run(tmp_path, claims=claims), "P309")
    assert f.cell == "Claims!H2"
    assert "London Living Wage reference data (2019-20 to 2025-26 rates)" in f.message
    assert "2025-26 rate £14.80 was used" in f.message


def test_p306_counts_a_progression_in_an_earlier_return(tmp_path):
    earlier = write_return(
        tmp_path,
        "q1.xlsx",
        cover_values={"Quarter": "Q1"},
        registrations=[in_work()],
        claims=[wage(**{"Claim ref": "CL-0009", "Date achieved": date(2026, 8, 3)})],
    )
    path = write_return(tmp_path, registrations=[], claims=[training(**{"Claim ref": "CL-0010"})])
    f = only(check(path, history=[earlier]), "P306")
    assert f.cell == "Claims!D2" and "(first: claim CL-0009 in an earlier return)" in f.message


def test_p306_the_same_claim_resubmitted_is_not_a_second_event(tmp_path):
    # the same Claim ref in an earlier return is a repeated claim (C213), not a second progression
    earlier = write_return(
        tmp_path, "q1.xlsx", cover_values={"Quarter": "Q1"}, registrations=[in_work()], claims=[training()]
    )
    path = write_return(tmp_path, registrations=[], claims=[training()])
    assert found(check(path, history=[earlier]), "P306") == []
