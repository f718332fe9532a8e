"""C — output claims (App 2 §2.2–§2.4): is each claim in the quarter, for a registered client, an
output of the lot, evidenced, tracked, timed and not claimed too often?

Every rule works on whole columns and loops only over the failing rows. The cross-quarter rules
(C202, C209, C210, C211, C213, C217) read the contract's earlier returns (``ctx.history``); when none
were given (no ``--history``) they check this return alone and say once, as info, what they could
not check. C218 reads them too, but judges only clients whose registrations it can see.

Decisions (the specification leaves them open):

- 26 weeks is 182 days and 32 weeks 224 days; a sustainment achieved exactly 182 days after the
  start is in time, one achieved exactly 224 days after the start is not too late (C207, C208).
- "Claimed" in C208 is the claim's Date achieved, not the date the return was submitted.
- A 3a is sustained from a 2a and a 3b from a 2b (C209); a 2a or 2b's start is its Start date, or
  its Date achieved when that is blank.
- The two-year period of §2.2 is counted from the contract's start date in whole two-year terms
  (an extension is a new term); a claim falls in the term of its Date achieved. Without the
  contract's start, every claim in the returns given counts (C210, C211).
- C213's key is client, output and start date (the Date achieved where there is no start date);
  for progressions (output 4), which the framework lets a provider claim again and again, the
  Date achieved and progression type are part of the key as well.
- C216 leaves a start on the same day as its Date achieved to C201 and a start after it to C214: one
  wrong date, one finding.
- C217 keeps the earlier of a 2a and a 2b with one client and start date (earlier returns first, then
  row order) and flags the other; a second claim of the same output is C213's.
- C218 judges a client by their earliest known registration; a client with a Re-registration had an
  earlier registration with this contract, seen or not, so is not judged (R111 owns the gap).
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from swtool.catalogue import rule
from swtool.checks.common import Cells, day, history_frame, indices, outside_quarter, shared, unreadable
from swtool.findings import ERROR, INFO, WARNING, Flag, Location
from swtool.model.words import article

SAME_QUARTER = "App 2 §2.4"
REPEATS = "App 2 §2.2"
SHARED = "App 2 §2.3"
OUTPUTS = "App 2 §2.4"
SUSTAIN_DAYS = 26 * 7  # 182
LATEST_DAYS = 32 * 7  # 224
MAX_REPEATS = 4
MIN_SHARED_HOURS = 6
NO_HISTORY = "earlier returns were not given (--history supplies them)"
EVIDENCE_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".docx", ".msg", ".eml")


# --- helpers --------------------------------------------------------------------------------------


def _norm(df):
    """The columns the cross-quarter rules compare, normalised: client refs stripped and upper-case."""
    import pandas as pd

    out = pd.DataFrame(
        {
            "client": _stripped_upper(df["Client ref"]),
            "output": df["Output"].astype("string"),
            "achieved": pd.to_datetime(df["Date achieved"]),
            "start": pd.to_datetime(df["Start date"]),
            "ref": df["Claim ref"].astype("string"),
            "ptype": df["Progression type"].astype("string"),
        },
        index=df.index,
    )
    out["keydate"] = out["start"].fillna(out["achieved"])
    return out


def _stripped_upper(s):
    """``s.astype("string").str.strip().str.upper()``, each distinct value worked out once."""
    import numpy as np
    import pandas as pd

    s = s.astype("string")
    codes, distinct = pd.factorize(s, use_na_sentinel=True)
    done = np.array([v.strip().upper() for v in distinct.to_numpy(dtype=object)] + [pd.NA], dtype=object)
    return pd.Series(pd.array(done[codes], dtype=s.dtype), index=s.index, name=s.name)


def _key(f):
    """client|output|start date (|progression type|date achieved for output 4); NA when incomplete.

    Built in Python over the columns: the same strings as pandas' string arithmetic, at a fraction
    of its cost on a few dozen rows."""
    import numpy as np
    import pandas as pd

    client = f["client"].to_numpy(dtype=object, na_value=None)
    output = f["output"].to_numpy(dtype=object, na_value=None)
    ptype = f["ptype"].to_numpy(dtype=object, na_value=None)
    keydate = _iso_days(f["keydate"].to_numpy())
    achieved = _iso_days(f["achieved"].to_numpy())
    keys = np.empty(len(f), dtype=object)
    for i, (c, o, k) in enumerate(zip(client, output, keydate)):
        if c is None or o is None or k is None:
            keys[i] = pd.NA
        elif o == "4":
            keys[i] = f"{c}|{o}|{k}|{ptype[i] or ''}|{achieved[i] or ''}"
        else:
            keys[i] = f"{c}|{o}|{k}"
    return pd.Series(pd.array(keys, dtype=pd.StringDtype()), index=f.index)


def _iso_days(values) -> list:
    """Dates as 2026-08-03 (None for NaT)."""
    import numpy as np

    text = np.datetime_as_string(values.astype("datetime64[D]"), unit="D")
    return [None if t == "NaT" else str(t) for t in text]


def _current(sub, ctx):
    """The return's claims, normalised (``_norm``), with their positions and quarter: worked out once
    per return (five rules ask); callers must not change it."""
    return shared(sub, ctx, _current_frame)


def _current_frame(sub, _ctx):
    import numpy as np

    f = _norm(sub.claims.df)
    f["pos"] = np.arange(len(f))
    f["quarter"] = sub.quarter
    return f


def _current_key(sub, ctx):
    return shared(sub, ctx, _current_key_of)


def _current_key_of(sub, ctx):
    return _key(_current(sub, ctx))


def _earlier_key(_history, ctx):
    return _key(_earlier(ctx))


def _earlier(ctx):
    """Claims of the earlier returns, normalised, with the quarter of the return each came from: worked
    out once per context; callers must not change it."""
    return shared(ctx.history, ctx, _earlier_frame)


def _earlier_frame(_history, ctx):
    h = history_frame(ctx, "Claims")
    f = _norm(h)
    f["pos"] = -1
    f["quarter"] = h["_quarter"].values if len(h) else None
    return f


def _history_matters(sub, ctx) -> bool:
    """Would earlier returns change the answer? Not when given, nor in the contract's first quarter."""
    if ctx.history_given:
        return False
    c, q = ctx.contract, sub.quarter
    return not (c is not None and c.start is not None and q is not None and q.start <= c.start)


