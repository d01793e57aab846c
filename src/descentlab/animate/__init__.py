"""Scenes (animations and stills), frame sampling, the shared style and export.

Every scene is a function with keyword-only options that returns a
:class:`~descentlab.animate.engine.Scene` (or a :class:`~descentlab.animate.engine.Still`);
``scene.save("out.gif")`` writes it. :data:`SCENES` maps the names the CLI uses to these functions.
matplotlib is imported only when a scene is built, never by ``import descentlab``.
"""

from __future__ import annotations

from collections.abc import Callable

from descentlab.animate.derivative import derivative as derivative
from descentlab.animate.descent_1d import descent_1d as descent_1d
from descentlab.animate.engine import Scene as Scene
from descentlab.animate.engine import Still as Still
from descentlab.animate.export import save as save
from descentlab.animate.frames import align_ends as align_ends
from descentlab.animate.frames import pad as pad
from descentlab.animate.frames import sample_indices as sample_indices
from descentlab.animate.gallery import SCENE_FUNCTIONS as _MORE_SCENES
from descentlab.animate.gallery import STILLS as STILLS
from descentlab.animate.gallery import render_gallery as render_gallery

#: Scene name (as typed on the command line) -> scene function. One line per scene.
SCENES: dict[str, Callable[..., Scene | Still]] = {
    "derivative": derivative,
    "descent-1d": descent_1d,
    **_MORE_SCENES,
}

__all__ = [
    "SCENES",
    "STILLS",
    "Scene",
    "Still",
    "align_ends",
    "derivative",
    "descent_1d",
    "pad",
    "render_gallery",
    "sample_indices",
    "save",
]
