"""The explicit-state engine: breadth-first search over packed states.

Shortest counterexamples by construction (BFS layers are run lengths; ties go to the
reference's property order, then to the first found); `complete` when the states
reachable within the bound are closed under the step function. A state is an integer
of `packed.py`; besides its place in the set of visited states, a stored state keeps
the index of the state it was first reached from and its position among that state's
successors. A trace is rebuilt from those links and replayed on the reference
semantics (`semantics.py`), which must agree step by step.

With `reduction` (the default), a spec is first searched with the partial-order
reduction of `reduction.py`, which keeps every reachable violation but not its
distance: when that search closes without a violation, the spec is safe for runs of
any length, and `complete` is exact because `reduction.run_bound` shows that every
reachable state lies within the bound. Otherwise (a violation found, a loop, a bound
too small to tell, or half the time spent) the ordinary search answers, so
counterexamples, their lengths, the property order and `complete` are those of the
search without reduction. A spec with symmetric threads skips the reduction: the
ordinary search then stores one state per orbit (`symmetry.py`), which keeps shortest
lengths too and, where threads run one program and so contend for the same shared
state, reduces far more. The ordinary search also merges each thread's local steps
(steps on its own locals alone, `reduction.local_steps`) into the thread's next step
(`_Chains`) and expands states in order of their distance in steps of the
reference, each merged step counting the steps it stands for (`_weighted`): shortest
lengths, the property order among them and `complete` stay those of the unmerged
search (where the bound is too near to tell `complete`, the unmerged search
answers). `Stats.reduction` names the reductions behind the states counted, and
`Stats.extra` says why the partial-order one was not used.

Each search starts in Python and, once it stores `native.SWITCH_AT` states, starts again in
C (`native.py`), which stores the same states in the same order: small searches never
wait for a compiler, large ones run a hundred times faster.
"""

from __future__ import annotations

import os
import sys
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

from .. import ir, native
from ..errors import InternalError, LimitReached
from ..ir import LIVENESS_PROPERTIES
from ..liveness import find_lasso
from ..packed import PackedStep, WidthExceeded, compiled
from ..progress import Progress, ProgressInfo
from ..reduction import Candidate, LocalSteps, Stubborn, local_steps, run_bound
from ..result import EngineOutcome, Stats, Verdict
from ..semantics import GlobalState, Semantics, Successor
from ..symmetry import canonicalizer, symmetric_groups
from ..trace import Trace, explained

#: Expansions between two looks at the clock and at the memory in use.
CHECK_EVERY = 8192
#: Integer fields start at most this wide; a search whose values outgrow them starts
#: again with the width the bound allows (`step.int_width`), which may be far wider.
NARROW_INT_BITS = 32

Answer = TypeVar("Answer")


def default_memory_mb() -> int:
    """Half of this machine's physical memory (4096 MB where it cannot be read)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 4096
    return max(64, total // 2 // 2**20)


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A violating step found in a layer: from stored state `parent`, either move
    `move` (a violation of the step's own) or successor number `position` (a violation
    of the state it reaches: `never` or deadlock)."""

    rank: int
    parent: int
    order: int
    prop: str
    move: int | None = None
    position: int | None = None
    weight: int = 1
    """The steps from `parent` to the violation (more than one when local steps
    were merged into it)."""


@dataclass(frozen=True, slots=True)
class _Reductions:
    """Which reductions the search may use (`check_explicit`'s options), and whether
    a large full search may go on in C."""

    partial_order: bool
    symmetry: bool
    local_steps: bool
    native: bool = True