def _searched(ctx) -> str:
    n = len(ctx.history)
    if not ctx.history_given:
        return "this return (the contract's first quarter, so there is no earlier return)"
    if not n:
        return "this return (the earlier returns given hold none of this contract before this quarter)"
    quarters = ", ".join(f"{h.quarter.financial_year} {h.quarter.label}" for h in ctx.history)
    return f"this return or the {n} earlier return{'s' * (n != 1)} given ({quarters})"


def _weeks(days: int) -> str:
    w, d = divmod(int(days), 7)
    parts = []
    if w or not d:
        parts.append(f"{w} week{'s' * (w != 1)}")
    if d:
        parts.append(f"{d} day{'s' * (d != 1)}")
    return " ".join(parts)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _qlabel(q) -> str:
    return f"{q.financial_year} {q.label}" if q is not None else "an earlier return"


def _few(items: list[str], n: int = 5) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def _sheet(sub) -> Location:
    return Location(sub.claims.sheet)


# --- C201–C204: where, who, what, evidence -------------------------------------------------------


@rule(
    "C201",
    "claim-outside-quarter",
    ERROR,
    SAME_QUARTER,
    "date achieved not in the return's quarter",
    fix="Claim each output in the return of the quarter it was achieved in; move this row to that quarter's "
    "return or correct the Date achieved.",
)
def claim_outside_quarter(sub, ctx):
    q = sub.quarter
    t = sub.claims
    cell = Cells(t)
    if q is None or not len(t):
        return
    for i in indices(outside_quarter(t.df["Date achieved"], q)):
        where = t.at(i, "Date achieved")
        d = cell(i, "Date achieved")
        yield Flag(
            f"{where.cell}: {cell(i, 'Output') or 'claim'} achieved {day(d)} is not in "
            f"{q.financial_year} {q.label} ({day(q.start)}–{day(q.end)}); an output is claimed in the return "
            f"of the quarter it was achieved in ({SAME_QUARTER})",
            where,
            d,
        )


@rule(
    "C202",
    "unknown-client",
    ERROR,
    "App 2 §2.1; §2.4 output 1",
    "client not registered with this contract (this return or earlier ones)",
    fix="Check the Client ref against the CRM; register the client (Registrations sheet) before claiming an "
    "output for them.",
)
def unknown_client(sub, ctx):
    t = sub.claims
    cell = Cells(t)
    if not len(t):
        return
    client = _current(sub, ctx)["client"]
    known = {c for c in shared(sub, ctx, _registered)[0] if c is not None}  # earlier returns' too, when given
    mask = client.notna() & ~client.isin(known)
    if not mask.any():
        return
    if not ctx.history_given and _history_matters(sub, ctx):
        refs = list(dict.fromkeys(client[mask.fillna(False)].tolist()))
        yield Flag(
            f"{t.sheet}: {len(refs)} client{'s' * (len(refs) != 1)} with claims ({_few(refs)}) "
            f"{'are' if len(refs) != 1 else 'is'} not registered in this return; {NO_HISTORY}, so whether "
            f"they registered in an earlier quarter was not checked",
            _sheet(sub),
            len(refs),
            severity=INFO,
        )
        return
    for i in indices(mask):
        where = t.at(i, "Client ref")
        ref = cell(i, "Client ref")
        yield Flag(
            f"{where.cell}: client {ref} (claim {cell(i, 'Claim ref')}, output {cell(i, 'Output')}) "
            f"is not registered in {_searched(ctx)}; an output can only be claimed for a client registered with "
            f"this contract (App 2 §2.1)",
            where,
            ref,
        )


@rule(
    "C203",
    "output-not-in-lot",
    ERROR,
    OUTPUTS + "; TEMPLATES.md §3",
    "output code not defined for the lot (lot 9 has no 2a/2b/3a/3b; 7–9 per lot)",
    fix="Claim only the outputs of your lot (the core outputs and your lot's additional outputs); check the "
    "Output and the Lot on the Return sheet.",
)
def output_not_in_lot(sub, ctx):
    from swtool.model.standard import CLAIM_OUTPUTS

    t = sub.claims
    cell = Cells(t)
    lot = sub.lot
    outputs = ctx.refdata.outputs_by_lot.get(lot) if lot is not None else None
    if not len(t) or not outputs:
        return
    allowed = [o for o in outputs if o != "1"]
    out = t.df["Output"]
    mask = out.isin(CLAIM_OUTPUTS) & ~out.isin(allowed)
    for i in indices(mask):
        where = t.at(i, "Output")
        o = cell(i, "Output")
        yield Flag(
            f"{where.cell}: output {o} is not an output of lot {lot}; lot {lot} claims outputs "
            f"{', '.join(allowed)} ({OUTPUTS})",
            where,
            o,
        )


def _variant(df):
    """The evidence list each row is judged against: its variant ('' for outputs with one list, None when the
    variant is blank and so unknown: S005 reports the blank, and any list of the output is accepted)."""
    import pandas as pd

    columns = [
        df[h].to_numpy(dtype=object) for h in ("Output", "Employment type", "Progression type", "Placement type")
    ]
    rows = list(zip(*columns, strict=True))
    if any((o == "4" and pd.isna(p)) or (o == "5" and pd.isna(pl)) for o, _e, p, pl in rows):
        return _variant_frame(df)  # a blank type: as pandas sets it (None or NaN), which decides C204's answer
    return pd.Series([_one_variant(*row) for row in rows], index=df.index, dtype=object)


def _one_variant(o, etype, progression, placement):
    import pandas as pd

    if o == "2a":
        return None if pd.isna(etype) else "self-employed" if etype == "Self-employed" else "employed"
    if o == "4":
        return progression
    if o == "5":
        return placement
    return ""


def _variant_frame(df):
    import pandas as pd

    out = df["Output"]
    var = pd.Series("", index=df.index, dtype=object)
    etype = df["Employment type"]
    is2a = (out == "2a").fillna(False)
    self_employed = (etype == "Self-employed").fillna(False)
    var[is2a & self_employed] = "self-employed"
    var[is2a & ~self_employed] = "employed"
    var[is2a & etype.isna()] = None
    for output, header in (("4", "Progression type"), ("5", "Placement type")):
        rows = (out == output).fillna(False)
        var[rows] = df[header][rows].astype(object).where(df[header][rows].notna(), None)
    # a blank (or not a word) is None, never NaN: pandas may turn a None it is given back into NaN, and a NaN
    # variant would drop the row from C204 instead of judging it against every list of the output
    return pd.Series([v if isinstance(v, str) else None for v in var], index=df.index, dtype=object)


