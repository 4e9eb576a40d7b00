"""The one definition of a step (language reference §1-3).

Every statement of every thread is executed here once, symbolically: its effect is a
set of *moves*, each one path through one instruction at one program counter (forking
where a transition is chosen, a branch is taken, an assertion or a silent-loss check
fails), or one asynchronous host action on one page by one transition. A move is a
condition over the state before the step, the new value of every slot it changes, the
events it records and the violation it ends in, all as `terms`. The concrete step
function (`semantics.py`), the Z3 encoding (`smt.py`) and the compiled explicit engine
(`engines/compiled.py`) are derived from these moves and from nothing else.

Within one state, the enabled moves come in the reference's successor order: threads
in declaration order, each thread's outcomes in the order the statement produces them
(transitions in model order), then the host's actions in `host` order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from . import ir
from . import terms as T
from .source import Span
from .terms import Sort, Term

HOST = -1  # the actor of an asynchronous host action


class Status(IntEnum):
    RUNNING = 0
    DONE = 1
    FAULTED = 2
    STUCK = 3


# --------------------------------------------------------------------------- slots


@dataclass(frozen=True, slots=True)
class Slot:
    """One component of the global state: a name for people, a sort for engines."""

    name: str
    sort: Sort
    size: int = 0  # for `enum` slots: the number of values


@dataclass(frozen=True, slots=True)
class PageSlots:
    state: int
    flags: tuple[int, ...]
    data: int
    valid: int
    warned: int
    frame: int | None = None  # only in specs that use frames (`frame`, `reallocate`)
    mapping: int | None = None  # only in specs that use translations: host moves


@dataclass(frozen=True, slots=True)
class ThreadSlots:
    pc: int
    status: int
    locals: tuple[int, ...]
    tlb: tuple[int, ...] = ()  # a guest CPU's translation per page, in specs with them
    # `memory tso`: the store buffer, oldest entry first, each entry the variable
    # (0 for an empty entry, else the variable's index + 1) and the value stored
    buffer: tuple[tuple[int, int], ...] = ()


#: The entries of a guest CPU's store buffer under `memory tso`; a store to a full
#: buffer waits for a drain (docs/language.md, "Store buffers and fences").
BUFFER_SIZE = 2


_SORT_OF_TYPE: dict[ir.ValueType, Sort] = {
    "int": "int",
    "bool": "bool",
    "result": "result",
    "state": "enum",
}


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each part of the global state lives in the flat slot vector."""

    slots: tuple[Slot, ...]
    pages: tuple[PageSlots, ...]
    vars: tuple[int, ...]
    threads: tuple[ThreadSlots, ...]
    passed: tuple[int, ...] = ()
    """Per `check eventually` (in `spec.eventually` order): a Boolean monitor, set by
    every step of the thread that starts at the label and reset by none."""

    @staticmethod
    def of(spec: ir.Spec) -> Layout:
        model = spec.model
        nstates = len(model.guest_states) * len(model.host_states)
        slots: list[Slot] = []

        def add(name: str, sort: Sort, size: int = 0) -> int:
            slots.append(Slot(name, sort, size))
            return len(slots) - 1

        frames = uses_frames(spec)
        tlb = uses_tlb(spec)
        pages = tuple(
            PageSlots(
                add(f"{p.name}.state", "enum", nstates),
                tuple(add(f"{p.name}.{f}", "bool") for f in model.flags),
                add(f"{p.name}.data", "int"),
                add(f"{p.name}.valid", "bool"),
                add(f"{p.name}.warned", "bool"),
                add(f"{p.name}.frame", "int") if frames else None,
                add(f"{p.name}.mapping", "int") if tlb else None,
            )
            for p in spec.pages
        )
        vars_ = tuple(add(v.name, "int") for v in spec.vars)
        threads = tuple(
            ThreadSlots(
                add(f"{t.name}.pc", "enum", t.end + 1),
                add(f"{t.name}.status", "enum", len(Status)),
                tuple(
                    add(f"{t.name}.{name}", _SORT_OF_TYPE[ty], nstates)
                    for name, ty in t.locals
                ),
                tuple(
                    add(f"{t.name}.tlb.{p.name}", "int")
                    for p in spec.pages
                    if tlb and not t.is_host
                ),
                tuple(
                    (
                        add(f"{t.name}.buffer{i}", "enum", len(spec.vars) + 1),
                        add(f"{t.name}.buffer{i}.value", "int"),
                    )
                    for i in range(BUFFER_SIZE if buffered(spec, t) else 0)
                ),
            )
            for t in spec.threads
        )
        passed = tuple(
            add(f"{spec.threads[e.thread].name}.passed.{e.label.name}", "bool")
            for e in spec.eventually
        )
        return Layout(tuple(slots), pages, vars_, threads, passed)

    def read(self, slot: int) -> T.Read:
        return T.Read(slot, self.slots[slot].sort)

    def put_page(
        self,
        values: list[ir.Value],
        page: int,
        state: int,
        flags: int,
        data: int,
        valid: bool,
        warned: bool,
        frame: int = 0,
        mapping: int = 0,
    ) -> None:
        """Store one page's values (flags as a bit mask) into a slot vector."""
        ps = self.pages[page]
        values[ps.state] = state
        for f, slot in enumerate(ps.flags):
            values[slot] = bool(flags >> f & 1)
        values[ps.data] = data
        values[ps.valid] = valid
        values[ps.warned] = warned
        if ps.frame is not None:
            values[ps.frame] = frame
        if ps.mapping is not None:
            values[ps.mapping] = mapping


