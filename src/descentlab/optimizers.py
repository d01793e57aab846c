"""Optimizers as pure ``(init, update)`` pairs, with torch.optim's names, defaults and rules.

An :class:`Optimizer` holds two functions. ``init(X)`` builds the first state record for the
starting points ``X`` of shape (k, n); ``update(G, state, X)`` takes the gradients ``G`` at ``X``
and returns ``(step, new_state)``. The step carries its sign, so the loop does ``X + step``.
State records are NamedTuples that are never changed in place: each update returns a new one.

Every array in a state record has the rows on its leading axis, so a loop can keep the rows that
are still running with ``state_field[rows]``; plain Python numbers (such as Adam's step count) are
shared by all rows. A state may carry a field ``nfev`` ((k,) ints): the value evaluations its last
update made per row, which :func:`descentlab.descent.minimize` adds to its counts.

The update rules follow PyTorch's documentation (and its operation order, so that iterates match
``torch.optim`` to rounding in float64). Each factory checks its hyperparameters and raises
:class:`~descentlab.errors.ConfigError` quoting the bad value.

Examples:
    >>> import numpy as np
    >>> opt = gd(lr=0.1)
    >>> X = np.array([[3.0]])
    >>> state = opt.init(X)
    >>> step, state = opt.update(2 * X, state, X)   # f = x^2, f' = 2x
    >>> X + step
    array([[2.4]])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray

from descentlab import checks
from descentlab.errors import ConfigError

__all__ = [
    "OPTIMIZERS",
    "AdaGradState",
    "AdamState",
    "EmptyState",
    "LineSearchState",
    "MomentumState",
    "Optimizer",
    "RMSPropState",
    "adagrad",
    "adam",
    "gd",
    "linesearch",
    "momentum",
    "nesterov",
    "rmsprop",
]

Array = NDArray[np.float64]
ValueFn = Callable[[Array], Array]


class InitFn(Protocol):
    """``init(X) -> state`` for starting points ``X`` of shape (k, n)."""

    def __call__(self, X: Array, /) -> Any: ...


class UpdateFn(Protocol):
    """``update(G, state, X, *, value_fn=None, value=None, lr=None) -> (step, new_state)``."""

    def __call__(
        self,
        G: Array,
        state: Any,
        X: Array,
        /,
        *,
        value_fn: ValueFn | None = None,
        value: Array | None = None,
        lr: Array | None = None,
    ) -> tuple[Array, Any]: ...


class Kernel(NamedTuple):
    """An elementwise rule as the compiled engine runs it (see :mod:`descentlab.engine.rules`).

    Attributes:
        rule: The rule's name in ``engine.rules.RULE_IDS``.
        lr: The learning rate (a scheduler may replace it per iteration).
        H: The other hyperparameters, in the order the rule's kernel reads them.
        state_type: The public state record; its array fields, in order, are the kernel's
            state arrays ``S``, and a field named ``t`` (if any) is the step count.
    """

    rule: str
    lr: float
    H: tuple[float, ...]
    state_type: type


class Optimizer(NamedTuple):
    """A pair of pure functions plus the name and settings they were made with.

    Attributes:
        init: ``init(X) -> state`` for starting points ``X`` (k, n).
        update: ``update(G, state, X, *, value_fn=None, value=None, lr=None) -> (step,
            state)``. ``G`` is the gradient at ``X``; ``value_fn`` maps (m, n) points to (m,)
            values and ``value`` is f at ``X`` (only the line search uses them); ``lr`` (k,), if
            given, replaces the learning rate for this step (schedules). The new point is
            ``X + step``.
        name: The registry name (``"adam"``), as the CLI and reports show it.
        hyperparameters: The settings, torch.optim names (``{"lr": 0.001, "betas": ...}``).
        kernel: For an elementwise rule, what the compiled loop needs to run it
            (:class:`Kernel`); None for rules that are not elementwise (the line search).
    """

    init: InitFn
    update: UpdateFn
    name: str
    hyperparameters: dict[str, Any]
    kernel: Kernel | None = None


class EmptyState(NamedTuple):
    """State of plain gradient descent: nothing to remember."""


class MomentumState(NamedTuple):
    """Velocity ``v`` (k, n) of SGD with momentum and of Nesterov momentum."""

    v: Array


class AdaGradState(NamedTuple):
    """Running sum ``s`` (k, n) of squared gradients."""

    s: Array


class RMSPropState(NamedTuple):
    """Running average ``v`` (k, n) of squared gradients."""

    v: Array


class AdamState(NamedTuple):
    """Adam's step count ``t`` (shared by all rows) and its moments ``m``, ``v`` (k, n)."""

    t: int
    m: Array
    v: Array


