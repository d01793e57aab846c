"""Render speed and GIF size: matplotlib's standard path vs descentlab's pipeline, same run.

Scene: the original derivative animation (45 frames, 1000x500 px). The baseline is the way the
original notebook saves: FuncAnimation + PillowWriter, artists re-created every frame. Run:

    .venv/bin/python benchmarks/bench_render.py

Whole-GIF times include building the scene (figure, layout, first full draw). The GIF row is the
best of 5 runs; the "first in the process" row is the first of them, before matplotlib's and
descentlab's caches (fonts, text metrics, parsed mathtext) are warm.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import matplotlib
import steady  # noqa: F401 - compiles in this process first (see steady.py)

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the baseline is pyplot code, as in the notebook)
import numpy as np  # noqa: E402
from matplotlib.animation import FuncAnimation, PillowWriter  # noqa: E402

from descentlab.animate import derivative  # noqa: E402

FRAMES = 45
ORIGINAL = Path("/work/shared/reference/Derivative.gif")
ORIGINAL_BYTES, ORIGINAL_FRAMES = 1_066_217, 45


def baseline(path: Path) -> None:
    """The notebook's way: clear and re-draw the moving panel's artists for every frame."""
    f = lambda x: 1 + x**2  # noqa: E731
    xs = np.linspace(-4, 4, 200)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 5), dpi=100)
    left.plot(xs, f(xs), "y")
    left.plot([-2, 4], [0, 12], "g")
    left.annotate("", (3, 1.5), (-1, 1.5), arrowprops={"arrowstyle": "<->"})
    left.annotate("", (3, 10), (3, 1.5), arrowprops={"arrowstyle": "<->"})
    left.set_title(r"h representation as $\Delta x$ on $f(x) = 1 + x^2$")
    left.grid(True)

    def update(i: int) -> None:
        right.clear()
        x1 = 3.5 - 0.1 * i
        right.plot(xs, f(xs), "y")
        right.set_xlim(-4, 4)
        right.grid(True)
        right.set_title("Evolution of $\\Delta x$ decreasing between two points")
        if x1 != -1:
            s = (f(x1) - f(-1)) / (x1 + 1)
            right.plot([-1.6, x1 + 0.4], [f(-1) - 0.6 * s, f(x1) + 0.4 * s], "g", lw=2)
        right.plot([-1], [2], "ko")
        right.plot([x1], [f(x1)], "bo")
        right.annotate("", (x1, f(x1)), (-1, f(x1)), arrowprops={"arrowstyle": "<->"})
        right.annotate("", (-1, f(x1)), (-1, 2), arrowprops={"arrowstyle": "<->"})
        right.text(0.1, f(x1) - 0.6, f"$\\Delta x$={x1 + 1:.2f}", fontsize=15)

    anim = FuncAnimation(fig, update, frames=FRAMES)
    anim.save(path, writer=PillowWriter(fps=15))
    plt.close(fig)


def ours(path: Path) -> None:
    derivative(frames=FRAMES, size=(1000, 500)).save(path, quiet=True)


def timed(fn, path: Path, repeats: int = 2) -> float:  # noqa: ANN001
    return min(timed_runs(fn, path, repeats))


def timed_runs(fn, path: Path, repeats: int) -> list[float]:  # noqa: ANN001
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(path)
        runs.append(time.perf_counter() - t)
    return runs


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base_gif, our_gif = Path(tmp, "base.gif"), Path(tmp, "ours.gif")
        t_base = timed(baseline, base_gif)
        runs = timed_runs(ours, our_gif, repeats=5)  # the first run parses the formulas
        t_first, t_ours = runs[0], min(runs)
        scene = derivative(frames=FRAMES, size=(1000, 500))
        scene.frame(0)
        t = time.perf_counter()
        for i in range(FRAMES):
            scene.frame_rgba(i)
        t_frames = time.perf_counter() - t
        mp4 = Path(tmp, "ours.mp4")
        t_mp4 = timed(lambda p: scene.save(p, quiet=True), mp4)
        b_base, b_ours, b_mp4 = (os.path.getsize(p) for p in (base_gif, our_gif, mp4))
    ms = lambda s: 1000 * s / FRAMES  # noqa: E731
    kb = lambda b: b / FRAMES / 1024  # noqa: E731
    orig = ORIGINAL_BYTES / ORIGINAL_FRAMES
    print(f"derivative scene, {FRAMES} frames, 1000x500 px (best of repeats)")
    print(f"{'pipeline':48s} {'ms/frame':>9s} {'KB/frame':>9s}")
    print(
        f"{'FuncAnimation+PillowWriter, artists re-made':48s} {ms(t_base):9.1f} {kb(b_base):9.1f}"
    )
    print(f"{'descentlab: render only (partial redraw)':48s} {ms(t_frames):9.1f} {'':>9s}")
    print(
        f"{'descentlab: GIF (one palette, exact mapping)':48s} {ms(t_ours):9.1f} {kb(b_ours):9.1f}"
    )
    print(f"{'descentlab: GIF, first in the process':48s} {ms(t_first):9.1f} {kb(b_ours):9.1f}")
    print(f"{'descentlab: MP4 (H.264 yuv420p)':48s} {ms(t_mp4):9.1f} {kb(b_mp4):9.1f}")
    print(f"{'original Derivative.gif':48s} {'':>9s} {orig / 1024:9.1f}")
    print(f"speed-up vs baseline (GIF): {t_base / t_ours:.1f}x (target >= 15x)")
    print(f"GIF bytes/frame vs original: 1/{orig / (b_ours / FRAMES):.1f} (target <= 1/5)")
    print(f"GIF bytes/frame vs baseline GIF: 1/{b_base / b_ours:.1f}")


if __name__ == "__main__":
    main()
