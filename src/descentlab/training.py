"""Training a model by gradient descent (:func:`fit`): full batch or minibatch, many seeds at once.

This is :func:`~descentlab.descent.minimize` for a loss that is a mean over data. Each seed is one
row of a (k, p) parameter array; every optimizer of :mod:`descentlab.optimizers` moves the rows
through its own ``init``/``update`` pair (no rule is written twice). An *epoch* is one pass over
the training rows:

- full batch (``batch_size=None``): one step per epoch, on the gradient of the whole loss; this
  is exactly gradient descent on the loss as a function of the parameters;
- minibatch (``batch_size=B``): the rows are shuffled at the start of every epoch, each seed with
  its own generator ``np.random.default_rng(seed)`` (one ``permutation(m)`` per epoch), and cut
  into ``ceil(m / B)`` consecutive batches (the last one may be smaller), one step per batch. A
  batch's rows are used in data order (sorted), so that ``B >= m`` gives the full batch exactly.
  ``B = 1`` is single-sample stochastic gradient descent.

A learning-rate schedule (``scheduler=``, :mod:`descentlab.schedules`) steps once per optimizer
step, as a torch loop that calls ``scheduler.step()`` after every ``optimizer.step()`` does:
a closed-form schedule counts steps, not epochs (``steplr(step_size=10)`` decays every ten
minibatches), and ``reducelronplateau`` is given each row's minibatch loss at the point where the
step's gradient was taken (torch's ``scheduler.step(loss)``).

After every epoch the loss and its gradient on the whole training set decide, for each row and
in this order, as in ``minimize``: divergence (a non-finite or overflowing (``> 1e150``) parameter,
loss or gradient; the row keeps the parameters of the previous epoch and records the epoch), then
convergence (gradient norm ``< grad_tol``, change of the loss ``< f_tol``). Finished rows stop
moving; rows still running after ``epochs`` epochs get ``max_iter``. Statuses are
:class:`~descentlab.result.Status` codes.

Examples:
    >>> import descentlab as dl
    >>> r = dl.fit("linear", "line", dl.gd(lr=0.1), epochs=200, seeds=(0, 1))
    >>> [dl.Status(s).label for s in r.status], r.epochs.tolist()
    (['converged', 'converged'], [91, 89])
    >>> line = r.parameters(0)   # y = w x + b, x standardized
    >>> round(float(line["w"][0]), 3), round(line["b"], 3)
    (1.799, 2.25)
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from descentlab.checks import integer, non_negative
from descentlab.data import Dataset, load
from descentlab.descent import _check_momentum, _check_scheduler, _take
from descentlab.errors import ConfigError
from descentlab.models import MODELS, Model
from descentlab.optimizers import Optimizer, gd
from descentlab.result import Status, StopRule
from descentlab.secondorder import SECOND_ORDER

__all__ = ["MAX_EPOCHS", "MAX_SCHEDULE_STEPS", "MAX_SEEDS", "FitResult", "History", "fit"]

Array = NDArray[np.float64]

MAX_EPOCHS = 1_000_000
"""Most epochs one :func:`fit` may run."""

MAX_SEEDS = 1_000
"""Most seeds (rows) one :func:`fit` may run."""

MAX_SCHEDULE_STEPS = 50_000_000
"""Most steps (epochs x batches per epoch) a scheduled :func:`fit` may take: a closed-form
schedule is a table of that many learning rates."""

PATH_BUDGET = 20_000_000
"""Floats the recorded path may hold; past it only the end of every epoch is kept."""


@dataclass(frozen=True)
class History:
    """Per-epoch records; row 0 is the start (epoch 0), then one row per epoch run.

    A row that finished early keeps its final values in the later records.

    Attributes:
        epoch: (E + 1,) epoch numbers 0, 1, ..., E.
        loss: (E + 1, k) loss on the whole training set.
        grad_norm: (E + 1, k) 2-norm of that loss's gradient.
        val_loss: (E + 1, k) loss on the validation set, or None without a holdout.
        accuracy: (E + 1, k) fraction of training rows classified right, or None (regression).
        val_accuracy: (E + 1, k) the same on the validation set, or None.
        lr: (E + 1, k) the learning rate of each epoch's last step (``nan`` at epoch 0), when
            the run had a scheduler; otherwise None.
    """

    epoch: NDArray[np.int64]
    loss: Array
    grad_norm: Array
    val_loss: Array | None = None
    accuracy: Array | None = None
    val_accuracy: Array | None = None
    lr: Array | None = None


@dataclass(frozen=True, repr=False)
class FitResult:
    """What :func:`fit` returns: one row per seed.

    Attributes:
        model: The model.
        data: The training set, as the model saw it (standardized when asked).
        validation: The held-out set (standardized like ``data``), or None.
        optimizer: The optimizer.
        seeds: The seed of each row.
        batch_size: Rows per step (the number of training rows for full batch).
        params: (k, p) final parameters (a diverged row: those of its last good epoch).
        loss: (k,) training loss at ``params``.
        grad_norm: (k,) gradient norm at ``params``.
        status: (k,) :class:`~descentlab.result.Status` codes.
        epochs: (k,) epochs each row ran.
        diverged_at: (k,) the epoch in which a row diverged, -1 if none.
        history: Per-epoch losses (and accuracies).
        path: (T, k, p) parameters after every step, the start first (every epoch end only when
            that would exceed :data:`PATH_BUDGET` floats), or None when not recorded.
        path_steps: (T,) the number of steps taken before each record of ``path``.
        stop: The stopping settings (``max_iter`` is the epoch limit).
        scheduler: The learning-rate schedule, or None.
        lrs: (T, k) the learning rate of the step that led to each record of ``path`` (``nan``
            at the start), when the run had a scheduler and a recorded path; otherwise None.
    """

    model: Model
    data: Dataset
    validation: Dataset | None
    optimizer: Optimizer
    seeds: tuple[int, ...]
    batch_size: int
    params: Array
    loss: Array
    grad_norm: Array
    status: NDArray[np.int64]
    epochs: NDArray[np.int64]
    diverged_at: NDArray[np.int64]
    history: History
    path: Array | None
    path_steps: NDArray[np.int64] | None
    stop: StopRule
    scheduler: Any = None
    lrs: Array | None = None

    @property
    def k(self) -> int:
        """Number of rows (seeds)."""
        return int(self.params.shape[0])

    @property
    def steps_per_epoch(self) -> int:
        """Steps in one epoch: ``ceil(rows / batch_size)``."""
        return -(-self.data.rows // self.batch_size)

    def parameters(self, i: int = 0) -> dict[str, Any]:
        """Row ``i``'s parameters by name (``{"w": (d,), "b": float}`` for the linear models)."""
        return self.model.unpack(self.params[i])

    @property
    def message(self) -> list[str]:
        """One sentence per row: the status and the numbers behind it."""
        return [self.row_message(i) for i in range(self.k)]

    def row_message(self, i: int) -> str:
        """The :attr:`message` of row ``i``."""
        status = Status(int(self.status[i]))
        e = int(self.epochs[i])
        after = f"after {e:,} epoch{'' if e == 1 else 's'}"
        gn = float(self.grad_norm[i])
        if status is Status.CONVERGED_GRAD:
            return f"converged: gradient norm {gn:.3g} < grad_tol {self.stop.grad_tol:g} {after}"
        if status is Status.CONVERGED_F:
            return f"converged: the loss changed by less than f_tol {self.stop.f_tol:g} {after}"
        if status is Status.MAX_ITER:
            return f"max_iter: ran all {e:,} epochs; gradient norm {gn:.3g}"
        if status is Status.DIVERGED:
            return (
                f"diverged in epoch {int(self.diverged_at[i]):,}: the parameters, loss or "
                f"gradient became non-finite or exceeded {self.stop.limit:g} (lr too large?)"
            )
        return Status(status).label

    def __repr__(self) -> str:
        labels = ", ".join(Status(int(s)).label for s in self.status[:6])
        return (
            f"FitResult(model={self.model.name}, data={self.data.name!r} ({self.data.rows} rows), "
            f"optimizer={self.optimizer.name}, batch_size={self.batch_size}, "
            f"loss={np.array2string(self.loss, precision=6, threshold=6)}, status=[{labels}])"
        )


