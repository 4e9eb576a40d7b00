"""Running the explicit engine with some of its reductions switched off, and the
parts of an outcome that every reduction must keep, for the reduction tests."""

from __future__ import annotations

import time
from typing import Any

from checker import ir
from checker.engines.explicit import check_explicit
from checker.result import EngineOutcome


def explicit(spec: ir.Spec, bound: int | None = None, **options: Any) -> EngineOutcome:
    """The explicit engine on `spec`, looking for its expected property."""
    return check_explicit(
        spec,
        spec.bound if bound is None else bound,
        deadline=time.monotonic() + 120,
        want=spec.expect.prop
        if spec.expect and spec.expect.verdict != "safe"
        else None,
        **options,
    )


def kept(outcome: EngineOutcome) -> tuple[object, ...]:
    """Verdict, property, shortest length (and the expected one's), `complete`."""
    trace, wanted = outcome.trace, outcome.expected_trace
    return (
        outcome.verdict,
        trace.violation.prop if trace else None,
        trace.length if trace else None,
        wanted.length if wanted else None,
        outcome.complete,
    )
