import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests import their builders as `builders`

# The review's tab underline slides and its loading indicator pulses; a test (and each key a Pilot presses)
# would wait for every slide to end. Textual reads this before the first app is made: with no animation the
# screens reach the same final state at once, which is all a test looks at.
os.environ["TEXTUAL_ANIMATIONS"] = "none"

# A check reads its workbook in a child process forked from the test's process: with the reader loaded here,
# once, no child loads it again (what is read, and how, is the same). `swtool check` itself leaves it to the
# child, so its start-up stays light; the tests of that run it in a process of its own.
import python_calamine  # noqa: F401

import swtool.read.calamine  # noqa: F401

# What swtool says for a bug (swtool/cli/__init__.py, SwtoolGroup.invoke). No command a test runs may say it:
# whatever a user does ends in a plain sentence, so a test that expects only an exit code 2 must not pass
# while the command met a bug on the way.
BUG_WORDS = "internal error"


def said_bug(*texts) -> str | None:
    """The first line of ``texts`` (str or bytes) that says "internal error", else None."""
    for text in texts:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if isinstance(text, str) and BUG_WORDS in text:
            return next(line for line in text.splitlines() if BUG_WORDS in line)
    return None


def _fail_on_bug(what, *texts) -> None:
    line = said_bug(*texts)
    if line is not None:
        pytest.fail(f"{what} said {line!r}: a bug where a plain sentence belongs", pytrace=False)


@pytest.fixture(autouse=True, scope="session")
def no_internal_error():
    """Every CliRunner result and every captured output of a subprocess that runs swtool is looked at
    for "internal error" as the test runs (module fixtures that build ledgers included);
    ``pytest_runtest_makereport`` below looks at what a test printed."""
    from click.testing import CliRunner

    real_invoke, real_run, real_communicate = CliRunner.invoke, subprocess.run, subprocess.Popen.communicate

    def invoke(self, cli, args=None, *rest, **kwargs):
        result = real_invoke(self, cli, args, *rest, **kwargs)
        try:
            err = result.stderr
        except ValueError:  # an older click that mixes stderr into output unless told
            err = ""
        _fail_on_bug(f"swtool {args!r}", result.output, err)
        return result

    def run(*args, **kwargs):
        result = real_run(*args, **kwargs)
        if "swtool" in str(result.args):
            _fail_on_bug(f"{result.args!r}", result.stdout, result.stderr)
        return result

    def communicate(self, *args, **kwargs):
        out, err = real_communicate(self, *args, **kwargs)
        if "swtool" in str(self.args):
            _fail_on_bug(f"{self.args!r}", out, err)
        return out, err

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(CliRunner, "invoke", invoke)
        mp.setattr(subprocess, "run", run)
        mp.setattr(subprocess.Popen, "communicate", communicate)
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that passed but printed "internal error" (its captured stdout or stderr) fails."""
    report = yield
    if report.when == "call" and report.passed:
        line = said_bug(report.capstdout, report.capstderr)
        if line is not None:
            report.outcome = "failed"
            report.longrepr = f"the test's output says {line!r}: a bug where a plain sentence belongs"
    return report


@pytest.fixture(autouse=True)
def isolated_user_data(tmp_path_factory, monkeypatch):
    """No test reads or writes the real user data dir (reference-data overrides, the ledger)."""
    monkeypatch.setenv("SWTOOL_DATA_DIR", str(tmp_path_factory.mktemp("userdata")))


@pytest.fixture(autouse=True, scope="session")
def made_once_for_every_worker(tmp_path_factory):
    """Under pytest-xdist, what ``ledger_helpers.made_once`` makes (the sample ledger, the golden reports) is
    made by one worker for all, in the folder pytest's workers share (their temporary roots' parent)."""
    import ledger_helpers as lh

    if os.environ.get("PYTEST_XDIST_WORKER"):
        lh.SHARED = tmp_path_factory.getbasetemp().parent / "made-once"
    yield


@pytest.fixture(scope="session")
def golden_reports():
    """Every shipped sample checked as `make demo` checks it (``samples/make_samples.run_samples``: the
    calamine reader, the sample register and history), once for the run: {path: FileReport}. Read only."""
    import pickle

    import ledger_helpers as lh

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "samples"))
    import make_samples

    def check_samples(folder: Path) -> Path:
        path = folder / "reports.pickle"
        path.write_bytes(pickle.dumps(make_samples.run_samples()))
        return path

    return pickle.loads(lh.made_once("the golden reports", check_samples).read_bytes())


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The sample ledger (the sample register and every sample return imported), built once for the whole
    run; tests work on copies of it (``ledger_helpers.clone``)."""
    import ledger_helpers as lh

    return lh.sample_ledger()


@pytest.fixture
def ledger_path(built, tmp_path):
    """A copy of the sample ledger, opened once (so it is in WAL mode: later opens change no byte). Modules
    that want it otherwise define their own."""
    import ledger_helpers as lh
    from swtool.ledger import open_ledger

    path = lh.clone(built, tmp_path / "ledger" / "ledger.sqlite3")
    open_ledger(path).close()
    return path
