"""The gallery: every scene and still renders, GIFs stay under 500 KB, quiet when asked."""

from __future__ import annotations

import inspect

from PIL import Image

from descentlab.animate.engine import Scene, Still
from descentlab.animate.gallery import GALLERY, SCENE_FUNCTIONS, STILLS, Entry, render_gallery


def test_registry_covers_every_scene_and_still() -> None:
    assert set(SCENE_FUNCTIONS) == {
        "remedies",
        "contour",
        "surface",
        "race",
        "field",
        "fd-error",
        "lr-sweep",
        "basins",
        "linesearch",
    }
    assert STILLS.issubset(SCENE_FUNCTIONS)
    in_gallery = {e.function for e in GALLERY}
    assert set(SCENE_FUNCTIONS.values()) <= in_gallery
    names = [e.filename for e in GALLERY]
    assert len(set(names)) == len(names)
    for e in GALLERY:
        assert set(e.kwargs) <= set(inspect.signature(e.function).parameters)


def test_the_gallery_renders_small_gifs(tmp_path, capsys) -> None:
    paths = render_gallery(tmp_path, quiet=True)
    assert [p.name for p in paths] == [e.filename for e in GALLERY]
    for p in paths:
        assert p.stat().st_size > 0
        if p.suffix == ".gif":
            assert p.stat().st_size < 500_000, p.name
            with Image.open(p) as im:
                assert im.n_frames > 10
        else:
            assert p.suffix == ".png"
    assert capsys.readouterr().err == ""


def test_overrides_and_entries(tmp_path) -> None:
    from descentlab.animate import contour, stills

    entries = [Entry("c.gif", contour.contour, {}), Entry("f.png", stills.field, {})]
    paths = render_gallery(
        tmp_path / "sub", quiet=True, entries=entries, overrides={"frames": 4, "size": (300, 280)}
    )
    with Image.open(paths[0]) as im:
        assert 2 <= im.n_frames <= 4 and im.size == (300, 280)  # equal frames may merge
    with Image.open(paths[1]) as im:
        assert im.size == (300, 280)
    assert isinstance(contour.contour(frames=3, size=(200, 200)), Scene)
    assert isinstance(stills.field(size=(200, 200)), Still)
