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
    "ASGDState",
    "AdaGradState",
    "AdadeltaState",
    "AdamState",
    "AdamaxState",
    "EmptyState",
    "LineSearchState",
    "MomentumState",
    "NAdamState",
    "Optimizer",
    "RAdamState",
    "RMSPropState",
    "RpropState",
    "adadelta",
    "adagrad",
    "adam",
    "adamax",
    "adamw",
    "asgd",
    "bfgs",
    "gd",
    "lbfgs",
    "linesearch",
    "momentum",
    "nadam",
    "nesterov",
    "newton",
    "radam",
    "rmsprop",
    "rprop",
]

Array = NDArray[np.float64]
ValueFn = Callable[[Array], Array]


class InitFn(Protocol):
    """``init(X) -> state`` for starting points ``X`` of shape (k, n)."""

    def __call__(self, X: Array, /) -> Any: ...


class UpdateFn(Protocol):
    """``update(G, state, X, *, value_fn=None, value=None, lr=None, objective=None) -> (step,
    new_state)``; an elementwise rule with a momentum also takes ``momentum=``."""

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
        objective: Any = None,
    ) -> tuple[Array, Any]: ...


class Kernel(NamedTuple):
    """An elementwise rule as the compiled engine runs it (see :mod:`descentlab.engine.rules`).

    Attributes:
        rule: The rule's name in ``engine.rules.KERNELS``.
        lr: The learning rate (a scheduler may replace it per iteration).
        H: The other hyperparameters, in the order the rule's kernel reads them.
        state_type: The public state record; its array fields, in order, are the kernel's
            state arrays ``S``, and a field named ``t`` (if any) is the step count.
        momentum: The index in ``H`` of the rule's momentum (SGD, RMSProp) or beta1 (the Adam
            family), which a schedule may cycle (:func:`~descentlab.schedules.onecyclelr`);
            None for a rule without one.
    """

    rule: str
    lr: float
    H: tuple[float, ...]
    state_type: type
    momentum: int | None = None


class Optimizer(NamedTuple):
    """A pair of pure functions plus the name and settings they were made with.

    Attributes:
        init: ``init(X) -> state`` for starting points ``X`` (k, n).
        update: ``update(G, state, X, *, value_fn=None, value=None, lr=None,
            objective=None) -> (step, state)``. ``G`` is the gradient at ``X``; ``value_fn``
            maps (m, n) points to (m,) values and ``value`` is f at ``X`` (only the line
            searches use them); ``lr`` (k,), if given, replaces the learning rate for this step
            (schedules); ``objective`` is the objective itself (Newton needs its ``hessian``,
            BFGS and L-BFGS its ``value_and_grad``; other rules ignore it). The new point is
            ``X + step``. A rule whose :class:`Kernel` has a ``momentum`` index also takes
            ``momentum=`` (a float): this step's momentum or beta1, for a schedule that
            cycles it.
        name: The registry name (``"adam"``), as the CLI and reports show it.
        hyperparameters: The settings, torch.optim names (``{"lr": 0.001, "betas": ...}``).
        kernel: For an elementwise rule, what the compiled loop needs to run it
            (:class:`Kernel`); None for rules that are not elementwise (the line search).
        pauses: True when a step of zero is part of the rule (Rprop waits one step after a
            sign change), so that a step that changes nothing does not mean a stall.
    """

    init: InitFn
    update: UpdateFn
    name: str
    hyperparameters: dict[str, Any]
    kernel: Kernel | None = None
    pauses: bool = False


class EmptyState(NamedTuple):
    """State of plain gradient descent: nothing to remember."""


class MomentumState(NamedTuple):
    """Step count ``t`` and velocity ``v`` (k, n) of SGD with momentum and of Nesterov momentum
    (torch starts the buffer at the first gradient, undamped)."""

    t: int
    v: Array


class AdaGradState(NamedTuple):
    """Step count ``t`` and running sum ``s`` (k, n) of squared gradients."""

    t: int
    s: Array


class RMSPropState(NamedTuple):
    """Running averages ``v`` of squared gradients and ``grad_avg`` of gradients (centered),
    and the momentum buffer ``buf``, each (k, n)."""

    v: Array
    grad_avg: Array
    buf: Array


class AdamState(NamedTuple):
    """Adam's step count ``t`` (shared by all rows), its moments ``m``, ``v`` (k, n) and the
    running maximum ``vmax`` of ``v`` (used with ``amsgrad``)."""

    t: int
    m: Array
    v: Array
    vmax: Array


class NAdamState(NamedTuple):
    """NAdam's step count, moments ``m``, ``v`` and the product ``mu_product`` of its momentum
    schedule (k, n; equal across a row)."""

    t: int
    m: Array
    v: Array
    mu_product: Array


class RAdamState(NamedTuple):
    """RAdam's step count and moments ``m``, ``v`` (k, n)."""

    t: int
    m: Array
    v: Array


