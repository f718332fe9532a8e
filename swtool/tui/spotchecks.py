"""The spot checks of one contract's quarter, read-only: each item its samples drew, how and why it was
drawn, and the result in force (``swtool samples --id N`` shows the same), then the checks made outside
any sample. Results are recorded with ``swtool spotcheck``; nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Header, Static

from swtool.calc import money
from swtool.ledger import assurance, store
from swtool.model.quarter import Quarter
from swtool.tui.base import FilterBar, LedgerScreen, ReviewFooter
from swtool.tui.shown import joined, shown
from swtool.tui.table import ReviewTable, Row

RESULT_STYLE = {"pass": "green", "fail": "bold red"}
COLUMNS = ("sample", "item", "kind", "ref", "output", "amount", "drawn", "risks", "result", "reason", "by", "when")


@dataclass
class Checked:
    """One line of the screen: an item drawn (or checked ad hoc) and the result in force on it."""

    key: str
    sample: str
    seq: str
    item: assurance.Item
    drawn: str
    risks: str
    result: dict | None


@dataclass
class SpotChecks:
    samples: int = 0
    lines: list[Checked] = field(default_factory=list)
    disallowed: Decimal = Decimal("0.00")


class SpotChecksScreen(LedgerScreen):
    """One contract in one quarter: its sampled claims and transactions with their results."""

    def __init__(self, contract_id: str, quarter: Quarter):
        super().__init__()
        self.contract_id = contract_id
        self.quarter = quarter

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="heading")
        yield ReviewTable(*COLUMNS, id="spotchecks", fixed=2)
        yield FilterBar()
        yield Static(id="summary", classes="detail")
        yield ReviewFooter(compact=True, show_command_palette=False)

    def fetch(self, ledger) -> SpotChecks:
        q = str(self.quarter)
        out = SpotChecks()
        found = assurance.samples(ledger, q, self.contract_id)
        out.samples = len(found)
        for row in found:
            s = assurance.load_sample(ledger, row["id"])
            results = assurance.results(ledger, s)
            out.lines += [
                Checked(
                    f"{s.id}-{it.seq}",
                    str(s.id),
                    str(it.seq),
                    it,
                    it.drawn or "",
                    ", ".join(it.risks) or "-",
                    results.get(it.seq),
                )
                for it in s.drawn
                if it.contract == self.contract_id
            ]
        out.lines += [
            Checked(f"adhoc-{r['id']}", "-", "-", assurance.checked_item(ledger, r), "ad hoc", "-", r)
            for r in assurance.ad_hoc(ledger, self.contract_id, q)
        ]
        counted = store.counted_returns(ledger, self.session.refdata, self.contract_id).get(q)
        if counted is not None:
            out.disallowed = assurance.disallowed(ledger, counted["id"]).amount
        return out

    def show(self, data: SpotChecks) -> None:
        q = str(self.quarter)
        rows = []
        for c in data.lines:
            r, it = c.result, c.item
            result = None if r is None else r["result"]
            rows.append(
                Row(
                    c.key,
                    [
                        shown(c.sample),
                        shown(c.seq),
                        shown(it.kind),
                        shown(it.ref, 30, style="bold"),
                        shown(it.output),
                        shown(None if it.amount is None else money.gbp(it.amount)),
                        shown(c.drawn),
                        shown(c.risks, 60),
                        shown(result or "awaiting", style=RESULT_STYLE.get(result or "", "yellow")),
                        shown(None if r is None else r["reason"], 80),
                        shown(None if r is None else r["who"]),
                        shown(None if r is None else r["at"][:16].replace("T", " ")),
                    ],
                    c,
                )
            )
        self.query_one("#spotchecks", ReviewTable).set_rows(rows)
        self.query_one("#heading", Static).update(
            joined(
                "Spot checks of ",
                (self.contract_id, "bold"),
                f", {q}: the items drawn in {data.samples} "
                f"sample{'s' * (data.samples != 1)} (swtool sample) and their results (swtool spotcheck). Read-only.",
            )
        )
        drawn = [c for c in data.lines if c.sample != "-"]
        passed = sum(1 for c in drawn if c.result is not None and c.result["result"] == "pass")
        failed = sum(1 for c in drawn if c.result is not None and c.result["result"] == "fail")
        summary = self.query_one("#summary", Static)
        if not data.lines:
            summary.update(
                Text(
                    f"No spot-check sample has drawn from {self.contract_id} for {q}: swtool sample "
                    f"--quarter {q} --contract {self.contract_id}",
                    style="dim",
                )
            )
            return
        summary.update(
            Text(
                f"{len(drawn)} item{'s' * (len(drawn) != 1)} drawn: {passed} passed, {failed} failed, "
                f"{len(drawn) - passed - failed} awaiting a result; transactions disallowed from the "
                f"invoice: {money.gbp(data.disallowed)}",
                style="bold red" if failed else "",
            )
        )
        self.focus_table()
