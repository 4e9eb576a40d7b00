"""The concrete semantics: global states and the step function.

This is the reference meaning of a spec (language reference, section 3). The explicit
engine explores it, every Z3 counterexample is replayed on it before it is shown, and
the tests compare the symbolic encoding against it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

from . import ir
from .source import Span

HOST = -1  # the actor of an asynchronous host action


class Status(IntEnum):
    RUNNING = 0
    DONE = 1
    FAULTED = 2
    STUCK = 3


class PageVal(NamedTuple):
    state: int
    flags: int
    data: int
    valid: bool
    warned: bool


class ThreadVal(NamedTuple):
    pc: int
    status: int
    locals: tuple[ir.Value, ...]


class GlobalState(NamedTuple):
    """Everything a run can be in; a tuple, so it hashes fast for the explicit engine."""

    pages: tuple[PageVal, ...]
    vars: tuple[int, ...]
    threads: tuple[ThreadVal, ...]


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


@dataclass(frozen=True, slots=True)
class Violation:
    prop: str
    message: str
    span: Span | None


@dataclass(frozen=True, slots=True)
class Successor:
    """One possible step from a state: who moved, what happened, where it led."""

    actor: int
    events: tuple[Event, ...]
    state: GlobalState
    violation: Violation | None


_DEFAULTS: dict[ir.ValueType, ir.Value] = {
    "int": 0,
    "bool": False,
    "result": "ok",
    "state": 0,
}


def default_value(t: ir.ValueType) -> ir.Value:
    """What a local holds before its first assignment."""
    return _DEFAULTS[t]


def initial_state(spec: ir.Spec) -> GlobalState:
    return GlobalState(
        tuple(PageVal(p.state, p.flags, p.data, p.valid, p.warned) for p in spec.pages),
        tuple(v.value for v in spec.vars),
        tuple(
            ThreadVal(
                t.entry,
                Status.DONE if t.entry == t.end else Status.RUNNING,
                tuple(default_value(ty) for _, ty in t.locals),
            )
            for t in spec.threads
        ),
    )


# --------------------------------------------------------------------------- expressions


def evaluate(
    expr: ir.Expr,
    state: GlobalState | _Work,
    locals_: tuple[ir.Value, ...] | list[ir.Value],
    tells: list[int] | None = None,
) -> ir.Value:
    """The value of an expression; pages whose lost state a guest saw go to `tells`."""
    match expr:
        case ir.Const(value):
            return value
        case ir.LocalRef(slot):
            return locals_[slot]
        case ir.VarRef(index):
            return state.vars[index]
        case ir.StateOf(page):
            value = state.pages[page].state
            if tells is not None:
                tells.append(page)
            return value
        case ir.FlagOf(page, flag):
            return bool(state.pages[page].flags >> flag & 1)
        case ir.Not(operand):
            return not evaluate(operand, state, locals_, tells)
        case ir.Neg(operand):
            return -_int(evaluate(operand, state, locals_, tells))
        case ir.BoolOp("and", left, right):
            return bool(evaluate(left, state, locals_, tells)) and bool(
                evaluate(right, state, locals_, tells)
            )
        case ir.BoolOp(_, left, right):
            return bool(evaluate(left, state, locals_, tells)) or bool(
                evaluate(right, state, locals_, tells)
            )
        case ir.Arith(op, left, right):
            a = _int(evaluate(left, state, locals_, tells))
            b = _int(evaluate(right, state, locals_, tells))
            return a + b if op == "+" else a - b
        case ir.Compare(op, left, right):
            x = evaluate(left, state, locals_, tells)
            y = evaluate(right, state, locals_, tells)
            return _compare(op, x, y)
        case ir.Member(operand, items):
            x = evaluate(operand, state, locals_, tells)
            return any(x == evaluate(i, state, locals_, tells) for i in items)
    raise AssertionError(expr)


def _int(v: ir.Value) -> int:
    assert isinstance(v, int)
    return v


def _compare(op: str, x: ir.Value, y: ir.Value) -> bool:
    if op == "==":
        return x == y
    if op == "!=":
        return x != y
    a, b = _int(x), _int(y)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


# --------------------------------------------------------------------------- steps


class _Work:
    """A mutable copy of the state while one step executes; cloned at choices."""

    __slots__ = ("events", "locals", "pages", "pc", "status", "vars", "violation")

    def __init__(self, state: GlobalState, thread: int | None) -> None:
        self.pages = list(state.pages)
        self.vars = list(state.vars)
        if thread is None:
            self.locals: list[ir.Value] = []
            self.pc = 0
            self.status = Status.RUNNING
        else:
            tv = state.threads[thread]
            self.locals = list(tv.locals)
            self.pc = tv.pc
            self.status = Status(tv.status)
        self.events: list[Event] = []
        self.violation: Violation | None = None

    def clone(self) -> _Work:
        other = _Work.__new__(_Work)
        other.pages = list(self.pages)
        other.vars = list(self.vars)
        other.locals = list(self.locals)
        other.pc = self.pc
        other.status = self.status
        other.events = list(self.events)
        other.violation = self.violation
        return other

    def freeze(self, state: GlobalState, thread: int | None) -> GlobalState:
        threads = state.threads
        if thread is not None:
            threads = (
                *threads[:thread],
                ThreadVal(self.pc, int(self.status), tuple(self.locals)),
                *threads[thread + 1 :],
            )
        return GlobalState(tuple(self.pages), tuple(self.vars), threads)


class Semantics:
    """The step function of one spec."""

    def __init__(self, spec: ir.Spec) -> None:
        self.spec = spec
        self.model = spec.model
        self.props = spec.properties
        self._host_variants = [
            (
                move,
                [
                    dict(zip(op.params, vals, strict=True))
                    for vals in itertools.product((0, 1), repeat=len(op.params))
                ],
            )
            for move in spec.host_moves
            for op in [self.model.op(move.op)]
        ]
        self._transitions_by_op: dict[str, tuple[ir.Transition, ...]] = {}
        for t in self.model.transitions:
            self._transitions_by_op.setdefault(t.op, ())
            self._transitions_by_op[t.op] += (t,)

    def initial(self) -> GlobalState:
        return initial_state(self.spec)

    def initial_violation(self, state: GlobalState) -> Violation | None:
        """A `never` that holds, or a deadlock, in the initial state."""
        return self._state_violation(state)

    # -- the step function
    def successors(self, state: GlobalState) -> list[Successor]:
        """Every step possible in `state` (none after a violation: the caller stops)."""
        out: list[Successor] = []
        for t in range(len(self.spec.threads)):
            out.extend(self.thread_successors(state, t))
        out.extend(self.host_successors(state))
        return out

    def thread_successors(self, state: GlobalState, t: int) -> Iterator[Successor]:
        tv = state.threads[t]
        if tv.status != Status.RUNNING:
            return
        for work in self._step_thread(state, t):
            new = work.freeze(state, t)
            yield self._finish(t, work, new)

    def host_successors(self, state: GlobalState) -> Iterator[Successor]:
        for work in self._host_steps(state):
            yield self._finish(HOST, work, work.freeze(state, None))

    def _host_steps(self, state: GlobalState) -> Iterator[_Work]:
        for move, variants in self._host_variants:
            page = state.pages[move.page]
            seen: set[int] = set()
            for args in variants:
                for tr in self._matching(page, move.op, args):
                    if tr.index in seen:
                        continue
                    seen.add(tr.index)
                    work = _Work(state, None)
                    self._apply_transition(
                        work, HOST, move.page, move.op, args, tr, None
                    )
                    yield work

    def _finish(self, actor: int, work: _Work, new: GlobalState) -> Successor:
        violation = work.violation
        if violation is None:
            violation = self._state_violation(new)
        return Successor(actor, tuple(work.events), new, violation)

    def _state_violation(self, state: GlobalState) -> Violation | None:
        if "never" in self.props:
            for n in self.spec.nevers:
                if evaluate(n.cond, state, ()):
                    return Violation(
                        "never",
                        f"the `never` condition holds: {_source_text(n.cond.span)}",
                        n.span,
                    )
        if "deadlock" in self.props and self.is_deadlocked(state):
            return Violation(
                "deadlock", "no step is possible, but a thread has not finished", None
            )
        return None

    def is_deadlocked(self, state: GlobalState) -> bool:
        if all(tv.status != Status.RUNNING for tv in state.threads):
            return False
        for t, tv in enumerate(state.threads):
            if (
                tv.status == Status.RUNNING
                and next(iter(self._step_thread(state, t)), None) is not None
            ):
                return False
        return next(iter(self._host_steps(state)), None) is None

    def blocked(self, state: GlobalState, t: int) -> bool:
        """A running thread none of whose next steps is possible (await, host action)."""
        return (
            state.threads[t].status == Status.RUNNING
            and next(iter(self._step_thread(state, t)), None) is None
        )

    # -- threads
    def _step_thread(self, state: GlobalState, t: int) -> Iterator[_Work]:
        thread = self.spec.threads[t]
        work = _Work(state, t)
        instr = thread.instrs[work.pc]
        if isinstance(instr, ir.AwaitInstr):
            tells: list[int] = []
            if not evaluate(instr.cond, work, work.locals, tells):
                return
            self._tell(work, thread, tells)
            work.events.append(Event(t, "await", instr.span, result=True))
            work.pc = instr.next
            self._settle(work, thread)
            yield work
            return
        if isinstance(instr, ir.AtomicInstr):
            if instr.guard is not None:
                tells = []
                if not evaluate(instr.guard, work, work.locals, tells):
                    return
                self._tell(work, thread, tells)
            work.events.append(Event(t, "atomic", instr.span))
            work.pc = instr.entry
            for done in self._run_atomic(work, t, thread, instr.next):
                self._settle(done, thread)
                yield done
            return
        for done in self._exec(work, t, thread, instr):
            self._settle(done, thread)
            yield done

    def _settle(self, work: _Work, thread: ir.Thread) -> None:
        if work.status == Status.RUNNING and work.pc == thread.end:
            work.status = Status.DONE

    def _run_atomic(
        self, work: _Work, t: int, thread: ir.Thread, exit_pc: int
    ) -> Iterator[_Work]:
        if (
            work.pc == exit_pc
            or work.violation is not None
            or work.status != Status.RUNNING
        ):
            yield work
            return
        for nxt in self._exec(work, t, thread, thread.instrs[work.pc]):
            yield from self._run_atomic(nxt, t, thread, exit_pc)

    def _exec(
        self, work: _Work, t: int, thread: ir.Thread, instr: ir.Instr
    ) -> Iterator[_Work]:
        """Execute one instruction; yields each outcome (several for a nondeterministic op)."""
        match instr:
            case ir.AssignInstr(target, value, nxt):
                tells: list[int] = []
                v = evaluate(value, work, work.locals, tells)
                self._tell(work, thread, tells)
                self._store(work, target, v)
                work.events.append(
                    Event(t, "assign", instr.span, target=target.name, assigned=v)
                )
                work.pc = nxt
                yield work
            case ir.AssertInstr(cond, message, nxt):
                tells = []
                ok = bool(evaluate(cond, work, work.locals, tells))
                self._tell(work, thread, tells)
                work.events.append(Event(t, "assert", instr.span, result=ok))
                if not ok and "assertion" in self.props:
                    text = message or _source_text(cond.span)
                    work.violation = Violation(
                        "assertion", f"assertion failed: {text}", instr.span
                    )
                work.pc = nxt
                yield work
            case ir.BranchInstr(kind, cond, then, orelse):
                tells = []
                taken = bool(evaluate(cond, work, work.locals, tells))
                self._tell(work, thread, tells)
                work.events.append(Event(t, kind, instr.span, result=taken))
                work.pc = then if taken else orelse
                yield work
            case ir.OpInstr():
                yield from self._exec_op(work, t, thread, instr)
            case ir.AwaitInstr() | ir.AtomicInstr():
                raise AssertionError("await and atomic are handled at step level")

    def _exec_op(
        self, work: _Work, t: int, thread: ir.Thread, instr: ir.OpInstr
    ) -> Iterator[_Work]:
        op = instr.op
        args = dict(instr.args)
        page = work.pages[instr.page]
        value: int | None = None
        if instr.value is not None:
            tells: list[int] = []
            value = _int(evaluate(instr.value, work, work.locals, tells))
            self._tell(work, thread, tells)
        matches = self._matching(page, op.name, args)
        if not matches:
            if thread.is_host:
                return  # a host action waits until the model enables it
            event = Event(
                t,
                op.name,
                instr.span,
                instr.page,
                instr.args,
                value,
                None,
                page.state,
                page.state,
            )
            work.events.append(event)
            if "undefined" in self.props:
                work.violation = Violation(
                    "undefined",
                    f"{op.name} on page {self.spec.pages[instr.page].name} in state "
                    f"{self.model.state_name(page.state)}: the model defines no transition",
                    instr.span,
                )
            else:
                work.status = Status.STUCK
            yield work
            return
        for k, tr in enumerate(matches):
            branch = work.clone() if k + 1 < len(matches) else work
            self._apply_transition(
                branch, t, instr.page, op.name, args, tr, instr, value, thread
            )
            yield branch

    def _matching(
        self, page: PageVal, op: str, args: dict[str, int]
    ) -> list[ir.Transition]:
        return [
            tr
            for tr in self._transitions_by_op.get(op, ())
            if page.state in tr.sources
            and all(args.get(k) == v for k, v in tr.args)
            and ir.guard_holds(tr.guard, page.flags)
        ]

    def _apply_transition(
        self,
        work: _Work,
        actor: int,
        page_index: int,
        op_name: str,
        args: dict[str, int],
        tr: ir.Transition,
        instr: ir.OpInstr | None,
        value: int | None = None,
        thread: ir.Thread | None = None,
    ) -> None:
        """The order of effects: transition, then result, then the access itself."""
        model = self.model
        op = model.op(op_name)
        page = work.pages[page_index]
        before = page.state
        after = tr.target if tr.target is not None else before
        valid, warned = page.valid, page.warned
        if model.is_lost(after) and not model.is_lost(before):
            valid = False
            warned = model.is_unused(before) or model.is_unused(after)
        flags = (page.flags | tr.sets) & ~tr.clears
        data = page.data
        result: ir.Value | None = None
        guest = thread is not None and not thread.is_host
        pname = self.spec.pages[page_index].name
        if tr.fail:
            result = "fail"
            if guest:
                warned = True
        elif tr.fault:
            result = "fault"
            if guest:
                warned = True
        elif op.kind == "call":
            result = "ok"
        completed = not tr.fault
        violation: Violation | None = None
        if tr.fault and "fault" in self.props:
            violation = Violation(
                "fault",
                f"{op_name} of page {pname} faulted in state {model.state_name(after)}",
                instr.span if instr else None,
            )
        if completed and op.kind == "access":
            if op.is_write:
                if not valid and not warned and "silent-loss" in self.props:
                    violation = Violation(
                        "silent-loss",
                        f"write to page {pname} in state {model.state_name(after)}: the host "
                        "discarded its content and the guest was never told",
                        instr.span if instr else None,
                    )
                data = value if value is not None else 0
                valid = True
            else:
                result = data if valid else 0
                if not valid and "silent-loss" in self.props:
                    violation = Violation(
                        "silent-loss",
                        f"read of page {pname} in state {model.state_name(after)} returned "
                        f"{result}: the content was lost and no fault told the guest",
                        instr.span if instr else None,
                    )
        if completed:
            flags = (flags | op.sets) & ~op.clears
        work.pages[page_index] = PageVal(after, flags, data, valid, warned)
        target = instr.target if instr is not None else None
        if target is not None and completed and result is not None:
            self._store(work, target, result)
        work.events.append(
            Event(
                actor,
                op_name,
                instr.span if instr else None,
                page_index,
                tuple(sorted(args.items())) if instr is None else instr.args,
                value,
                result,
                before,
                after,
                target.name if target is not None and completed else None,
                result if target is not None and completed else None,
            )
        )
        if violation is not None:
            work.violation = violation
        if instr is None:
            return
        if tr.fault:
            if instr.handler is not None:
                work.pc = instr.handler
            else:
                work.status = Status.FAULTED
        else:
            work.pc = instr.next

    @staticmethod
    def _store(work: _Work, target: ir.Target, value: ir.Value) -> None:
        if isinstance(target, ir.LocalTarget):
            work.locals[target.slot] = value
        else:
            assert isinstance(value, int)
            work.vars[target.index] = value

    def _tell(self, work: _Work, thread: ir.Thread, pages: list[int]) -> None:
        """A guest that read a page's state and saw it lost has been told of the loss."""
        if thread.is_host:
            return
        for p in pages:
            pv = work.pages[p]
            if self.model.is_lost(pv.state) and not pv.warned:
                work.pages[p] = pv._replace(warned=True)


def _source_text(span: Span | None) -> str:
    if span is None:
        return "?"
    line = span.source.line(span.line)
    end = span.end_col - 1 if span.end_line == span.line else len(line)
    return line[span.col - 1 : end].strip()
