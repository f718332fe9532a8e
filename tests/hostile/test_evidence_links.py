"""Evidence folders are read inside themselves only: a link named like an evidence reference that
points out of the folder (at /etc/passwd, at another provider's PDF) or at a pipe or a device is "not
found", and its target is never opened."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import swtool.checks.claims as claims
from swtool.checks.evidence_files import count_references, evidence_index

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def folder(tmp_path) -> Path:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.pdf").write_bytes(PDF)  # a real PDF: it would count as found if followed
    evidence = tmp_path / "evidence"
    (evidence / "sub").mkdir(parents=True)
    (evidence / "CL-0001.pdf").write_bytes(PDF)
    (evidence / "CL-0002.pdf").symlink_to(outside / "secret.pdf")
    (evidence / "CL-0003.pdf").symlink_to("/etc/passwd")
    (evidence / "sub" / "CL-0004.pdf").symlink_to("../../elsewhere/secret.pdf")
    (evidence / "CL-0005.pdf").symlink_to("CL-0001.pdf")  # a link inside the folder is followed
    os.mkfifo(outside / "pipe.pdf")
    (evidence / "CL-0006.pdf").symlink_to(outside / "pipe.pdf")
    os.mkfifo(evidence / "CL-0007.pdf")  # a pipe in the folder: not a file to open
    (evidence / "linked-folder").symlink_to(outside, target_is_directory=True)  # not walked into
    return evidence


def test_links_out_of_the_folder_are_not_found_and_never_opened(folder, monkeypatch):
    opened = []
    real = claims._content_problem

    def spy(path, *args):
        opened.append(path)
        return real(path, *args)

    monkeypatch.setattr(claims, "_content_problem", spy)
    refs = [
        "CL-0001.pdf",
        "CL-0002.pdf",
        "CL-0003.pdf",
        "sub/CL-0004.pdf",
        "CL-0005",
        "CL-0006.pdf",
        "CL-0007.pdf",
        "secret.pdf",
        "linked-folder/secret.pdf",
    ]
    count = count_references(refs, folder)
    assert (count.references, count.found, count.missing) == (9, 2, 7)
    assert all(Path(p).resolve().is_relative_to(folder.resolve()) for p in opened), opened
    assert not any("elsewhere" in p or "passwd" in p for p in opened)


def test_the_index_says_not_found_for_a_link_out(folder):
    index = evidence_index(folder)
    assert index.problem("CL-0003.pdf") == "no file 'CL-0003.pdf'"
    assert index.problem("CL-0002.pdf") == "no file 'CL-0002.pdf'"
    assert index.problem("CL-0001.pdf") is None and index.problem("CL-0005.pdf") is None
