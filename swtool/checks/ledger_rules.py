"""K — contract performance: the PMO's side, over the ledger of a contract's returns (§4, §7, App 2).

C219 and C220 look across every provider's returns in the ledger, so they are declared here too.

These rules are not functions over one return: the ledger (``swtool performance``, ``swtool status``,
``swtool credits``, ``swtool rap`` and the review screens) finds them with the calculations of
``swtool.calc`` (variances, credits, shared, register limits) and ``swtool.ledger.crosscheck``, and
reports them under these codes. Each is declared here with the function that finds it (``found_by``, a
``"module:function"`` resolved only by ``swtool explain`` and the tests, so that the checks never
import the ledger).
"""

from __future__ import annotations

from swtool.catalogue import declare
from swtool.findings import WARNING

_REG = "swtool.calc.register_limits:register_warnings"
_CROSS = "swtool.ledger.crosscheck:cross_findings"

declare(
    "K701",
    "output-variance",
    WARNING,
    "App 2 §1.3; App 3 item 5",
    "output more than 20% over or under its quarterly target (30% with output_variance_percent = 30)",
    fix="Explain the variance in the quarterly narrative (temporary or permanent, and how any shortfall will "
    "be made up); the PMO discusses it at the monitoring meeting.",
    stage="ledger",
    found_by="swtool.calc.variances:output_variances",
    module=__name__,
)

declare(
    "K702",
    "core-output-underperformance",
    WARNING,
    "§7.5–7.8; App 2 §4, §4.1",
    "from contract quarter 2: a core output (2 and 4 for lots 1–8; 1 and 4 for lot 9) at or below 70% of its "
    "quarterly target: service credit liability and a remedial action plan",
    fix="Agree a remedial action plan (App 4) with the PMO; the PMO decides whether to apply or waive the "
    "service credits shown, and records the decision and its reason.",
    stage="ledger",
    found_by="swtool.calc.credits:assess",
    module=__name__,
)

declare(
    "K703",
    "shared-outputs-cap",
    WARNING,
    "App 2 §2.3",
    "shared job and apprenticeship starts (2a + 2b) over 20% of the contract's 2a + 2b claims to date",
    fix="Shared outputs may be at most 20% of a provider's job and apprenticeship starts: the PMO reviews the "
    "shared claims and the other providers named at the monitoring meeting.",
    stage="ledger",
    found_by="swtool.calc.shared:shared_cap",
    module=__name__,
)

declare(
    "K704",
    "target-below-framework-minimum",
    WARNING,
    "§4.2, §4 Table 3, §14",
    "a contract register target for a core output (2 and 4; 1 and 4 for lot 9) is below the lot's framework "
    "minimum (output 2: the lower or higher Table 3 figure, setting framework_minimum)",
    fix="Correct the register's annual target to at least the framework minimum, or record why the contract "
    "was awarded with a lower target.",
    stage="ledger",
    found_by=_REG,
    module=__name__,
)

declare(
    "K705",
    "supplier-contract-limit",
    WARNING,
    "§2.3",
    "register: a supplier holds more than 3 contracts at once or has contracts on more than 5 lots",
    fix="Check the contract register: a supplier can be appointed to at most 5 lots and hold at most 3 "
    "contracts at any one time; correct the provider names, dates or lots, or the award.",
    stage="ledger",
    found_by=_REG,
    module=__name__,
)

declare(
    "K706",
    "contract-value-over-lot-maximum",
    WARNING,
    "§2 Table 1",
    "register: a contract's annual value is over its lot's maximum annual value (Table 1)",
    fix="Check the contract register's Annual value against the lot's maximum in Table 1 of the specification; "
    "correct the value, or record why the award is above it.",
    stage="ledger",
    found_by=_REG,
    module=__name__,
)

declare(
    "C219",
    "claimed-by-another-contract",
    WARNING,
    "App 2 §2.3; App 1 §7.3",
    "ledger, across contracts: the same client, output and start date is claimed by another contract and the "
    "two claims are not both marked shared (risk of paying twice)",
    fix="Ask both providers which of them supported the client into this outcome; if both did, each claim must "
    "name the other provider under Shared with provider, else the claim that is not theirs is withdrawn.",
    stage="ledger",
    found_by=_CROSS,
    module=__name__,
)

declare(
    "C220",
    "shared-partner-missing",
    WARNING,
    "App 2 §2.3",
    "ledger, across contracts: a shared claim names a partner whose contracts have no matching claim for that "
    "client and output by the partner's final deadline",
    fix="Ask the partner named under Shared with provider whether they claim this outcome too; if they do not, "
    "the claim is not shared: clear Shared with provider, or correct the partner's name.",
    stage="ledger",
    found_by=_CROSS,
    module=__name__,
)
