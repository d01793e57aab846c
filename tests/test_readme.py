"""The README's Quick start is the contract of set-up: two commands, the second one is CI's."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", section, flags=re.S)
    commands = []
    for block in blocks:
        commands += [
            ln.strip() for ln in block.splitlines() if ln.strip() and not ln.startswith("#")
        ]
    return commands


def test_quick_start_has_exactly_two_commands() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    assert "descentlab gallery" in commands[0]
    assert "pytest" in commands[1]


def test_quick_start_works_with_any_supported_python3() -> None:
    for command in quick_start_commands():
        assert command.startswith("python3 -m venv .venv && "), command  # not python3.11


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = quick_start_commands()[1]
    assert test_command in ci.splitlines()


def test_ci_fails_on_no_tests() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert '"$rc" -eq 5' in ci


def test_python_example_runs(tmp_path) -> None:
    """The README's Python example runs as printed and does what its comments say."""
    import subprocess
    import sys

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    code = re.search(r"## The same from Python\n\n```python\n(.*?)```", text, flags=re.S)[1]
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    first = out.stdout.splitlines()[0]
    assert first.startswith("[ 1. -2.  1.  1.]") and first.count("converged") == 4
    assert "converged" in out.stdout.splitlines()[-1]
    assert (tmp_path / "contour.gif").stat().st_size > 10_000
