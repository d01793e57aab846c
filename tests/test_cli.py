"""The command line, in process: ``main([...])`` with captured output (typer's way)."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from descentlab.cli import main
from descentlab.problems import PROBLEMS


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str):
    code, out, err = run_cli(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


# ------------------------------------------------------------------------------------------------
# derivative


def test_derivative_text_shows_value_gradient_symbolic_and_estimates(capsys) -> None:
    code, out, err = run_cli(capsys, "derivative", "1 + x^2", "--at", "-1")
    assert code == 0 and err == ""
    assert "f = 2" in out
    assert "d/dx = 2*x" in out
    for method in ("forward", "backward", "central", "complex", "richardson"):
        assert method in out


def test_derivative_json_document(capsys) -> None:
    doc = run_json(capsys, "derivative", "3x^4 + 4x^3 - 12x^2 + 7", "--at", "3")
    assert doc["variables"] == ["x"]
    assert doc["point"] == [3.0]
    assert doc["value"] == 3 * 81 + 4 * 27 - 12 * 9 + 7
    assert doc["gradient"] == [12 * 27 + 12 * 9 - 24 * 3]
    assert doc["derivatives"] == ["12*x^3 + 12*x^2 - 24*x"]
    assert doc["latex"] == "3x^{4} + 4x^{3} - 12x^{2} + 7"
    fd = doc["finite_differences"]
    assert set(fd) == {"forward", "backward", "central", "complex", "richardson"}
    for entry in fd.values():
        assert set(entry) == {"h", "gradient", "error", "applicable", "reason"}
        assert entry["error"] == pytest.approx(abs(entry["gradient"][0] - doc["gradient"][0]))
    # The order of accuracy of each method shows in the errors at the default steps.
    assert fd["complex"]["error"] <= 1e-12
    assert fd["central"]["error"] < fd["forward"]["error"]
    assert fd["richardson"]["error"] < 1e-9


def test_derivative_two_variables_matches_hand_gradient(capsys) -> None:
    doc = run_json(
        capsys, "derivative", "sin(x^2/2 - y^2/4 + 3)*cos(2x + 1 - e^y)", "--at", "0.5,-1"
    )
    x, y = 0.5, -1.0
    u, v = x * x / 2 - y * y / 4 + 3, 2 * x + 1 - math.exp(y)
    gx = math.cos(u) * x * math.cos(v) - 2 * math.sin(u) * math.sin(v)
    gy = -math.cos(u) * (y / 2) * math.cos(v) + math.sin(u) * math.sin(v) * math.exp(y)
    np.testing.assert_allclose(doc["gradient"], [gx, gy], rtol=1e-14)
    assert doc["variables"] == ["x", "y"]


def test_derivative_single_method_and_step(capsys) -> None:
    doc = run_json(capsys, "derivative", "x^2", "--at", "1", "--method", "forward", "--h", "0.1")
    assert list(doc["finite_differences"]) == ["forward"]
    assert doc["finite_differences"]["forward"]["h"] == [0.1]
    # (f(1.1) - f(1)) / 0.1 = 2.1, up to the rounding of the step actually taken.
    assert doc["finite_differences"]["forward"]["gradient"][0] == pytest.approx(2.1, rel=1e-12)


def test_derivative_exact_only(capsys) -> None:
    doc = run_json(capsys, "derivative", "x*y", "--at", "2,3", "--method", "exact")
    assert doc["gradient"] == [3.0, 2.0]
    assert doc["finite_differences"] == {}


def test_derivative_variable_order(capsys) -> None:
    doc = run_json(capsys, "derivative", "x - 2y", "--at", "1,2", "--vars", "y,x")
    assert doc["variables"] == ["y", "x"]
    assert doc["gradient"] == [-2.0, 1.0]


def test_negative_point_and_formula_with_leading_minus(capsys) -> None:
    doc = run_json(capsys, "derivative", "-x^2", "--at", "-1.5")
    assert doc["value"] == -2.25
    assert doc["gradient"] == [3.0]


# ------------------------------------------------------------------------------------------------
# run and functions


def test_run_reproduces_the_notebook_local_minimum(capsys) -> None:
    doc = run_json(
        capsys,
        "run", "3x^4 + 4x^3 - 12x^2 + 7",
        "--start", "3", "--start", "-3",
        "--lr", "0.001", "--grad-tol", "1e-12", "--max-iter", "100000",
    )  # fmt: skip
    assert doc["optimizer"]["name"] == "gd"
    assert doc["optimizer"]["lr"] == 0.001
    ends = [run["x"][0] for run in doc["runs"]]
    np.testing.assert_allclose(ends, [1.0, -2.0], atol=1e-10)
    assert [run["status"] for run in doc["runs"]] == ["converged", "converged"]
    assert sorted(round(m["f"]) for m in doc["minima_found"]) == [-25, 2]


def test_run_table_by_default(capsys) -> None:
    code, out, err = run_cli(capsys, "run", "rosenbrock", "--optimizer", "adam", "--lr", "0.02",
                             "--max-iter", "3000")  # fmt: skip
    assert code == 0, err
    header = out.splitlines()[1]
    for column in ("start", "end point", "f", "|grad|", "iterations", "status"):
        assert column in header


def test_run_trace_has_every_iterate(capsys) -> None:
    doc = run_json(capsys, "run", "x^2", "--start", "1", "--lr", "0.25", "--max-iter", "5",
                   "--grad-tol", "0", "--trace")  # fmt: skip
    run = doc["runs"][0]
    assert run["iterations"] == 5
    np.testing.assert_allclose([p[0] for p in run["path"]], [0.5**i for i in range(6)])
    np.testing.assert_allclose(run["values"], [0.25**i for i in range(6)])
    assert run["status"] == "max_iter"


def test_run_diverged_is_reported_not_a_minimum(capsys) -> None:
    doc = run_json(capsys, "run", "x^2", "--start", "1", "--lr", "1.5", "--max-iter", "10000")
    assert doc["runs"][0]["status"] == "diverged"
    assert doc["minima_found"] == []


def test_run_random_starts_are_reproducible_and_in_the_domain(capsys) -> None:
    args = ("run", "x^2 + y^2", "--random-starts", "5", "--seed", "7", "--domain", "-1,1",
            "--lr", "0.1")  # fmt: skip
    first = run_json(capsys, *args)
    second = run_json(capsys, *args)
    starts = np.array([r["start"] for r in first["runs"]])
    assert starts.shape == (5, 2)
    assert np.all((starts >= -1) & (starts <= 1))
    assert first == second


@pytest.mark.parametrize("name", ["adam", "momentum", "nesterov", "adagrad", "rmsprop",
                                  "linesearch"])  # fmt: skip
def test_run_every_optimizer(capsys, name: str) -> None:
    doc = run_json(capsys, "run", "(x - 1)^2 + 2(y + 0.5)^2", "--start", "0,0", "--optimizer",
                   name, "--max-iter", "20000", "--lr", "0.05")  # fmt: skip
    assert doc["optimizer"]["name"] == name
    np.testing.assert_allclose(doc["runs"][0]["x"], [1.0, -0.5], atol=1e-4)


def test_functions_json_lists_the_catalogue(capsys) -> None:
    code, out, err = run_cli(capsys, "functions", "--json")
    assert code == 0, err
    entries = json.loads(out)
    assert len(entries) == len(PROBLEMS) >= 20
    keys = {"name", "title", "formula", "latex", "dim", "domain", "minima", "starts", "smooth",
            "source"}  # fmt: skip
    for entry in entries:
        assert keys <= set(entry)
        for minimum in entry["minima"]:
            assert minimum["kind"] in ("global", "local")
            assert len(minimum["x"]) == entry["dim"]


def test_functions_text(capsys) -> None:
    code, out, _ = run_cli(capsys, "functions")
    assert code == 0
    assert "rosenbrock" in out


# ------------------------------------------------------------------------------------------------
# Bad input: one line on stderr, exit 2, nothing on stdout


BAD = [
    (["derivative", "sin(", "--at", "1"], "column"),
    (["derivative", "foo(x)", "--at", "1"], "unknown function"),
    (["derivative", "x*y", "--at", "1"], "coordinate"),
    (["derivative", "log(x)", "--at", "-1"], "not defined"),
    (["derivative", "x", "--at", "abc"], "numbers"),
    (["derivative", "x", "--at", "1", "--method", "magic"], "unknown --method"),
    (["derivative", "x", "--at", "1", "--h", "0"], "--h must be a finite number > 0"),
    (["derivative", "x", "--at", "1", "--h", "-1e-3"], "--h must be a finite number > 0"),
    (["derivative", "x", "--at", "nan"], "finite"),
    (["derivative", "x"], "--at"),
    (["derivative", "x", "--at", "1", "--vars", "y"], "misses"),
    (["run", "nosuchfunction(", "--start", "1"], "column"),
    (["run", "x^2", "--start", "1", "--optimizer", "sgdx"], "unknown optimizer"),
    (["run", "x^2", "--start", "1", "--lr", "-1"], "lr"),
    (["run", "x^2", "--start", "1", "--lr", "0"], "lr"),
    (["run", "x^2", "--start", "1", "--lr", "fast"], "--lr must be a finite number"),
    (["run", "x^2", "--start", "1,2"], "coordinate"),
    (["run", "x^2"], "--start"),
    (["run", "x^2", "--start", "1", "--max-iter", "-5"], "--max-iter"),
    (["run", "x^2", "--start", "1", "--max-iter", "1e99"], "--max-iter"),
    (["run", "x^2", "--start", "1", "--grad-tol", "-1"], "--grad-tol"),
    (["run", "x^2", "--start", "1", "--optimizer", "adam", "--betas", "0.9,1.0"], "beta"),
    (["run", "x^2", "--start", "1", "--optimizer", "adam", "--betas", "0.9"], "--betas"),
    (["run", "x^2", "--start", "1", "--optimizer", "nesterov", "--momentum", "0"], "momentum"),
    (["run", "x^2", "--random-starts", "0"], "--random-starts"),
    (["run", "x^2", "--random-starts", "2000000"], "--random-starts"),
    (["run", "x^2", "--random-starts", "3", "--domain", "2,1"], "--domain"),
    (["run", "x^2", "--start", "1", "--seed", "3"], "--seed"),
    (["run", "log(x)", "--start", "-1"], "not defined"),
    (["run", "rosenbrok", "--start", "1,1"], "rosenbrock"),
    (["run", "x^2", "--random-starts", "10", "--trace", "--max-iter", "10000000"], "--trace"),
    (["nosuchcommand"], "invalid choice"),
    (["run"], "required"),
]


@pytest.mark.parametrize(("argv", "phrase"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_and_exit_2(capsys, argv: list[str], phrase: str) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("descentlab: error: "), err
    assert phrase.lower() in err.lower()
    assert "Traceback" not in err


def test_no_command_prints_help_and_exits_2(capsys) -> None:
    code, out, _ = run_cli(capsys)
    assert code == 2
    assert "derivative" in out


def test_help_exits_0(capsys) -> None:
    code, out, _ = run_cli(capsys, "run", "--help")
    assert code == 0
    assert "--optimizer" in out


def test_internal_error_is_one_line_exit_1(capsys, monkeypatch) -> None:
    import descentlab.cli as cli

    def boom(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "_cmd_functions", boom)
    monkeypatch.delenv("DESCENTLAB_DEBUG", raising=False)
    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser._subparsers._group_actions[0].choices["functions"].set_defaults(handler=boom)
    code, out, err = run_cli(capsys, "functions")
    assert code == 1
    assert err.count("\n") == 1 and "internal error" in err and "boom" in err


# ------------------------------------------------------------------------------------------------
# animate


def test_animate_writes_a_gif_with_the_frames_asked_for(capsys, tmp_path) -> None:
    from PIL import Image

    out = tmp_path / "d.gif"
    code, stdout, err = run_cli(capsys, "animate", "descent-1d", "--frames", "12", "--size",
                                "400x200", "--quiet", "-o", str(out))  # fmt: skip
    assert code == 0, err
    with Image.open(out) as im:
        assert im.size == (400, 200)
        assert 2 <= im.n_frames <= 12 + 12  # the budget plus the final pause
    assert list(tmp_path.iterdir()) == [out]


def test_animate_custom_target_start_and_optimizer(capsys, tmp_path) -> None:
    out = tmp_path / "d.png"
    code, _, err = run_cli(capsys, "animate", "descent_1d", "quartic", "--start", "-3",
                           "--optimizer", "momentum", "--lr", "0.001", "--size", "400x200",
                           "--quiet", "-o", str(out))  # fmt: skip
    assert code == 0, err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


BAD_ANIMATE = [
    (["animate", "nosuchscene", "-o", "{tmp}/a.gif"], "unknown scene"),
    (["animate", "derivative", "-o", "{tmp}/a.txt"], ".txt"),
    (["animate", "derivative", "-o", "{tmp}/missing/a.gif"], "does not exist"),
    (["animate", "derivative", "-o", "{tmp}"], "suffix"),
    (["animate", "derivative", "--lr", "0.1", "-o", "{tmp}/a.gif"], "does not apply"),
    (["animate", "derivative", "--frames", "0", "-o", "{tmp}/a.gif"], "--frames"),
    (["animate", "derivative", "--frames", "many", "-o", "{tmp}/a.gif"], "--frames"),
    (["animate", "derivative", "--frames", "100000", "-o", "{tmp}/a.gif"], "--frames"),
    (["animate", "derivative", "--size", "10x10", "-o", "{tmp}/a.gif"], "--size"),
    (["animate", "derivative", "--size", "big", "-o", "{tmp}/a.gif"], "--size"),
    (["animate", "derivative", "--size", "99999x500", "-o", "{tmp}/a.gif"], "--size"),
    (["animate", "derivative", "--fps", "0", "-o", "{tmp}/a.gif"], "--fps"),
    (["animate", "descent-1d", "--start", "1,2", "-o", "{tmp}/a.gif"], "one --start"),
    (["animate", "descent-1d", "--lr", "-1", "-o", "{tmp}/a.gif"], "lr"),
    (["animate", "descent-1d", "sin(", "-o", "{tmp}/a.gif"], "column"),
    (["animate", "derivative"], "--output"),
    (["animate", "basins", "-o", "{tmp}/b.html"], "a still is one picture, saved as .png"),
]


@pytest.mark.parametrize(("argv", "phrase"), BAD_ANIMATE, ids=[" ".join(a) for a, _ in BAD_ANIMATE])
def test_animate_bad_input_writes_nothing(capsys, tmp_path, argv: list[str], phrase: str) -> None:
    before = sorted(tmp_path.rglob("*"))
    code, out, err = run_cli(capsys, *(a.replace("{tmp}", str(tmp_path)) for a in argv))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("descentlab: error: "), err
    assert phrase.lower() in err.lower()
    assert sorted(tmp_path.rglob("*")) == before


def test_animate_failure_keeps_the_old_file(capsys, tmp_path, monkeypatch) -> None:
    from descentlab import animate
    from descentlab.errors import RenderError

    out = tmp_path / "keep.gif"
    out.write_bytes(b"the good old file")

    real = animate.SCENES["derivative"]

    def broken(**_kwargs):
        scene = real(frames=8, tangent_frames=2, size=(300, 200))
        original = scene._update

        def update(i: int) -> None:
            if i == 3:
                raise RenderError("render failed at frame 3")
            original(i)

        scene._update = update
        return scene

    monkeypatch.setitem(animate.SCENES, "derivative", broken)
    code, _, err = run_cli(capsys, "animate", "derivative", "--quiet", "-o", str(out))
    assert code == 2 and "frame 3" in err
    assert out.read_bytes() == b"the good old file"
    assert list(tmp_path.iterdir()) == [out]


@pytest.mark.parametrize("target", ["x^3", "quartic"])
def test_animate_fd_error_takes_a_formula_or_a_catalogue_name(capsys, tmp_path, target) -> None:
    out = tmp_path / "fd.png"
    code, _, err = run_cli(capsys, "animate", "fd-error", target, "--at", "2", "--quiet", "-o",
                           str(out))  # fmt: skip
    assert code == 0, err
    assert out.stat().st_size > 1000


def test_animate_every_scene_has_a_cli_default(capsys, tmp_path) -> None:
    from descentlab import animate

    for name in ("field", "lr-sweep", "linesearch"):
        out = tmp_path / f"{name}.png"
        code, _, err = run_cli(capsys, "animate", name, "--quiet", "-o", str(out))
        assert code == 0, (name, err)
    assert set(animate.STILLS) < set(animate.SCENES)


@pytest.mark.parametrize(("scene", "suffix"), [("derivative", "gif"), ("remedies", "gif"),
                                               ("surface", "gif"), ("field", "png")])  # fmt: skip
def test_animate_smallest_size_renders_without_warnings(capsys, tmp_path, scene, suffix) -> None:
    # pytest turns warnings into errors here: a layout warning would be an internal error.
    out = tmp_path / f"tiny.{suffix}"
    frames = ["--frames", "4"] if suffix == "gif" else []
    code, _, err = run_cli(capsys, "animate", scene, "--size", "100x100", *frames, "--quiet",
                           "-o", str(out))  # fmt: skip
    assert code == 0, err
    assert out.exists()


UNDEFINED_STARTS = [
    ("descent-1d", "log(x)", "-1", "gif"),
    ("contour", "log(x) + y", "-1,0", "gif"),
    ("race", "log(x) + y^2", "-1,1", "gif"),
    ("remedies", "log(x + 4)", "-5", "gif"),
    ("lr-sweep", "log(x) + y^2", "-1,0", "png"),
    ("linesearch", "log(x) + y^2", "-1,1", "png"),
]


@pytest.mark.parametrize(("scene", "target", "start", "suffix"), UNDEFINED_STARTS)
def test_animate_start_where_f_is_undefined(capsys, tmp_path, scene, target, start, suffix):
    code, out, err = run_cli(capsys, "animate", scene, target, "--start", start, "--quiet", "-o",
                             str(tmp_path / f"a.{suffix}"))  # fmt: skip
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "not defined at" in err, err
    assert list(tmp_path.iterdir()) == []


def test_output_under_a_file_says_so(capsys, tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("keep")
    code, _, err = run_cli(
        capsys, "animate", "derivative", "-o", str(tmp_path / "notes.txt" / "a.gif")
    )
    assert code == 2 and "is a file, not a folder" in err


def test_gallery_refuses_an_empty_folder(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "gallery", "--out", "", "--quiet")
    assert code == 2 and out == ""
    assert err.startswith("descentlab: error: ") and "empty" in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_animate_help_lists_every_scene_in_one_spelling(capsys) -> None:
    from descentlab.animate.registry import SCENES

    code, out, _ = run_cli(capsys, "animate", "--help")
    assert code == 0
    flat = " ".join(out.split())
    assert f"one of: {', '.join(SCENES)}" in flat
    assert "descent_1d" not in flat


# -- derivative: every estimate is right or says it does not apply (issue #10, section 5) ---------


@pytest.mark.parametrize(
    ("formula", "at", "exact"),
    [
        ("abs(x)", "1", [1.0]),
        ("abs(x) + abs(y)", "1,-2", [1.0, -1.0]),
        ("sqrt(abs(x))", "4", [0.25]),
        ("abs(x - 1) + x^2", "0.3", [-0.4]),  # the complex step printed 0.6
        ("abs(x) + x", "2", [2.0]),  # printed 1
        ("abs(x - 1) + x^2", "1", [2.0]),  # a kink: the complex step does not apply
        ("sin(x)/x^2", "0.001", [-1000000.1666668]),  # Richardson crossed the pole
        ("log(x)", "0.001", [1000.0]),  # Richardson gave NaN
    ],
)
def test_derivative_estimates_are_right_or_not_applicable(capsys, formula, at, exact) -> None:
    doc = run_json(capsys, "derivative", formula, "--at", at)
    np.testing.assert_allclose(doc["gradient"], exact, rtol=1e-9)
    fd = doc["finite_differences"]
    assert set(fd) == {"forward", "backward", "central", "complex", "richardson"}
    for method in ("complex", "richardson"):
        e = fd[method]
        if e["applicable"]:
            np.testing.assert_allclose(e["gradient"], exact, rtol=1e-5, err_msg=method)
        else:
            assert e["gradient"] is None and e["reason"]
    if formula == "abs(x - 1) + x^2" and at == "1":
        assert not fd["complex"]["applicable"] and "kink" in fd["complex"]["reason"]
        code, out, err = run_cli(capsys, "derivative", formula, "--at", at)
        assert code == 0 and "complex     not applicable: f is not analytic here" in out
        code, out, err = run_cli(capsys, "derivative", formula, "--at", at, "--method", "complex")
        assert code == 2 and "does not apply" in err and out == ""


def test_derivative_richardson_without_a_reliable_step(capsys) -> None:
    doc = run_json(capsys, "derivative", "sqrt(x)", "--at", "1e-12")
    r = doc["finite_differences"]["richardson"]
    assert not r["applicable"] and "no reliable estimate" in r["reason"]
    code, _, err = run_cli(capsys, "derivative", "sqrt(x)", "--at", "1e-12", "--method",
                           "richardson")  # fmt: skip
    assert code == 2 and "no reliable estimate" in err


# -- limits that hold (issue #10, section 6) -------------------------------------------------------


def test_run_json_is_streamed_one_record_at_a_time(monkeypatch) -> None:
    import io
    import sys

    from descentlab import cli

    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    monkeypatch.setattr(cli, "_WRITE_AT_ONCE", 1)  # each piece is written at once
    written = []

    def records():
        for i in range(3):
            written.append(len(buffer.getvalue()))  # what was out before record i was built
            yield {"i": i, "x": np.array([i, np.inf])}

    cli._print_json({"head": {"a": [1, 2]}, "runs": records(), "empty": iter([]), "tail": 1.5})
    assert written[0] < written[1] < written[2]  # each record left before the next was made
    doc = json.loads(buffer.getvalue())
    expected = {"head": {"a": [1, 2]}, "runs": [{"i": i, "x": [float(i), None]} for i in range(3)],
                "empty": [], "tail": 1.5}  # fmt: skip
    assert doc == expected
    assert buffer.getvalue() == json.dumps(expected, indent=2) + "\n"  # the same text as before


def test_run_json_document_is_the_indented_dump(capsys) -> None:
    code, out, err = run_cli(capsys, "run", "quartic", "--start", "0", "--start", "3", "--json",
                             "--trace", "--max-iter", "5")  # fmt: skip
    assert code == 0, err
    assert out == json.dumps(json.loads(out), indent=2) + "\n"


def test_random_starts_times_variables_is_capped(capsys) -> None:
    code, out, err = run_cli(capsys, "run", "sphere", "--dim", "149", "--random-starts",
                             "1000000", "--max-iter", "0")  # fmt: skip
    assert code == 2 and out == "" and "20,000,000" in err and "149,000,000" in err
    code, out, _ = run_cli(capsys, "run", "--help")
    assert code == 0 and "variables <= 20,000,000" in " ".join(out.split())


def test_long_minima_lists_are_summarized_like_the_table(capsys) -> None:
    # cos(3x) + cos(3y) on [-12, 12]^2 has about 11 x 11 minima: more than the 50 rows shown
    argv = ["run", "cos(3x) + cos(3y)", "--random-starts", "3000", "--domain", "-12,12"]
    code, out, err = run_cli(capsys, *argv, "--lr", "0.05", "--max-iter", "2000")
    assert code == 0, err
    lines = out.splitlines()
    start = lines.index("minima found:")
    shown = [ln for ln in lines[start + 1 :] if ln.startswith("  x = ")]
    assert len(shown) == 50
    assert re.match(
        r"\.\.\. and [\d,]+ more minima, found from [\d,]+ start\(s\)", lines[start + 51]
    )
    assert max(len(ln) for ln in lines) < 200


def test_the_program_tunes_its_garbage_collector_and_a_call_from_python_does_not(
    monkeypatch, capsys
) -> None:
    import gc
    import sys

    from descentlab import cli

    seen: list[object] = []  # this process keeps its own collector: the calls are recorded
    monkeypatch.setattr(gc, "set_threshold", lambda *t: seen.append(t))
    monkeypatch.setattr(gc, "freeze", lambda: seen.append("freeze"))
    monkeypatch.setattr(sys, "argv", ["descentlab", "functions", "--json"])
    assert cli.main() == 0  # as the descentlab command and python -m descentlab call it
    assert seen == [cli.PROGRAM_GC_THRESHOLDS, "freeze"]  # the thresholds first, freeze last
    assert cli.main(["functions", "--json"]) == 0
    assert seen == [cli.PROGRAM_GC_THRESHOLDS, "freeze"]  # a call with argv leaves them alone
    out = capsys.readouterr().out
    half = len(out) // 2
    assert out[:half] == out[half:] and json.loads(out[:half])  # the same catalogue both times


@pytest.mark.parametrize("terminal", [True, False])
def test_on_a_terminal_a_run_says_when_it_starts_compiling_the_engine(
    capsys, monkeypatch, on_first_compile, terminal
) -> None:
    # A first run after install waits seconds for numba: on a terminal, the command line asks
    # the engine to be told when this process first compiles (engine.ON_FIRST_COMPILE, called
    # by engine.jit: test_jit.py) and then prints one line on stderr. Off a terminal (a pipe, a
    # file, these tests) it asks nothing, and its stderr stays as it was.
    import sys

    from descentlab import cli

    told = on_first_compile
    monkeypatch.setattr(sys.stderr, "isatty", lambda: terminal)
    for _ in range(2):  # asked once, however many commands the process runs
        code, out, err = run_cli(capsys, "run", "x^2", "--start", "1")
        assert code == 0 and "converged" in out and err == ""
    assert told == ([cli._say_compiling] if terminal else [])
    for tell in told:
        tell()
    assert capsys.readouterr().err == (cli.COMPILING + "\n" if terminal else "")
    assert cli.COMPILING.startswith("descentlab: compiling the machine code this run needs")
