"""Package-level promises: import hygiene, no code execution of user text, the entry points."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import descentlab

SRC = Path(descentlab.__file__).parent


def test_import_does_not_import_matplotlib() -> None:
    code = (
        "import sys, descentlab; "
        "import descentlab.expr, descentlab.derivatives, descentlab.optimizers, "
        "descentlab.descent, descentlab.objective, descentlab.problems, descentlab.cli; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'PIL', 'sympy'));"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize(("chosen", "expected"), [(None, "1"), ("3", "3")])
def test_the_program_asks_for_one_blas_thread_before_numpy_loads(chosen, expected) -> None:
    # OpenBLAS reads OPENBLAS_NUM_THREADS when NumPy loads it: descentlab.cli sets it (unless
    # the user chose) before its first import of NumPy, seen here by an import hook.
    code = (
        "import os, sys\n"
        "seen = []\n"
        "class Spy:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'numpy' and not seen:\n"
        "            seen.append(os.environ.get('OPENBLAS_NUM_THREADS'))\n"
        "sys.meta_path.insert(0, Spy())\n"
        "import descentlab.cli\n"
        "print(seen)"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if chosen is not None:
        env["OPENBLAS_NUM_THREADS"] = chosen
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == repr([expected])


def test_public_names_exist() -> None:
    for name in descentlab.__all__:
        assert hasattr(descentlab, name), name


def test_import_loads_nothing_until_a_name_is_used() -> None:
    """``import descentlab`` loads no submodule and not NumPy (the names load on first use);
    listing the scenes (``animate --help``) imports no scene module."""
    code = (
        "import sys, descentlab; "
        "print(sorted(m for m in sys.modules if m.startswith(('descentlab.', 'numpy')))); "
        "descentlab.Status; "
        "print('descentlab.result' in sys.modules, 'descentlab.descent' in sys.modules); "
        "from descentlab.animate.registry import SCENES; names = list(SCENES); "
        "print(sorted(m for m in sys.modules if m.startswith('descentlab.animate')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:3] == [
        "['descentlab._lazy']",
        "True False",
        "['descentlab.animate', 'descentlab.animate.registry']",
    ]


LAZY_PACKAGES = ("descentlab", "descentlab.animate", "descentlab.derivatives")


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_lazy_names_are_their_modules_objects(package: str) -> None:
    """Every public name is the object its home module defines; the type checkers' imports in
    ``if TYPE_CHECKING:`` name the same homes; unknown names raise AttributeError."""
    pkg = importlib.import_module(package)
    tree = ast.parse(Path(pkg.__file__).read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.dump(n))
    typed = {alias.name: node.module for node in block.body if isinstance(node, ast.ImportFrom)
             for alias in node.names}  # fmt: skip
    assert typed == pkg._HOMES
    assert sorted(pkg.__all__) == sorted(set(pkg._HOMES) | ({"__version__"} & set(pkg.__all__)))
    for name, home in pkg._HOMES.items():
        assert getattr(pkg, name) is getattr(importlib.import_module(home), name), name
    assert set(pkg._HOMES) <= set(dir(pkg))
    for missing in ("no_such_name", "nosuchmodule"):
        with pytest.raises(AttributeError, match=missing):
            getattr(pkg, missing)


def test_a_scene_stays_a_function_whatever_imports_its_module_first() -> None:
    """``animate.contour`` is the function even when ``animate/contour.py`` was imported first
    by another route (the import system binds the module to the package's attribute)."""
    code = (
        "import descentlab.animate.contour as m, descentlab.animate as a; "
        "from descentlab.animate.registry import SCENES; "
        "print(callable(a.contour), a.contour is SCENES['contour'], type(m).__name__, "
        "dict(SCENES.items())['fit-compare'] is a.fit_compare)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "function", "True"]
    assert descentlab.animate is importlib.import_module("descentlab.animate")


BANNED_NAMES = {"eval", "exec", "compile", "sympify", "lambdify", "__import__"}
BANNED_ATTRIBUTES = {"eval", "exec", "sympify", "lambdify", "parse_expr"}


def test_no_code_execution_anywhere_in_the_package() -> None:
    """No eval/exec/compile/sympify/lambdify in the library: user text is never executed."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                banned = (isinstance(func, ast.Name) and func.id in BANNED_NAMES) or (
                    isinstance(func, ast.Attribute)
                    and (
                        func.attr in BANNED_ATTRIBUTES
                        or (isinstance(func.value, ast.Name) and func.value.id == "builtins")
                    )
                )
                if banned:
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno} {ast.unparse(func)}")
            if isinstance(node, ast.Import | ast.ImportFrom):
                mods = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if any(m.split(".")[0] in ("sympy", "torch") for m in mods):
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno} imports {mods}")
    assert offenders == []


def test_python_dash_m_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "descentlab", "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0
    for verb in ("derivative", "run", "functions", "animate", "gallery"):
        assert verb in out.stdout
    assert out.stderr == ""


def test_py_typed_is_shipped() -> None:
    assert (SRC / "py.typed").exists()
