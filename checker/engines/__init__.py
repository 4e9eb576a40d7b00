"""Engines: decide whether a spec's runs can violate, and find the shortest that does.

Every engine takes a checked spec, a bound, a deadline and an optional progress
callback (`checker.progress`) and returns an `EngineOutcome`; none prints. `explicit`
enumerates states breadth-first; `z3` encodes runs into Z3 and is the default.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Protocol, cast

from .. import ir
from ..progress import Progress
from ..result import EngineOutcome


class Engine(Protocol):
    def __call__(
        self,
        spec: ir.Spec,
        bound: int,
        *,
        deadline: float,
        want: str | None,
        seed: int,
        progress: Progress | None = None,
    ) -> EngineOutcome: ...


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

    return _accepting_progress(check_symbolic)


def _accepting_progress(engine: Callable[..., EngineOutcome]) -> Engine:
    """The engine itself if it takes `progress=`, else a wrapper that drops it."""
    if "progress" in inspect.signature(engine).parameters:
        return cast(Engine, engine)

    def without_progress(
        *args: Any, progress: Progress | None = None, **kwargs: Any
    ) -> EngineOutcome:
        return engine(*args, **kwargs)

    return cast(Engine, without_progress)


ENGINE_NAMES = ("z3", "explicit")
