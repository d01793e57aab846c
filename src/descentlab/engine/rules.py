"""Every elementwise update rule, written once as compiled code over column-layout arrays.

One function, :func:`rule_step`, dispatches on an integer rule id to the rule's kernel. The
fused compiled loop calls it from inside its own compiled code; the public ``(init, update)``
optimizers of :mod:`descentlab.optimizers` and the general loop of
:func:`descentlab.descent.minimize` (Python-callable objectives) call the same compiled function
once per iteration. There is no second copy of any rule.

Layout (column layout: one contiguous row of B numbers per variable, so the loops over the rows
of a block are innermost and vectorize):

- ``G`` (n, B): the gradient of the B rows at the current point.
- ``S`` (s, n, B): the rule's state (velocity, moments, ...), updated in place. ``s`` is the
  rule's :data:`STATE_SIZE`; it starts at zero (``init``).
- ``T`` (B,) int64: the number of *this* step for each row, counting from 1 (the caller sets it;
  a rule never writes it). Adam's bias correction reads it.
- ``H`` (h,) float64: the rule's hyperparameters other than the learning rate, in the order its
  kernel documents (flags are 0.0 / 1.0).
- ``lr`` (B,): this iteration's learning rate per row (a scheduler may change it every step).
- ``out`` (n, B): the step, written by the rule; the new point is ``x + out`` (the sign is in
  the step, and the operations follow PyTorch's order so iterates match ``torch.optim``).

How to add a rule:

1. Write ``_name(G, S, T, H, lr, out)`` below as an ``@njit(cache=True, error_model="numpy")``
   function: loops ``for i in range(n): for b in range(B):`` (rows innermost), PyTorch's
   operation order, a docstring with the rule and the meaning of each ``H`` entry.
2. Give it the next id in :data:`RULE_IDS` (name -> id), its state size in :data:`STATE_SIZE`,
   and one ``elif`` branch in :func:`rule_step`.
3. In :mod:`descentlab.optimizers`, its factory validates the hyperparameters and returns
   ``kernel_optimizer(name, H, hyperparameters, state_type)``: the public ``init``/``update``
   and the fused loop then both use the kernel.

Rules that need more than the gradient at one point (the backtracking line search, Newton,
quasi-Newton) are not elementwise; they stay in Python, in :mod:`descentlab.optimizers`.

This module imports numba; it is imported on first use, never by ``import descentlab``.
Compiled code is cached on disk (``cache=True``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["RULE_IDS", "STATE_SIZE", "rule_step"]

GD = 0
MOMENTUM = 1
NESTEROV = 2
ADAGRAD = 3
RMSPROP = 4
ADAM = 5

RULE_IDS: dict[str, int] = {
    "gd": GD,
    "momentum": MOMENTUM,
    "nesterov": NESTEROV,
    "adagrad": ADAGRAD,
    "rmsprop": RMSPROP,
    "adam": ADAM,
}
"""Rule name (the optimizer's registry name) -> the integer id :func:`rule_step` dispatches on."""

STATE_SIZE: dict[str, int] = {
    "gd": 0,
    "momentum": 1,
    "nesterov": 1,
    "adagrad": 1,
    "rmsprop": 1,
    "adam": 2,
}
"""Rule name -> ``s``, the number of (n, B) state arrays in ``S``."""

_JIT = {"cache": True, "error_model": "numpy", "nogil": True}


@njit(**_JIT)
def _gd(G, S, T, H, lr, out):
    """Gradient descent: ``out = g * (-lr)``. No state, no ``H``."""
    n, B = G.shape
    for i in range(n):
        for b in range(B):
            out[i, b] = G[i, b] * -lr[b]


@njit(**_JIT)
def _momentum(G, S, T, H, lr, out):
    """SGD with momentum: ``v = v * mu + g``, ``out = v * (-lr)``. ``S[0]`` = v; ``H = [mu]``."""
    n, B = G.shape
    mu = H[0]
    v = S[0]
    for i in range(n):
        for b in range(B):
            vi = v[i, b] * mu + G[i, b]
            v[i, b] = vi
            out[i, b] = vi * -lr[b]


@njit(**_JIT)
def _nesterov(G, S, T, H, lr, out):
    """Nesterov: ``v = v * mu + g``, ``out = (g + v * mu) * (-lr)``. ``S[0]`` = v; ``H = [mu]``."""
    n, B = G.shape
    mu = H[0]
    v = S[0]
    for i in range(n):
        for b in range(B):
            g = G[i, b]
            vi = v[i, b] * mu + g
            v[i, b] = vi
            out[i, b] = (g + vi * mu) * -lr[b]


@njit(**_JIT)
def _adagrad(G, S, T, H, lr, out):
    """AdaGrad: ``s = s + g g``, ``out = (g / (sqrt(s) + eps)) * (-lr)``. ``H = [eps]``."""
    n, B = G.shape
    eps = H[0]
    s = S[0]
    for i in range(n):
        for b in range(B):
            g = G[i, b]
            si = s[i, b] + g * g
            s[i, b] = si
            out[i, b] = (g / (np.sqrt(si) + eps)) * -lr[b]


@njit(**_JIT)
def _rmsprop(G, S, T, H, lr, out):
    """RMSProp: ``v = v a + ((1 - a) g) g``, ``out = (g / (sqrt(v) + eps)) * (-lr)``.

    ``S[0]`` = v; ``H = [alpha, eps]``.
    """
    n, B = G.shape
    alpha = H[0]
    eps = H[1]
    w = 1.0 - alpha
    v = S[0]
    for i in range(n):
        for b in range(B):
            g = G[i, b]
            vi = v[i, b] * alpha + w * g * g
            v[i, b] = vi
            out[i, b] = (g / (np.sqrt(vi) + eps)) * -lr[b]


@njit(**_JIT)
def _adam(G, S, T, H, lr, out):
    """Adam in torch's operation order; ``S[0]`` = m, ``S[1]`` = v; ``H = [beta1, beta2, eps]``.

    ``m = m + (1 - beta1)(g - m)`` (torch's lerp), ``v = (1 - beta2) g g + beta2 v``,
    ``out = m / (sqrt(v) / sqrt(1 - beta2^t) + eps) * (-lr / (1 - beta1^t))``.
    The two bias corrections are computed once per distinct (t, lr) run of rows.
    """
    n, B = G.shape
    beta1 = H[0]
    beta2 = H[1]
    eps = H[2]
    w1 = 1.0 - beta1
    w2 = 1.0 - beta2
    neg_step = np.empty(B)
    root_bc2 = np.empty(B)
    last_t = -1
    last_lr = np.nan
    a = 0.0
    c = 0.0
    for b in range(B):
        if T[b] != last_t or lr[b] != last_lr:
            last_t = T[b]
            last_lr = lr[b]
            tf = float(last_t)
            a = -(last_lr / (1.0 - beta1**tf))
            c = (1.0 - beta2**tf) ** 0.5
        neg_step[b] = a
        root_bc2[b] = c
    m = S[0]
    v = S[1]
    for i in range(n):
        for b in range(B):
            g = G[i, b]
            mi = m[i, b]
            mi = (g - mi) * w1 + mi
            m[i, b] = mi
            vi = g * w2 * g + v[i, b] * beta2
            v[i, b] = vi
            out[i, b] = mi / (np.sqrt(vi) / root_bc2[b] + eps) * neg_step[b]


@njit(**_JIT)
def rule_step(rule_id, G, S, T, H, lr, out):
    """One step of rule ``rule_id`` for a block of rows (see the module docstring for layouts).

    Args:
        rule_id: The rule's id in :data:`RULE_IDS`.
        G: (n, B) gradients.
        S: (s, n, B) the rule's state, updated in place.
        T: (B,) int64, the number of this step per row (1 on the first step).
        H: (h,) the rule's hyperparameters.
        lr: (B,) this step's learning rate per row.
        out: (n, B) receives the step (new x = x + out).
    """
    if rule_id == GD:
        _gd(G, S, T, H, lr, out)
    elif rule_id == MOMENTUM:
        _momentum(G, S, T, H, lr, out)
    elif rule_id == NESTEROV:
        _nesterov(G, S, T, H, lr, out)
    elif rule_id == ADAGRAD:
        _adagrad(G, S, T, H, lr, out)
    elif rule_id == RMSPROP:
        _rmsprop(G, S, T, H, lr, out)
    elif rule_id == ADAM:
        _adam(G, S, T, H, lr, out)
