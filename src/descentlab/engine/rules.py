"""Every elementwise update rule, written once as compiled code over column-layout arrays.

Each rule is one compiled kernel, :data:`KERNELS` maps the rule's name to it, and all kernels
have one signature (:data:`SIGNATURE`). The fused compiled loop takes the kernel as a
first-class function (:data:`RULE`): one compiled loop serves every rule, and a run compiles
(or loads from the disk cache) only the kernel it uses. The public ``(init, update)``
optimizers of :mod:`descentlab.optimizers` and the general loop of
:func:`descentlab.descent.minimize` (Python-callable objectives) call the same kernel once per
iteration (:func:`rule_step`). There is no second copy of any rule.

Layout (column layout: one contiguous row of B numbers per variable, so the loops over the rows
of a block are innermost and vectorize):

- ``G`` (n, B): the gradient of the B rows at the current point.
- ``S`` (s, n, B): the rule's state (velocity, moments, ...), updated in place. ``s`` is the
  rule's :data:`STATE_SIZE`; it starts at zero (``init``); a rule whose torch state starts
  elsewhere (Rprop's step sizes, Adagrad's ``initial_accumulator_value``) sets it when ``t == 1``.
- ``t`` (int64): the number of *this* step, counting from 1, the same for every row of the call.
  Bias corrections and first-step initializations read it.
- ``H`` (h,) float64: the rule's hyperparameters other than the learning rate, in the order its
  kernel documents (flags are 0.0 / 1.0).
- ``lr`` (float64): this step's learning rate, the same for every row of the call (a scheduler
  may change it every step).
- ``out`` (n, B): the step, written by the rule; the new point is ``x + out`` (the sign is in
  the step, and the operations follow PyTorch's order so iterates match ``torch.optim``).
- ``X`` (n, B): the current point (weight decay, AdamW's decoupled decay and ASGD read it).

Options shared by many rules, as torch names them: ``weight_decay`` (L2: the gradient becomes
``g + weight_decay * x``; "decoupled" for AdamW and optionally NAdam/RAdam: ``x`` is first
multiplied by ``1 - lr * weight_decay``) and ``maximize`` (the gradient is negated first).

How to add a rule:

1. Write ``_name(G, S, t, H, lr, out, X)`` below as a ``@jit`` function
   (:func:`descentlab.engine.jit.jit`): loops ``for i in range(n): for b in range(B):`` (rows
   innermost), PyTorch's operation order, a docstring with the rule and the meaning of each
   ``H`` entry.
2. Give it an entry in :data:`KERNELS` (name -> kernel) and its state size in
   :data:`STATE_SIZE`.
3. In :mod:`descentlab.optimizers`, its factory validates the hyperparameters and returns
   ``kernel_optimizer(name, H, hyperparameters, state_type)``: the public ``init``/``update``
   and the fused loop then both use the kernel.

Rules that need more than the gradient at one point (the backtracking line search, Newton,
quasi-Newton) are not elementwise; they stay in Python (:mod:`descentlab.optimizers`,
:mod:`descentlab.secondorder`).

This module imports numba; it is imported on first use, never by ``import descentlab``.
Compiled code is cached on disk (:mod:`descentlab.engine.jit`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import types

from descentlab.engine.jit import inline, jit, run

__all__ = ["KERNELS", "RULE", "SIGNATURE", "STATE_SIZE", "rule_step"]

STATE_SIZE: dict[str, int] = {
    "gd": 0,
    "momentum": 1,
    "nesterov": 1,
    "adagrad": 1,
    "rmsprop": 3,
    "adam": 3,
    "adamw": 3,
    "nadam": 3,
    "radam": 2,
    "adamax": 2,
    "adadelta": 2,
    "rprop": 2,
    "asgd": 3,
}
"""Rule name -> ``s``, the number of (n, B) state arrays in ``S``."""


@jit
def _grad(g, x, sign, wd):
    """torch's gradient preamble: ``g = -g`` if maximize (``sign = -1``), then ``g + wd x``."""
    g = g * sign
    if wd != 0.0:
        g = g + x * wd
    return g


@jit
def _gd(G, S, t, H, lr, out, X):
    """Gradient descent: ``out = g * (-lr)``. ``H = [weight_decay, sign]`` (sign -1: maximize)."""
    n, B = G.shape
    wd = H[0]
    sign = H[1]
    for i in range(n):
        for b in range(B):
            out[i, b] = _grad(G[i, b], X[i, b], sign, wd) * -lr


