"""The explorer page: built offline, and in real Chromium it agrees with the library.

The page carries its own parser, autodiff, update rules and stop tests (JavaScript); these tests
compare them with descentlab's Python ones: refusals (same message and column), gradients, and
whole paths of ``minimize`` for every optimizer on catalogue functions and random formulas.
"""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlencode

import numpy as np
import pytest
import test_hostile as hostile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import SMOOTH_BOX, smooth_trees, trees
from test_html_player import ARGS, _browser_or_skip
from test_parser import BAD

from descentlab.cli import main
from descentlab.descent import minimize
from descentlab.errors import ConfigError, ParseError, RenderError
from descentlab.explorer import (
    EXPLORER_OPTIMIZERS,
    MAX_BYTES,
    RACING,
    Explorer,
    _script_json,
    config,
    explore,
)
from descentlab.expr import parse_with_variables
from descentlab.objective import Objective
from descentlab.optimizers import OPTIMIZERS
from descentlab.problems import PROBLEMS
from descentlab.result import Status
from descentlab.schedules import SCHEDULERS
from descentlab.stationary import linear_gradient, refuse_unbounded

STEPS = 500


# ------------------------------------------------------------------------------------------------
# The page in Chromium (one browser for the module).


class Browser:
    """A Chromium page on a saved explorer file, recording network requests and errors."""

    def __init__(self, playwright, executable: str) -> None:
        self.browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        self.requests: list[str] = []
        self.errors: list[str] = []

    def open_plain(self, url: str, *, viewport: tuple[int, int] = (1280, 720)):
        page = self.browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))
        page.goto(url)
        return page

    def open(self, url: str, *, viewport: tuple[int, int] = (1280, 720)):
        page = self.open_plain(url, viewport=viewport)
        page.wait_for_function("() => window.descentlab && window.descentlab.ui")
        return page

    def external(self) -> list[str]:
        return [u for u in self.requests if not u.startswith("file:")]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    executable = _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = Browser(p, executable)
        try:
            yield b
        finally:
            b.browser.close()


@pytest.fixture(scope="module")
def page_url(tmp_path_factory) -> str:
    return explore().save(tmp_path_factory.mktemp("explore") / "explore.html").as_uri()


@pytest.fixture(scope="module")
def page(browser, page_url):
    p = browser.open(page_url)
    yield p
    p.close()


# ------------------------------------------------------------------------------------------------
# Paths: the page's run() against minimize().

