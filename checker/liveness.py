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

The search builds the reachable graph within the bound over the packed states of
`packed.py` (a state an integer, the edges flat arrays of target and actor), with no
reduction: merging local steps, symmetry and partial-order reduction keep safety
verdicts, not fair cycles. Only the steps of the lasso printed are rebuilt on the
reference semantics, each the first successor with the edge's actor and target, as
the graph was built in the reference's successor order. For each condition it takes
the strongly connected components of the states in which the condition holds (states
at the bound, whose successors were not taken, left out); a component is fair when
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
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from . import ir
from . import terms as T
from .errors import InternalError, LimitReached
from .packed import PackedStep, WidthExceeded, compiled, compiled_for
from .semantics import GlobalState, Semantics, Status, Successor, Violation
from .source import Span
from .step import HOST, CycleCondition, guest_threads
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


class _Graph:
    """The reachable graph within the bound over packed states (`packed.py`), by
    index in breadth-first order: each state's edges in the reference's successor
    order (the violating ones left out) as target and actor, the guest threads
    enabled in it (a bit each, violating moves included), its depth, the state it
    was first reached from, and whether its successors were all taken (it lies
    within the bound). Steps of the reference semantics are rebuilt only for the
    lasso printed (`steps`)."""

    def __init__(self, sem: Semantics, packed: PackedStep) -> None:
        self.sem = sem
        self.packed = packed
        s0 = packed.pack(sem.definition.initial)
        self.states = [s0]
        self.index = {s0: 0}
        self.first = array("Q")
        self.target = array("I")
        self.actor = array("i")
        self.enabled = [0]
        self.depth = array("I", [0])
        self.parent = array("I", [0])
        self.via = array("I", [0])
        self.closed = bytearray(1)

    def edges(self, i: int) -> range:
        """The numbers of state i's edges (none when it was not expanded)."""
        return range(self.first[i], self.first[i + 1])

    def explore(self, bound: int, deadline: float) -> None:
        """Every state within `bound` steps, breadth first, with its edges."""
        states, depth = self.states, self.depth
        i = 0
        while i < len(states):
            if i % 1024 == 0 and time.monotonic() > deadline:
                raise LimitReached("time limit reached while searching for fair cycles")
            self.first.append(len(self.target))
            if depth[i] < bound:
                self._expand(i)
            i += 1
        self.first.append(len(self.target))

    def _expand(self, i: int) -> None:
        packed, index, states = self.packed, self.index, self.states
        s = states[i]
        enabled = 0
        moves: list[tuple[int, list[int]]] = []
        for t, pc in enumerate(packed.control(s)):
            if pc < 0:
                continue
            out: list[int] = []
            bad: list[int] = []
            packed.thread_calls[t][pc](s, out, bad)
            if out or bad:
                enabled |= 1 << t
            moves.append((t, out))
        out = []
        packed.host(s, out, [])
        moves.append((HOST, out))
        self.enabled[i] = enabled
        self.closed[i] = 1
        for t, successors in moves:
            for x in successors:
                j = index.get(x)
                if j is None:
                    j = index[x] = len(states)
                    states.append(x)
                    self.enabled.append(0)
                    self.depth.append(self.depth[i] + 1)
                    self.parent.append(i)
                    self.via.append(len(self.target))
                    self.closed.append(0)
                self.target.append(j)
                self.actor.append(t)

    def steps(self, edges: Sequence[int]) -> list[Successor]:
        """The reference's steps along `edges` from the initial state: for each, the
        first successor in the reference's order with the edge's actor and target
        state, which is the one the edge stands for."""
        sem, packed = self.sem, self.packed
        state = sem.initial()
        out: list[Successor] = []
        for e in edges:
            goal, who = self.states[self.target[e]], self.actor[e]
            step = next(
                (
                    x
                    for x in sem.successors(state)
                    if x.violation is None
                    and x.actor == who
                    and packed.pack(sem.slots_of(x.state)) == goal
                ),
                None,
            )
            if step is None:
                raise InternalError(
                    "the compiled step function reached a state on a lasso that the "
                    "reference semantics does not"
                )
            out.append(step)
            state = step.state
        return out


