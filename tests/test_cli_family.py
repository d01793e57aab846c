"""The CLI reaches every rule, option and schedule with torch's keyword names, dashed."""

from __future__ import annotations

import json

import pytest

from descentlab.cli import OPTIMIZER_FLAGS, SCHEDULER_FLAGS, main
from descentlab.optimizers import OPTIMIZERS
from descentlab.schedules import SCHEDULERS


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _json(capsys, *argv: str) -> dict:
    code, out, err = run_cli(capsys, "run", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--optimizer", "adamw", "--weight-decay", "0.05", "--amsgrad"],
            {"name": "adamw", "weight_decay": 0.05, "amsgrad": True},
        ),
        (["--optimizer", "nadam", "--momentum-decay", "0.01"], {"momentum_decay": 0.01}),
        (["--optimizer", "adadelta", "--rho", "0.8"], {"rho": 0.8}),
        (
            ["--optimizer", "rprop", "--etas", "0.4,1.3", "--step-sizes", "1e-6,5"],
            {"etas": [0.4, 1.3], "step_sizes": [1e-6, 5.0]},
        ),
        (
            ["--optimizer", "rmsprop", "--centered", "--momentum", "0.5"],
            {"centered": True, "momentum": 0.5},
        ),
        (["--optimizer", "momentum", "--dampening", "0.1"], {"dampening": 0.1}),
        (["--optimizer", "momentum", "--nesterov"], {"name": "nesterov"}),
        (
            ["--optimizer", "adagrad", "--lr-decay", "0.1", "--initial-accumulator-value", "0.5"],
            {"lr_decay": 0.1, "initial_accumulator_value": 0.5},
        ),
        (
            ["--optimizer", "radam", "--weight-decay", "0.1", "--decoupled-weight-decay"],
            {"decoupled_weight_decay": True},
        ),
        (
            ["--optimizer", "asgd", "--lambd", "0.001", "--t0", "10", "--alpha", "0.5"],
            {"lambd": 0.001, "t0": 10.0, "alpha": 0.5},
        ),
        (["--optimizer", "adamax", "--betas", "0.8,0.99"], {"betas": [0.8, 0.99]}),
        (["--optimizer", "newton", "--damping", "0.001"], {"damping": 0.001}),
        (["--optimizer", "lbfgs", "--history-size", "5"], {"history_size": 5}),
        (["--optimizer", "bfgs"], {"name": "bfgs"}),
        (["--optimizer", "gd", "--maximize"], {"maximize": True}),
    ],
)
def test_every_rule_and_option_is_reachable(capsys, argv: list[str], expected: dict) -> None:
    doc = _json(capsys, "himmelblau", "--start", "0.5,-1.5", "--max-iter", "30", *argv)
    for key, value in expected.items():
        assert doc["optimizer"][key] == value


def test_every_registered_optimizer_runs_from_the_cli(capsys) -> None:
    for name in OPTIMIZERS:
        doc = _json(
            capsys, "rosenbrock", "--start", "-1.2,1", "--max-iter", "5", "--optimizer", name
        )
        assert doc["optimizer"]["name"] == name


SCHEDULES = [
    ["--scheduler", "steplr", "--step-size", "10", "--gamma", "0.5"],
    ["--scheduler", "multisteplr", "--milestones", "5,10", "--gamma", "0.5"],
    ["--scheduler", "exponentiallr", "--gamma", "0.9"],
    ["--scheduler", "cosineannealinglr", "--t-max", "20", "--eta-min", "1e-5"],
    ["--scheduler", "linearlr", "--start-factor", "0.1", "--total-iters", "10"],
    [
        "--scheduler",
        "onecyclelr",
        "--max-lr",
        "0.01",
        "--anneal-strategy",
        "linear",
        "--cycle-momentum",
        "false",
    ],  # fmt: skip
    ["--scheduler", "reducelronplateau", "--factor", "0.5", "--patience", "2", "--mode", "min"],
]


@pytest.mark.parametrize("argv", SCHEDULES, ids=[a[1] for a in SCHEDULES])
def test_every_schedule_is_reachable(capsys, argv: list[str]) -> None:
    doc = _json(capsys, "himmelblau", "--start", "0,0", "--max-iter", "30", "--lr", "0.001", *argv)
    assert doc["scheduler"]["name"] == argv[1]
    assert {a[1] for a in SCHEDULES} == set(SCHEDULERS)


