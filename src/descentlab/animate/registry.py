"""The one registry of scenes and stills: the names people type and the functions they call.

Names are spelled with hyphens (``descent-1d``, ``fd-error``) in the CLI, the gallery's file
names and the docs; :func:`scene_name` also accepts underscores (``descent_1d``), the spelling of
the Python functions. Adding a scene is one name in :data:`SCENES` and its function in
``animate/__init__``'s ``_HOMES`` (plus its name in :data:`STILLS` when it makes a single
picture).
"""

from __future__ import annotations

from collections import UserDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from descentlab.errors import ConfigError

if TYPE_CHECKING:
    from descentlab.animate.engine import Scene, Still

__all__ = ["SCENES", "STILLS", "scene_name"]


class _Scenes(UserDict[str, "Callable[..., Scene | Still] | None"]):
    """Scene name -> its function, imported the first time the scene is looked up.

    The function of ``descent-1d`` is ``descentlab.animate.descent_1d`` (the name with
    underscores): listing the names (``animate --help``) imports no scene module. A stored
    ``None`` means "not imported yet"; every lookup (``[]``, ``items()``, ``values()``) imports.
    """

    def __getitem__(self, name: str) -> Callable[..., Scene | Still]:
        function = self.data[name]
        if function is None:
            import descentlab.animate

            function = getattr(descentlab.animate, name.replace("-", "_"))
            self.data[name] = function
        return function


#: Scene name (as typed on the command line) -> the function that builds it. One name per scene.
SCENES: _Scenes = _Scenes(
    dict.fromkeys(
        [
            "derivative",
            "descent-1d",
            "remedies",
            "contour",
            "surface",
            "race",
            "field",
            "fd-error",
            "lr-sweep",
            "basins",
            "linesearch",
            "compare",
            "fit",
            "fit-compare",
        ]
    )
)

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
