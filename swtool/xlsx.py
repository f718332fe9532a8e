"""Writing the council's workbooks the same way every time.

openpyxl's own ``save`` stamps the document with the time of saving, so two writes of the same
content differ; ``save`` here writes through openpyxl's ExcelWriter with fixed document dates,
atomically (a temporary file, then one rename), so ``templates/`` can be tested for drift and a
plan or report written twice is the same file.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from swtool.atomic import atomic_path

FIXED_TIME = datetime(2026, 4, 1)


def save(wb, output: Path) -> Path:
    from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

    from openpyxl.writer.excel import ExcelWriter

    class FixedTimeZip(ZipFile):
        """Every part dated FIXED_TIME (zipfile would date each part with the time of writing)."""

        def writestr(self, name, data, *args, **kwargs):
            if isinstance(name, str):
                name = ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
                name.compress_type = ZIP_DEFLATED
            return super().writestr(name, data, *args, **kwargs)

        def write(self, filename, arcname=None, *args, **kwargs):  # worksheets come from temporary files
            with open(filename, "rb") as fh:
                return self.writestr(str(arcname or filename), fh.read())

    wb.properties.creator = wb.properties.lastModifiedBy = "swtool"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    output = Path(output)
    with atomic_path(output) as tmp:
        with FixedTimeZip(tmp, "w", ZIP_DEFLATED, allowZip64=True) as archive:
            ExcelWriter(wb, archive).save()
    return output
