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

from . import ir, native
from . import terms as T
from .errors import InternalError, LimitReached
from .packed import PackedStep, WidthExceeded, compiled, compiled_for
from .semantics import GlobalState, Semantics, Status, Successor, Violation
from .source import Span
from .step import HOST, CycleCondition, guest_threads
from .trace import Trace

#: States the C graph expands between two looks at the clock.
CHUNK = 8192


def _out_of_time() -> LimitReached:
    return LimitReached("time limit reached while searching for fair cycles")


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
    enabled in it (a bit each, violating moves included), its depth, the state and
    edge it was first reached by, and whether its successors were all taken (it lies
    within the bound). Past `native.SWITCH_AT` states it is built again in C, the
    same, and C finds its fair components (`fair_component`). Steps of the
    reference semantics are rebuilt only for the lasso printed (`steps`)."""

    def __init__(self, sem: Semantics, packed: PackedStep) -> None:
        self.sem = sem
        self.packed = packed
        s0 = packed.pack(sem.definition.initial)
        self.states = [s0]
        self.index = {s0: 0}
        self.first = array("Q")
        self.target = array("I")
        self.actor = array("i")
        self.enabled: Sequence[int] = [0]
        self.depth = array("I", [0])
        self.parent = array("I", [0])
        self.via = array("I", [0])
        self.closed = bytearray(1)
        self.inside: list[bytearray] = []  # per property, built in Python
        self.core: native.NativeSearch | None = None
        self._words = b""

    @property
    def count(self) -> int:
        return len(self.depth)

    def state(self, i: int) -> int:
        """State i, packed."""
        if self._words:
            size = 8 * max(1, -(-self.packed.bits // 64))
            return int.from_bytes(self._words[i * size : (i + 1) * size], "little")
        return self.states[i]

    def edges(self, i: int) -> range:
        """The numbers of state i's edges (none when it was not expanded)."""
        return range(self.first[i], self.first[i + 1])

    def explore(self, bound: int, deadline: float) -> None:
        """Every state within `bound` steps, breadth first, with its edges."""
        states, depth, enabled = self.states, self.depth, self.enabled
        assert isinstance(enabled, list)
        go_native = native.enabled() and len(self.sem.spec.threads) <= 64
        i = 0
        while i < len(states):
            if i % 1024 == 0:
                if time.monotonic() > deadline:
                    raise _out_of_time()
                if go_native and len(states) >= native.SWITCH_AT:
                    go_native = False
                    if self._explore_in_c(bound, deadline):
                        return
            self.first.append(len(self.target))
            if depth[i] < bound:
                self._expand(i, enabled)
            i += 1
        self.first.append(len(self.target))
        holds = self.packed.predicates(
            [goal.holds for goal in self.sem.definition.cycles]
        )
        self.inside = [
            bytearray(
                bool(closed) and test(s)
                for closed, s in zip(self.closed, states, strict=True)
            )
            for test in holds
        ]

    def _expand(self, i: int, enabled: list[int]) -> None:
        packed, index, states = self.packed, self.index, self.states
        s = states[i]
        threads = 0
        moves: list[tuple[int, list[int]]] = []
        for t, pc in enumerate(packed.control(s)):
            if pc < 0:
                continue
            out: list[int] = []
            bad: list[int] = []
            packed.thread_calls[t][pc](s, out, bad)
            if out or bad:
                threads |= 1 << t
            moves.append((t, out))
        out = []
        packed.host(s, out, [])
        moves.append((HOST, out))
        enabled[i] = threads
        self.closed[i] = 1
        for t, successors in moves:
            for x in successors:
                j = index.get(x)
                if j is None:
                    j = index[x] = len(states)
                    states.append(x)
                    enabled.append(0)
                    self.depth.append(self.depth[i] + 1)
                    self.parent.append(i)
                    self.via.append(len(self.target))
                    self.closed.append(0)
                self.target.append(j)
                self.actor.append(t)

    def _explore_in_c(self, bound: int, deadline: float) -> bool:
        """Build the graph again in C, from the start; False where there is no C
        search (the Python one goes on). The C search stays open for
        `fair_component` until `close`."""
        try:
            step = native.built(
                self.packed, symmetry=None, timeout=deadline - time.monotonic()
            )
        except native.NativeUnavailable:
            return False
        self.core = core = step.search(never=False, deadlock=False)
        try:
            core.start_graph(self.states[0], bound)
            while not core.grow_graph(CHUNK):
                if time.monotonic() > deadline:
                    raise _out_of_time()
            arrays = core.graph()
            self._words = core.states()
        except MemoryError:
            raise LimitReached(
                "out of memory while searching for fair cycles"
            ) from None
        self.first, self.target, self.actor = arrays.first, arrays.target, arrays.actor
        self.enabled, self.depth = arrays.enabled, arrays.depth
        self.parent, self.via, self.closed = arrays.parent, arrays.via, arrays.closed
        self.states, self.index = [], {}
        return True

    def close(self) -> None:
        if self.core is not None:
            self.core.close()

    def fair_component(self, k: int, guests: int) -> list[int]:
        """Of the strongly connected components of the expanded states where the
        condition of liveness property k holds, the first fair one (`_fair`) whose
        shallowest state is shallowest; empty when none is fair."""
        if self.core is not None:
            try:
                return self.core.fair_component(k, guests)
            except MemoryError:
                raise LimitReached(
                    "out of memory while searching for fair cycles"
                ) from None
        best: list[int] = []
        shallowest = -1
        for component in _tarjan(self, self.inside[k]):
            if not _fair(self, component, guests):
                continue
            depth = min(self.depth[s] for s in component)
            if not best or depth < shallowest:
                best, shallowest = component, depth
        return best

    def steps(self, edges: Sequence[int]) -> list[Successor]:
        """The reference's steps along `edges` from the initial state: for each, the
        first successor in the reference's order with the edge's actor and target
        state, which is the one the edge stands for."""
        sem, packed = self.sem, self.packed
        state = sem.initial()
        out: list[Successor] = []
        for e in edges:
            goal, who = self.state(self.target[e]), self.actor[e]
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
    best: dict[str | None, tuple[int, CycleCondition, list[int]]] = {}
    try:
        for k, goal in enumerate(sem.definition.cycles):
            component = graph.fair_component(k, mask)
            if not component:
                continue
            entry = min(component, key=lambda s: graph.depth[s])
            for key in (None, goal.prop):
                known = best.get(key)
                if known is None or graph.depth[entry] < graph.depth[known[0]]:
                    best[key] = (entry, goal, component)
    finally:
        graph.close()
    if None not in best:
        return LassoSearch(None, all(graph.closed), graph.count)
    trace = _lasso(sem, graph, guests, *best[None])
    wanted = None if want is None else best.get(want)
    if wanted is None or trace.violation.prop == want:
        return LassoSearch(trace, True, graph.count)
    return LassoSearch(trace, True, graph.count, _lasso(sem, graph, guests, *wanted))


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


def _tarjan(g: _Graph, inside: bytearray) -> Iterable[list[int]]:
    """Tarjan's algorithm, iteratively, on the subgraph of the states `inside`."""
    n = g.count
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
