"""The shared look of every scene: figure size in pixels, fonts, colours, quiet axes."""

from __future__ import annotations

import functools
import warnings
from typing import TYPE_CHECKING, Any

from descentlab.errors import RenderError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

__all__ = [
    "COLORS",
    "DPI",
    "OPTIMIZER_COLORS",
    "RC",
    "agg_canvas",
    "finish_layout",
    "new_figure",
    "quiet_axes",
]

DPI = 100

#: One colour per role, the same in every scene.
COLORS: dict[str, str] = {
    "curve": "#3b6ea5",
    "secant": "#2e8b57",
    "tangent": "#d1495b",
    "point": "#222222",
    "moving": "#e07a1f",
    "arrow": "#444444",
    "step": "#5b2a86",  # apart from the tangent's red: the step runs along the tangent
    "grid": "#e6e6e6",
    "text": "#222222",
    "muted": "#777777",
}

#: One colour per optimizer, the same in every scene and figure (distinct in hue and lightness;
#: the race scene and the comparison figure both use it).
OPTIMIZER_COLORS: dict[str, str] = {
    "gd": "#222222",
    "momentum": "#1f77b4",
    "nesterov": "#17becf",
    "adagrad": "#2ca02c",
    "rmsprop": "#9467bd",
    "adam": "#d62728",
    "linesearch": "#ff7f0e",
    "adamw": "#e377c2",
    "nadam": "#8c564b",
    "radam": "#bcbd22",
    "adamax": "#7f7f7f",
    "adadelta": "#393b79",
    "rprop": "#637939",
    "asgd": "#a55194",
}

#: matplotlib settings applied while a scene builds its figure.
RC: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "axes.edgecolor": "#888888",
    "axes.linewidth": 0.8,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": COLORS["grid"],
    "grid.linewidth": 0.8,
    "xtick.color": "#555555",
    "ytick.color": "#555555",
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "mathtext.fontset": "dejavusans",
    "lines.linewidth": 2.0,
    "lines.solid_capstyle": "round",
    "figure.facecolor": "white",
}


def new_figure(size: tuple[int, int]) -> Figure:
    """A figure of exactly ``size`` = (width, height) pixels on its own Agg canvas (no pyplot).

    Raises:
        RenderError: A size that is not two positive integers.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    try:
        w, h = (int(v) for v in size)
    except (TypeError, ValueError):
        raise RenderError(f"size must be (width, height) in pixels (got {size!r})") from None
    if w != size[0] or h != size[1] or w < 16 or h < 16 or w > 8000 or h > 8000:
        raise RenderError(f"size must be two integers in 16..8000 pixels (got {size!r})")
    fig = Figure(figsize=(w / DPI, h / DPI), dpi=DPI)
    canvas = FigureCanvasAgg(fig)
    # One mathtext parser for every figure: its parse cache (~10 ms per formula with
    # pyparsing) then survives from scene to scene. Parsing is deterministic, pixels unchanged.
    canvas.get_renderer().mathtext_parser = _mathtext_parser()
    return fig


def agg_canvas(fig: Figure | None) -> FigureCanvasAgg:
    """The Agg canvas of a figure built by :func:`new_figure` (its pixel buffer and regions).

    Args:
        fig: The figure (``artist.get_figure(root=True)``: None for an artist in no figure).

    Raises:
        RenderError: No figure, or a figure on another canvas (built with pyplot or another
            backend).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if fig is None:
        raise RenderError("the artist is in no figure")
    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        raise RenderError(
            f"the figure must be built with new_figure (an Agg canvas; got {type(canvas).__name__})"
        )
    return canvas


@functools.cache
def _mathtext_parser() -> Any:
    from matplotlib.mathtext import MathTextParser

    return MathTextParser("path")


def quiet_axes(ax: Axes) -> None:
    """No top/right spines: the frame carries no information."""
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)


def finish_layout(fig: Figure, **kwargs: Any) -> None:
    """Lay the figure out once, then remove the layout engine (it would re-run on every draw).

    On a figure too small for its labels, matplotlib keeps its default margins and warns; the
    picture is still right, so the warning is not passed on to the user.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Tight layout not applied", category=UserWarning)
        fig.tight_layout(**kwargs)
    fig.set_layout_engine(None)