@inline
def _momentum(G, S, t, H, lr, out, X, nesterov):  # noqa: ANN001
    """SGD with momentum: ``v = v * mu + (1 - dampening) g`` (``v = 0 * mu + g`` at t = 1),
    ``out = v * (-lr)``; Nesterov (``nesterov`` True): ``out = (g + v * mu) * (-lr)``.

    ``S[0]`` = v; ``H = [mu, dampening, weight_decay, sign]``.
    """
    n, B = G.shape
    mu = H[0]
    w = 1.0 - H[1]
    wd = H[2]
    sign = H[3]
    v = S[0]
    first = t == 1  # torch's buffer starts as the undamped gradient
    for i in range(n):
        for b in range(B):
            g = _grad(G[i, b], X[i, b], sign, wd)
            vi = (0.0 if first else v[i, b]) * mu + g * (1.0 if first else w)
            v[i, b] = vi
            out[i, b] = ((g + vi * mu) if nesterov else vi) * -lr


@jit
def _adagrad(G, S, t, H, lr, out, X):
    """AdaGrad: ``s = s + g g`` (``s_0`` = initial_accumulator_value),
    ``out = (g / (sqrt(s) + eps)) * (-lr / (1 + (t - 1) lr_decay))``.

    ``S[0]`` = s; ``H = [eps, lr_decay, initial_accumulator_value, weight_decay, sign]``.
    """
    n, B = G.shape
    eps = H[0]
    decay = H[1]
    s0 = H[2]
    wd = H[3]
    sign = H[4]
    s = S[0]
    clr = -(lr / (1.0 + (t - 1) * decay))
    first = t == 1  # torch's sum starts at initial_accumulator_value
    for i in range(n):
        for b in range(B):
            g = _grad(G[i, b], X[i, b], sign, wd)
            si = (s0 if first else s[i, b]) + g * g
            s[i, b] = si
            out[i, b] = (g / (np.sqrt(si) + eps)) * clr


@jit
def _rmsprop(G, S, t, H, lr, out, X):
    """RMSProp: ``v = v a + ((1 - a) g) g``; centered: ``m = m + (1 - a)(g - m)`` and the
    root is ``sqrt(v - m m)``; ``avg = root + eps``; with momentum ``mu > 0``:
    ``buf = buf mu + g / avg``, ``out = buf (-lr)``, else ``out = (g / avg)(-lr)``.

    ``S = [v, m, buf]``; ``H = [alpha, eps, momentum, centered, weight_decay, sign]``.
    """
    n, B = G.shape
    alpha = H[0]
    eps = H[1]
    mu = H[2]
    centered = H[3] != 0.0
    wd = H[4]
    sign = H[5]
    w = 1.0 - alpha
    v = S[0]
    m = S[1]
    buf = S[2]
    for i in range(n):
        for b in range(B):
            g = _grad(G[i, b], X[i, b], sign, wd)
            vi = v[i, b] * alpha + w * g * g
            v[i, b] = vi
            if centered:
                mi = m[i, b]
                mi = (g - mi) * w + mi
                m[i, b] = mi
                avg = np.sqrt(vi - mi * mi) + eps
            else:
                avg = np.sqrt(vi) + eps
            if mu > 0.0:
                bi = buf[i, b] * mu + g / avg
                buf[i, b] = bi
                out[i, b] = bi * -lr
            else:
                out[i, b] = (g / avg) * -lr


@jit
def _adam(G, S, t, H, lr, out, X):
    """Adam / AdamW in torch's operation order.

    ``m = m + (1 - beta1)(g - m)`` (torch's lerp), ``v = (1 - beta2) g g + beta2 v``,
    with amsgrad ``vmax = max(vmax, v)`` used in place of ``v``,
    ``u = m / (sqrt(v) / sqrt(1 - beta2^t) + eps) * (-lr / (1 - beta1^t))``; decoupled weight
    decay (AdamW) first scales x by ``1 - lr wd``: ``out = (x (1 - lr wd) - x) + u``.
    The bias corrections are computed once, for the step number ``t`` and the lr of all rows.

    ``S = [m, v, vmax]``; ``H = [beta1, beta2, eps, weight_decay, amsgrad, sign, decoupled]``.
    """
    n, B = G.shape
    beta1 = H[0]
    beta2 = H[1]
    eps = H[2]
    wd = H[3]
    ams = H[4] != 0.0
    sign = H[5]
    decoupled = H[6] != 0.0
    l2 = 0.0 if decoupled else wd
    w1 = 1.0 - beta1
    w2 = 1.0 - beta2
    tf = float(t)
    a = -(lr / (1.0 - beta1**tf))
    c = (1.0 - beta2**tf) ** 0.5
    keep = 1.0 - lr * wd
    m = S[0]
    v = S[1]
    vmax = S[2]
    if not ams and wd == 0.0 and sign == 1.0:  # plain Adam: a loop without branches vectorizes
        for i in range(n):
            for b in range(B):
                g = G[i, b]
                mi = m[i, b]
                mi = (g - mi) * w1 + mi
                m[i, b] = mi
                vi = g * w2 * g + v[i, b] * beta2
                v[i, b] = vi
                out[i, b] = mi / (np.sqrt(vi) / c + eps) * a
        return
    for i in range(n):
        for b in range(B):
            x = X[i, b]
            g = _grad(G[i, b], x, sign, l2)
            mi = m[i, b]
            mi = (g - mi) * w1 + mi
            m[i, b] = mi
            vi = g * w2 * g + v[i, b] * beta2
            v[i, b] = vi
            if ams:
                vi = max(vmax[i, b], vi)
                vmax[i, b] = vi
            u = mi / (np.sqrt(vi) / c + eps) * a
            if decoupled and wd != 0.0:
                out[i, b] = (x * keep - x) + u
            else:
                out[i, b] = u


