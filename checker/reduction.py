"""Partial-order reduction for the explicit engine: static analysis of the moves.

A safe proof needs every reachable violation to be found, not every interleaving of
moves that do not affect each other. This module reads the step definition
(`step.py`) and says, for a control vector (every thread's status and program
counter), which few moves a breadth-first search may follow instead of all enabled
ones. The explicit engine uses it only to prove a spec safe; every counterexample,
its length and its tie order still come from the ordinary search (see
`engines/explicit.py`).

**Footprints and dependence.** A move reads the slots its condition and update terms
read (`terms.reads_of`) and, for a thread move, its thread's program counter and
status; it writes the slots in `updates` and, for a thread move, the program counter
and status. Two moves are *dependent* when one writes a slot the other reads or
writes; independent moves neither enable nor disable each other and commute.

**Components** (`components`): actors (each thread; each page, for the asynchronous
host moves that act on it) joined when any two of their moves are dependent. In
`churn` each CPU with the host actions on its own page is one component. A component
is *visible* when one of its moves writes a slot that a `never` condition reads.

**Ample sets** (`Stubborn`). The search uses a finer, program-counter-sensitive form
of the same idea: at a state, a thread can only ever execute the moves at the program
counters reachable from its current one, and it must take a move at its current
counter before any other of its moves. From a seed (a running thread's moves at its
current counter, or the host moves of one page), the closure adds, for every group of
moves that may be enabled (current counters, host moves), every group still possible
that is dependent on it, and for a group at a thread's later counter (disabled) only
that thread's current group (a necessary enabling set). The result is a *stubborn
set*; its enabled moves form a persistent set (Valmari; Godefroid 1996). With one
component per thread and page this is exactly "the enabled moves of one component".
The engine tries the candidate sets smallest first, and takes the first whose enabled
moves

- C0: are not empty (otherwise the next candidate);
- C1: hold by construction: no move outside the set that can still happen from the
  state depends on a move in it, so along every run from the state some move of the
  set comes first or all of them stay enabled and commute with what is done instead;
- C2: are invisible: no move of the set's groups writes a slot a `never` condition
  reads, and no enabled move of the set ends in a violation (a violating move found
  enabled makes the engine expand the state fully);
- C3 (the cycle proviso): do not include the state itself. The engine reduces only
  specs for which `run_bound` holds: no thread loops and the host moves on a page
  cannot cycle on their own. Then every run whose steps all change the state is at
  most `run_bound` steps long, so the only cycles of the state graph are self-loops
  (a host move that changes nothing), and excluding those leaves every cycle of the
  reduced graph fully expanded, which is what C3 asks. (The general breadth-first
  proviso, "no successor in a layer up to the current one", fails at every pair of
  paths of equal length that meet, and expands most states fully.)

When no candidate passes, the state is expanded fully. By the standard ample-set
theorem (Clarke, Grumberg, Peled, *Model Checking*, ch. 10: C0-C3), every run of the
full graph is stuttering-equivalent to one of the reduced graph with respect to the
visible slots and the violating moves, so a violation (assertion, silent-loss,
undefined, fault: violating moves; `never`: a visible state) is reachable in the
reduced graph if and only if it is reachable at all; and persistent sets alone (C0,
C1) keep every reachable deadlock (Godefroid, LNCS 1032, thm. 6.14).

**What it does not keep.** The reduced graph keeps reachability, not distances: a
violation may lie deeper in it than in the full graph, and its first one need not be
the shortest nor the first in the property order. A reduced search that closes
without a violation proves the spec safe for runs of any length; a violation it finds
is only a reason to run the ordinary search. Nor does it tell whether the full
graph closes within the bound (`complete`); `run_bound` gives a number no shortest
run exceeds, and the engine uses the reduction only when it is within the bound.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import TypeVar

from . import ir
from . import terms as T
from .step import HOST, Move, Status, StepDefinition

Actor = tuple[str, int]  # ("thread", t) or ("page", p)


@dataclass(frozen=True, slots=True)
class Footprint:
    reads: frozenset[int]
    writes: frozenset[int]

    def depends(self, other: Footprint) -> bool:
        """One writes a slot the other reads or writes."""
        return bool(
            self.writes & (other.reads | other.writes) or other.writes & self.reads
        )

    def __or__(self, other: Footprint) -> Footprint:
        return Footprint(self.reads | other.reads, self.writes | other.writes)


NOTHING = Footprint(frozenset(), frozenset())


def footprint(d: StepDefinition, move: Move) -> Footprint:
    """The slots `move` reads (for its condition and new values) and writes."""
    reads = T.reads_of(move.condition)
    for _, term in move.updates:
        reads |= T.reads_of(term)
    writes = {slot for slot, _ in move.updates}
    if move.actor != HOST:
        ts = d.layout.threads[move.actor]
        reads |= {ts.pc, ts.status}
        writes |= {ts.pc, ts.status}
    return Footprint(frozenset(reads), frozenset(writes))


def host_page(move: Move) -> int:
    """The page an asynchronous host move acts on."""
    page = move.events[0].page if move.events else None
    assert page is not None, move
    return page


def actor_of(move: Move) -> Actor:
    return ("page", host_page(move)) if move.actor == HOST else ("thread", move.actor)


def visible_slots(d: StepDefinition) -> frozenset[int]:
    """The slots a checked `never` condition reads."""
    if "never" not in d.spec.properties:
        return frozenset()
    out: set[int] = set()
    for cond, _ in d.nevers:
        out |= T.reads_of(cond)
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class Component:
    actors: tuple[Actor, ...]
    moves: tuple[int, ...]
    visible: bool


def components(d: StepDefinition) -> tuple[Component, ...]:
    """Actors joined when any of their moves are dependent, in the order of their
    first actor (threads in declaration order, then pages)."""
    actors: list[Actor] = [("thread", t) for t in range(len(d.layout.threads))]
    actors += sorted({actor_of(m) for m in d.host_moves})
    index = {a: k for k, a in enumerate(actors)}
    parent = list(range(len(actors)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    prints = [footprint(d, m) for m in d.moves]
    per_actor: list[Footprint] = [NOTHING] * len(actors)
    for m, fp in zip(d.moves, prints, strict=True):
        k = index[actor_of(m)]
        per_actor[k] = per_actor[k] | fp
    for a, b in itertools.combinations(range(len(actors)), 2):
        if per_actor[a].depends(per_actor[b]):
            parent[root(a)] = root(b)
    visible = visible_slots(d)
    groups: dict[int, list[int]] = {}
    for k in range(len(actors)):
        groups.setdefault(root(k), []).append(k)
    out = []
    for members in sorted(groups.values()):
        moves = tuple(m.index for m in d.moves if index[actor_of(m)] in members)
        writes = frozenset().union(*(per_actor[k].writes for k in members))
        out.append(
            Component(tuple(actors[k] for k in members), moves, bool(writes & visible))
        )
    return tuple(out)


# --------------------------------------------------------------------------- ample sets


Expand = Callable[[int, list[int], list[int]], None]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One stubborn set at a control vector: the functions that append the
    successors of its enabled moves (thread groups at their current counter, host
    moves of pages), the numbers of those groups (`move_groups`), and whether one of
    them is visible."""

    calls: tuple[Expand, ...]
    groups: tuple[int, ...]
    visible: bool


