"""The architecture of docs/architecture.md, checked: the layering contracts, module sizes and the
top-level layout of `src/motorlab/`."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import motorlab

PACKAGE = Path(motorlab.__file__).parent
ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 400

# Modules over MAX_LINES that another branch of issue 8 is splitting right now. Remove each entry
# when its split lands; the test below fails once an entry is no longer over the limit, so the list
# cannot go stale.


def _lint_imports() -> list[str]:
    """The command that runs import-linter with the contracts in pyproject.toml."""
    script = Path(sys.executable).with_name("lint-imports")
    if script.exists():
        return [str(script), "--no-cache"]
    found = shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports not found: install the test extras (pip install -e '.[test]')")
    return [found, "--no-cache"]


def test_import_contracts_are_kept():
    result = subprocess.run(_lint_imports(), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    # Every contract named in pyproject.toml ran: sim, analysis, train and the stages rule.
    assert result.stdout.count(" KEPT") >= 4, result.stdout


def _line_counts() -> dict[str, int]:
    return {
        path.relative_to(PACKAGE).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def test_no_module_is_over_the_line_limit():
    counts = _line_counts()
    offenders = {name: n for name, n in counts.items() if n > MAX_LINES}
    assert not offenders, f"modules over {MAX_LINES} lines (split them by concept): {offenders}"


def test_the_top_level_holds_only_the_api_the_cli_the_version_and_the_parts():
    modules = {p.name for p in PACKAGE.glob("*.py")}
    assert modules == {"__init__.py", "cli.py", "_version.py"}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages == {"sim", "train", "analysis", "figures", "store", "config", "stages"}


def test_no_controller_type_dispatch_is_left():
    # The fixed-point code asks the controller (an AbstractRecurrentMap) for its map and
    # Jacobians; it never checks for a concrete cell class.
    offenders = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
                 if "isinstance" in (text := p.read_text(encoding="utf-8")) and "GRUCell)" in text]
    assert not offenders, offenders
