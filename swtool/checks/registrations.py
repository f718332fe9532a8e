"""R — registrations and eligibility (App 2 §2.1, §2.4 output 1, §14): may this client be registered?

Every rule works on whole columns of the Registrations sheet and loops only over the rows that fail.
A cell the reader could not type (S004) or a column the sheet lacks (S003) is not reported again
here as missing. Rules about earlier quarters (R111, R112, R116) use the earlier returns of this
contract (``--history``); without them they say once what they could not check.
"""

from __future__ import annotations

import re
import unicodedata

from swtool.catalogue import rule
from swtool.checks.common import Cells, day, history_frame, indices, outside_quarter, shared, unreadable
from swtool.findings import ERROR, INFO, WARNING, Flag, Location
from swtool.model import standard as std
from swtool.model.refdata import FILES
from swtool.model.words import plural

REG = "Registrations"
RESIDENCE = "App 2 §2.1"
OUTPUT1 = "App 2 §2.4 output 1"
MIN_AGE = 16  # output 1: "people over 16 years of age"; lot 1 is 16–25, so 16 itself is eligible
LOT4_SHARE = 0.5  # §14.4: at least 50% of the client group 18+ with a social worker or primary support need
LOT4_AGE = 18
RE_REGISTRATION_MONTHS = 12
NON_GEOGRAPHIC = ("SE1P", "SE99")  # PO-box / business-reply districts: nobody lives at these postcodes
AGED_50 = "Aged 50+"  # lot 2's criterion (§14.2)
OLDER_AGE = 50

# The UKVI postcode expression (TEMPLATES/data README), anchored as a whole, on upper case, with the
# Royal Mail rules the README quotes: Q, V, X never first; I, Z never second; the inward code never
# uses C, I, K, M, O or V. Character classes are written out so that only ASCII letters and digits
# match (no \d, no case folding that could turn a look-alike into a Latin letter).
_POSTCODE = (
    r"(?:GIR 0AA|(?:[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HJ-Y][0-9]{1,2}|[A-PR-UWYZ][0-9][A-Z]"
    r"|[A-PR-UWYZ][A-HJ-Y][0-9]?[A-Z]) [0-9][ABD-HJLNP-UW-Z]{2})"
)
_OUTWARD = re.compile(r"[A-PR-UWYZ][A-HJ-Y]?[0-9][A-Z0-9]?")
_NOT_PLAIN = r"[^A-Za-z0-9 ]"  # anything but ASCII letters, digits and the ordinary space
_POSTCODE_RE, _NOT_PLAIN_RE, _SPACES_RE = re.compile(_POSTCODE), re.compile(_NOT_PLAIN), re.compile(r" {2,}")


# --- helpers -----------------------------------------------------------------------------------------


def _has_column(table, header: str) -> bool:
    """False when the sheet lacks the column (S003 says so; the rules stay quiet about it)."""
    return header in table.letters


def _missing(sub, table, header: str):
    """Blank cells of a column, leaving out the ones S004 already reported as unreadable."""
    return table.df[header].isna().to_numpy() & ~unreadable(sub, table, header)


def _client_keys(series):
    """Client refs compared across returns: case and spaces do not matter."""
    return series.astype("object").where(series.notna()).str.replace(r"\s+", "", regex=True).str.upper()


def _lot_rule(sub, lot: str) -> bool:
    return sub.lot == lot and len(sub.registrations) > 0


def _first_quarter(sub, ctx) -> bool:
    """True when the contract started in (or after the start of) this return's quarter: nothing earlier."""
    c, q = ctx.contract, sub.quarter
    return c is not None and q is not None and c.start is not None and c.start >= q.start


def _postcodes(series):
    """Typed postcodes → (canonical form or None, valid mask, mask of cells with unusual characters).

    Accepted spellings: any letter case, one space or none between outward and inward code (the
    inward code is always the last three characters), runs of ordinary spaces read as one. Anything
    else — a non-breaking space, a Cyrillic or full-width look-alike, punctuation — is not a postcode.
    """
    import numpy as np
    import pandas as pd

    present = series.notna().to_numpy(dtype=bool)
    texts = [v if v.__class__ is str else str(v) for v in series.to_numpy(dtype=object)[present]]
    seen = {text: _postcode_of(text) for text in dict.fromkeys(texts)}  # each distinct text worked out once
    got = list(map(seen.__getitem__, texts))
    canon = np.full(len(series), None, dtype=object)
    valid = np.zeros(len(series), dtype=bool)
    odd = np.zeros(len(series), dtype=bool)
    if got:
        codes = np.empty(len(got), dtype=object)
        codes[:] = [c for c, _ in got]
        canon[present] = codes
        valid[present] = [c is not None for c, _ in got]
        odd[present] = [o for _, o in got]
    index = series.index
    return pd.Series(canon, index=index, dtype=object), pd.Series(valid, index=index), pd.Series(odd, index=index)


