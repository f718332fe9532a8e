"""Reference data: the framework's own facts and the official files the package ships.

Every file lives in ``swtool/data/``. The council can drop a newer copy of any of them (a new CPI
month, next year's London Living Wage, an ONS postcode extract) into the override folder
(``<user data dir>/refdata``) without reinstalling: a file there wins, once it has passed the same
validation as the shipped one. A malformed override is refused, said so, and the shipped file used.

Only the standard library is imported here: ``swtool refdata`` and every check start fast.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path

from swtool.errors import RefDataError

PACKAGE_DATA = Path(__file__).resolve().parent.parent / "data"

OGL = "Open Government Licence v3.0"
POSTCODE_ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right; Contains Royal Mail data © Royal Mail "
    "copyright and database right; Contains National Statistics data © Crown copyright and database right"
)
FRAMEWORK_SOURCE = "Southwark Works specification (January 2023) and the council's rule catalogue"


def user_data_dir() -> Path:
    """The folder where swtool keeps its own files (the ledger, reference-data overrides).

    ``SWTOOL_DATA_DIR`` wins over the platform's user data dir, so a council can point every
    user at a shared folder and tests can isolate themselves.
    """
    env = os.environ.get("SWTOOL_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("swtool", appauthor=False))


def override_dir() -> Path:
    return user_data_dir() / "refdata"


# --- value parsers: each raises ValueError with a short reason -------------------------------------


def _text(v: str) -> str:
    if not v.strip():
        raise ValueError("is empty")
    return v.strip()


def _opt_text(v: str) -> str:
    return v.strip()


def _iso_date(v: str) -> date:
    try:
        return date.fromisoformat(v.strip())
    except ValueError:
        raise ValueError("is not a date in YYYY-MM-DD form") from None


def _opt_iso_date(v: str) -> date | None:
    """A date in YYYY-MM-DD form, or None for an empty cell."""
    return _iso_date(v) if v.strip() else None


def _month(v: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", v.strip()):
        raise ValueError("is not a month in YYYY-MM form")
    return v.strip()


def _number(v: str) -> float:
    try:
        return float(v.strip())
    except ValueError:
        raise ValueError("is not a number") from None


def _opt_int(v: str) -> int | None:
    if not v.strip():
        return None
    try:
        return int(v.strip())
    except ValueError:
        raise ValueError("is not a whole number") from None


def _fin_year(v: str) -> str:
    if not re.fullmatch(r"\d{4}/\d{2}", v.strip()):
        raise ValueError("is not a financial year like 2026/27")
    return v.strip()


def _quarter(v: str) -> str:
    if v.strip() not in ("Q1", "Q2", "Q3", "Q4"):
        raise ValueError("is not Q1, Q2, Q3 or Q4")
    return v.strip()


def _yn(v: str) -> str:
    if v.strip() not in ("Y", "N", ""):
        raise ValueError("is not Y or N")
    return v.strip()


@dataclass(frozen=True)
class RefFile:
    """One reference file: its columns (with parsers), where it came from and what it covers."""

    name: str
    title: str
    columns: dict[str, Callable[[str], object]]
    source: str
    licence: str
    vintage: str
    coverage_column: str | None = None  # a date/month/year column: coverage is its first and last
    attribution: str = ""
    optional: frozenset[str] = frozenset()  # columns a file may leave out (each row then gets None)


FILES: dict[str, RefFile] = {
    f.name: f
    for f in [
        RefFile(
            "lots.csv",
            "Lots, values and minimum targets",
            {
                "lot": _text,
                "title": _text,
                "max_annual_value": _number,
                "output_2_minimum_low": _opt_int,
                "output_2_minimum_high": _opt_int,
                "output_4_minimum": _opt_int,
                "output_1_minimum": _opt_int,
                "age_min": _opt_int,
                "age_max": _opt_int,
            },
            FRAMEWORK_SOURCE + " (§2 Table 1, §4 Table 3, §14)",
            "council",
            "January 2023",
        ),
        RefFile(
            "outputs.csv",
            "Outputs defined for each lot",
            {"lot": _text, "output": _text, "title": _text, "core": _text},
            FRAMEWORK_SOURCE + " (§4, §14)",
            "council",
            "January 2023",
        ),
        RefFile(
            "eligibility_codes.csv",
            "Eligibility criteria per lot",
            {"lot": _text, "code": _text},
            FRAMEWORK_SOURCE + " (§14, App 1 §5)",
            "council",
            "January 2023",
        ),
        RefFile(
            "evidence_codes.csv",
            "Acceptable evidence per output",
            {"output": _text, "variant": _opt_text, "code": _text},
            FRAMEWORK_SOURCE + " (App 2 §2.4)",
            "council",
            "January 2023",
        ),
        RefFile(
            "deadlines.csv",
            "Quarterly reporting deadlines",
            {
                "financial_year": _fin_year,
                "quarter": _quarter,
                "reporting_deadline": _iso_date,
                "final_deadline": _iso_date,
            },
            FRAMEWORK_SOURCE + " (App 2 §1.2)",
            "council",
            "January 2023",
            coverage_column="reporting_deadline",
        ),
        RefFile(
            "southwark_postcodes.csv",
            "Southwark postcodes",
            {"postcode": _text, "outward_code": _text, "sector": _text, "southwark_per_ons_nov2020": _yn},
            "ONS Postcode to OA/LSOA/MSOA/LAD lookup (November 2020); OS Code-Point Open 2014.3.0",
            OGL,
            "ONS November 2020",
            attribution=POSTCODE_ATTRIBUTION,
        ),
        RefFile(
            "southwark_postcode_sectors.csv",
            "Southwark postcode sectors",
            {"sector": _text, "status_ons_nov2020": _text},
            "Derived from the ONS November 2020 lookup",
            OGL,
            "ONS November 2020",
            attribution=POSTCODE_ATTRIBUTION,
        ),
        RefFile(
            "southwark_postcode_districts.csv",
            "Southwark postcode districts",
            {"district": _text},
            "Derived from the ONS November 2020 lookup",
            OGL,
            "ONS November 2020",
            attribution=POSTCODE_ATTRIBUTION,
        ),
        RefFile(
            "london_living_wage.csv",
            "London Living Wage",
            {
                "rate_year": _text,
                "london_living_wage_gbp_per_hour": _number,
                "announced_date": _iso_date,
                "implement_by_date": _iso_date,
            },
            "Living Wage Foundation announcements",
            "facts, cited per row",
            "2025-26 rate",
            coverage_column="implement_by_date",
        ),
        RefFile(
            "cpi_uk_d7g7.csv",
            "CPI 12-month rate (ONS D7G7) and release dates",
            {"month": _month, "cpi_rate": _number, "release_date": _opt_iso_date},
            "ONS series D7G7, with ONS release dates",
            OGL,
            "May 2026",
            coverage_column="month",
            optional=frozenset({"release_date"}),
        ),
        RefFile(
            "bank_holidays_england_wales.csv",
            "Bank holidays, England and Wales",
            {"date": _iso_date, "title": _text},
            "GOV.UK bank-holidays.json (england-and-wales); 2028 computed",
            OGL,
            "2025-08",
            coverage_column="date",
        ),
        RefFile(
            "national_minimum_wage_rates.csv",
            "National Minimum and Living Wage rates",
            {"effective_from": _iso_date, "age_band": _text, "hourly_rate_gbp": _number},
            "GOV.UK National Minimum Wage and National Living Wage rates",
            OGL,
            "April 2026",
            coverage_column="effective_from",
        ),
    ]
}


@dataclass
class LoadedFile:
    """A reference file as loaded: where from, its rows, and any override that was refused."""

    ref: RefFile
    path: Path
    overridden: bool
    rows: list[dict]
    refused: str | None = None  # why an override was refused, if one was


def _parse(ref: RefFile, path: Path) -> list[dict]:
    """Read and validate one file; RefDataError names the file, row and column."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [c for c in ref.columns if c not in header and c not in ref.optional]
            if missing:
                raise RefDataError(
                    f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(header) or 'nothing'})"
                )
            rows = []
            for n, raw in enumerate(reader, start=2):
                row = dict(raw)
                for col, parse in ref.columns.items():
                    try:
                        row[col] = parse(raw.get(col) or "")
                    except ValueError as e:
                        raise RefDataError(f"{path}: row {n}, column {col}: {raw.get(col)!r} {e}") from None
                rows.append(row)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise RefDataError(f"{path}: cannot be read ({e})") from None
    if not rows:
        raise RefDataError(f"{path}: has no rows")
    return rows