class _Search:
    def __init__(
        self,
        sem: Semantics,
        packed: PackedStep,
        bound: int,
        deadline: float,
        memory_mb: int | None,
        options: _Reductions,
        chains: _Chains | None = None,
    ) -> None:
        self.spec = sem.spec
        self.chains = chains
        self.bound = bound
        self.sem = sem
        self.definition = self.sem.definition
        self.packed = packed
        self.deadline = deadline
        self.memory_limit = (memory_mb or default_memory_mb()) * 2**20
        self.canon = canonicalizer(self.packed) if options.symmetry else None
        self.normal = self.canon
        self.s0 = self._key(self.packed.pack(self.definition.initial))
        self.frontier = [self.s0]
        self.first = 0
        self.switch: _NativeSwitch | None = None
        self.seen: set[int] = {self.s0}
        self.parent = array("I", [0])
        self.position = array("B" if len(self.definition.moves) < 256 else "H", [0])
        self.transitions = 0
        self.depth = 0
        # the expansion by distance (`expand_at`): the states waiting at each
        # distance with their index, the distance and index of each state not yet
        # expanded, and what lay beyond the bound
        self._layers: dict[int, list[tuple[int, int]]] = {0: [(self.s0, 0)]}
        self._pending: dict[int, tuple[int, int]] = {self.s0: (0, 0)}
        self._over: set[int] = set()
        self._beyond = False
        self._deepest = 0
        self._ranks = [
            ir.PROPERTIES.index(m.violation.prop) if m.violation else -1
            for m in self.definition.moves
        ]
        self._props = [
            m.violation.prop if m.violation else "" for m in self.definition.moves
        ]
        self._never_rank = ir.PROPERTIES.index("never")
        self._deadlock_rank = ir.PROPERTIES.index("deadlock")

    # -- the search
    @property
    def stored(self) -> int:
        return len(self.parent)

    def layer(self, beyond: bool) -> tuple[bool, list[_Candidate]]:
        """Expand the current layer; whether the next has states, and the violations
        found. Beyond the bound, stop at the first sign of a state or violation not
        yet seen."""
        start = len(self.parent)
        nxt, found = self._layer(self.frontier, self.first, beyond)
        self.frontier, self.first = nxt, start
        return bool(nxt), found

    def _layer(
        self, frontier: list[int], first: int, beyond: bool
    ) -> tuple[list[int], list[_Candidate]]:
        """Expand one BFS layer whose states are stored from index `first` on."""
        expand = self.packed.expand
        never = (
            self.packed.never
            if self.definition.nevers and "never" in self.spec.properties
            else None
        )
        deadlock = "deadlock" in self.spec.properties
        seen, parent, position = self.seen, self.parent, self.position
        normal = self.normal
        self.check_limits()
        found: list[_Candidate] = []
        nxt: list[int] = []
        ranks, props = self._ranks, self._props
        add, link, place, grow = seen.add, parent.append, position.append, nxt.append
        plain = never is None and not deadlock
        for k, s in enumerate(frontier):
            index = first + k
            out: list[int] = []
            bad: list[int] = []
            expand(s, out, bad)
            if normal is not None:
                out = [normal(t) for t in out]
            self.transitions += len(out) + len(bad)
            for m in bad:
                found.append(_Candidate(ranks[m], index, m, props[m], move=m))
            if plain:
                for t in out:
                    if t not in seen:
                        add(t)
                        link(index)
                        place(out.index(t))
                        grow(t)
            else:
                for j, t in enumerate(out):
                    if t in seen:
                        continue
                    if never is not None and never(t) >= 0:
                        found.append(
                            _Candidate(self._never_rank, index, j, "never", position=j)
                        )
                    elif deadlock and self.packed.deadlocked(t):
                        found.append(
                            _Candidate(
                                self._deadlock_rank, index, j, "deadlock", position=j
                            )
                        )
                    else:
                        add(t)
                        link(index)
                        place(j)
                        grow(t)
            if beyond and (found or nxt):
                break
            if k % CHECK_EVERY == CHECK_EVERY - 1:
                self.check_limits()
        return nxt, found

    def queued(self) -> bool:
        """Some state waits to be expanded by distance (`expand_at`)."""
        return bool(self._layers)

    def expand_at(self, w: int) -> list[_Candidate]:
        """Expand the states at distance `w` by merged steps (`_Chains`): a
        successor that stands for k steps lies at w + k. A state first reached by a
        long merged step may be reached later by a shorter one; it then moves to the
        nearer distance, with the new link. The violations found, with their
        lengths."""
        chains = self.chains
        assert chains is not None
        expand, split_state, split_move = (
            chains.expand,
            chains.split_state,
            chains.split_move,
        )
        top = (1 << self.packed.bits) - 1
        bound, normal = self.bound, self.normal
        seen, parent, position = self.seen, self.parent, self.position
        pending, layers = self._pending, self._layers
        never = (
            self.packed.never
            if self.definition.nevers and "never" in self.spec.properties
            else None
        )
        ranks, props = self._ranks, self._props
        found: list[_Candidate] = []
        for k, (s, index) in enumerate(layers.pop(w, ())):
            if pending.get(s, (-1, 0))[0] != w:
                continue
            del pending[s]
            out: list[int] = []
            bad: list[int] = []
            expand(s, out, bad)
            self.transitions += len(out) + len(bad)
            for j, m in enumerate(bad):
                m, steps = split_move(m)
                if w + steps > bound:
                    self._beyond = True
                else:
                    found.append(
                        _Candidate(
                            ranks[m],
                            index,
                            j,
                            props[m],
                            move=m,
                            position=j,
                            weight=w + steps,
                        )
                    )
            for j, t in enumerate(out):
                v = w + 1
                if t > top:
                    t, steps = split_state(t)
                    v = w + steps
                if normal is not None:
                    t = normal(t)
                if t in seen:
                    known = pending.get(t)
                    if known is not None and v < known[0]:
                        parent[known[1]] = index
                        position[known[1]] = j
                        pending[t] = (v, known[1])
                        layers.setdefault(v, []).append((t, known[1]))
                    continue
                if v > bound:
                    self._over.add(t)
                    continue
                if never is not None and never(t) >= 0:
                    found.append(
                        _Candidate(
                            self._never_rank, index, j, "never", position=j, weight=v
                        )
                    )
                    continue
                seen.add(t)
                pending[t] = (v, len(parent))
                layers.setdefault(v, []).append((t, len(parent)))
                parent.append(index)
                position.append(j)
                self._deepest = max(self._deepest, v)
            if k % CHECK_EVERY == CHECK_EVERY - 1:
                self.check_limits()
        return found

    def beyond_bound(self) -> bool:
        """A violation by distance lay beyond the bound."""
        return self._beyond

    def over_unseen(self) -> bool:
        """A state first met beyond the bound was never stored."""
        return not self._over <= self.seen

    def deepest(self) -> int:
        """The greatest distance of a state stored by `expand_at`."""
        return self._deepest

    def check_limits(self) -> None:
        if self.switch is not None:
            self.switch.check(self.stored)
        if time.monotonic() > self.deadline:
            raise LimitReached(f"time limit reached {self.reached()}")
        if self.stored_bytes() > self.memory_limit:
            raise LimitReached(
                f"memory limit reached ({self.memory_limit // 2**20} MB) {self.reached()}"
            )

    def reached(self) -> str:
        return f"at depth {self.depth}"

    def stats(self, depth: int) -> Stats:
        return Stats(
            states=self.stored,
            transitions=self.transitions,
            depth=depth,
            bytes_per_state=self.bytes_per_state(),
            reduction=",".join(
                name
                for name, used in (
                    ("symmetry", self.canon is not None),
                    ("local-steps", self.chains is not None),
                )
                if used
            )
            or None,
        )

    def stored_bytes(self) -> int:
        """What the stored states take: each integer, the set that holds them, and the
        two links per state (what `--memory` limits)."""
        links = len(self.parent) * (self.parent.itemsize + self.position.itemsize)
        return _set_bytes(self.seen, self.packed.bits) + links

    def bytes_per_state(self) -> float:
        return self.stored_bytes() / self.stored

    # -- traces
    def trace(self, c: _Candidate) -> Trace:
        """The run to candidate `c`, replayed on the reference semantics.

        Under symmetry the stored states stand for their orbits: each step of the
        replay takes the first successor, in the reference's order, of the real state
        whose representative is the next stored state, so that the trace names the
        spec's own threads."""
        chain = [c.parent]
        while chain[-1] != 0:
            chain.append(self.parent[chain[-1]])
        chain.reverse()
        path: list[int] = []
        current = self.s0
        for index in chain[1:]:
            link = self._paths(current)[0][self.position[index]]
            path += link
            current = link[-1]
        out_paths, bad_paths = self._paths(current)
        if c.move is not None:
            path += bad_paths[c.position] if c.position is not None else ()
        else:
            assert c.position is not None
            path += out_paths[c.position][:-1]
        state = self.sem.initial()
        steps: list[Successor] = []
        for s in path:
            steps.append(self._reference_step(state, s, None))
            state = steps[-1].state
        if c.move is not None and self.canon is None:
            last = self.sem.successor(state, c.move)
        elif c.move is not None:
            last = next(
                (
                    x
                    for x in self.sem.successors(state)
                    if x.violation is not None
                    and x.violation.prop == c.prop
                    and self.definition.moves[x.move].violation is not None
                ),
                None,
            )
        else:
            assert c.position is not None
            target = out_paths[c.position][-1]
            last = self._reference_step(state, target, c.prop)
        if last is None or last.violation is None or last.violation.prop != c.prop:
            raise InternalError(
                f"{self.spec.source.name}: the compiled step function found a {c.prop} "
                "violation that the reference semantics does not confirm"
            )
        steps.append(last)
        return explained(
            Trace(self.sem.initial(), tuple(steps), last.violation), self.sem
        )

    def _key(self, s: int) -> int:
        """The stored form of a packed state: its orbit's representative under
        symmetry."""
        return s if self.normal is None else self.normal(s)

    def _paths(self, s: int) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
        """For the stored state `s`, the states each successor is reached through
        (the last is the successor; stored form), in the order of the search's
        expansion, and for each violating move the states before it."""
        if self.chains is None:
            out: list[int] = []
            bad: list[int] = []
            self.packed.expand(s, out, bad)
            return [(self._key(t),) for t in out], [() for _ in bad]
        trail = self.chains.paths(s)
        key = self._key
        return (
            [tuple(key(x) for x in p) for p in trail.paths],
            [tuple(key(x) for x in p) for p in trail.bad_paths],
        )

    def _reference_step(
        self, state: GlobalState, target: int, prop: str | None
    ) -> Successor:
        """The first step of the reference semantics from `state` to a state stored
        as `target` (ending in a `prop` violation, or in none)."""
        for succ in self.sem.successors(state):
            got = succ.violation.prop if succ.violation else None
            if got == prop and self._key(self._pack(succ.state)) == target:
                return succ
        raise InternalError(
            f"{self.spec.source.name}: the compiled step function reached a state that "
            "the reference semantics does not"
        )

    def _pack(self, state: GlobalState) -> int:
        return self.packed.pack(self.sem.slots_of(state))


