"""P — progression, placements, training (§4.4, App 2 §2.4 outputs 4, 5 and 6).

Output 4 ("progressing to a better role") is claimed as one of three types, one claim per event:
A wage uplift of inflation + 10% (and at least the London Living Wage when the client was below it),
B a qualification a level up, C a better contract. Output 5 placements have minimum lengths, and a
paid internship the London Living Wage. The pay figures come from ``swtool.calc.wages``.

Rules work on whole columns and loop only over the rows that fail. What is known about a client
before a claim (registration, earlier job starts, earlier qualifications) comes from this return and
the contract's earlier returns (``--history``); where a client registered in an earlier return that
was not given, the rule says once that those claims were not checked.

Weeks of a placement are counted in weekdays (Monday to Friday), start and end day included: two
weeks is 10 weekdays (Mon 3 Aug – Fri 14 Aug 2026), four weeks is 20. A bank holiday counts as a
weekday: it does not shorten a placement.
"""

from __future__ import annotations

from swtool.calc import wages
from swtool.calc.money import gbp, num, penny
from swtool.catalogue import rule
from swtool.checks.common import Cells, day, history_frame, indices, plain, shared, value
from swtool.findings import ERROR, INFO, WARNING, Flag
from swtool.model import standard as std

OUT4 = "App 2 §2.4 output 4; §4.4"
OUT5 = "App 2 §2.4 output 5"
JOB_STARTS = ("2a", "2b")
LEVEL_RANK = {lvl: n for n, lvl in enumerate(std.QUALIFICATION_LEVELS[-1:] + std.QUALIFICATION_LEVELS[:-1])}
# None 0, Entry 1, 1 → 2, … 8 → 9
GUARANTEED = ("Permanent", "Fixed-term", "Temporary")  # every contract type but zero hours (and apprenticeship)
WORK_EXPERIENCE_DAYS, INTERNSHIP_DAYS = 10, 20  # weekdays: two and four weeks
_REG_COLS = ["Client ref", "Registration date", "Employment status", "Gross hourly pay", "Highest qualification level"]
_CLAIM_COLS = [
    "Claim ref",
    "Client ref",
    "Output",
    "Date achieved",
    "Start date",
    "Gross hourly pay",
    "Progression type",
    "Qualification level",
]


# --- what is known about a client before a claim -----------------------------------------------------


def _registrations(sub, ctx):
    """The registrations of this return and earlier ones (earlier first) with a client and a date, as
    columns (NumPy arrays) of ``_REG_COLS``."""
    import numpy as np
    import pandas as pd

    regs = _columns(sub, ctx, "Registrations", _REG_COLS)
    keep = ~pd.isna(regs["Client ref"]) & ~np.isnat(regs["Registration date"])
    return {k: v[keep] for k, v in regs.items()}


def _columns(sub, ctx, sheet: str, headers: list[str]) -> dict:
    """Columns of ``sheet`` from earlier returns then this one, as NumPy arrays; dates to the second."""
    import numpy as np

    frames = [history_frame(ctx, sheet)] if ctx.history else []
    frames = [f for f in frames if len(f)]  # (an empty history frame has untyped columns: leave it out)
    frames.append(sub.tables[sheet].df)
    out = {}
    for h in headers:
        parts = [f[h].to_numpy() for f in frames]
        if parts[-1].dtype.kind == "M":
            parts = [p.astype("datetime64[s]") for p in parts]
        out[h] = np.concatenate(parts) if len(parts) > 1 else parts[0]
    return out


def _all_claims(sub, ctx):
    """This return's claims (``_pos`` = row index) followed by earlier returns' (``_pos`` = -1)."""
    import pandas as pd

    here = sub.claims.df[_CLAIM_COLS].assign(_pos=range(len(sub.claims)))
    hist = history_frame(ctx, "Claims") if ctx.history else ()
    if not len(hist):  # (an empty history frame has untyped columns: leave it out)
        return here
    return pd.concat([hist[_CLAIM_COLS].assign(_pos=-1), here], ignore_index=True).astype(
        {"Date achieved": "datetime64[s]", "Start date": "datetime64[s]"}
    )


def _asof(left, right, right_on: str, *, strict: bool = False, fallback_forward: bool = False):
    """For each left row, the right row of the same client latest on or before (strictly before when
    ``strict``) its Date achieved; with ``fallback_forward``, else the earliest after it."""
    import pandas as pd

    right = right.astype({"Client ref": object}).sort_values(right_on, kind="stable")
    left = left.astype({"Client ref": object}).sort_values("Date achieved", kind="stable")
    merged = pd.merge_asof(
        left,
        right,
        left_on="Date achieved",
        right_on=right_on,
        by="Client ref",
        direction="backward",
        allow_exact_matches=not strict,
    )
    if fallback_forward:
        missing = merged[right_on].isna()
        if missing.any():
            fwd = pd.merge_asof(
                left[missing.to_numpy()],
                right,
                left_on="Date achieved",
                right_on=right_on,
                by="Client ref",
                direction="forward",
            )
            merged = pd.concat([merged[~missing.to_numpy()], fwd], ignore_index=True)
    return merged.set_index("_pos")


