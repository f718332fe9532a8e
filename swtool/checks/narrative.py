"""N — narrative, case study, milestones (App 2 §1.3–§1.4, App 3).

Variances over the threshold must be explained (N501 outputs, N502 finance); clients must not be
identifiable from the narrative or the case study (N503 personal data, N507 possible names); a case
study each quarter (N504); overdue milestones need an anticipated date (N505); the safeguarding
question is answered (N506).

The text checks run over a few kilobytes of narrative, with regular expressions compiled here once.
No pandas at import time.
"""

from __future__ import annotations

import itertools
import re
from datetime import date

from swtool.calc import money
from swtool.catalogue import rule
from swtool.findings import ERROR, WARNING, Flag, Location
from swtool.model.outputs import output_order
from swtool.model.quarter import uk_date
from swtool.model.standard import NARRATIVE_LABELS

# --- answers ----------------------------------------------------------------------------------------

# Text that fills a cell without answering it. "None" answers the safeguarding question (N506) but
# explains no variance and is no case study.
_PLACEHOLDERS = {
    "n/a",
    "na",
    "n.a.",
    "none",
    "nil",
    "no",
    "nothing",
    "not applicable",
    "tbc",
    "tba",
    "to follow",
    "see above",
    "see below",
    "x",
}
_ONLY_PUNCT_RE = re.compile(r"^[\W_]*$")


def _text(sub, label: str) -> str | None:
    v = sub.narrative.get(label)
    if v is None:
        return None
    s = str(v).strip()
    return None if _ONLY_PUNCT_RE.match(s) else s


def _explains(text: str | None) -> bool:
    return text is not None and text.strip(" .!").casefold() not in _PLACEHOLDERS


def _said(sub, label: str) -> str:
    """How an unanswered cell is described: empty, or 'says only "N/A"'."""
    v = sub.narrative.get(label)
    if v is None or _ONLY_PUNCT_RE.match(str(v).strip()):
        return "is empty"
    return f'says only "{str(v).strip()}"'


def _cell(where: Location, label: str) -> str:
    return where.cell or f"Narrative ({label})"


# --- N501 output variance ---------------------------------------------------------------------------


@rule(
    "N501",
    "output-variance-unexplained",
    ERROR,
    "App 2 §1.3; App 3 item 5",
    "an output is more than 20% over or under its quarterly target and Output variances is empty",
    fix="In the Narrative sheet's Output variances row, say for each output named why it is over or under "
    "target, whether that is temporary or permanent, and how you will address any shortfall.",
    needs=("contract",),
)
def output_variance_unexplained(sub, ctx):
    from swtool.calc.targets import claim_counts, quarterly_target, target_basis

    c, q = ctx.contract, sub.quarter
    if not sub.narrative.present or q is None or not sub.claims.present or c.contract_id != sub.contract_id:
        return
    if _explains(_text(sub, "Output variances")):
        return
    limit = int(ctx.settings["output_variance_percent"])
    setting = f"setting output_variance_percent = {limit}, {'App 2 §1.3' if limit == 20 else 'App 3 item 5'}"
    where = sub.narrative.at("Output variances")
    counts = claim_counts(sub.claims.df, sub.registrations.df if sub.registrations.present else None)
    for output in sorted(c.targets, key=output_order):
        if output == "1" and not sub.registrations.present:
            continue
        target = quarterly_target(c, output, q)
        if target is None:
            continue
        actual = counts.get(output, 0)
        what = "registered" if output == "1" else "claimed"
        basis = target_basis(c, output, q)
        v = money.variance(actual, target, limit)  # the same decision as the PMO's K701
        if not v.exceeds:
            continue
        # a zero target: any claim is a variance no percentage can measure
        size = "over a target of 0" if v.percent is None else f"{money.pct(abs(v.percent))} {v.direction}"
        yield Flag(
            f"{_cell(where, 'Output variances')}: output {output}: {actual} {what} this quarter against a "
            f"quarterly target of {money.num(target)} ({basis}), {size}; variances over {limit}% ({setting}) "
            f"must be explained, and Output variances {_said(sub, 'Output variances')}",
            where,
            actual,
        )