class _UseNative(Exception):
    """The Python search grew past `native.SWITCH_AT` and the C search is built."""

    def __init__(self, step: native.NativeStep) -> None:
        super().__init__("switch to the native search")
        self.step = step


class _NativeSwitch:
    """Stops a Python search that stores `native.SWITCH_AT` states (`_UseNative`) once the
    C search (`native.py`) is built for its spec; `failure` says why there is none.
    One library serves every search of a check."""

    def __init__(self, packed: PackedStep, deadline: float, *, symmetry: bool) -> None:
        self.packed = packed
        self.deadline = deadline
        self.symmetry = symmetry
        self.step: native.NativeStep | None = None
        self.failure: str | None = None

    def check(self, stored: int) -> None:
        if self.failure is not None or stored < native.SWITCH_AT:
            return
        if self.step is None:
            try:
                self.step = native.built(
                    self.packed,
                    symmetry=self.symmetry,
                    timeout=self.deadline - time.monotonic(),
                )
            except native.NativeUnavailable as why:
                self.failure = str(why)
                return
        raise _UseNative(self.step)


class _NativeSearch(_Search):
    """`_Search` run in C: its breadth-first layer, or its expansion by distance
    over merged local steps (one state per orbit where threads are symmetric). It
    stores what `_Search` stores, in the same order; the links come over to Python
    only to rebuild a trace."""

    core: native.NativeSearch
    reported = 0
    """The violations of the search by distance taken so far."""

    def _open(self, step: native.NativeStep) -> native.NativeSearch:
        self.core = step.search(
            never=bool(self.definition.nevers and "never" in self.spec.properties),
            deadlock="deadlock" in self.spec.properties,
        )
        return self.core

    def start(self, step: native.NativeStep) -> None:
        self._open(step).start(self.s0)

    def start_weighted(self, step: native.NativeStep) -> None:
        self._open(step).start_weighted(self.s0, self.bound)

    def close(self) -> None:
        self.core.close()

    @property
    def stored(self) -> int:
        return self.core.count()

    def layer(self, beyond: bool) -> tuple[bool, list[_Candidate]]:
        search = self.core
        self.check_limits()
        with _out_of_memory(self):
            while search.left():
                search.expand(CHECK_EVERY, beyond)
                self.check_limits()
                if beyond and (search.next_size() or search.found()):
                    break
        found = [self._candidate(f) for f in search.found()]
        more = search.next_size() > 0
        search.advance()
        return more, found

    def _candidate(self, f: native.Found) -> _Candidate:
        if f.kind == native.FOUND_MOVE:
            return _Candidate(
                self._ranks[f.what], f.parent, f.what, self._props[f.what], move=f.what
            )
        prop = "never" if f.kind == native.FOUND_NEVER else "deadlock"
        rank = self._never_rank if prop == "never" else self._deadlock_rank
        return _Candidate(rank, f.parent, f.what, prop, position=f.what)

    def queued(self) -> bool:
        return self.core.queued() > 0

    def expand_at(self, w: int) -> list[_Candidate]:
        search = self.core
        with _out_of_memory(self):
            while search.left_at(w):
                search.expand_weighted(w, CHECK_EVERY)
                self.check_limits()
        search.finish(w)
        found = search.found(self.reported)
        self.reported += len(found)
        return [
            replace(
                self._candidate(f),
                order=f.position,
                position=f.position,
                weight=f.steps,
            )
            for f in found
        ]

    def beyond_bound(self) -> bool:
        return self.core.beyond()

    def over_unseen(self) -> bool:
        return self.core.over_unseen() > 0

    def deepest(self) -> int:
        return self.core.deepest()

    def stored_bytes(self) -> int:
        return self.core.stored_bytes()

    def stats(self, depth: int) -> Stats:
        self.transitions = self.core.transitions()
        stats = super().stats(depth)
        return replace(stats, extra=(*stats.extra, ("search", "in C (native.py)")))

    def trace(self, c: _Candidate) -> Trace:
        self.parent, self.position = self.core.links()
        return super().trace(c)