def postcode_set(rows: list[dict]) -> frozenset[str]:
    """The Southwark postcodes of the postcode file's rows (those ONS places in Southwark), upper case."""
    return frozenset(r["postcode"].upper() for r in rows if r["southwark_per_ons_nov2020"] != "N")


@lru_cache(maxsize=1)
def shipped_postcodes() -> frozenset[str]:
    """``postcode_set`` of the shipped postcode file, from its two columns alone. Typing and checking its
    12,000 rows a cell at a time costs more than the rest of a check's reference data together; the
    shipped file is checked by the tests (an override still goes through ``load_file``)."""
    path = PACKAGE_DATA / "southwark_postcodes.csv"
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    header = lines[0].split(",") if lines else []
    if _ODD_LINES.search(text) or "postcode" not in header or "southwark_per_ons_nov2020" not in header:
        return postcode_set(_parse(FILES[path.name], path))  # not the plain file it ships as: the full way
    pc, flag = header.index("postcode"), header.index("southwark_per_ons_nov2020")
    last = max(pc, flag)
    out = set()
    for line in lines[1:]:
        cells = line.split(",", last + 1)[: last + 1]
        if '"' in line and (line.count('"') % 2 or any('"' in c for c in cells)):
            return postcode_set(_parse(FILES[path.name], path))  # a quoted value where the two columns are
        if len(cells) > last and cells[flag].strip() != "N":
            out.add(cells[pc].strip().upper())
    return frozenset(out)