# --- N502 finance variance --------------------------------------------------------------------------


@rule(
    "N502",
    "finance-variance-unexplained",
    ERROR,
    "App 2 §1.3; App 3 item 6",
    "quarter total spend more than 10% off budget and Finance variances is empty",
    fix="In the Narrative sheet's Finance variances row, say why the quarter's spend is over or under budget, "
    "whether that is temporary or permanent, and what you will do about it.",
)
def finance_variance_unexplained(sub, ctx):
    exp = sub.expenditure
    if not sub.narrative.present or not exp.present or not len(exp):
        return
    if _explains(_text(sub, "Finance variances")):
        return
    both = exp.df["Budgeted amount"].notna() & exp.df["Actual spend"].notna()
    if not both.any():
        return
    budget = money.total(exp.df.loc[both, "Budgeted amount"])
    actual = money.total(exp.df.loc[both, "Actual spend"])
    v = money.variance(actual, budget, money.SPEND_LIMIT)  # the same decision as the PMO's spend variance
    if not v.exceeds:
        return
    if v.percent is None:
        size = "against a budget of £0.00"
    else:
        size = f"{money.pct(abs(v.percent))} {v.direction} the budgeted {money.gbp(budget)}"
    where = sub.narrative.at("Finance variances")
    yield Flag(
        f"{_cell(where, 'Finance variances')}: the quarter's actual spend {money.gbp(actual)} is {size} "
        f"(Expenditure sheet totals); variances over 10% must be explained, and Finance variances "
        f"{_said(sub, 'Finance variances')}",
        where,
        float(actual),
    )


# --- N503 personal data -----------------------------------------------------------------------------