class LineSearchState(NamedTuple):
    """What the backtracking line search did in its last step, row by row.

    Attributes:
        lr: (k,) the accepted step size (``nan`` before the first step).
        trial_lrs: (k, max_backtracks + 1) the step sizes tried, in order, ``nan``-padded.
        trial_values: (k, max_backtracks + 1) f at each trial point, ``nan``-padded.
        n_backtracks: (k,) how many times the step was shrunk.
        nfev: (k,) value evaluations made by the last step.
        failed: (k,) True where no trial passed the test: that row's step is zero (the loop
            stops it with ``precision_loss``).
        f: (k,) f at the point the step leads to, as ``value_fn`` computed it (``nan`` before
            the first step): the next step compares its trials with this value, so every
            comparison uses one evaluator and f never increases.
    """

    lr: Array
    trial_lrs: Array
    trial_values: Array
    n_backtracks: NDArray[np.int64]
    nfev: NDArray[np.int64]
    failed: NDArray[np.bool_]
    f: Array


def _no_state(X: Array) -> EmptyState:
    return EmptyState()


# ---------------------------------------------------------------------------------------------
# Elementwise rules: the public (init, update) pair around the one compiled kernel.

_rules_module: Any = None


def rule_kernels() -> Any:
    """The module :mod:`descentlab.engine.rules`, imported (with numba) on first use."""
    global _rules_module
    if _rules_module is None:
        from descentlab.engine import rules

        _rules_module = rules
    return _rules_module


def kernel_optimizer(
    name: str, lr: float, H: tuple[float, ...], hyperparameters: dict[str, Any], state_type: type
) -> Optimizer:
    """The :class:`Optimizer` of the compiled elementwise rule ``name``.

    ``init`` builds ``state_type`` with zero arrays shaped like ``X`` (and ``t = 0`` if it has a
    field ``t``); ``update`` moves the state to the kernel's column layout, runs
    ``engine.rules.rule_step`` once and returns the step and a new state (the old one is never
    changed).

    Args:
        name: The rule's name in ``engine.rules.RULE_IDS`` (and the optimizer's name).
        lr: The validated learning rate.
        H: The rule's other hyperparameters, in its kernel's order.
        hyperparameters: The settings as reported (torch.optim names).
        state_type: A NamedTuple whose fields are (k, n) arrays, plus optionally ``t``.

    Returns:
        The optimizer, with its :class:`Kernel`.
    """
    fields = state_type._fields  # type: ignore[attr-defined]
    arrays = [f for f in fields if f != "t"]
    counts = "t" in fields
    H_arr = np.array(H, dtype=np.float64)

    def init(X: Array) -> Any:
        return state_type(*(0 if f == "t" else np.zeros_like(X) for f in fields))

    def update(
        G: Array,
        state: Any,
        X: Array,
        /,
        *,
        value_fn: ValueFn | None = None,
        value: Array | None = None,
        lr: Array | None = None,
    ) -> tuple[Array, Any]:
        k, n = G.shape
        S = np.empty((len(arrays), n, k))
        for j, f in enumerate(arrays):
            S[j] = getattr(state, f).T
        t = state.t + 1 if counts else 1
        lrs = np.full(k, kernel.lr) if lr is None else np.broadcast_to(lr, (k,)).astype(float)
        out = np.empty((n, k))
        rules = rule_kernels()
        rules.rule_step(
            rules.RULE_IDS[name],
            np.ascontiguousarray(G.T),
            S,
            np.full(k, t, np.int64),
            H_arr,
            lrs,
            out,
        )
        parts = {f: S[j].T for j, f in enumerate(arrays)}
        if counts:
            parts["t"] = t
        return out.T, state_type(**parts)

    kernel = Kernel(name, lr, tuple(H), state_type)
    return Optimizer(init, update, name, hyperparameters, kernel)


# ---------------------------------------------------------------------------------------------
# The rules.


