"""The gallery and the registry: every scene and still renders, one spelling of the names."""

from __future__ import annotations

import inspect

import pytest
from PIL import Image

from descentlab import animate
from descentlab.animate.engine import Scene, Still
from descentlab.animate.gallery import EXPLORER_PAGE, GALLERY, Entry, render_gallery
from descentlab.animate.registry import SCENES, STILLS, scene_name
from descentlab.errors import ConfigError
from descentlab.explorer import MAX_BYTES


def test_registry_covers_every_scene_and_still() -> None:
    assert set(SCENES) >= STILLS
    assert {e.name for e in GALLERY} == set(SCENES)  # the gallery shows every scene once
    names = [e.filename for e in GALLERY]
    assert len(set(names)) == len(names)
    for e in GALLERY:
        assert set(e.kwargs) <= set(inspect.signature(SCENES[e.name]).parameters)
        assert e.filename == e.name + (".png" if e.name in STILLS else ".gif")
    for name in SCENES:  # one spelling: lowercase words joined by hyphens
        assert name == name.lower() and "_" not in name and " " not in name


def test_every_scene_is_a_function_of_animate_with_one_shape() -> None:
    """animate.<scene> is the scene's function (not its module), listed in __all__."""
    for name, function in SCENES.items():
        attr = name.replace("-", "_")
        assert attr in animate.__all__
        assert getattr(animate, attr) is function
        params = list(inspect.signature(function).parameters.values())
        assert params[0].name == "target" and params[0].kind is params[0].POSITIONAL_OR_KEYWORD
        assert all(p.kind is p.KEYWORD_ONLY for p in params[1:]), name
        assert "size" in inspect.signature(function).parameters


@pytest.mark.parametrize(
    ("typed", "name"),
    [("descent_1d", "descent-1d"), ("descent-1d", "descent-1d"), ("FD_error", "fd-error")],
)
def test_both_spellings_are_accepted(typed: str, name: str) -> None:
    assert scene_name(typed) == name


def test_an_unknown_scene_lists_the_names() -> None:
    with pytest.raises(ConfigError, match="descent-1d, remedies"):
        scene_name("bounce")


def test_the_gallery_renders_small_gifs(tmp_path, capsys) -> None:
    paths = render_gallery(tmp_path, quiet=True)
    assert [p.name for p in paths] == [e.filename for e in GALLERY] + [EXPLORER_PAGE[0]]
    for p in paths:
        assert p.stat().st_size > 0
        if p.suffix == ".gif":
            assert p.stat().st_size < 500_000, p.name
            with Image.open(p) as im:
                assert im.n_frames > 10
        elif p.suffix == ".html":  # the explorer page
            assert p.stat().st_size <= MAX_BYTES
            assert EXPLORER_PAGE[1] in p.read_text(encoding="utf-8")
        else:
            assert p.suffix == ".png"
    assert capsys.readouterr().err == ""


def test_an_empty_folder_name_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for empty in ("", "  "):
        with pytest.raises(ConfigError, match="empty"):
            render_gallery(empty, quiet=True)
    assert list(tmp_path.iterdir()) == []


def test_overrides_and_entries(tmp_path) -> None:
    entries = [Entry("contour", {}), Entry("field", {})]
    paths = render_gallery(
        tmp_path / "sub", quiet=True, entries=entries, overrides={"frames": 4, "size": (300, 280)}
    )
    assert [p.name for p in paths] == ["contour.gif", "field.png"]
    with Image.open(paths[0]) as im:
        assert 2 <= im.n_frames <= 4 and im.size == (300, 280)  # equal frames may merge
    with Image.open(paths[1]) as im:
        assert im.size == (300, 280)
    assert isinstance(animate.contour(frames=3, size=(200, 200)), Scene)
    assert isinstance(animate.field(size=(200, 200)), Still)


def test_scenes_and_stills_show_themselves_in_jupyter() -> None:
    """The rich repr Jupyter calls: a GIF in an <img> for a scene, PNG bytes for a still."""
    import base64
    import io

    html = animate.contour(frames=3, size=(200, 180))._repr_html_()
    assert html.startswith('<img src="data:image/gif;base64,')
    data = base64.b64decode(html.split(",", 1)[1].split('"', 1)[0])
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "GIF" and im.size == (200, 180) and im.n_frames >= 2
    png = animate.field(size=(200, 180))._repr_png_()
    with Image.open(io.BytesIO(png)) as im:
        assert im.format == "PNG" and im.size == (200, 180)


def _drawn_texts(picture: Scene | Still, i: int, monkeypatch: pytest.MonkeyPatch) -> list:
    """(text, its window extent) of every non-empty Text a full draw of frame ``i`` draws: the
    tick labels of ticks outside the view (which matplotlib keeps but never draws) are not."""
    from matplotlib.text import Text

    picture.frame(i, full=True) if isinstance(picture, Scene) else picture.frame(0)  # laid out
    seen = []
    draw = Text.draw

    def record(text: Text, renderer) -> None:
        draw(text, renderer)
        if text.get_visible() and text.get_text().strip():
            # the label itself: an annotation's extent also holds its arrow
            seen.append((text.get_text(), Text.get_window_extent(text, renderer)))

    with monkeypatch.context() as patch:
        patch.setattr(Text, "draw", record)
        picture.frame(i, full=True) if isinstance(picture, Scene) else picture.frame(0)
    return seen


@pytest.mark.parametrize("entry", GALLERY, ids=[e.name for e in GALLERY])
def test_every_text_is_whole_and_apart_at_the_gallery_size(
    entry: Entry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Titles, readouts and the last frame's stop line (wrapped on a narrow figure: the 520 px
    contour's 'converged_f ... (ended outside the domain)' was cut at both edges) are drawn
    whole and apart from each other, in the first, middle and last frame of every gallery
    picture."""
    picture = SCENES[entry.name](**entry.kwargs)
    width, height = picture.size
    n = picture.n_frames
    stop_lines = 0
    for i in sorted({0, n // 2, n - 1}):
        texts = _drawn_texts(picture, i, monkeypatch)
        assert texts
        for text, box in texts:
            inside = box.x0 >= -0.5 and box.x1 <= width + 0.5 and box.y0 >= -0.5
            assert inside and box.y1 <= height + 0.5, (entry.name, i, text, box.extents)
        for k, (text, box) in enumerate(texts):
            for other, second in texts[k + 1 :]:
                w = min(box.x1, second.x1) - max(box.x0, second.x0)
                h = min(box.y1, second.y1) - max(box.y0, second.y0)
                assert w <= 1 or h <= 1, (entry.name, i, text, other)
        stop_lines += any(text.startswith("stop") for text, _ in texts)
    if isinstance(picture, Scene) and entry.name != "derivative":  # a run's scene says why
        assert stop_lines >= 1, entry.name
