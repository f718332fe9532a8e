"""The JSON report (format version 1; docs/json-report.md describes every field)."""

from __future__ import annotations

import json

from swtool import __version__
from swtool.findings import FileReport

FORMAT_VERSION = 1


def as_dict(reports: list[FileReport], ruleset_version: str) -> dict:
    return {
        "tool": "swtool",
        "version": __version__,
        "format_version": FORMAT_VERSION,
        "ruleset_version": ruleset_version,
        "files": [
            {
                "path": r.path,
                "sha256": r.sha256,
                "contract": r.contract,
                "provider": r.provider,
                "lot": r.lot,
                "quarter": r.quarter,
                "summary": r.summary,
                "settings": r.settings,
                "notes": r.notes,
                "findings": [f.to_dict() for f in r.sorted()],
                "pmo_view": r.pmo_view.to_dict() if r.pmo_view is not None else None,
            }
            for r in reports
        ],
    }


def render(reports: list[FileReport], ruleset_version: str) -> str:
    return json.dumps(as_dict(reports, ruleset_version), indent=2, ensure_ascii=False) + "\n"