def move_groups(d: StepDefinition) -> list[tuple[int, int]]:
    """The groups of moves a stubborn set is made of, numbered in this order:
    (t, pc) for every counter of every thread, then (HOST, p) for every page the
    host acts on."""
    groups = [(t, pc) for t, per_pc in enumerate(d.by_pc) for pc in range(len(per_pc))]
    return groups + [(HOST, p) for p in sorted({host_page(m) for m in d.host_moves})]


class Stubborn:
    """Candidate ample sets per control vector (see the module docstring).

    `thread_calls[t][pc]` and `page_calls[p]` are the compiled functions of a thread's
    moves at one counter and of one page's host moves (`packed.PackedStep`).
    """

    def __init__(
        self,
        d: StepDefinition,
        thread_calls: Sequence[Sequence[Expand]],
        page_calls: dict[int, Expand],
    ) -> None:
        self.d = d
        self.thread_calls = thread_calls
        self.page_calls = page_calls
        visible = visible_slots(d)
        self.groups = move_groups(d)
        prints: list[Footprint] = []
        self.thread_group: list[list[int]] = [[] for _ in d.by_pc]
        self.page_group: dict[int, int] = {}
        for g, (t, k) in enumerate(self.groups):
            if t == HOST:
                self.page_group[k] = g
                moves = [m for m in d.host_moves if host_page(m) == k]
                changed = NOTHING
            else:
                self.thread_group[t].append(g)
                moves = list(d.by_pc[t][k])
                ts = d.layout.threads[t]
                changed = Footprint(frozenset(), frozenset({ts.pc, ts.status}))
            for m in moves:
                changed = changed | footprint(d, m)
            prints.append(changed)
        n = len(self.groups)
        self.visible = [bool(fp.writes & visible) for fp in prints]
        self.dependents: list[tuple[int, ...]] = [
            tuple(h for h in range(n) if h != g and prints[g].depends(prints[h]))
            for g in range(n)
        ]
        self.reach = [_reachable(d, t) for t in range(len(d.by_pc))]
        self._cache: dict[tuple[int, ...], tuple[Candidate, ...]] = {}

    def candidates(self, control: tuple[int, ...]) -> tuple[Candidate, ...]:
        """The candidates, smallest first, for `control`: per thread its program
        counter, or -1 when it is not running. Only proper subsets of all enabled
        groups are listed (the full expansion is the engine's fallback)."""
        cached = self._cache.get(control)
        if cached is None:
            cached = self._cache[control] = self._compute(control)
        return cached

    def _compute(self, control: tuple[int, ...]) -> tuple[Candidate, ...]:
        possible: set[int] = set(self.page_group.values())
        current: dict[int, int] = {}  # thread -> its current group
        for t, pc in enumerate(control):
            if pc < 0 or pc >= len(self.thread_group[t]):
                continue
            current[t] = self.thread_group[t][pc]
            possible |= {self.thread_group[t][q] for q in self.reach[t][pc]}
        active = set(current.values()) | set(self.page_group.values())
        seeds = [current[t] for t in sorted(current)] + sorted(self.page_group.values())
        found: dict[frozenset[int], int] = {}
        for seed in seeds:
            closed = {seed}
            work = [seed]
            while work:
                g = work.pop()
                if g in active:
                    more: Sequence[int] = [
                        h for h in self.dependents[g] if h in possible
                    ]
                else:  # a later counter of a running thread: its current group
                    more = (current[self.groups[g][0]],)
                for h in more:
                    if h not in closed:
                        closed.add(h)
                        work.append(h)
            chosen = frozenset(closed & active)
            if chosen != active:
                found.setdefault(chosen, len(found))
        out = []
        for chosen in sorted(found, key=lambda c: (len(c), found[c])):
            calls = []
            for g in sorted(chosen):
                t, k = self.groups[g]
                calls.append(
                    self.page_calls[k] if t == HOST else self.thread_calls[t][k]
                )
            out.append(
                Candidate(
                    tuple(calls),
                    tuple(sorted(chosen)),
                    any(self.visible[g] for g in chosen),
                )
            )
        return tuple(out)


