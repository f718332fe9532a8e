"""normalise_label: cached for short text, the same answer for every kind of cell value."""

from datetime import date

from swtool.model.standard import normalise_label


def test_values_that_compare_equal_keep_their_own_text():
    # 1, 1.0 and True are equal as dictionary keys; as labels they are "1", "1.0" and "true"
    assert [normalise_label(v) for v in (1, 1.0, True, None)] == ["1", "1.0", "true", ""]
    assert normalise_label(date(2026, 7, 1)) == "2026-07-01"


def test_spaces_case_zero_width_and_units_do_not_matter_cached_or_not():
    for text in ("  Gross\u00a0hourly   PAY (£) ", "Gross hourly\u200b pay"):
        assert normalise_label(text) == normalise_label(text) == "gross hourly pay"
    long = "Gross  hourly pay " * 20 + "(£)"  # past the cached length: normalised afresh, alike
    assert normalise_label(long) == ("gross hourly pay " * 20).strip()