def _postcode_of(text: str) -> tuple[str | None, bool]:
    """One typed postcode: (its canonical form, or None when it is not a valid postcode; whether it holds
    a character other than an ASCII letter, a digit or the ordinary space)."""
    odd = _NOT_PLAIN_RE.search(text) is not None
    up = _SPACES_RE.sub(" ", text.upper()).strip()
    if " " not in up:
        up = up[:-3] + " " + up[-3:]
    return (up if not odd and _POSTCODE_RE.fullmatch(up) else None), odd


def _describe_char(ch: str) -> str:
    if ch == "\u00a0":
        return "a non-breaking space (U+00A0)"
    if ch.isspace():
        return f"an unusual space character (U+{ord(ch):04X})"
    if ord(ch) < 128:
        return f"the character {ch!r}"
    name = unicodedata.name(ch, "unnamed character")
    return (
        f"{ch!r} ({name.title()}, U+{ord(ch):04X}), which looks like a Latin letter or digit but is not one"
        if ch.isalnum()
        else f"{ch!r} ({name.title()}, U+{ord(ch):04X})"
    )


def _postcode_basis(table):
    """Rows whose residence is proved by postcode (App 2 §2.1): all but Local connection."""
    return table.df["Residence basis"].astype("object").ne("Local connection").to_numpy()


def _plus_months(dates, months: int):
    """Dates plus whole calendar months; a day past the month's end becomes its last day (29/02 → 28/02)."""
    import pandas as pd

    return dates + pd.DateOffset(months=months)


# --- residence and right to work (App 2 §2.1) ----------------------------------------------------------


@rule(
    "R101",
    "postcode-format",
    ERROR,
    RESIDENCE,
    "postcode is not a valid UK postcode",
    fix="Type the client's full postcode in the form SE1 0AA, using plain letters, digits and one ordinary space "
    "(retype it rather than pasting it from a web page or e-mail).",
)
def postcode_format(sub, ctx):
    t = sub.registrations
    v = Cells(t)
    if not len(t) or not _has_column(t, "Postcode"):
        return
    s = t.df["Postcode"]
    _, valid, unusual = shared(sub, ctx, _reg_postcodes)
    bad = s.notna() & ~valid
    for i in indices(bad):
        where = t.at(i, "Postcode")
        typed = v(i, "Postcode")
        text = str(typed)
        if unusual.iat[i]:
            ch = next(c for c in text if not (c.isascii() and (c.isalnum() or c == " ")))
            why = f"it contains {_describe_char(ch)}; retype it with plain letters, digits and an ordinary space"
        elif _OUTWARD.fullmatch(text.upper().replace(" ", "")):
            why = "it is only the first half (the district); the full postcode, e.g. SE1 0AA, is needed"
        else:
            why = "expected a UK postcode such as SE1 0AA"
        yield Flag(
            f"{where.cell}: postcode {text!r} for {v.client(i)} is not a valid UK postcode: {why} ({RESIDENCE})",
            where,
            typed,
        )


def _non_geographic(canon):
    """True where a canonical postcode is in a PO-box / non-geographic district (SE1P, SE99)."""
    import numpy as np

    codes = canon.tolist()
    districts = {c: c is not None and c.partition(" ")[0] in NON_GEOGRAPHIC for c in dict.fromkeys(codes)}
    return np.fromiter(map(districts.__getitem__, codes), dtype=bool, count=len(codes))


def _reg_postcodes(sub, _ctx):
    """``_postcodes`` of the Registrations sheet, worked out once per return (R101, R102, R118, R119)."""
    return _postcodes(sub.registrations.df["Postcode"])


def _reg_criteria(sub, _ctx):
    """``_criteria`` of the Registrations sheet, worked out once per return (R107, R114, R120)."""
    return _criteria(sub.registrations)


def _southwark_status(sub, ctx):
    """For rows whose residence is by a valid home-address postcode: (canonical postcode, in the reference
    list?, sector, sector status or None). A PO-box district is R119's, not a place to judge (R102, R118).
    Worked out once per return; callers must not change it."""
    return shared(sub, ctx, _southwark_status_of)