_AT = r"(?P<at>\s*@\s*|\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+)"
_DOT = r"(?:\.|\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+)"
EMAIL_RE = re.compile(
    rf"(?<![\w.+-])[a-z0-9][\w.+-]*{_AT}[a-z0-9][a-z0-9-]*(?:{_DOT}[a-z0-9][a-z0-9-]*)*"
    rf"{_DOT}(?P<tld>[a-z]{{2,24}})(?![\w@])",
    re.I,
)
# UK numbers: 0 and 9 or 10 more digits, spaces, hyphens and brackets round the area code allowed
UK_PHONE_RE = re.compile(r"(?<![\w£$€.,/:+@-])(?:\(0\d{1,4}\)|0\d{1,4})(?:[ -]?\d){5,10}(?![\w%£/])")
# international: + or 00, the country code and the number, separated by spaces, dots, hyphens, brackets
INTL_PHONE_RE = re.compile(r"(?<![\w£$€.,/:@-])(?:\+|00)\s?[1-9](?:[ .()-]{0,2}\d){6,15}(?![\w%£/])")
# National Insurance numbers (HMRC's letter rules), compact or in the printed pairs
_NI_P = r"(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
NI_RE = re.compile(rf"(?<![\w])(?:(?i:{_NI_P}\d{{6}}[A-D])|{_NI_P}\s\d{{2}}\s?\d{{2}}\s?\d{{2}}\s[A-D])(?![\w])")
# full UK postcodes (a district such as SE1 alone is not one); ordinals such as "2nd" are not inward codes
POSTCODE_RE = re.compile(r"(?<![\w])(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})(?![\w])", re.I)
_ORDINAL_RE = re.compile(r"\d(?:st|nd|rd|th)$")
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
DATE_RES = (
    re.compile(r"(?<![\w/.-])(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4}|\d{2})(?![\w/-]|\.\d)"),
    re.compile(r"(?<![\w/.-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\w/-])"),
    re.compile(rf"(?<![\w])(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+(?P<y>\d{{4}})(?!\w)", re.I),
    re.compile(rf"(?<![\w]){_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})(?!\w)", re.I),
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DOT_WORD_RE = re.compile(r"\sdot\s", re.I)
# a date right after "born", "DOB:", "date of birth is" …, or right before "(DOB)"
_CUE = r"(?:born|d\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth|birth\s?date|birthday)"
DOB_BEFORE_RE = re.compile(rf"\b{_CUE}[\s:=(–-]*(?:(?:is|was|on|of|the)\s+){{0,3}}$", re.I)
DOB_AFTER_RE = re.compile(rf"^\s*[(\[,–-]?\s*{_CUE}", re.I)
ADULT_YEARS = 16  # a full date this many years before the quarter can only be a birth date of a client

KINDS = {
    "email": "an e-mail address",
    "phone": "a phone number",
    "ni": "a National Insurance number",
    "postcode": "a full postcode",
    "dob": "a date of birth",
    "old-date": "a full date {years}+ years before this quarter (a likely date of birth)",
}


def mask(text: str) -> str:
    """Personal data shown without giving it away: the first two letters or digits, the rest as ``*``
    (separators kept): ``07700 900123`` → ``07*** ******``."""
    out, seen = [], 0
    for ch in text.strip():
        if ch.isalnum():
            seen += 1
            out.append(ch if seen <= 2 else "*")
        else:
            out.append(ch)
    return "".join(out)


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _date_of(m) -> date | None:
    try:
        d, y = int(m.group("d")), int(m.group("y"))
        mon = m.groupdict().get("mon")
        month = _MONTHS.index(mon[:3].casefold()) + 1 if mon else int(m.group("m"))
        if y < 100:
            y += 1900 if y > 30 else 2000
        return date(y, month, d)
    except (ValueError, TypeError):
        return None


def personal_data(text: str, reference: date | None = None, known_refs=frozenset()) -> list[tuple[str, str]]:
    """Personal data in a narrative answer, as ``(kind, the matched text)`` in order of position.

    Kinds: ``email`` (also ``name [at] example [dot] com``), ``phone`` (UK numbers of 10–11 digits from
    0, international from + or 00 with 9–15 digits after it), ``ni`` (National Insurance numbers, compact or
    ``AB 12 34 56 C``), ``postcode`` (full UK postcodes), ``dob`` (a date right after "born", "DOB:", "date of
    birth is" and the like, or right before "(DOB)") and ``old-date`` (a full date at least 16
    years before ``reference``, the quarter's start: a client's date of birth, not an event).
    ``known_refs`` (the workbook's client refs) are never reported.
    """
    found: list[tuple[int, int, str]] = []

    def add(start: int, end: int, kind: str) -> None:
        if text[start:end].strip() in known_refs:
            return
        if any(s < end and start < e for s, e, _ in found):
            return
        found.append((start, end, kind))

    for m in EMAIL_RE.finditer(text):
        if m.group("at").strip().casefold() == "at" and not _DOT_WORD_RE.search(m.group(0)):
            continue  # "sessions at Walworth.Next week", "details at southwark.gov.uk" are no address
        add(m.start(), m.end(), "email")
    # dates before phones and NI numbers, so that 01-10-2026 is a date and not a number
    for rx in DATE_RES:
        for m in rx.finditer(text):
            d = _date_of(m)
            if d is None:
                continue
            if DOB_BEFORE_RE.search(text[max(0, m.start() - 40) : m.start()]) or DOB_AFTER_RE.search(
                text[m.end() : m.end() + 20]
            ):
                add(m.start(), m.end(), "dob")
            elif reference is not None and len(m.group("y")) == 4 and d <= _years_before(reference, ADULT_YEARS):
                add(m.start(), m.end(), "old-date")
            else:
                found.append((m.start(), m.end(), "date"))  # an ordinary date: blocks phone matches inside it
    for m in INTL_PHONE_RE.finditer(text):
        digits = _digits(m.group(0).replace("(0)", ""))
        if 9 <= len(digits.removeprefix("00") if m.group(0).startswith("00") else digits) <= 15:
            add(m.start(), m.end(), "phone")
    for m in UK_PHONE_RE.finditer(text):
        digits = _digits(m.group(0))
        if 10 <= len(digits) <= 11 and digits[1] != "0":
            add(m.start(), m.end(), "phone")
    for m in NI_RE.finditer(text):
        add(m.start(), m.end(), "ni")
    for m in POSTCODE_RE.finditer(text):
        if not _ORDINAL_RE.search(m.group(0)):
            add(m.start(), m.end(), "postcode")
    return [(kind, text[s:e]) for s, e, kind in sorted(found) if kind != "date"]


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def _client_refs(sub) -> frozenset:
    refs: set[str] = set()
    for t in (sub.registrations, sub.claims):
        if t.present and len(t):
            refs.update(str(v).strip() for v in t.df["Client ref"].dropna())
    return frozenset(refs)


@rule(
    "N503",
    "personal-data-in-narrative",
    ERROR,
    "App 2 §1.3–§1.4",
    "narrative or case study contains personal data: an e-mail address, phone number, National Insurance "
    "number, full postcode or a date of birth",
    fix="Take the personal details out of the Narrative sheet: refer to clients only by their client reference, "
    "and give areas (e.g. SE15) and ages rather than postcodes and dates of birth.",
)
def personal_data_in_narrative(sub, ctx):
    if not sub.narrative.present:
        return
    q = sub.quarter
    reference = q.start if q is not None else (sub.date_submitted or ctx.today)
    refs = _client_refs(sub)
    for label in NARRATIVE_LABELS:
        text = _text(sub, label)
        if text is None:
            continue
        where = sub.narrative.at(label)
        seen = set()
        for kind, datum in personal_data(text, reference, refs):
            if (kind, datum) in seen:
                continue
            seen.add((kind, datum))
            words = KINDS[kind].format(years=ADULT_YEARS)
            yield Flag(
                f"{_cell(where, label)}: {label} contains {words} ({mask(datum)}); clients must not be "
                "identifiable from the narrative or case study",
                where,
                mask(datum),
            )


# --- N507 possible names ----------------------------------------------------------------------------

# Common first names in Southwark's communities (ONS baby names over the decades, and names common in
# its West African, East African, Caribbean, Latin American, South Asian, Turkish and Eastern European
# communities). Month names (April, May, June, August) are left out.
FIRST_NAMES = frozenset(
    [
        "Aaron",
        "Abdi",
        "Abdul",
        "Abdullah",
        "Abdullahi",
        "Abena",
        "Abigail",
        "Abu",
        "Ada",
        "Adam",
        "Adaeze",
        "Adebayo",
        "Adeola",
        "Adewale",
        "Adrian",
        "Agnieszka",
        "Ahmed",
        "Aidan",
        "Aisha",
        "Akua",
        "Alan",
        "Albert",
        "Alex",
        "Alexander",
        "Alexandra",
        "Alfie",
        "Ali",
        "Alice",
        "Alicia",
        "Alison",
        "Ama",
        "Amanda",
        "Amara",
        "Amber",
        "Amelia",
        "Amina",
        "Amir",
        "Amy",
        "Ana",
        "Andre",
        "Andrea",
        "Andrew",
        "Andy",
        "Angela",
        "Anita",
        "Ann",
        "Anna",
        "Anne",
        "Annie",
        "Anthony",
        "Antonio",
        "Archie",
        "Arthur",
        "Ashley",
        "Aya",
        "Ayesha",
        "Ayodele",
        "Ayse",
        "Barbara",
        "Barry",
        "Ben",
        "Benjamin",
        "Beth",
        "Bethany",
        "Beverley",
        "Bilal",
        "Bola",
        "Brandon",
        "Brian",
        "Bukola",
        "Callum",
        "Cameron",
        "Camila",
        "Carl",
        "Carla",
        "Carlos",
        "Carol",
        "Caroline",
        "Catherine",
        "Charles",
        "Charlie",
        "Charlotte",
        "Chidi",
        "Chiamaka",
        "Chinedu",
        "Chloe",
        "Chris",
        "Christine",
        "Christopher",
        "Chukwuemeka",
        "Claire",
        "Colin",
        "Connor",
        "Craig",
        "Daniel",
        "Daniela",
        "Danielle",
        "Darren",
        "David",
        "Dawn",
        "Dean",
        "Deborah",
        "Declan",
        "Delroy",
        "Denise",
        "Dennis",
        "Derek",
        "Diana",
        "Diane",
        "Dominic",
        "Donna",
        "Dylan",
        "Ebony",
        "Edward",
        "Efua",
        "Ekow",
        "Eleanor",
        "Elena",
        "Eliza",
        "Elizabeth",
        "Ella",
        "Ellie",
        "Emeka",
        "Emily",
        "Emma",
        "Eric",
        "Erin",
        "Ethan",
        "Eve",
        "Ewa",
        "Fatima",
        "Fatuma",
        "Faisal",
        "Femi",
        "Fiona",
        "Florence",
        "Folake",
        "Frances",
        "Francesca",
        "Francis",
        "Frank",
        "Funmilayo",
        "Gabriel",
        "Gareth",
        "Gary",
        "Gavin",
        "George",
        "Georgia",
        "Gemma",
        "Gerald",
        "Grace",
        "Graham",
        "Hamza",
        "Hannah",
        "Harry",
        "Harvey",
        "Hassan",
        "Hayley",
        "Heather",
        "Helen",
        "Henry",
        "Hodan",
        "Holly",
        "Hussein",
        "Ian",
        "Ibrahim",
        "Ifeoma",
        "Ikechukwu",
        "Imani",
        "Imran",
        "Irene",
        "Isaac",
        "Isabel",
        "Isabella",
        "Isla",
        "Ismail",
        "Jack",
        "Jacob",
        "Jade",
        "Jake",
        "James",
        "Jamie",
        "Jane",
        "Janet",
        "Janice",
        "Jasmine",
        "Jason",
        "Javier",
        "Jayden",
        "Jean",
        "Jennifer",
        "Jermaine",
        "Jessica",
        "Jo",
        "Joan",
        "Joanne",
        "Joe",
        "Joel",
        "John",
        "Jonathan",
        "Jordan",
        "Jorge",
        "Jose",
        "José",
        "Joseph",
        "Joshua",
        "Joy",
        "Joyce",
        "Juan",
        "Julia",
        "Julie",
        "Justin",
        "Kadeem",
        "Kareem",
        "Karen",
        "Kate",
        "Katarzyna",
        "Katherine",
        "Kathleen",
        "Katie",
        "Kayode",
        "Keith",
        "Kelly",
        "Kemi",
        "Kenneth",
        "Kerry",
        "Kevin",
        "Khadija",
        "Kim",
        "Kirsty",
        "Kofi",
        "Kwabena",
        "Kwame",
        "Kwaku",
        "Laura",
        "Lauren",
        "Leah",
        "Lee",
        "Leon",
        "Leroy",
        "Lewis",
        "Liam",
        "Lily",
        "Linda",
        "Lisa",
        "Liz",
        "Lois",
        "Lola",
        "Louise",
        "Lucas",
        "Lucy",
        "Luis",
        "Luke",
        "Lynn",
        "Mahmoud",
        "Malik",
        "Marcus",
        "Margaret",
        "Maria",
        "Mariam",
        "Marie",
        "Mark",
        "Marta",
        "Martin",
        "Mary",
        "Mason",
        "Matthew",
        "Megan",
        "Mehmet",
        "Melanie",
        "Michael",
        "Michelle",
        "Mohamed",
        "Mohammed",
        "Mohammad",
        "Molly",
        "Muhammad",
        "Musa",
        "Mustafa",
        "Nadia",
        "Naomi",
        "Natalie",
        "Nathan",
        "Neil",
        "Ngozi",
        "Nia",
        "Nicholas",
        "Nicola",
        "Nigel",
        "Nikki",
        "Nkechi",
        "Noah",
        "Nuno",
        "Obinna",
        "Oliver",
        "Olivia",
        "Olu",
        "Oluwaseun",
        "Oluwatobi",
        "Omar",
        "Oscar",
        "Owen",
        "Pamela",
        "Patricia",
        "Patrick",
        "Paul",
        "Paula",
        "Pauline",
        "Pedro",
        "Peter",
        "Philip",
        "Piotr",
        "Precious",
        "Rachel",
        "Rebecca",
        "Reece",
        "Rhys",
        "Richard",
        "Rita",
        "Robert",
        "Robyn",
        "Rosa",
        "Rose",
        "Ruth",
        "Ryan",
        "Sabrina",
        "Sadia",
        "Samantha",
        "Samira",
        "Samuel",
        "Sandra",
        "Sara",
        "Sarah",
        "Scott",
        "Sean",
        "Segun",
        "Shanice",
        "Shannon",
        "Sharon",
        "Shaun",
        "Sheila",
        "Simon",
        "Sofia",
        "Sophie",
        "Stacey",
        "Stephanie",
        "Stephen",
        "Steven",
        "Stuart",
        "Susan",
        "Tanisha",
        "Tariq",
        "Teresa",
        "Terry",
        "Thomas",
        "Tim",
        "Timothy",
        "Tina",
        "Toby",
        "Tom",
        "Tomasz",
        "Tony",
        "Tracey",
        "Tunde",
        "Tyler",
        "Tyrone",
        "Valentina",
        "Vanessa",
        "Victoria",
        "Vincent",
        "Wayne",
        "Wendy",
        "William",
        "Yasmin",
        "Yusuf",
        "Zainab",
        "Zara",
        "Zoe",
    ]
)
TITLES = frozenset({"Mr", "Mrs", "Ms", "Miss", "Mx"})
# Words that make a capitalised pair an organisation, place, service or event rather than a person.
NOT_SURNAMES = frozenset(
    [
        "Academy",
        "Act",
        "Association",
        "Avenue",
        "Award",
        "Awards",
        "Bank",
        "Board",
        "Bridge",
        "Building",
        "Care",
        "Centre",
        "Center",
        "Charity",
        "Church",
        "Cic",
        "Close",
        "Club",
        "College",
        "Common",
        "Council",
        "Court",
        "Crescent",
        "Cup",
        "Day",
        "Dept",
        "Department",
        "Estate",
        "Fair",
        "Forum",
        "Foundation",
        "Fund",
        "Gallery",
        "Gardens",
        "Green",
        "Group",
        "Grove",
        "Hall",
        "Health",
        "Hill",
        "Hospital",
        "House",
        "Housing",
        "Hub",
        "Inc",
        "Institute",
        "Lane",
        "Library",
        "Limited",
        "Line",
        "Ltd",
        "Market",
        "Mews",
        "Month",
        "Museum",
        "Network",
        "Park",
        "Partnership",
        "Place",
        "Plc",
        "Plus",
        "Practice",
        "Prize",
        "Programme",
        "Project",
        "Quay",
        "Quays",
        "Rise",
        "Road",
        "Row",
        "School",
        "Scheme",
        "Service",
        "Services",
        "Society",
        "Square",
        "Station",
        "Street",
        "Surgery",
        "Team",
        "Terrace",
        "Theatre",
        "Tower",
        "Towers",
        "Trust",
        "Unit",
        "University",
        "Village",
        "Walk",
        "Ward",
        "Way",
        "Week",
        "Wharf",
        "Works",
        "Yard",
    ]
)
_NOT_NAME_WORDS = frozenset(
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Sept",
        "Oct",
        "Nov",
        "Dec",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Christmas",
        "Easter",
        "Eid",
        "Diwali",
        "Ramadan",
        "Hanukkah",
        "New",
        "Year",
        "Southwark",
        "London",
        "Lambeth",
        "Lewisham",
        "Bermondsey",
        "Walworth",
        "Peckham",
        "Camberwell",
        "Rotherhithe",
        "Borough",
        "Dulwich",
        "Nunhead",
        "Newington",
        "Kennington",
        "Elephant",
        "Castle",
        "Bankside",
        "Surrey",
        "Canada",
        "Water",
        "Herne",
        "Denmark",
        "Brixton",
        "Deptford",
        "Jobcentre",
        "Job",
        "Centre",
        "Universal",
        "Credit",
        "Work",
        "Coach",
        "Council",
        "Southwark",
        "Works",
        "NHS",
        "Talking",
        "Therapies",
        "Wellbeing",
        "Citizens",
        "Advice",
        "Access",
        "Kickstart",
        "Restart",
        "Level",
        "Certificate",
        "Diploma",
        "Award",
        "Skills",
        "Food",
        "Hygiene",
        "Safety",
        "Health",
    ]
)
# Pairs that are famous organisations, places or people rather than clients.
KNOWN_PAIRS = frozenset(
    p.casefold()
    for p in (
        "John Lewis",
        "Ted Baker",
        "Harvey Nichols",
        "Jack Petchey",
        "Paul Hamlyn",
        "Tessa Jowell",
        "Mary Seacole",
        "Damilola Taylor",
        "Florence Nightingale",
        "Charlie Chaplin",
        "Michael Faraday",
        "Victoria Line",
        "Elizabeth Line",
        "Queen Elizabeth",
        "King George",
        "King Charles",
        "Prince Charles",
        "Harris Academy",
        "Thomas Guy",
        "Guy Fawkes",
        "Jack Wills",
        "Jo Malone",
        "Tommy Hilfiger",
        "Grace Kelly",
        "Joe Browns",
    )
)
_WORD_RE = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’-]*")
_CAP_RE = re.compile(r"^(?:Mc|Mac|O['’]|D['’])?[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?:[-'’][A-ZÀ-ÖØ-Þ]?[a-zß-öø-ÿ]+)*$")
_PSEUDONYM_RE = re.compile(
    r"not (?:his|her|their|the client's) real name|name (?:has been |was )?changed|"
    r"pseudonym|names? (?:have been |has been )?changed",
    re.I,
)


