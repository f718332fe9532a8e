"""The layering is enforced: the import-linter contracts in pyproject.toml hold for the package.

A module may import only from its own layer or the ones below it (cli, tui, ledger, engine, write,
report, checks, read, calc, model, catalogue, findings and errors), and the core never imports the
terminal UI, the command line, textual or click. Imports inside functions count as well.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the package under ``root`` with the contracts of its pyproject.toml."""
    env = {**os.environ, "PYTHONPATH": str(root)}  # the package under root, not the installed one
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run(
        [sys.executable, "-c", code, "--no-cache", "--no-logo", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _broken_part(output: str) -> str:
    """The part of import-linter's output that names the offending imports."""
    _, sep, tail = output.partition("Broken contracts")
    return (sep + tail) if sep else output


def test_the_package_keeps_its_layers():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, "an import breaks the layers:\n" + _broken_part(result.stdout + result.stderr)
    assert "2 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_contracts(tmp_path):
    """The contracts bite: on a copy of the package, an upward import and a UI import in the core fail,
    and the failure names the importing module, the imported one and the line."""
    shutil.copytree(ROOT / "swtool", tmp_path / "swtool", ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    money = tmp_path / "swtool" / "calc" / "money.py"
    text = money.read_text(encoding="utf-8").rstrip("\n") + "\n"
    line = text.count("\n") + 1
    money.write_text(text + "from swtool.ledger import store  # an upward import\n", encoding="utf-8")
    with (tmp_path / "swtool" / "report" / "text.py").open("a", encoding="utf-8") as fh:
        fh.write("import textual  # the UI library in the core\n")

    result = _lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    broken = _broken_part(result.stdout)
    assert "swtool.calc is not allowed to import swtool.ledger" in broken
    assert f"swtool.calc.money -> swtool.ledger.store (l.{line})" in broken
    assert "swtool.report is not allowed to import textual" in broken
    assert "0 kept, 2 broken" in result.stdout
