"""The compiled engine: a formula lowered once to a flat program, run by one compiled interpreter.

- :mod:`descentlab.engine.program`: :func:`lower` (tree -> :class:`Program`), the table of
  operations, and a NumPy interpreter for complex inputs. Imports no numba.
- :mod:`descentlab.engine.interp`: the numba interpreter (forward pass, reverse sweep, Hessian)
  over blocks of rows. Imported on first use, so ``import descentlab`` stays fast.
"""

from descentlab.engine.program import OPS as OPS
from descentlab.engine.program import Program as Program
from descentlab.engine.program import lower as lower

__all__ = ["OPS", "Program", "lower"]