def gd(lr: float = 0.01) -> Optimizer:
    r"""Plain gradient descent.

    .. math::

        x_{t} = x_{t-1} - \mathrm{lr}\, g_t

    Args:
        lr: Learning rate, > 0. torch.optim.SGD has no default; 0.01 suits functions whose
            curvature is of order 1..100 (for curvature L, gd converges only when lr < 2 / L).

    Returns:
        The optimizer.

    Raises:
        ConfigError: If ``lr`` is not a finite number > 0.

    Note:
        This is ``torch.optim.SGD(lr=lr)`` and optax's ``sgd(lr)``.

    Examples:
        >>> gd(lr=0.1).hyperparameters
        {'lr': 0.1}
    """
    lr = checks.positive("lr", lr)
    return kernel_optimizer("gd", lr, (), {"lr": lr}, EmptyState)


def momentum(lr: float = 0.01, momentum: float = 0.9) -> Optimizer:
    r"""Gradient descent with (heavy-ball) momentum, PyTorch's form.

    .. math::

        v_t = \mu\, v_{t-1} + g_t, \qquad x_t = x_{t-1} - \mathrm{lr}\, v_t, \qquad v_0 = 0

    Args:
        lr: Learning rate, > 0 (default 0.01, see :func:`gd`).
        momentum: The decay ``mu`` of the velocity, >= 0 (0 gives plain gradient descent).

    Returns:
        The optimizer.

    Raises:
        ConfigError: If ``lr`` is not > 0 or ``momentum`` is negative or not finite.

    Note:
        torch.optim.SGD starts its buffer at ``g_1``; that is the same as ``v_0 = 0`` here.
        Sutskever et al. and autograd's ``sgd`` scale differently (autograd:
        ``v = mass v - (1 - mass) g``), so the same ``lr`` gives different steps there.

    Examples:
        >>> momentum(lr=0.1, momentum=0.5).hyperparameters
        {'lr': 0.1, 'momentum': 0.5}
    """
    lr = checks.positive("lr", lr)
    mu = checks.non_negative("momentum", momentum)
    return kernel_optimizer("momentum", lr, (mu,), {"lr": lr, "momentum": mu}, MomentumState)


def nesterov(lr: float = 0.01, momentum: float = 0.9) -> Optimizer:
    r"""Nesterov momentum in PyTorch's (and optax's) form, which needs no look-ahead gradient.

    .. math::

        v_t = \mu\, v_{t-1} + g_t, \qquad x_t = x_{t-1} - \mathrm{lr}\,(g_t + \mu\, v_t),
        \qquad v_0 = 0

    Args:
        lr: Learning rate, > 0 (default 0.01, see :func:`gd`).
        momentum: The decay ``mu``, > 0 (Nesterov momentum without momentum is meaningless).

    Returns:
        The optimizer.

    Raises:
        ConfigError: If ``lr`` is not > 0 or ``momentum`` is not > 0.

    Note:
        This is ``torch.optim.SGD(lr, momentum, nesterov=True)``. Sutskever's formulation takes
        the gradient at the look-ahead point ``x + mu v``; the two agree after a change of
        variables but their iterates differ.

    Examples:
        >>> nesterov(lr=0.1).name
        'nesterov'
    """
    lr = checks.positive("lr", lr)
    mu = checks.non_negative("momentum", momentum)
    if mu == 0:
        raise ConfigError(f"nesterov needs momentum > 0 (got {momentum!r})")
    return kernel_optimizer("nesterov", lr, (mu,), {"lr": lr, "momentum": mu}, MomentumState)


def adagrad(lr: float = 0.01, eps: float = 1e-10) -> Optimizer:
    r"""AdaGrad: each coordinate's step shrinks with the gradients seen so far.

    .. math::

        s_t = s_{t-1} + g_t^2, \qquad x_t = x_{t-1} - \mathrm{lr}\,\frac{g_t}{\sqrt{s_t} +
        \epsilon}, \qquad s_0 = 0

    Args:
        lr: Learning rate, > 0 (torch's default 0.01).
        eps: Added to the root, > 0 (torch's default 1e-10).

    Returns:
        The optimizer.

    Raises:
        ConfigError: If ``lr`` or ``eps`` is not > 0.

    Note:
        This is ``torch.optim.Adagrad`` without ``lr_decay``. optax's ``adagrad`` starts the sum
        at 0.1 and uses eps = 1e-7, so its first steps are smaller.

    Examples:
        >>> adagrad().hyperparameters
        {'lr': 0.01, 'eps': 1e-10}
    """
    lr = checks.positive("lr", lr)
    eps = checks.positive("eps", eps)
    return kernel_optimizer("adagrad", lr, (eps,), {"lr": lr, "eps": eps}, AdaGradState)