def _before(sub, ctx, mask):
    """The claims of this return where ``mask`` holds (and Date achieved is known), indexed by row,
    with the client's registration (latest on or before the date achieved, else the first after it:
    ``reg_*``), latest job start strictly before it (``job_*``) and ``known`` (registered anywhere).

    Worked out once per return for all its progressions (P301, P303 and P304 ask for some of them; a
    row's answer does not depend on the other rows asked about); callers must not change it."""
    df = sub.claims.df
    m = (mask & df["Date achieved"].notna() & df["Client ref"].notna()).to_numpy(dtype=bool, na_value=False)
    prog = shared(sub, ctx, _progressions)
    if (m & ~prog).any():  # not only progressions
        return _before_rows(sub, ctx, m)
    f = shared(sub, ctx, _before_progressions)
    if (m == prog).all():
        return f
    return f[m[f.index.to_numpy()]]


def _progressions(sub, _ctx):
    df = sub.claims.df
    m = df["Output"].eq("4") & df["Date achieved"].notna() & df["Client ref"].notna()
    return m.to_numpy(dtype=bool, na_value=False)


def _before_progressions(sub, ctx):
    return _before_rows(sub, ctx, shared(sub, ctx, _progressions))


def _before_rows(sub, ctx, m):
    import numpy as np
    import pandas as pd

    df = sub.claims.df
    pos = np.flatnonzero(m)
    clients = df["Client ref"].to_numpy(dtype=object)[pos]
    achieved = df["Date achieved"].to_numpy()[pos]
    regs = shared(sub, ctx, _registrations)
    jobs = shared(sub, ctx, _job_starts)
    reg = _asof_index(clients, achieved, regs["Client ref"], regs["Registration date"], "backward")
    missing = reg < 0
    if missing.any():  # registered only after the claim: the first registration after it
        reg[missing] = _asof_index(
            clients[missing], achieved[missing], regs["Client ref"], regs["Registration date"], "forward"
        )
    job = _asof_index(clients, achieved, jobs["Client ref"], jobs["job_date"], "strictly backward")
    index = pd.Index(pos.astype("int64"), name="_pos")
    out = pd.DataFrame(
        {
            "Client ref": pd.Series(clients, index=index, dtype=object),
            "Date achieved": pd.Series(achieved, index=index),
            "reg_date": _take(regs["Registration date"], reg, index),
            "reg_status": _take(regs["Employment status"], reg, index),
            "reg_pay": _take(regs["Gross hourly pay"], reg, index),
            "reg_level": _take(regs["Highest qualification level"], reg, index),
            "job_date": _take(jobs["job_date"], job, index),
            "job_pay": _take(jobs["job_pay"], job, index),
            "job_ref": _take(jobs["job_ref"], job, index),
        }
    )
    out["known"] = out["reg_date"].notna()
    return out


def _job_starts(sub, ctx):
    """2a and 2b claims of this return and earlier ones (earlier first) with a client and a start (the
    Date achieved when the Start date is blank), as columns (NumPy arrays): client, start, pay, claim ref."""
    import numpy as np
    import pandas as pd

    c = _columns(
        sub, ctx, "Claims", ["Client ref", "Output", "Start date", "Date achieved", "Gross hourly pay", "Claim ref"]
    )
    start = np.where(np.isnat(c["Start date"]), c["Date achieved"], c["Start date"])
    is_job = np.array([o in JOB_STARTS for o in c["Output"]], dtype=bool)
    keep = is_job & ~pd.isna(c["Client ref"]) & ~np.isnat(start)
    return {
        "Client ref": c["Client ref"][keep],
        "job_date": start[keep],
        "job_pay": c["Gross hourly pay"][keep],
        "job_ref": c["Claim ref"][keep],
    }


def _asof_index(clients, days, right_clients, right_days, direction: str):
    """For each (client, day), the position in the right columns of the same client's row latest on or
    before the day ("backward"; "strictly backward": before it), or earliest on or after it ("forward");
    -1 where there is none. Of rows on the same day, the last (backward) or first (forward) in their
    order: as ``pandas.merge_asof`` on the right rows sorted by day, stable, without its cost on a few rows."""
    import numpy as np
    import pandas as pd

    n = len(clients)
    rc, rd = np.asarray(right_clients, dtype=object), np.asarray(right_days)
    if not n or not len(rc):
        return np.full(n, -1, dtype=np.int64)
    codes, _ = pd.factorize(np.concatenate([np.asarray(clients, dtype=object), rc]))
    _, ranks = np.unique(np.concatenate([days, rd]), return_inverse=True)
    # one sortable number per row: client first, then day
    key = codes.astype(np.int64) * (len(codes) + 1) + ranks.reshape(-1).astype(np.int64)
    lkey, rkey, lcode, rcode = key[:n], key[n:], codes[:n], codes[n:]
    order = np.lexsort((np.arange(len(rkey)), rkey))
    sorted_key = rkey[order]
    if direction == "forward":
        j = np.searchsorted(sorted_key, lkey, side="left")
    else:
        j = np.searchsorted(sorted_key, lkey, side="left" if direction == "strictly backward" else "right") - 1
    inside = (j >= 0) & (j < len(order))
    jj = np.where(inside, j, 0)
    hit = inside & (rcode[order[jj]] == lcode)
    return np.where(hit, order[jj], -1)