def _next_pcs(d: StepDefinition, move: Move) -> int | None:
    """The counter a thread move leads to, or None when the thread stops there (or
    the move ends in a violation)."""
    if move.violation is not None:
        return None
    ts = d.layout.threads[move.actor]
    updates = dict(move.updates)
    status = updates.get(ts.status)
    if isinstance(status, T.Lit) and status.value != Status.RUNNING:
        return None
    pc = updates.get(ts.pc)
    if pc is None:
        return move.pc
    assert isinstance(pc, T.Lit), pc
    return int(pc.value)


def _reachable(d: StepDefinition, t: int) -> list[frozenset[int]]:
    """For each counter of thread `t`, the counters reachable from it (itself
    included)."""
    per_pc = d.by_pc[t]
    succ = [
        {q for m in moves if (q := _next_pcs(d, m)) is not None and q < len(per_pc)}
        for moves in per_pc
    ]
    out = []
    for pc in range(len(per_pc)):
        seen = {pc}
        work = [pc]
        while work:
            for q in succ[work.pop()]:
                if q not in seen:
                    seen.add(q)
                    work.append(q)
        out.append(frozenset(seen))
    return out


# --------------------------------------------------------------------------- run bound


#: Beyond this many combinations of a page's slot values the bound is not computed.
MAX_PAGE_NODES = 4096


