"""Results: verdicts and what a check found, as values that reporters turn into text."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from . import ir
from .coverage import Coverage
from .trace import Trace


class Verdict(StrEnum):
    SAFE = "safe"
    VIOLATION = "violation"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Stats:
    """How much work a check did (engine-specific counters are optional)."""

    states: int | None = None
    transitions: int | None = None
    depth: int = 0
    solver_calls: int = 0
    formula_size: int | None = None
    bytes_per_state: float | None = None
    reduction: str | None = None
    """How the states counted were reduced, comma-separated: `partial-order`, or
    `symmetry` and `local-steps`; None: not at all."""
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class EngineOutcome:
    """What an engine reports before expectations and timing are added."""

    verdict: Verdict
    complete: bool
    trace: Trace | None = None
    """The shortest violating run; ties broken by the property order."""
    expected_trace: Trace | None = None
    """When `expect violation P` names another property than the shortest: a run violating P."""
    reason: str = ""
    stats: Stats = field(default_factory=Stats)
    engine: str = ""
    """The engine that answered, when it is not the one asked (the portfolio's)."""
    certificate: str | None = None
    """A proof's inductive invariant as SMT-LIB, when an inductive proof answered."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    spec: ir.Spec
    file: str
    engine: str
    verdict: Verdict
    complete: bool
    bound: int
    trace: Trace | None
    expected_trace: Trace | None
    expectation_met: bool
    message: str
    time_s: float
    stats: Stats
    coverage: Coverage | None = None
    """What the runs never did; measured for `safe` verdicts (see `coverage.py`)."""
    strict: bool = False
    """`--strict` or `check coverage`: a vacuous `safe` fails its expectation."""
    answered_by: str = ""
    """The engine whose answer this is: `engine` itself, or the one the portfolio took."""
    certificate: str | None = None

    @property
    def vacuous(self) -> bool:
        """A `safe` that left statements, assertions or awaits unreached."""
        return (
            self.verdict == Verdict.SAFE
            and self.coverage is not None
            and bool(self.coverage.vacuous)
        )

    @property
    def prop(self) -> str | None:
        return self.trace.violation.prop if self.trace is not None else None

    @property
    def expect(self) -> ir.Expect | None:
        return self.spec.expect


def expectation_met(spec: ir.Spec, outcome: EngineOutcome) -> bool:
    """The rule of the language reference, section 2 (`expect`)."""
    expect = spec.expect
    if outcome.verdict == Verdict.UNKNOWN:
        return False
    if expect is None or expect.verdict == "safe":
        return outcome.verdict == Verdict.SAFE
    if outcome.verdict != Verdict.VIOLATION:
        return False
    if expect.prop is None:
        return True
    found = {
        t.violation.prop
        for t in (outcome.trace, outcome.expected_trace)
        if t is not None
    }
    return expect.prop in found