def _take(column, at, index):
    """``column``'s values at positions ``at`` (-1: missing, as NaT or NaN), keeping its dtype."""
    import numpy as np
    import pandas as pd

    values = np.asarray(column)
    got = values[np.where(at >= 0, at, 0)] if len(values) else np.empty(len(at), dtype=values.dtype)
    if values.dtype.kind == "M":
        got = np.where(at >= 0, got, np.datetime64("NaT")).astype(values.dtype)
    elif values.dtype.kind == "f":
        got = np.where(at >= 0, got, np.nan)
    else:
        got = got.astype(object)
        got[at < 0] = np.nan
    return pd.Series(got, index=index, dtype=got.dtype, copy=False)


def _not_checked(sub, ctx, frame, what: str):
    """One info flag for claims whose client registered in an earlier return that was not given."""
    if ctx.history_given or not len(frame):
        return
    first = int(frame.index[0])
    where = sub.claims.at(first, "Client ref")
    n = len(frame)
    yield Flag(
        f"{where.cell}: {n} {what} claim{'s' * (n != 1)} not checked: the client{'s' * (n != 1)} "
        "registered in an earlier return, which was not given (--history)",
        where,
        value(sub.claims, first, "Client ref"),
        severity=INFO,
    )


def _ref(cv, i: int) -> str:
    ref = cv(i, "Claim ref")
    return f"claim {ref}" if ref else "this claim"


def _is(series, *values):
    return series.isin(values)


# --- P301 ------------------------------------------------------------------------------------------


@rule(
    "P301",
    "progression-not-in-work",
    ERROR,
    OUT4,
    "progression for a client not in work before (registration or an earlier job start)",
    fix="Claim output 4 only for a client who was in work before it: recorded as Employed or Self-employed "
    "at registration, or with an earlier 2a or 2b job start; otherwise claim the job start (2a) instead.",
)
def progression_not_in_work(sub, ctx):
    cv = Cells(sub.claims)
    df = sub.claims.df
    prog = df["Output"].eq("4")
    if not prog.any():
        return
    f = _before(sub, ctx, prog)
    reg_in_work = f["reg_status"].isin(std.IN_WORK) & (f["reg_date"] <= f["Date achieved"])
    job_since_reg = f["job_date"].notna() & (
        f["reg_date"].isna() | (f["job_date"] >= f["reg_date"]) | (f["reg_date"] > f["Date achieved"])
    )
    in_work = reg_in_work | job_since_reg
    unknown = ~in_work & ~f["known"]
    yield from _not_checked(sub, ctx, f[unknown], "progression")
    positions, statuses = f.index.to_numpy(), f["reg_status"].to_numpy()
    reg_dates, achieved_dates = f["reg_date"].to_numpy(), f["Date achieved"].to_numpy()
    for i in indices(~in_work & f["known"]):
        pos = int(positions[i])
        where = sub.claims.at(pos, "Client ref")
        client = cv(pos, "Client ref")
        status = plain(statuses[i])
        reg_date, achieved = plain(reg_dates[i]), plain(achieved_dates[i])
        if reg_date > achieved:
            why = f"registered on {day(reg_date)}, after this progression ({day(achieved)})"
        else:
            why = f"{status or 'no employment status'} at registration on {day(reg_date)}"
        yield Flag(
            f"{where.cell}: {_ref(cv, pos)} is a progression (output 4) for client {client}, who was not "
            f"in work before it: {why}, and no 2a or 2b job start before {day(achieved)}",
            where,
            client,
        )


# --- P302 ------------------------------------------------------------------------------------------