def _southwark_status_of(sub, ctx):
    import numpy as np
    import pandas as pd

    t = sub.registrations
    canon, valid, _ = shared(sub, ctx, _reg_postcodes)
    checked = valid.to_numpy() & _postcode_basis(t) & ~_non_geographic(canon)
    codes = canon.tolist()
    listed = np.fromiter(map(ctx.refdata.southwark_postcodes.__contains__, codes), dtype=bool, count=len(codes))
    sector_of = {c: c[:-2] if c is not None else None for c in dict.fromkeys(codes)}
    sectors = list(map(sector_of.__getitem__, codes))
    statuses = list(map(ctx.refdata.postcode_sectors.get, sectors))
    return (
        canon,
        checked,
        listed,
        pd.Series(sectors, index=canon.index, dtype=object),
        pd.Series(statuses, index=canon.index, dtype=object),
    )


@rule(
    "R102",
    "postcode-outside-southwark",
    ERROR,
    RESIDENCE,
    "postcode is valid but not a Southwark postcode in the reference list, and its sector is not wholly in Southwark",
    fix="Check the postcode with the council's postcode checker. Clients must live in Southwark; a "
    "client with no fixed address needs Residence basis 'Local connection'.",
)
def postcode_outside_southwark(sub, ctx):
    t = sub.registrations
    v = Cells(t)
    if not len(t) or not _has_column(t, "Postcode"):
        return
    canon, checked, listed, sector, status = _southwark_status(sub, ctx)
    wholly = status.eq("wholly_southwark").to_numpy(dtype=bool, na_value=False)
    for i in indices(checked & ~listed & ~wholly):
        where = t.at(i, "Postcode")
        pc, sec = canon.iat[i], sector.iat[i]
        if status.iat[i] == "straddles":
            why = (
                f"it is not in the Southwark postcode list and its sector {sec} straddles the borough boundary, "
                "so it is taken as outside Southwark"
            )
        else:
            why = f"the {sec} sector is not a Southwark sector"
        yield Flag(
            f"{where.cell}: postcode {pc!r} for {v.client(i)} is not in Southwark ({why}) ({RESIDENCE})",
            where,
            v(i, "Postcode"),
        )


@rule(
    "R118",
    "postcode-not-in-reference",
    WARNING,
    RESIDENCE,
    "postcode not in the reference list but its sector lies wholly in Southwark (likely a postcode newer than "
    "the list): the PMO confirms",
    fix="Nothing to change if the postcode is right (new postcodes are not yet in the list); check it was typed "
    "correctly. The PMO confirms it.",
)
def postcode_not_in_reference(sub, ctx):
    t = sub.registrations
    v = Cells(t)
    if not len(t) or not _has_column(t, "Postcode"):
        return
    canon, checked, listed, sector, status = _southwark_status(sub, ctx)
    wholly = status.eq("wholly_southwark").to_numpy(dtype=bool, na_value=False)
    vintage = FILES["southwark_postcodes.csv"].vintage  # an override's too: the shipped file's is named
    for i in indices(checked & ~listed & wholly):
        where = t.at(i, "Postcode")
        yield Flag(
            f"{where.cell}: postcode {canon.iat[i]!r} for {v.client(i)} is not in the Southwark postcode "
            f"list ({vintage}), but its sector {sector.iat[i]} lies wholly in Southwark: probably a newer "
            f"postcode; the PMO confirms it ({RESIDENCE})",
            where,
            v(i, "Postcode"),
        )


@rule(
    "R119",
    "non-residential-postcode",
    ERROR,
    RESIDENCE,
    "residence by Southwark postcode, but the postcode is in a PO-box / non-geographic district (SE1P, SE99): not "
    "a home address",
    fix="Record the postcode of the client's home; a PO box or business-reply postcode (SE1P, SE99) is not where "
    "anyone lives. A client with no fixed address needs Residence basis 'Local connection'.",
)
def non_residential_postcode(sub, ctx):
    t = sub.registrations
    v = Cells(t)
    if not len(t) or not _has_column(t, "Postcode"):
        return
    canon, valid, _ = shared(sub, ctx, _reg_postcodes)
    for i in indices(valid.to_numpy() & _postcode_basis(t) & _non_geographic(canon)):
        where = t.at(i, "Postcode")
        pc = canon.iat[i]
        yield Flag(
            f"{where.cell}: postcode {pc!r} for {v.client(i)} is in {pc.split(' ')[0]}, a PO-box "
            f"(non-geographic) district, so it is not a home address; residence by Southwark postcode needs "
            f"the postcode of the client's home ({RESIDENCE})",
            where,
            v(i, "Postcode"),
        )


