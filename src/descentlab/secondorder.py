"""Second-order and quasi-Newton methods: Newton (plain or damped), BFGS and L-BFGS.

These rules need more than the gradient at one point: Newton solves with the exact Hessian
(``objective.hessian``), BFGS and L-BFGS build a curvature model from gradient differences and
choose each step length with a line search that satisfies the strong Wolfe conditions. They run
in the general loop of :func:`descentlab.descent.minimize`, batched over rows: each row has its
own model, its own line search and its own stop; the line searches of all rows evaluate the
objective together, one batched call per round of trials.

The line search is torch.optim.LBFGS's ``_strong_wolfe`` (cubic interpolation, bracketing then
zoom, c1 = 1e-4, c2 = 0.9, at most 25 evaluations), so :func:`lbfgs` takes torch's steps.

Examples:
    >>> import numpy as np
    >>> from descentlab.objective import Objective
    >>> from descentlab.descent import minimize
    >>> f = Objective.from_formula("(x - 1)^2 + 10 (y + 2)^2")
    >>> r = minimize(f, [[3.0, 4.0]], newton())
    >>> r.x.round(6).tolist(), bool(r.success[0])
    ([[1.0, -2.0]], True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from descentlab import checks
from descentlab.errors import ConfigError

if TYPE_CHECKING:  # optimizers imports this module to list these rules in OPTIMIZERS
    from descentlab.optimizers import Optimizer

__all__ = [
    "SECOND_ORDER",
    "BFGSState",
    "LBFGSState",
    "NewtonState",
    "bfgs",
    "lbfgs",
    "newton",
    "strong_wolfe",
]

SECOND_ORDER = ("newton", "bfgs", "lbfgs")
"""The rules of this module: they need the objective itself, not only a gradient."""

Array = NDArray[np.float64]
ValueAndGrad = Callable[[Array], tuple[Array, Array]]

C1 = 1e-4
"""Sufficient-decrease constant of the strong Wolfe line search (torch's and Nocedal-Wright's)."""
C2 = 0.9
"""Curvature constant of the strong Wolfe line search (quasi-Newton's usual 0.9)."""
MAX_LS = 25
"""Most objective evaluations per line search (torch.optim.LBFGS's default step allows 25)."""
TOLERANCE_CHANGE = 1e-9
"""The line search stops shrinking its bracket below this width times ``max |d|`` (torch's)."""


class NewtonState(NamedTuple):
    """Newton's record of its last step: the Hessian's eigenvalues per row (k, n), ascending."""

    eigenvalues: Array


class BFGSState(NamedTuple):
    """BFGS's inverse-Hessian model and what its last line search did, per row.

    Attributes:
        H: (k, n, n) the inverse-Hessian approximation (identity before the first update).
        g: (k, n) the gradient where the last step started (nan before the first step).
        s: (k, n) the last step.
        t: (k,) the last accepted step length.
        n_iter: (k,) steps taken so far.
        nfev: (k,) objective evaluations the last line search made.
    """

    H: Array
    g: Array
    s: Array
    t: Array
    n_iter: NDArray[np.int64]
    nfev: NDArray[np.int64]


class LBFGSState(NamedTuple):
    """L-BFGS's history of the last ``m`` curvature pairs per row, oldest first.

    Attributes:
        dirs: (k, m, n) gradient differences ``y`` (torch's ``old_dirs``).
        stps: (k, m, n) steps ``s`` (torch's ``old_stps``).
        ro: (k, m) ``1 / <y, s>``.
        n_pairs: (k,) pairs stored.
        H_diag: (k,) the initial inverse-Hessian scale ``<y, s> / <y, y>`` of the newest pair.
        g: (k, n) the gradient where the last step started.
        s: (k, n) the last step ``t d``.
        t: (k,) the last step length.
        n_iter: (k,) steps taken so far.
        nfev: (k,) objective evaluations the last line search made.
    """

    dirs: Array
    stps: Array
    ro: Array
    n_pairs: NDArray[np.int64]  # not ``count``: that is tuple's method
    H_diag: Array
    g: Array
    s: Array
    t: Array
    n_iter: NDArray[np.int64]
    nfev: NDArray[np.int64]


# ---------------------------------------------------------------------------------------------
# Validation.


def _optimizer(*fields: Any) -> Optimizer:
    from descentlab.optimizers import Optimizer

    return Optimizer(*fields)


def _rate(kwargs: dict[str, Any], lr: float, k: int) -> Array:
    """This step's lr per row: a scheduler's (``lr=`` from minimize) or the optimizer's."""
    rate = kwargs.get("lr")
    return np.full(k, lr) if rate is None else np.broadcast_to(rate, (k,)).astype(float)


def _hessian(objective: Any, X: Array) -> Array:
    """``objective.hessian(X)`` when it has one, else central differences of its gradient
    (:func:`descentlab.derivatives.finite.hessian`, step ``eps^(1/3) max(1, |x_j|)``)."""
    exact = getattr(objective, "hessian", None)
    if callable(exact):
        return np.asarray(exact(X), dtype=np.float64)
    from descentlab.derivatives.finite import hessian

    return hessian(objective.grad, X)


def _objective(kwargs: dict[str, Any], name: str) -> Any:
    if kwargs.get("project") is not None:
        raise ConfigError(
            f"{name} does not support bounds (its curvature model and line search assume no "
            "box); use a first-order rule or linesearch"
        )
    objective = kwargs.get("objective")
    if objective is None:
        raise ConfigError(f"{name} needs the objective (minimize passes it; got None)")
    return objective


# ---------------------------------------------------------------------------------------------
# The strong Wolfe line search (torch.optim.lbfgs._strong_wolfe), one generator per row.


def _cubic_interpolate(
    x1: float,
    f1: float,
    g1: float,
    x2: float,
    f2: float,
    g2: float,
    bounds: tuple[float, float] | None = None,
) -> float:
    """Minimizer of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to ``bounds``.

    torch's formula; where it divides by zero or overflows (torch would get nan or inf there),
    the middle of the bounds is taken, as torch does when the cubic has no minimum.
    """
    if bounds is not None:
        lo, hi = bounds
    else:
        lo, hi = (x1, x2) if x1 <= x2 else (x2, x1)
    try:
        d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        d2_square = d1 * d1 - g1 * g2
        if d2_square >= 0:
            d2 = math.sqrt(d2_square)
            if x1 <= x2:
                min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
            else:
                min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
            if math.isfinite(min_pos):
                return min(max(min_pos, lo), hi)
    except (ZeroDivisionError, OverflowError):
        pass
    return (lo + hi) / 2.0


LineSearch = Generator[float, tuple[float, Array], tuple[float, Array, float, int]]


def strong_wolfe(
    t: float, d: Array, f: float, g: Array, gtd: float, max_ls: int = MAX_LS
) -> LineSearch:
    """A step length along ``d`` that satisfies the strong Wolfe conditions, as a generator.

    The generator yields each trial step length ``t`` and receives ``(f, g)`` at ``x + t d``;
    it returns ``(f_new, g_new, t, evaluations)``. The algorithm and its constants are torch's
    ``_strong_wolfe``: extrapolate by cubic interpolation in ``[t + 0.01 (t - t_prev), 10 t]``
    until a bracket is found, then zoom with safeguarded cubic steps; accept when

    .. math::

        f(x + t d) \\le f(x) + c_1 t\\, g^\\top d, \\qquad |\\nabla f(x + t d)^\\top d| \\le
        -c_2\\, g^\\top d.

    Args:
        t: The first trial step length.
        d: (n,) the search direction (a descent direction: ``gtd < 0``).
        f: f at the start.
        g: (n,) the gradient at the start.
        gtd: ``<g, d>``.
        max_ls: Most evaluations.

    Returns:
        A generator (see above).
    """
    d_norm = float(np.abs(d).max())
    f_new, g_new = yield t
    ls_func_evals = 1
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    bracket: list[float] = []
    bracket_f: list[float] = []
    bracket_g: list[Array] = []
    bracket_gtd: list[float] = []
    while ls_iter < max_ls:
        if f_new > (f + C1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -C2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step)
        )
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = yield t
        ls_func_evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]
        bracket_gtd = [gtd, gtd_new]
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < TOLERANCE_CHANGE:
            break
        t = _cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = yield t
        ls_func_evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
        if f_new > (f + C1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -C2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new, gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


def _search_rows(
    value_and_grad: ValueAndGrad,
    X: Array,
    F: Array,
    G: Array,
    D: Array,
    t0: Array,
    rows: NDArray[np.bool_],
) -> tuple[Array, NDArray[np.int64]]:
    """Run one strong Wolfe search per selected row; all rows' trials are evaluated together.

    Returns the accepted step lengths (0 where a row was not searched) and the evaluations.
    """
    k = X.shape[0]
    t = np.zeros(k)
    nfev = np.zeros(k, dtype=np.int64)
    searches: dict[int, LineSearch] = {}
    trial: dict[int, float] = {}
    for i in np.flatnonzero(rows):
        gen = strong_wolfe(float(t0[i]), D[i], float(F[i]), G[i], float(G[i] @ D[i]))
        searches[int(i)] = gen
        trial[int(i)] = next(gen)
    while searches:
        idx = np.fromiter(searches, dtype=np.int64)
        steps = np.fromiter((trial[i] for i in idx), dtype=np.float64)
        f_trial, g_trial = value_and_grad(X[idx] + steps[:, None] * D[idx])
        for j, i in enumerate(idx.tolist()):
            try:
                trial[i] = searches[i].send((float(f_trial[j]), g_trial[j]))
            except StopIteration as stop:
                _, _, t[i], nfev[i] = stop.value
                del searches[i]
    return t, nfev


def _quasi_newton_step(
    objective: Any,
    X: Array,
    G: Array,
    D: Array,
    later: NDArray[np.bool_],
    rate: Array,
    kwargs: dict[str, Any],
) -> tuple[Array, Array, NDArray[np.int64]]:
    """The step ``t D`` with ``t`` from the strong Wolfe search of every row that has a descent
    direction (others stay put), first trial ``rate`` (``min(1, 1/|g|_1) rate`` on a row's first
    step, as torch's L-BFGS). Returns the step, ``t`` and the evaluations per row."""
    F = kwargs.get("value")
    if F is None:
        F = objective.value(X)
    t0 = np.where(later, rate, np.minimum(1.0, 1.0 / np.abs(G).sum(axis=1)) * rate)
    descent = np.einsum("ki,ki->k", G, D) < 0
    t, nfev = _search_rows(objective.value_and_grad, X, F, G, D, t0, descent)
    return t[:, None] * D, t, nfev


# ---------------------------------------------------------------------------------------------
# Newton.


def newton(lr: float = 1.0, damping: float | None = None) -> Optimizer:
    r"""Newton's method with the exact Hessian, plain or damped for indefinite Hessians.

    Plain (``damping=None``): solve with the Hessian :math:`H = Q \Lambda Q^\top`,

    .. math::

        x_t = x_{t-1} - \mathrm{lr}\, H^{-1} g_t = x_{t-1} - \mathrm{lr}\, Q \Lambda^{-1}
        Q^\top g_t .

    Near a minimum with a positive definite Hessian the error squares at each step (the
    number of correct digits doubles). At a saddle or maximum the plain step goes *there*;
    where the Hessian is singular the step is not finite and the row stops as diverged.

    Damped (``damping = delta > 0``): every eigenvalue is replaced by
    :math:`\max(|\lambda_i|, \delta)` (Nocedal and Wright's modified Newton, also called
    saddle-free Newton), so the step is always a descent direction and never longer than
    :math:`\lVert g \rVert / \delta`; near a minimum whose eigenvalues exceed ``delta`` it is
    the plain step.

    Args:
        lr: Step size, > 0 (1 is Newton's step).
        damping: None (plain) or the floor ``delta`` > 0 on the eigenvalues' magnitudes.

    Returns:
        The optimizer. It uses ``objective.hessian`` (exact for formulas, finite differences
        of the gradient for Python functions), or central differences of ``objective.grad``
        for objectives without one; :func:`~descentlab.descent.minimize` passes the objective.

    Raises:
        ConfigError: If ``lr`` or ``damping`` is out of range.

    Note:
        torch.optim has no Newton's method. scipy's ``Newton-CG`` solves the Newton system
        with conjugate gradients and adds a line search; Levenberg-Marquardt adds
        :math:`\mu I` to :math:`H` instead of clipping its eigenvalues.

    Examples:
        >>> newton(damping=1e-3).hyperparameters
        {'lr': 1.0, 'damping': 0.001}
    """
    lr = checks.positive("lr", lr)
    delta = None if damping is None else checks.positive("damping", damping)

    def init(X: Array) -> NewtonState:
        return NewtonState(np.full(X.shape, np.nan))

    def update(
        G: Array, state: NewtonState, X: Array, /, **kwargs: Any
    ) -> tuple[Array, NewtonState]:
        objective = _objective(kwargs, "newton")
        lam, Q = np.linalg.eigh(_hessian(objective, X))
        scale = lam if delta is None else np.maximum(np.abs(lam), delta)
        coef = np.einsum("kji,kj->ki", Q, G) / scale
        step = -_rate(kwargs, lr, G.shape[0])[:, None] * np.einsum("kij,kj->ki", Q, coef)
        return step, NewtonState(lam)

    return _optimizer(init, update, "newton", {"lr": lr, "damping": delta})


# ---------------------------------------------------------------------------------------------
# BFGS.


def bfgs(lr: float = 1.0) -> Optimizer:
    r"""BFGS: a quasi-Newton method that builds the inverse Hessian from gradient changes.

    With :math:`s = x_t - x_{t-1}`, :math:`y = g_t - g_{t-1}` and :math:`\rho = 1 / y^\top s`,
    when :math:`y^\top s > 10^{-10}` the model is updated by

    .. math::

        H \gets (I - \rho s y^\top) H (I - \rho y s^\top) + \rho s s^\top,

    the first time starting from :math:`H_0 = \frac{y^\top s}{y^\top y} I` (Nocedal and Wright,
    eq. 6.20). The step is :math:`x_{t+1} = x_t + \alpha d` with :math:`d = -H g_t` and
    :math:`\alpha` from the strong Wolfe line search started at ``lr`` (at
    :math:`\min(1, 1/\lVert g\rVert_1)\,\mathrm{lr}` on the first step, as torch's L-BFGS).

    Args:
        lr: The first trial step length of each line search, > 0.

    Returns:
        The optimizer; its update needs the objective (passed by ``minimize``).

    Raises:
        ConfigError: If ``lr`` is out of range.

    Note:
        scipy's ``minimize(method="BFGS")`` uses the same update but starts from
        :math:`H_0 = I` and a MINPACK line search (``line_search_wolfe1``), so the iterates
        differ while the minimum found is the same. torch.optim has no dense BFGS.

    Examples:
        >>> bfgs().hyperparameters
        {'lr': 1.0}
    """
    lr = checks.positive("lr", lr)

    def init(X: Array) -> BFGSState:
        k, n = X.shape
        return BFGSState(
            H=np.broadcast_to(np.eye(n), (k, n, n)).copy(),
            g=np.full((k, n), np.nan),
            s=np.zeros((k, n)),
            t=np.zeros(k),
            n_iter=np.zeros(k, dtype=np.int64),
            nfev=np.zeros(k, dtype=np.int64),
        )

    def update(G: Array, state: BFGSState, X: Array, /, **kwargs: Any) -> tuple[Array, BFGSState]:
        objective = _objective(kwargs, "bfgs")
        H = state.H.copy()
        later = state.n_iter > 0
        if later.any():
            y = G[later] - state.g[later]
            s = state.s[later]
            ys = np.einsum("ki,ki->k", y, s)
            ok = ys > 1e-10
            rows = np.flatnonzero(later)[ok]
            y, s, ys = y[ok], s[ok], ys[ok]
            first = state.n_iter[rows] == 1
            n = X.shape[1]
            Hr = H[rows]
            Hr[first] = (ys[first] / np.einsum("ki,ki->k", y[first], y[first]))[
                :, None, None
            ] * np.eye(n)
            rho = 1.0 / ys
            V = np.eye(n) - rho[:, None, None] * np.einsum("ki,kj->kij", s, y)
            Hr = np.einsum("kij,kjl,kml->kim", V, Hr, V) + rho[:, None, None] * np.einsum(
                "ki,kj->kij", s, s
            )
            H[rows] = Hr
        D = -np.einsum("kij,kj->ki", H, G)
        step, t, nfev = _quasi_newton_step(
            objective, X, G, D, later, _rate(kwargs, lr, X.shape[0]), kwargs
        )
        return step, BFGSState(H, G.copy(), step, t, state.n_iter + 1, nfev)

    return _optimizer(init, update, "bfgs", {"lr": lr})


# ---------------------------------------------------------------------------------------------
# L-BFGS.


def lbfgs(lr: float = 1.0, history_size: int = 100) -> Optimizer:
    r"""L-BFGS: BFGS with the last ``history_size`` pairs :math:`(s, y)` instead of a matrix.

    The direction :math:`d = -H g` comes from the two-loop recursion over the stored pairs
    (oldest first), with :math:`H_0 = \frac{y^\top s}{y^\top y} I` from the newest pair; a pair
    is stored only when :math:`y^\top s > 10^{-10}`. The step length comes from the strong
    Wolfe line search started at ``lr`` (at :math:`\min(1, 1/\lVert g\rVert_1)\,\mathrm{lr}` on
    the first step).

    Args:
        lr: The first trial step length of each line search, > 0 (torch's default 1).
        history_size: Pairs kept, an int >= 1 (torch's default 100).

    Returns:
        The optimizer; its update needs the objective (passed by ``minimize``).

    Raises:
        ConfigError: If a setting is out of range.

    Note:
        One iteration here is one inner iteration of
        ``torch.optim.LBFGS(lr, history_size=m, line_search_fn="strong_wolfe")``: the same
        direction, the same line search and the same stored pairs, so the iterates agree to
        rounding. They differ in the stops: a torch ``step()`` runs up to ``max_iter`` = 20
        iterations and ``max_eval`` = 25 evaluations, ends early on ``tolerance_grad`` (max
        norm) and ``tolerance_change``; here each iteration allows 25 line-search evaluations
        and :func:`~descentlab.descent.minimize`'s tests (2-norm ``grad_tol``, ``f_tol``,
        ``x_tol``) decide. torch without ``line_search_fn`` takes the fixed step ``lr``, which
        is not offered here.

    Examples:
        >>> lbfgs(history_size=5).hyperparameters
        {'lr': 1.0, 'history_size': 5}
    """
    lr = checks.positive("lr", lr)
    m = checks.integer("history_size", history_size, lo=1)

    def init(X: Array) -> LBFGSState:
        k, n = X.shape
        return LBFGSState(
            dirs=np.zeros((k, m, n)),
            stps=np.zeros((k, m, n)),
            ro=np.zeros((k, m)),
            n_pairs=np.zeros(k, dtype=np.int64),
            H_diag=np.ones(k),
            g=np.full((k, n), np.nan),
            s=np.zeros((k, n)),
            t=np.zeros(k),
            n_iter=np.zeros(k, dtype=np.int64),
            nfev=np.zeros(k, dtype=np.int64),
        )

    def update(G: Array, state: LBFGSState, X: Array, /, **kwargs: Any) -> tuple[Array, LBFGSState]:
        objective = _objective(kwargs, "lbfgs")
        k, n = X.shape
        dirs, stps, ro = state.dirs.copy(), state.stps.copy(), state.ro.copy()
        count, H_diag = state.n_pairs.copy(), state.H_diag.copy()
        D = -G
        for i in np.flatnonzero(state.n_iter > 0).tolist():
            y = G[i] - state.g[i]
            s = state.s[i]
            ys = float(y @ s)
            if ys > 1e-10:
                c = int(count[i])
                if c == m:
                    dirs[i, :-1], stps[i, :-1], ro[i, :-1] = dirs[i, 1:], stps[i, 1:], ro[i, 1:]
                    c -= 1
                dirs[i, c], stps[i, c], ro[i, c] = y, s, 1.0 / ys
                count[i] = c + 1
                H_diag[i] = ys / float(y @ y)
            c = int(count[i])
            al = np.empty(c)
            q = -G[i]
            for j in range(c - 1, -1, -1):
                al[j] = float(stps[i, j] @ q) * ro[i, j]
                q = q - al[j] * dirs[i, j]
            r = q * H_diag[i]
            for j in range(c):
                be = float(dirs[i, j] @ r) * ro[i, j]
                r = r + (al[j] - be) * stps[i, j]
            D[i] = r
        rate = _rate(kwargs, lr, k)
        step, t, nfev = _quasi_newton_step(objective, X, G, D, state.n_iter > 0, rate, kwargs)
        new = LBFGSState(dirs, stps, ro, count, H_diag, G.copy(), step, t, state.n_iter + 1, nfev)
        return step, new

    return _optimizer(init, update, "lbfgs", {"lr": lr, "history_size": m})