@jit
def _nadam(G, S, t, H, lr, out, X):
    """NAdam (Dozat) with torch's momentum schedule ``mu_t = beta1 (1 - 0.96^(t psi) / 2)``.

    ``prod = prod mu_t`` (1 before the first step), m and v as Adam,
    ``denom = sqrt(v / (1 - beta2^t)) + eps``,
    ``x' = x + (-lr (1 - mu_t) / (1 - prod)) g / denom
    + (-lr mu_(t+1) / (1 - prod mu_(t+1))) m / denom``.

    ``S = [m, v, prod]``; ``H = [beta1, beta2, eps, weight_decay, momentum_decay, decoupled,
    sign]``.
    """
    n, B = G.shape
    beta1 = H[0]
    beta2 = H[1]
    eps = H[2]
    wd = H[3]
    psi = H[4]
    decoupled = H[5] != 0.0
    sign = H[6]
    l2 = 0.0 if decoupled else wd
    w1 = 1.0 - beta1
    w2 = 1.0 - beta2
    m = S[0]
    v = S[1]
    prod = S[2]
    tf = float(t)
    bc2 = 1.0 - beta2**tf
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (tf * psi)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((tf + 1.0) * psi)))
    keep = 1.0 - lr * wd
    first = t == 1
    for i in range(n):
        for b in range(B):
            x = X[i, b]
            g = _grad(G[i, b], x, sign, l2)
            p = (1.0 if first else prod[i, b]) * mu
            prod[i, b] = p
            mi = m[i, b]
            mi = (g - mi) * w1 + mi
            m[i, b] = mi
            vi = v[i, b] * beta2 + w2 * g * g
            v[i, b] = vi
            denom = np.sqrt(vi / bc2) + eps
            xn = x * keep if (decoupled and wd != 0.0) else x
            xn = xn + (-lr * (1.0 - mu) / (1.0 - p)) * (g / denom)
            xn = xn + ((-lr * mu_next) / (1.0 - p * mu_next)) * (mi / denom)
            out[i, b] = xn - x


@jit
def _radam(G, S, t, H, lr, out, X):
    """RAdam: Adam's moments, rectified once the variance estimate is long enough.

    ``rho_inf = 2 / (1 - beta2) - 1``, ``rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)``;
    if ``rho_t > 5``: ``u = mhat lr sqrt(1 - beta2^t) / (sqrt(v) + eps) r_t`` with
    ``r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))``, else
    ``u = mhat lr`` (plain momentum); ``out = -u`` (after the decoupled decay, if any).

    ``S = [m, v]``; ``H = [beta1, beta2, eps, weight_decay, decoupled, sign]``.
    """
    n, B = G.shape
    beta1 = H[0]
    beta2 = H[1]
    eps = H[2]
    wd = H[3]
    decoupled = H[4] != 0.0
    sign = H[5]
    l2 = 0.0 if decoupled else wd
    w1 = 1.0 - beta1
    w2 = 1.0 - beta2
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    m = S[0]
    v = S[1]
    tf = float(t)
    bc1 = 1.0 - beta1**tf
    bc2 = 1.0 - beta2**tf
    rho_t = rho_inf - 2.0 * tf * (beta2**tf) / bc2
    rect = 0.0
    if rho_t > 5.0:
        num = (rho_t - 4.0) * (rho_t - 2.0) * rho_inf
        rect = (num / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) ** 0.5
    keep = 1.0 - lr * wd
    for i in range(n):
        for b in range(B):
            x = X[i, b]
            g = _grad(G[i, b], x, sign, l2)
            mi = m[i, b]
            mi = (g - mi) * w1 + mi
            m[i, b] = mi
            vi = v[i, b] * beta2 + w2 * g * g
            v[i, b] = vi
            mhat = mi / bc1
            u = mhat * lr * (bc2**0.5 / (np.sqrt(vi) + eps)) * rect if rho_t > 5.0 else mhat * lr
            xd = x * keep if (decoupled and wd != 0.0) else x
            out[i, b] = (xd - x) - u


