"""The Objective: a function to minimize, batched over points on a leading axis.

``value`` maps points ``X`` of shape ``(k, n)`` to ``(k,)`` values and ``grad`` to ``(k, n)``
gradients; a single point of shape ``(n,)`` gives a 0-d value and an ``(n,)`` gradient. An
Objective comes from a formula (exact gradient by descentlab's reverse-mode autodiff: the formula
is lowered once to the engine's program and run by its compiled interpreter), from a catalogue
problem (the same path: the catalogue stores formulas), or from any Python function (gradient by
finite differences, forward by default as in the original notebook, unless a gradient function
is given).

Examples:
    >>> obj = Objective.from_formula("x^2 + 3y")
    >>> obj.variables, obj.dim
    (('x', 'y'), 2)
    >>> f, G = obj.value_and_grad([[1.0, 2.0], [0.0, 0.0]])
    >>> f.tolist(), G.tolist()
    ([7.0, 0.0], [[2.0, 3.0], [0.0, 3.0]])
    >>> obj.nfev, obj.ngev
    (2, 2)
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import checks
from .derivatives import finite
from .engine.program import Program, lower
from .errors import ConfigError, EvaluationError
from .expr import parse_with_variables, to_latex
from .expr.tree import Node, format_number
from .problems import PROBLEMS, Domain, Problem, check_domain, get

__all__ = ["Objective", "as_objective", "placeholder_latex"]

Array = NDArray[np.float64]
ValueFn = Callable[[Array], Array]
ValueGradFn = Callable[[Array], tuple[Array, Array]]

_BARE_NAME = re.compile(r"^\s*[A-Za-z][A-Za-z0-9_-]*\s*$")


class Objective:
    """A function of ``dim`` variables with batched values and gradients.

    Build one with :meth:`from_formula`, :meth:`from_problem`, :meth:`from_function` or
    :func:`as_objective` rather than calling the constructor.

    Attributes:
        dim: Number of variables n.
        variables: Their names, in coordinate order.
        name: A short name (the catalogue name, the formula, or the function's name).
        formula: The formula text, or None for a Python function.
        latex: LaTeX for matplotlib's mathtext (titles, legends).
        tree: The parsed formula, or None for a Python function.
        domain: The usual box, one ``(lo, hi)`` per variable, or None.
        problem: The catalogue entry, or None.
        grad_method: How gradients are computed: ``"exact"`` (autodiff), ``"user"`` (a given
            gradient function) or a finite-difference method (``"forward"``, ``"central"``, ...).
        program: The formula lowered to the engine's flat program (values, gradients and
            Hessians all run it), or None for a Python function.
        nfev: Points at which a value was asked for (``value`` and ``value_and_grad``).
        ngev: Points at which a gradient was asked for (``grad`` and ``value_and_grad``). For a
            finite-difference gradient, the underlying function runs about ``n + 1`` times per
            point (forward) or ``2n`` (central); these counters count points, not those calls.
    """

    def __init__(
        self,
        value: ValueFn,
        value_and_grad: ValueGradFn,
        variables: Sequence[str],
        *,
        name: str,
        latex: str,
        grad_method: str,
        formula: str | None = None,
        tree: Node | None = None,
        domain: Domain | None = None,
        problem: Problem | None = None,
        program: Program | None = None,
    ) -> None:
        self.variables = tuple(variables)
        self.dim = len(self.variables)
        self.name = name
        self.formula = formula
        self.latex = latex
        self.tree = tree
        self.domain = domain
        self.problem = problem
        self.grad_method = grad_method
        self.program = program
        self._value = value
        self._value_and_grad = value_and_grad
        self.nfev = 0
        self.ngev = 0

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_formula(
        cls,
        text: str,
        *,
        variables: Sequence[str] | None = None,
        name: str | None = None,
        domain: Any = None,
    ) -> Objective:
        """An Objective from a formula, with its exact gradient (reverse-mode autodiff).

        Args:
            text: The formula in descentlab's syntax (``"(1 - x)^2 + 100(y - x^2)^2"``).
            variables: The coordinate order; default ``x, y, z`` first, then alphabetically. It
                may add names the formula does not use.
            name: A short name; default the formula itself.
            domain: The usual box (``[(lo, hi), ...]``, or one ``(lo, hi)`` for every variable).

        Returns:
            The Objective.

        Raises:
            ParseError: The text is not a formula, or ``variables`` misses or repeats a name.
            ConfigError: ``text`` is not a string, the formula has no variables, or the domain
                is malformed.

        Examples:
            >>> Objective.from_formula("a + b^2", variables=["b", "a"]).grad([1.0, 5.0]).tolist()
            [2.0, 1.0]
        """
        if not isinstance(text, str):
            raise ConfigError(f"a formula must be a string (got {text!r})")
        tree, names = parse_with_variables(text, variables)
        if not names:
            raise ConfigError(f"the formula {text.strip()!r} has no variables to minimize over")
        box = None if domain is None else check_domain(domain, len(names))
        program = lower(tree, names)
        return cls(
            *_compiled(program),
            names,
            name=name if name is not None else text.strip(),
            latex=to_latex(tree),
            grad_method="exact",
            formula=text.strip(),
            tree=tree,
            domain=box,
            program=program,
        )

    @classmethod
    def from_problem(cls, problem: Problem | str, *, dim: int | None = None) -> Objective:
        """An Objective from a catalogue problem (or its name), exact gradient included.

        Args:
            problem: A :class:`~descentlab.problems.Problem` or a catalogue name.
            dim: For the n-dimensional functions (``sphere``, ``rosenbrock``,
                ``styblinski-tang``, ``rastrigin``), the number of variables ``x1 .. xn``.
                ``None`` or the problem's own dim keeps the catalogue form.

        Returns:
            The Objective, with ``problem`` and ``domain`` set.

        Raises:
            ConfigError: Unknown name, or ``dim`` that the problem does not offer.

        Examples:
            >>> Objective.from_problem("rosenbrock", dim=4).variables
            ('x1', 'x2', 'x3', 'x4')
        """
        if isinstance(problem, str):
            problem = get(problem)
        if not isinstance(problem, Problem):
            raise ConfigError(f"expected a Problem or a catalogue name (got {problem!r})")
        if dim is not None and dim != problem.dim:
            problem = problem.with_dim(dim)
        tree = problem.tree
        program = lower(tree, problem.variables)
        return cls(
            *_compiled(program),
            problem.variables,
            name=problem.name,
            latex=problem.latex,
            grad_method="exact",
            formula=problem.formula,
            tree=tree,
            domain=problem.domain,
            problem=problem,
            program=program,
        )

    @classmethod
    def from_function(
        cls,
        f: Callable[..., Any],
        dim: int,
        *,
        grad: Callable[..., Any] | None = None,
        vectorized: bool = False,
        fd_method: str = "forward",
        h: float | None = None,
        name: str | None = None,
        latex: str | None = None,
        domain: Any = None,
    ) -> Objective:
        """An Objective from a Python function; its gradient by finite differences unless given.

        Args:
            f: The function. With ``vectorized=False`` it takes one point, an ``(n,)`` array,
                and returns a number; with ``vectorized=True`` it takes ``(k, n)`` and returns
                ``(k,)``.
            dim: Number of variables n.
            grad: Optional gradient, called like ``f`` and returning ``(n,)`` (or ``(k, n)``).
            vectorized: Whether ``f`` (and ``grad``) work on a batch of points.
            fd_method: Finite-difference method when ``grad`` is None: ``"forward"`` (the
                definition, the original notebook's method), ``"backward"``, ``"central"``,
                ``"complex"`` (f must accept complex input) or ``"richardson"``.
            h: Finite-difference step; None picks scipy's rule for the method.
            name: A short name; default the function's ``__name__``.
            latex: LaTeX for plot titles; default ``f(x_1, ..., x_n)``.
            domain: The usual box, if any.

        Returns:
            The Objective.

        Raises:
            ConfigError: ``f`` or ``grad`` not callable, ``dim`` not a positive integer, unknown
                ``fd_method``, or ``h`` not a positive finite number.

        Examples:
            >>> import math
            >>> obj = Objective.from_function(lambda p: math.sin(p[0]), 1, fd_method="central")
            >>> round(float(obj.grad([0.0])[0]), 9)
            1.0
        """
        if not callable(f):
            raise ConfigError(f"f must be callable (got {f!r})")
        if grad is not None and not callable(grad):
            raise ConfigError(f"grad must be callable or None (got {grad!r})")
        dim = checks.integer("dim", dim, lo=1)
        if fd_method not in finite.METHODS:
            raise ConfigError(
                f"unknown finite-difference method {fd_method!r} "
                f"(one of {', '.join(finite.METHODS)})"
            )
        if h is not None:
            h = checks.positive("h", h)
        box = None if domain is None else check_domain(domain, dim)
        label = name if name is not None else getattr(f, "__name__", "f")
        if label == "<lambda>":
            label = "f"
        names = ("x",) if dim == 1 else tuple(f"x{i}" for i in range(1, dim + 1))
        tex = latex if latex is not None else placeholder_latex(names)

        batched = _batched_value(f, vectorized, label)
        if grad is not None:
            batched_grad = _batched_grad(grad, dim, vectorized, label)
            method = "user"

            def value_and_grad(X: Array) -> tuple[Array, Array]:
                return batched(X), batched_grad(X)

        else:
            method = fd_method

            def value_and_grad(X: Array) -> tuple[Array, Array]:
                return batched(X), finite.gradient(batched, X, method=fd_method, h=h)

        return cls(
            _single_value(batched, dim),
            _single_point(value_and_grad, dim),
            names,
            name=label,
            latex=tex,
            grad_method=method,
            domain=box,
        )

    # -- evaluation -----------------------------------------------------------------------------

    def _points(self, X: ArrayLike) -> tuple[Array, int]:
        """``X`` as a float64 array of shape (n,) or (k, n), with k (1 for a single point)."""
        if not (isinstance(X, np.ndarray) and X.dtype == np.float64):
            try:
                X = np.asarray(X, dtype=np.float64)
            except (TypeError, ValueError):
                raise EvaluationError(f"points must be real numbers (got {X!r:.80})") from None
        if X.ndim == 2 and X.shape[1] == self.dim:
            return X, X.shape[0]
        if X.ndim == 1 and X.shape[0] == self.dim:
            return X, 1
        raise EvaluationError(
            f"points for {self.name!r} must have shape (k, {self.dim}) or ({self.dim},) "
            f"(variables {', '.join(self.variables)}); got shape {X.shape}"
        )

    def value(self, X: ArrayLike) -> Array:
        """Values at the rows of ``X``: (k, n) -> (k,), or (n,) -> ().

        Raises:
            EvaluationError: ``X`` is not numeric or has the wrong shape.
        """
        A, k = self._points(X)
        self.nfev += k
        return self._value(A)

    def grad(self, X: ArrayLike) -> Array:
        """Gradients at the rows of ``X``: (k, n) -> (k, n), or (n,) -> (n,).

        Raises:
            EvaluationError: ``X`` is not numeric or has the wrong shape.
        """
        A, k = self._points(X)
        self.ngev += k
        return self._value_and_grad(A)[1]

    def value_and_grad(self, X: ArrayLike) -> tuple[Array, Array]:
        """Values and gradients together (the optimizer loop's hot path).

        Args:
            X: Points, (k, n) or (n,).

        Returns:
            ``(f, G)`` of shapes (k,) and (k, n), or () and (n,) for one point.

        Raises:
            EvaluationError: ``X`` is not numeric or has the wrong shape.
        """
        A, k = self._points(X)
        self.nfev += k
        self.ngev += k
        return self._value_and_grad(A)

    def hessian(self, X: ArrayLike) -> Array:
        """Hessians (second derivatives) at the rows of ``X``: (k, n) -> (k, n, n), or (n, n).

        For a formula or a catalogue problem they are exact: the engine differentiates the
        reverse sweep once more along each coordinate (forward over reverse), symmetrized as
        ``(H + H^T)/2``. For a Python function they are central differences of the gradient
        (:func:`descentlab.derivatives.finite.hessian`: step ``eps^(1/3) max(1, |x_j|)``, about
        6e-6), accurate to about 1e-10 with an exact (user) gradient and much less with a
        finite-difference one. Hessians do not count in ``nfev`` or ``ngev``.

        Raises:
            EvaluationError: ``X`` is not numeric or has the wrong shape.

        Examples:
            >>> Objective.from_formula("x^2*y").hessian([1.0, 3.0]).tolist()
            [[6.0, 2.0], [2.0, 0.0]]
        """
        A, _ = self._points(X)
        points = np.ascontiguousarray(A.reshape(-1, self.dim))
        if self.program is not None:
            H = self.program.hessians(points)
        else:
            H = finite.hessian(lambda P: self._value_and_grad(P)[1], points)
        return H[0] if A.ndim == 1 else H

    def reset_counts(self) -> None:
        """Set ``nfev`` and ``ngev`` back to 0."""
        self.nfev = 0
        self.ngev = 0

    def check_finite_at(self, X: ArrayLike, *, grad: bool = True) -> None:
        """Raise if the function (or its gradient) is not a finite number at some row of ``X``.

        The CLI calls this for ``derivative --at`` and for starting points, so that a start
        where the formula is undefined is a clear error, not a run that "diverges" at once.

        Args:
            X: Points, (k, n) or (n,).
            grad: Also require a finite gradient.

        Raises:
            EvaluationError: ``f is not defined at (-1): value is nan`` (or the gradient), naming
                the first bad point; also for points of the wrong shape.

        Examples:
            >>> Objective.from_formula("log(x)").check_finite_at([-1.0])
            Traceback (most recent call last):
            ...
            descentlab.errors.EvaluationError: f is not defined at (-1): value is nan
        """
        A, _ = self._points(X)
        points = A.reshape(-1, self.dim)
        f, G = self._value_and_grad(points)
        f = np.asarray(f).reshape(-1)
        G = np.asarray(G).reshape(points.shape)
        bad = ~np.isfinite(f)
        if grad:
            bad |= ~np.all(np.isfinite(G), axis=1)
        if not bad.any():  # one vectorized test: a million starts cost one evaluation
            return
        i = int(np.argmax(bad))
        where = ", ".join(format_number(float(v)) for v in points[i])
        if not np.isfinite(f[i]):
            raise EvaluationError(f"f is not defined at ({where}): value is {f[i]}")
        shown = ", ".join(str(g) for g in G[i])
        raise EvaluationError(
            f"the gradient of f is not defined at ({where}): gradient is ({shown})"
        )

    def __repr__(self) -> str:
        return (
            f"Objective({self.name!r}, dim={self.dim}, variables={self.variables}, "
            f"grad={self.grad_method!r})"
        )


def as_objective(
    target: Objective | str | Callable[..., Any],
    *,
    variables: Sequence[str] | None = None,
    dim: int | None = None,
    domain: Any = None,
) -> Objective:
    """Turn what a user gives into an Objective.

    Args:
        target: An Objective (returned as is), a catalogue name (``"rosenbrock"``), a formula
            (``"x^2 + y^2"``), or a Python function of one point (then ``dim`` is required).
        variables: The variable order of a formula.
        dim: The number of variables of a function, or of an n-dimensional catalogue problem.
        domain: The usual box of a formula or a function (catalogue problems bring their own).

    Returns:
        The Objective.

    Raises:
        ConfigError: A bare word that is close to a catalogue name but not one (``rosenbrok``),
            a function without ``dim``, a ``dim`` that does not match, or an unsupported type.
        ParseError: A formula that does not parse.

    Examples:
        >>> as_objective("six-hump-camel").problem.title
        'Six-hump camel'
        >>> as_objective("x^2 + y^2").dim
        2
    """
    if isinstance(target, Objective):
        if dim is not None and dim != target.dim:
            raise ConfigError(f"{target.name!r} has {_count(target.dim)}, not dim={dim!r}")
        return target
    if isinstance(target, Problem):
        return Objective.from_problem(target, dim=dim)
    if isinstance(target, str):
        key = target.strip().lower().replace("_", "-").replace(" ", "-")
        if key in PROBLEMS:
            return Objective.from_problem(key, dim=dim)
        if _BARE_NAME.match(target):
            close = difflib.get_close_matches(key, list(PROBLEMS), n=3, cutoff=0.75)
            if close:
                get(target)  # raises the catalogue's "unknown function ... did you mean" error
            _refuse_unknown_word(target.strip(), variables)
        obj = Objective.from_formula(target, variables=variables, domain=domain)
        if dim is not None and dim != obj.dim:
            raise ConfigError(f"the formula {obj.name!r} has {_count(obj.dim)}, not dim={dim!r}")
        return obj
    if callable(target):
        if dim is None:
            raise ConfigError("a Python function needs dim= (its number of variables)")
        return Objective.from_function(target, dim, domain=domain)
    raise ConfigError(
        f"expected an Objective, a catalogue name, a formula or a function (got {target!r:.80})"
    )


_ONE_VARIABLE = re.compile(r"[A-Za-z][0-9]*")


def _refuse_unknown_word(word: str, variables: Sequence[str] | None) -> None:
    """A bare word that is neither a catalogue name nor a declared variable is a typo, not f(w)=w.

    ``x``, ``x1`` and declared names (``variables=["theta"]``, ``--vars theta``) stay formulas.
    """
    if not _BARE_NAME.match(word) or "-" in word or _ONE_VARIABLE.fullmatch(word):
        return
    if variables is not None and not isinstance(variables, str) and word in variables:
        return
    parse_with_variables(word, variables)  # "sinx": did you mean sin(x)?; "sin": needs (...)
    from .expr.parser import FUNCTION_NAMES

    names = [*PROBLEMS, *FUNCTION_NAMES]
    close = difflib.get_close_matches(word.lower().replace("_", "-"), names, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise ConfigError(
        f"unknown function {word!r}{hint} (descentlab functions lists the catalogue; "
        f"a variable of several letters must be declared: --vars {word})"
    )


# -- wrapping a user's Python function -----------------------------------------------------------


def placeholder_latex(variables: Sequence[str]) -> str:
    """The LaTeX of a function known only by its values: ``f(x)``, ``f(x_{1}, x_{2})``.

    :meth:`Objective.from_function` uses it when given no ``latex``; a title that finds it knows
    there is no formula to print.
    """
    return f"f({', '.join(_latex_name(v) for v in variables)})"


def _latex_name(name: str) -> str:
    return f"{name[0]}_{{{name[1:]}}}" if len(name) > 1 else name


def _call_point(f: Callable[..., Any], x: NDArray[Any]) -> Any:
    """``f(x)`` for one point; arithmetic trouble (``math.log(-1)``, 1/0) becomes nan."""
    try:
        return f(x)
    except (ArithmeticError, ValueError) as exc:
        if isinstance(exc, ArithmeticError) or "math domain error" in str(exc):
            return math.nan
        raise


def _what(value: Any) -> str:
    """How an error names what a user's function returned: its type, shape or dtype."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, np.generic):
        return f"a NumPy {value.dtype} scalar ({value!r:.40})"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1024:
        return f"an integer of {len(str(value)):,} digits, too large for a float"
    return f"{type(value).__name__} {value!r:.40}"


def _checked(value: Any, shape: tuple[int, ...], complex_ok: bool, who: str) -> Array:
    """What a user's function returned, as a float (or complex) array of ``shape``, or a
    ConfigError that names the function and what it returned.

    Refused: None, strings, booleans, NumPy integer or boolean results (an integer-valued
    function has no useful derivative: its finite differences are 0 or jumps), numbers too
    large for a float (``10**400``), and any other shape (no broadcasting: a (k, 1) gradient or
    a (1,) value would be stretched silently into wrong results).
    """
    bad = (
        value is None
        or isinstance(value, str | bytes | bool | np.bool_)
        or (isinstance(value, np.ndarray | np.generic) and value.dtype.kind not in "fc")
    )
    A: Array | None = None
    if not bad:
        try:
            A = np.asarray(value, dtype=np.complex128)
        except (TypeError, ValueError, OverflowError):
            bad = True
    wanted = "one real number" if shape == () else f"real numbers of shape {shape}"
    if bad or A is None:
        raise ConfigError(f"{who} must return {wanted}; it returned {_what(value)}")
    if A.shape != shape:
        raise ConfigError(f"{who} must return {wanted}; it returned {_what(value)}")
    if not np.iscomplexobj(value):
        return A.real.copy()
    if complex_ok:
        return A
    if np.any(A.imag != 0):  # complex values for real input: f is not a real function
        raise ConfigError(f"{who} must return {wanted}; it returned complex values for real input")
    return A.real.copy()


def _batched_value(f: Callable[..., Any], vectorized: bool, label: str) -> ValueFn:
    if vectorized:

        def batched(X: Array) -> Array:
            with np.errstate(all="ignore"):
                out = f(X)
            who = f"{label} (vectorized, for points of shape {X.shape})"
            return _checked(out, X.shape[:1], X.dtype.kind == "c", who)

        return batched

    def row_by_row(X: Array) -> Array:
        complex_in = X.dtype.kind == "c"
        out = np.empty(X.shape[0], dtype=np.complex128 if complex_in else np.float64)
        real = not complex_in
        with np.errstate(all="ignore"):
            for i, x in enumerate(X):
                value = _call_point(f, x)
                out[i] = _checked(value, (), complex_in, f"{label} (for one point)")
                real = real or not np.iscomplexobj(value)
        # a real value for complex input dropped the imaginary part: say so (the complex step
        # then refuses f) rather than hand back a complex array with a zero imaginary part
        # complex only under the complex step, whose caller asked for complex values
        return out.real if real else cast(Array, out)

    return row_by_row


def _batched_grad(grad: Callable[..., Any], dim: int, vectorized: bool, label: str) -> ValueFn:
    name = getattr(grad, "__name__", "grad")
    who = f"the gradient of {label}" if name == "<lambda>" else f"{name} (the gradient of {label})"
    if vectorized:

        def batched(X: Array) -> Array:
            with np.errstate(all="ignore"):
                return _checked(grad(X), X.shape, False, f"{who}, vectorized,")

        return batched

    def row_by_row(X: Array) -> Array:
        G = np.empty(X.shape, dtype=np.float64)
        with np.errstate(all="ignore"):
            for i, x in enumerate(X):
                g = _call_point(grad, x)
                G[i] = (
                    math.nan if g is math.nan else _checked(g, (dim,), False, who + " at a point")
                )
        return G

    return row_by_row


def _compiled(program: Program) -> tuple[ValueFn, ValueGradFn]:
    """``value`` and ``value_and_grad`` of a formula: the compiled interpreter on its program.

    The value is the forward half of the gradient's run, so ``value(X)`` equals
    ``value_and_grad(X)[0]`` bit for bit. Each call makes its own arrays (thread-safe).
    """
    n = program.n_vars

    def value(X: Array) -> Array:
        if X.ndim == 1:
            return program.values(X.reshape(1, n)).reshape(())
        return program.values(np.ascontiguousarray(X))

    def value_and_grad(X: Array) -> tuple[Array, Array]:
        if X.ndim == 1:
            f, G = program.values_and_grads(X.reshape(1, n))
            return f.reshape(()), G[0]
        return program.values_and_grads(np.ascontiguousarray(X))

    return value, value_and_grad


def _single_value(value: ValueFn, dim: int) -> ValueFn:
    """Let a (k, n) -> (k,) function also take one point (n,), returning ()."""

    def either(X: Array) -> Array:
        return value(X.reshape(1, dim)).reshape(()) if X.ndim == 1 else value(X)

    return either


def _single_point(value_and_grad: ValueGradFn, dim: int) -> ValueGradFn:
    """Let a (k, n) function also take one point (n,), returning () and (n,)."""

    def either(X: Array) -> tuple[Array, Array]:
        if X.ndim == 1:
            f, G = value_and_grad(X.reshape(1, dim))
            return f.reshape(()), G[0]
        return value_and_grad(X)

    return either


def _count(dim: int) -> str:
    return "1 variable" if dim == 1 else f"{dim} variables"