def find_lasso(
    sem: Semantics, bound: int, deadline: float, want: str | None = None
) -> LassoSearch:
    """A fair lasso that violates a liveness property, searched within `bound`; and
    one that violates `want`, if that is another property."""
    try:
        graph = _Graph(sem, compiled_for(sem.definition, bound + 1))
        graph.explore(bound, deadline)
    except WidthExceeded:
        graph = _Graph(sem, compiled(sem.definition, bound + 1))
        graph.explore(bound, deadline)
    guests = guest_threads(sem.spec)
    mask = sum(1 << u for u in guests)
    cycles = sem.definition.cycles
    holds = graph.packed.predicates([goal.holds for goal in cycles])
    best: dict[str | None, tuple[int, CycleCondition, list[int]]] = {}
    for goal, test in zip(cycles, holds, strict=True):
        inside = [
            bool(closed) and test(s)
            for closed, s in zip(graph.closed, graph.states, strict=True)
        ]
        for component in _tarjan(graph, inside):
            if not _fair(graph, component, mask):
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
    steps = graph.steps([*prefix, *cycle])
    return lasso(sem, sem.initial(), steps, len(prefix), (goal,))


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


def _tarjan(g: _Graph, inside: Sequence[bool]) -> Iterable[list[int]]:
    """Tarjan's algorithm, iteratively, on the subgraph of the states `inside`."""
    n = len(g.states)
    number = array("i", [-1]) * n
    low = array("i", [0]) * n
    on_stack = bytearray(n)
    stack: list[int] = []
    count = 0
    target, first = g.target, g.first
    for root in range(n):
        if not inside[root] or number[root] >= 0:
            continue
        work = [(root, first[root])]
        while work:
            v, k = work.pop()
            if k == first[v] and number[v] < 0:
                number[v] = low[v] = count
                count += 1
                stack.append(v)
                on_stack[v] = 1
            end = first[v + 1]
            while k < end and not inside[target[k]]:
                k += 1
            if k < end:
                w = target[k]
                work.append((v, k + 1))
                if number[w] < 0:
                    work.append((w, first[w]))
                elif on_stack[w]:
                    low[v] = min(low[v], number[w])
                continue
            if low[v] == number[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack[w] = 0
                    component.append(w)
                    if w == v:
                        break
                yield component
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])


def _fair(g: _Graph, component: list[int], guests: int) -> bool:
    """Every guest thread (a bit of `guests`) is disabled in some state of the
    component or steps inside it."""
    waiting = guests
    for i in component:
        waiting &= g.enabled[i]
    if not waiting:
        return True
    members = set(component)
    for i in component:
        for e in g.edges(i):
            if g.target[e] in members and g.actor[e] >= 0:
                waiting &= ~(1 << g.actor[e])
    return not waiting


def _prefix(g: _Graph, state: int) -> list[int]:
    """The edges of the first way to `state` the search found."""
    steps: list[int] = []
    while state != 0:
        steps.append(g.via[state])
        state = g.parent[state]
    return steps[::-1]


def _cycle(
    g: _Graph, entry: int, members: set[int], guests: Sequence[int]
) -> list[int]:
    """From `entry` through a step or a disabled state of every guest thread, in
    thread order, and back to `entry`, along shortest paths inside the component:
    the edges taken."""
    path: list[int] = []
    for u in guests:
        visited = [entry, *(g.target[e] for e in path)]
        if any(g.actor[e] == u for e in path) or any(
            not g.enabled[i] >> u & 1 for i in visited
        ):
            continue
        path += _path(g, members, visited[-1], _meets(g, u))
    if path and g.target[path[-1]] != entry:
        path += _path(g, members, g.target[path[-1]], lambda j, _: j == entry)
    return path


def _meets(g: _Graph, u: int) -> Callable[[int, int], bool]:
    """A step that meets weak fairness for `u`: `u` moves, or it leads to a state
    where `u` is disabled."""
    return lambda j, who: who == u or not g.enabled[j] >> u & 1


def _path(
    g: _Graph,
    members: set[int],
    start: int,
    goal: Callable[[int, int], bool],
) -> list[int]:
    """A shortest non-empty path inside the component from `start` whose last step
    meets `goal(target, actor)`: its edges."""
    parent: dict[int, int] = {}  # state -> the edge it was first reached by
    source: dict[int, int] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        i = queue.popleft()
        for e in g.edges(i):
            j = g.target[e]
            if j not in members:
                continue
            if goal(j, g.actor[e]):
                steps = [e]
                k = i
                while k != start:
                    steps.append(parent[k])
                    k = source[k]
                return steps[::-1]
            if j not in seen:
                seen.add(j)
                parent[j] = e
                source[j] = i
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
