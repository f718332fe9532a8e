"""Spot checks (App 2 §1.1, §3.2–§3.3): samples of claims and transactions, their results, and what a
failed one changes.

**The sample.** ``draw`` takes the counted version of each contract's return for a quarter and draws,
per contract, claims (those that count) and transactions (the Transactions sheet's rows): half of
each part, rounded up, by risk (a weighted draw without replacement), the rest uniformly at random
from what is left. A claim's weight is ``BASE_WEIGHT`` plus the weight of each risk factor it has
(``CLAIM_WEIGHTS``); a transaction's plus ``TRANSACTION_WEIGHTS``. Each item's random number is the
first 8 bytes of sha256 over the seed and the item (its return and row), and the weighted keys are
compared exactly in whole numbers (Efraimidis–Spirakis: the largest ``u ** (1 / weight)``), so the
same seed draws the same items from the same population on any machine, whatever their order. The
seed, the weights, the size rule and the whole population (each item's risk factors and weight) are
recorded with the sample: ``redraw`` draws it again from that record alone.

**Results.** ``record`` appends one result (pass or fail, a reason, who and when) on a claim or a
transaction; the latest on an item is the one in force. A failed claim stops counting
(``store.claim_standings`` asks ``failed_claims``), so performance and service credits move; a
failed transaction is disallowed (``disallowed``), so the invoice moves. A result on an item that was
not drawn in any sample is an ad-hoc check: recorded the same way, with no sample.

Only the standard library is imported at module level.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cmp_to_key
from pathlib import Path

from swtool.calc import money
from swtool.ledger import store
from swtool.ledger.db import Ledger, LedgerError, utc_now
from swtool.model.quarter import Quarter, uk_date

ALGORITHM = "swtool-sample-1"
BASE_WEIGHT = 1
# what makes a claim or a transaction worth a closer look, and how much more likely it is drawn
CLAIM_WEIGHTS = {
    "shared": 3,
    "near wage threshold": 3,
    "self-employed": 2,
    "repeat claim": 2,
    "registered this quarter": 2,
    "finding waived": 3,
}
TRANSACTION_WEIGHTS = {"largest": 3}
RISK_WORDS = {
    "shared": "shared with another provider",
    "near wage threshold": "a wage progression within 2% of the pay it must reach",
    "self-employed": "a self-employed job start",
    "repeat claim": "the client has another claim of the same output",
    "registered this quarter": "the client registered in the same quarter",
    "finding waived": "a finding on its row was waived",
    "largest": "among the largest fifth of the contract's transactions by amount",
}
WAGE_MARGIN = 50  # within 2%: |new pay − required| × 50 ≤ required (exact)
LARGEST_SHARE = 5  # the largest fifth of a contract's transactions (at least one)
DEFAULT_PERCENT = 10
MINIMUM_ITEMS = 5
MAX_SEED = 64
RESULTS = ("pass", "fail")
CLAIM, TRANSACTION = "claim", "transaction"
_TRANSACTION_REF = re.compile(r"^\s*transactions\s*!\s*[a-z]{0,3}\s*(\d+)\s*$", re.I)


# --- the Transactions sheet in the ledger --------------------------------------------------------------


def transaction_rows(return_id: int, sub) -> list[tuple]:
    """The rows of a return's Transactions sheet as the ``transactions`` table keeps them."""
    t = sub.transactions
    if not (t.present and len(t)):
        return []

    def yes(v):
        return None if v is None or v != v else int(bool(v))

    return [
        (
            return_id,
            int(t.rows[i]),
            t.sheet,
            store._text(r.get("Budget item")),
            store._day(r.get("Date defrayed")),
            store._money_text(r.get("Amount")),
            yes(r.get("Includes recoverable VAT")),
            yes(r.get("Internal recharge")),
        )
        for i, r in enumerate(t.df.to_dict("records"))
    ]


