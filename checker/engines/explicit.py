"""The explicit-state engine: breadth-first search over the concrete semantics.

Shortest counterexamples by construction (BFS layers are run lengths); `complete` when
the states reachable within the bound are closed under the step function. It is the
reference the Z3 engine is tested against.
"""

from __future__ import annotations

import time

from .. import ir
from ..errors import LimitReached
from ..progress import Progress, ProgressInfo
from ..result import EngineOutcome, Stats, Verdict
from ..semantics import GlobalState, Semantics, Successor
from ..trace import Trace

MAX_STATES = 5_000_000


def check_explicit(
    spec: ir.Spec,
    bound: int,
    *,
    deadline: float,
    want: str | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> EngineOutcome:
    sem = Semantics(spec)
    s0 = sem.initial()
    v0 = sem.initial_violation(s0)
    if v0 is not None:
        trace = Trace(s0, (), v0)
        return EngineOutcome(
            Verdict.VIOLATION, True, trace, None, stats=Stats(states=1, depth=0)
        )
    parent: dict[GlobalState, tuple[GlobalState, Successor] | None] = {s0: None}
    frontier = [s0]
    shortest: Trace | None = None
    wanted: Trace | None = None
    transitions = 0
    depth = 0
    complete = False
    try:
        while True:
            if not frontier:
                complete = True
                break
            depth += 1
            beyond = depth > bound
            layer: list[tuple[GlobalState, Successor]] = []
            next_frontier: list[GlobalState] = []
            for state in frontier:
                for succ in sem.successors(state):
                    transitions += 1
                    if succ.violation is not None:
                        layer.append((state, succ))
                    elif succ.state not in parent:
                        parent[succ.state] = (state, succ)
                        next_frontier.append(succ.state)
                    if beyond and (layer or next_frontier):
                        break
                if transitions % 2048 == 0:
                    _check_limits(deadline, len(parent))
                if beyond and (layer or next_frontier):
                    break
            if beyond:
                complete = not layer and not next_frontier
                depth = bound
                break
            if layer:
                best = min(layer, key=_property_rank)
                if shortest is None:
                    shortest = _trace(parent, s0, *best)
                if (
                    want is not None
                    and wanted is None
                    and shortest.violation.prop != want
                ):
                    hit = next(
                        (
                            ps
                            for ps in layer
                            if ps[1].violation and ps[1].violation.prop == want
                        ),
                        None,
                    )
                    if hit is not None:
                        wanted = _trace(parent, s0, *hit)
            if shortest is not None and (
                want is None or shortest.violation.prop == want or wanted is not None
            ):
                break
            frontier = next_frontier
            if progress is not None:
                progress(ProgressInfo("explicit", depth, bound, states=len(parent)))
    except LimitReached as limit:
        stats = Stats(states=len(parent), transitions=transitions, depth=depth)
        if shortest is not None:
            return EngineOutcome(
                Verdict.VIOLATION, True, shortest, None, reason=str(limit), stats=stats
            )
        return EngineOutcome(Verdict.UNKNOWN, False, reason=str(limit), stats=stats)
    stats = Stats(
        states=len(parent),
        transitions=transitions,
        depth=shortest.length if shortest else depth,
    )
    if shortest is not None:
        return EngineOutcome(Verdict.VIOLATION, True, shortest, wanted, stats=stats)
    return EngineOutcome(Verdict.SAFE, complete, stats=stats)


def _property_rank(step: tuple[GlobalState, Successor]) -> int:
    """Ties between violations of one length go to the reference's property order."""
    violation = step[1].violation
    assert violation is not None
    return ir.PROPERTIES.index(violation.prop)


def _check_limits(deadline: float, states: int) -> None:
    if time.monotonic() > deadline:
        raise LimitReached("time limit reached")
    if states > MAX_STATES:
        raise LimitReached(f"state limit reached ({MAX_STATES} states)")


def _trace(
    parent: dict[GlobalState, tuple[GlobalState, Successor] | None],
    s0: GlobalState,
    last_state: GlobalState,
    last: Successor,
) -> Trace:
    steps = [last]
    state = last_state
    while True:
        link = parent[state]
        if link is None:
            break
        state, succ = link
        steps.append(succ)
    steps.reverse()
    assert last.violation is not None
    return Trace(s0, tuple(steps), last.violation)