def buffered(spec: ir.Spec, thread: ir.Thread) -> bool:
    """Whether `thread`'s stores to variables go through a store buffer."""
    return spec.memory == "tso" and not thread.is_host


def uses_frames(spec: ir.Spec) -> bool:
    """Whether a spec names frames; only then do its pages carry a `frame` slot, so
    that a spec without them keeps its state layout."""
    return _names(spec, ir.FrameOf, ir.ReallocInstr)


def uses_tlb(spec: ir.Spec) -> bool:
    """Whether a spec names translations; only then do its pages carry a `mapping`
    slot and its guest threads a translation per page."""
    return _names(spec, ir.StaleOf, ir.TlbInstr)


def _names(spec: ir.Spec, expr: type, instr: type) -> bool:
    """Whether some statement is an `instr` or some expression holds an `expr`."""

    def named(e: ir.Expr) -> bool:
        match e:
            case _ if isinstance(e, expr):
                return True
            case ir.Not(x) | ir.Neg(x):
                return named(x)
            case ir.Arith(_, a, b) | ir.BoolOp(_, a, b) | ir.Compare(_, a, b):
                return named(a) or named(b)
            case ir.Member(x, items):
                return named(x) or any(named(i) for i in items)
        return False

    return any(
        isinstance(i, instr) or any(map(named, _instr_exprs(i)))
        for thread in spec.threads
        for i in thread.instrs
    ) or any(named(n.cond) for n in spec.nevers)


# --------------------------------------------------------------------------- moves


@dataclass(frozen=True, slots=True)
class EventTerms:
    """One statement a move executes; its values are terms over the state before it."""

    kind: str  # an op's name, or assign / assert / await / if / while / atomic
    span: Span | None
    page: int | None = None
    args: tuple[tuple[str, int], ...] = ()
    value: Term | None = None  # the value a write stores
    result: Term | None = None  # ok / fail / the value read / a condition
    fault: bool = False  # the access faulted (its result is `fault`)
    before: Term | None = None
    after: Term | None = None
    target: str | None = None
    assigned: Term | None = None
    transition: int | None = None  # the model transition an op took (coverage)
    whole: bool = False  # a store that overwrites the whole page


@dataclass(frozen=True, slots=True)
class ViolationTerms:
    """A violation a move ends in; the message's terms are filled in per state."""

    prop: str
    message: tuple[str | Term, ...]
    span: Span | None


@dataclass(frozen=True, slots=True)
class Move:
    """One way a step can go: enabled when `condition` holds (and, for a thread move,
    when the thread is running at `pc`); then every slot in `updates` takes its term's
    value."""

    index: int
    actor: int
    pc: int | None
    condition: Term
    updates: tuple[tuple[int, Term], ...]
    events: tuple[EventTerms, ...]
    violation: ViolationTerms | None


@dataclass(frozen=True, slots=True)
class CycleCondition:
    """A liveness property as engines see it: a fair cycle (and the empty cycle of a
    state where no guest thread can step) in every state of which `holds` is true
    violates it. `thread` is the guest thread the property is about."""

    prop: str
    thread: int
    holds: Term
    point: ir.Eventually | None = None
    """For `check eventually`: the check; `holds` is then "its monitor is unset",
    which nothing resets, so a cycle where it holds was reached without passing."""


@dataclass(frozen=True, slots=True)
class StepDefinition:
    """Every move of a spec, the `never` conditions, the liveness properties' cycle
    conditions and the initial slot values."""

    spec: ir.Spec
    layout: Layout
    moves: tuple[Move, ...]
    by_pc: tuple[tuple[tuple[Move, ...], ...], ...]  # [thread][pc] -> moves
    host_moves: tuple[Move, ...]
    nevers: tuple[tuple[Term, ViolationTerms], ...]
    initial: tuple[ir.Value, ...]
    cycles: tuple[CycleCondition, ...] = ()

    def enabled(self, move: Move) -> Term:
        """The move's whole enabling condition, program counter and status included."""
        if move.pc is None:
            return move.condition
        ts = self.layout.threads[move.actor]
        return T.and_(
            T.eq(self.layout.read(ts.pc), T.Lit(move.pc, "enum")),
            T.eq(self.layout.read(ts.status), T.Lit(int(Status.RUNNING), "enum")),
            move.condition,
        )

    def can_step(self, actor: int) -> Term:
        """Whether some move of `actor` is enabled (its violating moves included)."""
        return T.or_(*(self.enabled(m) for m in self.moves if m.actor == actor))