# line ends that csv does not take as such (str.splitlines does), and NUL
_ODD_LINES = re.compile("[\0\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def load_file(name: str, overrides: Path | None = None) -> LoadedFile:
    ref = FILES[name]
    folder = override_dir() if overrides is None else overrides
    candidate = folder / name
    refused = None
    if candidate.is_file():
        try:
            return LoadedFile(ref, candidate, True, _parse(ref, candidate))
        except RefDataError as e:
            refused = str(e)
    return LoadedFile(ref, PACKAGE_DATA / name, False, _parse(ref, PACKAGE_DATA / name), refused)


@dataclass(frozen=True)
class Deadline:
    financial_year: str
    quarter: str
    reporting: date
    final: date


class RefData:
    """All reference data, each file loaded on first use (most checks need only a few)."""

    def __init__(self, overrides: Path | None = None):
        self.overrides = overrides
        self._files: dict[str, LoadedFile] = {}
        self.refusals: list[str] = []

    def file(self, name: str) -> LoadedFile:
        if name not in self._files:
            f = load_file(name, self.overrides)
            if f.refused:
                self.refusals.append(f"override refused, shipped file used instead: {f.refused}")
            self._files[name] = f
        return self._files[name]

    def rows(self, name: str) -> list[dict]:
        return self.file(name).rows

    # --- the framework --------------------------------------------------------------------------
    @cached_property
    def lots(self) -> dict[str, dict]:
        return {r["lot"]: r for r in self.rows("lots.csv")}

    @cached_property
    def outputs_by_lot(self) -> dict[str, dict[str, dict]]:
        out: dict[str, dict[str, dict]] = {}
        for r in self.rows("outputs.csv"):
            out.setdefault(r["lot"], {})[r["output"]] = r
        return out

    @cached_property
    def eligibility_by_lot(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for r in self.rows("eligibility_codes.csv"):
            out.setdefault(r["lot"], []).append(r["code"])
        return out

    @cached_property
    def evidence(self) -> dict[tuple[str, str], list[str]]:
        """(output, variant) -> acceptable evidence codes; variant '' where the output has one list."""
        out: dict[tuple[str, str], list[str]] = {}
        for r in self.rows("evidence_codes.csv"):
            out.setdefault((r["output"], r["variant"]), []).append(r["code"])
        return out

    @cached_property
    def deadlines(self) -> dict[str, Deadline]:
        """'2026/27-Q2' -> its deadlines."""
        return {
            f"{r['financial_year']}-{r['quarter']}": Deadline(
                r["financial_year"], r["quarter"], r["reporting_deadline"], r["final_deadline"]
            )
            for r in self.rows("deadlines.csv")
        }

    # --- official data --------------------------------------------------------------------------
    @cached_property
    def southwark_postcodes(self) -> frozenset[str]:
        name = "southwark_postcodes.csv"
        folder = override_dir() if self.overrides is None else self.overrides
        if name not in self._files and not (folder / name).is_file():
            return shipped_postcodes()  # no override: the shipped file, read the quick way
        return postcode_set(self.rows(name))

    @cached_property
    def postcode_sectors(self) -> dict[str, str]:
        """'SE1 0' -> 'wholly_southwark' or 'straddles'."""
        return {r["sector"].upper(): r["status_ons_nov2020"] for r in self.rows("southwark_postcode_sectors.csv")}

    @cached_property
    def london_living_wage(self) -> list[tuple[date, float, str]]:
        """(in force from, £ per hour, rate year), oldest first."""
        rows = [
            (r["implement_by_date"], r["london_living_wage_gbp_per_hour"], r["rate_year"])
            for r in self.rows("london_living_wage.csv")
        ]
        return sorted(rows)

    @cached_property
    def cpi(self) -> dict[str, float]:
        """'2026-03' -> 12-month CPI rate in per cent."""
        return {r["month"]: r["cpi_rate"] for r in self.rows("cpi_uk_d7g7.csv")}

    @cached_property
    def cpi_release_dates(self) -> dict[str, date]:
        """'2026-03' -> the day ONS published that month's figure (2026-04-22), for the months whose
        release date the file holds. The column is optional: a file of month and cpi_rate only gives
        none, and ``swtool.calc.wages`` then estimates each month's publication day."""
        return {
            r["month"]: r["release_date"] for r in self.rows("cpi_uk_d7g7.csv") if r.get("release_date") is not None
        }

    @cached_property
    def bank_holidays(self) -> frozenset[date]:
        return frozenset(r["date"] for r in self.rows("bank_holidays_england_wales.csv"))


def coverage(f: LoadedFile) -> str:
    """What a file covers, in a few words: its first and last date, or its row count."""
    col = f.ref.coverage_column
    if col:
        values = sorted(r[col] for r in f.rows)
        return f"{values[0]} to {values[-1]} ({len(f.rows)} row{'s' * (len(f.rows) != 1)})"
    return f"{len(f.rows)} row{'s' * (len(f.rows) != 1)}"