def _bigrams(names) -> set[str]:
    out: set[str] = set()
    for name in names:
        words = [w.casefold() for w in _WORD_RE.findall(str(name))]
        out.update(f"{a} {b}" for a, b in itertools.pairwise(words))
    return out


def possible_names(text: str, known=frozenset()) -> list[str]:
    """Capitalised pairs in ``text`` that may be a person's name, in order, each once.

    A pair is a known first name followed by a capitalised word (``Jane Smith``, ``Amina O'Connor``), or a
    title followed by one (``Mrs Okafor``). Left out: pairs inside a name in ``known`` (bigrams of the
    workbook's provider, employers, training providers, budget items), built-in places, services and
    famous names, pairs followed by an organisation word (``Jack Petchey Foundation``) or preceded by
    "St", month and day names, and a pair followed by "(not her real name)" and the like.
    """
    words = [(m.group(0), m.start(), m.end()) for m in _WORD_RE.finditer(text)]
    out: list[str] = []
    for i in range(len(words) - 1):
        (w1, _, e1), (w2, s2, e2) = words[i], words[i + 1]
        gap = text[e1:s2]
        if w1 in TITLES and gap.startswith("."):
            gap = gap[1:]  # Mrs. Okafor
        if not gap.isspace() or "\n" in gap:
            continue
        w1c = w1
        if not (w1c in FIRST_NAMES or w1c in TITLES) or not _CAP_RE.match(w2):
            continue
        if w2 in _NOT_NAME_WORDS or w2 in NOT_SURNAMES or w1c in _NOT_NAME_WORDS:
            continue
        pair = f"{w1} {w2}"
        key = f"{w1c.casefold()} {w2.casefold()}"
        if key in KNOWN_PAIRS or key in known:
            continue
        nxt = words[i + 2][0] if i + 2 < len(words) else ""
        prev = words[i - 1][0] if i else ""
        if nxt in NOT_SURNAMES or prev in ("St", "Saint"):
            continue
        if _PSEUDONYM_RE.search(text[e2 : e2 + 60]):
            continue
        if pair not in out:
            out.append(pair)
    return out