def insert_transactions(c, return_id: int, sub) -> None:
    """Store a return's transactions (at import, inside its transaction)."""
    rows = transaction_rows(return_id, sub)
    if rows:
        c.executemany("INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


# --- the population a sample is drawn from ----------------------------------------------------------


@dataclass
class Item:
    """One claim or transaction a sample may draw."""

    kind: str  # claim | transaction
    contract: str
    return_id: int
    sheet: str
    row: int
    claim_ref: str | None = None
    client_ref: str | None = None
    output: str | None = None
    amount: Decimal | None = None
    risks: tuple[str, ...] = ()
    weight: int = BASE_WEIGHT
    drawn: str | None = None  # risk | random | None (not drawn)
    seq: int = 0
    quarter: str = ""

    @property
    def cell(self) -> str:
        return f"{self.sheet}!A{self.row}"

    @property
    def ref(self) -> str:
        """How the PMO names it: the claim ref, or the transaction's cell."""
        return (self.claim_ref or self.cell) if self.kind == CLAIM else self.cell


@dataclass
class Population:
    contract: str
    provider: str
    return_id: int | None
    version: int | None
    claims: list[Item] = field(default_factory=list)
    transactions: list[Item] = field(default_factory=list)
    note: str | None = None  # why there is nothing to draw
    new_transactions: list[tuple] = field(default_factory=list)  # rows stored with the sample (see _transactions)


def _waived_rows(ledger: Ledger, return_id: int) -> set[tuple[str, int]]:
    """(sheet, row) of a return's findings that the PMO waived (the decision in force)."""
    rows = ledger.conn.execute(
        "SELECT DISTINCT f.sheet, f.row FROM current_findings f JOIN latest_decisions d "
        "ON d.target = 'finding:' || f.return_id || ':' || f.code || ':' || f.cell "
        "WHERE f.return_id = ? AND d.action = 'waive' AND f.row IS NOT NULL",
        (return_id,),
    )
    return {(s, int(r)) for s, r in rows}


def _claims_by_client(ledger: Ledger, all_counted: dict, quarter: str) -> dict[tuple[str, str], int]:
    """(client, output) -> how many claims of the counted returns of every contract, up to ``quarter``."""
    ids = [r["id"] for (_, q), r in all_counted.items() if q <= quarter]
    out: dict[tuple[str, str], int] = {}
    if not ids:
        return out
    for client, output in ledger.conn.execute(
        f"SELECT client_ref, output FROM claims WHERE return_id IN ({', '.join('?' * len(ids))}) "
        "AND client_ref IS NOT NULL AND output IS NOT NULL",
        ids,
    ):
        key = (client.casefold(), output)
        out[key] = out.get(key, 0) + 1
    return out


def _registered_in(ledger: Ledger, counted: dict, q: Quarter) -> set[str]:
    """The clients registered with the contract (any counted return) on a day of quarter ``q``."""
    ids = [r["id"] for r in counted.values()]
    if not ids:
        return set()
    rows = ledger.conn.execute(
        f"SELECT client_ref FROM registrations WHERE return_id IN ({', '.join('?' * len(ids))}) AND client_ref IS "
        "NOT NULL AND registration_date BETWEEN ? AND ?",
        [*ids, q.start.isoformat(), q.end.isoformat()],
    )
    return {c.casefold() for (c,) in rows}


def _submission_facts(ledger: Ledger, ret: dict, register, refdata, history) -> tuple[set[int], set[int], object]:
    """From the stored workbook of the counted return: the Excel rows of its self-employed job starts, of
    its wage progressions within 2% of the pay they must reach (P303's threshold, worked out as the
    check does, with the contract's earlier counted returns as history), and the typed return."""
    from swtool.checks.context import CheckContext
    from swtool.checks.runner import rule_context
    from swtool.model.settings import Settings
    from swtool.read.preflight import Unreadable
    from swtool.read.submission import load_submission

    try:
        sub = load_submission(ledger.dir / ret["stored_file"], refdata)
    except (Unreadable, OSError):
        return set(), set(), None  # a stored return always reads; without it the two factors are unknown
    claims = sub.claims
    if not (claims.present and len(claims)):
        return set(), set(), sub
    df = claims.df
    self_employed = {
        int(claims.rows[i])
        for i, v in enumerate(df["Employment type"])
        if df["Output"].iloc[i] == "2a" and v == "Self-employed"
    }
    if not (df["Output"].eq("4") & df["Progression type"].eq("A wage")).any():
        return self_employed, set(), sub  # no wage progression: the earlier returns need not be read
    ctx = CheckContext(
        refdata,
        Settings(json.loads(ret["settings"])),
        date.fromisoformat(ret["checked_today"]),
        register,
        history.before(ret["contract_id"], ret["quarter"]),
        True,
    )
    return self_employed, _near_wage_threshold(sub, rule_context(sub, ctx)), sub


def _near_wage_threshold(sub, rctx) -> set[int]:
    """Excel rows of the type A progressions whose new pay is within 2% of the pay they must reach:
    previous × (1 + CPI + 10%), and the London Living Wage when previous pay was below it (P303)."""
    from swtool.calc import wages
    from swtool.calc.money import penny
    from swtool.checks.common import plain
    from swtool.checks.progression import _before  # P303's own view of the client before the claim

    df = sub.claims.df
    mask = df["Output"].eq("4") & df["Progression type"].eq("A wage") & df["Gross hourly pay"].notna()
    if not mask.any():
        return set()
    setting = rctx.settings.get("wage_uplift", "additive")
    found = set()
    f = _before(sub, rctx, mask)
    for pos, rec in zip(f.index, f.to_dict("records"), strict=True):
        pos = int(pos)
        previous = next(
            (
                plain(v)
                for v in (df["Previous hourly pay"].iloc[pos], rec.get("reg_pay"), rec.get("job_pay"))
                if plain(v) is not None
            ),
            None,
        )
        achieved = plain(rec.get("Date achieved"))
        if previous is None or achieved is None:
            continue
        rate, _, _ = wages.cpi_for(rctx.refdata, achieved)
        llw, _, _ = wages.llw_on(rctx.refdata, achieved)
        previous, new = penny(previous), penny(plain(df["Gross hourly pay"].iloc[pos]))
        threshold = wages.uplift_threshold(previous, rate, setting)
        required = max(threshold, llw) if previous < llw else threshold
        if abs(new - required) * WAGE_MARGIN <= required:
            found.add(int(sub.claims.rows[pos]))
    return found


def _transactions(ledger: Ledger, ret: dict, sub) -> tuple[list[tuple], bool]:
    """A return's transactions: as stored at import; for a return imported before the ledger kept them,
    from its stored workbook (to be stored with the sample). Returns (rows, new)."""
    rows = ledger.conn.execute("SELECT * FROM transactions WHERE return_id = ? ORDER BY row", (ret["id"],)).fetchall()
    if rows or sub is None:
        return [tuple(r) for r in rows], False
    rows = transaction_rows(ret["id"], sub)
    return rows, bool(rows)


def population(ledger: Ledger, quarter: Quarter, contract: str | None = None, refdata=None) -> list[Population]:
    """What a sample of ``quarter`` is drawn from, a contract at a time: the counted return's claims that
    count and its transactions, each with its risk factors and weight."""
    from swtool.ledger import views

    register = store.current_register(ledger)
    if register is None:
        raise LedgerError("the ledger has no contract register yet: run `swtool register import REGISTER.xlsx` first")
    if contract is not None and contract not in register.contracts:
        raise LedgerError(
            f"contract {contract!r} is not in the register in force (it has: {', '.join(register.contracts)})"
        )
    q = str(quarter)
    all_counted = store.counted_returns(ledger, refdata)
    repeats = _claims_by_client(ledger, all_counted, q)
    history = store._History(ledger, refdata or store._default_refdata(), _limits())  # earlier returns, read once
    out = []
    for cid, facts in register.contracts.items():
        if (contract is not None and cid != contract) or not views.in_term(facts, quarter):
            continue
        counted = {qq: r for (c, qq), r in all_counted.items() if c == cid}
        ret = counted.get(q)
        if ret is None:
            out.append(Population(cid, facts.provider, None, None, note=f"no return counts for {q}"))
            continue
        pop = Population(cid, facts.provider, ret["id"], ret["version"])
        self_employed, near_wage, sub = _submission_facts(
            ledger, ret, register, refdata or store._default_refdata(), history
        )
        waived = _waived_rows(ledger, ret["id"])
        registered = _registered_in(ledger, counted, quarter)
        for c in store.claim_standings(ledger, cid, refdata, q, counted):
            if c.return_id != ret["id"] or not c.counts:
                continue
            client = (c.client_ref or "").casefold()
            risks = tuple(
                name
                for name, present in (
                    ("shared", bool(c.shared_with)),
                    ("near wage threshold", c.row in near_wage),
                    ("self-employed", c.row in self_employed),
                    ("repeat claim", c.output is not None and repeats.get((client, c.output), 0) > 1),
                    ("registered this quarter", client in registered),
                    ("finding waived", (c.sheet, c.row) in waived),
                )
                if present
            )
            pop.claims.append(
                Item(
                    CLAIM,
                    cid,
                    ret["id"],
                    c.sheet,
                    c.row,
                    c.claim_ref,
                    c.client_ref,
                    c.output,
                    None,
                    risks,
                    BASE_WEIGHT + sum(CLAIM_WEIGHTS[r] for r in risks),
                    quarter=q,
                )
            )
        rows, new = _transactions(ledger, ret, sub)
        if new:
            pop.new_transactions = rows
        amounts = sorted((Decimal(r[5]) for r in rows if r[5] is not None), reverse=True)
        cut = amounts[max(1, math.ceil(len(amounts) / LARGEST_SHARE)) - 1] if amounts else None
        for rid, row, sheet, _item, _day, amount, _vat, _recharge in rows:
            value = None if amount is None else Decimal(amount)
            risks = ("largest",) if value is not None and cut is not None and value >= cut and value > 0 else ()
            pop.transactions.append(
                Item(
                    TRANSACTION,
                    cid,
                    rid,
                    sheet,
                    int(row),
                    amount=value,
                    risks=risks,
                    weight=BASE_WEIGHT + sum(TRANSACTION_WEIGHTS[r] for r in risks),
                    quarter=q,
                )
            )
        if not pop.claims and not pop.transactions:
            pop.note = f"return {ret['id']} has no claim that counts and no transaction"
        out.append(pop)
    return out


def _limits():
    from swtool.read.preflight import Limits

    return Limits()


# --- drawing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeRule:
    """How many items of each kind a contract's part of the sample holds."""

    size: int | None = None  # --size N: N of each kind (all when fewer)
    percent: int = DEFAULT_PERCENT  # else this share, rounded up, at least MINIMUM_ITEMS

    def of(self, n: int) -> int:
        if self.size is not None:
            return min(self.size, n)
        return min(n, max(MINIMUM_ITEMS, math.ceil(n * self.percent / 100)))

    def words(self) -> str:
        if self.size is not None:
            return f"{self.size} claims and {self.size} transactions of each contract (all when fewer)"
        return (
            f"{self.percent}% of each contract's claims and of its transactions, rounded up, at least "
            f"{MINIMUM_ITEMS} of each (all when fewer)"
        )

    def to_dict(self) -> dict:
        return {
            "size": self.size,
            "percent": None if self.size is not None else self.percent,
            "minimum": None if self.size is not None else MINIMUM_ITEMS,
        }


def _uniform(seed: str, part: str, item: Item) -> int:
    """The item's random number for one part of the draw, a whole number in 1 … 2**64 (u × 2**64)."""
    text = "\x1f".join((ALGORITHM, seed, part, item.kind, str(item.return_id), str(item.row)))
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") + 1


def _by_weighted_key(seed: str):
    """Items ordered by their Efraimidis–Spirakis key u ** (1 / weight), largest first, compared exactly:
    (Ua / M) ** (1 / wa) > (Ub / M) ** (1 / wb)  ⇔  Ua ** wb × M ** wa > Ub ** wa × M ** wb  (M = 2**64)."""
    big = 2**64

    def compare(a: Item, b: Item) -> int:
        ua, ub = _uniform(seed, "risk", a), _uniform(seed, "risk", b)
        left, right = ua**b.weight * big**a.weight, ub**a.weight * big**b.weight
        if left != right:
            return -1 if left > right else 1
        return -1 if (a.return_id, a.row) < (b.return_id, b.row) else 1

    return cmp_to_key(compare)


def draw_part(items: list[Item], n: int, seed: str) -> None:
    """Mark ``n`` of ``items`` drawn: half (rounded up) by weight, the rest at random from the others."""
    for it in items:
        it.drawn = None
    by_risk = math.ceil(n / 2)
    ranked = sorted(items, key=_by_weighted_key(seed))
    for it in ranked[:by_risk]:
        it.drawn = "risk"
    rest = sorted(
        (it for it in items if it.drawn is None), key=lambda it: (_uniform(seed, "random", it), it.return_id, it.row)
    )
    for it in rest[: n - by_risk]:
        it.drawn = "random"


def new_seed() -> str:
    """A seed nobody could have guessed before the sample was drawn (it is recorded with the sample)."""
    return str(secrets.randbelow(90_000_000) + 10_000_000)


def check_seed(seed) -> str:
    text = str(seed).strip()
    if not text or len(text) > MAX_SEED or not text.isprintable():
        raise LedgerError(f"a seed is 1 to {MAX_SEED} printable characters, not {str(seed)[:80]!r}")
    return text


@dataclass
class Sample:
    id: int | None  # None: drawn, not recorded (--dry-run)
    quarter: str
    contract: str | None
    seed: str
    method: dict
    populations: list[Population]
    drawn_at: str = ""
    drawn_by: str = ""

    @property
    def items(self) -> list[Item]:
        return [it for p in self.populations for it in (*p.claims, *p.transactions)]

    @property
    def drawn(self) -> list[Item]:
        return sorted((it for it in self.items if it.drawn), key=lambda it: it.seq)


def method(rule: SizeRule) -> dict:
    """What anyone needs, with the seed and the population, to draw the sample again."""
    return {
        "algorithm": ALGORITHM,
        "draw": (
            "per contract and kind: half, rounded up, drawn by weight without replacement (the largest "
            "u ** (1 / weight)), the rest uniformly at random (the smallest u) from the others; u is the "
            "first 8 bytes of sha256(algorithm, seed, part, kind, return, row)"
        ),
        "size": rule.to_dict(),
        "size words": rule.words(),
        "base weight": BASE_WEIGHT,
        "claim weights": dict(CLAIM_WEIGHTS),
        "transaction weights": dict(TRANSACTION_WEIGHTS),
        "risk factors": dict(RISK_WORDS),
    }


def draw(
    ledger: Ledger,
    quarter,
    contract: str | None = None,
    rule: SizeRule = SizeRule(),
    seed: str | None = None,
    refdata=None,
    record: bool = True,
) -> Sample:
    """Draw (and with ``record`` keep) a sample of ``quarter``'s claims and transactions."""
    q = store.ledger_quarter(quarter, refdata)
    seed = check_seed(seed) if seed is not None else new_seed()
    pops = population(ledger, q, contract, refdata)
    for p in pops:
        draw_part(p.claims, rule.of(len(p.claims)), seed)
        draw_part(p.transactions, rule.of(len(p.transactions)), seed)
    items = [it for p in pops for it in (*p.claims, *p.transactions)]
    ordered = sorted(items, key=lambda it: (it.drawn is None, it.contract, it.kind, it.return_id, it.row))
    for i, it in enumerate(ordered, 1):
        it.seq = i
    sample = Sample(None, str(q), contract, seed, method(rule), pops)
    if record:
        record_sample(ledger, sample)
    return sample


def next_sample_id(ledger: Ledger) -> int:
    """The number the next sample recorded will have (to name its evidence requests before recording)."""
    return ledger.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM samples").fetchone()[0]


def record_sample(ledger: Ledger, sample: Sample) -> None:
    """Record a drawn sample: its seed, method and whole population, in one transaction."""
    at, by = utc_now(), store.who()
    with ledger.transaction() as c:
        for p in sample.populations:
            if (
                p.new_transactions
                and not c.execute("SELECT 1 FROM transactions WHERE return_id = ? LIMIT 1", (p.return_id,)).fetchone()
            ):
                c.executemany("INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", p.new_transactions)
        cur = c.execute(
            "INSERT INTO samples (quarter, contract_id, seed, method, drawn_at, drawn_by) VALUES (?, ?, ?, ?, ?, ?)",
            (sample.quarter, sample.contract, sample.seed, json.dumps(sample.method, ensure_ascii=False), at, by),
        )
        sample.id, sample.drawn_at, sample.drawn_by = cur.lastrowid, at, by
        c.executemany(
            "INSERT INTO sample_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    sample.id,
                    it.seq,
                    it.kind,
                    it.contract,
                    it.return_id,
                    it.sheet,
                    it.row,
                    it.claim_ref,
                    it.client_ref,
                    it.output,
                    None if it.amount is None else str(it.amount),
                    json.dumps(list(it.risks)),
                    it.weight,
                    it.drawn,
                )
                for it in sample.items
            ],
        )


