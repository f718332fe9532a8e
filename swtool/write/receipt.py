"""A check receipt: what was checked, with what, when, and what was found.

``swtool check --receipt`` writes one beside each input (``<file>.receipt.json``), so that a provider
can show the council which file they checked (its sha256), with which version of swtool, of the
rules and of the reference data, and what the check said, and the council can check it again with
the same settings. It holds no cell values and no messages: only counts by severity and by code.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

from swtool import __version__
from swtool.findings import SEVERITIES, FileReport

RECEIPT_VERSION = 1


def receipt_path(source: Path) -> Path:
    """``return.xlsx`` → ``return.xlsx.receipt.json``, beside it."""
    source = Path(source)
    return source.with_name(source.name + ".receipt.json")


def refdata_versions(overrides: Path | None = None) -> dict[str, dict]:
    """For each reference file: shipped or override, what it covers, its vintage and source."""
    from swtool.model.refdata import FILES, coverage, load_file

    out = {}
    for name in FILES:
        f = load_file(name, overrides)
        out[name] = {
            "from": "override" if f.overridden else "shipped",
            "covers": coverage(f),
            "vintage": f.ref.vintage,
            "source": f.ref.source,
        }
        if f.refused:
            out[name]["override_refused"] = f.refused
    return out


def build(
    report: FileReport,
    source: Path,
    today: date,
    ruleset_version: str,
    refdata: dict[str, dict],
    checked_at: datetime | None = None,
    options: dict | None = None,
) -> dict:
    """The receipt of one checked file.

    Args:
        report: the file's report, as checked (not redacted: only counts are taken from it).
        source: the file that was checked.
        today: the date deadlines were counted from (``--today`` or the real date).
        ruleset_version: ``catalogue.ruleset_version()``.
        refdata: ``refdata_versions()``, computed once per run.
        checked_at: when the check ran (UTC); now when None.
        options: what else the check was given (register, history, evidence), as text.
    """
    source = Path(source)
    checked_at = checked_at or datetime.now(UTC)
    try:
        size = source.stat().st_size
    except OSError:
        size = None
    by_code = Counter(f.code for f in report.findings)
    return {
        "receipt_version": RECEIPT_VERSION,
        "file": source.name,
        "sha256": report.sha256,
        "size": size,
        "tool": "swtool",
        "tool_version": __version__,
        "ruleset_version": ruleset_version,
        "reference_data": refdata,
        "checked_at": checked_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "today": today.isoformat(),
        "settings": dict(report.settings),
        "options": options or {},
        "contract": report.contract,
        "quarter": report.quarter,
        "valid": report.valid,
        "summary": {
            "by_severity": {s: report.summary[s] for s in SEVERITIES},
            "by_code": dict(sorted(by_code.items())),
        },
    }


def write(receipt: dict, source: Path) -> Path:
    """Write ``receipt`` beside ``source`` atomically; returns where."""
    from swtool.write.atomic import write_text

    target = receipt_path(source)
    write_text(target, json.dumps(receipt, indent=2, ensure_ascii=False) + "\n")
    return target
