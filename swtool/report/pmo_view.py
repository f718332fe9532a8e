"""The PMO's view of a return, shown to the provider who checks it (App 3 item 1; §7.7–7.8).

The council judges a return on the claims that count (``swtool.calc.counting``): a provider running
``swtool check`` sees the same output table, the same K701 and K702 flags and the same service credit
arithmetic as the PMO's ``swtool performance`` and ``swtool credits``, because both sides call the same
functions: ``output_rows`` (here; the ledger's ``views.contract_performance`` calls it too),
``credits.assess``, ``credits.output_variances``, ``credits.cumulative`` and ``calc.money``.

The provider's figures are an estimate: the PMO may waive a finding (and a claim then counts), or
waive the credits themselves. Every sentence says so, and nothing in it changes the check's exit code.

No I/O and no heavy import at module level: ``view_of`` takes the typed return and its findings;
``for_check`` (``swtool check``) also checks the earlier returns given with ``--history``, so their
claims are counted by the same rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from swtool.calc import money
from swtool.calc.counting import Registration, registration_for, why_not_counted
from swtool.calc.counting import cell_day as _cell_day
from swtool.calc.counting import cell_text as _cell_text
from swtool.model.quarter import Quarter

if TYPE_CHECKING:
    from swtool.calc.targets import CumulativeLine
    from swtool.calc.variances import OutputVariance
    from swtool.read.submission import Submission

T = TypeVar("T")

ESTIMATE = "estimated; the council's PMO decides"
SHEET = "PMO view"
MAX_NOT_COUNTED_SHOWN = 5  # in the text report; the JSON and the sheet list every one

# --- the output table, shared with the ledger's views ----------------------------------------------


@dataclass
class OutputRow:
    """One output of one contract: the quarter against its target (K701) and the contract to date."""

    output: str
    title: str
    variance: OutputVariance | None  # None when no return is recorded for the quarter
    to_date: CumulativeLine | None


def combined_variance(contract, q: Quarter, acts: dict, settings):
    """Output 2 (2a + 2b) against its quarterly target, as a variance that is shown, not flagged."""
    from swtool.calc.money import num
    from swtool.calc.targets import quarterly_target, target_basis
    from swtool.calc.variances import OutputVariance
    from swtool.model.outputs import COMBINED

    target = quarterly_target(contract, COMBINED, q)
    if target is None or q not in acts:
        return None
    actual = acts[q].get(COMBINED, 0)
    limit = int(settings.get("output_variance_percent", 20))
    return OutputVariance(
        COMBINED,
        target,
        target_basis(contract, COMBINED, q),
        actual,
        money.as_decimal(money.variance(actual, target, limit).percent),
        False,
        limit,
        f"{q} {contract.contract_id} output 2 (2a + 2b): {actual} against a quarterly target of {num(target)}",
    )


def output_rows(contract, q: Quarter, acts: dict, settings, refdata=None, to_date: bool = True) -> list[OutputRow]:
    """Each output of ``contract`` in ``q`` (core outputs first): K701 on each register output (2a and 2b
    apart, as N501 does; the combined output 2, which K702 weighs, is shown but never flagged K701),
    and, when ``to_date``, the contract to date against its profile (``credits.cumulative``).
    ``acts``: counts per quarter (``{Quarter: {"2a": 3, …}}``) of the claims that count."""
    from swtool.calc.targets import cumulative
    from swtool.calc.variances import output_variances
    from swtool.model.outputs import COMBINED, OUTPUT_NAMES, core_outputs

    variances = {v.output: v for v in output_variances(contract, q, acts, settings, only_exceeding=False)}
    if COMBINED in core_outputs(contract.lot) and COMBINED not in variances:
        combined = combined_variance(contract, q, acts, settings)
        if combined is not None:
            variances[COMBINED] = combined
    so_far = {t.output: t for t in cumulative(contract, q, acts)} if to_date else {}
    order = [*core_outputs(contract.lot)]
    order += [o for o in [*so_far, *variances] if o not in order]
    titles = refdata.outputs_by_lot.get(str(contract.lot), {}) if refdata is not None else {}
    return [
        OutputRow(o, titles.get(o, {}).get("title") or OUTPUT_NAMES.get(o, ""), variances.get(o), so_far.get(o))
        for o in dict.fromkeys(order)
        if o in variances or o in so_far
    ]


def performance_flags(rows: list[OutputRow], lines: list, shared=None, contract_id: str = "") -> list[tuple[str, str]]:
    """(code, sentence) of each K701 (an output's variance), K702 (a core output at or below 70%) and,
    given ``shared`` (``credits.SharedCap``), K703 warning the figures raise."""
    out = [("K701", r.variance.message) for r in rows if r.variance is not None and r.variance.exceeds]
    out += [("K702", ln.reason) for ln in lines if ln.underperforming]
    if shared is not None and shared.over:
        out.append(("K703", f"{contract_id}: {shared.message}"))
    return out


# --- what counts in a return and its earlier quarters ----------------------------------------------


def row_errors(findings) -> dict[tuple[str, int], set[str]]:
    """The error codes found on each (sheet, row): what stands on a row before the PMO waives anything."""
    out: dict[tuple[str, int], set[str]] = defaultdict(set)
    for f in findings:
        if f.severity == "error" and f.sheet and f.row is not None:
            out[(f.sheet, int(f.row))].add(f.code)
    return out


def _columns(table, *headers: str):
    """(Excel row, value of each of ``headers``) of each row of a typed table; nothing for a missing
    sheet. Only the columns asked for are taken, a column at once."""
    if table is None or not table.present or not len(table):
        return
    df = table.df
    columns = [df[h].tolist() if h in df.columns else [None] * len(df) for h in headers]
    yield from zip((int(r) for r in table.rows), *columns)


def _by_value(fn: Callable[[Any], T]) -> Callable[[Any], T]:
    """``fn`` worked out once per distinct cell value (keyed with its type: 1, 1.0 and True read apart)."""
    done: dict = {}

    def get(v):
        key = (v.__class__, v)
        try:
            return done[key]
        except KeyError:
            done[key] = out = fn(v)
            return out
        except TypeError:  # a value that cannot be a key
            return fn(v)

    return get


def _claim_count(table) -> int:
    """The rows of a typed table; 0 for a missing sheet."""
    return len(table) if table is not None and table.present else 0


@dataclass(frozen=True)
class NotCounted:
    """A claim of this return that would not count, and why (``counting.why_not_counted``)."""

    cell: str
    output: str | None
    why: str


def count_returns(returns: Sequence[tuple[Submission, list]], refdata=None) -> tuple[dict, list[NotCounted]]:
    """What counts in each of ``returns`` (``(submission, findings)``, oldest quarter first, the return
    being checked last), as the ledger counts a contract's counted returns (``store.actuals``): a claim
    counts with no error on its row and no eligibility error on its client's registration in any of
    the returns (``counting``); a registration (output 1) with no error on its row.

    Returns ``({Quarter: {"1": n, "2a": n, …, "2": 2a + 2b}}, the last return's claims that do not count)``.
    """
    from swtool.report.redact import kept_value

    _text, _day = _by_value(_cell_text), _by_value(_cell_day)  # a date or a client comes back row after row
    regs: dict[str, list[Registration]] = defaultdict(list)
    claims = []
    counts: dict[Quarter, dict[str, int]] = {}
    for order, (sub, findings) in enumerate(returns):
        q = sub.quarter
        if q is None:  # counts for no quarter (view_of passes only returns with one)
            continue
        errors = row_errors(findings)
        tally = counts.setdefault(q, {})
        t = sub.registrations
        registered = 0
        quarter = str(q)
        for row, client_ref, registered_on in _columns(t, "Client ref", "Registration date"):
            own = frozenset(errors.get((t.sheet, row), ()))
            registered += not own
            client = _text(client_ref)
            if client:
                regs[client.casefold()].append(
                    Registration(_day(registered_on) or "", order, row, f"{t.sheet}!A{row} ({quarter})", own)
                )
        tally["1"] = registered
        t = sub.claims
        outputs: dict = {}  # an Output cell's value -> the output it counts for (the same for every row)
        for row, value, client_ref, achieved in _columns(t, "Output", "Client ref", "Date achieved"):
            key = (type(value), value)
            try:
                output = outputs[key]
            except KeyError:
                output = outputs[key] = _text(kept_value(t.spec.name, "Output", value, refdata))
            except TypeError:  # a value that cannot be a key
                output = _text(kept_value(t.spec.name, "Output", value, refdata))
            claims.append(
                (order, q, t.sheet, row, output, _text(client_ref), _day(achieved), errors.get((t.sheet, row)))
            )
    last = len(returns) - 1
    not_counted = []
    for order, q, sheet, row, output, client, achieved, on_row in claims:
        reg = registration_for(regs.get(client.casefold(), ()), achieved) if client else None
        why = why_not_counted(on_row, reg, standing="")
        if why is None and output:
            counts[q][output] = counts[q].get(output, 0) + 1
        elif why is not None and order == last:
            not_counted.append(NotCounted(f"{sheet}!A{row}", output, why))
    for tally in counts.values():
        tally["2"] = tally.get("2a", 0) + tally.get("2b", 0)
    return counts, not_counted


# --- the view ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewRow:
    """One line of the App 3 item 1 table as the provider sees it."""

    output: str
    title: str
    core: bool  # carries service credits (2 and 4; lot 9: 1 and 4)
    annual_target: int | None
    target: Decimal | int | None  # this quarter's (profile, else annual ÷ 4)
    target_basis: str | None
    actual: int | None  # the claims that count
    percent: Decimal | None  # actual ÷ target × 100, to 0.01 for showing
    variance_percent: Decimal | None
    flags: tuple[str, ...]  # "K701", "K702"
    target_to_date: Decimal | int | None
    actual_to_date: int | None
    percent_to_date: Decimal | None


@dataclass(frozen=True)
class CreditEstimate:
    """One core output's service credits at today's readings (``credits.assess``)."""

    output: str
    target: Decimal | int | None
    actual: int | None
    percent: Decimal | None
    underperforming: bool
    due: bool
    credit_value: Decimal | None
    credits: Decimal
    amount: Decimal
    reason: str


@dataclass
class ProviderView:
    """What the PMO will see of one return; plain values only (it travels to the annotating process)."""

    contract: str
    provider: str
    lot: str
    quarter: str
    contract_quarter: int
    contract_source: str  # "register" or "Contract sheet"
    settings: dict
    rows: list[ViewRow]
    flags: list[tuple[str, str]]
    credits: list[CreditEstimate]
    estimated_credits: Decimal
    not_counted: list[NotCounted]
    claims: int  # claims on the return
    history_given: bool
    earlier_quarters: list[str] = field(default_factory=list)  # earlier returns counted to date
    missing_quarters: list[str] = field(default_factory=list)  # contract quarters without a return given

    @property
    def alarming(self) -> bool:
        """A K701 or K702 flag, or service credits due: what the provider should act on."""
        return bool(self.flags) or self.estimated_credits > 0

    def to_dict(self) -> dict:
        return {
            "contract": self.contract,
            "quarter": self.quarter,
            "contract_quarter": self.contract_quarter,
            "contract_source": self.contract_source,
            "setting": {k: self.settings.get(k) for k in ("output_variance_percent", "credit_quarters")},
            "earlier_quarters": self.earlier_quarters if self.history_given else None,
            "missing_quarters": self.missing_quarters if self.history_given else None,
            "outputs": [
                {
                    "output": r.output,
                    "title": r.title,
                    "core": r.core,
                    "annual_target": r.annual_target,
                    "target": money.json_number(r.target),
                    "target_basis": r.target_basis,
                    "actual": r.actual,
                    "percent": money.json_number(r.percent),
                    "variance_percent": money.json_number(r.variance_percent),
                    "flags": list(r.flags),
                    "target_to_date": money.json_number(r.target_to_date),
                    "actual_to_date": r.actual_to_date,
                    "percent_to_date": money.json_number(r.percent_to_date),
                }
                for r in self.rows
            ],
            "flags": [{"code": c, "message": m} for c, m in self.flags],
            "credits": [
                {
                    "output": c.output,
                    "target": money.json_number(c.target),
                    "actual": c.actual,
                    "percent": money.json_number(c.percent),
                    "underperforming": c.underperforming,
                    "due": c.due,
                    "credit_value": money.pounds_text(c.credit_value),
                    "credits": money.json_number(c.credits),
                    "amount": money.pounds_text(c.amount),
                    "reason": c.reason,
                }
                for c in self.credits
            ],
            "estimated_credits": money.pounds_text(self.estimated_credits),
            "estimate": ESTIMATE,
            "claims": self.claims,
            "not_counted": [{"cell": n.cell, "output": n.output, "why": n.why} for n in self.not_counted],
        }

    # --- words, shared by the text report and the annotated copy's sheet ---------------------------

    def heading(self) -> str:
        return (
            f"What the council's PMO will see: {self.contract} {self.quarter}, contract quarter "
            f"{self.contract_quarter} (App 3 item 1; targets from the {_source_words(self.contract_source)}; "
            "only the claims that count are counted)"
        )

    def table(self) -> tuple[list[str], list[tuple]]:
        """Headers and rows of the output table, as text."""
        from swtool.calc.money import num

        head = ["output", "", "annual", "quarterly target", "actual", "%", "flag"]
        if self.history_given:
            head.append("to date")
        rows = []
        for r in self.rows:
            row = [
                r.output,
                r.title,
                "-" if r.annual_target is None else str(r.annual_target),
                "-" if r.target is None else num(r.target),
                "-" if r.actual is None else str(r.actual),
                # the exact ratio, so that a figure is never shown rounded onto the 70% line
                money.pct(money.percent(r.actual, r.target)) if r.target is not None and r.actual is not None else "-",
                " ".join(r.flags),
            ]
            if self.history_given:
                row.append(
                    "-"
                    if r.actual_to_date is None
                    else f"{r.actual_to_date}/{num(r.target_to_date)} {money.pct(r.percent_to_date)}"
                )
            rows.append(tuple(row))
        return head, rows

    def sentences(self, flags: bool = True, not_counted: bool = True) -> list[str]:
        """The flags (``flags``), the estimated service credits, the claims that do not count
        (``not_counted``) and what "to date" covers, one sentence each."""
        from swtool.calc.money import num

        if not self.rows:
            return [
                f"The {_source_words(self.contract_source)} gives no output targets for {self.contract}: nothing "
                "to measure this return against."
            ]
        out = [f"{code}  {msg}" for code, msg in self.flags] if flags else []
        due = [c for c in self.credits if c.due]
        limit = self.settings.get("output_variance_percent", 20)
        if not self.flags:
            out.append(
                f"Every output is within {limit}% of its quarterly target and no core output is at or below "
                "70%: no K701 or K702."
            )
        if due:
            parts = "; ".join(
                f"output {c.output}: {num(c.credits)} credit{'' if c.credits == 1 else 's'} = {money.gbp(c.amount)}"
                for c in due
            )
            out.append(
                f"Service credits this return would be liable to at today's readings: "
                f"{money.gbp(self.estimated_credits)} ({parts}) — {ESTIMATE} whether to apply or waive them."
            )
        elif any(c.underperforming for c in self.credits):
            out.append(
                "Service credits this return would be liable to at today's readings: none this quarter (see "
                f"K702 above) — {ESTIMATE}."
            )
        else:
            out.append(f"No service credits at today's readings ({ESTIMATE}).")
        if self.not_counted and not_counted:
            n = len(self.not_counted)
            out.append(
                f"{n} of {self.claims} claim{'s' * (self.claims != 1)} on this return would not count "
                "until corrected: "
                + "; ".join(f"{x.cell} ({x.why})" for x in self.not_counted[:MAX_NOT_COUNTED_SHOWN])
                + (f"; … and {n - MAX_NOT_COUNTED_SHOWN} more" if n > MAX_NOT_COUNTED_SHOWN else "")
            )
        if not self.history_given:
            out.append(
                "To date: give the contract's earlier returns with --history to see the contract to date"
                + (
                    " and whether the previous quarter was also at or below 70% (setting credit_quarters = 2)"
                    if int(self.settings.get("credit_quarters", 1)) == 2
                    else ""
                )
                + "."
            )
        elif self.missing_quarters:
            out.append(f"To date: no earlier return given for {', '.join(self.missing_quarters)} (counted 0).")
        return out


def _source_words(source: str) -> str:
    return "return's Contract sheet" if source == "Contract sheet" else "contract register"


def view_of(
    sub,
    findings: list,
    contract,
    settings,
    refdata=None,
    earlier: Sequence[tuple[Submission, list]] = (),
    history_given: bool = False,
) -> ProviderView | None:
    """The PMO's view of the return ``sub`` (its ``findings`` as the check found them) for ``contract``.

    ``earlier``: the contract's earlier returns, oldest first, each ``(submission, findings)``.
    None when the return has no quarter or is not for ``contract``.
    """
    from swtool.calc.credits import assess
    from swtool.calc.targets import annual_target, contract_quarter
    from swtool.model.outputs import core_outputs

    q = sub.quarter
    if contract is None or q is None or sub.contract_id != contract.contract_id:
        return None
    returns = [(s, f) for s, f in earlier if s.quarter is not None and s.quarter < q] + [(sub, findings)]
    acts, not_counted = count_returns(returns, refdata)
    rows = output_rows(contract, q, acts, settings, refdata, to_date=history_given)
    lines = assess(contract, q, acts, settings)
    flags = performance_flags(rows, lines)
    core = core_outputs(contract.lot)
    under = {ln.output for ln in lines if ln.underperforming}
    view_rows = []
    for r in rows:
        v, t = r.variance, r.to_date
        flagged = (("K701",) if v is not None and v.exceeds else ()) + (("K702",) if r.output in under else ())
        target = None if v is None else v.target
        actual = None if v is None else v.actual
        view_rows.append(
            ViewRow(
                r.output,
                r.title,
                r.output in core,
                annual_target(contract, r.output),
                target,
                None if v is None else v.target_basis,
                actual,
                money.as_decimal(money.percent(actual, target)) if target is not None and actual is not None else None,
                None if v is None else v.percent,
                flagged,
                None if t is None else t.target_to_date,
                None if t is None else t.actual_to_date,
                None if t is None else t.percent,
            )
        )
    estimates = [
        CreditEstimate(
            ln.output,
            ln.target,
            ln.actual,
            ln.percent,
            ln.underperforming,
            ln.due,
            ln.credit_value,
            ln.credits,
            ln.amount,
            ln.reason,
        )
        for ln in lines
    ]
    seen = {str(s.quarter) for s, _ in returns[:-1]}
    missing = []
    if history_given:
        cur = Quarter.containing(contract.start)
        while cur < q:
            if str(cur) not in seen:
                missing.append(str(cur))
            cur = cur.next()
    return ProviderView(
        contract.contract_id,
        contract.provider,
        str(contract.lot),
        str(q),
        contract_quarter(contract, q),
        getattr(contract, "source", "register"),
        dict(settings),
        view_rows,
        flags,
        estimates,
        money.total(ln.amount for ln in lines if ln.due),
        not_counted,
        _claim_count(sub.claims),
        history_given,
        sorted(seen),
        missing,
    )


def for_check(sub, report, ctx, checked: dict | None = None) -> ProviderView | None:
    """``view_of`` for ``swtool check``: the contract as the check found it (``--register``, else the
    return's Contract sheet) and the earlier returns of ``--history``, each checked here so that its
    claims count by the same rule. ``checked`` (sha256 → findings) saves checking a file twice in a run."""
    from swtool.checks.runner import rule_context, run_rules

    if sub is None:
        return None
    rctx = rule_context(sub, ctx)
    if rctx.contract is None:
        return None
    checked = {} if checked is None else checked
    checked[sub.sha256] = report.findings
    earlier = []
    for h in rctx.history:
        if h.sha256 not in checked:
            checked[h.sha256] = run_rules(h, rule_context(h, ctx))
        earlier.append((h, checked[h.sha256]))
    return view_of(sub, report.findings, rctx.contract, ctx.settings, ctx.refdata, earlier, ctx.history_given)


def text_lines(view: ProviderView) -> list[str]:
    """The view as the text report prints it under a file's findings (indented like them)."""
    from tabulate import tabulate

    from swtool.report.safe import safe_text

    head, rows = view.table()
    table = tabulate(
        [[safe_text(x) for x in row] for row in rows],
        headers=head,
        tablefmt="simple",
        disable_numparse=True,
        maxcolwidths=[None, 58, None, None, None, None, None, None],
    )
    out = ["", "  " + safe_text(view.heading())]
    out += ["    " + line for line in table.splitlines()]
    out += ["    " + safe_text(s, limit=4000) for s in view.sentences()]
    return out