# --- recorded samples -------------------------------------------------------------------------------------


def samples(ledger: Ledger, quarter: str | None = None, contract: str | None = None) -> list[dict]:
    """The samples recorded (oldest first), each with how many items were drawn and how many have results."""
    sql = (
        "SELECT s.*, (SELECT count(*) FROM sample_items i WHERE i.sample_id = s.id AND i.drawn IS NOT NULL) AS "
        "drawn, (SELECT count(DISTINCT k.seq) FROM spot_checks k WHERE k.sample_id = s.id) AS checked "
        "FROM samples s WHERE 1 = 1"
    )
    args: list = []
    if quarter:
        sql += " AND s.quarter = ?"
        args.append(str(quarter))
    if contract:
        sql += " AND (s.contract_id = ? OR (s.contract_id IS NULL AND EXISTS (SELECT 1 FROM sample_items i "
        sql += "WHERE i.sample_id = s.id AND i.contract_id = ? AND i.drawn IS NOT NULL)))"
        args += [contract, contract]
    return store._dicts(ledger.conn.execute(sql + " ORDER BY s.id", args))


def load_sample(ledger: Ledger, sample_id) -> Sample:
    """A recorded sample with its whole population, as drawn."""
    sample_id = store.record_id(sample_id, "sample", "`swtool samples`")
    row = ledger.conn.execute("SELECT * FROM samples WHERE id = ?", (sample_id,)).fetchone()
    if row is None:
        raise LedgerError(f"no sample {sample_id} in the ledger; `swtool samples` lists them")
    s = dict(zip([d[0] for d in ledger.conn.execute("SELECT * FROM samples LIMIT 0").description], row, strict=True))
    register = store.current_register(ledger)
    pops: dict[str, Population] = {}
    for r in store._dicts(
        ledger.conn.execute("SELECT * FROM sample_items WHERE sample_id = ? ORDER BY seq", (sample_id,))
    ):
        cid = r["contract_id"]
        if cid not in pops:
            facts = register.contracts.get(cid) if register else None
            pops[cid] = Population(cid, facts.provider if facts else "", r["return_id"], None)
        it = Item(
            r["kind"],
            cid,
            r["return_id"],
            r["sheet"],
            r["row"],
            r["claim_ref"],
            r["client_ref"],
            r["output"],
            None if r["amount"] is None else Decimal(r["amount"]),
            tuple(json.loads(r["risks"])),
            r["weight"],
            r["drawn"],
            r["seq"],
            s["quarter"],
        )
        (pops[cid].claims if it.kind == CLAIM else pops[cid].transactions).append(it)
    return Sample(
        s["id"],
        s["quarter"],
        s["contract_id"],
        s["seed"],
        json.loads(s["method"]),
        sorted(pops.values(), key=lambda p: p.contract),
        s["drawn_at"],
        s["drawn_by"],
    )


