"""The provider's own workbook back, with the problems marked: an annotated copy.

Providers live in Excel. ``annotate`` opens a copy of the workbook that was checked (the same bytes:
its sha256 must equal the report's), and

- marks every cell that has a finding: a fill (errors red and striped, warnings amber, info light
  blue) and a comment by "swtool" whose title carries a symbol (✖ ⚠ ℹ), so it reads without colour,
  with each finding's code, message and how to fix it;
- adds a first sheet, ``Findings``, listing every finding (errors, then warnings, then info; then by
  sheet and row) with a link to its cell; findings that have no single cell (a whole sheet, a missing
  column or sheet, the whole return) are only there.

No formula and no link of the provider's reaches the copy (``_neutralise``): each formula cell
holds the value the file saved with it (a formula saved without one is left empty; in a column the
check reads it is S009); hyperlinks, links to other workbooks, data connections, and defined names,
dropdown rules, conditional formats and table columns that compute anything (a function) or point
outside the workbook are removed, and the Findings sheet says how many. The copy is read back after
it is written: if a formula cell, an external relationship or an external-link part were left, no
copy is written.

Everything else is kept as openpyxl keeps it: values, number formats, data validations (dropdowns
and input messages), comments already there, hidden and protected sheets, frozen panes. What openpyxl
cannot keep (charts, pictures, some newer Excel features) is named on the Findings sheet. The source
is never written to; the copy is written atomically, and never over the source nor over a file that
is not an earlier annotated copy. Every cell swtool writes goes through ``xlsx.put``: text is stored
as text, and text Excel would take for a formula (``= + - @``, tab, CR, LF first) is quote-prefixed,
the provider's own such text included.

openpyxl loads the whole workbook to write it back, which takes far more memory than the check's
read-only pass, and a file that passed the bounded read could still exhaust memory or time here. So
the load, the marking and the save run in a child process with a wall-time and an address-space
limit (``reader.workbook.run_bounded``, the reader's own machinery), twice the read's
(``annotation_limits``: 2 × ``read_seconds``, 2 × ``read_memory_mb``; ``SWTOOL_LIMITS`` changes both).
A child that runs out of either, or dies, leaves no copy and costs a sentence (``NotAnnotated``),
never the check's report. Where there is no child process (``child_process=no``, Windows), it runs
here.
"""

from __future__ import annotations

import logging
import math
import re
import shutil
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from swtool.errors import SwtoolError
from swtool.findings import ERROR, INFO, WARNING, FileReport, Finding, severity_rank
from swtool.model.words import plural
from swtool.read.preflight import Limits
from swtool.report.safe import safe_text
from swtool.write.xlsx import FORMULA_START, MAX_CELL_TEXT, looks_like_formula, put  # noqa: F401 (re-exported)

log = logging.getLogger(__name__)

SYMBOL = {ERROR: "✖", WARNING: "⚠", INFO: "ℹ"}
# (pattern, pattern colour, background): the error pattern shows in grey-scale print and to colour-blind eyes
FILL = {
    ERROR: ("lightUp", "FFE06666", "FFFFC7CE"),
    WARNING: ("solid", "FFFFE699", "FFFFE699"),
    INFO: ("solid", "FFDDEBF7", "FFDDEBF7"),
}
FINDINGS_SHEET = "Findings"
AUTHOR = "swtool"
MAX_COMMENT = 2_000  # characters of swtool's own text in one comment
MAX_MERGED_CELLS = 200_000  # openpyxl makes an object for every merged cell: a huge merge is a memory bomb
MARKER = "swtool annotated copy"  # a custom document property: tells an annotated copy from a provider's file
HEADER_ROW = 5
COLUMNS = (("Severity", 12), ("Code", 8), ("Rule", 30), ("Cell", 18), ("Message", 90), ("How to fix", 70))

# The annotation's bounds, derived from the read's (docs/security.md): loading a workbook in full
# takes about three times the memory of the read-only pass and more time (a 100,000-row return:
# 1.48 GB at the peak and 84 s to annotate; its whole check, 0.6 GB and 60 s). Twice the read's
# limits (600 s, 4,096 MB) leave room for the largest file the reader accepts (max_file_bytes).
ANNOTATE_SECONDS_FACTOR = 2  # × read_seconds: wall time of the load, marking and save
ANNOTATE_MEMORY_FACTOR = 2  # × read_memory_mb: address space the annotating child may add

