"""Equality of outcome, referrals and value for money: the tables the council reads across contracts.

Pure functions over plain rows that the ledger fills (``swtool.ledger.reportdata``); the network
report shows them for the network, each lot and each contract, the contract report for its own
contract.

**Who is counted.** The clients registered in the period (a counted registration, RULES.md
"Calculations"; a client registered twice with a contract is one client), each with the
demographics of their latest registration in the period, their referral source, and whether the
contract counted for them in the period a job or apprenticeship start (2a or 2b), a sustained job or
apprenticeship (3a or 3b) and a progression (4). An outcome rate is the share of a group's clients
with that outcome: 4 of 7 is 57.1%. (A client registered before the period who achieves an outcome
in it is in the Outputs sheet's counts, not in these rates: the rates follow the clients who came
in.)

**Equality of outcome** (§12.4): registrations and outcomes by gender, ethnic group, disability and
age band, as counts and rates. Small numbers are protected as in the network report's Equalities
sheet: a count under 5 (0 included) is shown ``<5``, and every figure that would let a reader work
one out is withheld (``[c]``): within a column (the groups add up to the total), and between the
levels (the contracts of a lot add up to the lot, the lots to the network). A rate is shown only
where both its counts are.

The Equality Act's nine protected characteristics (§12.1) are listed with the column of the return
that records each; five have none (gender reassignment, marriage and civil partnership, pregnancy
and maternity, religion or belief, sexual orientation) and the report says so.

**Referrals** (App 3 item 3): registrations and job starts by referral source, and the conversion
rate (job starts ÷ registrations). Referral sources are not personal characteristics and are not
suppressed.

**Value for money** (§2.4, App 3): the cash spent (the Actual spend of the counted returns) divided
by each counted output, to the penny through ``swtool.calc.money``; and each contract's annual
value against its lot's Table 1 maximum (K706).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from swtool.model import standard as std
from swtool.model.outputs import lot_order
from swtool.write.reportbook import Column, ReportTable

SMALL = 5
SUPPRESSED = "<5"
WITHHELD = "[c]"
NOT_RECORDED = "Not recorded"
AGE_BANDS = ("16–24", "25–49", "50+")
NETWORK = "Network"
TOTAL = "Total"
NA = "n/a"


# --- small numbers ---------------------------------------------------------------------------------


def protect(values: Mapping, sums: Iterable[tuple]) -> dict:
    """Small-number suppression over figures linked by sums.

    ``values``: ``{key: count}``; ``sums``: ``(total key, [part keys])``, each saying the parts add
    up to the total. A count under 5 (0 included) is shown ``<5``. Then, while some sum has exactly
    one hidden figure among its total and parts (which the others would give away), the smallest
    shown part of that sum is withheld (``[c]``), or its total when no part is shown. Returns
    ``{key: count | "<5" | "[c]"}``. Every figure in a sum is either shown or hidden with another of
    the same sum, so no single hidden figure can be worked out from that sum.
    """
    shown: dict = {k: (SUPPRESSED if int(v) < SMALL else int(v)) for k, v in values.items()}
    sums = [(t, list(parts)) for t, parts in sums if parts]
    changed = True
    while changed:
        changed = False
        for total, parts in sums:
            hidden = [k for k in [total, *parts] if isinstance(shown[k], str)]
            if len(hidden) != 1:
                continue
            open_parts = [(shown[k], i, k) for i, k in enumerate(parts) if not isinstance(shown[k], str)]
            key = min(open_parts)[2] if open_parts else total
            shown[key] = WITHHELD
            changed = True
    return shown


def age_band(age) -> str:
    if age is None:
        return NOT_RECORDED
    try:
        age = int(age)
    except (TypeError, ValueError):
        return NOT_RECORDED
    if age < 16:
        return NOT_RECORDED
    return "16–24" if age <= 24 else "25–49" if age <= 49 else "50+"


def coded(value, codes) -> str:
    """``value`` as one of ``codes`` (matched as the reader matches labels), else Not recorded: free
    text never reaches a report."""
    if value is None:
        return NOT_RECORDED
    text = std.normalise_label(str(value))
    for code in codes:
        if std.normalise_label(code) == text:
            return code
    return NOT_RECORDED


# --- the rows the ledger fills ---------------------------------------------------------------------


@dataclass(frozen=True)
class ClientOutcome:
    """One client registered with a contract in the period, and what the contract counted for them
    in it. No client reference: the report needs none."""

    contract: str
    lot: str
    referral: str | None = None
    gender: str | None = None
    ethnic_group: str | None = None
    disability: str | None = None
    age: int | None = None
    job_start: bool = False  # 2a or 2b
    sustained: bool = False  # 3a or 3b
    progressed: bool = False  # 4


@dataclass(frozen=True)
class Scope:
    """What a block of rows covers: the network, a lot or a contract, and the scopes it adds up."""

    label: str  # "Network", "Lot 3", "SW-L3-01"
    level: str  # network | lot | contract
    contracts: tuple[str, ...]
    parts: tuple[str, ...] = ()  # the labels of the scopes that add up to this one


def scopes(contracts: Mapping[str, str], network: bool = True) -> list[Scope]:
    """``contracts``: ``{contract id: lot}``. With ``network``: the network, then each lot followed by
    its contracts; without: each contract alone."""
    ids = sorted(contracts, key=lambda c: (lot_order(contracts[c]), c))
    if not network:
        return [Scope(c, "contract", (c,)) for c in ids]
    lots: dict[str, list[str]] = {}
    for c in ids:
        lots.setdefault(str(contracts[c]), []).append(c)
    order = sorted(lots, key=lot_order)
    out = [Scope(NETWORK, "network", tuple(ids), tuple(f"Lot {lot}" for lot in order))]
    for lot in order:
        out.append(Scope(f"Lot {lot}", "lot", tuple(lots[lot]), tuple(lots[lot])))
        out += [Scope(c, "contract", (c,)) for c in lots[lot]]
    return out


# --- equality of outcome --------------------------------------------------------------------------

CHARACTERISTICS = (
    ("Gender", lambda r: coded(r.gender, std.GENDERS), std.GENDERS),
    ("Ethnic group", lambda r: coded(r.ethnic_group, std.ETHNIC_GROUPS), std.ETHNIC_GROUPS),
    ("Disability", lambda r: coded(r.disability, std.DISABILITY), std.DISABILITY),
    ("Age band", lambda r: age_band(r.age), AGE_BANDS),
)
MEASURES = (
    ("registered", "Registered"),
    ("job_start", "Job or apprenticeship start (2a, 2b)"),
    ("sustained", "Sustained 26 weeks (3a, 3b)"),
    ("progressed", "Progression (4)"),
)

# §12.1's nine protected characteristics, and the Registrations column that records each (None: the
# return has no column for it, TEMPLATES.md §1)
PROTECTED_CHARACTERISTICS = (
    ("Age", "Age at registration (shown as age bands 16–24, 25–49, 50+)"),
    ("Disability", "Disability"),
    ("Gender reassignment", None),
    ("Marriage and civil partnership", None),
    ("Pregnancy and maternity", None),
    ("Race", "Ethnic group (ONS 2021 high-level groups)"),
    ("Religion or belief", None),
    ("Gender", "Gender"),
    ("Sexual orientation", None),
)


def _measure(r: ClientOutcome, key: str) -> bool:
    return True if key == "registered" else bool(getattr(r, key))


def equality_counts(clients: Iterable[ClientOutcome], all_scopes: list[Scope]) -> tuple[dict, list]:
    """The counts behind the equality table and the sums that link them:
    ``({(scope, characteristic, group, measure): n}, [(total key, part keys)])``. A scope's total of a
    measure is one figure, ``(scope, None, None, measure)``, shared by the four characteristics."""
    clients = list(clients)
    values: dict = {}
    sums: list = []
    for s in all_scopes:
        mine = [r for r in clients if r.contract in s.contracts]
        for m, _ in MEASURES:
            values[(s.label, None, None, m)] = sum(_measure(r, m) for r in mine)
        for name, group_of, codes in CHARACTERISTICS:
            groups = [*codes, NOT_RECORDED]
            of = [group_of(r) for r in mine]
            for m, _ in MEASURES:
                counted = Counter(g for g, r in zip(of, mine, strict=True) if _measure(r, m))
                for g in groups:
                    values[(s.label, name, g, m)] = counted.get(g, 0)
                sums.append(((s.label, None, None, m), [(s.label, name, g, m) for g in groups]))
                if s.parts:
                    sums += [((s.label, name, g, m), [(p, name, g, m) for p in s.parts]) for g in groups]
        if s.parts:
            sums += [((s.label, None, None, m), [(p, None, None, m) for p in s.parts]) for m, _ in MEASURES]
    return values, sums


def _rate(n, d):
    """n ÷ d × 100, exact; None when either is hidden or d is 0 (see ``rate_cell``)."""
    from swtool.calc import money

    if isinstance(n, str) or isinstance(d, str) or not d:
        return None
    return money.percent(n, d)


def rate_cell(n, d):
    """A rate as shown: the percentage, ``[c]`` where a count behind it is hidden, ``n/a`` for 0 ÷ 0."""
    if isinstance(n, str) or isinstance(d, str):
        return WITHHELD
    return NA if not d else _rate(n, d)


def equality_table(clients: Iterable[ClientOutcome], all_scopes: list[Scope], period: str) -> ReportTable:
    """Registrations and outcomes by characteristic and group, per scope, with their rates; small
    numbers protected (``protect``)."""
    values, sums = equality_counts(clients, all_scopes)
    shown = protect(values, sums)
    columns = [
        Column("scope", "Contract, lot or network", width=16),
        Column("characteristic", "Characteristic"),
        Column("group", "Group", width=24),
    ]
    for m, label in MEASURES:
        columns.append(Column(m, label, "count", 14))
        if m != "registered":
            columns.append(Column(f"{m}_rate", f"{label.split(' (')[0]}: rate", "percent", 12))
    rows = []
    for s in all_scopes:
        for name, _, codes in CHARACTERISTICS:
            for g in [*codes, NOT_RECORDED, TOTAL]:
                key = (s.label, None, None) if g == TOTAL else (s.label, name, g)
                reg = shown[(*key, "registered")]
                row = [s.label, name, g, reg]
                for m, _ in MEASURES[1:]:
                    n = shown[(*key, m)]
                    row += [n, rate_cell(n, reg)]
                rows.append(row)
    return ReportTable(
        "equality_of_outcome",
        f"Equality of outcome (§12.4), {period}",
        columns,
        rows,
        [
            "Clients registered in the period (one per client and contract) and how many of them the contract counted "
            "an outcome for in the period; rate = clients with the outcome ÷ clients registered.",
            f"{SUPPRESSED}: a number under 5, not shown. {WITHHELD}: withheld so that a number under 5 cannot be worked "
            "out from a total, or from the contracts of a lot and the lots of the network; a rate is shown only where "
            "both its numbers are.",
        ],
    )


def characteristics_table() -> ReportTable:
    rows = [
        [
            name,
            column
            or "No column in the return: not recorded, so equality of outcome cannot be shown "
            "for it (TEMPLATES.md, Registrations)",
            "yes" if column else "no",
        ]
        for name, column in PROTECTED_CHARACTERISTICS
    ]
    return ReportTable(
        "protected_characteristics",
        "Protected characteristics (§12.1) and what the return records",
        [
            Column("characteristic", "Protected characteristic", width=30),
            Column("recorded_as", "Recorded as", width=60),
            Column("reported", "Reported here"),
        ],
        rows,
    )


# --- referrals ------------------------------------------------------------------------------------


def referral_table(clients: Iterable[ClientOutcome], all_scopes: list[Scope], period: str) -> ReportTable:
    """Registrations and job starts by referral source, per scope, and the conversion rate. The
    network lists every source; a lot or contract the sources it registered clients from."""
    clients = list(clients)
    sources = [*std.REFERRAL_SOURCES, NOT_RECORDED]
    rows = []
    for s in all_scopes:
        mine = [r for r in clients if r.contract in s.contracts]
        total_reg = total_job = 0
        for src in sources:
            picked = [r for r in mine if coded(r.referral, std.REFERRAL_SOURCES) == src]
            reg, job = len(picked), sum(r.job_start for r in picked)
            total_reg, total_job = total_reg + reg, total_job + job
            if reg or job or s.level == "network":
                rows.append([s.label, src, reg, job, NA if not reg else _rate(job, reg)])
        rows.append([s.label, TOTAL, total_reg, total_job, NA if not total_reg else _rate(total_job, total_reg)])
    return ReportTable(
        "referrals",
        f"Referrals (App 3 item 3), {period}",
        [
            Column("scope", "Contract, lot or network", width=16),
            Column("referral_source", "Referral source", width=26),
            Column("registered", "Registered", "count"),
            Column("job_starts", "Job or apprenticeship start (2a, 2b)", "count"),
            Column("conversion", "Conversion rate", "percent"),
        ],
        rows,
        [
            "Clients registered in the period by where the referral came from, and how many of them started a job or "
            "apprenticeship in the period; conversion rate = job starts ÷ registered."
        ],
    )


# --- value for money ------------------------------------------------------------------------------

VFM_OUTPUTS = (
    ("1", "Registrations (1)"),
    ("2", "Job or apprenticeship starts (2a + 2b)"),
    ("3", "Sustained 26 weeks (3a + 3b)"),
    ("4", "Progressions (4)"),
)


@dataclass
class ValueRow:
    """One contract's cash spent and outputs counted in the period, and its value against Table 1."""

    contract: str
    provider: str
    lot: str
    spend: Decimal  # Actual spend of the counted returns, each line to the penny
    outputs: dict[str, int] = field(default_factory=dict)  # "1", "2" (2a + 2b), "3" (3a + 3b), "4"
    annual_value: Decimal | None = None
    lot_maximum: Decimal | None = None
    over_maximum: bool = False  # K706 (credits.register_warnings)
    returns: int = 0  # counted returns in the period