class AdamaxState(NamedTuple):
    """Adamax's step count, first moment ``m`` and infinity norm ``u`` (k, n)."""

    t: int
    m: Array
    u: Array


class AdadeltaState(NamedTuple):
    """Adadelta's running averages of squared gradients ``v`` and squared steps ``acc_delta``."""

    v: Array
    acc_delta: Array


class RpropState(NamedTuple):
    """Rprop's step count, the previous (masked) gradient ``prev`` and step sizes (k, n)."""

    t: int
    prev: Array
    step_size: Array


class ASGDState(NamedTuple):
    """ASGD's step count, step size ``eta``, averaging weight ``mu`` (k, n; equal across a
    row) and the averaged iterate ``ax`` (k, n), which does not feed back into the steps."""

    t: int
    eta: Array
    mu: Array
    ax: Array


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


def _betas(betas: object) -> tuple[float, float]:
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        raise ConfigError(f"betas must be a pair (beta1, beta2) (got {betas!r})")
    return (
        checks.in_range("beta1", betas[0], 0, 1, hi_open=True),
        checks.in_range("beta2", betas[1], 0, 1, hi_open=True),
    )


def _etas(etas: object) -> tuple[float, float]:
    if not isinstance(etas, tuple | list) or len(etas) != 2:
        raise ConfigError(f"etas must be a pair (etaminus, etaplus) (got {etas!r})")
    return (
        checks.in_range("etaminus", etas[0], 0, 1, lo_open=True, hi_open=True),
        checks.real("etaplus", etas[1], lo=1, lo_open=True),
    )


def _step_sizes(step_sizes: object) -> tuple[float, float]:
    if not isinstance(step_sizes, tuple | list) or len(step_sizes) != 2:
        raise ConfigError(f"step_sizes must be a pair (min, max) (got {step_sizes!r})")
    lo = checks.non_negative("the smallest step size", step_sizes[0])
    hi = checks.real("the largest step size", step_sizes[1], lo=max(lo, 0.0), lo_open=lo == 0)
    return lo, hi


_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "lr": checks.positive,
    "eps": checks.positive,
    "momentum": checks.non_negative,
    "dampening": lambda name, v: checks.in_range(name, v, 0, 1),
    "alpha": lambda name, v: checks.in_range(name, v, 0, 1, hi_open=True),
    "rho": lambda name, v: checks.in_range(name, v, 0, 1, hi_open=True),
    "betas": lambda name, v: _betas(v),
    "etas": lambda name, v: _etas(v),
    "step_sizes": lambda name, v: _step_sizes(v),
    "weight_decay": checks.non_negative,
    "lr_decay": checks.non_negative,
    "initial_accumulator_value": checks.non_negative,
    "momentum_decay": checks.non_negative,
    "lambd": checks.non_negative,
    "t0": checks.non_negative,
    "amsgrad": checks.flag,
    "centered": checks.flag,
    "decoupled_weight_decay": checks.flag,
    "maximize": checks.flag,
}
"""The one check of each hyperparameter, by torch's name (ASGD's ``alpha``, a decay power
rather than RMSProp's smoothing constant, is checked where it is made)."""


def _checked(**values: Any) -> dict[str, Any]:
    """The hyperparameters validated by their checks in :data:`_CHECKS`, in the order given
    (so the first bad one is the one reported)."""
    return {name: _CHECKS[name](name, value) for name, value in values.items()}


def _checked_adam(
    lr: float,
    betas: tuple[float, float],
    eps: float,
    weight_decay: float,
    maximize: bool,
    **own: Any,
) -> dict[str, Any]:
    """:func:`_checked` for the Adam family: ``lr, betas, eps, weight_decay``, then the rule's
    ``own`` settings, then ``maximize`` (torch's order of arguments)."""
    return _checked(
        lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, **own, maximize=maximize
    )


def _rule(
    name: str,
    state_type: type,
    settings: dict[str, Any],
    H: tuple[float, ...],
    *,
    core: tuple[str, ...] = (),
    momentum: int | None = None,
) -> Optimizer:
    """:func:`kernel_optimizer` for validated ``settings`` (``lr`` first): they are reported as
    ``lr``, then the ``core`` settings, then the others where they differ from torch's
    defaults (0 and False)."""
    lr = settings["lr"]
    others = {k: v for k, v in settings.items() if k != "lr" and k not in core}
    hyper = {"lr": lr, **{k: settings[k] for k in core}, **_options(**others)}
    return kernel_optimizer(name, lr, H, hyper, state_type, momentum)


def _options(**values: Any) -> dict[str, Any]:
    """The options that differ from torch's defaults (0 and False), for the report."""
    return {k: v for k, v in values.items() if v}


