"""R — registrations and eligibility: each rule fires on a faulty row and stays quiet on a near miss."""

from datetime import date

from builders import check, contract, found, registration, write_return


def not_info(report, code):
    return [f for f in found(report, code) if f.severity != "info"]


def cells(report, code):
    return [f.cell for f in found(report, code)]


def run(tmp_path, rows, name="return.xlsx", **kw):
    """Write a return with these registration rows (and no claims unless given) and check it."""
    check_kw = {k: kw.pop(k) for k in ("contract", "history") if k in kw}
    kw.setdefault("claims", [])
    return check(write_return(tmp_path, name, registrations=rows, **kw), **check_kw)


def reg(ref="SW100001", **values):
    return registration(**{"Client ref": ref, **values})


# --- R101 postcode-format ------------------------------------------------------------------------------


def test_r101_fires_on_a_letter_o_for_a_zero(tmp_path):
    report = run(tmp_path, [reg(Postcode="SE1 OAA")])
    [f] = found(report, "R101")
    assert (f.cell, f.severity) == ("Registrations!F2", "error")
    assert "'SE1 OAA'" in f.message and "SW100001" in f.message and "App 2 §2.1" in f.message
    assert found(report, "R102") == [] and found(report, "R118") == []


def test_r101_names_look_alike_characters(tmp_path):
    rows = [
        reg("A1", Postcode="S\u04151 0AA"),  # Cyrillic capital IE for E
        reg("A2", Postcode="SE1\u00a00AA"),  # non-breaking space inside
        reg("A3", Postcode="SE1 0\u0131A"),
    ]  # dotless i: upper-cases to a Latin I
    report = run(tmp_path, rows)
    msgs = {f.cell: f.message for f in found(report, "R101")}
    assert set(msgs) == {"Registrations!F2", "Registrations!F3", "Registrations!F4"}
    assert "Cyrillic" in msgs["Registrations!F2"] and "U+0415" in msgs["Registrations!F2"]
    assert "non-breaking space" in msgs["Registrations!F3"]
    assert "U+0131" in msgs["Registrations!F4"]


def test_r101_says_when_only_the_district_is_given(tmp_path):
    [f] = found(run(tmp_path, [reg(Postcode="SE15")]), "R101")
    assert f.cell == "Registrations!F2" and "only the first half" in f.message


def test_r101_accepts_lower_case_missing_space_and_local_connection_without_postcode(tmp_path):
    rows = [
        reg("A1", Postcode="se1 0aa"),
        reg("A2", Postcode="SE10AA"),
        reg("A3", Postcode="SE22  9QA"),
        reg("A4", Postcode=None, **{"Residence basis": "Local connection"}),
    ]
    report = run(tmp_path, rows)
    assert found(report, "R101") == [] and found(report, "R102") == [] and found(report, "R118") == []


def test_r101_rejects_a_misplaced_space(tmp_path):
    assert cells(run(tmp_path, [reg(Postcode="SE10 AA")]), "R101") == ["Registrations!F2"]


# --- R102 postcode-outside-southwark / R118 postcode-not-in-reference ------------------------------------


def test_r102_fires_outside_southwark(tmp_path):
    report = run(tmp_path, [reg(Postcode="SE27 9AB")])
    [f] = found(report, "R102")
    assert (f.cell, f.severity) == ("Registrations!F2", "error")
    assert "'SE27 9AB'" in f.message and "SE27 9 sector is not a Southwark sector" in f.message
    assert "App 2 §2.1" in f.message


def test_r102_fires_on_a_straddling_sector_postcode_not_in_the_list(tmp_path):
    [f] = found(run(tmp_path, [reg(Postcode="se1 7sf")]), "R102")  # SE1 7SF is in Westminster
    assert f.cell == "Registrations!F2" and "'SE1 7SF'" in f.message and "SE1 7 straddles" in f.message


def test_r102_quiet_for_listed_postcodes_and_for_local_connection(tmp_path):
    rows = [
        reg("A1", Postcode="SE15 1AA"),  # listed, in a straddling sector
        reg("A2", Postcode="SE27 9AB", **{"Residence basis": "Local connection"}),
    ]
    report = run(tmp_path, rows)
    assert found(report, "R102") == [] and found(report, "R101") == []