# a formula cell's <f> (any namespace prefix), and the sheetData element that holds the cells
_F_OR_SHEETDATA_RE = re.compile(rb"<(/?)(?:[A-Za-z_][\w.\-]{0,63}:)?(sheetData|f)(?=[\s/>])")
_CONNECTION_RE = re.compile(rb"<(?:[A-Za-z_][\w.\-]{0,63}:)?connection(?=[\s/>])")
_EXTERNAL_LINK_PART_RE = re.compile(r"^xl/externallinks/[^/]+\.xml$")
# a reference inside this workbook: A1, $A$1:$B$9, A:A, 1:1, optionally after a sheet name; or a name
_REF_RE = re.compile(
    r"^(?:(?:'(?:[^'\[\]]|'')+'|[A-Za-z_][\w.]*)!)?"
    r"(?:\$?[A-Za-z]{1,3}\$?\d{1,7}(?::\$?[A-Za-z]{1,3}\$?\d{1,7})?|\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}"
    r"|\$?\d{1,7}:\$?\d{1,7})$"
)
_NAME_RE = re.compile(r"^[A-Za-z_\\][\w.]*$")
_MERGE_RE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Za-z]{1,3}\d{1,7}(?::[A-Za-z]{1,3}\d{1,7})?)\"")


class NotAnnotated(SwtoolError):
    """The annotated copy was not written; the message says why."""


@dataclass
class Annotated:
    output: Path
    findings: int  # listed on the Findings sheet (all of them)
    cells: int  # cells marked in place
    sheet_only: int  # findings with no cell of their own: on the Findings sheet only
    lost: list[str] = field(default_factory=list)  # what openpyxl could not carry over
    removed: dict[str, int] = field(default_factory=dict)  # the provider's formulas and links removed, by kind


def default_output(source: Path) -> Path:
    """``return.xlsx`` → ``return.annotated.xlsx``, beside it."""
    source = Path(source)
    return source.with_name(f"{source.stem}.annotated.xlsx")


