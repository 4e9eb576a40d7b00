"""The Z3 engine: bounded model checking with shortest counterexamples and proofs.

For k = 1, 2, ... it asks whether a run of exactly k steps ends in a violation (so the
first hit is a shortest one; ties go to the first property in the reference's order),
and whether any run of k steps without a repeated state exists at all. When none does,
every reachable state lies within k-1 steps and the spec is safe for runs of any length
(`complete`), usually long before the bound. At the bound, an exact check decides
whether a state first appears after it: a run of bound+1 steps is proposed, and its
last state is tested for reachability within the bound by a second unrolling that may
stutter; states found reachable are excluded until none is left (complete) or a new
one is found (not complete). Every counterexample is replayed on the concrete
semantics before it is returned. A spec safe so far that checks liveness is then
searched for fair lassos (`_Lassos`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from .. import ir
from ..errors import InternalError
from ..liveness import lasso
from ..progress import Progress, ProgressInfo
from ..result import EngineOutcome, Stats, Verdict
from ..semantics import Semantics, Successor
from ..smt import Unrolling, is_sat, is_unsat
from ..step import CycleCondition, guest_threads
from ..trace import StepClaim, Trace, replay

MAX_EXCLUDED_STATES = 256


class _Unknown(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Search:
    def __init__(self, spec: ir.Spec, bound: int, deadline: float, seed: int) -> None:
        self.spec = spec
        self.bound = bound
        self.deadline = deadline
        self.seed = seed
        self.sem = Semantics(spec)
        self.definition = self.sem.definition
        self.s0 = self.sem.initial()
        self.unrolling = Unrolling(
            self.definition, bound + 2, seed=seed, initial=self.definition.initial
        )
        self.checks = 0

    def ask(self, u: Unrolling, *conditions: Any) -> bool:
        """True for sat, False for unsat; a time limit or Z3's unknown raises `_Unknown`."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise _Unknown("time limit reached")
        answer = u.check(*conditions, timeout_ms=int(remaining * 1000))
        self.checks += 1
        if is_sat(answer):
            return True
        if is_unsat(answer):
            return False
        reason = u.reason_unknown()
        raise _Unknown(
            "time limit reached"
            if "timeout" in reason or "canceled" in reason
            else f"Z3 answered unknown ({reason})"
        )

    def violation_at(self, k: int, props: list[str]) -> Trace | None:
        """A run violating one of `props` (tried in that order) at exactly step k."""
        u = self.unrolling
        if not self.ask(u, u.any_violation(k)):
            return None
        for prop in props:
            if self.ask(u, u.violation_is(k, prop)):
                return self.replay(prop)
        return None

    def replay(self, prop: str) -> Trace:
        states, moves = self.unrolling.run()
        claims = [
            StepClaim(move, self.sem.state_of(slots), viol)
            for (slots, viol), move in zip(states[1:], moves, strict=True)
        ]
        return replay(self.sem, self.s0, claims, prop, self.spec.source.name)

    def path_exists(self, u: Unrolling, start: int = 0) -> bool:
        """Is there a run of u.depth steps without a repeated state (among those from
        step `start` on)?

        Distinctness of two steps' states is added only when a proposed run repeats a
        state (shortest runs never do, so the constraints lose nothing).
        """
        while self.ask(u):
            # a step's violation is part of what it reaches: `differs` compares it too
            states = [(tuple(s), v) for s, v in u.run()[0]]
            first: dict[tuple[tuple[ir.Value, ...], str | None], int] = {}
            repeats = []
            for j, s in enumerate(states):
                if j < start:
                    continue
                if s in first:
                    repeats.append((first[s], j))
                else:
                    first[s] = j
            if not repeats:
                return True
            for i, j in repeats:
                u.add(u.differs(i, j))
        return False

    def stuttering(self, steps: int) -> Unrolling:
        """An unrolling of `steps` steps that may stutter: its last state ranges over
        every state reachable within `steps` steps."""
        u = Unrolling(
            self.definition,
            self.bound + 2,
            seed=self.seed,
            allow_stutter=True,
            initial=self.definition.initial,
        )
        for _ in range(steps):
            u.extend()
        return u

    def closed_at_bound(self) -> tuple[bool, str]:
        """Whether no state (and no violation) first appears after `bound` steps."""
        u = self.unrolling
        u.extend()
        k = u.depth
        if self.ask(u, u.any_violation(k)):
            return False, f"a violation exists after {self.bound} steps"
        if not self.path_exists(u):
            return True, ""
        within = self.stuttering(self.bound)
        for _ in range(MAX_EXCLUDED_STATES):
            state, _viol = u.run()[0][k]
            if not self.ask(within, within.equals_state(self.bound, state)):
                return False, f"a state is first reached after {self.bound} steps"
            u.add(u.differs_from(k, state))
            if not self.path_exists(u):
                return True, ""
        return (
            False,
            f"completeness undecided after excluding {MAX_EXCLUDED_STATES} states",
        )


