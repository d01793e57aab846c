"""Learning-rate schedules with torch.optim.lr_scheduler's names, parameters and per-step rules.

A :class:`Scheduler` changes the learning rate once per iteration, as a training loop that calls
``scheduler.step()`` after every ``optimizer.step()`` does in PyTorch. Two kinds:

- closed-form schedules (:func:`steplr`, :func:`multisteplr`, :func:`exponentiallr`,
  :func:`cosineannealinglr`, :func:`linearlr`, :func:`onecyclelr`) give the whole table at once:
  ``table(max_iter, lr)`` is the (max_iter,) array of the learning rates used at iterations
  1, 2, ..., max_iter, for an optimizer made with learning rate ``lr``;
- :func:`reducelronplateau` follows the loss row by row: ``init(k, lr)`` gives the state of k
  rows and ``step(state, F) -> (lr, state)`` takes the (k,) values of f at the points where this
  iteration's gradients were taken (torch's ``loss`` before ``optimizer.step()``) and returns the
  (k,) learning rates of the next iteration.

The tables are computed with torch's own recursions (``get_lr``: each lr from the previous one,
in torch's operation order), not the closed forms, so a run matches torch's iterates to rounding.
:func:`descentlab.descent.minimize` takes a scheduler as ``scheduler=`` and records the lr used
at each iteration in the trajectory (``Trajectory.lrs``).

Examples:
    >>> steplr(step_size=2, gamma=0.5).table(6, 0.1).tolist()
    [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    >>> linearlr(start_factor=0.25, total_iters=3).table(5, 1.0).tolist()
    [0.25, 0.5, 0.75, 1.0, 1.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from descentlab import checks
from descentlab.errors import ConfigError

__all__ = [
    "SCHEDULERS",
    "PlateauState",
    "Scheduler",
    "cosineannealinglr",
    "exponentiallr",
    "linearlr",
    "multisteplr",
    "onecyclelr",
    "reducelronplateau",
    "steplr",
]

Array = NDArray[np.float64]
TableFn = Callable[[int, float], Array]


class Scheduler(NamedTuple):
    """A learning-rate schedule: either a closed-form ``table`` or a per-row ``init``/``step``.

    Attributes:
        name: The registry name (``"steplr"``), as the CLI shows it.
        parameters: The settings, torch's names (``{"step_size": 30, "gamma": 0.1}``).
        table: ``table(max_iter, lr) -> (max_iter,)``, the lr of iterations 1..max_iter for an
            optimizer made with ``lr``; None for a schedule that follows the loss.
        init: ``init(k, lr) -> state`` for k rows (None for closed-form schedules).
        step: ``step(state, F) -> (lr (k,), state)``: F holds f where this iteration's
            gradients were taken; the result is the next iteration's lr per row.
        momentum: ``momentum(max_iter) -> (max_iter,)``, the momentum (or beta1) of iterations
            1..max_iter for a schedule that cycles it (:func:`onecyclelr`); None otherwise.
    """

    name: str
    parameters: dict[str, Any]
    table: TableFn | None = None
    init: Callable[[int, float], Any] | None = None
    step: Callable[[Any, Array], tuple[Array, Any]] | None = None
    momentum: Callable[[int], Array] | None = None

    def __str__(self) -> str:
        """``steplr(step_size=30, gamma=0.1)``: the name and settings, for titles and reports."""
        return f"{self.name}({', '.join(f'{k}={v}' for k, v in self.parameters.items())})"


class PlateauState(NamedTuple):
    """Per-row state of :func:`reducelronplateau` (rows on the leading axis).

    Attributes:
        lr: (k,) the learning rate of the next iteration.
        best: (k,) the best value seen (inf, or -inf in mode "max", before the first).
        num_bad: (k,) iterations since the last improvement.
        cooldown: (k,) iterations of cooldown left.
    """

    lr: Array
    best: Array
    num_bad: NDArray[np.int64]
    cooldown: NDArray[np.int64]


def _check_table_args(max_iter: int, lr: float) -> None:
    checks.integer("max_iter", max_iter, lo=0)
    checks.positive("lr", lr)


def _recursive(get_lr: Callable[[int, float, float], float], first: float) -> TableFn:
    """A table built like torch's chainable schedulers: ``lr_0 = first * lr`` and
    ``lr_e = get_lr(e, lr_(e-1), lr)`` (the last argument is the optimizer's base lr)."""

    def table(max_iter: int, lr: float) -> Array:
        _check_table_args(max_iter, lr)
        lr = float(lr)
        out = np.empty(max_iter)
        current = first * lr
        for e in range(max_iter):
            if e:
                current = get_lr(e, current, lr)
            out[e] = current
        return out

    return table


# ---------------------------------------------------------------------------------------------
# The closed-form schedules.


def steplr(step_size: int, gamma: float = 0.1) -> Scheduler:
    r"""Multiply the learning rate by ``gamma`` every ``step_size`` iterations.

    .. math::

        \mathrm{lr}_e = \mathrm{lr}_{e-1} \cdot \begin{cases} \gamma & e > 0,\
        e \bmod \mathrm{step\_size} = 0 \\ 1 & \text{otherwise} \end{cases}

    where :math:`e = t - 1` counts the scheduler steps before iteration :math:`t`.

    Args:
        step_size: Iterations between decays, an int >= 1.
        gamma: The factor, in (0, 1] (torch's default 0.1).

    Returns:
        The scheduler.

    Raises:
        ConfigError: If a setting is out of range.

    Note:
        This is ``torch.optim.lr_scheduler.StepLR`` stepped once per iteration. Keras's
        ``ExponentialDecay(staircase=True)`` is the same schedule in closed form.

    Examples:
        >>> steplr(3).table(7, 1.0).tolist()
        [1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.010000000000000002]
    """
    size = checks.integer("step_size", step_size, lo=1)
    g = checks.in_range("gamma", gamma, 0, 1, lo_open=True)

    def get_lr(e: int, lr: float, base: float) -> float:
        return lr * g if e % size == 0 else lr

    return Scheduler("steplr", {"step_size": size, "gamma": g}, _recursive(get_lr, 1.0))


def multisteplr(milestones: Sequence[int], gamma: float = 0.1) -> Scheduler:
    r"""Multiply the learning rate by ``gamma`` at each milestone (once per repeat).

    .. math::

        \mathrm{lr}_e = \mathrm{lr}_{e-1}\, \gamma^{\#\{i : m_i = e\}}

    Args:
        milestones: Scheduler steps at which to decay, ints >= 1 (a repeated milestone decays
            that many times, as torch's ``Counter`` does).
        gamma: The factor, in (0, 1] (torch's default 0.1).

    Returns:
        The scheduler.

    Raises:
        ConfigError: If a milestone is not an int >= 1 or gamma is out of range.

    Note:
        This is ``torch.optim.lr_scheduler.MultiStepLR``; optax's
        ``piecewise_constant_schedule`` takes the factors per boundary instead.

    Examples:
        >>> multisteplr([2, 4, 4], gamma=0.5).table(6, 1.0).tolist()
        [1.0, 1.0, 0.5, 0.5, 0.125, 0.125]
    """
    if isinstance(milestones, str | bytes) or not isinstance(milestones, Sequence):
        raise ConfigError(f"milestones must be a list of ints >= 1 (got {milestones!r})")
    if not milestones:
        raise ConfigError("milestones must not be empty (got [])")
    stones = [checks.integer("a milestone", m, lo=1) for m in milestones]
    g = checks.in_range("gamma", gamma, 0, 1, lo_open=True)
    counts: dict[int, int] = {}
    for m in stones:
        counts[m] = counts.get(m, 0) + 1

    def get_lr(e: int, lr: float, base: float) -> float:
        return lr * g ** counts[e] if e in counts else lr

    params = {"milestones": sorted(stones), "gamma": g}
    return Scheduler("multisteplr", params, _recursive(get_lr, 1.0))


def exponentiallr(gamma: float) -> Scheduler:
    r"""Multiply the learning rate by ``gamma`` at every iteration: :math:`\mathrm{lr}_e =
    \mathrm{lr}_{e-1}\,\gamma`.

    Args:
        gamma: The factor, in (0, 1] (torch has no default).

    Returns:
        The scheduler.

    Raises:
        ConfigError: If gamma is out of range.

    Note:
        This is ``torch.optim.lr_scheduler.ExponentialLR``, computed by repeated multiplication
        as torch does (``lr * gamma**e`` rounds differently).

    Examples:
        >>> exponentiallr(0.5).table(4, 1.0).tolist()
        [1.0, 0.5, 0.25, 0.125]
    """
    g = checks.in_range("gamma", gamma, 0, 1, lo_open=True)
    return Scheduler("exponentiallr", {"gamma": g}, _recursive(lambda e, lr, base: lr * g, 1.0))


def cosineannealinglr(T_max: int, eta_min: float = 0.0) -> Scheduler:  # noqa: N803
    r"""Anneal the learning rate along a half cosine from ``lr`` to ``eta_min`` in ``T_max`` steps.

    .. math::

        \mathrm{lr}_e = \eta_{\min} + (\mathrm{lr} - \eta_{\min})\,
        \frac{1 + \cos(\pi e / T_{\max})}{2}

    computed, as torch does, by the recursion :math:`\mathrm{lr}_e = \eta_{\min} +
    (\mathrm{lr}_{e-1} - \eta_{\min}) \frac{1 + \cos(\pi e/T)}{1 + \cos(\pi (e-1)/T)}`. After
    ``T_max`` the learning rate rises again (a cosine of period ``2 T_max``), as in torch.

    Args:
        T_max: Half period in iterations, an int >= 1 (torch's name).
        eta_min: The smallest learning rate, >= 0 (torch's default 0).

    Returns:
        The scheduler.

    Raises:
        ConfigError: If a setting is out of range.

    Note:
        This is ``torch.optim.lr_scheduler.CosineAnnealingLR`` without restarts (SGDR's
        restarts are ``CosineAnnealingWarmRestarts``). optax's ``cosine_decay_schedule`` stays
        at its end value after the decay instead of rising.

    Examples:
        >>> [round(v, 12) for v in cosineannealinglr(2).table(5, 1.0).tolist()]
        [1.0, 0.5, 0.0, 0.5, 1.0]
    """
    T = checks.integer("T_max", T_max, lo=1)
    low = checks.non_negative("eta_min", eta_min)

    def get_lr(e: int, cur: float, base: float) -> float:
        if (e - 1 - T) % (2 * T) == 0:
            return cur + (base - low) * (1 - math.cos(math.pi / T)) / 2
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return ratio * (cur - low) + low

    return Scheduler("cosineannealinglr", {"T_max": T, "eta_min": low}, _recursive(get_lr, 1.0))


def linearlr(
    start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5
) -> Scheduler:
    r"""Change the learning rate linearly from ``start_factor lr`` to ``end_factor lr`` (warm-up).

    .. math::

        \mathrm{lr}_e = \mathrm{lr}\,\Bigl(s + (e_f - s)\,\frac{\min(e, N)}{N}\Bigr)

    computed with torch's recursion (each step multiplies the previous lr by
    :math:`1 + (e_f - s) / (N s + (e - 1)(e_f - s))`).

    Args:
        start_factor: Factor of the first iteration, in (0, 1] (torch's default 1/3).
        end_factor: Factor after ``total_iters`` steps, in [0, 1] (torch's default 1).
        total_iters: Steps of the ramp, an int >= 1 (torch's default 5).

    Returns:
        The scheduler.

    Raises:
        ConfigError: If a setting is out of range.

    Note:
        This is ``torch.optim.lr_scheduler.LinearLR``; optax's ``linear_schedule`` takes
        absolute values rather than factors.

    Examples:
        >>> linearlr(0.5, total_iters=2).table(4, 0.2).tolist()
        [0.1, 0.15000000000000002, 0.2, 0.2]
    """
    s = checks.in_range("start_factor", start_factor, 0, 1, lo_open=True)
    f = checks.in_range("end_factor", end_factor, 0, 1)
    n = checks.integer("total_iters", total_iters, lo=1)

    def get_lr(e: int, lr: float, base: float) -> float:
        if e > n:
            return lr
        return lr * (1.0 + (f - s) / (n * s + (e - 1) * (f - s)))

    params = {"start_factor": s, "end_factor": f, "total_iters": n}
    return Scheduler("linearlr", params, _recursive(get_lr, s))


def onecyclelr(
    max_lr: float,
    total_steps: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    cycle_momentum: bool = True,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Scheduler:
    r"""The 1cycle policy: warm up from ``max_lr / div_factor`` to ``max_lr``, then anneal to
    ``max_lr / (div_factor final_div_factor)`` (the optimizer's own lr is not used), cycling
    the momentum the other way.

    Phase boundaries are at steps :math:`p T - 1` and :math:`T - 1` (three phases: :math:`pT -
    1`, :math:`2pT - 2`, :math:`T - 1`, the second coming back down to the initial lr); within a
    phase from :math:`a` to :math:`b` at fraction :math:`q`, the lr is
    :math:`b + (a - b)(1 + \cos \pi q)/2` ("cos") or :math:`a + (b - a) q` ("linear"). With
    ``cycle_momentum`` the momentum (SGD's ``momentum``, RMSProp's ``momentum``, or the Adam
    family's ``beta1``) follows the same phases from ``max_momentum`` down to
    ``base_momentum`` and back (three phases: down, up, then constant), replacing the
    optimizer's own value at every step.

    Args:
        max_lr: The peak learning rate, > 0.
        total_steps: The cycle's length in iterations, an int >= 2; None (default) takes the
            run's ``max_iter``. A run may not be longer than ``total_steps + 1`` iterations.
        pct_start: Fraction of the cycle spent warming up, in (0, 1) (torch's default 0.3).
        anneal_strategy: ``"cos"`` (default) or ``"linear"``.
        cycle_momentum: Cycle the momentum (or beta1) inversely to the lr (torch's default
            True). The optimizer must have one: a rule without momentum or beta1 (gd, adagrad,
            adadelta, rprop, asgd) is refused when the run starts; pass False for those.
        base_momentum: The lowest momentum, at the peak lr, in [0, 1) (torch's 0.85).
        max_momentum: The highest momentum, at the ends, in [0, 1) (torch's 0.95).
        div_factor: ``initial_lr = max_lr / div_factor``, > 0 (torch's default 25).
        final_div_factor: ``min_lr = initial_lr / final_div_factor``, > 0 (torch's 1e4).
        three_phase: Use the three-phase variant (torch's default False).

    Returns:
        The scheduler; with ``cycle_momentum`` its ``momentum(max_iter)`` gives the momentum
        of iterations 1..max_iter.

    Raises:
        ConfigError: If a setting is out of range or a phase is empty.

    Note:
        This is ``torch.optim.lr_scheduler.OneCycleLR``, with the same parameters and
        defaults; plain SGD has no momentum in descentlab (``gd``), where torch's SGD would
        start using the cycled one: use ``momentum`` instead. fastai's ``fit_one_cycle`` also
        cycles the momentum between 0.95 and 0.85.

    References:
        Smith and Topin, "Super-Convergence: Very Fast Training of Neural Networks Using Large
        Learning Rates", 2018.

    Examples:
        >>> sched = onecyclelr(1.0, anneal_strategy="linear")
        >>> [round(v, 6) for v in sched.table(5, 0.01).tolist()]
        [0.04, 0.857143, 0.57143, 0.285717, 4e-06]
        >>> [round(v, 4) for v in sched.momentum(5).tolist()]
        [0.95, 0.8643, 0.8929, 0.9214, 0.95]
    """
    peak = checks.positive("max_lr", max_lr)
    total = None if total_steps is None else checks.integer("total_steps", total_steps, lo=2)
    pct = pct_start
    if not checks.is_real(pct) or not 0 < pct < 1:
        raise ConfigError(f"pct_start must be in (0, 1) (got {pct_start!r})")
    pct = float(pct)
    strategy = checks.choice("anneal_strategy", anneal_strategy, ("cos", "linear"))
    cycle = checks.flag("cycle_momentum", cycle_momentum)
    low_m = checks.in_range("base_momentum", base_momentum, 0, 1, hi_open=True)
    high_m = checks.in_range("max_momentum", max_momentum, 0, 1, hi_open=True)
    div = checks.positive("div_factor", div_factor)
    final_div = checks.positive("final_div_factor", final_div_factor)
    three = checks.flag("three_phase", three_phase)
    initial = peak / div
    low = initial / final_div

    def phases(max_iter: int) -> list[tuple[float, int, int]]:
        """(end step, index of the start value, index of the end value) per phase, the values
        being (initial or max momentum, peak or base momentum, low or max momentum)."""
        steps = max(max_iter, 2) if total is None else total
        if max_iter - 1 > steps:
            raise ConfigError(
                f"onecyclelr: total_steps = {steps} is shorter than the run "
                f"(max_iter = {max_iter} needs total_steps >= {max_iter - 1})"
            )
        if three:
            ends = [float(pct * steps) - 1, float(2 * pct * steps) - 2, steps - 1]
            out = [(ends[0], 0, 1), (ends[1], 1, 0), (ends[2], 0, 2)]
        else:
            out = [(float(pct * steps) - 1, 0, 1), (steps - 1, 1, 2)]
        for (end, _, _), begin in zip(out, [0.0] + [p[0] for p in out[:-1]], strict=True):
            if not end > begin:
                raise ConfigError(
                    f"onecyclelr: pct_start = {pct!r} leaves an empty phase with "
                    f"total_steps = {steps}"
                )
        return out

    def anneal(max_iter: int, values: tuple[float, float, float]) -> Array:
        """torch's ``get_lr``: the value of each scheduler step 0..max_iter-1."""
        plan = phases(max_iter)
        out = np.empty(max_iter)
        for e in range(max_iter):
            begin = 0.0
            for i, (end, a, b) in enumerate(plan):
                if e <= end or i == len(plan) - 1:
                    q = (e - begin) / (end - begin)
                    start, stop = values[a], values[b]
                    if strategy == "cos":
                        out[e] = stop + (start - stop) / 2.0 * (math.cos(math.pi * q) + 1)
                    else:
                        out[e] = (stop - start) * q + start
                    break
                begin = end
        return out

    def table(max_iter: int, lr: float) -> Array:
        _check_table_args(max_iter, lr)
        return anneal(max_iter, (initial, peak, low))

    def momentum(max_iter: int) -> Array:
        checks.integer("max_iter", max_iter, lo=0)
        # Three phases: max -> base, base -> max, then max -> max (torch's momentum phases).
        return anneal(max_iter, (high_m, low_m, high_m))

    params = {
        "max_lr": peak,
        "total_steps": total,
        "pct_start": pct,
        "anneal_strategy": strategy,
        "cycle_momentum": cycle,
        "base_momentum": low_m,
        "max_momentum": high_m,
        "div_factor": div,
        "final_div_factor": final_div,
        "three_phase": three,
    }
    return Scheduler("onecyclelr", params, table, momentum=momentum if cycle else None)


# ---------------------------------------------------------------------------------------------
# The schedule that follows the loss.


def reducelronplateau(
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_lr: float = 0.0,
    eps: float = 1e-8,
) -> Scheduler:
    r"""Cut the learning rate by ``factor`` when f has not improved for ``patience`` iterations.

    Row by row, after each iteration with the value :math:`f` at the point where its gradient
    was taken: if :math:`f` is better than the best so far (mode "min", "rel":
    :math:`f < \mathrm{best}\,(1 - \mathrm{threshold})`; "abs": :math:`f < \mathrm{best} -
    \mathrm{threshold}`; mode "max" mirrors these) the count of bad iterations resets, else it
    grows; during a cooldown it stays 0. When it exceeds ``patience``, :math:`\mathrm{lr} \gets
    \max(\mathrm{lr}\cdot\mathrm{factor}, \mathrm{min\_lr})` (only if that changes it by more
    than ``eps``) and a cooldown of ``cooldown`` iterations starts.

    Args:
        mode: ``"min"`` (default) or ``"max"``.
        factor: The cut, in (0, 1) (torch's default 0.1).
        patience: Bad iterations tolerated, an int >= 0 (torch's default 10).
        threshold: What counts as an improvement, >= 0 (torch's default 1e-4).
        threshold_mode: ``"rel"`` (default) or ``"abs"``.
        cooldown: Iterations to wait after a cut, an int >= 0.
        min_lr: The floor, >= 0.
        eps: Smallest change applied, >= 0 (torch's default 1e-8).

    Returns:
        The scheduler (with ``init`` and ``step``, no ``table``).

    Raises:
        ConfigError: If a setting is out of range.

    Note:
        This is ``torch.optim.lr_scheduler.ReduceLROnPlateau`` called as
        ``scheduler.step(loss)`` once per iteration. Its relative test multiplies the best value,
        so with a negative best, "rel" in mode "min" asks for a value *below* best times
        ``1 - threshold``, which is easier, not harder, to reach (as in torch).

    Examples:
        >>> sched = reducelronplateau(factor=0.5, patience=1)
        >>> state = sched.init(1, 1.0)
        >>> [float(sched.step(state, np.array([f]))[0][0]) for f in (3.0,)]
        [1.0]
    """
    m = checks.choice("mode", mode, ("min", "max"))
    fac = factor
    if not checks.is_real(fac) or not 0 < fac < 1:
        raise ConfigError(f"factor must be in (0, 1) (got {factor!r})")
    fac = float(fac)
    wait = checks.integer("patience", patience, lo=0)
    thr = checks.non_negative("threshold", threshold)
    tmode = checks.choice("threshold_mode", threshold_mode, ("rel", "abs"))
    cool = checks.integer("cooldown", cooldown, lo=0)
    floor = checks.non_negative("min_lr", min_lr)
    tiny = checks.non_negative("eps", eps)
    worst = math.inf if m == "min" else -math.inf

    def init(k: int, lr: float) -> PlateauState:
        checks.positive("lr", lr)
        return PlateauState(
            lr=np.full(k, float(lr)),
            best=np.full(k, worst),
            num_bad=np.zeros(k, dtype=np.int64),
            cooldown=np.zeros(k, dtype=np.int64),
        )

    def step(state: PlateauState, values: Array) -> tuple[Array, PlateauState]:
        best = state.best
        if m == "min":
            better = values < best * (1.0 - thr) if tmode == "rel" else values < best - thr
        else:
            better = values > best * (thr + 1.0) if tmode == "rel" else values > best + thr
        best = np.where(better, values, best)
        num_bad = np.where(better, 0, state.num_bad + 1)
        in_cooldown = state.cooldown > 0
        counter = np.where(in_cooldown, state.cooldown - 1, state.cooldown)
        num_bad = np.where(in_cooldown, 0, num_bad)
        cut = num_bad > wait
        new_lr = np.maximum(state.lr * fac, floor)
        lr = np.where(cut & (state.lr - new_lr > tiny), new_lr, state.lr)
        counter = np.where(cut, cool, counter)
        num_bad = np.where(cut, 0, num_bad)
        return lr, PlateauState(lr, best, num_bad, counter)

    params = {
        "mode": m,
        "factor": fac,
        "patience": wait,
        "threshold": thr,
        "threshold_mode": tmode,
        "cooldown": cool,
        "min_lr": floor,
        "eps": tiny,
    }
    return Scheduler("reducelronplateau", params, None, init, step)


SCHEDULERS: dict[str, Callable[..., Scheduler]] = {
    "steplr": steplr,
    "multisteplr": multisteplr,
    "exponentiallr": exponentiallr,
    "cosineannealinglr": cosineannealinglr,
    "linearlr": linearlr,
    "onecyclelr": onecyclelr,
    "reducelronplateau": reducelronplateau,
}
"""The one registry of schedules, by torch's class name in lower case; the CLI and tests use it."""