def test_onecycle_cycles_the_momentum_from_the_cli(capsys) -> None:
    argv = ["himmelblau", "--start", "0,0", "--max-iter", "30", "--optimizer", "momentum",
            "--scheduler", "onecyclelr", "--max-lr", "0.01", "--base-momentum", "0.8"]  # fmt: skip
    doc = _json(capsys, *argv)
    assert doc["scheduler"]["cycle_momentum"] is True and doc["scheduler"]["base_momentum"] == 0.8
    off = _json(capsys, *argv, "--cycle-momentum", "false")
    assert (
        off["scheduler"]["cycle_momentum"] is False and off["runs"][0]["x"] != doc["runs"][0]["x"]
    )
    for bad, message in (
        (["--optimizer", "gd"], "no momentum or beta1"),
        (["--cycle-momentum", "maybe"], "--cycle-momentum takes true or false"),
    ):
        code, _, err = run_cli(capsys, "run", *argv, *bad)
        assert code == 2 and message in err and len(err.splitlines()) == 1


def test_schedule_is_in_the_text_header(capsys) -> None:
    code, out, _ = run_cli(
        capsys, "run", "quartic", "--start", "2", "--scheduler", "exponentiallr", "--gamma", "0.99"
    )
    assert code == 0 and out.splitlines()[0].endswith("exponentiallr(gamma=0.99)")


BAD = [
    (["--optimizer", "rprop", "--etas", "0.5"], "--etas takes two numbers"),
    (["--optimizer", "rprop", "--step-sizes", "a,b"], "--step-sizes"),
    (["--optimizer", "adam", "--weight-decay", "-1"], "weight_decay"),
    (["--optimizer", "adamw", "--betas", "0.9,1.5"], "beta2"),
    (["--optimizer", "lbfgs", "--history-size", "0"], "history_size"),
    (["--optimizer", "lbfgs", "--history-size", "2.5"], "--history-size"),
    (["--optimizer", "newton", "--damping", "-1"], "damping"),
    (["--optimizer", "nesterov", "--dampening", "0.5"], "dampening"),
    (["--optimizer", "adam", "--nesterov"], "--nesterov"),
    (["--optimizer", "nope"], "unknown optimizer"),
    (["--scheduler", "cosine"], "unknown scheduler"),
    (["--scheduler", "steplr"], "needs --step-size"),
    (["--step-size", "3"], "needs --scheduler"),
    (["--scheduler", "steplr", "--step-size", "3", "--t-max", "5"], "does not apply"),
    (["--scheduler", "steplr", "--step-size", "0"], "step_size"),
    (["--scheduler", "multisteplr", "--milestones", "3,x"], "--milestones"),
    (["--scheduler", "onecyclelr", "--max-lr", "1", "--total-steps", "5"], "total_steps"),
    (["--scheduler", "reducelronplateau", "--mode", "up"], "mode"),
    (["--scheduler", "linearlr", "--start-factor", "2"], "start_factor"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_values_are_one_line_and_exit_2(capsys, argv: list[str], message: str) -> None:
    code, out, err = run_cli(capsys, "run", "himmelblau", "--start", "0,0", *argv)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_help_lists_every_flag_and_name(capsys) -> None:
    code, text, _ = run_cli(capsys, "run", "--help")
    assert code == 0
    for keyword, _, _, _ in OPTIMIZER_FLAGS + SCHEDULER_FLAGS:
        assert "--" + keyword.lower().replace("_", "-") in text
    for name in list(OPTIMIZERS) + list(SCHEDULERS):
        assert name in text


def test_functions_listing_names_every_optimizer_and_schedule(capsys) -> None:
    code, out, _ = run_cli(capsys, "functions")
    assert code == 0
    lines = out.splitlines()
    assert lines[-2] == "optimizers (--optimizer): " + ", ".join(OPTIMIZERS)
    assert lines[-1] == "schedules (--scheduler): " + ", ".join(SCHEDULERS)