@rule(
    "R103",
    "local-connection",
    WARNING,
    RESIDENCE,
    "residence by local connection: needs 6 of the last 12 months or 3 of the last 5 years",
    fix="Keep a case note showing the client has lived in Southwark for 6 of the last 12 months or 3 of the last "
    "5 years; if you are unsure, ask the commissioning team (they refer to Housing Solutions).",
)
def local_connection(sub, ctx):
    t = sub.registrations
    v = Cells(t)
    if not len(t):
        return
    for i in indices(t.df["Residence basis"].astype("object").eq("Local connection")):
        where = t.at(i, "Residence basis")
        yield Flag(
            f"{where.cell}: {v.client(i)} is registered by local connection; the return cannot show it, so "
            "the PMO confirms the client lived in Southwark for at least 6 of the last 12 months or 3 of the "
            f"last 5 years ({RESIDENCE})",
            where,
            "Local connection",
        )


def _answered_no(t, header: str):
    """(location, "client …") of each row whose Yes/No column is No."""
    v = Cells(t)
    for i in indices(t.df[header].eq(False)):
        yield t.at(i, header), v.client(i)


@rule(
    "R104",
    "right-to-work",
    ERROR,
    RESIDENCE,
    "right to work not seen",
    fix="See the client's evidence of the right to work (add a client note saying what was seen) before "
    "registering them, then set Right to work seen to Yes.",
)
def right_to_work(sub, ctx):
    for where, client in _answered_no(sub.registrations, "Right to work seen"):
        yield Flag(
            f"{where.cell}: Right to work seen is No for {client}; clients must show evidence of "
            f"their right to work before they are registered ({RESIDENCE})",
            where,
            False,
        )


# --- age and lot eligibility (App 2 §2.4 output 1, §14) ----------------------------------------------


def _ages(t):
    """Ages within the column's own range (0–120; outside it S004 has spoken)."""
    col = std.REGISTRATIONS.column("Age at registration")
    age = t.df["Age at registration"]
    return age, age.between(col.minimum, col.maximum).to_numpy(dtype=bool, na_value=False)


@rule(
    "R105",
    "under-16",
    ERROR,
    OUTPUT1,
    'age under 16 (output 1: "over 16 years of age")',
    fix="Only people aged 16 or over can be registered; check the age at registration, or remove the row.",
)
def under_16(sub, ctx):
    t = sub.registrations
    v = Cells(t)
    if not len(t):
        return
    age, sane = _ages(t)
    for i in indices(sane & age.lt(MIN_AGE).to_numpy(dtype=bool, na_value=False)):
        where = t.at(i, "Age at registration")
        a = v(i, "Age at registration")
        yield Flag(
            f"{where.cell}: {v.client(i)} was {a} at registration; clients must be at least {MIN_AGE} ({OUTPUT1})",
            where,
            a,
        )


@rule(
    "R106",
    "lot-age",
    ERROR,
    "§14.1; App 1 §5.4",
    "age outside the lot's range (lot 1: 16–25)",
    fix="Check the age at registration; a client outside your lot's age range belongs to another lot — refer "
    "them through the Network Coordinator.",
)
def lot_age(sub, ctx):
    t = sub.registrations
    v = Cells(t)
    lot = ctx.refdata.lots.get(sub.lot or "")
    if not len(t) or lot is None:
        return
    lo, hi = lot.get("age_min") or MIN_AGE, lot.get("age_max")
    age, sane = _ages(t)
    below = age.lt(lo) & age.ge(MIN_AGE)  # under 16 is R105's
    out = (below | age.gt(hi)) if hi is not None else below
    rng = f"{lo}–{hi}" if hi is not None else f"{lo} and over"
    for i in indices(sane & out.to_numpy(dtype=bool, na_value=False)):
        where = t.at(i, "Age at registration")
        a = v(i, "Age at registration")
        side = "above" if hi is not None and a > hi else "below"
        yield Flag(
            f"{where.cell}: {v.client(i)} was {a} at registration, {side} lot {sub.lot}'s age range of {rng} (§14.1)",
            where,
            a,
        )


def _criteria(t):
    """One row per (registration row, eligibility code), codes stripped: each distinct cell split once."""
    from itertools import chain

    import numpy as np
    import pandas as pd

    s = t.df["Eligibility criteria"].astype("object")
    s = s[s.notna()]
    parts = {v: [p.strip() for p in v.split(";")] if isinstance(v, str) else [np.nan] for v in dict.fromkeys(s)}
    lists = [parts[v] for v in s]
    index = s.index.repeat(np.fromiter(map(len, lists), dtype=np.int64, count=len(lists)))
    codes = pd.Series(list(chain.from_iterable(lists)), index=index, name=s.name)
    return codes[codes.ne("")]


