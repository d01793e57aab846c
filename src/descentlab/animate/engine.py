"""The animation engine: a figure drawn once, then only what moves is redrawn.

How to write a scene
--------------------
A scene is a plain function with keyword-only options that returns a :class:`Scene`::

    def bounce(*, frames: int = 30, fps: float = 15, size: tuple[int, int] = (400, 300)) -> Scene:
        fig = new_figure(size)                      # style.new_figure: Figure + Agg canvas
        ax = fig.add_subplot()
        ax.plot(xs, f(xs))                          # static: drawn once, into the background
        (dot,) = ax.plot([], [], "o")               # moving: created empty, filled by update
        label = ax.set_title("")                    # changing text is a moving artist too

        def update(i: int) -> None:                 # a pure function of i: set, never add
            dot.set_data([xs[i]], [ys[i]])
            label.set_text(f"x = {xs[i]:.2f}")

        finish_layout(fig)                          # tight_layout, then no layout engine
        return Scene(fig, [dot, label], update, n_frames=frames, fps=fps)

Rules that keep the fast path exact:

1. Draw everything static before creating the moving artists (or give the moving artists the
   higher z-order). The engine sorts each axes' children the way ``Axes.draw`` does; every
   artist from the first moving one on (spines, titles, later texts) is redrawn each frame, the
   rest is the saved background.
2. ``update(i)`` sets the complete state of the moving artists for frame ``i``; it must not add
   or remove artists, change axis limits or move the axes. Frames may be rendered in any order.
3. Do not use pyplot: build the figure with :func:`descentlab.animate.style.new_figure`.

``Scene.frame(i, full=True)`` draws the whole figure instead; the tests check that both paths
give the same pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from descentlab.errors import RenderError

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure

__all__ = ["Scene", "Still"]


def _draw_order(container: Any) -> list[Artist]:
    """The children of an Axes or Figure in the order its ``draw`` paints them."""
    from matplotlib.axes import Axes

    if isinstance(container, Axes):
        children = container.get_children()
        children.remove(container.patch)
        if not (container.axison and container._frameon):
            children = [c for c in children if c not in container.spines.values()]
        if not container.axison:
            children = [c for c in children if c not in container._axis_map.values()]
    else:
        children = [c for c in container.get_children() if c is not container.patch]
    children = [c for c in children if c.get_visible()]
    return sorted(children, key=attrgetter("zorder"))


class Scene:
    """An animation: a figure drawn once plus the artists that ``update(i)`` moves.

    Args:
        fig: The figure, built with :func:`descentlab.animate.style.new_figure` (Agg canvas).
        artists: The artists that change between frames (lines, points, arrows, texts).
        update: ``update(i)`` sets the moving artists' data for frame ``i``.
        n_frames: Number of frames.
        fps: Frames per second of the saved clip.

    Raises:
        RenderError: ``n_frames`` < 1, ``fps`` <= 0, or an artist that is not in ``fig``.
    """

    def __init__(
        self,
        fig: Figure,
        artists: Sequence[Artist],
        update: Callable[[int], object],
        *,
        n_frames: int,
        fps: float = 15.0,
    ) -> None:
        if int(n_frames) != n_frames or n_frames < 1:
            raise RenderError(f"n_frames must be a positive integer (got {n_frames!r})")
        if not np.isfinite(fps) or fps <= 0:
            raise RenderError(f"fps must be > 0 (got {fps!r})")
        for artist in artists:
            if artist.get_figure(root=True) is not fig:
                raise RenderError(f"artist {artist!r} does not belong to the scene's figure")
        self.fig = fig
        self.artists = list(artists)
        self._update = update
        self.n_frames = int(n_frames)
        self.fps = float(fps)
        self._background: Any = None
        self._foreground: list[Artist] = []

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of every frame in pixels."""
        w, h = self.fig.canvas.get_width_height(physical=True)
        return int(w), int(h)

    def _check_index(self, i: int) -> int:
        if not -self.n_frames <= i < self.n_frames:
            raise RenderError(f"frame {i} out of range (the scene has {self.n_frames} frames)")
        return i % self.n_frames

    def _prepare(self) -> None:
        """Find what must be redrawn each frame, then draw and save the background once."""
        moving = {id(a) for a in self.artists}
        containers: list[Any] = []
        for artist in self.artists:
            container = artist.axes if artist.axes is not None else self.fig
            if all(c is not container for c in containers):
                containers.append(container)
        foreground: list[Artist] = []
        # Figure-level texts draw after the axes (zorder 0); axes come first in this list.
        containers.sort(key=lambda c: c is self.fig)
        for container in containers:
            order = _draw_order(container)
            first = next(k for k, a in enumerate(order) if id(a) in moving)
            foreground.extend(order[first:])
        self._foreground = foreground
        for artist in foreground:
            artist.set_animated(True)
        canvas = self.fig.canvas
        canvas.draw()
        self._background = canvas.copy_from_bbox(self.fig.bbox)

    def frame(self, i: int, *, full: bool = False) -> np.ndarray:
        """Render frame ``i``.

        Args:
            i: Frame index (negative counts from the end).
            full: Draw the whole figure (slow) instead of only the moving artists over the saved
                background; both give the same pixels.

        Returns:
            An ``(h, w, 3)`` uint8 array (a copy).
        """
        return np.ascontiguousarray(self.frame_rgba(i, full=full)[..., :3])

    def frame_rgba(self, i: int, *, full: bool = False) -> np.ndarray:
        """Render frame ``i`` and return the canvas buffer itself, without copying.

        The writers use this: it saves a copy per frame. The array is ``(h, w, 4)`` uint8 and is
        only valid until the next frame is rendered.
        """
        i = self._check_index(i)
        if full:
            if self._background is None:
                self._prepare()
            for artist in self._foreground:
                artist.set_animated(False)
            try:
                self._update(i)
                self.fig.canvas.draw()
                return np.asarray(self.fig.canvas.buffer_rgba())
            finally:
                for artist in self._foreground:
                    artist.set_animated(True)
        if self._background is None:
            self._prepare()
        canvas = self.fig.canvas
        canvas.restore_region(self._background)
        self._update(i)
        renderer = canvas.get_renderer()
        for artist in self._foreground:
            artist.draw(renderer)
        return np.asarray(canvas.buffer_rgba())

    def frames(self) -> Iterator[np.ndarray]:
        """Yield every frame in order (each a fresh ``(h, w, 3)`` uint8 array)."""
        for i in range(self.n_frames):
            yield self.frame(i)

    def save(
        self, path: str | Path, *, fps: float | None = None, quiet: bool | None = None
    ) -> Path:
        """Write the animation; the format follows the suffix (.gif, .mp4, .html, .png).

        Args:
            path: Output file. ``.png`` writes the last frame.
            fps: Frames per second (default: the scene's).
            quiet: ``True`` never shows a progress bar; ``None`` shows one on a terminal only.

        Returns:
            The path written.

        Raises:
            RenderError: Unknown suffix, missing or unwritable folder, missing ffmpeg.
        """
        from descentlab.animate.export import save

        return save(self, path, fps=fps, quiet=quiet)