@contextmanager
def _out_of_memory(search: _Search) -> Iterator[None]:
    """The C search's failure to allocate as a limit reached."""
    try:
        yield
    except MemoryError:
        raise LimitReached(f"out of memory {search.reached()}") from None


class _Chain(Protocol):
    def __call__(
        self,
        s: int,
        out: list[int],
        bad: list[int],
        k: int = 0,
        trail: _Trail | None = None,
    ) -> None: ...


class _Chains:
    """A state's successors with each thread's local steps (`reduction.local_steps`)
    deferred to the thread's next other step and taken with it: one successor that
    stands for several steps. Every shortest run can be reordered so that each
    local step comes just before its thread's next step (or is itself the violating
    step), which leaves its length unchanged: the weighted search finds the same
    shortest lengths without storing the states between a local step and the next.

    `expand(s, out, bad)` is `PackedStep.expand` with a thread at a local counter
    taking its chain instead; a successor that stands for k + 1 steps carries k
    above its state's bits (`split`), and so does a violating move that is the
    k + 1st step of a chain, above the move's number.
    """

    def __init__(self, packed: PackedStep, local: LocalSteps) -> None:
        self.bits = packed.bits
        self.move_bits = max(1, len(packed.definition.moves)).bit_length()
        self.calls = packed.thread_calls
        self.host = packed.host
        self.control = packed.control
        self.local = local.counters
        self.chains = [self._chain(packed, t, local) for t in range(len(self.calls))]
        self.expand = packed.replacing(
            lambda t, pc: self.chains[t] if pc in local.counters[t] else None
        )

    def _chain(self, packed: PackedStep, t: int, local: LocalSteps) -> _Chain:
        ts = packed.definition.layout.threads[t]
        status, counter = packed.fields[ts.status], packed.fields[ts.pc]
        offset, width, stopped = status.offset, status.width, status.mask
        mask = (1 << (status.width + counter.width)) - 1
        calls, here = self.calls[t], local.counters[t]
        bits, move_bits = self.bits, self.move_bits

        def chain(
            s: int,
            out: list[int],
            bad: list[int],
            k: int = 0,
            trail: _Trail | None = None,
        ) -> None:
            """Thread t's local step at `s`, the k + 1st of its chain, and what
            follows it; a thread that ends with local steps adds nothing but their
            violations."""
            after: list[int] = []
            wrong: list[int] = []
            calls[(s >> offset & mask) >> width](s, after, wrong)
            bad += [m | k << move_bits for m in wrong]
            if trail is not None:
                trail.record([], len(wrong))
            for y in after:
                c = y >> offset & mask
                if c & stopped:
                    continue
                pc = c >> width
                deeper = None if trail is None else trail.then(y)
                if pc in here:
                    chain(y, out, bad, k + 1, deeper)
                    continue
                n, nb = len(out), len(bad)
                calls[pc](y, out, bad)
                if deeper is not None:
                    deeper.record(out[n:], len(bad) - nb)
                for i in range(n, len(out)):
                    out[i] |= k + 1 << bits
                for i in range(nb, len(bad)):
                    bad[i] |= k + 1 << move_bits

        return chain

    def split_state(self, t: int) -> tuple[int, int]:
        """A successor as (state, steps it stands for)."""
        k = t >> self.bits
        return t ^ k << self.bits, k + 1

    def split_move(self, m: int) -> tuple[int, int]:
        """A violating move as (move, steps up to and including it)."""
        k = m >> self.move_bits
        return m ^ k << self.move_bits, k + 1

    def paths(self, s: int) -> _Trail:
        """The successors of `s` in `expand`'s order, each with the states it is
        reached through (itself last), and for each violating move the states before
        it."""
        trail = _Trail((), [], [])
        for t, pc in enumerate(self.control(s)):
            if pc < 0:
                continue
            if pc in self.local[t]:
                self.chains[t](s, [], [], 0, trail)
                continue
            out: list[int] = []
            bad: list[int] = []
            self.calls[t][pc](s, out, bad)
            trail.record(out, len(bad))
        out, bad = [], []
        self.host(s, out, bad)
        trail.record(out, len(bad))
        return trail