@rule(
    "P302",
    "progression-is-apprenticeship",
    ERROR,
    OUT4,
    "an apprenticeship claimed as progression (must be 2b)",
    fix="Apprenticeships are not progressions: claim the apprenticeship start as output 2b instead of 4.",
)
def progression_is_apprenticeship(sub, ctx):
    cv = Cells(sub.claims)
    df = sub.claims.df
    prog = df["Output"].eq("4")
    by_contract = prog & df["Contract type"].eq("Apprenticeship")
    by_level = prog & df["Apprenticeship level"].notna() & ~by_contract
    for i in indices(by_contract):
        where = sub.claims.at(i, "Contract type")
        yield Flag(
            f"{where.cell}: {_ref(cv, i)} is output 4 with contract type Apprenticeship; an apprenticeship "
            "cannot be claimed as a progression and must be claimed as an apprenticeship start (2b)",
            where,
            "Apprenticeship",
        )
    for i in indices(by_level):
        where = sub.claims.at(i, "Apprenticeship level")
        level = cv(i, "Apprenticeship level")
        yield Flag(
            f"{where.cell}: {_ref(cv, i)} is output 4 with apprenticeship level {level}; an apprenticeship "
            "cannot be claimed as a progression and must be claimed as an apprenticeship start (2b)",
            where,
            level,
        )


# --- P303 ------------------------------------------------------------------------------------------


def _by_day(dates, fn):
    """Apply ``fn(date)`` once per distinct date of a datetime Series; a dict date → result."""
    return {d: fn(d) for d in {plain(v) for v in dates.unique()} if d is not None}


@rule(
    "P303",
    "wage-uplift-short",
    ERROR,
    OUT4,
    "type A: new pay below previous × (1 + CPI + 10%), or below the London Living Wage when previous pay was",
    fix="A wage progression needs new pay of at least inflation + 10% on the previous pay (and at least the "
    "London Living Wage if the client was below it): check Gross hourly pay and Previous hourly pay "
    "against the payslips, or claim another progression type.",
)
def wage_uplift_short(sub, ctx):
    import numpy as np

    cv = Cells(sub.claims)
    df = sub.claims.df
    mask = df["Output"].eq("4") & df["Progression type"].eq("A wage") & df["Gross hourly pay"].notna()
    if not mask.any():
        return
    setting = ctx.settings.get("wage_uplift", "additive")
    f = _before(sub, ctx, mask)
    pos = f.index.to_numpy()
    new = df["Gross hourly pay"].to_numpy()[pos]
    given = df["Previous hourly pay"].to_numpy()[pos]
    reg_pay = f["reg_pay"].to_numpy(dtype=float, na_value=np.nan)
    job_pay = f["job_pay"].to_numpy(dtype=float, na_value=np.nan)
    prev = np.where(~np.isnan(given), given, np.where(~np.isnan(reg_pay), reg_pay, job_pay))
    source = np.where(
        ~np.isnan(given), "Previous hourly pay", np.where(~np.isnan(reg_pay), "registration", "job start")
    )
    no_prev = np.isnan(prev)
    unknown = no_prev & ~f["known"].to_numpy()
    yield from _not_checked(sub, ctx, f[unknown], "wage progression")
    for i in np.flatnonzero(no_prev & f["known"].to_numpy()):
        p = int(pos[i])
        where = sub.claims.at(p, "Previous hourly pay")
        yield Flag(
            f"{where.cell}: {_ref(cv, p)} is a wage progression but Previous hourly pay is blank and the "
            "client's registration has no Gross hourly pay, so the uplift cannot be checked; fill in "
            "Previous hourly pay",
            where,
        )

    cpi = _by_day(f["Date achieved"], lambda d: wages.cpi_for(ctx.refdata, d))
    llw = _by_day(f["Date achieved"], lambda d: wages.llw_on(ctx.refdata, d))
    days = [plain(v) for v in f["Date achieved"]]
    cpi_rate = np.array([float(cpi[d][0]) for d in days]) / 100
    llw_rate = np.array([float(llw[d][0]) for d in days])
    with np.errstate(invalid="ignore"):
        approx = prev * (1 + cpi_rate) * 1.10 if setting == "multiplicative" else prev * (1 + cpi_rate + 0.10)
        # a loose float prefilter; every candidate is then decided exactly in Decimal
        candidates = ~no_prev & (new < np.maximum(approx, llw_rate) + 0.01)
    for i in np.flatnonzero(candidates):
        p = int(pos[i])
        d = days[i]
        rate, month, _ = cpi[d]
        llw_now, llw_year, _ = llw[d]
        previous, new_pay = penny(float(prev[i])), penny(float(new[i]))
        threshold = wages.uplift_threshold(previous, rate, setting)
        below_llw = previous < llw_now
        required = max(threshold, llw_now) if below_llw else threshold
        if new_pay >= required:
            continue
        where = sub.claims.at(p, "Gross hourly pay")
        src = "" if source[i] == "Previous hourly pay" else f"; previous pay from the {source[i]}"
        working = (
            f"the threshold {gbp(threshold)} = {wages.uplift_formula(previous, rate, month, setting)}"
            f" ({setting} uplift{src}; App 2 §2.4 output 4)"
        )
        llw_words = f"the London Living Wage {gbp(llw_now)} ({llw_year} rate, in force on {day(d)})"
        if new_pay < threshold:
            msg = f"{where.cell}: new pay {gbp(new_pay)} is below {working}"
            if below_llw:
                msg += f"; previous pay {gbp(previous)} was below {llw_words}, so new pay must also be at least that"
            else:
                msg += f"; previous pay {gbp(previous)} was at or above {llw_words}"
        else:
            msg = (
                f"{where.cell}: new pay {gbp(new_pay)} meets {working}, but previous pay "
                f"{gbp(previous)} was below {llw_words}, and new pay is below it"
            )
        yield Flag(msg, where, float(new_pay))


