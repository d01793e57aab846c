"""Hypothesis profiles: a bounded "ci" default and a longer "fuzz" run on demand; the engine's
second process and the engine's compile notices as fixtures (test_jit.py, test_twins.py,
test_cli.py).

``HYPOTHESIS_PROFILE=fuzz .venv/bin/pytest tests/test_fuzz.py`` runs the fuzzers with many more
examples; without it every property test keeps to its own bounded settings.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Under CI the examples are derived from each test, not drawn at random: a landing must not hang
# on luck. Locally they stay random, so new counterexamples keep being found.
settings.register_profile(
    "ci", deadline=None, print_blob=True, derandomize=os.environ.get("CI") == "true"
)
settings.register_profile(
    "fuzz",
    max_examples=20_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def aside(monkeypatch) -> Iterator[Any]:  # noqa: ANN001
    """A fresh second process of the engine (started on demand), stopped after the test."""
    from descentlab.engine import jit  # (numba: only for the tests that ask)

    fresh = jit._Aside()
    monkeypatch.setattr(jit, "_ASIDE", fresh)
    monkeypatch.setenv("DESCENTLAB_COMPILE_ASIDE", "1")
    yield fresh
    fresh.close()


@pytest.fixture
def on_first_compile() -> Iterator[list[Any]]:
    """``descentlab.engine.ON_FIRST_COMPILE``, emptied for the test (its functions are put back
    after): the engine reads that one list (test_jit.py, test_cli.py)."""
    from descentlab.engine import ON_FIRST_COMPILE

    saved = ON_FIRST_COMPILE[:]
    ON_FIRST_COMPILE.clear()
    yield ON_FIRST_COMPILE
    ON_FIRST_COMPILE[:] = saved
