"""Counterexample traces, and their replay on the concrete semantics.

A trace is the initial state and the steps of a run, each a `Successor` of the step
function. Engines that find runs some other way (Z3) describe them by actor, state and
violation per step; `replay` rebuilds them from the semantics, so a trace that is
printed is always one the semantics allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .errors import InternalError
from .semantics import GlobalState, Semantics, Successor, Violation


@dataclass(frozen=True, slots=True)
class Trace:
    initial: GlobalState
    steps: tuple[Successor, ...]
    violation: Violation
    loop: int | None = None
    """A liveness violation's lasso: the steps from index `loop` on form the cycle
    that repeats forever (none: the run stops in its final state)."""

    @property
    def length(self) -> int:
        return len(self.steps)

    @property
    def final(self) -> GlobalState:
        return self.steps[-1].state if self.steps else self.initial


@dataclass(frozen=True, slots=True)
class Run:
    """A run that need not end in a violation: a replayed trace, a given schedule,
    the way to an outcome."""

    initial: GlobalState
    steps: tuple[Successor, ...]
    violation: Violation | None = None


@dataclass(frozen=True, slots=True)
class StepClaim:
    """What an engine claims one step did: which move it took and where it led."""

    move: int
    state: GlobalState
    violation: str | None


def replay(
    sem: Semantics,
    initial: GlobalState,
    claims: Sequence[StepClaim],
    prop: str,
    spec_name: str,
) -> Trace:
    """The concrete run that matches the claims, or InternalError if there is none."""
    if initial != sem.initial():
        raise InternalError(
            f"{spec_name}: the counterexample does not start in the spec's initial state"
        )
    state = initial
    steps: list[Successor] = []
    if not claims:
        violation = sem.initial_violation(initial)
        if violation is None or violation.prop != prop:
            raise InternalError(
                f"{spec_name}: the claimed {prop} violation in the initial state does not replay"
            )
        return Trace(initial, (), violation)
    for k, claim in enumerate(claims, start=1):
        last = k == len(claims)
        match = sem.successor(state, claim.move)
        got = match.violation.prop if match and match.violation else None
        if match is None or match.state != claim.state or got != claim.violation:
            raise InternalError(
                f"{spec_name}: step {k} of the counterexample does not replay on the "
                f"concrete semantics (move {claim.move}, claimed violation "
                f"{claim.violation})"
            )
        if not last and match.violation is not None:
            raise InternalError(
                f"{spec_name}: the counterexample continues after a violation at step {k}"
            )
        steps.append(match)
        state = match.state
    final = steps[-1].violation
    if final is None or final.prop != prop:
        raise InternalError(
            f"{spec_name}: the counterexample does not end in a {prop} violation"
        )
    return explained(Trace(initial, tuple(steps), final), sem)


NEVER_HELD_DATA = (
    "the page never held data (it was declared without a value and never written)"
)


def explained(trace: Trace, sem: Semantics) -> Trace:
    """The trace, its message saying so when a read found a page that never held data
    (declared without a value and never written) rather than one whose content was
    lost: a step sees only the page's `valid` flag, a run sees its history."""
    if trace.violation.prop != "silent-loss" or not trace.steps:
        return trace
    read = trace.steps[-1].events[-1]
    page = read.page
    if page is None or read.value is not None or read.before is None:
        return trace
    states = [trace.initial, *(s.state for s in trace.steps[:-1])]
    if any(state.pages[page].valid for state in states):
        return trace
    message = (
        f"read of page {sem.spec.pages[page].name} in state "
        f"{sem.model.state_name(read.before)} returned 0: {NEVER_HELD_DATA}"
    )
    violation = Violation(trace.violation.prop, message, trace.violation.span)
    return Trace(trace.initial, trace.steps, violation)
