"""Settings with one home: the stop defaults, the start cap and the finite-difference methods."""

from __future__ import annotations

import dataclasses
import inspect
import re

import pytest

from descentlab import cli, comparison, multistart
from descentlab.derivatives import finite
from descentlab.descent import minimize
from descentlab.multistart import random_starts
from descentlab.result import StopRule

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
            re.escape(flag) + r" [NT] (?:(?! --).)*?default: the scene's own\)", text
        ), flag


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
