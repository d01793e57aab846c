"""Packages whose public names load on first use (PEP 562), so that imports stay cheap.

``import descentlab`` and ``descentlab --help`` must not pay for NumPy's linear algebra, the
catalogue, numba or the scenes' modules. A package lists its public names with the module each
comes from (``_HOMES``) and calls :func:`attach`, which gives it ``__getattr__`` (import the home
module the first time a name is used, then keep the value) and ``__dir__``. The package also
imports the same names under ``if TYPE_CHECKING:`` so that type checkers and editors see them;
a test checks that the two lists agree.

A name may be the name of its own home module (``animate.contour`` is the function defined in
``animate/contour.py``). Python's import system sets the package's attribute to the *module* when
that module is first imported, by whatever route; :func:`attach` keeps the function there
instead, as an eager ``from .contour import contour`` in the package would.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["attach"]


class _LazyPackage(types.ModuleType):
    """A package module whose public names that are also submodule names stay the names."""

    _homes: Mapping[str, str]

    def __setattr__(self, name: str, value: Any) -> None:
        homes = self.__dict__.get("_homes", {})
        if isinstance(value, types.ModuleType) and homes.get(name) == value.__name__:
            value = getattr(value, name)  # the import system binding the submodule: keep the name
        super().__setattr__(name, value)


def attach(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose public names live in ``homes``.

    Args:
        package: The package's ``__name__``.
        homes: Each public name -> the module that defines it.

    Returns:
        The package's ``__getattr__`` (a public name, or a submodule, on first use; anything else
        raises AttributeError) and ``__dir__``.
    """
    module = sys.modules[package]
    module.__class__ = _LazyPackage
    vars(module)["_homes"] = homes

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is not None:
            value = getattr(importlib.import_module(home), name)
            setattr(module, name, value)  # later lookups do not come here
            return value
        try:
            return importlib.import_module(f"{package}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.{name}":
                raise  # the submodule exists but something it imports does not
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None

    def __dir__() -> list[str]:
        return sorted({*vars(module), *homes})

    return __getattr__, __dir__