def _acceptable(refdata, output: str, variant: str | None) -> list[str]:
    ev = refdata.evidence
    if variant is None:
        return list(dict.fromkeys(c for (o, _v), codes in ev.items() if o == output for c in codes))
    return list(ev.get((output, variant), ()))


@rule(
    "C204",
    "evidence-not-acceptable",
    ERROR,
    OUTPUTS + "; TEMPLATES.md §4",
    "none of the evidence codes is acceptable for this output (and self-employment)",
    fix="Hold, and list in Evidence held, at least one of the evidence types the council accepts for this "
    "output (for a self-employed job start: invoice, evidence of income, UTR number or company registration).",
)
def evidence_not_acceptable(sub, ctx):
    t = sub.claims
    cell = Cells(t)
    if not len(t):
        return
    df = t.df
    var = _variant(df)
    todo = df["Output"].notna() & df["Evidence held"].notna()
    if not todo.any():
        return
    # judge each distinct (output, variant, evidence) once, then find the rows of the failing ones
    combo = (
        df["Output"].astype(str)
        + "\x1f"
        + var.map(lambda v: "\x1e" if v is None else v)
        + "\x1f"
        + df["Evidence held"].astype(str)
    ).where(todo)
    known = {c for codes in ctx.refdata.evidence.values() for c in codes}
    failing: dict[str, list[str]] = {}
    for key in combo.dropna().unique():
        o, v, held = key.split("\x1f")
        v = None if v == "\x1e" else v
        ok = _acceptable(ctx.refdata, o, v)
        parts = [p.strip() for p in held.split(";") if p.strip()]
        # no list: an output or variant not in the code list (S004); only unknown codes: S004 names them
        if ok and not any(p in ok for p in parts) and any(p in known for p in parts):
            failing[key] = ok
    if not failing:
        return
    for i in indices(combo.isin(list(failing))):
        where = t.at(i, "Evidence held")
        o, v = cell(i, "Output"), var.iat[i]
        what = {"self-employed": "a self-employed job start (2a)", "employed": "a job start (2a)"}.get(
            v, f"output {o}" + (f" ({v})" if v else "")
        )
        held = cell(i, "Evidence held")
        yield Flag(
            f"{where.cell}: evidence {held!r} is not acceptable for {what}; accepted: "
            f"{'; '.join(failing[combo.iat[i]])} ({OUTPUTS})",
            where,
            held,
        )


# --- C205–C206: tracking fields ---------------------------------------------------------------------


def _tracking(sub, output: str, fields: tuple[str, ...], what: str, exempt=None):
    import numpy as np
    import pandas as pd

    t = sub.claims
    cell = Cells(t)
    if not len(t):
        return
    df = t.df
    is_out = df["Output"] == output
    if not is_out.any():
        return
    # a look over the columns first: most returns fill every field of every start
    rows = is_out.to_numpy(dtype=bool, na_value=False)
    blank = df["Gross hourly pay"].to_numpy(dtype=float, na_value=np.nan)[rows] <= 0
    for f in fields:
        blank |= pd.isna(df[f].to_numpy()[rows])
    if not blank.any():
        return
    missing = {}
    for f in fields:
        m = is_out & df[f].isna() & ~unreadable(sub, t, f)  # S004/S009 already name those cells
        if exempt and f in exempt:
            m &= ~exempt[f](df)
        missing[f] = m.fillna(False)
    unpaid = (is_out & (df["Gross hourly pay"] <= 0)).fillna(False)
    any_missing = unpaid.copy()
    for m in missing.values():
        any_missing |= m
    for i in indices(any_missing):
        gone = [f for f in fields if missing[f].iat[i]]
        header = gone[0] if gone else "Gross hourly pay"
        where = t.at(i, header)
        problems = []
        if gone:
            problems.append(f"{', '.join(gone)} {'is' if len(gone) == 1 else 'are'} empty")
        if unpaid.iat[i]:
            problems.append(f"Gross hourly pay is {cell(i, 'Gross hourly pay'):.2f}, but the job must be paid")
        yield Flag(
            f"{where.cell}: {what} claim {cell(i, 'Claim ref')}: {'; '.join(problems)}; "
            f"{article(what)} {what} must record {', '.join(fields)} ({OUTPUTS})",
            where,
            cell(i, header),
        )


@rule(
    "C205",
    "job-start-tracking",
    ERROR,
    OUTPUTS + " output 2a",
    "2a without employer, start date, employment type, contract type, hours or pay",
    fix="Fill Employer, Start date, Employment type, Contract type, Weekly hours and Gross hourly pay for every "
    "job start (Contract type may be left blank for self-employment).",
)
def job_start_tracking(sub, ctx):
    yield from _tracking(
        sub,
        "2a",
        ("Employer", "Start date", "Employment type", "Contract type", "Weekly hours", "Gross hourly pay"),
        "job start (2a)",
        exempt={"Contract type": lambda df: df["Employment type"] == "Self-employed"},
    )


@rule(
    "C206",
    "apprenticeship-tracking",
    ERROR,
    OUTPUTS + " output 2b",
    "2b without employer, start date, level, pay or training provider",
    fix="Fill Employer, Start date, Apprenticeship level, Gross hourly pay and Training provider for every "
    "apprenticeship start.",
)
def apprenticeship_tracking(sub, ctx):
    yield from _tracking(
        sub,
        "2b",
        ("Employer", "Start date", "Apprenticeship level", "Gross hourly pay", "Training provider"),
        "apprenticeship start (2b)",
    )


# --- C207, C208, C214: dates --------------------------------------------------------------------------


def _gap(df):
    return (df["Date achieved"] - df["Start date"]).dt.days