# --- P304 ------------------------------------------------------------------------------------------


def _level_rank(series):
    return series.map(LEVEL_RANK)


@rule(
    "P304",
    "training-not-higher",
    ERROR,
    OUT4,
    "type B: qualification level not above the client's highest level (level-free in-work skills course: warning)",
    fix="A training progression needs a qualification a level above the client's highest (e.g. level 3 when "
    "qualified to level 2); for an in-work skills course with no level, write None as the level and "
    "describe the course in Qualification gained, for the PMO to confirm.",
)
def training_not_higher(sub, ctx):
    import numpy as np
    import pandas as pd

    cv = Cells(sub.claims)
    df = sub.claims.df
    mask = df["Output"].eq("4") & df["Progression type"].eq("B training") & df["Qualification level"].notna()
    if not mask.any():
        return
    f = _before(sub, ctx, mask)
    pos = f.index.to_numpy()
    level = df["Qualification level"].to_numpy()[pos]
    # earlier type B qualifications of the client, in this return or earlier ones (strictly before)
    claims = shared(sub, ctx, _all_claims)
    earlier = claims[
        claims["Output"].eq("4")
        & claims["Progression type"].eq("B training")
        & claims["Qualification level"].isin([lv for lv in std.QUALIFICATION_LEVELS if lv != "None"])
    ]
    earlier = pd.DataFrame(
        {
            "Client ref": earlier["Client ref"],
            "gained_date": earlier["Date achieved"],
            "gained_rank": _level_rank(earlier["Qualification level"]),
        }
    ).dropna()
    earlier = earlier.groupby(["Client ref", "gained_date"], as_index=False)["gained_rank"].max()
    earlier = earlier.sort_values(["Client ref", "gained_date"])
    earlier["gained_rank"] = earlier.groupby("Client ref")["gained_rank"].cummax()
    left = f.reset_index()[["_pos", "Client ref", "Date achieved"]]
    got = _asof(left, earlier, "gained_date", strict=True)["gained_rank"].reindex(f.index)
    reg_rank = _level_rank(f["reg_level"]).where(f["reg_date"].notna())
    highest = np.fmax(reg_rank.to_numpy(dtype=float, na_value=np.nan), got.to_numpy(dtype=float, na_value=np.nan))
    new_rank = np.array([LEVEL_RANK.get(lv, np.nan) for lv in level], dtype=float)
    level_free = level == "None"
    unknown = np.isnan(highest) & ~level_free & ~f["known"].to_numpy()
    yield from _not_checked(sub, ctx, f[unknown], "training progression")
    for i in np.flatnonzero(level_free):
        p = int(pos[i])
        where = sub.claims.at(p, "Qualification level")
        course = cv(p, "Qualification gained") or "(no course named)"
        yield Flag(
            f"{where.cell}: {_ref(cv, p)} is a training progression with no qualification level "
            f"({course!r}): accepted only as an in-work skills course (e.g. management, construction site "
            "skills); the PMO confirms it",
            where,
            course,
            severity=WARNING,
        )
    with np.errstate(invalid="ignore"):
        short = ~level_free & ~np.isnan(highest) & (new_rank <= highest)
    reg_ranks = reg_rank.to_numpy(dtype=float, na_value=np.nan)
    reg_dates = f["reg_date"].to_numpy()
    for i in np.flatnonzero(short):
        p = int(pos[i])
        where = sub.claims.at(p, "Qualification level")
        from_reg = reg_ranks[i] == highest[i]
        basis = (
            f"recorded at registration on {day(plain(reg_dates[i]))}"
            if from_reg
            else "from an earlier training progression"
        )
        top = next(lv for lv, r in LEVEL_RANK.items() if r == highest[i])
        yield Flag(
            f"{where.cell}: {_ref(cv, p)} is a training progression at level {level[i]}, not above the "
            f"client's highest level {top} ({basis}); it must be a level up",
            where,
            level[i],
        )


# --- P305 ------------------------------------------------------------------------------------------


