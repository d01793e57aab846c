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

Text is the slowest thing to draw (each line is shaped twice and every glyph rendered, about
1 ms per line), so the fast path keeps the pixels of each redrawn plain ``Text``: when a text has
not changed since its last draw (matplotlib's ``stale`` flag and its string, position, colour and
font) and the pixels under it are the same, those pixels are pasted back instead of drawing it.
Put the parts of a readout that stay the same in their own ``Text`` so that only the changing
numbers are drawn each frame.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from descentlab.animate.export import save, to_bytes
from descentlab.animate.style import agg_canvas
from descentlab.errors import RenderError

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure
    from matplotlib.text import Text

__all__ = ["Scene", "Still"]


def _text_state(text: Text) -> tuple[object, ...]:
    """What a plain Text's pixels depend on, besides what its ``stale`` flag already tracks."""
    return (
        text.get_text(),
        text.get_unitless_position(),
        str(text.get_color()),
        text.get_alpha(),
        hash(text.get_fontproperties()),
        text.get_horizontalalignment(),
        text.get_verticalalignment(),
        text.get_rotation(),
        text.get_transform().get_matrix().tobytes(),
    )


class _TextCache:
    """The pixels one plain Text produced last time, over a box padded by its font size.

    Drawing text is a deterministic function of the text's state and of the pixels it lands on,
    and it only touches pixels inside its extent (the pad covers glyph overhangs and
    antialiasing), so when both are unchanged the saved result is exactly what a draw would give.
    """

    __slots__ = ("over", "region", "state", "under")

    def __init__(self) -> None:
        self.state: tuple[object, ...] | None = None
        self.region: tuple[slice, slice] = (slice(0), slice(0))
        self.under = np.empty(0, dtype=np.uint8)
        self.over = np.empty(0, dtype=np.uint8)

    def draw(self, text: Text, renderer: Any, buffer: np.ndarray) -> None:
        if not text.get_visible() or not text.get_text():
            text.draw(renderer)
            return
        state = _text_state(text)
        if not text.stale and state == self.state:
            pixels = buffer[self.region]
            if np.array_equal(pixels, self.under):
                pixels[...] = self.over
                return
        box = text.get_window_extent(renderer)
        pad = 2 + int(np.ceil(text.get_fontsize() * renderer.dpi / 72))
        height, width = buffer.shape[:2]
        if not np.all(np.isfinite(box.extents)):
            self.state = None
            text.draw(renderer)
            return
        x0 = min(max(int(np.floor(box.x0)) - pad, 0), width)
        x1 = min(max(int(np.ceil(box.x1)) + pad, 0), width)
        y0 = min(max(height - int(np.ceil(box.y1)) - pad, 0), height)
        y1 = min(max(height - int(np.floor(box.y0)) + pad, 0), height)
        self.region = (slice(y0, y1), slice(x0, x1))
        self.under = buffer[self.region].copy()
        text.draw(renderer)
        self.over = buffer[self.region].copy()
        self.state = state


def _draw_order(container: Any) -> list[Artist]:
    """The children of an Axes or Figure in the order its ``draw`` paints them."""
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis

    if isinstance(container, Axes):
        children = container.get_children()
        children.remove(container.patch)
        if not (container.axison and container.get_frame_on()):
            children = [c for c in children if c not in container.spines.values()]
        if not container.axison:
            children = [c for c in children if not isinstance(c, Axis)]
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
        info: What the scene was drawn from (its runs, for instance), for captions and tests;
            each scene's docstring lists its keys.

    Raises:
        RenderError: ``n_frames`` < 1, ``fps`` <= 0, or an artist that is not in ``fig``.
    """

    #: A scene is an animation (every format); a :class:`Still` is one picture (PNG).
    still = False

    def __init__(
        self,
        fig: Figure,
        artists: Sequence[Artist],
        update: Callable[[int], object],
        *,
        n_frames: int,
        fps: float = 15.0,
        info: dict[str, Any] | None = None,
    ) -> None:
        if int(n_frames) != n_frames or n_frames < 1:
            raise RenderError(f"n_frames must be a positive integer (got {n_frames!r})")
        if not np.isfinite(fps) or fps <= 0:
            raise RenderError(f"fps must be > 0 (got {fps!r})")
        for artist in artists:
            if artist.get_figure(root=True) is not fig:
                raise RenderError(f"artist {artist!r} does not belong to the scene's figure")
        self.fig = fig
        self.info: dict[str, Any] = dict(info or {})
        self.artists = list(artists)
        self._update = update
        self.n_frames = int(n_frames)
        self.fps = float(fps)
        self._background: Any = None
        self._foreground: list[Artist] = []
        self._text_caches: dict[int, _TextCache] = {}

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
        orders = []
        for container in containers:
            order = _draw_order(container)
            first = next(k for k, a in enumerate(order) if id(a) in moving)
            orders.append((container, order[first:]))
        # An inset axes that its parent's foreground redraws whole is not redrawn again.
        redrawn = {id(a) for _, order in orders for a in order}
        for container, order in orders:
            if id(container) not in redrawn:
                foreground.extend(order)
        self._foreground = foreground
        from matplotlib.text import Text

        # Plain Text only: an Annotation's position (``xy``) can change without ``stale``.
        self._text_caches = {id(a): _TextCache() for a in foreground if type(a) is Text}
        for artist in foreground:
            artist.set_animated(True)
        canvas = agg_canvas(self.fig)
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
                canvas = agg_canvas(self.fig)
                canvas.draw()
                return np.asarray(canvas.buffer_rgba())
            finally:
                for artist in self._foreground:
                    artist.set_animated(True)
        if self._background is None:
            self._prepare()
        canvas = agg_canvas(self.fig)
        canvas.restore_region(self._background)
        self._update(i)
        renderer = canvas.get_renderer()
        buffer = np.asarray(canvas.buffer_rgba())
        caches = self._text_caches
        for artist in self._foreground:
            cache = caches.get(id(artist))
            if cache is None:
                artist.draw(renderer)
            else:
                cache.draw(cast("Text", artist), renderer, buffer)  # caches hold Text only
        return buffer

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
        return save(self, path, fps=fps, quiet=quiet)

    def _repr_html_(self) -> str:
        """The animation as an inline GIF, so that a scene shows itself in Jupyter."""
        data = base64.b64encode(to_bytes(self, ".gif")).decode("ascii")
        w, h = self.size
        return f'<img src="data:image/gif;base64,{data}" width="{w}" height="{h}">'


class Still:
    """A single picture, saved with the same export code as a :class:`Scene` (PNG only).

    Args:
        fig: The figure, built with :func:`descentlab.animate.style.new_figure`.
        info: What the picture was drawn from, for captions and tests (see each still's
            docstring).
    """

    still = True

    def __init__(self, fig: Figure, *, info: dict[str, Any] | None = None) -> None:
        self.fig = fig
        self.info: dict[str, Any] = dict(info or {})
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
        canvas = agg_canvas(self.fig)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())

    def frames(self) -> Iterator[np.ndarray]:
        """Yield the single frame."""
        yield self.frame()

    def save(self, path: str | Path, *, quiet: bool | None = None) -> Path:
        """Write the picture as PNG (or SVG, a vector picture).

        Raises:
            RenderError: A suffix other than ``.png`` or ``.svg``, or a missing or unwritable
                folder.
        """
        return save(self, path, quiet=quiet)

    def _repr_png_(self) -> bytes:
        """The picture as PNG bytes, so that a still shows itself in Jupyter."""
        return to_bytes(self, ".png")