def rmsprop(lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8) -> Optimizer:
    r"""RMSProp: divide by a running root mean square of the gradients.

    .. math::

        v_t = \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2, \qquad
        x_t = x_{t-1} - \mathrm{lr}\,\frac{g_t}{\sqrt{v_t} + \epsilon}, \qquad v_0 = 0

    Args:
        lr: Learning rate, > 0 (torch's default 0.01).
        alpha: Decay of the average, in [0, 1) (torch's default 0.99).
        eps: Added to the root, > 0 (torch's default 1e-8).

    Returns:
        The optimizer.

    Raises:
        ConfigError: If ``lr`` or ``eps`` is not > 0 or ``alpha`` is outside [0, 1).

    Note:
        This is ``torch.optim.RMSprop`` (not centered, no momentum). optax's ``rmsprop`` decays
        with 0.9 and puts eps *inside* the root; autograd's ``rmsprop`` starts the average at
        ones instead of zeros, which makes its first steps much smaller.

    Examples:
        >>> rmsprop(alpha=0.9).hyperparameters
        {'lr': 0.01, 'alpha': 0.9, 'eps': 1e-08}
    """
    lr = checks.positive("lr", lr)
    alpha = checks.in_range("alpha", alpha, 0, 1, hi_open=True)
    eps = checks.positive("eps", eps)
    hyper = {"lr": lr, "alpha": alpha, "eps": eps}
    return kernel_optimizer("rmsprop", lr, (alpha, eps), hyper, RMSPropState)


def adam(
    lr: float = 0.001, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
) -> Optimizer:
    r"""Adam: momentum on the gradient, RMSProp on its square, both bias-corrected.

    .. math::

        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2, \\
        \hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t},
        \qquad x_t = x_{t-1} - \mathrm{lr}\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon},

    with :math:`m_0 = v_0 = 0` and :math:`t` counting from 1.

    Args:
        lr: Learning rate, > 0 (torch's default 0.001).
        betas: Decays ``(beta1, beta2)``, each in [0, 1) (torch's default (0.9, 0.999)).
        eps: Added to the root, > 0 (torch's default 1e-8).

    Returns:
        The optimizer.

    Raises:
        ConfigError: If ``lr`` or ``eps`` is not > 0 or a beta is outside [0, 1).

    Note:
        This is ``torch.optim.Adam`` and optax's ``adam`` (eps outside the root). The first
        moment is computed as PyTorch does, ``m + (1 - beta1)(g - m)`` (its ``lerp``), which is
        the same rule rounded differently. TensorFlow's ``epsilon`` is an "eps hat" applied to
        the uncorrected root, so its iterates differ slightly.

    References:
        Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.

    Examples:
        >>> adam(lr=0.1).hyperparameters
        {'lr': 0.1, 'betas': (0.9, 0.999), 'eps': 1e-08}
    """
    lr = checks.positive("lr", lr)
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        raise ConfigError(f"betas must be a pair (beta1, beta2) (got {betas!r})")
    beta1 = checks.in_range("beta1", betas[0], 0, 1, hi_open=True)
    beta2 = checks.in_range("beta2", betas[1], 0, 1, hi_open=True)
    eps = checks.positive("eps", eps)
    hyper = {"lr": lr, "betas": (beta1, beta2), "eps": eps}
    return kernel_optimizer("adam", lr, (beta1, beta2, eps), hyper, AdamState)