@rule(
    "P305",
    "contract-not-better",
    ERROR,
    OUT4,
    "type C: neither zero-hours/temporary → guaranteed with more weekly hours, nor temporary guaranteed → permanent",
    fix="A contract progression is a move from zero hours or temporary hours to a guaranteed-hours contract "
    "with more weekly hours, or from a temporary or fixed-term contract to a permanent one: check Previous "
    "contract type, Contract type and the weekly hours.",
)
def contract_not_better(sub, ctx):
    cv = Cells(sub.claims)
    df = sub.claims.df
    mask = (
        df["Output"].eq("4")
        & df["Progression type"].eq("C contract")
        & df["Contract type"].notna()
        & df["Previous contract type"].notna()
        & ~df["Contract type"].eq("Apprenticeship")
    )  # P302's
    if not mask.any():
        return
    prev, new = df["Previous contract type"], df["Contract type"]
    hours_new, hours_prev = df["Weekly hours"], df["Previous weekly hours"]
    to_permanent = _is(prev, "Temporary", "Fixed-term", "Apprenticeship") & new.eq("Permanent")
    needs_hours = (prev.eq("Zero hours") & _is(new, *GUARANTEED)) | (
        prev.eq("Temporary") & _is(new, "Permanent", "Fixed-term")
    )
    hours_known = hours_new.notna() & hours_prev.notna()
    more_hours = hours_known & (hours_new > hours_prev)
    bad_pair = mask & ~to_permanent & ~needs_hours
    bad_hours = mask & ~to_permanent & needs_hours & hours_known & ~more_hours  # blank hours: S005 says so
    for i in indices(bad_pair):
        where = sub.claims.at(i, "Contract type")
        p, n = cv(i, "Previous contract type"), cv(i, "Contract type")
        yield Flag(
            f"{where.cell}: {_ref(cv, i)}: a move from {p} to {n} is not a better contract; type C is zero "
            "hours or temporary → guaranteed hours with more weekly hours, or temporary or fixed-term → "
            "permanent",
            where,
            f"{p} → {n}",
        )
    for i in indices(bad_hours):
        where = sub.claims.at(i, "Weekly hours")
        p, n = cv(i, "Previous contract type"), cv(i, "Contract type")
        h, hp = cv(i, "Weekly hours"), cv(i, "Previous weekly hours")
        yield Flag(
            f"{where.cell}: {_ref(cv, i)}: {p} → {n} counts only with more guaranteed weekly hours, but "
            f"weekly hours {num(h)} are not above the previous {num(hp)}",
            where,
            h,
        )


# --- P306 ------------------------------------------------------------------------------------------


@rule(
    "P306",
    "one-progression-per-event",
    ERROR,
    OUT4,
    "two progression claims for the same client and date achieved",
    fix="Claim one progression per event: keep one claim and note the other change (e.g. a better contract "
    "as well as higher pay) in its Notes.",
)
def one_progression_per_event(sub, ctx):
    if not _two_on_a_day(sub, ctx):
        return
    cv = Cells(sub.claims)
    claims = shared(sub, ctx, _all_claims)
    prog = claims[claims["Output"].eq("4")].dropna(subset=["Client ref", "Date achieved"])
    # an earlier return's row with a Claim ref of this return is the same claim again (C213's, not an event)
    prog = prog[prog["_pos"].ge(0) | ~prog["Claim ref"].isin(set(sub.claims.df["Claim ref"].dropna()))]
    if not len(prog):
        return
    dup = prog.duplicated(["Client ref", "Date achieved"], keep="first")
    if not dup.any():
        return
    firsts = prog[~dup].drop_duplicates(["Client ref", "Date achieved"]).set_index(["Client ref", "Date achieved"])
    for i in indices(dup & prog["_pos"].ge(0)):
        row = prog.iloc[i]
        p = int(row["_pos"])
        first = firsts.loc[(row["Client ref"], row["Date achieved"])]
        where = sub.claims.at(p, "Date achieved")
        if first["_pos"] >= 0:
            first_where = f", {sub.claims.at(int(first['_pos']), 'Date achieved').cell}"
        else:
            first_where = " in an earlier return"
        yield Flag(
            f"{where.cell}: {_ref(cv, p)} is a second progression for client {row['Client ref']} on "
            f"{day(row['Date achieved'])} (first: claim {first['Claim ref']}{first_where}); only one "
            "progression can be claimed per event",
            where,
            row["Client ref"],
        )


def _two_on_a_day(sub, ctx) -> bool:
    """Whether any client has two progressions with one Date achieved, in this return and earlier ones
    together: P306 has nothing to say otherwise, and this look over the columns costs less than its frames."""
    import numpy as np
    import pandas as pd

    c = _columns(sub, ctx, "Claims", ["Output", "Client ref", "Date achieved"])
    days = c["Date achieved"].astype(np.int64)
    blank = np.isnat(c["Date achieved"]) | pd.isna(c["Client ref"])
    seen = set()
    for o, client, d, no in zip(c["Output"], c["Client ref"], days, blank, strict=True):
        if o == "4" and not no:
            if (client, d) in seen:
                return True
            seen.add((client, d))
    return False


# --- P307, P308: placements ------------------------------------------------------------------------