def redraw(sample: Sample) -> list[tuple[int, str | None, str | None]]:
    """Draw a recorded sample again from its record alone (population, weights, seed, size rule): the
    items whose drawing differs from the record, as (item, recorded, drawn again); [] when it is the same."""
    if sample.method.get("algorithm") != ALGORITHM:
        raise LedgerError(
            f"sample {sample.id} was drawn by {sample.method.get('algorithm')}, which this swtool "
            f"does not know ({ALGORITHM})"
        )
    size = sample.method.get("size") or {}
    rule = SizeRule(size.get("size"), size.get("percent") or DEFAULT_PERCENT)
    recorded = {it.seq: it.drawn for it in sample.items}
    for p in sample.populations:
        for part in (p.claims, p.transactions):
            copies = [Item(**{**it.__dict__}) for it in part]
            draw_part(copies, rule.of(len(copies)), sample.seed)
            for it, again in zip(part, copies, strict=True):
                it.drawn = again.drawn
    out = [(it.seq, recorded[it.seq], it.drawn) for it in sample.items if recorded[it.seq] != it.drawn]
    for it in sample.items:
        it.drawn = recorded[it.seq]
    return out


# --- results ---------------------------------------------------------------------------------------------


@dataclass
class Result:
    id: int
    at: str
    who: str
    item: Item
    result: str
    reason: str
    sample_id: int | None
    seq: int | None
    already: bool = False  # the same result and reason were in force: nothing recorded

    def line(self) -> str:
        it = self.item
        what = (
            f"claim {it.claim_ref or it.cell} ({it.contract} {it.quarter}, return {it.return_id}, {it.cell}, "
            f"output {it.output or '-'})"
            if it.kind == CLAIM
            else f"transaction {it.cell} ({it.contract} {it.quarter}, return {it.return_id}, "
            f"{money.gbp(it.amount) if it.amount is not None else 'no amount'})"
        )
        where = f"sample {self.sample_id}, item {self.seq}" if self.sample_id else "ad-hoc check, in no sample"
        verb = "passed" if self.result == "pass" else "failed"
        if self.already:
            return f"{what}: already recorded as {verb} (spot check {self.id}); nothing changed"
        effect = ""
        if self.result == "fail":
            effect = (
                "; it no longer counts"
                if it.kind == CLAIM
                else f"; {money.gbp(it.amount or 0)} disallowed from the invoice of return {it.return_id}"
            )
        return f"Spot check {self.id}: {what} {verb} ({where}): {self.reason}{effect} ({self.who}, {self.at[:19]}Z)"