@jit
def _adamax(G, S, t, H, lr, out, X):
    """Adamax: ``m`` as Adam, ``u = max(beta2 u, |g| + eps)``,
    ``out = (m / u) * (-lr / (1 - beta1^t))``.

    ``S = [m, u]``; ``H = [beta1, beta2, eps, weight_decay, sign]``.
    """
    n, B = G.shape
    beta1 = H[0]
    beta2 = H[1]
    eps = H[2]
    wd = H[3]
    sign = H[4]
    w1 = 1.0 - beta1
    m = S[0]
    u = S[1]
    clr = -(lr / (1.0 - beta1 ** float(t)))
    for i in range(n):
        for b in range(B):
            g = _grad(G[i, b], X[i, b], sign, wd)
            mi = m[i, b]
            mi = (g - mi) * w1 + mi
            m[i, b] = mi
            ui = max(u[i, b] * beta2, abs(g) + eps)
            u[i, b] = ui
            out[i, b] = (mi / ui) * clr


@jit
def _adadelta(G, S, t, H, lr, out, X):
    """Adadelta: ``v = v rho + (1 - rho) g g``,
    ``delta = sqrt(a + eps) / sqrt(v + eps) * g``, ``a = a rho + (1 - rho) delta delta``,
    ``out = delta * (-lr)``.

    ``S = [v, a]``; ``H = [rho, eps, weight_decay, sign]``.
    """
    n, B = G.shape
    rho = H[0]
    eps = H[1]
    wd = H[2]
    sign = H[3]
    w = 1.0 - rho
    v = S[0]
    acc = S[1]
    for i in range(n):
        for b in range(B):
            g = _grad(G[i, b], X[i, b], sign, wd)
            vi = v[i, b] * rho + w * g * g
            v[i, b] = vi
            ai = acc[i, b]
            delta = np.sqrt(ai + eps) / np.sqrt(vi + eps) * g
            acc[i, b] = ai * rho + w * delta * delta
            out[i, b] = delta * -lr


@jit
def _rprop(G, S, t, H, lr, out, X):
    """Rprop: each coordinate's step size grows by etaplus while the gradient keeps its sign
    and shrinks by etaminus when it flips (then that coordinate waits one step).

    ``f = etaplus`` if ``g g_prev > 0``, ``etaminus`` if ``< 0``, else 1;
    ``step = clip(step f, step_min, step_max)`` (``step = lr`` before the first),
    ``g = 0`` where ``f = etaminus``; ``out = -sign(g) step``; ``g_prev = g``.

    ``S = [g_prev, step]``; ``H = [etaminus, etaplus, step_min, step_max, sign]``.
    """
    n, B = G.shape
    etaminus = H[0]
    etaplus = H[1]
    smin = H[2]
    smax = H[3]
    sign = H[4]
    prev = S[0]
    size = S[1]
    for i in range(n):
        for b in range(B):
            g = G[i, b] * sign
            st = lr if t == 1 else size[i, b]
            p = g * prev[i, b]
            f = etaplus if p > 0.0 else (etaminus if p < 0.0 else 1.0)
            st = min(max(st * f, smin), smax)
            size[i, b] = st
            if f == etaminus:
                g = 0.0
            prev[i, b] = g
            sg = 1.0 if g > 0.0 else (-1.0 if g < 0.0 else 0.0)
            out[i, b] = -(sg * st)