def _weekdays(df, mask):
    """Weekdays from Start date to End date inclusive, for the rows of ``mask`` with both dates."""
    import numpy as np

    m = mask & df["Start date"].notna() & df["End date"].notna()
    pos = np.flatnonzero(m.to_numpy(dtype=bool, na_value=False))
    start = df["Start date"].to_numpy()[pos].astype("datetime64[D]")
    end = df["End date"].to_numpy()[pos].astype("datetime64[D]")
    count = np.busday_count(start, end + np.timedelta64(1, "D"))  # not positive when the end is before the start
    return pos, count


def _length(cv, i: int, weekdays: int) -> str:
    s, e = cv(i, "Start date"), cv(i, "End date")
    if weekdays < 0 or e < s:
        return f"{day(s)} to {day(e)} ends before it starts"
    return f"{day(s)} to {day(e)} is {weekdays} weekday{'s' * (weekdays != 1)}"


@rule(
    "P307",
    "work-experience-short",
    ERROR,
    OUT5,
    "work experience under 2 weeks",
    fix="Work experience counts from two weeks (10 weekdays, start and end included): check the Start and "
    "End dates against the host's letter, or claim it when the placement has lasted two weeks.",
)
def work_experience_short(sub, ctx):
    cv = Cells(sub.claims)
    df = sub.claims.df
    pos, count = _weekdays(df, df["Output"].eq("5") & df["Placement type"].eq("Work experience"))
    for k in (k for k in range(len(pos)) if count[k] < WORK_EXPERIENCE_DAYS):
        i = int(pos[k])
        where = sub.claims.at(i, "End date")
        yield Flag(
            f"{where.cell}: {_ref(cv, i)}: work experience {_length(cv, i, int(count[k]))}, under two weeks "
            f"({WORK_EXPERIENCE_DAYS} weekdays)",
            where,
            int(count[k]),
        )


def _internship_day(cv, i: int):
    """The day an internship's pay is judged on: its start date (else the date achieved)."""
    return cv(i, "Start date") or cv(i, "Date achieved")


@rule(
    "P308",
    "internship-short-or-underpaid",
    ERROR,
    OUT5,
    "internship under 4 weeks or paid below LLW",
    fix="An internship counts from four weeks (20 weekdays, start and end included) paid at least the London "
    "Living Wage in force when it started: check the dates and Gross hourly pay against the employer's "
    "letter.",
)
def internship_short_or_underpaid(sub, ctx):
    cv = Cells(sub.claims)
    df = sub.claims.df
    intern = df["Output"].eq("5") & df["Placement type"].eq("Internship")
    if not intern.any():
        return
    pos, count = _weekdays(df, intern)
    for k in (k for k in range(len(pos)) if count[k] < INTERNSHIP_DAYS):
        i = int(pos[k])
        where = sub.claims.at(i, "End date")
        yield Flag(
            f"{where.cell}: {_ref(cv, i)}: internship {_length(cv, i, int(count[k]))}, under four weeks "
            f"({INTERNSHIP_DAYS} weekdays)",
            where,
            int(count[k]),
        )
    paid = intern & df["Gross hourly pay"].notna() & (df["Start date"].notna() | df["Date achieved"].notna())
    if not paid.any():
        return
    when = df["Start date"].fillna(df["Date achieved"])
    llw = _by_day(when[paid], lambda d: wages.llw_on(ctx.refdata, d))
    highest = max(float(r[0]) for r in llw.values())
    for i in indices(paid & (df["Gross hourly pay"] < highest + 0.01)):  # loose prefilter, decided exactly below
        d = _internship_day(cv, i)
        rate, year, _ = llw[d]
        pay = penny(cv(i, "Gross hourly pay"))
        if pay >= rate:
            continue
        where = sub.claims.at(i, "Gross hourly pay")
        yield Flag(
            f"{where.cell}: {_ref(cv, i)}: internship pay {gbp(pay)} an hour is below the London "
            f"Living Wage {gbp(rate)} ({year} rate, in force on {day(d)})",
            where,
            float(pay),
        )


# --- P309 ------------------------------------------------------------------------------------------


@rule(
    "P309",
    "reference-data-stale",
    WARNING,
    "App 2 §2.4 outputs 4 and 5; data/README.md",
    "no CPI or LLW figure covers the date achieved: the newest one was used; update the reference data",
    fix="Nothing to change in the return: the council updates the CPI or London Living Wage file (swtool "
    "refdata) and the return is checked again.",
)
def reference_data_stale(sub, ctx):
    cv = Cells(sub.claims)
    df = sub.claims.df
    wage = df["Output"].eq("4") & df["Progression type"].eq("A wage") & df["Date achieved"].notna()
    intern = df["Output"].eq("5") & df["Placement type"].eq("Internship") & df["Gross hourly pay"].notna()
    intern_day = df["Start date"].fillna(df["Date achieved"])
    intern = intern & intern_day.notna()
    lookup = {"CPI": lambda d: wages.cpi_figure(ctx.refdata, d), "LLW": lambda d: wages.llw_on(ctx.refdata, d)}
    for figure, days in (
        ("CPI", [df["Date achieved"][wage]]),
        ("LLW", [df["Date achieved"][wage], intern_day[intern]]),
    ):
        if not any(len(d) for d in days):
            continue
        found: dict = {}
        for d in days:
            found.update(_by_day(d, lookup[figure]))
        estimated = figure == "CPI" and any(got.estimated for got in found.values())
        if all(got[2] for got in found.values()) and not estimated:
            continue  # every day covered, and no estimated release date: nothing to say, no frame to build
        rows = _uses(df, wage, intern, intern_day)[figure]
        yield from _not_covered(sub, ctx, cv, figure, rows, found)
        if figure == "CPI":
            yield from _estimated_release_dates(sub, cv, rows, found)


