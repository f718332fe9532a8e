"""Make samples/evidence/: the evidence folder of one sample return, for `swtool check --evidence`.

    python samples/make_evidence.py

One tiny, valid PDF (a few hundred bytes, one page naming the claim) for every Evidence reference of
samples/returns/SW-L3-01/SW-L3-01_2026-27_Q2.xlsx, except two left out on purpose, so that the demo
shows rule C215. Deterministic: the same return gives byte-identical files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
RETURN = HERE / "returns" / "SW-L3-01" / "SW-L3-01_2026-27_Q2.xlsx"
FOLDER = HERE / "evidence"
LEFT_OUT = 2


def references(path: Path = RETURN) -> list[str]:
    """The Evidence references of the return's Claims sheet, in row order."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = wb["Claims"].iter_rows(values_only=True)
        header = list(next(rows))
        col = header.index("Evidence reference")
        refs = []
        for row in rows:
            if col < len(row) and row[col]:
                refs += [p.strip() for p in str(row[col]).replace("\n", ";").split(";") if p.strip()]
        return refs
    finally:
        wb.close()


def left_out(refs: list[str]) -> list[str]:
    """The references given no file: one a third of the way in, one two thirds."""
    n = len(refs)
    return [refs[n // 3], refs[2 * n // 3]] if n >= LEFT_OUT else []


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF 1.4 showing ``text`` in Helvetica, with a correct cross-reference table."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 72 720 Td ({safe}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make(folder: Path = FOLDER, path: Path = RETURN) -> tuple[list[str], list[str]]:
    """Write the folder afresh; returns (references with a file, references left out)."""
    refs = list(dict.fromkeys(references(path)))
    missing = left_out(refs)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    made = []
    for ref in refs:
        if ref in missing:
            continue
        name = ref if Path(ref).suffix else f"{ref}.pdf"
        (folder / name).write_bytes(minimal_pdf(f"Sample evidence {Path(ref).stem} (not a real document)"))
        made.append(ref)
    (folder / "README.txt").write_text(
        f"Sample evidence for {path.name}, made by samples/make_evidence.py.\n"
        f"Left out on purpose, so that `swtool check --evidence` shows rule C215: {', '.join(missing)}.\n",
        encoding="utf-8")
    return made, missing


if __name__ == "__main__":
    made, missing = make()
    print(f"Wrote {len(made)} evidence files to {FOLDER.relative_to(HERE.parent)}; left out: {', '.join(missing)}")
