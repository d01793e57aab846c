"""The one registry of scenes and stills: the names people type and the functions they call.

Names are spelled with hyphens (``descent-1d``, ``fd-error``) in the CLI, the gallery's file
names and the docs; :func:`scene_name` also accepts underscores (``descent_1d``), the spelling of
the Python functions. Adding a scene is one line in :data:`SCENES` (plus one in :data:`STILLS`
when it makes a single picture).
"""

from __future__ import annotations

from collections.abc import Callable

from descentlab.animate.basins import basins
from descentlab.animate.compare import compare
from descentlab.animate.contour import contour
from descentlab.animate.derivative import derivative
from descentlab.animate.descent_1d import descent_1d
from descentlab.animate.engine import Scene, Still
from descentlab.animate.fd_error import fd_error
from descentlab.animate.field import field
from descentlab.animate.fit import fit, fit_compare
from descentlab.animate.linesearch import linesearch
from descentlab.animate.lr_sweep import lr_sweep
from descentlab.animate.race import race
from descentlab.animate.remedies import remedies
from descentlab.animate.surface import surface
from descentlab.errors import ConfigError

__all__ = ["SCENES", "STILLS", "scene_name"]

#: Scene name (as typed on the command line) -> the function that builds it. One line per scene.
SCENES: dict[str, Callable[..., Scene | Still]] = {
    "derivative": derivative,
    "descent-1d": descent_1d,
    "remedies": remedies,
    "contour": contour,
    "surface": surface,
    "race": race,
    "field": field,
    "fd-error": fd_error,
    "lr-sweep": lr_sweep,
    "basins": basins,
    "linesearch": linesearch,
    "compare": compare,
    "fit": fit,
    "fit-compare": fit_compare,
}

#: The names in :data:`SCENES` that make a single picture (a :class:`Still`, saved as PNG).
STILLS: frozenset[str] = frozenset(
    {"field", "fd-error", "lr-sweep", "basins", "linesearch", "compare", "fit-compare"}
)


def scene_name(name: str) -> str:
    """The registry's spelling of a scene name: ``descent_1d`` and ``descent-1d`` are the same.

    Raises:
        ConfigError: A name that is not in :data:`SCENES` (the message lists them).
    """
    key = str(name).strip().lower().replace("_", "-")
    if key not in SCENES:
        raise ConfigError(f"unknown scene {name!r}; choose one of: {', '.join(SCENES)}")
    return key
