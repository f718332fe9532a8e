"""The pre-pass before pandera: it lets a clean sheet through without pandera, and sends every sheet
pandera would find something in to pandera, whose findings are the same as without the pre-pass."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pandera.pandas as pa
import pytest

from swtool.model import standard as std
from swtool.model.refdata import RefData
from swtool.read import tables
from swtool.read.tables import Sink, type_table
from swtool.read.workbook import RawSheet

REFDATA = RefData()


def claim(i: int, **changes) -> dict:
    row = {
        "Claim ref": f"CL-{i:04d}",
        "Client ref": f"SW{100000 + i}",
        "Output": "2a",
        "Date achieved": date(2026, 8, 3),
        "Evidence held": "Signed contract",
        "Evidence reference": f"CL-{i:04d}.pdf",
        "Employer": "Borough Market Traders Ltd",
        "Start date": date(2026, 8, 1),
        "Employment type": "Full-time",
        "Contract type": "Permanent",
        "Weekly hours": 37.5,
        "Gross hourly pay": 15.5,
    }
    row.update(changes)
    return row


def raw_claims(rows: list[dict], drop: tuple[str, ...] = ()) -> RawSheet:
    headers = [h for h in std.CLAIMS.headers if h not in drop]
    values = [tuple(headers), *(tuple(r.get(h) for h in headers) for r in rows)]
    return RawSheet("Claims", "visible", list(range(1, len(values) + 1)), values, len(headers))


def typed(rows: list[dict], drop: tuple[str, ...] = (), prepass: bool = True) -> tuple[dict, list[bool]]:
    """The flags of typing ``rows`` as the Claims sheet, and the pre-pass's verdicts on the way."""
    verdicts: list[bool] = []
    real = tables._surely_valid

    def spy(schema, df):
        verdicts.append(real(schema, df) if prepass else False)
        return verdicts[-1]

    tables._surely_valid = spy
    try:
        sink = Sink()
        type_table(raw_claims(rows, drop), std.CLAIMS, "3", REFDATA, sink)
    finally:
        tables._surely_valid = real
    return {code: [(f.message, f.where) for f in flags] for code, flags in sink.flags.items()}, verdicts


def test_a_clean_sheet_passes_the_prepass_and_pandera_is_not_asked(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pandera ran on a clean sheet")

    monkeypatch.setattr(pa.DataFrameSchema, "validate", refuse)
    # an optional column left blank, a conditional column blank where it is not required: still clean
    placement = {"Output": "5", "End date": date(2026, 9, 1), "Placement type": "Work experience"}
    rows = [claim(i) for i in range(80)] + [claim(80, **placement)]
    flags, verdicts = typed(rows)
    assert verdicts == [True]
    assert flags == {}


@pytest.mark.parametrize(
    "rows, drop, code, words",
    [
        ([claim(1)], ("Output",), "S003", "no 'Output' column"),
        ([claim(1), claim(2, Output="9z")], (), "S004", "'9z' is not in the code list"),
        ([claim(1), claim(2, **{"Weekly hours": 95})], (), "S004", "95 is out of range; expected 0 to 80"),
        ([claim(1), claim(2, **{"Gross hourly pay": -1})], (), "S004", "-1 is out of range; expected at least 0"),
        ([claim(1), claim(2, **{"Client ref": None})], (), "S005", "Client ref is empty; it is required"),
        ([claim(1), claim(2, Output="5")], (), "S005", "End date is empty; it is required for output 5"),
        ([claim(1), claim(2, **{"Claim ref": "CL-0001"})], (), "S006", "'CL-0001' is repeated"),
    ],
    ids=["S003-column", "S004-code", "S004-range", "S004-minimum", "S005-required", "S005-when", "S006-unique"],
)
def test_each_failure_falls_through_to_pandera_with_its_finding(rows, drop, code, words):
    flags, verdicts = typed(rows, drop)
    assert verdicts == [False]
    assert any(words in message for message, _ in flags.get(code, [])), flags
    # the same findings, word for word and cell for cell, as pandera alone gives
    assert flags == typed(rows, drop, prepass=False)[0]


def test_a_wrong_dtype_or_a_schema_feature_it_does_not_run_is_a_maybe():
    schema = pa.DataFrameSchema({"n": pa.Column("Int64", nullable=True)})
    assert tables._surely_valid(schema, pd.DataFrame({"n": pd.array([1, None], dtype="Int64")}))
    assert not tables._surely_valid(schema, pd.DataFrame({"n": [1.0, 2.0]}))  # float64, not Int64
    strict = pa.DataFrameSchema({"n": pa.Column("Int64")}, strict=True)
    assert not tables._surely_valid(strict, pd.DataFrame({"n": pd.array([1], dtype="Int64")}))
    element_wise = pa.DataFrameSchema({"n": pa.Column(int, pa.Check(lambda s: s > 0, element_wise=True))})
    assert not tables._surely_valid(element_wise, pd.DataFrame({"n": [1, 2]}))


def test_a_check_that_raises_is_pandera_to_report():
    def broken(s):
        raise ValueError("no")

    schema = pa.DataFrameSchema({"n": pa.Column(int, pa.Check(broken))})
    assert not tables._surely_valid(schema, pd.DataFrame({"n": [1, 2]}))


def test_builtin_checks_are_run_as_pandera_runs_them():
    schema = pa.DataFrameSchema(
        {
            "code": pa.Column(object, pa.Check.isin(["a", "b"]), nullable=True),
            "n": pa.Column(float, pa.Check.in_range(0, 10, include_max=False), nullable=True),
            "m": pa.Column(float, pa.Check.ge(1), nullable=True),
        }
    )
    ok = pd.DataFrame({"code": pd.Series(["a", None], dtype=object), "n": [0.0, float("nan")], "m": [1.0, 2.0]})
    assert tables._surely_valid(schema, ok)
    for column, value in (("code", "c"), ("n", 10.0), ("m", 0.5)):
        bad = ok.copy()
        bad.loc[0, column] = value
        assert not tables._surely_valid(schema, bad), column
