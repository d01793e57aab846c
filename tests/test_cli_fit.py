"""descentlab fit: the JSON shape of the issue, the user's CSV, bad files and settings (exit 2)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import descentlab as dl
from descentlab.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv):
    code, out, err = run(capsys, "fit", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_json_has_the_issues_shape_and_the_apis_numbers(capsys):
    doc = run_json(capsys, "linear", "--data", "engel", "--lr", "0.3", "--epochs", "40")
    assert {"model", "data", "optimizer", "parameters", "loss", "history", "status", "message"} <= (
        doc.keys()
    )
    assert doc["model"] == "linear"
    assert doc["data"].items() >= {"name": "engel", "rows": 235, "features": ["income"]}.items()
    assert doc["optimizer"] == {"name": "gd", "lr": 0.3}
    want = dl.fit("linear", "engel", dl.gd(lr=0.3), epochs=40)
    assert doc["parameters"] == {"w": want.params[0, :1].tolist(), "b": float(want.params[0, 1])}
    assert doc["loss"] == float(want.loss[0])
    e = int(want.epochs[0])
    assert doc["epochs"] == e < 40  # converged: the history stops where the run stopped
    assert doc["history"]["epoch"] == list(range(e + 1))
    assert doc["history"]["loss"] == want.history.loss[: e + 1, 0].tolist()
    assert doc["status"] == "converged" and doc["message"] == want.message[0]


def test_seeds_minibatch_holdout_and_accuracy(capsys):
    doc = run_json(
        capsys, "mlp", "--seed", "1,2", "--batch-size", "25", "--epochs", "5", "--hidden", "3",
        "--activation", "relu", "--holdout", "0.25", "--optimizer", "adam", "--lr", "0.01",
    )  # fmt: skip
    assert [r["seed"] for r in doc["runs"]] == [1, 2] and doc["seed"] == 1
    assert doc["batch_size"] == 25 and doc["data"]["rows"] == 150
    assert doc["data"]["validation_rows"] == 50
    assert set(doc["parameters"]) == {"W1", "b1", "w2", "b2"}
    assert np.shape(doc["parameters"]["W1"]) == (2, 3)
    h = doc["history"]
    assert len(h["loss"]) == len(h["val_loss"]) == len(h["accuracy"]) == 6
    assert all(0 <= a <= 1 for a in h["val_accuracy"])
    again = run_json(
        capsys, "mlp", "--seed", "1,2", "--batch-size", "25", "--epochs", "5", "--hidden", "3",
        "--activation", "relu", "--holdout", "0.25", "--optimizer", "adam", "--lr", "0.01",
    )  # fmt: skip
    assert again == doc  # reproducible from the seeds


def test_a_csv_with_a_named_target(capsys, tmp_path):
    path = tmp_path / "houses.csv"
    rng = np.random.default_rng(0)
    rows = [(a, 3 * a - 1 + rng.normal(0, 0.1), 7.0) for a in rng.uniform(0, 2, 30)]
    path.write_text("size,price,floor\n" + "".join(f"{a},{p},{f}\n" for a, p, f in rows))
    doc = run_json(capsys, "linear", "--data", str(path), "--target", "price", "--epochs", "400",
                   "--lr", "0.2")  # fmt: skip
    assert doc["data"]["features"] == ["size", "floor"] and doc["data"]["name"] == "houses.csv"
    X = np.array([[a, f] for a, _, f in rows])
    mean, sd = X.mean(axis=0), X.std(axis=0)
    sd[sd == 0] = 1.0
    A = np.column_stack([(X - mean) / sd, np.ones(30)])
    want = np.linalg.lstsq(A, [p for _, p, _ in rows], rcond=None)[0]
    got = doc["parameters"]["w"] + [doc["parameters"]["b"]]
    # The constant column standardizes to zeros: its weight gets no gradient and keeps its start.
    np.testing.assert_allclose([got[0], got[2]], [want[0], want[2]], atol=1e-7)
    assert got[1] == dl.models.linear(2).init(0)[1]


def test_text_output_names_the_run_and_its_history(capsys):
    code, out, err = run(capsys, "fit", "logistic", "--epochs", "20", "--lr", "1")
    assert code == 0 and err == ""
    assert out.startswith("logistic on iris (100 rows; petal_length, petal_width -> virginica)")
    assert "seed 0: loss" in out and "max_iter: ran all 20 epochs" in out
    assert "epoch     20" in out and "accuracy" in out


def test_a_diverging_learning_rate_is_reported_with_its_epoch(capsys):
    doc = run_json(capsys, "linear", "--lr", "1.5", "--epochs", "1000")
    assert doc["status"] == "diverged" and doc["diverged_at"] == doc["epochs"] > 0
    assert f"diverged in epoch {doc['diverged_at']}" in doc["message"]
    assert len(doc["history"]["loss"]) == doc["epochs"] + 1


def test_output_renders_the_fit_scene(capsys, tmp_path):
    out_file = tmp_path / "fit.gif"
    code, out, err = run(capsys, "fit", "linear", "--data", "line", "--epochs", "5",
                         "-o", str(out_file), "--quiet")  # fmt: skip
    assert code == 0, err
    with Image.open(out_file) as im:
        assert im.n_frames >= 5
    assert [p.name for p in tmp_path.iterdir()] == ["fit.gif"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x,y\n1,2\n3,abc\n", "row 3, column 2 ('y'): 'abc' is not a number"),
        ("x,y\n1,2\n3,4,5\n", "row 3 has 3 cells; the header has 2"),
        ("", "the file is empty"),
        ("x,y\n", "no data rows"),
    ],
)
def test_bad_csv_files_exit_2_with_one_line_and_nothing_written(capsys, tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    target = tmp_path / "out.gif"
    code, out, err = run(capsys, "fit", "linear", "--data", str(path), "-o", str(target))
    assert code == 2 and out == "" and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not target.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["svm"], "unknown model 'svm'"),
        (["linear", "--data", "nope"], "unknown data set 'nope'"),
        (["linear", "--target", "x"], "target applies to a CSV"),
        (["logistic", "--data", "engel"], "two-class model"),
        (["linear", "--epochs", "0"], "--epochs must be an integer between"),
        (["linear", "--batch-size", "0"], "--batch-size must be an integer between"),
        (["linear", "--seed", "1,x"], "--seed must be a finite number"),
        (["linear", "--holdout", "1.5"], "holdout must be a number in"),
        (["linear", "--holdout", "-0.5"], "--holdout must be a finite number > 0"),
        (["linear", "--l2", "-1"], "--l2 must be a finite number >= 0"),
        (["linear", "--hidden", "4"], "--hidden and --activation apply to the mlp"),
        (["mlp", "--activation", "sigmoid"], "unknown activation 'sigmoid'"),
        (["mlp", "--hidden", "5000"], "--hidden must be an integer between"),
        (["linear", "--optimizer", "sgd"], "unknown optimizer 'sgd'"),
        (["linear", "--lr", "-1"], "lr must be"),
        (["linear", "--epochs", "1000000", "--seed", ",".join(map(str, range(50)))], "the limit"),
        (["linear", "-o", "out.txt"], "out.txt"),
    ],
)
def test_bad_settings_exit_2(capsys, argv, message):
    code, out, err = run(capsys, "fit", *argv)
    assert code == 2 and out == "", err
    assert message in err and err.count("\n") == 1


def test_a_missing_target_column_exits_2(capsys, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,2\n")
    code, out, err = run(capsys, "fit", "linear", "--data", str(path), "--target", "c")
    assert code == 2 and "no target column 'c'; the columns are a, b" in err


def test_an_option_of_another_optimizer_warns(capsys):
    code, out, err = run(capsys, "fit", "linear", "--momentum", "0.9", "--epochs", "2")
    assert code == 0 and "--momentum has no effect with --optimizer gd" in err


def test_help_lists_fit(capsys):
    code, out, _ = run(capsys, "fit", "--help")
    assert code == 0 and "--batch-size" in out and "--holdout" in out


def test_scheduler_reaches_fit_and_its_json(capsys):
    doc = run_json(
        capsys, "linear", "--data", "line", "--optimizer", "momentum", "--lr", "0.05",
        "--batch-size", "8", "--epochs", "6", "--scheduler", "steplr", "--step-size", "4",
        "--gamma", "0.5", "--grad-tol", "0",
    )  # fmt: skip
    assert doc["scheduler"] == {"name": "steplr", "step_size": 4, "gamma": 0.5}
    want = dl.fit("linear", "line", dl.momentum(lr=0.05), batch_size=8, epochs=6, grad_tol=0,
                  scheduler=dl.steplr(4, 0.5))  # fmt: skip
    assert doc["parameters"]["b"] == float(want.params[0, 1])
    assert doc["history"]["lr"] == [None, *want.history.lr[1:, 0].tolist()]
    # one scheduler step per minibatch step: 4 steps per lr, not 4 epochs
    per_epoch = want.steps_per_epoch
    assert want.history.lr[1, 0] == 0.05 * 0.5 ** ((per_epoch - 1) // 4)


def test_scheduler_in_fits_text_header_and_its_errors(capsys):
    code, out, _ = run(capsys, "fit", "linear", "--epochs", "3", "--scheduler", "exponentiallr",
                       "--gamma", "0.9")  # fmt: skip
    assert code == 0 and "exponentiallr(gamma=0.9)" in out.splitlines()[0]
    code, _, err = run(capsys, "fit", "linear", "--scheduler", "steplr")
    assert code == 2 and "needs --step-size" in err and len(err.splitlines()) == 1
    code, _, err = run(capsys, "fit", "linear", "--gamma", "0.5")
    assert code == 2 and "needs --scheduler" in err


def _help(capsys, command: str) -> str:
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    return " ".join(out.split())


def test_help_states_the_library_defaults(capsys):
    import inspect

    from descentlab import comparison, models, schedules, training

    fit_args = inspect.signature(training.fit).parameters
    mlp_args = inspect.signature(models.mlp).parameters
    text = _help(capsys, "fit")
    assert f"epochs (<= 1,000,000; default {fit_args['epochs'].default:,})" in text
    assert f"|grad loss| < T (0: off; default {fit_args['grad_tol'].default:g})" in text
    assert f"the loss < T (0: off; default {fit_args['f_tol'].default:g})" in text
    assert f"(1 to 1024; default {mlp_args['hidden'].default})" in text
    assert f"(mlp; default {mlp_args['activation'].default})" in text
    compare_args = inspect.signature(comparison.compare).parameters
    text = _help(capsys, "compare")
    assert f"per cell (default {compare_args['starts'].default:,})" in text
    assert f"per run (default {compare_args['budget'].default:,})" in text
    lo, hi, count = compare_args["lr_grid"].default
    assert f"learning rates (default {lo:g},{hi:g},{count})" in text
    assert f"not diverged (default {compare_args['success_tol'].default:g})" in text
    cycle = inspect.signature(schedules.onecyclelr).parameters
    assert cycle["cycle_momentum"].default is True
    for command in ("run", "fit", "animate"):
        text = _help(capsys, command)
        assert "cycle momentum or beta1 (onecyclelr; default true)" in text
        assert f"cycled momentum (onecyclelr; default {cycle['base_momentum'].default:g})" in text
        assert f"cycled momentum (onecyclelr; default {cycle['max_momentum'].default:g})" in text


def test_help_reads_the_defaults_from_the_library_not_a_copy(capsys, monkeypatch):
    from descentlab import training

    def changed(model, data="line", optimizer=None, *, epochs=7, grad_tol=0.5, f_tol=0.25):
        raise AssertionError("help must not train")

    monkeypatch.setattr(training, "fit", changed)
    text = _help(capsys, "fit")
    assert "default 7)" in text and "default 0.5)" in text and "default 0.25)" in text


def test_building_the_parser_imports_no_training_or_comparison():
    import subprocess
    import sys

    code = (
        "import sys; from descentlab.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('descentlab.training', 'descentlab.comparison') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "[]\n", done.stderr
