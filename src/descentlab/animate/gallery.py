"""The gallery: every scene and still rendered with good defaults into one folder."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from descentlab.animate import contour as _contour
from descentlab.animate import race as _race
from descentlab.animate import remedies as _remedies
from descentlab.animate import stills as _stills
from descentlab.animate import surface as _surface
from descentlab.errors import RenderError

__all__ = ["GALLERY", "SCENE_FUNCTIONS", "STILLS", "Entry", "render_gallery"]


class Entry(NamedTuple):
    """One picture of the gallery: the file it goes to, the function and its options."""

    filename: str
    function: Callable[..., Any]
    kwargs: dict[str, Any]


#: The scenes and stills of this module set, by the name the CLI uses.
SCENE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "remedies": _remedies.remedies,
    "contour": _contour.contour,
    "surface": _surface.surface,
    "race": _race.race,
    "field": _stills.field,
    "fd-error": _stills.fd_error,
    "lr-sweep": _stills.lr_sweep,
    "basins": _stills.basins,
    "linesearch": _stills.linesearch,
}

#: The names in :data:`SCENE_FUNCTIONS` that make a single picture (PNG only).
STILLS: frozenset[str] = frozenset({"field", "fd-error", "lr-sweep", "basins", "linesearch"})


def _other_scenes() -> list[Entry]:
    """The derivative and one-variable descent scenes, when their modules are present."""
    entries = []
    try:
        from descentlab.animate.derivative import derivative
    except ImportError:  # pragma: no cover - the module lands separately
        pass
    else:
        entries.append(Entry("derivative.gif", derivative, {"size": (800, 400)}))
    try:
        from descentlab.animate.descent_1d import descent_1d
    except ImportError:  # pragma: no cover
        pass
    else:
        entries.append(Entry("descent_1d.gif", descent_1d, {"size": (900, 360), "frames": 60}))
    return entries


#: Everything the gallery renders, in order. Sizes and frame counts keep every GIF < 500 KB.
GALLERY: list[Entry] = [
    *_other_scenes(),
    Entry("remedies.gif", _remedies.remedies, {"size": (1200, 340), "frames": 60}),
    Entry("contour.gif", _contour.contour, {"size": (520, 520), "frames": 50}),
    Entry("surface.gif", _surface.surface, {"size": (900, 420), "frames": 50}),
    Entry("race.gif", _race.race, {"size": (1000, 440), "frames": 60}),
    Entry("field.png", _stills.field, {}),
    Entry("fd-error.png", _stills.fd_error, {}),
    Entry("lr-sweep.png", _stills.lr_sweep, {}),
    Entry("basins.png", _stills.basins, {}),
    Entry("linesearch.png", _stills.linesearch, {}),
]


def _show_progress(quiet: bool | None) -> bool:
    if quiet is None:
        return sys.stderr.isatty()
    return not quiet


def render_gallery(
    out_dir: Path | str,
    *,
    quiet: bool | None = None,
    entries: Sequence[Entry] | None = None,
    overrides: dict[str, Any] | None = None,
) -> list[Path]:
    """Render every gallery entry into ``out_dir`` (created if missing).

    Args:
        out_dir: The folder to write to.
        quiet: ``True`` never shows progress; ``None`` shows a bar on a terminal only.
        entries: What to render (default :data:`GALLERY`).
        overrides: Options merged into every entry's options whose function accepts them
            (the tests pass small sizes and frame counts).

    Returns:
        The files written, in gallery order.

    Raises:
        RenderError: The folder cannot be created or written.
    """
    import inspect

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"cannot create the gallery folder {str(out)!r}: {exc}") from None
    todo = list(GALLERY if entries is None else entries)
    written: list[Path] = []

    def render(entry: Entry) -> Path:
        kwargs = dict(entry.kwargs)
        if overrides:
            accepted = inspect.signature(entry.function).parameters
            kwargs |= {k: v for k, v in overrides.items() if k in accepted}
        picture = entry.function(**kwargs)
        return picture.save(out / entry.filename, quiet=True)

    if not _show_progress(quiet):
        for entry in todo:
            written.append(render(entry))
        return written
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as progress:
        task = progress.add_task("gallery", total=len(todo))
        for entry in todo:
            progress.update(task, description=f"gallery: {entry.filename}")
            written.append(render(entry))
            progress.advance(task)
    return written
