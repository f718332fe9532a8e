"""Fuzzing: valid returns, mutated the ways providers and tools mangle them, never crash the checker.

Hypothesis takes a sample return (a prefilled template from ``samples/returns`` or a builder's
return) and applies a few mutations: a cell set to a value of any type (numbers, NaN, infinities,
dates from 1899 to 9999, times, booleans, formula-like and invisible-character text, long text,
formulas), rows and columns deleted, headers renamed, sheets deleted, renamed, hidden or shuffled,
and now and then a few bytes overwritten inside one XML part.
Every result must be checked without an exception escaping or any rule failing, and every finding
must name a known rule, a severity and a real place: a sheet of the workbook (or a template sheet
it lacks), a row from 1 and a column letter.

Bounded for CI (40 examples, a few seconds); ``SWTOOL_FUZZ_EXAMPLES=500 SWTOOL_FUZZ_RANDOM=1`` for a
longer, fresh run.

Then 300 mutants of a real sample at the level of the zip and of the XML inside it (``mutants.py``):
seeded, the same on every run, read in this process; none may end in what would be an internal error.
``SWTOOL_FUZZ_MUTANTS`` changes how many; ``benchmarks/fuzz_long.py`` runs thousands more.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import REFDATA, TODAY, write_return
from mutants import mutant, problem
from swtool import catalogue
from swtool.checks.context import CheckContext
from swtool.engine import check_file
from swtool.findings import SEVERITIES
from swtool.model import standard as std
from swtool.model.settings import Settings
from swtool.read import preflight

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [
    ROOT / "samples/returns/SW-L3-01/SW-L3-01_2026-27_Q2.xlsx",
    ROOT / "samples/returns/SW-L1A-01/SW-L1A-01_2026-27_Q2.xlsx",
]
TEMPLATE_SHEETS = {s.name for s in std.RETURN_SHEETS} | {std.CONTRACT_SHEET}
RULES = catalogue.load_all()
COLUMN_RE = re.compile(r"^[A-Z]{1,3}$")
NASTY = [
    "=1+1",
    "+A1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "[@click=app.quit]",
    "[bold red]x",
    "SE1 0\u0410\u0410",
    "SW1\u041e\u041e001",
    "\ufeffClaim ref",
    "Client\u00a0ref",
    "Out\u200bput",
    "\u202eevil",
    "£1,200.50",
    "03/08/2026",
    "2026-08-03",
    "31/02/2026",
    "Yes",
    "no",
    "N/A",
    "   ",
    "2a",
    "2A",
    "2a; 3a",
    "lot 3",
    "1e308",
    "-0",
    "0x1F",
    "NaN",
    "∞",
    "x" * 40_000,
]

text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\t\n\r"), max_size=30)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**15), 10**15),
    st.sampled_from([0, 1, 60, 36526, 46237, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    st.datetimes(min_value=datetime(1899, 12, 31), max_value=datetime(9999, 12, 31)),
    st.dates(min_value=date(1899, 12, 31)),
    st.times(),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(9999)),
    text,
    st.sampled_from(NASTY),
    st.sampled_from(sorted({h for s in std.RETURN_SHEETS for h in s.headers})),
)


@st.composite
def mutations(draw):
    kinds = ["cell", "cell", "cell", "rows", "cols", "header", "delete-sheet", "rename-sheet", "hide-sheet", "shuffle"]
    out = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(kinds))
        pick = draw(st.integers(0, 10**6))  # which sheet, as an index modulo the sheets there are
        if kind == "cell":
            out.append((kind, pick, draw(st.integers(1, 40)), draw(st.integers(1, 30)), draw(values)))
        elif kind == "rows":
            out.append((kind, pick, draw(st.integers(1, 12)), draw(st.integers(1, 3))))
        elif kind == "cols":
            out.append((kind, pick, draw(st.integers(1, 28)), draw(st.integers(1, 2))))
        elif kind == "header":
            out.append(
                (
                    kind,
                    pick,
                    draw(st.integers(1, 28)),
                    draw(
                        st.one_of(
                            text,
                            st.sampled_from(NASTY),
                            st.sampled_from(sorted({h for s in std.RETURN_SHEETS for h in s.headers})),
                        )
                    ),
                )
            )
        elif kind == "rename-sheet":
            out.append((kind, pick, draw(st.sampled_from(["upper", "lower", "spaces", "swap", "other"]))))
        elif kind == "hide-sheet":
            out.append((kind, pick, draw(st.sampled_from(["hidden", "veryHidden"]))))
        elif kind == "shuffle":
            out.append((kind, draw(st.permutations(range(12)))))
        else:
            out.append((kind, pick))
    return out


def apply(wb, mutation) -> None:
    kind = mutation[0]
    if kind == "shuffle":
        order = [i for i in mutation[1] if i < len(wb._sheets)]
        wb._sheets = [wb._sheets[i] for i in order]
        return
    ws = wb.worksheets[mutation[1] % len(wb.worksheets)]
    if kind == "cell":
        _, _, r, c, value = mutation
        cell = ws.cell(r, c)
        cell.value = value
        if isinstance(value, (datetime, date)) and value.year < 1900:
            cell.value = str(value)  # openpyxl cannot store dates before its epoch; the text form is hostile enough
    elif kind == "rows":
        ws.delete_rows(mutation[2], mutation[3])
    elif kind == "cols":
        ws.delete_cols(mutation[2], mutation[3])
    elif kind == "header":
        ws.cell(1, mutation[2]).value = mutation[3]
    elif kind == "delete-sheet":
        if len(wb.worksheets) > 1:
            wb.remove(ws)
    elif kind == "rename-sheet":
        how = mutation[2]
        taken = {n.casefold() for n in wb.sheetnames if n != ws.title}
        new = {
            "upper": ws.title.upper(),
            "lower": ws.title.lower(),
            "spaces": f" {ws.title}  ",
            "swap": ws.title[::-1],
            "other": "Sheet 2",
        }[how][:31]
        if new.strip() and new.casefold() not in taken:
            ws.title = new
    elif kind == "hide-sheet" and sum(1 for s in wb.worksheets if s.sheet_state == "visible") > 1:
        ws.sheet_state = mutation[2]


def _corrupt(path: Path, which: int, where: float, junk: bytes) -> None:
    with zipfile.ZipFile(path) as z:
        content = {n: z.read(n) for n in z.namelist()}
    xml = sorted(n for n in content if n.endswith((".xml", ".rels")))
    name = xml[which % len(xml)]
    data = content[name]
    at = int(where * max(len(data) - 1, 0))
    content[name] = data[:at] + junk + data[at + len(junk) :]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in content.items():
            z.writestr(n, d)


@pytest.fixture(scope="module")
def bases(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("fuzz-bases")
    return [*(p for p in SAMPLES if p.exists()), write_return(folder)]


CTX = CheckContext(REFDATA, Settings.defaults(), TODAY)


@settings(
    max_examples=int(os.environ.get("SWTOOL_FUZZ_EXAMPLES", "40")),
    deadline=None,
    derandomize=not os.environ.get("SWTOOL_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    which=st.integers(0, 10),
    changes=mutations(),
    corrupt=st.none() | st.tuples(st.integers(0, 100), st.floats(0, 1), st.binary(min_size=1, max_size=12)),
)
def test_mutated_returns_are_checked_without_a_crash(bases, tmp_path, which, changes, corrupt):
    base = bases[which % len(bases)]
    wb = openpyxl.load_workbook(base)
    for m in changes:
        apply(wb, m)
    path = tmp_path / "mutated.xlsx"
    wb.save(path)
    if corrupt:  # bytes overwritten inside one XML part, the zip kept valid: the XML parser's turn
        _corrupt(path, *corrupt)
    names = set(wb.sheetnames)
    try:  # the names the reader sees (a corrupted workbook.xml may have changed one)
        names |= {n for n, _, _ in preflight.check(path).sheets}
    except preflight.Unreadable:
        pass
    before = path.read_bytes()

    report, _ = check_file(path, CTX)  # nothing may escape

    assert path.read_bytes() == before
    for f in report.findings:
        assert f.code in RULES, f
        assert f.severity in SEVERITIES, f
        assert "could not run on this return" not in f.message, f  # a rule that raised
        if f.sheet is not None:
            assert f.sheet in names or f.sheet in TEMPLATE_SHEETS, (f, names)
        if f.row is not None:
            assert 1 <= f.row <= 1_048_576, f
        if f.column is not None:
            assert COLUMN_RE.match(f.column), f
            assert f.row is not None and f.sheet is not None, f
        if f.cell is not None:
            assert f.cell == f"{f.sheet}!{f.column}{f.row}" or f.cell == f"{f.sheet}!{f.row}:{f.row}", f
    shutil.rmtree(tmp_path, ignore_errors=True)
    tmp_path.mkdir()


# --- zip-level and XML-level mutants of a real sample ----------------------------------------------------
# ``mutants.mutant(base, seed)``: even seeds mutate the zip container, odd ones the XML inside it. Each
# mutant is read in this process (no child process: cheap) and judged by ``mutants.problem``: it must end
# in a plain sentence (S001) or a report, never in an exception, "could not be checked: swtool met a
# problem it did not expect" (the report's form of an internal error) or a rule that could not run, and
# the report renders as text, JSON and JUnit. Rules run once per distinct content read (the same cells
# give the same findings), which keeps the suite cheap; benchmarks/fuzz_long.py judges many more seeds.

MUTANTS = int(os.environ.get("SWTOOL_FUZZ_MUTANTS", "300"))
BATCHES = 10


@pytest.fixture(scope="module")
def real_sample() -> bytes:
    return SAMPLES[0].read_bytes()


@pytest.fixture(scope="module")
def checked_content() -> set[str]:
    return set()


@pytest.fixture(scope="module")
def judged_bytes() -> set[str]:
    """The sha256 of every mutant already judged: some seeds make the very same bytes, which end the same."""
    return set()


@pytest.mark.parametrize("batch", range(BATCHES))
def test_zip_and_xml_mutants_of_a_real_return_end_in_a_sentence_or_a_report(
    real_sample, checked_content, judged_bytes, tmp_path, batch
):
    problems = []
    for seed in range(batch, MUTANTS, BATCHES):
        data, what = mutant(real_sample, seed)
        digest = hashlib.sha256(data).hexdigest()
        if digest in judged_bytes:
            continue
        judged_bytes.add(digest)
        path = tmp_path / f"mutant-{seed}.xlsx"
        path.write_bytes(data)
        said = problem(path, CTX, checked_content)
        if said:
            problems.append(f"seed {seed} ({what}): {said}")
        assert path.read_bytes() == data, f"seed {seed}: the mutant was changed"
        path.unlink()
    assert not problems, "\n".join(problems)


def test_the_mutants_are_of_both_kinds_and_the_same_on_every_run(real_sample):
    """A seed gives the same bytes every time; even seeds mutate the zip, odd ones the XML of one part."""
    assert mutant(real_sample, 7) == mutant(real_sample, 7)
    assert mutant(real_sample, 7)[0] != real_sample
    whats = [mutant(real_sample, s)[1] for s in range(40)]
    assert all(w.startswith(("xl/", "docProps/", "_rels/", "[Content_Types]")) for w in whats[1::2]), whats[1::2]
    assert len(set(whats)) > 30


def test_the_judge_finds_what_would_be_an_internal_error(real_sample, tmp_path, monkeypatch):
    """``problem`` can fail: a rule that raises, and a return whose typing raises (S001 "did not expect"),
    are named; a sound return is not."""
    import dataclasses

    from swtool.read import tables

    path = tmp_path / "sound.xlsx"
    path.write_bytes(real_sample)
    assert problem(path, CTX, set()) is None

    def boom(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(catalogue.REGISTRY, "X401", dataclasses.replace(RULES["X401"], check=boom))
    said = problem(path, CTX, set())
    assert "X401" in said and "could not run" in said
    monkeypatch.undo()
    monkeypatch.setattr(tables, "type_table", boom)
    assert problem(path, CTX, set()) == (
        "S001 The workbook could not be checked: swtool met a problem it did not "
        "expect (ZeroDivisionError). Send the file to the council, which will have "
        "it looked at."
    )


def test_a_budget_line_with_no_item_in_the_contract_sheet_is_no_heading(tmp_path):
    """Found by the mutants (seed 87 of the first run): the hidden Contract sheet's budget line with its Budget
    item cleared made X401 fail ("could not run") while listing the headings; now the line is no heading and
    the return is checked."""
    wb = openpyxl.load_workbook(SAMPLES[0])
    ws = wb["Contract"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Financial year") + 1
    assert ws.cell(row, 4).value  # the first budget line's item
    ws.cell(row, 4).value = None
    path = tmp_path / "no-item.xlsx"
    wb.save(path)
    assert problem(path, CTX, set()) is None
    report, _ = check_file(path, CTX)
    assert not [f for f in report.findings if f.code == "X401"]  # every item claimed against is still a heading


def test_a_contract_sheet_amount_that_is_no_amount_leaves_the_return_checked(tmp_path):
    """Found by benchmarks/fuzz_long.py (seed 6527: a cell typed boolean): a budget amount of TRUE on the
    hidden Contract sheet made the whole check end in "swtool met a problem it did not expect"; now such a
    sheet holds no contract (as an unreadable one), and the rest of the return is checked."""
    wb = openpyxl.load_workbook(SAMPLES[0])
    ws = wb["Contract"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Financial year") + 1
    ws.cell(row, 5).value = True
    path = tmp_path / "true-amount.xlsx"
    wb.save(path)
    assert problem(path, CTX, set()) is None
    report, _ = check_file(path, CTX)
    assert report.contract == "SW-L3-01" and not [f for f in report.findings if f.code == "S001"]
