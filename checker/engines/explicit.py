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
state, reduces far more. `Stats.reduction` names the reduction behind the states
counted, and `Stats.extra` says why the partial-order one was not used.
"""

from __future__ import annotations

import os
import sys
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, replace

from .. import ir
from ..errors import InternalError, LimitReached
from ..liveness import forgetter
from ..packed import PackedStep, WidthExceeded, compiled
from ..progress import Progress, ProgressInfo
from ..reduction import Stubborn, run_bound
from ..result import EngineOutcome, Stats, Verdict
from ..semantics import GlobalState, Semantics, Successor
from ..symmetry import canonicalizer, symmetric_groups
from ..trace import Trace, explained

#: Expansions between two looks at the clock and at the memory in use.
CHECK_EVERY = 8192
#: Integer fields start at most this wide; a search whose values outgrow them starts
#: again with the width the bound allows (`step.int_width`), which may be far wider.
NARROW_INT_BITS = 32


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


class _Search:
    def __init__(
        self,
        sem: Semantics,
        packed: PackedStep,
        bound: int,
        deadline: float,
        memory_mb: int | None,
        *,
        symmetry: bool,
        dead_locals: bool,
    ) -> None:
        self.spec = sem.spec
        self.bound = bound
        self.sem = sem
        self.definition = self.sem.definition
        self.packed = packed
        self.deadline = deadline
        self.memory_limit = (memory_mb or default_memory_mb()) * 2**20
        self.canon = canonicalizer(self.packed) if symmetry else None
        forget = forgetter(self.packed) if dead_locals else None
        self.normal = _then(forget, self.canon)
        self.s0 = self._key(self.packed.pack(self.definition.initial))
        self.seen: set[int] = {self.s0}
        self.parent = array("I", [0])
        self.position = array("B" if len(self.definition.moves) < 256 else "H", [0])
        self.transitions = 0
        self.depth = 0
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
    def layer(
        self, frontier: list[int], first: int, beyond: bool
    ) -> tuple[list[int], list[_Candidate]]:
        """Expand one BFS layer whose states are stored from index `first` on.

        Beyond the bound, stop at the first sign of a state or violation not yet seen.
        """
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

    def check_limits(self) -> None:
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
            states=len(self.parent),
            transitions=self.transitions,
            depth=depth,
            bytes_per_state=self.bytes_per_state(),
            reduction=None if self.canon is None else "symmetry",
        )

    def stored_bytes(self) -> int:
        """What the stored states take: each integer, the set that holds them, and the
        two links per state (what `--memory` limits)."""
        links = len(self.parent) * (self.parent.itemsize + self.position.itemsize)
        return _set_bytes(self.seen, self.packed.bits) + links

    def bytes_per_state(self) -> float:
        return self.stored_bytes() / len(self.parent)

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
        packed_states = [self.s0]
        for index in chain[1:]:
            packed_states.append(
                self._successors(packed_states[-1])[self.position[index]]
            )
        state = self.sem.initial()
        steps: list[Successor] = []
        for s in packed_states[1:]:
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
            target = self._successors(packed_states[-1])[c.position]
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
        """The stored form of a packed state: dead locals reset, then its orbit's
        representative under symmetry."""
        return s if self.normal is None else self.normal(s)

    def _successors(self, s: int) -> list[int]:
        out: list[int] = []
        self.packed.expand(s, out, [])
        return [self._key(t) for t in out]

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
    dead_locals: bool = True,
) -> EngineOutcome:
    """Breadth-first search. `reduction` first tries a partial-order-reduced proof
    of safety (`reduction.py`); `symmetry` makes the search that answers otherwise
    store one state per orbit of threads that run one program (`symmetry.py`), and
    `dead_locals` resets locals no future step reads (`liveness.py`)."""
    sem = Semantics(spec)
    s0 = sem.initial()
    v0 = sem.initial_violation(s0)
    if v0 is not None:
        trace = Trace(s0, (), v0)
        return EngineOutcome(
            Verdict.VIOLATION, True, trace, None, stats=Stats(states=1, depth=0)
        )
    options = _Reductions(reduction, symmetry, dead_locals)
    try:
        packed = compiled(sem.definition, bound + 1, max_int_bits=NARROW_INT_BITS)
        return _search(sem, packed, bound, deadline, want, progress, memory_mb, options)
    except WidthExceeded:
        packed = compiled(sem.definition, bound + 1)
        return _search(sem, packed, bound, deadline, want, progress, memory_mb, options)


@dataclass(frozen=True, slots=True)
class _Reductions:
    partial_order: bool
    symmetry: bool
    dead_locals: bool


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
    step function."""
    note: str | None = None
    if options.partial_order and options.symmetry and symmetric_groups(sem.spec):
        note = "not used: symmetric threads, searched one state per orbit instead"
    elif options.partial_order:
        # the reduced search gets half the time, so that the full search still can
        # answer where the reduction does not
        share = time.monotonic() + (deadline - time.monotonic()) / 2
        reduced = _reduced(sem, packed, bound, share, memory_mb, progress)
        if isinstance(reduced, EngineOutcome) and not (
            reduced.verdict == Verdict.UNKNOWN and time.monotonic() < deadline
        ):
            return reduced
        note = reduced if isinstance(reduced, str) else f"gave up: {reduced.reason}"
    search = _Search(
        sem,
        packed,
        bound,
        deadline,
        memory_mb,
        symmetry=options.symmetry,
        dead_locals=options.dead_locals,
    )
    outcome = _breadth_first(search, want, progress)
    if note is None:
        return outcome
    extra = (*outcome.stats.extra, ("reduction", note))
    return replace(outcome, stats=replace(outcome.stats, extra=extra))