def _uses(df, wage, intern, intern_day):
    """The day each row is judged on, and the cell that holds it, as (row, day, header); a row may appear
    once per use."""
    import numpy as np

    def rows(mask, days, headers):
        at = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))
        return [(int(i), d, h) for i, d, h in zip(at, days.to_numpy()[at], headers[at], strict=True)]

    n = len(df)
    wage_rows = rows(wage, df["Date achieved"], np.full(n, "Date achieved", dtype=object))
    has_start = df["Start date"].notna().to_numpy()
    intern_rows = rows(intern, intern_day, np.where(has_start, "Start date", "Date achieved").astype(object))
    return {"CPI": wage_rows, "LLW": wage_rows + intern_rows}


def _first_of(sub, rows, days):
    """The rows judged on ``days``, in row order; the first one's cell; how many claims; the span."""
    import numpy as np

    wanted = {np.datetime64(d, "s") for d in days}  # midnight of each day, as pandas' isin compares them
    hit = sorted(((i, h) for i, d, h in rows if np.datetime64(d, "s") in wanted), key=lambda r: r[0])
    if not hit:  # no row on those days (a date with a time of day): as the frames always did
        hit = _first_of_frame(rows, days)
    first, header = hit[0]
    span = day(days[0]) if len(days) == 1 else f"{day(days[0])} to {day(days[-1])}"
    return first, header, sub.claims.at(first, header), len({i for i, _ in hit}), span


def _first_of_frame(rows, days):
    import pandas as pd

    frame = pd.DataFrame(
        {"day": pd.Series([d for _, d, _ in rows], dtype="datetime64[s]"), "header": [h for _, _, h in rows]},
    ).set_axis([i for i, _, _ in rows])
    hit = frame[frame["day"].isin(pd.to_datetime(days))].sort_index(kind="stable")
    return [(int(hit.index[0]), hit["header"].iat[0])]


def _not_covered(sub, ctx, cv, figure, rows, found):
    """P309's first case: no figure in the file covers the day; once per figure, at the first claim."""
    stale_days = sorted(d for d, got in found.items() if not got[2])
    if not stale_days:
        return
    first, header, where, claims, span = _first_of(sub, rows, stale_days)
    if figure == "CPI":
        months = sorted(ctx.refdata.cpi)
        held = f"{wages.month_label(months[0])} to {wages.month_label(months[-1])}"
        used = ", ".join(sorted({f"{wages.month_label(found[d][1])} ({found[d][0]}%)" for d in stale_days}))
        what = (
            f"the CPI reference data ({held}) does not hold the figure last published before {span}; "
            f"{used} was used instead"
        )
    else:
        years = [r[2] for r in sorted(ctx.refdata.london_living_wage)]
        used = ", ".join(sorted({f"{found[d][1]} rate {gbp(found[d][0])}" for d in stale_days}))
        what = (
            f"the London Living Wage reference data ({years[0]} to {years[-1]} rates) has no rate known to "
            f"be in force on {span}; the {used} was used instead"
        )
    yield Flag(
        f"{where.cell}: {what}, for {claims} claim{'s' * (claims != 1)}; the council should update the "
        "reference data (swtool refdata) and check again",
        where,
        cv(first, header),
    )


def _estimated_release_dates(sub, cv, rows, found):
    """P309's second case: a CPI month in the file has no release date and its estimated publication
    day decided which figure a claim uses; once per such month, at the first claim it decided."""
    decided: dict[tuple[str, object], list] = {}
    for d, got in found.items():
        for month, when in got.estimated:
            decided.setdefault((month, when), []).append(d)
    for (month, when), days in sorted(decided.items()):
        first, header, where, claims, span = _first_of(sub, rows, sorted(days))
        yield Flag(
            f"{where.cell}: the release date of the {wages.month_label(month)} CPI figure is not in the "
            f"reference data; it was taken as published on {day(when)} (the first Wednesday on or after "
            f"the 20th of the next month), for {claims} claim{'s' * (claims != 1)} achieved {span}; the "
            "council should add the ONS release date to the CPI reference data (swtool refdata) and check "
            "again",
            where,
            cv(first, header),
        )
