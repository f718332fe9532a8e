"""Running the catalogue's rules over one typed return: what a rule may know, and one finding per flag.

What reading the return found (``read_flags``, S002–S009) comes first, under the rules that reading
declares (``swtool.read.rules``). A rule that needs what the run was not given (a contract, earlier
returns) is one INFO "not checked" instead; a rule that fails is one WARNING, never a traceback, and never hides the other findings.
Imports the catalogue, the findings and the checks' context only: the engine above calls it, and so do
the PMO's view of a return and the ledger's spot-check sampling.
"""

from __future__ import annotations

import logging

from swtool import catalogue
from swtool.checks.context import CheckContext, RuleContext
from swtool.findings import INFO, WARNING, Finding, Location

log = logging.getLogger(__name__)


def rule_context(sub, ctx: CheckContext) -> RuleContext:
    contract = None
    if ctx.register is not None and sub.contract_id in ctx.register.contracts:
        contract = ctx.register.contracts[sub.contract_id]
    elif sub.contract_sheet is not None:
        contract = sub.contract_sheet
    history = []
    q = sub.quarter
    if q is not None:
        latest: dict = {}
        for h in ctx.history:
            if h.contract_id == sub.contract_id and h.sha256 != sub.sha256 and h.quarter is not None and h.quarter < q:
                # of several versions of one quarter, the latest submitted stands
                prev = latest.get(h.quarter)
                if prev is None or _submitted(h) >= _submitted(prev):
                    latest[h.quarter] = h
        history = [latest[k] for k in sorted(latest)]
    return RuleContext(
        ctx.refdata, ctx.settings, ctx.today, contract, history, ctx.history_given, ctx.evidence_dir, ctx.register
    )


def _submitted(sub):
    from datetime import date

    return sub.date_submitted or date.min


def run_rules(sub, rctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    for code in sub.read_flags:  # emitted through Sink.add, which takes declared rules only; a stray key raises
        if catalogue.lookup(code).stage != "read":
            raise catalogue.UnknownRule(code, "found while reading")
    for r in catalogue.load_all().values():
        if r.stage == "read":  # S002–S009: found while the return was read and typed, reported here
            findings += [r.from_flag(flag) for flag in sub.read_flags.get(r.code, ())]
            continue
        if r.check is None:
            continue
        missing = [n for n in r.needs if not _has(n, rctx)]
        if missing:
            if "evidence" in missing:
                continue  # only checked when an evidence folder is given
            findings.append(r.finding(_not_checked(missing), Location(), severity=INFO))
            continue
        try:
            for flag in r.check(sub, rctx) or ():
                findings.append(r.from_flag(flag))
        except Exception as e:  # a bug in one rule must not hide the other findings, nor show a traceback
            log.exception("rule %s failed on %s", r.code, sub.path)
            findings.append(
                r.finding(
                    f"this check could not run on this return ({type(e).__name__}: {e}); "
                    "please report it to the council with the file",
                    Location(),
                    severity=WARNING,
                )
            )
    return findings


def _has(need: str, rctx: RuleContext) -> bool:
    return {
        "contract": rctx.contract is not None,
        "history": rctx.history_given,
        "evidence": rctx.evidence_dir is not None,
    }[need]


def _not_checked(missing: list[str]) -> str:
    words = {
        "contract": "no contract register was given (--register) and the return has no Contract sheet",
        "history": "no earlier returns were given (--history), so earlier quarters were not checked",
    }
    return "not checked: " + "; ".join(words[m] for m in missing)
