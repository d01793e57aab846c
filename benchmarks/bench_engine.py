"""The compiled engine against issue #12's targets, as ratios measured in one run.

Rosenbrock from the catalogue (a parsed formula, exact gradient), float64. Prints one table:

1. one start, GD and Adam, 10,000 iterations: ``minimize`` vs the original notebook's own
   per-start loop (plain Python floats, forward differences) - target: >= 3x faster;
2. 10,000 starts x 1,000 iterations: ``minimize`` (Adam, GD) vs hand-fused numba loops written
   here for Rosenbrock (rows innermost, vectorized; target within 2x; the six runs alternated,
   best of 5 each, as the machine's speed drifts) and vs ``torch.optim.Adam``
   on one thread (target >= 4x faster; torch is imported if this Python has it, else run with
   ``--torch-python PATH``; the table says which). Two floors: "same work" does what
   ``minimize`` does each iteration (the step, f and the gradient, the gradient norm, the stall,
   divergence and convergence tests, rows that stop keep still), as the issue defines the floor;
   "update only" computes the gradient and the step and nothing else;
3. 1,000,000 starts x 1,000 Adam iterations (target < 10 s) and the peak memory of that run;
4. the whole process ``descentlab run rosenbrock --random-starts 20000 --optimizer adam
   --max-iter 1000 --json`` (startup, cache load, JSON) against torch.optim.Adam's in-process
   time for the same 20,000 starts x 1,000 iterations (the loop alone, measured at 20,000),
   run by this Python and by a new venv where ``pip install`` put this checkout with its
   runtime dependencies only, as a user's install has it (no dev tools, which numba imports
   when they are present);
5. a Python-callable Rosenbrock through the general loop (the NumPy path), per row-iteration;
6. the first-run compile cost (a fresh numba cache directory): a small first run (as Python
   while the second process compiles), longer runs that compile, and a cached start.

Prints each row as it is measured, then the rows as JSON and as the Markdown table the README
shows (paste it under "Performance").

Usage:
    python benchmarks/bench_engine.py [--quick] [--no-install] [--torch-python /path/to/python]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np
import steady  # noqa: F401 - compiles in this process first (see steady.py)

from descentlab.descent import minimize
from descentlab.objective import Objective
from descentlab.optimizers import adam, gd

LR_GD = 1e-4
LR_ADAM = 1e-3


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


# --- 1. the notebook's own loop (plain floats, forward differences) ---------------------------


def rosen(x: float, y: float) -> float:
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def notebook_gd(x: float, y: float, iters: int, lr: float) -> tuple[float, float]:
    h = 1e-8
    for _ in range(iters):
        f = rosen(x, y)
        gx = (rosen(x + h, y) - f) / h
        gy = (rosen(x, y + h) - f) / h
        x, y = x - lr * gx, y - lr * gy
    return x, y


def notebook_adam(x: float, y: float, iters: int, lr: float) -> tuple[float, float]:
    h = 1e-8
    b1, b2, eps = 0.9, 0.999, 1e-8
    mx = my = vx = vy = 0.0
    for t in range(1, iters + 1):
        f = rosen(x, y)
        gx = (rosen(x + h, y) - f) / h
        gy = (rosen(x, y + h) - f) / h
        mx = b1 * mx + (1 - b1) * gx
        my = b1 * my + (1 - b1) * gy
        vx = b2 * vx + (1 - b2) * gx * gx
        vy = b2 * vy + (1 - b2) * gy * gy
        c1, c2 = 1 - b1**t, 1 - b2**t
        x -= lr * (mx / c1) / ((vx / c2) ** 0.5 + eps)
        y -= lr * (my / c1) / ((vy / c2) ** 0.5 + eps)
    return x, y


# --- 2. the floor: hand-fused numba loops, rows innermost ------------------------------------


def fused_floors():
    from numba import njit, prange

    @njit(inline="always", error_model="numpy")
    def adam_step(r, gx, gy, x, y, mx, my, vx, vy, b1, b2, eps, step, root):
        """Row ``r``'s Adam moments, updated, and its new point (torch's order)."""
        mx[r] += (gx - mx[r]) * (1 - b1)
        my[r] += (gy - my[r]) * (1 - b1)
        vx[r] = vx[r] * b2 + (1 - b2) * gx * gx
        vy[r] = vy[r] * b2 + (1 - b2) * gy * gy
        return (x[r] + mx[r] / (np.sqrt(vx[r]) / root + eps) * step,
                y[r] + my[r] / (np.sqrt(vy[r]) / root + eps) * step)  # fmt: skip

    @njit(parallel=True, error_model="numpy", cache=True)
    def adam_floor(XT, iters, lr, b1, b2, eps, block):
        k = XT.shape[1]
        for bi in prange((k + block - 1) // block):
            a0 = bi * block
            a1 = min(k, a0 + block)
            x = XT[0, a0:a1].copy()
            y = XT[1, a0:a1].copy()
            B = a1 - a0
            mx, my, vx, vy = np.zeros(B), np.zeros(B), np.zeros(B), np.zeros(B)
            for t in range(1, iters + 1):
                step, root = -(lr / (1.0 - b1**t)), (1.0 - b2**t) ** 0.5
                for r in range(B):
                    u = y[r] - x[r] * x[r]
                    gx = -2.0 * (1.0 - x[r]) - 400.0 * x[r] * u
                    x[r], y[r] = adam_step(r, gx, 200.0 * u, x, y, mx, my, vx, vy, b1, b2, eps,
                                           step, root)  # fmt: skip
            XT[0, a0:a1] = x
            XT[1, a0:a1] = y

    @njit(parallel=True, error_model="numpy", cache=True)
    def gd_floor(XT, iters, lr, block):
        k = XT.shape[1]
        for bi in prange((k + block - 1) // block):
            a0 = bi * block
            a1 = min(k, a0 + block)
            x = XT[0, a0:a1].copy()
            y = XT[1, a0:a1].copy()
            for _ in range(iters):
                for r in range(a1 - a0):
                    u = y[r] - x[r] * x[r]
                    gx = -2.0 * (1.0 - x[r]) - 400.0 * x[r] * u
                    gy = 200.0 * u
                    x[r] -= lr * gx
                    y[r] -= lr * gy
            XT[0, a0:a1] = x
            XT[1, a0:a1] = y

    # The same work as minimize's: each iteration the step, the stall and limit tests on the new
    # point, f and the gradient there, the gradient norm, the divergence and convergence tests;
    # a row whose test fires stops (a convergence test takes the step, the others keep the
    # point). One function per rule (a flag tested inside the row loop stops it vectorizing).

    @njit(inline="always", error_model="numpy")
    def evaluate(x, y):  # Rosenbrock's f and gradient, by hand
        u = y - x * x
        w = 1.0 - x
        return w * w + 100.0 * u * u, -2.0 * w - 400.0 * x * u, 200.0 * u

    @njit(inline="always", error_model="numpy")
    def accept(r, nx, ny, x, y, f, gx, gy, alive, grad_tol, f_tol, limit):
        stalled = (nx == x[r]) & (ny == y[r])
        beyond = (abs(nx) > limit) | (abs(ny) > limit)
        fn, ngx, ngy = evaluate(nx, ny)
        gn2 = ngx * ngx + ngy * ngy
        bad = (not (abs(fn) <= limit)) | (not (gn2 < np.inf))
        met = (np.sqrt(gn2) < grad_tol) | (abs(fn - f[r]) < f_tol)
        moves = alive[r] & (not stalled) & (not beyond) & (not bad)
        x[r] = nx if moves else x[r]
        y[r] = ny if moves else y[r]
        f[r] = fn if moves else f[r]
        gx[r] = ngx if moves else gx[r]
        gy[r] = ngy if moves else gy[r]
        alive[r] &= not (stalled | beyond | bad | met)

    @njit(inline="always", error_model="numpy")
    def begin(XT, a0, a1):
        x = XT[0, a0:a1].copy()
        y = XT[1, a0:a1].copy()
        B = a1 - a0
        f, gx, gy = np.empty(B), np.empty(B), np.empty(B)
        for r in range(B):
            f[r], gx[r], gy[r] = evaluate(x[r], y[r])
        return x, y, f, gx, gy, np.ones(B, dtype=np.bool_)

    @njit(parallel=True, error_model="numpy", cache=True)
    def gd_same_work(XT, iters, lr, grad_tol, f_tol, limit, block):
        k = XT.shape[1]
        for bi in prange((k + block - 1) // block):
            a0 = bi * block
            a1 = min(k, a0 + block)
            x, y, f, gx, gy, alive = begin(XT, a0, a1)
            for _ in range(iters):
                for r in range(a1 - a0):
                    nx = x[r] - lr * gx[r]
                    ny = y[r] - lr * gy[r]
                    accept(r, nx, ny, x, y, f, gx, gy, alive, grad_tol, f_tol, limit)
            XT[0, a0:a1] = x
            XT[1, a0:a1] = y

    @njit(parallel=True, error_model="numpy", cache=True)
    def adam_same_work(XT, iters, lr, b1, b2, eps, grad_tol, f_tol, limit, block):
        k = XT.shape[1]
        for bi in prange((k + block - 1) // block):
            a0 = bi * block
            a1 = min(k, a0 + block)
            x, y, f, gx, gy, alive = begin(XT, a0, a1)
            B = a1 - a0
            mx, my, vx, vy = np.zeros(B), np.zeros(B), np.zeros(B), np.zeros(B)
            for t in range(1, iters + 1):
                step, root = -(lr / (1.0 - b1**t)), (1.0 - b2**t) ** 0.5
                for r in range(B):
                    nx, ny = adam_step(r, gx[r], gy[r], x, y, mx, my, vx, vy, b1, b2, eps, step,
                                       root)  # fmt: skip
                    accept(r, nx, ny, x, y, f, gx, gy, alive, grad_tol, f_tol, limit)
            XT[0, a0:a1] = x
            XT[1, a0:a1] = y

    return adam_floor, gd_floor, adam_same_work, gd_same_work


TORCH_SNIPPET = r"""
import sys, time, torch
torch.set_num_threads(1)
k, iters, lr = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
g = torch.Generator().manual_seed(0)
P = (torch.rand(k, 2, generator=g, dtype=torch.float64) * 4 - 2).requires_grad_(True)
opt = torch.optim.Adam([P], lr=lr)
def run(n):
    for _ in range(n):
        opt.zero_grad()
        x, y = P[:, 0], P[:, 1]
        ((1 - x) ** 2 + 100 * (y - x * x) ** 2).sum().backward()
        opt.step()