def claim_key(claim_ref: str | None, return_id: int, row: int) -> str:
    """A claim is known by its ref (unique within the contract), so a result follows it into a
    corrected version of the return; a claim without a ref by its row."""
    return claim_ref.strip().casefold() if claim_ref and claim_ref.strip() else f"row:{return_id}:{row}"


def _find_claim(ledger: Ledger, ref: str, contract: str | None, return_id: int | None, refdata) -> Item:
    """The claim ``ref`` names, in a counted return (of ``contract``, or the return ``return_id``)."""
    counted = store.counted_returns(ledger, refdata)
    ids = {r["id"]: r for (cid, _), r in counted.items() if contract is None or cid == contract}
    if return_id is not None:
        r = store.get_return(ledger, return_id)
        if return_id not in ids:
            why = (
                f"it is a return of {r['contract_id']}, not {contract}"
                if contract and r["contract_id"] != contract
                else f"it is not the version of {r['contract_id']} {r['quarter']} that counts"
            )
            raise LedgerError(f"return {return_id} cannot be spot checked: {why}")
        ids = {return_id: ids[return_id]}
    rows = (
        []
        if not ids
        else ledger.conn.execute(
            f"SELECT return_id, sheet, row, claim_ref, client_ref, output FROM claims WHERE return_id IN "
            f"({', '.join('?' * len(ids))}) AND lower(trim(claim_ref)) = lower(trim(?)) ORDER BY return_id, row",
            [*ids, ref],
        ).fetchall()
    )
    if not rows:
        where = (
            f"return {return_id}"
            if return_id is not None
            else f"any counted return of {contract}"
            if contract
            else "any counted return"
        )
        raise LedgerError(
            f"no claim {ref!r} in {where}; `swtool returns --id N` lists a return's findings, and "
            "the evidence requests name each claim"
        )
    if len(rows) > 1:
        found = ", ".join(
            f"return {r[0]} ({ids[r[0]]['contract_id']} {ids[r[0]]['quarter']}) {r[1]}!A{r[2]}" for r in rows
        )
        raise LedgerError(f"claim {ref!r} is in more than one counted return ({found}); say which with --return N")
    rid, sheet, row, claim_ref, client, output = rows[0]
    r = ids[rid]
    return Item(CLAIM, r["contract_id"], rid, sheet, int(row), claim_ref, client, output, quarter=r["quarter"])