def guest_threads(spec: ir.Spec) -> tuple[int, ...]:
    """The threads that weak fairness is about: the guest's, not the host's."""
    return tuple(k for k, t in enumerate(spec.threads) if not t.is_host)


#: The last definition made, with its spec: a check defines its spec's steps once for
#: the engine and once for the coverage search, which then share one definition.
_last: list[StepDefinition] = []


def define(spec: ir.Spec) -> StepDefinition:
    """Execute every instruction of `spec` symbolically; see the module docstring."""
    if _last and _last[0].spec is spec:
        return _last[0]
    _last[:] = [_define(spec)]
    return _last[0]


def _define(spec: ir.Spec) -> StepDefinition:
    layout = Layout.of(spec)
    executor = _Executor(spec, layout)
    moves: list[Move] = []
    by_pc: list[tuple[tuple[Move, ...], ...]] = []
    for t, thread in enumerate(spec.threads):
        per_pc = []
        for pc in range(thread.end):
            paths = executor.thread_paths(t, pc) + executor.drain_paths(t, pc)
            here = [
                _move(len(moves) + k, t, pc, path, layout, executor.reads)
                for k, path in enumerate(paths)
            ]
            moves += here
            per_pc.append(tuple(here))
        by_pc.append(tuple(per_pc))
    host: list[Move] = []
    for hm in spec.host_moves:
        for path in executor.host_paths(hm):
            move = _move(len(moves), HOST, None, path, layout, executor.reads)
            moves.append(move)
            host.append(move)
    identity = _Path.start(executor.reads)
    executor.as_host()  # a `never` sees memory, not a thread's buffered stores
    nevers = tuple(
        (
            executor.expr(n.cond, identity, None, None),
            ViolationTerms(
                "never",
                (f"the `never` condition holds: {n.cond.span.one_line()}",),
                n.span,
            ),
        )
        for n in spec.nevers
    )
    return StepDefinition(
        spec,
        layout,
        tuple(moves),
        tuple(by_pc),
        tuple(host),
        nevers,
        _initial_slots(spec, layout),
        _cycle_conditions(spec, layout),
    )


def _cycle_conditions(spec: ir.Spec, layout: Layout) -> tuple[CycleCondition, ...]:
    """`terminates`: a guest thread runs throughout the cycle, one condition per
    guest thread in declaration order; then each `eventually` check in order: its
    thread has not passed its label."""
    out = []
    if "terminates" in spec.properties:
        running = T.Lit(int(Status.RUNNING), "enum")
        out += [
            CycleCondition("terminates", t, T.eq(layout.read(ts.status), running))
            for t, (thread, ts) in enumerate(
                zip(spec.threads, layout.threads, strict=True)
            )
            if not thread.is_host
        ]
    out += [
        CycleCondition(ir.EVENTUALLY, e.thread, T.not_(layout.read(slot)), e)
        for e, slot in zip(spec.eventually, layout.passed, strict=True)
    ]
    return tuple(out)


def _initial_slots(spec: ir.Spec, layout: Layout) -> tuple[ir.Value, ...]:
    values: list[ir.Value] = [0] * len(layout.slots)
    for k, p in enumerate(spec.pages):
        layout.put_page(values, k, p.state, p.flags, p.data, p.valid, p.warned)
    for var, slot in zip(spec.vars, layout.vars, strict=True):
        values[slot] = var.value
    for thread, ts in zip(spec.threads, layout.threads, strict=True):
        values[ts.pc] = thread.entry
        values[ts.status] = int(
            Status.DONE if thread.entry == thread.end else Status.RUNNING
        )
        for (_, ty), slot in zip(thread.locals, ts.locals, strict=True):
            values[slot] = default_value(ty)
    return tuple(values)


_DEFAULTS: dict[ir.ValueType, ir.Value] = {
    "int": 0,
    "bool": False,
    "result": "ok",
    "state": 0,
}


def default_value(t: ir.ValueType) -> ir.Value:
    """What a local holds before its first assignment."""
    return _DEFAULTS[t]


# --------------------------------------------------------------------------- integer widths


#: Integers that double every step could need a bit per step; beyond this many bits a
#: spec is out of this checker's reach anyway (the explicit engine reports an overflow).
MAX_INT_BITS = 4096