def run_bound(d: StepDefinition) -> int | None:
    """A number of steps that no shortest run to a reachable state exceeds, when the
    threads have no loops and the host's moves on a page, on their own, cannot cycle;
    else None.

    A thread makes at most as many steps as its longest path of counters (`L`). The
    host moves on page p change only p's slots, so a run none of whose steps is a
    self-loop (a host move that changes nothing) makes at most `sum L + sum_p H_p`
    steps, `H_p` the most host moves on p in any run (`_host_steps`): the state graph
    has no cycles but self-loops, and every reachable state is reached within that
    many steps. When this is within the bound, the full graph closes within the bound
    exactly when it has no violation: `complete` needs no full search.
    """
    page_prints: dict[int, Footprint] = {}
    page_moves: dict[int, list[Move]] = {}
    for m in d.host_moves:
        p = host_page(m)
        page_prints[p] = page_prints.get(p, NOTHING) | footprint(d, m)
        page_moves.setdefault(p, []).append(m)
    total = 0
    for t in range(len(d.by_pc)):
        longest = _longest(d, t, lambda m: 1)
        if longest is None:
            return None
        total += longest
    for p, moves in page_moves.items():
        steps = _host_steps(d, moves, page_prints[p])
        if steps is None:
            return None
        total += steps
    return total


def _host_steps(d: StepDefinition, moves: list[Move], fp: Footprint) -> int | None:
    """The most host moves on one page (`moves`, footprint `fp`) that change the
    state in a run; None when they can cycle on their own.

    Exactly, where it is small enough: the heaviest path of the page's *abstract
    run graph* (`_PageRuns`), which follows the page's slots and the counters of the
    threads that write them, so that it counts only host moves that the threads'
    own updates of the page leave possible. Else an estimate from the page's height
    `H` alone: between two moves of threads that touch the page (write a slot the
    host moves read or write, or read one they write) the host moves form a path in
    the graph of the page's values, so at most `H * (1 + sum_t W_t)` of them, `W_t`
    the most touching moves on a path of thread t.
    """
    graph = _PageRuns.build(d, moves, fp)
    steps = None if graph is None else graph.heaviest()
    if steps is not None:
        return steps
    height = _host_height(d, moves, fp)
    if height is None:
        return None
    touches = 0
    slots = fp.reads | fp.writes
    for t in range(len(d.by_pc)):

        def touch(m: Move) -> int:
            own = footprint(d, m)
            return int(bool(own.writes & slots or own.reads & fp.writes))

        w = _longest(d, t, touch)
        assert w is not None
        touches += w
    return height * (1 + touches)


#: Beyond this many nodes the abstract run graph of a page is not built.
MAX_RUN_NODES = 200_000

_Node = tuple[tuple[ir.Value, ...], tuple[int, ...]]


@dataclass(frozen=True, slots=True)
class _Effect:
    """A thread move as the page sees it: its condition when that reads only the
    page's slots (else None: it may be enabled), the counters it may lead to (`_Jumps`),
    and per updated page slot its term, or None when any value is possible."""

    condition: T.Term | None
    to: tuple[int, ...]
    updates: tuple[tuple[int, T.Term | None], ...]


