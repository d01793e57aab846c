"""The compiled engine: a formula lowered once to a flat program, run by one compiled interpreter.

- :mod:`descentlab.engine.program`: :func:`lower` (tree -> :class:`Program`), the table of
  operations, and a NumPy interpreter for complex inputs. Imports no numba.
- :mod:`descentlab.engine.interp`: the numba interpreter (forward pass, reverse sweep, Hessian)
  over blocks of rows. Imported on first use, so ``import descentlab`` stays fast.
"""

from collections.abc import Callable

from descentlab.engine.program import OPS as OPS
from descentlab.engine.program import Program as Program
from descentlab.engine.program import lower as lower

__all__ = ["ON_FIRST_COMPILE", "OPS", "Program", "lower"]

ON_FIRST_COMPILE: list[Callable[[], object]] = []
"""Called once each, when this process first waits for engine code to be compiled for the disk
cache: it starts compiling some itself, or waits for the second process to finish some (not when
it loads it from there, nor while it runs its Python twins as the second process compiles it).
A first run after install waits there for several seconds, and the command line says so on a
terminal. :mod:`descentlab.engine.jit` calls them; kept here, so that registering one does not
import numba."""
