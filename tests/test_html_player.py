"""The HTML player plays offline in a real browser (headless Chromium through Playwright)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from descentlab.animate import Scene
from descentlab.animate.style import finish_layout, new_figure

matplotlib.use("Agg")

CHROMIUM = "/usr/bin/chromium"
# Waits on the player's clock guard against a hang only: a busy machine may delay its timers by
# seconds, and the test asserts what the player does, never how fast.
HANG_MS = 60_000
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_or_skip() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required under CI=true (apt-get install chromium)")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return path


def _scene(n_frames: int) -> Scene:
    fig = new_figure((200, 120))
    ax = fig.add_subplot()
    ax.set_xlim(0, n_frames)
    (dot,) = ax.plot([], [], "o")
    finish_layout(fig)
    return Scene(fig, [dot], lambda i: dot.set_data([i], [0]), n_frames=n_frames, fps=20)


@pytest.mark.slow
def test_player_plays_offline(tmp_path: Path) -> None:
    executable = _browser_or_skip()
    from playwright.sync_api import sync_playwright

    page_path = _scene(12).save(tmp_path / "player.html")
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            def block(route, request) -> None:  # noqa: ANN001 (Playwright's types)
                if not request.url.startswith(("file:", "data:")):
                    requests.append(request.url)
                    route.abort()
                else:
                    route.continue_()

            page.route("**/*", block)
            page.goto(page_path.as_uri())
            page.wait_for_function(
                "() => Number(document.body.dataset.frame) >= 3", timeout=HANG_MS
            )
            state = page.evaluate(
                """() => {
                    const img = document.getElementById("frame");
                    return {complete: img.complete, width: img.naturalWidth,
                            height: img.naturalHeight, counter: document.getElementById("counter")
                            .textContent, max: document.getElementById("slider").max};
                }"""
            )
            assert state["complete"] and (state["width"], state["height"]) == (200, 120)
            assert state["counter"].endswith("/ 12") and state["max"] == "11"

            # Pause stops the clock; the slider shows the chosen frame.
            page.click("#play")
            paused = page.evaluate("() => Number(document.body.dataset.frame)")
            page.wait_for_timeout(300)
            assert page.evaluate("() => Number(document.body.dataset.frame)") == paused
            page.fill("#slider", "7")
            page.dispatch_event("#slider", "input")
            assert page.evaluate("() => Number(document.body.dataset.frame)") == 7
            assert page.text_content("#counter") == "8 / 12"
            page.click("#play")
            page.wait_for_function(
                "() => Number(document.body.dataset.frame) !== 7", timeout=HANG_MS
            )
        finally:
            browser.close()
    assert errors == []
    assert requests == []


def test_scene_helper_renders() -> None:
    assert np.asarray(_scene(3).frame(2)).shape == (120, 200, 3)


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_missing_browser_fails_under_ci_and_skips_otherwise(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]
) -> None:
    monkeypatch.setattr(os.path, "exists", lambda p: False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome):
        _browser_or_skip()