@rule(
    "R107",
    "lot-criteria",
    ERROR,
    "§14; App 1 §5",
    "no eligibility code valid for the lot / sub-lot",
    fix="Record at least one of your lot's eligibility criteria (see the dropdown); a client who meets none "
    "belongs to another lot — refer them through the Network Coordinator.",
)
def lot_criteria(sub, ctx):
    import numpy as np

    t = sub.registrations
    v = Cells(t)
    allowed = ctx.refdata.eligibility_by_lot.get(sub.lot or "")
    if not len(t) or not allowed:
        return
    codes = shared(sub, ctx, _reg_criteria)
    known = {c for cs in ctx.refdata.eligibility_by_lot.values() for c in cs}
    # rows with a code of some lot but none of this one's (only unknown codes: S004 has said so)
    with_known, with_allowed = set(), set()
    for row, code in zip(codes.index, codes.to_numpy(dtype=object), strict=True):
        if code in known:
            with_known.add(row)
        if code in allowed:
            with_allowed.add(row)
    fails = np.zeros(len(t), dtype=bool)
    fails[t.df.index.get_indexer(sorted(with_known - with_allowed))] = True
    for i in indices(fails):
        where = t.at(i, "Eligibility criteria")
        given = v(i, "Eligibility criteria")
        yield Flag(
            f"{where.cell}: {v.client(i)} has eligibility criteria {given!r}, none of which is a lot "
            f"{sub.lot} criterion (lot {sub.lot}: {', '.join(allowed)}) (§14)",
            where,
            given,
        )


@rule(
    "R120",
    "criterion-contradicts-age",
    ERROR,
    "§14.2; App 1 §5.5",
    "eligibility code `Aged 50+` (lot 2) with an age at registration under 50",
    fix="Record Aged 50+ only for a client aged 50 or over at registration: correct the age, or record the "
    "criterion the client does meet.",
)
def criterion_contradicts_age(sub, ctx):
    import numpy as np

    t = sub.registrations
    v = Cells(t)
    if not len(t):
        return
    codes = shared(sub, ctx, _reg_criteria)
    older = np.zeros(len(t), dtype=bool)
    older[t.df.index.get_indexer(codes[codes.eq(AGED_50)].index.unique())] = True
    if not older.any():
        return
    age, sane = _ages(t)  # an unreadable age is S004's
    for i in indices(older & sane & age.lt(OLDER_AGE).to_numpy(dtype=bool, na_value=False)):
        where = t.at(i, "Eligibility criteria")
        a = v(i, "Age at registration")
        yield Flag(
            f"{where.cell}: {v.client(i)} has the eligibility criterion {AGED_50!r} but was {a} at "
            f"registration ({t.at(i, 'Age at registration').cell}); the criterion needs an age of "
            f"{OLDER_AGE} or over (§14.2)",
            where,
            v(i, "Eligibility criteria"),
        )


# --- registration evidence and tracking (App 2 §2.4 output 1) -----------------------------------------


@rule(
    "R108",
    "registration-evidence",
    ERROR,
    OUTPUT1,
    "wizard not completed or privacy notice not signed",
    fix="Complete the CRM registration wizard and have the client sign the privacy notice, then set both "
    "columns to Yes.",
)
def registration_evidence(sub, ctx):
    for header, what in (
        ("Registration wizard completed", "the registration wizard was not completed"),
        ("Privacy notice signed", "the privacy notice was not signed"),
    ):
        for where, client in _answered_no(sub.registrations, header):
            yield Flag(
                f"{where.cell}: {header} is No for {client}: {what}; a registration needs both the "
                f"completed wizard and the signed privacy notice ({OUTPUT1})",
                where,
                False,
            )


@rule(
    "R109",
    "action-plan",
    ERROR,
    OUTPUT1,
    "initial assessment and action plan not completed",
    fix="Complete the client's initial assessment and action plan (and upload the action plan), then set "
    "Action plan completed to Yes.",
)
def action_plan(sub, ctx):
    for where, client in _answered_no(sub.registrations, "Action plan completed"):
        yield Flag(
            f"{where.cell}: Action plan completed is No for {client}; an initial assessment and "
            f"action plan must be completed for each registration ({OUTPUT1})",
            where,
            False,
        )


_IN_WORK_FIELDS = (
    "Employment type",
    "Contract type",
    "Average weekly hours",
    "Gross hourly pay",
    "On Statutory Sick Pay",
)
_NOT_FOR_SELF_EMPLOYED = ("Contract type", "On Statutory Sick Pay")  # no employment contract, no SSP