@dataclass(frozen=True, slots=True)
class _Trail:
    """What `_Chains.paths` collects: the states a chain has gone through so far
    (`before`), and the paths of the successors and violating moves found."""

    before: tuple[int, ...]
    paths: list[tuple[int, ...]]
    bad_paths: list[tuple[int, ...]]

    def then(self, state: int) -> _Trail:
        return _Trail((*self.before, state), self.paths, self.bad_paths)

    def record(self, successors: list[int], violations: int) -> None:
        self.paths.extend((*self.before, x) for x in successors)
        self.bad_paths.extend([self.before] * violations)


def check_explicit(
    spec: ir.Spec,
    bound: int,
    *,
    deadline: float,
    want: str | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    memory_mb: int | None = None,
    reduction: bool = True,
    symmetry: bool = True,
    local_steps: bool = True,
    native: bool = True,
) -> EngineOutcome:
    """Breadth-first search. `reduction` first tries a partial-order-reduced proof
    of safety (`reduction.py`); `symmetry` makes the search that answers otherwise
    store one state per orbit of threads that run one program (`symmetry.py`),
    `local_steps` merges each thread's local steps into its next step (`_Chains`),
    and `native` lets a search that grows past `native.SWITCH_AT` states go on in
    C (`native.py`)."""
    sem = Semantics(spec)
    s0 = sem.initial()
    v0 = sem.initial_violation(s0)
    if v0 is not None:
        trace = Trace(s0, (), v0)
        return EngineOutcome(
            Verdict.VIOLATION, True, trace, None, stats=Stats(states=1, depth=0)
        )
    options = _Reductions(reduction, symmetry, local_steps, native)
    try:
        packed = compiled(sem.definition, bound + 1, max_int_bits=NARROW_INT_BITS)
        outcome = _search(
            sem, packed, bound, deadline, want, progress, memory_mb, options
        )
    except WidthExceeded:
        packed = compiled(sem.definition, bound + 1)
        outcome = _search(
            sem, packed, bound, deadline, want, progress, memory_mb, options
        )
    if outcome.verdict != Verdict.SAFE or not spec.properties & LIVENESS_PROPERTIES:
        return outcome
    return _liveness(sem, bound, deadline, want, outcome)