class _PageRuns:
    """The runs of one page's slots as its host moves and the threads that write
    those slots see them. A node is the page's slot values and, for each such thread,
    a counter at which it has a move that writes the page's slots or tests them (past
    its last counter: finished); the thread's other moves are passed over. A thread
    move goes from its counter to the next such counters with its updates of the
    page's slots; it is taken as possible whenever its condition reads a slot outside
    the page, and an update whose value depends on such a slot may give any value. A
    host move that changes the page's slots weighs 1. Every run of the spec,
    restricted to these slots and counters, is a path here, so the heaviest path
    bounds the host moves on the page in a run. Threads must not loop."""

    def __init__(
        self,
        d: StepDefinition,
        host: Sequence[Move],
        slots: tuple[int, ...],
        domains: tuple[Sequence[ir.Value], ...],
    ) -> None:
        self.d = d
        self.host = tuple(host)
        self.slots = slots
        self.domains = domains
        self.position = position = {slot: k for k, slot in enumerate(slots)}
        page = set(slots)

        def relevant(m: Move) -> bool:
            return bool(
                T.reads_of(m.condition) & page
                or any(slot in page for slot, _ in m.updates)
            )

        self.threads = tuple(
            t
            for t, per_pc in enumerate(d.by_pc)
            if any(slot in page for ms in per_pc for m in ms for slot, _ in m.updates)
        )
        self.starts: list[tuple[int, ...]] = []
        self.effects: list[dict[int, list[_Effect]]] = []
        for t in self.threads:
            per_pc = d.by_pc[t]
            jumps = _Jumps(d, t, relevant)
            self.starts.append(jumps.targets(d.spec.threads[t].entry))
            rows: dict[int, list[_Effect]] = {}
            for pc, moves in enumerate(per_pc):
                if not jumps.stops(pc):
                    continue
                rows[pc] = [
                    _Effect(
                        m.condition if T.reads_of(m.condition) <= page else None,
                        jumps.targets(_next_pcs(d, m)),
                        tuple(
                            (
                                position[slot],
                                term if T.reads_of(term) <= page else None,
                            )
                            for slot, term in m.updates
                            if slot in page
                        ),
                    )
                    for m in moves
                    if m.violation is None
                ]
            self.effects.append(rows)

    @staticmethod
    def build(
        d: StepDefinition, host: Sequence[Move], fp: Footprint
    ) -> _PageRuns | None:
        """None when a slot of the page has no finite domain."""
        slots = tuple(sorted(fp.reads | fp.writes))
        domains = []
        for slot in slots:
            dom = _domain(d, slot)
            if dom is None:
                return None
            domains.append(dom)
        return _PageRuns(d, host, slots, tuple(domains))

    def _values(self, vals: tuple[ir.Value, ...]) -> list[ir.Value]:
        values = list(self.d.initial)
        for slot, v in zip(self.slots, vals, strict=True):
            values[slot] = v
        return values

    def successors(self, node: _Node) -> list[tuple[int, _Node]]:
        vals, pcs = node
        values = self._values(vals)
        out: list[tuple[int, _Node]] = []
        for m in self.host:
            if not T.evaluate(m.condition, values):
                continue
            new = list(vals)
            for slot, term in m.updates:
                new[self.position[slot]] = T.evaluate(term, values)
            if tuple(new) != vals:
                out.append((1, (tuple(new), pcs)))
        for k, pc in enumerate(pcs):
            for e in self.effects[k].get(pc, ()):
                if e.condition is not None and not T.evaluate(e.condition, values):
                    continue
                choices: list[Sequence[tuple[int, ir.Value]]] = [
                    [(i, T.evaluate(term, values))]
                    if term is not None
                    else [(i, v) for v in self.domains[i]]
                    for i, term in e.updates
                ]
                for chosen in itertools.product(*choices):
                    new = list(vals)
                    for i, v in chosen:
                        new[i] = v
                    for to in e.to:
                        out.append((0, (tuple(new), (*pcs[:k], to, *pcs[k + 1 :]))))
        return out

    def heaviest(self) -> int | None:
        """The most host moves on a path from the initial node; None on a cycle or
        when the graph grows beyond `MAX_RUN_NODES`."""
        vals = tuple(self.d.initial[s] for s in self.slots)
        memo: dict[_Node, int] = {}
        best = 0
        for pcs in itertools.product(*self.starts):
            found = self._heaviest((vals, pcs), memo)
            if found is None:
                return None
            best = max(best, found)
        return best

    def _heaviest(self, start: _Node, memo: dict[_Node, int]) -> int | None:
        if start in memo:
            return memo[start]
        on_path = {start}
        stack = [_Frame(start, self.successors(start))]
        while stack:
            frame = stack[-1]
            if frame.next < len(frame.edges):
                weight, nxt = frame.edges[frame.next]
                frame.next += 1
                if nxt in memo:
                    frame.best = max(frame.best, weight + memo[nxt])
                    continue
                if nxt in on_path or len(memo) >= MAX_RUN_NODES:
                    return None
                on_path.add(nxt)
                stack.append(_Frame(nxt, self.successors(nxt)))
                continue
            stack.pop()
            on_path.discard(frame.node)
            memo[frame.node] = frame.best
            if stack:
                parent = stack[-1]
                weight = parent.edges[parent.next - 1][0]
                parent.best = max(parent.best, weight + frame.best)
        return memo[start]