def int_width(spec: ir.Spec, steps: int) -> int:
    """A signed width that holds every integer a run of `steps` steps can produce."""
    consts = [1]
    consts += [abs(p.data) for p in spec.pages] + [abs(v.value) for v in spec.vars]
    if uses_frames(spec) or uses_tlb(spec):
        consts.append(steps + 1)  # identities count reallocations and moves
    sums: list[ir.Expr] = []

    def visit(e: ir.Expr) -> None:
        match e:
            case ir.Const(value, "int"):
                consts.append(abs(int(value)))
            case ir.Not(x) | ir.Neg(x):
                visit(x)
            case ir.Arith(_, a, b):
                sums.append(e)
                visit(a)
                visit(b)
            case ir.BoolOp(_, a, b) | ir.Compare(_, a, b):
                visit(a)
                visit(b)
            case ir.Member(x, items):
                visit(x)
                for i in items:
                    visit(i)

    writers: list[ir.Expr] = []
    per_step = 1
    for thread in spec.threads:
        for instr in thread.instrs:
            for e in _instr_exprs(instr):
                visit(e)
            if isinstance(instr, ir.AssignInstr) and _is_int_target(
                thread, instr.target
            ):
                writers.append(instr.value)
            if isinstance(instr, ir.OpInstr) and instr.value is not None:
                writers.append(instr.value)
        per_step = max(
            per_step,
            sum(1 for i in thread.instrs if isinstance(i, ir.AssignInstr | ir.OpInstr)),
        )
    for n in spec.nevers:
        visit(n.cond)
    magnitude = max(consts)

    def bound_of(e: ir.Expr, m: int) -> int:
        match e:
            case ir.Const(value):
                return abs(int(value))
            case ir.LocalRef() | ir.VarRef():
                return m
            case ir.Neg(x):
                return bound_of(x, m)
            case ir.Arith(_, a, b):
                return bound_of(a, m) + bound_of(b, m)
        return m

    def reads(e: ir.Expr) -> int:
        """How many times `e` adds up the values it reads (its growth factor)."""
        match e:
            case ir.Const():
                return 0
            case ir.Neg(x):
                return reads(x)
            case ir.Arith(_, a, b):
                return reads(a) + reads(b)
        return 1

    linear = all(reads(e) <= 1 for e in writers)
    rounds = steps * per_step if writers else 0
    delta = None
    for done in range(rounds):
        grown = max((bound_of(e, magnitude) for e in writers), default=magnitude)
        if grown <= magnitude:
            break
        if linear and grown - magnitude == delta:
            # once the growth per round repeats, it stays: each writer adds at most
            # a constant to the largest value
            magnitude = grown + delta * (rounds - done - 1)
            break
        delta = grown - magnitude
        magnitude = grown
        if magnitude.bit_length() > MAX_INT_BITS:
            break
    # a condition computes sums it never stores (`assert x + x + x < 4`): they too
    # must fit
    computed = max((bound_of(e, magnitude) for e in sums), default=magnitude)
    magnitude = max(magnitude, computed)
    return min(magnitude.bit_length(), MAX_INT_BITS) + 2


def _is_int_target(thread: ir.Thread, target: ir.Target) -> bool:
    if isinstance(target, ir.VarTarget):
        return True
    return thread.locals[target.slot][1] == "int"


def _instr_exprs(instr: ir.Instr) -> Iterator[ir.Expr]:
    match instr:
        case ir.AssignInstr(_, value):
            yield value
        case ir.AssertInstr(cond) | ir.AwaitInstr(cond) | ir.BranchInstr(_, cond):
            yield cond
        case ir.OpInstr(value=value) if value is not None:
            yield value
        case ir.AtomicInstr(guard=guard) if guard is not None:
            yield guard


# --------------------------------------------------------------------------- execution


@dataclass
class _Path:
    """One symbolic execution path within a step: slot values as terms over the state
    before it, the conditions under which it is taken, and what it did."""

    slots: list[Term]
    pc: int = 0
    status: Status = Status.RUNNING
    conds: list[Term] = field(default_factory=list)
    events: list[EventTerms] = field(default_factory=list)
    violation: ViolationTerms | None = None

    @staticmethod
    def start(reads: Sequence[T.Read], pc: int = 0) -> _Path:
        """A path at `pc` whose every slot still holds its value before the step."""
        return _Path(list(reads), pc)

    def fork(self) -> _Path:
        return _Path(
            list(self.slots),
            self.pc,
            self.status,
            list(self.conds),
            list(self.events),
            self.violation,
        )


def _move(
    index: int,
    actor: int,
    pc: int | None,
    path: _Path,
    layout: Layout,
    reads: Sequence[T.Read],
) -> Move:
    slots = list(path.slots)
    if actor != HOST:
        ts = layout.threads[actor]
        slots[ts.pc] = T.Lit(path.pc, "enum")
        slots[ts.status] = T.Lit(int(path.status), "enum")
    updates = tuple(
        (i, term)
        for i, term in enumerate(slots)
        if term is not reads[i] and term != reads[i]
    )
    return Move(
        index,
        actor,
        pc,
        T.and_(*path.conds),
        updates,
        tuple(path.events),
        path.violation,
    )


Tells = list[tuple[int, Term]]


