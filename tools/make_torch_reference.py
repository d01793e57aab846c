"""Write tests/data/torch_reference.json: iterates of real torch.optim optimizers in float64.

Run once with torch installed (``pip install torch==2.13.0``); the tests only read the JSON and
never import torch. The gradients are the hand-written formulas of tests/test_optimizers.py,
evaluated with the same operations in torch, so the comparison isolates the update rules.

Usage:
    python tools/make_torch_reference.py [OUTPUT]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

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


def main(argv: list[str]) -> int:
    torch.set_num_threads(1)
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).parents[1] / "tests/data"
    if out.is_dir():
        out = out / "torch_reference.json"
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
