"""The habits a typed library keeps, checked in every test run: mypy on src/ (configured in
pyproject.toml: strict on the core, a recorded debt list to shrink), ruff's lint and ruff format.

Each tool runs as its own process from the repository root, exactly as a person would run it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True, timeout=900
    )


def test_src_type_checks() -> None:
    done = _run("mypy")  # files, strictness and the debt list come from pyproject.toml
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout


@pytest.mark.parametrize(
    "argv", [("ruff", "check", "."), ("ruff", "format", "--check", ".")], ids=["lint", "format"]
)
def test_tree_is_linted_and_formatted(argv: tuple[str, ...]) -> None:
    done = _run(*argv)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_debt_list_only_holds_modules_that_exist() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    for override in config["overrides"]:
        for module in override["module"]:
            if not module.startswith("descentlab"):
                continue
            path = ROOT / "src" / Path(*module.split("."))
            assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), module