class _Executor:
    """Runs instructions over terms; the statement-by-statement meaning of a step."""

    def __init__(self, spec: ir.Spec, layout: Layout) -> None:
        self.spec = spec
        self.model = spec.model
        self.layout = layout
        self.reads = tuple(layout.read(i) for i in range(len(layout.slots)))
        self.props = spec.properties
        self._lost = [s.index for s in self.model.states if s.host.lost]
        self._unused = [s.index for s in self.model.states if s.guest.unused]
        self._thread: ir.Thread | None = None
        self._t = HOST
        self._points: dict[tuple[int, int], list[int]] = {}
        for e, slot in zip(spec.eventually, layout.passed, strict=True):
            self._points.setdefault((e.thread, e.label.pc), []).append(slot)

    # -- page predicates
    def is_lost(self, state: Term) -> Term:
        return T.one_of(state, self._lost)

    def is_unused(self, state: Term) -> Term:
        return T.one_of(state, self._unused)

    # -- expressions
    def expr(
        self, e: ir.Expr, path: _Path, tells: Tells | None, when: Term | None
    ) -> Term:
        """The value of `e`; `state(p)` reads go to `tells` with the condition under
        which they are evaluated (`and`/`or` stop early)."""
        L = self.layout
        match e:
            case ir.Const(value, ty):
                return T.Lit(value, _SORT_OF_TYPE[ty])
            case ir.LocalRef(slot):
                return path.slots[L.threads[self._t].locals[slot]]
            case ir.VarRef(index):
                return self._load(path, index)
            case ir.StateOf(page):
                if tells is not None:
                    tells.append((page, when if when is not None else T.TRUE))
                return path.slots[L.pages[page].state]
            case ir.FlagOf(page, flag):
                return path.slots[L.pages[page].flags[flag]]
            case ir.FrameOf(page):
                return path.slots[self._frame_slot(page)]
            case ir.StaleOf(page):
                held = path.slots[self.layout.threads[self._t].tlb[page]]
                return T.and_(
                    T.not_(T.eq(held, T.Lit(0, "int"))),
                    T.not_(T.eq(held, self._mapped(path, page))),
                )
            case ir.Not(x):
                return T.not_(self.expr(x, path, tells, when))
            case ir.Neg(x):
                return T.neg(self.expr(x, path, tells, when))
            case ir.BoolOp(op, a, b):
                left = self.expr(a, path, tells, when)
                goes_on = left if op == "and" else T.not_(left)
                right_when = goes_on if when is None else T.and_(when, goes_on)
                right = self.expr(b, path, tells, right_when)
                return T.and_(left, right) if op == "and" else T.or_(left, right)
            case ir.Arith(op, a, b):
                return T.arith(
                    op, self.expr(a, path, tells, when), self.expr(b, path, tells, when)
                )
            case ir.Compare(op, a, b):
                return T.compare(
                    op, self.expr(a, path, tells, when), self.expr(b, path, tells, when)
                )
            case ir.Member(x, items):
                v = self.expr(x, path, tells, when)
                return T.or_(*(T.eq(v, self.expr(i, path, tells, when)) for i in items))
        raise AssertionError(e)

    def evaluate(self, e: ir.Expr, path: _Path) -> Term:
        """Evaluate as a guest thread does: seeing a lost state tells the guest."""
        tells: Tells = []
        value = self.expr(e, path, tells, None)
        thread = self._thread
        if thread is not None and not thread.is_host:
            for page, when in tells:
                ps = self.layout.pages[page]
                seen = T.and_(when, self.is_lost(path.slots[ps.state]))
                path.slots[ps.warned] = T.or_(path.slots[ps.warned], seen)
        return value

    # -- thread steps
    def thread_paths(self, t: int, pc: int) -> list[_Path]:
        thread = self.spec.threads[t]
        self._thread, self._t = thread, t
        path = _Path.start(self.reads, pc)
        self._pass(path)
        instr = thread.instrs[pc]
        if isinstance(instr, ir.AwaitInstr):
            path.conds.append(self.evaluate(instr.cond, path))
            path.events.append(EventTerms("await", instr.span, result=T.TRUE))
            path.pc = instr.next
            paths = [path]
        elif isinstance(instr, ir.AtomicInstr):
            if instr.guard is not None:
                path.conds.append(self.evaluate(instr.guard, path))
            path.events.append(EventTerms("atomic", instr.span))
            path.pc = instr.entry
            paths = self._run_atomic(path, thread, instr.next)
        else:
            paths = self._exec(path, thread, instr)
        for p in paths:
            if p.status == Status.RUNNING and p.pc == thread.end:
                p.status = Status.DONE
        return [p for p in paths if _feasible(p)]

    def _run_atomic(self, path: _Path, thread: ir.Thread, exit_pc: int) -> list[_Path]:
        if (
            path.pc == exit_pc
            or path.violation is not None
            or path.status != Status.RUNNING
        ):
            return [path]
        out = []
        self._pass(path)
        for nxt in self._exec(path, thread, thread.instrs[path.pc]):
            if _feasible(nxt):
                out += self._run_atomic(nxt, thread, exit_pc)
        return out

    def _pass(self, path: _Path) -> None:
        """The thread passes the labels `check eventually` names at `path.pc`."""
        for slot in self._points.get((self._t, path.pc), ()):
            path.slots[slot] = T.TRUE

    def _exec(self, path: _Path, thread: ir.Thread, instr: ir.Instr) -> list[_Path]:
        """One instruction; one path per outcome, in the reference's order."""
        match instr:
            case ir.AssignInstr(target, value, nxt):
                v = self.evaluate(value, path)
                self._store(path, target, v)
                path.events.append(
                    EventTerms("assign", instr.span, target=target.name, assigned=v)
                )
                path.pc = nxt
                return [path]
            case ir.AssertInstr(cond, message, nxt):
                holds = self.evaluate(cond, path)
                path.events.append(EventTerms("assert", instr.span, result=holds))
                path.pc = nxt
                if "assertion" not in self.props:
                    return [path]
                bad = path.fork()
                path.conds.append(holds)
                bad.conds.append(T.not_(holds))
                text = message or cond.span.one_line()
                bad.violation = ViolationTerms(
                    "assertion", (f"assertion failed: {text}",), instr.span
                )
                return [path, bad]
            case ir.BranchInstr(kind, cond, then, orelse):
                taken = self.evaluate(cond, path)
                other = path.fork()
                path.events.append(EventTerms(kind, instr.span, result=T.TRUE))
                path.conds.append(taken)
                path.pc = then
                other.events.append(EventTerms(kind, instr.span, result=T.FALSE))
                other.conds.append(T.not_(taken))
                other.pc = orelse
                return [path, other]
            case ir.OpInstr():
                return self._exec_op(path, thread, instr)
            case ir.FenceInstr(nxt):
                path.conds.append(self._drained(path))
                path.events.append(EventTerms("fence", instr.span))
                path.pc = nxt
                return [path]
            case ir.ReallocInstr(page, nxt):
                slot = self._frame_slot(page)
                frame = T.arith("+", path.slots[slot], T.Lit(1, "int"))
                path.slots[slot] = frame
                return [self._page_step(path, "reallocate", instr, page, nxt, frame)]
            case ir.TlbInstr():
                return [self._exec_tlb(path, instr)]
        raise AssertionError(f"{instr} is executed at step level")

    def _exec_tlb(self, path: _Path, instr: ir.TlbInstr) -> _Path:
        """A translation is 0 (none) or the page's mapping plus one when it was made,
        so that every slot starts at 0."""
        page = instr.page
        result = None
        match instr.kind:
            case "translate":
                own = self.layout.threads[self._t].tlb[page]
                path.slots[own] = self._mapped(path, page)
            case "purge":
                for ts in self.layout.threads:
                    if ts.tlb:
                        path.slots[ts.tlb[page]] = T.Lit(0, "int")
            case "remap":
                slot = self._mapping_slot(page)
                result = T.arith("+", path.slots[slot], T.Lit(1, "int"))
                path.slots[slot] = result
        return self._page_step(path, instr.kind, instr, page, instr.next, result)

    def _page_step(
        self,
        path: _Path,
        kind: str,
        instr: ir.Instr,
        page: int,
        nxt: int,
        result: Term | None,
    ) -> _Path:
        """A statement on a page that leaves its state as it is."""
        state = path.slots[self.layout.pages[page].state]
        path.events.append(
            EventTerms(kind, instr.span, page, result=result, before=state, after=state)
        )
        path.pc = nxt
        return path

    def _mapped(self, path: _Path, page: int) -> Term:
        """The translation a CPU makes of the page now."""
        return T.arith("+", path.slots[self._mapping_slot(page)], T.Lit(1, "int"))

    def _mapping_slot(self, page: int) -> int:
        slot = self.layout.pages[page].mapping
        assert slot is not None, "a spec that names translations has mapping slots"
        return slot

    def _frame_slot(self, page: int) -> int:
        slot = self.layout.pages[page].frame
        assert slot is not None, "a spec that names frames has frame slots"
        return slot

    def _exec_op(
        self, path: _Path, thread: ir.Thread, instr: ir.OpInstr
    ) -> list[_Path]:
        if instr.op.kind == "call" and self._buffer():
            path.conds.append(self._drained(path))  # a call serialises (a fence)
        value = None if instr.value is None else self.evaluate(instr.value, path)
        ps = self.layout.pages[instr.page]
        candidates = [
            tr
            for tr in self.model.transitions
            if tr.op == instr.op.name
            and all(dict(instr.args).get(k) == v for k, v in tr.args)
        ]
        matches = [self._matches(tr, path, instr.page) for tr in candidates]
        out: list[_Path] = []
        for tr, match in zip(candidates, matches, strict=True):
            branch = path.fork()
            branch.conds.append(match)
            out += self._apply(branch, instr.page, tr, instr, value, instr.args)
        if thread.is_host:
            return out  # a scripted host action waits until the model enables it
        undefined = path.fork()
        undefined.conds.append(T.not_(T.or_(*matches)))
        state = path.slots[ps.state]
        undefined.events.append(
            EventTerms(
                instr.op.name,
                instr.span,
                instr.page,
                instr.args,
                value,
                before=state,
                after=state,
            )
        )
        if "undefined" in self.props:
            undefined.violation = ViolationTerms(
                "undefined",
                (
                    f"{instr.op.name} on page {self.spec.pages[instr.page].name} "
                    "in state ",
                    state,
                    ": the model defines no transition",
                ),
                instr.span,
            )
        else:
            undefined.status = Status.STUCK
        return [*out, undefined]

    def host_paths(self, move: ir.HostMove) -> list[_Path]:
        """One path per transition of an asynchronous host action, in the order of the
        first parameter values (0 before 1) under which each transition matches."""
        self.as_host()
        op = self.model.op(move.op)
        order: list[tuple[ir.Transition, tuple[tuple[str, int], ...]]] = []
        for values in itertools.product((0, 1), repeat=len(op.params)):
            args = dict(zip(op.params, values, strict=True))
            for tr in self.model.transitions:
                if (
                    tr.op == move.op
                    and all(args.get(k) == v for k, v in tr.args)
                    and all(tr is not seen for seen, _ in order)
                ):
                    order.append((tr, tuple(sorted(args.items()))))
        out: list[_Path] = []
        for tr, args_ in order:
            path = _Path.start(self.reads)
            path.conds.append(self._matches(tr, path, move.page))
            out += self._apply(path, move.page, tr, None, None, args_)
        return [p for p in out if _feasible(p)]

    # -- transitions
    def _matches(self, tr: ir.Transition, path: _Path, page: int) -> Term:
        ps = self.layout.pages[page]
        in_source = T.one_of(path.slots[ps.state], sorted(tr.sources))
        return T.and_(in_source, self._guard(tr.guard, path, ps))

    def _guard(self, g: ir.Guard | None, path: _Path, ps: PageSlots) -> Term:
        match g:
            case None:
                return T.TRUE
            case ir.GuardFlag(flag):
                return path.slots[ps.flags[flag]]
            case ir.GuardConst(value):
                return T.boolean(value)
            case ir.GuardNot(x):
                return T.not_(self._guard(x, path, ps))
            case ir.GuardAnd(a, b):
                return T.and_(self._guard(a, path, ps), self._guard(b, path, ps))
            case ir.GuardOr(a, b):
                return T.or_(self._guard(a, path, ps), self._guard(b, path, ps))
        raise AssertionError(g)

    def _apply(
        self,
        path: _Path,
        page: int,
        tr: ir.Transition,
        instr: ir.OpInstr | None,
        value: Term | None,
        args: tuple[tuple[str, int], ...],
    ) -> list[_Path]:
        """The order of effects: the transition, then its result, then the access."""
        model = self.model
        op = model.op(tr.op)
        ps = self.layout.pages[page]
        s = path.slots
        before = s[ps.state]
        after = before if tr.target is None else T.Lit(tr.target, "enum")
        valid, warned = s[ps.valid], s[ps.warned]
        if tr.target is not None and model.is_lost(tr.target):
            discards = T.not_(self.is_lost(before))
            valid = T.ite(discards, T.FALSE, valid)
            warned = T.ite(
                discards, T.or_(self.is_unused(before), self.is_unused(after)), warned
            )
        flags = _set_clear([s[f] for f in ps.flags], tr.sets, tr.clears)
        guest = self._thread is not None and not self._thread.is_host
        result: Term | None = None
        if tr.fail:
            result = T.Lit("fail", "result")
        elif op.kind == "call" and not tr.fault:
            result = T.Lit("ok", "result")
        if (tr.fail or tr.fault) and guest:
            warned = T.TRUE
        completed = not tr.fault
        whole = instr is not None and instr.whole
        data = s[ps.data]
        pname = self.spec.pages[page].name
        span = instr.span if instr is not None else None
        violation: ViolationTerms | None = None
        if tr.fault and "fault" in self.props:
            violation = ViolationTerms(
                "fault", (f"{tr.op} of page {pname} faulted in state ", before), span
            )
        paths = [path]
        if completed and op.kind == "access":
            if op.is_write:
                lost_write = T.and_(T.not_(valid), T.not_(warned))
                if "silent-loss" in self.props and not whole:
                    bad = path.fork()
                    bad.conds.append(lost_write)
                    bad.violation = ViolationTerms(
                        "silent-loss",
                        (
                            f"write to page {pname} in state ",
                            before,
                            ": the host discarded its content and the guest was "
                            "never told",
                        ),
                        span,
                    )
                    path.conds.append(T.not_(lost_write))
                    paths.append(bad)
                data = value if value is not None else T.Lit(0, "int")
                valid = T.TRUE
            else:
                result = T.ite(valid, data, T.Lit(0, "int"))
                if "silent-loss" in self.props:
                    bad = path.fork()
                    bad.conds.append(T.not_(valid))
                    bad.violation = ViolationTerms(
                        "silent-loss",
                        (
                            f"read of page {pname} in state ",
                            before,
                            " returned 0: the content was lost and no fault told "
                            "the guest",
                        ),
                        span,
                    )
                    path.conds.append(valid)
                    paths.append(bad)
        if completed:
            flags = _set_clear(flags, op.sets, op.clears)
        target = instr.target if instr is not None and completed else None
        for p in paths:
            if violation is not None:
                p.violation = violation
            p.slots[ps.state] = after
            for slot, term in zip(ps.flags, flags, strict=True):
                p.slots[slot] = term
            p.slots[ps.data] = data
            p.slots[ps.valid] = valid
            p.slots[ps.warned] = warned
            if target is not None and result is not None:
                self._store(p, target, result)
            p.events.append(
                EventTerms(
                    tr.op,
                    span,
                    page,
                    args,
                    value,
                    result,
                    tr.fault,
                    before,
                    after,
                    target.name if target is not None else None,
                    result if target is not None else None,
                    next(i for i, t in enumerate(model.transitions) if t is tr),
                    whole,
                )
            )
            if instr is None:
                continue
            if not completed:
                if instr.handler is not None:
                    p.pc = instr.handler
                else:
                    p.status = Status.FAULTED
            else:
                p.pc = instr.next
        return paths

    def _store(self, path: _Path, target: ir.Target, value: Term) -> None:
        if isinstance(target, ir.LocalTarget):
            path.slots[self.layout.threads[self._t].locals[target.slot]] = value
        elif self._buffer():
            self._enqueue(path, target.index, value)
        else:
            path.slots[self.layout.vars[target.index]] = value

    # -- store buffers (`memory tso`)
    def as_host(self) -> None:
        """Evaluate from now on as the host: no thread, no locals, no buffer."""
        self._thread, self._t = None, HOST

    def _buffer(self) -> tuple[tuple[int, int], ...]:
        """The running guest thread's store buffer; empty without one."""
        if self._t == HOST:
            return ()
        return self.layout.threads[self._t].buffer

    def _load(self, path: _Path, var: int) -> Term:
        """A variable as the thread sees it: its newest buffered store, else memory."""
        value = path.slots[self.layout.vars[var]]
        for entry, stored in self._buffer():
            holds = T.eq(path.slots[entry], T.Lit(var + 1, "enum"))
            value = T.ite(holds, path.slots[stored], value)
        return value

    def _enqueue(self, path: _Path, var: int, value: Term) -> None:
        """The store goes to the first free entry; while none is free it waits."""
        buffer = self._buffer()
        empty = [T.eq(path.slots[e], T.Lit(0, "enum")) for e, _ in buffer]
        path.conds.append(empty[-1])
        for i, (entry, stored) in enumerate(buffer):
            first = empty[i] if i == 0 else T.and_(empty[i], T.not_(empty[i - 1]))
            path.slots[entry] = T.ite(first, T.Lit(var + 1, "enum"), path.slots[entry])
            path.slots[stored] = T.ite(first, value, path.slots[stored])

    def _drained(self, path: _Path) -> Term:
        """The thread's store buffer is empty (true without one)."""
        buffer = self._buffer()
        if not buffer:
            return T.TRUE
        return T.eq(path.slots[buffer[0][0]], T.Lit(0, "enum"))

    def drain_paths(self, t: int, pc: int) -> list[_Path]:
        """Thread `t`'s oldest buffered store reaching memory, one path per variable:
        a step of its own, taken at any counter while the thread runs."""
        self._thread, self._t = self.spec.threads[t], t
        buffer = self._buffer()
        if not buffer:
            return []
        out = []
        for var, slot in enumerate(self.layout.vars):
            path = _Path.start(self.reads, pc)
            (entry, stored), rest = buffer[0], buffer[1:]
            path.conds.append(T.eq(self.reads[entry], T.Lit(var + 1, "enum")))
            path.slots[slot] = self.reads[stored]
            for (e, v), (next_e, next_v) in zip(buffer, rest, strict=False):
                path.slots[e], path.slots[v] = self.reads[next_e], self.reads[next_v]
            last_e, last_v = buffer[-1]
            path.slots[last_e], path.slots[last_v] = T.Lit(0, "enum"), T.Lit(0, "int")
            path.events.append(
                EventTerms(
                    "drain",
                    None,
                    target=self.spec.vars[var].name,
                    assigned=self.reads[stored],
                )
            )
            out.append(path)
        return out


def _feasible(path: _Path) -> bool:
    """False when a path's conditions fold to false: no state takes it."""
    return all(c != T.FALSE for c in path.conds)


def _set_clear(flags: Sequence[Term], sets: int, clears: int) -> list[Term]:
    """Flags after `sets` then `clears` (bit masks), as `(flags | sets) & ~clears`."""
    return [
        T.FALSE if clears >> f & 1 else T.TRUE if sets >> f & 1 else b
        for f, b in enumerate(flags)
    ]
