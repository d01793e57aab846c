"""Writing scenes to files: the suffix picks the format, and every write is atomic.

- ``.gif``: Pillow, one shared palette for the whole clip, exact nearest-colour mapping.
- ``.mp4``: H.264 (yuv420p) through the ffmpeg binary that imageio-ffmpeg ships.
- ``.html``: a self-contained offline player (frames embedded as palette PNGs).
- ``.png``: the final frame of a scene, or a still.

Every writer renders into a temporary file in the target folder (same suffix) and renames it
into place, so a failed or interrupted render leaves any existing file untouched.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from descentlab.errors import RenderError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FORMATS", "Renderable", "save", "shared_palette", "to_bytes", "to_palette"]


class Renderable(Protocol):
    """What the writers need: a :class:`~descentlab.animate.engine.Scene` or a ``Still``."""

    fig: Figure
    n_frames: int
    fps: float
    still: bool  # one picture: .png or .svg

    @property
    def size(self) -> tuple[int, int]: ...

    def frame(self, i: int) -> np.ndarray: ...

    def frame_rgba(self, i: int) -> np.ndarray: ...


# --------------------------------------------------------------------------------------------
# Colour quantization: one palette for the clip, exact nearest-colour mapping through a table.


def _keys(pixels: np.ndarray) -> np.ndarray:
    """Pack colours into uint32 keys ``R | G << 8 | B << 16``.

    RGBA frames (h, w, 4) are read in place as little-endian words (no copy of the pixels);
    RGB frames (h, w, 3) are packed with three integer operations; (h, w) uint32 arrays are
    keys already.
    """
    if pixels.ndim == 2 and pixels.dtype == np.uint32:
        return pixels
    if pixels.shape[-1] == 4 and pixels.flags.c_contiguous:
        return pixels.view("<u4")[..., 0] & np.uint32(0xFFFFFF)
    key = pixels[..., 2].astype(np.uint32)
    key <<= 8
    key |= pixels[..., 1]
    key <<= 8
    key |= pixels[..., 0]
    return key


def _unpack(keys: np.ndarray) -> np.ndarray:
    keys = keys.astype(np.int64)
    return np.stack((keys & 255, (keys >> 8) & 255, (keys >> 16) & 255), axis=1)


def _median_cut(colors: np.ndarray, weights: np.ndarray, n_boxes: int) -> np.ndarray:
    """Weighted median cut: split the box of largest (weight x extent) at its weighted median."""

    def score(box: np.ndarray) -> float:
        return float(np.ptp(colors[box], axis=0).max() * weights[box].sum()) if len(box) > 1 else 0

    boxes = [np.arange(len(colors))]
    scores = [score(boxes[0])]
    while len(boxes) < n_boxes:
        k = int(np.argmax(scores))
        if scores[k] == 0:
            break
        box = boxes.pop(k)
        scores.pop(k)
        channel = int(np.ptp(colors[box], axis=0).argmax())
        box = box[np.argsort(colors[box, channel], kind="stable")]
        cum = np.cumsum(weights[box])
        cut = int(np.searchsorted(cum, cum[-1] / 2, side="right"))
        cut = min(max(cut, 1), len(box) - 1)
        for half in (box[:cut], box[cut:]):
            boxes.append(half)
            scores.append(score(half))
    reps = [np.rint((colors[b] * weights[b, None]).sum(axis=0) / weights[b].sum()) for b in boxes]
    return np.array(reps, dtype=np.uint8)


def _colour_counts(samples: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct colour keys of the samples (sorted) and how many pixels have each.

    Frames of one clip share most pixels, so the first sample is counted once (times the number
    of samples) and each other sample only where it differs from the first: the counts are
    exactly those of all sample pixels, for a fraction of the sorting.
    """
    base = _keys(samples[0]).ravel()
    if any(s.shape[:2] != samples[0].shape[:2] for s in samples):
        keys = np.concatenate([_keys(s).ravel() for s in samples])
        return np.unique(keys, return_counts=True)
    plus, minus = [], []
    for sample in samples[1:]:
        keys = _keys(sample).ravel()
        changed = keys != base
        plus.append(keys[changed])
        minus.append(base[changed])
    parts = [
        (*np.unique(base, return_counts=True), len(samples)),
        (*np.unique(np.concatenate(plus or [base[:0]]), return_counts=True), 1),
        (*np.unique(np.concatenate(minus or [base[:0]]), return_counts=True), -1),
    ]
    unique = np.unique(np.concatenate([p[0] for p in parts]))
    counts = np.zeros(unique.size, dtype=np.int64)
    for keys, n, sign in parts:
        counts[np.searchsorted(unique, keys)] += sign * n
    present = counts > 0
    return unique[present], counts[present]


