"""The concrete semantics: global states and the step function.

This is the reference meaning of a spec (language reference, section 3), derived from
the one definition of a step in `step.py`: a successor is a move whose condition holds
in the state, with its terms evaluated on the state's values. The explicit engine's
compiled step function is checked against it, every counterexample is replayed on it
before it is shown, and reporters read its events.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from . import ir
from . import terms as T
from .source import Span
from .step import HOST, Move, Status, StepDefinition, ViolationTerms, define

__all__ = [
    "HOST",
    "Event",
    "GlobalState",
    "PageVal",
    "Semantics",
    "Status",
    "Successor",
    "ThreadVal",
    "Violation",
]


class PageVal(NamedTuple):
    state: int
    flags: int
    data: int
    valid: bool
    warned: bool
    frame: int = 0  # which allocation the frame belongs to (0 without frames)
    mapping: int = 0  # how often the host moved the page (0 without translations)


class ThreadVal(NamedTuple):
    pc: int
    status: int
    locals: tuple[ir.Value, ...]
    tlb: tuple[int, ...] = ()  # per page: 0, or the mapping + 1 it translates to
    # `memory tso`: the store buffer, oldest first, as (variable index + 1 or 0, value)
    buffer: tuple[tuple[int, int], ...] = ()


class GlobalState(NamedTuple):
    """Everything a run can be in, structured for people and reporters."""

    pages: tuple[PageVal, ...]
    vars: tuple[int, ...]
    threads: tuple[ThreadVal, ...]
    passed: tuple[bool, ...] = ()  # per `check eventually`: the thread passed its label


@dataclass(frozen=True, slots=True)
class Event:
    """One statement executed within a step (an atomic step has several)."""

    actor: int
    kind: str  # an op's name, or assign / assert / await / if / while / atomic
    span: Span | None
    page: int | None = None
    args: tuple[tuple[str, int], ...] = ()
    value: int | None = None  # the value a write stores
    result: ir.Value | None = None  # ok / fail / "fault" / the value read / a condition
    before: int | None = None
    after: int | None = None
    target: str | None = None  # the variable an assignment or op result went to
    assigned: ir.Value | None = None
    whole: bool = False  # a store that overwrites the whole page


@dataclass(frozen=True, slots=True)
class Violation:
    prop: str
    message: str
    span: Span | None


@dataclass(frozen=True, slots=True)
class Successor:
    """One possible step from a state: which move, who moved, what happened, where it
    led."""

    move: int
    actor: int
    events: tuple[Event, ...]
    state: GlobalState
    violation: Violation | None


Slots = Sequence[ir.Value]


class Semantics:
    """The step function of one spec."""

    def __init__(self, spec: ir.Spec, definition: StepDefinition | None = None) -> None:
        self.spec = spec
        self.model = spec.model
        self.definition = definition if definition is not None else define(spec)
        self.layout = self.definition.layout

    # -- states
    def initial(self) -> GlobalState:
        return self.state_of(self.definition.initial)

    def slots_of(self, state: GlobalState) -> tuple[ir.Value, ...]:
        """The flat slot vector (`step.Layout`) of a structured state."""
        out: list[ir.Value] = [0] * len(self.layout.slots)
        for k, pv in enumerate(state.pages):
            self.layout.put_page(out, k, *pv)
        for var, slot in zip(state.vars, self.layout.vars, strict=True):
            out[slot] = var
        for tv, ts in zip(state.threads, self.layout.threads, strict=True):
            out[ts.pc] = tv.pc
            out[ts.status] = tv.status
            for value, slot in zip(tv.locals, ts.locals, strict=True):
                out[slot] = value
            for held, slot in zip(tv.tlb, ts.tlb, strict=True):
                out[slot] = held
            for (var, stored), (var_slot, stored_slot) in zip(
                tv.buffer, ts.buffer, strict=True
            ):
                out[var_slot], out[stored_slot] = var, stored
        if state.passed:
            for passed, slot in zip(state.passed, self.layout.passed, strict=True):
                out[slot] = passed
        return tuple(out)

    def state_of(self, slots: Slots) -> GlobalState:
        L = self.layout
        return GlobalState(
            tuple(
                PageVal(
                    int(slots[ps.state]),
                    sum(1 << f for f, slot in enumerate(ps.flags) if slots[slot]),
                    int(slots[ps.data]),
                    bool(slots[ps.valid]),
                    bool(slots[ps.warned]),
                    0 if ps.frame is None else int(slots[ps.frame]),
                    0 if ps.mapping is None else int(slots[ps.mapping]),
                )
                for ps in L.pages
            ),
            tuple(int(slots[v]) for v in L.vars),
            tuple(
                ThreadVal(
                    int(slots[ts.pc]),
                    int(slots[ts.status]),
                    tuple(slots[s] for s in ts.locals),
                    tuple(int(slots[s]) for s in ts.tlb),
                    tuple((int(slots[e]), int(slots[v])) for e, v in ts.buffer),
                )
                for ts in L.threads
            ),
            tuple(bool(slots[s]) for s in L.passed) if L.passed else (),
        )

    def initial_violation(self, state: GlobalState) -> Violation | None:
        """A `never` that holds, or a deadlock, in the initial state."""
        return self._state_violation(self.slots_of(state))

    # -- the step function
    def successors(self, state: GlobalState) -> list[Successor]:
        """Every step possible in `state` (none after a violation: the caller stops)."""
        slots = self.slots_of(state)
        return [self._take(move, slots) for move in self._enabled(slots)]

    def successor(self, state: GlobalState, move: int) -> Successor | None:
        """The step that move number `move` takes from `state`, if it is enabled."""
        slots = self.slots_of(state)
        m = self.definition.moves[move]
        if not self._is_enabled(m, slots):
            return None
        return self._take(m, slots)

    def _enabled(self, slots: Slots) -> Iterator[Move]:
        d = self.definition
        for t, ts in enumerate(self.layout.threads):
            if slots[ts.status] != Status.RUNNING:
                continue
            for move in d.by_pc[t][int(slots[ts.pc])]:
                if T.evaluate(move.condition, slots):
                    yield move
        for move in d.host_moves:
            if T.evaluate(move.condition, slots):
                yield move

    def _is_enabled(self, move: Move, slots: Slots) -> bool:
        return bool(T.evaluate(self.definition.enabled(move), slots))

    def _take(self, move: Move, slots: Slots) -> Successor:
        new = list(slots)
        for slot, term in move.updates:
            new[slot] = T.evaluate(term, slots)
        violation = (
            self._violation(move.violation, slots)
            if move.violation is not None
            else self._state_violation(new)
        )
        events = tuple(
            Event(
                move.actor,
                e.kind,
                e.span,
                e.page,
                e.args,
                None if e.value is None else int(T.evaluate(e.value, slots)),
                "fault" if e.fault else _value(e.result, slots),
                None if e.before is None else int(T.evaluate(e.before, slots)),
                None if e.after is None else int(T.evaluate(e.after, slots)),
                e.target,
                _value(e.assigned, slots),
                e.whole,
            )
            for e in move.events
        )
        return Successor(move.index, move.actor, events, self.state_of(new), violation)

    def _violation(self, v: ViolationTerms, slots: Slots) -> Violation:
        text = "".join(
            part
            if isinstance(part, str)
            else self.model.state_name(int(T.evaluate(part, slots)))
            for part in v.message
        )
        return Violation(v.prop, text, v.span)

    def _state_violation(self, slots: Slots) -> Violation | None:
        """`never` on a state reached, then deadlock (language reference §3)."""
        if "never" in self.spec.properties:
            for cond, violation in self.definition.nevers:
                if T.evaluate(cond, slots):
                    return self._violation(violation, slots)
        if "deadlock" in self.spec.properties and self._deadlocked(slots):
            return Violation(
                "deadlock", "no step is possible, but a thread has not finished", None
            )
        return None

    def _deadlocked(self, slots: Slots) -> bool:
        running = any(slots[ts.status] == Status.RUNNING for ts in self.layout.threads)
        return running and next(self._enabled(slots), None) is None


def _value(term: T.Term | None, slots: Slots) -> ir.Value | None:
    return None if term is None else T.evaluate(term, slots)
