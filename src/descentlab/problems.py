"""The catalogue of test functions: formulas with their domains, minima, starts and sources.

Each :class:`Problem` stores its formula as *text* in the syntax people type (``^`` for powers,
implicit products), parsed by descentlab's own parser: one source of truth, from which the LaTeX
and the exact gradient are derived. Every listed minimum was refined with Newton's method on
sympy's exact derivatives at 50 significant digits (``tools/refine_minima.py``) and is stored as the
nearest float64, not as the rounded figure of a published table; ``notes`` says where a published
table is rounded or wrong. The tests check every minimum against the formula again.

Examples:
    >>> p = get("rosenbrock")
    >>> p.formula, p.dim, p.minima[0].x
    ('(1 - x)^2 + 100(y - x^2)^2', 2, (1.0, 1.0))
    >>> get("rosenbrock").with_dim(3).formula
    '100(x2 - x1^2)^2 + (1 - x1)^2 + 100(x3 - x2^2)^2 + (1 - x2)^2'
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from .checks import integer, is_real
from .errors import ConfigError

if TYPE_CHECKING:
    from .expr.tree import Node

__all__ = [
    "PROBLEMS",
    "Minimum",
    "Problem",
    "check_domain",
    "get",
    "list_problems",
    "to_json",
]

Kind = Literal["global", "local"]

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
"""CLI identifiers: lower-case words joined by single hyphens (``six-hump-camel``)."""

MAX_ND_DIM = 1000
"""Largest n that :meth:`Problem.with_dim` builds (the formula text grows linearly with n)."""

# Sources, cited once.
_SFU = (
    "Surjanovic, S. & Bingham, D. (2013). Virtual Library of Simulation Experiments: Test "
    "Functions and Datasets. https://www.sfu.ca/~ssurjano/optimization.html"
)
_JAMIL_YANG = (
    "Jamil, M. & Yang, X.-S. (2013). A literature survey of benchmark functions for global "
    "optimization problems. Int. J. Math. Modelling and Numerical Optimisation 4(2), 150-194"
)
_WIKI = "Wikipedia, 'Test functions for optimization'"
_MGH = (
    "More, J. J., Garbow, B. S. & Hillstrom, K. E. (1981). Testing unconstrained optimization "
    "software. ACM Trans. Math. Softw. 7(1), 17-41"
)
_DIXON_SZEGO = (
    "Dixon, L. C. W. & Szego, G. P. (1978). The global optimization problem: an introduction. "
    "Towards Global Optimisation 2, 1-15"
)
_NOTEBOOK = "The original notebook 'Implementing Gradient Descent by hand' (descentlab's origin)"


Domain = tuple[tuple[float, float], ...]


def check_domain(domain: Any, dim: int | None = None) -> Domain:
    """Validate a box: one finite ``(lo, hi)`` with ``lo < hi`` per variable.

    Args:
        domain: A sequence of ``(lo, hi)`` pairs, or one pair ``(lo, hi)`` for every variable
            (then ``dim`` must be given).
        dim: The number of variables the box must have, if known.

    Returns:
        The box as a tuple of float pairs.

    Raises:
        ConfigError: Wrong shape or length, non-numeric or non-finite bounds, or ``lo >= hi``.

    Examples:
        >>> check_domain((-2, 2), dim=2)
        ((-2.0, 2.0), (-2.0, 2.0))
    """
    if isinstance(domain, str | bytes):
        raise ConfigError(f"a domain is a list of (lo, hi) pairs (got {domain!r})")
    try:
        items = list(domain)
    except TypeError:
        raise ConfigError(f"a domain is a list of (lo, hi) pairs (got {domain!r})") from None
    if len(items) == 2 and all(is_real(v) for v in items):
        items = [tuple(items)] * (dim if dim is not None else 1)  # one (lo, hi) for every variable
    if not items:
        raise ConfigError("the domain is empty")
    out = []
    for pair in items:
        if isinstance(pair, str | bytes) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise ConfigError(f"domain interval {pair!r} is not a pair (lo, hi)")
        if not all(is_real(v) for v in pair):
            raise ConfigError(f"domain interval {pair!r} is not a pair of numbers (lo, hi)")
        lo, hi = float(pair[0]), float(pair[1])
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ConfigError(f"domain interval ({lo!r}, {hi!r}) is not finite")
        if not lo < hi:
            raise ConfigError(f"domain interval ({lo!r}, {hi!r}) needs lo < hi")
        out.append((lo, hi))
    if dim is not None and len(out) != dim:
        raise ConfigError(f"the domain has {len(out)} intervals for {dim} variables ({domain!r})")
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Minimum:
    """A local or global minimum of a catalogue function.

    Attributes:
        x: The point, one coordinate per variable.
        f: The function's value there.
        kind: ``"global"`` (the least value in the domain) or ``"local"``.
    """

    x: tuple[float, ...]
    f: float
    kind: Kind = "global"


@dataclass(frozen=True)
class Problem:
    """A test function of the catalogue.

    Attributes:
        name: The identifier the CLI accepts (``rosenbrock``, ``six-hump-camel``).
        title: A human title (``Six-hump camel``).
        formula: The formula as text in descentlab's syntax.
        domain: The usual box, one ``(lo, hi)`` per variable.
        minima: Every known minimum inside the domain, global ones first (see ``all_minima``).
        starts: Standard starting points (from the literature where it has them; see ``notes``).
        smooth: False when the function has a kink (Ackley at its minimum).
        source: Where the function comes from.
        notes: Remarks: published values found rounded or wrong, what is not listed.
        variables: The variables in order; ``("x",)`` or ``("x", "y")`` unless given.
        all_minima: True when ``minima`` holds every local minimum inside the domain; False for
            functions with very many local minima (Rastrigin), which list the global ones only.
    """

    name: str
    title: str
    formula: str
    domain: tuple[tuple[float, float], ...]
    minima: tuple[Minimum, ...]
    starts: tuple[tuple[float, ...], ...]
    smooth: bool
    source: str
    notes: str = ""
    variables: tuple[str, ...] = ()
    all_minima: bool = True
    _builder: Callable[[int], Problem] | None = field(default=None, repr=False, compare=False)
    _min_dim: int = field(default=1, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.variables:
            if self.dim > 3:
                raise ConfigError(f"problem {self.name!r}: give variables for dim {self.dim}")
            object.__setattr__(self, "variables", ("x", "y", "z")[: self.dim])
        if len(self.variables) != self.dim:
            raise ConfigError(f"problem {self.name!r}: {self.variables} for dim {self.dim}")
        for lo, hi in self.domain:
            if not lo < hi:
                raise ConfigError(f"problem {self.name!r}: bad domain interval ({lo}, {hi})")
        for point in [m.x for m in self.minima] + list(self.starts):
            if len(point) != self.dim:
                raise ConfigError(f"problem {self.name!r}: point {point} is not {self.dim}-D")

    @property
    def dim(self) -> int:
        """Number of variables."""
        return len(self.domain)

    @property
    def nd(self) -> bool:
        """True when :meth:`with_dim` builds the function for any number of variables."""
        return self._builder is not None

    @property
    def global_minima(self) -> tuple[Minimum, ...]:
        """The minima whose kind is ``"global"``."""
        return tuple(m for m in self.minima if m.kind == "global")

    @cached_property
    def tree(self) -> Node:
        """The parsed formula."""
        from .expr import parse
        from .expr.parser import DEFAULT_MAX_LENGTH

        # the catalogue's own text (n-dimensional forms grow past a typed formula's length limit)
        return parse(self.formula, max_length=max(DEFAULT_MAX_LENGTH, len(self.formula)))

    @cached_property
    def latex(self) -> str:
        """The formula in LaTeX (for matplotlib's mathtext), derived from the parsed tree."""
        from .expr import to_latex

        return to_latex(self.tree)

    def with_dim(self, n: int) -> Problem:
        """The same function in ``n`` variables ``x1 .. xn``.

        Args:
            n: The number of variables.

        Returns:
            A Problem with the n-variable formula, domain, minima and starts.

        Raises:
            ConfigError: The function has no n-dimensional form, or ``n`` is out of range.

        Examples:
            >>> get("sphere").with_dim(3).formula
            'x1^2 + x2^2 + x3^2'
        """
        if self._builder is None:
            raise ConfigError(
                f"{self.name!r} has no n-dimensional form (those that do: "
                f"{', '.join(p.name for p in PROBLEMS.values() if p.nd)})"
            )
        n = integer("dim", n)
        if not self._min_dim <= n <= MAX_ND_DIM:
            raise ConfigError(
                f"{self.name} needs {self._min_dim} <= dim <= {MAX_ND_DIM} (got {n!r})"
            )
        # the n-variable copy keeps the builder, so it can be resized again
        return replace(self._builder(n), _builder=self._builder, _min_dim=self._min_dim)


def _xs(n: int) -> tuple[str, ...]:
    return tuple(f"x{i}" for i in range(1, n + 1))


def _nd(
    base: Problem,
    n: int,
    formula: str,
    domain: tuple[float, float],
    minima: Sequence[Minimum],
    starts: Sequence[tuple[float, ...]],
    notes: str,
    all_minima: bool,
) -> Problem:
    return replace(
        base,
        title=f"{base.title} (n = {n})",
        formula=formula,
        domain=(domain,) * n,
        minima=tuple(minima),
        starts=tuple(starts),
        notes=notes,
        variables=_xs(n),
        all_minima=all_minima,
    )


# ---------------------------------------------------------------------------------------------
# n-dimensional builders. Their constants come from tools/refine_minima.py.

# Styblinski-Tang in one variable: g(t) = (t^4 - 16t^2 + 5t)/2 has two minima.
_ST_T = (-2.903534027771177, 2.746802770990837)
_ST_G = (-39.16616570377141, -25.02944665528394)

# Rosenbrock's second (local) minimum near (-1, 1, ..., 1), which exists for 4 <= n <= 7
# (Shang & Qiu 2006); refined for each n.
_ROSENBROCK_LOCAL: dict[int, tuple[tuple[float, ...], float]] = {
    4: (
        (-0.7756592265653526, 0.6130933654850435, 0.38206284633839316, 0.1459720185521946),
        3.701428610430017,
    ),
    5: (
        (
            -0.9620510206947501,
            0.93573939597671,
            0.8807136041943205,
            0.7778776758544064,
            0.6050936785926528,
        ),
        3.930839434133028,
    ),
    6: (
        (
            -0.9865749795709937,
            0.9833982288361818,
            0.9721066700530919,
            0.947437436826436,
            0.8986511848517297,
            0.8075739520354176,
        ),
        3.973940500930295,
    ),
    7: (
        (
            -0.9917225725614055,
            0.9935553935033713,
            0.9921733215946921,
            0.986898762690314,
            0.975164756608873,
            0.9514319827049926,
            0.9052228177139535,
        ),
        3.983600536424854,
    ),
}


def _sphere_nd(n: int) -> Problem:
    formula = " + ".join(f"x{i}^2" for i in range(1, n + 1))
    return _nd(
        SPHERE,
        n,
        formula,
        (-2.0, 2.0),
        [Minimum((0.0,) * n, 0.0)],
        [(1.5,) * n],
        "The global minimum 0 at the origin is the only one.",
        True,
    )


def _rosenbrock_nd(n: int) -> Problem:
    terms = [f"100(x{i + 1} - x{i}^2)^2 + (1 - x{i})^2" for i in range(1, n)]
    minima = [Minimum((1.0,) * n, 0.0)]
    notes = (
        "Extended Rosenbrock: sum over i < n of 100(x_{i+1} - x_i^2)^2 + (1 - x_i)^2. "
        "Global minimum 0 at (1, ..., 1)."
    )
    if n in _ROSENBROCK_LOCAL:
        x, f = _ROSENBROCK_LOCAL[n]
        minima.append(Minimum(x, f, "local"))
        notes += " For 4 <= n <= 7 a second, local minimum lies near (-1, 1, ..., 1)."
    complete = n <= 7
    if not complete:
        notes += " For n >= 8 the local minima are not all known; only the global one is listed."
    return _nd(
        ROSENBROCK,
        n,
        " + ".join(terms),
        (-2.0, 2.0),
        minima,
        [(-1.2,) + (1.0,) * (n - 1)],
        notes,
        complete,
    )


def _styblinski_tang_nd(n: int) -> Problem:
    terms = " + ".join(f"x{i}^4 - 16x{i}^2 + 5x{i}" for i in range(1, n + 1))
    formula = f"({terms})/2"
    minima: list[Minimum] = []
    if n <= 6:
        # Every coordinate at either 1-D minimum: 2^n minima, ordered by value.
        for choice in itertools.product((0, 1), repeat=n):
            x = tuple(_ST_T[c] for c in choice)
            f = sum(_ST_G[c] for c in choice)
            minima.append(Minimum(x, f, "global" if not any(choice) else "local"))
        minima.sort(key=lambda m: m.f)
        notes = "Minima: each coordinate at one of the two 1-D minima, 2^n in all."
    else:
        minima.append(Minimum((_ST_T[0],) * n, n * _ST_G[0]))
        notes = "2^n minima (each coordinate at one of two 1-D minima); only the global is listed."
    return _nd(
        STYBLINSKI_TANG,
        n,
        formula,
        (-5.0, 5.0),
        minima,
        [(0.0,) * n],
        notes + " " + STYBLINSKI_TANG.notes,
        n <= 6,
    )


def _rastrigin_nd(n: int) -> Problem:
    terms = " + ".join(f"x{i}^2 - 10cos(2pi x{i})" for i in range(1, n + 1))
    return _nd(
        RASTRIGIN,
        n,
        f"{10 * n} + {terms}",
        (-5.12, 5.12),
        [Minimum((0.0,) * n, 0.0)],
        [(2.5,) * n],
        RASTRIGIN.notes,
        False,
    )


# ---------------------------------------------------------------------------------------------
# The catalogue.

PARABOLA = Problem(
    name="parabola",
    title="Parabola",
    formula="1 + x^2",
    domain=((-4.0, 4.0),),
    minima=(Minimum((0.0,), 1.0),),
    starts=((-1.0,), (3.0,)),
    smooth=True,
    source=_NOTEBOOK,
    notes="The original notebook's derivative scene: secant through x0 = -1 and x1 = 3.",
)

QUARTIC = Problem(
    name="quartic",
    title="Quartic with two minima",
    formula="3x^4 + 4x^3 - 12x^2 + 7",
    domain=((-3.0, 4.0),),
    minima=(Minimum((-2.0,), -25.0), Minimum((1.0,), 2.0, "local")),
    starts=((3.0,), (-3.0,), (0.5,), (4.0,)),
    smooth=True,
    source=_NOTEBOOK,
    notes=(
        "f'(x) = 12x(x - 1)(x + 2): local maximum at x = 0 (f = 7). Gradient descent from 3 with "
        "lr 0.001 stops at the local minimum 1; from -3, or from 3 with lr 0.01, it reaches -2. "
        "The notebook plots [-3, 3]; the domain reaches 4 to hold its multi-start from 4."
    ),
)

NOTEBOOK_TRIG = Problem(
    name="notebook-trig",
    title="The notebook's sin-cos surface",
    formula="sin(x^2/2 - y^2/4 + 3)cos(2x + 1 - e^y)",
    domain=((-2.3, 2.3), (-2.3, 2.3)),
    minima=(
        Minimum((-2.0276506178266267, 1.1718268363570798), -1.0),
        Minimum((2.201786650358478, 1.6870604570835193), -1.0),
        Minimum((0.32274246216582064, 1.6024082724400928), -0.6574000294758535, "local"),
        Minimum((-0.8229216782305141, -0.49941786993984993), -0.04198326472122549, "local"),
    ),
    starts=((1.0, 0.5), (-1.0, -1.0)),
    smooth=True,
    source=_NOTEBOOK,
    notes=(
        "No published table: the minima inside [-2.3, 2.3]^2 were found by a dense multi-start "
        "search and refined with Newton's method (tools/refine_minima.py). The global value is "
        "exactly -1 where sin(...) = +-1 and cos(...) = -+1 at once."
    ),
)

ROSENBROCK = Problem(
    name="rosenbrock",
    title="Rosenbrock",
    formula="(1 - x)^2 + 100(y - x^2)^2",
    domain=((-2.0, 2.0), (-1.0, 3.0)),
    minima=(Minimum((1.0, 1.0), 0.0),),
    starts=((-1.2, 1.0),),
    smooth=True,
    source=(
        "Rosenbrock, H. H. (1960). An automatic method for finding the greatest or least value "
        f"of a function. The Computer Journal 3(3), 175-184; start from {_MGH}"
    ),
    notes="A curved narrow valley; the classic start (-1.2, 1) is Rosenbrock's own.",
)

HIMMELBLAU = Problem(
    name="himmelblau",
    title="Himmelblau",
    formula="(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    domain=((-5.0, 5.0), (-5.0, 5.0)),
    minima=(
        Minimum((3.0, 2.0), 0.0),
        Minimum((-2.805118086952745, 3.131312518250573), 0.0),
        Minimum((-3.779310253377747, -3.2831859912861696), 0.0),
        Minimum((3.5844283403304917, -1.8481265269644036), 0.0),
    ),
    starts=((0.0, 0.0),),
    smooth=True,
    source=f"Himmelblau, D. M. (1972). Applied Nonlinear Programming. McGraw-Hill; {_WIKI}",
    notes=(
        "Four global minima with value 0 (published to 6 decimals); a local maximum near "
        "(-0.270845, -0.923039)."
    ),
)

BEALE = Problem(
    name="beale",
    title="Beale",
    formula="(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
    domain=((-4.5, 4.5), (-4.5, 4.5)),
    minima=(Minimum((3.0, 0.5), 0.0),),
    starts=((1.0, 1.0),),
    smooth=True,
    source=f"Beale, E. M. L. (1958); {_MGH}; {_SFU}",
    notes="Flat near y = 1 and steep at the corners; start (1, 1) from More, Garbow & Hillstrom.",
)

BOOTH = Problem(
    name="booth",
    title="Booth",
    formula="(x + 2y - 7)^2 + (2x + y - 5)^2",
    domain=((-10.0, 10.0), (-10.0, 10.0)),
    minima=(Minimum((1.0, 3.0), 0.0),),
    starts=((0.0, 0.0),),
    smooth=True,
    source=f"{_JAMIL_YANG}; {_SFU}",
    notes="A quadratic bowl: one minimum, Hessian [[10, 8], [8, 10]].",
)

MATYAS = Problem(
    name="matyas",
    title="Matyas",
    formula="0.26(x^2 + y^2) - 0.48x*y",
    domain=((-10.0, 10.0), (-10.0, 10.0)),
    minima=(Minimum((0.0, 0.0), 0.0),),
    starts=((5.0, 10.0),),
    smooth=True,
    source=f"{_JAMIL_YANG}; {_SFU}",
    notes="A badly conditioned quadratic: Hessian eigenvalues 0.04 and 1.48 (ratio 37).",
)

THREE_HUMP_CAMEL = Problem(
    name="three-hump-camel",
    title="Three-hump camel",
    formula="2x^2 - 1.05x^4 + x^6/6 + x*y + y^2",
    domain=((-5.0, 5.0), (-5.0, 5.0)),
    minima=(
        Minimum((0.0, 0.0), 0.0),
        Minimum((-1.7475523458302888, 0.8737761729151444), 0.2986384422368598, "local"),
        Minimum((1.7475523458302888, -0.8737761729151444), 0.2986384422368598, "local"),
    ),
    starts=((-2.0, 2.0),),
    smooth=True,
    source=f"{_SFU}; {_JAMIL_YANG}",
    notes=(
        "Global minimum 0 at the origin and two symmetric local minima (the outer humps); tables "
        "give them rounded as (+-1.74755, -+0.873776) with f = 0.298638."
    ),
)

SIX_HUMP_CAMEL = Problem(
    name="six-hump-camel",
    title="Six-hump camel",
    formula="(4 - 2.1x^2 + x^4/3)x^2 + x*y + (-4 + 4y^2)y^2",
    domain=((-3.0, 3.0), (-2.0, 2.0)),
    minima=(
        Minimum((0.08984201310031806, -0.7126564030207396), -1.0316284534898774),
        Minimum((-0.08984201310031806, 0.7126564030207396), -1.0316284534898774),
        Minimum((-1.703606714969981, 0.7960835686726251), -0.21546382438371764, "local"),
        Minimum((1.703606714969981, -0.7960835686726251), -0.21546382438371764, "local"),
        Minimum((1.6071047529201972, 0.5686514548841314), 2.1042503103112584, "local"),
        Minimum((-1.6071047529201972, -0.5686514548841314), 2.1042503103112584, "local"),
    ),
    starts=((0.0, 0.0),),
    smooth=True,
    source=f"{_DIXON_SZEGO}; {_SFU}",
    notes=(
        "Six local minima, two of them global. The tables round to four decimals "
        "((0.0898, -0.7126), f = -1.0316; Dixon & Szego's locals -0.2155 and 2.1043)."
    ),
)

GOLDSTEIN_PRICE = Problem(
    name="goldstein-price",
    title="Goldstein-Price",
    formula=(
        "(1 + (x + y + 1)^2(19 - 14x + 3x^2 - 14y + 6x*y + 3y^2))"
        "(30 + (2x - 3y)^2(18 - 32x + 12x^2 + 48y - 36x*y + 27y^2))"
    ),
    domain=((-2.0, 2.0), (-2.0, 2.0)),
    minima=(
        Minimum((0.0, -1.0), 3.0),
        Minimum((-0.6, -0.4), 30.0, "local"),
        Minimum((1.8, 0.2), 84.0, "local"),
        Minimum((1.2, 0.8), 840.0, "local"),
    ),
    starts=((0.0, 0.0),),
    smooth=True,
    source=(
        "Goldstein, A. A. & Price, J. F. (1971). On descent from local minima. Math. Comp. "
        f"25(115), 569-574; {_DIXON_SZEGO}; {_SFU}"
    ),
    notes="Global minimum 3 at (0, -1); the local minima are often quoted as (-0.6, -0.4), "
    "(1.8, 0.2) and (1.2, 0.8), which are exact.",
)

MCCORMICK = Problem(
    name="mccormick",
    title="McCormick",
    formula="sin(x + y) + (x - y)^2 - 1.5x + 2.5y + 1",
    domain=((-1.5, 4.0), (-3.0, 4.0)),
    minima=(
        Minimum((-0.5471975511965977, -1.5471975511965979), -1.9132229549810364),
        Minimum((2.5943951023931957, 1.5943951023931955), 1.2283696986087569, "local"),
    ),
    starts=((0.0, 0.0),),
    smooth=True,
    source=f"{_SFU}; {_JAMIL_YANG}",
    notes=(
        "Exactly: minima where x - y = 1 and x + y = -2pi/3 + 2pi k; the global one is "
        "(1/2 - pi/3, -1/2 - pi/3) with f = -sqrt(3)/2 + 1/2 - pi/3 (tables: -1.9133). The "
        "tables omit the second, local minimum inside the usual domain, at x + y = 4pi/3 "
        "(f = 1.2284)."
    ),
)

STYBLINSKI_TANG = Problem(
    name="styblinski-tang",
    title="Styblinski-Tang",
    formula="(x^4 - 16x^2 + 5x + y^4 - 16y^2 + 5y)/2",
    domain=((-5.0, 5.0), (-5.0, 5.0)),
    minima=(
        Minimum((-2.903534027771177, -2.903534027771177), -78.33233140754282),
        Minimum((2.746802770990837, -2.903534027771177), -64.19561235905536, "local"),
        Minimum((-2.903534027771177, 2.746802770990837), -64.19561235905536, "local"),
        Minimum((2.746802770990837, 2.746802770990837), -50.05889331056788, "local"),
    ),
    starts=((0.0, 0.0),),
    smooth=True,
    source=(
        "Styblinski, M. A. & Tang, T.-S. (1990). Experiments in nonconvex optimization: "
        f"stochastic approximation with function smoothing and simulated annealing. Neural "
        f"Networks 3(4), 467-483; {_SFU}"
    ),
    notes=(
        "The 1-D minimum is t = -2.903534027771177, g = -39.16616570377141; Surjanovic & Bingham "
        "print f* = -39.16599 n, a rounding error in the fourth decimal."
    ),
)

RASTRIGIN = Problem(
    name="rastrigin",
    title="Rastrigin",
    formula="20 + x^2 - 10cos(2pi x) + y^2 - 10cos(2pi y)",
    domain=((-5.12, 5.12), (-5.12, 5.12)),
    minima=(Minimum((0.0, 0.0), 0.0),),
    starts=((2.5, 2.5),),
    smooth=True,
    source=f"Rastrigin, L. A. (1974). Systems of Extremal Control. Nauka; {_SFU}; {_WIKI}",
    notes=(
        "About 11 local minima per axis (121 in 2-D) near the integer points, slightly shifted "
        "towards the origin; only the global minimum is listed."
    ),
    all_minima=False,
)

ACKLEY = Problem(
    name="ackley",
    title="Ackley",
    formula=("-20exp(-0.2sqrt(0.5(x^2 + y^2))) - exp(0.5(cos(2pi x) + cos(2pi y))) + e + 20"),
    domain=((-5.0, 5.0), (-5.0, 5.0)),
    minima=(Minimum((0.0, 0.0), 0.0),),
    starts=((2.5, 2.5),),
    smooth=False,
    source=(
        f"Ackley, D. H. (1987). A Connectionist Machine for Genetic Hillclimbing. Kluwer; {_WIKI}"
    ),
    notes=(
        "sqrt(x^2 + y^2) makes a cone-shaped kink at the minimum: the gradient is not defined "
        "there. Many local minima near the integer points; only the global one is listed. "
        "Surjanovic & Bingham use the domain [-32.768, 32.768]^2."
    ),
    all_minima=False,
)

EASOM = Problem(
    name="easom",
    title="Easom",
    formula="-cos(x)cos(y)exp(-((x - pi)^2 + (y - pi)^2))",
    domain=((-1.0, 7.0), (-1.0, 7.0)),
    minima=(Minimum((3.141592653589793, 3.141592653589793), -1.0),),
    starts=((2.0, 2.0),),
    smooth=True,
    source=f"Easom, E. E. (1990). A survey of global optimization techniques. M. Eng. thesis, "
    f"University of Louisville; {_SFU}",
    notes=(
        "A needle at (pi, pi) on an almost flat plane. The literature domain is [-100, 100]^2; "
        "this window shows the needle. The flat plane has many tiny local minima; only the global "
        "one is listed."
    ),
    all_minima=False,
)

LEVI_13 = Problem(
    name="levi-13",
    title="Levi N.13",
    formula="sin(3pi x)^2 + (x - 1)^2(1 + sin(3pi y)^2) + (y - 1)^2(1 + sin(2pi y)^2)",
    domain=((-10.0, 10.0), (-10.0, 10.0)),
    minima=(Minimum((1.0, 1.0), 0.0),),
    starts=((-4.0, 5.0),),
    smooth=True,
    source=f"{_SFU}; {_WIKI}",
    notes="Many local minima along a grid of ripples; only the global one is listed.",
    all_minima=False,
)

SADDLE = Problem(
    name="saddle",
    title="Saddle",
    formula="x^2 - y^2",
    domain=((-2.0, 2.0), (-2.0, 2.0)),
    minima=(),
    starts=((1.5, 0.0), (1.5, 1e-3)),
    smooth=True,
    source="A textbook saddle point",
    notes=(
        "No minimum: (0, 0) is a saddle. Gradient descent from (1.5, 0) stops at it; the tiniest "
        "push off the x-axis escapes downhill without bound."
    ),
)

MONKEY_SADDLE = Problem(
    name="monkey-saddle",
    title="Monkey saddle",
    formula="x^3 - 3x*y^2",
    domain=((-2.0, 2.0), (-2.0, 2.0)),
    minima=(),
    starts=((1.0, 0.0),),
    smooth=True,
    source="A textbook degenerate saddle point (three valleys, Hessian zero at the origin)",
    notes="No minimum: (0, 0) is a degenerate saddle, and f is unbounded below.",
)

FORRESTER = Problem(
    name="forrester",
    title="Forrester",
    formula="(6x - 2)^2 sin(12x - 4)",
    domain=((0.0, 1.0),),
    minima=(
        Minimum((0.7572487578418559,), -6.0207400557670825),
        Minimum((0.14258918932471631,), -0.9863254063210815, "local"),
    ),
    starts=((0.5,),),
    smooth=True,
    source=(
        "Forrester, A., Sobester, A. & Keane, A. (2008). Engineering Design via Surrogate "
        f"Modelling: A Practical Guide. Wiley; {_SFU}"
    ),
    notes=(
        "One global and one local minimum inside [0, 1] (tables: 0.757249, -6.02074; local "
        "near 0.1426). x = 1/3 is a flat inflection point (f = f' = f'' = 0), not a minimum: "
        "gradient descent can crawl there."
    ),
)

GRAMACY_LEE = Problem(
    name="gramacy-lee",
    title="Gramacy & Lee",
    formula="sin(10pi x)/(2x) + (x - 1)^4",
    domain=((0.5, 2.5),),
    minima=(
        Minimum((0.5485634445276052,), -0.8690111349894998),
        Minimum((0.7487437781430085,), -0.6632798486904422, "local"),
        Minimum((0.9489336866904862,), -0.5266047887404023, "local"),
        Minimum((1.1490876188021966,), -0.43445504846995664, "local"),
        Minimum((1.348785167362593,), -0.35563502339109726, "local"),
        Minimum((1.5472883271844393,), -0.23225917160244938, "local"),
        Minimum((1.7435767404694347,), 0.024757434887311768, "local"),
        Minimum((1.9362196625299228,), 0.5338536167507464, "local"),
        Minimum((2.121899166052543,), 1.4345939158961478, "local"),
    ),
    starts=((1.0,),),
    smooth=True,
    source=(
        "Gramacy, R. B. & Lee, H. K. H. (2012). Cases for the nugget in modeling computer "
        f"experiments. Statistics and Computing 22(3), 713-722; {_SFU}"
    ),
    notes=(
        "Nine minima inside [0.5, 2.5], one per ripple; the tables give only the global one, "
        "rounded (0.548563, -0.869011)."
    ),
)

SPHERE = Problem(
    name="sphere",
    title="Sphere",
    formula="x^2 + y^2",
    domain=((-2.0, 2.0), (-2.0, 2.0)),
    minima=(Minimum((0.0, 0.0), 0.0),),
    starts=((1.5, 1.5),),
    smooth=True,
    source=(
        "De Jong, K. A. (1975). An analysis of the behavior of a class of genetic adaptive "
        f"systems. PhD thesis, University of Michigan; {_SFU}"
    ),
    notes="The simplest bowl: the gradient points straight at the minimum.",
)


PROBLEMS: dict[str, Problem] = {
    p.name: p
    for p in (
        PARABOLA,
        QUARTIC,
        NOTEBOOK_TRIG,
        replace(SPHERE, _builder=_sphere_nd, _min_dim=1),
        replace(ROSENBROCK, _builder=_rosenbrock_nd, _min_dim=2),
        HIMMELBLAU,
        BEALE,
        BOOTH,
        MATYAS,
        THREE_HUMP_CAMEL,
        SIX_HUMP_CAMEL,
        GOLDSTEIN_PRICE,
        MCCORMICK,
        replace(STYBLINSKI_TANG, _builder=_styblinski_tang_nd, _min_dim=1),
        replace(RASTRIGIN, _builder=_rastrigin_nd, _min_dim=1),
        ACKLEY,
        EASOM,
        LEVI_13,
        SADDLE,
        MONKEY_SADDLE,
        FORRESTER,
        GRAMACY_LEE,
    )
}
"""Every catalogue problem by name, in the order ``descentlab functions`` lists them."""


def _normalize(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(" ", "-")


def get(name: str) -> Problem:
    """The catalogue problem called ``name`` (case, ``_`` and spaces are forgiven).

    Args:
        name: A catalogue identifier such as ``"six-hump-camel"``.

    Returns:
        The Problem.

    Raises:
        ConfigError: No problem has that name; the message suggests close names.

    Examples:
        >>> get("Six_Hump_Camel").name
        'six-hump-camel'
    """
    if not isinstance(name, str):
        raise ConfigError(f"a function name must be a string (got {name!r})")
    key = _normalize(name)
    if key in PROBLEMS:
        return PROBLEMS[key]
    close = difflib.get_close_matches(key, list(PROBLEMS), n=3, cutoff=0.6)
    if close:
        raise ConfigError(
            f"unknown function {name!r}; did you mean {' or '.join(close)}? "
            "(descentlab functions lists the catalogue)"
        )
    raise ConfigError(f"unknown function {name!r} (the catalogue: {', '.join(PROBLEMS)})")


def list_problems() -> list[Problem]:
    """Every catalogue problem, in catalogue order."""
    return list(PROBLEMS.values())


def to_json(problem: Problem) -> dict[str, Any]:
    """The problem as a JSON-ready dict: the keys ``descentlab functions --json`` prints.

    Args:
        problem: A catalogue problem (or one built by :meth:`Problem.with_dim`).

    Returns:
        ``{"name", "title", "formula", "latex", "dim", "domain", "minima", "starts", "smooth",
        "source"}`` with lists for tuples.

    Examples:
        >>> to_json(get("quartic"))["minima"]
        [{'x': [-2.0], 'f': -25.0, 'kind': 'global'}, {'x': [1.0], 'f': 2.0, 'kind': 'local'}]
    """
    return {
        "name": problem.name,
        "title": problem.title,
        "formula": problem.formula,
        "latex": problem.latex,
        "dim": problem.dim,
        "domain": [[lo, hi] for lo, hi in problem.domain],
        "minima": [{"x": list(m.x), "f": m.f, "kind": m.kind} for m in problem.minima],
        "starts": [list(s) for s in problem.starts],
        "smooth": problem.smooth,
        "source": problem.source,
    }
