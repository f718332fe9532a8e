"""`check --receipt` (what was checked, with what, when) and the evidence count of `check --evidence`."""

import hashlib
import json
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from builders import claim, write_return
from swtool import __version__, catalogue
from swtool.checks.evidence_files import count_references, split_references
from swtool.cli import cli
from swtool.model.refdata import FILES, PACKAGE_DATA, coverage, load_file, override_dir
from swtool.write.receipt import receipt_path

TODAY = "2026-10-01"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_receipt_fields(tmp_path):
    path = write_return(tmp_path, claims=[claim(Output="zz")])
    before = datetime.now(UTC).replace(microsecond=0)
    res = run(
        "check", path, "--today", TODAY, "--receipt", "--format", "json", "--setting", "wage_uplift=multiplicative"
    )
    assert res.exit_code == 1
    target = tmp_path / "return.xlsx.receipt.json"
    assert receipt_path(path) == target and f"Receipt: {target}" in res.stderr
    r = json.loads(target.read_text(encoding="utf-8"))
    report = json.loads(res.stdout)["files"][0]
    assert r["file"] == "return.xlsx"
    assert r["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() == report["sha256"]
    assert r["size"] == path.stat().st_size
    assert r["tool_version"] == __version__
    assert r["ruleset_version"] == catalogue.ruleset_version()
    assert set(r["reference_data"]) == set(FILES)
    for name, v in r["reference_data"].items():
        assert v["from"] == "shipped" and v["covers"] == coverage(load_file(name))
    checked = datetime.fromisoformat(r["checked_at"].replace("Z", "+00:00"))
    assert checked.tzinfo is not None and before <= checked <= datetime.now(UTC)
    assert r["today"] == TODAY
    assert r["settings"]["wage_uplift"] == "multiplicative"
    assert r["summary"]["by_severity"] == report["summary"]
    assert r["summary"]["by_code"] == dict(Counter(f["code"] for f in report["findings"]))
    assert r["valid"] is False
    assert "value" not in json.dumps(r["summary"])  # counts only: no cell values, no messages


def test_receipt_names_an_override_and_an_unreadable_file(tmp_path):
    folder = override_dir()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(PACKAGE_DATA / "cpi_uk_d7g7.csv", folder / "cpi_uk_d7g7.csv")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"")
    res = run("check", bad, "--today", TODAY, "--receipt")
    assert res.exit_code == 1
    r = json.loads(receipt_path(bad).read_text(encoding="utf-8"))
    assert r["reference_data"]["cpi_uk_d7g7.csv"]["from"] == "override"
    assert r["reference_data"]["lots.csv"]["from"] == "shipped"
    assert r["summary"]["by_code"] == {"S001": 1} and r["size"] == 0
    assert r["sha256"] == hashlib.sha256(b"").hexdigest()


def test_no_receipt_unless_asked(tmp_path):
    path = write_return(tmp_path)
    run("check", path, "--today", TODAY)
    assert not receipt_path(path).exists()


# --- the evidence count ---------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\ntrailer\n<< >>\n%%EOF\n"


@pytest.fixture
def evidence(tmp_path) -> Path:
    folder = tmp_path / "evidence"
    (folder / "sub").mkdir(parents=True)
    (folder / "present.pdf").write_bytes(PDF)
    (folder / "CAPITALS.PDF").write_bytes(PDF)
    (folder / "no-extension-given.pdf").write_bytes(PDF)
    (folder / "sub" / "nested.pdf").write_bytes(PDF)
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "program.exe").write_bytes(b"MZ\x90\x00")
    (folder / "notes.txt").write_text("a note")
    (folder / "fake.pdf").write_text("not a pdf")
    return folder


@pytest.mark.parametrize(
    "refs,found,missing",
    [
        (["present.pdf"], 1, 0),
        (["capitals.pdf", "PRESENT.PDF"], 2, 0),  # case does not matter
        (["no-extension-given"], 1, 0),  # a reference without extension finds the .pdf
        (["sub/nested.pdf", "nested.pdf"], 2, 0),  # a path below the folder, or the bare name
        (["absent.pdf"], 0, 1),
        (["empty.pdf"], 0, 1),  # there, but 0 bytes: not usable
        (["program.exe"], 0, 1),  # not an accepted type
        (["notes.txt", "notes"], 0, 2),  # a .txt is not accepted, named or by its stem
        (["fake.pdf"], 0, 1),  # not a real PDF
        (["present.pdf", "Present.pdf", "absent.pdf"], 1, 1),  # each distinct reference counted once
        ([], 0, 0),
    ],
)
def test_evidence_counted(evidence, refs, found, missing):
    c = count_references(refs, evidence)
    assert (c.found, c.missing, c.references) == (found, missing, found + missing)


def test_references_split_like_c215():
    assert split_references("a.pdf; b.pdf\nc.pdf;;") == ["a.pdf", "b.pdf", "c.pdf"]


def test_evidence_line_in_the_text_report(tmp_path, evidence):
    claims = [
        claim(**{"Claim ref": "CL-0001", "Evidence reference": "present.pdf"}),
        claim(
            **{
                "Claim ref": "CL-0002",
                "Client ref": "SW100001",
                "Output": "6",
                "Evidence held": "Certificate",
                "Evidence reference": "empty.pdf; program.exe",
            }
        ),
        claim(
            **{
                "Claim ref": "CL-0003",
                "Output": "6",
                "Evidence held": "Certificate",
                "Evidence reference": "absent.pdf",
            }
        ),
    ]
    path = write_return(tmp_path, claims=claims)
    res = run("check", path, "--today", TODAY, "--evidence", evidence)
    assert "  Evidence: 4 references, 1 found, 3 missing" in res.stdout.splitlines()
    assert "C215" in res.stdout
    res = run("check", path, "--today", TODAY)
    assert "Evidence:" not in res.stdout  # only with --evidence


def test_an_atomic_write_to_a_pipe_or_device_writes_into_it(tmp_path):
    """`-o /dev/null` must not replace /dev/null with a regular file (a rename over it would)."""
    import os
    import stat
    import threading

    from swtool.write.atomic import write_text

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    write_text(fifo, "report")
    reader.join(10)
    assert got == ["report"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