@rule(
    "C207",
    "sustainment-too-early",
    ERROR,
    OUTPUTS + " outputs 3a, 3b",
    "3a/3b achieved less than 26 weeks after the start date",
    fix="Claim a sustainment only once the client has been in work (or the apprenticeship) for 26 weeks; "
    "check the Start date and Date achieved, or claim it in a later quarter.",
)
def sustainment_too_early(sub, ctx):
    t = sub.claims
    cell = Cells(t)
    if not len(t):
        return
    df = t.df
    gap = _gap(df)
    mask = df["Output"].isin(["3a", "3b"]) & (gap >= 0) & (gap < SUSTAIN_DAYS)
    for i in indices(mask):
        where = t.at(i, "Date achieved")
        o = cell(i, "Output")
        start = "job start" if o == "3a" else "apprenticeship start"
        yield Flag(
            f"{where.cell}: {o} achieved {day(cell(i, 'Date achieved'))} is {_weeks(gap.iat[i])} after "
            f"the {start} {day(cell(i, 'Start date'))}; a sustainment needs 26 weeks ({OUTPUTS})",
            where,
            cell(i, "Date achieved"),
        )


@rule(
    "C208",
    "sustainment-too-late",
    ERROR,
    OUTPUTS + " output 3a",
    "3a claimed more than 32 weeks after the start date",
    fix="A job sustainment must be claimed no later than 32 weeks after the job start; check the Start date "
    "(the initial job start) and the Date achieved.",
)
def sustainment_too_late(sub, ctx):
    t = sub.claims
    cell = Cells(t)
    if not len(t):
        return
    df = t.df
    gap = _gap(df)
    mask = (df["Output"] == "3a") & (gap > LATEST_DAYS)
    for i in indices(mask):
        where = t.at(i, "Date achieved")
        yield Flag(
            f"{where.cell}: 3a achieved {day(cell(i, 'Date achieved'))} is {_weeks(gap.iat[i])} after "
            f"the job start {day(cell(i, 'Start date'))}; a sustainment is claimed no later than 32 weeks "
            f"after the job start ({OUTPUTS})",
            where,
            cell(i, "Date achieved"),
        )


@rule(
    "C214",
    "start-after-achieved",
    ERROR,
    OUTPUTS,
    "start date after date achieved",
    fix="Check the Start date and Date achieved: an output cannot be achieved before the job, apprenticeship or "
    "placement started.",
)
def start_after_achieved(sub, ctx):
    t = sub.claims
    cell = Cells(t)
    if not len(t):
        return
    df = t.df
    mask = df["Start date"] > df["Date achieved"]
    for i in indices(mask):
        where = t.at(i, "Start date")
        yield Flag(
            f"{where.cell}: {cell(i, 'Output')} start date {day(cell(i, 'Start date'))} is after the "
            f"date achieved {day(cell(i, 'Date achieved'))} ({OUTPUTS})",
            where,
            cell(i, "Start date"),
        )


# --- C209: sustainment without a start -------------------------------------------------------------


@rule(
    "C209",
    "sustainment-without-start",
    WARNING,
    OUTPUTS + " outputs 2a–3b",
    "no 2a/2b for this client and start date with this contract",
    fix="Check the sustainment's Start date is the start date of the job (2a) or apprenticeship (2b) claimed "
    "for this client; a sustainment follows a start claimed with this contract.",
)
def sustainment_without_start(sub, ctx):
    import numpy as np

    t = sub.claims
    cell = Cells(t)
    if not len(t):
        return
    cur = _current(sub, ctx)
    out = cur["output"]
    sus = (out.isin(["3a", "3b"]) & cur["client"].notna() & cur["start"].notna()).fillna(False)
    if not sus.any():
        return
    frames = [cur]
    if ctx.history_given and ctx.history:
        frames.insert(0, _earlier(ctx))
    # (client, start day) of every 2a and 2b; a sustainment's own kind of start, or the other kind
    started: dict[str, set] = {"2a": set(), "2b": set()}
    for f in frames:
        for o, c, d in _client_days(f, "keydate"):
            if o in started and c is not None and not np.isnat(d):
                started[o].add((c, d))
    kinds = {"3a": ("2a", "2b"), "3b": ("2b", "2a")}
    own, other = [], []
    for o, c, d in _client_days(cur, "start"):
        want = kinds.get(o)
        known = want is not None and c is not None and not np.isnat(d)
        own.append(known and (c, d) in started[want[0]])
        other.append(known and (c, d) in started[want[1]])
    mask = sus.to_numpy(dtype=bool, na_value=False) & ~np.array(own, dtype=bool)
    wrong_kind = mask & np.array(other, dtype=bool)
    if not mask.any():
        return
    if _history_matters(sub, ctx):
        # a start claimed as the other kind is a finding whatever the earlier returns hold
        for i in indices(wrong_kind):
            yield _c209_flag(t, cell, i, ctx, True)
        n = int((mask & ~wrong_kind).sum())
        if n:
            yield Flag(
                f"{t.sheet}: {n} sustainment claim{'s' * (n != 1)} (3a/3b) {'have' if n != 1 else 'has'} no "
                f"job or apprenticeship start (2a/2b) for that client and start date in this return; "
                f"{NO_HISTORY}, so starts claimed in earlier quarters were not checked",
                _sheet(sub),
                n,
                severity=INFO,
            )
        return
    for i in indices(mask):
        yield _c209_flag(t, cell, i, ctx, bool(wrong_kind[i]))


def _client_days(f, header: str):
    """(output, client, day) of each row of a normalised claims frame: None for a blank output or client,
    NaT for a blank date."""
    return zip(
        f["output"].to_numpy(dtype=object, na_value=None),
        f["client"].to_numpy(dtype=object, na_value=None),
        f[header].to_numpy().astype("datetime64[D]"),
        strict=True,
    )


def _c209_flag(t, cell, i, ctx, wrong_kind: bool) -> Flag:
    where = t.at(i, "Start date")
    o = cell(i, "Output")
    start = cell(i, "Start date")
    client = cell(i, "Client ref")
    want, other = ("2a", "2b") if o == "3a" else ("2b", "2a")
    if wrong_kind:
        kind, then = ("an apprenticeship", "3b") if other == "2b" else ("a job", "3a")
        return Flag(
            f"{where.cell}: {o} for client {client} sustains the start {day(start)}, which was claimed as "
            f"{other}, not {want}; {kind} start is sustained as {then} ({OUTPUTS})",
            where,
            start,
        )
    return Flag(
        f"{where.cell}: {o} for client {client} sustains a start on {day(start)}, but no {want} for this "
        f"client with that start date is in {_searched(ctx)} ({OUTPUTS})",
        where,
        start,
    )