# --------------------------------------------------------------------------- reduction


def _reduced(
    sem: Semantics,
    packed: PackedStep,
    bound: int,
    deadline: float,
    memory_mb: int | None,
    progress: Progress | None,
) -> EngineOutcome | str:
    """The partial-order-reduced search (see the module docstring): its outcome when
    it proves the spec safe (or reaches a limit), else why the full search must
    answer."""
    definition = sem.definition
    longest = run_bound(definition)
    if longest is None:
        return "not used: a thread loops or the host can cycle a page on its own"
    if longest > bound:
        return (
            f"not used: a shortest run may need up to {longest} steps, "
            f"more than the bound {bound}"
        )
    return _reduced_search(sem, packed, bound, deadline, memory_mb, progress)


def _reduced_search(
    sem: Semantics,
    packed: PackedStep,
    bound: int,
    deadline: float,
    memory_mb: int | None,
    progress: Progress | None,
) -> EngineOutcome | str:
    spec = sem.spec
    stubborn = Stubborn(sem.definition, packed.thread_calls, packed.page_calls)
    expand, control, candidates = packed.expand, packed.control, stubborn.candidates
    never = (
        packed.never if sem.definition.nevers and "never" in spec.properties else None
    )
    deadlock = "deadlock" in spec.properties
    memory_limit = (memory_mb or default_memory_mb()) * 2**20
    s0 = packed.pack(sem.definition.initial)
    seen = {s0}
    frontier = [s0]
    depth = transitions = full = 0

    def stats() -> Stats:
        return Stats(
            states=len(seen),
            transitions=transitions,
            depth=depth,
            reduction="partial-order",
        )

    def check_limits() -> None:
        reason = None
        if time.monotonic() > deadline:
            reason = "time limit reached"
        elif _set_bytes(seen, packed.bits) > memory_limit:
            reason = f"memory limit reached ({memory_limit // 2**20} MB)"
        if reason is not None:
            raise LimitReached(
                f"{reason} at depth {depth} of the partial-order-reduced search"
            )

    try:
        while frontier:
            depth += 1
            check_limits()
            nxt: list[int] = []
            add, grow = seen.add, nxt.append
            for k, s in enumerate(frontier):
                out: list[int] = []
                bad: list[int] = []
                for c in candidates(control(s)):
                    if c.visible:
                        continue
                    for call in c.calls:
                        call(s, out, bad)
                    if bad:
                        break
                    # C3: under `run_bound`, the only cycles are self-loops
                    if out and s not in out:
                        break
                    out.clear()
                else:
                    full += 1
                    expand(s, out, bad)
                transitions += len(out) + len(bad)
                if bad:
                    return f"partial-order search found a violation at depth {depth}"
                for t in out:
                    if t in seen:
                        continue
                    if (never is not None and never(t) >= 0) or (
                        deadlock and packed.deadlocked(t)
                    ):
                        return (
                            f"partial-order search found a violation at depth {depth}"
                        )
                    add(t)
                    grow(t)
                if k % CHECK_EVERY == CHECK_EVERY - 1:
                    check_limits()
            frontier = nxt
            if progress is not None:
                progress(ProgressInfo("explicit", depth, bound, states=len(seen)))
    except LimitReached as limit:
        return EngineOutcome(Verdict.UNKNOWN, False, reason=str(limit), stats=stats())
    depth -= 1
    return EngineOutcome(Verdict.SAFE, True, stats=stats())


def _breadth_first(
    search: _Search, want: str | None, progress: Progress | None
) -> EngineOutcome:
    bound = search.bound
    frontier = [search.s0]
    first = 0
    shortest: Trace | None = None
    wanted: Trace | None = None
    complete = False
    try:
        while True:
            if not frontier:
                complete = True
                break
            search.depth += 1
            beyond = search.depth > bound
            start = len(search.parent)
            nxt, found = search.layer(frontier, first, beyond)
            if beyond:
                complete = not found and not nxt
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
            frontier, first = nxt, start
            if progress is not None:
                progress(
                    ProgressInfo(
                        "explicit", search.depth, bound, states=len(search.parent)
                    )
                )
    except LimitReached as limit:
        stats = search.stats(search.depth)
        if shortest is not None:
            return EngineOutcome(
                Verdict.VIOLATION, True, shortest, None, reason=str(limit), stats=stats
            )
        return EngineOutcome(Verdict.UNKNOWN, False, reason=str(limit), stats=stats)
    stats = search.stats(shortest.length if shortest else search.depth)
    if shortest is not None:
        return EngineOutcome(Verdict.VIOLATION, True, shortest, wanted, stats=stats)
    return EngineOutcome(Verdict.SAFE, complete, stats=stats)


def _then(
    first: Callable[[int], int] | None, second: Callable[[int], int] | None
) -> Callable[[int], int] | None:
    """`second` after `first`, where either may be missing."""
    if first is None or second is None:
        return first or second
    return lambda s: second(first(s))


def _set_bytes(states: set[int], bits: int) -> int:
    """The size of a set of packed states of `bits` bits, integers included."""
    return sys.getsizeof(states) + len(states) * sys.getsizeof(1 << max(0, bits - 1))
