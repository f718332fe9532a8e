"""The workbook standard (TEMPLATES.md) as data.

This is the contract with providers: sheet names, headers, code lists and what each cell must hold.
The reader matches headers against it, the schemas validate against it, and the template generator
writes its dropdowns and input messages from it, so the three cannot drift apart.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

TEMPLATE_VERSION = "2026.1"

# Column kinds. Each has a parser in swtool.read.tables and a validation in the template generator.
TEXT, REF, DATE, INT, NUMBER, MONEY, YESNO, CODE, CODES = (
    "text",
    "ref",
    "date",
    "int",
    "number",
    "money",
    "yesno",
    "code",
    "codes",
)

# --- code lists -------------------------------------------------------------------------------------
LOTS = ("1a", "1b", "1c", "2", "3", "4", "5", "6", "7", "8", "9")
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
REGISTRATION_TYPES = ("New", "Re-registration")
RESIDENCE_BASES = ("Southwark postcode", "Local connection")
REFERRAL_SOURCES = (
    "Network coordinator",
    "Southwark Works provider",
    "Council service",
    "Jobcentre Plus",
    "Voluntary sector",
    "Self-referral",
    "Other",
)
EMPLOYMENT_STATUSES = ("Unemployed", "Employed", "Self-employed", "Economically inactive")
IN_WORK = ("Employed", "Self-employed")
EMPLOYMENT_TYPES = ("Full-time", "Part-time", "Self-employed")
CONTRACT_TYPES = ("Permanent", "Temporary", "Fixed-term", "Zero hours")
CLAIM_CONTRACT_TYPES = CONTRACT_TYPES + ("Apprenticeship",)
QUALIFICATION_LEVELS = ("Entry", "1", "2", "3", "4", "5", "6", "7", "8", "None")
GENDERS = ("Female", "Male", "Non-binary", "Other", "Prefer not to say")
ETHNIC_GROUPS = (
    "Asian or Asian British",
    "Black or Black British",
    "Mixed or multiple",
    "White",
    "Other ethnic group",
    "Prefer not to say",
)
DISABILITY = ("Yes", "No", "Prefer not to say")
CLAIM_OUTPUTS = ("2a", "2b", "3a", "3b", "4", "5", "6", "7", "8", "9")
APPRENTICESHIP_LEVELS = ("2", "3", "4", "5", "6", "7")
PROGRESSION_TYPES = ("A wage", "B training", "C contract")
PLACEMENT_TYPES = ("Work experience", "Volunteering", "Internship")
CATEGORIES = ("Staff and management", "Beneficiary", "Delivery")

# Filled from the reference data (eligibility_codes.csv, evidence_codes.csv) when the standard is
# built, so that a council override of those files reaches the schemas and the dropdowns too.
ELIGIBILITY = "eligibility"
EVIDENCE = "evidence"


@dataclass(frozen=True)
class When:
    """A value is required when every (column, values) pair holds; ``values=None`` means "not blank"."""

    all: tuple[tuple[str, tuple[str, ...] | None], ...]
    words: str

    def columns(self) -> set[str]:
        return {c for c, _ in self.all}


@dataclass(frozen=True)
class Column:
    header: str
    kind: str
    help: str
    required: bool = False
    when: tuple[When, ...] = ()  # conditionally required (S005), any alternative suffices
    codes: tuple[str, ...] | str | None = None
    lots: tuple[str, ...] | None = None  # a column only these lots must have
    optional_column: bool = False  # the column itself may be absent
    minimum: float | None = None
    maximum: float | None = None
    unique: bool = False
    width: int = 16
    computed: bool = False  # read but ignored (e.g. Variance is recomputed)

    def needed_for(self, lot: str | None) -> bool:
        """Must the sheet have this column for a contract of this lot?"""
        if self.optional_column:
            return False
        if self.lots is not None:
            return lot in self.lots
        return True


@dataclass(frozen=True)
class SheetSpec:
    name: str
    kind: str  # "table": header row then rows; "labels": label in A, value in B
    columns: tuple[Column, ...]
    optional: bool = False
    help: str = ""

    def column(self, header: str) -> Column:
        for c in self.columns:
            if c.header == header:
                return c
        raise KeyError(header)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


def _w(words: str, *pairs) -> When:
    return When(tuple(pairs), words)


RETURN = SheetSpec(
    "Return",
    "labels",
    (
        Column("Provider", TEXT, "Your organisation's name, as in the contract register.", required=True, width=40),
        Column("Contract ID", REF, "Your contract's ID, e.g. SW-L3-01.", required=True),
        Column("Lot", CODE, "Your contract's lot: 1a, 1b, 1c, 2 … 9.", required=True, codes=LOTS),
        Column("Financial year", TEXT, "The financial year of this return, e.g. 2026/27.", required=True),
        Column(
            "Quarter", CODE, "Q1 (Apr–Jun), Q2 (Jul–Sep), Q3 (Oct–Dec) or Q4 (Jan–Mar).", required=True, codes=QUARTERS
        ),
        Column(
            "Completed by",
            TEXT,
            "Job role of the person completing the return (no names or contact details).",
            required=True,
        ),
        Column("Date submitted", DATE, "The date you send this return to the council.", required=True),
        Column("Template version", TEXT, "Written by the template; do not change it.", optional_column=True),
    ),
    help="The cover: who, which contract and which quarter.",
)

REGISTRATIONS = SheetSpec(
    "Registrations",
    "table",
    (
        Column(
            "Client ref",
            REF,
            "The CRM client reference. No names anywhere in the workbook.",
            required=True,
            unique=True,
            width=14,
        ),
        Column("Registration date", DATE, "The date the client registered (or re-registered).", required=True),
        Column(
            "Registration type",
            CODE,
            "New, or Re-registration after 12 months with no engagement.",
            required=True,
            codes=REGISTRATION_TYPES,
        ),
        Column(
            "Last engagement date",
            DATE,
            "For re-registrations: the last active engagement before it.",
            when=(_w("for re-registrations", ("Registration type", ("Re-registration",))),),
        ),
        Column(
            "Age at registration",
            INT,
            "Age in whole years at registration (not a date of birth).",
            required=True,
            minimum=0,
            maximum=120,
        ),
        Column(
            "Postcode",
            TEXT,
            "The client's UK postcode, e.g. SE1 0AA. Blank only for local connection.",
            when=(_w("unless residence is by local connection", ("Residence basis", ("Southwark postcode",))),),
            width=11,
        ),
        Column(
            "Residence basis",
            CODE,
            "Southwark postcode, or Local connection for clients without a fixed address.",
            required=True,
            codes=RESIDENCE_BASES,
            width=20,
        ),
        Column("Right to work seen", YESNO, "Yes once you have seen evidence of the right to work.", required=True),
        Column(
            "Registration wizard completed", YESNO, "Yes when the CRM registration wizard is complete.", required=True
        ),
        Column("Privacy notice signed", YESNO, "Yes when the client has signed the privacy notice.", required=True),
        Column(
            "Action plan completed",
            YESNO,
            "Yes when the initial assessment and action plan are complete.",
            required=True,
        ),
        Column(
            "Referral source", CODE, "Where the referral came from.", required=True, codes=REFERRAL_SOURCES, width=24
        ),
        Column(
            "Eligibility criteria",
            CODES,
            "One or more of your lot's criteria, separated by ;",
            required=True,
            codes=ELIGIBILITY,
            width=30,
        ),
        Column(
            "Social worker or primary support need",
            YESNO,
            "Lot 4: is the client 18+ with a social worker or a primary support need?",
            lots=("4",),
        ),
        Column(
            "Housing plan or council referral number",
            TEXT,
            "Lot 8: the housing plan or council referral number.",
            lots=("8",),
            width=20,
        ),
        Column(
            "Family assessment completed",
            YESNO,
            "Lot 5, Supporting Families clients: is the family assessment complete?",
            lots=("5",),
        ),
        Column(
            "Employment status",
            CODE,
            "The client's employment status at registration.",
            required=True,
            codes=EMPLOYMENT_STATUSES,
            width=20,
        ),
        Column("Employment type", CODE, "When in work: Full-time, Part-time or Self-employed.", codes=EMPLOYMENT_TYPES),
        Column(
            "Contract type", CODE, "When in work: Permanent, Temporary, Fixed-term or Zero hours.", codes=CONTRACT_TYPES
        ),
        Column("Average weekly hours", NUMBER, "When in work: average hours a week (0–80).", minimum=0, maximum=80),
        Column("Gross hourly pay", MONEY, "When in work: gross pay per hour in pounds.", minimum=0),
        Column("On Statutory Sick Pay", YESNO, "When in work: is the client on Statutory Sick Pay?"),
        Column(
            "Highest qualification level", CODE, "Entry, 1 to 8, or None.", required=True, codes=QUALIFICATION_LEVELS
        ),
        Column("Gender", CODE, "As the client describes themselves.", required=True, codes=GENDERS),
        Column("Ethnic group", CODE, "ONS 2021 high-level ethnic group.", required=True, codes=ETHNIC_GROUPS, width=24),
        Column("Disability", CODE, "Does the client consider themselves disabled?", required=True, codes=DISABILITY),
    ),
    help="One row per client registered or re-registered in the quarter (§4, App 2 §2.1).",
)

_OUT = lambda *o: ("Output", tuple(o))  # noqa: E731 - reads as the spec's "for outputs …"

CLAIMS = SheetSpec(
    "Claims",
    "table",
    (
        Column(
            "Claim ref",
            REF,
            "Your reference for this claim, unique within the contract.",
            required=True,
            unique=True,
            width=12,
        ),
        Column(
            "Client ref",
            REF,
            "The client's CRM reference; the client must be registered with this contract.",
            required=True,
            width=12,
        ),
        Column(
            "Output",
            CODE,
            "The output claimed: 2a, 2b, 3a, 3b, 4, 5, 6 or your lot's 7, 8, 9.",
            required=True,
            codes=CLAIM_OUTPUTS,
            width=8,
        ),
        Column("Date achieved", DATE, "The date the output was achieved; must be in this quarter.", required=True),
        Column(
            "Evidence held",
            CODES,
            "One or more evidence types for this output, separated by ;",
            required=True,
            codes=EVIDENCE,
            width=30,
        ),
        Column(
            "Evidence reference", TEXT, "File name or CRM document reference of the evidence.", required=True, width=22
        ),
        Column(
            "Employer",
            TEXT,
            "Employer, placement host or training provider (2a, 2b, 4, 5).",
            when=(_w("for outputs 4 and 5", _OUT("4", "5")),),
            width=22,
        ),
        Column(
            "Start date",
            DATE,
            "Start of the job, apprenticeship or placement; for 3a/3b the start being sustained.",
            when=(_w("for outputs 3a, 3b, 4 and 5", _OUT("3a", "3b", "4", "5")),),
        ),
        Column("End date", DATE, "Placements (output 5): the end date.", when=(_w("for output 5", _OUT("5")),)),
        Column("Employment type", CODE, "2a and 4: Full-time, Part-time or Self-employed.", codes=EMPLOYMENT_TYPES),
        Column(
            "Contract type",
            CODE,
            "2a and 4: the contract type.",
            codes=CLAIM_CONTRACT_TYPES,
            when=(_w("for output 4 type C", _OUT("4"), ("Progression type", ("C contract",))),),
        ),
        Column(
            "Weekly hours",
            NUMBER,
            "2a and 4 type C: weekly hours.",
            minimum=0,
            maximum=80,
            when=(_w("for output 4 type C", _OUT("4"), ("Progression type", ("C contract",))),),
        ),
        Column(
            "Gross hourly pay",
            MONEY,
            "2a, 2b, 4 type A and internships: gross pay per hour.",
            minimum=0,
            when=(
                _w("for output 4 type A", _OUT("4"), ("Progression type", ("A wage",))),
                _w("for internships", _OUT("5"), ("Placement type", ("Internship",))),
            ),
        ),
        Column("Apprenticeship level", CODE, "2b: apprenticeship level 2 to 7.", codes=APPRENTICESHIP_LEVELS),
        Column("Training provider", TEXT, "2b: the training provider.", width=22),
        Column(
            "Progression type",
            CODE,
            "Output 4: A wage, B training or C contract (one claim per event).",
            codes=PROGRESSION_TYPES,
            when=(_w("for output 4", _OUT("4")),),
        ),
        Column(
            "Previous hourly pay",
            MONEY,
            "4 type A: pay before the progression (default: the registration value).",
            minimum=0,
        ),
        Column(
            "Previous contract type",
            CODE,
            "4 type C: the contract before.",
            codes=CLAIM_CONTRACT_TYPES,
            when=(_w("for output 4 type C", _OUT("4"), ("Progression type", ("C contract",))),),
        ),
        Column(
            "Previous weekly hours",
            NUMBER,
            "4 type C: weekly hours before.",
            minimum=0,
            maximum=80,
            when=(_w("for output 4 type C", _OUT("4"), ("Progression type", ("C contract",))),),
        ),
        Column(
            "Qualification gained",
            TEXT,
            "4 type B and 6: the qualification.",
            width=22,
            when=(
                _w("for output 4 type B", _OUT("4"), ("Progression type", ("B training",))),
                _w("for output 6", _OUT("6")),
            ),
        ),
        Column(
            "Qualification level",
            CODE,
            "4 type B and 6: Entry, 1 to 8, or None.",
            codes=QUALIFICATION_LEVELS,
            when=(
                _w("for output 4 type B", _OUT("4"), ("Progression type", ("B training",))),
                _w("for output 6", _OUT("6")),
            ),
        ),
        Column(
            "Placement type",
            CODE,
            "Output 5: Work experience, Volunteering or Internship.",
            codes=PLACEMENT_TYPES,
            when=(_w("for output 5", _OUT("5")),),
        ),
        Column(
            "Shared with provider",
            TEXT,
            "The other provider's name; blank when not shared.",
            optional_column=True,
            width=22,
        ),
        Column(
            "Support hours",
            NUMBER,
            "When shared: the hours of support this provider gave.",
            minimum=0,
            optional_column=True,
            when=(_w("when the claim is shared", ("Shared with provider", None)),),
        ),
        Column("Notes", TEXT, "Anything the PMO should know (no names).", optional_column=True, width=30),
    ),
    help="One row per output claimed in the quarter (§4, App 2 §2.2–§2.4).",
)

EXPENDITURE = SheetSpec(
    "Expenditure",
    "table",
    (
        Column(
            "Category",
            CODE,
            "Staff and management, Beneficiary or Delivery.",
            required=True,
            codes=CATEGORIES,
            width=22,
        ),
        Column("Budget item", TEXT, "A heading of your contract's budget.", required=True, width=30),
        Column("Budgeted amount", MONEY, "The budget for this item this quarter, in pounds.", required=True),
        Column("Actual spend", MONEY, "Spend defrayed (paid out) by the quarter's last day, in pounds.", required=True),
        Column("Match funding", MONEY, "Contributions from other funders, in pounds.", optional_column=True),
        Column(
            "Variance",
            MONEY,
            "Worked out for you as Actual − Budgeted; what is typed here is ignored.",
            optional_column=True,
            computed=True,
        ),
        Column("Comment", TEXT, "Explain any variance over 10% of the budgeted amount.", width=40),
    ),
    help="One row per budget line for the quarter (App 2 §3.2).",
)

TRANSACTIONS = SheetSpec(
    "Transactions",
    "table",
    (
        Column("Budget item", TEXT, "As in Expenditure.", required=True, width=30),
        Column("Date defrayed", DATE, "The date cash left the account (recharges: the original date).", required=True),
        Column("Description", TEXT, "What was bought.", required=True, width=30),
        Column("Amount", MONEY, "In pounds.", required=True),
        Column("Includes recoverable VAT", YESNO, "Does the amount include VAT you can recover?", required=True),
        Column("Internal recharge", YESNO, "Is this an internal recharge?", required=True),
    ),
    optional=True,
    help="Optional: the items behind Actual spend (App 2 §3.1, §3.3, §3.5).",
)

NARRATIVE_LABELS = (
    "Activities and progress",
    "Lessons learnt",
    "Main referral sources",
    "Client and employer views",
    "Output variances",
    "Finance variances",
    "Safeguarding",
    "Case study",
)
NARRATIVE = SheetSpec(
    "Narrative",
    "labels",
    tuple(
        Column(label, TEXT, help, required=(label == "Activities and progress"), width=100)
        for label, help in zip(
            NARRATIVE_LABELS,
            (
                "Activities and progress this quarter, beyond what the statistics show.",
                "Lessons learnt, or examples of best practice.",
                "Your main referral sources (organisations or council teams).",
                "Views from clients or employers on challenges and opportunities.",
                "Explain any output more than 20% over or under its quarterly target: temporary or permanent, and how "
                "you will address it.",
                "Explain any spend more than 10% over or under budget: temporary or permanent, and what you will do.",
                "Any safeguarding issues this quarter, with a summary and actions. Write None if none.",
                "At least one case study. Clients must not be identifiable: no names, contact details or dates of birth.",
            ),
        )
    ),
    help="The narrative report (App 3).",
)

MILESTONES = SheetSpec(
    "Milestones",
    "table",
    (
        Column("Milestone", TEXT, "The milestone, as in your contract or added since.", required=True, width=40),
        Column("Due date", DATE, "When it is due.", required=True),
        Column("Date achieved", DATE, "When it was achieved; blank if not yet."),
        Column("Anticipated date", DATE, "When it will be achieved, if the due date has passed."),
    ),
    help="Milestones (App 3 item 9).",
)

RETURN_SHEETS: tuple[SheetSpec, ...] = (RETURN, REGISTRATIONS, CLAIMS, EXPENDITURE, TRANSACTIONS, NARRATIVE, MILESTONES)

# --- the contract register -------------------------------------------------------------------------
REGISTER_SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec(
        "Contracts",
        "table",
        (
            Column("Contract ID", REF, "e.g. SW-L3-01", required=True, unique=True),
            Column("Provider", TEXT, "The provider's organisation name.", required=True, width=40),
            Column("Lot", CODE, "1a, 1b, 1c, 2 … 9", required=True, codes=LOTS),
            Column("Start date", DATE, "Contract start.", required=True),
            Column("End date", DATE, "Contract end (initial term).", required=True),
            Column("Annual value", MONEY, "Annual contract value in pounds.", required=True, minimum=0),
            Column("Funding paid to date", MONEY, "Funding paid to date, in pounds.", optional_column=True),
        ),
    ),
    SheetSpec(
        "Targets",
        "table",
        (
            Column("Contract ID", REF, "As in Contracts.", required=True),
            Column("Output", CODE, "1, 2, 2a, 2b, 3a, 3b, 4 … 9", required=True, codes=("1", "2") + CLAIM_OUTPUTS),
            Column("Annual target", INT, "Whole number per year.", required=True, minimum=0),
            Column("Q1 profile", INT, "Optional quarterly profile.", optional_column=True, minimum=0),
            Column("Q2 profile", INT, "Optional quarterly profile.", optional_column=True, minimum=0),
            Column("Q3 profile", INT, "Optional quarterly profile.", optional_column=True, minimum=0),
            Column("Q4 profile", INT, "Optional quarterly profile.", optional_column=True, minimum=0),
        ),
    ),
    SheetSpec(
        "Budget",
        "table",
        (
            Column("Contract ID", REF, "As in Contracts.", required=True),
            Column("Financial year", TEXT, "e.g. 2026/27", required=True),
            Column("Quarter", CODE, "Q1 … Q4", required=True, codes=QUARTERS),
            Column("Category", CODE, "Staff and management, Beneficiary or Delivery.", required=True, codes=CATEGORIES),
            Column("Budget item", TEXT, "The budget heading.", required=True, width=30),
            Column("Budgeted amount", MONEY, "In pounds.", required=True),
        ),
    ),
    SheetSpec(
        "Milestones",
        "table",
        (
            Column("Contract ID", REF, "As in Contracts.", required=True),
            Column("Milestone", TEXT, "The tender's milestone.", required=True, width=40),
            Column("Due date", DATE, "When it is due.", required=True),
        ),
    ),
)

# The hidden sheet a prefilled return carries, so a provider can check without the register.
CONTRACT_SHEET = "Contract"


# --- forgiving header matching (TEMPLATES.md) ------------------------------------------------------
_UNIT_RE = re.compile(r"\s*\((?:£|gbp|%|hours?|hrs|weeks?)\)\s*$", re.I)
_WS_RE = re.compile(r"\s+")


def normalise_label(text) -> str:
    """Case, surrounding and repeated spaces, NBSP, zero-width characters and a trailing ``(£)`` unit
    do not matter when a header or label is matched."""
    if text is None:
        return ""
    s = text if text.__class__ is str else str(text)
    # headers, labels and codes come back again and again (each sheet, each finding); long free text
    # is normalised afresh, so that the cache stays small
    return _normalised(s) if len(s) <= 200 else _normalise(s)


@lru_cache(maxsize=8192)
def _normalised(s: str) -> str:
    return _normalise(s)


def _normalise(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Cf")  # zero-width, BOM, bidi marks
    s = _WS_RE.sub(" ", s).strip()
    s = _UNIT_RE.sub("", s)
    return s.casefold()