# --- C210–C211: repeat claims ------------------------------------------------------------------------


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _repeats(sub, ctx, outputs: tuple[str, str], noun: str):
    import pandas as pd

    t = sub.claims
    if not len(t):
        return
    cur = _current(sub, ctx)
    here = _counted(cur, outputs)
    if not here.any():
        return
    counts = Counter(cur["client"].to_numpy(dtype=object)[here])
    if ctx.history_given and ctx.history:
        h = _earlier(ctx)
        counts.update(h["client"].to_numpy(dtype=object)[_counted(h, outputs)])
    # a client with at most the limit of claims in all (before terms and duplicates) cannot be over it
    if max(counts.values()) > MAX_REPEATS:
        frames = [cur[here].assign(src=len(ctx.history))]
        if ctx.history_given and ctx.history:
            order = {q: k for k, q in enumerate(s.quarter for s in ctx.history)}
            h = h.assign(src=[order.get(q, -1) for q in h["quarter"]])
            frames.insert(0, h[h["output"].isin(outputs) & h["client"].notna() & h["achieved"].notna()])
        yield from _over_limit(sub, ctx, pd.concat(frames, ignore_index=True), noun)
    if not ctx.history_given and _history_matters(sub, ctx):
        yield Flag(
            f"{t.sheet}: {noun}s ({'/'.join(outputs)}) claimed in earlier quarters were not counted towards "
            f"the limit of {MAX_REPEATS} per client; {NO_HISTORY}",
            _sheet(sub),
            None,
            severity=INFO,
        )


def _counted(f, outputs):
    """Rows of a normalised claims frame that C210/C211 count: one of ``outputs``, with client and date."""
    import numpy as np
    import pandas as pd

    wanted = np.array([o in outputs for o in f["output"].to_numpy(dtype=object, na_value=None)], dtype=bool)
    return wanted & ~pd.isna(f["client"].to_numpy(dtype=object)) & ~np.isnat(f["achieved"].to_numpy())


def _over_limit(sub, ctx, allc, noun: str):
    """C210/C211's claims over the limit: ``allc`` the relevant claims, earlier returns' first."""
    import numpy as np
    import pandas as pd

    t = sub.claims
    cell = Cells(t)
    allc["key"] = _key(allc)
    c = ctx.contract
    start = c.start if c is not None and c.start is not None else None
    if start is not None:
        a = allc["achieved"]
        before = (a.dt.month < start.month) | ((a.dt.month == start.month) & (a.dt.day < start.day))
        years = a.dt.year - start.year - before.astype(int)
        allc["term"] = np.floor_divide(years, 2)
    else:
        allc["term"] = 0
    allc = allc.sort_values(["client", "term", "achieved", "src", "pos"], kind="stable")
    allc = allc[~(allc["key"].notna() & allc["key"].duplicated(keep="first"))]  # duplicates are C213's
    allc["n"] = allc.groupby(["client", "term"]).cumcount() + 1
    over = allc[(allc["n"] > MAX_REPEATS) & (allc["pos"] >= 0)]
    if len(over):
        groups = set(zip(over["client"], over["term"]))
        members = allc[pd.Series(list(zip(allc["client"], allc["term"])), index=allc.index).isin(groups)]
        for row in over.itertuples(index=False):
            i = int(row.pos)
            earlier = members[
                (members["client"] == row.client) & (members["term"] == row.term) & (members["n"] < row.n)
            ]
            listed = [
                f"{r.ref} ({r.output}, {day(r.achieved)}, {_qlabel(r.quarter)})"
                for r in earlier.itertuples(index=False)
            ]
            if start is not None:
                t0 = _add_years(start, 2 * int(row.term))
                period = f"the two-year term {day(t0)}–{day(_add_years(t0, 2) - timedelta(days=1))}"
            else:
                period = "the returns given (the contract's start is unknown, so all were counted)"
            where = t.at(i, "Output")
            yield Flag(
                f"{where.cell}: {row.output} for client {cell(i, 'Client ref')} is the {_ordinal(row.n)} "
                f"{noun} claimed for this client in {period}; at most {MAX_REPEATS} are allowed ({REPEATS}). "
                f"Earlier: {_few(listed, 6)}",
                where,
                int(row.n),
            )


@rule(
    "C210",
    "repeat-job-starts",
    ERROR,
    REPEATS,
    "a fifth 2a/2b for one client within one two-year contract term (the initial term; an extension is a new term)",
    fix="At most four job or apprenticeship starts (2a/2b) can be claimed for one client in the two-year contract "
    "term; remove the extra claim.",
)
def repeat_job_starts(sub, ctx):
    yield from _repeats(sub, ctx, ("2a", "2b"), "job or apprenticeship start")


@rule(
    "C211",
    "repeat-sustainments",
    ERROR,
    REPEATS,
    "a fifth 3a/3b for one client in the same period",
    fix="At most four sustainments (3a/3b) can be claimed for one client in the two-year contract term; remove "
    "the extra claim.",
)
def repeat_sustainments(sub, ctx):
    yield from _repeats(sub, ctx, ("3a", "3b"), "sustainment")


# --- C212: shared outputs ---------------------------------------------------------------------------------


@rule(
    "C212",
    "shared-support-hours",
    ERROR,
    SHARED,
    "shared claim with under 6 hours of support",
    fix="A shared output needs at least 6 hours of support from each provider; record the hours you gave, or "
    "do not claim the output.",
)
def shared_support_hours(sub, ctx):
    t = sub.claims
    cell = Cells(t)
    if not len(t):
        return
    df = t.df
    shared = df["Shared with provider"].notna()
    mask = shared & (df["Support hours"] < MIN_SHARED_HOURS)
    for i in indices(mask):
        where = t.at(i, "Support hours")
        hours = cell(i, "Support hours")
        partner = cell(i, "Shared with provider")
        yield Flag(
            f"{where.cell}: output {cell(i, 'Output')} shared with {partner} has {hours:g} hours of "
            f"support; a shared output needs at least {MIN_SHARED_HOURS} hours ({SHARED})",
            where,
            hours,
        )