@rule(
    "R110",
    "in-work-tracking",
    ERROR,
    OUTPUT1,
    "in work at registration but employment type, contract type, hours, pay or SSP missing",
    fix="For a client in work at registration, fill Employment type, Contract type, Average weekly hours, Gross "
    "hourly pay and On Statutory Sick Pay (self-declaration is enough; self-employed clients need no contract "
    "type or SSP).",
)
def in_work_tracking(sub, ctx):
    import numpy as np

    t = sub.registrations
    v = Cells(t)
    if not len(t):
        return
    status = t.df["Employment status"].astype("object")
    in_work = status.isin(std.IN_WORK).to_numpy()
    employed = status.eq("Employed").to_numpy()
    headers = [h for h in _IN_WORK_FIELDS if _has_column(t, h)]
    gaps = {h: _missing(sub, t, h) & (employed if h in _NOT_FOR_SELF_EMPLOYED else in_work) for h in headers}
    any_gap = np.logical_or.reduce(list(gaps.values())) if gaps else np.zeros(len(t), dtype=bool)
    for i in indices(any_gap):
        missing = [h for h in headers if gaps[h][i]]
        where = t.at(i, missing[0])
        yield Flag(
            f"{where.cell}: {v.client(i)} is {status.iat[i].lower()} at registration but "
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} empty; the tracking fields are "
            f"required for clients in work ({OUTPUT1})",
            where,
        )


# --- earlier quarters (App 2 §2.4 output 1) ----------------------------------------------------------


def _no_history(what: str, partly: bool = False) -> Flag:
    return Flag(
        f"{REG}: {'partly checked' if partly else 'not checked'}: {what}, because no earlier returns of this "
        "contract were given (--history supplies them)",
        Location(REG),
        severity=INFO,
    )


def _engagements(ctx):
    """Dated engagements per client key from this contract's earlier returns: registrations and claims,
    as a frame of key, date and a few words on where the date came from."""
    import pandas as pd

    parts = []
    for sheet, header, words in ((REG, "Registration date", "registration"), ("Claims", "Date achieved", "claim")):
        h = history_frame(ctx, sheet)
        if len(h):
            f = pd.DataFrame({"key": _client_keys(h["Client ref"]), "date": h[header].astype("datetime64[s]")})
            f["source"] = [f"a {words} in the {q} return" for q in h["_quarter"]]
            parts.append(f.dropna(subset=["key", "date"]))
    if not parts:
        return pd.DataFrame(
            {
                "key": pd.Series(dtype=object),
                "date": pd.Series(dtype="datetime64[s]"),
                "source": pd.Series(dtype=object),
            }
        )
    return pd.concat(parts, ignore_index=True)


@rule(
    "R111",
    "re-registration-gap",
    ERROR,
    OUTPUT1,
    "re-registration less than 12 months after last engagement",
    fix="Re-register a client only after 12 months or more with no active engagement; otherwise keep working "
    "with them under their existing registration and remove this row.",
)
def re_registration_gap(sub, ctx):
    import pandas as pd

    t = sub.registrations
    v = Cells(t)
    if not len(t):
        return
    df = t.df
    re_reg = df["Registration type"].astype("object").eq("Re-registration")
    if not re_reg.any():
        return
    keys = _client_keys(df["Client ref"])
    reg_date = df["Registration date"]
    # the latest known engagement: the date given, this return's claims dated before the re-registration,
    # and (with --history) the client's registrations and claims in earlier returns
    events = [
        pd.DataFrame({"row": df.index, "date": df["Last engagement date"], "source": "the Last engagement date given"})
    ]
    claims = sub.claims.df
    if len(claims):
        c = pd.DataFrame({"key": _client_keys(claims["Client ref"]), "date": claims["Date achieved"]})
        c["source"] = [f"the claim in Claims row {r}" for r in sub.claims.rows]
        rows = pd.DataFrame({"row": df.index[re_reg], "key": keys[re_reg], "reg": reg_date[re_reg]})
        m = rows.merge(c.dropna(), on="key")
        events.append(m[m["date"] < m["reg"]][["row", "date", "source"]])
    if ctx.history_given:
        hist = _engagements(ctx)
        rows = pd.DataFrame({"row": df.index[re_reg], "key": keys[re_reg]})
        events.append(rows.merge(hist, on="key")[["row", "date", "source"]])
    ev = pd.concat(events, ignore_index=True).dropna(subset=["date"])
    ev = ev[ev["row"].isin(df.index[re_reg])]
    latest = ev.sort_values(["row", "date"]).groupby("row").tail(1).set_index("row")
    last = latest["date"].reindex(df.index)
    due = _plus_months(last, RE_REGISTRATION_MONTHS)
    fails = re_reg & reg_date.notna() & last.notna() & (reg_date < due)
    lasts, dues = last.tolist(), due.tolist()
    sources = latest["source"].reindex(df.index).tolist()
    for i in indices(fails):
        where = t.at(i, "Registration date")
        reg = v(i, "Registration date")
        yield Flag(
            f"{where.cell}: {v.client(i)} was re-registered on {day(reg)}, less than "
            f"{RE_REGISTRATION_MONTHS} months after their last engagement on {day(lasts[i])} ({sources[i]}); "
            f"re-registration needs {RE_REGISTRATION_MONTHS} months or more with no engagement, so not before "
            f"{day(dues[i])} ({OUTPUT1})",
            where,
            reg,
        )
    if not ctx.history_given and not _first_quarter(sub, ctx):
        n = int(re_reg.sum())
        yield _no_history(
            f"{plural(n, 'Re-registration')} {'was' if n == 1 else 'were'} compared only with the "
            "Last engagement date and this return's claims, not with registrations and claims of "
            "earlier quarters",
            partly=True,
        )