def is_annotated_copy(path: Path) -> bool:
    """True for a workbook that swtool wrote (its custom properties carry ``MARKER``)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return "docProps/custom.xml" in zf.namelist() and MARKER.encode() in zf.read("docProps/custom.xml")
    except (OSError, zipfile.BadZipFile, KeyError):
        return False


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def check_output(source: Path, output: Path) -> None:
    """Raise NotAnnotated if ``output`` may not be written for ``source``."""
    source, output = Path(source), Path(output)
    if output.suffix.lower() != ".xlsx":
        raise NotAnnotated(f"the annotated copy must be an .xlsx file, not {output.name!r}")
    if _same_file(source, output):
        raise NotAnnotated(f"the annotated copy cannot be written over the return itself ({source})")
    if output.is_dir():
        raise NotAnnotated(f"{output} is a folder; give a file name for the annotated copy")
    if output.exists() and not is_annotated_copy(output):
        raise NotAnnotated(
            f"{output} exists and is not an annotated copy made by swtool; it is not overwritten (choose another name)"
        )


def unreadable_reason(report: FileReport) -> str | None:
    """Why a checked file cannot be annotated (it could not be read), or None."""
    s001 = next((f for f in report.findings if f.code == "S001"), None)
    if s001 is not None:
        return s001.message
    if report.sha256 is None:
        return "the file could not be read"
    return None


def annotation_limits(limits: Limits) -> tuple[float, int]:
    """(seconds, MB): the wall time and the address space the annotating child may take, derived from
    the read's limits (``ANNOTATE_SECONDS_FACTOR`` × ``read_seconds``, ``ANNOTATE_MEMORY_FACTOR`` ×
    ``read_memory_mb``), so ``SWTOOL_LIMITS`` changes both the same way."""
    return limits.read_seconds * ANNOTATE_SECONDS_FACTOR, limits.read_memory_mb * ANNOTATE_MEMORY_FACTOR


def annotate(
    source: Path, report: FileReport, output: Path, rules: dict | None = None, *, limits: Limits | None = None
) -> Annotated:
    """Write an annotated copy of ``source`` (the workbook ``report`` is about) to ``output``.

    Args:
        source: the checked workbook; only read, through a private copy.
        report: its report from ``engine.check_file`` (the findings to mark).
        output: where to write the copy (.xlsx); replaced atomically if it is an earlier annotated copy.
        rules: the catalogue (``catalogue.load_all()``), for each rule's "how to fix"; loaded when None.
        limits: the reader's limits (``SWTOOL_LIMITS`` applies on top); the annotation's time and memory
            limits are derived from them (``annotation_limits``), and ``child_process`` decides whether
            openpyxl runs in a bounded child process.

    Returns:
        What was written: counts of findings, marked cells and findings only on the Findings sheet.

    Raises:
        NotAnnotated: the file could not be read when checked (S001), changed since, is too unusual to
            open safely in full, needs more time or memory than the annotation's limits, or ``output``
            may not be written. No copy is written then, and nothing is left beside ``output``.
    """
    source, output = Path(source), Path(output)
    why = unreadable_reason(report)
    if why:
        raise NotAnnotated(f"{source} was not annotated: it could not be read ({why})")
    check_output(source, output)
    limits = (limits or Limits()).with_env()
    if rules is None:
        from swtool import catalogue

        rules = catalogue.load_all()
    from swtool.read.preflight import sha256_of
    from swtool.write.atomic import atomic_path

    with tempfile.TemporaryDirectory(prefix="swtool-annotate-") as tmpdir:
        copy, marked = Path(tmpdir) / "return.xlsx", Path(tmpdir) / "annotated.xlsx"
        shutil.copyfile(source, copy)
        if sha256_of(copy) != report.sha256:
            raise NotAnnotated(f"{source} changed after it was checked; check it again to annotate it")
        fixes = {code: _Fix(getattr(rule, "fix", None)) for code, rule in rules.items()}  # picklable, unlike rules
        result = _write_bounded(copy, marked, report, fixes, limits, source.name)
        # only a finished copy reaches the output's folder, in one rename
        with atomic_path(output) as tmp:
            shutil.copyfile(marked, tmp)
    result.output = output
    return result


@dataclass(frozen=True)
class _Fix:
    """What the copy needs of a rule: its "how to fix" (a rule holds its check, which does not pickle)."""

    fix: str | None


def _write_copy(copy: Path, marked: Path, report: FileReport, rules: dict) -> Annotated:
    """All the openpyxl work: refuse huge merges, load ``copy`` in full, mark it, save it to ``marked``
    (in the private folder). Runs in the bounded child process."""
    _guard(copy)
    lost = _what_is_lost(copy)
    removed = _removed_in_package(copy)
    wb, load_warnings = _load(copy)
    lost += load_warnings
    try:
        _neutralise(wb, removed)
        result = _mark(wb, report, rules, lost, removed)
        wb.save(marked)
    finally:
        wb.close()
    _verify(marked)
    return result


def _write_bounded(copy: Path, marked: Path, report: FileReport, rules: dict, limits: Limits, name: str) -> Annotated:
    """``_write_copy`` in a child process with the annotation's limits, or here where there is none."""
    from swtool.read.workbook import ChildStopped, _secs, isolation_available, run_bounded

    seconds, memory_mb = annotation_limits(limits)
    if not (limits.child_process and isolation_available()):
        try:
            return _write_copy(copy, marked, report, rules)
        except MemoryError:
            raise _limit_error(name, "the memory of this computer", None) from None
    try:
        return run_bounded(
            _write_copy,
            (copy, marked, report, rules),
            seconds=seconds,
            memory_mb=memory_mb,
            name="swtool-annotate",
            passthrough=(NotAnnotated, OSError),
        )
    except ChildStopped as e:
        stopped = e
    memory = f"{memory_mb:,} MB of memory"
    if stopped.kind == "time-limit":
        log.warning("annotating %s took over %s s; it was stopped", name, seconds)
        raise _limit_error(name, _secs(seconds), f"{ANNOTATE_SECONDS_FACTOR:g} × read_seconds")
    if stopped.kind == "memory-limit":
        raise _limit_error(name, memory, f"{ANNOTATE_MEMORY_FACTOR:g} × read_memory_mb")
    if stopped.kind == "died":
        log.warning("annotating %s: the process died (%s)", name, stopped.detail)
        raise NotAnnotated(
            f"could not annotate {name}: annotating it stopped ({stopped.detail}), most likely at "
            f"the {memory_mb:,} MB memory limit (limit {ANNOTATE_MEMORY_FACTOR:g} × read_memory_mb). "
            f"{_NOTHING_WRITTEN}"
        )
    log.warning("annotating %s failed in the child process: %s", name, stopped.detail)
    raise NotAnnotated(
        f"could not annotate {name}: writing the copy failed "
        f"({stopped.detail.partition(':')[0]}). No annotated copy was written; the check's report is "
        "unaffected."
    )


_NOTHING_WRITTEN = (
    "No annotated copy was written; the check's report is unaffected. Remove unused rows, columns "
    "and sheets and check it again, or raise the limit with the SWTOOL_LIMITS environment variable "
    "(e.g. SWTOOL_LIMITS=read_seconds=120,read_memory_mb=3000)."
)


def _limit_error(name: str, within: str, limit: str | None) -> NotAnnotated:
    named = f" (limit {limit})" if limit else ""
    return NotAnnotated(f"could not annotate {name} within {within}{named}. {_NOTHING_WRITTEN}")


# --- opening -----------------------------------------------------------------------------------------