# --- C213: duplicates -----------------------------------------------------------------------------------


@rule(
    "C213",
    "duplicate-claim",
    ERROR,
    REPEATS,
    "same client, output and start date already claimed (this or an earlier return)",
    fix="Claim each output once: remove the repeated row (an output claimed in an earlier quarter is not "
    "claimed again).",
)
def duplicate_claim(sub, ctx):
    import pandas as pd

    t = sub.claims
    cell = Cells(t)
    if not len(t):
        return
    cur = _current(sub, ctx)
    key = _current_key(sub, ctx)
    has = key.notna()
    present = {k for k in key.to_numpy(dtype=object, na_value=None) if k is not None}
    earlier: dict = {}
    if ctx.history_given and ctx.history:
        h = _earlier(ctx)
        hkey = shared(ctx.history, ctx, _earlier_key)
        for k, ref, q in zip(hkey.to_numpy(dtype=object, na_value=None), h["ref"], h["quarter"], strict=True):
            if k is not None and k in present:
                earlier.setdefault(k, (ref, q))
    # repeated within this return, or claimed in an earlier one (a set over the keys: no frame when none is)
    if earlier or len(present) < int(has.sum()):
        in_hist = has & key.isin(set(earlier))
        dup_here = has & key.duplicated(keep="first")
        mask = (in_hist | dup_here).fillna(False)
    else:
        mask = pd.Series(False, index=key.index)
    if mask.any():
        pos = pd.Series(range(len(key)), index=key.index)
        first = pos[has].groupby(key[has]).transform("min").reindex(key.index).to_numpy()
        has_start = cur["start"].notna().to_numpy()
        when = cur["keydate"].where(mask).dt.strftime("%d/%m/%Y").to_numpy(dtype=object)
        keys = key.to_numpy(dtype=object, na_value=None)
        for i in indices(mask):
            where = t.at(i, "Output")
            o = cell(i, "Output")
            when_text = f"starting {when[i]}" if has_start[i] else f"achieved {when[i]}"
            k = keys[i]
            if k in earlier:
                ref, q = earlier[k]
                seen = f"was already claimed as {ref} in {_qlabel(q)}"
            else:
                j = int(first[i])
                seen = f"is already claimed in row {t.rows[j]} ({cell(j, 'Claim ref')})"
            yield Flag(
                f"{where.cell}: client {cell(i, 'Client ref')} output {o} {when_text} {seen}; each output is "
                f"claimed once ({REPEATS})",
                where,
                cell(i, "Claim ref"),
            )
    if not ctx.history_given and _history_matters(sub, ctx):
        yield Flag(
            f"{t.sheet}: claims were checked for repeats within this return only; {NO_HISTORY}, so outputs "
            "already claimed in earlier quarters were not checked",
            _sheet(sub),
            None,
            severity=INFO,
        )


# --- C216–C218: starts in the quarter, one start once, registered first ------------------------------


def _start_kind(output: str) -> str:
    return "job start (2a)" if output == "2a" else "apprenticeship start (2b)"


@rule(
    "C216",
    "start-outside-quarter",
    ERROR,
    OUTPUTS + " outputs 2a, 2b",
    "2a/2b: the Start date is not in the return's quarter (App 2 §2.4: \"new jobs / apprenticeships started in "
    'the quarter")',
    fix="Claim a job or apprenticeship start in the return of the quarter it started in: correct the Start date, "
    "or move the claim to that quarter's return.",
)
def start_outside_quarter(sub, ctx):
    q = sub.quarter
    t = sub.claims
    cell = Cells(t)
    if q is None or not len(t):
        return
    df = t.df
    start, achieved = df["Start date"], df["Date achieved"]
    outside = outside_quarter(start, q)
    # a start on its Date achieved is C201's (one date, one finding); a start after it is C214's
    mask = df["Output"].isin(["2a", "2b"]) & outside & ~(start >= achieved)
    for i in indices(mask):
        where = t.at(i, "Start date")
        s = cell(i, "Start date")
        side = "before" if s < q.start else "after"
        yield Flag(
            f"{where.cell}: {_start_kind(cell(i, 'Output'))} claim {cell(i, 'Claim ref')} for client "
            f"{cell(i, 'Client ref')} started {day(s)}, {side} {q.financial_year} {q.label} "
            f"({day(q.start)}–{day(q.end)}); a start is claimed in the return of the quarter it started in "
            f'({OUTPUTS}: "new jobs / apprenticeships started in the quarter")',
            where,
            s,
        )


@rule(
    "C217",
    "job-and-apprenticeship-same-start",
    ERROR,
    "§4.5; " + OUTPUTS + " outputs 2a, 2b",
    "the same client and start date claimed as both 2a and 2b (§4.5: measured separately; one start counts once)",
    fix="Claim a start once: an apprenticeship as 2b, any other job as 2a; remove the other claim.",
)
def job_and_apprenticeship_same_start(sub, ctx):
    import pandas as pd

    t = sub.claims
    cell = Cells(t)
    if not len(t):
        return
    frames = [_current(sub, ctx)]
    if ctx.history_given and ctx.history:
        frames.insert(0, _earlier(ctx))  # oldest first: the earlier claim stands, the later one is flagged
    here, both = _start_kinds(frames)
    if not here:
        return
    if both:
        yield from _same_start(t, cell, pd.concat(frames, ignore_index=True))
    if not ctx.history_given and _history_matters(sub, ctx):
        yield Flag(
            f"{t.sheet}: job and apprenticeship starts (2a/2b) were compared within this return only; "
            f"{NO_HISTORY}, so a start already claimed as the other kind in an earlier quarter was not "
            "checked",
            _sheet(sub),
            None,
            severity=INFO,
        )


def _start_kinds(frames) -> tuple[bool, bool]:
    """Whether this return claims a 2a or 2b (with client and start), and whether a client and start day
    are claimed as both: a look over the columns before C217 builds its frames."""
    import numpy as np

    here, seen = False, {"2a": set[tuple](), "2b": set[tuple]()}
    for f in frames:
        days = f["keydate"].to_numpy().astype("datetime64[D]")
        for o, c, d, p in zip(
            f["output"].to_numpy(dtype=object, na_value=None),
            f["client"].to_numpy(dtype=object, na_value=None),
            days,
            f["pos"].to_numpy(),
            strict=True,
        ):
            if o in seen and c is not None and not np.isnat(d):
                here = here or p >= 0
                seen[o].add((c, d))
    return here, bool(seen["2a"] & seen["2b"])


