"""Scenes (animations and stills), frame sampling, the shared style and export.

Every scene and still is a function with keyword-only options (the target first) that returns a
:class:`~descentlab.animate.engine.Scene` or a :class:`~descentlab.animate.engine.Still`;
``picture.save("out.gif")`` writes it, and in Jupyter it shows itself inline. :data:`SCENES`
maps the names the CLI uses to these functions, :data:`STILLS` names the stills. Data flows one
way: a scene module builds a figure (``common``, ``style``) -> ``engine`` renders frames ->
``export`` writes them. matplotlib is imported only when a scene is built, never by
``import descentlab``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from descentlab._lazy import attach

_HOMES: dict[str, str] = {
    "SCENES": "descentlab.animate.registry",
    "STILLS": "descentlab.animate.registry",
    "Scene": "descentlab.animate.engine",
    "Still": "descentlab.animate.engine",
    "align_ends": "descentlab.animate.frames",
    "basins": "descentlab.animate.basins",
    "compare": "descentlab.animate.compare",
    "contour": "descentlab.animate.contour",
    "derivative": "descentlab.animate.derivative",
    "descent_1d": "descentlab.animate.descent_1d",
    "fd_error": "descentlab.animate.fd_error",
    "field": "descentlab.animate.field",
    "fit": "descentlab.animate.fit",
    "fit_compare": "descentlab.animate.fit",
    "linesearch": "descentlab.animate.linesearch",
    "lr_sweep": "descentlab.animate.lr_sweep",
    "pad": "descentlab.animate.frames",
    "race": "descentlab.animate.race",
    "remedies": "descentlab.animate.remedies",
    "render_gallery": "descentlab.animate.gallery",
    "sample_indices": "descentlab.animate.frames",
    "save": "descentlab.animate.export",
    "scene_name": "descentlab.animate.registry",
    "surface": "descentlab.animate.surface",
}
"""Each public name -> the module that defines it (imported on first use)."""

__all__ = sorted(_HOMES)

if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from descentlab.animate.basins import basins as basins
    from descentlab.animate.compare import compare as compare
    from descentlab.animate.contour import contour as contour
    from descentlab.animate.derivative import derivative as derivative
    from descentlab.animate.descent_1d import descent_1d as descent_1d
    from descentlab.animate.engine import Scene as Scene
    from descentlab.animate.engine import Still as Still
    from descentlab.animate.export import save as save
    from descentlab.animate.fd_error import fd_error as fd_error
    from descentlab.animate.field import field as field
    from descentlab.animate.fit import fit as fit
    from descentlab.animate.fit import fit_compare as fit_compare
    from descentlab.animate.frames import align_ends as align_ends
    from descentlab.animate.frames import pad as pad
    from descentlab.animate.frames import sample_indices as sample_indices
    from descentlab.animate.gallery import render_gallery as render_gallery
    from descentlab.animate.linesearch import linesearch as linesearch
    from descentlab.animate.lr_sweep import lr_sweep as lr_sweep
    from descentlab.animate.race import race as race
    from descentlab.animate.registry import SCENES as SCENES
    from descentlab.animate.registry import STILLS as STILLS
    from descentlab.animate.registry import scene_name as scene_name
    from descentlab.animate.remedies import remedies as remedies
    from descentlab.animate.surface import surface as surface

__getattr__, __dir__ = attach(__name__, _HOMES)