def _find_transaction(ledger: Ledger, row: int, return_id: int | None, refdata) -> Item:
    if return_id is None:
        raise LedgerError("a transaction is named by its return and row: give --return N with Transactions!A<row>")
    r = store.get_return(ledger, return_id)
    found = ledger.conn.execute(
        "SELECT sheet, amount FROM transactions WHERE return_id = ? AND row = ?", (return_id, row)
    ).fetchone()
    if found is None:
        raise LedgerError(
            f"return {return_id} ({r['contract_id']} {r['quarter']}) has no transaction on row {row} of "
            "its Transactions sheet (stored at import, or when a sample drew from it)"
        )
    return Item(
        TRANSACTION,
        r["contract_id"],
        return_id,
        found[0],
        row,
        amount=None if found[1] is None else Decimal(found[1]),
        quarter=r["quarter"],
    )


def find_item(
    ledger: Ledger, ref: str, contract: str | None = None, return_id: int | None = None, refdata=None
) -> Item:
    """The claim (by claim ref) or transaction (``Transactions!A5`` with ``return_id``) a result is for."""
    ref = str(ref or "").strip()
    if not ref:
        raise LedgerError("name the claim (its claim ref) or the transaction (Transactions!A<row> with --return N)")
    if return_id is not None:
        return_id = store.record_id(return_id, "return", "`swtool returns`")
    m = _TRANSACTION_REF.match(ref)
    if m:
        return _find_transaction(ledger, int(m.group(1)), return_id, refdata)
    return _find_claim(ledger, ref, contract, return_id, refdata)


def _in_sample(c, item: Item, sample_id: int | None = None) -> tuple[int | None, int | None]:
    """The latest sample (or ``sample_id``) that drew the item: (sample, item number), else (None, None)."""
    sql = "SELECT sample_id, seq FROM sample_items WHERE kind = ? AND return_id = ? AND row = ? AND drawn IS NOT NULL"
    args: list = [item.kind, item.return_id, item.row]
    if sample_id is not None:
        sql += " AND sample_id = ?"
        args.append(sample_id)
    row = c.execute(sql + " ORDER BY sample_id DESC LIMIT 1", args).fetchone()
    return (row[0], row[1]) if row else (None, None)


