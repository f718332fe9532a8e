"""``?`` (or F1): what the screen in view shows and what its keys do, in the council's words, with the
paragraph of the specification each flag and figure comes from.

The keys are read from the screen's own bindings, so the help lists exactly the keys the screen has;
the flags' meanings and paragraphs are the rule catalogue's (``swtool rules``), so they never drift.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

FLAGS = ("K701", "K702", "K703")


def _rule(code: str):
    from swtool import catalogue

    return catalogue.load_all()[code]


def flag_words(code: str) -> str:
    try:
        return _rule(code).description
    except KeyError:
        return ""


class _FlagWords(dict):
    """``FLAG_WORDS[code]``: the catalogue's description of a K flag, read when first asked for."""

    def __missing__(self, code: str) -> str:
        self[code] = flag_words(code)
        return self[code]

    def get(self, code, default=None):
        return self[code] or default


FLAG_WORDS = _FlagWords()


TABLE_KEYS = [
    ("↑ ↓ PgUp PgDn", "move through the rows"),
    ("g Home / G End", "first row / last row"),
    ("← →", "scroll the columns (the first column stays)"),
    ("/", "filter the table: only rows holding every word typed (Enter keeps it, Esc clears it)"),
    ("o / O", "order (sort) by the next column / reverse the order; a click on a header sorts by it"),
    ("Enter", "open the highlighted row"),
]

COMMON_KEYS = [
    ("q", "quit (asks first when a dialog holds something typed; ctrl+q from inside a text box)"),
    ("? F1", "this help; Esc or ? closes it"),
    ("Esc", "back to the screen before"),
    ("ctrl+p", "command palette: open a contract, go to a quarter, payments, import, export, find a client, help"),
    ("ctrl+f", "find a client ref in every return of every quarter"),
    ("r", "read the ledger again"),
]

# Each topic is paragraphs, one a line: the dialog wraps them to its width.
QUARTER = """\
Every contract in the register in force, one row each, for the quarter in the title bar ([ and ] move a quarter). The columns that decide come first; the highlighted contract is described in full below the table.

Columns
• contract: the contract id; it stays at the left while the other columns scroll.
• return: the version whose figures count and its timeliness: on time; late (after the reporting deadline, D602); after final deadline (D603: it does not count); missing when nothing was received by the reporting deadline; not yet due before it.
• errors: errors on that version. A claim with an error is not paid until the finding is waived.
• core outputs: each core output's actual as a % of its quarterly target (outputs 2 and 4 for lots 1-8, 1 and 4 for lot 9); red at or below 70% (spec §7.7).
• credits due: service credits due and not waived (applied and pending).
• RAP: the remedial action plan (spec §7.5-7.6, App 4). "needed": a core output at or below 70% from contract quarter 2 and no plan yet for the quarter; "#N open (review date)"; "#N overdue" once the review date has passed; "#N closed" once the PMO closed it.
• flags: the contract-performance warnings, below.

Quick filters (number keys, or a click on the tab): 1 all, 2 late or missing, 3 K702, 4 pending service credits, 5 with errors. c service credits, f payments, p action plans, i import returns.

x exports the quarter's service credits or payments schedule, as an Excel workbook or CSV, to a folder you choose (the last one used, else the folder swtool review was started in). The file's name says what it holds; an existing file is never replaced (a second export is name-2); the full path written is shown.
"""

CONTRACT = """\
One contract in one quarter. The tabs (number keys 1-5) show its return's findings, its outputs against profile, its spend against budget, the versions received and the decisions recorded. Decision keys act only on the row highlighted in the tab in view; each opens a dialog naming what it decides and asking for a reason, and Esc there records nothing.

• Findings (1): a accepts, y queries, w waives the highlighted finding. Space marks findings (●): a, y or w then decides every marked one with one reason. A waived error no longer stops its claim; the latest decision on a finding is the one in force.
• Outputs (2): each output's actual against its quarterly target, the variance, the flag, the actual to date against the profile to date, and "by quarter": a bar a quarter from the contract's first, its height the actual's share of the target (full: on target or over; red at or below 70%; · no return). The pane below gives the highlighted output quarter by quarter.
• Expenditure (3): each budget line's actual spend against its budgeted amount. A variance over 10% is marked; App 2 §1.3 asks for it to be explained in the line's Comment (X402 when it is not). The Comment column shows the start of the provider's comment; the pane below gives the highlighted line's in full (retention clears comments with the rest of a return's personal data).
• Versions (4): every version received. Enter opens one; a approves the highlighted version for payment and h holds it (only the version that counts can be).
• Decisions (5): every decision on the contract's quarter; the reason in full below the table.

v shows the cell values behind findings (personal data, hidden until asked for). n writes a remedial action plan (App 4) for the quarter.

x exports the findings of the return shown, for its provider: their own workbook as the ledger received it, with each finding marked on its cell and listed on a first sheet, Findings, with the PMO's decision in force (the copy swtool check --annotate writes); or the findings as a table (.xlsx or CSV). If the ledger no longer holds the workbook (a retention run removed it), the table is written and the screen says so.

Counts: "counts" is the version whose figures are used; "superseded" a version replaced by a later one; "not counted: after final deadline" one received after the final CRM deadline (D603); "void" one imported by mistake.
"""

