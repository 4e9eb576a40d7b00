"""Progress reports: what an engine tells its caller while a check runs.

Stage: beside the results (engines produce these, the CLI renders them). An engine
that is given a `Progress` callback calls it with a `ProgressInfo` each time it has
finished a unit of work: the explicit engine after each breadth-first layer, BMC after
each unrolled step, induction twice a second while Spacer works. The callback must be cheap and must
not raise; it cannot stop the check (the deadline does that). The one exception is the
portfolio's own callback for the explicit search, which raises to stop it when another
engine has answered (`engines/portfolio.py`). Engines never print; rendering the
information (e.g. a live line on a terminal) is the caller's business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProgressInfo:
    """How far a running check has got."""

    engine: str
    """The engine reporting: `explicit`, `bmc` or `induction`."""
    depth: int
    """Steps covered so far: runs of up to `depth` steps have been examined."""
    bound: int
    """The bound of this check (`depth` never exceeds it)."""
    states: int | None = None
    """Distinct states seen so far (explicit engine)."""
    formula_size: int | None = None
    """The size of the formula built so far (Z3 engine; the engine's own measure)."""
    solver_calls: int | None = None
    """Solver queries made so far (Z3 engine)."""
    lemmas: int | None = None
    """Lemmas learnt so far (inductive engine; `depth` is then its frame count)."""


Progress = Callable[[ProgressInfo], None]
"""The callback type: `Options(progress=...)` passes one to the engine."""

__all__ = ["Progress", "ProgressInfo"]
