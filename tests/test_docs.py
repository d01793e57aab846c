"""The reference docs build from the docstrings with warnings as errors, and hold what they should.

One Sphinx build (``sphinx-build -W -b html docs OUT``, as the README says) is shared by the tests
below: a docstring that does not parse, a broken cross-reference, a duplicate description or a
README section that moved fails the build; the tests then check the pages for what a reader looks
up (the API by module, the optimizers' math, every CLI option, every gallery picture).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

import descentlab
from descentlab.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs")
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-d", str(out / ".doctrees")]
        + [str(ROOT / "docs"), str(out / "html")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    return out / "html"


def _page(site: Path, name: str) -> str:
    return (site / name).read_text(encoding="utf-8")


def _ids(html: str) -> set[str]:
    return set(re.findall(r'id="([^"]+)"', html))


def test_the_api_is_documented_by_module(site: Path) -> None:
    assert "descentlab.descent.minimize" in _ids(_page(site, "api/descent.html"))
    assert "descentlab.result.Result" in _ids(_page(site, "api/descent.html"))
    assert "descentlab.objective.Objective.from_formula" in _ids(_page(site, "api/objective.html"))
    optimizers = _ids(_page(site, "api/optimizers.html"))
    for name, _ in descentlab.OPTIMIZERS.items():
        module = getattr(descentlab, name).__module__
        page = "optimizers" if module == "descentlab.optimizers" else "secondorder"
        assert f"{module}.{name}" in (optimizers | _ids(_page(site, f"api/{page}.html"))), name


def test_every_public_name_is_linked_from_the_api_index(site: Path) -> None:
    html = _page(site, "api/index.html")
    for name in descentlab.__all__:
        if name == "__version__":
            continue
        obj = getattr(descentlab, name)
        if callable(obj):
            target = f"#{obj.__module__}.{obj.__qualname__}"
            assert target in html, name
        else:
            assert f'<span class="pre">{name}</span>' in html, name


def test_the_optimizers_math_is_there_for_mathjax(site: Path) -> None:
    html = unescape(_page(site, "api/optimizers.html"))
    blocks = re.findall(r'<div class="math[^"]*">(.*?)</div>', html, flags=re.S)
    adam = [b for b in blocks if r"\hat m_t = \frac{m_t}{1 - \beta_1^t}" in b]
    assert len(adam) == 1, blocks[:3]
    assert r"\(m_0 = v_0 = 0\)" in html  # the :math: role, inline
    # MathJax is served from the build itself (the docs extra ships it), so pages work offline.
    assert "_static/mathjax/MathJax.js" in html
    assert (site / "_static" / "mathjax" / "MathJax.js").is_file()


def test_the_cli_page_is_generated_from_the_parser(site: Path) -> None:
    html = unescape(_page(site, "cli.html"))
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert subparsers.choices, "no subcommands found"
    for command, sub in subparsers.choices.items():
        assert f'id="{command}"' in html or f">{command}<" in html, command
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue  # sphinx-argparse leaves out -h, as every page has it
            for option in action.option_strings:
                assert option in html, (command, option)
    # Help texts are plain text: "|grad f|" must not turn into reST markup.
    assert "|grad f|" in html


def test_the_gallery_shows_every_picture_and_the_explorer_is_linked(site: Path) -> None:
    html = _page(site, "gallery.html")
    for picture in [*(ROOT / "docs").glob("*.png"), *(ROOT / "docs").glob("*.gif")]:
        assert picture.name in html, picture.name
        assert (site / "_images" / picture.name).is_file(), picture.name
    assert 'href="explore.html"' in _page(site, "explorer.html")
    page = _page(site, "explore.html")
    assert "window.descentlab" in page and "<script src=" not in page  # one self-contained file


def test_every_module_has_its_place_in_the_reference(site: Path) -> None:
    pages = "".join(p.read_text(encoding="utf-8") for p in (site / "api").glob("*.html"))
    package = ROOT / "src" / "descentlab"
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        assert f'id="module-{module}"' in pages, f"{module}: add it to a page in docs/api/"
