"""Export: suffix dispatch, read-back of every format, colour fidelity, atomic writes."""

from __future__ import annotations

import gc
import io
import os
import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image

from descentlab.animate import Scene, Still, export
from descentlab.animate.style import RC, finish_layout, new_figure
from descentlab.errors import RenderError

matplotlib.use("Agg")


def small_scene(n_frames: int = 8, size: tuple[int, int] = (160, 100), fail_at: int = -1) -> Scene:
    with matplotlib.rc_context(RC):
        fig = new_figure(size)
        ax = fig.add_subplot()
        xs = np.linspace(-2, 2, 100)
        ax.plot(xs, xs**2, color="#3b6ea5")
        ax.set_ylim(-0.5, 4.5)
        (dot,) = ax.plot([], [], "o", color="#e07a1f")
        title = ax.set_title("")

        def update(i: int) -> None:
            if i == fail_at:
                raise RuntimeError(f"update failed at frame {i}")
            x = -2 + 4 * i / max(1, n_frames - 1)
            dot.set_data([x], [x * x])
            title.set_text(f"x = {x:.2f}")

        finish_layout(fig)
    return Scene(fig, [dot, title], update, n_frames=n_frames, fps=10)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def gif_frames(path: Path) -> tuple[list[np.ndarray], list[int], dict]:
    with Image.open(path) as im:
        info = dict(im.info)
        frames, durations = [], []
        for k in range(im.n_frames):
            im.seek(k)
            durations.append(im.info.get("duration", 0))
            frames.append(np.asarray(im.convert("RGB")))
    return frames, durations, info


def test_gif_read_back(tmp_path: Path) -> None:
    scene = small_scene()
    out = scene.save(tmp_path / "a.gif")
    assert out == tmp_path / "a.gif"
    frames, durations, info = gif_frames(out)
    assert len(frames) == scene.n_frames
    assert frames[0].shape == (100, 160, 3)
    assert info["loop"] == 0
    assert durations == [100] * scene.n_frames
    for k, got in enumerate(frames):
        assert psnr(got, scene.frame(k)) >= 40


def test_gif_identical_frames_merge_into_a_pause(tmp_path: Path) -> None:
    scene = small_scene(n_frames=4)
    base = scene._update
    scene._update = lambda i: base(min(i, 1))  # frames 1..3 identical: a pause
    frames, durations, _ = gif_frames(scene.save(tmp_path / "p.gif", fps=20))
    assert len(frames) == 2
    assert sum(durations) == 4 * 50  # the pause keeps its length


def test_gif_colour_fidelity_on_many_colours(tmp_path: Path) -> None:
    # A clip with more than 255 colours (a gradient background) still maps >= 40 dB.
    fig = new_figure((160, 120))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(np.linspace(0, 1, 160 * 120).reshape(120, 160), cmap="magma", aspect="auto")
    (dot,) = ax.plot([], [], "o", color="cyan")
    scene = Scene(fig, [dot], lambda i: dot.set_data([20 * i], [60]), n_frames=5)
    frames, _, _ = gif_frames(scene.save(tmp_path / "g.gif"))
    assert min(psnr(f, scene.frame(k)) for k, f in enumerate(frames)) >= 40


def test_palette_is_lossless_for_few_colours() -> None:
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, size=(40, 3), dtype=np.uint8)
    frame = colours[rng.integers(0, 40, size=(30, 50))]
    palette, (indices,) = export.to_palette([frame])
    assert len(palette) == 40
    assert np.array_equal(palette[indices], frame)


def test_mapper_is_exact_nearest_colour() -> None:
    rng = np.random.default_rng(1)
    palette = rng.integers(0, 256, size=(200, 3), dtype=np.uint8)
    pixels = rng.integers(0, 256, size=(20, 30, 3), dtype=np.uint8)
    got = export._Mapper(palette)(pixels)
    d = ((pixels[:, :, None, :].astype(int) - palette[None, None].astype(int)) ** 2).sum(-1)
    best = d.min(axis=2)
    chosen = np.take_along_axis(d, got[..., None].astype(int), axis=2)[..., 0]
    assert np.array_equal(chosen, best)
    assert np.array_equal(got, d.argmin(axis=2))  # ties go to the lowest index


def test_colour_counts_equal_a_full_count() -> None:
    rng = np.random.default_rng(2)
    base = rng.integers(0, 4, size=(40, 50, 4), dtype=np.uint8) * 60
    samples = [base]
    for k in range(5):
        frame = base.copy()
        frame[k * 5 : k * 5 + 9, 10:30] = rng.integers(0, 256, size=(9, 20, 4), dtype=np.uint8)
        samples.append(frame)
    keys = np.concatenate([export._keys(f).ravel() for f in samples])
    unique, counts = np.unique(keys, return_counts=True)
    got_unique, got_counts = export._colour_counts(samples)
    assert np.array_equal(got_unique, unique) and np.array_equal(got_counts, counts)