class Still:
    """A single picture, saved with the same export code as a :class:`Scene` (PNG only).

    Args:
        fig: The figure, built with :func:`descentlab.animate.style.new_figure`.
    """

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        self.n_frames = 1
        self.fps = 1.0

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the picture in pixels."""
        w, h = self.fig.canvas.get_width_height(physical=True)
        return int(w), int(h)

    def frame(self, i: int = 0, *, full: bool = True) -> np.ndarray:
        """Render the picture as an ``(h, w, 3)`` uint8 array."""
        return np.ascontiguousarray(self.frame_rgba(i)[..., :3])

    def frame_rgba(self, i: int = 0, *, full: bool = True) -> np.ndarray:
        """Render the picture; the ``(h, w, 4)`` canvas buffer, valid until the next draw."""
        if i not in (0, -1):
            raise RenderError(f"frame {i} out of range (a still has one frame)")
        self.fig.canvas.draw()
        return np.asarray(self.fig.canvas.buffer_rgba())

    def frames(self) -> Iterator[np.ndarray]:
        """Yield the single frame."""
        yield self.frame()

    def save(self, path: str | Path, *, quiet: bool | None = None) -> Path:
        """Write the picture as PNG.

        Raises:
            RenderError: A suffix other than ``.png``, or a missing or unwritable folder.
        """
        from descentlab.animate.export import save

        return save(self, path, quiet=quiet)