@dataclass(slots=True)
class _Frame:
    """A node on the depth-first path of `_PageRuns.heaviest`."""

    node: _Node
    edges: list[tuple[int, _Node]]
    next: int = 0
    best: int = 0


class _Jumps:
    """Where a thread goes when the moves that `relevant` rejects are passed over:
    from a counter, the counters with a relevant move (or none at all) that paths
    of other moves lead to, and `len(per_pc)` for a thread that finishes."""

    def __init__(
        self, d: StepDefinition, t: int, relevant: Callable[[Move], bool]
    ) -> None:
        self.d = d
        self.per_pc = d.by_pc[t]
        self.relevant = relevant
        self.memo: dict[int, tuple[int, ...]] = {}

    def stops(self, pc: int) -> bool:
        moves = self.per_pc[pc]
        return not moves or any(self.relevant(m) for m in moves)

    def targets(self, pc: int | None) -> tuple[int, ...]:
        end = len(self.per_pc)
        if pc is None or pc >= end:
            return (end,)
        if pc in self.memo:
            return self.memo[pc]
        if self.stops(pc):
            out: tuple[int, ...] = (pc,)
        else:
            found: set[int] = set()
            for m in self.per_pc[pc]:
                if m.violation is None:
                    found.update(self.targets(_next_pcs(self.d, m)))
            out = tuple(sorted(found))
        self.memo[pc] = out
        return out


def _domain(d: StepDefinition, slot: int) -> Sequence[ir.Value] | None:
    """Every value of a slot, or None for an integer."""
    s = d.layout.slots[slot]
    if s.sort == "bool":
        return (False, True)
    if s.sort == "result":
        return ("ok", "fail")
    if s.sort == "enum":
        return range(s.size)
    return None


def _longest(d: StepDefinition, t: int, weight: Callable[[Move], int]) -> int | None:
    """The heaviest path of thread `t`'s moves from its entry; None on a loop."""
    per_pc = d.by_pc[t]

    def edges(pc: int) -> list[tuple[int, int | None]]:
        if pc >= len(per_pc):
            return []
        return [(weight(m), _next_pcs(d, m)) for m in per_pc[pc] if m.violation is None]

    return _heaviest(d.spec.threads[t].entry, edges, {})


Node = TypeVar("Node", int, tuple[ir.Value, ...])


def _heaviest(
    node: Node,
    edges: Callable[[Node], list[tuple[int, Node | None]]],
    memo: dict[Node, int],
) -> int | None:
    """The heaviest path from `node` in the graph of `edges` (weight, target; None:
    the path ends); None when a cycle is reachable. `memo` is shared between calls
    on one graph."""
    on_path: set[Node] = set()

    def go(n: Node) -> int | None:
        if n in memo:
            return memo[n]
        if n in on_path:
            return None
        on_path.add(n)
        best = 0
        for w, nxt in edges(n):
            rest = 0 if nxt is None else go(nxt)
            if rest is None:
                return None
            best = max(best, w + rest)
        on_path.discard(n)
        memo[n] = best
        return best

    return go(node)


