"""Liveness: fair cycles on the state graph, printed as lassos.

A liveness property (docs/language.md, "Liveness") is violated by a run in which the
guest threads are scheduled weakly fairly and a condition holds in every state from
some point on: for `check terminates`, "guest thread `t` is running" (it never
finishes); for `check eventually T at L`, "T has not passed L" (a monitor slot that
nothing resets, so the condition then held from the start). The step definition
gives each property's condition as a term (`step.CycleCondition`). A violating run
is a lasso: a prefix to a state and a cycle back to it, repeated forever. The host
need not be fair: it may stay idle in any state, so a state in which no guest thread
can step is a lasso whose cycle is empty (the host does nothing from there).

The search builds the reachable graph within the bound on the reference semantics,
with no reduction: merging local steps, symmetry and partial-order reduction keep
safety verdicts, not fair cycles. For each condition it takes the strongly connected
components of the states in which the condition holds (states at the bound, whose
successors were not taken, left out); a component is fair when
every guest thread either steps inside it or is disabled in one of its states. Weak
fairness asks no more: a run that stays in a component forever can visit all of its
states and edges, and a thread enabled in every state of a component that has no
step inside it is treated unfairly by every run that stays there. The lasso reported
has the shortest prefix over all fair components (fewest steps to one of their
states, breadth-first), ties broken by the order of the conditions (`terminates`
per guest thread in declaration order, then each `eventually` check as written);
its cycle is built from shortest paths inside the component through each
obligation in thread order, so it is short but not always the shortest cycle.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from . import ir
from . import terms as T
from .errors import InternalError, LimitReached
from .semantics import GlobalState, Semantics, Status, Successor, Violation
from .source import Span
from .step import CycleCondition, guest_threads
from .trace import Trace


@dataclass(frozen=True, slots=True)
class LassoSearch:
    """What the search found: a lasso or none, and whether the graph was closed;
    `wanted`, the shortest lasso of the property `expect` names when the shortest
    of all violates another."""

    trace: Trace | None
    complete: bool
    states: int
    wanted: Trace | None = None


@dataclass(frozen=True, slots=True)
class _Graph:
    states: list[GlobalState]
    edges: list[list[tuple[int, Successor]]]
    enabled: list[frozenset[int]]
    depth: list[int]
    parent: list[tuple[int, Successor] | None]
    closed: list[bool]
    """Whether a state's successors were all taken (it lies within the bound)."""


def find_lasso(
    sem: Semantics, bound: int, deadline: float, want: str | None = None
) -> LassoSearch:
    """A fair lasso that violates a liveness property, searched within `bound`; and
    one that violates `want`, if that is another property."""
    graph = _explore(sem, bound, deadline)
    guests = guest_threads(sem.spec)
    slots = [sem.slots_of(s) for s in graph.states]
    best: dict[str | None, tuple[int, CycleCondition, list[int]]] = {}
    for goal in sem.definition.cycles:
        inside = [
            closed and bool(T.evaluate(goal.holds, v))
            for closed, v in zip(graph.closed, slots, strict=True)
        ]
        for component in _tarjan(graph, inside):
            if not _fair(graph, component, guests):
                continue
            entry = min(component, key=lambda s: graph.depth[s])
            for key in (None, goal.prop):
                known = best.get(key)
                if known is None or graph.depth[entry] < graph.depth[known[0]]:
                    best[key] = (entry, goal, component)
    if None not in best:
        return LassoSearch(None, all(graph.closed), len(graph.states))
    trace = _lasso(sem, graph, guests, *best[None])
    wanted = None if want is None else best.get(want)
    if wanted is None or trace.violation.prop == want:
        return LassoSearch(trace, True, len(graph.states))
    return LassoSearch(
        trace, True, len(graph.states), _lasso(sem, graph, guests, *wanted)
    )


def _lasso(
    sem: Semantics,
    graph: _Graph,
    guests: Sequence[int],
    entry: int,
    goal: CycleCondition,
    component: list[int],
) -> Trace:
    """The lasso through the fair `component` from its shallowest state, checked."""
    prefix = _prefix(graph, entry)
    cycle = _cycle(graph, entry, set(component), guests)
    return lasso(sem, graph.states[0], (*prefix, *cycle), len(prefix), (goal,))


def lasso(
    sem: Semantics,
    initial: GlobalState,
    steps: Sequence[Successor],
    loop: int,
    goals: Sequence[CycleCondition] | None = None,
) -> Trace:
    """The run of `steps` whose steps from index `loop` on repeat forever, as a
    violation of the first of `goals` (default: `definition.cycles`) whose condition
    holds throughout the cycle. Checked on the semantics first, for every engine's
    lasso: each step a successor of the state before it, none violating, the cycle
    back at its first state, fair (every guest thread steps in it or cannot step in
    one of its states) and a goal's condition true in each of its states; else
    InternalError."""
    state = initial
    for k, step in enumerate(steps, start=1):
        again = sem.successor(state, step.move)
        if again is None or again.state != step.state or again.violation is not None:
            raise InternalError(f"step {k} of a lasso does not replay")
        state = step.state
    states = [initial, *(s.state for s in steps)]
    if states[loop] != states[-1]:
        raise InternalError("a lasso's cycle does not close")
    cycle = states[loop:-1] or states[-1:]
    stepped = {s.actor for s in steps[loop:]}
    for u in guest_threads(sem.spec):
        if u not in stepped and all(
            any(s.actor == u for s in sem.successors(c)) for c in cycle
        ):
            raise InternalError(f"a lasso's cycle is not fair to thread {u}")
    for g in sem.definition.cycles if goals is None else goals:
        if all(T.evaluate(g.holds, sem.slots_of(c)) for c in cycle):
            violation = _violation(sem, states[loop], g, steps[loop:])
            return Trace(initial, tuple(steps), violation, loop=loop)
    raise InternalError("no liveness condition holds throughout a lasso's cycle")