def test_r118_warns_on_an_unlisted_postcode_in_a_wholly_southwark_sector(tmp_path):
    report = run(tmp_path, [reg(Postcode="SE22 9ZZ")])
    [f] = found(report, "R118")
    assert (f.cell, f.severity) == ("Registrations!F2", "warning")
    assert "'SE22 9ZZ'" in f.message and "SE22 9" in f.message
    assert found(report, "R102") == []


def test_r118_quiet_for_a_listed_postcode_in_the_same_sector(tmp_path):
    assert found(run(tmp_path, [reg(Postcode="SE22 9QA")]), "R118") == []


# --- R119 non-residential-postcode ---------------------------------------------------------------------


def test_r119_fires_on_a_po_box_postcode_in_place_of_r102_and_r118(tmp_path):
    rows = [
        reg("A1", Postcode="SE1P 4AA"),  # listed, in a wholly-Southwark sector
        reg("A2", Postcode="se1p 5zz"),  # not listed: R118 would have warned
        reg("A3", Postcode="SE1P 9AB"),  # a sector not in the list: R102 would have fired
        reg("A4", Postcode="SE99 7UT"),
    ]
    report = run(tmp_path, rows)
    fs = found(report, "R119")
    assert [(f.cell, f.severity) for f in fs] == [(f"Registrations!F{r}", "error") for r in (2, 3, 4, 5)]
    assert "'SE1P 4AA' for client A1 is in SE1P, a PO-box (non-geographic) district" in fs[0].message
    assert "not a home address" in fs[0].message and "App 2 §2.1" in fs[0].message
    assert "'SE99 7UT'" in fs[3].message and "SE99" in fs[3].message
    assert found(report, "R102") == [] and found(report, "R118") == [] and found(report, "R101") == []


def test_r119_quiet_for_home_postcodes_and_local_connection(tmp_path):
    rows = [
        reg("A1", Postcode="SE1 0AA"),
        reg("A2", Postcode="SE17 1AA"),
        reg("A3", Postcode="SE1P 4AA", **{"Residence basis": "Local connection"}),
    ]
    assert found(run(tmp_path, rows), "R119") == []


# --- R103 local-connection ------------------------------------------------------------------------------


def test_r103_warns_on_local_connection(tmp_path):
    report = run(tmp_path, [reg("SW100004", Postcode=None, **{"Residence basis": "Local connection"})])
    [f] = found(report, "R103")
    assert (f.cell, f.severity) == ("Registrations!G2", "warning")
    assert "SW100004" in f.message and "6 of the last 12 months" in f.message and "3 of the last 5 years" in f.message


def test_r103_quiet_for_residence_by_postcode(tmp_path):
    assert found(run(tmp_path, [reg()]), "R103") == []


# --- R104 right-to-work ---------------------------------------------------------------------------------


def test_r104_fires_when_right_to_work_not_seen(tmp_path):
    [f] = found(run(tmp_path, [reg("SW100003", **{"Right to work seen": "No"})]), "R104")
    assert f.cell == "Registrations!H2" and "SW100003" in f.message and "right to work" in f.message


def test_r104_quiet_when_seen_and_when_unreadable(tmp_path):
    report = run(tmp_path, [reg("A1"), reg("A2", **{"Right to work seen": "perhaps"})])
    assert found(report, "R104") == []
    assert cells(report, "S004") == ["Registrations!H3"]


# --- R105 under-16 / R106 lot-age -------------------------------------------------------------------------


def test_r105_fires_at_15(tmp_path):
    [f] = found(run(tmp_path, [reg(**{"Age at registration": 15})]), "R105")
    assert f.cell == "Registrations!E2" and "was 15" in f.message and "at least 16" in f.message


def test_r105_quiet_at_16_and_for_an_out_of_range_age(tmp_path):
    report = run(tmp_path, [reg("A1", **{"Age at registration": 16}), reg("A2", **{"Age at registration": -1})])
    assert found(report, "R105") == []
    assert cells(report, "S004") == ["Registrations!E3"]


def lot1a(rows, **kw):
    return dict(rows=rows, cover_values={"Lot": "1a"}, **kw)