def _host_height(d: StepDefinition, moves: list[Move], fp: Footprint) -> int | None:
    """The longest path in the graph of one page's values under its host moves alone
    (self-loops left out); None when it has a cycle or is too large to build."""
    slots = sorted(fp.reads | fp.writes)
    domains: list[Sequence[ir.Value]] = []
    for slot in slots:
        dom = _domain(d, slot)
        if dom is None:
            return None
        domains.append(dom)
    size = 1
    for dom in domains:
        size *= len(dom)
    if size > MAX_PAGE_NODES:
        return None
    base = list(d.initial)

    def successors(
        node: tuple[ir.Value, ...],
    ) -> list[tuple[int, tuple[ir.Value, ...] | None]]:
        values = list(base)
        for slot, v in zip(slots, node, strict=True):
            values[slot] = v
        out: list[tuple[int, tuple[ir.Value, ...] | None]] = []
        for m in moves:
            if not T.evaluate(m.condition, values):
                continue
            new = list(values)
            for slot, term in m.updates:
                new[slot] = T.evaluate(term, values)
            nxt = tuple(new[slot] for slot in slots)
            if nxt != node:
                out.append((1, nxt))
        return out

    memo: dict[tuple[ir.Value, ...], int] = {}
    best = 0
    for node in itertools.product(*domains):
        h = _heaviest(node, successors, memo)
        if h is None:
            return None
        best = max(best, h)
    return best


# --------------------------------------------------------------------------- local steps


@dataclass(frozen=True, slots=True)
class LocalSteps:
    """The program counters at which a thread's step is local (`local_steps`), per
    thread, and the most local steps a thread can take in a row from any counter."""

    counters: tuple[frozenset[int], ...]
    longest: tuple[int, ...]

    @property
    def any(self) -> bool:
        return any(self.counters)


def merged_fanout(d: StepDefinition, local: LocalSteps) -> int:
    """The most successors and violating moves one expansion can give when each
    thread's local steps are merged into its next step (`engines/explicit.py`): a
    chain from a local counter also ends in every move of each counter it reaches."""

    @cache
    def ends(t: int, pc: int) -> int:
        if pc >= len(d.by_pc[t]):
            return 0
        moves = d.by_pc[t][pc]
        if pc not in local.counters[t]:
            return len(moves)
        after = (_next_pcs(d, m) for m in moves)
        return len(moves) + sum(ends(t, n) for n in after if n is not None)

    widest = [
        max(map(partial(ends, t), range(len(p))), default=0)
        for t, p in enumerate(d.by_pc)
    ]
    return sum(widest) + len(d.host_moves)


def local_steps(d: StepDefinition) -> LocalSteps:
    """Counters whose every move is independent of every move of every other actor
    (thread or host) and writes no slot a `never` condition reads: the thread's own
    locals, counter and status only. Such a step commutes with everything, no other
    step enables or disables it, and no property but its own violation (a local
    `assert`) sees it, so a search may defer it to just before the thread's next
    other step without changing any shortest run's length (`engines/explicit.py`).
    Counters on a cycle of local counters are left out, so that a chain of local
    steps is finite."""
    prints = [footprint(d, m) for m in d.moves]
    visible = visible_slots(d)
    counters: list[frozenset[int]] = []
    longest: list[int] = []
    for t, per_pc in enumerate(d.by_pc):
        others = NOTHING
        for m in d.moves:
            if m.actor != t:
                others = others | prints[m.index]
        local = {
            pc
            for pc, moves in enumerate(per_pc)
            if moves
            and all(
                not prints[m.index].depends(others)
                and not prints[m.index].writes & visible
                for m in moves
            )
        }

        def edges(
            pc: int,
            local: set[int] = local,
            per_pc: tuple[tuple[Move, ...], ...] = per_pc,
        ) -> list[tuple[int, int | None]]:
            if pc not in local:
                return []
            return [(1, _next_pcs(d, m)) for m in per_pc[pc] if m.violation is None]

        memo: dict[int, int] = {}
        cyclic = {pc for pc in local if _heaviest(pc, edges, memo) is None}
        local -= cyclic
        memo.clear()
        chains = [_heaviest(pc, edges, memo) for pc in local]
        counters.append(frozenset(local))
        longest.append(max((n for n in chains if n is not None), default=0))
    return LocalSteps(tuple(counters), tuple(longest))