def _sign(maximize: bool) -> float:
    return -1.0 if maximize else 1.0


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
    name: str,
    lr: float,
    H: tuple[float, ...],
    hyperparameters: dict[str, Any],
    state_type: type,
    momentum: int | None = None,
) -> Optimizer:
    """The :class:`Optimizer` of the compiled elementwise rule ``name``.

    ``init`` builds ``state_type`` with zero arrays shaped like ``X`` (and ``t = 0`` if it has a
    field ``t``); ``update`` moves the state to the kernel's column layout, runs
    ``engine.rules.rule_step`` once and returns the step and a new state (the old one is never
    changed). With ``momentum=m`` (rules that have one) the kernel reads ``H`` with
    ``H[momentum] = m`` for that step.

    Args:
        name: The rule's name in ``engine.rules.KERNELS`` (and the optimizer's name).
        lr: The validated learning rate.
        H: The rule's other hyperparameters, in its kernel's order.
        hyperparameters: The settings as reported (torch.optim names).
        state_type: A NamedTuple whose fields are (k, n) arrays, plus optionally ``t``.
        momentum: The index in ``H`` of the momentum or beta1, if the rule has one.

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
        objective: Any = None,
        momentum: float | None = None,
    ) -> tuple[Array, Any]:
        k, n = G.shape
        hyper = H_arr
        if momentum is not None:
            if kernel.momentum is None:
                raise ConfigError(f"{name} has no momentum or beta1 to set (got {momentum!r})")
            hyper = H_arr.copy()
            hyper[kernel.momentum] = momentum
        S = np.empty((len(arrays), n, k))
        for j, f in enumerate(arrays):
            S[j] = getattr(state, f).T
        t = state.t + 1 if counts else 1
        lrs = kernel.lr if lr is None else np.broadcast_to(lr, (k,)).astype(float)
        out = np.empty((n, k))
        rule_kernels().rule_step(
            name, np.ascontiguousarray(G.T), S, t, hyper, lrs, out, np.ascontiguousarray(X.T)
        )
        parts = {f: S[j].T for j, f in enumerate(arrays)}
        if counts:
            parts["t"] = t
        return out.T, state_type(**parts)

    kernel = Kernel(name, lr, tuple(H), state_type, momentum)
    return Optimizer(init, update, name, hyperparameters, kernel)


# ---------------------------------------------------------------------------------------------
# The rules.


def gd(lr: float = 0.01, weight_decay: float = 0.0, *, maximize: bool = False) -> Optimizer:
    r"""Plain gradient descent.

    .. math::

        x_{t} = x_{t-1} - \mathrm{lr}\, g_t, \qquad g_t = \pm\nabla f(x_{t-1}) + \lambda
        x_{t-1}

    (the sign is minus with ``maximize``; :math:`\lambda` is ``weight_decay``).

    Args:
        lr: Learning rate, > 0. torch.optim.SGD has no default; 0.01 suits functions whose
            curvature is of order 1..100 (for curvature L, gd converges only when lr < 2 / L).
        weight_decay: L2 penalty :math:`\lambda \ge 0` added to the gradient (torch's name).
        maximize: Climb instead of descend (torch's name).

    Returns:
        The optimizer.

    Raises:
        ConfigError: If ``lr`` is not a finite number > 0 or an option is out of range.

    Note:
        This is ``torch.optim.SGD(lr=lr)`` and optax's ``sgd(lr)``. Options that differ from
        their defaults appear in ``hyperparameters``; the defaults are left out.

    Examples:
        >>> gd(lr=0.1).hyperparameters
        {'lr': 0.1}
    """
    v = _checked(lr=lr, weight_decay=weight_decay, maximize=maximize)
    return _rule("gd", EmptyState, v, (v["weight_decay"], _sign(v["maximize"])))


def momentum(
    lr: float = 0.01,
    momentum: float = 0.9,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    *,
    maximize: bool = False,
) -> Optimizer:
    r"""Gradient descent with (heavy-ball) momentum, PyTorch's form.

    .. math::

        v_t = \mu\, v_{t-1} + (1 - \tau)\, g_t, \qquad x_t = x_{t-1} - \mathrm{lr}\, v_t,
        \qquad v_1 = g_1

    with dampening :math:`\tau` and :math:`g_t` as in :func:`gd` (weight decay, maximize).

    Args:
        lr: Learning rate, > 0 (default 0.01, see :func:`gd`).
        momentum: The decay ``mu`` of the velocity, >= 0 (0 gives plain gradient descent).
        dampening: :math:`\tau \in [0, 1]`, scales the new gradient after the first step.
        weight_decay: L2 penalty added to the gradient, >= 0.
        maximize: Climb instead of descend.

    Returns:
        The optimizer.

    Raises:
        ConfigError: If ``lr`` is not > 0 or ``momentum`` is negative or not finite, or an
            option is out of range.

    Note:
        torch.optim.SGD starts its buffer at ``g_1`` (undamped); without dampening that is
        the same as ``v_0 = 0``. Sutskever et al. and autograd's ``sgd`` scale differently
        (autograd: ``v = mass v - (1 - mass) g``), so the same ``lr`` gives different steps
        there.

    Examples:
        >>> momentum(lr=0.1, momentum=0.5).hyperparameters
        {'lr': 0.1, 'momentum': 0.5}
    """
    v = _checked(
        lr=lr,
        momentum=momentum,
        dampening=dampening,
        weight_decay=weight_decay,
        maximize=maximize,
    )
    H = (v["momentum"], v["dampening"], v["weight_decay"], _sign(v["maximize"]))
    return _rule("momentum", MomentumState, v, H, core=("momentum",), momentum=0)


def nesterov(
    lr: float = 0.01,
    momentum: float = 0.9,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    *,
    maximize: bool = False,
) -> Optimizer:
    r"""Nesterov momentum in PyTorch's (and optax's) form, which needs no look-ahead gradient.

    .. math::

        v_t = \mu\, v_{t-1} + (1 - \tau)\, g_t, \qquad x_t = x_{t-1} - \mathrm{lr}\,(g_t + \mu\,
        v_t), \qquad v_1 = g_1

    Args:
        lr: Learning rate, > 0 (default 0.01, see :func:`gd`).
        momentum: The decay ``mu``, > 0 (Nesterov momentum without momentum is meaningless).
        dampening: Must be 0: torch refuses Nesterov momentum with dampening.
        weight_decay: L2 penalty added to the gradient, >= 0.
        maximize: Climb instead of descend.

    Returns:
        The optimizer.

    Raises:
        ConfigError: If ``lr`` is not > 0, ``momentum`` is not > 0, or ``dampening`` is not 0.

    Note:
        This is ``torch.optim.SGD(lr, momentum, nesterov=True)``. Sutskever's formulation takes
        the gradient at the look-ahead point ``x + mu v``; the two agree after a change of
        variables but their iterates differ.

    Examples:
        >>> nesterov(lr=0.1).name
        'nesterov'
    """
    v = _checked(lr=lr, momentum=momentum)
    if v["momentum"] == 0:
        raise ConfigError(f"nesterov needs momentum > 0 (got {momentum!r})")
    if not checks.is_real(dampening) or dampening != 0:
        raise ConfigError(f"nesterov needs dampening = 0, as torch does (got {dampening!r})")
    v |= _checked(weight_decay=weight_decay, maximize=maximize)
    H = (v["momentum"], 0.0, v["weight_decay"], _sign(v["maximize"]))
    return _rule("nesterov", MomentumState, v, H, core=("momentum",), momentum=0)


def adagrad(
    lr: float = 0.01,
    eps: float = 1e-10,
    lr_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    weight_decay: float = 0.0,
    *,
    maximize: bool = False,
) -> Optimizer:
    r"""AdaGrad: each coordinate's step shrinks with the gradients seen so far.

    .. math::

        s_t = s_{t-1} + g_t^2, \qquad x_t = x_{t-1} - \frac{\mathrm{lr}}{1 + (t - 1)\,
        \eta}\,\frac{g_t}{\sqrt{s_t} + \epsilon}, \qquad s_0 = s_{\mathrm{init}}

    with ``lr_decay`` :math:`\eta` and ``initial_accumulator_value`` :math:`s_{\mathrm{init}}`.

    Args:
        lr: Learning rate, > 0 (torch's default 0.01).
        eps: Added to the root, > 0 (torch's default 1e-10).
        lr_decay: :math:`\eta \ge 0` (torch's default 0).
        initial_accumulator_value: Where the sum starts, >= 0 (torch's default 0).
        weight_decay: L2 penalty added to the gradient, >= 0.
        maximize: Climb instead of descend.

    Returns:
        The optimizer.

    Raises:
        ConfigError: If ``lr`` or ``eps`` is not > 0 or an option is out of range.

    Note:
        This is ``torch.optim.Adagrad``. optax's ``adagrad`` starts the sum at 0.1 and uses
        eps = 1e-7, so its first steps are smaller.

    Examples:
        >>> adagrad().hyperparameters
        {'lr': 0.01, 'eps': 1e-10}
    """
    v = _checked(
        lr=lr,
        eps=eps,
        lr_decay=lr_decay,
        initial_accumulator_value=initial_accumulator_value,
        weight_decay=weight_decay,
        maximize=maximize,
    )
    H = (v["eps"], v["lr_decay"], v["initial_accumulator_value"], v["weight_decay"])
    return _rule("adagrad", AdaGradState, v, (*H, _sign(v["maximize"])), core=("eps",))


def rmsprop(
    lr: float = 0.01,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
    *,
    maximize: bool = False,
) -> Optimizer:
    r"""RMSProp: divide by a running root mean square of the gradients.

    .. math::

        v_t = \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2, \qquad
        x_t = x_{t-1} - \mathrm{lr}\,\frac{g_t}{\sqrt{v_t} + \epsilon}, \qquad v_0 = 0

    Centered, the root is that of the variance, :math:`\sqrt{v_t - m_t^2}` with
    :math:`m_t = \alpha m_{t-1} + (1 - \alpha) g_t`. With momentum :math:`\mu > 0`,
    :math:`b_t = \mu b_{t-1} + g_t / (\text{root} + \epsilon)` and
    :math:`x_t = x_{t-1} - \mathrm{lr}\, b_t`.

    Args:
        lr: Learning rate, > 0 (torch's default 0.01).
        alpha: Decay of the average, in [0, 1) (torch's default 0.99).
        eps: Added to the root, > 0 (torch's default 1e-8).
        weight_decay: L2 penalty added to the gradient, >= 0.
        momentum: Momentum of the scaled step, >= 0 (torch's default 0).
        centered: Divide by the root of the variance instead (torch's default False).
        maximize: Climb instead of descend.

    Returns:
        The optimizer.

    Raises:
        ConfigError: If ``lr`` or ``eps`` is not > 0, ``alpha`` is outside [0, 1), or an
            option is out of range.

    Note:
        This is ``torch.optim.RMSprop``. optax's ``rmsprop`` decays with 0.9 and puts eps
        *inside* the root; autograd's ``rmsprop`` starts the average at ones instead of zeros,
        which makes its first steps much smaller; TensorFlow's centered RMSProp is the same.

    Examples:
        >>> rmsprop(alpha=0.9).hyperparameters
        {'lr': 0.01, 'alpha': 0.9, 'eps': 1e-08}
    """
    v = _checked(
        lr=lr,
        alpha=alpha,
        eps=eps,
        weight_decay=weight_decay,
        momentum=momentum,
        centered=centered,
        maximize=maximize,
    )
    sign = _sign(v["maximize"])
    H = (v["alpha"], v["eps"], v["momentum"], float(v["centered"]), v["weight_decay"], sign)
    return _rule("rmsprop", RMSPropState, v, H, core=("alpha", "eps"), momentum=2)


def adam(
    lr: float = 0.001,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    *,
    maximize: bool = False,
) -> Optimizer:
    r"""Adam: momentum on the gradient, RMSProp on its square, both bias-corrected.

    .. math::

        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2, \\
        \hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t},
        \qquad x_t = x_{t-1} - \mathrm{lr}\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon},

    with :math:`m_0 = v_0 = 0` and :math:`t` counting from 1. AMSGrad divides by the running
    maximum :math:`\max_{s \le t} v_s` instead of :math:`v_t`. ``weight_decay`` adds
    :math:`\lambda x` to the gradient (L2; for decoupled decay use :func:`adamw`).

    Args:
        lr: Learning rate, > 0 (torch's default 0.001).
        betas: Decays ``(beta1, beta2)``, each in [0, 1) (torch's default (0.9, 0.999)).
        eps: Added to the root, > 0 (torch's default 1e-8).
        weight_decay: L2 penalty added to the gradient, >= 0.
        amsgrad: Use AMSGrad's running maximum (torch's default False).
        maximize: Climb instead of descend.

    Returns:
        The optimizer.

    Raises:
        ConfigError: If ``lr`` or ``eps`` is not > 0, a beta is outside [0, 1), or an option
            is out of range.

    Note:
        This is ``torch.optim.Adam`` and optax's ``adam`` (eps outside the root). The first
        moment is computed as PyTorch does, ``m + (1 - beta1)(g - m)`` (its ``lerp``), which is
        the same rule rounded differently. TensorFlow's ``epsilon`` is an "eps hat" applied to
        the uncorrected root, so its iterates differ slightly; optax's ``amsgrad`` takes the
        maximum of the *bias-corrected* :math:`\hat v`, torch's (and this) of :math:`v`.

    References:
        Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015. Reddi et al.,
        "On the Convergence of Adam and Beyond", ICLR 2018.

    Examples:
        >>> adam(lr=0.1).hyperparameters
        {'lr': 0.1, 'betas': (0.9, 0.999), 'eps': 1e-08}
    """
    return _adam_family("adam", lr, betas, eps, weight_decay, amsgrad, maximize)


def _adam_family(
    name: str,
    lr: float,
    betas: tuple[float, float],
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    maximize: bool,
) -> Optimizer:
    """Adam and AdamW: one kernel, decoupled weight decay for ``adamw``."""
    v = _checked_adam(lr, betas, eps, weight_decay, maximize, amsgrad=amsgrad)
    decoupled = name == "adamw"
    H = (*v["betas"], v["eps"], v["weight_decay"], float(v["amsgrad"]), _sign(v["maximize"]))
    core = ("betas", "eps", "weight_decay") if decoupled else ("betas", "eps")
    return _rule(name, AdamState, v, (*H, float(decoupled)), core=core, momentum=0)


def adamw(
    lr: float = 0.001,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.01,
    amsgrad: bool = False,
    *,
    maximize: bool = False,
) -> Optimizer:
    r"""AdamW: Adam with decoupled weight decay (the decay is not divided by the root).

    .. math::

        x' = x_{t-1}\,(1 - \mathrm{lr}\,\lambda), \qquad x_t = x' -
        \mathrm{lr}\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    with :math:`\hat m_t, \hat v_t` as in :func:`adam` (computed from the plain gradient).

    Args:
        lr: Learning rate, > 0 (torch's default 0.001).
        betas: ``(beta1, beta2)``, each in [0, 1).
        eps: Added to the root, > 0.
        weight_decay: :math:`\lambda \ge 0` (torch's default 0.01).
        amsgrad: Use AMSGrad's running maximum.
        maximize: Climb instead of descend.

    Returns:
        The optimizer.

    Raises:
        ConfigError: If a setting is out of range.

    Note:
        This is ``torch.optim.AdamW`` (in torch 2.13, ``Adam(decoupled_weight_decay=True)``).
        optax's ``adamw`` multiplies the decay by the *scheduled* learning rate too, but its
        default ``weight_decay`` is 1e-4; Loshchilov and Hutter's paper decouples the decay
        from the learning rate as well (:math:`x(1 - \lambda)`), so the same numbers differ.

    References:
        Loshchilov and Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.

    Examples:
        >>> adamw().hyperparameters
        {'lr': 0.001, 'betas': (0.9, 0.999), 'eps': 1e-08, 'weight_decay': 0.01}
    """
    return _adam_family("adamw", lr, betas, eps, weight_decay, amsgrad, maximize)


def nadam(
    lr: float = 0.002,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum_decay: float = 0.004,
    decoupled_weight_decay: bool = False,
    *,
    maximize: bool = False,
) -> Optimizer:
    r"""NAdam: Adam with Nesterov momentum and Dozat's momentum schedule.

    .. math::

        \mu_t = \beta_1\,(1 - \tfrac12\, 0.96^{t\psi}), \qquad
        m_t, v_t \text{ as in Adam}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t}, \\
        x_t = x_{t-1} - \mathrm{lr}\Bigl(\frac{1 - \mu_t}{1 - \prod_{i \le t}\mu_i}\,g_t +
        \frac{\mu_{t+1}}{1 - \prod_{i \le t+1}\mu_i}\, m_t\Bigr) \Big/ \bigl(\sqrt{\hat v_t}
        + \epsilon\bigr)

    with :math:`\psi` = ``momentum_decay``.

    Args:
        lr: Learning rate, > 0 (torch's default 0.002).
        betas: ``(beta1, beta2)``, each in [0, 1).
        eps: Added to the root, > 0.
        weight_decay: :math:`\lambda \ge 0`, L2 (or decoupled, see below).
        momentum_decay: :math:`\psi \ge 0` (torch's default 0.004).
        decoupled_weight_decay: Decay as AdamW does (torch's NAdamW).
        maximize: Climb instead of descend.

    Returns:
        The optimizer.

    Raises:
        ConfigError: If a setting is out of range.

    Note:
        This is ``torch.optim.NAdam``. torch keeps :math:`\prod \mu_i` in its default dtype
        (float32 unless ``torch.set_default_dtype(torch.float64)``); here it is float64.
        optax's ``nadam`` (``adam(nesterov=True)``) has no momentum schedule.

    References:
        Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop.

    Examples:
        >>> nadam().hyperparameters
        {'lr': 0.002, 'betas': (0.9, 0.999), 'eps': 1e-08, 'momentum_decay': 0.004}
    """
    own = {"momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay}
    v = _checked_adam(lr, betas, eps, weight_decay, maximize, **own)
    decoupled, sign = float(v["decoupled_weight_decay"]), _sign(v["maximize"])
    H = (*v["betas"], v["eps"], v["weight_decay"], v["momentum_decay"], decoupled, sign)
    core = ("betas", "eps", "momentum_decay")
    return _rule("nadam", NAdamState, v, H, core=core, momentum=0)


def radam(
    lr: float = 0.001,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    decoupled_weight_decay: bool = False,
    *,
    maximize: bool = False,
) -> Optimizer:
    r"""RAdam: Adam whose adaptive step is switched on (and rectified) once it is reliable.

    .. math::

        \rho_\infty = \frac{2}{1 - \beta_2} - 1, \qquad
        \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1 - \beta_2^t}, \\
        x_t = x_{t-1} - \mathrm{lr}\,\hat m_t \cdot \begin{cases}
        r_t \sqrt{1 - \beta_2^t} / (\sqrt{v_t} + \epsilon) & \rho_t > 5 \\
        1 & \text{otherwise} \end{cases}, \qquad
        r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}{(\rho_\infty - 4)(\rho_\infty -
        2)\rho_t}}

    The first steps (about 5 with the default betas) are plain momentum steps of size
    :math:`\mathrm{lr}\,\hat m_t`, not normalized: on a steep function choose ``lr``
    accordingly.

    Args:
        lr: Learning rate, > 0 (torch's default 0.001).
        betas: ``(beta1, beta2)``, each in [0, 1).
        eps: Added to the root, > 0.
        weight_decay: :math:`\lambda \ge 0`, L2 (or decoupled).
        decoupled_weight_decay: Decay as AdamW does.
        maximize: Climb instead of descend.

    Returns:
        The optimizer.

    Raises:
        ConfigError: If a setting is out of range.

    Note:
        This is ``torch.optim.RAdam``. optax's ``radam`` uses a threshold of 5 too but adds
        eps inside the root.

    References:
        Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond", ICLR 2020.

    Examples:
        >>> radam(weight_decay=0.1).hyperparameters
        {'lr': 0.001, 'betas': (0.9, 0.999), 'eps': 1e-08, 'weight_decay': 0.1}
    """
    v = _checked_adam(
        lr, betas, eps, weight_decay, maximize, decoupled_weight_decay=decoupled_weight_decay
    )
    decoupled, sign = float(v["decoupled_weight_decay"]), _sign(v["maximize"])
    H = (*v["betas"], v["eps"], v["weight_decay"], decoupled, sign)
    return _rule("radam", RAdamState, v, H, core=("betas", "eps"), momentum=0)


def adamax(
    lr: float = 0.002,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    *,
    maximize: bool = False,
) -> Optimizer:
    r"""Adamax: Adam with the infinity norm in place of the root mean square.

    .. math::

        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad
        u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon), \qquad
        x_t = x_{t-1} - \frac{\mathrm{lr}}{1 - \beta_1^t}\,\frac{m_t}{u_t}

    Args:
        lr: Learning rate, > 0 (torch's default 0.002).
        betas: ``(beta1, beta2)``, each in [0, 1).
        eps: Added to ``|g|``, > 0.
        weight_decay: L2 penalty added to the gradient, >= 0.
        maximize: Climb instead of descend.

    Returns:
        The optimizer.

    Raises:
        ConfigError: If a setting is out of range.

    Note:
        This is ``torch.optim.Adamax`` (eps inside the maximum). optax's ``adamax`` adds eps
        to :math:`u_t` after the maximum instead.

    References:
        Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, section 7.1.

    Examples:
        >>> adamax().hyperparameters
        {'lr': 0.002, 'betas': (0.9, 0.999), 'eps': 1e-08}
    """
    v = _checked_adam(lr, betas, eps, weight_decay, maximize)
    H = (*v["betas"], v["eps"], v["weight_decay"], _sign(v["maximize"]))
    return _rule("adamax", AdamaxState, v, H, core=("betas", "eps"), momentum=0)


def adadelta(
    lr: float = 1.0,
    rho: float = 0.9,
    eps: float = 1e-6,
    weight_decay: float = 0.0,
    *,
    maximize: bool = False,
) -> Optimizer:
    r"""Adadelta: steps scaled by the ratio of two running root mean squares (units match).

    .. math::

        v_t = \rho v_{t-1} + (1 - \rho) g_t^2, \qquad
        \Delta_t = \frac{\sqrt{a_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t, \qquad
        a_t = \rho a_{t-1} + (1 - \rho) \Delta_t^2, \qquad x_t = x_{t-1} - \mathrm{lr}\,
        \Delta_t

    Args:
        lr: Scale of the step, > 0 (torch's default 1.0; Zeiler's method has none).
        rho: Decay of both averages, in [0, 1) (torch's default 0.9).
        eps: Inside both roots, > 0 (torch's default 1e-6).
        weight_decay: L2 penalty added to the gradient, >= 0.
        maximize: Climb instead of descend.

    Returns:
        The optimizer.

    Raises:
        ConfigError: If a setting is out of range.

    Note:
        This is ``torch.optim.Adadelta``. Zeiler's paper uses :math:`\rho = 0.95` and
        :math:`\epsilon = 10^{-6}`; optax's ``adadelta`` defaults to 0.9 and 1e-6 as torch.

    References:
        Zeiler, "ADADELTA: An Adaptive Learning Rate Method", arXiv:1212.5701, 2012.

    Examples:
        >>> adadelta().hyperparameters
        {'lr': 1.0, 'rho': 0.9, 'eps': 1e-06}
    """
    v = _checked(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
    H = (v["rho"], v["eps"], v["weight_decay"], _sign(v["maximize"]))
    return _rule("adadelta", AdadeltaState, v, H, core=("rho", "eps"))


def rprop(
    lr: float = 0.01,
    etas: tuple[float, float] = (0.5, 1.2),
    step_sizes: tuple[float, float] = (1e-6, 50.0),
    *,
    maximize: bool = False,
) -> Optimizer:
    r"""Rprop: only the gradient's sign is used; each coordinate adapts its own step size.

    .. math::

        \eta_{t,i} = \operatorname{clip}\Bigl(\eta_{t-1,i}\cdot\begin{cases} \eta^+ &
        g_{t,i}\, g_{t-1,i} > 0 \\ \eta^- & g_{t,i}\, g_{t-1,i} < 0 \\ 1 & \text{else}
        \end{cases},\ \eta_{\min}, \eta_{\max}\Bigr), \qquad
        x_{t,i} = x_{t-1,i} - \eta_{t,i}\,\operatorname{sign}(g_{t,i})

    with :math:`\eta_{0,i} = \mathrm{lr}`; after a sign change the coordinate does not move and
    its stored gradient is set to 0 (so the next step does not shrink again).

    Args:
        lr: The first step size, > 0 (torch's default 0.01).
        etas: ``(etaminus, etaplus)`` with 0 < etaminus < 1 < etaplus (torch's (0.5, 1.2)).
        step_sizes: ``(min, max)`` step sizes, 0 <= min <= max (torch's (1e-6, 50)).
        maximize: Climb instead of descend.

    Returns:
        The optimizer.

    Raises:
        ConfigError: If a setting is out of range.

    Note:
        This is ``torch.optim.Rprop`` (Rprop without weight backtracking, "Rprop-"). optax's
        ``scale_by_rprop`` differs in the same way from iRprop+. Rprop is meant for full
        batches: with noisy gradients the signs flip at random.

    References:
        Riedmiller and Braun, "A direct adaptive method for faster backpropagation learning:
        the RPROP algorithm", ICNN 1993.

    Examples:
        >>> rprop().hyperparameters
        {'lr': 0.01, 'etas': (0.5, 1.2), 'step_sizes': (1e-06, 50.0)}
    """
    v = _checked(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize)
    H = (*v["etas"], *v["step_sizes"], _sign(v["maximize"]))
    return _rule("rprop", RpropState, v, H, core=("etas", "step_sizes"))._replace(pauses=True)


def asgd(
    lr: float = 0.01,
    lambd: float = 1e-4,
    alpha: float = 0.75,
    t0: float = 1e6,
    weight_decay: float = 0.0,
    *,
    maximize: bool = False,
) -> Optimizer:
    r"""Averaged SGD: gradient descent with a decaying step, plus a running average of iterates.

    .. math::

        x_t = x_{t-1}(1 - \lambda \eta_{t-1}) - \eta_{t-1}\, g_t, \qquad
        \eta_t = \frac{\mathrm{lr}}{(1 + \lambda\,\mathrm{lr}\, t)^{\alpha}}, \qquad
        \bar x_t = \bar x_{t-1} + \mu_{t-1}(x_t - \bar x_{t-1}), \qquad
        \mu_t = \frac{1}{\max(1, t - t_0)}

    with :math:`\eta_0 = \mathrm{lr}` and :math:`\mu_0 = 1`. The iterates are :math:`x_t` (as
    torch's parameters); the average :math:`\bar x_t` is kept in the state (``ax``).

    Args:
        lr: Learning rate, > 0 (torch's default 0.01).
        lambd: Decay term :math:`\lambda \ge 0` (torch's default 1e-4).
        alpha: Power of the step's decay, >= 0 (torch's default 0.75).
        t0: Step at which averaging starts, >= 0 (torch's default 1e6).
        weight_decay: L2 penalty added to the gradient, >= 0.
        maximize: Climb instead of descend.

    Returns:
        The optimizer.

    Raises:
        ConfigError: If a setting is out of range.

    Note:
        This is ``torch.optim.ASGD``. torch keeps :math:`\eta` and :math:`\mu` in its default
        dtype (float32 unless ``torch.set_default_dtype(torch.float64)``); here they are
        float64. Polyak and Juditsky's averaging returns :math:`\bar x` as the answer; like
        torch, the iterates shown are :math:`x_t`.

    References:
        Polyak and Juditsky, "Acceleration of Stochastic Approximation by Averaging", SIAM J.
        Control Optim. 30(4), 1992.

    Examples:
        >>> asgd().hyperparameters
        {'lr': 0.01, 'lambd': 0.0001, 'alpha': 0.75, 't0': 1000000.0}
    """
    v = _checked(lr=lr, lambd=lambd)
    v["alpha"] = checks.non_negative("alpha", alpha)  # a decay power: not RMSProp's check
    v |= _checked(t0=t0, weight_decay=weight_decay, maximize=maximize)
    H = (v["lambd"], v["alpha"], v["t0"], v["weight_decay"], _sign(v["maximize"]))
    return _rule("asgd", ASGDState, v, H, core=("lambd", "alpha", "t0"))


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
        objective: Any = None,
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


from descentlab.secondorder import bfgs, lbfgs, newton  # noqa: E402 (needs Optimizer above)

OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {
    "gd": gd,
    "momentum": momentum,
    "nesterov": nesterov,
    "adagrad": adagrad,
    "rmsprop": rmsprop,
    "adam": adam,
    "linesearch": linesearch,
    "adamw": adamw,
    "nadam": nadam,
    "radam": radam,
    "adamax": adamax,
    "adadelta": adadelta,
    "rprop": rprop,
    "asgd": asgd,
    "newton": newton,
    "bfgs": bfgs,
    "lbfgs": lbfgs,
}
"""The one registry of optimizer factories, by name; the CLI and the tests both use it."""