def check_symbolic(
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
        return EngineOutcome(
            Verdict.VIOLATION, True, Trace(s0, (), v0), stats=Stats(depth=0)
        )
    search = _Search(spec, bound, deadline, seed)
    u = search.unrolling
    props = [
        p
        for p in ir.PROPERTIES
        if p in spec.properties and p not in ir.LIVENESS_PROPERTIES
    ]
    longest: int | None = None
    shortest: Trace | None = None
    wanted: Trace | None = None
    complete = False
    note = ""

    def stats() -> Stats:
        extra = (("note", note),) if note else ()
        return Stats(
            depth=u.depth,
            solver_calls=search.checks,
            formula_size=u.formula_size(),
            extra=extra,
        )

    try:
        for k in range(1, bound + 1):
            u.extend()
            if progress is not None:
                progress(
                    ProgressInfo(
                        "bmc",
                        k,
                        bound,
                        formula_size=u.formula_size(),
                        solver_calls=search.checks,
                    )
                )
            if shortest is None:
                shortest = search.violation_at(k, props)
            if (
                shortest is not None
                and want is not None
                and want != shortest.violation.prop
                and wanted is None
                and want in props
            ):
                wanted = search.violation_at(k, [want])
            if shortest is not None and (
                want is None or want == shortest.violation.prop or wanted is not None
            ):
                break
            if not search.path_exists(u):
                complete = shortest is None
                longest = k - 1
                break
        else:
            if shortest is None:
                complete, note = search.closed_at_bound()
    except _Unknown as unknown:
        if shortest is not None:
            return EngineOutcome(
                Verdict.VIOLATION,
                True,
                shortest,
                wanted,
                reason=unknown.reason,
                stats=stats(),
            )
        return EngineOutcome(
            Verdict.UNKNOWN, False, reason=unknown.reason, stats=stats()
        )
    if shortest is not None:
        return EngineOutcome(Verdict.VIOLATION, True, shortest, wanted, stats=stats())
    if search.definition.cycles:
        return _Lassos(search, progress).outcome(complete, longest, want)
    return EngineOutcome(Verdict.SAFE, complete, stats=stats())


class _Lassos:
    """BMC for liveness (docs/engines.md, "Liveness in BMC"): for n = 0, 1, ... a
    lasso of exactly n steps (`Unrolling.lasso`), the first found with the fewest
    prefix steps; searched up to a length that no shortest lasso exceeds when every
    reachable state lies within the bound, else up to the bound."""

    def __init__(self, search: _Search, progress: Progress | None) -> None:
        self.search = search
        self.progress = progress
        self.definition = search.definition
        self.guests = guest_threads(search.spec)
        self.unrolling = Unrolling(
            self.definition,
            search.bound + 2,
            seed=search.seed,
            initial=self.definition.initial,
        )

    def outcome(
        self, safe_complete: bool, longest: int | None, want: str | None
    ) -> EngineOutcome:
        """The shortest lasso of any liveness property; and, when `want` names
        another, the shortest of that one too (as the explicit engine does)."""
        search = self.search
        length = 0
        trace: Trace | None = None
        try:
            depth = self.reach(safe_complete, longest)
            length = search.bound if depth is None else self.longest_lasso(depth)
            trace = self.shortest(depth, length, self.definition.cycles)
            goals = [c for c in self.definition.cycles if c.prop == want]
            wanted = None
            if trace is not None and goals and trace.violation.prop != want:
                wanted = self.shortest(depth, length, goals)
        except _Unknown as unknown:
            verdict = Verdict.UNKNOWN if trace is None else Verdict.VIOLATION
            return EngineOutcome(
                verdict,
                trace is not None,
                trace,
                reason=unknown.reason,
                stats=self.stats(length),
            )
        if trace is not None:
            return EngineOutcome(
                Verdict.VIOLATION, True, trace, wanted, stats=self.stats(trace.length)
            )
        return EngineOutcome(Verdict.SAFE, depth is not None, stats=self.stats(length))

    def shortest(
        self, depth: int | None, length: int, goals: Sequence[CycleCondition]
    ) -> Trace | None:
        """The shortest lasso of up to `length` steps violating one of `goals`."""
        # short lassos one length at a time; the rest refuted by one question
        short = length if depth is None else min(depth, length)
        for n in range(length + 1):
            if n == short + 1 and not self.any_lasso(length, goals):
                return None
            # in a state first reached at the bound the explicit engine has not
            # looked for steps: no empty cycle there
            trace = self.lasso_of(n, goals, nonempty=depth is None and n == length)
            if trace is not None:
                return trace
        return None

    def reach(self, safe_complete: bool, longest: int | None) -> int | None:
        """A depth within which every reachable state lies, when it is below the
        bound (the explicit engine's graph is then closed), else None."""
        bound = self.search.bound
        if not safe_complete:
            return None
        if longest is not None:
            return longest
        # closed at the bound: is it already closed one step earlier?
        below = _Search(
            self.search.spec, bound - 1, self.search.deadline, self.search.seed
        )
        for _ in range(bound - 1):
            below.unrolling.extend()
        closed, _ = below.closed_at_bound()
        self.search.checks += below.checks
        return bound - 1 if closed else None

    def longest_lasso(self, depth: int) -> int:
        """Steps that a shortest lasso needs at most, when every reachable state lies
        within `depth` steps. A fair cycle stays in a strongly connected component
        and goes from its first state through an obligation of each guest thread
        (a step, or a state where it cannot step) and back; along shortest paths
        each leg is a simple path plus at most one step, so with `span` the longest
        simple path between reachable states a lasso of at most
        depth + guests * (span + 1) + span steps exists if any does."""
        u = self.search.stuttering(depth)
        span = 0
        while True:
            u.extend()
            if not self.search.path_exists(u, start=depth):
                break
            span += 1
        return depth + len(self.guests) * (span + 1) + span

    def any_lasso(self, length: int, goals: Sequence[CycleCondition]) -> bool:
        """Is there a lasso of at most `length` steps? One question on an unrolling
        that may stutter (a stutter is an idle host, so it changes no lasso's
        fairness): far cheaper to refute than each length on its own."""
        u = self.search.stuttering(length)
        holds = [g.holds for g in goals]
        return self.search.ask(u, u.lasso(holds, self.guests).formula)

    def lasso_of(
        self, n: int, goals: Sequence[CycleCondition], *, nonempty: bool
    ) -> Trace | None:
        """A lasso of exactly n steps (with a non-empty cycle if `nonempty`) with the
        fewest prefix steps, replayed."""
        u = self.unrolling
        while u.depth < n:
            u.extend()
        if self.progress is not None:
            self.progress(
                ProgressInfo(
                    "bmc",
                    n,
                    self.search.bound,
                    formula_size=u.formula_size(),
                    solver_calls=self.search.checks,
                )
            )
        query = u.lasso([g.holds for g in goals], self.guests)
        formula = (
            [query.formula, *query.cycle[n - 1 :]] if nonempty else [query.formula]
        )
        if not self.search.ask(u, *formula):
            return None
        loop = u.loop_start(query)
        while loop > 0 and self.search.ask(u, *formula, query.cycle[loop - 1]):
            loop = u.loop_start(query)
        # the last question may have been unsat: ask for the model of this loop again
        self.search.ask(u, *formula, *query.starts_at(loop))
        return self.replay(loop, goals)

    def replay(self, loop: int, goals: Sequence[CycleCondition]) -> Trace:
        sem = self.search.sem
        states, moves = self.unrolling.run()
        steps: list[Successor] = []
        state = self.search.s0
        for (slots, _), move in zip(states[1:], moves, strict=True):
            step = sem.successor(state, move)
            if step is None or step.state != sem.state_of(slots):
                raise InternalError(f"step {len(steps) + 1} of a lasso does not replay")
            steps.append(step)
            state = step.state
        return lasso(sem, self.search.s0, steps, loop, goals)

    def stats(self, length: int) -> Stats:
        u = self.unrolling
        return Stats(
            depth=length,
            solver_calls=self.search.checks,
            formula_size=u.formula_size(),
        )