def _known_names(sub) -> set[str]:
    names = [sub.provider or ""]
    for table, headers in (
        (sub.claims, ("Employer", "Training provider", "Shared with provider")),
        (sub.expenditure, ("Budget item",)),
        (sub.milestones, ("Milestone",)),
    ):
        if table.present and len(table):
            for h in headers:
                names += [str(v) for v in table.df[h].dropna().unique()]
    return _bigrams(names)


@rule(
    "N507",
    "possible-name-in-narrative",
    WARNING,
    "App 2 §1.3–§1.4; App 3",
    "a capitalised first-name/surname pair that is not a known organisation, employer, provider or place "
    "from the workbook or a built-in list",
    fix="If this is a person's name, replace it with the client reference (or a role such as 'the employer'); "
    "if it is an organisation or place, no change is needed.",
)
def possible_name_in_narrative(sub, ctx):
    if not sub.narrative.present:
        return
    known = _known_names(sub)
    for label in NARRATIVE_LABELS:
        text = _text(sub, label)
        if text is None:
            continue
        where = sub.narrative.at(label)
        for pair in possible_names(text, known):
            yield Flag(
                f'{_cell(where, label)}: {label} contains "{mask_words(pair)}", which may be a person\'s '
                "name; clients must not be identifiable from the narrative or case study",
                where,
                mask_words(pair),
            )