def _liveness(
    sem: Semantics,
    bound: int,
    deadline: float,
    want: str | None,
    safe: EngineOutcome,
) -> EngineOutcome:
    """No step violates: search the unreduced state graph for a fair lasso."""
    try:
        found = find_lasso(sem, bound, deadline, want)
    except LimitReached as limit:
        return EngineOutcome(
            Verdict.UNKNOWN, False, reason=str(limit), stats=safe.stats
        )
    stats = Stats(states=found.states, depth=bound, reduction=None)
    if found.trace is not None:
        return EngineOutcome(
            Verdict.VIOLATION, True, found.trace, found.wanted, stats=stats
        )
    return EngineOutcome(Verdict.SAFE, safe.complete and found.complete, stats=stats)


def _search(
    sem: Semantics,
    packed: PackedStep,
    bound: int,
    deadline: float,
    want: str | None,
    progress: Progress | None,
    memory_mb: int | None,
    options: _Reductions,
) -> EngineOutcome:
    """The reduced search where it may answer, else the full one, on one compiled
    step function; each goes on in C once it is large (`_NativeSwitch`)."""
    note: str | None = None
    switch = (
        _NativeSwitch(packed, deadline, symmetry=options.symmetry)
        if native.enabled() and options.native
        else None
    )
    if options.partial_order and options.symmetry and symmetric_groups(sem.spec):
        note = "not used: symmetric threads, searched one state per orbit instead"
    elif options.partial_order:
        # the reduced search gets half the time, so that the full search still can
        # answer where the reduction does not
        share = time.monotonic() + (deadline - time.monotonic()) / 2
        reduced = _reduced(sem, packed, bound, share, memory_mb, progress, switch)
        if isinstance(reduced, EngineOutcome) and not (
            reduced.verdict == Verdict.UNKNOWN and time.monotonic() < deadline
        ):
            return _noting_failure(reduced, switch)
        note = reduced if isinstance(reduced, str) else f"gave up: {reduced.reason}"
    outcome: EngineOutcome | None = None
    extra: list[tuple[str, str]] = []
    arguments = (sem, packed, bound, deadline, memory_mb, options)
    local = local_steps(sem.definition) if options.local_steps else None
    if local is not None and local.any and "deadlock" not in sem.spec.properties:
        chains = _Chains(packed, local)

        def merged(search: _Search) -> EngineOutcome | None:
            return _weighted(search, sum(local.longest), want, progress)

        outcome = _switching(
            _Search(*arguments, chains=chains),
            merged,
            lambda: _NativeSearch(*arguments, chains=chains),
            switch,
            weighted=True,
        )
        if outcome is None:
            extra.append(
                ("local steps", "searched again unmerged: the bound may cut a chain")
            )
    if outcome is None:

        def plain(search: _Search) -> EngineOutcome:
            return _breadth_first(search, want, progress)

        outcome = _switching(
            _Search(*arguments),
            plain,
            lambda: _NativeSearch(*arguments),
            switch,
            weighted=False,
        )
    if note is not None:
        extra.insert(0, ("reduction", note))
    return _noting_failure(_with_extra(outcome, extra), switch)


def _switching(
    search: _Search,
    run: Callable[[_Search], Answer],
    in_c: Callable[[], _NativeSearch],
    switch: _NativeSwitch | None,
    *,
    weighted: bool,
) -> Answer:
    """`run(search)`, or, once the search grows past `native.SWITCH_AT` states, `run` of
    the same search started again in C."""
    search.switch = switch
    try:
        return run(search)
    except _UseNative as use:
        again = in_c()
        if weighted:
            again.start_weighted(use.step)
        else:
            again.start(use.step)
        try:
            return run(again)
        finally:
            again.close()


def _with_extra(outcome: EngineOutcome, extra: list[tuple[str, str]]) -> EngineOutcome:
    if not extra:
        return outcome
    stats = replace(outcome.stats, extra=(*outcome.stats.extra, *extra))
    return replace(outcome, stats=stats)


def _noting_failure(
    outcome: EngineOutcome, switch: _NativeSwitch | None
) -> EngineOutcome:
    """The outcome, with why the search could not go on in C where it could not."""
    if switch is None or switch.failure is None:
        return outcome
    return _with_extra(outcome, [("native search", f"not used: {switch.failure}")])


# --------------------------------------------------------------------------- reduction


