"""The text report a provider reads: findings by sheet, repeats grouped, a summary and the deadline."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from swtool.findings import ERROR, INFO, WARNING, FileReport, severity_rank
from swtool.model.quarter import Quarter, uk_date
from swtool.model.standard import RETURN_SHEETS
from swtool.model.words import plural
from swtool.report.safe import safe_text

EXAMPLES = 3
SHEET_ORDER = {s.name: i for i, s in enumerate(RETURN_SHEETS)}


def summary_words(counts: dict[str, int]) -> str:
    return f"{plural(counts[ERROR], 'error')}, {plural(counts[WARNING], 'warning')}, {counts[INFO]} info"


def deadline_line(report: FileReport, refdata, today: date) -> str | None:
    if not report.quarter:
        return None
    d = refdata.deadlines.get(report.quarter)
    if d is None:
        return f"Deadline: {report.quarter} is not in the framework calendar"
    q = Quarter.parse(report.quarter)
    head = f"Deadline for {q.financial_year} {q.label}: reporting {uk_date(d.reporting)}, final {uk_date(d.final)}"
    if report.submitted is not None:
        s = report.submitted
        if s <= d.reporting:
            return f"{head}; submitted {uk_date(s)}, on time"
        if s <= d.final:
            return f"{head}; submitted {uk_date(s)}, {plural((s - d.reporting).days, 'day')} late"
        return f"{head}; submitted {uk_date(s)}, after the final deadline"
    if today <= d.reporting:
        left = (d.reporting - today).days
        return f"{head}: {plural(left, 'day')} left" if left else f"{head}: due today"
    if today <= d.final:
        return (
            f"{head}: {plural((today - d.reporting).days, 'day')} past the reporting deadline, "
            f"{plural((d.final - today).days, 'day')} to the final deadline"
        )
    return f"{head}: final deadline passed {plural((today - d.final).days, 'day')} ago"


def render_file(report: FileReport, refdata, today: date, redact: bool = False) -> list[str]:
    lines = [safe_text(report.path)]
    facts = [
        x for x in (report.contract, report.provider, f"lot {report.lot}" if report.lot else None, report.quarter) if x
    ]
    if facts:
        lines.append("  " + safe_text(" · ".join(facts)))
    dl = deadline_line(report, refdata, today)
    if dl:
        lines.append("  " + dl)
    if report.evidence:
        lines.append("  " + safe_text(report.evidence))
    for note in report.notes:
        lines.append("  note: " + safe_text(note))
    by_sheet: dict[str, list] = defaultdict(list)
    for f in report.findings:
        by_sheet[f.sheet or ""].append(f)
    for sheet in sorted(by_sheet, key=lambda s: (s == "", SHEET_ORDER.get(s, 99), s)):
        lines.append("")
        lines.append(f"  {safe_text(sheet) if sheet else 'Whole return'}")
        groups: dict[str, list] = defaultdict(list)
        for f in by_sheet[sheet]:
            groups[f.code].append(f)
        for code in sorted(groups, key=lambda c: (severity_rank(groups[c][0].severity), c)):
            fs = sorted(groups[code], key=lambda f: (f.row or 0, f.column or ""))
            for f in fs[:EXAMPLES]:
                lines.append(f"    {f.severity:<8}{f.code}  {safe_text(f.message)}")
            if len(fs) > EXAMPLES:
                rest = fs[EXAMPLES:]
                rows = sorted({f.row for f in rest if f.row})
                shown = ", ".join(map(str, rows[:8])) + (", …" if len(rows) > 8 else "")
                where = f" ({'row' if len(rows) == 1 else 'rows'} {shown})" if rows else ""
                lines.append(f"    {'':<8}{code}  … and {len(rest)} more like this{where}")
    if not report.findings:
        lines.append("")
        lines.append("  No findings.")
    lines.append("")
    verdict = "cannot be accepted as it stands" if not report.valid else "no errors"
    lines.append(f"  {summary_words(report.summary)}: {verdict}")
    if report.pmo_view is not None:
        from swtool.report.pmo_view import text_lines

        lines += text_lines(report.pmo_view)
    return lines


def render(
    reports: list[FileReport], refdata, today: date, settings_words: str | None = None, redact: bool = False
) -> str:
    out: list[str] = []
    for r in reports:
        out += render_file(r, refdata, today, redact)
        out.append("")
    totals = {ERROR: 0, WARNING: 0, INFO: 0}
    for r in reports:
        for k, v in r.summary.items():
            totals[k] += v
    bad = sum(1 for r in reports if not r.valid)
    out.append(
        f"{plural(len(reports), 'file')} checked: {len(reports) - bad} without errors, {bad} with errors; "
        f"{summary_words(totals)}"
    )
    if settings_words:
        out.append(settings_words)
    return "\n".join(out) + "\n"
