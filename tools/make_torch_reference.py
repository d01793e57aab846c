"""Write torch.optim's float64 iterates as test data: the tests never import torch.

Three files under tests/data/:

- ``torch_reference.json``: 50 steps of the first seven rules, every iterate.
- ``torch_family.json``: 500 steps of every other rule and every option combination that changes
  a rule (weight decay, dampening, amsgrad, centered, lr_decay, maximize, ...), every learning
  rate scheduler, and torch.optim.LBFGS with ``line_search_fn="strong_wolfe"``, on three
  functions. To stay small it keeps every ``STRIDE``-th iterate (the last one included) and
  the lr used at those iterations.
- ``torch_fit.json``: small minibatch fits of a linear regression (a torch training loop: the
  batches in the order descentlab.fit draws them, one scheduler step per optimizer step,
  ReduceLROnPlateau stepped on the minibatch loss), every step's parameters and lr.

Run once with torch installed (``pip install torch==2.13.0``). The gradients are the
hand-written formulas of tests/hand_objectives.py, evaluated with the same operations in torch,
so the comparison isolates the update rules.

Usage:
    python tools/make_torch_reference.py [DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
import torch.optim.lr_scheduler as lrs

STEPS = 50

# (descentlab name, torch class, torch kwargs) -- descentlab's hyperparameters use the same names.
CASES = [
    ("gd", torch.optim.SGD, {"lr": 1e-3}),
    ("momentum", torch.optim.SGD, {"lr": 1e-3, "momentum": 0.9}),
    ("momentum", torch.optim.SGD, {"lr": 5e-4, "momentum": 0.5}),
    ("nesterov", torch.optim.SGD, {"lr": 1e-3, "momentum": 0.9}),
    ("nesterov", torch.optim.SGD, {"lr": 5e-4, "momentum": 0.7}),
    ("adagrad", torch.optim.Adagrad, {"lr": 0.1}),
    ("adagrad", torch.optim.Adagrad, {"lr": 0.05, "eps": 1e-6}),
    ("rmsprop", torch.optim.RMSprop, {"lr": 0.01}),
    ("rmsprop", torch.optim.RMSprop, {"lr": 0.003, "alpha": 0.9, "eps": 1e-6}),
    ("adam", torch.optim.Adam, {"lr": 0.01}),
    ("adam", torch.optim.Adam, {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}),
]


def rosenbrock_grad(p: torch.Tensor) -> torch.Tensor:
    """Same operations, same order, as ``rosenbrock_grad`` in tests/test_optimizers.py."""
    x, y = p[0], p[1]
    r = y - x * x
    return torch.stack((-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r))


def quartic_grad(p: torch.Tensor) -> torch.Tensor:
    """f = 3x^4 + 4x^3 - 12x^2 + 7, f' = 12x^3 + 12x^2 - 24x (as in the tests)."""
    x = p[0]
    return torch.stack((12.0 * x * x * x + 12.0 * x * x - 24.0 * x,))


FUNCTIONS = {
    "rosenbrock": (rosenbrock_grad, [-1.2, 1.0]),
    "quartic": (quartic_grad, [2.5]),
}


def himmelblau_grad(p: torch.Tensor) -> torch.Tensor:
    """Same operations, same order, as ``Himmelblau.grad`` in tests/hand_objectives.py."""
    x, y = p[0], p[1]
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return torch.stack((4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b))