def _explore(sem: Semantics, bound: int, deadline: float) -> _Graph:
    s0 = sem.initial()
    index = {s0: 0}
    g = _Graph([s0], [[]], [frozenset()], [0], [None], [False])
    queue = deque([0])
    while queue:
        if time.monotonic() > deadline:
            raise LimitReached("time limit reached while searching for fair cycles")
        i = queue.popleft()
        if g.depth[i] >= bound:
            continue
        successors = sem.successors(g.states[i])
        g.enabled[i] = frozenset(s.actor for s in successors)
        g.closed[i] = True
        for s in successors:
            if s.violation is not None:
                continue
            j = index.get(s.state)
            if j is None:
                j = index[s.state] = len(g.states)
                g.states.append(s.state)
                g.edges.append([])
                g.enabled.append(frozenset())
                g.depth.append(g.depth[i] + 1)
                g.parent.append((i, s))
                g.closed.append(False)
                queue.append(j)
            g.edges[i].append((j, s))
    return g


def _tarjan(g: _Graph, inside: Sequence[bool]) -> Iterable[list[int]]:
    """Tarjan's algorithm, iteratively, on the subgraph of the states `inside`."""
    number: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    for root in range(len(g.states)):
        if not inside[root] or root in number:
            continue
        work = [(root, 0)]
        while work:
            v, k = work.pop()
            if k == 0:
                number[v] = low[v] = len(number)
                stack.append(v)
                on_stack.add(v)
            edges = g.edges[v]
            while k < len(edges) and not inside[edges[k][0]]:
                k += 1
            if k < len(edges):
                w = edges[k][0]
                work.append((v, k + 1))
                if w not in number:
                    work.append((w, 0))
                elif w in on_stack:
                    low[v] = min(low[v], number[w])
                continue
            if low[v] == number[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                yield component
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])


def _fair(g: _Graph, component: list[int], guests: Sequence[int]) -> bool:
    members = set(component)
    return all(
        any(u not in g.enabled[i] for i in component)
        or any(s.actor == u and j in members for i in component for j, s in g.edges[i])
        for u in guests
    )


def _prefix(g: _Graph, state: int) -> list[Successor]:
    steps: list[Successor] = []
    link = g.parent[state]
    while link is not None:
        steps.append(link[1])
        link = g.parent[link[0]]
    return steps[::-1]


def _cycle(
    g: _Graph, entry: int, members: set[int], guests: Sequence[int]
) -> list[Successor]:
    """From `entry` through a step or a disabled state of every guest thread, in
    thread order, and back to `entry`, along shortest paths inside the component."""
    path: list[tuple[int, Successor]] = []
    for u in guests:
        visited = [entry, *(j for j, _ in path)]
        if any(s.actor == u for _, s in path) or any(
            u not in g.enabled[i] for i in visited
        ):
            continue
        path += _path(g, members, visited[-1], _meets(g, u))
    if path and path[-1][0] != entry:
        path += _path(g, members, path[-1][0], lambda j, _: j == entry)
    return [s for _, s in path]


def _meets(g: _Graph, u: int) -> Callable[[int, Successor], bool]:
    """A step that meets weak fairness for `u`: `u` moves, or it leads to a state
    where `u` is disabled."""
    return lambda j, s: s.actor == u or u not in g.enabled[j]


def _path(
    g: _Graph,
    members: set[int],
    start: int,
    goal: Callable[[int, Successor], bool],
) -> list[tuple[int, Successor]]:
    """A shortest non-empty path inside the component from `start` whose last step
    meets `goal(target, step)`; each step with the state it reaches."""
    parent: dict[int, tuple[int, Successor]] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        i = queue.popleft()
        for j, s in g.edges[i]:
            if j not in members:
                continue
            if goal(j, s):
                steps = [(j, s)]
                k = i
                while k != start:
                    previous, step = parent[k]
                    steps.append((k, step))
                    k = previous
                return steps[::-1]
            if j not in seen:
                seen.add(j)
                parent[j] = (i, s)
                queue.append(j)
    raise AssertionError("no path inside a strongly connected component")


def _violation(
    sem: Semantics, state: GlobalState, goal: CycleCondition, cycle: Sequence[Successor]
) -> Violation:
    t = goal.thread
    thread = sem.spec.threads[t]
    status = Status(state.threads[t].status)
    if status != Status.RUNNING:
        how = _ENDED[status]
    elif not cycle:
        how = "blocked forever: no guest thread can step, and the host need not"
    elif any(s.actor == t for s in cycle):
        how = "never finishes: its steps repeat in a cycle"
    else:
        how = "blocked forever: it takes no step in the cycle"
    span = _span_at(thread, state.threads[t].pc)
    if goal.point is None:
        return Violation(goal.prop, f"thread {thread.name} {how}", span)
    label = goal.point.label
    if status == Status.RUNNING and cycle and any(s.actor == t for s in cycle):
        how = "its steps repeat in a cycle that does not pass it"
    return Violation(
        goal.prop,
        f"thread {thread.name} never reaches {label.name}: {how}",
        span if span is not None else label.span,
    )


_ENDED = {
    Status.DONE: "it finished without passing it",
    Status.FAULTED: "it faulted before it",
    Status.STUCK: "it is stuck before it (no transition for its op)",
}


def _span_at(thread: ir.Thread, pc: int) -> Span | None:
    return thread.instrs[pc].span if pc < len(thread.instrs) else None
