"""Engines: decide whether a spec's runs can violate, and find the shortest that does.

Every engine takes a checked spec, a bound, a deadline, an optional progress callback
(`checker.progress`) and an optional memory limit, and returns an `EngineOutcome`;
none prints. `ENGINES` is the one table of engines: the command line's `--engine`,
the pytest plugin's `pagecheck_engine`, `explore`/`matrix` and the benchmarks all
read their names, descriptions and the default from it. Importing this package loads
no engine (and nothing heavy): `get_engine` does, on demand.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
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
        memory_mb: int | None = None,
    ) -> EngineOutcome: ...


@dataclass(frozen=True, slots=True)
class EngineInfo:
    """One row of the engine table."""

    name: str
    description: str
    """One line for `--help`."""
    load: Callable[[], Engine]
    """Imports the engine (and its libraries) and returns it."""
    liveness: bool = False
    """Whether it answers liveness properties (`check terminates`)."""


def _explicit() -> Engine:
    from .explicit import check_explicit

    return _accepting_options(check_explicit)


def _bmc() -> Engine:
    from .symbolic import check_symbolic

    return _accepting_options(check_symbolic)


def _induction() -> Engine:
    from .inductive import check_inductive

    return _accepting_options(check_inductive)


def _auto() -> Engine:
    from .portfolio import check_portfolio

    return _accepting_options(check_portfolio)


ENGINES: dict[str, EngineInfo] = {
    info.name: info
    for info in (
        EngineInfo(
            "auto",
            "a portfolio: explicit, bmc and induction side by side, the first "
            "conclusive answer wins",
            _auto,
            liveness=True,
        ),
        EngineInfo(
            "explicit",
            "breadth-first enumeration of states, the reference semantics",
            _explicit,
            liveness=True,
        ),
        EngineInfo(
            "bmc",
            "bounded model checking with Z3, proofs of safety by closure",
            _bmc,
            liveness=True,
        ),
        EngineInfo(
            "induction",
            "inductive proofs with Z3's Spacer, every invariant checked",
            _induction,
        ),
    )
}
"""Every engine by name, the default first."""

ALIASES: dict[str, str] = {"z3": "bmc"}
"""Older names that still work: `z3` was the bounded model checker's name."""

DEFAULT_ENGINE = next(iter(ENGINES))


def engine_names() -> tuple[str, ...]:
    """Every name `--engine` accepts: the table's, then the aliases."""
    return (*ENGINES, *ALIASES)


def canonical(name: str) -> str:
    """The table's name for `name` (an alias resolved)."""
    return ALIASES.get(name, name)


def engine_help() -> str:
    """`auto (default): ...; explicit: ...` for `--help`."""
    rows = [
        f"{name}{' (default)' if name == DEFAULT_ENGINE else ''}: {info.description}"
        for name, info in ENGINES.items()
    ]
    rows += [f"{alias}: the same as {name}" for alias, name in ALIASES.items()]
    return "; ".join(rows)


def get_engine(name: str) -> Engine:
    """The engine called `name` (a key of `ENGINES` or an alias), loaded now."""
    return ENGINES[canonical(name)].load()


#: Keywords of `Engine` that an engine may not accept yet; they are dropped for it.
_OPTIONAL_KEYWORDS = ("progress", "memory_mb")


def _accepting_options(engine: Callable[..., EngineOutcome]) -> Engine:
    """The engine itself if it takes every optional keyword (`progress=`,
    `memory_mb=`), else a wrapper that drops those it does not take."""
    parameters = inspect.signature(engine).parameters
    missing = [k for k in _OPTIONAL_KEYWORDS if k not in parameters]
    if not missing:
        return cast(Engine, engine)

    def dropping(*args: Any, **kwargs: Any) -> EngineOutcome:
        for keyword in missing:
            kwargs.pop(keyword, None)
        return engine(*args, **kwargs)

    return cast(Engine, dropping)
