"""Objectives written by hand in NumPy, the independent side of the optimizer and loop tests.

Each has the duck-typed interface ``minimize`` needs: ``dim``, ``value``, ``grad``,
``value_and_grad``, batched on the leading axis.
"""

from __future__ import annotations

import numpy as np


class Quartic:
    """The notebook's f = 3x^4 + 4x^3 - 12x^2 + 7, f' = 12x^3 + 12x^2 - 24x."""

    dim = 1

    def value(self, X):
        x = X[:, 0]
        return 3.0 * x**4 + 4.0 * x**3 - 12.0 * x**2 + 7.0

    def grad(self, X):
        x = X[:, 0]
        return (12.0 * x * x * x + 12.0 * x * x - 24.0 * x)[:, None]

    def value_and_grad(self, X):
        return self.value(X), self.grad(X)


class Rosenbrock:
    dim = 2

    def value(self, X):
        x, y = X[:, 0], X[:, 1]
        return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2

    def grad(self, X):
        x, y = X[:, 0], X[:, 1]
        r = y - x * x
        return np.stack((-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r), axis=1)

    def value_and_grad(self, X):
        return self.value(X), self.grad(X)

    def hessian(self, X):
        x, y = X[:, 0], X[:, 1]
        H = np.empty((X.shape[0], 2, 2))
        H[:, 0, 0] = 2.0 - 400.0 * (y - x * x) + 800.0 * x * x
        H[:, 0, 1] = H[:, 1, 0] = -400.0 * x
        H[:, 1, 1] = 200.0
        return H


class Himmelblau:
    """f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2, four minima with f = 0."""

    dim = 2

    def value(self, X):
        x, y = X[:, 0], X[:, 1]
        return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2

    def grad(self, X):
        x, y = X[:, 0], X[:, 1]
        a = x * x + y - 11.0
        b = x + y * y - 7.0
        return np.stack((4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b), axis=1)

    def value_and_grad(self, X):
        return self.value(X), self.grad(X)


class Negated:
    """-f for a hand objective f (values and gradients negated exactly): maximize's test bed."""

    def __init__(self, inner):
        self.inner = inner
        self.dim = inner.dim

    def value(self, X):
        return -self.inner.value(X)

    def grad(self, X):
        return -self.inner.grad(X)

    def value_and_grad(self, X):
        return self.value(X), self.grad(X)


class Sphere:
    """f = |x|^2 in any dimension, with its Hessian 2 I."""

    def __init__(self, dim=2):
        self.dim = dim

    def value(self, X):
        return (X * X).sum(axis=1)

    def grad(self, X):
        return 2.0 * X

    def value_and_grad(self, X):
        return self.value(X), self.grad(X)

    def hessian(self, X):
        return np.broadcast_to(2.0 * np.eye(X.shape[1]), (X.shape[0], X.shape[1], X.shape[1]))
