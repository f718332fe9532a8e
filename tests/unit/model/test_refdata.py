"""Reference data: the shipped postcode list read the quick way, and an override of it."""

from swtool.model.refdata import PACKAGE_DATA, RefData, load_file, postcode_set, shipped_postcodes

HEADER = "postcode,outward_code,sector,southwark_per_ons_nov2020\n"


def test_the_shipped_postcodes_read_the_quick_way_are_the_ones_the_full_reading_gives(tmp_path):
    full = load_file("southwark_postcodes.csv", overrides=tmp_path)  # an empty folder: the shipped file
    assert not full.overridden and full.path == PACKAGE_DATA / "southwark_postcodes.csv"
    assert shipped_postcodes() == postcode_set(full.rows)
    assert "SE1 0AA" in shipped_postcodes()
    # listed by ONS in Lewisham (N), though Code-Point once placed it in Southwark: not a Southwark postcode
    assert "SE8 5DT" not in shipped_postcodes()
    assert RefData(overrides=tmp_path).southwark_postcodes == shipped_postcodes()


def test_an_override_of_the_postcode_list_is_used_and_a_malformed_one_refused(tmp_path):
    (tmp_path / "southwark_postcodes.csv").write_text(HEADER + "SE1 9ZZ,SE1,SE1 9,Y\nSE8 5DT,SE8,SE8 5,N\n")
    rd = RefData(overrides=tmp_path)
    assert rd.southwark_postcodes == {"SE1 9ZZ"} and rd.refusals == []

    (tmp_path / "southwark_postcodes.csv").write_text(HEADER + "SE1 9ZZ,SE1,SE1 9,maybe\n")
    rd = RefData(overrides=tmp_path)
    assert rd.southwark_postcodes == shipped_postcodes()
    assert len(rd.refusals) == 1 and "row 2, column southwark_per_ons_nov2020: 'maybe' is not Y or N" in rd.refusals[0]