def _guard(path: Path) -> None:
    """openpyxl's full mode makes an object for every merged cell: refuse a workbook whose merges
    would take the memory of the machine (the check itself reads in read-only mode and never sees them)."""
    from openpyxl.utils.cell import range_boundaries

    total = 0
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            tail = b""
            with zf.open(info) as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    data = tail + chunk
                    last = 0
                    for m in _MERGE_RE.finditer(data):
                        ref = m.group(1).decode()
                        try:
                            c1, r1, c2, r2 = range_boundaries(ref if ":" in ref else f"{ref}:{ref}")
                        except ValueError:
                            continue
                        total += (c2 - c1 + 1) * (r2 - r1 + 1)
                        last = m.end()
                    tail = data[max(last, len(data) - 200) :]
            if total > MAX_MERGED_CELLS:
                raise NotAnnotated(
                    f"the workbook merges {total:,} cells or more (in {info.filename}), over the "
                    f"{MAX_MERGED_CELLS:,} an annotated copy can carry; unmerge them (Home > Merge "
                    "& Center > Unmerge Cells) and check again"
                )


def _what_is_lost(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        names = [n.lower() for n in zf.namelist()]
    lost = []
    for prefix, what in (
        ("xl/charts/", "charts"),
        ("xl/media/", "pictures"),
        ("xl/pivottables/", "pivot tables"),
        ("xl/slicers/", "slicers"),
        ("xl/embeddings/", "embedded objects"),
    ):
        if any(n.startswith(prefix) for n in names):
            lost.append(what)
    return lost


def _load(path: Path):
    import openpyxl

    if not openpyxl.DEFUSEDXML:  # as in the reader: OPENPYXL_DEFUSEDXML=False would allow entity bombs
        raise NotAnnotated(
            "the workbook was not opened to annotate it: defusedxml is not in use by openpyxl "
            "(unset OPENPYXL_DEFUSEDXML)"
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # data_only: each formula cell is loaded with the value saved with it, not the formula
            wb = openpyxl.load_workbook(path, data_only=True, keep_links=False, keep_vba=False, rich_text=True)
        except MemoryError:
            raise
        except Exception as e:  # checked already, so rare: say it plainly
            raise NotAnnotated(f"the workbook could not be opened to annotate it ({type(e).__name__})") from None
    lost = []
    for w in caught:
        text = str(w.message)
        if "will be removed" in text or "not supported" in text:
            lost.append(text.rstrip("."))
    return wb, sorted(set(lost))


# --- no formula and no link of the provider's ---------------------------------------------------------

FORMULAS = "formulas"  # formula cells: each keeps the value saved with it
RULES = "rules"  # defined names, dropdown rules, conditional formats and table columns with a formula
LINKS = "links"  # hyperlinks, links to other workbooks, data connections, names pointing outside


def _formula_cells(fh) -> int:
    """The formula cells in one worksheet part: ``<f>`` elements inside ``<sheetData>`` (the formulas of
    an extension list's rules, ``<xm:f>``, lie outside it), read in chunks."""
    count, inside, tail, keep = 0, False, b"", 256  # longer than any tag the pattern matches
    chunks = iter(lambda: fh.read(1 << 20), b"")
    while True:
        chunk = next(chunks, None)
        data = tail + (chunk or b"")
        limit = len(data) if chunk is None else len(data) - keep
        done = 0
        for m in _F_OR_SHEETDATA_RE.finditer(data):
            if m.start() >= limit:
                break
            closing, tag = m.group(1), m.group(2)
            if tag == b"sheetData":
                end = data.find(b">", m.end())
                inside = not closing and not (end > 0 and data[end - 1 : end] == b"/")  # <sheetData/> holds nothing
            elif inside and not closing:
                count += 1
            done = m.end()
        if chunk is None:
            return count
        tail = data[max(done, limit) :]


def count_formula_cells(path: Path) -> int:
    """The formula cells in every worksheet of the workbook at ``path``."""
    total = 0
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.filename.lower().endswith(".xml"):
                with zf.open(info) as fh:
                    total += _formula_cells(fh)
    return total


def _removed_in_package(path: Path) -> dict[str, int]:
    """What the load itself leaves out, counted from the package: formula cells (data_only loads their
    saved values), external-link parts (``keep_links=False``) and data connections (openpyxl keeps none)."""
    links = 0
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            name = info.filename.lower()
            if _EXTERNAL_LINK_PART_RE.match(name):
                links += 1
            elif name.endswith("/connections.xml") and info.file_size <= 50_000_000:
                links += len(_CONNECTION_RE.findall(zf.read(info)))
    return {FORMULAS: count_formula_cells(path), RULES: 0, LINKS: links}


def _outside(formula) -> str | None:
    """None for an inert formula (constants, operators, parentheses and references inside the workbook:
    nothing Excel would fetch or run); LINKS for one that points outside the workbook (another file, a
    DDE server); RULES for anything else that computes (a function)."""
    from openpyxl.formula.tokenizer import Token, Tokenizer, TokenizerError

    text = str(formula).strip()
    if not text:
        return None
    try:
        items = Tokenizer(text if text.startswith("=") else "=" + text).items
    except (TokenizerError, IndexError, ValueError):  # not a formula Excel would accept: removed all the same
        return LINKS if _points_outside(text) else RULES
    for t in items:
        if t.type == Token.OPERAND:
            if t.subtype in (Token.NUMBER, Token.TEXT, Token.LOGICAL, Token.ERROR):
                continue
            if t.subtype == Token.RANGE:
                if _REF_RE.match(t.value) or _NAME_RE.match(t.value):
                    continue
                return LINKS if _points_outside(t.value) else RULES
            return RULES
        if t.type in (Token.OP_PRE, Token.OP_IN, Token.OP_POST, Token.WSPACE):
            continue
        if t.type == Token.PAREN:
            continue
        return RULES  # a function, an array, a separator of arguments
    return None


def _points_outside(text: str) -> bool:
    """Another workbook (``[1]``, ``[pay.xlsx]``), a DDE server (``cmd|…``), a path or an address."""
    return any(mark in text for mark in ("[", "|", ":\\", "\\\\", "://"))


def _neutralise(wb, removed: dict[str, int]) -> None:
    """Remove what the load kept of the provider's formulas and links from ``wb``, adding to ``removed``;
    quote-prefix the provider's text that would read as a formula."""
    from openpyxl.cell.rich_text import CellRichText

    for ws in wb.worksheets:
        for cell in list(ws._cells.values()):
            if getattr(cell, "_hyperlink", None) is not None:  # to a web page, a file, an address, a place
                cell._hyperlink = None
                removed[LINKS] += 1
            if cell.data_type == "f":  # data_only loads values; a formula here is removed all the same
                cell.value = None
                removed[FORMULAS] += 1
            value = cell._value
            if isinstance(value, str):
                if looks_like_formula(value):
                    put(cell, value, exact=True)
            elif isinstance(value, CellRichText) and looks_like_formula(str(value)):
                cell.quotePrefix = True
        kept = []
        for dv in ws.data_validations.dataValidation:
            why = next(filter(None, (_outside(f) for f in (dv.formula1, dv.formula2) if f is not None)), None)
            if why:
                removed[why] += 1
            else:
                kept.append(dv)
        ws.data_validations.dataValidation = kept
        rules = ws.conditional_formatting._cf_rules
        for cf, cf_rules in list(rules.items()):
            keep = []
            for rule in cf_rules:
                values = list(rule.formula or ())
                for scale in (rule.colorScale, rule.dataBar, rule.iconSet):
                    values += [v.val for v in (getattr(scale, "cfvo", None) or ()) if v.val is not None]
                why = next(filter(None, map(_outside, values)), None)
                if why:
                    removed[why] += 1
                else:
                    keep.append(rule)
            if keep:
                rules[cf] = keep
            else:
                del rules[cf]
        for table in ws.tables.values():
            for column in table.tableColumns:
                for attr in ("calculatedColumnFormula", "totalsRowFormula"):
                    if getattr(column, attr) is not None:
                        setattr(column, attr, None)
                        removed[RULES] += 1
            if table.connectionId is not None or table.tableType == "queryTable":
                table.connectionId, table.tableType = None, None
        _drop_names(ws.defined_names, removed)
    _drop_names(wb.defined_names, removed)


def _drop_names(names, removed: dict[str, int]) -> None:
    """Remove defined names that compute or point outside the workbook (a print area stays)."""
    for key, defn in list(names.items()):
        why = _outside(defn.value or "")
        if why:
            del names[key]
            removed[why] += 1


def _verify(path: Path) -> None:
    """Read the written copy back: no formula cell, no external relationship, no external-link part,
    no data connection and no defined name that computes or points outside, or no copy."""
    import xml.etree.ElementTree as ET

    left = []
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            low = name.lower()
            if low.startswith("xl/externallinks/") or low.endswith("/connections.xml") or "querytable" in low:
                left.append(name)
            elif low.endswith(".rels") and re.search(rb"TargetMode\s*=\s*[\"']External", zf.read(name), re.I):
                left.append(f"an external relationship in {name}")
        book = ET.fromstring(zf.read("xl/workbook.xml"))
        for el in book.iter():
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "externalReference" or (tag == "definedName" and _outside(el.text or "")):
                left.append(f"{tag} {el.get('name', '')}".strip())
    if count_formula_cells(path):
        left.append("formula cells")
    if left:
        log.warning("annotated copy kept %s", "; ".join(left[:5]))
        raise NotAnnotated(
            "could not write an annotated copy without the workbook's formulas and links "
            f"({safe_text(left[0], 120)}). No annotated copy was written; the check's report is "
            "unaffected."
        )


def removed_note(removed: dict[str, int]) -> str:
    """``swtool removed 3 formulas (their saved values kept) and 2 links from this copy.``, or ""."""
    parts = []
    if removed.get(FORMULAS):
        n = removed[FORMULAS]
        parts.append(f"{plural(n, 'formula')} ({'its saved value' if n == 1 else 'their saved values'} kept)")
    if removed.get(RULES):
        n = removed[RULES]
        parts.append(
            f"{n} other formula{'' if n == 1 else 's'} (in defined names, dropdown rules, conditional "
            "formats or tables)"
        )
    if removed.get(LINKS):
        parts.append(plural(removed[LINKS], "link"))
    if not parts:
        return ""
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"swtool removed {listed} from this copy."


# --- marking -----------------------------------------------------------------------------------------


def _fill(severity: str):
    from openpyxl.styles import PatternFill

    kind, fg, bg = FILL[severity]
    return PatternFill(fill_type=kind, fgColor=fg, bgColor=bg)


def _clean(text, limit: int) -> str:
    """Text for a cell or a comment: control and bidi characters escaped (openpyxl refuses control
    characters; bidi ones can make a cell read as something else), cut to ``limit``."""
    return safe_text("" if text is None else text, limit)


def _put(cell, text) -> None:
    """Write text swtool made into a cell (``xlsx.put``): never a formula."""
    put(cell, "" if text is None else str(text))


def _sheet_ref(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _target(f: Finding, wb):
    """The (sheet, coordinate) a finding marks in place, or None (it goes on the Findings sheet only)."""
    from openpyxl.utils.cell import column_index_from_string

    if not (f.sheet and f.row and f.column) or f.sheet not in wb.sheetnames:
        return None
    try:
        col = column_index_from_string(f.column)
    except ValueError:
        return None
    if not (1 <= f.row <= 1_048_576 and col <= 16_384):
        return None
    return f.sheet, f"{f.column}{f.row}"


def _anchor(ws, coordinate: str):
    """The cell to mark: a merged cell's top-left cell holds its comment and fill."""
    from openpyxl.cell.cell import MergedCell

    cell = ws[coordinate]
    if isinstance(cell, MergedCell):
        for rng in ws.merged_cells.ranges:
            if coordinate in rng:
                return ws.cell(rng.min_row, rng.min_col)
    return cell


def _counts(findings: list[Finding]) -> str:
    n = {s: sum(1 for f in findings if f.severity == s) for s in (ERROR, WARNING, INFO)}
    parts = [
        plural(n[ERROR], "error") if n[ERROR] else "",
        plural(n[WARNING], "warning") if n[WARNING] else "",
        f"{n[INFO]} info" if n[INFO] else "",
    ]
    return ", ".join(p for p in parts if p)


def comment_text(findings: list[Finding], rules: dict, earlier: str | None = None) -> str:
    """One cell's comment: a title with the worst severity's symbol, then each finding (code, message,
    how to fix), at most MAX_COMMENT characters of it, then any comment the cell had before."""
    fs = sorted(findings, key=lambda f: (severity_rank(f.severity), f.code))
    text = f"{SYMBOL[fs[0].severity]} swtool: {_counts(fs)}"
    blocks = []
    for f in fs:
        rule = rules.get(f.code)
        fix = f"\nHow to fix: {_clean(rule.fix, 600)}" if rule is not None and rule.fix else ""
        blocks.append(f"\n\n{SYMBOL[f.severity]} {f.severity} {f.code} {f.slug}\n{_clean(f.message, 1200)}{fix}")
    if len(text) + sum(map(len, blocks)) > MAX_COMMENT:
        room = MAX_COMMENT - 60  # for "… and N more"
        if len(text) + len(blocks[0]) > room:
            blocks[0] = blocks[0][: room - len(text) - 1] + "…"
        shown = 0
        for b in blocks:
            if len(text) + len(b) > room:
                break
            text += b
            shown += 1
        if shown < len(blocks):
            text += f"\n\n… and {len(blocks) - shown} more: see the {FINDINGS_SHEET} sheet"
    else:
        text += "".join(blocks)
    if earlier:
        text += "\n\n— comment already on this cell —\n" + _clean_lines(earlier, 20_000)
    return text


def _clean_lines(text: str, limit: int) -> str:
    """Like _clean, keeping line breaks."""
    out = "\n".join(safe_text(line, limit) for line in str(text).split("\n"))
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _comment(text: str):
    from openpyxl.comments import Comment

    lines = sum(max(1, math.ceil(len(line) / 52)) for line in text.split("\n"))
    return Comment(text, AUTHOR, height=min(max(60, 15 * lines + 10), 600), width=320)


def _sort_key(f: Finding, order: dict[str, int]):
    from openpyxl.utils.cell import column_index_from_string

    try:
        col = column_index_from_string(f.column) if f.column else 0
    except ValueError:
        col = 0
    sheet = -1 if not f.sheet else order.get(f.sheet, len(order))
    return severity_rank(f.severity), sheet, f.sheet or "", f.row or 0, col, f.code


def _mark(wb, report: FileReport, rules: dict, lost: list[str], removed: dict[str, int] | None = None) -> Annotated:
    order = {name: i for i, name in enumerate(wb.sheetnames)}
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    sheet_only = 0
    for f in report.findings:
        t = _target(f, wb)
        if t is None:
            sheet_only += 1
        else:
            by_cell.setdefault(t, []).append(f)
    for (sheet, coordinate), fs in by_cell.items():
        cell = _anchor(wb[sheet], coordinate)
        worst = min((f.severity for f in fs), key=severity_rank)
        cell.fill = _fill(worst)
        earlier = cell.comment.text if cell.comment is not None else None
        cell.comment = _comment(comment_text(fs, rules, earlier))
    findings = sorted(report.findings, key=lambda f: _sort_key(f, order))
    removed = dict(removed or {})
    _findings_sheet(wb, report, findings, rules, lost, removed)
    if getattr(report, "pmo_view", None) is not None:
        _pmo_view_sheet(wb, report.pmo_view)
    return Annotated(Path(), len(findings), len(by_cell), sheet_only, lost, removed)


def _findings_sheet(
    wb, report: FileReport, findings: list[Finding], rules: dict, lost: list[str], removed: dict[str, int] | None = None
) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.hyperlink import Hyperlink

    from swtool import __version__

    existing = {n.casefold() for n in wb.sheetnames}
    title, k = FINDINGS_SHEET, 1
    while title.casefold() in existing:
        k += 1
        title = f"{FINDINGS_SHEET} ({k})" if k > 1 else FINDINGS_SHEET
    ws = wb.create_sheet(title, 0)
    name = Path(report.path).name
    _put(ws["A1"], f"swtool findings for {name}")
    ws["A1"].font = Font(bold=True, size=14)
    verdict = "cannot be accepted as it stands" if not report.valid else "no errors"
    _put(
        ws["A2"],
        f"{_counts(findings) or 'No findings'}: {verdict}. Checked by swtool {__version__}"
        + (f"; {report.contract} {report.quarter}" if report.contract and report.quarter else "")
        + ".",
    )
    _put(
        ws["A3"],
        f"Marked cells: {SYMBOL[ERROR]} error = red, striped · {SYMBOL[WARNING]} warning = amber · "
        f"{SYMBOL[INFO]} info = blue. Each has a comment saying what is wrong and how to fix it; the Cell column "
        "below links to it. This is a copy for reading: correct your own workbook and check it again.",
    )
    notes = [removed_note(removed or {})]
    if lost:
        notes.append("Not carried into this copy (your original is unchanged): " + "; ".join(lost) + ".")
    if any(notes):
        _put(ws["A4"], " ".join(n for n in notes if n))
    for j, (head, width) in enumerate(COLUMNS, start=1):
        c = ws.cell(HEADER_ROW, j)
        _put(c, head)
        c.font = Font(bold=True)
        ws.column_dimensions[c.column_letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for i, f in enumerate(findings, start=HEADER_ROW + 1):
        rule = rules.get(f.code)
        cells = [ws.cell(i, j) for j in range(1, 7)]
        _put(cells[0], f"{SYMBOL[f.severity]} {f.severity}")
        cells[0].fill = _fill(f.severity)
        _put(cells[1], f.code)
        _put(cells[2], f.slug)
        _put(cells[3], f.cell or f.sheet or "(whole return)")
        link = _link(f, wb, title)
        if link:
            cells[3].hyperlink = Hyperlink(ref=cells[3].coordinate, location=link)
            cells[3].font = Font(color="FF0563C1", underline="single")
        _put(cells[4], f.message)
        _put(cells[5], rule.fix if rule is not None else "")
        for c in cells:
            c.alignment = wrap if c.column >= 5 else top
        # rows are not fitted to wrapped text when a file is opened: size them from the text
        lines = max(_lines(cells[4].value, COLUMNS[4][1]), _lines(cells[5].value, COLUMNS[5][1]))
        if lines > 1:
            ws.row_dimensions[i].height = 15 * lines
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:F{HEADER_ROW + max(len(findings), 1)}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    for other in wb.worksheets:
        other.sheet_view.tabSelected = False
    ws.sheet_view.tabSelected = True
    wb.active = 0
    if wb.views:
        wb.views[0].firstSheet = 0
    _mark_as_copy(wb, report)


def _pmo_view_sheet(wb, view) -> None:
    """The second sheet, ``PMO view``: what the council's PMO will see of the return (``pmo_view``): the
    App 3 item 1 output table, the K701/K702 flags, the estimated service credits with their arithmetic,
    and the claims that would not count, each linked to its row."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.hyperlink import Hyperlink

    from swtool.report.pmo_view import ESTIMATE, SHEET

    existing = {n.casefold() for n in wb.sheetnames}
    title, k = SHEET, 1
    while title.casefold() in existing:
        k += 1
        title = f"{SHEET} ({k})"
    ws = wb.create_sheet(title, 1)
    _put(ws["A1"], view.heading())
    ws["A1"].font = Font(bold=True, size=14)
    _put(
        ws["A2"],
        f"These figures are {ESTIMATE}. A claim counts when no error is on its row and its client's registration "
        "has no eligibility error, as the PMO counts it. Correct the return and check it again to see them change.",
    )
    head = ["Output", "Name", "Annual target", "Quarterly target", "Actual", "% of target", "Flag"]
    if view.history_given:
        head += ["Actual to date", "Target to date", "% to date"]
    widths = [8, 45, 14, 16, 10, 12, 12, 14, 14, 12]
    for j, h in enumerate(head, start=1):
        c = ws.cell(4, j)
        _put(c, h)
        c.font = Font(bold=True)
        ws.column_dimensions[c.column_letter].width = widths[j - 1]
    i = 4
    for r in view.rows:
        i += 1
        values = [r.output, r.title, r.annual_target, r.target, r.actual, r.percent, " ".join(r.flags)]
        if view.history_given:
            values += [r.actual_to_date, r.target_to_date, r.percent_to_date]
        for j, v in enumerate(values, start=1):
            put(ws.cell(i, j), v)
        if r.flags:
            ws.cell(i, 7).fill = _fill(WARNING)
    wrap = Alignment(wrap_text=True, vertical="top")

    def note(label: str, text: str, link: str | None = None) -> None:
        nonlocal i
        i += 1
        _put(ws.cell(i, 1), label)
        ws.cell(i, 1).alignment = Alignment(vertical="top")
        _put(ws.cell(i, 2), text)
        ws.merge_cells(start_row=i, start_column=2, end_row=i, end_column=len(head))
        ws.cell(i, 2).alignment = wrap
        lines = _lines(text, sum(widths[1 : len(head)]))
        if lines > 1:
            ws.row_dimensions[i].height = 15 * lines
        if link:
            ws.cell(i, 1).hyperlink = Hyperlink(ref=ws.cell(i, 1).coordinate, location=link)
            ws.cell(i, 1).font = Font(color="FF0563C1", underline="single")

    i += 1
    for code, message in view.flags:
        if code != "K702":  # said with its credit arithmetic, below
            note(code, message)
    for c in view.credits:
        note("K702" if c.underperforming else f"Output {c.output}", c.reason)
    for sentence in view.sentences(flags=False, not_counted=False):
        note("", sentence)
    if view.not_counted:
        i += 1
        _put(ws.cell(i + 1, 1), "Claims on this return that would not count")
        ws.cell(i + 1, 1).font = Font(bold=True)
        i += 1
        for x in view.not_counted:
            sheet, _, cell = x.cell.partition("!")
            link = f"{_sheet_ref(sheet)}!{cell}" if sheet in wb.sheetnames else None
            note(x.cell, f"output {x.output or '(none)'}: {x.why}", link)
    ws.freeze_panes = "A5"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _lines(text, width: int) -> int:
    """Lines a wrapped cell of ``width`` characters needs for ``text`` (a little generous)."""
    return max(1, math.ceil(len(str(text or "")) / max(1, width - 8)))


def _link(f: Finding, wb, findings_title: str) -> str | None:
    """The internal link location for a finding's place: its cell, its row's first cell or its sheet."""
    if not f.sheet or f.sheet not in wb.sheetnames or f.sheet == findings_title:
        return None
    if f.row and f.column and _target(f, wb):
        return f"{_sheet_ref(f.sheet)}!{f.column}{f.row}"
    if f.row and 1 <= f.row <= 1_048_576:
        return f"{_sheet_ref(f.sheet)}!A{f.row}"
    return f"{_sheet_ref(f.sheet)}!A1"


def _mark_as_copy(wb, report: FileReport) -> None:
    from openpyxl.packaging.custom import StringProperty

    props = wb.custom_doc_props
    for p in list(props.props):
        if p.name == MARKER:
            props.props.remove(p)
    props.append(StringProperty(name=MARKER, value=f"sha256 {report.sha256}"))
