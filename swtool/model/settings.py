"""Settings: where the specification contradicts itself, the default reading and the other one.

They come from ``swtool-settings.toml`` beside the contract register, then ``--setting key=value``;
every report that depends on one shows the value it used (RULES.md, "Settings").
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from swtool.errors import UsageError

SETTINGS_FILE = "swtool-settings.toml"
# what every "Settings: …" line points at: a command, which an installed swtool has (its docs/ it has not)
SEE_SETTINGS = "swtool rules --settings explains them"


@dataclass(frozen=True)
class Setting:
    key: str
    default: object
    other: object
    words: str
    spec: str
    used_by: tuple[str, ...] = ()  # the rules whose findings depend on it
    numbers: tuple[int, int] | None = None  # a whole number in this range, rather than one of two readings


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting(
            "credit_quarters",
            1,
            2,
            "quarters of under-performance before service credits apply",
            "§7.8 (1, 'in the previous quarter') / App 2 §4.1 (2 consecutive, a draft)",
            ("K702",),
        ),
        Setting(
            "output_variance_percent",
            20,
            30,
            "output variance (per cent of quarterly target) that needs an explanation",
            "App 2 §1.3 (20%) / App 3 item 5 (30%)",
            ("N501", "K701"),
        ),
        Setting(
            "wage_uplift",
            "additive",
            "multiplicative",
            "wage uplift: previous × (1 + CPI + 10%) or previous × (1 + CPI) × 1.10",
            "§4.4 a), App 2 §2.4 output 4",
            ("P303",),
        ),
        Setting(
            "framework_minimum",
            "lower",
            "higher",
            "which of the two output 2 figures of Table 3 is the framework minimum",
            "§4 Table 3 (garbled in the source)",
            ("K704",),
        ),
        # the specification is silent on the figure: the council's decision (docs/decisions.md, "Retention")
        Setting(
            "retention_years",
            6,
            "1 to 100",
            "years the ledger keeps the personal data of a contract's returns "
            "after the contract and its last quarter ended (swtool retention)",
            "§13.1 (the Information Sharing Agreement sets it; no figure given: council decision, 6 years)",
            numbers=(1, 100),
        ),
        # not in the specification: which library reads a workbook's cells (docs/decisions.md, "Reader")
        Setting(
            "reader",
            "calamine",
            "openpyxl",
            "which library reads the cells of a return: calamine (fast) or "
            "openpyxl (the reference reader, for a file calamine cannot read); both give the same findings",
            "not the specification: INPUT-SAFETY bounds both readers alike (council decision)",
        ),
    )
}


class Settings(dict):
    """The settings in force: every key of SETTINGS, with its value."""

    @classmethod
    def defaults(cls) -> Settings:
        return cls({k: s.default for k, s in SETTINGS.items()})

    def changed(self) -> dict:
        return {k: v for k, v in self.items() if v != SETTINGS[k].default}


def _value(key: str, raw) -> object:
    if key not in SETTINGS:
        raise UsageError(f"unknown setting {key!r}; known settings: {', '.join(SETTINGS)}")
    s = SETTINGS[key]
    if s.numbers is not None:
        lo, hi = s.numbers
        text = str(raw).strip()
        if isinstance(raw, bool) or not text.isascii() or not text.isdigit() or not lo <= int(text) <= hi:
            raise UsageError(
                f"setting {key} cannot be {raw!r}; it is a whole number from {lo} to {hi} (default {s.default!r})"
            )
        return int(text)
    for allowed in (s.default, s.other):
        if str(raw).strip().lower() == str(allowed).lower():
            return allowed
    raise UsageError(f"setting {key} cannot be {raw!r}; it is {s.default!r} (default) or {s.other!r}")


def load(register: Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Settings:
    settings = Settings.defaults()
    if register is not None:
        path = Path(register).parent / SETTINGS_FILE
        if path.is_file():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
                raise UsageError(f"{path}: not a valid settings file ({e})") from None
            for k, v in data.items():
                try:
                    settings[k] = _value(k, v)
                except UsageError as e:
                    raise UsageError(f"{path}: {e}") from None
    for item in overrides:
        if "=" not in item:
            raise UsageError(f"--setting takes key=value, not {item!r}")
        k, v = item.split("=", 1)
        settings[k.strip()] = _value(k.strip(), v)
    return settings


def in_force_words(settings: dict, codes: set[str]) -> str | None:
    """ "Settings: key=value, …" for the settings that the given rule codes depend on."""
    used = [k for k, s in SETTINGS.items() if set(s.used_by) & codes and k in settings]
    if not used:
        return None
    return "Settings: " + ", ".join(f"{k}={settings[k]}" for k in used) + f" ({SEE_SETTINGS})"