@rule(
    "R112",
    "registered-twice",
    ERROR,
    OUTPUT1 + "; §7.3",
    "a New registration for a client already registered with this contract",
    fix="Do not register a client twice: after 12 months or more with no engagement record a Re-registration "
    "(with the Last engagement date); otherwise remove the row.",
)
def registered_twice(sub, ctx):
    t = sub.registrations
    v = Cells(t)
    if not len(t):
        return
    new = t.df["Registration type"].astype("object").eq("New")
    if not new.any():
        return
    if not ctx.history_given:
        if not _first_quarter(sub, ctx):
            yield _no_history(
                f"whether the {plural(int(new.sum()), 'New registration')} were already registered "
                "with this contract in an earlier quarter"
            )
        return
    hist = history_frame(ctx, REG)
    if not len(hist):
        return
    hkeys = _client_keys(hist["Client ref"])
    earlier = {}  # key -> (date, quarter) of the latest earlier registration
    for k, d, q in zip(hkeys, hist["Registration date"], hist["_quarter"]):
        if isinstance(k, str):
            earlier[k] = (d, q)
    keys = _client_keys(t.df["Client ref"])
    for i in indices(new & keys.isin(list(earlier))):
        where = t.at(i, "Registration type")
        d, q = earlier[keys.iat[i]]
        when = f"on {day(d)} " if d == d and d is not None else ""
        yield Flag(
            f"{where.cell}: {v.client(i)} is a New registration but was already registered with this "
            f"contract {when}(the {q} return); record a Re-registration only after 12 months with no "
            f"engagement ({OUTPUT1})",
            where,
            "New",
        )


# --- lot-specific requirements (§14) ------------------------------------------------------------------


@rule(
    "R113",
    "lot8-housing-plan",
    ERROR,
    "§14.8",
    "lot 8 without housing plan or council referral number",
    fix="Record the client's Personalised Housing Plan reference or council referral number; lot 8 clients must "
    "be engaged with the council's Housing Solutions Team.",
)
def lot8_housing_plan(sub, ctx):
    t = sub.registrations
    v = Cells(t)
    header = "Housing plan or council referral number"
    if not _lot_rule(sub, "8") or not _has_column(t, header):
        return
    for i in indices(_missing(sub, t, header)):
        where = t.at(i, header)
        yield Flag(
            f"{where.cell}: {v.client(i)} has no housing plan or council referral number; lot 8 clients "
            "must have a Personalised Housing Plan and/or a council referral number (§14.8)",
            where,
        )


@rule(
    "R114",
    "lot5-family-assessment",
    ERROR,
    "§14.5; App 1 §5.8",
    "Supporting Families client without family assessment",
    fix="Complete the assessment of family need and action plan for each Supporting Families client, then set "
    "Family assessment completed to Yes.",
)
def lot5_family_assessment(sub, ctx):
    import numpy as np

    t = sub.registrations
    v = Cells(t)
    header = "Family assessment completed"
    if not _lot_rule(sub, "5") or not _has_column(t, header):
        return
    codes = shared(sub, ctx, _reg_criteria)
    sf_rows = codes[codes.eq("Supporting Families")].index.unique()
    sf = np.zeros(len(t), dtype=bool)
    sf[t.df.index.get_indexer(sf_rows)] = True
    done = t.df[header]
    bad = sf & (done.eq(False).to_numpy(dtype=bool, na_value=False) | _missing(sub, t, header))
    for i in indices(bad):
        where = t.at(i, header)
        state = "No" if v(i, header) is False else "empty"
        yield Flag(
            f"{where.cell}: {v.client(i)} is eligible through Supporting Families but Family assessment "
            f"completed is {state}; these clients need an assessment of family need (§14.5)",
            where,
            v(i, header),
        )


