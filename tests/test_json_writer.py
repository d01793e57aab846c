"""run --json's streamed writer: the text json.dumps gives, written a block of rows at a time."""

from __future__ import annotations

import io
import json
import math
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descentlab import cli
from descentlab.descent import minimize
from descentlab.objective import Objective
from descentlab.optimizers import gd
from descentlab.result import Stationary, Status


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=20))
def test_float_texts_are_the_json_encoders(values: list[float]) -> None:
    expected = [json.dumps(v if math.isfinite(v) else None) for v in values]
    assert cli._float_texts(np.array(values, dtype=float)) == expected


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=6))


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        *(st.lists(s, min_size=1, max_size=12) for s in (st.none(), st.integers(), st.text())),
        st.lists(_SCALARS, min_size=1, max_size=12),
    )
)
def test_scalar_columns_are_the_json_encoders(values: list) -> None:
    # A column of one kind takes its fast path (all None, all ints, all strings); a mixed one
    # the general path; each text is json.dumps's (bools are not ints, nan is null).
    finite = [None if isinstance(v, float) and not math.isfinite(v) else v for v in values]
    assert cli._json_texts(values, 0) == [json.dumps(v) for v in finite]


def _mixed_result(trace: bool):
    # Rows that converge, diverge (inf and 1e150 f) and hit max_iter, on a domain (in_domain).
    objective = Objective.from_problem("forrester")
    X0 = np.array([[0.1], [0.75], [0.9], [0.4], [1.0], [0.0], [0.55]])
    return minimize(objective, X0, gd(lr=0.01), max_iter=40, grad_tol=1e-2, record=trace), X0


@pytest.mark.parametrize("trace", [False, True])
def test_records_are_byte_for_byte_json_dumps(monkeypatch, trace: bool) -> None:
    result, X0 = _mixed_result(trace)
    assert len(set(result.status.tolist())) >= 2 and result.in_domain is not None
    records = [cli._jsonable(cli._run_record(result, X0, i, trace=trace)) for i in range(7)]
    blocks: list[range] = []
    columns = cli._run_columns
    monkeypatch.setattr(cli, "_ROWS_AT_ONCE", 3)
    monkeypatch.setattr(
        cli, "_run_columns", lambda *a, **k: blocks.append(a[2]) or columns(*a, **k)
    )
    for level in (0, 2):
        texts = [_text(t) for t in cli._run_records(result, X0, trace=trace, level=level)]
        pad = "\n" + "  " * level
        assert texts == [json.dumps(r, indent=2).replace("\n", pad) for r in records]
        assert [json.loads(t) for t in texts] == records
    assert [len(b) for b in blocks] == [3, 3, 1] * 2  # a block of rows at a time


def test_each_record_holds_its_own_rows_numbers() -> None:
    # Records are formatted a column at a time and put together with one %-format per row (a
    # vector's coordinates are separate columns): each record must still hold its own row's
    # numbers, checked against the Result's arrays read here row by row.
    objective = Objective.from_formula("x^2 + 2y^2 + (z - 1)^2 + exp(x)")
    X0 = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -0.5], [1e-3, 7.0, 1.0], [-2.0, 1.0, 1.0]])
    result = minimize(objective, X0, gd(lr=0.3), max_iter=13, grad_tol=1e-6)
    assert len(set(result.status.tolist())) >= 2
    texts = [_text(t) for t in cli._run_records(result, X0, trace=False, level=1)]
    for i, text in enumerate(texts):
        assert json.loads(text) == {
            "start": X0[i].tolist(),
            "x": result.x[i].tolist(),
            "f": float(result.fun[i]),
            "grad_norm": float(result.grad_norm[i]),
            "iterations": int(result.nit[i]),
            "status": Status(int(result.status[i])).label,
            "stationary": Stationary(int(result.stationary[i])).label,
            "message": result.message[i],
            "diverged_at": None,
            "in_domain": None,
        }


def _text(record: cli._Raw | cli._Parts) -> str:
    return "".join(record.pieces) if isinstance(record, cli._Parts) else record


def test_a_trace_is_formatted_a_block_of_numbers_at_a_time(monkeypatch, capsys) -> None:
    # issue #10 s.6: a trace of 24 starts x 10^6 iterations held every number's text at once
    # (13 GB); now at most _FLOATS_AT_ONCE numbers are formatted at a time, in any record.
    sizes: list[int] = []
    texts = cli._float_texts
    monkeypatch.setattr(cli, "_float_texts", lambda v: sizes.append(v.size) or texts(v))
    monkeypatch.setattr(cli, "_FLOATS_AT_ONCE", 25)
    argv = ["run", "x^2 + y^2", "--start", "1,2", "--start", "-3,0.5", "--start", "0.1,0.1",
            "--max-iter", "30", "--grad-tol", "0", "--f-tol", "0", "--trace", "--json"]  # fmt: skip
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    document = json.loads(out)
    assert out == json.dumps(document, indent=2) + "\n"
    assert [len(r["path"]) for r in document["runs"]] == [31] * 3  # 93 points, 279 numbers
    assert [len(r["values"]) for r in document["runs"]] == [31] * 3
    assert max(sizes) <= 25 and sum(sizes) >= 3 * 31 * 3


def test_run_json_output_is_what_json_dumps_gives(capsys) -> None:
    argv = ["run", "rosenbrock", "--start", "-1.2,1", "--start", "0,0", "--lr", "0.1", "--json"]
    for extra in ([], ["--trace", "--max-iter", "5"]):
        assert cli.main(argv + extra) == 0
        out = capsys.readouterr().out
        document = json.loads(out)
        assert out == json.dumps(document, indent=2) + "\n"
        assert any(run["f"] is None or run["status"] == "diverged" for run in document["runs"])


def test_run_json_is_written_in_pieces_of_bounded_size(monkeypatch) -> None:
    # An unbuffered stdout (python -u) makes each write a system call: the writer gathers
    # small texts (records, separators) into pieces of about _WRITE_AT_ONCE characters.
    sizes: list[int] = []

    class Counting(io.StringIO):
        def write(self, text: str) -> int:
            sizes.append(len(text))
            return super().write(text)

    stdout = Counting()
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(cli, "_WRITE_AT_ONCE", 4000)
    argv = ["run", "sphere", "--random-starts", "300", "--max-iter", "3", "--json"]
    assert cli.main(argv) == 0
    out = stdout.getvalue()
    assert out == json.dumps(json.loads(out), indent=2) + "\n"
    runs = json.loads(out)["runs"]
    longest = max(len(json.dumps(r, indent=2).replace("\n", "\n    ")) for r in runs)
    assert len(sizes) <= len(out) // 4000 + 2  # not one write per record and separator
    assert max(sizes) < 4000 + longest


def test_run_json_writes_nothing_when_minimize_refuses_the_run(capsys) -> None:
    # The run is made before the document starts (the records are streamed after it): a
    # setting that minimize refuses (a linear formula has no minimum) is one line on stderr
    # and nothing on stdout.
    assert cli.main(["run", "x + y", "--start", "1,2", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "linear" in captured.err and len(captured.err.splitlines()) == 1