def _reduced(
    sem: Semantics,
    packed: PackedStep,
    bound: int,
    deadline: float,
    memory_mb: int | None,
    progress: Progress | None,
    switch: _NativeSwitch | None,
) -> EngineOutcome | str:
    """The partial-order-reduced search (see the module docstring): its outcome when
    it proves the spec safe (or reaches a limit), else why the full search must
    answer."""
    longest = run_bound(sem.definition)
    if longest is None:
        return "not used: a thread loops or the host can cycle a page on its own"
    if longest > bound:
        return (
            f"not used: a shortest run may need up to {longest} steps, "
            f"more than the bound {bound}"
        )
    stubborn = Stubborn(sem.definition, packed.thread_calls, packed.page_calls)
    layers = _ReducedLayers(sem, packed, stubborn, deadline, memory_mb)
    layers.switch = switch
    try:
        return _reduced_search(layers, bound, progress)
    except _UseNative as use:
        in_c = _NativeReducedLayers(sem, packed, stubborn, deadline, memory_mb)
        in_c.start(use.step)
        try:
            return _reduced_search(in_c, bound, progress)
        finally:
            in_c.close()


def _reduced_search(
    layers: _ReducedLayers, bound: int, progress: Progress | None
) -> EngineOutcome | str:
    try:
        while layers.more():
            layers.depth += 1
            if layers.layer():
                return f"partial-order search found a violation at depth {layers.depth}"
            if progress is not None:
                progress(
                    ProgressInfo("explicit", layers.depth, bound, states=layers.stored)
                )
    except LimitReached as limit:
        return EngineOutcome(
            Verdict.UNKNOWN, False, reason=str(limit), stats=layers.stats()
        )
    layers.depth -= 1
    return EngineOutcome(Verdict.SAFE, True, stats=layers.stats())


class _ReducedLayers:
    """The layers of the partial-order-reduced search: a state is expanded by the
    first candidate of `Stubborn.candidates` that is invisible, and either ends in a
    violation or leaves the state (C3: under `run_bound`, the only cycles are
    self-loops), else by every move. Only the set of states is kept: the search
    answers only when it finds no violation."""

    def __init__(
        self,
        sem: Semantics,
        packed: PackedStep,
        stubborn: Stubborn,
        deadline: float,
        memory_mb: int | None,
    ) -> None:
        self.packed = packed
        self.stubborn = stubborn
        self.deadline = deadline
        self.memory_limit = (memory_mb or default_memory_mb()) * 2**20
        self.never = bool(sem.definition.nevers and "never" in sem.spec.properties)
        self.deadlock = "deadlock" in sem.spec.properties
        self.s0 = packed.pack(sem.definition.initial)
        self.seen = {self.s0}
        self.frontier = [self.s0]
        self.depth = 0
        self.transitions = 0
        self.switch: _NativeSwitch | None = None

    @property
    def stored(self) -> int:
        return len(self.seen)

    def stored_bytes(self) -> int:
        return _set_bytes(self.seen, self.packed.bits)

    def more(self) -> bool:
        return bool(self.frontier)

    def layer(self) -> bool:
        """Expand the current layer; whether a violation was found."""
        packed = self.packed
        expand, control = packed.expand, packed.control
        candidates = self.stubborn.candidates
        never = packed.never if self.never else None
        seen = self.seen
        self.check_limits()
        nxt: list[int] = []
        add, grow = seen.add, nxt.append
        for k, s in enumerate(self.frontier):
            out: list[int] = []
            bad: list[int] = []
            for c in candidates(control(s)):
                if c.visible:
                    continue
                for call in c.calls:
                    call(s, out, bad)
                if bad:
                    break
                if out and s not in out:
                    break
                out.clear()
            else:
                expand(s, out, bad)
            self.transitions += len(out) + len(bad)
            if bad:
                return True
            for t in out:
                if t in seen:
                    continue
                if (never is not None and never(t) >= 0) or (
                    self.deadlock and packed.deadlocked(t)
                ):
                    return True
                add(t)
                grow(t)
            if k % CHECK_EVERY == CHECK_EVERY - 1:
                self.check_limits()
        self.frontier = nxt
        return False

    def check_limits(self) -> None:
        if self.switch is not None:
            self.switch.check(self.stored)
        reason = None
        if time.monotonic() > self.deadline:
            reason = "time limit reached"
        elif self.stored_bytes() > self.memory_limit:
            reason = f"memory limit reached ({self.memory_limit // 2**20} MB)"
        if reason is not None:
            raise LimitReached(
                f"{reason} at depth {self.depth} of the partial-order-reduced search"
            )

    def stats(self) -> Stats:
        return Stats(
            states=self.stored,
            transitions=self.transitions,
            depth=self.depth,
            bytes_per_state=self.stored_bytes() / self.stored,
            reduction="partial-order",
        )