def test_r106_fires_at_26_in_lot_1a(tmp_path):
    report = run(tmp_path, **lot1a([reg(**{"Age at registration": 26, "Eligibility criteria": "NEET"})]))
    [f] = found(report, "R106")
    assert f.cell == "Registrations!E2" and "was 26" in f.message and "16–25" in f.message and "1a" in f.message


def test_r106_quiet_at_16_and_25_in_lot_1a_and_at_70_in_lot_3(tmp_path):
    rows = [
        reg("A1", **{"Age at registration": 16, "Eligibility criteria": "NEET"}),
        reg("A2", **{"Age at registration": 25, "Eligibility criteria": "NEET"}),
    ]
    assert found(run(tmp_path, **lot1a(rows)), "R106") == []
    report = run(tmp_path, [reg(**{"Age at registration": 70})], name="lot3.xlsx")
    assert found(report, "R106") == []


def test_r106_leaves_under_16_to_r105(tmp_path):
    report = run(tmp_path, **lot1a([reg(**{"Age at registration": 15, "Eligibility criteria": "NEET"})]))
    assert found(report, "R106") == [] and cells(report, "R105") == ["Registrations!E2"]


# --- R107 lot-criteria ----------------------------------------------------------------------------------


def test_r107_fires_when_no_criterion_fits_the_lot(tmp_path):
    report = run(tmp_path, [reg(**{"Eligibility criteria": "Mental health"})], cover_values={"Lot": "4"})
    [f] = found(report, "R107")
    assert f.cell == "Registrations!M2" and "'Mental health'" in f.message and "lot 4" in f.message
    assert "Autism" in f.message


def test_r107_quiet_when_one_criterion_fits_and_for_unknown_codes(tmp_path):
    rows = [
        reg("A1", **{"Eligibility criteria": "Mental health; Autism"}),
        reg("A2", **{"Eligibility criteria": "Very keen"}),
    ]
    report = run(tmp_path, rows, cover_values={"Lot": "4"})
    assert found(report, "R107") == []
    assert cells(report, "S004") == ["Registrations!M3"]


# --- R108 registration-evidence / R109 action-plan -----------------------------------------------------


def test_r108_fires_for_wizard_and_privacy_notice(tmp_path):
    rows = [reg("A1", **{"Registration wizard completed": "No"}), reg("A2", **{"Privacy notice signed": "N"})]
    report = run(tmp_path, rows)
    assert cells(report, "R108") == ["Registrations!I2", "Registrations!J3"]
    assert "wizard" in found(report, "R108")[0].message and "privacy notice" in found(report, "R108")[1].message


def test_r108_quiet_when_both_done(tmp_path):
    assert found(run(tmp_path, [reg(**{"Privacy notice signed": "y"})]), "R108") == []


def test_r109_fires_without_action_plan(tmp_path):
    [f] = found(run(tmp_path, [reg("SW100009", **{"Action plan completed": "No"})]), "R109")
    assert f.cell == "Registrations!K2" and "SW100009" in f.message and "action plan" in f.message


def test_r109_quiet_with_action_plan(tmp_path):
    assert found(run(tmp_path, [reg(**{"Action plan completed": "Yes"})]), "R109") == []


# --- R110 in-work-tracking ------------------------------------------------------------------------------

IN_WORK = {
    "Employment status": "Employed",
    "Employment type": "Part-time",
    "Contract type": "Zero hours",
    "Average weekly hours": 12,
    "Gross hourly pay": 12.71,
    "On Statutory Sick Pay": "No",
}


def test_r110_fires_when_in_work_fields_are_missing(tmp_path):
    row = reg(**{**IN_WORK, "Contract type": None, "Gross hourly pay": None})
    [f] = found(run(tmp_path, [row]), "R110")
    assert f.cell == "Registrations!S2"  # the first empty field
    assert "Contract type, Gross hourly pay are empty" in f.message and "employed" in f.message