def _same_start(t, cell, allc):
    """C217's findings: ``allc`` the claims of earlier returns and this one, oldest first."""
    import pandas as pd

    starts = allc[allc["output"].isin(["2a", "2b"]) & allc["client"].notna() & allc["keydate"].notna()].copy()
    starts["same"] = starts["client"] + "|" + starts["keydate"].dt.strftime("%Y-%m-%d").astype("string")
    firsts = starts.drop_duplicates(["same", "output"], keep="first")  # repeats of one output are C213's
    first_of = firsts.drop_duplicates("same", keep="first").set_index("same")
    later = firsts[firsts["same"].duplicated(keep="first") & (firsts["pos"] >= 0)]
    for row in later.itertuples(index=False):
        i = int(row.pos)
        other = first_of.loc[row.same]
        if other.pos >= 0:
            seen = f"in row {t.rows[int(other.pos)]} ({other.ref})"
        else:
            seen = f"in {_qlabel(other.quarter)} ({other.ref})"
        when = f"starting {day(row.keydate)}" if pd.notna(row.start) else f"achieved {day(row.keydate)}"
        where = t.at(i, "Output")
        yield Flag(
            f"{where.cell}: client {cell(i, 'Client ref')} {when} is claimed here as {row.output} but was "
            f"already claimed as {other.output} {seen}; one start counts once, as a job (2a) or as an "
            f"apprenticeship (2b) (§4.5)",
            where,
            cell(i, "Claim ref"),
        )


def _registrations(sub, ctx):
    """This contract's registrations (this return's, and earlier returns' when given): client, date, whether
    it is a re-registration, and where it is (``pos`` a row of this return, or -1 and the ``quarter``)."""
    import numpy as np
    import pandas as pd

    def frame(df, pos, quarter):
        return pd.DataFrame(
            {
                "client": _stripped_upper(df["Client ref"]),
                "date": pd.to_datetime(df["Registration date"]),
                "again": df["Registration type"].astype("string").eq("Re-registration").fillna(False),
                "pos": pos,
                "quarter": quarter,
            },
            index=df.index,
        )

    r = sub.registrations.df
    parts = [frame(r, np.arange(len(r)), None)]
    if ctx.history_given:
        h = history_frame(ctx, "Registrations")
        if len(h):
            parts.insert(0, frame(h, -1, h["_quarter"].values))
    return pd.concat(parts, ignore_index=True)


@rule(
    "C218",
    "achieved-before-registration",
    ERROR,
    "App 2 §2.1; " + OUTPUTS,
    "an output other than 1 achieved before the client's registration date with this contract (outputs are for "
    "clients the provider supported)",
    fix="Check the Date achieved and the client's Registration date: an output counts only for a client already "
    "registered with this contract; correct the wrong date, or remove the claim.",
)
def achieved_before_registration(sub, ctx):
    import pandas as pd

    t = sub.claims
    cell = Cells(t)
    if not len(t):
        return
    if not _achieved_before_first(*shared(sub, ctx, _registered), _current(sub, ctx)):
        return
    regs = shared(sub, ctx, _registrations)
    regs = regs[regs["client"].notna()]
    # a re-registered client had an earlier registration with this contract, seen or not (a claim between the
    # two is R111's gap); an undated registration (S005) leaves its client unjudged
    unjudged = set(regs.loc[regs["again"] | regs["date"].isna(), "client"])
    first = regs[~regs["client"].isin(unjudged)].sort_values("date", kind="stable").drop_duplicates("client")
    first = first.set_index("client")
    cur = _current(sub, ctx)
    if not len(first):
        return
    registered = pd.to_datetime(cur["client"].map(first["date"]))  # NaT for a client not registered: C202's
    mask = (cur["achieved"] < registered).fillna(False)
    for i in indices(mask):
        where = t.at(i, "Date achieved")
        reg = first.loc[cur["client"].iat[i]]
        seen = (
            f"({sub.registrations.at(int(reg['pos']), 'Registration date').cell})"
            if reg["pos"] >= 0
            else f"(the {_qlabel(reg['quarter'])} return)"
        )
        yield Flag(
            f"{where.cell}: output {cell(i, 'Output')} for client {cell(i, 'Client ref')} (claim "
            f"{cell(i, 'Claim ref')}) was achieved {day(cell(i, 'Date achieved'))}, before the client was "
            f"registered with this contract on {day(reg['date'])} {seen}; an output counts only for a client "
            f"the provider was already supporting (App 2 §2.1)",
            where,
            cell(i, "Date achieved"),
        )


def _achieved_before_first(clients, dates, again, cur) -> bool:
    """Whether any claim was achieved before its client's first registration (clients with an undated
    registration or a re-registration aside): C218's question over the columns, before its frames."""
    import numpy as np

    first: dict = {}
    unjudged = set()
    for c, d, a in zip(clients, dates, again, strict=True):
        if c is None:
            continue
        if a or np.isnat(d):
            unjudged.add(c)
        elif c not in first or d < first[c]:
            first[c] = d
    for c, a in zip(cur["client"].to_numpy(dtype=object, na_value=None), cur["achieved"].to_numpy(), strict=True):
        if c is not None and c in first and c not in unjudged and not np.isnat(a) and a < first[c]:
            return True
    return False


def _registered(sub, ctx):
    """``_registrations``' client, date and re-registration columns as arrays (None for no client), without
    its frame: what C202 and C218 ask of every return."""
    import numpy as np

    frames = [sub.registrations.df]
    if ctx.history_given:
        h = history_frame(ctx, "Registrations")
        if len(h):
            frames.insert(0, h)
    clients = np.concatenate([_stripped_upper_values(f["Client ref"]) for f in frames])
    dates = np.concatenate([f["Registration date"].to_numpy().astype("datetime64[s]") for f in frames])
    again = np.concatenate(
        [
            np.array([isinstance(v, str) and v == "Re-registration" for v in f["Registration type"]], dtype=bool)
            for f in frames
        ]
    )
    return clients, dates, again