def test_map_frames_maps_changed_boxes_exactly() -> None:
    rng = np.random.default_rng(3)
    palette = rng.integers(0, 256, size=(50, 3), dtype=np.uint8)
    frames = [rng.integers(0, 256, size=(30, 40, 4), dtype=np.uint8)]
    for k in range(6):
        frame = frames[-1].copy()
        if k != 3:  # frame 4 repeats frame 3
            frame[k : k + 5, 2 * k : 2 * k + 7] = rng.integers(0, 256, size=(5, 7, 4))
        frames.append(frame)
    got = list(export._map_frames(export._Mapper(palette), frames))
    fresh = export._Mapper(palette)
    assert all(np.array_equal(g, fresh(f)) for g, f in zip(got, frames, strict=True))


def test_kept_and_streamed_frames_give_the_same_gif(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_scene(n_frames=12).save(tmp_path / "kept.gif")
    monkeypatch.setattr(export, "KEEP_BYTES", 0)  # frames no longer fit: samples drawn twice
    small_scene(n_frames=12).save(tmp_path / "streamed.gif")
    assert (tmp_path / "kept.gif").read_bytes() == (tmp_path / "streamed.gif").read_bytes()


def test_mp4_read_back(tmp_path: Path) -> None:
    import imageio_ffmpeg

    scene = small_scene(n_frames=6, size=(161, 101))  # odd size: padded to even
    out = scene.save(tmp_path / "a.mp4", fps=12)
    # read_frames leaves its pipes to the garbage collector when ffmpeg has already exited
    # (imageio-ffmpeg 0.6): collect them here, where their ResourceWarning is expected.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        reader = imageio_ffmpeg.read_frames(str(out))
        meta = next(reader)
        frames = list(reader)
        del reader
        gc.collect()
    assert meta["size"] == (162, 102)
    assert abs(meta["fps"] - 12) < 1e-6
    assert len(frames) == 6
    last = np.frombuffer(frames[-1], dtype=np.uint8).reshape(102, 162, 3)
    assert psnr(last[:101, :161], scene.frame(5)) >= 28


def test_mp4_without_ffmpeg_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import imageio_ffmpeg

    def missing() -> str:
        raise RuntimeError("No ffmpeg exe could be found")

    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", missing)
    with pytest.raises(RenderError, match="pip install imageio-ffmpeg"):
        small_scene().save(tmp_path / "a.mp4")
    assert list(tmp_path.iterdir()) == []


def test_html_is_self_contained(tmp_path: Path) -> None:
    scene = small_scene(n_frames=5)
    page = scene.save(tmp_path / "a.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 5
    assert "http://" not in page and "https://" not in page and "<link" not in page
    assert 'max="4"' in page


def test_png_is_last_frame(tmp_path: Path) -> None:
    scene = small_scene()
    with Image.open(scene.save(tmp_path / "a.png")) as im:
        assert im.format == "PNG"
        assert np.array_equal(np.asarray(im.convert("RGB")), scene.frame(-1))


def test_still_png_and_only_png(tmp_path: Path) -> None:
    fig = new_figure((90, 60))
    fig.add_subplot().plot([0, 1])
    still = Still(fig)
    with Image.open(still.save(tmp_path / "s.png")) as im:
        assert im.size == (90, 60)
    with pytest.raises(RenderError, match=r"\.png"):
        still.save(tmp_path / "s.gif")


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    with Image.open(small_scene(n_frames=3).save(tmp_path / "A.GIF")) as im:
        assert im.format == "GIF"


@pytest.mark.parametrize("name", ["a.jpg", "a.webm", "a", "a.gif.bak"])
def test_unknown_suffix_lists_valid_ones(tmp_path: Path, name: str) -> None:
    with pytest.raises(RenderError, match=r"\.gif, \.mp4, \.html, \.png"):
        small_scene().save(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="does not exist"):
        small_scene().save(tmp_path / "nope" / "a.gif")
    assert list(tmp_path.iterdir()) == []


def test_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(RenderError, match="is a file, not a folder"):
        small_scene().save(tmp_path / "f" / "a.gif")


def test_target_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "d.gif").mkdir()
    with pytest.raises(RenderError, match="is a folder"):
        small_scene().save(tmp_path / "d.gif")


def test_unwritable_folder_checked_before_rendering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = small_scene()
    rendered: list[int] = []
    monkeypatch.setattr(scene, "frame_rgba", lambda i: rendered.append(i))
    real_access = os.access
    monkeypatch.setattr(
        export.os, "access", lambda p, mode: False if Path(p) == tmp_path else real_access(p, mode)
    )
    with pytest.raises(RenderError, match="not writable"):
        scene.save(tmp_path / "a.gif")
    assert rendered == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_read_only_folder(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(RenderError, match="not writable"):
            small_scene().save(tmp_path / "a.gif")
    finally:
        tmp_path.chmod(0o700)


@pytest.mark.parametrize("suffix", [".gif", ".mp4", ".html", ".png"])
def test_failure_mid_render_leaves_old_file(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"out{suffix}"
    target.write_bytes(b"the old file")
    scene = small_scene(n_frames=8, fail_at=7 if suffix == ".png" else 5)
    with pytest.raises(RuntimeError, match="update failed"):
        scene.save(target)
    assert target.read_bytes() == b"the old file"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_interrupt_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(scene: object, tmp: Path, fps: float, quiet: object) -> None:
        tmp.write_bytes(b"half a gif")
        raise KeyboardInterrupt

    monkeypatch.setitem(export.FORMATS, ".gif", interrupted)
    with pytest.raises(KeyboardInterrupt):
        small_scene().save(tmp_path / "a.gif")
    assert list(tmp_path.iterdir()) == []


def test_overwrite_replaces_and_keeps_normal_permissions(tmp_path: Path) -> None:
    target = tmp_path / "a.png"
    target.write_bytes(b"old")
    small_scene().save(target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("fps", [0, -1, float("nan")])
def test_bad_fps_on_save(tmp_path: Path, fps: float) -> None:
    with pytest.raises(RenderError, match="fps"):
        small_scene().save(tmp_path / "a.gif", fps=fps)
    assert list(tmp_path.iterdir()) == []


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    for name in ("NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)
    for quiet, expect in ((None, True), (True, False)):
        terminal = _Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        small_scene(n_frames=25).save(tmp_path / "a.gif", quiet=quiet)
        shown = terminal.getvalue()
        assert ("GIF" in shown and "25/25" in shown) is expect, shown
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    small_scene(n_frames=5).save(tmp_path / "b.gif")  # too short to need a bar
    assert terminal.getvalue() == ""


def test_quiet_when_not_a_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small_scene(n_frames=25).save(tmp_path / "a.gif")
    small_scene(n_frames=25).save(tmp_path / "b.gif", quiet=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_leave_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """A signal whose default action ends the process at once still removes the temp file."""
    import signal

    number = getattr(signal, name)
    assert signal.getsignal(number) == signal.SIG_DFL  # else save() leaves the handler alone
    target = tmp_path / "a.gif"
    target.write_bytes(b"the old file")

    def signalled(scene: object, tmp: Path, fps: float, quiet: object) -> None:
        tmp.write_bytes(b"half a gif")
        os.kill(os.getpid(), number)

    monkeypatch.setitem(export.FORMATS, ".gif", signalled)
    with pytest.raises(SystemExit) as caught:
        small_scene().save(target)
    assert caught.value.code == 128 + number
    assert [p.name for p in tmp_path.iterdir()] == ["a.gif"]
    assert target.read_bytes() == b"the old file"
    assert signal.getsignal(number) == signal.SIG_DFL  # restored after the write


def test_a_symlink_is_written_through_to_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    target = real / "movie.gif"
    target.write_bytes(b"old")
    link = tmp_path / "link.gif"
    link.symlink_to(target)
    assert small_scene(n_frames=3).save(link) == link
    assert link.is_symlink() and link.resolve() == target.resolve()
    with Image.open(target) as im:
        assert im.format == "GIF" and im.n_frames >= 2
    assert sorted(p.name for p in real.iterdir()) == ["movie.gif"]  # no temp file left
    dangling = tmp_path / "new.png"
    dangling.symlink_to(real / "made.png")
    small_scene(n_frames=2).save(dangling)
    assert dangling.is_symlink() and (real / "made.png").read_bytes()[:4] == b"\x89PNG"


def test_a_symlink_to_a_missing_folder_says_so(tmp_path: Path) -> None:
    link = tmp_path / "link.gif"
    link.symlink_to(tmp_path / "gone" / "a.gif")
    with pytest.raises(RenderError, match="gone.*does not exist"):
        small_scene().save(link)
    assert [p.name for p in tmp_path.iterdir()] == ["link.gif"]


@pytest.mark.parametrize("suffix", [".html", ".gif", ".mp4"])
def test_a_still_as_an_animation_format_says_why_not(tmp_path: Path, suffix: str) -> None:
    fig = new_figure((90, 60))
    fig.add_subplot().plot([0, 1])
    with pytest.raises(RenderError, match=r"a still is one picture, saved as \.png.*animations"):
        Still(fig).save(tmp_path / f"s{suffix}")
    assert list(tmp_path.iterdir()) == []