def mask_words(pair: str) -> str:
    """``Jane Smith`` → ``Ja** Sm***``: enough to find it in the cell, not enough to read it."""
    return " ".join(mask(w) for w in pair.split())


# --- N504 case study, N505 milestones, N506 safeguarding -------------------------------------------


@rule(
    "N504",
    "no-case-study",
    ERROR,
    "App 2 §1.4",
    "case study empty",
    fix="Write at least one case study in the Narrative sheet's Case study row: what support the client had and "
    "what changed, using the client reference and no names or contact details.",
)
def no_case_study(sub, ctx):
    if not sub.narrative.present:
        return
    if _explains(_text(sub, "Case study")):
        return
    where = sub.narrative.at("Case study")
    yield Flag(
        f"{_cell(where, 'Case study')}: Case study {_said(sub, 'Case study')}; at least one case study is "
        "needed each quarter",
        where,
        sub.narrative.get("Case study"),
    )


@rule(
    "N505",
    "milestone-overdue",
    WARNING,
    "App 2 §1.3; App 3 item 9",
    "due date passed, not achieved, no anticipated date",
    fix="For each milestone not achieved by its due date, enter the Date achieved, or an Anticipated date "
    "and a line about the delay in the narrative.",
)
def milestone_overdue(sub, ctx):
    from swtool.checks.common import day, indices

    t, q = sub.milestones, sub.quarter
    if not t.present or not len(t) or q is None:
        return
    df = t.df
    # the return reports the position at the quarter's end; a due date after the return was sent has not passed
    submitted = sub.date_submitted
    by, words = (
        (q.end, "the quarter's end") if submitted is None or submitted >= q.end else (submitted, "the date submitted")
    )
    mask_ = (
        df["Due date"].notna()
        & (df["Due date"] <= _ts(by))
        & df["Date achieved"].isna()
        & df["Anticipated date"].isna()
    )
    for i in indices(mask_):
        where = t.at(i, "Anticipated date")
        name = df["Milestone"].iat[i]
        name = "(unnamed)" if name is None or name != name else str(name)
        yield Flag(
            f'{where.cell}: milestone "{name}" was due {day(df["Due date"].iat[i])}, on or before '
            f"{words} {uk_date(by)}, and has no Date achieved and no Anticipated date",
            where,
            day(df["Due date"].iat[i]),
        )


def _ts(d: date):
    import pandas as pd

    return pd.Timestamp(d)


@rule(
    "N506",
    "safeguarding-blank",
    WARNING,
    "App 3 item 7",
    'safeguarding question unanswered (write "None" if none)',
    fix="Answer the Safeguarding row of the Narrative sheet: summarise any issues and the actions taken, or "
    "write None.",
)
def safeguarding_blank(sub, ctx):
    if not sub.narrative.present or _text(sub, "Safeguarding") is not None:
        return
    where = sub.narrative.at("Safeguarding")
    yield Flag(
        f"{_cell(where, 'Safeguarding')}: the safeguarding question is unanswered; describe any issues "
        "recorded this quarter and the actions taken, or write None",
        where,
    )