def linesearch(
    lr: float = 1.0, c: float = 1e-4, shrink: float = 0.5, max_backtracks: int = 30
) -> Optimizer:
    r"""Gradient descent whose step size is found by backtracking (the Armijo rule).

    Each step starts from ``a = lr`` and multiplies ``a`` by ``shrink`` until

    .. math::

        f(x - a\,g) \le f(x) - c\, a\, \lVert g \rVert^2,

    then takes :math:`x_t = x_{t-1} - a\,g_t`. If ``max_backtracks`` shrinks do not satisfy the
    test, no step is taken (the step is zero and ``state.failed`` is True for that row: f cannot
    be decreased at this precision, or the gradient is wrong), so f never increases. Rows
    search independently. With ``project`` (bounds), the trial points are projected,
    :math:`x(a) = P(x - a g)`, and the test is
    :math:`f(x(a)) \le f(x) + c\,\langle g, x(a) - x \rangle`. The trial step
    sizes and values of the last step are kept in the state (:class:`LineSearchState`) so that a
    scene can draw them.

    Args:
        lr: The first trial step size, > 0.
        c: Sufficient-decrease constant, in (0, 1).
        shrink: Factor applied to the step size after a failed trial, in (0, 1).
        max_backtracks: Most shrinks per step, an int >= 0.

    Returns:
        The optimizer. Its ``update`` needs ``value_fn``; it compares the trials with ``value``
        when given, else with the value its previous step accepted (``state.f``), else it
        evaluates f at ``X``.

    Raises:
        ConfigError: If a setting is out of range.

    Note:
        PyTorch has no backtracking gradient descent (its LBFGS offers a strong Wolfe search).
        optax's ``scale_by_backtracking_linesearch`` uses the same test with a default
        ``decrease_factor`` of 0.8 and starts from the previous accepted step.

    Examples:
        >>> linesearch().hyperparameters
        {'lr': 1.0, 'c': 0.0001, 'shrink': 0.5, 'max_backtracks': 30}
    """
    lr = checks.positive("lr", lr)
    c = checks.in_range("c", c, 0, 1, lo_open=True, hi_open=True)
    shrink = checks.in_range("shrink", shrink, 0, 1, lo_open=True, hi_open=True)
    max_backtracks = checks.integer("max_backtracks", max_backtracks, lo=0)
    width = max_backtracks + 1
    first = lr

    def init(X: Array) -> LineSearchState:
        k = X.shape[0]
        return LineSearchState(
            lr=np.full(k, np.nan),
            trial_lrs=np.full((k, width), np.nan),
            trial_values=np.full((k, width), np.nan),
            n_backtracks=np.zeros(k, dtype=np.int64),
            nfev=np.zeros(k, dtype=np.int64),
            failed=np.zeros(k, dtype=bool),
            f=np.full(k, np.nan),
        )

    def update(
        G: Array,
        state: LineSearchState,
        X: Array,
        /,
        *,
        value_fn: ValueFn | None = None,
        value: Array | None = None,
        lr: Array | None = None,
        project: Callable[[Array], Array] | None = None,
    ) -> tuple[Array, LineSearchState]:
        if value_fn is None:
            raise ConfigError("linesearch needs value_fn (got None)")
        k = X.shape[0]
        nfev = np.zeros(k, dtype=np.int64)
        if value is None:
            value = state.f.copy()
            unknown = ~np.isfinite(value)
            if unknown.any():
                value[unknown] = value_fn(X[unknown])
                nfev[unknown] += 1
        f_new = value.copy()
        g2 = (G * G).sum(axis=1)
        a = np.full(k, first) if lr is None else np.array(np.broadcast_to(lr, (k,)), float)
        accepted = np.full(k, np.nan)
        trial_lrs = np.full((k, width), np.nan)
        trial_values = np.full((k, width), np.nan)
        n_backtracks = np.zeros(k, dtype=np.int64)
        step = np.zeros_like(X)
        rows = np.arange(k)
        for j in range(width):
            ar = a[rows]
            d = -(ar[:, None] * G[rows])
            if project is None:
                decrease = (c * ar) * g2[rows]
            else:
                d = project(X[rows] + d) - X[rows]
                decrease = -c * (G[rows] * d).sum(axis=1)
            f_trial = value_fn(X[rows] + d)
            nfev[rows] += 1
            trial_lrs[rows, j] = ar
            trial_values[rows, j] = f_trial
            n_backtracks[rows] = j
            # Sufficient decrease; a decrease below f's rounding (F - c a |g|^2 == F) is none.
            ok = (f_trial <= value[rows] - decrease) & ((f_trial < value[rows]) | (decrease == 0))
            accepted[rows[ok]] = ar[ok]
            step[rows[ok]] = d[ok]
            f_new[rows[ok]] = f_trial[ok]
            rows = rows[~ok]
            if rows.size == 0:
                break
            a[rows] *= shrink
        failed = np.zeros(k, dtype=bool)
        failed[rows] = True
        state = LineSearchState(
            accepted, trial_lrs, trial_values, n_backtracks, nfev, failed, f_new
        )
        return step, state

    hyper = {"lr": lr, "c": c, "shrink": shrink, "max_backtracks": max_backtracks}
    return Optimizer(init, update, "linesearch", hyper)


OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {
    "gd": gd,
    "momentum": momentum,
    "nesterov": nesterov,
    "adagrad": adagrad,
    "rmsprop": rmsprop,
    "adam": adam,
    "linesearch": linesearch,
}
"""The one registry of optimizer factories, by name; the CLI and the tests both use it."""
