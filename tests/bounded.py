"""Bounded work instead of wall time: a test must not fail because the machine is busy.

``bounded(calls=N)`` runs a block while counting the Python function calls it makes (a trace
function that sees only call events, so the count does not depend on the machine's load) and with
the recursion limit lowered to ``frames`` levels above the caller, so that code recursing once per
nesting level of its input raises RecursionError instead of passing. Speed itself is measured in
``benchmarks/``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Work:
    """What a block did: ``calls`` Python function calls."""

    calls: int = 0


def _stack_depth() -> int:
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    return depth


@contextmanager
def bounded(calls: int, frames: int = 100) -> Iterator[Work]:
    """Fail unless the block makes at most ``calls`` Python calls, never ``frames`` levels deep.

    Args:
        calls: The most Python function calls the block may make (a linear budget in the size of
            the input catches quadratic work).
        frames: How many stack frames the block may add to the caller's (a parser refusing a
            formula 150 levels deep must not need 150 frames for it).

    Yields:
        The ``Work`` record, filled in when the block ends.
    """
    work = Work()

    def tracer(frame, event, arg):  # called on "call" events only, as it returns None
        work.calls += 1

    old_limit = sys.getrecursionlimit()
    previous = sys.gettrace()
    sys.setrecursionlimit(_stack_depth() + frames)
    sys.settrace(tracer)
    try:
        yield work
    finally:  # checked also when the block raises (a refusal is the usual outcome)
        sys.settrace(previous)
        sys.setrecursionlimit(old_limit)
        assert work.calls <= calls, f"{work.calls:,} Python calls, more than {calls:,} allowed"
