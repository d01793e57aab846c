"""Speed of the explorer page: one recompute (every rule x 1,000 steps) in headless Chromium.

The page recomputes every path on each control change, so a recompute must fit in a frame
(16.7 ms at 60 fps). Measured in one run, on Rosenbrock and Ackley (a formula with exp, sqrt and
cos), as the median of 30 recomputes after a warm-up, next to the same runs of ``minimize`` in
Python on one start (the ratio is what to compare across machines): the 7 rules that race when
the page opens, all 14 first-order rules, and all 14 with a cosine learning-rate schedule:

    python benchmarks/bench_explore.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import steady  # noqa: F401 - compiles in this process first (see steady.py)

from descentlab.descent import minimize
from descentlab.explorer import EXPLORER_OPTIMIZERS, RACING, explore
from descentlab.objective import Objective
from descentlab.optimizers import OPTIMIZERS
from descentlab.schedules import cosineannealinglr

CASES = {
    "rosenbrock": ("(1 - x)^2 + 100(y - x^2)^2", (-1.2, 1.0)),
    "ackley": (
        "-20exp(-0.2sqrt(0.5(x^2 + y^2))) - exp(0.5(cos(2pi x) + cos(2pi y))) + e + 20",
        (2.5, 2.5),
    ),
}
LRS = {"gd": 1e-3, "momentum": 1e-4, "nesterov": 1e-4, "adagrad": 0.1, "rmsprop": 1e-3,
       "adam": 0.02, "linesearch": 1.0, "adamw": 0.02, "nadam": 0.02, "radam": 0.02,
       "adamax": 0.02, "adadelta": 1.0, "rprop": 0.01, "asgd": 1e-3}  # fmt: skip
STEPS = 1000
SCHEDULE = {"name": "cosineannealinglr", "parameters": {"T_max": STEPS, "eta_min": 1e-6}}

JS = """([formula, start, lrs, steps, reps, rules, scheduler]) => {
    const dl = window.descentlab;
    const obj = dl._internal.objective(formula);
    const once = () => rules.map(o => dl.run({objective: obj, start, optimizer: o,
        hyperparameters: {lr: lrs[o]}, steps, grad_tol: 0, scheduler}).xs.length);
    for (let i = 0; i < 5; i++) once();
    const times = [];
    for (let i = 0; i < reps; i++) {
        const t = performance.now();
        once();
        times.push(performance.now() - t);
    }
    return times;
}"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        url = explore().save(Path(tmp) / "e.html").as_uri()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(url)
            page.wait_for_function("() => window.descentlab && window.descentlab.ui")
            runs = [("7 rules", RACING, None), ("14 rules", EXPLORER_OPTIMIZERS, None),
                    ("14 + cosine", EXPLORER_OPTIMIZERS, SCHEDULE)]  # fmt: skip
            for name, (formula, start) in CASES.items():
                objective = Objective.from_formula(formula)
                for label, rules, sched in runs:
                    args = [formula, list(start), LRS, STEPS, 30, list(rules), sched]
                    ms = statistics.median(page.evaluate(JS, args))
                    t = time.perf_counter()
                    for o in rules:
                        scheduler = (
                            None if sched is None else cosineannealinglr(**sched["parameters"])
                        )
                        minimize(objective, np.array(start), OPTIMIZERS[o](lr=LRS[o]),
                                 max_iter=STEPS, grad_tol=0.0, record=True,
                                 scheduler=scheduler)  # fmt: skip
                    py = (time.perf_counter() - t) * 1e3
                    k = len(rules)
                    print(f"{name:10s} {label:12s} page {ms:7.2f} ms per {k} x {STEPS} steps "
                          f"({ms * 1e3 / (k * STEPS):.2f} us/step); minimize {py:7.1f} ms; "
                          f"ratio {py / ms:.1f}x")  # fmt: skip
            browser.close()


if __name__ == "__main__":
    main()