# ---------------------------------------------------------------------------------------------
# Validation.


def _check_seeds(seeds: int | Sequence[int]) -> tuple[int, ...]:
    values = (seeds,) if isinstance(seeds, int | np.integer) else tuple(seeds)
    if not 1 <= len(values) <= MAX_SEEDS:
        raise ConfigError(f"give 1 to {MAX_SEEDS:,} seeds (got {len(values)})")
    return tuple(integer("a seed", s, lo=0, hi=2**63 - 1) for s in values)


def _model(model: str | Model, d: int, kind: str, options: dict[str, Any]) -> Model:
    if isinstance(model, Model):
        if options:
            raise ConfigError(f"{', '.join(options)} apply to a model name, not to a Model")
        if model.d != d:
            raise ConfigError(f"the model takes {model.d} feature(s); the data have {d}")
        m = model
    elif isinstance(model, str) and model in MODELS:
        accepted = inspect.signature(MODELS[model]).parameters
        for key in options:
            if key == "d" or key not in accepted:
                raise ConfigError(f"{model} takes no option {key!r}")
        m = MODELS[model](d, **options)
    else:
        raise ConfigError(f"unknown model {model!r}; choose one of: {', '.join(MODELS)}")
    if m.classifier and kind != "classification":
        raise ConfigError(
            f"{m.name} is a two-class model: the target must be 0s and 1s "
            f"(use the linear model for a numeric target)"
        )
    return m