# Catalogue functions with a start and learning rates at which no path is chaotic: a chaotic path
# (gd bouncing across a valley with lr > 2/L) amplifies a one-ulp difference between the C
# library's sin/exp and the browser's, which no port can promise to reproduce.
CATALOGUE_RUNS = {
    "quartic": ((3.0,), {"gd": 0.01, "linesearch": 1.0}),
    "notebook-trig": (None, {}),
    "rosenbrock": ((-1.2, 1.0), {"gd": 1e-3, "momentum": 1e-4, "nesterov": 1e-4, "adagrad": 0.1,
                                 "rmsprop": 1e-3, "adam": 0.02}),
    "himmelblau": ((0.5, -1.5), {}),
    "beale": ((1.0, 1.0), {"gd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3}),
    "booth": ((-5.0, 7.0), {}),
    "matyas": ((8.0, -6.0), {}),
    # lr 1 spins at the precision limit where glibc's pow(x, 6) is 0.501 ulp off (the page's is
    # correctly rounded), so one Armijo test flips
    "three-hump-camel": ((1.5, 1.5), {"gd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3,
                                      "linesearch": 0.75}),
    "six-hump-camel": ((1.0, 0.5), {}),
    "ackley": ((2.5, 2.5), {"gd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3}),
    "easom": ((2.0, 2.0), {}),
    "saddle": ((1.5, 1e-3), {}),
    "forrester": ((0.5,), {"gd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3}),
    "gramacy-lee": ((1.0,), {"gd": 1e-3, "momentum": 1e-4, "nesterov": 1e-4}),
    "sphere": ((1.5, 1.5), {}),
}  # fmt: skip
POLYNOMIALS = {"quartic", "rosenbrock", "himmelblau", "beale", "booth", "matyas",
               "three-hump-camel", "six-hump-camel", "saddle", "sphere"}  # fmt: skip


def _python_path(formula: str, start, name: str, hyper: dict, steps: int = STEPS):
    objective = Objective.from_formula(formula)
    result = minimize_row(objective, start, OPTIMIZERS[name](**hyper), steps)
    return result


def minimize_row(objective, start, optimizer, steps):
    from descentlab.descent import minimize

    r = minimize(objective, np.array(start, dtype=float), optimizer, max_iter=steps, record=True)
    return r.trajectory.xs[:, 0, :], Status(r.status[0]).label


def _page_runs(page, specs: list[dict]) -> list[dict]:
    return page.evaluate(
        """specs => specs.map(s => {
            const r = window.descentlab.run(s);
            return {xs: r.xs, status: r.status};
        })""",
        specs,
    )


def _compare(specs: list[dict], got: list[dict], rtol: float) -> list[str]:
    bad = []
    for spec, js in zip(specs, got, strict=True):
        xs, status = _python_path(
            spec["formula"], spec["start"], spec["optimizer"], spec["hyperparameters"]
        )
        jxs = np.array(js["xs"], dtype=float).reshape(-1, xs.shape[1])
        where = f"{spec['optimizer']} {spec['hyperparameters']} on {spec['formula']!r}"
        # minimize may record a finished row again, frozen, at the run's last iteration
        frozen = np.array_equal(
            xs[len(jxs) - 1 :],
            np.repeat(xs[len(jxs) - 1 : len(jxs)], len(xs) - len(jxs) + 1, axis=0),
        )
        if js["status"] != status or len(jxs) > len(xs) or not frozen:
            bad.append(f"{where}: {js['status']} after {len(jxs) - 1} vs {status} {len(xs) - 1}")
            continue
        xs = xs[: len(jxs)]
        err = np.abs(jxs - xs) / np.maximum(1.0, np.abs(xs))
        if not err.max() <= rtol:
            bad.append(f"{where}: relative difference {err.max():.2e} at step {err.argmax()}")
    return bad


def _specs(formula: str, start, lrs: dict) -> list[dict]:
    return [
        {"formula": formula, "start": list(start), "optimizer": name, "steps": STEPS,
         "hyperparameters": {"lr": lrs[name]} if name in lrs else {}}
        for name in EXPLORER_OPTIMIZERS
    ]  # fmt: skip


@pytest.mark.slow
def test_paths_equal_minimize_on_catalogue_functions(page) -> None:
    assert len(CATALOGUE_RUNS) >= 10
    specs, tolerances = [], []
    for name, (start, lrs) in CATALOGUE_RUNS.items():
        problem = PROBLEMS[name]
        s = problem.starts[0] if start is None else start
        for spec in _specs(problem.formula, s, lrs):
            specs.append(spec)
            tolerances.append(1e-13 if name in POLYNOMIALS else 1e-10)
    got = _page_runs(page, specs)
    bad = []
    for spec, js, tol in zip(specs, got, tolerances, strict=True):
        bad += _compare([spec], [js], tol)
    assert bad == []
    statuses = {js["status"] for js in got}
    assert {"converged", "max_iter"} <= statuses  # the table exercises more than one outcome


@pytest.mark.slow
def test_paths_equal_minimize_where_they_diverge(page) -> None:
    specs = _specs("x^2 + 3y^2", (1.0, -1.0), {"gd": 0.5, "momentum": 0.5, "nesterov": 0.5})
    specs += _specs("3x^4 + 4x^3 - 12x^2 + 7", (3.0,), {"gd": 0.2})
    got = _page_runs(page, specs)
    assert _compare(specs, got, 1e-13) == []
    assert sum(js["status"] == "diverged" for js in got) >= 3


@pytest.mark.slow
def test_paths_equal_minimize_on_random_formulas(page) -> None:
    collected: list[tuple[str, list[float]]] = []

    @settings(max_examples=50, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(
        smooth_trees(max_leaves=8),
        st.tuples(st.floats(*SMOOTH_BOX), st.floats(*SMOOTH_BOX)),
    )
    def collect(tree, start) -> None:
        collected.append((str(tree), list(start)))

    collect()
    assert len(collected) >= 50
    specs = []
    for formula, start in collected:
        n = len(_python_check(formula)["variables"])
        if n == 0:  # a constant: nothing to minimize
            continue
        if linear_gradient(Objective.from_formula(formula)) is not None:
            continue  # minimize refuses a linear formula as unbounded below
        specs += _specs(formula, start[:n], {})
    got = _page_runs(page, specs)
    assert _compare(specs, got, 1e-10) == []


# ------------------------------------------------------------------------------------------------
# Gradients and refusals.


@pytest.mark.slow
def test_gradient_equals_autodiff(page) -> None:
    cases = []
    for p in PROBLEMS.values():
        if p.dim <= 2:
            lo = [a for a, _ in p.domain]
            hi = [b for _, b in p.domain]
            rng = np.random.default_rng(len(p.name))
            for point in rng.uniform(lo, hi, size=(5, p.dim)):
                cases.append((p.formula, point.tolist()))

    @settings(max_examples=60, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(smooth_trees(max_leaves=10, variables=("x", "y")),
           st.tuples(st.floats(*SMOOTH_BOX), st.floats(*SMOOTH_BOX)))  # fmt: skip
    def collect(tree, point) -> None:
        if _python_check(str(tree))["variables"]:  # constants are not objectives
            cases.append((str(tree), list(point)))

    collect()
    got = page.evaluate(
        "cases => cases.map(([f, x]) => window.descentlab.grad(f, x.slice(0, "
        "window.descentlab._internal.objective(f).dim)))",
        cases,
    )
    for (formula, point), g in zip(cases, got, strict=True):
        objective = Objective.from_formula(formula)
        x = np.array(point[: objective.dim])
        expected = objective.grad(x)
        g = np.array(g, dtype=float)
        scale = np.maximum(1.0, np.abs(expected))
        assert np.all(np.abs(g - expected) <= 1e-12 * scale), (formula, point, g, expected)


def _sendable(text: str) -> str | list[int]:
    """The text as a string, or as code points when it holds a lone surrogate (which a string
    cannot carry to the page). Plain strings go fast: a 1,000,000-character text sent as a list of
    code points costs the test runner minutes of serialization."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return [ord(c) for c in text]
    return text


def _page_check(page, texts: list[str]) -> list[dict]:
    """The page's verdict on each text (lone surrogates survive: see :func:`_sendable`)."""
    return page.evaluate(
        """texts => texts.map(t => {
            if (typeof t === "string") return window.descentlab.check(t);
            let s = "";
            for (let i = 0; i < t.length; i += 4096)
                s += String.fromCodePoint(...t.slice(i, i + 4096));
            return window.descentlab.check(s);
        })""",
        [_sendable(t) for t in texts],
    )


def _python_check(text: str) -> dict:
    try:
        _tree, names = parse_with_variables(text)
    except ParseError as error:
        return {"ok": False, "message": error.message, "column": error.column}
    return {"ok": True, "variables": list(names)}


@pytest.mark.slow
def test_refusals_match_the_parser(page) -> None:
    texts = [t for t, *_ in BAD] + [t for t, *_ in hostile.HOSTILE] + [t for t, _ in hostile.HUGE]
    texts += hostile.HARMLESS + hostile.VALID_BUT_HUGE
    texts += [
        "2x^2 - 3(x + 1)",
        "-x^2",
        "2^-x",
        "1/2x",
        "x ln(x)",
        "arcsin(x)",
        "\u03c0x",
        "2e^x",
        "2e-3x",
        "x**2**y",
        "(x-1)^2(y+1)",
        "e",
        "1e5.5",
        "x1 x2",
        "x 2",
        "sin(x)(y)",
    ]
    assert len(texts) > 150 and not all(isinstance(_sendable(t), str) for t in texts)
    got = _page_check(page, texts)
    for text, verdict in zip(texts, got, strict=True):
        assert verdict == _python_check(text), text[:80]


# Linear formulas are unbounded below: minimize refuses them (without bounds; the page has
# none), and so does the page, word for word; everything else runs in both.
LINEAR_OR_NOT = [
    "x + 2*y", "2x - 3y + 1", "x", "-x", "  x+y ", "x/3 - y*1e7", "2(x+y)/7 - pi*y", "(x+1)^1",
    "x - 0*y", "0*x + y", "exp(0)*x - sin(2)*y", "1e-20 x + 123456789012 y", "x + 2^1*y",
    "(x + y) - (x + y) + x", "-(-(x)) + 0.1y", "a + b + c + d + e + f + g + h*1234567.891011",
    "x + 1.25 y + " + " + ".join(["0.5"] * 30), "x^2 + y", "x*y", "x - x", "0*x", "sin(x)",
    "x/x", "0*x^2 + x", "x^1^2", "abs(x) + y", "x^2", "(x+1)^2 - y^2", "sqrt(x^2) + y",
]  # fmt: skip


def _minimize_refusal(formula: str) -> str | None:
    """What stationary.refuse_unbounded says of the formula, and minimize says the same."""
    objective = Objective.from_formula(formula)
    try:
        refuse_unbounded(objective)
    except ConfigError as error:
        with pytest.raises(ConfigError) as raised:
            minimize(objective, np.zeros(objective.dim), OPTIMIZERS["gd"](), max_iter=1)
        assert str(raised.value) == str(error)
        return str(error)
    minimize(objective, np.zeros(objective.dim), OPTIMIZERS["gd"](), max_iter=1)
    return None


@pytest.mark.slow
def test_the_page_refuses_linear_formulas_as_minimize_does(page) -> None:
    expected = [_minimize_refusal(f) for f in LINEAR_OR_NOT]
    assert sum(e is not None for e in expected) >= 15 and expected.count(None) >= 10
    got = page.evaluate(
        """formulas => formulas.map(formula => {
            const refusal = window.descentlab.refusal(formula);
            const dim = window.descentlab.check(formula).variables.length;
            try {
                const r = window.descentlab.run({formula, start: new Array(dim).fill(0),
                                                 optimizer: "gd", steps: 1});
                return {refusal, ran: r.status};
            } catch (err) {
                return {refusal, ran: null, error: err.message, kind: err.name};
            }
        })""",
        LINEAR_OR_NOT,
    )
    for formula, want, have in zip(LINEAR_OR_NOT, expected, got, strict=True):
        assert have["refusal"] == want, formula
        if want is None:
            assert have["ran"] is not None, formula
        else:
            assert (have["ran"], have["error"], have["kind"]) == (None, want, "ConfigError")


@pytest.mark.slow
def test_a_typed_linear_formula_shows_the_refusal(browser, page_url, tmp_path) -> None:
    page = browser.open(page_url)
    try:
        page.fill("#formula", "x^2 + 3y^2 + x*y")
        page.press("#formula", "Enter")
        page.fill("#formula", "x + 2*y")
        page.press("#formula", "Enter")
        error = page.text_content("#formula-error")
        assert error == _minimize_refusal("x + 2*y")
        assert page.is_visible("#formula-error")
        # the refused formula is not loaded: the page stays on the last one, and it runs
        assert page.evaluate("() => window.descentlab.ui.state().formula") == "x^2 + 3y^2 + x*y"
        assert all(
            "status" in r for r in page.evaluate("() => window.descentlab.ui.results()").values()
        )
        page.screenshot(path=str(tmp_path / "refusal.png"))
    finally:
        page.close()
    # a link to a linear formula opens on the page's own target and says why
    page = browser.open(page_url + "#" + urlencode({"formula": "2x - 3y"}))
    try:
        assert page.text_content("#formula-error") == _minimize_refusal("2x - 3y")
        assert page.evaluate("() => window.descentlab.ui.state().problem") == "quartic"
        assert browser.external() == [] and browser.errors == []
    finally:
        page.close()


@pytest.mark.slow
def test_random_texts_are_read_alike(page) -> None:
    texts: list[str] = []

    @settings(max_examples=300, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(st.one_of(st.text(alphabet=st.sampled_from(list("xy2.5e^*+-/() ,_sinlog\u03c0")),
                             max_size=14),
                     st.text(max_size=6), trees().map(str)))  # fmt: skip
    def collect(text: str) -> None:
        texts.append(text)

    collect()
    got = _page_check(page, texts)
    for text, verdict in zip(texts, got, strict=True):
        assert verdict == _python_check(text), repr(text)


# ------------------------------------------------------------------------------------------------
# The page itself.


@pytest.mark.slow
def test_page_is_offline_small_and_quiet(browser, page, page_url) -> None:
    assert Path(page_url.removeprefix("file://")).stat().st_size <= MAX_BYTES
    page.wait_for_timeout(100)
    assert browser.external() == []
    assert browser.errors == []
    state = page.evaluate("() => window.descentlab.ui.state()")
    assert state["problem"] == "quartic" and len(state["start"]) == 1
    results = page.evaluate("() => window.descentlab.ui.results()")
    assert sorted(results) == sorted(RACING)  # the others are off until clicked


@pytest.mark.slow
def test_click_slider_formula_and_fragment(browser, page_url) -> None:
    page = browser.open(page_url)
    try:
        page.select_option("#fn", "himmelblau")
        before = page.evaluate("() => window.descentlab.ui.results()")
        box = page.locator("#plot").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.7)
        after = page.evaluate("() => window.descentlab.ui.results()")
        state = page.evaluate("() => window.descentlab.ui.state()")
        # the click put the start where it landed (domain [-5, 5]^2), and every path moved
        assert state["start"][0] == pytest.approx(-2.0, abs=0.1)
        assert state["start"][1] == pytest.approx(-2.0, abs=0.1)
        assert all(before[k]["last"] != after[k]["last"] for k in after)

        # a learning-rate slider recomputes at once
        n = page.evaluate("() => window.descentlab.ui.stats().recomputes")
        page.fill("#lr-gd", "-1")  # fires "input"
        assert page.evaluate("() => window.descentlab.ui.stats().recomputes") == n + 1
        assert page.evaluate("() => window.descentlab.ui.state().lr.gd") == 0.1

        # a typed formula draws; a bad one shows its error with the column, and the page lives on
        page.fill("#formula", "x^2 + 3y^2 + x*y")
        page.press("#formula", "Enter")
        assert page.evaluate("() => window.descentlab.ui.state().formula") == "x^2 + 3y^2 + x*y"
        assert page.is_hidden("#formula-error")
        page.fill("#formula", "x^2 + * y")
        page.press("#formula", "Enter")
        error = page.text_content("#formula-error")
        assert "found '*' at column 7" in error and error.endswith("      ^")
        assert page.evaluate("() => window.descentlab.ui.state().formula") == "x^2 + 3y^2 + x*y"

        # the fragment holds the set-up; a new page opened on it restores it
        page.select_option("#rule", "momentum")
        page.fill("#opt-momentum", "0.5")
        page.click("#on-adam")
        page.click("#on-nadam")
        page.select_option("#schedule", "exponentiallr")
        url = page.url
        assert page.evaluate("() => window.descentlab.ui.state().opts.momentum") == {
            "momentum": 0.5
        }
        state = page.evaluate("() => window.descentlab.ui.state()")
        again = browser.open(url)
        try:
            assert again.evaluate("() => window.descentlab.ui.state()") == state
            assert again.evaluate("() => window.descentlab.ui.results()") == page.evaluate(
                "() => window.descentlab.ui.results()"
            )
        finally:
            again.close()
        results = page.evaluate("() => window.descentlab.ui.results()")
        assert "adam" not in results and "nadam" in results
        assert browser.external() == [] and browser.errors == []
    finally:
        page.close()


def _ui_matches_minimize(page, name: str, hyper: dict, scheduler=None) -> None:
    """The page's result for ``name`` is minimize's, from the page's start, for its settings."""
    state = page.evaluate("() => window.descentlab.ui.state()")
    got = page.evaluate("() => window.descentlab.ui.results()")[name]
    r = minimize(
        Objective.from_problem(state["problem"]), np.array(state["start"]),
        OPTIMIZERS[name](**hyper), max_iter=state["maxIter"], scheduler=scheduler, record=False,
    )  # fmt: skip
    assert got["status"] == Status(r.status[0]).label
    assert np.allclose(got["last"], r.x[0], rtol=1e-12, atol=0), (got, r.x[0])


@pytest.mark.slow
def test_rule_options_and_schedule_controls(browser, page_url) -> None:
    from descentlab.schedules import onecyclelr, steplr

    page = browser.open(page_url + "#fn=booth&start=-5,7")
    ui = "() => window.descentlab.ui."
    try:
        # the picker lists every rule; the options shown are the chosen rule's, labelled
        rules = page.eval_on_selector_all("#rule option", "os => os.map(o => o.value)")
        assert rules == list(EXPLORER_OPTIMIZERS)
        page.select_option("#rule", "rmsprop")
        inputs = page.eval_on_selector_all(
            "#rule-params input, #rule-params select",
            "es => es.map(e => [e.id, Boolean(e.labels.length || e.getAttribute('aria-label'))])",
        )
        assert [i for i, _ in inputs] == [f"opt-{k}" for k in config()["optimizers"]["rmsprop"]
                                          if k != "lr"]  # fmt: skip
        assert all(labelled for _, labelled in inputs)
        page.focus("#rule")  # reachable by keyboard: the rule, its defaults button, its options
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.id") == "opt-alpha"

        # a bad value is refused with the library's message and nothing is recomputed
        page.click("#on-rmsprop")  # off, and on again: a recompute
        page.click("#on-rmsprop")
        before = page.evaluate(ui + "stats().recomputes")
        for text, phrase in [("1.5", "alpha must be a number in [0, 1)"), ("abc", "not a number"),
                             ("", "not a number")]:  # fmt: skip
            page.fill("#opt-alpha", text)
            assert phrase in page.text_content("#rule-error")
            assert page.get_attribute("#opt-alpha", "aria-invalid") == "true"
        assert page.evaluate(ui + "stats().recomputes") == before
        page.fill("#opt-alpha", "0.9")
        page.check("#opt-centered")
        assert page.is_hidden("#rule-error")
        assert page.evaluate(ui + "state().opts.rmsprop") == {"alpha": 0.9, "centered": True}
        _ui_matches_minimize(page, "rmsprop", {"alpha": 0.9, "centered": True})
        page.select_option("#rule", "rprop")
        page.fill("#opt-etas-1", "1.0")
        assert "etaplus must be a finite number > 1" in page.text_content("#rule-error")
        page.fill("#opt-etas-1", "1.3")
        page.click("#on-rprop")
        _ui_matches_minimize(page, "rprop", {"etas": (0.5, 1.3)})

        # a schedule: its parameters, the lr now, the same paths as minimize with it
        page.select_option("#schedule", "steplr")
        assert page.input_value("#sched-step_size") == "100"
        assert page.is_visible("#chart-lr") and page.text_content("#lr-gd-now") != ""
        page.fill("#sched-gamma", "2")
        assert "gamma must be a number in (0, 1]" in page.text_content("#schedule-error")
        page.fill("#sched-gamma", "0.5")
        assert page.is_hidden("#schedule-error")
        assert page.evaluate(ui + "state().sched") == {
            "name": "steplr", "parameters": {"gamma": 0.5}}  # fmt: skip
        _ui_matches_minimize(page, "gd", {}, steplr(100, 0.5))
        _ui_matches_minimize(page, "rmsprop", {"alpha": 0.9, "centered": True}, steplr(100, 0.5))
        page.fill("#iter", "150")  # the lr shown is the one of the iteration shown
        assert page.text_content("#lr-gd-now") == "0.005"
        # onecyclelr cycles the momentum as torch does: a rule without one says why it cannot run
        page.select_option("#schedule", "onecyclelr")
        assert "gd: onecyclelr cycles the momentum and gd has no momentum or beta1" in (
            page.text_content("#run-errors")
        )
        _ui_matches_minimize(page, "rmsprop", {"alpha": 0.9, "centered": True}, onecyclelr(0.01))
        page.uncheck("#sched-cycle_momentum")
        assert page.is_hidden("#run-errors")
        _ui_matches_minimize(page, "gd", {}, onecyclelr(0.01, cycle_momentum=False))
        page.select_option("#schedule", "")
        assert page.is_hidden("#chart-lr") and page.evaluate(ui + "state().sched") is None
    finally:
        page.close()
    # a link with settings the library refuses (or that are not JSON) keeps the defaults
    bad = {"opt.adam": '{"betas": [2, 0.9]}', "opt.rprop": "{not json",
           "opt.gd": '{"lr": 0.5, "weight_decay": 0.1}',
           "schedule": '{"name": "steplr", "parameters": {"step_size": 0}}'}  # fmt: skip
    page = browser.open(
        page_url + "#fn=booth&" + "&".join(f"{k}={quote(v)}" for k, v in bad.items())
    )
    try:
        state = page.evaluate(ui + "state()")
        assert state["opts"]["adam"] == {} and state["opts"]["rprop"] == {}
        assert state["opts"]["gd"] == {"weight_decay": 0.1}  # accepted: kept (lr has its slider)
        assert state["sched"] is None
    finally:
        page.close()
    assert browser.external() == [] and browser.errors == []


@pytest.mark.slow
def test_one_variable_view_keyboard_and_zoom(browser, page_url) -> None:
    page = browser.open(page_url)  # opens on the notebook's quartic (1-D)
    try:
        assert page.evaluate("() => window.descentlab.ui.state().view") == [-3.0, 4.0]
        box = page.locator("#plot").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
        start = page.evaluate("() => window.descentlab.ui.state().start")
        assert start[0] == pytest.approx(0.5, abs=0.05)
        page.keyboard.press("ArrowRight")  # a nudge of 1% of the view
        nudged = page.evaluate("() => window.descentlab.ui.state().start")
        assert nudged[0] == pytest.approx(start[0] + 0.07)
        results = page.evaluate("() => window.descentlab.ui.results()")
        xs, status = minimize_row(
            Objective.from_problem("quartic"), nudged, OPTIMIZERS["gd"](), 1000
        )
        assert results["gd"]["status"] == status and results["gd"]["last"] == xs[-1].tolist()

        # two-variable function: the wheel zooms about the cursor and the contours are recomputed
        page.select_option("#fn", "booth")
        contours = page.evaluate("() => window.descentlab.ui.stats().contours")
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
        page.mouse.wheel(0, -600)
        view = page.evaluate("() => window.descentlab.ui.state().view")
        assert view[1] - view[0] < 10 and view[3] - view[2] < 10  # was [-10, 10]^2
        page.wait_for_function(f"() => window.descentlab.ui.stats().contours > {contours}")
        page.click("#view-reset")
        assert page.evaluate("() => window.descentlab.ui.state().view") == [-10, 10, -10, 10]
    finally:
        page.close()
    assert browser.external() == [] and browser.errors == []


@pytest.mark.slow
def test_inline_frame_runs_without_an_address(browser, tmp_path) -> None:
    host = tmp_path / "notebook.html"
    host.write_text(f"<!DOCTYPE html><body>{explore('booth')._repr_html_()}</body>")
    page = browser.open_plain(host.as_uri())
    try:
        frame = page.frames[1]
        frame.wait_for_function("() => window.descentlab && window.descentlab.ui")
        assert frame.evaluate("() => window.descentlab.ui.state().problem") == "booth"
        box = page.locator("iframe").bounding_box()
        page.mouse.click(box["x"] + 200, box["y"] + 300)  # the plot: sets the start
        start = frame.evaluate("() => window.descentlab.ui.state().start")
        assert start != PROBLEMS["booth"].starts[0]
        # the frame ran the descents from there, as the library runs them (where the click lands
        # depends on the frame's layout, so the start, and whether 1000 steps converge, vary)
        gd_run = frame.evaluate("() => window.descentlab.ui.results().gd")
        xs, status = minimize_row(Objective.from_problem("booth"), start, OPTIMIZERS["gd"](), 1000)
        assert gd_run["status"] == status and gd_run["last"] == xs[-1].tolist()
    finally:
        page.close()
    assert browser.external() == [] and browser.errors == []


HOSTILE_TEXT = '</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2">'


@pytest.mark.slow
def test_hostile_text_is_shown_as_text(browser, page_url) -> None:
    page = browser.open(page_url)
    try:
        page.fill("#formula", HOSTILE_TEXT)
        page.press("#formula", "Enter")
        assert page.text_content("#formula-error").startswith(
            "unexpected character '<' at column 1\n" + HOSTILE_TEXT[:40]
        )
        scripts = page.locator("script").count()
        page.goto(page_url + "#formula=" + quote(HOSTILE_TEXT))
        page.wait_for_function("() => window.descentlab && window.descentlab.ui")
        assert "unexpected character '<'" in page.text_content("#formula-error")
        assert page.evaluate("() => window.pwned") is None
        assert page.locator("img").count() == 0 and page.locator("script").count() == scripts
        assert page.evaluate("() => window.descentlab.ui.state().problem") == "quartic"
    finally:
        page.close()
    assert browser.external() == [] and browser.errors == []


def test_page_data_cannot_close_its_script_element() -> None:
    text = _script_json({"title": HOSTILE_TEXT})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"title": HOSTILE_TEXT}
    html = explore("booth").html
    assert html.count("</script>") == 4  # config, bootstrap, core, ui


# ------------------------------------------------------------------------------------------------
# Python side: the builder, the CLI, the config.


def test_config_comes_from_the_library() -> None:
    data = config()
    assert data["optimizers"]["adam"] == {
        "lr": 0.001,
        "betas": [0.9, 0.999],
        "eps": 1e-8,
        "weight_decay": 0.0,
        "amsgrad": False,
        "maximize": False,
    }
    assert data["optimizers"]["adagrad"]["eps"] == OPTIMIZERS["adagrad"]().hyperparameters["eps"]
    # every first-order rule (an elementwise kernel, or the line search), none of the others
    first_order = {n for n, f in OPTIMIZERS.items() if f().kernel is not None} | {"linesearch"}
    assert set(data["optimizers"]) == set(EXPLORER_OPTIMIZERS) == first_order
    for name, defaults in data["optimizers"].items():
        hyper = {k: tuple(v) if isinstance(v, list) else v for k, v in defaults.items()}
        made, default = OPTIMIZERS[name](**hyper), OPTIMIZERS[name]()  # the factory's defaults
        assert (made.hyperparameters, made.kernel) == (default.hyperparameters, default.kernel)
        assert set(data["kinds"][name]) == set(defaults)
    assert set(data["schedules"]) == set(SCHEDULERS)
    for name, defaults in data["schedules"].items():
        params = inspect.signature(SCHEDULERS[name]).parameters
        for key, value in defaults.items():
            if params[key].default is not inspect.Parameter.empty:
                assert value == params[key].default, (name, key)
        assert (
            SCHEDULERS[name](**defaults).parameters.items()
            >= {k: v for k, v in defaults.items() if k != "milestones"}.items()
        )
    assert data["pauses"] == ["rprop"]
    assert set(data["cycles"]) == {
        "momentum", "nesterov", "rmsprop", "adam", "adamw", "nadam", "radam", "adamax"}  # fmt: skip
    assert {p["name"] for p in data["problems"]} == {
        name for name, p in PROBLEMS.items() if p.dim <= 2
    }
    assert data["stop"]["grad_tol"] == 1e-8 and data["stop"]["limit"] == 1e150
    json.dumps(data, allow_nan=False)


def test_explore_builds_one_small_page() -> None:
    page = explore()
    assert page.target == "quartic"
    assert len(page.html.encode()) <= MAX_BYTES
    assert "http://" not in page.html and "https://" not in page.html
    assert re.search(r"\beval\(|new Function|innerHTML", page.html) is None
    framed = page._repr_html_()
    assert framed.startswith("<iframe") and "<script" not in framed  # the page is escaped


@pytest.mark.parametrize(
    ("target", "error", "phrase"),
    [
        ("rosenbrok", ConfigError, "did you mean rosenbrock"),
        ("x^2 + * y", ParseError, "found '*'"),
        ("x + y + z", ConfigError, "one or two variables"),
        ("x + 2*y", ConfigError, "'x + 2*y' is linear (its gradient is (1, 2) everywhere)"),
        (3.0, ConfigError, "a name or a formula"),
    ],
)
def test_explore_refuses_bad_targets(target, error, phrase) -> None:
    with pytest.raises(error, match=re.escape(phrase)):
        explore(target)


def test_save_is_atomic_and_refuses_bad_paths(tmp_path) -> None:
    page = explore("booth")
    out = page.save(tmp_path / "e.html")
    assert out.read_text(encoding="utf-8") == page.html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.html"]
    for bad, phrase in [(tmp_path / "no" / "e.html", "does not exist"), (tmp_path, "a folder"),
                        (out / "x.html", "is a file")]:  # fmt: skip
        with pytest.raises(RenderError, match=phrase):
            page.save(bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.html"]


def test_cli_explore(tmp_path, capsys) -> None:
    out = tmp_path / "page.html"
    assert main(["explore", "himmelblau", "-o", str(out)]) == 0
    assert "himmelblau" in out.read_text() and str(out) in capsys.readouterr().out
    for argv, phrase in [
        (["explore", "rosenbrok", "-o", str(tmp_path / "a.html")], "did you mean rosenbrock"),
        (["explore", "x^^2", "-o", str(tmp_path / "a.html")], "at column 3"),
        (["explore", "booth", "-o", str(tmp_path / "missing" / "a.html")], "does not exist"),
    ]:
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1 and phrase in captured.err
        assert "Traceback" not in captured.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]


def test_explorer_repr_and_default_output(tmp_path) -> None:
    page = explore("x^2")
    assert isinstance(page, Explorer) and repr(page).startswith("Explorer(target='x^2'")
    done = subprocess.run(
        [sys.executable, "-m", "descentlab", "explore"], cwd=tmp_path, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "explore.html").stat().st_size <= MAX_BYTES


# ------------------------------------------------------------------------------------------------
# Every rule, option and schedule of the library: the page's paths against minimize's, in one
# page.evaluate per batch.

FAMILY_STEPS = 200
# Two polynomials (no transcendental function: the paths must agree to 1e-12) and one with
# log and sin, where the C library and the browser may round differently in the last bit.
FAMILY_FORMULAS = [
    ("(1 - x)^2 + 5(y - x^2)^2", (-1.0, 1.5), 1e-12),
    ("x^4 + 2y^2 + x y - x", (1.5, -1.0), 1e-12),
    ("log(1 + x^2) + 0.5(y - 1)^2 + 0.1sin(2x)", (2.0, -1.0), 1e-10),
]
RULE_CASES: list[tuple[str, dict]] = [
    ("gd", {}), ("gd", {"weight_decay": 0.1}),
    ("momentum", {}), ("momentum", {"dampening": 0.3}), ("momentum", {"weight_decay": 0.05}),
    ("nesterov", {}), ("nesterov", {"weight_decay": 0.05}),
    ("adagrad", {"lr": 0.1}), ("adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5}),
    ("adagrad", {"lr": 0.1, "weight_decay": 0.05}),
    ("rmsprop", {}), ("rmsprop", {"centered": True}), ("rmsprop", {"momentum": 0.5}),
    ("rmsprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.05}),
    ("adam", {"lr": 0.02}), ("adam", {"lr": 0.02, "amsgrad": True}),
    ("adam", {"lr": 0.02, "weight_decay": 0.05}),
    ("adamw", {"lr": 0.02}), ("adamw", {"lr": 0.02, "amsgrad": True, "weight_decay": 0.1}),
    ("nadam", {"lr": 0.02}), ("nadam", {"lr": 0.02, "momentum_decay": 0.01}),
    ("nadam", {"lr": 0.02, "weight_decay": 0.05}),
    ("nadam", {"lr": 0.02, "weight_decay": 0.05, "decoupled_weight_decay": True}),
    ("radam", {"lr": 0.02}), ("radam", {"lr": 0.02, "weight_decay": 0.05}),
    ("radam", {"lr": 0.02, "weight_decay": 0.05, "decoupled_weight_decay": True}),
    ("adamax", {"lr": 0.02}), ("adamax", {"lr": 0.02, "weight_decay": 0.05}),
    ("adadelta", {}), ("adadelta", {"rho": 0.5}), ("adadelta", {"weight_decay": 0.05}),
    ("rprop", {}), ("rprop", {"etas": [0.3, 1.5]}), ("rprop", {"step_sizes": [1e-3, 0.2]}),
    ("asgd", {}), ("asgd", {"lambd": 0.01, "alpha": 0.5, "t0": 50.0}),
    ("asgd", {"weight_decay": 0.05}),
    ("linesearch", {"c": 0.3, "shrink": 0.7, "max_backtracks": 10}),
]  # fmt: skip
SCHEDULE_CASES: list[tuple[str, dict]] = [
    ("steplr", {"step_size": 50, "gamma": 0.5}),
    ("multisteplr", {"milestones": [30, 80, 80], "gamma": 0.5}),
    ("exponentiallr", {"gamma": 0.99}),
    ("cosineannealinglr", {"T_max": 100, "eta_min": 1e-4}),
    ("cosineannealinglr", {"T_max": 100}),  # lr 0 at iteration 101: a pause, not a stall
    ("linearlr", {"start_factor": 0.25, "end_factor": 0.9, "total_iters": 20}),
    ("onecyclelr", {"max_lr": 0.05, "cycle_momentum": False}),
    ("onecyclelr", {"max_lr": 0.05, "total_steps": 400, "three_phase": True,
                    "anneal_strategy": "linear", "cycle_momentum": False}),
    ("reducelronplateau", {"factor": 0.5, "patience": 3}),
    ("reducelronplateau", {"mode": "max", "factor": 0.5, "patience": 2, "cooldown": 2,
                           "threshold_mode": "abs", "min_lr": 1e-3}),
]  # fmt: skip
SCHEDULED_RULES = [("gd", {}), ("adam", {"lr": 0.02}), ("linesearch", {}), ("rprop", {})]
# onecyclelr cycles the momentum (or beta1) of every rule that has one, as torch does
CYCLED = [{"max_lr": 0.05}, {"max_lr": 0.05, "three_phase": True, "base_momentum": 0.5}]


def _family_specs() -> tuple[list[dict], list[float]]:
    """Every rule case on the two polynomials (and each rule's first case on the third formula);
    each rule with maximize (on -f); every schedule with gd and adam on both polynomials, and with
    the line search and Rprop on the first (they run on minimize's general loop, the slowest);
    onecyclelr cycling the momentum of every rule that has one."""
    polynomials = FAMILY_FORMULAS[:2]
    cases = [(f, name, hyper, None) for f in polynomials for name, hyper in RULE_CASES]
    cases += [(FAMILY_FORMULAS[2], n, h, None) for n, h in dict(RULE_CASES[::-1]).items()]
    cases += [
        ((f"-({formula})", start, tol), name, {**hyper, "maximize": True}, None)
        for formula, start, tol in polynomials[:1]
        for name, hyper in dict(RULE_CASES).items()
        if "maximize" in inspect.signature(OPTIMIZERS[name]).parameters
    ]
    for s, p in SCHEDULE_CASES:
        scheduler = {"name": s, "parameters": p}
        cases += [(f, n, h, scheduler) for f in polynomials for n, h in SCHEDULED_RULES[:2]]
        cases += [(polynomials[0], n, h, scheduler) for n, h in SCHEDULED_RULES[2:]]
    for k, name in enumerate(config()["cycles"]):
        scheduler = {"name": "onecyclelr", "parameters": CYCLED[k % 2]}
        cases += [(f, name, {}, scheduler) for f in polynomials]
    specs = [
        {"formula": formula, "start": list(start), "optimizer": name, "hyperparameters": hyper,
         "steps": FAMILY_STEPS, "scheduler": scheduler}
        for (formula, start, _), name, hyper, scheduler in cases
    ]  # fmt: skip
    return specs, [tol for (_, _, tol), *_ in cases]


def _python_family_run(spec: dict):
    from descentlab.descent import minimize
    from descentlab.schedules import SCHEDULERS

    s = spec["scheduler"]
    hyper = {k: tuple(v) if isinstance(v, list) else v for k, v in spec["hyperparameters"].items()}
    r = minimize(
        Objective.from_formula(spec["formula"]),
        np.array(spec["start"]),
        OPTIMIZERS[spec["optimizer"]](**hyper),
        max_iter=spec["steps"],
        record=True,
        scheduler=None if s is None else SCHEDULERS[s["name"]](**s["parameters"]),
    )
    lrs = None if r.trajectory.lrs is None else r.trajectory.lrs[1:, 0]
    return r.trajectory.xs[:, 0, :], Status(r.status[0]).label, lrs


@pytest.mark.slow
def test_every_rule_option_and_schedule_equals_minimize(page) -> None:
    specs, tolerances = _family_specs()
    assert {s["optimizer"] for s in specs} == set(EXPLORER_OPTIMIZERS)
    assert {s["scheduler"]["name"] for s in specs if s["scheduler"]} == set(SCHEDULERS)
    got = page.evaluate(
        """specs => specs.map(s => {
            const r = window.descentlab.run(s);
            return {xs: r.xs, status: r.status, lrs: r.lrs};
        })""",
        specs,
    )
    bad, statuses, worst = [], set(), 0.0
    for spec, js, tol in zip(specs, got, tolerances, strict=True):
        xs, status, lrs = _python_family_run(spec)
        where = (
            f"{spec['optimizer']} {spec['hyperparameters']} {spec['scheduler']} on "
            f"{spec['formula']!r}"
        )
        jxs = np.array(js["xs"], dtype=float).reshape(-1, xs.shape[1])
        statuses.add(status)
        if js["status"] != status or len(jxs) > len(xs):
            bad.append(f"{where}: {js['status']} after {len(jxs) - 1} vs {status} {len(xs) - 1}")
            continue
        # minimize records a finished row again, frozen, at the run's last iteration
        assert (xs[len(jxs) :] == xs[len(jxs) - 1]).all(), where
        err = np.abs(jxs - xs[: len(jxs)]) / np.maximum(1.0, np.abs(xs[: len(jxs)]))
        if spec["scheduler"] is not None:
            jl = np.array(js["lrs"], dtype=float)
            # (relative; a schedule may reach lr 0, where both must be 0)
            lr_err = np.abs(jl - lrs[: len(jl)]) / np.maximum(lrs[: len(jl)], np.finfo(float).tiny)
            err = np.append(err, lr_err)
            assert len(jl) == len(jxs) - 1, where
        worst = max(worst, float(err.max()))
        if not err.max() <= tol:
            bad.append(f"{where}: relative difference {err.max():.2e}")
    assert bad == []
    assert {"converged", "max_iter"} <= statuses, statuses


RULE_REFUSALS: list[tuple[str, dict]] = [
    ("gd", {"lr": -1.0}), ("gd", {"lr": 0.0}), ("gd", {"weight_decay": -0.1}),
    ("gd", {"maximize": "yes"}),
    ("momentum", {"momentum": -0.1}), ("momentum", {"dampening": 1.5}),
    ("nesterov", {"momentum": 0.0}), ("nesterov", {"dampening": 0.1}),
    ("adagrad", {"eps": 0.0}), ("adagrad", {"lr_decay": -1.0}),
    ("adagrad", {"initial_accumulator_value": -1.0}),
    ("rmsprop", {"alpha": 1.0}), ("rmsprop", {"momentum": -1.0}), ("rmsprop", {"centered": 1}),
    ("adam", {"betas": [1.0, 0.999]}), ("adam", {"betas": [0.9]}), ("adam", {"amsgrad": 0}),
    ("adamw", {"weight_decay": -0.1}), ("adamw", {"betas": [0.9, 1.5]}),
    ("nadam", {"momentum_decay": -1.0}), ("radam", {"eps": -1.0}),
    ("adamax", {"betas": [-0.1, 0.9]}), ("adadelta", {"rho": 1.0}),
    ("rprop", {"etas": [1.0, 1.2]}), ("rprop", {"etas": [0.5, 1.0]}),
    ("rprop", {"step_sizes": [-1.0, 50.0]}), ("rprop", {"step_sizes": [1.0, 0.5]}),
    ("asgd", {"lambd": -1.0}), ("asgd", {"alpha": -1.0}), ("asgd", {"t0": -1.0}),
    ("linesearch", {"c": 0.0}), ("linesearch", {"shrink": 1.0}),
    ("linesearch", {"max_backtracks": -1}),
]  # fmt: skip
SCHEDULE_REFUSALS: list[tuple[str, dict]] = [
    ("steplr", {"step_size": 0}), ("steplr", {"step_size": 10, "gamma": 0.0}),
    ("steplr", {"step_size": 10, "gamma": 1.5}),
    ("multisteplr", {"milestones": []}), ("multisteplr", {"milestones": [3, 0]}),
    ("exponentiallr", {"gamma": 0.0}), ("cosineannealinglr", {"T_max": 0}),
    ("cosineannealinglr", {"T_max": 10, "eta_min": -1.0}),
    ("linearlr", {"start_factor": 0.0}), ("linearlr", {"end_factor": 1.5}),
    ("linearlr", {"total_iters": 0}),
    ("onecyclelr", {"max_lr": 0.0}), ("onecyclelr", {"max_lr": 0.1, "pct_start": 1.0}),
    ("onecyclelr", {"max_lr": 0.1, "anneal_strategy": "sin"}),
    ("onecyclelr", {"max_lr": 0.1, "total_steps": 50}),
    ("onecyclelr", {"max_lr": 0.1, "div_factor": 0.0}),
    ("onecyclelr", {"max_lr": 0.1, "total_steps": 3, "pct_start": 0.1}),
    ("onecyclelr", {"max_lr": 0.1}),  # gd has no momentum to cycle
    ("onecyclelr", {"max_lr": 0.1, "base_momentum": 1.0}),
    ("reducelronplateau", {"mode": "up"}), ("reducelronplateau", {"factor": 1.0}),
    ("reducelronplateau", {"patience": -1}), ("reducelronplateau", {"threshold_mode": "x"}),
    ("reducelronplateau", {"cooldown": -1}), ("reducelronplateau", {"min_lr": -1.0}),
]  # fmt: skip


def _python_refusal(name: str, hyper: dict, schedule: tuple[str, dict] | None) -> str | None:
    from descentlab.descent import _check_momentum, _check_scheduler
    from descentlab.schedules import SCHEDULERS

    try:
        hyper = {k: tuple(v) if isinstance(v, list) else v for k, v in hyper.items()}
        opt = OPTIMIZERS[name](**hyper)
        if schedule is not None:
            scheduler = SCHEDULERS[schedule[0]](**schedule[1])
            _check_scheduler(scheduler, opt, FAMILY_STEPS)
            _check_momentum(scheduler, opt, FAMILY_STEPS)
    except ConfigError as error:
        return str(error)
    return None


@pytest.mark.slow
def test_bad_settings_are_refused_as_the_library_refuses_them(page) -> None:
    cases = [(name, hyper, None) for name, hyper in RULE_REFUSALS]
    cases += [("gd", {}, s) for s in SCHEDULE_REFUSALS]
    assert {c[0] for c in cases} == set(EXPLORER_OPTIMIZERS)
    assert {c[2][0] for c in cases if c[2]} == set(SCHEDULERS)
    got = page.evaluate(
        """cases => cases.map(([optimizer, hyperparameters, s, steps]) =>
            window.descentlab.checkSettings({optimizer, hyperparameters, steps,
                scheduler: s && {name: s[0], parameters: s[1]}}))""",
        [[n, h, s, FAMILY_STEPS] for n, h, s in cases],
    )
    for (name, hyper, schedule), message in zip(cases, got, strict=True):
        expected = _python_refusal(name, hyper, schedule)
        assert expected is not None and message is not None, (name, hyper, schedule)
        # the same words; the value quoted after "(got" is printed by Python or by JavaScript
        assert message.split(" (got")[0] == expected.split(" (got")[0], (name, hyper, schedule)
    # run() refuses them too, before any step
    error = page.evaluate(
        """() => { try { window.descentlab.run({formula: "x^2", start: [1], optimizer: "adam",
            hyperparameters: {betas: [1, 0.9]}}); } catch (e) { return e.message; } }"""
    )
    assert error.startswith("beta1 must be a number in [0, 1)")