def cost_per(spend: Decimal, count: int):
    """Cash spent ÷ outputs counted, exact, to the penny once (``money.penny``); ``n/a`` for none."""
    from swtool.calc import money

    if not count:
        return NA
    return money.penny(money.exact(spend) / count)


def value_table(rows: Iterable[ValueRow], period: str, network: bool = True) -> ReportTable:
    """Cost per output per contract, then per lot (the lot's spend ÷ the lot's outputs) and the network,
    and each contract's annual value against its lot's Table 1 maximum (K706)."""
    from swtool.calc import money

    rows = sorted(rows, key=lambda v: (lot_order(v.lot), v.contract))
    columns = [
        Column("scope", "Contract, lot or network", width=16),
        Column("provider", "Provider", width=30),
        Column("lot", "Lot", width=6),
        Column("returns", "Returns counted", "count", 10),
        Column("spend", "Cash spent", "money", 14),
    ]
    for o, label in VFM_OUTPUTS:
        columns += [
            Column(f"output_{o}", label, "count", 14),
            Column(f"cost_{o}", f"Cost per: {label.split(' (')[0]}", "money", 14),
        ]
    columns += [
        Column("annual_value", "Annual value", "money", 14),
        Column("lot_maximum", "Lot's maximum annual value (Table 1)", "money", 16),
        Column("over_by", "Over the maximum by", "money", 14),
        Column("k706", "K706", width=8),
    ]

    def line(label, provider, lot, group: list[ValueRow], one: ValueRow | None):
        spend = money.total(v.spend for v in group)
        row = [label, provider, lot, sum(v.returns for v in group), spend]
        for o, _ in VFM_OUTPUTS:
            n = sum(v.outputs.get(o, 0) for v in group)
            row += [n, cost_per(spend, n)]
        if one is None:
            row += [None, None, None, None]
        else:
            over = (
                money.penny(money.exact(one.annual_value) - money.exact(one.lot_maximum))
                if one.over_maximum and one.annual_value is not None and one.lot_maximum is not None
                else None
            )
            row += [one.annual_value, one.lot_maximum, over, "K706" if one.over_maximum else "-"]
        return row

    out = []
    if network:
        lots: dict[str, list[ValueRow]] = {}
        for v in rows:
            lots.setdefault(str(v.lot), []).append(v)
        out.append(line(NETWORK, "", "", rows, None))
        for lot in sorted(lots, key=lot_order):
            out.append(line(f"Lot {lot}", "", lot, lots[lot], None))
            out += [line(v.contract, v.provider, v.lot, [v], v) for v in lots[lot]]
    else:
        out = [line(v.contract, v.provider, v.lot, [v], v) for v in rows]
    return ReportTable(
        "value_for_money",
        f"Value for money (§2.4, App 3), {period}",
        columns,
        out,
        [
            "Cost per output = cash spent (the Actual spend of the counted returns) ÷ the outputs counted, to the penny; "
            "a lot or the network: its spend ÷ its outputs. n/a: no output of that kind counted.",
            "K706: the contract's annual value is over its lot's maximum annual value in Table 1 of the specification.",
        ],
    )


__all__ = [
    "AGE_BANDS",
    "CHARACTERISTICS",
    "NOT_RECORDED",
    "PROTECTED_CHARACTERISTICS",
    "SMALL",
    "SUPPRESSED",
    "WITHHELD",
    "ClientOutcome",
    "Scope",
    "ValueRow",
    "age_band",
    "characteristics_table",
    "coded",
    "cost_per",
    "equality_table",
    "protect",
    "rate_cell",
    "referral_table",
    "scopes",
    "value_table",
]