def test_r110_quiet_when_complete_self_employed_unemployed_or_unreadable(tmp_path):
    rows = [
        reg("A1", **IN_WORK),
        reg(
            "A2",
            **{
                **IN_WORK,
                "Employment status": "Self-employed",
                "Employment type": "Self-employed",
                "Contract type": None,
                "On Statutory Sick Pay": None,
            },
        ),
        reg("A3", **{"Employment status": "Unemployed"}),
        reg("A4", **{**IN_WORK, "Average weekly hours": "about twenty"}),
    ]
    report = run(tmp_path, rows)
    assert found(report, "R110") == []
    assert cells(report, "S004") == ["Registrations!T5"]


def test_r110_self_employed_still_needs_hours_and_pay(tmp_path):
    row = reg(
        **{
            **IN_WORK,
            "Employment status": "Self-employed",
            "Employment type": "Self-employed",
            "Contract type": None,
            "On Statutory Sick Pay": None,
            "Average weekly hours": None,
        }
    )
    [f] = found(run(tmp_path, [row]), "R110")
    assert f.cell == "Registrations!T2" and "Average weekly hours is empty" in f.message


# --- R111 re-registration-gap ---------------------------------------------------------------------------


def re_reg(ref="SW100001", registered=date(2026, 7, 6), last=None):
    return reg(
        ref, **{"Registration type": "Re-registration", "Registration date": registered, "Last engagement date": last}
    )


def earlier_return(tmp_path, rows, claims=(), lot="3"):
    """A 2026/27 Q1 return of the same contract."""
    return write_return(
        tmp_path,
        "q1.xlsx",
        cover_values={"Quarter": "Q1", "Lot": lot, "Date submitted": date(2026, 7, 10)},
        registrations=rows,
        claims=list(claims),
    )


def test_r111_fires_a_day_short_of_12_months(tmp_path):
    report = run(tmp_path, [re_reg(last=date(2025, 7, 7))])
    [f] = not_info(report, "R111")
    assert (f.cell, f.severity) == ("Registrations!B2", "error")
    assert "06/07/2026" in f.message and "07/07/2025" in f.message and "07/07/2026" in f.message
    assert "Last engagement date given" in f.message


def test_r111_quiet_at_exactly_12_months(tmp_path):
    report = run(tmp_path, [re_reg(last=date(2025, 7, 6))], contract=contract(start=date(2026, 7, 1)))
    assert found(report, "R111") == []


def test_r111_uses_this_returns_claims_before_the_re_registration(tmp_path):
    claim_row = {
        "Claim ref": "CL-9",
        "Client ref": "SW100001",
        "Output": "6",
        "Date achieved": date(2026, 7, 2),
        "Evidence held": "Certificate",
        "Evidence reference": "c.pdf",
    }
    report = run(tmp_path, [re_reg(last=date(2024, 1, 1))], claims=[claim_row])
    [f] = not_info(report, "R111")
    assert "02/07/2026" in f.message and "Claims row 2" in f.message


def test_r111_uses_earlier_returns(tmp_path):
    q1 = earlier_return(tmp_path, [reg("sw100001", **{"Registration date": date(2026, 5, 4)})])
    report = run(tmp_path, [re_reg(last=date(2025, 1, 10))], history=[q1])
    [f] = found(report, "R111")
    assert f.cell == "Registrations!B2" and "04/05/2026" in f.message and "2026/27-Q1" in f.message


def test_r111_quiet_when_earlier_returns_show_nothing_recent(tmp_path):
    q1 = earlier_return(tmp_path, [reg("SW200000", **{"Registration date": date(2026, 5, 4)})])
    assert found(run(tmp_path, [re_reg(last=date(2025, 1, 10))], history=[q1]), "R111") == []


def test_r111_says_once_what_it_could_not_check_without_history(tmp_path):
    report = run(tmp_path, [re_reg("A1", last=date(2025, 1, 10)), re_reg("A2", last=date(2025, 2, 1))])
    [f] = found(report, "R111")
    assert (f.severity, f.cell) == ("info", None)
    assert "2 Re-registrations" in f.message and "--history" in f.message


# --- R112 registered-twice ------------------------------------------------------------------------------


def test_r112_fires_for_a_new_registration_already_in_an_earlier_return(tmp_path):
    q1 = earlier_return(tmp_path, [reg("SW100001", **{"Registration date": date(2026, 5, 4)})])
    report = run(tmp_path, [reg("SW100001"), reg("SW100002")], history=[q1])
    [f] = found(report, "R112")
    assert (f.cell, f.severity) == ("Registrations!C2", "error")
    assert "SW100001" in f.message and "04/05/2026" in f.message and "2026/27-Q1" in f.message


