"""Draw the README's picture of a contract report's charts as SVG, from the charts in the workbook.

    .venv/bin/python docs/make_chart_image.py [REPORT.xlsx] [-o docs/img/contract-report-output-4.svg]

It opens the contract report that ``make demo`` writes (samples/out/SW-L3-01-contract-report.xlsx),
finds two of its native Excel charts on the Charts sheet (output 4 per quarter, and to date), reads
the cells each series points at, and draws the same series: bars and lines, the same categories and
titles. So the picture shows what the workbook's charts show, drawn without Excel or LibreOffice
(the LibreOffice here has no PNG export for spreadsheets). The SVG is the same file every time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "samples" / "out" / "SW-L3-01-contract-report.xlsx"
IMAGE = ROOT / "docs" / "img" / "contract-report-output-4.svg"
CHARTS = ("Output 4: Clients progressing into a better role, per quarter",
          "Output 4: Clients progressing into a better role, to date")
COLOURS = ("#1F4E78", "#ED7D31", "#70AD47", "#FFC000")
W, H = 460, 300            # one panel
LEFT, RIGHT, TOP, BOTTOM = 48, 14, 40, 78


def cells(wb, ref: str) -> list:
    """The values of the cells a chart reference names: ``'Outputs'!$E$10:$E$15``."""
    sheet, rng = ref.rsplit("!", 1)
    return [c.value for row in wb[sheet.strip("'")][rng.replace("$", "")] for c in row]


def chart_series(path: Path, titles=CHARTS) -> list[dict]:
    """``[{title, kind, categories, series: {name: values}}]`` for the charts whose titles are given."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    found = {}
    for ch in wb["Charts"]._charts:
        title = "".join(r.t for p in ch.title.tx.rich.p for r in (p.r or []))
        cat = ch.series[0].cat
        found[title] = {"title": title, "kind": "line" if ch.tagname == "lineChart" else "bar",
                        "categories": [str(v) for v in cells(wb, (cat.numRef or cat.strRef).f)],
                        "series": {s.tx.v: cells(wb, s.val.numRef.f) for s in ch.series}}
    missing = [t for t in titles if t not in found]
    if missing:
        raise SystemExit(f"{path}: no chart titled {missing[0]!r} on its Charts sheet")
    return [found[t] for t in titles]


def _nice_top(value: float) -> tuple[float, float]:
    """An axis maximum and step: 31.5 → (35, 5)."""
    if value <= 0:
        return 1.0, 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000, 2000, 5000, 10000):
        if value / step <= 8:
            return step * -(-value // step), float(step)
    return value, value / 5


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def panel(chart: dict, x0: float) -> list[str]:
    cats, series = chart["categories"], chart["series"]
    values = [v for vs in series.values() for v in vs if v is not None]
    top, step = _nice_top(max(values) if values else 0)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    out = [f'<text x="{_n(x0 + W / 2)}" y="20" text-anchor="middle" font-size="13" font-weight="bold">'
           f'{escape(chart["title"])}</text>']

    def y(v):
        return TOP + ph - ph * float(v) / top

    tick = 0.0
    while tick <= top + 1e-9:
        out.append(f'<line x1="{_n(x0 + LEFT)}" y1="{_n(y(tick))}" x2="{_n(x0 + LEFT + pw)}" y2="{_n(y(tick))}" '
                   f'stroke="#D9D9D9"/>')
        out.append(f'<text x="{_n(x0 + LEFT - 6)}" y="{_n(y(tick) + 4)}" text-anchor="end" font-size="11">'
                   f'{_n(tick)}</text>')
        tick += step
    band = pw / max(len(cats), 1)
    for i, c in enumerate(cats):
        cx = x0 + LEFT + band * (i + 0.5)
        out.append(f'<text x="{_n(cx)}" y="{_n(TOP + ph + 14)}" text-anchor="end" font-size="11" '
                   f'transform="rotate(-35 {_n(cx)} {_n(TOP + ph + 14)})">{escape(c)}</text>')
    names = list(series)
    for k, name in enumerate(names):
        colour = COLOURS[k % len(COLOURS)]
        vals = series[name]
        if chart["kind"] == "bar":
            bw = band * 0.8 / len(names)
            for i, v in enumerate(vals):
                if v is None:
                    continue
                bx = x0 + LEFT + band * i + band * 0.1 + bw * k
                out.append(f'<rect x="{_n(bx)}" y="{_n(y(v))}" width="{_n(bw)}" height="{_n(y(0) - y(v))}" '
                           f'fill="{colour}"/>')
        else:
            run: list[str] = []
            for i, v in enumerate(vals + [None]):
                if v is None:
                    if len(run) > 1:
                        out.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                                   f'stroke-width="2.5"/>')
                    run = []
                    continue
                run.append(f"{_n(x0 + LEFT + band * (i + 0.5))},{_n(y(v))}")
                out.append(f'<circle cx="{_n(x0 + LEFT + band * (i + 0.5))}" cy="{_n(y(v))}" r="3" fill="{colour}"/>')
        lx = x0 + LEFT + 10 + k * 130
        out.append(f'<rect x="{_n(lx)}" y="{H - 16}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{_n(lx + 16)}" y="{H - 6}" font-size="11">{escape(name)}</text>')
    out.append(f'<line x1="{_n(x0 + LEFT)}" y1="{_n(y(0))}" x2="{_n(x0 + LEFT + pw)}" y2="{_n(y(0))}" stroke="#595959"/>')
    return out


def svg(charts: list[dict]) -> str:
    width = W * len(charts)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{H}" viewBox="0 0 {width} {H}" '
             'font-family="Calibri, Arial, sans-serif">', f'<rect width="{width}" height="{H}" fill="white"/>']
    for i, chart in enumerate(charts):
        parts += panel(chart, i * W)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report", nargs="?", type=Path, default=REPORT)
    ap.add_argument("-o", "--output", type=Path, default=IMAGE)
    args = ap.parse_args(argv)
    if not args.report.is_file():
        print(f"{args.report}: no such report; `make demo` writes it", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(svg(chart_series(args.report)), encoding="utf-8")
    print(f"Wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
