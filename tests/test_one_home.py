"""Settings with one home: the stop defaults, the start cap and the finite-difference methods."""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import re

import pytest

from descentlab import cli, comparison, multistart
from descentlab.derivatives import finite
from descentlab.descent import minimize
from descentlab.multistart import random_starts
from descentlab.result import SCENE_STOPS, StopRule

STOPS = ("max_iter", "grad_tol", "f_tol", "x_tol")


def _help(capsys, *argv: str) -> str:
    assert cli.main([*argv, "--help"]) == 0
    return " ".join(capsys.readouterr().out.split())


def test_minimize_takes_its_stop_defaults_from_the_stop_rule() -> None:
    rule = {f.name: f.default for f in dataclasses.fields(StopRule)}
    parameters = inspect.signature(minimize).parameters
    assert {name: parameters[name].default for name in STOPS} == {n: rule[n] for n in STOPS}


def test_run_help_shows_the_stop_defaults_from_their_source(capsys) -> None:
    text = _help(capsys, "run")
    rule = StopRule()
    for name in STOPS:
        flag = "--" + name.replace("_", "-")
        shown = re.search(
            re.escape(flag) + r" [NT] (?:(?! --).)*?default ([0-9.e+-]+(?:,[0-9]{3})*)\)", text
        )
        assert shown is not None, flag
        assert float(shown.group(1).replace(",", "")) == getattr(rule, name)


def test_animate_help_says_each_scene_has_its_own_stop_settings(capsys) -> None:
    text = _help(capsys, "animate")
    for name in STOPS:
        flag = "--" + name.replace("_", "-")
        assert re.search(
            re.escape(flag) + r" [NT] (?:(?! --).)*?default: the scene's own, listed below\)", text
        ), flag
    # ... and lists them, each with its reason, read from SCENE_STOPS (the scenes' one source)
    for scene, (rule, why) in SCENE_STOPS.items():
        row = re.search(re.escape(scene) + r": max-iter ([0-9,]+), grad-tol (\S+), f-tol (\S+), "
                        r"x-tol (\S+) \((.*?)\)", text)  # fmt: skip
        assert row is not None, scene
        assert int(row.group(1).replace(",", "")) == rule.max_iter
        assert [float(row.group(i).rstrip(",")) for i in (2, 3, 4)] == [
            rule.grad_tol,
            rule.f_tol,
            rule.x_tol,
        ]
        assert row.group(5) == why


@pytest.mark.parametrize("scene", sorted(SCENE_STOPS))
def test_every_scene_runs_with_the_stop_settings_of_its_row(scene, monkeypatch) -> None:
    """Each scene's descents get exactly SCENE_STOPS's settings (and a given one replaces its
    default): minimize is watched, nothing is drawn."""
    import descentlab.descent as descent_module
    from descentlab.animate.registry import SCENES

    seen: list[dict] = []
    real = descent_module.minimize

    def watch(*args, **kwargs):
        unset = StopRule()  # what minimize uses for a setting it is not given
        seen.append({k: kwargs[k] if k in kwargs else getattr(unset, k) for k in STOPS})
        return real(*args, **kwargs)

    class Drawn(Exception):
        pass

    def stop_drawing(*_args, **_kwargs):
        raise Drawn

    monkeypatch.setattr(descent_module, "minimize", watch)
    monkeypatch.setattr("matplotlib.figure.Figure.subplots", stop_drawing)
    monkeypatch.setattr("matplotlib.figure.Figure.add_subplot", stop_drawing)
    rule = SCENE_STOPS[scene][0]
    for given in ({}, {"max_iter": 7}):
        seen.clear()
        with contextlib.suppress(Drawn):  # the scene stops at its first axes: nothing drawn
            SCENES[scene](**given)
        assert seen, f"{scene} ran no descent"
        want = {n: getattr(rule, n) for n in STOPS} | given
        for settings in seen[:1]:
            assert settings == want


def test_one_cap_on_starts(capsys) -> None:
    assert cli.MAX_STARTS is multistart.MAX_STARTS is comparison.MAX_STARTS
    assert f"<= {multistart.MAX_STARTS:,}" in _help(capsys, "run")
    with pytest.raises(Exception, match="random starts"):
        random_starts([(0, 1)], multistart.MAX_STARTS + 1, seed=0)
    too_many = str(multistart.MAX_STARTS + 1)
    assert cli.main(["run", "x^2", "--random-starts", too_many]) == 2
    assert "--random-starts" in capsys.readouterr().err


def test_the_cli_offers_the_finite_difference_methods_that_exist(capsys) -> None:
    assert cli.FD_METHODS is finite.METHODS
    assert ", ".join(finite.METHODS) in _help(capsys, "derivative")