def test_r112_quiet_for_new_clients_and_re_registrations(tmp_path):
    q1 = earlier_return(tmp_path, [reg("SW100001", **{"Registration date": date(2025, 5, 4)})])
    report = run(tmp_path, [re_reg("SW100001", last=date(2025, 6, 1)), reg("SW100002")], history=[q1])
    assert found(report, "R112") == []


def test_r112_without_history_says_so_once_unless_first_quarter(tmp_path):
    report = run(tmp_path, [reg("A1"), reg("A2"), reg("A3")])
    [f] = found(report, "R112")
    assert (f.severity, f.cell) == ("info", None) and "3 New registrations" in f.message
    assert "--history" in f.message
    first = run(tmp_path, [reg("A1")], name="first.xlsx", contract=contract(start=date(2026, 7, 1)))
    assert found(first, "R112") == []


# --- R113 lot8-housing-plan -----------------------------------------------------------------------------

LOT8 = {"Eligibility criteria": "Homeless"}


def test_r113_fires_in_lot_8_without_housing_plan(tmp_path):
    report = run(tmp_path, [reg("SW800001", **LOT8)], cover_values={"Lot": "8"})
    [f] = found(report, "R113")
    assert f.cell == "Registrations!O2" and "SW800001" in f.message and "council referral number" in f.message


def test_r113_quiet_with_plan_and_in_other_lots(tmp_path):
    row = reg(**LOT8, **{"Housing plan or council referral number": "PHP-2291"})
    assert found(run(tmp_path, [row], cover_values={"Lot": "8"}), "R113") == []
    assert found(run(tmp_path, [reg()], name="lot3.xlsx"), "R113") == []


# --- R114 lot5-family-assessment ------------------------------------------------------------------------


def test_r114_fires_for_supporting_families_without_assessment(tmp_path):
    rows = [
        reg("A1", **{"Eligibility criteria": "Lone parent; Supporting Families", "Family assessment completed": "No"}),
        reg("A2", **{"Eligibility criteria": "Supporting Families"}),
    ]
    report = run(tmp_path, rows, cover_values={"Lot": "5"})
    assert cells(report, "R114") == ["Registrations!P2", "Registrations!P3"]
    assert "is No" in found(report, "R114")[0].message and "is empty" in found(report, "R114")[1].message


def test_r114_quiet_when_assessed_or_not_supporting_families(tmp_path):
    rows = [
        reg("A1", **{"Eligibility criteria": "Supporting Families", "Family assessment completed": "Yes"}),
        reg("A2", **{"Eligibility criteria": "Lone parent"}),
    ]
    assert found(run(tmp_path, rows, cover_values={"Lot": "5"}), "R114") == []


# --- R115 lot9-in-work ----------------------------------------------------------------------------------

LOT9 = {"Eligibility criteria": "In low-paid or insecure work"}


def test_r115_fires_for_lot_9_client_not_in_work(tmp_path):
    report = run(tmp_path, [reg("SW900001", **LOT9)], cover_values={"Lot": "9"})
    [f] = found(report, "R115")
    assert f.cell == "Registrations!Q2" and "SW900001" in f.message and "unemployed" in f.message


def test_r115_quiet_for_clients_in_work_and_outside_lot_9(tmp_path):
    assert found(run(tmp_path, [reg(**LOT9, **IN_WORK)], cover_values={"Lot": "9"}), "R115") == []
    assert found(run(tmp_path, [reg()], name="lot3.xlsx"), "R115") == []


# --- R116 lot4-social-worker-share ----------------------------------------------------------------------


def lot4(ref, age=30, social_worker="Yes", **values):
    return reg(
        ref,
        **{
            "Eligibility criteria": "Autism",
            "Age at registration": age,
            "Social worker or primary support need": social_worker,
            **values,
        },
    )


def test_r116_quiet_at_exactly_half_over_the_contract_to_date(tmp_path):
    q1 = earlier_return(tmp_path, [lot4("A1", **{"Registration date": date(2026, 5, 1)})], lot="4")
    report = run(tmp_path, [lot4("A2", social_worker="No")], cover_values={"Lot": "4"}, history=[q1])
    assert found(report, "R116") == []


