"""Models with their gradients written by hand: linear and logistic regression, a small network.

A model's parameters are one flat vector of ``p`` numbers, so ``k`` parameter vectors are the
rows of a (k, p) array: exactly what every optimizer of :mod:`descentlab.optimizers` takes. Each
model computes its loss and the loss's gradient for all rows at once, the backward pass spelled
out in NumPy next to the forward pass it reverses.

Data come in one of two shapes: ``X`` (m, d) with ``y`` (m,) shared by every row, or a batch per
row, ``X`` (k, b, d) with ``y`` (k, b) (what minibatches with a different shuffle per row need).
Every sum runs over one row's own numbers in a fixed order (features one at a time, then the
samples), so a row's loss and gradient do not depend on the other rows or on memory layout.

The losses (``m`` samples, ``z`` the model's output, ``w`` the weights, biases excluded from the
penalty):

- linear: mean squared error, ``mean((X w + b - y)^2) + (l2 / 2) |w|^2``;
- logistic: binary cross-entropy, ``mean(log(1 + exp(-s z)))`` with ``s = 2y - 1``, which is
  computed as ``logaddexp(0, -s z)`` so that it stays exact for margins of any size;
- mlp: one hidden layer ``h = act(X W1 + b1)`` (tanh or ReLU), output ``z = h w2 + b2``, the same
  cross-entropy; ``l2`` penalizes ``W1`` and ``w2``.

``l2 / 2 |w|^2`` adds ``l2 w`` to the gradient: torch.optim's ``weight_decay = l2``.

Examples:
    >>> import numpy as np
    >>> model = linear(1)
    >>> X, y = np.array([[0.0], [1.0]]), np.array([1.0, 3.0])   # y = 2x + 1
    >>> loss, grad = model.loss_and_grad(np.array([[2.0, 1.0], [0.0, 0.0]]), X, y)
    >>> loss.tolist(), grad.tolist()
    ([0.0, 5.0], [[0.0, 0.0], [-3.0, -4.0]])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from descentlab.checks import choice, integer, non_negative
from descentlab.errors import ConfigError

__all__ = ["ACTIVATIONS", "MODELS", "Model", "linear", "logistic", "mlp"]

Array = NDArray[np.float64]

MAX_HIDDEN = 1024
"""Widest hidden layer :func:`mlp` accepts."""


def _tanh(Z: Array) -> tuple[Array, Array]:
    A = np.tanh(Z)
    return A, 1.0 - A * A


def _relu(Z: Array) -> tuple[Array, Array]:
    positive = Z > 0
    return np.where(positive, Z, 0.0), positive.astype(np.float64)


#: Hidden-layer activations: name -> ``act(Z) -> (act(Z), act'(Z))`` (ReLU' at 0 is 0).
ACTIVATIONS: dict[str, Callable[[Array], tuple[Array, Array]]] = {"tanh": _tanh, "relu": _relu}


@dataclass(frozen=True)
class Model:
    """A model of ``d`` features: its parameter layout, loss and hand-written gradient.

    Build one with :func:`linear`, :func:`logistic` or :func:`mlp`.

    Attributes:
        name: ``"linear"``, ``"logistic"`` or ``"mlp"``.
        d: Number of features.
        hidden: Width of the hidden layer (0 for the linear models).
        activation: The hidden layer's activation (``"tanh"`` or ``"relu"``; unused otherwise).
        l2: Weight of the penalty ``(l2 / 2) |w|^2`` on the weights, >= 0.
    """

    name: Literal["linear", "logistic", "mlp"]
    d: int
    hidden: int = 0
    activation: str = "tanh"
    l2: float = 0.0

    @property
    def classifier(self) -> bool:
        """True for the two-class models (logistic, mlp): targets must be 0 or 1."""
        return self.name != "linear"

    @property
    def shapes(self) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """The named parts of the flat parameter vector, in order, with their shapes."""
        if self.name == "mlp":
            h = self.hidden
            return (("W1", (self.d, h)), ("b1", (h,)), ("w2", (h,)), ("b2", ()))
        return (("w", (self.d,)), ("b", ()))

    @property
    def n_params(self) -> int:
        """Length ``p`` of the flat parameter vector."""
        return sum(math.prod(shape) for _, shape in self.shapes)

    @property
    def penalized(self) -> NDArray[np.bool_]:
        """(p,) True for the entries that ``l2`` penalizes (weights, not biases)."""
        return np.concatenate(
            [np.full(math.prod(s), name.startswith(("w", "W"))) for name, s in self.shapes]
        )

    def unpack(self, params: ArrayLike) -> dict[str, Array | float]:
        """The named parts of one flat parameter vector (p,): ``{"w": (d,), "b": float}``."""
        p = np.asarray(params, dtype=np.float64)
        if p.shape != (self.n_params,):
            raise ConfigError(f"parameters must have shape ({self.n_params},) (got {p.shape})")
        parts: dict[str, Array | float] = {}
        lo = 0
        for name, shape in self.shapes:
            size = math.prod(shape)
            part = p[lo : lo + size]
            parts[name] = float(part[0]) if shape == () else part.reshape(shape)
            lo += size
        return parts

    def init(self, seed: int) -> Array:
        """Seeded starting parameters (p,).

        Linear and logistic regression: every entry standard normal. The network: ``W1`` normal
        with standard deviation ``1/sqrt(d)``, ``w2`` with ``1/sqrt(hidden)`` (so that the
        hidden and output values start of order 1 on standardized features), biases 0.
        """
        rng = np.random.default_rng(seed)
        if self.name != "mlp":
            return rng.standard_normal(self.n_params)
        d, h = self.d, self.hidden
        return np.concatenate(
            [
                rng.standard_normal(d * h) / math.sqrt(d),
                np.zeros(h),
                rng.standard_normal(h) / math.sqrt(h),
                np.zeros(1),
            ]
        )

    # -----------------------------------------------------------------------------------------
    # Forward and backward passes.

    def output(self, P: ArrayLike, X: ArrayLike) -> Array:
        """The model's output for every row of ``P`` (k, p) at ``X`` (m, d): (k, m).

        The prediction for linear regression, the probability of class 1 for the classifiers.
        """
        P, Xb, _ = self._inputs(P, X, None)
        z = self._forward(P, Xb)[0]
        return z if self.name == "linear" else _sigmoid(z)

    def loss(self, P: ArrayLike, X: ArrayLike, y: ArrayLike) -> Array:
        """The loss (k,) of every row of ``P`` (k, p) on ``X``, ``y`` (shapes in the module doc)."""
        P, Xb, yb = self._inputs(P, X, y)
        return self._loss(P, self._forward(P, Xb)[0], yb)

    def loss_and_grad(self, P: ArrayLike, X: ArrayLike, y: ArrayLike) -> tuple[Array, Array]:
        """The loss (k,) and its gradient (k, p) with respect to the parameters, by hand."""
        P, Xb, yb = self._inputs(P, X, y)
        z, cache = self._forward(P, Xb)
        loss = self._loss(P, z, yb)
        m = yb.shape[1]
        # d loss / dz: of mean((z - y)^2), or of the mean cross-entropy.
        dz = (2.0 / m) * (z - yb) if self.name == "linear" else _dbce(z, yb) / m
        G = self._backward(P, Xb, dz, cache)
        if self.l2:
            G += self.l2 * np.where(self.penalized, P, 0.0)
        return loss, G

    def _inputs(
        self, P: ArrayLike, X: ArrayLike, y: ArrayLike | None
    ) -> tuple[Array, Array, Array]:
        """``P`` as (k, p); ``X`` as (k or 1, m, d); ``y`` as (k or 1, m)."""
        P = np.asarray(P, dtype=np.float64)
        if P.ndim == 1:
            P = P[None, :]
        if P.ndim != 2 or P.shape[1] != self.n_params:
            raise ConfigError(
                f"{self.name} with {self.d} feature(s) has {self.n_params} parameters; "
                f"got an array of shape {P.shape}"
            )
        Xb = np.asarray(X, dtype=np.float64)
        if Xb.ndim == 2:
            Xb = Xb[None]
        if Xb.ndim != 3 or Xb.shape[2] != self.d or Xb.shape[0] not in (1, P.shape[0]):
            raise ConfigError(
                f"X must be (m, {self.d}) or (k, m, {self.d}) for {P.shape[0]} parameter "
                f"rows (got shape {np.shape(X)})"
            )
        yb = np.zeros((1, Xb.shape[1]))
        if y is not None:
            yb = np.asarray(y, dtype=np.float64)
            if yb.ndim == 1:
                yb = yb[None]
            if yb.shape[1:] != Xb.shape[1:2] or yb.shape[0] not in (1, P.shape[0]):
                raise ConfigError(
                    f"y must match X's rows: shape (m,) or (k, m) (got {np.shape(y)} "
                    f"for X of shape {np.shape(X)})"
                )
        return P, Xb, yb

    def _forward(self, P: Array, Xb: Array) -> tuple[Array, tuple[Array, ...]]:
        """The output ``z`` (k, m) and what the backward pass needs."""
        d = self.d
        if self.name != "mlp":
            return _affine(Xb, P[:, :d], P[:, d]), ()
        h = self.hidden
        W1 = P[:, : d * h].reshape(-1, d, h)
        b1 = P[:, d * h : d * h + h]
        w2 = P[:, d * h + h : d * h + 2 * h]
        b2 = P[:, -1]
        Z1 = _affine(Xb, W1, b1)  # (k, m, h)
        A, dA_dZ1 = ACTIVATIONS[self.activation](Z1)
        z = b2[:, None] + (A * w2[:, None, :]).sum(axis=2)  # (k, m)
        return z, (A, dA_dZ1)

    def _backward(self, P: Array, Xb: Array, dz: Array, cache: tuple[Array, ...]) -> Array:
        """The gradient (k, p) given ``dz`` = d loss / d z (k, m), reversing :meth:`_forward`."""
        d = self.d
        k = P.shape[0]
        G = np.empty((k, self.n_params))
        if self.name != "mlp":
            G[:, :d] = _affine_grad_w(Xb, dz)  # z = X w + b  ->  dL/dw = X^T dz
            G[:, d] = dz.sum(axis=1)  # dL/db = sum dz
            return G
        h = self.hidden
        A, dA_dZ1 = cache
        w2 = P[:, d * h + h : d * h + 2 * h]
        G[:, -1] = dz.sum(axis=1)  # z = A w2 + b2  ->  dL/db2 = sum dz
        G[:, d * h + h : d * h + 2 * h] = (A * dz[:, :, None]).sum(axis=1)  # dL/dw2 = A^T dz
        dZ1 = dz[:, :, None] * w2[:, None, :] * dA_dZ1  # dL/dA = dz w2^T, times act'(Z1)
        G[:, d * h : d * h + h] = dZ1.sum(axis=1)  # dL/db1
        G[:, : d * h] = _affine_grad_w(Xb, dZ1).reshape(k, d * h)  # dL/dW1 = X^T dZ1
        return G

    def _loss(self, P: Array, z: Array, yb: Array) -> Array:
        if self.name == "linear":
            r = z - yb
            data = (r * r).mean(axis=1)
        else:
            data = np.logaddexp(0.0, (1.0 - 2.0 * yb) * z).mean(axis=1)
        if self.l2:
            w = np.where(self.penalized, P, 0.0)
            data = data + 0.5 * self.l2 * (w * w).sum(axis=1)
        return data


def _affine(Xb: Array, W: Array, b: Array) -> Array:
    """``X W + b`` row by row, one feature at a time: (k, m) for W (k, d), (k, m, h) for (k, d, h).

    Written as d elementwise products rather than a matrix product so that every row's numbers
    are summed in the same order whatever the batch, the number of rows or the memory layout.
    """
    if W.ndim == 2:
        out = np.broadcast_to(b[:, None], (W.shape[0], Xb.shape[1])).copy()
        for j in range(W.shape[1]):
            out += Xb[:, :, j] * W[:, j, None]
        return out
    out = np.broadcast_to(b[:, None, :], (W.shape[0], Xb.shape[1], W.shape[2])).copy()
    for j in range(W.shape[1]):
        out += Xb[:, :, j, None] * W[:, None, j, :]
    return out


def _affine_grad_w(Xb: Array, dZ: Array) -> Array:
    """``X^T dZ`` per row: (k, d) for dZ (k, m), (k, d, h) for dZ (k, m, h)."""
    d = Xb.shape[2]
    if dZ.ndim == 2:
        return np.stack([(dZ * Xb[:, :, j]).sum(axis=1) for j in range(d)], axis=1)
    return np.stack([(dZ * Xb[:, :, j, None]).sum(axis=1) for j in range(d)], axis=1)


def _sigmoid(z: Array) -> Array:
    """``1 / (1 + exp(-z))`` without overflow: ``exp(-log(1 + exp(-z)))``."""
    return np.exp(-np.logaddexp(0.0, -z))


def _dbce(z: Array, y: Array) -> Array:
    """d/dz of ``log(1 + exp(-s z))``, ``s = 2y - 1``: ``sigmoid(z) - y``, as ``-s sigmoid(-s z)``.

    For y = 1 that is ``-sigmoid(-z)`` rather than ``sigmoid(z) - 1``, which would round to 0 for
    large z and lose all digits of a small gradient.
    """
    s = 2.0 * y - 1.0
    return -s * _sigmoid(-s * z)


# ---------------------------------------------------------------------------------------------
# Factories.


def _check_d(d: int) -> int:
    return integer("the number of features d", d, lo=1)


def linear(d: int, *, l2: float = 0.0) -> Model:
    """Linear regression ``y ~ X w + b`` with the mean squared error.

    Args:
        d: Number of features.
        l2: Penalty weight on ``w`` (``(l2/2)|w|^2``), >= 0.

    Raises:
        ConfigError: ``d`` not an int >= 1, or a bad ``l2``.
    """
    return Model("linear", _check_d(d), l2=non_negative("l2", l2))


def logistic(d: int, *, l2: float = 0.0) -> Model:
    """Logistic regression ``P(y = 1) = sigmoid(X w + b)`` with the binary cross-entropy.

    Args:
        d: Number of features.
        l2: Penalty weight on ``w``, >= 0.

    Raises:
        ConfigError: ``d`` not an int >= 1, or a bad ``l2``.
    """
    return Model("logistic", _check_d(d), l2=non_negative("l2", l2))


def mlp(d: int, *, hidden: int = 8, activation: str = "tanh", l2: float = 0.0) -> Model:
    """A two-class network with one hidden layer: ``P(y=1) = sigmoid(act(X W1 + b1) w2 + b2)``.

    Args:
        d: Number of features.
        hidden: Width of the hidden layer, 1 to :data:`MAX_HIDDEN`.
        activation: ``"tanh"`` or ``"relu"``.
        l2: Penalty weight on ``W1`` and ``w2``, >= 0.

    Raises:
        ConfigError: A bad ``d``, ``hidden``, ``activation`` or ``l2``.
    """
    hidden = integer("hidden", hidden, lo=1, hi=MAX_HIDDEN)
    activation = choice("activation", activation, ACTIVATIONS)
    return Model(
        "mlp", _check_d(d), hidden=hidden, activation=activation, l2=non_negative("l2", l2)
    )


#: The model factories by name (the CLI's ``descentlab fit MODEL``).
MODELS: dict[str, Callable[..., Model]] = {"linear": linear, "logistic": logistic, "mlp": mlp}
