"""compare: success rates over the same starts with equal budgets, checked against direct runs,
scipy's Wilson interval and the CLI's own `run`."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descentlab.cli import main
from descentlab.comparison import (
    Cell,
    _best,
    compare,
    compare_catalogue,
    lr_grid,
    wilson_interval,
)
from descentlab.descent import minimize
from descentlab.errors import ConfigError, RenderError
from descentlab.multistart import random_starts, start_domain
from descentlab.objective import as_objective
from descentlab.optimizers import OPTIMIZERS
from descentlab.result import Status

SMALL = {"starts": 40, "budget": 150, "lr_grid": (1e-3, 1.0, 4), "progress": False}


@pytest.fixture(scope="module")
def booth():
    return compare("booth", optimizers=["gd", "adam", "linesearch"], **SMALL)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---------------------------------------------------------------------------------------------
# Statistics against an independent implementation.


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_equals_scipy(case: tuple[int, int]) -> None:
    from scipy.stats import binomtest

    k, n = case
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(ci.low, abs=1e-12)
    assert hi == pytest.approx(ci.high, abs=1e-12)
    assert 0 <= lo <= k / n <= hi <= 1


@pytest.mark.parametrize(("k", "n"), [(-1, 10), (11, 10), (0, 0)])
def test_wilson_interval_refuses_impossible_counts(k: int, n: int) -> None:
    with pytest.raises(ConfigError):
        wilson_interval(k, n)


def test_lr_grid_is_log_spaced_with_exact_ends() -> None:
    grid = lr_grid(1e-4, 1.0, 13)
    assert grid[0] == 1e-4 and grid[-1] == 1.0 and grid.size == 13
    np.testing.assert_allclose(np.diff(np.log10(grid)), 1 / 3, rtol=1e-12)
    assert lr_grid(0.5, 0.5, 1).tolist() == [0.5]


@pytest.mark.parametrize(
    "spec",
    [(1.0, 0.1, 3), (0.0, 1.0, 3), (1e-3, 1.0, 0), (1e-3, float("inf"), 3), (1e-3, 1e-2, 1),
     (1e-3, 1.0, 10_000), (1e-3, 1.0, True)],
)  # fmt: skip
def test_bad_grids_are_refused(spec: tuple) -> None:
    with pytest.raises(ConfigError):
        lr_grid(*spec)


@pytest.mark.parametrize("spec", [[], [0.1, 0.01], [0.1, -1.0], [[0.1]], "abc"])
def test_bad_explicit_grids_are_refused(spec: object) -> None:
    with pytest.raises(ConfigError):
        compare("booth", lr_grid=spec, **{k: v for k, v in SMALL.items() if k != "lr_grid"})


# ---------------------------------------------------------------------------------------------
# Honesty: the table equals direct runs from the same starts.


def test_best_rates_equal_a_direct_minimize_at_the_best_lr(booth) -> None:
    objective = as_objective("booth")
    X0 = random_starts(start_domain(objective), SMALL["starts"], seed=0)
    for cell in booth.best:
        r = minimize(
            objective, X0, OPTIMIZERS[cell.optimizer](lr=cell.lr), max_iter=SMALL["budget"],
            grad_tol=0, f_tol=0, x_tol=0, record=False,
        )  # fmt: skip
        diverged = r.status == Status.DIVERGED
        success = ~diverged & (np.abs(r.fun - 0.0) <= booth.success_tol)
        assert cell.successes == int(success.sum())
        assert cell.diverged == int(diverged.sum())
        assert cell.nfev == pytest.approx(r.nfev.mean())
        if (~diverged).any():
            assert cell.median_gap == pytest.approx(float(np.median(r.fun[~diverged])), abs=0)


def test_every_cell_had_the_same_budget_and_starts(booth) -> None:
    assert {c.budget for c in booth.results} == {SMALL["budget"]}
    assert {c.runs for c in booth.results} == {SMALL["starts"]}
    assert all(c.max_iterations <= c.budget for c in booth.results)
    # Tolerances are off, so a run that neither diverged nor stalled used the whole budget.
    gd_small = booth.cells("gd")[0]
    assert gd_small.diverged == 0 and gd_small.max_iterations == SMALL["budget"]
    assert len(booth.results) == 3 * 4


def test_a_cell_equals_the_cli_run_with_tolerances_off(booth, capsys) -> None:
    cell = booth.best[0]
    code, out, _ = run_cli(
        capsys, "run", "booth", "--random-starts", str(SMALL["starts"]), "--seed", "0",
        "--optimizer", cell.optimizer, "--lr", repr(cell.lr), "--max-iter", str(SMALL["budget"]),
        "--grad-tol", "0", "--f-tol", "0", "--x-tol", "0", "--json",
    )  # fmt: skip
    assert code == 0
    runs = json.loads(out)["runs"]
    assert len(runs) == SMALL["starts"]
    ok = [r["status"] != "diverged" and abs(r["f"]) <= booth.success_tol for r in runs]
    assert sum(ok) == cell.successes


def test_diverged_runs_are_failures_never_successes() -> None:
    c = compare("booth", optimizers=["gd"], starts=30, budget=300, lr_grid=[1.0], progress=False)
    (cell,) = c.results
    assert cell.diverged == 30 and cell.diverged_rate == 1.0
    assert cell.successes == 0 and cell.success_rate == 0.0
    assert math.isnan(cell.median_gap) and math.isnan(cell.median_iterations_to_success)
    assert cell.to_json()["median_gap"] is None


def test_iterations_to_success_is_the_first_iteration_within_tolerance() -> None:
    c = compare("booth", optimizers=["gd"], starts=25, budget=200, lr_grid=[0.05], progress=False)
    (cell,) = c.results
    objective = as_objective("booth")
    X0 = random_starts(start_domain(objective), 25, seed=0)
    first = np.full(25, -1)

    def watch(t: int, X: np.ndarray, F: np.ndarray) -> None:
        newly = (first < 0) & (np.abs(F) <= c.success_tol)
        first[newly] = t

    minimize(objective, X0, OPTIMIZERS["gd"](lr=0.05), max_iter=200, grad_tol=0, f_tol=0,
             x_tol=0, callback=watch, record=False)  # fmt: skip
    f0 = objective.value(X0)
    first[(first < 0) & (np.abs(f0) <= c.success_tol)] = 0
    assert cell.successes == int((first >= 0).sum())
    assert cell.median_iterations_to_success == float(np.median(first[first >= 0]))


def test_a_formula_without_minima_uses_the_best_value_found_and_says_so() -> None:
    c = compare("(x - 1)^2 + 2(y + 0.5)^2 + 3", optimizers=["gd", "adam"], **SMALL)
    assert c.reference == "best found"
    objective = as_objective("(x - 1)^2 + 2(y + 0.5)^2 + 3")
    X0 = random_starts(start_domain(objective), SMALL["starts"], seed=0)
    best = min(
        minimize(objective, X0, OPTIMIZERS[name](lr=lr), max_iter=SMALL["budget"], grad_tol=0,
                 f_tol=0, x_tol=0, record=False).fun.min()
        for name in ("gd", "adam") for lr in c.lrs
    )  # fmt: skip
    assert c.reference_f == best
    assert c.reference_f == pytest.approx(3.0, abs=1e-12)
    assert "best value any run found" in c.table()
    assert c.to_json()["reference"] == "best found"


def test_the_same_seed_gives_the_same_record_and_another_seed_other_starts() -> None:
    a = compare("himmelblau", optimizers=["adam"], **SMALL).to_json()
    b = compare("himmelblau", optimizers=["adam"], **SMALL).to_json()
    c = compare("himmelblau", optimizers=["adam"], seed=1, **SMALL).to_json()
    assert a == b
    assert [r["median_gap"] for r in a["results"]] != [r["median_gap"] for r in c["results"]]


def test_the_best_lr_is_the_highest_rate_then_fewest_iterations() -> None:
    def cell(lr: float, rate: float, iters: float, gap: float = 0.0) -> Cell:
        n = 100
        return Cell("gd", lr, n, 10, 10, int(rate * n), rate, (0, 1), 0, 0.0, (0, 1), gap, iters, 1)

    assert _best([cell(0.1, 0.5, 3), cell(0.2, 0.9, 50), cell(0.3, 0.9, 40)]).lr == 0.3
    assert _best([cell(0.1, 0.0, math.nan, 1.0), cell(0.2, 0.0, math.nan, 0.5)]).lr == 0.2
    assert _best([cell(0.1, 0.9, math.nan), cell(0.2, 0.9, 7)]).lr == 0.2


def test_json_has_the_documented_shape(booth) -> None:
    doc = booth.to_json()
    for key in ("target", "starts", "budget", "seed", "success_tol", "reference_f", "reference"):
        assert key in doc
    row = doc["results"][0]
    for key in ("optimizer", "lr", "success_rate", "success_ci", "diverged_rate", "median_gap",
                "median_iterations_to_success", "nfev"):  # fmt: skip
        assert key in row
    assert [b["optimizer"] for b in doc["best"]] == ["gd", "adam", "linesearch"]
    json.dumps(doc, allow_nan=False)


def test_line_search_pays_for_its_trial_points(booth) -> None:
    ls = booth.cells("linesearch")[-1]
    assert ls.nfev > SMALL["budget"] + 1  # more than one evaluation per iteration
    gd = booth.cells("gd")[0]
    assert gd.nfev == SMALL["budget"] + 1


def test_cells_on_threads_equal_cells_run_one_by_one(booth, monkeypatch) -> None:
    import numba

    objective = as_objective("booth")
    opts = ["gd", "adam", "linesearch"]
    monkeypatch.setattr(numba, "get_num_threads", lambda: 1)  # one worker: cells in order
    alone = compare(objective, optimizers=opts, **SMALL)
    assert alone.to_json() == booth.to_json()  # nan as None: comparable
    # Each cell's evaluations reach the objective's own counter, with threads or without.
    counted = objective.nfev
    assert counted == sum(round(c.nfev * c.runs) for c in alone.results)
    monkeypatch.undo()
    threaded = compare(objective, optimizers=opts, **SMALL)
    assert threaded.to_json() == booth.to_json()
    assert objective.nfev == 2 * counted


# ---------------------------------------------------------------------------------------------
# Bad input.


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"optimizers": ["gd", "nope"]}, "unknown optimizer"),
        ({"optimizers": []}, "at least one"),
        ({"optimizers": "gd"}, "list of names"),
        ({"optimizers": ["gd", "gd"]}, "twice"),
        ({"starts": 0}, "starts"),
        ({"starts": 2.5}, "starts"),
        ({"budget": 0}, "budget"),
        ({"seed": -1}, "seed"),
        ({"success_tol": 0.0}, "success_tol"),
        ({"success_tol": float("nan")}, "success_tol"),
        ({"hyperparameters": {"adam": {"lr": 0.1}}}, "from the grid"),
        ({"hyperparameters": {"rmsprop": {"alpha": 0.9}}}, "not compared"),
        ({"hyperparameters": {"gd": {"momentum": 0.9}}}, "bad hyperparameters"),
        ({"hyperparameters": {"adam": {"betas": (2.0, 0.9)}}}, "beta1"),
    ],
)
def test_bad_settings_are_refused_before_any_run(kwargs: dict, match: str) -> None:
    settings_ = {"optimizers": ["gd", "adam"], **SMALL, **kwargs}
    with pytest.raises(ConfigError, match=match):
        compare("booth", **settings_)


@pytest.mark.parametrize(
    "argv",
    [
        ["compare"],
        ["compare", "booth", "--catalogue"],
        ["compare", "booth", "--optimizers", "gd,nope"],
        ["compare", "booth", "--starts", "0"],
        ["compare", "booth", "--budget", "0"],
        ["compare", "booth", "--lr-grid", "1,0.1,3"],
        ["compare", "booth", "--lr-grid", "0.1,1"],
        ["compare", "booth", "--lr-grid", "0.1,1,0"],
        ["compare", "booth", "--success-tol", "-1"],
        ["compare", "booth", "--momentum", "0.5", "--optimizers", "adam"],
        ["compare", "rosenbrok"],
        ["compare", "nosuchfunction_zz"],
        ["compare", "booth", "-o", "figure.gif"],
        ["compare", "booth", "-o", "no/such/folder/figure.png"],
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(
    argv: list[str], capsys, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("descentlab: error: ")
    assert list(tmp_path.iterdir()) == []


def test_cli_prints_the_summary_and_writes_the_figure(capsys, tmp_path) -> None:
    path = tmp_path / "c.png"
    code, out, _ = run_cli(
        capsys, "compare", "booth", "--optimizers", "gd,adam", "--starts", "30", "--budget",
        "100", "--lr-grid", "1e-2,1,3", "-o", str(path), "--quiet",
    )  # fmt: skip
    assert code == 0
    assert "best lr" in out and "gd" in out and "adam" in out and "catalogue" in out
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["c.png"]


def test_cli_json_is_one_document(capsys) -> None:
    code, out, _ = run_cli(
        capsys, "compare", "booth", "--optimizers", "adam", "--starts", "10", "--budget", "50",
        "--lr-grid", "0.1,0.1,1", "--betas", "0.8,0.99", "--json",
    )  # fmt: skip
    assert code == 0
    doc = json.loads(out)
    assert doc["hyperparameters"] == {"adam": {"betas": [0.8, 0.99]}}
    assert doc["results"][0]["lr"] == 0.1


# ---------------------------------------------------------------------------------------------
# Figures and the catalogue.


def test_the_compare_still_is_registered_and_in_the_gallery() -> None:
    from descentlab.animate import SCENES, STILLS
    from descentlab.animate.gallery import GALLERY

    assert "compare" in STILLS and "compare" in {e.name for e in GALLERY}
    still = SCENES["compare"](
        "booth", optimizers=["gd"], starts=5, budget=20, lr_grid=(0.01, 0.1, 2)
    )
    assert still.info["comparison"].starts == 5


def test_the_figure_draws_each_optimizers_rates(booth) -> None:
    fig = booth.figure().fig
    ax_rate, ax_gap = fig.axes[:2]
    lines = [line for line in ax_rate.get_lines() if line.get_label() in booth.optimizers]
    assert [line.get_label() for line in lines] == list(booth.optimizers)
    for line, name in zip(lines, booth.optimizers, strict=True):
        np.testing.assert_allclose(
            line.get_ydata(), [100 * c.success_rate for c in booth.cells(name)]
        )
        np.testing.assert_allclose(line.get_xdata(), booth.lrs)
    colours = {line.get_color() for line in lines}
    assert len(colours) == len(lines)
    assert ax_rate.get_xscale() == "log" and ax_gap.get_yscale() == "log"


def test_save_is_atomic_and_refuses_animation_formats(booth, tmp_path) -> None:
    with pytest.raises(RenderError, match="still is one picture"):
        booth.save(tmp_path / "c.mp4")
    booth.save(tmp_path / "c.svg")
    assert (tmp_path / "c.svg").read_text().lstrip().startswith("<?xml")
    assert [p.name for p in tmp_path.iterdir()] == ["c.svg"]


def test_catalogue_runs_nd_forms_at_two_and_ten(tmp_path) -> None:
    seen: list = []
    cc = compare_catalogue(
        names=["quartic", "sphere"], optimizers=["gd", "adam"], starts=10, budget=50,
        lr_grid=(1e-2, 1e-1, 2), progress=False, each=seen.append,
    )  # fmt: skip
    assert [c.target for c in cc.comparisons] == ["quartic", "sphere (n=2)", "sphere (n=10)"]
    assert seen == list(cc.comparisons)  # each function handed over as it was done
    assert [c.dim for c in cc.comparisons] == [1, 2, 10]
    assert cc.rates().shape == (3, 2)
    text = cc.table()
    assert "sphere (n=10)" in text
    doc = cc.to_json()
    assert doc["optimizers"] == ["gd", "adam"] and len(doc["functions"]) == 3
    still = cc.figure()
    assert still.info["catalogue"] is cc
    image = still.fig.axes[0].get_images()[0]
    np.testing.assert_allclose(image.get_array(), 100 * cc.rates())
    cc.save(tmp_path / "heat.png")
    assert (tmp_path / "heat.png").exists()