CREDITS = """\
Every core output of every contract in term, with the service credits the quarter's figures give (spec §7.7-7.8, App 2 §4.1). From contract quarter 2, a core output at or below 70% of its quarterly target gives its shortfall (target - actual) in credits; one credit is worth (annual value x 2) x 10% divided by the output's annual target. The PMO applies or waives each line, with a reason.

• pending: due and not decided.
• applied: the PMO applied it: it is taken off the payment.
• waived: the PMO waived it.
• not due: nothing to decide; a and w do nothing on such a line.

The pane below the table gives the line's figures in words and the decision in force in full. a applies, w waives the highlighted line.

x exports this schedule (every line, the decision in force, the totals applied, pending and waived) as an Excel workbook or CSV, with the figures swtool credits prints, to a folder you choose; the full path written is shown.
"""

PLANS = """\
Remedial action plans (App 4). A plan is opened from a contract's screen (n) when a core output is at or below 70% (spec §7.6); its review date is the next quarter's reporting deadline unless another is given. OVERDUE: the review date has passed and the plan is still open.

x closes the highlighted plan with a reason; t shows closed plans too; Enter opens the plan's contract and quarter.
"""

PAYMENTS = """\
What finance pays each contract for the quarter (swtool payments). Only an approved return is payable. Net payable = invoice - service credits applied; the invoice is the return's expenditure less any disallowed transactions (in Q4, the balancing payment).

a approves the counted return, h holds it, each with a reason. The pane below the table names every figure's inputs.

x exports this schedule as an Excel workbook (with a sheet of every figure's inputs) or CSV, the files swtool payments --format xlsx or csv writes, to a folder you choose; the full path written is shown.
"""

FIND = """\
Every return, in every quarter, that names the client ref: the client's registrations and claims, the version each is on and whether that version counts, and whether each claim counts (and why not). Enter opens the contract's quarter at that version.
"""

TOPICS = {
    "quarter": ("The quarter", QUARTER),
    "contract": ("A contract's quarter", CONTRACT),
    "credits": ("Service credits", CREDITS),
    "plans": ("Remedial action plans", PLANS),
    "payments": ("Payments", PAYMENTS),
    "find": ("Find a client ref", FIND),
}


def flags_text() -> Text:
    out = Text("Flags (contract performance, warnings for the PMO)\n", style="bold")
    for code in FLAGS:
        r = _rule(code)
        out.append(f"• {code} ", style="bold yellow")
        out.append(f"{r.slug}: {r.description} (spec {r.spec})\n")
    return out


def screen_keys(screen) -> list[tuple[str, str]]:
    """The screen's own keys with what they do, as its footer names them (the hidden ones too)."""
    seen, out = set(), []
    for bindings in screen._bindings.key_to_bindings.values():
        for b in bindings:
            if not b.description or b.action in seen:
                continue
            seen.add(b.action)
            shown = b.key_display or screen.app.get_key_display(b)
            out.append((shown, b.description))
    return out


def help_text(screen) -> tuple[str, Text]:
    title, body = TOPICS.get(getattr(screen, "HELP_TOPIC", ""), ("swtool review", ""))
    out = Text()
    if body:
        out.append(body)
        out.append("\n")
    if getattr(screen, "HELP_TOPIC", "") in ("quarter", "contract"):
        out.append_text(flags_text())
        out.append("\n")
    for heading, keys in (
        ("This screen's keys", screen_keys(screen)),
        ("In every table", TABLE_KEYS),
        ("Everywhere", COMMON_KEYS),
    ):
        out.append(f"{heading}\n", style="bold")
        for key, words in keys:
            out.append(f"• {key}", style="bold")
            out.append(f": {words}\n")
        out.append("\n")
    return title, out


class HelpScreen(ModalScreen[None]):
    """Help for the screen underneath; Esc, ? or the button closes it."""

    BINDINGS = [Binding("escape,question_mark,f1", "close", "Close")]

    def __init__(self, title: str, body: Text):
        super().__init__()
        self.title_words = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide help"):
            yield Label(f"Help: {self.title_words}", id="dialog-title", markup=False)
            with VerticalScroll(id="dialog-body"):
                yield Static(self.body, id="help-text")
            yield Button("Close (Esc)", id="cancel", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#dialog-body").focus()

    def on_button_pressed(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

    def text(self) -> str:
        return self.body.plain
