"""The gallery: every scene and still rendered with good defaults into one folder."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from descentlab.animate.registry import SCENES, STILLS
from descentlab.errors import ConfigError, RenderError

__all__ = ["EXPLORER_PAGE", "GALLERY", "Entry", "render_gallery"]


class Entry(NamedTuple):
    """One picture of the gallery: a scene of :data:`~descentlab.animate.registry.SCENES` and
    its options; it is written to ``<name>.gif`` (``<name>.png`` for a still)."""

    name: str
    kwargs: dict[str, Any]

    @property
    def filename(self) -> str:
        """The file the entry is written to, named like the scene."""
        return self.name + (".png" if self.name in STILLS else ".gif")


#: Everything the gallery renders, in order. Sizes and frame counts keep every GIF < 500 KB.
GALLERY: list[Entry] = [
    Entry("derivative", {"size": (800, 400)}),
    Entry("descent-1d", {"size": (900, 360), "frames": 60}),
    Entry("remedies", {"size": (1200, 340), "frames": 60}),
    Entry("contour", {"size": (520, 520), "frames": 50}),
    Entry("surface", {"size": (900, 420), "frames": 50}),
    Entry("race", {"size": (1000, 440), "frames": 60}),
    Entry("field", {}),
    Entry("fd-error", {}),
    Entry("lr-sweep", {}),
    Entry("basins", {}),
    Entry("linesearch", {}),
    Entry("compare", {"starts": 200, "budget": 500}),
    Entry("fit", {"size": (1000, 500), "frames": 50}),
    Entry("fit-compare", {}),
]

#: The gallery also writes the interactive explorer page (``descentlab explore``) on this target.
EXPLORER_PAGE = ("explore.html", "himmelblau")


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
        out_dir: The folder to write to (not empty text).
        quiet: ``True`` never shows progress; ``None`` shows a bar on a terminal only.
        entries: What to render (default :data:`GALLERY`, plus the :data:`EXPLORER_PAGE`).
        overrides: Options merged into every entry's options whose function accepts them
            (the tests pass small sizes and frame counts).

    Returns:
        The files written, in gallery order.

    Raises:
        ConfigError: An empty folder name.
        RenderError: The folder cannot be created or written.
    """
    import inspect

    if not str(out_dir).strip():
        raise ConfigError("the gallery folder is empty text; give a folder name, e.g. gallery")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"cannot create the gallery folder {str(out)!r}: {exc}") from None
    todo = list(GALLERY if entries is None else entries)
    written: list[Path] = []

    def render(entry: Entry) -> Path:
        function = SCENES[entry.name]
        kwargs = dict(entry.kwargs)
        if overrides:
            accepted = inspect.signature(function).parameters
            kwargs |= {k: v for k, v in overrides.items() if k in accepted}
        picture = function(**kwargs)
        return picture.save(out / entry.filename, quiet=True)

    def explorer_page() -> Path:
        from descentlab.explorer import explore

        name, target = EXPLORER_PAGE
        return explore(target).save(out / name)

    if not _show_progress(quiet):
        for entry in todo:
            written.append(render(entry))
        if entries is None:
            written.append(explorer_page())
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
        task = progress.add_task("gallery", total=len(todo) + (entries is None))
        for entry in todo:
            progress.update(task, description=f"gallery: {entry.filename}")
            written.append(render(entry))
            progress.advance(task)
        if entries is None:
            progress.update(task, description=f"gallery: {EXPLORER_PAGE[0]}")
            written.append(explorer_page())
            progress.advance(task)
    return written
