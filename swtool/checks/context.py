"""What a rule may know besides the return itself: reference data, the contract, earlier returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from swtool.model.refdata import RefData
from swtool.model.settings import Settings
from swtool.read.register import ContractFacts, Register


@dataclass
class CheckContext:
    """Everything given to a ``swtool check`` run (or a PMO import)."""

    refdata: RefData
    settings: Settings
    today: date
    register: Register | None = None
    history: list = field(default_factory=list)  # earlier Submissions, any contract
    history_given: bool = False
    evidence_dir: Path | None = None


@dataclass
class RuleContext:
    """What one return's rules see: its contract's facts and that contract's earlier returns."""

    refdata: RefData
    settings: Settings
    today: date
    contract: ContractFacts | None
    history: list  # earlier Submissions of the same contract, oldest first
    history_given: bool
    evidence_dir: Path | None = None
    register: Register | None = None  # to tell "not in the register" from "no register given"
    # what several rules derive from the same return, worked out once (``common.shared``); not copied by
    # ``dataclasses.replace``, so a changed context starts empty
    memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)
