"""Sphinx configuration: the reference built from the docstrings (``sphinx-build -W docs out``).

Sphinx with autodoc and napoleon, because the docstrings are Google style with reST inside them
(``.. math::`` blocks, ``:math:`` roles and ``:func:`` cross-references), which is Sphinx's own
markup; myst-parser lets the overview, gallery and explorer pages include the README's sections
instead of copying them, and sphinx-argparse writes the CLI page from ``build_parser()``.

Math is typeset by MathJax in the browser: from the copy that ``jupyter-server-mathjax`` ships
(part of the ``docs`` extra) when it is installed, so the pages work offline, else from a CDN.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import shutil
from pathlib import Path
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")

import sphinxarg.ext  # noqa: E402

import descentlab  # noqa: E402

HERE = Path(__file__).resolve().parent
GALLERY_README = HERE.parent / "README.md"

project = "descentlab"
author = "the descentlab authors"
copyright = "descentlab authors, MIT licence"  # noqa: A001 (Sphinx's name)
release = version = descentlab.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinxarg.ext",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
root_doc = "index"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
# the aliases as written, not expanded into numpy's long unions
autodoc_type_aliases = {"ArrayLike": "numpy.typing.ArrayLike", "Array": "Array"}
autodoc_default_options = {"members": True, "ignore-module-all": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_use_ivar = True  # "Attributes:" as fields: autodoc documents NamedTuple fields itself
myst_heading_anchors = 3
myst_ref_domains = ["std", "py"]  # sphinx-argparse's domain cannot resolve "any" links
suppress_warnings = ["myst.xref_missing"]  # the README's links to its own sections

html_theme = "alabaster"
html_title = "descentlab reference"
html_theme_options = {"description": "Gradient descent by hand", "page_width": "1100px"}
html_static_path: list[str] = []

# MathJax: a local copy when installed (offline), else the CDN Sphinx uses by default.
_LOCAL_MATHJAX = importlib.util.find_spec("jupyter_server_mathjax")
if _LOCAL_MATHJAX is not None and _LOCAL_MATHJAX.origin is not None:
    _MATHJAX_DIR = Path(_LOCAL_MATHJAX.origin).parent / "static"
    mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
    _FONT = "STIX-Web"  # the one web font that copy ships
    mathjax2_config = {
        "messageStyle": "none",
        "HTML-CSS": {
            "availableFonts": [],
            "webFont": _FONT,
            "preferredFont": None,
            "imageFont": None,
        },
    }
else:
    _MATHJAX_DIR = None


def _copy_extras(app: Any, exception: BaseException | None) -> None:
    """After an HTML build: the local MathJax and the explorer page next to the pages."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    if _MATHJAX_DIR is not None:
        shutil.copytree(_MATHJAX_DIR, out / "_static" / "mathjax", dirs_exist_ok=True)
    descentlab.explore("himmelblau").save(out / "explore.html")


def _plain(tree: Any) -> Any:
    """The parser's help texts are plain text, not reST: escape what reST would read as markup."""
    if isinstance(tree, dict):
        return {
            key: _escape(value) if key in ("help", "description", "epilog") else _plain(value)
            for key, value in tree.items()
        }
    if isinstance(tree, list):
        return [_plain(item) for item in tree]
    return tree


def _escape(text: Any) -> Any:
    if not isinstance(text, str):
        return _plain(text)
    for char in "\\|*`_":
        text = text.replace(char, "\\" + char)
    return text


_parse_parser = sphinxarg.ext.parse_parser
sphinxarg.ext.parse_parser = lambda *args, **kwargs: _plain(_parse_parser(*args, **kwargs))


def _public_names() -> str:
    """A table of ``descentlab.__all__``: each name linked to where it is documented."""
    rows = [".. list-table::", "   :header-rows: 1", "", "   * - name", "     - what it is"]
    homes = descentlab._HOMES  # each public name -> its module (loaded on first use)
    for name in descentlab.__all__:
        obj = getattr(descentlab, name)
        if name not in homes:
            continue  # __version__
        home = getattr(obj, "__module__", None) if callable(obj) else None
        doc = " ".join((inspect.getdoc(obj) or "").split("\n\n")[0].split()) if home else ""
        if home:
            role = "class" if isinstance(obj, type) else "func"
            cell = f":py:{role}:`{name} <{home}.{obj.__qualname__}>`"
        else:
            cell, doc = f"``{name}``", f"a table in :mod:`{homes[name]}`"
        rows += [f"   * - {cell}", f"     - {doc}"]
    return "\n".join(rows) + "\n"


def _more_images() -> str:
    """The pictures in docs/ that the README's gallery section does not show, one by one."""
    shown = GALLERY_README.read_text(encoding="utf-8")
    blocks = []
    for image in sorted([*HERE.glob("*.png"), *HERE.glob("*.gif")]):
        if f"docs/{image.name}" not in shown.split("## Gallery", 1)[1].split("## The explorer")[0]:
            blocks.append(f"### {image.stem}\n\n![{image.stem}]({image.name})\n")
    return "\n".join(blocks)


def _other_modules() -> str:
    """``automodule`` for every module no page in docs/api/ names (a module added since)."""
    named = "".join(page.read_text(encoding="utf-8") for page in (HERE / "api").glob("*.rst"))
    package = Path(descentlab.__file__).parent
    blocks = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if parts[-1] != "__main__" and f"automodule:: {module}\n" not in named:
            blocks.append(f".. automodule:: {module}\n")
    return "\n".join(blocks) or "None: every module has its page.\n"


MARKERS = {
    ".. public-names::": _public_names,
    "<!-- more-images -->": _more_images,
    ".. other-modules::": _other_modules,
}


def _fill_marker(app: Any, docname: str, source: list[str]) -> None:
    """Replace a marker line with the text it stands for, generated from the package."""
    for marker, make in MARKERS.items():
        if marker in source[0]:
            source[0] = source[0].replace(marker, make())


def setup(app: Any) -> None:
    """Hook the generated table and the extra files into the build."""
    app.connect("source-read", _fill_marker)
    app.connect("build-finished", _copy_extras)