# ---------------------------------------------------------------------------------------------
# The loop.


def fit(
    model: str | Model,
    data: str | Path | Dataset = "line",
    optimizer: Optimizer | None = None,
    *,
    epochs: int = 100,
    batch_size: int | None = None,
    seeds: int | Sequence[int] = 0,
    start: ArrayLike | None = None,
    holdout: float | None = None,
    standardize: bool = True,
    target: str | None = None,
    grad_tol: float = 1e-8,
    f_tol: float = 0.0,
    record: bool = True,
    scheduler: Any = None,
    **model_options: Any,
) -> FitResult:
    """Train ``model`` on ``data`` with ``optimizer``: one row of parameters per seed.

    Args:
        model: ``"linear"``, ``"logistic"``, ``"mlp"`` or a :class:`~descentlab.models.Model`.
        data: A set name (:data:`descentlab.data.DATASETS`), a CSV path or a Dataset.
        optimizer: Any :class:`~descentlab.optimizers.Optimizer` (default ``gd(lr=0.1)``).
        epochs: Most passes over the training rows, 1 to :data:`MAX_EPOCHS`.
        batch_size: Rows per step (None: all of them, full batch). Values above the number of
            training rows mean the full batch.
        seeds: One seed or several; seed ``s`` draws row ``s``'s starting parameters
            (:meth:`~descentlab.models.Model.init`) and its shuffles (module doc).
        start: Starting parameters (p,) or (k, p) instead of seeded ones (the shuffles still
            follow the seeds; one start row is used for every seed).
        holdout: Fraction of rows held out for validation (split once, with the first seed).
        standardize: Shift and scale every feature to mean 0 and standard deviation 1, with the
            training rows' numbers (default). The target is left as it is.
        target: The target column of a CSV file (default: its last column).
        grad_tol: Stop a row when its full training gradient's norm is below this (0: off).
        f_tol: Stop a row when an epoch changes its training loss by less than this (0: off).
        record: Keep the parameters after every step (:attr:`FitResult.path`).
        scheduler: A learning-rate schedule (:mod:`descentlab.schedules`), stepped once per
            optimizer step (one per minibatch), as a torch loop calls ``scheduler.step()``
            after every ``optimizer.step()``; ``reducelronplateau`` steps on the minibatch loss
            at the point where the step's gradient was taken (``scheduler.step(loss)``);
            ``onecyclelr`` also sets the momentum (or beta1) of every step. The lr of every
            step is in :attr:`FitResult.lrs` and, per epoch, ``history.lr``.
        **model_options: For a model name: ``l2``, and for ``"mlp"`` ``hidden`` and
            ``activation``.

    Returns:
        A :class:`FitResult`.

    Raises:
        ConfigError: A bad model, data set, setting, scheduler (or one with an optimizer that
            has no lr), or a classifier on a numeric target.
    """
    ds = load(data, target=target)
    optimizer = gd(lr=0.1) if optimizer is None else optimizer
    if not isinstance(optimizer, Optimizer):
        raise ConfigError(f"optimizer must be an Optimizer (got {optimizer!r})")
    if optimizer.name in SECOND_ORDER:
        raise ConfigError(
            f"fit does not train with {optimizer.name}: it needs the whole objective (its "
            "Hessian or a line search on it), not minibatch gradients; use minimize"
        )
    epochs = integer("epochs", epochs, lo=1, hi=MAX_EPOCHS)
    seed_list = _check_seeds(seeds)
    stop = StopRule(
        max_iter=epochs,
        grad_tol=non_negative("grad_tol", grad_tol),
        f_tol=non_negative("f_tol", f_tol),
    )
    valid: Dataset | None = None
    if holdout is not None:
        ds, valid = ds.split(holdout, seed_list[0])
    if standardize:
        ds = ds.standardized()
        if valid is not None:
            valid = valid.standardized(like=ds)
    mdl = _model(model, ds.X.shape[1], ds.kind, model_options)
    m = ds.rows
    b = m if batch_size is None else integer("batch_size", batch_size, lo=1, hi=2**62)
    b = min(b, m)
    k = len(seed_list)
    if start is None:
        P = np.stack([mdl.init(s) for s in seed_list])
    else:
        try:
            P = np.array(start, dtype=np.float64)
        except (TypeError, ValueError):
            P = np.full(1, np.nan)
        if P.shape == (mdl.n_params,):
            P = np.tile(P, (k, 1))
        if P.shape != (k, mdl.n_params) or not np.isfinite(P).all():
            raise ConfigError(
                f"start must be {mdl.n_params} finite numbers, or {k} rows of them "
                f"(got shape {np.shape(start)})"
            )
    total_steps = epochs * -(-m // b)
    schedule = None
    if scheduler is not None:
        if total_steps > MAX_SCHEDULE_STEPS:
            raise ConfigError(
                f"a schedule over {total_steps:,} steps (epochs x batches); the limit is "
                f"{MAX_SCHEDULE_STEPS:,}"
            )
        schedule = _Schedule(
            scheduler,
            _check_scheduler(scheduler, optimizer, total_steps),
            _check_momentum(scheduler, optimizer, total_steps),
        )
    with np.errstate(all="ignore"):
        return _train(mdl, ds, valid, optimizer, P, seed_list, b, stop, record, schedule)


@dataclass
class _Schedule:
    """A scheduler while it runs: its lr table (closed form) or its per-row state (plateau)."""

    scheduler: Any
    table: Array | None
    momenta: Array | None = None
    state: Any = None
    lr: Array | None = None

    def start(self, k: int, lr: float) -> None:
        if self.table is None:
            self.state = self.scheduler.init(k, lr)
            self.lr = np.full(k, lr)

    def lr_of(self, step: int, k: int) -> Array:
        """The (k,) learning rates of step ``step`` (counted from 1)."""
        if self.table is not None:
            return np.full(k, self.table[step - 1])
        assert self.lr is not None
        return self.lr

    def after(self, losses: Array) -> None:
        """One scheduler step after an optimizer step; ``losses`` (k,) where it took the
        gradient (only the schedule that follows the loss reads them)."""
        if self.table is None:
            lr, self.state = self.scheduler.step(self.state, losses)
            self.lr = np.asarray(lr, dtype=np.float64)


def _train(
    mdl: Model,
    ds: Dataset,
    valid: Dataset | None,
    opt: Optimizer,
    P: Array,
    seeds: tuple[int, ...],
    b: int,
    stop: StopRule,
    record: bool,
    schedule: _Schedule | None = None,
) -> FitResult:
    k, p = P.shape
    m = ds.rows
    limit = stop.limit
    full = b >= m
    n_batches = -(-m // b)
    X_all = np.ascontiguousarray(np.broadcast_to(ds.X, (k, *ds.X.shape)))
    y_all = np.ascontiguousarray(np.broadcast_to(ds.y, (k, m)))
    rngs = [np.random.default_rng(s) for s in seeds]
    total_steps = stop.max_iter * n_batches
    every_step = record and (total_steps + 1) * k * p <= PATH_BUDGET
    path: list[Array] = [P.copy()] if record else []
    path_steps: list[int] = [0] if record else []
    nan_lr = np.full(k, np.nan)
    path_lrs: list[Array] = [nan_lr] if record and schedule is not None else []
    hist_lr: list[Array] = [nan_lr]
    lr: Array | None = None

    def measure(Q: Array) -> tuple[Array, Array, list[Array | None]]:
        L, G = mdl.loss_and_grad(Q, X_all, y_all)
        extra: list[Array | None] = [None, None, None]
        if valid is not None:
            extra[0] = mdl.loss(Q, valid.X, valid.y)
        if mdl.classifier:
            extra[1] = _accuracy(mdl, Q, ds)
            if valid is not None:
                extra[2] = _accuracy(mdl, Q, valid)
        return L, np.sqrt((G * G).sum(axis=1)), extra

    L, gn, extra = measure(P)
    hist_loss, hist_gn, hist_extra = [L], [gn], [extra]
    status = np.full(k, int(Status.MAX_ITER), dtype=np.int64)
    epochs_run = np.zeros(k, dtype=np.int64)
    diverged_at = np.full(k, -1, dtype=np.int64)
    final_P, final_L, final_gn = P.copy(), L.copy(), gn.copy()
    running = np.ones(k, dtype=bool)

    def finish(rows: NDArray[np.bool_], code: Status, epoch: int, Q: Array, Lq: Array,
               gq: Array) -> None:  # fmt: skip
        status[rows] = code
        epochs_run[rows] = epoch
        final_P[rows], final_L[rows], final_gn[rows] = Q[rows], Lq[rows], gq[rows]
        running[rows] = False

    bad = ~(np.abs(L) <= limit) | ~(gn < np.inf)
    finish(bad, Status.DIVERGED, 0, P, L, gn)
    diverged_at[bad] = 0
    finish(running & (gn < stop.grad_tol), Status.CONVERGED_GRAD, 0, P, L, gn)
    state = opt.init(P)
    if schedule is not None:
        schedule.start(k, float(opt.hyperparameters["lr"]))
    per_row = opt.name == "linesearch" and not full and k > 1
    step_count = 0
    epoch = 0
    while running.any() and epoch < stop.max_iter:
        epoch += 1
        P_before = P.copy()
        if full:
            batches: list[NDArray[np.intp] | None] = [None]
        else:
            order = np.stack([rng.permutation(m) for rng in rngs])
            batches = [np.sort(order[:, j * b : (j + 1) * b], axis=1) for j in range(n_batches)]
        for idx in batches:
            if idx is None:
                Xb, yb = X_all, y_all
            else:
                rows = np.arange(k)[:, None]
                Xb, yb = X_all[rows, idx], y_all[rows, idx]
            step_count += 1
            kwargs: dict[str, Any] = {}
            if schedule is not None:
                lr = schedule.lr_of(step_count, k)
                kwargs["lr"] = lr
                if schedule.momenta is not None:
                    kwargs["momentum"] = float(schedule.momenta[step_count - 1])
            if per_row:
                step, state, Lb = _update_rows_apart(mdl, opt, P, state, Xb, yb, kwargs)
            else:
                Lb, Gb = mdl.loss_and_grad(P, Xb, yb)

                def value_fn(Q: Array, Xb: Array = Xb, yb: Array = yb) -> Array:
                    return mdl.loss(Q, Xb, yb)

                step, state = opt.update(Gb, state, P, value_fn=value_fn, value=Lb, **kwargs)
            if schedule is not None:
                schedule.after(Lb)
            P = np.where(running[:, None], P + step, P)
            if every_step:
                path.append(P.copy())
                path_steps.append(step_count)
                if lr is not None:
                    path_lrs.append(lr.copy())
        L, gn, extra = measure(P)
        bad = running & ~((np.abs(P).max(axis=1) <= limit) & (np.abs(L) <= limit) & (gn < np.inf))
        if bad.any():
            Lb_, gb_, _ = measure(P_before)
            finish(bad, Status.DIVERGED, epoch, P_before, Lb_, gb_)
            diverged_at[bad] = epoch
            P = np.where(bad[:, None], P_before, P)
            L, gn, extra = measure(P)
        conv = running & (gn < stop.grad_tol)
        finish(conv, Status.CONVERGED_GRAD, epoch, P, L, gn)
        if stop.f_tol > 0:
            flat = running & (np.abs(L - hist_loss[-1]) < stop.f_tol)
            finish(flat, Status.CONVERGED_F, epoch, P, L, gn)
        # Frozen rows keep their final values in the history.
        L, gn = np.where(running, L, final_L), np.where(running, gn, final_gn)
        P = np.where(running[:, None], P, final_P)
        hist_loss.append(L)
        hist_gn.append(gn)
        hist_extra.append(extra)
        if lr is not None:
            hist_lr.append(lr.copy())
        if record and not every_step:
            path.append(P.copy())
            path_steps.append(step_count)
            if lr is not None:
                path_lrs.append(lr.copy())
    finish(running.copy(), Status.MAX_ITER, epoch, P, L, gn)

    def stacked(j: int) -> Array | None:
        if hist_extra[0][j] is None:
            return None
        return np.stack([np.asarray(e[j]) for e in hist_extra])

    history = History(
        epoch=np.arange(len(hist_loss), dtype=np.int64),
        loss=np.stack(hist_loss),
        grad_norm=np.stack(hist_gn),
        val_loss=stacked(0),
        accuracy=stacked(1),
        val_accuracy=stacked(2),
        lr=np.stack(hist_lr) if schedule is not None else None,
    )
    return FitResult(
        model=mdl,
        data=ds,
        validation=valid,
        optimizer=opt,
        seeds=seeds,
        batch_size=b,
        params=final_P,
        loss=final_L,
        grad_norm=final_gn,
        status=status,
        epochs=epochs_run,
        diverged_at=diverged_at,
        history=history,
        path=np.stack(path) if record else None,
        path_steps=np.array(path_steps, dtype=np.int64) if record else None,
        stop=stop,
        scheduler=None if schedule is None else schedule.scheduler,
        lrs=np.stack(path_lrs) if path_lrs else None,
    )


def _accuracy(mdl: Model, P: Array, ds: Dataset) -> Array:
    """(k,) fraction of rows whose predicted class (probability >= 1/2) is the target."""
    predicted = mdl.output(P, ds.X) >= 0.5
    share: Array = (predicted == (ds.y >= 0.5)).mean(axis=1)  # numpy types a mean as Any
    return share


def _update_rows_apart(
    mdl: Model,
    opt: Optimizer,
    P: Array,
    state: Any,
    Xb: Array,
    yb: Array,
    options: dict[str, Any] | None = None,
) -> tuple[Array, Any, Array]:
    """One update with each row on its own batch, for optimizers that evaluate the loss.

    A line search calls ``value_fn`` on a subset of the rows, which cannot tell which row's
    batch to use; updating the rows one at a time keeps each on its own batch. Returns the
    step, the new state and each row's batch loss; ``options`` are the update's keywords (an
    ``lr`` (k,) is split by row).
    """
    steps, states, losses = [], [], []
    for i in range(P.shape[0]):
        Li, Gi = mdl.loss_and_grad(P[i : i + 1], Xb[i : i + 1], yb[i : i + 1])

        def value_fn(Q: Array, i: int = i) -> Array:
            return mdl.loss(Q, Xb[i : i + 1], yb[i : i + 1])

        kwargs = dict(options or {})
        if "lr" in kwargs:
            kwargs["lr"] = kwargs["lr"][i : i + 1]
        step, st = opt.update(
            Gi, _take(state, np.array([i])), P[i : i + 1], value_fn=value_fn, value=Li, **kwargs
        )
        steps.append(step)
        states.append(st)
        losses.append(Li)
    return np.concatenate(steps), _join(states), np.concatenate(losses)


def _join(states: list[Any]) -> Any:
    """Per-row states (each from ``descent._take``) joined back into one."""
    first = states[0]
    if isinstance(first, np.ndarray):
        return np.concatenate(states) if first.ndim >= 1 else first
    if isinstance(first, tuple):
        parts = [_join([s[j] for s in states]) for j in range(len(first))]
        return type(first)(*parts) if hasattr(first, "_fields") else tuple(parts)
    return first