def _in_force(c, item: Item) -> tuple | None:
    """The result in force on the item: (id, result, reason), or None."""
    if item.kind == CLAIM:
        rows = c.execute(
            "SELECT id, result, reason, claim_ref, return_id, row FROM spot_checks WHERE kind = 'claim' "
            "AND contract_id = ? AND quarter = ? ORDER BY id",
            (item.contract, item.quarter),
        ).fetchall()
        key = claim_key(item.claim_ref, item.return_id, item.row)
        mine = [r[:3] for r in rows if claim_key(r[3], r[4], r[5]) == key]
    else:
        mine = c.execute(
            "SELECT id, result, reason FROM spot_checks WHERE kind = 'transaction' AND return_id = ? "
            "AND row = ? ORDER BY id",
            (item.return_id, item.row),
        ).fetchall()
    return tuple(mine[-1]) if mine else None


def _reason(reason, result: str) -> str:
    text = " ".join(str(reason or "").split())
    if not text:
        raise LedgerError("a spot-check result needs a reason (--reason TEXT): what was seen, or what was missing")
    if result not in RESULTS:
        raise LedgerError(f"a spot check passes or fails, not {result!r}")
    return text


def _insert_result(
    c, item: Item, result: str, reason: str, source: str, sample: tuple[int | None, int | None], at: str, by: str
) -> Result:
    current = _in_force(c, item)
    if current is not None and current[1] == result and current[2] == reason:
        return Result(current[0], at, by, item, result, reason, *sample, already=True)
    cur = c.execute(
        "INSERT INTO spot_checks (at, who, kind, contract_id, quarter, return_id, sheet, row, claim_ref, "
        "sample_id, seq, result, reason, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            at,
            by,
            item.kind,
            item.contract,
            item.quarter,
            item.return_id,
            item.sheet,
            item.row,
            item.claim_ref,
            *sample,
            result,
            reason,
            source,
        ),
    )
    return Result(cur.lastrowid, at, by, item, result, reason, *sample)


def record(
    ledger: Ledger,
    ref: str,
    result: str,
    reason: str,
    contract: str | None = None,
    return_id: int | None = None,
    refdata=None,
) -> Result:
    """``swtool spotcheck record``: one result on a claim or a transaction, linked to the latest sample
    that drew it (an ad-hoc check when none did)."""
    reason = _reason(reason, result)
    item = find_item(ledger, ref, contract, return_id, refdata)
    with ledger.transaction() as c:
        return _insert_result(c, item, result, reason, "command", _in_sample(c, item), utc_now(), store.who())


# --- what a failed spot check changes ------------------------------------------------------------------


def failed_claims(ledger: Ledger, contract: str) -> dict[tuple[str, str], str]:
    """(quarter, claim key) -> why the claim does not count, for the contract's claims whose result in
    force is a fail (``store.claim_standings``)."""
    latest: dict[tuple[str, str], tuple] = {}
    for sid, at, q, ref, rid, row, result, reason in ledger.conn.execute(
        "SELECT id, at, quarter, claim_ref, return_id, row, result, reason FROM spot_checks WHERE kind = 'claim' "
        "AND contract_id = ? ORDER BY id",
        (contract,),
    ):
        latest[(q, claim_key(ref, rid, row))] = (sid, at, result, reason)
    return {
        k: f"failed spot check {sid} ({at[:10]}): {reason}"
        for k, (sid, at, result, reason) in latest.items()
        if result == "fail"
    }


@dataclass
class Disallowed:
    amount: Decimal
    lines: list[str]
    checked: int = 0  # the return's transactions with a spot-check result in force

    def words(self) -> str:
        if not self.lines:
            if not self.checked:
                return "no transactions disallowed (no spot-check results recorded)"
            return (
                f"no transactions disallowed (the {self.checked} transaction{'s' * (self.checked != 1)} spot "
                "checked passed)"
            )
        return "; ".join(self.lines) + f" = {money.gbp(self.amount)}"


def _identity(item, day, amount) -> tuple:
    return ((item or "").strip().casefold(), day, None if amount is None else Decimal(amount))


def disallowed(ledger: Ledger, return_id: int) -> Disallowed:
    """The transactions of a return disallowed by a failed spot check in force (App 2 §3.3: "the claim will
    be reduced"): their amounts and the words that say which. A result recorded on another version of
    the same contract's quarter follows a transaction of the same budget item, date and amount."""
    r = ledger.conn.execute("SELECT contract_id, quarter FROM returns WHERE id = ?", (return_id,)).fetchone()
    if r is None:
        return Disallowed(Decimal("0.00"), [])
    rows = ledger.conn.execute(
        "SELECT t.return_id, t.row, t.sheet, t.budget_item, t.date_defrayed, t.amount, k.id, k.result, k.reason "
        "FROM spot_checks k JOIN transactions t ON t.return_id = k.return_id AND t.row = k.row "
        "WHERE k.kind = 'transaction' AND k.contract_id = ? AND k.quarter = ? ORDER BY k.id",
        r,
    ).fetchall()
    own: dict[int, tuple] = {}
    other: dict[tuple, tuple] = {}
    for rid, row, _sheet, item, day, amount, sid, result, reason in rows:
        if rid == return_id:
            own[row] = (sid, result, reason)
        else:
            other[_identity(item, day, amount)] = (sid, result, reason)
    lines, amounts, checked = [], [], 0
    for row, sheet, item, day, amount in ledger.conn.execute(
        "SELECT row, sheet, budget_item, date_defrayed, amount FROM transactions WHERE return_id = ? ORDER BY row",
        (return_id,),
    ):
        verdict = own.get(row) or other.get(_identity(item, day, amount))
        checked += verdict is not None
        if verdict is None or verdict[1] != "fail" or amount is None:
            continue
        amounts.append(Decimal(amount))
        when = uk_date(date.fromisoformat(day)) if day else "no date"
        lines.append(
            f"{sheet}!A{row} ({item or 'no budget item'}, {when}, {money.gbp(amount)}): failed spot check "
            f"{verdict[0]}, {verdict[2]}"
        )
    return Disallowed(money.total(amounts), lines, checked)