def test_r116_warns_under_half_over_the_contract_to_date(tmp_path):
    q1 = earlier_return(tmp_path, [lot4("A1", **{"Registration date": date(2026, 5, 1)})], lot="4")
    rows = [lot4("A2", social_worker="No"), lot4("A3", age=17)]  # 17 with a social worker does not count
    report = run(tmp_path, rows, cover_values={"Lot": "4"}, history=[q1])
    [f] = found(report, "R116")
    assert f.severity == "warning" and f.sheet == "Registrations" and f.column == "N"
    assert "1 of 3 clients (33%)" in f.message and "50%" in f.message and "1 earlier return" in f.message


def test_r116_without_history_gives_this_returns_figures_as_info(tmp_path):
    report = run(tmp_path, [lot4("A1", social_worker="No")], cover_values={"Lot": "4"})
    [f] = found(report, "R116")
    assert f.severity == "info" and "0 of 1 client (0%)" in f.message and "--history" in f.message


def test_r116_in_the_contracts_first_quarter_needs_no_history(tmp_path):
    rows = [lot4("A1"), lot4("A2", social_worker="No"), lot4("A3", social_worker=None)]
    report = run(tmp_path, rows, cover_values={"Lot": "4"}, contract=contract(start=date(2026, 7, 1)))
    [f] = found(report, "R116")
    assert (
        f.severity == "warning"
        and "1 of 3 clients (33%)" in f.message
        and "1 client with the column empty" in f.message
    )
    assert (
        found(
            run(
                tmp_path,
                rows[:2],
                name="half.xlsx",
                cover_values={"Lot": "4"},
                contract=contract(start=date(2026, 7, 1)),
            ),
            "R116",
        )
        == []
    )


# --- R120 criterion-contradicts-age --------------------------------------------------------------------


def lot2(rows, **kw):
    return dict(rows=rows, cover_values={"Lot": "2"}, **kw)


def test_r120_aged_50_plus_at_49(tmp_path):
    rows = [reg(**{"Eligibility criteria": "Long-term health condition; Aged 50+", "Age at registration": 49})]
    [f] = found(run(tmp_path, **lot2(rows)), "R120")
    assert (f.cell, f.severity) == ("Registrations!M2", "error")
    assert "client SW100001 has the eligibility criterion 'Aged 50+' but was 49 at registration" in f.message
    assert "(Registrations!E2)" in f.message and "50 or over" in f.message and "§14.2" in f.message


def test_r120_quiet_at_50_for_other_criteria_and_for_an_unreadable_age(tmp_path):
    rows = [
        reg("A1", **{"Eligibility criteria": "Aged 50+", "Age at registration": 50}),
        reg("A2", **{"Eligibility criteria": "Physical disability", "Age at registration": 30}),
        reg("A3", **{"Eligibility criteria": "Aged 50+", "Age at registration": "fifty"}),
    ]
    report = run(tmp_path, **lot2(rows))
    assert found(report, "R120") == [] and cells(report, "S004") == ["Registrations!E4"]


# --- R117 registration-outside-quarter ------------------------------------------------------------------


def test_r117_fires_the_day_before_the_quarter(tmp_path):
    [f] = found(run(tmp_path, [reg(**{"Registration date": date(2026, 6, 30)})]), "R117")
    assert f.cell == "Registrations!B2" and "30/06/2026" in f.message and "01/07/2026" in f.message
    assert "2026/27 Q2" in f.message


def test_r117_quiet_on_the_first_and_last_day(tmp_path):
    rows = [reg("A1", **{"Registration date": date(2026, 7, 1)}), reg("A2", **{"Registration date": date(2026, 9, 30)})]
    assert found(run(tmp_path, rows), "R117") == []


# --- all together ---------------------------------------------------------------------------------------


def test_a_valid_return_raises_no_registration_finding_beyond_the_history_note(tmp_path):
    report = check(write_return(tmp_path), contract=contract())
    assert [(f.code, f.severity) for f in report.findings if f.code.startswith("R")] == [("R112", "info")]
