"""Visits, review meetings and their actions; a remedial action plan's actions (issue 13, item 5).

Driven through the commands a PMO types: what they print, their exit codes and their one-sentence
refusals. The ledger holds the sample register only: visits and actions need no return.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

import ledger_helpers as lh
from swtool.cli import cli
from swtool.ledger import open_ledger, store, visits
from swtool.model.settings import Settings

TODAY = "2026-11-23"


def run(*args, code: int = 0):
    res = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert res.exit_code == code, (res.exit_code, res.output)
    return res


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "ledger.sqlite3"
    with open_ledger(path) as ledger:
        store.import_register(ledger, lh.SAMPLES / "register.xlsx", lh.refdata(tmp_path), Settings.defaults())
    return path


def visit(db, *extra, code: int = 0):
    return run(
        "visit",
        "add",
        "SW-L4-01",
        "--date",
        "2026-10-20",
        "--notes",
        "Looked at the progression files.",
        *extra,
        "--today",
        TODAY,
        "--db",
        db,
        code=code,
    )


def two_actions(db):
    return visit(
        db,
        "--action",
        "Send the progression pipeline for Q3",
        "--owner",
        "Provider manager",
        "--due",
        "2026-11-06",
        "--action",
        "Share the employer list",
        "--owner",
        "PMO officer",
        "--due",
        "2026-12-04",
    )


def table_rows(text: str) -> list[list[str]]:
    """The rows of a printed table, cells split on two or more spaces (headers and rule dropped)."""
    import re

    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("----"))
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    return rows


# --- visits and their actions, end to end ------------------------------------------------------------


def test_visit_add_records_the_visit_and_its_actions(db):
    res = two_actions(db)
    assert res.output == "Recorded visit 1 with SW-L4-01 on 2026-10-20: actions 1, 2\n"
    res = run(
        "visit",
        "add",
        "SW-L5-01",
        "--date",
        "2026-11-02",
        "--kind",
        "meeting",
        "--notes",
        "Quarterly review.",
        "--today",
        TODAY,
        "--db",
        db,
    )
    assert res.output == "Recorded meeting 2 with SW-L5-01 on 2026-11-02, no actions\n"
    rows = table_rows(run("visit", "list", "--db", db).output)
    assert [r[:5] for r in rows] == [
        ["2", "SW-L5-01", "2026-11-02", "meeting", "0 of 0"],
        ["1", "SW-L4-01", "2026-10-20", "visit", "2 of 2"],
    ]


def test_actions_list_overdue_first_with_owner_due_and_done_mark(db):
    two_actions(db)
    run(
        "visit",
        "add",
        "SW-L5-01",
        "--date",
        "2026-11-02",
        "--kind",
        "meeting",
        "--notes",
        "Review.",
        "--action",
        "Agree a recovery plan for output 4",
        "--owner",
        "Provider manager",
        "--due",
        "2026-11-30",
        "--today",
        TODAY,
        "--db",
        db,
    )
    res = run("actions", "--today", TODAY, "--db", db)
    assert table_rows(res.output) == [
        [
            "1",
            "SW-L4-01",
            "visit 1 (2026-10-20)",
            "Send the progression pipeline for Q3",
            "Provider manager",
            "2026-11-06",
            "OVERDUE",
        ],
        [
            "3",
            "SW-L5-01",
            "meeting 2 (2026-11-02)",
            "Agree a recovery plan for output 4",
            "Provider manager",
            "2026-11-30",
        ],
        ["2", "SW-L4-01", "visit 1 (2026-10-20)", "Share the employer list", "PMO officer", "2026-12-04"],
    ]
    assert res.output.endswith("\n3 open actions, 1 overdue (due before 2026-11-23); 0 done\n")

    res = run("actions", "done", "2", "--reason", "Employer list sent on 20/11", "--db", db)
    assert res.output == "Action 2 (SW-L4-01, PMO officer, due 2026-12-04) done ✓: Share the employer list\n"
    rows = table_rows(run("actions", "--today", TODAY, "--db", db).output)
    assert rows[-1] == [
        "2",
        "SW-L4-01",
        "visit 1 (2026-10-20)",
        "Share the employer list",
        "PMO officer",
        "2026-12-04",
        "✓",
    ]
    res = run("actions", "--open", "--contract", "SW-L4-01", "--today", TODAY, "--db", db)
    assert [r[0] for r in table_rows(res.output)] == ["1"]
    assert res.output.endswith("\n1 open action, 1 overdue (due before 2026-11-23)\n")
    # a later day: the one due on 30/11 is overdue too, and comes first with the other
    rows = table_rows(run("actions", "--open", "--today", "2026-12-01", "--db", db).output)
    assert [(r[0], r[-1]) for r in rows] == [("1", "OVERDUE"), ("3", "OVERDUE")]


def test_actions_json(db):
    two_actions(db)
    run("actions", "done", "1", "--reason", "Pipeline received", "--db", db)
    data = json.loads(run("actions", "--format", "json", "--today", TODAY, "--db", db).output)
    assert data["today"] == TODAY
    first, second = data["actions"]
    assert (second["id"], second["done"], second["overdue"], second["done_reason"]) == (
        1,
        True,
        False,
        "Pipeline received",
    )
    assert {k: first[k] for k in ("id", "contract", "source", "visit", "plan", "owner", "due", "done", "overdue")} == {
        "id": 2,
        "contract": "SW-L4-01",
        "source": "visit 1 (2026-10-20)",
        "visit": 1,
        "plan": None,
        "owner": "PMO officer",
        "due": "2026-12-04",
        "done": False,
        "overdue": False,
    }


def test_done_is_a_new_row_and_the_action_never_changes(db):
    two_actions(db)
    with open_ledger(db) as ledger:
        before = ledger.conn.execute("SELECT * FROM actions ORDER BY id").fetchall()
    run("actions", "done", "1", "--reason", "Pipeline received", "--db", db)
    run("actions", "reopen", "1", "--reason", "It covered Q2 only", "--db", db)
    with open_ledger(db) as ledger:
        assert ledger.conn.execute("SELECT * FROM actions ORDER BY id").fetchall() == before
        events = ledger.conn.execute("SELECT action_id, event, reason FROM action_events ORDER BY id").fetchall()
        assert events == [(1, "done", "Pipeline received"), (1, "reopen", "It covered Q2 only")]
        a = visits.actions(ledger, date(2026, 11, 23), contract="SW-L4-01")[0]
        assert (a["id"], a["done"], a["overdue"]) == (1, False, True)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            ledger.conn.execute("UPDATE actions SET owner = 'someone else' WHERE id = 1")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            ledger.conn.execute("DELETE FROM action_events")
    assert "ok:" in run("db", "verify", "--db", db).output
    assert run("db", "check", "--db", db).output.startswith("ok:")


# --- plain refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, words",
    [
        (["--date", "20/10/2026"], "Invalid value for --date: '20/10/2026' is not a date in YYYY-MM-DD form"),
        (
            ["--date", "2026-10-20", "--action", "a", "--owner", "b", "--due", "next week"],
            "Invalid value for --due: 'next week' is not a date in YYYY-MM-DD form",
        ),
        (
            ["--date", "2026-10-20", "--action", "a", "--owner", "b"],
            "each action needs --action TEXT --owner NAME --due DATE: got 1 --action, 1 --owner and 0 --due",
        ),
        (
            ["--date", "2026-10-20", "--kind", "call"],
            "Invalid value for '--kind': 'call' is not one of 'visit', 'meeting'",
        ),
    ],
)
def test_bad_options_are_usage_errors(db, args, words):
    res = run("visit", "add", "SW-L4-01", "--notes", "x", *args, "--db", db, code=2)
    assert words in res.output and "Traceback" not in res.output
    with open_ledger(db) as ledger:
        assert ledger.conn.execute("SELECT count(*) FROM visits").fetchone() == (0,)


@pytest.mark.parametrize(
    "args, words",
    [
        (
            ["visit", "add", "SW-L9-99", "--date", "2026-10-20", "--notes", "x"],
            "swtool: contract 'SW-L9-99' is not in the register in force (contracts: SW-L1A-01, SW-L3-01, SW-L4-01, "
            "SW-L5-01, SW-L7-01, SW-L8-01, SW-L9-01)\n",
        ),
        (
            ["visit", "add", "SW-L4-01", "--date", "2026-12-20", "--notes", "x", "--today", TODAY],
            "swtool: the visit on 2026-12-20 has not happened yet (today is 2026-11-23): record it once it has\n",
        ),
        (
            ["visit", "add", "SW-L4-01", "--date", "2026-10-20", "--notes", "  ", "--today", TODAY],
            "swtool: notes cannot be empty\n",
        ),
        (
            [
                "visit",
                "add",
                "SW-L4-01",
                "--date",
                "2026-10-20",
                "--notes",
                "x",
                "--action",
                "a",
                "--owner",
                "b",
                "--due",
                "2026-10-01",
                "--today",
                TODAY,
            ],
            "swtool: action 'a' is due 2026-10-01, before the 2026-10-20 it was agreed\n",
        ),
        (["actions", "--contract", "SW-L9-99"], "swtool: contract 'SW-L9-99' is not in the register in force"),
        (["actions", "done", "7", "--reason", "x"], "swtool: no action 7; `swtool actions` lists them\n"),
        (["actions", "done", "1", "--reason", " "], "swtool: the reason (--reason TEXT) cannot be empty\n"),
        (
            ["rap", "action", "add", "9", "--action", "a", "--owner", "b", "--due", "2027-01-01"],
            "swtool: no remedial action plan 9; `swtool rap list --all` lists them\n",
        ),
    ],
)
def test_refusals_are_one_sentence_and_exit_2(db, args, words):
    res = run(*args, "--db", db, code=2)
    assert res.stderr.startswith(words) and res.stdout == ""


def test_done_twice_is_refused(db):
    two_actions(db)
    run("actions", "done", "1", "--reason", "Pipeline received", "--db", db)
    res = run("actions", "done", "1", "--reason", "again", "--db", db, code=2)
    assert res.stderr.startswith("swtool: action 1 was already marked done on ")
    res = run("actions", "reopen", "2", "--reason", "x", "--db", db, code=2)
    assert res.stderr == "swtool: action 2 is open: there is nothing to reopen\n"


def test_without_a_register_visits_are_refused(tmp_path):
    res = run(
        "visit", "add", "SW-L4-01", "--date", "2026-10-20", "--notes", "x", "--db", tmp_path / "l.sqlite3", code=2
    )
    assert res.stderr == (
        "swtool: the ledger has no contract register yet: run `swtool register import REGISTER.xlsx` first\n"
    )


# --- a remedial action plan's actions ----------------------------------------------------------------


def plan(db) -> int:
    with open_ledger(db) as ledger:
        return store.create_rap(ledger, "SW-L4-01", lh.Q2, date(2027, 1, 13), "output 4 at 0%")


def test_a_plans_review_shows_each_actions_state(db):
    rap = plan(db)
    res = run(
        "rap",
        "action",
        "add",
        rap,
        "--action",
        "Recruit a progression adviser",
        "--owner",
        "Provider manager",
        "--due",
        "2026-12-11",
        "--action",
        "Contact every client in work",
        "--owner",
        "Employment advisers",
        "--due",
        "2027-01-08",
        "--today",
        TODAY,
        "--db",
        db,
    )
    assert res.output == f"Remedial action plan {rap} (SW-L4-01 2026/27-Q2): actions 1, 2 recorded\n"
    run("actions", "done", "1", "--reason", "Adviser started on 1 December", "--db", db)
    out = run("rap", "list", "--today", "2027-01-10", "--db", db).output
    assert out.endswith(
        f"\nPlan {rap} (SW-L4-01 2026/27-Q2) actions: 1 of 2 done, 1 overdue\n"
        "  OVERDUE    2  Contact every client in work (Employment advisers, due 2027-01-08)\n"
        "  ✓          1  Recruit a progression adviser (Provider manager, due 2026-12-11)\n"
    )
    rows = table_rows(run("actions", "--rap", rap, "--today", "2027-01-10", "--db", db).output)
    assert [(r[0], r[2], r[-1]) for r in rows] == [
        ("2", "plan 1 (2026/27-Q2)", "OVERDUE"),
        ("1", "plan 1 (2026/27-Q2)", "✓"),
    ]


def test_a_closed_plan_takes_no_more_actions(db):
    rap = plan(db)
    run("rap", "close", rap, "--reason", "Recovered in Q3", "--db", db)
    res = run("rap", "action", "add", rap, "--action", "a", "--owner", "b", "--due", "2027-01-01", "--db", db, code=2)
    assert (
        res.stderr == f"swtool: remedial action plan {rap} (SW-L4-01 2026/27-Q2) is closed: its actions can no "
        "longer be added to\n"
    )
    res = run("rap", "action", "add", rap, "--db", db, code=2)
    assert "give at least one --action TEXT --owner NAME --due DATE" in res.output


# --- the review: a contract's visits and open actions ---------------------------------------------------


def test_the_contract_screen_shows_visits_and_open_actions_on_m(db):
    from tui_helpers import cells, drive, open_contract, static_text, type_text, wait_until

    two_actions(db)
    run("actions", "done", "2", "--reason", "Employer list sent", "--db", db)
    rap = plan(db)
    run(
        "rap",
        "action",
        "add",
        rap,
        "--action",
        "Recruit a progression adviser",
        "--owner",
        "Provider manager",
        "--due",
        "2026-12-11",
        "--today",
        TODAY,
        "--db",
        db,
    )
    seen = {}

    async def scenario(pilot):
        await wait_until(pilot, lambda: getattr(pilot.app.screen, "loaded", False))
        await open_contract(pilot, "SW-L4-01")
        await pilot.press("m")
        screen = pilot.app.screen
        await wait_until(pilot, lambda: getattr(screen, "loaded", False))
        seen["screen"] = type(screen).__name__
        seen["actions"] = cells(screen.query_one("#actions"))
        seen["visits"] = cells(screen.query_one("#visits"))
        seen["heading"] = static_text(screen, "#heading")
        seen["detail"] = static_text(screen, "#action-detail")
        await pilot.press("d")  # the highlighted action: the overdue one, first
        await pilot.pause()
        await type_text(pilot, "Pipeline received")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(cells(screen.query_one("#actions"))) == 1)
        seen["after"] = cells(screen.query_one("#actions"))
        await pilot.press("t")
        await wait_until(pilot, lambda: len(cells(screen.query_one("#actions"))) == 3)
        seen["all"] = cells(screen.query_one("#actions"))

    drive(db, db.parent, scenario)
    assert seen["screen"] == "VisitsScreen"
    assert seen["heading"].startswith(
        "Visits and actions of SW-L4-01 on 23/11/2026: 2 open actions, 1 overdue; visits and meetings recorded: 1."
    )
    assert seen["actions"] == [
        [
            "1",
            "06/11/2026",
            "OVERDUE",
            "Provider manager",
            "Send the progression pipeline for Q3",
            "visit 1 (2026-10-20)",
        ],
        ["3", "11/12/2026", "open", "Provider manager", "Recruit a progression adviser", "plan 1 (2026/27-Q2)"],
    ]
    assert seen["visits"] == [
        ["1", "20/10/2026", "visit", "1 of 2", seen["visits"][0][4], "Looked at the progression files."]
    ]
    assert seen["detail"].startswith("Action 1, agreed at visit 1 (2026-10-20): Send the progression pipeline for Q3")
    assert [r[0] for r in seen["after"]] == ["3"]
    assert [(r[0], r[2]) for r in seen["all"]] == [("3", "open"), ("1", "✓"), ("2", "✓")]
    with open_ledger(db) as ledger:
        events = ledger.conn.execute("SELECT action_id, event, reason FROM action_events ORDER BY id").fetchall()
    assert events == [(2, "done", "Employer list sent"), (1, "done", "Pipeline received")]
