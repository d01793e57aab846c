"""Every subcommand, every bad argument: one line on stderr saying what and where, exit 2, no
traceback, nothing written. Adds to tests/test_cli.py's BAD tables (none repeated). Also: NumPy
warnings never leak on diverging runs, resource limits, and Ctrl-C during a render.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bounded import bounded
from hypothesis import given, settings
from hypothesis import strategies as st

from descentlab import cli
from descentlab.cli import main

BAD = [
    # derivative
    (["derivative", "x", "--at", ""], "--at"),
    (["derivative", "x", "--at", "1,,"], "--at"),
    (["derivative", "x", "--at", "inf"], "finite"),
    (["derivative", "x", "--at", "1", "--h", "nan"], "--h"),
    (["derivative", "x", "--at", "1", "--h", "1e-400"], "--h must be a finite number > 0"),
    (["derivative", "x", "--at", "1", "--method", "exact", "--h", "0.1"], "--h applies"),
    (["derivative", "x", "--at", "1", "--vars", ""], "--vars"),
    (["derivative", "x", "--at", "1", "--vars", "x,"], "--vars"),
    (["derivative", "x", "--at", "1", "--vars", "x,x"], "repeats"),
    (["derivative", "x", "--at", "1", "--vars", "sin"], "bad name"),
    (["derivative", "3", "--at", ""], "--at"),
    (["derivative", "sqrt(x)", "--at", "0"], "no finite derivative"),
    (["derivative", "x", "--at", "1", "--bogus"], "unrecognized"),
    # run
    (["run", "x^2", "--start", "1", "--vars", ""], "--vars"),
    (["run", "x^2", "--start", "1", "--dim", "0"], "--dim"),
    (["run", "rosenbrock", "--dim", "100000"], "--dim"),
    (["run", "rosenbrock", "--dim", "two"], "--dim"),
    (["run", "x^2", "--start", "1", "--dim", "3"], "dim=3"),
    (["run", "x^2", "--start", "1", "--lr", "inf"], "--lr"),
    (["run", "x^2", "--start", "1", "--lr", ""], "--lr"),
    (["run", "x^2", "--start", "1", "--max-iter", "1.5"], "--max-iter"),
    (["run", "x^2", "--start", "1", "--max-iter", "10000001"], "10,000,000"),
    (["run", "x^2", "--start", "1", "--f-tol", "-1"], "--f-tol"),
    (["run", "x^2", "--start", "1", "--x-tol", "nan"], "--x-tol"),
    (["run", "x^2", "--start", "1", "--optimizer", "adam", "--eps", "0"], "eps"),
    (["run", "x^2", "--start", "1", "--optimizer", "adam", "--betas", "-0.1,0.9"], "beta1"),
    (["run", "x^2", "--start", "1", "--optimizer", "adam", "--betas", "0.9,1.5"], "beta2"),
    (["run", "x^2", "--start", "1", "--optimizer", "adam", "--betas", "a,b"], "--betas"),
    (["run", "x^2", "--start", "1", "--optimizer", "rmsprop", "--alpha", "1"], "alpha"),
    (["run", "x^2", "--start", "1", "--optimizer", "momentum", "--momentum", "-1"], "momentum"),
    (["run", "x^2", "--start", "1", "--optimizer", ""], "unknown optimizer"),
    (["run", "x^2", "--start", ""], "--start"),
    (["run", "x^2", "--start", "1e308"], "not defined"),
    (["run", "x^2 + y^2", "--start", "1", "--start", "1,2"], "coordinate"),
    (["run", "x^2", "--random-starts", "-1"], "--random-starts"),
    (["run", "x^2", "--random-starts", "many"], "--random-starts"),
    (["run", "x^2", "--random-starts", "3", "--seed", "-1"], "--seed"),
    (["run", "x^2", "--random-starts", "3", "--domain", "1"], "--domain"),
    (["run", "x^2", "--random-starts", "3", "--domain", "-inf,1"], "--domain"),
    (["run", "x^2", "--random-starts", "1000000", "--trace", "--max-iter", "100"], "--trace"),
    (["run", "3", "--start", "1"], "no variables"),
    (["run", "six_hump_camel_x", "--start", "1"], "unknown function"),
    # functions
    (["functions", "extra"], "unrecognized arguments: extra"),
    (["functions", "--json", "--bogus"], "unrecognized"),
    # animate
    (["animate", "derivative", "-o", "{tmp}/file.txt/out.gif"], "file.txt"),
    (["animate", "derivative", "-o", "/proc/out.gif"], "/proc/out.gif"),
    (["animate", "derivative", "-o", "{tmp}/a.gif.txt"], ".txt"),
    (["animate", "derivative", "-o", ""], "suffix"),
    (["animate", "derivative", "--frames", "-3", "-o", "{tmp}/a.gif"], "--frames"),
    (["animate", "derivative", "--frames", "2001", "-o", "{tmp}/a.gif"], "2,000"),
    (["animate", "derivative", "--fps", "121", "-o", "{tmp}/a.gif"], "--fps"),
    (["animate", "derivative", "--fps", "1.5", "-o", "{tmp}/a.gif"], "--fps"),
    (["animate", "derivative", "--size", "0x0", "-o", "{tmp}/a.gif"], "--size"),
    (["animate", "derivative", "--size", "-100x100", "-o", "{tmp}/a.gif"], "--size"),
    (["animate", "derivative", "--size", "4001x100", "-o", "{tmp}/a.gif"], "4000"),
    (["animate", "derivative", "--at", "1,2", "-o", "{tmp}/a.gif"], "--at"),
    (["animate", "derivative", "--at", "nan", "-o", "{tmp}/a.gif"], "--at"),
    (["animate", "derivative", "log(x)", "--at", "-1", "-o", "{tmp}/a.gif"], "finite"),
    (["animate", "descent-1d", "rosenbrock", "-o", "{tmp}/a.gif"], "one variable"),
    (["animate", "descent-1d", "x^2", "--dim", "3", "-o", "{tmp}/a.gif"], "dim=3"),
    (["animate", "descent-1d", "--max-iter", "20000000", "-o", "{tmp}/a.gif"], "--max-iter"),
    (["animate", "descent-1d", "--optimizer", "nope", "-o", "{tmp}/a.gif"], "unknown optimizer"),
    (["animate", "descent-1d", "--start", "abc", "-o", "{tmp}/a.gif"], "--start"),
    (["animate", "descent-1d", "x^2", "--vars", "", "-o", "{tmp}/a.gif"], "--vars"),
    # gallery
    (["gallery", "--out", "{tmp}/file.txt"], "file.txt"),
    (["gallery", "--out", "{tmp}/file.txt/sub"], "file.txt"),
    (["gallery", "--bogus"], "unrecognized"),
]


@pytest.mark.parametrize(("argv", "phrase"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_argument_is_one_line_exit_2_nothing_written(capsys, tmp_path, argv, phrase) -> None:
    (tmp_path / "file.txt").write_text("keep me")
    before = sorted((p, p.stat().st_size) for p in tmp_path.rglob("*"))
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, err
    assert out == ""
    assert err.startswith("descentlab: error: ") and err.count("\n") == 1, err
    assert phrase.replace("{tmp}", str(tmp_path)) in err
    assert "Traceback" not in err
    assert sorted((p, p.stat().st_size) for p in tmp_path.rglob("*")) == before


def test_limits_are_in_the_help_texts() -> None:
    parser = cli.build_parser()
    sub = parser._subparsers._group_actions[0].choices
    run_help, animate_help = sub["run"].format_help(), sub["animate"].format_help()
    for text in (f"{cli.MAX_ITER_LIMIT:,}", f"{cli.MAX_STARTS:,}", f"{cli.MAX_TRACE_FLOATS:,}"):
        assert text in " ".join(run_help.split())
    for text in (f"{cli.MAX_FRAMES:,}", f"{cli.MAX_SIDE_PX:,}", f"{cli.MAX_FPS}"):
        assert text in " ".join(animate_help.split())


def test_many_starts_print_a_bounded_table(capsys) -> None:
    def run(starts: int) -> tuple[str, int]:
        with bounded(calls=10**7) as work:
            code = main(["run", "x^2", "--random-starts", str(starts), "--max-iter", "1"])
        out, err = capsys.readouterr()
        assert code == 0, err
        return out, work.calls

    run(10)  # first use: imports and compiles
    few, many = run(1_000), run(100_000)
    assert len(many[0].splitlines()) < 60
    assert "99,950 more runs" in many[0]
    # the Python work does not grow with the number of starts (it was quadratic: 400 s)
    assert many[1] <= few[1] + 10_000, (few[1], many[1])


# ------------------------------------------------------------------------------------------------
# Numerics: subprocesses with warnings as errors


def _cli_process(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "descentlab", *argv],
        capture_output=True,
        text=True,
        timeout=600,  # a guard against a hang only: a first run compiles the engine, and a busy
        **kwargs,  # machine may take minutes to do that
    )


@pytest.mark.parametrize(
    ("argv", "at"),
    [
        (["run", "x^2", "--start", "1", "--lr", "1.5"], 250),
        (["run", "rosenbrock", "--start", "-1.2,1", "--lr", "0.01"], 6),
    ],
)
def test_diverging_runs_say_where_without_warnings(argv: list[str], at: int) -> None:
    text = _cli_process(*argv)
    assert text.returncode == 0 and text.stderr == "", text.stderr
    assert "diverged" in text.stdout and f"diverged at iteration {at}:" in text.stdout
    doc = json.loads(_cli_process(*argv, "--json", "--trace").stdout)
    (run,) = doc["runs"]
    assert run["status"] == "diverged" and run["diverged_at"] == at
    assert run["message"].startswith(f"diverged at iteration {at}:")
    assert doc["minima_found"] == []


def test_undefined_at_the_start_is_a_clear_error() -> None:
    done = _cli_process("run", "log(x)", "--start", "-1")
    assert done.returncode == 2
    assert done.stderr == "descentlab: error: f is not defined at (-1): value is nan\n"


# ------------------------------------------------------------------------------------------------
# Ctrl-C during a render


@pytest.mark.parametrize("during", [True, False])
def test_an_error_in_the_clean_up_after_ctrl_c_is_an_interrupt(monkeypatch, capsys, during) -> None:
    # A Ctrl-C can land mid-frame; the renderer's clean-up may then fail (fresh-clone CI once saw
    # "internal error: ValueError: Invalid bounding box" from Agg). The user interrupted: 130.
    def handler(args, out):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            if during:
                raise ValueError("Invalid bounding box") from None  # context kept, cause hidden
        raise ValueError("Invalid bounding box")  # after the interrupt was handled: a real error

    class Parser:
        def parse_args(self, argv):
            return argparse.Namespace(command="functions", handler=handler)

    monkeypatch.setattr(cli, "build_parser", Parser)
    code = main(["functions"])
    err = capsys.readouterr().err
    if during:
        assert (code, err) == (130, "descentlab: interrupted\n")
    else:
        assert code == 1 and err.startswith("descentlab: internal error: ValueError: Invalid")


def test_ctrl_c_during_a_render_keeps_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"the good old file")
    env = dict(os.environ, PYTHONUNBUFFERED="1", MPLBACKEND="Agg")
    process = subprocess.Popen(
        [sys.executable, "-m", "descentlab", "animate", "descent-1d", "--frames", "2000",
         "--size", "400x300", "--quiet", "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    # Ready when ffmpeg has written encoded frames into the temporary file: the render is then
    # streaming frames (a readiness signal, not a guess at how long start-up takes).
    deadline = time.monotonic() + 120  # a guard against a hang only
    while process.poll() is None and time.monotonic() < deadline:
        if any(p.stat().st_size > 0 for p in tmp_path.iterdir() if p != out):
            break
        time.sleep(0.02)
    assert process.poll() is None, process.communicate()
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr == "descentlab: interrupted\n"
    assert out.read_bytes() == b"the good old file"
    assert list(tmp_path.iterdir()) == [out]


# ------------------------------------------------------------------------------------------------
# Numbers and formulas as people type them


def _json(capsys, *argv: str) -> dict:
    code = main([argv[0], "--json", *argv[1:]])  # before any "--"
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize(
    ("typed", "value"),
    [("pi", math.pi), ("-pi/2", -math.pi / 2), ("2e-1", 0.2), ("sqrt(2)", math.sqrt(2)),
     ("e", math.e), ("1/3", 1 / 3), ("2^-3", 0.125), (" 0.5 ", 0.5)],
)  # fmt: skip
def test_a_number_option_takes_constants_and_arithmetic(capsys, typed: str, value: float) -> None:
    doc = _json(capsys, "derivative", "x^2", "--at", typed)
    assert doc["point"] == [value]
    assert doc["gradient"] == [pytest.approx(2 * value, rel=1e-15)]


def test_a_point_takes_constants_in_every_coordinate(capsys) -> None:
    doc = _json(capsys, "derivative", "x*y", "--at", "pi/2,-e")
    assert doc["point"] == [math.pi / 2, -math.e]


@settings(max_examples=60, deadline=None)
@given(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["{!r}", "{:.3e}", "{:.17g}", "{:f}", "{:.0f}.", "{:E}"]),
)
def test_a_plain_number_is_the_value_the_formula_parser_gives_it(x: float, form: str) -> None:
    # A decimal literal is read by float() without the parser (nor the compiled evaluator it
    # starts): the same value, bit for bit (the sign of zero too), as the parser's.
    from descentlab.expr import evaluate, parse

    text = form.format(x)
    assert cli._PLAIN_NUMBER.fullmatch(text)
    if not math.isfinite(float(text)):  # rounded past the largest float ("1.798e+308")
        with pytest.raises(cli.ConfigError, match="too large"):  # as the parser says
            cli._number(text, "--lr")
        return
    expected = float(evaluate(parse(text), {}))
    assert struct.pack("<d", cli._number(text, "--lr")) == struct.pack("<d", expected)


def test_a_plain_number_is_read_without_the_evaluator(monkeypatch) -> None:
    import descentlab.expr

    def evaluate(*args: object) -> None:
        raise AssertionError("the evaluator ran")

    monkeypatch.setattr(descentlab.expr, "evaluate", evaluate)
    values = [cli._number(t, "--lr") for t in ("-1.5e-3", ".5", "2.", "-0", "1E+5", "1e-400")]
    assert values == [-1.5e-3, 0.5, 2.0, 0.0, 1e5, 0.0] and math.copysign(1, values[3]) == -1
    with pytest.raises(AssertionError, match="the evaluator ran"):  # anything else is parsed
        cli._number("1/2", "--lr")
    with pytest.raises(cli.ConfigError, match="too large"):  # what the parser says of 1e999
        cli._number("1e999", "--lr")


@pytest.mark.parametrize("typed", ["1e3", "1000", "10^3", "1000.0", "2*500"])
def test_a_whole_number_option_takes_exact_forms(capsys, typed: str) -> None:
    doc = _json(capsys, "run", "x^2", "--start", "1", "--lr", "1e-4", "--max-iter", typed)
    assert [run["iterations"] for run in doc["runs"]] == [1000]


@pytest.mark.parametrize(
    ("argv", "phrase"),
    [
        (["run", "x^2", "--start", "1", "--max-iter", "1e-1"], "--max-iter must be a whole number"),
        (
            ["run", "x^2", "--start", "1", "--max-iter", "2^0.5"],
            "--max-iter must be a whole number",
        ),
        (["run", "x^2", "--start", "1", "--max-iter", "1e8"], "10,000,000"),
        (["run", "x^2", "--start", "1", "--lr", "x"], "--lr must be a finite number"),
        (["run", "x^2", "--start", "1", "--lr", "1/0"], "--lr must be a finite number"),
        (["run", "x^2", "--start", "1", "--lr", "pi/"], "column"),
        (["run", "x^2", "--start", "1", "--lr", "__import__('os')"], "--lr"),
        (["derivative", "x", "--at", "y"], "--at must be finite numbers"),
        (["derivative", "x", "--at", "log(-1)"], "--at must be finite numbers"),
    ],
)
def test_what_is_not_a_number_is_refused(capsys, argv: list[str], phrase: str) -> None:
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("descentlab: error: ") and err.count("\n") == 1, err
    assert phrase in err


@pytest.mark.parametrize(
    ("formula", "at", "gradient"),
    [("-x", "1", -1.0), ("-x^2", "3", -6.0), ("-sin(x)", "0", -1.0), ("-e^x", "0", -1.0),
     ("-xy", "2", -1.0), ("-2x", "-1", -2.0)],
)  # fmt: skip
def test_a_formula_that_begins_with_a_minus_needs_no_double_dash(
    capsys, formula: str, at: str, gradient: float
) -> None:
    first = _json(capsys, "derivative", formula, "--at", at)
    dashed = _json(capsys, "derivative", "--at", at, "--", formula)
    assert first == dashed
    assert first["gradient"] == [pytest.approx(gradient, rel=1e-15)]


def test_short_options_stay_options(capsys, tmp_path: Path) -> None:
    assert main(["derivative", "-h"]) == 0
    assert "--at" in capsys.readouterr().out
    out = tmp_path / "d.png"
    assert main(["animate", "derivative", "-x^2", "--quiet", "-o", str(out)]) == 0
    assert out.stat().st_size > 0


def test_derivative_and_the_catalogue_print_formulas_alike(capsys) -> None:
    from descentlab.problems import get

    assert main(["functions"]) == 0
    catalogue = capsys.readouterr().out
    for name in ("quartic", "rosenbrock", "notebook-trig"):
        (line,) = [row for row in catalogue.splitlines() if row.split()[0] == name]
        printed = line.split(None, 6)[-1]  # name, dim, "min", "f", "=", value, formula
        assert main(["derivative", get(name).formula, "--at", ",".join(["1"] * get(name).dim)]) == 0
        first = capsys.readouterr().out.splitlines()[0]
        assert first.split(" = ", 1)[1] == printed, (first, line)
