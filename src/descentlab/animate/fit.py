"""The fit scene (a model learning from data) and the fit-compare still (batch sizes side by side).

Both draw real :func:`descentlab.fit` runs: every frame is a recorded step of the first seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from descentlab.animate.common import (
    check_frames,
    draw_filled,
    lr_at,
    lr_inset,
    lr_text,
    num,
    place_legend,
    stop_line,
)
from descentlab.animate.engine import Scene, Still
from descentlab.animate.frames import pad, sample_indices
from descentlab.animate.style import COLORS, RC, finish_layout, new_figure, quiet_axes
from descentlab.errors import ConfigError

if TYPE_CHECKING:
    from descentlab.optimizers import Optimizer
    from descentlab.training import FitResult

__all__ = ["DEFAULTS", "fit", "fit_compare"]

#: What :func:`fit` runs for each model when it is not given a result: data set, settings.
DEFAULTS: dict[str, dict[str, Any]] = {
    "linear": {
        "data": "line",
        "optimizer": ("gd", {"lr": 0.15}),
        "epochs": 60,
        "start": (-1.0, 3.0),
        "standardize": False,
    },
    "logistic": {"data": "iris", "optimizer": ("gd", {"lr": 1.0}), "epochs": 100},
    "mlp": {
        "data": "moons",
        "optimizer": ("adam", {"lr": 0.05}),
        "epochs": 150,
        "batch_size": 32,
        "hidden": 8,
    },
}

CLASS_COLORS = ("#3b6ea5", "#d1495b")  # class 0, class 1
BATCH_COLORS = ("#222222", "#1f77b4", "#e07a1f")  # full batch, minibatch, single sample


def _run(
    model: str,
    data: Any,
    optimizer: Optimizer | None,
    batch_size: int | None,
    epochs: int | None,
    seed: int,
    start: Sequence[float] | None,
    standardize: bool | None,
    scheduler: Any = None,
) -> FitResult:
    """A recorded :func:`descentlab.fit` run with this scene's defaults for ``model``."""
    from descentlab.optimizers import OPTIMIZERS
    from descentlab.training import fit as run_fit

    if model not in DEFAULTS:
        raise ConfigError(f"unknown model {model!r}; choose one of: {', '.join(DEFAULTS)}")
    d = dict(DEFAULTS[model])
    custom_data = data is not None
    name, hyper = d.pop("optimizer")
    kwargs: dict[str, Any] = {
        "epochs": epochs if epochs is not None else d.pop("epochs"),
        "batch_size": batch_size if batch_size is not None else d.pop("batch_size", None),
        "seeds": seed,
    }
    d.pop("epochs", None)
    d.pop("batch_size", None)
    default_data = d.pop("data")
    default_start = d.pop("start", None)
    default_std = d.pop("standardize", True)
    kwargs["standardize"] = (
        standardize if standardize is not None else (True if custom_data else default_std)
    )
    if start is not None:
        kwargs["start"] = start
    elif not custom_data and default_start is not None:
        kwargs["start"] = default_start
    opt = optimizer if optimizer is not None else OPTIMIZERS[name](**hyper)
    if scheduler is not None:
        kwargs["scheduler"] = scheduler
    return run_fit(model, data if custom_data else default_data, opt, record=True, **kwargs, **d)


def _title(r: FitResult) -> str:
    hyper = ", ".join(f"{k}={v:g}" for k, v in r.optimizer.hyperparameters.items()
                      if isinstance(v, int | float))  # fmt: skip
    batch = "full batch" if r.batch_size == r.data.rows else f"batch {r.batch_size}"
    what = {"linear": "linear regression", "logistic": "logistic regression", "mlp": "network"}
    name = what[r.model.name]
    if r.model.name == "mlp":
        name = f"network ({r.model.hidden} {r.model.activation} units)"
    sched = "" if r.scheduler is None else f", {r.scheduler.name}"
    return (
        f"{name} on {r.data.name} ({r.data.rows} rows): {r.optimizer.name}({hyper}){sched}, {batch}"
    )


def _feature_label(r: FitResult, j: int) -> str:
    scaled = r.data.x_mean is not None
    return f"{r.data.features[j]}{' (standardized)' if scaled else ''}"


