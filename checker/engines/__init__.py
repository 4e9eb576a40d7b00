"""Engines: decide whether a spec's runs can violate, and find the shortest that does.

Every engine takes a checked spec, a bound and a deadline and returns an
`EngineOutcome`; none prints. `explicit` enumerates states breadth-first; `z3` encodes
runs into Z3 and is the default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .. import ir
from ..result import EngineOutcome


class Engine(Protocol):
    def __call__(self, spec: ir.Spec, bound: int, *, deadline: float, want: str | None, seed: int) -> EngineOutcome: ...


def get_engine(name: str) -> Engine:
    loaders: dict[str, Callable[[], Engine]] = {
        "explicit": _explicit,
        "z3": _z3,
    }
    return loaders[name]()


def _explicit() -> Engine:
    from .explicit import check_explicit

    return check_explicit


def _z3() -> Engine:
    from .symbolic import check_symbolic

    return check_symbolic


ENGINE_NAMES = ("z3", "explicit")
