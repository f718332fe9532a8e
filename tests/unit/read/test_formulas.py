"""The quick search that says which sheets hold formulas (the S009 scan reads only those)."""

import io

import pytest

from swtool.read import formulas
from swtool.read.formulas import holds_formula, part_holds_formula

PLAIN = b'<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>'


@pytest.mark.parametrize(
    "xml, expected",
    [
        (PLAIN + b"</worksheet>", False),
        (PLAIN.replace(b"<v>1</v>", b"<f>SUM(B1:B2)</f><v>3</v>") + b"</worksheet>", True),
        (PLAIN.replace(b"<v>1</v>", b'<f t="shared" ref="A1:A9" si="0">B1</f>') + b"</worksheet>", True),
        (PLAIN.replace(b"<v>1</v>", b'<f t="shared" si="0"/>') + b"</worksheet>", True),
        (PLAIN.replace(b"<v>1</v>", b"<x:f>B1*2</x:f>") + b"</worksheet>", True),  # a namespace prefix
        # a data validation's formula, a filter, a header: elements that begin with f, not formulas
        (
            PLAIN + b'<autoFilter ref="A1:B2"><filterColumn colId="0"/></autoFilter><dataValidations>'
            b'<dataValidation><formula1>"Yes,No"</formula1></dataValidation></dataValidations>'
            b"<headerFooter><firstHeader>x:f</firstHeader></headerFooter></worksheet>",
            False,
        ),
    ],
)
def test_a_formula_element_is_found_and_nothing_else(xml, expected):
    assert holds_formula(xml) is expected
    assert part_holds_formula(io.BytesIO(xml)) is expected


@pytest.mark.parametrize("cut", range(1, 8))
def test_a_formula_tag_cut_between_two_chunks_is_found(monkeypatch, cut):
    monkeypatch.setattr(formulas, "CHUNK", 64)
    for tag in (b"<f>B1</f>", b"<x:f>B1</x:f>"):
        xml = b" " * (64 - cut) + tag + b" " * 100
        assert part_holds_formula(io.BytesIO(xml))