def _palette_and_colours(
    samples: list[np.ndarray], colors: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`shared_palette` plus the samples' distinct colour keys (to prefill a mapper)."""
    unique, counts = _colour_counts(samples)
    if unique.size <= colors:
        return _unpack(unique).astype(np.uint8), unique
    order = np.argsort(counts, kind="stable")[::-1]
    exact = order[: colors // 4]
    rest = order[colors // 4 :]
    cut = _median_cut(_unpack(unique[rest]), counts[rest].astype(float), colors - exact.size)
    return np.concatenate((_unpack(unique[exact]).astype(np.uint8), cut)), unique


def shared_palette(samples: list[np.ndarray], colors: int = 256) -> np.ndarray:
    """One palette for a whole clip, from a few sample frames (RGB or RGBA).

    If the samples hold at most ``colors`` distinct colours, those are the palette (lossless).
    Otherwise the most frequent quarter of the palette is taken exactly (backgrounds, lines, text
    keep their true colour) and a weighted median cut over the remaining colours fills the rest.

    Returns:
        A (m, 3) uint8 array, m <= ``colors``.
    """
    return _palette_and_colours(samples, colors)[0]


class _Mapper:
    """Exact nearest-palette-colour lookup, with a lazily filled table over all 2^24 colours."""

    _EMPTY = np.uint8(255)

    def __init__(self, palette: np.ndarray) -> None:
        if len(palette) > 255:
            raise ValueError("the mapper reserves index 255: use at most 255 colours")
        self.palette = palette
        pal = palette.astype(np.float64)
        self._pal_t = -2.0 * pal.T
        self._pal_sq = (pal**2).sum(axis=1)
        self._table = np.full(1 << 24, self._EMPTY, dtype=np.uint8)

    def fill(self, keys: np.ndarray) -> None:
        """Enter the nearest palette index of every colour key in ``keys`` (unique) that is new.

        Squared distances ``|c|^2 - 2 c.p + |p|^2`` in float64 are exact integers (all below
        2^20), so the nearest colour, ties to the lowest index, is exactly the brute-force one.
        """
        new = keys[self._table.take(keys) == self._EMPTY]
        for start in range(0, new.size, 4096):
            block = new[start : start + 4096]
            cols = _unpack(block).astype(np.float64)
            d = cols @ self._pal_t
            d += self._pal_sq
            self._table[block] = d.argmin(axis=1)

    def map_keys(self, keys: np.ndarray) -> np.ndarray:
        """Palette indices for colour keys of any shape."""
        idx = self._table.take(keys)
        missing = idx == self._EMPTY
        if missing.any():
            new = keys[missing]
            self.fill(np.unique(new))
            idx[missing] = self._table.take(new)
        return idx

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        return self.map_keys(_keys(pixels))


def _map_frames(mapper: _Mapper, frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """Index images of consecutive frames; each maps only the box where it differs from the last.

    Uses the raw RGBA words (or packed RGB keys) for the comparison, so a frame that differs
    from its predecessor in a small region costs little more than that region.
    """
    prev_keys: np.ndarray | None = None
    prev_idx: np.ndarray | None = None
    for frame in frames:
        keys = _keys(frame)
        if prev_keys is None or prev_idx is None or prev_keys.shape != keys.shape:
            idx = mapper.map_keys(keys)
        else:
            diff = keys != prev_keys
            rows = np.flatnonzero(diff.any(axis=1))
            if rows.size == 0:
                idx = prev_idx
            else:
                r0, r1 = int(rows[0]), int(rows[-1]) + 1
                cols = np.flatnonzero(diff[r0:r1].any(axis=0))
                c0, c1 = int(cols[0]), int(cols[-1]) + 1
                idx = prev_idx.copy()
                idx[r0:r1, c0:c1] = mapper.map_keys(keys[r0:r1, c0:c1])
        prev_keys, prev_idx = keys, idx
        yield idx


def to_palette(frames: list[np.ndarray], colors: int = 255) -> tuple[np.ndarray, list[np.ndarray]]:
    """Quantize frames to one shared palette, exactly as the GIF writer does.

    Returns:
        ``(palette (m, 3) uint8, [index image (h, w) uint8, ...])``.
    """
    step = max(1, len(frames) // 8)
    palette = shared_palette(frames[::step] + [frames[-1]], colors)
    mapper = _Mapper(palette)
    return palette, [mapper(f) for f in frames]


def _p_image(indices: np.ndarray, palette: np.ndarray):  # -> PIL.Image.Image
    from PIL import Image

    im = Image.frombytes("P", (indices.shape[1], indices.shape[0]), indices.tobytes())
    im.putpalette(palette.ravel().tolist())
    return im


# --------------------------------------------------------------------------------------------
# Progress and frame iteration.


#: Rendered frames kept in memory for the palette (above this, the samples are drawn twice).
KEEP_BYTES = 256 * 2**20


def _sample_picks(n: int) -> list[int]:
    """The frames the palette is taken from: six, evenly spread, first and last included."""
    return sorted({round(k * (n - 1) / 5) for k in range(6)})


@contextlib.contextmanager
def _progress(total: int, label: str, quiet: bool | None) -> Iterator[Callable[[], None]]:
    show = (not quiet) and sys.stderr.isatty() and total >= 20
    if not show:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)


def _frames(scene: Renderable, label: str, quiet: bool | None) -> Iterator[np.ndarray]:
    with _progress(scene.n_frames, label, quiet) as tick:
        for i in range(scene.n_frames):
            yield scene.frame_rgba(i)
            tick()


# --------------------------------------------------------------------------------------------
# Writers: each renders the scene into ``tmp`` (a path with the right suffix).


def _quantized(
    scene: Renderable, label: str, quiet: bool | None
) -> tuple[np.ndarray, Iterator[np.ndarray]]:
    """The clip's shared palette and an iterator over its index images.

    When all frames fit in :data:`KEEP_BYTES` they are rendered once and kept, and the palette
    comes from those; otherwise the sample frames are rendered first and every frame again
    while streaming. Both give the same palette and indices.
    """
    n = scene.n_frames
    w, h = scene.size
    picks = _sample_picks(n)
    if n * w * h * 4 <= KEEP_BYTES:
        kept = deque(_keys(frame) for frame in _frames(scene, label, quiet))  # a packed copy
        samples = [kept[i] for i in picks]
        frames: Iterator[np.ndarray] = (kept.popleft() for _ in range(n))
    else:
        samples = [scene.frame_rgba(i).copy() for i in picks]
        frames = _frames(scene, label, quiet)
    palette, colours = _palette_and_colours(samples, 255)
    del samples
    mapper = _Mapper(palette)
    mapper.fill(colours)
    return palette, _map_frames(mapper, frames)


def _write_gif(scene: Renderable, tmp: Path, fps: float, quiet: bool | None) -> None:
    palette, indices = _quantized(scene, "GIF", quiet)
    images = [_p_image(idx, palette) for idx in indices]
    duration = round(1000.0 / fps)
    images[0].save(
        tmp,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        optimize=True,
        loop=0,
        duration=duration,
        disposal=1,
    )


def _ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as exc:
        raise RenderError(
            "writing .mp4 needs the ffmpeg binary from imageio-ffmpeg: "
            "pip install imageio-ffmpeg (or save as .gif or .html)"
        ) from exc
    return exe


def _write_mp4(scene: Renderable, tmp: Path, fps: float, quiet: bool | None) -> None:
    exe = _ffmpeg_exe()
    w, h = scene.size
    cmd = [
        exe, "-y", "-loglevel", "error",
        "-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{w}x{h}", "-r", f"{fps:g}", "-i", "-",
        "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2:color=white",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "20", "-preset", "medium",
        "-movflags", "+faststart", "-f", "mp4", str(tmp),
    ]  # fmt: skip
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=errors)
        stdin = proc.stdin
        assert stdin is not None  # Popen(stdin=PIPE)
        try:
            for frame in _frames(scene, "MP4", quiet):
                stdin.write(frame.tobytes())
            stdin.close()
            code = proc.wait()
        except BaseException:
            proc.kill()
            with contextlib.suppress(OSError):
                stdin.close()
            proc.wait()
            raise
        if code != 0:
            errors.seek(0)
            detail = errors.read().decode(errors="replace").strip().splitlines()
            raise RenderError(f"ffmpeg failed ({code}): {detail[-1] if detail else 'no output'}")


_PLAYER = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>__TITLE__</title>
<style>
body{font-family:system-ui,sans-serif;margin:1em;color:#222}
#frame{display:block;max-width:100%;height:auto;border:1px solid #ddd}
.bar{display:flex;gap:.6em;align-items:center;margin-top:.5em;max-width:__W__px}
#slider{flex:1}
button{min-width:5em}
input[type=number]{width:4em}
</style></head><body>
<img id="frame" width="__W__" height="__H__" alt="animation frame">
<div class="bar">
<button id="play" type="button">Pause</button>
<input id="slider" type="range" min="0" max="__LAST__" value="0" aria-label="frame">
<span id="counter">1 / __N__</span>
<label>fps <input id="fps" type="number" min="1" max="60" value="__FPS__"></label>
</div>
<script>
"use strict";
const FRAMES = __FRAMES__;
const img = document.getElementById("frame");
const slider = document.getElementById("slider");
const counter = document.getElementById("counter");
const button = document.getElementById("play");
const fpsInput = document.getElementById("fps");
let index = 0, playing = true, timer = null;
const cache = FRAMES.map(function (src) { const im = new Image(); im.src = src; return im; });
function show(i) {
  index = (i + FRAMES.length) % FRAMES.length;
  img.src = cache[index].src;
  slider.value = index;
  counter.textContent = (index + 1) + " / " + FRAMES.length;
  document.body.dataset.frame = index;
}
function fps() { const v = Number(fpsInput.value); return v > 0 && v <= 60 ? v : __FPS__; }
function tick() { show(index + 1); timer = setTimeout(tick, 1000 / fps()); }
function play() { playing = true; button.textContent = "Pause"; clearTimeout(timer);
  timer = setTimeout(tick, 1000 / fps()); }
function pause() { playing = false; button.textContent = "Play"; clearTimeout(timer); }
button.addEventListener("click", function () { if (playing) { pause(); } else { play(); } });
slider.addEventListener("input", function () { pause(); show(Number(slider.value)); });
show(0);
if (FRAMES.length > 1) { play(); } else { pause(); }
</script></body></html>
"""


def _write_html(scene: Renderable, tmp: Path, fps: float, quiet: bool | None) -> None:
    import json

    palette, indices = _quantized(scene, "HTML", quiet)
    uris = []
    for idx in indices:
        buf = io.BytesIO()
        _p_image(idx, palette).save(buf, format="PNG", compress_level=6)
        uris.append("data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii"))
    w, h = scene.size
    page = (
        _PLAYER.replace("__FRAMES__", json.dumps(uris))
        .replace("__TITLE__", f"descentlab animation ({scene.n_frames} frames)")
        .replace("__W__", str(w))
        .replace("__H__", str(h))
        .replace("__LAST__", str(scene.n_frames - 1))
        .replace("__N__", str(scene.n_frames))
        .replace("__FPS__", f"{fps:g}")
    )
    tmp.write_text(page, encoding="utf-8")


def _write_png(scene: Renderable, tmp: Path, fps: float, quiet: bool | None) -> None:
    from PIL import Image

    Image.fromarray(scene.frame(scene.n_frames - 1)).save(tmp, format="PNG", optimize=True)


def _write_svg(scene: Renderable, tmp: Path, fps: float, quiet: bool | None) -> None:
    scene.fig.savefig(tmp, format="svg")  # stills only


#: Suffix -> writer. Adding a format is one entry here.
FORMATS: dict[str, Callable[[Renderable, Path, float, bool | None], None]] = {
    ".gif": _write_gif,
    ".mp4": _write_mp4,
    ".html": _write_html,
    ".png": _write_png,
    ".svg": _write_svg,
}

#: What a still (one picture, a matplotlib figure) can be saved as; the rest need frames.
STILL_FORMATS = (".png", ".svg")

#: What an animation can be saved as (SVG holds one vector picture, not frames).
SCENE_FORMATS = (".gif", ".mp4", ".html", ".png")


def _check_target(
    path: Path, *, still: bool
) -> Callable[[Renderable, Path, float, bool | None], None]:
    suffix = path.suffix.lower()
    if still and suffix in SCENE_FORMATS and suffix not in STILL_FORMATS:
        raise RenderError(
            f"cannot write {str(path)!r}: a still is one picture, saved as "
            f"{' or '.join(STILL_FORMATS)} ({', '.join(s for s in SCENE_FORMATS if s != '.png')}"
            " are for animations, which have frames)"
        )
    if not still and suffix == ".svg":
        raise RenderError(
            f"cannot write {str(path)!r}: an animation has frames, and SVG holds one picture; "
            f"use one of {', '.join(SCENE_FORMATS)}"
        )
    valid = list(STILL_FORMATS) if still else list(SCENE_FORMATS)
    if suffix not in valid:
        got = f"'{path.suffix}'" if path.suffix else "no suffix"
        raise RenderError(f"cannot write {str(path)!r}: {got}; use one of {', '.join(valid)}")
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise RenderError(f"cannot write {str(path)!r}: {str(parent)!r} is a file, not a folder")
    if not parent.is_dir():
        raise RenderError(f"cannot write {str(path)!r}: folder {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise RenderError(f"cannot write {str(path)!r}: folder {str(parent)!r} is not writable")
    if path.is_dir():
        raise RenderError(f"cannot write {str(path)!r}: it is a folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise RenderError(f"cannot write {str(path)!r}: the file is read-only")
    return FORMATS[suffix]


def check_path(path: str | os.PathLike[str], *, still: bool = False) -> Path:
    """Check that ``path`` can be written before anything is rendered.

    Args:
        path: The output file.
        still: The picture is a still (``.png`` or ``.svg``).

    Returns:
        ``path`` as a Path.

    Raises:
        RenderError: Unknown suffix, missing or unwritable folder, a folder or read-only file.
    """
    path = Path(path)
    _check_target(path, still=still)
    target = _through_links(path)
    if target != path:
        _check_target(target, still=still)
    return path


def _through_links(path: Path) -> Path:
    """The file a write to ``path`` must replace: a symbolic link's final target, else ``path``.

    Renaming onto a link would replace the link itself and leave its target unchanged.
    """
    if not path.is_symlink():
        return path
    return Path(os.path.realpath(path))


class _Signalled(SystemExit):
    """SIGTERM or SIGHUP arrived while a file was being written (exit status 128 + signal)."""


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into an exception while writing, so the temp file is removed.

    Python turns only SIGINT into an exception (KeyboardInterrupt); the default action of the
    others ends the process at once, skipping every ``finally``. Handlers set by the program
    (not the default action) are left alone, and nothing changes outside the main thread.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    numbers = [getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)]
    previous = {n: signal.getsignal(n) for n in numbers}

    def handler(signum: int, frame: object) -> None:
        raise _Signalled(128 + signum)

    for n, old in previous.items():
        if old == signal.SIG_DFL:
            signal.signal(n, handler)
    try:
        yield
    finally:
        for n, old in previous.items():
            if old == signal.SIG_DFL:
                signal.signal(n, old)


def save(
    scene: Renderable, path: str | os.PathLike[str], *, fps: float | None = None,
    quiet: bool | None = None,
) -> Path:  # fmt: skip
    """Render ``scene`` to ``path``; the suffix chooses the format. The write is atomic.

    A symbolic link is written through: its target gets the new file and the link stays. On an
    error, Ctrl-C, SIGTERM or SIGHUP the temporary file is removed and an existing file is left
    as it was.

    Args:
        scene: A Scene or a Still (a Still writes ``.png`` or ``.svg``).
        path: Output file; its folder must exist.
        fps: Frames per second (default: the scene's).
        quiet: ``True`` never shows a progress bar; ``None`` shows one on a terminal only.

    Returns:
        The path written (as given, a link included).

    Raises:
        RenderError: Unknown suffix, missing or unwritable folder (checked before rendering),
            bad fps, or an ffmpeg failure.
    """
    path = Path(path)
    target = _through_links(path)
    writer = _check_target(path, still=scene.still)
    if target != path:
        _check_target(target, still=scene.still)
    rate = scene.fps if fps is None else fps
    if isinstance(rate, bool) or not np.isfinite(rate) or rate <= 0:
        raise RenderError(f"fps must be > 0 (got {rate!r})")
    with _signals_raise():
        try:
            fd, name = tempfile.mkstemp(
                dir=target.parent, suffix=target.suffix, prefix=f".{target.stem}."
            )
        except OSError as exc:
            raise RenderError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc
        os.close(fd)
        tmp = Path(name)
        try:
            writer(scene, tmp, float(rate), quiet)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
    return path


def to_bytes(scene: Renderable, suffix: str = ".gif", *, fps: float | None = None) -> bytes:
    """The file :func:`save` would write for ``suffix``, as bytes (for inline display).

    Raises:
        RenderError: As :func:`save`.
    """
    with tempfile.TemporaryDirectory(prefix="descentlab-") as folder:
        path = save(scene, Path(folder) / f"picture{suffix}", fps=fps, quiet=True)
        return path.read_bytes()