# --- reading a recorded sample's items with their results -------------------------------------------------


def results(ledger: Ledger, sample: Sample) -> dict[int, dict]:
    """item number -> the result in force on that drawn item (from this sample or any other check)."""
    out = {}
    for it in sample.drawn:
        current = _in_force(ledger.conn, it)
        if current is not None:
            row = store._dicts(ledger.conn.execute("SELECT * FROM spot_checks WHERE id = ?", (current[0],)))[0]
            out[it.seq] = row
    return out


def checked_item(ledger: Ledger, r: dict) -> Item:
    """The item a recorded result (a ``spot_checks`` row) is on, with its output or amount."""
    if r["kind"] == CLAIM:
        client_ref, output = ledger.conn.execute(
            "SELECT client_ref, output FROM claims WHERE return_id = ? AND row = ?", (r["return_id"], r["row"])
        ).fetchone() or (None, None)
        return Item(
            CLAIM,
            r["contract_id"],
            r["return_id"],
            r["sheet"],
            r["row"],
            r["claim_ref"],
            client_ref,
            output,
            quarter=r["quarter"],
        )
    found = ledger.conn.execute(
        "SELECT amount FROM transactions WHERE return_id = ? AND row = ?", (r["return_id"], r["row"])
    ).fetchone()
    return Item(
        TRANSACTION,
        r["contract_id"],
        r["return_id"],
        r["sheet"],
        r["row"],
        amount=None if not found or found[0] is None else Decimal(found[0]),
        quarter=r["quarter"],
    )


def ad_hoc(ledger: Ledger, contract: str | None = None, quarter: str | None = None) -> list[dict]:
    """The results recorded outside any sample."""
    sql, args = "SELECT * FROM spot_checks WHERE sample_id IS NULL", []
    if contract:
        sql += " AND contract_id = ?"
        args.append(contract)
    if quarter:
        sql += " AND quarter = ?"
        args.append(str(quarter))
    return store._dicts(ledger.conn.execute(sql + " ORDER BY id", args))


def item_details(ledger: Ledger, item: Item) -> dict:
    """What the evidence request names besides the ref: a claim's date achieved and placement or
    progression type; a transaction's budget item, date and category."""
    if item.kind == CLAIM:
        row = (
            ledger.conn.execute(
                "SELECT date_achieved, progression_type, placement_type FROM claims WHERE return_id = ? AND row = ?",
                (item.return_id, item.row),
            ).fetchone()
            or (None,) * 3
        )
        return {"date": row[0], "progression_type": row[1], "placement_type": row[2]}
    row = (
        ledger.conn.execute(
            "SELECT budget_item, date_defrayed, internal_recharge FROM transactions WHERE return_id = ? AND row = ?",
            (item.return_id, item.row),
        ).fetchone()
        or (None,) * 3
    )
    category = ledger.conn.execute(
        "SELECT category FROM expenditure WHERE return_id = ? AND lower(item) = lower(?) LIMIT 1",
        (item.return_id, row[0] or ""),
    ).fetchone()
    return {
        "budget_item": row[0],
        "date": row[1],
        "internal_recharge": row[2],
        "category": category[0] if category else None,
    }


def evidence_expected(item: Item, details: dict, refdata) -> str:
    """TEMPLATES.md §4 for a claim (by output and its variant); App 2 §3.3 for a transaction."""
    if item.kind == TRANSACTION:
        if details.get("internal_recharge"):
            return (
                "the recharge calculation and the original invoice or payslip, with proof it was paid "
                "(App 2 §3.3, §3.5)"
            )
        if details.get("category") == "Staff and management":
            return "a payslip or payroll print-out with the apportionment, or a signed timesheet (App 2 §3.3)"
        return "the invoice or receipt, and the bank statement showing it paid (App 2 §3.3)"
    output = item.output or ""
    variant = ""
    if output == "2a":
        variant = "self-employed" if "self-employed" in item.risks else "employed"
    elif output == "4":
        variant = details.get("progression_type") or ""
    elif output == "5":
        variant = details.get("placement_type") or ""
    codes = refdata.evidence.get((output, variant)) or [
        c for (o, _), cs in sorted(refdata.evidence.items()) if o == output for c in cs
    ]
    codes = list(dict.fromkeys(codes))
    if not codes:
        return "the evidence for the output (TEMPLATES.md §4)"
    return ("one of: " if len(codes) > 1 else "") + "; ".join(codes)


def parse_result(value) -> str | None:
    """A Result cell: pass, fail, or None when blank; ValueError for anything else."""
    if value is None or not str(value).strip():
        return None
    word = str(value).strip().casefold()
    if word in ("pass", "passed"):
        return "pass"
    if word in ("fail", "failed"):
        return "fail"
    raise ValueError(str(value))


def source_words(path: Path, sha256: str) -> str:
    return f"workbook {Path(path).name} (sha256 {sha256})"