@rule(
    "R115",
    "lot9-in-work",
    ERROR,
    "§14.9; App 1 §5.12",
    "lot 9 client not in work at registration",
    fix="Lot 9 is for residents in work; refer clients who are not in work to another lot through the Network "
    "Coordinator, or correct the Employment status.",
)
def lot9_in_work(sub, ctx):
    t = sub.registrations
    v = Cells(t)
    if not _lot_rule(sub, "9"):
        return
    status = t.df["Employment status"].astype("object")
    for i in indices(status.isin(std.EMPLOYMENT_STATUSES) & ~status.isin(std.IN_WORK)):  # unknown: S004
        where = t.at(i, "Employment status")
        yield Flag(
            f"{where.cell}: {v.client(i)} is {status.iat[i].lower()} at registration; lot 9 clients must "
            f"be in work (Employed or Self-employed) (§14.9)",
            where,
            status.iat[i],
        )


@rule(
    "R116",
    "lot4-social-worker-share",
    WARNING,
    "§14.4; App 1 §5.7",
    "contract to date: under 50% of lot 4 clients are 18+ with a social worker or primary support need",
    fix="At least half of the clients registered under the contract must be 18 or over with a social worker or a "
    "primary support need: focus referrals (council social care and all age disability services) on them.",
)
def lot4_social_worker_share(sub, ctx):
    import pandas as pd

    t = sub.registrations
    if not _lot_rule(sub, "4"):
        return
    header = "Social worker or primary support need"
    columns = ["Client ref", "Age at registration", header]
    frames, scope = [t.df[columns]], None
    if ctx.history_given:
        hist = history_frame(ctx, REG)
        frames.insert(0, hist[columns].astype(t.df[columns].dtypes.to_dict()))
        scope = f"contract to date ({plural(len(ctx.history), 'earlier return')} and this one)"
    elif _first_quarter(sub, ctx):
        scope = "contract to date (this is its first quarter)"
    both = pd.concat([f for f in frames if len(f)], ignore_index=True)
    both["key"] = _client_keys(both["Client ref"])
    both = both.dropna(subset=["key"]).drop_duplicates("key", keep="last")  # a client's latest registration
    total = len(both)
    if not total:
        return
    yes = (both["Age at registration"].astype("Float64").ge(LOT4_AGE) & both[header].astype("boolean").eq(True)).fillna(
        False
    )
    n = int(yes.sum())
    share = n / total
    figures = f"{n} of {plural(total, 'client')} ({share:.0%})"
    where = Location(REG, None, t.letters.get(header), header)
    if scope is None:
        yield _no_history(
            f"the lot 4 share of clients 18+ with a social worker or primary support need is judged on "
            f"the contract to date (this return alone: {figures})"
        )
        return
    if share < LOT4_SHARE:
        blank = int(both[header].isna().sum())
        note = f"; {plural(blank, 'client')} with the column empty counted as not" if blank else ""
        yield Flag(
            f"{REG}: {scope}, {figures} are {LOT4_AGE}+ with a social worker or primary support need, under "
            f"the {LOT4_SHARE:.0%} the lot requires{note} (§14.4)",
            where,
            round(share, 4),  # a share of clients, not money
        )


# --- the quarter (App 2 §2.4 output 1) ---------------------------------------------------------------


@rule(
    "R117",
    "registration-outside-quarter",
    ERROR,
    OUTPUT1,
    "registration date not in the return's quarter",
    fix="List only clients registered (or re-registered) in this quarter; report earlier or later registrations "
    "in the return for their own quarter.",
)
def registration_outside_quarter(sub, ctx):
    t = sub.registrations
    v = Cells(t)
    q = sub.quarter
    if not len(t) or q is None:
        return
    for i in indices(outside_quarter(t.df["Registration date"], q)):
        where = t.at(i, "Registration date")
        reg = v(i, "Registration date")
        yield Flag(
            f"{where.cell}: {v.client(i)} was registered on {day(reg)}, outside this return's quarter "
            f"{q.financial_year} {q.label} ({day(q.start)}–{day(q.end)}) ({OUTPUT1})",
            where,
            reg,
        )