def _stripped_upper_values(s):
    """``_stripped_upper(s)`` as an object array with None for a blank: plain strings in Python, anything
    else converted as pandas converts it."""
    import numpy as np
    import pandas as pd

    done: dict = {}
    out = np.empty(len(s), dtype=object)
    for i, v in enumerate(s.to_numpy(dtype=object)):
        if v.__class__ is str:
            got = done.get(v)
            if got is None:
                got = done[v] = v.strip().upper()
        else:
            one = _stripped_upper(pd.Series([v], dtype=object)).iat[0]
            got = None if one is pd.NA else one
        out[i] = got
    return out


# --- C215: the evidence folder ------------------------------------------------------------------------

_SIGNATURES = {
    ".pdf": lambda b: b"%PDF-" in b[:1024],
    ".png": lambda b: b.startswith(b"\x89PNG\r\n\x1a\n"),
    ".jpg": lambda b: b.startswith(b"\xff\xd8\xff"),
    ".jpeg": lambda b: b.startswith(b"\xff\xd8\xff"),
    ".docx": lambda b: b.startswith(b"PK\x03\x04"),
    ".msg": lambda b: b.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
}


class _EvidenceIndex:
    """Every file below the evidence folder, by name and by relative path (casefolded), and by stem.

    Only regular files inside the folder once links are resolved are indexed: a link to ``/etc/passwd``
    or to a pipe named like an evidence reference is left out before anything is opened, so its
    reference is "not found"."""

    def __init__(self, root: Path):
        self.root = root
        self.by_name: dict[str, list[Path]] = {}
        self.by_stem: dict[str, list[Path]] = {}
        self.count = 0
        real = os.path.realpath(root)
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            for name in sorted(files):
                if name.startswith("~$"):
                    continue  # Office lock files
                p = Path(folder) / name
                if not _inside_regular(p, real):
                    continue
                rel = p.relative_to(root).as_posix().casefold()
                self.count += 1
                for k in {name.casefold(), rel}:
                    self.by_name.setdefault(k, []).append(p)
                stem = name.rsplit(".", 1)[0].casefold() if "." in name else name.casefold()
                self.by_stem.setdefault(stem, []).append(p)
                rstem = rel.rsplit(".", 1)[0] if "." in name else rel
                if rstem != stem:
                    self.by_stem.setdefault(rstem, []).append(p)

    def problem(self, ref: str) -> str | None:
        """None when the reference names a good file; else what is wrong, in words."""
        r = ref.strip().replace("\\", "/").strip("/")
        k = r.casefold()
        found = self.by_name.get(k) or self.by_name.get(k.rsplit("/", 1)[-1]) or []
        if not found:
            found = self.by_stem.get(k) or self.by_stem.get(k.rsplit("/", 1)[-1]) or []
        if not found:
            return f"no file {r!r}"
        problems = []
        for p in found:
            why = _file_problem(p)
            if why is None:
                return None
            problems.append(f"{p.relative_to(self.root).as_posix()} {why}")
        return "; ".join(problems)


def _inside_regular(p: Path, real: str) -> bool:
    """True when ``p``, every link resolved, is a regular file below the folder ``real`` (resolved); a
    broken link inside stays (C215 says it cannot be read)."""
    target = os.path.realpath(p)
    if os.path.commonpath([target, real]) != real:
        return False
    try:
        return stat.S_ISREG(os.stat(target).st_mode)
    except OSError:
        return True


def _file_problem(p: Path) -> str | None:
    ext = p.suffix.lower()
    if ext not in EVIDENCE_TYPES:
        return f"is not an accepted type ({', '.join(e.lstrip('.') for e in EVIDENCE_TYPES)})"
    try:
        st = p.stat()
    except OSError:
        return "could not be read"
    return _content_problem(str(p), ext, st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=65536)
def _content_problem(path: str, ext: str, size: int, mtime_ns: int) -> str | None:
    if size == 0:
        return "is empty (0 bytes)"
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError:
        return "could not be read"
    sig = _SIGNATURES.get(ext)
    if sig is not None and not sig(head):
        return f"is not a real {ext.lstrip('.').upper()} file (its content does not match its name)"
    return None


@lru_cache(maxsize=8)
def folder_index(root: str, mtime_ns: int) -> _EvidenceIndex:
    """Built once per run (per folder and folder modification time)."""
    return _EvidenceIndex(Path(root))


@rule(
    "C215",
    "evidence-file-missing",
    ERROR,
    OUTPUTS,
    "with an evidence folder given: the Evidence reference names no readable file of an accepted type "
    "(pdf, jpg, jpeg, png, docx, msg, eml) in it",
    fix="Put the evidence file in the evidence folder as a PDF, JPG, PNG, Word (.docx) or e-mail (.msg, .eml) "
    "file and write its file name in Evidence reference.",
    needs=("evidence",),
)
def evidence_file_missing(sub, ctx):
    t = sub.claims
    cell = Cells(t)
    if not len(t):
        return
    root = Path(ctx.evidence_dir)
    if not root.is_dir():
        yield Flag(
            f"the evidence folder {str(root)!r} is not a folder that can be read; no evidence file was checked",
            Location(),
            str(root),
            severity=WARNING,
        )
        return
    index = folder_index(str(root.resolve()), root.stat().st_mtime_ns)
    refs = t.df["Evidence reference"].astype("string")
    verdicts: dict[str, str | None] = {}
    for text in refs.dropna().unique():
        parts = [p.strip() for p in str(text).replace("\n", ";").split(";") if p.strip()]
        problems = [(p, index.problem(p)) for p in parts]
        bad = [why for _p, why in problems if why is not None]
        verdicts[text] = "; ".join(bad) if bad else None
    failing = {c for c, v in verdicts.items() if v is not None}
    if not failing:
        return
    mask = refs.isin(failing).fillna(False)
    for i in indices(mask):
        where = t.at(i, "Evidence reference")
        ref = cell(i, "Evidence reference")
        o = cell(i, "Output")
        yield Flag(
            f"{where.cell}: Evidence reference {ref!r} of claim {cell(i, 'Claim ref')}"
            f"{f' ({o})' if o else ''} names no readable file of an accepted type in the evidence folder "
            f"{root}: {verdicts[ref]} ({OUTPUTS})",
            where,
            ref,
        )