def rosenbrock_value(p: torch.Tensor) -> float:
    x, y = p[0], p[1]
    return float((1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2)


def quartic_value(p: torch.Tensor) -> float:
    x = p[0]
    return float(3.0 * x**4 + 4.0 * x**3 - 12.0 * x**2 + 7.0)


def himmelblau_value(p: torch.Tensor) -> float:
    x, y = p[0], p[1]
    return float((x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2)


def run(name: str, cls: type, kwargs: dict, grad_fn, x0: list[float]) -> list[list[float]]:
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    extra = {"nesterov": True} if name == "nesterov" else {}
    opt = cls([p], **kwargs, **extra)
    path = [p.detach().tolist()]
    for _ in range(STEPS):
        with torch.no_grad():
            p.grad = grad_fn(p.detach())
        opt.step()
        path.append(p.detach().tolist())
    return path


# ---------------------------------------------------------------------------------------------
# The family file: 500 steps, sampled.

FAMILY_STEPS = 500
STRIDE = 20

FAMILY_FUNCTIONS = {
    "rosenbrock": (rosenbrock_grad, rosenbrock_value, [-1.2, 1.0]),
    "quartic": (quartic_grad, quartic_value, [2.5]),
    "himmelblau": (himmelblau_grad, himmelblau_value, [0.5, -1.5]),
}

OPT = torch.optim
# (descentlab name, torch class, torch kwargs) -- the same keyword names.
# "maximize" cases run on -f (gradient negated exactly), so they still go to a minimum of f.
FAMILY_CASES = [
    ("gd", OPT.SGD, {"lr": 1e-3, "weight_decay": 0.05}),
    ("gd", OPT.SGD, {"lr": 1e-3, "maximize": True}),
    ("momentum", OPT.SGD, {"lr": 1e-3, "momentum": 0.9, "dampening": 0.1}),
    ("momentum", OPT.SGD, {"lr": 1e-3, "momentum": 0.5, "weight_decay": 0.02, "dampening": 0.3}),
    ("nesterov", OPT.SGD, {"lr": 1e-3, "momentum": 0.9, "weight_decay": 0.01}),
    ("adagrad", OPT.Adagrad, {"lr": 0.1, "lr_decay": 0.01}),
    ("adagrad", OPT.Adagrad, {"lr": 0.1, "initial_accumulator_value": 0.5, "weight_decay": 0.01}),
    ("adagrad", OPT.Adagrad, {"lr": 0.1, "maximize": True}),
    ("rmsprop", OPT.RMSprop, {"lr": 0.003, "centered": True}),
    ("rmsprop", OPT.RMSprop, {"lr": 0.001, "momentum": 0.5}),
    (
        "rmsprop",
        OPT.RMSprop,
        {"lr": 0.001, "momentum": 0.5, "centered": True, "weight_decay": 0.01},
    ),
    ("adam", OPT.Adam, {"lr": 0.01, "weight_decay": 0.05}),
    ("adam", OPT.Adam, {"lr": 0.01, "amsgrad": True}),
    ("adam", OPT.Adam, {"lr": 0.01, "maximize": True, "weight_decay": 0.05}),
    ("adamw", OPT.AdamW, {"lr": 0.01}),
    ("adamw", OPT.AdamW, {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("adamw", OPT.AdamW, {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "maximize": True}),
    ("nadam", OPT.NAdam, {"lr": 0.01}),
    ("nadam", OPT.NAdam, {"lr": 0.01, "momentum_decay": 0.01, "weight_decay": 0.01}),
    ("nadam", OPT.NAdam, {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("radam", OPT.RAdam, {"lr": 0.002}),
    ("radam", OPT.RAdam, {"lr": 0.002, "betas": (0.9, 0.99), "weight_decay": 0.01}),
    ("radam", OPT.RAdam, {"lr": 0.002, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("adamax", OPT.Adamax, {"lr": 0.01}),
    ("adamax", OPT.Adamax, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.02}),
    # Adadelta's default lr = 1 is chaotic on Rosenbrock and Himmelblau: a one-ulp difference
    # (torch's fused multiply-adds) at step 23..202 grows to 1e-3 by step 500; lr = 0.5 is not.
    ("adadelta", OPT.Adadelta, {"lr": 0.5}),
    ("adadelta", OPT.Adadelta, {"lr": 0.5, "rho": 0.95, "eps": 1e-5, "weight_decay": 0.01}),
    ("rprop", OPT.Rprop, {"lr": 0.01}),
    ("rprop", OPT.Rprop, {"lr": 0.001, "etas": (0.3, 1.1), "step_sizes": (1e-5, 0.5)}),
    ("rprop", OPT.Rprop, {"lr": 0.01, "maximize": True}),
    ("asgd", OPT.ASGD, {"lr": 1e-3}),
    (
        "asgd",
        OPT.ASGD,
        {"lr": 1e-3, "lambd": 1e-3, "alpha": 0.5, "t0": 100.0, "weight_decay": 0.01},
    ),
]

# (scheduler name, torch class, kwargs, optimizer case): one scheduler step per iteration, after
# the optimizer's step (ReduceLROnPlateau is given f at the iterate the gradient was taken at).
SCHEDULER_CASES = [
    (
        "steplr",
        lrs.StepLR,
        {"step_size": 50, "gamma": 0.5},
        ("momentum", OPT.SGD, {"lr": 1e-3, "momentum": 0.9}),
    ),
    (
        "multisteplr",
        lrs.MultiStepLR,
        {"milestones": [30, 80, 80, 300], "gamma": 0.3},
        ("adam", OPT.Adam, {"lr": 0.05}),
    ),
    ("exponentiallr", lrs.ExponentialLR, {"gamma": 0.995}, ("gd", OPT.SGD, {"lr": 1e-3})),
    (
        "cosineannealinglr",
        lrs.CosineAnnealingLR,
        {"T_max": 200, "eta_min": 1e-4},
        ("adam", OPT.Adam, {"lr": 0.05}),
    ),
    (
        "cosineannealinglr",
        lrs.CosineAnnealingLR,
        {"T_max": 500},
        ("rmsprop", OPT.RMSprop, {"lr": 0.01}),
    ),
    (  # lr 0 at steps 100 and 300 (eta_min 0): a pause, not a stall; torch goes on
        "cosineannealinglr",
        lrs.CosineAnnealingLR,
        {"T_max": 100},
        ("adam", OPT.Adam, {"lr": 0.05}),
    ),
    (
        "linearlr",
        lrs.LinearLR,
        {"start_factor": 0.1, "total_iters": 100},
        ("adamw", OPT.AdamW, {"lr": 0.02}),
    ),
    (
        "linearlr",
        lrs.LinearLR,
        {"start_factor": 1.0, "end_factor": 0.2, "total_iters": 300},
        ("nesterov", OPT.SGD, {"lr": 1e-3, "momentum": 0.9}),
    ),
    (
        "onecyclelr",
        lrs.OneCycleLR,
        {"max_lr": 0.05, "total_steps": 500, "cycle_momentum": False},
        ("adam", OPT.Adam, {"lr": 0.01}),
    ),
    (
        "onecyclelr",
        lrs.OneCycleLR,
        {
            "max_lr": 2e-3,
            "total_steps": 600,
            "pct_start": 0.2,
            "anneal_strategy": "linear",
            "three_phase": True,
            "div_factor": 10.0,
            "final_div_factor": 100.0,
            "cycle_momentum": False,
        },
        ("momentum", OPT.SGD, {"lr": 1e-3, "momentum": 0.9}),
    ),
    # OneCycleLR's default cycle_momentum=True: SGD's momentum or the Adam family's beta1
    # cycles between 0.95 and 0.85, inversely to the lr.
    *[
        (
            "onecyclelr",
            lrs.OneCycleLR,
            {"max_lr": max_lr, "total_steps": 500, **extra},
            (name, cls, {"lr": max_lr / 25, **kw}),
        )
        for name, cls, kw, max_lr, extra in [
            ("momentum", OPT.SGD, {"momentum": 0.9}, 2e-3, {}),
            ("nesterov", OPT.SGD, {"momentum": 0.9}, 2e-3, {"three_phase": True}),
            ("rmsprop", OPT.RMSprop, {}, 0.01, {"base_momentum": 0.5, "max_momentum": 0.8}),
            ("adam", OPT.Adam, {}, 0.05, {}),
            ("adamw", OPT.AdamW, {"weight_decay": 0.05}, 0.05, {"anneal_strategy": "linear"}),
            ("nadam", OPT.NAdam, {}, 0.05, {}),
            ("radam", OPT.RAdam, {}, 0.01, {"pct_start": 0.2}),
            ("adamax", OPT.Adamax, {}, 0.05, {}),
        ]
    ],
    (
        "reducelronplateau",
        lrs.ReduceLROnPlateau,
        {"factor": 0.5, "patience": 5, "threshold": 1e-3},
        ("momentum", OPT.SGD, {"lr": 1e-3, "momentum": 0.9}),
    ),
    (
        "reducelronplateau",
        lrs.ReduceLROnPlateau,
        {
            "factor": 0.3,
            "patience": 2,
            "threshold": 1e-2,
            "threshold_mode": "abs",
            "cooldown": 3,
            "min_lr": 1e-3,
        },
        ("adam", OPT.Adam, {"lr": 0.05}),
    ),
]

LBFGS_CASES = [
    {"lr": 1.0, "history_size": 100},
    {"lr": 1.0, "history_size": 3},
    {"lr": 0.5, "history_size": 5},
]


def _json_kwargs(kwargs: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}


def _sampled(path: list, values: list | None = None) -> dict:
    keep = list(range(0, len(path), STRIDE))
    if keep[-1] != len(path) - 1:
        keep.append(len(path) - 1)
    out = {"steps": keep, "iterates": [path[i] for i in keep]}
    if values is not None:
        out["lrs"] = [values[i] for i in keep if i < len(values)]
    return out


def run_family(name, cls, kwargs, grad_fn, value_fn, x0, sched=None, sign=1.0) -> tuple:
    """Iterates (all steps) and the lr used at each step, torch's usual training loop."""
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    extra = {"nesterov": True} if name == "nesterov" else {}
    opt = cls([p], **kwargs, **extra)
    scheduler = None if sched is None else sched[0](opt, **sched[1])
    path = [p.detach().tolist()]
    used = []
    for _ in range(FAMILY_STEPS):
        with torch.no_grad():
            loss = sign * value_fn(p.detach())
            p.grad = sign * grad_fn(p.detach())
        used.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        if isinstance(scheduler, lrs.ReduceLROnPlateau):
            scheduler.step(loss)
        elif scheduler is not None:
            scheduler.step()
        path.append(p.detach().tolist())
    return path, used


def run_lbfgs(kwargs, grad_fn, value_fn, x0) -> tuple:
    """One torch LBFGS iteration per step() (max_iter=1; max_eval=26 leaves 25 line-search
    evaluations, as in a step of torch's defaults); iterates until the gradient test stops it."""
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = OPT.LBFGS([p], max_iter=1, max_eval=26, line_search_fn="strong_wolfe", **kwargs)
    evals = [0]

    def closure():
        evals[0] += 1
        with torch.no_grad():
            p.grad = grad_fn(p.detach())
        return torch.tensor(value_fn(p.detach()), dtype=torch.float64)

    path = [p.detach().tolist()]
    for _ in range(100):
        before = p.detach().clone()
        opt.step(closure)
        if torch.equal(before, p.detach()):
            break
        path.append(p.detach().tolist())
    return path


def family_document() -> dict:
    # Float64 throughout: torch keeps some per-parameter scalars (NAdam's mu_product, ASGD's eta
    # and mu) in the *default* dtype, float32 unless set; descentlab computes them in float64.
    torch.set_default_dtype(torch.float64)
    cases = []
    for name, cls, kwargs in FAMILY_CASES:
        maximize = bool(kwargs.get("maximize"))
        for fname, (grad_fn, value_fn, x0) in FAMILY_FUNCTIONS.items():
            path, _ = run_family(
                name, cls, kwargs, grad_fn, value_fn, x0, sign=-1.0 if maximize else 1.0
            )
            cases.append(
                {
                    "optimizer": name,
                    "hyperparameters": _json_kwargs(kwargs),
                    "function": fname,
                    "negated": maximize,
                    "x0": x0,
                    **_sampled(path),
                }
            )
    schedules = []
    for sname, scls, skw, (name, cls, kwargs) in SCHEDULER_CASES:
        for fname, (grad_fn, value_fn, x0) in FAMILY_FUNCTIONS.items():
            path, used = run_family(name, cls, kwargs, grad_fn, value_fn, x0, sched=(scls, skw))
            schedules.append(
                {
                    "scheduler": sname,
                    "parameters": _json_kwargs(skw),
                    "optimizer": name,
                    "hyperparameters": _json_kwargs(kwargs),
                    "function": fname,
                    "x0": x0,
                    "all_lrs": used if fname == "rosenbrock" else None,
                    **_sampled(path, used),
                }
            )
    lbfgs = []
    for kwargs in LBFGS_CASES:
        for fname, (grad_fn, value_fn, x0) in FAMILY_FUNCTIONS.items():
            lbfgs.append(
                {
                    "hyperparameters": kwargs,
                    "function": fname,
                    "x0": x0,
                    "iterates": run_lbfgs(kwargs, grad_fn, value_fn, x0),
                }
            )
    return {
        "generator": "tools/make_torch_reference.py",
        "torch_version": torch.__version__,
        "dtype": "float64",
        "steps": FAMILY_STEPS,
        "default_dtype": "float64",
        "stride": STRIDE,
        "cases": cases,
        "schedulers": schedules,
        "lbfgs": lbfgs,
    }


# ---------------------------------------------------------------------------------------------
# The fit file: a linear regression trained on minibatches, as descentlab.fit trains it.

FIT_ROWS, FIT_BATCH, FIT_EPOCHS, FIT_SEED = 23, 5, 30, 3
FIT_START = [0.5, -0.5]  # (w, b)

# (name, (optimizer, torch class, kwargs), (scheduler, torch class, kwargs) or None)
FIT_CASES = [
    (
        "momentum-steplr",
        ("momentum", OPT.SGD, {"lr": 0.05, "momentum": 0.9}),
        ("steplr", lrs.StepLR, {"step_size": 20, "gamma": 0.5}),
    ),
    (
        "adam-plateau",
        ("adam", OPT.Adam, {"lr": 0.2}),
        ("reducelronplateau", lrs.ReduceLROnPlateau, {"factor": 0.5, "patience": 3}),
    ),
    (
        "nesterov-onecycle",  # cycle_momentum=True (torch's default): the momentum cycles too
        ("nesterov", OPT.SGD, {"lr": 0.01, "momentum": 0.9}),
        ("onecyclelr", lrs.OneCycleLR, {"max_lr": 0.1, "total_steps": 150}),
    ),
    (
        "adamw-cosine",
        ("adamw", OPT.AdamW, {"lr": 0.1, "weight_decay": 0.05}),
        ("cosineannealinglr", lrs.CosineAnnealingLR, {"T_max": 40, "eta_min": 1e-3}),
    ),
]


def fit_data() -> tuple[list[float], list[float]]:
    """A noisy line y = 1.5 x - 0.7 + noise (numpy's seeded generator, stored with the trace)."""
    import numpy as np

    rng = np.random.default_rng(11)
    x = rng.uniform(-2.0, 3.0, FIT_ROWS)
    y = 1.5 * x - 0.7 + rng.normal(0.0, 0.4, FIT_ROWS)
    return x.tolist(), y.tolist()


def fit_batches() -> list[list[int]]:
    """descentlab.fit's documented order: per epoch ``default_rng(seed).permutation(m)``, cut
    into consecutive batches of FIT_BATCH, each batch's rows in data order (sorted)."""
    import numpy as np

    rng = np.random.default_rng(FIT_SEED)
    out = []
    for _ in range(FIT_EPOCHS):
        order = rng.permutation(FIT_ROWS)
        for j in range(0, FIT_ROWS, FIT_BATCH):
            out.append(sorted(order[j : j + FIT_BATCH].tolist()))
    return out


def run_fit(opt_case, sched_case, x: list[float], y: list[float]) -> tuple[list, list]:
    """Every step's (w, b) and lr: mean squared error, gradient by hand (as descentlab.models)."""
    name, cls, kwargs = opt_case
    p = torch.tensor(FIT_START, dtype=torch.float64)
    extra = {"nesterov": True} if name == "nesterov" else {}
    opt = cls([p], **kwargs, **extra)
    scheduler = None if sched_case is None else sched_case[1](opt, **sched_case[2])
    X = torch.tensor(x, dtype=torch.float64)
    Y = torch.tensor(y, dtype=torch.float64)
    path, used = [p.tolist()], []
    for idx in fit_batches():
        xb, yb = X[idx], Y[idx]
        z = p[1] + xb * p[0]
        r = z - yb
        loss = (r * r).mean()
        dz = (2.0 / len(idx)) * (z - yb)
        p.grad = torch.stack(((dz * xb).sum(), dz.sum()))
        used.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        if isinstance(scheduler, lrs.ReduceLROnPlateau):
            scheduler.step(float(loss))
        elif scheduler is not None:
            scheduler.step()
        path.append(p.tolist())
    return path, used


def fit_document() -> dict:
    torch.set_default_dtype(torch.float64)
    x, y = fit_data()
    cases = []
    for label, opt_case, sched_case in FIT_CASES:
        path, used = run_fit(opt_case, sched_case, x, y)
        cases.append(
            {
                "name": label,
                "optimizer": opt_case[0],
                "hyperparameters": _json_kwargs(opt_case[2]),
                "scheduler": None if sched_case is None else sched_case[0],
                "parameters": None if sched_case is None else _json_kwargs(sched_case[2]),
                "params": path,
                "lrs": used,
            }
        )
    return {
        "generator": "tools/make_torch_reference.py",
        "torch_version": torch.__version__,
        "dtype": "float64",
        "x": x,
        "y": y,
        "batch_size": FIT_BATCH,
        "epochs": FIT_EPOCHS,
        "seed": FIT_SEED,
        "start": FIT_START,
        "batches": fit_batches(),
        "cases": cases,
    }


def main(argv: list[str]) -> int:
    torch.set_num_threads(1)
    folder = Path(argv[1]) if len(argv) > 1 else Path(__file__).parents[1] / "tests/data"
    out = folder / "torch_reference.json"
    cases = []
    for name, cls, kwargs in CASES:
        for fname, (grad_fn, x0) in FUNCTIONS.items():
            cases.append(
                {
                    "optimizer": name,
                    "hyperparameters": {
                        k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()
                    },
                    "function": fname,
                    "x0": x0,
                    "iterates": run(name, cls, kwargs, grad_fn, x0),
                }
            )
    doc = {
        "generator": "tools/make_torch_reference.py",
        "torch_version": torch.__version__,
        "dtype": "float64",
        "steps": STEPS,
        "cases": cases,
    }
    out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {out}")
    family = family_document()
    path = folder / "torch_family.json"
    path.write_text(json.dumps(family, separators=(",", ":")) + "\n")
    print(
        f"wrote {len(family['cases'])} rule, {len(family['schedulers'])} scheduler and "
        f"{len(family['lbfgs'])} lbfgs cases to {path}"
    )
    fits = fit_document()
    path = folder / "torch_fit.json"
    path.write_text(json.dumps(fits, separators=(",", ":")) + "\n")
    print(f"wrote {len(fits['cases'])} fit cases to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