class _NativeReducedLayers(_ReducedLayers):
    """`_ReducedLayers` run in C, the candidates still computed here, once per
    control vector."""

    core: native.NativeSearch

    def start(self, step: native.NativeStep) -> None:
        self.core = step.search(never=self.never, deadlock=self.deadlock)
        self.core.start(self.s0)
        self.seen = set()

    def close(self) -> None:
        self.core.close()

    @property
    def stored(self) -> int:
        return self.core.count()

    def stored_bytes(self) -> int:
        return self.core.stored_bytes()

    def more(self) -> bool:
        return self.core.left() > 0

    def layer(self) -> bool:
        core, packed = self.core, self.packed
        candidates = self.stubborn.candidates

        def at(s: int) -> tuple[Candidate, ...]:
            return candidates(packed.control(s))

        self.check_limits()
        try:
            while core.left():
                core.expand_reduced(CHECK_EVERY, at)
                if core.found():
                    return True
                self.check_limits()
        except MemoryError:
            raise LimitReached(
                f"out of memory at depth {self.depth} of the partial-order-reduced "
                "search"
            ) from None
        core.advance()
        return False

    def stats(self) -> Stats:
        self.transitions = self.core.transitions()
        stats = super().stats()
        return replace(stats, extra=(*stats.extra, ("search", "in C (native.py)")))


def _breadth_first(
    search: _Search, want: str | None, progress: Progress | None
) -> EngineOutcome:
    bound = search.bound
    more = True
    shortest: Trace | None = None
    wanted: Trace | None = None
    complete = False
    try:
        while True:
            if not more:
                complete = True
                break
            search.depth += 1
            beyond = search.depth > bound
            more, found = search.layer(beyond)
            if beyond:
                complete = not found and not more
                search.depth = bound
                break
            if found:
                if shortest is None:
                    shortest = search.trace(
                        min(found, key=lambda c: (c.rank, c.parent, c.order))
                    )
                if (
                    want is not None
                    and wanted is None
                    and shortest.violation.prop != want
                ):
                    hit = next((c for c in found if c.prop == want), None)
                    if hit is not None:
                        wanted = search.trace(hit)
            if shortest is not None and (
                want is None or shortest.violation.prop == want or wanted is not None
            ):
                break
            if progress is not None:
                progress(
                    ProgressInfo("explicit", search.depth, bound, states=search.stored)
                )
    except LimitReached as limit:
        return _stopped(search, shortest, limit)
    stats = search.stats(shortest.length if shortest else search.depth)
    if shortest is not None:
        return EngineOutcome(Verdict.VIOLATION, True, shortest, wanted, stats=stats)
    return EngineOutcome(Verdict.SAFE, complete, stats=stats)


def _weighted(
    search: _Search, longest: int, want: str | None, progress: Progress | None
) -> EngineOutcome | None:
    """The breadth-first search over merged steps: states are expanded in order of
    their distance, each step counting the steps it stands for, so that a state's
    distance and a violation's length are those of the search without merging
    (`_Search.expand_at`).

    None where the search closed but cannot tell whether the reference's search
    closes within the bound: a state between local steps may lie up to `longest`
    steps beyond the deepest state stored."""
    bound = search.bound
    candidates: list[_Candidate] = []
    shortest: Trace | None = None
    wanted: Trace | None = None
    w = 0

    def settled(length: int) -> bool:
        """Take the violations no longer than `length` (all are known by now);
        whether the search can stop."""
        nonlocal shortest, wanted
        final = [c for c in candidates if c.weight <= length]
        if final and shortest is None:
            shortest = search.trace(min(final, key=_tie_order))
        if shortest is not None and want is not None and wanted is None:
            hits = [c for c in final if c.prop == want]
            if hits and shortest.violation.prop != want:
                wanted = search.trace(min(hits, key=_tie_order))
        return shortest is not None and (
            want is None or shortest.violation.prop == want or wanted is not None
        )

    try:
        while search.queued() and w <= bound:
            if settled(w):
                break
            search.depth = w
            search.check_limits()
            candidates += search.expand_at(w)
            if progress is not None:
                progress(ProgressInfo("explicit", w, bound, states=search.stored))
            w += 1
        else:
            settled(bound)
    except LimitReached as limit:
        return _stopped(search, shortest, limit)
    if shortest is not None:
        stats = search.stats(shortest.length)
        return EngineOutcome(Verdict.VIOLATION, True, shortest, wanted, stats=stats)
    if search.beyond_bound() or search.over_unseen():
        return EngineOutcome(Verdict.SAFE, False, stats=search.stats(bound))
    if search.deepest() + longest > bound:
        return None
    return EngineOutcome(Verdict.SAFE, True, stats=search.stats(search.deepest()))


def _stopped(
    search: _Search, shortest: Trace | None, limit: LimitReached
) -> EngineOutcome:
    """A search stopped by a limit: the shortest violation if it was found, else
    unknown."""
    stats = search.stats(search.depth)
    if shortest is not None:
        return EngineOutcome(
            Verdict.VIOLATION, True, shortest, None, reason=str(limit), stats=stats
        )
    return EngineOutcome(Verdict.UNKNOWN, False, reason=str(limit), stats=stats)


def _tie_order(c: _Candidate) -> tuple[int, int, int, int]:
    return (c.weight, c.rank, c.parent, c.order)


def _set_bytes(states: set[int], bits: int) -> int:
    """The size of a set of packed states of `bits` bits, integers included."""
    return sys.getsizeof(states) + len(states) * sys.getsizeof(1 << max(0, bits - 1))