@jit
def _asgd(G, S, t, H, lr, out, X):
    """ASGD: ``x' = x (1 - lambd eta) - eta g``, then ``ax = ax + (x' - ax) mu`` (``ax = x'``
    while ``mu = 1``), ``eta = lr / (1 + lambd lr t)^alpha``, ``mu = 1 / max(1, t - t0)``
    (``eta = lr`` and ``mu = 1`` before the first step).

    ``S = [eta, mu, ax]`` (eta and mu per coordinate, equal across a row);
    ``H = [lambd, alpha, t0, weight_decay, sign]``.
    """
    n, B = G.shape
    lambd = H[0]
    alpha = H[1]
    t0 = H[2]
    wd = H[3]
    sign = H[4]
    eta = S[0]
    mu = S[1]
    ax = S[2]
    first = t == 1
    tf = float(t)
    eta_next = lr / ((1.0 + lambd * lr * tf) ** alpha)
    mu_next = 1.0 / max(1.0, tf - t0)
    for i in range(n):
        for b in range(B):
            x = X[i, b]
            g = _grad(G[i, b], x, sign, wd)
            e = lr if first else eta[i, b]
            mi = 1.0 if first else mu[i, b]
            xn = x * (1.0 - lambd * e)
            xn = xn + g * -e
            ai = ax[i, b]
            ax[i, b] = ai + (xn - ai) * mi if mi != 1.0 else xn
            eta[i, b] = eta_next
            mu[i, b] = mu_next
            out[i, b] = xn - x


@jit
def _sgd_momentum(G, S, t, H, lr, out, X):
    """SGD with momentum (:func:`_momentum`, ``nesterov`` False)."""
    _momentum(G, S, t, H, lr, out, X, False)


@jit
def _nesterov(G, S, t, H, lr, out, X):
    """SGD with Nesterov momentum (:func:`_momentum`, ``nesterov`` True)."""
    _momentum(G, S, t, H, lr, out, X, True)


KERNELS: dict[str, Any] = {
    "gd": _gd,
    "momentum": _sgd_momentum,
    "nesterov": _nesterov,
    "adagrad": _adagrad,
    "rmsprop": _rmsprop,
    "adam": _adam,
    "adamw": _adam,  # Adam with decoupled weight decay (torch 2.13's AdamW is exactly that)
    "nadam": _nadam,
    "radam": _radam,
    "adamax": _adamax,
    "adadelta": _adadelta,
    "rprop": _rprop,
    "asgd": _asgd,
}
"""Rule name (the optimizer's registry name) -> its compiled kernel, each a function of
:data:`SIGNATURE`. Each kernel is compiled (or loaded from the cache) on its first use only."""

SIGNATURE = types.void(
    types.float64[:, ::1],  # G
    types.float64[:, :, ::1],  # S
    types.int64,  # t
    types.float64[::1],  # H
    types.float64,  # lr
    types.float64[:, ::1],  # out
    types.float64[:, ::1],  # X
)
"""Every kernel's one signature (C-contiguous arrays); the fused loop takes a kernel as a
first-class function of this type (:data:`RULE`), so it is compiled once for every rule."""

RULE = types.FunctionType(SIGNATURE)
"""The numba type of a kernel passed to compiled code (the fused loop's ``rule``)."""


def rule_step(name, G, S, t, H, lr, out, X) -> None:  # noqa: ANN001
    """One step of rule ``name`` for a block of rows (see the module docstring for layouts).

    The one place where rows may differ in lr: the kernel then runs once per group of rows with
    the same lr (compared bit for bit), on copies of their columns, and each row gets exactly
    the numbers it would get alone. (A plateau schedule's rows share a few lrs; rows that all
    differ cost one kernel call each.)

    Args:
        name: The rule's name, a key of :data:`KERNELS`.
        G: (n, B) gradients.
        S: (s, n, B) the rule's state, updated in place.
        t: The number of this step (1 on the first step), the same for every row.
        H: (h,) the rule's hyperparameters.
        lr: This step's learning rate: a number, or (B,) one per row.
        out: (n, B) receives the step (new x = x + out).
        X: (n, B) the current point.
    """
    fn = KERNELS[name]
    seconds = 1e-6 * G.size  # as Python while it compiles (jit.run): ~1 us per number
    rates = np.asarray(lr, dtype=np.float64).reshape(-1)
    bits = rates.view(np.int64)  # compared bit for bit: 0.0 and -0.0 give different steps
    if bits.size <= 1 or (bits == bits[0]).all():
        run(fn, (G, S, t, H, float(rates[0]) if rates.size else 0.0, out, X), seconds)
        return
    for value in np.unique(bits):
        cols = np.flatnonzero(bits == value)
        S_g = np.ascontiguousarray(S[:, :, cols])
        out_g = np.empty((G.shape[0], cols.size))
        G_g, X_g = np.ascontiguousarray(G[:, cols]), np.ascontiguousarray(X[:, cols])
        run(fn, (G_g, S_g, t, H, float(rates[cols[0]]), out_g, X_g), seconds)
        S[:, :, cols] = S_g
        out[:, cols] = out_g
