"""The engine: partial redraw equals a full draw, frame counts, sizes, bad inputs."""

from __future__ import annotations

import subprocess
import sys

import matplotlib
import numpy as np
import pytest

from descentlab.animate import Scene, Still
from descentlab.animate.style import RC, finish_layout, new_figure
from descentlab.errors import RenderError

matplotlib.use("Agg")


def toy_scene(n_frames: int = 12, size: tuple[int, int] = (320, 200)) -> Scene:
    """Two panels; the right one has a moving line, point, arrow, text, title and suptitle."""
    with matplotlib.rc_context(RC):
        fig = new_figure(size)
        left, right = fig.subplots(1, 2)
        xs = np.linspace(-4, 4, 200)
        for ax in (left, right):
            ax.plot(xs, 1 + xs**2)
            ax.set_ylim(0, 14)
        left.set_title("$f(x) = 1 + x^2$")
        (secant,) = right.plot([], [], color="green")
        (point,) = right.plot([], [], "o", color="orange", zorder=4)
        arrow = right.annotate("", xy=(0, 0), xytext=(0, 0), arrowprops={"arrowstyle": "<->"})
        label = right.text(0, 0, "")
        title = right.set_title("")
        sup = fig.suptitle("")

        def update(i: int) -> None:
            x1 = 3.5 - 0.3 * i
            secant.set_data([-1, x1], [2, 1 + x1**2])
            point.set_data([x1], [1 + x1**2])
            arrow.xy = (x1, 1.5)
            arrow.set_position((-1, 1.5))
            label.set_text(f"dx = {x1 + 1:.2f}")
            label.set_position((x1 / 2, 1.0 + x1))
            title.set_text(f"x1 = {x1:.1f}")
            sup.set_text(f"frame {i}")

        finish_layout(fig)
    return Scene(fig, [secant, point, arrow, label, title, sup], update, n_frames=n_frames, fps=10)


@pytest.mark.parametrize("i", [0, 1, 5, 11, -1, 3])
def test_partial_redraw_equals_full_draw(i: int) -> None:
    scene = toy_scene()
    scene.frame(0)  # background saved; then frames out of order
    fast = scene.frame(i)
    full = scene.frame(i, full=True)
    assert np.array_equal(fast, full)


def test_frames_differ_and_do_not_leak_between_frames() -> None:
    scene = toy_scene()
    a0 = scene.frame(0)
    scene.frame(7)
    assert np.array_equal(scene.frame(0), a0)
    assert not np.array_equal(scene.frame(7), a0)


def test_frame_shape_size_and_count() -> None:
    scene = toy_scene(n_frames=5, size=(321, 203))
    assert scene.size == (321, 203)
    assert scene.n_frames == 5
    frames = list(scene.frames())
    assert len(frames) == 5
    assert all(f.shape == (203, 321, 3) and f.dtype == np.uint8 for f in frames)
    assert scene.frame_rgba(0).shape == (203, 321, 4)


def test_layout_engine_removed() -> None:
    scene = toy_scene()
    assert scene.fig.get_layout_engine() is None


@pytest.mark.parametrize("i", [12, -13, 100])
def test_frame_out_of_range(i: int) -> None:
    with pytest.raises(RenderError, match="out of range"):
        toy_scene().frame(i)


@pytest.mark.parametrize("n", [0, -1, 2.5])
def test_bad_frame_count(n: float) -> None:
    fig = new_figure((100, 100))
    with pytest.raises(RenderError, match="n_frames"):
        Scene(fig, [], lambda i: None, n_frames=n)  # type: ignore[arg-type]


@pytest.mark.parametrize("fps", [0, -3, float("nan"), float("inf")])
def test_bad_fps(fps: float) -> None:
    fig = new_figure((100, 100))
    with pytest.raises(RenderError, match="fps"):
        Scene(fig, [], lambda i: None, n_frames=3, fps=fps)


def test_artist_from_another_figure() -> None:
    other = new_figure((100, 100)).add_subplot()
    (line,) = other.plot([0, 1])
    with pytest.raises(RenderError, match="does not belong"):
        Scene(new_figure((100, 100)), [line], lambda i: None, n_frames=3)


@pytest.mark.parametrize("size", [(0, 100), (100, -5), (10.5, 100), ("a", 1), (100,), None])
def test_bad_size(size: object) -> None:
    with pytest.raises(RenderError, match="size"):
        new_figure(size)  # type: ignore[arg-type]


def test_still_single_frame() -> None:
    fig = new_figure((120, 80))
    fig.add_subplot().plot([0, 1], [1, 0])
    still = Still(fig)
    assert still.size == (120, 80)
    assert still.frame().shape == (80, 120, 3)
    assert len(list(still.frames())) == 1
    with pytest.raises(RenderError, match="out of range"):
        still.frame(1)


def test_import_descentlab_does_not_import_matplotlib() -> None:
    code = "import sys, descentlab, descentlab.animate; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def text_scene(n_frames: int = 10) -> tuple[Scene, dict[str, object]]:
    """A constant title piece, a changing number beside it, and a line that sweeps under a text."""
    with matplotlib.rc_context(RC):
        fig = new_figure((320, 200))
        ax = fig.add_subplot()
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 10)
        (sweep,) = ax.plot([], [], color="green", lw=6)
        still = ax.text(5, 5, "constant", ha="center", fontsize=14)
        head = ax.text(0.5, 1.02, "slope = ", ha="right", transform=ax.transAxes)
        value = ax.text(0.5, 1.02, "", ha="left", transform=ax.transAxes)
        phase = ax.text(0.5, 0.1, "", transform=ax.transAxes)

        def update(i: int) -> None:
            sweep.set_data([i, i], [0, 10])  # crosses "constant" for some frames only
            value.set_text(f"{i * 0.37:.3f}")
            head.set_text("slope = ")  # same string: stays not stale
            phase.set_text("first half" if i < n_frames // 2 else "second half")
            phase.set_color("black" if i % 3 else "red")  # colour changes without new text

        finish_layout(fig)
    scene = Scene(fig, [sweep, still, head, value, phase], update, n_frames=n_frames, fps=10)
    return scene, {"still": still, "head": head, "value": value, "phase": phase}


def test_cached_text_is_exact_in_any_frame_order() -> None:
    scene, _ = text_scene()
    order = [0, 1, 2, 2, 3, 9, 8, 4, 5, 5, 6, 1, 7, 0, 9]
    fast = [scene.frame(i) for i in order]
    for i, frame in zip(order, fast, strict=True):
        assert np.array_equal(frame, scene.frame(i, full=True)), i
    assert np.array_equal(scene.frame(3), scene.frame(3, full=True))  # after full draws


def test_unchanged_text_is_pasted_not_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    scene, texts = text_scene()
    scene.frame(0)
    drawn: list[str] = []
    for name, text in texts.items():
        original = text.draw  # type: ignore[attr-defined]

        def counting(renderer, _name=name, _original=original) -> None:  # noqa: ANN001
            drawn.append(_name)
            _original(renderer)

        monkeypatch.setattr(text, "draw", counting)
    scene.frame(1)
    assert "head" not in drawn  # same string, same place, same pixels under it
    assert drawn.count("value") == 1  # a new number is drawn


def test_text_cache_misses_when_pixels_under_change() -> None:
    scene, texts = text_scene()
    for i in range(scene.n_frames):  # the sweep passes under "constant" at x = 4..6
        assert np.array_equal(scene.frame(i), scene.frame(i, full=True)), i