def _least_squares(r: FitResult) -> np.ndarray | None:
    """The (w, b) that minimizes a linear regression's loss (None for other models or with l2)."""
    if r.model.name != "linear" or r.model.l2:
        return None
    A = np.column_stack([r.data.X, np.ones(r.data.rows)])
    return np.linalg.lstsq(A, r.data.y, rcond=None)[0]


def _draw_surface(ax: Any, r: FitResult, paths: Sequence[np.ndarray], n: int = 120) -> None:
    """The loss over a (w, b) grid holding the paths and the best point, drawn on ``ax``.

    The least-squares point of a linear regression is marked with a star.
    """
    best = _least_squares(r)
    pts = np.concatenate(
        [np.asarray(p).reshape(-1, 2) for p in [*paths, *([] if best is None else [best])]]
    )
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum(hi - lo, 1e-3 * np.maximum(np.abs(hi), 1.0))
    lo, hi = lo - 0.12 * span, hi + 0.12 * span
    Wg, Bg = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
    P = np.column_stack([Wg.ravel(), Bg.ravel()])
    block = max(1, 2_000_000 // max(r.data.rows, 1))
    Z = np.concatenate(
        [r.model.loss(P[i : i + block], r.data.X, r.data.y) for i in range(0, len(P), block)]
    ).reshape(Wg.shape)
    draw_filled(ax, Wg, Bg, Z, 16, cmap="Greys", alpha=0.45)
    ax.contour(Wg, Bg, Z, levels=16, colors="#999999", linewidths=0.5)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("w")
    ax.set_ylabel("b")
    ax.grid(False)
    if best is not None:
        ax.plot(*best, "*", color="gold", mec="black", ms=13, zorder=7, label="least squares")


def fit(
    target: FitResult | str = "linear",
    *,
    data: Any = None,
    optimizer: Optimizer | None = None,
    scheduler: Any = None,
    batch_size: int | None = None,
    epochs: int | None = None,
    seed: int = 0,
    start: Sequence[float] | None = None,
    standardize: bool | None = None,
    frames: int = 60,
    fps: float = 12.0,
    size: tuple[int, int] = (1100, 560),
) -> Scene:
    """A model learning: the data with the current model, the path over the loss, the loss curve.

    Left, the data and the model of the current step: the fitted line for linear regression on
    one feature, the predicted probability and the decision boundary (p = 1/2) for a classifier
    on two features, the probability curve on one. Right, for a model of two parameters (one
    feature, weight and bias), the loss over (w, b) with the path of every step (minibatch paths
    wander); below it (or alone), the training loss per epoch on a log scale, with the
    validation loss when there is a holdout, under a readout of the epoch, step and loss. The
    last frame states why the run stopped (converged, max_iter, diverged).

    Args:
        target: A recorded :func:`descentlab.fit` run to draw (its first seed), or a model
            name, ``"linear"``, ``"logistic"`` or ``"mlp"``, to run with :data:`DEFAULTS`
            (changed by the options below, which apply only to a model name).
        data: A data set name, CSV path or Dataset (default per model).
        optimizer: The optimizer (default per model).
        scheduler: A learning-rate schedule (:mod:`descentlab.schedules`), one step per
            optimizer step. A run with a schedule (given here or in ``target``) shows the lr of
            each frame's step in the readout and, when it changes, draws it against the step in
            a small panel of the loss plot.
        batch_size: Rows per step (default per model; None is the full batch).
        epochs: Epochs to run (default per model).
        seed: The seed of the run.
        start: Starting parameters (default per model).
        standardize: Standardize the features (default: per model for its own data, else yes).
        frames: Frame budget; frames are spread evenly over the steps, with a pause at the end.
        fps: Frames per second.
        size: (width, height) in pixels.

    Returns:
        The scene; ``scene.info["result"]`` is the run and ``scene.info["frames"]`` the record
        of ``result.path`` (and ``result.lrs``) drawn in each frame.

    Raises:
        ConfigError: A result without a recorded path, data the scene cannot draw (more than
            one feature for linear regression, more than two for a classifier), or bad options.
    """
    import matplotlib

    from descentlab.training import FitResult

    if isinstance(target, FitResult):
        given = (data, optimizer, scheduler, batch_size, epochs, start, standardize)
        if any(v is not None for v in given) or seed != 0:
            raise ConfigError("the fit scene's run options apply to a model name, not to a run")
        r = target
    elif isinstance(target, str):
        r = _run(target, data, optimizer, batch_size, epochs, seed, start, standardize, scheduler)
    else:
        raise ConfigError(
            f"the fit scene takes a model name (linear, logistic, mlp) or a fit run (got "
            f"{type(target).__name__}); from the command line: descentlab fit MODEL -o FILE"
        )
    if r.path is None or r.path_steps is None:
        raise ConfigError("the fit scene needs a run with its path recorded (record=True)")
    frames = check_frames(frames)
    d = r.model.d
    if (r.model.name == "linear" and d != 1) or d > 2:
        raise ConfigError(
            f"the fit scene draws one feature (two for a classifier); {r.data.name} has {d}"
        )
    path = r.path[:, 0]
    ok = np.isfinite(path).all(axis=1) & (np.abs(path).max(axis=1) < 1e150)
    last = int(np.nonzero(ok)[0][-1]) if ok.any() else 0
    path = path[: last + 1]
    steps = r.path_steps[: last + 1]
    lrs = None if r.lrs is None else r.lrs[: last + 1, :1]
    spe = r.steps_per_epoch
    pause = max(1, frames // 8)
    idx = pad(sample_indices(len(path), max(2, frames - pause)), pause)
    two = r.model.n_params == 2
    hist = r.history
    ds = r.data
    loss_hist = hist.loss[:, 0]
    epochs_axis = hist.epoch

    with matplotlib.rc_context(RC):
        fig = new_figure(size)
        if two:
            grid = fig.add_gridspec(2, 2, width_ratios=[1.1, 1], height_ratios=[1.35, 1])
            ax = fig.add_subplot(grid[:, 0])
            surf = fig.add_subplot(grid[0, 1])
            lossax = fig.add_subplot(grid[1, 1])
        else:
            ax, lossax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
            surf = None
        fig.suptitle(_title(r), fontsize=12)
        moving: list[Any] = []
        setters: list[Any] = []

        # --- left: the data and the model -----------------------------------------------------
        quiet_axes(ax)
        x0 = ds.X[:, 0]
        xpad = 0.05 * (x0.max() - x0.min() + 1e-12)
        xlim = (x0.min() - xpad, x0.max() + xpad)
        if d == 1:
            ax.set_xlim(*xlim)
            ax.set_xlabel(_feature_label(r, 0))
            ax.set_ylabel(ds.target)
            xs = np.linspace(*xlim, 200)[:, None]
            if r.model.classifier:
                jitter = np.random.default_rng(0).uniform(-0.03, 0.03, ds.rows)
                colors = [CLASS_COLORS[int(v)] for v in ds.y]
                ax.scatter(x0, ds.y + jitter, s=14, c=colors, alpha=0.7, lw=0, zorder=2)
                ax.set_ylim(-0.1, 1.1)
            else:
                ax.scatter(x0, ds.y, s=14, color=COLORS["curve"], alpha=0.6, lw=0, zorder=2)
                ypad = 0.08 * (ds.y.max() - ds.y.min() + 1e-12)
                ax.set_ylim(ds.y.min() - ypad, ds.y.max() + ypad)
            (curve,) = ax.plot([], [], color=COLORS["tangent"], lw=2.4, zorder=4)
            moving.append(curve)

            def set_model(p: np.ndarray) -> None:
                curve.set_data(xs[:, 0], r.model.output(p[None], xs)[0])

        else:
            x1 = ds.X[:, 1]
            ypad = 0.05 * (x1.max() - x1.min() + 1e-12)
            ylim = (x1.min() - ypad, x1.max() + ypad)
            gx, gy = np.linspace(*xlim, 160), np.linspace(*ylim, 160)
            Gx, Gy = np.meshgrid(gx, gy)
            G = np.column_stack([Gx.ravel(), Gy.ravel()])
            image = ax.imshow(
                np.zeros_like(Gx), extent=(*xlim, *ylim), origin="lower", cmap="RdBu_r",
                vmin=0.0, vmax=1.0, alpha=0.45, aspect="auto", zorder=0,
            )  # fmt: skip
            (boundary,) = ax.plot([], [], color="#222222", lw=1.6, zorder=1)
            colors = [CLASS_COLORS[int(v)] for v in ds.y]
            ax.scatter(x0, x1, s=16, c=colors, edgecolors="white", linewidths=0.4, zorder=3)
            ax.set_xlim(*xlim)
            ax.set_ylim(*ylim)
            ax.set_xlabel(_feature_label(r, 0))
            ax.set_ylabel(_feature_label(r, 1))
            ax.grid(False)
            moving += [image, boundary]

            def set_model(p: np.ndarray) -> None:
                import contourpy

                prob = r.model.output(p[None], G)[0].reshape(Gx.shape)
                image.set_data(prob)
                # the default line type, Separate: a list of (m, 2) arrays (contourpy types
                # lines() as the union over every line type)
                lines = cast(
                    "list[np.ndarray]", contourpy.contour_generator(gx, gy, prob).lines(0.5)
                )
                if lines:
                    joined = np.concatenate([np.vstack([seg, [np.nan, np.nan]]) for seg in lines])
                    boundary.set_data(joined[:, 0], joined[:, 1])
                else:
                    boundary.set_data([], [])

        setters.append(set_model)

        # --- right: the path over the loss surface ---------------------------------------------
        if surf is not None:
            _draw_surface(surf, r, [path])
            surf.set_title("loss over (w, b)", fontsize=11)
            surf.plot(*path[0], "o", color="white", mec="black", ms=7, zorder=3)
            (trail,) = surf.plot([], [], color=COLORS["moving"], lw=1.2, zorder=5)
            (head,) = surf.plot([], [], "o", color=COLORS["tangent"], mec="white", ms=7, zorder=6)
            moving += [trail, head]

            def set_path(j: int) -> None:
                trail.set_data(path[: j + 1, 0], path[: j + 1, 1])
                head.set_data([path[j, 0]], [path[j, 1]])

            setters.append(set_path)

        # --- the loss per epoch -----------------------------------------------------------------
        quiet_axes(lossax)
        finite = loss_hist[np.isfinite(loss_hist)]
        lo = float(finite.min()) if finite.size else 1e-3
        hi = float(finite.max()) if finite.size else 1.0
        if hist.val_loss is not None:
            v = hist.val_loss[:, 0]
            v = v[np.isfinite(v)]
            if v.size:
                lo, hi = min(lo, float(v.min())), max(hi, float(v.max()))
        lossax.set_yscale("log")
        lossax.set_ylim(max(lo, 1e-300) / 1.5, hi * 1.5)
        lossax.set_xlim(0, max(int(epochs_axis[-1]), 1))
        lossax.set_xlabel("epoch")
        lossax.set_ylabel("loss")
        (train_curve,) = lossax.plot([], [], color=COLORS["curve"], lw=1.8, label="training")
        moving.append(train_curve)
        val_curve = None
        val_loss = hist.val_loss
        if val_loss is not None:
            (val_curve,) = lossax.plot(
                [], [], color=COLORS["tangent"], lw=1.4, ls="--", label="validation"
            )
            moving.append(val_curve)
            lossax.legend(loc="upper right", fontsize=9)
        # The readout over the loss panel; the line under the panels says why the run stopped.
        readout = lossax.set_title(" \n ", fontsize=10)
        status, stop_text, bottom = stop_line(fig, [r.message[0]])
        moving += [status, readout]
        lr_dots, move_lr = lr_inset(lossax, steps, lrs, [COLORS["curve"]],
                                    bounds=(0.6, 0.55, 0.36, 0.3), unit="steps")  # fmt: skip
        moving += lr_dots

        def update(i: int) -> None:
            j = int(idx[i])
            p = path[j]
            for setter in setters[:1]:
                setter(p)
            for setter in setters[1:]:
                setter(j)
            e = min(int(steps[j]) // spe, len(loss_hist) - 1)
            train_curve.set_data(epochs_axis[: e + 1], loss_hist[: e + 1])
            if val_curve is not None and val_loss is not None:
                val_curve.set_data(epochs_axis[: e + 1], val_loss[: e + 1, 0])
            text = f"epoch {e}   step {int(steps[j])}\ntraining loss {num(loss_hist[e], 4)}"
            if hist.accuracy is not None:
                text += f"   accuracy {hist.accuracy[e, 0]:.0%}"
            if lrs is not None:
                text += f"   {lr_text(lr_at(lrs, j))}"
            move_lr(j)
            readout.set_text(text)
            status.set_text(stop_text if j == len(path) - 1 else "")

        finish_layout(fig, rect=(0, bottom, 1, 1))
    return Scene(fig, moving, update, n_frames=len(idx), fps=fps, info={"frames": idx, "result": r})


def fit_compare(
    target: Any = "line",
    *,
    optimizer: Optimizer | None = None,
    scheduler: Any = None,
    batch_sizes: Sequence[int | None] = (None, 10, 1),
    epochs: int = 20,
    seed: int = 0,
    start: Sequence[float] | None = (-1.0, 3.0),
    standardize: bool = False,
    size: tuple[int, int] = (1100, 480),
) -> Still:
    """Full batch, minibatch and single-sample SGD on one loss surface, for the same epochs.

    Linear regression on one feature (two parameters, so the loss is a surface over (w, b)).
    Every run starts at the same point with the same optimizer and learning rate; a full batch
    takes one smooth step per epoch, a minibatch ``rows / B`` noisy ones, single samples
    ``rows`` very noisy ones. Right: the training loss per epoch of each.

    Args:
        target: A regression data set with one feature (name, CSV path or Dataset).
        optimizer: The optimizer (default ``gd(lr=0.05)``).
        scheduler: A learning-rate schedule (:mod:`descentlab.schedules`) for every run, one
            step per optimizer step, as :func:`descentlab.fit` takes it (so a minibatch run
            moves through it faster per epoch than the full batch).
        batch_sizes: The batch sizes to compare (None: the full batch), at most three.
        epochs: Epochs of every run.
        seed: The seed (starting point unless ``start`` is given, and the shuffles).
        start: The starting (w, b), or None for the seeded one.
        standardize: Standardize the feature first.
        size: (width, height) in pixels.

    Returns:
        The Still; ``info["results"]`` holds the runs.

    Raises:
        ConfigError: Data that is not one feature for linear regression, or bad batch sizes.
    """
    import matplotlib

    from descentlab.data import load
    from descentlab.optimizers import gd
    from descentlab.training import fit as run_fit

    sizes = list(batch_sizes)
    if not 1 <= len(sizes) <= len(BATCH_COLORS):
        raise ConfigError(f"give 1 to {len(BATCH_COLORS)} batch sizes (got {len(sizes)})")
    ds = load(target)
    if ds.X.shape[1] != 1:
        raise ConfigError(
            f"fit-compare needs a data set with one feature; {ds.name} has {ds.X.shape[1]}"
        )
    opt = optimizer if optimizer is not None else gd(lr=0.05)
    runs = [
        run_fit(
            "linear",
            target,
            opt,
            epochs=epochs,
            batch_size=b,
            seeds=seed,
            start=start,
            standardize=standardize,
            grad_tol=0.0,
            scheduler=scheduler,
        )  # fmt: skip
        for b in sizes
    ]
    paths = [r.path[:, 0] for r in runs if r.path is not None]  # fit records by default
    with matplotlib.rc_context(RC):
        fig = new_figure(size)
        surf, lossax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1]})
        _draw_surface(surf, runs[0], paths)
        quiet_axes(lossax)
        lossax.set_yscale("log")
        lossax.set_xlabel("epoch")
        lossax.set_ylabel("training loss")
        for r, path, color in zip(runs, paths, BATCH_COLORS, strict=False):
            b = r.batch_size
            label = (
                "full batch" if b == r.data.rows else "single sample (SGD)" if b == 1
                else f"minibatch of {b}"
            )  # fmt: skip
            label += f": {len(path) - 1} steps"
            lw = 1.0 if b == 1 else 1.6
            surf.plot(path[:, 0], path[:, 1], color=color, lw=lw, alpha=0.9, label=label)
            surf.plot(*path[-1], "o", color=color, mec="white", ms=7, zorder=6)
            lossax.plot(r.history.epoch, r.history.loss[:, 0], color=color, lw=1.8, label=label)
        surf.plot(*paths[0][0], "o", color="white", mec="black", ms=8, zorder=7)
        legend = surf.legend(fontsize=8, framealpha=0.85)
        sched = "" if scheduler is None else f", {scheduler.name}"
        surf.set_title(f"{epochs} epochs of {opt.name}(lr={opt.hyperparameters.get('lr', 0):g})"
                       f"{sched} on {runs[0].data.name}", fontsize=11)  # fmt: skip
        lossax.set_title("loss after each epoch", fontsize=11)
        finish_layout(fig)
        # where no path runs: matplotlib's "best" put it over the single-sample path
        best = _least_squares(runs[0])
        place_legend(surf, legend, paths, None if best is None else np.reshape(best, (1, 2)))
    return Still(fig, info={"results": runs})