run(5)
t = time.perf_counter(); run(iters); print(time.perf_counter() - t)
"""


def torch_seconds(k: int, iters: int, torch_python: str | None) -> tuple[float | None, str]:
    try:
        import torch  # noqa: F401

        python = sys.executable
    except ImportError:
        python = torch_python
    if python is None:
        return None, "torch not available (pass --torch-python)"
    out = subprocess.run(
        [python, "-c", TORCH_SNIPPET, str(k), str(iters), str(LR_ADAM)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip()), f"torch.optim.Adam, 1 thread ({python})"


IDLE_AFTER_FIRST = 30.0
"""Seconds to let a first run's second process finish compiling before the next run."""

CLI_STARTS = 20_000  # row 4's starts (the command line and torch's loop over the same batch)


def cli_seconds(env: dict[str, str] | None = None, python: str = sys.executable) -> float:
    cmd = [python, "-m", "descentlab", "run", "rosenbrock", "--random-starts",
           str(CLI_STARTS), "--optimizer", "adam", "--max-iter", "1000", "--json"]  # fmt: skip
    t = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True, env=env)
    return time.perf_counter() - t


def installed_python(where: str) -> tuple[str | None, str]:
    """The Python of a new venv in ``where`` holding this checkout as ``pip install`` installs
    it: the runtime dependencies only. The dev tools are then absent, and numba imports them
    when present (coverage ~65 ms, PyYAML and SciPy ~25 ms in every process), as a user's
    install does not. Returns (None, why) if pip fails (it needs the package index)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([sys.executable, "-m", "venv", where], check=True)
    python = os.path.join(where, "bin", "python")
    out = subprocess.run([python, "-m", "pip", "install", "-q", root], capture_output=True,
                         text=True)  # fmt: skip
    if out.returncode:
        return None, f"pip install failed: {out.stderr.strip().splitlines()[-1:]}"
    return python, "a venv with the runtime dependencies only (pip install of this checkout)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the 1e6-start run")
    ap.add_argument("--torch-python", default=None)
    ap.add_argument(
        "--no-install", action="store_true", help="skip row 4 in a new venv (pip needs its index)"
    )
    args = ap.parse_args()
    obj = Objective.from_problem("rosenbrock")
    assert getattr(obj, "program", None) is not None, "the catalogue objective has no program"
    rows: list[tuple[str, str]] = []

    def row(what: str, value: str) -> None:
        rows.append((what, value))
        print(f"{what:<72} {value}", flush=True)

    # 6. compile cost: a fresh cache, then a cached start (whole processes, bench_compile.py).
    # A small first run goes on as Python while the engine's second process compiles
    # (engine.jit.meanwhile); the process exits before that is done and the second finishes it
    # for the next. A longer run (that does not stop early: grad_tol=0) tries Python for 1 s
    # (engine.loop.Twins) and compiles: one start the row sweeps, many starts the block sweeps
    # (engine.interp.sweep_for), in two processes (the second compiles the sweep and the rule,
    # engine.jit._Aside) or, with DESCENTLAB_COMPILE_ASIDE=0, in one (then from the start).
    from bench_compile import cached_after, measure

    with tempfile.TemporaryDirectory() as cache:
        small = measure("adam", cache, 1, 10_000, True)
        ready = cached_after(cache, small["born"], "adam", 1)
        warm = measure("adam", cache, 1, 10_000, True)
    row("first minimize, empty numba cache, 1 start x 10,000 Adam iterations (as Python "
        "meanwhile): the call; the machine code in the cache (after the process started)",
        f"{small['first_call']:.2f} s; {ready:.2f} s")  # fmt: skip
    row("first minimize, cache on disk, 1 start x 10,000", f"{warm['first_call']:.2f} s")
    for starts, iters, what in ((1, 100_000, "1 start x 100,000"), (300, 1000, "300 x 1,000")):
        cold = {}
        for aside in (True, False):
            with tempfile.TemporaryDirectory() as cache:
                cold[aside] = measure("adam", cache, starts, iters, aside)["first_call"]
        row(f"first minimize that compiles (after 1 s as Python), {what}: two processes; one",
            f"{cold[True]:.2f} s; {cold[False]:.2f} s")  # fmt: skip

    # 1. one start, 10,000 iterations.
    n1 = 10_000
    for name, opt, lr, nb in (
        ("GD", gd(lr=LR_GD), LR_GD, notebook_gd),
        ("Adam", adam(lr=LR_ADAM), LR_ADAM, notebook_adam),
    ):
        # Alternated, best of 7 each: this machine's speed drifts by up to 2x for seconds at a
        # time (a one-start GD takes ~0.21 or ~0.40 us/iteration in whole runs of either), and
        # back-to-back blocks of each would catch the two in different phases.
        def one(o: Any = opt) -> None:
            minimize(obj, [-1.2, 1.0], o, max_iter=n1, grad_tol=0.0, record=False)

        ours = theirs = float("inf")
        for _ in range(7):
            ours = min(ours, best_of(one, 1))
            theirs = min(theirs, best_of(lambda f=nb, r=lr: f(-1.2, 1.0, n1, r), 1))
        row(f"one start, {name}, 10k iterations: us/iteration, minimize vs the notebook",
            f"{ours / n1 * 1e6:.3f} vs {theirs / n1 * 1e6:.3f}  "
            f"({theirs / ours:.1f}x faster)")  # fmt: skip

    # 2. many starts.
    k, iters = 10_000, 1000
    X0 = np.random.default_rng(0).uniform(-2, 2, (k, 2))
    adam_floor, gd_floor, adam_same, gd_same = fused_floors()
    ns = 1e9 / (k * iters)

    def same(is_adam: bool, X: np.ndarray = X0, n: int = iters, grad_tol: float = 0.0) -> Any:
        XT = np.ascontiguousarray(X.T)  # minimize's tests (with grad_tol 0, none fires)
        if is_adam:
            adam_same(XT, n, LR_ADAM, 0.9, 0.999, 1e-8, grad_tol, 0.0, 1e150, 256)
        else:
            gd_same(XT, n, LR_GD, grad_tol, 0.0, 1e150, 256)
        return XT.T

    for is_adam, opt in ((True, adam(lr=LR_ADAM)), (False, gd(lr=LR_GD))):  # the floor's numbers
        got = minimize(obj, X0[:64], opt, max_iter=300, record=False).x  # are minimize's (up to
        ref = same(is_adam, X0[:64], 300, 1e-8)  # the order of operations)
        assert np.allclose(ref, got, rtol=1e-12, atol=1e-12), "the floor is not minimize's work"
    adam_floor(np.ascontiguousarray(X0.T), 2, LR_ADAM, 0.9, 0.999, 1e-8, 256)
    gd_floor(np.ascontiguousarray(X0.T), 2, LR_GD, 256)
    timed = {
        "ours_adam": lambda: minimize(obj, X0, adam(lr=LR_ADAM), max_iter=iters, grad_tol=0.0,
                                      record=False),
        "same_adam": lambda: same(True),
        "floor_adam": lambda: adam_floor(np.ascontiguousarray(X0.T), iters, LR_ADAM, 0.9, 0.999,
                                         1e-8, 256),
        "ours_gd": lambda: minimize(obj, X0, gd(lr=LR_GD), max_iter=iters, grad_tol=0.0,
                                    record=False),
        "same_gd": lambda: same(False),
        "floor_gd": lambda: gd_floor(np.ascontiguousarray(X0.T), iters, LR_GD, 256),
    }  # fmt: skip
    best = dict.fromkeys(timed, float("inf"))
    for _ in range(5):  # alternated, best of 5 each: the machine's speed drifts (see section 1)
        for name, fn in timed.items():
            best[name] = min(best[name], best_of(fn, 1))
    ours_adam, same_adam, floor_adam = best["ours_adam"], best["same_adam"], best["floor_adam"]
    ours_gd, same_gd, floor_gd = best["ours_gd"], best["same_gd"], best["floor_gd"]
    for name, ours, bare, full in (("Adam", ours_adam, floor_adam, same_adam),
                                   ("GD", ours_gd, floor_gd, same_gd)):  # fmt: skip
        row(f"1e4 starts x 1000, {name}: ns/(start x it), minimize vs the floors: same work; "
            "update only",
            f"{ours * ns:.2f} vs {full * ns:.2f}; {bare * ns:.2f}  "
            f"({ours / full:.2f}x; {ours / bare:.2f}x the floors)")  # fmt: skip
    t_torch, how = torch_seconds(k, iters, args.torch_python)
    if t_torch is None:
        row("1e4 starts x 1000, Adam: torch.optim.Adam", how)
    else:
        row(f"1e4 starts x 1000, Adam: ns/(start x it) {how}",
            f"{t_torch * ns:.2f}  (minimize {t_torch / ours_adam:.1f}x faster)")  # fmt: skip

    # 3. scale.
    if not args.quick:
        big = np.random.default_rng(1).uniform(-2, 2, (1_000_000, 2))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        minimize(obj, big, adam(lr=LR_ADAM), max_iter=1000, grad_tol=0.0, record=False)
        dt = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        row("1e6 starts x 1000 Adam: seconds; peak RSS growth (MB)",
            f"{dt:.2f} s; {(peak - before) / 1024:.0f} MB")  # fmt: skip

    # 4. whole process, against torch's loop over the same batch (measured at 20,000 starts).
    # The warm-up run may write bytecode (PYTHONDONTWRITEBYTECODE=1 would otherwise make every
    # timed run compile each module edited since its .pyc from source, as no installed copy does).
    writes = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cli_seconds(writes)
    # The same command as a user's install runs it (its first run compiles the engine into
    # that install's cache: twice, so that the second process's leftovers are in it too).
    user_dir = tempfile.TemporaryDirectory(prefix="descentlab-user-")
    user, user_how = (None, "skipped (--no-install)") if args.no_install else (
        installed_python(user_dir.name))  # fmt: skip
    if user is not None:
        cli_seconds(writes, user)
        time.sleep(IDLE_AFTER_FIRST)
        cli_seconds(writes, user)
    # Alternated with torch's loop (5 rounds, best of each), for the machine's drifting speed.
    ours, ours_user, t_torch_cli, how = float("inf"), float("inf"), None, ""
    for _ in range(5):
        ours = min(ours, cli_seconds())
        if user is not None:
            ours_user = min(ours_user, cli_seconds(python=user))
        t, how = torch_seconds(CLI_STARTS, iters, args.torch_python)
        t_torch_cli = t if t_torch_cli is None or t is None else min(t_torch_cli, t)
    user_dir.cleanup()
    vs = (lambda s: f"  ({s / t_torch_cli:.2f}x torch's loop)") if t_torch_cli else (lambda s: "")
    row("descentlab run rosenbrock --random-starts 20000 --optimizer adam --max-iter 1000 --json",
        f"{ours:.2f} s{vs(ours)}")  # fmt: skip
    row(f"  the same in {user_how}",
        "-" if user is None else f"{ours_user:.2f} s{vs(ours_user)}")  # fmt: skip
    if t_torch_cli is not None:
        row(f"  {how}, same work ({CLI_STARTS:,} x 1000) in-process", f"{t_torch_cli:.2f} s")

    # 5. Python-callable objective: the general loop.
    class Hand:
        dim = 2

        def value(self, X):
            return (1.0 - X[:, 0]) ** 2 + 100.0 * (X[:, 1] - X[:, 0] ** 2) ** 2

        def grad(self, X):
            x, y = X[:, 0], X[:, 1]
            u = y - x * x
            return np.stack([-2.0 * (1.0 - x) - 400.0 * x * u, 200.0 * u], axis=1)

        def value_and_grad(self, X):
            return self.value(X), self.grad(X)

    for kk, it in ((1, 2000), (10_000, 200)):
        Xh = np.random.default_rng(2).uniform(-2, 2, (kk, 2))
        t = best_of(lambda X=Xh, n=it: minimize(Hand(), X, adam(lr=LR_ADAM), max_iter=n,
                                                 grad_tol=0.0, record=False))  # fmt: skip
        row(f"Python-callable Rosenbrock, Adam, {kk} start(s): ns/(start x it)",
            f"{t / (kk * it) * 1e9:.1f}")  # fmt: skip
    print(json.dumps(dict(rows)))
    print("\nREADME table (paste under Performance):\n")
    print("| engine benchmark (`python benchmarks/bench_engine.py --torch-python PATH`) | result |")
    print("|---|---|")
    for what, value in rows:
        print(f"| {what.strip()} | {value} |")


if __name__ == "__main__":
    main()
